//! ISO/IEC 19794-4:2011 finger image record ("FIR\0", version "020\0").
//!
//! Layout followed (all integers big-endian), from ISO/IEC 19794-4:2011 Table 2 (general header)
//! and Table 3 (finger image representation header), as implemented by the open readers
//! `iso19794` 0.1.0 (PyPI, IDEMIA, `FIR.py`) and MOSIP `bio-utils` (`FingerBDIR`):
//!
//! | General header (16 bytes)         | bytes |
//! |-----------------------------------|-------|
//! | format identifier `FIR\0`          | 4 |
//! | version number `020\0`             | 4 |
//! | record length (whole record)       | 4 |
//! | number of representations          | 2 |
//! | certification flag (0/1)           | 1 |
//! | number of distinct finger positions| 1 |
//!
//! | Representation (41 bytes + blocks + image) | bytes |
//! |---------------------------------------------|-------|
//! | representation length (includes itself)     | 4 |
//! | capture date and time                       | 9 |
//! | capture device technology, vendor, type     | 1+2+2 |
//! | number of quality blocks, blocks            | 1 + 5n |
//! | (if certification flag) count, blocks        | 1 + 3n |
//! | finger/palm position                        | 1 |
//! | representation number                       | 1 |
//! | scale units (1 = PPI, 2 = PPCM)             | 1 |
//! | horizontal, vertical scan sampling rate     | 2+2 |
//! | horizontal, vertical image sampling rate    | 2+2 |
//! | bit depth                                   | 1 |
//! | compression algorithm (Table 9)             | 1 |
//! | impression type (Table 10)                  | 1 |
//! | horizontal line length (width), vertical line length (height) | 2+2 |
//! | image data length                           | 4 |
//! | image data                                  | n |
//!
//! The image bytes are stored as given: encoding or decoding images is not this crate's job.

use serde::{Deserialize, Serialize};

use crate::codec::{self, out_of_range, Reader, Writer};
use crate::common::{
    read_certifications, read_datetime, read_device, read_flag, read_quality, write_certifications,
    write_datetime, write_device, write_quality, CaptureDateTime, CaptureDevice,
    CertificationBlock, QualityBlock, Redacted,
};
use crate::error::{DecodeError, DecodeResult, EncodeError, EncodeResult};
use crate::finger::{FingerPosition, ImpressionType};

/// Format identifier of a finger image record.
pub const FORMAT_IDENTIFIER: [u8; 4] = *b"FIR\0";
/// Version of ISO/IEC 19794-4:2011.
pub const VERSION: [u8; 4] = *b"020\0";
/// Length of the general header.
pub const GENERAL_HEADER_LEN: usize = 16;
/// Length of a representation with no quality or certification blocks and no image data.
pub const REPRESENTATION_BASE_LEN: usize = 41;

/// Image compression algorithm (ISO/IEC 19794-4:2011 Table 9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FingerCompression {
    /// Uncompressed, no bit packing (0).
    Uncompressed,
    /// Uncompressed, bit-packed (1).
    UncompressedBitPacked,
    /// WSQ (2).
    Wsq,
    /// JPEG (3).
    Jpeg,
    /// JPEG 2000 lossy (4).
    Jpeg2000Lossy,
    /// JPEG 2000 lossless (5).
    Jpeg2000Lossless,
    /// PNG (6).
    Png,
}

impl FingerCompression {
    /// The code written in the record.
    pub const fn code(self) -> u8 {
        match self {
            Self::Uncompressed => 0,
            Self::UncompressedBitPacked => 1,
            Self::Wsq => 2,
            Self::Jpeg => 3,
            Self::Jpeg2000Lossy => 4,
            Self::Jpeg2000Lossless => 5,
            Self::Png => 6,
        }
    }

    /// The algorithm with this code.
    pub const fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            0 => Self::Uncompressed,
            1 => Self::UncompressedBitPacked,
            2 => Self::Wsq,
            3 => Self::Jpeg,
            4 => Self::Jpeg2000Lossy,
            5 => Self::Jpeg2000Lossless,
            6 => Self::Png,
            _ => return None,
        })
    }
}

/// Units of the sampling rates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ScaleUnits {
    /// Pixels per inch (1).
    PixelsPerInch,
    /// Pixels per centimetre (2).
    PixelsPerCentimetre,
}

