//! Unit tests of the issuance job rules.

use super::*;
use crate::enrolment::{AttemptData, BlobRef, CaptureTarget, OpenSession};
use crate::error::WorkflowErrorKind;
use rekam_card::{BloodType, Citizenship, MaritalStatus, Religion, Sex, ValidUntil};
use time::macros::{date, datetime};
use time::Duration as TDuration;

const SITI: &str = "3508014501000001";

fn op() -> OperatorId {
    OperatorId::new("op.siti").unwrap()
}

fn jid() -> JobId {
    "job_01JD3Z6K8T9W4Q2M5N7P0R1S2V".parse().unwrap()
}

fn rid(n: u8) -> ReceiptId {
    format!("rcp_01JD3Z6K8T9W4Q2M5N7P0R1S{n:02}")
        .parse()
        .unwrap()
}

fn t0() -> OffsetDateTime {
    datetime!(2025-01-06 09:00 +07:00)
}

fn record(prr: bool) -> CardRecord {
    CardRecord {
        nik: Nik::parse(SITI).unwrap(),
        name: "Siti Aminah".into(),
        place_of_birth: "Lumajang".into(),
        date_of_birth: date!(2000 - 01 - 05),
        sex: Sex::Female,
        blood_type: BloodType::A,
        address: "Jl. Raya Senduro No. 12".into(),
        rt_rw: "003/004".into(),
        village: "Senduro".into(),
        district: "Senduro".into(),
        regency: "Kabupaten Lumajang".into(),
        province: "Jawa Timur".into(),
        religion: Religion::Islam,
        marital_status: MaritalStatus::BelumKawin,
        occupation: "Pelajar/Mahasiswa".into(),
        citizenship: Citizenship::Wni,
        valid_until: ValidUntil::Lifetime,
        prr,
        place_of_issue: "Lumajang".into(),
        date_of_issue: date!(2025 - 01 - 06),
    }
}

/// A finalized BARU session for SITI.
fn session() -> Session {
    let events = Session::decide_open(
        &OpenSession {
            session_id: "ses_01JD3Z6K8T9W4Q2M5N7P0R1S2V".parse().unwrap(),
            nik: Nik::parse(SITI).unwrap(),
            application_type: ApplicationType::Baru,
            documents: vec!["KK_COPY".into()],
            marital_status: MaritalStatus::BelumKawin,
            previously_recorded: false,
            operator: op(),
            today: date!(2025 - 01 - 06),
            at: t0(),
        },
        &WorkflowConfig::default(),
    )
    .unwrap();
    let mut s = Session::replay(&events).unwrap();
    for (n, t) in CaptureTarget::ALL.into_iter().enumerate() {
        let items = t.items();
        let d = AttemptData {
            qualities: items.iter().map(|k| (*k, 90)).collect(),
            guidance: vec![],
            measures: vec![],
            blobs: items
                .iter()
                .enumerate()
                .map(|(i, k)| {
                    (
                        *k,
                        BlobRef {
                            id: format!("{:064x}", n * 10 + i + 1),
                            media_type: "image/png".into(),
                            size: 10,
                        },
                    )
                })
                .collect(),
            operator: op(),
            at: t0(),
        };
        for e in s.decide_attempt(t, d).unwrap() {
            s.apply(&e).unwrap();
        }
    }
    let pkg = "pkg_01JD3Z6K8T9W4Q2M5N7P0R1S2V".parse().unwrap();
    for e in s.decide_finalize(pkg, vec![], op(), t0()).unwrap() {
        s.apply(&e).unwrap();
    }
    s
}

struct Harness {
    job: Job,
    log: Vec<JobEvent>,
    at: OffsetDateTime,
}

impl Harness {
    fn new(ty: ApplicationType, prr: bool, config: &WorkflowConfig) -> Harness {
        let s = session();
        let cmd = CreateJob {
            job_id: jid(),
            record: record(prr),
            application_type: ty,
            operator: op(),
            at: t0(),
        };
        let sess = (ty == ApplicationType::Baru).then_some(&s);
        let log = Job::decide_create(&cmd, sess, config).unwrap();
        Harness {
            job: Job::replay(&log).unwrap(),
            log,
            at: t0(),
        }
    }

