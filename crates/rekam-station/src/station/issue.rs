//! Issuance commands of the facade: start and resume jobs (driving the card printer, encoder
//! and document printer step by step), activation, handover, receipts, supplies.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rekam_card::render::card::{render_front, CardLayout, PhotoSource};
use rekam_card::render::encode_png;
use rekam_card::render::receipt::{
    render_receipt, DeferralText, Receipt, ReceiptKind as RenderKind, ReceiptOptions,
};
use rekam_card::{CardRecord, ChipBiometrics, ChipContent, FileId, Template, TemplateFormat};
use rekam_hal::{
    AnyDevice, ChipFiles, Condition, DeviceError, DeviceFamily, DeviceId, DeviceState, Document,
    EncodedImage, ErrorKind, Finger, FingerCaptureRequest, Guidance, ImageCodec, NullSink,
    SlapKind, Supplies, WritePermit,
};
use rekam_store::{Actor, AuditEntry, NewBlob};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use super::biometrics;
use super::{device_reason, sim_subject, AppendReq, Entry, Station, StationError, JOB_KIND};
use crate::config::Arrangement;
use crate::enrolment::{ItemKey, SessionState};
use crate::error::{Reason, WorkflowError};
use crate::ids::{JobId, OperatorId, ReceiptId, SessionId};
use crate::issuance::{
    CreateJob, DeferralReason, Job, JobEvent, JobState, JobView, NextAction, OperatorPrompt,
    ReceiptKind, Step, StepOutcome,
};
use crate::registry::Lease;

/// Media types of the chip biometrics a job keeps in its own stream.
const CHIP_PHOTO: &str = "image/jpeg";
const CHIP_SIGNATURE: &str = "image/png";
const CHIP_TEMPLATES: &str = "application/vnd.rekam.templates+json";
/// How long a desk-encoder `Feed` waits for the operator to place a blank on the encoder.
const DESK_PLACE_WAIT: Duration = Duration::from_secs(120);
/// How often the desk encoder is asked whether a blank is there.
const DESK_POLL: Duration = Duration::from_millis(250);

/// Starts a job.
#[derive(Debug, Clone)]
pub struct StartJobCmd {
    /// The card record from SIAK.
    pub record: CardRecord,
    /// The session whose face, signature and fingerprints go on the card.
    pub session_id: Option<SessionId>,
    /// Biometrics SIAK holds on file (RUSAK, HILANG, PERUBAHAN without a new recording).
    pub on_file: Option<ChipBiometrics>,
    /// The application type (decides the receipt when deferred).
    pub application_type: crate::enrolment::ApplicationType,
    /// The operator.
    pub operator: OperatorId,
}

/// Phase of a job step, as streamed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepPhase {
    /// The step started.
    Started,
    /// The step succeeded.
    Done,
    /// The step failed.
    Failed,
}

/// What a job streams while it runs.
#[derive(Debug, Clone)]
pub struct JobUpdate {
    /// The step.
    pub step: Step,
    /// Its phase.
    pub phase: StepPhase,
    /// How long it took (zero when started).
    pub took: Duration,
    /// Why it failed.
    pub reason: Option<Reason>,
    /// A short technical note.
    pub detail: Option<String>,
    /// What the operator must do now, if anything.
    pub prompt: Option<OperatorPrompt>,
    /// The job after the step.
    pub view: JobView,
}

/// What activation streams.
#[derive(Debug, Clone)]
pub enum ActivationUpdate {
    /// The operator or resident must act.
    Prompt(OperatorPrompt),
    /// Live guidance from the scanner.
    Guidance(Vec<Guidance>),
    /// A live-finger attempt was compared and journaled.
    Attempt {
        /// Attempt number.
        attempt: u32,
        /// Whether it matched.
        matched: bool,
        /// The comparison score.
        score: u32,
        /// Attempts left in the budget.
        attempts_left: u32,
        /// The score a match needs.
        threshold: u32,
        /// The finger compared.
        finger: Finger,
    },
}

/// Supplies and station counters.
#[derive(Debug, Clone, Default)]
pub struct SuppliesView {
    /// The card printer asked.
    pub device: Option<DeviceId>,
    /// Blank cards left, when the printer can count.
    pub blanks_remaining: Option<u32>,
    /// Ribbon left, percent.
    pub ribbon_percent: Option<u8>,
    /// Cards spoiled (rejected) since the journal began.
    pub spoiled: u64,
    /// Cards handed over.
    pub issued: u64,
    /// Blanks fed.
    pub blanks_used: u64,
    /// Conditions the printer reports.
    pub conditions: Vec<Condition>,
}

#[derive(Serialize, Deserialize)]
struct StoredTemplate {
    finger: u8,
    format: TemplateFormat,
    data_hex: String,
}

/// The devices a job drives, leased on first use and released when the call ends.
#[derive(Default)]
struct Leases {
    printer: Option<Lease>,
    encoder: Option<Lease>,
    documents: Option<Lease>,
    scanner: Option<Lease>,
}

impl Leases {
    fn get<'a>(
        slot: &'a mut Option<Lease>,
        station: &Station,
        family: DeviceFamily,
        holder: &str,
    ) -> Result<&'a Lease, DeviceError> {
        if slot.is_none() {
            *slot = Some(station.inner.registry.lease_family(family, holder)?);
        }
        slot.as_ref()
            .ok_or_else(|| DeviceError::new(ErrorKind::Internal, "lease vanished"))
    }
}

