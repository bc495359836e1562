//! Preview benchmark: the face camera's preview, end to end, as a gRPC client sees it.
//!
//! `cargo bench -p rekamd --bench preview --features scripted-cameras` (release build).
//!
//! The real `rekamd` binary runs as a child with V4L2 face cameras whose frame source is
//! `rekam-dev-v4l2`'s scripted camera (`v4l2:scripted:MODES`, the `scripted-cameras` feature):
//! it plays pre-made frames (the crate's test pattern, 3 frames cycled, copied out per frame
//! as a V4L2 buffer is) at the mode's rate, 30 fps. Everything after the frame source is the
//! daemon's real path: the camera driver's reader thread and latest-wins slot, the preview
//! JPEG (pass-through, or decode, downscale and encode), the station's capture sink, the
//! gRPC `Capture` stream over the Unix socket, and a tonic client.
//!
//! For each camera the client opens a `Capture(FACE)` stream and reads the previews of the
//! first attempt (`preview_frames` of them), then cancels. Figures:
//! - fps: previews received / time from the first to the last one;
//! - received, and the previews the driver made meanwhile (the `seq` span: the driver numbers
//!   the previews it hands to the station);
//! - dropped after the driver: made − received (gaps in `seq`), frames the daemon or the
//!   transport dropped for a slow client;
//! - dropped in the driver (fast client only): 30 × the time − made, camera frames the
//!   driver's latest-wins slot dropped because making the previous preview took too long;
//! - CPU per frame (fast client only): the daemon's utime + stime (from /proc, so the
//!   client's own work is not counted) over that time, divided by the frames received. For
//!   a slow client the time runs past the preview into the still and the station's face
//!   checks, so it is not shown;
//! - lag: how far behind the camera a preview is when the client reads it, the median and the
//!   worst: the camera's frame count then (the first preview's `seq` plus 30 per second since
//!   it arrived; the first one arrives with nothing queued ahead of it) minus the preview's
//!   `seq`, as time at 30 fps: how stale the picture on the operator's screen is;
//! - RSS: the daemon's resident memory before the stream and the most seen during it.
//!
//! The slow client reads one preview every 200 ms (5 fps), once with tonic's default HTTP/2
//! stream window (2 MiB: whatever fits in it waits, received but unread, in the client) and
//! with smaller windows (64 and 16 KiB), as a preview client should use. Prints a table; asserts nothing
//! (timings are not tests).
// A benchmark harness: a failure should stop it loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::time::{Duration, Instant};

use hyper_util::rt::TokioIo;
use rekam_proto::v1::enrolment_service_client::EnrolmentServiceClient;
use rekam_proto::v1::{self, capture_event::Event};
use tokio::net::UnixStream;
use tonic::transport::{Channel, Endpoint, Uri};

mod common;
use common::{baru_request, cpu_seconds, rss_kib, Daemon};

/// A client over the daemon's Unix socket with this HTTP/2 stream window (`None`: tonic's
/// default).
async fn connect(socket: &std::path::Path, window: Option<u32>) -> Channel {
    let socket = socket.to_owned();
    Endpoint::from_static("http://rekamd.local")
        .initial_stream_window_size(window)
        .connect_with_connector(tower::service_fn(move |_: Uri| {
            let socket = socket.clone();
            async move { Ok::<_, std::io::Error>(TokioIo::new(UnixStream::connect(socket).await?)) }
        }))
        .await
        .unwrap()
}

/// Preview frames per capture (10 s at 30 fps).
const PREVIEW_FRAMES: u32 = 300;
/// The scripted cameras' rate.
const CAMERA_FPS: f64 = 30.0;

/// The cameras of the run: id, modes, preview width, what it shows.
const CAMERAS: [(&str, &str, u32, &str); 4] = [
    (
        "cam-yuyv",
        "yuyv-640x480@30",
        640,
        "YUYV 640x480 (encoded to JPEG per frame)",
    ),
    (
        "cam-webcam",
        "mjpeg-640x480@30,mjpeg-1280x720@30",
        640,
        "MJPEG 640x480 preview, 1280x720 still (passed through)",
    ),
    (
        "cam-720-pass",
        "mjpeg-1280x720@30",
        1280,
        "MJPEG 1280x720 (passed through)",
    ),
    (
        "cam-720-scaled",
        "mjpeg-1280x720@30",
        640,
        "MJPEG 1280x720 to 640x360 (decoded, scaled, encoded)",
    ),
];

/// A daemon whose one face camera is `camera` (the station picks the camera of a family
/// itself, so each camera gets its own daemon).
fn start(camera: &(&str, &str, u32, &str)) -> Daemon {
    let (id, modes, width, _) = camera;
    common::start(
        &format!(
            "[[devices]]\nselector = \"v4l2:scripted:{modes}?preview_width={width}&preview_frames={PREVIEW_FRAMES}\"\nfamily = \"face\"\nid = \"{id}\"\n"
        ),
        true,
    )
    .0
}

async fn open_session(ch: Channel, n: u32) -> String {
    EnrolmentServiceClient::new(ch)
        .open_session(baru_request(n))
        .await
        .unwrap()
        .into_inner()
        .session_id
}

