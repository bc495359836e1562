//! The error of this crate, [`MatchError`], and its [`ErrorKind`].
//!
//! No message carries biometric data: only sizes, counts, resolutions and the format reader's
//! field names and offsets.

use thiserror::Error;

/// What went wrong, coarsely, for callers that map errors to outcomes (a retry, a refusal).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The image cannot be processed (size, pixel layout, resolution).
    InvalidImage,
    /// The image was processed but holds too little fingerprint to make a template: capture
    /// again.
    PoorSample,
    /// Template bytes do not decode, or a template cannot be written in the format asked.
    InvalidTemplate,
    /// The options are out of range.
    InvalidOptions,
}

/// Why a template could not be made, read or written.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum MatchError {
    /// The image cannot be handed to the minutiae detector.
    #[error("the finger image cannot be processed: {reason}")]
    Image {
        /// Why (sizes and layout only).
        reason: String,
    },
    /// The image is not at 500 ppi (the detector's and the comparator's tuning).
    #[error("the finger image is at {ppi} ppi; 500 ppi (±2 %) is required")]
    Resolution {
        /// The image's resolution.
        ppi: u16,
    },
    /// Too few minutiae were found for a comparison to mean anything.
    #[error("only {found} minutiae found; at least {needed} are needed")]
    TooFewMinutiae {
        /// Minutiae found.
        found: usize,
        /// Minutiae needed.
        needed: usize,
    },
    /// Compact card bytes do not decode.
    #[error("the template does not decode: {0}")]
    Decode(#[from] rekam_iso19794::DecodeError),
    /// A template cannot be written in the ISO/IEC 19794-2 format asked.
    #[error("the template cannot be encoded: {0}")]
    Encode(#[from] rekam_iso19794::EncodeError),
    /// The extraction options are out of range.
    #[error("invalid extraction options: {0}")]
    Options(&'static str),
    /// The template decodes but cannot come from a finger: more minutiae share one position
    /// than a detector ever reports. Such a template (a crafted chip) would make the comparison
    /// run for minutes, so it is refused before any comparison.
    #[error("the template is degenerate: {count} minutiae share one position (at most {max})")]
    Degenerate {
        /// Minutiae at the most crowded position.
        count: usize,
        /// The most a template may have at one position.
        max: usize,
    },
}

impl MatchError {
    /// The kind of the error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            MatchError::Image { .. } | MatchError::Resolution { .. } => ErrorKind::InvalidImage,
            MatchError::TooFewMinutiae { .. } => ErrorKind::PoorSample,
            MatchError::Decode(_) | MatchError::Encode(_) | MatchError::Degenerate { .. } => {
                ErrorKind::InvalidTemplate
            }
            MatchError::Options(_) => ErrorKind::InvalidOptions,
        }
    }
}

/// The result type of this crate.
pub type Result<T, E = MatchError> = std::result::Result<T, E>;
