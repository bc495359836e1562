//! Behaviour of the store through its public API, with raw SQL where a test plays the attacker.
#![allow(clippy::unwrap_used)]

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use rekam_store::{
    Actor, ActorKind, Append, AuditEntry, BlobId, ErrorKind, NewBlob, NewEvent, Store, StoreError,
    JOURNAL_FILE, KEY_FILE,
};
use sha2::{Digest, Sha256};
use support::{contains, journal_bytes, keys, noise, operator, raw};

const NIK: &str = "3507123456789001";

fn event(kind: &str, payload: &str) -> NewEvent {
    NewEvent::new(kind, payload.as_bytes().to_vec())
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn round_trip_survives_reopen_and_nothing_personal_is_in_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("state");
    let marker = "PAYLOAD-MARKER-b71e";
    let face = NewBlob::new("image/jp2", {
        let mut b = b"BLOB-MARKER-0c4d".to_vec();
        b.extend(noise(1, 20_000));
        b
    });
    let finger = NewBlob::new("image/png", noise(2, 3_000));
    {
        let store = Store::open(&dir).unwrap();
        let seq = store
            .append(
                Append::new(
                    "ses_rt",
                    "session",
                    0,
                    vec![
                        event(
                            "session.opened",
                            &format!("{{\"nik\":\"{NIK}\",\"m\":\"{marker}\"}}"),
                        ),
                        event("capture.stored", &format!("face {marker}")),
                    ],
                )
                .blob(face.clone())
                .blob(finger.clone())
                .status("open")
                .lookup(NIK)
                .audit(AuditEntry::new(
                    operator(),
                    "session.open",
                    "ses_rt",
                    "type=BARU",
                )),
            )
            .unwrap();
        assert_eq!(seq, 2);
        let seq = store
            .append(
                Append::new(
                    "ses_rt",
                    "session",
                    2,
                    vec![event("session.finalized", marker)],
                )
                .status("finalized"),
            )
            .unwrap();
        assert_eq!(seq, 3);
    }
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join(KEY_FILE)), 0o600);
    assert_eq!(mode(&dir.join(JOURNAL_FILE)), 0o600);

    let store = Store::open(&dir).unwrap();
    let events = store.load("ses_rt").unwrap();
    let got: Vec<(u64, &str, Vec<u8>)> = events
        .iter()
        .map(|e| (e.seq, e.kind.as_str(), e.payload.to_vec()))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                1,
                "session.opened",
                format!("{{\"nik\":\"{NIK}\",\"m\":\"{marker}\"}}").into_bytes()
            ),
            (2, "capture.stored", format!("face {marker}").into_bytes()),
            (3, "session.finalized", marker.as_bytes().to_vec()),
        ]
    );
    assert!(events[0].at <= events[2].at);
    assert_eq!(
        *store.get_blob("ses_rt", &face.id, &operator()).unwrap(),
        *face.bytes
    );
    assert_eq!(
        *store.get_blob("ses_rt", &finger.id, &operator()).unwrap(),
        *finger.bytes
    );
    let mut meta = store.blob_meta("ses_rt").unwrap();
    meta.sort_by(|a, b| a.id.cmp(&b.id));
    let mut expected = vec![
        (
            face.id.clone(),
            "image/jp2".to_owned(),
            face.bytes.len() as u64,
        ),
        (
            finger.id.clone(),
            "image/png".to_owned(),
            finger.bytes.len() as u64,
        ),
    ];
    expected.sort();
    assert_eq!(
        meta.iter()
            .map(|m| (m.id.clone(), m.media_type.clone(), m.size))
            .collect::<Vec<_>>(),
        expected
    );

    let info = store.stream("ses_rt").unwrap().unwrap();
    assert_eq!(
        (info.kind.as_str(), info.status.as_deref(), info.last_seq),
        ("session", Some("finalized"), 3)
    );
    assert!(info.wiped_at.is_none());
    let found = store.find_by_lookup("session", NIK).unwrap();
    assert_eq!(
        found.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
        ["ses_rt"]
    );
    assert!(store
        .find_by_lookup("session", "3507123456789002")
        .unwrap()
        .is_empty());
    assert!(store.find_by_lookup("job", NIK).unwrap().is_empty());
    assert_eq!(
        store.streams("session", Some("finalized")).unwrap().len(),
        1
    );
    assert!(store.streams("session", Some("open")).unwrap().is_empty());
    assert!(store.streams("job", None).unwrap().is_empty());

    // The files on disk, while open and after close, hold none of it in the clear.
    let scan = |phase: &str| {
        let bytes = journal_bytes(&dir);
        assert!(
            bytes.len() > 20_000,
            "{phase}: journal should hold the blobs"
        );
        assert!(
            !contains(&bytes, marker.as_bytes()),
            "{phase}: payload marker in the clear"
        );
        assert!(
            !contains(&bytes, b"BLOB-MARKER-0c4d"),
            "{phase}: blob marker in the clear"
        );
        assert!(
            !contains(&bytes, &face.bytes[5_000..5_064]),
            "{phase}: face bytes in the clear"
        );
        assert!(
            !contains(&bytes, &finger.bytes[100..164]),
            "{phase}: finger bytes in the clear"
        );
        assert!(
            !contains(&bytes, NIK.as_bytes()),
            "{phase}: NIK in the clear"
        );
        // Plaintext metadata is there, as documented (this proves the scan reads the data).
        assert!(
            contains(&bytes, b"session.finalized"),
            "{phase}: scan sees plaintext columns"
        );
    };
    store.check_integrity().unwrap();
    assert_eq!(mode(&dir.join(format!("{JOURNAL_FILE}-wal"))), 0o600);
    scan("open");
    drop(store);
    scan("closed");
}

