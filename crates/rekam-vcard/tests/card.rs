//! The virtual card driven by the real APDU engine (`rekam-apdu`) in process, and its vpcd
//! link against a stand-in vpcd socket.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;

use proptest::prelude::*;
use rekam_apdu::{ApduErrorKind, CardChannel, CardStatus, Fcp, LifeCycle, Limits};
use rekam_hal::Control;
use rekam_vcard::{insert, CardConfig, Direct, Fault, LinkEnd, Target, VirtualCard};

const AID: [u8; 7] = [0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01];

fn ctl() -> Control {
    Control::with_timeout(Duration::from_secs(10))
}

fn channel(card: &VirtualCard) -> CardChannel<Direct> {
    let mut ch = CardChannel::new(Direct::new(card), Limits::SHORT);
    let limits = ch.read_card_limits(&ctl()).unwrap().expect("EF.ATR/INFO");
    ch.set_limits(limits);
    ch
}

fn files() -> BTreeMap<u16, Vec<u8>> {
    let mut f = BTreeMap::new();
    f.insert(0x011E, vec![0x60, 3, 1, 2, 3]);
    f.insert(0x0101, (0..200u32).map(|i| i as u8).collect());
    f.insert(0x0102, (0..5000u32).map(|i| (i * 7) as u8).collect());
    f
}

fn personalise(
    ch: &mut CardChannel<Direct>,
    files: &BTreeMap<u16, Vec<u8>>,
) -> Result<(), rekam_apdu::ApduError> {
    let c = ctl();
    ch.select_mf(&c)?;
    ch.create_file(&Fcp::df(0x5F01, &AID), &c)?;
    for (fid, data) in files {
        ch.write_ef(*fid, data, &c)?;
    }
    Ok(())
}

#[test]
fn personalise_read_back_and_activate() {
    let card = VirtualCard::new(CardConfig::default());
    let mut ch = channel(&card);
    assert_eq!(ch.limits().max_command_data, 2048 - 9);
    personalise(&mut ch, &files()).unwrap();
    let c = ctl();
    let fcp = ch.select_aid(&AID, &c).unwrap();
    assert_eq!(fcp.life_cycle, Some(LifeCycle::Initialisation));
    for (fid, data) in files() {
        ch.verify_ef(fid, &data, &c).unwrap();
    }
    assert_eq!(ch.read_ef(0x0107, &c).unwrap(), None);
    ch.select_aid(&AID, &c).unwrap();
    ch.activate_file(&c).unwrap();
    let app = card.app(&AID).unwrap();
    assert_eq!(app.life_cycle, LifeCycle::Activated);
    assert_eq!(app.files, files());
    assert_eq!(ch.get_uid(&c).unwrap(), CardConfig::default().uid);

    // An operational application refuses writes and new files, and still reads.
    ch.select_fid(0x0101, &c).unwrap();
    let err = ch.update_binary(0, &[1], &c).unwrap_err();
    assert_eq!(err.card_status(), Some(CardStatus::ConditionsNotSatisfied));
    assert_eq!(err.kind(), ApduErrorKind::Refused);
    ch.select_aid(&AID, &c).unwrap();
    let err = ch.write_ef(0x0107, &[1], &c).unwrap_err();
    assert_eq!(err.kind(), ApduErrorKind::Refused);
    ch.verify_ef(0x0101, &files()[&0x0101], &c).unwrap();
}

#[test]
fn writes_use_the_fewest_commands_the_announced_size_allows() {
    let card = VirtualCard::new(CardConfig::default());
    let mut ch = channel(&card);
    let before = ch.stats().commands;
    personalise(&mut ch, &files()).unwrap();
    let chunk = 2048 - 9;
    let updates: u64 = files()
        .values()
        .map(|d| d.len().div_ceil(chunk) as u64)
        .sum();
    // SELECT MF + CREATE DF + one CREATE FILE per EF + the updates.
    assert_eq!(ch.stats().commands - before, 2 + 3 + updates);
    assert_eq!(card.writes(), updates);
}

#[test]
fn a_full_card_answers_6a84_before_any_data_is_written() {
    let card = VirtualCard::new(CardConfig {
        capacity: 1000,
        ..CardConfig::default()
    });
    let mut ch = channel(&card);
    let err = personalise(&mut ch, &files()).unwrap_err();
    assert_eq!(err.kind(), ApduErrorKind::CardFull);
    assert_eq!(err.card_status(), Some(CardStatus::NotEnoughMemory));
    assert!(!card.app(&AID).unwrap().files.contains_key(&0x0102));
}

