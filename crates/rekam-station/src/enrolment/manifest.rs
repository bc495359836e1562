//! The enrolment package manifest: what a finalized session produced, hash-chained.
//!
//! Entries are the blobs of the kept attempts and the exception photos, in the order they
//! were captured (the position of their event in the session stream; items of one attempt
//! in session order), then the standard record of each captured item, in item order. The
//! chain:
//!
//! ```text
//! chain_0 = SHA-256(session id as text, e.g. "ses_01JD...")
//! chain_i = SHA-256(chain_{i-1} (32 bytes) || entry_i sha256 (32 bytes) || item name (UTF-8))
//! ```
//!
//! `chain_root` is `chain_0` and `chain_head` the last link (the root when there are no
//! entries), all lower-case hex. A verifier recomputes the chain to detect an added, removed,
//! reordered or altered entry; the station key signs the manifest's JSON (the facade's job).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::items::{ApplicationType, ExceptionReason, ItemKey, Permanence};
use super::ItemState;
use crate::ids::{OperatorId, PackageId, SessionId};

/// What an entry holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EntryKind {
    /// A biometric sample.
    Sample,
    /// The photo given with an exception.
    ExceptionPhoto,
    /// A standard record (ISO/IEC 19794) of a captured item, built from its sample.
    Record,
}

/// One file of the package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestEntry {
    /// The item it belongs to.
    pub item: ItemKey,
    /// What it holds.
    pub kind: EntryKind,
    /// Its media type.
    pub media_type: String,
    /// Lower-case hex SHA-256 of its bytes.
    pub sha256: String,
    /// Its size in bytes.
    pub size: u64,
    /// The attempt it came from (samples only).
    pub attempt: Option<u32>,
    /// When it was captured or recorded.
    #[serde(with = "time::serde::rfc3339")]
    pub captured_at: OffsetDateTime,
    /// The chain link after this entry (lower-case hex).
    pub chain_hash: String,
}

/// An exception as the manifest records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestException {
    /// Why.
    pub reason: ExceptionReason,
    /// Whether it lasts.
    pub permanence: Permanence,
    /// Who recorded it.
    pub operator: OperatorId,
    /// The operator's note.
    pub note: String,
    /// The photo's SHA-256, when one was given.
    pub photo_sha256: Option<String>,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub recorded_at: OffsetDateTime,
}

/// One item's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestItem {
    /// The item.
    pub item: ItemKey,
    /// Captured, excepted or not required.
    pub state: ItemState,
    /// The kept quality, when captured.
    pub score: Option<u8>,
    /// The threshold that applied.
    pub threshold: u8,
    /// Attempts that expected it.
    pub attempts: u32,
    /// The exception, when excepted.
    pub exception: Option<ManifestException>,
}

/// The manifest of an enrolment package. Only the masked NIK.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The format tag, [`Manifest::FORMAT`].
    pub format: String,
    /// The package id.
    pub package_id: PackageId,
    /// The session.
    pub session_id: SessionId,
    /// The application type.
    pub application_type: ApplicationType,
    /// The NIK, masked.
    pub nik_masked: String,
    /// Whether biometrics were recorded.
    pub biometrics_required: bool,
    /// Who opened the session.
    pub opened_by: OperatorId,
    /// Who finalized it.
    pub finalized_by: OperatorId,
    /// When the session opened.
    #[serde(with = "time::serde::rfc3339")]
    pub opened_at: OffsetDateTime,
    /// When it was finalized.
    #[serde(with = "time::serde::rfc3339")]
    pub finalized_at: OffsetDateTime,
    /// Every item's outcome, in session order.
    pub items: Vec<ManifestItem>,
    /// The files, in chain (capture) order.
    pub entries: Vec<ManifestEntry>,
    /// `chain_0`, lower-case hex.
    pub chain_root: String,
    /// The last link, lower-case hex.
    pub chain_head: String,
}

/// `chain_0 = SHA-256(session id text)`.
pub fn chain_root(session_id: &SessionId) -> [u8; 32] {
    Sha256::digest(session_id.to_string().as_bytes()).into()
}

/// `SHA-256(prev || entry sha256 || item name)`; `None` when `entry_sha256_hex` is not 64 hex
/// digits.
pub fn chain_next(prev: &[u8; 32], entry_sha256_hex: &str, item: ItemKey) -> Option<[u8; 32]> {
    let mut entry = [0u8; 32];
    hex::decode_to_slice(entry_sha256_hex, &mut entry).ok()?;
    let mut h = Sha256::new();
    h.update(prev);
    h.update(entry);
    h.update(item.name().as_bytes());
    Some(h.finalize().into())
}

impl Manifest {
    /// The format tag.
    pub const FORMAT: &'static str = "rekam.enrolment-package.v1";

    /// Computes `chain_root`, every entry's `chain_hash` and `chain_head` from the entries.
    pub fn seal(&mut self) {
        let mut link = chain_root(&self.session_id);
        self.chain_root = hex::encode(link);
        for e in &mut self.entries {
            // Entries come from validated blob refs, so the hash always decodes; a bad one
            // leaves an empty link that `verify` refuses.
            match chain_next(&link, &e.sha256, e.item) {
                Some(next) => {
                    link = next;
                    e.chain_hash = hex::encode(link);
                }
                None => e.chain_hash = String::new(),
            }
        }
        self.chain_head = hex::encode(link);
    }

    /// Checks the manifest against the hashes of the stored files, given in entry order
    /// (lower-case hex SHA-256 recomputed from the bytes): the same number of files, each
    /// hash equal to its entry's, and the chain recomputed from the session id matching every
    /// link, the root and the head.
    pub fn verify<S: AsRef<str>>(&self, blob_hashes: &[S]) -> bool {
        if blob_hashes.len() != self.entries.len() {
            return false;
        }
        let mut link = chain_root(&self.session_id);
        if hex::encode(link) != self.chain_root {
            return false;
        }
        for (e, h) in self.entries.iter().zip(blob_hashes) {
            if h.as_ref() != e.sha256 {
                return false;
            }
            match chain_next(&link, &e.sha256, e.item) {
                Some(next) if hex::encode(next) == e.chain_hash => link = next,
                _ => return false,
            }
        }
        hex::encode(link) == self.chain_head
    }

    /// The manifest as stored and signed: compact UTF-8 JSON.
    pub fn to_json(&self) -> Vec<u8> {
        // Serializing plain data with string keys cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Lower-case hex SHA-256 of [`Manifest::to_json`].
    pub fn sha256_hex(&self) -> String {
        hex::encode(Sha256::digest(self.to_json()))
    }
}