#[test]
fn optimistic_concurrency_conflicts_change_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open_with_key(tmp.path(), keys(1)).unwrap();
    let a = || AuditEntry::new(operator(), "test.step", "ses_c", "");
    assert_eq!(
        store
            .append(
                Append::new("ses_c", "session", 0, vec![event("a", "1")])
                    .counter("n", 1)
                    .audit(a())
            )
            .unwrap(),
        1
    );
    for expected in [0, 2, 7] {
        let err = store
            .append(
                Append::new("ses_c", "session", expected, vec![event("b", "2")])
                    .counter("n", 1)
                    .audit(a()),
            )
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Conflict);
        assert!(
            matches!(err, StoreError::Conflict { expected: e, actual: 1, .. } if e == expected)
        );
    }
    let err = store
        .append(Append::new("ses_new", "session", 3, vec![event("a", "1")]))
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict { actual: 0, .. }));
    assert!(store.stream("ses_new").unwrap().is_none());
    assert_eq!(store.load("ses_c").unwrap().len(), 1);
    assert_eq!(store.counter_get("n").unwrap(), 1);
    assert_eq!(store.verify_audit().unwrap().entries, 1);
    assert_eq!(
        store
            .append(Append::new("ses_c", "session", 1, vec![event("b", "2")]))
            .unwrap(),
        2
    );
    let err = store
        .append(Append::new("ses_c", "job", 2, vec![event("c", "3")]))
        .unwrap_err();
    assert!(matches!(err, StoreError::KindMismatch { .. }));
}

