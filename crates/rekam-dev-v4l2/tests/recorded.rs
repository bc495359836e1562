//! Recorded frames at the frame-source seam: MJPEG (with and without Huffman tables), YUYV and
//! GREY frames made by ffmpeg (an implementation independent of ours; see
//! `fixtures/make.sh`), decoded by our conversion path and by the camera driver over a
//! replaying [`FrameSource`], and compared with ffmpeg's own decode of the same frames.
//!
//! The tolerances are set just above the differences measured when the fixtures were made
//! (each test prints its measurement; run with `--nocapture` to see them). Differences come
//! from rounding in the colour matrix (YUYV) and from the JPEG decoders' IDCT and chroma
//! upsampling (MJPEG: libavcodec + swscale against zune-jpeg).
// Test helpers outside `#[test]` functions panic on purpose (a failed test).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rekam_dev_v4l2::camera::{self, CameraOptions, V4l2Camera};
use rekam_dev_v4l2::convert;
use rekam_dev_v4l2::format::{FrameFormat, Mode, Role};
use rekam_dev_v4l2::source::{ControlId, ControlInfo, Frame, FrameSource, SourceInfo};
use rekam_dev_v4l2::{CameraError, CameraErrorKind};
use rekam_hal::{
    CaptureSink, Control, DeviceId, DeviceSelector, ErrorKind, Eye, FaceCamera, FaceCaptureRequest,
    IrisCamera, IrisCaptureRequest, PixelFormat, PreviewFrame, RawImage,
};

const W: u32 = 640;
const H: u32 = 480;

// ---------------------------------------------------------------------------------------
// Tolerances (absolute difference per 8-bit sample), measured against ffmpeg 5.1.

/// YUYV to RGB: ours rounds the BT.601 limited-range matrix in 16.16 fixed point, swscale
/// (with `accurate_rnd`) in its own fixed point; measured max 1, mean 0.0032 (0 samples off
/// by more than 1).
const YUYV_RGB_MAX: u32 = 2;
/// Mean of the above.
const YUYV_RGB_MEAN: f64 = 0.01;
/// YUYV to grey (luma expanded to full range): measured max 1, mean 0.0029.
const YUYV_GREY_MAX: u32 = 2;
/// Mean of the above.
const YUYV_GREY_MEAN: f64 = 0.01;
/// MJPEG to RGB: the IDCTs (zune-jpeg against libavcodec's) and the upsampling of 4:2:2
/// chroma (both interpolating; see fixtures/make.sh) round differently: measured max 3, mean
/// 0.0529, 32 of 921600 samples off by more than 2.
const MJPEG_RGB_MAX: u32 = 4;
/// Mean of the above.
const MJPEG_RGB_MEAN: f64 = 0.07;

// ---------------------------------------------------------------------------------------
// Fixtures.

fn fixture(name: &str) -> Vec<u8> {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "fixtures", name]
        .iter()
        .collect();
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "fixture {} is missing ({e}); make it with fixtures/make.sh",
            path.display()
        )
    })
}

fn png(name: &str) -> image::DynamicImage {
    image::load_from_memory_with_format(&fixture(name), image::ImageFormat::Png)
        .unwrap_or_else(|e| panic!("{name} is not a PNG: {e}"))
}

/// An 8-bit grey PNG's pixels (a stored raw frame, or ffmpeg's grey decode).
fn png_grey(name: &str) -> RawImage {
    let image::DynamicImage::ImageLuma8(g) = png(name) else {
        panic!("{name} is not an 8-bit grey PNG")
    };
    let (w, h) = g.dimensions();
    RawImage::gray(w, h, None, g.into_raw()).expect("consistent grey image")
}

/// An RGB PNG's pixels (ffmpeg's rgb24 decode).
fn png_rgb(name: &str) -> RawImage {
    let image::DynamicImage::ImageRgb8(c) = png(name) else {
        panic!("{name} is not an 8-bit RGB PNG")
    };
    let (w, h) = c.dimensions();
    RawImage::rgb(w, h, c.into_raw()).expect("consistent RGB image")
}

