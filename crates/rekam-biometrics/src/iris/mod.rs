//! Iris image quality in the manner of ISO/IEC 29794-6:2015, without learned models.
//!
//! [`assess`] segments a near-infrared eye image ([`segment`](mod@segment): pupil and limbus
//! circles by a coarse-to-fine integro-differential search, eyelid parabolas, lashes and
//! specular spots) and computes the standard's measures ([`IrisMeasures`], see
//! [`measures`](mod@measures) for each formula): usable iris area, iris-sclera and iris-pupil
//! contrast, pupil/iris ratio, pupil boundary circularity, concentricity, margin adequacy,
//! sharpness, grey-scale utilisation, iris diameter, and, beyond the standard, an off-axis
//! gaze estimate and the sensor noise. Each is
//! checked against [`IrisThresholds`] (defaults from the standard where it gives one), and the
//! failures become [`IrisFeedback`], which maps to the station's [`GuidanceCode`]s.
//!
//! # The score
//!
//! Each measure is mapped to `[0, 1]` by a piecewise-linear ramp that is 0 at a clearly bad
//! value, **0.6 exactly at its threshold** and 1 at a clearly good value ([`normalised`]). The
//! score is `round(100 · min)` over the measures: a chain is as strong as its weakest link, and
//! with the 0.6 anchor a score of 60 or more (MOSIP's default iris threshold) means every
//! threshold is met, and a score under 60 means at least one is not. The score never rises
//! when one measure gets worse.
//!
//! Works on any 8-bit grey image from 160x120 up; it was tuned on 640x480 frames (the
//! ISO/IEC 19794-6 VGA iris image).

pub mod measures;
mod plane;
pub mod segment;
mod thresholds;

use rekam_hal::{GuidanceCode, PixelFormat, RawImage};

pub use measures::IrisMeasures;
pub use segment::{Circle, Lid, Segmentation};
pub use thresholds::IrisThresholds;

use plane::Plane;

/// The smallest width accepted.
pub const MIN_WIDTH: u32 = 160;
/// The smallest height accepted.
pub const MIN_HEIGHT: u32 = 120;

/// What kind of failure an [`IrisError`] is.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IrisErrorKind {
    /// The image itself is unusable input (format, size, buffer).
    InvalidImage,
    /// The image is valid but no eye could be found in it.
    NoEye,
}

/// Why an eye image cannot be assessed.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IrisError {
    /// Only 8-bit grey images are accepted (iris cameras deliver near-infrared grey).
    #[error("expected an 8-bit grey image, got {0:?}")]
    NotGray(PixelFormat),
    /// The image is smaller than the checks can work on.
    #[error("image {width}x{height} is smaller than {min_width}x{min_height}")]
    TooSmall {
        /// Width.
        width: u32,
        /// Height.
        height: u32,
        /// The smallest accepted width.
        min_width: u32,
        /// The smallest accepted height.
        min_height: u32,
    },
    /// The pixel buffer does not match the stated size.
    #[error("pixel buffer of {len} bytes does not fit {width}x{height}")]
    BadBuffer {
        /// Buffer length.
        len: usize,
        /// Width.
        width: u32,
        /// Height.
        height: u32,
    },
    /// No pupil boundary was found (no eye, eye closed, or a blank frame).
    #[error("no pupil found")]
    PupilNotFound,
    /// A pupil was found but no limbus around it.
    #[error("no iris boundary found")]
    IrisNotFound,
}

impl IrisError {
    /// The kind of failure.
    pub fn kind(&self) -> IrisErrorKind {
        match self {
            IrisError::NotGray(_) | IrisError::TooSmall { .. } | IrisError::BadBuffer { .. } => {
                IrisErrorKind::InvalidImage
            }
            IrisError::PupilNotFound | IrisError::IrisNotFound => IrisErrorKind::NoEye,
        }
    }

    /// What to tell the person at the camera, when there is something to tell.
    pub fn guidance(&self) -> Option<GuidanceCode> {
        match self.kind() {
            // Closed eyes or no eye in view: the nearest code the station has.
            IrisErrorKind::NoEye => Some(GuidanceCode::EyesClosed),
            IrisErrorKind::InvalidImage => None,
        }
    }
}

