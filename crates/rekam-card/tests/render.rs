//! Card-face and receipt rendering: a golden image of the face, field positions, the
//! no-silent-clipping rule, receipt sizes and QR codes.
//!
//! `REKAM_UPDATE_GOLDEN=1 cargo test -p rekam-card --test render` rewrites
//! `tests/golden/card_front.png`; `REKAM_RENDER_PREVIEW_DIR=/tmp` also writes `card.png`,
//! `receipt.png` and `suket.png` there to look at.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use rekam_card::render::card::CardField;
use rekam_card::render::receipt::{layout_receipt, ReceiptField};
use rekam_card::render::{
    encode_png, render_front, render_receipt, CardLayout, DeferralText, Office, Paper, PhotoSource,
    Receipt, ReceiptKind, ReceiptOptions, Rect, RenderError, RenderField, CARD_HEIGHT, CARD_WIDTH,
};
use rekam_card::CardRecord;
use rekam_hal::{EncodedImage, ImageCodec, PixelFormat, RawImage};
use time::macros::date;

fn record() -> CardRecord {
    CardRecord {
        date_of_issue: date!(2026 - 11 - 21),
        ..rekam_card::sample::record().unwrap()
    }
}

fn photo() -> RawImage {
    rekam_card::sample::portrait()
}

/// A synthetic signature, 480 x 180 grey: a looping stroke on slightly grey paper.
fn signature() -> RawImage {
    let (w, h) = (480usize, 180usize);
    let mut data = vec![235u8; w * h];
    for t in 0..4000 {
        let t = f64::from(t) / 4000.0;
        let x = 40.0 + 400.0 * t + 25.0 * (t * 40.0).cos();
        let y = 95.0 + 45.0 * (t * 9.0).sin() * (1.0 - t * 0.5) + 20.0 * (t * 40.0).sin();
        for oy in -2i64..=2 {
            for ox in -2i64..=2 {
                if ox * ox + oy * oy <= 4 {
                    let (px, py) = (x as i64 + ox, y as i64 + oy);
                    if (0..w as i64).contains(&px) && (0..h as i64).contains(&py) {
                        data[py as usize * w + px as usize] = 25;
                    }
                }
            }
        }
    }
    RawImage::gray(w as u32, h as u32, Some(300), data).unwrap()
}

fn render(record: &CardRecord) -> Result<rekam_card::render::RenderedCard, RenderError> {
    let photo = photo();
    render_front(
        record,
        Some(PhotoSource::Raw(&photo)),
        Some(&signature()),
        &CardLayout::default(),
    )
}

fn rgb_at(img: &RawImage, x: u32, y: u32) -> [u8; 3] {
    let i = (y as usize * img.width as usize + x as usize) * 3;
    [img.data[i], img.data[i + 1], img.data[i + 2]]
}

fn luma(p: [u8; 3]) -> u32 {
    (u32::from(p[0]) * 299 + u32::from(p[1]) * 587 + u32::from(p[2]) * 114) / 1000
}

/// Pixels of `r` darker than 100.
fn dark_pixels(img: &RawImage, r: Rect) -> usize {
    (r.y..r.bottom())
        .flat_map(|y| (r.x..r.right()).map(move |x| (x, y)))
        .filter(|&(x, y)| luma(rgb_at(img, x, y)) < 100)
        .count()
}

fn preview(name: &str, img: &RawImage) {
    if let Some(dir) = std::env::var_os("REKAM_RENDER_PREVIEW_DIR") {
        std::fs::write(PathBuf::from(dir).join(name), encode_png(img).unwrap()).unwrap();
    }
}

#[test]
fn card_front_matches_the_golden_image() {
    let card = render(&record()).unwrap();
    preview("card.png", &card.image);
    let golden = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/card_front.png");
    if std::env::var("REKAM_UPDATE_GOLDEN").as_deref() == Ok("1") {
        std::fs::create_dir_all(golden.parent().unwrap()).unwrap();
        std::fs::write(&golden, encode_png(&card.image).unwrap()).unwrap();
        return;
    }
    let expected = image::open(&golden)
        .unwrap_or_else(|e| panic!("{}: {e}; run with REKAM_UPDATE_GOLDEN=1", golden.display()))
        .to_rgb8();
    assert_eq!(expected.dimensions(), (CARD_WIDTH, CARD_HEIGHT));
    let (mut sum, mut big) = (0u64, 0usize);
    for (a, b) in expected.as_raw().iter().zip(&card.image.data) {
        let d = a.abs_diff(*b);
        sum += u64::from(d);
        big += usize::from(d > 32);
    }
    let n = card.image.data.len();
    let mean = sum as f64 / n as f64;
    let share = big as f64 / n as f64;
    assert!(mean < 1.0, "mean absolute difference {mean}");
    assert!(
        share < 0.005,
        "{:.3} % of samples differ by more than 32",
        share * 100.0
    );
}

