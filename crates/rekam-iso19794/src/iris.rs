//! ISO/IEC 19794-6:2011 iris image record ("IIR\0", version "020\0").
//!
//! Layout followed (big-endian), from ISO/IEC 19794-6:2011 Table 2 (general header) and Table 3
//! (iris image representation), as read by NIST's libbiomeval (`be_iris_incitsview.cpp`,
//! `ISO2011View`) and written by MOSIP `bio-utils` (`IrisBDIR`):
//!
//! | General header (16 bytes) | bytes |
//! |---------------------------|-------|
//! | format identifier `IIR\0`  | 4 |
//! | version number `020\0`     | 4 |
//! | record length              | 4 |
//! | number of representations  | 2 |
//! | certification flag (shall be 0) | 1 |
//! | number of eyes represented (0..=2) | 1 |
//!
//! | Representation (52 bytes + quality blocks + image) | bytes |
//! |-----------------------------------------------|-------|
//! | representation length                         | 4 |
//! | capture date and time                         | 9 |
//! | capture device technology (0 unknown, 1 CMOS/CCD), vendor, type | 1+2+2 |
//! | number of quality blocks, blocks              | 1 + 5n |
//! | representation number                         | 2 |
//! | eye label (0 undefined, 1 right, 2 left)      | 1 |
//! | image type (1 uncropped, 2 VGA, 3 cropped, 7 cropped and masked) | 1 |
//! | image format (2 monochrome raw, 10 JPEG 2000, 14 monochrome PNG) | 1 |
//! | image properties: horizontal orientation (bits 0-1), vertical orientation (bits 2-3), compression history (bits 6-7) | 1 |
//! | width, height                                 | 2+2 |
//! | bit depth                                     | 1 |
//! | range (0 unassigned, 1 failed, 2 overflow, else cm) | 2 |
//! | roll angle, roll angle uncertainty (360/65536 degrees; 0xFFFF undefined) | 2+2 |
//! | iris centre smallest x, largest x, smallest y, largest y (0 = not given) | 2+2+2+2 |
//! | iris diameter smallest, largest (0 = not given) | 2+2 |
//! | image length                                  | 4 |
//! | image data                                    | n |

use serde::{Deserialize, Serialize};

use crate::codec::{self, out_of_range, Reader, Writer};
use crate::common::{
    read_datetime, read_device, read_quality, write_datetime, write_device, write_quality,
    CaptureDateTime, CaptureDevice, QualityBlock, Redacted,
};
use crate::error::{DecodeError, DecodeResult, EncodeError, EncodeResult};

/// Format identifier of an iris image record.
pub const FORMAT_IDENTIFIER: [u8; 4] = *b"IIR\0";
/// Version of ISO/IEC 19794-6:2011.
pub const VERSION: [u8; 4] = *b"020\0";
/// Length of the general header.
pub const GENERAL_HEADER_LEN: usize = 16;
/// Length of a representation with no quality blocks and no image data.
pub const REPRESENTATION_BASE_LEN: usize = 52;

/// Which eye.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EyeLabel {
    /// Not given (0).
    Undefined,
    /// Right eye (1).
    Right,
    /// Left eye (2).
    Left,
}

/// Iris image type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum IrisImageType {
    /// Uncropped (1).
    Uncropped,
    /// VGA, 640x480 (2).
    Vga,
    /// Cropped around the iris (3).
    Cropped,
    /// Cropped and masked (7).
    CroppedMasked,
}

/// Iris image format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum IrisImageFormat {
    /// Monochrome raw (2).
    MonoRaw,
    /// JPEG 2000 (10).
    Jpeg2000,
    /// Monochrome PNG (14).
    MonoPng,
}

/// Orientation of the image along one axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Orientation {
    /// Not given (0).
    Undefined,
    /// As seen by the camera (1).
    Base,
    /// Flipped (2).
    Flipped,
}

/// Compression the image went through before this record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CompressionHistory {
    /// Not given (0).
    Undefined,
    /// Lossless or none (1).
    LosslessOrNone,
    /// Lossy (2).
    Lossy,
}

/// Distance from the camera to the iris.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CameraRange {
    /// Not assigned (0).
    Unassigned,
    /// Measurement failed (1).
    Failed,
    /// Beyond the measurable range (2).
    Overflow,
    /// Distance in centimetres (3..=65535).
    Centimetres(u16),
}

