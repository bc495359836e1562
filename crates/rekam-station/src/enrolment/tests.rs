//! Unit tests of the enrolment session rules.

use super::*;
use crate::error::{Reason, WorkflowErrorKind};
use rekam_hal::Finger;
use time::macros::{date, datetime};
use time::Duration as TDuration;

/// A woman born 5 January 2000 in Lumajang (35 Jawa Timur, 08 Lumajang, 01 Tempursari).
const SITI: &str = "3508014501000001";

fn op() -> OperatorId {
    OperatorId::new("op.siti").unwrap()
}

fn sid() -> SessionId {
    "ses_01JD3Z6K8T9W4Q2M5N7P0R1S2V".parse().unwrap()
}

fn t0() -> OffsetDateTime {
    datetime!(2025-01-06 08:00 +07:00)
}

fn cmd(
    nik: &str,
    ty: ApplicationType,
    docs: &[&str],
    marital: MaritalStatus,
    prev: bool,
    today: Date,
) -> OpenSession {
    OpenSession {
        session_id: sid(),
        nik: Nik::parse(nik).unwrap(),
        application_type: ty,
        documents: docs.iter().map(|d| (*d).to_owned()).collect(),
        marital_status: marital,
        previously_recorded: prev,
        operator: op(),
        today,
        at: t0(),
    }
}

fn open_with(c: &OpenSession, config: &WorkflowConfig) -> Result<Session, WorkflowError> {
    let events = Session::decide_open(c, config)?;
    Session::replay(&events)
}

fn baru() -> Session {
    open_with(
        &cmd(
            SITI,
            ApplicationType::Baru,
            &["KK_COPY"],
            MaritalStatus::BelumKawin,
            false,
            date!(2025 - 01 - 06),
        ),
        &WorkflowConfig::default(),
    )
    .unwrap()
}

fn blob(n: u32) -> BlobRef {
    BlobRef {
        id: format!("{n:064x}"),
        media_type: "image/png".into(),
        size: 1000 + u64::from(n),
    }
}

/// An attempt with one blob per quality (blob numbers from `seed`).
fn data(
    qualities: &[(ItemKey, u8)],
    guidance: &[Guidance],
    seed: u32,
    at: OffsetDateTime,
) -> AttemptData {
    AttemptData {
        qualities: qualities.to_vec(),
        guidance: guidance.to_vec(),
        measures: vec![],
        blobs: qualities
            .iter()
            .enumerate()
            .map(|(i, (k, _))| (*k, blob(seed * 100 + u32::try_from(i).unwrap())))
            .collect(),
        operator: op(),
        at,
    }
}

/// Decides (the second argument) and applies; returns the events.
macro_rules! run {
    ($s:expr, $decide:expr) => {{
        let r = $decide;
        apply_all(&mut $s, r)
    }};
}

fn apply_all(
    s: &mut Session,
    events: Result<Vec<SessionEvent>, WorkflowError>,
) -> Vec<SessionEvent> {
    let events = events.unwrap();
    for e in &events {
        s.apply(e).unwrap();
    }
    events
}

fn attempt_event(events: &[SessionEvent]) -> &AttemptRecorded {
    match &events[0] {
        SessionEvent::AttemptRecorded(a) => a,
        other => panic!("not an attempt: {other:?}"),
    }
}

fn f(finger: Finger) -> ItemKey {
    ItemKey::Finger(finger)
}

fn all_at(target: CaptureTarget, score: u8) -> Vec<(ItemKey, u8)> {
    target.items().into_iter().map(|k| (k, score)).collect()
}

fn capture_everything(s: &mut Session) {
    let mut at = t0();
    for (i, t) in CaptureTarget::RECOMMENDED.into_iter().enumerate() {
        at += TDuration::seconds(20);
        let seed = u32::try_from(i).unwrap() + 1;
        run!(*s, s.decide_attempt(t, data(&all_at(t, 90), &[], seed, at)));
    }
}

fn photo_exception(item: ItemKey, at: OffsetDateTime, n: u32) -> RecordException {
    RecordException {
        item,
        reason: ExceptionReason::Amputated,
        permanence: Permanence::Permanent,
        operator: op(),
        photo: Some(BlobRef {
            media_type: "image/jpeg".into(),
            ..blob(9000 + n)
        }),
        note: String::new(),
        at,
    }
}

// --- opening: NIK, eligibility, documents --------------------------------------------------

#[test]
fn the_nik_of_a_woman_born_5_january_2000_has_day_45() {
    let nik = Nik::parse(SITI).unwrap();
    assert_eq!(nik.sex(), rekam_card::Sex::Female);
    assert_eq!(nik.birth_date(date!(2025 - 01 - 06)), date!(2000 - 01 - 05));
    let s = baru();
    assert_eq!(s.age(), 25);
    assert_eq!(s.view().nik_masked, "3508**********01");
}

