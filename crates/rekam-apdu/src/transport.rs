//! The transport seam: one encoded command APDU in, one encoded response APDU out.
//!
//! A PC/SC driver implements [`Transport`] over `SCardTransmit`; tests use
//! [`ScriptedTransport`], an expectation queue of (command, response) pairs in the spirit of
//! embedded-hal-mock, with [`ScriptedTransport::done`] to check that every expected command
//! was sent.

use std::collections::VecDeque;
use std::fmt;

use rekam_hal::{Control, DeviceError, ErrorKind};

/// What went wrong below the APDU layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// The card left the field or was reset by someone else.
    CardRemoved,
    /// The reader went away (unplugged) or the PC/SC service stopped.
    ReaderGone,
    /// The call's deadline passed.
    Timeout,
    /// The caller cancelled.
    Cancelled,
    /// Another process holds the card.
    Busy,
    /// The reader or card answered something that is not an APDU.
    Protocol,
    /// Anything else.
    Other,
}

/// An error from a [`Transport`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TransportError {
    /// The kind.
    pub kind: TransportErrorKind,
    /// A message without personal data.
    pub message: String,
}

impl TransportError {
    /// An error of `kind`.
    pub fn new(kind: TransportErrorKind, message: impl Into<String>) -> TransportError {
        TransportError {
            kind,
            message: message.into(),
        }
    }

    /// From a [`Control`] check failure (timeout or cancellation).
    pub fn from_control(e: &DeviceError) -> TransportError {
        let kind = match e.kind() {
            ErrorKind::Cancelled => TransportErrorKind::Cancelled,
            ErrorKind::Timeout => TransportErrorKind::Timeout,
            _ => TransportErrorKind::Other,
        };
        TransportError::new(kind, e.message())
    }
}

/// Sends encoded APDUs to a card.
pub trait Transport {
    /// Sends `command` and returns the response bytes (data then SW1 SW2). Must return within
    /// `ctl`'s deadline and stop early when its token is cancelled.
    fn transmit(&mut self, command: &[u8], ctl: &Control) -> Result<Vec<u8>, TransportError>;
}

impl<T: Transport + ?Sized> Transport for &mut T {
    fn transmit(&mut self, command: &[u8], ctl: &Control) -> Result<Vec<u8>, TransportError> {
        (**self).transmit(command, ctl)
    }
}

impl<T: Transport + ?Sized> Transport for Box<T> {
    fn transmit(&mut self, command: &[u8], ctl: &Control) -> Result<Vec<u8>, TransportError> {
        (**self).transmit(command, ctl)
    }
}

/// One step of a [`ScriptedTransport`].
#[derive(Clone)]
enum Step {
    /// Expect exactly these command bytes and answer with these response bytes.
    Exchange(Vec<u8>, Vec<u8>),
    /// Expect exactly these command bytes and fail with this error.
    Fail(Vec<u8>, TransportError),
}

/// A transport that plays a script: each `transmit` must send the next expected command and
/// gets its scripted answer. A command off the script fails with a `Protocol` error that
/// names both commands (hex).
///
/// ```
/// use rekam_apdu::{ScriptedTransport, Transport};
/// use rekam_hal::Control;
/// use std::time::Duration;
/// let mut t = ScriptedTransport::new().expect("00A4000C023F00", "9000");
/// let ctl = Control::with_timeout(Duration::from_secs(1));
/// assert_eq!(t.transmit(&[0, 0xA4, 0, 0x0C, 2, 0x3F, 0], &ctl).unwrap(), [0x90, 0]);
/// t.done();
/// ```
#[derive(Default)]
pub struct ScriptedTransport {
    steps: VecDeque<Step>,
    sent: Vec<Vec<u8>>,
}

impl fmt::Debug for ScriptedTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScriptedTransport")
            .field("pending", &self.steps.len())
            .field("sent", &self.sent.len())
            .finish()
    }
}

fn unhex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s
        .bytes()
        .filter(|b| !b.is_ascii_whitespace())
        .map(|b| match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            b'A'..=b'F' => b - b'A' + 10,
            _ => 0xFF,
        })
        .collect();
    assert!(
        digits.len().is_multiple_of(2) && digits.iter().all(|d| *d < 16),
        "bad hex in a script: {s}"
    );
    digits.chunks(2).map(|p| (p[0] << 4) | p[1]).collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

impl ScriptedTransport {
    /// An empty script.
    pub fn new() -> ScriptedTransport {
        ScriptedTransport::default()
    }

    /// Expects `command` (hex, spaces allowed) and answers `response` (hex). Panics on bad
    /// hex: scripts are test code.
    pub fn expect(self, command: &str, response: &str) -> ScriptedTransport {
        self.expect_bytes(unhex(command), unhex(response))
    }

    /// Expects `command` and answers `response`.
    pub fn expect_bytes(mut self, command: Vec<u8>, response: Vec<u8>) -> ScriptedTransport {
        self.steps.push_back(Step::Exchange(command, response));
        self
    }

    /// Expects `command` (hex) and fails with `error`.
    pub fn fail(mut self, command: &str, error: TransportError) -> ScriptedTransport {
        self.steps.push_back(Step::Fail(unhex(command), error));
        self
    }

    /// Every command sent so far.
    pub fn sent(&self) -> &[Vec<u8>] {
        &self.sent
    }

    /// Panics unless every scripted step was used.
    pub fn done(&self) {
        assert!(
            self.steps.is_empty(),
            "{} scripted exchanges were not used",
            self.steps.len()
        );
    }
}

impl Transport for ScriptedTransport {
    fn transmit(&mut self, command: &[u8], ctl: &Control) -> Result<Vec<u8>, TransportError> {
        ctl.check().map_err(|e| TransportError::from_control(&e))?;
        self.sent.push(command.to_vec());
        let off_script = |expected: &[u8]| {
            TransportError::new(
                TransportErrorKind::Protocol,
                format!(
                    "off script: sent {}, expected {}",
                    hex(command),
                    hex(expected)
                ),
            )
        };
        match self.steps.pop_front() {
            None => Err(off_script(&[])),
            Some(Step::Exchange(expected, response)) => {
                if expected != command {
                    return Err(off_script(&expected));
                }
                Ok(response)
            }
            Some(Step::Fail(expected, error)) => {
                if expected != command {
                    return Err(off_script(&expected));
                }
                Err(error)
            }
        }
    }
}
