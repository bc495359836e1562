//! The enrolment session (perekaman): an event-sourced state machine, pure and synchronous.
//!
//! # Life cycle
//! [`Session::decide_open`] checks the NIK-derived eligibility and the documents and gives the
//! [`SessionEvent::Opened`] event; [`Session::replay`] folds a stream of events into a
//! [`Session`]. Each command is a `decide_*` method on `&Session` that either returns the new
//! events or a [`WorkflowError`] (and then nothing changed); the caller appends the events to
//! the journal, then [`Session::apply`]s them. Commands take time and ids as parameters, so the
//! same events always fold into the same state.
//!
//! The thresholds, retry budgets and time standards in force are copied into the `Opened`
//! event ([`SessionPolicy`]): a session keeps the policy it was opened with across restarts
//! and configuration changes, and [`Session::apply`] never looks at configuration. Every
//! decision (accepted, kept below threshold, budget reset) is written in the events.
//!
//! # Rules
//! - Eligibility: `eligibility_age` (17) or older on the session date, computed from the NIK's
//!   birth date (women's day + 40 removed, century inferred from the date); or ever married,
//!   and then under 17 the `married_minor_document` must be presented. Otherwise
//!   [`WorkflowError::NotEligible`]. Missing documents: [`WorkflowError::DocumentsMissing`]
//!   naming them (checked first, including the marriage certificate of a married minor).
//! - Biometrics are required for BARU, and for any type when the resident was never recorded;
//!   otherwise every item is `NotRequired` and the session can be finalized at once.
//! - Fourteen items in six capture targets (4-4-2 slaps). Every expected item ends `Captured`
//!   (its best attempt kept) or `Excepted` (reason, permanence, operator, photo: required for
//!   fingers and eyes; the face cannot be excepted).
//! - An attempt ([`Session::decide_attempt`]) is scored against the modality threshold
//!   (`score >= threshold` passes): a slap's or the thumbs' score is the floor of the mean of
//!   the fingers present (as MOSIP does), the irises' the lower of the two eyes, face and
//!   signature their own score. An attempt that misses an expected, non-excepted item (a
//!   partial slap) or shows the wrong hand is *refused*: it counts against the budget, keeps
//!   nothing, and its guidance names the missing finger (`PartialSlap`). Items shown that are
//!   excepted are ignored.
//! - Per item, the best-scoring attempt is kept (a later attempt replaces it only when it
//!   scores strictly higher). An accepted attempt completes the target (its items become
//!   `Captured`). When the target's retry budget is spent without an accepted attempt, the
//!   best attempts are kept ([`TargetOutcome::BestBelowThresholdKept`]) if every expected item
//!   has one; if every attempt was refused the target stays pending
//!   ([`TargetOutcome::RetryBudgetExhausted`]) and further attempts are refused with
//!   [`WorkflowError::RetryBudgetExhausted`].
//! - **Budget reset (decision):** recording an exception that removes an item from a target's
//!   expected set while the target is not complete gives that target a fresh retry budget:
//!   earlier attempts were judged against a presentation that is no longer expected (a slap
//!   with an amputated finger refused as partial). Re-recording an exception on an item that
//!   is already excepted does not reset anything. The way out of an exhausted target is thus
//!   exceptions for the missing items, or cancelling the session.
//! - A capture on a session that is not open, for a target that is not needed (already
//!   complete, biometrics not required, every item excepted) is
//!   [`WorkflowError::StepOutOfOrder`].
//! - Finalize needs every item `Captured`, `Excepted` or `NotRequired`
//!   ([`WorkflowError::SessionNotComplete`] lists the targets otherwise); finalizing a
//!   finalized session and cancelling a cancelled one are accepted and emit nothing.
//!
//! The NIK stays inside [`Session`] (the facade needs it for the card); views and manifests
//! carry only its masked form.

mod items;
mod manifest;

pub use items::{
    is_sha256_hex, ApplicationType, BlobRef, CaptureTarget, ExceptionReason, ItemKey, Modality,
    Permanence, UnknownItem,
};
pub use manifest::{
    chain_next, chain_root, EntryKind, Manifest, ManifestEntry, ManifestException, ManifestItem,
};

use std::collections::BTreeMap;

use rekam_card::{MaritalStatus, Nik};
use rekam_hal::{Guidance, GuidanceCode};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use crate::config::{is_document_code, RetryBudget, Thresholds, TimeStandards, WorkflowConfig};
use crate::error::WorkflowError;
use crate::ids::{OperatorId, PackageId, SessionId};
use crate::timing::StepTiming;

/// The most document codes an open command may carry.
pub const MAX_DOCUMENTS: usize = 32;
/// The longest note or reason text, in bytes.
pub const MAX_TEXT: usize = 1024;
/// The most guidance entries one attempt may carry.
pub const MAX_GUIDANCE: usize = 64;
/// The most quality measures one item of an attempt may carry.
pub const MAX_MEASURES: usize = 64;

/// Where a session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SessionState {
    /// Captures and exceptions may be recorded.
    Open,
    /// The package is built; nothing changes any more.
    Finalized,
    /// Closed without a package.
    Cancelled,
}

impl SessionState {
    /// The `rekam.v1.SessionState` value name, e.g. `SESSION_STATE_OPEN`.
    pub fn proto_name(self) -> &'static str {
        match self {
            SessionState::Open => "SESSION_STATE_OPEN",
            SessionState::Finalized => "SESSION_STATE_FINALIZED",
            SessionState::Cancelled => "SESSION_STATE_CANCELLED",
        }
    }
}

/// Where an item stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ItemState {
    /// Expected, not yet captured or excepted.
    Pending,
    /// Captured: the best attempt is kept.
    Captured,
    /// An exception is recorded.
    Excepted,
    /// Not needed in this session (biometrics already on record).
    NotRequired,
}

/// How one attempt went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AttemptOutcome {
    /// The target's score met the threshold.
    Accepted,
    /// Scored, below the threshold.
    BelowThreshold,
    /// Not scored: an expected item was missing (partial slap) or the wrong hand was shown.
    Refused,
}

/// How a target ended (or, for `RetryBudgetExhausted`, got stuck).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TargetOutcome {
    /// An attempt passed: the items are captured.
    Accepted,
    /// The budget is spent; the best attempts are kept below the threshold.
    BestBelowThresholdKept,
    /// The budget is spent and every attempt was refused: the items stay pending until
    /// exceptions are recorded (which resets the budget) or the session is cancelled.
    RetryBudgetExhausted,
}

