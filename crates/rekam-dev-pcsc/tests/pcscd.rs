//! The PC/SC encoder against a real pcscd with the vpcd virtual reader and the Rust virtual
//! card: personalise, read back, passive authentication, activation; every fault; cancellation;
//! hotplug. Needs root (namespaces) and the Debian packages `pcscd`, `vsmartcard-vpcd`,
//! `util-linux`, `iproute2`; a missing one fails the test with its name. The tests share one
//! pcscd socket path and run one at a time (see `support`).
#![allow(clippy::unwrap_used)]

mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rekam_card::{
    CardProfile, CardRecord, ChipBiometrics, DocumentSigner, IcaoOpenProfile, Template,
    TemplateFormat,
};
use rekam_dev_pcsc::{PcscConfig, PcscEncoder};
use rekam_hal::{
    CardEncoder, ChipFiles, Condition, Control, Device, DeviceEvent, DeviceId, ErrorKind,
    WritePermit,
};
use rekam_vcard::{CardConfig, Fault, VirtualCard};
use support::{lock, Pcscd, READER};

const AID: [u8; 7] = [0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01];

fn ctl() -> Control {
    Control::with_timeout(Duration::from_secs(30))
}

fn record() -> CardRecord {
    rekam_card::sample::record().unwrap()
}

fn face_jpeg() -> Vec<u8> {
    let img = image::RgbImage::from_fn(180, 240, |x, y| {
        image::Rgb([(x + y / 3) as u8, (y / 2) as u8, ((x * y) / 97 % 64) as u8])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 70)
        .encode_image(&img)
        .unwrap();
    out
}

fn profile() -> IcaoOpenProfile {
    IcaoOpenProfile::new(DocumentSigner::test_only(b"pcscd tests").unwrap())
}

fn content() -> rekam_card::ChipContent {
    let bio = ChipBiometrics {
        face_jpeg: face_jpeg(),
        signature_png: [&b"\x89PNG\r\n\x1a\n"[..], &[5u8; 400][..]].concat(),
        templates: vec![
            Template {
                finger: 2,
                format: TemplateFormat::Iso19794_2Compact,
                data: (0..40u8)
                    .flat_map(|i| [i * 5, i * 3, 0x40 | (i % 60)])
                    .collect(),
            },
            Template {
                finger: 7,
                format: TemplateFormat::Iso19794_2Compact,
                data: (0..35u8)
                    .flat_map(|i| [i * 4, i * 6, 0x80 | (i % 60)])
                    .collect(),
            },
        ],
    };
    profile().build(&record(), &bio).unwrap()
}

fn files() -> ChipFiles {
    ChipFiles {
        files: content().files.into_iter().map(|(f, b)| (f.0, b)).collect(),
    }
}

fn encoder() -> PcscEncoder {
    PcscEncoder::open(
        DeviceId::new("pcsc:encoder:0").unwrap(),
        PcscConfig::lds1(Some(READER.into())),
    )
}

fn blank() -> VirtualCard {
    VirtualCard::new(CardConfig::default())
}

fn write(enc: &mut PcscEncoder) -> rekam_hal::Result<()> {
    enc.write(&files(), WritePermit::allow_irreversible_write(), &ctl())
}

/// Writes a new blank card: the reader is usable after a fault.
fn reader_still_usable(pcscd: &Pcscd, enc: &mut PcscEncoder) {
    // Let pcscd's event thread finish with the card that left (it polls vpcd every 400 ms
    // and powers a card down after its grace period); a card connecting to vpcd in that
    // window is taken for the old one and never reported (a vpcd artefact: a real card
    // arrives seconds later). This is a settle, not a timing assertion.
    std::thread::sleep(Duration::from_millis(2000));
    let card = blank();
    let _ins = pcscd.insert(&card);
    enc.wait_for_card(true, &ctl()).unwrap();
    write(enc).unwrap();
    assert_eq!(card.app(&AID).unwrap().files.len(), files().files.len());
}

#[test]
fn personalise_read_back_authenticate_and_activate() {
    let _g = lock();
    let pcscd = Pcscd::start();
    let mut enc = encoder();
    let card = blank();
    let ins = pcscd.insert(&card);
    enc.wait_for_card(true, &ctl()).unwrap();

    let info = enc.chip(&ctl()).unwrap().expect("a card");
    assert_eq!(info.serial, "04524B4D000001");
    assert!(!info.personalised && !info.activated);
    let status = enc.status(&ctl()).unwrap();
    assert!(status.conditions.contains(&Condition::CardInEncoder));

    let files = files();
    assert!(files.total_len() > 4000, "{}", files.total_len());
    enc.write(&files, WritePermit::allow_irreversible_write(), &ctl())
        .unwrap_or_else(|e| panic!("{e}\n{}", pcscd.logs()));
    let stats = enc.last_stats();
    // The minimum: per file one CREATE FILE and ceil(len / 2039) UPDATE BINARY (the card's
    // 2048-byte commands); read-back one SELECT and ceil(len / 2046) READ BINARY; around them
    // SELECT MF (the context) and CREATE of the DF. `chip()` above already read EF.ATR/INFO,
    // so the card's type is known and nothing else is sent.
    let writes: u64 = files
        .files
        .values()
        .map(|d| d.len().div_ceil(2039) as u64)
        .sum();
    let reads: u64 = files
        .files
        .values()
        .map(|d| d.len().div_ceil(2046) as u64)
        .sum();
    let n = files.files.len() as u64;
    let per_file = n + writes + n + reads;
    assert_eq!(
        stats.commands,
        1 + 1 + per_file,
        "{} APDUs for {per_file} per-file ones",
        stats.commands
    );
    assert_eq!(card.app(&AID).unwrap().files, files.files);

    let read = enc.read(&ctl()).unwrap();
    assert_eq!(read, files);
    let read_content = rekam_card::ChipContent {
        files: read
            .files
            .iter()
            .map(|(f, b)| (rekam_card::FileId(*f), b.clone()))
            .collect(),
    };
    profile().verify(&content(), &read_content).unwrap();
    let pa = profile().authenticate(&read_content).unwrap();
    assert_eq!(pa.data_groups, [1, 2, 3, 7]);

    let info = enc.chip(&ctl()).unwrap().unwrap();
    assert!(info.personalised && !info.activated);
    enc.activate(&ctl()).unwrap();
    enc.activate(&ctl()).unwrap(); // idempotent
    assert!(enc.chip(&ctl()).unwrap().unwrap().activated);
    assert_eq!(
        card.app(&AID).unwrap().life_cycle,
        rekam_apdu::LifeCycle::Activated
    );
    // An activated chip is never written again.
    let err = write(&mut enc).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Hardware, "{err}");

    ins.remove().unwrap();
    enc.wait_for_card(false, &ctl()).unwrap();
    assert_eq!(enc.chip(&ctl()).unwrap(), None);
    let err = write(&mut enc).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CardRemoved, "{err}");
}

