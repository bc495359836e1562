//! Every fault kind produces its documented effect, counted faults run out, and the device
//! works again after `clear()`, the last use, or `recover()`.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use rekam_hal::{
    ChipFiles, Condition, Control, DeviceEvent, DeviceState, Document, EncodedImage, ErrorKind,
    Eye, FaceCaptureRequest, Finger, GuidanceCode, ImageCodec, IrisCaptureRequest, NullSink,
    SignatureCaptureRequest, SimSubject, SlapKind, WritePermit,
};
use rekam_sim::{synth, Fault, FaultKind};

fn files(len: usize) -> ChipFiles {
    let mut f = ChipFiles::default();
    f.files
        .insert(0x0101, (0..len).map(|i| (i % 251) as u8).collect());
    f.files.insert(0x0102, vec![7; len]);
    f
}

#[test]
fn unplug_fails_every_call_sends_events_and_replug_restores() {
    let world = world();
    let (mut scanner, faults) = scanner(&world);
    let (sink, seen) = events();
    scanner.set_event_sink(sink);
    faults.inject(Fault::new(FaultKind::Unplug));
    let id = scanner.info().id.clone();
    assert_eq!(*seen.lock().unwrap(), vec![DeviceEvent::Left(id.clone())]);
    let req = slap(SlapKind::RightFour, 1);
    for _ in 0..3 {
        let e = scanner.capture(&req, &ctl(), &mut NullSink).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Disconnected);
        assert_eq!(e.device(), Some(&id));
    }
    assert_eq!(
        scanner.status(&ctl()).unwrap().state,
        DeviceState::Disconnected
    );
    assert_eq!(
        scanner.recover(&ctl()).unwrap_err().kind(),
        ErrorKind::Disconnected
    );
    let mut progress = |_| {};
    assert_eq!(
        scanner.self_test(&ctl(), &mut progress).unwrap_err().kind(),
        ErrorKind::Disconnected
    );
    faults.inject(Fault::new(FaultKind::Replug));
    assert_eq!(seen.lock().unwrap().last(), Some(&DeviceEvent::Arrived(id)));
    assert!(faults.active().is_empty());
    assert_eq!(scanner.status(&ctl()).unwrap().state, DeviceState::Ready);
    scanner.capture(&req, &ctl(), &mut NullSink).unwrap();
}

#[test]
fn unplug_mid_capture_ends_it() {
    let world = rekam_sim::SimWorld::new(rekam_sim::SimConfig::default());
    let (mut scanner, faults) = scanner(&world);
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        faults.inject(Fault::new(FaultKind::Unplug));
        faults
    });
    let start = Instant::now();
    let err = scanner
        .capture(&slap(SlapKind::Thumbs, 1), &ctl(), &mut NullSink)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Disconnected);
    assert!(
        start.elapsed() < Duration::from_millis(1200),
        "{:?}",
        start.elapsed()
    );
    let faults = t.join().unwrap();
    faults.clear();
    assert_eq!(scanner.status(&ctl()).unwrap().state, DeviceState::Ready);
}

#[test]
fn counted_unplug_comes_back_by_itself() {
    let world = world();
    let (mut camera, faults) = face(&world);
    let (sink, seen) = events();
    camera.set_event_sink(sink);
    faults.inject(Fault::times(FaultKind::Unplug, 2));
    let req = FaceCaptureRequest {
        subject: None,
        max_preview_frames: 0,
    };
    assert!(camera.capture(&req, &ctl(), &mut NullSink).is_err());
    assert_eq!(faults.active()[0].count, 1);
    assert!(camera.capture(&req, &ctl(), &mut NullSink).is_err());
    assert!(camera.capture(&req, &ctl(), &mut NullSink).is_ok());
    let seen = seen.lock().unwrap();
    assert!(matches!(
        seen.as_slice(),
        [DeviceEvent::Left(_), DeviceEvent::Arrived(_)]
    ));
}

