//! Independent reader (oracle): records written by this crate are parsed by the `iso19794` PyPI
//! package (IDEMIA), which must report the same key fields.
//!
//! The package reads finger image records (19794-4:2011, "FIR" 020) and 2005-edition face
//! image records (19794-5:2005, "FAC" 010); those are covered here, and finger records with a
//! real lossless JPEG 2000 image (the enrolment format) are decoded through it to the same
//! pixels. It has no reader for
//! minutiae, iris or signature records, and its "FAC" 030 (2011) reader is unfinished (it never
//! reads the image information block), so those types rest on the layout and property tests.
//!
//! `scripts/oracles` builds the pinned virtual environment in `target/oracles-venv`. When that
//! is impossible this test fails and says what to install: it never skips.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use rekam_iso19794::face::{FaceImageType, Gender, LandmarkPoint};
use rekam_iso19794::face2005::{FaceImage2005, FaceImageDataType2005, FaceImageRecord2005};
use rekam_iso19794::fir::{FingerCompression, FingerImage, FingerImageRecord, ScaleUnits};
use rekam_iso19794::{
    CaptureDateTime, CaptureDevice, CertificationBlock, FingerPosition, ImpressionType,
    QualityBlock,
};
use serde_json::{json, Value};

/// A JPEG 2000 codestream start (SOC + SIZ markers): the oracle checks it before accepting a
/// JPEG 2000 representation.
const J2K_MAGIC: [u8; 4] = [0xFF, 0x4F, 0xFF, 0x51];

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// Makes (or finds) the oracle venv and returns its python, once per test binary.
fn oracle_python() -> PathBuf {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(make_oracle_venv).clone()
}