    fn baru() -> Harness {
        Harness::new(ApplicationType::Baru, true, &WorkflowConfig::default())
    }

    fn tick(&mut self, secs: i64) -> OffsetDateTime {
        self.at += TDuration::seconds(secs);
        self.at
    }

    fn take(&mut self, r: Result<Vec<JobEvent>, WorkflowError>) -> Vec<JobEvent> {
        let events = r.unwrap();
        for e in &events {
            self.job.apply(e).unwrap();
        }
        self.log.extend(events.clone());
        assert_eq!(
            Job::replay(&self.log).unwrap(),
            self.job,
            "replay equals live"
        );
        events
    }

    fn step(&mut self, step: Step, outcome: StepOutcome) -> Vec<JobEvent> {
        let at = self.tick(10);
        let r = self.job.decide_step(step, outcome, at);
        self.take(r)
    }

    fn ok(&mut self, step: Step) -> Vec<JobEvent> {
        self.step(step, StepOutcome::ok())
    }

    fn fail(&mut self, step: Step, reason: Reason) -> Vec<JobEvent> {
        self.step(step, StepOutcome::failed(reason))
    }

    fn run_to_eject(&mut self) {
        self.ok(Step::CheckSupplies);
        self.step(Step::Feed, StepOutcome::ok_with_serial("04A1B2C3D4E5F6"));
        for s in [Step::WriteChip, Step::VerifyChip, Step::Print, Step::Eject] {
            self.ok(s);
        }
    }

    fn activate(&mut self, matched: bool) -> Result<Vec<JobEvent>, WorkflowError> {
        let at = self.tick(5);
        let r = self
            .job
            .decide_activation_attempt(matched, if matched { 80 } else { 5 }, op(), at);
        match r {
            Ok(events) => Ok(self.take(Ok(events))),
            Err(e) => Err(e),
        }
    }

    fn at_state(&self) -> (JobState, NextAction) {
        (self.job.state(), self.job.next_action())
    }
}

