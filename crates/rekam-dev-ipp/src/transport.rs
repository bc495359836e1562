//! The transport seam: "send one IPP request, get its response". The driver's protocol logic
//! (attributes, job submission with busy retries, following a job, cancelling it, mapping
//! printer conditions) sits above [`IppTransport`], so unit tests script responses with a fake
//! transport (STYLE item 3: probe-rs `StLink<D: StLinkUsb>`), while [`HttpTransport`] sends
//! them to a real printer with the `ipp` crate's blocking client.
//!
//! A transport returns the response whatever its IPP status code: a `server-error-busy`
//! arrives as `Ok` here, and the caller checks `status_code()`.

use std::time::Duration;

use ipp::prelude::{IppRequestResponse, Uri};
use rekam_hal::ErrorKind;

/// Why a request got no IPP response at all.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// Nobody answered at the address (refused, unreachable, name not found).
    #[error("the printer cannot be reached: {0}")]
    Unreachable(String),
    /// The request did not finish within its time budget.
    #[error("the printer did not answer in time")]
    Timeout,
    /// Something answered, but not with an IPP response (HTTP error status, bad body).
    #[error("the printer's answer is not a valid IPP response: {0}")]
    Protocol(String),
    /// The request could not be built (a bug or a bad printer URI).
    #[error("the IPP request cannot be built: {0}")]
    Request(String),
}

impl TransportError {
    /// The hal error kind this failure means.
    pub fn kind(&self) -> ErrorKind {
        match self {
            TransportError::Unreachable(_) => ErrorKind::Disconnected,
            TransportError::Timeout => ErrorKind::Timeout,
            TransportError::Protocol(_) => ErrorKind::Protocol,
            TransportError::Request(_) => ErrorKind::InvalidInput,
        }
    }
}

/// Sends one IPP request and returns the printer's response (any IPP status).
pub trait IppTransport: Send {
    /// The printer URI requests are addressed to.
    fn uri(&self) -> &Uri;

    /// Sends `request`, waiting at most `timeout` for the whole exchange.
    fn send(
        &mut self,
        request: IppRequestResponse,
        timeout: Duration,
    ) -> Result<IppRequestResponse, TransportError>;
}

/// The real transport: IPP over HTTP with the `ipp` crate's blocking client (plain `ipp://`).
#[derive(Debug, Clone)]
pub struct HttpTransport {
    uri: Uri,
}

impl HttpTransport {
    /// A transport to the printer at `uri` (`ipp://host:port/path`).
    pub fn new(uri: &str) -> Result<Self, TransportError> {
        let uri = uri
            .parse::<Uri>()
            .map_err(|e| TransportError::Request(format!("{e}")))?;
        match uri.scheme_str() {
            Some("ipp") => Ok(HttpTransport { uri }),
            Some("ipps") => Err(TransportError::Request(
                "ipps:// needs TLS, which this build does not include; use ipp:// (a local \
                 CUPS queue or a printer on the station's own network)"
                    .into(),
            )),
            _ => Err(TransportError::Request(
                "the printer URI must start with ipp://".into(),
            )),
        }
    }
}

impl IppTransport for HttpTransport {
    fn uri(&self) -> &Uri {
        &self.uri
    }

    fn send(
        &mut self,
        request: IppRequestResponse,
        timeout: Duration,
    ) -> Result<IppRequestResponse, TransportError> {
        if timeout.is_zero() {
            return Err(TransportError::Timeout);
        }
        let client = ipp::client::blocking::IppClient::builder(self.uri.clone())
            .request_timeout(timeout)
            .build();
        client.send(request).map_err(map_ipp_error)
    }
}

fn map_ipp_error(e: ipp::error::IppError) -> TransportError {
    use ipp::error::IppError as E;
    match e {
        E::ClientError(e) => match e {
            ureq::Error::Timeout(_) => TransportError::Timeout,
            ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => {
                TransportError::Unreachable(e.to_string())
            }
            ureq::Error::Io(io) => match io.kind() {
                std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => {
                    TransportError::Timeout
                }
                _ => TransportError::Unreachable(io.to_string()),
            },
            ureq::Error::StatusCode(code) => {
                TransportError::Protocol(format!("HTTP status {code}"))
            }
            other => TransportError::Protocol(other.to_string()),
        },
        E::IoError(io) => match io.kind() {
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => {
                TransportError::Timeout
            }
            _ => TransportError::Unreachable(io.to_string()),
        },
        E::RequestError(code) => TransportError::Protocol(format!("HTTP status {code}")),
        E::InvalidUri(e) => TransportError::Request(e.to_string()),
        E::HttpError(e) => TransportError::Request(e.to_string()),
        other => TransportError::Protocol(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_ipp_uris_are_taken() {
        assert!(HttpTransport::new("ipp://localhost:8631/ipp/print").is_ok());
        let e = HttpTransport::new("ipps://printer/ipp/print").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert!(HttpTransport::new("http://printer/ipp").is_err());
    }

    #[test]
    fn a_closed_port_is_unreachable() {
        // Bind a port, then free it: nothing listens there.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut t = HttpTransport::new(&format!("ipp://127.0.0.1:{port}/ipp/print")).unwrap();
        let req = IppRequestResponse::new(
            ipp::model::IppVersion::v1_1(),
            ipp::model::Operation::GetPrinterAttributes,
            Some(t.uri().clone()),
        )
        .unwrap();
        let e = t
            .send(req, Duration::from_secs(5))
            .err()
            .expect("nothing listens there");
        assert_eq!(e.kind(), ErrorKind::Disconnected, "{e}");
    }
}
