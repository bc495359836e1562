//! The driver on real pseudo-terminals, with a scripted Topaz pad on the other end.
//!
//! - A pty pair (openpty through serialport's `TTYPort::pair`): the driver opens the slave
//!   by path, exactly as it opens `/dev/ttyUSB0`; the pad waits for the driver's LCD clear,
//!   then signs with noise and a cut packet between strokes, and taps accept.
//! - Two ptys joined by socat (Debian `socat`), started and stopped by process id: the line is
//!   cut in the middle of the signature (socat killed) and comes back under the same path (a
//!   new socat), and the driver reopens it and keeps the whole signature. A missing socat
//!   fails the test; it never skips.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rekam_dev_serial::capture::{strokes, Buttons};
use rekam_dev_serial::script::{self, SignOptions};
use rekam_dev_serial::topaz::{self, encode_pen, lcd};
use rekam_hal::{AnyDevice, Control, DeviceId, DeviceSelector, NullSink, SignatureCaptureRequest};
use serialport::{SerialPort, TTYPort};

fn open_pad(path: &str, options: &str) -> AnyDevice {
    let selector = DeviceSelector::Serial {
        path: format!("{path}?{options}"),
    };
    rekam_dev_serial::open(DeviceId::new("serial:signature:0").unwrap(), &selector).unwrap()
}

fn capture(device: &mut AnyDevice, limit: Duration) -> rekam_hal::SignatureCapture {
    let AnyDevice::Signature(pad) = device else {
        panic!("not a signature pad");
    };
    let ctl = Control::with_timeout(limit);
    pad.capture(
        &SignatureCaptureRequest { subject: None },
        &ctl,
        &mut NullSink,
    )
    .unwrap()
}

/// Reads from the pad's end until `byte` arrives.
fn wait_for(line: &mut dyn Read, byte: u8, limit: Duration) {
    let end = Instant::now() + limit;
    let mut one = [0u8; 1];
    while Instant::now() < end {
        match line.read(&mut one) {
            Ok(1) if one[0] == byte => return,
            _ => {}
        }
    }
    panic!("the driver never sent {byte:#04x}");
}

#[test]
fn a_signature_through_a_pty_pair_decodes_to_the_signed_strokes() {
    let (mut master, slave) = TTYPort::pair().unwrap();
    let path = slave.name().unwrap();
    master.set_timeout(Duration::from_millis(100)).unwrap();
    let model = topaz::model("siglite-lcd-1x5").unwrap();
    let want = script::test_signature(model);
    let buttons = Buttons::default_for(model);

    let pad = std::thread::spawn(move || {
        // The driver clears the LCD when the capture starts: then the signer signs.
        wait_for(&mut master, lcd::CLEAR, Duration::from_secs(10));
        let opts = SignOptions {
            pressure: true,
            accept: None,
        };
        for (i, stroke) in want.iter().enumerate() {
            // Noise and half a packet before each stroke.
            master.write_all(&[0x05, 0x7E]).unwrap();
            master
                .write_all(&encode_pen(9, 9, true, true)[..2])
                .unwrap();
            master.flush().unwrap();
            std::thread::sleep(Duration::from_millis(60 + 20 * i as u64));
            let packets = script::packets(model, std::slice::from_ref(stroke), opts);
            script::play(&mut master, &packets, 4, Duration::from_millis(2)).unwrap();
        }
        let tap = script::packets(
            model,
            &[],
            SignOptions {
                pressure: false,
                accept: Some(buttons),
            },
        );
        script::play(&mut master, &tap, 5, Duration::from_millis(2)).unwrap();
        // The driver clears the LCD again when the capture ends.
        wait_for(&mut master, lcd::CLEAR, Duration::from_secs(10));
        want
    });

    let mut device = open_pad(
        &path,
        "model=siglite-lcd-1x5&buttons=on&idle_ms=20000&pressure=on",
    );
    let cap = capture(&mut device, Duration::from_secs(20));
    let want = pad.join().unwrap();
    drop(slave);
    script::compare_strokes(&strokes(&cap.samples), &want, 1).unwrap();
    assert!(cap.samples.windows(2).all(|w| w[0].t_ms <= w[1].t_ms));
    // Stamped on arrival: the pauses between strokes show in the times.
    let firsts: Vec<u32> = strokes(&cap.samples).iter().map(|s| s[0].t_ms).collect();
    assert!(firsts[1] >= 60 && firsts[2] > firsts[1], "{firsts:?}");
    assert!(cap
        .samples
        .iter()
        .filter(|s| s.pen_down)
        .all(|s| s.pressure >= 200));
    assert_eq!(cap.quality, Some(100));
    assert_eq!((cap.image.width, cap.image.height), (1000, 350));
}

