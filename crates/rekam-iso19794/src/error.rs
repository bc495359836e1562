//! The two error types: [`DecodeError`] for reading a record (it names the field and the byte
//! offset where reading stopped) and [`EncodeError`] for a struct that cannot be written.
//!
//! Neither prints biometric data: an out-of-range value is a header code or a count, and the
//! image, minutiae and pen samples themselves never appear in a message.

use thiserror::Error;

/// Why bytes could not be read as a record. Every variant names the field and the absolute byte
/// offset (from the start of the record) where the field starts.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input ends (or the enclosing block ends) before the field does.
    #[error("truncated: `{field}` at offset {offset} needs {needed} bytes, {available} left")]
    Truncated {
        /// The field being read.
        field: &'static str,
        /// Where the field starts.
        offset: usize,
        /// Bytes the field needs.
        needed: usize,
        /// Bytes left in the input or the enclosing block.
        available: usize,
    },
    /// The first four bytes are not this record type's format identifier.
    #[error("bad format identifier at offset 0: expected {expected:?}, found {found:?}")]
    BadFormatIdentifier {
        /// The identifier this reader accepts, e.g. `b"FIR\0"`.
        expected: [u8; 4],
        /// What the input holds.
        found: [u8; 4],
    },
    /// Bytes 4..8 are not the version this reader implements.
    #[error("bad version at offset 4: expected {expected:?}, found {found:?}")]
    BadVersion {
        /// The version this reader accepts, e.g. `b"020\0"`.
        expected: [u8; 4],
        /// What the input holds.
        found: [u8; 4],
    },
    /// A length or count field disagrees with the data actually present.
    #[error("length mismatch: `{field}` at offset {offset} declares {declared}, found {actual}")]
    LengthMismatch {
        /// The length or count field.
        field: &'static str,
        /// Where that field starts.
        offset: usize,
        /// The value the field declares.
        declared: u64,
        /// The value the data implies.
        actual: u64,
    },
    /// A field holds a value the edition does not define (or this crate does not support).
    #[error("value out of range: `{field}` at offset {offset} is {value}")]
    OutOfRange {
        /// The field.
        field: &'static str,
        /// Where the field starts.
        offset: usize,
        /// The value found.
        value: u64,
    },
}

/// Why a struct could not be written as a record.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// A value does not fit the field (too large, or a code the edition does not define).
    #[error("cannot encode `{field}`: {value} is out of range (maximum {max})")]
    TooLarge {
        /// The field.
        field: &'static str,
        /// The value given (a count, a length or a code).
        value: u64,
        /// The largest value the field holds.
        max: u64,
    },
    /// The struct breaks a rule of the format.
    #[error("cannot encode `{field}`: {reason}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// The rule it breaks.
        reason: &'static str,
    },
}

/// Result of reading.
pub type DecodeResult<T> = Result<T, DecodeError>;
/// Result of writing.
pub type EncodeResult<T> = Result<T, EncodeError>;
