//! Reaching `rekamd`: the target (Unix socket or TCP URI), the connection, the three service
//! clients, and the deadline of request/response calls.
//!
//! The connection is opened eagerly, so a missing daemon shows at once as
//! [`CtlError::Unreachable`] (exit 3) naming the socket tried. Streams (watch, self-test,
//! captures, jobs) carry no deadline: they wait for people and devices.

use std::future::Future;
use std::io;
use std::path::PathBuf;
use std::time::Duration;

use rekam_proto::client::{connect_tcp, connect_unix, default_socket_path};
use rekam_proto::v1::device_service_client::DeviceServiceClient;
use rekam_proto::v1::enrolment_service_client::EnrolmentServiceClient;
use rekam_proto::v1::issuance_service_client::IssuanceServiceClient;
use tonic::transport::Channel;

use crate::cli::GlobalArgs;
use crate::error::CtlError;

/// Largest response accepted: the station's messages stay well below (previews and manifests
/// are at most 1 MiB each).
const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// Where `rekamd` listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A Unix socket path.
    Unix(PathBuf),
    /// A TCP URI such as `http://127.0.0.1:50051`.
    Tcp(String),
}

impl Target {
    /// `--tcp` when given, else `--socket` / `REKAM_SOCKET`, else the default socket path.
    pub fn from_args(args: &GlobalArgs) -> Self {
        match (&args.tcp, &args.socket) {
            (Some(uri), _) => Self::Tcp(uri.clone()),
            (None, Some(path)) => Self::Unix(path.clone()),
            (None, None) => Self::Unix(default_socket_path()),
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unix(path) => write!(f, "{}", path.display()),
            Self::Tcp(uri) => f.write_str(uri),
        }
    }
}

/// The three service clients on one connection, with the unary deadline.
#[derive(Debug, Clone)]
pub struct Clients {
    /// DeviceService.
    pub devices: DeviceServiceClient<Channel>,
    /// EnrolmentService.
    pub enrolment: EnrolmentServiceClient<Channel>,
    /// IssuanceService.
    pub issuance: IssuanceServiceClient<Channel>,
    timeout: Duration,
    target: String,
}

/// Connects to `target`, giving up after `timeout`.
pub async fn connect(target: &Target, timeout: Duration) -> Result<Clients, CtlError> {
    let attempt = async {
        match target {
            Target::Unix(path) => connect_unix(path).await,
            Target::Tcp(uri) => connect_tcp(uri).await,
        }
    };
    let channel = match tokio::time::timeout(timeout, attempt).await {
        Ok(Ok(channel)) => channel,
        Ok(Err(e)) => return Err(unreachable(target, &e)),
        Err(_) => {
            return Err(CtlError::Unreachable {
                target: target.to_string(),
                detail: format!("no connection within {} s", timeout.as_secs()),
                permission: false,
            })
        }
    };
    Ok(Clients::new(channel, target, timeout))
}

fn unreachable(target: &Target, err: &(dyn std::error::Error + 'static)) -> CtlError {
    // The innermost cause says it best ("No such file or directory (os error 2)").
    let mut detail = err.to_string();
    let mut permission = false;
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<io::Error>() {
            permission |= io.kind() == io::ErrorKind::PermissionDenied;
        }
        detail = e.to_string();
        source = e.source();
    }
    CtlError::Unreachable {
        target: target.to_string(),
        detail,
        permission,
    }
}

impl Clients {
    /// Clients on an open channel.
    pub fn new(channel: Channel, target: &Target, timeout: Duration) -> Self {
        Self {
            devices: DeviceServiceClient::new(channel.clone())
                .max_decoding_message_size(MAX_RESPONSE_BYTES),
            enrolment: EnrolmentServiceClient::new(channel.clone())
                .max_decoding_message_size(MAX_RESPONSE_BYTES),
            issuance: IssuanceServiceClient::new(channel)
                .max_decoding_message_size(MAX_RESPONSE_BYTES),
            timeout,
            target: target.to_string(),
        }
    }

    /// A request with the unary deadline (sent as `grpc-timeout`).
    pub fn request<T>(&self, message: T) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        request.set_timeout(self.timeout);
        request
    }

    /// Runs a unary call to its response, enforcing the deadline on this side as well.
    pub async fn unary<T, F>(&self, call: F) -> Result<T, CtlError>
    where
        F: Future<Output = Result<tonic::Response<T>, tonic::Status>>,
    {
        // A little grace so the server's own DEADLINE_EXCEEDED (with its reason) wins.
        let limit = self.timeout + Duration::from_millis(500);
        match tokio::time::timeout(limit, call).await {
            Ok(Ok(response)) => Ok(response.into_inner()),
            Ok(Err(status)) => Err(self.error(status)),
            Err(_) => Err(self.error(tonic::Status::deadline_exceeded(format!(
                "rekamd did not answer within {} s (--timeout)",
                self.timeout.as_secs()
            )))),
        }
    }

    /// Opens a server stream (no deadline).
    pub async fn stream<T, F>(&self, call: F) -> Result<tonic::Streaming<T>, CtlError>
    where
        F: Future<Output = Result<tonic::Response<tonic::Streaming<T>>, tonic::Status>>,
    {
        call.await
            .map(tonic::Response::into_inner)
            .map_err(|status| self.error(status))
    }

    /// The next message of a stream; `None` when it ended normally.
    pub async fn next<T>(&self, stream: &mut tonic::Streaming<T>) -> Result<Option<T>, CtlError> {
        stream.message().await.map_err(|status| self.error(status))
    }

    /// The socket path or URI these clients are connected to.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// A status from this connection as a [`CtlError`].
    pub fn error(&self, status: tonic::Status) -> CtlError {
        CtlError::status(status, &self.target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(socket: Option<&str>, tcp: Option<&str>) -> GlobalArgs {
        GlobalArgs {
            socket: socket.map(PathBuf::from),
            tcp: tcp.map(str::to_owned),
            json: false,
            timeout: 5,
        }
    }

    #[test]
    fn tcp_wins_then_socket_then_default() {
        assert_eq!(
            Target::from_args(&args(Some("/a.sock"), Some("http://127.0.0.1:1"))),
            Target::Tcp("http://127.0.0.1:1".into())
        );
        assert_eq!(
            Target::from_args(&args(Some("/a.sock"), None)),
            Target::Unix("/a.sock".into())
        );
        assert_eq!(
            Target::from_args(&args(None, None)),
            Target::Unix(default_socket_path())
        );
    }

    #[tokio::test]
    async fn a_missing_socket_is_unreachable_with_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("none.sock");
        let err = connect(&Target::Unix(path.clone()), Duration::from_secs(5))
            .await
            .unwrap_err();
        match &err {
            CtlError::Unreachable {
                target,
                detail,
                permission,
            } => {
                assert_eq!(target, &path.display().to_string());
                assert!(detail.contains("No such file"), "{detail}");
                assert!(!permission);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(err.exit_code(), crate::error::EXIT_UNREACHABLE);
    }
}
