//! Face image checks: ISO/IEC 19794-5 full-frontal geometry and ISO/IEC 29794-5 quality
//! measures, without learned models beyond SeetaFace's face detector, and the ISO/IEC 19794-5
//! token-frontal crop for the chip.
//!
//! [`assess`] runs every check on one camera still (RGB or grey):
//!
//! 1. **Detection** ([`detect`](mod@detect)): SeetaFace (`rustface`) on a copy reduced to a
//!    160-pixel short side; the largest face is the subject, the count must be one.
//! 2. **Eyes** ([`eyes`](mod@eyes)): eye centres by a dark-disc-between-bright-bands search in the
//!    face box (no landmarks), each eye's openness from the same contrast; the mouth's opening
//!    from the share of very dark pixels below the nose.
//! 3. **Geometry**: inter-eye distance, head size (face box height over image height), the eye
//!    midpoint's horizontal and vertical position, the margins to each edge in inter-eye
//!    distances (OFIQ's crop measures), roll from the eye line.
//! 4. **Photometry** (the private `photometric` module), on regions placed from the eyes and on
//!    OFIQ's relative luminance: luminance mean and variance, under- and over-exposed shares,
//!    dynamic range (histogram entropy), illumination uniformity (the cheeks' histogram
//!    intersection), sharpness (our fine-to-coarse band ratio: `Σ|I − box3(I)| / Σ|box3(I) −
//!    box9(I)|` over the face; contrast-invariant, falls with blur), background uniformity
//!    (mean Sobel gradient outside the head), natural colour (the cheeks' CIELAB a*/b* against
//!    ISO/IEC 29794-5's box).
//!
//! Each measure is a [`Check`]: its value, pass or fail against [`FaceThresholds`] (sources
//! there), a 0-100 component quality (50 at the threshold, 100 at a documented "good" value),
//! and the operator [`GuidanceCode`] for a failure ([`Measure::guidance`]). The overall score
//! is `round(0.25 · mean + 0.75 · min)` of the component qualities: monotone in every
//! component, led by the worst, under 63 as soon as one check fails, 0 without a face.
//!
//! [`token::token_image`] makes the chip photo: the ISO/IEC 19794-5 token-frontal geometry from
//! the eye centres, JPEG-compressed to a byte budget.
//!
//! Timing (criterion, `cargo bench -p rekam-biometrics --bench face`): see BENCHMARKS.md; on a
//! 640x480 still the detector takes most of it.

pub mod detect;
pub mod eyes;
mod frame;
mod photometric;
pub mod thresholds;
pub mod token;

use rekam_hal::{GuidanceCode, RawImage};

pub use detect::FaceBox;
pub use eyes::EyeCentres;
pub use frame::{decode, MAX_SIDE, MIN_SIDE};
pub use thresholds::FaceThresholds;
pub use token::{token_crop, token_image, TokenImage, TokenOptions};

use frame::Frame;

/// Why a face image cannot be assessed or cropped.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FaceError {
    /// The image has no pixels.
    #[error("the image is empty")]
    Empty,
    /// The image is smaller than [`MIN_SIDE`] or larger than [`MAX_SIDE`] on a side.
    #[error("image {width}x{height} is outside the accepted size")]
    Size {
        /// Width.
        width: u32,
        /// Height.
        height: u32,
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
    /// The bytes are not a JPEG or PNG image.
    #[error("the image does not decode")]
    Decode,
    /// The built-in face detection model does not load (a build defect).
    #[error("the face detection model does not load")]
    Model,
    /// The JPEG encoder failed.
    #[error("JPEG encoding failed")]
    Encode,
    /// The token image does not fit the byte budget even at the smallest size and quality.
    #[error("the token image does not fit {budget} bytes")]
    Budget {
        /// The budget, bytes.
        budget: usize,
    },
    /// A token option is out of range.
    #[error("token option out of range: {0}")]
    BadOption(&'static str),
}

/// What a [`Check`] measured.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Measure {
    /// Number of faces found (pass: exactly one).
    FaceCount,
    /// Distance between the eye centres, pixels.
    InterEyeDistance,
    /// Face box height over image height.
    HeadSize,
    /// Eye midpoint's horizontal position, share of the width.
    CentreX,
    /// Eye midpoint's vertical position from the top, share of the height.
    EyeLineY,
    /// Image-left eye to the left edge, inter-eye distances.
    MarginLeft,
    /// Image-right eye to the right edge, inter-eye distances.
    MarginRight,
    /// Eye line to the top edge, inter-eye distances.
    MarginTop,
    /// Eye line to the bottom edge, inter-eye distances.
    MarginBottom,
    /// Tilt of the eye line, degrees (absolute value compared).
    Roll,
    /// Openness of the less open eye.
    EyesOpen,
    /// Share of very dark pixels in the mouth region.
    MouthOpen,
    /// Mean relative luminance of the face, 0-1.
    LuminanceMean,
    /// Variance of the face's relative luminance.
    LuminanceVariance,
    /// Share of face pixels at luminance 25 or less.
    UnderExposure,
    /// Share of face pixels at luminance 247 or more.
    OverExposure,
    /// Entropy of the face's luminance histogram, bits.
    DynamicRange,
    /// Histogram intersection of the two cheeks, 0-1.
    IlluminationUniformity,
    /// Fine-to-coarse band ratio over the face.
    Sharpness,
    /// Mean background gradient, grey levels per reduced pixel.
    BackgroundUniformity,
    /// Distance of the cheeks' (a*, b*) from the natural skin box.
    NaturalColour,
}

