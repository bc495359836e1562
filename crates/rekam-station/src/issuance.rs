//! The issuance job: encode, print, activate and hand over one KTP-el, as an event-sourced
//! state machine (the same decide/apply pattern as [`crate::enrolment`]).
//!
//! The facade drives the devices. It asks [`Job::next_action`] what to do, does it, and
//! reports the outcome with [`Job::decide_step`]; activation attempts, handover, resume,
//! cancel and abandoning a card have their own commands. Each command returns events (or a
//! [`WorkflowError`] and nothing changed); each event carries the job's state and next action
//! after it ([`Transition`]) and the station counters it moves ([`Counters`]: blanks used,
//! spoiled, issued), so the facade can update its counters in the same journal transaction.
//!
//! # Steps and rules
//! ```text
//! CheckSupplies -> Feed -> WriteChip -> VerifyChip -> Print -> Eject
//!   -> AwaitActivation (live finger attempts) -> Activate (chip life cycle) -> AwaitHandOver -> Done
//! ```
//! - A record that is not PRR is never fed: the job is created `Deferred` (`NOT_PRINT_READY`)
//!   and its next action is `PrintReceipt(kind)`.
//! - `CheckSupplies` or `Feed` failing with no blanks, ribbon out, a jam or the printer offline
//!   (by [`Reason`] or by [`Condition`]) defers the job with that reason and a receipt; other
//!   failures there (timeout, busy, ...) leave the same step next, to be tried again.
//! - Any failure once a card is fed (write, verify, print, eject; the card pulled; a
//!   cancelled call) makes `RejectCard` next. Every `RejectCard` step, whatever its outcome,
//!   counts the card as spoiled. Then: a cancelled job ends `Cancelled`, an abandoned card
//!   ends the job `Failed`; a failure that was a printer condition (ribbon out, jam, ...)
//!   defers with it (no blank is wasted on a printer that cannot print); otherwise a new
//!   blank is fed while fewer than `max_cards_per_job` were used in this run, else the job
//!   is deferred with `CHIP_FAULTS`.
//! - A card is printed only after its chip was verified (encode before print, in both
//!   arrangements), and a card is handed over (and counted `issued`) only after it was
//!   verified, printed, ejected and activated. `issued` is counted at handover.
//! - Activation: at most `activation_attempts` live-finger attempts
//!   ([`Job::decide_activation_attempt`]); a match makes `Activate` (the chip life-cycle
//!   change) next, and its success makes the job `Activated`. **Decision:** when the budget
//!   is spent the card stays un-activated and the job stays `AwaitingActivation`; further
//!   attempts are `RetryBudgetExhausted`. The operator may then grant a new budget later
//!   ([`Job::decide_reset_activation`], journaled with the operator) or give the card up
//!   ([`Job::decide_abandon_card`]): the card is rejected (spoiled) and the job ends `Failed`
//!   with `FINGERPRINT_MISMATCH` (a new card would carry the same templates). A failing
//!   `Activate` step stays next, to be retried or abandoned the same way.
//! - Handover only from `Activated`, against a signed receipt ([`Job::decide_handover`]).
//! - A deferred job prints its receipt (`PrintReceipt`; the receipt id is reported with the
//!   outcome; a failed print can be retried) and is resumable
//!   ([`Job::decide_resume`]) from `CheckSupplies` with a fresh card allowance; resuming a
//!   record that is still not PRR is refused with `NotPrintReady`.
//! - Cancel ends the job `Cancelled`; a card that was fed and not handed over must still be
//!   rejected (`RejectCard` stays next until reported).
//!
//! With a desk encoder ([`Arrangement::DeskEncoder`]) the same steps apply: `Feed` is the
//! operator placing a blank on the encoder (prompt `PLACE_BLANK_ON_ENCODER`) and `Print`
//! starts with the operator loading the encoded card into the printer
//! (`LOAD_CARD_INTO_PRINTER`); a rejected card is discarded by the operator (`DISCARD_CARD`);
//! see [`Job::prompt`]. The facade waits for the blank on the encoder itself.

use std::fmt;
use std::time::Duration;

use rekam_card::{CardRecord, Nik, RecordError};
use rekam_hal::{Condition, ErrorKind};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::config::{Arrangement, ReceiptPolicy, TimeStandards, WorkflowConfig};
use crate::enrolment::{ApplicationType, Session, SessionState};
use crate::error::{Reason, WorkflowError};
use crate::ids::{JobId, OperatorId, ReceiptId, SessionId};
use crate::timing::{elapsed, StepTiming};

/// The longest detail or note text, in bytes.
pub const MAX_DETAIL: usize = 1024;
/// The longest card serial, in bytes.
pub const MAX_SERIAL: usize = 64;

/// A receipt given instead of a card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReceiptKind {
    /// Tanda pengambilan: a pickup receipt; the resident comes back with it.
    TandaPengambilan,
    /// Surat keterangan: a certificate that stands in for the card.
    SuratKeterangan,
}

impl ReceiptKind {
    /// `TANDA_PENGAMBILAN` or `SURAT_KETERANGAN`.
    pub fn as_str(self) -> &'static str {
        match self {
            ReceiptKind::TandaPengambilan => "TANDA_PENGAMBILAN",
            ReceiptKind::SuratKeterangan => "SURAT_KETERANGAN",
        }
    }
}

/// Why a job was deferred.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DeferralReason {
    /// The record is not PRR.
    NotPrintReady,
    /// No blank cards.
    OutOfBlanks,
    /// The ribbon is used up.
    RibbonOut,
    /// A card is jammed.
    PrinterJam,
    /// The printer is offline.
    PrinterOffline,
    /// `max_cards_per_job` cards were spoiled in one run.
    ChipFaults,
}

impl DeferralReason {
    /// The SCREAMING_SNAKE name, e.g. `OUT_OF_BLANKS`.
    pub fn as_str(self) -> &'static str {
        match self {
            DeferralReason::NotPrintReady => "NOT_PRINT_READY",
            DeferralReason::OutOfBlanks => "OUT_OF_BLANKS",
            DeferralReason::RibbonOut => "RIBBON_OUT",
            DeferralReason::PrinterJam => "PRINTER_JAM",
            DeferralReason::PrinterOffline => "PRINTER_OFFLINE",
            DeferralReason::ChipFaults => "CHIP_FAULTS",
        }
    }

    /// The printer condition behind a failure, if it is one: by reason (`OUT_OF_BLANKS`,
    /// `RIBBON_OUT`, `PRINTER_JAM`, `PRINTER_OFFLINE`), else by device condition
    /// (`MediaEmpty`, `RibbonEmpty`, `MediaJam`, `Offline`).
    pub fn from_failure(reason: Reason, condition: Option<Condition>) -> Option<DeferralReason> {
        match reason {
            Reason::OutOfBlanks => return Some(DeferralReason::OutOfBlanks),
            Reason::RibbonOut => return Some(DeferralReason::RibbonOut),
            Reason::PrinterJam => return Some(DeferralReason::PrinterJam),
            Reason::PrinterOffline => return Some(DeferralReason::PrinterOffline),
            _ => {}
        }
        match condition? {
            Condition::MediaEmpty => Some(DeferralReason::OutOfBlanks),
            Condition::RibbonEmpty => Some(DeferralReason::RibbonOut),
            Condition::MediaJam => Some(DeferralReason::PrinterJam),
            Condition::Offline => Some(DeferralReason::PrinterOffline),
            _ => None,
        }
    }
}

