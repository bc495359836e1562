//! Helpers shared by the integration tests: typed device openers, a recording capture sink, an
//! event recorder and a thread CPU clock.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rekam_hal::{
    AnyDevice, CaptureSink, CardEncoder, CardPrinter, Control, DeviceEvent, DeviceFamily,
    DocumentPrinter, EventSink, FaceCamera, FingerCaptureRequest, FingerprintScanner, Guidance,
    IrisCamera, PreviewFrame, SignaturePad, SimSubject, SlapKind,
};
use rekam_sim::{open, FaultHandle, SimConfig, SimWorld};

pub fn world() -> SimWorld {
    SimWorld::new(SimConfig::for_tests())
}

pub fn ctl() -> Control {
    Control::with_timeout(Duration::from_secs(30))
}

pub fn scanner(world: &SimWorld) -> (Box<dyn FingerprintScanner>, FaultHandle) {
    match open(DeviceFamily::FingerprintScanner, 0, world) {
        (AnyDevice::Fingerprint(d), h) => (d, h),
        (other, _) => panic!("wrong family {other:?}"),
    }
}

pub fn face(world: &SimWorld) -> (Box<dyn FaceCamera>, FaultHandle) {
    match open(DeviceFamily::FaceCamera, 0, world) {
        (AnyDevice::Face(d), h) => (d, h),
        (other, _) => panic!("wrong family {other:?}"),
    }
}

pub fn iris(world: &SimWorld) -> (Box<dyn IrisCamera>, FaultHandle) {
    match open(DeviceFamily::IrisCamera, 0, world) {
        (AnyDevice::Iris(d), h) => (d, h),
        (other, _) => panic!("wrong family {other:?}"),
    }
}

pub fn pad(world: &SimWorld) -> (Box<dyn SignaturePad>, FaultHandle) {
    match open(DeviceFamily::SignaturePad, 0, world) {
        (AnyDevice::Signature(d), h) => (d, h),
        (other, _) => panic!("wrong family {other:?}"),
    }
}

pub fn encoder(world: &SimWorld) -> (Box<dyn CardEncoder>, FaultHandle) {
    match open(DeviceFamily::CardEncoder, 0, world) {
        (AnyDevice::Encoder(d), h) => (d, h),
        (other, _) => panic!("wrong family {other:?}"),
    }
}

pub fn printer(world: &SimWorld) -> (Box<dyn CardPrinter>, FaultHandle) {
    match open(DeviceFamily::CardPrinter, 0, world) {
        (AnyDevice::CardPrinter(d), h) => (d, h),
        (other, _) => panic!("wrong family {other:?}"),
    }
}

pub fn doc_printer(world: &SimWorld) -> (Box<dyn DocumentPrinter>, FaultHandle) {
    match open(DeviceFamily::DocumentPrinter, 0, world) {
        (AnyDevice::DocumentPrinter(d), h) => (d, h),
        (other, _) => panic!("wrong family {other:?}"),
    }
}

pub fn slap(kind: SlapKind, subject: u64) -> FingerCaptureRequest {
    FingerCaptureRequest {
        slap: kind,
        expected: kind.fingers(),
        subject: Some(SimSubject(subject)),
    }
}

/// Records what a capture streams.
#[derive(Default)]
pub struct Recorder {
    pub frames: Vec<PreviewFrame>,
    pub guidance: Vec<Vec<Guidance>>,
}

impl CaptureSink for Recorder {
    fn preview(&mut self, frame: PreviewFrame) {
        self.frames.push(frame);
    }
    fn guidance(&mut self, guidance: &[Guidance]) {
        self.guidance.push(guidance.to_vec());
    }
}

/// Collects device events.
pub fn events() -> (EventSink, Arc<Mutex<Vec<DeviceEvent>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    (Arc::new(move |e| s.lock().unwrap().push(e)), seen)
}

/// A CR80 face of one colour.
pub fn card_face(shade: u8) -> rekam_hal::RawImage {
    rekam_hal::RawImage::rgb(1016, 648, vec![shade; 1016 * 648 * 3]).unwrap()
}

/// CPU time of the calling thread (Linux), for cost printouts.
pub fn thread_cpu() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns = s.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}
