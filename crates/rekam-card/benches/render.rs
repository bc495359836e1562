//! Benchmarks of card-face and receipt rendering: `cargo bench -p rekam-card --bench render`.
//! The target is under 50 ms each in release; nothing asserts it.
#![allow(clippy::unwrap_used, missing_docs)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use rekam_card::render::{
    encode_png, render_front, render_receipt, CardLayout, DeferralText, Office, Paper, PhotoSource,
    Receipt, ReceiptKind, ReceiptOptions,
};
use rekam_card::CardRecord;
use rekam_hal::{EncodedImage, ImageCodec, RawImage};
use time::macros::date;

fn record() -> CardRecord {
    CardRecord {
        date_of_issue: date!(2026 - 11 - 21),
        ..rekam_card::sample::record().unwrap()
    }
}

/// A 480 x 640 RGB gradient with a disc, as a camera would hand over a cropped portrait.
fn photo() -> RawImage {
    let (w, h) = (480u32, 640u32);
    let mut data = Vec::with_capacity((w * h * 3) as usize);
    for y in 0..h {
        for x in 0..w {
            let (dx, dy) = (x as i32 - 240, y as i32 - 280);
            if dx * dx + dy * dy < 150 * 150 {
                data.extend_from_slice(&[220, 180, 140]);
            } else {
                data.extend_from_slice(&[40, 90, (150 + y / 8) as u8]);
            }
        }
    }
    RawImage::rgb(w, h, data).unwrap()
}

fn signature() -> RawImage {
    let (w, h) = (480usize, 180usize);
    let mut data = vec![235u8; w * h];
    for t in 0..4000 {
        let t = f64::from(t) / 4000.0;
        let x = 40.0 + 400.0 * t;
        let y = 90.0 + 50.0 * (t * 12.0).sin();
        for o in -2i64..=2 {
            let (px, py) = (x as i64, y as i64 + o);
            data[py as usize * w + px as usize] = 25;
        }
    }
    RawImage::gray(w as u32, h as u32, None, data).unwrap()
}

fn receipt() -> Receipt {
    Receipt {
        kind: ReceiptKind::TandaPengambilan,
        office: Office {
            name: "Kecamatan Senduro".to_owned(),
            address: "Jl. Raya Senduro No. 1, Senduro, Lumajang 67361".to_owned(),
            region: "Kabupaten Lumajang".to_owned(),
            complaint_channels: vec![
                "Telepon/WhatsApp: 0812-3456-7890".to_owned(),
                "SP4N LAPOR!: lapor.go.id".to_owned(),
            ],
        },
        applicant_name: "Siti Nur'aini".to_owned(),
        nik_masked: "3508**********01".to_owned(),
        reason: DeferralText::NotPrr,
        job_ref: "job_01JD3Z6K8T9W4Q2M5N7P0R1S2V".to_owned(),
        issued_at: date!(2026 - 11 - 21),
        return_date: Some(date!(2026 - 11 - 28)),
        operator: "Bambang Sutrisno".to_owned(),
    }
}

fn bench(c: &mut Criterion) {
    let record = record();
    let photo = photo();
    let signature = signature();
    let layout = CardLayout::default();
    let jpeg = {
        let img = image::RgbImage::from_raw(photo.width, photo.height, photo.data.clone()).unwrap();
        let mut out = Vec::new();
        img.write_to(
            &mut std::io::Cursor::new(&mut out),
            image::ImageFormat::Jpeg,
        )
        .unwrap();
        EncodedImage {
            codec: ImageCodec::Jpeg,
            width: photo.width,
            height: photo.height,
            bytes: out,
        }
    };
    c.bench_function("render_front (raw photo)", |b| {
        b.iter(|| {
            render_front(
                black_box(&record),
                Some(PhotoSource::Raw(&photo)),
                Some(&signature),
                &layout,
            )
            .unwrap()
        })
    });
    c.bench_function("render_front (JPEG photo)", |b| {
        b.iter(|| {
            render_front(
                black_box(&record),
                Some(PhotoSource::Encoded(&jpeg)),
                Some(&signature),
                &layout,
            )
            .unwrap()
        })
    });
    let card = render_front(
        &record,
        Some(PhotoSource::Raw(&photo)),
        Some(&signature),
        &layout,
    )
    .unwrap();
    c.bench_function("encode_png (card face)", |b| {
        b.iter(|| encode_png(black_box(&card.image)).unwrap())
    });
    let receipt = receipt();
    for (name, opts) in [
        ("render_receipt (A6, 203 dpi)", ReceiptOptions::default()),
        (
            "render_receipt (A5, 300 dpi)",
            ReceiptOptions {
                paper: Paper::A5,
                dpi: 300,
            },
        ),
    ] {
        c.bench_function(name, |b| {
            b.iter(|| render_receipt(black_box(&receipt), &opts).unwrap())
        });
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
