//! Test support for the end-to-end tests: locating the built binaries, starting `rekamd`
//! on a temporary socket and state directory, and stopping it by process id.
//!
//! - [`bin_dir`], [`rekamd_bin`], [`rekamctl_bin`]: the binaries `cargo build --workspace
//!   --bins` put next to the test executable (`target/<profile>/`), or in `$REKAM_BIN_DIR`.
//!   Missing binaries fail the test with the command that builds them; nothing is skipped.
//! - [`Daemon`]: one `rekamd` in its own temporary directory (socket, state directory, a
//!   configuration with zero simulated latency, its log). It is killed when dropped; its log
//!   is printed when the test is failing.
//! - Workflow helpers that drive the daemon as SIAK would: [`open_session`],
//!   [`capture`], [`enrol_baru`] (a complete BARU enrolment), [`start_job`], [`activate`],
//!   [`issue`] (a complete issuance), [`inject`] for simulated faults, and [`collect`] for
//!   any server stream.
//! - Independent checks of the contract: [`nik`] and [`card_record`] (a record consistent
//!   with its NIK, derived here from the digits), [`chain`] (the package hash chain as the
//!   manifest documents it), [`assert_status`].
// Test support: a failed expectation here is a failed test, which is what panicking is for.
#![allow(clippy::expect_used, clippy::panic)]
#![forbid(unsafe_code)]

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
pub use rekam_proto::v1;
use rekam_proto::v1::device_service_client::DeviceServiceClient;
use rekam_proto::v1::enrolment_service_client::EnrolmentServiceClient;
use rekam_proto::v1::issuance_service_client::IssuanceServiceClient;
use sha2::{Digest, Sha256};
use tonic::transport::Channel;
use tonic::{Code, Response, Status, Streaming};

/// The operator id the tests act as.
pub const OPERATOR: &str = "op-e2e";

/// The simulated devices of the test configuration, by id.
pub mod dev {
    /// The fingerprint scanner.
    pub const FINGERPRINT: &str = "sim:fingerprint:0";
    /// The face camera.
    pub const FACE: &str = "sim:face:0";
    /// The iris camera.
    pub const IRIS: &str = "sim:iris:0";
    /// The signature pad.
    pub const SIGNATURE: &str = "sim:signature:0";
    /// The chip encoder (inline in the card printer).
    pub const ENCODER: &str = "sim:encoder:0";
    /// The card printer.
    pub const CARD_PRINTER: &str = "sim:card-printer:0";
    /// The document (receipt) printer.
    pub const DOCUMENT_PRINTER: &str = "sim:document-printer:0";
    /// All seven, in configuration order.
    pub const ALL: [&str; 7] = [
        FINGERPRINT,
        FACE,
        IRIS,
        SIGNATURE,
        ENCODER,
        CARD_PRINTER,
        DOCUMENT_PRINTER,
    ];
}

/// The capture targets of a BARU enrolment, in the order the tests capture them.
pub const TARGETS: [v1::CaptureTarget; 6] = [
    v1::CaptureTarget::Face,
    v1::CaptureTarget::LeftSlap,
    v1::CaptureTarget::RightSlap,
    v1::CaptureTarget::Thumbs,
    v1::CaptureTarget::Irises,
    v1::CaptureTarget::Signature,
];

/// How long a server stream may take before the test fails.
const STREAM_LIMIT: Duration = Duration::from_secs(120);
/// How long the daemon may take to accept gRPC connections.
const READY_LIMIT: Duration = Duration::from_secs(10);

// ------------------------------------------------------------------------------------------
// Binaries

/// The directory holding the built `rekamd` and `rekamctl`: `$REKAM_BIN_DIR`, else the
/// profile directory of the running test (`target/debug/deps/x` → `target/debug`).
/// Fails the test when `rekamd` is not there.
pub fn bin_dir() -> PathBuf {
    let dir = match std::env::var_os("REKAM_BIN_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => {
            let exe = std::env::current_exe()
                .unwrap_or_else(|e| panic!("cannot find the test executable: {e}"));
            let deps = exe.parent().map(Path::to_path_buf).unwrap_or_default();
            if deps.file_name().is_some_and(|n| n == "deps") {
                deps.parent().map(Path::to_path_buf).unwrap_or(deps)
            } else {
                deps
            }
        }
    };
    if !dir.join("rekamd").is_file() {
        panic!(
            "no rekamd in {}: build the binaries first: cargo build --workspace --bins (scripts/test does)",
            dir.display()
        );
    }
    dir
}

/// The `rekamd` binary.
pub fn rekamd_bin() -> PathBuf {
    bin_dir().join("rekamd")
}

