//! The enrolment package's standard records: each kept sample as the ISO/IEC 19794 record
//! identity systems exchange (finger image -4:2011, face -5:2011, iris -6:2011), built at
//! finalization from the stored sample and its score, and the signature's time series
//! (-7:2014), built at capture from the pen samples and kept in the signature's PNG.
//!
//! The image inside a record is the sample as stored (lossless PNG for fingers and irises,
//! the camera's JPEG for the face), so building a record never loses information; the
//! record's quality block carries the station's score (vendor 0, "unreported": the station's
//! algorithm has no IBIA registration; algorithm id [`QUALITY_ALGORITHM`]).

use rekam_hal::Eye;
use rekam_iso19794::face::{FaceImage, FaceImageDataType, FaceImageRecord, FaceImageType, Gender};
use rekam_iso19794::fir::{FingerCompression, FingerImage, FingerImageRecord, ScaleUnits};
use rekam_iso19794::iris::{
    CameraRange, CompressionHistory, EyeLabel, IrisImage, IrisImageFormat, IrisImageRecord,
    IrisImageType, Orientation,
};
use rekam_iso19794::{
    CaptureDateTime, CaptureDevice, FingerPosition, ImpressionType, QualityBlock,
};
use time::OffsetDateTime;

use crate::enrolment::ItemKey;

/// The quality algorithm id written in quality blocks ("RK").
pub const QUALITY_ALGORITHM: u16 = 0x524B;

/// Media types of the records in the package.
pub mod media {
    /// ISO/IEC 19794-4:2011 finger image record.
    pub const FINGER_IMAGE: &str = "application/vnd.iso.19794-4.2011";
    /// ISO/IEC 19794-5:2011 face image record.
    pub const FACE_IMAGE: &str = "application/vnd.iso.19794-5.2011";
    /// ISO/IEC 19794-6:2011 iris image record.
    pub const IRIS_IMAGE: &str = "application/vnd.iso.19794-6.2011";
    /// ISO/IEC 19794-7:2014 signature time series record.
    pub const SIGNATURE: &str = "application/vnd.iso.19794-7.2014";
}

/// Why a record could not be built.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// The stored sample does not decode.
    #[error("the {item} sample does not decode: {reason}")]
    Sample {
        /// The item.
        item: String,
        /// Why.
        reason: String,
    },
    /// The record writer refused the sample.
    #[error("the {item} record cannot be written: {source}")]
    Encode {
        /// The item.
        item: String,
        /// The writer's error.
        source: rekam_iso19794::EncodeError,
    },
}

/// A built record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Its media type (see [`media`]).
    pub media_type: &'static str,
    /// The record bytes.
    pub bytes: Vec<u8>,
}

/// A capture time as the records write it (UTC).
pub(crate) fn capture_time(at: OffsetDateTime) -> CaptureDateTime {
    let at = at.to_offset(time::UtcOffset::UTC);
    CaptureDateTime {
        year: u16::try_from(at.year()).unwrap_or(0),
        month: u8::from(at.month()),
        day: at.day(),
        hour: at.hour(),
        minute: at.minute(),
        second: at.second(),
        millisecond: at.millisecond(),
    }
}

fn quality(score: u8) -> Vec<QualityBlock> {
    vec![QualityBlock {
        score: score.min(100),
        algorithm_vendor: 0,
        algorithm: QUALITY_ALGORITHM,
    }]
}

fn dims(item: ItemKey, bytes: &[u8]) -> Result<(u16, u16, u8), RecordError> {
    let sample_err = |reason: String| RecordError::Sample {
        item: item.name().to_owned(),
        reason,
    };
    let reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| sample_err(e.to_string()))?;
    let (w, h) = reader
        .into_dimensions()
        .map_err(|e| sample_err(e.to_string()))?;
    let w = u16::try_from(w).map_err(|_| sample_err(format!("{w} px wide")))?;
    let h = u16::try_from(h).map_err(|_| sample_err(format!("{h} px high")))?;
    let channels = if bytes.starts_with(&[0x89, b'P', b'N', b'G']) {
        // PNG colour type at byte 25: 0 grey, 2 RGB, 4 grey+alpha, 6 RGBA.
        match bytes.get(25) {
            Some(0) => 1,
            _ => 3,
        }
    } else {
        3
    };
    Ok((w, h, channels))
}

