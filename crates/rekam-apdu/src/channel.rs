//! [`CardChannel`]: sends [`Command`]s over a [`Transport`] the way ISO/IEC 7816-4 §5.3
//! wants a host to: command chaining (CLA b5) when the data exceed what the card takes in one
//! command, `GET RESPONSE` while the card answers `61xx`, one retry with Le = xx when it
//! answers `6Cxx`. It counts commands and bytes for benchmarks.

use rekam_hal::Control;

use crate::command::{Command, MAX_EXTENDED_DATA, MAX_EXTENDED_LE, MAX_SHORT_DATA, MAX_SHORT_LE};
use crate::error::ApduError;
use crate::response::{CardStatus, Response, StatusWord};
use crate::transport::{Transport, TransportError, TransportErrorKind};

/// The most `GET RESPONSE` rounds one command may take before the card is deemed broken.
const MAX_GET_RESPONSE_ROUNDS: usize = 1024;

/// What one command may carry, as the card (and reader) announce it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most data bytes (Nc) in one command.
    pub max_command_data: usize,
    /// The most data bytes (Ne) one response may carry.
    pub max_response_data: usize,
    /// Whether the card accepts command chaining for data longer than one command.
    pub chaining: bool,
}

impl Limits {
    /// Short APDUs only: 255 data bytes in, 256 out, no chaining.
    pub const SHORT: Limits = Limits {
        max_command_data: MAX_SHORT_DATA,
        max_response_data: MAX_SHORT_LE,
        chaining: false,
    };

    /// Extended APDUs up to the given sizes (clamped to what the standard allows).
    pub fn extended(max_command_data: usize, max_response_data: usize) -> Limits {
        Limits {
            max_command_data: max_command_data.clamp(1, MAX_EXTENDED_DATA),
            max_response_data: max_response_data.clamp(1, MAX_EXTENDED_LE),
            chaining: false,
        }
    }

    /// The smaller of two limits (card and reader).
    pub fn min(self, other: Limits) -> Limits {
        Limits {
            max_command_data: self.max_command_data.min(other.max_command_data),
            max_response_data: self.max_response_data.min(other.max_response_data),
            chaining: self.chaining && other.chaining,
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::SHORT
    }
}

/// Counters of what a channel sent and received.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Command APDUs sent (including chained parts, GET RESPONSE and retries).
    pub commands: u64,
    /// Bytes sent.
    pub bytes_sent: u64,
    /// Bytes received.
    pub bytes_received: u64,
}

/// A channel to one card over a transport.
#[derive(Debug)]
pub struct CardChannel<T> {
    transport: T,
    limits: Limits,
    stats: Stats,
}

impl<T: Transport> CardChannel<T> {
    /// A channel with the given limits.
    pub fn new(transport: T, limits: Limits) -> CardChannel<T> {
        CardChannel {
            transport,
            limits,
            stats: Stats::default(),
        }
    }

    /// The current limits.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Replaces the limits (after reading what the card announces).
    pub fn set_limits(&mut self, limits: Limits) {
        self.limits = limits;
    }

    /// What was sent so far.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// The transport.
    pub fn transport_mut(&mut self) -> &mut T {
        &mut self.transport
    }

    /// Gives the transport back.
    pub fn into_inner(self) -> T {
        self.transport
    }

    fn raw(
        &mut self,
        op: &'static str,
        cmd: &Command,
        ctl: &Control,
    ) -> Result<Response, ApduError> {
        ctl.check().map_err(|e| TransportError::from_control(&e))?;
        let bytes = cmd
            .to_bytes()
            .map_err(|source| ApduError::Encode { op, source })?;
        self.stats.commands += 1;
        self.stats.bytes_sent += bytes.len() as u64;
        let answer = self.transport.transmit(&bytes, ctl)?;
        self.stats.bytes_received += answer.len() as u64;
        Response::parse(&answer).ok_or_else(|| {
            ApduError::Transport(TransportError::new(
                TransportErrorKind::Protocol,
                format!(
                    "{op}: a response of {} bytes has no status word",
                    answer.len()
                ),
            ))
        })
    }

    /// Sends `cmd` and returns the card's final response, whatever its status word: chained
    /// when its data exceed [`Limits::max_command_data`] (and the card chains; otherwise
    /// [`ApduError::TooLarge`]), completed with `GET RESPONSE` on `61xx`, re-sent once with
    /// the announced Le on `6Cxx`.
    pub fn transmit(
        &mut self,
        op: &'static str,
        cmd: &Command,
        ctl: &Control,
    ) -> Result<Response, ApduError> {
        let max = self.limits.max_command_data.max(1);
        let mut response = if cmd.data.len() > max {
            if !self.limits.chaining {
                return Err(ApduError::TooLarge(format!(
                    "{op}: {} data bytes exceed the card's {max} and it does not chain",
                    cmd.data.len()
                )));
            }
            let parts: Vec<&[u8]> = cmd.data.chunks(max).collect();
            let last = parts.len() - 1;
            let mut response = None;
            for (i, part) in parts.into_iter().enumerate() {
                let mut piece =
                    Command::new(cmd.cla, cmd.ins, cmd.p1, cmd.p2).with_data(part.to_vec());
                if i < last {
                    piece.cla |= 0x10;
                } else {
                    piece.le = cmd.le;
                }
                let r = self.raw(op, &piece, ctl)?;
                if i < last && !r.sw.is_ok() {
                    return Ok(r);
                }
                response = Some(r);
            }
            response.ok_or(ApduError::Malformed {
                op,
                reason: "empty command chain",
            })?
        } else {
            self.raw(op, cmd, ctl)?
        };
        if let CardStatus::WrongLe(n) = response.sw.status() {
            let mut again = cmd.clone();
            again.le = Some(if n == 0 { 256 } else { usize::from(n) });
            response = self.raw(op, &again, ctl)?;
        }
        let mut rounds = 0;
        while let CardStatus::MoreData(n) = response.sw.status() {
            rounds += 1;
            if rounds > MAX_GET_RESPONSE_ROUNDS {
                return Err(ApduError::Malformed {
                    op,
                    reason: "the card never stops announcing more data",
                });
            }
            let le = if n == 0 { 256 } else { usize::from(n) };
            let get = Command::new(0x00, 0xC0, 0x00, 0x00).with_le(le);
            let next = self.raw("GET RESPONSE", &get, ctl)?;
            response.data.extend_from_slice(&next.data);
            response.sw = next.sw;
        }
        Ok(response)
    }

