//! ISO/IEC 19794-5:2011 face image record ("FAC\0", version "030\0"), 2D images.
//!
//! Layout followed (big-endian), from ISO/IEC 19794-5:2011 Table 2 (general header) and the
//! representation tables (facial information block 5.5, landmark points 5.6, image information
//! 5.7), as written and read by MOSIP `bio-utils` (`face/GeneralHeader`,
//! `RepresentationHeader`, `FacialInformation`, `LandmarkPoints`, `ImageInformation`):
//!
//! | General header (17 bytes) | bytes |
//! |---------------------------|-------|
//! | format identifier `FAC\0`  | 4 |
//! | version number `030\0`     | 4 |
//! | record length              | 4 |
//! | number of representations  | 2 |
//! | certification flag (shall be 0) | 1 |
//! | temporal semantics         | 2 |
//!
//! | Representation (47 bytes + blocks + landmarks + image) | bytes |
//! |------------------------------------------------|-------|
//! | representation length                          | 4 |
//! | capture date and time                          | 9 |
//! | capture device technology, vendor, type        | 1+2+2 |
//! | number of quality blocks, blocks               | 1 + 5n |
//! | facial information: number of landmark points 2, gender 1, eye colour 1, hair colour 1, subject height 1, property mask 3, expression 2, pose angle yaw/pitch/roll 3, pose angle uncertainty 3 | 17 |
//! | landmark points: type 1, code 1, x 2, y 2, z 2 | 8 each |
//! | image information: face image type 1, image data type 1, width 2, height 2, spatial sampling rate level 1, post-acquisition processing 2, cross reference 1, image colour space 1 | 11 |
//! | image data (to the end of the representation)  | n |
//!
//! 3D face image types (0x80..=0x82, which add a 3D information block) are not supported and
//! read as out of range.

use serde::{Deserialize, Serialize};

use crate::codec::{self, out_of_range, Reader, Writer};
use crate::common::{
    read_datetime, read_device, read_quality, write_datetime, write_device, write_quality,
    CaptureDateTime, CaptureDevice, QualityBlock, Redacted,
};
use crate::error::{DecodeResult, EncodeError, EncodeResult};

/// Format identifier of a face image record.
pub const FORMAT_IDENTIFIER: [u8; 4] = *b"FAC\0";
/// Version of ISO/IEC 19794-5:2011.
pub const VERSION: [u8; 4] = *b"030\0";
/// Length of the general header.
pub const GENERAL_HEADER_LEN: usize = 17;
/// Length of a representation with no quality blocks, no landmarks and no image data.
pub const REPRESENTATION_BASE_LEN: usize = 47;

/// Gender (0 unspecified, 1 male, 2 female, 255 unknown).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Gender {
    /// Unspecified (0).
    Unspecified,
    /// Male (1).
    Male,
    /// Female (2).
    Female,
    /// Unknown (255).
    Unknown,
}

impl Gender {
    pub(crate) fn code(self) -> u8 {
        match self {
            Self::Unspecified => 0,
            Self::Male => 1,
            Self::Female => 2,
            Self::Unknown => 255,
        }
    }

    pub(crate) fn from_code(v: u8) -> Option<Self> {
        Some(match v {
            0 => Self::Unspecified,
            1 => Self::Male,
            2 => Self::Female,
            255 => Self::Unknown,
            _ => return None,
        })
    }
}

/// Kind of face image (2D only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FaceImageType {
    /// Basic (0).
    Basic,
    /// Full frontal (1).
    FullFrontal,
    /// Token frontal (2).
    TokenFrontal,
}

/// Encoding of the image data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FaceImageDataType {
    /// JPEG (0).
    Jpeg,
    /// JPEG 2000 lossy (1).
    Jpeg2000Lossy,
    /// JPEG 2000 lossless (2).
    Jpeg2000Lossless,
    /// PNG (3).
    Png,
}

