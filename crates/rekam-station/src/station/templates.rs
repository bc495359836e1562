//! The minutiae templates of a session's kept fingers, held in memory so each finger sample is
//! extracted once per session.
//!
//! The enrolment cross-check (`station::matching`) compares every finger of a new slap or
//! thumbs capture with the fingers already kept, and the job made from the session puts two
//! of those fingers' templates on the chip. Extraction (MINDTCT) is the costly part of both,
//! so the station extracts each captured finger once, when its attempt is checked, and keeps
//! the template here, keyed by the sample's blob id (the SHA-256 of the stored PNG: a template
//! is only ever used for the very sample it was extracted from).
//!
//! Templates are biometric data. They live only in memory, never in the journal or in a log
//! (`rekam_match::Template`'s `Debug` shows only a count), and only as long as the session
//! needs them:
//!
//! - after each attempt, only the templates of the samples the session keeps stay;
//! - finalizing or cancelling the session drops them all. The job made from a finalized
//!   session extracts its two chip templates again: a job may come much later, or never, and
//!   the cache does not hold biometric data for it.
//!
//! A daemon restart loses them (nothing is persisted); the station then reads and extracts
//! the stored samples again where it needs them, as it would with `duplicate_check` off.
//! A dropped `rekam_match::Template` overwrites its minutiae (`zeroize`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use rekam_hal::{Finger, RawImage};

use super::matching::MatchingConfig;
use crate::enrolment::{ItemKey, Session};
use crate::ids::SessionId;

/// One session's templates: by blob id, `None` for a sample whose extraction failed (too few
/// minutiae), so it is not tried again.
type SessionTemplates = HashMap<String, Option<rekam_match::Template>>;

/// The station's in-memory templates of every open session (see the module doc).
#[derive(Default)]
pub(crate) struct TemplateCache {
    sessions: Mutex<HashMap<SessionId, SessionTemplates>>,
    extractions: AtomicU64,
}

/// What the template cache holds: counts only, never a template (for tests and diagnostics).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TemplateCacheStats {
    /// Sessions with templates in memory.
    pub sessions: usize,
    /// Samples with a template (or a failed extraction) in memory, over all sessions.
    pub samples: usize,
    /// Minutiae extractions of enrolment finger samples since the station opened (the
    /// cross-check's and the chip templates'; not the live finger at activation).
    pub extractions: u64,
}

impl TemplateCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<SessionId, SessionTemplates>> {
        self.sessions.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Extracts the template of a finger sample (counted). `None` when it holds too few
    /// minutiae or cannot be read. Slow (MINDTCT): call it off the async runtime.
    pub(crate) fn extract(
        &self,
        image: &RawImage,
        matching: &MatchingConfig,
    ) -> Option<rekam_match::Template> {
        self.extractions.fetch_add(1, Ordering::Relaxed);
        rekam_match::extract(image, &matching.extract_options()).ok()
    }

    /// The template held for `blob` of session `id`: `None` when none is held, `Some(None)`
    /// when its extraction failed.
    pub(crate) fn get(&self, id: &SessionId, blob: &str) -> Option<Option<rekam_match::Template>> {
        self.lock().get(id)?.get(blob).cloned()
    }

    /// Holds the template (or the failed extraction) of `blob` for session `id`.
    pub(crate) fn insert(
        &self,
        id: SessionId,
        blob: String,
        template: Option<rekam_match::Template>,
    ) {
        self.lock().entry(id).or_default().insert(blob, template);
    }

    /// Keeps only the templates of the samples `session` keeps for its fingers.
    pub(crate) fn retain_kept(&self, session: &Session) {
        let kept: Vec<String> = Finger::ALL
            .iter()
            .filter_map(|&f| session.item(ItemKey::Finger(f))?.best.as_ref())
            .map(|b| b.blob.id.clone())
            .collect();
        self.retain(&session.id(), |blob| kept.iter().any(|k| k == blob));
    }

    fn retain(&self, id: &SessionId, keep: impl Fn(&str) -> bool) {
        let mut sessions = self.lock();
        if let Some(held) = sessions.get_mut(id) {
            held.retain(|blob, _| keep(blob));
            if held.is_empty() {
                sessions.remove(id);
            }
        }
    }

    /// Takes (and forgets) every template held for session `id`.
    pub(crate) fn take(&self, id: &SessionId) -> HashMap<String, Option<rekam_match::Template>> {
        self.lock().remove(id).unwrap_or_default()
    }

    /// Counts what is held.
    pub(crate) fn stats(&self) -> TemplateCacheStats {
        let sessions = self.lock();
        TemplateCacheStats {
            sessions: sessions.len(),
            samples: sessions.values().map(HashMap::len).sum(),
            extractions: self.extractions.load(Ordering::Relaxed),
        }
    }

    /// How many samples of session `id` have a template (or a failed extraction) held.
    pub(crate) fn held_for(&self, id: &SessionId) -> usize {
        self.lock().get(id).map_or(0, HashMap::len)
    }
}
