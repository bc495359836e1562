//! Scripted faults: [`Fault`], [`FaultKind`] and the [`FaultHandle`] that every simulated
//! device hands out when it is opened (STYLE item 4: a fake comes with a handle the test
//! drives).
//!
//! ## Terms used below
//! - An *operation* is any trait call of a simulated device other than `info`,
//!   `capabilities`, `status`, `recover` and `set_event_sink`: captures, `self_test`, `chip`,
//!   `write`, `read`, `activate`, `supplies`, `feed`, `print`, `eject`, `reject`.
//! - A fault with `count == 0` stays until [`FaultHandle::clear`]; with `count == n` it affects
//!   the next `n` operations it applies to and is then used up ([`FaultHandle::active`] shows
//!   what is left). A fault is used up when it takes effect, as documented per kind.
//! - A fault injected into a device family it does not apply to
//!   ([`FaultKind::applies_to`]) is kept and does nothing.
//!
//! Every fault leaves the device usable once it is cleared or used up; state it leaves behind
//! on purpose (a jammed card, a torn chip) is documented per kind and cleared by `recover()`,
//! `reject()` or the workflow.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use rekam_hal::{DeviceEvent, DeviceFamily, DeviceId, EventSink, Finger};
use serde::{Deserialize, Serialize};

/// What goes wrong.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// The device is unplugged. Every operation and `recover()` fail with
    /// [`ErrorKind::Disconnected`](rekam_hal::ErrorKind::Disconnected) (one use each),
    /// `status()` reports `Disconnected`, and the event sink gets `DeviceEvent::Left` at
    /// injection. A call under way (a capture, a chip write) fails within one sleep slice
    /// (20 ms); a chip write so interrupted leaves a torn chip. When the fault is cleared, used
    /// up or ended by [`FaultKind::Replug`], the sink gets `DeviceEvent::Arrived`. All families.
    Unplug,
    /// Not a lasting fault: removes every `Unplug` and sends `DeviceEvent::Arrived` if the
    /// device was unplugged. `count` and `finger` are ignored. All families.
    Replug,
    /// Operations fail at once with [`ErrorKind::Busy`](rekam_hal::ErrorKind::Busy);
    /// `status()` reports state `Busy`. All families.
    Busy,
    /// Operations block until their `Control` deadline, then fail with
    /// [`ErrorKind::Timeout`](rekam_hal::ErrorKind::Timeout); cancelling the token ends the
    /// wait at once with `Cancelled` (the use is spent either way). All families.
    Timeout,
    /// Captures come out poor: every quality is 5-25, images have low contrast and heavy
    /// noise, and the guidance is `[PoorQuality]`. Fingerprint, face, iris, signature.
    LowQuality,
    /// A four-finger or thumbs slap lacks one finger: `finger` if set (the fault then applies
    /// only to slaps that expect that finger), else the little finger (the left thumb for the
    /// thumbs slap). The finger is missing from the image and the segments, and the guidance is
    /// `[PartialSlap(finger)]`. Not single-finger captures. Fingerprint.
    PartialSlap,
    /// A four-finger slap request gets the other hand: the image shows the other hand's
    /// layout, the segments are labelled with the other hand's fingers and carry their
    /// identities, and the guidance is `[WrongHand]`. Exceptions in `expected` are mirrored to
    /// the other hand. Not thumbs or single fingers. Fingerprint.
    WrongHand,
    /// The next chip write stops half way through its bytes: the files written so far stay on
    /// the chip (marked torn), the card leaves the card path into nowhere (it is listed by
    /// [`SimWorld::lost`](crate::SimWorld::lost), never by `ejected()` or `rejected()`), and
    /// the write fails with [`ErrorKind::CardRemoved`](rekam_hal::ErrorKind::CardRemoved).
    /// Card encoder.
    CardPulled,
    /// A chip write fails half way with [`ErrorKind::Hardware`](rekam_hal::ErrorKind::Hardware);
    /// the card stays in the encoder with the partial, torn write (further writes and
    /// activation are refused: reject it). Card encoder.
    ChipWriteError,
    /// The hopper reads empty until the fault is cleared or used up (the real count is kept):
    /// `feed` fails with [`ErrorKind::OutOfSupplies`](rekam_hal::ErrorKind::OutOfSupplies) and
    /// condition `MediaEmpty` (one use per feed), `supplies()` says 0 blanks, `status()` shows
    /// `MediaEmpty`, the self-test's `supplies` check fails. On a document printer: paper out,
    /// `print` fails the same way. Card printer, document printer.
    BlanksEmpty,
    /// The ribbon (document printer: toner) reads empty: `print` fails with
    /// `OutOfSupplies` and condition `RibbonEmpty` (one use per print), `status()` shows
    /// `RibbonEmpty`, `supplies()` says 0 %. Card printer, document printer.
    RibbonOut,
    /// `feed`, `print` and `eject` fail with [`ErrorKind::Hardware`](rekam_hal::ErrorKind::Hardware)
    /// and condition `MediaJam` (one use each). On a card printer the card jams: a jamming
    /// feed takes a blank from the hopper; the jammed card stays in the printer, further
    /// `feed`/`print`/`eject` fail with `MediaJam` (without using the fault) and `status()`
    /// shows `MediaJam` until `recover()` or `reject()` moves the card to the reject bin. On a
    /// document printer the job fails and nothing is left behind. Card printer, document printer.
    Jam,
    /// The printer is offline: operations and `recover()` fail with
    /// [`ErrorKind::Disconnected`](rekam_hal::ErrorKind::Disconnected) and condition `Offline`
    /// (one use each); `status()` reports `NeedsAttention` with `Offline`. Card printer,
    /// document printer.
    PrinterOffline,
    /// A single-finger capture reads a different person's finger: the image and the
    /// `sim_identity` are another (fixed) simulated person's. Fingerprint.
    Impostor,
    /// The next self-test reports its last check failed (detail `simulated failure`). All
    /// families.
    SelfTestFail,
    /// A four-finger slap request gets the person's other hand and the scanner does not
    /// notice: the image shows the other hand as it lies, but the segments are labelled by
    /// position with the requested fingers (left to right as the requested hand would lie: a
    /// left hand on a right-slap request gives `right_index` = the left little finger, ...),
    /// carrying the prints' real identities, and there is no guidance. Models a resident giving
    /// the same hand twice on a scanner that labels tips by position: a comparison of prints
    /// finds it (the station's `DuplicateFinger` check). Not thumbs or single fingers.
    /// Fingerprint.
    SameHandTwice,
}