impl TargetOutcome {
    /// True when the target is complete (its items captured).
    pub fn is_complete(self) -> bool {
        matches!(
            self,
            TargetOutcome::Accepted | TargetOutcome::BestBelowThresholdKept
        )
    }
}

/// The policy a session runs under, copied from the configuration when it opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionPolicy {
    /// Quality thresholds.
    pub thresholds: Thresholds,
    /// Retry budgets.
    pub retry_budget: RetryBudget,
    /// Time standards.
    pub time_standards: TimeStandards,
}

impl SessionPolicy {
    /// The policy part of a configuration.
    pub fn from_config(config: &WorkflowConfig) -> Self {
        SessionPolicy {
            thresholds: config.thresholds,
            retry_budget: config.retry_budget,
            time_standards: config.time_standards,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------------------

/// Opens a session. `Debug` shows the NIK masked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenSession {
    /// The new session's id (generated by the caller).
    pub session_id: SessionId,
    /// The applicant's NIK (the caller parses it: a bad NIK is `InvalidNik`).
    pub nik: Nik,
    /// The application type.
    pub application_type: ApplicationType,
    /// The codes of the documents presented at the counter. Unknown codes are kept.
    pub documents: Vec<String>,
    /// The marital status in SIAK.
    pub marital_status: MaritalStatus,
    /// True when SIAK has the applicant's biometrics already (ignored for BARU).
    pub previously_recorded: bool,
    /// The operator opening the session.
    pub operator: OperatorId,
    /// Today's date at the office (for the age).
    pub today: Date,
    /// Now.
    pub at: OffsetDateTime,
}

/// One attempt of a capture target, as the facade measured it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptData {
    /// The quality 0..100 of each item seen in the attempt (for a slap, each segmented
    /// finger). Items of other targets are refused; excepted items are ignored.
    pub qualities: Vec<(ItemKey, u8)>,
    /// The device's guidance for this attempt (a `WrongHand` or `DuplicateFinger` refuses the
    /// attempt).
    pub guidance: Vec<Guidance>,
    /// The measures behind each item's quality, as the station's checks took them (may be
    /// empty for an item; items not in `qualities` are refused).
    pub measures: Vec<(ItemKey, Vec<QualityMeasure>)>,
    /// The stored blob of each item seen (every expected item seen needs one).
    pub blobs: Vec<(ItemKey, BlobRef)>,
    /// The operator running the capture.
    pub operator: OperatorId,
    /// When the attempt completed.
    pub at: OffsetDateTime,
}

/// Records an exception.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordException {
    /// The finger, eye or signature (not the face).
    pub item: ItemKey,
    /// Why it cannot be captured.
    pub reason: ExceptionReason,
    /// Whether it lasts.
    pub permanence: Permanence,
    /// The operator recording it.
    pub operator: OperatorId,
    /// The stored evidence photo: required for fingers and eyes.
    pub photo: Option<BlobRef>,
    /// A free-text note (at most 1024 bytes, may be empty; no personal data).
    pub note: String,
    /// Now.
    pub at: OffsetDateTime,
}

/// What the facade needs to start a capture: the items the device should expect and the
/// attempt it opens. From [`Session::capture_plan`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapturePlan {
    /// The target.
    pub target: CaptureTarget,
    /// Its items that are not excepted (for a slap: the fingers the scanner should expect).
    pub expected: Vec<ItemKey>,
    /// The number the next attempt will have (from 1, over all calls).
    pub next_attempt: u32,
    /// Attempts left in the budget, including the next one.
    pub attempts_left: u32,
    /// The threshold that applies.
    pub threshold: u8,
}

// ---------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------

/// Something that happened to a session; the journal stores these (serde JSON).
///
/// `Debug` shows the NIK masked; serde carries it in full (the journal is encrypted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum SessionEvent {
    /// The session was opened.
    Opened(SessionOpened),
    /// An attempt was made on a target.
    AttemptRecorded(AttemptRecorded),
    /// An exception was recorded for an item.
    ExceptionRecorded(ExceptionRecorded),
    /// The session was finalized into a package.
    Finalized(SessionFinalized),
    /// The session was cancelled.
    Cancelled(SessionCancelled),
}

impl SessionEvent {
    /// When it happened.
    pub fn at(&self) -> OffsetDateTime {
        match self {
            SessionEvent::Opened(e) => e.at,
            SessionEvent::AttemptRecorded(e) => e.at,
            SessionEvent::ExceptionRecorded(e) => e.at,
            SessionEvent::Finalized(e) => e.at,
            SessionEvent::Cancelled(e) => e.at,
        }
    }
}

/// The session was opened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionOpened {
    /// The session id.
    pub session_id: SessionId,
    /// The applicant's NIK (full in serde, masked in `Debug`).
    pub nik: Nik,
    /// The application type.
    pub application_type: ApplicationType,
    /// The documents presented.
    pub documents: Vec<String>,
    /// The marital status.
    pub marital_status: MaritalStatus,
    /// Whether SIAK had biometrics on record.
    pub previously_recorded: bool,
    /// Whether biometrics are recorded in this session.
    pub biometrics_required: bool,
    /// The session date.
    #[serde(with = "crate::timing::iso_date")]
    pub date: Date,
    /// The policy in force.
    pub policy: SessionPolicy,
    /// The operator.
    pub operator: OperatorId,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// One item of a scored attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptItem {
    /// The item.
    pub item: ItemKey,
    /// Its quality, 0..100.
    pub score: u8,
    /// `score >= threshold` (reported per item; a slap is accepted on its mean).
    pub passes: bool,
    /// The stored sample.
    pub blob: BlobRef,
    /// The measures behind the score (empty in journals written before they were recorded).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub measures: Vec<QualityMeasure>,
}

/// One measure behind an item's quality score (orientation certainty of a finger, inter-eye
/// distance of a face, usable iris area, ...), with the acceptable range the station's
/// configuration gives it, so the operator sees why an attempt failed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct QualityMeasure {
    /// A stable snake_case name, prefixed by the modality (`finger.minutiae`,
    /// `face.inter_eye_distance`, `iris.usable_area`).
    pub name: String,
    /// The measured value, in the unit the name documents.
    pub value: f64,
    /// The smallest acceptable value, when the measure has a lower bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// The largest acceptable value, when the measure has an upper bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Whether the value is within its bounds (true when it has none).
    pub passes: bool,
}

