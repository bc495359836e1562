//! Prints a table of lossless encode times (wall clock and this process's CPU time, so a busy
//! machine shows through) for enrolment-sized images.
//!
//! `cargo run --release -p rekam-jp2 --example encode_table`

use nix::time::{clock_gettime, ClockId};
use std::time::Instant;

use rekam_hal::{Eye, Finger, SimSubject};
use rekam_jp2::encode_lossless;
use rekam_sim::synth::{eye_identity, face, face_identity, finger, finger_identity, iris};

/// User plus system CPU time of this process so far, in seconds (CLOCK_PROCESS_CPUTIME_ID).
fn cpu_seconds() -> f64 {
    clock_gettime(ClockId::CLOCK_PROCESS_CPUTIME_ID)
        .map_or(0.0, |t| std::time::Duration::from(t).as_secs_f64())
}

fn main() {
    let flat = finger::render_flat(
        finger_identity(SimSubject(1), Finger::RightIndex),
        Finger::RightIndex,
        1,
    );
    let rgb = face::render(face_identity(SimSubject(1)), 1, false);
    let grey: Vec<u8> = rgb
        .chunks_exact(3)
        .map(|p| ((u32::from(p[0]) * 77 + u32::from(p[1]) * 150 + u32::from(p[2]) * 29) >> 8) as u8)
        .collect();
    let eye = iris::render(eye_identity(SimSubject(1), Eye::Right), 1, false);
    let images = [
        (
            "finger 500x600 grey",
            &flat.data,
            flat.width,
            flat.height,
            1u8,
        ),
        (
            "iris 640x480 grey (NIR)",
            &eye,
            iris::WIDTH,
            iris::HEIGHT,
            1,
        ),
        ("face 640x480 grey", &grey, face::WIDTH, face::HEIGHT, 1),
        ("face 640x480 rgb", &rgb, face::WIDTH, face::HEIGHT, 3),
    ];
    println!("| image | bytes out | wall ms/encode | CPU ms/encode |");
    println!("|---|---|---|---|");
    for (name, px, w, h, ch) in images {
        let n = 30;
        let mut size = 0;
        let (t, c) = (Instant::now(), cpu_seconds());
        for _ in 0..n {
            size = encode_lossless(px, w, h, ch).map(|b| b.len()).unwrap_or(0);
        }
        let wall = t.elapsed().as_secs_f64() * 1000.0 / f64::from(n);
        let cpu = (cpu_seconds() - c) * 1000.0 / f64::from(n);
        println!("| {name} | {size} | {wall:.1} | {cpu:.1} |");
    }
}
