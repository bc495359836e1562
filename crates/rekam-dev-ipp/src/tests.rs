//! Protocol tests on a scripted transport: each expected request (by operation) gets a
//! scripted response; every request sent is recorded for the test to inspect.

use std::collections::VecDeque;
use std::io::Read;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ipp::prelude::{
    DelimiterTag, IppAttribute, IppRequestResponse, IppValue, IppVersion, Operation, StatusCode,
    Uri,
};
use rekam_card::render::{CARD_HEIGHT, CARD_WIDTH};
use rekam_hal::{
    CardPrinter, Condition, Control, Device, DeviceId, DeviceState, Document, DocumentPrinter,
    EncodedImage, ErrorKind, ImageCodec, RawImage,
};

use crate::transport::{IppTransport, TransportError};
use crate::{IppCardPrinter, IppDocumentPrinter, Pacing};

/// A request as sent.
#[derive(Debug, Clone)]
struct Sent {
    op: i16,
    attrs: Vec<(String, String)>,
    payload: Vec<u8>,
}

impl Sent {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

type Reply = Result<IppRequestResponse, TransportError>;

struct Script {
    uri: Uri,
    replies: VecDeque<(Operation, Box<dyn FnOnce() -> Reply + Send>)>,
    sent: Arc<Mutex<Vec<Sent>>>,
}

impl Script {
    fn new() -> (Self, Arc<Mutex<Vec<Sent>>>) {
        let sent = Arc::new(Mutex::new(Vec::new()));
        (
            Script {
                uri: "ipp://printer.test:631/ipp/print".parse().unwrap(),
                replies: VecDeque::new(),
                sent: sent.clone(),
            },
            sent,
        )
    }

    fn then(mut self, op: Operation, reply: impl FnOnce() -> Reply + Send + 'static) -> Self {
        self.replies.push_back((op, Box::new(reply)));
        self
    }
}

impl IppTransport for Script {
    fn uri(&self) -> &Uri {
        &self.uri
    }

