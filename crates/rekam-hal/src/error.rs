//! Device errors: one error type with a stable [`ErrorKind`], a message, and the device and
//! printer condition it concerns. Exactly one place (`rekam_proto::status`) turns kinds into
//! gRPC status codes; nothing matches on message text.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::device::Condition;
use crate::id::DeviceId;

/// Result of every device call.
pub type Result<T, E = DeviceError> = std::result::Result<T, E>;

/// What went wrong, coarsely, for callers that decide what to do next.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The device went away (unplugged, powered off, printer offline).
    Disconnected,
    /// The device is in use by another caller or reports itself busy; try later.
    Busy,
    /// The device is present but this process may not open it (udev permissions).
    PermissionDenied,
    /// No device matches the selector.
    NotFound,
    /// The call's deadline passed before the device answered.
    Timeout,
    /// The caller cancelled the call.
    Cancelled,
    /// The device answered something the driver did not expect.
    Protocol,
    /// The device reports a hardware fault (jam, chip write error, sensor fault).
    Hardware,
    /// The request itself is wrong (bad parameters, oversized data).
    InvalidInput,
    /// The device cannot do this at all.
    Unsupported,
    /// A consumable ran out (blank cards, ribbon, paper).
    OutOfSupplies,
    /// The card left the encoder or printer while it was being worked on.
    CardRemoved,
    /// A bug or an unexpected state inside the driver.
    Internal,
}

impl ErrorKind {
    /// True when trying the same call again later may succeed without anyone acting.
    pub fn is_transient(self) -> bool {
        matches!(self, ErrorKind::Busy | ErrorKind::Timeout)
    }

    /// A stable snake_case name, used in logs and journals.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Disconnected => "disconnected",
            ErrorKind::Busy => "busy",
            ErrorKind::PermissionDenied => "permission_denied",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Cancelled => "cancelled",
            ErrorKind::Protocol => "protocol",
            ErrorKind::Hardware => "hardware",
            ErrorKind::InvalidInput => "invalid_input",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::OutOfSupplies => "out_of_supplies",
            ErrorKind::CardRemoved => "card_removed",
            ErrorKind::Internal => "internal",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error from a device call.
///
/// ```
/// use rekam_hal::{DeviceError, ErrorKind, Condition};
/// let e = DeviceError::new(ErrorKind::OutOfSupplies, "no blank cards in the hopper")
///     .with_condition(Condition::MediaEmpty);
/// assert_eq!(e.kind(), ErrorKind::OutOfSupplies);
/// assert_eq!(e.condition(), Some(Condition::MediaEmpty));
/// assert!(e.to_string().contains("no blank cards"));
/// ```
#[derive(Debug, thiserror::Error)]
pub struct DeviceError {
    kind: ErrorKind,
    message: String,
    device: Option<DeviceId>,
    condition: Option<Condition>,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl fmt::Display for DeviceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(device) = &self.device {
            write!(f, "{device}: ")?;
        }
        write!(f, "{} ({})", self.message, self.kind)
    }
}

impl DeviceError {
    /// An error of `kind` with a human message (never personal data).
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        DeviceError {
            kind,
            message: message.into(),
            device: None,
            condition: None,
            source: None,
        }
    }

    /// Shorthand for a [`ErrorKind::Cancelled`] error.
    pub fn cancelled() -> Self {
        Self::new(ErrorKind::Cancelled, "cancelled by the caller")
    }

    /// Shorthand for a [`ErrorKind::Timeout`] error.
    pub fn timeout(what: &str) -> Self {
        Self::new(
            ErrorKind::Timeout,
            format!("{what} did not finish before its deadline"),
        )
    }

    /// Names the device the error is about.
    pub fn with_device(mut self, device: DeviceId) -> Self {
        self.device = Some(device);
        self
    }

    /// Attaches the device condition behind the error (a printer's `media-empty`, say).
    pub fn with_condition(mut self, condition: Condition) -> Self {
        self.condition = Some(condition);
        self
    }

    /// Attaches the underlying error.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message, without the device prefix.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The device the error is about, if known.
    pub fn device(&self) -> Option<&DeviceId> {
        self.device.as_ref()
    }

    /// The device condition behind the error, if any.
    pub fn condition(&self) -> Option<Condition> {
        self.condition
    }
}
