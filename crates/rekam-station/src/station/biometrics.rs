//! Turning device captures into stored samples, and samples into chip content.
//!
//! Runs on the device's actor thread (inside a lease call), so the image encoding here is off
//! the async runtime. Samples are stored as the devices deliver them: PNG (lossless) for
//! fingers, irises and the signature, JPEG for the face; the ISO/IEC 19794 records built from
//! them at finalization are in `station::records`, the quality measures in `station::quality`.
//!
//! Fingerprint templates: [`template_of`] extracts the minutiae of a kept finger sample with
//! `rekam-match` (MINDTCT, capped to the chip's byte budget) and writes them in the
//! ISO/IEC 19794-2 compact card format; at activation [`compare`] scores the live finger image
//! against the chip's template (BOZORTH3) and decides with the configured threshold (`[matching]`,
//! [`MatchingConfig`]; the default 70 is calibrated for a false match rate of 0.1 %).
//!
//! Simulated identities: a simulated scanner tags each finger with a `SimIdentity`, kept in the
//! finger PNG as a `tEXt` chunk (`rekam-sim-identity`) for tests; matching does not use it.

use std::io::Cursor;

use rekam_card::{Template, TemplateFormat};
use rekam_hal::{
    AnyDevice, CaptureSink, Control, DeviceError, DeviceFamily, ErrorKind, FaceCaptureRequest,
    FingerCaptureRequest, Guidance, IrisCaptureRequest, PixelFormat, PreviewFrame, RawImage,
    SignatureCaptureRequest, SimIdentity, SimSubject, SlapKind,
};
use rekam_store::NewBlob;
use tokio::sync::mpsc;

use rekam_biometrics::fingerprint::segment;
use rekam_biometrics::signature::{self, PadGeometry};

use super::enrol::CaptureUpdate;
use super::matching::MatchingConfig;
use super::quality::{self, BiometricChecks};
use super::records;
use crate::enrolment::{CaptureTarget, ItemKey, QualityMeasure};

/// The PNG text key that carries a simulated identity.
const SIM_IDENTITY_KEY: &str = "rekam-sim-identity";

/// The device family that captures a target.
pub(crate) fn family_of(target: CaptureTarget) -> DeviceFamily {
    match target {
        CaptureTarget::Face => DeviceFamily::FaceCamera,
        CaptureTarget::LeftSlap | CaptureTarget::RightSlap | CaptureTarget::Thumbs => {
            DeviceFamily::FingerprintScanner
        }
        CaptureTarget::Irises => DeviceFamily::IrisCamera,
        CaptureTarget::Signature => DeviceFamily::SignaturePad,
    }
}

/// Forwards previews and guidance to the client; drops frames rather than queueing when the
/// client is slow (the device never waits for the network).
pub(crate) struct ChannelSink {
    tx: mpsc::Sender<CaptureUpdate>,
}

impl ChannelSink {
    pub(crate) fn new(tx: mpsc::Sender<CaptureUpdate>) -> Self {
        ChannelSink { tx }
    }
}

impl CaptureSink for ChannelSink {
    fn preview(&mut self, frame: PreviewFrame) {
        let _ = self.tx.try_send(CaptureUpdate::Preview(frame));
    }
    fn guidance(&mut self, guidance: &[Guidance]) {
        let _ = self.tx.try_send(CaptureUpdate::Guidance(guidance.to_vec()));
    }
}

/// What the station's checks of a capture need: their thresholds, and the capture time the
/// records carry.
pub(crate) struct Checking {
    pub checks: BiometricChecks,
    pub at: time::OffsetDateTime,
}

/// One item seen in a capture, encoded for the journal.
pub(crate) struct CapturedItem {
    pub item: ItemKey,
    pub quality: u8,
    pub measures: Vec<QualityMeasure>,
    pub blob: NewBlob,
}

/// A capture, encoded.
pub(crate) struct Captured {
    pub items: Vec<CapturedItem>,
    pub guidance: Vec<Guidance>,
}

