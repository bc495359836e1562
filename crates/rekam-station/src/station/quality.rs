//! The station's own quality checks: every sample is scored here with `rekam-biometrics`,
//! whatever the device claims, so a threshold means the same on every station and the
//! operator sees the measures behind a failed attempt.
//!
//! Runs on the device's actor thread (inside a lease call), off the async runtime. A device's
//! own quality figure is ignored for decisions: devices differ in how (and whether) they
//! score, and a simulated device's figure is made up.

use rekam_biometrics::face::{self, FaceAssessment, FaceThresholds};
use rekam_biometrics::fingerprint::quality::{self as fq, FingerQuality};
use rekam_biometrics::iris::{self, IrisQuality, IrisThresholds};
use rekam_biometrics::signature::{self as sig, PadGeometry};
use rekam_hal::{Eye, Finger, Guidance, GuidanceCode, PenSample, RawImage};
use serde::Deserialize;

use crate::enrolment::QualityMeasure;

/// The thresholds of the station's own checks (`[checks]` in `rekamd.toml`); the pass marks
/// of the scores themselves are the workflow's `thresholds`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BiometricChecks {
    /// The face checks (ISO/IEC 19794-5 geometry, ISO/IEC 29794-5 photometry).
    pub face: FaceThresholds,
    /// The iris checks (ISO/IEC 29794-6).
    pub iris: IrisThresholds,
}

/// A snake_case name from a measure's `Debug` name (`InterEyeDistance` -> `inter_eye_distance`).
fn snake(debug: &str) -> String {
    let mut out = String::new();
    for (i, c) in debug.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// A sample's score, the measures behind it and what to tell the person.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Assessment {
    /// 0..100.
    pub score: u8,
    /// The measures behind the score.
    pub measures: Vec<QualityMeasure>,
    /// Actionable guidance (about this item only).
    pub guidance: Vec<Guidance>,
}

/// Scores one fingertip (a flat finger or a segment cut from a slap).
///
/// An image the checks cannot read at all (too small, wrong format) scores 0 with
/// `RemoveAndRetry`: the device gave something that is not a usable print.
pub(crate) fn finger(image: &RawImage, finger: Finger) -> Assessment {
    match fq::assess(image) {
        Ok(q) => finger_assessment(&q, finger),
        Err(e) => {
            tracing::warn!(finger = %finger, error = %e, "a finger sample could not be assessed");
            Assessment {
                score: 0,
                measures: Vec::new(),
                guidance: vec![Guidance::finger(
                    rekam_hal::GuidanceCode::RemoveAndRetry,
                    finger,
                )],
            }
        }
    }
}

fn finger_assessment(q: &FingerQuality, finger: Finger) -> Assessment {
    let m = &q.measures;
    let measures = vec![
        QualityMeasure::info("finger.orientation_certainty", f64::from(m.ocl)),
        QualityMeasure::info("finger.local_clarity", f64::from(m.lcs)),
        QualityMeasure::info("finger.ridge_valley_uniformity", f64::from(m.rvu)),
        QualityMeasure::info("finger.frequency_domain", f64::from(m.fda)),
        QualityMeasure::info("finger.ridge_contrast", f64::from(m.ridge_contrast)),
        QualityMeasure::info("finger.sharpness", f64::from(m.sharpness)),
        QualityMeasure::info("finger.ridge_period_px", f64::from(m.ridge_period)),
        QualityMeasure::new(
            "finger.foreground_px",
            f64::from(m.foreground_px),
            Some(f64::from(fq::MIN_FOREGROUND_PX)),
            None,
        ),
        QualityMeasure::new(
            "finger.minutiae",
            f64::from(m.minutiae),
            Some(f64::from(fq::MIN_MINUTIAE)),
            None,
        ),
        QualityMeasure::new(
            "finger.grey_range",
            f64::from(m.grey_range),
            Some(f64::from(fq::MIN_GREY_RANGE)),
            None,
        ),
        QualityMeasure::new(
            "finger.grey_std",
            f64::from(m.global_std),
            Some(f64::from(fq::MIN_GLOBAL_STD)),
            None,
        ),
    ];
    Assessment {
        score: q.score,
        measures,
        guidance: q
            .guidance()
            .into_iter()
            .map(|code| Guidance::finger(code, finger))
            .collect(),
    }
}

