//! [`V4l2Camera`]: rekam-hal's [`FaceCamera`] or [`IrisCamera`] over a [`FrameSource`].
//!
//! A capture streams previews, then takes a still:
//! 1. Preview: the preview mode is started; a reader thread takes frames at the camera's
//!    rate and puts each in a [`LatestSlot`]; the capture thread takes the newest, makes a
//!    preview JPEG (the camera's own MJPEG bytes when they are small enough and carry their
//!    Huffman tables, else decoded, downscaled to the preview width and re-encoded) and hands
//!    it to the sink. A consumer slower than the camera gets fewer, newer frames: frames are
//!    dropped, never queued, so the preview never lags.
//! 2. Still: the stream is restarted in the still mode (the camera's largest size), a few
//!    frames are skipped while exposure settles, and the next one is the sample: for the face,
//!    a JPEG (the camera's own MJPEG when complete, else encoded at quality 92); for the iris,
//!    the grey frame cut into the two eyes.
//!
//! The camera is opened lazily (hot-pluggable, like the other real drivers); the reader
//! waits at most [`FRAME_WAIT`] per frame, so cancellation and the deadline are seen within
//! that time. Exposure and focus are set from the selector's options when the camera has
//! those controls; a control the camera lacks is skipped, not an error.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rekam_hal::{
    CameraCapabilities, CaptureSink, Control, Device, DeviceError, DeviceFamily, DeviceId,
    DeviceInfo, DeviceSelector, DeviceState, DeviceStatus, EncodedImage, Eye, EyeImage, FaceCamera,
    FaceCapture, FaceCaptureRequest, ImageCodec, IrisCamera, IrisCapture, IrisCaptureRequest,
    PreviewFrame, RawImage, Result, SelfTestCheck, SelfTestProgress, SelfTestReport,
};

use crate::convert;
use crate::error::{CameraError, CameraErrorKind};
use crate::format::{negotiate, FrameFormat, Negotiated, Role};
use crate::slot::{LatestSlot, Taken};
use crate::source::{ControlId, Frame, FrameSource};

/// Longest wait for one frame: the granularity of cancellation.
pub const FRAME_WAIT: Duration = Duration::from_millis(100);
/// Preview frames streamed before the still when the request says 0 and the selector does
/// not say `preview_frames`.
pub const DEFAULT_PREVIEW_FRAMES: u32 = 30;
/// Frames skipped after the still mode starts (auto exposure settling).
pub const SETTLE_FRAMES: u32 = 3;
/// JPEG quality of previews.
pub const PREVIEW_QUALITY: u8 = 75;
/// JPEG quality of a face still that had to be encoded.
pub const STILL_QUALITY: u8 = 92;
/// Still frames tried before a corrupt one fails the capture.
pub const STILL_TRIES: u32 = 3;
/// Damaged preview frames in a row that fail the capture (the camera is not sending
/// anything decodable).
pub const CORRUPT_LIMIT: u32 = 30;

/// A control setting from the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Setting {
    /// Leave the camera as it is.
    #[default]
    Unchanged,
    /// Automatic.
    Auto,
    /// This manual value.
    Manual(i64),
}

/// How a camera is set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CameraOptions {
    /// Previews are at most this wide.
    pub preview_width: u32,
    /// Exposure.
    pub exposure: Setting,
    /// Focus.
    pub focus: Setting,
    /// Preview frames streamed before the still when the request leaves it open (0).
    pub preview_frames: u32,
}

impl Default for CameraOptions {
    fn default() -> Self {
        CameraOptions {
            preview_width: 640,
            exposure: Setting::Unchanged,
            focus: Setting::Unchanged,
            preview_frames: DEFAULT_PREVIEW_FRAMES,
        }
    }
}

