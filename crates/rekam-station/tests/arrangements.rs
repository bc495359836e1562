//! The two encoder arrangements through the station facade, on simulated devices:
//! `inline` (the printer feeds the blank to its own encoder) and `desk_encoder` (the operator
//! places the blank on a desk encoder, then loads the encoded card into the printer). The
//! job's prompts and waits follow the configured arrangement, and the card is printed only
//! after its chip was written and verified, in both.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rekam_hal::DeviceFamily;
use rekam_sim::{Fault, FaultKind, LifeCycle, SimConfig, SimWorld};
use rekam_station::config::Arrangement;
use rekam_station::issuance::{JobState, OperatorPrompt, Step};
use rekam_station::station::{JobUpdate, StepPhase};
use tokio::sync::mpsc;

mod rig;
use rig::*;

fn rig(arrangement: Arrangement) -> Rig {
    let mut options = options();
    options.workflow.issuance.arrangement = arrangement;
    let world = SimWorld::new(SimConfig {
        desk_encoder: arrangement == Arrangement::DeskEncoder,
        ..SimConfig::for_tests()
    });
    rig_with(tempfile::tempdir().unwrap(), world, options)
}

/// Starts a job and returns its view and every update it streamed.
async fn start(rig: &Rig) -> (rekam_station::JobView, Vec<JobUpdate>) {
    let session = enrol(&rig.station).await;
    start_job_updates(&rig.station, session, true).await
}

fn started(updates: &[JobUpdate]) -> Vec<(Step, Option<OperatorPrompt>)> {
    updates
        .iter()
        .filter(|u| u.phase == StepPhase::Started)
        .map(|u| (u.step, u.prompt))
        .collect()
}

fn position(updates: &[JobUpdate], step: Step, phase: StepPhase) -> usize {
    updates
        .iter()
        .position(|u| u.step == step && u.phase == phase)
        .unwrap_or_else(|| panic!("no {step} {phase:?}"))
}

async fn activate_and_hand_over(rig: &Rig, job: &rekam_station::JobView) {
    let (tx, mut rx) = mpsc::channel(64);
    let drain = tokio::spawn(async move { while rx.recv().await.is_some() {} });
    let view = rig
        .station
        .activate(&job.id, op(), &actor(), tx)
        .await
        .unwrap();
    drain.await.unwrap();
    assert_eq!(view.state, JobState::Activated);
    let view = rig
        .station
        .hand_over(&job.id, true, op(), &actor())
        .await
        .unwrap();
    assert_eq!(view.state, JobState::HandedOver);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prompts_and_waits_follow_the_arrangement_and_encoding_comes_first() {
    for arrangement in [Arrangement::Inline, Arrangement::DeskEncoder] {
        let rig = rig(arrangement);
        let blanks = rig.world.blanks();
        let (job, updates) = start(&rig).await;
        assert_eq!(
            job.state,
            JobState::AwaitingActivation,
            "{arrangement:?}: {job:?}"
        );
        assert_eq!(job.arrangement, arrangement);

        let desk = arrangement == Arrangement::DeskEncoder;
        let expected = vec![
            (Step::CheckSupplies, None),
            (
                Step::Feed,
                desk.then_some(OperatorPrompt::PlaceBlankOnEncoder),
            ),
            (Step::WriteChip, None),
            (Step::VerifyChip, None),
            (
                Step::Print,
                desk.then_some(OperatorPrompt::LoadCardIntoPrinter),
            ),
            (Step::Eject, None),
        ];
        assert_eq!(started(&updates), expected, "{arrangement:?}");
        // Encode, then print: the chip is written and verified before printing starts.
        let verified = position(&updates, Step::VerifyChip, StepPhase::Done);
        assert!(position(&updates, Step::WriteChip, StepPhase::Done) < verified);
        assert!(verified < position(&updates, Step::Print, StepPhase::Started));

        // One blank used, whoever took it (the printer's feeder or the operator); the card
        // is out, written and printed.
        assert_eq!(rig.world.blanks(), blanks - 1);
        let out = rig.world.ejected();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].life_cycle, LifeCycle::Personalised);
        assert!(out[0].face.as_ref().unwrap().complete);
        assert_eq!(job.card_serial.as_deref(), Some(out[0].serial.as_str()));

        activate_and_hand_over(&rig, &job).await;
        assert!(rig.world.ejected()[0].activated(), "{arrangement:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_desk_chip_fault_asks_for_the_card_to_be_discarded_and_takes_a_new_blank() {
    let rig = rig(Arrangement::DeskEncoder);
    rig.fault(DeviceFamily::CardEncoder)
        .inject(Fault::times(FaultKind::ChipWriteError, 1));
    let (job, updates) = start(&rig).await;
    assert_eq!(job.state, JobState::AwaitingActivation, "{job:?}");
    assert_eq!(job.cards_spoiled, 1);
    let starts = started(&updates);
    assert!(
        starts.contains(&(Step::RejectCard, Some(OperatorPrompt::DiscardCard))),
        "{starts:?}"
    );
    // Two blanks placed on the desk, the first discarded, the second printed.
    assert_eq!(
        starts
            .iter()
            .filter(|s| **s == (Step::Feed, Some(OperatorPrompt::PlaceBlankOnEncoder)))
            .count(),
        2
    );
    assert_eq!(rig.world.rejected().len(), 1);
    assert_eq!(rig.world.ejected().len(), 1);
    assert_ne!(
        rig.world.rejected()[0].serial,
        rig.world.ejected()[0].serial
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inline_chip_fault_rejects_without_asking_the_operator() {
    let rig = rig(Arrangement::Inline);
    rig.fault(DeviceFamily::CardEncoder)
        .inject(Fault::times(FaultKind::ChipWriteError, 1));
    let (job, updates) = start(&rig).await;
    assert_eq!(job.state, JobState::AwaitingActivation, "{job:?}");
    assert!(started(&updates).contains(&(Step::RejectCard, None)));
    assert_eq!(rig.world.rejected().len(), 1);
}
