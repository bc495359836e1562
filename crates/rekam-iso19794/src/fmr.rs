//! ISO/IEC 19794-2:2011 finger minutiae: the record format ("FMR\0", version "030\0") and the
//! compact card format (3 bytes per minutia) used on chips for match-on-card.
//!
//! Record layout (big-endian), from ISO/IEC 19794-2:2011 (with Cor.1:2012) general header and
//! finger representation tables, as summarised by R. Važan's CC-BY "ISO/IEC 19794-2:2011
//! Summary" (templates.machinezoo.com) and implemented by FingerprintIO
//! (`Iso19794p1v2011Template`, `Iso19794p2v2011Fingerprint`, `Iso19794p2v2011Minutia`):
//!
//! | General header (15 bytes) | bytes |
//! |---------------------------|-------|
//! | format identifier `FMR\0`  | 4 |
//! | version number `030\0`     | 4 |
//! | record length              | 4 |
//! | number of representations  | 2 |
//! | certification flag         | 1 |
//!
//! | Representation (34 bytes + blocks + minutiae + extended data) | bytes |
//! |-----------------------------------------------------|-------|
//! | representation length                               | 4 |
//! | capture date and time                               | 9 |
//! | capture device technology, vendor, type             | 1+2+2 |
//! | number of quality blocks, blocks                    | 1 + 5n |
//! | (if certification flag) count, blocks                | 1 + 3n |
//! | finger position                                     | 1 |
//! | representation number                               | 1 |
//! | horizontal, vertical image spatial sampling rate (pixels per cm) | 2+2 |
//! | impression type                                     | 1 |
//! | width, height (pixels)                              | 2+2 |
//! | minutia field length (high nibble: 5 or 6) and ridge ending type (low nibble) | 1 |
//! | number of minutiae                                  | 1 |
//! | minutiae: type (2 bits) + x (14), reserved (2) + y (14), angle (1), quality (1, only when the field length is 6) | 5 or 6 each |
//! | extended data block length, extended data           | 2 + n |
//!
//! The angle unit is 360/256 degrees, counter-clockwise from the x axis. Extended data (ridge
//! counts, cores and deltas, zonal quality) is kept as raw bytes.
//!
//! Compact card format (19794-2:2011 clause 9, the "ISO compact card" of NIST MINEX and
//! BIOMDI `FMR_STD_ISO_COMPACT_CARD`): a bare sequence of 3-byte minutiae, x (1 byte) and y
//! (1 byte) in units of 0.1 mm, then type (high 2 bits) and angle (low 6 bits, unit 360/64
//! degrees). The header information travels in the card's biometric information template, not
//! here.

use serde::{Deserialize, Serialize};

use crate::codec::{self, out_of_range, Reader, Writer};
use crate::common::{
    read_certifications, read_datetime, read_device, read_flag, read_quality, write_certifications,
    write_datetime, write_device, write_quality, CaptureDateTime, CaptureDevice,
    CertificationBlock, QualityBlock, Redacted,
};
use crate::error::{DecodeError, DecodeResult, EncodeError, EncodeResult};
use crate::finger::{FingerPosition, ImpressionType};

/// Format identifier of a finger minutiae record.
pub const FORMAT_IDENTIFIER: [u8; 4] = *b"FMR\0";
/// Version of ISO/IEC 19794-2:2011.
pub const VERSION: [u8; 4] = *b"030\0";
/// Length of the general header.
pub const GENERAL_HEADER_LEN: usize = 15;
/// Length of a representation with no blocks, no minutiae and no extended data.
pub const REPRESENTATION_BASE_LEN: usize = 34;
/// Largest coordinate a minutia can carry (14 bits).
pub const MAX_COORDINATE: u16 = 0x3FFF;

/// Minutia type (2 bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MinutiaType {
    /// Other (0b00).
    Other,
    /// Ridge ending (0b01).
    RidgeEnding,
    /// Ridge bifurcation (0b10).
    Bifurcation,
}

impl MinutiaType {
    /// The 2-bit code.
    pub const fn code(self) -> u8 {
        match self {
            Self::Other => 0,
            Self::RidgeEnding => 1,
            Self::Bifurcation => 2,
        }
    }

