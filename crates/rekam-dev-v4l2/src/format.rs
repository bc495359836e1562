//! Frame formats and format negotiation.
//!
//! A camera offers modes (format, size, frame rate). The driver picks two: a preview mode
//! (the preferred format at the largest size no wider than the preview width, at its highest
//! frame rate) and a still mode (the preferred format at the camera's largest size). The
//! preferred format depends on the camera's role: a face camera prefers MJPEG (small frames,
//! full colour at high resolution over USB 2), then YUYV, then GREY; a near-infrared iris
//! camera prefers GREY (the sensor's own 8-bit luminance, no chroma to throw away), then
//! YUYV (its Y plane), then MJPEG.

use std::fmt;

/// A pixel format this driver decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FrameFormat {
    /// Motion JPEG: each frame a JPEG image (`MJPG`).
    Mjpeg,
    /// Packed YUV 4:2:2, `Y0 U Y1 V` (`YUYV`).
    Yuyv,
    /// 8-bit luminance (`GREY`).
    Grey,
}

impl FrameFormat {
    /// The V4L2 four-character code.
    pub fn fourcc(self) -> [u8; 4] {
        match self {
            FrameFormat::Mjpeg => *b"MJPG",
            FrameFormat::Yuyv => *b"YUYV",
            FrameFormat::Grey => *b"GREY",
        }
    }

    /// The format of a four-character code, when this driver decodes it.
    pub fn from_fourcc(code: [u8; 4]) -> Option<Self> {
        match &code {
            b"MJPG" | b"JPEG" => Some(FrameFormat::Mjpeg),
            b"YUYV" => Some(FrameFormat::Yuyv),
            b"GREY" => Some(FrameFormat::Grey),
            _ => None,
        }
    }

    /// The code as text.
    pub fn name(self) -> &'static str {
        match self {
            FrameFormat::Mjpeg => "MJPG",
            FrameFormat::Yuyv => "YUYV",
            FrameFormat::Grey => "GREY",
        }
    }

    /// Bytes of one uncompressed frame (`None` for MJPEG, whose frames vary).
    pub fn frame_len(self, width: u32, height: u32) -> Option<usize> {
        let px = width as usize * height as usize;
        match self {
            FrameFormat::Mjpeg => None,
            FrameFormat::Yuyv => Some(px * 2),
            FrameFormat::Grey => Some(px),
        }
    }
}

impl fmt::Display for FrameFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One mode a camera offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Mode {
    /// Pixel format.
    pub format: FrameFormat,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Frames per second (the fastest interval offered at this size, rounded down).
    pub fps: u32,
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}x{} at {} fps",
            self.format, self.width, self.height, self.fps
        )
    }
}

/// What a camera is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The face camera (colour portrait).
    Face,
    /// The near-infrared iris camera (grey, both eyes in one frame).
    Iris,
}

impl Role {
    /// Formats in the order this role prefers them.
    pub fn preference(self) -> [FrameFormat; 3] {
        match self {
            Role::Face => [FrameFormat::Mjpeg, FrameFormat::Yuyv, FrameFormat::Grey],
            Role::Iris => [FrameFormat::Grey, FrameFormat::Yuyv, FrameFormat::Mjpeg],
        }
    }
}

/// The preview and still modes chosen for a camera.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Negotiated {
    /// Streamed while the person is placed.
    pub preview: Mode,
    /// Taken for the sample, at the largest size.
    pub still: Mode,
}

