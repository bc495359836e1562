//! Face checks on simulated portraits (`rekam_sim::synth::face`): good portraits pass every
//! check; each check fails when its control is pushed, with the right guidance; measures and
//! the score move monotonically with the degradation; the token crop puts the eyes where
//! ISO/IEC 19794-5 says and fits the byte budget; bad input is a typed error.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rekam_biometrics::face::{
    assess, assess_encoded, decode, token::token_eyes, token_crop, token_image, EyeCentres,
    FaceAssessment, FaceError, FaceThresholds, Measure, TokenOptions,
};
use rekam_hal::{GuidanceCode, RawImage, SimSubject};
use rekam_sim::synth::face::{render_params, FaceParams, SecondFace};
use rekam_sim::synth::face_identity;

fn params(subject: u64) -> FaceParams {
    FaceParams::new(face_identity(SimSubject(subject)), subject * 31 + 7)
}

fn image(p: &FaceParams) -> RawImage {
    RawImage::rgb(p.width, p.height, render_params(p)).unwrap()
}

fn run(p: &FaceParams) -> FaceAssessment {
    assess(&image(p), &FaceThresholds::default()).unwrap()
}

fn value(a: &FaceAssessment, m: Measure) -> f32 {
    a.check(m)
        .unwrap_or_else(|| panic!("{m:?} not measured"))
        .value
}

fn dist(a: (f32, f32), b: (f32, f32)) -> f32 {
    ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt()
}

#[test]
fn good_portraits_pass_every_check_and_the_eyes_are_found() {
    for subject in 0..20 {
        let p = params(subject);
        let a = run(&p);
        assert!(
            a.passed(),
            "subject {subject}: failed {:?} ({:?})",
            a.failures(),
            a.checks
        );
        assert!(a.guidance.is_empty());
        assert!(a.score >= 60, "subject {subject}: score {}", a.score);
        assert_eq!(a.faces.len(), 1);
        let eyes = a.eyes.expect("eyes");
        assert!(eyes.located);
        let truth = p.eye_centres();
        for (found, want) in [(eyes.left, truth[0]), (eyes.right, truth[1])] {
            assert!(
                dist(found, want) < 3.0,
                "subject {subject}: eye at {found:?}, truth {want:?}"
            );
        }
    }
}

/// Pushes one control on a few subjects and expects `measure` to fail with `code`.
fn expect_failure(
    name: &str,
    change: impl Fn(&mut FaceParams),
    measure: Measure,
    code: GuidanceCode,
) {
    for subject in [3, 11, 17] {
        let mut p = params(subject);
        change(&mut p);
        let a = run(&p);
        assert!(
            a.failures().contains(&measure),
            "{name}, subject {subject}: {measure:?} passed ({:?})",
            a.checks
        );
        assert!(
            a.guidance.contains(&code),
            "{name}, subject {subject}: guidance {:?} lacks {code:?}",
            a.guidance
        );
        assert!(a.score < 63, "{name}: score {}", a.score);
    }
}

#[test]
fn a_second_face_fails_the_single_face_check() {
    expect_failure(
        "second face",
        |p| {
            p.second_face = Some(SecondFace {
                identity: face_identity(SimSubject(999)),
                centre: (545.0, 150.0),
                ied: 52.0,
            })
        },
        Measure::FaceCount,
        GuidanceCode::SeveralFaces,
    );
}

#[test]
fn closed_eyes_fail() {
    expect_failure(
        "eyes closed",
        |p| p.eye_openness = 0.0,
        Measure::EyesOpen,
        GuidanceCode::EyesClosed,
    );
}

#[test]
fn an_open_mouth_fails() {
    expect_failure(
        "mouth open",
        |p| p.mouth_open = 1.0,
        Measure::MouthOpen,
        GuidanceCode::MouthOpen,
    );
}

#[test]
fn off_centre_fails() {
    expect_failure(
        "off centre",
        |p| p.centre.0 = 200.0,
        Measure::CentreX,
        GuidanceCode::FaceNotCentred,
    );
    expect_failure(
        "too high",
        |p| p.centre.1 = 125.0,
        Measure::MarginTop,
        GuidanceCode::FaceNotCentred,
    );
}

#[test]
fn too_far_and_too_close_fail() {
    expect_failure(
        "too far",
        |p| p.ied = 62.0,
        Measure::InterEyeDistance,
        GuidanceCode::TooFar,
    );
    expect_failure(
        "too close",
        |p| p.ied = 130.0,
        Measure::MarginTop,
        GuidanceCode::TooClose,
    );
}

#[test]
fn tilted_head_fails() {
    expect_failure(
        "roll",
        |p| p.roll_deg = 15.0,
        Measure::Roll,
        GuidanceCode::HeadNotFrontal,
    );
}