/// socat joining two ptys under fixed link names; killed by its process id on drop.
struct Socat {
    child: Child,
}

impl Socat {
    fn start(pad: &Path, host: &Path) -> Socat {
        let child = Command::new("socat")
            .arg("-d")
            .arg(format!("pty,raw,echo=0,link={}", pad.display()))
            .arg(format!("pty,raw,echo=0,link={}", host.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start socat ({e}): install the Debian package socat")
            });
        let end = Instant::now() + Duration::from_secs(10);
        while !(pad.exists() && host.exists()) {
            assert!(Instant::now() < end, "socat made no ptys within 10 s");
            std::thread::sleep(Duration::from_millis(20));
        }
        Socat { child }
    }

    fn stop(mut self, pad: &Path, host: &Path) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // socat removes its links on a clean exit only.
        let _ = std::fs::remove_file(pad);
        let _ = std::fs::remove_file(host);
    }
}

impl Drop for Socat {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn open_pad_end(path: &Path) -> TTYPort {
    serialport::new(path.to_string_lossy(), 19200)
        .timeout(Duration::from_millis(100))
        .open_native()
        .unwrap()
}

#[test]
fn a_line_cut_mid_signature_is_reopened_and_the_signature_completes() {
    let dir = tempfile::tempdir().unwrap();
    let pad_path: PathBuf = dir.path().join("pad");
    let host_path: PathBuf = dir.path().join("host");
    let socat = Socat::start(&pad_path, &host_path);
    let model = topaz::model("siglite-lcd-1x5").unwrap();
    let want = script::test_signature(model);
    let opts = SignOptions {
        pressure: false,
        accept: None,
    };

    let host = host_path.to_string_lossy().into_owned();
    let driver = std::thread::spawn(move || {
        let mut device = open_pad(&host, "model=siglite-lcd-1x5&idle_ms=2500");
        capture(&mut device, Duration::from_secs(30))
    });

    let mut line = open_pad_end(&pad_path);
    wait_for(&mut line, lcd::CLEAR, Duration::from_secs(10));
    // The first stroke, then half a packet, and the line is cut.
    let first = script::packets(model, &want[..1], opts);
    script::play(&mut line, &first, 4, Duration::from_millis(2)).unwrap();
    line.write_all(&encode_pen(50, 50, true, true)[..3])
        .unwrap();
    line.flush().unwrap();
    std::thread::sleep(Duration::from_millis(100));
    drop(line);
    socat.stop(&pad_path, &host_path);
    std::thread::sleep(Duration::from_millis(300));

    // The line comes back under the same name; the signer goes on.
    let socat = Socat::start(&pad_path, &host_path);
    let mut line = open_pad_end(&pad_path);
    // The driver reopens within its retry period and shows ink again.
    wait_for(&mut line, lcd::PERSISTENT_INK, Duration::from_secs(10));
    let rest = script::packets(model, &want[1..], opts);
    script::play(&mut line, &rest, 4, Duration::from_millis(2)).unwrap();

    let cap = driver.join().unwrap();
    drop(line);
    socat.stop(&pad_path, &host_path);
    script::compare_strokes(&strokes(&cap.samples), &want, 1).unwrap();
}