    fn send(&mut self, request: IppRequestResponse, timeout: Duration) -> Reply {
        assert!(!timeout.is_zero(), "a request was sent with no time left");
        let op = request.header().operation_or_status;
        let attrs = request
            .attributes()
            .groups()
            .iter()
            .flat_map(|g| g.attributes())
            .map(|a| (a.name().as_str().to_owned(), a.value().to_string()))
            .collect();
        let mut payload = Vec::new();
        request.into_payload().read_to_end(&mut payload).unwrap();
        self.sent.lock().unwrap().push(Sent { op, attrs, payload });
        let (expected, reply) = self
            .replies
            .pop_front()
            .unwrap_or_else(|| panic!("unexpected request, operation 0x{op:04x}"));
        assert_eq!(op, expected as i16, "expected {expected:?}");
        reply()
    }
}

fn response(status: StatusCode) -> IppRequestResponse {
    IppRequestResponse::new_response(IppVersion::v1_1(), status, 1).unwrap()
}

fn printer_attrs(formats: &[&str], media: &[&str], reasons: &[&str], state: i32) -> Reply {
    let mut r = response(StatusCode::SuccessfulOk);
    let tag = DelimiterTag::PrinterAttributes;
    let kw = |v: &[&str]| {
        IppValue::Array(
            v.iter()
                .map(|s| IppValue::new_keyword(*s).unwrap())
                .collect(),
        )
    };
    let a = r.attributes_mut();
    a.add(
        tag,
        IppAttribute::with_name(
            "printer-make-and-model",
            IppValue::new_text_without_language("Scripted Card Printer").unwrap(),
        )
        .unwrap(),
    );
    a.add(
        tag,
        IppAttribute::with_name(
            "document-format-supported",
            IppValue::Array(
                formats
                    .iter()
                    .map(|f| IppValue::new_mime_media_type(*f).unwrap())
                    .collect(),
            ),
        )
        .unwrap(),
    );
    a.add(
        tag,
        IppAttribute::with_name("media-supported", kw(media)).unwrap(),
    );
    let reasons = if reasons.is_empty() {
        &["none"][..]
    } else {
        reasons
    };
    a.add(
        tag,
        IppAttribute::with_name("printer-state-reasons", kw(reasons)).unwrap(),
    );
    a.add(
        tag,
        IppAttribute::with_name("printer-state", IppValue::Enum(state)).unwrap(),
    );
    a.add(
        tag,
        IppAttribute::with_name("printer-is-accepting-jobs", IppValue::Boolean(true)).unwrap(),
    );
    Ok(r)
}

fn card_attrs(reasons: &[&str]) -> Reply {
    printer_attrs(
        &["image/png", "image/pwg-raster"],
        &["custom_cr80_53.98x85.6mm"],
        reasons,
        3,
    )
}

fn job_created(id: i32) -> Reply {
    let mut r = response(StatusCode::SuccessfulOk);
    r.attributes_mut().add(
        DelimiterTag::JobAttributes,
        IppAttribute::with_name("job-id", IppValue::Integer(id)).unwrap(),
    );
    r.attributes_mut().add(
        DelimiterTag::JobAttributes,
        IppAttribute::with_name("job-state", IppValue::Enum(3)).unwrap(),
    );
    Ok(r)
}

fn job_state(state: i32) -> Reply {
    let mut r = response(StatusCode::SuccessfulOk);
    r.attributes_mut().add(
        DelimiterTag::JobAttributes,
        IppAttribute::with_name("job-state", IppValue::Enum(state)).unwrap(),
    );
    r.attributes_mut().add(
        DelimiterTag::JobAttributes,
        IppAttribute::with_name("job-state-reasons", IppValue::new_keyword("none").unwrap())
            .unwrap(),
    );
    Ok(r)
}

fn fast() -> Pacing {
    Pacing {
        busy_first: Duration::from_millis(1),
        busy_max: Duration::from_millis(4),
        poll_first: Duration::from_millis(1),
        poll_max: Duration::from_millis(2),
    }
}

fn card_printer(script: Script) -> IppCardPrinter<Script> {
    IppCardPrinter::new(DeviceId::new("ipp:card-printer:0").unwrap(), script).with_pacing(fast())
}

fn face() -> RawImage {
    let mut data = vec![255u8; (CARD_WIDTH * CARD_HEIGHT * 3) as usize];
    data[..3000].fill(0);
    RawImage::rgb(CARD_WIDTH, CARD_HEIGHT, data).unwrap()
}

fn ctl() -> Control {
    Control::with_timeout(Duration::from_secs(10))
}

#[test]
fn a_card_prints_as_png_and_is_followed_to_completion() {
    let (script, sent) = Script::new();
    let script = script
        .then(Operation::GetPrinterAttributes, || card_attrs(&[]))
        .then(Operation::PrintJob, || job_created(7))
        .then(Operation::GetJobAttributes, || job_state(5))
        .then(Operation::GetJobAttributes, || job_state(5))
        .then(Operation::GetJobAttributes, || job_state(9));
    let mut p = card_printer(script);
    p.print(&face(), &ctl()).unwrap();
    let sent = sent.lock().unwrap();
    let print = &sent[1];
    assert_eq!(print.attr("document-format"), Some("image/png"));
    assert_eq!(print.attr("job-name"), Some("ktp-el-card"));
    assert_eq!(&print.payload[1..4], b"PNG");
    assert_eq!(sent[2].attr("job-id"), Some("7"));
    assert_eq!(p.stats().jobs_completed, 1);
    assert_eq!(p.info().model, "Scripted Card Printer");
}

#[test]
fn a_printer_without_png_gets_pwg_raster() {
    let (script, sent) = Script::new();
    let script = script
        .then(Operation::GetPrinterAttributes, || {
            printer_attrs(&["image/pwg-raster"], &["custom_cr80_53.98x85.6mm"], &[], 3)
        })
        .then(Operation::PrintJob, || job_created(1))
        .then(Operation::GetJobAttributes, || job_state(9));
    let mut p = card_printer(script);
    p.print(&face(), &ctl()).unwrap();
    let sent = sent.lock().unwrap();
    assert_eq!(sent[1].attr("document-format"), Some("image/pwg-raster"));
    let page = crate::pwg::decode(&sent[1].payload).unwrap();
    assert_eq!(page.image.data, face().data);
    assert_eq!(page.dpi, (300, 300));
}

#[test]
fn busy_is_retried_with_backoff_then_succeeds() {
    let (script, sent) = Script::new();
    let script = script
        .then(Operation::GetPrinterAttributes, || card_attrs(&[]))
        .then(Operation::PrintJob, || {
            Ok(response(StatusCode::ServerErrorBusy))
        })
        .then(Operation::PrintJob, || {
            Ok(response(StatusCode::ServerErrorBusy))
        })
        .then(Operation::PrintJob, || job_created(3))
        .then(Operation::GetJobAttributes, || job_state(9));
    let mut p = card_printer(script);
    p.print(&face(), &ctl()).unwrap();
    assert_eq!(p.stats().busy_retries, 2);
    // Each retry carries the whole document again.
    let sent = sent.lock().unwrap();
    assert_eq!(sent[1].payload, sent[3].payload);
}

#[test]
fn a_printer_busy_until_the_deadline_is_reported_busy() {
    let (mut script, _sent) = Script::new();
    script = script.then(Operation::GetPrinterAttributes, || card_attrs(&[]));
    for _ in 0..10_000 {
        script = script.then(Operation::PrintJob, || {
            Ok(response(StatusCode::ServerErrorBusy))
        });
    }
    let mut p = card_printer(script);
    // The deadline may fall during a backoff wait or during a retry's exchange (on a loaded
    // machine, usually the latter): either way the printer stayed busy.
    let e = p
        .print(&face(), &Control::with_timeout(Duration::from_millis(300)))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Busy, "{e}");
    assert!(e.kind().is_transient());
    assert!(p.stats().busy_retries >= 2);
}

