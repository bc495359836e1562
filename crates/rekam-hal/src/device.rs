//! What every device has: identity ([`DeviceInfo`]), state ([`DeviceStatus`]), a self-test,
//! and recovery after a cancelled or failed call; plus hotplug events and [`AnyDevice`], the
//! one box a registry keeps for a device of any family.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::control::Control;
use crate::error::Result;
use crate::families::{
    CardEncoder, CardPrinter, DocumentPrinter, FaceCamera, FingerprintScanner, IrisCamera,
    SignaturePad,
};
use crate::id::{DeviceFamily, DeviceId, DeviceSelector};

/// Who a device is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceInfo {
    /// Station-wide id, e.g. `sim:fingerprint:0`.
    pub id: DeviceId,
    /// Family.
    pub family: DeviceFamily,
    /// Driver name, e.g. `sim` or `usb-aes3500`.
    pub driver: String,
    /// The selector the device was opened with.
    pub selector: DeviceSelector,
    /// Model, as the device reports it.
    pub model: String,
    /// Serial number, when the device has one.
    pub serial: Option<String>,
    /// Firmware version, when known.
    pub firmware: Option<String>,
    /// True for simulated devices (fault injection is allowed only on these).
    pub simulated: bool,
}

/// Coarse state of a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceState {
    /// Ready for work.
    Ready,
    /// Working for a caller.
    Busy,
    /// Not reachable (unplugged, powered off, offline).
    Disconnected,
    /// Present but not accessible to this process (udev permissions).
    PermissionDenied,
    /// Usable once someone acts (supplies out, cover open, jam).
    NeedsAttention,
    /// In an error state the driver could not recover from.
    Error,
}

/// A condition a device reports, mostly printers (after IPP `printer-state-reasons`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// No blank cards or paper.
    MediaEmpty,
    /// Few blank cards or sheets left.
    MediaLow,
    /// The ribbon (or toner) is used up.
    RibbonEmpty,
    /// The ribbon is nearly used up.
    RibbonLow,
    /// A card or sheet is jammed.
    MediaJam,
    /// A cover is open.
    CoverOpen,
    /// The device is offline.
    Offline,
    /// A card sits in the encoder.
    CardInEncoder,
}

impl Condition {
    /// True when the condition stops work until someone acts.
    pub fn is_blocking(self) -> bool {
        matches!(
            self,
            Condition::MediaEmpty
                | Condition::RibbonEmpty
                | Condition::MediaJam
                | Condition::CoverOpen
                | Condition::Offline
        )
    }
}

/// Consumables of a card printer or document printer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Supplies {
    /// Blank cards (or sheets) left, when the device can count them.
    pub blanks: Option<u32>,
    /// Ribbon left in percent, when known.
    pub ribbon_percent: Option<u8>,
}

/// State of a device, with its conditions and supplies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceStatus {
    /// Coarse state.
    pub state: DeviceState,
    /// Conditions reported, blocking or not.
    pub conditions: Vec<Condition>,
    /// Supplies, for printers.
    pub supplies: Option<Supplies>,
    /// A short technical note (never personal data).
    pub detail: Option<String>,
}

impl DeviceStatus {
    /// A ready device with nothing to report.
    pub fn ready() -> Self {
        DeviceStatus {
            state: DeviceState::Ready,
            conditions: Vec::new(),
            supplies: None,
            detail: None,
        }
    }

    /// A status in `state` with a note.
    pub fn with_state(state: DeviceState, detail: impl Into<String>) -> Self {
        DeviceStatus {
            state,
            conditions: Vec::new(),
            supplies: None,
            detail: Some(detail.into()),
        }
    }
}

/// Progress of a running self-test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SelfTestProgress {
    /// The check under way.
    pub step: String,
    /// Fraction done, 0.0 to 1.0.
    pub fraction: f32,
}

/// One check of a self-test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelfTestCheck {
    /// Name of the check, e.g. `sensor responds`.
    pub name: String,
    /// Whether it passed.
    pub passed: bool,
    /// What was seen.
    pub detail: String,
    /// How long it took.
    pub took: Duration,
}

/// The outcome of a self-test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelfTestReport {
    /// The device tested.
    pub device: DeviceId,
    /// True when every check passed.
    pub passed: bool,
    /// The checks, in order.
    pub checks: Vec<SelfTestCheck>,
    /// Total time.
    pub took: Duration,
}