impl fmt::Display for DeferralReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A step of the job that the facade carries out and reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Ask the card printer for its supplies and conditions.
    CheckSupplies,
    /// Feed a blank to the encoder (desk encoder: the operator places one).
    Feed,
    /// Write the chip.
    WriteChip,
    /// Read the chip back and compare.
    VerifyChip,
    /// Print the card body (desk encoder: after the operator loads the card).
    Print,
    /// Eject the good card.
    Eject,
    /// Switch the chip to its activated life-cycle state (after a fingerprint match).
    Activate,
    /// Hand the card over (reported with [`Job::decide_handover`], listed in step records).
    HandOver,
    /// Print the deferral receipt.
    PrintReceipt,
    /// Send the card to the reject bin.
    RejectCard,
}

impl Step {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Step::CheckSupplies => "check_supplies",
            Step::Feed => "feed",
            Step::WriteChip => "write_chip",
            Step::VerifyChip => "verify_chip",
            Step::Print => "print",
            Step::Eject => "eject",
            Step::Activate => "activate",
            Step::HandOver => "hand_over",
            Step::PrintReceipt => "print_receipt",
            Step::RejectCard => "reject_card",
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a step gave, as the facade reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum StepOutcome {
    /// The step succeeded.
    Ok {
        /// A short technical note (at most 1024 bytes, never personal data).
        detail: Option<String>,
        /// The chip serial, when the step read it (1..64 printable ASCII).
        card_serial: Option<String>,
        /// The receipt printed: required for `PrintReceipt`, refused elsewhere.
        receipt_id: Option<ReceiptId>,
    },
    /// The step failed.
    Failed {
        /// Why: a device or supply reason (`OUT_OF_BLANKS`, `RIBBON_OUT`, `PRINTER_JAM`,
        /// `PRINTER_OFFLINE`, `CHIP_WRITE_FAILED`, `CHIP_VERIFY_FAILED`, `CARD_REMOVED`,
        /// `DEVICE_FAULT`, `DEVICE_TIMEOUT`, `DEVICE_DISCONNECTED`, `DEVICE_BUSY`,
        /// `CANCELLED`, `INTERNAL`).
        reason: Reason,
        /// The device error kind, when a device call failed.
        device_error_kind: Option<ErrorKind>,
        /// The device condition behind it (a printer's `MediaEmpty`, say).
        condition: Option<Condition>,
    },
}

impl StepOutcome {
    /// A plain success.
    pub fn ok() -> Self {
        StepOutcome::Ok {
            detail: None,
            card_serial: None,
            receipt_id: None,
        }
    }

    /// A success that read the chip serial.
    pub fn ok_with_serial(serial: impl Into<String>) -> Self {
        StepOutcome::Ok {
            detail: None,
            card_serial: Some(serial.into()),
            receipt_id: None,
        }
    }

    /// A printed receipt.
    pub fn receipt_printed(receipt_id: ReceiptId) -> Self {
        StepOutcome::Ok {
            detail: None,
            card_serial: None,
            receipt_id: Some(receipt_id),
        }
    }

    /// A failure with just a reason.
    pub fn failed(reason: Reason) -> Self {
        StepOutcome::Failed {
            reason,
            device_error_kind: None,
            condition: None,
        }
    }

    /// True for `Ok`.
    pub fn is_ok(&self) -> bool {
        matches!(self, StepOutcome::Ok { .. })
    }

    fn failure(&self) -> Option<(Reason, Option<Condition>)> {
        match self {
            StepOutcome::Ok { .. } => None,
            StepOutcome::Failed {
                reason, condition, ..
            } => Some((*reason, *condition)),
        }
    }
}

/// The reasons a step may fail with.
pub const STEP_FAILURE_REASONS: [Reason; 13] = [
    Reason::OutOfBlanks,
    Reason::RibbonOut,
    Reason::PrinterJam,
    Reason::PrinterOffline,
    Reason::ChipWriteFailed,
    Reason::ChipVerifyFailed,
    Reason::CardRemoved,
    Reason::DeviceFault,
    Reason::DeviceTimeout,
    Reason::DeviceDisconnected,
    Reason::DeviceBusy,
    Reason::Cancelled,
    Reason::Internal,
];

/// What the facade must do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NextAction {
    /// Run [`Step::CheckSupplies`].
    CheckSupplies,
    /// Run [`Step::Feed`].
    Feed,
    /// Run [`Step::WriteChip`].
    WriteChip,
    /// Run [`Step::VerifyChip`].
    VerifyChip,
    /// Run [`Step::Print`].
    Print,
    /// Run [`Step::Eject`].
    Eject,
    /// Wait for live-finger activation attempts ([`Job::decide_activation_attempt`]).
    AwaitActivation,
    /// Run [`Step::Activate`] (the fingerprint matched).
    Activate,
    /// Wait for the handover ([`Job::decide_handover`]).
    AwaitHandOver,
    /// Run [`Step::PrintReceipt`] for this kind of receipt.
    PrintReceipt(ReceiptKind),
    /// Run [`Step::RejectCard`].
    RejectCard,
    /// Handed over: nothing more.
    Done,
    /// Deferred, receipt printed: wait for [`Job::decide_resume`].
    Deferred,
    /// Failed: nothing more.
    Failed,
    /// Cancelled: nothing more.
    Cancelled,
}

impl NextAction {
    /// The step the facade runs for this action, if it is one.
    pub fn step(self) -> Option<Step> {
        Some(match self {
            NextAction::CheckSupplies => Step::CheckSupplies,
            NextAction::Feed => Step::Feed,
            NextAction::WriteChip => Step::WriteChip,
            NextAction::VerifyChip => Step::VerifyChip,
            NextAction::Print => Step::Print,
            NextAction::Eject => Step::Eject,
            NextAction::Activate => Step::Activate,
            NextAction::PrintReceipt(_) => Step::PrintReceipt,
            NextAction::RejectCard => Step::RejectCard,
            NextAction::AwaitActivation
            | NextAction::AwaitHandOver
            | NextAction::Done
            | NextAction::Deferred
            | NextAction::Failed
            | NextAction::Cancelled => return None,
        })
    }

