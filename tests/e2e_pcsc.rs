//! rekamd with its chip encoder on a real pcscd (the vpcd virtual reader, the Rust virtual
//! card of `rekam-vcard`), every other device simulated, the `icao-open-v1` card profile with
//! a document signer from files, and the inline arrangement: an enrolment and an
//! issuance over gRPC to activation and handover, then `rekamctl card read` on that card
//! (passive authentication against the configured certificate, the chip activated); and a
//! card pulled mid-write, which is spoiled while the job takes a new blank.
//!
//! Also `rekamctl card read` on the default simulated station (no pcscd needed there).
//!
//! The pcscd harness is rekam-dev-pcsc's (`crates/rekam-dev-pcsc/tests/support`): pcscd runs
//! in its own network and mount namespaces (root needed), started and stopped by process id;
//! a missing program fails the test with its Debian package (`pcscd`, `vsmartcard-vpcd`,
//! `util-linux`, `iproute2`), never skips it. rekamd inherits `PCSCLITE_CSOCK_NAME` from this
//! process, so it reaches that pcscd.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../crates/rekam-dev-pcsc/tests/support/mod.rs"]
mod pcscd;

use std::process::Output;
use std::time::Duration;

use pcscd::{Pcscd, READER};
use rekam_card::DocumentSigner;
use rekam_e2e::*;
use rekam_vcard::{CardConfig, Fault, VirtualCard};

const AID: [u8; 7] = [0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01];

