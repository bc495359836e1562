//! The station's durable, encrypted event journal on SQLite.
//!
//! `rekam-store` knows nothing about enrolment or issuance. Its callers keep their state as
//! *streams* of events (event sourcing: state is the fold of the events) and store them here,
//! with content-addressed *blobs* (biometric images, records), a hash-chained *audit log* and
//! *counters* (blanks used, spoiled, issued). One [`Store::append`] is one SQLite transaction:
//! the events, blobs, status, lookup value, counter changes and audit entries land together or
//! not at all, and the commit is on disk (`synchronous=FULL`, WAL) when it returns. After a
//! crash or a power cut, reopening the store gives back every acknowledged append.
//!
//! ```no_run
//! use rekam_store::{Actor, ActorKind, Append, AuditEntry, NewBlob, NewEvent, Store};
//! # fn main() -> Result<(), rekam_store::StoreError> {
//! let store = Store::open(std::path::Path::new("/var/lib/rekam"))?;
//! let operator = Actor::new(ActorKind::Operator, "op-017");
//! let face = NewBlob::new("image/jp2", vec![0u8; 16]);
//! let seq = store.append(
//!     Append::new("ses_01", "session", 0, vec![NewEvent::new("session.opened", b"{..}".to_vec())])
//!         .blob(face.clone())
//!         .status("open")
//!         .lookup("3507123456789001")
//!         .audit(AuditEntry::new(operator.clone(), "session.open", "ses_01", "type=BARU")),
//! )?;
//! assert_eq!(seq, 1);
//! let events = store.load("ses_01")?;
//! let image = store.get_blob("ses_01", &face.id, &operator)?; // audited
//! # let _ = (events, image); Ok(()) }
//! ```
//!
//! # Threat model
//!
//! The threat is a **stolen or discarded disk** (or a copied state directory without its key):
//! personal data at rest is encrypted with ChaCha20-Poly1305 under a random 256-bit data key, and
//! lookup values (such as a NIK) are stored only as HMAC-SHA256 under a separate index key. Every
//! ciphertext has a fresh random 96-bit nonce and associated data that binds it to its place
//! (stream id, seq, time and event kind; or stream id, blob id and media type), so rows cannot be
//! swapped, moved between streams or relabelled: that fails as [`StoreError::Tampered`] /
//! [`StoreError::BlobTampered`], never as wrong data. Deleted rows are overwritten
//! (`secure_delete=ON`), and [`Store::wipe`] truncates the WAL so no old page stays in it.
//!
//! The keys live in `station.key` in the same state directory, mode 0600, and the store refuses
//! a key file that the group or others may read. So the protection holds only against someone
//! who gets the journal without the key file (a backup, a disk image of one file, a leaked
//! copy): **a thief of the whole disk gets both**. Sealing the key with the PC's TPM, or taking
//! it from an external token or the civil registry's key service, is the next improvement;
//! [`Store::open_with_key`] is the seam for that. An attacker who can run code as the daemon's
//! user is out of scope: they can read the key.
//!
//! The audit chain detects edits, insertions and deletions of audit entries (and truncation,
//! through the recorded head); someone who can rewrite the whole file can rebuild the chain, so
//! its head should be anchored outside the station (in a signed package or a report).
//!
//! # What is and is not encrypted
//!
//! | encrypted | plaintext |
//! | --- | --- |
//! | event payloads | stream ids, stream kinds, statuses, created/updated/wiped times |
//! | blob bytes | event kinds, event times, seqs |
//! | lookup values (keyed hash only) | blob ids (SHA-256 of the plaintext), media types, sizes |
//! | | audit entries (actor, action, subject, detail), counters |
//!
//! Plaintext columns must never carry personal data. The store refuses the likely accidents:
//! control characters, oversized text, and a run of exactly 16 digits (a NIK's shape) in any
//! plaintext field. A blob id reveals only whether someone already holding the exact same bytes
//! is right about them.
//!
//! # Files
//!
//! In the state directory: `journal.sqlite3` (and its `-wal`, `-shm`; created 0600),
//! `station.key` (0600), and `journal.lock`, on which an open store holds an exclusive lock so a
//! second daemon fails with [`StoreError::Locked`] instead of interleaving writes.
#![forbid(unsafe_code)]

mod audit;
mod crypto;
mod error;
mod keys;
mod schema;
mod store;
mod types;
mod validate;

pub use audit::{Actor, ActorKind, AuditEntry, AuditRecord, AuditVerification, GENESIS_HASH};
pub use error::{ErrorKind, StoreError};
pub use keys::Keys;
pub use store::{Store, JOURNAL_FILE, KEY_FILE, LOCK_FILE, MAX_BLOB_BYTES, MAX_EVENT_BYTES};
pub use types::{
    Append, BlobId, BlobMeta, IntegrityReport, NewBlob, NewEvent, StoredEvent, StreamInfo,
    WipeReport,
};
pub use zeroize::Zeroizing;
