//! Slap segmentation on rekam-sim's slaps: four fingers for 20 subjects at the centres the
//! simulator drew them, a missing finger, thumbs, and the wrong hand from the simulated
//! scanner's `WrongHand` fault.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use rekam_biometrics::fingerprint::segment::segment;
use rekam_hal::{
    AnyDevice, Control, DeviceFamily, Finger, FingerCaptureRequest, GuidanceCode, Hand, NullSink,
    SimSubject, SlapKind,
};
use rekam_sim::synth::finger::{render_slap, PlacedFinger, RenderedSlap};
use rekam_sim::synth::finger_identity;
use rekam_sim::{open, Fault, FaultKind, SimConfig, SimWorld};

fn slap(kind: SlapKind, subject: u64, fingers: &[Finger], seed: u64) -> RenderedSlap {
    let placed: Vec<PlacedFinger> = fingers
        .iter()
        .map(|&finger| PlacedFinger {
            finger,
            identity: finger_identity(SimSubject(subject), finger),
        })
        .collect();
    render_slap(kind, &placed, seed, false)
}

/// Checks every found finger against where the simulator drew it.
fn check_against_truth(rendered: &RenderedSlap, kind: SlapKind, subject: u64) {
    let seg = segment(&rendered.image, kind).unwrap();
    assert_eq!(
        seg.fingers.len(),
        rendered.tips.len(),
        "subject {subject} {kind:?}"
    );
    for tip in &rendered.tips {
        let found = seg
            .fingers
            .iter()
            .find(|f| f.finger == tip.finger)
            .unwrap_or_else(|| panic!("subject {subject} {kind:?}: {} not labelled", tip.finger));
        let cx = tip.bbox.x as f32 + tip.bbox.width as f32 / 2.0;
        let cy = tip.bbox.y as f32 + tip.bbox.height as f32 / 2.0;
        let d = (found.center.0 - cx).hypot(found.center.1 - cy);
        assert!(
            d <= 20.0,
            "subject {subject} {kind:?} {}: centre {:?} is {d:.1} px from ({cx}, {cy})",
            tip.finger,
            found.center
        );
        assert!(
            (found.angle_deg - tip.angle_deg).abs() <= 8.0,
            "subject {subject} {}: angle {} against {}",
            tip.finger,
            found.angle_deg,
            tip.angle_deg
        );
        // The crop covers the tip.
        let b = found.bbox;
        assert!(b.x <= cx as u32 && cx as u32 <= b.x + b.width);
        assert!(b.y <= cy as u32 && cy as u32 <= b.y + b.height);
        assert_eq!(
            found.image.data.len(),
            (b.width * b.height) as usize,
            "crop size"
        );
    }
    assert!(!seg.wrong_hand, "subject {subject} {kind:?}");
}

#[test]
fn finds_four_fingers_of_twenty_subjects_where_the_simulator_put_them() {
    for subject in 0..20u64 {
        for kind in [SlapKind::RightFour, SlapKind::LeftFour] {
            let rendered = slap(kind, subject, &kind.fingers(), subject * 97 + 3);
            check_against_truth(&rendered, kind, subject);
            let seg = segment(&rendered.image, kind).unwrap();
            assert!(seg.missing.is_empty() && seg.guidance.is_empty());
            // Left to right in the image, in the hand's ink layout.
            let order: Vec<Finger> = seg.fingers.iter().map(|f| f.finger).collect();
            let mut want = kind.fingers();
            if kind == SlapKind::LeftFour {
                want.reverse();
            }
            assert_eq!(order, want, "subject {subject} {kind:?}");
        }
    }
}

#[test]
fn finds_both_thumbs_and_a_single_thumb() {
    for subject in 0..5u64 {
        let rendered = slap(
            SlapKind::Thumbs,
            subject,
            &SlapKind::Thumbs.fingers(),
            subject,
        );
        check_against_truth(&rendered, SlapKind::Thumbs, subject);
        let one = slap(SlapKind::Thumbs, subject, &[Finger::RightThumb], subject);
        let seg = segment(&one.image, SlapKind::Thumbs).unwrap();
        assert_eq!(seg.fingers.len(), 1);
        assert_eq!(seg.fingers[0].finger, Finger::RightThumb);
        assert_eq!(seg.missing, vec![Finger::LeftThumb]);
    }
}

