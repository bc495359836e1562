//! Hand-computed byte layouts: one record of each type written byte by byte from the field
//! tables in the module docs, compared with `to_bytes`, read back with `from_bytes`, and
//! corrupted to check each error names the right field and offset.
#![allow(clippy::unwrap_used)]

use rekam_hal::PenSample;
use rekam_iso19794::face::{
    FaceImage, FaceImageDataType, FaceImageRecord, FaceImageType, Gender, LandmarkPoint,
};
use rekam_iso19794::face2005::{FaceImage2005, FaceImageDataType2005, FaceImageRecord2005};
use rekam_iso19794::fir::{FingerCompression, FingerImage, FingerImageRecord, ScaleUnits};
use rekam_iso19794::fmr::{
    CardMinutia, CompactCardTemplate, FingerMinutiae, FingerMinutiaeRecord, Minutia, MinutiaType,
    RidgeEndingType,
};
use rekam_iso19794::iris::*;
use rekam_iso19794::sdi::{ChannelDescription, Signature, SignatureRecord};
use rekam_iso19794::{
    CaptureDateTime, CaptureDevice, DecodeError, EncodeError, FingerPosition, ImpressionType,
    QualityBlock,
};

/// Parses "46 49 52 00 ..." (spaces and newlines ignored).
fn hex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s.bytes().filter(u8::is_ascii_hexdigit).collect();
    assert_eq!(digits.len() % 2, 0, "odd number of hex digits");
    digits
        .chunks(2)
        .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap())
        .collect()
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(b[at..at + 4].try_into().unwrap())
}

fn finger_image() -> FingerImageRecord {
    FingerImageRecord {
        images: vec![FingerImage {
            capture_datetime: Some(CaptureDateTime {
                year: 2024,
                month: 5,
                day: 6,
                hour: 7,
                minute: 8,
                second: 9,
                millisecond: 123,
            }),
            capture_device: CaptureDevice {
                technology: 1,
                vendor: 0x1234,
                device_type: 0x5678,
            },
            quality: vec![QualityBlock {
                score: 80,
                algorithm_vendor: 1,
                algorithm: 2,
            }],
            certifications: vec![],
            position: FingerPosition::RIGHT_INDEX,
            representation_number: 0,
            scale_units: ScaleUnits::PixelsPerInch,
            scan_horizontal: 500,
            scan_vertical: 500,
            image_horizontal: 500,
            image_vertical: 500,
            bit_depth: 8,
            compression: FingerCompression::Png,
            impression: ImpressionType::LIVE_SCAN_PLAIN,
            width: 3,
            height: 2,
            image: vec![1, 2, 3, 4, 5, 6].into(),
        }],
    }
}

const FIR_BYTES: &str = "
    46 49 52 00  30 32 30 00  00 00 00 44  00 01  00  01
    00 00 00 34
    07 E8 05 06 07 08 09 00 7B
    01 12 34 56 78
    01 50 00 01 00 02
    02 00 01 01 F4 01 F4 01 F4 01 F4 08 06 00 00 03 00 02 00 00 00 06
    01 02 03 04 05 06";

#[test]
fn fir_layout_matches_hand_computed_bytes() {
    let bytes = finger_image().to_bytes().unwrap();
    assert_eq!(bytes, hex(FIR_BYTES));
    assert_eq!(be32(&bytes, 8) as usize, bytes.len(), "record length field");
    assert_eq!(
        be32(&bytes, 16),
        41 + 5 + 6,
        "representation length: base 41 + one quality block + image"
    );
    assert_eq!(
        FingerImageRecord::from_bytes(&bytes).unwrap(),
        finger_image()
    );
}

