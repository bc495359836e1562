//! # rekam-dev-v4l2: V4L2 face and iris cameras
//!
//! A real driver for [`rekam_hal::FaceCamera`] and [`rekam_hal::IrisCamera`] over Video4Linux2
//! (UVC webcams as face cameras, near-infrared UVC cameras as iris cameras), with the `v4l`
//! crate.
//!
//! Layers, each tested on its own:
//! - [`format`]: MJPEG, YUYV and GREY, and the negotiation of a preview and a still mode per
//!   role (MJPEG first for the face, GREY first for the iris).
//! - [`convert`]: MJPEG decoding (`image`/zune-jpeg, which supplies the Huffman tables UVC
//!   frames leave out), YUYV to RGB and grey (BT.601 limited range), downscaling and JPEG
//!   encoding; fuzzed with proptest.
//! - [`slot`]: the latest-wins slot between the camera reader and the preview consumer.
//! - [`source`]: the [`source::FrameSource`] seam; [`v4l2`] implements it over the kernel,
//!   [`mock`] scripts it (paced at the mode's rate, with unplug and corrupt-frame faults).
//! - [`camera`]: the station device (preview, still, controls, hotplug-friendly reopening).
//! - [`testframes`]: synthetic frames for tests and the preview benchmark
//!   (`cargo bench -p rekam-dev-v4l2`).
//!
//! The selector is `v4l2:PATH`, with options after `?` (see [`CameraSetup`]); configuration
//! says the family (`face` or `iris`).
#![forbid(unsafe_code)]

pub mod camera;
pub mod convert;
pub mod error;
pub mod format;
pub mod mock;
pub mod slot;
pub mod source;
pub mod testframes;
pub mod v4l2;

use std::str::FromStr;

pub use camera::V4l2Camera;
pub use error::{CameraError, CameraErrorKind};

use rekam_hal::{AnyDevice, DeviceFamily, DeviceId, DeviceSelector};

use camera::{CameraOptions, Setting};
use format::Role;

/// What a `v4l2:` selector says: the device node and the camera's options.
///
/// `v4l2:PATH[?preview_width=N][&preview_frames=N][&exposure=auto|N][&focus=auto|N]`:
/// - `preview_width`: previews at most this wide (default 640; 160 to 1920);
/// - `preview_frames`: preview frames streamed before the still (default 30, one second at
///   30 fps; 1 to 18000);
/// - `exposure`: automatic, or a manual exposure time in the camera's units (100 µs on UVC);
/// - `focus`: continuous autofocus, or a manual focus position.
///
/// Controls the camera lacks are skipped.
///
/// ```
/// use rekam_dev_v4l2::{camera::Setting, CameraSetup};
/// let s: CameraSetup = "/dev/video0".parse().unwrap();
/// assert_eq!((s.path.as_str(), s.options.preview_width), ("/dev/video0", 640));
/// let s: CameraSetup = "/dev/rekam-iris?exposure=120&focus=auto&preview_width=320".parse().unwrap();
/// assert_eq!(s.options.exposure, Setting::Manual(120));
/// assert_eq!(s.options.focus, Setting::Auto);
/// assert!("/dev/video0?zoom=2".parse::<CameraSetup>().is_err());
/// assert!("/dev/video0?preview_width=20".parse::<CameraSetup>().is_err());
/// let s: CameraSetup = "/dev/video0?preview_frames=300".parse().unwrap();
/// assert_eq!(s.options.preview_frames, 300);
/// assert!("/dev/video0?preview_frames=0".parse::<CameraSetup>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CameraSetup {
    /// The device node.
    pub path: String,
    /// Preview size and controls.
    pub options: CameraOptions,
}

impl FromStr for CameraSetup {
    type Err = CameraError;

    fn from_str(s: &str) -> Result<Self, CameraError> {
        let bad = |m: String| CameraError::new(CameraErrorKind::InvalidInput, m);
        let (path, query) = s.split_once('?').unwrap_or((s, ""));
        if path.is_empty() {
            return Err(bad("v4l2: needs a device path".into()));
        }
        let mut options = CameraOptions::default();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair
                .split_once('=')
                .ok_or_else(|| bad(format!("option {pair:?} is not KEY=VALUE")))?;
            let setting = |v: &str| match v {
                "auto" => Ok(Setting::Auto),
                n => n
                    .parse::<i64>()
                    .map(Setting::Manual)
                    .map_err(|_| bad(format!("{key}={v:?}: auto or a number"))),
            };
            match key {
                "preview_width" => {
                    let w = value
                        .parse::<u32>()
                        .map_err(|_| bad(format!("preview_width={value:?} is not a number")))?;
                    if !(160..=1920).contains(&w) {
                        return Err(bad("preview_width is between 160 and 1920".into()));
                    }
                    options.preview_width = w;
                }
                "preview_frames" => {
                    let n = value
                        .parse::<u32>()
                        .map_err(|_| bad(format!("preview_frames={value:?} is not a number")))?;
                    if !(1..=18_000).contains(&n) {
                        return Err(bad("preview_frames is between 1 and 18000".into()));
                    }
                    options.preview_frames = n;
                }
                "exposure" => options.exposure = setting(value)?,
                "focus" => options.focus = setting(value)?,
                other => {
                    return Err(bad(format!(
                        "unknown option {other:?} (preview_width, preview_frames, exposure, focus)"
                    )))
                }
            }
        }
        Ok(CameraSetup {
            path: path.to_owned(),
            options,
        })
    }
}

