//! The personalisation operations on a [`CardChannel`]: SELECT (MF, by AID, by file id),
//! CREATE FILE, UPDATE BINARY in chunks the card takes, READ BINARY and verify, the
//! ISO/IEC 7816-9 life-cycle commands, the card's UID and its announced limits.
//!
//! Chunk sizes come from [`CardChannel::limits`], which a driver sets from what the card
//! announces in EF.ATR/INFO ([`CardChannel::read_card_limits`], the extended length
//! information DO `7F66`) capped by what the reader takes. Offsets are 15-bit (P1 b8 clear),
//! so one EF holds at most 32 767 + the last chunk's bytes through this module; larger files
//! are refused with [`ApduError::TooLarge`] before anything is sent.

use rekam_hal::Control;

use crate::channel::{CardChannel, Limits};
use crate::command::Command;
use crate::error::ApduError;
use crate::fcp::Fcp;
use crate::response::{CardStatus, StatusWord};
use crate::tlv;
use crate::transport::Transport;

/// The master file's identifier.
pub const MF: u16 = 0x3F00;
/// EF.ATR/INFO under the MF (ISO/IEC 7816-4 §12.2.2).
pub const EF_ATR_INFO: u16 = 0x2F01;
/// The extended length information data object (two INTEGERs: max command and response
/// bytes).
pub const TAG_EXTENDED_LENGTH_INFO: u32 = 0x7F66;
/// The largest offset UPDATE/READ BINARY carries in P1-P2 (15 bits).
pub const MAX_OFFSET: usize = 0x7FFF;

fn offset_p1p2(op: &'static str, offset: usize) -> Result<(u8, u8), ApduError> {
    if offset > MAX_OFFSET {
        return Err(ApduError::TooLarge(format!(
            "{op}: offset {offset} exceeds the 15-bit offset of P1-P2"
        )));
    }
    let [hi, lo] = (offset as u16).to_be_bytes();
    Ok((hi, lo))
}

fn parse_fcp(op: &'static str, data: &[u8]) -> Result<Fcp, ApduError> {
    if data.is_empty() {
        return Ok(Fcp::default());
    }
    Fcp::parse(data).map_err(|_| ApduError::Malformed {
        op,
        reason: "the FCP template is malformed",
    })
}

impl<T: Transport> CardChannel<T> {
    /// SELECT the MF (`00 A4 00 0C 02 3F 00`).
    pub fn select_mf(&mut self, ctl: &Control) -> Result<(), ApduError> {
        let cmd = Command::new(0x00, 0xA4, 0x00, 0x0C).with_data(MF.to_be_bytes().to_vec());
        self.execute("SELECT MF", &cmd, ctl).map(drop)
    }

    /// SELECT an application DF by name and return its FCP (`00 A4 04 04`).
    pub fn select_aid(&mut self, aid: &[u8], ctl: &Control) -> Result<Fcp, ApduError> {
        let cmd = Command::new(0x00, 0xA4, 0x04, 0x04)
            .with_data(aid.to_vec())
            .with_le(256);
        let data = self.execute("SELECT AID", &cmd, ctl)?;
        parse_fcp("SELECT AID", &data)
    }

    /// SELECT a file by identifier and return its FCP (`00 A4 00 04`). A deactivated file
    /// (`6283`) is selected too, and its FCP says so.
    pub fn select_fid(&mut self, fid: u16, ctl: &Control) -> Result<Fcp, ApduError> {
        const OP: &str = "SELECT FILE";
        let cmd = Command::new(0x00, 0xA4, 0x00, 0x04)
            .with_data(fid.to_be_bytes().to_vec())
            .with_le(256);
        let r = self.transmit(OP, &cmd, ctl)?;
        match r.sw.status() {
            CardStatus::Ok | CardStatus::FileDeactivated => parse_fcp(OP, &r.data),
            _ => Err(ApduError::status(OP, r.sw)),
        }
    }

