//! Our iris measures against `iris-iqm` (PyPI), a Python port of MITRE's BIQT-Iris, the
//! reference implementation of the ISO/IEC 29794-6 metrics, on the same simulated images:
//! natural eyes and degraded copies (blur, contrast, lids, distance, pupil size, gaze, noise,
//! lashes, framing).
//!
//! What is compared, and why not more:
//!
//! - iris and pupil diameters, centres and the pupil/iris ratio: both find circles, BIQT on a
//!   4x-reduced image (so its diameters move in steps of 2 px and are off by a few);
//! - sharpness, iris-sclera and iris-pupil contrast: rank agreement (Spearman). BIQT's
//!   sharpness squares row sums of the ISO kernel's response where we square each response,
//!   so values differ while ranks agree;
//! - usable iris area: BIQT's (chords and z-scores) hardly follows the eyelids on these
//!   images, so both are ranked against the share the synthesizer drew visible, and ours must
//!   rank at least as well as a floor measured well above BIQT's;
//! - grey-scale utilisation: the same definition (whole-image entropy), so equal values.
//!
//! BIQT's iris-pupil contrast takes its "iris" median from 1.1-1.2 iris radii, i.e. the sclera,
//! so its agreement floor is low; its margin adequacy adds the radius on the right and bottom,
//! so it is printed for the record only.
//!
//! `scripts/oracles` builds the pinned virtual environment in `target/oracles-venv` (python3
//! with venv and pip, and PyPI). When that is impossible this test fails and says what to
//! install: it never skips. iris-iqm takes about 1-2 s per image.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{run_oracle, spearman};

use rekam_biometrics::iris::{assess, IrisQuality, IrisThresholds};
use rekam_hal::{Eye, PixelFormat, RawImage, SimSubject};
use rekam_sim::synth::eye_identity;
use rekam_sim::synth::iris::{render_with_truth, IrisParams, IrisTruth, HEIGHT, WIDTH};
use serde_json::Value;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn max(v: &[f64]) -> f64 {
    v.iter().copied().fold(0.0, f64::max)
}

