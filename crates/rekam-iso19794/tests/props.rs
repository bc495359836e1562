//! Property tests: any valid struct round-trips through bytes, and no parser panics on any
//! input (random bytes, and valid records with bytes flipped, cut or extended). Finger, face
//! and iris records carrying a real lossless JPEG 2000 image (the enrolment format) round-trip
//! too, and the image inside decodes to the same pixels.
#![allow(clippy::unwrap_used)]

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
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
use rekam_iso19794::sdi::{ChannelDescription, Signature, SignatureRecord, SignatureSample};
use rekam_iso19794::{
    CaptureDateTime, CaptureDevice, CertificationBlock, FingerPosition, ImpressionType,
    QualityBlock,
};

fn datetime() -> impl Strategy<Value = Option<CaptureDateTime>> {
    option::of(
        (
            0u16..0xFFFF,
            1u8..=12,
            1u8..=31,
            0u8..=23,
            0u8..=59,
            0u8..=59,
            0u16..=999,
        )
            .prop_map(|(year, month, day, hour, minute, second, millisecond)| {
                CaptureDateTime {
                    year,
                    month,
                    day,
                    hour,
                    minute,
                    second,
                    millisecond,
                }
            }),
    )
}

fn device(max_technology: u8) -> impl Strategy<Value = CaptureDevice> {
    (0..=max_technology, any::<u16>(), any::<u16>()).prop_map(
        |(technology, vendor, device_type)| CaptureDevice {
            technology,
            vendor,
            device_type,
        },
    )
}

fn quality() -> impl Strategy<Value = Vec<QualityBlock>> {
    vec(
        (
            prop_oneof![0u8..=100, Just(255u8)],
            any::<u16>(),
            any::<u16>(),
        )
            .prop_map(|(score, algorithm_vendor, algorithm)| QualityBlock {
                score,
                algorithm_vendor,
                algorithm,
            }),
        0..3,
    )
}

fn certifications() -> impl Strategy<Value = Vec<CertificationBlock>> {
    vec(
        (any::<u16>(), any::<u8>())
            .prop_map(|(authority, scheme)| CertificationBlock { authority, scheme }),
        0..2,
    )
}

fn image_bytes() -> impl Strategy<Value = Vec<u8>> {
    vec(any::<u8>(), 0..64)
}

fn position() -> impl Strategy<Value = FingerPosition> {
    any::<u8>().prop_filter_map("defined position", FingerPosition::new)
}

fn impression() -> impl Strategy<Value = ImpressionType> {
    any::<u8>().prop_filter_map("defined impression", ImpressionType::new)
}

fn compression() -> impl Strategy<Value = FingerCompression> {
    (0u8..=6).prop_map(|c| FingerCompression::from_code(c).unwrap())
}

prop_compose! {
    fn finger_image()(
        capture_datetime in datetime(),
        capture_device in device(20),
        quality in quality(),
        certifications in certifications(),
        position in position(),
        representation_number in any::<u8>(),
        ppcm in any::<bool>(),
        rates in any::<[u16; 4]>(),
        bit_depth in 1u8..=16,
        compression in compression(),
        impression in impression(),
        width in any::<u16>(),
        height in any::<u16>(),
        image in image_bytes(),
    ) -> FingerImage {
        FingerImage {
            capture_datetime,
            capture_device,
            quality,
            certifications,
            position,
            representation_number,
            scale_units: if ppcm { ScaleUnits::PixelsPerCentimetre } else { ScaleUnits::PixelsPerInch },
            scan_horizontal: rates[0],
            scan_vertical: rates[1],
            image_horizontal: rates[2],
            image_vertical: rates[3],
            bit_depth,
            compression,
            impression,
            width,
            height,
            image: image.into(),
        }
    }
}

fn finger_image_record() -> impl Strategy<Value = FingerImageRecord> {
    vec(finger_image(), 1..4).prop_map(|mut images| {
        // The certification flag is per record: every representation carries the list or none.
        if images.iter().all(|i| i.certifications.is_empty()) {
            return FingerImageRecord { images };
        }
        for i in &mut images {
            if i.certifications.is_empty() {
                i.certifications.push(CertificationBlock {
                    authority: 1,
                    scheme: 1,
                });
            }
        }
        FingerImageRecord { images }
    })
}