    /// SELECT a file by its path from the MF (`00 A4 08 04`; the path leaves out `3F00`) and
    /// return its FCP. One command whatever the current file, where SELECT MF then SELECT
    /// by identifier takes two; the file's parent becomes the current DF.
    pub fn select_path(&mut self, path: &[u16], ctl: &Control) -> Result<Fcp, ApduError> {
        const OP: &str = "SELECT PATH";
        let data: Vec<u8> = path.iter().flat_map(|f| f.to_be_bytes()).collect();
        let cmd = Command::new(0x00, 0xA4, 0x08, 0x04)
            .with_data(data)
            .with_le(256);
        let r = self.transmit(OP, &cmd, ctl)?;
        match r.sw.status() {
            CardStatus::Ok | CardStatus::FileDeactivated => parse_fcp(OP, &r.data),
            _ => Err(ApduError::status(OP, r.sw)),
        }
    }

    /// [`Self::select_path`]; `None` when the card answers `6A82`.
    pub fn try_select_path(
        &mut self,
        path: &[u16],
        ctl: &Control,
    ) -> Result<Option<Fcp>, ApduError> {
        match self.select_path(path, ctl) {
            Ok(fcp) => Ok(Some(fcp)),
            Err(e) if e.card_status() == Some(CardStatus::FileNotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// SELECT a file by identifier; `None` when the card answers `6A82`.
    pub fn try_select_fid(&mut self, fid: u16, ctl: &Control) -> Result<Option<Fcp>, ApduError> {
        match self.select_fid(fid, ctl) {
            Ok(fcp) => Ok(Some(fcp)),
            Err(e) if e.card_status() == Some(CardStatus::FileNotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// CREATE FILE with `fcp` (`00 E0 00 00`); the new file becomes the current file.
    pub fn create_file(&mut self, fcp: &Fcp, ctl: &Control) -> Result<(), ApduError> {
        let cmd = Command::new(0x00, 0xE0, 0x00, 0x00).with_data(fcp.to_bytes());
        self.execute("CREATE FILE", &cmd, ctl).map(drop)
    }

    /// UPDATE BINARY of the current EF from `offset`, in chunks of at most
    /// [`Limits::max_command_data`] bytes. Returns the number of commands sent.
    pub fn update_binary(
        &mut self,
        offset: usize,
        data: &[u8],
        ctl: &Control,
    ) -> Result<usize, ApduError> {
        const OP: &str = "UPDATE BINARY";
        let chunk = self.limits().max_command_data.max(1);
        // Check the last offset before the first write: never half-write for a bad offset.
        if !data.is_empty() {
            offset_p1p2(OP, offset + (data.len() - 1) / chunk * chunk)?;
        }
        let mut sent = 0;
        for (i, part) in data.chunks(chunk).enumerate() {
            let (p1, p2) = offset_p1p2(OP, offset + i * chunk)?;
            let cmd = Command::new(0x00, 0xD6, p1, p2).with_data(part.to_vec());
            self.execute(OP, &cmd, ctl)?;
            sent += 1;
        }
        Ok(sent)
    }

    /// READ BINARY of `len` bytes of the current EF from `offset`, in chunks of at most
    /// [`Limits::max_response_data`] bytes. Stops early at the end of the file (a short
    /// answer or `6282`), returning what was read.
    pub fn read_binary(
        &mut self,
        offset: usize,
        len: usize,
        ctl: &Control,
    ) -> Result<Vec<u8>, ApduError> {
        const OP: &str = "READ BINARY";
        let chunk = self.limits().max_response_data.max(1);
        let mut out = Vec::with_capacity(len);
        while out.len() < len {
            let (p1, p2) = offset_p1p2(OP, offset + out.len())?;
            let want = chunk.min(len - out.len());
            let cmd = Command::new(0x00, 0xB0, p1, p2).with_le(want);
            let r = self.transmit(OP, &cmd, ctl)?;
            match r.sw.status() {
                CardStatus::Ok | CardStatus::EndOfFile => {
                    let got = r.data.len();
                    if got > want {
                        return Err(ApduError::Malformed {
                            op: OP,
                            reason: "the card sent more bytes than asked",
                        });
                    }
                    out.extend_from_slice(&r.data);
                    if got < want || r.sw.status() == CardStatus::EndOfFile {
                        break;
                    }
                }
                _ => return Err(ApduError::status(OP, r.sw)),
            }
        }
        Ok(out)
    }

    /// ACTIVATE FILE on the current file (`00 44 00 00`, ISO/IEC 7816-9): initialisation or
    /// deactivated to operational activated.
    pub fn activate_file(&mut self, ctl: &Control) -> Result<(), ApduError> {
        self.execute("ACTIVATE FILE", &Command::new(0x00, 0x44, 0x00, 0x00), ctl)
            .map(drop)
    }

    /// DEACTIVATE FILE on the current file (`00 04 00 00`, ISO/IEC 7816-9).
    pub fn deactivate_file(&mut self, ctl: &Control) -> Result<(), ApduError> {
        self.execute(
            "DEACTIVATE FILE",
            &Command::new(0x00, 0x04, 0x00, 0x00),
            ctl,
        )
        .map(drop)
    }

    /// The card's UID through the PC/SC pseudo-APDU GET DATA (`FF CA 00 00 00`).
    pub fn get_uid(&mut self, ctl: &Control) -> Result<Vec<u8>, ApduError> {
        self.execute(
            "GET UID",
            &Command::new(0xFF, 0xCA, 0x00, 0x00).with_le(256),
            ctl,
        )
    }

    /// Reads what the card announces in EF.ATR/INFO: the extended length information
    /// (`7F66`). `None` when the card has no EF.ATR/INFO or no such DO (short APDUs only).
    /// Leaves the MF the current DF, whatever was current before. Two commands when the
    /// card has the file (SELECT by path from the MF, READ BINARY), two when it has not
    /// (the failed SELECT, SELECT MF).
    pub fn read_card_limits(&mut self, ctl: &Control) -> Result<Option<Limits>, ApduError> {
        const OP: &str = "EF.ATR/INFO";
        let Some(fcp) = self.try_select_path(&[EF_ATR_INFO], ctl)? else {
            self.select_mf(ctl)?;
            return Ok(None);
        };
        let size = fcp.size.map_or(256, |s| s as usize).min(1024);
        // EF.ATR/INFO is the current file now, and its parent, the MF, the current DF.
        let bytes = self.read_binary(0, size, ctl)?;
        let malformed = |reason| ApduError::Malformed { op: OP, reason };
        let Some(info) =
            tlv::find(&bytes, TAG_EXTENDED_LENGTH_INFO).map_err(|_| malformed("not BER-TLV"))?
        else {
            return Ok(None);
        };
        let mut ints = tlv::iter(info).map(|t| match t {
            Ok(t) if t.tag == 0x02 && !t.value.is_empty() && t.value.len() <= 4 => Ok(t
                .value
                .iter()
                .fold(0usize, |a, b| (a << 8) | usize::from(*b))),
            _ => Err(malformed("7F66 must hold two INTEGERs")),
        });
        let cmd = ints.next().ok_or_else(|| malformed("7F66 is empty"))??;
        let resp = ints
            .next()
            .ok_or_else(|| malformed("7F66 lacks the response size"))??;
        // The DO counts whole APDUs: take the header, Lc/Le and SW out.
        Ok(Some(Limits::extended(
            cmd.saturating_sub(4 + 3 + 2),
            resp.saturating_sub(2),
        )))
    }

    /// Creates a transparent EF of `data.len()` bytes under the current DF and writes it.
    /// Returns the number of UPDATE BINARY commands sent.
    pub fn write_ef(&mut self, fid: u16, data: &[u8], ctl: &Control) -> Result<usize, ApduError> {
        let size = u32::try_from(data.len())
            .map_err(|_| ApduError::TooLarge(format!("file {fid:04X} is too large")))?;
        self.create_file(&Fcp::ef(fid, size), ctl)?;
        self.update_binary(0, data, ctl)
    }

    /// Selects EF `fid` and reads it whole (its size from the FCP); `None` when the card has
    /// no such file.
    pub fn read_ef(&mut self, fid: u16, ctl: &Control) -> Result<Option<Vec<u8>>, ApduError> {
        let Some(fcp) = self.try_select_fid(fid, ctl)? else {
            return Ok(None);
        };
        let size = fcp.size.ok_or(ApduError::Malformed {
            op: "SELECT FILE",
            reason: "the FCP has no file size",
        })? as usize;
        self.read_binary(0, size, ctl).map(Some)
    }

    /// Reads EF `fid` back and compares it with `expected`, byte for byte.
    pub fn verify_ef(&mut self, fid: u16, expected: &[u8], ctl: &Control) -> Result<(), ApduError> {
        let read = self
            .read_ef(fid, ctl)?
            .ok_or(ApduError::status("SELECT FILE", StatusWord(0x6A82)))?;
        if let Some(offset) = expected
            .iter()
            .zip(&read)
            .position(|(a, b)| a != b)
            .or((read.len() != expected.len()).then_some(read.len().min(expected.len())))
        {
            return Err(ApduError::VerifyMismatch { fid, offset });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fcp::LifeCycle;
    use crate::transport::{ScriptedTransport, TransportError, TransportErrorKind};
    use crate::ApduErrorKind;
    use std::time::Duration;

    fn ctl() -> Control {
        Control::with_timeout(Duration::from_secs(5))
    }

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02X}")).collect()
    }

    #[test]
    fn write_ef_creates_then_updates_in_card_sized_chunks() {
        let data: Vec<u8> = (0..600u32).map(|i| i as u8).collect();
        let mut t =
            ScriptedTransport::new().expect("00E00000 0D 620B 80020258 820101 83020101", "9000");
        for (offset, len) in [(0usize, 255usize), (255, 255), (510, 90)] {
            let mut cmd = vec![0x00, 0xD6, (offset >> 8) as u8, offset as u8, len as u8];
            cmd.extend_from_slice(&data[offset..offset + len]);
            t = t.expect_bytes(cmd, vec![0x90, 0x00]);
        }
        let mut ch = CardChannel::new(t, Limits::SHORT);
        assert_eq!(ch.write_ef(0x0101, &data, &ctl()).unwrap(), 3);
        assert_eq!(ch.stats().commands, 4);
        ch.transport_mut().done();
    }

    #[test]
    fn read_ef_reads_the_size_the_fcp_gives_and_verify_compares() {
        let fcp = Fcp::ef(0x0101, 6).with_life_cycle(LifeCycle::Initialisation);
        let script = || {
            ScriptedTransport::new()
                .expect(
                    "00A40004020101 00",
                    &format!("{}9000", hex(&fcp.to_bytes())),
                )
                .expect("00B0000004", "0A0B0C0D 9000")
                .expect("00B0000402", "0E0F 9000")
        };
        let limits = Limits {
            max_command_data: 4,
            max_response_data: 4,
            chaining: false,
        };
        let mut ch = CardChannel::new(script(), limits);
        assert_eq!(
            ch.read_ef(0x0101, &ctl()).unwrap().unwrap(),
            [10, 11, 12, 13, 14, 15]
        );
        let mut ch = CardChannel::new(script(), limits);
        assert_eq!(
            ch.verify_ef(0x0101, &[10, 11, 12, 0xFF, 14, 15], &ctl()),
            Err(ApduError::VerifyMismatch {
                fid: 0x0101,
                offset: 3
            })
        );
        let mut ch = CardChannel::new(script(), limits);
        assert_eq!(
            ch.verify_ef(0x0101, &[10, 11, 12, 13, 14, 15, 16], &ctl()),
            Err(ApduError::VerifyMismatch {
                fid: 0x0101,
                offset: 6
            })
        );
    }

    #[test]
    fn read_stops_at_the_end_of_the_file() {
        let t = ScriptedTransport::new().expect("00B0000004", "0A0B 6282");
        let limits = Limits::extended(4, 4);
        let mut ch = CardChannel::new(t, limits);
        assert_eq!(ch.read_binary(0, 10, &ctl()).unwrap(), [10, 11]);
    }

    #[test]
    fn missing_file_is_none_and_other_errors_are_typed() {
        let t = ScriptedTransport::new()
            .expect("00A4000402011E00", "6A82")
            .expect("00E00000 02 6200", "6A84");
        let mut ch = CardChannel::new(t, Limits::SHORT);
        assert_eq!(ch.read_ef(0x011E, &ctl()).unwrap(), None);
        let err = ch.create_file(&Fcp::default(), &ctl()).unwrap_err();
        assert_eq!(err.card_status(), Some(CardStatus::NotEnoughMemory));
        ch.transport_mut().done();
    }

    #[test]
    fn status_words_of_the_personalisation_path_map_to_kinds() {
        for (sw, kind) in [
            ("6A84", ApduErrorKind::CardFull),
            ("6A89", ApduErrorKind::AlreadyPersonalised),
            ("6985", ApduErrorKind::Refused),
            ("6982", ApduErrorKind::Refused),
            ("6581", ApduErrorKind::WriteFailed),
            ("6A80", ApduErrorKind::Protocol),
        ] {
            let t = ScriptedTransport::new().expect("00E00000 02 6200", sw);
            let mut ch = CardChannel::new(t, Limits::SHORT);
            let err = ch.create_file(&Fcp::default(), &ctl()).unwrap_err();
            assert_eq!(err.kind(), kind, "{sw}");
            assert!(err.to_string().contains(sw), "{err}");
        }
    }

    #[test]
    fn a_card_pulled_mid_write_is_card_removed() {
        let t = ScriptedTransport::new()
            .expect("00D6000002 0001", "9000")
            .fail(
                "00D6000202 0203",
                TransportError::new(TransportErrorKind::CardRemoved, "card removed"),
            );
        let mut ch = CardChannel::new(t, Limits::extended(2, 2));
        let err = ch.update_binary(0, &[0, 1, 2, 3, 4], &ctl()).unwrap_err();
        assert_eq!(err.kind(), ApduErrorKind::CardRemoved);
        assert_eq!(ch.stats().commands, 2);
    }

    #[test]
    fn offsets_beyond_15_bits_are_refused_before_any_write() {
        let mut ch = CardChannel::new(ScriptedTransport::new(), Limits::extended(1000, 1000));
        let err = ch.update_binary(0, &vec![0; 40_000], &ctl()).unwrap_err();
        assert_eq!(err.kind(), ApduErrorKind::InvalidInput);
        assert!(ch.transport_mut().sent().is_empty());
    }

    #[test]
    fn card_limits_come_from_ef_atr_info() {
        // 7F66 08 02 02 0F 00 02 02 0F 00: 3840-byte commands and responses.
        let info = "7F660802020F0002020F00";
        let fcp = Fcp::ef(EF_ATR_INFO, 11);
        let t = ScriptedTransport::new()
            .expect(
                "00A4080402 2F01 00",
                &format!("{}9000", hex(&fcp.to_bytes())),
            )
            .expect("00B000000B", &format!("{info}9000"));
        let mut ch = CardChannel::new(t, Limits::SHORT);
        let limits = ch.read_card_limits(&ctl()).unwrap().unwrap();
        assert_eq!(limits.max_command_data, 3840 - 9);
        assert_eq!(limits.max_response_data, 3840 - 2);
        ch.transport_mut().done();

        let t = ScriptedTransport::new()
            .expect("00A40804022F0100", "6A82")
            .expect("00A4000C023F00", "9000");
        let mut ch = CardChannel::new(t, Limits::SHORT);
        assert_eq!(ch.read_card_limits(&ctl()).unwrap(), None);
        ch.transport_mut().done();
    }
}
