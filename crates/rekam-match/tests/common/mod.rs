//! Test support shared by the matcher's test binaries: the NIST samples and the chip round trip.

use std::path::PathBuf;

use rekam_hal::RawImage;
use rekam_match::{extract, ExtractOptions, Template};

/// The four NIST sample prints of the shared test data.
pub const NIST_SAMPLES: [&str; 4] = ["arch.jpg", "loop-right.jpg", "tented_arch.jpg", "whorl.jpg"];

/// The template of NIST sample `name`; fails loudly when the shared test data is missing.
pub fn nist_template(name: &str) -> Template {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/testdata/fingerprints/nist-samples")
        .join(name);
    let img = image::open(&path)
        .unwrap_or_else(|e| {
            panic!(
                "NIST sample {} missing or unreadable ({e}): the shared test data must be present",
                path.display()
            )
        })
        .to_luma8();
    let (w, h) = img.dimensions();
    let raw = RawImage::gray(w, h, None, img.into_raw()).expect("consistent image");
    extract(&raw, &ExtractOptions::default()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// `t` as the chip holds it: written in the compact card format (within the default byte
/// budget) and read back.
pub fn card(t: &Template) -> Template {
    let bytes = t
        .to_compact_card()
        .expect("a template fits the card format");
    assert!(bytes.len() <= ExtractOptions::default().byte_budget);
    Template::from_compact_card(&bytes).expect("card bytes read back")
}