#[test]
fn fir_errors_name_field_and_offset() {
    let good = hex(FIR_BYTES);

    let mut b = good.clone();
    b[2] = b'X';
    assert!(matches!(
        FingerImageRecord::from_bytes(&b),
        Err(DecodeError::BadFormatIdentifier { .. })
    ));

    let mut b = good.clone();
    b[5] = b'1';
    assert!(matches!(
        FingerImageRecord::from_bytes(&b),
        Err(DecodeError::BadVersion { .. })
    ));

    let b = &good[..good.len() - 1];
    assert_eq!(
        FingerImageRecord::from_bytes(b),
        Err(DecodeError::LengthMismatch {
            field: "record length",
            offset: 8,
            declared: 0x44,
            actual: 0x43
        })
    );

    // Position code 11 is not defined; it sits after 4 length + 9 date + 5 device + 6 quality.
    let mut b = good.clone();
    let at = 16 + 4 + 9 + 5 + 6;
    b[at] = 11;
    assert_eq!(
        FingerImageRecord::from_bytes(&b),
        Err(DecodeError::OutOfRange {
            field: "finger position",
            offset: at,
            value: 11
        })
    );

    // Image data length one short of the representation: a mismatch at its own offset.
    let mut b = good.clone();
    let at = 16 + 4 + 9 + 5 + 6 + 18;
    b[at + 3] = 5;
    assert_eq!(
        FingerImageRecord::from_bytes(&b),
        Err(DecodeError::LengthMismatch {
            field: "image data length",
            offset: at,
            declared: 5,
            actual: 6
        })
    );

    // A header cut short is truncated, not a panic.
    assert!(matches!(
        FingerImageRecord::from_bytes(&good[..10]),
        Err(DecodeError::Truncated {
            field: "record length",
            offset: 8,
            ..
        })
    ));
}

fn minutiae() -> FingerMinutiaeRecord {
    FingerMinutiaeRecord {
        fingers: vec![FingerMinutiae {
            capture_datetime: None,
            capture_device: CaptureDevice::default(),
            quality: vec![],
            certifications: vec![],
            position: FingerPosition::LEFT_INDEX,
            representation_number: 0,
            resolution_x: 197,
            resolution_y: 197,
            impression: ImpressionType::LIVE_SCAN_PLAIN,
            width: 400,
            height: 500,
            ridge_ending: RidgeEndingType::RidgeSkeletonEndpoint,
            minutiae: vec![
                Minutia {
                    kind: MinutiaType::Bifurcation,
                    x: 100,
                    y: 200,
                    angle: 0x40,
                    quality: Some(80),
                },
                Minutia {
                    kind: MinutiaType::RidgeEnding,
                    x: 16383,
                    y: 0,
                    angle: 0xFF,
                    quality: Some(254),
                },
            ]
            .into(),
            extended_data: vec![].into(),
        }],
    }
}

const FMR_BYTES: &str = "
    46 4D 52 00  30 33 30 00  00 00 00 3D  00 01  00
    00 00 00 2E
    FF FF FF FF FF FF FF FF FF
    00 00 00 00 00
    00
    07 00 00 C5 00 C5 00 01 90 01 F4 61 02
    80 64 00 C8 40 50
    7F FF 00 00 FF FE
    00 00";

#[test]
fn fmr_layout_matches_hand_computed_bytes() {
    let bytes = minutiae().to_bytes().unwrap();
    assert_eq!(bytes, hex(FMR_BYTES));
    assert_eq!(be32(&bytes, 8) as usize, bytes.len());
    assert_eq!(be32(&bytes, 15), 34 + 2 * 6);
    assert_eq!(
        FingerMinutiaeRecord::from_bytes(&bytes).unwrap(),
        minutiae()
    );

    // The 5-byte minutia field when no minutia has a quality.
    let mut r = minutiae();
    for m in r.fingers[0].minutiae.0.iter_mut() {
        m.quality = None;
    }
    let bytes = r.to_bytes().unwrap();
    assert_eq!(bytes.len(), 15 + 34 + 2 * 5);
    assert_eq!(bytes[15 + 4 + 9 + 5 + 1 + 11], 0x51);
    assert_eq!(FingerMinutiaeRecord::from_bytes(&bytes).unwrap(), r);

    // Type 3 is reserved: an error at the minutia's first byte.
    let mut b = hex(FMR_BYTES);
    let at = 15 + 4 + 9 + 5 + 1 + 13;
    b[at] |= 0xC0;
    assert_eq!(
        FingerMinutiaeRecord::from_bytes(&b),
        Err(DecodeError::OutOfRange {
            field: "minutia type",
            offset: at,
            value: 3
        })
    );
}