/// The recorded YUYV frame: its bytes are the pixels of `yuyv.png` (1280x480 grey).
fn yuyv_bytes() -> Vec<u8> {
    let raw = png_grey("yuyv.png");
    assert_eq!((raw.width, raw.height), (2 * W, H));
    raw.data
}

fn grey_bytes() -> Vec<u8> {
    let raw = png_grey("grey.png");
    assert_eq!((raw.width, raw.height), (W, H));
    raw.data
}

fn frame(format: FrameFormat, data: Vec<u8>) -> Frame {
    Frame {
        format,
        width: W,
        height: H,
        data,
        seq: 0,
    }
}

/// Max and mean absolute difference of two images of the same size and format.
fn diff(what: &str, got: &RawImage, want: &RawImage) -> (u32, f64) {
    assert_eq!(
        (got.width, got.height, got.format),
        (want.width, want.height, want.format),
        "{what}: size or format"
    );
    assert_eq!(got.data.len(), want.data.len(), "{what}: data length");
    let mut max = 0u32;
    let mut sum = 0u64;
    for (a, b) in got.data.iter().zip(&want.data) {
        let d = u32::from(a.abs_diff(*b));
        max = max.max(d);
        sum += u64::from(d);
    }
    let mean = sum as f64 / got.data.len() as f64;
    let over2 = got
        .data
        .iter()
        .zip(&want.data)
        .filter(|(a, b)| a.abs_diff(**b) > 2)
        .count();
    eprintln!(
        "{what}: max |diff| {max}, mean {mean:.4}, samples off by more than 2: {over2} of {}",
        got.data.len()
    );
    (max, mean)
}

fn assert_close(what: &str, got: &RawImage, want: &RawImage, max_tol: u32, mean_tol: f64) {
    let (max, mean) = diff(what, got, want);
    assert!(
        max <= max_tol && mean <= mean_tol,
        "{what}: max {max} (tolerance {max_tol}), mean {mean:.4} (tolerance {mean_tol})"
    );
}

// ---------------------------------------------------------------------------------------
// The conversion path, frame by frame.

#[test]
fn recorded_mjpeg_frame_decodes_like_ffmpeg() {
    let jpeg = fixture("mjpeg.jpg");
    assert!(convert::has_huffman_tables(&jpeg));
    assert_eq!(convert::jpeg_size(&jpeg), Some((W, H)));
    let got = convert::to_colour(&frame(FrameFormat::Mjpeg, jpeg)).unwrap();
    assert_close(
        "MJPEG (own tables) vs ffmpeg",
        &got,
        &png_rgb("mjpeg.rgb.png"),
        MJPEG_RGB_MAX,
        MJPEG_RGB_MEAN,
    );
}

#[test]
fn recorded_mjpeg_frame_without_huffman_tables_decodes_like_ffmpeg() {
    let jpeg = fixture("mjpeg-nodht.jpg");
    assert!(
        !convert::has_huffman_tables(&jpeg),
        "the fixture must lack its DHT segments, as a UVC camera's frame does"
    );
    assert!(convert::has_huffman_tables(&convert::with_huffman_tables(
        &jpeg
    )));
    let got = convert::to_colour(&frame(FrameFormat::Mjpeg, jpeg)).unwrap();
    assert_close(
        "MJPEG (no tables) vs ffmpeg",
        &got,
        &png_rgb("mjpeg-nodht.rgb.png"),
        MJPEG_RGB_MAX,
        MJPEG_RGB_MEAN,
    );
}

#[test]
fn recorded_yuyv_frame_converts_like_ffmpeg() {
    let f = frame(FrameFormat::Yuyv, yuyv_bytes());
    assert_close(
        "YUYV to RGB vs ffmpeg",
        &convert::to_colour(&f).unwrap(),
        &png_rgb("yuyv.rgb.png"),
        YUYV_RGB_MAX,
        YUYV_RGB_MEAN,
    );
    assert_close(
        "YUYV to grey vs ffmpeg",
        &convert::to_grey(&f).unwrap(),
        &png_grey("yuyv.grey.png"),
        YUYV_GREY_MAX,
        YUYV_GREY_MEAN,
    );
}