#[test]
fn a_card_is_encoded_printed_activated_and_handed_over() {
    let mut h = Harness::baru();
    assert_eq!(h.at_state(), (JobState::Pending, NextAction::CheckSupplies));
    assert_eq!(h.job.session_id(), Some(session().id()));
    h.ok(Step::CheckSupplies);
    assert_eq!(h.at_state(), (JobState::Running, NextAction::Feed));
    let ev = h.step(Step::Feed, StepOutcome::ok_with_serial("04A1B2C3D4E5F6"));
    assert_eq!(
        ev[0].counters,
        Counters {
            blanks_used: 1,
            spoiled: 0,
            issued: 0
        }
    );
    assert_eq!(h.job.next_action(), NextAction::WriteChip);
    h.ok(Step::WriteChip);
    assert_eq!(h.job.next_action(), NextAction::VerifyChip);
    h.ok(Step::VerifyChip);
    assert!(h.job.held_card().unwrap().verified);
    h.ok(Step::Print);
    h.ok(Step::Eject);
    assert_eq!(
        h.at_state(),
        (JobState::AwaitingActivation, NextAction::AwaitActivation)
    );
    assert_eq!(h.job.prompt(), Some(OperatorPrompt::PlaceFinger));
    // A mismatch, then a match.
    h.activate(false).unwrap();
    assert_eq!(h.job.activation_attempts_left(), 3);
    h.activate(true).unwrap();
    assert_eq!(
        h.at_state(),
        (JobState::AwaitingActivation, NextAction::Activate)
    );
    // Handover before the chip is activated is out of order.
    let at = h.tick(1);
    let e = h.job.decide_handover(rid(1), true, op(), at).unwrap_err();
    assert_eq!(e.reason(), Reason::StepOutOfOrder);
    h.ok(Step::Activate);
    assert_eq!(
        h.at_state(),
        (JobState::Activated, NextAction::AwaitHandOver)
    );
    // Not signed: refused.
    let at = h.tick(60);
    let e = h.job.decide_handover(rid(1), false, op(), at).unwrap_err();
    assert_eq!(
        (e.reason(), e.kind()),
        (
            Reason::ReceiptNotSigned,
            WorkflowErrorKind::FailedPrecondition
        )
    );
    let r = h.job.decide_handover(rid(1), true, op(), at);
    let ev = h.take(r);
    assert_eq!(ev[0].counters.issued, 1);
    assert_eq!(h.at_state(), (JobState::HandedOver, NextAction::Done));
    assert_eq!(
        h.job.counters(),
        Counters {
            blanks_used: 1,
            spoiled: 0,
            issued: 1
        }
    );
    assert_eq!(h.job.cards()[0].fate, CardFate::HandedOver);

    let v = h.job.view();
    assert_eq!(v.nik_masked, "3508**********01");
    assert_eq!(v.card_serial.as_deref(), Some("04A1B2C3D4E5F6"));
    assert_eq!(v.handover_receipt_id, Some(rid(1)));
    assert_eq!((v.cards_used, v.cards_spoiled), (1, 0));
    assert_eq!(v.closed_at, Some(at));
    assert_eq!(v.steps.last().unwrap().step, Step::HandOver);
    assert_eq!(v.steps[1].took, std::time::Duration::from_secs(10));
    let names: Vec<&str> = v.timings.iter().map(|t| t.step.as_str()).collect();
    assert_eq!(names, ["printing", "activation", "handover"]);
    assert_eq!(v.timings[0].took.as_secs(), 60);
    assert!(v.timings.iter().all(|t| t.within));
    // Nothing after the end.
    let at = h.tick(1);
    assert_eq!(
        h.job.decide_cancel("x", op(), at).unwrap_err().reason(),
        Reason::StepOutOfOrder
    );
    assert_eq!(
        h.job
            .decide_step(Step::Feed, StepOutcome::ok(), at)
            .unwrap_err()
            .reason(),
        Reason::StepOutOfOrder
    );
}

#[test]
fn a_record_that_is_not_print_ready_is_never_fed() {
    let mut h = Harness::new(ApplicationType::Baru, false, &WorkflowConfig::default());
    assert_eq!(
        h.at_state(),
        (
            JobState::Deferred,
            NextAction::PrintReceipt(ReceiptKind::TandaPengambilan)
        )
    );
    assert_eq!(h.job.deferral(), Some(DeferralReason::NotPrintReady));
    let at = h.tick(1);
    let e = h
        .job
        .decide_step(Step::Feed, StepOutcome::ok(), at)
        .unwrap_err();
    assert_eq!(e.reason(), Reason::StepOutOfOrder);
    assert_eq!(
        e.metadata(),
        vec![
            ("job_id", jid().to_string()),
            ("state", "JOB_STATE_DEFERRED".to_owned())
        ]
    );
    // The receipt needs its id.
    let e = h
        .job
        .decide_step(Step::PrintReceipt, StepOutcome::ok(), at)
        .unwrap_err();
    assert_eq!(e.reason(), Reason::InvalidArgument);
    // A failed receipt print can be retried.
    h.fail(Step::PrintReceipt, Reason::OutOfBlanks);
    assert_eq!(
        h.at_state(),
        (
            JobState::Deferred,
            NextAction::PrintReceipt(ReceiptKind::TandaPengambilan)
        )
    );
    h.step(Step::PrintReceipt, StepOutcome::receipt_printed(rid(7)));
    assert_eq!(h.at_state(), (JobState::Deferred, NextAction::Deferred));
    assert_eq!(
        h.job.view().receipt,
        Some((rid(7), ReceiptKind::TandaPengambilan))
    );
    // Still not PRR: refused, nothing changes.
    let before = h.job.clone();
    let e = h.job.decide_resume(None, op(), at).unwrap_err();
    assert_eq!(
        (e.reason(), e.kind()),
        (Reason::NotPrintReady, WorkflowErrorKind::FailedPrecondition)
    );
    assert_eq!(
        h.job
            .decide_resume(Some(false), op(), at)
            .unwrap_err()
            .reason(),
        Reason::NotPrintReady
    );
    assert_eq!(h.job, before);
    // PRR now: resumes from the supplies check.
    let r = h.job.decide_resume(Some(true), op(), at);
    h.take(r);
    assert_eq!(h.at_state(), (JobState::Running, NextAction::CheckSupplies));
    assert!(h.job.prr());
    assert_eq!(h.job.deferral(), None);
    assert!(h.job.counters().is_zero());
    h.run_to_eject();
    assert_eq!(h.job.state(), JobState::AwaitingActivation);
}

