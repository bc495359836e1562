//! [`FieldError`]: why a request message could not become a domain value, naming the field
//! at fault, and how that becomes an `INVALID_ARGUMENT` status.
//!
//! Conversions in [`crate::convert`] and [`crate::card`] return it; the daemon hands it back to
//! the client as a status with [`FieldError::to_status`] (or `tonic::Status::from`), whose
//! `ErrorInfo` names the field in the `field` metadata key (and the limit in `limit`).

use std::fmt;

use crate::status::reason_status;
use crate::v1::ErrorReason;

/// What is wrong with a field.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// A required field or oneof is not set.
    Missing,
    /// An enum field holds its `_UNSPECIFIED` value where a value is required.
    Unspecified,
    /// An enum field holds a number the contract does not define.
    UnknownEnumValue(i32),
    /// The value does not have the documented form.
    Malformed {
        /// What was expected, e.g. `an ISO 8601 date YYYY-MM-DD`.
        expected: &'static str,
    },
    /// The value is over its documented size limit.
    TooLarge {
        /// The limit.
        limit: usize,
        /// Its unit: `bytes`, `characters` or `entries`.
        unit: &'static str,
    },
    /// The NIK is not valid; the text says which rule failed (never the NIK itself).
    InvalidNik(String),
    /// A domain rule refused the value; the text says which (never the value itself).
    Invalid(String),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Missing => f.write_str("is required"),
            Problem::Unspecified => f.write_str("is unspecified"),
            Problem::UnknownEnumValue(n) => write!(f, "has the unknown enum value {n}"),
            Problem::Malformed { expected } => write!(f, "is not {expected}"),
            Problem::TooLarge { limit, unit } => write!(f, "is over its limit of {limit} {unit}"),
            Problem::InvalidNik(why) | Problem::Invalid(why) => f.write_str(why),
        }
    }
}

/// A request field that cannot be used, with the path of the field (`record.date_of_birth`).
///
/// Its `Display` never contains the field's value, so it may be logged and sent back.
///
/// ```
/// use rekam_proto::field::{FieldError, Problem};
/// use rekam_proto::status::reason_of;
/// use rekam_proto::v1::ErrorReason;
///
/// let err = FieldError::new("date_of_birth", Problem::Malformed { expected: "a date YYYY-MM-DD" })
///     .within("record");
/// assert_eq!(err.field(), "record.date_of_birth");
/// let status = err.to_status();
/// assert_eq!(status.code(), tonic::Code::InvalidArgument);
/// assert_eq!(reason_of(&status), Some(ErrorReason::InvalidArgument));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} {problem}")]
pub struct FieldError {
    field: String,
    problem: Problem,
}

impl FieldError {
    /// A problem with `field` (a proto field path, dot-separated).
    pub fn new(field: impl Into<String>, problem: Problem) -> Self {
        FieldError {
            field: field.into(),
            problem,
        }
    }

    /// The same error, with the field's path put under `parent` (`within("record")` turns
    /// `name` into `record.name`).
    #[must_use]
    pub fn within(mut self, parent: &str) -> Self {
        self.field = if self.field.is_empty() {
            parent.to_owned()
        } else {
            format!("{parent}.{}", self.field)
        };
        self
    }

    /// The path of the field at fault.
    pub fn field(&self) -> &str {
        &self.field
    }

    /// What is wrong with it.
    pub fn problem(&self) -> &Problem {
        &self.problem
    }

    /// The reason sent to the client: `INVALID_NIK`, `PAYLOAD_TOO_LARGE` or
    /// `INVALID_ARGUMENT`.
    pub fn reason(&self) -> ErrorReason {
        match self.problem {
            Problem::InvalidNik(_) => ErrorReason::InvalidNik,
            Problem::TooLarge { .. } => ErrorReason::PayloadTooLarge,
            _ => ErrorReason::InvalidArgument,
        }
    }