#[test]
fn concurrent_creators_exactly_one_wins() {
    let tmp = tempfile::tempdir().unwrap();
    let store = std::sync::Arc::new(Store::open_with_key(tmp.path(), keys(2)).unwrap());
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let store = store.clone();
            std::thread::spawn(move || {
                store.append(Append::new(
                    "job_race",
                    "job",
                    0,
                    vec![event("created", &format!("by {i}"))],
                ))
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
    assert!(results
        .iter()
        .filter_map(|r| r.as_ref().err())
        .all(|e| e.kind() == ErrorKind::Conflict));
    assert_eq!(store.load("job_race").unwrap().len(), 1);
}

#[test]
fn a_failing_append_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open_with_key(tmp.path(), keys(3)).unwrap();
    store.counter_add("blanks_used", i64::MAX).unwrap();
    let blob = NewBlob::new("image/png", noise(3, 100));
    // The counter overflows after the events and blob were inserted: all of it rolls back.
    let err = store
        .append(
            Append::new("job_1", "job", 0, vec![event("card.fed", "x")])
                .blob(blob.clone())
                .counter("spoiled", 1)
                .counter("blanks_used", 1)
                .audit(AuditEntry::new(operator(), "job.step", "job_1", "")),
        )
        .unwrap_err();
    assert!(matches!(err, StoreError::CounterOverflow { .. }));
    assert!(store.stream("job_1").unwrap().is_none());
    assert_eq!(store.counter_get("spoiled").unwrap(), 0);
    assert_eq!(store.verify_audit().unwrap().entries, 0);
    let n: i64 = raw(tmp.path())
        .query_row("SELECT count(*) FROM blobs", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 0);

    // Guards on plaintext fields refuse a NIK, without echoing it.
    let bad = [
        Append::new("job_2", "job", 0, vec![event("a", "")]).status(format!("nik_{NIK}")),
        Append::new(format!("job_{NIK}"), "job", 0, vec![event("a", "")]),
        Append::new("job_2", "job", 0, vec![event("a", "")]).audit(AuditEntry::new(
            operator(),
            "x",
            "job_2",
            format!("NIK {NIK}"),
        )),
        Append::new("job_2", "job", 0, vec![event("a b", "")]),
        Append::new("job_2", "job", 0, vec![]),
    ];
    for req in bad {
        let err = store.append(req).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(!err.to_string().contains(NIK), "{err}");
    }
    let mut wrong_id = NewBlob::new("image/png", noise(4, 10));
    wrong_id.id = BlobId::of(b"something else");
    let err = store
        .append(Append::new("job_2", "job", 0, vec![event("a", "")]).blob(wrong_id))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(store.stream("job_2").unwrap().is_none());
}

#[test]
fn counters_move_with_their_append() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open_with_key(tmp.path(), keys(4)).unwrap();
    assert_eq!(store.counter_get("issued").unwrap(), 0);
    store
        .append(
            Append::new("job_1", "job", 0, vec![event("issued", "")])
                .counter("issued", 1)
                .counter("blanks_used", 1),
        )
        .unwrap();
    assert_eq!(store.counter_add("blanks_used", 2).unwrap(), 3);
    assert_eq!(store.counter_add("issued", -1).unwrap(), 0);
    assert_eq!(
        store.counters().unwrap(),
        vec![("blanks_used".to_owned(), 3), ("issued".to_owned(), 0)]
    );
}

#[test]
fn same_blob_is_stored_once_per_stream() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open_with_key(tmp.path(), keys(5)).unwrap();
    let blob = NewBlob::new("image/png", noise(5, 500));
    store
        .append(
            Append::new("ses_a", "session", 0, vec![event("a", "")])
                .blob(blob.clone())
                .blob(blob.clone()),
        )
        .unwrap();
    store
        .append(Append::new("ses_a", "session", 1, vec![event("a", "")]).blob(blob.clone()))
        .unwrap();
    store
        .append(Append::new("ses_b", "session", 0, vec![event("a", "")]).blob(blob.clone()))
        .unwrap();
    assert_eq!(store.blob_meta("ses_a").unwrap().len(), 1);
    assert_eq!(store.blob_meta("ses_b").unwrap().len(), 1);
    assert_eq!(
        *store.get_blob("ses_b", &blob.id, &operator()).unwrap(),
        *blob.bytes
    );
    let missing = BlobId::of(b"nope");
    assert_eq!(
        store
            .get_blob("ses_a", &missing, &operator())
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );
    assert_eq!(
        store
            .get_blob("ses_zz", &blob.id, &operator())
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );
    assert_eq!(
        store.load("ses_zz").unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[test]
fn reads_of_personal_data_are_audited() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open_with_key(tmp.path(), keys(6)).unwrap();
    let blob = NewBlob::new("image/jp2", noise(6, 64));
    store
        .append(Append::new("ses_r", "session", 0, vec![event("a", "")]).blob(blob.clone()))
        .unwrap();
    let auditor = Actor::new(ActorKind::Auditor, "aud-3");
    store.get_blob("ses_r", &blob.id, &operator()).unwrap();
    store.load_audited("ses_r", &auditor).unwrap();
    store.load("ses_r").unwrap(); // the workflow's own replay is not audited
    store.blob_meta("ses_r").unwrap();
    let entries = store.audit_entries(1, 100).unwrap();
    let summary: Vec<(String, String, &str)> = entries
        .iter()
        .map(|e| (e.actor.to_string(), e.action.clone(), e.subject.as_str()))
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                "operator:op-017".to_owned(),
                "blob.read".to_owned(),
                "ses_r"
            ),
            (
                "auditor:aud-3".to_owned(),
                "events.read".to_owned(),
                "ses_r"
            ),
        ]
    );
    assert!(entries[0].detail.contains(blob.id.as_str()));
    assert_eq!(store.audit_entries(2, 1).unwrap()[0].seq, 2);
}

