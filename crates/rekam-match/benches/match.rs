//! Timings of template extraction (one 500x600 synthetic impression at 500 ppi) and of one
//! comparison (a card template against a live one, default caps), on one core.
//!
//! `cargo bench -p rekam-match --bench match`. Targets: extraction under 50 ms, comparison
//! under 5 ms.
// Test support: a failed expectation here is a failed test, which is what panicking is for.
#![allow(clippy::expect_used, clippy::panic)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use rekam_hal::{Finger, SimIdentity};
use rekam_match::{compare, extract, ExtractOptions, Template};
use rekam_sim::synth::finger::{impression, ImpressionParams, MasterPrint};

fn bench(c: &mut Criterion) {
    let opts = ExtractOptions::default();
    let images: Vec<_> = (0..4u64)
        .map(|i| {
            let master = MasterPrint::generate(SimIdentity(0xBE7C_0000 + i), Finger::RightIndex);
            (
                impression(&master, &ImpressionParams::from_seed(2 * i)),
                impression(&master, &ImpressionParams::from_seed(2 * i + 1)),
            )
        })
        .collect();
    c.bench_function("extract 500x600", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % images.len();
            black_box(extract(black_box(&images[i].0), &opts))
        })
    });
    let Ok(pairs) = images
        .iter()
        .map(|(a, b)| {
            let card = extract(a, &opts)?.to_compact_card()?;
            Ok::<_, rekam_match::MatchError>((
                Template::from_compact_card(&card)?,
                extract(b, &opts)?,
            ))
        })
        .collect::<Result<Vec<_>, _>>()
    else {
        panic!("the bench images yield templates");
    };
    c.bench_function("compare genuine", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % pairs.len();
            black_box(compare(black_box(&pairs[i].0), black_box(&pairs[i].1)))
        })
    });
    c.bench_function("compare impostor", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % pairs.len();
            let j = (i + 1) % pairs.len();
            black_box(compare(black_box(&pairs[i].0), black_box(&pairs[j].1)))
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
