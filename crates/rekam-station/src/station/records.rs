//! The enrolment package's standard records: each kept sample as the ISO/IEC 19794 record
//! identity systems exchange (finger image -4:2011, face image -5:2011, iris image -6:2011),
//! built at finalization from the stored sample and its score, and the signature's time series
//! (-7:2014), built at capture from the pen samples and kept in the signature's PNG.
//!
//! **Images.** The image inside a finger, face or iris record is encoded as [`ImageFormat`]
//! says (`[records] image_format`, [`RecordsConfig`]). By default the station writes
//! [`ImageFormat::Jpeg2000Lossless`], the enrolment format of MOSIP's
//! registration specification and ANSI/NIST-ITL's "JP2L": the sample is decoded and coded
//! again as lossless JPEG 2000 in a JP2 file (`rekam-jp2`, OpenJPEG), with the standards'
//! "JPEG 2000 lossless" codes: compression algorithm 5 in 19794-4:2011 (Table 9), image data
//! type 2 in 19794-5:2011, and image format 10 ("JPEG 2000") with compression history 1
//! ("lossless or none") in 19794-6:2011. The record's pixels are the sample's pixels exactly.
//! [`ImageFormat::Png`] writes PNG instead (codes 6, 3 and 14): PNG samples go in as stored,
//! byte for byte, and a JPEG face is decoded and written as PNG.
//!
//! The face sample is the camera's JPEG, so its record holds the decoded camera pixels without
//! further loss, not the scene before the camera compressed it.
//!
//! The record's quality block carries the station's score (vendor 0, "unreported": the
//! station's algorithm has no IBIA registration; algorithm id [`QUALITY_ALGORITHM`]).

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

/// How the images inside finger, face and iris records are encoded.
///
/// Deserializes from `"jp2"` or `"png"` (the `[records] image_format` key, [`RecordsConfig`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Deserialize)]
pub enum ImageFormat {
    /// Lossless JPEG 2000 in a JP2 file: the enrolment format, and the station's choice.
    #[default]
    #[serde(rename = "jp2")]
    Jpeg2000Lossless,
    /// PNG: PNG samples as stored, a JPEG face decoded and written as PNG.
    #[serde(rename = "png")]
    Png,
}

/// The `[records]` configuration: how the package's records are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RecordsConfig {
    /// The image format inside finger, face and iris records (`"jp2"`, the default, or
    /// `"png"`).
    pub image_format: ImageFormat,
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
    /// The image could not be coded for the record.
    #[error("the {item} image cannot be coded: {reason}")]
    Image {
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

/// A sample's decoded pixels: 8-bit, interleaved, row-major.
struct Pixels {
    width: u16,
    height: u16,
    /// 1 (grey) or 3 (RGB).
    channels: u8,
    data: Vec<u8>,
}

/// Decodes a stored sample (PNG or JPEG) to 8-bit grey or RGB pixels. Any other pixel layout
/// (alpha, 16 bits) is refused rather than converted, so the record never silently loses
/// information.
fn decode_sample(item: ItemKey, bytes: &[u8]) -> Result<Pixels, RecordError> {
    let sample_err = |reason: String| RecordError::Sample {
        item: item.name().to_owned(),
        reason,
    };
    let image = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| sample_err(e.to_string()))?
        .decode()
        .map_err(|e| sample_err(e.to_string()))?;
    let (w, h) = (image.width(), image.height());
    let width = u16::try_from(w).map_err(|_| sample_err(format!("{w} px wide")))?;
    let height = u16::try_from(h).map_err(|_| sample_err(format!("{h} px high")))?;
    let (channels, data) = match image {
        image::DynamicImage::ImageLuma8(img) => (1, img.into_raw()),
        image::DynamicImage::ImageRgb8(img) => (3, img.into_raw()),
        other => {
            return Err(sample_err(format!(
                "{:?} pixels are not 8-bit grey or RGB",
                other.color()
            )))
        }
    };
    Ok(Pixels {
        width,
        height,
        channels,
        data,
    })
}

