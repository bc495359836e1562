//! The pass/fail thresholds of the face checks, with their sources, deserialisable from the
//! station's configuration (every field optional: a missing key keeps its default).
//!
//! Where ISO/IEC 19794-5 (full frontal) or ICAO gives a number it is used as is. Where only
//! OFIQ (the BSI's open-source reference implementation of ISO/IEC 29794-5) defines a measure,
//! the default is the raw value at which OFIQ's component quality is 50 (the BioAPI boundary
//! between marginal and adequate) unless said otherwise, computed from OFIQ's sigmoid
//! parameters (`data/ofiq_config.jaxn` and the measure sources). Our regions differ from OFIQ's
//! (no landmarks: see [`super`]), so these are the same *scales*, not the same numbers for
//! every image. A few measures are our own and their defaults were calibrated on simulated
//! portraits (`rekam_sim::synth::face`): that is said per field.

use serde::Deserialize;

/// Thresholds of every face check. `Default` gives the documented defaults.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaceThresholds {
    /// Smallest inter-eye distance (between the eye centres), pixels. ISO/IEC 19794-5 full
    /// frontal image and ICAO Doc 9303: at least 90 (120 preferred).
    pub min_inter_eye_px: f32,
    /// Horizontal position of the eye midpoint, as a share of the image width: ISO/IEC
    /// 19794-5:2005 full-frontal geometry ("Mx"), 0.45-0.55.
    pub centre_x: (f32, f32),
    /// Vertical position of the eye midpoint from the top, as a share of the image height:
    /// ISO/IEC 19794-5:2005 full-frontal geometry puts the eye line 50-70 % of the height
    /// above the bottom, i.e. 0.30-0.50 from the top.
    pub eye_line_y: (f32, f32),
    /// Height of the detected face box over the image height. Station default 0.30-0.70 for
    /// a 4:3 landscape camera frame (the SeetaFace box runs from the brows to the chin); ISO's
    /// head-height ratio applies to the portrait cropped from it.
    pub head_size: (f32, f32),
    /// Smallest margin from the image-left eye to the left edge, and from the image-right
    /// eye to the right edge, in inter-eye distances. OFIQ `LeftwardCropOfTheFaceImage` /
    /// `RightwardCrop...`: quality 50 at 0.9.
    pub min_side_margin: f32,
    /// Smallest margin from the eye line to the top edge, in inter-eye distances. OFIQ uses
    /// 1.4 t (t: eye-to-chin, about 1.8 IED) for a finished ICAO portrait; a camera frame
    /// from which the station crops needs the crown with its hair, about 1.0 t: 1.8 IED.
    pub min_top_margin: f32,
    /// Smallest margin from the eye line to the bottom edge, in inter-eye distances. OFIQ uses
    /// 1.8 t; the chin and the neck need about 1.2 t: 2.2 IED. With the top margin, a
    /// 480-pixel-high frame holds inter-eye distances of 90-120 pixels.
    pub min_bottom_margin: f32,
    /// Largest head roll (tilt of the eye line), degrees. ISO/IEC 19794-5:2005 full-frontal
    /// pose: roll within ±8°.
    pub max_roll_deg: f32,
    /// Smallest eye openness (our iris/sclera contrast over the skin luma, the weaker eye).
    /// Station default 0.22, calibrated on simulated portraits: open eyes 0.3-0.5, half-open
    /// about 0.25, a third open about 0.2, closed under 0.16. OFIQ's `EyesOpen` needs
    /// landmarks. (Under 0.2 the eye positions fall back to the face box prior.)
    pub min_eyes_open: f32,
    /// Largest share of very dark pixels (under 40 % of their neighbourhood) in the mouth
    /// region. Station default 0.08, calibrated on simulated portraits (closed under 0.02, a
    /// hard side shadow about 0.06, wide open 0.3). OFIQ's `MouthClosed` needs landmarks.
    pub max_mouth_open: f32,
    /// Mean relative luminance of the face region, 0-1. OFIQ `LuminanceMean`: quality 50 at
    /// 0.2 and 0.8.
    pub luminance_mean: (f32, f32),
    /// Variance of the face region's relative luminance (0-1 scale). OFIQ
    /// `LuminanceVariance`: quality `100 sin(π · 60v / (60v + 1))` is 50 at 0.0033 and 0.083.
    pub luminance_variance: (f32, f32),
    /// Largest share of face pixels with luminance at most 25 of 255. OFIQ
    /// `UnderExposurePrevention` reaches quality 50 only at 0.90; the station default 0.5 keeps
    /// a dark but usable face (eyes, brows and deep skin are dark by nature).
    pub max_under_exposed: f32,
    /// Largest share of face pixels with luminance at least 247 of 255. OFIQ
    /// `OverExposurePrevention`: quality `1 / (x + 0.01)` is 50 at 0.01.
    pub max_over_exposed: f32,
    /// Smallest entropy of the face region's luminance histogram, bits. OFIQ `DynamicRange`:
    /// quality `12.5 · H` is 50 at 4 bits.
    pub min_dynamic_range_bits: f32,
    /// Smallest histogram intersection (0-1) of the two cheek regions' luminance. OFIQ
    /// `IlluminationUniformity`: quality `100 · r^0.3` is 50 at 0.1.
    pub min_illumination_uniformity: f32,
    /// Smallest sharpness (our fine-to-coarse band ratio on edges, see [`super`]). Station
    /// default 0.32, calibrated on simulated portraits (sharp 0.35-0.42; Gaussian blur of
    /// sigma 0.7 px 0.27, 1.5 px 0.18, 3 px 0.14). OFIQ's `Sharpness` is a learned random
    /// forest.
    pub min_sharpness: f32,
    /// Largest mean luminance gradient of the background, grey levels per pixel of the
    /// detection image (about 3 camera pixels). Station default 4, calibrated on simulated
    /// portraits (plain backdrop about 0.3; clutter 0.1 about 1.4, 0.2 about 2.8, a busy room
    /// 15 or more); OFIQ's
    /// `BackgroundUniformity` measures the same on its own normalised crop.
    pub max_background_gradient: f32,
    /// Largest distance of the cheeks' mean CIELAB (a*, b*) from ISO/IEC 29794-5's natural
    /// skin box a* 5-25, b* 5-35. OFIQ `NaturalColour` quality `200 (1 - σ(D/10))` is 75 at
    /// 5 (and 50 at 11, which a grey picture, D ≈ 7, would pass; OFIQ scores grey as natural).
    pub max_colour_distance: f32,
}

impl Default for FaceThresholds {
    fn default() -> Self {
        FaceThresholds {
            min_inter_eye_px: 90.0,
            centre_x: (0.45, 0.55),
            eye_line_y: (0.30, 0.50),
            head_size: (0.30, 0.70),
            min_side_margin: 0.9,
            min_top_margin: 1.8,
            min_bottom_margin: 2.2,
            max_roll_deg: 8.0,
            min_eyes_open: 0.22,
            max_mouth_open: 0.08,
            luminance_mean: (0.2, 0.8),
            luminance_variance: (0.0033, 0.083),
            max_under_exposed: 0.5,
            max_over_exposed: 0.01,
            min_dynamic_range_bits: 4.0,
            min_illumination_uniformity: 0.1,
            min_sharpness: 0.32,
            max_background_gradient: 4.0,
            max_colour_distance: 5.0,
        }
    }
}