    /// True when nothing more will happen (`Done`, `Failed`, `Cancelled`).
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            NextAction::Done | NextAction::Failed | NextAction::Cancelled
        )
    }

    /// A snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            NextAction::CheckSupplies => "check_supplies",
            NextAction::Feed => "feed",
            NextAction::WriteChip => "write_chip",
            NextAction::VerifyChip => "verify_chip",
            NextAction::Print => "print",
            NextAction::Eject => "eject",
            NextAction::AwaitActivation => "await_activation",
            NextAction::Activate => "activate",
            NextAction::AwaitHandOver => "await_hand_over",
            NextAction::PrintReceipt(_) => "print_receipt",
            NextAction::RejectCard => "reject_card",
            NextAction::Done => "done",
            NextAction::Deferred => "deferred",
            NextAction::Failed => "failed",
            NextAction::Cancelled => "cancelled",
        }
    }
}

impl fmt::Display for NextAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the operator is asked to do for the next action with a desk encoder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OperatorPrompt {
    /// Place a blank card on the desk encoder.
    PlaceBlankOnEncoder,
    /// Take the encoded card from the desk encoder and load it into the card printer.
    LoadCardIntoPrinter,
    /// Place a finger on the scanner (activation).
    PlaceFinger,
    /// Discard the card being rejected (desk encoder: it is on the encoder or out of the
    /// printer, not in a reject bin).
    DiscardCard,
}

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobState {
    /// Created, no step run yet.
    Pending,
    /// Steps are running (supplies, feed, encode, print, eject, reject).
    Running,
    /// The card is out, waiting for the live finger (or for the chip activation).
    AwaitingActivation,
    /// The chip is activated; waiting for the handover.
    Activated,
    /// The resident has the card.
    HandedOver,
    /// Postponed with a receipt; resumable.
    Deferred,
    /// Given up (the card was abandoned).
    Failed,
    /// Cancelled.
    Cancelled,
}

impl JobState {
    /// The `rekam.v1` value name, e.g. `JOB_STATE_DEFERRED`.
    pub fn proto_name(self) -> &'static str {
        match self {
            JobState::Pending => "JOB_STATE_PENDING",
            JobState::Running => "JOB_STATE_RUNNING",
            JobState::AwaitingActivation => "JOB_STATE_AWAITING_ACTIVATION",
            JobState::Activated => "JOB_STATE_ACTIVATED",
            JobState::HandedOver => "JOB_STATE_HANDED_OVER",
            JobState::Deferred => "JOB_STATE_DEFERRED",
            JobState::Failed => "JOB_STATE_FAILED",
            JobState::Cancelled => "JOB_STATE_CANCELLED",
        }
    }
}

/// The policy a job runs under, copied from the configuration when it is created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuancePolicy {
    /// Blanks per run.
    pub max_cards_per_job: u32,
    /// Live-finger attempts per activation budget.
    pub activation_attempts: u32,
    /// Which receipt for which deferral.
    pub receipt_policy: ReceiptPolicy,
    /// Where the encoder is.
    pub arrangement: Arrangement,
    /// Time standards.
    pub time_standards: TimeStandards,
}

impl IssuancePolicy {
    /// The policy part of a configuration.
    pub fn from_config(config: &WorkflowConfig) -> Self {
        IssuancePolicy {
            max_cards_per_job: config.issuance.max_cards_per_job,
            activation_attempts: config.issuance.activation_attempts,
            receipt_policy: config.issuance.receipt_policy.clone(),
            arrangement: config.issuance.arrangement,
            time_standards: config.time_standards,
        }
    }
}

/// Creates a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateJob {
    /// The new job's id (generated by the caller).
    pub job_id: JobId,
    /// The card record from SIAK (its `Debug` is redacted).
    pub record: CardRecord,
    /// The application type (decides the receipt when deferred).
    pub application_type: ApplicationType,
    /// The operator.
    pub operator: OperatorId,
    /// Now.
    pub at: OffsetDateTime,
}

/// Station counter deltas carried by an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Counters {
    /// Blanks fed.
    pub blanks_used: u32,
    /// Cards sent to the reject bin.
    pub spoiled: u32,
    /// Cards handed over.
    pub issued: u32,
}

impl Counters {
    fn add(&mut self, other: Counters) {
        self.blanks_used += other.blanks_used;
        self.spoiled += other.spoiled;
        self.issued += other.issued;
    }

    /// True when every count is zero.
    pub fn is_zero(&self) -> bool {
        *self == Counters::default()
    }
}

/// The job's status after an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transition {
    /// The state.
    pub state: JobState,
    /// What the facade must do next.
    pub next: NextAction,
    /// Why the job is deferred, while it is.
    pub deferral: Option<DeferralReason>,
    /// Why the job failed, once it did.
    pub failure: Option<Reason>,
}

impl Transition {
    fn to(state: JobState, next: NextAction) -> Self {
        Transition {
            state,
            next,
            deferral: None,
            failure: None,
        }
    }
}

/// The job was created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobCreated {
    /// The id.
    pub job_id: JobId,
    /// The card record (full in serde, redacted in `Debug`).
    pub record: CardRecord,
    /// The application type.
    pub application_type: ApplicationType,
    /// The session whose biometrics the chip carries; `None` when the facade supplies
    /// biometrics on file.
    pub session_id: Option<SessionId>,
    /// The policy in force.
    pub policy: IssuancePolicy,
    /// The operator.
    pub operator: OperatorId,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum JobChange {
    /// The job was created.
    Created(Box<JobCreated>),
    /// A step ran.
    StepRecorded {
        /// The step.
        step: Step,
        /// Its outcome.
        outcome: StepOutcome,
        /// The card it concerned (1-based within the job), if any.
        card: Option<u32>,
    },
    /// A live-finger activation attempt.
    ActivationAttempted {
        /// The attempt number within the job, from 1.
        attempt: u32,
        /// Whether the finger matched the chip's template.
        matched: bool,
        /// The matcher's score.
        score: u32,
        /// The operator.
        operator: OperatorId,
    },
    /// The operator granted a new activation budget.
    ActivationReset {
        /// The operator.
        operator: OperatorId,
    },
    /// The operator gave up the ejected card; it must be rejected.
    CardAbandoned {
        /// The operator's note.
        note: String,
        /// The operator.
        operator: OperatorId,
    },
    /// A deferred job resumed.
    Resumed {
        /// The PRR status now.
        prr: bool,
        /// The operator.
        operator: OperatorId,
    },
    /// The card was handed over against a signed receipt.
    HandedOver {
        /// The handover receipt (bukti penerimaan).
        receipt_id: ReceiptId,
        /// The operator.
        operator: OperatorId,
    },
    /// The job was cancelled.
    CancelRequested {
        /// Why.
        reason: String,
        /// The operator.
        operator: OperatorId,
    },
}