/// Runs the capture of `target` on `dev` and encodes what it gave.
pub(crate) fn run_capture(
    dev: &mut AnyDevice,
    target: CaptureTarget,
    expected: &[ItemKey],
    subject: SimSubject,
    checking: &Checking,
    ctl: &Control,
    mut sink: ChannelSink,
) -> Result<Captured, DeviceError> {
    let (checks, captured_at) = (&checking.checks, checking.at);
    match (dev, target) {
        (AnyDevice::Face(cam), CaptureTarget::Face) => {
            let req = FaceCaptureRequest {
                subject: Some(subject),
                max_preview_frames: 0,
            };
            let cap = cam.capture(&req, ctl, &mut sink)?;
            let assessment = quality::face(&cap.image.bytes, &checks.face);
            let mut guidance = cap.guidance;
            for g in assessment.guidance {
                if !guidance.contains(&g) {
                    guidance.push(g);
                }
            }
            Ok(Captured {
                items: vec![CapturedItem {
                    item: ItemKey::Face,
                    quality: assessment.score,
                    measures: assessment.measures,
                    blob: NewBlob::new(cap.image.codec.media_type(), cap.image.bytes),
                }],
                guidance,
            })
        }
        (AnyDevice::Fingerprint(scanner), t) => {
            let slap = target_slap(t)?;
            let fingers = expected
                .iter()
                .filter_map(|i| match i {
                    ItemKey::Finger(f) => Some(*f),
                    _ => None,
                })
                .collect();
            let req = FingerCaptureRequest {
                slap,
                expected: fingers,
                subject: Some(subject),
            };
            let cap = scanner.capture(&req, ctl, &mut sink)?;
            let mut guidance = cap.guidance;
            // Segments from the device, or cut here when the scanner does not segment.
            let segments: Vec<(rekam_hal::Finger, RawImage, Option<SimIdentity>)> =
                match cap.segments {
                    Some(segments) => segments
                        .into_iter()
                        .map(|s| (s.finger, s.image, s.sim_identity))
                        .collect(),
                    None => {
                        let seg = segment::segment(&cap.image, slap).map_err(|e| {
                            DeviceError::new(
                                ErrorKind::Protocol,
                                format!("the scanner's slap image cannot be segmented: {e}"),
                            )
                        })?;
                        for g in seg.guidance {
                            if !guidance.contains(&g) {
                                guidance.push(g);
                            }
                        }
                        seg.fingers
                            .into_iter()
                            .map(|f| (f.finger, f.image, None))
                            .collect()
                    }
                };
            let mut items = Vec::with_capacity(segments.len());
            for (finger, image, identity) in segments {
                let assessment = quality::finger(&image, finger);
                for g in assessment.guidance {
                    if !guidance.contains(&g) {
                        guidance.push(g);
                    }
                }
                items.push(CapturedItem {
                    item: ItemKey::Finger(finger),
                    quality: assessment.score,
                    measures: assessment.measures,
                    blob: NewBlob::new("image/png", encode_png(&image, identity)?),
                });
            }
            Ok(Captured { items, guidance })
        }
        (AnyDevice::Iris(cam), CaptureTarget::Irises) => {
            let eyes = expected
                .iter()
                .filter_map(|i| match i {
                    ItemKey::Iris(e) => Some(*e),
                    _ => None,
                })
                .collect();
            let req = IrisCaptureRequest {
                eyes,
                subject: Some(subject),
            };
            let cap = cam.capture(&req, ctl, &mut sink)?;
            let mut items = Vec::with_capacity(cap.eyes.len());
            let mut guidance = cap.guidance;
            for eye in cap.eyes {
                let assessment = quality::iris(&eye.image, eye.eye, &checks.iris);
                for g in assessment.guidance {
                    if !guidance.contains(&g) {
                        guidance.push(g);
                    }
                }
                items.push(CapturedItem {
                    item: ItemKey::Iris(eye.eye),
                    quality: assessment.score,
                    measures: assessment.measures,
                    blob: NewBlob::new("image/png", encode_png(&eye.image, None)?),
                });
            }
            Ok(Captured { items, guidance })
        }
        (AnyDevice::Signature(pad), CaptureTarget::Signature) => {
            let req = SignatureCaptureRequest {
                subject: Some(subject),
            };
            let geometry = PadGeometry::from(&pad.capabilities());
            let cap = pad.capture(&req, ctl, &mut sink)?;
            let assessment = quality::signature(&cap.samples, &geometry);
            // The time series as its standard record; a signature its checks refuse has none
            // (and scores 0).
            let record = signature::record_bytes(
                &cap.samples,
                &geometry,
                Some(records::capture_time(captured_at)),
                rekam_iso19794::CaptureDevice::default(),
            )
            .ok();
            Ok(Captured {
                items: vec![CapturedItem {
                    item: ItemKey::Signature,
                    quality: assessment.score,
                    measures: assessment.measures,
                    blob: NewBlob::new(
                        "image/png",
                        encode_png_with(&cap.image, None, record.as_deref())?,
                    ),
                }],
                guidance: assessment.guidance,
            })
        }
        (dev, target) => Err(DeviceError::new(
            ErrorKind::Internal,
            format!("a {} cannot capture {}", dev.family(), target.as_str()),
        )),
    }
}