/// What one preview run did (logged, and read by the benchmark).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PreviewStats {
    /// Frames the camera delivered to the reader.
    pub read: u64,
    /// Frames dropped because the consumer was still busy with an older one.
    pub dropped: u64,
    /// Preview frames handed to the sink.
    pub delivered: u64,
    /// Of those, frames passed through as the camera's own JPEG.
    pub passed_through: u64,
    /// Frames skipped because they did not decode (cut short by the USB transfer).
    pub corrupt: u64,
}

/// A V4L2 camera as a station device (face or iris, by its role).
pub struct V4l2Camera<S: FrameSource> {
    info: DeviceInfo,
    role: Role,
    options: CameraOptions,
    source: S,
    negotiated: Option<Negotiated>,
    formats: Vec<String>,
    last_preview: PreviewStats,
}

impl<S: FrameSource> fmt::Debug for V4l2Camera<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("V4l2Camera")
            .field("id", &self.info.id)
            .field("role", &self.role)
            .field("negotiated", &self.negotiated)
            .finish()
    }
}

impl<S: FrameSource> V4l2Camera<S> {
    /// A camera with this id and role over `source`. Probes the source once (modes,
    /// controls) so its capabilities are known; an absent camera is probed again on use.
    pub fn new(
        id: DeviceId,
        selector: DeviceSelector,
        role: Role,
        options: CameraOptions,
        source: S,
    ) -> Self {
        let family = match role {
            Role::Face => DeviceFamily::FaceCamera,
            Role::Iris => DeviceFamily::IrisCamera,
        };
        let mut camera = V4l2Camera {
            info: DeviceInfo {
                id,
                family,
                driver: "v4l2".into(),
                selector,
                model: "V4L2 camera (not yet seen)".into(),
                serial: None,
                firmware: None,
                simulated: false,
            },
            role,
            options,
            source,
            negotiated: None,
            formats: Vec::new(),
            last_preview: PreviewStats::default(),
        };
        if let Err(e) = camera.probe() {
            tracing::info!(device = %camera.info.id, error = %e, "camera not probed yet");
        }
        camera
    }

    /// What the last preview did.
    pub fn last_preview(&self) -> PreviewStats {
        self.last_preview
    }

    /// The negotiated modes, once the camera was seen.
    pub fn negotiated(&self) -> Option<Negotiated> {
        self.negotiated
    }

    fn tag(&self, e: impl Into<DeviceError>) -> DeviceError {
        e.into().with_device(self.info.id.clone())
    }

    /// Reads modes and controls, negotiates, applies the control settings.
    fn probe(&mut self) -> std::result::Result<Negotiated, CameraError> {
        if let Some(n) = self.negotiated {
            return Ok(n);
        }
        let info = self.source.info()?;
        let modes = self.source.modes()?;
        let n = negotiate(&modes, self.role, self.options.preview_width).ok_or_else(|| {
            CameraError::new(
                CameraErrorKind::Unsupported,
                "the camera offers none of MJPG, YUYV, GREY",
            )
        })?;
        let mut formats: Vec<FrameFormat> = modes.iter().map(|m| m.format).collect();
        formats.sort();
        formats.dedup();
        self.formats = formats.iter().map(|f| f.name().to_owned()).collect();
        self.info.model = format!("{} ({}, {})", info.card, info.driver, info.bus);
        self.apply_controls()?;
        tracing::info!(device = %self.info.id, preview = %n.preview, still = %n.still, "camera negotiated");
        self.negotiated = Some(n);
        Ok(n)
    }