impl ScaleUnits {
    /// The code written in the record.
    pub const fn code(self) -> u8 {
        match self {
            Self::PixelsPerInch => 1,
            Self::PixelsPerCentimetre => 2,
        }
    }
}

/// One finger image (a representation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FingerImage {
    /// When it was captured (`None` writes the "not given" 0xFF fill).
    pub capture_datetime: Option<CaptureDateTime>,
    /// Capture device; technology codes 0..=20 (Table 4).
    pub capture_device: CaptureDevice,
    /// Quality blocks (e.g. NFIQ 2 scores).
    pub quality: Vec<QualityBlock>,
    /// Certification blocks. Any representation having one sets the record's certification
    /// flag, and then every representation carries a (possibly empty) certification list.
    pub certifications: Vec<CertificationBlock>,
    /// Finger or palm position.
    pub position: FingerPosition,
    /// Representation number (distinguishes captures of one position).
    pub representation_number: u8,
    /// Units of the four sampling rates.
    pub scale_units: ScaleUnits,
    /// Horizontal scan sampling rate (the sensor's native resolution).
    pub scan_horizontal: u16,
    /// Vertical scan sampling rate.
    pub scan_vertical: u16,
    /// Horizontal image sampling rate (the image's resolution).
    pub image_horizontal: u16,
    /// Vertical image sampling rate.
    pub image_vertical: u16,
    /// Bits per pixel, 1..=16.
    pub bit_depth: u8,
    /// How `image` is compressed.
    pub compression: FingerCompression,
    /// Impression type.
    pub impression: ImpressionType,
    /// Width in pixels (horizontal line length).
    pub width: u16,
    /// Height in pixels (vertical line length).
    pub height: u16,
    /// The image bytes, as given.
    pub image: Redacted<Vec<u8>>,
}

/// An ISO/IEC 19794-4:2011 finger image record: one or more finger images.
///
/// ```
/// use rekam_iso19794::fir::{FingerCompression, FingerImage, FingerImageRecord, ScaleUnits};
/// use rekam_iso19794::{CaptureDevice, FingerPosition, ImpressionType};
///
/// let record = FingerImageRecord {
///     images: vec![FingerImage {
///         capture_datetime: None,
///         capture_device: CaptureDevice::default(),
///         quality: vec![],
///         certifications: vec![],
///         position: FingerPosition::RIGHT_INDEX,
///         representation_number: 0,
///         scale_units: ScaleUnits::PixelsPerInch,
///         scan_horizontal: 500,
///         scan_vertical: 500,
///         image_horizontal: 500,
///         image_vertical: 500,
///         bit_depth: 8,
///         compression: FingerCompression::Uncompressed,
///         impression: ImpressionType::LIVE_SCAN_PLAIN,
///         width: 2,
///         height: 2,
///         image: vec![0, 255, 255, 0].into(),
///     }],
/// };
/// let bytes = record.to_bytes()?;
/// assert_eq!(&bytes[..4], b"FIR\0");
/// assert_eq!(bytes.len(), 16 + 41 + 4);
/// assert_eq!(FingerImageRecord::from_bytes(&bytes)?, record);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FingerImageRecord {
    /// The representations, in record order (at least one).
    pub images: Vec<FingerImage>,
}

impl FingerImageRecord {
    /// Writes the record.
    pub fn to_bytes(&self) -> EncodeResult<Vec<u8>> {
        let certified = self.images.iter().any(|i| !i.certifications.is_empty());
        let mut positions: Vec<u8> = self.images.iter().map(|i| i.position.code()).collect();
        positions.sort_unstable();
        positions.dedup();

        let (mut w, total) = codec::start_record(&FORMAT_IDENTIFIER, &VERSION, self.images.len())?;
        w.u8(u8::from(certified));
        w.u8(codec::count(
            positions.len(),
            "number of finger positions",
            255,
        )?);
        for image in &self.images {
            write_image(&mut w, image, certified)?;
        }
        w.patch_total(total)?;
        Ok(w.into_bytes())
    }

