//! Time per image: quality of a 500x600 flat impression and of a fingertip cut from a slap,
//! and segmentation of a 1600x1000 four-finger slap (simulated prints, 500 ppi).
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use rekam_biometrics::fingerprint::quality::assess;
use rekam_biometrics::fingerprint::segment::segment;
use rekam_hal::{Finger, SimSubject, SlapKind};
use rekam_sim::synth::finger::{render_flat, render_slap, PlacedFinger};
use rekam_sim::synth::finger_identity;

fn bench(c: &mut Criterion) {
    let subject = SimSubject(7);
    let flat = render_flat(
        finger_identity(subject, Finger::RightIndex),
        Finger::RightIndex,
        11,
    );
    let placed: Vec<PlacedFinger> = SlapKind::RightFour
        .fingers()
        .into_iter()
        .map(|finger| PlacedFinger {
            finger,
            identity: finger_identity(subject, finger),
        })
        .collect();
    let slap = render_slap(SlapKind::RightFour, &placed, 3, false).image;
    let tip = match segment(&slap, SlapKind::RightFour) {
        Ok(seg) => seg.fingers.into_iter().next().map(|f| f.image),
        Err(_) => None,
    };

    let mut g = c.benchmark_group("fingerprint");
    g.sample_size(30);
    g.bench_function("quality_flat_500x600", |b| {
        b.iter(|| assess(black_box(&flat)))
    });
    if let Some(tip) = tip {
        g.bench_function("quality_slap_tip", |b| b.iter(|| assess(black_box(&tip))));
    }
    g.bench_function("segment_slap_1600x1000", |b| {
        b.iter(|| segment(black_box(&slap), SlapKind::RightFour))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
