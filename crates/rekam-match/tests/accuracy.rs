//! Calibration of the matcher on synthetic impressions, and a check on NIST's sample prints.
//!
//! Synthetic set: `FINGERS` SFinGe-style fingers (various fingers of various identities),
//! `IMPRESSIONS` impressions each: two realistic good ones (`ImpressionParams::from_seed`:
//! placement, plastic distortion, pressure, moisture, noise, blur) and a third that is either
//! another good one, a strongly distorted one (`distorted`, strength 2) or a dry one (`dry`,
//! 0.5), in turn. Every impression is a template of `ExtractOptions::default()`.
//!
//! As at activation, the reference is the chip's template (the impression written to and read
//! back from the ISO/IEC 19794-2 compact card format) and the probe is the live template.
//! Genuine comparisons: every ordered pair of different impressions of a finger. Impostor
//! comparisons: the first impression's card template of every finger against the second
//! impression of every other finger.
//!
//! The test prints FNMR at FMR 0.1 %, the EER and the score distributions, and fails if FNMR at
//! FMR 0.1 % exceeds 5 % or if `MatchThreshold::DEFAULT` lets more than 0.1 % of the impostors
//! through.
// Test support: a failed expectation here is a failed test, which is what panicking is for.
#![allow(clippy::expect_used, clippy::panic)]

mod common;
use common::{card, nist_template, NIST_SAMPLES};

use rekam_hal::{Finger, SimIdentity};
use rekam_match::{compare, extract, ExtractOptions, MatchThreshold, Score, Template};
use rekam_sim::synth::finger::{impression, ImpressionParams, MasterPrint};

const FINGERS: usize = 100;
const IMPRESSIONS: usize = 3;
/// The false match rate the threshold targets.
const TARGET_FMR: f64 = 0.001;
/// The most FNMR allowed at that FMR.
const MAX_FNMR: f64 = 0.05;

fn finger_of(i: usize) -> (SimIdentity, Finger) {
    const FINGERS_USED: [Finger; 4] = [
        Finger::RightIndex,
        Finger::LeftIndex,
        Finger::RightThumb,
        Finger::LeftMiddle,
    ];
    (
        SimIdentity(0x5EED_0000 + i as u64 * 7919),
        FINGERS_USED[i % FINGERS_USED.len()],
    )
}

fn params_of(finger: usize, k: usize) -> ImpressionParams {
    let seed = (finger as u64) << 8 | k as u64;
    match (k, finger % 3) {
        (2, 1) => ImpressionParams::distorted(seed, 2.0),
        (2, 2) => ImpressionParams::dry(seed, 0.5),
        _ => ImpressionParams::from_seed(seed),
    }
}

/// The live templates of one finger's impressions.
fn templates_of(finger: usize) -> Vec<Template> {
    let (id, f) = finger_of(finger);
    let master = MasterPrint::generate(id, f);
    (0..IMPRESSIONS)
        .map(|k| {
            let img = impression(&master, &params_of(finger, k));
            extract(&img, &ExtractOptions::default())
                .unwrap_or_else(|e| panic!("finger {finger} impression {k}: {e}"))
        })
        .collect()
}

/// Runs `f` over `0..n` on every core, results in order.
fn parallel<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let mut out: Vec<Option<T>> = (0..n).map(|_| None).collect();
    let chunk = n.div_ceil(threads).max(1);
    std::thread::scope(|s| {
        for (c, slots) in out.chunks_mut(chunk).enumerate() {
            let f = &f;
            s.spawn(move || {
                for (j, slot) in slots.iter_mut().enumerate() {
                    *slot = Some(f(c * chunk + j));
                }
            });
        }
    });
    out.into_iter()
        .map(|o| o.expect("every slot filled"))
        .collect()
}

/// Share of `scores` at or above `t`.
fn rate_at_or_above(scores: &[u32], t: u32) -> f64 {
    scores.iter().filter(|&&s| s >= t).count() as f64 / scores.len() as f64
}

/// Share of `scores` below `t`.
fn rate_below(scores: &[u32], t: u32) -> f64 {
    1.0 - rate_at_or_above(scores, t)
}