#[test]
fn recorded_grey_frame_is_taken_exactly() {
    let f = frame(FrameFormat::Grey, grey_bytes());
    let want = png_grey("grey.png");
    assert_eq!(convert::to_grey(&f).unwrap(), want);
    assert_eq!(convert::to_colour(&f).unwrap(), want);
}

// ---------------------------------------------------------------------------------------
// Corrupted recordings give the driver's typed error.

fn assert_decode_error<T: std::fmt::Debug>(what: &str, r: Result<T, CameraError>) {
    match r {
        Err(e) => assert_eq!(e.kind(), CameraErrorKind::Decode, "{what}: {e}"),
        Ok(v) => panic!("{what}: decoded a corrupt frame: {v:?}"),
    }
}

#[test]
fn truncated_or_short_recorded_frames_are_decode_errors() {
    for name in ["mjpeg.jpg", "mjpeg-nodht.jpg"] {
        let jpeg = fixture(name);
        for cut in [jpeg.len() / 3, jpeg.len() - 2] {
            let f = frame(FrameFormat::Mjpeg, jpeg[..cut].to_vec());
            let what = format!("{name} cut to {cut} bytes");
            assert_decode_error(&what, convert::to_colour(&f));
            assert_decode_error(&what, convert::to_grey(&f));
            assert_decode_error(&what, convert::decode_jpeg(&f.data));
            assert_decode_error(&what, camera::preview_frame(&f, 0, W));
            assert_decode_error(&what, camera::face_still(&f));
        }
    }
    let mut yuyv = yuyv_bytes();
    yuyv.truncate(yuyv.len() - 1);
    let f = frame(FrameFormat::Yuyv, yuyv);
    assert_decode_error("short YUYV", convert::to_colour(&f));
    assert_decode_error("short YUYV", convert::to_grey(&f));
    assert_decode_error("short YUYV", camera::preview_frame(&f, 0, W));
    let mut grey = grey_bytes();
    grey.truncate(W as usize * (H as usize - 1));
    let f = frame(FrameFormat::Grey, grey);
    assert_decode_error("short GREY", convert::to_grey(&f));
    assert_decode_error("short GREY", camera::face_still(&f));
}

// ---------------------------------------------------------------------------------------
// The driver over a source replaying the recorded frames.

/// A camera replaying recorded frames in one mode (640x480 at 30 fps), frame after frame;
/// the frames for which `corrupt` says so (numbered from 1) arrive cut to a third, as a frame cut short by
/// the USB transfer. Not paced: the driver drops what it cannot take.
struct Replay {
    mode: Mode,
    data: Vec<u8>,
    corrupt: fn(u64) -> bool,
    streaming: bool,
    seq: u64,
    delivered: Arc<AtomicU64>,
}

impl Replay {
    fn new(format: FrameFormat, data: Vec<u8>, corrupt: fn(u64) -> bool) -> (Self, Arc<AtomicU64>) {
        let delivered = Arc::new(AtomicU64::new(0));
        let replay = Replay {
            mode: Mode {
                format,
                width: W,
                height: H,
                fps: 30,
            },
            data,
            corrupt,
            streaming: false,
            seq: 0,
            delivered: delivered.clone(),
        };
        (replay, delivered)
    }
}

impl FrameSource for Replay {
    fn info(&mut self) -> Result<SourceInfo, CameraError> {
        Ok(SourceInfo {
            card: "recorded frames (ffmpeg testsrc2)".into(),
            driver: "replay".into(),
            bus: "test".into(),
        })
    }

    fn modes(&mut self) -> Result<Vec<Mode>, CameraError> {
        Ok(vec![self.mode])
    }

    fn start(&mut self, mode: &Mode) -> Result<Mode, CameraError> {
        assert_eq!(*mode, self.mode, "the driver asked for a mode not offered");
        self.streaming = true;
        Ok(self.mode)
    }

    fn next_frame(&mut self, _timeout: Duration) -> Result<Frame, CameraError> {
        if !self.streaming {
            return Err(CameraError::new(CameraErrorKind::Io, "not streaming"));
        }
        // A little time per frame, so the reader thread does not spin.
        std::thread::sleep(Duration::from_millis(2));
        self.seq += 1;
        let mut data = self.data.clone();
        if (self.corrupt)(self.seq) {
            data.truncate(data.len() / 3);
        }
        self.delivered.fetch_add(1, Ordering::Relaxed);
        Ok(Frame {
            format: self.mode.format,
            width: W,
            height: H,
            data,
            seq: self.seq,
        })
    }