/// Scores a face still (JPEG or PNG) with the face checks.
pub(crate) fn face(bytes: &[u8], thresholds: &FaceThresholds) -> Assessment {
    match face::assess_encoded(bytes, thresholds) {
        Ok(a) => face_assessment(&a),
        Err(e) => {
            tracing::warn!(error = %e, "a face sample could not be assessed");
            Assessment {
                score: 0,
                measures: Vec::new(),
                guidance: vec![Guidance::new(GuidanceCode::FaceNotFound)],
            }
        }
    }
}

fn face_assessment(a: &FaceAssessment) -> Assessment {
    let measures = a
        .checks
        .iter()
        .map(|c| {
            let mut m = QualityMeasure::new(
                format!("face.{}", snake(&format!("{:?}", c.measure))),
                f64::from(c.value),
                c.min.map(f64::from),
                c.max.map(f64::from),
            );
            // The check's own verdict decides (a NaN value fails, whatever the bounds).
            m.passes = c.pass;
            m
        })
        .collect();
    Assessment {
        score: a.score,
        measures,
        guidance: a.guidance.iter().map(|&code| Guidance::new(code)).collect(),
    }
}

/// Scores one eye's near-infrared image with the ISO/IEC 29794-6 checks.
pub(crate) fn iris(image: &RawImage, eye: Eye, thresholds: &IrisThresholds) -> Assessment {
    match iris::assess(image, thresholds) {
        Ok(q) => iris_assessment(&q, eye, thresholds),
        Err(e) => {
            tracing::warn!(eye = ?eye, error = %e, "an iris sample could not be assessed");
            Assessment {
                score: 0,
                measures: Vec::new(),
                guidance: vec![Guidance::eye(GuidanceCode::IrisOccluded, eye)],
            }
        }
    }
}

fn iris_assessment(q: &IrisQuality, eye: Eye, t: &IrisThresholds) -> Assessment {
    let m = &q.measures;
    let f = |v: f32| f64::from(v);
    let within =
        |v: f32, lo: f32, hi: f32, name| QualityMeasure::new(name, f(v), Some(f(lo)), Some(f(hi)));
    let at_least = |v: f32, lo: f32, name| QualityMeasure::new(name, f(v), Some(f(lo)), None);
    let at_most = |v: f32, hi: f32, name| QualityMeasure::new(name, f(v), None, Some(f(hi)));
    let measures = vec![
        within(
            m.iris_diameter_px,
            t.min_iris_diameter_px,
            t.max_iris_diameter_px,
            "iris.iris_diameter_px",
        ),
        within(
            m.pupil_iris_ratio,
            t.min_pupil_iris_ratio,
            t.max_pupil_iris_ratio,
            "iris.pupil_iris_ratio",
        ),
        at_least(
            m.usable_iris_area,
            t.min_usable_iris_area,
            "iris.usable_iris_area",
        ),
        at_least(
            m.iris_sclera_contrast,
            t.min_iris_sclera_contrast,
            "iris.iris_sclera_contrast",
        ),
        at_least(
            m.iris_pupil_contrast,
            t.min_iris_pupil_contrast,
            "iris.iris_pupil_contrast",
        ),
        at_least(m.concentricity, t.min_concentricity, "iris.concentricity"),
        at_least(
            m.margin_adequacy,
            t.min_margin_adequacy,
            "iris.margin_adequacy",
        ),
        at_least(m.sharpness, t.min_sharpness, "iris.sharpness"),
        at_least(
            m.grey_scale_bits,
            t.min_grey_scale_bits,
            "iris.grey_scale_bits",
        ),
        at_most(m.gaze_deg, t.max_gaze_deg, "iris.gaze_deg"),
        at_most(m.noise_grey, t.max_noise_grey, "iris.noise_grey"),
        QualityMeasure::info("iris.pupil_circularity", f64::from(m.pupil_circularity)),
        QualityMeasure::info("iris.pupil_diameter_px", f64::from(m.pupil_diameter_px)),
    ];
    Assessment {
        score: q.score,
        measures,
        guidance: q
            .guidance()
            .into_iter()
            .map(|code| Guidance::eye(code, eye))
            .collect(),
    }
}