impl FaultKind {
    /// Every kind, for listings and tests.
    pub const ALL: [FaultKind; 16] = [
        FaultKind::Unplug,
        FaultKind::Replug,
        FaultKind::Busy,
        FaultKind::Timeout,
        FaultKind::LowQuality,
        FaultKind::PartialSlap,
        FaultKind::WrongHand,
        FaultKind::CardPulled,
        FaultKind::ChipWriteError,
        FaultKind::BlanksEmpty,
        FaultKind::RibbonOut,
        FaultKind::Jam,
        FaultKind::PrinterOffline,
        FaultKind::Impostor,
        FaultKind::SelfTestFail,
        FaultKind::SameHandTwice,
    ];

    /// True when the fault has an effect on a device of `family` (the daemon refuses the
    /// others).
    pub fn applies_to(self, family: DeviceFamily) -> bool {
        use DeviceFamily as F;
        match self {
            FaultKind::Unplug
            | FaultKind::Replug
            | FaultKind::Busy
            | FaultKind::Timeout
            | FaultKind::SelfTestFail => true,
            FaultKind::LowQuality => matches!(
                family,
                F::FingerprintScanner | F::FaceCamera | F::IrisCamera | F::SignaturePad
            ),
            FaultKind::PartialSlap
            | FaultKind::WrongHand
            | FaultKind::Impostor
            | FaultKind::SameHandTwice => family == F::FingerprintScanner,
            FaultKind::CardPulled | FaultKind::ChipWriteError => family == F::CardEncoder,
            FaultKind::BlanksEmpty
            | FaultKind::RibbonOut
            | FaultKind::Jam
            | FaultKind::PrinterOffline => {
                matches!(family, F::CardPrinter | F::DocumentPrinter)
            }
        }
    }

