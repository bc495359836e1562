//! One test per simulated fault, injected through `DeviceService.InjectFault` into a running
//! `rekamd`: what the caller sees (status code and reason, guidance, job steps and
//! deferrals), that the device works again afterwards, and that a spoiled card is never
//! counted as issued (`Supplies.issued` counts handovers only).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use rekam_e2e::*;
use tonic::Code;
use v1::CaptureTarget as T;
use v1::JobStep as S;

/// The guidance codes of an attempt.
fn guidance_codes(a: &v1::AttemptResult) -> Vec<v1::GuidanceCode> {
    a.guidance.iter().map(v1::Guidance::code).collect()
}

/// The items of a session covering `target`'s fingers/eyes/face, by the capture target.
fn items_of(session: &v1::Session, names: &[&str]) -> Vec<v1::ItemStatus> {
    session
        .items
        .iter()
        .filter(|i| names.contains(&item_name(i.item.as_ref().unwrap()).as_str()))
        .cloned()
        .collect()
}

const LEFT_SLAP: [&str; 4] = ["left_index", "left_middle", "left_ring", "left_little"];
const RIGHT_SLAP: [&str; 4] = ["right_index", "right_middle", "right_ring", "right_little"];

/// Captures every target not yet done and finalizes.
async fn complete_and_finalize(d: &Daemon, sid: &str) -> v1::FinalizeSessionResponse {
    let session = get_session(d, sid).await;
    for target in session.remaining() {
        capture_ok(d, sid, target).await;
    }
    let done = finalize(d, sid).await;
    assert_eq!(
        done.session.as_ref().unwrap().state(),
        v1::SessionState::Finalized
    );
    done
}

/// Supplies must show exactly these counters.
async fn assert_counters(d: &Daemon, issued: u32, spoiled: u32) -> v1::Supplies {
    let s = supplies(d).await;
    assert_eq!(
        (s.issued, s.spoiled),
        (issued, spoiled),
        "supplies (issued, spoiled): {s:?}"
    );
    s
}

/// Opens a watch on the devices, reads its snapshot, and forwards later events.
async fn watch(d: &Daemon) -> tokio::sync::mpsc::Receiver<v1::DeviceEvent> {
    let mut stream = d
        .devices()
        .await
        .watch_devices(v1::WatchDevicesRequest::default())
        .await
        .unwrap()
        .into_inner();
    loop {
        let event = tokio::time::timeout(Duration::from_secs(10), stream.message())
            .await
            .expect("the snapshot comes at once")
            .unwrap()
            .expect("the watch does not end");
        if event.kind() == v1::DeviceEventKind::SnapshotDone {
            break;
        }
    }
    let (tx, rx) = tokio::sync::mpsc::channel(256);
    tokio::spawn(async move {
        while let Ok(Some(event)) = stream.message().await {
            if tx.send(event).await.is_err() {
                return;
            }
        }
    });
    rx
}

/// Waits (at most 10 s) for a watch event about `device` that satisfies `check`.
async fn wait_event(
    rx: &mut tokio::sync::mpsc::Receiver<v1::DeviceEvent>,
    device: &str,
    what: &str,
    check: impl Fn(&v1::DeviceEvent) -> bool,
) -> v1::DeviceEvent {
    let mut seen = Vec::new();
    let found = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(event) = rx.recv().await {
            if event.device.as_ref().is_some_and(|dv| dv.id == device) && check(&event) {
                return Some(event);
            }
            seen.push(event);
        }
        None
    })
    .await;
    match found {
        Ok(Some(event)) => event,
        _ => panic!("WatchDevices did not show {what} for {device}; saw {seen:#?}"),
    }
}

/// A job from a fresh BARU enrolment of `nik`, started with `prr`.
async fn enrol_and_start(d: &Daemon, nik: &str, prr: bool) -> (String, Streamed<v1::JobEvent>) {
    let (sid, _) = enrol_baru(d, nik).await;
    let run = start_job(d, nik, &sid, prr).await;
    (sid, run)
}

