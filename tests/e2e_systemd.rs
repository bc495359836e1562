//! rekamd under systemd's notify protocol: `READY=1` once it serves, watchdog pings at the
//! interval systemd asks for, `STOPPING=1` on SIGTERM. The test plays systemd: it binds the
//! notify datagram socket and hands it over in `NOTIFY_SOCKET`, as `Type=notify` does.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::os::unix::net::UnixDatagram;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rekam_e2e::rekamd_bin;

fn receive_until(sock: &UnixDatagram, want: &str, within: Duration) -> Vec<String> {
    let end = Instant::now() + within;
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while Instant::now() < end {
        sock.set_read_timeout(Some(
            end.saturating_duration_since(Instant::now())
                .max(Duration::from_millis(1)),
        ))
        .unwrap();
        match sock.recv(&mut buf) {
            Ok(n) => {
                let msg = String::from_utf8_lossy(&buf[..n]).into_owned();
                let done = msg.lines().any(|l| l == want);
                seen.push(msg);
                if done {
                    return seen;
                }
            }
            Err(_) => break,
        }
    }
    panic!("no {want} within {within:?}; received {seen:?}");
}

#[test]
fn ready_watchdog_and_stopping_reach_systemd() {
    let dir = tempfile::tempdir().unwrap();
    let notify = dir.path().join("notify.sock");
    let sock = UnixDatagram::bind(&notify).unwrap();
    let config = dir.path().join("rekamd.toml");
    // Every family simulated, as the embedded default has them.
    let devices: String = rekam_hal::DeviceFamily::ALL
        .iter()
        .map(|f| format!("[[devices]]\nselector = \"sim:{}\"\n", f.short_name()))
        .collect();
    std::fs::write(
        &config,
        format!(
            "[daemon]\nsocket = \"{}\"\nstate_dir = \"{}\"\n[sim]\nlatency = \"zero\"\n{devices}",
            dir.path().join("rekamd.sock").display(),
            dir.path().join("state").display()
        ),
    )
    .unwrap();
    // systemd sets WATCHDOG_PID to the service's pid; `exec` keeps the shell's pid ($$).
    let mut child = Command::new("sh")
        .arg("-c")
        .arg("WATCHDOG_PID=$$ exec \"$0\" --config \"$1\"")
        .arg(rekamd_bin())
        .arg(&config)
        .env("NOTIFY_SOCKET", &notify)
        // systemd's WatchdogSec=1s
        .env("WATCHDOG_USEC", "1000000")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();

    let ready = receive_until(&sock, "READY=1", Duration::from_secs(10));
    assert!(
        ready.iter().any(|m| m.contains("STATUS=serving on")),
        "READY comes with a status line: {ready:?}"
    );
    // Pings at half the interval: two within 1.5 s.
    receive_until(&sock, "WATCHDOG=1", Duration::from_millis(1500));
    receive_until(&sock, "WATCHDOG=1", Duration::from_millis(1500));

    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(i32::try_from(child.id()).unwrap()),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    receive_until(&sock, "STOPPING=1", Duration::from_secs(5));
    let status = child.wait().unwrap();
    assert!(status.success(), "rekamd exits 0 on SIGTERM: {status:?}");
}
