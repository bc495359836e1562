//! Workflow errors: why a command was refused, with a coarse [`WorkflowErrorKind`] (what the
//! gRPC status code will be) and a stable [`Reason`] (the `google.rpc.ErrorInfo.reason` of
//! `rekam.v1`, also used in job steps and deferrals).
//!
//! A refused command changes nothing: every `decide_*` method returns either events or one of
//! these errors. Messages and metadata never contain a NIK, a name or biometric data.

use std::fmt;

use rekam_card::NikError;
use serde::{Deserialize, Serialize};

use crate::enrolment::CaptureTarget;
use crate::ids::IdError;

fn target_list(targets: &[CaptureTarget]) -> String {
    targets
        .iter()
        .map(|t| t.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// What kind of failure an error is; one place in the daemon maps it to a gRPC code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WorkflowErrorKind {
    /// The command itself is malformed (bad NIK, bad id, field too large). Do not retry
    /// unchanged.
    InvalidArgument,
    /// An id names nothing.
    NotFound,
    /// The command is valid but the state does not allow it now.
    FailedPrecondition,
    /// A consumable ran out.
    ResourceExhausted,
    /// A bug or an inconsistent journal.
    Internal,
}

/// The stable reason of a failure. The variant names are the `rekam.v1.ErrorReason` value
/// names in CamelCase; [`Reason::as_str`] gives the wire string (`INVALID_NIK`).
///
/// Besides command errors, reasons describe why an issuance step failed
/// ([`crate::issuance::StepOutcome::Failed`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Reason {
    /// The NIK is not 16 digits with a valid province code, birth date and serial.
    InvalidNik,
    /// A field is missing, unspecified or malformed.
    InvalidArgument,
    /// A field is over its documented size limit.
    PayloadTooLarge,
    /// No session has this id.
    SessionNotFound,
    /// No job has this id.
    JobNotFound,
    /// The session or job is not in a state that allows this command.
    StepOutOfOrder,
    /// Finalize while some item is still pending.
    SessionNotComplete,
    /// Under 17 and never married.
    NotEligible,
    /// Documents the office requires for the application type were not presented.
    DocumentsMissing,
    /// The retry budget of a capture target or of activation is used up.
    RetryBudgetExhausted,
    /// The record is not PRR (Print Ready Record).
    NotPrintReady,
    /// No blank cards (or no paper).
    OutOfBlanks,
    /// The ribbon (or toner) is used up.
    RibbonOut,
    /// A card is jammed in the printer.
    PrinterJam,
    /// The printer is offline.
    PrinterOffline,
    /// Writing the chip failed.
    ChipWriteFailed,
    /// Reading back the chip did not give what was written.
    ChipVerifyFailed,
    /// The live finger did not match the fingerprint on the chip.
    FingerprintMismatch,
    /// The call was cancelled.
    Cancelled,
    /// A bug or an unexpected state.
    Internal,
    /// The card was taken out of the encoder or printer while it was worked on.
    CardRemoved,
    /// The device reported a hardware or protocol fault.
    DeviceFault,
    /// The device did not answer in time.
    DeviceTimeout,
    /// The device was unplugged or powered off.
    DeviceDisconnected,
    /// The device is leased to another call or reports itself busy.
    DeviceBusy,
    /// HandOver without the resident's signed receipt (bukti penerimaan).
    ReceiptNotSigned,
}