fn minutia_type() -> impl Strategy<Value = MinutiaType> {
    (0u8..=2).prop_map(|c| MinutiaType::from_code(c).unwrap())
}

prop_compose! {
    fn finger_minutiae()(
        capture_datetime in datetime(),
        capture_device in device(20),
        quality in quality(),
        certifications in certifications(),
        position in (0u8..=10).prop_map(|c| FingerPosition::new(c).unwrap()),
        representation_number in 0u8..=15,
        resolution_x in any::<u16>(),
        resolution_y in any::<u16>(),
        impression in impression().prop_filter("not a palm", |i| !i.is_palm()),
        width in 1u16..=0x3FFF,
        height in 1u16..=0x3FFF,
        ridge_ending in any::<bool>(),
        with_quality in any::<bool>(),
        raw in vec((minutia_type(), 0u16..=0x3FFF, 0u16..=0x3FFF, any::<u8>(), prop_oneof![0u8..=100, Just(254u8), Just(255u8)]), 0..40),
        extended_data in vec(any::<u8>(), 0..16),
    ) -> FingerMinutiae {
        FingerMinutiae {
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
            ridge_ending: if ridge_ending { RidgeEndingType::RidgeSkeletonEndpoint } else { RidgeEndingType::ValleySkeletonBifurcation },
            minutiae: raw.into_iter().map(|(kind, x, y, angle, q)| Minutia { kind, x, y, angle, quality: with_quality.then_some(q) }).collect::<Vec<_>>().into(),
            extended_data: extended_data.into(),
        }
    }
}

fn finger_minutiae_record() -> impl Strategy<Value = FingerMinutiaeRecord> {
    vec(finger_minutiae(), 1..3).prop_map(|mut fingers| {
        if fingers.iter().any(|f| !f.certifications.is_empty()) {
            for f in &mut fingers {
                if f.certifications.is_empty() {
                    f.certifications.push(CertificationBlock {
                        authority: 2,
                        scheme: 0,
                    });
                }
            }
        }
        FingerMinutiaeRecord { fingers }
    })
}

fn card_template() -> impl Strategy<Value = CompactCardTemplate> {
    vec(
        (any::<u8>(), any::<u8>(), minutia_type(), 0u8..=63)
            .prop_map(|(x, y, kind, angle)| CardMinutia { x, y, kind, angle }),
        0..60,
    )
    .prop_map(|m| CompactCardTemplate { minutiae: m.into() })
}

fn nonzero_or_none<T: std::fmt::Debug + Clone + PartialEq + 'static>(
    s: impl Strategy<Value = T>,
    zero: T,
) -> impl Strategy<Value = Option<T>> {
    option::of(s.prop_filter("not all zero", move |v| *v != zero))
}

