//! The byte-stream seam: what the pad driver needs from a serial line, as two traits.
//!
//! [`ByteStream`] is an open line (read with a timeout, write, discard pending input);
//! [`Connector`] (re)opens one, so a pad unplugged and plugged back, or a cut line, is
//! reopened by the driver. The real ones are [`SerialLine`] and [`SerialConnector`] over the
//! `serialport` crate; [`crate::mock`] scripts both for unit tests. serialport offers no seam
//! of its own, hence these traits (as probe-rs's `StLinkUsb`).

use std::io::{Read, Write};
use std::time::Duration;

use serialport::{DataBits, FlowControl, Parity, SerialPort, StopBits, TTYPort};

use crate::error::{SerialError, SerialErrorKind};

/// An open serial line. Blocking; reads are bounded by their timeout.
pub trait ByteStream: Send {
    /// Reads what has arrived into `buf`, waiting at most `timeout` for the first byte.
    /// Returns `Ok(0)` when nothing arrived in time; a hang-up is a `Disconnected` error.
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, SerialError>;

    /// Writes all of `data`.
    fn write_all(&mut self, data: &[u8]) -> Result<(), SerialError>;

    /// Throws away bytes received and not yet read (stale packets from before a capture).
    fn discard_input(&mut self) -> Result<(), SerialError>;
}

/// Opens a line on demand (first use, and after a disconnection).
pub trait Connector: Send {
    /// The line it opens.
    type Stream: ByteStream;

    /// Opens the line. `Disconnected` when the port is not there.
    fn open(&mut self) -> Result<Self::Stream, SerialError>;
}

/// A serial port opened through the `serialport` crate, exclusively (`TIOCEXCL` + `flock`).
#[derive(Debug)]
pub struct SerialLine {
    port: TTYPort,
}

impl SerialLine {
    /// Wraps an open port (a test's pty end, say).
    pub fn new(port: TTYPort) -> Self {
        SerialLine { port }
    }
}

impl ByteStream for SerialLine {
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, SerialError> {
        // serialport reads a zero timeout as "do not wait"; keep at least a millisecond.
        self.port
            .set_timeout(timeout.max(Duration::from_millis(1)))
            .map_err(|e| SerialError::port("setting the read timeout", e))?;
        match self.port.read(buf) {
            Ok(0) => Err(SerialError::new(
                SerialErrorKind::Disconnected,
                "the serial line hung up",
            )),
            Ok(n) => Ok(n),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
                ) =>
            {
                Ok(0)
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => Ok(0),
            Err(e) => Err(SerialError::io("reading the serial line", e)),
        }
    }

    fn write_all(&mut self, data: &[u8]) -> Result<(), SerialError> {
        self.port
            .set_timeout(Duration::from_millis(500))
            .map_err(|e| SerialError::port("setting the write timeout", e))?;
        self.port
            .write_all(data)
            .and_then(|()| self.port.flush())
            .map_err(|e| SerialError::io("writing to the serial line", e))
    }

    fn discard_input(&mut self) -> Result<(), SerialError> {
        self.port
            .clear(serialport::ClearBuffer::Input)
            .map_err(|e| SerialError::port("discarding stale input", e))
    }
}

/// Opens a serial port by path with the Topaz line settings: the given baud rate, 8 data
/// bits, odd parity, 1 stop bit, no flow control.
#[derive(Debug, Clone)]
pub struct SerialConnector {
    path: String,
    baud: u32,
}

impl SerialConnector {
    /// A connector for the port at `path`.
    pub fn new(path: impl Into<String>, baud: u32) -> Self {
        SerialConnector {
            path: path.into(),
            baud,
        }
    }

    /// The port's path.
    pub fn path(&self) -> &str {
        &self.path
    }
}

impl Connector for SerialConnector {
    type Stream = SerialLine;

    fn open(&mut self) -> Result<SerialLine, SerialError> {
        let port = serialport::new(&self.path, self.baud)
            .data_bits(DataBits::Eight)
            .parity(Parity::Odd)
            .stop_bits(StopBits::One)
            .flow_control(FlowControl::None)
            .timeout(Duration::from_millis(50))
            .open_native()
            .map_err(|e| SerialError::port("opening the signature pad's serial port", e))?;
        Ok(SerialLine { port })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_port_is_a_disconnection() {
        let mut c = SerialConnector::new("/dev/rekam-no-such-tty", 19200);
        let e = c.open().unwrap_err();
        assert_eq!(e.kind(), SerialErrorKind::Disconnected, "{e}");
    }

    #[test]
    fn a_pty_pair_carries_bytes_both_ways_and_reads_time_out_empty() {
        let (mut master, slave) = TTYPort::pair().unwrap();
        let mut line = SerialLine::new(slave);
        let mut buf = [0u8; 16];
        assert_eq!(line.read(&mut buf, Duration::from_millis(20)).unwrap(), 0);
        master.write_all(&[0x80, 1, 2, 3, 4]).unwrap();
        let mut got = Vec::new();
        while got.len() < 5 {
            let n = line.read(&mut buf, Duration::from_millis(500)).unwrap();
            assert!(n > 0, "no bytes within 500 ms");
            got.extend_from_slice(&buf[..n]);
        }
        assert_eq!(got, vec![0x80, 1, 2, 3, 4]);
        line.write_all(&[0x04]).unwrap();
        let mut one = [0u8; 1];
        master.set_timeout(Duration::from_millis(500)).unwrap();
        master.read_exact(&mut one).unwrap();
        assert_eq!(one, [0x04]);
    }
}