#[test]
fn fmr_rejects_mixed_quality_and_palms() {
    let mut r = minutiae();
    r.fingers[0].minutiae.0[1].quality = None;
    assert!(matches!(
        r.to_bytes(),
        Err(EncodeError::Invalid {
            field: "minutia quality",
            ..
        })
    ));
    let mut r = minutiae();
    r.fingers[0].position = FingerPosition::PLAIN_THUMBS;
    assert!(matches!(
        r.to_bytes(),
        Err(EncodeError::Invalid {
            field: "finger position",
            ..
        })
    ));
}

#[test]
fn compact_card_layout_and_conversion() {
    let t = CompactCardTemplate {
        minutiae: vec![
            CardMinutia {
                x: 100,
                y: 0,
                kind: MinutiaType::Bifurcation,
                angle: 16,
            },
            CardMinutia {
                x: 255,
                y: 7,
                kind: MinutiaType::Other,
                angle: 0,
            },
        ]
        .into(),
    };
    assert_eq!(t.to_bytes().unwrap(), hex("64 00 90  FF 07 00"));
    assert_eq!(
        CompactCardTemplate::from_bytes(&hex("64 00 90 FF 07 00")).unwrap(),
        t
    );
    assert!(matches!(
        CompactCardTemplate::from_bytes(&hex("64 00 90 FF")),
        Err(DecodeError::LengthMismatch { .. })
    ));
    assert_eq!(
        CompactCardTemplate::from_bytes(&hex("64 00 90 01 02 C0")),
        Err(DecodeError::OutOfRange {
            field: "card minutia type",
            offset: 5,
            value: 3
        })
    );

    // 197 px at 197 px/cm is 1 cm = 100 units of 0.1 mm; angle 64/256 of a turn is 16/64.
    let m = Minutia {
        kind: MinutiaType::Bifurcation,
        x: 197,
        y: 0,
        angle: 64,
        quality: None,
    };
    assert_eq!(
        CardMinutia::from_record(&m, 197, 197).unwrap(),
        t.minutiae[0]
    );
    // 255/256 of a turn rounds to a full turn, which wraps to 0.
    let m = Minutia { angle: 255, ..m };
    assert_eq!(CardMinutia::from_record(&m, 197, 197).unwrap().angle, 0);
    // 600 px at 197 px/cm is 30.5 mm: beyond the card's 25.5 mm.
    let m = Minutia { x: 600, ..m };
    assert!(matches!(
        CardMinutia::from_record(&m, 197, 197),
        Err(EncodeError::TooLarge {
            field: "card minutia x",
            ..
        })
    ));
}

fn iris() -> IrisImageRecord {
    IrisImageRecord {
        images: vec![IrisImage {
            capture_datetime: None,
            capture_device: CaptureDevice {
                technology: 1,
                vendor: 0,
                device_type: 0,
            },
            quality: vec![],
            representation_number: 1,
            eye: EyeLabel::Left,
            image_type: IrisImageType::CroppedMasked,
            image_format: IrisImageFormat::MonoPng,
            horizontal_orientation: Orientation::Base,
            vertical_orientation: Orientation::Flipped,
            compression_history: CompressionHistory::Lossy,
            width: 640,
            height: 480,
            bit_depth: 8,
            range: CameraRange::Centimetres(30),
            roll_angle: Some(0x4000),
            roll_angle_uncertainty: None,
            iris_centre: Some(IrisCentre {
                smallest_x: 318,
                largest_x: 322,
                smallest_y: 238,
                largest_y: 242,
            }),
            iris_diameter: None,
            image: vec![0xAA, 0xBB, 0xCC].into(),
        }],
    }
}

const IIR_BYTES: &str = "
    49 49 52 00  30 32 30 00  00 00 00 47  00 01  00  01
    00 00 00 37
    FF FF FF FF FF FF FF FF FF
    01 00 00 00 00
    00
    00 01 02 07 0E 89 02 80 01 E0 08 00 1E 40 00 FF FF
    01 3E 01 42 00 EE 00 F2 00 00 00 00
    00 00 00 03 AA BB CC";

