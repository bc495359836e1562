//! Command APDUs (ISO/IEC 7816-4 §5.1): header, optional data (Nc) and optional expected
//! length (Ne), in the short or the extended form.
//!
//! The short form is used whenever it fits (Nc ≤ 255 and Ne ≤ 256); otherwise both length
//! fields are extended (the standard forbids mixing). Ne = 256 encodes as `00` in the short
//! form, Ne = 65 536 as `00 00` in the extended form.

use std::fmt;

/// The largest data field (Nc) an extended command carries.
pub const MAX_EXTENDED_DATA: usize = 65_535;
/// The largest expected length (Ne) an extended command asks for.
pub const MAX_EXTENDED_LE: usize = 65_536;
/// The largest data field of a short command.
pub const MAX_SHORT_DATA: usize = 255;
/// The largest expected length of a short command.
pub const MAX_SHORT_LE: usize = 256;

/// Why bytes are not a command APDU, or a command cannot be encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CommandError {
    /// Fewer than four header bytes.
    #[error("a command APDU needs at least 4 header bytes")]
    TooShort,
    /// The length fields do not match the number of bytes.
    #[error("the length fields do not match the command's size")]
    LengthMismatch,
    /// An extended Lc of zero (not allowed).
    #[error("an extended Lc of 0 is not allowed")]
    ZeroLc,
    /// Nc above 65 535.
    #[error("{0} data bytes exceed the extended maximum of 65535")]
    DataTooLong(usize),
    /// Ne of 0 given explicitly, or above 65 536.
    #[error("an expected length of {0} cannot be encoded (1..=65536)")]
    BadLe(usize),
}

/// One command APDU.
///
/// ```
/// use rekam_apdu::Command;
/// // SELECT by DF name, short form, no Le.
/// let c = Command::new(0x00, 0xA4, 0x04, 0x0C).with_data(vec![0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01]);
/// assert_eq!(c.to_bytes().unwrap(), [0x00, 0xA4, 0x04, 0x0C, 0x07, 0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01]);
/// // READ BINARY of 1000 bytes needs the extended form.
/// let r = Command::new(0x00, 0xB0, 0x00, 0x00).with_le(1000);
/// assert_eq!(r.to_bytes().unwrap(), [0x00, 0xB0, 0x00, 0x00, 0x00, 0x03, 0xE8]);
/// assert_eq!(Command::parse(&r.to_bytes().unwrap()).unwrap(), r);
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Command {
    /// Class byte.
    pub cla: u8,
    /// Instruction byte.
    pub ins: u8,
    /// Parameter 1.
    pub p1: u8,
    /// Parameter 2.
    pub p2: u8,
    /// Command data (Nc bytes; empty when absent).
    pub data: Vec<u8>,
    /// Expected response length Ne (1..=65 536), or `None` when Le is absent.
    pub le: Option<usize>,
}

impl fmt::Debug for Command {
    /// Header, Nc and Ne only: command data may be personal data.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Command({:02X} {:02X} {:02X} {:02X}, nc={}, ne={:?})",
            self.cla,
            self.ins,
            self.p1,
            self.p2,
            self.data.len(),
            self.le
        )
    }
}

impl Command {
    /// A case-1 command (header only).
    pub fn new(cla: u8, ins: u8, p1: u8, p2: u8) -> Command {
        Command {
            cla,
            ins,
            p1,
            p2,
            data: Vec::new(),
            le: None,
        }
    }

    /// Sets the command data.
    pub fn with_data(mut self, data: Vec<u8>) -> Command {
        self.data = data;
        self
    }

    /// Sets the expected response length Ne.
    pub fn with_le(mut self, le: usize) -> Command {
        self.le = Some(le);
        self
    }

    /// True when the command needs the extended form.
    pub fn is_extended(&self) -> bool {
        self.data.len() > MAX_SHORT_DATA || self.le.is_some_and(|le| le > MAX_SHORT_LE)
    }

