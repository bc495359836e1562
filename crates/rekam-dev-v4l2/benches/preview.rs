//! The camera preview path, measured at the frame-source seam (no camera in a container):
//!
//! 1. Frames per second delivered to the capture sink by a face capture, with the scripted
//!    camera paced at its mode's rate, for a fast sink and for a slow one (50 ms per frame):
//!    the slow one gets fewer frames, the rest are dropped, none are queued.
//! 2. CPU time per preview frame (this thread's run time, from /proc/thread-self/schedstat)
//!    for each path: MJPEG passed through, MJPEG decoded + downscaled to 640 + re-encoded,
//!    YUYV converted + downscaled + encoded; and the full-size face still.
//!
//! Run: `cargo bench -p rekam-dev-v4l2` (prints a table; timings are never asserted).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use rekam_dev_v4l2::camera::{face_still, preview_frame, CameraOptions};
use rekam_dev_v4l2::format::{FrameFormat, Mode, Role};
use rekam_dev_v4l2::mock::ScriptedSource;
use rekam_dev_v4l2::testframes;
use rekam_dev_v4l2::V4l2Camera;
use rekam_hal::{
    CaptureSink, Control, DeviceId, DeviceSelector, FaceCamera, FaceCaptureRequest, PreviewFrame,
};

struct TimedSink {
    delay: Duration,
    times: Vec<Instant>,
}

impl CaptureSink for TimedSink {
    fn preview(&mut self, _frame: PreviewFrame) {
        self.times.push(Instant::now());
        std::thread::sleep(self.delay);
    }
}

/// This thread's CPU time so far (the first field of schedstat is nanoseconds on a CPU).
fn thread_cpu() -> Duration {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .next()
                .and_then(|v| v.parse::<u64>().ok())
        })
        .map(Duration::from_nanos)
        .unwrap_or_default()
}

fn throughput(mode: Mode, delay: Duration, frames: u32) -> (f64, u64, u64, u64) {
    let (source, _h) = ScriptedSource::new(vec![mode], vec![], true);
    let mut cam = V4l2Camera::new(
        DeviceId::new("v4l2:face:0").unwrap(),
        DeviceSelector::V4l2 {
            path: "/dev/video0".into(),
        },
        Role::Face,
        CameraOptions::default(),
        source,
    );
    let mut sink = TimedSink {
        delay,
        times: Vec::new(),
    };
    let req = FaceCaptureRequest {
        subject: None,
        max_preview_frames: frames,
    };
    FaceCamera::capture(
        &mut cam,
        &req,
        &Control::with_timeout(Duration::from_secs(120)),
        &mut sink,
    )
    .unwrap();
    let span = sink.times.last().unwrap().duration_since(sink.times[0]);
    let fps = (sink.times.len() - 1) as f64 / span.as_secs_f64();
    let s = cam.last_preview();
    (fps, s.read, s.dropped, s.delivered)
}

fn cpu_per_frame(format: FrameFormat, width: u32, height: u32, still: bool) -> (f64, f64) {
    let frames: Vec<_> = (0..4)
        .map(|i| testframes::frame(format, width, height, i * 5))
        .collect();
    let n = 40;
    let wall = Instant::now();
    let cpu = thread_cpu();
    for i in 0..n {
        let f = &frames[i % frames.len()];
        if still {
            std::hint::black_box(face_still(f).unwrap());
        } else {
            std::hint::black_box(preview_frame(f, i as u64, 640).unwrap());
        }
    }
    let cpu = thread_cpu() - cpu;
    let wall = wall.elapsed();
    (
        cpu.as_secs_f64() * 1000.0 / n as f64,
        wall.as_secs_f64() * 1000.0 / n as f64,
    )
}

fn main() {
    let m = |format, width, height, fps| Mode {
        format,
        width,
        height,
        fps,
    };
    println!("## Preview delivered through the seam (face capture, 90 preview frames)\n");
    println!("| camera mode | sink | delivered fps | read | dropped | delivered |");
    println!("|---|---|---:|---:|---:|---:|");
    for mode in [
        m(FrameFormat::Mjpeg, 640, 360, 30),
        m(FrameFormat::Mjpeg, 1280, 720, 30),
        m(FrameFormat::Yuyv, 640, 480, 30),
    ] {
        for (name, delay) in [
            ("fast", Duration::ZERO),
            ("slow 50 ms", Duration::from_millis(50)),
        ] {
            let (fps, read, dropped, delivered) = throughput(mode, delay, 90);
            println!("| {mode} | {name} | {fps:.1} | {read} | {dropped} | {delivered} |");
        }
    }
    println!("\n## CPU per frame (one thread)\n");
    println!("| path | frame | CPU ms/frame | wall ms/frame |");
    println!("|---|---|---:|---:|");
    let cases = [
        (
            "preview: MJPEG passed through",
            FrameFormat::Mjpeg,
            640,
            360,
            false,
        ),
        (
            "preview: MJPEG decode + downscale + encode",
            FrameFormat::Mjpeg,
            1280,
            720,
            false,
        ),
        (
            "preview: MJPEG decode + downscale + encode",
            FrameFormat::Mjpeg,
            1920,
            1080,
            false,
        ),
        (
            "preview: YUYV convert + downscale + encode",
            FrameFormat::Yuyv,
            1280,
            720,
            false,
        ),
        (
            "still: MJPEG checked by decoding",
            FrameFormat::Mjpeg,
            1920,
            1080,
            true,
        ),
        (
            "still: YUYV convert + encode q92",
            FrameFormat::Yuyv,
            1920,
            1080,
            true,
        ),
    ];
    for (name, format, w, h, still) in cases {
        let (cpu, wall) = cpu_per_frame(format, w, h, still);
        println!("| {name} | {format} {w}x{h} | {cpu:.2} | {wall:.2} |");
    }
}
