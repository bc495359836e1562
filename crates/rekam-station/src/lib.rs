//! # rekam-station: the station workflow
//!
//! The workflow. The state machines ([`enrolment`], [`issuance`]) are pure: no async, no
//! gRPC, no device I/O, no storage. [`station`] and [`registry`] put them to work.
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
//! - [`registry`]: the device registry: an actor thread per device, leases, status events.
//! - [`station`]: the facade that runs commands on leased devices and journals their events
//!   (async; the only module that touches devices and the journal).
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
pub mod registry;
pub mod station;
pub mod timing;

pub use config::{ConfigError, WorkflowConfig};
pub use enrolment::{Session, SessionEvent, SessionView};
pub use error::{Reason, WorkflowError, WorkflowErrorKind};
pub use ids::{JobId, OperatorId, PackageId, ReceiptId, SessionId};
pub use issuance::{Job, JobEvent, JobView, NextAction, Step, StepOutcome};