#[test]
fn supply_problems_defer_with_the_receipt_of_the_policy() {
    use DeferralReason as D;
    let cases = [
        (StepOutcome::failed(Reason::OutOfBlanks), D::OutOfBlanks),
        (StepOutcome::failed(Reason::RibbonOut), D::RibbonOut),
        (StepOutcome::failed(Reason::PrinterJam), D::PrinterJam),
        (
            StepOutcome::failed(Reason::PrinterOffline),
            D::PrinterOffline,
        ),
        (
            StepOutcome::Failed {
                reason: Reason::DeviceFault,
                device_error_kind: Some(ErrorKind::OutOfSupplies),
                condition: Some(Condition::MediaEmpty),
            },
            D::OutOfBlanks,
        ),
        (
            StepOutcome::Failed {
                reason: Reason::DeviceDisconnected,
                device_error_kind: Some(ErrorKind::Disconnected),
                condition: Some(Condition::Offline),
            },
            D::PrinterOffline,
        ),
    ];
    for (outcome, reason) in cases {
        for (ty, receipt) in [
            (ApplicationType::Baru, ReceiptKind::TandaPengambilan),
            (
                ApplicationType::Hilang,
                if reason == D::OutOfBlanks {
                    ReceiptKind::SuratKeterangan
                } else {
                    ReceiptKind::TandaPengambilan
                },
            ),
        ] {
            let mut h = Harness::new(ty, true, &WorkflowConfig::default());
            h.step(Step::CheckSupplies, outcome.clone());
            assert_eq!(
                h.at_state(),
                (JobState::Deferred, NextAction::PrintReceipt(receipt)),
                "{outcome:?} {ty}"
            );
            assert_eq!(h.job.deferral(), Some(reason));
            assert_eq!(h.job.view().deferral_reason, Some(reason));
            assert!(h.job.counters().is_zero(), "no blank used");
        }
    }
    // A transient failure leaves the same step next.
    let mut h = Harness::baru();
    h.fail(Step::CheckSupplies, Reason::DeviceTimeout);
    assert_eq!(h.at_state(), (JobState::Running, NextAction::CheckSupplies));
    h.ok(Step::CheckSupplies);
    h.fail(Step::Feed, Reason::DeviceBusy);
    assert_eq!(h.at_state(), (JobState::Running, NextAction::Feed));
    assert!(h.job.cards().is_empty());
    // Blanks running out at the feed.
    h.fail(Step::Feed, Reason::OutOfBlanks);
    assert_eq!(h.job.deferral(), Some(DeferralReason::OutOfBlanks));
}

