//! Our quality score against NFIQ 2 itself (the PyPI wheel `nbis-py==0.1.3`, in the oracle
//! venv that `scripts/oracles` makes under `target/`): Spearman rank correlation over
//! simulated prints and degraded copies of them.
//!
//! The set: subjects 500-511 (none of them used to choose the ramps and weights, which were
//! set on subjects 1000-1023), each as a clean flat impression and the four degradations of
//! `tests/quality.rs` at four strengths: 12 × 17 = 204 images.
//!
//! Needs `python3` with the `venv` module (Debian: `apt-get install python3-venv`) and PyPI.
//! Missing either fails the test; it never skips.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Instant;

use common::*;
use rekam_biometrics::fingerprint::quality::assess;
use rekam_hal::Finger;

/// The biometrics issue's requirement. Measured: 0.822 on this set, where NFIQ 2 agrees with
/// itself (the same images shifted by one pixel) at 0.966.
/// It was 0.66 (and NFIQ 2's self-agreement 0.81) until the simulator rendered impressions as
/// an optical platen does (white platen and valleys, narrow ridges with graded edges, skin
/// grain): before, NFIQ 2 held every good simulated print at about 50 and its order within
/// that tier was scatter. BENCHMARKS.md ("Fingerprint quality") tells the story. The ramps
/// and weights of our score were chosen on subjects 1000-1023, never on these.
const MIN_SPEARMAN: f64 = 0.8;

/// `img` moved one pixel to the right, the first column repeated.
fn shift_right(img: &rekam_hal::RawImage) -> rekam_hal::RawImage {
    let mut out = img.clone();
    let w = img.width as usize;
    for (src, dst) in img.data.chunks(w).zip(out.data.chunks_mut(w)) {
        dst[1..].copy_from_slice(&src[..w - 1]);
    }
    out
}

#[test]
fn shift_moves_every_row_by_one_pixel() {
    let img = rekam_hal::RawImage {
        width: 3,
        height: 2,
        format: rekam_hal::PixelFormat::Gray8,
        ppi: Some(500),
        data: vec![1, 2, 3, 4, 5, 6],
    };
    assert_eq!(shift_right(&img).data, vec![1, 1, 2, 4, 4, 5]);
}

#[test]
fn spearman_helper_is_right() {
    assert!((spearman(&[1.0, 2.0, 3.0], &[10.0, 20.0, 30.0]) - 1.0).abs() < 1e-12);
    assert!((spearman(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]) + 1.0).abs() < 1e-12);
    assert_eq!(ranks(&[5.0, 1.0, 5.0]), vec![1.5, 0.0, 1.5]);
}

#[test]
fn our_score_ranks_images_like_nfiq2() {
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    let mut shifted = Vec::new();
    let mut ours = Vec::new();
    let mut ours_ms = 0.0;
    for subject in 500..512u64 {
        let f = Finger::ALL[(subject % 10) as usize];
        let base = flat(subject, f, subject * 7 + 3);
        let images =
            std::iter::once(base.clone()).chain(STRENGTHS.iter().map(|d| d.apply(&base, subject)));
        for (i, img) in images.enumerate() {
            let path = dir.path().join(format!("s{subject}-{i:02}.png"));
            save_png(&img, &path);
            let moved = dir.path().join(format!("s{subject}-{i:02}-shifted.png"));
            save_png(&shift_right(&img), &moved);
            shifted.push(moved);
            let t = Instant::now();
            ours.push(f64::from(assess(&img).unwrap().score));
            ours_ms += t.elapsed().as_secs_f64() * 1000.0;
            paths.push(path);
        }
    }
    assert!(paths.len() >= 200);
    let nfiq: Vec<f64> = run_oracle("nfiq2.py", &paths)
        .iter()
        .map(|l| l.trim().parse().unwrap())
        .collect();
    let nfiq_shifted: Vec<f64> = run_oracle("nfiq2.py", &shifted)
        .iter()
        .map(|l| l.trim().parse().unwrap())
        .collect();
    let rho = spearman(&ours, &nfiq);
    // NFIQ 2 against itself: the ceiling any other score can be expected to reach here.
    let repeat = spearman(&nfiq_shifted, &nfiq);
    eprintln!("NFIQ 2 repeatability (same images shifted by one pixel): Spearman {repeat:.3}");
    assert!(
        repeat < 0.999,
        "NFIQ 2 scored the shifted images exactly like the originals: was the shift lost?"
    );
    let tiers: Vec<f64> = nfiq.iter().map(|&q| f64::from(u8::from(q > 0.0))).collect();
    eprintln!(
        "two-tier ceiling (knows only which images NFIQ 2 fails on): {:.3}",
        spearman(&tiers, &nfiq)
    );
    eprintln!(
        "Spearman(ours, NFIQ 2) = {rho:.3} over {} images; ours {:.1} ms per image (this build)",
        paths.len(),
        ours_ms / paths.len() as f64
    );
    assert!(
        rho >= MIN_SPEARMAN,
        "Spearman rank correlation with NFIQ 2 is {rho:.3}, below {MIN_SPEARMAN}"
    );
}

/// The four NIST sample prints of `../shared/testdata` and their sixteen degradations (68
/// images), scored by both. These are small (256x240), old, low-quality prints that NFIQ 2
/// puts at 23-40 clean, and their agreement is lower than on the simulated set: 0.560 at
/// stop 12, where the same degradations of three 500 ppi FVC 2002 optical prints (not in the
/// repository) gave 0.90. A regression floor, not the requirement (which is
/// the simulated set's, above); the figure is printed.
const MIN_SPEARMAN_NIST: f64 = 0.45;

#[test]
fn nist_samples_rank_like_nfiq2() {
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    let mut ours = Vec::new();
    for (k, (name, base)) in nist_samples().into_iter().enumerate() {
        let images = std::iter::once(base.clone())
            .chain(STRENGTHS.iter().map(|d| d.apply(&base, k as u64 + 1)));
        for (i, img) in images.enumerate() {
            let path = dir.path().join(format!("{name}-{i:02}.png"));
            save_png(&img, &path);
            ours.push(f64::from(assess(&img).unwrap().score));
            paths.push(path);
        }
    }
    assert_eq!(paths.len(), 68);
    let nfiq: Vec<f64> = run_oracle("nfiq2.py", &paths)
        .iter()
        .map(|l| l.trim().parse().unwrap())
        .collect();
    let rho = spearman(&ours, &nfiq);
    eprintln!(
        "NIST samples: Spearman(ours, NFIQ 2) = {rho:.3} over {} images",
        paths.len()
    );
    assert!(
        rho >= MIN_SPEARMAN_NIST,
        "Spearman rank correlation with NFIQ 2 on the NIST samples is {rho:.3}, below {MIN_SPEARMAN_NIST}"
    );
}