#[test]
fn exposure_faults_fail() {
    expect_failure(
        "underexposed",
        |p| p.exposure = 0.35,
        Measure::UnderExposure,
        GuidanceCode::TooDark,
    );
    expect_failure(
        "dim",
        |p| p.exposure = 0.6,
        Measure::LuminanceMean,
        GuidanceCode::TooDark,
    );
    expect_failure(
        "overexposed",
        |p| p.exposure = 1.7,
        Measure::OverExposure,
        GuidanceCode::TooBright,
    );
}

#[test]
fn side_light_fails_illumination_uniformity() {
    expect_failure(
        "side shadow",
        |p| p.lighting.side_shadow = 0.5,
        Measure::IlluminationUniformity,
        GuidanceCode::UnevenLight,
    );
    expect_failure(
        "side light",
        |p| p.lighting.azimuth_deg = 75.0,
        Measure::IlluminationUniformity,
        GuidanceCode::UnevenLight,
    );
}

#[test]
fn blur_fails_sharpness() {
    expect_failure(
        "blur",
        |p| p.blur_sigma = 1.5,
        Measure::Sharpness,
        GuidanceCode::OutOfFocus,
    );
}

#[test]
fn a_busy_background_fails() {
    expect_failure(
        "busy background",
        |p| p.background_clutter = 0.6,
        Measure::BackgroundUniformity,
        GuidanceCode::PoorQuality,
    );
}

#[test]
fn grey_or_tinted_pictures_fail_natural_colour() {
    expect_failure(
        "grey",
        |p| p.saturation = 0.0,
        Measure::NaturalColour,
        GuidanceCode::PoorQuality,
    );
    expect_failure(
        "blue cast",
        |p| p.tint = [0.75, 0.9, 1.35],
        Measure::NaturalColour,
        GuidanceCode::PoorQuality,
    );
    // A grey camera image cannot show natural colour either.
    let p = params(5);
    let rgb = render_params(&p);
    let grey: Vec<u8> = rgb
        .chunks_exact(3)
        .map(|c| {
            ((u32::from(c[0]) * 299 + u32::from(c[1]) * 587 + u32::from(c[2]) * 114) / 1000) as u8
        })
        .collect();
    let a = assess(
        &RawImage::gray(p.width, p.height, None, grey).unwrap(),
        &FaceThresholds::default(),
    )
    .unwrap();
    assert_eq!(a.faces.len(), 1);
    assert!(a.failures().contains(&Measure::NaturalColour));
}

#[test]
fn no_face_is_found_in_an_empty_scene() {
    let data: Vec<u8> = (0..640 * 480)
        .flat_map(|i| {
            let g = 180 + ((i % 640) / 64) as u8;
            [g, g, g + 10]
        })
        .collect();
    let a = assess(
        &RawImage::rgb(640, 480, data).unwrap(),
        &FaceThresholds::default(),
    )
    .unwrap();
    assert!(a.faces.is_empty());
    assert_eq!(a.score, 0);
    assert_eq!(a.failures(), vec![Measure::FaceCount]);
    assert_eq!(a.guidance, vec![GuidanceCode::FaceNotFound]);
    assert!(a.eyes.is_none());
}

/// Asserts `values` strictly decrease (`dir` = -1) or increase (`dir` = 1).
fn strictly(values: &[f32], dir: f32, what: &str) {
    for w in values.windows(2) {
        assert!((w[1] - w[0]) * dir > 0.0, "{what} not monotone: {values:?}");
    }
}

fn non_increasing(scores: &[u8], what: &str) {
    for w in scores.windows(2) {
        assert!(w[1] <= w[0], "{what}: score rose: {scores:?}");
    }
    assert!(
        scores.last() < scores.first(),
        "{what}: score did not fall: {scores:?}"
    );
}

/// Runs `steps` of one degradation on a subject: (measure values, scores).
fn sweep(
    subject: u64,
    steps: &[f32],
    set: impl Fn(&mut FaceParams, f32),
    m: Measure,
) -> (Vec<f32>, Vec<u8>) {
    let mut values = Vec::new();
    let mut scores = Vec::new();
    for &s in steps {
        let mut p = params(subject);
        set(&mut p, s);
        let a = run(&p);
        values.push(value(&a, m));
        scores.push(a.score);
    }
    (values, scores)
}

