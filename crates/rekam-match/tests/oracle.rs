//! Our BOZORTH3 (`rekam_match::bozorth`) against its oracle, `fprint-bozorth3` (a port of NIST
//! NBIS that reproduces the NBIS tool's scores): the scores must be equal, pair for pair.
//!
//! Pairs: genuine ones (every ordered pair of impressions of synthetic fingers from `rekam-sim`,
//! good, strongly distorted and dry, the reference through the compact card format as at
//! activation), impostor ones (across fingers), the four NIST sample prints against each other
//! and themselves, templates compared with themselves, and random templates with jittered copies
//! of themselves (proptest), plus edge cases: empty, under the minimum, exactly the minimum,
//! 50 against 50.
// Test support: a failed expectation here is a failed test, which is what panicking is for.
#![allow(clippy::expect_used, clippy::panic)]

mod common;
use common::{card, nist_template, NIST_SAMPLES};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use rekam_hal::{Finger, SimIdentity};
use rekam_match::{extract, ExtractOptions, Matcher, PreparedTemplate, Template};
use rekam_sim::synth::finger::{impression, ImpressionParams, MasterPrint};

type Xyt = Vec<(i32, i32, i32)>;

/// The oracle's score of `probe` against `gallery`.
fn oracle(probe: &Xyt, gallery: &Xyt) -> u32 {
    let conv = |v: &Xyt| -> Vec<fprint_bozorth3::Minutia> {
        v.iter()
            .map(|&(x, y, theta)| fprint_bozorth3::Minutia { x, y, theta })
            .collect()
    };
    fprint_bozorth3::match_score(&conv(probe), &conv(gallery))
}

/// Our score of `probe` against `gallery`, with a reused matcher.
fn ours(m: &mut Matcher, probe: &Xyt, gallery: &Xyt) -> u32 {
    m.score(
        &PreparedTemplate::from_xyt(probe),
        &PreparedTemplate::from_xyt(gallery),
    )
}

/// Compares every pair, and reports every difference at once.
fn check_all(label: &str, pairs: &[(Xyt, Xyt)]) -> Vec<u32> {
    let mut m = Matcher::new();
    let mut bad = Vec::new();
    let mut scores = Vec::new();
    let (mut t_oracle, mut t_ours) = (Duration::ZERO, Duration::ZERO);
    for (i, (p, g)) in pairs.iter().enumerate() {
        let t0 = Instant::now();
        let want = oracle(p, g);
        let t1 = Instant::now();
        let got = ours(&mut m, p, g);
        t_oracle += t1 - t0;
        t_ours += t1.elapsed();
        if want != got {
            bad.push(format!("pair {i}: ours {got}, oracle {want}"));
        }
        scores.push(want);
    }
    println!(
        "{label}: {} pairs, oracle {t_oracle:?}, ours {t_ours:?}",
        pairs.len()
    );
    assert!(
        bad.is_empty(),
        "{label}: {} of {} pairs differ:\n{}",
        bad.len(),
        pairs.len(),
        bad.join("\n")
    );
    scores
}

const FINGERS: usize = 36;
const IMPRESSIONS: usize = 3;

/// Live and card templates of the synthetic impressions, per finger.
fn synthetic() -> Vec<Vec<(Xyt, Xyt)>> {
    const USED: [Finger; 4] = [
        Finger::RightIndex,
        Finger::LeftIndex,
        Finger::RightThumb,
        Finger::LeftMiddle,
    ];
    let opts = ExtractOptions::default();
    let per_finger = |f: usize| -> Vec<(Xyt, Xyt)> {
        let master = MasterPrint::generate(
            SimIdentity(0x0AC1_E000 + f as u64 * 104_729),
            USED[f % USED.len()],
        );
        (0..IMPRESSIONS)
            .map(|k| {
                let seed = (f as u64) << 8 | k as u64 | 0x4000_0000;
                let params = match (k, f % 3) {
                    (2, 1) => ImpressionParams::distorted(seed, 2.0),
                    (2, 2) => ImpressionParams::dry(seed, 0.5),
                    _ => ImpressionParams::from_seed(seed),
                };
                let live = extract(&impression(&master, &params), &opts)
                    .unwrap_or_else(|e| panic!("finger {f} impression {k}: {e}"));
                (live.to_nist_xyt(), card(&live).to_nist_xyt())
            })
            .collect()
    };
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let mut out: Vec<Vec<(Xyt, Xyt)>> = vec![Vec::new(); FINGERS];
    std::thread::scope(|s| {
        for (c, slots) in out.chunks_mut(FINGERS.div_ceil(threads)).enumerate() {
            let per_finger = &per_finger;
            s.spawn(move || {
                for (j, slot) in slots.iter_mut().enumerate() {
                    *slot = per_finger(c * FINGERS.div_ceil(threads) + j);
                }
            });
        }
    });
    out
}