#[test]
fn an_aborted_job_becomes_the_printer_condition() {
    for (reason, kind, condition) in [
        (
            "media-empty-report",
            ErrorKind::OutOfSupplies,
            Condition::MediaEmpty,
        ),
        (
            "media-needed-warning",
            ErrorKind::OutOfSupplies,
            Condition::MediaEmpty,
        ),
        (
            "marker-supply-empty-warning",
            ErrorKind::OutOfSupplies,
            Condition::RibbonEmpty,
        ),
        ("media-jam-error", ErrorKind::Hardware, Condition::MediaJam),
        ("cover-open", ErrorKind::Hardware, Condition::CoverOpen),
        (
            "offline-report",
            ErrorKind::Disconnected,
            Condition::Offline,
        ),
    ] {
        let (script, _sent) = Script::new();
        let script = script
            .then(Operation::GetPrinterAttributes, || card_attrs(&[]))
            .then(Operation::PrintJob, || job_created(2))
            .then(Operation::GetJobAttributes, || job_state(5))
            .then(Operation::GetJobAttributes, || job_state(8))
            .then(Operation::GetPrinterAttributes, move || {
                card_attrs(&[reason])
            });
        let mut p = card_printer(script);
        let e = p.print(&face(), &ctl()).unwrap_err();
        assert_eq!(
            (e.kind(), e.condition()),
            (kind, Some(condition)),
            "{reason}: {e}"
        );
    }
}

#[test]
fn an_aborted_job_without_a_reason_is_a_hardware_fault() {
    let (script, _sent) = Script::new();
    let script = script
        .then(Operation::GetPrinterAttributes, || card_attrs(&[]))
        .then(Operation::PrintJob, || job_created(2))
        .then(Operation::GetJobAttributes, || job_state(8))
        .then(Operation::GetPrinterAttributes, || card_attrs(&[]));
    let e = card_printer(script).print(&face(), &ctl()).unwrap_err();
    assert_eq!((e.kind(), e.condition()), (ErrorKind::Hardware, None));
}

#[test]
fn a_stopped_job_is_cancelled_and_reports_why() {
    let (script, sent) = Script::new();
    let script = script
        .then(Operation::GetPrinterAttributes, || card_attrs(&[]))
        .then(Operation::PrintJob, || job_created(4))
        .then(Operation::GetJobAttributes, || job_state(6))
        .then(Operation::GetPrinterAttributes, || {
            card_attrs(&["cover-open-error"])
        })
        .then(Operation::CancelJob, || {
            Ok(response(StatusCode::SuccessfulOk))
        });
    let mut p = card_printer(script);
    let e = p.print(&face(), &ctl()).unwrap_err();
    assert_eq!(e.condition(), Some(Condition::CoverOpen));
    assert_eq!(sent.lock().unwrap()[4].attr("job-id"), Some("4"));
    assert_eq!(p.stats().jobs_cancelled, 1);
}