    /// The status for the client: `INVALID_ARGUMENT` with the reason, metadata `field` and,
    /// for size limits, `limit`.
    pub fn to_status(&self) -> tonic::Status {
        let mut metadata = vec![("field".to_owned(), self.field.clone())];
        if let Problem::TooLarge { limit, .. } = self.problem {
            metadata.push(("limit".to_owned(), limit.to_string()));
        }
        reason_status(self.reason(), self.to_string(), metadata)
    }
}

impl From<FieldError> for tonic::Status {
    fn from(err: FieldError) -> Self {
        err.to_status()
    }
}

/// Reads a proto enum field (an `i32` on the wire) as a domain value: an unknown number or the
/// `_UNSPECIFIED` value is a [`FieldError`] naming `field`.
///
/// `P` is the generated enum, `D` the domain type; `D: TryFrom<P>` refuses the unspecified
/// value.
///
/// ```
/// use rekam_proto::field::{enum_field, Problem};
/// use rekam_proto::v1;
///
/// let finger: rekam_hal::Finger = enum_field::<v1::Finger, _>("finger", 7).unwrap();
/// assert_eq!(finger, rekam_hal::Finger::LeftIndex);
/// let err = enum_field::<v1::Finger, rekam_hal::Finger>("fault.finger", 0).unwrap_err();
/// assert_eq!((err.field(), err.problem()), ("fault.finger", &Problem::Unspecified));
/// let err = enum_field::<v1::Finger, rekam_hal::Finger>("finger", 11).unwrap_err();
/// assert_eq!(err.problem(), &Problem::UnknownEnumValue(11));
/// ```
pub fn enum_field<P, D>(field: &str, raw: i32) -> Result<D, FieldError>
where
    P: TryFrom<i32>,
    D: TryFrom<P, Error = Unspecified>,
{
    let known =
        P::try_from(raw).map_err(|_| FieldError::new(field, Problem::UnknownEnumValue(raw)))?;
    D::try_from(known).map_err(|_| FieldError::new(field, Problem::Unspecified))
}

/// The error of converting a generated enum's `_UNSPECIFIED` value to a domain type, which
/// has no such value. [`enum_field`] turns it into a [`FieldError`] naming the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the enum value is unspecified")]
pub struct Unspecified;

/// Checks a length against a documented limit (see [`crate::limits`]).
///
/// ```
/// use rekam_proto::field::check_len;
/// assert!(check_len("note", 1024, 1024, "bytes").is_ok());
/// assert_eq!(check_len("note", 1025, 1024, "bytes").unwrap_err().field(), "note");
/// ```
pub fn check_len(
    field: &str,
    len: usize,
    limit: usize,
    unit: &'static str,
) -> Result<(), FieldError> {
    if len > limit {
        Err(FieldError::new(field, Problem::TooLarge { limit, unit }))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::{error_info_of, reason_of};

    #[test]
    fn too_large_becomes_payload_too_large_with_the_limit() {
        let status: tonic::Status = FieldError::new(
            "photo_jpeg",
            Problem::TooLarge {
                limit: 2_097_152,
                unit: "bytes",
            },
        )
        .into();
        assert_eq!(status.code(), tonic::Code::InvalidArgument);
        assert_eq!(reason_of(&status), Some(ErrorReason::PayloadTooLarge));
        let info = error_info_of(&status).unwrap();
        assert_eq!(info.metadata["field"], "photo_jpeg");
        assert_eq!(info.metadata["limit"], "2097152");
    }

    #[test]
    fn nik_problems_become_invalid_nik() {
        let err = FieldError::new(
            "nik",
            Problem::InvalidNik("a NIK has only the digits 0-9".into()),
        );
        assert_eq!(reason_of(&err.to_status()), Some(ErrorReason::InvalidNik));
        assert_eq!(err.to_string(), "nik a NIK has only the digits 0-9");
    }

    #[test]
    fn within_nests_paths() {
        let err = FieldError::new("country", Problem::Missing)
            .within("citizenship")
            .within("record");
        assert_eq!(err.field(), "record.citizenship.country");
        assert_eq!(
            FieldError::new("", Problem::Missing)
                .within("biometrics")
                .field(),
            "biometrics"
        );
    }
}