#[test]
fn eligibility_turns_on_the_17th_birthday() {
    let config = WorkflowConfig::default();
    let open = |today, marital, docs: &[&str]| {
        open_with(
            &cmd(SITI, ApplicationType::Baru, docs, marital, false, today),
            &config,
        )
    };
    // The day before her 17th birthday (5 Jan 2017): not eligible unless married.
    let e = open(
        date!(2017 - 01 - 04),
        MaritalStatus::BelumKawin,
        &["KK_COPY"],
    )
    .unwrap_err();
    assert_eq!(e, WorkflowError::NotEligible);
    assert_eq!(e.kind(), WorkflowErrorKind::FailedPrecondition);
    assert!(e.metadata().is_empty());
    // On the birthday: eligible.
    let s = open(
        date!(2017 - 01 - 05),
        MaritalStatus::BelumKawin,
        &["KK_COPY"],
    )
    .unwrap();
    assert_eq!(s.age(), 17);
    // Married at 16: eligible with the marriage certificate, refused naming it without.
    let e = open(date!(2016 - 06 - 01), MaritalStatus::Kawin, &["KK_COPY"]).unwrap_err();
    assert_eq!(
        e,
        WorkflowError::DocumentsMissing {
            missing: vec!["MARRIAGE_CERTIFICATE".into()]
        }
    );
    open(
        date!(2016 - 06 - 01),
        MaritalStatus::Kawin,
        &["KK_COPY", "MARRIAGE_CERTIFICATE"],
    )
    .unwrap();
    // Divorced counts as ever married.
    open(
        date!(2016 - 06 - 01),
        MaritalStatus::CeraiHidup,
        &["KK_COPY", "MARRIAGE_CERTIFICATE"],
    )
    .unwrap();
    // From 17 a married applicant needs no certificate.
    open(date!(2017 - 01 - 05), MaritalStatus::Kawin, &["KK_COPY"]).unwrap();
}

#[test]
fn eligibility_uses_the_inferred_century_and_the_configured_age() {
    let config = WorkflowConfig::default();
    // A man born 15 June 2008 (day not shifted): 16 on 14 June 2025, 17 the day after.
    let nik = "3508011506080002";
    let at = |today| {
        open_with(
            &cmd(
                nik,
                ApplicationType::Baru,
                &["KK_COPY"],
                MaritalStatus::BelumKawin,
                false,
                today,
            ),
            &config,
        )
    };
    assert_eq!(
        at(date!(2025 - 06 - 14)).unwrap_err(),
        WorkflowError::NotEligible
    );
    assert_eq!(at(date!(2025 - 06 - 15)).unwrap().age(), 17);
    // A woman born 1 March 1950 (41 = 1 + 40): 74, the century is 19.
    let s = open_with(
        &cmd(
            "3508014103500003",
            ApplicationType::Baru,
            &["KK_COPY"],
            MaritalStatus::CeraiMati,
            false,
            date!(2025 - 01 - 06),
        ),
        &config,
    )
    .unwrap();
    assert_eq!(s.age(), 74);
    // The office may set another age.
    let config18 = WorkflowConfig {
        eligibility_age: 18,
        ..WorkflowConfig::default()
    };
    let e = open_with(
        &cmd(
            nik,
            ApplicationType::Baru,
            &["KK_COPY"],
            MaritalStatus::BelumKawin,
            false,
            date!(2025 - 06 - 15),
        ),
        &config18,
    )
    .unwrap_err();
    assert_eq!(e.reason(), Reason::NotEligible);
}

#[test]
fn documents_are_checked_per_type_and_named() {
    let config = WorkflowConfig::default();
    let today = date!(2025 - 01 - 06);
    let open = |ty, docs: &[&str]| {
        open_with(
            &cmd(SITI, ty, docs, MaritalStatus::Kawin, true, today),
            &config,
        )
    };
    let missing = |ty, docs: &[&str]| match open(ty, docs) {
        Err(WorkflowError::DocumentsMissing { missing }) => missing,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        missing(ApplicationType::Hilang, &["KK_COPY"]),
        ["POLICE_LOSS_REPORT"]
    );
    assert_eq!(
        missing(ApplicationType::Hilang, &[]),
        ["KK_COPY", "POLICE_LOSS_REPORT"]
    );
    assert_eq!(
        missing(ApplicationType::Rusak, &["KK_COPY", "OLD_CARD"]),
        ["DAMAGED_CARD"]
    );
    assert_eq!(
        missing(ApplicationType::Perubahan, &["KK_COPY"]),
        ["OLD_CARD"]
    );
    assert_eq!(missing(ApplicationType::Baru, &["OLD_CARD"]), ["KK_COPY"]);
    // Unknown codes are kept, order does not matter.
    let s = open(
        ApplicationType::Perubahan,
        &["MOVING_LETTER", "OLD_CARD", "KK_COPY"],
    )
    .unwrap();
    assert_eq!(
        s.opened().documents,
        ["MOVING_LETTER", "OLD_CARD", "KK_COPY"]
    );
    // Malformed and oversized lists.
    let e = open(ApplicationType::Baru, &["KK_COPY", "kk copy"]).unwrap_err();
    assert_eq!(
        (e.reason(), e.metadata()),
        (
            Reason::InvalidArgument,
            vec![("field", "documents[1]".to_owned())]
        )
    );
    let long = "A".repeat(65);
    assert_eq!(
        open(ApplicationType::Baru, &[long.as_str()])
            .unwrap_err()
            .reason(),
        Reason::PayloadTooLarge
    );
    let many: Vec<&str> = std::iter::repeat_n("KK_COPY", 33).collect();
    assert_eq!(
        open(ApplicationType::Baru, &many).unwrap_err().reason(),
        Reason::PayloadTooLarge
    );
    // Per-office configuration.
    let mut office = WorkflowConfig::default();
    office.documents.baru.push("RT_RW_LETTER".into());
    let e = open_with(
        &cmd(
            SITI,
            ApplicationType::Baru,
            &["KK_COPY"],
            MaritalStatus::Kawin,
            false,
            today,
        ),
        &office,
    )
    .unwrap_err();
    assert_eq!(
        e,
        WorkflowError::DocumentsMissing {
            missing: vec!["RT_RW_LETTER".into()]
        }
    );
}