/// An event of a job; the journal stores these (serde JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobEvent {
    /// When it happened.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// What happened.
    pub change: JobChange,
    /// The job's status after it.
    pub then: Transition,
    /// Station counter deltas.
    #[serde(default)]
    pub counters: Counters,
}

/// What became of a card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CardFate {
    /// Fed and not yet rejected or handed over.
    InProgress,
    /// Sent to the reject bin (spoiled).
    Rejected,
    /// Handed over to the resident.
    HandedOver,
}

/// One blank fed for the job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Card {
    /// 1-based within the job.
    pub number: u32,
    /// The chip serial, once read.
    pub serial: Option<String>,
    /// The chip was written.
    pub written: bool,
    /// The chip was read back and verified.
    pub verified: bool,
    /// The body was printed.
    pub printed: bool,
    /// When it was ejected as good.
    #[serde(with = "time::serde::rfc3339::option")]
    pub ejected_at: Option<OffsetDateTime>,
    /// When its chip was activated.
    #[serde(with = "time::serde::rfc3339::option")]
    pub activated_at: Option<OffsetDateTime>,
    /// What became of it.
    pub fate: CardFate,
    /// When the run that fed it started.
    #[serde(with = "time::serde::rfc3339")]
    pub run_started_at: OffsetDateTime,
}

/// One step as run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepRecord {
    /// The step.
    pub step: Step,
    /// The card, if any.
    pub card: Option<u32>,
    /// Its outcome.
    pub outcome: StepOutcome,
    /// When it was reported.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Since the previous event of the job.
    pub took: Duration,
}

/// One activation attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivationRecord {
    /// From 1 within the job.
    pub attempt: u32,
    /// Whether it matched.
    pub matched: bool,
    /// The matcher's score.
    pub score: u32,
    /// The operator.
    pub operator: OperatorId,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// A deferral receipt printed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptRecord {
    /// Its id.
    pub id: ReceiptId,
    /// Its kind.
    pub kind: ReceiptKind,
    /// The deferral it was given for.
    pub deferral: Option<DeferralReason>,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// An issuance job, folded from its events. `Debug` redacts the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    created: JobCreated,
    created_at: OffsetDateTime,
    then: Transition,
    prr: bool,
    cards: Vec<Card>,
    cards_in_run: u32,
    run_started_at: OffsetDateTime,
    steps: Vec<StepRecord>,
    activations: Vec<ActivationRecord>,
    activation_used: u32,
    receipts: Vec<ReceiptRecord>,
    handover: Option<(ReceiptId, OperatorId, OffsetDateTime)>,
    cancel: Option<(String, OperatorId)>,
    abandoned: Option<(String, OperatorId)>,
    totals: Counters,
    last_at: OffsetDateTime,
    closed_at: Option<OffsetDateTime>,
    seq: u64,
}

fn check_detail(field: &str, text: &str) -> Result<(), WorkflowError> {
    if text.len() > MAX_DETAIL {
        return Err(WorkflowError::too_large(
            field,
            format!("{MAX_DETAIL} bytes"),
        ));
    }
    Ok(())
}

fn record_error(e: &RecordError) -> WorkflowError {
    let field = format!("record.{}", e.field());
    match e {
        RecordError::TooLong { max, .. } => {
            WorkflowError::too_large(field, format!("{max} characters"))
        }
        _ => WorkflowError::invalid(field, e.to_string()),
    }
}

impl Job {
    // --- creating and folding ----------------------------------------------------------

    /// Checks a create command and gives the `Created` event.
    ///
    /// `session` is the finalized session whose biometrics the chip carries: required for
    /// BARU; for the other types `None` means the facade supplies the biometrics on file.
    /// Refused: an invalid record (`InvalidArgument` / `PayloadTooLarge`, field
    /// `record.<field>`); a session that is not finalized (`StepOutOfOrder`), for another
    /// NIK, of another application type, or that recorded no biometrics (`InvalidArgument`,
    /// field `session_id`); BARU without a session. A record that is not PRR gives a job that
    /// is deferred at once (`NOT_PRINT_READY`, next `PrintReceipt`).
    pub fn decide_create(
        cmd: &CreateJob,
        session: Option<&Session>,
        config: &WorkflowConfig,
    ) -> Result<Vec<JobEvent>, WorkflowError> {
        cmd.record.validate().map_err(|e| record_error(&e))?;
        match session {
            Some(s) => {
                if s.state() != SessionState::Finalized {
                    return Err(WorkflowError::StepOutOfOrder {
                        subject: s.id().to_string(),
                        state: s.state().proto_name(),
                        message: "a card takes its biometrics from a finalized session".into(),
                    });
                }
                if s.nik() != &cmd.record.nik {
                    return Err(WorkflowError::invalid(
                        "session_id",
                        "the session is for another applicant",
                    ));
                }
                if s.application_type() != cmd.application_type {
                    return Err(WorkflowError::invalid(
                        "application_type",
                        "differs from the session's application type",
                    ));
                }
                if !s.biometrics_required() {
                    return Err(WorkflowError::invalid(
                        "session_id",
                        "the session recorded no biometrics; give the biometrics on file instead",
                    ));
                }
            }
            None if cmd.application_type == ApplicationType::Baru => {
                return Err(WorkflowError::invalid(
                    "session_id",
                    "a BARU card needs the session that recorded its biometrics",
                ));
            }
            None => {}
        }
        let policy = IssuancePolicy::from_config(config);
        let then = if cmd.record.prr {
            Transition::to(JobState::Pending, NextAction::CheckSupplies)
        } else {
            deferral(&policy, cmd.application_type, DeferralReason::NotPrintReady)
        };
        Ok(vec![JobEvent {
            at: cmd.at,
            change: JobChange::Created(Box::new(JobCreated {
                job_id: cmd.job_id,
                record: cmd.record.clone(),
                application_type: cmd.application_type,
                session_id: session.map(Session::id),
                policy,
                operator: cmd.operator.clone(),
            })),
            then,
            counters: Counters::default(),
        }])
    }