    /// A stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            FaultKind::Unplug => "unplug",
            FaultKind::Replug => "replug",
            FaultKind::Busy => "busy",
            FaultKind::Timeout => "timeout",
            FaultKind::LowQuality => "low_quality",
            FaultKind::PartialSlap => "partial_slap",
            FaultKind::WrongHand => "wrong_hand",
            FaultKind::CardPulled => "card_pulled",
            FaultKind::ChipWriteError => "chip_write_error",
            FaultKind::BlanksEmpty => "blanks_empty",
            FaultKind::RibbonOut => "ribbon_out",
            FaultKind::Jam => "jam",
            FaultKind::PrinterOffline => "printer_offline",
            FaultKind::Impostor => "impostor",
            FaultKind::SelfTestFail => "self_test_fail",
            FaultKind::SameHandTwice => "same_hand_twice",
        }
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One scripted fault.
///
/// ```
/// use rekam_hal::Finger;
/// use rekam_sim::{Fault, FaultKind};
/// let f = Fault::times(FaultKind::PartialSlap, 2).with_finger(Finger::RightRing);
/// assert_eq!((f.count, f.finger), (2, Some(Finger::RightRing)));
/// assert_eq!(Fault::new(FaultKind::Busy).count, 0); // until cleared
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Fault {
    /// What goes wrong.
    pub kind: FaultKind,
    /// How many operations it still affects; 0 = until cleared.
    #[serde(default)]
    pub count: u32,
    /// The finger concerned ([`FaultKind::PartialSlap`]); ignored by other kinds.
    #[serde(default)]
    pub finger: Option<Finger>,
}

impl Fault {
    /// A fault that lasts until cleared.
    pub fn new(kind: FaultKind) -> Self {
        Fault {
            kind,
            count: 0,
            finger: None,
        }
    }

    /// A fault that affects the next operation only.
    pub fn once(kind: FaultKind) -> Self {
        Self::times(kind, 1)
    }

    /// A fault that affects the next `count` operations (0 = until cleared).
    pub fn times(kind: FaultKind, count: u32) -> Self {
        Fault {
            kind,
            count,
            finger: None,
        }
    }

    /// Names the finger concerned.
    pub fn with_finger(mut self, finger: Finger) -> Self {
        self.finger = Some(finger);
        self
    }
}

struct Shared {
    id: DeviceId,
    family: DeviceFamily,
    state: Mutex<FaultState>,
}

#[derive(Default)]
struct FaultState {
    faults: Vec<Fault>,
    sink: Option<EventSink>,
}

/// Injects faults into one simulated device, from any thread.
///
/// Cloneable, `Send` and `Sync`; clones drive the same device. Dropping every handle leaves
/// the faults in place.
#[derive(Clone)]
pub struct FaultHandle {
    shared: Arc<Shared>,
}

impl fmt::Debug for FaultHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FaultHandle")
            .field("device", &self.shared.id)
            .field("active", &self.active())
            .finish()
    }
}

