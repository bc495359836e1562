//! Plumbing every simulated device shares: identity, the fault gate at the start of each
//! operation, sleeps that notice cancellation, deadlines and unplugging, preview streaming and
//! the self-test runner.

use std::time::{Duration, Instant};

use rekam_hal::{
    CaptureSink, Condition, Control, DeviceError, DeviceFamily, DeviceId, DeviceInfo,
    DeviceSelector, DeviceState, DeviceStatus, ErrorKind, PreviewFrame, Result, SelfTestCheck,
    SelfTestProgress, SelfTestReport, SimSubject,
};

use crate::fault::{FaultHandle, FaultKind};
use crate::synth;
use crate::world::SimWorld;
use crate::DRIVER;

/// Longest single wait: an unplug is noticed within this.
const SLICE: Duration = Duration::from_millis(20);

/// Fewest preview frames a capture streams, even at zero latency.
pub(crate) const MIN_PREVIEW_FRAMES: u32 = 3;

pub(crate) struct SimCore {
    pub(crate) info: DeviceInfo,
    pub(crate) faults: FaultHandle,
    pub(crate) world: SimWorld,
    attempts: u64,
}

impl SimCore {
    pub(crate) fn new(
        family: DeviceFamily,
        index: u32,
        world: &SimWorld,
        model: &str,
    ) -> (Self, FaultHandle) {
        let id = DeviceId::sim(family, index);
        let info = DeviceInfo {
            id: id.clone(),
            family,
            driver: DRIVER.to_owned(),
            selector: DeviceSelector::Sim { family },
            model: model.to_owned(),
            serial: Some(format!(
                "SIM-{}-{index}",
                family.short_name().to_uppercase()
            )),
            firmware: Some(env!("CARGO_PKG_VERSION").to_owned()),
            simulated: true,
        };
        let faults = FaultHandle::new(id, family);
        (
            SimCore {
                info,
                faults: faults.clone(),
                world: world.clone(),
                attempts: 0,
            },
            faults,
        )
    }

    pub(crate) fn id(&self) -> &DeviceId {
        &self.info.id
    }

    /// An error about this device.
    pub(crate) fn err(&self, kind: ErrorKind, message: impl Into<String>) -> DeviceError {
        DeviceError::new(kind, message).with_device(self.id().clone())
    }

    /// Tags an error from the control (cancel, deadline) with this device.
    pub(crate) fn tag(&self, e: DeviceError) -> DeviceError {
        if e.device().is_some() {
            e
        } else {
            e.with_device(self.id().clone())
        }
    }

    fn is_printer(&self) -> bool {
        matches!(
            self.info.family,
            DeviceFamily::CardPrinter | DeviceFamily::DocumentPrinter
        )
    }

    /// Fails if the device is unplugged (using one count of a counted unplug) or, for
    /// printers, offline.
    fn presence(&self) -> Result<()> {
        if self.faults.take(FaultKind::Unplug).is_some() {
            return Err(self.err(ErrorKind::Disconnected, "device unplugged"));
        }
        if self.is_printer() && self.faults.take(FaultKind::PrinterOffline).is_some() {
            return Err(self
                .err(ErrorKind::Disconnected, "printer offline")
                .with_condition(Condition::Offline));
        }
        Ok(())
    }

    /// The gate at the start of every operation: control, unplug, offline, busy, timeout.
    pub(crate) fn begin(&self, ctl: &Control) -> Result<()> {
        ctl.check().map_err(|e| self.tag(e))?;
        self.presence()?;
        if self.faults.take(FaultKind::Busy).is_some() {
            return Err(self.err(ErrorKind::Busy, "device busy"));
        }
        if self.faults.take(FaultKind::Timeout).is_some() {
            // Block until the deadline (or cancellation, or an unplug).
            loop {
                self.sleep(ctl, SLICE)?;
            }
        }
        Ok(())
    }

    /// The gate of `recover()`: only presence matters.
    pub(crate) fn begin_recover(&self, ctl: &Control) -> Result<()> {
        ctl.check().map_err(|e| self.tag(e))?;
        if self.faults.is_active(FaultKind::Unplug) {
            return Err(self.err(ErrorKind::Disconnected, "device unplugged"));
        }
        if self.is_printer() && self.faults.is_active(FaultKind::PrinterOffline) {
            return Err(self
                .err(ErrorKind::Disconnected, "printer offline")
                .with_condition(Condition::Offline));
        }
        Ok(())
    }