/// What one preview run measured.
struct Run {
    received: u64,
    span: f64,
    seq_gaps: u64,
    cpu: f64,
    lags_ms: Vec<f64>,
    rss_before: f64,
    rss_max: f64,
    size: (u32, u32),
    jpeg_bytes: usize,
}

async fn run(ch: Channel, pid: u32, session: &str, device: &str, every: Duration) -> Run {
    // Let the daemon settle (start-up, session journaling) before measuring.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut enrol = EnrolmentServiceClient::new(ch);
    let rss_before = rss_kib(pid) as f64 / 1024.0;
    let mut stream = enrol
        .capture(v1::CaptureRequest {
            session_id: session.to_owned(),
            target: v1::CaptureTarget::Face.into(),
            operator_id: "bench".into(),
            device_id: device.to_owned(),
        })
        .await
        .unwrap()
        .into_inner();
    let mut first: Option<(Instant, f64)> = None;
    let mut last = (Instant::now(), 0.0);
    let (mut received, mut seqs) = (0u64, (u64::MAX, 0u64));
    let mut lags_ms = Vec::new();
    let mut rss_max = rss_before;
    let (mut size, mut jpeg_bytes) = ((0, 0), 0);
    while let Some(event) = stream.message().await.unwrap() {
        match event.event {
            Some(Event::Preview(p)) => {
                let now = Instant::now();
                let cpu = cpu_seconds(pid);
                first.get_or_insert((now, cpu));
                last = (now, cpu);
                received += 1;
                seqs = (seqs.0.min(p.seq), seqs.1.max(p.seq));
                size = (p.width, p.height);
                jpeg_bytes = p.jpeg.len();
                let (t0, seq0) = (first.map_or(now, |f| f.0), seqs.0);
                let camera_now = seq0 as f64 + now.duration_since(t0).as_secs_f64() * CAMERA_FPS;
                lags_ms.push((camera_now - p.seq as f64).max(0.0) / CAMERA_FPS * 1000.0);
                if received % 10 == 0 {
                    rss_max = rss_max.max(rss_kib(pid) as f64 / 1024.0);
                }
                if !every.is_zero() {
                    tokio::time::sleep(every).await;
                }
            }
            // The first attempt is over: its previews are what is measured.
            Some(Event::Attempt(_)) => break,
            _ => {}
        }
    }
    drop(stream);
    let first = first.expect("no preview frame arrived");
    Run {
        received,
        span: last.0.duration_since(first.0).as_secs_f64(),
        seq_gaps: (seqs.1 - seqs.0 + 1) - received,
        cpu: last.1 - first.1,
        lags_ms,
        rss_before,
        rss_max,
        size,
        jpeg_bytes,
    }
}

fn percentile(v: &[f64], p: f64) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.partial_cmp(b).unwrap());
    s[((s.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();

    println!(
        "rekamd preview benchmark (release; scripted V4L2 face cameras at {CAMERA_FPS} fps, {PREVIEW_FRAMES} preview frames per run)"
    );
    println!("| camera | client | preview | fps received | received / made | dropped after the driver | dropped in the driver | daemon CPU/frame | lag median / max | daemon RSS before / max |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    let slow = Duration::from_millis(200);
    let runs = CAMERAS
        .iter()
        .map(|c| (c, Duration::ZERO, None, "fast"))
        .chain([&CAMERAS[0], &CAMERAS[1]].into_iter().flat_map(|c| {
            [
                (c, slow, None, "5 fps, 2 MiB window"),
                (c, slow, Some(64 * 1024), "5 fps, 64 KiB window"),
                (c, slow, Some(16 * 1024), "5 fps, 16 KiB window"),
            ]
        }));
    for (n, (camera, every, window, client)) in runs.enumerate() {
        let (id, _, _, what) = camera;
        let daemon = start(camera);
        let pid = daemon.child.id();
        let ch = rt.block_on(connect(&daemon.socket, window));
        let session = rt.block_on(open_session(ch.clone(), n as u32));
        let r = rt.block_on(run(ch, pid, &session, id, every));
        drop(daemon);
        let made = r.received + r.seq_gaps;
        let (in_driver, cpu) = if every.is_zero() {
            let camera = (r.span * CAMERA_FPS).round() as u64 + 1;
            (
                camera.saturating_sub(made).to_string(),
                format!("{:.2} ms", r.cpu * 1000.0 / r.received as f64),
            )
        } else {
            ("-".to_owned(), "-".to_owned())
        };
        println!(
            "| {what} | {client} | {}x{}, {:.0} KiB | {:.1} | {} / {made} | {} | {in_driver} | {cpu} | {:.0} / {:.0} ms | {:.1} / {:.1} MiB |",
            r.size.0,
            r.size.1,
            r.jpeg_bytes as f64 / 1024.0,
            (r.received.saturating_sub(1)) as f64 / r.span,
            r.received,
            r.seq_gaps,
            percentile(&r.lags_ms, 0.5),
            percentile(&r.lags_ms, 1.0),
            r.rss_before,
            r.rss_max,
        );
    }
}
