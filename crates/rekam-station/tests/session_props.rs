//! Property tests of the enrolment session: random sequences of commands, valid and invalid,
//! never reach an inconsistent state.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use proptest::prelude::*;
use rekam_hal::{Guidance, GuidanceCode};
use rekam_station::config::WorkflowConfig;
use rekam_station::enrolment::{
    ApplicationType, AttemptData, AttemptOutcome, CaptureTarget, ExceptionReason, ItemKey,
    ItemState, Permanence, RecordException, Session, SessionEvent, SessionState,
};
use time::Duration as TDuration;

#[derive(Debug, Clone)]
enum Cmd {
    Attempt {
        target: usize,
        scores: [u8; 4],
        present: [bool; 4],
        wrong_hand: bool,
        foreign: bool,
        drop_blob: bool,
    },
    Exception {
        item: usize,
        photo: bool,
        reason: usize,
    },
    Finalize,
    Cancel {
        empty: bool,
    },
}

fn cmd() -> impl Strategy<Value = Cmd> {
    prop_oneof![
        8 => (
            0..6usize,
            prop::array::uniform4(0u8..=100),
            prop::array::uniform4(prop::bool::weighted(0.9)),
            prop::bool::weighted(0.08),
            prop::bool::weighted(0.04),
            prop::bool::weighted(0.04),
        )
            .prop_map(|(target, scores, present, wrong_hand, foreign, drop_blob)| Cmd::Attempt {
                target,
                scores,
                present,
                wrong_hand,
                foreign,
                drop_blob,
            }),
        1 => (0..14usize, prop::bool::weighted(0.85), 0..4usize)
            .prop_map(|(item, photo, reason)| Cmd::Exception { item, photo, reason }),
        1 => Just(Cmd::Finalize),
        1 => prop::bool::weighted(0.3).prop_map(|empty| Cmd::Cancel { empty }),
    ]
}

fn config() -> impl Strategy<Value = WorkflowConfig> {
    (1u32..=4, 1u32..=4, 20u8..=70).prop_map(|(slap, face, t)| {
        let mut c = WorkflowConfig::default();
        c.retry_budget.slap = slap;
        c.retry_budget.thumbs = slap;
        c.retry_budget.face = face;
        c.retry_budget.iris = face;
        c.thresholds.slap = t;
        c
    })
}

fn setup() -> impl Strategy<Value = (ApplicationType, bool)> {
    prop_oneof![
        6 => Just((ApplicationType::Baru, false)),
        1 => Just((ApplicationType::Rusak, true)),
        1 => Just((ApplicationType::Hilang, false)),
    ]
}

