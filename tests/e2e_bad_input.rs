//! Bad input at the gRPC boundary of a running `rekamd`: malformed NIKs, unknown and malformed
//! ids, steps out of order, oversized payloads and messages, unknown enum values, missing
//! documents, ineligible applicants, a second session for the same resident. Each is refused
//! with the status code and `ErrorInfo.reason` the contract names, and nothing changes: the
//! session or job reads the same before and after.
#![allow(clippy::unwrap_used)]

use rekam_e2e::*;
use tonic::Code;
use v1::CaptureTarget as T;

/// Well-formed ids that name nothing.
const UNKNOWN_SESSION: &str = "ses_01JD3Z6K8T9W4Q2M5N7P0R1S2V";
const UNKNOWN_JOB: &str = "job_01JD3Z6K8T9W4Q2M5N7P0R1S2V";

async fn list_sessions(d: &Daemon) -> Vec<v1::Session> {
    ok(
        d.enrolment()
            .await
            .list_sessions(v1::ListSessionsRequest::default())
            .await,
        "ListSessions",
    )
    .sessions
}

async fn open(d: &Daemon, req: v1::OpenSessionRequest) -> Result<v1::Session, tonic::Status> {
    d.enrolment()
        .await
        .open_session(req)
        .await
        .map(tonic::Response::into_inner)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_niks_are_refused_with_invalid_nik() {
    let d = Daemon::start_default().await;
    let before = list_sessions(&d).await;
    let bad = [
        ("15 digits", "350801120399001"),
        ("17 digits", "35080112039900011"),
        ("a letter", "35080112039900a1"),
        ("empty", ""),
        ("unknown province 99", "9908011203990001"),
        ("province 00", "0008011203990001"),
        ("regency 00", "3500011203990001"),
        ("day 32", "3508013203990001"),
        ("day 72 (32 + 40)", "3508017203990001"),
        ("month 13", "3508011213990001"),
        ("30 February", "3508013002990001"),
        ("serial 0000", "3508011203990000"),
        ("spaces", "3508 0112 0399 01"),
    ];
    for (what, nik) in bad {
        let status = open(&d, baru_request(nik)).await.unwrap_err();
        assert_eq!(
            (status.code(), rekam_proto::status::reason_of(&status)),
            (Code::InvalidArgument, Some(v1::ErrorReason::InvalidNik)),
            "{what}: {}",
            describe(&status)
        );
        assert_eq!(
            metadata(&status, "field").as_deref(),
            Some("nik"),
            "{what}: {}",
            describe(&status)
        );
        if nik.len() >= 12 {
            assert!(
                !status.message().contains(nik),
                "{what}: the message repeats the NIK"
            );
        }
    }
    assert_eq!(list_sessions(&d).await, before, "no session was opened");
    // The log never repeats a refused NIK either.
    let log = d.log();
    assert!(
        !log.contains("3508011203990000") && !log.contains("3508013203990001"),
        "a NIK reached the log"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_ids_are_not_found_and_malformed_ids_are_invalid() {
    let d = Daemon::start_default().await;
    let mut enrol = d.enrolment().await;
    let mut issue = d.issuance().await;

    // Unknown but well-formed.
    let s = err(
        enrol
            .get_session(v1::GetSessionRequest {
                session_id: UNKNOWN_SESSION.into(),
            })
            .await,
        "GetSession unknown",
    );
    assert_status(&s, Code::NotFound, v1::ErrorReason::SessionNotFound);
    assert_eq!(metadata(&s, "session_id").as_deref(), Some(UNKNOWN_SESSION));
    let c = capture(&d, UNKNOWN_SESSION, T::Face).await;
    assert_status(c.err(), Code::NotFound, v1::ErrorReason::SessionNotFound);
    let s = err(
        enrol
            .finalize_session(v1::FinalizeSessionRequest {
                session_id: UNKNOWN_SESSION.into(),
                operator_id: OPERATOR.into(),
            })
            .await,
        "FinalizeSession unknown",
    );
    assert_status(&s, Code::NotFound, v1::ErrorReason::SessionNotFound);
    let s = err(
        enrol
            .cancel_session(v1::CancelSessionRequest {
                session_id: UNKNOWN_SESSION.into(),
                reason: "test".into(),
                operator_id: OPERATOR.into(),
            })
            .await,
        "CancelSession unknown",
    );
    assert_status(&s, Code::NotFound, v1::ErrorReason::SessionNotFound);
    let s = err(
        issue
            .get_job(v1::GetJobRequest {
                job_id: UNKNOWN_JOB.into(),
            })
            .await,
        "GetJob unknown",
    );
    assert_status(&s, Code::NotFound, v1::ErrorReason::JobNotFound);
    assert_eq!(metadata(&s, "job_id").as_deref(), Some(UNKNOWN_JOB));
    let a = activate(&d, UNKNOWN_JOB).await;
    assert_status(a.err(), Code::NotFound, v1::ErrorReason::JobNotFound);
    let r = resume_job(&d, UNKNOWN_JOB, None).await;
    assert_status(r.err(), Code::NotFound, v1::ErrorReason::JobNotFound);
    let h = hand_over(&d, UNKNOWN_JOB, true).await.unwrap_err();
    assert_status(&h, Code::NotFound, v1::ErrorReason::JobNotFound);
    let s = err(
        issue
            .cancel_job(v1::CancelJobRequest {
                job_id: UNKNOWN_JOB.into(),
                reason: "test".into(),
                operator_id: OPERATOR.into(),
            })
            .await,
        "CancelJob unknown",
    );
    assert_status(&s, Code::NotFound, v1::ErrorReason::JobNotFound);
    // A StartJob from a session that does not exist.
    let run = collect(
        issue
            .start_job(job_request(&nik(1), UNKNOWN_SESSION, true))
            .await,
    )
    .await;
    assert_status(run.err(), Code::NotFound, v1::ErrorReason::SessionNotFound);

    // Malformed.
    for bad in [
        "",
        "ses_",
        "ses_xyz",
        "job_01JD3Z6K8T9W4Q2M5N7P0R1S2V",
        "ses_01JD3Z6K8T9W4Q2M5N7P0R1S2V0",
        "ses_01jd3z6k8t9w4q2m5n7p0r1s2!",
    ] {
        let s = err(
            enrol
                .get_session(v1::GetSessionRequest {
                    session_id: bad.into(),
                })
                .await,
            "GetSession malformed",
        );
        assert_status(&s, Code::InvalidArgument, v1::ErrorReason::InvalidArgument);
        assert_eq!(
            metadata(&s, "field").as_deref(),
            Some("session_id"),
            "{bad:?}: {}",
            describe(&s)
        );
        let c = capture(&d, bad, T::Face).await;
        assert_status(
            c.err(),
            Code::InvalidArgument,
            v1::ErrorReason::InvalidArgument,
        );
    }
    for bad in [
        "",
        "job_!",
        "ses_01JD3Z6K8T9W4Q2M5N7P0R1S2V",
        "job 01JD3Z6K8T9W4Q2M5N7P0R1S2V",
    ] {
        let s = err(
            issue
                .get_job(v1::GetJobRequest { job_id: bad.into() })
                .await,
            "GetJob malformed",
        );
        assert_status(&s, Code::InvalidArgument, v1::ErrorReason::InvalidArgument);
        assert_eq!(
            metadata(&s, "field").as_deref(),
            Some("job_id"),
            "{bad:?}: {}",
            describe(&s)
        );
        let a = activate(&d, bad).await;
        assert_status(
            a.err(),
            Code::InvalidArgument,
            v1::ErrorReason::InvalidArgument,
        );
        let h = hand_over(&d, bad, true).await.unwrap_err();
        assert_status(&h, Code::InvalidArgument, v1::ErrorReason::InvalidArgument);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn steps_out_of_order_are_refused_and_change_nothing() {
    let d = Daemon::start_default().await;
    let session = open_session(&d, &nik(11)).await;
    let sid = session.session_id.clone();
    capture_ok(&d, &sid, T::Face).await;

    // Finalize an incomplete session.
    let before = get_session(&d, &sid).await;
    let s = err(
        d.enrolment()
            .await
            .finalize_session(v1::FinalizeSessionRequest {
                session_id: sid.clone(),
                operator_id: OPERATOR.into(),
            })
            .await,
        "FinalizeSession of an incomplete session",
    );
    assert_status(
        &s,
        Code::FailedPrecondition,
        v1::ErrorReason::SessionNotComplete,
    );
    let missing = metadata(&s, "missing").unwrap_or_default();
    for target in ["LEFT_SLAP", "RIGHT_SLAP", "THUMBS", "IRISES", "SIGNATURE"] {
        assert!(
            missing.contains(target),
            "missing names {target}: {missing:?}"
        );
    }
    assert!(
        !missing.contains("CAPTURE_TARGET_FACE")
            && !missing.split(',').any(|m| m.trim().ends_with("FACE")),
        "the face is captured: {missing:?}"
    );
    assert_eq!(
        get_session(&d, &sid).await,
        before,
        "a refused finalize changes nothing"
    );

    // A job from a session that is not finalized.
    let run = start_job(&d, &nik(11), &sid, true).await;
    assert_status(
        run.err(),
        Code::FailedPrecondition,
        v1::ErrorReason::StepOutOfOrder,
    );
    assert_eq!(get_session(&d, &sid).await, before);

    // Cancel, then capture on the cancelled session.
    let cancelled = ok(
        d.enrolment()
            .await
            .cancel_session(v1::CancelSessionRequest {
                session_id: sid.clone(),
                reason: "applicant left".into(),
                operator_id: OPERATOR.into(),
            })
            .await,
        "CancelSession",
    );
    assert_eq!(cancelled.state(), v1::SessionState::Cancelled);
    assert_eq!(cancelled.cancel_reason, "applicant left");
    let before = get_session(&d, &sid).await;
    let c = capture(&d, &sid, T::LeftSlap).await;
    assert_status(
        c.err(),
        Code::FailedPrecondition,
        v1::ErrorReason::StepOutOfOrder,
    );
    let s = err(
        d.enrolment()
            .await
            .finalize_session(v1::FinalizeSessionRequest {
                session_id: sid.clone(),
                operator_id: OPERATOR.into(),
            })
            .await,
        "FinalizeSession of a cancelled session",
    );
    assert_status(
        &s,
        Code::FailedPrecondition,
        v1::ErrorReason::StepOutOfOrder,
    );
    assert_eq!(
        get_session(&d, &sid).await,
        before,
        "refused calls change nothing"
    );

    // A job that is not awaiting activation (deferred: the record is not PRR).
    let nik2 = nik(12);
    let (sid2, _) = enrol_baru(&d, &nik2).await;
    let job = last_job(&start_job(&d, &nik2, &sid2, false).await);
    assert_eq!(
        job.state(),
        v1::JobState::Deferred,
        "{:?}",
        step_summary(&job)
    );
    let h = hand_over(&d, &job.job_id, true).await.unwrap_err();
    assert_status(
        &h,
        Code::FailedPrecondition,
        v1::ErrorReason::StepOutOfOrder,
    );
    assert_eq!(
        get_job(&d, &job.job_id).await,
        job,
        "refused calls change nothing"
    );
    // Activating a deferred job is out of order.
    let a = activate(&d, &job.job_id).await;
    assert_status(
        a.err(),
        Code::FailedPrecondition,
        v1::ErrorReason::StepOutOfOrder,
    );
    assert_eq!(
        get_job(&d, &job.job_id).await,
        job,
        "a refused activation changes nothing"
    );
}

/// The job ids the station lists.
async fn job_ids(d: &Daemon) -> Vec<String> {
    ok(
        d.issuance()
            .await
            .list_jobs(v1::ListJobsRequest::default())
            .await,
        "ListJobs",
    )
    .jobs
    .into_iter()
    .map(|j| j.job_id)
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_used_by_a_job_cannot_start_a_second_one() {
    let d = Daemon::start_default().await;
    let nik = nik(21);
    let (sid, _) = enrol_baru(&d, &nik).await;
    let job = last_job(&start_job(&d, &nik, &sid, false).await);
    assert_eq!(
        job.state(),
        v1::JobState::Deferred,
        "{:?}",
        step_summary(&job)
    );
    let second = start_job(&d, &nik, &sid, true).await;
    assert_eq!(
        job_ids(&d).await,
        std::slice::from_ref(&job.job_id),
        "only one job exists for the session"
    );
    assert_status(
        second.err(),
        Code::FailedPrecondition,
        v1::ErrorReason::StepOutOfOrder,
    );
    assert_eq!(get_job(&d, &job.job_id).await, job);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_for_another_nik_than_the_sessions_is_refused() {
    let d = Daemon::start_default().await;
    let nik = nik(22);
    let (sid, _) = enrol_baru(&d, &nik).await;
    let other = start_job(&d, &nik_female(23), &sid, true).await;
    assert!(job_ids(&d).await.is_empty(), "no job was created");
    assert_status(
        other.err(),
        Code::FailedPrecondition,
        v1::ErrorReason::StepOutOfOrder,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hand_over_without_a_signed_receipt_is_refused() {
    let d = Daemon::start_default().await;
    let nik = nik(14);
    let (sid, _) = enrol_baru(&d, &nik).await;
    let job = last_job(&start_job(&d, &nik, &sid, true).await);
    assert_eq!(
        job.state(),
        v1::JobState::AwaitingActivation,
        "{:?}",
        step_summary(&job)
    );
    // Not activated yet.
    let h = hand_over(&d, &job.job_id, true).await.unwrap_err();
    assert_status(
        &h,
        Code::FailedPrecondition,
        v1::ErrorReason::StepOutOfOrder,
    );
    let result = activation_result(&activate(&d, &job.job_id).await);
    assert!(result.activated, "{result:?}");
    let before = get_job(&d, &job.job_id).await;
    assert_eq!(before.state(), v1::JobState::Activated);
    let h = hand_over(&d, &job.job_id, false).await.unwrap_err();
    assert_status(
        &h,
        Code::FailedPrecondition,
        v1::ErrorReason::ReceiptNotSigned,
    );
    assert_eq!(
        get_job(&d, &job.job_id).await,
        before,
        "a refused handover changes nothing"
    );
    assert_eq!(
        supplies(&d).await.issued,
        0,
        "nothing is issued before the handover"
    );
    // Activated once: activating again is out of order.
    let again = activate(&d, &job.job_id).await;
    let handed = hand_over(&d, &job.job_id, true).await.unwrap();
    assert_eq!(handed.state(), v1::JobState::HandedOver);
    assert_eq!(supplies(&d).await.issued, 1);
    assert_status(
        again.err(),
        Code::FailedPrecondition,
        v1::ErrorReason::StepOutOfOrder,
    );
}

fn exception_request(sid: &str, photo: Vec<u8>) -> v1::RecordExceptionRequest {
    v1::RecordExceptionRequest {
        session_id: sid.into(),
        item: Some(v1::ItemKey {
            item: Some(v1::item_key::Item::Finger(v1::Finger::LeftLittle.into())),
        }),
        reason: v1::ExceptionReason::Bandaged.into(),
        permanence: v1::Permanence::Temporary.into(),
        operator_id: OPERATOR.into(),
        photo_jpeg: photo,
        note: String::new(),
    }
}

/// `len` bytes that start like a JPEG.
fn fake_jpeg(len: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; len];
    bytes[..4].copy_from_slice(&[0xFF, 0xD8, 0xFF, 0xE0]);
    bytes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exception_photo_over_2_mib_is_payload_too_large() {
    let d = Daemon::start_default().await;
    let session = open_session(&d, &nik(15)).await;
    let sid = session.session_id.clone();
    let before = get_session(&d, &sid).await;
    let s = err(
        d.enrolment()
            .await
            .record_exception(exception_request(&sid, fake_jpeg(2 * 1024 * 1024 + 1)))
            .await,
        "RecordException with a photo over 2 MiB",
    );
    assert_status(&s, Code::InvalidArgument, v1::ErrorReason::PayloadTooLarge);
    assert_eq!(
        metadata(&s, "field").as_deref(),
        Some("photo_jpeg"),
        "{}",
        describe(&s)
    );
    assert_eq!(get_session(&d, &sid).await, before, "nothing recorded");
    // The limit is documented as metadata too.
    assert_eq!(
        metadata(&s, "limit").as_deref(),
        Some("2097152"),
        "PAYLOAD_TOO_LARGE carries metadata `limit`: {}",
        describe(&s)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_over_max_message_bytes_is_refused_by_the_transport() {
    let d = Daemon::start(DaemonOptions {
        max_message_bytes: Some(1024 * 1024),
        ..DaemonOptions::default()
    })
    .await;
    let session = open_session(&d, &nik(16)).await;
    let sid = session.session_id.clone();
    let before = get_session(&d, &sid).await;
    // 1.5 MiB: under the photo's own 2 MiB limit, over the daemon's 1 MiB message limit.
    let s = err(
        d.enrolment()
            .await
            .record_exception(exception_request(&sid, fake_jpeg(1536 * 1024)))
            .await,
        "RecordException over max_message_bytes",
    );
    assert!(
        matches!(s.code(), Code::OutOfRange | Code::ResourceExhausted),
        "the transport refuses the message: {}",
        describe(&s)
    );
    assert_eq!(get_session(&d, &sid).await, before, "nothing recorded");
    // The daemon still serves, and a photo within limits is recorded.
    let after = ok(
        d.enrolment()
            .await
            .record_exception(exception_request(&sid, fake_jpeg(64 * 1024)))
            .await,
        "RecordException within limits",
    );
    let little = after
        .items
        .iter()
        .find(|i| item_name(i.item.as_ref().unwrap()) == "left_little")
        .unwrap();
    assert_eq!(little.state(), v1::ItemState::Excepted);
    assert_eq!(
        little.exception.as_ref().unwrap().photo_sha256,
        sha256_hex(&fake_jpeg(64 * 1024))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_enum_values_are_invalid_and_name_the_field() {
    let d = Daemon::start_default().await;
    let before = list_sessions(&d).await;
    let mut req = baru_request(&nik(17));
    req.application_type = 99;
    let s = open(&d, req).await.unwrap_err();
    assert_status(&s, Code::InvalidArgument, v1::ErrorReason::InvalidArgument);
    assert_eq!(
        metadata(&s, "field").as_deref(),
        Some("application_type"),
        "{}",
        describe(&s)
    );
    let mut req = baru_request(&nik(17));
    req.application_type = 0;
    let s = open(&d, req).await.unwrap_err();
    assert_status(&s, Code::InvalidArgument, v1::ErrorReason::InvalidArgument);
    assert_eq!(metadata(&s, "field").as_deref(), Some("application_type"));
    let mut req = baru_request(&nik(17));
    req.marital_status = 12;
    let s = open(&d, req).await.unwrap_err();
    assert_status(&s, Code::InvalidArgument, v1::ErrorReason::InvalidArgument);
    assert_eq!(metadata(&s, "field").as_deref(), Some("marital_status"));
    assert_eq!(list_sessions(&d).await, before);

    let session = open_session(&d, &nik(17)).await;
    let before = get_session(&d, &session.session_id).await;
    let call = d
        .enrolment()
        .await
        .capture(v1::CaptureRequest {
            session_id: session.session_id.clone(),
            target: 42,
            operator_id: OPERATOR.into(),
            device_id: String::new(),
        })
        .await;
    let c = collect(call).await;
    assert_status(
        c.err(),
        Code::InvalidArgument,
        v1::ErrorReason::InvalidArgument,
    );
    assert_eq!(metadata(c.err(), "field").as_deref(), Some("target"));
    let c = capture(&d, &session.session_id, T::Unspecified).await;
    assert_status(
        c.err(),
        Code::InvalidArgument,
        v1::ErrorReason::InvalidArgument,
    );
    assert_eq!(metadata(c.err(), "field").as_deref(), Some("target"));
    let mut exc = exception_request(&session.session_id, fake_jpeg(1024));
    exc.reason = 31;
    let s = err(
        d.enrolment().await.record_exception(exc).await,
        "RecordException reason 31",
    );
    assert_status(&s, Code::InvalidArgument, v1::ErrorReason::InvalidArgument);
    assert_eq!(metadata(&s, "field").as_deref(), Some("reason"));
    assert_eq!(get_session(&d, &session.session_id).await, before);
    // ListSessions with an unknown state filter.
    let s = err(
        d.enrolment()
            .await
            .list_sessions(v1::ListSessionsRequest {
                state: 9,
                ..Default::default()
            })
            .await,
        "ListSessions state 9",
    );
    assert_status(&s, Code::InvalidArgument, v1::ErrorReason::InvalidArgument);
    assert_eq!(metadata(&s, "field").as_deref(), Some("state"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_capture_on_a_device_of_another_family_or_unknown_is_refused() {
    let d = Daemon::start_default().await;
    let session = open_session(&d, &nik(18)).await;
    let before = get_session(&d, &session.session_id).await;
    // A chosen device: of another family, unknown, or not an id at all, is refused before
    // anything is captured.
    let on = |device: &str| v1::CaptureRequest {
        session_id: session.session_id.clone(),
        target: T::Face.into(),
        operator_id: OPERATOR.into(),
        device_id: device.into(),
    };
    let c = collect(d.enrolment().await.capture(on(dev::IRIS)).await).await;
    assert_status(
        c.err(),
        Code::InvalidArgument,
        v1::ErrorReason::InvalidArgument,
    );
    assert_eq!(metadata(c.err(), "field").as_deref(), Some("device_id"));
    let c = collect(d.enrolment().await.capture(on("sim:face:9")).await).await;
    assert_eq!(c.err().code(), Code::NotFound, "{}", describe(c.err()));
    let c = collect(d.enrolment().await.capture(on("not a device")).await).await;
    assert_status(
        c.err(),
        Code::InvalidArgument,
        v1::ErrorReason::InvalidArgument,
    );
    assert_eq!(metadata(c.err(), "field").as_deref(), Some("device_id"));
    assert_eq!(get_session(&d, &session.session_id).await, before);
    // The right family's device captures.
    let c = collect(d.enrolment().await.capture(on(dev::FACE)).await).await;
    c.ok();
    assert!(
        c.events.iter().any(|e| matches!(
            e.event,
            Some(v1::capture_event::Event::Result(ref r))
                if r.outcome == i32::from(v1::ItemOutcome::Accepted)
        )),
        "a face capture on {} gave no captured result: {:?}",
        dev::FACE,
        c.events.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_record_that_disagrees_with_its_nik_is_invalid() {
    let d = Daemon::start_default().await;
    let nik = nik(18);
    let (sid, _) = enrol_baru(&d, &nik).await;
    let mut issue = d.issuance().await;
    type Edit = fn(&mut v1::CardRecord);
    let cases: [(&str, Edit, v1::ErrorReason, &str); 4] = [
        (
            "birth date",
            |r| r.date_of_birth = "1999-03-13".into(),
            v1::ErrorReason::InvalidArgument,
            "record.date_of_birth",
        ),
        (
            "sex",
            |r| r.sex = v1::Sex::Perempuan.into(),
            v1::ErrorReason::InvalidArgument,
            "record.sex",
        ),
        (
            "NIK",
            |r| r.nik = "3508011203990000".into(),
            v1::ErrorReason::InvalidNik,
            "record.nik",
        ),
        (
            "name of 61 characters",
            |r| r.name = "X".repeat(61),
            v1::ErrorReason::PayloadTooLarge,
            "record.name",
        ),
    ];
    let mut statuses = Vec::new();
    for (what, edit, reason, _) in &cases {
        let mut req = job_request(&nik, &sid, true);
        edit(req.record.as_mut().unwrap());
        let run = collect(issue.start_job(req).await).await;
        let status = run.err().clone();
        assert_eq!(
            status.code(),
            Code::InvalidArgument,
            "{what}: {}",
            describe(&status)
        );
        if *what != "name of 61 characters" {
            assert_eq!(
                rekam_proto::status::reason_of(&status),
                Some(*reason),
                "{what}: {}",
                describe(&status)
            );
        }
        statuses.push(status);
    }
    // No job was created by any of them.
    let jobs = ok(
        issue.list_jobs(v1::ListJobsRequest::default()).await,
        "ListJobs",
    )
    .jobs;
    assert!(jobs.is_empty(), "{jobs:?}");
    // The `field` metadata names the record field by its request path.
    let wrong: Vec<String> = cases
        .iter()
        .zip(&statuses)
        .filter(|((_, _, _, field), status)| metadata(status, "field").as_deref() != Some(*field))
        .map(|((what, _, _, field), status)| {
            format!("{what}: expected field {field:?}, got {}", describe(status))
        })
        .collect();
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hilang_without_the_police_report_is_documents_missing() {
    let d = Daemon::start_default().await;
    let before = list_sessions(&d).await;
    let req = v1::OpenSessionRequest {
        nik: nik(19),
        application_type: v1::ApplicationType::Hilang.into(),
        documents: vec!["KK_COPY".into()],
        marital_status: v1::MaritalStatus::Kawin.into(),
        previously_recorded: true,
        operator_id: OPERATOR.into(),
        request_id: String::new(),
    };
    let s = open(&d, req.clone()).await.unwrap_err();
    assert_status(
        &s,
        Code::FailedPrecondition,
        v1::ErrorReason::DocumentsMissing,
    );
    assert!(
        metadata(&s, "missing")
            .unwrap_or_default()
            .contains("POLICE_LOSS_REPORT"),
        "{}",
        describe(&s)
    );
    assert_eq!(list_sessions(&d).await, before);
    // With the report it opens.
    let mut with = req;
    with.documents.push("POLICE_LOSS_REPORT".into());
    let session = open(&d, with).await.unwrap();
    assert_eq!(session.application_type(), v1::ApplicationType::Hilang);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_17_and_never_married_is_not_eligible() {
    let d = Daemon::start_default().await;
    let before = list_sessions(&d).await;
    // Born 12 May 2015: a child.
    let child = "3508011205150007";
    let s = open(&d, baru_request(child)).await.unwrap_err();
    assert_status(&s, Code::FailedPrecondition, v1::ErrorReason::NotEligible);
    assert!(!s.message().contains(child));
    assert_eq!(list_sessions(&d).await, before);
    // Married (with the marriage certificate), the same age is eligible.
    let mut married = baru_request(child);
    married.marital_status = v1::MaritalStatus::Kawin.into();
    married.documents.push("MARRIAGE_CERTIFICATE".into());
    let session = open(&d, married).await.unwrap();
    assert_eq!(session.state(), v1::SessionState::Open);
    assert!(!d.log().contains(child), "the NIK reached the log");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_open_session_for_the_same_nik_is_refused() {
    let d = Daemon::start_default().await;
    let nik = nik(20);
    let first = open_session(&d, &nik).await;
    let before = list_sessions(&d).await;
    let s = open(&d, baru_request(&nik)).await.unwrap_err();
    assert_status(
        &s,
        Code::FailedPrecondition,
        v1::ErrorReason::StepOutOfOrder,
    );
    assert_eq!(
        metadata(&s, "session_id").as_deref(),
        Some(first.session_id.as_str()),
        "{}",
        describe(&s)
    );
    assert_eq!(list_sessions(&d).await, before);
    // Once the first is cancelled, a new one opens.
    ok(
        d.enrolment()
            .await
            .cancel_session(v1::CancelSessionRequest {
                session_id: first.session_id.clone(),
                reason: "wrong application type".into(),
                operator_id: OPERATOR.into(),
            })
            .await,
        "CancelSession",
    );
    let second = open_session(&d, &nik).await;
    assert_ne!(second.session_id, first.session_id);
}

/// `rekamd --check-config` on a file with a bad `[matching]` value: exit 64, and the error
/// names the file, the line and the key. The same file with good values passes.
#[test]
fn bad_matching_config_is_refused_by_check_config() {
    let dir = tempfile::tempdir().unwrap();
    let check = |matching: &str| {
        let path = dir.path().join("rekamd.toml");
        let text = format!("{matching}\n[[devices]]\nselector = \"sim:fingerprint\"\n");
        std::fs::write(&path, text).unwrap();
        let out = std::process::Command::new(rekamd_bin())
            .arg("--check-config")
            .arg("--config")
            .arg(&path)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    for (matching, key) in [
        (
            "[matching]\ntemplate_fingers = [\"right_index\", \"right_index\"]",
            "matching.template_fingers",
        ),
        (
            "[matching]\ntemplate_fingers = [\"right_index\", \"left_pinky\"]",
            "matching.template_fingers",
        ),
        ("[matching]\nthreshold = 0", "matching.threshold"),
        ("[matching]\nmax_minutiae = 5", "matching.max_minutiae"),
        (
            "[matching]\ntemplate_bytes = 1000",
            "matching.template_bytes",
        ),
    ] {
        let (code, stderr) = check(matching);
        assert_eq!(code, Some(64), "{matching}: {stderr}");
        assert!(stderr.contains("rekamd.toml:2"), "{matching}: {stderr}");
        assert!(stderr.contains(key), "{matching}: {stderr}");
    }
    let (code, stderr) =
        check("[matching]\nthreshold = 80\ntemplate_fingers = [\"left_index\", \"right_index\"]");
    assert_eq!(code, Some(0), "{stderr}");
}
