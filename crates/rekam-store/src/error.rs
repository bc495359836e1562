//! Errors of the store, each with a coarse [`ErrorKind`].
//!
//! Messages name streams, sequence numbers, blob ids, paths and SQL error codes. They never
//! contain event payloads, blob bytes or lookup values: those may be personal data.

use std::path::PathBuf;

/// The coarse class of a [`StoreError`], for callers that map errors to responses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A stream, blob or counter that does not exist.
    NotFound,
    /// Optimistic concurrency: the stream moved on since the caller read it.
    Conflict,
    /// A ciphertext failed authentication: the row was altered, moved or swapped.
    Tampered,
    /// The journal is inconsistent (sequence gaps, broken audit chain, bad schema).
    Corrupt,
    /// A file-system error.
    Io,
    /// The key file has unsafe permissions or the process may not read a file.
    Permission,
    /// The caller passed something the store refuses to record.
    InvalidInput,
    /// The keys do not belong to this journal.
    WrongKey,
    /// Another process holds the journal.
    Locked,
    /// The stream's personal data was wiped.
    Wiped,
    /// Any other SQLite failure.
    Database,
}

/// An error from the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A file-system operation failed.
    #[error("{op} {path}: {source}")]
    Io {
        /// What the store was doing.
        op: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The operating system's random number generator failed.
    #[error("the OS random number generator failed: {0}")]
    Random(String),
    /// The key file may be read by the group or by others.
    #[error(
        "key file {path} has mode {mode:04o}: it must be readable by its owner only \
         (run `chmod 600 {path}` after checking nobody copied it)",
        path = path.display()
    )]
    KeyFilePermissions {
        /// The key file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The key file is not a regular file (a symlink, a directory, ...).
    #[error("key file {} is not a regular file", path.display())]
    KeyFileNotRegular {
        /// The key file.
        path: PathBuf,
    },
    /// The journal exists but its key file does not: a new key would make it unreadable.
    #[error(
        "journal {} exists but its key file {} is missing; restore the key file (refusing to create a new key)",
        journal.display(), key.display()
    )]
    KeyFileMissing {
        /// The journal file.
        journal: PathBuf,
        /// The missing key file.
        key: PathBuf,
    },
    /// The key file is not in the expected format.
    #[error("key file {} is malformed: {reason}", path.display())]
    KeyFileMalformed {
        /// The key file.
        path: PathBuf,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The keys do not match the ones this journal was created with.
    #[error("the keys do not belong to this journal")]
    WrongKey,
    /// Another `Store` (in this or another process) has the journal open.
    #[error("journal in {} is in use by another process", dir.display())]
    Locked {
        /// The state directory.
        dir: PathBuf,
    },
    /// The journal was written by a newer version of this software.
    #[error("journal schema version {found} is newer than the supported {supported}")]
    SchemaTooNew {
        /// The version found in the file.
        found: i64,
        /// The newest version this build knows.
        supported: i64,
    },
    /// A stream does not exist.
    #[error("stream {stream} not found")]
    StreamNotFound {
        /// The stream id.
        stream: String,
    },
    /// A blob does not exist in the stream.
    #[error("blob {blob} not found in stream {stream}")]
    BlobNotFound {
        /// The stream id.
        stream: String,
        /// The blob id.
        blob: String,
    },
    /// The stream's last sequence number is not the one the caller expected.
    #[error("stream {stream}: expected last seq {expected}, found {actual}")]
    Conflict {
        /// The stream id.
        stream: String,
        /// What the caller expected.
        expected: u64,
        /// What the journal holds.
        actual: u64,
    },
    /// The stream exists with another kind.
    #[error("stream {stream} has kind {actual}, not {expected}")]
    KindMismatch {
        /// The stream id.
        stream: String,
        /// The kind in the request.
        expected: String,
        /// The kind in the journal.
        actual: String,
    },
    /// An event failed authentication.
    #[error("event {seq} of stream {stream} failed authentication (tampered or moved)")]
    Tampered {
        /// The stream id.
        stream: String,
        /// The event's sequence number.
        seq: u64,
    },
    /// A blob failed authentication or its content hash.
    #[error("blob {blob} of stream {stream} failed authentication (tampered or moved)")]
    BlobTampered {
        /// The stream id.
        stream: String,
        /// The blob id.
        blob: String,
    },
    /// The journal is inconsistent.
    #[error("journal is corrupt: {0}")]
    Corrupt(String),
    /// The audit chain does not verify; `seq` is the first entry that is wrong or missing.
    #[error("audit chain broken at entry {seq}")]
    AuditChainBroken {
        /// The first broken or missing sequence number.
        seq: u64,
    },
    /// Input the store refuses to record.
    #[error("invalid {field}: {reason}")]
    InvalidInput {
        /// Which field.
        field: &'static str,
        /// Why (never echoes the value).
        reason: &'static str,
    },
    /// The stream's blobs were wiped; no personal data may be added to or read from it.
    #[error("stream {stream} was wiped")]
    Wiped {
        /// The stream id.
        stream: String,
    },
    /// A counter would overflow.
    #[error("counter {name} would overflow")]
    CounterOverflow {
        /// The counter.
        name: String,
    },
    /// An SQLite error.
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

impl StoreError {
    /// The coarse class of this error.
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Io { source, .. } if source.kind() == std::io::ErrorKind::PermissionDenied => {
                ErrorKind::Permission
            }
            Self::Io { .. } | Self::Random(_) => ErrorKind::Io,
            Self::KeyFilePermissions { .. } | Self::KeyFileNotRegular { .. } => {
                ErrorKind::Permission
            }
            Self::KeyFileMissing { .. } => ErrorKind::NotFound,
            Self::KeyFileMalformed { .. } | Self::SchemaTooNew { .. } => ErrorKind::Corrupt,
            Self::WrongKey => ErrorKind::WrongKey,
            Self::Locked { .. } => ErrorKind::Locked,
            Self::StreamNotFound { .. } | Self::BlobNotFound { .. } => ErrorKind::NotFound,
            Self::Conflict { .. } => ErrorKind::Conflict,
            Self::KindMismatch { .. }
            | Self::InvalidInput { .. }
            | Self::CounterOverflow { .. } => ErrorKind::InvalidInput,
            Self::Tampered { .. } | Self::BlobTampered { .. } => ErrorKind::Tampered,
            Self::Corrupt(_) | Self::AuditChainBroken { .. } => ErrorKind::Corrupt,
            Self::Wiped { .. } => ErrorKind::Wiped,
            Self::Sqlite(e) => match e.sqlite_error_code() {
                Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
                    ErrorKind::Locked
                }
                Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase) => {
                    ErrorKind::Corrupt
                }
                Some(rusqlite::ErrorCode::PermissionDenied | rusqlite::ErrorCode::ReadOnly) => {
                    ErrorKind::Permission
                }
                Some(rusqlite::ErrorCode::SystemIoFailure | rusqlite::ErrorCode::DiskFull) => {
                    ErrorKind::Io
                }
                _ => ErrorKind::Database,
            },
        }
    }

    pub(crate) fn io(op: &'static str, path: &std::path::Path, source: std::io::Error) -> Self {
        Self::Io {
            op,
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn corrupt(reason: impl Into<String>) -> Self {
        Self::Corrupt(reason.into())
    }
}