fn show(o: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// `card read --json`, which must succeed.
async fn card_read_json(d: &Daemon) -> serde_json::Value {
    let out = rekamctl(d, &["--json", "card", "read"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", show(&out)))
}

fn field<'a>(view: &'a serde_json::Value, name: &str) -> &'a str {
    view["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f[0] == name)
        .and_then(|f| f[1].as_str())
        .unwrap_or_else(|| panic!("no field {name} in {view}"))
}

/// The checks every read of a personalised chip passes: the NIK masked (never in full),
/// every data group's hash matching.
fn assert_sound(view: &serde_json::Value, nik: &str, text: &str) {
    assert_eq!(field(view, "nik"), masked(nik), "{view}");
    assert!(!text.contains(nik), "the full NIK was printed: {text}");
    let files = view["files"].as_array().unwrap();
    assert!(files.len() >= 4, "{view}");
    for f in files {
        let name = f["name"].as_str().unwrap();
        let want = if name.starts_with("DG") {
            "MATCH"
        } else {
            "NOT_COVERED"
        };
        assert_eq!(f["hash"], want, "{name}: {view}");
        assert!(f["size"].as_u64().unwrap() > 0, "{view}");
    }
    assert!(view["problems"].as_array().unwrap().is_empty(), "{view}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn card_read_on_the_simulated_station() {
    let d = Daemon::start_default().await;
    // No card in the encoder: refused with a reason, exit 1.
    let out = rekamctl(&d, &["card", "read"]).await;
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(show(&out).contains("CARD_REMOVED"), "{}", show(&out));

    let nik = nik(311);
    let (session, _) = enrol_baru(&d, &nik).await;
    let run = start_job(&d, &nik, &session, true).await;
    let job = last_job(&run);
    assert_eq!(job.state(), v1::JobState::AwaitingActivation, "{job:?}");

    // Personalised, not activated: the open-v0 layout, hashes only.
    let view = card_read_json(&d).await;
    assert_eq!(view["life_cycle"], "PERSONALISED", "{view}");
    assert_eq!(view["profile"], "open-v0", "{view}");
    assert_eq!(view["signed"], false, "{view}");
    assert_eq!(view["verified"], false, "{view}");
    assert_sound(&view, &nik, &view.to_string());
    assert_eq!(view["chip_serial"], job.card_serial.as_str(), "{view}");

    let out = rekamctl(&d, &["card", "read"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(text.contains("life cycle  personalised"), "{text}");
    assert!(text.contains("result      not signed"), "{text}");
    assert!(!text.contains(&nik), "{text}");
    assert!(text.contains(&masked(&nik)), "{text}");
    // Activation takes the card off the simulated encoder: nothing to read after it.
    let result = activation_result(&activate(&d, &job.job_id).await);
    assert!(result.activated, "{result:?}");
    hand_over(&d, &job.job_id, true).await.unwrap();

    // Every read is in the audit chain, the refused one too, with no personal data.
    let reads = audited_reads(&d);
    assert_eq!(reads.len(), 3, "{reads:?}");
    assert!(reads[0].1.starts_with("failed"), "{reads:?}");
    for (subject, detail) in &reads {
        assert_eq!(subject, dev::ENCODER);
        assert!(!detail.contains(&nik[4..14]), "{detail}");
    }
    assert!(
        reads[1].1.contains("profile=open-v0") && reads[1].1.contains("PERSONALISED"),
        "{reads:?}"
    );
}

/// The `card.read` entries of the daemon's audit chain (subject, detail), oldest first, read
/// straight from the journal (the audit table is not encrypted; the daemon holds it open in
/// WAL mode, so a reader sees what it committed).
fn audited_reads(d: &Daemon) -> Vec<(String, String)> {
    let path = d.state_dir().join("journal.sqlite3");
    let db =
        rusqlite::Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut stmt = db
        .prepare("SELECT subject, detail FROM audit WHERE action = 'card.read' ORDER BY seq")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// A document signer written to files, and the daemon options for the pcsc encoder (the
/// inline arrangement: the simulated printer feeds, the virtual card is the chip it carries).
fn pcsc_options(dir: &std::path::Path) -> DaemonOptions {
    let signer = DocumentSigner::test_only(b"e2e pcsc").unwrap();
    let (key, cert) = (dir.join("ds-key.pem"), dir.join("ds-cert.pem"));
    std::fs::write(&key, signer.key_pem().unwrap()).unwrap();
    std::fs::write(&cert, signer.certificate_pem().unwrap()).unwrap();
    let mut devices = String::new();
    for family in [
        "fingerprint",
        "face",
        "iris",
        "signature",
        "card-printer",
        "document-printer",
    ] {
        devices.push_str(&format!("[[devices]]\nselector = \"sim:{family}\"\n\n"));
    }
    devices.push_str(&format!("[[devices]]\nselector = \"pcsc:{READER}\"\n"));
    DaemonOptions {
        devices_toml: Some(devices),
        extra_toml: format!(
            "[card]\nprofile = \"icao-open-v1\"\nds_key = \"{}\"\nds_cert = \"{}\"\ncapacity_bytes = 8192\n",
            key.display(),
            cert.display()
        ),
        ..DaemonOptions::default()
    }
}

fn blank() -> VirtualCard {
    VirtualCard::new(CardConfig::default())
}

// The pcscd lock serialises this binary's pcscd tests (one socket path per process); each
// test has its own runtime, so holding it across awaits blocks nothing else.
#[allow(clippy::await_holding_lock)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issuance_through_pcscd_then_card_read_verifies_the_chip() {
    let _g = pcscd::lock();
    let pcscd = Pcscd::start();
    let keys = tempfile::tempdir().unwrap();
    let d = Daemon::start(pcsc_options(keys.path())).await;
    let devices = list_devices(&d).await;
    let encoder = devices
        .iter()
        .find(|dev| dev.driver == "pcsc")
        .unwrap_or_else(|| panic!("no pcsc encoder in {devices:?}"));
    assert_eq!(encoder.family(), v1::DeviceFamily::CardEncoder);

    let card = blank();
    let _ins = pcscd.insert(&card);
    let nik = nik(312);
    let (session, _) = enrol_baru(&d, &nik).await;
    let job = issue(&d, &nik, &session).await;
    assert_eq!(job.cards_spoiled, 0, "{job:?}");
    assert_eq!(job.card_serial, "04524B4D000001", "{job:?}");

    // The virtual card holds the ICAO layout, activated.
    let app = card.app(&AID).expect("the application DF");
    assert_eq!(app.life_cycle, rekam_apdu::LifeCycle::Activated);
    let fids: Vec<u16> = app.files.keys().copied().collect();
    assert_eq!(fids, [0x0101, 0x0102, 0x0103, 0x0107, 0x011D, 0x011E]);

    // rekamctl card read: verified against the configured certificate, activated.
    let view = card_read_json(&d).await;
    assert_eq!(view["life_cycle"], "ACTIVATED", "{view}");
    assert_eq!(view["profile"], "icao-open-v1", "{view}");
    assert_eq!(view["signed"], true, "{view}");
    assert_eq!(view["verified"], true, "{view}");
    assert_eq!(view["signer_trusted"], true, "{view}");
    assert_eq!(view["chip_serial"], "04524B4D000001", "{view}");
    assert_sound(&view, &nik, &view.to_string());
    assert_eq!(view["files"].as_array().unwrap().len(), 6, "{view}");
    for f in view["files"].as_array().unwrap() {
        let fid = u16::from_str_radix(f["fid"].as_str().unwrap(), 16).unwrap();
        assert_eq!(
            f["size"].as_u64(),
            Some(app.files[&fid].len() as u64),
            "{f}"
        );
    }
    let out = rekamctl(&d, &["card", "read"]).await;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(text.contains("life cycle  activated"), "{text}");
    assert!(text.contains("result      verified"), "{text}");
    assert!(text.contains("(the station's document signer)"), "{text}");
    assert!(!text.contains(&nik), "{text}");

    // A chip whose DG2 was altered after signing: the read says so, per file.
    let tampered = blank();
    let mut files = app.files.clone();
    let dg2 = files.get_mut(&0x0102).unwrap();
    let last = dg2.len() - 1;
    dg2[last] ^= 0x01;
    tampered.preload(0x5F01, &AID, &files, true);
    drop(_ins);
    // Let pcscd's event thread finish with the card that left (see the harness).
    tokio::time::sleep(Duration::from_secs(2)).await;
    let _ins2 = pcscd.insert(&tampered);
    let view = wait_for_read(&d, |v| v["verified"] == false && v["signed"] == true).await;
    let dg2 = view["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "DG2")
        .unwrap();
    assert_eq!(dg2["hash"], "MISMATCH", "{view}");
    assert!(
        view["security_problem"]
            .as_str()
            .unwrap()
            .contains("hash does not match"),
        "{view}"
    );
    assert!(!d.log().contains(&nik), "the daemon log holds the NIK");
}

/// `card read --json` until `ok` holds (a card just inserted takes pcscd a moment).
async fn wait_for_read(d: &Daemon, ok: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value {
    let end = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let out = rekamctl(d, &["--json", "card", "read"]).await;
        if out.status.code() == Some(0) {
            let view: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            if ok(&view) {
                return view;
            }
            assert!(std::time::Instant::now() < end, "{view}");
        } else {
            assert!(std::time::Instant::now() < end, "{}", show(&out));
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

// The pcscd lock serialises this binary's pcscd tests (one socket path per process); each
// test has its own runtime, so holding it across awaits blocks nothing else.
#[allow(clippy::await_holding_lock)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_pulled_mid_write_is_spoiled_and_the_job_takes_a_new_blank() {
    let _g = pcscd::lock();
    let pcscd = Pcscd::start();
    let keys = tempfile::tempdir().unwrap();
    // Feeding a blank takes 8 s: the time the operator needs to take the pulled card off the
    // reader and put the new one there (the vpcd reader cannot hold two cards).
    let d = Daemon::start(DaemonOptions {
        latency: "{ preset = \"zero\", feed_ms = 8000 }".into(),
        ..pcsc_options(keys.path())
    })
    .await;
    let nik = nik(313);
    let (session, _) = enrol_baru(&d, &nik).await;

    let first = blank();
    first.inject(Fault::RemoveDuringWrite { after_writes: 1 });
    let ins = pcscd.insert(&first);
    // The pulled card leaves; a new blank takes its place in the reader.
    let second = VirtualCard::new(CardConfig {
        uid: vec![0x04, 0x52, 0x4B, 0x4D, 0x00, 0x00, 0x02],
        ..CardConfig::default()
    });
    let (second2, pid) = (second.clone(), pcscd.pid());
    let placer = std::thread::spawn(move || {
        let _ = ins.wait();
        // Let pcscd's event thread finish with the card that left (see the harness).
        std::thread::sleep(Duration::from_secs(2));
        rekam_vcard::insert(&second2, &rekam_vcard::Target::in_netns_of(pid)).unwrap()
    });

    let run = start_job(&d, &nik, &session, true).await;
    let job = last_job(&run);
    assert_eq!(
        job.state(),
        v1::JobState::AwaitingActivation,
        "{:?}\n{}",
        step_summary(&job),
        d.log()
    );
    assert_eq!(job.cards_spoiled, 1, "{:?}", step_summary(&job));
    let steps = steps(&job);
    assert!(
        steps.iter().any(|(s, _)| *s == v1::JobStep::RejectCard),
        "{:?}",
        step_summary(&job)
    );
    assert_eq!(job.card_serial, "04524B4D000002", "{job:?}");
    let _second_ins = placer.join().unwrap();
    // The pulled card holds a torn application that was never activated.
    assert!(first
        .app(&AID)
        .is_none_or(|a| a.life_cycle != rekam_apdu::LifeCycle::Activated));

    let job = activate_and_hand_over(&d, &job.job_id).await;
    assert_eq!(job.cards_spoiled, 1);
    assert_eq!(
        second.app(&AID).unwrap().life_cycle,
        rekam_apdu::LifeCycle::Activated
    );
    let view = card_read_json(&d).await;
    assert_eq!(view["verified"], true, "{view}");
    assert_eq!(view["life_cycle"], "ACTIVATED", "{view}");
}