    /// The type with this 2-bit code (3 is reserved).
    pub const fn from_code(code: u8) -> Option<Self> {
        match code {
            0 => Some(Self::Other),
            1 => Some(Self::RidgeEnding),
            2 => Some(Self::Bifurcation),
            _ => None,
        }
    }
}

/// Where ridge-ending minutiae are placed (low nibble of the minutia field byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RidgeEndingType {
    /// At valley skeleton bifurcations (0).
    ValleySkeletonBifurcation,
    /// At ridge skeleton end points (1).
    RidgeSkeletonEndpoint,
}

/// One minutia of the record format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Minutia {
    /// Type.
    pub kind: MinutiaType,
    /// X in pixels from the left, 0..=16383.
    pub x: u16,
    /// Y in pixels from the top, 0..=16383.
    pub y: u16,
    /// Direction in units of 360/256 degrees.
    pub angle: u8,
    /// Quality 0..=100, 254 (not reported) or 255 (failed); `None` when the record uses the
    /// 5-byte minutia field. All minutiae of a representation have a quality or none do.
    pub quality: Option<u8>,
}

/// The zero minutia (type other, at the origin, angle 0, no quality): what a wiped one holds.
impl Default for Minutia {
    fn default() -> Self {
        Minutia {
            kind: MinutiaType::Other,
            x: 0,
            y: 0,
            angle: 0,
            quality: None,
        }
    }
}

/// Minutiae are biometric data: holders wipe them with `zeroize` (a `Vec<Minutia>` is
/// overwritten with [`Minutia::default`], spare capacity included, by writes the compiler
/// keeps).
impl zeroize::DefaultIsZeroes for Minutia {}

/// One finger view (a representation) of a minutiae record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FingerMinutiae {
    /// When it was captured.
    pub capture_datetime: Option<CaptureDateTime>,
    /// Capture device (technology codes 0..=20).
    pub capture_device: CaptureDevice,
    /// Quality blocks.
    pub quality: Vec<QualityBlock>,
    /// Certification blocks (see [`crate::fir::FingerImage::certifications`]).
    pub certifications: Vec<CertificationBlock>,
    /// Finger position, single fingers only (0..=10).
    pub position: FingerPosition,
    /// Representation (view) number, 0..=15.
    pub representation_number: u8,
    /// Horizontal resolution in pixels per centimetre (197 = 500 ppi).
    pub resolution_x: u16,
    /// Vertical resolution in pixels per centimetre.
    pub resolution_y: u16,
    /// Impression type (not a palm).
    pub impression: ImpressionType,
    /// Image width in pixels (1..=16383).
    pub width: u16,
    /// Image height in pixels (1..=16383).
    pub height: u16,
    /// Ridge ending convention.
    pub ridge_ending: RidgeEndingType,
    /// The minutiae (at most 255).
    pub minutiae: Redacted<Vec<Minutia>>,
    /// Extended data blocks (ridge counts, core/delta, zonal quality, vendor), raw.
    pub extended_data: Redacted<Vec<u8>>,
}

/// An ISO/IEC 19794-2:2011 finger minutiae record.
///
/// ```
/// use rekam_iso19794::fmr::{FingerMinutiae, FingerMinutiaeRecord, Minutia, MinutiaType, RidgeEndingType};
/// use rekam_iso19794::{CaptureDevice, FingerPosition, ImpressionType};
///
/// let record = FingerMinutiaeRecord {
///     fingers: vec![FingerMinutiae {
///         capture_datetime: None,
///         capture_device: CaptureDevice::default(),
///         quality: vec![],
///         certifications: vec![],
///         position: FingerPosition::LEFT_THUMB,
///         representation_number: 0,
///         resolution_x: 197,
///         resolution_y: 197,
///         impression: ImpressionType::LIVE_SCAN_PLAIN,
///         width: 400,
///         height: 500,
///         ridge_ending: RidgeEndingType::RidgeSkeletonEndpoint,
///         minutiae: vec![Minutia { kind: MinutiaType::Bifurcation, x: 120, y: 200, angle: 64, quality: Some(80) }].into(),
///         extended_data: vec![].into(),
///     }],
/// };
/// let bytes = record.to_bytes()?;
/// assert_eq!(bytes.len(), 15 + 34 + 6);
/// assert_eq!(FingerMinutiaeRecord::from_bytes(&bytes)?, record);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FingerMinutiaeRecord {
    /// The finger views (at least one).
    pub fingers: Vec<FingerMinutiae>,
}