    /// The size of the encoded command.
    pub fn encoded_len(&self) -> usize {
        let ext = self.is_extended();
        let lc = match (self.data.is_empty(), ext) {
            (true, _) => 0,
            (false, false) => 1,
            (false, true) => 3,
        };
        let le = match (self.le, ext, self.data.is_empty()) {
            (None, _, _) => 0,
            (Some(_), false, _) => 1,
            (Some(_), true, true) => 3,
            (Some(_), true, false) => 2,
        };
        4 + lc + self.data.len() + le
    }

    /// Encodes the command, in the short form when it fits.
    pub fn to_bytes(&self) -> Result<Vec<u8>, CommandError> {
        if self.data.len() > MAX_EXTENDED_DATA {
            return Err(CommandError::DataTooLong(self.data.len()));
        }
        if let Some(le) = self.le {
            if le == 0 || le > MAX_EXTENDED_LE {
                return Err(CommandError::BadLe(le));
            }
        }
        let ext = self.is_extended();
        let mut out = Vec::with_capacity(self.encoded_len());
        out.extend_from_slice(&[self.cla, self.ins, self.p1, self.p2]);
        if !self.data.is_empty() {
            // Lengths are range-checked above, so the casts below cannot truncate.
            if ext {
                out.push(0);
                out.extend_from_slice(&(self.data.len() as u16).to_be_bytes());
            } else {
                out.push(self.data.len() as u8);
            }
            out.extend_from_slice(&self.data);
        }
        if let Some(le) = self.le {
            if ext {
                if self.data.is_empty() {
                    out.push(0);
                }
                // 65 536 wraps to 00 00, as the standard encodes it.
                out.extend_from_slice(&((le % 65_536) as u16).to_be_bytes());
            } else {
                out.push((le % 256) as u8);
            }
        }
        Ok(out)
    }