/// Runs `rekamctl --socket <daemon socket> ARGS` (off the async runtime, no colour, no
/// inherited `REKAM_SOCKET`) and returns its output.
pub async fn rekamctl(d: &Daemon, args: &[&str]) -> std::process::Output {
    let bin = rekamctl_bin();
    let socket = d.socket().to_path_buf();
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        Command::new(&bin)
            .arg("--socket")
            .arg(&socket)
            .args(&args)
            .env_remove("REKAM_SOCKET")
            .env("NO_COLOR", "1")
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", bin.display()))
    })
    .await
    .unwrap_or_else(|e| panic!("rekamctl thread: {e}"))
}

/// The `rekamctl` binary; fails the test when it was not built.
pub fn rekamctl_bin() -> PathBuf {
    let path = bin_dir().join("rekamctl");
    if !path.is_file() {
        panic!(
            "no rekamctl at {}: build the binaries first: cargo build --workspace --bins (scripts/test does)",
            path.display()
        );
    }
    path
}

// ------------------------------------------------------------------------------------------
// The daemon

/// How to configure a test daemon.
#[derive(Debug, Clone)]
pub struct DaemonOptions {
    /// Blank cards in the simulated hopper at start (`[sim] blanks`).
    pub blanks: u32,
    /// The `[sim] latency` value as TOML: a preset name (`"\"zero\""`) or an inline table
    /// (`{ preset = "zero", capture_ms = 2000 }`). Default: zero latency.
    pub latency: String,
    /// `timeout_ms` per device, by device id (e.g. `(dev::FINGERPRINT, 500)`).
    pub device_timeouts_ms: Vec<(&'static str, u64)>,
    /// `[daemon] max_message_bytes`; `None` keeps the daemon's default.
    pub max_message_bytes: Option<usize>,
    /// `[daemon] shutdown_grace_ms`.
    pub shutdown_grace_ms: u64,
    /// More TOML appended to the file (whole tables, e.g. `[workflow.issuance]`).
    pub extra_toml: String,
    /// `[[devices]]` tables replacing the seven simulated devices, when set.
    pub devices_toml: Option<String>,
    /// More `key = value` lines of the `[daemon]` table (e.g. `tcp = "127.0.0.1:50051"`).
    pub daemon_toml: String,
}

impl Default for DaemonOptions {
    fn default() -> Self {
        DaemonOptions {
            blanks: 200,
            latency: "\"zero\"".to_owned(),
            device_timeouts_ms: Vec::new(),
            max_message_bytes: None,
            shutdown_grace_ms: 3_000,
            extra_toml: String::new(),
            devices_toml: None,
            daemon_toml: String::new(),
        }
    }
}

impl DaemonOptions {
    /// The configuration file's text.
    pub fn config_toml(&self) -> String {
        let mut text = String::from("# rekam-e2e test daemon\n[daemon]\nstatus_poll_ms = 200\n");
        text.push_str(&format!("shutdown_grace_ms = {}\n", self.shutdown_grace_ms));
        if let Some(max) = self.max_message_bytes {
            text.push_str(&format!("max_message_bytes = {max}\n"));
        }
        text.push_str(&self.daemon_toml);
        text.push('\n');
        text.push_str(&format!(
            "\n[sim]\nseed = 7\nblanks = {}\nlatency = {}\n\n",
            self.blanks, self.latency
        ));
        if let Some(devices) = &self.devices_toml {
            text.push_str(devices);
            text.push('\n');
        }
        for id in dev::ALL.into_iter().filter(|_| self.devices_toml.is_none()) {
            let family = id.split(':').nth(1).unwrap_or_default();
            text.push_str(&format!("[[devices]]\nselector = \"sim:{family}\"\n"));
            if let Some((_, ms)) = self.device_timeouts_ms.iter().find(|(d, _)| *d == id) {
                text.push_str(&format!("timeout_ms = {ms}\n"));
            }
            text.push('\n');
        }
        text.push_str(&self.extra_toml);
        text.push('\n');
        text
    }
}

/// One `rekamd` process in its own temporary directory. Killed (SIGKILL) on drop.
#[derive(Debug)]
pub struct Daemon {
    dir: tempfile::TempDir,
    socket: PathBuf,
    state_dir: PathBuf,
    config: PathBuf,
    log_path: PathBuf,
    child: Option<Child>,
    shutdown_grace: Duration,
}

impl Daemon {
    /// Starts `rekamd` with `opts` and waits until it answers gRPC (at most 10 s; on timeout,
    /// or when it exits, the test fails with the daemon's log).
    pub async fn start(opts: DaemonOptions) -> Daemon {
        let dir = tempfile::Builder::new()
            .prefix("rekam-e2e-")
            .tempdir()
            .unwrap_or_else(|e| panic!("cannot create a temporary directory: {e}"));
        let config = dir.path().join("rekamd.toml");
        std::fs::write(&config, opts.config_toml())
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", config.display()));
        let mut daemon = Daemon {
            socket: dir.path().join("rekamd.sock"),
            state_dir: dir.path().join("state"),
            log_path: dir.path().join("rekamd.log"),
            config,
            dir,
            child: None,
            shutdown_grace: Duration::from_millis(opts.shutdown_grace_ms),
        };
        daemon.spawn().await;
        daemon
    }

