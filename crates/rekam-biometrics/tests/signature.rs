//! Signature checks, the ISO/IEC 19794-7 record round trip and the card image, on synthetic
//! signatures from rekam-sim (sigma-lognormal pen trajectories) and on hand-made edge cases.

use proptest::prelude::*;
use rekam_biometrics::signature::{
    card_image, check, record_bytes, samples_from_record, to_record, BitImage, CardImageSpec,
    PadGeometry, SignatureError, SignatureErrorKind, MIN_SAMPLES,
};
use rekam_hal::{PenSample, PixelFormat, RawImage};
use rekam_iso19794::{CaptureDateTime, CaptureDevice};
use rekam_sim::synth::signature as sim;

const PAD: PadGeometry = PadGeometry {
    width: sim::WIDTH,
    height: sim::HEIGHT,
    pressure_levels: sim::PRESSURE_LEVELS,
};

fn person(p: u64, impression: u64) -> Vec<PenSample> {
    sim::samples(
        rekam_sim::synth::signature_seed(rekam_hal::SimSubject(p)),
        impression,
    )
}

fn line(n: usize) -> Vec<PenSample> {
    (0..n)
        .map(|i| PenSample {
            x: 10 + i as u16,
            y: 50,
            pressure: 500,
            t_ms: i as u32 * 5,
            pen_down: true,
        })
        .collect()
}

fn ink(img: &RawImage, x: u32, y: u32) -> bool {
    img.data[(y * img.width + x) as usize] == 0
}

/// First and last ink column and row.
fn ink_extent(img: &RawImage) -> (u32, u32, u32, u32) {
    let mut e = (u32::MAX, u32::MAX, 0, 0);
    for y in 0..img.height {
        for x in 0..img.width {
            if ink(img, x, y) {
                e = (e.0.min(x), e.1.min(y), e.2.max(x), e.3.max(y));
            }
        }
    }
    e
}

#[test]
fn synthetic_signatures_pass_the_checks() {
    for p in 0..20 {
        let s = person(p, 3);
        let sum = check(&s, &PAD).unwrap();
        assert_eq!(sum.samples, s.len());
        assert!(sum.strokes >= 2, "person {p}: {} strokes", sum.strokes);
        assert!(sum.pen_down_samples < sum.samples);
        assert!(sum.duration_ms > 500);
        assert!(sum.ink_box.width > 50 && sum.ink_box.height > 10);
    }
}

#[test]
fn bad_samples_give_typed_errors() {
    assert_eq!(check(&[], &PAD), Err(SignatureError::Empty));
    let short = line(MIN_SAMPLES - 1);
    assert!(matches!(
        check(&short, &PAD),
        Err(SignatureError::TooFewSamples { count, min }) if count == MIN_SAMPLES - 1 && min == MIN_SAMPLES
    ));
    let mut up = line(30);
    up.iter_mut().for_each(|s| {
        s.pen_down = false;
        s.pressure = 0;
    });
    assert_eq!(check(&up, &PAD), Err(SignatureError::NoPenDown));
    assert_eq!(
        check(&up, &PAD).unwrap_err().kind(),
        SignatureErrorKind::NoSignature
    );

    let mut back = line(30);
    back[12].t_ms = 3;
    assert_eq!(
        check(&back, &PAD),
        Err(SignatureError::TimeGoesBack { index: 12 })
    );

    for (field, edit) in [
        (
            "x",
            Box::new(|s: &mut PenSample| s.x = sim::WIDTH) as Box<dyn Fn(&mut PenSample)>,
        ),
        ("y", Box::new(|s: &mut PenSample| s.y = 65535)),
        (
            "pressure",
            Box::new(|s: &mut PenSample| s.pressure = sim::PRESSURE_LEVELS),
        ),
    ] {
        let mut bad = line(30);
        edit(&mut bad[7]);
        let e = check(&bad, &PAD).unwrap_err();
        assert!(
            matches!(e, SignatureError::OutOfRange { index: 7, field: f, .. } if f == field),
            "{e}"
        );
        assert_eq!(e.kind(), SignatureErrorKind::BadData);
        assert!(
            !e.to_string().contains("65535"),
            "values stay out of messages"
        );
    }

    let mut long = line(30);
    long[29].t_ms = 70_000;
    assert!(matches!(
        check(&long, &PAD),
        Err(SignatureError::TooLong { .. })
    ));

    let no_pressure = PadGeometry {
        pressure_levels: 0,
        ..PAD
    };
    assert!(matches!(
        check(&line(30), &no_pressure),
        Err(SignatureError::OutOfRange {
            field: "pressure",
            ..
        })
    ));
    let huge = PadGeometry {
        width: 40_000,
        ..PAD
    };
    assert_eq!(
        check(&line(30), &huge).unwrap_err().kind(),
        SignatureErrorKind::InvalidParameter
    );
}

