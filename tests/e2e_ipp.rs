//! rekamd with its card printer and document printer on IPP: two real `ippeveprinter`s
//! (Debian `cups-ipp-utils`, on a private D-Bus from `dbus`), the other devices simulated,
//! the `desk_encoder` arrangement. A card is encoded, then printed through IPP (the printer
//! receives the 1016 x 648 face at 300 dpi), activated and handed over; a printer that runs
//! out of blanks mid-job moves the job to the receipt path, and the receipt comes out of the
//! IPP document printer.
//!
//! The printer harness is rekam-dev-ipp's (`crates/rekam-dev-ipp/tests/support`): it starts
//! and stops the bus and the printers by process id, and fails (never skips) when a program
//! is missing, naming its Debian package.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../crates/rekam-dev-ipp/tests/support/mod.rs"]
mod ippeve;

use ippeve::{Bus, Printer, CARD_ATTRS, RECEIPT_ATTRS};
use rekam_e2e::*;

/// The simulated devices plus the two IPP printers, and the desk-encoder arrangement.
fn options(card: &Printer, receipts: &Printer) -> DaemonOptions {
    let mut devices = String::new();
    for family in ["fingerprint", "face", "iris", "signature", "encoder"] {
        devices.push_str(&format!("[[devices]]\nselector = \"sim:{family}\"\n\n"));
    }
    devices.push_str(&format!(
        "[[devices]]\nselector = \"{}\"\nfamily = \"card-printer\"\n\n",
        card.uri
    ));
    devices.push_str(&format!(
        "[[devices]]\nselector = \"{}\"\nfamily = \"document-printer\"\n",
        receipts.uri
    ));
    DaemonOptions {
        devices_toml: Some(devices),
        extra_toml: "[workflow.issuance]\narrangement = \"desk_encoder\"\n".into(),
        ..DaemonOptions::default()
    }
}

fn png_size_and_dpi(bytes: &[u8]) -> (u32, u32, Option<u32>) {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let reader = decoder.read_info().unwrap();
    let info = reader.info();
    let dpi = info
        .pixel_dims
        .filter(|d| d.unit == png::Unit::Meter)
        .map(|d| (f64::from(d.xppu) * 0.0254).round() as u32);
    (info.width, info.height, dpi)
}

fn decode_rgb(bytes: &[u8]) -> Vec<u8> {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    buf
}

