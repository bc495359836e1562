//! Explicit conversions between the workflow of `rekam-station` (enrolment sessions, issuance
//! jobs, their views and events, package manifests, [`WorkflowError`]) and the `rekam.v1`
//! messages.
//!
//! - Enums that a request carries convert both ways: domain to proto is total (`From`), proto
//!   to domain refuses `_UNSPECIFIED` (`TryFrom` with [`Unspecified`]); read a raw `i32`
//!   request field with [`crate::field::enum_field`], which names the field at fault, or with
//!   [`filter_field`] where unspecified means "no filter". `ReceiptKind` goes through
//!   [`ReceiptRequest`], because the workflow's receipt kind has no handover receipt.
//! - Enums the station only sends convert one way (`From`): item states, target outcomes,
//!   job steps, deferral reasons, operator prompts, package entry kinds, error reasons.
//! - Views become messages with [`session`] and [`job`]; attempts with [`attempt_result`];
//!   manifests with [`package`]; job steps with [`job_event`] and [`step_record_event`];
//!   errors with [`workflow_status`].
//!
//! Architecture Invariant: the messages built here carry only the masked NIK that the views
//! carry (`3508**********01`); [`session`] and [`job`] mask again anything that looks like a
//! full NIK, so a view bug cannot put a NIK on the wire.

use std::time::Duration as StdDuration;

use rekam_hal as hal;
use rekam_station::enrolment::{
    ApplicationType, AttemptOutcome, AttemptRecorded, CaptureTarget, EntryKind, ExceptionInfo,
    ExceptionReason, ItemKey, ItemState, ItemView, Manifest, ManifestEntry, Permanence,
    SessionState, SessionView, TargetOutcome,
};
use rekam_station::issuance::{
    DeferralReason, JobState, JobView, NextAction, OperatorPrompt, ReceiptKind, Step, StepOutcome,
    StepRecord,
};
use rekam_station::timing::StepTiming;
use rekam_station::{Reason, WorkflowError, WorkflowErrorKind};
use time::OffsetDateTime;
use tonic::Code;

use crate::convert::duration;
use crate::field::{enum_field, FieldError, Problem, Unspecified};
use crate::status::{canonical_code, error_status};
use crate::v1;

// ---------------------------------------------------------------------------------------
// Scalars
// ---------------------------------------------------------------------------------------

/// A point in time as a protobuf `Timestamp` (UTC seconds and nanoseconds since the Unix
/// epoch; the offset of `t` does not matter).
pub fn timestamp(t: OffsetDateTime) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: t.unix_timestamp(),
        // Always below 10^9, so it fits.
        nanos: i32::try_from(t.nanosecond()).unwrap_or(0),
    }
}

/// A NIK for the wire: the view's masked form as is; a string of 16 digits (a full NIK, which
/// a view never holds) masked to its first 4 and last 2 digits.
fn masked_nik(nik: &str) -> String {
    if nik.len() == 16 && nik.bytes().all(|b| b.is_ascii_digit()) {
        format!("{}{}{}", &nik[..4], "*".repeat(10), &nik[14..])
    } else {
        nik.to_owned()
    }
}

// ---------------------------------------------------------------------------------------
// Enums
// ---------------------------------------------------------------------------------------

