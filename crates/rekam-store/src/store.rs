//! [`Store`]: opening the journal and every operation on it.
//!
//! One SQLite connection behind a mutex. Writes run in `BEGIN IMMEDIATE` transactions, so the
//! checks they make (expected seq, audit head) cannot race with another writer, and each commit
//! is fsynced (`synchronous=FULL` in WAL mode) before the call returns.

use std::fs;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};
use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::audit::{entry_hash, Actor, AuditEntry, AuditRecord, AuditVerification, GENESIS_HASH};
use crate::crypto::{self, Canonical, NONCE_LEN};
use crate::error::StoreError;
use crate::keys::{sync_dir, Keys};
use crate::schema;
use crate::types::{
    Append, BlobId, BlobMeta, IntegrityReport, StoredEvent, StreamInfo, WipeReport,
};
use crate::validate;

/// The journal's file name inside the state directory.
pub const JOURNAL_FILE: &str = "journal.sqlite3";
/// The key file's name inside the state directory.
pub const KEY_FILE: &str = "station.key";
/// The lock file's name inside the state directory.
pub const LOCK_FILE: &str = "journal.lock";

/// The largest event payload accepted (bytes).
pub const MAX_EVENT_BYTES: usize = 16 << 20;
/// The largest blob accepted (bytes).
pub const MAX_BLOB_BYTES: usize = 64 << 20;

const KEY_CHECK_PLAINTEXT: &[u8] = b"rekam-store key check";
const META_KEY_CHECK: &str = "key_check";
const META_INDEX_CHECK: &str = "index_check";
const META_AUDIT_HEAD: &str = "audit_head";