#[test]
fn the_face_is_rgb_at_300_dpi_with_a_blue_to_white_background() {
    let card = render(&record()).unwrap();
    let img = &card.image;
    assert_eq!((img.width, img.height), (1016, 648));
    assert_eq!((img.format, img.ppi), (PixelFormat::Rgb8, Some(300)));
    assert!(img.is_consistent());
    let top_left = rgb_at(img, 2, 2);
    let bottom_right = rgb_at(img, 1013, 645);
    assert!(top_left[2] > top_left[0] + 40, "bluish top: {top_left:?}");
    assert!(
        bottom_right.iter().all(|&c| c > 245),
        "white bottom: {bottom_right:?}"
    );
}

#[test]
fn regions_are_where_the_card_has_them() {
    let card = render(&record()).unwrap();
    let whole = Rect::new(0, 0, CARD_WIDTH, CARD_HEIGHT);
    for (field, r) in &card.regions {
        assert!(whole.contains(r), "{field:?} {r:?} is off the card");
        assert!(r.width > 0 && r.height > 0, "{field:?}");
    }
    // Every field of the record was drawn, once.
    let expected = [
        CardField::Province,
        CardField::Regency,
        CardField::Nik,
        CardField::Name,
        CardField::BirthPlaceDate,
        CardField::Sex,
        CardField::BloodType,
        CardField::Address,
        CardField::RtRw,
        CardField::Village,
        CardField::District,
        CardField::Religion,
        CardField::MaritalStatus,
        CardField::Occupation,
        CardField::Citizenship,
        CardField::ValidUntil,
        CardField::Photo,
        CardField::PlaceOfIssue,
        CardField::DateOfIssue,
        CardField::Signature,
    ];
    for f in expected {
        assert_eq!(
            card.regions.iter().filter(|(g, _)| *g == f).count(),
            1,
            "{f:?}"
        );
    }
    // No two fields overlap.
    for (i, (f, a)) in card.regions.iter().enumerate() {
        for (g, b) in &card.regions[i + 1..] {
            assert!(!a.intersects(b), "{f:?} {a:?} overlaps {g:?} {b:?}");
        }
    }
    let nik = card.region(CardField::Nik).unwrap();
    let photo = card.region(CardField::Photo).unwrap();
    assert!(
        nik.right() < photo.x,
        "NIK {nik:?} not left of photo {photo:?}"
    );
    assert!(nik.y > card.region(CardField::Regency).unwrap().bottom());
    assert!(nik.bottom() < card.region(CardField::Name).unwrap().y);
    // The rows go down in the card's order, values left-aligned on one column.
    let rows = &expected[3..16];
    for pair in rows.windows(2) {
        let (a, b) = (card.region(pair[0]).unwrap(), card.region(pair[1]).unwrap());
        if pair[1] == CardField::BloodType {
            assert_eq!(a.y, b.y, "blood type on the sex row");
            assert!(b.x > a.right());
        } else if pair[0] == CardField::BloodType {
            assert!(b.y > a.bottom() - 4);
        } else {
            assert!(b.y > a.y, "{pair:?}");
            assert_eq!(a.x, b.x, "{pair:?} values aligned");
        }
    }
    // Photo, place and date of issue, signature stacked in the right column.
    let place = card.region(CardField::PlaceOfIssue).unwrap();
    let date = card.region(CardField::DateOfIssue).unwrap();
    let sig = card.region(CardField::Signature).unwrap();
    assert!(place.y >= photo.bottom() && date.y >= place.bottom() - 2 && sig.y >= date.bottom());
    for r in [place, date, sig] {
        assert!(r.x >= photo.x && r.right() <= photo.right(), "{r:?}");
    }
    assert_eq!((photo.width, photo.height), (240, 320));
}

