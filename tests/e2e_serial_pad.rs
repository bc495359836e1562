//! rekamd with a real serial signature pad driver on a pseudo-terminal: the daemon is
//! configured with `serial:/dev/pts/N` (the slave end of a pty pair this test opens), the
//! other devices simulated. A scripted Topaz pad on the master end waits for the driver's
//! LCD clear, signs three strokes with noise between packets, and taps the accept button.
//! The signature reaches the enrolment session through rekamd: the capture is accepted, the
//! finalized package carries the pad's image (its size, with ink where the strokes were).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use rekam_dev_serial::capture::Buttons;
use rekam_dev_serial::script::{self, SignOptions};
use rekam_dev_serial::topaz::{self, lcd};
use rekam_e2e::*;
use serialport::{SerialPort, TTYPort};

const PAD: &str = "serial:signature:0";

fn options(pts: &str) -> DaemonOptions {
    let mut devices = String::new();
    for family in [
        "fingerprint",
        "face",
        "iris",
        "encoder",
        "card-printer",
        "document-printer",
    ] {
        devices.push_str(&format!("[[devices]]\nselector = \"sim:{family}\"\n\n"));
    }
    devices.push_str(&format!(
        "[[devices]]\nselector = \"serial:{pts}?model=siglite-lcd-1x5&buttons=on&pressure=on&idle_ms=30000\"\n"
    ));
    DaemonOptions {
        devices_toml: Some(devices),
        ..DaemonOptions::default()
    }
}

/// The scripted pad: on each LCD clear that starts a capture, signs and taps accept; stops
/// after `signatures` signatures.
fn pad_thread(mut master: TTYPort, signatures: usize) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let model = topaz::model("siglite-lcd-1x5").unwrap();
        let want = script::test_signature(model);
        let packets = script::packets(
            model,
            &want,
            SignOptions {
                pressure: true,
                accept: Some(Buttons::default_for(model)),
            },
        );
        master.set_timeout(Duration::from_millis(100)).unwrap();
        let mut signed = 0;
        let mut last = None;
        let end = Instant::now() + Duration::from_secs(120);
        let mut one = [0u8; 1];
        while signed < signatures && Instant::now() < end {
            let Ok(1) = master.read(&mut one) else {
                continue;
            };
            // A capture starts with CLEAR then PERSISTENT_INK; it ends with CLEAR alone.
            if last == Some(lcd::CLEAR) && one[0] == lcd::PERSISTENT_INK {
                master.write_all(&[0x12, 0x34, 0x7F]).unwrap();
                script::play(&mut master, &packets, 4, Duration::from_millis(2)).unwrap();
                signed += 1;
            }
            last = Some(one[0]);
        }
        assert_eq!(signed, signatures, "the driver never started a capture");
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signature_from_a_serial_pad_reaches_the_enrolment_session() {
    let (master, slave) = TTYPort::pair().unwrap();
    let pts = slave.name().unwrap();
    let pad = pad_thread(master, 1);
    let d = Daemon::start(options(&pts)).await;

    // The pad is listed with its driver and model, and ready (its port opens).
    wait_devices(
        &d,
        Duration::from_secs(10),
        "the serial pad ready",
        |devices| {
            devices
                .iter()
                .any(|dv| dv.id == PAD && dv.state() == v1::DeviceState::Ready)
        },
    )
    .await;
    let listed = list_devices(&d).await;
    let dv = listed.iter().find(|dv| dv.id == PAD).unwrap();
    assert_eq!(dv.driver, "serial-topaz");
    assert!(dv.model.contains("SigLite LCD 1x5"), "{}", dv.model);
    assert!(!dv.simulated);

    let nik = nik(301);
    let session = open_session(&d, &nik).await;
    let sid = session.session_id.clone();
    let s = capture(&d, &sid, v1::CaptureTarget::Signature).await;
    pad.join().unwrap();
    let result = capture_result(&s);
    assert_eq!(
        result.outcome(),
        v1::ItemOutcome::Accepted,
        "{result:?}\n{}",
        d.log()
    );
    assert_eq!(attempts(&s).len(), 1);
    for target in TARGETS
        .into_iter()
        .filter(|t| *t != v1::CaptureTarget::Signature)
    {
        capture_ok(&d, &sid, target).await;
    }
    let session = get_session(&d, &sid).await;
    let item = session
        .items
        .iter()
        .find(|i| item_name(i.item.as_ref().unwrap()) == "signature")
        .unwrap();
    assert_eq!(item.state(), v1::ItemState::Captured, "{item:?}");
    assert!(item.best_score >= item.threshold, "{item:?}");

    // The package carries the pad's image: 1000 x 350 (2000 x 700 pad units at 1:2), ink
    // along the strokes.
    let done = finalize(&d, &sid).await;
    let package = done.package.unwrap();
    let entry = package
        .entries
        .iter()
        .find(|e| {
            e.kind() == v1::PackageEntryKind::Sample
                && item_name(e.item.as_ref().unwrap()) == "signature"
        })
        .expect("a signature sample in the package");
    let got = ok(
        d.enrolment()
            .await
            .get_package_entry(v1::GetPackageEntryRequest {
                session_id: sid.clone(),
                sha256: entry.sha256.clone(),
            })
            .await,
        "GetPackageEntry",
    );
    assert_eq!(got.media_type, "image/png");
    let img = image::load_from_memory(&got.content).unwrap().to_luma8();
    assert_eq!(img.dimensions(), (1000, 350));
    let model = topaz::model("siglite-lcd-1x5").unwrap();
    for stroke in script::test_signature(model) {
        for (x, y) in stroke {
            let (px, py) = (u32::from(x) / 2, u32::from(y) / 2);
            assert!(
                img.get_pixel(px, py).0[0] < 128,
                "no ink at ({px}, {py}) where the pen went"
            );
        }
    }
    let ink = img.pixels().filter(|p| p.0[0] < 128).count();
    assert!(ink < 1000 * 350 / 10, "too much ink: {ink}");
    drop(slave);
}
