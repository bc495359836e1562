//! Synthetic fingerprint speed: master print growth, one flat impression, a four-finger slap
//! with cold and warm master cache. `cargo bench -p rekam-sim --bench finger`.
#![allow(clippy::unwrap_used, missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;

use rekam_hal::{Finger, SimSubject, SlapKind};
use rekam_sim::synth::finger::{
    impression, render_slap, ImpressionParams, MasterPrint, PlacedFinger,
};
use rekam_sim::synth::finger_identity;

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("finger");
    g.sample_size(20);
    let mut subject = 0u64;
    g.bench_function("master_print", |b| {
        b.iter(|| {
            subject += 1;
            let id = finger_identity(SimSubject(subject), Finger::RightIndex);
            black_box(MasterPrint::generate(id, Finger::RightIndex))
        })
    });
    let master = MasterPrint::generate(
        finger_identity(SimSubject(1), Finger::RightIndex),
        Finger::RightIndex,
    );
    let mut seed = 0u64;
    g.bench_function("flat_impression", |b| {
        b.iter(|| {
            seed += 1;
            black_box(impression(&master, &ImpressionParams::from_seed(seed)))
        })
    });
    let placed = |s: u64| -> Vec<PlacedFinger> {
        SlapKind::RightFour
            .fingers()
            .into_iter()
            .map(|finger| PlacedFinger {
                finger,
                identity: finger_identity(SimSubject(s), finger),
            })
            .collect()
    };
    let warm = placed(1);
    g.bench_function("slap_four_warm_cache", |b| {
        b.iter(|| {
            seed += 1;
            black_box(render_slap(SlapKind::RightFour, &warm, seed, false))
        })
    });
    let mut cold = 1_000_000u64;
    g.bench_function("slap_four_cold_cache", |b| {
        b.iter(|| {
            cold += 1;
            black_box(render_slap(SlapKind::RightFour, &placed(cold), 1, false))
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