    /// Parses an encoded command (cases 1, 2S, 3S, 4S, 2E, 3E, 4E).
    pub fn parse(bytes: &[u8]) -> Result<Command, CommandError> {
        let (header, body) = bytes.split_at_checked(4).ok_or(CommandError::TooShort)?;
        let mut c = Command::new(header[0], header[1], header[2], header[3]);
        let short_le = |b: u8| if b == 0 { 256 } else { usize::from(b) };
        let ext_le = |hi: u8, lo: u8| match u16::from_be_bytes([hi, lo]) {
            0 => 65_536,
            n => usize::from(n),
        };
        match body {
            [] => {}
            [le] => c.le = Some(short_le(*le)),
            [0, hi, lo] => c.le = Some(ext_le(*hi, *lo)),
            [0, rest @ ..] => {
                let (lc, rest) = rest
                    .split_at_checked(2)
                    .ok_or(CommandError::LengthMismatch)?;
                let nc = usize::from(u16::from_be_bytes([lc[0], lc[1]]));
                if nc == 0 {
                    return Err(CommandError::ZeroLc);
                }
                match rest.len().checked_sub(nc) {
                    Some(0) => c.data = rest.to_vec(),
                    Some(2) => {
                        c.data = rest[..nc].to_vec();
                        c.le = Some(ext_le(rest[nc], rest[nc + 1]));
                    }
                    _ => return Err(CommandError::LengthMismatch),
                }
            }
            [lc, rest @ ..] => {
                let nc = usize::from(*lc);
                match rest.len().checked_sub(nc) {
                    Some(0) => c.data = rest.to_vec(),
                    Some(1) => {
                        c.data = rest[..nc].to_vec();
                        c.le = Some(short_le(rest[nc]));
                    }
                    _ => return Err(CommandError::LengthMismatch),
                }
            }
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_seven_cases_encode_as_the_standard_says() {
        let c1 = Command::new(0, 0x44, 0, 0);
        assert_eq!(c1.to_bytes().unwrap(), [0, 0x44, 0, 0]);
        let c2s = Command::new(0, 0xB0, 0, 0).with_le(256);
        assert_eq!(c2s.to_bytes().unwrap(), [0, 0xB0, 0, 0, 0]);
        let c3s = Command::new(0, 0xD6, 0, 0).with_data(vec![1, 2]);
        assert_eq!(c3s.to_bytes().unwrap(), [0, 0xD6, 0, 0, 2, 1, 2]);
        let c4s = Command::new(0, 0xA4, 0, 4)
            .with_data(vec![0x3F, 0])
            .with_le(256);
        assert_eq!(c4s.to_bytes().unwrap(), [0, 0xA4, 0, 4, 2, 0x3F, 0, 0]);
        let c2e = Command::new(0, 0xB0, 0, 0).with_le(65_536);
        assert_eq!(c2e.to_bytes().unwrap(), [0, 0xB0, 0, 0, 0, 0, 0]);
        let c3e = Command::new(0, 0xD6, 0, 0).with_data(vec![9; 300]);
        let b = c3e.to_bytes().unwrap();
        assert_eq!(&b[..7], &[0, 0xD6, 0, 0, 0, 0x01, 0x2C]);
        assert_eq!(b.len(), 307);
        let c4e = Command::new(0, 0xA4, 0, 4).with_data(vec![1]).with_le(257);
        assert_eq!(
            c4e.to_bytes().unwrap(),
            [0, 0xA4, 0, 4, 0, 0, 1, 1, 0x01, 0x01]
        );
        for c in [c1, c2s, c3s, c4s, c2e, c3e, c4e] {
            let bytes = c.to_bytes().unwrap();
            assert_eq!(bytes.len(), c.encoded_len());
            assert_eq!(Command::parse(&bytes).unwrap(), c);
        }
    }

    #[test]
    fn bad_lengths_are_refused() {
        assert_eq!(Command::parse(&[0, 1, 2]), Err(CommandError::TooShort));
        assert_eq!(
            Command::parse(&[0, 1, 2, 3, 5, 1, 2]),
            Err(CommandError::LengthMismatch)
        );
        assert_eq!(
            Command::parse(&[0, 1, 2, 3, 0, 0, 0, 1]),
            Err(CommandError::ZeroLc)
        );
        assert_eq!(
            Command::new(0, 0, 0, 0).with_le(0).to_bytes(),
            Err(CommandError::BadLe(0))
        );
        assert_eq!(
            Command::new(0, 0, 0, 0).with_le(65_537).to_bytes(),
            Err(CommandError::BadLe(65_537))
        );
        assert_eq!(
            Command::new(0, 0, 0, 0)
                .with_data(vec![0; 65_536])
                .to_bytes(),
            Err(CommandError::DataTooLong(65_536))
        );
    }

    #[test]
    fn debug_hides_the_data() {
        let c = Command::new(0, 0xD6, 0, 0).with_data(b"SITI".to_vec());
        assert_eq!(format!("{c:?}"), "Command(00 D6 00 00, nc=4, ne=None)");
    }

    fn command() -> impl Strategy<Value = Command> {
        (
            any::<[u8; 4]>(),
            prop_oneof![
                3 => proptest::collection::vec(any::<u8>(), 0..300),
                1 => proptest::collection::vec(any::<u8>(), 0..2000),
            ],
            proptest::option::of(prop_oneof![1..=256usize, 1..=65_536usize]),
        )
            .prop_map(|(h, data, le)| Command {
                cla: h[0],
                ins: h[1],
                p1: h[2],
                p2: h[3],
                data,
                le,
            })
    }

    proptest! {
        #[test]
        fn encode_then_parse_is_identity(c in command()) {
            let bytes = c.to_bytes().unwrap();
            prop_assert_eq!(bytes.len(), c.encoded_len());
            prop_assert_eq!(Command::parse(&bytes).unwrap(), c);
        }

        #[test]
        fn parse_is_total_and_reencodes_to_the_same_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            if let Ok(c) = Command::parse(&bytes) {
                // A parsed command re-encodes to its bytes, except a short-form encoding of
                // what would be extended (never produced by the parser) or the extended form
                // of a command that fits the short form.
                let again = c.to_bytes().unwrap();
                if again != bytes {
                    prop_assert!(bytes.len() > again.len());
                    prop_assert_eq!(Command::parse(&again).unwrap(), c);
                }
            }
        }
    }
}
