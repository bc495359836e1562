//! Fingerprint matching through the station facade on simulated devices: the enrolment
//! cross-check refuses a slap that repeats the other hand (the simulator's `SameHandTwice`
//! fault), and `[matching]` decides the chip's template fingers and the activation threshold.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rekam_hal::{DeviceFamily, Finger, Guidance, GuidanceCode};
use rekam_sim::{Fault, FaultKind, SimConfig, SimWorld};
use rekam_station::enrolment::{AttemptOutcome, AttemptRecorded, CaptureTarget, TargetOutcome};
use rekam_station::issuance::JobState;
use rekam_station::station::{ActivationUpdate, CaptureUpdate, MatchingConfig, StationOptions};
use rekam_station::SessionId;
use tokio::sync::mpsc;

mod rig;
use rig::*;

fn rig_with_matching(matching: MatchingConfig) -> Rig {
    rig_with(
        tempfile::tempdir().unwrap(),
        SimWorld::new(SimConfig::for_tests()),
        StationOptions {
            matching,
            ..options()
        },
    )
}

async fn open(rig: &Rig) -> SessionId {
    open_baru(&rig.station).await.id
}

/// Captures `target` until it completes; returns its outcome and every attempt reported.
async fn capture(
    rig: &Rig,
    id: &SessionId,
    target: CaptureTarget,
) -> (Option<TargetOutcome>, Vec<AttemptRecorded>) {
    let (tx, mut rx) = mpsc::channel(256);
    let collect = tokio::spawn(async move {
        let mut attempts = Vec::new();
        while let Some(update) = rx.recv().await {
            if let CaptureUpdate::Attempt(a) = update {
                attempts.push(*a);
            }
        }
        attempts
    });
    let (outcome, _) = rig
        .station
        .capture(id, target, op(), &actor(), tx)
        .await
        .unwrap();
    (outcome, collect.await.unwrap())
}