// ------------------------------------------------------------------------------------------
// Capture devices

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fingerprint_scanner_unplugged_mid_session_then_replugged() {
    let d = Daemon::start_default().await;
    let session = open_session(&d, &nik(101)).await;
    let sid = session.session_id.clone();
    capture_ok(&d, &sid, T::Face).await;
    let mut events = watch(&d).await;

    inject(&d, dev::FINGERPRINT, v1::FaultKind::Unplug, 0).await;
    wait_event(&mut events, dev::FINGERPRINT, "the scanner leaving", |e| {
        e.kind() == v1::DeviceEventKind::Removed
            || e.device
                .as_ref()
                .is_some_and(|dv| dv.state() == v1::DeviceState::Disconnected)
    })
    .await;

    let before = get_session(&d, &sid).await;
    let s = capture(&d, &sid, T::LeftSlap).await;
    assert_status(
        s.err(),
        Code::Unavailable,
        v1::ErrorReason::DeviceDisconnected,
    );
    assert!(
        !s.events
            .iter()
            .any(|e| matches!(e, v1::capture_event::Event::Result(_))),
        "no CaptureResult on a failed capture"
    );
    let after = get_session(&d, &sid).await;
    assert_eq!(
        items_of(&after, &LEFT_SLAP),
        items_of(&before, &LEFT_SLAP),
        "a failed capture changes no item"
    );

    inject(&d, dev::FINGERPRINT, v1::FaultKind::Replug, 0).await;
    wait_event(
        &mut events,
        dev::FINGERPRINT,
        "the scanner back and ready",
        |e| {
            matches!(
                e.kind(),
                v1::DeviceEventKind::Added | v1::DeviceEventKind::Changed
            ) && e
                .device
                .as_ref()
                .is_some_and(|dv| dv.state() == v1::DeviceState::Ready)
        },
    )
    .await;

    let result = capture_ok(&d, &sid, T::LeftSlap).await;
    let session = result.session.unwrap();
    for item in items_of(&session, &LEFT_SLAP) {
        assert_eq!(item.state(), v1::ItemState::Captured, "{item:?}");
    }
    complete_and_finalize(&d, &sid).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn busy_scanner_refuses_with_device_busy_then_works() {
    let d = Daemon::start_default().await;
    let session = open_session(&d, &nik(102)).await;
    let sid = session.session_id.clone();
    inject(&d, dev::FINGERPRINT, v1::FaultKind::Busy, 0).await;
    let s = capture(&d, &sid, T::RightSlap).await;
    assert_status(s.err(), Code::Unavailable, v1::ErrorReason::DeviceBusy);
    assert_eq!(
        metadata(s.err(), "device_id").as_deref(),
        Some(dev::FINGERPRINT),
        "DEVICE_BUSY names the device"
    );
    clear_faults(&d, dev::FINGERPRINT).await;
    let result = capture_ok(&d, &sid, T::RightSlap).await;
    let items = items_of(result.session.as_ref().unwrap(), &RIGHT_SLAP);
    assert!(
        items
            .iter()
            .all(|i| i.state() == v1::ItemState::Captured && i.attempts == 1),
        "{items:?}"
    );
    complete_and_finalize(&d, &sid).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scanner_timeout_gives_deadline_exceeded_then_the_next_capture_works() {
    let d = Daemon::start(DaemonOptions {
        device_timeouts_ms: vec![(dev::FINGERPRINT, 500)],
        ..DaemonOptions::default()
    })
    .await;
    let session = open_session(&d, &nik(103)).await;
    let sid = session.session_id.clone();
    inject(&d, dev::FINGERPRINT, v1::FaultKind::Timeout, 1).await;
    let started = std::time::Instant::now();
    let s = capture(&d, &sid, T::Thumbs).await;
    assert_status(
        s.err(),
        Code::DeadlineExceeded,
        v1::ErrorReason::DeviceTimeout,
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the timeout is the configured 500 ms, not longer"
    );
    let session = get_session(&d, &sid).await;
    let thumbs = items_of(&session, &["right_thumb", "left_thumb"]);
    assert!(
        thumbs
            .iter()
            .all(|i| i.state() == v1::ItemState::Pending && i.attempts == 0),
        "{thumbs:?}"
    );

    let s = capture(&d, &sid, T::Thumbs).await;
    let result = capture_result(&s);
    assert_eq!(result.outcome(), v1::ItemOutcome::Accepted);
    assert_eq!(
        attempts(&s).first().map(|a| a.attempt),
        Some(1),
        "the timed-out attempt was never completed"
    );
    complete_and_finalize(&d, &sid).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn low_quality_twice_then_the_third_attempt_is_accepted() {
    let d = Daemon::start_default().await;
    let session = open_session(&d, &nik(104)).await;
    let sid = session.session_id.clone();
    inject(&d, dev::FINGERPRINT, v1::FaultKind::LowQuality, 2).await;
    let s = capture(&d, &sid, T::LeftSlap).await;
    let result = capture_result(&s);
    assert_eq!(result.outcome(), v1::ItemOutcome::Accepted, "{result:?}");
    let a = attempts(&s);
    assert_eq!(a.len(), 3, "{a:#?}");
    assert_eq!(a.iter().map(|x| x.attempt).collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(
        a.iter().map(|x| x.attempts_left).collect::<Vec<_>>(),
        [2, 1, 0]
    );
    for poor in &a[..2] {
        assert!(!poor.accepted);
        assert!(poor.qualities.iter().any(|q| !q.passes), "{poor:?}");
        assert!(
            guidance_codes(poor).contains(&v1::GuidanceCode::PoorQuality),
            "{poor:?}"
        );
    }
    assert!(a[2].accepted && a[2].guidance.is_empty(), "{:?}", a[2]);
    let items = items_of(result.session.as_ref().unwrap(), &LEFT_SLAP);
    assert!(
        items.iter().all(|i| i.state() == v1::ItemState::Captured
            && i.attempts == 3
            && i.best_score >= i.threshold),
        "{items:#?}"
    );
    complete_and_finalize(&d, &sid).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn low_quality_three_times_keeps_the_best_below_threshold() {
    let d = Daemon::start_default().await;
    let session = open_session(&d, &nik(105)).await;
    let sid = session.session_id.clone();
    inject(&d, dev::FINGERPRINT, v1::FaultKind::LowQuality, 3).await;
    let s = capture(&d, &sid, T::RightSlap).await;
    let result = capture_result(&s);
    assert_eq!(
        result.outcome(),
        v1::ItemOutcome::BestBelowThresholdKept,
        "{result:?}"
    );
    let a = attempts(&s);
    assert_eq!(a.len(), 3);
    assert!(a.iter().all(|x| !x.accepted));
    let items = items_of(result.session.as_ref().unwrap(), &RIGHT_SLAP);
    assert!(
        items
            .iter()
            .all(|i| i.state() == v1::ItemState::Captured && i.attempts == 3),
        "{items:#?}"
    );
    assert!(
        items.iter().any(|i| i.best_score < i.threshold),
        "the kept best is below threshold: {items:#?}"
    );
    // The budget is spent and the best kept: the target is complete and is not captured again.
    let again = capture(&d, &sid, T::RightSlap).await;
    assert_status(
        again.err(),
        Code::FailedPrecondition,
        v1::ErrorReason::StepOutOfOrder,
    );
    // The scanner itself works: the other slap is captured.
    capture_ok(&d, &sid, T::LeftSlap).await;
    complete_and_finalize(&d, &sid).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_slap_once_is_refused_with_guidance_then_accepted() {
    let d = Daemon::start_default().await;
    let session = open_session(&d, &nik(106)).await;
    let sid = session.session_id.clone();
    inject(&d, dev::FINGERPRINT, v1::FaultKind::PartialSlap, 1).await;
    let s = capture(&d, &sid, T::RightSlap).await;
    let result = capture_result(&s);
    assert_eq!(result.outcome(), v1::ItemOutcome::Accepted);
    let a = attempts(&s);
    assert_eq!(a.len(), 2, "{a:#?}");
    assert!(!a[0].accepted);
    let partial: Vec<&v1::Guidance> = a[0]
        .guidance
        .iter()
        .filter(|g| g.code() == v1::GuidanceCode::PartialSlap)
        .collect();
    assert_eq!(
        partial.len(),
        1,
        "PARTIAL_SLAP guidance on the first attempt: {:?}",
        a[0]
    );
    assert_eq!(
        partial[0].finger,
        Some(v1::Finger::RightLittle as i32),
        "the missing finger is named (the little finger by default)"
    );
    assert!(a[1].accepted);
    complete_and_finalize(&d, &sid).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_hand_is_refused_with_guidance_then_accepted() {
    let d = Daemon::start_default().await;
    let session = open_session(&d, &nik(107)).await;
    let sid = session.session_id.clone();
    inject(&d, dev::FINGERPRINT, v1::FaultKind::WrongHand, 1).await;
    let s = capture(&d, &sid, T::LeftSlap).await;
    let result = capture_result(&s);
    assert_eq!(result.outcome(), v1::ItemOutcome::Accepted);
    let a = attempts(&s);
    assert_eq!(a.len(), 2, "{a:#?}");
    assert!(!a[0].accepted);
    assert!(
        guidance_codes(&a[0]).contains(&v1::GuidanceCode::WrongHand),
        "{:?}",
        a[0]
    );
    assert!(a[1].accepted);
    // The kept samples are the left hand's: the chain of the package names left fingers.
    let done = complete_and_finalize(&d, &sid).await;
    let names: Vec<String> = done
        .package
        .unwrap()
        .entries
        .iter()
        .filter(|e| e.kind() == v1::PackageEntryKind::Sample)
        .map(|e| item_name(e.item.as_ref().unwrap()))
        .collect();
    for f in LEFT_SLAP {
        assert_eq!(
            names.iter().filter(|n| *n == f).count(),
            1,
            "{f} once in {names:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_hand_twice_is_found_by_comparing_prints_then_the_other_hand_is_accepted() {
    let d = Daemon::start_default().await;
    let session = open_session(&d, &nik(108)).await;
    let sid = session.session_id.clone();
    capture_ok(&d, &sid, T::LeftSlap).await;
    // The scanner shows the left hand again, labelled as the right: only a comparison of
    // the prints can tell.
    inject(&d, dev::FINGERPRINT, v1::FaultKind::SameHandTwice, 1).await;
    let s = capture(&d, &sid, T::RightSlap).await;
    assert_eq!(capture_result(&s).outcome(), v1::ItemOutcome::Accepted);
    let a = attempts(&s);
    assert_eq!(a.len(), 2, "{a:#?}");
    assert!(!a[0].accepted);
    let codes = guidance_codes(&a[0]);
    assert!(codes.contains(&v1::GuidanceCode::WrongHand), "{codes:?}");
    let duplicates: Vec<v1::Finger> = a[0]
        .guidance
        .iter()
        .filter(|g| g.code() == v1::GuidanceCode::DuplicateFinger)
        .map(|g| g.finger())
        .collect();
    assert!(duplicates.len() >= 2, "{:?}", a[0].guidance);
    for f in &duplicates {
        assert!(
            RIGHT_SLAP.contains(
                &f.as_str_name()
                    .trim_start_matches("FINGER_")
                    .to_lowercase()
                    .as_str()
            ),
            "a duplicate names the slot of the new slap: {f:?}"
        );
    }
    assert!(a[1].accepted, "{:?}", a[1]);
    let later = guidance_codes(&a[1]);
    assert!(
        !later.contains(&v1::GuidanceCode::DuplicateFinger)
            && !later.contains(&v1::GuidanceCode::WrongHand),
        "{later:?}"
    );
    complete_and_finalize(&d, &sid).await;
}

// ------------------------------------------------------------------------------------------
// Card encoder and card printer

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn card_pulled_mid_write_rejects_the_card_and_retries_with_a_new_blank() {
    let d = Daemon::start_default().await;
    let nik = nik(201);
    let (sid, _) = enrol_baru(&d, &nik).await;
    let blanks = supplies(&d).await.blanks_remaining.unwrap();
    inject(&d, dev::ENCODER, v1::FaultKind::CardPulled, 1).await;
    let run = start_job(&d, &nik, &sid, true).await;
    let job = last_job(&run);
    let summary = step_summary(&job);
    assert_eq!(job.state(), v1::JobState::AwaitingActivation, "{summary:?}");
    let write_failed = job
        .steps
        .iter()
        .find(|s| s.step() == S::WriteChip && s.state() == v1::StepState::Failed)
        .unwrap_or_else(|| panic!("no failed WRITE_CHIP: {summary:?}"));
    assert_eq!(
        write_failed.reason(),
        v1::ErrorReason::CardRemoved,
        "{summary:?}"
    );
    assert!(
        job.steps.iter().any(|s| s.step() == S::RejectCard),
        "REJECT_CARD after the pull: {summary:?}"
    );
    assert_eq!(
        job.steps
            .iter()
            .filter(|s| s.step() == S::Feed && s.state() == v1::StepState::Done)
            .count(),
        2
    );
    assert_eq!(job.cards_spoiled, 1);
    let s = assert_counters(&d, 0, 1).await;
    assert_eq!(s.blanks_remaining, Some(blanks - 2), "two blanks used");
    activate_and_hand_over(&d, &job.job_id).await;
    assert_counters(&d, 1, 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chip_write_errors_on_every_card_defer_with_chip_faults() {
    let d = Daemon::start_default().await;
    let nik = nik(202);
    let (sid, _) = enrol_baru(&d, &nik).await;
    inject(&d, dev::ENCODER, v1::FaultKind::ChipWriteError, 0).await;
    let run = start_job(&d, &nik, &sid, true).await;
    let job = last_job(&run);
    let summary = step_summary(&job);
    assert_eq!(job.state(), v1::JobState::Deferred, "{summary:?}");
    assert_eq!(
        job.deferral(),
        v1::DeferralReason::ChipFaults,
        "{summary:?}"
    );
    assert_eq!(job.cards_spoiled, 3, "max_cards_per_job is 3: {summary:?}");
    let failed_writes: Vec<&v1::JobStepRecord> = job
        .steps
        .iter()
        .filter(|s| s.step() == S::WriteChip && s.state() == v1::StepState::Failed)
        .collect();
    assert_eq!(failed_writes.len(), 3, "{summary:?}");
    assert!(
        failed_writes
            .iter()
            .all(|s| s.reason() == v1::ErrorReason::ChipWriteFailed),
        "WRITE_CHIP fails with CHIP_WRITE_FAILED: {summary:?}"
    );
    assert_eq!(
        job.steps
            .iter()
            .filter(|s| s.step() == S::RejectCard)
            .count(),
        3,
        "{summary:?}"
    );
    assert!(
        !job.steps.iter().any(|s| s.step() == S::Print),
        "nothing printed on a bad chip: {summary:?}"
    );
    assert!(
        job.receipt_id.starts_with("rcp_"),
        "a pickup receipt is printed: {job:?}"
    );
    assert!(job.card_serial.is_empty() || job.state() != v1::JobState::HandedOver);
    assert_counters(&d, 0, 3).await;

    // The encoder works once the fault is gone: the resumed job makes the card.
    clear_faults(&d, dev::ENCODER).await;
    let resumed = last_job(&resume_job(&d, &job.job_id, None).await);
    assert_eq!(
        resumed.state(),
        v1::JobState::AwaitingActivation,
        "{:?}",
        step_summary(&resumed)
    );
    activate_and_hand_over(&d, &job.job_id).await;
    assert_counters(&d, 1, 3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blanks_empty_defers_with_a_receipt_then_resumes() {
    let d = Daemon::start_default().await;
    let nik = nik(203);
    let (sid, _) = enrol_baru(&d, &nik).await;
    inject(&d, dev::CARD_PRINTER, v1::FaultKind::BlanksEmpty, 0).await;
    let run = start_job(&d, &nik, &sid, true).await;
    let job = last_job(&run);
    let summary = step_summary(&job);
    assert_eq!(job.state(), v1::JobState::Deferred, "{summary:?}");
    assert_eq!(
        job.deferral(),
        v1::DeferralReason::OutOfBlanks,
        "{summary:?}"
    );
    assert!(
        job.receipt_id.starts_with("rcp_") && job.receipt_id.len() == 30,
        "{job:?}"
    );
    assert!(
        job.steps
            .iter()
            .any(|s| s.step() == S::PrintReceipt && s.state() == v1::StepState::Done),
        "the pickup receipt is printed: {summary:?}"
    );
    assert!(
        !job.steps.iter().any(|s| s.step() == S::WriteChip),
        "{summary:?}"
    );
    assert_eq!(job.cards_spoiled, 0);
    let s = assert_counters(&d, 0, 0).await;
    assert_eq!(
        s.blanks_remaining,
        Some(0),
        "the printer reports an empty hopper"
    );
    assert!(
        s.conditions
            .contains(&(v1::DeviceCondition::MediaEmpty as i32)),
        "{s:?}"
    );

    // Still empty: resuming defers again.
    let again = last_job(&resume_job(&d, &job.job_id, None).await);
    assert_eq!(
        again.state(),
        v1::JobState::Deferred,
        "{:?}",
        step_summary(&again)
    );
    assert_eq!(again.deferral(), v1::DeferralReason::OutOfBlanks);

    clear_faults(&d, dev::CARD_PRINTER).await;
    let resumed = last_job(&resume_job(&d, &job.job_id, None).await);
    assert_eq!(
        resumed.state(),
        v1::JobState::AwaitingActivation,
        "{:?}",
        step_summary(&resumed)
    );
    assert_eq!(resumed.deferral(), v1::DeferralReason::Unspecified);
    activate_and_hand_over(&d, &job.job_id).await;
    assert_counters(&d, 1, 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ribbon_out_defers_without_using_a_blank() {
    let d = Daemon::start_default().await;
    let nik = nik(204);
    let (sid, _) = enrol_baru(&d, &nik).await;
    let blanks = supplies(&d).await.blanks_remaining.unwrap();
    inject(&d, dev::CARD_PRINTER, v1::FaultKind::RibbonOut, 0).await;
    let run = start_job(&d, &nik, &sid, true).await;
    let job = last_job(&run);
    let summary = step_summary(&job);
    assert_eq!(job.state(), v1::JobState::Deferred, "{summary:?}");
    assert_eq!(job.deferral(), v1::DeferralReason::RibbonOut, "{summary:?}");
    assert!(job.receipt_id.starts_with("rcp_"), "{job:?}");
    let s = assert_counters(&d, 0, job.cards_spoiled).await;
    clear_faults(&d, dev::CARD_PRINTER).await;
    let resumed = last_job(&resume_job(&d, &job.job_id, None).await);
    assert_eq!(
        resumed.state(),
        v1::JobState::AwaitingActivation,
        "{:?}",
        step_summary(&resumed)
    );
    activate_and_hand_over(&d, &job.job_id).await;
    let after = assert_counters(&d, 1, resumed.cards_spoiled).await;
    assert_eq!(
        job.cards_spoiled, 0,
        "the ribbon is checked before a blank is fed: {summary:?}"
    );
    assert_eq!(
        s.blanks_remaining,
        Some(blanks),
        "no blank used while deferred"
    );
    assert_eq!(after.blanks_remaining, Some(blanks - 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jam_spoils_the_card_and_defers_with_printer_jam() {
    let d = Daemon::start_default().await;
    let nik = nik(205);
    let (sid, _) = enrol_baru(&d, &nik).await;
    inject(&d, dev::CARD_PRINTER, v1::FaultKind::Jam, 1).await;
    let run = start_job(&d, &nik, &sid, true).await;
    let job = last_job(&run);
    let summary = step_summary(&job);
    assert_eq!(job.state(), v1::JobState::Deferred, "{summary:?}");
    assert_eq!(
        job.deferral(),
        v1::DeferralReason::PrinterJam,
        "{summary:?}"
    );
    assert!(
        job.steps.iter().any(
            |s| s.state() == v1::StepState::Failed && s.reason() == v1::ErrorReason::PrinterJam
        ),
        "a step failed with PRINTER_JAM: {summary:?}"
    );
    assert!(job.receipt_id.starts_with("rcp_"), "{job:?}");
    // The blank jammed while it was fed: the printer's recovery put it in the reject bin. It
    // never became the job's card (the job's own count stays 0), but the station's supplies
    // count it as spoiled.
    assert_eq!(job.cards_spoiled, 0, "{summary:?}");
    let spoiled = assert_counters(&d, 0, 1).await.spoiled;

    // The technician clears the printer; the resumed job makes the card.
    clear_faults(&d, dev::CARD_PRINTER).await;
    let resumed = last_job(&resume_job(&d, &job.job_id, None).await);
    assert_eq!(
        resumed.state(),
        v1::JobState::AwaitingActivation,
        "{:?}",
        step_summary(&resumed)
    );
    activate_and_hand_over(&d, &job.job_id).await;
    assert_counters(&d, 1, spoiled).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn printer_offline_defers_with_printer_offline() {
    let d = Daemon::start_default().await;
    let nik = nik(206);
    let (sid, _) = enrol_baru(&d, &nik).await;
    inject(&d, dev::CARD_PRINTER, v1::FaultKind::PrinterOffline, 0).await;
    let run = start_job(&d, &nik, &sid, true).await;
    let job = last_job(&run);
    let summary = step_summary(&job);
    assert_eq!(job.state(), v1::JobState::Deferred, "{summary:?}");
    assert_eq!(
        job.deferral(),
        v1::DeferralReason::PrinterOffline,
        "{summary:?}"
    );
    assert!(
        job.receipt_id.starts_with("rcp_"),
        "the receipt printer still prints: {job:?}"
    );
    assert_eq!(job.cards_spoiled, 0, "{summary:?}");
    assert_counters(&d, 0, 0).await;
    clear_faults(&d, dev::CARD_PRINTER).await;
    let resumed = last_job(&resume_job(&d, &job.job_id, None).await);
    assert_eq!(
        resumed.state(),
        v1::JobState::AwaitingActivation,
        "{:?}",
        step_summary(&resumed)
    );
    activate_and_hand_over(&d, &job.job_id).await;
    assert_counters(&d, 1, 0).await;
}

// ------------------------------------------------------------------------------------------
// Activation

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn impostor_at_activation_never_activates_and_the_job_stays_awaiting() {
    let d = Daemon::start_default().await;
    let nik = nik(301);
    let (_, run) = enrol_and_start(&d, &nik, true).await;
    let job = last_job(&run);
    assert_eq!(
        job.state(),
        v1::JobState::AwaitingActivation,
        "{:?}",
        step_summary(&job)
    );
    inject(&d, dev::FINGERPRINT, v1::FaultKind::Impostor, 0).await;

    let act = activate(&d, &job.job_id).await;
    let result = activation_result(&act);
    assert!(!result.activated, "{result:?}");
    assert_eq!(result.reason(), v1::ErrorReason::FingerprintMismatch);
    let attempts: Vec<&v1::ActivationAttempt> = act
        .events
        .iter()
        .filter_map(|e| match e {
            v1::activation_event::Event::Attempt(a) => Some(a),
            _ => None,
        })
        .collect();
    assert_eq!(
        attempts.len(),
        4,
        "the default budget is 4 attempts: {attempts:#?}"
    );
    for (i, a) in attempts.iter().enumerate() {
        assert!(!a.matched, "{a:?}");
        assert_eq!(a.reason(), v1::ErrorReason::FingerprintMismatch, "{a:?}");
        assert_eq!(a.attempt as usize, i + 1);
        assert_eq!(a.attempts_left as usize, 3 - i);
        assert!(a.score < a.threshold, "{a:?}");
    }
    assert_eq!(
        result.job.as_ref().unwrap().state(),
        v1::JobState::AwaitingActivation
    );
    assert_eq!(
        get_job(&d, &job.job_id).await.state(),
        v1::JobState::AwaitingActivation
    );

    // No attempt left: Activate is refused; nothing was issued.
    let again = activate(&d, &job.job_id).await;
    assert_status(
        again.err(),
        Code::FailedPrecondition,
        v1::ErrorReason::RetryBudgetExhausted,
    );
    assert_eq!(
        get_job(&d, &job.job_id).await.state(),
        v1::JobState::AwaitingActivation
    );
    let handover = hand_over(&d, &job.job_id, true).await.unwrap_err();
    assert_status(
        &handover,
        Code::FailedPrecondition,
        v1::ErrorReason::StepOutOfOrder,
    );
    assert_counters(&d, 0, 0).await;

    // The scanner works for the next applicant.
    clear_faults(&d, dev::FINGERPRINT).await;
    let other = open_session(&d, &nik_female(302)).await;
    capture_ok(&d, &other.session_id, T::LeftSlap).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn impostor_twice_then_the_holder_activates() {
    let d = Daemon::start_default().await;
    let nik = nik(303);
    let (_, run) = enrol_and_start(&d, &nik, true).await;
    let job = last_job(&run);
    assert_eq!(
        job.state(),
        v1::JobState::AwaitingActivation,
        "{:?}",
        step_summary(&job)
    );
    inject(&d, dev::FINGERPRINT, v1::FaultKind::Impostor, 2).await;
    let act = activate(&d, &job.job_id).await;
    let result = activation_result(&act);
    assert!(result.activated, "{result:?}");
    let matched: Vec<bool> = act
        .events
        .iter()
        .filter_map(|e| match e {
            v1::activation_event::Event::Attempt(a) => Some(a.matched),
            _ => None,
        })
        .collect();
    assert_eq!(matched, [false, false, true]);
    let handed = hand_over(&d, &job.job_id, true).await.unwrap();
    assert_eq!(handed.state(), v1::JobState::HandedOver);
    assert_counters(&d, 1, 0).await;
}

// ------------------------------------------------------------------------------------------
// Records and injection itself

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn record_not_print_ready_defers_without_feeding_then_resumes_when_prr() {
    let d = Daemon::start_default().await;
    let nik = nik(401);
    let (_, run) = enrol_and_start(&d, &nik, false).await;
    let blanks = supplies(&d).await.blanks_remaining.unwrap();
    let job = last_job(&run);
    let summary = step_summary(&job);
    assert_eq!(job.state(), v1::JobState::Deferred, "{summary:?}");
    assert_eq!(job.deferral(), v1::DeferralReason::NotPrintReady);
    assert!(!job.prr);
    assert!(
        !job.steps.iter().any(|s| s.step() == S::Feed),
        "no card fed for a record not PRR: {summary:?}"
    );
    assert!(
        job.steps
            .iter()
            .any(|s| s.step() == S::PrintReceipt && s.state() == v1::StepState::Done),
        "{summary:?}"
    );
    assert!(job.receipt_id.starts_with("rcp_"), "{job:?}");
    assert_counters(&d, 0, 0).await;

    // Still not PRR: refused, nothing changes.
    let still = resume_job(&d, &job.job_id, Some(false)).await;
    assert_status(
        still.err(),
        Code::FailedPrecondition,
        v1::ErrorReason::NotPrintReady,
    );
    assert_eq!(get_job(&d, &job.job_id).await, job);

    let resumed = last_job(&resume_job(&d, &job.job_id, Some(true)).await);
    assert_eq!(
        resumed.state(),
        v1::JobState::AwaitingActivation,
        "{:?}",
        step_summary(&resumed)
    );
    assert!(resumed.prr);
    activate_and_hand_over(&d, &job.job_id).await;
    let s = assert_counters(&d, 1, 0).await;
    assert_eq!(
        s.blanks_remaining,
        Some(blanks - 1),
        "one blank used, after PRR only"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inject_fault_refuses_unknown_devices_and_bad_faults() {
    let d = Daemon::start_default().await;
    let mut devices = d.devices().await;
    let busy = v1::FaultKind::Busy as i32;
    let unspecified = v1::FaultKind::Unspecified as i32;
    let cases = [
        (
            "sim:fingerprint:9",
            busy,
            "a device that does not exist",
            Code::NotFound,
            v1::ErrorReason::DeviceNotFound,
        ),
        (
            "usb-aes3500:fingerprint:0",
            busy,
            "a device that is not configured",
            Code::NotFound,
            v1::ErrorReason::DeviceNotFound,
        ),
        (
            "not a device id",
            busy,
            "a malformed id",
            Code::InvalidArgument,
            v1::ErrorReason::InvalidArgument,
        ),
        (
            dev::FINGERPRINT,
            unspecified,
            "no kind",
            Code::InvalidArgument,
            v1::ErrorReason::InvalidArgument,
        ),
        (
            dev::FINGERPRINT,
            77,
            "an unknown kind",
            Code::InvalidArgument,
            v1::ErrorReason::InvalidArgument,
        ),
    ];
    for (device_id, kind, what, code, reason) in cases {
        let status = err(
            devices
                .inject_fault(v1::InjectFaultRequest {
                    device_id: device_id.into(),
                    fault: Some(v1::Fault {
                        kind,
                        count: 1,
                        finger: None,
                    }),
                })
                .await,
            &format!("InjectFault on {what}"),
        );
        assert_status(&status, code, reason);
        if kind == 77 {
            assert_eq!(metadata(&status, "field").as_deref(), Some("fault.kind"));
        }
    }
    let status = err(
        devices
            .clear_faults(v1::ClearFaultsRequest {
                device_id: "sim:face:3".into(),
            })
            .await,
        "ClearFaults on a device that does not exist",
    );
    assert_status(&status, Code::NotFound, v1::ErrorReason::DeviceNotFound);
    // Nothing was injected: every device is ready.
    wait_devices(&d, Duration::from_secs(5), "every device ready", |list| {
        list.len() == 7 && list.iter().all(|dv| dv.state() == v1::DeviceState::Ready)
    })
    .await;
}