fn target_slap(target: CaptureTarget) -> Result<SlapKind, DeviceError> {
    match target {
        CaptureTarget::LeftSlap => Ok(SlapKind::LeftFour),
        CaptureTarget::RightSlap => Ok(SlapKind::RightFour),
        CaptureTarget::Thumbs => Ok(SlapKind::Thumbs),
        other => Err(DeviceError::new(
            ErrorKind::Internal,
            format!("{} is not a fingerprint target", other.as_str()),
        )),
    }
}

/// Encodes a raw image as PNG, with the simulated identity in a text chunk when present.
pub(crate) fn encode_png(
    image: &RawImage,
    identity: Option<SimIdentity>,
) -> Result<Vec<u8>, DeviceError> {
    encode_png_with(image, identity, None)
}

/// The compressed PNG text key that carries a signature's ISO/IEC 19794-7 record (hex).
const SIGNATURE_RECORD_KEY: &str = "rekam-iso19794-7";

/// Encodes a raw image as PNG with the simulated identity and, for a signature, its
/// ISO/IEC 19794-7 time-series record (hex, in a compressed text chunk): one blob keeps the
/// signature's image and its pen samples together, and the package's record is read back
/// from it.
pub(crate) fn encode_png_with(
    image: &RawImage,
    identity: Option<SimIdentity>,
    signature_record: Option<&[u8]>,
) -> Result<Vec<u8>, DeviceError> {
    let bad = |e: &dyn std::fmt::Display| {
        DeviceError::new(
            ErrorKind::Internal,
            format!("cannot encode the sample as PNG: {e}"),
        )
    };
    if !image.is_consistent() {
        return Err(DeviceError::new(
            ErrorKind::Protocol,
            "the device returned an image of the wrong size",
        ));
    }
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, image.width, image.height);
        enc.set_color(match image.format {
            PixelFormat::Gray8 => png::ColorType::Grayscale,
            PixelFormat::Rgb8 => png::ColorType::Rgb,
        });
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::Fast);
        if let Some(ppi) = image.ppi {
            let ppm = (f64::from(ppi) / 0.0254).round() as u32;
            enc.set_pixel_dims(Some(png::PixelDimensions {
                xppu: ppm,
                yppu: ppm,
                unit: png::Unit::Meter,
            }));
        }
        if let Some(SimIdentity(id)) = identity {
            enc.add_text_chunk(SIM_IDENTITY_KEY.to_owned(), format!("{id:016x}"))
                .map_err(|e| bad(&e))?;
        }
        if let Some(record) = signature_record {
            enc.add_ztxt_chunk(SIGNATURE_RECORD_KEY.to_owned(), hex::encode(record))
                .map_err(|e| bad(&e))?;
        }
        let mut writer = enc.write_header().map_err(|e| bad(&e))?;
        writer.write_image_data(&image.data).map_err(|e| bad(&e))?;
        writer.finish().map_err(|e| bad(&e))?;
    }
    Ok(out)
}

