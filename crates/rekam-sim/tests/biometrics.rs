//! Synthetic biometrics through the devices: identities per person, finger and eye; per-attempt
//! impressions; segments; expected fingers; previews.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashSet;

use common::*;
use rekam_hal::{
    Eye, FaceCaptureRequest, Finger, FingerCaptureRequest, ImageCodec, IrisCaptureRequest,
    NullSink, SignatureCaptureRequest, SimIdentity, SimSubject, SlapKind,
};
use rekam_sim::synth;

fn identities(capture: &rekam_hal::FingerCapture) -> Vec<(Finger, SimIdentity)> {
    capture
        .segments
        .as_ref()
        .unwrap()
        .iter()
        .map(|s| (s.finger, s.sim_identity.unwrap()))
        .collect()
}

#[test]
fn same_subject_same_identities_across_captures_and_new_pixels() {
    let world = world();
    let (mut scanner, _) = scanner(&world);
    let req = slap(SlapKind::RightFour, 42);
    let a = scanner.capture(&req, &ctl(), &mut NullSink).unwrap();
    let b = scanner.capture(&req, &ctl(), &mut NullSink).unwrap();
    assert_eq!(identities(&a), identities(&b));
    assert_ne!(
        a.image.data, b.image.data,
        "each attempt is a new impression"
    );
    // The identities are the published derivation, per finger.
    for (finger, id) in identities(&a) {
        assert_eq!(id, synth::finger_identity(SimSubject(42), finger));
    }
    // A second scanner (another station) sees the same person the same way.
    let other_world = world_with_seed(99);
    let (mut other, _) = common::scanner(&other_world);
    let c = other.capture(&req, &ctl(), &mut NullSink).unwrap();
    assert_eq!(identities(&a), identities(&c));
}

fn world_with_seed(seed: u64) -> rekam_sim::SimWorld {
    rekam_sim::SimWorld::new(rekam_sim::SimConfig {
        seed,
        ..rekam_sim::SimConfig::for_tests()
    })
}

#[test]
fn two_subjects_and_ten_fingers_all_differ() {
    let world = world();
    let (mut scanner, _) = scanner(&world);
    let mut all = HashSet::new();
    for subject in [1, 2] {
        for kind in [SlapKind::LeftFour, SlapKind::RightFour, SlapKind::Thumbs] {
            let cap = scanner
                .capture(&slap(kind, subject), &ctl(), &mut NullSink)
                .unwrap();
            assert!(cap.guidance.is_empty(), "{:?}", cap.guidance);
            for (_, id) in identities(&cap) {
                assert!(all.insert(id), "identity repeated");
            }
        }
    }
    assert_eq!(all.len(), 20);
}

#[test]
fn slap_segments_are_consistent() {
    let world = world();
    let (mut scanner, _) = scanner(&world);
    for kind in [SlapKind::LeftFour, SlapKind::RightFour, SlapKind::Thumbs] {
        let cap = scanner
            .capture(&slap(kind, 7), &ctl(), &mut NullSink)
            .unwrap();
        assert_eq!((cap.image.width, cap.image.height), (1600, 1000));
        assert_eq!(cap.image.ppi, Some(500));
        assert!(cap.image.is_consistent());
        let segs = cap.segments.unwrap();
        let fingers: Vec<Finger> = segs.iter().map(|s| s.finger).collect();
        assert_eq!(fingers, kind.fingers());
        for s in &segs {
            assert_eq!(
                (s.image.width, s.image.height),
                (s.bbox.width, s.bbox.height)
            );
            assert!(s.image.is_consistent());
            assert!(s.bbox.x + s.bbox.width <= 1600 && s.bbox.y + s.bbox.height <= 1000);
            assert!((55..=95).contains(&s.quality.unwrap()), "{:?}", s.quality);
            assert!(s.angle_deg.abs() < 25.0);
            // The crop holds ridges: dark pixels.
            assert!(s.image.data.iter().filter(|&&p| p < 120).count() > 2000);
        }
    }
    // The little finger is lower on the platen than the middle finger.
    let cap = scanner
        .capture(&slap(SlapKind::LeftFour, 7), &ctl(), &mut NullSink)
        .unwrap();
    let segs = cap.segments.unwrap();
    let y = |f: Finger| segs.iter().find(|s| s.finger == f).unwrap().bbox.y;
    assert!(y(Finger::LeftLittle) > y(Finger::LeftMiddle) + 100);
}

