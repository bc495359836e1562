//! Fingerprint checks: [`quality`] scores one finger image, [`segment`](mod@segment) cuts a slap into
//! fingertips.

pub mod quality;
pub mod segment;

pub use quality::{assess, Feedback, FingerQuality, Measures};
pub use segment::{segment, SegmentedFinger, SlapSegmentation};
