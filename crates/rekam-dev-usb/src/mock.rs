//! A scripted USB transport for tests: an expectation queue of transfers, each with the reply
//! the device gives (after embedded-hal-mock's `Mock` with `done()`).
//!
//! A transfer that differs from the next expected one (another endpoint, other bytes, another
//! length) fails with [`UsbErrorKind::Io`], as a command off the recording does under umockdev
//! replay, and is recorded as a stray for [`ScriptHandle::done`] to report. The handle stays with
//! the test while the transport moves into the driver; it can also unplug the device.

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use crate::bus::{Connector, Presence};
use crate::error::{UsbError, UsbErrorKind};
use crate::transport::{ControlSetup, UsbTransport};

/// One expected transfer and the device's answer.
#[derive(Clone, PartialEq, Eq)]
pub enum Step {
    /// A bulk OUT transfer of exactly `data`; `result` is what the transfer returns.
    BulkOut {
        /// Endpoint address.
        endpoint: u8,
        /// The bytes the host must send.
        data: Vec<u8>,
        /// `Ok` (all written) or the failure.
        result: Result<(), UsbErrorKind>,
    },
    /// A bulk IN transfer with a buffer of `len` bytes; the device answers `reply`.
    BulkIn {
        /// Endpoint address.
        endpoint: u8,
        /// The buffer length the host must offer.
        len: usize,
        /// The bytes the device sends (at most `len`), or the failure.
        reply: Result<Vec<u8>, UsbErrorKind>,
    },
    /// An interrupt IN transfer.
    InterruptIn {
        /// Endpoint address.
        endpoint: u8,
        /// The buffer length the host must offer.
        len: usize,
        /// The bytes the device sends, or the failure.
        reply: Result<Vec<u8>, UsbErrorKind>,
    },
    /// A control transfer with an OUT (or no) data stage.
    ControlOut {
        /// The setup fields the host must send.
        setup: ControlSetup,
        /// The data stage the host must send.
        data: Vec<u8>,
        /// `Ok` or the failure.
        result: Result<(), UsbErrorKind>,
    },
    /// A control transfer with an IN data stage.
    ControlIn {
        /// The setup fields the host must send.
        setup: ControlSetup,
        /// The buffer length the host must offer.
        len: usize,
        /// The bytes the device sends, or the failure.
        reply: Result<Vec<u8>, UsbErrorKind>,
    },
}

impl fmt::Debug for Step {
    // Replies can be image data: show lengths, and the head of host commands only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::BulkOut { endpoint, data, .. } => {
                write!(f, "bulk out ep {endpoint:#04x} [{}]", hex_head(data, 12))
            }
            Step::BulkIn { endpoint, len, .. } => write!(f, "bulk in ep {endpoint:#04x} len {len}"),
            Step::InterruptIn { endpoint, len, .. } => {
                write!(f, "interrupt in ep {endpoint:#04x} len {len}")
            }
            Step::ControlOut { setup, data, .. } => {
                write!(f, "control out {setup:?} [{}]", hex_head(data, 12))
            }
            Step::ControlIn { setup, len, .. } => write!(f, "control in {setup:?} len {len}"),
        }
    }
}

fn hex_head(data: &[u8], n: usize) -> String {
    let mut s: String = data.iter().take(n).map(|b| format!("{b:02x}")).collect();
    if data.len() > n {
        s.push_str("..");
    }
    s
}

#[derive(Default)]
struct State {
    steps: VecDeque<Step>,
    strays: Vec<String>,
    unplugged: bool,
    denied: bool,
    transfers: usize,
    opens: usize,
}

/// The test's side of a [`ScriptedUsb`].
#[derive(Clone, Default)]
pub struct ScriptHandle {
    state: Arc<Mutex<State>>,
}

impl fmt::Debug for ScriptHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.lock();
        f.debug_struct("ScriptHandle")
            .field("remaining", &s.steps.len())
            .field("strays", &s.strays.len())
            .finish()
    }
}

impl ScriptHandle {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Appends expected transfers.
    pub fn push(&self, steps: impl IntoIterator<Item = Step>) {
        self.lock().steps.extend(steps);
    }

    /// Forgets the expected transfers not yet made.
    pub fn clear(&self) {
        self.lock().steps.clear();
    }

    /// From now on every transfer fails with `Disconnected` (the cable was pulled).
    pub fn unplug(&self) {
        self.lock().unplugged = true;
    }

    /// The device is back on the bus (transfers reach the script again).
    pub fn replug(&self) {
        self.lock().unplugged = false;
    }

    /// Makes [`ScriptedBus::open`] fail with `Access` (the udev rule is missing) or succeed.
    pub fn deny_access(&self, denied: bool) {
        self.lock().denied = denied;
    }

    /// Times [`ScriptedBus::open`] succeeded.
    pub fn opens(&self) -> usize {
        self.lock().opens
    }

