//! Crashes and shutdowns of a running `rekamd`: SIGKILL mid-session, after a job waits for
//! activation, after a job was deferred, and in the middle of a capture stream; a restart on
//! the same state directory finds everything acknowledged before the kill, and the work goes
//! on from there. SIGTERM ends the daemon with status 0 within its grace period and removes
//! its socket.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use rekam_e2e::*;
use v1::CaptureTarget as T;

const LEFT_SLAP: [&str; 4] = ["left_index", "left_middle", "left_ring", "left_little"];

/// What must survive a restart of a session: its state and every item (state, best score,
/// attempts, threshold, exception).
fn durable_view(s: &v1::Session) -> (i32, Vec<v1::ItemStatus>, Vec<i32>, String) {
    (
        s.state,
        s.items.clone(),
        s.remaining.clone(),
        s.nik_masked.clone(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_session_loses_nothing_acknowledged() {
    let mut d = Daemon::start_default().await;
    let nik = nik(501);
    let session = open_session(&d, &nik).await;
    let sid = session.session_id.clone();
    capture_ok(&d, &sid, T::Face).await;
    capture_ok(&d, &sid, T::LeftSlap).await;
    let before = get_session(&d, &sid).await;

    d.kill_9();
    d.restart().await;

    let after = get_session(&d, &sid).await;
    assert_eq!(
        durable_view(&after),
        durable_view(&before),
        "the session after the restart"
    );
    assert_eq!(after.opened_at, before.opened_at);
    let captured: Vec<String> = after
        .items
        .iter()
        .filter(|i| i.state() == v1::ItemState::Captured)
        .map(|i| item_name(i.item.as_ref().unwrap()))
        .collect();
    assert_eq!(captured.len(), 5, "face and the left slap: {captured:?}");

    for target in [T::RightSlap, T::Thumbs, T::Irises, T::Signature] {
        capture_ok(&d, &sid, target).await;
    }
    let done = finalize(&d, &sid).await;
    let package = done.package.unwrap();
    assert_eq!(
        package
            .entries
            .iter()
            .filter(|e| e.kind() == v1::PackageEntryKind::Sample)
            .count(),
        14,
        "samples from before and after the crash"
    );
    let (_, links) = chain(&sid, &package.entries);
    assert_eq!(
        package
            .entries
            .iter()
            .map(|e| e.chain_hash.clone())
            .collect::<Vec<_>>(),
        links,
        "the chain recomputes"
    );
    // The whole journey issues a card.
    issue(&d, &nik, &sid).await;
    assert!(!d.log().contains(&nik), "the daemon log holds the full NIK");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_while_a_job_awaits_activation() {
    let mut d = Daemon::start_default().await;
    let nik = nik(502);
    let (sid, _) = enrol_baru(&d, &nik).await;
    let job = last_job(&start_job(&d, &nik, &sid, true).await);
    assert_eq!(
        job.state(),
        v1::JobState::AwaitingActivation,
        "{:?}",
        step_summary(&job)
    );
    let before = supplies(&d).await;

    d.kill_9();
    d.restart().await;

    let after = get_job(&d, &job.job_id).await;
    assert_eq!(after, job, "the job after the restart");
    let s = supplies(&d).await;
    assert_eq!(
        (s.issued, s.spoiled),
        (before.issued, before.spoiled),
        "the counters survive"
    );
    // The finalized session survives too.
    assert_eq!(
        get_session(&d, &sid).await.state(),
        v1::SessionState::Finalized
    );

    activate_and_hand_over(&d, &job.job_id).await;
    let s = supplies(&d).await;
    assert_eq!((s.issued, s.spoiled), (1, 0));

    // And once more: the handover survives a kill.
    d.kill_9();
    d.restart().await;
    assert_eq!(
        get_job(&d, &job.job_id).await.state(),
        v1::JobState::HandedOver
    );
    let s = supplies(&d).await;
    assert_eq!((s.issued, s.spoiled), (1, 0), "issued survives a restart");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_after_a_deferred_job() {
    let mut d = Daemon::start_default().await;
    let nik = nik(503);
    let (sid, _) = enrol_baru(&d, &nik).await;
    let job = last_job(&start_job(&d, &nik, &sid, false).await);
    assert_eq!(
        job.state(),
        v1::JobState::Deferred,
        "{:?}",
        step_summary(&job)
    );
    assert_eq!(job.deferral(), v1::DeferralReason::NotPrintReady);
    let receipt = job.receipt_id.clone();
    assert!(receipt.starts_with("rcp_"));

    d.kill_9();
    d.restart().await;

    let after = get_job(&d, &job.job_id).await;
    assert_eq!(after, job, "the deferred job after the restart");
    let deferred = ok(
        d.issuance()
            .await
            .list_jobs(v1::ListJobsRequest {
                state: v1::JobState::Deferred.into(),
                ..Default::default()
            })
            .await,
        "ListJobs DEFERRED",
    );
    assert_eq!(
        deferred
            .jobs
            .iter()
            .map(|j| j.job_id.clone())
            .collect::<Vec<_>>(),
        std::slice::from_ref(&job.job_id)
    );

    // The resident comes back, the record is PRR now.
    let resumed = last_job(&resume_job(&d, &job.job_id, Some(true)).await);
    assert_eq!(
        resumed.state(),
        v1::JobState::AwaitingActivation,
        "{:?}",
        step_summary(&resumed)
    );
    activate_and_hand_over(&d, &job.job_id).await;
    let s = supplies(&d).await;
    assert_eq!((s.issued, s.spoiled), (1, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_inside_a_capture_stream_leaves_the_session_consistent() {
    let mut d = Daemon::start(DaemonOptions {
        latency: "{ preset = \"zero\", capture_ms = 2000, preview_interval_ms = 50 }".into(),
        ..DaemonOptions::default()
    })
    .await;
    let session = open_session(&d, &nik(504)).await;
    let sid = session.session_id.clone();
    let before = get_session(&d, &sid).await;

    // Start a left slap and wait until the scanner is working on it (the prompt, then a
    // preview frame or, for a scanner without previews, a moment of the 2 s capture).
    let mut stream = d
        .enrolment()
        .await
        .capture(v1::CaptureRequest {
            session_id: sid.clone(),
            target: T::LeftSlap.into(),
            operator_id: OPERATOR.into(),
            device_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let first = tokio::time::timeout(Duration::from_secs(10), stream.message())
        .await
        .expect("the capture starts")
        .unwrap()
        .expect("the stream has events");
    assert!(
        matches!(first.event, Some(v1::capture_event::Event::Prompt(_))),
        "{first:?}"
    );
    // The next event (a preview frame while the 2 s capture runs) shows the device at work;
    // whether the attempt completes before the kill or not, the checks below hold.
    let in_flight = tokio::time::timeout(Duration::from_secs(10), stream.message())
        .await
        .expect("the capture goes on")
        .unwrap()
        .expect("the stream goes on");
    assert!(
        !matches!(in_flight.event, Some(v1::capture_event::Event::Result(_))),
        "the capture ended before the kill: {in_flight:?}"
    );

    d.kill_9();
    // The client sees the stream break, never a result.
    let broken = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match stream.message().await {
                Ok(Some(v1::CaptureEvent {
                    event: Some(v1::capture_event::Event::Result(r)),
                })) => return Err(r),
                Ok(Some(_)) => continue,
                Ok(None) | Err(_) => return Ok(()),
            }
        }
    })
    .await
    .expect("the stream ends when the daemon dies");
    assert!(broken.is_ok(), "a result after the kill: {broken:?}");
    d.restart().await;

    let after = get_session(&d, &sid).await;
    assert_eq!(after.state(), v1::SessionState::Open);
    let left: Vec<v1::ItemStatus> = after
        .items
        .iter()
        .filter(|i| LEFT_SLAP.contains(&item_name(i.item.as_ref().unwrap()).as_str()))
        .cloned()
        .collect();
    assert_eq!(left.len(), 4);
    // Either the interrupted attempt is there in full, or not at all.
    let attempts: Vec<u32> = left.iter().map(|i| i.attempts).collect();
    assert!(
        attempts.iter().all(|a| *a == attempts[0]),
        "one attempt covers all four fingers: {left:#?}"
    );
    match attempts[0] {
        0 => {
            assert!(
                left.iter()
                    .all(|i| i.state() == v1::ItemState::Pending && i.best_score == 0),
                "{left:#?}"
            );
            assert_eq!(
                durable_view(&after),
                durable_view(&before),
                "nothing changed"
            );
        }
        1 => assert!(
            left.iter()
                .all(|i| i.state() == v1::ItemState::Captured && i.best_score > 0)
                || left.iter().all(|i| i.state() == v1::ItemState::Pending),
            "a complete attempt: {left:#?}"
        ),
        n => panic!("{n} attempts after one interrupted capture: {left:#?}"),
    }

    // The scanner works: the slap is captured now, and it is free afterwards.
    let result = capture_ok(&d, &sid, T::LeftSlap).await;
    let session = result.session.unwrap();
    assert!(
        session
            .items
            .iter()
            .filter(|i| LEFT_SLAP.contains(&item_name(i.item.as_ref().unwrap()).as_str()))
            .all(|i| i.state() == v1::ItemState::Captured),
        "{session:#?}"
    );
    wait_devices(
        &d,
        Duration::from_secs(5),
        "the scanner ready and free",
        |list| {
            list.iter().any(|dv| {
                dv.id == dev::FINGERPRINT
                    && dv.state() == v1::DeviceState::Ready
                    && dv.lease_holder.is_empty()
            })
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_exits_zero_within_the_grace_period_and_removes_the_socket() {
    let mut d = Daemon::start(DaemonOptions {
        shutdown_grace_ms: 2_000,
        ..DaemonOptions::default()
    })
    .await;
    // A watch stream is open (it never ends by itself): the grace period bounds it.
    let mut watch = d
        .devices()
        .await
        .watch_devices(v1::WatchDevicesRequest::default())
        .await
        .unwrap()
        .into_inner();
    let _ = tokio::time::timeout(Duration::from_secs(5), watch.message()).await;
    assert!(d.socket().exists());

    let started = Instant::now();
    let status = d.terminate().await;
    let took = started.elapsed();
    assert_eq!(
        status.code(),
        Some(0),
        "rekamd exits 0 on SIGTERM: {status}\n{}",
        d.log()
    );
    assert!(
        took <= Duration::from_millis(2_000 + 1_500),
        "exit took {took:?}, the grace is 2 s"
    );
    assert!(!d.socket().exists(), "the socket is removed on exit");
    assert!(!d.log().contains("panicked"), "{}", d.log());

    // It starts again on the same state directory.
    d.restart().await;
    assert_eq!(list_devices(&d).await.len(), 7);
    let status = d.terminate().await;
    assert_eq!(status.code(), Some(0));
    assert!(!d.socket().exists());
}