/// A landmark point (8 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LandmarkPoint {
    /// Landmark point type (1 = MPEG-4 feature point, 2 = anthropometric landmark).
    pub point_type: u8,
    /// Landmark point code (major/minor code of the type's table).
    pub code: u8,
    /// X in pixels.
    pub x: u16,
    /// Y in pixels.
    pub y: u16,
    /// Z (0 for 2D images).
    pub z: u16,
}

/// One face image (a representation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaceImage {
    /// When it was captured.
    pub capture_datetime: Option<CaptureDateTime>,
    /// Capture device (technology codes 0..=6).
    pub capture_device: CaptureDevice,
    /// Quality blocks.
    pub quality: Vec<QualityBlock>,
    /// Gender.
    pub gender: Gender,
    /// Eye colour code (0 unspecified, 1..=7 black, blue, brown, grey, green, multi-coloured,
    /// pink; 255 unknown).
    pub eye_colour: u8,
    /// Hair colour code (0 unspecified, 1..=7 bald, black, blonde, brown, grey, white, red;
    /// 255 unknown).
    pub hair_colour: u8,
    /// Subject height code (0 unspecified).
    pub subject_height: u8,
    /// Property mask (24 bits: bit 0 properties specified, glasses, moustache, beard, teeth,
    /// blink, mouth open, left/right eye patch, dark glasses, ...).
    pub property_mask: u32,
    /// Expression code or mask (16 bits).
    pub expression: u16,
    /// Pose angle yaw, pitch, roll, encoded as in the standard (0 = unspecified).
    pub pose_angle: [u8; 3],
    /// Pose angle uncertainty yaw, pitch, roll.
    pub pose_angle_uncertainty: [u8; 3],
    /// Landmark points (optional; at most 65535).
    pub landmarks: Redacted<Vec<LandmarkPoint>>,
    /// Face image type.
    pub face_image_type: FaceImageType,
    /// Encoding of `image`.
    pub image_data_type: FaceImageDataType,
    /// Width in pixels.
    pub width: u16,
    /// Height in pixels.
    pub height: u16,
    /// Spatial sampling rate level code.
    pub spatial_sampling_rate_level: u8,
    /// Post-acquisition processing mask (16 bits).
    pub post_acquisition_processing: u16,
    /// Cross reference (links representations of one face).
    pub cross_reference: u8,
    /// Image colour space (0 unspecified, 1 24-bit RGB, 2 YUV422, 3 8-bit greyscale, 4 other).
    pub colour_space: u8,
    /// The image bytes, as given.
    pub image: Redacted<Vec<u8>>,
}

/// An ISO/IEC 19794-5:2011 face image record.
///
/// ```
/// use rekam_iso19794::face::*;
/// use rekam_iso19794::CaptureDevice;
///
/// let image = FaceImage {
///     capture_datetime: None,
///     capture_device: CaptureDevice::default(),
///     quality: vec![],
///     gender: Gender::Unspecified,
///     eye_colour: 0,
///     hair_colour: 0,
///     subject_height: 0,
///     property_mask: 0,
///     expression: 0,
///     pose_angle: [0; 3],
///     pose_angle_uncertainty: [0; 3],
///     landmarks: vec![].into(),
///     face_image_type: FaceImageType::FullFrontal,
///     image_data_type: FaceImageDataType::Jpeg,
///     width: 480,
///     height: 640,
///     spatial_sampling_rate_level: 0,
///     post_acquisition_processing: 0,
///     cross_reference: 0,
///     colour_space: 1,
///     image: vec![0xFF, 0xD8, 0xFF, 0xD9].into(),
/// };
/// let record = FaceImageRecord { temporal_semantics: 0, images: vec![image] };
/// let bytes = record.to_bytes()?;
/// assert_eq!(bytes.len(), 17 + 47 + 4);
/// assert_eq!(FaceImageRecord::from_bytes(&bytes)?, record);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaceImageRecord {
    /// Temporal semantics of the representations (0 = one representation / unspecified).
    pub temporal_semantics: u16,
    /// The representations (at least one).
    pub images: Vec<FaceImage>,
}