#[test]
fn tampered_rows_are_errors_never_garbage() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let store = Store::open_with_key(dir, keys(7)).unwrap();
    let blob = NewBlob::new("image/png", noise(7, 1000));
    for s in ["ses_1", "ses_2", "ses_3", "ses_4", "ses_5"] {
        store
            .append(
                Append::new(
                    s,
                    "session",
                    0,
                    vec![event("a", "one"), event("b", "two"), event("c", "three")],
                )
                .blob(blob.clone()),
            )
            .unwrap();
    }
    store.check_integrity().unwrap();
    let db = raw(dir);
    // A flipped bit in a ciphertext.
    let mut ct: Vec<u8> = db
        .query_row(
            "SELECT ciphertext FROM events WHERE stream='ses_1' AND seq=2",
            [],
            |r| r.get(0),
        )
        .unwrap();
    ct[0] ^= 1;
    db.execute(
        "UPDATE events SET ciphertext=?1 WHERE stream='ses_1' AND seq=2",
        [&ct],
    )
    .unwrap();
    // Two events swapped (both columns), within a stream.
    db.execute_batch(
        "UPDATE events SET seq = 100 WHERE stream='ses_2' AND seq=1;
         UPDATE events SET seq = 1 WHERE stream='ses_2' AND seq=2;
         UPDATE events SET seq = 2 WHERE stream='ses_2' AND seq=100;",
    )
    .unwrap();
    // A relabelled event kind.
    db.execute(
        "UPDATE events SET kind='z' WHERE stream='ses_3' AND seq=3",
        [],
    )
    .unwrap();
    // The last event deleted.
    db.execute("DELETE FROM events WHERE stream='ses_4' AND seq=3", [])
        .unwrap();
    // A blob moved from one stream to another.
    db.execute("DELETE FROM blobs WHERE stream='ses_5'", [])
        .unwrap();
    db.execute(
        "INSERT INTO blobs SELECT 'ses_5', id, media_type, size, created_at, nonce, ciphertext FROM blobs WHERE stream='ses_1'",
        [],
    )
    .unwrap();
    drop(db);

    let tampered = |s: &str| match store.load(s) {
        Err(StoreError::Tampered { stream, seq }) => {
            assert_eq!(stream, s);
            seq
        }
        other => panic!("{s}: expected Tampered, got {:?}", other.map(|v| v.len())),
    };
    assert_eq!(tampered("ses_1"), 2);
    assert_eq!(tampered("ses_2"), 1);
    assert_eq!(tampered("ses_3"), 3);
    assert_eq!(tampered("ses_4"), 3);
    assert_eq!(store.load("ses_5").unwrap().len(), 3);
    let err = store.get_blob("ses_5", &blob.id, &operator()).unwrap_err();
    assert!(matches!(err, StoreError::BlobTampered { .. }));
    assert_eq!(err.kind(), ErrorKind::Tampered);
    assert!(store.get_blob("ses_1", &blob.id, &operator()).is_ok());
    assert_eq!(
        store.check_integrity().unwrap_err().kind(),
        ErrorKind::Tampered
    );
}

#[test]
fn the_wrong_key_cannot_read() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    {
        let store = Store::open_with_key(dir, keys(8)).unwrap();
        store
            .append(Append::new("ses_k", "session", 0, vec![event("a", "secret")]).lookup(NIK))
            .unwrap();
    }
    for wrong in [
        keys(9),
        rekam_store::Keys::from_bytes([8; 32], [0; 32]),
        rekam_store::Keys::from_bytes([0; 32], [9; 32]),
    ] {
        let err = Store::open_with_key(dir, wrong).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WrongKey, "{err}");
    }
    // A journal without its key file is not given a new key.
    let err = Store::open(dir).unwrap_err();
    assert!(matches!(err, StoreError::KeyFileMissing { .. }), "{err}");
    assert!(!dir.join(KEY_FILE).exists());
    let store = Store::open_with_key(dir, keys(8)).unwrap();
    assert_eq!(&**store.load("ses_k").unwrap()[0].payload, b"secret");
}

#[test]
fn key_file_readable_by_others_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("state");
    drop(Store::open(&dir).unwrap());
    let key = dir.join(KEY_FILE);
    for bad in [0o644, 0o640, 0o604, 0o660] {
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(bad)).unwrap();
        let err = Store::open(&dir).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Permission, "{bad:o}: {err}");
        assert!(err.to_string().contains("chmod 600"), "{err}");
    }
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o400)).unwrap();
    drop(Store::open(&dir).unwrap());
}