#[test]
fn the_19794_7_record_round_trips() {
    let s = person(4, 1);
    let when = CaptureDateTime {
        year: 2025,
        month: 3,
        day: 14,
        hour: 9,
        minute: 26,
        second: 53,
        millisecond: 589,
    };
    let device = CaptureDevice {
        technology: 0,
        vendor: 0x0103,
        device_type: 7,
    };
    let bytes = record_bytes(&s, &PAD, Some(when), device).unwrap();
    assert_eq!(&bytes[..8], b"SDI\x00020\x00");
    assert_eq!(
        u32::from_be_bytes(bytes[8..12].try_into().unwrap()) as usize,
        bytes.len()
    );
    assert_eq!(samples_from_record(&bytes).unwrap(), s);
    let record = to_record(&s, &PAD, Some(when), device).unwrap();
    let sig = &record.signatures[0];
    assert_eq!(sig.capture_datetime, Some(when));
    assert_eq!(sig.capture_device, device);
    assert_eq!(
        sig.pressure.and_then(|c| c.maximum),
        Some(sim::PRESSURE_LEVELS - 1)
    );

    // Time is stored from the first sample.
    let shifted: Vec<PenSample> = s
        .iter()
        .map(|p| PenSample {
            t_ms: p.t_ms + 1_000_000,
            ..*p
        })
        .collect();
    let back = samples_from_record(&record_bytes(&shifted, &PAD, None, device).unwrap()).unwrap();
    assert_eq!(back, s);

    // Refused samples give no record; damaged records are refused.
    assert!(record_bytes(&[], &PAD, None, device).is_err());
    let mut damaged = bytes.clone();
    damaged.truncate(bytes.len() - 3);
    assert_eq!(
        samples_from_record(&damaged).unwrap_err().kind(),
        SignatureErrorKind::Record
    );
}

#[test]
fn card_image_is_binary_tight_and_keeps_the_aspect() {
    for p in 0..12 {
        let s = person(p, 9);
        let spec = CardImageSpec::CHIP;
        let img = card_image(&s, &PAD, &spec).unwrap();
        assert!(img.is_consistent());
        assert_eq!(img.format, PixelFormat::Gray8);
        assert!(img.data.iter().all(|&v| v == 0 || v == 255), "binarised");
        assert!(img.width <= spec.max_width && img.height <= spec.max_height);
        // Tight: the ink reaches the margin on both sides of the limiting dimension, and comes
        // within a pixel of it elsewhere.
        let (x0, y0, x1, y1) = ink_extent(&img);
        let m = spec.margin;
        assert!(
            x0.abs_diff(m) <= 1 && y0.abs_diff(m) <= 1,
            "person {p}: ink at {x0},{y0}"
        );
        assert!(
            (img.width - 1 - x1).abs_diff(m) <= 1 && (img.height - 1 - y1).abs_diff(m) <= 1,
            "person {p}: ink ends at {x1},{y1} in {}x{}",
            img.width,
            img.height
        );
        assert!(
            img.width + 1 >= spec.max_width || img.height + 1 >= spec.max_height,
            "fills the box in one dimension"
        );
        // Aspect: the ink box keeps the pad ink box's proportions (pen width included, which
        // adds a little in both directions).
        let sum = check(&s, &PAD).unwrap();
        let pad_aspect = (sum.ink_box.width as f32 + 3.0) / (sum.ink_box.height as f32 + 3.0);
        let out_aspect = (x1 - x0 + 1) as f32 / (y1 - y0 + 1) as f32;
        assert!(
            (out_aspect / pad_aspect - 1.0).abs() < 0.12,
            "person {p}: aspect {out_aspect:.2} vs {pad_aspect:.2}"
        );
    }
}