#[test]
fn failures_after_the_feed_reject_the_card_and_retry_until_the_limit() {
    let mut h = Harness::baru();
    h.ok(Step::CheckSupplies);
    let fails = [
        (Step::WriteChip, Reason::ChipWriteFailed),
        (Step::VerifyChip, Reason::ChipVerifyFailed),
        (Step::Print, Reason::CardRemoved),
    ];
    for (i, (step, reason)) in fails.into_iter().enumerate() {
        h.ok(Step::Feed);
        for s in [Step::WriteChip, Step::VerifyChip, Step::Print] {
            if s == step {
                break;
            }
            h.ok(s);
        }
        h.fail(step, reason);
        assert_eq!(h.at_state(), (JobState::Running, NextAction::RejectCard));
        let ev = h.ok(Step::RejectCard);
        assert_eq!(ev[0].counters.spoiled, 1);
        if i < 2 {
            assert_eq!(h.job.next_action(), NextAction::Feed, "a new blank");
        }
    }
    // Three cards used in the run: deferred with CHIP_FAULTS.
    assert_eq!(h.job.deferral(), Some(DeferralReason::ChipFaults));
    assert_eq!(
        h.job.next_action(),
        NextAction::PrintReceipt(ReceiptKind::TandaPengambilan)
    );
    assert_eq!(
        h.job.counters(),
        Counters {
            blanks_used: 3,
            spoiled: 3,
            issued: 0
        }
    );
    assert_eq!(h.job.view().cards_spoiled, 3);
    assert!(h.job.cards().iter().all(|c| c.fate == CardFate::Rejected));
    // Resumed later: a fresh allowance, and the fourth card goes through.
    let at = h.tick(3600);
    let r = h.job.decide_resume(None, op(), at);
    h.take(r);
    assert_eq!(h.job.cards_in_run(), 0);
    h.run_to_eject();
    assert_eq!(h.job.cards().len(), 4);
    assert_eq!(h.job.view().cards_in_run, 1);
}

#[test]
fn an_eject_failure_or_a_pulled_card_is_a_spoiled_card() {
    let mut h = Harness::baru();
    h.ok(Step::CheckSupplies);
    h.ok(Step::Feed);
    for s in [Step::WriteChip, Step::VerifyChip, Step::Print] {
        h.ok(s);
    }
    h.step(
        Step::Eject,
        StepOutcome::Failed {
            reason: Reason::CardRemoved,
            device_error_kind: Some(ErrorKind::CardRemoved),
            condition: None,
        },
    );
    assert_eq!(h.job.next_action(), NextAction::RejectCard);
    h.ok(Step::RejectCard);
    assert_eq!(h.job.next_action(), NextAction::Feed);
    assert_eq!(h.job.cards()[0].fate, CardFate::Rejected);
    assert!(h.job.cards()[0].verified, "verified but never issued");
}

#[test]
fn a_printer_condition_after_the_feed_defers_instead_of_wasting_blanks() {
    let mut h = Harness::new(ApplicationType::Hilang, true, &WorkflowConfig::default());
    h.ok(Step::CheckSupplies);
    h.ok(Step::Feed);
    h.ok(Step::WriteChip);
    h.ok(Step::VerifyChip);
    h.step(
        Step::Print,
        StepOutcome::Failed {
            reason: Reason::DeviceFault,
            device_error_kind: Some(ErrorKind::OutOfSupplies),
            condition: Some(Condition::RibbonEmpty),
        },
    );
    h.ok(Step::RejectCard);
    assert_eq!(h.job.deferral(), Some(DeferralReason::RibbonOut));
    assert_eq!(
        h.job.counters(),
        Counters {
            blanks_used: 1,
            spoiled: 1,
            issued: 0
        }
    );

    // A reject that itself jams: still spoiled, deferred with the jam.
    let mut h = Harness::baru();
    h.ok(Step::CheckSupplies);
    h.ok(Step::Feed);
    h.fail(Step::WriteChip, Reason::ChipWriteFailed);
    let ev = h.fail(Step::RejectCard, Reason::PrinterJam);
    assert_eq!(ev[0].counters.spoiled, 1);
    assert_eq!(h.job.deferral(), Some(DeferralReason::PrinterJam));
    assert!(h.job.held_card().is_none());
}

