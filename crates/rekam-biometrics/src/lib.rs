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
//!
//! Every entry point takes a [`rekam_hal::RawImage`] (8-bit grey, 500 ppi) and never prints
//! pixels: images are biometric data.
#![forbid(unsafe_code)]

pub mod fingerprint;

mod gray;

pub use gray::ImageError;