impl FingerMinutiaeRecord {
    /// Writes the record.
    pub fn to_bytes(&self) -> EncodeResult<Vec<u8>> {
        let certified = self.fingers.iter().any(|f| !f.certifications.is_empty());
        let (mut w, total) = codec::start_record(&FORMAT_IDENTIFIER, &VERSION, self.fingers.len())?;
        w.u8(u8::from(certified));
        for f in &self.fingers {
            write_finger(&mut w, f, certified)?;
        }
        w.patch_total(total)?;
        Ok(w.into_bytes())
    }

    /// Reads a record (exactly one record, its length field equal to the input length).
    pub fn from_bytes(bytes: &[u8]) -> DecodeResult<Self> {
        let (mut r, count) = codec::read_record_start(bytes, &FORMAT_IDENTIFIER, &VERSION)?;
        let certified = read_flag(&mut r, "certification flag")?;
        let fingers =
            codec::read_representations(&mut r, count, bytes.len(), |r| read_finger(r, certified))?;
        Ok(Self { fingers })
    }
}

fn check_quality(q: u8) -> bool {
    q <= 100 || q == 254 || q == 255
}

fn write_finger(w: &mut Writer, f: &FingerMinutiae, certified: bool) -> EncodeResult<()> {
    let invalid = |field, reason| Err(EncodeError::Invalid { field, reason });
    if !f.position.is_single_finger() {
        return invalid(
            "finger position",
            "a minutiae record holds single fingers (0..=10)",
        );
    }
    if f.impression.is_palm() {
        return invalid(
            "impression type",
            "palm impressions are not finger minutiae",
        );
    }
    if f.representation_number > 15 {
        return invalid("representation number", "must be 0..=15");
    }
    if f.width == 0 || f.width > MAX_COORDINATE || f.height == 0 || f.height > MAX_COORDINATE {
        return invalid("image size", "width and height must be 1..=16383");
    }
    if f.capture_device.technology > 20 {
        return invalid("capture device technology identifier", "must be 0..=20");
    }
    let with_quality = f.minutiae.first().is_some_and(|m| m.quality.is_some());
    for m in f.minutiae.iter() {
        if m.quality.is_some() != with_quality {
            return invalid("minutia quality", "all minutiae have a quality or none do");
        }
        if m.x > MAX_COORDINATE || m.y > MAX_COORDINATE {
            return invalid("minutia position", "coordinates must be 0..=16383");
        }
        if m.quality.is_some_and(|q| !check_quality(q)) {
            return invalid("minutia quality", "must be 0..=100, 254 or 255");
        }
    }
    let start = w.len_placeholder();
    write_datetime(w, &f.capture_datetime)?;
    write_device(w, &f.capture_device);
    write_quality(w, &f.quality)?;
    if certified {
        write_certifications(w, &f.certifications)?;
    }
    w.u8(f.position.code());
    w.u8(f.representation_number);
    w.u16(f.resolution_x);
    w.u16(f.resolution_y);
    w.u8(f.impression.code());
    w.u16(f.width);
    w.u16(f.height);
    let field_len: u8 = if with_quality { 6 } else { 5 };
    let ending = match f.ridge_ending {
        RidgeEndingType::ValleySkeletonBifurcation => 0,
        RidgeEndingType::RidgeSkeletonEndpoint => 1,
    };
    w.u8(field_len << 4 | ending);
    w.u8(codec::count(f.minutiae.len(), "number of minutiae", 255)?);
    for m in f.minutiae.iter() {
        w.u16(u16::from(m.kind.code()) << 14 | m.x);
        w.u16(m.y);
        w.u8(m.angle);
        if let Some(q) = m.quality {
            w.u8(q);
        }
    }
    w.u16(codec::count(
        f.extended_data.len(),
        "extended data block length",
        0xFFFF,
    )?);
    w.bytes(&f.extended_data);
    w.patch_len(start, "representation length")
}