#[test]
fn synthetic_genuine_and_impostor_pairs_score_as_the_oracle() {
    let fingers = synthetic();
    let mut genuine = Vec::new();
    for f in &fingers {
        for (a, ra) in f.iter().enumerate() {
            for (b, rb) in f.iter().enumerate() {
                if a != b {
                    // Probe: live impression b; gallery: card of impression a (activation).
                    genuine.push((rb.0.clone(), ra.1.clone()));
                    // And live against live.
                    genuine.push((rb.0.clone(), ra.0.clone()));
                }
            }
            // Each template against itself.
            genuine.push((ra.0.clone(), ra.0.clone()));
        }
    }
    let mut impostor = Vec::new();
    for (i, fi) in fingers.iter().enumerate() {
        for (j, fj) in fingers.iter().enumerate() {
            if i != j {
                impostor.push((fj[1].0.clone(), fi[0].1.clone()));
            }
        }
    }
    let total = genuine.len() + impostor.len();
    assert!(total >= 1500, "only {total} synthetic pairs");
    let g = check_all("genuine", &genuine);
    let i = check_all("impostor", &impostor);
    // The pairs must exercise the clustering: genuine scores well above impostor ones.
    let g_mean = g.iter().sum::<u32>() as f64 / g.len() as f64;
    let i_mean = i.iter().sum::<u32>() as f64 / i.len() as f64;
    println!(
        "{} genuine (mean {g_mean:.1}), {} impostor (mean {i_mean:.1}) pairs equal to the oracle",
        g.len(),
        i.len()
    );
    assert!(g_mean > 2.0 * i_mean);
}

#[test]
fn nist_samples_score_as_the_oracle() {
    let names = NIST_SAMPLES;
    let templates: Vec<Template> = names.iter().map(|n| nist_template(n)).collect();
    let mut pairs = Vec::new();
    for a in &templates {
        for b in &templates {
            pairs.push((a.to_nist_xyt(), b.to_nist_xyt()));
            pairs.push((a.to_nist_xyt(), card(b).to_nist_xyt()));
        }
    }
    check_all("NIST samples", &pairs);
}

#[test]
fn edge_cases_score_as_the_oracle() {
    // A spread-out print of n minutiae.
    let print = |n: usize, salt: i32| -> Xyt {
        (0..n as i32)
            .map(|i| {
                (
                    40 + (i * 37 + salt * 11) % 300,
                    60 + (i * 53 + salt * 7) % 320,
                    (i * 67 + salt * 29) % 360,
                )
            })
            .collect()
    };
    let fifty = print(50, 0);
    let shifted: Xyt = fifty.iter().map(|&(x, y, t)| (x + 3, y - 2, t)).collect();
    let pairs = vec![
        (Vec::new(), Vec::new()),
        (Vec::new(), fifty.clone()),
        (fifty.clone(), Vec::new()),
        (print(9, 1), print(9, 1)),
        (print(9, 1), fifty.clone()),
        (fifty.clone(), print(9, 1)),
        (print(10, 2), print(10, 2)),
        (print(10, 2), fifty.clone()),
        (fifty.clone(), fifty.clone()),
        (fifty.clone(), shifted.clone()),
        (shifted, fifty.clone()),
        (fifty.clone(), print(50, 5)),
        // Every minutia on one pixel (the clustering's work explodes with the count: 20 on one
        // pixel take minutes, in the oracle as in ours), and anti-parallel pairs.
        (vec![(100, 100, 0); 11], vec![(100, 100, 0); 11]),
        (
            (0..20)
                .map(|i| (50 + i * 5, 80, if i % 2 == 0 { 30 } else { 210 }))
                .collect(),
            (0..20)
                .map(|i| (52 + i * 5, 81, if i % 2 == 0 { 30 } else { 210 }))
                .collect(),
        ),
    ];
    let scores = check_all("edge cases", &pairs);
    assert_eq!(scores[0], 0, "empty");
    assert_eq!(scores[3], 0, "under the minimum");
    assert!(scores[8] > 0, "a print against itself");
}

/// A random print: `n` minutiae in a 300 x 360 window.
fn random_print(n: usize) -> impl Strategy<Value = Xyt> {
    prop::collection::vec((20..320i32, 20..380i32, 0..360i32), n..=n)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// A random print against a jittered, partly cropped copy of itself (genuine-like), and
    /// against another random print (impostor-like).
    #[test]
    fn random_prints_score_as_the_oracle(
        n in 8usize..=50,
        base in random_print(50),
        other in random_print(50),
        jitter in prop::collection::vec((-3..=3i32, -3..=3i32, -6..=6i32), 50),
        drop_every in 0usize..6,
        shift in (-40..40i32, -40..40i32),
    ) {
        let a: Xyt = base[..n].to_vec();
        let b: Xyt = base[..n]
            .iter()
            .zip(&jitter)
            .enumerate()
            .filter(|(i, _)| drop_every == 0 || i % (drop_every + 2) != 0)
            .map(|(_, (&(x, y, t), &(dx, dy, dt)))| {
                (x + dx + shift.0 + 50, y + dy + shift.1 + 50, (t + dt).rem_euclid(360))
            })
            .collect();
        let c: Xyt = other[..n].to_vec();
        let mut m = Matcher::new();
        for (p, g) in [(&a, &b), (&b, &a), (&a, &c), (&a, &a)] {
            prop_assert_eq!(ours(&mut m, p, g), oracle(p, g));
        }
    }
}