/// Iris centre as the range of its possible positions, in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct IrisCentre {
    /// Smallest x.
    pub smallest_x: u16,
    /// Largest x.
    pub largest_x: u16,
    /// Smallest y.
    pub smallest_y: u16,
    /// Largest y.
    pub largest_y: u16,
}

/// Iris diameter as a range, in pixels (the radius is half of it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct IrisDiameter {
    /// Smallest diameter.
    pub smallest: u16,
    /// Largest diameter.
    pub largest: u16,
}

/// One iris image (a representation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IrisImage {
    /// When it was captured.
    pub capture_datetime: Option<CaptureDateTime>,
    /// Capture device (technology 0 unknown or 1 CMOS/CCD).
    pub capture_device: CaptureDevice,
    /// Quality blocks.
    pub quality: Vec<QualityBlock>,
    /// Representation number.
    pub representation_number: u16,
    /// Which eye.
    pub eye: EyeLabel,
    /// Image type.
    pub image_type: IrisImageType,
    /// Image format of `image`.
    pub image_format: IrisImageFormat,
    /// Horizontal orientation.
    pub horizontal_orientation: Orientation,
    /// Vertical orientation.
    pub vertical_orientation: Orientation,
    /// Compression history.
    pub compression_history: CompressionHistory,
    /// Width in pixels.
    pub width: u16,
    /// Height in pixels.
    pub height: u16,
    /// Bits per pixel (8..=16 in practice; 1..=16 accepted).
    pub bit_depth: u8,
    /// Camera-to-iris distance.
    pub range: CameraRange,
    /// Roll angle of the eye in units of 360/65536 degrees, 0..=65534 (`None` = undefined).
    pub roll_angle: Option<u16>,
    /// Roll angle uncertainty, same unit (`None` = undefined).
    pub roll_angle_uncertainty: Option<u16>,
    /// Iris centre (`None` = not given, written as zeros).
    pub iris_centre: Option<IrisCentre>,
    /// Iris diameter (`None` = not given, written as zeros).
    pub iris_diameter: Option<IrisDiameter>,
    /// The image bytes, as given.
    pub image: Redacted<Vec<u8>>,
}

/// An ISO/IEC 19794-6:2011 iris image record.
///
/// ```
/// use rekam_iso19794::iris::*;
/// use rekam_iso19794::CaptureDevice;
///
/// let record = IrisImageRecord {
///     images: vec![IrisImage {
///         capture_datetime: None,
///         capture_device: CaptureDevice::default(),
///         quality: vec![],
///         representation_number: 1,
///         eye: EyeLabel::Left,
///         image_type: IrisImageType::CroppedMasked,
///         image_format: IrisImageFormat::MonoPng,
///         horizontal_orientation: Orientation::Base,
///         vertical_orientation: Orientation::Base,
///         compression_history: CompressionHistory::LosslessOrNone,
///         width: 640,
///         height: 480,
///         bit_depth: 8,
///         range: CameraRange::Centimetres(30),
///         roll_angle: None,
///         roll_angle_uncertainty: None,
///         iris_centre: Some(IrisCentre { smallest_x: 318, largest_x: 322, smallest_y: 238, largest_y: 242 }),
///         iris_diameter: None,
///         image: vec![0x89, b'P', b'N', b'G'].into(),
///     }],
/// };
/// let bytes = record.to_bytes()?;
/// assert_eq!(bytes.len(), 16 + 52 + 4);
/// assert_eq!(IrisImageRecord::from_bytes(&bytes)?, record);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IrisImageRecord {
    /// The representations (at least one).
    pub images: Vec<IrisImage>,
}

impl IrisImageRecord {
    /// Writes the record. The number of eyes is derived from the eye labels.
    pub fn to_bytes(&self) -> EncodeResult<Vec<u8>> {
        let (mut w, total) = codec::start_record(&FORMAT_IDENTIFIER, &VERSION, self.images.len())?;
        w.u8(0);
        w.u8(eye_count(&self.images));
        for i in &self.images {
            write_image(&mut w, i)?;
        }
        w.patch_total(total)?;
        Ok(w.into_bytes())
    }

