//! The card path: feed, write, read back, activate, print, eject; supplies; refusals.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use rekam_hal::{ChipFiles, Condition, DeviceState, ErrorKind, WritePermit};
use rekam_sim::{LifeCycle, CHIP_CAPACITY};

fn files() -> ChipFiles {
    let mut f = ChipFiles::default();
    f.files.insert(0x011E, vec![0x60, 0x03, 0x5F, 0x01, 0x00]);
    f.files.insert(0x0101, (0..300).map(|i| i as u8).collect());
    f.files
        .insert(0x0102, (0..3000).map(|i| (i * 7) as u8).collect());
    f
}

#[test]
fn issue_one_card_end_to_end() {
    let world = world();
    let (mut printer, _) = printer(&world);
    let (mut encoder, _) = encoder(&world);
    assert!(encoder.chip(&ctl()).unwrap().is_none());
    printer.feed(&ctl()).unwrap();
    assert_eq!(world.blanks(), 199);
    let chip = encoder.chip(&ctl()).unwrap().unwrap();
    assert_eq!(chip.serial, "04000000000001");
    assert_eq!(chip.capacity, CHIP_CAPACITY);
    assert!(!chip.personalised && !chip.activated);
    assert!(encoder
        .status(&ctl())
        .unwrap()
        .conditions
        .contains(&Condition::CardInEncoder));

    let data = files();
    encoder
        .write(&data, WritePermit::allow_irreversible_write(), &ctl())
        .unwrap();
    assert_eq!(encoder.read(&ctl()).unwrap(), data);
    assert!(encoder.chip(&ctl()).unwrap().unwrap().personalised);
    encoder.activate(&ctl()).unwrap();
    encoder.activate(&ctl()).unwrap(); // idempotent
    assert!(encoder.chip(&ctl()).unwrap().unwrap().activated);

    printer.print(&card_face(200), &ctl()).unwrap();
    printer.eject(&ctl()).unwrap();
    assert!(world.card_in_path().is_none());
    let out = world.ejected();
    assert_eq!(out.len(), 1);
    let card = &out[0];
    assert_eq!(card.serial, "04000000000001");
    assert_eq!(card.files, data);
    assert!(card.activated());
    assert!(!card.torn);
    let face = card.face.as_ref().unwrap();
    assert_eq!((face.width, face.height, face.complete), (1016, 648, true));
    assert_eq!(face.pixel_hash.len(), 64);
    assert!(world.rejected().is_empty());

    // The next card gets the next serial and a different face hash.
    printer.feed(&ctl()).unwrap();
    printer.print(&card_face(10), &ctl()).unwrap();
    printer.eject(&ctl()).unwrap();
    let out = world.ejected();
    assert_eq!(out[1].serial, "04000000000002");
    assert_ne!(
        out[1].face.as_ref().unwrap().pixel_hash,
        out[0].face.as_ref().unwrap().pixel_hash
    );
    assert_eq!(out[1].life_cycle, LifeCycle::Created);
    assert_eq!(world.blanks(), 198);
}

#[test]
fn blanks_run_out_and_refill() {
    let world = world();
    world.set_blanks(2);
    let (mut printer, _) = printer(&world);
    let status = printer.status(&ctl()).unwrap();
    assert_eq!(status.state, DeviceState::Ready);
    assert!(status.conditions.contains(&Condition::MediaLow));
    assert_eq!(status.supplies.unwrap().blanks, Some(2));
    for _ in 0..2 {
        printer.feed(&ctl()).unwrap();
        printer.reject(&ctl()).unwrap();
    }
    let err = printer.feed(&ctl()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::OutOfSupplies);
    assert_eq!(err.condition(), Some(Condition::MediaEmpty));
    assert_eq!(
        printer.status(&ctl()).unwrap().state,
        DeviceState::NeedsAttention
    );
    assert_eq!(world.rejected().len(), 2);
    world.set_blanks(50);
    printer.feed(&ctl()).unwrap();
    assert_eq!(world.blanks(), 49);
}