#[test]
fn a_second_store_on_the_same_directory_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let first = Store::open_with_key(tmp.path(), keys(10)).unwrap();
    let err = Store::open_with_key(tmp.path(), keys(10)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Locked);
    drop(first);
    drop(Store::open_with_key(tmp.path(), keys(10)).unwrap());
}

#[test]
fn wipe_removes_blob_bytes_from_the_files() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let store = Store::open_with_key(dir, keys(11)).unwrap();
    let face = NewBlob::new("image/jp2", noise(11, 30_000));
    let finger = NewBlob::new("image/png", noise(12, 2_000));
    let keep = NewBlob::new("image/png", noise(13, 2_000));
    store
        .append(
            Append::new("ses_w", "session", 0, vec![event("captured", "x")])
                .blob(face.clone())
                .blob(finger.clone())
                .lookup(NIK),
        )
        .unwrap();
    store
        .append(
            Append::new("ses_keep", "session", 0, vec![event("captured", "y")]).blob(keep.clone()),
        )
        .unwrap();
    let ciphertexts: Vec<Vec<u8>> = {
        let db = raw(dir);
        let mut stmt = db
            .prepare("SELECT ciphertext FROM blobs WHERE stream='ses_w'")
            .unwrap();
        let rows = stmt.query_map([], |r| r.get(0)).unwrap();
        rows.map(Result::unwrap).collect()
    };
    assert_eq!(ciphertexts.len(), 2);
    let before = journal_bytes(dir);
    for ct in &ciphertexts {
        // Sanity: the scan sees the ciphertext before the wipe.
        assert!(contains(&before, &ct[ct.len() / 2..ct.len() / 2 + 64]));
    }

    let report = store
        .wipe("ses_w", &operator(), "package uploaded")
        .unwrap();
    assert_eq!(
        (report.blobs, report.bytes, report.checkpointed),
        (2, 32_000, true)
    );
    let after = journal_bytes(dir);
    for ct in &ciphertexts {
        for at in [0, ct.len() / 2, ct.len() - 64] {
            assert!(
                !contains(&after, &ct[at..at + 64]),
                "ciphertext left at offset {at}"
            );
        }
    }
    assert_eq!(
        std::fs::metadata(dir.join(format!("{JOURNAL_FILE}-wal")))
            .map(|m| m.len())
            .unwrap_or(0),
        0
    );

    assert!(store.blob_meta("ses_w").unwrap().is_empty());
    assert_eq!(
        store
            .get_blob("ses_w", &face.id, &operator())
            .unwrap_err()
            .kind(),
        ErrorKind::Wiped
    );
    assert!(store.find_by_lookup("session", NIK).unwrap().is_empty());
    assert!(store.stream("ses_w").unwrap().unwrap().wiped_at.is_some());
    assert_eq!(
        store.load("ses_w").unwrap().len(),
        1,
        "events stay: they are the record"
    );
    let err = store
        .append(Append::new("ses_w", "session", 1, vec![event("again", "")]).blob(finger.clone()))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Wiped);
    store
        .append(Append::new("ses_w", "session", 1, vec![event("uploaded", "")]).status("closed"))
        .unwrap();
    assert_eq!(
        *store.get_blob("ses_keep", &keep.id, &operator()).unwrap(),
        *keep.bytes
    );
    let last = store
        .audit_entries(1, 100)
        .unwrap()
        .into_iter()
        .find(|e| e.action == "data.wipe")
        .unwrap();
    assert_eq!(last.subject, "ses_w");
    assert!(last.detail.contains("package uploaded") && last.detail.contains("blobs=2"));
    assert_eq!(store.wipe("ses_w", &operator(), "again").unwrap().blobs, 0);
    store.check_integrity().unwrap();
}

/// The documented hash encoding, written independently of the crate.
fn documented_hash(seq: i64, at: i64, fields: [&str; 5], prev: &[u8]) -> Vec<u8> {
    let mut buf = Vec::new();
    let lp = |buf: &mut Vec<u8>, b: &[u8]| {
        buf.extend_from_slice(&(b.len() as u64).to_be_bytes());
        buf.extend_from_slice(b);
    };
    lp(&mut buf, b"rekam-store/v1/audit");
    buf.extend_from_slice(&(seq as u64).to_be_bytes());
    buf.extend_from_slice(&at.to_be_bytes());
    for f in fields {
        lp(&mut buf, f.as_bytes());
    }
    buf.extend_from_slice(prev);
    Sha256::digest(&buf).to_vec()
}