    /// Reads a record (exactly one record, its length field equal to the input length).
    pub fn from_bytes(bytes: &[u8]) -> DecodeResult<Self> {
        let (mut r, count) = codec::read_record_start(bytes, &FORMAT_IDENTIFIER, &VERSION)?;
        let flag = r.u8("certification flag")?;
        if flag != 0 {
            return Err(out_of_range(&r, 1, "certification flag", flag.into()));
        }
        let eyes_offset = r.offset();
        let eyes = r.u8("number of eyes represented")?;
        if eyes > 2 {
            return Err(out_of_range(
                &r,
                1,
                "number of eyes represented",
                eyes.into(),
            ));
        }
        let images = codec::read_representations(&mut r, count, bytes.len(), |r| read_image(r))?;
        let derived = eye_count(&images);
        if derived != eyes {
            return Err(DecodeError::LengthMismatch {
                field: "number of eyes represented",
                offset: eyes_offset,
                declared: eyes.into(),
                actual: derived.into(),
            });
        }
        Ok(Self { images })
    }
}

/// Distinct labelled eyes among the images; undefined labels count as one eye when no eye is
/// labelled.
fn eye_count(images: &[IrisImage]) -> u8 {
    let right = images.iter().any(|i| i.eye == EyeLabel::Right);
    let left = images.iter().any(|i| i.eye == EyeLabel::Left);
    match (right, left) {
        (true, true) => 2,
        (true, false) | (false, true) => 1,
        (false, false) => u8::from(!images.is_empty()),
    }
}

fn write_image(w: &mut Writer, i: &IrisImage) -> EncodeResult<()> {
    let invalid = |field, reason| Err(EncodeError::Invalid { field, reason });
    if i.capture_device.technology > 1 {
        return invalid("capture device technology identifier", "must be 0 or 1");
    }
    if !(1..=16).contains(&i.bit_depth) {
        return invalid("bit depth", "must be 1..=16");
    }
    if matches!(i.range, CameraRange::Centimetres(0..=2)) {
        return invalid(
            "range",
            "distances below 3 cm collide with the special codes",
        );
    }
    if i.roll_angle == Some(0xFFFF) || i.roll_angle_uncertainty == Some(0xFFFF) {
        return invalid("roll angle", "0xFFFF means undefined; use None");
    }
    if i.iris_centre
        == Some(IrisCentre {
            smallest_x: 0,
            largest_x: 0,
            smallest_y: 0,
            largest_y: 0,
        })
    {
        return invalid("iris centre", "all zeros means not given; use None");
    }
    if i.iris_diameter
        == Some(IrisDiameter {
            smallest: 0,
            largest: 0,
        })
    {
        return invalid("iris diameter", "zeros mean not given; use None");
    }
    let start = w.len_placeholder();
    write_datetime(w, &i.capture_datetime)?;
    write_device(w, &i.capture_device);
    write_quality(w, &i.quality)?;
    w.u16(i.representation_number);
    w.u8(match i.eye {
        EyeLabel::Undefined => 0,
        EyeLabel::Right => 1,
        EyeLabel::Left => 2,
    });
    w.u8(match i.image_type {
        IrisImageType::Uncropped => 1,
        IrisImageType::Vga => 2,
        IrisImageType::Cropped => 3,
        IrisImageType::CroppedMasked => 7,
    });
    w.u8(match i.image_format {
        IrisImageFormat::MonoRaw => 2,
        IrisImageFormat::Jpeg2000 => 10,
        IrisImageFormat::MonoPng => 14,
    });
    let orient = |o: Orientation| match o {
        Orientation::Undefined => 0u8,
        Orientation::Base => 1,
        Orientation::Flipped => 2,
    };
    let history = match i.compression_history {
        CompressionHistory::Undefined => 0u8,
        CompressionHistory::LosslessOrNone => 1,
        CompressionHistory::Lossy => 2,
    };
    w.u8(orient(i.horizontal_orientation) | orient(i.vertical_orientation) << 2 | history << 6);
    w.u16(i.width);
    w.u16(i.height);
    w.u8(i.bit_depth);
    w.u16(match i.range {
        CameraRange::Unassigned => 0,
        CameraRange::Failed => 1,
        CameraRange::Overflow => 2,
        CameraRange::Centimetres(cm) => cm,
    });
    w.u16(i.roll_angle.unwrap_or(0xFFFF));
    w.u16(i.roll_angle_uncertainty.unwrap_or(0xFFFF));
    let c = i.iris_centre.unwrap_or(IrisCentre {
        smallest_x: 0,
        largest_x: 0,
        smallest_y: 0,
        largest_y: 0,
    });
    w.u16(c.smallest_x);
    w.u16(c.largest_x);
    w.u16(c.smallest_y);
    w.u16(c.largest_y);
    let d = i.iris_diameter.unwrap_or(IrisDiameter {
        smallest: 0,
        largest: 0,
    });
    w.u16(d.smallest);
    w.u16(d.largest);
    w.u32(codec::count(
        i.image.len(),
        "image length",
        u32::MAX.into(),
    )?);
    w.bytes(&i.image);
    w.patch_len(start, "representation length")
}

