//! The frame-source seam: what the camera driver needs from a capture device, as a trait.
//!
//! The driver ([`crate::camera`]) talks only to [`FrameSource`], so it runs unchanged over
//! V4L2 ([`crate::v4l2::V4l2Source`]) and over the scripted source ([`crate::mock`]) that
//! unit tests and the benchmark use (no v4l2loopback in a container). The v4l crate gives no
//! seam of its own, hence this trait.

use std::fmt;
use std::time::Duration;

use crate::error::CameraError;
use crate::format::{FrameFormat, Mode};

/// One captured frame, copied out of the driver's buffer.
#[derive(Clone, PartialEq, Eq)]
pub struct Frame {
    /// Pixel format of `data`.
    pub format: FrameFormat,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// The frame's bytes (a JPEG for MJPEG).
    pub data: Vec<u8>,
    /// The source's frame counter.
    pub seq: u64,
}

impl fmt::Debug for Frame {
    // Pixels are biometric data: never printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Frame")
            .field("format", &self.format)
            .field("width", &self.width)
            .field("height", &self.height)
            .field("bytes", &self.data.len())
            .field("seq", &self.seq)
            .finish()
    }
}

/// A camera control this driver sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ControlId {
    /// Automatic exposure on (aperture priority) or off (manual).
    AutoExposure,
    /// Manual exposure time, in the camera's units (100 µs for UVC).
    Exposure,
    /// Continuous autofocus on or off.
    AutoFocus,
    /// Manual focus position, in the camera's units.
    Focus,
}

impl ControlId {
    /// The V4L2 control id (`V4L2_CID_*`, camera class).
    pub fn v4l2_id(self) -> u32 {
        const CAMERA_CLASS_BASE: u32 = 0x009a_0900;
        match self {
            ControlId::AutoExposure => CAMERA_CLASS_BASE + 1,
            ControlId::Exposure => CAMERA_CLASS_BASE + 2,
            ControlId::Focus => CAMERA_CLASS_BASE + 10,
            ControlId::AutoFocus => CAMERA_CLASS_BASE + 12,
        }
    }

    /// Every control this driver knows.
    pub const ALL: [ControlId; 4] = [
        ControlId::AutoExposure,
        ControlId::Exposure,
        ControlId::AutoFocus,
        ControlId::Focus,
    ];
}

/// A control the camera has, with its range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ControlInfo {
    /// Which control.
    pub id: ControlId,
    /// Smallest value.
    pub min: i64,
    /// Largest value.
    pub max: i64,
    /// Default value.
    pub default: i64,
}

/// Who the source is (from `VIDIOC_QUERYCAP`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SourceInfo {
    /// The card name, e.g. `HD Pro Webcam C920`.
    pub card: String,
    /// The kernel driver, e.g. `uvcvideo`.
    pub driver: String,
    /// Where it is attached, e.g. `usb-0000:00:14.0-1`.
    pub bus: String,
}

/// A capture device. Blocking; `next_frame` is bounded by its timeout.
pub trait FrameSource: Send {
    /// Who the device is.
    fn info(&mut self) -> Result<SourceInfo, CameraError>;

    /// The modes the device offers in the formats this driver decodes.
    fn modes(&mut self) -> Result<Vec<Mode>, CameraError>;

    /// Sets `mode` and starts streaming; returns the mode the device actually took.
    fn start(&mut self, mode: &Mode) -> Result<Mode, CameraError>;

    /// The next frame, waiting at most `timeout` (`Timeout` when none came).
    fn next_frame(&mut self, timeout: Duration) -> Result<Frame, CameraError>;

    /// Stops streaming (idempotent).
    fn stop(&mut self) -> Result<(), CameraError>;

    /// The controls of [`ControlId::ALL`] the device has.
    fn controls(&mut self) -> Result<Vec<ControlInfo>, CameraError>;

    /// Sets a control the device has.
    fn set_control(&mut self, id: ControlId, value: i64) -> Result<(), CameraError>;
}