    /// Starts with the default options (zero latency, 200 blanks).
    pub async fn start_default() -> Daemon {
        Daemon::start(DaemonOptions::default()).await
    }

    async fn spawn(&mut self) {
        let log = File::options()
            .create(true)
            .append(true)
            .open(&self.log_path)
            .unwrap_or_else(|e| panic!("cannot open {}: {e}", self.log_path.display()));
        let log_err = log
            .try_clone()
            .unwrap_or_else(|e| panic!("cannot clone the log file handle: {e}"));
        let child = Command::new(rekamd_bin())
            .arg("--config")
            .arg(&self.config)
            .arg("--socket")
            .arg(&self.socket)
            .arg("--state-dir")
            .arg(&self.state_dir)
            // Debug logs of our crates too: no level may leak a NIK.
            .env(
                "RUST_LOG",
                "info,rekamd=debug,rekam_station=debug,rekam_store=debug,rekam_sim=debug,rekam_proto=debug",
            )
            .env_remove("RUNTIME_DIRECTORY")
            .env_remove("STATE_DIRECTORY")
            .env_remove("NOTIFY_SOCKET")
            .env_remove("WATCHDOG_USEC")
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", rekamd_bin().display()));
        self.child = Some(child);
        self.wait_ready().await;
    }

    async fn wait_ready(&mut self) {
        let started = Instant::now();
        loop {
            if let Some(child) = self.child.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    self.child = None;
                    panic!(
                        "rekamd exited during start-up ({status}); its log:\n{}",
                        self.log()
                    );
                }
            }
            if self.socket.exists() {
                let attempt = tokio::time::timeout(Duration::from_secs(2), async {
                    let channel = rekam_proto::client::connect_unix(&self.socket).await.ok()?;
                    DeviceServiceClient::new(channel)
                        .list_devices(v1::ListDevicesRequest::default())
                        .await
                        .ok()
                })
                .await;
                if let Ok(Some(_)) = attempt {
                    return;
                }
            }
            if started.elapsed() > READY_LIMIT {
                panic!(
                    "rekamd did not accept gRPC on {} within {READY_LIMIT:?}; its log:\n{}",
                    self.socket.display(),
                    self.log()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A new gRPC channel to the daemon.
    pub async fn channel(&self) -> Channel {
        rekam_proto::client::connect_unix(&self.socket)
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "cannot connect to {}: {e}\n{}",
                    self.socket.display(),
                    self.log()
                )
            })
    }

    /// A DeviceService client.
    pub async fn devices(&self) -> DeviceServiceClient<Channel> {
        DeviceServiceClient::new(self.channel().await)
    }

    /// An EnrolmentService client.
    pub async fn enrolment(&self) -> EnrolmentServiceClient<Channel> {
        EnrolmentServiceClient::new(self.channel().await)
    }

    /// An IssuanceService client.
    pub async fn issuance(&self) -> IssuanceServiceClient<Channel> {
        IssuanceServiceClient::new(self.channel().await)
    }

    /// The daemon's Unix socket.
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// The daemon's state directory.
    pub fn state_dir(&self) -> &Path {
        &self.state_dir
    }

    /// The temporary directory holding socket, state, configuration and log.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Everything the daemon wrote to stdout and stderr, over every run.
    pub fn log(&self) -> String {
        std::fs::read(&self.log_path)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    }

    /// The process id of the running daemon; fails the test when it is not running.
    pub fn pid(&self) -> u32 {
        match &self.child {
            Some(child) => child.id(),
            None => panic!("rekamd is not running"),
        }
    }

    /// True while the process runs.
    pub fn is_running(&mut self) -> bool {
        match self.child.as_mut() {
            Some(child) => matches!(child.try_wait(), Ok(None)),
            None => false,
        }
    }

    fn signal(&self, signal: Signal) {
        let pid = i32::try_from(self.pid()).unwrap_or_else(|_| panic!("pid out of range"));
        kill(Pid::from_raw(pid), signal)
            .unwrap_or_else(|e| panic!("cannot send {signal} to rekamd: {e}"));
    }

