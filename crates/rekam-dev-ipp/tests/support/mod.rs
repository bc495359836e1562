//! A real IPP printer for tests: Debian's `ippeveprinter` (package `cups-ipp-utils`) on a
//! private D-Bus (package `dbus`), started and stopped by process id, with an attributes
//! file for a CR80 card printer or an A6/A5 receipt printer and a per-job command that
//! raises faults on request.
//!
//! - [`Bus::start`] runs `dbus-daemon --session --print-address --fork --print-pid` and kills
//!   that pid on drop. ippeveprinter needs a D-Bus even with DNS-SD off (`-r off`): Avahi's
//!   client asks the system bus, so both `DBUS_SESSION_BUS_ADDRESS` and
//!   `DBUS_SYSTEM_BUS_ADDRESS` point at the private bus.
//! - [`Printer::start`] runs `ippeveprinter -n localhost -p PORT -d SPOOL -k -r off -a ATTRS
//!   -c COMMAND NAME` on a free port and waits until it answers.
//! - The command script (one per printer): if the file `fault` exists in the printer's
//!   directory it writes `STATE: +<its content>` on stderr and fails the job; otherwise it
//!   clears those reasons, waits while the file `hold` exists (at most 30 s), writes the job's
//!   `IPP_MEDIA` to `<job-id>.media`, and succeeds.
//!
//! A missing program fails the test with the Debian package to install; nothing is skipped.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The card printer's attributes: CR80 media, 300 dpi, PNG and PWG Raster.
pub const CARD_ATTRS: &str = r#"ATTR text printer-make-and-model "Rekam Test CR80 Card Printer"
ATTR keyword media-supported "custom_cr80_53.98x85.6mm"
ATTR keyword media-default "custom_cr80_53.98x85.6mm"
ATTR keyword media-ready "custom_cr80_53.98x85.6mm"
ATTR resolution printer-resolution-supported 300dpi
ATTR resolution printer-resolution-default 300dpi
ATTR resolution pwg-raster-document-resolution-supported 300dpi
ATTR mimeMediaType document-format-supported "image/png","image/pwg-raster"
ATTR integer marker-levels 80
ATTR name marker-names "YMCKO ribbon"
ATTR keyword marker-types "ribbon-wax"
"#;

/// A card printer that takes PWG Raster only.
pub const CARD_PWG_ONLY_ATTRS: &str = r#"ATTR text printer-make-and-model "Rekam Test CR80 Raster Printer"
ATTR keyword media-supported "custom_cr80_53.98x85.6mm"
ATTR keyword media-default "custom_cr80_53.98x85.6mm"
ATTR resolution printer-resolution-supported 300dpi
ATTR resolution pwg-raster-document-resolution-supported 300dpi
ATTR mimeMediaType document-format-supported "image/pwg-raster"
"#;

/// The receipt printer's attributes: A6 and A5 paper, 300 dpi, PNG and PWG Raster.
pub const RECEIPT_ATTRS: &str = r#"ATTR text printer-make-and-model "Rekam Test Receipt Printer"
ATTR keyword media-supported "iso_a6_105x148mm","iso_a5_148x210mm"
ATTR keyword media-default "iso_a6_105x148mm"
ATTR keyword media-ready "iso_a6_105x148mm","iso_a5_148x210mm"
ATTR resolution printer-resolution-supported 300dpi
ATTR resolution printer-resolution-default 300dpi
ATTR resolution pwg-raster-document-resolution-supported 300dpi
ATTR mimeMediaType document-format-supported "image/png","image/pwg-raster"
"#;

const COMMAND: &str = r#"#!/bin/sh
dir="$(dirname "$0")"
if [ -f "$dir/fault" ]; then
  echo "STATE: +$(cat "$dir/fault")" >&2
  echo "ERROR: injected fault" >&2
  exit 1
fi
echo "STATE: -media-empty,media-needed,marker-supply-empty,media-jam,cover-open" >&2
n=0
while [ -f "$dir/hold" ] && [ $n -lt 300 ]; do sleep 0.1; n=$((n+1)); done
echo "${IPP_MEDIA:-}" > "$dir/${IPP_JOB_ID:-0}.media"
exit 0
"#;

fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .chain(["/usr/sbin".into(), "/sbin".into()])
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

fn require(program: &str, package: &str) -> PathBuf {
    which(program).unwrap_or_else(|| {
        panic!(
            "`{program}` is missing: install the Debian package `{package}` \
             (apt-get install -y --no-install-recommends {package}); scripts/setup installs it"
        )
    })
}

/// A private D-Bus daemon, killed (by pid) on drop.
pub struct Bus {
    /// Its address.
    pub address: String,
    pid: i32,
}

impl Bus {
    /// Starts a private session bus.
    pub fn start() -> Bus {
        let dbus = require("dbus-daemon", "dbus");
        let out = Command::new(dbus)
            .args(["--session", "--print-address", "--fork", "--print-pid"])
            .stdin(Stdio::null())
            .stderr(Stdio::inherit())
            .output()
            .expect("dbus-daemon runs");
        assert!(out.status.success(), "dbus-daemon failed: {out:?}");
        let text = String::from_utf8_lossy(&out.stdout);
        let mut lines = text.lines().filter(|l| !l.trim().is_empty());
        let address = lines
            .next()
            .expect("dbus-daemon printed its address")
            .trim()
            .to_owned();
        let pid: i32 = lines
            .next()
            .and_then(|l| l.trim().parse().ok())
            .expect("dbus-daemon printed its pid");
        Bus { address, pid }
    }
}