/// Opens the driver for a `v4l2:` selector as device `id` of `family` (face or iris camera).
/// The camera need not be plugged in: it then reports `Disconnected` until it is.
///
/// A path `scripted:MODE[,MODE...]` (e.g. `scripted:mjpeg-1280x720@30,yuyv-640x480@30`)
/// opens a [`mock::ScriptedSource`] offering those modes and pacing its frames at the mode's
/// rate, instead of a device node. It is a test and benchmark seam (rekamd has no
/// `/dev/video` in CI): it needs this crate's `scripted` feature (rekamd's
/// `scripted-cameras`), and without it such a selector is refused.
pub fn open(
    family: DeviceFamily,
    id: DeviceId,
    selector: &DeviceSelector,
) -> Result<AnyDevice, CameraError> {
    let DeviceSelector::V4l2 { path } = selector else {
        return Err(CameraError::new(
            CameraErrorKind::InvalidInput,
            format!("{selector} is not a v4l2: selector"),
        ));
    };
    let setup: CameraSetup = path.parse()?;
    let role = match family {
        DeviceFamily::FaceCamera => Role::Face,
        DeviceFamily::IrisCamera => Role::Iris,
        other => {
            return Err(CameraError::new(
                CameraErrorKind::InvalidInput,
                format!("a v4l2: camera is a face or iris camera, not a {other}"),
            ))
        }
    };
    if let Some(spec) = setup.path.strip_prefix("scripted:") {
        let source = scripted_source(spec)?;
        return Ok(device(id, selector, role, setup.options, source));
    }
    let source = v4l2::V4l2Source::new(&setup.path);
    Ok(device(id, selector, role, setup.options, source))
}

fn device<S: source::FrameSource + 'static>(
    id: DeviceId,
    selector: &DeviceSelector,
    role: Role,
    options: CameraOptions,
    source: S,
) -> AnyDevice {
    let camera = V4l2Camera::new(id, selector.clone(), role, options, source);
    match role {
        Role::Face => AnyDevice::Face(Box::new(camera)),
        Role::Iris => AnyDevice::Iris(Box::new(camera)),
    }
}

#[cfg(feature = "scripted")]
fn scripted_source(spec: &str) -> Result<mock::ScriptedSource, CameraError> {
    let modes = mock::parse_modes(spec)?;
    Ok(mock::ScriptedSource::new(modes, Vec::new(), true).0)
}

#[cfg(not(feature = "scripted"))]
fn scripted_source(_spec: &str) -> Result<mock::ScriptedSource, CameraError> {
    Err(CameraError::new(
        CameraErrorKind::InvalidInput,
        "scripted: cameras are a test seam; build with the `scripted` feature \
         (rekamd: --features scripted-cameras)",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open_face(path: &str) -> Result<AnyDevice, CameraError> {
        open(
            DeviceFamily::FaceCamera,
            DeviceId::new("v4l2:face:0").unwrap(),
            &DeviceSelector::V4l2 { path: path.into() },
        )
    }

    #[cfg(feature = "scripted")]
    #[test]
    fn scripted_selectors_open_a_paced_camera() {
        let dev = open_face("scripted:yuyv-640x480@30?preview_frames=3").unwrap();
        let AnyDevice::Face(cam) = dev else {
            panic!("not a face camera")
        };
        let caps = cam.capabilities();
        assert_eq!((caps.width, caps.height, caps.preview_fps), (640, 480, 30));
        assert_eq!(caps.formats, vec!["YUYV".to_owned()]);
        assert!(open_face("scripted:h264-640x480@30").is_err());
    }

    #[cfg(not(feature = "scripted"))]
    #[test]
    fn scripted_selectors_are_refused_without_the_feature() {
        let e = open_face("scripted:yuyv-640x480@30").unwrap_err();
        assert_eq!(e.kind(), CameraErrorKind::InvalidInput);
        assert!(e.to_string().contains("scripted"), "{e}");
    }
}
