//! Enrolment commands of the facade: open, capture (streaming), exceptions, finalize, cancel.

use std::sync::Arc;

use rekam_card::{MaritalStatus, Nik};
use rekam_hal::{DeviceFamily, DeviceId, Guidance, PreviewFrame};
use rekam_store::{Actor, AuditEntry, NewBlob};
use tokio::sync::mpsc;

use super::biometrics::{self, Captured};
use super::records;
use super::{sim_subject, AppendReq, Entry, Station, StationError, SESSION_KIND};
use crate::enrolment::{
    ApplicationType, AttemptData, AttemptRecorded, BlobRef, CaptureTarget, ExceptionReason,
    ItemKey, Manifest, OpenSession, PackageRecord, Permanence, RecordException, Session,
    SessionEvent, SessionState, SessionView, TargetOutcome,
};
use crate::error::WorkflowError;
use crate::ids::{OperatorId, PackageId, SessionId};

/// Opens a session (the request as SIAK sends it; the NIK is parsed here).
#[derive(Debug, Clone)]
pub struct OpenSessionCmd {
    /// The applicant's NIK as text.
    pub nik: String,
    /// The application type.
    pub application_type: ApplicationType,
    /// Document codes presented.
    pub documents: Vec<String>,
    /// Marital status in SIAK.
    pub marital_status: MaritalStatus,
    /// SIAK already holds the applicant's biometrics.
    pub previously_recorded: bool,
    /// The operator.
    pub operator: OperatorId,
}

/// Records an exception.
#[derive(Debug, Clone)]
pub struct ExceptionCmd {
    /// The item.
    pub item: ItemKey,
    /// Why.
    pub reason: ExceptionReason,
    /// Whether it lasts.
    pub permanence: Permanence,
    /// The evidence photo (JPEG): required for fingers and eyes.
    pub photo_jpeg: Option<Vec<u8>>,
    /// A note (no personal data).
    pub note: String,
    /// The operator.
    pub operator: OperatorId,
}

/// What a capture streams while it runs.
#[derive(Debug, Clone)]
pub enum CaptureUpdate {
    /// The resident should present the target now.
    Prompt {
        /// The target.
        target: CaptureTarget,
        /// The attempt number about to run.
        attempt: u32,
    },
    /// A live preview frame.
    Preview(PreviewFrame),
    /// Live guidance.
    Guidance(Vec<Guidance>),
    /// An attempt was scored and journaled.
    Attempt(Box<AttemptRecorded>),
}

/// A finalized session and its package manifest.
#[derive(Debug, Clone)]
pub struct FinalizedPackage {
    /// The session.
    pub view: SessionView,
    /// The package id.
    pub package_id: PackageId,
    /// The hash-chained manifest.
    pub manifest: Manifest,
}

impl Station {
    fn session_entry(&self, id: &SessionId) -> Result<Arc<Entry<Session>>, StationError> {
        self.lock_sessions().get(id).cloned().ok_or_else(|| {
            StationError::Workflow(WorkflowError::SessionNotFound {
                session_id: id.to_string(),
            })
        })
    }

    /// Opens an enrolment session. One open session per NIK: a second one is refused and
    /// names the first.
    pub async fn open_session(
        &self,
        cmd: OpenSessionCmd,
        actor: &Actor,
    ) -> Result<SessionView, StationError> {
        let nik: Nik = Nik::parse(&cmd.nik).map_err(WorkflowError::from)?;
        let existing = self
            .lock_sessions()
            .values()
            .map(|e| e.snapshot())
            .find(|s| s.state() == SessionState::Open && s.nik() == &nik);
        if let Some(existing) = existing {
            return Err(WorkflowError::StepOutOfOrder {
                subject: existing.id().to_string(),
                state: SessionState::Open.proto_name(),
                message: "this resident already has an open session; continue or cancel it".into(),
            }
            .into());
        }
        let now = self.now();
        let session_id = self.with_rng(|rng| SessionId::generate(now, rng));
        let open = OpenSession {
            session_id,
            nik,
            application_type: cmd.application_type,
            documents: cmd.documents,
            marital_status: cmd.marital_status,
            previously_recorded: cmd.previously_recorded,
            operator: cmd.operator,
            today: now.date(),
            at: now,
        };
        let events = Session::decide_open(&open, self.workflow())?;
        let mut req = AppendReq::new(session_id.to_string(), SESSION_KIND, "session", 0, &events);
        req.status = Some("open");
        req.lookup = Some(nik.as_str().to_owned());
        req.audit.push(AuditEntry::new(
            actor.clone(),
            "session.open",
            session_id.to_string(),
            cmd.application_type.as_str(),
        ));
        self.append(req).await?;
        let session = Session::replay(&events)?;
        let view = session.view();
        self.lock_sessions().insert(session_id, Entry::new(session));
        tracing::info!(session = %session_id, kind = cmd.application_type.as_str(), "session opened");
        Ok(view)
    }