#[test]
fn iris_layout_matches_hand_computed_bytes() {
    let bytes = iris().to_bytes().unwrap();
    assert_eq!(bytes, hex(IIR_BYTES));
    assert_eq!(be32(&bytes, 8) as usize, bytes.len());
    assert_eq!(be32(&bytes, 16), 52 + 3);
    assert_eq!(IrisImageRecord::from_bytes(&bytes).unwrap(), iris());

    // Reserved property bits set.
    let mut b = hex(IIR_BYTES);
    let at = 16 + 4 + 9 + 5 + 1 + 5;
    b[at] |= 0x10;
    assert!(matches!(
        IrisImageRecord::from_bytes(&b),
        Err(DecodeError::OutOfRange { offset, .. }) if offset == at
    ));
    // The number of eyes must agree with the labels.
    let mut b = hex(IIR_BYTES);
    b[15] = 2;
    assert!(matches!(
        IrisImageRecord::from_bytes(&b),
        Err(DecodeError::LengthMismatch {
            field: "number of eyes represented",
            offset: 15,
            ..
        })
    ));
}

fn face() -> FaceImageRecord {
    FaceImageRecord {
        temporal_semantics: 0,
        images: vec![FaceImage {
            capture_datetime: None,
            capture_device: CaptureDevice::default(),
            quality: vec![],
            gender: Gender::Female,
            eye_colour: 3,
            hair_colour: 4,
            subject_height: 0,
            property_mask: 3,
            expression: 1,
            pose_angle: [1, 2, 3],
            pose_angle_uncertainty: [4, 5, 6],
            landmarks: vec![LandmarkPoint {
                point_type: 1,
                code: 0x0C,
                x: 16,
                y: 32,
                z: 0,
            }]
            .into(),
            face_image_type: FaceImageType::FullFrontal,
            image_data_type: FaceImageDataType::Png,
            width: 480,
            height: 640,
            spatial_sampling_rate_level: 0,
            post_acquisition_processing: 0,
            cross_reference: 0,
            colour_space: 1,
            image: vec![0x89, 0x50].into(),
        }],
    }
}

const FAC_BYTES: &str = "
    46 41 43 00  30 33 30 00  00 00 00 4A  00 01  00  00 00
    00 00 00 39
    FF FF FF FF FF FF FF FF FF
    00 00 00 00 00
    00
    00 01 02 03 04 00 00 00 03 00 01 01 02 03 04 05 06
    01 0C 00 10 00 20 00 00
    01 03 01 E0 02 80 00 00 00 00 01
    89 50";

#[test]
fn face_layout_matches_hand_computed_bytes() {
    let bytes = face().to_bytes().unwrap();
    assert_eq!(bytes, hex(FAC_BYTES));
    assert_eq!(be32(&bytes, 8) as usize, bytes.len());
    assert_eq!(be32(&bytes, 17), 47 + 8 + 2);
    assert_eq!(FaceImageRecord::from_bytes(&bytes).unwrap(), face());

    // A landmark count larger than the representation holds is truncation inside it.
    let mut b = hex(FAC_BYTES);
    b[17 + 4 + 9 + 5 + 1 + 1] = 9;
    assert!(matches!(
        FaceImageRecord::from_bytes(&b),
        Err(DecodeError::Truncated { .. })
    ));
}

fn face2005() -> FaceImageRecord2005 {
    FaceImageRecord2005 {
        images: vec![FaceImage2005 {
            gender: Gender::Male,
            eye_colour: 0,
            hair_colour: 0,
            feature_mask: 0,
            expression: 1,
            pose_angle: [0; 3],
            pose_angle_uncertainty: [0; 3],
            landmarks: vec![].into(),
            face_image_type: FaceImageType::FullFrontal,
            image_data_type: FaceImageDataType2005::Jpeg,
            width: 413,
            height: 531,
            colour_space: 1,
            source_type: 2,
            device_type: 0,
            quality: 0,
            image: vec![0xFF, 0xD8].into(),
        }],
    }
}