#[test]
fn measures_and_score_fall_monotonically_with_degradation() {
    for subject in [2, 9] {
        let (v, s) = sweep(
            subject,
            &[0.0, 0.7, 1.5, 3.0],
            |p, x| p.blur_sigma = x,
            Measure::Sharpness,
        );
        strictly(&v, -1.0, "sharpness under blur");
        non_increasing(&s, "blur");

        let (v, s) = sweep(
            subject,
            &[1.0, 0.6, 0.3, 0.0],
            |p, x| p.eye_openness = x,
            Measure::EyesOpen,
        );
        strictly(&v, -1.0, "eye openness");
        non_increasing(&s, "closing eyes");

        let (v, s) = sweep(
            subject,
            &[0.0, 0.1, 0.15, 0.2],
            |p, x| p.lighting.side_shadow = x,
            Measure::IlluminationUniformity,
        );
        strictly(&v, -1.0, "illumination uniformity under a side shadow");
        non_increasing(&s, "side shadow");

        let (v, s) = sweep(
            subject,
            &[0.0, 0.2, 0.5, 1.0],
            |p, x| p.background_clutter = x,
            Measure::BackgroundUniformity,
        );
        strictly(&v, 1.0, "background gradient with clutter");
        non_increasing(&s, "clutter");

        let (v, s) = sweep(
            subject,
            &[1.0, 0.75, 0.5, 0.3],
            |p, x| p.exposure = x,
            Measure::LuminanceMean,
        );
        strictly(&v, -1.0, "luminance under lower exposure");
        non_increasing(&s, "underexposure");

        let (v, s) = sweep(
            subject,
            &[96.0, 85.0, 72.0, 60.0],
            |p, x| p.ied = x,
            Measure::InterEyeDistance,
        );
        strictly(&v, -1.0, "inter-eye distance");
        non_increasing(&s, "moving away");

        let (v, s) = sweep(
            subject,
            &[320.0, 280.0, 240.0, 200.0],
            |p, x| p.centre.0 = x,
            Measure::CentreX,
        );
        strictly(&v, -1.0, "horizontal position");
        non_increasing(&s, "moving off centre");
    }
}

/// The pupil near `want` in an RGB image: the darkest 3x3 mean within 8 pixels.
fn pupil_near(img: &RawImage, want: (f32, f32)) -> (f32, f32) {
    let w = img.width as i64;
    let luma = |x: i64, y: i64| -> u32 {
        let i = ((y * w + x) * 3) as usize;
        u32::from(img.data[i]) + u32::from(img.data[i + 1]) + u32::from(img.data[i + 2])
    };
    let (cx, cy) = (want.0 as i64, want.1 as i64);
    let mut best = (u32::MAX, (0, 0));
    for y in cy - 8..=cy + 8 {
        for x in cx - 8..=cx + 8 {
            let s: u32 = (-1..=1)
                .flat_map(|dy| (-1..=1).map(move |dx| (dx, dy)))
                .map(|(dx, dy)| luma(x + dx, y + dy))
                .sum();
            if s < best.0 {
                best = (s, (x, y));
            }
        }
    }
    (best.1 .0 as f32 + 0.5, best.1 .1 as f32 + 0.5)
}

#[test]
fn token_crop_puts_the_eyes_where_the_geometry_says() {
    let t = FaceThresholds::default();
    let want = token_eyes(240).map(|(x, y)| (x + 0.5, y + 0.5));
    for subject in [1, 4, 8, 13] {
        let mut p = params(subject);
        p.roll_deg = 5.0;
        let img = image(&p);
        // From the eyes the checks found, and from the renderer's true eye centres.
        let found = assess(&img, &t).unwrap().eyes.unwrap();
        let truth = p.eye_centres();
        let truth = EyeCentres {
            left: truth[0],
            right: truth[1],
            located: true,
        };
        for (what, eyes, tolerance) in [("found", found, 3.0), ("true", truth, 1.5)] {
            let crop = token_crop(&img, &eyes, 240).unwrap();
            assert_eq!((crop.width, crop.height), (240, 320));
            for w in want {
                let pupil = pupil_near(&crop, w);
                assert!(
                    dist(pupil, w) < tolerance,
                    "subject {subject}, {what} eyes: pupil at {pupil:?}, token geometry {w:?}"
                );
            }
        }
    }
}

#[test]
fn token_image_fits_the_byte_budget() {
    let p = params(6);
    let img = image(&p);
    let eyes = assess(&img, &FaceThresholds::default())
        .unwrap()
        .eyes
        .unwrap();
    let opts = TokenOptions::default();
    let token = token_image(&img, &eyes, &opts).unwrap();
    assert!(token.jpeg.len() <= 4000, "{} bytes", token.jpeg.len());
    assert_eq!((token.width, token.height), (240, 320));
    assert!(token.quality >= opts.min_quality);
    let decoded = decode(&token.jpeg).unwrap();
    assert_eq!((decoded.width, decoded.height), (240, 320));
    // One more quality step would not fit (the search found the best).
    if token.quality < 95 {
        let larger = token_image(
            &img,
            &eyes,
            &TokenOptions {
                min_quality: token.quality + 1,
                min_width: 240,
                ..opts
            },
        );
        assert!(
            matches!(larger, Err(FaceError::Budget { .. })),
            "{larger:?}"
        );
    }
    // A generous budget keeps a higher quality; a tight one shrinks the image.
    let big = token_image(
        &img,
        &eyes,
        &TokenOptions {
            budget: 20_000,
            ..opts
        },
    )
    .unwrap();
    assert!(big.quality > token.quality && big.jpeg.len() <= 20_000);
    let tight = token_image(
        &img,
        &eyes,
        &TokenOptions {
            budget: 2000,
            min_quality: 20,
            ..opts
        },
    )
    .unwrap();
    assert!(tight.jpeg.len() <= 2000);
    assert!(tight.width < 240 && tight.width >= opts.min_width);
    assert_eq!(tight.height, (tight.width as f32 / 0.75).round() as u32);
    // An impossible budget is a typed error.
    assert_eq!(
        token_image(
            &img,
            &eyes,
            &TokenOptions {
                budget: 200,
                ..opts
            }
        ),
        Err(FaceError::Budget { budget: 200 })
    );
}