fn prompts(run: &Streamed<v1::JobEvent>) -> Vec<(v1::JobStep, v1::PromptCode)> {
    run.events
        .iter()
        .filter_map(|e| e.prompt.as_ref().map(|p| (e.step(), p.code())))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_is_encoded_then_printed_through_ipp_and_handed_over() {
    let bus = Bus::start();
    let card_printer = Printer::start(&bus, CARD_ATTRS);
    let receipts = Printer::start(&bus, RECEIPT_ATTRS);
    let d = Daemon::start(options(&card_printer, &receipts)).await;

    // The daemon lists the IPP printers with what they told it.
    let list = ok(
        d.devices()
            .await
            .list_devices(v1::ListDevicesRequest::default())
            .await,
        "ListDevices",
    );
    let printer = list
        .devices
        .iter()
        .find(|dev| dev.id == "ipp:card-printer:0")
        .unwrap_or_else(|| panic!("no IPP card printer in {list:?}"));
    assert_eq!(printer.driver, "ipp");
    assert_eq!(printer.model, "Rekam Test CR80 Card Printer");
    assert!(list
        .devices
        .iter()
        .any(|dev| dev.id == "ipp:document-printer:0"));

    let nik = nik(101);
    let (session, _) = enrol_baru(&d, &nik).await;
    let run = start_job(&d, &nik, &session, true).await;
    let job = last_job(&run);
    assert_eq!(
        job.state(),
        v1::JobState::AwaitingActivation,
        "{job:?}\n{}",
        d.log()
    );
    // The desk arrangement: the operator places the blank, then loads the encoded card.
    assert_eq!(
        prompts(&run),
        vec![
            (v1::JobStep::Feed, v1::PromptCode::PlaceBlankOnEncoder),
            (v1::JobStep::Print, v1::PromptCode::LoadCardIntoPrinter),
        ]
    );
    // Encode, then print.
    let order: Vec<v1::JobStep> = steps(&job).into_iter().map(|(s, _)| s).collect();
    let pos = |s| order.iter().position(|x| *x == s).unwrap();
    assert!(
        pos(v1::JobStep::VerifyChip) < pos(v1::JobStep::Print),
        "{order:?}"
    );

    // The printer received the face: 1016 x 648 at 300 dpi.
    let (path, bytes) = card_printer.received("1");
    assert!(
        path.to_string_lossy().ends_with("1-ktp-el-card.png"),
        "{path:?}"
    );
    assert_eq!(png_size_and_dpi(&bytes), (1016, 648, Some(300)));

    // `rekamctl card preview --job` writes the same face the printer got.
    let preview = d.dir().join("preview.png");
    let out = std::process::Command::new(rekamctl_bin())
        .arg("--socket")
        .arg(d.socket())
        .args(["card", "preview", "--job", &job.job_id, "--output"])
        .arg(&preview)
        .env_remove("REKAM_SOCKET")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let previewed = std::fs::read(&preview).unwrap();
    assert_eq!(png_size_and_dpi(&previewed), (1016, 648, Some(300)));
    assert_eq!(
        decode_rgb(&previewed),
        decode_rgb(&bytes),
        "the preview is the printed face"
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains(&nik));

    let job = activate_and_hand_over(&d, &job.job_id).await;
    assert_eq!(job.state(), v1::JobState::HandedOver);
    assert!(
        receipts.listing().is_empty(),
        "no receipt for an issued card"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_printer_out_of_blanks_defers_the_job_with_a_receipt_from_the_ipp_printer() {
    let bus = Bus::start();
    let card_printer = Printer::start(&bus, CARD_ATTRS);
    let receipts = Printer::start(&bus, RECEIPT_ATTRS);
    let d = Daemon::start(options(&card_printer, &receipts)).await;
    let nik = nik(102);
    let (session, _) = enrol_baru(&d, &nik).await;

    // The card printer runs out while printing this job's card.
    card_printer.inject("media-empty");
    let run = start_job(&d, &nik, &session, true).await;
    let job = last_job(&run);
    assert_eq!(job.state(), v1::JobState::Deferred, "{job:?}\n{}", d.log());
    assert_eq!(job.deferral(), v1::DeferralReason::OutOfBlanks);
    assert_eq!(job.cards_spoiled, 1, "the encoded card was spoiled");
    assert!(!job.receipt_id.is_empty());
    // The spoiled card is discarded by the operator.
    assert!(prompts(&run).contains(&(v1::JobStep::RejectCard, v1::PromptCode::DiscardCard)));

    // The pickup receipt came out of the IPP document printer, on A6.
    let (path, bytes) = receipts.received("1");
    let name = path.file_name().unwrap().to_string_lossy().to_lowercase();
    assert!(name.starts_with("1-tanda_pengambilan"), "{name}");
    let (w, h, _) = png_size_and_dpi(&bytes);
    assert!(h > w, "a portrait receipt, got {w}x{h}");
    assert_eq!(receipts.job_media("1").as_deref(), Some("iso_a6_105x148mm"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_receipt_paper_comes_from_the_configuration() {
    let bus = Bus::start();
    let card_printer = Printer::start(&bus, CARD_ATTRS);
    let receipts = Printer::start(&bus, RECEIPT_ATTRS);
    let mut opts = options(&card_printer, &receipts);
    opts.extra_toml.push_str("receipt_paper = \"a5\"\n");
    let d = Daemon::start(opts).await;
    let nik = nik(103);
    let (session, _) = enrol_baru(&d, &nik).await;
    card_printer.inject("media-empty");
    let run = start_job(&d, &nik, &session, true).await;
    let job = last_job(&run);
    assert_eq!(job.state(), v1::JobState::Deferred, "{job:?}\n{}", d.log());
    // A5 (148 x 210 mm) at the receipt's 203 dpi, asked for as A5 media.
    let (_, bytes) = receipts.received("1");
    let (w, h, _) = png_size_and_dpi(&bytes);
    assert_eq!((w, h), (1183, 1678), "an A5 page at 203 dpi");
    assert_eq!(receipts.job_media("1").as_deref(), Some("iso_a5_148x210mm"));
}
