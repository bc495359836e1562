//! # rekam-sim: simulated devices for every family
//!
//! A first-class driver crate: configuration chooses `sim:FAMILY` like any real selector, the
//! daemon's embedded default configuration runs a whole station on it, and every workflow test
//! drives it. Three parts:
//!
//! - [`SimWorld`]: the physical state of one simulated station, shared by its devices: the card
//!   path (blank hopper, the card being worked on and its chip), the output tray, the reject bin,
//!   the documents printed, and the [`SimConfig`] (latency, supplies, seed). The card printer and
//!   the card encoder share the card path, as an encoder inline in a vendor card printer does.
//! - Devices, one per family ([`devices`]), opened with [`open`] and reached as a hal
//!   [`AnyDevice`]; each comes with a [`FaultHandle`] through which a test (or a technician, via
//!   the daemon) injects [`Fault`]s (STYLE item 4: linkerd's `pool() -> (MockPool, PoolHandle)`).
//! - Synthetic biometrics ([`synth`]): fingerprints, face, iris and signature derived
//!   deterministically from the [`SimSubject`](rekam_hal::SimSubject) of a request, so the same
//!   person gives the same [`SimIdentity`](rekam_hal::SimIdentity) on every capture while each
//!   impression differs a little, and two people (or two fingers) differ.
//!
//! ```
//! use std::time::Duration;
//! use rekam_hal::{AnyDevice, Control, DeviceFamily, ErrorKind};
//! use rekam_sim::{open, Fault, FaultKind, SimConfig, SimWorld};
//!
//! let world = SimWorld::new(SimConfig::for_tests());
//! let (device, faults) = open(DeviceFamily::CardPrinter, 0, &world);
//! let AnyDevice::CardPrinter(mut printer) = device else { unreachable!() };
//! assert_eq!(printer.info().id.as_str(), "sim:card-printer:0");
//!
//! let ctl = Control::with_timeout(Duration::from_secs(5));
//! faults.inject(Fault::once(FaultKind::BlanksEmpty));
//! assert_eq!(printer.feed(&ctl).unwrap_err().kind(), ErrorKind::OutOfSupplies);
//! printer.feed(&ctl).unwrap(); // the fault was used up
//! assert_eq!(world.blanks(), 199);
//! ```
#![forbid(unsafe_code)]

pub mod devices;
pub mod fault;
pub mod latency;
pub mod synth;
pub mod world;

mod core;

use rekam_hal::{AnyDevice, DeviceFamily};

pub use devices::{
    SimCardEncoder, SimCardPrinter, SimDocumentPrinter, SimFaceCamera, SimFingerprintScanner,
    SimIrisCamera, SimSignaturePad,
};
pub use fault::{Fault, FaultHandle, FaultKind};
pub use latency::{LatencyError, SimLatency};
pub use world::{
    LifeCycle, PrintedDocument, PrintedFace, SimCard, SimConfig, SimWorld, CHIP_CAPACITY,
};

/// The driver name every simulated device reports in its [`DeviceInfo`](rekam_hal::DeviceInfo).
pub const DRIVER: &str = "sim";

/// Opens simulated device number `index` of `family` in `world`.
///
/// The device id is `sim:<family short name>:<index>` (e.g. `sim:card-printer:0`), the selector
/// `sim:<family>`, the driver [`DRIVER`], and `simulated` is true. The returned
/// [`FaultHandle`] injects faults into this device only; devices of one world share its card
/// path, trays and supplies.
///
/// ```
/// use rekam_hal::DeviceFamily;
/// use rekam_sim::{open, SimConfig, SimWorld};
/// let world = SimWorld::new(SimConfig::for_tests());
/// for family in DeviceFamily::ALL {
///     let (device, _faults) = open(family, 1, &world);
///     assert_eq!(device.family(), family);
///     assert_eq!(device.info().id.as_str(), format!("sim:{}:1", family.short_name()));
///     assert!(device.info().simulated);
/// }
/// ```
pub fn open(family: DeviceFamily, index: u32, world: &SimWorld) -> (AnyDevice, FaultHandle) {
    match family {
        DeviceFamily::FingerprintScanner => {
            let (d, h) = SimFingerprintScanner::new(index, world);
            (AnyDevice::Fingerprint(Box::new(d)), h)
        }
        DeviceFamily::FaceCamera => {
            let (d, h) = SimFaceCamera::new(index, world);
            (AnyDevice::Face(Box::new(d)), h)
        }
        DeviceFamily::IrisCamera => {
            let (d, h) = SimIrisCamera::new(index, world);
            (AnyDevice::Iris(Box::new(d)), h)
        }
        DeviceFamily::SignaturePad => {
            let (d, h) = SimSignaturePad::new(index, world);
            (AnyDevice::Signature(Box::new(d)), h)
        }
        DeviceFamily::CardEncoder => {
            let (d, h) = SimCardEncoder::new(index, world);
            (AnyDevice::Encoder(Box::new(d)), h)
        }
        DeviceFamily::CardPrinter => {
            let (d, h) = SimCardPrinter::new(index, world);
            (AnyDevice::CardPrinter(Box::new(d)), h)
        }
        DeviceFamily::DocumentPrinter => {
            let (d, h) = SimDocumentPrinter::new(index, world);
            (AnyDevice::DocumentPrinter(Box::new(d)), h)
        }
    }
}