#[test]
fn only_expected_fingers_are_on_the_platen() {
    let world = world();
    let (mut scanner, _) = scanner(&world);
    let req = FingerCaptureRequest {
        slap: SlapKind::RightFour,
        expected: vec![Finger::RightIndex, Finger::RightMiddle, Finger::RightLittle],
        subject: Some(SimSubject(3)),
    };
    let mut rec = Recorder::default();
    let cap = scanner.capture(&req, &ctl(), &mut rec).unwrap();
    let fingers: Vec<Finger> = cap.segments.unwrap().iter().map(|s| s.finger).collect();
    assert_eq!(
        fingers,
        vec![Finger::RightIndex, Finger::RightMiddle, Finger::RightLittle]
    );
    assert!(cap.guidance.is_empty());
    assert_eq!(rec.guidance, vec![vec![]], "guidance reported once, empty");
    // The ring finger's place is empty platen.
    let full = scanner
        .capture(&slap(SlapKind::RightFour, 3), &ctl(), &mut NullSink)
        .unwrap();
    let ring = full
        .segments
        .unwrap()
        .into_iter()
        .find(|s| s.finger == Finger::RightRing)
        .unwrap()
        .bbox;
    let cx = ring.x + ring.width / 2;
    let cy = ring.y + ring.height / 2;
    let dark = (cy - 40..cy + 40)
        .flat_map(|y| (cx - 40..cx + 40).map(move |x| (x, y)))
        .filter(|&(x, y)| cap.image.data[(y * 1600 + x) as usize] < 150)
        .count();
    assert!(
        dark < 100,
        "ring finger area should be empty, {dark} dark pixels"
    );
}

#[test]
fn a_finger_not_in_the_slap_is_refused() {
    let world = world();
    let (mut scanner, _) = scanner(&world);
    let req = FingerCaptureRequest {
        slap: SlapKind::Thumbs,
        expected: vec![Finger::RightIndex],
        subject: None,
    };
    let err = scanner.capture(&req, &ctl(), &mut NullSink).unwrap_err();
    assert_eq!(err.kind(), rekam_hal::ErrorKind::InvalidInput);
    // Empty `expected` means the whole slap, and no subject means the station's default.
    let req = FingerCaptureRequest {
        slap: SlapKind::Thumbs,
        expected: vec![],
        subject: None,
    };
    let cap = scanner.capture(&req, &ctl(), &mut NullSink).unwrap();
    assert_eq!(cap.segments.unwrap().len(), 2);
}

#[test]
fn single_flat_matches_the_slap_identity() {
    let world = world();
    let (mut scanner, _) = scanner(&world);
    let flat = scanner
        .capture(
            &slap(SlapKind::Single(Finger::LeftIndex), 11),
            &ctl(),
            &mut NullSink,
        )
        .unwrap();
    let four = scanner
        .capture(&slap(SlapKind::LeftFour, 11), &ctl(), &mut NullSink)
        .unwrap();
    let flat_id = identities(&flat)[0];
    assert_eq!(flat_id.0, Finger::LeftIndex);
    assert!(identities(&four).contains(&flat_id));
    assert_eq!((flat.image.width, flat.image.height), (500, 600));
}

#[test]
fn previews_arrive_as_small_jpegs() {
    let world = world();
    let (mut scanner, _) = scanner(&world);
    let mut rec = Recorder::default();
    scanner
        .capture(&slap(SlapKind::RightFour, 1), &ctl(), &mut rec)
        .unwrap();
    assert!(rec.frames.len() >= 3, "{} frames", rec.frames.len());
    for (i, f) in rec.frames.iter().enumerate() {
        assert_eq!(f.seq, i as u64);
        assert_eq!((f.width, f.height), (320, 240));
        let img = image::load_from_memory(&f.jpeg).unwrap();
        assert_eq!((img.width(), img.height()), (320, 240));
    }

    let (mut camera, _) = face(&world);
    let mut rec = Recorder::default();
    let req = FaceCaptureRequest {
        subject: Some(SimSubject(1)),
        max_preview_frames: 0,
    };
    camera.capture(&req, &ctl(), &mut rec).unwrap();
    assert!(rec.frames.len() >= 3);
    let mut rec = Recorder::default();
    let req = FaceCaptureRequest {
        subject: Some(SimSubject(1)),
        max_preview_frames: 2,
    };
    camera.capture(&req, &ctl(), &mut rec).unwrap();
    assert_eq!(rec.frames.len(), 2, "max_preview_frames is honoured");

    let (mut cam, _) = iris(&world);
    let mut rec = Recorder::default();
    let req = IrisCaptureRequest {
        eyes: Eye::BOTH.to_vec(),
        subject: Some(SimSubject(1)),
    };
    cam.capture(&req, &ctl(), &mut rec).unwrap();
    assert!(rec.frames.len() >= 3);
    assert!(image::load_from_memory(&rec.frames[0].jpeg).is_ok());
}