/// The station's encrypted event journal. `Send + Sync`; every method takes `&self`.
pub struct Store {
    dir: PathBuf,
    keys: Keys,
    conn: Mutex<Connection>,
    /// Holds an exclusive `flock` on [`LOCK_FILE`] while the store is open.
    _lock: fs::File,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

/// A row of `streams` before conversion.
type StreamRow = (String, String, Option<String>, i64, i64, i64, Option<i64>);
const STREAM_COLUMNS: &str = "id, kind, status, created_at, updated_at, last_seq, wiped_at";

impl Store {
    /// Opens (creating if needed) the journal in `dir` with the key from `dir/station.key`.
    ///
    /// Creates `dir` with mode 0700 if it does not exist, and the key file (mode 0600, random
    /// keys) if neither it nor a journal exists.
    ///
    /// # Errors
    /// [`StoreError::KeyFilePermissions`] when the key file may be read by group or others;
    /// [`StoreError::KeyFileMissing`] when a journal exists without its key;
    /// [`StoreError::WrongKey`] when the key file belongs to another journal;
    /// [`StoreError::Locked`] when another `Store` has the directory open;
    /// I/O and SQLite errors.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        create_dir(dir)?;
        let lock = lock_dir(dir)?;
        let key_path = dir.join(KEY_FILE);
        let journal = dir.join(JOURNAL_FILE);
        let keys = match fs::symlink_metadata(&key_path) {
            Ok(_) => Keys::read_file(&key_path)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if has_data(&journal)? {
                    return Err(StoreError::KeyFileMissing {
                        journal,
                        key: key_path,
                    });
                }
                let keys = Keys::generate()?;
                keys.write_file(&key_path)?;
                keys
            }
            Err(e) => return Err(StoreError::io("stat", &key_path, e)),
        };
        Self::open_inner(dir, keys, lock)
    }

    /// Opens (creating if needed) the journal in `dir` with the given keys; the key file is
    /// neither read nor written. For tests and for keys that come from elsewhere.
    ///
    /// # Errors
    /// As [`Store::open`], less the key-file errors.
    pub fn open_with_key(dir: &Path, keys: Keys) -> Result<Self, StoreError> {
        create_dir(dir)?;
        let lock = lock_dir(dir)?;
        Self::open_inner(dir, keys, lock)
    }

    fn open_inner(dir: &Path, keys: Keys, lock: fs::File) -> Result<Self, StoreError> {
        let journal = dir.join(JOURNAL_FILE);
        // Create the file ourselves so it is 0600; SQLite gives its -wal and -shm files the
        // database file's permissions.
        if !journal.exists() {
            fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .mode(0o600)
                .open(&journal)
                .map_err(|e| StoreError::io("create", &journal, e))?;
            sync_dir(dir)?;
        }
        let mut conn = Connection::open(&journal)?;
        schema::configure(&conn)?;
        schema::migrate(&mut conn)?;
        check_keys(&mut conn, &keys)?;
        Ok(Self {
            dir: dir.to_path_buf(),
            keys,
            conn: Mutex::new(conn),
            _lock: lock,
        })
    }

    /// The state directory.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The journal file.
    #[must_use]
    pub fn journal_path(&self) -> PathBuf {
        self.dir.join(JOURNAL_FILE)
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while the lock was held dropped its transaction, which rolled back: the
        // connection is consistent.
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    // ---------------------------------------------------------------- streams

    /// Appends events (with their blobs, status, lookup, counter changes and audit entries) to
    /// a stream in one transaction, creating the stream when `expected_seq` is 0. Durable when
    /// it returns. Returns the stream's new last seq.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when the stream's last seq is not `expected_seq`;
    /// [`StoreError::KindMismatch`]; [`StoreError::Wiped`] when adding blobs to a wiped stream;
    /// [`StoreError::InvalidInput`] for empty events, a blob whose id is not its hash, or
    /// plaintext fields that fail the guards; SQLite errors. Nothing is written on error.
    pub fn append(&self, req: Append) -> Result<u64, StoreError> {
        validate::ident("stream id", &req.stream, 128)?;
        validate::ident("stream kind", &req.kind, 32)?;
        if req.events.is_empty() {
            return Err(validate::invalid(
                "events",
                "an append needs at least one event",
            ));
        }
        if let Some(status) = &req.status {
            validate::ident("status", status, 64)?;
        }
        for (name, _) in &req.counters {
            validate::ident("counter name", name, 64)?;
        }
        for entry in &req.audit {
            entry.validate()?;
        }
        let count =
            u64::try_from(req.events.len()).map_err(|_| validate::invalid("events", "too many"))?;
        let new_last = req
            .expected_seq
            .checked_add(count)
            .filter(|&s| i64::try_from(s).is_ok())
            .ok_or_else(|| validate::invalid("expected seq", "out of range"))?;
        let now = now_nanos()?;

        // Seal outside the lock: the seqs follow from expected_seq, and a conflict only wastes
        // the work.
        let mut events = Vec::with_capacity(req.events.len());
        for (seq, ev) in (req.expected_seq + 1..).zip(&req.events) {
            validate::ident("event kind", &ev.kind, 64)?;
            if ev.payload.len() > MAX_EVENT_BYTES {
                return Err(validate::invalid("event payload", "is too large"));
            }
            let aad = crypto::event_aad(&req.stream, seq, now, &ev.kind);
            let (nonce, ct) = crypto::seal(&self.keys, &aad, &ev.payload)?;
            events.push((seq, &ev.kind, nonce, ct));
        }
        let mut blobs = Vec::with_capacity(req.blobs.len());
        for blob in &req.blobs {
            validate::text("media type", &blob.media_type, 128, false)?;
            if blob.bytes.len() > MAX_BLOB_BYTES {
                return Err(validate::invalid("blob", "is too large"));
            }
            if BlobId::of(&blob.bytes) != blob.id {
                return Err(validate::invalid(
                    "blob id",
                    "is not the SHA-256 of the bytes",
                ));
            }
            let aad = crypto::blob_aad(&req.stream, blob.id.as_str(), &blob.media_type);
            let (nonce, ct) = crypto::seal(&self.keys, &aad, &blob.bytes)?;
            blobs.push((blob, nonce, ct));
        }
        let lookup = req
            .lookup
            .as_ref()
            .map(|l| crypto::lookup_tag(&self.keys, &req.kind, l));

        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let existing: Option<(String, i64, Option<i64>)> = tx
            .query_row(
                "SELECT kind, last_seq, wiped_at FROM streams WHERE id = ?1",
                [&req.stream],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        match existing {
            None => {
                if req.expected_seq != 0 {
                    return Err(StoreError::Conflict {
                        stream: req.stream,
                        expected: req.expected_seq,
                        actual: 0,
                    });
                }
                tx.execute(
                    "INSERT INTO streams (id, kind, status, lookup, created_at, updated_at, last_seq)
                     VALUES (?1, ?2, NULL, NULL, ?3, ?3, 0)",
                    params![req.stream, req.kind, now],
                )?;
            }
            Some((kind, last_seq, wiped_at)) => {
                if kind != req.kind {
                    return Err(StoreError::KindMismatch {
                        stream: req.stream,
                        expected: req.kind,
                        actual: kind,
                    });
                }
                let actual = to_u64(last_seq, "stream last seq")?;
                if actual != req.expected_seq {
                    return Err(StoreError::Conflict {
                        stream: req.stream,
                        expected: req.expected_seq,
                        actual,
                    });
                }
                if wiped_at.is_some() && !req.blobs.is_empty() {
                    return Err(StoreError::Wiped { stream: req.stream });
                }
            }
        }
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO events (stream, seq, at, kind, nonce, ciphertext)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for (seq, kind, nonce, ct) in &events {
                insert.execute(params![
                    req.stream,
                    to_i64(*seq)?,
                    now,
                    kind,
                    &nonce[..],
                    ct
                ])?;
            }
            let mut insert_blob = tx.prepare_cached(
                "INSERT OR IGNORE INTO blobs (stream, id, media_type, size, created_at, nonce, ciphertext)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for (blob, nonce, ct) in &blobs {
                let size = i64::try_from(blob.bytes.len())
                    .map_err(|_| validate::invalid("blob", "is too large"))?;
                insert_blob.execute(params![
                    req.stream,
                    blob.id.as_str(),
                    blob.media_type,
                    size,
                    now,
                    &nonce[..],
                    ct
                ])?;
            }
        }
        tx.execute(
            "UPDATE streams SET last_seq = ?2, updated_at = ?3,
                 status = coalesce(?4, status), lookup = coalesce(?5, lookup)
             WHERE id = ?1",
            params![
                req.stream,
                to_i64(new_last)?,
                now,
                req.status,
                lookup.as_ref().map(|l| &l[..])
            ],
        )?;
        for (name, delta) in &req.counters {
            counter_add_tx(&tx, name, *delta, now)?;
        }
        append_audit_tx(&tx, &req.audit, now)?;
        tx.commit()?;
        Ok(new_last)
    }

    /// Loads and decrypts a stream's events, in order. Not audited: this is how the workflow
    /// rebuilds its state; use [`Store::load_audited`] when a person reads a stream.
    ///
    /// # Errors
    /// [`StoreError::StreamNotFound`]; [`StoreError::Tampered`] for the first event that fails
    /// authentication or is missing; SQLite errors.
    pub fn load(&self, stream: &str) -> Result<Vec<StoredEvent>, StoreError> {
        let conn = self.conn();
        self.load_in(&conn, stream)
    }

    /// As [`Store::load`], and records an `events.read` audit entry by `actor` in the same
    /// transaction as the read.
    ///
    /// # Errors
    /// As [`Store::load`]; `InvalidInput` for an invalid actor.
    pub fn load_audited(
        &self,
        stream: &str,
        actor: &Actor,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        actor.validate()?;
        let now = now_nanos()?;
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let events = self.load_in(&tx, stream)?;
        let entry = AuditEntry::new(
            actor.clone(),
            "events.read",
            stream,
            format!("events={}", events.len()),
        );
        append_audit_tx(&tx, std::slice::from_ref(&entry), now)?;
        tx.commit()?;
        Ok(events)
    }

    fn load_in(&self, conn: &Connection, stream: &str) -> Result<Vec<StoredEvent>, StoreError> {
        let last_seq: i64 = conn
            .query_row(
                "SELECT last_seq FROM streams WHERE id = ?1",
                [stream],
                |r| r.get(0),
            )
            .optional()?
            .ok_or_else(|| StoreError::StreamNotFound {
                stream: stream.to_owned(),
            })?;
        let last_seq = to_u64(last_seq, "stream last seq")?;
        let mut stmt = conn.prepare_cached(
            "SELECT seq, at, kind, nonce, ciphertext FROM events WHERE stream = ?1 ORDER BY seq",
        )?;
        let mut rows = stmt.query([stream])?;
        let mut out = Vec::new();
        let mut expected = 1u64;
        let tampered = |seq| StoreError::Tampered {
            stream: stream.to_owned(),
            seq,
        };
        while let Some(row) = rows.next()? {
            let seq = u64::try_from(row.get::<_, i64>(0)?).map_err(|_| tampered(expected))?;
            if seq != expected || seq > last_seq {
                // A missing row, or one that does not belong: report the first wrong position.
                return Err(tampered(expected));
            }
            let at: i64 = row.get(1)?;
            let kind: String = row.get(2)?;
            let nonce: Vec<u8> = row.get(3)?;
            let ct: Vec<u8> = row.get(4)?;
            let aad = crypto::event_aad(stream, seq, at, &kind);
            let payload =
                crypto::open(&self.keys, &aad, &nonce, &ct).ok_or_else(|| tampered(seq))?;
            out.push(StoredEvent {
                seq,
                at: from_nanos(at)?,
                kind,
                payload,
            });
            expected += 1;
        }
        if expected != last_seq + 1 {
            return Err(tampered(expected));
        }
        Ok(out)
    }

    /// One stream's metadata, or `None`.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn stream(&self, id: &str) -> Result<Option<StreamInfo>, StoreError> {
        let conn = self.conn();
        let row = conn
            .query_row(
                &format!("SELECT {STREAM_COLUMNS} FROM streams WHERE id = ?1"),
                [id],
                stream_row,
            )
            .optional()?;
        row.map(stream_info).transpose()
    }

    /// The streams of `kind`, optionally only those with `status`, oldest first.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn streams(&self, kind: &str, status: Option<&str>) -> Result<Vec<StreamInfo>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {STREAM_COLUMNS} FROM streams
             WHERE kind = ?1 AND (?2 IS NULL OR status = ?2)
             ORDER BY created_at, id"
        ))?;
        let rows = stmt.query_map(params![kind, status], stream_row)?;
        rows.map(|r| stream_info(r?)).collect()
    }

    /// The streams of `kind` whose lookup value is `lookup` (compared as keyed hashes).
    ///
    /// # Errors
    /// SQLite errors.
    pub fn find_by_lookup(&self, kind: &str, lookup: &str) -> Result<Vec<StreamInfo>, StoreError> {
        let tag = crypto::lookup_tag(&self.keys, kind, lookup);
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {STREAM_COLUMNS} FROM streams WHERE kind = ?1 AND lookup = ?2
             ORDER BY created_at, id"
        ))?;
        let rows = stmt.query_map(params![kind, &tag[..]], stream_row)?;
        rows.map(|r| stream_info(r?)).collect()
    }

    // ------------------------------------------------------------------ blobs

    /// Reads and decrypts a blob, recording a `blob.read` audit entry by `actor` in the same
    /// transaction as the read.
    ///
    /// # Errors
    /// [`StoreError::StreamNotFound`], [`StoreError::BlobNotFound`], [`StoreError::Wiped`],
    /// [`StoreError::BlobTampered`] (authentication or content hash fails); SQLite errors.
    pub fn get_blob(
        &self,
        stream: &str,
        id: &BlobId,
        actor: &Actor,
    ) -> Result<Zeroizing<Vec<u8>>, StoreError> {
        actor.validate()?;
        let now = now_nanos()?;
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let wiped = stream_wiped(&tx, stream)?;
        if wiped {
            return Err(StoreError::Wiped {
                stream: stream.to_owned(),
            });
        }
        let row: Option<(String, Vec<u8>, Vec<u8>)> = tx
            .query_row(
                "SELECT media_type, nonce, ciphertext FROM blobs WHERE stream = ?1 AND id = ?2",
                params![stream, id.as_str()],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let (media_type, nonce, ct) = row.ok_or_else(|| StoreError::BlobNotFound {
            stream: stream.to_owned(),
            blob: id.to_string(),
        })?;
        let tampered = || StoreError::BlobTampered {
            stream: stream.to_owned(),
            blob: id.to_string(),
        };
        let aad = crypto::blob_aad(stream, id.as_str(), &media_type);
        let bytes = crypto::open(&self.keys, &aad, &nonce, &ct).ok_or_else(tampered)?;
        if BlobId::of(&bytes) != *id {
            return Err(tampered());
        }
        let entry = AuditEntry::new(
            actor.clone(),
            "blob.read",
            stream,
            format!("blob={id} media_type={media_type}"),
        );
        append_audit_tx(&tx, std::slice::from_ref(&entry), now)?;
        tx.commit()?;
        Ok(bytes)
    }

    /// The blobs of a stream (plaintext metadata only; not audited), oldest first.
    ///
    /// # Errors
    /// [`StoreError::StreamNotFound`]; SQLite errors.
    pub fn blob_meta(&self, stream: &str) -> Result<Vec<BlobMeta>, StoreError> {
        let conn = self.conn();
        stream_wiped(&conn, stream)?;
        let mut stmt = conn.prepare_cached(
            "SELECT id, media_type, size, created_at FROM blobs WHERE stream = ?1
             ORDER BY created_at, id",
        )?;
        let rows = stmt.query_map([stream], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
            ))
        })?;
        rows.map(|r| {
            let (id, media_type, size, created_at) = r?;
            Ok(BlobMeta {
                id: id
                    .parse()
                    .map_err(|_| StoreError::corrupt("malformed blob id"))?,
                media_type,
                size: to_u64(size, "blob size")?,
                created_at: from_nanos(created_at)?,
            })
        })
        .collect()
    }

    /// Deletes a stream's blobs (securely: SQLite overwrites the freed pages, and the WAL is
    /// checkpointed and truncated), forgets its lookup value and marks it wiped. Its events stay:
    /// they are the record. Recorded as a `data.wipe` audit entry by `actor` with `reason`
    /// (non-personal). Wiping twice is harmless. Later appends may add events but no blobs.
    ///
    /// # Errors
    /// [`StoreError::StreamNotFound`]; `InvalidInput` for a bad reason or actor; SQLite errors.
    pub fn wipe(
        &self,
        stream: &str,
        actor: &Actor,
        reason: &str,
    ) -> Result<WipeReport, StoreError> {
        actor.validate()?;
        validate::text("wipe reason", reason, 256, false)?;
        let now = now_nanos()?;
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        stream_wiped(&tx, stream)?;
        let (blobs, bytes): (i64, i64) = tx.query_row(
            "SELECT count(*), coalesce(sum(size), 0) FROM blobs WHERE stream = ?1",
            [stream],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        tx.execute("DELETE FROM blobs WHERE stream = ?1", [stream])?;
        tx.execute(
            "UPDATE streams SET wiped_at = coalesce(wiped_at, ?2), updated_at = ?2, lookup = NULL
             WHERE id = ?1",
            params![stream, now],
        )?;
        let entry = AuditEntry::new(
            actor.clone(),
            "data.wipe",
            stream,
            format!("reason={reason} blobs={blobs} bytes={bytes}"),
        );
        append_audit_tx(&tx, std::slice::from_ref(&entry), now)?;
        tx.commit()?;
        let checkpointed = checkpoint_truncate(&conn)?;
        Ok(WipeReport {
            blobs: to_u64(blobs, "blob count")?,
            bytes: to_u64(bytes, "blob bytes")?,
            checkpointed,
        })
    }

    // ------------------------------------------------------------------ audit

    /// Appends one audit entry on its own; returns its seq.
    ///
    /// # Errors
    /// `InvalidInput` for fields that fail the guards; SQLite errors.
    pub fn audit(&self, entry: AuditEntry) -> Result<u64, StoreError> {
        entry.validate()?;
        let now = now_nanos()?;
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let seq = append_audit_tx(&tx, std::slice::from_ref(&entry), now)?;
        tx.commit()?;
        Ok(seq)
    }

    /// Up to `limit` audit entries from `from_seq` on, in order.
    ///
    /// # Errors
    /// `Corrupt` for malformed rows; SQLite errors.
    pub fn audit_entries(&self, from_seq: u64, limit: u64) -> Result<Vec<AuditRecord>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT seq, at, actor_kind, actor_id, action, subject, detail, prev_hash, hash
             FROM audit WHERE seq >= ?1 ORDER BY seq LIMIT ?2",
        )?;
        let from = i64::try_from(from_seq).unwrap_or(i64::MAX);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt.query_map(params![from, limit], audit_row)?;
        rows.map(|r| {
            let raw = r?;
            Ok(AuditRecord {
                seq: to_u64(raw.seq, "audit seq")?,
                at: from_nanos(raw.at)?,
                actor: Actor::new(
                    raw.actor_kind
                        .parse()
                        .map_err(|_| StoreError::corrupt("unknown actor kind in audit"))?,
                    raw.actor_id,
                ),
                action: raw.action,
                subject: raw.subject,
                detail: raw.detail,
                prev_hash: hash32(&raw.prev_hash)
                    .ok_or_else(|| StoreError::corrupt("malformed audit hash"))?,
                hash: hash32(&raw.hash)
                    .ok_or_else(|| StoreError::corrupt("malformed audit hash"))?,
            })
        })
        .collect()
    }

    /// The last audit seq and hash as recorded (without verifying the chain).
    ///
    /// # Errors
    /// `Corrupt` when the head record is missing or malformed; SQLite errors.
    pub fn audit_head(&self) -> Result<(u64, [u8; 32]), StoreError> {
        read_head(&self.conn())
    }

    /// Recomputes the whole audit chain and compares it with the recorded head.
    ///
    /// # Errors
    /// [`StoreError::AuditChainBroken`] with the first entry that is altered, missing or
    /// inserted; SQLite errors.
    pub fn verify_audit(&self) -> Result<AuditVerification, StoreError> {
        let conn = self.conn();
        verify_audit_in(&conn)
    }

    // --------------------------------------------------------------- counters

    /// Adds `delta` to a counter (created at 0); returns the new value.
    ///
    /// # Errors
    /// `InvalidInput` for a bad name; [`StoreError::CounterOverflow`]; SQLite errors.
    pub fn counter_add(&self, name: &str, delta: i64) -> Result<i64, StoreError> {
        validate::ident("counter name", name, 64)?;
        let now = now_nanos()?;
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = counter_add_tx(&tx, name, delta, now)?;
        tx.commit()?;
        Ok(value)
    }

    /// A counter's value (0 when it was never changed).
    ///
    /// # Errors
    /// SQLite errors.
    pub fn counter_get(&self, name: &str) -> Result<i64, StoreError> {
        let conn = self.conn();
        Ok(conn
            .query_row("SELECT value FROM counters WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .optional()?
            .unwrap_or(0))
    }

    /// Every counter, by name.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn counters(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached("SELECT name, value FROM counters ORDER BY name")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    // -------------------------------------------------------------- integrity

    /// Checks the whole journal: SQLite's own check and foreign keys, every event and blob
    /// decrypts and authenticates (and every blob matches its hash), every stream is gap-free,
    /// and the audit chain verifies. Decrypted data is discarded, never returned, so this is not
    /// audited as a read.
    ///
    /// # Errors
    /// The first problem found: `Corrupt`, `Tampered`, `AuditChainBroken`; SQLite errors.
    pub fn check_integrity(&self) -> Result<IntegrityReport, StoreError> {
        let conn = self.conn();
        let quick: String = conn.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
        if quick != "ok" {
            return Err(StoreError::corrupt(format!("SQLite quick_check: {quick}")));
        }
        let dangling: Option<String> = conn
            .query_row("PRAGMA foreign_key_check", [], |r| r.get(0))
            .optional()?;
        if let Some(table) = dangling {
            return Err(StoreError::corrupt(format!("dangling rows in {table}")));
        }
        let ids: Vec<String> = conn
            .prepare("SELECT id FROM streams ORDER BY id")?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let mut events = 0u64;
        for id in &ids {
            events += self.load_in(&conn, id)?.len() as u64;
        }
        let mut blobs = 0u64;
        let mut stmt =
            conn.prepare("SELECT stream, id, media_type, nonce, ciphertext FROM blobs")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let stream: String = row.get(0)?;
            let id: String = row.get(1)?;
            let media_type: String = row.get(2)?;
            let nonce: Vec<u8> = row.get(3)?;
            let ct: Vec<u8> = row.get(4)?;
            let aad = crypto::blob_aad(&stream, &id, &media_type);
            let ok = crypto::open(&self.keys, &aad, &nonce, &ct)
                .is_some_and(|b| BlobId::of(&b).as_str() == id);
            if !ok {
                return Err(StoreError::BlobTampered { stream, blob: id });
            }
            blobs += 1;
        }
        let audit = verify_audit_in(&conn)?;
        Ok(IntegrityReport {
            streams: ids.len() as u64,
            events,
            blobs,
            audit,
        })
    }
}