impl Reason {
    /// The wire name, e.g. `INVALID_NIK`.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::InvalidNik => "INVALID_NIK",
            Reason::InvalidArgument => "INVALID_ARGUMENT",
            Reason::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            Reason::SessionNotFound => "SESSION_NOT_FOUND",
            Reason::JobNotFound => "JOB_NOT_FOUND",
            Reason::StepOutOfOrder => "STEP_OUT_OF_ORDER",
            Reason::SessionNotComplete => "SESSION_NOT_COMPLETE",
            Reason::NotEligible => "NOT_ELIGIBLE",
            Reason::DocumentsMissing => "DOCUMENTS_MISSING",
            Reason::RetryBudgetExhausted => "RETRY_BUDGET_EXHAUSTED",
            Reason::NotPrintReady => "NOT_PRINT_READY",
            Reason::OutOfBlanks => "OUT_OF_BLANKS",
            Reason::RibbonOut => "RIBBON_OUT",
            Reason::PrinterJam => "PRINTER_JAM",
            Reason::PrinterOffline => "PRINTER_OFFLINE",
            Reason::ChipWriteFailed => "CHIP_WRITE_FAILED",
            Reason::ChipVerifyFailed => "CHIP_VERIFY_FAILED",
            Reason::FingerprintMismatch => "FINGERPRINT_MISMATCH",
            Reason::Cancelled => "CANCELLED",
            Reason::Internal => "INTERNAL",
            Reason::CardRemoved => "CARD_REMOVED",
            Reason::DeviceFault => "DEVICE_FAULT",
            Reason::DeviceTimeout => "DEVICE_TIMEOUT",
            Reason::DeviceDisconnected => "DEVICE_DISCONNECTED",
            Reason::DeviceBusy => "DEVICE_BUSY",
            Reason::ReceiptNotSigned => "RECEIPT_NOT_SIGNED",
        }
    }

    /// Every reason, in declaration order.
    pub const ALL: [Reason; 26] = [
        Reason::InvalidNik,
        Reason::InvalidArgument,
        Reason::PayloadTooLarge,
        Reason::SessionNotFound,
        Reason::JobNotFound,
        Reason::StepOutOfOrder,
        Reason::SessionNotComplete,
        Reason::NotEligible,
        Reason::DocumentsMissing,
        Reason::RetryBudgetExhausted,
        Reason::NotPrintReady,
        Reason::OutOfBlanks,
        Reason::RibbonOut,
        Reason::PrinterJam,
        Reason::PrinterOffline,
        Reason::ChipWriteFailed,
        Reason::ChipVerifyFailed,
        Reason::FingerprintMismatch,
        Reason::Cancelled,
        Reason::Internal,
        Reason::CardRemoved,
        Reason::DeviceFault,
        Reason::DeviceTimeout,
        Reason::DeviceDisconnected,
        Reason::DeviceBusy,
        Reason::ReceiptNotSigned,
    ];
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a workflow command was refused. The state is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkflowError {
    /// The NIK does not parse.
    #[error("invalid NIK: {0}")]
    InvalidNik(#[from] NikError),
    /// A field is missing or malformed.
    #[error("invalid {field}: {message}")]
    InvalidArgument {
        /// The request field at fault, e.g. `session_id` or `qualities`.
        field: String,
        /// What is wrong with it (no personal data).
        message: String,
    },
    /// A field is over its size limit.
    #[error("{field} is over its limit of {limit}")]
    PayloadTooLarge {
        /// The request field at fault.
        field: String,
        /// The limit, with its unit (e.g. `1024 bytes`, `32 entries`).
        limit: String,
    },
    /// No session has this id.
    #[error("no session {session_id}")]
    SessionNotFound {
        /// The id asked for.
        session_id: String,
    },
    /// No job has this id.
    #[error("no job {job_id}")]
    JobNotFound {
        /// The id asked for.
        job_id: String,
    },
    /// The session or job is not in a state that allows the command.
    #[error("{subject} is {state}: {message}")]
    StepOutOfOrder {
        /// The session or job id.
        subject: String,
        /// Its current state, as the `rekam.v1` enum value name (`SESSION_STATE_FINALIZED`,
        /// `JOB_STATE_AWAITING_ACTIVATION`).
        state: &'static str,
        /// What was refused and why.
        message: String,
    },
    /// Finalize while some items are pending.
    #[error(
        "session {session_id} still has pending items in: {}",
        target_list(missing)
    )]
    SessionNotComplete {
        /// The session id.
        session_id: String,
        /// The capture targets with pending items, in the recommended order.
        missing: Vec<CaptureTarget>,
    },
    /// The applicant is under the eligibility age and has never been married.
    #[error("the applicant is under the eligibility age and has never been married")]
    NotEligible,
    /// Required documents were not presented.
    #[error("documents missing: {}", missing.join(", "))]
    DocumentsMissing {
        /// The missing document codes, in the configured order.
        missing: Vec<String>,
    },
    /// The retry budget of a capture target or of activation is used up.
    #[error("{subject}: the retry budget of {what} is used up")]
    RetryBudgetExhausted {
        /// The session or job id.
        subject: String,
        /// The capture target (`capture.left_slap`) or `activation`.
        what: String,
    },
    /// The record is not PRR, so no card may be printed.
    #[error("job {job_id}: the record is not print-ready (PRR)")]
    NotPrintReady {
        /// The job id.
        job_id: String,
    },
    /// HandOver without the signed receipt.
    #[error("job {job_id}: the handover receipt is not signed")]
    ReceiptNotSigned {
        /// The job id.
        job_id: String,
    },
    /// A bug or an inconsistent journal.
    #[error("internal error: {0}")]
    Internal(String),
}