    fn stop(&mut self) -> Result<(), CameraError> {
        self.streaming = false;
        Ok(())
    }

    fn controls(&mut self) -> Result<Vec<ControlInfo>, CameraError> {
        Ok(Vec::new())
    }

    fn set_control(&mut self, _id: ControlId, _value: i64) -> Result<(), CameraError> {
        Err(CameraError::new(
            CameraErrorKind::Unsupported,
            "no controls",
        ))
    }
}

fn never(_: u64) -> bool {
    false
}

fn camera_over(role: Role, source: Replay, preview_frames: u32) -> V4l2Camera<Replay> {
    V4l2Camera::new(
        DeviceId::new("v4l2:face:0").expect("valid id"),
        DeviceSelector::V4l2 {
            path: "/dev/video-recorded".into(),
        },
        role,
        CameraOptions {
            preview_frames,
            ..CameraOptions::default()
        },
        source,
    )
}

#[derive(Default)]
struct Collect(Vec<PreviewFrame>);

impl CaptureSink for Collect {
    fn preview(&mut self, frame: PreviewFrame) {
        self.0.push(frame);
    }
}

fn ctl() -> Control {
    Control::with_timeout(Duration::from_secs(30))
}

fn face_capture(
    format: FrameFormat,
    data: Vec<u8>,
    corrupt: fn(u64) -> bool,
) -> (Collect, Vec<u8>) {
    let (source, _) = Replay::new(format, data, corrupt);
    let mut cam = camera_over(Role::Face, source, 3);
    let mut sink = Collect::default();
    let req = FaceCaptureRequest {
        subject: None,
        max_preview_frames: 3,
    };
    let cap = FaceCamera::capture(&mut cam, &req, &ctl(), &mut sink).expect("face capture");
    assert_eq!((cap.image.width, cap.image.height), (W, H));
    (sink, cap.image.bytes)
}

#[test]
fn a_face_camera_sending_recorded_mjpeg_previews_and_stills_what_ffmpeg_decodes() {
    for (name, want) in [
        ("mjpeg.jpg", "mjpeg.rgb.png"),
        ("mjpeg-nodht.jpg", "mjpeg-nodht.rgb.png"),
    ] {
        let jpeg = fixture(name);
        let want = png_rgb(want);
        let (previews, still) = face_capture(FrameFormat::Mjpeg, jpeg.clone(), never);
        assert_eq!(previews.0.len(), 3);
        // A 640-wide camera JPEG passes through as the preview (tables put in when absent),
        // and is the face sample as it is: the client gets the camera's own coefficients.
        let whole = convert::with_huffman_tables(&jpeg).into_owned();
        for p in &previews.0 {
            assert_eq!((p.width, p.height), (W, H));
            assert_eq!(p.jpeg, whole, "{name}: preview is the camera's JPEG");
        }
        assert_eq!(still, whole, "{name}: still is the camera's JPEG");
        // What a client decodes from it is what ffmpeg decodes from the recording.
        let decoded = convert::decode_jpeg(&still).unwrap();
        assert_close(
            &format!("{name} face still vs ffmpeg"),
            &decoded,
            &want,
            MJPEG_RGB_MAX,
            MJPEG_RGB_MEAN,
        );
    }
}

/// A face still from YUYV is re-encoded as JPEG (quality 92): the decoded still is compared
/// with ffmpeg's YUYV decode with the JPEG loss on top: measured max 30 (at the sharp edges of
/// the test picture's text), mean 0.41.
const YUYV_STILL_MAX: u32 = 32;
/// Mean of the above.
const YUYV_STILL_MEAN: f64 = 0.5;