#[test]
fn strokes_survive_where_the_samples_are() {
    let s = person(21, 2);
    let spec = CardImageSpec {
        fill_box: false,
        ..CardImageSpec::CHIP
    };
    let img = card_image(&s, &PAD, &spec).unwrap();
    let sum = check(&s, &PAD).unwrap();
    let (x0, y0, x1, y1) = ink_extent(&img);
    let sx = (x1 - x0) as f32 / sum.ink_box.width as f32;
    let sy = (y1 - y0) as f32 / sum.ink_box.height as f32;
    let mut missing = 0;
    for p in s.iter().filter(|p| p.pen_down) {
        // Map the sample through the same box-to-box transform and look for ink around it.
        let fx = x0 as f32 + (f32::from(p.x) - sum.ink_box.x as f32) * sx;
        let fy = y0 as f32 + (f32::from(p.y) - sum.ink_box.y as f32) * sy;
        let near = (-2i32..=2).any(|dy| {
            (-2i32..=2).any(|dx| {
                let (x, y) = (fx as i32 + dx, fy as i32 + dy);
                x >= 0
                    && y >= 0
                    && (x as u32) < img.width
                    && (y as u32) < img.height
                    && ink(&img, x as u32, y as u32)
            })
        });
        missing += usize::from(!near);
    }
    assert_eq!(missing, 0, "pen-down samples without ink nearby");
    // And no ink where the pen hovered far from any stroke: the image has less ink than box.
    let ink_px = img.data.iter().filter(|&&v| v == 0).count();
    assert!(
        ink_px * 4 < img.data.len(),
        "{ink_px} of {}",
        img.data.len()
    );
}

#[test]
fn a_single_thin_stroke_survives_heavy_downscaling() {
    // One long, light horizontal stroke scaled into a tiny box stays a connected line.
    let mut s = line(400);
    for (i, p) in s.iter_mut().enumerate() {
        p.x = i as u16;
        p.y = 100 + (i % 3) as u16;
        p.pressure = 1;
    }
    let spec = CardImageSpec {
        max_width: 60,
        max_height: 20,
        margin: 1,
        pen_width: (0.5, 1.0),
        fill_box: false,
    };
    let img = card_image(&s, &PAD, &spec).unwrap();
    let (x0, _, x1, _) = ink_extent(&img);
    for x in x0..=x1 {
        assert!(
            (0..img.height).any(|y| ink(&img, x, y)),
            "gap at column {x}"
        );
    }
}

#[test]
fn card_face_fills_its_box_centred() {
    let s = person(5, 5);
    let spec = CardImageSpec::CARD_FACE;
    let img = card_image(&s, &PAD, &spec).unwrap();
    assert_eq!((img.width, img.height), (spec.max_width, spec.max_height));
    let (x0, y0, x1, y1) = ink_extent(&img);
    let left = x0;
    let right = img.width - 1 - x1;
    let top = y0;
    let bottom = img.height - 1 - y1;
    assert!(
        left.abs_diff(right) <= 2 && top.abs_diff(bottom) <= 2,
        "{left} {right} {top} {bottom}"
    );
}