#[test]
fn detects_the_missing_finger_of_a_three_finger_slap() {
    for subject in 0..6u64 {
        for kind in [SlapKind::RightFour, SlapKind::LeftFour] {
            for dropped in kind.fingers() {
                let fingers: Vec<Finger> = kind
                    .fingers()
                    .into_iter()
                    .filter(|&f| f != dropped)
                    .collect();
                let rendered = slap(kind, subject, &fingers, subject * 13 + 1);
                let seg = segment(&rendered.image, kind).unwrap();
                assert_eq!(seg.fingers.len(), 3);
                assert_eq!(
                    seg.missing,
                    vec![dropped],
                    "subject {subject} {kind:?}: found {:?}",
                    seg.fingers.iter().map(|f| f.finger).collect::<Vec<_>>()
                );
                assert!(seg
                    .guidance
                    .iter()
                    .any(|g| g.code == GuidanceCode::PartialSlap && g.finger == Some(dropped)));
                check_against_truth(&rendered, kind, subject);
            }
        }
    }
}

#[test]
fn detects_the_wrong_hand_from_the_simulated_scanner() {
    let world = SimWorld::new(SimConfig::for_tests());
    let (device, faults) = open(DeviceFamily::FingerprintScanner, 0, &world);
    let AnyDevice::Fingerprint(mut scanner) = device else {
        panic!("not a scanner");
    };
    let ctl = Control::with_timeout(Duration::from_secs(30));
    for subject in 0..10u64 {
        for kind in [SlapKind::RightFour, SlapKind::LeftFour] {
            let req = FingerCaptureRequest {
                slap: kind,
                expected: Vec::new(),
                subject: Some(SimSubject(subject)),
            };
            // The right hand first, then the wrong one.
            let good = scanner.capture(&req, &ctl, &mut NullSink).unwrap();
            let seg = segment(&good.image, kind).unwrap();
            assert!(!seg.wrong_hand, "subject {subject} {kind:?}");
            assert_eq!(seg.fingers.len(), 4);

            faults.inject(Fault::once(FaultKind::WrongHand));
            let wrong = scanner.capture(&req, &ctl, &mut NullSink).unwrap();
            assert_eq!(wrong.guidance[0].code, GuidanceCode::WrongHand);
            let seg = segment(&wrong.image, kind).unwrap();
            assert!(seg.wrong_hand, "subject {subject} {kind:?}");
            assert_eq!(seg.guidance[0].code, GuidanceCode::WrongHand);
            // Labelled as the hand that is on the platen, as the simulator labels them.
            let expected_hand = if kind == SlapKind::RightFour {
                Hand::Left
            } else {
                Hand::Right
            };
            for f in &seg.fingers {
                assert_eq!(f.finger.hand(), expected_hand);
                let truth = wrong
                    .segments
                    .as_ref()
                    .unwrap()
                    .iter()
                    .find(|s| s.finger == f.finger)
                    .unwrap();
                let cx = truth.bbox.x as f32 + truth.bbox.width as f32 / 2.0;
                assert!((f.center.0 - cx).abs() <= 20.0, "{}", f.finger);
            }
        }
    }
}

#[test]
fn an_empty_platen_asks_to_retry() {
    let rendered = slap(SlapKind::RightFour, 1, &[], 1);
    let seg = segment(&rendered.image, SlapKind::RightFour).unwrap();
    assert!(seg.fingers.is_empty());
    assert_eq!(seg.missing.len(), 4);
    assert_eq!(seg.guidance[0].code, GuidanceCode::RemoveAndRetry);
}

#[test]
fn crops_score_like_the_simulators_crops() {
    use rekam_biometrics::fingerprint::quality::assess;
    let kind = SlapKind::RightFour;
    let rendered = slap(kind, 8, &kind.fingers(), 5);
    let seg = segment(&rendered.image, kind).unwrap();
    for f in &seg.fingers {
        let q = assess(&f.image).unwrap();
        assert!(q.score >= 50, "{}: {} {:?}", f.finger, q.score, q.measures);
    }
}