    /// The session's view (masked NIK only).
    pub fn get_session(&self, id: &SessionId) -> Result<SessionView, StationError> {
        Ok(self.session_entry(id)?.snapshot().view())
    }

    /// Every session, optionally in one state, newest first.
    pub fn list_sessions(&self, state: Option<SessionState>) -> Vec<SessionView> {
        let mut views: Vec<SessionView> = self
            .lock_sessions()
            .values()
            .map(|e| e.snapshot())
            .filter(|s| state.is_none_or(|st| s.state() == st))
            .map(|s| s.view())
            .collect();
        views.sort_by(|a, b| b.opened_at.cmp(&a.opened_at).then(b.id.cmp(&a.id)));
        views
    }

    /// Captures a target: prompts, previews and guidance stream to `updates`; attempts run
    /// until one is accepted or the budget is spent, each journaled before it is reported.
    /// Returns the target's outcome (`None` when attempts are left but the call stopped) and
    /// the session view.
    ///
    /// Cancel-safe: dropping the receiver cancels the device call; journaled attempts stay.
    pub async fn capture(
        &self,
        id: &SessionId,
        target: CaptureTarget,
        operator: OperatorId,
        actor: &Actor,
        updates: mpsc::Sender<CaptureUpdate>,
    ) -> Result<(Option<TargetOutcome>, SessionView), StationError> {
        self.capture_on(id, target, None, operator, actor, updates)
            .await
    }

