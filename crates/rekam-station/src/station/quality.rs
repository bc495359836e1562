//! The station's own quality checks: every sample is scored here with `rekam-biometrics`,
//! whatever the device claims, so a threshold means the same on every station and the
//! operator sees the measures behind a failed attempt.
//!
//! Runs on the device's actor thread (inside a lease call), off the async runtime. A device's
//! own quality figure is ignored for decisions: devices differ in how (and whether) they
//! score, and a simulated device's figure is made up.

use rekam_biometrics::fingerprint::quality::{self as fq, FingerQuality};
use rekam_hal::{Finger, Guidance, RawImage};

use crate::enrolment::QualityMeasure;

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
