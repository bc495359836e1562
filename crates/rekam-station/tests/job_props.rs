//! Property tests of the issuance job: random step outcomes and commands, valid and invalid,
//! never issue a card whose chip was not verified, and keep the counters and the state
//! consistent.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use proptest::prelude::*;
use rekam_hal::{Condition, ErrorKind};
use rekam_station::config::WorkflowConfig;
use rekam_station::enrolment::ApplicationType;
use rekam_station::error::Reason;
use rekam_station::ids::{JobId, ReceiptId};
use rekam_station::issuance::{
    CardFate, CreateJob, Job, JobChange, JobEvent, JobState, NextAction, Step, StepOutcome,
};
use time::Duration as TDuration;

const STEPS: [Step; 10] = [
    Step::CheckSupplies,
    Step::Feed,
    Step::WriteChip,
    Step::VerifyChip,
    Step::Print,
    Step::Eject,
    Step::Activate,
    Step::HandOver,
    Step::PrintReceipt,
    Step::RejectCard,
];

const REASONS: [Reason; 11] = [
    Reason::OutOfBlanks,
    Reason::RibbonOut,
    Reason::PrinterJam,
    Reason::PrinterOffline,
    Reason::ChipWriteFailed,
    Reason::ChipVerifyFailed,
    Reason::CardRemoved,
    Reason::DeviceFault,
    Reason::DeviceTimeout,
    Reason::Cancelled,
    // Not a step failure reason: refused.
    Reason::NotEligible,
];

const CONDITIONS: [Condition; 5] = [
    Condition::MediaEmpty,
    Condition::RibbonEmpty,
    Condition::MediaJam,
    Condition::CoverOpen,
    Condition::MediaLow,
];

#[derive(Debug, Clone)]
enum Cmd {
    Step {
        /// `None`: the step the job asks for.
        pick: Option<usize>,
        /// `None`: success.
        fail: Option<(usize, Option<usize>)>,
        serial: bool,
        receipt: bool,
    },
    Activation(bool),
    ResetActivation,
    Abandon,
    Resume(Option<bool>),
    Cancel,
    HandOver(bool),
}

fn cmd() -> impl Strategy<Value = Cmd> {
    let step = (
        prop::option::weighted(0.1, 0..STEPS.len()),
        prop::option::weighted(
            0.3,
            (
                0..REASONS.len(),
                prop::option::weighted(0.3, 0..CONDITIONS.len()),
            ),
        ),
        prop::bool::weighted(0.3),
        prop::bool::weighted(0.95),
    )
        .prop_map(|(pick, fail, serial, receipt)| Cmd::Step {
            pick,
            fail,
            serial,
            receipt,
        });
    prop_oneof![
        12 => step,
        3 => prop::bool::weighted(0.4).prop_map(Cmd::Activation),
        1 => Just(Cmd::ResetActivation),
        1 => Just(Cmd::Abandon),
        1 => prop::option::of(prop::bool::weighted(0.7)).prop_map(Cmd::Resume),
        1 => Just(Cmd::Cancel),
        2 => prop::bool::weighted(0.9).prop_map(Cmd::HandOver),
    ]
}

fn config() -> impl Strategy<Value = WorkflowConfig> {
    (1u32..=4, 1u32..=4).prop_map(|(cards, activation)| {
        let mut c = WorkflowConfig::default();
        c.issuance.max_cards_per_job = cards;
        c.issuance.activation_attempts = activation;
        c
    })
}

fn receipt_id(n: u64) -> ReceiptId {
    format!("rcp_01JD3Z6K8T9W4Q{n:012}").parse().unwrap()
}