#[test]
fn the_photo_is_not_blank_and_texts_have_ink() {
    let card = render(&record()).unwrap();
    let img = &card.image;
    let photo = card.region(CardField::Photo).unwrap();
    let lumas: Vec<f64> = (photo.y..photo.bottom())
        .flat_map(|y| (photo.x..photo.right()).map(move |x| (x, y)))
        .map(|(x, y)| f64::from(luma(rgb_at(img, x, y))))
        .collect();
    let mean = lumas.iter().sum::<f64>() / lumas.len() as f64;
    let variance = lumas.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / lumas.len() as f64;
    assert!(variance > 500.0, "photo variance {variance}");
    // The skin of the synthetic face is at the centre of the box.
    let centre = rgb_at(
        img,
        photo.x + photo.width / 2,
        photo.y + photo.height * 7 / 16,
    );
    assert!(centre[0] > 180 && centre[2] < 170, "{centre:?}");
    for (field, r) in &card.regions {
        if *field != CardField::Photo {
            let dark = dark_pixels(img, *r);
            assert!(dark > 20, "{field:?} has {dark} dark pixels");
        }
    }
    // Outside the regions and the labels, to the right of the values, stays light.
    let religion = card.region(CardField::Religion).unwrap();
    let gap_x = religion.right() + 5;
    let gap = Rect::new(
        gap_x,
        religion.y,
        CardLayout::default().value_right - gap_x,
        religion.height,
    );
    assert_eq!(dark_pixels(img, gap), 0);
}

#[test]
fn no_photo_and_no_signature_leave_their_boxes_empty() {
    let card = render_front(&record(), None, None, &CardLayout::default()).unwrap();
    assert!(card.region(CardField::Photo).is_none());
    assert!(card.region(CardField::Signature).is_none());
    let layout = CardLayout::default();
    assert_eq!(dark_pixels(&card.image, layout.photo), 0);
    assert_eq!(dark_pixels(&card.image, layout.signature), 0);
}

#[test]
fn a_jpeg_or_png_photo_is_decoded() {
    let raw = photo();
    let img = image::RgbImage::from_raw(raw.width, raw.height, raw.data.clone()).unwrap();
    let mut jpeg = Vec::new();
    img.write_to(
        &mut std::io::Cursor::new(&mut jpeg),
        image::ImageFormat::Jpeg,
    )
    .unwrap();
    let enc = EncodedImage {
        codec: ImageCodec::Jpeg,
        width: raw.width,
        height: raw.height,
        bytes: jpeg,
    };
    let from_jpeg = render_front(
        &record(),
        Some(PhotoSource::Encoded(&enc)),
        None,
        &CardLayout::default(),
    )
    .unwrap();
    let from_raw = render_front(
        &record(),
        Some(PhotoSource::Raw(&raw)),
        None,
        &CardLayout::default(),
    )
    .unwrap();
    let r = from_raw.region(CardField::Photo).unwrap();
    let diff: u64 = (r.y..r.bottom())
        .flat_map(|y| (r.x..r.right()).map(move |x| (x, y)))
        .map(|(x, y)| {
            let (a, b) = (
                rgb_at(&from_jpeg.image, x, y),
                rgb_at(&from_raw.image, x, y),
            );
            u64::from(luma(a).abs_diff(luma(b)))
        })
        .sum();
    let mean = diff as f64 / f64::from(r.width * r.height);
    assert!(mean < 6.0, "JPEG photo differs from raw by {mean}");

    let png = EncodedImage {
        codec: ImageCodec::Png,
        bytes: encode_png(&raw).unwrap(),
        ..enc.clone()
    };
    let from_png = render_front(
        &record(),
        Some(PhotoSource::Encoded(&png)),
        None,
        &CardLayout::default(),
    )
    .unwrap();
    assert_eq!(from_png.image, from_raw.image);

    let broken = EncodedImage {
        bytes: vec![0xff, 0xd8, 0, 1, 2],
        ..enc
    };
    let err = render_front(
        &record(),
        Some(PhotoSource::Encoded(&broken)),
        None,
        &CardLayout::default(),
    )
    .unwrap_err();
    assert!(matches!(err, RenderError::BadImage { .. }), "{err:?}");
}