/// The simulated identity stored in a finger PNG, if any (tests read it back).
#[cfg(test)]
pub(crate) fn sim_identity_of(png_bytes: &[u8]) -> Option<SimIdentity> {
    let decoder = png::Decoder::new(Cursor::new(png_bytes));
    let reader = decoder.read_info().ok()?;
    reader
        .info()
        .uncompressed_latin1_text
        .iter()
        .find(|t| t.keyword == SIM_IDENTITY_KEY)
        .and_then(|t| u64::from_str_radix(&t.text, 16).ok())
        .map(SimIdentity)
}

/// The ISO/IEC 19794-7 record kept in a signature PNG, if any.
pub(crate) fn signature_record_of(png_bytes: &[u8]) -> Option<Vec<u8>> {
    let decoder = png::Decoder::new(Cursor::new(png_bytes));
    let mut reader = decoder.read_info().ok()?;
    // Text chunks after the image data are read with it.
    let mut buf = vec![0; reader.output_buffer_size()?];
    reader.next_frame(&mut buf).ok()?;
    reader.finish().ok()?;
    let info = reader.info();
    info.compressed_latin1_text
        .iter()
        .find(|t| t.keyword == SIGNATURE_RECORD_KEY)
        .and_then(|t| t.get_text().ok())
        .and_then(|text| hex::decode(text).ok())
}

/// The chip template of a stored finger sample (see the module doc): its minutiae in the
/// ISO/IEC 19794-2 compact card format, capped as `matching` says, or `None` when the sample
/// does not decode or holds too few minutiae. (The station extracts through its template
/// cache, `station::templates`, and writes the card bytes with [`card_template`].)
#[cfg(test)]
pub(crate) fn template_of(
    finger_iso: u8,
    png_bytes: &[u8],
    matching: &MatchingConfig,
) -> Option<Template> {
    let image = decode_gray(png_bytes)?;
    let template = rekam_match::extract(&image, &matching.extract_options()).ok()?;
    card_template(finger_iso, &template)
}

/// A finger's extracted template as the chip takes it: ISO/IEC 19794-2 compact card format.
/// `None` when it cannot be written in that format.
pub(crate) fn card_template(finger_iso: u8, template: &rekam_match::Template) -> Option<Template> {
    Some(Template {
        finger: finger_iso,
        format: TemplateFormat::Iso19794_2Compact,
        data: template.to_compact_card().ok()?,
    })
}

/// Compares a chip template with a live finger image: `(matched, BOZORTH3 score)`, decided
/// with `matching.threshold`. A template in another format, or a live image without enough
/// minutiae, scores 0. Takes tens of milliseconds: call it off the async runtime.
pub(crate) fn compare(
    template: &Template,
    live: Option<&RawImage>,
    matching: &MatchingConfig,
) -> (bool, u32) {
    let score = match (template.format, live) {
        (TemplateFormat::Iso19794_2Compact, Some(image)) => {
            match (
                rekam_match::Template::from_compact_card(&template.data),
                rekam_match::extract(image, &matching.extract_options()),
            ) {
                (Ok(reference), Ok(probe)) => rekam_match::compare(&reference, &probe),
                _ => rekam_match::Score(0),
            }
        }
        _ => rekam_match::Score(0),
    };
    (matching.match_threshold().accepts(score), score.0)
}