#[test]
fn bad_input_is_a_typed_error() {
    let t = FaceThresholds::default();
    let raw = |w, h, data: Vec<u8>| RawImage {
        width: w,
        height: h,
        format: rekam_hal::PixelFormat::Rgb8,
        ppi: None,
        data,
    };
    assert_eq!(assess(&raw(0, 0, vec![]), &t), Err(FaceError::Empty));
    assert_eq!(
        assess(&raw(1, 1, vec![1, 2, 3]), &t),
        Err(FaceError::Size {
            width: 1,
            height: 1
        })
    );
    assert!(matches!(
        assess(&raw(640, 480, vec![0; 100]), &t),
        Err(FaceError::BadBuffer { len: 100, .. })
    ));
    assert!(matches!(
        assess(&raw(u32::MAX, u32::MAX, vec![0; 3]), &t),
        Err(FaceError::BadBuffer { .. })
    ));
    assert_eq!(assess_encoded(&[], &t), Err(FaceError::Empty));
    assert_eq!(
        assess_encoded(b"not an image at all", &t),
        Err(FaceError::Decode)
    );
    // Uniform and tiny-but-accepted images: no face, no panic.
    for (w, h, v) in [(64u32, 64u32, 0u8), (64, 64, 255), (100, 70, 128)] {
        let a = assess(&raw(w, h, vec![v; (w * h * 3) as usize]), &t).unwrap();
        assert!(a.faces.is_empty());
    }
    // The token crop refuses bad eyes, sizes and options.
    let img = raw(64, 64, vec![100; 64 * 64 * 3]);
    let same = EyeCentres {
        left: (30.0, 30.0),
        right: (30.0, 30.0),
        located: true,
    };
    assert!(matches!(
        token_crop(&img, &same, 240),
        Err(FaceError::BadOption(_))
    ));
    let nan = EyeCentres {
        left: (f32::NAN, 1.0),
        right: (30.0, 30.0),
        located: true,
    };
    assert!(matches!(
        token_crop(&img, &nan, 240),
        Err(FaceError::BadOption(_))
    ));
    let ok = EyeCentres {
        left: (20.0, 30.0),
        right: (40.0, 30.0),
        located: true,
    };
    assert!(matches!(
        token_crop(&img, &ok, 0),
        Err(FaceError::BadOption(_))
    ));
    assert!(matches!(
        token_crop(&raw(64, 64, vec![0; 5]), &ok, 240),
        Err(FaceError::BadBuffer { .. })
    ));
    assert!(matches!(
        token_image(
            &img,
            &ok,
            &TokenOptions {
                min_quality: 0,
                ..TokenOptions::default()
            }
        ),
        Err(FaceError::BadOption(_))
    ));
    // Eyes far outside the image still give a (padded) crop, not a panic.
    let far = EyeCentres {
        left: (-5000.0, 9000.0),
        right: (-4000.0, 9100.0),
        located: true,
    };
    assert_eq!(token_crop(&img, &far, 240).unwrap().width, 240);
}

#[test]
fn thresholds_come_from_config_with_defaults() {
    let t: FaceThresholds =
        toml::from_str("min_inter_eye_px = 120.0\ncentre_x = [0.4, 0.6]\nmax_roll_deg = 5.0\n")
            .unwrap();
    assert_eq!(t.min_inter_eye_px, 120.0);
    assert_eq!(t.centre_x, (0.4, 0.6));
    assert_eq!(t.max_roll_deg, 5.0);
    assert_eq!(
        t.max_over_exposed,
        FaceThresholds::default().max_over_exposed
    );
    assert!(toml::from_str::<FaceThresholds>("no_such_key = 1").is_err());
    // A stricter threshold turns a pass into a failure with its guidance.
    let a = assess(&image(&params(2)), &t).unwrap();
    assert!(a.failures().contains(&Measure::InterEyeDistance));
    assert!(a.guidance.contains(&GuidanceCode::TooFar));
}