impl FaceImageRecord {
    /// Writes the record.
    pub fn to_bytes(&self) -> EncodeResult<Vec<u8>> {
        let (mut w, total) = codec::start_record(&FORMAT_IDENTIFIER, &VERSION, self.images.len())?;
        w.u8(0);
        w.u16(self.temporal_semantics);
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
        let temporal_semantics = r.u16("temporal semantics")?;
        let images = codec::read_representations(&mut r, count, bytes.len(), |r| read_image(r))?;
        Ok(Self {
            temporal_semantics,
            images,
        })
    }
}

/// True for a defined eye or hair colour code (0..=7, or 255 unknown); the same in the 2005
/// and 2011 editions.
pub(crate) fn colour_ok(v: u8) -> bool {
    v <= 7 || v == 255
}

// The blocks below are laid out the same way in the 2005 and 2011 editions, which share them.

/// Reads gender, eye colour and hair colour.
pub(crate) fn read_appearance(r: &mut Reader<'_>) -> DecodeResult<(Gender, u8, u8)> {
    let code = r.u8("gender")?;
    let gender =
        Gender::from_code(code).ok_or_else(|| out_of_range(r, 1, "gender", code.into()))?;
    let eye_colour = r.u8("eye colour")?;
    if !colour_ok(eye_colour) {
        return Err(out_of_range(r, 1, "eye colour", eye_colour.into()));
    }
    let hair_colour = r.u8("hair colour")?;
    if !colour_ok(hair_colour) {
        return Err(out_of_range(r, 1, "hair colour", hair_colour.into()));
    }
    Ok((gender, eye_colour, hair_colour))
}

/// Reads `count` landmark points (8 bytes each: type, code, x, y, z).
pub(crate) fn read_landmarks(r: &mut Reader<'_>, count: u16) -> DecodeResult<Vec<LandmarkPoint>> {
    let mut landmarks = Vec::with_capacity(usize::from(count).min(r.remaining() / 8));
    for _ in 0..count {
        landmarks.push(LandmarkPoint {
            point_type: r.u8("landmark point type")?,
            code: r.u8("landmark point code")?,
            x: r.u16("landmark x")?,
            y: r.u16("landmark y")?,
            z: r.u16("landmark z")?,
        });
    }
    Ok(landmarks)
}

/// Writes landmark points (their count is written by the caller, where the edition puts it).
pub(crate) fn write_landmarks(w: &mut Writer, landmarks: &[LandmarkPoint]) {
    for p in landmarks {
        w.u8(p.point_type);
        w.u8(p.code);
        w.u16(p.x);
        w.u16(p.y);
        w.u16(p.z);
    }
}

/// Reads the face image type.
pub(crate) fn read_face_image_type(r: &mut Reader<'_>) -> DecodeResult<FaceImageType> {
    match r.u8("face image type")? {
        0 => Ok(FaceImageType::Basic),
        1 => Ok(FaceImageType::FullFrontal),
        2 => Ok(FaceImageType::TokenFrontal),
        v => Err(out_of_range(r, 1, "face image type", v.into())),
    }
}

/// The face image type's code.
pub(crate) fn face_image_type_code(t: FaceImageType) -> u8 {
    match t {
        FaceImageType::Basic => 0,
        FaceImageType::FullFrontal => 1,
        FaceImageType::TokenFrontal => 2,
    }
}