// ---------------------------------------------------------------------- helpers

fn create_dir(dir: &Path) -> Result<(), StoreError> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| StoreError::io("create directory", dir, e))?;
    if !fs::metadata(dir)
        .map_err(|e| StoreError::io("stat", dir, e))?
        .is_dir()
    {
        return Err(StoreError::io(
            "open directory",
            dir,
            std::io::Error::other("not a directory"),
        ));
    }
    Ok(())
}

fn lock_dir(dir: &Path) -> Result<fs::File, StoreError> {
    let path = dir.join(LOCK_FILE);
    let file = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(&path)
        .map_err(|e| StoreError::io("open", &path, e))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(fs::TryLockError::WouldBlock) => Err(StoreError::Locked {
            dir: dir.to_path_buf(),
        }),
        Err(fs::TryLockError::Error(e)) => Err(StoreError::io("lock", &path, e)),
    }
}

fn has_data(journal: &Path) -> Result<bool, StoreError> {
    match fs::metadata(journal) {
        Ok(m) => Ok(m.len() > 0),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(StoreError::io("stat", journal, e)),
    }
}

/// Verifies (or, on a new journal, records) that `keys` belong to this journal, and records an
/// empty audit head.
fn check_keys(conn: &mut Connection, keys: &Keys) -> Result<(), StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let get = |key: &str| -> Result<Option<Vec<u8>>, StoreError> {
        Ok(tx
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    };
    let canary = get(META_KEY_CHECK)?;
    let index = get(META_INDEX_CHECK)?;
    let index_expected = crypto::index_mac(keys, &Canonical::new("rekam-store/v1/index-check"));
    match (canary, index) {
        (Some(canary), Some(index)) => {
            if canary.len() < NONCE_LEN {
                return Err(StoreError::corrupt("malformed key check"));
            }
            let (nonce, ct) = canary.split_at(NONCE_LEN);
            let data_ok = crypto::open(keys, &crypto::key_check_aad(), nonce, ct)
                .is_some_and(|p| p.as_slice() == KEY_CHECK_PLAINTEXT);
            if !data_ok || index != index_expected {
                return Err(StoreError::WrongKey);
            }
        }
        (None, None) => {
            let (nonce, ct) = crypto::seal(keys, &crypto::key_check_aad(), KEY_CHECK_PLAINTEXT)?;
            let mut canary = nonce.to_vec();
            canary.extend_from_slice(&ct);
            let streams: i64 = tx.query_row("SELECT count(*) FROM streams", [], |r| r.get(0))?;
            if streams != 0 {
                return Err(StoreError::corrupt(
                    "key check missing from a journal with data",
                ));
            }
            tx.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2), (?3, ?4)",
                params![
                    META_KEY_CHECK,
                    canary,
                    META_INDEX_CHECK,
                    &index_expected[..]
                ],
            )?;
        }
        _ => return Err(StoreError::corrupt("half a key check")),
    }
    let head: Option<Vec<u8>> = tx
        .query_row(
            "SELECT value FROM meta WHERE key = ?1",
            [META_AUDIT_HEAD],
            |r| r.get(0),
        )
        .optional()?;
    if head.is_none() {
        let entries: i64 = tx.query_row("SELECT count(*) FROM audit", [], |r| r.get(0))?;
        if entries == 0 {
            write_head(&tx, 0, &GENESIS_HASH)?;
        }
    }
    tx.commit()?;
    Ok(())
}