impl QualityMeasure {
    /// A measure checked against optional bounds.
    pub fn new(name: impl Into<String>, value: f64, min: Option<f64>, max: Option<f64>) -> Self {
        let passes =
            value.is_finite() && min.is_none_or(|m| value >= m) && max.is_none_or(|m| value <= m);
        QualityMeasure {
            name: name.into(),
            value,
            min,
            max,
            passes,
        }
    }

    /// A measure reported for information, with no bounds.
    pub fn info(name: impl Into<String>, value: f64) -> Self {
        Self::new(name, value, None, None)
    }
}

/// Bitwise equality of the values, so journals compare exactly (and `Eq` holds).
impl PartialEq for QualityMeasure {
    fn eq(&self, other: &Self) -> bool {
        let bits = |v: Option<f64>| v.map(f64::to_bits);
        self.name == other.name
            && self.value.to_bits() == other.value.to_bits()
            && bits(self.min) == bits(other.min)
            && bits(self.max) == bits(other.max)
            && self.passes == other.passes
    }
}

impl Eq for QualityMeasure {}

/// An attempt on a target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptRecorded {
    /// The target.
    pub target: CaptureTarget,
    /// The attempt number within the target, from 1, over all calls.
    pub attempt: u32,
    /// How it went.
    pub outcome: AttemptOutcome,
    /// The target's score (mean of the fingers, lower eye, or the item), unless refused.
    pub score: Option<u8>,
    /// The threshold applied.
    pub threshold: u8,
    /// The expected items seen, with their scores and samples (empty when refused).
    pub items: Vec<AttemptItem>,
    /// Excepted items that were seen anyway (ignored).
    pub ignored: Vec<ItemKey>,
    /// Guidance for the next attempt (device guidance, plus `PartialSlap` per missing finger
    /// and `PoorQuality` per item below the threshold).
    pub guidance: Vec<Guidance>,
    /// Attempts left in the target's budget after this one.
    pub attempts_left: u32,
    /// Set when this attempt ends the target (or exhausts it).
    pub completes: Option<TargetOutcome>,
    /// The operator.
    pub operator: OperatorId,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// An exception was recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExceptionRecorded {
    /// The item.
    pub item: ItemKey,
    /// Why.
    pub reason: ExceptionReason,
    /// Whether it lasts.
    pub permanence: Permanence,
    /// The evidence photo.
    pub photo: Option<BlobRef>,
    /// The operator's note.
    pub note: String,
    /// True when the item's target got a fresh retry budget (see the module rules).
    pub resets_budget: bool,
    /// The operator.
    pub operator: OperatorId,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// The session was finalized.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionFinalized {
    /// The package id.
    pub package_id: PackageId,
    /// The standard record (ISO/IEC 19794) built from each kept sample, stored as a blob
    /// (empty in journals written before records were built).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub records: Vec<PackageRecord>,
    /// The operator.
    pub operator: OperatorId,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// A standard record of one captured item, in the package beside its sample.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageRecord {
    /// The item (CAPTURED when the session was finalized).
    pub item: ItemKey,
    /// The stored record.
    pub blob: BlobRef,
}

/// The session was cancelled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionCancelled {
    /// Why, as the operator gave it.
    pub reason: String,
    /// The operator.
    pub operator: OperatorId,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

// ---------------------------------------------------------------------------------------
// State
// ---------------------------------------------------------------------------------------

/// The kept (best) attempt of an item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptSample {
    /// Its quality.
    pub score: u8,
    /// The attempt number within the target.
    pub attempt: u32,
    /// The stored sample.
    pub blob: BlobRef,
    /// The position of the attempt's event in the session's stream (capture order).
    pub seq: u64,
    /// When it was captured.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// An exception as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExceptionInfo {
    /// Why.
    pub reason: ExceptionReason,
    /// Whether it lasts.
    pub permanence: Permanence,
    /// The operator who recorded it.
    pub operator: OperatorId,
    /// The operator's note.
    pub note: String,
    /// The evidence photo.
    pub photo: Option<BlobRef>,
    /// The position of the event in the session's stream.
    pub seq: u64,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// One item in the session state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemRecord {
    /// Where it stands.
    pub state: ItemState,
    /// The best scored attempt so far (kept even when the item is later excepted: the
    /// journal keeps it, the package does not).
    pub best: Option<KeptSample>,
    /// Attempts that expected this item.
    pub attempts: u32,
    /// The exception, when excepted.
    pub exception: Option<ExceptionInfo>,
}

/// One target in the session state.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TargetRecord {
    /// Attempts made, over all calls.
    pub attempts: u32,
    /// Attempts counted against the current budget (reset by exceptions, see the rules).
    pub budget_used: u32,
    /// Position of the first attempt in the stream.
    pub first_seq: Option<u64>,
    /// First attempt time.
    pub first_attempt_at: Option<OffsetDateTime>,
    /// Last attempt time.
    pub last_attempt_at: Option<OffsetDateTime>,
    /// How it ended, or that it is exhausted.
    pub outcome: Option<TargetOutcome>,
    /// When it completed.
    pub completed_at: Option<OffsetDateTime>,
}

/// An enrolment session, folded from its events. `Debug` shows the NIK masked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    opened: SessionOpened,
    state: SessionState,
    items: BTreeMap<ItemKey, ItemRecord>,
    targets: BTreeMap<CaptureTarget, TargetRecord>,
    closed_at: Option<OffsetDateTime>,
    finalized: Option<SessionFinalized>,
    cancelled: Option<SessionCancelled>,
    /// Events applied so far (the next event's position).
    seq: u64,
}

fn check_text(field: &str, text: &str, required: bool) -> Result<(), WorkflowError> {
    if required && text.trim().is_empty() {
        return Err(WorkflowError::invalid(field, "must not be empty"));
    }
    if text.len() > MAX_TEXT {
        return Err(WorkflowError::too_large(field, format!("{MAX_TEXT} bytes")));
    }
    Ok(())
}

impl Session {
    // --- opening and folding -----------------------------------------------------------