    /// Folds a stream of events (the first must be `Created`) into a job.
    pub fn replay<'a, I>(events: I) -> Result<Job, WorkflowError>
    where
        I: IntoIterator<Item = &'a JobEvent>,
    {
        let mut it = events.into_iter();
        let first = it
            .next()
            .ok_or_else(|| WorkflowError::Internal("an empty job stream".into()))?;
        let JobChange::Created(created) = &first.change else {
            return Err(WorkflowError::Internal(
                "a job stream starts with Created".into(),
            ));
        };
        let mut job = Job {
            prr: created.record.prr,
            created: (**created).clone(),
            created_at: first.at,
            then: first.then,
            cards: Vec::new(),
            cards_in_run: 0,
            run_started_at: first.at,
            steps: Vec::new(),
            activations: Vec::new(),
            activation_used: 0,
            receipts: Vec::new(),
            handover: None,
            cancel: None,
            abandoned: None,
            totals: first.counters,
            last_at: first.at,
            closed_at: None,
            seq: 1,
        };
        for e in it {
            job.apply(e)?;
        }
        Ok(job)
    }

    /// Applies one event that a `decide_*` method gave (after it is journaled). Fails only on
    /// an event that cannot belong here (a second `Created`, anything after the job ended).
    pub fn apply(&mut self, event: &JobEvent) -> Result<(), WorkflowError> {
        if self.then.next.is_terminal() {
            return Err(WorkflowError::Internal(format!(
                "job {} has ended; no event applies",
                self.id()
            )));
        }
        let at = event.at;
        match &event.change {
            JobChange::Created(_) => {
                return Err(WorkflowError::Internal(format!(
                    "job {} already exists",
                    self.id()
                )));
            }
            JobChange::StepRecorded {
                step,
                outcome,
                card,
            } => {
                let took = elapsed(self.last_at, at);
                if *step == Step::Feed && outcome.is_ok() {
                    self.cards.push(Card {
                        number: u32::try_from(self.cards.len() + 1).unwrap_or(u32::MAX),
                        serial: None,
                        written: false,
                        verified: false,
                        printed: false,
                        ejected_at: None,
                        activated_at: None,
                        fate: CardFate::InProgress,
                        run_started_at: self.run_started_at,
                    });
                    self.cards_in_run += 1;
                }
                if let (
                    Step::PrintReceipt,
                    StepOutcome::Ok {
                        receipt_id: Some(id),
                        ..
                    },
                ) = (step, outcome)
                {
                    if let NextAction::PrintReceipt(kind) = self.then.next {
                        self.receipts.push(ReceiptRecord {
                            id: *id,
                            kind,
                            deferral: self.then.deferral,
                            at,
                        });
                    }
                }
                if let Some(c) = card.and_then(|n| self.cards.iter_mut().find(|c| c.number == n)) {
                    if let StepOutcome::Ok {
                        card_serial: Some(s),
                        ..
                    } = outcome
                    {
                        c.serial = Some(s.clone());
                    }
                    match (step, outcome.is_ok()) {
                        (Step::WriteChip, true) => c.written = true,
                        (Step::VerifyChip, true) => c.verified = true,
                        (Step::Print, true) => c.printed = true,
                        (Step::Eject, true) => c.ejected_at = Some(at),
                        (Step::Activate, true) => c.activated_at = Some(at),
                        (Step::RejectCard, _) => c.fate = CardFate::Rejected,
                        _ => {}
                    }
                }
                self.steps.push(StepRecord {
                    step: *step,
                    card: *card,
                    outcome: outcome.clone(),
                    at,
                    took,
                });
            }
            JobChange::ActivationAttempted {
                attempt,
                matched,
                score,
                operator,
            } => {
                self.activations.push(ActivationRecord {
                    attempt: *attempt,
                    matched: *matched,
                    score: *score,
                    operator: operator.clone(),
                    at,
                });
                self.activation_used += 1;
            }
            JobChange::ActivationReset { .. } => self.activation_used = 0,
            JobChange::CardAbandoned { note, operator } => {
                self.abandoned = Some((note.clone(), operator.clone()));
            }
            JobChange::Resumed { prr, .. } => {
                self.prr = *prr;
                self.cards_in_run = 0;
                self.run_started_at = at;
            }
            JobChange::HandedOver {
                receipt_id,
                operator,
            } => {
                let took = elapsed(self.last_at, at);
                let number = self.held_card().map(|c| c.number);
                if let Some(c) = number.and_then(|n| self.cards.iter_mut().find(|c| c.number == n))
                {
                    c.fate = CardFate::HandedOver;
                }
                self.handover = Some((*receipt_id, operator.clone(), at));
                self.steps.push(StepRecord {
                    step: Step::HandOver,
                    card: number,
                    outcome: StepOutcome::receipt_printed(*receipt_id),
                    at,
                    took,
                });
            }
            JobChange::CancelRequested { reason, operator } => {
                self.cancel = Some((reason.clone(), operator.clone()));
            }
        }
        self.then = event.then;
        self.totals.add(event.counters);
        if self.then.next.is_terminal() && self.closed_at.is_none() {
            self.closed_at = Some(at);
        }
        self.last_at = at;
        self.seq += 1;
        Ok(())
    }

    // --- accessors ---------------------------------------------------------------------

    /// The job id.
    pub fn id(&self) -> JobId {
        self.created.job_id
    }

    /// The card record (full: for the chip and the card face, never for display).
    pub fn record(&self) -> &CardRecord {
        &self.created.record
    }

    /// The NIK (full).
    pub fn nik(&self) -> &Nik {
        &self.created.record.nik
    }

    /// The session whose biometrics the chip carries.
    pub fn session_id(&self) -> Option<SessionId> {
        self.created.session_id
    }

    /// The application type.
    pub fn application_type(&self) -> ApplicationType {
        self.created.application_type
    }

    /// The policy in force.
    pub fn policy(&self) -> &IssuancePolicy {
        &self.created.policy
    }

    /// Where the job stands.
    pub fn state(&self) -> JobState {
        self.then.state
    }

    /// What the facade must do next.
    pub fn next_action(&self) -> NextAction {
        self.then.next
    }

    /// Why the job is deferred, while it is.
    pub fn deferral(&self) -> Option<DeferralReason> {
        self.then.deferral
    }

    /// Why the job failed.
    pub fn failure(&self) -> Option<Reason> {
        self.then.failure
    }

    /// Whether the record is PRR (as last known).
    pub fn prr(&self) -> bool {
        self.prr
    }

    /// Every card fed, in order.
    pub fn cards(&self) -> &[Card] {
        &self.cards
    }

