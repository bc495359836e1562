//! What can go wrong in a command, and the exit status each failure gives.
//!
//! | exit | meaning |
//! | --- | --- |
//! | 0 | success (also a deferred demo job, and Ctrl-C on `watch`) |
//! | 1 | the daemon refused, or reported a failure (a failed self-test, a failed job) |
//! | 2 | usage (clap) |
//! | 3 | the daemon is unreachable |
//! | 130 | interrupted by Ctrl-C |
//!
//! A gRPC status is "unreachable" only when it is `UNAVAILABLE` and carries no `rekam.v1`
//! `ErrorInfo`: that is the transport failing. `UNAVAILABLE` with a reason (`DEVICE_BUSY`,
//! `DEVICE_DISCONNECTED`, `PRINTER_OFFLINE`) is the daemon answering, so it is a refusal.

use std::io;

use rekam_proto::status::{error_info_of, reason_of};

/// Exit status: success.
pub const EXIT_OK: u8 = 0;
/// Exit status: the daemon refused or reported a failure.
pub const EXIT_REFUSED: u8 = 1;
/// Exit status: usage error (clap uses it too).
pub const EXIT_USAGE: u8 = 2;
/// Exit status: the daemon is unreachable.
pub const EXIT_UNREACHABLE: u8 = 3;
/// Exit status: interrupted by Ctrl-C.
pub const EXIT_INTERRUPTED: u8 = 130;

/// The hint printed when the daemon cannot be reached.
pub const START_HINT: &str = "is rekamd running? start it with target/release/rekamd";

/// A command's failure.
#[derive(Debug, thiserror::Error)]
pub enum CtlError {
    /// The daemon could not be reached (no socket, connection refused, no answer to connect).
    #[error("cannot reach rekamd at {target}: {detail}")]
    Unreachable {
        /// The socket path or URI tried.
        target: String,
        /// Why, from the transport.
        detail: String,
        /// The operating system refused access to the socket (group membership).
        permission: bool,
    },
    /// A call ended with a gRPC status.
    #[error("{}", .status.message())]
    Status {
        /// The status.
        status: tonic::Status,
        /// The socket path or URI, for the unreachable hint.
        target: String,
    },
    /// The daemon answered, and the answer is a failure (a self-test did not pass, a capture
    /// kept nothing, a job failed). `code` names it in the `[CODE]` suffix.
    #[error("{message}")]
    Failed {
        /// What failed, in English.
        message: String,
        /// A stable upper-case code: an `ErrorReason` name or a CLI code such as
        /// `SELFTEST_FAILED`.
        code: String,
    },
    /// Ctrl-C.
    #[error("interrupted")]
    Interrupted,
    /// Writing the output failed.
    #[error("cannot write the output: {0}")]
    Output(#[from] io::Error),
}

impl CtlError {
    /// A call's status, with the target it was sent to.
    pub fn status(status: tonic::Status, target: &str) -> Self {
        Self::Status {
            status,
            target: target.to_owned(),
        }
    }

    /// The process exit status for this failure.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Unreachable { .. } => EXIT_UNREACHABLE,
            Self::Status { status, .. } => status_exit_code(status),
            Self::Failed { .. } => EXIT_REFUSED,
            Self::Interrupted => EXIT_INTERRUPTED,
            // A closed pipe (`rekamctl watch | head`) is how a reader says "enough".
            Self::Output(e) if e.kind() == io::ErrorKind::BrokenPipe => EXIT_OK,
            Self::Output(_) => EXIT_REFUSED,
        }
    }

    /// Writes the error for a human: `error: <message> [<REASON>]`, then hints.
    pub fn report(&self, err: &mut dyn io::Write) -> io::Result<()> {
        match self {
            Self::Unreachable { permission, .. } => {
                writeln!(err, "error: {self}")?;
                if *permission {
                    writeln!(
                        err,
                        "hint: the socket is there but you may not open it: add your user to group rekam (then log in again)"
                    )?;
                } else {
                    writeln!(
                        err,
                        "hint: {START_HINT}, or point --socket (REKAM_SOCKET) at its socket"
                    )?;
                }
            }
            Self::Status { status, target } => {
                writeln!(
                    err,
                    "error: {} [{}]",
                    message_of(status),
                    status_code_name(status)
                )?;
                if status_exit_code(status) == EXIT_UNREACHABLE {
                    writeln!(
                        err,
                        "hint: the connection to rekamd at {target} failed; {START_HINT}"
                    )?;
                }
            }
            Self::Failed { message, code } => writeln!(err, "error: {message} [{code}]")?,
            Self::Interrupted => writeln!(err, "interrupted")?,
            Self::Output(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
            Self::Output(_) => writeln!(err, "error: {self}")?,
        }
        Ok(())
    }
}

/// The exit status for a gRPC status: 3 for a transport `UNAVAILABLE` (no `rekam.v1`
/// `ErrorInfo`), 1 for everything else the daemon says.
pub fn status_exit_code(status: &tonic::Status) -> u8 {
    if status.code() == tonic::Code::Unavailable && error_info_of(status).is_none() {
        EXIT_UNREACHABLE
    } else {
        EXIT_REFUSED
    }
}