prop_compose! {
    fn iris_image()(
        capture_datetime in datetime(),
        capture_device in device(1),
        quality in quality(),
        representation_number in any::<u16>(),
        eye in prop_oneof![Just(EyeLabel::Undefined), Just(EyeLabel::Right), Just(EyeLabel::Left)],
        image_type in prop_oneof![Just(IrisImageType::Uncropped), Just(IrisImageType::Vga), Just(IrisImageType::Cropped), Just(IrisImageType::CroppedMasked)],
        image_format in prop_oneof![Just(IrisImageFormat::MonoRaw), Just(IrisImageFormat::Jpeg2000), Just(IrisImageFormat::MonoPng)],
        orientation in any::<[u8; 2]>(),
        history in 0u8..3,
        width in any::<u16>(),
        height in any::<u16>(),
        bit_depth in 1u8..=16,
        range in prop_oneof![Just(CameraRange::Unassigned), Just(CameraRange::Failed), Just(CameraRange::Overflow), (3u16..).prop_map(CameraRange::Centimetres)],
        roll_angle in option::of(0u16..0xFFFF),
        roll_angle_uncertainty in option::of(0u16..0xFFFF),
        iris_centre in nonzero_or_none(any::<[u16; 4]>().prop_map(|c| IrisCentre { smallest_x: c[0], largest_x: c[1], smallest_y: c[2], largest_y: c[3] }), IrisCentre { smallest_x: 0, largest_x: 0, smallest_y: 0, largest_y: 0 }),
        iris_diameter in nonzero_or_none(any::<[u16; 2]>().prop_map(|d| IrisDiameter { smallest: d[0], largest: d[1] }), IrisDiameter { smallest: 0, largest: 0 }),
        image in image_bytes(),
    ) -> IrisImage {
        let orient = |v: u8| match v % 3 { 0 => Orientation::Undefined, 1 => Orientation::Base, _ => Orientation::Flipped };
        IrisImage {
            capture_datetime,
            capture_device,
            quality,
            representation_number,
            eye,
            image_type,
            image_format,
            horizontal_orientation: orient(orientation[0]),
            vertical_orientation: orient(orientation[1]),
            compression_history: [CompressionHistory::Undefined, CompressionHistory::LosslessOrNone, CompressionHistory::Lossy][usize::from(history)],
            width,
            height,
            bit_depth,
            range,
            roll_angle,
            roll_angle_uncertainty,
            iris_centre,
            iris_diameter,
            image: image.into(),
        }
    }
}

fn colour() -> impl Strategy<Value = u8> {
    prop_oneof![0u8..=7, Just(255u8)]
}

fn gender() -> impl Strategy<Value = Gender> {
    prop_oneof![
        Just(Gender::Unspecified),
        Just(Gender::Male),
        Just(Gender::Female),
        Just(Gender::Unknown)
    ]
}

fn face_image_type() -> impl Strategy<Value = FaceImageType> {
    prop_oneof![
        Just(FaceImageType::Basic),
        Just(FaceImageType::FullFrontal),
        Just(FaceImageType::TokenFrontal)
    ]
}

fn landmarks() -> impl Strategy<Value = Vec<LandmarkPoint>> {
    vec(
        any::<(u8, u8, u16, u16, u16)>().prop_map(|(point_type, code, x, y, z)| LandmarkPoint {
            point_type,
            code,
            x,
            y,
            z,
        }),
        0..5,
    )
}

prop_compose! {
    fn face_image()(
        capture_datetime in datetime(),
        capture_device in device(6),
        quality in quality(),
        gender in gender(),
        eye_colour in colour(),
        hair_colour in colour(),
        subject_height in any::<u8>(),
        property_mask in 0u32..=0xFF_FFFF,
        expression in any::<u16>(),
        pose_angle in any::<[u8; 3]>(),
        pose_angle_uncertainty in any::<[u8; 3]>(),
        landmarks in landmarks(),
        face_image_type in face_image_type(),
        image_data_type in prop_oneof![Just(FaceImageDataType::Jpeg), Just(FaceImageDataType::Jpeg2000Lossy), Just(FaceImageDataType::Jpeg2000Lossless), Just(FaceImageDataType::Png)],
        size in any::<(u16, u16)>(),
        spatial_sampling_rate_level in any::<u8>(),
        post_acquisition_processing in any::<u16>(),
        cross_reference in any::<u8>(),
        colour_space in 0u8..=4,
        image in image_bytes(),
    ) -> FaceImage {
        FaceImage {
            capture_datetime, capture_device, quality, gender, eye_colour, hair_colour, subject_height,
            property_mask, expression, pose_angle, pose_angle_uncertainty, landmarks: landmarks.into(),
            face_image_type, image_data_type, width: size.0, height: size.1, spatial_sampling_rate_level,
            post_acquisition_processing, cross_reference, colour_space, image: image.into(),
        }
    }
}

