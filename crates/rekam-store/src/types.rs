//! The values that go into and come out of the store.
//!
//! Types that hold personal data (event payloads, blob bytes, lookup values) keep it in
//! [`Zeroizing`] buffers, so it is wiped from memory when dropped, and their `Debug` shows only
//! sizes.

use std::fmt;
use std::str::FromStr;

use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::audit::AuditEntry;
use crate::error::StoreError;
use crate::validate;

/// A blob's id: the SHA-256 of its plaintext, as 64 lowercase hex digits.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlobId(String);

impl BlobId {
    /// The id of these bytes.
    #[must_use]
    pub fn of(bytes: &[u8]) -> Self {
        Self(hex::encode(Sha256::digest(bytes)))
    }

    /// The hex text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for BlobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlobId({})", self.0)
    }
}

impl fmt::Display for BlobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for BlobId {
    type Err = StoreError;

    /// Parses 64 hex digits (either case; stored lowercase).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() != 64 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(validate::invalid("blob id", "is not 64 hex digits"));
        }
        Ok(Self(s.to_ascii_lowercase()))
    }
}

/// An event to append.
#[derive(Clone)]
pub struct NewEvent {
    /// The event type name (plaintext, non-personal), e.g. `capture.stored`.
    pub kind: String,
    /// The serialized event; may contain personal data; encrypted at rest.
    pub payload: Zeroizing<Vec<u8>>,
}

impl NewEvent {
    /// An event of `kind` with `payload`.
    pub fn new(kind: impl Into<String>, payload: impl Into<Vec<u8>>) -> Self {
        Self {
            kind: kind.into(),
            payload: Zeroizing::new(payload.into()),
        }
    }
}

impl fmt::Debug for NewEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewEvent")
            .field("kind", &self.kind)
            .field("payload", &Redacted(self.payload.len()))
            .finish()
    }
}

/// A blob to store with an append (a biometric image, a record, a signature).
#[derive(Clone)]
pub struct NewBlob {
    /// The SHA-256 of `bytes`; the append is refused when it does not match.
    pub id: BlobId,
    /// The media type, e.g. `image/jp2` (plaintext).
    pub media_type: String,
    /// The content; encrypted at rest.
    pub bytes: Zeroizing<Vec<u8>>,
}

impl NewBlob {
    /// A blob whose id is computed from `bytes`.
    pub fn new(media_type: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Self {
        let bytes = Zeroizing::new(bytes.into());
        Self {
            id: BlobId::of(&bytes),
            media_type: media_type.into(),
            bytes,
        }
    }
}

impl fmt::Debug for NewBlob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewBlob")
            .field("id", &self.id)
            .field("media_type", &self.media_type)
            .field("bytes", &Redacted(self.bytes.len()))
            .finish()
    }
}

/// One atomic write to a stream: events, blobs, status, lookup, counters and audit entries land
/// together or not at all.
#[derive(Clone, Default)]
pub struct Append {
    /// The stream id, e.g. `ses_01HZX...` (plaintext, non-personal).
    pub stream: String,
    /// The stream kind, e.g. `session` or `job`; must match an existing stream's kind.
    pub kind: String,
    /// The stream's last seq as the caller knows it: 0 for a new stream.
    pub expected_seq: u64,
    /// At least one event.
    pub events: Vec<NewEvent>,
    /// Blobs to store with the events; a blob already in the stream is kept once.
    pub blobs: Vec<NewBlob>,
    /// New status (plaintext, non-personal), or `None` to keep the current one.
    pub status: Option<String>,
    /// A lookup value (e.g. the applicant's NIK), stored only as a keyed hash; `None` keeps the
    /// current one.
    pub lookup: Option<Zeroizing<String>>,
    /// Counter changes `(name, delta)`.
    pub counters: Vec<(String, i64)>,
    /// Audit entries appended in the same transaction.
    pub audit: Vec<AuditEntry>,
}

impl Append {
    /// An append of `events` to `stream` of `kind` after `expected_seq`.
    pub fn new(
        stream: impl Into<String>,
        kind: impl Into<String>,
        expected_seq: u64,
        events: Vec<NewEvent>,
    ) -> Self {
        Self {
            stream: stream.into(),
            kind: kind.into(),
            expected_seq,
            events,
            ..Self::default()
        }
    }

    /// Adds a blob.
    #[must_use]
    pub fn blob(mut self, blob: NewBlob) -> Self {
        self.blobs.push(blob);
        self
    }