#[test]
fn a_card_pulled_mid_write_is_card_removed_and_the_reader_stays_usable() {
    let _g = lock();
    let pcscd = Pcscd::start();
    let mut enc = encoder();
    let card = blank();
    card.inject(Fault::RemoveDuringWrite { after_writes: 2 });
    let ins = pcscd.insert(&card);
    enc.wait_for_card(true, &ctl()).unwrap();
    let err = write(&mut enc).unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::CardRemoved,
        "{err}\n{}",
        pcscd.logs()
    );
    drop(ins);
    enc.wait_for_card(false, &ctl()).unwrap();
    reader_still_usable(&pcscd, &mut enc);
}

#[test]
fn refused_full_already_personalised_and_bad_read_back_are_hardware_faults() {
    let _g = lock();
    let pcscd = Pcscd::start();
    let mut enc = encoder();
    let cases: Vec<(&str, VirtualCard)> = vec![
        ("refused", {
            let c = blank();
            c.inject(Fault::StatusWord {
                ins: 0xD6,
                sw: 0x6982,
            });
            c
        }),
        ("torn", {
            let c = blank();
            c.inject(Fault::TearWrite { after_writes: 1 });
            c
        }),
        (
            "full",
            VirtualCard::new(CardConfig {
                capacity: 3000,
                ..CardConfig::default()
            }),
        ),
        ("already personalised", {
            let c = blank();
            c.preload(0x5F01, &AID, &files().files, false);
            c
        }),
        ("read-back differs", {
            let c = blank();
            c.inject(Fault::CorruptRead {
                fid: 0x0102,
                offset: 1000,
            });
            c
        }),
    ];
    for (what, card) in cases {
        let ins = pcscd.insert(&card);
        enc.wait_for_card(true, &ctl()).unwrap();
        let err = write(&mut enc).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Hardware, "{what}: {err}");
        if what == "full" {
            assert!(err.to_string().contains("full"), "{err}");
        }
        if what == "already personalised" {
            assert!(err.to_string().contains("already personalised"), "{err}");
        }
        ins.remove().unwrap();
        enc.wait_for_card(false, &ctl()).unwrap();
    }
    reader_still_usable(&pcscd, &mut enc);
}