impl WorkflowError {
    /// The coarse kind (the gRPC code family).
    pub fn kind(&self) -> WorkflowErrorKind {
        match self {
            WorkflowError::InvalidNik(_)
            | WorkflowError::InvalidArgument { .. }
            | WorkflowError::PayloadTooLarge { .. } => WorkflowErrorKind::InvalidArgument,
            WorkflowError::SessionNotFound { .. } | WorkflowError::JobNotFound { .. } => {
                WorkflowErrorKind::NotFound
            }
            WorkflowError::StepOutOfOrder { .. }
            | WorkflowError::SessionNotComplete { .. }
            | WorkflowError::NotEligible
            | WorkflowError::DocumentsMissing { .. }
            | WorkflowError::RetryBudgetExhausted { .. }
            | WorkflowError::NotPrintReady { .. }
            | WorkflowError::ReceiptNotSigned { .. } => WorkflowErrorKind::FailedPrecondition,
            WorkflowError::Internal(_) => WorkflowErrorKind::Internal,
        }
    }

    /// The stable reason.
    pub fn reason(&self) -> Reason {
        match self {
            WorkflowError::InvalidNik(_) => Reason::InvalidNik,
            WorkflowError::InvalidArgument { .. } => Reason::InvalidArgument,
            WorkflowError::PayloadTooLarge { .. } => Reason::PayloadTooLarge,
            WorkflowError::SessionNotFound { .. } => Reason::SessionNotFound,
            WorkflowError::JobNotFound { .. } => Reason::JobNotFound,
            WorkflowError::StepOutOfOrder { .. } => Reason::StepOutOfOrder,
            WorkflowError::SessionNotComplete { .. } => Reason::SessionNotComplete,
            WorkflowError::NotEligible => Reason::NotEligible,
            WorkflowError::DocumentsMissing { .. } => Reason::DocumentsMissing,
            WorkflowError::RetryBudgetExhausted { .. } => Reason::RetryBudgetExhausted,
            WorkflowError::NotPrintReady { .. } => Reason::NotPrintReady,
            WorkflowError::ReceiptNotSigned { .. } => Reason::ReceiptNotSigned,
            WorkflowError::Internal(_) => Reason::Internal,
        }
    }