impl SelfTestReport {
    /// Builds a report from checks; `passed` is derived.
    pub fn from_checks(device: DeviceId, checks: Vec<SelfTestCheck>) -> Self {
        let took = checks.iter().map(|c| c.took).sum();
        SelfTestReport {
            device,
            passed: !checks.is_empty() && checks.iter().all(|c| c.passed),
            checks,
            took,
        }
    }
}

/// Hotplug and status events a driver reports without being asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeviceEvent {
    /// The device came back (replugged, back online).
    Arrived(DeviceId),
    /// The device went away.
    Left(DeviceId),
    /// The device's status changed.
    StatusChanged(DeviceId, DeviceStatus),
}

/// Where a driver sends unsolicited [`DeviceEvent`]s; set by the registry.
pub type EventSink = Arc<dyn Fn(DeviceEvent) + Send + Sync>;

/// What every device can do.
pub trait Device: Send {
    /// Who the device is (no I/O).
    fn info(&self) -> &DeviceInfo;

    /// Asks the device for its state.
    fn status(&mut self, ctl: &Control) -> Result<DeviceStatus>;

    /// Runs the device's self-test, reporting progress.
    fn self_test(
        &mut self,
        ctl: &Control,
        progress: &mut dyn FnMut(SelfTestProgress),
    ) -> Result<SelfTestReport>;

    /// Brings the device back to idle after a cancelled, timed-out or failed call, so the next
    /// caller finds it usable. Called by the owner; must be cheap when nothing is wrong.
    fn recover(&mut self, ctl: &Control) -> Result<()>;

    /// Gives the driver a sink for unsolicited events (hotplug, status). Drivers that have none
    /// keep the default, which drops the sink.
    fn set_event_sink(&mut self, sink: EventSink) {
        let _ = sink;
    }
}

/// A device of any family, as a registry keeps it.
pub enum AnyDevice {
    /// A fingerprint scanner.
    Fingerprint(Box<dyn FingerprintScanner>),
    /// A face camera.
    Face(Box<dyn FaceCamera>),
    /// An iris camera.
    Iris(Box<dyn IrisCamera>),
    /// A signature pad.
    Signature(Box<dyn SignaturePad>),
    /// A chip encoder.
    Encoder(Box<dyn CardEncoder>),
    /// A card printer.
    CardPrinter(Box<dyn CardPrinter>),
    /// A document printer.
    DocumentPrinter(Box<dyn DocumentPrinter>),
}

impl fmt::Debug for AnyDevice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("AnyDevice").field(&self.info().id).finish()
    }
}

impl AnyDevice {
    /// The family of the boxed device.
    pub fn family(&self) -> DeviceFamily {
        match self {
            AnyDevice::Fingerprint(_) => DeviceFamily::FingerprintScanner,
            AnyDevice::Face(_) => DeviceFamily::FaceCamera,
            AnyDevice::Iris(_) => DeviceFamily::IrisCamera,
            AnyDevice::Signature(_) => DeviceFamily::SignaturePad,
            AnyDevice::Encoder(_) => DeviceFamily::CardEncoder,
            AnyDevice::CardPrinter(_) => DeviceFamily::CardPrinter,
            AnyDevice::DocumentPrinter(_) => DeviceFamily::DocumentPrinter,
        }
    }

    /// The common [`Device`] view.
    pub fn device(&self) -> &dyn Device {
        match self {
            AnyDevice::Fingerprint(d) => d.as_ref(),
            AnyDevice::Face(d) => d.as_ref(),
            AnyDevice::Iris(d) => d.as_ref(),
            AnyDevice::Signature(d) => d.as_ref(),
            AnyDevice::Encoder(d) => d.as_ref(),
            AnyDevice::CardPrinter(d) => d.as_ref(),
            AnyDevice::DocumentPrinter(d) => d.as_ref(),
        }
    }

    /// The common [`Device`] view, mutable.
    pub fn device_mut(&mut self) -> &mut dyn Device {
        match self {
            AnyDevice::Fingerprint(d) => d.as_mut(),
            AnyDevice::Face(d) => d.as_mut(),
            AnyDevice::Iris(d) => d.as_mut(),
            AnyDevice::Signature(d) => d.as_mut(),
            AnyDevice::Encoder(d) => d.as_mut(),
            AnyDevice::CardPrinter(d) => d.as_mut(),
            AnyDevice::DocumentPrinter(d) => d.as_mut(),
        }
    }

    /// Who the device is.
    pub fn info(&self) -> &DeviceInfo {
        self.device().info()
    }
}
