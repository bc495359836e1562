//! # rekam-biometrics: checks on biometric samples
//!
//! The station judges a capture before it keeps it. This crate holds those judgements, free of
//! devices and I/O, so drivers, the station and tests share them:
//!
//! - [`fingerprint::quality`]: a 0-100 quality score per 500 ppi finger image in the manner of
//!   NFIQ 2 (ISO/IEC 29794-4) without its learned model: orientation certainty, local clarity,
//!   ridge-valley uniformity, frequency-domain analysis, ridge contrast, foreground area and a
//!   minutiae count, combined with documented monotone weights, plus actionable feedback.
//! - [`fingerprint::segment`](mod@fingerprint::segment): slap segmentation: fingertips found in a four-finger or thumbs
//!   image, labelled with ISO finger positions, with a missing finger and the wrong hand
//!   detected.
//! - [`face`]: ISO/IEC 19794-5 full-frontal and ISO/IEC 29794-5 face checks (SeetaFace
//!   detection, eyes, geometry, exposure, uniformity, sharpness, colour) with guidance, and the
//!   token-frontal chip photo fitted to a byte budget (RGB camera stills).
//! - [`iris`]: ISO/IEC 29794-6 iris quality: pupil, limbus and eyelid segmentation, usable iris
//!   area, contrasts, pupil/iris ratio, concentricity, margins, sharpness, grey-scale
//!   utilisation, iris diameter and gaze, checked against configurable thresholds.
//! - [`signature`]: pen-sample checks, the ISO/IEC 19794-7 time-series record and the
//!   binarised, cropped signature image for the card face and the chip.
//!
//! Every entry point takes a [`rekam_hal::RawImage`] (8-bit grey, 500 ppi) and never prints
//! pixels: images are biometric data.
#![forbid(unsafe_code)]

pub mod face;
pub mod fingerprint;
pub mod iris;
pub mod signature;

mod gray;

pub use gray::ImageError;
