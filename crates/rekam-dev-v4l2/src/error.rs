//! The crate's error: one type with a [`CameraErrorKind`], mapped once onto rekam-hal's
//! [`DeviceError`] ([`From`] below). Messages never carry pixels.

use std::fmt;

use rekam_hal::{DeviceError, ErrorKind};

/// What went wrong with a camera, coarsely.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CameraErrorKind {
    /// The camera is gone or not plugged in (`ENOENT`, `ENODEV`, `ENXIO`).
    Disconnected,
    /// The device node refuses this user (udev permissions).
    Access,
    /// Another program streams from the camera (`EBUSY`).
    Busy,
    /// No frame came in time.
    Timeout,
    /// The caller cancelled.
    Cancelled,
    /// The camera offers no format this driver decodes, or no control asked for.
    Unsupported,
    /// A frame did not decode (truncated or corrupt).
    Decode,
    /// The selector or its options are wrong.
    InvalidInput,
    /// Any other I/O or ioctl failure.
    Io,
}

impl CameraErrorKind {
    /// A stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            CameraErrorKind::Disconnected => "disconnected",
            CameraErrorKind::Access => "access",
            CameraErrorKind::Busy => "busy",
            CameraErrorKind::Timeout => "timeout",
            CameraErrorKind::Cancelled => "cancelled",
            CameraErrorKind::Unsupported => "unsupported",
            CameraErrorKind::Decode => "decode",
            CameraErrorKind::InvalidInput => "invalid_input",
            CameraErrorKind::Io => "io",
        }
    }
}

impl fmt::Display for CameraErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error from a camera: its kind, a message, and the error behind it.
#[derive(Debug, thiserror::Error)]
#[error("{message} ({kind})")]
pub struct CameraError {
    kind: CameraErrorKind,
    message: String,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl CameraError {
    /// An error of `kind`.
    pub fn new(kind: CameraErrorKind, message: impl Into<String>) -> Self {
        CameraError {
            kind,
            message: message.into(),
            source: None,
        }
    }

    /// Wraps an I/O error (the v4l crate reports ioctl failures as `io::Error`) met while
    /// doing `what`.
    pub fn io(what: &str, e: std::io::Error) -> Self {
        use std::io::ErrorKind as Io;
        let kind = match (e.kind(), e.raw_os_error()) {
            (_, Some(19 /* ENODEV */ | 6 /* ENXIO */)) | (Io::NotFound, _) => {
                CameraErrorKind::Disconnected
            }
            (Io::PermissionDenied, _) => CameraErrorKind::Access,
            (_, Some(16 /* EBUSY */)) => CameraErrorKind::Busy,
            (Io::TimedOut, _) => CameraErrorKind::Timeout,
            (_, Some(22 /* EINVAL */ | 25 /* ENOTTY */)) => CameraErrorKind::Unsupported,
            _ => CameraErrorKind::Io,
        };
        CameraError {
            kind,
            message: format!("{what}: {e}"),
            source: Some(Box::new(e)),
        }
    }

    /// A frame that does not decode.
    pub fn decode(message: impl Into<String>) -> Self {
        Self::new(CameraErrorKind::Decode, message)
    }

    /// The kind of failure.
    pub fn kind(&self) -> CameraErrorKind {
        self.kind
    }

    /// The message, without the kind.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl From<DeviceError> for CameraError {
    /// A [`rekam_hal::Control`] check failing (deadline or cancellation) inside the driver.
    fn from(e: DeviceError) -> Self {
        let kind = match e.kind() {
            ErrorKind::Cancelled => CameraErrorKind::Cancelled,
            ErrorKind::Timeout => CameraErrorKind::Timeout,
            ErrorKind::Disconnected => CameraErrorKind::Disconnected,
            ErrorKind::PermissionDenied => CameraErrorKind::Access,
            ErrorKind::Busy => CameraErrorKind::Busy,
            ErrorKind::Unsupported => CameraErrorKind::Unsupported,
            ErrorKind::InvalidInput => CameraErrorKind::InvalidInput,
            _ => CameraErrorKind::Io,
        };
        CameraError::new(kind, e.message().to_owned())
    }
}

impl From<CameraError> for DeviceError {
    fn from(e: CameraError) -> Self {
        let kind = match e.kind {
            CameraErrorKind::Disconnected => ErrorKind::Disconnected,
            CameraErrorKind::Access => ErrorKind::PermissionDenied,
            CameraErrorKind::Busy => ErrorKind::Busy,
            CameraErrorKind::Timeout => ErrorKind::Timeout,
            CameraErrorKind::Cancelled => ErrorKind::Cancelled,
            CameraErrorKind::Unsupported => ErrorKind::Unsupported,
            CameraErrorKind::Decode => ErrorKind::Protocol,
            CameraErrorKind::InvalidInput => ErrorKind::InvalidInput,
            CameraErrorKind::Io => ErrorKind::Hardware,
        };
        let message = e.message.clone();
        DeviceError::new(kind, message).with_source(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_errors_map_to_kinds_and_hal_kinds() {
        let cases = [
            (19, CameraErrorKind::Disconnected, ErrorKind::Disconnected),
            (2, CameraErrorKind::Disconnected, ErrorKind::Disconnected),
            (13, CameraErrorKind::Access, ErrorKind::PermissionDenied),
            (16, CameraErrorKind::Busy, ErrorKind::Busy),
            (22, CameraErrorKind::Unsupported, ErrorKind::Unsupported),
            (5, CameraErrorKind::Io, ErrorKind::Hardware),
        ];
        for (errno, kind, hal) in cases {
            let e = CameraError::io("VIDIOC_S_FMT", std::io::Error::from_raw_os_error(errno));
            assert_eq!(e.kind(), kind, "errno {errno}");
            assert_eq!(DeviceError::from(e).kind(), hal, "errno {errno}");
        }
        assert_eq!(
            DeviceError::from(CameraError::decode("truncated")).kind(),
            ErrorKind::Protocol
        );
        assert_eq!(
            CameraError::from(DeviceError::cancelled()).kind(),
            CameraErrorKind::Cancelled
        );
    }
}