#[test]
fn biometrics_are_required_for_baru_or_when_never_recorded() {
    let config = WorkflowConfig::default();
    let today = date!(2025 - 01 - 06);
    let docs = ["KK_COPY", "DAMAGED_CARD"];
    let required = |ty, prev| {
        open_with(
            &cmd(SITI, ty, &docs, MaritalStatus::Kawin, prev, today),
            &config,
        )
        .unwrap()
        .biometrics_required()
    };
    assert!(required(ApplicationType::Baru, true));
    assert!(required(ApplicationType::Baru, false));
    assert!(required(ApplicationType::Rusak, false));
    assert!(!required(ApplicationType::Rusak, true));

    // Not required: every item NOT_REQUIRED, nothing to capture or except, finalize at once.
    let mut s = open_with(
        &cmd(
            SITI,
            ApplicationType::Rusak,
            &docs,
            MaritalStatus::Kawin,
            true,
            today,
        ),
        &config,
    )
    .unwrap();
    assert!(s
        .view()
        .items
        .iter()
        .all(|i| i.state == ItemState::NotRequired));
    assert!(s.remaining().is_empty());
    let e = s
        .decide_attempt(
            CaptureTarget::Face,
            data(&[(ItemKey::Face, 90)], &[], 1, t0()),
        )
        .unwrap_err();
    assert_eq!(e.reason(), Reason::StepOutOfOrder);
    let e = s
        .decide_exception(photo_exception(f(Finger::LeftIndex), t0(), 1))
        .unwrap_err();
    assert_eq!(e.reason(), Reason::StepOutOfOrder);
    let pkg: PackageId = "pkg_01JD3Z6K8T9W4Q2M5N7P0R1S2V".parse().unwrap();
    run!(s, s.decide_finalize(pkg, vec![], op(), t0()));
    let m = s.package_manifest().unwrap();
    assert!(m.entries.is_empty());
    assert!(m.verify::<&str>(&[]));
    // No recording step when nothing was recorded.
    assert!(s.timings().is_empty());
}

// --- captures ------------------------------------------------------------------------------

#[test]
fn a_slap_is_scored_on_the_mean_of_its_fingers() {
    let mut s = baru();
    // 30 + 50 + 40 + 45 = 165, mean 41.25 -> 41 >= 40: accepted although the index fails alone.
    let q = [
        (f(Finger::LeftIndex), 30),
        (f(Finger::LeftMiddle), 50),
        (f(Finger::LeftRing), 40),
        (f(Finger::LeftLittle), 45),
    ];
    let ev = run!(
        s,
        s.decide_attempt(CaptureTarget::LeftSlap, data(&q, &[], 1, t0()))
    );
    let a = attempt_event(&ev);
    assert_eq!(a.outcome, AttemptOutcome::Accepted);
    assert_eq!(a.score, Some(41));
    assert_eq!(a.threshold, 40);
    assert_eq!(a.completes, Some(TargetOutcome::Accepted));
    let index = a
        .items
        .iter()
        .find(|i| i.item == f(Finger::LeftIndex))
        .unwrap();
    assert!(!index.passes, "each finger is still reported");
    assert!(a.guidance.is_empty());
    for k in CaptureTarget::LeftSlap.items() {
        assert_eq!(s.item(k).unwrap().state, ItemState::Captured);
    }
    assert_eq!(
        s.item(f(Finger::LeftIndex))
            .unwrap()
            .best
            .as_ref()
            .unwrap()
            .score,
        30
    );

    // 39 + 40 + 40 + 40 = 159, mean 39.75: below 40 (no rounding up).
    let q = [
        (f(Finger::RightIndex), 39),
        (f(Finger::RightMiddle), 40),
        (f(Finger::RightRing), 40),
        (f(Finger::RightLittle), 40),
    ];
    let ev = run!(
        s,
        s.decide_attempt(CaptureTarget::RightSlap, data(&q, &[], 2, t0()))
    );
    let a = attempt_event(&ev);
    assert_eq!(
        (a.outcome, a.score, a.completes),
        (AttemptOutcome::BelowThreshold, Some(39), None)
    );
    assert_eq!(a.attempts_left, 2);
    assert!(a.guidance.contains(&Guidance::finger(
        GuidanceCode::PoorQuality,
        Finger::RightIndex
    )));
    assert!(!a.guidance.contains(&Guidance::finger(
        GuidanceCode::PoorQuality,
        Finger::RightRing
    )));
    assert_eq!(
        s.item(f(Finger::RightIndex)).unwrap().state,
        ItemState::Pending
    );
    assert!(s.remaining().contains(&CaptureTarget::RightSlap));
}

#[test]
fn irises_need_both_eyes_and_face_and_signature_their_own_score() {
    let mut s = baru();
    let q = [
        (ItemKey::Iris(rekam_hal::Eye::Right), 70),
        (ItemKey::Iris(rekam_hal::Eye::Left), 55),
    ];
    let ev = run!(
        s,
        s.decide_attempt(CaptureTarget::Irises, data(&q, &[], 1, t0()))
    );
    assert_eq!(attempt_event(&ev).outcome, AttemptOutcome::BelowThreshold);
    assert_eq!(attempt_event(&ev).score, Some(55));
    let ev = run!(
        s,
        s.decide_attempt(
            CaptureTarget::Face,
            data(&[(ItemKey::Face, 50)], &[], 2, t0())
        )
    );
    assert_eq!(
        attempt_event(&ev).outcome,
        AttemptOutcome::Accepted,
        "50 >= 50"
    );
    let ev = run!(
        s,
        s.decide_attempt(
            CaptureTarget::Signature,
            data(&[(ItemKey::Signature, 29)], &[], 3, t0())
        )
    );
    assert_eq!(attempt_event(&ev).outcome, AttemptOutcome::BelowThreshold);
}