    /// [`Station::capture`] on a chosen device: `device` must be of the target's family
    /// (else INVALID_ARGUMENT naming `device_id`), and a busy device is refused rather than
    /// replaced by another one. `None`: the first free device of the family.
    pub async fn capture_on(
        &self,
        id: &SessionId,
        target: CaptureTarget,
        device: Option<&DeviceId>,
        operator: OperatorId,
        actor: &Actor,
        updates: mpsc::Sender<CaptureUpdate>,
    ) -> Result<(Option<TargetOutcome>, SessionView), StationError> {
        let entry = self.session_entry(id)?;
        let family = biometrics::family_of(target);
        if let Some(device) = device {
            let found = self.inner.registry.snapshot(device)?.info.family;
            if found != family {
                return Err(WorkflowError::invalid(
                    "device_id",
                    format!(
                        "{device} is a {found:?} device; {} is captured with a {family:?} device",
                        target.as_str()
                    ),
                )
                .into());
            }
        }
        let _work = entry.claim(&id.to_string())?;
        let snapshot = entry.snapshot();
        let mut plan = snapshot.capture_plan(target)?;
        let subject = sim_subject(snapshot.nik());
        let holder = format!("session {id}");
        let lease = match device {
            Some(device) => self.inner.registry.lease(device, &holder)?,
            None => self.inner.registry.lease_family(family, &holder)?,
        };
        let mut outcome = None;
        loop {
            send(
                &updates,
                CaptureUpdate::Prompt {
                    target,
                    attempt: plan.next_attempt,
                },
            )
            .await?;
            let expected = plan.expected.clone();
            let sink = biometrics::ChannelSink::new(updates.clone());
            let checking = biometrics::Checking {
                checks: self.inner.options.checks.clone(),
                at: self.now(),
            };
            let work = lease.call(move |dev, ctl| {
                biometrics::run_capture(dev, target, &expected, subject, &checking, ctl, sink)
            });
            let mut captured: Captured = tokio::select! {
                r = work => r?,
                () = updates.closed() => return Err(StationError::Cancelled),
            };
            // The other hand's fingers (a wrong-hand slap) are not samples of this target: the
            // device's WrongHand guidance refuses the attempt, and nothing of them is kept.
            let wanted = target.items();
            captured.items.retain(|i| wanted.contains(&i.item));
            // One finger captured twice across targets (`station::matching`): guidance that
            // refuses the attempt.
            for g in self
                .finger_cross_check(id, target, &captured.items, actor)
                .await?
            {
                if !captured.guidance.contains(&g) {
                    captured.guidance.push(g);
                }
            }
            let session = entry.snapshot();
            let now = self.now();
            let data = AttemptData {
                qualities: captured.items.iter().map(|i| (i.item, i.quality)).collect(),
                guidance: captured.guidance.clone(),
                measures: captured
                    .items
                    .iter()
                    .map(|i| (i.item, i.measures.clone()))
                    .collect(),
                blobs: captured
                    .items
                    .iter()
                    .map(|i| (i.item, blob_ref(&i.blob)))
                    .collect(),
                operator: operator.clone(),
                at: now,
            };
            let events = session.decide_attempt(target, data)?;
            let mut req = AppendReq::new(
                id.to_string(),
                SESSION_KIND,
                "session",
                session.version(),
                &events,
            );
            let mut detail = String::from(target.as_str());
            for event in &events {
                if let SessionEvent::AttemptRecorded(a) = event {
                    detail = format!("{} attempt {} {:?}", target.as_str(), a.attempt, a.outcome);
                    // Only samples the session keeps a reference to are stored.
                    for item in &a.items {
                        if let Some(c) = captured.items.iter().find(|c| c.item == item.item) {
                            req.blobs.push(c.blob.clone());
                        }
                    }
                }
            }
            req.audit.push(AuditEntry::new(
                actor.clone(),
                "capture.store",
                id.to_string(),
                detail,
            ));
            self.append(req).await?;
            let recorded = entry.with(|s| -> Result<Option<AttemptRecorded>, StationError> {
                let mut last = None;
                for event in &events {
                    s.apply(event)?;
                    if let SessionEvent::AttemptRecorded(a) = event {
                        last = Some(a.clone());
                    }
                }
                Ok(last)
            })?;
            // The templates of fingers this attempt did not keep are no longer needed.
            if family == DeviceFamily::FingerprintScanner {
                entry.with(|s| self.inner.templates.retain_kept(s));
            }
            let Some(recorded) = recorded else { break };
            let completes = recorded.completes;
            let attempts_left = recorded.attempts_left;
            send(&updates, CaptureUpdate::Attempt(Box::new(recorded))).await?;
            if let Some(done) = completes {
                outcome = Some(done);
                break;
            }
            if attempts_left == 0 {
                break;
            }
            plan = match entry.snapshot().capture_plan(target) {
                Ok(plan) => plan,
                Err(_) => break,
            };
        }
        Ok((outcome, entry.snapshot().view()))
    }

    /// Records an exception for a finger, eye or the signature.
    pub async fn record_exception(
        &self,
        id: &SessionId,
        cmd: ExceptionCmd,
        actor: &Actor,
    ) -> Result<SessionView, StationError> {
        let entry = self.session_entry(id)?;
        let _work = entry.claim(&id.to_string())?;
        let session = entry.snapshot();
        let blob = cmd
            .photo_jpeg
            .filter(|p| !p.is_empty())
            .map(|p| NewBlob::new("image/jpeg", p));
        let record = RecordException {
            item: cmd.item,
            reason: cmd.reason,
            permanence: cmd.permanence,
            operator: cmd.operator,
            photo: blob.as_ref().map(blob_ref),
            note: cmd.note,
            at: self.now(),
        };
        let events = session.decide_exception(record)?;
        let mut req = AppendReq::new(
            id.to_string(),
            SESSION_KIND,
            "session",
            session.version(),
            &events,
        );
        req.blobs.extend(blob);
        req.audit.push(AuditEntry::new(
            actor.clone(),
            "exception.record",
            id.to_string(),
            format!("{} {:?}", cmd.item, cmd.reason),
        ));
        self.append(req).await?;
        entry.with(|s| apply_all(s, &events))?;
        Ok(entry.snapshot().view())
    }

