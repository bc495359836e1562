//! Personalisation benchmark through a real pcscd and the vpcd virtual reader: APDUs sent and
//! time to write and read back a full (8 KB) card, against the fewest APDUs the card's maximum
//! APDU size allows. Prints a table. Needs root and the Debian packages `pcscd`,
//! `vsmartcard-vpcd`, `util-linux`, `iproute2`.
//!
//! ```text
//! cargo run --release -p rekam-dev-pcsc --example personalise_bench
//! ```
//!
//! Minimum APDUs for a card taking commands of `C` data bytes and responses of `R`:
//! one SELECT that sets the context (the card's current file at connect is unknown, and the
//! application DF must be created in the MF) + CREATE DF + per file (CREATE FILE +
//! ceil(len / C) UPDATE BINARY) + per file (SELECT + ceil(len / R) READ BINARY) for the
//! read-back. The driver sends exactly that for a card of a known type (SELECT MF as the
//! context; after the last write the application DF is still current, so the read-back needs
//! no SELECT AID); for the first card of a type, reading EF.ATR/INFO (SELECT by path from
//! the MF, READ BINARY) replaces SELECT MF: one APDU over the minimum.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use rekam_card::{
    CardProfile, CardRecord, ChipBiometrics, DocumentSigner, IcaoOpenProfile, Template,
    TemplateFormat,
};
use rekam_dev_pcsc::{PcscConfig, PcscEncoder};
use rekam_hal::{CardEncoder, ChipFiles, Control, DeviceId, WritePermit};
use rekam_vcard::{CardConfig, VirtualCard};

fn record() -> CardRecord {
    rekam_card::sample::record().unwrap()
}

/// The largest content that fits 8 KB: the portrait's JPEG quality goes down until it fits.
fn full_card() -> ChipFiles {
    let profile = IcaoOpenProfile::new(DocumentSigner::test_only(b"bench").unwrap());
    let img = image::RgbImage::from_fn(240, 320, |x, y| {
        image::Rgb([(x + y / 3) as u8, (y / 2) as u8, ((x * y) / 97 % 64) as u8])
    });
    for quality in (10..=95).rev().step_by(5) {
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, quality)
            .encode_image(&img)
            .unwrap();
        let bio = ChipBiometrics {
            face_jpeg: jpeg,
            signature_png: [&b"\x89PNG\r\n\x1a\n"[..], &[5u8; 400][..]].concat(),
            templates: [2u8, 7]
                .iter()
                .map(|f| Template {
                    finger: *f,
                    format: TemplateFormat::Iso19794_2Compact,
                    data: (0..45u8)
                        .flat_map(|i| [i * 5, i * 3, 0x40 | (i % 60)])
                        .collect(),
                })
                .collect(),
        };
        if let Ok(c) = profile.build(&record(), &bio) {
            return ChipFiles {
                files: c.files.into_iter().map(|(f, b)| (f.0, b)).collect(),
            };
        }
    }
    panic!("no content fits 8 KB")
}

fn main() {
    let _g = support::lock();
    let pcscd = support::Pcscd::start();
    let files = full_card();
    let n = files.files.len() as u64;
    println!(
        "full card: {} files, {} bytes\n",
        files.files.len(),
        files.total_len()
    );
    println!("| card max APDU | APDUs, first card | over minimum | APDUs per card after | over minimum | minimum | ms per card (write + read-back) |");
    println!("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for max_apdu in [261usize, 1024, 2048, 4096] {
        let c = max_apdu - 9;
        let r = max_apdu - 2;
        let writes: u64 = files
            .files
            .values()
            .map(|d| d.len().div_ceil(c) as u64)
            .sum();
        let reads: u64 = files
            .files
            .values()
            .map(|d| d.len().div_ceil(r) as u64)
            .sum();
        // The context SELECT, CREATE DF, then per file: CREATE, writes; SELECT, reads.
        let minimum = 1 + 1 + n + writes + n + reads;
        let mut enc = PcscEncoder::open(
            DeviceId::new("bench").unwrap(),
            PcscConfig::lds1(Some(support::READER.into())),
        );
        let runs = 6;
        let mut first = 0;
        let mut steady = Vec::new();
        let mut times = Vec::new();
        for i in 0..runs {
            let card = VirtualCard::new(CardConfig {
                max_command_apdu: max_apdu,
                max_response_apdu: max_apdu,
                ..CardConfig::default()
            });
            let ins = pcscd.insert(&card);
            let ctl = Control::with_timeout(Duration::from_secs(60));
            enc.wait_for_card(true, &ctl).unwrap();
            let start = Instant::now();
            enc.write(&files, WritePermit::allow_irreversible_write(), &ctl)
                .unwrap();
            let took = start.elapsed();
            let apdus = enc.last_stats().commands;
            if i == 0 {
                first = apdus;
            } else {
                steady.push(apdus);
                times.push(took);
            }
            ins.remove().unwrap();
            enc.wait_for_card(false, &ctl).unwrap();
            // Let pcscd settle before the next card (see the test support).
            std::thread::sleep(Duration::from_millis(2000));
        }
        let per_card = steady.iter().sum::<u64>() / steady.len() as u64;
        let ms = times.iter().map(Duration::as_secs_f64).sum::<f64>() * 1000.0 / times.len() as f64;
        let over = |n: u64| (n as f64 / minimum as f64 - 1.0) * 100.0;
        println!(
            "| {max_apdu} | {first} | {:.1} % | {per_card} | {:.1} % | {minimum} | {ms:.1} |",
            over(first),
            over(per_card)
        );
    }
}
