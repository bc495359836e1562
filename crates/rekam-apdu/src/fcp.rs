//! File control parameters (FCP template `62`, ISO/IEC 7816-4 §7.4) and the life-cycle
//! status byte (ISO/IEC 7816-4 table 15, state changes per ISO/IEC 7816-9).
//!
//! The same structure goes into CREATE FILE and comes back from SELECT with P2 = `04`.

use crate::tlv::{self, TlvError};

/// FCP template tag.
pub const TAG_FCP: u32 = 0x62;
/// Number of data bytes in the file (transparent EF).
pub const TAG_SIZE: u32 = 0x80;
/// File descriptor byte(s).
pub const TAG_DESCRIPTOR: u32 = 0x82;
/// File identifier.
pub const TAG_FID: u32 = 0x83;
/// DF name (application identifier).
pub const TAG_DF_NAME: u32 = 0x84;
/// Short EF identifier.
pub const TAG_SFI: u32 = 0x88;
/// Life-cycle status byte.
pub const TAG_LIFE_CYCLE: u32 = 0x8A;

/// What kind of file an FCP describes (its descriptor byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileKind {
    /// `01`: working transparent EF.
    Transparent,
    /// `38`: dedicated file.
    Df,
    /// Another descriptor byte.
    Other(u8),
}

impl FileKind {
    /// The descriptor byte.
    pub fn byte(self) -> u8 {
        match self {
            FileKind::Transparent => 0x01,
            FileKind::Df => 0x38,
            FileKind::Other(b) => b,
        }
    }

    /// From a descriptor byte.
    pub fn from_byte(b: u8) -> FileKind {
        match b {
            0x01 => FileKind::Transparent,
            0x38 => FileKind::Df,
            other => FileKind::Other(other),
        }
    }
}

/// The life-cycle status of a file or application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LifeCycle {
    /// `00`: no information given.
    NoInformation,
    /// `01`: creation state.
    Creation,
    /// `03`: initialisation state (personalisation).
    Initialisation,
    /// `05` or `07`: operational, activated.
    Activated,
    /// `04` or `06`: operational, deactivated.
    Deactivated,
    /// `0C` to `0F`: terminated (irreversible).
    Terminated,
    /// A proprietary or reserved value.
    Other(u8),
}

impl LifeCycle {
    /// From the life-cycle status byte.
    pub fn from_byte(b: u8) -> LifeCycle {
        match b {
            0x00 => LifeCycle::NoInformation,
            0x01 => LifeCycle::Creation,
            0x03 => LifeCycle::Initialisation,
            0x05 | 0x07 => LifeCycle::Activated,
            0x04 | 0x06 => LifeCycle::Deactivated,
            0x0C..=0x0F => LifeCycle::Terminated,
            other => LifeCycle::Other(other),
        }
    }

    /// The canonical status byte.
    pub fn byte(self) -> u8 {
        match self {
            LifeCycle::NoInformation => 0x00,
            LifeCycle::Creation => 0x01,
            LifeCycle::Initialisation => 0x03,
            LifeCycle::Activated => 0x05,
            LifeCycle::Deactivated => 0x04,
            LifeCycle::Terminated => 0x0C,
            LifeCycle::Other(b) => b,
        }
    }

    /// True for the operational states (activated or deactivated).
    pub fn is_operational(self) -> bool {
        matches!(self, LifeCycle::Activated | LifeCycle::Deactivated)
    }
}

/// File control parameters.
///
/// ```
/// use rekam_apdu::{Fcp, FileKind, LifeCycle};
/// let fcp = Fcp::ef(0x0101, 120).with_life_cycle(LifeCycle::Initialisation);
/// let bytes = fcp.to_bytes();
/// assert_eq!(&bytes[..2], &[0x62, 0x0E]);
/// assert_eq!(Fcp::parse(&bytes).unwrap(), fcp);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fcp {
    /// Data bytes in the file (tag `80`).
    pub size: Option<u32>,
    /// File kind (tag `82`, first byte).
    pub kind: Option<FileKind>,
    /// File identifier (tag `83`).
    pub fid: Option<u16>,
    /// DF name (tag `84`).
    pub df_name: Option<Vec<u8>>,
    /// Short EF identifier (tag `88`, the SFI in bits 8-4 as the standard encodes it).
    pub sfi: Option<u8>,
    /// Life cycle (tag `8A`).
    pub life_cycle: Option<LifeCycle>,
}

impl Fcp {
    /// A transparent EF of `size` bytes.
    pub fn ef(fid: u16, size: u32) -> Fcp {
        Fcp {
            size: Some(size),
            kind: Some(FileKind::Transparent),
            fid: Some(fid),
            ..Fcp::default()
        }
    }

    /// A DF with an identifier and a name.
    pub fn df(fid: u16, name: &[u8]) -> Fcp {
        Fcp {
            kind: Some(FileKind::Df),
            fid: Some(fid),
            df_name: Some(name.to_vec()),
            ..Fcp::default()
        }
    }

    /// Sets the short EF identifier (1..=30).
    pub fn with_sfi(mut self, sfi: u8) -> Fcp {
        self.sfi = Some(sfi);
        self
    }

