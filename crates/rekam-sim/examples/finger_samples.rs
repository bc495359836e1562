//! Writes sample synthetic fingerprints as PNG: a master print per class, impressions of one
//! master, and slaps. `cargo run -p rekam-sim --example finger_samples -- OUT_DIR`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::time::Instant;

use rekam_hal::{Finger, RawImage, SimSubject, SlapKind};
use rekam_sim::synth::finger::{
    impression, render_slap, ImpressionParams, MasterPrint, PatternClass, PlacedFinger,
};
use rekam_sim::synth::finger_identity;

fn save(img: &RawImage, path: &Path) {
    image::GrayImage::from_raw(img.width, img.height, img.data.clone())
        .expect("buffer fits")
        .save(path)
        .expect("PNG written");
}

fn main() {
    let out = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "finger-samples".into()),
    );
    std::fs::create_dir_all(&out).expect("output folder");
    // One master per class: search subjects until each class turns up.
    let mut found: Vec<PatternClass> = Vec::new();
    for s in 0..2000u64 {
        let f = Finger::RightIndex;
        let id = finger_identity(SimSubject(s), f);
        let class = rekam_sim::synth::finger::FingerPattern::for_finger(id, f).class();
        if found.contains(&class) {
            continue;
        }
        found.push(class);
        let t = Instant::now();
        let m = MasterPrint::generate(id, f);
        println!(
            "{class:?}: subject {s}, {:?}, {} passes",
            t.elapsed(),
            m.passes()
        );
        save(
            &m.render(),
            &out.join(format!("master-{class:?}.png").to_lowercase()),
        );
        if found.len() == 5 {
            break;
        }
    }
    let id = finger_identity(SimSubject(7), Finger::LeftMiddle);
    let m = MasterPrint::generate(id, Finger::LeftMiddle);
    save(&m.render(), &out.join("master-subject7.png"));
    for (name, p) in [
        ("impression-1", ImpressionParams::from_seed(1)),
        ("impression-2", ImpressionParams::from_seed(2)),
        ("impression-dry", ImpressionParams::dry(3, 0.8)),
        ("impression-wet", ImpressionParams::wet(4, 0.8)),
        ("impression-low", ImpressionParams::low_quality(5)),
    ] {
        let t = Instant::now();
        let img = impression(&m, &p);
        println!("{name}: {:?}", t.elapsed());
        save(&img, &out.join(format!("{name}.png")));
    }
    for (kind, name) in [
        (SlapKind::RightFour, "slap-right"),
        (SlapKind::Thumbs, "slap-thumbs"),
    ] {
        let placed: Vec<PlacedFinger> = kind
            .fingers()
            .into_iter()
            .map(|finger| PlacedFinger {
                finger,
                identity: finger_identity(SimSubject(3), finger),
            })
            .collect();
        let t = Instant::now();
        let slap = render_slap(kind, &placed, 9, false);
        println!("{name}: {:?}", t.elapsed());
        save(&slap.image, &out.join(format!("{name}.png")));
    }
}