    fn apply_controls(&mut self) -> std::result::Result<(), CameraError> {
        let have = self.source.controls()?;
        let has = |id| have.iter().find(|c| c.id == id).copied();
        let set =
            |auto: ControlId, manual: ControlId, setting: Setting, auto_on: i64, auto_off: i64| {
                let mut todo = Vec::new();
                match setting {
                    Setting::Unchanged => {}
                    Setting::Auto => {
                        if has(auto).is_some() {
                            todo.push((auto, auto_on));
                        }
                    }
                    Setting::Manual(v) => {
                        if has(auto).is_some() {
                            todo.push((auto, auto_off));
                        }
                        if let Some(c) = has(manual) {
                            todo.push((manual, v.clamp(c.min, c.max)));
                        }
                    }
                }
                todo
            };
        // UVC: V4L2_EXPOSURE_MANUAL = 1, V4L2_EXPOSURE_APERTURE_PRIORITY = 3.
        let mut todo = set(
            ControlId::AutoExposure,
            ControlId::Exposure,
            self.options.exposure,
            3,
            1,
        );
        todo.extend(set(
            ControlId::AutoFocus,
            ControlId::Focus,
            self.options.focus,
            1,
            0,
        ));
        for (id, value) in todo {
            self.source.set_control(id, value)?;
        }
        Ok(())
    }

    /// After a failure: a gone camera is probed afresh on the next call.
    fn after_error(&mut self, e: &CameraError) {
        let _ = self.source.stop();
        if matches!(
            e.kind(),
            CameraErrorKind::Disconnected | CameraErrorKind::Access
        ) {
            self.negotiated = None;
        }
    }

    /// Streams previews to `sink` (step 1 of the module doc).
    fn preview(
        &mut self,
        n: &Negotiated,
        frames: u32,
        ctl: &Control,
        sink: &mut dyn CaptureSink,
    ) -> std::result::Result<(), CameraError> {
        self.source.start(&n.preview)?;
        let slot: LatestSlot<Frame, CameraError> = LatestSlot::new();
        let stop = AtomicBool::new(false);
        let source = &mut self.source;
        let preview_width = self.options.preview_width;
        let mut stats = PreviewStats::default();
        let outcome = std::thread::scope(|scope| {
            scope.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    match source.next_frame(FRAME_WAIT) {
                        Ok(frame) => slot.put(frame),
                        Err(e) if e.kind() == CameraErrorKind::Timeout => {}
                        Err(e) => {
                            slot.close(e);
                            break;
                        }
                    }
                }
            });
            let result = (|| {
                let mut corrupt_in_a_row = 0;
                while stats.delivered < u64::from(frames) {
                    ctl.check()?;
                    let wait = FRAME_WAIT
                        .min(ctl.remaining())
                        .max(Duration::from_millis(1));
                    match slot.take(wait) {
                        Taken::Item(frame) => {
                            match preview_frame(&frame, stats.delivered, preview_width) {
                                Ok((preview, passed)) => {
                                    corrupt_in_a_row = 0;
                                    stats.passed_through += u64::from(passed);
                                    sink.preview(preview);
                                    stats.delivered += 1;
                                }
                                // A damaged frame is skipped; the next one comes soon.
                                Err(e)
                                    if e.kind() == CameraErrorKind::Decode
                                        && corrupt_in_a_row + 1 < CORRUPT_LIMIT =>
                                {
                                    corrupt_in_a_row += 1;
                                    stats.corrupt += 1;
                                }
                                Err(e) => return Err(e),
                            }
                        }
                        Taken::Empty => {}
                        Taken::Closed(e) => return Err(e),
                    }
                }
                Ok(())
            })();
            stop.store(true, Ordering::Relaxed);
            result
        });
        let (read, dropped) = slot.counts();
        stats.read = read;
        stats.dropped = dropped;
        self.last_preview = stats;
        tracing::debug!(device = %self.info.id, ?stats, "preview done");
        self.source.stop()?;
        outcome
    }

    /// Takes the still (step 2 of the module doc): `finish` turns the frame into the sample;
    /// a frame that does not decode is replaced by the next, [`STILL_TRIES`] times.
    fn still<T>(
        &mut self,
        n: &Negotiated,
        ctl: &Control,
        mut finish: impl FnMut(&Frame) -> std::result::Result<T, CameraError>,
    ) -> std::result::Result<T, CameraError> {
        self.source.start(&n.still)?;
        let mut skipped = 0;
        let mut bad = 0;
        let sample = loop {
            ctl.check()?;
            let wait = FRAME_WAIT
                .min(ctl.remaining())
                .max(Duration::from_millis(1));
            match self.source.next_frame(wait) {
                Ok(_) if skipped < SETTLE_FRAMES => skipped += 1,
                Ok(frame) => match finish(&frame) {
                    Ok(sample) => break sample,
                    Err(e) if e.kind() == CameraErrorKind::Decode && bad + 1 < STILL_TRIES => {
                        bad += 1;
                    }
                    Err(e) => return Err(e),
                },
                Err(e) if e.kind() == CameraErrorKind::Timeout => {}
                Err(e) => return Err(e),
            }
        };
        self.source.stop()?;
        Ok(sample)
    }

    fn run<T>(
        &mut self,
        previews: u32,
        ctl: &Control,
        sink: &mut dyn CaptureSink,
        finish: impl FnMut(&Frame) -> std::result::Result<T, CameraError>,
    ) -> Result<T> {
        let result = (|| {
            ctl.check()?;
            let n = self.probe()?;
            if previews > 0 {
                self.preview(&n, previews, ctl, sink)?;
            }
            self.still(&n, ctl, finish)
        })();
        result.map_err(|e| {
            self.after_error(&e);
            self.tag(e)
        })
    }

    fn camera_capabilities(&self) -> CameraCapabilities {
        match self.negotiated {
            Some(n) => CameraCapabilities {
                preview_fps: n.preview.fps,
                width: n.still.width,
                height: n.still.height,
                formats: self.formats.clone(),
            },
            None => CameraCapabilities {
                preview_fps: 0,
                width: 0,
                height: 0,
                formats: Vec::new(),
            },
        }
    }
}