#[test]
fn a_partial_slap_is_refused_and_names_the_missing_finger() {
    let mut s = baru();
    let q = [
        (f(Finger::LeftIndex), 90),
        (f(Finger::LeftMiddle), 90),
        (f(Finger::LeftLittle), 90),
    ];
    let ev = run!(
        s,
        s.decide_attempt(CaptureTarget::LeftSlap, data(&q, &[], 1, t0()))
    );
    let a = attempt_event(&ev);
    assert_eq!(a.outcome, AttemptOutcome::Refused);
    assert_eq!(a.score, None);
    assert!(a.items.is_empty(), "a refused attempt keeps nothing");
    assert_eq!(
        a.guidance,
        [Guidance::finger(
            GuidanceCode::PartialSlap,
            Finger::LeftRing
        )]
    );
    assert_eq!(a.attempts_left, 2);
    let t = s.target(CaptureTarget::LeftSlap).unwrap();
    assert_eq!((t.attempts, t.budget_used), (1, 1));
    for k in CaptureTarget::LeftSlap.items() {
        let r = s.item(k).unwrap();
        assert_eq!(
            (r.state, r.best.is_none(), r.attempts),
            (ItemState::Pending, true, 1)
        );
    }
}

#[test]
fn the_wrong_hand_is_refused() {
    let mut s = baru();
    let g = [Guidance::new(GuidanceCode::WrongHand)];
    let ev = run!(
        s,
        s.decide_attempt(
            CaptureTarget::LeftSlap,
            data(&all_at(CaptureTarget::LeftSlap, 95), &g, 1, t0())
        )
    );
    let a = attempt_event(&ev);
    assert_eq!(a.outcome, AttemptOutcome::Refused);
    assert_eq!(a.guidance, g);
    assert!(s.item(f(Finger::LeftIndex)).unwrap().best.is_none());
}

#[test]
fn a_duplicate_finger_is_refused() {
    let mut s = baru();
    let g = [Guidance::finger(
        GuidanceCode::DuplicateFinger,
        Finger::RightMiddle,
    )];
    let ev = run!(
        s,
        s.decide_attempt(
            CaptureTarget::RightSlap,
            data(&all_at(CaptureTarget::RightSlap, 95), &g, 1, t0())
        )
    );
    let a = attempt_event(&ev);
    assert_eq!(a.outcome, AttemptOutcome::Refused);
    assert_eq!(a.guidance, g);
    assert!(a.items.is_empty());
    assert!(s.item(f(Finger::RightIndex)).unwrap().best.is_none());
}

#[test]
fn the_best_attempt_per_item_is_kept_when_the_budget_is_spent() {
    let mut s = baru();
    let t = CaptureTarget::Thumbs;
    let rt = f(Finger::RightThumb);
    let lt = f(Finger::LeftThumb);
    let mut at = t0();
    let mut attempt = |s: &mut Session, r: u8, l: u8, seed: u32| {
        at += TDuration::seconds(10);
        let ev = run!(
            *s,
            s.decide_attempt(t, data(&[(rt, r), (lt, l)], &[], seed, at))
        );
        attempt_event(&ev).clone()
    };
    let a1 = attempt(&mut s, 35, 20, 1);
    assert_eq!(
        (a1.outcome, a1.attempts_left, a1.completes),
        (AttemptOutcome::BelowThreshold, 2, None)
    );
    let a2 = attempt(&mut s, 30, 38, 2);
    assert_eq!(a2.attempts_left, 1);
    // Equal score does not replace the kept one.
    let a3 = attempt(&mut s, 35, 10, 3);
    assert_eq!(
        (a3.attempts_left, a3.completes),
        (0, Some(TargetOutcome::BestBelowThresholdKept))
    );
    let right = s.item(rt).unwrap();
    let left = s.item(lt).unwrap();
    assert_eq!(
        (right.state, left.state),
        (ItemState::Captured, ItemState::Captured)
    );
    let (rb, lb) = (right.best.as_ref().unwrap(), left.best.as_ref().unwrap());
    assert_eq!((rb.score, rb.attempt, &rb.blob), (35, 1, &blob(100)));
    assert_eq!((lb.score, lb.attempt, &lb.blob), (38, 2, &blob(201)));
    assert_eq!(
        s.view()
            .targets
            .iter()
            .find(|v| v.target == t)
            .unwrap()
            .outcome,
        Some(TargetOutcome::BestBelowThresholdKept)
    );
    // The target is complete: another attempt is out of order.
    let e = s
        .decide_attempt(t, data(&[(rt, 99), (lt, 99)], &[], 4, at))
        .unwrap_err();
    assert_eq!(
        (e.reason(), e.kind()),
        (
            Reason::StepOutOfOrder,
            WorkflowErrorKind::FailedPrecondition
        )
    );
}

#[test]
fn an_accepted_target_cannot_be_captured_again() {
    let mut s = baru();
    run!(
        s,
        s.decide_attempt(
            CaptureTarget::Face,
            data(&[(ItemKey::Face, 80)], &[], 1, t0())
        )
    );
    let e = s.capture_plan(CaptureTarget::Face).unwrap_err();
    assert_eq!(e.reason(), Reason::StepOutOfOrder);
    assert_eq!(e.metadata()[1], ("state", "SESSION_STATE_OPEN".to_owned()));
}