/// The chip photo: the ISO/IEC 19794-5 token-frontal crop of the portrait (eyes at the
/// token geometry's fixed positions, 240 px wide), the best JPEG that fits `budget` bytes.
/// A portrait whose eyes cannot be found (the enrolment kept it below threshold) is scaled
/// to 240x320 at most instead, so the card can still be made.
pub(crate) fn chip_photo(jpeg: &[u8], budget: usize) -> Result<Vec<u8>, String> {
    if let Ok(raw) = rekam_biometrics::face::decode(jpeg) {
        if let Ok(a) = rekam_biometrics::face::assess(&raw, &Default::default()) {
            if let Some(eyes) = a.eyes.filter(|e| e.located) {
                let opts = rekam_biometrics::face::TokenOptions {
                    budget,
                    ..Default::default()
                };
                if let Ok(token) = rekam_biometrics::face::token_image(&raw, &eyes, &opts) {
                    return Ok(token.jpeg);
                }
            }
        }
    }
    let img =
        image::load_from_memory(jpeg).map_err(|e| format!("the portrait does not decode: {e}"))?;
    let img = img
        .resize(240, 320, image::imageops::FilterType::Triangle)
        .to_rgb8();
    for quality in [85u8, 75, 65, 55, 45, 35, 25, 15] {
        let mut out = Vec::new();
        let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality);
        img.write_with_encoder(enc).map_err(|e| e.to_string())?;
        if out.len() <= budget {
            return Ok(out);
        }
    }
    Err(format!(
        "the portrait does not fit the chip photo budget of {budget} bytes"
    ))
}

/// The chip's signature image: the pad image binarised, cropped to its ink and fitted into
/// 256x96, as a 1-bit PNG (a few hundred bytes, where the pad image takes kilobytes).
pub(crate) fn chip_signature(png_bytes: &[u8]) -> Result<Vec<u8>, String> {
    let img = image::load_from_memory(png_bytes)
        .map_err(|e| format!("the signature does not decode: {e}"))?
        .to_luma8();
    let (w, h) = img.dimensions();
    let (mut x0, mut y0, mut x1, mut y1) = (w, h, 0u32, 0u32);
    for (x, y, p) in img.enumerate_pixels() {
        if p.0[0] < 128 {
            x0 = x0.min(x);
            y0 = y0.min(y);
            x1 = x1.max(x);
            y1 = y1.max(y);
        }
    }
    if x1 < x0 || y1 < y0 {
        return Err("the signature has no ink".into());
    }
    let crop = image::imageops::crop_imm(&img, x0, y0, x1 - x0 + 1, y1 - y0 + 1).to_image();
    let fitted = image::DynamicImage::ImageLuma8(crop)
        .resize(256, 96, image::imageops::FilterType::Triangle)
        .to_luma8();
    let (fw, fh) = fitted.dimensions();
    // Pack to 1 bit per pixel, ink black.
    let stride = fw.div_ceil(8) as usize;
    let mut packed = vec![0xFFu8; stride * fh as usize];
    for (x, y, p) in fitted.enumerate_pixels() {
        if p.0[0] < 160 {
            packed[y as usize * stride + (x / 8) as usize] &= !(0x80 >> (x % 8));
        }
    }
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, fw, fh);
    enc.set_color(png::ColorType::Grayscale);
    enc.set_depth(png::BitDepth::One);
    enc.set_compression(png::Compression::High);
    let mut writer = enc.write_header().map_err(|e| e.to_string())?;
    writer
        .write_image_data(&packed)
        .map_err(|e| e.to_string())?;
    writer.finish().map_err(|e| e.to_string())?;
    Ok(out)
}

