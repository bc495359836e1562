//! What a full enrolment's captures cost at zero latency (three slaps, face, both irises,
//! signature, with their previews). Printed, not asserted: timings depend on the build profile
//! and the machine. Run `cargo test -p rekam-sim --release --test cost -- --nocapture`.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use rekam_hal::{
    Eye, FaceCaptureRequest, IrisCaptureRequest, SignatureCaptureRequest, SimSubject, SlapKind,
};

#[test]
fn full_enrolment_cost_is_reported() {
    let world = world();
    let (mut scanner, _) = scanner(&world);
    let (mut camera, _) = face(&world);
    let (mut iris_cam, _) = iris(&world);
    let (mut pad, _) = pad(&world);
    let mut best: Option<(Duration, Duration)> = None;
    let mut frames = 0;
    for round in 0..5u64 {
        let subject = Some(SimSubject(round));
        let wall = Instant::now();
        let cpu = thread_cpu();
        let mut rec = Recorder::default();
        for kind in [SlapKind::RightFour, SlapKind::LeftFour, SlapKind::Thumbs] {
            let req = rekam_hal::FingerCaptureRequest {
                slap: kind,
                expected: kind.fingers(),
                subject,
            };
            scanner.capture(&req, &ctl(), &mut rec).unwrap();
        }
        let req = FaceCaptureRequest {
            subject,
            max_preview_frames: 0,
        };
        camera.capture(&req, &ctl(), &mut rec).unwrap();
        let req = IrisCaptureRequest {
            eyes: Eye::BOTH.to_vec(),
            subject,
        };
        iris_cam.capture(&req, &ctl(), &mut rec).unwrap();
        pad.capture(&SignatureCaptureRequest { subject }, &ctl(), &mut rec)
            .unwrap();
        let wall = wall.elapsed();
        let cpu = match (cpu, thread_cpu()) {
            (Some(a), Some(b)) => b.saturating_sub(a),
            _ => wall,
        };
        frames = rec.frames.len();
        best = Some(match best {
            Some((w, c)) => (w.min(wall), c.min(cpu)),
            None => (wall, cpu),
        });
    }
    let (wall, cpu) = best.unwrap();
    assert_eq!(frames, 5 * 3, "three previews per camera or slap capture");
    println!(
        "full enrolment captures (best of 5, {} build): {cpu:?} CPU, {wall:?} wall, {frames} previews",
        if cfg!(debug_assertions) { "debug" } else { "release" }
    );
}