#[test]
fn a_face_camera_sending_recorded_yuyv_stills_what_ffmpeg_decodes() {
    let (previews, still) = face_capture(FrameFormat::Yuyv, yuyv_bytes(), never);
    assert_eq!(previews.0.len(), 3);
    for p in &previews.0 {
        assert_eq!((p.width, p.height), (W, H));
        assert_eq!(convert::jpeg_size(&p.jpeg), Some((W, H)));
    }
    let decoded = convert::decode_jpeg(&still).unwrap();
    assert_eq!(decoded.format, PixelFormat::Rgb8);
    assert_close(
        "YUYV face still (JPEG q92) vs ffmpeg",
        &decoded,
        &png_rgb("yuyv.rgb.png"),
        YUYV_STILL_MAX,
        YUYV_STILL_MEAN,
    );
}

/// The two halves of a grey image, right eye first (the left half of the frame).
fn halves(img: &RawImage) -> [RawImage; 2] {
    let half = |x0: usize| {
        let data = img
            .data
            .chunks_exact(img.width as usize)
            .flat_map(|row| row[x0..x0 + img.width as usize / 2].to_vec())
            .collect();
        RawImage::gray(img.width / 2, img.height, None, data).expect("half")
    };
    [half(0), half(img.width as usize / 2)]
}

fn iris_capture(format: FrameFormat, data: Vec<u8>) -> Vec<(Eye, RawImage)> {
    let (source, _) = Replay::new(format, data, never);
    let mut cam = camera_over(Role::Iris, source, 2);
    let req = IrisCaptureRequest {
        eyes: vec![Eye::Right, Eye::Left],
        subject: None,
    };
    let cap =
        IrisCamera::capture(&mut cam, &req, &ctl(), &mut Collect::default()).expect("iris capture");
    cap.eyes.into_iter().map(|e| (e.eye, e.image)).collect()
}

#[test]
fn an_iris_camera_sending_recorded_grey_gives_the_exact_eyes() {
    let [right, left] = halves(&png_grey("grey.png"));
    let eyes = iris_capture(FrameFormat::Grey, grey_bytes());
    assert_eq!(eyes, vec![(Eye::Right, right), (Eye::Left, left)]);
}

#[test]
fn an_iris_camera_sending_recorded_yuyv_gives_ffmpegs_luma() {
    let [right, left] = halves(&png_grey("yuyv.grey.png"));
    let eyes = iris_capture(FrameFormat::Yuyv, yuyv_bytes());
    assert_eq!(eyes.len(), 2);
    for ((eye, got), (want_eye, want)) in eyes.iter().zip([(Eye::Right, right), (Eye::Left, left)])
    {
        assert_eq!(*eye, want_eye);
        assert_close(
            &format!("YUYV iris {eye:?} vs ffmpeg"),
            got,
            &want,
            YUYV_GREY_MAX,
            YUYV_GREY_MEAN,
        );
    }
}

#[test]
fn corrupt_recorded_frames_are_skipped_in_the_stream_and_fail_the_capture_when_all_are() {
    // Frames 2 and 3 are cut short: the preview skips them and still delivers 3 frames.
    let jpeg = fixture("mjpeg-nodht.jpg");
    let (source, delivered) = Replay::new(FrameFormat::Mjpeg, jpeg.clone(), |n| n == 2 || n == 3);
    let mut cam = camera_over(Role::Face, source, 3);
    let req = FaceCaptureRequest {
        subject: None,
        max_preview_frames: 3,
    };
    let mut sink = Collect::default();
    FaceCamera::capture(&mut cam, &req, &ctl(), &mut sink).expect("capture despite two bad frames");
    assert_eq!(sink.0.len(), 3);
    assert!(delivered.load(Ordering::Relaxed) >= 3);

    // Every frame cut short: the capture ends with the driver's decode error, which the
    // station sees as a protocol error.
    for (format, data) in [
        (FrameFormat::Mjpeg, jpeg),
        (FrameFormat::Yuyv, yuyv_bytes()),
    ] {
        let (source, _) = Replay::new(format, data, |_| true);
        let mut cam = camera_over(Role::Face, source, 3);
        let e = FaceCamera::capture(&mut cam, &req, &ctl(), &mut Collect::default())
            .expect_err("a capture of corrupt frames only must fail");
        assert_eq!(e.kind(), ErrorKind::Protocol, "{format}: {e}");
    }
}