fn audited_store(dir: &Path) -> Store {
    let store = Store::open_with_key(dir, keys(12)).unwrap();
    store
        .audit(AuditEntry::new(
            Actor::system("rekamd"),
            "daemon.start",
            "",
            "",
        ))
        .unwrap();
    store
        .append(
            Append::new("ses_a", "session", 0, vec![event("a", "")])
                .audit(AuditEntry::new(
                    operator(),
                    "session.open",
                    "ses_a",
                    "type=BARU",
                ))
                .audit(AuditEntry::new(
                    operator(),
                    "capture.store",
                    "ses_a",
                    "face",
                )),
        )
        .unwrap();
    store
        .audit(AuditEntry::new(
            Actor::new(ActorKind::Technician, "tech-1"),
            "device.selftest",
            "fp0",
            "ok",
        ))
        .unwrap();
    assert_eq!(
        store
            .audit(AuditEntry::new(
                Actor::new(ActorKind::Auditor, "aud-1"),
                "audit.verify",
                "",
                ""
            ))
            .unwrap(),
        5
    );
    store
}

#[test]
fn audit_chain_verifies_and_follows_the_documented_encoding() {
    let tmp = tempfile::tempdir().unwrap();
    let store = audited_store(tmp.path());
    let v = store.verify_audit().unwrap();
    assert_eq!(v.entries, 5);
    let entries = store.audit_entries(1, 10).unwrap();
    assert_eq!(v.head, entries[4].hash);
    assert_eq!(store.audit_head().unwrap(), (5, v.head));
    assert_eq!(entries[0].prev_hash, [0; 32]);
    for w in entries.windows(2) {
        assert_eq!(w[1].prev_hash, w[0].hash);
    }
    for e in &entries {
        let at = i64::try_from(e.at.unix_timestamp_nanos()).unwrap();
        let kind = e.actor.kind.as_str();
        let h = documented_hash(
            e.seq as i64,
            at,
            [kind, &e.actor.id, &e.action, &e.subject, &e.detail],
            &e.prev_hash,
        );
        assert_eq!(h, e.hash);
    }
}

#[test]
fn audit_chain_detects_edits() {
    let tmp = tempfile::tempdir().unwrap();
    let store = audited_store(tmp.path());
    raw(tmp.path())
        .execute("UPDATE audit SET detail='type=HILANG' WHERE seq=2", [])
        .unwrap();
    assert!(matches!(
        store.verify_audit(),
        Err(StoreError::AuditChainBroken { seq: 2 })
    ));
}

#[test]
fn audit_chain_detects_an_edit_with_a_recomputed_hash() {
    let tmp = tempfile::tempdir().unwrap();
    let store = audited_store(tmp.path());
    let db = raw(tmp.path());
    let (at, prev): (i64, Vec<u8>) = db
        .query_row("SELECT at, prev_hash FROM audit WHERE seq=3", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    let forged = documented_hash(
        3,
        at,
        ["operator", "op-017", "capture.store", "ses_a", "nothing"],
        &prev,
    );
    db.execute(
        "UPDATE audit SET detail='nothing', hash=?1 WHERE seq=3",
        [&forged],
    )
    .unwrap();
    assert!(matches!(
        store.verify_audit(),
        Err(StoreError::AuditChainBroken { seq: 4 })
    ));
}

#[test]
fn audit_chain_detects_deletions() {
    for (victim, broken) in [(3, 3), (1, 1), (5, 5)] {
        let tmp = tempfile::tempdir().unwrap();
        let store = audited_store(tmp.path());
        raw(tmp.path())
            .execute("DELETE FROM audit WHERE seq=?1", [victim])
            .unwrap();
        match store.verify_audit() {
            Err(StoreError::AuditChainBroken { seq }) => {
                assert_eq!(seq, broken, "deleted {victim}")
            }
            other => panic!("deleted {victim}: {other:?}"),
        }
        // Appending after a deletion does not heal the chain.
        store
            .audit(AuditEntry::new(
                Actor::system("rekamd"),
                "daemon.start",
                "",
                "",
            ))
            .unwrap();
        assert!(store.verify_audit().is_err());
    }
}

#[test]
fn store_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Store>();
}