#[test]
fn busy_fails_fast_and_counted_busy_runs_out() {
    let world = world();
    let (mut pad, faults) = pad(&world);
    let req = SignatureCaptureRequest { subject: None };
    faults.inject(Fault::times(FaultKind::Busy, 2));
    assert_eq!(pad.status(&ctl()).unwrap().state, DeviceState::Busy);
    for left in [1, 0] {
        assert_eq!(
            pad.capture(&req, &ctl(), &mut NullSink).unwrap_err().kind(),
            ErrorKind::Busy
        );
        assert_eq!(faults.active().len(), left);
    }
    assert!(pad.capture(&req, &ctl(), &mut NullSink).is_ok());
    assert_eq!(pad.status(&ctl()).unwrap().state, DeviceState::Ready);
    // Until cleared: stays.
    faults.inject(Fault::new(FaultKind::Busy));
    for _ in 0..4 {
        assert!(pad.capture(&req, &ctl(), &mut NullSink).is_err());
    }
    faults.clear();
    assert!(pad.capture(&req, &ctl(), &mut NullSink).is_ok());
}

#[test]
fn timeout_blocks_until_the_deadline_but_wakes_on_cancel() {
    let world = world();
    let (mut cam, faults) = iris(&world);
    let req = IrisCaptureRequest {
        eyes: Eye::BOTH.to_vec(),
        subject: None,
    };
    faults.inject(Fault::times(FaultKind::Timeout, 2));
    let start = Instant::now();
    let err = cam
        .capture(
            &req,
            &Control::with_timeout(Duration::from_millis(150)),
            &mut NullSink,
        )
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert!(start.elapsed() >= Duration::from_millis(140));
    assert!(start.elapsed() < Duration::from_secs(2));

    let ctl = Control::with_timeout(Duration::from_secs(60));
    let token = ctl.token().clone();
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        token.cancel();
    });
    let start = Instant::now();
    let err = cam.capture(&req, &ctl, &mut NullSink).unwrap_err();
    t.join().unwrap();
    assert_eq!(err.kind(), ErrorKind::Cancelled);
    assert!(start.elapsed() < Duration::from_secs(2));
    assert!(faults.active().is_empty());
    cam.recover(&common::ctl()).unwrap();
    assert!(cam.capture(&req, &common::ctl(), &mut NullSink).is_ok());
}

#[test]
fn low_quality_affects_every_capture_family() {
    let world = world();
    let (mut scanner, f1) = scanner(&world);
    f1.inject(Fault::once(FaultKind::LowQuality));
    let cap = scanner
        .capture(&slap(SlapKind::RightFour, 1), &ctl(), &mut NullSink)
        .unwrap();
    assert_eq!(cap.guidance[0].code, GuidanceCode::PoorQuality);
    for s in cap.segments.unwrap() {
        assert!((5..=25).contains(&s.quality.unwrap()), "{:?}", s.quality);
    }
    let cap = scanner
        .capture(&slap(SlapKind::RightFour, 1), &ctl(), &mut NullSink)
        .unwrap();
    assert!(cap.guidance.is_empty(), "used up");
    assert!(cap
        .segments
        .unwrap()
        .iter()
        .all(|s| s.quality.unwrap() >= 55));

    let (mut camera, f2) = face(&world);
    f2.inject(Fault::once(FaultKind::LowQuality));
    let mut rec = Recorder::default();
    let req = FaceCaptureRequest {
        subject: None,
        max_preview_frames: 0,
    };
    let cap = camera.capture(&req, &ctl(), &mut rec).unwrap();
    assert!(cap.quality.unwrap() <= 25);
    assert_eq!(cap.guidance[0].code, GuidanceCode::PoorQuality);
    assert_eq!(
        rec.guidance.last().unwrap()[0].code,
        GuidanceCode::PoorQuality
    );

    let (mut cam, f3) = iris(&world);
    f3.inject(Fault::once(FaultKind::LowQuality));
    let req = IrisCaptureRequest {
        eyes: vec![],
        subject: None,
    };
    let cap = cam.capture(&req, &ctl(), &mut NullSink).unwrap();
    assert!(cap.eyes.iter().all(|e| e.quality.unwrap() <= 25));
    assert_eq!(cap.guidance[0].code, GuidanceCode::PoorQuality);

    let (mut pad, f4) = pad(&world);
    f4.inject(Fault::once(FaultKind::LowQuality));
    let cap = pad
        .capture(
            &SignatureCaptureRequest { subject: None },
            &ctl(),
            &mut NullSink,
        )
        .unwrap();
    assert!(cap.quality.unwrap() <= 25);
}

