//! Cancellation and deadlines at realistic latency: a cancelled call ends at once, the device
//! takes the next call, a cancelled chip write tears the chip, a cancelled print leaves a
//! partial face.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use rekam_hal::{
    CancelToken, ChipFiles, Control, ErrorKind, FaceCaptureRequest, NullSink, SimSubject, SlapKind,
    WritePermit,
};
use rekam_sim::{SimConfig, SimLatency, SimWorld};

fn realistic() -> SimWorld {
    SimWorld::new(SimConfig {
        latency: SimLatency::realistic(),
        ..SimConfig::default()
    })
}

/// Cancels `token` from another thread after `after`.
fn cancel_later(token: CancelToken, after: Duration) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        std::thread::sleep(after);
        token.cancel();
    })
}

#[test]
fn cancelled_capture_ends_quickly_and_the_next_one_works() {
    let world = realistic();
    let (mut scanner, _) = scanner(&world);
    let ctl = Control::with_timeout(Duration::from_secs(60));
    let t = cancel_later(ctl.token().clone(), Duration::from_millis(300));
    let mut rec = Recorder::default();
    let start = Instant::now();
    let err = scanner
        .capture(&slap(SlapKind::RightFour, 1), &ctl, &mut rec)
        .unwrap_err();
    let took = start.elapsed();
    t.join().unwrap();
    assert_eq!(err.kind(), ErrorKind::Cancelled);
    assert!(took < Duration::from_millis(800), "took {took:?}");
    assert!(
        !rec.frames.is_empty(),
        "previews streamed before the cancel"
    );
    assert!(
        rec.guidance.is_empty(),
        "no final guidance for a cancelled capture"
    );

    scanner.recover(&common::ctl()).unwrap();
    let mut rec = Recorder::default();
    let start = Instant::now();
    let cap = scanner
        .capture(&slap(SlapKind::RightFour, 1), &common::ctl(), &mut rec)
        .unwrap();
    assert!(
        start.elapsed() >= Duration::from_millis(1400),
        "realistic capture time"
    );
    assert_eq!(cap.segments.unwrap().len(), 4);
    // 1.5 s at 66 ms: 22 frames.
    assert!(
        (20..=23).contains(&rec.frames.len()),
        "{}",
        rec.frames.len()
    );
}

#[test]
fn a_deadline_is_a_timeout_not_a_cancel() {
    let world = realistic();
    let (mut camera, _) = face(&world);
    let req = FaceCaptureRequest {
        subject: Some(SimSubject(1)),
        max_preview_frames: 0,
    };
    let err = camera
        .capture(
            &req,
            &Control::with_timeout(Duration::from_millis(200)),
            &mut NullSink,
        )
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert!(err.device().is_some());
    let cap = camera.capture(&req, &common::ctl(), &mut NullSink).unwrap();
    assert!(cap.quality.is_some());
}

#[test]
fn an_already_cancelled_control_does_nothing() {
    let world = world();
    let (mut printer, _) = printer(&world);
    let ctl = common::ctl();
    ctl.token().cancel();
    assert_eq!(printer.feed(&ctl).unwrap_err().kind(), ErrorKind::Cancelled);
    assert_eq!(
        printer.status(&ctl).unwrap_err().kind(),
        ErrorKind::Cancelled
    );
    assert_eq!(
        printer.recover(&ctl).unwrap_err().kind(),
        ErrorKind::Cancelled
    );
    assert_eq!(world.blanks(), 200);
    assert!(world.card_in_path().is_none());
}

#[test]
fn cancelled_chip_write_tears_the_chip() {
    let world = SimWorld::new(SimConfig {
        latency: SimLatency {
            write_per_kib: Duration::from_millis(150),
            ..SimLatency::zero()
        },
        ..SimConfig::default()
    });
    let (mut printer, _) = printer(&world);
    let (mut encoder, _) = encoder(&world);
    printer.feed(&common::ctl()).unwrap();
    let mut files = ChipFiles::default();
    files.files.insert(0x0101, vec![1; 2048]);
    files.files.insert(0x0102, vec![2; 4096]);
    // 6 KiB at 150 ms/KiB: 900 ms; cancel after 250 ms.
    let ctl = Control::with_timeout(Duration::from_secs(60));
    let t = cancel_later(ctl.token().clone(), Duration::from_millis(250));
    let start = Instant::now();
    let err = encoder
        .write(&files, WritePermit::allow_irreversible_write(), &ctl)
        .unwrap_err();
    t.join().unwrap();
    assert_eq!(err.kind(), ErrorKind::Cancelled);
    assert!(start.elapsed() < Duration::from_millis(600));
    let card = world.card_in_path().unwrap();
    assert!(card.torn);
    let written = card.files.total_len();
    assert!(written > 0 && written < 6144, "{written} bytes written");
    // The encoder is usable; the torn chip is not: the workflow rejects it.
    encoder.recover(&common::ctl()).unwrap();
    assert_eq!(encoder.read(&common::ctl()).unwrap().total_len(), written);
    assert_eq!(
        encoder
            .write(
                &files,
                WritePermit::allow_irreversible_write(),
                &common::ctl()
            )
            .unwrap_err()
            .kind(),
        ErrorKind::Hardware
    );
    printer.reject(&common::ctl()).unwrap();
    assert!(world.rejected()[0].torn);
    assert!(world.ejected().is_empty());
}

#[test]
fn cancelled_print_leaves_a_partial_face() {
    let world = SimWorld::new(SimConfig {
        latency: SimLatency {
            print: Duration::from_secs(8),
            ..SimLatency::zero()
        },
        ..SimConfig::default()
    });
    let (mut printer, _) = printer(&world);
    printer.feed(&common::ctl()).unwrap();
    let ctl = Control::with_timeout(Duration::from_secs(60));
    let t = cancel_later(ctl.token().clone(), Duration::from_millis(100));
    let start = Instant::now();
    let err = printer.print(&card_face(3), &ctl).unwrap_err();
    t.join().unwrap();
    assert_eq!(err.kind(), ErrorKind::Cancelled);
    assert!(start.elapsed() < Duration::from_secs(1));
    let face = world.card_in_path().unwrap().face.unwrap();
    assert!(!face.complete);
    assert_eq!(world.ribbon_left(), 499);
}

#[test]
fn self_test_reports_progress_and_can_be_cancelled() {
    let world = realistic();
    let (mut pad, _) = pad(&world);
    let ctl = Control::with_timeout(Duration::from_secs(60));
    let t = cancel_later(ctl.token().clone(), Duration::from_millis(300));
    let mut steps = Vec::new();
    let err = pad
        .self_test(&ctl, &mut |p| steps.push(p.step))
        .unwrap_err();
    t.join().unwrap();
    assert_eq!(err.kind(), ErrorKind::Cancelled);
    // 200 ms per step: the second step had started.
    assert_eq!(steps, ["pad responds", "digitizer"]);
    let report = pad.self_test(&common::ctl(), &mut |_| {}).unwrap();
    assert!(report.passed);
    assert!(report.took >= Duration::from_millis(590));
}