#[test]
fn bad_specs_are_refused() {
    let s = person(1, 1);
    for spec in [
        CardImageSpec {
            max_width: 0,
            ..CardImageSpec::CHIP
        },
        CardImageSpec {
            margin: 48,
            ..CardImageSpec::CHIP
        },
        CardImageSpec {
            pen_width: (2.0, 1.0),
            ..CardImageSpec::CHIP
        },
        CardImageSpec {
            pen_width: (f32::NAN, 1.0),
            ..CardImageSpec::CHIP
        },
    ] {
        assert_eq!(
            card_image(&s, &PAD, &spec).unwrap_err().kind(),
            SignatureErrorKind::InvalidParameter
        );
    }
}

#[test]
fn one_bit_packing_and_png_keep_every_pixel() {
    let s = person(8, 1);
    let img = card_image(&s, &PAD, &CardImageSpec::CHIP).unwrap();
    let bits = BitImage::pack(&img).unwrap();
    assert_eq!(bits.stride, (img.width as usize).div_ceil(8));
    for y in 0..img.height {
        for x in 0..img.width {
            assert_eq!(bits.is_ink(x, y), ink(&img, x, y));
        }
    }
    let png = bits.to_png().unwrap();
    assert!(png.len() < 2000, "{} bytes", png.len());
    let back = image::load_from_memory(&png).unwrap().to_luma8();
    assert_eq!((back.width(), back.height()), (img.width, img.height));
    assert_eq!(
        back.as_raw(),
        &img.data,
        "PNG decodes to the same 0/255 pixels"
    );
    assert!(!format!("{bits:?}").contains("255"));
}

fn arb_sample() -> impl Strategy<Value = PenSample> {
    (
        0u16..600,
        0u16..300,
        0u16..1200,
        0u32..80_000,
        any::<bool>(),
    )
        .prop_map(|(x, y, pressure, t_ms, pen_down)| PenSample {
            x,
            y,
            pressure,
            t_ms,
            pen_down,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn arbitrary_samples_never_panic(
        mut samples in proptest::collection::vec(arb_sample(), 0..120),
        sorted in any::<bool>(),
        w in 0u16..700,
        h in 0u16..400,
        levels in 0u16..1300,
        bw in 1u32..300,
        bh in 1u32..120,
        margin in 0u32..10,
    ) {
        if sorted {
            samples.sort_by_key(|s| s.t_ms);
        }
        let pad = PadGeometry { width: w, height: h, pressure_levels: levels };
        let checked = check(&samples, &pad);
        let spec = CardImageSpec { max_width: bw, max_height: bh, margin, pen_width: (1.0, 3.0), fill_box: bw % 2 == 0 };
        let image = card_image(&samples, &pad, &spec);
        let bytes = record_bytes(&samples, &pad, None, CaptureDevice::default());
        prop_assert_eq!(checked.is_ok(), bytes.is_ok());
        if let Ok(img) = image {
            prop_assert!(checked.is_ok());
            prop_assert!(img.is_consistent() && img.width <= bw && img.height <= bh);
            prop_assert!(img.data.iter().all(|&v| v == 0 || v == 255));
            prop_assert!(img.data.contains(&0), "checked signatures always leave ink");
        }
        if let Ok(bytes) = bytes {
            let first = samples.first().map_or(0, |s| s.t_ms);
            let back = samples_from_record(&bytes).unwrap();
            let expected: Vec<PenSample> = samples.iter().map(|s| PenSample { t_ms: s.t_ms - first, ..*s }).collect();
            prop_assert_eq!(back, expected);
        }
    }

    #[test]
    fn arbitrary_record_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = samples_from_record(&bytes);
        let mut framed = b"SDI\x00020\x00".to_vec();
        framed.extend_from_slice(&bytes);
        let _ = samples_from_record(&framed);
    }
}