#[test]
fn partial_slap_drops_the_little_finger_or_the_named_one() {
    let world = world();
    let (mut scanner, faults) = scanner(&world);
    faults.inject(Fault::once(FaultKind::PartialSlap));
    let cap = scanner
        .capture(&slap(SlapKind::LeftFour, 1), &ctl(), &mut NullSink)
        .unwrap();
    let fingers: Vec<Finger> = cap.segments.unwrap().iter().map(|s| s.finger).collect();
    assert_eq!(
        fingers,
        vec![Finger::LeftIndex, Finger::LeftMiddle, Finger::LeftRing]
    );
    assert_eq!(cap.guidance.len(), 1);
    assert_eq!(cap.guidance[0].code, GuidanceCode::PartialSlap);
    assert_eq!(cap.guidance[0].finger, Some(Finger::LeftLittle));

    // A named finger applies only to slaps that expect it.
    faults.inject(Fault::once(FaultKind::PartialSlap).with_finger(Finger::RightRing));
    let cap = scanner
        .capture(&slap(SlapKind::LeftFour, 1), &ctl(), &mut NullSink)
        .unwrap();
    assert_eq!(cap.segments.unwrap().len(), 4);
    assert_eq!(faults.active().len(), 1, "not used by a left slap");
    let cap = scanner
        .capture(&slap(SlapKind::RightFour, 1), &ctl(), &mut NullSink)
        .unwrap();
    let fingers: Vec<Finger> = cap.segments.unwrap().iter().map(|s| s.finger).collect();
    assert!(!fingers.contains(&Finger::RightRing));
    assert_eq!(fingers.len(), 3);
    assert_eq!(cap.guidance[0].finger, Some(Finger::RightRing));
    assert!(faults.active().is_empty());

    // Thumbs: the left thumb by default.
    faults.inject(Fault::once(FaultKind::PartialSlap));
    let cap = scanner
        .capture(&slap(SlapKind::Thumbs, 1), &ctl(), &mut NullSink)
        .unwrap();
    let segs = cap.segments.unwrap();
    assert_eq!(segs.len(), 1);
    assert_eq!(segs[0].finger, Finger::RightThumb);
}

#[test]
fn wrong_hand_gives_the_other_hand() {
    let world = world();
    let (mut scanner, faults) = scanner(&world);
    faults.inject(Fault::once(FaultKind::WrongHand));
    let cap = scanner
        .capture(&slap(SlapKind::LeftFour, 8), &ctl(), &mut NullSink)
        .unwrap();
    assert_eq!(cap.slap, SlapKind::LeftFour);
    assert_eq!(cap.guidance[0].code, GuidanceCode::WrongHand);
    let segs = cap.segments.unwrap();
    assert_eq!(segs.len(), 4);
    for s in &segs {
        assert_eq!(s.finger.hand(), rekam_hal::Hand::Right);
        assert_eq!(
            s.sim_identity,
            Some(synth::finger_identity(SimSubject(8), s.finger))
        );
    }
    // The right index sits on the left of the image, as a right hand does.
    let index = segs
        .iter()
        .find(|s| s.finger == Finger::RightIndex)
        .unwrap();
    assert!(index.bbox.x < 600);
    // Not for thumbs; used up after one slap.
    let cap = scanner
        .capture(&slap(SlapKind::LeftFour, 8), &ctl(), &mut NullSink)
        .unwrap();
    assert!(cap.guidance.is_empty());
}