#[test]
fn an_already_personalised_card_refuses_the_application() {
    let card = VirtualCard::new(CardConfig::default());
    card.preload(0x5F01, &AID, &files(), true);
    let mut ch = channel(&card);
    let err = personalise(&mut ch, &files()).unwrap_err();
    assert_eq!(err.kind(), ApduErrorKind::AlreadyPersonalised);
}

#[test]
fn a_torn_write_is_reported_and_leaves_half_a_block() {
    let card = VirtualCard::new(CardConfig::default());
    card.inject(Fault::TearWrite { after_writes: 1 });
    let mut ch = channel(&card);
    let err = personalise(&mut ch, &files()).unwrap_err();
    assert_eq!(err.card_status(), Some(CardStatus::MemoryFailure));
    assert_eq!(err.kind(), ApduErrorKind::WriteFailed);
    let app = card.app(&AID).unwrap();
    let dg2 = &app.files[&0x0102];
    // The second write (DG2's first block) stopped half way: the rest is still zero.
    assert_eq!(dg2[..10], files()[&0x0102][..10]);
    assert!(dg2[2039..].iter().all(|b| *b == 0));
}

#[test]
fn a_card_pulled_mid_write_is_gone_for_every_later_command() {
    let card = VirtualCard::new(CardConfig::default());
    card.inject(Fault::RemoveDuringWrite { after_writes: 2 });
    let mut ch = channel(&card);
    let err = personalise(&mut ch, &files()).unwrap_err();
    assert_eq!(err.kind(), ApduErrorKind::CardRemoved);
    let err = ch.select_mf(&ctl()).unwrap_err();
    assert_eq!(err.kind(), ApduErrorKind::CardRemoved);
}

#[test]
fn wrong_status_words_slow_answers_and_bad_reads() {
    let card = VirtualCard::new(CardConfig::default());
    let mut ch = channel(&card);
    card.inject(Fault::StatusWord {
        ins: 0xE0,
        sw: 0x6982,
    });
    let err = personalise(&mut ch, &files()).unwrap_err();
    assert_eq!(
        err.card_status(),
        Some(CardStatus::SecurityStatusNotSatisfied)
    );

    let card = VirtualCard::new(CardConfig::default());
    let mut ch = channel(&card);
    personalise(&mut ch, &files()).unwrap();
    card.inject(Fault::CorruptRead {
        fid: 0x0102,
        offset: 4321,
    });
    ch.select_aid(&AID, &ctl()).unwrap();
    let err = ch.verify_ef(0x0102, &files()[&0x0102], &ctl()).unwrap_err();
    assert_eq!(
        err,
        rekam_apdu::ApduError::VerifyMismatch {
            fid: 0x0102,
            offset: 4321
        }
    );

    card.clear_faults();
    card.inject(Fault::Slow(Duration::from_secs(5)));
    let short = Control::with_timeout(Duration::from_millis(50));
    let err = ch.select_mf(&short).unwrap_err();
    assert_eq!(err.kind(), ApduErrorKind::Timeout);
}

#[test]
fn long_answers_come_through_get_response() {
    // The card sends at most 100 bytes per response; the host asks for more.
    let card = VirtualCard::new(CardConfig {
        max_response_apdu: 102,
        ..CardConfig::default()
    });
    let mut ch = CardChannel::new(Direct::new(&card), Limits::extended(1000, 1000));
    personalise(&mut ch, &files()).unwrap();
    ch.select_aid(&AID, &ctl()).unwrap();
    let before = card.commands();
    assert_eq!(
        ch.read_ef(0x0102, &ctl()).unwrap().unwrap(),
        files()[&0x0102]
    );
    // SELECT + 5 READ BINARY of 1000 bytes, each 1 + 9 GET RESPONSE.
    assert_eq!(card.commands() - before, 1 + 5 * 10);
}