#[test]
fn a_blocking_condition_fails_before_anything_is_sent() {
    let (script, sent) = Script::new();
    let script = script.then(Operation::GetPrinterAttributes, || {
        card_attrs(&["marker-supply-empty-report"])
    });
    let e = card_printer(script).print(&face(), &ctl()).unwrap_err();
    assert_eq!(
        (e.kind(), e.condition()),
        (ErrorKind::OutOfSupplies, Some(Condition::RibbonEmpty))
    );
    assert_eq!(sent.lock().unwrap().len(), 1);
}

#[test]
fn cancelling_cancels_the_job_at_the_printer() {
    let (mut script, sent) = Script::new();
    script = script
        .then(Operation::GetPrinterAttributes, || card_attrs(&[]))
        .then(Operation::PrintJob, || job_created(11));
    let ctl = ctl();
    let token = ctl.token().clone();
    script = script.then(Operation::GetJobAttributes, move || {
        token.cancel();
        job_state(5)
    });
    script = script.then(Operation::CancelJob, || {
        Ok(response(StatusCode::SuccessfulOk))
    });
    let mut p = card_printer(script);
    let e = p.print(&face(), &ctl).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Cancelled);
    let sent = sent.lock().unwrap();
    let cancel = sent.last().unwrap();
    assert_eq!(cancel.op, Operation::CancelJob as i16);
    assert_eq!(cancel.attr("job-id"), Some("11"));
}

#[test]
fn a_deadline_cancels_the_job_and_times_out() {
    let (mut script, _sent) = Script::new();
    script = script
        .then(Operation::GetPrinterAttributes, || card_attrs(&[]))
        .then(Operation::PrintJob, || job_created(12));
    script = script.then(Operation::GetJobAttributes, || {
        std::thread::sleep(Duration::from_millis(80));
        job_state(5)
    });
    script = script.then(Operation::CancelJob, || {
        Ok(response(StatusCode::SuccessfulOk))
    });
    let mut p = card_printer(script);
    let e = p
        .print(&face(), &Control::with_timeout(Duration::from_millis(50)))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert_eq!(p.stats().jobs_cancelled, 1);
}

#[test]
fn ipp_error_statuses_are_errors_though_the_exchange_succeeded() {
    for (status, kind) in [
        (
            StatusCode::ClientErrorDocumentFormatNotSupported,
            ErrorKind::InvalidInput,
        ),
        (
            StatusCode::ClientErrorNotAuthorized,
            ErrorKind::PermissionDenied,
        ),
        (StatusCode::ServerErrorDeviceError, ErrorKind::Hardware),
        (StatusCode::ServerErrorInternalError, ErrorKind::Protocol),
    ] {
        let (script, _sent) = Script::new();
        let script = script
            .then(Operation::GetPrinterAttributes, || card_attrs(&[]))
            .then(Operation::PrintJob, move || Ok(response(status)));
        let e = card_printer(script).print(&face(), &ctl()).unwrap_err();
        assert_eq!(e.kind(), kind, "{status:?}");
    }
}

#[test]
fn status_maps_reasons_and_an_unreachable_printer() {
    let (script, _sent) = Script::new();
    let script = script
        .then(Operation::GetPrinterAttributes, || {
            card_attrs(&["media-empty-warning", "media-needed-warning"])
        })
        .then(Operation::GetPrinterAttributes, || {
            Err(TransportError::Unreachable("connection refused".into()))
        })
        .then(Operation::GetPrinterAttributes, || {
            card_attrs(&["media-empty-warning"])
        });
    let mut p = card_printer(script);
    let s = p.status(&ctl()).unwrap();
    assert_eq!(s.state, DeviceState::NeedsAttention);
    assert_eq!(s.conditions, vec![Condition::MediaEmpty]);
    assert_eq!(s.supplies.unwrap().blanks, Some(0));
    assert_eq!(p.status(&ctl()).unwrap().state, DeviceState::Disconnected);
    assert_eq!(p.supplies(&ctl()).unwrap().blanks, Some(0));
}

#[test]
fn feed_is_refused_eject_and_reject_move_nothing() {
    let (script, sent) = Script::new();
    let mut p = card_printer(script);
    assert_eq!(p.feed(&ctl()).unwrap_err().kind(), ErrorKind::Unsupported);
    p.eject(&ctl()).unwrap();
    p.reject(&ctl()).unwrap();
    assert!(!p.capabilities().inline_encoder);
    assert!(sent.lock().unwrap().is_empty());
}