fn read_finger(r: &mut Reader<'_>, certified: bool) -> DecodeResult<FingerMinutiae> {
    let mut r = codec::read_representation(r, REPRESENTATION_BASE_LEN as u32)?;
    let capture_datetime = read_datetime(&mut r)?;
    let capture_device = read_device(&mut r, 20)?;
    let quality = read_quality(&mut r)?;
    let certifications = if certified {
        read_certifications(&mut r)?
    } else {
        Vec::new()
    };
    let code = r.u8("finger position")?;
    let position = FingerPosition::new(code)
        .filter(|p| p.is_single_finger())
        .ok_or_else(|| out_of_range(&r, 1, "finger position", code.into()))?;
    let representation_number = r.u8("representation number")?;
    if representation_number > 15 {
        return Err(out_of_range(
            &r,
            1,
            "representation number",
            representation_number.into(),
        ));
    }
    let resolution_x = r.u16("horizontal image spatial sampling rate")?;
    let resolution_y = r.u16("vertical image spatial sampling rate")?;
    let code = r.u8("impression type")?;
    let impression = ImpressionType::new(code)
        .filter(|i| !i.is_palm())
        .ok_or_else(|| out_of_range(&r, 1, "impression type", code.into()))?;
    let width = r.u16("width")?;
    if width == 0 || width > MAX_COORDINATE {
        return Err(out_of_range(&r, 2, "width", width.into()));
    }
    let height = r.u16("height")?;
    if height == 0 || height > MAX_COORDINATE {
        return Err(out_of_range(&r, 2, "height", height.into()));
    }
    let flags = r.u8("minutia field length and ridge ending type")?;
    let with_quality = match flags >> 4 {
        5 => false,
        6 => true,
        v => return Err(out_of_range(&r, 1, "minutia field length", v.into())),
    };
    let ridge_ending = match flags & 0x0F {
        0 => RidgeEndingType::ValleySkeletonBifurcation,
        1 => RidgeEndingType::RidgeSkeletonEndpoint,
        v => return Err(out_of_range(&r, 1, "ridge ending type", v.into())),
    };
    let n = r.u8("number of minutiae")?;
    let mut minutiae = Vec::with_capacity(n.into());
    for _ in 0..n {
        let tx = r.u16("minutia type and x")?;
        let kind = MinutiaType::from_code((tx >> 14) as u8)
            .ok_or_else(|| out_of_range(&r, 2, "minutia type", (tx >> 14).into()))?;
        let y = r.u16("minutia y")?;
        if y >> 14 != 0 {
            return Err(out_of_range(
                &r,
                2,
                "minutia reserved bits",
                (y >> 14).into(),
            ));
        }
        let angle = r.u8("minutia angle")?;
        let quality = if with_quality {
            let q = r.u8("minutia quality")?;
            if !check_quality(q) {
                return Err(out_of_range(&r, 1, "minutia quality", q.into()));
            }
            Some(q)
        } else {
            None
        };
        minutiae.push(Minutia {
            kind,
            x: tx & MAX_COORDINATE,
            y,
            angle,
            quality,
        });
    }
    let ext_offset = r.offset();
    let ext_len = r.u16("extended data block length")?;
    if usize::from(ext_len) != r.remaining() {
        return Err(DecodeError::LengthMismatch {
            field: "extended data block length",
            offset: ext_offset,
            declared: ext_len.into(),
            actual: r.remaining() as u64,
        });
    }
    let extended_data = r.rest().to_vec();
    Ok(FingerMinutiae {
        capture_datetime,
        capture_device,
        quality,
        certifications,
        position,
        representation_number,
        resolution_x,
        resolution_y,
        impression,
        width,
        height,
        ridge_ending,
        minutiae: Redacted(minutiae),
        extended_data: Redacted(extended_data),
    })
}

/// One minutia of the compact card format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CardMinutia {
    /// X in units of 0.1 mm.
    pub x: u8,
    /// Y in units of 0.1 mm.
    pub y: u8,
    /// Type.
    pub kind: MinutiaType,
    /// Direction in units of 360/64 degrees, 0..=63.
    pub angle: u8,
}

