//! Lossless JPEG 2000 encode (and decode) time on enrolment-sized images: a 500x600 500 ppi
//! flat fingerprint, a 640x480 near-infrared iris and a 640x480 portrait in grey and in RGB.
//!
//! `cargo bench -p rekam-jp2 --bench encode`. The compressed sizes are printed once.
// Test support: a failed expectation here is a failed test, which is what panicking is for.
#![allow(clippy::expect_used, clippy::panic)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rekam_hal::{Eye, Finger, SimSubject};
use rekam_jp2::{decode, encode_lossless};
use rekam_sim::synth::{eye_identity, face, face_identity, finger, finger_identity, iris};

fn images() -> Vec<(&'static str, Vec<u8>, u32, u32, u8)> {
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
    vec![
        ("finger 500x600 grey", flat.data, flat.width, flat.height, 1),
        ("iris 640x480 grey", eye, iris::WIDTH, iris::HEIGHT, 1),
        ("face 640x480 grey", grey, face::WIDTH, face::HEIGHT, 1),
        ("face 640x480 rgb", rgb, face::WIDTH, face::HEIGHT, 3),
    ]
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("jp2 lossless");
    g.sample_size(20);
    for (name, px, w, h, ch) in images() {
        let encoded = encode_lossless(&px, w, h, ch).expect("encodes");
        eprintln!(
            "{name}: {} -> {} bytes ({:.1} %)",
            px.len(),
            encoded.len(),
            100.0 * encoded.len() as f64 / px.len() as f64
        );
        g.throughput(Throughput::Elements(u64::from(w) * u64::from(h)));
        g.bench_function(format!("encode {name}"), |b| {
            b.iter(|| encode_lossless(black_box(&px), w, h, ch).expect("encodes"))
        });
        g.bench_function(format!("decode {name}"), |b| {
            b.iter(|| decode(black_box(&encoded)).expect("decodes"))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
