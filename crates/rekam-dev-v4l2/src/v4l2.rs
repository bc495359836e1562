//! [`V4l2Source`]: the [`FrameSource`] over a real `/dev/videoN`, with the `v4l` crate
//! (memory-mapped streaming, four buffers).
//!
//! Notes on the v4l crate that shaped this code:
//! - Its mmap stream returns whole buffers; the frame is the first `bytesused` bytes (an MJPEG
//!   frame is much shorter than its buffer).
//! - A timed-out dequeue leaves its stream unable to go on (the next call queues the same
//!   buffer twice), so waits are done with `poll` before asking for the frame, and a stream
//!   that never delivered its first frame is dropped and made anew.
//! - Its default backend binds the kernel's `videodev2.h` with bindgen at build time: building
//!   needs Debian's `libclang-dev` (no libv4l needed at run time).
//!
//! Untested here against a real camera (a container cannot load v4l2loopback); the logic it
//! feeds is tested at the seam.

use std::path::PathBuf;
use std::time::Duration;

use v4l::buffer::Type;
use v4l::io::mmap::Stream;
use v4l::io::traits::CaptureStream;
use v4l::video::Capture;
use v4l::{Device, FourCC};

use crate::error::{CameraError, CameraErrorKind};
use crate::format::{FrameFormat, Mode};
use crate::source::{ControlId, ControlInfo, Frame, FrameSource, SourceInfo};

/// `POLLIN` (poll(2)): data to read.
const POLLIN: i16 = 0x0001;
/// How long a freshly started stream may take to deliver its first frame.
const FIRST_FRAME: Duration = Duration::from_secs(3);

/// A V4L2 capture device, opened on first use and reopened after it went away.
pub struct V4l2Source {
    path: PathBuf,
    device: Option<Device>,
    stream: Option<Stream<'static>>,
    /// The stream delivered a frame (see the module doc).
    flowing: bool,
    mode: Option<Mode>,
    seq: u64,
}

impl std::fmt::Debug for V4l2Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("V4l2Source")
            .field("path", &self.path)
            .field("open", &self.device.is_some())
            .field("mode", &self.mode)
            .finish()
    }
}

impl V4l2Source {
    /// A source for the device node at `path` (no I/O yet).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        V4l2Source {
            path: path.into(),
            device: None,
            stream: None,
            flowing: false,
            mode: None,
            seq: 0,
        }
    }

    fn device(&mut self) -> Result<&Device, CameraError> {
        if self.device.is_none() {
            let dev = Device::with_path(&self.path)
                .map_err(|e| CameraError::io("opening the camera", e))?;
            self.device = Some(dev);
        }
        self.device
            .as_ref()
            .ok_or_else(|| CameraError::new(CameraErrorKind::Io, "camera handle missing"))
    }

    /// Drops the handle after an error that says the camera is gone.
    fn check<T>(&mut self, r: Result<T, CameraError>) -> Result<T, CameraError> {
        if let Err(e) = &r {
            if matches!(
                e.kind(),
                CameraErrorKind::Disconnected | CameraErrorKind::Io
            ) {
                self.stream = None;
                self.device = None;
                self.mode = None;
            }
        }
        r
    }

    fn fps_of(dev: &Device, fourcc: FourCC, width: u32, height: u32) -> u32 {
        let intervals = dev
            .enum_frameintervals(fourcc, width, height)
            .unwrap_or_default();
        intervals
            .iter()
            .map(|i| match &i.interval {
                v4l::frameinterval::FrameIntervalEnum::Discrete(f) => (f.numerator, f.denominator),
                v4l::frameinterval::FrameIntervalEnum::Stepwise(s) => {
                    (s.min.numerator, s.min.denominator)
                }
            })
            .filter(|(n, _)| *n > 0)
            .map(|(n, d)| d / n)
            .max()
            .unwrap_or(0)
    }
}

impl FrameSource for V4l2Source {
    fn info(&mut self) -> Result<SourceInfo, CameraError> {
        let r = self.device().and_then(|d| {
            d.query_caps()
                .map_err(|e| CameraError::io("VIDIOC_QUERYCAP", e))
        });
        let caps = self.check(r)?;
        Ok(SourceInfo {
            card: caps.card,
            driver: caps.driver,
            bus: caps.bus,
        })
    }

    fn modes(&mut self) -> Result<Vec<Mode>, CameraError> {
        let r = (|| {
            let dev = self.device()?;
            let mut modes = Vec::new();
            let formats = dev
                .enum_formats()
                .map_err(|e| CameraError::io("VIDIOC_ENUM_FMT", e))?;
            for desc in formats {
                let Some(format) = FrameFormat::from_fourcc(desc.fourcc.repr) else {
                    continue;
                };
                let sizes = dev
                    .enum_framesizes(desc.fourcc)
                    .map_err(|e| CameraError::io("VIDIOC_ENUM_FRAMESIZES", e))?;
                for size in sizes {
                    let dims = match size.size {
                        v4l::framesize::FrameSizeEnum::Discrete(d) => vec![(d.width, d.height)],
                        // A stepwise range: its two ends are enough to negotiate with.
                        v4l::framesize::FrameSizeEnum::Stepwise(s) => {
                            vec![(s.min_width, s.min_height), (s.max_width, s.max_height)]
                        }
                    };
                    for (width, height) in dims {
                        let fps = Self::fps_of(dev, desc.fourcc, width, height);
                        modes.push(Mode {
                            format,
                            width,
                            height,
                            fps,
                        });
                    }
                }
            }
            Ok(modes)
        })();
        self.check(r)
    }