/// A sample's image as the record carries it, with its dimensions and channel count.
struct RecordImage {
    width: u16,
    height: u16,
    channels: u8,
    bytes: Vec<u8>,
}

/// Codes a stored sample for a record. `grey_only` refuses colour (finger and iris records
/// hold 8-bit grey).
fn record_image(
    item: ItemKey,
    media_type: &str,
    bytes: &[u8],
    format: ImageFormat,
    grey_only: bool,
) -> Result<RecordImage, RecordError> {
    let image_err = |reason: String| RecordError::Image {
        item: item.name().to_owned(),
        reason,
    };
    let pixels = decode_sample(item, bytes)?;
    if grey_only && pixels.channels != 1 {
        return Err(RecordError::Sample {
            item: item.name().to_owned(),
            reason: "the sample is not 8-bit grey".to_owned(),
        });
    }
    let coded = match format {
        ImageFormat::Jpeg2000Lossless => rekam_jp2::encode_lossless(
            &pixels.data,
            u32::from(pixels.width),
            u32::from(pixels.height),
            pixels.channels,
        )
        .map_err(|e| image_err(e.to_string()))?,
        // A PNG sample goes in as stored, byte for byte.
        ImageFormat::Png if media_type == "image/png" => bytes.to_vec(),
        ImageFormat::Png => {
            let colour = if pixels.channels == 1 {
                image::ExtendedColorType::L8
            } else {
                image::ExtendedColorType::Rgb8
            };
            let mut png = Vec::new();
            image::ImageEncoder::write_image(
                image::codecs::png::PngEncoder::new(&mut png),
                &pixels.data,
                u32::from(pixels.width),
                u32::from(pixels.height),
                colour,
            )
            .map_err(|e| image_err(e.to_string()))?;
            png
        }
    };
    Ok(RecordImage {
        width: pixels.width,
        height: pixels.height,
        channels: pixels.channels,
        bytes: coded,
    })
}

/// Builds the record of one kept sample with the station's image format (lossless JPEG 2000).
/// `None` for a signature sample that carries no time series (a pad that gave only an image,
/// or a signature its checks refused).
pub fn record_of(
    item: ItemKey,
    media_type: &str,
    bytes: &[u8],
    score: u8,
    captured_at: OffsetDateTime,
) -> Result<Option<Record>, RecordError> {
    record_with(
        item,
        media_type,
        bytes,
        score,
        captured_at,
        ImageFormat::default(),
    )
}