const FAC2005_BYTES: &str = "
    46 41 43 00  30 31 30 00  00 00 00 30  00 01
    00 00 00 22
    00 00 01 00 00 00 00 00 00 01 00 00 00 00 00 00
    01 00 01 9D 02 13 01 02 00 00 00 00
    FF D8";

#[test]
fn face2005_layout_matches_hand_computed_bytes() {
    let bytes = face2005().to_bytes().unwrap();
    assert_eq!(bytes, hex(FAC2005_BYTES));
    assert_eq!(be32(&bytes, 8) as usize, bytes.len());
    assert_eq!(be32(&bytes, 14), 32 + 2);
    assert_eq!(FaceImageRecord2005::from_bytes(&bytes).unwrap(), face2005());
    // The 2011 reader refuses the 2005 edition by its version.
    assert!(matches!(
        FaceImageRecord::from_bytes(&bytes),
        Err(DecodeError::BadVersion { .. })
    ));
}

fn signature() -> SignatureRecord {
    let pen = [
        PenSample {
            x: 100,
            y: 200,
            pressure: 0,
            t_ms: 0,
            pen_down: false,
        },
        PenSample {
            x: 101,
            y: 202,
            pressure: 512,
            t_ms: 5,
            pen_down: true,
        },
    ];
    let mut s = Signature::from_pen_samples(&pen, None, CaptureDevice::default()).unwrap();
    s.x = ChannelDescription {
        minimum: Some(0),
        maximum: Some(0x7FFF),
        ..ChannelDescription::default()
    };
    s.time = Some(ChannelDescription {
        scaling: Some(1000),
        ..ChannelDescription::default()
    });
    SignatureRecord {
        signatures: vec![s],
    }
}

const SDI_BYTES: &str = "
    53 44 49 00  30 32 30 00  00 00 00 47  00 01  00
    00 00 00 38
    FF FF FF FF FF FF FF FF FF
    00 00 00 00 00
    00
    C1 60
    60 00 00 7F FF
    00
    80 03 E8
    00
    00
    00 00 00 02
    00 64 00 C8 00 00 00 00 00 00
    00 65 00 CA 00 05 02 00 00 01";

#[test]
fn sdi_layout_matches_hand_computed_bytes() {
    let bytes = signature().to_bytes().unwrap();
    assert_eq!(bytes, hex(SDI_BYTES));
    assert_eq!(be32(&bytes, 8) as usize, bytes.len());
    let back = SignatureRecord::from_bytes(&bytes).unwrap();
    assert_eq!(back, signature());
    assert_eq!(back.signatures[0].to_pen_samples()[1].t_ms, 5);

    // Tip switch values other than 0 and 1 are out of range.
    let mut b = hex(SDI_BYTES);
    let last = b.len() - 1;
    b[last] = 2;
    assert_eq!(
        SignatureRecord::from_bytes(&b),
        Err(DecodeError::OutOfRange {
            field: "sample s",
            offset: last - 1,
            value: 2
        })
    );
    // Time beyond the 16-bit channel cannot be written.
    let too_late = PenSample {
        x: 0,
        y: 0,
        pressure: 0,
        t_ms: 70_000,
        pen_down: true,
    };
    assert!(matches!(
        Signature::from_pen_samples(&[too_late], None, CaptureDevice::default()),
        Err(EncodeError::TooLarge {
            field: "sample time",
            ..
        })
    ));
}

#[test]
fn debug_output_never_shows_biometric_bytes() {
    let mut r = finger_image();
    r.images[0].image = vec![0xDE, 0xAD, 0xBE, 0xEF, 0x42].into();
    let text = format!("{r:?}");
    assert!(text.contains("<5 redacted>"), "{text}");
    assert!(!text.contains("222") && !text.contains("173"), "{text}");
    let text = format!("{:?}", minutiae());
    assert!(
        text.contains("<2 redacted>") && !text.contains("16383"),
        "{text}"
    );
}