/// Every invariant a session must hold whatever happened.
fn check_invariants(s: &Session) -> Result<(), TestCaseError> {
    let budgets = s.policy().retry_budget;
    for t in CaptureTarget::ALL {
        let rec = s.target(t).unwrap();
        prop_assert!(
            rec.budget_used <= budgets.get(t.modality()),
            "budget over for {}",
            t
        );
        let items = t.items();
        let states: Vec<ItemState> = items.iter().map(|k| s.item(*k).unwrap().state).collect();
        let count = |st| states.iter().filter(|x| **x == st).count();
        let complete = rec.outcome.is_some_and(|o| o.is_complete());
        if complete {
            // Fingers present + excepted = 4 per slap, 2 for thumbs (and every item of any
            // complete target is captured or excepted).
            prop_assert_eq!(
                count(ItemState::Captured) + count(ItemState::Excepted),
                items.len()
            );
        } else {
            prop_assert_eq!(
                count(ItemState::Captured),
                0,
                "captured items in an incomplete {}",
                t
            );
        }
        for k in &items {
            let r = s.item(*k).unwrap();
            match r.state {
                ItemState::Captured => prop_assert!(r.best.is_some()),
                ItemState::Excepted => {
                    let x = r.exception.as_ref().unwrap();
                    prop_assert!(!k.needs_exception_photo() || x.photo.is_some());
                    prop_assert!(*k != ItemKey::Face);
                }
                ItemState::NotRequired => prop_assert!(!s.biometrics_required()),
                ItemState::Pending => prop_assert!(s.biometrics_required()),
            }
        }
    }
    if s.state() == SessionState::Finalized {
        for k in ItemKey::ALL {
            let st = s.item(k).unwrap().state;
            prop_assert!(
                st != ItemState::Pending,
                "{} pending in a finalized session",
                k
            );
        }
        let m = s.package_manifest().unwrap();
        let hashes: Vec<&str> = m.entries.iter().map(|e| e.sha256.as_str()).collect();
        prop_assert!(m.verify(&hashes));
        let expected_entries = ItemKey::ALL
            .iter()
            .filter(|k| {
                let r = s.item(**k).unwrap();
                r.state == ItemState::Captured
                    || (r.state == ItemState::Excepted
                        && r.exception.as_ref().unwrap().photo.is_some())
            })
            .count();
        prop_assert_eq!(m.entries.len(), expected_entries);
    } else {
        prop_assert!(s.package_manifest().is_none());
    }
    let view = serde_json::to_string(&s.view()).unwrap();
    prop_assert!(!view.contains(SITI));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn random_commands_keep_a_session_consistent(
        config in config(),
        (ty, prev) in setup(),
        cmds in prop::collection::vec(cmd(), 0..60),
        // Cancelling ends a session early: only some cases may, so the others get far.
        allow_cancel in prop::bool::weighted(0.25),
    ) {
        let mut log = Session::decide_open(&open_cmd(ty, prev), &config).unwrap();
        let mut s = Session::replay(&log).unwrap();
        let mut at = t0();
        let mut blob_n = 1_000u64;
        for c in cmds {
            if matches!(c, Cmd::Cancel { .. }) && !allow_cancel {
                continue;
            }
            at += TDuration::seconds(7);
            let before = s.clone();
            let result = match &c {
                Cmd::Attempt { target, scores, present, wrong_hand, foreign, drop_blob } => {
                    let target = CaptureTarget::ALL[*target];
                    let items = target.items();
                    let mut qualities = Vec::new();
                    let mut blobs = Vec::new();
                    for (i, k) in items.iter().enumerate() {
                        if present[i] {
                            qualities.push((*k, scores[i]));
                            blob_n += 1;
                            blobs.push((*k, blob(blob_n)));
                        }
                    }
                    if *foreign {
                        let other = if target == CaptureTarget::Face { ItemKey::Signature } else { ItemKey::Face };
                        qualities.push((other, 50));
                    }
                    if *drop_blob {
                        blobs.pop();
                    }
                    let guidance = if *wrong_hand { vec![Guidance::new(GuidanceCode::WrongHand)] } else { vec![] };
                    let plan = s.capture_plan(target);
                    let r = s.decide_attempt(target, AttemptData { qualities: qualities.clone(), guidance, measures: vec![], blobs, operator: op(), at });
                    // Oracle for accepted attempts: the plan allowed it, and refusal means a
                    // missing expected item or the wrong hand.
                    if let Ok(events) = &r {
                        let plan = plan.unwrap();
                        if let SessionEvent::AttemptRecorded(a) = &events[0] {
                            let missing = plan.expected.iter().any(|k| !qualities.iter().any(|(q, _)| q == k));
                            prop_assert_eq!(a.outcome == AttemptOutcome::Refused, missing || *wrong_hand);
                            if a.outcome != AttemptOutcome::Refused {
                                let scores: Vec<u32> = plan.expected.iter()
                                    .map(|k| u32::from(qualities.iter().find(|(q, _)| q == k).unwrap().1))
                                    .collect();
                                let t = u32::from(plan.threshold);
                                let pass = if target == CaptureTarget::Irises {
                                    scores.iter().all(|x| *x >= t)
                                } else {
                                    scores.iter().sum::<u32>() >= t * u32::try_from(scores.len()).unwrap()
                                };
                                prop_assert_eq!(a.outcome == AttemptOutcome::Accepted, pass);
                            }
                        }
                    }
                    r
                }
                Cmd::Exception { item, photo, reason } => {
                    blob_n += 1;
                    s.decide_exception(RecordException {
                        item: ItemKey::ALL[*item],
                        reason: [ExceptionReason::Amputated, ExceptionReason::Bandaged, ExceptionReason::Damaged, ExceptionReason::Unusable][*reason],
                        permanence: if *reason % 2 == 0 { Permanence::Permanent } else { Permanence::Temporary },
                        operator: op(),
                        photo: photo.then(|| blob(blob_n)),
                        note: String::new(),
                        at,
                    })
                }
                Cmd::Finalize => s.decide_finalize(pkg(), vec![], op(), at),
                Cmd::Cancel { empty } => s.decide_cancel(if *empty { "" } else { "applicant left" }, op(), at),
            };
            match result {
                Err(_) => prop_assert_eq!(&s, &before, "a refused command changed the state"),
                Ok(events) => {
                    for e in &events {
                        s.apply(e).unwrap();
                        if let SessionEvent::ExceptionRecorded(x) = e {
                            // The budget reset rule, checked against the state before.
                            let t = x.item.target();
                            let was = before.target(t).unwrap();
                            let expect_reset = before.item(x.item).unwrap().state != ItemState::Excepted
                                && !was.outcome.is_some_and(|o| o.is_complete())
                                && was.budget_used > 0;
                            prop_assert_eq!(x.resets_budget, expect_reset);
                            let now = s.target(t).unwrap().budget_used;
                            prop_assert_eq!(now, if expect_reset { 0 } else { was.budget_used });
                        }
                    }
                    log.extend(events);
                }
            }
            check_invariants(&s)?;
        }
        // Replaying the journal from scratch, also through JSON, gives the live state.
        prop_assert_eq!(&Session::replay(&log).unwrap(), &s);
        let json: Vec<Vec<u8>> = log.iter().map(|e| serde_json::to_vec(e).unwrap()).collect();
        let back: Vec<SessionEvent> = json.iter().map(|j| serde_json::from_slice(j).unwrap()).collect();
        prop_assert_eq!(&Session::replay(&back).unwrap(), &s);
    }
}