    /// Like [`CardChannel::transmit`], but any status word other than `9000` is an error.
    pub fn execute(
        &mut self,
        op: &'static str,
        cmd: &Command,
        ctl: &Control,
    ) -> Result<Vec<u8>, ApduError> {
        let r = self.transmit(op, cmd, ctl)?;
        if r.sw != StatusWord::OK {
            return Err(ApduError::status(op, r.sw));
        }
        Ok(r.data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::ScriptedTransport;
    use std::time::Duration;

    fn ctl() -> Control {
        Control::with_timeout(Duration::from_secs(5))
    }

    #[test]
    fn get_response_collects_all_parts() {
        let t = ScriptedTransport::new()
            .expect("00B0000000", "0102 6103")
            .expect("00C0000003", "030405 6100")
            .expect("00C0000000", "06 9000");
        let mut ch = CardChannel::new(t, Limits::SHORT);
        let r = ch
            .transmit(
                "READ BINARY",
                &Command::new(0, 0xB0, 0, 0).with_le(256),
                &ctl(),
            )
            .unwrap();
        assert_eq!(r.data, [1, 2, 3, 4, 5, 6]);
        assert!(r.sw.is_ok());
        assert_eq!(ch.stats().commands, 3);
        ch.transport_mut().done();
    }

    #[test]
    fn wrong_le_is_retried_once_with_the_announced_length() {
        let t = ScriptedTransport::new()
            .expect("00B0000010", "6C05")
            .expect("00B0000005", "0102030405 9000");
        let mut ch = CardChannel::new(t, Limits::SHORT);
        let data = ch
            .execute(
                "READ BINARY",
                &Command::new(0, 0xB0, 0, 0).with_le(16),
                &ctl(),
            )
            .unwrap();
        assert_eq!(data, [1, 2, 3, 4, 5]);
        ch.transport_mut().done();
    }

    #[test]
    fn long_data_is_chained_when_the_card_chains() {
        let t = ScriptedTransport::new()
            .expect("10DA0000 03 010203", "9000")
            .expect("10DA0000 03 040506", "9000")
            .expect("00DA0000 01 07", "9000");
        let limits = Limits {
            max_command_data: 3,
            max_response_data: 256,
            chaining: true,
        };
        let mut ch = CardChannel::new(t, limits);
        ch.execute(
            "PUT DATA",
            &Command::new(0, 0xDA, 0, 0).with_data(vec![1, 2, 3, 4, 5, 6, 7]),
            &ctl(),
        )
        .unwrap();
        ch.transport_mut().done();
    }

    #[test]
    fn a_chain_stops_at_the_first_refusal() {
        let t = ScriptedTransport::new().expect("10DA0000 03 010203", "6884");
        let limits = Limits {
            max_command_data: 3,
            max_response_data: 256,
            chaining: true,
        };
        let mut ch = CardChannel::new(t, limits);
        let err = ch
            .execute(
                "PUT DATA",
                &Command::new(0, 0xDA, 0, 0).with_data(vec![1, 2, 3, 4]),
                &ctl(),
            )
            .unwrap_err();
        assert_eq!(err.card_status(), Some(CardStatus::ChainingNotSupported));
        ch.transport_mut().done();
    }

    #[test]
    fn long_data_without_chaining_is_refused_before_sending() {
        let mut ch = CardChannel::new(ScriptedTransport::new(), Limits::SHORT);
        let err = ch
            .execute(
                "UPDATE BINARY",
                &Command::new(0, 0xD6, 0, 0).with_data(vec![0; 300]),
                &ctl(),
            )
            .unwrap_err();
        assert!(matches!(err, ApduError::TooLarge(_)));
        assert!(ch.transport_mut().sent().is_empty());
    }

    #[test]
    fn a_cancelled_control_sends_nothing() {
        let mut ch = CardChannel::new(ScriptedTransport::new(), Limits::SHORT);
        let c = ctl();
        c.token().cancel();
        let err = ch
            .execute("SELECT", &Command::new(0, 0xA4, 0, 0), &c)
            .unwrap_err();
        assert_eq!(err.kind(), crate::ApduErrorKind::Cancelled);
        assert!(ch.transport_mut().sent().is_empty());
    }

    #[test]
    fn a_response_without_status_word_is_a_protocol_error() {
        let t = ScriptedTransport::new().expect("00A40000", "90");
        let mut ch = CardChannel::new(t, Limits::SHORT);
        let err = ch
            .execute("SELECT", &Command::new(0, 0xA4, 0, 0), &ctl())
            .unwrap_err();
        assert_eq!(err.kind(), crate::ApduErrorKind::Protocol);
    }
}