    /// The card fed and not yet rejected or handed over.
    pub fn held_card(&self) -> Option<&Card> {
        self.cards.last().filter(|c| c.fate == CardFate::InProgress)
    }

    /// Blanks fed in the current run.
    pub fn cards_in_run(&self) -> u32 {
        self.cards_in_run
    }

    /// Every step as run.
    pub fn steps(&self) -> &[StepRecord] {
        &self.steps
    }

    /// Every activation attempt.
    pub fn activations(&self) -> &[ActivationRecord] {
        &self.activations
    }

    /// Activation attempts left in the current budget.
    pub fn activation_attempts_left(&self) -> u32 {
        self.created
            .policy
            .activation_attempts
            .saturating_sub(self.activation_used)
    }

    /// Deferral receipts printed.
    pub fn receipts(&self) -> &[ReceiptRecord] {
        &self.receipts
    }

    /// The job's counter totals (sum of its events' deltas).
    pub fn counters(&self) -> Counters {
        self.totals
    }

    /// Events applied so far, including `Created`.
    pub fn version(&self) -> u64 {
        self.seq
    }

    /// The operator prompt for the next action, if the operator must act: with a desk
    /// encoder, placing the blank (`Feed`), loading the printer (`Print`) and discarding a
    /// rejected card (`RejectCard`); for activation, placing a finger.
    pub fn prompt(&self) -> Option<OperatorPrompt> {
        match (self.then.next, self.created.policy.arrangement) {
            (NextAction::Feed, Arrangement::DeskEncoder) => {
                Some(OperatorPrompt::PlaceBlankOnEncoder)
            }
            (NextAction::Print, Arrangement::DeskEncoder) => {
                Some(OperatorPrompt::LoadCardIntoPrinter)
            }
            (NextAction::RejectCard, Arrangement::DeskEncoder) => Some(OperatorPrompt::DiscardCard),
            (NextAction::AwaitActivation, _) if self.activation_attempts_left() > 0 => {
                Some(OperatorPrompt::PlaceFinger)
            }
            _ => None,
        }
    }

    fn out_of_order(&self, message: impl Into<String>) -> WorkflowError {
        WorkflowError::StepOutOfOrder {
            subject: self.id().to_string(),
            state: self.then.state.proto_name(),
            message: message.into(),
        }
    }

    fn defer(&self, reason: DeferralReason) -> Transition {
        deferral(&self.created.policy, self.created.application_type, reason)
    }

    fn event(
        &self,
        at: OffsetDateTime,
        change: JobChange,
        then: Transition,
        counters: Counters,
    ) -> Vec<JobEvent> {
        vec![JobEvent {
            at,
            change,
            then,
            counters,
        }]
    }

    // --- commands ----------------------------------------------------------------------

    /// Reports the outcome of the step [`Job::next_action`] asked for (see the module rules).
    ///
    /// Refused: a step other than the next one (`StepOutOfOrder`); `HandOver` (use
    /// [`Job::decide_handover`]); a malformed outcome (`InvalidArgument`: a failure reason
    /// that is not a device or supply reason, a receipt id on a step other than
    /// `PrintReceipt` or none on it, a card serial when no card is in play, a bad serial;
    /// `PayloadTooLarge`: a detail over 1024 bytes).
    pub fn decide_step(
        &self,
        step: Step,
        outcome: StepOutcome,
        at: OffsetDateTime,
    ) -> Result<Vec<JobEvent>, WorkflowError> {
        if step == Step::HandOver {
            return Err(WorkflowError::invalid(
                "step",
                "a handover is reported with decide_handover",
            ));
        }
        match &outcome {
            StepOutcome::Ok {
                detail,
                card_serial,
                receipt_id,
            } => {
                if let Some(d) = detail {
                    check_detail("outcome.detail", d)?;
                }
                if let Some(s) = card_serial {
                    if s.is_empty()
                        || s.len() > MAX_SERIAL
                        || !s.bytes().all(|b| b.is_ascii_graphic())
                    {
                        return Err(WorkflowError::invalid(
                            "outcome.card_serial",
                            "a card serial is 1..64 printable ASCII characters",
                        ));
                    }
                    if step != Step::Feed && self.held_card().is_none() {
                        return Err(WorkflowError::invalid(
                            "outcome.card_serial",
                            "no card is in play",
                        ));
                    }
                }
                match (step, receipt_id) {
                    (Step::PrintReceipt, None) => {
                        return Err(WorkflowError::invalid(
                            "outcome.receipt_id",
                            "a printed receipt has an id",
                        ))
                    }
                    (Step::PrintReceipt, Some(_)) | (_, None) => {}
                    (_, Some(_)) => {
                        return Err(WorkflowError::invalid(
                            "outcome.receipt_id",
                            "only a PrintReceipt outcome carries a receipt id",
                        ))
                    }
                }
            }
            StepOutcome::Failed { reason, .. } => {
                if !STEP_FAILURE_REASONS.contains(reason) {
                    return Err(WorkflowError::invalid(
                        "outcome.reason",
                        format!("{reason} is not a device or supply failure"),
                    ));
                }
            }
        }
        if self.then.next.step() != Some(step) {
            return Err(
                self.out_of_order(format!("the next action is {}, not {step}", self.then.next))
            );
        }

        let running = |next| Transition::to(JobState::Running, next);
        let mut counters = Counters::default();
        let mut card = self.held_card().map(|c| c.number);
        let then = match (step, outcome.failure()) {
            (Step::CheckSupplies, None) => running(NextAction::Feed),
            (Step::Feed, None) => {
                counters.blanks_used = 1;
                card = Some(u32::try_from(self.cards.len() + 1).unwrap_or(u32::MAX));
                running(NextAction::WriteChip)
            }
            (Step::CheckSupplies | Step::Feed, Some((reason, condition))) => {
                match DeferralReason::from_failure(reason, condition) {
                    Some(d) => self.defer(d),
                    None => running(self.then.next),
                }
            }
            (Step::WriteChip, None) => running(NextAction::VerifyChip),
            (Step::VerifyChip, None) => running(NextAction::Print),
            (Step::Print, None) => {
                if !self.held_card().is_some_and(|c| c.verified) {
                    return Err(WorkflowError::Internal(
                        "print before a verified chip".into(),
                    ));
                }
                running(NextAction::Eject)
            }
            (Step::Eject, None) => {
                Transition::to(JobState::AwaitingActivation, NextAction::AwaitActivation)
            }
            (Step::WriteChip | Step::VerifyChip | Step::Print | Step::Eject, Some(_)) => {
                running(NextAction::RejectCard)
            }
            (Step::RejectCard, failure) => {
                counters.spoiled = 1;
                self.after_reject(failure)
            }
            (Step::Activate, None) => {
                Transition::to(JobState::Activated, NextAction::AwaitHandOver)
            }
            (Step::Activate, Some(_)) => {
                Transition::to(JobState::AwaitingActivation, NextAction::Activate)
            }
            (Step::PrintReceipt, None) => Transition {
                next: NextAction::Deferred,
                ..self.then
            },
            (Step::PrintReceipt, Some(_)) => self.then,
            (Step::HandOver, _) => {
                return Err(WorkflowError::Internal("handover as a step".into()))
            }
        };
        Ok(self.event(
            at,
            JobChange::StepRecorded {
                step,
                outcome,
                card,
            },
            then,
            counters,
        ))
    }

