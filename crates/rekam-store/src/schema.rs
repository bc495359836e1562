//! Connection settings and schema migrations (tracked in SQLite's `user_version`).
//!
//! Each migration runs in its own transaction together with the `user_version` bump, so a crash
//! during a migration leaves the previous version. Append new migrations to [`MIGRATIONS`];
//! never edit a released one.

use std::time::Duration;

use rusqlite::{Connection, TransactionBehavior};

use crate::error::StoreError;

/// The schema, one entry per version (index 0 is version 1).
const MIGRATIONS: &[&str] = &[
    // Version 1.
    "
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value BLOB NOT NULL
    ) STRICT;

    CREATE TABLE streams (
        id         TEXT PRIMARY KEY,
        kind       TEXT NOT NULL,
        status     TEXT,
        lookup     BLOB CHECK (lookup IS NULL OR length(lookup) = 32),
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        last_seq   INTEGER NOT NULL CHECK (last_seq >= 0),
        wiped_at   INTEGER
    ) STRICT;
    CREATE INDEX streams_by_kind_status ON streams (kind, status);
    CREATE INDEX streams_by_lookup ON streams (kind, lookup) WHERE lookup IS NOT NULL;

    CREATE TABLE events (
        stream     TEXT NOT NULL REFERENCES streams (id),
        seq        INTEGER NOT NULL CHECK (seq >= 1),
        at         INTEGER NOT NULL,
        kind       TEXT NOT NULL,
        nonce      BLOB NOT NULL,
        ciphertext BLOB NOT NULL,
        PRIMARY KEY (stream, seq)
    ) STRICT;

    CREATE TABLE blobs (
        stream     TEXT NOT NULL REFERENCES streams (id),
        id         TEXT NOT NULL,
        media_type TEXT NOT NULL,
        size       INTEGER NOT NULL CHECK (size >= 0),
        created_at INTEGER NOT NULL,
        nonce      BLOB NOT NULL,
        ciphertext BLOB NOT NULL,
        PRIMARY KEY (stream, id)
    ) STRICT;

    CREATE TABLE audit (
        seq        INTEGER PRIMARY KEY,
        at         INTEGER NOT NULL,
        actor_kind TEXT NOT NULL,
        actor_id   TEXT NOT NULL,
        action     TEXT NOT NULL,
        subject    TEXT NOT NULL,
        detail     TEXT NOT NULL,
        prev_hash  BLOB NOT NULL,
        hash       BLOB NOT NULL
    ) STRICT;

    CREATE TABLE counters (
        name       TEXT PRIMARY KEY,
        value      INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    ) STRICT;
    ",
];

/// The newest schema version this build knows.
pub(crate) const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Sets the per-connection pragmas: WAL, full fsync on commit, secure delete, foreign keys.
pub(crate) fn configure(conn: &Connection) -> Result<(), StoreError> {
    conn.busy_timeout(Duration::from_secs(5))?;
    let mode: String =
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::corrupt(format!(
            "could not enable WAL mode (got {mode})"
        )));
    }
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "secure_delete", "ON")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "trusted_schema", "OFF")?;
    // Check that the settings took: a silent fallback would break the durability promise.
    let sync: i64 = conn.pragma_query_value(None, "synchronous", |r| r.get(0))?;
    let secure: i64 = conn.pragma_query_value(None, "secure_delete", |r| r.get(0))?;
    let fk: i64 = conn.pragma_query_value(None, "foreign_keys", |r| r.get(0))?;
    if sync != 2 || secure != 1 || fk != 1 {
        return Err(StoreError::corrupt("SQLite refused the required settings"));
    }
    Ok(())
}

/// Brings the schema to [`SCHEMA_VERSION`].
pub(crate) fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    loop {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let version: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::SchemaTooNew {
                found: version,
                supported: SCHEMA_VERSION,
            });
        }
        let Some(sql) = usize::try_from(version)
            .ok()
            .and_then(|v| MIGRATIONS.get(v))
        else {
            if version < 0 {
                return Err(StoreError::corrupt("negative schema version"));
            }
            return Ok(());
        };
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", version + 1)?;
        tx.commit()?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrates_once_and_refuses_newer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.sqlite3");
        let mut conn = Connection::open(&path).unwrap();
        configure(&conn).unwrap();
        migrate(&mut conn).unwrap();
        migrate(&mut conn).unwrap();
        let v: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, SCHEMA_VERSION);
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        assert!(matches!(
            migrate(&mut conn),
            Err(StoreError::SchemaTooNew { .. })
        ));
    }
}
