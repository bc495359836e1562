//! The IPP drivers against a real IPP printer: Debian's `ippeveprinter` (`cups-ipp-utils`)
//! on a private D-Bus (`dbus`). The tests decode what the printer received from its spool
//! and check size, resolution and content; faults are raised by the printer's per-job
//! command (`STATE: +media-empty`, `+marker-supply-empty`); a held job makes the printer
//! answer `server-error-busy` to the next one.
//!
//! Each test starts its own bus and printer (by pid, on a free port) and stops them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Duration;

use rekam_card::render::{
    encode_png, render_front, render_receipt, CardField, CardLayout, DeferralText, Office, Paper,
    PhotoSource, Receipt, ReceiptKind, ReceiptOptions, Rect, RenderedCard, CARD_HEIGHT, CARD_WIDTH,
};
use rekam_card::{CardRecord, Nik};
use rekam_dev_ipp::{pwg, HttpTransport, IppCardPrinter, IppDocumentPrinter, Pacing};
use rekam_hal::{
    CardPrinter, Condition, Control, Device, DeviceId, DeviceState, Document, DocumentPrinter,
    EncodedImage, ErrorKind, ImageCodec, PixelFormat, RawImage,
};
use support::{Bus, Printer, CARD_ATTRS, CARD_PWG_ONLY_ATTRS, RECEIPT_ATTRS};
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

fn card() -> RenderedCard {
    let photo = photo();
    render_front(
        &record(),
        Some(PhotoSource::Raw(&photo)),
        None,
        &CardLayout::default(),
    )
    .unwrap()
}

fn fast() -> Pacing {
    Pacing {
        busy_first: Duration::from_millis(50),
        busy_max: Duration::from_millis(200),
        poll_first: Duration::from_millis(20),
        poll_max: Duration::from_millis(100),
    }
}

fn card_printer(p: &Printer) -> IppCardPrinter<HttpTransport> {
    IppCardPrinter::new(
        DeviceId::new("ipp:card-printer:0").unwrap(),
        HttpTransport::new(&p.uri).unwrap(),
    )
    .with_pacing(fast())
}

fn doc_printer(p: &Printer) -> IppDocumentPrinter<HttpTransport> {
    IppDocumentPrinter::new(
        DeviceId::new("ipp:document-printer:0").unwrap(),
        HttpTransport::new(&p.uri).unwrap(),
    )
    .with_pacing(fast())
}

fn ctl() -> Control {
    Control::with_timeout(Duration::from_secs(30))
}

/// Decodes a PNG: the image and its resolution in dpi (from `pHYs`).
fn decode_png(bytes: &[u8]) -> (RawImage, Option<u32>) {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().unwrap();
    let dpi = reader
        .info()
        .pixel_dims
        .filter(|d| d.unit == png::Unit::Meter)
        .map(|d| (f64::from(d.xppu) * 0.0254).round() as u32);
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    let format = match info.color_type {
        png::ColorType::Rgb => PixelFormat::Rgb8,
        png::ColorType::Grayscale => PixelFormat::Gray8,
        other => panic!("unexpected PNG colour type {other:?}"),
    };
    (
        RawImage {
            width: info.width,
            height: info.height,
            format,
            ppi: dpi.map(|d| d as u16),
            data: buf,
        },
        dpi,
    )
}

fn pixel(img: &RawImage, x: u32, y: u32) -> [u8; 3] {
    let i = ((y * img.width + x) * 3) as usize;
    [img.data[i], img.data[i + 1], img.data[i + 2]]
}

fn luma(p: [u8; 3]) -> u32 {
    (u32::from(p[0]) * 299 + u32::from(p[1]) * 587 + u32::from(p[2]) * 114) / 1000
}