/// A failed check; [`IrisQuality::feedback`] lists them in this order.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IrisFeedback {
    /// The iris is smaller than [`IrisThresholds::min_iris_diameter_px`]: the eye is too far.
    IrisTooSmall,
    /// The iris is larger than [`IrisThresholds::max_iris_diameter_px`]: the eye is too close.
    IrisTooLarge,
    /// Eyelids, lashes or reflections leave too little usable iris.
    Occluded,
    /// The image is out of focus.
    OutOfFocus,
    /// The iris is too near the frame's edge.
    PoorMargin,
    /// The eye looks away from the camera.
    OffAxisGaze,
    /// The pupil is constricted below the ratio range (too much light).
    PupilConstricted,
    /// The pupil is dilated above the ratio range (too little light).
    PupilDilated,
    /// The pupil and iris centres are too far apart (often off-axis or a bad segmentation).
    NotConcentric,
    /// The limbus hardly stands out from the sclera.
    LowIrisScleraContrast,
    /// The pupil hardly stands out from the iris.
    LowIrisPupilContrast,
    /// The iris uses too few grey levels.
    LowGreyScale,
    /// The image is noisy (too little light, too much gain).
    Noisy,
}

impl IrisFeedback {
    /// What to tell the person at the camera.
    ///
    /// Off-axis gaze gives [`GuidanceCode::LookAtCamera`]; a pupil outside the ratio range
    /// (constricted or dilated) gives [`GuidanceCode::PupilSize`], light-level advice for the
    /// room. A poor margin, a non-concentric segmentation and contrast or grey-scale faults in
    /// a normally exposed image have no more specific code than [`GuidanceCode::PoorQuality`]:
    /// a non-concentric pupil usually comes with off-axis gaze, which raises its own code.
    pub fn guidance(self, mean_grey: f32) -> GuidanceCode {
        match self {
            IrisFeedback::IrisTooSmall => GuidanceCode::TooFar,
            IrisFeedback::IrisTooLarge => GuidanceCode::TooClose,
            IrisFeedback::Occluded => GuidanceCode::IrisOccluded,
            IrisFeedback::OutOfFocus => GuidanceCode::OutOfFocus,
            IrisFeedback::OffAxisGaze => GuidanceCode::LookAtCamera,
            IrisFeedback::PupilConstricted | IrisFeedback::PupilDilated => GuidanceCode::PupilSize,
            IrisFeedback::LowGreyScale
            | IrisFeedback::LowIrisPupilContrast
            | IrisFeedback::Noisy
                if mean_grey < 60.0 =>
            {
                GuidanceCode::TooDark
            }
            IrisFeedback::LowGreyScale | IrisFeedback::LowIrisScleraContrast
                if mean_grey > 200.0 =>
            {
                GuidanceCode::TooBright
            }
            _ => GuidanceCode::PoorQuality,
        }
    }
}

/// One measure's check.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Check {
    /// The measure's value.
    pub value: f32,
    /// Its normalised quality, 0-1 (0.6 at the threshold).
    pub normalised: f32,
    /// Whether it meets its threshold.
    pub passed: bool,
}

/// The assessment of one eye image.
#[derive(Debug, Clone, PartialEq)]
pub struct IrisQuality {
    /// 0-100; 60 or more exactly when every check passes.
    pub score: u8,
    /// The raw measures.
    pub measures: IrisMeasures,
    /// Where the pupil, iris and lids were found.
    pub segmentation: Segmentation,
    /// Failed checks, in a stable order, without repeats.
    pub feedback: Vec<IrisFeedback>,
}

impl IrisQuality {
    /// Whether every check passed.
    pub fn passed(&self) -> bool {
        self.feedback.is_empty()
    }

    /// Guidance codes for the failures, without repeats.
    pub fn guidance(&self) -> Vec<GuidanceCode> {
        let mut out = Vec::new();
        for f in &self.feedback {
            let g = f.guidance(self.measures.mean_grey);
            if !out.contains(&g) {
                out.push(g);
            }
        }
        out
    }
}

/// A ramp for a measure where larger is better: 0 at `bad`, 0.6 at `threshold`, 1 at `good`.
fn up(v: f32, bad: f32, threshold: f32, good: f32) -> f32 {
    if v <= bad {
        0.0
    } else if v < threshold {
        0.6 * (v - bad) / (threshold - bad)
    } else if v < good {
        0.6 + 0.4 * (v - threshold) / (good - threshold)
    } else {
        1.0
    }
}

/// A ramp for a measure where smaller is better.
fn down(v: f32, good: f32, threshold: f32, bad: f32) -> f32 {
    up(-v, -bad, -threshold, -good)
}