    /// Finalizes a complete session into its hash-chained package. Idempotent: a finalized
    /// session returns its package again.
    pub async fn finalize_session(
        &self,
        id: &SessionId,
        operator: OperatorId,
        actor: &Actor,
    ) -> Result<FinalizedPackage, StationError> {
        let entry = self.session_entry(id)?;
        let _work = entry.claim(&id.to_string())?;
        let session = entry.snapshot();
        let now = self.now();
        let package_id = match session.package_id() {
            Some(p) => p,
            None => self.with_rng(|rng| PackageId::generate(now, rng)),
        };
        // The standard records, built from the kept samples (only while the session is still
        // open: a finalized one has them already). Checked against the session first, so a
        // session that cannot be finalized reads no sample.
        let mut record_blobs = Vec::new();
        if session.state() == SessionState::Open {
            session.decide_finalize(package_id, Vec::new(), operator.clone(), now)?;
            let format = self.inner.options.records.image_format;
            let mut samples = Vec::new();
            for (item, kept) in session.kept_samples() {
                samples.push(records::RecordSample {
                    item,
                    media_type: kept.blob.media_type.clone(),
                    bytes: self.session_blob(id, &kept.blob, actor).await?,
                    score: kept.score,
                    captured_at: kept.at,
                });
            }
            // Lossless JPEG 2000 is most of finalization's work: the records are coded on
            // every core, and come back in the samples' order.
            let threads = std::thread::available_parallelism().map_or(1, usize::from);
            let built = tokio::task::spawn_blocking(move || {
                let items: Vec<ItemKey> = samples.iter().map(|s| s.item).collect();
                items
                    .into_iter()
                    .zip(records::records_with(&samples, format, threads))
                    .collect::<Vec<_>>()
            })
            .await
            .map_err(StationError::internal)?;
            for (item, built) in built {
                let built = built.map_err(|e| StationError::Internal(e.to_string()))?;
                if let Some(record) = built {
                    record_blobs.push((item, NewBlob::new(record.media_type, record.bytes)));
                }
            }
        }
        let records = record_blobs
            .iter()
            .map(|(item, blob)| PackageRecord {
                item: *item,
                blob: blob_ref(blob),
            })
            .collect();
        let events = session.decide_finalize(package_id, records, operator, now)?;
        if !events.is_empty() {
            let mut req = AppendReq::new(
                id.to_string(),
                SESSION_KIND,
                "session",
                session.version(),
                &events,
            );
            for (_, blob) in record_blobs {
                req.blobs.push(blob);
            }
            req.status = Some("finalized");
            req.audit.push(AuditEntry::new(
                actor.clone(),
                "session.finalize",
                id.to_string(),
                package_id.to_string(),
            ));
            self.append(req).await?;
            entry.with(|s| apply_all(s, &events))?;
            // The cross-check is over: the templates leave memory with the open session. (The
            // job made from the package extracts its two chip templates again, about 40 ms,
            // rather than hold biometric data for a job that may never be created.)
            drop(self.inner.templates.take(id));
            tracing::info!(session = %id, package = %package_id, "session finalized");
        }
        let session = entry.snapshot();
        let manifest = session
            .package_manifest()
            .ok_or_else(|| StationError::Internal("a finalized session has no manifest".into()))?;
        let package_id = session.package_id().ok_or_else(|| {
            StationError::Internal("a finalized session has no package id".into())
        })?;
        Ok(FinalizedPackage {
            view: session.view(),
            package_id,
            manifest,
        })
    }