impl Station {
    fn job_entry(&self, id: &JobId) -> Result<Arc<Entry<Job>>, StationError> {
        self.lock_jobs().get(id).cloned().ok_or_else(|| {
            StationError::Workflow(WorkflowError::JobNotFound {
                job_id: id.to_string(),
            })
        })
    }

    /// The job's view.
    pub fn get_job(&self, id: &JobId) -> Result<JobView, StationError> {
        Ok(self.job_entry(id)?.snapshot().view())
    }

    /// Every job, optionally in one state, newest first.
    pub fn list_jobs(&self, state: Option<JobState>) -> Vec<JobView> {
        let mut views: Vec<JobView> = self
            .lock_jobs()
            .values()
            .map(|e| e.snapshot())
            .filter(|j| state.is_none_or(|s| j.state() == s))
            .map(|j| j.view())
            .collect();
        views.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
        views
    }

    /// Creates a job and drives it until it waits for activation, is deferred (with its
    /// receipt printed), fails, or a step must be retried later. Steps stream to `updates`.
    pub async fn start_job(
        &self,
        cmd: StartJobCmd,
        actor: &Actor,
        updates: mpsc::Sender<JobUpdate>,
    ) -> Result<JobView, StationError> {
        let session = cmd
            .session_id
            .map(|id| self.session_state(&id))
            .transpose()?;
        if let Some(s) = &session {
            if s.nik() != &cmd.record.nik {
                return Err(WorkflowError::StepOutOfOrder {
                    subject: s.id().to_string(),
                    state: s.state().proto_name(),
                    message: "the session is for another resident than the card record".into(),
                }
                .into());
            }
            if s.state() != SessionState::Finalized {
                return Err(WorkflowError::StepOutOfOrder {
                    subject: s.id().to_string(),
                    state: s.state().proto_name(),
                    message: "a job takes its biometrics from a finalized session".into(),
                }
                .into());
            }
        }
        if let Some(session_id) = cmd.session_id {
            let existing = self.lock_jobs().values().map(|e| e.snapshot()).find(|j| {
                j.session_id() == Some(session_id)
                    && !matches!(j.state(), JobState::Cancelled | JobState::Failed)
            });
            if let Some(existing) = existing {
                return Err(WorkflowError::StepOutOfOrder {
                    subject: session_id.to_string(),
                    state: existing.state().proto_name(),
                    message: format!(
                        "the session's card is already being issued by {}; resume or cancel that job",
                        existing.id()
                    ),
                }
                .into());
            }
        }
        let now = self.now();
        let job_id = self.with_rng(|rng| JobId::generate(now, rng));
        let create = CreateJob {
            job_id,
            record: cmd.record,
            application_type: cmd.application_type,
            operator: cmd.operator,
            at: now,
        };
        let events = Job::decide_create(&create, session.as_ref(), self.workflow())?;
        // The chip biometrics are fixed when the job is created and kept (encrypted) in the
        // job's own stream, so a resumed job writes the same card.
        let bio = match (&session, cmd.on_file) {
            (_, Some(on_file)) => on_file,
            (Some(s), None) => self.biometrics_from_session(s, actor).await?,
            (None, None) => {
                return Err(WorkflowError::invalid(
                    "biometrics",
                    "a job needs a finalized session or biometrics on file",
                )
                .into())
            }
        };
        // The chip content must fit before a job exists, let alone a blank is fed.
        self.inner.profile.build(&create.record, &bio)?;
        let mut req = AppendReq::new(job_id.to_string(), JOB_KIND, "job", 0, &events);
        req.blobs
            .push(NewBlob::new(CHIP_PHOTO, bio.face_jpeg.clone()));
        if !bio.signature_png.is_empty() {
            req.blobs
                .push(NewBlob::new(CHIP_SIGNATURE, bio.signature_png.clone()));
        }
        let templates: Vec<StoredTemplate> = bio
            .templates
            .iter()
            .map(|t| StoredTemplate {
                finger: t.finger,
                format: t.format,
                data_hex: hex::encode(&t.data),
            })
            .collect();
        req.blobs.push(NewBlob::new(
            CHIP_TEMPLATES,
            serde_json::to_vec(&templates).map_err(StationError::internal)?,
        ));
        req.lookup = Some(create.record.nik.as_str().to_owned());
        req.status = Some(status_of(events.last().map(|e| e.then.state)));
        req.audit.push(AuditEntry::new(
            actor.clone(),
            "job.create",
            job_id.to_string(),
            cmd.session_id
                .map(|s| s.to_string())
                .unwrap_or_else(|| "on-file".into()),
        ));
        self.append(req).await?;
        let job = Job::replay(&events)?;
        self.lock_jobs().insert(job_id, Entry::new(job));
        tracing::info!(job = %job_id, "job created");
        let entry = self.job_entry(&job_id)?;
        let _work = entry.claim(&job_id.to_string())?;
        self.drive(&entry, job_id, actor, &updates).await
    }

    /// Resumes a deferred job (optionally with the record's new PRR status), or a running job
    /// whose last step must be retried, and drives it as [`Station::start_job`] does.
    pub async fn resume_job(
        &self,
        id: &JobId,
        prr_now: Option<bool>,
        operator: OperatorId,
        actor: &Actor,
        updates: mpsc::Sender<JobUpdate>,
    ) -> Result<JobView, StationError> {
        let entry = self.job_entry(id)?;
        let _work = entry.claim(&id.to_string())?;
        let job = entry.snapshot();
        if job.state() == JobState::Deferred {
            let events = job.decide_resume(prr_now, operator, self.now())?;
            self.journal_job(&entry, &job, &events, actor, "job.resume", "resumed")
                .await?;
        } else if job.state() != JobState::Running && job.state() != JobState::Cancelled {
            return Err(WorkflowError::StepOutOfOrder {
                subject: id.to_string(),
                state: job.state().proto_name(),
                message: "only a deferred job, or a running one whose step failed, resumes".into(),
            }
            .into());
        }
        self.drive(&entry, *id, actor, &updates).await
    }