fn check_invariants(job: &Job, log: &[JobEvent]) -> Result<(), TestCaseError> {
    let cards = job.cards();
    let in_progress = cards
        .iter()
        .filter(|c| c.fate == CardFate::InProgress)
        .count();
    prop_assert!(in_progress <= 1);
    if in_progress == 1 {
        prop_assert_eq!(
            cards.last().unwrap().fate,
            CardFate::InProgress,
            "only the last card can be in play"
        );
    }
    for c in cards {
        // Encode before print; a card is ejected printed; activated ejected.
        prop_assert!(!c.verified || c.written);
        prop_assert!(!c.printed || c.verified, "printed without a verified chip");
        prop_assert!(c.ejected_at.is_none() || c.printed);
        prop_assert!(c.activated_at.is_none() || c.ejected_at.is_some());
        if c.fate == CardFate::HandedOver {
            prop_assert!(
                c.verified && c.printed && c.ejected_at.is_some() && c.activated_at.is_some(),
                "an issued card without a verified chip"
            );
        }
    }
    // Counters: the sum of the events' deltas matches what happened.
    let totals = job.counters();
    let rejects = job
        .steps()
        .iter()
        .filter(|s| s.step == Step::RejectCard)
        .count();
    let feeds = job
        .steps()
        .iter()
        .filter(|s| s.step == Step::Feed && s.outcome.is_ok())
        .count();
    let rejected = cards
        .iter()
        .filter(|c| c.fate == CardFate::Rejected)
        .count();
    let handed = cards
        .iter()
        .filter(|c| c.fate == CardFate::HandedOver)
        .count();
    prop_assert_eq!(totals.spoiled as usize, rejects);
    prop_assert_eq!(rejects, rejected);
    prop_assert_eq!(totals.blanks_used as usize, feeds);
    prop_assert_eq!(feeds, cards.len());
    prop_assert_eq!(totals.issued as usize, handed);
    prop_assert!(handed <= 1);
    prop_assert!(job.cards_in_run() <= job.policy().max_cards_per_job);
    let delta_sum: u32 = log.iter().map(|e| e.counters.spoiled).sum();
    prop_assert_eq!(delta_sum, totals.spoiled);

    // State and next action agree.
    let next = job.next_action();
    let held = job.held_card().is_some();
    let needs_card = matches!(
        next,
        NextAction::WriteChip
            | NextAction::VerifyChip
            | NextAction::Print
            | NextAction::Eject
            | NextAction::AwaitActivation
            | NextAction::Activate
            | NextAction::AwaitHandOver
            | NextAction::RejectCard
    );
    prop_assert_eq!(held, needs_card, "card in play vs next action {}", next);
    match job.state() {
        JobState::Deferred => {
            prop_assert!(job.deferral().is_some());
            prop_assert!(matches!(
                next,
                NextAction::PrintReceipt(_) | NextAction::Deferred
            ));
        }
        JobState::HandedOver => prop_assert_eq!(next, NextAction::Done),
        JobState::Failed => {
            prop_assert!(matches!(next, NextAction::RejectCard | NextAction::Failed));
            prop_assert!(job.failure().is_some());
        }
        JobState::Cancelled => prop_assert!(matches!(
            next,
            NextAction::RejectCard | NextAction::Cancelled
        )),
        JobState::Pending => prop_assert_eq!(next, NextAction::CheckSupplies),
        JobState::Running => prop_assert!(matches!(
            next,
            NextAction::CheckSupplies
                | NextAction::Feed
                | NextAction::WriteChip
                | NextAction::VerifyChip
                | NextAction::Print
                | NextAction::Eject
                | NextAction::RejectCard
        )),
        JobState::AwaitingActivation => {
            prop_assert!(matches!(
                next,
                NextAction::AwaitActivation | NextAction::Activate
            ))
        }
        JobState::Activated => prop_assert_eq!(next, NextAction::AwaitHandOver),
    }
    if job.state() != JobState::Deferred {
        prop_assert!(job.deferral().is_none());
    }
    // A record that was never PRR is never fed.
    let became_prr = log
        .iter()
        .any(|e| matches!(e.change, JobChange::Resumed { prr: true, .. }));
    if !job.record().prr && !became_prr {
        prop_assert!(cards.is_empty(), "a card fed for a record that is not PRR");
    }
    let view = serde_json::to_string(&job.view()).unwrap();
    prop_assert!(!view.contains(SITI));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn random_outcomes_keep_a_job_consistent(
        config in config(),
        ty in prop::sample::select(ApplicationType::ALL.to_vec()),
        prr in prop::bool::weighted(0.8),
        cmds in prop::collection::vec(cmd(), 0..80),
        // Cancelling and abandoning end a job early: only some cases may do them, so that
        // the others get far (handover, deferrals, resumes).
        allow_cancel in prop::bool::weighted(0.3),
        allow_abandon in prop::bool::weighted(0.3),
    ) {
        let session = finalized_session();
        let create = CreateJob {
            job_id: "job_01JD3Z6K8T9W4Q2M5N7P0R1S2V".parse::<JobId>().unwrap(),
            record: record(prr),
            application_type: ty,
            operator: op(),
            at: t0(),
        };
        let sess = (ty == ApplicationType::Baru).then_some(&session);
        let mut log = Job::decide_create(&create, sess, &config).unwrap();
        let mut job = Job::replay(&log).unwrap();
        check_invariants(&job, &log)?;
        let mut at = t0();
        let mut n = 0u64;
        for c in cmds {
            if (matches!(c, Cmd::Cancel) && !allow_cancel) || (matches!(c, Cmd::Abandon) && !allow_abandon) {
                continue;
            }
            at += TDuration::seconds(11);
            n += 1;
            let before = job.clone();
            let result = match &c {
                Cmd::Step { pick, fail, serial, receipt } => {
                    let step = match pick {
                        Some(i) => STEPS[*i],
                        None => job.next_action().step().unwrap_or(Step::CheckSupplies),
                    };
                    let outcome = match fail {
                        Some((r, cond)) => StepOutcome::Failed {
                            reason: REASONS[*r],
                            device_error_kind: Some(ErrorKind::Hardware),
                            condition: cond.map(|i| CONDITIONS[i]),
                        },
                        None => StepOutcome::Ok {
                            detail: None,
                            card_serial: serial.then(|| format!("04AB{n:08X}")),
                            receipt_id: (*receipt && step == Step::PrintReceipt).then(|| receipt_id(n)),
                        },
                    };
                    job.decide_step(step, outcome, at)
                }
                Cmd::Activation(matched) => job.decide_activation_attempt(*matched, if *matched { 70 } else { 3 }, op(), at),
                Cmd::ResetActivation => job.decide_reset_activation(op(), at),
                Cmd::Abandon => job.decide_abandon_card("gave up", op(), at),
                Cmd::Resume(prr_now) => job.decide_resume(*prr_now, op(), at),
                Cmd::Cancel => job.decide_cancel("resident left", op(), at),
                Cmd::HandOver(signed) => job.decide_handover(receipt_id(n), *signed, op(), at),
            };
            match result {
                Err(e) => {
                    prop_assert_eq!(&job, &before, "a refused command changed the state");
                    prop_assert!(e.reason() != Reason::Internal, "internal error on {:?}: {}", c, e);
                }
                Ok(events) => {
                    for e in &events {
                        job.apply(e).unwrap();
                    }
                    log.extend(events);
                }
            }
            check_invariants(&job, &log)?;
        }
        prop_assert_eq!(&Job::replay(&log).unwrap(), &job);
        let json: Vec<String> = log.iter().map(|e| serde_json::to_string(e).unwrap()).collect();
        let back: Vec<JobEvent> = json.iter().map(|j| serde_json::from_str(j).unwrap()).collect();
        prop_assert_eq!(&Job::replay(&back).unwrap(), &job);
    }

    /// Driving a job with the step it asks for and random outcomes always ends: handed over,
    /// deferred, or waiting for activation, within a bounded number of steps.
    #[test]
    fn following_next_action_makes_progress(
        outcomes in prop::collection::vec(prop::option::weighted(0.25, 0..REASONS.len() - 1), 1..60),
    ) {
        let create = CreateJob {
            job_id: "job_01JD3Z6K8T9W4Q2M5N7P0R1S2V".parse::<JobId>().unwrap(),
            record: record(true),
            application_type: ApplicationType::Hilang,
            operator: op(),
            at: t0(),
        };
        let config = WorkflowConfig::default();
        let mut job = Job::replay(&Job::decide_create(&create, None, &config).unwrap()).unwrap();
        let mut at = t0();
        for (i, fail) in outcomes.into_iter().enumerate() {
            at += TDuration::seconds(5);
            let Some(step) = job.next_action().step() else { break };
            let outcome = match fail {
                Some(r) => StepOutcome::failed(REASONS[r]),
                None if step == Step::PrintReceipt => StepOutcome::receipt_printed(receipt_id(i as u64)),
                None => StepOutcome::ok(),
            };
            for e in job.decide_step(step, outcome, at).unwrap() {
                job.apply(&e).unwrap();
            }
        }
        // Spoiled cards never exceed the allowance of the (single) run.
        prop_assert!(job.counters().spoiled <= config.issuance.max_cards_per_job);
        prop_assert!(job.cards().iter().all(|c| c.fate != CardFate::HandedOver));
    }
}
