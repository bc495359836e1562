//! ISO/IEC 19794-5:2005 face image record ("FAC\0", version "010\0"): the edition ICAO 9303
//! chips carry in DG2, kept for reading existing documents and writing ICAO-profile chips.
//!
//! Layout followed (big-endian), from ISO/IEC 19794-5:2005 clause 5 (5.4 header, 5.5 facial
//! information, 5.6 landmark points, 5.7 image information), as read and written by the
//! `iso19794` PyPI package (`FAC.py`, version "010") and JMRTD (`FaceInfo`, `FaceImageInfo`):
//!
//! | Header (14 bytes)          | bytes |
//! |----------------------------|-------|
//! | format identifier `FAC\0`   | 4 |
//! | version number `010\0`      | 4 |
//! | record length               | 4 |
//! | number of facial images     | 2 |
//!
//! | Facial record (32 bytes + landmarks + image) | bytes |
//! |-----------------------------------------------|-------|
//! | facial record block length (includes itself)  | 4 |
//! | number of landmark points                     | 2 |
//! | gender, eye colour, hair colour               | 1+1+1 |
//! | feature mask                                  | 3 |
//! | expression                                    | 2 |
//! | pose angle yaw, pitch, roll; uncertainties    | 3+3 |
//! | landmark points: type 1, code 1, x 2, y 2, z 2 | 8 each |
//! | face image type 1, image data type 1 (0 JPEG, 1 JPEG 2000), width 2, height 2, image colour space 1, source type 1, device type 2, quality 2 | 12 |
//! | image data                                    | n |

use serde::{Deserialize, Serialize};

use crate::codec::{self, out_of_range, Reader, Writer};
use crate::common::Redacted;
use crate::error::{DecodeError, DecodeResult, EncodeError, EncodeResult};
use crate::face::{self, FaceImageType, Gender, LandmarkPoint};

/// Format identifier of a face image record.
pub const FORMAT_IDENTIFIER: [u8; 4] = *b"FAC\0";
/// Version of ISO/IEC 19794-5:2005.
pub const VERSION: [u8; 4] = *b"010\0";
/// Length of the header.
pub const HEADER_LEN: usize = 14;
/// Length of a facial record with no landmarks and no image data.
pub const FACIAL_RECORD_BASE_LEN: usize = 32;

/// Image data type of the 2005 edition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FaceImageDataType2005 {
    /// JPEG (0).
    Jpeg,
    /// JPEG 2000 (1).
    Jpeg2000,
}

/// One facial image of a 2005-edition record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaceImage2005 {
    /// Gender.
    pub gender: Gender,
    /// Eye colour code (0..=7 or 255).
    pub eye_colour: u8,
    /// Hair colour code (0..=7 or 255).
    pub hair_colour: u8,
    /// Feature mask (24 bits).
    pub feature_mask: u32,
    /// Expression (0 unspecified, 1 neutral, 2..=7 ...).
    pub expression: u16,
    /// Pose angle yaw, pitch, roll as encoded.
    pub pose_angle: [u8; 3],
    /// Pose angle uncertainty yaw, pitch, roll.
    pub pose_angle_uncertainty: [u8; 3],
    /// Landmark points.
    pub landmarks: Redacted<Vec<LandmarkPoint>>,
    /// Face image type.
    pub face_image_type: FaceImageType,
    /// Encoding of `image`.
    pub image_data_type: FaceImageDataType2005,
    /// Width in pixels.
    pub width: u16,
    /// Height in pixels.
    pub height: u16,
    /// Image colour space (0 unspecified, 1 24-bit RGB, 2 YUV422, 3 8-bit greyscale, 4 other).
    pub colour_space: u8,
    /// Source type (0 unspecified, 1 static photo unknown source, 2 digital camera, 3 scanner,
    /// 4 video frame unknown, 5 analogue video, 6 digital video, 7 unknown).
    pub source_type: u8,
    /// Device type (vendor-assigned).
    pub device_type: u16,
    /// Quality (0 = unspecified).
    pub quality: u16,
    /// The image bytes, as given.
    pub image: Redacted<Vec<u8>>,
}

/// An ISO/IEC 19794-5:2005 face image record.
///
/// ```
/// use rekam_iso19794::face::{FaceImageType, Gender};
/// use rekam_iso19794::face2005::*;
///
/// let record = FaceImageRecord2005 {
///     images: vec![FaceImage2005 {
///         gender: Gender::Unspecified,
///         eye_colour: 0,
///         hair_colour: 0,
///         feature_mask: 0,
///         expression: 1,
///         pose_angle: [0; 3],
///         pose_angle_uncertainty: [0; 3],
///         landmarks: vec![].into(),
///         face_image_type: FaceImageType::FullFrontal,
///         image_data_type: FaceImageDataType2005::Jpeg,
///         width: 413,
///         height: 531,
///         colour_space: 1,
///         source_type: 2,
///         device_type: 0,
///         quality: 0,
///         image: vec![0xFF, 0xD8, 0xFF, 0xD9].into(),
///     }],
/// };
/// let bytes = record.to_bytes()?;
/// assert_eq!(bytes.len(), 14 + 32 + 4);
/// assert_eq!(FaceImageRecord2005::from_bytes(&bytes)?, record);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaceImageRecord2005 {
    /// The facial images (at least one).
    pub images: Vec<FaceImage2005>,
}