    /// Checks an open command against the configuration and gives the `Opened` event.
    ///
    /// Checks, in order: the document codes (shape, at most 32 of at most 64 bytes:
    /// `InvalidArgument` / `PayloadTooLarge`); the documents the type requires, plus the
    /// marriage certificate for a married applicant under the eligibility age
    /// (`DocumentsMissing`); eligibility (`NotEligible`). Checking that no other session for
    /// the NIK is open is the caller's job.
    pub fn decide_open(
        cmd: &OpenSession,
        config: &WorkflowConfig,
    ) -> Result<Vec<SessionEvent>, WorkflowError> {
        if cmd.documents.len() > MAX_DOCUMENTS {
            return Err(WorkflowError::too_large(
                "documents",
                format!("{MAX_DOCUMENTS} entries"),
            ));
        }
        for (i, code) in cmd.documents.iter().enumerate() {
            if code.len() > 64 {
                return Err(WorkflowError::too_large(
                    format!("documents[{i}]"),
                    "64 bytes",
                ));
            }
            if !is_document_code(code) {
                return Err(WorkflowError::invalid(
                    format!("documents[{i}]"),
                    "a document code is upper-case letters, digits and _",
                ));
            }
        }
        let age = cmd.nik.age_on(cmd.today, cmd.today).unwrap_or(0);
        let minor = age < u32::from(config.eligibility_age);
        let married = cmd.marital_status.ever_married();
        let mut required: Vec<&str> = config
            .documents
            .required(cmd.application_type)
            .iter()
            .map(String::as_str)
            .collect();
        if minor && married && !required.contains(&config.married_minor_document.as_str()) {
            required.push(&config.married_minor_document);
        }
        let missing: Vec<String> = required
            .into_iter()
            .filter(|r| !cmd.documents.iter().any(|d| d == r))
            .map(str::to_owned)
            .collect();
        if !missing.is_empty() {
            return Err(WorkflowError::DocumentsMissing { missing });
        }
        if minor && !married {
            return Err(WorkflowError::NotEligible);
        }
        let biometrics_required =
            cmd.application_type == ApplicationType::Baru || !cmd.previously_recorded;
        Ok(vec![SessionEvent::Opened(SessionOpened {
            session_id: cmd.session_id,
            nik: cmd.nik,
            application_type: cmd.application_type,
            documents: cmd.documents.clone(),
            marital_status: cmd.marital_status,
            previously_recorded: cmd.previously_recorded,
            biometrics_required,
            date: cmd.today,
            policy: SessionPolicy::from_config(config),
            operator: cmd.operator.clone(),
            at: cmd.at,
        })])
    }

    /// A session from its `Opened` event.
    pub fn from_opened(opened: SessionOpened) -> Session {
        let item_state = if opened.biometrics_required {
            ItemState::Pending
        } else {
            ItemState::NotRequired
        };
        let items = ItemKey::ALL
            .into_iter()
            .map(|k| {
                (
                    k,
                    ItemRecord {
                        state: item_state,
                        best: None,
                        attempts: 0,
                        exception: None,
                    },
                )
            })
            .collect();
        let targets = CaptureTarget::ALL
            .into_iter()
            .map(|t| (t, TargetRecord::default()))
            .collect();
        Session {
            opened,
            state: SessionState::Open,
            items,
            targets,
            closed_at: None,
            finalized: None,
            cancelled: None,
            seq: 1,
        }
    }

    /// Folds a stream of events (the first must be `Opened`) into a session.
    pub fn replay<'a, I>(events: I) -> Result<Session, WorkflowError>
    where
        I: IntoIterator<Item = &'a SessionEvent>,
    {
        let mut it = events.into_iter();
        let mut session = match it.next() {
            Some(SessionEvent::Opened(o)) => Session::from_opened(o.clone()),
            Some(_) => {
                return Err(WorkflowError::Internal(
                    "a session stream starts with Opened".into(),
                ))
            }
            None => return Err(WorkflowError::Internal("an empty session stream".into())),
        };
        for e in it {
            session.apply(e)?;
        }
        Ok(session)
    }

    /// Applies one event that a `decide_*` method gave (after it is journaled). Fails only on
    /// an event that cannot belong to this session (a second `Opened`, anything after the
    /// session closed): a corrupted or misrouted journal.
    pub fn apply(&mut self, event: &SessionEvent) -> Result<(), WorkflowError> {
        if self.state != SessionState::Open {
            return Err(WorkflowError::Internal(format!(
                "session {} is closed; no event applies",
                self.id()
            )));
        }
        let seq = self.seq;
        match event {
            SessionEvent::Opened(_) => {
                return Err(WorkflowError::Internal(format!(
                    "session {} is already open",
                    self.id()
                )))
            }
            SessionEvent::AttemptRecorded(a) => self.apply_attempt(a, seq),
            SessionEvent::ExceptionRecorded(x) => {
                let target = x.item.target();
                if let Some(rec) = self.items.get_mut(&x.item) {
                    rec.state = ItemState::Excepted;
                    rec.exception = Some(ExceptionInfo {
                        reason: x.reason,
                        permanence: x.permanence,
                        operator: x.operator.clone(),
                        note: x.note.clone(),
                        photo: x.photo.clone(),
                        seq,
                        at: x.at,
                    });
                }
                if x.resets_budget {
                    if let Some(t) = self.targets.get_mut(&target) {
                        t.budget_used = 0;
                        if t.outcome == Some(TargetOutcome::RetryBudgetExhausted) {
                            t.outcome = None;
                        }
                    }
                }
            }
            SessionEvent::Finalized(f) => {
                self.state = SessionState::Finalized;
                self.closed_at = Some(f.at);
                self.finalized = Some(f.clone());
            }
            SessionEvent::Cancelled(c) => {
                self.state = SessionState::Cancelled;
                self.closed_at = Some(c.at);
                self.cancelled = Some(c.clone());
            }
        }
        self.seq += 1;
        Ok(())
    }