fn read_head(conn: &Connection) -> Result<(u64, [u8; 32]), StoreError> {
    let value: Vec<u8> = conn
        .query_row(
            "SELECT value FROM meta WHERE key = ?1",
            [META_AUDIT_HEAD],
            |r| r.get(0),
        )
        .optional()?
        .ok_or_else(|| StoreError::corrupt("audit head missing"))?;
    if value.len() != 40 {
        return Err(StoreError::corrupt("malformed audit head"));
    }
    let mut seq = [0u8; 8];
    seq.copy_from_slice(&value[..8]);
    let mut hash = [0u8; 32];
    hash.copy_from_slice(&value[8..]);
    Ok((u64::from_be_bytes(seq), hash))
}

fn write_head(tx: &Transaction<'_>, seq: u64, hash: &[u8; 32]) -> Result<(), StoreError> {
    let mut value = seq.to_be_bytes().to_vec();
    value.extend_from_slice(hash);
    tx.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![META_AUDIT_HEAD, value],
    )?;
    Ok(())
}

/// Appends entries after the recorded head; returns the new head seq.
fn append_audit_tx(
    tx: &Transaction<'_>,
    entries: &[AuditEntry],
    at: i64,
) -> Result<u64, StoreError> {
    let (mut seq, mut prev) = read_head(tx)?;
    if entries.is_empty() {
        return Ok(seq);
    }
    let mut insert = tx.prepare_cached(
        "INSERT INTO audit (seq, at, actor_kind, actor_id, action, subject, detail, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    for e in entries {
        seq += 1;
        let kind = e.actor.kind.as_str();
        let hash = entry_hash(
            seq,
            at,
            kind,
            &e.actor.id,
            &e.action,
            &e.subject,
            &e.detail,
            &prev,
        );
        insert.execute(params![
            to_i64(seq)?,
            at,
            kind,
            e.actor.id,
            e.action,
            e.subject,
            e.detail,
            &prev[..],
            &hash[..]
        ])?;
        prev = hash;
    }
    write_head(tx, seq, &prev)?;
    Ok(seq)
}