    /// Sets the life cycle.
    pub fn with_life_cycle(mut self, lcs: LifeCycle) -> Fcp {
        self.life_cycle = Some(lcs);
        self
    }

    /// Encodes the `62` template.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut inner = Vec::new();
        if let Some(size) = self.size {
            let bytes = size.to_be_bytes();
            // Two bytes unless the size needs more.
            let skip = bytes.iter().take(2).take_while(|b| **b == 0).count();
            tlv::write(&mut inner, TAG_SIZE, &bytes[skip..]);
        }
        if let Some(kind) = self.kind {
            tlv::write(&mut inner, TAG_DESCRIPTOR, &[kind.byte()]);
        }
        if let Some(fid) = self.fid {
            tlv::write(&mut inner, TAG_FID, &fid.to_be_bytes());
        }
        if let Some(name) = &self.df_name {
            tlv::write(&mut inner, TAG_DF_NAME, name);
        }
        if let Some(sfi) = self.sfi {
            tlv::write(&mut inner, TAG_SFI, &[sfi << 3]);
        }
        if let Some(lcs) = self.life_cycle {
            tlv::write(&mut inner, TAG_LIFE_CYCLE, &[lcs.byte()]);
        }
        tlv::encode(TAG_FCP, &inner)
    }

    /// Parses a `62` template (unknown tags inside are ignored).
    pub fn parse(bytes: &[u8]) -> Result<Fcp, TlvError> {
        let (outer, rest) = tlv::Tlv::parse(bytes)?;
        if outer.tag != TAG_FCP || !rest.is_empty() {
            return Err(TlvError::BadLength);
        }
        let mut fcp = Fcp::default();
        for t in tlv::iter(outer.value) {
            let t = t?;
            match t.tag {
                TAG_SIZE => {
                    if t.value.is_empty() || t.value.len() > 4 {
                        return Err(TlvError::BadLength);
                    }
                    fcp.size = Some(t.value.iter().fold(0u32, |a, b| (a << 8) | u32::from(*b)));
                }
                TAG_DESCRIPTOR => {
                    let b = t.value.first().ok_or(TlvError::Truncated)?;
                    fcp.kind = Some(FileKind::from_byte(*b));
                }
                TAG_FID => {
                    let [hi, lo] = t.value else {
                        return Err(TlvError::BadLength);
                    };
                    fcp.fid = Some(u16::from_be_bytes([*hi, *lo]));
                }
                TAG_DF_NAME => fcp.df_name = Some(t.value.to_vec()),
                TAG_SFI => {
                    let b = t.value.first().ok_or(TlvError::Truncated)?;
                    fcp.sfi = Some(b >> 3);
                }
                TAG_LIFE_CYCLE => {
                    let b = t.value.first().ok_or(TlvError::Truncated)?;
                    fcp.life_cycle = Some(LifeCycle::from_byte(*b));
                }
                _ => {}
            }
        }
        Ok(fcp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn df_fcp_has_the_standard_tags() {
        let fcp =
            Fcp::df(0x5F01, &[0xA0, 0, 0, 2, 0x47, 0x10, 1]).with_life_cycle(LifeCycle::Creation);
        assert_eq!(
            fcp.to_bytes(),
            [
                0x62, 0x13, 0x82, 1, 0x38, 0x83, 2, 0x5F, 0x01, 0x84, 7, 0xA0, 0, 0, 2, 0x47, 0x10,
                1, 0x8A, 1, 1
            ]
        );
    }

    #[test]
    fn life_cycle_bytes() {
        for (b, l) in [
            (1, LifeCycle::Creation),
            (3, LifeCycle::Initialisation),
            (5, LifeCycle::Activated),
            (7, LifeCycle::Activated),
            (4, LifeCycle::Deactivated),
            (0x0D, LifeCycle::Terminated),
        ] {
            assert_eq!(LifeCycle::from_byte(b), l);
        }
        assert!(LifeCycle::Activated.is_operational());
        assert!(!LifeCycle::Initialisation.is_operational());
    }

    proptest! {
        #[test]
        fn fcp_round_trips(size in proptest::option::of(0u32..0x100_0000), fid in proptest::option::of(any::<u16>()),
                           name in proptest::option::of(proptest::collection::vec(any::<u8>(), 1..16)),
                           sfi in proptest::option::of(1u8..31), lcs in proptest::option::of(prop_oneof![Just(1u8), Just(3), Just(5), Just(4), Just(0x0C)]),
                           df in any::<bool>()) {
            let fcp = Fcp {
                size, fid, df_name: name, sfi,
                kind: Some(if df { FileKind::Df } else { FileKind::Transparent }),
                life_cycle: lcs.map(LifeCycle::from_byte),
            };
            prop_assert_eq!(Fcp::parse(&fcp.to_bytes()).unwrap(), fcp);
        }

        #[test]
        fn parse_is_total(bytes in proptest::collection::vec(any::<u8>(), 0..100)) {
            let _ = Fcp::parse(&bytes);
        }
    }
}
