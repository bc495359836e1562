//! The audit chain: who did what to which stream, hash-chained so that an edited, inserted or
//! deleted entry is detected.
//!
//! Entry `n` stores `hash_n = SHA-256(encode(seq, at, actor kind, actor id, action, subject,
//! detail, hash_{n-1}))`, where `encode` is a domain tag followed by the fields, integers as
//! 8-byte big-endian and strings length-prefixed (8-byte big-endian length), and `hash_0` is 32
//! zero bytes. The journal also keeps the head (last seq and hash) beside the chain, so cutting
//! entries off the end is detected too. Anchoring the head outside the station (in a signed
//! package or a report) is what makes the chain evidence against someone who can rewrite the
//! whole file.
//!
//! Audit entries are plaintext: the subject is a stream id, never a NIK, and the detail is
//! non-personal.

use std::fmt;
use std::str::FromStr;

use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::crypto::Canonical;
use crate::error::StoreError;
use crate::validate;

/// The hash before the first entry.
pub const GENESIS_HASH: [u8; 32] = [0; 32];

/// The role of whoever acted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActorKind {
    /// An enrolment or issuance operator.
    Operator,
    /// A technician (devices, diagnostics).
    Technician,
    /// An auditor (reads the record).
    Auditor,
    /// The daemon itself (recovery, retention, scheduled wipes).
    System,
}

impl ActorKind {
    /// The stable text stored in the journal and hashed into the chain.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Operator => "operator",
            Self::Technician => "technician",
            Self::Auditor => "auditor",
            Self::System => "system",
        }
    }
}

impl fmt::Display for ActorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ActorKind {
    type Err = StoreError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "operator" => Ok(Self::Operator),
            "technician" => Ok(Self::Technician),
            "auditor" => Ok(Self::Auditor),
            "system" => Ok(Self::System),
            _ => Err(validate::invalid("actor kind", "unknown")),
        }
    }
}

/// Who acted: a role and a staff or service id (never a citizen's data).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Actor {
    /// The role.
    pub kind: ActorKind,
    /// The operator's, technician's or auditor's account id, or the service name.
    pub id: String,
}

impl Actor {
    /// An actor of the given kind.
    pub fn new(kind: ActorKind, id: impl Into<String>) -> Self {
        Self {
            kind,
            id: id.into(),
        }
    }

    /// The daemon acting on its own (`System`).
    pub fn system(id: impl Into<String>) -> Self {
        Self::new(ActorKind::System, id)
    }

    pub(crate) fn validate(&self) -> Result<(), StoreError> {
        validate::text("actor id", &self.id, 128, false)
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind, self.id)
    }
}

/// An audit entry to append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Who acted.
    pub actor: Actor,
    /// What was done, e.g. `session.open`, `capture.store`, `blob.read`, `package.export`,
    /// `data.wipe`.
    pub action: String,
    /// What it was done to: a stream id, a device id; never a NIK.
    pub subject: String,
    /// Non-personal detail (reason codes, counts, blob ids).
    pub detail: String,
}

impl AuditEntry {
    /// An entry.
    pub fn new(
        actor: Actor,
        action: impl Into<String>,
        subject: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            actor,
            action: action.into(),
            subject: subject.into(),
            detail: detail.into(),
        }
    }

    pub(crate) fn validate(&self) -> Result<(), StoreError> {
        self.actor.validate()?;
        validate::ident("audit action", &self.action, 64)?;
        validate::text("audit subject", &self.subject, 256, true)?;
        validate::text("audit detail", &self.detail, 1024, true)
    }
}

/// An audit entry as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    /// Position in the chain, from 1.
    pub seq: u64,
    /// When it was recorded (UTC, nanosecond precision).
    pub at: OffsetDateTime,
    /// Who acted.
    pub actor: Actor,
    /// What was done.
    pub action: String,
    /// To what.
    pub subject: String,
    /// Non-personal detail.
    pub detail: String,
    /// The previous entry's hash (zeros for the first).
    pub prev_hash: [u8; 32],
    /// This entry's hash.
    pub hash: [u8; 32],
}

/// The result of a successful chain verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditVerification {
    /// How many entries the chain holds.
    pub entries: u64,
    /// The hash of the last entry (zeros when empty): anchor this outside the station.
    pub head: [u8; 32],
}

/// Computes an entry's hash.
#[allow(clippy::too_many_arguments)]
pub(crate) fn entry_hash(
    seq: u64,
    at_nanos: i64,
    actor_kind: &str,
    actor_id: &str,
    action: &str,
    subject: &str,
    detail: &str,
    prev_hash: &[u8; 32],
) -> [u8; 32] {
    let mut c = Canonical::new("rekam-store/v1/audit");
    c.u64(seq)
        .i64(at_nanos)
        .str(actor_kind)
        .str(actor_id)
        .str(action)
        .str(subject)
        .str(detail)
        .fixed(prev_hash);
    Sha256::digest(c.finish()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_covers_every_field() {
        let base = entry_hash(1, 10, "operator", "op1", "a", "s", "d", &GENESIS_HASH);
        let variants = [
            entry_hash(2, 10, "operator", "op1", "a", "s", "d", &GENESIS_HASH),
            entry_hash(1, 11, "operator", "op1", "a", "s", "d", &GENESIS_HASH),
            entry_hash(1, 10, "auditor", "op1", "a", "s", "d", &GENESIS_HASH),
            entry_hash(1, 10, "operator", "op2", "a", "s", "d", &GENESIS_HASH),
            entry_hash(1, 10, "operator", "op1", "b", "s", "d", &GENESIS_HASH),
            entry_hash(1, 10, "operator", "op1", "a", "t", "d", &GENESIS_HASH),
            entry_hash(1, 10, "operator", "op1", "a", "s", "e", &GENESIS_HASH),
            entry_hash(1, 10, "operator", "op1", "a", "s", "d", &[1; 32]),
            // Moving a byte between fields changes the hash (length prefixes).
            entry_hash(1, 10, "operator", "op1", "a", "sd", "", &GENESIS_HASH),
        ];
        for v in variants {
            assert_ne!(v, base);
        }
    }

    #[test]
    fn actor_kind_text_round_trips() {
        for k in [
            ActorKind::Operator,
            ActorKind::Technician,
            ActorKind::Auditor,
            ActorKind::System,
        ] {
            assert_eq!(k.as_str().parse::<ActorKind>().unwrap(), k);
        }
        assert!("root".parse::<ActorKind>().is_err());
    }
}
