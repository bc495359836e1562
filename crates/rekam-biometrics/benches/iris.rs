//! Iris check timings on simulated 640x480 near-infrared eye images: every check on one image
//! (`assess`: segmentation and all ISO/IEC 29794-6 measures) and the segmentation alone.
//!
//! `cargo bench -p rekam-biometrics --bench iris`. Single-threaded, so the figures are per
//! core; an enrolment assesses two eyes.
// Test support: a failed expectation here is a failed test, which is what panicking is for.
#![allow(clippy::expect_used, clippy::panic)]

use criterion::{criterion_group, criterion_main, Criterion};
use rekam_biometrics::iris::{assess, segment, IrisThresholds};
use rekam_hal::{Eye, PixelFormat, RawImage, SimSubject};
use rekam_sim::synth::eye_identity;
use rekam_sim::synth::iris::{render_params, IrisParams, HEIGHT, WIDTH};

fn eye(subject: u64) -> RawImage {
    let p = IrisParams::natural(eye_identity(SimSubject(subject), Eye::Right), subject + 1);
    RawImage {
        width: WIDTH,
        height: HEIGHT,
        format: PixelFormat::Gray8,
        ppi: None,
        data: render_params(&p),
    }
}

fn bench(c: &mut Criterion) {
    let images: Vec<RawImage> = (0..8).map(eye).collect();
    let t = IrisThresholds::default();
    let mut g = c.benchmark_group("iris");
    g.sample_size(30);
    let mut i = 0;
    g.bench_function("assess_640x480", |b| {
        b.iter(|| {
            i = (i + 1) % images.len();
            assess(&images[i], &t).expect("assessable")
        })
    });
    g.bench_function("segment_640x480", |b| {
        b.iter(|| {
            i = (i + 1) % images.len();
            segment(&images[i]).expect("segmentable")
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
