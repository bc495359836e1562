//! Reaching `rekamd`: the default socket path (the daemon resolves "auto" the same way) and a
//! tonic channel over a Unix socket or loopback TCP.

use std::path::{Path, PathBuf};

use hyper_util::rt::TokioIo;
use tokio::net::UnixStream;
use tonic::transport::{Channel, Endpoint, Uri};
use tower::service_fn;

/// The socket's file name inside its directory.
pub const SOCKET_NAME: &str = "rekamd.sock";

/// The socket path when none is configured: systemd's `$RUNTIME_DIRECTORY`, then
/// `/run/rekam/rekamd.sock` for root, `$XDG_RUNTIME_DIR/rekam/rekamd.sock` for other users, and
/// `/tmp/rekam-UID/rekamd.sock` as a last resort.
pub fn default_socket_path() -> PathBuf {
    if let Some(dir) = std::env::var_os("RUNTIME_DIRECTORY") {
        let dir = dir
            .to_string_lossy()
            .split(':')
            .next()
            .unwrap_or_default()
            .to_owned();
        if !dir.is_empty() {
            return PathBuf::from(dir).join(SOCKET_NAME);
        }
    }
    let uid = nix::unistd::geteuid();
    if uid.is_root() {
        return PathBuf::from("/run/rekam").join(SOCKET_NAME);
    }
    if let Some(dir) = std::env::var_os("XDG_RUNTIME_DIR") {
        return PathBuf::from(dir).join("rekam").join(SOCKET_NAME);
    }
    PathBuf::from(format!("/tmp/rekam-{uid}")).join(SOCKET_NAME)
}

/// Connects to `rekamd` on a Unix socket.
pub async fn connect_unix(path: &Path) -> Result<Channel, tonic::transport::Error> {
    let path = path.to_owned();
    // The URI is required by tonic but unused: the connector below opens the socket.
    Endpoint::from_static("http://rekamd.local")
        .connect_with_connector(service_fn(move |_: Uri| {
            let path = path.clone();
            async move { Ok::<_, std::io::Error>(TokioIo::new(UnixStream::connect(path).await?)) }
        }))
        .await
}

/// Connects to `rekamd` over TCP (`http://127.0.0.1:50051`).
pub async fn connect_tcp(uri: &str) -> Result<Channel, tonic::transport::Error> {
    Endpoint::from_shared(uri.to_owned())?.connect().await
}
