//! A real pcscd with the vpcd virtual reader, private to this test process.
//!
//! How it runs (and why):
//! - `pcscd --foreground -c CONF` reads a private reader.conf.d naming the vpcd driver
//!   (`/usr/lib/pcsc/drivers/serial/libifdvpcd.so`, channel `0x8C7B`: TCP 35963).
//! - It runs under `unshare --net --mount`: its own network namespace (loopback up), so vpcd's
//!   ports, which bind every address, stay off the network; and its own mount namespace, where
//!   a private directory is bind-mounted on `/run/pcscd`. pcscd 1.9.9 always puts its socket
//!   at `/run/pcscd/pcscd.comm` (it ignores `PCSCLITE_CSOCK_NAME`), so without this only one
//!   pcscd could run on the machine; with it the socket is `DIR/run/pcscd.comm`, nothing
//!   global is touched and no stale socket can exist. The client library does honour
//!   `PCSCLITE_CSOCK_NAME`, which the harness sets for this process.
//! - The virtual card (`rekam-vcard`) runs inside this process: its link thread joins pcscd's
//!   network namespace (`setns` on `/proc/PID/ns/net`) and connects to vpcd.
//! - libpcsclite reads `PCSCLITE_CSOCK_NAME` once per process, so every test of this binary uses
//!   the same socket path, and the tests are serialised by [`lock`]: one pcscd at a time, each
//!   test starting and stopping its own (by PID, SIGTERM then SIGKILL).
//!
//! A missing component makes the test fail with the Debian package to install.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use rekam_vcard::{insert, Insertion, Target, VirtualCard};

/// The vpcd driver Debian's `vsmartcard-vpcd` installs.
pub const VPCD_DRIVER: &str = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so";
/// The first vpcd reader.
pub const READER: &str = "Virtual PCD 00 00";

fn require(path: &str, package: &str) {
    assert!(
        Path::new(path).exists(),
        "{path} is missing: install the Debian package `{package}` \
         (apt-get install -y --no-install-recommends {package})"
    );
}

fn which(cmd: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join(cmd))
            .find(|c| c.exists())
    })
}

fn require_cmd(cmd: &str, package: &str) {
    assert!(
        which(cmd).is_some() || Path::new(&format!("/usr/sbin/{cmd}")).exists(),
        "`{cmd}` is missing: install the Debian package `{package}`"
    );
}

/// The process-wide private directory (socket and config).
fn base() -> &'static PathBuf {
    static BASE: OnceLock<PathBuf> = OnceLock::new();
    BASE.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("rekam-pcscd-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("run")).unwrap();
        std::fs::create_dir_all(dir.join("conf")).unwrap();
        std::fs::write(
            dir.join("conf/vpcd"),
            format!(
                "FRIENDLYNAME \"Virtual PCD\"\nDEVICENAME /dev/null:0x8C7B\nLIBPATH {VPCD_DRIVER}\nCHANNELID 0x8C7B\n"
            ),
        )
        .unwrap();
        // Set before the first PC/SC call of this process; never changed afterwards.
        std::env::set_var("PCSCLITE_CSOCK_NAME", dir.join("run/pcscd.comm"));
        dir
    })
}

/// Serialises the tests of this binary (one pcscd at a time).
pub fn lock() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|p| p.into_inner())
}

/// A running pcscd in its own namespaces.
pub struct Pcscd {
    child: Option<Child>,
    dir: PathBuf,
    log: PathBuf,
}

impl Pcscd {
    /// Starts pcscd and waits until it lists the vpcd reader.
    pub fn start() -> Pcscd {
        require("/usr/sbin/pcscd", "pcscd");
        require(VPCD_DRIVER, "vsmartcard-vpcd");
        require_cmd("unshare", "util-linux");
        require_cmd("ip", "iproute2");
        let dir = base().clone();
        let socket = dir.join("run/pcscd.comm");
        let _ = std::fs::remove_file(&socket);
        let _ = std::fs::remove_file(dir.join("run/pcscd.pid"));
        std::fs::create_dir_all("/run/pcscd").unwrap();
        let log = dir.join("pcscd.log");
        let script = format!(
            "mount --bind {run} /run/pcscd && ip link set lo up && exec /usr/sbin/pcscd --foreground --debug --apdu -c {conf}",
            run = dir.join("run").display(),
            conf = dir.join("conf").display(),
        );
        let child = Command::new("unshare")
            .args(["--net", "--mount", "--", "sh", "-c", &script])
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(std::fs::File::create(dir.join("pcscd.err")).unwrap())
            .spawn()
            .expect("spawn unshare (Debian package util-linux)");
        let mut p = Pcscd {
            child: Some(child),
            dir,
            log,
        };
        let end = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = p.child.as_mut().unwrap().try_wait().unwrap() {
                panic!("pcscd exited at start ({status}): {}", p.logs());
            }
            if socket.exists() {
                if let Ok(ctx) = pcsc::Context::establish(pcsc::Scope::User) {
                    if let Ok(readers) = ctx.list_readers_owned() {
                        if readers.iter().any(|r| r.to_string_lossy() == READER) {
                            break;
                        }
                    }
                }
            }
            assert!(
                Instant::now() < end,
                "pcscd did not list {READER}: {}",
                p.logs()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        p
    }

    /// pcscd's process id (its network namespace is the card's).
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// pcscd's output so far.
    pub fn logs(&self) -> String {
        let out = std::fs::read_to_string(&self.log).unwrap_or_default();
        let err = std::fs::read_to_string(self.dir.join("pcscd.err")).unwrap_or_default();
        let tail = |s: &str| {
            s.lines()
                .rev()
                .take(40)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<Vec<_>>()
                .join("\n")
        };
        format!(
            "--- pcscd stdout ---\n{}\n--- stderr ---\n{}",
            tail(&out),
            tail(&err)
        )
    }

    /// Puts `card` in the first vpcd reader.
    pub fn insert(&self, card: &VirtualCard) -> Insertion {
        insert(card, &Target::in_netns_of(self.pid())).unwrap()
    }

    /// Stops pcscd (SIGTERM, then SIGKILL after 5 s) and waits for it.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let end = Instant::now() + Duration::from_secs(5);
        while Instant::now() < end {
            if child.try_wait().ok().flatten().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for Pcscd {
    fn drop(&mut self) {
        self.stop();
    }
}
