//! Our quality score against NFIQ 2 itself (the PyPI wheel `nbis-py==0.1.3`, run in a virtual
//! environment under `target/`): Spearman rank correlation over simulated prints and degraded
//! copies of them.
//!
//! The set: subjects 500-511 (none of them used to choose the ramps and weights, which were
//! set on subjects 1000-1009), each as a clean flat impression and the four degradations of
//! `tests/quality.rs` at four strengths: 12 × 17 = 204 images.
//!
//! Needs `python3` with the `venv` module (Debian: `apt-get install python3-venv`) and PyPI.
//! Missing either fails the test; it never skips.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use common::*;
use rekam_biometrics::fingerprint::quality::assess;
use rekam_hal::Finger;

/// A regression floor, NOT the requirement: the biometrics issue requires 0.8, which is not
/// met (the issue stays open until it is). Measured on the SFinGe-style prints: 0.66 on this
/// set (it was 0.58 on the earlier procedural prints).
/// What limits it: NFIQ 2 sorts this set into two tiers, about 0 for the images it cannot
/// assess (strong blur, faint or mostly masked prints) and 40-65 for all the others, where it
/// hardly reacts to mild blur, contrast loss or noise and its order is per-image scatter. A
/// score that knew exactly which images NFIQ 2 fails on, and nothing else, reaches 0.72
/// (printed by the test as the "two-tier ceiling"); ours also ranks the mild degradations,
/// which NFIQ 2 does not. Refitting our weights to NFIQ 2 by non-negative least squares on
/// 408 images of other subjects (`scripts/calibrate-nfiq2`) reaches only 0.67, so the gap is
/// in the features, not the weights. The guard keeps the figure from sliding unnoticed.
const MIN_SPEARMAN: f64 = 0.6;

const WHEEL: &str = "nbis-py==0.1.3";

fn run(cmd: &mut Command) -> Result<(), String> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{cmd:?} failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// The venv's python with nbis-py installed, made on first use.
fn oracle_python() -> PathBuf {
    let venv = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("nfiq2-venv");
    let python = venv.join("bin/python");
    let ready = venv.join(".nbis-py-0.1.3");
    if ready.exists() && python.exists() {
        return python;
    }
    if let Err(e) = run(Command::new("python3")
        .args(["-m", "venv", "--clear"])
        .arg(&venv))
    {
        panic!(
            "cannot create the NFIQ 2 oracle's virtual environment: install python3 and its venv \
             module (Debian: `apt-get install python3-venv`).\n{e}"
        );
    }
    if let Err(e) = run(Command::new(&python).args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        WHEEL,
    ])) {
        panic!(
            "cannot install {WHEEL} from PyPI into {}:\n{e}",
            venv.display()
        );
    }
    std::fs::write(&ready, WHEEL).unwrap();
    python
}

fn nfiq2_scores(python: &Path, paths: &[PathBuf]) -> Vec<u8> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/nfiq2.py");
    let mut child = Command::new(python)
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    for p in paths {
        writeln!(stdin, "{}", p.display()).unwrap();
    }
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "nfiq2.py failed: {err}");
    eprintln!("{}", err.trim());
    let scores: Vec<u8> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim().parse().unwrap())
        .collect();
    assert_eq!(scores.len(), paths.len(), "one NFIQ 2 score per image");
    scores
}

/// Average ranks (ties share the mean rank).
fn ranks(v: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..v.len()).collect();
    idx.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut r = vec![0.0; v.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && v[idx[j + 1]] == v[idx[i]] {
            j += 1;
        }
        for &k in &idx[i..=j] {
            r[k] = (i + j) as f64 / 2.0;
        }
        i = j + 1;
    }
    r
}

fn spearman(a: &[f64], b: &[f64]) -> f64 {
    let (ra, rb) = (ranks(a), ranks(b));
    let n = ra.len() as f64;
    let (ma, mb) = (ra.iter().sum::<f64>() / n, rb.iter().sum::<f64>() / n);
    let cov: f64 = ra.iter().zip(&rb).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = ra.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = rb.iter().map(|y| (y - mb).powi(2)).sum();
    cov / (va * vb).sqrt()
}

#[test]
fn spearman_helper_is_right() {
    assert!((spearman(&[1.0, 2.0, 3.0], &[10.0, 20.0, 30.0]) - 1.0).abs() < 1e-12);
    assert!((spearman(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]) + 1.0).abs() < 1e-12);
    assert_eq!(ranks(&[5.0, 1.0, 5.0]), vec![1.5, 0.0, 1.5]);
}

#[test]
fn our_score_ranks_images_like_nfiq2() {
    let python = oracle_python();
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
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
            let t = Instant::now();
            ours.push(f64::from(assess(&img).unwrap().score));
            ours_ms += t.elapsed().as_secs_f64() * 1000.0;
            paths.push(path);
        }
    }
    assert!(paths.len() >= 200);
    let nfiq: Vec<f64> = nfiq2_scores(&python, &paths)
        .into_iter()
        .map(f64::from)
        .collect();
    let rho = spearman(&ours, &nfiq);
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