#[test]
fn same_hand_twice_gives_the_other_hands_prints_under_this_hands_labels() {
    let world = world();
    let (mut scanner, faults) = scanner(&world);
    faults.inject(Fault::once(FaultKind::SameHandTwice));
    // Not for thumbs: the fault waits for a slap.
    let thumbs = scanner
        .capture(&slap(SlapKind::Thumbs, 9), &ctl(), &mut NullSink)
        .unwrap();
    for s in thumbs.segments.unwrap() {
        assert_eq!(
            s.sim_identity,
            Some(synth::finger_identity(SimSubject(9), s.finger))
        );
    }
    let cap = scanner
        .capture(&slap(SlapKind::RightFour, 9), &ctl(), &mut NullSink)
        .unwrap();
    assert!(cap.guidance.is_empty(), "{:?}", cap.guidance);
    let segs = cap.segments.unwrap();
    assert_eq!(segs.len(), 4);
    // The left hand lies little finger first; a scanner trusting the request labels the
    // tips left to right as a right hand's: index, middle, ring, little.
    let lying = [
        (Finger::RightIndex, Finger::LeftLittle),
        (Finger::RightMiddle, Finger::LeftRing),
        (Finger::RightRing, Finger::LeftMiddle),
        (Finger::RightLittle, Finger::LeftIndex),
    ];
    for (label, print) in lying {
        let seg = segs.iter().find(|s| s.finger == label).unwrap();
        assert_eq!(
            seg.sim_identity,
            Some(synth::finger_identity(SimSubject(9), print)),
            "{label}"
        );
    }
    let x = |f: Finger| segs.iter().find(|s| s.finger == f).unwrap().bbox.x;
    assert!(x(Finger::RightIndex) < x(Finger::RightMiddle));
    assert!(x(Finger::RightRing) < x(Finger::RightLittle));
    // Used up after one slap.
    let cap = scanner
        .capture(&slap(SlapKind::RightFour, 9), &ctl(), &mut NullSink)
        .unwrap();
    for s in cap.segments.unwrap() {
        assert_eq!(
            s.sim_identity,
            Some(synth::finger_identity(SimSubject(9), s.finger))
        );
    }
}

#[test]
fn impostor_reads_another_person() {
    let world = world();
    let (mut scanner, faults) = scanner(&world);
    let req = slap(SlapKind::Single(Finger::RightIndex), 21);
    let genuine = synth::finger_identity(SimSubject(21), Finger::RightIndex);
    faults.inject(Fault::once(FaultKind::Impostor));
    let cap = scanner.capture(&req, &ctl(), &mut NullSink).unwrap();
    let id = cap.segments.unwrap()[0].sim_identity.unwrap();
    assert_ne!(id, genuine);
    assert_eq!(
        id,
        synth::finger_identity(synth::impostor_of(SimSubject(21)), Finger::RightIndex)
    );
    let cap = scanner.capture(&req, &ctl(), &mut NullSink).unwrap();
    assert_eq!(cap.segments.unwrap()[0].sim_identity, Some(genuine));
}

#[test]
fn self_test_fail_fails_the_last_check_once() {
    let world = world();
    let (mut scanner, faults) = scanner(&world);
    let mut steps = Vec::new();
    let report = scanner.self_test(&ctl(), &mut |p| steps.push(p)).unwrap();
    assert!(report.passed);
    assert_eq!(report.checks.len(), 3);
    assert_eq!(report.checks[0].name, "sensor responds");
    assert_eq!(steps.len(), 4);
    assert_eq!(steps.last().unwrap().fraction, 1.0);
    assert!(steps.windows(2).all(|w| w[0].fraction < w[1].fraction));

    faults.inject(Fault::once(FaultKind::SelfTestFail));
    let report = scanner.self_test(&ctl(), &mut |_| {}).unwrap();
    assert!(!report.passed);
    assert_eq!(report.checks.iter().filter(|c| !c.passed).count(), 1);
    assert!(!report.checks.last().unwrap().passed);
    assert!(scanner.self_test(&ctl(), &mut |_| {}).unwrap().passed);
}

#[test]
fn card_pulled_mid_write_goes_nowhere() {
    let world = world();
    let (mut printer, _) = printer(&world);
    let (mut encoder, faults) = encoder(&world);
    printer.feed(&ctl()).unwrap();
    faults.inject(Fault::once(FaultKind::CardPulled));
    let data = files(1500);
    let err = encoder
        .write(&data, WritePermit::allow_irreversible_write(), &ctl())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CardRemoved);
    assert!(world.card_in_path().is_none());
    assert!(encoder.chip(&ctl()).unwrap().is_none());
    let lost = world.lost();
    assert_eq!(lost.len(), 1);
    assert!(lost[0].torn);
    assert_eq!(lost[0].files.total_len(), 1500, "half of 3000 bytes");
    assert_eq!(lost[0].files.files[&0x0101].len(), 1500);
    assert!(world.ejected().is_empty() && world.rejected().is_empty());
    assert_eq!(
        printer.eject(&ctl()).unwrap_err().kind(),
        ErrorKind::CardRemoved
    );
    // The next card goes through.
    printer.feed(&ctl()).unwrap();
    encoder
        .write(&data, WritePermit::allow_irreversible_write(), &ctl())
        .unwrap();
    assert_eq!(encoder.read(&ctl()).unwrap(), data);
}