#[test]
fn a_wrong_face_is_refused() {
    let (script, _sent) = Script::new();
    let mut p = card_printer(script);
    let small = RawImage::rgb(10, 10, vec![0; 300]).unwrap();
    assert_eq!(
        p.print(&small, &ctl()).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
}

#[test]
fn recover_cancels_a_job_left_in_flight() {
    let (mut script, sent) = Script::new();
    script = script
        .then(Operation::GetPrinterAttributes, || card_attrs(&[]))
        .then(Operation::PrintJob, || job_created(21))
        .then(Operation::GetJobAttributes, || {
            Err(TransportError::Unreachable("reset".into()))
        })
        .then(Operation::CancelJob, || {
            Ok(response(StatusCode::SuccessfulOk))
        });
    let mut p = card_printer(script);
    let e = p.print(&face(), &ctl()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Disconnected);
    // The connection broke: no Cancel-Job then; recover() sends it.
    assert_eq!(sent.lock().unwrap().len(), 3);
    p.recover(&ctl()).unwrap();
    assert_eq!(sent.lock().unwrap()[3].attr("job-id"), Some("21"));
}

fn doc_printer(script: Script) -> IppDocumentPrinter<Script> {
    IppDocumentPrinter::new(DeviceId::new("ipp:document-printer:0").unwrap(), script)
        .with_pacing(fast())
}

fn receipt_png() -> Vec<u8> {
    let mut img = RawImage::gray(
        40,
        30,
        Some(300),
        (0..1200).map(|i| (i % 251) as u8).collect(),
    )
    .unwrap();
    img.ppi = Some(300);
    rekam_card::render::encode_png(&img).unwrap()
}

#[test]
fn a_receipt_goes_with_its_media() {
    let (script, sent) = Script::new();
    let script = script
        .then(Operation::GetPrinterAttributes, || {
            printer_attrs(
                &["image/png"],
                &["iso_a6_105x148mm", "iso_a5_148x210mm"],
                &[],
                3,
            )
        })
        .then(Operation::PrintJob, || job_created(5))
        .then(Operation::GetJobAttributes, || job_state(9));
    let mut p = doc_printer(script);
    let doc = Document {
        name: "TANDA_PENGAMBILAN-r1".into(),
        content: EncodedImage {
            codec: ImageCodec::Png,
            width: 40,
            height: 30,
            bytes: receipt_png(),
        },
        media: "iso_a5_148x210mm".into(),
    };
    assert_eq!(p.print(&doc, &ctl()).unwrap(), "5");
    let sent = sent.lock().unwrap();
    assert_eq!(sent[1].attr("media"), Some("iso_a5_148x210mm"));
    assert_eq!(sent[1].payload, doc.content.bytes);
    assert_eq!(p.capabilities().media.len(), 2);
}

#[test]
fn a_receipt_png_becomes_pwg_raster_when_needed_and_bad_media_is_refused() {
    let (script, sent) = Script::new();
    let script = script
        .then(Operation::GetPrinterAttributes, || {
            printer_attrs(&["image/pwg-raster"], &["iso_a6_105x148mm"], &[], 3)
        })
        .then(Operation::PrintJob, || job_created(6))
        .then(Operation::GetJobAttributes, || job_state(9))
        .then(Operation::GetPrinterAttributes, || {
            printer_attrs(&["image/pwg-raster"], &["iso_a6_105x148mm"], &[], 3)
        });
    let mut p = doc_printer(script);
    let mut doc = Document {
        name: "SURAT_KETERANGAN-r2".into(),
        content: EncodedImage {
            codec: ImageCodec::Png,
            width: 40,
            height: 30,
            bytes: receipt_png(),
        },
        media: "iso_a6_105x148mm".into(),
    };
    p.print(&doc, &ctl()).unwrap();
    {
        let sent = sent.lock().unwrap();
        assert_eq!(sent[1].attr("document-format"), Some("image/pwg-raster"));
        let page = crate::pwg::decode(&sent[1].payload).unwrap();
        assert_eq!(
            (page.image.width, page.image.height, page.dpi.0),
            (40, 30, 300)
        );
        assert_eq!(page.media, "iso_a6_105x148mm");
    }
    doc.media = "iso_a4_210x297mm".into();
    assert_eq!(
        p.print(&doc, &ctl()).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
}