    /// Reads a record. The input must be exactly one record (its length field equals the
    /// input length).
    pub fn from_bytes(bytes: &[u8]) -> DecodeResult<Self> {
        let (mut r, count) = codec::read_record_start(bytes, &FORMAT_IDENTIFIER, &VERSION)?;
        let certified = read_flag(&mut r, "certification flag")?;
        let positions_offset = r.offset();
        let declared_positions = r.u8("number of finger positions")?;
        let images =
            codec::read_representations(&mut r, count, bytes.len(), |r| read_image(r, certified))?;
        let mut positions: Vec<u8> = images.iter().map(|i| i.position.code()).collect();
        positions.sort_unstable();
        positions.dedup();
        if positions.len() != usize::from(declared_positions) {
            return Err(DecodeError::LengthMismatch {
                field: "number of finger positions",
                offset: positions_offset,
                declared: declared_positions.into(),
                actual: positions.len() as u64,
            });
        }
        Ok(Self { images })
    }
}

fn write_image(w: &mut Writer, i: &FingerImage, certified: bool) -> EncodeResult<()> {
    if !(1..=16).contains(&i.bit_depth) {
        return Err(EncodeError::Invalid {
            field: "bit depth",
            reason: "must be 1..=16",
        });
    }
    let start = w.len_placeholder();
    write_datetime(w, &i.capture_datetime)?;
    if i.capture_device.technology > 20 {
        return Err(EncodeError::TooLarge {
            field: "capture device technology identifier",
            value: i.capture_device.technology.into(),
            max: 20,
        });
    }
    write_device(w, &i.capture_device);
    write_quality(w, &i.quality)?;
    if certified {
        write_certifications(w, &i.certifications)?;
    }
    w.u8(i.position.code());
    w.u8(i.representation_number);
    w.u8(i.scale_units.code());
    w.u16(i.scan_horizontal);
    w.u16(i.scan_vertical);
    w.u16(i.image_horizontal);
    w.u16(i.image_vertical);
    w.u8(i.bit_depth);
    w.u8(i.compression.code());
    w.u8(i.impression.code());
    w.u16(i.width);
    w.u16(i.height);
    w.u32(codec::count(
        i.image.len(),
        "image data length",
        u32::MAX.into(),
    )?);
    w.bytes(&i.image);
    w.patch_len(start, "representation length")
}

fn read_image(r: &mut Reader<'_>, certified: bool) -> DecodeResult<FingerImage> {
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
        .ok_or_else(|| out_of_range(&r, 1, "finger position", code.into()))?;
    let representation_number = r.u8("representation number")?;
    let scale_units = match r.u8("scale units")? {
        1 => ScaleUnits::PixelsPerInch,
        2 => ScaleUnits::PixelsPerCentimetre,
        v => return Err(out_of_range(&r, 1, "scale units", v.into())),
    };
    let scan_horizontal = r.u16("horizontal scan sampling rate")?;
    let scan_vertical = r.u16("vertical scan sampling rate")?;
    let image_horizontal = r.u16("horizontal image sampling rate")?;
    let image_vertical = r.u16("vertical image sampling rate")?;
    let bit_depth = r.u8("bit depth")?;
    if !(1..=16).contains(&bit_depth) {
        return Err(out_of_range(&r, 1, "bit depth", bit_depth.into()));
    }
    let code = r.u8("compression algorithm")?;
    let compression = FingerCompression::from_code(code)
        .ok_or_else(|| out_of_range(&r, 1, "compression algorithm", code.into()))?;
    let code = r.u8("impression type")?;
    let impression = ImpressionType::new(code)
        .ok_or_else(|| out_of_range(&r, 1, "impression type", code.into()))?;
    let width = r.u16("horizontal line length")?;
    let height = r.u16("vertical line length")?;
    let data_len_offset = r.offset();
    let data_len = r.u32("image data length")?;
    if u64::from(data_len) != r.remaining() as u64 {
        return Err(DecodeError::LengthMismatch {
            field: "image data length",
            offset: data_len_offset,
            declared: data_len.into(),
            actual: r.remaining() as u64,
        });
    }
    let image = r.rest().to_vec();
    Ok(FingerImage {
        capture_datetime,
        capture_device,
        quality,
        certifications,
        position,
        representation_number,
        scale_units,
        scan_horizontal,
        scan_vertical,
        image_horizontal,
        image_vertical,
        bit_depth,
        compression,
        impression,
        width,
        height,
        image: Redacted(image),
    })
}
