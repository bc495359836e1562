//! Pass/fail limits for each iris measure, loadable from the station's configuration.
//!
//! Defaults and their sources:
//!
//! | limit | default | source |
//! | --- | --- | --- |
//! | iris diameter | ≥ 210 px | the project's enrolment requirement (issue 3); ISO/IEC 19794-6:2011 Annex A calls 200 px or more across "good" |
//! | iris diameter, upper | ≤ 350 px | BIQT-Iris' iris-diameter quality plateau (200-350 px); larger means the eye is too close for a 640x480 frame |
//! | pupil/iris ratio | 20-70 % | ISO/IEC 29794-6:2015, as BIQT-Iris reports it |
//! | usable iris area | ≥ 70 % | ISO/IEC 29794-6:2015 recommended value |
//! | iris-sclera contrast | > 5 | ISO/IEC 29794-6:2015, as BIQT-Iris reports it |
//! | iris-pupil contrast | ≥ 30 | ISO/IEC 29794-6:2015, as BIQT-Iris reports it |
//! | iris-pupil concentricity | ≥ 90 | ISO/IEC 29794-6:2015, as BIQT-Iris reports it |
//! | margin adequacy | ≥ 80 | ISO/IEC 29794-6:2015, as BIQT-Iris reports it |
//! | grey-scale utilisation | ≥ 6 bits | ISO/IEC 29794-6:2015, as BIQT-Iris reports it |
//! | sharpness | ≥ 3 | BIQT-Iris normalises the ISO sharpness linearly over 0-3 (3 and more count as fully sharp); the standard gives no value |
//! | off-axis gaze | ≤ 15° | ours: the standard gives none; ISO/IEC 19794-6 asks for a frontal gaze |
//! | noise | ≤ 8 grey levels | ours (not an ISO measure): about twice a good camera's noise on the simulated images |
//!
//! The ISO figures are those MITRE's BIQT-Iris (a reference implementation of ISO/IEC
//! 29794-6:2015) documents as the standard's recommended values.

use serde::Deserialize;

/// Limits for [`super::assess`]. Every field has a default, so a configuration names only what
/// it changes.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IrisThresholds {
    /// Smallest iris diameter, pixels.
    pub min_iris_diameter_px: f32,
    /// Largest iris diameter, pixels.
    pub max_iris_diameter_px: f32,
    /// Smallest pupil/iris radius ratio, percent.
    pub min_pupil_iris_ratio: f32,
    /// Largest pupil/iris radius ratio, percent.
    pub max_pupil_iris_ratio: f32,
    /// Smallest usable iris area, percent.
    pub min_usable_iris_area: f32,
    /// Smallest iris-sclera contrast (ISO scale 0-100).
    pub min_iris_sclera_contrast: f32,
    /// Smallest iris-pupil contrast (ISO scale 0-100).
    pub min_iris_pupil_contrast: f32,
    /// Smallest iris-pupil concentricity (100: same centre).
    pub min_concentricity: f32,
    /// Smallest margin adequacy (0-100).
    pub min_margin_adequacy: f32,
    /// Smallest sharpness (ISO scale 0-100).
    pub min_sharpness: f32,
    /// Smallest grey-scale utilisation, bits.
    pub min_grey_scale_bits: f32,
    /// Largest off-axis gaze, degrees.
    pub max_gaze_deg: f32,
    /// Largest sensor noise standard deviation, grey levels.
    pub max_noise_grey: f32,
}

impl Default for IrisThresholds {
    fn default() -> Self {
        IrisThresholds {
            min_iris_diameter_px: 210.0,
            max_iris_diameter_px: 350.0,
            min_pupil_iris_ratio: 20.0,
            max_pupil_iris_ratio: 70.0,
            min_usable_iris_area: 70.0,
            min_iris_sclera_contrast: 5.0,
            min_iris_pupil_contrast: 30.0,
            min_concentricity: 90.0,
            min_margin_adequacy: 80.0,
            min_sharpness: 3.0,
            min_grey_scale_bits: 6.0,
            max_gaze_deg: 15.0,
            max_noise_grey: 8.0,
        }
    }
}