/// Chooses the preview and still modes among `offered` for `role`; `None` when the camera
/// offers none of the three formats. The format is the first of the role's preference that
/// the camera offers; preview and still use the same format (switching formats costs a
/// stream restart on top of the size change).
///
/// ```
/// use rekam_dev_v4l2::format::{negotiate, FrameFormat::*, Mode, Role};
/// let m = |format, width, height, fps| Mode { format, width, height, fps };
/// let offered = [
///     m(Yuyv, 640, 480, 30), m(Yuyv, 1920, 1080, 5),
///     m(Mjpeg, 640, 480, 30), m(Mjpeg, 1280, 720, 30), m(Mjpeg, 1920, 1080, 30),
/// ];
/// let n = negotiate(&offered, Role::Face, 1280).unwrap();
/// assert_eq!(n.preview, m(Mjpeg, 1280, 720, 30));
/// assert_eq!(n.still, m(Mjpeg, 1920, 1080, 30));
/// let n = negotiate(&offered, Role::Iris, 640).unwrap();
/// assert_eq!((n.preview.format, n.still.width), (Yuyv, 1920));
/// ```
pub fn negotiate(offered: &[Mode], role: Role, preview_width: u32) -> Option<Negotiated> {
    let format = role
        .preference()
        .into_iter()
        .find(|f| offered.iter().any(|m| m.format == *f && m.width > 0))?;
    let modes: Vec<&Mode> = offered
        .iter()
        .filter(|m| m.format == format && m.width > 0 && m.height > 0)
        .collect();
    let area = |m: &Mode| u64::from(m.width) * u64::from(m.height);
    let still = **modes
        .iter()
        .max_by_key(|m| (area(m), m.fps, std::cmp::Reverse(m.width)))?;
    // The largest size within the preview width, fastest first; else the smallest offered.
    let preview = modes
        .iter()
        .filter(|m| m.width <= preview_width)
        .max_by_key(|m| (m.fps.min(60), area(m)))
        .or_else(|| {
            modes
                .iter()
                .min_by_key(|m| (area(m), std::cmp::Reverse(m.fps)))
        })
        .copied()
        .copied()?;
    Some(Negotiated { preview, still })
}

#[cfg(test)]
mod tests {
    use super::*;
    use FrameFormat::*;

    fn m(format: FrameFormat, width: u32, height: u32, fps: u32) -> Mode {
        Mode {
            format,
            width,
            height,
            fps,
        }
    }

    #[test]
    fn the_iris_camera_prefers_grey_and_the_face_camera_mjpeg() {
        let offered = [
            m(Grey, 1280, 960, 30),
            m(Grey, 640, 480, 60),
            m(Mjpeg, 1920, 1080, 30),
        ];
        let iris = negotiate(&offered, Role::Iris, 640).unwrap();
        assert_eq!(iris.preview, m(Grey, 640, 480, 60));
        assert_eq!(iris.still, m(Grey, 1280, 960, 30));
        let face = negotiate(&offered, Role::Face, 640).unwrap();
        assert_eq!(face.still, m(Mjpeg, 1920, 1080, 30));
        // Nothing fits the preview width: the smallest mode previews.
        assert_eq!(face.preview, m(Mjpeg, 1920, 1080, 30));
    }

    #[test]
    fn preview_prefers_frame_rate_then_size_within_the_width() {
        let offered = [
            m(Yuyv, 320, 240, 30),
            m(Yuyv, 640, 480, 30),
            m(Yuyv, 800, 600, 15),
            m(Yuyv, 2592, 1944, 2),
        ];
        let n = negotiate(&offered, Role::Face, 800).unwrap();
        assert_eq!(n.preview, m(Yuyv, 640, 480, 30));
        assert_eq!(n.still, m(Yuyv, 2592, 1944, 2));
    }

    #[test]
    fn no_known_format_negotiates_nothing_and_fourccs_round_trip() {
        assert!(negotiate(&[], Role::Face, 640).is_none());
        for f in [Mjpeg, Yuyv, Grey] {
            assert_eq!(FrameFormat::from_fourcc(f.fourcc()), Some(f));
        }
        assert_eq!(FrameFormat::from_fourcc(*b"H264"), None);
        assert_eq!(Yuyv.frame_len(4, 2), Some(16));
        assert_eq!(Mjpeg.frame_len(4, 2), None);
    }
}