#[test]
fn activation_budget_reset_and_abandon() {
    let mut h = Harness::baru();
    h.run_to_eject();
    for _ in 0..4 {
        h.activate(false).unwrap();
    }
    let e = h.activate(false).unwrap_err();
    assert_eq!(
        (e.reason(), e.kind()),
        (
            Reason::RetryBudgetExhausted,
            WorkflowErrorKind::FailedPrecondition
        )
    );
    assert_eq!(
        h.at_state(),
        (JobState::AwaitingActivation, NextAction::AwaitActivation)
    );
    assert_eq!(h.job.prompt(), None);
    // The operator lets the resident try again later.
    let at = h.tick(600);
    let r = h.job.decide_reset_activation(op(), at);
    h.take(r);
    assert_eq!(h.job.activation_attempts_left(), 4);
    let e = h.job.decide_reset_activation(op(), at).unwrap_err();
    assert_eq!(e.reason(), Reason::StepOutOfOrder, "only once spent");
    h.activate(false).unwrap();
    // Given up: failed with FINGERPRINT_MISMATCH, the card must be rejected.
    let at = h.tick(5);
    let r = h
        .job
        .decide_abandon_card("the finger does not match", op(), at);
    h.take(r);
    assert_eq!(h.at_state(), (JobState::Failed, NextAction::RejectCard));
    assert_eq!(h.job.failure(), Some(Reason::FingerprintMismatch));
    let at = h.tick(1);
    assert_eq!(
        h.job.decide_cancel("x", op(), at).unwrap_err().reason(),
        Reason::StepOutOfOrder
    );
    h.ok(Step::RejectCard);
    assert_eq!(h.at_state(), (JobState::Failed, NextAction::Failed));
    assert_eq!(h.job.failure(), Some(Reason::FingerprintMismatch));
    assert_eq!(
        h.job.counters(),
        Counters {
            blanks_used: 1,
            spoiled: 1,
            issued: 0
        }
    );
    assert_eq!(h.job.view().activation_attempts, 5);
    assert!(h.job.view().closed_at.is_some());
}

#[test]
fn a_failing_chip_activation_is_retried_or_abandoned() {
    let mut h = Harness::baru();
    h.run_to_eject();
    h.activate(true).unwrap();
    h.fail(Step::Activate, Reason::DeviceTimeout);
    assert_eq!(
        h.at_state(),
        (JobState::AwaitingActivation, NextAction::Activate)
    );
    h.fail(Step::Activate, Reason::DeviceFault);
    let e = h.activate(true).unwrap_err();
    assert_eq!(e.reason(), Reason::StepOutOfOrder);
    let at = h.tick(1);
    let r = h.job.decide_abandon_card("", op(), at);
    h.take(r);
    assert_eq!(h.job.failure(), Some(Reason::DeviceFault));
}

#[test]
fn cancel_rejects_a_card_in_play() {
    let mut h = Harness::baru();
    h.ok(Step::CheckSupplies);
    h.ok(Step::Feed);
    h.ok(Step::WriteChip);
    let at = h.tick(1);
    assert_eq!(
        h.job.decide_cancel("", op(), at).unwrap_err().reason(),
        Reason::InvalidArgument
    );
    let r = h.job.decide_cancel("resident left", op(), at);
    h.take(r);
    assert_eq!(h.at_state(), (JobState::Cancelled, NextAction::RejectCard));
    assert!(h.job.decide_cancel("again", op(), at).unwrap().is_empty());
    let e = h
        .job
        .decide_step(Step::VerifyChip, StepOutcome::ok(), at)
        .unwrap_err();
    assert_eq!(e.reason(), Reason::StepOutOfOrder);
    h.ok(Step::RejectCard);
    assert_eq!(h.at_state(), (JobState::Cancelled, NextAction::Cancelled));
    assert_eq!(h.job.counters().spoiled, 1);

    // Without a card: cancelled at once; a deferred job too.
    let mut h = Harness::new(ApplicationType::Baru, false, &WorkflowConfig::default());
    let at = h.tick(1);
    let r = h.job.decide_cancel("resident moved", op(), at);
    h.take(r);
    assert_eq!(h.at_state(), (JobState::Cancelled, NextAction::Cancelled));
    assert!(h.job.counters().is_zero());
    // An event after the end is refused by apply.
    let late = h.log[1].clone();
    assert_eq!(
        h.job.apply(&late).unwrap_err().kind(),
        WorkflowErrorKind::Internal
    );
}