    /// Cancels a session and wipes its biometric samples (they are no longer needed).
    /// Idempotent.
    pub async fn cancel_session(
        &self,
        id: &SessionId,
        reason: &str,
        operator: OperatorId,
        actor: &Actor,
    ) -> Result<SessionView, StationError> {
        let entry = self.session_entry(id)?;
        let _work = entry.claim(&id.to_string())?;
        let session = entry.snapshot();
        let events = session.decide_cancel(reason, operator, self.now())?;
        if !events.is_empty() {
            let mut req = AppendReq::new(
                id.to_string(),
                SESSION_KIND,
                "session",
                session.version(),
                &events,
            );
            req.status = Some("cancelled");
            req.audit.push(AuditEntry::new(
                actor.clone(),
                "session.cancel",
                id.to_string(),
                "cancelled",
            ));
            self.append(req).await?;
            entry.with(|s| apply_all(s, &events))?;
            drop(self.inner.templates.take(id));
            let store = self.inner.store.clone();
            let stream = id.to_string();
            let actor = actor.clone();
            tokio::task::spawn_blocking(move || store.wipe(&stream, &actor, "session cancelled"))
                .await
                .map_err(StationError::internal)??;
            tracing::info!(session = %id, "session cancelled and its samples wiped");
        }
        Ok(entry.snapshot().view())
    }

    /// One file of a finalized session's package (a sample, an exception photo or a standard
    /// record), by the SHA-256 its manifest entry gives: `(media type, bytes)`. Every read
    /// is in the audit chain. `StepOutOfOrder` before the session is finalized,
    /// `InvalidArgument` for a hash that is not one of its entries; once the samples are
    /// wiped (the card handed over, or the session cancelled) the store says so.
    pub async fn package_entry(
        &self,
        id: &SessionId,
        sha256: &str,
        actor: &Actor,
    ) -> Result<(String, Vec<u8>), StationError> {
        let session = self.session_entry(id)?.snapshot();
        let manifest = session
            .package_manifest()
            .ok_or_else(|| WorkflowError::StepOutOfOrder {
                subject: id.to_string(),
                state: session.state().proto_name(),
                message: "the session has no package until it is finalized".into(),
            })?;
        let entry = manifest
            .entries
            .iter()
            .find(|e| e.sha256 == sha256)
            .ok_or_else(|| WorkflowError::invalid("sha256", "not an entry of this package"))?;
        let blob = BlobRef {
            id: entry.sha256.clone(),
            media_type: entry.media_type.clone(),
            size: entry.size,
        };
        let bytes = self.session_blob(id, &blob, actor).await?;
        Ok((entry.media_type.clone(), bytes))
    }

    /// Reads one stored sample of a session (audited).
    pub(crate) async fn session_blob(
        &self,
        id: &SessionId,
        blob: &BlobRef,
        actor: &Actor,
    ) -> Result<Vec<u8>, StationError> {
        let store = self.inner.store.clone();
        let stream = id.to_string();
        let blob_id: rekam_store::BlobId = blob.id.parse().map_err(|_| {
            StationError::Internal("a session refers to a malformed blob id".into())
        })?;
        let actor = actor.clone();
        let bytes = tokio::task::spawn_blocking(move || store.get_blob(&stream, &blob_id, &actor))
            .await
            .map_err(StationError::internal)??;
        Ok(bytes.to_vec())
    }

    /// The session state (for the issuance half of the facade).
    pub(crate) fn session_state(&self, id: &SessionId) -> Result<Session, StationError> {
        Ok(self.session_entry(id)?.snapshot())
    }
}

pub(super) fn apply_all(
    session: &mut Session,
    events: &[SessionEvent],
) -> Result<(), StationError> {
    for event in events {
        session.apply(event)?;
    }
    Ok(())
}

fn blob_ref(blob: &NewBlob) -> BlobRef {
    BlobRef {
        id: blob.id.to_string(),
        media_type: blob.media_type.clone(),
        size: blob.bytes.len() as u64,
    }
}

async fn send<T>(tx: &mpsc::Sender<T>, update: T) -> Result<(), StationError> {
    tx.send(update).await.map_err(|_| StationError::Cancelled)
}