#[test]
fn face_is_a_jpeg_portrait_per_person() {
    let world = world();
    let (mut camera, _) = face(&world);
    let req = |s| FaceCaptureRequest {
        subject: Some(SimSubject(s)),
        max_preview_frames: 0,
    };
    let a = camera.capture(&req(5), &ctl(), &mut NullSink).unwrap();
    let b = camera.capture(&req(5), &ctl(), &mut NullSink).unwrap();
    let c = camera.capture(&req(6), &ctl(), &mut NullSink).unwrap();
    assert_eq!(a.image.codec, ImageCodec::Jpeg);
    let img = image::load_from_memory(&a.image.bytes).unwrap();
    assert_eq!((img.width(), img.height()), (640, 480));
    assert_eq!(a.sim_identity, b.sim_identity);
    assert_ne!(a.sim_identity, c.sim_identity);
    assert_ne!(a.image.bytes, b.image.bytes);
    assert!((60..=95).contains(&a.quality.unwrap()));
    assert!(a.guidance.is_empty());
}

#[test]
fn iris_per_eye_and_person() {
    let world = world();
    let (mut cam, _) = iris(&world);
    let req = |s, eyes: Vec<Eye>| IrisCaptureRequest {
        eyes,
        subject: Some(SimSubject(s)),
    };
    let a = cam
        .capture(&req(5, Eye::BOTH.to_vec()), &ctl(), &mut NullSink)
        .unwrap();
    assert_eq!(a.eyes.len(), 2);
    assert_ne!(a.eyes[0].sim_identity, a.eyes[1].sim_identity);
    for e in &a.eyes {
        assert_eq!((e.image.width, e.image.height), (640, 480));
        assert!(e.image.is_consistent());
        assert!((60..=95).contains(&e.quality.unwrap()));
    }
    let b = cam
        .capture(&req(5, vec![Eye::Left]), &ctl(), &mut NullSink)
        .unwrap();
    assert_eq!(b.eyes.len(), 1);
    assert_eq!(b.eyes[0].eye, Eye::Left);
    let left_a = a.eyes.iter().find(|e| e.eye == Eye::Left).unwrap();
    assert_eq!(b.eyes[0].sim_identity, left_a.sim_identity);
    assert_ne!(b.eyes[0].image.data, left_a.image.data);
    let c = cam
        .capture(&req(6, vec![Eye::Left]), &ctl(), &mut NullSink)
        .unwrap();
    assert_ne!(c.eyes[0].sim_identity, left_a.sim_identity);
}

#[test]
fn signature_is_per_person() {
    let world = world();
    let (mut pad, _) = pad(&world);
    let req = |s| SignatureCaptureRequest {
        subject: Some(SimSubject(s)),
    };
    let a = pad.capture(&req(1), &ctl(), &mut NullSink).unwrap();
    let b = pad.capture(&req(1), &ctl(), &mut NullSink).unwrap();
    let c = pad.capture(&req(2), &ctl(), &mut NullSink).unwrap();
    assert!(a.samples.len() > 50);
    assert!(a.samples.iter().any(|s| !s.pen_down));
    assert!(a.samples.iter().all(|s| s.x < 500 && s.y < 200));
    assert_ne!(a.samples, b.samples, "each signature differs a little");
    // ... but the same person's strokes stay close, another person's do not.
    let mean_y = |s: &rekam_hal::SignatureCapture| {
        s.samples.iter().map(|p| f64::from(p.y)).sum::<f64>() / s.samples.len() as f64
    };
    assert!((mean_y(&a) - mean_y(&b)).abs() < 8.0);
    assert_ne!(a.samples, c.samples);
    assert_eq!((a.image.width, a.image.height), (500, 200));
    assert!((60..=95).contains(&a.quality.unwrap()));
}