/// Both directions between a generated enum and a domain enum: `From<domain> for proto` and
/// `TryFrom<proto> for domain` (refusing `Unspecified`), value by value.
macro_rules! enum_pair {
    ($(#[$doc:meta])* $proto:ty, $domain:ty, $($p:ident <=> $d:ident),+ $(,)?) => {
        impl From<$domain> for $proto {
            $(#[$doc])*
            fn from(d: $domain) -> Self {
                match d { $(<$domain>::$d => <$proto>::$p,)+ }
            }
        }
        impl TryFrom<$proto> for $domain {
            type Error = Unspecified;
            /// The domain value of a specified proto value; `Err(Unspecified)` for
            /// `_UNSPECIFIED` (read request fields with [`enum_field`], which names the field).
            fn try_from(p: $proto) -> Result<Self, Unspecified> {
                match p {
                    <$proto>::Unspecified => Err(Unspecified),
                    $(<$proto>::$p => Ok(<$domain>::$d),)+
                }
            }
        }
    };
}

/// Domain to proto only: the station sends these values and never reads them.
macro_rules! enum_to {
    ($(#[$doc:meta])* $domain:ty => $proto:ty, $($d:ident => $p:ident),+ $(,)?) => {
        impl From<$domain> for $proto {
            $(#[$doc])*
            fn from(d: $domain) -> Self {
                match d { $(<$domain>::$d => <$proto>::$p,)+ }
            }
        }
    };
}

enum_pair!(
    /// The application type by name (`BARU` is `APPLICATION_TYPE_BARU`).
    v1::ApplicationType,
    ApplicationType,
    Baru <=> Baru,
    Rusak <=> Rusak,
    Hilang <=> Hilang,
    Perubahan <=> Perubahan,
);
enum_pair!(
    /// The capture target by name (`LeftSlap` is `CAPTURE_TARGET_LEFT_SLAP`).
    v1::CaptureTarget,
    CaptureTarget,
    Face <=> Face,
    LeftSlap <=> LeftSlap,
    RightSlap <=> RightSlap,
    Thumbs <=> Thumbs,
    Irises <=> Irises,
    Signature <=> Signature,
);
enum_pair!(
    /// The exception reason by name.
    v1::ExceptionReason,
    ExceptionReason,
    Amputated <=> Amputated,
    Bandaged <=> Bandaged,
    Damaged <=> Damaged,
    Unusable <=> Unusable,
);
enum_pair!(
    /// The permanence by name.
    v1::Permanence,
    Permanence,
    Permanent <=> Permanent,
    Temporary <=> Temporary,
);
enum_pair!(
    /// The session state by name (the same as `SessionState::proto_name`).
    v1::SessionState,
    SessionState,
    Open <=> Open,
    Finalized <=> Finalized,
    Cancelled <=> Cancelled,
);
enum_pair!(
    /// The job state by name (the same as `JobState::proto_name`).
    v1::JobState,
    JobState,
    Pending <=> Pending,
    Running <=> Running,
    AwaitingActivation <=> AwaitingActivation,
    Activated <=> Activated,
    HandedOver <=> HandedOver,
    Deferred <=> Deferred,
    Failed <=> Failed,
    Cancelled <=> Cancelled,
);

impl From<ReceiptKind> for v1::ReceiptKind {
    /// A deferral receipt by name (`TandaPengambilan` is `RECEIPT_KIND_TANDA_PENGAMBILAN`).
    fn from(k: ReceiptKind) -> Self {
        match k {
            ReceiptKind::TandaPengambilan => Self::TandaPengambilan,
            ReceiptKind::SuratKeterangan => Self::SuratKeterangan,
        }
    }
}

/// What a `PrintReceiptRequest.kind` asks for: one of the workflow's deferral receipts
/// ([`ReceiptKind`]: tanda pengambilan, surat keterangan), or the handover receipt (bukti
/// penerimaan), which the workflow does not model as a receipt kind (it is the receipt id
/// given to `Job::decide_handover`).
///
/// Read the request field with `enum_field::<v1::ReceiptKind, ReceiptRequest>("kind", raw)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReceiptRequest {
    /// A tanda pengambilan or a surat keterangan, for a DEFERRED job.
    Deferral(ReceiptKind),
    /// A bukti penerimaan, for an ACTIVATED job.
    BuktiPenerimaan,
}

impl From<ReceiptRequest> for v1::ReceiptKind {
    /// The proto value of a receipt request.
    fn from(r: ReceiptRequest) -> Self {
        match r {
            ReceiptRequest::Deferral(k) => k.into(),
            ReceiptRequest::BuktiPenerimaan => Self::BuktiPenerimaan,
        }
    }
}

impl TryFrom<v1::ReceiptKind> for ReceiptRequest {
    type Error = Unspecified;
    /// The request for a specified kind; `Err(Unspecified)` for `RECEIPT_KIND_UNSPECIFIED`.
    fn try_from(k: v1::ReceiptKind) -> Result<Self, Unspecified> {
        match k {
            v1::ReceiptKind::Unspecified => Err(Unspecified),
            v1::ReceiptKind::TandaPengambilan => {
                Ok(ReceiptRequest::Deferral(ReceiptKind::TandaPengambilan))
            }
            v1::ReceiptKind::SuratKeterangan => {
                Ok(ReceiptRequest::Deferral(ReceiptKind::SuratKeterangan))
            }
            v1::ReceiptKind::BuktiPenerimaan => Ok(ReceiptRequest::BuktiPenerimaan),
        }
    }
}

enum_to!(
    /// The item state by name.
    ItemState => v1::ItemState,
    Pending => Pending,
    Captured => Captured,
    Excepted => Excepted,
    NotRequired => NotRequired,
);
enum_to!(
    /// How a target ended, as a capture's outcome. `ITEM_OUTCOME_REFUSED` (declined at the
    /// device, no attempt counted) has no target outcome: the facade sends it itself.
    TargetOutcome => v1::ItemOutcome,
    Accepted => Accepted,
    BestBelowThresholdKept => BestBelowThresholdKept,
    RetryBudgetExhausted => RetryBudgetExhausted,
);
enum_to!(
    /// The job step by name (`Step::WriteChip` is `JOB_STEP_WRITE_CHIP`).
    Step => v1::JobStep,
    CheckSupplies => CheckSupplies,
    Feed => Feed,
    WriteChip => WriteChip,
    VerifyChip => VerifyChip,
    Print => Print,
    Eject => Eject,
    Activate => Activate,
    HandOver => HandOver,
    PrintReceipt => PrintReceipt,
    RejectCard => RejectCard,
);
enum_to!(
    /// The deferral reason by name. `DEFERRAL_REASON_ENCODER_OFFLINE` has no workflow reason
    /// yet (the workflow does not defer on a disconnected encoder).
    DeferralReason => v1::DeferralReason,
    NotPrintReady => NotPrintReady,
    OutOfBlanks => OutOfBlanks,
    RibbonOut => RibbonOut,
    PrinterJam => PrinterJam,
    PrinterOffline => PrinterOffline,
    ChipFaults => ChipFaults,
);
enum_to!(
    /// The prompt code of an operator prompt. `PLACE_CARD_ON_ENCODER` has no workflow
    /// prompt: the facade sends it itself.
    OperatorPrompt => v1::PromptCode,
    PlaceBlankOnEncoder => PlaceBlankOnEncoder,
    LoadCardIntoPrinter => LoadCardIntoPrinter,
    PlaceFinger => PlaceFinger,
    DiscardCard => DiscardCard,
);
enum_to!(
    /// The package entry kind by name.
    EntryKind => v1::PackageEntryKind,
    Sample => Sample,
    ExceptionPhoto => ExceptionPhoto,
    Record => Record,
);

impl From<Reason> for v1::ErrorReason {
    /// The `ErrorReason` value named by [`Reason::as_str`] (every workflow reason has its
    /// namesake in the contract; a reason the contract lacked would become `INTERNAL`).
    fn from(r: Reason) -> Self {
        v1::ErrorReason::from_str_name(r.as_str()).unwrap_or(v1::ErrorReason::Internal)
    }
}

/// The step the facade runs for a next action, as a `JobStep`; `None` for the actions that
/// wait (`AwaitActivation`, `AwaitHandOver`, `Deferred`) or end the job.
pub fn next_step(next: NextAction) -> Option<v1::JobStep> {
    next.step().map(v1::JobStep::from)
}

/// How a reported step ended: `STEP_STATE_DONE` or `STEP_STATE_FAILED`.
pub fn step_state(outcome: &StepOutcome) -> v1::StepState {
    match outcome {
        StepOutcome::Ok { .. } => v1::StepState::Done,
        StepOutcome::Failed { .. } => v1::StepState::Failed,
    }
}

/// Reads an enum request field that is a filter (`ListSessionsRequest.state`,
/// `ListJobsRequest.state`): `_UNSPECIFIED` (0) is `None`, "every value"; an unknown number is
/// a [`FieldError`] naming `field`.
///
/// ```
/// use rekam_proto::v1;
/// use rekam_proto::workflow::filter_field;
/// use rekam_station::issuance::JobState;
///
/// assert_eq!(filter_field::<v1::JobState, JobState>("state", 0), Ok(None));
/// assert_eq!(filter_field::<v1::JobState, JobState>("state", 6), Ok(Some(JobState::Deferred)));
/// assert_eq!(filter_field::<v1::JobState, JobState>("state", 99).unwrap_err().field(), "state");
/// ```
pub fn filter_field<P, D>(field: &str, raw: i32) -> Result<Option<D>, FieldError>
where
    P: TryFrom<i32>,
    D: TryFrom<P, Error = Unspecified>,
{
    if raw == 0 {
        return Ok(None);
    }
    enum_field::<P, D>(field, raw).map(Some)
}

/// The gRPC code family of a workflow error kind.
pub fn kind_code(kind: WorkflowErrorKind) -> Code {
    match kind {
        WorkflowErrorKind::InvalidArgument => Code::InvalidArgument,
        WorkflowErrorKind::NotFound => Code::NotFound,
        WorkflowErrorKind::FailedPrecondition => Code::FailedPrecondition,
        WorkflowErrorKind::ResourceExhausted => Code::ResourceExhausted,
        WorkflowErrorKind::Internal => Code::Internal,
    }
}

// ---------------------------------------------------------------------------------------
// Item keys
// ---------------------------------------------------------------------------------------

impl From<ItemKey> for v1::ItemKey {
    /// The oneof case of an item: `face`, `finger` (ISO code), `eye` (ISO label), `signature`.
    fn from(k: ItemKey) -> Self {
        use v1::item_key::Item;
        let item = match k {
            ItemKey::Face => Item::Face(v1::item_key::Face {}),
            ItemKey::Finger(f) => Item::Finger(v1::Finger::from(f).into()),
            ItemKey::Iris(e) => Item::Eye(v1::Eye::from(e).into()),
            ItemKey::Signature => Item::Signature(v1::item_key::Signature {}),
        };
        v1::ItemKey { item: Some(item) }
    }
}

/// Reads an `ItemKey` request field at path `field` (e.g. `item`): a missing message or an
/// unset oneof is [`Problem::Missing`] on `field`; an unspecified or unknown finger or eye is
/// a [`FieldError`] on `field.finger` / `field.eye`.
///
/// ```
/// use rekam_proto::{v1, workflow::item_key};
/// use rekam_station::enrolment::ItemKey;
///
/// let key = v1::ItemKey { item: Some(v1::item_key::Item::Eye(v1::Eye::Left as i32)) };
/// assert_eq!(item_key("item", Some(&key)), Ok(ItemKey::Iris(rekam_hal::Eye::Left)));
/// let bad = v1::ItemKey { item: Some(v1::item_key::Item::Finger(0)) };
/// assert_eq!(item_key("item", Some(&bad)).unwrap_err().field(), "item.finger");
/// assert_eq!(item_key("item", None).unwrap_err().field(), "item");
/// ```
pub fn item_key(field: &str, key: Option<&v1::ItemKey>) -> Result<ItemKey, FieldError> {
    use v1::item_key::Item;
    let Some(item) = key.and_then(|k| k.item.as_ref()) else {
        return Err(FieldError::new(field, Problem::Missing));
    };
    Ok(match item {
        Item::Face(_) => ItemKey::Face,
        Item::Finger(raw) => ItemKey::Finger(enum_field::<v1::Finger, hal::Finger>(
            &format!("{field}.finger"),
            *raw,
        )?),
        Item::Eye(raw) => ItemKey::Iris(enum_field::<v1::Eye, hal::Eye>(
            &format!("{field}.eye"),
            *raw,
        )?),
        Item::Signature(_) => ItemKey::Signature,
    })
}

// ---------------------------------------------------------------------------------------
// Sessions
// ---------------------------------------------------------------------------------------

/// A step timing: `took`, `standard` (unset when the office sets none) and `within_standard`.
pub fn step_timing(t: &StepTiming) -> v1::StepTiming {
    v1::StepTiming {
        step: t.step.clone(),
        took: Some(duration(t.took)),
        standard: t.standard.map(duration),
        within_standard: t.within,
    }
}

impl From<&StepTiming> for v1::StepTiming {
    /// As [`step_timing`].
    fn from(t: &StepTiming) -> Self {
        step_timing(t)
    }
}

/// An exception as recorded: reason, permanence, operator, time, note and the photo's hash
/// (empty when none was given).
pub fn exception_info(x: &ExceptionInfo) -> v1::ExceptionInfo {
    v1::ExceptionInfo {
        reason: v1::ExceptionReason::from(x.reason).into(),
        permanence: v1::Permanence::from(x.permanence).into(),
        operator_id: x.operator.as_str().to_owned(),
        recorded_at: Some(timestamp(x.at)),
        note: x.note.clone(),
        photo_sha256: x.photo.as_ref().map(|p| p.id.clone()).unwrap_or_default(),
    }
}

/// One item of a session: its state, the kept score (0 while nothing is kept), attempts,
/// threshold, and the exception when (and only when) the item is EXCEPTED.
pub fn item_status(i: &ItemView) -> v1::ItemStatus {
    v1::ItemStatus {
        item: Some(i.item.into()),
        state: v1::ItemState::from(i.state).into(),
        best_score: i.best_score.map(u32::from).unwrap_or(0),
        attempts: i.attempts,
        threshold: i.threshold.into(),
        exception: match (i.state, &i.exception) {
            (ItemState::Excepted, Some(x)) => Some(exception_info(x)),
            _ => None,
        },
    }
}

/// The `Session` message of a session view: every field, the NIK masked only.
///
/// The view's documents and per-target budgets have no field in `Session`; `closed_at`,
/// `package_id` and `cancel_reason` are unset or empty until the session is closed.
pub fn session(view: &SessionView) -> v1::Session {
    v1::Session {
        session_id: view.id.to_string(),
        state: v1::SessionState::from(view.state).into(),
        nik_masked: masked_nik(&view.nik_masked),
        application_type: v1::ApplicationType::from(view.application_type).into(),
        biometrics_required: view.biometrics_required,
        items: view.items.iter().map(item_status).collect(),
        remaining: view
            .remaining
            .iter()
            .map(|&t| v1::CaptureTarget::from(t).into())
            .collect(),
        opened_at: Some(timestamp(view.opened_at)),
        closed_at: view.closed_at.map(timestamp),
        timings: view.timings.iter().map(step_timing).collect(),
        operator_id: view.operator.as_str().to_owned(),
        package_id: view.package_id.map(|p| p.to_string()).unwrap_or_default(),
        cancel_reason: view.cancel_reason.clone().unwrap_or_default(),
    }
}

/// A quality measure as the contract carries it.
pub fn measure(m: &rekam_station::enrolment::QualityMeasure) -> v1::QualityMeasure {
    v1::QualityMeasure {
        name: m.name.clone(),
        value: m.value,
        min: m.min,
        max: m.max,
        passes: m.passes,
    }
}

/// The `AttemptResult` event of a recorded attempt: its number, whether it was accepted,
/// the quality of each expected item seen (score, the threshold applied, passes), the
/// guidance for the next attempt (empty when accepted, as the contract says) and the attempts
/// left in the target's budget (from the event).
///
/// A refused attempt (partial slap, wrong hand) has no qualities: the workflow does not keep
/// the scores of a refused presentation.
pub fn attempt_result(a: &AttemptRecorded) -> v1::AttemptResult {
    let accepted = a.outcome == AttemptOutcome::Accepted;
    v1::AttemptResult {
        attempt: a.attempt,
        accepted,
        qualities: a
            .items
            .iter()
            .map(|i| v1::ItemQuality {
                item: Some(i.item.into()),
                score: i.score.into(),
                threshold: a.threshold.into(),
                passes: i.passes,
                measures: i.measures.iter().map(measure).collect(),
            })
            .collect(),
        guidance: if accepted {
            Vec::new()
        } else {
            a.guidance.iter().copied().map(v1::Guidance::from).collect()
        },
        attempts_left: a.attempts_left,
    }
}

/// One manifest entry as a `PackageEntry`.
pub fn package_entry(e: &ManifestEntry) -> v1::PackageEntry {
    v1::PackageEntry {
        item: Some(e.item.into()),
        media_type: e.media_type.clone(),
        sha256: e.sha256.clone(),
        chain_hash: e.chain_hash.clone(),
        size: e.size,
        kind: v1::PackageEntryKind::from(e.kind).into(),
    }
}

/// The `EnrolmentPackage` of a finalized session's manifest: its package id, the entries in
/// chain order, `manifest_json` = [`Manifest::to_json`] and `manifest_sha256` its hash.
///
/// The manifest carries only the masked NIK. When the facade stores a signed form of the
/// manifest (station identity and signature added), it replaces `manifest_json` and
/// `manifest_sha256` with the stored bytes and their hash.
pub fn package(manifest: &Manifest) -> v1::EnrolmentPackage {
    v1::EnrolmentPackage {
        package_id: manifest.package_id.to_string(),
        manifest_sha256: manifest.sha256_hex(),
        entries: manifest.entries.iter().map(package_entry).collect(),
        manifest_json: manifest.to_json(),
    }
}

// ---------------------------------------------------------------------------------------
// Jobs
// ---------------------------------------------------------------------------------------

/// The English detail of a step record: the outcome's detail; for a printed receipt without
/// one, its id; for a failure, the device error kind and condition when known.
fn step_detail(outcome: &StepOutcome) -> String {
    match outcome {
        StepOutcome::Ok {
            detail: Some(d), ..
        } => d.clone(),
        StepOutcome::Ok {
            receipt_id: Some(r),
            ..
        } => format!("receipt {r}"),
        StepOutcome::Ok { .. } => String::new(),
        StepOutcome::Failed {
            device_error_kind,
            condition,
            ..
        } => {
            let mut parts = Vec::new();
            if let Some(k) = device_error_kind {
                parts.push(format!("device error {}", k.as_str()));
            }
            if let Some(c) = condition {
                parts.push(format!(
                    "condition {}",
                    v1::DeviceCondition::from(*c).as_str_name()
                ));
            }
            parts.join(", ")
        }
    }
}

/// The office's standard for a step record: only the handover has one of its own (the
/// `handover` time standard, measured from the activated chip, which is exactly the
/// HAND_OVER record's `took`). The `printing` and `activation` standards span several steps
/// and have no field in `Job`.
fn step_standard(step: Step, view: &JobView) -> Option<prost_types::Duration> {
    let name = match step {
        Step::HandOver => "handover",
        _ => return None,
    };
    view.timings
        .iter()
        .find(|t| t.step == name)
        .and_then(|t| t.standard)
        .map(duration)
}

/// One step as run: step, DONE or FAILED, took, the standard where there is one, the
/// reason (FAILED only), the detail, and when it started (reported time minus took).
pub fn job_step_record(r: &StepRecord, view: &JobView) -> v1::JobStepRecord {
    let (state, reason) = match &r.outcome {
        StepOutcome::Ok { .. } => (v1::StepState::Done, v1::ErrorReason::Unspecified),
        StepOutcome::Failed { reason, .. } => (v1::StepState::Failed, (*reason).into()),
    };
    let started = time::Duration::try_from(r.took)
        .ok()
        .and_then(|d| r.at.checked_sub(d))
        .unwrap_or(r.at);
    v1::JobStepRecord {
        step: v1::JobStep::from(r.step).into(),
        state: state.into(),
        took: Some(duration(r.took)),
        standard: step_standard(r.step, view),
        reason: reason.into(),
        detail: step_detail(&r.outcome),
        started_at: Some(timestamp(started)),
    }
}

/// When a job last changed, as far as its view shows: the latest of its creation, its last
/// step record and its end.
fn updated_at(view: &JobView) -> OffsetDateTime {
    let mut t = view.created_at;
    for s in &view.steps {
        t = t.max(s.at);
    }
    if let Some(c) = view.closed_at {
        t = t.max(c);
    }
    t
}

/// The `Job` message of a job view: every field, the NIK masked only.
///
/// - `deferral` is set only while DEFERRED and `reason` only when FAILED, as the contract
///   says; `card_serial` is upper-cased (the contract's upper-case hex).
/// - `receipt_id` is the last receipt: the signed handover receipt once handed over, else
///   the last deferral receipt printed.
/// - `updated_at` is the latest time the view shows (creation, last step, end): activation
///   attempts, resumes and cancellations that are not steps do not move it.
pub fn job(view: &JobView) -> v1::Job {
    let deferral = match (view.state, view.deferral_reason) {
        (JobState::Deferred, Some(d)) => v1::DeferralReason::from(d),
        _ => v1::DeferralReason::Unspecified,
    };
    let reason = match (view.state, view.failure_reason) {
        (JobState::Failed, Some(r)) => v1::ErrorReason::from(r),
        _ => v1::ErrorReason::Unspecified,
    };
    let receipt_id = view
        .handover_receipt_id
        .or(view.receipt.map(|(id, _)| id))
        .map(|id| id.to_string())
        .unwrap_or_default();
    v1::Job {
        job_id: view.id.to_string(),
        state: v1::JobState::from(view.state).into(),
        nik_masked: masked_nik(&view.nik_masked),
        session_id: view.session_id.map(|s| s.to_string()).unwrap_or_default(),
        steps: view
            .steps
            .iter()
            .map(|r| job_step_record(r, view))
            .collect(),
        cards_spoiled: view.cards_spoiled,
        card_serial: view
            .card_serial
            .as_deref()
            .map(str::to_ascii_uppercase)
            .unwrap_or_default(),
        deferral: deferral.into(),
        receipt_id,
        created_at: Some(timestamp(view.created_at)),
        updated_at: Some(timestamp(updated_at(view))),
        operator_id: view.operator.as_str().to_owned(),
        prr: view.prr,
        reason: reason.into(),
        cancel_reason: view.cancel_reason.clone().unwrap_or_default(),
        timings: view.timings.iter().map(step_timing).collect(),
    }
}

/// The `Prompt` of an operator prompt for a job: `attempt` is the activation attempt a
/// `PLACE_FINGER` opens (attempts made + 1) and 0 for the other prompts; no finger, no
/// timeout (the facade sets them when it knows them).
pub fn operator_prompt(prompt: OperatorPrompt, view: &JobView) -> v1::Prompt {
    v1::Prompt {
        code: v1::PromptCode::from(prompt).into(),
        attempt: match prompt {
            OperatorPrompt::PlaceFinger => view.activation_attempts.saturating_add(1),
            OperatorPrompt::PlaceBlankOnEncoder
            | OperatorPrompt::LoadCardIntoPrinter
            | OperatorPrompt::DiscardCard => 0,
        },
        finger: None,
        timeout: None,
    }
}

/// A `JobEvent` about `step` of the job `view` shows (the job after the event):
/// `state` STARTED, DONE, FAILED or SKIPPED; `took` (set it on DONE and FAILED); `reason`
/// (sent only with FAILED, `ERROR_REASON_UNSPECIFIED` otherwise); an English `detail` (never
/// personal data); the `prompt` the operator must follow, if any (see [`operator_prompt`]).
pub fn job_event(
    step: Step,
    state: v1::StepState,
    took: Option<StdDuration>,
    reason: Option<Reason>,
    detail: &str,
    prompt: Option<v1::Prompt>,
    view: &JobView,
) -> v1::JobEvent {
    let reason = match (state, reason) {
        (v1::StepState::Failed, Some(r)) => v1::ErrorReason::from(r),
        _ => v1::ErrorReason::Unspecified,
    };
    v1::JobEvent {
        job_id: view.id.to_string(),
        step: v1::JobStep::from(step).into(),
        state: state.into(),
        prompt,
        took: took.map(duration),
        reason: reason.into(),
        detail: detail.to_owned(),
        job: Some(job(view)),
    }
}

/// The DONE or FAILED `JobEvent` of a step record (typically `view.steps.last()` after the
/// step's event was applied): its step, state, took, reason and detail, and the job.
pub fn step_record_event(record: &StepRecord, view: &JobView) -> v1::JobEvent {
    let reason = match &record.outcome {
        StepOutcome::Failed { reason, .. } => Some(*reason),
        StepOutcome::Ok { .. } => None,
    };
    job_event(
        record.step,
        step_state(&record.outcome),
        Some(record.took),
        reason,
        &step_detail(&record.outcome),
        None,
        view,
    )
}

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

/// The status of a refused workflow command: the `ErrorReason` named by
/// `err.reason().as_str()`, its canonical code ([`canonical_code`]), metadata from
/// `err.metadata()`, and the error's `Display` as the message (workflow errors never carry
/// personal data).
///
/// The code is the reason's canonical code, not [`kind_code`] of `err.kind()`, where the two
/// differ: the contract documents one code per reason, clients branch on the reason, and a
/// status whose code disagreed with its reason would be a second truth. Today they agree for
/// every error (a test builds every variant); the kind's code is used only for a reason the
/// contract does not know, which is then sent as `INTERNAL`.
///
/// ```
/// use rekam_proto::status::reason_of;
/// use rekam_proto::v1::ErrorReason;
/// use rekam_proto::workflow::workflow_status;
/// use rekam_station::WorkflowError;
///
/// let status = workflow_status(&WorkflowError::JobNotFound {
///     job_id: "job_01JD3Z6K8T9W4Q2M5N7P0R1S2V".into(),
/// });
/// assert_eq!(status.code(), tonic::Code::NotFound);
/// assert_eq!(reason_of(&status), Some(ErrorReason::JobNotFound));
/// ```
pub fn workflow_status(err: &WorkflowError) -> tonic::Status {
    let (code, reason) = match v1::ErrorReason::from_str_name(err.reason().as_str()) {
        Some(reason) => (canonical_code(reason), reason),
        None => (kind_code(err.kind()), v1::ErrorReason::Internal),
    };
    let metadata = err.metadata().into_iter().map(|(k, v)| (k.to_owned(), v));
    error_status(code, reason, err.to_string(), metadata)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Debug;

    use rekam_card::{
        BloodType, CardRecord, Citizenship, MaritalStatus, Nik, Religion, Sex, ValidUntil,
    };
    use rekam_hal::{Eye, Finger, Guidance, GuidanceCode};
    use rekam_station::config::{Arrangement, WorkflowConfig};
    use rekam_station::enrolment::{
        AttemptData, BlobRef, OpenSession, RecordException, Session, SessionEvent,
    };
    use rekam_station::issuance::{CreateJob, Job, JobEvent as StationJobEvent};
    use rekam_station::{JobId, OperatorId, PackageId, ReceiptId, SessionId};
    use time::macros::{date, datetime};

    use crate::descriptor;
    use crate::status::{error_info_of, reason_of};

    /// A woman born 5 January 2000 in Lumajang.
    const SITI: &str = "3508014501000001";
    const SITI_MASKED: &str = "3508**********01";

    // --- enums ---------------------------------------------------------------------------

    /// Every value of a generated enum, read from the descriptor set: `(name, number)`.
    fn proto_values(full_name: &str) -> Vec<(String, i32)> {
        let values: Vec<(String, i32)> = descriptor::enum_values(full_name)
            .into_iter()
            .map(|(name, number, _)| (name, number))
            .collect();
        assert!(values.len() > 1, "{full_name} has no values");
        values
    }

    /// Checks a two-way pair over every proto value and every domain value: each specified
    /// proto value converts to a domain value and back to itself, the unspecified one is
    /// refused (through `enum_field`, naming the field), an unknown number is refused, and
    /// the domain values are exactly as many as the specified proto values.
    fn two_way<P, D>(full_name: &str, domain_all: &[D])
    where
        P: TryFrom<i32> + From<D> + Copy + PartialEq + Debug,
        i32: From<P>,
        D: TryFrom<P, Error = Unspecified> + Copy + PartialEq + Debug,
    {
        let mut specified = 0;
        for (name, number) in proto_values(full_name) {
            let Ok(p) = P::try_from(number) else {
                panic!("{name} = {number} is not in the generated enum");
            };
            if number == 0 {
                assert_eq!(D::try_from(p), Err(Unspecified), "{name}");
                let err = enum_field::<P, D>("request.value", number).unwrap_err();
                assert_eq!(err.field(), "request.value");
                assert_eq!(err.problem(), &Problem::Unspecified);
                assert_eq!(filter_field::<P, D>("request.value", 0), Ok(None));
                continue;
            }
            specified += 1;
            let d = D::try_from(p).unwrap_or_else(|_| panic!("{name} has no domain value"));
            assert_eq!(P::from(d), p, "{name}");
            assert_eq!(enum_field::<P, D>("value", number), Ok(d));
            assert_eq!(filter_field::<P, D>("value", number), Ok(Some(d)));
        }
        assert_eq!(specified, domain_all.len(), "{full_name}");
        for &d in domain_all {
            let p = P::from(d);
            assert_ne!(i32::from(p), 0, "{d:?}");
            assert_eq!(D::try_from(p), Ok(d));
        }
        let err = enum_field::<P, D>("kind", 999).unwrap_err();
        assert_eq!(
            (err.field(), err.problem()),
            ("kind", &Problem::UnknownEnumValue(999))
        );
        assert_eq!(
            filter_field::<P, D>("state", 999).unwrap_err().problem(),
            &Problem::UnknownEnumValue(999)
        );
    }

    // Exhaustive lists of the domain enums that have no `ALL`: the matches fail to compile
    // when a variant is added, so the lists stay complete.
    fn exception_reasons() -> [ExceptionReason; 4] {
        match ExceptionReason::Amputated {
            ExceptionReason::Amputated
            | ExceptionReason::Bandaged
            | ExceptionReason::Damaged
            | ExceptionReason::Unusable => {}
        }
        [
            ExceptionReason::Amputated,
            ExceptionReason::Bandaged,
            ExceptionReason::Damaged,
            ExceptionReason::Unusable,
        ]
    }

    fn permanences() -> [Permanence; 2] {
        match Permanence::Permanent {
            Permanence::Permanent | Permanence::Temporary => {}
        }
        [Permanence::Permanent, Permanence::Temporary]
    }

    fn session_states() -> [SessionState; 3] {
        match SessionState::Open {
            SessionState::Open | SessionState::Finalized | SessionState::Cancelled => {}
        }
        [
            SessionState::Open,
            SessionState::Finalized,
            SessionState::Cancelled,
        ]
    }

    fn job_states() -> [JobState; 8] {
        use JobState as J;
        match J::Pending {
            J::Pending
            | J::Running
            | J::AwaitingActivation
            | J::Activated
            | J::HandedOver
            | J::Deferred
            | J::Failed
            | J::Cancelled => {}
        }
        [
            J::Pending,
            J::Running,
            J::AwaitingActivation,
            J::Activated,
            J::HandedOver,
            J::Deferred,
            J::Failed,
            J::Cancelled,
        ]
    }

    fn receipt_requests() -> [ReceiptRequest; 3] {
        match ReceiptKind::TandaPengambilan {
            ReceiptKind::TandaPengambilan | ReceiptKind::SuratKeterangan => {}
        }
        [
            ReceiptRequest::Deferral(ReceiptKind::TandaPengambilan),
            ReceiptRequest::Deferral(ReceiptKind::SuratKeterangan),
            ReceiptRequest::BuktiPenerimaan,
        ]
    }

    #[test]
    fn two_way_enums_round_trip_over_every_value() {
        two_way::<v1::ApplicationType, ApplicationType>(
            "rekam.v1.ApplicationType",
            &ApplicationType::ALL,
        );
        two_way::<v1::CaptureTarget, CaptureTarget>("rekam.v1.CaptureTarget", &CaptureTarget::ALL);
        two_way::<v1::ExceptionReason, ExceptionReason>(
            "rekam.v1.ExceptionReason",
            &exception_reasons(),
        );
        two_way::<v1::Permanence, Permanence>("rekam.v1.Permanence", &permanences());
        two_way::<v1::SessionState, SessionState>("rekam.v1.SessionState", &session_states());
        two_way::<v1::JobState, JobState>("rekam.v1.JobState", &job_states());
        two_way::<v1::ReceiptKind, ReceiptRequest>("rekam.v1.ReceiptKind", &receipt_requests());
        two_way::<v1::MaritalStatus, MaritalStatus>(
            "rekam.v1.MaritalStatus",
            &[
                MaritalStatus::BelumKawin,
                MaritalStatus::Kawin,
                MaritalStatus::CeraiHidup,
                MaritalStatus::CeraiMati,
            ],
        );
    }

    #[test]
    fn unspecified_request_fields_are_refused_naming_the_field() {
        let err = enum_field::<v1::CaptureTarget, CaptureTarget>("target", 0).unwrap_err();
        assert_eq!(
            (err.field(), err.problem()),
            ("target", &Problem::Unspecified)
        );
        let status = err.to_status();
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(reason_of(&status), Some(v1::ErrorReason::InvalidArgument));
        assert_eq!(error_info_of(&status).unwrap().metadata["field"], "target");
        let err =
            enum_field::<v1::ApplicationType, ApplicationType>("application_type", 0).unwrap_err();
        assert_eq!(err.field(), "application_type");
        let err = enum_field::<v1::ReceiptKind, ReceiptRequest>("kind", 0).unwrap_err();
        assert_eq!(err.field(), "kind");
        let err = enum_field::<v1::Permanence, Permanence>("permanence", 3).unwrap_err();
        assert_eq!(err.problem(), &Problem::UnknownEnumValue(3));
    }

    #[test]
    fn domain_names_agree_with_proto_names() {
        for s in session_states() {
            assert_eq!(v1::SessionState::from(s).as_str_name(), s.proto_name());
        }
        for s in job_states() {
            assert_eq!(v1::JobState::from(s).as_str_name(), s.proto_name());
        }
        for t in CaptureTarget::ALL {
            assert_eq!(v1::CaptureTarget::from(t).as_str_name(), t.proto_name());
        }
        for a in ApplicationType::ALL {
            assert_eq!(
                v1::ApplicationType::from(a).as_str_name(),
                format!("APPLICATION_TYPE_{}", a.as_str())
            );
        }
    }

    fn snake_upper(camel: &str) -> String {
        let mut out = String::new();
        for (i, c) in camel.chars().enumerate() {
            if c.is_ascii_uppercase() && i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_uppercase());
        }
        out
    }

    #[test]
    fn one_way_enums_map_to_their_namesakes() {
        use ItemState as I;
        for s in [I::Pending, I::Captured, I::Excepted, I::NotRequired] {
            assert_eq!(
                v1::ItemState::from(s).as_str_name(),
                format!("ITEM_STATE_{}", snake_upper(&format!("{s:?}")))
            );
        }
        use TargetOutcome as T;
        for o in [
            T::Accepted,
            T::BestBelowThresholdKept,
            T::RetryBudgetExhausted,
        ] {
            assert_eq!(
                v1::ItemOutcome::from(o).as_str_name(),
                format!("ITEM_OUTCOME_{}", snake_upper(&format!("{o:?}")))
            );
        }
        use Step as S;
        let steps = [
            S::CheckSupplies,
            S::Feed,
            S::WriteChip,
            S::VerifyChip,
            S::Print,
            S::Eject,
            S::Activate,
            S::HandOver,
            S::PrintReceipt,
            S::RejectCard,
        ];
        for s in steps {
            assert_eq!(
                v1::JobStep::from(s).as_str_name(),
                format!("JOB_STEP_{}", s.as_str().to_ascii_uppercase())
            );
        }
        let distinct: std::collections::HashSet<i32> =
            steps.iter().map(|&s| v1::JobStep::from(s) as i32).collect();
        assert_eq!(distinct.len(), proto_values("rekam.v1.JobStep").len() - 1);
        use DeferralReason as D;
        for d in [
            D::NotPrintReady,
            D::OutOfBlanks,
            D::RibbonOut,
            D::PrinterJam,
            D::PrinterOffline,
            D::ChipFaults,
        ] {
            assert_eq!(
                v1::DeferralReason::from(d).as_str_name(),
                format!("DEFERRAL_REASON_{}", d.as_str())
            );
        }
        use OperatorPrompt as O;
        for p in [
            O::PlaceBlankOnEncoder,
            O::LoadCardIntoPrinter,
            O::PlaceFinger,
            O::DiscardCard,
        ] {
            assert_eq!(
                v1::PromptCode::from(p).as_str_name(),
                format!("PROMPT_CODE_{}", snake_upper(&format!("{p:?}")))
            );
        }
        for k in [
            EntryKind::Sample,
            EntryKind::ExceptionPhoto,
            EntryKind::Record,
        ] {
            assert_eq!(
                v1::PackageEntryKind::from(k).as_str_name(),
                format!("PACKAGE_ENTRY_KIND_{}", snake_upper(&format!("{k:?}")))
            );
        }
        assert_eq!(next_step(NextAction::Feed), Some(v1::JobStep::Feed));
        assert_eq!(
            next_step(NextAction::PrintReceipt(ReceiptKind::SuratKeterangan)),
            Some(v1::JobStep::PrintReceipt)
        );
        assert_eq!(next_step(NextAction::AwaitActivation), None);
        assert_eq!(next_step(NextAction::Done), None);
    }

    #[test]
    fn every_workflow_reason_has_its_namesake() {
        for r in Reason::ALL {
            let p = v1::ErrorReason::from(r);
            assert_eq!(p.as_str_name(), r.as_str());
        }
    }

    // --- item keys -------------------------------------------------------------------------

    #[test]
    fn item_keys_round_trip_and_name_the_field() {
        use v1::item_key::Item;
        for k in ItemKey::ALL {
            let p = v1::ItemKey::from(k);
            assert_eq!(item_key("item", Some(&p)), Ok(k), "{k}");
            match (k, p.item.unwrap()) {
                (ItemKey::Face, Item::Face(_)) | (ItemKey::Signature, Item::Signature(_)) => {}
                (ItemKey::Finger(f), Item::Finger(raw)) => {
                    assert_eq!(raw, i32::from(f.iso_code()));
                }
                (ItemKey::Iris(e), Item::Eye(raw)) => {
                    assert_eq!(raw, if e == Eye::Right { 1 } else { 2 });
                }
                (k, other) => panic!("{k} became {other:?}"),
            }
        }
        let missing = item_key("item", None).unwrap_err();
        assert_eq!(
            (missing.field(), missing.problem()),
            ("item", &Problem::Missing)
        );
        let unset = item_key("item", Some(&v1::ItemKey { item: None })).unwrap_err();
        assert_eq!(
            (unset.field(), unset.problem()),
            ("item", &Problem::Missing)
        );
        let finger = item_key(
            "item",
            Some(&v1::ItemKey {
                item: Some(Item::Finger(0)),
            }),
        )
        .unwrap_err();
        assert_eq!(
            (finger.field(), finger.problem()),
            ("item.finger", &Problem::Unspecified)
        );
        let eye = item_key(
            "qualities[0].item",
            Some(&v1::ItemKey {
                item: Some(Item::Eye(7)),
            }),
        )
        .unwrap_err();
        assert_eq!(
            (eye.field(), eye.problem()),
            ("qualities[0].item.eye", &Problem::UnknownEnumValue(7))
        );
    }

    // --- sessions ----------------------------------------------------------------------------

    fn op() -> OperatorId {
        OperatorId::new("op.siti").unwrap()
    }

    fn t0() -> OffsetDateTime {
        datetime!(2025-01-06 08:00 +07:00)
    }

    fn blob(n: usize, media_type: &str) -> BlobRef {
        BlobRef {
            id: format!("{n:064x}"),
            media_type: media_type.into(),
            size: 1000 + u64::try_from(n).unwrap(),
        }
    }

    fn open_session(ty: ApplicationType, documents: &[&str], previously_recorded: bool) -> Session {
        let events = Session::decide_open(
            &OpenSession {
                session_id: "ses_01JD3Z6K8T9W4Q2M5N7P0R1S2V".parse().unwrap(),
                nik: Nik::parse(SITI).unwrap(),
                application_type: ty,
                documents: documents.iter().map(|d| (*d).to_owned()).collect(),
                marital_status: MaritalStatus::BelumKawin,
                previously_recorded,
                operator: op(),
                today: date!(2025 - 01 - 06),
                at: t0(),
            },
            &WorkflowConfig::default(),
        )
        .unwrap();
        Session::replay(&events).unwrap()
    }

    fn apply(s: &mut Session, events: Vec<SessionEvent>) -> Vec<SessionEvent> {
        for e in &events {
            s.apply(e).unwrap();
        }
        events
    }

    /// An attempt of `target` with the given qualities, one blob each.
    fn attempt(
        s: &mut Session,
        target: CaptureTarget,
        qualities: &[(ItemKey, u8)],
        guidance: &[Guidance],
        seed: usize,
        at: OffsetDateTime,
    ) -> AttemptRecorded {
        let data = AttemptData {
            qualities: qualities.to_vec(),
            guidance: guidance.to_vec(),
            measures: vec![],
            blobs: qualities
                .iter()
                .enumerate()
                .map(|(i, (k, _))| (*k, blob(seed * 100 + i + 1, "image/png")))
                .collect(),
            operator: op(),
            at,
        };
        let events = apply(s, s.decide_attempt(target, data).unwrap());
        match &events[0] {
            SessionEvent::AttemptRecorded(a) => a.clone(),
            other => panic!("not an attempt: {other:?}"),
        }
    }

    fn all_at(target: CaptureTarget, score: u8) -> Vec<(ItemKey, u8)> {
        target.items().into_iter().map(|k| (k, score)).collect()
    }

    fn assert_no_full_nik(what: &impl Debug) {
        let debug = format!("{what:?}");
        assert!(!debug.contains(SITI), "full NIK in {debug}");
    }

    #[test]
    fn a_session_through_the_state_machine_converts_with_the_masked_nik_only() {
        let mut s = open_session(ApplicationType::Baru, &["KK_COPY"], false);
        let p = session(&s.view());
        assert_eq!(p.state(), v1::SessionState::Open);
        assert_eq!(p.nik_masked, SITI_MASKED);
        assert_eq!(p.application_type(), v1::ApplicationType::Baru);
        assert!(p.biometrics_required);
        assert_eq!(p.items.len(), 14);
        assert!(p
            .items
            .iter()
            .all(|i| i.state() == v1::ItemState::Pending && i.exception.is_none()));
        assert_eq!(
            p.remaining().collect::<Vec<_>>(),
            [
                v1::CaptureTarget::Face,
                v1::CaptureTarget::Signature,
                v1::CaptureTarget::RightSlap,
                v1::CaptureTarget::LeftSlap,
                v1::CaptureTarget::Thumbs,
                v1::CaptureTarget::Irises,
            ]
        );
        assert_eq!(p.opened_at, Some(timestamp(t0())));
        assert_eq!(p.opened_at.unwrap().seconds, t0().unix_timestamp());
        assert_eq!((p.closed_at, p.package_id.as_str()), (None, ""));
        assert_eq!(p.operator_id, "op.siti");
        assert_eq!(p.session_id, "ses_01JD3Z6K8T9W4Q2M5N7P0R1S2V");

        // The face, accepted; a partial left slap, refused; an amputated left little finger.
        let face = attempt(
            &mut s,
            CaptureTarget::Face,
            &[(ItemKey::Face, 88)],
            &[Guidance::new(GuidanceCode::KeepStill)],
            1,
            t0() + time::Duration::seconds(30),
        );
        let r = attempt_result(&face);
        assert!(r.accepted);
        assert_eq!(r.attempt, 1);
        assert_eq!(r.qualities.len(), 1);
        let q = &r.qualities[0];
        assert_eq!(item_key("item", q.item.as_ref()), Ok(ItemKey::Face));
        assert_eq!(u32::from(face.threshold), q.threshold);
        assert_eq!((q.score, q.passes), (88, true));
        assert!(r.guidance.is_empty(), "no guidance once accepted");
        assert_eq!(r.attempts_left, face.attempts_left);

        let partial: Vec<(ItemKey, u8)> = all_at(CaptureTarget::LeftSlap, 70)
            .into_iter()
            .filter(|(k, _)| *k != ItemKey::Finger(Finger::LeftLittle))
            .collect();
        let refused = attempt(
            &mut s,
            CaptureTarget::LeftSlap,
            &partial,
            &[],
            2,
            t0() + time::Duration::seconds(60),
        );
        let r = attempt_result(&refused);
        assert!(!r.accepted);
        assert!(r.qualities.is_empty());
        assert!(r
            .guidance
            .iter()
            .any(|g| g.code() == v1::GuidanceCode::PartialSlap
                && g.finger == Some(v1::Finger::LeftLittle as i32)));
        assert_eq!(r.attempts_left, refused.attempts_left);

        let little = ItemKey::Finger(Finger::LeftLittle);
        let excepted = s
            .decide_exception(RecordException {
                item: little,
                reason: ExceptionReason::Amputated,
                permanence: Permanence::Permanent,
                operator: op(),
                photo: Some(blob(9001, "image/jpeg")),
                note: "since birth".into(),
                at: t0() + time::Duration::seconds(90),
            })
            .unwrap();
        apply(&mut s, excepted);
        let low = attempt(
            &mut s,
            CaptureTarget::LeftSlap,
            &all_at(CaptureTarget::LeftSlap, 20)
                .into_iter()
                .filter(|(k, _)| *k != little)
                .collect::<Vec<_>>(),
            &[],
            3,
            t0() + time::Duration::seconds(120),
        );
        let r = attempt_result(&low);
        assert!(!r.accepted);
        assert_eq!(r.qualities.len(), 3);
        assert!(r
            .qualities
            .iter()
            .all(|q| q.score == 20 && !q.passes && q.threshold == u32::from(low.threshold)));
        assert!(r
            .guidance
            .iter()
            .any(|g| g.code() == v1::GuidanceCode::PoorQuality));

        let p = session(&s.view());
        let status = |k: ItemKey| {
            p.items
                .iter()
                .find(|i| item_key("item", i.item.as_ref()) == Ok(k))
                .unwrap()
                .clone()
        };
        let f = status(ItemKey::Face);
        assert_eq!(
            (f.state(), f.best_score, f.attempts),
            (v1::ItemState::Captured, 88, 1)
        );
        let x = status(little);
        assert_eq!(x.state(), v1::ItemState::Excepted);
        let info = x.exception.unwrap();
        assert_eq!(info.reason(), v1::ExceptionReason::Amputated);
        assert_eq!(info.permanence(), v1::Permanence::Permanent);
        assert_eq!(info.photo_sha256, format!("{:064x}", 9001));
        assert_eq!(info.note, "since birth");
        assert_eq!(info.operator_id, "op.siti");
        let ring = status(ItemKey::Finger(Finger::LeftRing));
        assert_eq!(
            (ring.state(), ring.best_score, ring.attempts),
            (v1::ItemState::Pending, 20, 2)
        );
        assert!(ring.exception.is_none());
        assert!(!p.remaining().any(|t| t == v1::CaptureTarget::Face));
        assert_eq!(p.timings.len(), 2, "{:?}", p.timings);
        assert_eq!(p.timings[0].step, "capture.face");
        assert_eq!(p.timings[1].step, "capture.left_slap");
        assert_no_full_nik(&p);

        // Finalizing too early is refused with the targets still missing.
        let pkg: PackageId = "pkg_01JD3Z6K8T9W4Q2M5N7P0R1S2V".parse().unwrap();
        let err = s
            .decide_finalize(pkg, vec![], op(), t0() + time::Duration::seconds(150))
            .unwrap_err();
        let st = workflow_status(&err);
        assert_eq!(st.code(), Code::FailedPrecondition);
        assert_eq!(reason_of(&st), Some(v1::ErrorReason::SessionNotComplete));
        let info = error_info_of(&st).unwrap();
        assert_eq!(info.metadata["session_id"], p.session_id);
        assert!(info.metadata["missing"].contains("CAPTURE_TARGET_LEFT_SLAP"));

        // Everything else, then finalize: a package with its chain.
        let mut at = t0() + time::Duration::seconds(200);
        for (n, t) in [
            CaptureTarget::Signature,
            CaptureTarget::RightSlap,
            CaptureTarget::Thumbs,
            CaptureTarget::Irises,
        ]
        .into_iter()
        .enumerate()
        {
            at += time::Duration::seconds(20);
            attempt(&mut s, t, &all_at(t, 90), &[], 10 + n, at);
        }
        let left = s.capture_plan(CaptureTarget::LeftSlap).unwrap();
        let qualities: Vec<(ItemKey, u8)> = left.expected.iter().map(|k| (*k, 90)).collect();
        attempt(
            &mut s,
            CaptureTarget::LeftSlap,
            &qualities,
            &[],
            20,
            at + time::Duration::seconds(20),
        );
        let closed = at + time::Duration::seconds(40);
        let events = s.decide_finalize(pkg, vec![], op(), closed).unwrap();
        apply(&mut s, events);
        let p = session(&s.view());
        assert_eq!(p.state(), v1::SessionState::Finalized);
        assert_eq!(p.closed_at, Some(timestamp(closed)));
        assert_eq!(p.package_id, pkg.to_string());
        assert!(p.remaining.is_empty());
        let recording = p.timings.iter().find(|t| t.step == "recording").unwrap();
        assert_eq!(
            recording.took,
            Some(duration(StdDuration::from_secs(
                u64::try_from((closed - t0()).whole_seconds()).unwrap()
            )))
        );
        assert_eq!(
            recording.standard,
            Some(duration(StdDuration::from_secs(300)))
        );
        assert_eq!(
            recording.within_standard,
            (closed - t0()).whole_seconds() <= 300
        );
        assert_no_full_nik(&p);

        let manifest = s.package_manifest().unwrap();
        let pk = package(&manifest);
        assert_eq!(pk.package_id, pkg.to_string());
        assert_eq!(pk.entries.len(), manifest.entries.len());
        assert_eq!(pk.entries.len(), 14, "13 samples and one exception photo");
        for (e, m) in pk.entries.iter().zip(&manifest.entries) {
            assert_eq!(item_key("item", e.item.as_ref()), Ok(m.item));
            assert_eq!(
                (&e.sha256, &e.chain_hash, &e.media_type, e.size),
                (&m.sha256, &m.chain_hash, &m.media_type, m.size)
            );
            assert_eq!(e.chain_hash.len(), 64);
        }
        let photo = pk
            .entries
            .iter()
            .find(|e| e.kind() == v1::PackageEntryKind::ExceptionPhoto)
            .unwrap();
        assert_eq!(item_key("item", photo.item.as_ref()), Ok(little));
        assert_eq!(photo.media_type, "image/jpeg");
        assert_eq!(pk.manifest_json, manifest.to_json());
        assert_eq!(pk.manifest_sha256, manifest.sha256_hex());
        assert_eq!(
            pk.entries.last().unwrap().chain_hash,
            manifest.chain_head,
            "the last entry's link is the head"
        );
        let json = String::from_utf8(pk.manifest_json.clone()).unwrap();
        assert!(json.contains(SITI_MASKED) && !json.contains(SITI));
        assert_no_full_nik(&pk);
    }

    #[test]
    fn a_session_without_biometrics_and_a_cancelled_one() {
        let s = open_session(ApplicationType::Rusak, &["KK_COPY", "DAMAGED_CARD"], true);
        let p = session(&s.view());
        assert!(!p.biometrics_required);
        assert!(p.remaining.is_empty());
        assert!(p
            .items
            .iter()
            .all(|i| i.state() == v1::ItemState::NotRequired && i.best_score == 0));

        let mut s = open_session(ApplicationType::Baru, &["KK_COPY"], false);
        let at = t0() + time::Duration::seconds(5);
        let events = s.decide_cancel("applicant left", op(), at).unwrap();
        apply(&mut s, events);
        let p = session(&s.view());
        assert_eq!(p.state(), v1::SessionState::Cancelled);
        assert_eq!(p.cancel_reason, "applicant left");
        assert_eq!(p.closed_at, Some(timestamp(at)));
        assert_eq!(p.package_id, "");
        assert_no_full_nik(&p);
    }

    // --- jobs --------------------------------------------------------------------------------

    fn record(prr: bool) -> CardRecord {
        CardRecord {
            nik: Nik::parse(SITI).unwrap(),
            name: "Siti Aminah".into(),
            place_of_birth: "Lumajang".into(),
            date_of_birth: date!(2000 - 01 - 05),
            sex: Sex::Female,
            blood_type: BloodType::A,
            address: "Jl. Raya Senduro No. 12".into(),
            rt_rw: "003/004".into(),
            village: "Senduro".into(),
            district: "Senduro".into(),
            regency: "Kabupaten Lumajang".into(),
            province: "Jawa Timur".into(),
            religion: Religion::Islam,
            marital_status: MaritalStatus::BelumKawin,
            occupation: "Pelajar/Mahasiswa".into(),
            citizenship: Citizenship::Wni,
            valid_until: ValidUntil::Lifetime,
            prr,
            place_of_issue: "Lumajang".into(),
            date_of_issue: date!(2025 - 01 - 06),
        }
    }

    fn jid() -> JobId {
        "job_01JD3Z6K8T9W4Q2M5N7P0R1S2V".parse().unwrap()
    }

    fn rid(n: u8) -> ReceiptId {
        format!("rcp_01JD3Z6K8T9W4Q2M5N7P0R1S{n:02}")
            .parse()
            .unwrap()
    }

    /// A finalized BARU session with every item captured.
    fn finalized_session() -> Session {
        let mut s = open_session(ApplicationType::Baru, &["KK_COPY"], false);
        for (n, t) in CaptureTarget::ALL.into_iter().enumerate() {
            attempt(&mut s, t, &all_at(t, 90), &[], n + 1, t0());
        }
        let pkg: PackageId = "pkg_01JD3Z6K8T9W4Q2M5N7P0R1S2V".parse().unwrap();
        let events = s.decide_finalize(pkg, vec![], op(), t0()).unwrap();
        apply(&mut s, events);
        s
    }

    struct Run {
        job: Job,
        at: OffsetDateTime,
    }

    impl Run {
        fn create(
            ty: ApplicationType,
            prr: bool,
            session: Option<&Session>,
            config: &WorkflowConfig,
        ) -> Run {
            let cmd = CreateJob {
                job_id: jid(),
                record: record(prr),
                application_type: ty,
                operator: op(),
                at: t0(),
            };
            let events = Job::decide_create(&cmd, session, config).unwrap();
            Run {
                job: Job::replay(&events).unwrap(),
                at: t0(),
            }
        }

        fn take(&mut self, events: Result<Vec<StationJobEvent>, WorkflowError>) {
            for e in events.unwrap() {
                self.job.apply(&e).unwrap();
            }
        }

        fn step(&mut self, secs: i64, step: Step, outcome: StepOutcome) {
            self.at += time::Duration::seconds(secs);
            let r = self.job.decide_step(step, outcome, self.at);
            self.take(r);
        }
    }

    #[test]
    fn a_job_through_the_state_machine_converts_with_the_masked_nik_only() {
        let s = finalized_session();
        let mut run = Run::create(
            ApplicationType::Baru,
            true,
            Some(&s),
            &WorkflowConfig::default(),
        );
        let p = job(&run.job.view());
        assert_eq!(p.state(), v1::JobState::Pending);
        assert_eq!(p.nik_masked, SITI_MASKED);
        assert_eq!(p.session_id, s.id().to_string());
        assert_eq!(p.job_id, jid().to_string());
        assert_eq!(
            (p.created_at, p.updated_at),
            (Some(timestamp(t0())), Some(timestamp(t0())))
        );
        assert!(p.prr && p.steps.is_empty() && p.card_serial.is_empty());
        assert_eq!(p.deferral(), v1::DeferralReason::Unspecified);
        assert_eq!(p.reason(), v1::ErrorReason::Unspecified);
        assert_no_full_nik(&p);

        // A chip write fails on the first card: rejected (spoiled), a new blank is fed.
        run.step(5, Step::CheckSupplies, StepOutcome::ok());
        run.step(10, Step::Feed, StepOutcome::ok());
        run.step(
            8,
            Step::WriteChip,
            StepOutcome::Failed {
                reason: Reason::ChipWriteFailed,
                device_error_kind: Some(hal::ErrorKind::Hardware),
                condition: None,
            },
        );
        let view = run.job.view();
        let failed = view.steps.last().unwrap();
        let event = step_record_event(failed, &view);
        assert_eq!(event.step(), v1::JobStep::WriteChip);
        assert_eq!(event.state(), v1::StepState::Failed);
        assert_eq!(event.reason(), v1::ErrorReason::ChipWriteFailed);
        assert_eq!(event.took, Some(duration(StdDuration::from_secs(8))));
        assert!(event.detail.contains("hardware"), "{}", event.detail);
        assert_eq!(event.job_id, jid().to_string());
        assert_eq!(
            event.job.as_ref().unwrap().steps.len(),
            3,
            "the job after the event"
        );
        run.step(4, Step::RejectCard, StepOutcome::ok());
        run.step(10, Step::Feed, StepOutcome::ok());
        run.step(
            8,
            Step::WriteChip,
            StepOutcome::ok_with_serial("04a1b2c3d4"),
        );
        run.step(6, Step::VerifyChip, StepOutcome::ok());
        run.step(30, Step::Print, StepOutcome::ok());
        run.step(3, Step::Eject, StepOutcome::ok());
        let p = job(&run.job.view());
        assert_eq!(p.state(), v1::JobState::AwaitingActivation);
        assert_eq!(p.cards_spoiled, 1);
        assert_eq!(p.card_serial, "04A1B2C3D4");
        let steps: Vec<(v1::JobStep, v1::StepState)> =
            p.steps.iter().map(|r| (r.step(), r.state())).collect();
        use v1::{JobStep as J, StepState as S};
        assert_eq!(
            steps,
            [
                (J::CheckSupplies, S::Done),
                (J::Feed, S::Done),
                (J::WriteChip, S::Failed),
                (J::RejectCard, S::Done),
                (J::Feed, S::Done),
                (J::WriteChip, S::Done),
                (J::VerifyChip, S::Done),
                (J::Print, S::Done),
                (J::Eject, S::Done),
            ]
        );
        let write = &p.steps[2];
        assert_eq!(write.reason(), v1::ErrorReason::ChipWriteFailed);
        assert_eq!(write.took, Some(duration(StdDuration::from_secs(8))));
        assert_eq!(
            write.started_at,
            Some(timestamp(t0() + time::Duration::seconds(15)))
        );
        assert!(p.steps.iter().all(|r| r.standard.is_none()));
        assert!(p.steps[..2]
            .iter()
            .chain(&p.steps[3..])
            .all(|r| r.reason() == v1::ErrorReason::Unspecified));
        assert_eq!(p.updated_at, Some(timestamp(run.at)));

        // The operator is prompted for a finger; the finger matches; activate; hand over.
        let view = run.job.view();
        let prompt = operator_prompt(view.prompt.unwrap(), &view);
        assert_eq!(prompt.code(), v1::PromptCode::PlaceFinger);
        assert_eq!(prompt.attempt, 1);
        run.at += time::Duration::seconds(20);
        let r = run.job.decide_activation_attempt(true, 91, op(), run.at);
        run.take(r);
        run.step(2, Step::Activate, StepOutcome::ok());
        assert_eq!(job(&run.job.view()).state(), v1::JobState::Activated);
        run.at += time::Duration::seconds(60);
        let r = run.job.decide_handover(rid(7), true, op(), run.at);
        run.take(r);
        let p = job(&run.job.view());
        assert_eq!(p.state(), v1::JobState::HandedOver);
        assert_eq!(p.receipt_id, rid(7).to_string());
        assert_eq!(p.updated_at, Some(timestamp(run.at)));
        let handover = p.steps.last().unwrap();
        assert_eq!(handover.step(), v1::JobStep::HandOver);
        assert_eq!(handover.took, Some(duration(StdDuration::from_secs(60))));
        assert_eq!(
            handover.standard,
            Some(duration(StdDuration::from_secs(120))),
            "the handover time standard"
        );
        assert_eq!(handover.detail, format!("receipt {}", rid(7)));
        assert_no_full_nik(&p);
        assert_no_full_nik(&step_record_event(
            run.job.view().steps.last().unwrap(),
            &run.job.view(),
        ));
    }

    #[test]
    fn deferred_jobs_carry_their_deferral_and_receipt() {
        let mut run = Run::create(
            ApplicationType::Rusak,
            false,
            None,
            &WorkflowConfig::default(),
        );
        let p = job(&run.job.view());
        assert_eq!(p.state(), v1::JobState::Deferred);
        assert_eq!(p.deferral(), v1::DeferralReason::NotPrintReady);
        assert_eq!(p.session_id, "");
        assert_eq!(p.receipt_id, "");
        assert!(!p.prr);
        assert_eq!(
            next_step(run.job.next_action()),
            Some(v1::JobStep::PrintReceipt)
        );
        run.step(3, Step::PrintReceipt, StepOutcome::receipt_printed(rid(1)));
        let p = job(&run.job.view());
        assert_eq!(p.receipt_id, rid(1).to_string());
        assert_eq!(p.steps[0].step(), v1::JobStep::PrintReceipt);
        assert_eq!(p.steps[0].state(), v1::StepState::Done);

        // Resumed and cancelled: the deferral is gone.
        run.at += time::Duration::seconds(60);
        let r = run.job.decide_resume(Some(true), op(), run.at);
        run.take(r);
        assert_eq!(
            job(&run.job.view()).deferral(),
            v1::DeferralReason::Unspecified
        );
        run.at += time::Duration::seconds(1);
        let r = run.job.decide_cancel("resident left", op(), run.at);
        run.take(r);
        let p = job(&run.job.view());
        assert_eq!(p.state(), v1::JobState::Cancelled);
        assert_eq!(p.deferral(), v1::DeferralReason::Unspecified);
        assert_eq!(p.updated_at, Some(timestamp(run.at)));
        assert_no_full_nik(&p);
    }

    #[test]
    fn desk_encoder_prompts_go_into_started_events() {
        let mut config = WorkflowConfig::default();
        config.issuance.arrangement = Arrangement::DeskEncoder;
        let mut run = Run::create(ApplicationType::Rusak, true, None, &config);
        run.step(5, Step::CheckSupplies, StepOutcome::ok());
        let view = run.job.view();
        let prompt = operator_prompt(view.prompt.unwrap(), &view);
        assert_eq!(
            (prompt.code(), prompt.attempt),
            (v1::PromptCode::PlaceBlankOnEncoder, 0)
        );
        let event = job_event(
            Step::Feed,
            v1::StepState::Started,
            None,
            Some(Reason::DeviceBusy),
            "",
            Some(prompt),
            &view,
        );
        assert_eq!(event.step(), v1::JobStep::Feed);
        assert_eq!(event.state(), v1::StepState::Started);
        assert_eq!(event.prompt, Some(prompt));
        assert_eq!(event.took, None);
        assert_eq!(
            event.reason(),
            v1::ErrorReason::Unspecified,
            "a reason only with FAILED"
        );
        assert_eq!(event.job.unwrap().state(), v1::JobState::Running);

        let failed = job_event(
            Step::Feed,
            v1::StepState::Failed,
            Some(StdDuration::from_millis(1500)),
            Some(Reason::OutOfBlanks),
            "hopper empty",
            None,
            &view,
        );
        assert_eq!(failed.reason(), v1::ErrorReason::OutOfBlanks);
        assert_eq!(
            failed.took,
            Some(prost_types::Duration {
                seconds: 1,
                nanos: 500_000_000
            })
        );
        assert_eq!(failed.detail, "hopper empty");
        let skipped = job_event(
            Step::RejectCard,
            v1::StepState::Skipped,
            None,
            None,
            "no card in play",
            None,
            &view,
        );
        assert_eq!(skipped.state(), v1::StepState::Skipped);
    }

    // --- errors ------------------------------------------------------------------------------

    /// An error, the code it must get, and its metadata.
    type ErrorCase = (WorkflowError, Code, Vec<(&'static str, String)>);

    #[test]
    fn workflow_errors_become_statuses_with_code_reason_and_metadata() {
        let session_id = "ses_01JD3Z6K8T9W4Q2M5N7P0R1S2V".to_owned();
        let job_id = "job_01JD3Z6K8T9W4Q2M5N7P0R1S2V".to_owned();
        let nik_error = WorkflowError::from(Nik::parse("3508014501000000").unwrap_err());
        let cases: Vec<ErrorCase> = vec![
            (
                nik_error,
                Code::InvalidArgument,
                vec![("field", "nik".into())],
            ),
            (
                WorkflowError::invalid("qualities[2]", "a score is 0..100"),
                Code::InvalidArgument,
                vec![("field", "qualities[2]".into())],
            ),
            (
                WorkflowError::too_large("note", "1024 bytes"),
                Code::InvalidArgument,
                vec![("field", "note".into()), ("limit", "1024 bytes".into())],
            ),
            (
                WorkflowError::SessionNotFound {
                    session_id: session_id.clone(),
                },
                Code::NotFound,
                vec![("session_id", session_id.clone())],
            ),
            (
                WorkflowError::JobNotFound {
                    job_id: job_id.clone(),
                },
                Code::NotFound,
                vec![("job_id", job_id.clone())],
            ),
            (
                WorkflowError::StepOutOfOrder {
                    subject: job_id.clone(),
                    state: "JOB_STATE_DEFERRED",
                    message: "only an activated card is handed over".into(),
                },
                Code::FailedPrecondition,
                vec![
                    ("job_id", job_id.clone()),
                    ("state", "JOB_STATE_DEFERRED".into()),
                ],
            ),
            (
                WorkflowError::SessionNotComplete {
                    session_id: session_id.clone(),
                    missing: vec![CaptureTarget::LeftSlap, CaptureTarget::Irises],
                },
                Code::FailedPrecondition,
                vec![
                    ("session_id", session_id.clone()),
                    (
                        "missing",
                        "CAPTURE_TARGET_LEFT_SLAP,CAPTURE_TARGET_IRISES".into(),
                    ),
                ],
            ),
            (WorkflowError::NotEligible, Code::FailedPrecondition, vec![]),
            (
                WorkflowError::DocumentsMissing {
                    missing: vec!["KK_COPY".into()],
                },
                Code::FailedPrecondition,
                vec![("missing", "KK_COPY".into())],
            ),
            (
                WorkflowError::RetryBudgetExhausted {
                    subject: session_id.clone(),
                    what: "capture.left_slap".into(),
                },
                Code::FailedPrecondition,
                vec![("session_id", session_id.clone())],
            ),
            (
                WorkflowError::NotPrintReady {
                    job_id: job_id.clone(),
                },
                Code::FailedPrecondition,
                vec![("job_id", job_id.clone())],
            ),
            (
                WorkflowError::ReceiptNotSigned {
                    job_id: job_id.clone(),
                },
                Code::FailedPrecondition,
                vec![("job_id", job_id.clone())],
            ),
            (
                WorkflowError::Internal("a closed session got an event".into()),
                Code::Internal,
                vec![],
            ),
        ];
        for (err, code, metadata) in cases {
            let status = workflow_status(&err);
            let reason = v1::ErrorReason::from(err.reason());
            assert_eq!(status.code(), code, "{err:?}");
            assert_eq!(
                kind_code(err.kind()),
                code,
                "kind and reason agree: {err:?}"
            );
            assert_eq!(canonical_code(reason), code);
            assert_eq!(reason_of(&status), Some(reason));
            assert_eq!(reason.as_str_name(), err.reason().as_str());
            assert_eq!(status.message(), err.to_string());
            assert!(
                !status.message().contains("35080145"),
                "{}",
                status.message()
            );
            let info = error_info_of(&status).unwrap();
            assert_eq!(info.metadata.len(), metadata.len(), "{err:?}");
            for (k, v) in metadata {
                assert_eq!(info.metadata.get(k), Some(&v), "{err:?} {k}");
            }
        }
        assert_eq!(
            kind_code(WorkflowErrorKind::ResourceExhausted),
            Code::ResourceExhausted
        );
    }

    #[test]
    fn errors_from_the_state_machines_carry_their_reasons() {
        let s = finalized_session();
        let err = s.decide_cancel("too late", op(), t0()).unwrap_err();
        let status = workflow_status(&err);
        assert_eq!(status.code(), Code::FailedPrecondition);
        assert_eq!(reason_of(&status), Some(v1::ErrorReason::StepOutOfOrder));
        let info = error_info_of(&status).unwrap();
        assert_eq!(info.metadata["state"], "SESSION_STATE_FINALIZED");
        assert_eq!(info.metadata["session_id"], s.id().to_string());

        let run = Run::create(
            ApplicationType::Rusak,
            true,
            None,
            &WorkflowConfig::default(),
        );
        let err = run
            .job
            .decide_handover(rid(1), true, op(), t0())
            .unwrap_err();
        let status = workflow_status(&err);
        assert_eq!(reason_of(&status), Some(v1::ErrorReason::StepOutOfOrder));
        assert_eq!(
            error_info_of(&status).unwrap().metadata["state"],
            "JOB_STATE_PENDING"
        );
        let err = WorkflowError::from("ses_x".parse::<SessionId>().unwrap_err());
        let status = workflow_status(&err);
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(
            error_info_of(&status).unwrap().metadata["field"],
            "session_id"
        );
    }

    // --- scalars -----------------------------------------------------------------------------

    #[test]
    fn timestamps_are_utc_and_timings_keep_their_standard() {
        let t = datetime!(2025-01-06 08:00:00.25 +07:00);
        let ts = timestamp(t);
        assert_eq!(ts.seconds, 1_736_125_200);
        assert_eq!(ts.nanos, 250_000_000);
        assert_eq!(timestamp(datetime!(2025-01-06 01:00:00.25 UTC)), ts);

        let over = StepTiming::new("recording", t, t + time::Duration::seconds(301), Some(300));
        let p = step_timing(&over);
        assert_eq!(p.step, "recording");
        assert_eq!(p.took, Some(duration(StdDuration::from_secs(301))));
        assert_eq!(p.standard, Some(duration(StdDuration::from_secs(300))));
        assert!(!p.within_standard);
        let free = StepTiming::new("capture.face", t, t + time::Duration::seconds(9), None);
        let p = v1::StepTiming::from(&free);
        assert_eq!((p.standard, p.within_standard), (None, true));
    }

    #[test]
    fn a_full_nik_in_a_view_is_masked_on_the_wire() {
        assert_eq!(masked_nik(SITI), SITI_MASKED);
        assert_eq!(masked_nik(SITI_MASKED), SITI_MASKED);
        let mut view = open_session(ApplicationType::Baru, &["KK_COPY"], false).view();
        view.nik_masked = SITI.to_owned();
        let p = session(&view);
        assert_eq!(p.nik_masked, SITI_MASKED);
        assert_no_full_nik(&p);
    }
}