    fn after_reject(&self, failure: Option<(Reason, Option<Condition>)>) -> Transition {
        if self.cancel.is_some() {
            return Transition::to(JobState::Cancelled, NextAction::Cancelled);
        }
        if self.abandoned.is_some() {
            return Transition {
                failure: self.then.failure,
                ..Transition::to(JobState::Failed, NextAction::Failed)
            };
        }
        if let Some(d) = failure.and_then(|(r, c)| DeferralReason::from_failure(r, c)) {
            return self.defer(d);
        }
        let cause = self.steps.last().and_then(|s| s.outcome.failure());
        if let Some(d) = cause.and_then(|(r, c)| DeferralReason::from_failure(r, c)) {
            return self.defer(d);
        }
        if self.cards_in_run < self.created.policy.max_cards_per_job {
            Transition::to(JobState::Running, NextAction::Feed)
        } else {
            self.defer(DeferralReason::ChipFaults)
        }
    }

    /// Records a live-finger activation attempt (`matched` as the matcher decided, with its
    /// score). Only while the next action is `AwaitActivation` (`StepOutOfOrder`) and
    /// attempts are left (`RetryBudgetExhausted`). A match makes `Activate` next.
    pub fn decide_activation_attempt(
        &self,
        matched: bool,
        score: u32,
        operator: OperatorId,
        at: OffsetDateTime,
    ) -> Result<Vec<JobEvent>, WorkflowError> {
        if self.then.next != NextAction::AwaitActivation {
            return Err(self.out_of_order(format!(
                "the next action is {}, not activation",
                self.then.next
            )));
        }
        if self.activation_attempts_left() == 0 {
            return Err(WorkflowError::RetryBudgetExhausted {
                subject: self.id().to_string(),
                what: "activation".into(),
            });
        }
        let next = if matched {
            NextAction::Activate
        } else {
            NextAction::AwaitActivation
        };
        Ok(self.event(
            at,
            JobChange::ActivationAttempted {
                attempt: u32::try_from(self.activations.len() + 1).unwrap_or(u32::MAX),
                matched,
                score,
                operator,
            },
            Transition::to(JobState::AwaitingActivation, next),
            Counters::default(),
        ))
    }

    /// Grants a new activation budget once the current one is spent (the resident may try
    /// again later). `StepOutOfOrder` otherwise.
    pub fn decide_reset_activation(
        &self,
        operator: OperatorId,
        at: OffsetDateTime,
    ) -> Result<Vec<JobEvent>, WorkflowError> {
        if self.then.next != NextAction::AwaitActivation || self.activation_attempts_left() > 0 {
            return Err(self.out_of_order("the activation budget is reset only once it is spent"));
        }
        Ok(self.event(
            at,
            JobChange::ActivationReset { operator },
            self.then,
            Counters::default(),
        ))
    }

    /// Gives up the ejected, un-activated card: the job becomes `Failed` (reason
    /// `FINGERPRINT_MISMATCH` after failed attempts, the last `Activate` failure when the chip
    /// would not activate, else `CANCELLED`) and `RejectCard` is next. Only while
    /// `AwaitingActivation` (`StepOutOfOrder`); a note over 1024 bytes is `PayloadTooLarge`.
    pub fn decide_abandon_card(
        &self,
        note: &str,
        operator: OperatorId,
        at: OffsetDateTime,
    ) -> Result<Vec<JobEvent>, WorkflowError> {
        check_detail("note", note)?;
        if self.then.state != JobState::AwaitingActivation {
            return Err(self.out_of_order("only a card awaiting activation can be given up"));
        }
        let reason = if self.then.next == NextAction::Activate {
            self.steps
                .iter()
                .rev()
                .take_while(|s| s.step == Step::Activate)
                .find_map(|s| s.outcome.failure().map(|(r, _)| r))
                .unwrap_or(Reason::DeviceFault)
        } else if !self.activations.is_empty() && !self.activations.iter().any(|a| a.matched) {
            Reason::FingerprintMismatch
        } else {
            Reason::Cancelled
        };
        Ok(self.event(
            at,
            JobChange::CardAbandoned {
                note: note.to_owned(),
                operator,
            },
            Transition {
                failure: Some(reason),
                ..Transition::to(JobState::Failed, NextAction::RejectCard)
            },
            Counters::default(),
        ))
    }

    /// Hands the activated card over against the signed receipt `receipt_id`: counts it
    /// issued. `StepOutOfOrder` unless `Activated`; `ReceiptNotSigned` when not signed.
    pub fn decide_handover(
        &self,
        receipt_id: ReceiptId,
        receipt_signed: bool,
        operator: OperatorId,
        at: OffsetDateTime,
    ) -> Result<Vec<JobEvent>, WorkflowError> {
        if self.then.next != NextAction::AwaitHandOver {
            return Err(self.out_of_order("only an activated card is handed over"));
        }
        if !receipt_signed {
            return Err(WorkflowError::ReceiptNotSigned {
                job_id: self.id().to_string(),
            });
        }
        let good = self.held_card().is_some_and(|c| {
            c.verified && c.printed && c.ejected_at.is_some() && c.activated_at.is_some()
        });
        if !good {
            return Err(WorkflowError::Internal(
                "handover of a card that is not complete".into(),
            ));
        }
        Ok(self.event(
            at,
            JobChange::HandedOver {
                receipt_id,
                operator,
            },
            Transition::to(JobState::HandedOver, NextAction::Done),
            Counters {
                issued: 1,
                ..Counters::default()
            },
        ))
    }