impl Measure {
    /// The operator guidance for a failure of this measure with value `value`
    /// (`thresholds` tells a low failure from a high one for ranges).
    ///
    /// An open mouth gives [`GuidanceCode::MouthOpen`], uneven light
    /// [`GuidanceCode::UnevenLight`], and a tilted eye line (roll)
    /// [`GuidanceCode::HeadNotFrontal`]: roll is the head's pose, which the subject corrects by
    /// straightening the head, not by moving in the frame (`FaceNotCentred` is for the
    /// position and margins). A busy background, low contrast or unnatural colour are for the
    /// operator to fix at the station (backdrop, lamp, camera settings), not the subject, and
    /// have no more specific code than [`GuidanceCode::PoorQuality`].
    ///
    /// Yaw, pitch and the face's gaze are not measured (there are no landmarks beyond the eye
    /// centres): on the simulator's portraits a head turned 20-30° shortens the inter-eye
    /// distance by cos(yaw) and so reads as `TooFar`, and a pitch of ±15° passes.
    pub fn guidance(self, value: f32, t: &FaceThresholds) -> GuidanceCode {
        let low = |range: (f32, f32)| value < range.0;
        match self {
            Measure::FaceCount => {
                if value < 1.0 {
                    GuidanceCode::FaceNotFound
                } else {
                    GuidanceCode::SeveralFaces
                }
            }
            Measure::InterEyeDistance => GuidanceCode::TooFar,
            Measure::HeadSize => {
                if low(t.head_size) {
                    GuidanceCode::TooFar
                } else {
                    GuidanceCode::TooClose
                }
            }
            Measure::CentreX
            | Measure::EyeLineY
            | Measure::MarginLeft
            | Measure::MarginRight
            | Measure::MarginTop
            | Measure::MarginBottom => GuidanceCode::FaceNotCentred,
            Measure::Roll => GuidanceCode::HeadNotFrontal,
            Measure::EyesOpen => GuidanceCode::EyesClosed,
            Measure::MouthOpen => GuidanceCode::MouthOpen,
            Measure::IlluminationUniformity => GuidanceCode::UnevenLight,
            Measure::LuminanceMean => {
                if low(t.luminance_mean) {
                    GuidanceCode::TooDark
                } else {
                    GuidanceCode::TooBright
                }
            }
            Measure::UnderExposure => GuidanceCode::TooDark,
            Measure::OverExposure => GuidanceCode::TooBright,
            Measure::Sharpness => GuidanceCode::OutOfFocus,
            Measure::LuminanceVariance
            | Measure::DynamicRange
            | Measure::BackgroundUniformity
            | Measure::NaturalColour => GuidanceCode::PoorQuality,
        }
    }
}

/// One measure with its verdict.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Check {
    /// What was measured.
    pub measure: Measure,
    /// The value (NaN when it could not be measured, which fails).
    pub value: f32,
    /// True when the value is within its threshold.
    pub pass: bool,
    /// Component quality 0-100: 50 at the threshold, 100 at the "good" value.
    pub quality: u8,
    /// The smallest passing value, when the check has a lower bound.
    pub min: Option<f32>,
    /// The largest passing value, when the check has an upper bound.
    pub max: Option<f32>,
}

