//! [`UsbFingerprintScanner`]: rekam-hal's [`FingerprintScanner`] over a USB sensor.
//!
//! The scanner exists whether or not its sensor is plugged in: absent, it reports
//! `Disconnected`; present but refused by the device node's permissions, `PermissionDenied`;
//! it (re)opens the sensor on the next call once it is back, so a session goes on after a
//! replug. A capture takes one flat finger: the sensor is small (a single fingertip), so it
//! never takes slaps.
//!
//! Finger on and off: a capture waits for a finger, reads the image, and leaves a note that
//! the finger is still down; the next capture first waits for the finger to lift (guidance
//! `RemoveAndRetry`), so one placement is never taken twice.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use rekam_hal::{
    CaptureSink, Control, Device, DeviceError, DeviceEvent, DeviceFamily, DeviceId, DeviceInfo,
    DeviceSelector, DeviceState, DeviceStatus, ErrorKind, EventSink, FingerCapture,
    FingerCaptureRequest, FingerSegment, FingerprintCapabilities, FingerprintScanner, Guidance,
    GuidanceCode, RawImage, Rect, Result, SelfTestCheck, SelfTestProgress, SelfTestReport,
    SlapKind,
};

use crate::bus::{Access, Connector, Presence};
use crate::error::{UsbError, UsbErrorKind};
use crate::hotplug::{Subscription, UsbEvent, Watcher};
use crate::nb1010::Nb1010;
use crate::table::SensorModel;

/// A USB fingerprint sensor as a station device.
pub struct UsbFingerprintScanner<C: Connector> {
    info: DeviceInfo,
    model: &'static SensorModel,
    connector: C,
    sensor: Option<Nb1010<C::Transport>>,
    /// A finger was on the sensor when the last capture ended.
    lift_pending: bool,
    /// A capture stopped half-way: the sensor may still send image messages.
    interrupted: bool,
    sink: Option<EventSink>,
    watcher: Option<Watcher>,
    subscription: Option<Subscription>,
    /// Where the open sensor sits (bus, address): hotplug events about other units of the
    /// same model are not ours.
    location: Arc<Mutex<Option<(u8, u8)>>>,
    /// Set by the hotplug watcher when our sensor left: the handle is dead, reopen.
    stale: Arc<AtomicBool>,
}

impl<C: Connector> fmt::Debug for UsbFingerprintScanner<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UsbFingerprintScanner")
            .field("id", &self.info.id)
            .field("model", &self.model.name)
            .field("open", &self.sensor.is_some())
            .finish()
    }
}

