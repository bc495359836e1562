//! Timings of template extraction (one 500x600 synthetic impression at 500 ppi) and of one
//! comparison (a card template against a live one, default caps), on one core: with
//! [`compare`] (both templates prepared on each call), with [`compare_prepared`] (the
//! reference prepared once, as at activation; the live template prepared per attempt) and with
//! `fprint-bozorth3` (the oracle of our BOZORTH3, for comparison).
//!
//! `cargo bench -p rekam-match --bench match`. Targets: extraction under 50 ms, comparison
//! under 5 ms.
// Test support: a failed expectation here is a failed test, which is what panicking is for.
#![allow(clippy::expect_used, clippy::panic)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use rekam_hal::{Finger, SimIdentity};
use rekam_match::{compare, compare_prepared, extract, ExtractOptions, Template};
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
    // As at activation: the chip's reference prepared once, each live template on its attempt.
    let references: Vec<_> = pairs.iter().map(|(r, _)| r.prepare()).collect();
    c.bench_function("compare_prepared genuine", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % pairs.len();
            let live = black_box(&pairs[i].1).prepare();
            black_box(compare_prepared(black_box(&references[i]), &live))
        })
    });
    // The spread behind the mean: each genuine pair on its own.
    for (i, reference) in references.iter().enumerate() {
        c.bench_function(&format!("compare_prepared genuine pair {i}"), |b| {
            b.iter(|| {
                let live = black_box(&pairs[i].1).prepare();
                black_box(compare_prepared(black_box(reference), &live))
            })
        });
    }
    c.bench_function("compare_prepared impostor", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % pairs.len();
            let j = (i + 1) % pairs.len();
            let live = black_box(&pairs[j].1).prepare();
            black_box(compare_prepared(black_box(&references[i]), &live))
        })
    });
    c.bench_function("prepare", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % pairs.len();
            black_box(black_box(&pairs[i].1).prepare())
        })
    });
    let xyt = |t: &Template| -> Vec<fprint_bozorth3::Minutia> {
        t.to_nist_xyt()
            .into_iter()
            .map(|(x, y, theta)| fprint_bozorth3::Minutia { x, y, theta })
            .collect()
    };
    let oracle_pairs: Vec<_> = pairs.iter().map(|(r, l)| (xyt(r), xyt(l))).collect();
    c.bench_function("fprint-bozorth3 genuine", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % oracle_pairs.len();
            let (r, l) = &oracle_pairs[i];
            black_box(fprint_bozorth3::match_score(black_box(l), black_box(r)))
        })
    });
    c.bench_function("fprint-bozorth3 impostor", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % oracle_pairs.len();
            let j = (i + 1) % oracle_pairs.len();
            black_box(fprint_bozorth3::match_score(
                black_box(&oracle_pairs[j].1),
                black_box(&oracle_pairs[i].0),
            ))
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