fn percentile(sorted: &[u32], p: f64) -> u32 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[test]
fn synthetic_fnmr_at_fmr_one_in_a_thousand() {
    let start = std::time::Instant::now();
    let live: Vec<Vec<Template>> = parallel(FINGERS, templates_of);
    let made = start.elapsed();
    let cards: Vec<Vec<Template>> = live
        .iter()
        .map(|ts| ts.iter().map(card).collect())
        .collect();

    let mut genuine_pairs = Vec::new();
    for f in 0..FINGERS {
        for a in 0..IMPRESSIONS {
            for b in 0..IMPRESSIONS {
                if a != b {
                    genuine_pairs.push((f, a, f, b));
                }
            }
        }
    }
    let mut impostor_pairs = Vec::new();
    for f in 0..FINGERS {
        for g in 0..FINGERS {
            if f != g {
                impostor_pairs.push((f, 0, g, 1));
            }
        }
    }
    let score = |&(f, a, g, b): &(usize, usize, usize, usize)| -> u32 {
        compare(&cards[f][a], &live[g][b]).0
    };
    let genuine: Vec<u32> = parallel(genuine_pairs.len(), |i| score(&genuine_pairs[i]));
    let impostor: Vec<u32> = parallel(impostor_pairs.len(), |i| score(&impostor_pairs[i]));
    // Informative only (timings are measured by the bench, never asserted).
    println!(
        "masters, impressions and templates in {:.1} s, comparisons in {:.1} s",
        made.as_secs_f64(),
        (start.elapsed() - made).as_secs_f64()
    );

    // The threshold at FMR 0.1 %: the lowest score that lets at most 0.1 % of impostors through.
    let max_score = genuine.iter().chain(&impostor).copied().max().unwrap_or(0) + 1;
    let threshold = (0..=max_score)
        .find(|&t| rate_at_or_above(&impostor, t) <= TARGET_FMR)
        .expect("max + 1 lets no impostor through");
    let fnmr = rate_below(&genuine, threshold);
    let fmr = rate_at_or_above(&impostor, threshold);
    // EER: where FMR and FNMR cross, the mean of the two at the closest threshold.
    let (eer, eer_t) = (0..=max_score)
        .map(|t| {
            let (a, b) = (rate_at_or_above(&impostor, t), rate_below(&genuine, t));
            ((a - b).abs(), (a + b) / 2.0, t)
        })
        .min_by(|x, y| x.0.total_cmp(&y.0))
        .map(|(_, e, t)| (e, t))
        .expect("thresholds to try");
    let default = MatchThreshold::DEFAULT;
    let default_fmr = rate_at_or_above(&impostor, default.0);
    let default_fnmr = rate_below(&genuine, default.0);

    let mut g = genuine.clone();
    g.sort_unstable();
    let mut im = impostor.clone();
    im.sort_unstable();
    let sizes: Vec<usize> = live.iter().flatten().map(Template::len).collect();
    println!(
        "synthetic set: {FINGERS} fingers x {IMPRESSIONS} impressions, {} genuine and {} impostor comparisons, {}-{} minutiae per template (mean {:.1})",
        genuine.len(),
        impostor.len(),
        sizes.iter().min().unwrap_or(&0),
        sizes.iter().max().unwrap_or(&0),
        sizes.iter().sum::<usize>() as f64 / sizes.len() as f64,
    );
    println!(
        "genuine scores: min {} p1 {} p5 {} median {} | impostor scores: median {} p99 {} p99.9 {} max {}",
        g[0],
        percentile(&g, 0.01),
        percentile(&g, 0.05),
        percentile(&g, 0.5),
        percentile(&im, 0.5),
        percentile(&im, 0.99),
        percentile(&im, 0.999),
        im[im.len() - 1],
    );
    println!(
        "threshold at FMR 0.1 %: {threshold} (FMR {:.3} %), FNMR {:.2} % ({} of {})",
        fmr * 100.0,
        fnmr * 100.0,
        genuine.iter().filter(|&&s| s < threshold).count(),
        genuine.len()
    );
    println!("EER {:.2} % at threshold {eer_t}", eer * 100.0);
    println!(
        "default threshold {}: FMR {:.3} %, FNMR {:.2} %",
        default.0,
        default_fmr * 100.0,
        default_fnmr * 100.0
    );

    assert!(
        fnmr <= MAX_FNMR,
        "FNMR at FMR 0.1 % is {:.2} %, over {:.0} %",
        fnmr * 100.0,
        MAX_FNMR * 100.0
    );
    assert!(
        default_fmr <= TARGET_FMR,
        "the default threshold {} lets {:.3} % of impostors through, over 0.1 %",
        default.0,
        default_fmr * 100.0
    );
    assert!(
        default_fnmr <= MAX_FNMR,
        "the default threshold {} rejects {:.2} % of genuine comparisons",
        default.0,
        default_fnmr * 100.0
    );
}

#[test]
fn nist_samples_match_themselves_and_never_each_other() {
    let names = NIST_SAMPLES;
    let live: Vec<Template> = names.iter().map(|n| nist_template(n)).collect();
    let cards: Vec<Template> = live.iter().map(card).collect();
    let t = MatchThreshold::DEFAULT;
    for (i, a) in names.iter().enumerate() {
        let own: Score = compare(&cards[i], &live[i]);
        println!("{a}: {} minutiae, own score {}", live[i].len(), own.0);
        assert!(t.accepts(own), "{a} does not match itself: {}", own.0);
        for (j, b) in names.iter().enumerate() {
            if i != j {
                let s = compare(&cards[i], &live[j]);
                println!("{a} vs {b}: {}", s.0);
                assert!(!t.accepts(s), "{a} matches {b}: {}", s.0);
            }
        }
    }
}
