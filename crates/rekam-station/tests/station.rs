//! The station facade on simulated devices: a complete enrolment and issuance, replay from
//! the journal, faults on the card path, cancellation.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rekam_card::MaritalStatus;
use rekam_hal::DeviceFamily;
use rekam_sim::{Fault, FaultKind, SimConfig, SimWorld};
use rekam_station::enrolment::{ApplicationType, CaptureTarget, SessionState};
use rekam_station::issuance::{DeferralReason, JobState};
use rekam_station::station::OpenSessionCmd;
use tokio::sync::mpsc;

mod rig;
use rig::*;

fn rig_in(dir: tempfile::TempDir, world: SimWorld) -> Rig {
    rig_with(dir, world, options())
}

fn rig() -> Rig {
    rig_in(
        tempfile::tempdir().unwrap(),
        SimWorld::new(SimConfig::for_tests()),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enrol_issue_activate_hand_over_and_replay() {
    let rig = rig();
    let session = enrol(&rig.station).await;
    assert_eq!(
        rig.station.get_session(&session).unwrap().state,
        SessionState::Finalized
    );

    let job = start_job(&rig.station, session, true).await;
    assert_eq!(job.state, JobState::AwaitingActivation, "{job:?}");
    assert_eq!(rig.world.ejected().len(), 1);
    assert!(!rig.world.ejected()[0].activated());

    let (tx, mut rx) = mpsc::channel(64);
    let drain = tokio::spawn(async move { while rx.recv().await.is_some() {} });
    let job = rig
        .station
        .activate(&job.id, op(), &actor(), tx)
        .await
        .unwrap();
    drain.await.unwrap();
    assert_eq!(job.state, JobState::Activated);
    assert!(
        rig.world.ejected()[0].activated(),
        "the chip life cycle moved to activated"
    );

    let job = rig
        .station
        .hand_over(&job.id, true, op(), &actor())
        .await
        .unwrap();
    assert_eq!(job.state, JobState::HandedOver);
    let supplies = rig.station.supplies().await.unwrap();
    assert_eq!(
        (supplies.issued, supplies.spoiled, supplies.blanks_used),
        (1, 0, 1)
    );
    // Biometric samples are wiped once the card is handed over.
    assert!(rig
        .station
        .store()
        .blob_meta(&session.to_string())
        .unwrap()
        .is_empty());
    assert!(rig.station.store().verify_audit().is_ok());

    // A new station on the same journal is exactly where the old one was.
    let Rig {
        station,
        world,
        _dir,
        ..
    } = rig;
    let before_session = station.get_session(&session).unwrap();
    let before_job = station.get_job(&job.id).unwrap();
    drop(station);
    let rig = rig_in(_dir, world);
    assert_eq!(rig.station.get_session(&session).unwrap(), before_session);
    assert_eq!(rig.station.get_job(&job.id).unwrap(), before_job);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chip_faults_spoil_cards_and_never_issue_them() {
    let rig = rig();
    let session = enrol(&rig.station).await;
    rig.fault(DeviceFamily::CardEncoder)
        .inject(Fault::times(FaultKind::ChipWriteError, 1));
    rig.fault(DeviceFamily::CardEncoder)
        .inject(Fault::times(FaultKind::CardPulled, 1));
    let job = start_job(&rig.station, session, true).await;
    // Two cards spoiled, the third made it.
    assert_eq!(job.state, JobState::AwaitingActivation, "{job:?}");
    assert_eq!(job.cards_spoiled, 2);
    assert_eq!(
        rig.world.rejected().len(),
        1,
        "the torn card went to the reject bin"
    );
    assert_eq!(rig.world.lost().len(), 1, "the pulled card left the path");
    assert_eq!(rig.world.ejected().len(), 1);
    let supplies = rig.station.supplies().await.unwrap();
    assert_eq!((supplies.spoiled, supplies.issued), (2, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_blanks_defers_with_a_receipt_and_resumes() {
    let rig = rig();
    let session = enrol(&rig.station).await;
    rig.fault(DeviceFamily::CardPrinter)
        .inject(Fault::new(FaultKind::BlanksEmpty));
    let job = start_job(&rig.station, session, true).await;
    assert_eq!(job.state, JobState::Deferred);
    assert_eq!(job.deferral_reason, Some(DeferralReason::OutOfBlanks));
    assert!(job.receipt.is_some());
    assert_eq!(
        rig.world.documents().len(),
        1,
        "the pickup receipt was printed"
    );
    assert!(rig.world.ejected().is_empty());

    rig.fault(DeviceFamily::CardPrinter).clear();
    let (tx, mut rx) = mpsc::channel(256);
    let drain = tokio::spawn(async move { while rx.recv().await.is_some() {} });
    let job = rig
        .station
        .resume_job(&job.id, None, op(), &actor(), tx)
        .await
        .unwrap();
    drain.await.unwrap();
    assert_eq!(job.state, JobState::AwaitingActivation, "{job:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_open_session_for_the_same_resident_is_refused() {
    let rig = rig();
    let cmd = OpenSessionCmd {
        nik: NIK.into(),
        application_type: ApplicationType::Baru,
        documents: vec!["KK_COPY".into()],
        marital_status: MaritalStatus::BelumKawin,
        previously_recorded: false,
        operator: op(),
    };
    rig.station
        .open_session(cmd.clone(), &actor())
        .await
        .unwrap();
    assert!(rig.station.open_session(cmd, &actor()).await.is_err());
    assert_eq!(rig.station.list_sessions(None).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_a_capture_leaves_the_session_and_the_scanner_usable() {
    let mut config = SimConfig::for_tests();
    config.latency.capture = std::time::Duration::from_secs(5);
    let rig = rig_in(tempfile::tempdir().unwrap(), SimWorld::new(config));
    let view = rig
        .station
        .open_session(
            OpenSessionCmd {
                nik: NIK.into(),
                application_type: ApplicationType::Baru,
                documents: vec!["KK_COPY".into()],
                marital_status: MaritalStatus::BelumKawin,
                previously_recorded: false,
                operator: op(),
            },
            &actor(),
        )
        .await
        .unwrap();
    let (tx, mut rx) = mpsc::channel(256);
    let station = rig.station.clone();
    let id = view.id;
    let task = tokio::spawn(async move {
        station
            .capture(&id, CaptureTarget::LeftSlap, op(), &actor(), tx)
            .await
    });
    // Wait for the prompt, then go away as a client would.
    rx.recv().await.unwrap();
    drop(rx);
    let started = std::time::Instant::now();
    let result = task.await.unwrap();
    assert!(result.is_err(), "a cancelled capture reports cancellation");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(4),
        "cancelled promptly"
    );
    let after = rig.station.get_session(&view.id).unwrap();
    assert_eq!(after.items, view.items, "no attempt was recorded");
    // The scanner is free and works: the next capture (with a short latency budget) runs.
    let snap = rig
        .station
        .registry()
        .list(Some(DeviceFamily::FingerprintScanner));
    assert!(snap[0].lease_holder.is_none());
}
