//! The crate's error: one type with a [`UsbErrorKind`], mapped once onto rekam-hal's
//! [`DeviceError`] ([`From`] below). Messages never carry image bytes.

use std::fmt;

use rekam_hal::{DeviceError, ErrorKind};

/// What went wrong on the USB side, coarsely.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UsbErrorKind {
    /// The device went away (libusb `NO_DEVICE`), or is not plugged in.
    Disconnected,
    /// The device node exists but this process may not open it (udev permissions).
    Access,
    /// Another process (or a kernel driver) holds the interface.
    Busy,
    /// A transfer did not complete in time.
    Timeout,
    /// The caller cancelled.
    Cancelled,
    /// A transfer failed (libusb `IO`, `PIPE`, `OVERFLOW`): the conversation with the device
    /// broke. Under umockdev replay this is what a command off the recording gets.
    Io,
    /// The device answered, but not what the protocol says it answers.
    Protocol,
    /// No device matches the selector.
    NotFound,
    /// libusb itself failed (no memory, not supported, bad parameter).
    Other,
}

impl UsbErrorKind {
    /// A stable snake_case name (used by the capture tool's output and in logs).
    pub fn as_str(self) -> &'static str {
        match self {
            UsbErrorKind::Disconnected => "disconnected",
            UsbErrorKind::Access => "access",
            UsbErrorKind::Busy => "busy",
            UsbErrorKind::Timeout => "timeout",
            UsbErrorKind::Cancelled => "cancelled",
            UsbErrorKind::Io => "io",
            UsbErrorKind::Protocol => "protocol",
            UsbErrorKind::NotFound => "not_found",
            UsbErrorKind::Other => "other",
        }
    }
}

impl fmt::Display for UsbErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error from a USB sensor: its kind, a message, and the libusb error behind it.
#[derive(Debug, thiserror::Error)]
#[error("{message} ({kind})")]
pub struct UsbError {
    kind: UsbErrorKind,
    message: String,
    #[source]
    source: Option<rusb::Error>,
}

impl UsbError {
    /// An error of `kind`.
    pub fn new(kind: UsbErrorKind, message: impl Into<String>) -> Self {
        UsbError {
            kind,
            message: message.into(),
            source: None,
        }
    }

    /// A protocol error: the device answered something unexpected.
    pub fn protocol(message: impl Into<String>) -> Self {
        Self::new(UsbErrorKind::Protocol, message)
    }

    /// Wraps a libusb error met while doing `what`.
    pub fn libusb(what: &str, e: rusb::Error) -> Self {
        let kind = match e {
            rusb::Error::NoDevice => UsbErrorKind::Disconnected,
            rusb::Error::Access => UsbErrorKind::Access,
            rusb::Error::Busy => UsbErrorKind::Busy,
            rusb::Error::Timeout => UsbErrorKind::Timeout,
            rusb::Error::NotFound => UsbErrorKind::NotFound,
            rusb::Error::Io | rusb::Error::Pipe | rusb::Error::Overflow => UsbErrorKind::Io,
            rusb::Error::Interrupted
            | rusb::Error::InvalidParam
            | rusb::Error::NoMem
            | rusb::Error::NotSupported
            | rusb::Error::BadDescriptor
            | rusb::Error::Other => UsbErrorKind::Other,
        };
        UsbError {
            kind,
            message: format!("{what}: {e}"),
            source: Some(e),
        }
    }

    /// The kind of failure.
    pub fn kind(&self) -> UsbErrorKind {
        self.kind
    }

    /// The message, without the kind.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl From<DeviceError> for UsbError {
    /// A [`rekam_hal::Control`] check failing (deadline or cancellation) inside the protocol.
    fn from(e: DeviceError) -> Self {
        let kind = match e.kind() {
            ErrorKind::Cancelled => UsbErrorKind::Cancelled,
            ErrorKind::Timeout => UsbErrorKind::Timeout,
            ErrorKind::Disconnected => UsbErrorKind::Disconnected,
            ErrorKind::PermissionDenied => UsbErrorKind::Access,
            ErrorKind::Busy => UsbErrorKind::Busy,
            ErrorKind::NotFound => UsbErrorKind::NotFound,
            ErrorKind::Protocol => UsbErrorKind::Protocol,
            _ => UsbErrorKind::Other,
        };
        UsbError::new(kind, e.message().to_owned())
    }
}

impl From<UsbError> for DeviceError {
    fn from(e: UsbError) -> Self {
        let kind = match e.kind {
            UsbErrorKind::Disconnected => ErrorKind::Disconnected,
            UsbErrorKind::Access => ErrorKind::PermissionDenied,
            UsbErrorKind::Busy => ErrorKind::Busy,
            UsbErrorKind::Timeout => ErrorKind::Timeout,
            UsbErrorKind::Cancelled => ErrorKind::Cancelled,
            // A broken transfer leaves the sensor in an unknown state: the driver drops its
            // handle and reopens on the next call; for the workflow it is a hardware fault.
            UsbErrorKind::Io => ErrorKind::Hardware,
            UsbErrorKind::Protocol => ErrorKind::Protocol,
            UsbErrorKind::NotFound => ErrorKind::NotFound,
            UsbErrorKind::Other => ErrorKind::Internal,
        };
        let message = e.message.clone();
        DeviceError::new(kind, message).with_source(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libusb_errors_map_to_kinds_and_hal_kinds() {
        let cases = [
            (
                rusb::Error::NoDevice,
                UsbErrorKind::Disconnected,
                ErrorKind::Disconnected,
            ),
            (
                rusb::Error::Access,
                UsbErrorKind::Access,
                ErrorKind::PermissionDenied,
            ),
            (rusb::Error::Io, UsbErrorKind::Io, ErrorKind::Hardware),
            (rusb::Error::Pipe, UsbErrorKind::Io, ErrorKind::Hardware),
            (
                rusb::Error::Timeout,
                UsbErrorKind::Timeout,
                ErrorKind::Timeout,
            ),
            (rusb::Error::Busy, UsbErrorKind::Busy, ErrorKind::Busy),
        ];
        for (libusb, kind, hal) in cases {
            let e = UsbError::libusb("bulk read", libusb);
            assert_eq!(e.kind(), kind);
            assert_eq!(DeviceError::from(e).kind(), hal);
        }
    }

    #[test]
    fn control_errors_keep_cancel_and_timeout_apart() {
        let c = UsbError::from(DeviceError::cancelled());
        assert_eq!(c.kind(), UsbErrorKind::Cancelled);
        let t = UsbError::from(DeviceError::timeout("capture"));
        assert_eq!(t.kind(), UsbErrorKind::Timeout);
    }
}