/// Decodes a PNG sample into a grey raw image (the signature, for the card face).
pub(crate) fn decode_gray(png_bytes: &[u8]) -> Option<RawImage> {
    let img = image::load_from_memory(png_bytes).ok()?.to_luma8();
    let (w, h) = img.dimensions();
    RawImage::gray(w, h, None, img.into_raw())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_survives_png() {
        let img = RawImage::gray(4, 3, Some(500), vec![7; 12]).unwrap();
        let png = encode_png(&img, Some(SimIdentity(0xdead_beef))).unwrap();
        assert_eq!(sim_identity_of(&png), Some(SimIdentity(0xdead_beef)));
        // Too small for minutiae: no template.
        assert!(template_of(2, &png, &MatchingConfig::default()).is_none());
    }

    #[test]
    fn finger_samples_become_card_templates_that_match_the_same_finger_only() {
        use rekam_sim::synth::finger::{impression, ImpressionParams, MasterPrint};
        let master = MasterPrint::cached(SimIdentity(0x7E57), rekam_hal::Finger::RightIndex);
        let other = MasterPrint::cached(SimIdentity(0x07E5), rekam_hal::Finger::RightIndex);
        let kept = impression(&master, &ImpressionParams::from_seed(1));
        let png = encode_png(&kept, Some(SimIdentity(0x7E57))).unwrap();
        let matching = MatchingConfig::default();
        let t = template_of(2, &png, &matching).unwrap();
        assert_eq!(t.format, TemplateFormat::Iso19794_2Compact);
        assert!(t.data.len() <= 150 && t.data.len().is_multiple_of(3));
        let live = impression(&master, &ImpressionParams::from_seed(2));
        let (matched, score) = compare(&t, Some(&live), &matching);
        assert!(matched, "genuine score {score}");
        let impostor = impression(&other, &ImpressionParams::from_seed(2));
        let (matched, score) = compare(&t, Some(&impostor), &matching);
        assert!(!matched, "impostor score {score}");
        assert_eq!(compare(&t, None, &matching), (false, 0));
        // The configured threshold decides: the same genuine pair fails a threshold above its
        // score, and a smaller budget gives a smaller template.
        let strict = MatchingConfig {
            threshold: score_of_genuine(&t, &live, &matching) + 1,
            ..MatchingConfig::default()
        };
        assert!(!compare(&t, Some(&live), &strict).0);
        let small = MatchingConfig {
            template_bytes: 60,
            ..MatchingConfig::default()
        };
        assert_eq!(template_of(2, &png, &small).unwrap().data.len(), 60);
    }

    fn score_of_genuine(t: &Template, live: &RawImage, matching: &MatchingConfig) -> u32 {
        compare(t, Some(live), matching).1
    }

    #[test]
    fn chip_signature_is_small_and_keeps_the_ink() {
        let mut img = image::GrayImage::from_pixel(500, 200, image::Luma([255]));
        for x in 100..400 {
            let y = 100 + ((x as f32 / 20.0).sin() * 30.0) as u32;
            for dy in 0..3 {
                img.put_pixel(x, y + dy, image::Luma([0]));
            }
        }
        let mut png = Vec::new();
        image::DynamicImage::ImageLuma8(img)
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        let small = chip_signature(&png).unwrap();
        assert!(small.len() < 1500, "{} bytes", small.len());
        let back = image::load_from_memory(&small).unwrap().to_luma8();
        assert!(back.width() <= 256 && back.height() <= 96);
        assert!(back.pixels().any(|p| p.0[0] < 128), "the ink survived");
        let blank = image::GrayImage::from_pixel(50, 20, image::Luma([255]));
        let mut png = Vec::new();
        image::DynamicImage::ImageLuma8(blank)
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        assert!(chip_signature(&png).is_err());
    }

    #[test]
    fn chip_photo_fits_its_budget() {
        let mut rgb = Vec::new();
        for y in 0..480u32 {
            for x in 0..640u32 {
                rgb.extend_from_slice(&[(x % 256) as u8, (y % 256) as u8, ((x * y) % 256) as u8]);
            }
        }
        let img = image::RgbImage::from_raw(640, 480, rgb).unwrap();
        let mut jpeg = Vec::new();
        img.write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(
            &mut jpeg, 90,
        ))
        .unwrap();
        let small = chip_photo(&jpeg, 6000).unwrap();
        assert!(small.len() <= 6000);
        assert!(chip_photo(&jpeg, 10).is_err());
    }
}