    /// Kills the daemon with SIGKILL (as a power cut would) and reaps it.
    pub fn kill_9(&mut self) {
        self.signal(Signal::SIGKILL);
        if let Some(mut child) = self.child.take() {
            let _ = child.wait();
        }
    }

    /// Sends SIGTERM and waits for the daemon to exit (at most its shutdown grace period plus
    /// 5 s, else the test fails); returns its exit status.
    pub async fn terminate(&mut self) -> ExitStatus {
        self.signal(Signal::SIGTERM);
        let limit = self.shutdown_grace + Duration::from_secs(5);
        let started = Instant::now();
        loop {
            let Some(child) = self.child.as_mut() else {
                panic!("rekamd is not running")
            };
            if let Ok(Some(status)) = child.try_wait() {
                self.child = None;
                return status;
            }
            if started.elapsed() > limit {
                panic!(
                    "rekamd did not exit within {limit:?} of SIGTERM; its log:\n{}",
                    self.log()
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Starts the daemon again on the same configuration, state directory and socket (after
    /// [`Daemon::kill_9`] or [`Daemon::terminate`]; a daemon still running is terminated
    /// first) and waits until it answers.
    pub async fn restart(&mut self) {
        if self.is_running() {
            self.terminate().await;
        }
        self.child = None;
        self.spawn().await;
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if std::thread::panicking() {
            eprintln!(
                "----- rekamd log ({}) -----\n{}----- end of rekamd log -----",
                self.log_path.display(),
                self.log()
            );
        }
    }
}

// ------------------------------------------------------------------------------------------
// Streams and statuses

/// A server stream, read to its end.
#[derive(Debug)]
pub struct Streamed<T> {
    /// The messages, in order.
    pub events: Vec<T>,
    /// The status the stream (or the call) ended with; `None` when it ended OK.
    pub status: Option<Status>,
}

impl<T> Streamed<T> {
    /// Fails the test when the stream ended with an error.
    pub fn ok(&self) -> &Self {
        if let Some(status) = &self.status {
            panic!("the stream ended with {}", describe(status));
        }
        self
    }

    /// The error the stream ended with; fails the test when it ended OK.
    pub fn err(&self) -> &Status {
        match &self.status {
            Some(status) => status,
            None => panic!("the stream ended OK; an error was expected"),
        }
    }
}

/// Reads a server stream to its end (at most two minutes).
pub async fn collect<T>(call: Result<Response<Streaming<T>>, Status>) -> Streamed<T> {
    let mut stream = match call {
        Ok(response) => response.into_inner(),
        Err(status) => {
            return Streamed {
                events: Vec::new(),
                status: Some(status),
            }
        }
    };
    let mut events = Vec::new();
    let read = tokio::time::timeout(STREAM_LIMIT, async {
        loop {
            match stream.message().await {
                Ok(Some(event)) => events.push(event),
                Ok(None) => return None,
                Err(status) => return Some(status),
            }
        }
    })
    .await;
    match read {
        Ok(status) => Streamed { events, status },
        Err(_) => panic!("a server stream did not end within {STREAM_LIMIT:?}"),
    }
}

/// A status as text: code, reason, metadata, message.
pub fn describe(status: &Status) -> String {
    let info = rekam_proto::status::error_info_of(status);
    format!(
        "{:?} reason={:?} metadata={:?} message={:?}",
        status.code(),
        info.as_ref().map(|i| i.reason.clone()),
        info.as_ref().map(|i| i.metadata.clone()),
        status.message()
    )
}

/// Fails the test unless `status` has `code` and the ErrorInfo reason `reason`.
pub fn assert_status(status: &Status, code: Code, reason: v1::ErrorReason) {
    assert_eq!(
        (status.code(), rekam_proto::status::reason_of(status)),
        (code, Some(reason)),
        "expected {code:?} + {}, got {}",
        reason.as_str_name(),
        describe(status)
    );
}

/// The ErrorInfo metadata value `key` of a status.
pub fn metadata(status: &Status, key: &str) -> Option<String> {
    rekam_proto::status::error_info_of(status).and_then(|i| i.metadata.get(key).cloned())
}

/// Unwraps a unary result, failing with a readable status.
pub fn ok<T>(result: Result<Response<T>, Status>, what: &str) -> T {
    match result {
        Ok(r) => r.into_inner(),
        Err(status) => panic!("{what} failed: {}", describe(&status)),
    }
}

/// The error of a unary result; fails the test when it succeeded.
pub fn err<T: std::fmt::Debug>(result: Result<Response<T>, Status>, what: &str) -> Status {
    match result {
        Ok(r) => panic!(
            "{what} succeeded but should have failed: {:?}",
            r.into_inner()
        ),
        Err(status) => status,
    }
}

// ------------------------------------------------------------------------------------------
// NIKs and card records

/// A valid male NIK born 12 March 1999 in Lumajang (3508 01), with serial `serial` (1..=9999):
/// vary the serial per test so NIKs never collide.
pub fn nik(serial: u16) -> String {
    assert!((1..=9999).contains(&serial), "a NIK serial is 1..=9999");
    format!("350801120399{serial:04}")
}

/// A valid female NIK born 12 March 1999 (day coded 52).
pub fn nik_female(serial: u16) -> String {
    assert!((1..=9999).contains(&serial), "a NIK serial is 1..=9999");
    format!("350801520399{serial:04}")
}

/// The masked form the station must show: first 4 and last 2 digits, 10 stars between.
pub fn masked(nik: &str) -> String {
    format!("{}**********{}", &nik[..4], &nik[14..])
}

/// The birth date ("YYYY-MM-DD") and sex coded in a NIK, derived here from its digits: day
/// over 40 is a woman's; the century is the latest that does not put the birth in the
/// future.
pub fn birth_of(nik: &str) -> (String, v1::Sex) {
    let digit = |i: usize| u32::from(nik.as_bytes()[i] - b'0');
    let pair = |i: usize| digit(i) * 10 + digit(i + 1);
    let (day, sex) = match pair(6) {
        d if d > 40 => (d - 40, v1::Sex::Perempuan),
        d => (d, v1::Sex::LakiLaki),
    };
    let month = pair(8);
    let yy = pair(10);
    let now = time::OffsetDateTime::now_utc();
    let this_year = u32::try_from(now.year()).unwrap_or(2000);
    let mut year = 2000 + yy;
    if (year, month, day)
        > (
            this_year,
            u32::from(u8::from(now.month())),
            u32::from(now.day()),
        )
    {
        year -= 100;
    }
    (format!("{year:04}-{month:02}-{day:02}"), sex)
}

/// A SIAK card record consistent with `nik` (birth date and sex from its digits).
pub fn card_record(nik: &str, prr: bool) -> v1::CardRecord {
    let (date_of_birth, sex) = birth_of(nik);
    v1::CardRecord {
        nik: nik.to_owned(),
        name: "Budi Santoso".into(),
        place_of_birth: "Lumajang".into(),
        date_of_birth,
        sex: sex.into(),
        blood_type: v1::BloodType::O.into(),
        address: "Dusun Krajan, Jl. Raya Senduro No. 12".into(),
        rt_rw: "003/004".into(),
        village: "Senduro".into(),
        district: "Senduro".into(),
        regency: "Kabupaten Lumajang".into(),
        province: "Jawa Timur".into(),
        religion: v1::Religion::Islam.into(),
        marital_status: v1::MaritalStatus::BelumKawin.into(),
        occupation: "Pelajar/Mahasiswa".into(),
        citizenship: Some(v1::Citizenship {
            kind: v1::CitizenshipKind::Wni.into(),
            country: String::new(),
        }),
        valid_until: "SEUMUR HIDUP".into(),
        prr,
        place_of_issue: "Lumajang".into(),
        date_of_issue: "2025-03-10".into(),
    }
}

// ------------------------------------------------------------------------------------------
// Enrolment

/// An OpenSession request for a BARU applicant: documents `KK_COPY`, never married.
pub fn baru_request(nik: &str) -> v1::OpenSessionRequest {
    v1::OpenSessionRequest {
        nik: nik.to_owned(),
        application_type: v1::ApplicationType::Baru.into(),
        documents: vec!["KK_COPY".into()],
        marital_status: v1::MaritalStatus::BelumKawin.into(),
        previously_recorded: false,
        operator_id: OPERATOR.into(),
        request_id: String::new(),
    }
}

/// Opens a BARU session; fails the test when refused.
pub async fn open_session(d: &Daemon, nik: &str) -> v1::Session {
    ok(
        d.enrolment().await.open_session(baru_request(nik)).await,
        "OpenSession",
    )
}

/// A session by id; fails the test when refused.
pub async fn get_session(d: &Daemon, id: &str) -> v1::Session {
    ok(
        d.enrolment()
            .await
            .get_session(v1::GetSessionRequest {
                session_id: id.into(),
            })
            .await,
        "GetSession",
    )
}

/// A job by id; fails the test when refused.
pub async fn get_job(d: &Daemon, id: &str) -> v1::Job {
    ok(
        d.issuance()
            .await
            .get_job(v1::GetJobRequest { job_id: id.into() })
            .await,
        "GetJob",
    )
}

/// Runs one Capture call to its end.
pub async fn capture(
    d: &Daemon,
    session_id: &str,
    target: v1::CaptureTarget,
) -> Streamed<v1::capture_event::Event> {
    let call = d
        .enrolment()
        .await
        .capture(v1::CaptureRequest {
            session_id: session_id.into(),
            target: target.into(),
            operator_id: OPERATOR.into(),
            device_id: String::new(),
        })
        .await;
    let streamed = collect(call).await;
    let mut events = Vec::with_capacity(streamed.events.len());
    for e in streamed.events {
        match e.event {
            Some(event) => events.push(event),
            None => panic!("a CaptureEvent with no event case set"),
        }
    }
    Streamed {
        events,
        status: streamed.status,
    }
}

/// The CaptureResult of a capture stream: it must be the last event and the only one.
pub fn capture_result(s: &Streamed<v1::capture_event::Event>) -> v1::CaptureResult {
    s.ok();
    let results: Vec<&v1::CaptureResult> = s
        .events
        .iter()
        .filter_map(|e| match e {
            v1::capture_event::Event::Result(r) => Some(r),
            _ => None,
        })
        .collect();
    assert_eq!(
        results.len(),
        1,
        "a capture stream ends with exactly one CaptureResult: {:?}",
        s.events
    );
    match s.events.last() {
        Some(v1::capture_event::Event::Result(r)) => r.clone(),
        other => panic!("the CaptureResult is not the last event (last: {other:?})"),
    }
}

/// The AttemptResults of a capture stream, in order.
pub fn attempts(s: &Streamed<v1::capture_event::Event>) -> Vec<v1::AttemptResult> {
    s.events
        .iter()
        .filter_map(|e| match e {
            v1::capture_event::Event::Attempt(a) => Some(a.clone()),
            _ => None,
        })
        .collect()
}

/// The preview frames of a capture stream, in order.
pub fn previews(s: &Streamed<v1::capture_event::Event>) -> Vec<v1::PreviewFrame> {
    s.events
        .iter()
        .filter_map(|e| match e {
            v1::capture_event::Event::Preview(p) => Some(p.clone()),
            _ => None,
        })
        .collect()
}

/// Captures a target and requires it ACCEPTED; returns the result.
pub async fn capture_ok(
    d: &Daemon,
    session_id: &str,
    target: v1::CaptureTarget,
) -> v1::CaptureResult {
    let s = capture(d, session_id, target).await;
    let result = capture_result(&s);
    assert_eq!(
        result.outcome(),
        v1::ItemOutcome::Accepted,
        "capture of {} not accepted: {result:?}",
        target.as_str_name()
    );
    result
}

/// Finalizes a session; fails the test when refused.
pub async fn finalize(d: &Daemon, session_id: &str) -> v1::FinalizeSessionResponse {
    ok(
        d.enrolment()
            .await
            .finalize_session(v1::FinalizeSessionRequest {
                session_id: session_id.into(),
                operator_id: OPERATOR.into(),
            })
            .await,
        "FinalizeSession",
    )
}

/// A complete BARU enrolment: open, capture every target (each ACCEPTED), finalize. Returns
/// the session id and the finalize response.
pub async fn enrol_baru(d: &Daemon, nik: &str) -> (String, v1::FinalizeSessionResponse) {
    let session = open_session(d, nik).await;
    for target in TARGETS {
        capture_ok(d, &session.session_id, target).await;
    }
    let done = finalize(d, &session.session_id).await;
    (session.session_id, done)
}

// ------------------------------------------------------------------------------------------
// Issuance

/// A StartJob request from a finalized session.
pub fn job_request(nik: &str, session_id: &str, prr: bool) -> v1::StartJobRequest {
    v1::StartJobRequest {
        record: Some(card_record(nik, prr)),
        biometrics: Some(v1::start_job_request::Biometrics::SessionId(
            session_id.into(),
        )),
        operator_id: OPERATOR.into(),
        request_id: String::new(),
        application_type: v1::ApplicationType::Unspecified.into(),
    }
}

/// Runs StartJob to the end of its stream.
pub async fn start_job(
    d: &Daemon,
    nik: &str,
    session_id: &str,
    prr: bool,
) -> Streamed<v1::JobEvent> {
    collect(
        d.issuance()
            .await
            .start_job(job_request(nik, session_id, prr))
            .await,
    )
    .await
}

/// Runs ResumeJob to the end of its stream.
pub async fn resume_job(d: &Daemon, job_id: &str, prr: Option<bool>) -> Streamed<v1::JobEvent> {
    collect(
        d.issuance()
            .await
            .resume_job(v1::ResumeJobRequest {
                job_id: job_id.into(),
                operator_id: OPERATOR.into(),
                prr,
            })
            .await,
    )
    .await
}

/// The job carried by the last event of a job stream (the stream must have ended OK).
pub fn last_job(s: &Streamed<v1::JobEvent>) -> v1::Job {
    s.ok();
    match s.events.last().and_then(|e| e.job.clone()) {
        Some(job) => job,
        None => panic!(
            "a job stream ended without a job in its last event: {:?}",
            s.events
        ),
    }
}

/// The steps of a job as (step, state) pairs.
pub fn steps(job: &v1::Job) -> Vec<(v1::JobStep, v1::StepState)> {
    job.steps.iter().map(|s| (s.step(), s.state())).collect()
}

/// Runs Activate to the end of its stream.
pub async fn activate(d: &Daemon, job_id: &str) -> Streamed<v1::activation_event::Event> {
    let streamed = collect(
        d.issuance()
            .await
            .activate(v1::ActivateRequest {
                job_id: job_id.into(),
                operator_id: OPERATOR.into(),
                finger: None,
            })
            .await,
    )
    .await;
    let mut events = Vec::with_capacity(streamed.events.len());
    for e in streamed.events {
        match e.event {
            Some(event) => events.push(event),
            None => panic!("an ActivationEvent with no event case set"),
        }
    }
    Streamed {
        events,
        status: streamed.status,
    }
}

/// The ActivationResult of an activation stream: the last event and the only result.
pub fn activation_result(s: &Streamed<v1::activation_event::Event>) -> v1::ActivationResult {
    s.ok();
    let n = s
        .events
        .iter()
        .filter(|e| matches!(e, v1::activation_event::Event::Result(_)))
        .count();
    assert_eq!(
        n, 1,
        "an activation stream ends with exactly one ActivationResult: {:?}",
        s.events
    );
    match s.events.last() {
        Some(v1::activation_event::Event::Result(r)) => r.clone(),
        other => panic!("the ActivationResult is not the last event (last: {other:?})"),
    }
}

/// Hands a job's card over against a signed (or unsigned) receipt.
pub async fn hand_over(d: &Daemon, job_id: &str, receipt_signed: bool) -> Result<v1::Job, Status> {
    d.issuance()
        .await
        .hand_over(v1::HandOverRequest {
            job_id: job_id.into(),
            operator_id: OPERATOR.into(),
            receipt_signed,
        })
        .await
        .map(Response::into_inner)
}

/// Activates an AWAITING_ACTIVATION job (must succeed) and hands the card over (must give
/// HANDED_OVER). Returns the final job.
pub async fn activate_and_hand_over(d: &Daemon, job_id: &str) -> v1::Job {
    let result = activation_result(&activate(d, job_id).await);
    assert!(result.activated, "activation failed: {result:?}");
    let job = result.job.clone().unwrap_or_default();
    assert_eq!(job.state(), v1::JobState::Activated, "{job:?}");
    let job = match hand_over(d, job_id, true).await {
        Ok(job) => job,
        Err(status) => panic!("HandOver failed: {}", describe(&status)),
    };
    assert_eq!(job.state(), v1::JobState::HandedOver, "{job:?}");
    job
}

/// A complete issuance from a finalized session: StartJob (must reach AWAITING_ACTIVATION),
/// Activate, HandOver. Returns the final job.
pub async fn issue(d: &Daemon, nik: &str, session_id: &str) -> v1::Job {
    let run = start_job(d, nik, session_id, true).await;
    let job = last_job(&run);
    assert_eq!(
        job.state(),
        v1::JobState::AwaitingActivation,
        "the job did not reach AWAITING_ACTIVATION: steps {:?}, job {job:?}",
        step_summary(&job)
    );
    activate_and_hand_over(d, &job.job_id).await
}

/// A job's steps as readable text (step, state, reason).
pub fn step_summary(job: &v1::Job) -> Vec<String> {
    job.steps
        .iter()
        .map(|s| {
            let step = s
                .step()
                .as_str_name()
                .trim_start_matches("JOB_STEP_")
                .to_owned();
            let state = s
                .state()
                .as_str_name()
                .trim_start_matches("STEP_STATE_")
                .to_owned();
            if s.reason == 0 {
                format!("{step} {state}")
            } else {
                format!("{step} {state} {}", s.reason().as_str_name())
            }
        })
        .collect()
}

/// The card printer's supplies and the station counters.
pub async fn supplies(d: &Daemon) -> v1::Supplies {
    ok(
        d.issuance()
            .await
            .get_supplies(v1::GetSuppliesRequest::default())
            .await,
        "GetSupplies",
    )
}

// ------------------------------------------------------------------------------------------
// Devices and faults

/// Every device.
pub async fn list_devices(d: &Daemon) -> Vec<v1::Device> {
    ok(
        d.devices()
            .await
            .list_devices(v1::ListDevicesRequest::default())
            .await,
        "ListDevices",
    )
    .devices
}

/// The request that injects a fault (`count` 0: until cleared) into a simulated device.
pub fn fault_request(device_id: &str, kind: v1::FaultKind, count: u32) -> v1::InjectFaultRequest {
    v1::InjectFaultRequest {
        device_id: device_id.into(),
        fault: Some(v1::Fault {
            kind: kind.into(),
            count,
            finger: None,
        }),
    }
}

/// Injects a fault (`count` 0: until cleared) into a simulated device.
pub async fn inject(d: &Daemon, device_id: &str, kind: v1::FaultKind, count: u32) {
    ok(
        d.devices()
            .await
            .inject_fault(fault_request(device_id, kind, count))
            .await,
        "InjectFault",
    );
}

/// Clears every fault of a simulated device.
pub async fn clear_faults(d: &Daemon, device_id: &str) {
    ok(
        d.devices()
            .await
            .clear_faults(v1::ClearFaultsRequest {
                device_id: device_id.into(),
            })
            .await,
        "ClearFaults",
    );
}

/// Polls (every 50 ms, at most `limit`) until `check` holds for the device list; fails the
/// test with the last list otherwise.
pub async fn wait_devices(
    d: &Daemon,
    limit: Duration,
    what: &str,
    check: impl Fn(&[v1::Device]) -> bool,
) {
    let started = Instant::now();
    loop {
        let devices = list_devices(d).await;
        if check(&devices) {
            return;
        }
        if started.elapsed() > limit {
            panic!("{what}: not so within {limit:?}; devices: {devices:#?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

// ------------------------------------------------------------------------------------------
// Packages

/// The item name the manifest chain uses: `face`, `right_thumb`..`left_little`, `right_iris`,
/// `left_iris`, `signature` (derived here from the proto enum names).
pub fn item_name(item: &v1::ItemKey) -> String {
    match item.item {
        Some(v1::item_key::Item::Face(_)) => "face".into(),
        Some(v1::item_key::Item::Signature(_)) => "signature".into(),
        Some(v1::item_key::Item::Finger(f)) => match v1::Finger::try_from(f) {
            Ok(finger) => finger
                .as_str_name()
                .trim_start_matches("FINGER_")
                .to_ascii_lowercase(),
            Err(_) => panic!("unknown finger {f}"),
        },
        Some(v1::item_key::Item::Eye(e)) => match v1::Eye::try_from(e) {
            Ok(v1::Eye::Right) => "right_iris".into(),
            Ok(v1::Eye::Left) => "left_iris".into(),
            _ => panic!("bad eye {e}"),
        },
        None => panic!("an ItemKey with no item"),
    }
}

/// The package hash chain recomputed from a session id and the entries, as the manifest
/// defines it: `chain_0 = SHA-256(session id)`, `chain_i = SHA-256(chain_{i-1} || entry
/// sha256 (32 bytes) || item name)`. Returns `chain_0` and every link, lower-case hex.
pub fn chain(session_id: &str, entries: &[v1::PackageEntry]) -> (String, Vec<String>) {
    let root: [u8; 32] = Sha256::digest(session_id.as_bytes()).into();
    let mut link = root;
    let mut links = Vec::with_capacity(entries.len());
    for e in entries {
        let digest = hex::decode(&e.sha256)
            .unwrap_or_else(|err| panic!("entry sha256 {:?} is not hex: {err}", e.sha256));
        assert_eq!(
            digest.len(),
            32,
            "entry sha256 {:?} is not 32 bytes",
            e.sha256
        );
        let mut h = Sha256::new();
        h.update(link);
        h.update(&digest);
        h.update(item_name(e.item.as_ref().unwrap_or(&v1::ItemKey::default())).as_bytes());
        link = h.finalize().into();
        links.push(hex::encode(link));
    }
    (hex::encode(root), links)
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Polls `f` (every 50 ms, at most `limit`) until it returns `Some`.
pub async fn poll<T, F, Fut>(limit: Duration, what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        if let Some(v) = f().await {
            return v;
        }
        if started.elapsed() > limit {
            panic!("{what}: not so within {limit:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
