//! The NB-1010 recording of the shared test data and umockdev, for the tests that replay it:
//! this crate's own and `rekamd`'s (which includes this file by path).

use std::path::{Path, PathBuf};
use std::process::Command;

/// The recording's folder (`device`, `capture.ioctl`, `capture.png`); fails loudly when the
/// shared test data is missing.
pub fn recording() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/testdata/usb-recordings/nb1010");
    assert!(
        dir.join("capture.ioctl").is_file(),
        "the NB-1010 recording is missing: expected shared/testdata/usb-recordings/nb1010 beside \
         the repository ({})",
        dir.display()
    );
    dir
}

/// The device node the recording names (its `N:` line), e.g. /dev/bus/usb/001/003.
pub fn node(device_file: &Path) -> String {
    let text = std::fs::read_to_string(device_file).expect("read the recording's device file");
    let line = text
        .lines()
        .find(|l| l.starts_with("N: bus/usb/"))
        .expect("the device file names its node");
    let path = line[3..].split('=').next().expect("node path");
    format!("/dev/{path}")
}

/// Fails the test, naming the Debian package, when `umockdev-run` is missing.
pub fn require_umockdev() {
    match Command::new("umockdev-run").arg("--version").output() {
        Ok(out) if out.status.success() => {}
        Ok(out) => panic!(
            "umockdev-run --version failed ({}): reinstall the Debian package `umockdev`",
            out.status
        ),
        Err(e) => panic!(
            "umockdev-run not found ({e}): install the Debian package `umockdev` \
             (apt-get install umockdev libusb-1.0-0-dev pkg-config)"
        ),
    }
}