    /// The `ErrorInfo.metadata` pairs for this error (keys from `common.proto`: `field`,
    /// `limit`, `session_id`, `job_id`, `state`, `missing`), values as `common.proto`
    /// documents them (`state` and the `missing` targets as `rekam.v1` enum value names,
    /// missing documents as their codes). Never personal data.
    pub fn metadata(&self) -> Vec<(&'static str, String)> {
        let subject_key = |s: &str| {
            if s.starts_with("job_") {
                "job_id"
            } else {
                "session_id"
            }
        };
        match self {
            WorkflowError::InvalidNik(_) => vec![("field", "nik".to_owned())],
            WorkflowError::InvalidArgument { field, .. } => vec![("field", field.clone())],
            WorkflowError::PayloadTooLarge { field, limit } => {
                vec![("field", field.clone()), ("limit", limit.clone())]
            }
            WorkflowError::SessionNotFound { session_id } => {
                vec![("session_id", session_id.clone())]
            }
            WorkflowError::JobNotFound { job_id } => vec![("job_id", job_id.clone())],
            WorkflowError::StepOutOfOrder { subject, state, .. } => vec![
                (subject_key(subject), subject.clone()),
                ("state", (*state).to_owned()),
            ],
            WorkflowError::SessionNotComplete {
                session_id,
                missing,
            } => vec![
                ("session_id", session_id.clone()),
                (
                    "missing",
                    missing
                        .iter()
                        .map(|t| t.proto_name())
                        .collect::<Vec<_>>()
                        .join(","),
                ),
            ],
            WorkflowError::NotEligible | WorkflowError::Internal(_) => Vec::new(),
            WorkflowError::DocumentsMissing { missing } => vec![("missing", missing.join(","))],
            WorkflowError::RetryBudgetExhausted { subject, .. } => {
                vec![(subject_key(subject), subject.clone())]
            }
            WorkflowError::NotPrintReady { job_id }
            | WorkflowError::ReceiptNotSigned { job_id } => {
                vec![("job_id", job_id.clone())]
            }
        }
    }

    /// An invalid-argument error.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        WorkflowError::InvalidArgument {
            field: field.into(),
            message: message.into(),
        }
    }

    /// A payload-too-large error.
    pub fn too_large(field: impl Into<String>, limit: impl Into<String>) -> Self {
        WorkflowError::PayloadTooLarge {
            field: field.into(),
            limit: limit.into(),
        }
    }
}

impl From<IdError> for WorkflowError {
    fn from(e: IdError) -> Self {
        WorkflowError::InvalidArgument {
            field: e.field().to_owned(),
            message: e.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_names_are_screaming_snake_of_the_variant() {
        for r in Reason::ALL {
            let debug = format!("{r:?}");
            let mut expected = String::new();
            for (i, c) in debug.chars().enumerate() {
                if c.is_ascii_uppercase() && i > 0 {
                    expected.push('_');
                }
                expected.push(c.to_ascii_uppercase());
            }
            assert_eq!(r.as_str(), expected);
            assert_eq!(
                serde_json::to_string(&r).unwrap(),
                format!("\"{expected}\"")
            );
        }
    }

    #[test]
    fn kinds_and_reasons() {
        let nik = rekam_card::Nik::parse("3508014501000000").unwrap_err();
        let e = WorkflowError::from(nik);
        assert_eq!(
            (e.kind(), e.reason()),
            (WorkflowErrorKind::InvalidArgument, Reason::InvalidNik)
        );
        assert!(!e.to_string().contains("35080145"));
        let e = WorkflowError::DocumentsMissing {
            missing: vec!["KK_COPY".into(), "OLD_CARD".into()],
        };
        assert_eq!(e.kind(), WorkflowErrorKind::FailedPrecondition);
        assert_eq!(
            e.metadata(),
            vec![("missing", "KK_COPY,OLD_CARD".to_owned())]
        );
        let e = WorkflowError::from("ses_x".parse::<crate::ids::SessionId>().unwrap_err());
        assert_eq!(e.reason(), Reason::InvalidArgument);
        assert_eq!(e.metadata(), vec![("field", "session_id".to_owned())]);
        let e = WorkflowError::StepOutOfOrder {
            subject: "job_01JD3Z6K8T9W4Q2M5N7P0R1S2V".into(),
            state: "JOB_STATE_DEFERRED",
            message: "x".into(),
        };
        assert_eq!(e.metadata()[0].0, "job_id");
        assert_eq!(
            WorkflowError::Internal("x".into()).kind(),
            WorkflowErrorKind::Internal
        );
    }
}
