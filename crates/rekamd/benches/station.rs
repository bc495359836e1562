//! Station benchmark: starts the real `rekamd` binary and measures, from outside, what a
//! kecamatan office would feel. Prints a table; asserts nothing (timings are not tests).
//!
//! `cargo bench -p rekamd --bench station` (release build). Figures:
//! - start-to-READY: spawn until the socket answers a gRPC call (median of N starts);
//! - idle RSS: the daemon's resident memory once ready and idle;
//! - per session: a complete BARU enrolment plus issuance (activation and handover) on
//!   zero-latency simulated devices, wall time at the client and daemon CPU time
//!   (utime + stime from /proc, so the client's own work is not counted);
//! - preview: frames per second a gRPC client receives during a capture whose simulated
//!   camera produces frames as fast as the daemon can forward them (10 ms apart).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::Path;
use std::time::{Duration, Instant};

use rekam_proto::v1::enrolment_service_client::EnrolmentServiceClient;
use rekam_proto::v1::issuance_service_client::IssuanceServiceClient;
use rekam_proto::v1::{self, capture_event::Event};
use tonic::transport::Channel;

mod common;
use common::{baru_request, cpu_seconds, nik, rss_kib, Daemon};

const SESSIONS: u32 = 20;
const STARTS: usize = 7;

fn start(latency: &str) -> (Daemon, Duration) {
    // Every family simulated, as the embedded default has them.
    let devices: String = rekam_hal::DeviceFamily::ALL
        .iter()
        .map(|f| format!("[[devices]]\nselector = \"sim:{}\"\n", f.short_name()))
        .collect();
    common::start(
        &format!("[sim]\nlatency = {latency}\nblanks = 1000\n\n{devices}"),
        false,
    )
}

async fn channel(socket: &Path) -> Channel {
    rekam_proto::client::connect_unix(socket).await.unwrap()
}

fn record(nik: &str) -> v1::CardRecord {
    v1::CardRecord {
        nik: nik.to_owned(),
        name: "BUDI SANTOSO".into(),
        place_of_birth: "LUMAJANG".into(),
        date_of_birth: "1999-03-12".into(),
        sex: v1::Sex::LakiLaki.into(),
        blood_type: v1::BloodType::O.into(),
        address: "JL. RAYA SENDURO NO. 12".into(),
        rt_rw: "002/005".into(),
        village: "SENDURO".into(),
        district: "SENDURO".into(),
        regency: "LUMAJANG".into(),
        province: "JAWA TIMUR".into(),
        religion: v1::Religion::Islam.into(),
        marital_status: v1::MaritalStatus::BelumKawin.into(),
        occupation: "PELAJAR/MAHASISWA".into(),
        citizenship: Some(v1::Citizenship {
            kind: v1::CitizenshipKind::Wni.into(),
            country: String::new(),
        }),
        valid_until: "SEUMUR HIDUP".into(),
        prr: true,
        place_of_issue: "LUMAJANG".into(),
        date_of_issue: "2026-11-21".into(),
    }
}