    fn apply_attempt(&mut self, a: &AttemptRecorded, seq: u64) {
        let expected = self.expected(a.target);
        if let Some(t) = self.targets.get_mut(&a.target) {
            t.attempts += 1;
            t.budget_used += 1;
            t.first_seq.get_or_insert(seq);
            t.first_attempt_at.get_or_insert(a.at);
            t.last_attempt_at = Some(a.at);
            if let Some(outcome) = a.completes {
                t.outcome = Some(outcome);
                if outcome.is_complete() {
                    t.completed_at = Some(a.at);
                }
            }
        }
        for item in &expected {
            if let Some(rec) = self.items.get_mut(item) {
                rec.attempts += 1;
            }
        }
        if a.outcome != AttemptOutcome::Refused {
            for ai in &a.items {
                if let Some(rec) = self.items.get_mut(&ai.item) {
                    let better = rec.best.as_ref().is_none_or(|b| ai.score > b.score);
                    if better {
                        rec.best = Some(KeptSample {
                            score: ai.score,
                            attempt: a.attempt,
                            blob: ai.blob.clone(),
                            seq,
                            at: a.at,
                        });
                    }
                }
            }
        }
        if a.completes.is_some_and(TargetOutcome::is_complete) {
            for item in &expected {
                if let Some(rec) = self.items.get_mut(item) {
                    rec.state = ItemState::Captured;
                }
            }
        }
    }

    // --- accessors ---------------------------------------------------------------------

    /// The session id.
    pub fn id(&self) -> SessionId {
        self.opened.session_id
    }

    /// The applicant's NIK, in full: for the card, never for display.
    pub fn nik(&self) -> &Nik {
        &self.opened.nik
    }

    /// Where the session stands.
    pub fn state(&self) -> SessionState {
        self.state
    }

    /// The application type.
    pub fn application_type(&self) -> ApplicationType {
        self.opened.application_type
    }

    /// Whether biometrics are recorded in this session.
    pub fn biometrics_required(&self) -> bool {
        self.opened.biometrics_required
    }

    /// The `Opened` event (documents, marital status, policy, operator, date).
    pub fn opened(&self) -> &SessionOpened {
        &self.opened
    }

    /// The applicant's age in completed years on the session date (from the NIK).
    pub fn age(&self) -> u32 {
        self.opened
            .nik
            .age_on(self.opened.date, self.opened.date)
            .unwrap_or(0)
    }

    /// The policy in force.
    pub fn policy(&self) -> &SessionPolicy {
        &self.opened.policy
    }

    /// One item.
    pub fn item(&self, item: ItemKey) -> Option<&ItemRecord> {
        self.items.get(&item)
    }

    /// One target.
    pub fn target(&self, target: CaptureTarget) -> Option<&TargetRecord> {
        self.targets.get(&target)
    }

    /// The package id, once finalized.
    pub fn package_id(&self) -> Option<PackageId> {
        self.finalized.as_ref().map(|f| f.package_id)
    }

    /// Events applied so far, including `Opened`.
    pub fn version(&self) -> u64 {
        self.seq
    }

    /// The items of `target` that are not excepted (and are required).
    pub fn expected(&self, target: CaptureTarget) -> Vec<ItemKey> {
        target
            .items()
            .into_iter()
            .filter(|i| {
                self.items.get(i).is_some_and(|r| {
                    !matches!(r.state, ItemState::Excepted | ItemState::NotRequired)
                })
            })
            .collect()
    }

    /// The targets that have a pending item, in the recommended order.
    pub fn remaining(&self) -> Vec<CaptureTarget> {
        CaptureTarget::RECOMMENDED
            .into_iter()
            .filter(|t| {
                t.items().iter().any(|i| {
                    self.items
                        .get(i)
                        .is_some_and(|r| r.state == ItemState::Pending)
                })
            })
            .collect()
    }

    fn threshold(&self, target: CaptureTarget) -> u8 {
        self.opened.policy.thresholds.get(target.modality())
    }

    fn budget(&self, target: CaptureTarget) -> u32 {
        self.opened.policy.retry_budget.get(target.modality())
    }

    fn out_of_order(&self, message: impl Into<String>) -> WorkflowError {
        WorkflowError::StepOutOfOrder {
            subject: self.id().to_string(),
            state: self.state.proto_name(),
            message: message.into(),
        }
    }

    fn require_open(&self, what: &str) -> Result<(), WorkflowError> {
        if self.state != SessionState::Open {
            return Err(self.out_of_order(format!("{what} needs an open session")));
        }
        Ok(())
    }

    // --- commands ----------------------------------------------------------------------

    /// Whether `target` may be captured now, and what to expect. The same checks as
    /// [`Session::decide_attempt`] makes on the state: `StepOutOfOrder` (session not open,
    /// biometrics not required, target complete, every item excepted) or
    /// `RetryBudgetExhausted`.
    pub fn capture_plan(&self, target: CaptureTarget) -> Result<CapturePlan, WorkflowError> {
        self.require_open("a capture")?;
        if !self.biometrics_required() {
            return Err(self.out_of_order("biometrics are on record; nothing to capture"));
        }
        let rec = self.targets.get(&target).cloned().unwrap_or_default();
        if rec.outcome.is_some_and(TargetOutcome::is_complete) {
            return Err(self.out_of_order(format!("{target} is already captured")));
        }
        let expected = self.expected(target);
        if expected.is_empty() {
            return Err(self.out_of_order(format!("every item of {target} is excepted")));
        }
        let budget = self.budget(target);
        if rec.budget_used >= budget {
            return Err(WorkflowError::RetryBudgetExhausted {
                subject: self.id().to_string(),
                what: target.step_name(),
            });
        }
        Ok(CapturePlan {
            target,
            expected,
            next_attempt: rec.attempts + 1,
            attempts_left: budget - rec.budget_used,
            threshold: self.threshold(target),
        })
    }