    fn start(&mut self, mode: &Mode) -> Result<Mode, CameraError> {
        self.stop()?;
        let r = (|| {
            let dev = self.device()?;
            let want =
                v4l::Format::new(mode.width, mode.height, FourCC::new(&mode.format.fourcc()));
            let got = dev
                .set_format(&want)
                .map_err(|e| CameraError::io("VIDIOC_S_FMT", e))?;
            let format = FrameFormat::from_fourcc(got.fourcc.repr).ok_or_else(|| {
                CameraError::new(
                    CameraErrorKind::Unsupported,
                    format!("the camera switched to {}", got.fourcc),
                )
            })?;
            let params = dev
                .set_params(&v4l::video::capture::Parameters::with_fps(mode.fps.max(1)))
                .map_err(|e| CameraError::io("VIDIOC_S_PARM", e))?;
            let fps = params
                .interval
                .denominator
                .checked_div(params.interval.numerator)
                .unwrap_or(mode.fps);
            let mut stream = Stream::with_buffers(dev, Type::VideoCapture, 4)
                .map_err(|e| CameraError::io("VIDIOC_REQBUFS", e))?;
            stream.set_timeout(FIRST_FRAME);
            Ok((
                stream,
                Mode {
                    format,
                    width: got.width,
                    height: got.height,
                    fps,
                },
            ))
        })();
        let (stream, actual) = self.check(r)?;
        self.stream = Some(stream);
        self.flowing = false;
        self.mode = Some(actual);
        Ok(actual)
    }

    fn next_frame(&mut self, timeout: Duration) -> Result<Frame, CameraError> {
        let mode = self
            .mode
            .ok_or_else(|| CameraError::new(CameraErrorKind::Io, "the camera is not streaming"))?;
        let flowing = self.flowing;
        let r = (|| {
            let stream = self
                .stream
                .as_mut()
                .ok_or_else(|| CameraError::new(CameraErrorKind::Io, "no stream"))?;
            if flowing {
                let ms = i32::try_from(timeout.as_millis())
                    .unwrap_or(i32::MAX)
                    .max(1);
                let ready = stream
                    .handle()
                    .poll(POLLIN, ms)
                    .map_err(|e| CameraError::io("polling the camera", e))?;
                if ready == 0 {
                    return Err(CameraError::new(CameraErrorKind::Timeout, "no frame yet"));
                }
            }
            let (bytes, meta) =
                CaptureStream::next(stream).map_err(|e| CameraError::io("VIDIOC_DQBUF", e))?;
            let used = (meta.bytesused as usize).min(bytes.len());
            Ok(bytes[..used].to_vec())
        })();
        let data = match r {
            Ok(data) => data,
            Err(e) if !flowing && e.kind() == CameraErrorKind::Timeout => {
                // The stream cannot go on after a timed-out first dequeue: make it anew.
                self.stream = None;
                self.mode = None;
                return Err(CameraError::new(
                    CameraErrorKind::Io,
                    "the camera started but sent no frame",
                ));
            }
            Err(e) => return self.check(Err(e)),
        };
        self.flowing = true;
        self.seq += 1;
        Ok(Frame {
            format: mode.format,
            width: mode.width,
            height: mode.height,
            data,
            seq: self.seq,
        })
    }

    fn stop(&mut self) -> Result<(), CameraError> {
        // Dropping the stream stops it (STREAMOFF) and unmaps its buffers.
        self.stream = None;
        self.mode = None;
        Ok(())
    }

    fn controls(&mut self) -> Result<Vec<ControlInfo>, CameraError> {
        let r = self.device().and_then(|d| {
            d.query_controls()
                .map_err(|e| CameraError::io("VIDIOC_QUERYCTRL", e))
        });
        let all = self.check(r)?;
        Ok(ControlId::ALL
            .into_iter()
            .filter_map(|id| {
                all.iter()
                    .find(|c| c.id == id.v4l2_id())
                    .map(|c| ControlInfo {
                        id,
                        min: c.minimum,
                        max: c.maximum,
                        default: c.default,
                    })
            })
            .collect())
    }

    fn set_control(&mut self, id: ControlId, value: i64) -> Result<(), CameraError> {
        let value = match id {
            ControlId::AutoFocus => v4l::control::Value::Boolean(value != 0),
            _ => v4l::control::Value::Integer(value),
        };
        let r = self.device().and_then(|d| {
            d.set_control(v4l::Control {
                id: id.v4l2_id(),
                value,
            })
            .map_err(|e| CameraError::io("VIDIOC_S_CTRL", e))
        });
        self.check(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_device_node_is_a_disconnection() {
        let mut s = V4l2Source::new("/dev/rekam-no-such-video");
        assert_eq!(s.info().unwrap_err().kind(), CameraErrorKind::Disconnected);
        assert_eq!(s.modes().unwrap_err().kind(), CameraErrorKind::Disconnected);
    }

    #[test]
    fn a_node_that_is_no_camera_is_refused() {
        // /dev/null opens but answers no V4L2 ioctl.
        let mut s = V4l2Source::new("/dev/null");
        let e = s.info().unwrap_err();
        assert!(
            matches!(e.kind(), CameraErrorKind::Unsupported | CameraErrorKind::Io),
            "{e}"
        );
    }
}