async fn full_session(ch: Channel, n: u32) {
    let mut enrol = EnrolmentServiceClient::new(ch.clone());
    let mut issue = IssuanceServiceClient::new(ch);
    let nik = nik(n);
    let session = enrol
        .open_session(baru_request(n))
        .await
        .unwrap()
        .into_inner();
    for target in [
        v1::CaptureTarget::Face,
        v1::CaptureTarget::LeftSlap,
        v1::CaptureTarget::RightSlap,
        v1::CaptureTarget::Thumbs,
        v1::CaptureTarget::Irises,
        v1::CaptureTarget::Signature,
    ] {
        let mut stream = enrol
            .capture(v1::CaptureRequest {
                session_id: session.session_id.clone(),
                target: target.into(),
                operator_id: "bench".into(),
                device_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        while stream.message().await.unwrap().is_some() {}
    }
    enrol
        .finalize_session(v1::FinalizeSessionRequest {
            session_id: session.session_id.clone(),
            operator_id: "bench".into(),
        })
        .await
        .unwrap();
    let mut stream = issue
        .start_job(v1::StartJobRequest {
            record: Some(record(&nik)),
            biometrics: Some(v1::start_job_request::Biometrics::SessionId(
                session.session_id,
            )),
            operator_id: "bench".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let mut job_id = String::new();
    while let Some(event) = stream.message().await.unwrap() {
        job_id = event.job_id;
    }
    let mut stream = issue
        .activate(v1::ActivateRequest {
            job_id: job_id.clone(),
            operator_id: "bench".into(),
            finger: None,
        })
        .await
        .unwrap()
        .into_inner();
    while stream.message().await.unwrap().is_some() {}
    let job = issue
        .hand_over(v1::HandOverRequest {
            job_id,
            operator_id: "bench".into(),
            receipt_signed: true,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        job.state(),
        v1::JobState::HandedOver,
        "the benchmark session did not complete"
    );
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn main() {
    // cargo bench passes --bench; anything else (a filter) is ignored.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();

    // Start-to-READY and idle RSS.
    let mut ready = Vec::new();
    let mut rss = Vec::new();
    for _ in 0..STARTS {
        let (daemon, took) = start("\"zero\"");
        ready.push(took.as_secs_f64() * 1000.0);
        std::thread::sleep(Duration::from_millis(500));
        rss.push(rss_kib(daemon.child.id()) as f64 / 1024.0);
    }

    // Complete sessions on zero-latency devices.
    let (daemon, _) = start("\"zero\"");
    let pid = daemon.child.id();
    let ch = rt.block_on(channel(&daemon.socket));
    rt.block_on(full_session(ch.clone(), 0)); // warm-up
    let mut wall = Vec::new();
    let mut cpu = Vec::new();
    for n in 1..=SESSIONS {
        let cpu0 = cpu_seconds(pid);
        let t0 = Instant::now();
        rt.block_on(full_session(ch.clone(), n));
        wall.push(t0.elapsed().as_secs_f64() * 1000.0);
        cpu.push((cpu_seconds(pid) - cpu0) * 1000.0);
    }
    let rss_after = rss_kib(pid) as f64 / 1024.0;
    drop(daemon);

    // Preview frames per second received by a client.
    let (daemon, _) = start("{ preset = \"zero\", capture_ms = 3000, preview_interval_ms = 10 }");
    let fps = rt.block_on(async {
        let ch = channel(&daemon.socket).await;
        let mut enrol = EnrolmentServiceClient::new(ch);
        let session = enrol
            .open_session(baru_request(500))
            .await
            .unwrap()
            .into_inner();
        let mut stream = enrol
            .capture(v1::CaptureRequest {
                session_id: session.session_id,
                target: v1::CaptureTarget::Face.into(),
                operator_id: "bench".into(),
                device_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        let mut first: Option<Instant> = None;
        let mut last = Instant::now();
        let mut frames = 0u32;
        while let Some(event) = stream.message().await.unwrap() {
            if let Some(Event::Preview(_)) = event.event {
                let now = Instant::now();
                first.get_or_insert(now);
                last = now;
                frames += 1;
            }
        }
        let span = last.duration_since(first.unwrap()).as_secs_f64();
        f64::from(frames.saturating_sub(1)) / span
    });
    drop(daemon);

    println!("rekamd station benchmark (release, simulated devices)");
    println!("| measure | median | min | max | target |");
    println!("| --- | --- | --- | --- | --- |");
    let row = |name: &str, v: &[f64], unit: &str, target: &str| {
        let mut s = v.to_vec();
        s.sort_by(|a, b| a.partial_cmp(b).unwrap());
        println!(
            "| {name} | {:.1} {unit} | {:.1} {unit} | {:.1} {unit} | {target} |",
            median(v.to_vec()),
            s[0],
            s[s.len() - 1]
        );
    };
    row("start to READY", &ready, "ms", "< 300 ms");
    row("idle RSS", &rss, "MiB", "< 30 MB");
    row("session wall time (enrol + issue)", &wall, "ms", "");
    row("session daemon CPU (enrol + issue)", &cpu, "ms", "< 200 ms");
    println!(
        "| RSS after {} sessions | {rss_after:.1} MiB | | | |",
        SESSIONS + 1
    );
    println!("| preview frames received | {fps:.1} fps | | | >= 15 fps |");
}