#[test]
fn a_target_whose_attempts_were_all_refused_is_exhausted_until_an_exception_resets_it() {
    let mut s = baru();
    let t = CaptureTarget::LeftSlap;
    let three = [
        (f(Finger::LeftIndex), 80),
        (f(Finger::LeftMiddle), 80),
        (f(Finger::LeftLittle), 80),
    ];
    let mut last = None;
    for i in 0..3 {
        let ev = run!(s, s.decide_attempt(t, data(&three, &[], i, t0())));
        last = Some(attempt_event(&ev).clone());
    }
    let last = last.unwrap();
    assert_eq!(last.completes, Some(TargetOutcome::RetryBudgetExhausted));
    assert_eq!(
        s.item(f(Finger::LeftRing)).unwrap().state,
        ItemState::Pending
    );
    assert!(s.remaining().contains(&t));
    let e = s.decide_attempt(t, data(&three, &[], 9, t0())).unwrap_err();
    assert_eq!(
        (e.reason(), e.kind()),
        (
            Reason::RetryBudgetExhausted,
            WorkflowErrorKind::FailedPrecondition
        )
    );
    assert_eq!(s.capture_plan(t).unwrap_err(), e);
    // Finalize names the stuck target.
    let pkg: PackageId = "pkg_01JD3Z6K8T9W4Q2M5N7P0R1S2V".parse().unwrap();
    match s.decide_finalize(pkg, vec![], op(), t0()).unwrap_err() {
        WorkflowError::SessionNotComplete { missing, .. } => assert!(missing.contains(&t)),
        other => panic!("{other:?}"),
    }

    // The ring finger is amputated: the exception resets the budget.
    let ev = run!(
        s,
        s.decide_exception(photo_exception(f(Finger::LeftRing), t0(), 1))
    );
    match &ev[0] {
        SessionEvent::ExceptionRecorded(x) => assert!(x.resets_budget),
        other => panic!("{other:?}"),
    }
    let plan = s.capture_plan(t).unwrap();
    assert_eq!(
        plan.expected,
        [
            f(Finger::LeftIndex),
            f(Finger::LeftMiddle),
            f(Finger::LeftLittle)
        ]
    );
    assert_eq!((plan.attempts_left, plan.next_attempt), (3, 4));
    // The capture now expects three fingers; showing the excepted one anyway is ignored.
    let mut q = three.to_vec();
    q.push((f(Finger::LeftRing), 10));
    let ev = run!(s, s.decide_attempt(t, data(&q, &[], 10, t0())));
    let a = attempt_event(&ev);
    assert_eq!(a.outcome, AttemptOutcome::Accepted);
    assert_eq!(a.ignored, [f(Finger::LeftRing)]);
    assert_eq!(a.items.len(), 3);
    assert_eq!(
        s.item(f(Finger::LeftRing)).unwrap().state,
        ItemState::Excepted
    );
    assert!(s.item(f(Finger::LeftRing)).unwrap().best.is_none());
    assert!(!s.remaining().contains(&t));
    // Re-recording the same exception later does not reset anything.
    let ev = run!(
        s,
        s.decide_exception(photo_exception(f(Finger::LeftRing), t0(), 2))
    );
    match &ev[0] {
        SessionEvent::ExceptionRecorded(x) => assert!(!x.resets_budget),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_target_with_every_item_excepted_is_not_captured() {
    let mut s = baru();
    for (n, eye) in rekam_hal::Eye::BOTH.into_iter().enumerate() {
        run!(
            s,
            s.decide_exception(photo_exception(
                ItemKey::Iris(eye),
                t0(),
                u32::try_from(n).unwrap()
            ))
        );
    }
    assert!(!s.remaining().contains(&CaptureTarget::Irises));
    let e = s
        .decide_attempt(CaptureTarget::Irises, data(&[], &[], 1, t0()))
        .unwrap_err();
    assert_eq!(e.reason(), Reason::StepOutOfOrder);
}

#[test]
fn malformed_attempts_are_invalid_arguments() {
    let s = baru();
    let t = CaptureTarget::Thumbs;
    let bad = |d: AttemptData| s.decide_attempt(t, d).unwrap_err();
    let e = bad(data(&[(ItemKey::Face, 80)], &[], 1, t0()));
    assert_eq!(
        (e.reason(), e.metadata()[0].1.as_str()),
        (Reason::InvalidArgument, "qualities[0]")
    );
    let e = bad(data(
        &[(f(Finger::LeftThumb), 80), (f(Finger::LeftThumb), 80)],
        &[],
        1,
        t0(),
    ));
    assert_eq!(e.reason(), Reason::InvalidArgument);
    let e = bad(data(&[(f(Finger::LeftThumb), 101)], &[], 1, t0()));
    assert_eq!(e.reason(), Reason::InvalidArgument);
    let mut d = data(
        &[(f(Finger::LeftThumb), 80), (f(Finger::RightThumb), 80)],
        &[],
        1,
        t0(),
    );
    d.blobs.pop();
    let e = bad(d);
    assert_eq!(
        (e.reason(), e.metadata()[0].1.as_str()),
        (Reason::InvalidArgument, "blobs")
    );
    let mut d = data(&[(f(Finger::LeftThumb), 80)], &[], 1, t0());
    d.blobs.push((f(Finger::RightThumb), blob(5)));
    assert_eq!(bad(d).reason(), Reason::InvalidArgument);
    let mut d = data(&[(f(Finger::LeftThumb), 80)], &[], 1, t0());
    d.blobs[0].1.id = "XYZ".into();
    assert_eq!(bad(d).reason(), Reason::InvalidArgument);
    let d = data(&[], &[Guidance::new(GuidanceCode::KeepStill); 65], 1, t0());
    assert_eq!(bad(d).reason(), Reason::PayloadTooLarge);
    // Nothing changed.
    assert_eq!(s, baru());
}

// --- exceptions ------------------------------------------------------------------------------

#[test]
fn exception_rules() {
    let mut s = baru();
    let mut x = photo_exception(ItemKey::Face, t0(), 1);
    assert_eq!(
        s.decide_exception(x.clone()).unwrap_err().reason(),
        Reason::InvalidArgument
    );
    x.item = f(Finger::RightThumb);
    x.photo = None;
    let e = s.decide_exception(x.clone()).unwrap_err();
    assert_eq!(
        (e.reason(), e.metadata()[0].1.as_str()),
        (Reason::InvalidArgument, "photo")
    );
    x.item = ItemKey::Iris(rekam_hal::Eye::Left);
    assert_eq!(
        s.decide_exception(x.clone()).unwrap_err().reason(),
        Reason::InvalidArgument
    );
    // The signature needs no photo.
    x.item = ItemKey::Signature;
    x.reason = ExceptionReason::Unusable;
    x.note = "cannot write".into();
    run!(s, s.decide_exception(x.clone()));
    let sig = s.item(ItemKey::Signature).unwrap();
    assert_eq!(sig.state, ItemState::Excepted);
    assert_eq!(
        sig.exception.as_ref().unwrap().reason,
        ExceptionReason::Unusable
    );
    x.note = "x".repeat(1025);
    assert_eq!(
        s.decide_exception(x.clone()).unwrap_err().reason(),
        Reason::PayloadTooLarge
    );
    // An exception replaces captured data: the item leaves the package.
    run!(
        s,
        s.decide_attempt(
            CaptureTarget::Face,
            data(&[(ItemKey::Face, 80)], &[], 1, t0())
        )
    );
    run!(
        s,
        s.decide_attempt(
            CaptureTarget::Thumbs,
            data(&all_at(CaptureTarget::Thumbs, 80), &[], 2, t0())
        )
    );
    let ev = run!(
        s,
        s.decide_exception(photo_exception(f(Finger::LeftThumb), t0(), 3))
    );
    match &ev[0] {
        SessionEvent::ExceptionRecorded(x) => assert!(!x.resets_budget, "the target was complete"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        s.item(f(Finger::LeftThumb)).unwrap().state,
        ItemState::Excepted
    );
}

// --- finalize, cancel, package -----------------------------------------------------------------

#[test]
fn finalize_needs_every_item_and_is_idempotent() {
    let mut s = baru();
    let pkg: PackageId = "pkg_01JD3Z6K8T9W4Q2M5N7P0R1S2V".parse().unwrap();
    let e = s.decide_finalize(pkg, vec![], op(), t0()).unwrap_err();
    assert_eq!(
        e,
        WorkflowError::SessionNotComplete {
            session_id: sid().to_string(),
            missing: CaptureTarget::RECOMMENDED.to_vec()
        }
    );
    assert_eq!(
        e.metadata()[1],
        (
            "missing",
            "CAPTURE_TARGET_FACE,CAPTURE_TARGET_SIGNATURE,CAPTURE_TARGET_RIGHT_SLAP,CAPTURE_TARGET_LEFT_SLAP,CAPTURE_TARGET_THUMBS,CAPTURE_TARGET_IRISES".to_owned()
        )
    );
    capture_everything(&mut s);
    let done = t0() + TDuration::seconds(200);
    run!(s, s.decide_finalize(pkg, vec![], op(), done));
    assert_eq!(s.state(), SessionState::Finalized);
    assert!(s
        .decide_finalize(pkg, vec![], op(), done)
        .unwrap()
        .is_empty());
    assert_eq!(
        s.decide_cancel("left", op(), done).unwrap_err().reason(),
        Reason::StepOutOfOrder
    );
    let e = s
        .decide_attempt(
            CaptureTarget::Face,
            data(&[(ItemKey::Face, 80)], &[], 1, done),
        )
        .unwrap_err();
    assert_eq!(e.reason(), Reason::StepOutOfOrder);
    assert_eq!(e.metadata()[1].1, "SESSION_STATE_FINALIZED");
    assert_eq!(
        s.decide_exception(photo_exception(f(Finger::LeftThumb), done, 1))
            .unwrap_err()
            .reason(),
        Reason::StepOutOfOrder
    );
    let v = s.view();
    assert_eq!((v.closed_at, v.package_id), (Some(done), Some(pkg)));
    // An event after the end is refused by apply (a corrupted journal).
    let late = SessionEvent::Cancelled(SessionCancelled {
        reason: "x".into(),
        operator: op(),
        at: done,
    });
    assert_eq!(
        s.apply(&late).unwrap_err().kind(),
        WorkflowErrorKind::Internal
    );
}

#[test]
fn cancel_rules() {
    let mut s = baru();
    assert_eq!(
        s.decide_cancel(" ", op(), t0()).unwrap_err().reason(),
        Reason::InvalidArgument
    );
    assert_eq!(
        s.decide_cancel(&"x".repeat(1025), op(), t0())
            .unwrap_err()
            .reason(),
        Reason::PayloadTooLarge
    );
    run!(s, s.decide_cancel("applicant left", op(), t0()));
    assert_eq!(s.state(), SessionState::Cancelled);
    assert_eq!(s.view().cancel_reason.as_deref(), Some("applicant left"));
    assert!(s.decide_cancel("again", op(), t0()).unwrap().is_empty());
    let pkg: PackageId = "pkg_01JD3Z6K8T9W4Q2M5N7P0R1S2V".parse().unwrap();
    assert_eq!(
        s.decide_finalize(pkg, vec![], op(), t0())
            .unwrap_err()
            .reason(),
        Reason::StepOutOfOrder
    );
    assert!(s.package_manifest().is_none());
}

#[test]
fn the_manifest_chains_kept_samples_and_exception_photos_in_capture_order() {
    let mut s = baru();
    let mut at = t0();
    let mut tick = || {
        at += TDuration::seconds(30);
        at
    };
    // Face first (seq 1), then an exception photo (seq 2), then the left slap with three
    // fingers, then the rest.
    run!(
        s,
        s.decide_attempt(
            CaptureTarget::Face,
            data(&[(ItemKey::Face, 80)], &[], 1, tick())
        )
    );
    run!(
        s,
        s.decide_exception(photo_exception(f(Finger::LeftRing), tick(), 1))
    );
    let three = [
        (f(Finger::LeftIndex), 80),
        (f(Finger::LeftMiddle), 80),
        (f(Finger::LeftLittle), 80),
    ];
    run!(
        s,
        s.decide_attempt(CaptureTarget::LeftSlap, data(&three, &[], 2, tick()))
    );
    for (i, t) in [
        CaptureTarget::RightSlap,
        CaptureTarget::Thumbs,
        CaptureTarget::Irises,
        CaptureTarget::Signature,
    ]
    .into_iter()
    .enumerate()
    {
        run!(
            s,
            s.decide_attempt(
                t,
                data(&all_at(t, 90), &[], 3 + u32::try_from(i).unwrap(), tick())
            )
        );
    }
    assert!(
        s.package_manifest().is_none(),
        "no manifest before finalize"
    );
    let pkg: PackageId = "pkg_01JD3Z6K8T9W4Q2M5N7P0R1S2V".parse().unwrap();
    run!(
        s,
        s.decide_finalize(pkg, vec![], OperatorId::new("op.budi").unwrap(), tick())
    );
    let m = s.package_manifest().unwrap();
    assert_eq!(m, s.package_manifest().unwrap(), "deterministic");
    assert_eq!(m.entries.len(), 14);
    let order: Vec<(ItemKey, EntryKind)> = m.entries.iter().map(|e| (e.item, e.kind)).collect();
    assert_eq!(order[0], (ItemKey::Face, EntryKind::Sample));
    assert_eq!(order[1], (f(Finger::LeftRing), EntryKind::ExceptionPhoto));
    assert_eq!(order[2], (f(Finger::LeftIndex), EntryKind::Sample));
    assert_eq!(order[13], (ItemKey::Signature, EntryKind::Sample));
    assert_eq!(m.entries[1].media_type, "image/jpeg");
    assert_eq!(m.nik_masked, "3508**********01");
    assert_eq!(
        (m.opened_by.as_str(), m.finalized_by.as_str()),
        ("op.siti", "op.budi")
    );
    let ring = m
        .items
        .iter()
        .find(|i| i.item == f(Finger::LeftRing))
        .unwrap();
    assert_eq!(ring.state, ItemState::Excepted);
    assert_eq!(
        ring.exception.as_ref().unwrap().photo_sha256.as_deref(),
        Some(m.entries[1].sha256.as_str())
    );
    assert_eq!(
        m.items
            .iter()
            .find(|i| i.item == ItemKey::Face)
            .unwrap()
            .score,
        Some(80)
    );

    // The chain by hand.
    use sha2::{Digest, Sha256};
    let mut link: [u8; 32] = Sha256::digest(sid().to_string().as_bytes()).into();
    assert_eq!(m.chain_root, hex::encode(link));
    for e in &m.entries {
        let mut h = Sha256::new();
        h.update(link);
        h.update(hex::decode(&e.sha256).unwrap());
        h.update(e.item.name().as_bytes());
        link = h.finalize().into();
        assert_eq!(e.chain_hash, hex::encode(link));
    }
    assert_eq!(m.chain_head, hex::encode(link));

    let hashes: Vec<String> = m.entries.iter().map(|e| e.sha256.clone()).collect();
    assert!(m.verify(&hashes));
    // A file that does not match, a missing file, a reordered or removed entry: refused.
    let mut wrong = hashes.clone();
    wrong[3] = format!("{:064x}", 1);
    assert!(!m.verify(&wrong));
    assert!(!m.verify(&hashes[1..]));
    let mut swapped = m.clone();
    swapped.entries.swap(2, 3);
    let sh: Vec<String> = swapped.entries.iter().map(|e| e.sha256.clone()).collect();
    assert!(!swapped.verify(&sh));
    let mut removed = m.clone();
    removed.entries.remove(5);
    let rh: Vec<String> = removed.entries.iter().map(|e| e.sha256.clone()).collect();
    assert!(!removed.verify(&rh));
    let mut renamed = m.clone();
    renamed.entries[0].item = ItemKey::Signature;
    assert!(!renamed.verify(&hashes));
    let mut other_session = m.clone();
    other_session.session_id = "ses_01JD3Z6K8T9W4Q2M5N7P0R1S2W".parse().unwrap();
    assert!(!other_session.verify(&hashes));

    // JSON round trip; no full NIK anywhere.
    let json = m.to_json();
    let text = String::from_utf8(json.clone()).unwrap();
    assert!(!text.contains(SITI));
    assert!(text.contains("3508**********01"));
    let back: Manifest = serde_json::from_slice(&json).unwrap();
    assert_eq!(back, m);
    assert_eq!(m.sha256_hex().len(), 64);
}

#[test]
fn timings_follow_the_steps_and_the_standards() {
    let mut s = baru();
    let t = CaptureTarget::Face;
    run!(
        s,
        s.decide_attempt(
            t,
            data(
                &[(ItemKey::Face, 10)],
                &[],
                1,
                t0() + TDuration::seconds(10)
            )
        )
    );
    run!(
        s,
        s.decide_attempt(
            t,
            data(
                &[(ItemKey::Face, 90)],
                &[],
                2,
                t0() + TDuration::seconds(70)
            )
        )
    );
    let timings = s.timings();
    assert_eq!(timings.len(), 1);
    assert_eq!(timings[0].step, "capture.face");
    assert_eq!(timings[0].took, std::time::Duration::from_secs(60));
    assert_eq!((timings[0].standard, timings[0].within), (None, true));
    // The rest, finalized 6 minutes after opening: over the 5-minute recording standard.
    let mut at = t0() + TDuration::seconds(80);
    for (i, t) in CaptureTarget::RECOMMENDED[1..].iter().enumerate() {
        at += TDuration::seconds(30);
        run!(
            s,
            s.decide_attempt(
                *t,
                data(&all_at(*t, 90), &[], 10 + u32::try_from(i).unwrap(), at)
            )
        );
    }
    let pkg: PackageId = "pkg_01JD3Z6K8T9W4Q2M5N7P0R1S2V".parse().unwrap();
    run!(
        s,
        s.decide_finalize(pkg, vec![], op(), t0() + TDuration::seconds(360))
    );
    let timings = s.view().timings;
    let names: Vec<&str> = timings.iter().map(|t| t.step.as_str()).collect();
    assert_eq!(
        names,
        [
            "capture.face",
            "capture.signature",
            "capture.right_slap",
            "capture.left_slap",
            "capture.thumbs",
            "capture.irises",
            "recording"
        ]
    );
    let rec = timings.last().unwrap();
    assert_eq!(
        (
            rec.took.as_secs(),
            rec.standard.map(|d| d.as_secs()),
            rec.within
        ),
        (360, Some(300), false)
    );
}

#[test]
fn the_policy_is_the_one_the_session_opened_with() {
    let mut strict = WorkflowConfig::default();
    strict.thresholds.face = 95;
    strict.retry_budget.face = 1;
    let s = open_with(
        &cmd(
            SITI,
            ApplicationType::Baru,
            &["KK_COPY"],
            MaritalStatus::BelumKawin,
            false,
            date!(2025 - 01 - 06),
        ),
        &strict,
    )
    .unwrap();
    let ev = s
        .decide_attempt(
            CaptureTarget::Face,
            data(&[(ItemKey::Face, 90)], &[], 1, t0()),
        )
        .unwrap();
    let a = attempt_event(&ev);
    assert_eq!(
        (a.outcome, a.threshold, a.completes),
        (
            AttemptOutcome::BelowThreshold,
            95,
            Some(TargetOutcome::BestBelowThresholdKept)
        )
    );
    assert_eq!(s.view().items[0].threshold, 95);
}

#[test]
fn replay_and_json_round_trip_give_the_same_state_and_nothing_leaks() {
    let mut s = baru();
    let mut log = Session::decide_open(
        &cmd(
            SITI,
            ApplicationType::Baru,
            &["KK_COPY"],
            MaritalStatus::BelumKawin,
            false,
            date!(2025 - 01 - 06),
        ),
        &WorkflowConfig::default(),
    )
    .unwrap();
    log.extend(run!(
        s,
        s.decide_exception(photo_exception(f(Finger::RightLittle), t0(), 1))
    ));
    capture_everything_but(&mut s, &mut log, CaptureTarget::RightSlap);
    let q: Vec<(ItemKey, u8)> = [Finger::RightIndex, Finger::RightMiddle, Finger::RightRing]
        .into_iter()
        .map(|x| (f(x), 70))
        .collect();
    log.extend(run!(
        s,
        s.decide_attempt(CaptureTarget::RightSlap, data(&q, &[], 50, t0()))
    ));
    let pkg: PackageId = "pkg_01JD3Z6K8T9W4Q2M5N7P0R1S2V".parse().unwrap();
    log.extend(run!(
        s,
        s.decide_finalize(pkg, vec![], op(), t0() + TDuration::seconds(300))
    ));

    assert_eq!(Session::replay(&log).unwrap(), s);
    let json: Vec<String> = log
        .iter()
        .map(|e| serde_json::to_string(e).unwrap())
        .collect();
    let back: Vec<SessionEvent> = json
        .iter()
        .map(|j| serde_json::from_str(j).unwrap())
        .collect();
    assert_eq!(back, log);
    assert_eq!(Session::replay(&back).unwrap(), s);
    // The journal carries the NIK (it is encrypted); Debug and views do not.
    assert!(json[0].contains(SITI));
    for shown in [
        format!("{s:?}"),
        format!("{log:?}"),
        serde_json::to_string(&s.view()).unwrap(),
    ] {
        assert!(!shown.contains(SITI));
        assert!(!shown.contains("45010000"));
    }
    // Bad streams.
    assert!(Session::replay(&log[1..]).is_err());
    assert!(Session::replay(std::iter::empty()).is_err());
    let mut twice = log.clone();
    twice.insert(1, log[0].clone());
    assert_eq!(
        Session::replay(&twice).unwrap_err().kind(),
        WorkflowErrorKind::Internal
    );
}

fn capture_everything_but(s: &mut Session, log: &mut Vec<SessionEvent>, skip: CaptureTarget) {
    for (i, t) in CaptureTarget::RECOMMENDED.into_iter().enumerate() {
        if t != skip {
            log.extend(run!(
                *s,
                s.decide_attempt(
                    t,
                    data(&all_at(t, 90), &[], 20 + u32::try_from(i).unwrap(), t0())
                )
            ));
        }
    }
}

#[test]
fn the_view_lists_fourteen_items_and_the_recommended_targets() {
    let mut s = baru();
    let v = s.view();
    assert_eq!(v.items.len(), 14);
    assert_eq!(
        v.items.iter().map(|i| i.item).collect::<Vec<_>>(),
        ItemKey::ALL.to_vec()
    );
    assert_eq!(v.remaining, CaptureTarget::RECOMMENDED.to_vec());
    assert!(v
        .items
        .iter()
        .all(|i| i.state == ItemState::Pending && i.best_score.is_none()));
    assert_eq!(v.items[1].threshold, 40);
    assert_eq!(v.items[11].threshold, 60);
    capture_everything(&mut s);
    let v = s.view();
    assert!(v.remaining.is_empty());
    assert!(v
        .items
        .iter()
        .all(|i| i.state == ItemState::Captured && i.best_score == Some(90) && i.attempts == 1));
}