    /// Scores one attempt of `target` and gives its `AttemptRecorded` event (see the module
    /// rules). `InvalidArgument` when an item belongs to another target, is given twice,
    /// scores over 100, or an expected item seen has no blob; then the state checks of
    /// [`Session::capture_plan`].
    pub fn decide_attempt(
        &self,
        target: CaptureTarget,
        data: AttemptData,
    ) -> Result<Vec<SessionEvent>, WorkflowError> {
        let items_of_target = target.items();
        for (i, (item, score)) in data.qualities.iter().enumerate() {
            if !items_of_target.contains(item) {
                return Err(WorkflowError::invalid(
                    format!("qualities[{i}]"),
                    format!("{item} is not part of {target}"),
                ));
            }
            if data.qualities[..i].iter().any(|(k, _)| k == item) {
                return Err(WorkflowError::invalid(
                    format!("qualities[{i}]"),
                    format!("{item} is given twice"),
                ));
            }
            if *score > 100 {
                return Err(WorkflowError::invalid(
                    format!("qualities[{i}]"),
                    "a score is 0..100",
                ));
            }
        }
        for (i, (item, measures)) in data.measures.iter().enumerate() {
            if !data.qualities.iter().any(|(k, _)| k == item) {
                return Err(WorkflowError::invalid(
                    format!("measures[{i}]"),
                    format!("{item} has measures but no quality"),
                ));
            }
            if measures.len() > MAX_MEASURES {
                return Err(WorkflowError::too_large(
                    format!("measures[{i}]"),
                    format!("{MAX_MEASURES} entries"),
                ));
            }
        }
        for (i, (item, blob)) in data.blobs.iter().enumerate() {
            if !data.qualities.iter().any(|(k, _)| k == item) {
                return Err(WorkflowError::invalid(
                    format!("blobs[{i}]"),
                    format!("{item} has a blob but no quality"),
                ));
            }
            if data.blobs[..i].iter().any(|(k, _)| k == item) {
                return Err(WorkflowError::invalid(
                    format!("blobs[{i}]"),
                    format!("{item} is given twice"),
                ));
            }
            blob.validate(&format!("blobs[{i}]"))?;
        }
        if data.guidance.len() > MAX_GUIDANCE {
            return Err(WorkflowError::too_large(
                "guidance",
                format!("{MAX_GUIDANCE} entries"),
            ));
        }

        let plan = self.capture_plan(target)?;
        let threshold = plan.threshold;
        let mut seen = Vec::new();
        let mut ignored = Vec::new();
        for (item, score) in &data.qualities {
            if plan.expected.contains(item) {
                let blob = data
                    .blobs
                    .iter()
                    .find(|(k, _)| k == item)
                    .map(|(_, b)| b.clone())
                    .ok_or_else(|| {
                        WorkflowError::invalid("blobs", format!("{item} was seen but has no blob"))
                    })?;
                let measures = data
                    .measures
                    .iter()
                    .find(|(k, _)| k == item)
                    .map(|(_, m)| m.clone())
                    .unwrap_or_default();
                seen.push(AttemptItem {
                    item: *item,
                    score: *score,
                    passes: *score >= threshold,
                    blob,
                    measures,
                });
            } else {
                ignored.push(*item);
            }
        }
        seen.sort_by_key(|a| a.item);
        ignored.sort();

        let mut guidance: Vec<Guidance> = Vec::new();
        let mut push = |g: Guidance| {
            if !guidance.contains(&g) {
                guidance.push(g);
            }
        };
        for g in &data.guidance {
            push(*g);
        }
        let missing: Vec<ItemKey> = plan
            .expected
            .iter()
            .copied()
            .filter(|k| !seen.iter().any(|a| a.item == *k))
            .collect();
        // The other hand on the scanner, or a finger already captured under another name
        // (the station's matcher): nothing of the attempt is kept.
        let wrong_hand = data.guidance.iter().any(|g| {
            matches!(
                g.code,
                GuidanceCode::WrongHand | GuidanceCode::DuplicateFinger
            )
        });
        let refused = wrong_hand || !missing.is_empty();
        for item in &missing {
            push(match item {
                ItemKey::Finger(f) => Guidance::finger(GuidanceCode::PartialSlap, *f),
                ItemKey::Iris(e) => Guidance::eye(GuidanceCode::IrisOccluded, *e),
                ItemKey::Face => Guidance::new(GuidanceCode::FaceNotFound),
                ItemKey::Signature => Guidance::new(GuidanceCode::PoorQuality),
            });
        }

        let score = if refused {
            None
        } else {
            let n = u32::try_from(seen.len()).unwrap_or(u32::MAX).max(1);
            let sum: u32 = seen.iter().map(|a| u32::from(a.score)).sum();
            Some(match target {
                CaptureTarget::Irises => seen.iter().map(|a| a.score).min().unwrap_or(0),
                // Floor of the mean: floor(sum / n) >= t exactly when sum >= t * n.
                _ => u8::try_from(sum / n).unwrap_or(100),
            })
        };
        let outcome = match score {
            None => AttemptOutcome::Refused,
            Some(s) if s >= threshold => AttemptOutcome::Accepted,
            Some(_) => AttemptOutcome::BelowThreshold,
        };
        if outcome == AttemptOutcome::BelowThreshold {
            for a in seen.iter().filter(|a| !a.passes) {
                push(match a.item {
                    ItemKey::Finger(f) => Guidance::finger(GuidanceCode::PoorQuality, f),
                    ItemKey::Iris(e) => Guidance::eye(GuidanceCode::PoorQuality, e),
                    _ => Guidance::new(GuidanceCode::PoorQuality),
                });
            }
            if seen.iter().all(|a| a.passes) {
                // The mean failed although no single item did not pass: impossible with
                // floor means, kept for safety.
                push(Guidance::new(GuidanceCode::PoorQuality));
            }
        }
        let attempts_left = plan.attempts_left - 1;
        let completes = if outcome == AttemptOutcome::Accepted {
            Some(TargetOutcome::Accepted)
        } else if attempts_left == 0 {
            let all_have_best = plan.expected.iter().all(|k| {
                self.items.get(k).is_some_and(|r| r.best.is_some())
                    || (!refused && seen.iter().any(|a| a.item == *k))
            });
            Some(if all_have_best {
                TargetOutcome::BestBelowThresholdKept
            } else {
                TargetOutcome::RetryBudgetExhausted
            })
        } else {
            None
        };
        let items = if refused { Vec::new() } else { seen };
        Ok(vec![SessionEvent::AttemptRecorded(AttemptRecorded {
            target,
            attempt: plan.next_attempt,
            outcome,
            score,
            threshold,
            items,
            ignored,
            guidance,
            attempts_left,
            completes,
            operator: data.operator,
            at: data.at,
        })])
    }