#[test]
fn chip_write_error_leaves_a_partial_card_to_reject() {
    let world = world();
    let (mut printer, _) = printer(&world);
    let (mut encoder, faults) = encoder(&world);
    printer.feed(&ctl()).unwrap();
    faults.inject(Fault::once(FaultKind::ChipWriteError));
    let data = files(1000);
    let err = encoder
        .write(&data, WritePermit::allow_irreversible_write(), &ctl())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Hardware);
    let card = world.card_in_path().unwrap();
    assert!(card.torn);
    assert_eq!(card.files.total_len(), 1000);
    assert!(encoder.chip(&ctl()).unwrap().unwrap().personalised);
    // The chip refuses a second write and activation.
    let again = encoder
        .write(&data, WritePermit::allow_irreversible_write(), &ctl())
        .unwrap_err();
    assert_eq!(again.kind(), ErrorKind::Hardware);
    assert_eq!(
        encoder.activate(&ctl()).unwrap_err().kind(),
        ErrorKind::Hardware
    );
    printer.reject(&ctl()).unwrap();
    let rejected = world.rejected();
    assert_eq!(rejected.len(), 1);
    assert!(rejected[0].torn);
    assert_eq!(rejected[0].serial, card.serial);
}

#[test]
fn blanks_empty_until_cleared() {
    let world = world();
    let (mut printer, faults) = printer(&world);
    faults.inject(Fault::new(FaultKind::BlanksEmpty));
    for _ in 0..2 {
        let err = printer.feed(&ctl()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::OutOfSupplies);
        assert_eq!(err.condition(), Some(Condition::MediaEmpty));
    }
    assert_eq!(printer.supplies(&ctl()).unwrap().blanks, Some(0));
    let status = printer.status(&ctl()).unwrap();
    assert_eq!(status.state, DeviceState::NeedsAttention);
    assert!(status.conditions.contains(&Condition::MediaEmpty));
    let report = printer.self_test(&ctl(), &mut |_| {}).unwrap();
    assert!(!report.passed);
    assert!(
        !report
            .checks
            .iter()
            .find(|c| c.name == "supplies")
            .unwrap()
            .passed
    );
    assert_eq!(world.blanks(), 200, "the real hopper is untouched");
    faults.clear();
    printer.feed(&ctl()).unwrap();
    assert_eq!(world.blanks(), 199);
    assert_eq!(printer.status(&ctl()).unwrap().state, DeviceState::Ready);
}

#[test]
fn ribbon_out_stops_printing() {
    let world = world();
    let (mut printer, faults) = printer(&world);
    printer.feed(&ctl()).unwrap();
    faults.inject(Fault::once(FaultKind::RibbonOut));
    assert!(printer
        .status(&ctl())
        .unwrap()
        .conditions
        .contains(&Condition::RibbonEmpty));
    let err = printer.print(&card_face(9), &ctl()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::OutOfSupplies);
    assert_eq!(err.condition(), Some(Condition::RibbonEmpty));
    printer.print(&card_face(9), &ctl()).unwrap();
    assert_eq!(world.ribbon_left(), 499);
    // A ribbon that really runs out.
    world.set_ribbon_left(0);
    assert_eq!(
        printer
            .print(&card_face(9), &ctl())
            .unwrap_err()
            .condition(),
        Some(Condition::RibbonEmpty)
    );
}