/// A row of `audit` before conversion.
struct RawAudit {
    seq: i64,
    at: i64,
    actor_kind: String,
    actor_id: String,
    action: String,
    subject: String,
    detail: String,
    prev_hash: Vec<u8>,
    hash: Vec<u8>,
}

fn audit_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawAudit> {
    Ok(RawAudit {
        seq: r.get(0)?,
        at: r.get(1)?,
        actor_kind: r.get(2)?,
        actor_id: r.get(3)?,
        action: r.get(4)?,
        subject: r.get(5)?,
        detail: r.get(6)?,
        prev_hash: r.get(7)?,
        hash: r.get(8)?,
    })
}

fn verify_audit_in(conn: &Connection) -> Result<AuditVerification, StoreError> {
    let (head_seq, head_hash) = read_head(conn)?;
    let mut stmt = conn.prepare(
        "SELECT seq, at, actor_kind, actor_id, action, subject, detail, prev_hash, hash
         FROM audit ORDER BY seq",
    )?;
    let mut rows = stmt.query_map([], audit_row)?;
    let mut expected = 1u64;
    let mut prev = GENESIS_HASH;
    for row in rows.by_ref() {
        let raw = row?;
        let broken = StoreError::AuditChainBroken { seq: expected };
        if u64::try_from(raw.seq).ok() != Some(expected) {
            // Missing entry (or one inserted out of place).
            return Err(broken);
        }
        let recomputed = entry_hash(
            expected,
            raw.at,
            &raw.actor_kind,
            &raw.actor_id,
            &raw.action,
            &raw.subject,
            &raw.detail,
            &prev,
        );
        if raw.prev_hash != prev || raw.hash != recomputed {
            return Err(broken);
        }
        prev = recomputed;
        expected += 1;
    }
    let entries = expected - 1;
    if entries != head_seq {
        return Err(StoreError::AuditChainBroken {
            seq: entries.min(head_seq) + 1,
        });
    }
    if prev != head_hash {
        return Err(StoreError::AuditChainBroken {
            seq: entries.max(1),
        });
    }
    Ok(AuditVerification {
        entries,
        head: prev,
    })
}