prop_compose! {
    fn face_image_2005()(
        gender in gender(),
        eye_colour in colour(),
        hair_colour in colour(),
        feature_mask in 0u32..=0xFF_FFFF,
        expression in any::<u16>(),
        pose_angle in any::<[u8; 3]>(),
        pose_angle_uncertainty in any::<[u8; 3]>(),
        landmarks in landmarks(),
        face_image_type in face_image_type(),
        jpeg2000 in any::<bool>(),
        size in any::<(u16, u16)>(),
        colour_space in 0u8..=4,
        source_type in 0u8..=7,
        device_type in any::<u16>(),
        quality in any::<u16>(),
        image in image_bytes(),
    ) -> FaceImage2005 {
        FaceImage2005 {
            gender, eye_colour, hair_colour, feature_mask, expression, pose_angle, pose_angle_uncertainty,
            landmarks: landmarks.into(), face_image_type,
            image_data_type: if jpeg2000 { FaceImageDataType2005::Jpeg2000 } else { FaceImageDataType2005::Jpeg },
            width: size.0, height: size.1, colour_space, source_type, device_type, quality, image: image.into(),
        }
    }
}

fn channel() -> impl Strategy<Value = ChannelDescription> {
    (any::<[Option<u16>; 5]>(), any::<bool>()).prop_map(|(a, linear_component_removed)| {
        ChannelDescription {
            scaling: a[0],
            minimum: a[1],
            maximum: a[2],
            mean: a[3],
            std_dev: a[4],
            linear_component_removed,
        }
    })
}

prop_compose! {
    fn signature()(
        capture_datetime in datetime(),
        capture_device in device(255),
        quality in quality(),
        x in channel(),
        y in channel(),
        time in option::of(channel()),
        pressure in option::of(channel()),
        tip_switch in option::of(channel()),
        raw in vec(any::<(u16, u16, u16, u16, bool)>(), 0..30),
    ) -> Signature {
        let samples: Vec<SignatureSample> = raw
            .into_iter()
            .map(|(x, y, t, f, s)| SignatureSample {
                x,
                y,
                t: time.map(|_| t),
                pressure: pressure.map(|_| f),
                tip_down: tip_switch.map(|_| s),
            })
            .collect();
        Signature { capture_datetime, capture_device, quality, x, y, time, pressure, tip_switch, samples: samples.into() }
    }
}

/// Runs every parser over `bytes`; none may panic (errors are fine).
fn parse_all(bytes: &[u8]) {
    let _ = FingerImageRecord::from_bytes(bytes);
    let _ = FingerMinutiaeRecord::from_bytes(bytes);
    let _ = CompactCardTemplate::from_bytes(bytes);
    let _ = IrisImageRecord::from_bytes(bytes);
    let _ = FaceImageRecord::from_bytes(bytes);
    let _ = FaceImageRecord2005::from_bytes(bytes);
    let _ = SignatureRecord::from_bytes(bytes);
}