/// Builds the record of one kept sample. `None` for a signature sample that carries no time
/// series (a pad that gave only an image, or a signature its checks refused).
pub fn record_of(
    item: ItemKey,
    media_type: &str,
    bytes: &[u8],
    score: u8,
    captured_at: OffsetDateTime,
) -> Result<Option<Record>, RecordError> {
    let encode_err = |source| RecordError::Encode {
        item: item.name().to_owned(),
        source,
    };
    let sample_err = |reason: &str| RecordError::Sample {
        item: item.name().to_owned(),
        reason: reason.to_owned(),
    };
    let when = Some(capture_time(captured_at));
    match item {
        ItemKey::Finger(finger) => {
            if media_type != "image/png" {
                return Err(sample_err("a finger sample must be PNG"));
            }
            let (width, height, _) = dims(item, bytes)?;
            let position = FingerPosition::new(finger.iso_code())
                .ok_or_else(|| sample_err("no ISO finger position"))?;
            let record = FingerImageRecord {
                images: vec![FingerImage {
                    capture_datetime: when,
                    capture_device: CaptureDevice::default(),
                    quality: quality(score),
                    certifications: Vec::new(),
                    position,
                    representation_number: 0,
                    scale_units: ScaleUnits::PixelsPerInch,
                    scan_horizontal: 500,
                    scan_vertical: 500,
                    image_horizontal: 500,
                    image_vertical: 500,
                    bit_depth: 8,
                    compression: FingerCompression::Png,
                    impression: ImpressionType::LIVE_SCAN_PLAIN,
                    width,
                    height,
                    image: bytes.to_vec().into(),
                }],
            };
            Ok(Some(Record {
                media_type: media::FINGER_IMAGE,
                bytes: record.to_bytes().map_err(encode_err)?,
            }))
        }
        ItemKey::Face => {
            let data_type = match media_type {
                "image/jpeg" => FaceImageDataType::Jpeg,
                "image/png" => FaceImageDataType::Png,
                _ => return Err(sample_err("a face sample must be JPEG or PNG")),
            };
            let (width, height, channels) = dims(item, bytes)?;
            let record = FaceImageRecord {
                temporal_semantics: 0,
                images: vec![FaceImage {
                    capture_datetime: when,
                    capture_device: CaptureDevice::default(),
                    quality: quality(score),
                    gender: Gender::Unspecified,
                    eye_colour: 0,
                    hair_colour: 0,
                    subject_height: 0,
                    property_mask: 0,
                    expression: 0,
                    pose_angle: [0; 3],
                    pose_angle_uncertainty: [0; 3],
                    landmarks: Vec::new().into(),
                    face_image_type: FaceImageType::FullFrontal,
                    image_data_type: data_type,
                    width,
                    height,
                    spatial_sampling_rate_level: 0,
                    post_acquisition_processing: 0,
                    cross_reference: 0,
                    colour_space: if channels == 1 { 3 } else { 1 },
                    image: bytes.to_vec().into(),
                }],
            };
            Ok(Some(Record {
                media_type: media::FACE_IMAGE,
                bytes: record.to_bytes().map_err(encode_err)?,
            }))
        }
        ItemKey::Iris(eye) => {
            if media_type != "image/png" {
                return Err(sample_err("an iris sample must be PNG"));
            }
            let (width, height, _) = dims(item, bytes)?;
            let record = IrisImageRecord {
                images: vec![IrisImage {
                    capture_datetime: when,
                    capture_device: CaptureDevice::default(),
                    quality: quality(score),
                    representation_number: 1,
                    eye: match eye {
                        Eye::Right => EyeLabel::Right,
                        Eye::Left => EyeLabel::Left,
                    },
                    image_type: if (width, height) == (640, 480) {
                        IrisImageType::Vga
                    } else {
                        IrisImageType::Uncropped
                    },
                    image_format: IrisImageFormat::MonoPng,
                    horizontal_orientation: Orientation::Base,
                    vertical_orientation: Orientation::Base,
                    compression_history: CompressionHistory::LosslessOrNone,
                    width,
                    height,
                    bit_depth: 8,
                    range: CameraRange::Unassigned,
                    roll_angle: None,
                    roll_angle_uncertainty: None,
                    iris_centre: None,
                    iris_diameter: None,
                    image: bytes.to_vec().into(),
                }],
            };
            Ok(Some(Record {
                media_type: media::IRIS_IMAGE,
                bytes: record.to_bytes().map_err(encode_err)?,
            }))
        }
        // The signature's time series was recorded at capture, in its PNG.
        ItemKey::Signature => {
            Ok(
                super::biometrics::signature_record_of(bytes).map(|bytes| Record {
                    media_type: media::SIGNATURE,
                    bytes,
                }),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rekam_hal::{Finger, RawImage};

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = RawImage::gray(w, h, Some(500), vec![128; (w * h) as usize]).unwrap();
        super::super::biometrics::encode_png(&img, None).unwrap()
    }

    fn at() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_763_700_000).unwrap()
    }

    #[test]
    fn a_finger_record_reads_back_with_its_image_and_score() {
        let sample = png(300, 400);
        let item = ItemKey::Finger(Finger::LeftIndex);
        let r = record_of(item, "image/png", &sample, 77, at())
            .unwrap()
            .unwrap();
        assert_eq!(r.media_type, media::FINGER_IMAGE);
        let back = FingerImageRecord::from_bytes(&r.bytes).unwrap();
        let img = &back.images[0];
        assert_eq!(img.position, FingerPosition::LEFT_INDEX);
        assert_eq!((img.width, img.height), (300, 400));
        assert_eq!(img.quality[0].score, 77);
        assert_eq!(*img.image, sample);
        assert_eq!(img.capture_datetime.unwrap().year, 2025);
    }

    #[test]
    fn an_iris_record_names_its_eye() {
        let sample = png(640, 480);
        let r = record_of(ItemKey::Iris(Eye::Left), "image/png", &sample, 61, at())
            .unwrap()
            .unwrap();
        let back = IrisImageRecord::from_bytes(&r.bytes).unwrap();
        assert_eq!(back.images[0].eye, EyeLabel::Left);
        assert_eq!(back.images[0].image_type, IrisImageType::Vga);
    }

    #[test]
    fn a_face_record_keeps_the_jpeg() {
        let rgb = image::RgbImage::from_pixel(48, 64, image::Rgb([200, 150, 120]));
        let mut jpeg = Vec::new();
        rgb.write_with_encoder(image::codecs::jpeg::JpegEncoder::new(&mut jpeg))
            .unwrap();
        let r = record_of(ItemKey::Face, "image/jpeg", &jpeg, 88, at())
            .unwrap()
            .unwrap();
        let back = FaceImageRecord::from_bytes(&r.bytes).unwrap();
        assert_eq!((back.images[0].width, back.images[0].height), (48, 64));
        assert_eq!(*back.images[0].image, jpeg);
    }

    #[test]
    fn bad_samples_are_typed_errors() {
        let item = ItemKey::Finger(Finger::RightThumb);
        assert!(matches!(
            record_of(item, "image/png", b"not a png", 50, at()),
            Err(RecordError::Sample { .. })
        ));
        assert!(matches!(
            record_of(item, "image/jpeg", &png(10, 10), 50, at()),
            Err(RecordError::Sample { .. })
        ));
        assert!(
            record_of(ItemKey::Signature, "image/png", &png(10, 10), 50, at())
                .unwrap()
                .is_none()
        );
    }
}