fn make_oracle_venv() -> PathBuf {
    let root = workspace_root();
    let out = Command::new("bash")
        .arg(root.join("scripts/oracles"))
        .current_dir(&root)
        .output();
    let out = match out {
        Ok(out) => out,
        Err(e) => panic!("cannot run scripts/oracles ({e}): install bash and python3-venv (Debian: apt-get install python3-venv)"),
    };
    assert!(
        out.status.success(),
        "scripts/oracles could not build the ISO 19794 oracle venv (needs python3 with venv and pip, and \
         network access to PyPI for iso19794==0.1.0 and pillow==9.5.0; Debian: apt-get install python3-venv):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = root.join(String::from_utf8(out.stdout).unwrap().trim());
    assert!(
        path.exists(),
        "scripts/oracles printed {path:?}, which does not exist"
    );
    path
}

/// Writes each record to a file and returns the oracle's report for each, in order.
fn run_oracle(records: &[Vec<u8>]) -> Vec<Value> {
    run_oracle_with(records, false)
}

/// [`run_oracle`]; with `pixels` the oracle also decodes each frame's image and reports the
/// SHA-256 of its pixels.
fn run_oracle_with(records: &[Vec<u8>], pixels: bool) -> Vec<Value> {
    let python = oracle_python();
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<PathBuf> = records
        .iter()
        .enumerate()
        .map(|(i, bytes)| {
            let path = dir.path().join(format!("record-{i}.bin"));
            std::fs::write(&path, bytes).unwrap();
            path
        })
        .collect();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/parse.py");
    let out = Command::new(&python)
        .arg(&script)
        .args(pixels.then_some("--pixels"))
        .args(&files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "oracle crashed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let entries = report.as_array().unwrap().clone();
    assert_eq!(entries.len(), records.len());
    entries
        .into_iter()
        .zip(&files)
        .map(|(mut e, f)| {
            assert_eq!(e["file"], json!(f.to_str().unwrap()));
            assert!(
                e.get("error").is_none(),
                "oracle refused {}: {}",
                f.display(),
                e["trace"]
            );
            e.as_object_mut().unwrap().remove("file");
            e
        })
        .collect()
}

fn datetime(i: usize) -> CaptureDateTime {
    CaptureDateTime {
        year: 2020 + (i % 10) as u16,
        month: 1 + (i % 12) as u8,
        day: 1 + (i % 28) as u8,
        hour: (i % 24) as u8,
        minute: (i * 7 % 60) as u8,
        second: (i * 13 % 60) as u8,
        millisecond: (i * 37 % 1000) as u16,
    }
}

fn finger(i: usize, position: FingerPosition) -> FingerImage {
    let impressions: Vec<ImpressionType> = (0..=255).filter_map(ImpressionType::new).collect();
    // PNG (6) is left out: the package has no PNG branch for finger images.
    let compressions = [
        FingerCompression::Uncompressed,
        FingerCompression::UncompressedBitPacked,
        FingerCompression::Wsq,
        FingerCompression::Jpeg,
        FingerCompression::Jpeg2000Lossy,
        FingerCompression::Jpeg2000Lossless,
    ];
    let compression = compressions[i % compressions.len()];
    let (width, height) = (3 + (i as u16 * 17) % 500, 2 + (i as u16 * 29) % 700);
    let image = match compression {
        FingerCompression::Jpeg2000Lossy | FingerCompression::Jpeg2000Lossless => {
            [J2K_MAGIC.as_slice(), &[i as u8; 8]].concat()
        }
        _ => vec![i as u8; 16],
    };
    FingerImage {
        capture_datetime: Some(datetime(i)),
        capture_device: CaptureDevice {
            technology: (i % 21) as u8,
            vendor: 0x0100 + i as u16,
            device_type: 0xBEEF ^ i as u16,
        },
        quality: (0..i % 3)
            .map(|q| QualityBlock {
                score: if q == 1 { 255 } else { (i * 7 % 101) as u8 },
                algorithm_vendor: 0x0F00 + q as u16,
                algorithm: 0x377D,
            })
            .collect(),
        certifications: vec![],
        position,
        representation_number: (i % 7) as u8,
        scale_units: if i.is_multiple_of(2) {
            ScaleUnits::PixelsPerInch
        } else {
            ScaleUnits::PixelsPerCentimetre
        },
        scan_horizontal: 500 + i as u16,
        scan_vertical: 500,
        image_horizontal: if i.is_multiple_of(2) { 500 } else { 197 },
        image_vertical: 1000 - i as u16,
        bit_depth: 8,
        compression,
        impression: impressions[i % impressions.len()],
        width,
        height,
        image: image.into(),
    }
}

fn expected_fir(r: &FingerImageRecord) -> Value {
    let certified = r.images.iter().any(|i| !i.certifications.is_empty());
    let mut positions: Vec<u8> = r.images.iter().map(|i| i.position.code()).collect();
    positions.sort_unstable();
    positions.dedup();
    let frames: Vec<Value> = r
        .images
        .iter()
        .map(|i| {
            let dt = i.capture_datetime.unwrap();
            json!({
                "width": i.width,
                "height": i.height,
                "mode": "L",
                "capture": [dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second, dt.millisecond],
                "technology": i.capture_device.technology,
                "vendor": i.capture_device.vendor,
                "device_type": i.capture_device.device_type,
                "quality": i.quality.iter().map(|q| json!([q.score, q.algorithm_vendor, q.algorithm])).collect::<Vec<_>>(),
                "certifications": i.certifications.iter().map(|c| json!([c.authority, c.scheme])).collect::<Vec<_>>(),
                "position": i.position.code(),
                "number": i.representation_number,
                "scale_units": i.scale_units.code(),
                "rates": [i.scan_horizontal, i.scan_vertical, i.image_horizontal, i.image_vertical],
                "compression": i.compression.code(),
                "impression": i.impression.code(),
            })
        })
        .collect();
    json!({
        "format": "FIR",
        "version": "020",
        "representations": r.images.len(),
        "certification_flag": certified,
        "positions": positions.len(),
        "frames": frames,
    })
}

fn fir_records() -> Vec<FingerImageRecord> {
    let positions: Vec<FingerPosition> = (0..=255).filter_map(FingerPosition::new).collect();
    // One single-image record per defined position, cycling through impressions and codecs.
    let mut records: Vec<FingerImageRecord> = positions
        .iter()
        .enumerate()
        .map(|(i, p)| FingerImageRecord {
            images: vec![finger(i, *p)],
        })
        .collect();
    // The 4-4-2 enrolment as one record: two slaps and the thumbs, with certification blocks.
    let mut slaps = vec![
        finger(1, FingerPosition::PLAIN_LEFT_FOUR),
        finger(2, FingerPosition::PLAIN_RIGHT_FOUR),
        finger(3, FingerPosition::PLAIN_THUMBS),
        finger(4, FingerPosition::PLAIN_THUMBS),
    ];
    for (k, s) in slaps.iter_mut().enumerate() {
        s.certifications = (0..=k % 2)
            .map(|c| CertificationBlock {
                authority: 0x1000 + c as u16,
                scheme: c as u8,
            })
            .collect();
    }
    records.push(FingerImageRecord { images: slaps });
    records
}

#[test]
fn oracle_reads_our_finger_image_records() {
    let records = fir_records();
    let bytes: Vec<Vec<u8>> = records.iter().map(|r| r.to_bytes().unwrap()).collect();
    let reports = run_oracle(&bytes);
    for (i, (record, report)) in records.iter().zip(&reports).enumerate() {
        assert_eq!(report, &expected_fir(record), "finger image record {i}");
    }
}

#[test]
fn oracle_sees_what_the_bytes_say() {
    // The comparison can fail: patch the width of a written record and the oracle reports the
    // patched width, not the struct's.
    let record = FingerImageRecord {
        images: vec![finger(5, FingerPosition::RIGHT_THUMB)],
    };
    let mut bytes = record.to_bytes().unwrap();
    let width_at = 16 + 4 + 9 + 5 + 1 + 5 * record.images[0].quality.len() + 14;
    assert_eq!(
        u16::from_be_bytes([bytes[width_at], bytes[width_at + 1]]),
        record.images[0].width
    );
    bytes[width_at..width_at + 2].copy_from_slice(&777u16.to_be_bytes());
    let report = &run_oracle(&[bytes])[0];
    assert_eq!(report["frames"][0]["width"], json!(777));
    assert_ne!(report, &expected_fir(&record));
}

fn face2005(i: usize) -> FaceImage2005 {
    let genders = [
        Gender::Unspecified,
        Gender::Male,
        Gender::Female,
        Gender::Unknown,
    ];
    let colours = [0u8, 1, 2, 3, 4, 5, 6, 7, 255];
    let types = [
        FaceImageType::Basic,
        FaceImageType::FullFrontal,
        FaceImageType::TokenFrontal,
    ];
    let jpeg2000 = i % 3 == 2;
    FaceImage2005 {
        gender: genders[i % genders.len()],
        eye_colour: colours[i % colours.len()],
        hair_colour: colours[(i * 5) % colours.len()],
        // The package knows the eleven flags of bits 0..=10.
        feature_mask: (i as u32 * 0x155) & 0x7FF,
        // The package knows expressions 0..=7.
        expression: (i % 8) as u16,
        pose_angle: [i as u8, (i * 3) as u8 ^ 0x80, 0xFF - i as u8],
        pose_angle_uncertainty: [(i % 5) as u8, 0, 90],
        landmarks: (0..i % 3)
            .map(|k| LandmarkPoint {
                point_type: 1,
                code: 0x21 + k as u8,
                x: 100 + k as u16,
                y: 200,
                z: 0,
            })
            .collect::<Vec<_>>()
            .into(),
        face_image_type: types[i % types.len()],
        image_data_type: if jpeg2000 {
            FaceImageDataType2005::Jpeg2000
        } else {
            FaceImageDataType2005::Jpeg
        },
        width: 240 + i as u16,
        height: 320 + 2 * i as u16,
        colour_space: (i % 5) as u8,
        source_type: (i % 8) as u8,
        device_type: 0x0A0B + i as u16,
        quality: (i * 11) as u16,
        image: if jpeg2000 {
            [J2K_MAGIC.as_slice(), &[1, 2, 3]].concat()
        } else {
            vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]
        }
        .into(),
    }
}

fn expected_fac2005(r: &FaceImageRecord2005) -> Value {
    let modes = ["RGB", "RGB", "YCbCr", "L", "RGB"];
    let frames: Vec<Value> = r
        .images
        .iter()
        .map(|i| {
            json!({
                "width": i.width,
                "height": i.height,
                "mode": modes[usize::from(i.colour_space)],
                "gender": match i.gender { Gender::Unspecified => 0, Gender::Male => 1, Gender::Female => 2, Gender::Unknown => 255 },
                "eye_colour": i.eye_colour,
                "hair_colour": i.hair_colour,
                "property_mask": i.feature_mask,
                "expression": i.expression,
                // The package reads pose angles as signed bytes.
                "pose": i.pose_angle.map(|a| a as i8),
                "pose_uncertainty": i.pose_angle_uncertainty.map(|a| a as i8),
                "landmarks": i.landmarks.iter().map(|p| json!([p.point_type, p.code, p.x, p.y, p.z])).collect::<Vec<_>>(),
                "face_image_type": match i.face_image_type { FaceImageType::Basic => 0, FaceImageType::FullFrontal => 1, FaceImageType::TokenFrontal => 2 },
                "image_data_type": match i.image_data_type { FaceImageDataType2005::Jpeg => 0, FaceImageDataType2005::Jpeg2000 => 1 },
                "source_type": i.source_type,
                "device_type": i.device_type,
                "quality": i.quality,
            })
        })
        .collect();
    json!({
        "format": "FAC",
        "version": "010",
        "representations": r.images.len(),
        "frames": frames,
    })
}

#[test]
fn oracle_reads_our_2005_face_image_records() {
    let mut records: Vec<FaceImageRecord2005> = (0..24)
        .map(|i| FaceImageRecord2005 {
            images: vec![face2005(i)],
        })
        .collect();
    records.push(FaceImageRecord2005 {
        images: (30..33).map(face2005).collect(),
    });
    let bytes: Vec<Vec<u8>> = records.iter().map(|r| r.to_bytes().unwrap()).collect();
    let reports = run_oracle(&bytes);
    for (i, (record, report)) in records.iter().zip(&reports).enumerate() {
        assert_eq!(report, &expected_fac2005(record), "face image record {i}");
    }
}

/// A fingerprint-like grey test image: concentric ridges with a little deterministic noise.
fn ridges(width: u32, height: u32, seed: u32) -> Vec<u8> {
    let (cx, cy) = (width as f32 * 0.45, height as f32 * 0.55);
    (0..height)
        .flat_map(|y| (0..width).map(move |x| (x, y)))
        .map(|(x, y)| {
            let r = ((x as f32 - cx).powi(2) + (y as f32 - cy).powi(2)).sqrt();
            let noise = (x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503) ^ seed) % 23;
            (128.0 + 90.0 * (r / 9.0 * std::f32::consts::TAU).cos()) as u8 / 2 * 2 + noise as u8
        })
        .collect()
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn oracle_decodes_the_lossless_jpeg_2000_in_our_finger_records() {
    use rekam_jp2::{encode_lossless_with, Container, EncodeOptions};
    // The enrolment's single-finger records (a 500 ppi tip, smaller crops), in both JPEG 2000
    // wrappings the package accepts: the JP2 file the station writes and a bare codestream.
    let cases = [
        (FingerPosition::RIGHT_INDEX, 500u32, 600u32, Container::Jp2),
        (FingerPosition::LEFT_THUMB, 320, 400, Container::Jp2),
        (FingerPosition::RIGHT_LITTLE, 257, 311, Container::J2k),
        (FingerPosition::LEFT_RING, 37, 53, Container::Jp2),
    ];
    let mut records = Vec::new();
    let mut hashes = Vec::new();
    for (i, (position, w, h, container)) in cases.into_iter().enumerate() {
        let pixels = ridges(w, h, i as u32);
        let options = EncodeOptions {
            container,
            ..EncodeOptions::default()
        };
        let mut image = finger(i, position);
        image.compression = FingerCompression::Jpeg2000Lossless;
        image.width = w as u16;
        image.height = h as u16;
        image.image = encode_lossless_with(&pixels, w, h, 1, &options)
            .unwrap()
            .into();
        records.push(FingerImageRecord {
            images: vec![image],
        });
        hashes.push(sha256_hex(&pixels));
    }
    let bytes: Vec<Vec<u8>> = records.iter().map(|r| r.to_bytes().unwrap()).collect();
    let reports = run_oracle_with(&bytes, true);
    for (i, (record, report)) in records.iter().zip(&reports).enumerate() {
        let mut expected = expected_fir(record);
        expected["frames"][0]["pixels"] = json!(hashes[i]);
        assert_eq!(report, &expected, "JPEG 2000 finger image record {i}");
    }
    // The hash is of what the oracle decoded: a different image gives a different report.
    assert_ne!(
        reports[0]["frames"][0]["pixels"],
        reports[1]["frames"][0]["pixels"]
    );
}