    /// Cancels a job. A card in play is rejected (spoiled) before this returns.
    pub async fn cancel_job(
        &self,
        id: &JobId,
        reason: &str,
        operator: OperatorId,
        actor: &Actor,
    ) -> Result<JobView, StationError> {
        let entry = self.job_entry(id)?;
        let _work = entry.claim(&id.to_string())?;
        let job = entry.snapshot();
        let events = job.decide_cancel(reason, operator, self.now())?;
        if !events.is_empty() {
            self.journal_job(&entry, &job, &events, actor, "job.cancel", "cancelled")
                .await?;
        }
        let (tx, _rx) = mpsc::channel(64);
        // Not watched by anyone: the drive below only rejects the card, if any.
        drop(_rx);
        self.drive(&entry, *id, actor, &tx).await
    }

    async fn count_jammed_blank(&self, job: &Job, actor: &Actor) -> Result<(), StationError> {
        let store = self.inner.store.clone();
        let entry = AuditEntry::new(
            actor.clone(),
            "card.spoiled",
            job.id().to_string(),
            "blank jammed while fed",
        );
        tokio::task::spawn_blocking(move || -> Result<(), rekam_store::StoreError> {
            store.counter_add("blanks_used", 1)?;
            store.counter_add("spoiled", 1)?;
            store.audit(entry)?;
            Ok(())
        })
        .await
        .map_err(StationError::internal)??;
        Ok(())
    }

    async fn journal_job(
        &self,
        entry: &Entry<Job>,
        job: &Job,
        events: &[JobEvent],
        actor: &Actor,
        action: &str,
        detail: &str,
    ) -> Result<(), StationError> {
        let mut req = AppendReq::new(job.id().to_string(), JOB_KIND, "job", job.version(), events);
        req.status = Some(status_of(events.last().map(|e| e.then.state)));
        for e in events {
            req.counters
                .push(("blanks_used", i64::from(e.counters.blanks_used)));
            req.counters
                .push(("spoiled", i64::from(e.counters.spoiled)));
            req.counters.push(("issued", i64::from(e.counters.issued)));
        }
        req.audit.push(AuditEntry::new(
            actor.clone(),
            action,
            job.id().to_string(),
            detail,
        ));
        self.append(req).await?;
        entry.with(|j| -> Result<(), StationError> {
            for e in events {
                j.apply(e)?;
            }
            Ok(())
        })
    }

    /// Runs the job's steps until it waits for someone (activation, resume) or ends.
    async fn drive(
        &self,
        entry: &Entry<Job>,
        id: JobId,
        actor: &Actor,
        updates: &mpsc::Sender<JobUpdate>,
    ) -> Result<JobView, StationError> {
        let holder = format!("job {id}");
        let mut leases = Leases::default();
        let mut last_failed: Option<Step> = None;
        loop {
            let job = entry.snapshot();
            let action = job.next_action();
            let Some(step) = runnable(action) else { break };
            let listening = !updates.is_closed();
            let prompt = job.prompt();
            let _ = updates.try_send(JobUpdate {
                step,
                phase: StepPhase::Started,
                took: Duration::ZERO,
                reason: None,
                detail: None,
                prompt,
                view: job.view(),
            });
            let started = Instant::now();
            let run = self.run_step(&job, action, &mut leases, &holder, actor);
            let outcome = if listening && !job_is_cancelled(&job) {
                tokio::select! {
                    o = run => o,
                    () = updates.closed() => StepOutcome::Failed {
                        reason: Reason::Cancelled,
                        device_error_kind: Some(ErrorKind::Cancelled),
                        condition: None,
                    },
                }
            } else {
                run.await
            };
            let took = started.elapsed();
            let failed = !outcome.is_ok();
            let (reason, detail) = match &outcome {
                StepOutcome::Ok { detail, .. } => (None, detail.clone()),
                StepOutcome::Failed { reason, .. } => (Some(*reason), None),
            };
            // A blank that jams while it is fed is not the job's card (the job defers), but it
            // is gone: the printer's recovery put it in the reject bin, so the station's stock
            // counts it as used and spoiled.
            let jammed_blank = step == Step::Feed
                && matches!(
                    &outcome,
                    StepOutcome::Failed {
                        condition: Some(Condition::MediaJam),
                        ..
                    }
                );
            let events = job.decide_step(step, outcome, self.now())?;
            let detail_text = format!(
                "{} {}",
                step.as_str(),
                if failed { "failed" } else { "done" }
            );
            if jammed_blank {
                self.count_jammed_blank(&job, actor).await?;
            }
            self.journal_job(entry, &job, &events, actor, "job.step", &detail_text)
                .await?;
            // A client that went away cancels the job; the card in play is then rejected.
            if updates.is_closed() && !job_is_cancelled(&entry.snapshot()) {
                let job = entry.snapshot();
                let events =
                    job.decide_cancel("the client went away", job_operator(&job), self.now())?;
                if !events.is_empty() {
                    self.journal_job(
                        entry,
                        &job,
                        &events,
                        actor,
                        "job.cancel",
                        "client went away",
                    )
                    .await?;
                }
                continue;
            }
            let view = entry.snapshot().view();
            let _ = updates.try_send(JobUpdate {
                step,
                phase: if failed {
                    StepPhase::Failed
                } else {
                    StepPhase::Done
                },
                took,
                reason,
                detail,
                prompt: None,
                view,
            });
            if failed {
                tracing::warn!(job = %id, step = step.as_str(), reason = ?reason, "job step failed");
                // The same step failing twice in a row waits for a resume, not a busy loop.
                if last_failed == Some(step) && entry.snapshot().next_action().step() == Some(step)
                {
                    break;
                }
                last_failed = Some(step);
            } else {
                last_failed = None;
            }
        }
        Ok(entry.snapshot().view())
    }