/// The verdict on one face image.
#[derive(Debug, Clone, PartialEq)]
pub struct FaceAssessment {
    /// 0-100 (BioAPI bands: 0-25 unacceptable, 26-50 marginal, 51-75 adequate, 76-100
    /// excellent); under 63 when any check fails; 0 without a face.
    pub score: u8,
    /// Every face found, largest (the subject) first.
    pub faces: Vec<FaceBox>,
    /// The subject's eye centres, when there is a face.
    pub eyes: Option<EyeCentres>,
    /// Every check, in [`Measure`] order.
    pub checks: Vec<Check>,
    /// Guidance for the failed checks, without duplicates, in check order.
    pub guidance: Vec<GuidanceCode>,
}

impl FaceAssessment {
    /// True when every check passed.
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.pass)
    }

    /// The check of `measure`, if it was made.
    pub fn check(&self, measure: Measure) -> Option<&Check> {
        self.checks.iter().find(|c| c.measure == measure)
    }

    /// The measures that failed.
    pub fn failures(&self) -> Vec<Measure> {
        self.checks
            .iter()
            .filter(|c| !c.pass)
            .map(|c| c.measure)
            .collect()
    }
}

/// How a value is judged.
#[derive(Clone, Copy)]
enum Rule {
    /// At least the threshold; quality 100 at `good`.
    Min(f32, f32),
    /// At most the threshold; quality 100 at `good`.
    Max(f32, f32),
    /// Within `[lo, hi]`; quality 100 in the middle.
    Range(f32, f32),
}

impl Rule {
    fn judge(self, measure: Measure, value: f32) -> Check {
        let (pass, q) = if !value.is_finite() {
            (false, 0.0)
        } else {
            match self {
                Rule::Min(t, good) | Rule::Max(t, good) => {
                    let pass = match self {
                        Rule::Min(..) => value >= t,
                        _ => value <= t,
                    };
                    let span = good - t;
                    let q = if span == 0.0 {
                        if pass {
                            100.0
                        } else {
                            0.0
                        }
                    } else {
                        50.0 + 50.0 * (value - t) / span
                    };
                    (pass, q)
                }
                Rule::Range(lo, hi) => {
                    let half = ((hi - lo) / 2.0).max(f32::EPSILON);
                    let inside = (value - lo).min(hi - value);
                    (value >= lo && value <= hi, 50.0 + 50.0 * inside / half)
                }
            }
        };
        let (min, max) = match self {
            Rule::Min(t, _) => (Some(t), None),
            Rule::Max(t, _) => (None, Some(t)),
            Rule::Range(lo, hi) => (Some(lo), Some(hi)),
        };
        Check {
            measure,
            value,
            pass,
            quality: q.round().clamp(0.0, 100.0) as u8,
            min,
            max,
        }
    }
}

/// Assesses a face still: decodes JPEG or PNG bytes, then [`assess`].
pub fn assess_encoded(bytes: &[u8], t: &FaceThresholds) -> Result<FaceAssessment, FaceError> {
    assess(&decode(bytes)?, t)
}

