//! # rekam-station: the station workflow
//!
//! The pure part of the workflow: no async, no gRPC, no device I/O, no storage.
//!
//! - [`enrolment`]: the enrolment session (perekaman): documents and eligibility, captures
//!   with thresholds and retry budgets, exceptions, finalize into a hash-chained package
//!   manifest.
//! - [`issuance`]: the issuance job: supplies, feed, encode, verify, print, eject, activate,
//!   hand over; rejects, deferrals with receipts, resume.
//! - [`config`]: the workflow configuration with its defaults from the seed documents.
//! - [`ids`]: typed ids (`ses_`, `job_`, `pkg_`, `rcp_` ULIDs; operator ids).
//! - [`error`]: [`WorkflowError`] with a kind and a stable [`Reason`].
//! - [`timing`]: step timings against the office's time standards.
//!
//! Both state machines are event-sourced: a `decide_*` method checks a command against the
//! state and returns events (or an error, and nothing changed); the caller journals the
//! events and `apply`s them; `replay` folds a journaled stream back into the same state.
//! Time and ids are parameters, so everything here is deterministic and testable alone.
//!
//! Architecture invariant: the NIK and the card record live inside [`enrolment::Session`]
//! and [`issuance::Job`] for the facade; views, manifests, errors and `Debug` output show
//! only the masked NIK.
#![forbid(unsafe_code)]

pub mod config;
pub mod enrolment;
pub mod error;
pub mod ids;
pub mod issuance;
pub mod timing;

pub use config::{ConfigError, WorkflowConfig};
pub use enrolment::{Session, SessionEvent, SessionView};
pub use error::{Reason, WorkflowError, WorkflowErrorKind};
pub use ids::{JobId, OperatorId, PackageId, ReceiptId, SessionId};
pub use issuance::{Job, JobEvent, JobView, NextAction, Step, StepOutcome};
