//! What the rekamd benches share: a real `rekamd` child on a temporary socket, and its CPU time
//! and memory read from /proc.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rekam_proto::v1;

/// A running `rekamd`, killed when dropped.
pub struct Daemon {
    pub child: Child,
    pub socket: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `rekamd` on a temporary socket and state directory with `config` after its
/// `[daemon]` table (devices, `[sim]` …), and waits until it answers. Returns the daemon and
/// how long it took to answer. Its standard error goes to ours when `show_log`.
pub fn start(config: &str, show_log: bool) -> (Daemon, Duration) {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("rekamd.sock");
    let file = dir.path().join("rekamd.toml");
    let text = format!(
        "[daemon]\nsocket = \"{}\"\nstate_dir = \"{}\"\nstatus_poll_ms = 60000\n\n{config}",
        socket.display(),
        dir.path().join("state").display(),
    );
    std::fs::write(&file, text).unwrap();
    let begun = Instant::now();
    let child = Command::new(env!("CARGO_BIN_EXE_rekamd"))
        .arg("--config")
        .arg(&file)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(if show_log {
            Stdio::inherit()
        } else {
            Stdio::null()
        })
        .spawn()
        .unwrap();
    let daemon = Daemon {
        child,
        socket,
        _dir: dir,
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    while !(daemon.socket.exists()
        && rt
            .block_on(rekam_proto::client::connect_unix(&daemon.socket))
            .is_ok())
    {
        assert!(
            begun.elapsed() < Duration::from_secs(20),
            "rekamd did not start"
        );
        std::thread::sleep(Duration::from_micros(500));
    }
    (daemon, begun.elapsed())
}

/// User plus system CPU seconds of process `pid` so far.
pub fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    let utime: f64 = fields[11].parse().unwrap();
    let stime: f64 = fields[12].parse().unwrap();
    // USER_HZ is 100 on every Linux this runs on (sysconf(_SC_CLK_TCK)).
    (utime + stime) / 100.0
}

/// Resident memory of process `pid`, KiB.
pub fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap()
}

/// A fictional resident's NIK: Lumajang (35 08), district 01, born 12-03-1999, serial from `n`
/// (never 0000).
pub fn nik(n: u32) -> String {
    format!("3508011203990{:03}", n % 999 + 1)
}

/// The request opening a BARU session for resident `n` (a never-married adult with the family
/// card copy), by the bench's operator.
pub fn baru_request(n: u32) -> v1::OpenSessionRequest {
    v1::OpenSessionRequest {
        nik: nik(n),
        application_type: v1::ApplicationType::Baru.into(),
        documents: vec!["KK_COPY".into()],
        marital_status: v1::MaritalStatus::BelumKawin.into(),
        operator_id: "bench".into(),
        ..Default::default()
    }
}
