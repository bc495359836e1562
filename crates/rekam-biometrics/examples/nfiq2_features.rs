//! Writes the images and measures used to calibrate the fingerprint score against NFIQ 2.
//!
//! `cargo run --release -p rekam-biometrics --example nfiq2_features -- OUT_DIR FIRST LAST`
//! renders a clean flat impression of subjects FIRST..LAST (one finger each) and the sixteen
//! degradations of `tests/oracle.rs`, saves each as `OUT_DIR/sN-II.png`, and prints one CSV
//! line per image: the path, then the raw measures and the normalised ones. `scripts/calibrate-nfiq2`
//! scores the same images with NFIQ 2 and fits the weights. The subjects used to calibrate
//! must not be the test's (500-511).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/common/mod.rs"]
mod common;

use common::{flat, save_png, STRENGTHS};
use rekam_biometrics::fingerprint::quality::{assess, normalised};
use rekam_hal::Finger;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let out = std::path::PathBuf::from(args.first().expect("OUT_DIR FIRST LAST"));
    let first: u64 = args.get(1).map_or(1000, |a| a.parse().expect("FIRST"));
    let last: u64 = args.get(2).map_or(1040, |a| a.parse().expect("LAST"));
    std::fs::create_dir_all(&out).unwrap();
    println!(
        "path,subject,variant,score,ocl,lcs,rvu,fda,contrast,sharpness,minutiae,foreground,\
         n_ocl,n_lcs,n_rvu,n_fda,n_contrast,n_sharpness,n_minutiae,n_foreground,feature_blocks"
    );
    for subject in first..last {
        let f = Finger::ALL[(subject % 10) as usize];
        let base = flat(subject, f, subject * 7 + 3);
        let images =
            std::iter::once(base.clone()).chain(STRENGTHS.iter().map(|d| d.apply(&base, subject)));
        for (i, img) in images.enumerate() {
            let path = out.join(format!("s{subject}-{i:02}.png"));
            save_png(&img, &path);
            let q = assess(&img).unwrap();
            let m = q.measures;
            let n = normalised(&m);
            let n: Vec<String> = n.iter().map(|v| format!("{v:.4}")).collect();
            println!(
                "{},{subject},{i},{},{:.4},{:.4},{:.4},{:.4},{:.2},{:.4},{},{},{},{}",
                path.display(),
                q.score,
                m.ocl,
                m.lcs,
                m.rvu,
                m.fda,
                m.ridge_contrast,
                m.sharpness,
                m.minutiae,
                m.foreground_px,
                n.join(","),
                m.feature_blocks
            );
        }
    }
}