/// Each measure's normalised quality and pass/fail, with the feedback raised on failure.
///
/// Ramp ends (0 and 1) sit outside the thresholds by about the measure's natural spread.
pub fn normalised(m: &IrisMeasures, t: &IrisThresholds) -> Vec<(IrisFeedback, Check)> {
    let check = |value: f32, normalised: f32, passed: bool| Check {
        value,
        normalised,
        passed,
    };
    let d = m.iris_diameter_px;
    let ratio = m.pupil_iris_ratio;
    let ratio_mid = 0.5 * (t.min_pupil_iris_ratio + t.max_pupil_iris_ratio);
    vec![
        (
            IrisFeedback::IrisTooSmall,
            check(
                d,
                up(
                    d,
                    0.7 * t.min_iris_diameter_px,
                    t.min_iris_diameter_px,
                    t.min_iris_diameter_px * 1.15,
                ),
                d >= t.min_iris_diameter_px,
            ),
        ),
        (
            IrisFeedback::IrisTooLarge,
            check(
                d,
                down(
                    d,
                    t.max_iris_diameter_px * 0.9,
                    t.max_iris_diameter_px,
                    t.max_iris_diameter_px * 1.3,
                ),
                d <= t.max_iris_diameter_px,
            ),
        ),
        (
            IrisFeedback::Occluded,
            check(
                m.usable_iris_area,
                up(
                    m.usable_iris_area,
                    40.0,
                    t.min_usable_iris_area,
                    t.min_usable_iris_area + 15.0,
                ),
                m.usable_iris_area >= t.min_usable_iris_area,
            ),
        ),
        (
            IrisFeedback::OutOfFocus,
            check(
                m.sharpness,
                up(m.sharpness, 0.0, t.min_sharpness, t.min_sharpness * 3.0),
                m.sharpness >= t.min_sharpness,
            ),
        ),
        (
            IrisFeedback::PoorMargin,
            check(
                m.margin_adequacy,
                up(m.margin_adequacy, 30.0, t.min_margin_adequacy, 100.0),
                m.margin_adequacy >= t.min_margin_adequacy,
            ),
        ),
        (
            IrisFeedback::OffAxisGaze,
            check(
                m.gaze_deg,
                down(m.gaze_deg, 5.0, t.max_gaze_deg, t.max_gaze_deg + 20.0),
                m.gaze_deg <= t.max_gaze_deg,
            ),
        ),
        (
            IrisFeedback::PupilConstricted,
            check(
                ratio,
                up(
                    ratio,
                    t.min_pupil_iris_ratio * 0.5,
                    t.min_pupil_iris_ratio,
                    (t.min_pupil_iris_ratio + ratio_mid) * 0.5,
                ),
                ratio >= t.min_pupil_iris_ratio,
            ),
        ),
        (
            IrisFeedback::PupilDilated,
            check(
                ratio,
                down(
                    ratio,
                    (t.max_pupil_iris_ratio + ratio_mid) * 0.5,
                    t.max_pupil_iris_ratio,
                    t.max_pupil_iris_ratio + 15.0,
                ),
                ratio <= t.max_pupil_iris_ratio,
            ),
        ),
        (
            IrisFeedback::NotConcentric,
            check(
                m.concentricity,
                up(
                    m.concentricity,
                    70.0,
                    t.min_concentricity,
                    97.0_f32.max(t.min_concentricity + 1.0),
                ),
                m.concentricity >= t.min_concentricity,
            ),
        ),
        (
            IrisFeedback::LowIrisScleraContrast,
            check(
                m.iris_sclera_contrast,
                up(
                    m.iris_sclera_contrast,
                    0.0,
                    t.min_iris_sclera_contrast,
                    t.min_iris_sclera_contrast + 10.0,
                ),
                m.iris_sclera_contrast >= t.min_iris_sclera_contrast,
            ),
        ),
        (
            IrisFeedback::LowIrisPupilContrast,
            check(
                m.iris_pupil_contrast,
                up(
                    m.iris_pupil_contrast,
                    5.0,
                    t.min_iris_pupil_contrast,
                    t.min_iris_pupil_contrast + 20.0,
                ),
                m.iris_pupil_contrast >= t.min_iris_pupil_contrast,
            ),
        ),
        (
            IrisFeedback::LowGreyScale,
            check(
                m.grey_scale_bits,
                up(
                    m.grey_scale_bits,
                    t.min_grey_scale_bits - 2.0,
                    t.min_grey_scale_bits,
                    t.min_grey_scale_bits + 1.0,
                ),
                m.grey_scale_bits >= t.min_grey_scale_bits,
            ),
        ),
        (
            IrisFeedback::Noisy,
            check(
                m.noise_grey,
                down(
                    m.noise_grey,
                    t.max_noise_grey * 0.4,
                    t.max_noise_grey,
                    t.max_noise_grey * 2.5,
                ),
                m.noise_grey <= t.max_noise_grey,
            ),
        ),
    ]
}