/// Distinct colours and the spread of brightness in a region.
fn variety(img: &RawImage, r: Rect) -> (usize, u32) {
    let mut colours = std::collections::HashSet::new();
    let (mut lo, mut hi) = (255, 0);
    for y in r.y..r.bottom() {
        for x in r.x..r.right() {
            let p = pixel(img, x, y);
            colours.insert(p);
            let l = luma(p);
            lo = lo.min(l);
            hi = hi.max(l);
        }
    }
    (colours.len(), hi.saturating_sub(lo))
}

/// Groups of adjacent columns with dark ink in a region: one per glyph when glyphs do not
/// touch (digits in a sans-serif bold face do not).
fn ink_column_groups(img: &RawImage, r: Rect) -> usize {
    let mut groups = 0;
    let mut inside = false;
    for x in r.x..r.right() {
        let inked = (r.y..r.bottom()).any(|y| luma(pixel(img, x, y)) < 100);
        if inked && !inside {
            groups += 1;
        }
        inside = inked;
    }
    groups
}

#[test]
fn a_card_face_arrives_whole_at_300_dpi_with_photo_and_nik() {
    let bus = Bus::start();
    let printer = Printer::start(&bus, CARD_ATTRS);
    let mut driver = card_printer(&printer);
    let status = driver.status(&ctl()).unwrap();
    assert_eq!(status.state, DeviceState::Ready, "{status:?}");
    assert_eq!(status.supplies.unwrap().ribbon_percent, Some(80));
    assert_eq!(driver.info().model, "Rekam Test CR80 Card Printer");
    let card = card();
    driver.print(&card.image, &ctl()).unwrap();
    driver.eject(&ctl()).unwrap();

    let (path, bytes) = printer.received("1");
    assert!(
        path.to_string_lossy().ends_with("1-ktp-el-card.png"),
        "{path:?}"
    );
    let (got, dpi) = decode_png(&bytes);
    assert_eq!((got.width, got.height), (CARD_WIDTH, CARD_HEIGHT));
    assert_eq!(dpi, Some(300));
    assert_eq!(
        got.data, card.image.data,
        "the printer received exactly the rendered face"
    );

    // The photo region holds a picture, not the background.
    let photo = card.region(CardField::Photo).unwrap();
    let (colours, spread) = variety(&got, photo);
    assert!(
        colours >= 3 && spread > 100,
        "photo region looks blank: {colours} colours, spread {spread}"
    );
    // The NIK: sixteen separate glyphs of dark ink exactly where the layout put the digits,
    // and nothing dark just below them.
    let nik = card.region(CardField::Nik).unwrap();
    assert_eq!(ink_column_groups(&got, nik), 16, "NIK region {nik:?}");
    let below = Rect::new(nik.x, nik.bottom() + 2, nik.width, 6);
    assert_eq!(ink_column_groups(&got, below), 0);
}

#[test]
fn a_printer_without_png_receives_pwg_raster() {
    let bus = Bus::start();
    let printer = Printer::start(&bus, CARD_PWG_ONLY_ATTRS);
    let mut driver = card_printer(&printer);
    let card = card();
    driver.print(&card.image, &ctl()).unwrap();
    let (path, bytes) = printer.received("1");
    assert!(path.to_string_lossy().contains("1-ktp-el-card"), "{path:?}");
    let page = pwg::decode(&bytes).unwrap();
    assert_eq!(page.dpi, (300, 300));
    assert_eq!(page.media, "custom_cr80_53.98x85.6mm");
    assert_eq!(page.image.data, card.image.data);
}