#[test]
fn a_long_name_shrinks_then_wraps_but_renders() {
    let layout = CardLayout::default();
    let normal = render(&record()).unwrap();
    let normal_size = normal.text_size(CardField::Name).unwrap();
    assert_eq!(normal_size.em_px, layout.text_font.nominal);
    assert_eq!(normal_size.lines, 1);

    let mut r = record();
    r.name = "Raden Ajeng Siti Nur'aini Kusumawardhani".to_owned();
    let card = render(&r).unwrap();
    let size = card.text_size(CardField::Name).unwrap();
    assert!(size.em_px < layout.text_font.nominal, "{size:?}");
    assert!(size.em_px >= layout.text_font.min, "{size:?}");
    assert_eq!(size.lines, 1);
    let name = card.region(CardField::Name).unwrap();
    assert!(name.right() <= layout.value_right);
    assert!(dark_pixels(&card.image, name) > 100);

    // The longest name a record takes (60 characters) goes onto two lines and pushes the
    // rows below down.
    r.name = "Raden Ajeng Siti Nur'aini Kusumawardhani Binti Haji Abdullah".to_owned();
    assert_eq!(r.name.chars().count(), 60);
    assert_eq!(r.validate(), Ok(()));
    r.address = "Dusun Krajan Kulon, Jalan Raya Senduro-Ranupani Gang Mawar Nomor 12".to_owned();
    let card = render(&r).unwrap();
    preview("card_wrapped.png", &card.image);
    assert_eq!(card.text_size(CardField::Name).unwrap().lines, 2);
    assert_eq!(card.text_size(CardField::Address).unwrap().lines, 2);
    let last = card.region(CardField::ValidUntil).unwrap();
    assert!(last.bottom() <= layout.rows_bottom, "{last:?}");
    let pushed = card.region(CardField::BirthPlaceDate).unwrap().y;
    let before = normal.region(CardField::BirthPlaceDate).unwrap().y;
    assert_eq!(pushed, before + layout.wrap_pitch);
}

#[test]
fn a_two_line_address_renders_and_an_absurd_one_does_not_fit() {
    let mut r = record();
    r.address = "Dusun Krajan Kulon, Jalan Raya Senduro-Ranupani Gang Mawar Nomor 12".to_owned();
    let card = render(&r).unwrap();
    assert_eq!(card.text_size(CardField::Address).unwrap().lines, 2);
    let address = card.region(CardField::Address).unwrap();
    assert!(address.bottom() < card.region(CardField::RtRw).unwrap().y);

    r.address = "Jalan Panjang Sekali Yang Tidak Pernah Berakhir "
        .repeat(6)
        .trim()
        .to_owned();
    let err = render(&r).unwrap_err();
    assert_eq!(
        err,
        RenderError::DoesNotFit {
            field: RenderField::Card(CardField::Address)
        }
    );
    assert!(err.to_string().contains("Alamat"), "{err}");
    assert!(!err.to_string().contains("PANJANG"), "{err}");

    // A field that may not wrap fails the same way.
    let mut r = record();
    r.occupation = "Karyawan Badan Usaha Milik Negara Daerah Istimewa".to_owned();
    assert_eq!(
        render(&r).unwrap_err(),
        RenderError::DoesNotFit {
            field: RenderField::Card(CardField::Occupation)
        }
    );
}

#[test]
fn a_character_without_a_glyph_is_refused() {
    let mut r = record();
    r.village = "Senduro 村".to_owned();
    assert_eq!(
        render(&r).unwrap_err(),
        RenderError::MissingGlyph {
            field: RenderField::Card(CardField::Village)
        }
    );
}

#[test]
fn a_blank_signature_is_refused() {
    let blank = RawImage::gray(100, 40, None, vec![250; 4000]).unwrap();
    let err = render_front(&record(), None, Some(&blank), &CardLayout::default()).unwrap_err();
    assert!(matches!(err, RenderError::BadImage { .. }), "{err:?}");
}

fn receipt(kind: ReceiptKind) -> Receipt {
    Receipt {
        kind,
        office: Office {
            name: "Kecamatan Senduro".to_owned(),
            address: "Jl. Raya Senduro No. 1, Senduro, Lumajang 67361".to_owned(),
            region: "Kabupaten Lumajang".to_owned(),
            complaint_channels: vec![
                "Telepon/WhatsApp: 0812-3456-7890".to_owned(),
                "E-mail: kec.senduro@lumajangkab.go.id".to_owned(),
                "SP4N LAPOR!: lapor.go.id".to_owned(),
            ],
        },
        applicant_name: "Siti Nur'aini".to_owned(),
        nik_masked: record().nik.masked(),
        reason: DeferralText::NoBlank,
        job_ref: "job_01JD3Z6K8T9W4Q2M5N7P0R1S2V".to_owned(),
        issued_at: date!(2026 - 11 - 21),
        return_date: Some(date!(2026 - 11 - 28)),
        operator: "Bambang Sutrisno".to_owned(),
    }
}