/// The signature's completeness score: how much of a signature the pen wrote, 0..100.
///
/// `100 × (0.4·min(1, duration / 1 s) + 0.3·min(1, strokes / 2) + 0.3·min(1, ink width /
/// (a quarter of the pad)))`: a dot, a dash or a flick scores low, a written name full. A
/// signature the checks refuse (no ink, time going back, values off the pad) scores 0.
pub(crate) fn signature(samples: &[PenSample], pad: &PadGeometry) -> Assessment {
    match sig::check(samples, pad) {
        Ok(s) => {
            let duration = f64::from(s.duration_ms);
            let strokes = s.strokes as f64;
            let ink = f64::from(s.ink_box.width);
            let quarter = (f64::from(pad.width) / 4.0).max(1.0);
            let score = 100.0
                * (0.4 * (duration / 1000.0).min(1.0)
                    + 0.3 * (strokes / 2.0).min(1.0)
                    + 0.3 * (ink / quarter).min(1.0));
            Assessment {
                score: score.round().clamp(0.0, 100.0) as u8,
                measures: vec![
                    QualityMeasure::info("signature.duration_ms", duration),
                    QualityMeasure::info("signature.strokes", strokes),
                    QualityMeasure::info("signature.ink_width", ink),
                    QualityMeasure::info("signature.ink_height", f64::from(s.ink_box.height)),
                    QualityMeasure::info("signature.samples", s.samples as f64),
                ],
                guidance: Vec::new(),
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "a signature was refused by its checks");
            Assessment {
                score: 0,
                measures: Vec::new(),
                guidance: vec![Guidance::new(GuidanceCode::RemoveAndRetry)],
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rekam_hal::GuidanceCode;

    fn ridges(contrast: f32) -> RawImage {
        let (w, h) = (320u32, 400u32);
        let mut data = Vec::with_capacity((w * h) as usize);
        for y in 0..h {
            for x in 0..w {
                let (dx, dy) = (x as f32 - 160.0, y as f32 - 200.0);
                let inside = (dx / 130.0).powi(2) + (dy / 170.0).powi(2) < 1.0;
                let v = if inside {
                    let r = (dx * dx + dy * dy).sqrt();
                    128.0 + contrast * (r * std::f32::consts::TAU / 9.0).cos()
                } else {
                    240.0
                };
                data.push(v.clamp(0.0, 255.0) as u8);
            }
        }
        RawImage::gray(w, h, Some(500), data).unwrap()
    }

    #[test]
    fn a_clear_print_scores_and_reports_its_measures() {
        let a = finger(&ridges(100.0), Finger::RightIndex);
        assert!(a.score > 0);
        assert!(a
            .measures
            .iter()
            .any(|m| m.name == "finger.minutiae" && m.min == Some(5.0)));
        assert!(a.measures.iter().all(|m| m.name.starts_with("finger.")));
    }

    #[test]
    fn an_empty_platen_scores_low_and_says_what_to_do() {
        let blank = RawImage::gray(320, 400, Some(500), vec![240; 320 * 400]).unwrap();
        let a = finger(&blank, Finger::LeftThumb);
        assert!(a.score < 10, "{}", a.score);
        assert!(!a.guidance.is_empty());
        assert!(a
            .guidance
            .iter()
            .all(|g| g.finger == Some(Finger::LeftThumb)));
        assert!(a.measures.iter().any(|m| !m.passes));
    }

    #[test]
    fn measure_names_are_snake_case() {
        assert_eq!(snake("InterEyeDistance"), "inter_eye_distance");
        assert_eq!(snake("Roll"), "roll");
    }

    #[test]
    fn a_signature_scores_by_how_much_was_written() {
        let pad = PadGeometry {
            width: 2000,
            height: 800,
            pressure_levels: 1024,
        };
        let stroke = |t0: u32, x0: u16, n: u16| {
            (0..n).map(move |i| PenSample {
                x: x0 + i * 4,
                y: 400 + (i % 7) * 10,
                pressure: 500,
                pen_down: true,
                t_ms: t0 + u32::from(i) * 5,
            })
        };
        let lift = PenSample {
            x: 700,
            y: 400,
            pressure: 0,
            pen_down: false,
            t_ms: 800,
        };
        let long: Vec<PenSample> = stroke(0, 100, 150)
            .chain(std::iter::once(lift))
            .chain(stroke(900, 800, 150))
            .collect();
        let short: Vec<PenSample> = stroke(0, 100, 25).collect();
        let full = signature(&long, &pad);
        let dash = signature(&short, &pad);
        assert!(full.score >= 90, "{}", full.score);
        assert!(dash.score < full.score && dash.score < 40, "{}", dash.score);
        assert!(full
            .measures
            .iter()
            .any(|m| m.name == "signature.strokes" && m.value == 2.0));
        let none = signature(&[], &pad);
        assert_eq!(none.score, 0);
        assert!(!none.guidance.is_empty());
    }

    #[test]
    fn face_and_iris_guidance_reaches_the_operator_unchanged() {
        use rekam_hal::{SimIdentity, SimSubject};
        use rekam_sim::synth::{self, face::FaceParams, iris::IrisParams};
        // An open mouth in the camera's JPEG: the face checks' own code, not a catch-all.
        let mut p = FaceParams::new(synth::face_identity(SimSubject(3)), 3 * 31 + 7);
        p.mouth_open = 1.0;
        let rgb = synth::face::render_params(&p);
        let jpeg = synth::encode::jpeg(&rgb, p.width, p.height, 3, 88).unwrap();
        let a = face(&jpeg, &FaceThresholds::default());
        assert!(
            a.guidance.contains(&Guidance::new(GuidanceCode::MouthOpen)),
            "{:?}",
            a.guidance
        );
        // An eye looking away, and a constricted pupil: their codes, naming the eye.
        let grey = |p: &IrisParams| {
            let px = synth::iris::render_params(p);
            RawImage::gray(synth::iris::WIDTH, synth::iris::HEIGHT, None, px).unwrap()
        };
        let mut p = IrisParams::natural(SimIdentity(5), 5);
        p.gaze_deg = (20.0, 0.0);
        let a = iris(&grey(&p), Eye::Left, &IrisThresholds::default());
        assert!(
            a.guidance
                .contains(&Guidance::eye(GuidanceCode::LookAtCamera, Eye::Left)),
            "{:?}",
            a.guidance
        );
        let mut p = IrisParams::natural(SimIdentity(5), 5);
        p.pupil_ratio = 0.12;
        let a = iris(&grey(&p), Eye::Right, &IrisThresholds::default());
        assert!(
            a.guidance
                .contains(&Guidance::eye(GuidanceCode::PupilSize, Eye::Right)),
            "{:?}",
            a.guidance
        );
    }

    #[test]
    fn an_unreadable_sample_scores_zero() {
        let tiny = RawImage::gray(8, 8, Some(500), vec![0; 64]).unwrap();
        let a = finger(&tiny, Finger::RightThumb);
        assert_eq!(a.score, 0);
        assert_eq!(
            a.guidance,
            vec![Guidance::finger(
                GuidanceCode::RemoveAndRetry,
                Finger::RightThumb
            )]
        );
    }
}