fn receipt(paper: Paper) -> (Document, (u32, u32)) {
    let r = Receipt {
        kind: ReceiptKind::TandaPengambilan,
        office: Office {
            name: "Kecamatan Senduro".into(),
            address: "Jl. Raya Senduro No. 97".into(),
            region: "Kabupaten Lumajang".into(),
            complaint_channels: vec!["LAPOR! lapor.go.id".into()],
        },
        applicant_name: "Siti Nur'aini".into(),
        nik_masked: Nik::parse("3508014512900001").unwrap().masked(),
        reason: DeferralText::NoBlank,
        job_ref: "job-test-1".into(),
        issued_at: date!(2026 - 11 - 21),
        return_date: Some(date!(2026 - 11 - 22)),
        operator: "Operator Satu".into(),
    };
    let opts = ReceiptOptions { paper, dpi: 300 };
    let img = render_receipt(&r, &opts).unwrap();
    let size = (img.width, img.height);
    let media = match paper {
        Paper::A6 => "iso_a6_105x148mm",
        Paper::A5 => "iso_a5_148x210mm",
    };
    (
        Document {
            name: "TANDA_PENGAMBILAN-r1".into(),
            content: EncodedImage {
                codec: ImageCodec::Png,
                width: img.width,
                height: img.height,
                bytes: encode_png(&img).unwrap(),
            },
            media: media.into(),
        },
        size,
    )
}

#[test]
fn receipts_print_on_a6_and_a5() {
    let bus = Bus::start();
    let printer = Printer::start(&bus, RECEIPT_ATTRS);
    let mut driver = doc_printer(&printer);
    driver.status(&ctl()).unwrap();
    let caps = driver.capabilities();
    assert!(
        caps.media.contains(&"iso_a5_148x210mm".to_owned()),
        "{caps:?}"
    );
    for (i, paper) in [Paper::A6, Paper::A5].into_iter().enumerate() {
        let (doc, (w, h)) = receipt(paper);
        let job = driver.print(&doc, &ctl()).unwrap();
        assert_eq!(job, (i + 1).to_string());
        let (_, bytes) = printer.received(&job);
        let (got, dpi) = decode_png(&bytes);
        assert_eq!((got.width, got.height, dpi), (w, h, Some(300)));
        // A6 at 300 dpi is 1240 x 1748; A5 is 1748 x 2480.
        let expected = match paper {
            Paper::A6 => (1240, 1748),
            Paper::A5 => (1748, 2480),
        };
        assert_eq!((w, h), expected);
        assert_eq!(printer.job_media(&job).as_deref(), Some(doc.media.as_str()));
    }
    // A size the printer does not offer is refused before anything is sent.
    let (mut doc, _) = receipt(Paper::A6);
    doc.media = "iso_a4_210x297mm".into();
    assert_eq!(
        driver.print(&doc, &ctl()).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
}

#[test]
fn media_empty_raised_by_the_printer_ends_in_out_of_blanks() {
    let bus = Bus::start();
    let printer = Printer::start(&bus, CARD_ATTRS);
    let mut driver = card_printer(&printer);
    printer.inject("media-empty");
    let e = driver.print(&card().image, &ctl()).unwrap_err();
    assert_eq!(
        (e.kind(), e.condition()),
        (ErrorKind::OutOfSupplies, Some(Condition::MediaEmpty)),
        "{e}"
    );
    let status = driver.status(&ctl()).unwrap();
    assert_eq!(status.state, DeviceState::NeedsAttention);
    assert!(
        status.conditions.contains(&Condition::MediaEmpty),
        "{status:?}"
    );
    assert_eq!(driver.supplies(&ctl()).unwrap().blanks, Some(0));
    // The printer still reports it: the next card is refused before it is sent.
    printer.clear_fault();
    let e = driver.print(&card().image, &ctl()).unwrap_err();
    assert_eq!(e.condition(), Some(Condition::MediaEmpty));
    assert_eq!(
        printer
            .listing()
            .iter()
            .filter(|f| f.starts_with("2-"))
            .count(),
        0
    );
}

#[test]
fn marker_supply_empty_ends_in_ribbon_out() {
    let bus = Bus::start();
    let printer = Printer::start(&bus, CARD_ATTRS);
    let mut driver = card_printer(&printer);
    printer.inject("marker-supply-empty");
    let e = driver.print(&card().image, &ctl()).unwrap_err();
    assert_eq!(
        (e.kind(), e.condition()),
        (ErrorKind::OutOfSupplies, Some(Condition::RibbonEmpty)),
        "{e}"
    );
    assert_eq!(driver.supplies(&ctl()).unwrap().ribbon_percent, Some(0));
}

#[test]
fn a_receipt_printer_out_of_paper_is_out_of_supplies() {
    let bus = Bus::start();
    let printer = Printer::start(&bus, RECEIPT_ATTRS);
    let mut driver = doc_printer(&printer);
    printer.inject("media-empty");
    let (doc, _) = receipt(Paper::A6);
    let e = driver.print(&doc, &ctl()).unwrap_err();
    assert_eq!(
        (e.kind(), e.condition()),
        (ErrorKind::OutOfSupplies, Some(Condition::MediaEmpty)),
        "{e}"
    );
}

#[test]
fn a_busy_printer_is_retried_until_it_takes_the_job() {
    let bus = Bus::start();
    let printer = Printer::start(&bus, CARD_ATTRS);
    printer.hold();
    // Another client's job is held in the printer.
    let uri = printer.uri.clone();
    let first = std::thread::spawn(move || {
        let mut other = IppCardPrinter::new(
            DeviceId::new("ipp:card-printer:9").unwrap(),
            HttpTransport::new(&uri).unwrap(),
        )
        .with_pacing(fast());
        other.print(&card().image, &ctl())
    });
    printer.received("1");
    // Let it go a little later, while the second job is being retried.
    let dir = printer.path().to_owned();
    let releaser = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(1200));
        let _ = std::fs::remove_file(dir.join("hold"));
    });
    let mut driver = card_printer(&printer);
    driver.print(&card().image, &ctl()).unwrap();
    releaser.join().unwrap();
    first.join().unwrap().unwrap();
    assert!(driver.stats().busy_retries >= 1, "{:?}", driver.stats());
    assert_eq!(driver.stats().jobs_completed, 1);
    printer.received("2");
}