    /// Sets the status.
    #[must_use]
    pub fn status(mut self, status: impl Into<String>) -> Self {
        self.status = Some(status.into());
        self
    }

    /// Sets the lookup value.
    #[must_use]
    pub fn lookup(mut self, lookup: impl Into<String>) -> Self {
        self.lookup = Some(Zeroizing::new(lookup.into()));
        self
    }

    /// Adds a counter change.
    #[must_use]
    pub fn counter(mut self, name: impl Into<String>, delta: i64) -> Self {
        self.counters.push((name.into(), delta));
        self
    }

    /// Adds an audit entry.
    #[must_use]
    pub fn audit(mut self, entry: AuditEntry) -> Self {
        self.audit.push(entry);
        self
    }
}

impl fmt::Debug for Append {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Append")
            .field("stream", &self.stream)
            .field("kind", &self.kind)
            .field("expected_seq", &self.expected_seq)
            .field("events", &self.events)
            .field("blobs", &self.blobs)
            .field("status", &self.status)
            .field("lookup", &self.lookup.as_ref().map(|_| Redacted(0)))
            .field("counters", &self.counters)
            .field("audit", &self.audit)
            .finish()
    }
}

/// An event as loaded.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredEvent {
    /// Position in the stream, from 1, without gaps.
    pub seq: u64,
    /// When it was appended (UTC, nanosecond precision).
    pub at: OffsetDateTime,
    /// The event type name.
    pub kind: String,
    /// The decrypted payload; zeroized on drop.
    pub payload: Zeroizing<Vec<u8>>,
}

impl fmt::Debug for StoredEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredEvent")
            .field("seq", &self.seq)
            .field("at", &self.at)
            .field("kind", &self.kind)
            .field("payload", &Redacted(self.payload.len()))
            .finish()
    }
}

/// A stream's plaintext metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamInfo {
    /// The stream id.
    pub id: String,
    /// The stream kind.
    pub kind: String,
    /// The status the caller last set.
    pub status: Option<String>,
    /// When the first event was appended.
    pub created_at: OffsetDateTime,
    /// When the last event was appended (or the stream was wiped).
    pub updated_at: OffsetDateTime,
    /// The last event's seq.
    pub last_seq: u64,
    /// When its blobs were wiped, if they were.
    pub wiped_at: Option<OffsetDateTime>,
}

/// A blob's plaintext metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobMeta {
    /// Its id (content hash).
    pub id: BlobId,
    /// Its media type.
    pub media_type: String,
    /// Its plaintext size in bytes.
    pub size: u64,
    /// When it was stored.
    pub created_at: OffsetDateTime,
}

/// What a wipe removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WipeReport {
    /// How many blobs were deleted.
    pub blobs: u64,
    /// Their total plaintext size.
    pub bytes: u64,
    /// Whether the WAL checkpoint completed, so no old page remains in the WAL file.
    pub checkpointed: bool,
}

/// The result of a full journal check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntegrityReport {
    /// Streams checked.
    pub streams: u64,
    /// Events decrypted and authenticated.
    pub events: u64,
    /// Blobs decrypted, authenticated and hash-checked.
    pub blobs: u64,
    /// The audit chain.
    pub audit: crate::audit::AuditVerification,
}

/// Shows the size of redacted data.
struct Redacted(usize);

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<redacted {} bytes>", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_id_parses_and_hashes() {
        let id = BlobId::of(b"abc");
        assert_eq!(
            id.as_str(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let upper: BlobId = id.as_str().to_uppercase().parse().unwrap();
        assert_eq!(upper, id);
        assert!("xyz".parse::<BlobId>().is_err());
        assert!("g".repeat(64).parse::<BlobId>().is_err());
    }

    #[test]
    fn debug_redacts_personal_data() {
        let a = Append::new(
            "ses_1",
            "session",
            0,
            vec![NewEvent::new("opened", b"NIK-MARKER".to_vec())],
        )
        .blob(NewBlob::new("image/png", b"FACE-MARKER".to_vec()))
        .lookup("3507123456789001");
        let text = format!("{a:?}");
        assert!(!text.contains("NIK-MARKER"));
        assert!(!text.contains("FACE-MARKER"));
        assert!(!text.contains("3507123456789001"));
        assert!(text.contains("<redacted 10 bytes>"), "{text}");
        assert!(text.contains("<redacted 11 bytes>"), "{text}");
        // Not even as a list of byte values.
        assert!(!text.contains("78, 73, 75"));
    }
}