impl Drop for Bus {
    fn drop(&mut self) {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(self.pid),
            nix::sys::signal::Signal::SIGTERM,
        );
    }
}

/// A running ippeveprinter with its own directory (spool, attributes, command, fault files).
pub struct Printer {
    /// `ipp://localhost:PORT/ipp/print`.
    pub uri: String,
    /// The printer's directory (the command and the fault and hold files live here).
    pub dir: tempfile::TempDir,
    /// Where received documents land: `<job-id>-<job-name>.<ext>`.
    pub spool: PathBuf,
    child: Option<Child>,
    attrs: String,
    port: u16,
    bus: String,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Printer {
    /// Starts a printer with `attrs` on `bus`, named `name`.
    pub fn start(bus: &Bus, attrs: &str) -> Printer {
        require("ippeveprinter", "cups-ipp-utils");
        let dir = tempfile::tempdir().expect("temp dir");
        let spool = dir.path().join("spool");
        std::fs::create_dir_all(&spool).unwrap();
        std::fs::write(dir.path().join("printer.attrs"), attrs).unwrap();
        let command = dir.path().join("command.sh");
        std::fs::write(&command, COMMAND).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&command, std::fs::Permissions::from_mode(0o755)).unwrap();
        let mut p = Printer {
            uri: String::new(),
            dir,
            spool,
            child: None,
            attrs: attrs.to_owned(),
            port: 0,
            bus: bus.address.clone(),
        };
        p.launch();
        p
    }

    fn launch(&mut self) {
        let mut last_log = String::new();
        // A port picked free may be taken by the time the printer binds it: try a few.
        for _ in 0..5 {
            self.port = free_port();
            let log = self.dir.path().join("ippeveprinter.log");
            let log_file = std::fs::File::create(&log).unwrap();
            let child = Command::new(require("ippeveprinter", "cups-ipp-utils"))
                .args(["-n", "localhost", "-p", &self.port.to_string(), "-d"])
                .arg(&self.spool)
                .args(["-k", "-r", "off", "-a"])
                .arg(self.dir.path().join("printer.attrs"))
                .arg("-c")
                .arg(self.dir.path().join("command.sh"))
                .arg("RekamTestPrinter")
                .env("DBUS_SESSION_BUS_ADDRESS", &self.bus)
                .env("DBUS_SYSTEM_BUS_ADDRESS", &self.bus)
                .stdin(Stdio::null())
                .stdout(log_file.try_clone().unwrap())
                .stderr(log_file)
                .spawn()
                .expect("ippeveprinter starts");
            self.child = Some(child);
            self.uri = format!("ipp://localhost:{}/ipp/print", self.port);
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Some(Ok(Some(_))) = self.child.as_mut().map(|c| c.try_wait()) {
                    break;
                }
                if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            last_log = std::fs::read_to_string(&log).unwrap_or_default();
            self.stop();
        }
        panic!("ippeveprinter did not start:\n{last_log}");
    }

    /// Stops the printer (by pid); [`Printer::restart`] brings it back on the same port.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts it again after [`Printer::stop`] (a new port: the URI changes).
    pub fn restart(&mut self) {
        self.stop();
        self.launch();
    }

    /// Makes the next jobs fail with `STATE: +reason`.
    pub fn inject(&self, reason: &str) {
        std::fs::write(self.dir.path().join("fault"), reason).unwrap();
    }

    /// Stops injecting.
    pub fn clear_fault(&self) {
        let _ = std::fs::remove_file(self.dir.path().join("fault"));
    }

    /// Holds jobs in the printer until [`Printer::release`].
    pub fn hold(&self) {
        std::fs::write(self.dir.path().join("hold"), "").unwrap();
    }

    /// Lets held jobs finish.
    pub fn release(&self) {
        let _ = std::fs::remove_file(self.dir.path().join("hold"));
    }

    /// The `media` a job asked for, as the command saw it.
    pub fn job_media(&self, job: &str) -> Option<String> {
        std::fs::read_to_string(self.dir.path().join(format!("{job}.media")))
            .ok()
            .map(|s| s.trim().to_owned())
    }

    /// The document job `job` sent, found in the spool as `<job>-<name>.<ext>` (not the
    /// command's `.prn` output), waiting up to 5 s for it to appear.
    pub fn received(&self, job: &str) -> (PathBuf, Vec<u8>) {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            if let Some(path) = self.find(job) {
                return (path.clone(), std::fs::read(&path).unwrap());
            }
            assert!(
                Instant::now() < deadline,
                "no document for job {job} in {}: {:?}",
                self.spool.display(),
                self.listing()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn find(&self, job: &str) -> Option<PathBuf> {
        std::fs::read_dir(&self.spool)
            .ok()?
            .flatten()
            .map(|e| e.path())
            .find(|p| {
                let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                name.starts_with(&format!("{job}-")) && !name.ends_with(".prn")
            })
    }

    /// The spool's file names.
    pub fn listing(&self) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(&self.spool)
            .map(|d| {
                d.flatten()
                    .filter_map(|e| e.file_name().to_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    }

    /// The printer's log.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("ippeveprinter.log")).unwrap_or_default()
    }

    /// The directory, for files next to the printer.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Printer {
    fn drop(&mut self) {
        self.stop();
    }
}