/// The code shown in brackets: the `ErrorReason` name ([`reason_of`]), else the reason
/// string of a newer server's `ErrorInfo`, else the gRPC code name (`UNAVAILABLE`).
pub fn status_code_name(status: &tonic::Status) -> String {
    if let Some(reason) = reason_of(status) {
        return reason.as_str_name().to_owned();
    }
    if let Some(info) = error_info_of(status) {
        if !info.reason.is_empty() {
            return info.reason;
        }
    }
    grpc_code_name(status.code()).to_owned()
}

fn message_of(status: &tonic::Status) -> String {
    if status.message().is_empty() {
        format!("the call failed with {}", grpc_code_name(status.code()))
    } else {
        status.message().to_owned()
    }
}

/// The gRPC code's canonical name (`FAILED_PRECONDITION`).
pub fn grpc_code_name(code: tonic::Code) -> &'static str {
    use tonic::Code as C;
    match code {
        C::Ok => "OK",
        C::Cancelled => "CANCELLED",
        C::Unknown => "UNKNOWN",
        C::InvalidArgument => "INVALID_ARGUMENT",
        C::DeadlineExceeded => "DEADLINE_EXCEEDED",
        C::NotFound => "NOT_FOUND",
        C::AlreadyExists => "ALREADY_EXISTS",
        C::PermissionDenied => "PERMISSION_DENIED",
        C::ResourceExhausted => "RESOURCE_EXHAUSTED",
        C::FailedPrecondition => "FAILED_PRECONDITION",
        C::Aborted => "ABORTED",
        C::OutOfRange => "OUT_OF_RANGE",
        C::Unimplemented => "UNIMPLEMENTED",
        C::Internal => "INTERNAL",
        C::Unavailable => "UNAVAILABLE",
        C::DataLoss => "DATA_LOSS",
        C::Unauthenticated => "UNAUTHENTICATED",
    }
}

#[cfg(test)]
mod tests {
    use rekam_proto::status::{error_status, reason_status};
    use rekam_proto::v1::ErrorReason;
    use tonic::Code;

    use super::*;

    fn report(e: &CtlError) -> String {
        let mut buf = Vec::new();
        e.report(&mut buf).unwrap();
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn transport_unavailable_is_unreachable_and_reasons_are_refusals() {
        let plain = tonic::Status::unavailable("tcp connect error");
        assert_eq!(status_exit_code(&plain), EXIT_UNREACHABLE);
        let busy = reason_status(ErrorReason::DeviceBusy, "sim:fingerprint:0 is busy", []);
        assert_eq!(busy.code(), Code::Unavailable);
        assert_eq!(status_exit_code(&busy), EXIT_REFUSED);
        for code in [
            Code::NotFound,
            Code::FailedPrecondition,
            Code::InvalidArgument,
            Code::Internal,
            Code::DeadlineExceeded,
            Code::PermissionDenied,
            Code::Unknown,
        ] {
            assert_eq!(
                status_exit_code(&tonic::Status::new(code, "x")),
                EXIT_REFUSED,
                "{code:?}"
            );
        }
    }

    #[test]
    fn refusals_print_the_reason() {
        let e = CtlError::status(
            reason_status(
                ErrorReason::DeviceBusy,
                "sim:fingerprint:0 is leased to a session",
                [],
            ),
            "/tmp/x.sock",
        );
        assert_eq!(e.exit_code(), EXIT_REFUSED);
        assert_eq!(
            report(&e),
            "error: sim:fingerprint:0 is leased to a session [DEVICE_BUSY]\n"
        );
        let e = CtlError::status(
            error_status(
                Code::NotFound,
                ErrorReason::SessionNotFound,
                "no session ses_X",
                [],
            ),
            "/tmp/x.sock",
        );
        assert_eq!(report(&e), "error: no session ses_X [SESSION_NOT_FOUND]\n");
        // No ErrorInfo: the gRPC code names it.
        let e = CtlError::status(tonic::Status::unimplemented(""), "/tmp/x.sock");
        assert_eq!(
            report(&e),
            "error: the call failed with UNIMPLEMENTED [UNIMPLEMENTED]\n"
        );
    }

    #[test]
    fn unreachable_prints_the_target_and_the_hint() {
        let e = CtlError::Unreachable {
            target: "/nonexistent.sock".into(),
            detail: "No such file or directory (os error 2)".into(),
            permission: false,
        };
        assert_eq!(e.exit_code(), EXIT_UNREACHABLE);
        let text = report(&e);
        assert!(text.starts_with("error: cannot reach rekamd at /nonexistent.sock: No such file"));
        assert!(text.contains(START_HINT), "{text}");
        let e = CtlError::status(
            tonic::Status::unavailable("connection reset"),
            "/tmp/x.sock",
        );
        assert_eq!(e.exit_code(), EXIT_UNREACHABLE);
        assert!(report(&e).contains(START_HINT));
    }

    #[test]
    fn other_failures() {
        let e = CtlError::Failed {
            message: "self-test failed".into(),
            code: "SELFTEST_FAILED".into(),
        };
        assert_eq!(e.exit_code(), EXIT_REFUSED);
        assert_eq!(report(&e), "error: self-test failed [SELFTEST_FAILED]\n");
        assert_eq!(CtlError::Interrupted.exit_code(), EXIT_INTERRUPTED);
        let pipe = CtlError::Output(io::Error::from(io::ErrorKind::BrokenPipe));
        assert_eq!(pipe.exit_code(), EXIT_OK);
        assert_eq!(report(&pipe), "");
    }
}