#[test]
fn content_larger_than_the_chip_is_refused_before_any_apdu() {
    let _g = lock();
    let pcscd = Pcscd::start();
    let mut enc = encoder();
    let card = blank();
    let _ins = pcscd.insert(&card);
    enc.wait_for_card(true, &ctl()).unwrap();
    let before = card.commands();
    let mut big = files();
    big.files.insert(0x0104, vec![0; 8192]);
    let err = enc
        .write(&big, WritePermit::allow_irreversible_write(), &ctl())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(card.commands(), before);
}

#[test]
fn waits_and_writes_are_cancelled_from_another_thread_and_time_out() {
    let _g = lock();
    let pcscd = Pcscd::start();
    let mut enc = encoder();

    // A wait for a card, cancelled from another thread: SCardCancel ends it at once.
    let c = Control::with_timeout(Duration::from_secs(60));
    let token = c.token().clone();
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        token.cancel();
    });
    let start = Instant::now();
    let err = enc.wait_for_card(true, &c).unwrap_err();
    t.join().unwrap();
    assert_eq!(err.kind(), ErrorKind::Cancelled, "{err}");
    assert!(start.elapsed() < Duration::from_secs(30));

    // The same wait with a short deadline times out.
    let err = enc
        .wait_for_card(true, &Control::with_timeout(Duration::from_millis(300)))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");

    // A slow card: a write cancelled half way stops at the next APDU.
    let card = blank();
    card.inject(Fault::Slow(Duration::from_millis(50)));
    let ins = pcscd.insert(&card);
    enc.wait_for_card(true, &ctl()).unwrap();
    let c = ctl();
    let token = c.token().clone();
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(400));
        token.cancel();
    });
    let err = enc
        .write(&files(), WritePermit::allow_irreversible_write(), &c)
        .unwrap_err();
    t.join().unwrap();
    assert_eq!(err.kind(), ErrorKind::Cancelled, "{err}");
    // The slow card with a short deadline: Timeout, not Cancelled.
    let err = enc
        .read(&Control::with_timeout(Duration::from_millis(200)))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    ins.remove().unwrap();
    enc.recover(&ctl()).unwrap();
    enc.wait_for_card(false, &ctl()).unwrap();
    reader_still_usable(&pcscd, &mut enc);
}

#[test]
fn pcscd_going_away_mid_write_is_disconnected_and_the_encoder_comes_back() {
    let _g = lock();
    let mut pcscd = Pcscd::start();
    let mut enc = encoder();
    let card = blank();
    card.inject(Fault::Slow(Duration::from_millis(100)));
    let _ins = pcscd.insert(&card);
    enc.wait_for_card(true, &ctl()).unwrap();
    let writer = std::thread::spawn(move || {
        let r = write(&mut enc);
        (enc, r)
    });
    std::thread::sleep(Duration::from_millis(700));
    pcscd.stop();
    let (mut enc, result) = writer.join().unwrap();
    let err = result.unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::Disconnected | ErrorKind::CardRemoved),
        "{err}"
    );
    let status = enc.status(&ctl()).unwrap();
    assert_eq!(status.state, rekam_hal::DeviceState::Disconnected);

    let pcscd = Pcscd::start();
    enc.recover(&ctl()).unwrap();
    reader_still_usable(&pcscd, &mut enc);
}

#[test]
fn reader_and_card_hotplug_events() {
    let _g = lock();
    let events: Arc<Mutex<Vec<DeviceEvent>>> = Arc::default();
    let mut enc = encoder();
    let sink = events.clone();
    enc.set_event_sink(Arc::new(move |e| sink.lock().unwrap().push(e)));
    let wait_for = |what: &str, f: &dyn Fn(&DeviceEvent) -> bool| {
        let end = Instant::now() + Duration::from_secs(15);
        loop {
            if events.lock().unwrap().iter().any(f) {
                events.lock().unwrap().clear();
                return;
            }
            assert!(
                Instant::now() < end,
                "no {what} event: {:?}",
                events.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    let card_in = |e: &DeviceEvent| matches!(e, DeviceEvent::StatusChanged(_, s) if s.conditions.contains(&Condition::CardInEncoder));
    let card_out = |e: &DeviceEvent| matches!(e, DeviceEvent::StatusChanged(_, s) if !s.conditions.contains(&Condition::CardInEncoder));

    let mut pcscd = Pcscd::start();
    wait_for("reader arrived", &|e| matches!(e, DeviceEvent::Arrived(_)));
    let card = blank();
    let ins = pcscd.insert(&card);
    wait_for("card present", &card_in);
    ins.remove().unwrap();
    wait_for("card gone", &card_out);
    pcscd.stop();
    wait_for("reader left", &|e| matches!(e, DeviceEvent::Left(_)));
    drop(enc); // stops the watcher
}