/// A preview frame from a camera frame: the camera's JPEG (with the standard Huffman tables
/// put in when it left them out) when it fits the preview width; else decoded, fitted and
/// encoded. Returns whether it passed through. A damaged frame is a `Decode` error.
pub fn preview_frame(
    frame: &Frame,
    seq: u64,
    max_width: u32,
) -> std::result::Result<(PreviewFrame, bool), CameraError> {
    if frame.format == FrameFormat::Mjpeg && frame.width <= max_width {
        if !convert::is_complete_jpeg(&frame.data) {
            return Err(CameraError::decode("an MJPEG frame is cut short"));
        }
        if let Some((width, height)) = convert::jpeg_size(&frame.data) {
            return Ok((
                PreviewFrame {
                    seq,
                    width,
                    height,
                    jpeg: convert::with_huffman_tables(&frame.data).into_owned(),
                },
                true,
            ));
        }
    }
    let img = convert::fit_width(convert::to_colour(frame)?, max_width);
    let jpeg = convert::encode_jpeg(&img, PREVIEW_QUALITY)?;
    Ok((
        PreviewFrame {
            seq,
            width: img.width,
            height: img.height,
            jpeg,
        },
        false,
    ))
}

/// The face sample from a still frame: the camera's own JPEG (checked whole by decoding it,
/// with the standard Huffman tables put in when it left them out), else an encoded one.
pub fn face_still(frame: &Frame) -> std::result::Result<EncodedImage, CameraError> {
    if frame.format == FrameFormat::Mjpeg {
        let img = convert::decode_jpeg(&frame.data)?;
        return Ok(EncodedImage {
            codec: ImageCodec::Jpeg,
            width: img.width,
            height: img.height,
            bytes: convert::with_huffman_tables(&frame.data).into_owned(),
        });
    }
    let img = convert::to_colour(frame)?;
    Ok(EncodedImage {
        codec: ImageCodec::Jpeg,
        width: img.width,
        height: img.height,
        bytes: convert::encode_jpeg(&img, STILL_QUALITY)?,
    })
}

