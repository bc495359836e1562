//! The error model on the wire: the one place that turns an [`ErrorReason`] into a
//! [`tonic::Status`] and back.
//!
//! Every failed call carries a gRPC code plus exactly one `google.rpc.ErrorInfo` detail with
//! `reason` = the [`ErrorReason`] value name (e.g. `"SESSION_NOT_FOUND"`), `domain` =
//! [`ERROR_DOMAIN`] and string metadata (see `proto/rekam/v1/common.proto`). Servers build
//! statuses with [`reason_status`] (the documented code for the reason) or [`error_status`]
//! (an explicit code); clients read them back with [`reason_of`] and [`error_info_of`].
//!
//! ```
//! use rekam_proto::status::{reason_of, reason_status};
//! use rekam_proto::v1::ErrorReason;
//!
//! let status = reason_status(
//!     ErrorReason::SessionNotFound,
//!     "no session ses_01JD3Z6K8T9W4Q2M5N7P0R1S2V",
//!     [("session_id".to_owned(), "ses_01JD3Z6K8T9W4Q2M5N7P0R1S2V".to_owned())],
//! );
//! assert_eq!(status.code(), tonic::Code::NotFound);
//! assert_eq!(reason_of(&status), Some(ErrorReason::SessionNotFound));
//! ```

use std::collections::HashMap;

use tonic::Code;
use tonic_types::{ErrorDetails, StatusExt};

pub use tonic_types::ErrorInfo;

use crate::v1::ErrorReason;

/// The `google.rpc.ErrorInfo.domain` of every error the station sends.
pub const ERROR_DOMAIN: &str = "rekam.v1";

/// Builds a status with `code`, a human `message` (English, never personal data) and an
/// `ErrorInfo { reason: reason.as_str_name(), domain: "rekam.v1", metadata }`.
pub fn error_status(
    code: Code,
    reason: ErrorReason,
    message: impl Into<String>,
    metadata: impl IntoIterator<Item = (String, String)>,
) -> tonic::Status {
    let metadata: HashMap<String, String> = metadata.into_iter().collect();
    tonic::Status::with_error_details(
        code,
        message,
        ErrorDetails::with_error_info(reason.as_str_name(), ERROR_DOMAIN, metadata),
    )
}

/// Builds a status for `reason` with the code the contract documents for it
/// ([`canonical_code`]).
pub fn reason_status(
    reason: ErrorReason,
    message: impl Into<String>,
    metadata: impl IntoIterator<Item = (String, String)>,
) -> tonic::Status {
    error_status(canonical_code(reason), reason, message, metadata)
}

/// The gRPC code each reason comes with, as documented on the `ErrorReason` values in
/// `common.proto` (a test checks the two agree).
///
/// `FINGERPRINT_MISMATCH` is only ever a result field, never a status; should a server send
/// it as one, it goes with `FAILED_PRECONDITION`. `ERROR_REASON_UNSPECIFIED` maps to
/// `UNKNOWN`.
pub fn canonical_code(reason: ErrorReason) -> Code {
    use ErrorReason as R;
    match reason {
        R::Unspecified => Code::Unknown,
        R::InvalidNik | R::InvalidArgument | R::PayloadTooLarge => Code::InvalidArgument,
        R::SessionNotFound | R::JobNotFound | R::DeviceNotFound => Code::NotFound,
        R::StepOutOfOrder
        | R::SessionNotComplete
        | R::NotEligible
        | R::DocumentsMissing
        | R::DevicePermissionDenied
        | R::RetryBudgetExhausted
        | R::NotPrintReady
        | R::FingerprintMismatch
        | R::NotSimulated
        | R::DeviceUnsupported
        | R::ReceiptNotSigned => Code::FailedPrecondition,
        R::DeviceBusy | R::DeviceDisconnected | R::PrinterOffline => Code::Unavailable,
        R::DeviceTimeout => Code::DeadlineExceeded,
        R::DeviceFault
        | R::PrinterJam
        | R::ChipWriteFailed
        | R::ChipVerifyFailed
        | R::CardRemoved => Code::Aborted,
        R::Cancelled => Code::Cancelled,
        R::OutOfBlanks | R::RibbonOut => Code::ResourceExhausted,
        R::PermissionDenied => Code::PermissionDenied,
        R::Unauthenticated => Code::Unauthenticated,
        R::RequestIdConflict => Code::AlreadyExists,
        R::Internal => Code::Internal,
    }
}

/// The `ErrorInfo` of a status, when it has one in the `rekam.v1` domain.
pub fn error_info_of(status: &tonic::Status) -> Option<ErrorInfo> {
    status
        .get_details_error_info()
        .filter(|info| info.domain == ERROR_DOMAIN)
}