    async fn run_step(
        &self,
        job: &Job,
        action: NextAction,
        leases: &mut Leases,
        holder: &str,
        actor: &Actor,
    ) -> StepOutcome {
        match self.try_step(job, action, leases, holder, actor).await {
            Ok(outcome) => outcome,
            Err(StepError::Device(e)) => StepOutcome::Failed {
                reason: device_reason(&e),
                device_error_kind: Some(e.kind()),
                condition: e.condition(),
            },
            Err(StepError::Failed(reason)) => StepOutcome::failed(reason),
        }
    }

    async fn try_step(
        &self,
        job: &Job,
        action: NextAction,
        leases: &mut Leases,
        holder: &str,
        actor: &Actor,
    ) -> Result<StepOutcome, StepError> {
        match action {
            NextAction::CheckSupplies => {
                let printer =
                    Leases::get(&mut leases.printer, self, DeviceFamily::CardPrinter, holder)?;
                let (status, supplies) = printer
                    .call(|dev, ctl| {
                        let status = dev.device_mut().status(ctl)?;
                        let supplies = match dev {
                            AnyDevice::CardPrinter(p) => p.supplies(ctl)?,
                            _ => return Err(wrong_family()),
                        };
                        Ok((status, supplies))
                    })
                    .await?;
                if status.state == DeviceState::Disconnected
                    || status.conditions.contains(&Condition::Offline)
                {
                    return Err(StepError::Failed(Reason::PrinterOffline));
                }
                if supplies.blanks == Some(0) || status.conditions.contains(&Condition::MediaEmpty)
                {
                    return Err(StepError::Failed(Reason::OutOfBlanks));
                }
                if supplies.ribbon_percent == Some(0)
                    || status.conditions.contains(&Condition::RibbonEmpty)
                {
                    return Err(StepError::Failed(Reason::RibbonOut));
                }
                if status.conditions.contains(&Condition::MediaJam) {
                    return Err(StepError::Failed(Reason::PrinterJam));
                }
                // The encoder must be there too before a blank is used.
                Leases::get(&mut leases.encoder, self, DeviceFamily::CardEncoder, holder)?;
                Ok(StepOutcome::Ok {
                    detail: supplies.blanks.map(|b| format!("{b} blanks")),
                    card_serial: None,
                    receipt_id: None,
                })
            }
            NextAction::Feed if job.policy().arrangement == Arrangement::DeskEncoder => {
                // The operator places a blank on the desk encoder (the step's prompt says
                // so): wait until the encoder sees a chip that holds nothing yet.
                let encoder =
                    Leases::get(&mut leases.encoder, self, DeviceFamily::CardEncoder, holder)?;
                let chip = encoder
                    .call_with_timeout(DESK_PLACE_WAIT, |dev, ctl| match dev {
                        AnyDevice::Encoder(e) => loop {
                            if let Some(chip) = e.chip(ctl)? {
                                if !chip.personalised && !chip.activated {
                                    return Ok(chip);
                                }
                            }
                            ctl.sleep(DESK_POLL)?;
                        },
                        _ => Err(wrong_family()),
                    })
                    .await?;
                Ok(StepOutcome::ok_with_serial(chip.serial))
            }
            NextAction::Feed => {
                let printer =
                    Leases::get(&mut leases.printer, self, DeviceFamily::CardPrinter, holder)?;
                printer.call(|dev, ctl| printer_of(dev)?.feed(ctl)).await?;
                Ok(StepOutcome::ok())
            }
            NextAction::WriteChip => {
                let content = self.chip_content(job, actor).await?;
                let files = to_chip_files(&content);
                let encoder =
                    Leases::get(&mut leases.encoder, self, DeviceFamily::CardEncoder, holder)?;
                encoder
                    .call(move |dev, ctl| match dev {
                        AnyDevice::Encoder(e) => {
                            e.write(&files, WritePermit::allow_irreversible_write(), ctl)
                        }
                        _ => Err(wrong_family()),
                    })
                    .await
                    .map_err(|e| match e.kind() {
                        ErrorKind::Hardware | ErrorKind::InvalidInput => {
                            StepError::Failed(Reason::ChipWriteFailed)
                        }
                        _ => StepError::Device(e),
                    })?;
                Ok(StepOutcome::ok())
            }
            NextAction::VerifyChip => {
                let content = self.chip_content(job, actor).await?;
                let encoder =
                    Leases::get(&mut leases.encoder, self, DeviceFamily::CardEncoder, holder)?;
                let (info, read) = encoder
                    .call(|dev, ctl| match dev {
                        AnyDevice::Encoder(e) => Ok((e.chip(ctl)?, e.read(ctl)?)),
                        _ => Err(wrong_family()),
                    })
                    .await?;
                let read = from_chip_files(&read);
                if self.inner.profile.verify(&content, &read).is_err() {
                    return Err(StepError::Failed(Reason::ChipVerifyFailed));
                }
                let serial = info.map(|i| i.serial).unwrap_or_else(|| "unknown".into());
                Ok(StepOutcome::ok_with_serial(serial))
            }
            NextAction::Print => {
                let face = self.card_face(job, actor).await?;
                let printer =
                    Leases::get(&mut leases.printer, self, DeviceFamily::CardPrinter, holder)?;
                printer
                    .call(move |dev, ctl| printer_of(dev)?.print(&face, ctl))
                    .await?;
                Ok(StepOutcome::ok())
            }
            NextAction::Eject => {
                let printer =
                    Leases::get(&mut leases.printer, self, DeviceFamily::CardPrinter, holder)?;
                printer.call(|dev, ctl| printer_of(dev)?.eject(ctl)).await?;
                Ok(StepOutcome::ok())
            }
            NextAction::RejectCard => {
                let printer =
                    Leases::get(&mut leases.printer, self, DeviceFamily::CardPrinter, holder)?;
                printer
                    .call(|dev, ctl| printer_of(dev)?.reject(ctl))
                    .await?;
                Ok(StepOutcome::ok())
            }
            NextAction::PrintReceipt(kind) => {
                let receipt_id = self.print_receipt_for(job, kind, leases, holder).await?;
                Ok(StepOutcome::receipt_printed(receipt_id))
            }
            other => Err(StepError::Device(DeviceError::new(
                ErrorKind::Internal,
                format!("{other} is not a device step"),
            ))),
        }
    }