#[test]
fn the_vpcd_protocol_powers_answers_atr_and_apdus_and_removes() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let target = Target {
        addr: listener.local_addr().unwrap(),
        netns: None,
        connect_timeout: Duration::from_secs(5),
    };
    let card = VirtualCard::new(CardConfig::default());
    let inserted = insert(&card, &target).unwrap();
    let (mut vpcd, _) = listener.accept().unwrap();
    let mut frame = |payload: &[u8], answer: bool| -> Vec<u8> {
        let mut msg = (payload.len() as u16).to_be_bytes().to_vec();
        msg.extend_from_slice(payload);
        vpcd.write_all(&msg).unwrap();
        if !answer {
            return Vec::new();
        }
        let mut len = [0u8; 2];
        vpcd.read_exact(&mut len).unwrap();
        let mut out = vec![0u8; u16::from_be_bytes(len) as usize];
        vpcd.read_exact(&mut out).unwrap();
        out
    };
    frame(&[0x01], false);
    assert_eq!(frame(&[0x04], true), rekam_vcard::DEFAULT_ATR);
    assert_eq!(
        frame(&[0x00, 0xA4, 0x00, 0x0C, 0x02, 0x3F, 0x00], true),
        [0x90, 0x00]
    );
    assert_eq!(frame(&[0x00, 0x99, 0x00, 0x00], true), [0x6D, 0x00]);
    assert!(!inserted.is_finished());
    assert_eq!(inserted.remove().unwrap(), LinkEnd::Closed);
    let mut rest = Vec::new();
    assert_eq!(vpcd.read_to_end(&mut rest).unwrap(), 0);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn whatever_is_written_reads_back(
        sizes in proptest::collection::vec(1usize..3000, 1..5),
        // Every ISO/IEC 7816 card takes a short APDU (5 + 255 + 1 bytes); below that,
        // CREATE FILE itself does not fit (see the next test).
        max_apdu in 261usize..3000,
        seed in any::<u8>(),
    ) {
        let card = VirtualCard::new(CardConfig {
            max_command_apdu: max_apdu,
            max_response_apdu: max_apdu,
            capacity: 16_000,
            ..CardConfig::default()
        });
        let mut ch = channel(&card);
        let files: BTreeMap<u16, Vec<u8>> = sizes
            .iter()
            .enumerate()
            .map(|(i, n)| (0x0101 + i as u16, (0..*n).map(|j| (j as u8).wrapping_mul(seed)).collect()))
            .collect();
        personalise(&mut ch, &files).unwrap();
        ch.select_aid(&AID, &ctl()).unwrap();
        for (fid, data) in &files {
            prop_assert_eq!(&ch.read_ef(*fid, &ctl()).unwrap().unwrap(), data);
        }
        prop_assert_eq!(card.app(&AID).unwrap().files, files);
    }
}

#[test]
fn a_card_too_small_for_create_file_is_a_typed_error() {
    let card = VirtualCard::new(CardConfig {
        max_command_apdu: 16,
        max_response_apdu: 16,
        ..CardConfig::default()
    });
    let mut ch = channel(&card);
    let files = BTreeMap::from([(0x0101u16, vec![1u8, 2, 3])]);
    let e = personalise(&mut ch, &files).unwrap_err();
    assert!(matches!(e, rekam_apdu::ApduError::TooLarge(_)), "{e:?}");
    assert_eq!(e.kind(), ApduErrorKind::InvalidInput);
}

#[test]
fn select_by_path_from_the_mf_reaches_mf_and_application_files_from_anywhere() {
    let card = VirtualCard::new(CardConfig::default());
    let mut ch = channel(&card);
    personalise(&mut ch, &files()).unwrap();
    let c = ctl();
    // The current file is the last EF written; a path from the MF does not depend on it.
    let fcp = ch.select_path(&[rekam_apdu::ops::EF_ATR_INFO], &c).unwrap();
    assert_eq!(fcp.fid, Some(rekam_apdu::ops::EF_ATR_INFO));
    let fcp = ch.select_path(&[0x5F01, 0x0102], &c).unwrap();
    assert_eq!((fcp.fid, fcp.size), (Some(0x0102), Some(5000)));
    assert_eq!(ch.read_binary(0, 5000, &c).unwrap(), files()[&0x0102]);
    let fcp = ch.select_path(&[0x5F01], &c).unwrap();
    assert_eq!(fcp.fid, Some(0x5F01));
    assert_eq!(ch.try_select_path(&[0x5F01, 0x0199], &c).unwrap(), None);
    assert_eq!(ch.try_select_path(&[0x4F00], &c).unwrap(), None);
}