const RIGHT: [Finger; 4] = [
    Finger::RightIndex,
    Finger::RightMiddle,
    Finger::RightRing,
    Finger::RightLittle,
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_left_hand_given_again_for_the_right_slap_is_refused_as_duplicates() {
    let rig = rig_with_matching(MatchingConfig::default());
    let id = open(&rig).await;
    let (outcome, _) = capture(&rig, &id, CaptureTarget::LeftSlap).await;
    assert_eq!(outcome, Some(TargetOutcome::Accepted));

    rig.fault(DeviceFamily::FingerprintScanner)
        .inject(Fault::once(FaultKind::SameHandTwice));
    let (outcome, attempts) = capture(&rig, &id, CaptureTarget::RightSlap).await;
    assert_eq!(outcome, Some(TargetOutcome::Accepted));
    assert_eq!(attempts.len(), 2, "{attempts:?}");
    let refused = &attempts[0];
    assert_eq!(refused.outcome, AttemptOutcome::Refused);
    assert!(
        refused.items.is_empty(),
        "nothing of the repeated hand is kept"
    );
    assert!(
        refused
            .guidance
            .contains(&Guidance::new(GuidanceCode::WrongHand)),
        "{:?}",
        refused.guidance
    );
    let duplicates: Vec<Finger> = refused
        .guidance
        .iter()
        .filter(|g| g.code == GuidanceCode::DuplicateFinger)
        .filter_map(|g| g.finger)
        .collect();
    assert!(duplicates.len() >= 3, "{:?}", refused.guidance);
    assert!(duplicates.iter().all(|f| RIGHT.contains(f)));
    // The real right hand then passes, and no later target is taken for a duplicate.
    assert_eq!(attempts[1].outcome, AttemptOutcome::Accepted);
    assert!(!attempts[1]
        .guidance
        .iter()
        .any(|g| g.code == GuidanceCode::DuplicateFinger));
    let (outcome, attempts) = capture(&rig, &id, CaptureTarget::Thumbs).await;
    assert_eq!(outcome, Some(TargetOutcome::Accepted));
    assert_eq!(attempts.len(), 1);
    // The session view carries the refused attempt's guidance too.
    let view = rig.station.get_session(&id).unwrap();
    let right_index = view
        .items
        .iter()
        .find(|i| i.item == rekam_station::enrolment::ItemKey::Finger(Finger::RightIndex))
        .unwrap();
    assert_eq!(right_index.attempts, 2, "{right_index:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_cross_check_the_repeated_hand_is_kept() {
    let rig = rig_with_matching(MatchingConfig {
        duplicate_check: false,
        ..MatchingConfig::default()
    });
    let id = open(&rig).await;
    capture(&rig, &id, CaptureTarget::LeftSlap).await;
    rig.fault(DeviceFamily::FingerprintScanner)
        .inject(Fault::once(FaultKind::SameHandTwice));
    let (outcome, attempts) = capture(&rig, &id, CaptureTarget::RightSlap).await;
    assert_eq!(outcome, Some(TargetOutcome::Accepted));
    assert_eq!(attempts.len(), 1, "the scanner alone does not notice");
}

async fn enrol_and_print(rig: &Rig) -> rekam_station::JobView {
    let session = enrol(&rig.station).await;
    let job = start_job(&rig.station, session, true).await;
    assert_eq!(job.state, JobState::AwaitingActivation, "{job:?}");
    job
}

/// Activates the job; returns the job's state and the attempts reported as
/// `(matched, score, threshold, finger)`.
async fn activate(
    rig: &Rig,
    job: &rekam_station::JobView,
) -> (JobState, Vec<(bool, u32, u32, Finger)>) {
    let (tx, mut rx) = mpsc::channel(64);
    let collect = tokio::spawn(async move {
        let mut attempts = Vec::new();
        while let Some(update) = rx.recv().await {
            if let ActivationUpdate::Attempt {
                matched,
                score,
                threshold,
                finger,
                ..
            } = update
            {
                attempts.push((matched, score, threshold, finger));
            }
        }
        attempts
    });
    let view = rig
        .station
        .activate(&job.id, op(), &actor(), tx)
        .await
        .unwrap();
    (view.state, collect.await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn template_fingers_and_threshold_come_from_the_matching_config() {
    let rig = rig_with_matching(MatchingConfig {
        template_fingers: vec![Finger::LeftThumb, Finger::RightThumb],
        ..MatchingConfig::default()
    });
    let job = enrol_and_print(&rig).await;
    let (state, attempts) = activate(&rig, &job).await;
    assert_eq!(state, JobState::Activated);
    assert_eq!(attempts.len(), 1);
    let (matched, score, threshold, finger) = attempts[0];
    assert!(matched && score >= 70, "{attempts:?}");
    assert_eq!((threshold, finger), (70, Finger::LeftThumb));

    // A threshold no genuine score reaches: every attempt of the budget fails.
    let rig = rig_with_matching(MatchingConfig {
        threshold: 1000,
        ..MatchingConfig::default()
    });
    let job = enrol_and_print(&rig).await;
    let (state, attempts) = activate(&rig, &job).await;
    assert_ne!(state, JobState::Activated);
    assert_eq!(attempts.len(), 4, "the workflow's activation_attempts");
    assert!(attempts
        .iter()
        .all(|&(matched, _, threshold, finger)| !matched
            && threshold == 1000
            && finger == Finger::RightIndex));
}

/// Finger samples captured so far in the session: one per finger per attempt that gave it.
fn finger_samples(rig: &Rig, id: &SessionId) -> u64 {
    rig.station
        .get_session(id)
        .unwrap()
        .items
        .iter()
        .filter(|i| matches!(i.item, rekam_station::enrolment::ItemKey::Finger(_)))
        .map(|i| u64::from(i.attempts))
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_finger_is_extracted_once_and_its_template_leaves_memory_at_finalization() {
    let rig = rig_with_matching(MatchingConfig::default());
    let before = rig.station.template_cache_stats();
    assert_eq!(
        (before.sessions, before.samples, before.extractions),
        (0, 0, 0)
    );
    let id = enrol(&rig.station).await;
    // 4-4-2: ten fingers, each extracted once for the cross-check (re-extracting the kept
    // fingers at each slap would take 4 + (4 + 4) + (2 + 8) = 22, or 18 without the first).
    let samples = finger_samples(&rig, &id);
    assert!(samples >= 10, "{samples}");
    assert_eq!(rig.station.template_cache_stats().extractions, samples);
    // Finalized: no template is left in memory.
    assert_eq!(rig.station.templates_held_for(&id), 0);
    let stats = rig.station.template_cache_stats();
    assert_eq!((stats.sessions, stats.samples), (0, 0));
    // The job extracts its two chip templates (right and left index) from the stored samples,
    // and holds none afterwards.
    let job = start_job(&rig.station, id, true).await;
    assert_eq!(job.state, JobState::AwaitingActivation, "{job:?}");
    let after = rig.station.template_cache_stats();
    assert_eq!(after.extractions, samples + 2);
    assert_eq!((after.sessions, after.samples), (0, 0));
    // That chip matches the live finger.
    let (state, attempts) = activate(&rig, &job).await;
    assert_eq!(state, JobState::Activated, "{attempts:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_session_leaves_no_template_in_memory() {
    let rig = rig_with_matching(MatchingConfig::default());
    let id = open(&rig).await;
    capture(&rig, &id, CaptureTarget::LeftSlap).await;
    capture(&rig, &id, CaptureTarget::RightSlap).await;
    // Only the kept fingers' templates are held (a refused attempt's are dropped).
    assert_eq!(rig.station.templates_held_for(&id), 8);
    rig.station
        .cancel_session(&id, "resident left", op(), &actor())
        .await
        .unwrap();
    assert_eq!(rig.station.templates_held_for(&id), 0);
    assert_eq!(rig.station.template_cache_stats().sessions, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_cross_check_the_job_extracts_the_chip_templates_itself() {
    let rig = rig_with_matching(MatchingConfig {
        duplicate_check: false,
        ..MatchingConfig::default()
    });
    let id = enrol(&rig.station).await;
    let stats = rig.station.template_cache_stats();
    assert_eq!((stats.sessions, stats.extractions), (0, 0));
    let job = start_job(&rig.station, id, true).await;
    assert_eq!(job.state, JobState::AwaitingActivation, "{job:?}");
    assert_eq!(rig.station.template_cache_stats().extractions, 2);
    let (state, attempts) = activate(&rig, &job).await;
    assert_eq!(state, JobState::Activated, "{attempts:?}");
}