    async fn print_receipt_for(
        &self,
        job: &Job,
        kind: ReceiptKind,
        leases: &mut Leases,
        holder: &str,
    ) -> Result<ReceiptId, StepError> {
        let now = self.now();
        let receipt_id = self.with_rng(|rng| ReceiptId::generate(now, rng));
        let reason = match job.deferral() {
            Some(DeferralReason::NotPrintReady) => DeferralText::NotPrr,
            Some(DeferralReason::OutOfBlanks) => DeferralText::NoBlank,
            Some(
                DeferralReason::RibbonOut
                | DeferralReason::PrinterJam
                | DeferralReason::PrinterOffline,
            ) => DeferralText::PrinterUnavailable,
            Some(DeferralReason::ChipFaults) => {
                DeferralText::Other("Kartu gagal diproses, mohon kembali".into())
            }
            None => DeferralText::Other("Kartu sedang diproses".into()),
        };
        let receipt = Receipt {
            kind: match kind {
                ReceiptKind::TandaPengambilan => RenderKind::TandaPengambilan,
                ReceiptKind::SuratKeterangan => RenderKind::SuratKeterangan,
            },
            office: self.inner.options.office.clone(),
            applicant_name: job.record().name.clone(),
            nik_masked: job.nik().masked(),
            reason,
            job_ref: job.id().to_string(),
            issued_at: now.date(),
            return_date: now.date().checked_add(time::Duration::days(1)),
            operator: job_operator(job).to_string(),
        };
        let paper = self.inner.options.workflow.issuance.receipt_paper;
        let options = ReceiptOptions {
            paper: match paper {
                crate::config::ReceiptPaper::A6 => rekam_card::render::receipt::Paper::A6,
                crate::config::ReceiptPaper::A5 => rekam_card::render::receipt::Paper::A5,
            },
            ..ReceiptOptions::default()
        };
        let image = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, String> {
            let img = render_receipt(&receipt, &options).map_err(|e| e.to_string())?;
            encode_png(&img).map_err(|e| e.to_string())
        })
        .await
        .map_err(|e| StepError::Device(DeviceError::new(ErrorKind::Internal, e.to_string())))?
        .map_err(|e| StepError::Device(DeviceError::new(ErrorKind::Internal, e)))?;
        let doc = Document {
            name: format!("{}-{}", kind.as_str(), receipt_id),
            content: EncodedImage {
                codec: ImageCodec::Png,
                width: 0,
                height: 0,
                bytes: image,
            },
            media: paper.media().into(),
        };
        let printer = Leases::get(
            &mut leases.documents,
            self,
            DeviceFamily::DocumentPrinter,
            holder,
        )?;
        printer
            .call(move |dev, ctl| match dev {
                AnyDevice::DocumentPrinter(p) => p.print(&doc, ctl),
                _ => Err(wrong_family()),
            })
            .await?;
        Ok(receipt_id)
    }

    /// Reprints a job's receipt (the job must have been deferred at some point).
    pub async fn print_receipt(
        &self,
        id: &JobId,
        kind: ReceiptKind,
    ) -> Result<(ReceiptId, DeviceId), StationError> {
        let job = self.job_entry(id)?.snapshot();
        let mut leases = Leases::default();
        let holder = format!("job {id} receipt");
        let rid = self
            .print_receipt_for(&job, kind, &mut leases, &holder)
            .await
            .map_err(|e| match e {
                StepError::Device(d) => StationError::Device(d),
                StepError::Failed(r) => {
                    StationError::Internal(format!("receipt printing failed: {}", r.as_str()))
                }
            })?;
        let device = leases
            .documents
            .as_ref()
            .map(|l| l.info().id.clone())
            .ok_or_else(|| StationError::Internal("no document printer lease".into()))?;
        Ok((rid, device))
    }

    /// The job's card face as the card printer receives it, as PNG (1016 x 648 RGB at 300 dpi),
    /// rendered from the job's record, photo and signature (an audited read); nothing is
    /// printed. A handed-over job's biometrics are wiped: refused with `StepOutOfOrder`.
    pub async fn render_card(
        &self,
        id: &JobId,
        actor: &Actor,
    ) -> Result<(Vec<u8>, u32, u32), StationError> {
        let job = self.job_entry(id)?.snapshot();
        if job.state() == JobState::HandedOver {
            return Err(WorkflowError::StepOutOfOrder {
                subject: id.to_string(),
                state: job.state().proto_name(),
                message: "a handed-over card's biometrics are wiped: there is no face to render"
                    .into(),
            }
            .into());
        }
        let face = self.card_face(&job, actor).await.map_err(|e| match e {
            StepError::Device(d) if d.kind() == ErrorKind::InvalidInput => {
                StationError::Render(d.message().to_owned())
            }
            StepError::Device(d) => StationError::Internal(d.message().to_owned()),
            StepError::Failed(r) => StationError::Internal(r.as_str().to_owned()),
        })?;
        let (width, height) = (face.width, face.height);
        let png = tokio::task::spawn_blocking(move || encode_png(&face))
            .await
            .map_err(StationError::internal)?
            .map_err(|e| StationError::Render(e.to_string()))?;
        Ok((png, width, height))
    }

    /// Activation: reads the templates back from the chip, compares live fingers until one
    /// matches or the budget is spent, then moves the chip to its activated life cycle.
    pub async fn activate(
        &self,
        id: &JobId,
        operator: OperatorId,
        actor: &Actor,
        updates: mpsc::Sender<ActivationUpdate>,
    ) -> Result<JobView, StationError> {
        let entry = self.job_entry(id)?;
        let _work = entry.claim(&id.to_string())?;
        let holder = format!("job {id} activation");
        let mut leases = Leases::default();
        let current = entry.snapshot();
        if !matches!(
            current.next_action(),
            NextAction::AwaitActivation | NextAction::Activate
        ) {
            return Err(WorkflowError::StepOutOfOrder {
                subject: id.to_string(),
                state: current.state().proto_name(),
                message: "only a printed card awaiting activation is activated".into(),
            }
            .into());
        }
        if entry.snapshot().next_action() == NextAction::AwaitActivation {
            let job = entry.snapshot();
            if job.activation_attempts_left() == 0 {
                return Err(WorkflowError::RetryBudgetExhausted {
                    subject: id.to_string(),
                    what: "activation".into(),
                }
                .into());
            }
            let encoder = Leases::get(
                &mut leases.encoder,
                self,
                DeviceFamily::CardEncoder,
                &holder,
            )?;
            let read = encoder
                .call(|dev, ctl| match dev {
                    AnyDevice::Encoder(e) => e.read(ctl),
                    _ => Err(wrong_family()),
                })
                .await?;
            let templates = self.inner.profile.templates(&from_chip_files(&read))?;
            let template = templates.first().cloned().ok_or_else(|| {
                StationError::Internal("the chip holds no fingerprint template".into())
            })?;
            let finger = Finger::from_iso_code(template.finger).ok_or_else(|| {
                StationError::Internal("the chip template names no finger".into())
            })?;
            let subject = sim_subject(job.nik());
            let scanner = Leases::get(
                &mut leases.scanner,
                self,
                DeviceFamily::FingerprintScanner,
                &holder,
            )?;
            loop {
                let job = entry.snapshot();
                if job.activation_attempts_left() == 0 {
                    break;
                }
                updates
                    .send(ActivationUpdate::Prompt(OperatorPrompt::PlaceFinger))
                    .await
                    .map_err(|_| StationError::Cancelled)?;
                let work = scanner.call(move |dev, ctl| match dev {
                    AnyDevice::Fingerprint(s) => s.capture(
                        &FingerCaptureRequest {
                            slap: SlapKind::Single(finger),
                            expected: vec![finger],
                            subject: Some(subject),
                        },
                        ctl,
                        &mut NullSink,
                    ),
                    _ => Err(wrong_family()),
                });
                let capture = tokio::select! {
                    r = work => r?,
                    () = updates.closed() => return Err(StationError::Cancelled),
                };
                let _ = updates.try_send(ActivationUpdate::Guidance(capture.guidance.clone()));
                // The live finger: its segment, or the whole image from a scanner that does not
                // segment a single finger. Extraction and comparison run off the runtime.
                let live = match capture.segments {
                    Some(segments) => segments
                        .into_iter()
                        .find(|seg| seg.finger == finger)
                        .map(|seg| seg.image),
                    None => Some(capture.image),
                };
                let chip = template.clone();
                let matching = self.inner.options.matching.clone();
                let (matched, score) = tokio::task::spawn_blocking(move || {
                    biometrics::compare(&chip, live.as_ref(), &matching)
                })
                .await
                .map_err(StationError::internal)?;
                let events =
                    job.decide_activation_attempt(matched, score, operator.clone(), self.now())?;
                let detail = if matched { "matched" } else { "no match" };
                self.journal_job(
                    &entry,
                    &job,
                    &events,
                    actor,
                    "job.activation_attempt",
                    detail,
                )
                .await?;
                let after = entry.snapshot();
                let _ = updates.try_send(ActivationUpdate::Attempt {
                    attempt: u32::try_from(after.activations().len()).unwrap_or(u32::MAX),
                    matched,
                    score,
                    attempts_left: after.activation_attempts_left(),
                    threshold: self.inner.options.matching.threshold,
                    finger,
                });
                if matched {
                    break;
                }
            }
        }
        if entry.snapshot().next_action() == NextAction::Activate {
            let job = entry.snapshot();
            let encoder = Leases::get(
                &mut leases.encoder,
                self,
                DeviceFamily::CardEncoder,
                &holder,
            )?;
            let outcome = match encoder
                .call(|dev, ctl| match dev {
                    AnyDevice::Encoder(e) => e.activate(ctl),
                    _ => Err(wrong_family()),
                })
                .await
            {
                Ok(()) => StepOutcome::ok(),
                Err(e) => StepOutcome::Failed {
                    reason: device_reason(&e),
                    device_error_kind: Some(e.kind()),
                    condition: e.condition(),
                },
            };
            let events = job.decide_step(Step::Activate, outcome, self.now())?;
            self.journal_job(&entry, &job, &events, actor, "job.step", "activate")
                .await?;
        }
        Ok(entry.snapshot().view())
    }

    /// Hands the activated card over against the signed receipt, then wipes the biometric
    /// samples of the job and of its session: they are no longer needed at the station.
    pub async fn hand_over(
        &self,
        id: &JobId,
        receipt_signed: bool,
        operator: OperatorId,
        actor: &Actor,
    ) -> Result<JobView, StationError> {
        let entry = self.job_entry(id)?;
        let _work = entry.claim(&id.to_string())?;
        let job = entry.snapshot();
        if job.state() == JobState::HandedOver {
            return Ok(job.view());
        }
        let now = self.now();
        let receipt_id = self.with_rng(|rng| ReceiptId::generate(now, rng));
        let events = job.decide_handover(receipt_id, receipt_signed, operator, now)?;
        self.journal_job(&entry, &job, &events, actor, "job.handover", "handed over")
            .await?;
        let mut streams = vec![id.to_string()];
        if let Some(session) = job.session_id() {
            streams.push(session.to_string());
        }
        for stream in streams {
            let store = self.inner.store.clone();
            let actor = actor.clone();
            tokio::task::spawn_blocking(move || store.wipe(&stream, &actor, "card handed over"))
                .await
                .map_err(StationError::internal)??;
        }
        tracing::info!(job = %id, "card handed over; biometric samples wiped");
        Ok(entry.snapshot().view())
    }

    /// Supplies of the first card printer and the station counters.
    pub async fn supplies(&self) -> Result<SuppliesView, StationError> {
        let store = self.inner.store.clone();
        let (spoiled, issued, used) =
            tokio::task::spawn_blocking(move || -> Result<_, rekam_store::StoreError> {
                Ok((
                    store.counter_get("spoiled")?,
                    store.counter_get("issued")?,
                    store.counter_get("blanks_used")?,
                ))
            })
            .await
            .map_err(StationError::internal)??;
        let mut view = SuppliesView {
            spoiled: u64::try_from(spoiled).unwrap_or(0),
            issued: u64::try_from(issued).unwrap_or(0),
            blanks_used: u64::try_from(used).unwrap_or(0),
            ..SuppliesView::default()
        };
        if let Some(printer) = self
            .inner
            .registry
            .list(Some(DeviceFamily::CardPrinter))
            .first()
        {
            let status = self.inner.registry.refresh_status(&printer.info.id).await?;
            let Supplies {
                blanks,
                ribbon_percent,
            } = status.supplies.unwrap_or_default();
            view.device = Some(printer.info.id.clone());
            view.blanks_remaining = blanks;
            view.ribbon_percent = ribbon_percent;
            view.conditions = status.conditions;
        }
        Ok(view)
    }

    /// The chip biometrics from a finalized session's kept samples; the finger templates are
    /// extracted from the stored samples (counted by `station::templates`).
    async fn biometrics_from_session(
        &self,
        session: &crate::enrolment::Session,
        actor: &Actor,
    ) -> Result<ChipBiometrics, StationError> {
        let id = session.id();
        let face = session
            .item(ItemKey::Face)
            .and_then(|i| i.best.clone())
            .ok_or_else(|| {
                StationError::Workflow(WorkflowError::invalid(
                    "session_id",
                    "the session has no face image",
                ))
            })?;
        let face = self.session_blob(&id, &face.blob, actor).await?;
        let budget = self.inner.options.chip_photo_bytes;
        let face_jpeg = tokio::task::spawn_blocking(move || biometrics::chip_photo(&face, budget))
            .await
            .map_err(StationError::internal)?
            .map_err(StationError::Render)?;
        let signature_png = match session
            .item(ItemKey::Signature)
            .and_then(|i| i.best.clone())
        {
            Some(s) => {
                let png = self.session_blob(&id, &s.blob, actor).await?;
                tokio::task::spawn_blocking(move || biometrics::chip_signature(&png))
                    .await
                    .map_err(StationError::internal)?
                    .map_err(StationError::Render)?
            }
            None => Vec::new(),
        };
        // The configured template fingers first (`[matching] template_fingers`).
        let matching = &self.inner.options.matching;
        let mut templates: Vec<Template> = Vec::new();
        for finger in matching.template_preference() {
            if templates.len() == 2 {
                break;
            }
            if let Some(best) = session
                .item(ItemKey::Finger(finger))
                .and_then(|i| i.best.clone())
            {
                let png = self.session_blob(&id, &best.blob, actor).await?;
                let (station, matching) = (self.clone(), matching.clone());
                let template = tokio::task::spawn_blocking(move || {
                    biometrics::decode_gray(&png)
                        .and_then(|image| station.inner.templates.extract(&image, &matching))
                        .and_then(|t| biometrics::card_template(finger.iso_code(), &t))
                })
                .await
                .map_err(StationError::internal)?;
                templates.extend(template);
            }
        }
        if templates.is_empty() {
            return Err(WorkflowError::invalid(
                "session_id",
                "no fingerprint template could be made from the session's fingers",
            )
            .into());
        }
        Ok(ChipBiometrics {
            face_jpeg,
            signature_png,
            templates,
        })
    }

    /// The job's chip biometrics, from its own stream (audited reads).
    async fn job_biometrics(
        &self,
        job: &Job,
        actor: &Actor,
    ) -> Result<ChipBiometrics, StationError> {
        let store = self.inner.store.clone();
        let stream = job.id().to_string();
        let actor = actor.clone();
        tokio::task::spawn_blocking(move || -> Result<ChipBiometrics, StationError> {
            let mut bio = ChipBiometrics::default();
            for meta in store.blob_meta(&stream)? {
                let bytes = store.get_blob(&stream, &meta.id, &actor)?;
                match meta.media_type.as_str() {
                    CHIP_PHOTO => bio.face_jpeg = bytes.to_vec(),
                    CHIP_SIGNATURE => bio.signature_png = bytes.to_vec(),
                    CHIP_TEMPLATES => {
                        let stored: Vec<StoredTemplate> =
                            serde_json::from_slice(&bytes).map_err(StationError::internal)?;
                        for t in stored {
                            bio.templates.push(Template {
                                finger: t.finger,
                                format: t.format,
                                data: hex::decode(&t.data_hex).map_err(StationError::internal)?,
                            });
                        }
                    }
                    _ => {}
                }
            }
            if bio.face_jpeg.is_empty() {
                return Err(StationError::Internal(
                    "the job's biometrics are gone (wiped?)".into(),
                ));
            }
            Ok(bio)
        })
        .await
        .map_err(StationError::internal)?
    }

    async fn chip_content(&self, job: &Job, actor: &Actor) -> Result<ChipContent, StepError> {
        let bio = self
            .job_biometrics(job, actor)
            .await
            .map_err(StepError::internal)?;
        self.inner.profile.build(job.record(), &bio).map_err(|e| {
            StepError::Device(DeviceError::new(ErrorKind::InvalidInput, e.to_string()))
        })
    }

    async fn card_face(&self, job: &Job, actor: &Actor) -> Result<rekam_hal::RawImage, StepError> {
        let bio = self
            .job_biometrics(job, actor)
            .await
            .map_err(StepError::internal)?;
        let record = job.record().clone();
        tokio::task::spawn_blocking(move || -> Result<rekam_hal::RawImage, String> {
            let photo = EncodedImage {
                codec: ImageCodec::Jpeg,
                width: 0,
                height: 0,
                bytes: bio.face_jpeg,
            };
            let signature = biometrics::decode_gray(&bio.signature_png);
            render_front(
                &record,
                Some(PhotoSource::Encoded(&photo)),
                signature.as_ref(),
                &CardLayout::default(),
            )
            .map(|r| r.image)
            .map_err(|e| e.to_string())
        })
        .await
        .map_err(StepError::internal)?
        .map_err(|e| {
            StepError::Device(DeviceError::new(
                ErrorKind::InvalidInput,
                format!("card face: {e}"),
            ))
        })
    }
}