impl FaceImageRecord2005 {
    /// Writes the record.
    pub fn to_bytes(&self) -> EncodeResult<Vec<u8>> {
        let invalid = |field, reason| Err(EncodeError::Invalid { field, reason });
        if self.images.is_empty() {
            return invalid(
                "number of facial images",
                "a record holds at least one image",
            );
        }
        let mut w = Writer::new();
        w.bytes(&FORMAT_IDENTIFIER);
        w.bytes(&VERSION);
        let total = w.len_placeholder();
        w.u16(codec::count(
            self.images.len(),
            "number of facial images",
            0xFFFF,
        )?);
        for i in &self.images {
            if !face::colour_ok(i.eye_colour) || !face::colour_ok(i.hair_colour) {
                return invalid("eye or hair colour", "must be 0..=7 or 255");
            }
            if i.colour_space > 4 {
                return invalid("image colour space", "must be 0..=4");
            }
            if i.source_type > 7 {
                return invalid("source type", "must be 0..=7");
            }
            let start = w.len_placeholder();
            w.u16(codec::count(
                i.landmarks.len(),
                "number of landmark points",
                0xFFFF,
            )?);
            w.u8(i.gender.code());
            w.u8(i.eye_colour);
            w.u8(i.hair_colour);
            w.u24(i.feature_mask, "feature mask")?;
            w.u16(i.expression);
            w.bytes(&i.pose_angle);
            w.bytes(&i.pose_angle_uncertainty);
            face::write_landmarks(&mut w, &i.landmarks);
            w.u8(face::face_image_type_code(i.face_image_type));
            w.u8(match i.image_data_type {
                FaceImageDataType2005::Jpeg => 0,
                FaceImageDataType2005::Jpeg2000 => 1,
            });
            w.u16(i.width);
            w.u16(i.height);
            w.u8(i.colour_space);
            w.u8(i.source_type);
            w.u16(i.device_type);
            w.u16(i.quality);
            w.bytes(&i.image);
            w.patch_len(start, "facial record block length")?;
        }
        w.patch_total(total)?;
        Ok(w.into_bytes())
    }

    /// Reads a record (exactly one record, its length field equal to the input length).
    pub fn from_bytes(bytes: &[u8]) -> DecodeResult<Self> {
        let mut r = Reader::new(bytes);
        codec::read_magic(&mut r, &FORMAT_IDENTIFIER, &VERSION)?;
        codec::read_record_length(&mut r, bytes.len())?;
        let count_offset = r.offset();
        let count = r.u16("number of facial images")?;
        if count == 0 {
            return Err(out_of_range(&r, 2, "number of facial images", 0));
        }
        let mut images = Vec::new();
        for _ in 0..count {
            if r.remaining() == 0 {
                return Err(DecodeError::LengthMismatch {
                    field: "number of facial images",
                    offset: count_offset,
                    declared: count.into(),
                    actual: images.len() as u64,
                });
            }
            images.push(read_image(&mut r)?);
        }
        r.finish("record length", 8, bytes.len() as u64)?;
        Ok(Self { images })
    }
}

fn read_image(r: &mut Reader<'_>) -> DecodeResult<FaceImage2005> {
    let mut r = codec::read_representation(r, FACIAL_RECORD_BASE_LEN as u32)?;
    let landmark_count = r.u16("number of landmark points")?;
    let (gender, eye_colour, hair_colour) = face::read_appearance(&mut r)?;
    let feature_mask = r.u24("feature mask")?;
    let expression = r.u16("expression")?;
    let pose_angle = r.array("pose angle")?;
    let pose_angle_uncertainty = r.array("pose angle uncertainty")?;
    let landmarks = face::read_landmarks(&mut r, landmark_count)?;
    let face_image_type = face::read_face_image_type(&mut r)?;
    let image_data_type = match r.u8("image data type")? {
        0 => FaceImageDataType2005::Jpeg,
        1 => FaceImageDataType2005::Jpeg2000,
        v => return Err(out_of_range(&r, 1, "image data type", v.into())),
    };
    let width = r.u16("width")?;
    let height = r.u16("height")?;
    let colour_space = r.u8("image colour space")?;
    if colour_space > 4 {
        return Err(out_of_range(
            &r,
            1,
            "image colour space",
            colour_space.into(),
        ));
    }
    let source_type = r.u8("source type")?;
    if source_type > 7 {
        return Err(out_of_range(&r, 1, "source type", source_type.into()));
    }
    let device_type = r.u16("device type")?;
    let quality = r.u16("quality")?;
    let image = r.rest().to_vec();
    Ok(FaceImage2005 {
        gender,
        eye_colour,
        hair_colour,
        feature_mask,
        expression,
        pose_angle,
        pose_angle_uncertainty,
        landmarks: Redacted(landmarks),
        face_image_type,
        image_data_type,
        width,
        height,
        colour_space,
        source_type,
        device_type,
        quality,
        image: Redacted(image),
    })
}