/// [`record_of`] with a choice of image format.
pub fn record_with(
    item: ItemKey,
    media_type: &str,
    bytes: &[u8],
    score: u8,
    captured_at: OffsetDateTime,
    format: ImageFormat,
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
            let image = record_image(item, media_type, bytes, format, true)?;
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
                    compression: match format {
                        ImageFormat::Jpeg2000Lossless => FingerCompression::Jpeg2000Lossless,
                        ImageFormat::Png => FingerCompression::Png,
                    },
                    impression: ImpressionType::LIVE_SCAN_PLAIN,
                    width: image.width,
                    height: image.height,
                    image: image.bytes.into(),
                }],
            };
            Ok(Some(Record {
                media_type: media::FINGER_IMAGE,
                bytes: record.to_bytes().map_err(encode_err)?,
            }))
        }
        ItemKey::Face => {
            if media_type != "image/jpeg" && media_type != "image/png" {
                return Err(sample_err("a face sample must be JPEG or PNG"));
            }
            let image = record_image(item, media_type, bytes, format, false)?;
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
                    image_data_type: match format {
                        ImageFormat::Jpeg2000Lossless => FaceImageDataType::Jpeg2000Lossless,
                        ImageFormat::Png => FaceImageDataType::Png,
                    },
                    width: image.width,
                    height: image.height,
                    spatial_sampling_rate_level: 0,
                    post_acquisition_processing: 0,
                    cross_reference: 0,
                    // 3: 8-bit greyscale; 1: 24-bit RGB.
                    colour_space: if image.channels == 1 { 3 } else { 1 },
                    image: image.bytes.into(),
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
            let image = record_image(item, media_type, bytes, format, true)?;
            let (width, height) = (image.width, image.height);
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
                    image_format: match format {
                        ImageFormat::Jpeg2000Lossless => IrisImageFormat::Jpeg2000,
                        ImageFormat::Png => IrisImageFormat::MonoPng,
                    },
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
                    image: image.bytes.into(),
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

/// A kept sample to build the record of with [`records_with`].
#[derive(Clone)]
pub struct RecordSample {
    /// The item.
    pub item: ItemKey,
    /// The stored sample's media type.
    pub media_type: String,
    /// The stored sample.
    pub bytes: Vec<u8>,
    /// Its quality score.
    pub score: u8,
    /// When it was captured.
    pub captured_at: OffsetDateTime,
}

impl RecordSample {
    /// Its record in `format`: [`record_with`] on this sample.
    pub fn record(&self, format: ImageFormat) -> Result<Option<Record>, RecordError> {
        record_with(
            self.item,
            &self.media_type,
            &self.bytes,
            self.score,
            self.captured_at,
            format,
        )
    }
}

impl std::fmt::Debug for RecordSample {
    // The sample is biometric data: only its size is shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordSample")
            .field("item", &self.item)
            .field("media_type", &self.media_type)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

/// [`record_with`] for each of `samples`, coded on up to `threads` threads at once (the
/// calling thread is one of them): the results in the order of `samples`, each exactly what
/// [`record_with`] gives for that sample alone. A record's images are coded independently of
/// every other record, so the order the threads take them in changes nothing.
pub fn records_with(
    samples: &[RecordSample],
    format: ImageFormat,
    threads: usize,
) -> Vec<Result<Option<Record>, RecordError>> {
    let build = |s: &RecordSample| s.record(format);
    let threads = threads.clamp(1, samples.len().max(1));
    if threads == 1 {
        return samples.iter().map(build).collect();
    }
    // Each thread takes the next sample not yet taken, so a slow record (the face) does not
    // hold back the others.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(sample) = samples.get(i) else {
                return done;
            };
            done.push((i, build(sample)));
        }
    };
    let mut results: Vec<Option<Result<Option<Record>, RecordError>>> =
        samples.iter().map(|_| None).collect();
    std::thread::scope(|scope| {
        // A helper that cannot be started leaves its share to the others.
        let helpers: Vec<_> = (1..threads)
            .filter_map(|_| {
                std::thread::Builder::new()
                    .name("records".into())
                    .spawn_scoped(scope, work)
                    .ok()
            })
            .collect();
        let mut done = work();
        for helper in helpers {
            // A helper that panicked leaves its samples without a result (an error below).
            done.extend(helper.join().unwrap_or_default());
        }
        for (i, result) in done {
            if let Some(slot) = results.get_mut(i) {
                *slot = Some(result);
            }
        }
    });
    samples
        .iter()
        .zip(results)
        .map(|(s, r)| {
            r.unwrap_or_else(|| {
                Err(RecordError::Image {
                    item: s.item.name().to_owned(),
                    reason: "the coding thread failed".to_owned(),
                })
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rekam_hal::{Finger, RawImage};

    /// A grey test pattern (not flat, so the coder has work to do).
    fn grey(w: u32, h: u32) -> RawImage {
        let data = (0..w * h)
            .map(|i| ((i % w) * 7 + (i / w) * 3 + (i % 13) * (i % 7)) as u8)
            .collect();
        RawImage::gray(w, h, Some(500), data).unwrap()
    }

    fn png(w: u32, h: u32) -> Vec<u8> {
        super::super::biometrics::encode_png(&grey(w, h), None).unwrap()
    }

    fn jpeg(w: u32, h: u32) -> Vec<u8> {
        let rgb = image::RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([(x * 5) as u8, (y * 3) as u8, ((x + y) * 2) as u8])
        });
        let mut jpeg = Vec::new();
        rgb.write_with_encoder(image::codecs::jpeg::JpegEncoder::new(&mut jpeg))
            .unwrap();
        jpeg
    }

    /// The sample's pixels as the image crate decodes them.
    fn pixels(bytes: &[u8]) -> Vec<u8> {
        match image::load_from_memory(bytes).unwrap() {
            image::DynamicImage::ImageLuma8(i) => i.into_raw(),
            image::DynamicImage::ImageRgb8(i) => i.into_raw(),
            other => panic!("unexpected {:?}", other.color()),
        }
    }

    fn at() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_763_700_000).unwrap()
    }

    #[test]
    fn records_coded_on_several_threads_are_those_of_one_thread_in_order() {
        let sample = |item, media_type: &str, bytes: Vec<u8>, score| RecordSample {
            item,
            media_type: media_type.to_owned(),
            bytes,
            score,
            captured_at: at(),
        };
        let samples = vec![
            sample(ItemKey::Face, "image/jpeg", jpeg(64, 80), 90),
            sample(
                ItemKey::Finger(Finger::RightIndex),
                "image/png",
                png(120, 150),
                70,
            ),
            sample(
                ItemKey::Finger(Finger::LeftIndex),
                "image/png",
                png(90, 200),
                71,
            ),
            // Does not decode: its error stays in its place.
            sample(
                ItemKey::Finger(Finger::LeftThumb),
                "image/png",
                vec![1, 2, 3],
                50,
            ),
            sample(ItemKey::Iris(Eye::Right), "image/png", png(64, 48), 60),
            sample(ItemKey::Iris(Eye::Left), "image/png", png(48, 64), 61),
        ];
        for format in [ImageFormat::Jpeg2000Lossless, ImageFormat::Png] {
            // One by one, straight through `record_with`.
            let one: Vec<_> = samples
                .iter()
                .map(|s| {
                    let (item, media, bytes) = (s.item, &s.media_type, &s.bytes);
                    record_with(item, media, bytes, s.score, s.captured_at, format)
                })
                .collect();
            for threads in [1, 2, 3, 16] {
                let many = records_with(&samples, format, threads);
                assert_eq!(many.len(), samples.len());
                for (i, (a, b)) in one.iter().zip(&many).enumerate() {
                    match (a, b) {
                        (Ok(a), Ok(b)) => assert_eq!(a, b, "record {i}, {threads} threads"),
                        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
                        _ => panic!("record {i}, {threads} threads: {a:?} vs {b:?}"),
                    }
                }
                assert!(many[3].is_err() && many.iter().filter(|r| r.is_err()).count() == 1);
            }
        }
        assert!(records_with(&[], ImageFormat::default(), 4).is_empty());
    }

    #[test]
    fn a_finger_record_carries_its_sample_as_lossless_jpeg_2000_and_its_score() {
        let sample = png(300, 400);
        let item = ItemKey::Finger(Finger::LeftIndex);
        let r = record_of(item, "image/png", &sample, 77, at())
            .unwrap()
            .unwrap();
        assert_eq!(r.media_type, media::FINGER_IMAGE);
        let back = FingerImageRecord::from_bytes(&r.bytes).unwrap();
        let img = &back.images[0];
        assert_eq!(img.position, FingerPosition::LEFT_INDEX);
        assert_eq!(img.compression, FingerCompression::Jpeg2000Lossless);
        assert_eq!(img.compression.code(), 5);
        assert_eq!((img.width, img.height), (300, 400));
        assert_eq!(img.quality[0].score, 77);
        assert_eq!(img.capture_datetime.unwrap().year, 2025);
        let jp2 = rekam_jp2::decode(&img.image).unwrap();
        assert_eq!(jp2.container, rekam_jp2::Container::Jp2);
        assert_eq!((jp2.width, jp2.height, jp2.channels), (300, 400, 1));
        assert!(jp2.pixels == pixels(&sample), "the pixels are the sample's");
    }

    #[test]
    fn the_png_option_keeps_the_png_sample_as_stored() {
        let sample = png(300, 400);
        let item = ItemKey::Finger(Finger::LeftIndex);
        let r = record_with(item, "image/png", &sample, 77, at(), ImageFormat::Png)
            .unwrap()
            .unwrap();
        let back = FingerImageRecord::from_bytes(&r.bytes).unwrap();
        assert_eq!(back.images[0].compression, FingerCompression::Png);
        assert_eq!(*back.images[0].image, sample);
        let r = record_with(
            ItemKey::Iris(Eye::Right),
            "image/png",
            &png(640, 480),
            61,
            at(),
            ImageFormat::Png,
        )
        .unwrap()
        .unwrap();
        let back = IrisImageRecord::from_bytes(&r.bytes).unwrap();
        assert_eq!(back.images[0].image_format, IrisImageFormat::MonoPng);
        // A JPEG face becomes a PNG of the same pixels.
        let face = jpeg(48, 64);
        let r = record_with(
            ItemKey::Face,
            "image/jpeg",
            &face,
            88,
            at(),
            ImageFormat::Png,
        )
        .unwrap()
        .unwrap();
        let back = FaceImageRecord::from_bytes(&r.bytes).unwrap();
        assert_eq!(back.images[0].image_data_type, FaceImageDataType::Png);
        assert!(back.images[0].image.starts_with(b"\x89PNG"));
        assert!(pixels(&back.images[0].image) == pixels(&face));
    }

    #[test]
    fn an_iris_record_names_its_eye_and_holds_jpeg_2000() {
        let sample = png(640, 480);
        let r = record_of(ItemKey::Iris(Eye::Left), "image/png", &sample, 61, at())
            .unwrap()
            .unwrap();
        let back = IrisImageRecord::from_bytes(&r.bytes).unwrap();
        let img = &back.images[0];
        assert_eq!(img.eye, EyeLabel::Left);
        assert_eq!(img.image_type, IrisImageType::Vga);
        assert_eq!(img.image_format, IrisImageFormat::Jpeg2000);
        assert_eq!(img.compression_history, CompressionHistory::LosslessOrNone);
        let jp2 = rekam_jp2::decode(&img.image).unwrap();
        assert_eq!((jp2.width, jp2.height, jp2.channels), (640, 480, 1));
        assert!(jp2.pixels == pixels(&sample));
    }

    #[test]
    fn a_face_record_holds_the_camera_pixels_losslessly() {
        let sample = jpeg(48, 64);
        let r = record_of(ItemKey::Face, "image/jpeg", &sample, 88, at())
            .unwrap()
            .unwrap();
        let back = FaceImageRecord::from_bytes(&r.bytes).unwrap();
        let img = &back.images[0];
        assert_eq!((img.width, img.height), (48, 64));
        assert_eq!(img.image_data_type, FaceImageDataType::Jpeg2000Lossless);
        assert_eq!(img.colour_space, 1, "24-bit RGB");
        let jp2 = rekam_jp2::decode(&img.image).unwrap();
        assert_eq!((jp2.width, jp2.height, jp2.channels), (48, 64, 3));
        assert!(jp2.pixels == pixels(&sample));
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
        // A colour picture is no finger image.
        let rgb = image::RgbImage::from_pixel(16, 16, image::Rgb([1, 2, 3]));
        let mut colour = Vec::new();
        rgb.write_with_encoder(image::codecs::png::PngEncoder::new(&mut colour))
            .unwrap();
        assert!(matches!(
            record_of(item, "image/png", &colour, 50, at()),
            Err(RecordError::Sample { .. })
        ));
        assert!(
            record_of(ItemKey::Signature, "image/png", &png(10, 10), 50, at())
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn image_format_reads_from_configuration_names() {
        let jp2: RecordsConfig = toml::from_str("image_format = \"jp2\"").unwrap();
        assert_eq!(jp2.image_format, ImageFormat::Jpeg2000Lossless);
        let png: RecordsConfig = toml::from_str("image_format = \"png\"").unwrap();
        assert_eq!(png.image_format, ImageFormat::Png);
        assert!(toml::from_str::<RecordsConfig>("image_format = \"wsq\"").is_err());
        assert!(toml::from_str::<RecordsConfig>("format = \"png\"").is_err());
        let default: RecordsConfig = toml::from_str("").unwrap();
        assert_eq!(default.image_format, ImageFormat::Jpeg2000Lossless);
    }
}