/// Any valid record of any type, as bytes.
fn valid_record_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        finger_image_record().prop_map(|r| r.to_bytes().unwrap()),
        finger_minutiae_record().prop_map(|r| r.to_bytes().unwrap()),
        card_template().prop_map(|r| r.to_bytes().unwrap()),
        vec(iris_image(), 1..3).prop_map(|images| IrisImageRecord { images }.to_bytes().unwrap()),
        (any::<u16>(), vec(face_image(), 1..3)).prop_map(|(temporal_semantics, images)| {
            FaceImageRecord {
                temporal_semantics,
                images,
            }
            .to_bytes()
            .unwrap()
        }),
        vec(face_image_2005(), 1..3)
            .prop_map(|images| FaceImageRecord2005 { images }.to_bytes().unwrap()),
        vec(signature(), 1..3)
            .prop_map(|signatures| SignatureRecord { signatures }.to_bytes().unwrap()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn fir_round_trips(record in finger_image_record()) {
        let bytes = record.to_bytes().unwrap();
        prop_assert_eq!(u32::from_be_bytes(bytes[8..12].try_into().unwrap()) as usize, bytes.len());
        prop_assert_eq!(FingerImageRecord::from_bytes(&bytes).unwrap(), record);
    }

    #[test]
    fn fmr_round_trips(record in finger_minutiae_record()) {
        let bytes = record.to_bytes().unwrap();
        prop_assert_eq!(u32::from_be_bytes(bytes[8..12].try_into().unwrap()) as usize, bytes.len());
        prop_assert_eq!(FingerMinutiaeRecord::from_bytes(&bytes).unwrap(), record);
    }

    #[test]
    fn card_round_trips(t in card_template()) {
        let bytes = t.to_bytes().unwrap();
        prop_assert_eq!(bytes.len(), 3 * t.minutiae.len());
        prop_assert_eq!(CompactCardTemplate::from_bytes(&bytes).unwrap(), t);
    }

    #[test]
    fn iris_round_trips(images in vec(iris_image(), 1..4)) {
        let record = IrisImageRecord { images };
        let bytes = record.to_bytes().unwrap();
        prop_assert_eq!(u32::from_be_bytes(bytes[8..12].try_into().unwrap()) as usize, bytes.len());
        prop_assert_eq!(IrisImageRecord::from_bytes(&bytes).unwrap(), record);
    }

    #[test]
    fn face_round_trips(temporal_semantics in any::<u16>(), images in vec(face_image(), 1..4)) {
        let record = FaceImageRecord { temporal_semantics, images };
        let bytes = record.to_bytes().unwrap();
        prop_assert_eq!(u32::from_be_bytes(bytes[8..12].try_into().unwrap()) as usize, bytes.len());
        prop_assert_eq!(FaceImageRecord::from_bytes(&bytes).unwrap(), record);
    }

    #[test]
    fn face2005_round_trips(images in vec(face_image_2005(), 1..4)) {
        let record = FaceImageRecord2005 { images };
        let bytes = record.to_bytes().unwrap();
        prop_assert_eq!(u32::from_be_bytes(bytes[8..12].try_into().unwrap()) as usize, bytes.len());
        prop_assert_eq!(FaceImageRecord2005::from_bytes(&bytes).unwrap(), record);
    }

    #[test]
    fn sdi_round_trips(signatures in vec(signature(), 1..4)) {
        let record = SignatureRecord { signatures };
        let bytes = record.to_bytes().unwrap();
        prop_assert_eq!(u32::from_be_bytes(bytes[8..12].try_into().unwrap()) as usize, bytes.len());
        prop_assert_eq!(SignatureRecord::from_bytes(&bytes).unwrap(), record);
    }

    #[test]
    fn no_parser_panics_on_random_bytes(bytes in vec(any::<u8>(), 0..256)) {
        parse_all(&bytes);
    }

    #[test]
    fn no_parser_panics_on_random_bytes_behind_a_valid_header(
        magic in prop_oneof![
            Just(*b"FIR\x00020\0"), Just(*b"FMR\x00030\0"), Just(*b"IIR\x00020\0"),
            Just(*b"FAC\x00030\0"), Just(*b"FAC\x00010\0"), Just(*b"SDI\x00020\0"),
        ],
        rest in vec(any::<u8>(), 0..256),
        fix_length in any::<bool>(),
    ) {
        let mut bytes = magic.to_vec();
        bytes.extend_from_slice(&rest);
        if fix_length && bytes.len() >= 12 {
            let len = bytes.len() as u32;
            bytes[8..12].copy_from_slice(&len.to_be_bytes());
        }
        parse_all(&bytes);
    }

    #[test]
    fn no_parser_panics_on_corrupted_records(
        bytes in valid_record_bytes(),
        flips in vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
        how in 0u8..3,
    ) {
        let mut b = bytes;
        for (at, v) in &flips {
            let i = at.index(b.len().max(1));
            if let Some(slot) = b.get_mut(i) {
                *slot = *v;
            }
        }
        match how {
            0 => b.truncate(cut.index(b.len().max(1))),
            1 => b.extend_from_slice(&[0xFF; 7]),
            _ => {}
        }
        parse_all(&b);
    }
}

