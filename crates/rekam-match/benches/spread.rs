//! The spread of extraction and comparison times over many synthetic fingers, where
//! `benches/match.rs` times four pairs closely: a table of mean, median, 90th percentile and
//! maximum, and how many exceed the targets (extraction 50 ms, comparison 5 ms, one core).
//!
//! `cargo bench -p rekam-match --bench spread [-- FINGERS]` (default 40 fingers, two flat
//! impressions each: the first as the chip's card template, the second live). Each figure is
//! the fastest of `ROUNDS` timings, so that another process taking the core for a moment does
//! not count; the shared CI cores make single timings noisy.
// Test support: a failed expectation here is a failed bench, which is what panicking is for.
#![allow(clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use rekam_hal::{Finger, SimIdentity};
use rekam_match::{compare_prepared, extract, ExtractOptions, PreparedTemplate, Template};
use rekam_sim::synth::finger::{impression, ImpressionParams, MasterPrint};

/// Timings per figure; the fastest is kept.
const ROUNDS: usize = 5;

/// The fastest of [`ROUNDS`] runs of `f`.
fn fastest<T>(mut f: impl FnMut() -> T) -> Duration {
    (0..ROUNDS)
        .map(|_| {
            let t = Instant::now();
            black_box(f());
            t.elapsed()
        })
        .min()
        .unwrap_or_default()
}

/// A table row: mean, median, p90, max in ms, and how many are over `target_ms`.
fn row(name: &str, times: &mut [Duration], target_ms: f64) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let n = times.len();
    let mean = times.iter().map(|&d| ms(d)).sum::<f64>() / n as f64;
    let over = times.iter().filter(|&&d| ms(d) > target_ms).count();
    println!(
        "| {name} | {n} | {mean:.2} | {:.2} | {:.2} | {:.2} | {over} over {target_ms} ms |",
        ms(times[n / 2]),
        ms(times[(n * 9 / 10).min(n - 1)]),
        ms(times[n - 1]),
    );
}

fn main() {
    let fingers: u64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(40);
    let opts = ExtractOptions::default();
    let mut extraction = Vec::new();
    let mut pairs: Vec<(PreparedTemplate, PreparedTemplate)> = Vec::new();
    for i in 0..fingers {
        let master = MasterPrint::generate(SimIdentity(0xBE7C_0000 + i), Finger::RightIndex);
        let chip = impression(&master, &ImpressionParams::from_seed(2 * i));
        let live = impression(&master, &ImpressionParams::from_seed(2 * i + 1));
        extraction.push(fastest(|| extract(&chip, &opts)));
        extraction.push(fastest(|| extract(&live, &opts)));
        let card = extract(&chip, &opts)
            .and_then(|t| t.to_compact_card())
            .and_then(|b| Template::from_compact_card(&b))
            .expect("a card template of a good impression");
        let live = extract(&live, &opts).expect("a template of a good impression");
        pairs.push((card.prepare(), live.prepare()));
    }
    let mut genuine: Vec<Duration> = pairs
        .iter()
        .map(|(card, live)| fastest(|| compare_prepared(card, live)))
        .collect();
    let mut impostor: Vec<Duration> = (0..pairs.len())
        .map(|i| {
            let (card, _) = &pairs[i];
            let (_, other) = &pairs[(i + 1) % pairs.len()];
            fastest(|| compare_prepared(card, other))
        })
        .collect();
    println!("| operation | count | mean ms | median ms | p90 ms | max ms | |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | --- |");
    row("extraction", &mut extraction, 50.0);
    row("comparison, same finger", &mut genuine, 5.0);
    row("comparison, different fingers", &mut impostor, 5.0);
}