#[test]
fn jam_holds_the_card_until_recover() {
    let world = world();
    let (mut printer, faults) = printer(&world);
    let (sink, seen) = events();
    printer.set_event_sink(sink);
    faults.inject(Fault::once(FaultKind::Jam));
    let err = printer.feed(&ctl()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Hardware);
    assert_eq!(err.condition(), Some(Condition::MediaJam));
    assert_eq!(world.blanks(), 199);
    let serial = world.card_in_path().unwrap().serial;
    assert!(faults.active().is_empty());
    // The fault is used up, the card is still stuck.
    assert_eq!(
        printer.eject(&ctl()).unwrap_err().condition(),
        Some(Condition::MediaJam)
    );
    assert_eq!(
        printer.feed(&ctl()).unwrap_err().condition(),
        Some(Condition::MediaJam)
    );
    let status = printer.status(&ctl()).unwrap();
    assert_eq!(status.state, DeviceState::NeedsAttention);
    assert!(status.conditions.contains(&Condition::MediaJam));
    assert!(seen
        .lock()
        .unwrap()
        .iter()
        .any(|e| matches!(e, DeviceEvent::StatusChanged(_, s) if s.conditions.contains(&Condition::MediaJam))));
    printer.recover(&ctl()).unwrap();
    let rejected = world.rejected();
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].serial, serial);
    assert!(rejected[0].jammed);
    assert_eq!(printer.status(&ctl()).unwrap().state, DeviceState::Ready);
    // Print jams too; reject is the other way out.
    printer.feed(&ctl()).unwrap();
    faults.inject(Fault::once(FaultKind::Jam));
    assert_eq!(
        printer
            .print(&card_face(1), &ctl())
            .unwrap_err()
            .condition(),
        Some(Condition::MediaJam)
    );
    printer.reject(&ctl()).unwrap();
    assert_eq!(world.rejected().len(), 2);
    printer.feed(&ctl()).unwrap();
    printer.eject(&ctl()).unwrap();
    assert_eq!(world.ejected().len(), 1);
}

#[test]
fn printer_offline_and_document_printer_faults() {
    let world = world();
    let (mut printer, faults) = printer(&world);
    faults.inject(Fault::new(FaultKind::PrinterOffline));
    let err = printer.feed(&ctl()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Disconnected);
    assert_eq!(err.condition(), Some(Condition::Offline));
    let status = printer.status(&ctl()).unwrap();
    assert_eq!(status.state, DeviceState::NeedsAttention);
    assert!(status.conditions.contains(&Condition::Offline));
    assert_eq!(
        printer.recover(&ctl()).unwrap_err().kind(),
        ErrorKind::Disconnected
    );
    faults.clear();
    printer.recover(&ctl()).unwrap();
    printer.feed(&ctl()).unwrap();

    let (mut docs, faults) = doc_printer(&world);
    let doc = Document {
        name: "tanda pengambilan".into(),
        content: EncodedImage {
            codec: ImageCodec::Png,
            width: 10,
            height: 10,
            bytes: vec![1, 2, 3],
        },
        media: "iso_a6_105x148mm".into(),
    };
    for (kind, error, condition) in [
        (
            FaultKind::PrinterOffline,
            ErrorKind::Disconnected,
            Condition::Offline,
        ),
        (
            FaultKind::BlanksEmpty,
            ErrorKind::OutOfSupplies,
            Condition::MediaEmpty,
        ),
        (
            FaultKind::RibbonOut,
            ErrorKind::OutOfSupplies,
            Condition::RibbonEmpty,
        ),
        (FaultKind::Jam, ErrorKind::Hardware, Condition::MediaJam),
    ] {
        faults.inject(Fault::once(kind));
        let err = docs.print(&doc, &ctl()).unwrap_err();
        assert_eq!(
            (err.kind(), err.condition()),
            (error, Some(condition)),
            "{kind}"
        );
    }
    let job = docs.print(&doc, &ctl()).unwrap();
    let printed = world.documents();
    assert_eq!(printed.len(), 1);
    assert_eq!(printed[0].job_id, job);
    assert_eq!(printed[0].bytes, vec![1, 2, 3]);
    let bad = Document {
        media: "letter".into(),
        ..doc
    };
    assert_eq!(
        docs.print(&bad, &ctl()).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
}

#[test]
fn every_fault_kind_applies_somewhere_and_clears() {
    // Inject each kind into each family it applies to, clear, and check the device answers.
    let world = world();
    for family in rekam_hal::DeviceFamily::ALL {
        let (mut device, faults) = rekam_sim::open(family, 3, &world);
        for kind in FaultKind::ALL {
            if kind.applies_to(family) {
                faults.inject(Fault::new(kind));
            }
        }
        faults.clear();
        let report = device.device_mut().self_test(&ctl(), &mut |_| {}).unwrap();
        assert!(report.passed, "{family}: {report:?}");
        assert_eq!(
            device.device_mut().status(&ctl()).unwrap().state,
            DeviceState::Ready,
            "{family}"
        );
    }
}