/// The eyes from a binocular grey still: the camera faces the person, so the person's right
/// eye is in the left half of the frame and the left eye in the right half.
pub fn split_eyes(grey: &RawImage, eyes: &[Eye]) -> Vec<(Eye, RawImage)> {
    let half = grey.width / 2;
    let cut = |x0: u32| -> Option<RawImage> {
        let mut data = Vec::with_capacity((half * grey.height) as usize);
        for row in grey.data.chunks_exact(grey.width as usize) {
            data.extend_from_slice(&row[x0 as usize..(x0 + half) as usize]);
        }
        RawImage::gray(half, grey.height, grey.ppi, data)
    };
    eyes.iter()
        .filter_map(|eye| {
            let x0 = match eye {
                Eye::Right => 0,
                Eye::Left => half,
            };
            cut(x0).map(|img| (*eye, img))
        })
        .collect()
}

impl<S: FrameSource> Device for V4l2Camera<S> {
    fn info(&self) -> &DeviceInfo {
        &self.info
    }

    fn status(&mut self, ctl: &Control) -> Result<DeviceStatus> {
        ctl.check()?;
        if self.negotiated.is_some() {
            // Still there? QUERYCAP is cheap and fails once the camera is gone.
            if let Err(e) = self.source.info() {
                self.after_error(&e);
            }
        }
        Ok(match self.probe() {
            Ok(_) => DeviceStatus::ready(),
            Err(e) => match e.kind() {
                CameraErrorKind::Disconnected => DeviceStatus::with_state(
                    DeviceState::Disconnected,
                    "the camera is not plugged in",
                ),
                CameraErrorKind::Access => DeviceStatus::with_state(
                    DeviceState::PermissionDenied,
                    "the camera's device node refuses this user (udev rule missing)",
                ),
                _ => DeviceStatus::with_state(DeviceState::Error, e.message().to_owned()),
            },
        })
    }

    fn self_test(
        &mut self,
        ctl: &Control,
        progress: &mut dyn FnMut(SelfTestProgress),
    ) -> Result<SelfTestReport> {
        let mut checks = Vec::new();
        progress(SelfTestProgress {
            step: "formats".into(),
            fraction: 0.0,
        });
        let start = std::time::Instant::now();
        let probed = self.probe();
        checks.push(SelfTestCheck {
            name: "camera offers a decodable format".into(),
            passed: probed.is_ok(),
            detail: match &probed {
                Ok(n) => format!("preview {}, still {}", n.preview, n.still),
                Err(e) => e.to_string(),
            },
            took: start.elapsed(),
        });
        if let Ok(n) = probed {
            progress(SelfTestProgress {
                step: "frame".into(),
                fraction: 0.5,
            });
            let start = std::time::Instant::now();
            let role = self.role;
            let got = self.still(&n, ctl, |f| match role {
                Role::Face => convert::to_colour(f),
                Role::Iris => convert::to_grey(f),
            });
            if let Err(e) = &got {
                self.after_error(e);
            }
            checks.push(SelfTestCheck {
                name: "a full-size frame decodes".into(),
                passed: got.is_ok(),
                detail: match got {
                    Ok(img) => format!("{}x{}", img.width, img.height),
                    Err(e) => e.to_string(),
                },
                took: start.elapsed(),
            });
        }
        Ok(SelfTestReport::from_checks(self.info.id.clone(), checks))
    }

    fn recover(&mut self, ctl: &Control) -> Result<()> {
        ctl.check()?;
        let _ = self.source.stop();
        Ok(())
    }
}

impl<S: FrameSource> FaceCamera for V4l2Camera<S> {
    fn capabilities(&self) -> CameraCapabilities {
        self.camera_capabilities()
    }

    fn capture(
        &mut self,
        req: &FaceCaptureRequest,
        ctl: &Control,
        sink: &mut dyn CaptureSink,
    ) -> Result<FaceCapture> {
        let previews = match req.max_preview_frames {
            0 => self.options.preview_frames,
            n => n,
        };
        let image = self.run(previews, ctl, sink, face_still)?;
        Ok(FaceCapture {
            image,
            quality: None,
            guidance: Vec::new(),
            sim_identity: None,
        })
    }
}

