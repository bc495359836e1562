//! The station facade: ties the pure state machines ([`crate::enrolment`],
//! [`crate::issuance`]) to the devices ([`crate::registry`]) and the journal
//! ([`rekam_store`]). No gRPC: `rekamd` maps its calls onto these methods.
//!
//! Every command follows the same path: check the command against the state (`decide_*`),
//! run the device work it needs on a leased device, append the resulting events with their
//! blobs, counters and audit entries in ONE durable journal transaction, then apply them to
//! the in-memory state and answer. A crash at any point loses nothing acknowledged: on start
//! [`Station::open`] replays every stream.
//!
//! Concurrency: each session and job has a state (read by `get`/`list` at any time) and a
//! work lock held by the one command that changes it; a second mutating command on the same
//! session or job gets `StepOutOfOrder` at once ("another call is working on it").
//!
//! Cancel safety: the streaming commands ([`Station::capture`], [`Station::start_job`],
//! [`Station::resume_job`], [`Station::activate`]) watch their update channel; when the client
//! goes away (the receiver is dropped) the device call in flight is cancelled, the device
//! recovered, and the state stays at the last journaled event. For a job, a card fed and not
//! finished is then rejected on the next resume (the state machine makes `RejectCard` next).

mod biometrics;
mod enrol;
mod issue;
mod matching;
mod quality;
mod templates;
pub use matching::MatchingConfig;
pub use quality::BiometricChecks;
pub use templates::TemplateCacheStats;
pub mod records;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use rand::rngs::StdRng;
use rand::SeedableRng;
use rekam_card::render::receipt::Office;
use rekam_card::CardProfile;
use rekam_hal::{DeviceError, ErrorKind, SelfTestProgress, SelfTestReport, SimSubject};
use rekam_store::{Actor, Append, AuditEntry, NewBlob, NewEvent, Store, StoreError};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use tokio::sync::{mpsc, OwnedMutexGuard};

use crate::config::WorkflowConfig;
use crate::enrolment::{Session, SessionEvent};
use crate::error::WorkflowError;
use crate::ids::{JobId, SessionId};
use crate::issuance::{Job, JobEvent};
use crate::registry::{Registry, RegistryError};

pub use enrol::{CaptureUpdate, ExceptionCmd, FinalizedPackage, OpenSessionCmd};
pub use issue::{ActivationUpdate, JobUpdate, StartJobCmd, StepPhase, SuppliesView};

/// Stream kinds in the journal.
const SESSION_KIND: &str = "session";
const JOB_KIND: &str = "job";