impl FaultHandle {
    pub(crate) fn new(id: DeviceId, family: DeviceFamily) -> Self {
        FaultHandle {
            shared: Arc::new(Shared {
                id,
                family,
                state: Mutex::new(FaultState::default()),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, FaultState> {
        self.shared
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The device this handle drives.
    pub fn device_id(&self) -> &DeviceId {
        &self.shared.id
    }

    /// The family of the device this handle drives.
    pub fn family(&self) -> DeviceFamily {
        self.shared.family
    }

    /// Injects `fault` (see [`FaultKind`] for each effect). `Unplug` sends
    /// `DeviceEvent::Left` if the device was plugged; `Replug` ends every `Unplug`.
    pub fn inject(&self, fault: Fault) {
        let event = {
            let mut st = self.lock();
            let was_unplugged = has(&st.faults, FaultKind::Unplug);
            match fault.kind {
                FaultKind::Replug => {
                    st.faults.retain(|f| f.kind != FaultKind::Unplug);
                    was_unplugged.then(|| DeviceEvent::Arrived(self.shared.id.clone()))
                }
                FaultKind::Unplug => {
                    st.faults.push(fault);
                    (!was_unplugged).then(|| DeviceEvent::Left(self.shared.id.clone()))
                }
                _ => {
                    st.faults.push(fault);
                    None
                }
            }
            .map(|e| (e, st.sink.clone()))
        };
        emit(event);
    }

    /// Removes every fault; sends `DeviceEvent::Arrived` if the device was unplugged. State a
    /// fault left behind (a jammed card, a torn chip) stays.
    pub fn clear(&self) {
        let event = {
            let mut st = self.lock();
            let was_unplugged = has(&st.faults, FaultKind::Unplug);
            st.faults.clear();
            was_unplugged.then(|| {
                (
                    DeviceEvent::Arrived(self.shared.id.clone()),
                    st.sink.clone(),
                )
            })
        };
        emit(event);
    }

    /// The faults in force, with their remaining counts, in injection order.
    pub fn active(&self) -> Vec<Fault> {
        self.lock().faults.clone()
    }

    /// True when a fault of `kind` is in force.
    pub fn is_active(&self, kind: FaultKind) -> bool {
        has(&self.lock().faults, kind)
    }

    /// Uses the first fault of `kind` that `pred` accepts once: a counted fault is
    /// decremented and removed at zero. Returns the fault as it was before.
    pub(crate) fn take_if(&self, kind: FaultKind, pred: impl Fn(&Fault) -> bool) -> Option<Fault> {
        let (taken, event) = {
            let mut st = self.lock();
            let pos = st.faults.iter().position(|f| f.kind == kind && pred(f))?;
            let fault = st.faults[pos];
            match fault.count {
                0 => {}
                1 => {
                    st.faults.remove(pos);
                }
                _ => st.faults[pos].count -= 1,
            }
            let back = kind == FaultKind::Unplug && !has(&st.faults, FaultKind::Unplug);
            let event = back.then(|| {
                (
                    DeviceEvent::Arrived(self.shared.id.clone()),
                    st.sink.clone(),
                )
            });
            (fault, event)
        };
        emit(event);
        Some(taken)
    }

    /// [`FaultHandle::take_if`] for any fault of `kind`.
    pub(crate) fn take(&self, kind: FaultKind) -> Option<Fault> {
        self.take_if(kind, |_| true)
    }

    /// Where `Left`/`Arrived` events go (the device's `set_event_sink`).
    pub(crate) fn set_sink(&self, sink: EventSink) {
        self.lock().sink = Some(sink);
    }

    /// Sends an event to the sink, if one is set.
    pub(crate) fn send(&self, event: DeviceEvent) {
        let sink = self.lock().sink.clone();
        emit(Some((event, sink)));
    }
}

fn has(faults: &[Fault], kind: FaultKind) -> bool {
    faults.iter().any(|f| f.kind == kind)
}

/// Calls the sink outside every lock.
fn emit(event: Option<(DeviceEvent, Option<EventSink>)>) {
    if let Some((event, Some(sink))) = event {
        sink(event);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handle() -> FaultHandle {
        FaultHandle::new(
            DeviceId::new("sim:fingerprint:0").unwrap(),
            DeviceFamily::FingerprintScanner,
        )
    }

    #[test]
    fn counted_faults_run_out_and_lasting_ones_stay() {
        let h = handle();
        h.inject(Fault::times(FaultKind::Busy, 2));
        h.inject(Fault::new(FaultKind::LowQuality));
        assert_eq!(h.take(FaultKind::Busy).unwrap().count, 2);
        assert_eq!(h.active()[0].count, 1);
        assert!(h.take(FaultKind::Busy).is_some());
        assert!(h.take(FaultKind::Busy).is_none());
        for _ in 0..5 {
            assert!(h.take(FaultKind::LowQuality).is_some());
        }
        assert_eq!(h.active(), vec![Fault::new(FaultKind::LowQuality)]);
        h.clear();
        assert!(h.active().is_empty());
    }

    #[test]
    fn unplug_and_replug_send_events_once() {
        let h = handle();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = seen.clone();
        h.set_sink(Arc::new(move |e| s.lock().unwrap().push(e)));
        h.inject(Fault::new(FaultKind::Unplug));
        h.inject(Fault::new(FaultKind::Unplug));
        h.inject(Fault::new(FaultKind::Replug));
        h.inject(Fault::new(FaultKind::Replug));
        let id = h.device_id().clone();
        assert_eq!(
            *seen.lock().unwrap(),
            vec![DeviceEvent::Left(id.clone()), DeviceEvent::Arrived(id)]
        );
        assert!(!h.is_active(FaultKind::Unplug));
        assert!(!h.is_active(FaultKind::Replug));
    }

    #[test]
    fn used_up_unplug_arrives_again() {
        let h = handle();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = seen.clone();
        h.set_sink(Arc::new(move |e| s.lock().unwrap().push(e)));
        h.inject(Fault::once(FaultKind::Unplug));
        assert!(h.take(FaultKind::Unplug).is_some());
        assert_eq!(seen.lock().unwrap().len(), 2);
        assert!(matches!(seen.lock().unwrap()[1], DeviceEvent::Arrived(_)));
    }

    #[test]
    fn applicability_is_by_family() {
        assert!(FaultKind::Jam.applies_to(DeviceFamily::CardPrinter));
        assert!(!FaultKind::Jam.applies_to(DeviceFamily::FaceCamera));
        assert!(FaultKind::CardPulled.applies_to(DeviceFamily::CardEncoder));
        assert!(!FaultKind::CardPulled.applies_to(DeviceFamily::CardPrinter));
        for kind in FaultKind::ALL {
            assert!(
                DeviceFamily::ALL.iter().any(|f| kind.applies_to(*f)),
                "{kind} applies nowhere"
            );
        }
    }
}