    /// Sleeps `dur` in slices, failing on cancellation, the deadline, or an unplug.
    pub(crate) fn sleep(&self, ctl: &Control, dur: Duration) -> Result<()> {
        let end = Instant::now() + dur;
        loop {
            if self.faults.is_active(FaultKind::Unplug) {
                return Err(self.err(ErrorKind::Disconnected, "device unplugged during the call"));
            }
            let left = end.saturating_duration_since(Instant::now());
            ctl.sleep(left.min(SLICE)).map_err(|e| self.tag(e))?;
            if left <= SLICE {
                return Ok(());
            }
        }
    }

    /// The status every family starts from: `Disconnected` when unplugged, `Busy` under a busy
    /// fault, else `Ready`.
    pub(crate) fn base_status(&self) -> DeviceStatus {
        if self.faults.is_active(FaultKind::Unplug) {
            return DeviceStatus::with_state(DeviceState::Disconnected, "unplugged");
        }
        if self.faults.is_active(FaultKind::Busy) {
            return DeviceStatus::with_state(DeviceState::Busy, "busy");
        }
        DeviceStatus::ready()
    }

    /// The next attempt number of this device (impressions differ per attempt).
    pub(crate) fn next_attempt(&mut self) -> u64 {
        self.attempts += 1;
        self.attempts
    }

    /// The person in front of the device: the request's, or the station's default.
    pub(crate) fn subject(&self, requested: Option<SimSubject>) -> SimSubject {
        requested.unwrap_or_else(|| synth::default_subject(self.world.config().seed))
    }

    /// Seed of one impression: station seed, device, attempt and person.
    pub(crate) fn impression_seed(&self, attempt: u64, subject: SimSubject) -> u64 {
        synth::hash64(&[
            b"impression",
            &self.world.config().seed.to_le_bytes(),
            self.id().as_str().as_bytes(),
            &attempt.to_le_bytes(),
            &subject.0.to_le_bytes(),
        ])
    }

    /// Streams preview frames over the capture latency: at least [`MIN_PREVIEW_FRAMES`], one
    /// per `preview_interval`, at most `max` when `max > 0`.
    pub(crate) fn stream_previews(
        &self,
        ctl: &Control,
        sink: &mut dyn CaptureSink,
        max: u32,
        mut frame: impl FnMut(u32, u32) -> Result<(u32, u32, Vec<u8>)>,
    ) -> Result<()> {
        let lat = self.world.latency();
        let mut n = MIN_PREVIEW_FRAMES;
        if !lat.preview_interval.is_zero() {
            let per = lat.capture.as_nanos() / lat.preview_interval.as_nanos();
            n = n.max(u32::try_from(per).unwrap_or(u32::MAX));
        }
        if max > 0 {
            n = n.min(max);
        }
        let step = lat.capture / n;
        for i in 0..n {
            ctl.check().map_err(|e| self.tag(e))?;
            let (width, height, jpeg) = frame(i, n)?;
            sink.preview(PreviewFrame {
                seq: u64::from(i),
                width,
                height,
                jpeg,
            });
            self.sleep(ctl, step)?;
        }
        Ok(())
    }

    /// Runs a self-test: `checks` are (name, passed, detail), evaluated by the caller. Each
    /// step reports progress and waits `self_test_step`. A `SelfTestFail` fault fails the
    /// last check.
    pub(crate) fn run_self_test(
        &self,
        ctl: &Control,
        progress: &mut dyn FnMut(SelfTestProgress),
        mut checks: Vec<(&'static str, bool, String)>,
    ) -> Result<SelfTestReport> {
        self.begin(ctl)?;
        if self.faults.take(FaultKind::SelfTestFail).is_some() {
            if let Some(last) = checks.last_mut() {
                last.1 = false;
                last.2 = "simulated failure".to_owned();
            }
        }
        let n = checks.len();
        let mut done = Vec::with_capacity(n);
        for (i, (name, passed, detail)) in checks.into_iter().enumerate() {
            progress(SelfTestProgress {
                step: name.to_owned(),
                fraction: i as f32 / n as f32,
            });
            let start = Instant::now();
            self.sleep(ctl, self.world.latency().self_test_step)?;
            done.push(SelfTestCheck {
                name: name.to_owned(),
                passed,
                detail,
                took: start.elapsed(),
            });
        }
        progress(SelfTestProgress {
            step: "done".to_owned(),
            fraction: 1.0,
        });
        Ok(SelfTestReport::from_checks(self.id().clone(), done))
    }
}

/// Maps an encoding failure to a device error.
pub(crate) fn internal(core: &SimCore, e: synth::SynthError) -> DeviceError {
    core.err(ErrorKind::Internal, "simulated image could not be encoded")
        .with_source(e)
}