#[test]
fn a_cancelled_print_cancels_the_job_at_the_printer() {
    let bus = Bus::start();
    let printer = Printer::start(&bus, CARD_ATTRS);
    printer.hold();
    let mut driver = card_printer(&printer);
    let ctl = ctl();
    let token = ctl.token().clone();
    let canceller = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(500));
        token.cancel();
    });
    let e = driver.print(&card().image, &ctl).unwrap_err();
    canceller.join().unwrap();
    assert_eq!(e.kind(), ErrorKind::Cancelled);
    assert_eq!(driver.stats().jobs_cancelled, 1);
    // The printer was told (Cancel-Job), and the next card goes through. (The printer frees
    // itself asynchronously after a cancel: the next job may be retried once as busy.)
    printer.release();
    driver.recover(&self::ctl()).unwrap();
    driver.print(&card().image, &self::ctl()).unwrap();
    assert!(printer.log().contains("Cancel-Job"), "{}", printer.log());
}

#[test]
fn a_printer_that_is_gone_is_disconnected() {
    let bus = Bus::start();
    let mut printer = Printer::start(&bus, CARD_ATTRS);
    let mut driver = card_printer(&printer);
    driver.status(&ctl()).unwrap();
    printer.stop();
    assert_eq!(
        driver.status(&ctl()).unwrap().state,
        DeviceState::Disconnected
    );
    let e = driver.print(&card().image, &ctl()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Disconnected);
    let report = driver.self_test(&ctl(), &mut |_| {}).unwrap();
    assert!(!report.passed);
}

#[test]
fn self_test_passes_on_a_healthy_printer() {
    let bus = Bus::start();
    let printer = Printer::start(&bus, CARD_ATTRS);
    let mut driver = card_printer(&printer);
    let report = driver.self_test(&ctl(), &mut |_| {}).unwrap();
    assert!(report.passed, "{report:?}");
}