/// The score from the checks: `round(100 · min normalised)`.
pub fn score(checks: &[(IrisFeedback, Check)]) -> u8 {
    let min = checks
        .iter()
        .map(|(_, c)| c.normalised)
        .fold(1.0f32, f32::min);
    (100.0 * min).round().clamp(0.0, 100.0) as u8
}

fn check_image(image: &RawImage) -> Result<(), IrisError> {
    if image.format != PixelFormat::Gray8 {
        return Err(IrisError::NotGray(image.format));
    }
    if image.width < MIN_WIDTH || image.height < MIN_HEIGHT {
        return Err(IrisError::TooSmall {
            width: image.width,
            height: image.height,
            min_width: MIN_WIDTH,
            min_height: MIN_HEIGHT,
        });
    }
    let expected = u64::from(image.width) * u64::from(image.height);
    if image.data.len() as u64 != expected {
        return Err(IrisError::BadBuffer {
            len: image.data.len(),
            width: image.width,
            height: image.height,
        });
    }
    Ok(())
}

/// Finds the pupil, iris and eyelids in an 8-bit grey eye image.
pub fn segment(image: &RawImage) -> Result<Segmentation, IrisError> {
    check_image(image)?;
    let raw = Plane::from_u8(&image.data, image.width as usize, image.height as usize);
    Ok(segment::segment(&raw)?.0)
}

/// Assesses an 8-bit grey eye image against `thresholds`.
pub fn assess(image: &RawImage, thresholds: &IrisThresholds) -> Result<IrisQuality, IrisError> {
    check_image(image)?;
    let raw = Plane::from_u8(&image.data, image.width as usize, image.height as usize);
    let (seg, ws) = segment::segment(&raw)?;
    let m = measures::measure(&raw, &image.data, &seg, &ws);
    let checks = normalised(&m, thresholds);
    let mut feedback: Vec<IrisFeedback> = checks
        .iter()
        .filter(|(_, c)| !c.passed)
        .map(|(f, _)| *f)
        .collect();
    feedback.sort();
    feedback.dedup();
    Ok(IrisQuality {
        score: score(&checks),
        measures: m,
        segmentation: seg,
        feedback,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ramps_are_anchored_at_the_threshold() {
        assert_eq!(up(10.0, 0.0, 10.0, 20.0), 0.6);
        assert_eq!(up(-1.0, 0.0, 10.0, 20.0), 0.0);
        assert_eq!(up(25.0, 0.0, 10.0, 20.0), 1.0);
        assert!((down(15.0, 5.0, 15.0, 35.0) - 0.6).abs() < 1e-6);
        assert_eq!(down(40.0, 5.0, 15.0, 35.0), 0.0);
        assert_eq!(down(1.0, 5.0, 15.0, 35.0), 1.0);
    }

    #[test]
    fn thresholds_deserialise_with_defaults() {
        let t: IrisThresholds = serde_json_like("min_usable_iris_area", 60.0);
        assert_eq!(t.min_usable_iris_area, 60.0);
        assert_eq!(t.min_iris_diameter_px, 210.0);
    }

    /// Builds thresholds through serde's derive from a one-entry map, without a format crate.
    fn serde_json_like(key: &str, value: f32) -> IrisThresholds {
        use serde::de::value::{Error, MapDeserializer};
        use serde::Deserialize;
        let map = MapDeserializer::<_, Error>::new(std::iter::once((key, value)));
        IrisThresholds::deserialize(map).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn bad_input_is_a_typed_error() {
        let img = |w: u32, h: u32, len: usize, format: PixelFormat| RawImage {
            width: w,
            height: h,
            format,
            ppi: None,
            data: vec![0; len],
        };
        let t = IrisThresholds::default();
        let e = assess(&img(640, 480, 10, PixelFormat::Gray8), &t).unwrap_err();
        assert_eq!(e.kind(), IrisErrorKind::InvalidImage);
        let e = assess(&img(100, 100, 10_000, PixelFormat::Gray8), &t).unwrap_err();
        assert!(matches!(e, IrisError::TooSmall { .. }));
        let e = assess(&img(640, 480, 640 * 480, PixelFormat::Gray8), &t).unwrap_err();
        assert_eq!(e.kind(), IrisErrorKind::NoEye);
    }
}