    /// Expected transfers not yet made.
    pub fn remaining(&self) -> usize {
        self.lock().steps.len()
    }

    /// Transfers made so far (matching or not).
    pub fn transfers(&self) -> usize {
        self.lock().transfers
    }

    /// Transfers that strayed from the script, described.
    pub fn strays(&self) -> Vec<String> {
        self.lock().strays.clone()
    }

    /// `Ok` when every expected transfer was made and none strayed.
    pub fn done(&self) -> Result<(), String> {
        let s = self.lock();
        if !s.strays.is_empty() {
            return Err(format!("transfers off the script: {:?}", s.strays));
        }
        if !s.steps.is_empty() {
            return Err(format!(
                "{} expected transfers not made, next: {:?}",
                s.steps.len(),
                s.steps.front()
            ));
        }
        Ok(())
    }
}

/// A [`UsbTransport`] that plays a script.
#[derive(Debug)]
pub struct ScriptedUsb {
    handle: ScriptHandle,
}

impl ScriptedUsb {
    /// An empty script and its handle.
    pub fn new() -> (Self, ScriptHandle) {
        let handle = ScriptHandle::default();
        (
            ScriptedUsb {
                handle: handle.clone(),
            },
            handle,
        )
    }

    /// Takes the next step if `matches` accepts it; else records a stray and fails with `Io`.
    /// The scripted answer to an IN transfer: bulk, or interrupt when `interrupt`.
    fn read_in(
        &mut self,
        interrupt: bool,
        endpoint: u8,
        buf: &mut [u8],
    ) -> Result<usize, UsbError> {
        let len = buf.len();
        let what = if interrupt { "interrupt" } else { "bulk" };
        let made = format!("{what} in ep {endpoint:#04x} len {len}");
        let step = self.next(made, |s| match s {
            Step::BulkIn {
                endpoint: e,
                len: l,
                ..
            } => !interrupt && *e == endpoint && *l == len,
            Step::InterruptIn {
                endpoint: e,
                len: l,
                ..
            } => interrupt && *e == endpoint && *l == len,
            _ => false,
        })?;
        match step {
            Step::BulkIn { reply, .. } | Step::InterruptIn { reply, .. } => reply_into(reply, buf),
            _ => Err(UsbError::new(UsbErrorKind::Other, "script confusion")),
        }
    }

    fn next(&mut self, made: String, matches: impl Fn(&Step) -> bool) -> Result<Step, UsbError> {
        let mut s = self.handle.lock();
        s.transfers += 1;
        if s.unplugged {
            return Err(UsbError::new(
                UsbErrorKind::Disconnected,
                "scripted device unplugged",
            ));
        }
        if s.steps.front().is_some_and(&matches) {
            if let Some(step) = s.steps.pop_front() {
                return Ok(step);
            }
        }
        let expected = s
            .steps
            .front()
            .map_or_else(|| "end of script".to_owned(), |step| format!("{step:?}"));
        s.strays.push(format!("{made} (expected {expected})"));
        Err(UsbError::new(
            UsbErrorKind::Io,
            "transfer off the scripted conversation",
        ))
    }
}

/// A [`Connector`] whose device is a script: present unless unplugged through the handle,
/// opening into a [`ScriptedUsb`] over the same script.
#[derive(Debug)]
pub struct ScriptedBus {
    handle: ScriptHandle,
}

impl ScriptedBus {
    /// A bus with one scripted device, and the device's handle.
    pub fn new() -> (Self, ScriptHandle) {
        let handle = ScriptHandle::default();
        (
            ScriptedBus {
                handle: handle.clone(),
            },
            handle,
        )
    }
}

impl Connector for ScriptedBus {
    type Transport = ScriptedUsb;

    fn presence(&mut self) -> Result<Presence, UsbError> {
        Ok(if self.handle.lock().unplugged {
            Presence::Absent
        } else {
            Presence::Present { bus: 1, address: 2 }
        })
    }

    fn open(&mut self) -> Result<ScriptedUsb, UsbError> {
        let mut s = self.handle.lock();
        if s.unplugged {
            return Err(UsbError::new(
                UsbErrorKind::Disconnected,
                "the sensor is not plugged in",
            ));
        }
        if s.denied {
            return Err(UsbError::new(
                UsbErrorKind::Access,
                "opening the sensor: Access denied (insufficient permissions)",
            ));
        }
        s.opens += 1;
        Ok(ScriptedUsb {
            handle: self.handle.clone(),
        })
    }
}

fn reply_into(reply: Result<Vec<u8>, UsbErrorKind>, buf: &mut [u8]) -> Result<usize, UsbError> {
    match reply {
        Ok(bytes) => {
            let n = bytes.len().min(buf.len());
            buf[..n].copy_from_slice(&bytes[..n]);
            Ok(n)
        }
        Err(kind) => Err(UsbError::new(kind, "scripted failure")),
    }
}