fn read_image(r: &mut Reader<'_>) -> DecodeResult<IrisImage> {
    let mut r = codec::read_representation(r, REPRESENTATION_BASE_LEN as u32)?;
    let capture_datetime = read_datetime(&mut r)?;
    let capture_device = read_device(&mut r, 1)?;
    let quality = read_quality(&mut r)?;
    let representation_number = r.u16("representation number")?;
    let eye = match r.u8("eye label")? {
        0 => EyeLabel::Undefined,
        1 => EyeLabel::Right,
        2 => EyeLabel::Left,
        v => return Err(out_of_range(&r, 1, "eye label", v.into())),
    };
    let image_type = match r.u8("image type")? {
        1 => IrisImageType::Uncropped,
        2 => IrisImageType::Vga,
        3 => IrisImageType::Cropped,
        7 => IrisImageType::CroppedMasked,
        v => return Err(out_of_range(&r, 1, "image type", v.into())),
    };
    let image_format = match r.u8("image format")? {
        2 => IrisImageFormat::MonoRaw,
        10 => IrisImageFormat::Jpeg2000,
        14 => IrisImageFormat::MonoPng,
        v => return Err(out_of_range(&r, 1, "image format", v.into())),
    };
    let props = r.u8("image properties")?;
    let orient = |v: u8, field| match v {
        0 => Ok(Orientation::Undefined),
        1 => Ok(Orientation::Base),
        2 => Ok(Orientation::Flipped),
        v => Err(out_of_range(&r, 1, field, v.into())),
    };
    let horizontal_orientation = orient(props & 0x03, "horizontal orientation")?;
    let vertical_orientation = orient(props >> 2 & 0x03, "vertical orientation")?;
    if props & 0x30 != 0 {
        return Err(out_of_range(
            &r,
            1,
            "image properties reserved bits",
            (props >> 4 & 0x03).into(),
        ));
    }
    let compression_history = match props >> 6 {
        0 => CompressionHistory::Undefined,
        1 => CompressionHistory::LosslessOrNone,
        2 => CompressionHistory::Lossy,
        v => return Err(out_of_range(&r, 1, "compression history", v.into())),
    };
    let width = r.u16("width")?;
    let height = r.u16("height")?;
    let bit_depth = r.u8("bit depth")?;
    if !(1..=16).contains(&bit_depth) {
        return Err(out_of_range(&r, 1, "bit depth", bit_depth.into()));
    }
    let range = match r.u16("range")? {
        0 => CameraRange::Unassigned,
        1 => CameraRange::Failed,
        2 => CameraRange::Overflow,
        cm => CameraRange::Centimetres(cm),
    };
    let undefined = |v: u16| (v != 0xFFFF).then_some(v);
    let roll_angle = undefined(r.u16("roll angle")?);
    let roll_angle_uncertainty = undefined(r.u16("roll angle uncertainty")?);
    let centre = IrisCentre {
        smallest_x: r.u16("iris centre smallest x")?,
        largest_x: r.u16("iris centre largest x")?,
        smallest_y: r.u16("iris centre smallest y")?,
        largest_y: r.u16("iris centre largest y")?,
    };
    let iris_centre = (centre
        != IrisCentre {
            smallest_x: 0,
            largest_x: 0,
            smallest_y: 0,
            largest_y: 0,
        })
    .then_some(centre);
    let diameter = IrisDiameter {
        smallest: r.u16("iris diameter smallest")?,
        largest: r.u16("iris diameter largest")?,
    };
    let iris_diameter = (diameter
        != IrisDiameter {
            smallest: 0,
            largest: 0,
        })
    .then_some(diameter);
    let len_offset = r.offset();
    let len = r.u32("image length")?;
    if u64::from(len) != r.remaining() as u64 {
        return Err(DecodeError::LengthMismatch {
            field: "image length",
            offset: len_offset,
            declared: len.into(),
            actual: r.remaining() as u64,
        });
    }
    let image = r.rest().to_vec();
    Ok(IrisImage {
        capture_datetime,
        capture_device,
        quality,
        representation_number,
        eye,
        image_type,
        image_format,
        horizontal_orientation,
        vertical_orientation,
        compression_history,
        width,
        height,
        bit_depth,
        range,
        roll_angle,
        roll_angle_uncertainty,
        iris_centre,
        iris_diameter,
        image: Redacted(image),
    })
}
