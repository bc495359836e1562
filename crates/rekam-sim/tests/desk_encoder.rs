//! The desk-encoder arrangement of the simulated station: the printer feeds nothing, the
//! simulated operator places a blank on the encoder when asked for a chip, and the card then
//! goes through write, read, print, eject and activation as with the inline encoder.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::unreachable
)]

use std::collections::BTreeMap;
use std::time::Duration;

use rekam_hal::{
    AnyDevice, CardEncoder, CardPrinter, ChipFiles, Control, DeviceFamily, ErrorKind, RawImage,
    WritePermit,
};
use rekam_sim::{open, LifeCycle, SimConfig, SimWorld};

fn ctl() -> Control {
    Control::with_timeout(Duration::from_secs(5))
}

fn desk_world(blanks: u32) -> SimWorld {
    SimWorld::new(SimConfig {
        desk_encoder: true,
        blanks,
        ..SimConfig::for_tests()
    })
}

fn devices(world: &SimWorld) -> (Box<dyn CardPrinter>, Box<dyn CardEncoder>) {
    let AnyDevice::CardPrinter(p) = open(DeviceFamily::CardPrinter, 0, world).0 else {
        unreachable!()
    };
    let AnyDevice::Encoder(e) = open(DeviceFamily::CardEncoder, 0, world).0 else {
        unreachable!()
    };
    (p, e)
}

fn files() -> ChipFiles {
    ChipFiles {
        files: BTreeMap::from([(0x0101, vec![7u8; 600])]),
    }
}

fn face() -> RawImage {
    RawImage::rgb(1016, 648, vec![128; 1016 * 648 * 3]).unwrap()
}

#[test]
fn the_operator_places_the_blank_and_the_printer_prints_it() {
    let world = desk_world(5);
    let (mut printer, mut encoder) = devices(&world);
    assert!(!printer.capabilities().inline_encoder);
    assert_eq!(
        printer.feed(&ctl()).unwrap_err().kind(),
        ErrorKind::Unsupported
    );
    assert_eq!(world.blanks(), 5, "a refused feed takes nothing");

    let chip = encoder
        .chip(&ctl())
        .unwrap()
        .expect("the operator placed a blank");
    assert!(!chip.personalised);
    assert_eq!(world.blanks(), 4);
    // Asking again sees the same card, no second blank.
    assert_eq!(encoder.chip(&ctl()).unwrap().unwrap().serial, chip.serial);
    assert_eq!(world.blanks(), 4);

    encoder
        .write(&files(), WritePermit::allow_irreversible_write(), &ctl())
        .unwrap();
    assert_eq!(encoder.read(&ctl()).unwrap(), files());
    printer.print(&face(), &ctl()).unwrap();
    printer.eject(&ctl()).unwrap();
    assert!(world.card_in_path().is_none());

    // Activation: the operator puts the printed card back on the desk encoder.
    encoder.activate(&ctl()).unwrap();
    let out = world.ejected();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].serial, chip.serial);
    assert_eq!(out[0].life_cycle, LifeCycle::Activated);
    assert!(out[0].face.as_ref().unwrap().complete);
}

#[test]
fn a_rejected_card_leaves_the_desk_and_the_next_blank_is_new() {
    let world = desk_world(2);
    let (mut printer, mut encoder) = devices(&world);
    let first = encoder.chip(&ctl()).unwrap().unwrap();
    printer.reject(&ctl()).unwrap();
    assert_eq!(world.rejected().len(), 1);
    let second = encoder.chip(&ctl()).unwrap().unwrap();
    assert_ne!(first.serial, second.serial);
    printer.reject(&ctl()).unwrap();
    // The stock is empty: nothing is placed.
    assert!(encoder.chip(&ctl()).unwrap().is_none());
}

#[test]
fn the_inline_printer_is_unchanged() {
    let world = SimWorld::new(SimConfig::for_tests());
    let (mut printer, mut encoder) = devices(&world);
    assert!(printer.capabilities().inline_encoder);
    assert!(
        encoder.chip(&ctl()).unwrap().is_none(),
        "no card until the printer feeds"
    );
    printer.feed(&ctl()).unwrap();
    assert!(encoder.chip(&ctl()).unwrap().is_some());
}