impl UsbTransport for ScriptedUsb {
    fn write_bulk(
        &mut self,
        endpoint: u8,
        data: &[u8],
        _timeout: Duration,
    ) -> Result<usize, UsbError> {
        let made = format!(
            "{:?}",
            Step::BulkOut {
                endpoint,
                data: data.to_vec(),
                result: Ok(())
            }
        );
        let step = self.next(made, |s| {
            matches!(s, Step::BulkOut { endpoint: e, data: d, .. } if *e == endpoint && d == data)
        })?;
        match step {
            Step::BulkOut { result: Ok(()), .. } => Ok(data.len()),
            Step::BulkOut {
                result: Err(kind), ..
            } => Err(UsbError::new(kind, "scripted failure")),
            _ => Err(UsbError::new(UsbErrorKind::Other, "script confusion")),
        }
    }

    fn read_bulk(
        &mut self,
        endpoint: u8,
        buf: &mut [u8],
        _timeout: Duration,
    ) -> Result<usize, UsbError> {
        self.read_in(false, endpoint, buf)
    }

    fn read_interrupt(
        &mut self,
        endpoint: u8,
        buf: &mut [u8],
        _timeout: Duration,
    ) -> Result<usize, UsbError> {
        self.read_in(true, endpoint, buf)
    }

    fn write_control(
        &mut self,
        setup: ControlSetup,
        data: &[u8],
        _timeout: Duration,
    ) -> Result<usize, UsbError> {
        let made = format!("control out {setup:?} [{}]", hex_head(data, 12));
        let step = self.next(
            made,
            |s| matches!(s, Step::ControlOut { setup: x, data: d, .. } if *x == setup && d == data),
        )?;
        match step {
            Step::ControlOut { result: Ok(()), .. } => Ok(data.len()),
            Step::ControlOut {
                result: Err(kind), ..
            } => Err(UsbError::new(kind, "scripted failure")),
            _ => Err(UsbError::new(UsbErrorKind::Other, "script confusion")),
        }
    }

    fn read_control(
        &mut self,
        setup: ControlSetup,
        buf: &mut [u8],
        _timeout: Duration,
    ) -> Result<usize, UsbError> {
        let len = buf.len();
        let made = format!("control in {setup:?} len {len}");
        let step = self.next(
            made,
            |s| matches!(s, Step::ControlIn { setup: x, len: l, .. } if *x == setup && *l == len),
        )?;
        match step {
            Step::ControlIn { reply, .. } => reply_into(reply, buf),
            _ => Err(UsbError::new(UsbErrorKind::Other, "script confusion")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Duration = Duration::from_millis(10);

    #[test]
    fn plays_the_script_and_reports_strays() {
        let (mut usb, h) = ScriptedUsb::new();
        let setup = ControlSetup {
            request_type: 0xc0,
            request: 1,
            value: 0,
            index: 0,
        };
        h.push([
            Step::BulkOut {
                endpoint: 2,
                data: vec![1, 2],
                result: Ok(()),
            },
            Step::BulkIn {
                endpoint: 0x83,
                len: 4,
                reply: Ok(vec![9, 8]),
            },
            Step::ControlIn {
                setup,
                len: 1,
                reply: Ok(vec![7]),
            },
            Step::InterruptIn {
                endpoint: 0x81,
                len: 2,
                reply: Err(UsbErrorKind::Timeout),
            },
        ]);
        assert_eq!(usb.write_bulk(2, &[1, 2], T).ok(), Some(2));
        let mut buf = [0u8; 4];
        assert_eq!(usb.read_bulk(0x83, &mut buf, T).ok(), Some(2));
        assert_eq!(&buf[..2], &[9, 8]);
        // Wrong setup: a stray, and the step stays.
        let mut one = [0u8; 1];
        let other = ControlSetup {
            request: 2,
            ..setup
        };
        assert_eq!(
            usb.read_control(other, &mut one, T).unwrap_err().kind(),
            UsbErrorKind::Io
        );
        assert_eq!(usb.read_control(setup, &mut one, T).ok(), Some(1));
        let mut two = [0u8; 2];
        assert_eq!(
            usb.read_interrupt(0x81, &mut two, T).unwrap_err().kind(),
            UsbErrorKind::Timeout
        );
        assert_eq!(h.remaining(), 0);
        assert_eq!(h.strays().len(), 1);
        assert!(h.done().is_err());
    }

    #[test]
    fn end_of_script_and_unplug() {
        let (mut usb, h) = ScriptedUsb::new();
        assert_eq!(
            usb.write_control(
                ControlSetup {
                    request_type: 0x40,
                    request: 0,
                    value: 0,
                    index: 0
                },
                &[],
                T
            )
            .unwrap_err()
            .kind(),
            UsbErrorKind::Io
        );
        h.unplug();
        assert_eq!(
            usb.write_bulk(2, &[0], T).unwrap_err().kind(),
            UsbErrorKind::Disconnected
        );
        assert_eq!(h.transfers(), 2);
    }
}