/// The reason of a status: `None` when it carries no `rekam.v1` `ErrorInfo` (e.g. a transport
/// error, or a status from another service) or names a reason this build does not know (a
/// newer server).
pub fn reason_of(status: &tonic::Status) -> Option<ErrorReason> {
    error_info_of(status).and_then(|info| ErrorReason::from_str_name(&info.reason))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::descriptor;

    /// Every `ErrorReason` value declared in the proto, read from the descriptor set.
    fn all_reasons() -> Vec<(ErrorReason, String)> {
        let values = descriptor::enum_values("rekam.v1.ErrorReason");
        assert!(values.len() > 30, "ErrorReason has {} values", values.len());
        values
            .into_iter()
            .map(|(name, number, comment)| {
                let reason = ErrorReason::try_from(number)
                    .unwrap_or_else(|_| panic!("{name} = {number} is not in the generated enum"));
                assert_eq!(reason.as_str_name(), name);
                (reason, comment)
            })
            .collect()
    }

    #[test]
    fn every_reason_round_trips_through_a_status() {
        for (reason, _) in all_reasons() {
            let status = error_status(
                Code::FailedPrecondition,
                reason,
                "message",
                [("device_id".to_owned(), "sim:fingerprint:0".to_owned())],
            );
            assert_eq!(status.code(), Code::FailedPrecondition);
            assert_eq!(status.message(), "message");
            assert_eq!(reason_of(&status), Some(reason), "{reason:?}");
            let info = error_info_of(&status).expect("ErrorInfo");
            assert_eq!(info.reason, reason.as_str_name());
            assert_eq!(info.domain, "rekam.v1");
            assert_eq!(
                info.metadata.get("device_id").map(String::as_str),
                Some("sim:fingerprint:0")
            );
        }
    }

    #[test]
    fn reasons_survive_the_wire_encoding() {
        // What a client sees: the status as gRPC trailers (grpc-status, grpc-message,
        // grpc-status-details-bin) and parsed back.
        for (reason, _) in all_reasons() {
            let sent = reason_status(reason, "m", []);
            let mut trailers = tonic::codegen::http::HeaderMap::new();
            sent.add_header(&mut trailers).unwrap();
            assert!(trailers.contains_key("grpc-status-details-bin"));
            let received = tonic::Status::from_header_map(&trailers).unwrap();
            assert_eq!(reason_of(&received), Some(reason));
            assert_eq!(received.code(), canonical_code(reason));
        }
    }

    #[test]
    fn reason_names_are_plain_error_info_reasons() {
        // google.rpc.ErrorInfo: at most 63 characters of [A-Z0-9_].
        for (reason, _) in all_reasons() {
            let name = reason.as_str_name();
            assert!(name.len() <= 63, "{name}");
            assert!(
                name.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_'),
                "{name}"
            );
        }
    }

    #[test]
    fn statuses_without_rekam_error_info_have_no_reason() {
        assert_eq!(reason_of(&tonic::Status::not_found("plain")), None);
        let foreign = tonic::Status::with_error_details(
            Code::NotFound,
            "other domain",
            ErrorDetails::with_error_info("SESSION_NOT_FOUND", "example.com", HashMap::new()),
        );
        assert_eq!(reason_of(&foreign), None);
        let unknown = tonic::Status::with_error_details(
            Code::NotFound,
            "newer server",
            ErrorDetails::with_error_info("SOMETHING_NEW", ERROR_DOMAIN, HashMap::new()),
        );
        assert_eq!(reason_of(&unknown), None);
        assert!(error_info_of(&unknown).is_some());
    }

    /// The gRPC code names and numbers (google/rpc/code.proto).
    fn code_by_name(name: &str) -> Option<Code> {
        let names = [
            "OK",
            "CANCELLED",
            "UNKNOWN",
            "INVALID_ARGUMENT",
            "DEADLINE_EXCEEDED",
            "NOT_FOUND",
            "ALREADY_EXISTS",
            "PERMISSION_DENIED",
            "RESOURCE_EXHAUSTED",
            "FAILED_PRECONDITION",
            "ABORTED",
            "OUT_OF_RANGE",
            "UNIMPLEMENTED",
            "INTERNAL",
            "UNAVAILABLE",
            "DATA_LOSS",
            "UNAUTHENTICATED",
        ];
        let number = names.iter().position(|n| *n == name)?;
        Some(Code::from_i32(i32::try_from(number).ok()?))
    }

    #[test]
    fn canonical_codes_match_the_proto_comments() {
        // Each ErrorReason value's comment starts with its gRPC code ("NOT_FOUND. No session
        // has this id."), except the two that are never a call's status.
        let mut without_code = Vec::new();
        for (reason, comment) in all_reasons() {
            let first = comment.trim_start().split('.').next().unwrap_or_default();
            match code_by_name(first) {
                Some(code) => assert_eq!(
                    canonical_code(reason),
                    code,
                    "{} is documented with {first}",
                    reason.as_str_name()
                ),
                None => without_code.push(reason),
            }
        }
        assert_eq!(
            without_code,
            vec![ErrorReason::Unspecified, ErrorReason::FingerprintMismatch]
        );
    }
}