/// Everything that can go wrong in a station command.
#[derive(Debug, thiserror::Error)]
pub enum StationError {
    /// The workflow refused the command (bad input, wrong step, not found...).
    #[error(transparent)]
    Workflow(#[from] WorkflowError),
    /// A device call failed.
    #[error(transparent)]
    Device(#[from] DeviceError),
    /// The registry refused (device busy, not configured).
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// The journal failed.
    #[error("journal: {0}")]
    Store(#[from] StoreError),
    /// The card profile refused (record too large for the chip, verification failed).
    #[error("card profile: {0}")]
    Profile(#[from] rekam_card::ProfileError),
    /// Rendering a card face or receipt failed.
    #[error("rendering: {0}")]
    Render(String),
    /// The caller went away (the stream was cancelled).
    #[error("cancelled by the caller")]
    Cancelled,
    /// A bug or a broken invariant.
    #[error("internal: {0}")]
    Internal(String),
}

impl StationError {
    fn internal(e: impl fmt::Display) -> Self {
        StationError::Internal(e.to_string())
    }
}

/// What the station needs besides its devices.
#[derive(Debug, Clone)]
pub struct StationOptions {
    /// The workflow rules.
    pub workflow: WorkflowConfig,
    /// The office, for receipts.
    pub office: Office,
    /// The byte budget of the chip photo (JPEG).
    pub chip_photo_bytes: usize,
    /// The office's offset from UTC (WIB +07:00, WITA +08:00, WIT +09:00).
    pub utc_offset: time::UtcOffset,
    /// The thresholds of the station's own biometric checks.
    pub checks: BiometricChecks,
    /// Fingerprint templates, the activation threshold and the enrolment cross-check.
    pub matching: MatchingConfig,
    /// How the package's ISO/IEC 19794 records are written (`[records]`).
    pub records: records::RecordsConfig,
}

/// A session or job in memory: its folded state and the work lock of the one command that
/// may change it.
struct Entry<T> {
    state: Mutex<T>,
    work: Arc<tokio::sync::Mutex<()>>,
}

impl<T: Clone> Entry<T> {
    fn new(state: T) -> Arc<Self> {
        Arc::new(Entry {
            state: Mutex::new(state),
            work: Arc::new(tokio::sync::Mutex::new(())),
        })
    }

    fn snapshot(&self) -> T {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        f(&mut self.state.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Takes the work lock, or fails at once when another command holds it.
    fn claim(&self, subject: &str) -> Result<OwnedMutexGuard<()>, StationError> {
        self.work.clone().try_lock_owned().map_err(|_| {
            StationError::Workflow(WorkflowError::StepOutOfOrder {
                subject: subject.to_owned(),
                state: "BUSY",
                message: "another call is working on it; wait for it to finish or cancel it".into(),
            })
        })
    }
}

struct Inner {
    options: StationOptions,
    registry: Registry,
    store: Arc<Store>,
    profile: Arc<dyn CardProfile>,
    sessions: Mutex<HashMap<SessionId, Arc<Entry<Session>>>>,
    jobs: Mutex<HashMap<JobId, Arc<Entry<Job>>>>,
    rng: Mutex<StdRng>,
    /// The finger templates of open sessions, in memory only (`station::templates`).
    templates: templates::TemplateCache,
}

/// The station: sessions, jobs, devices and journal. Cheap to clone.
#[derive(Clone)]
pub struct Station {
    inner: Arc<Inner>,
}

impl fmt::Debug for Station {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Station")
            .field("sessions", &self.lock_sessions().len())
            .field("jobs", &self.lock_jobs().len())
            .finish()
    }
}

/// What [`Station::open`] found in the journal.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Recovered {
    /// Sessions replayed.
    pub sessions: usize,
    /// Of which still open.
    pub open_sessions: usize,
    /// Jobs replayed.
    pub jobs: usize,
    /// Of which not finished (running, awaiting activation or handover, deferred).
    pub open_jobs: usize,
}

impl Station {
    /// Opens the station: replays every session and job from the journal.
    pub fn open(
        options: StationOptions,
        registry: Registry,
        store: Arc<Store>,
        profile: Arc<dyn CardProfile>,
    ) -> Result<(Station, Recovered), StationError> {
        let mut recovered = Recovered::default();
        let mut sessions = HashMap::new();
        for info in store.streams(SESSION_KIND, None)? {
            let events = decode_events::<SessionEvent>(&store, &info.id)?;
            let session = Session::replay(&events)?;
            recovered.sessions += 1;
            if session.state() == crate::enrolment::SessionState::Open {
                recovered.open_sessions += 1;
            }
            sessions.insert(session.id(), Entry::new(session));
        }
        let mut jobs = HashMap::new();
        for info in store.streams(JOB_KIND, None)? {
            let events = decode_events::<JobEvent>(&store, &info.id)?;
            let job = Job::replay(&events)?;
            recovered.jobs += 1;
            if !job.next_action().is_terminal() {
                recovered.open_jobs += 1;
            }
            jobs.insert(job.id(), Entry::new(job));
        }
        let station = Station {
            inner: Arc::new(Inner {
                options,
                registry,
                store,
                profile,
                sessions: Mutex::new(sessions),
                jobs: Mutex::new(jobs),
                rng: Mutex::new(StdRng::from_entropy()),
                templates: templates::TemplateCache::default(),
            }),
        };
        Ok((station, recovered))
    }

    /// The device registry.
    pub fn registry(&self) -> &Registry {
        &self.inner.registry
    }

    /// The journal.
    pub fn store(&self) -> &Arc<Store> {
        &self.inner.store
    }

    /// The workflow configuration.
    pub fn workflow(&self) -> &WorkflowConfig {
        &self.inner.options.workflow
    }

    /// What the in-memory finger template cache holds (counts only), for tests and
    /// diagnostics: see `station::templates`.
    pub fn template_cache_stats(&self) -> TemplateCacheStats {
        self.inner.templates.stats()
    }

    /// How many of session `id`'s finger samples have a template held in memory (0 once the
    /// session is cancelled or its job created).
    pub fn templates_held_for(&self, id: &SessionId) -> usize {
        self.inner.templates.held_for(id)
    }

    fn lock_sessions(&self) -> std::sync::MutexGuard<'_, HashMap<SessionId, Arc<Entry<Session>>>> {
        self.inner
            .sessions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn lock_jobs(&self) -> std::sync::MutexGuard<'_, HashMap<JobId, Arc<Entry<Job>>>> {
        self.inner
            .jobs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Now, in the office's time zone (the date decides ages and receipt dates).
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc().to_offset(self.inner.options.utc_offset)
    }

    fn with_rng<R>(&self, f: impl FnOnce(&mut StdRng) -> R) -> R {
        f(&mut self
            .inner
            .rng
            .lock()
            .unwrap_or_else(PoisonError::into_inner))
    }

    /// Appends events (serialised as JSON) with blobs, counters and audit entries, durably,
    /// off the async runtime.
    async fn append<E: serde::Serialize>(
        &self,
        req: AppendReq<'_, E>,
    ) -> Result<u64, StationError> {
        let mut events = Vec::with_capacity(req.events.len());
        for event in req.events {
            let payload = serde_json::to_vec(event).map_err(StationError::internal)?;
            events.push(NewEvent::new(req.event_kind, payload));
        }
        let mut append = Append::new(req.stream, req.kind, req.expected_seq, events);
        for blob in req.blobs {
            append = append.blob(blob);
        }
        if let Some(status) = req.status {
            append = append.status(status);
        }
        if let Some(lookup) = req.lookup {
            append = append.lookup(lookup);
        }
        for (name, delta) in req.counters {
            if delta != 0 {
                append = append.counter(name, delta);
            }
        }
        for entry in req.audit {
            append = append.audit(entry);
        }
        let store = self.inner.store.clone();
        tokio::task::spawn_blocking(move || store.append(append))
            .await
            .map_err(StationError::internal)?
            .map_err(StationError::from)
    }

    /// Runs a self-test on one device (leased for the duration), streaming progress.
    pub async fn self_test(
        &self,
        device: &rekam_hal::DeviceId,
        holder: &str,
        progress: mpsc::Sender<SelfTestProgress>,
        actor: &Actor,
    ) -> Result<SelfTestReport, StationError> {
        let lease = self.inner.registry.lease(device, holder)?;
        let closed = progress.clone();
        let work = lease.call(move |dev, ctl| {
            let mut report = |p: SelfTestProgress| {
                let _ = progress.try_send(p);
            };
            dev.device_mut().self_test(ctl, &mut report)
        });
        let report = tokio::select! {
            r = work => r?,
            () = closed.closed() => return Err(StationError::Cancelled),
        };
        let entry = AuditEntry::new(
            actor.clone(),
            "device.selftest",
            device.as_str(),
            if report.passed { "passed" } else { "failed" },
        );
        let store = self.inner.store.clone();
        tokio::task::spawn_blocking(move || store.audit(entry))
            .await
            .map_err(StationError::internal)??;
        Ok(report)
    }
}

/// One journal append.
struct AppendReq<'a, E> {
    stream: String,
    kind: &'static str,
    event_kind: &'static str,
    expected_seq: u64,
    events: &'a [E],
    blobs: Vec<NewBlob>,
    status: Option<&'static str>,
    lookup: Option<String>,
    counters: Vec<(&'static str, i64)>,
    audit: Vec<AuditEntry>,
}

impl<'a, E> AppendReq<'a, E> {
    fn new(
        stream: String,
        kind: &'static str,
        event_kind: &'static str,
        expected_seq: u64,
        events: &'a [E],
    ) -> Self {
        AppendReq {
            stream,
            kind,
            event_kind,
            expected_seq,
            events,
            blobs: Vec::new(),
            status: None,
            lookup: None,
            counters: Vec::new(),
            audit: Vec::new(),
        }
    }
}

fn decode_events<E: serde::de::DeserializeOwned>(
    store: &Store,
    stream: &str,
) -> Result<Vec<E>, StationError> {
    store
        .load(stream)?
        .iter()
        .map(|stored| {
            serde_json::from_slice(&stored.payload).map_err(|e| {
                StationError::Internal(format!(
                    "event {} of {stream} does not decode: {e}",
                    stored.seq
                ))
            })
        })
        .collect()
}

/// The simulated person for a NIK: a hash, so simulated drivers never see the NIK itself.
/// Real drivers ignore it.
pub fn sim_subject(nik: &rekam_card::Nik) -> SimSubject {
    let mut h = Sha256::new();
    h.update(b"rekam-sim-subject\0");
    h.update(nik.as_str().as_bytes());
    let digest = h.finalize();
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    SimSubject(u64::from_le_bytes(bytes))
}

/// The workflow reason for a failed device call (for job steps).
pub fn device_reason(e: &DeviceError) -> crate::error::Reason {
    use crate::error::Reason;
    use rekam_hal::Condition;
    match (e.kind(), e.condition()) {
        (_, Some(Condition::MediaEmpty)) => Reason::OutOfBlanks,
        (_, Some(Condition::RibbonEmpty)) => Reason::RibbonOut,
        (_, Some(Condition::MediaJam)) => Reason::PrinterJam,
        (_, Some(Condition::Offline)) => Reason::PrinterOffline,
        (ErrorKind::CardRemoved, _) => Reason::CardRemoved,
        (ErrorKind::Timeout, _) => Reason::DeviceTimeout,
        (ErrorKind::Disconnected, _) => Reason::DeviceDisconnected,
        (ErrorKind::Busy, _) => Reason::DeviceBusy,
        (ErrorKind::Cancelled, _) => Reason::Cancelled,
        (ErrorKind::OutOfSupplies, _) => Reason::OutOfBlanks,
        _ => Reason::DeviceFault,
    }
}
