//! Scripted lines for unit tests: a [`ScriptedConnector`] hands out one [`ScriptedLine`] per
//! open, each playing a script of byte chunks, silences and a hang-up, and records what the
//! driver wrote. A [`MockHandle`] shared with the test reads the record afterwards.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use crate::error::{SerialError, SerialErrorKind};
use crate::transport::{ByteStream, Connector};

/// One step of a scripted line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// These bytes arrive (a read may take them in several parts).
    Bytes(Vec<u8>),
    /// Nothing arrives for this long (real time: keep it short).
    Silence(Duration),
    /// The line hangs up (reads fail with `Disconnected`).
    Hangup,
}

#[derive(Debug, Default)]
struct Record {
    written: Vec<u8>,
    opens: usize,
    discards: usize,
}

/// What the test sees of the scripted lines.
#[derive(Debug, Clone, Default)]
pub struct MockHandle {
    record: Arc<Mutex<Record>>,
}

impl MockHandle {
    fn with<T>(&self, f: impl FnOnce(&mut Record) -> T) -> T {
        f(&mut self.record.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Every byte the driver wrote, over all lines.
    pub fn written(&self) -> Vec<u8> {
        self.with(|r| r.written.clone())
    }

    /// How many lines the driver opened.
    pub fn opens(&self) -> usize {
        self.with(|r| r.opens)
    }

    /// How often the driver discarded pending input.
    pub fn discards(&self) -> usize {
        self.with(|r| r.discards)
    }
}

/// One scripted open line.
#[derive(Debug)]
pub struct ScriptedLine {
    steps: VecDeque<Step>,
    handle: MockHandle,
    hung_up: bool,
}

impl ByteStream for ScriptedLine {
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, SerialError> {
        if self.hung_up {
            return Err(SerialError::new(
                SerialErrorKind::Disconnected,
                "scripted hang-up",
            ));
        }
        match self.steps.pop_front() {
            Some(Step::Bytes(mut bytes)) => {
                let n = bytes.len().min(buf.len());
                buf[..n].copy_from_slice(&bytes[..n]);
                if n < bytes.len() {
                    bytes.drain(..n);
                    self.steps.push_front(Step::Bytes(bytes));
                }
                Ok(n)
            }
            Some(Step::Silence(d)) => {
                let wait = d.min(timeout);
                std::thread::sleep(wait);
                if d > wait {
                    self.steps.push_front(Step::Silence(d - wait));
                }
                Ok(0)
            }
            Some(Step::Hangup) => {
                self.hung_up = true;
                Err(SerialError::new(
                    SerialErrorKind::Disconnected,
                    "scripted hang-up",
                ))
            }
            None => {
                // The script is over: the line stays silent.
                std::thread::sleep(timeout);
                Ok(0)
            }
        }
    }

    fn write_all(&mut self, data: &[u8]) -> Result<(), SerialError> {
        if self.hung_up {
            return Err(SerialError::new(
                SerialErrorKind::Disconnected,
                "scripted hang-up",
            ));
        }
        self.handle.with(|r| r.written.extend_from_slice(data));
        Ok(())
    }

    fn discard_input(&mut self) -> Result<(), SerialError> {
        // A script is what arrives after the capture started: nothing to throw away.
        self.handle.with(|r| r.discards += 1);
        Ok(())
    }
}

/// Hands out scripted lines, one per open, in order; once they are used up, opening fails
/// with `Disconnected` (the pad is unplugged).
#[derive(Debug)]
pub struct ScriptedConnector {
    scripts: VecDeque<Vec<Step>>,
    handle: MockHandle,
}

impl ScriptedConnector {
    /// A connector for these scripts, and the test's handle.
    pub fn new(scripts: Vec<Vec<Step>>) -> (Self, MockHandle) {
        let handle = MockHandle::default();
        (
            ScriptedConnector {
                scripts: scripts.into(),
                handle: handle.clone(),
            },
            handle,
        )
    }
}

impl Connector for ScriptedConnector {
    type Stream = ScriptedLine;

    fn open(&mut self) -> Result<ScriptedLine, SerialError> {
        let steps = self.scripts.pop_front().ok_or_else(|| {
            SerialError::new(SerialErrorKind::Disconnected, "no scripted line left")
        })?;
        self.handle.with(|r| r.opens += 1);
        Ok(ScriptedLine {
            steps: steps.into(),
            handle: self.handle.clone(),
            hung_up: false,
        })
    }
}
