//! A scripted frame source for unit tests and the benchmark: it offers the modes it is given,
//! produces the test pattern ([`crate::testframes`]) in the started mode at the mode's frame
//! rate (real time, like a camera), has the controls it is given, and can be told to fail.
//! A [`SourceHandle`] shared with the test reads what the driver did.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::error::{CameraError, CameraErrorKind};
use crate::format::Mode;
use crate::source::{ControlId, ControlInfo, Frame, FrameSource, SourceInfo};
use crate::testframes;

#[derive(Debug, Default)]
struct Record {
    started: Vec<Mode>,
    stops: usize,
    controls: BTreeMap<ControlId, i64>,
    produced: u64,
    fail_after: Option<u64>,
    corrupt_next: u64,
    absent: bool,
}

/// What the test sees of, and does to, a [`ScriptedSource`].
#[derive(Debug, Clone, Default)]
pub struct SourceHandle {
    record: Arc<Mutex<Record>>,
}

impl SourceHandle {
    fn with<T>(&self, f: impl FnOnce(&mut Record) -> T) -> T {
        f(&mut self.record.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// The modes the driver started, in order.
    pub fn started(&self) -> Vec<Mode> {
        self.with(|r| r.started.clone())
    }

    /// How often the driver stopped streaming.
    pub fn stops(&self) -> usize {
        self.with(|r| r.stops)
    }

    /// The controls the driver set, with their last values.
    pub fn controls_set(&self) -> BTreeMap<ControlId, i64> {
        self.with(|r| r.controls.clone())
    }

    /// Frames produced so far.
    pub fn produced(&self) -> u64 {
        self.with(|r| r.produced)
    }

    /// The camera is unplugged after `frames` more frames.
    pub fn unplug_after(&self, frames: u64) {
        self.with(|r| r.fail_after = Some(r.produced + frames));
    }

    /// The next `frames` frames arrive cut short (0 stops it).
    pub fn corrupt_next(&self, frames: u64) {
        self.with(|r| r.corrupt_next = frames);
    }

    /// Plugs the camera in (true) or out (false).
    pub fn set_absent(&self, absent: bool) {
        self.with(|r| {
            r.absent = absent;
            if !absent {
                r.fail_after = None;
            }
        });
    }
}

/// A scripted camera.
#[derive(Debug)]
pub struct ScriptedSource {
    modes: Vec<Mode>,
    controls: Vec<ControlInfo>,
    paced: bool,
    current: Option<Mode>,
    /// Pre-made frames of the current mode (a few, cycled), so producing is cheap.
    frames: Vec<Vec<u8>>,
    next_at: Instant,
    seq: u64,
    handle: SourceHandle,
}

impl ScriptedSource {
    /// A camera offering `modes` and having `controls`; `paced` makes it deliver frames at
    /// the mode's rate (as a camera does) rather than as fast as asked.
    pub fn new(modes: Vec<Mode>, controls: Vec<ControlInfo>, paced: bool) -> (Self, SourceHandle) {
        let handle = SourceHandle::default();
        (
            ScriptedSource {
                modes,
                controls,
                paced,
                current: None,
                frames: Vec::new(),
                next_at: Instant::now(),
                seq: 0,
                handle: handle.clone(),
            },
            handle,
        )
    }

    fn gone(&self) -> Option<CameraError> {
        self.handle.with(|r| {
            (r.absent || r.fail_after.is_some_and(|n| r.produced >= n)).then(|| {
                r.absent = true;
                CameraError::new(CameraErrorKind::Disconnected, "scripted camera unplugged")
            })
        })
    }
}

impl FrameSource for ScriptedSource {
    fn info(&mut self) -> Result<SourceInfo, CameraError> {
        if let Some(e) = self.gone() {
            return Err(e);
        }
        Ok(SourceInfo {
            card: "Rekam Scripted Camera".into(),
            driver: "scripted".into(),
            bus: "test".into(),
        })
    }

    fn modes(&mut self) -> Result<Vec<Mode>, CameraError> {
        if let Some(e) = self.gone() {
            return Err(e);
        }
        Ok(self.modes.clone())
    }

    fn start(&mut self, mode: &Mode) -> Result<Mode, CameraError> {
        if let Some(e) = self.gone() {
            return Err(e);
        }
        if !self.modes.contains(mode) {
            return Err(CameraError::new(
                CameraErrorKind::Unsupported,
                format!("the scripted camera does not offer {mode}"),
            ));
        }
        self.frames = (0..3)
            .map(|i| testframes::frame(mode.format, mode.width, mode.height, i * 7).data)
            .collect();
        self.current = Some(*mode);
        self.next_at = Instant::now();
        self.handle.with(|r| r.started.push(*mode));
        Ok(*mode)
    }

    fn next_frame(&mut self, timeout: Duration) -> Result<Frame, CameraError> {
        let Some(mode) = self.current else {
            return Err(CameraError::new(CameraErrorKind::Io, "not streaming"));
        };
        if let Some(e) = self.gone() {
            return Err(e);
        }
        if self.paced {
            let now = Instant::now();
            if self.next_at > now {
                let wait = self.next_at - now;
                if wait > timeout {
                    std::thread::sleep(timeout);
                    return Err(CameraError::new(CameraErrorKind::Timeout, "no frame yet"));
                }
                std::thread::sleep(wait);
            }
            let period = Duration::from_secs(1) / mode.fps.max(1);
            self.next_at = self.next_at.max(Instant::now() - period) + period;
        }
        self.seq += 1;
        let mut data = self.frames[(self.seq % self.frames.len() as u64) as usize].clone();
        let corrupt = self.handle.with(|r| {
            let c = r.corrupt_next > 0;
            r.corrupt_next = r.corrupt_next.saturating_sub(1);
            c
        });
        if corrupt {
            data.truncate(data.len() / 3);
        }
        self.handle.with(|r| r.produced += 1);
        Ok(Frame {
            format: mode.format,
            width: mode.width,
            height: mode.height,
            data,
            seq: self.seq,
        })
    }

    fn stop(&mut self) -> Result<(), CameraError> {
        if self.current.take().is_some() {
            self.handle.with(|r| r.stops += 1);
        }
        Ok(())
    }

    fn controls(&mut self) -> Result<Vec<ControlInfo>, CameraError> {
        Ok(self.controls.clone())
    }

    fn set_control(&mut self, id: ControlId, value: i64) -> Result<(), CameraError> {
        let info = self
            .controls
            .iter()
            .find(|c| c.id == id)
            .ok_or_else(|| CameraError::new(CameraErrorKind::Unsupported, "no such control"))?;
        if value < info.min || value > info.max {
            return Err(CameraError::new(
                CameraErrorKind::InvalidInput,
                "control value out of range",
            ));
        }
        self.handle.with(|r| r.controls.insert(id, value));
        Ok(())
    }
}

/// Parses a scripted camera's modes, `FORMAT-WxH@FPS` separated by commas, the format being
/// `mjpeg`, `yuyv` or `grey` (or their fourcc, any case): `mjpeg-1280x720@30,yuyv-640x480@30`.
pub fn parse_modes(spec: &str) -> Result<Vec<Mode>, CameraError> {
    let bad = |m: String| CameraError::new(CameraErrorKind::InvalidInput, m);
    let mut modes = Vec::new();
    for item in spec.split(',') {
        let parsed = (|| {
            let (format, rest) = item.split_once('-')?;
            let (size, fps) = rest.split_once('@')?;
            let (w, h) = size.split_once('x')?;
            let format = match format.to_ascii_lowercase().as_str() {
                "mjpeg" | "mjpg" => crate::format::FrameFormat::Mjpeg,
                "yuyv" => crate::format::FrameFormat::Yuyv,
                "grey" => crate::format::FrameFormat::Grey,
                _ => return None,
            };
            let mode = Mode {
                format,
                width: w.parse().ok()?,
                height: h.parse().ok()?,
                fps: fps.parse().ok()?,
            };
            let sane = (2..=4096).contains(&mode.width)
                && (2..=4096).contains(&mode.height)
                && mode.width.is_multiple_of(2)
                && (1..=120).contains(&mode.fps);
            sane.then_some(mode)
        })();
        modes.push(parsed.ok_or_else(|| {
            bad(format!(
                "scripted mode {item:?} is not FORMAT-WxH@FPS (mjpeg, yuyv or grey; even width up to 4096; 1-120 fps)"
            ))
        })?);
    }
    Ok(modes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::FrameFormat;

    #[test]
    fn scripted_modes_parse() {
        let modes = parse_modes("mjpeg-1280x720@30,YUYV-640x480@15,grey-640x480@60").unwrap();
        assert_eq!(
            modes,
            vec![
                Mode {
                    format: FrameFormat::Mjpeg,
                    width: 1280,
                    height: 720,
                    fps: 30
                },
                Mode {
                    format: FrameFormat::Yuyv,
                    width: 640,
                    height: 480,
                    fps: 15
                },
                Mode {
                    format: FrameFormat::Grey,
                    width: 640,
                    height: 480,
                    fps: 60
                },
            ]
        );
        for bad in [
            "",
            "mjpeg-1280x720",
            "h264-640x480@30",
            "yuyv-641x480@30",
            "yuyv-640x480@0",
            "yuyv-0x480@30",
            "yuyv-640x480@30,",
        ] {
            assert!(parse_modes(bad).is_err(), "{bad:?}");
        }
    }
}