type Degrade = (&'static str, fn(&mut IrisParams));

const DEGRADATIONS: [Degrade; 16] = [
    ("blur 1.5", |p| p.blur = 1.5),
    ("blur 3", |p| p.blur = 3.0),
    ("contrast 0.5", |p| p.contrast = 0.5),
    ("contrast 0.3", |p| p.contrast = 0.3),
    ("lid 0.5", |p| p.upper_lid = 0.5),
    ("lid 0.35", |p| p.upper_lid = 0.35),
    ("radius 100", |p| p.iris_radius = 100.0),
    ("radius 140", |p| p.iris_radius = 140.0),
    ("pupil 0.25", |p| p.pupil_ratio = 0.25),
    ("pupil 0.6", |p| p.pupil_ratio = 0.6),
    ("gaze 20", |p| p.gaze_deg = (20.0, 0.0)),
    ("noise 12", |p| p.noise = 12.0),
    ("lashes 2.5", |p| p.lashes = 2.5),
    ("off centre", |p| p.eye_centre.0 = 215.0),
    ("blur 2 noise 8", |p| {
        p.blur = 2.0;
        p.noise = 8.0;
    }),
    ("blur 1 contrast 0.7", |p| {
        p.blur = 1.0;
        p.contrast = 0.7;
    }),
];

#[test]
fn our_measures_agree_with_biqt_iris() {
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    let mut ours: Vec<(String, IrisQuality, IrisTruth)> = Vec::new();
    let t = IrisThresholds::default();
    for i in 0..8u64 {
        let eye = if i % 2 == 0 { Eye::Right } else { Eye::Left };
        let base = IrisParams::natural(eye_identity(SimSubject(300 + i), eye), 40 + i);
        let sets = std::iter::once(("natural", base.clone())).chain(
            DEGRADATIONS[(2 * i as usize)..(2 * i as usize + 2)]
                .iter()
                .map(|(name, f)| {
                    let mut p = base.clone();
                    f(&mut p);
                    (*name, p)
                }),
        );
        for (name, p) in sets {
            let (px, truth) = render_with_truth(&p);
            let path = dir.path().join(format!("eye{i}-{}.png", paths.len()));
            image::save_buffer(&path, &px, WIDTH, HEIGHT, image::ExtendedColorType::L8).unwrap();
            let img = RawImage {
                width: WIDTH,
                height: HEIGHT,
                format: PixelFormat::Gray8,
                ppi: None,
                data: px,
            };
            ours.push((format!("eye {i} {name}"), assess(&img, &t).unwrap(), truth));
            paths.push(path);
        }
    }
    assert_eq!(paths.len(), 24);
    let theirs: Vec<Value> = run_oracle("biqt_iris.py", &paths)
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let f = |v: &Value, k: &str| v[k].as_f64().unwrap_or_else(|| panic!("{k} in {v}"));

    let (mut d_iris, mut d_pupil, mut d_centre, mut d_ratio) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut d_grey = Vec::new();
    let (mut ours_off, mut biqt_off) = (Vec::new(), Vec::new());
    let (mut usable, mut sharp, mut isc, mut ipc) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut visible = Vec::new();
    eprintln!(
        "{:26} {:>19} {:>19} {:>17} {:>11} {:>13} {:>11} {:>11}",
        "image: ours, BIQT(, drawn)",
        "iris d",
        "pupil d",
        "usable",
        "sharp",
        "ISC",
        "IPC",
        "margin"
    );
    for ((name, q, truth), v) in ours.iter().zip(&theirs) {
        assert_eq!(f(v, "error_code"), 0.0, "iris-iqm failed on {name}");
        let m = &q.measures;
        let s = &q.segmentation;
        let drawn_d = 2.0 * f64::from(truth.iris_radius);
        let drawn_p = 2.0 * f64::from(truth.pupil_radius);
        let ours_err = (f64::from(m.iris_diameter_px) - drawn_d)
            .abs()
            .max((f64::from(m.pupil_diameter_px) - drawn_p).abs());
        let biqt_err = (f(v, "iris_diameter") - drawn_d)
            .abs()
            .max((f(v, "pupil_diameter") - drawn_p).abs());
        // The gaze image's horizontal diameter is narrower than the drawn one by design.
        if !name.contains("gaze") {
            ours_off.push(ours_err);
            biqt_off.push(biqt_err);
        }
        // Geometry agreement where BIQT itself found the drawn circles (a frontal drawing: the
        // gaze image's horizontal diameter is narrower by design and compared too).
        if biqt_err <= SEGMENTED_PX || name.contains("gaze") {
            d_iris.push((f64::from(m.iris_diameter_px) - f(v, "iris_diameter")).abs());
            d_pupil.push((f64::from(m.pupil_diameter_px) - f(v, "pupil_diameter")).abs());
            d_centre.push(
                ((f64::from(s.iris.x) - f(v, "iris_center_x")).powi(2)
                    + (f64::from(s.iris.y) - f(v, "iris_center_y")).powi(2))
                .sqrt(),
            );
            d_ratio.push((f64::from(m.pupil_iris_ratio) / 100.0 - f(v, "iris_pupil_ratio")).abs());
        }
        d_grey.push((f64::from(m.grey_scale_bits) - f(v, "iso_greyscale_utilization")).abs());
        usable.push((
            f64::from(m.usable_iris_area),
            f(v, "usable_iris_area_percent"),
        ));
        visible.push(f64::from(truth.visible_fraction.unwrap()) * 100.0);
        sharp.push((f64::from(m.sharpness), f(v, "iso_sharpness")));
        isc.push((
            f64::from(m.iris_sclera_contrast),
            f(v, "iso_iris_sclera_contrast"),
        ));
        ipc.push((
            f64::from(m.iris_pupil_contrast),
            f(v, "iso_iris_pupil_contrast"),
        ));
        eprintln!(
            "{name:26} {:5.1} {:5.0} {:5.1}  {:5.1} {:4.0} {:5.1}  {:4.1} {:4.0} {:4.1}  {:5.2} {:5.2} {:6.1} {:6.1} {:5.1} {:5.1} {:5.1} {:5.1}",
            m.iris_diameter_px,
            f(v, "iris_diameter"),
            drawn_d,
            m.pupil_diameter_px,
            f(v, "pupil_diameter"),
            drawn_p,
            m.usable_iris_area,
            f(v, "usable_iris_area_percent"),
            visible[visible.len() - 1],
            m.sharpness,
            f(v, "iso_sharpness"),
            m.iris_sclera_contrast,
            f(v, "iso_iris_sclera_contrast"),
            m.iris_pupil_contrast,
            f(v, "iso_iris_pupil_contrast"),
            m.margin_adequacy,
            f(v, "iso_margin_adequacy"),
        );
    }
    let rho = |pairs: &[(f64, f64)]| {
        let (a, b): (Vec<f64>, Vec<f64>) = pairs.iter().copied().unzip();
        spearman(&a, &b)
    };
    let (r_usable, r_sharp, r_isc, r_ipc) = (rho(&usable), rho(&sharp), rho(&isc), rho(&ipc));
    let (ours_usable, biqt_usable): (Vec<f64>, Vec<f64>) = usable.iter().copied().unzip();
    let (r_ours_drawn, r_biqt_drawn) = (
        spearman(&ours_usable, &visible),
        spearman(&biqt_usable, &visible),
    );
    let n_biqt_off = biqt_off.iter().filter(|&&e| e > SEGMENTED_PX).count();
    let n_ours_off = ours_off.iter().filter(|&&e| e > SEGMENTED_PX).count();
    eprintln!(
        "circles off the drawing by more than {SEGMENTED_PX} px: ours {n_ours_off}, BIQT \
         {n_biqt_off} of {} frontal images",
        ours_off.len()
    );
    eprintln!(
        "where both found the eye ({} images): |Δ iris diameter| median {:.1} max {:.1} px; \
         |Δ pupil diameter| median {:.1} max {:.1} px; |Δ iris centre| median {:.1} max {:.1} \
         px; |Δ pupil/iris ratio| median {:.3} max {:.3}; all images: |Δ grey-scale bits| max \
         {:.4}",
        d_iris.len(),
        median(d_iris.clone()),
        max(&d_iris),
        median(d_pupil.clone()),
        max(&d_pupil),
        median(d_centre.clone()),
        max(&d_centre),
        median(d_ratio.clone()),
        max(&d_ratio),
        max(&d_grey),
    );
    eprintln!(
        "Spearman with BIQT: sharpness {r_sharp:.3}, iris-sclera contrast {r_isc:.3}, \
         iris-pupil contrast {r_ipc:.3}, usable area {r_usable:.3}; usable area against the \
         drawn visible share: ours {r_ours_drawn:.3}, BIQT {r_biqt_drawn:.3}"
    );
    // Floors a little under the agreement measured when this test was written (see the
    // report above each assertion's figures in the output).
    assert!(n_ours_off <= n_biqt_off, "we miss circles BIQT finds");
    assert!(
        d_iris.len() >= 18,
        "BIQT found the eye in only {} images",
        d_iris.len()
    );
    assert!(median(d_iris.clone()) <= 3.0 && max(&d_iris) <= 6.0);
    assert!(median(d_pupil.clone()) <= 3.0 && max(&d_pupil) <= 10.0);
    assert!(median(d_centre) <= 4.0);
    assert!(median(d_ratio) <= 0.02);
    assert!(max(&d_grey) <= 0.01);
    assert!(r_sharp >= MIN_SPEARMAN_SHARPNESS, "sharpness {r_sharp:.3}");
    assert!(r_isc >= MIN_SPEARMAN_ISC, "iris-sclera contrast {r_isc:.3}");
    assert!(r_ipc >= MIN_SPEARMAN_IPC, "iris-pupil contrast {r_ipc:.3}");
    assert!(
        r_ours_drawn >= MIN_SPEARMAN_USABLE_DRAWN,
        "usable area against the drawing {r_ours_drawn:.3}"
    );
}

/// A circle pair within this many pixels of the drawn diameters counts as found (BIQT's own
/// misses, on washed-out images, are left out of the geometric agreement).
const SEGMENTED_PX: f64 = 10.0;

/// Regression floors, set just under the agreement measured when the test was written.
const MIN_SPEARMAN_SHARPNESS: f64 = 0.75;
const MIN_SPEARMAN_ISC: f64 = 0.85;
const MIN_SPEARMAN_IPC: f64 = 0.5;
const MIN_SPEARMAN_USABLE_DRAWN: f64 = 0.75;