fn counter_add_tx(
    tx: &Transaction<'_>,
    name: &str,
    delta: i64,
    now: i64,
) -> Result<i64, StoreError> {
    let current: i64 = tx
        .query_row("SELECT value FROM counters WHERE name = ?1", [name], |r| {
            r.get(0)
        })
        .optional()?
        .unwrap_or(0);
    let value = current
        .checked_add(delta)
        .ok_or_else(|| StoreError::CounterOverflow {
            name: name.to_owned(),
        })?;
    tx.execute(
        "INSERT INTO counters (name, value, updated_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        params![name, value, now],
    )?;
    Ok(value)
}

/// Whether the stream was wiped; `StreamNotFound` when it does not exist.
fn stream_wiped(conn: &Connection, stream: &str) -> Result<bool, StoreError> {
    let wiped: Option<Option<i64>> = conn
        .query_row(
            "SELECT wiped_at FROM streams WHERE id = ?1",
            [stream],
            |r| r.get(0),
        )
        .optional()?;
    match wiped {
        None => Err(StoreError::StreamNotFound {
            stream: stream.to_owned(),
        }),
        Some(w) => Ok(w.is_some()),
    }
}

/// Copies the WAL into the database and truncates it; `false` when a reader kept it busy.
fn checkpoint_truncate(conn: &Connection) -> Result<bool, StoreError> {
    let (busy, _log, _done): (i64, i64, i64) =
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
    Ok(busy == 0)
}