fn decode_qr(img: &RawImage) -> Vec<String> {
    assert_eq!(img.format, PixelFormat::Gray8);
    let w = img.width as usize;
    let mut prepared =
        rqrr::PreparedImage::prepare_from_greyscale(w, img.height as usize, |x, y| {
            img.data[y * w + x]
        });
    prepared
        .detect_grids()
        .into_iter()
        .map(|g| g.decode().unwrap().1)
        .collect()
}

#[test]
fn receipt_pages_have_the_paper_size() {
    let cases = [
        (Paper::A6, 203, (839, 1183)),
        (Paper::A6, 300, (1240, 1748)),
        (Paper::A5, 203, (1183, 1678)),
        (Paper::A5, 300, (1748, 2480)),
    ];
    for (paper, dpi, (w, h)) in cases {
        let opts = ReceiptOptions { paper, dpi };
        let img = render_receipt(&receipt(ReceiptKind::TandaPengambilan), &opts).unwrap();
        assert_eq!((img.width, img.height), (w, h), "{paper:?} {dpi}");
        assert_eq!(img.ppi, Some(dpi));
        assert!(img.is_consistent());
    }
    let opts = ReceiptOptions {
        paper: Paper::A6,
        dpi: 72,
    };
    assert_eq!(
        render_receipt(&receipt(ReceiptKind::TandaPengambilan), &opts).unwrap_err(),
        RenderError::UnsupportedResolution { dpi: 72 }
    );
}

#[test]
fn the_qr_code_decodes_to_the_job_and_never_holds_the_nik() {
    let full_nik = record().nik.as_str().to_owned();
    for kind in [ReceiptKind::TandaPengambilan, ReceiptKind::SuratKeterangan] {
        for opts in [
            ReceiptOptions::default(),
            ReceiptOptions {
                paper: Paper::A5,
                dpi: 300,
            },
        ] {
            let r = receipt(kind);
            let img = render_receipt(&r, &opts).unwrap();
            let payloads = decode_qr(&img);
            assert_eq!(
                payloads,
                vec![format!("rekam:job:{}", r.job_ref)],
                "{kind:?} {opts:?}"
            );
            assert!(!payloads[0].contains(&full_nik));
            assert!(!payloads[0].contains(&full_nik[4..14]));
            let layout = layout_receipt(&r, &opts).unwrap();
            assert_eq!(layout.qr_payload, payloads[0]);
            for line in &layout.lines {
                assert!(!line.text.contains(&full_nik[4..14]), "{line:?}");
            }
            assert_eq!(layout.text_of(ReceiptField::Nik), "3508**********01");
            if kind == ReceiptKind::TandaPengambilan && opts == ReceiptOptions::default() {
                preview("receipt.png", &img);
            }
            if kind == ReceiptKind::SuratKeterangan && opts == ReceiptOptions::default() {
                preview("suket.png", &img);
            }
            if kind == ReceiptKind::TandaPengambilan && opts.paper == Paper::A5 {
                preview("receipt_a5.png", &img);
            }
        }
    }
}

#[test]
fn a_receipt_refuses_a_full_nik_and_a_bad_job_reference() {
    let mut r = receipt(ReceiptKind::TandaPengambilan);
    r.nik_masked = record().nik.as_str().to_owned();
    assert_eq!(
        render_receipt(&r, &ReceiptOptions::default()).unwrap_err(),
        RenderError::UnmaskedNik
    );
    let mut r = receipt(ReceiptKind::TandaPengambilan);
    r.job_ref = "job 1; rm".to_owned();
    assert_eq!(
        render_receipt(&r, &ReceiptOptions::default()).unwrap_err(),
        RenderError::InvalidJobRef
    );
}

