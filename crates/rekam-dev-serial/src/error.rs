//! The crate's error: one type with a [`SerialErrorKind`], mapped once onto rekam-hal's
//! [`DeviceError`] ([`From`] below). Messages never carry pen samples.

use std::fmt;

use rekam_hal::{DeviceError, ErrorKind};

/// What went wrong on the serial side, coarsely.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SerialErrorKind {
    /// The port is gone or not there (pad unplugged, line hung up).
    Disconnected,
    /// The device node exists but this process may not open it (udev permissions).
    Access,
    /// Another program holds the port (`TIOCEXCL`, `flock`).
    Busy,
    /// The call's deadline passed.
    Timeout,
    /// The caller cancelled.
    Cancelled,
    /// The selector or its options are wrong.
    InvalidInput,
    /// Bytes arrived, but not Topaz packets (wrong baud rate, parity or model).
    Protocol,
    /// Anything else the operating system reported.
    Other,
}

impl SerialErrorKind {
    /// A stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            SerialErrorKind::Disconnected => "disconnected",
            SerialErrorKind::Access => "access",
            SerialErrorKind::Busy => "busy",
            SerialErrorKind::Timeout => "timeout",
            SerialErrorKind::Cancelled => "cancelled",
            SerialErrorKind::InvalidInput => "invalid_input",
            SerialErrorKind::Protocol => "protocol",
            SerialErrorKind::Other => "other",
        }
    }
}

impl fmt::Display for SerialErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error from a serial pad: its kind, a message, and the OS error behind it.
#[derive(Debug, thiserror::Error)]
#[error("{message} ({kind})")]
pub struct SerialError {
    kind: SerialErrorKind,
    message: String,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl SerialError {
    /// An error of `kind`.
    pub fn new(kind: SerialErrorKind, message: impl Into<String>) -> Self {
        SerialError {
            kind,
            message: message.into(),
            source: None,
        }
    }

    /// Wraps an error of the `serialport` crate met while opening or configuring `what`.
    pub fn port(what: &str, e: serialport::Error) -> Self {
        use std::io::ErrorKind as Io;
        let kind = match e.kind() {
            // On Linux serialport reports EBUSY (TIOCEXCL held by someone else) as NoDevice.
            serialport::ErrorKind::NoDevice => SerialErrorKind::Busy,
            serialport::ErrorKind::InvalidInput => SerialErrorKind::InvalidInput,
            serialport::ErrorKind::Io(Io::NotFound) => SerialErrorKind::Disconnected,
            serialport::ErrorKind::Io(Io::PermissionDenied) => SerialErrorKind::Access,
            // ENODEV, ENXIO and friends: the node is there but the device behind it is not.
            serialport::ErrorKind::Unknown => SerialErrorKind::Disconnected,
            serialport::ErrorKind::Io(_) => SerialErrorKind::Other,
        };
        SerialError {
            kind,
            message: format!("{what}: {}", e.description),
            source: Some(Box::new(e)),
        }
    }

    /// Wraps an I/O error of a read or write on an open line. A hang-up (`EIO`, `EPIPE`, end
    /// of file) is a disconnection: the pad went away or the line was cut.
    pub fn io(what: &str, e: std::io::Error) -> Self {
        use std::io::ErrorKind as Io;
        let kind = match e.kind() {
            Io::TimedOut | Io::WouldBlock => SerialErrorKind::Timeout,
            Io::PermissionDenied => SerialErrorKind::Access,
            Io::Interrupted => SerialErrorKind::Other,
            _ => SerialErrorKind::Disconnected,
        };
        SerialError {
            kind,
            message: format!("{what}: {e}"),
            source: Some(Box::new(e)),
        }
    }

    /// The kind of failure.
    pub fn kind(&self) -> SerialErrorKind {
        self.kind
    }

    /// The message, without the kind.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl From<DeviceError> for SerialError {
    /// A [`rekam_hal::Control`] check failing (deadline or cancellation) inside the driver.
    fn from(e: DeviceError) -> Self {
        let kind = match e.kind() {
            ErrorKind::Cancelled => SerialErrorKind::Cancelled,
            ErrorKind::Timeout => SerialErrorKind::Timeout,
            ErrorKind::Disconnected => SerialErrorKind::Disconnected,
            ErrorKind::PermissionDenied => SerialErrorKind::Access,
            ErrorKind::Busy => SerialErrorKind::Busy,
            ErrorKind::InvalidInput => SerialErrorKind::InvalidInput,
            ErrorKind::Protocol => SerialErrorKind::Protocol,
            _ => SerialErrorKind::Other,
        };
        SerialError::new(kind, e.message().to_owned())
    }
}

impl From<SerialError> for DeviceError {
    fn from(e: SerialError) -> Self {
        let kind = match e.kind {
            SerialErrorKind::Disconnected => ErrorKind::Disconnected,
            SerialErrorKind::Access => ErrorKind::PermissionDenied,
            SerialErrorKind::Busy => ErrorKind::Busy,
            SerialErrorKind::Timeout => ErrorKind::Timeout,
            SerialErrorKind::Cancelled => ErrorKind::Cancelled,
            SerialErrorKind::InvalidInput => ErrorKind::InvalidInput,
            SerialErrorKind::Protocol => ErrorKind::Protocol,
            SerialErrorKind::Other => ErrorKind::Internal,
        };
        let message = e.message.clone();
        DeviceError::new(kind, message).with_source(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_errors_map_to_kinds_and_hal_kinds() {
        use std::io::ErrorKind as Io;
        let cases = [
            (
                serialport::ErrorKind::Io(Io::NotFound),
                SerialErrorKind::Disconnected,
                ErrorKind::Disconnected,
            ),
            (
                serialport::ErrorKind::Io(Io::PermissionDenied),
                SerialErrorKind::Access,
                ErrorKind::PermissionDenied,
            ),
            (
                serialport::ErrorKind::NoDevice,
                SerialErrorKind::Busy,
                ErrorKind::Busy,
            ),
            (
                serialport::ErrorKind::InvalidInput,
                SerialErrorKind::InvalidInput,
                ErrorKind::InvalidInput,
            ),
        ];
        for (os, kind, hal) in cases {
            let e = SerialError::port("opening /dev/ttyUSB9", serialport::Error::new(os, "x"));
            assert_eq!(e.kind(), kind);
            assert_eq!(DeviceError::from(e).kind(), hal);
        }
    }

    #[test]
    fn hang_ups_are_disconnections_and_control_errors_keep_their_kind() {
        let e = SerialError::io("reading", std::io::Error::other("EIO"));
        assert_eq!(e.kind(), SerialErrorKind::Disconnected);
        let e = SerialError::io("reading", std::io::ErrorKind::BrokenPipe.into());
        assert_eq!(e.kind(), SerialErrorKind::Disconnected);
        let e = SerialError::io("reading", std::io::ErrorKind::TimedOut.into());
        assert_eq!(e.kind(), SerialErrorKind::Timeout);
        assert_eq!(
            SerialError::from(DeviceError::cancelled()).kind(),
            SerialErrorKind::Cancelled
        );
        assert_eq!(
            SerialError::from(DeviceError::timeout("capture")).kind(),
            SerialErrorKind::Timeout
        );
    }
}