fn write_image(w: &mut Writer, i: &FaceImage) -> EncodeResult<()> {
    let invalid = |field, reason| Err(EncodeError::Invalid { field, reason });
    if i.capture_device.technology > 6 {
        return invalid("capture device technology identifier", "must be 0..=6");
    }
    if !colour_ok(i.eye_colour) {
        return invalid("eye colour", "must be 0..=7 or 255");
    }
    if !colour_ok(i.hair_colour) {
        return invalid("hair colour", "must be 0..=7 or 255");
    }
    if i.colour_space > 4 {
        return invalid("image colour space", "must be 0..=4");
    }
    let start = w.len_placeholder();
    write_datetime(w, &i.capture_datetime)?;
    write_device(w, &i.capture_device);
    write_quality(w, &i.quality)?;
    w.u16(codec::count(
        i.landmarks.len(),
        "number of landmark points",
        0xFFFF,
    )?);
    w.u8(i.gender.code());
    w.u8(i.eye_colour);
    w.u8(i.hair_colour);
    w.u8(i.subject_height);
    w.u24(i.property_mask, "property mask")?;
    w.u16(i.expression);
    w.bytes(&i.pose_angle);
    w.bytes(&i.pose_angle_uncertainty);
    write_landmarks(w, &i.landmarks);
    w.u8(face_image_type_code(i.face_image_type));
    w.u8(match i.image_data_type {
        FaceImageDataType::Jpeg => 0,
        FaceImageDataType::Jpeg2000Lossy => 1,
        FaceImageDataType::Jpeg2000Lossless => 2,
        FaceImageDataType::Png => 3,
    });
    w.u16(i.width);
    w.u16(i.height);
    w.u8(i.spatial_sampling_rate_level);
    w.u16(i.post_acquisition_processing);
    w.u8(i.cross_reference);
    w.u8(i.colour_space);
    w.bytes(&i.image);
    w.patch_len(start, "representation length")
}

fn read_image(r: &mut Reader<'_>) -> DecodeResult<FaceImage> {
    let mut r = codec::read_representation(r, REPRESENTATION_BASE_LEN as u32)?;
    let capture_datetime = read_datetime(&mut r)?;
    let capture_device = read_device(&mut r, 6)?;
    let quality = read_quality(&mut r)?;
    let landmark_count = r.u16("number of landmark points")?;
    let (gender, eye_colour, hair_colour) = read_appearance(&mut r)?;
    let subject_height = r.u8("subject height")?;
    let property_mask = r.u24("property mask")?;
    let expression = r.u16("expression")?;
    let pose_angle = r.array("pose angle")?;
    let pose_angle_uncertainty = r.array("pose angle uncertainty")?;
    let landmarks = read_landmarks(&mut r, landmark_count)?;
    let face_image_type = read_face_image_type(&mut r)?;
    let image_data_type = match r.u8("image data type")? {
        0 => FaceImageDataType::Jpeg,
        1 => FaceImageDataType::Jpeg2000Lossy,
        2 => FaceImageDataType::Jpeg2000Lossless,
        3 => FaceImageDataType::Png,
        v => return Err(out_of_range(&r, 1, "image data type", v.into())),
    };
    let width = r.u16("width")?;
    let height = r.u16("height")?;
    let spatial_sampling_rate_level = r.u8("spatial sampling rate level")?;
    let post_acquisition_processing = r.u16("post-acquisition processing")?;
    let cross_reference = r.u8("cross reference")?;
    let colour_space = r.u8("image colour space")?;
    if colour_space > 4 {
        return Err(out_of_range(
            &r,
            1,
            "image colour space",
            colour_space.into(),
        ));
    }
    let image = r.rest().to_vec();
    Ok(FaceImage {
        capture_datetime,
        capture_device,
        quality,
        gender,
        eye_colour,
        hair_colour,
        subject_height,
        property_mask,
        expression,
        pose_angle,
        pose_angle_uncertainty,
        landmarks: Redacted(landmarks),
        face_image_type,
        image_data_type,
        width,
        height,
        spatial_sampling_rate_level,
        post_acquisition_processing,
        cross_reference,
        colour_space,
        image: Redacted(image),
    })
}