#[test]
fn the_two_kinds_differ_in_title_and_text() {
    let opts = ReceiptOptions::default();
    let tanda = layout_receipt(&receipt(ReceiptKind::TandaPengambilan), &opts).unwrap();
    let suket = layout_receipt(&receipt(ReceiptKind::SuratKeterangan), &opts).unwrap();
    assert_eq!(
        tanda.text_of(ReceiptField::Title),
        "TANDA PENGAMBILAN KTP-el"
    );
    assert_eq!(suket.text_of(ReceiptField::Title), "SURAT KETERANGAN");
    assert!(suket
        .text_of(ReceiptField::Body)
        .contains("pengganti KTP-el"));
    assert!(!tanda.text_of(ReceiptField::Body).contains("pengganti"));
    for layout in [&tanda, &suket] {
        assert_eq!(layout.text_of(ReceiptField::ApplicantName), "SITI NUR'AINI");
        assert_eq!(
            layout.text_of(ReceiptField::Reason),
            "Blanko KTP-el belum tersedia"
        );
        assert_eq!(layout.text_of(ReceiptField::ReturnDate), "28-11-2026");
        assert_eq!(layout.text_of(ReceiptField::Operator), "Bambang Sutrisno");
        assert!(layout
            .text_of(ReceiptField::JobRef)
            .contains("job_01JD3Z6K8T9W4Q2M5N7P0R1S2V"));
        assert!(layout
            .text_of(ReceiptField::ComplaintChannels)
            .contains("LAPOR!"));
        assert_eq!(
            layout.text_of(ReceiptField::OfficeName),
            "KECAMATAN SENDURO"
        );
    }
    // The rendered titles differ where they are drawn.
    let a = render_receipt(&receipt(ReceiptKind::TandaPengambilan), &opts).unwrap();
    let b = render_receipt(&receipt(ReceiptKind::SuratKeterangan), &opts).unwrap();
    let title = tanda.lines_of(ReceiptField::Title).next().unwrap().rect;
    let differing = (title.y..title.bottom())
        .flat_map(|y| (0..a.width).map(move |x| (x, y)))
        .filter(|&(x, y)| {
            let i = (y * a.width + x) as usize;
            a.data[i].abs_diff(b.data[i]) > 64
        })
        .count();
    assert!(differing > 200, "{differing}");
    // Debug leaves out the names.
    let shown = format!("{:?} {:?}", receipt(ReceiptKind::SuratKeterangan), suket);
    assert!(
        !shown.contains("SITI") && !shown.contains("Siti") && !shown.contains("Bambang"),
        "{shown}"
    );
}

#[test]
fn receipt_lines_stay_on_the_page_and_apart() {
    for paper in [Paper::A6, Paper::A5] {
        let opts = ReceiptOptions { paper, dpi: 203 };
        let layout = layout_receipt(&receipt(ReceiptKind::SuratKeterangan), &opts).unwrap();
        let page = Rect::new(0, 0, layout.width, layout.height);
        for (i, a) in layout.lines.iter().enumerate() {
            assert!(page.contains(&a.rect), "{a:?}");
            assert!(!a.rect.intersects(&layout.qr), "{a:?} over the QR code");
            for b in &layout.lines[i + 1..] {
                assert!(!a.rect.intersects(&b.rect), "{a:?} overlaps {b:?}");
            }
            for rule in &layout.rules {
                assert!(!a.rect.intersects(rule), "{a:?} crosses a rule");
            }
        }
        // Body text is at least 6.5 pt.
        let min_px = layout
            .lines
            .iter()
            .map(|l| l.em_px)
            .fold(f32::MAX, f32::min);
        assert!(min_px >= 5.5 * 203.0 / 72.0 - 0.01, "{min_px}");
        // The complaint channels are at the bottom.
        let last = layout.lines.last().unwrap();
        assert_eq!(last.field, ReceiptField::ComplaintChannels);
        assert!(last.rect.bottom() > layout.height * 9 / 10);
    }
}

#[test]
fn a_receipt_that_does_not_fit_fails() {
    let mut r = receipt(ReceiptKind::TandaPengambilan);
    r.office.complaint_channels = (0..30)
        .map(|i| format!("Saluran pengaduan nomor {i}"))
        .collect();
    let err = render_receipt(&r, &ReceiptOptions::default()).unwrap_err();
    assert!(
        matches!(
            err,
            RenderError::DoesNotFit {
                field: RenderField::Receipt(_)
            }
        ),
        "{err:?}"
    );

    let mut r = receipt(ReceiptKind::TandaPengambilan);
    r.reason = DeferralText::Other("Sangat panjang sekali ".repeat(20).trim().to_owned());
    assert_eq!(
        render_receipt(&r, &ReceiptOptions::default()).unwrap_err(),
        RenderError::DoesNotFit {
            field: RenderField::Receipt(ReceiptField::Reason)
        }
    );
}
