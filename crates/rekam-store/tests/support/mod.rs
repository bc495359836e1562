//! Helpers shared by the integration tests: raw access to the journal files.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::Path;

use rekam_store::{Actor, ActorKind, Keys, JOURNAL_FILE};

/// The bytes of the journal and its WAL and shared-memory files, concatenated.
pub fn journal_bytes(dir: &Path) -> Vec<u8> {
    let mut all = Vec::new();
    for suffix in ["", "-wal", "-shm"] {
        let path = dir.join(format!("{JOURNAL_FILE}{suffix}"));
        if let Ok(bytes) = std::fs::read(&path) {
            all.extend_from_slice(&bytes);
        }
    }
    all
}

/// Whether `needle` occurs in `haystack`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// A raw SQLite connection to the journal, as an attacker with the disk would have.
pub fn raw(dir: &Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(dir.join(JOURNAL_FILE)).unwrap();
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .unwrap();
    conn
}

/// Deterministic keys for tests.
pub fn keys(seed: u8) -> Keys {
    Keys::from_bytes([seed; 32], [seed.wrapping_add(1); 32])
}

/// Deterministic pseudo-random bytes (xorshift), so blob content looks like real image data.
pub fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

pub fn operator() -> Actor {
    Actor::new(ActorKind::Operator, "op-017")
}