impl CardMinutia {
    /// Converts a record minutia, given the record's resolution in pixels per centimetre:
    /// coordinates go from pixels to 0.1 mm (rounded), the angle from 1/256 to 1/64 of a turn
    /// (rounded, 64 wrapping to 0). Fails when a coordinate lies beyond 25.5 mm or a
    /// resolution is zero.
    pub fn from_record(m: &Minutia, resolution_x: u16, resolution_y: u16) -> EncodeResult<Self> {
        let to_card = |px: u16, res: u16, field: &'static str| -> EncodeResult<u8> {
            if res == 0 {
                return Err(EncodeError::Invalid {
                    field,
                    reason: "resolution must not be zero",
                });
            }
            // 1 cm = 100 units of 0.1 mm; round half up.
            let v = (u32::from(px) * 100 + u32::from(res) / 2) / u32::from(res);
            u8::try_from(v).map_err(|_| EncodeError::TooLarge {
                field,
                value: v.into(),
                max: 255,
            })
        };
        Ok(Self {
            x: to_card(m.x, resolution_x, "card minutia x")?,
            y: to_card(m.y, resolution_y, "card minutia y")?,
            kind: m.kind,
            angle: ((u16::from(m.angle) + 2) / 4 % 64) as u8,
        })
    }
}

/// Minutiae in the ISO/IEC 19794-2:2011 compact card format (3 bytes each), as written into a
/// chip's biometric data object.
///
/// ```
/// use rekam_iso19794::fmr::{CardMinutia, CompactCardTemplate, MinutiaType};
///
/// let t = CompactCardTemplate {
///     minutiae: vec![CardMinutia { x: 10, y: 20, kind: MinutiaType::RidgeEnding, angle: 63 }].into(),
/// };
/// assert_eq!(t.to_bytes()?, vec![10, 20, 0b01_111111]);
/// assert_eq!(CompactCardTemplate::from_bytes(&[10, 20, 0x7F])?, t);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CompactCardTemplate {
    /// The minutiae in card order.
    pub minutiae: Redacted<Vec<CardMinutia>>,
}

impl CompactCardTemplate {
    /// Size of one minutia in bytes.
    pub const MINUTIA_LEN: usize = 3;

    /// Writes 3 bytes per minutia.
    pub fn to_bytes(&self) -> EncodeResult<Vec<u8>> {
        let mut out = Vec::with_capacity(self.minutiae.len() * Self::MINUTIA_LEN);
        for m in self.minutiae.iter() {
            if m.angle > 63 {
                return Err(EncodeError::TooLarge {
                    field: "card minutia angle",
                    value: m.angle.into(),
                    max: 63,
                });
            }
            out.extend_from_slice(&[m.x, m.y, m.kind.code() << 6 | m.angle]);
        }
        Ok(out)
    }

    /// Reads a sequence of 3-byte minutiae.
    pub fn from_bytes(bytes: &[u8]) -> DecodeResult<Self> {
        if !bytes.len().is_multiple_of(Self::MINUTIA_LEN) {
            return Err(DecodeError::LengthMismatch {
                field: "card minutiae",
                offset: 0,
                declared: bytes.len() as u64,
                actual: (bytes.len() - bytes.len() % Self::MINUTIA_LEN) as u64,
            });
        }
        let mut out = Vec::with_capacity(bytes.len() / Self::MINUTIA_LEN);
        for (i, c) in bytes.chunks_exact(Self::MINUTIA_LEN).enumerate() {
            let (x, y, ta) = (c[0], c[1], c[2]);
            let kind = MinutiaType::from_code(ta >> 6).ok_or(DecodeError::OutOfRange {
                field: "card minutia type",
                offset: i * Self::MINUTIA_LEN + 2,
                value: (ta >> 6).into(),
            })?;
            out.push(CardMinutia {
                x,
                y,
                kind,
                angle: ta & 0x3F,
            });
        }
        Ok(Self {
            minutiae: Redacted(out),
        })
    }
}

#[cfg(test)]
mod wipe_tests {
    use super::*;

    #[test]
    fn zeroize_overwrites_every_minutia_with_the_zero_one() {
        let m = Minutia {
            kind: MinutiaType::Bifurcation,
            x: 312,
            y: 95,
            angle: 201,
            quality: Some(80),
        };
        let mut v = vec![m; 5];
        zeroize::Zeroize::zeroize(&mut v);
        // `Vec::zeroize` overwrites the elements with the zero minutia, then clears the vector
        // (the wiped memory is not readable without `unsafe`; zeroize's own tests cover it).
        assert!(v.is_empty());
        assert_eq!(
            Minutia::default(),
            Minutia {
                kind: MinutiaType::Other,
                x: 0,
                y: 0,
                angle: 0,
                quality: None
            }
        );
    }
}