    /// Records an exception for an item: `InvalidArgument` for the face, a missing photo for
    /// a finger or an eye, a malformed photo ref; `PayloadTooLarge` for a note over 1024
    /// bytes; `StepOutOfOrder` when the session is not open or biometrics are not required.
    /// The exception replaces whatever the item had (captured data leaves the package);
    /// recording again replaces the previous exception.
    pub fn decide_exception(
        &self,
        cmd: RecordException,
    ) -> Result<Vec<SessionEvent>, WorkflowError> {
        if cmd.item == ItemKey::Face {
            return Err(WorkflowError::invalid(
                "item",
                "the face cannot be excepted",
            ));
        }
        match &cmd.photo {
            Some(p) => p.validate("photo")?,
            None if cmd.item.needs_exception_photo() => {
                return Err(WorkflowError::invalid(
                    "photo",
                    "a finger or eye exception needs a photo",
                ))
            }
            None => {}
        }
        check_text("note", &cmd.note, false)?;
        self.require_open("an exception")?;
        if !self.biometrics_required() {
            return Err(self.out_of_order("biometrics are on record; the item is not required"));
        }
        let target = cmd.item.target();
        let already = self
            .items
            .get(&cmd.item)
            .is_some_and(|r| r.state == ItemState::Excepted);
        let rec = self.targets.get(&target).cloned().unwrap_or_default();
        let resets_budget =
            !already && !rec.outcome.is_some_and(TargetOutcome::is_complete) && rec.budget_used > 0;
        Ok(vec![SessionEvent::ExceptionRecorded(ExceptionRecorded {
            item: cmd.item,
            reason: cmd.reason,
            permanence: cmd.permanence,
            photo: cmd.photo,
            note: cmd.note,
            resets_budget,
            operator: cmd.operator,
            at: cmd.at,
        })])
    }

    /// Finalizes the session into package `package_id`. `SessionNotComplete` while items are
    /// pending; `StepOutOfOrder` when cancelled; no events when already finalized.
    pub fn decide_finalize(
        &self,
        package_id: PackageId,
        records: Vec<PackageRecord>,
        operator: OperatorId,
        at: OffsetDateTime,
    ) -> Result<Vec<SessionEvent>, WorkflowError> {
        match self.state {
            SessionState::Finalized => return Ok(Vec::new()),
            SessionState::Cancelled => {
                return Err(self.out_of_order("a cancelled session cannot be finalized"))
            }
            SessionState::Open => {}
        }
        let missing = self.remaining();
        if !missing.is_empty() {
            return Err(WorkflowError::SessionNotComplete {
                session_id: self.id().to_string(),
                missing,
            });
        }
        for (i, r) in records.iter().enumerate() {
            let field = format!("records[{i}]");
            if records[..i].iter().any(|o| o.item == r.item) {
                return Err(WorkflowError::invalid(
                    field,
                    format!("{} is given twice", r.item),
                ));
            }
            if self.items.get(&r.item).map(|x| x.state) != Some(ItemState::Captured) {
                return Err(WorkflowError::invalid(
                    field,
                    format!("{} is not captured", r.item),
                ));
            }
            r.blob.validate(&field)?;
        }
        Ok(vec![SessionEvent::Finalized(SessionFinalized {
            package_id,
            records,
            operator,
            at,
        })])
    }

    /// The kept sample of every CAPTURED item, in item order: what the package carries and
    /// what its records are built from.
    pub fn kept_samples(&self) -> Vec<(ItemKey, &KeptSample)> {
        self.items
            .iter()
            .filter(|(_, r)| r.state == ItemState::Captured)
            .filter_map(|(k, r)| r.best.as_ref().map(|b| (*k, b)))
            .collect()
    }

    /// Cancels an open session. `InvalidArgument` for an empty reason, `PayloadTooLarge` over
    /// 1024 bytes, `StepOutOfOrder` when finalized; no events when already cancelled.
    pub fn decide_cancel(
        &self,
        reason: &str,
        operator: OperatorId,
        at: OffsetDateTime,
    ) -> Result<Vec<SessionEvent>, WorkflowError> {
        check_text("reason", reason, true)?;
        match self.state {
            SessionState::Cancelled => Ok(Vec::new()),
            SessionState::Finalized => {
                Err(self.out_of_order("a finalized session cannot be cancelled"))
            }
            SessionState::Open => Ok(vec![SessionEvent::Cancelled(SessionCancelled {
                reason: reason.to_owned(),
                operator,
                at,
            })]),
        }
    }

    // --- views -------------------------------------------------------------------------

    /// Step timings: each capture target from its first attempt to its completion (or its
    /// last attempt while pending), in the order they first ran; then the whole recording
    /// (`recording`: opened to finalized) once finalized with biometrics.
    pub fn timings(&self) -> Vec<StepTiming> {
        let ts = &self.opened.policy.time_standards;
        let mut started: Vec<(u64, CaptureTarget, &TargetRecord)> = self
            .targets
            .iter()
            .filter_map(|(t, r)| r.first_seq.map(|s| (s, *t, r)))
            .collect();
        started.sort_by_key(|(s, _, _)| *s);
        let mut out: Vec<StepTiming> = started
            .into_iter()
            .filter_map(|(_, t, r)| {
                let from = r.first_attempt_at?;
                let to = r.completed_at.or(r.last_attempt_at)?;
                let standard = match t {
                    CaptureTarget::Face => ts.capture.face,
                    CaptureTarget::LeftSlap => ts.capture.left_slap,
                    CaptureTarget::RightSlap => ts.capture.right_slap,
                    CaptureTarget::Thumbs => ts.capture.thumbs,
                    CaptureTarget::Irises => ts.capture.irises,
                    CaptureTarget::Signature => ts.capture.signature,
                };
                Some(StepTiming::new(t.step_name(), from, to, standard))
            })
            .collect();
        if let (Some(f), true) = (&self.finalized, self.biometrics_required()) {
            out.push(StepTiming::new(
                "recording",
                self.opened.at,
                f.at,
                Some(ts.recording),
            ));
        }
        out
    }