/// An 8-bit image: width, height, channels and its pixels (random, so the coder cannot cheat).
fn pixels(
    max_side: u32,
    channels: &'static [u8],
) -> impl Strategy<Value = (u32, u32, u8, Vec<u8>)> {
    (1..=max_side, 1..=max_side, prop::sample::select(channels)).prop_flat_map(|(w, h, ch)| {
        let len = (w * h) as usize * usize::from(ch);
        (Just(w), Just(h), Just(ch), vec(any::<u8>(), len))
    })
}

/// Lossless JP2 of the pixels (OpenJPEG through rekam-jp2).
fn jp2(w: u32, h: u32, ch: u8, px: &[u8]) -> Vec<u8> {
    rekam_jp2::encode_lossless(px, w, h, ch).unwrap()
}

/// The pixels inside a record's image, decoded by hayro-jpeg2000 (independent of OpenJPEG).
fn decoded(image: &[u8]) -> (u32, u32, Vec<u8>) {
    use hayro_jpeg2000::{DecodeSettings, DecoderContext, Image};
    let settings = DecodeSettings {
        strict: true,
        ..DecodeSettings::default()
    };
    let img = Image::new(image, &settings).unwrap();
    let (w, h) = (img.width(), img.height());
    let mut ctx = DecoderContext::default();
    let data = img.decode(&mut ctx).unwrap().data_u8();
    (w, h, data)
}

proptest! {
    // Each case codes a JPEG 2000 image: fewer cases than the byte-level properties.
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn fir_with_lossless_jpeg_2000_round_trips(
        mut image in finger_image(),
        (w, h, ch, px) in pixels(48, &[1]),
    ) {
        image.compression = FingerCompression::Jpeg2000Lossless;
        image.bit_depth = 8;
        image.width = w as u16;
        image.height = h as u16;
        image.image = jp2(w, h, ch, &px).into();
        image.certifications.clear();
        let record = FingerImageRecord { images: vec![image] };
        let bytes = record.to_bytes().unwrap();
        let back = FingerImageRecord::from_bytes(&bytes).unwrap();
        prop_assert_eq!(&back, &record);
        let i = &back.images[0];
        prop_assert_eq!(i.compression.code(), 5);
        prop_assert_eq!(decoded(&i.image), (w, h, px));
    }

    #[test]
    fn face_with_lossless_jpeg_2000_round_trips(
        mut image in face_image(),
        (w, h, ch, px) in pixels(48, &[1, 3]),
    ) {
        image.image_data_type = FaceImageDataType::Jpeg2000Lossless;
        image.width = w as u16;
        image.height = h as u16;
        image.colour_space = if ch == 1 { 3 } else { 1 };
        image.image = jp2(w, h, ch, &px).into();
        let record = FaceImageRecord { temporal_semantics: 0, images: vec![image] };
        let bytes = record.to_bytes().unwrap();
        let back = FaceImageRecord::from_bytes(&bytes).unwrap();
        prop_assert_eq!(&back, &record);
        let i = &back.images[0];
        prop_assert_eq!(i.image_data_type, FaceImageDataType::Jpeg2000Lossless);
        prop_assert_eq!(decoded(&i.image), (w, h, px));
    }

    #[test]
    fn iris_with_lossless_jpeg_2000_round_trips(
        mut image in iris_image(),
        (w, h, ch, px) in pixels(48, &[1]),
    ) {
        image.image_format = IrisImageFormat::Jpeg2000;
        image.compression_history = CompressionHistory::LosslessOrNone;
        image.bit_depth = 8;
        image.width = w as u16;
        image.height = h as u16;
        image.image = jp2(w, h, ch, &px).into();
        let record = IrisImageRecord { images: vec![image] };
        let bytes = record.to_bytes().unwrap();
        let back = IrisImageRecord::from_bytes(&bytes).unwrap();
        prop_assert_eq!(&back, &record);
        let i = &back.images[0];
        prop_assert_eq!(i.image_format, IrisImageFormat::Jpeg2000);
        prop_assert_eq!(i.compression_history, CompressionHistory::LosslessOrNone);
        prop_assert_eq!(decoded(&i.image), (w, h, px));
    }
}