#[test]
fn refusals_name_the_problem() {
    let world = world();
    let (mut printer, _) = printer(&world);
    let (mut encoder, _) = encoder(&world);
    let permit = WritePermit::allow_irreversible_write;
    // No card anywhere.
    assert_eq!(
        encoder.read(&ctl()).unwrap_err().kind(),
        ErrorKind::CardRemoved
    );
    assert_eq!(
        encoder
            .write(&files(), permit(), &ctl())
            .unwrap_err()
            .kind(),
        ErrorKind::CardRemoved
    );
    assert_eq!(
        printer.eject(&ctl()).unwrap_err().kind(),
        ErrorKind::CardRemoved
    );
    assert_eq!(
        printer.reject(&ctl()).unwrap_err().kind(),
        ErrorKind::CardRemoved
    );
    assert_eq!(
        printer.print(&card_face(1), &ctl()).unwrap_err().kind(),
        ErrorKind::CardRemoved
    );
    printer.feed(&ctl()).unwrap();
    // A second feed while a card is in the path.
    assert_eq!(
        printer.feed(&ctl()).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    // A face of the wrong size.
    let small = rekam_hal::RawImage::rgb(100, 60, vec![0; 100 * 60 * 3]).unwrap();
    assert_eq!(
        printer.print(&small, &ctl()).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    // Too much data for the chip: nothing written.
    let mut big = ChipFiles::default();
    big.files.insert(0x0102, vec![0; CHIP_CAPACITY + 1]);
    assert_eq!(
        encoder.write(&big, permit(), &ctl()).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert!(world.card_in_path().unwrap().files.files.is_empty());
    assert_eq!(
        encoder
            .write(&ChipFiles::default(), permit(), &ctl())
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidInput
    );
    // Activation before personalisation.
    assert_eq!(
        encoder.activate(&ctl()).unwrap_err().kind(),
        ErrorKind::Hardware
    );
    // After a complete write, no second write.
    encoder.write(&files(), permit(), &ctl()).unwrap();
    assert_eq!(
        encoder
            .write(&files(), permit(), &ctl())
            .unwrap_err()
            .kind(),
        ErrorKind::Hardware
    );
}

#[test]
fn self_tests_of_card_devices() {
    let world = world();
    let (mut printer, _) = printer(&world);
    let (mut encoder, _) = encoder(&world);
    let report = printer.self_test(&ctl(), &mut |_| {}).unwrap();
    let names: Vec<&str> = report.checks.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["head", "feeder", "supplies"]);
    assert!(report.passed);
    let report = encoder.self_test(&ctl(), &mut |_| {}).unwrap();
    assert!(report.passed);
    assert_eq!(report.checks[0].name, "reader responds");
    assert_eq!(report.checks[1].name, "field on");
    world.set_blanks(0);
    let report = printer.self_test(&ctl(), &mut |_| {}).unwrap();
    assert!(!report.passed);
}

#[test]
fn a_persistent_station_keeps_its_cards_across_a_restart() {
    use rekam_hal::{CardEncoder, CardPrinter, ChipFiles, Control, WritePermit};
    use std::time::Duration;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sim-station.json");
    let files = ChipFiles {
        files: [(0x0101u16, vec![1u8, 2, 3])].into_iter().collect(),
    };
    {
        let world =
            rekam_sim::SimWorld::persistent(rekam_sim::SimConfig::for_tests(), &file).unwrap();
        let (mut printer, _) = rekam_sim::SimCardPrinter::new(0, &world);
        let (mut encoder, _) = rekam_sim::SimCardEncoder::new(0, &world);
        let ctl = Control::with_timeout(Duration::from_secs(5));
        printer.feed(&ctl).unwrap();
        encoder
            .write(&files, WritePermit::allow_irreversible_write(), &ctl)
            .unwrap();
        printer.eject(&ctl).unwrap();
        assert_eq!(world.blanks(), rekam_sim::SimConfig::for_tests().blanks - 1);
    }
    // A new process: the same file, the same physical station.
    let world = rekam_sim::SimWorld::persistent(rekam_sim::SimConfig::for_tests(), &file).unwrap();
    assert_eq!(world.blanks(), rekam_sim::SimConfig::for_tests().blanks - 1);
    assert_eq!(world.ejected().len(), 1);
    let (mut encoder, _) = rekam_sim::SimCardEncoder::new(0, &world);
    let ctl = Control::with_timeout(Duration::from_secs(5));
    assert_eq!(
        encoder.read(&ctl).unwrap(),
        files,
        "the ejected card is presented for activation"
    );
    encoder.activate(&ctl).unwrap();
    assert!(world.ejected()[0].activated());
    // A corrupt file is refused, not silently replaced.
    std::fs::write(&file, b"not json").unwrap();
    assert!(rekam_sim::SimWorld::persistent(rekam_sim::SimConfig::for_tests(), &file).is_err());
}