#[test]
fn malformed_outcomes_are_invalid_arguments() {
    let h = Harness::baru();
    let at = h.at;
    let bad = |step, outcome| h.job.decide_step(step, outcome, at).unwrap_err();
    assert_eq!(
        bad(Step::HandOver, StepOutcome::ok()).reason(),
        Reason::InvalidArgument
    );
    assert_eq!(
        bad(
            Step::CheckSupplies,
            StepOutcome::failed(Reason::NotEligible)
        )
        .reason(),
        Reason::InvalidArgument
    );
    assert_eq!(
        bad(Step::CheckSupplies, StepOutcome::receipt_printed(rid(1))).reason(),
        Reason::InvalidArgument
    );
    assert_eq!(
        bad(Step::CheckSupplies, StepOutcome::ok_with_serial("04A1")).reason(),
        Reason::InvalidArgument
    );
    assert_eq!(
        bad(Step::CheckSupplies, StepOutcome::ok_with_serial("")).reason(),
        Reason::InvalidArgument
    );
    let long = StepOutcome::Ok {
        detail: Some("x".repeat(1025)),
        card_serial: None,
        receipt_id: None,
    };
    assert_eq!(
        bad(Step::CheckSupplies, long).reason(),
        Reason::PayloadTooLarge
    );
    assert_eq!(
        bad(Step::Feed, StepOutcome::ok()).reason(),
        Reason::StepOutOfOrder
    );
    let e = h
        .job
        .decide_activation_attempt(true, 1, op(), at)
        .unwrap_err();
    assert_eq!(e.reason(), Reason::StepOutOfOrder);
    assert_eq!(
        h.job
            .decide_resume(Some(true), op(), at)
            .unwrap_err()
            .reason(),
        Reason::StepOutOfOrder
    );
    assert_eq!(
        h.job
            .decide_abandon_card("", op(), at)
            .unwrap_err()
            .reason(),
        Reason::StepOutOfOrder
    );
}

#[test]
fn create_checks_the_record_and_the_session() {
    let config = WorkflowConfig::default();
    let cmd = |ty, rec| CreateJob {
        job_id: jid(),
        record: rec,
        application_type: ty,
        operator: op(),
        at: t0(),
    };
    let s = session();
    // BARU needs its session; the other types may use biometrics on file.
    let e =
        Job::decide_create(&cmd(ApplicationType::Baru, record(true)), None, &config).unwrap_err();
    assert_eq!(
        (e.reason(), e.metadata()),
        (
            Reason::InvalidArgument,
            vec![("field", "session_id".to_owned())]
        )
    );
    let ev = Job::decide_create(&cmd(ApplicationType::Rusak, record(true)), None, &config).unwrap();
    assert_eq!(Job::replay(&ev).unwrap().session_id(), None);
    // Invalid records.
    let mut rec = record(true);
    rec.rt_rw = "3/4".into();
    let e = Job::decide_create(&cmd(ApplicationType::Baru, rec), Some(&s), &config).unwrap_err();
    assert_eq!(
        (e.reason(), e.metadata()),
        (
            Reason::InvalidArgument,
            vec![("field", "record.rt_rw".to_owned())]
        )
    );
    let mut rec = record(true);
    rec.name = "A".repeat(61);
    let e = Job::decide_create(&cmd(ApplicationType::Baru, rec), Some(&s), &config).unwrap_err();
    assert_eq!(e.reason(), Reason::PayloadTooLarge);
    assert!(!e.to_string().contains("AAAA"));
    // Another applicant's session, another type, an open session.
    let mut rec = record(true);
    rec.nik = Nik::parse("3508014501000002").unwrap();
    let e = Job::decide_create(&cmd(ApplicationType::Baru, rec), Some(&s), &config).unwrap_err();
    assert_eq!(e.metadata()[0], ("field", "session_id".to_owned()));
    let e = Job::decide_create(
        &cmd(ApplicationType::Perubahan, record(true)),
        Some(&s),
        &config,
    )
    .unwrap_err();
    assert_eq!(e.reason(), Reason::InvalidArgument);
    let open = Session::replay(&s_opened_only()).unwrap();
    let e = Job::decide_create(
        &cmd(ApplicationType::Baru, record(true)),
        Some(&open),
        &config,
    )
    .unwrap_err();
    assert_eq!(
        (e.reason(), e.metadata()[1].1.as_str()),
        (Reason::StepOutOfOrder, "SESSION_STATE_OPEN")
    );
}