/// A step that did not succeed.
enum StepError {
    Device(DeviceError),
    Failed(Reason),
}

impl StepError {
    fn internal(e: impl std::fmt::Display) -> Self {
        StepError::Device(DeviceError::new(ErrorKind::Internal, e.to_string()))
    }
}

impl From<DeviceError> for StepError {
    fn from(e: DeviceError) -> Self {
        StepError::Device(e)
    }
}

fn wrong_family() -> DeviceError {
    DeviceError::new(
        ErrorKind::Internal,
        "the leased device is of the wrong family",
    )
}

fn printer_of(dev: &mut AnyDevice) -> Result<&mut dyn rekam_hal::CardPrinter, DeviceError> {
    match dev {
        AnyDevice::CardPrinter(p) => Ok(p.as_mut()),
        _ => Err(wrong_family()),
    }
}

/// The next action if it is a step the facade runs now.
fn runnable(action: NextAction) -> Option<Step> {
    match action {
        NextAction::CheckSupplies
        | NextAction::Feed
        | NextAction::WriteChip
        | NextAction::VerifyChip
        | NextAction::Print
        | NextAction::Eject
        | NextAction::RejectCard
        | NextAction::PrintReceipt(_) => action.step(),
        _ => None,
    }
}

fn job_is_cancelled(job: &Job) -> bool {
    job.state() == JobState::Cancelled
}

fn job_operator(job: &Job) -> OperatorId {
    job.view().operator
}

fn status_of(state: Option<JobState>) -> &'static str {
    match state {
        Some(JobState::Pending | JobState::Running) | None => "running",
        Some(JobState::AwaitingActivation) => "awaiting_activation",
        Some(JobState::Activated) => "activated",
        Some(JobState::HandedOver) => "handed_over",
        Some(JobState::Deferred) => "deferred",
        Some(JobState::Failed) => "failed",
        Some(JobState::Cancelled) => "cancelled",
    }
}

fn to_chip_files(content: &ChipContent) -> ChipFiles {
    ChipFiles {
        files: content
            .files
            .iter()
            .map(|(fid, data)| (fid.0, data.clone()))
            .collect(),
    }
}

fn from_chip_files(files: &ChipFiles) -> ChipContent {
    ChipContent {
        files: files
            .files
            .iter()
            .map(|(fid, data)| (FileId(*fid), data.clone()))
            .collect(),
    }
}