impl<C: Connector> UsbFingerprintScanner<C> {
    /// A scanner with this id for `model`, reached through `connector`. Does no I/O: the
    /// sensor is opened on first use.
    pub fn new(
        id: DeviceId,
        selector: DeviceSelector,
        model: &'static SensorModel,
        connector: C,
    ) -> Self {
        let serial = match &selector {
            DeviceSelector::Usb { serial, .. } => serial.clone(),
            _ => None,
        };
        UsbFingerprintScanner {
            info: DeviceInfo {
                id,
                family: DeviceFamily::FingerprintScanner,
                driver: model.driver.to_owned(),
                selector,
                model: format!(
                    "{} (single-finger sensor, {}x{} at {} ppi)",
                    model.name, model.width, model.height, model.ppi
                ),
                serial,
                firmware: None,
                simulated: false,
            },
            model,
            connector,
            sensor: None,
            lift_pending: false,
            interrupted: false,
            sink: None,
            watcher: None,
            subscription: None,
            location: Arc::new(Mutex::new(None)),
            stale: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Follows `watcher`'s hotplug events once the registry gives the scanner its event sink:
    /// the station then hears of an unplug, a replug or an access change at once.
    pub fn with_watcher(mut self, watcher: Watcher) -> Self {
        self.watcher = Some(watcher);
        self
    }

    fn tag(&self, e: impl Into<DeviceError>) -> DeviceError {
        e.into().with_device(self.info.id.clone())
    }

    /// The open sensor, opening it if needed.
    fn sensor(&mut self) -> std::result::Result<&mut Nb1010<C::Transport>, UsbError> {
        if self.stale.swap(false, Ordering::SeqCst) && self.sensor.take().is_some() {
            tracing::info!(device = %self.info.id, "sensor handle dropped after an unplug");
        }
        if self.sensor.is_none() {
            let at = match self.connector.presence()? {
                Presence::Present { bus, address } => Some((bus, address)),
                Presence::Absent => None,
            };
            let transport = self.connector.open()?;
            *self.location.lock().unwrap_or_else(PoisonError::into_inner) = at;
            tracing::info!(device = %self.info.id, model = self.model.name, "sensor opened");
            self.sensor = Some(Nb1010::new(transport));
            self.lift_pending = false;
            self.interrupted = false;
        }
        self.sensor
            .as_mut()
            .ok_or_else(|| UsbError::new(UsbErrorKind::Other, "sensor handle missing"))
    }

    /// After a failed call: a broken link or conversation closes the handle (the next call
    /// reopens); a cancelled or timed-out one marks the sensor for draining in `recover`.
    fn after_error(&mut self, e: &UsbError, mid_image: bool) {
        match e.kind() {
            UsbErrorKind::Disconnected
            | UsbErrorKind::Io
            | UsbErrorKind::Protocol
            | UsbErrorKind::Access => {
                if self.sensor.take().is_some() {
                    tracing::warn!(device = %self.info.id, kind = %e.kind(), "sensor closed after an error");
                }
                if e.kind() == UsbErrorKind::Disconnected {
                    if let Some(sink) = &self.sink {
                        sink(rekam_hal::DeviceEvent::Left(self.info.id.clone()));
                    }
                }
            }
            UsbErrorKind::Cancelled | UsbErrorKind::Timeout => self.interrupted |= mid_image,
            _ => {}
        }
    }

    fn capture_inner(
        &mut self,
        ctl: &Control,
        sink: &mut dyn CaptureSink,
        mid_image: &mut bool,
    ) -> std::result::Result<Vec<u8>, UsbError> {
        let lift_pending = self.lift_pending;
        let sensor = self.sensor()?;
        if lift_pending {
            sink.guidance(&[Guidance::new(GuidanceCode::RemoveAndRetry)]);
            sensor.wait_finger(false, ctl)?;
        }
        sink.guidance(&[]);
        sensor.wait_finger(true, ctl)?;
        *mid_image = true;
        let pixels = sensor.read_image(ctl)?;
        *mid_image = false;
        Ok(pixels)
    }

    /// Status from the bus, opening the sensor if it is present and not yet open.
    fn probe_status(&mut self) -> DeviceStatus {
        match self.connector.presence() {
            Ok(Presence::Absent) => {
                self.sensor = None;
                DeviceStatus::with_state(DeviceState::Disconnected, "the sensor is not plugged in")
            }
            Ok(Presence::Present { .. }) => match self.sensor() {
                Ok(_) => DeviceStatus::ready(),
                Err(e) => status_of(&e),
            },
            Err(e) => status_of(&e),
        }
    }
}

/// The status a sensor's access on the bus implies.
fn status_of_access(access: Access) -> DeviceStatus {
    match access {
        Access::Ok => DeviceStatus::ready(),
        Access::Denied => DeviceStatus::with_state(
            DeviceState::PermissionDenied,
            "the sensor's device node refuses this user (udev rule missing)",
        ),
        Access::Failed(kind) => DeviceStatus::with_state(
            DeviceState::Error,
            format!("the sensor cannot be opened ({kind})"),
        ),
    }
}

/// The status a failed open or probe implies.
pub(crate) fn status_of(e: &UsbError) -> DeviceStatus {
    let state = match e.kind() {
        UsbErrorKind::Disconnected | UsbErrorKind::NotFound => DeviceState::Disconnected,
        UsbErrorKind::Access => DeviceState::PermissionDenied,
        UsbErrorKind::Busy => DeviceState::Busy,
        _ => DeviceState::Error,
    };
    DeviceStatus::with_state(state, e.message().to_owned())
}

impl<C: Connector> Device for UsbFingerprintScanner<C> {
    fn info(&self) -> &DeviceInfo {
        &self.info
    }

    fn status(&mut self, ctl: &Control) -> Result<DeviceStatus> {
        ctl.check()?;
        Ok(self.probe_status())
    }

    fn self_test(
        &mut self,
        ctl: &Control,
        progress: &mut dyn FnMut(SelfTestProgress),
    ) -> Result<SelfTestReport> {
        let mut checks = Vec::new();
        progress(SelfTestProgress {
            step: "sensor attached".into(),
            fraction: 0.0,
        });
        let start = Instant::now();
        let presence = self.connector.presence();
        let attached = matches!(presence, Ok(Presence::Present { .. }));
        checks.push(SelfTestCheck {
            name: "sensor attached".into(),
            passed: attached,
            detail: match presence {
                Ok(Presence::Present { bus, address }) => {
                    format!("{} on bus {bus:03} address {address:03}", self.model)
                }
                Ok(Presence::Absent) => format!("no {} on the bus", self.model),
                Err(e) => e.to_string(),
            },
            took: start.elapsed(),
        });
        if attached {
            progress(SelfTestProgress {
                step: "sensor answers".into(),
                fraction: 0.5,
            });
            let start = Instant::now();
            let answer = self.sensor().and_then(|s| s.finger_level(ctl));
            if let Err(e) = &answer {
                self.after_error(e, false);
            }
            checks.push(SelfTestCheck {
                name: "sensor answers".into(),
                passed: answer.is_ok(),
                detail: match answer {
                    Ok(level) => format!(
                        "finger check answered (level {level:#04x}: {})",
                        if level > crate::nb1010::FINGER_THRESHOLD {
                            "a finger is on the sensor"
                        } else {
                            "no finger"
                        }
                    ),
                    Err(e) => e.to_string(),
                },
                took: start.elapsed(),
            });
        }
        progress(SelfTestProgress {
            step: "done".into(),
            fraction: 1.0,
        });
        Ok(SelfTestReport::from_checks(self.info.id.clone(), checks))
    }

    fn recover(&mut self, ctl: &Control) -> Result<()> {
        if !self.interrupted {
            return Ok(());
        }
        self.interrupted = false;
        // A capture stopped half-way may leave image messages in the sensor: reopening does
        // not flush an endpoint, so read them away (or close and let the next call reopen).
        if let Some(sensor) = self.sensor.as_mut() {
            if let Err(e) = sensor.drain(ctl) {
                tracing::warn!(device = %self.info.id, error = %e, "could not drain the sensor");
                self.sensor = None;
            }
        }
        Ok(())
    }

    fn set_event_sink(&mut self, sink: EventSink) {
        self.sink = Some(sink.clone());
        let Some(watcher) = &self.watcher else {
            return;
        };
        let id = self.info.id.clone();
        let (vid, pid) = (self.model.vid, self.model.pid);
        let location = self.location.clone();
        let stale = self.stale.clone();
        self.subscription = Some(watcher.subscribe(move |event| {
            let seen = event.seen();
            if (seen.model.vid, seen.model.pid) != (vid, pid) {
                return;
            }
            let ours = location
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .is_none_or(|at| at == (seen.bus, seen.address));
            if !ours {
                return;
            }
            match event {
                UsbEvent::Left(_) => {
                    stale.store(true, Ordering::SeqCst);
                    *location.lock().unwrap_or_else(PoisonError::into_inner) = None;
                    sink(DeviceEvent::Left(id.clone()));
                }
                UsbEvent::Arrived(_) | UsbEvent::AccessChanged(_) => {
                    sink(DeviceEvent::StatusChanged(
                        id.clone(),
                        status_of_access(seen.access),
                    ));
                }
            }
        }));
    }
}

impl<C: Connector> FingerprintScanner for UsbFingerprintScanner<C> {
    fn capabilities(&self) -> FingerprintCapabilities {
        FingerprintCapabilities {
            slap: false,
            single_finger: true,
            // What the station receives: images resampled to 500 ppi (crate::resample).
            ppi: crate::resample::STATION_PPI,
            segmentation: false,
            preview: false,
        }
    }

    fn capture(
        &mut self,
        req: &FingerCaptureRequest,
        ctl: &Control,
        sink: &mut dyn CaptureSink,
    ) -> Result<FingerCapture> {
        let SlapKind::Single(finger) = req.slap else {
            return Err(self.tag(DeviceError::new(
                ErrorKind::InvalidInput,
                format!(
                    "{} is a single-finger sensor: it cannot take a {:?} slap",
                    self.model.name, req.slap
                ),
            )));
        };
        let mut mid_image = false;
        let pixels = match self.capture_inner(ctl, sink, &mut mid_image) {
            Ok(p) => p,
            Err(e) => {
                self.after_error(&e, mid_image);
                return Err(self.tag(e));
            }
        };
        self.lift_pending = true;
        // The station's checks and matcher need 500 ppi: resampled here (crate::resample).
        let image = crate::resample::to_500_ppi(
            self.model.width,
            self.model.height,
            self.model.ppi,
            pixels,
        )
        .and_then(|(width, height, pixels)| {
            RawImage::gray(width, height, Some(crate::resample::STATION_PPI), pixels)
        })
        .ok_or_else(|| {
            self.tag(DeviceError::new(
                ErrorKind::Internal,
                "image size disagrees with the sensor model",
            ))
        })?;
        let (width, height) = (image.width, image.height);
        Ok(FingerCapture {
            slap: req.slap,
            segments: Some(vec![FingerSegment {
                finger,
                image: image.clone(),
                bbox: Rect {
                    x: 0,
                    y: 0,
                    width,
                    height,
                },
                angle_deg: 0.0,
                quality: None,
                sim_identity: None,
            }]),
            image,
            guidance: Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mock::{ScriptHandle, ScriptedBus, Step};
    use crate::nb1010::{finger_checks, scripted_capture};
    use crate::table;
    use rekam_hal::{Finger, NullSink};
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    fn scanner() -> (UsbFingerprintScanner<ScriptedBus>, ScriptHandle) {
        let (bus, handle) = ScriptedBus::new();
        let model = table::model(0x298d, 0x1010).unwrap();
        let id = DeviceId::new("usb:fingerprint:0").unwrap();
        let selector: DeviceSelector = "usb:298d:1010".parse().unwrap();
        (UsbFingerprintScanner::new(id, selector, model, bus), handle)
    }

    fn ctl() -> Control {
        Control::with_timeout(Duration::from_secs(5))
    }

    fn single() -> FingerCaptureRequest {
        FingerCaptureRequest {
            slap: SlapKind::Single(Finger::RightIndex),
            expected: vec![Finger::RightIndex],
            subject: None,
        }
    }

    fn image(seed: u8) -> Vec<u8> {
        (0..256 * 180)
            .map(|i: usize| (i as u8).wrapping_mul(seed))
            .collect()
    }

    /// The sensor's image as the station gets it (500 ppi).
    fn at_500(native: Vec<u8>) -> Vec<u8> {
        crate::resample::to_500_ppi(256, 180, 385, native)
            .unwrap()
            .2
    }

    #[derive(Default)]
    struct Recorder(Arc<Mutex<Vec<Vec<Guidance>>>>);
    impl CaptureSink for Recorder {
        fn guidance(&mut self, g: &[Guidance]) {
            self.0.lock().unwrap().push(g.to_vec());
        }
    }

    #[test]
    fn captures_one_finger_and_waits_for_the_lift_before_the_next() {
        let (mut dev, h) = scanner();
        h.push(scripted_capture(&[0x10, 0xf7], &image(3)).unwrap());
        let cap = dev.capture(&single(), &ctl(), &mut NullSink).unwrap();
        // The native 256 x 180 at 385 ppi, resampled to the station's 500 ppi.
        assert_eq!(
            (cap.image.width, cap.image.height, cap.image.ppi),
            (332, 234, Some(500))
        );
        assert_eq!(cap.image.data, at_500(image(3)));
        assert_eq!(dev.capabilities().ppi, 500);
        let seg = &cap.segments.as_ref().unwrap()[0];
        assert_eq!(seg.finger, Finger::RightIndex);
        assert_eq!((seg.bbox.width, seg.bbox.height), (332, 234));
        assert_eq!(seg.image, cap.image);
        h.done().unwrap();

        // Second capture: finger still down twice, lifted, then placed again.
        let mut second = finger_checks(&[0xf7, 0xf0, 0x08]);
        second.extend(scripted_capture(&[0x08, 0xe0], &image(5)).unwrap());
        h.push(second);
        let rec = Recorder::default();
        let log = rec.0.clone();
        let mut rec = rec;
        let cap = dev.capture(&single(), &ctl(), &mut rec).unwrap();
        assert_eq!(cap.image.data, at_500(image(5)));
        h.done().unwrap();
        let log = log.lock().unwrap();
        assert_eq!(log[0], vec![Guidance::new(GuidanceCode::RemoveAndRetry)]);
        assert!(log[1].is_empty(), "guidance cleared once the finger is off");
        assert_eq!(h.opens(), 1, "the sensor stays open between captures");
    }

    #[test]
    fn slaps_are_refused_as_invalid_input() {
        let (mut dev, h) = scanner();
        let req = FingerCaptureRequest {
            slap: SlapKind::LeftFour,
            expected: vec![],
            subject: None,
        };
        let e = dev.capture(&req, &ctl(), &mut NullSink).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert_eq!(h.transfers(), 0);
        assert!(!dev.capabilities().slap);
        assert!(dev.capabilities().single_finger);
    }

    #[test]
    fn unplug_mid_capture_is_disconnected_and_the_next_capture_reopens() {
        let (mut dev, h) = scanner();
        let events = Arc::new(Mutex::new(Vec::new()));
        let ev = events.clone();
        dev.set_event_sink(Arc::new(move |e| ev.lock().unwrap().push(e)));
        h.push(finger_checks(&[0x00; 1000]));
        let c = ctl();
        let h2 = h.clone();
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(150));
            h2.unplug();
        });
        let e = dev.capture(&single(), &c, &mut NullSink).unwrap_err();
        t.join().unwrap();
        assert_eq!(e.kind(), ErrorKind::Disconnected);
        assert_eq!(e.device().map(DeviceId::as_str), Some("usb:fingerprint:0"));
        assert_eq!(
            events.lock().unwrap().len(),
            1,
            "the registry hears it left"
        );
        assert_eq!(dev.status(&ctl()).unwrap().state, DeviceState::Disconnected);
        let again = dev.capture(&single(), &ctl(), &mut NullSink).unwrap_err();
        assert_eq!(again.kind(), ErrorKind::Disconnected);

        // Back on the bus: the session goes on.
        h.replug();
        h.clear();
        assert_eq!(dev.status(&ctl()).unwrap().state, DeviceState::Ready);
        h.push(scripted_capture(&[0xf7], &image(7)).unwrap());
        let cap = dev.capture(&single(), &ctl(), &mut NullSink).unwrap();
        assert_eq!(cap.image.data, at_500(image(7)));
        assert_eq!(h.opens(), 2);
        h.done().unwrap();
    }

    #[test]
    fn hotplug_events_reach_the_event_sink_within_a_second() {
        use crate::hotplug::{seen_for_tests, ScriptedBusList};
        let bus = ScriptedBusList::new();
        // The scripted connector reports bus 1 address 2.
        bus.set(vec![seen_for_tests(1, 2, Access::Ok)]);
        let watcher = Watcher::start(bus.clone()).unwrap();
        let (dev, h) = scanner();
        let mut dev = dev.with_watcher(watcher);
        let (tx, rx) = std::sync::mpsc::channel();
        let tx = Mutex::new(tx);
        dev.set_event_sink(Arc::new(move |e| {
            let _ = tx.lock().unwrap().send(e);
        }));
        let next = || {
            rx.recv_timeout(Duration::from_secs(1))
                .expect("an event within a second")
        };
        assert!(
            matches!(next(), DeviceEvent::StatusChanged(_, s) if s.state == DeviceState::Ready)
        );
        assert_eq!(dev.status(&ctl()).unwrap().state, DeviceState::Ready);
        assert_eq!(h.opens(), 1);

        // Another unit of the same model, elsewhere, comes and goes: not ours.
        bus.set(vec![
            seen_for_tests(1, 2, Access::Ok),
            seen_for_tests(1, 9, Access::Ok),
        ]);
        bus.set(vec![seen_for_tests(1, 2, Access::Ok)]);
        assert!(rx.recv_timeout(Duration::from_millis(500)).is_err());

        // Ours is unplugged: the station hears it, and the stale handle is dropped.
        h.unplug();
        bus.set(vec![]);
        assert!(matches!(next(), DeviceEvent::Left(id) if id.as_str() == "usb:fingerprint:0"));
        // Back, but refused by the device node's permissions.
        h.replug();
        h.deny_access(true);
        bus.set(vec![seen_for_tests(1, 2, Access::Denied)]);
        assert!(
            matches!(next(), DeviceEvent::StatusChanged(_, s) if s.state == DeviceState::PermissionDenied)
        );
        assert_eq!(
            dev.status(&ctl()).unwrap().state,
            DeviceState::PermissionDenied
        );
        // The udev rule is installed and triggered.
        h.deny_access(false);
        bus.set(vec![seen_for_tests(1, 2, Access::Ok)]);
        assert!(
            matches!(next(), DeviceEvent::StatusChanged(_, s) if s.state == DeviceState::Ready)
        );
        h.push(scripted_capture(&[0xf7], &image(11)).unwrap());
        let cap = dev.capture(&single(), &ctl(), &mut NullSink).unwrap();
        assert_eq!(cap.image.data, at_500(image(11)));
        assert_eq!(h.opens(), 2, "reopened after the replug");
    }

    #[test]
    fn permission_denied_is_reported_as_such() {
        let (mut dev, h) = scanner();
        h.deny_access(true);
        let status = dev.status(&ctl()).unwrap();
        assert_eq!(status.state, DeviceState::PermissionDenied);
        let e = dev.capture(&single(), &ctl(), &mut NullSink).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::PermissionDenied);
        h.deny_access(false);
        assert_eq!(dev.status(&ctl()).unwrap().state, DeviceState::Ready);
    }

    #[test]
    fn a_cancelled_capture_mid_image_is_drained_by_recover() {
        let (mut dev, h) = scanner();
        let mut steps = scripted_capture(&[0xf7], &image(9)).unwrap();
        // The device sends only 30 of 90 messages before the caller gives up (deadline).
        steps.truncate(2 + 4 + 30);
        h.push(steps);
        // Then a read times out.
        h.push([Step::BulkIn {
            endpoint: 0x83,
            len: 540,
            reply: Err(UsbErrorKind::Timeout),
        }]);
        let e = dev.capture(&single(), &ctl(), &mut NullSink).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Timeout);
        // recover drains what the sensor still holds (here: two messages, then silence).
        h.push(scripted_capture(&[0xf7], &image(9)).unwrap()[36..38].to_vec());
        h.push([Step::BulkIn {
            endpoint: 0x83,
            len: 540,
            reply: Err(UsbErrorKind::Timeout),
        }]);
        dev.recover(&ctl()).unwrap();
        h.done().unwrap();
        // Nothing interrupted: recover does no I/O.
        dev.recover(&ctl()).unwrap();
        assert_eq!(h.transfers(), 2 + 4 + 30 + 1 + 3);
    }
}
