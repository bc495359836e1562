//! USB discovery through the daemon, under umockdev: `rekamd` runs with the recorded NEXT
//! NB-1010-U (`shared/testdata/usb-recordings/nb1010`) on its bus and no `usb:` device in its
//! configuration. The sensor is discovered, and `ListDevices` shows it with the capabilities
//! of a configured one (single finger, no slaps, 500 ppi as delivered, no preview).
//!
//! cargo must not run under umockdev's preload: the test starts the already-built `rekamd`
//! under `umockdev-run` (its own child, killed by PID). Without umockdev it fails, naming the
//! Debian package.
// Test support: a failed expectation here is a failed test, which is what panicking is for.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

#[path = "../../rekam-dev-usb/tests/support/mod.rs"]
mod usb_support;
use usb_support::{node, recording, require_umockdev};

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rekam_proto::v1::device::Capabilities;
use rekam_proto::v1::device_service_client::DeviceServiceClient;
use rekam_proto::v1::{self, DeviceFamily};

/// `rekamd` under umockdev-run; killed (by its PID) when dropped.
struct Replayed {
    child: Child,
    log: PathBuf,
}

impl Drop for Replayed {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_discovered_sensor_is_listed_with_its_capabilities() {
    require_umockdev();
    let rec = recording();
    let tmp = tempfile::tempdir().unwrap();
    let socket = tmp.path().join("rekamd.sock");
    let config = tmp.path().join("rekamd.toml");
    // One simulated device, so the configuration is valid; no usb: selector at all.
    std::fs::write(
        &config,
        format!(
            "[daemon]\nsocket = \"{}\"\nstate_dir = \"{}\"\nstatus_poll_ms = 60000\n\n\
             [[devices]]\nselector = \"sim:face\"\n",
            socket.display(),
            tmp.path().join("state").display()
        ),
    )
    .unwrap();
    let log = tmp.path().join("rekamd.log");
    let device = rec.join("device");
    let child = Command::new("umockdev-run")
        .arg("-d")
        .arg(&device)
        .arg("-i")
        .arg(format!(
            "{}={}",
            node(&device),
            rec.join("capture.ioctl").display()
        ))
        .arg("--")
        .arg(env!("CARGO_BIN_EXE_rekamd"))
        .arg("--config")
        .arg(&config)
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(std::fs::File::options().append(true).open(&log).unwrap())
        .spawn()
        .expect("start umockdev-run");
    let mut daemon = Replayed { child, log };
    let log_text = |d: &Replayed| std::fs::read_to_string(&d.log).unwrap_or_default();

    let started = Instant::now();
    let found = loop {
        if let Ok(Some(status)) = daemon.child.try_wait() {
            panic!("rekamd exited ({status}); its log:\n{}", log_text(&daemon));
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the replayed NB-1010 was not discovered within 20 s; rekamd's log:\n{}",
            log_text(&daemon)
        );
        let listed = async {
            let ch = rekam_proto::client::connect_unix(&socket).await.ok()?;
            DeviceServiceClient::new(ch)
                .list_devices(v1::ListDevicesRequest::default())
                .await
                .ok()
        }
        .await;
        if let Some(list) = listed {
            if let Some(d) = list
                .into_inner()
                .devices
                .into_iter()
                .find(|d| d.family() == DeviceFamily::FingerprintScanner)
            {
                break d;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        found.id.starts_with("usb:fingerprint:"),
        "a discovered sensor: {}",
        found.id
    );
    assert_eq!(found.driver, "usb-nb1010");
    assert_eq!(
        found.capabilities,
        Some(Capabilities::Fingerprint(v1::FingerprintCapabilities {
            slap: false,
            single_finger: true,
            ppi: 500,
            segmentation: false,
            preview: false,
        })),
        "the discovered sensor's capabilities, as a configured one's"
    );
}
