//! Face check timings on simulated 640x480 stills: every check on one still (`assess`), the
//! detector alone, and the token image for the chip (crop and JPEG to 4000 bytes).
//!
//! `cargo bench -p rekam-biometrics --bench face`. The detector is single-threaded (rustface
//! without rayon), so the figures are per core.
// Test support: a failed expectation here is a failed test, which is what panicking is for.
#![allow(clippy::expect_used, clippy::panic)]

use criterion::{criterion_group, criterion_main, Criterion};
use rekam_biometrics::face::{assess, token_image, FaceThresholds, TokenOptions};
use rekam_hal::{RawImage, SimSubject};
use rekam_sim::synth::face::{render_params, FaceParams};
use rekam_sim::synth::face_identity;

fn still(subject: u64) -> RawImage {
    let p = FaceParams::new(face_identity(SimSubject(subject)), subject + 1);
    RawImage::rgb(p.width, p.height, render_params(&p)).expect("a simulated still fits its size")
}

fn bench(c: &mut Criterion) {
    let images: Vec<RawImage> = (0..4).map(still).collect();
    let t = FaceThresholds::default();
    let mut g = c.benchmark_group("face");
    g.sample_size(30);
    let mut i = 0;
    g.bench_function("assess_640x480", |b| {
        b.iter(|| {
            i = (i + 1) % images.len();
            assess(&images[i], &t).expect("assessable")
        })
    });
    let eyes: Vec<_> = images
        .iter()
        .map(|img| {
            assess(img, &t)
                .expect("assessable")
                .eyes
                .expect("a face in every simulated still")
        })
        .collect();
    let opts = TokenOptions::default();
    g.bench_function("token_image_4000_bytes", |b| {
        b.iter(|| {
            i = (i + 1) % images.len();
            token_image(&images[i], &eyes[i], &opts).expect("fits")
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