fn s_opened_only() -> Vec<crate::enrolment::SessionEvent> {
    Session::decide_open(
        &OpenSession {
            session_id: "ses_01JD3Z6K8T9W4Q2M5N7P0R1S2V".parse().unwrap(),
            nik: Nik::parse(SITI).unwrap(),
            application_type: ApplicationType::Baru,
            documents: vec!["KK_COPY".into()],
            marital_status: MaritalStatus::BelumKawin,
            previously_recorded: false,
            operator: op(),
            today: date!(2025 - 01 - 06),
            at: t0(),
        },
        &WorkflowConfig::default(),
    )
    .unwrap()
}

#[test]
fn a_desk_encoder_prompts_the_operator() {
    let mut config = WorkflowConfig::default();
    config.issuance.arrangement = Arrangement::DeskEncoder;
    let mut h = Harness::new(ApplicationType::Baru, true, &config);
    assert_eq!(h.job.prompt(), None);
    h.ok(Step::CheckSupplies);
    assert_eq!(h.job.prompt(), Some(OperatorPrompt::PlaceBlankOnEncoder));
    h.ok(Step::Feed);
    h.ok(Step::WriteChip);
    assert_eq!(h.job.prompt(), None);
    h.ok(Step::VerifyChip);
    assert_eq!(h.job.prompt(), Some(OperatorPrompt::LoadCardIntoPrinter));
    assert_eq!(h.job.view().arrangement, Arrangement::DeskEncoder);
}

#[test]
fn the_policy_is_the_one_the_job_was_created_with() {
    let mut config = WorkflowConfig::default();
    config.issuance.max_cards_per_job = 1;
    config.issuance.activation_attempts = 1;
    let mut h = Harness::new(ApplicationType::Baru, true, &config);
    h.ok(Step::CheckSupplies);
    h.ok(Step::Feed);
    h.fail(Step::WriteChip, Reason::ChipWriteFailed);
    h.ok(Step::RejectCard);
    assert_eq!(h.job.deferral(), Some(DeferralReason::ChipFaults));
    assert_eq!(h.job.policy().activation_attempts, 1);
}

#[test]
fn events_round_trip_and_nothing_leaks() {
    let mut h = Harness::baru();
    h.run_to_eject();
    h.activate(true).unwrap();
    let json: Vec<String> = h
        .log
        .iter()
        .map(|e| serde_json::to_string(e).unwrap())
        .collect();
    let back: Vec<JobEvent> = json
        .iter()
        .map(|j| serde_json::from_str(j).unwrap())
        .collect();
    assert_eq!(back, h.log);
    assert_eq!(Job::replay(&back).unwrap(), h.job);
    assert!(json[0].contains(SITI), "the journal has the record");
    for shown in [
        format!("{:?}", h.job),
        format!("{:?}", h.log),
        serde_json::to_string(&h.job.view()).unwrap(),
    ] {
        assert!(!shown.contains(SITI));
        assert!(!shown.contains("Siti Aminah"));
    }
    assert!(Job::replay(&h.log[1..]).is_err());
    assert!(Job::replay(std::iter::empty()).is_err());
}