/// Runs every face check on `image` (RGB or grey; a grey image fails the colour check).
pub fn assess(image: &RawImage, t: &FaceThresholds) -> Result<FaceAssessment, FaceError> {
    let frame = Frame::new(image)?;
    let reduced = detect::reduce(&frame.luma, frame.width, frame.height);
    let faces = detect::detect(&reduced)?;
    let count = Rule::Range(1.0, 1.0).judge(Measure::FaceCount, faces.len() as f32);
    let count = Check {
        quality: if count.pass { 100 } else { 0 },
        ..count
    };
    let Some(face) = faces.first().copied() else {
        return Ok(finish(faces, None, vec![count], t));
    };
    let found = eyes::locate(&frame, &face);
    let e = found.eyes;
    let (w, h) = (frame.width as f32, frame.height as f32);
    let d = e.distance().max(1.0);
    let (mx, my) = e.midpoint();
    let mouth = eyes::mouth_opening(&frame, &e);
    let p = photometric::measure(&frame, &e);
    let background = photometric::background_gradient(
        &reduced.data,
        reduced.width,
        reduced.height,
        reduced.factor,
        &e,
    );
    let mut checks = vec![
        count,
        Rule::Min(t.min_inter_eye_px, 120.0).judge(Measure::InterEyeDistance, d),
        Rule::Range(t.head_size.0, t.head_size.1).judge(Measure::HeadSize, face.height / h),
        Rule::Range(t.centre_x.0, t.centre_x.1).judge(Measure::CentreX, mx / w),
        Rule::Range(t.eye_line_y.0, t.eye_line_y.1).judge(Measure::EyeLineY, my / h),
        Rule::Min(t.min_side_margin, t.min_side_margin + 0.5)
            .judge(Measure::MarginLeft, e.left.0 / d),
        Rule::Min(t.min_side_margin, t.min_side_margin + 0.5)
            .judge(Measure::MarginRight, (w - e.right.0) / d),
        Rule::Min(t.min_top_margin, t.min_top_margin + 0.5).judge(Measure::MarginTop, my / d),
        Rule::Min(t.min_bottom_margin, t.min_bottom_margin + 0.5)
            .judge(Measure::MarginBottom, (h - my) / d),
        Rule::Max(t.max_roll_deg, 0.0).judge(Measure::Roll, e.roll_deg().abs()),
        Rule::Min(t.min_eyes_open, 2.0 * t.min_eyes_open)
            .judge(Measure::EyesOpen, found.openness[0].min(found.openness[1])),
        Rule::Max(t.max_mouth_open, 0.0).judge(Measure::MouthOpen, mouth),
        Rule::Range(t.luminance_mean.0, t.luminance_mean.1)
            .judge(Measure::LuminanceMean, p.luminance_mean),
        Rule::Range(t.luminance_variance.0, t.luminance_variance.1)
            .judge(Measure::LuminanceVariance, p.luminance_variance),
        Rule::Max(t.max_under_exposed, 0.0).judge(Measure::UnderExposure, p.under_exposed),
        Rule::Max(t.max_over_exposed, 0.0).judge(Measure::OverExposure, p.over_exposed),
        Rule::Min(t.min_dynamic_range_bits, 7.0).judge(Measure::DynamicRange, p.dynamic_range_bits),
        Rule::Min(t.min_illumination_uniformity, 0.6)
            .judge(Measure::IlluminationUniformity, p.illumination_uniformity),
        Rule::Min(t.min_sharpness, 1.5 * t.min_sharpness).judge(Measure::Sharpness, p.sharpness),
        Rule::Max(t.max_background_gradient, 0.0).judge(Measure::BackgroundUniformity, background),
        Rule::Max(t.max_colour_distance, 0.0).judge(Measure::NaturalColour, p.colour_distance),
    ];
    // Margins failing on opposite sides at once mean the head is too big for the frame.
    let fails = |m: Measure, checks: &[Check]| checks.iter().any(|c| c.measure == m && !c.pass);
    let too_close = (fails(Measure::MarginTop, &checks) && fails(Measure::MarginBottom, &checks))
        || (fails(Measure::MarginLeft, &checks) && fails(Measure::MarginRight, &checks));
    checks.sort_by_key(|c| c.measure);
    let mut a = finish(faces, Some(e), checks, t);
    if too_close {
        a.guidance.retain(|g| *g != GuidanceCode::FaceNotCentred);
        if !a.guidance.contains(&GuidanceCode::TooClose) {
            a.guidance.insert(0, GuidanceCode::TooClose);
        }
    }
    Ok(a)
}

fn finish(
    faces: Vec<FaceBox>,
    eyes: Option<EyeCentres>,
    checks: Vec<Check>,
    t: &FaceThresholds,
) -> FaceAssessment {
    let mut guidance = Vec::new();
    for c in checks.iter().filter(|c| !c.pass) {
        let g = c.measure.guidance(c.value, t);
        if !guidance.contains(&g) {
            guidance.push(g);
        }
    }
    let score = if faces.is_empty() || checks.is_empty() {
        0
    } else {
        let q: Vec<f32> = checks.iter().map(|c| f32::from(c.quality)).collect();
        let mean = q.iter().sum::<f32>() / q.len() as f32;
        let min = q.iter().copied().fold(100.0, f32::min);
        (0.25 * mean + 0.75 * min).round().clamp(0.0, 100.0) as u8
    };
    FaceAssessment {
        score,
        faces,
        eyes,
        checks,
        guidance,
    }
}