    /// Resumes a deferred job from `CheckSupplies` with a fresh card allowance. `prr_now` is
    /// the PRR status SIAK reports now (`None`: unchanged). `StepOutOfOrder` unless
    /// `Deferred`; `NotPrintReady` while the record is still not PRR.
    pub fn decide_resume(
        &self,
        prr_now: Option<bool>,
        operator: OperatorId,
        at: OffsetDateTime,
    ) -> Result<Vec<JobEvent>, WorkflowError> {
        if self.then.state != JobState::Deferred {
            return Err(self.out_of_order("only a deferred job resumes"));
        }
        let prr = prr_now.unwrap_or(self.prr);
        if !prr {
            return Err(WorkflowError::NotPrintReady {
                job_id: self.id().to_string(),
            });
        }
        Ok(self.event(
            at,
            JobChange::Resumed { prr, operator },
            Transition::to(JobState::Running, NextAction::CheckSupplies),
            Counters::default(),
        ))
    }

    /// Cancels the job. A card in play must still be rejected (`RejectCard` next). No events
    /// when already cancelled; `StepOutOfOrder` when handed over or failed; `InvalidArgument`
    /// for an empty reason, `PayloadTooLarge` over 1024 bytes.
    pub fn decide_cancel(
        &self,
        reason: &str,
        operator: OperatorId,
        at: OffsetDateTime,
    ) -> Result<Vec<JobEvent>, WorkflowError> {
        if reason.trim().is_empty() {
            return Err(WorkflowError::invalid("reason", "must not be empty"));
        }
        check_detail("reason", reason)?;
        match self.then.state {
            JobState::Cancelled => return Ok(Vec::new()),
            JobState::HandedOver | JobState::Failed => {
                return Err(self.out_of_order("the job has ended"));
            }
            _ => {}
        }
        let next = if self.held_card().is_some() {
            NextAction::RejectCard
        } else {
            NextAction::Cancelled
        };
        Ok(self.event(
            at,
            JobChange::CancelRequested {
                reason: reason.to_owned(),
                operator,
            },
            Transition::to(JobState::Cancelled, next),
            Counters::default(),
        ))
    }

    // --- views -------------------------------------------------------------------------

    /// Timings against the standards: `printing` (run start to the eject of the good card),
    /// `activation` (eject to activated chip), `handover` (activated to handed over).
    pub fn timings(&self) -> Vec<StepTiming> {
        let ts = &self.created.policy.time_standards;
        let mut out = Vec::new();
        if let Some(c) = self.cards.iter().rev().find(|c| c.ejected_at.is_some()) {
            if let Some(ejected) = c.ejected_at {
                out.push(StepTiming::new(
                    "printing",
                    c.run_started_at,
                    ejected,
                    Some(ts.printing),
                ));
                if let Some(activated) = c.activated_at {
                    out.push(StepTiming::new(
                        "activation",
                        ejected,
                        activated,
                        Some(ts.activation),
                    ));
                    if let Some((_, _, handed)) = &self.handover {
                        out.push(StepTiming::new(
                            "handover",
                            activated,
                            *handed,
                            Some(ts.handover),
                        ));
                    }
                }
            }
        }
        out
    }

    /// The job as the gRPC `GetJob` shows it: the NIK masked.
    pub fn view(&self) -> JobView {
        JobView {
            id: self.id(),
            state: self.then.state,
            next_action: self.then.next,
            nik_masked: self.created.record.nik.masked(),
            session_id: self.created.session_id,
            application_type: self.created.application_type,
            prr: self.prr,
            arrangement: self.created.policy.arrangement,
            steps: self.steps.clone(),
            timings: self.timings(),
            cards_used: u32::try_from(self.cards.len()).unwrap_or(u32::MAX),
            cards_in_run: self.cards_in_run,
            cards_spoiled: u32::try_from(
                self.cards
                    .iter()
                    .filter(|c| c.fate == CardFate::Rejected)
                    .count(),
            )
            .unwrap_or(u32::MAX),
            card_serial: self.cards.last().and_then(|c| c.serial.clone()),
            deferral_reason: self.then.deferral,
            failure_reason: self.then.failure,
            receipt: self.receipts.last().map(|r| (r.id, r.kind)),
            handover_receipt_id: self.handover.as_ref().map(|(id, _, _)| *id),
            activation_attempts: u32::try_from(self.activations.len()).unwrap_or(u32::MAX),
            activation_attempts_left: self.activation_attempts_left(),
            prompt: self.prompt(),
            created_at: self.created_at,
            closed_at: self.closed_at,
            operator: self.created.operator.clone(),
            cancel_reason: self.cancel.as_ref().map(|(reason, _)| reason.clone()),
        }
    }
}

fn deferral(
    policy: &IssuancePolicy,
    application_type: ApplicationType,
    reason: DeferralReason,
) -> Transition {
    Transition {
        deferral: Some(reason),
        ..Transition::to(
            JobState::Deferred,
            NextAction::PrintReceipt(policy.receipt_policy.receipt_for(reason, application_type)),
        )
    }
}

/// A job as `GetJob` returns it. Only the masked NIK.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobView {
    /// The id.
    pub id: JobId,
    /// Where it stands.
    pub state: JobState,
    /// What the facade does next.
    pub next_action: NextAction,
    /// The NIK, masked.
    pub nik_masked: String,
    /// The session whose biometrics the chip carries.
    pub session_id: Option<SessionId>,
    /// The application type.
    pub application_type: ApplicationType,
    /// PRR as last known.
    pub prr: bool,
    /// Where the encoder is.
    pub arrangement: Arrangement,
    /// Every step as run, with its duration.
    pub steps: Vec<StepRecord>,
    /// Printing, activation and handover against the time standards.
    pub timings: Vec<StepTiming>,
    /// Blanks fed for the job.
    pub cards_used: u32,
    /// Blanks fed in the current run.
    pub cards_in_run: u32,
    /// Cards rejected.
    pub cards_spoiled: u32,
    /// The serial of the last card's chip, once read.
    pub card_serial: Option<String>,
    /// Why deferred, while it is.
    pub deferral_reason: Option<DeferralReason>,
    /// Why failed.
    pub failure_reason: Option<Reason>,
    /// The last deferral receipt printed (id and kind).
    pub receipt: Option<(ReceiptId, ReceiptKind)>,
    /// The signed handover receipt.
    pub handover_receipt_id: Option<ReceiptId>,
    /// Activation attempts made.
    pub activation_attempts: u32,
    /// Activation attempts left in the current budget.
    pub activation_attempts_left: u32,
    /// The operator prompt for the next action, if any.
    pub prompt: Option<OperatorPrompt>,
    /// When created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it ended (handed over, failed, cancelled).
    #[serde(with = "time::serde::rfc3339::option")]
    pub closed_at: Option<OffsetDateTime>,
    /// The operator who created it.
    pub operator: OperatorId,
    /// Why the job was cancelled, when it was (the operator's words, no personal data).
    pub cancel_reason: Option<String>,
}

#[cfg(test)]
mod tests;