    /// The session as the gRPC `GetSession` shows it: the NIK masked.
    pub fn view(&self) -> SessionView {
        let items = self
            .items
            .iter()
            .map(|(k, r)| ItemView {
                item: *k,
                state: r.state,
                best_score: r.best.as_ref().map(|b| b.score),
                attempts: r.attempts,
                threshold: self.threshold(k.target()),
                exception: r.exception.clone(),
            })
            .collect();
        let targets = CaptureTarget::RECOMMENDED
            .into_iter()
            .map(|t| {
                let r = self.targets.get(&t).cloned().unwrap_or_default();
                TargetView {
                    target: t,
                    attempts: r.attempts,
                    attempts_left: self.budget(t).saturating_sub(r.budget_used),
                    outcome: r.outcome,
                    expected: self.expected(t),
                }
            })
            .collect();
        SessionView {
            id: self.id(),
            state: self.state,
            nik_masked: self.opened.nik.masked(),
            application_type: self.opened.application_type,
            biometrics_required: self.biometrics_required(),
            documents: self.opened.documents.clone(),
            items,
            targets,
            remaining: self.remaining(),
            opened_at: self.opened.at,
            closed_at: self.closed_at,
            timings: self.timings(),
            operator: self.opened.operator.clone(),
            package_id: self.package_id(),
            cancel_reason: self.cancelled.as_ref().map(|c| c.reason.clone()),
        }
    }

    /// The package manifest, once finalized (`None` before): every kept sample and exception
    /// photo in capture order, hash-chained, with the masked NIK, the quality per item and
    /// the exceptions. Deterministic: the same session always gives the same manifest.
    pub fn package_manifest(&self) -> Option<Manifest> {
        let finalized = self.finalized.as_ref()?;
        let mut raw: Vec<(
            u64,
            ItemKey,
            EntryKind,
            BlobRef,
            Option<u32>,
            OffsetDateTime,
        )> = Vec::new();
        for (k, r) in &self.items {
            match r.state {
                ItemState::Captured => {
                    if let Some(b) = &r.best {
                        raw.push((
                            b.seq,
                            *k,
                            EntryKind::Sample,
                            b.blob.clone(),
                            Some(b.attempt),
                            b.at,
                        ));
                    }
                }
                ItemState::Excepted => {
                    if let Some(x) = &r.exception {
                        if let Some(p) = &x.photo {
                            raw.push((x.seq, *k, EntryKind::ExceptionPhoto, p.clone(), None, x.at));
                        }
                    }
                }
                ItemState::Pending | ItemState::NotRequired => {}
            }
        }
        raw.sort_by_key(|(seq, k, _, _, _, _)| (*seq, *k));
        // The records follow the samples, in item order.
        for r in &finalized.records {
            let kept = self.items.get(&r.item).and_then(|x| x.best.as_ref());
            raw.push((
                u64::MAX,
                r.item,
                EntryKind::Record,
                r.blob.clone(),
                kept.map(|b| b.attempt),
                kept.map_or(finalized.at, |b| b.at),
            ));
        }
        let items = self
            .items
            .iter()
            .map(|(k, r)| ManifestItem {
                item: *k,
                state: r.state,
                score: match r.state {
                    ItemState::Captured => r.best.as_ref().map(|b| b.score),
                    _ => None,
                },
                threshold: self.threshold(k.target()),
                attempts: r.attempts,
                exception: match (r.state, &r.exception) {
                    (ItemState::Excepted, Some(x)) => Some(ManifestException {
                        reason: x.reason,
                        permanence: x.permanence,
                        operator: x.operator.clone(),
                        note: x.note.clone(),
                        photo_sha256: x.photo.as_ref().map(|p| p.id.clone()),
                        recorded_at: x.at,
                    }),
                    _ => None,
                },
            })
            .collect();
        let entries = raw
            .into_iter()
            .map(|(_, item, kind, blob, attempt, at)| ManifestEntry {
                item,
                kind,
                media_type: blob.media_type,
                sha256: blob.id,
                size: blob.size,
                attempt,
                captured_at: at,
                chain_hash: String::new(),
            })
            .collect();
        let mut manifest = Manifest {
            format: Manifest::FORMAT.to_owned(),
            package_id: finalized.package_id,
            session_id: self.id(),
            application_type: self.opened.application_type,
            nik_masked: self.opened.nik.masked(),
            biometrics_required: self.biometrics_required(),
            opened_by: self.opened.operator.clone(),
            finalized_by: finalized.operator.clone(),
            opened_at: self.opened.at,
            finalized_at: finalized.at,
            items,
            entries,
            chain_root: String::new(),
            chain_head: String::new(),
        };
        manifest.seal();
        Some(manifest)
    }
}

/// One item as the session view shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemView {
    /// The item.
    pub item: ItemKey,
    /// Where it stands.
    pub state: ItemState,
    /// The score of the kept attempt, if any.
    pub best_score: Option<u8>,
    /// Attempts that expected it.
    pub attempts: u32,
    /// The threshold that applies.
    pub threshold: u8,
    /// The exception, when excepted.
    pub exception: Option<ExceptionInfo>,
}

/// One target as the session view shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetView {
    /// The target.
    pub target: CaptureTarget,
    /// Attempts made.
    pub attempts: u32,
    /// Attempts left in the current budget.
    pub attempts_left: u32,
    /// How it ended, if it did (or that it is exhausted).
    pub outcome: Option<TargetOutcome>,
    /// Its items still expected on the device (not excepted).
    pub expected: Vec<ItemKey>,
}

/// A session as `GetSession` returns it. Only the masked NIK.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    /// The id.
    pub id: SessionId,
    /// Where it stands.
    pub state: SessionState,
    /// The NIK, masked (`3508**********01`).
    pub nik_masked: String,
    /// The application type.
    pub application_type: ApplicationType,
    /// Whether biometrics are recorded.
    pub biometrics_required: bool,
    /// The documents presented.
    pub documents: Vec<String>,
    /// Every item, in session order.
    pub items: Vec<ItemView>,
    /// Every target, in the recommended order.
    pub targets: Vec<TargetView>,
    /// Targets with a pending item, in the recommended order.
    pub remaining: Vec<CaptureTarget>,
    /// When opened.
    #[serde(with = "time::serde::rfc3339")]
    pub opened_at: OffsetDateTime,
    /// When finalized or cancelled.
    #[serde(with = "time::serde::rfc3339::option")]
    pub closed_at: Option<OffsetDateTime>,
    /// Step timings against the time standards.
    pub timings: Vec<StepTiming>,
    /// The operator who opened it.
    pub operator: OperatorId,
    /// The package id, once finalized.
    pub package_id: Option<PackageId>,
    /// Why it was cancelled.
    pub cancel_reason: Option<String>,
}

#[cfg(test)]
mod tests;