fn stream_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StreamRow> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
    ))
}

fn stream_info(row: StreamRow) -> Result<StreamInfo, StoreError> {
    let (id, kind, status, created_at, updated_at, last_seq, wiped_at) = row;
    Ok(StreamInfo {
        id,
        kind,
        status,
        created_at: from_nanos(created_at)?,
        updated_at: from_nanos(updated_at)?,
        last_seq: to_u64(last_seq, "stream last seq")?,
        wiped_at: wiped_at.map(from_nanos).transpose()?,
    })
}

fn hash32(v: &[u8]) -> Option<[u8; 32]> {
    v.try_into().ok()
}

fn now_nanos() -> Result<i64, StoreError> {
    i64::try_from(OffsetDateTime::now_utc().unix_timestamp_nanos())
        .map_err(|_| validate::invalid("system clock", "is out of range"))
}

fn from_nanos(nanos: i64) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(nanos))
        .map_err(|_| StoreError::corrupt("timestamp out of range"))
}

fn to_u64(v: i64, what: &'static str) -> Result<u64, StoreError> {
    u64::try_from(v).map_err(|_| StoreError::corrupt(format!("negative {what}")))
}

fn to_i64(v: u64) -> Result<i64, StoreError> {
    i64::try_from(v).map_err(|_| validate::invalid("seq", "out of range"))
}
