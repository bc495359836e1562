//! Quality scores fall as simulated prints are degraded, blank images score low with the right
//! feedback, and the NIST sample prints score above degraded copies of themselves.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use proptest::prelude::*;
use rekam_biometrics::fingerprint::quality::{assess, score, Feedback, Measures};
use rekam_biometrics::ImageError;
use rekam_hal::{Finger, GuidanceCode, PixelFormat, RawImage};

/// Four strengths of each degradation, mild to severe (shared with the oracle test).
pub const LADDERS: [[Degradation; 4]; 4] = [
    [
        Degradation::Blur(1.0),
        Degradation::Blur(2.0),
        Degradation::Blur(3.0),
        Degradation::Blur(4.5),
    ],
    [
        Degradation::Noise(15.0),
        Degradation::Noise(30.0),
        Degradation::Noise(50.0),
        Degradation::Noise(80.0),
    ],
    [
        Degradation::Contrast(0.7),
        Degradation::Contrast(0.45),
        Degradation::Contrast(0.25),
        Degradation::Contrast(0.12),
    ],
    [
        Degradation::Partial(0.2),
        Degradation::Partial(0.4),
        Degradation::Partial(0.6),
        Degradation::Partial(0.8),
    ],
];

#[test]
fn scores_fall_monotonically_with_every_degradation() {
    for subject in [3u64, 17, 42, 77] {
        let f = Finger::ALL[(subject % 10) as usize];
        let base = flat(subject, f, subject * 31 + 5);
        let clean = assess(&base).unwrap();
        assert!(
            clean.score >= 60,
            "subject {subject}: a clean simulated print scores {} ({:?})",
            clean.score,
            clean.measures
        );
        assert!(clean.feedback.is_empty(), "{:?}", clean.feedback);
        for ladder in LADDERS {
            let mut scores = vec![clean.score];
            for d in ladder {
                scores.push(assess(&d.apply(&base, subject)).unwrap().score);
            }
            for w in scores.windows(2) {
                assert!(
                    w[1] <= w[0],
                    "subject {subject}, {ladder:?}: scores {scores:?} rise"
                );
            }
            let last = *scores.last().unwrap();
            assert!(
                last + 10 <= clean.score,
                "subject {subject}, {ladder:?}: the strongest degradation costs too little: {scores:?}"
            );
        }
    }
}

#[test]
fn a_blank_platen_scores_low_with_feedback() {
    for grey in [242u8, 255, 0, 128] {
        let blank = RawImage {
            width: 500,
            height: 600,
            format: PixelFormat::Gray8,
            ppi: Some(500),
            data: vec![grey; 500 * 600],
        };
        let q = assess(&blank).unwrap();
        assert!(q.score <= 5, "grey {grey}: {}", q.score);
        assert!(
            q.feedback.contains(&Feedback::EmptyOrLowContrast),
            "{:?}",
            q.feedback
        );
        assert!(q.feedback.contains(&Feedback::UniformImage));
        assert!(q.feedback.contains(&Feedback::TooLittleForeground));
        assert!(q.feedback.contains(&Feedback::TooFewMinutiae));
        let g = q.guidance();
        assert!(g.contains(&GuidanceCode::FingerPressHarder));
        assert!(g.contains(&GuidanceCode::RemoveAndRetry));
        assert!(g.contains(&GuidanceCode::PoorQuality));
    }
}

#[test]
fn partial_contact_asks_to_press_harder() {
    let base = flat(5, Finger::RightIndex, 9);
    let q = assess(&partial(&base, 0.7)).unwrap();
    assert!(
        q.feedback.contains(&Feedback::TooLittleForeground),
        "{:?}",
        q
    );
    assert!(q.guidance().contains(&GuidanceCode::FingerPressHarder));
    assert!(!q.feedback.contains(&Feedback::UniformImage));
}

#[test]
fn faint_prints_get_empty_or_low_contrast() {
    let base = flat(6, Finger::LeftThumb, 2);
    let q = assess(&contrast(&base, 0.08)).unwrap();
    assert!(q.feedback.contains(&Feedback::EmptyOrLowContrast), "{q:?}");
    assert!(q.score < 10);
}

#[test]
fn nist_samples_score_plausibly_and_above_degraded_copies() {
    let samples = nist_samples();
    assert_eq!(samples.len(), 4);
    for (name, img) in samples {
        let q = assess(&img).unwrap();
        assert!(
            (25..=95).contains(&q.score),
            "{name}: {} ({:?})",
            q.score,
            q.measures
        );
        assert!(q.measures.minutiae >= 10, "{name}: {:?}", q.measures);
        for d in [
            Degradation::Blur(3.0),
            Degradation::Noise(60.0),
            Degradation::Contrast(0.15),
            Degradation::Partial(0.6),
        ] {
            let worse = assess(&d.apply(&img, 1)).unwrap();
            assert!(
                worse.score < q.score,
                "{name}: {d:?} scores {} against {}",
                worse.score,
                q.score
            );
        }
    }
}

#[test]
fn bad_input_is_refused() {
    let mut img = flat(1, Finger::RightIndex, 1);
    img.ppi = Some(1000);
    assert_eq!(assess(&img).unwrap_err(), ImageError::Resolution(1000));
    img.ppi = None;
    assert!(
        assess(&img).is_ok(),
        "an unknown resolution is taken as 500 ppi"
    );
    img.format = PixelFormat::Rgb8;
    assert!(matches!(assess(&img), Err(ImageError::NotGray(_))));
    img.format = PixelFormat::Gray8;
    img.data.pop();
    assert!(matches!(assess(&img), Err(ImageError::BadBuffer { .. })));
    let small = RawImage {
        width: 32,
        height: 600,
        format: PixelFormat::Gray8,
        ppi: Some(500),
        data: vec![0; 32 * 600],
    };
    assert!(matches!(assess(&small), Err(ImageError::TooSmall { .. })));
}

fn arb_measures() -> impl Strategy<Value = Measures> {
    (
        (0f32..1.0, 0f32..1.0, 0f32..1.5, 0f32..1.0),
        (0f32..200.0, 0f32..2.0, 0u32..200_000, 1u32..400, 0u32..80),
    )
        .prop_map(
            |((ocl, lcs, rvu, fda), (rc, sharpness, fg, blocks, minutiae))| Measures {
                ocl,
                lcs,
                rvu,
                fda,
                ridge_contrast: rc,
                sharpness,
                foreground_px: fg,
                feature_blocks: blocks,
                minutiae,
                ..Measures::default()
            },
        )
}

proptest! {
    /// The score never rises when one measure gets worse.
    #[test]
    fn score_is_monotone_in_every_measure(m in arb_measures(), which in 0usize..8, by in 0f32..1.0) {
        let mut worse = m;
        match which {
            0 => worse.ocl *= 1.0 - by,
            1 => worse.lcs *= 1.0 - by,
            2 => worse.rvu += by,
            3 => worse.fda *= 1.0 - by,
            4 => worse.ridge_contrast *= 1.0 - by,
            5 => worse.sharpness *= 1.0 - by,
            6 => worse.minutiae = (worse.minutiae as f32 * (1.0 - by)) as u32,
            _ => worse.foreground_px = (worse.foreground_px as f32 * (1.0 - by)) as u32,
        }
        prop_assert!(score(&worse) <= score(&m));
        prop_assert!(score(&m) <= 100);
    }
}