impl<S: FrameSource> IrisCamera for V4l2Camera<S> {
    fn capabilities(&self) -> CameraCapabilities {
        self.camera_capabilities()
    }

    fn capture(
        &mut self,
        req: &IrisCaptureRequest,
        ctl: &Control,
        sink: &mut dyn CaptureSink,
    ) -> Result<IrisCapture> {
        let eyes = req.eyes.clone();
        let images = self.run(self.options.preview_frames, ctl, sink, |frame| {
            Ok(split_eyes(&convert::to_grey(frame)?, &eyes))
        })?;
        Ok(IrisCapture {
            eyes: images
                .into_iter()
                .map(|(eye, image)| EyeImage {
                    eye,
                    image,
                    quality: None,
                    sim_identity: None,
                })
                .collect(),
            guidance: Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::{FrameFormat::*, Mode};
    use crate::mock::{ScriptedSource, SourceHandle};
    use crate::source::ControlInfo;
    use rekam_hal::{ErrorKind, NullSink};

    fn m(format: FrameFormat, width: u32, height: u32, fps: u32) -> Mode {
        Mode {
            format,
            width,
            height,
            fps,
        }
    }

    fn camera(
        role: Role,
        modes: Vec<Mode>,
        controls: Vec<ControlInfo>,
        options: CameraOptions,
    ) -> (V4l2Camera<ScriptedSource>, SourceHandle) {
        let (source, handle) = ScriptedSource::new(modes, controls, true);
        let cam = V4l2Camera::new(
            DeviceId::new("v4l2:face:0").unwrap(),
            DeviceSelector::V4l2 {
                path: "/dev/video0".into(),
            },
            role,
            options,
            source,
        );
        (cam, handle)
    }

    #[derive(Default)]
    struct Collect {
        frames: Vec<PreviewFrame>,
        delay: Duration,
    }

    impl CaptureSink for Collect {
        fn preview(&mut self, frame: PreviewFrame) {
            std::thread::sleep(self.delay);
            self.frames.push(frame);
        }
    }

    #[test]
    fn a_face_capture_previews_mjpeg_then_takes_the_full_size_still() {
        let modes = vec![
            m(Yuyv, 640, 480, 30),
            m(Mjpeg, 640, 360, 30),
            m(Mjpeg, 1280, 720, 15),
        ];
        let (mut cam, h) = camera(Role::Face, modes, vec![], CameraOptions::default());
        let caps = FaceCamera::capabilities(&cam);
        assert_eq!((caps.width, caps.height, caps.preview_fps), (1280, 720, 30));
        assert_eq!(caps.formats, vec!["MJPG".to_owned(), "YUYV".to_owned()]);
        let mut sink = Collect::default();
        let ctl = Control::with_timeout(Duration::from_secs(20));
        let req = FaceCaptureRequest {
            subject: None,
            max_preview_frames: 5,
        };
        let cap = FaceCamera::capture(&mut cam, &req, &ctl, &mut sink).unwrap();
        assert_eq!(
            h.started(),
            vec![m(Mjpeg, 640, 360, 30), m(Mjpeg, 1280, 720, 15)]
        );
        assert_eq!(h.stops(), 2);
        assert_eq!(sink.frames.len(), 5);
        assert!(sink
            .frames
            .iter()
            .all(|f| (f.width, f.height) == (640, 360)));
        assert_eq!(
            sink.frames.iter().map(|f| f.seq).collect::<Vec<_>>(),
            vec![0, 1, 2, 3, 4]
        );
        assert_eq!(cam.last_preview().passed_through, 5);
        assert_eq!((cap.image.width, cap.image.height), (1280, 720));
        assert_eq!(convert::jpeg_size(&cap.image.bytes), Some((1280, 720)));
    }

    #[test]
    fn a_slow_client_gets_fewer_newer_frames_not_a_backlog() {
        let modes = vec![m(Yuyv, 320, 240, 60)];
        let (mut cam, _h) = camera(Role::Face, modes, vec![], CameraOptions::default());
        let mut sink = Collect {
            delay: Duration::from_millis(50),
            ..Collect::default()
        };
        let ctl = Control::with_timeout(Duration::from_secs(30));
        let req = FaceCaptureRequest {
            subject: None,
            max_preview_frames: 8,
        };
        FaceCamera::capture(&mut cam, &req, &ctl, &mut sink).unwrap();
        let stats = cam.last_preview();
        assert_eq!(stats.delivered, 8);
        assert!(stats.dropped >= 8, "{stats:?}");
        assert_eq!(stats.passed_through, 0, "YUYV is always encoded");
        assert!(sink
            .frames
            .iter()
            .all(|f| f.width == 320 && !f.jpeg.is_empty()));
    }

    #[test]
    fn an_iris_capture_takes_grey_and_cuts_both_eyes() {
        let modes = vec![
            m(Mjpeg, 1280, 720, 30),
            m(Grey, 640, 240, 30),
            m(Grey, 1280, 480, 15),
        ];
        let (mut cam, h) = camera(Role::Iris, modes, vec![], CameraOptions::default());
        let ctl = Control::with_timeout(Duration::from_secs(20));
        let req = IrisCaptureRequest {
            eyes: vec![Eye::Right, Eye::Left],
            subject: None,
        };
        let mut sink = Collect::default();
        let cap = IrisCamera::capture(&mut cam, &req, &ctl, &mut sink).unwrap();
        assert_eq!(h.started()[1], m(Grey, 1280, 480, 15));
        assert_eq!(cap.eyes.len(), 2);
        // Side by side again, the eyes are one of the frames the camera sent.
        let (right, left) = (&cap.eyes[0].image, &cap.eyes[1].image);
        assert_eq!((right.width, right.height), (640, 480));
        let mut joined = Vec::new();
        for (r, l) in right
            .data
            .chunks_exact(640)
            .zip(left.data.chunks_exact(640))
        {
            joined.extend_from_slice(r);
            joined.extend_from_slice(l);
        }
        let sent: Vec<Vec<u8>> = (0..3)
            .map(|i| crate::testframes::frame(Grey, 1280, 480, i * 7).data)
            .collect();
        assert!(
            sent.contains(&joined),
            "the eyes are the halves of a sent frame"
        );
        assert_eq!(cap.eyes[0].eye, Eye::Right);
        assert_eq!(sink.frames.len() as u32, DEFAULT_PREVIEW_FRAMES);
    }

    #[test]
    fn split_eyes_takes_the_halves_the_camera_sees() {
        let (w, h) = (8u32, 2u32);
        let data: Vec<u8> = (0..w * h).map(|i| i as u8).collect();
        let img = RawImage::gray(w, h, None, data).unwrap();
        let eyes = split_eyes(&img, &[Eye::Left, Eye::Right]);
        assert_eq!(eyes[0].0, Eye::Left);
        assert_eq!(eyes[0].1.data, vec![4, 5, 6, 7, 12, 13, 14, 15]);
        assert_eq!(eyes[1].1.data, vec![0, 1, 2, 3, 8, 9, 10, 11]);
        assert_eq!(split_eyes(&img, &[Eye::Right]).len(), 1);
    }

    #[test]
    fn controls_are_set_when_the_camera_has_them_and_clamped() {
        let c = |id, min, max| ControlInfo {
            id,
            min,
            max,
            default: min,
        };
        let options = CameraOptions {
            exposure: Setting::Manual(99_999),
            focus: Setting::Auto,
            ..CameraOptions::default()
        };
        let (_cam, h) = camera(
            Role::Iris,
            vec![m(Grey, 640, 480, 30)],
            vec![
                c(ControlId::AutoExposure, 0, 3),
                c(ControlId::Exposure, 1, 5000),
            ],
            options,
        );
        let set = h.controls_set();
        assert_eq!(set.get(&ControlId::AutoExposure), Some(&1));
        assert_eq!(set.get(&ControlId::Exposure), Some(&5000));
        assert!(
            !set.contains_key(&ControlId::AutoFocus),
            "the camera has no focus"
        );
    }

    #[test]
    fn unplug_corrupt_frames_cancel_and_deadline_have_their_kinds() {
        let modes = vec![m(Mjpeg, 320, 240, 30)];
        let (mut cam, h) = camera(Role::Face, modes, vec![], CameraOptions::default());
        let req = FaceCaptureRequest {
            subject: None,
            max_preview_frames: 50,
        };
        // Unplugged during the preview.
        h.unplug_after(3);
        let ctl = Control::with_timeout(Duration::from_secs(20));
        let e = FaceCamera::capture(&mut cam, &req, &ctl, &mut NullSink).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Disconnected);
        assert_eq!(cam.status(&ctl).unwrap().state, DeviceState::Disconnected);
        // Back: works again.
        h.set_absent(false);
        assert_eq!(cam.status(&ctl).unwrap().state, DeviceState::Ready);
        // A frame cut short in the preview is skipped.
        h.corrupt_next(1);
        FaceCamera::capture(&mut cam, &req, &ctl, &mut NullSink).unwrap();
        assert_eq!(cam.last_preview().corrupt, 1);
        assert_eq!(cam.last_preview().delivered, 50);
        // Frames that never decode fail the preview, then the still, with a protocol error.
        h.corrupt_next(1000);
        let ctl = Control::with_timeout(Duration::from_secs(20));
        let e = FaceCamera::capture(&mut cam, &req, &ctl, &mut NullSink).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Protocol);
        let still_only = FaceCaptureRequest {
            subject: None,
            max_preview_frames: 1,
        };
        h.corrupt_next(0);
        FaceCamera::capture(&mut cam, &still_only, &ctl, &mut NullSink).unwrap();
        // The preview frame passes, then every still frame is damaged.
        let (mut cam2, h2) = camera(
            Role::Face,
            vec![m(Mjpeg, 320, 240, 30)],
            vec![],
            CameraOptions::default(),
        );
        let e = {
            // One good preview frame, then damage from the still on.
            let mut sink = CorruptAfterFirst { handle: h2.clone() };
            FaceCamera::capture(&mut cam2, &still_only, &ctl, &mut sink).unwrap_err()
        };
        assert_eq!(e.kind(), ErrorKind::Protocol);
        // Cancelled while previewing.
        let ctl = Control::with_timeout(Duration::from_secs(20));
        let token = ctl.token().clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            token.cancel();
        });
        let req_long = FaceCaptureRequest {
            subject: None,
            max_preview_frames: 100_000,
        };
        let e = FaceCamera::capture(&mut cam, &req_long, &ctl, &mut NullSink).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Cancelled);
        let ctl = Control::with_timeout(Duration::from_millis(200));
        let e = FaceCamera::capture(&mut cam, &req_long, &ctl, &mut NullSink).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Timeout);
        assert!(cam
            .recover(&Control::with_timeout(Duration::from_secs(1)))
            .is_ok());
    }

    /// Damages every frame from the first preview on.
    struct CorruptAfterFirst {
        handle: SourceHandle,
    }

    impl CaptureSink for CorruptAfterFirst {
        fn preview(&mut self, _frame: PreviewFrame) {
            self.handle.corrupt_next(1000);
        }
    }

    #[test]
    fn the_self_test_decodes_a_full_size_frame() {
        let (mut cam, _h) = camera(
            Role::Face,
            vec![m(Yuyv, 320, 240, 30)],
            vec![],
            CameraOptions::default(),
        );
        let r = cam
            .self_test(&Control::with_timeout(Duration::from_secs(10)), &mut |_| {})
            .unwrap();
        assert!(r.passed, "{r:?}");
        assert_eq!(r.checks[1].detail, "320x240");
    }
}
