//! The driver against a real sensor's recorded USB conversation, replayed by umockdev.
//!
//! The recording (`shared/testdata/usb-recordings/nb1010`, from libfprint's test fixtures) is
//! one capture on a NEXT Biometrics NB-1010-U: sysfs and descriptors (`device`), the usbdevfs
//! conversation (`capture.ioctl`) and the image it yields (`capture.png`). cargo must not run
//! under umockdev's preload, so these tests run the already-built `rekam-usbfp` binary under
//! `umockdev-run`. Without umockdev they fail, naming the Debian package.
// Test support: a failed expectation here is a failed test, which is what panicking is for.
#![allow(clippy::expect_used, clippy::panic)]

mod support;
use support::{node, recording, require_umockdev};

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_rekam-usbfp");

/// Runs `rekam-usbfp ARGS` under umockdev-run replaying the recording; kills it (by its own
/// PID) after a minute.
fn replay(args: &[&str]) -> Output {
    require_umockdev();
    let dir = recording();
    let device = dir.join("device");
    let ioctl = format!("{}={}", node(&device), dir.join("capture.ioctl").display());
    let mut child = Command::new("umockdev-run")
        .arg("-d")
        .arg(&device)
        .arg("-i")
        .arg(&ioctl)
        .arg("--")
        .arg(BIN)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start umockdev-run");
    let start = Instant::now();
    loop {
        if child.try_wait().expect("wait for umockdev-run").is_some() {
            break;
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let out = child.wait_with_output().expect("collect output");
            panic!(
                "umockdev replay hung; stderr: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("collect output")
}

/// A PNG's pixels as 8-bit grey: grey images as they are, RGB ones (libfprint's fixtures are
/// written through cairo as RGB) checked to be grey and reduced to one channel.
fn grey_pixels(path: &Path) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(path).expect("open png"),
    ));
    let mut reader = decoder.read_info().expect("png header");
    let mut buf = vec![0; reader.output_buffer_size().expect("png size")];
    let info = reader.next_frame(&mut buf).expect("png frame");
    assert_eq!(info.bit_depth, png::BitDepth::Eight);
    let data = &buf[..info.buffer_size()];
    let grey = match info.color_type {
        png::ColorType::Grayscale => data.to_vec(),
        png::ColorType::Rgb => data
            .chunks_exact(3)
            .map(|p| {
                assert!(p[0] == p[1] && p[1] == p[2], "the reference image is grey");
                p[1]
            })
            .collect(),
        other => panic!("unexpected PNG colour type {other:?}"),
    };
    (info.width, info.height, grey)
}

#[test]
fn the_replayed_capture_is_the_recorded_image_pixel_for_pixel() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("capture.png");
    let run = replay(&["capture", out.to_str().expect("utf-8 path")]);
    assert!(
        run.status.success(),
        "capture under replay failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let (w, h, got) = grey_pixels(&out);
    let (rw, rh, want) = grey_pixels(&recording().join("capture.png"));
    assert_eq!((w, h), (rw, rh));
    assert_eq!((w, h), (256, 180));
    let differing = got.iter().zip(&want).filter(|(a, b)| a != b).count();
    assert_eq!(differing, 0, "{differing} pixels differ from capture.png");
}

#[test]
fn the_replayed_sensor_is_listed_as_accessible() {
    let run = replay(&["list"]);
    assert!(run.status.success());
    let text = String::from_utf8_lossy(&run.stdout);
    assert!(
        text.contains("usb:298d:1010  NEXT Biometrics NB-1010-U  /dev/bus/usb/001/003  ok"),
        "{text}"
    );
}

#[test]
fn a_command_off_the_recording_fails_with_an_io_error() {
    // The recorded first command with another sequence byte.
    let run = replay(&["send", "8038020008000000"]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("error (io)"), "{stderr}");

    // Along the recording first (the finger check, answered with the recorded level 0xf7),
    // then a capture preparation whose payload differs from the recorded one.
    let run = replay(&["send", "8038010008000000", "800d03000c00000000050000"]);
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(
        stdout.lines().next(),
        Some("803701001000000000000000f7000000"),
        "the recorded reply to the recorded command; stderr: {stderr}"
    );
    assert_eq!(run.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("error (io)"), "{stderr}");
}

#[test]
fn one_placement_gives_one_image() {
    // The recording holds one capture; a second one first waits for the finger to lift, which
    // the replayed sensor never reports: no second image, the capture ends with an error.
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("capture.png");
    let run = replay(&[
        "capture",
        out.to_str().expect("utf-8 path"),
        "--count",
        "2",
        "--timeout-ms",
        "1500",
    ]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{stderr}");
    assert!(out.is_file(), "the first image was saved");
    assert!(!tmp.path().join("capture-2.png").exists());
    assert!(stderr.contains("lift the finger"), "{stderr}");
    assert!(
        stderr.contains("error (timeout)") || stderr.contains("error (io)"),
        "{stderr}"
    );
}
