//! Crash safety: a child process appends in a loop and reports each acknowledged seq; the
//! parent SIGKILLs it mid-run, reopens the journal and checks that every acknowledged append is
//! there, whole, and that the journal is consistent. Three rounds, each resuming the stream.
//!
//! SIGKILL loses what the process had not handed to the kernel; a power cut also loses what the
//! kernel had not written. The second is covered by `synchronous=FULL` (fsync per commit), which
//! a test without a power switch cannot exercise.
#![allow(clippy::unwrap_used)]

mod support;

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Stdio};

use rekam_store::{Actor, Append, AuditEntry, NewBlob, NewEvent, Store};

const CHILD: &str = "REKAM_STORE_CHILD";
const CHILD_DIR: &str = "REKAM_STORE_CHILD_DIR";
const STREAM: &str = "ses_crash";

fn payload(seq: u64) -> Vec<u8> {
    let mut p = format!("event {seq} ").into_bytes();
    p.extend(support::noise(seq, (seq % 7) as usize * 100));
    p
}

fn blob(n: u64) -> Vec<u8> {
    support::noise(1_000 + n, 5_000)
}

/// The child's body: does nothing unless started by the parent test.
#[test]
fn crash_child() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let dir = std::env::var_os(CHILD_DIR).unwrap();
    let store = Store::open(Path::new(&dir)).unwrap();
    let mut seq = store.stream(STREAM).unwrap().map_or(0, |s| s.last_seq);
    loop {
        let n = seq / 2 + 1; // this append's number
        let mut req = Append::new(
            STREAM,
            "session",
            seq,
            vec![
                NewEvent::new("step.a", payload(seq + 1)),
                NewEvent::new("step.b", payload(seq + 2)),
            ],
        )
        .status(format!("step-{n}"))
        .counter("appends", 1)
        .audit(AuditEntry::new(
            Actor::system("crash-test"),
            "test.step",
            STREAM,
            format!("n={n}"),
        ));
        if n.is_multiple_of(3) {
            req = req.blob(NewBlob::new("application/octet-stream", blob(n)));
        }
        seq = store.append(req).unwrap();
        println!("ack {seq}");
        if seq > 1_000_000 {
            return;
        }
    }
}

#[test]
fn sigkill_mid_append_loses_nothing_acknowledged() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("state");
    let mut acked = 0u64;
    for round in 0..3u64 {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
            .env(CHILD, "1")
            .env(CHILD_DIR, &dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let want = 30 + 20 * round;
        let mut seen = 0;
        for line in stdout.lines() {
            let line = line.unwrap();
            if let Some(seq) = line.strip_prefix("ack ") {
                let seq: u64 = seq.parse().unwrap();
                assert!(seq > acked, "acks only grow");
                acked = seq;
                seen += 1;
                if seen == want {
                    break;
                }
            }
        }
        let still_running = child.try_wait().unwrap().is_none();
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        assert_eq!(seen, want, "child stopped early: {stderr}");
        assert!(
            still_running,
            "the child must be killed mid-run, not finish"
        );

        let store = Store::open(&dir).unwrap();
        let events = store.load(STREAM).unwrap(); // a torn event would fail authentication
        let last = events.len() as u64;
        assert!(
            last >= acked,
            "round {round}: acknowledged {acked}, found {last}"
        );
        assert_eq!(last % 2, 0, "an append is two events, never one");
        for (i, e) in events.iter().enumerate() {
            let seq = i as u64 + 1;
            assert_eq!(e.seq, seq);
            assert_eq!(e.kind, if seq % 2 == 1 { "step.a" } else { "step.b" });
            assert_eq!(*e.payload, payload(seq));
        }
        let appends = last / 2;
        let info = store.stream(STREAM).unwrap().unwrap();
        assert_eq!(info.last_seq, last);
        assert_eq!(info.status, Some(format!("step-{appends}")));
        assert_eq!(
            store.counter_get("appends").unwrap(),
            i64::try_from(appends).unwrap()
        );
        assert_eq!(store.blob_meta(STREAM).unwrap().len() as u64, appends / 3);
        let report = store.check_integrity().unwrap();
        assert_eq!(report.audit.entries, appends);
        assert_eq!(report.blobs, appends / 3);
        acked = last;
    }
}
