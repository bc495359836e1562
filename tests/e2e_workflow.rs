//! End to end, as SIAK drives the station: a complete BARU enrolment (every capture stream,
//! previews, the finalized package and its hash chain recomputed here) and the card's
//! issuance (steps, card serial, activation, handover, supplies), then the devices are all
//! free and the daemon's log holds no NIK and no panic. Also a RUSAK applicant recorded
//! before: no biometrics, an empty package.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use rekam_e2e::*;

/// Checks one capture stream: prompts open attempts, attempts are numbered from 1, previews
/// are baseline JPEGs with increasing sequence numbers, exactly one ACCEPTED result last.
fn check_capture_stream(
    target: v1::CaptureTarget,
    s: &Streamed<v1::capture_event::Event>,
    expect_previews: bool,
) {
    let result = capture_result(s);
    assert_eq!(result.target(), target);
    assert_eq!(
        result.outcome(),
        v1::ItemOutcome::Accepted,
        "{target:?}: {result:?}"
    );

    let attempts = attempts(s);
    assert!(
        !attempts.is_empty(),
        "{target:?}: no AttemptResult before the result"
    );
    let last = attempts.last().unwrap();
    assert!(
        last.accepted,
        "{target:?}: the last attempt was not accepted: {last:?}"
    );
    for (i, a) in attempts.iter().enumerate() {
        assert_eq!(
            a.attempt as usize,
            i + 1,
            "{target:?}: attempts numbered from 1"
        );
        for q in &a.qualities {
            assert_eq!(
                q.passes,
                q.score >= q.threshold,
                "{target:?}: passes must be score >= threshold: {q:?}"
            );
            // The station measures fingers itself and says with what.
            if matches!(
                target,
                v1::CaptureTarget::LeftSlap
                    | v1::CaptureTarget::RightSlap
                    | v1::CaptureTarget::Thumbs
            ) {
                for name in [
                    "finger.minutiae",
                    "finger.foreground_px",
                    "finger.orientation_certainty",
                ] {
                    assert!(
                        q.measures.iter().any(|m| m.name == name),
                        "{target:?}: {name} missing from {q:?}"
                    );
                }
            }
        }
    }
    // The first event is the prompt that opens attempt 1.
    match s.events.first() {
        Some(v1::capture_event::Event::Prompt(p)) => {
            assert_ne!(p.code(), v1::PromptCode::Unspecified);
            assert_eq!(p.attempt, 1, "{target:?}: the first prompt opens attempt 1");
        }
        other => panic!("{target:?}: the stream does not start with a prompt: {other:?}"),
    }

    let frames = previews(s);
    if expect_previews {
        assert!(!frames.is_empty(), "{target:?}: no preview frame arrived");
    }
    let mut last_seq = None;
    for f in &frames {
        assert!(
            f.jpeg.len() > 4 && f.jpeg[..3] == [0xFF, 0xD8, 0xFF],
            "{target:?}: preview {} is not a JPEG (no SOI marker)",
            f.seq
        );
        assert!(
            f.jpeg.len() <= 1024 * 1024,
            "{target:?}: preview over 1 MiB"
        );
        assert!(
            f.width > 0 && f.height > 0,
            "{target:?}: preview without size"
        );
        if let Some(prev) = last_seq {
            assert!(f.seq > prev, "{target:?}: preview seq not increasing");
        }
        last_seq = Some(f.seq);
    }

    let session = result.session.unwrap();
    assert!(
        !session.remaining.contains(&(target as i32)),
        "{target:?} still remaining after an accepted capture"
    );
}

/// Decodes a JPEG 2000 file with hayro-jpeg2000, a pure-Rust decoder independent of the
/// OpenJPEG that wrote it: width, height and 8-bit interleaved pixels.
fn decode_jp2(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    use hayro_jpeg2000::{DecodeSettings, DecoderContext, Image};
    let settings = DecodeSettings {
        strict: true,
        ..DecodeSettings::default()
    };
    let image = Image::new(bytes, &settings).expect("the record image is JPEG 2000");
    assert!(!image.has_alpha());
    let (w, h) = (image.width(), image.height());
    let mut ctx = DecoderContext::default();
    let decoded = image.decode(&mut ctx).expect("the record image decodes");
    (w, h, decoded.data_u8())
}

/// A stored sample's pixels (PNG or JPEG), as the image crate decodes them.
fn sample_pixels(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    match image::load_from_memory(bytes).expect("the sample decodes") {
        image::DynamicImage::ImageLuma8(i) => (i.width(), i.height(), i.into_raw()),
        image::DynamicImage::ImageRgb8(i) => (i.width(), i.height(), i.into_raw()),
        other => panic!("unexpected sample pixels {:?}", other.color()),
    }
}

/// The image format the daemon was configured to write in records (`[records] image_format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RecordImages {
    /// Lossless JPEG 2000, the default.
    Jp2,
    /// PNG.
    Png,
}

/// Fetches every file of `package` with GetPackageEntry, checks its hash, and reads each
/// record with the ISO/IEC 19794 readers: the image inside is in the configured format (the
/// standard's code for it; lossless JPEG 2000 as a JP2 file, decoded by hayro-jpeg2000, or
/// PNG) and its pixels equal the item's sample pixel for pixel, and the quality block carries
/// the item's kept score.
async fn check_package_files(
    d: &Daemon,
    sid: &str,
    package: &v1::EnrolmentPackage,
    session: &v1::Session,
    format: RecordImages,
) {
    use rekam_iso19794::face::{FaceImageDataType, FaceImageRecord};
    use rekam_iso19794::fir::{FingerCompression, FingerImageRecord};
    use rekam_iso19794::iris::{CompressionHistory, IrisImageFormat, IrisImageRecord};
    let mut client = d.enrolment().await;
    let mut sample_bytes = std::collections::HashMap::new();
    for e in &package.entries {
        let got = ok(
            client
                .get_package_entry(v1::GetPackageEntryRequest {
                    session_id: sid.to_owned(),
                    sha256: e.sha256.clone(),
                })
                .await,
            "GetPackageEntry",
        );
        assert_eq!(
            sha256_hex(&got.content),
            e.sha256,
            "the bytes match their entry"
        );
        assert_eq!(got.media_type, e.media_type);
        assert_eq!(got.content.len() as u64, e.size);
        let name = item_name(e.item.as_ref().unwrap());
        if e.kind() == v1::PackageEntryKind::Sample {
            sample_bytes.insert(name, got.content);
            continue;
        }
        let score = session
            .items
            .iter()
            .find(|i| item_name(i.item.as_ref().unwrap()) == name)
            .map(|i| i.best_score)
            .unwrap();
        let sample = &sample_bytes[&name];
        // (image, its width and height in the record header, quality, whether the record's
        // code says the configured format)
        let jp2 = format == RecordImages::Jp2;
        let (image, dims, quality, code_ok) = match e.media_type.as_str() {
            "application/vnd.iso.19794-4.2011" => {
                let r = FingerImageRecord::from_bytes(&got.content).unwrap();
                let i = &r.images[0];
                (
                    i.image.0.clone(),
                    (i.width, i.height),
                    i.quality[0].score,
                    i.compression
                        == if jp2 {
                            FingerCompression::Jpeg2000Lossless
                        } else {
                            FingerCompression::Png
                        },
                )
            }
            "application/vnd.iso.19794-5.2011" => {
                let r = FaceImageRecord::from_bytes(&got.content).unwrap();
                let i = &r.images[0];
                (
                    i.image.0.clone(),
                    (i.width, i.height),
                    i.quality[0].score,
                    i.image_data_type
                        == if jp2 {
                            FaceImageDataType::Jpeg2000Lossless
                        } else {
                            FaceImageDataType::Png
                        },
                )
            }
            "application/vnd.iso.19794-6.2011" => {
                let r = IrisImageRecord::from_bytes(&got.content).unwrap();
                let i = &r.images[0];
                (
                    i.image.0.clone(),
                    (i.width, i.height),
                    i.quality[0].score,
                    i.image_format
                        == if jp2 {
                            IrisImageFormat::Jpeg2000
                        } else {
                            IrisImageFormat::MonoPng
                        }
                        && i.compression_history == CompressionHistory::LosslessOrNone,
                )
            }
            "application/vnd.iso.19794-7.2014" => {
                // The signature's time series: pen samples, not an image.
                let r = rekam_iso19794::sdi::SignatureRecord::from_bytes(&got.content).unwrap();
                assert!(
                    r.signatures[0].samples.len() >= 20,
                    "the signature record carries the pen samples"
                );
                continue;
            }
            other => panic!("unexpected record type {other} for {name}"),
        };
        assert!(code_ok, "the {name} record's image code says {format:?}");
        let (w, h, record_pixels) = match format {
            RecordImages::Jp2 => {
                assert_eq!(
                    &image[4..8],
                    b"jP  ",
                    "the {name} record image is a JP2 file"
                );
                decode_jp2(&image)
            }
            RecordImages::Png => {
                assert!(
                    image.starts_with(b"\x89PNG"),
                    "the {name} record image is a PNG"
                );
                sample_pixels(&image)
            }
        };
        let (sw, sh, want) = sample_pixels(sample);
        assert_eq!(
            (w, h),
            (sw, sh),
            "the {name} record image has the sample's size"
        );
        assert_eq!(
            (u32::from(dims.0), u32::from(dims.1)),
            (w, h),
            "the {name} record header gives the image's size"
        );
        assert!(
            record_pixels == want,
            "the {name} record image equals its sample pixel for pixel"
        );
        assert_eq!(
            u32::from(quality),
            score,
            "the {name} record carries its score"
        );
    }
    // A hash that is not an entry is refused.
    let bad = client
        .get_package_entry(v1::GetPackageEntryRequest {
            session_id: sid.to_owned(),
            sha256: "00".repeat(32),
        })
        .await
        .unwrap_err();
    assert_status(
        &bad,
        tonic::Code::InvalidArgument,
        v1::ErrorReason::InvalidArgument,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn baru_enrolment_and_issuance_end_to_end() {
    let d = Daemon::start_default().await;
    let nik = nik(1);

    // The station before: 7 devices, all ready and free, nothing issued.
    let devices = list_devices(&d).await;
    assert_eq!(devices.len(), 7, "{devices:#?}");
    let before = supplies(&d).await;
    assert_eq!((before.issued, before.spoiled), (0, 0));
    let blanks_before = before
        .blanks_remaining
        .expect("the simulated printer counts blanks");
    let scanner_previews = devices
        .iter()
        .find(|dv| dv.id == dev::FINGERPRINT)
        .and_then(|dv| match &dv.capabilities {
            Some(v1::device::Capabilities::Fingerprint(c)) => Some(c.preview),
            _ => None,
        })
        .expect("the fingerprint scanner has fingerprint capabilities");

    // Open.
    let session = open_session(&d, &nik).await;
    let sid = session.session_id.clone();
    assert!(
        sid.starts_with("ses_") && sid.len() == 30,
        "session id shape: {sid}"
    );
    assert_eq!(session.state(), v1::SessionState::Open);
    assert_eq!(session.application_type(), v1::ApplicationType::Baru);
    assert!(session.biometrics_required);
    assert_eq!(session.nik_masked, masked(&nik));
    assert_eq!(
        session.items.len(),
        1 + 10 + 2 + 1,
        "face, ten fingers, two eyes, signature"
    );
    assert!(session
        .items
        .iter()
        .all(|i| i.state() == v1::ItemState::Pending));
    let mut remaining: Vec<i32> = session.remaining.clone();
    remaining.sort_unstable();
    let mut all: Vec<i32> = TARGETS.iter().map(|t| *t as i32).collect();
    all.sort_unstable();
    assert_eq!(remaining, all, "every target remains at first");

    // Capture every target.
    for target in TARGETS {
        let s = capture(&d, &sid, target).await;
        let expect_previews = match target {
            v1::CaptureTarget::Face | v1::CaptureTarget::Irises => true,
            v1::CaptureTarget::LeftSlap
            | v1::CaptureTarget::RightSlap
            | v1::CaptureTarget::Thumbs => scanner_previews,
            _ => false,
        };
        check_capture_stream(target, &s, expect_previews);
    }
    let session = get_session(&d, &sid).await;
    assert!(session.remaining.is_empty(), "{:?}", session.remaining);
    for item in &session.items {
        assert_eq!(item.state(), v1::ItemState::Captured, "{item:?}");
        assert!(item.best_score >= item.threshold, "{item:?}");
        assert_eq!(item.attempts, 1, "{item:?}");
    }

    // Finalize: the package and its chain.
    let done = finalize(&d, &sid).await;
    let fin = done.session.clone().unwrap();
    assert_eq!(fin.state(), v1::SessionState::Finalized);
    let package = done.package.clone().unwrap();
    assert!(
        package.package_id.starts_with("pkg_"),
        "{}",
        package.package_id
    );
    assert_eq!(fin.package_id, package.package_id);
    let samples: Vec<&v1::PackageEntry> = package
        .entries
        .iter()
        .filter(|e| e.kind() == v1::PackageEntryKind::Sample)
        .collect();
    let records: Vec<&v1::PackageEntry> = package
        .entries
        .iter()
        .filter(|e| e.kind() == v1::PackageEntryKind::Record)
        .collect();
    assert_eq!(
        samples.len(),
        14,
        "one sample per item: {:#?}",
        package.entries
    );
    assert_eq!(
        records.len(),
        14,
        "one ISO/IEC 19794 record per item (face, fingers, irises, signature): {:#?}",
        package.entries
    );
    assert_eq!(package.entries.len(), samples.len() + records.len());
    assert!(
        package.entries[..14]
            .iter()
            .all(|e| e.kind() == v1::PackageEntryKind::Sample),
        "records follow the samples in the chain"
    );
    assert!(package
        .entries
        .iter()
        .all(|e| e.size > 0 && !e.media_type.is_empty()));
    let mut names: Vec<String> = samples
        .iter()
        .map(|e| item_name(e.item.as_ref().unwrap()))
        .collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 14, "every item appears once: {names:?}");
    // SIAK collects every file; each record reads back with its sample and the item's score.
    check_package_files(&d, &sid, &package, &session, RecordImages::Jp2).await;
    let (root, links) = chain(&sid, &package.entries);
    for (e, link) in package.entries.iter().zip(&links) {
        assert_eq!(
            &e.chain_hash,
            link,
            "the chain link of {} does not recompute",
            item_name(e.item.as_ref().unwrap())
        );
    }
    assert_eq!(
        package.manifest_sha256,
        sha256_hex(&package.manifest_json),
        "manifest_sha256"
    );
    let manifest_text =
        String::from_utf8(package.manifest_json.clone()).expect("the manifest is UTF-8");
    assert!(
        !manifest_text.contains(&nik),
        "the manifest holds the full NIK"
    );
    let manifest: serde_json::Value =
        serde_json::from_str(&manifest_text).expect("the manifest is JSON");
    assert_eq!(
        manifest["chain_root"].as_str(),
        Some(root.as_str()),
        "chain_root"
    );
    assert_eq!(
        manifest["chain_head"].as_str(),
        links.last().map(String::as_str),
        "chain_head"
    );
    // Finalizing again returns the same package.
    let again = finalize(&d, &sid).await;
    assert_eq!(again.package, done.package, "FinalizeSession is idempotent");

    // Issue the card.
    let run = start_job(&d, &nik, &sid, true).await;
    let job = last_job(&run);
    assert!(
        job.job_id.starts_with("job_") && job.job_id.len() == 30,
        "job id shape: {}",
        job.job_id
    );
    assert_eq!(
        job.state(),
        v1::JobState::AwaitingActivation,
        "the job did not reach AWAITING_ACTIVATION: {:?}",
        step_summary(&job)
    );
    use v1::JobStep as S;
    assert_eq!(
        steps(&job),
        [
            S::CheckSupplies,
            S::Feed,
            S::WriteChip,
            S::VerifyChip,
            S::Print,
            S::Eject
        ]
        .into_iter()
        .map(|s| (s, v1::StepState::Done))
        .collect::<Vec<_>>(),
        "{:?}",
        step_summary(&job)
    );
    assert_eq!(job.cards_spoiled, 0);
    assert_eq!(job.session_id, sid);
    assert_eq!(job.nik_masked, masked(&nik));
    assert!(!job.card_serial.is_empty(), "the job has a card serial");
    // The stream: every step started then done, in order.
    let stream_steps: Vec<(v1::JobStep, v1::StepState)> =
        run.events.iter().map(|e| (e.step(), e.state())).collect();
    let mut expected = Vec::new();
    for s in [
        S::CheckSupplies,
        S::Feed,
        S::WriteChip,
        S::VerifyChip,
        S::Print,
        S::Eject,
    ] {
        expected.push((s, v1::StepState::Started));
        expected.push((s, v1::StepState::Done));
    }
    assert_eq!(stream_steps, expected);
    assert!(run.events.iter().all(|e| e.job_id == job.job_id));
    assert_eq!(
        get_job(&d, &job.job_id).await,
        job,
        "GetJob gives the job of the last event"
    );

    // Activate.
    let act = activate(&d, &job.job_id).await;
    let result = activation_result(&act);
    assert!(result.activated, "{result:?}");
    assert_eq!(result.reason(), v1::ErrorReason::Unspecified);
    let attempts: Vec<&v1::ActivationAttempt> = act
        .events
        .iter()
        .filter_map(|e| match e {
            v1::activation_event::Event::Attempt(a) => Some(a),
            _ => None,
        })
        .collect();
    assert!(
        attempts
            .last()
            .is_some_and(|a| a.matched && a.score >= a.threshold),
        "{attempts:?}"
    );
    assert!(
        act.events.iter().any(|e| matches!(e, v1::activation_event::Event::Prompt(p) if p.code() == v1::PromptCode::PlaceFinger)),
        "activation asks for a finger"
    );
    let activated = result.job.unwrap();
    assert_eq!(activated.state(), v1::JobState::Activated);
    assert!(activated
        .steps
        .iter()
        .any(|s| s.step() == S::Activate && s.state() == v1::StepState::Done));

    // Hand over.
    let handed = hand_over(&d, &job.job_id, true).await.unwrap();
    assert_eq!(handed.state(), v1::JobState::HandedOver);
    // The job's phases against the office's time standards travel with it.
    let phases: Vec<&str> = handed.timings.iter().map(|t| t.step.as_str()).collect();
    for phase in ["printing", "activation", "handover"] {
        assert!(
            phases.contains(&phase),
            "{phase} timing missing: {phases:?}"
        );
    }
    assert!(
        handed.timings.iter().all(|t| t.standard.is_some()),
        "every phase has its standard: {:?}",
        handed.timings
    );
    // Repeating it returns the job unchanged.
    let again = hand_over(&d, &job.job_id, true).await.unwrap();
    assert_eq!(again.state(), v1::JobState::HandedOver);

    // Supplies: one issued, none spoiled, one blank used.
    let after = supplies(&d).await;
    assert_eq!((after.issued, after.spoiled), (1, 0), "{after:?}");
    assert_eq!(after.blanks_remaining, Some(blanks_before - 1), "{after:?}");

    // Devices: all ready, none leased.
    wait_devices(
        &d,
        Duration::from_secs(5),
        "7 devices ready and free",
        |list| {
            list.len() == 7
                && list
                    .iter()
                    .all(|dv| dv.state() == v1::DeviceState::Ready && dv.lease_holder.is_empty())
        },
    )
    .await;

    // The log: no full NIK, no panic.
    let log = d.log();
    assert!(!log.contains(&nik), "the daemon log holds the full NIK");
    assert!(!log.contains("panicked"), "the daemon panicked:\n{log}");

    // The card serial is the chip UID in upper-case hex (Job.card_serial).
    assert!(
        job.card_serial
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_lowercase()),
        "card serial is upper-case hex: {:?}",
        job.card_serial
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_carry_png_images_when_configured() {
    let d = Daemon::start(DaemonOptions {
        extra_toml: "[records]\nimage_format = \"png\"\n".into(),
        ..DaemonOptions::default()
    })
    .await;
    let session = open_session(&d, &nik(2)).await;
    let sid = session.session_id.clone();
    for target in TARGETS {
        capture(&d, &sid, target).await;
    }
    let done = finalize(&d, &sid).await;
    let package = done.package.clone().unwrap();
    let session = get_session(&d, &sid).await;
    assert_eq!(
        package
            .entries
            .iter()
            .filter(|e| e.kind() == v1::PackageEntryKind::Record)
            .count(),
        14
    );
    check_package_files(&d, &sid, &package, &session, RecordImages::Png).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rusak_for_a_resident_recorded_before_needs_no_biometrics() {
    let d = Daemon::start_default().await;
    let nik = nik_female(2);
    let session = ok(
        d.enrolment()
            .await
            .open_session(v1::OpenSessionRequest {
                nik: nik.clone(),
                application_type: v1::ApplicationType::Rusak.into(),
                documents: vec!["KK_COPY".into(), "DAMAGED_CARD".into()],
                marital_status: v1::MaritalStatus::Kawin.into(),
                previously_recorded: true,
                operator_id: OPERATOR.into(),
                request_id: String::new(),
            })
            .await,
        "OpenSession RUSAK",
    );
    assert!(!session.biometrics_required, "{session:?}");
    assert!(session.remaining.is_empty(), "{:?}", session.remaining);
    assert_eq!(session.items.len(), 14);
    assert!(
        session
            .items
            .iter()
            .all(|i| i.state() == v1::ItemState::NotRequired),
        "{:?}",
        session.items
    );
    assert_eq!(session.nik_masked, masked(&nik));

    // Capturing is refused: nothing of the target is pending or captured.
    let s = capture(&d, &session.session_id, v1::CaptureTarget::Face).await;
    assert_status(
        s.err(),
        tonic::Code::FailedPrecondition,
        v1::ErrorReason::StepOutOfOrder,
    );

    // It finalizes at once, into an empty package whose chain is just its root.
    let done = finalize(&d, &session.session_id).await;
    assert_eq!(
        done.session.as_ref().unwrap().state(),
        v1::SessionState::Finalized
    );
    let package = done.package.unwrap();
    assert!(package.entries.is_empty(), "{:?}", package.entries);
    let (root, _) = chain(&session.session_id, &package.entries);
    let manifest: serde_json::Value = serde_json::from_slice(&package.manifest_json).unwrap();
    assert_eq!(manifest["chain_root"].as_str(), Some(root.as_str()));
    assert_eq!(manifest["chain_head"].as_str(), Some(root.as_str()));
    assert_eq!(package.manifest_sha256, sha256_hex(&package.manifest_json));

    let log = d.log();
    assert!(!log.contains(&nik), "the daemon log holds the full NIK");
    assert!(!log.contains("panicked"), "the daemon panicked:\n{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_devices_starts_with_a_snapshot_of_every_device() {
    let d = Daemon::start_default().await;
    let mut stream = d
        .devices()
        .await
        .watch_devices(v1::WatchDevicesRequest::default())
        .await
        .unwrap()
        .into_inner();
    let mut snapshot = Vec::new();
    loop {
        let event = tokio::time::timeout(Duration::from_secs(10), stream.message())
            .await
            .expect("WatchDevices sends its snapshot at once")
            .unwrap()
            .expect("the watch stream does not end");
        match event.kind() {
            v1::DeviceEventKind::Snapshot => snapshot.push(event.device.unwrap().id),
            v1::DeviceEventKind::SnapshotDone => break,
            other => panic!("{other:?} before SNAPSHOT_DONE"),
        }
    }
    snapshot.sort();
    let mut all: Vec<String> = dev::ALL.iter().map(|s| (*s).to_owned()).collect();
    all.sort();
    assert_eq!(snapshot, all);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_captured_target_is_not_captured_again() {
    let d = Daemon::start_default().await;
    let session = open_session(&d, &nik(3)).await;
    let sid = session.session_id.clone();
    let first = capture(&d, &sid, v1::CaptureTarget::Face).await;
    capture_result(&first);
    assert_eq!(attempts(&first).last().unwrap().attempts_left, 2);
    let before = get_session(&d, &sid).await;

    // EnrolmentService.Capture: "a complete target is not captured again (STEP_OUT_OF_ORDER)".
    let again = capture(&d, &sid, v1::CaptureTarget::Face).await;
    assert_status(
        again.err(),
        tonic::Code::FailedPrecondition,
        v1::ErrorReason::StepOutOfOrder,
    );
    assert_eq!(get_session(&d, &sid).await, before, "nothing changed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rusak_job_with_biometrics_on_file_makes_a_card_and_cancelling_spoils_it() {
    let d = Daemon::start_default().await;
    let nik = nik_female(4);
    let blanks = supplies(&d).await.blanks_remaining.unwrap();
    let face = small_face_jpeg();
    assert_eq!(&face[..2], &[0xFF, 0xD8]);
    let req = v1::StartJobRequest {
        record: Some(card_record(&nik, true)),
        biometrics: Some(v1::start_job_request::Biometrics::OnFile(
            v1::ChipBiometrics {
                face_jpeg: face,
                signature_png: Vec::new(),
                fingerprints: vec![v1::FingerprintTemplate {
                    finger: v1::Finger::RightIndex.into(),
                    format: v1::TemplateFormat::SimIdentity.into(),
                    data: vec![0x5A; 16],
                }],
            },
        )),
        operator_id: OPERATOR.into(),
        request_id: String::new(),
        application_type: v1::ApplicationType::Rusak.into(),
    };
    let run = collect(d.issuance().await.start_job(req.clone()).await).await;
    let job = last_job(&run);
    assert_eq!(
        job.state(),
        v1::JobState::AwaitingActivation,
        "{:?}",
        step_summary(&job)
    );
    assert!(job.session_id.is_empty(), "no session: {job:?}");
    assert!(!job.card_serial.is_empty());
    assert_eq!(supplies(&d).await.blanks_remaining, Some(blanks - 1));

    // on_file needs the application type.
    let mut no_type = req;
    no_type.application_type = v1::ApplicationType::Unspecified.into();
    let refused = collect(d.issuance().await.start_job(no_type).await).await;
    assert_status(
        refused.err(),
        tonic::Code::InvalidArgument,
        v1::ErrorReason::InvalidArgument,
    );
    assert_eq!(
        metadata(refused.err(), "field").as_deref(),
        Some("application_type")
    );

    // Cancelling a job whose card was made but not handed over spoils the card.
    let cancelled = ok(
        d.issuance()
            .await
            .cancel_job(v1::CancelJobRequest {
                job_id: job.job_id.clone(),
                reason: "resident did not come back".into(),
                operator_id: OPERATOR.into(),
            })
            .await,
        "CancelJob",
    );
    assert_eq!(
        cancelled.state(),
        v1::JobState::Cancelled,
        "{:?}",
        step_summary(&cancelled)
    );
    let s = supplies(&d).await;
    assert_eq!(
        (s.issued, s.spoiled),
        (0, 1),
        "a cancelled card is spoiled, never issued: {s:?}"
    );
    assert_eq!(cancelled.cards_spoiled, 1);
    assert!(!d.log().contains(&nik));
    assert_eq!(
        get_job(&d, &job.job_id).await.cancel_reason,
        "resident did not come back",
        "Job.cancel_reason"
    );
    assert_eq!(
        cancelled.cancel_reason, "resident did not come back",
        "Job.cancel_reason"
    );
}

/// A small portrait JPEG (120x160) for biometrics on file: it must fit the chip's photo budget.
fn small_face_jpeg() -> Vec<u8> {
    let img = image::RgbImage::from_fn(120, 160, |x, y| {
        let dx = x as i32 - 60;
        let dy = y as i32 - 70;
        if dx * dx * 16 + dy * dy * 9 < 45 * 45 * 16 {
            image::Rgb([205, 160, 130])
        } else {
            image::Rgb([90, 120, 200])
        }
    });
    let mut out = Vec::new();
    img.write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(
        &mut out, 70,
    ))
    .unwrap();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_cancels_a_capture_leaves_the_session_and_the_scanner_usable() {
    let d = Daemon::start(DaemonOptions {
        latency: "{ preset = \"zero\", capture_ms = 4000, preview_interval_ms = 50 }".into(),
        ..DaemonOptions::default()
    })
    .await;
    let session = open_session(&d, &nik(6)).await;
    let sid = session.session_id.clone();
    let before = get_session(&d, &sid).await;
    let mut stream = d
        .enrolment()
        .await
        .capture(v1::CaptureRequest {
            session_id: sid.clone(),
            target: v1::CaptureTarget::LeftSlap.into(),
            operator_id: "op".into(),
            device_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    // The prompt and a preview or two, then the operator's client goes away mid-capture.
    for _ in 0..3 {
        stream.message().await.unwrap().unwrap();
    }
    drop(stream);
    // The scanner's lease is released promptly (the capture was cancelled, not finished: the
    // simulated capture would take 4 s).
    let started = std::time::Instant::now();
    loop {
        let devices = d
            .devices()
            .await
            .list_devices(v1::ListDevicesRequest::default())
            .await
            .unwrap()
            .into_inner()
            .devices;
        let scanner = devices
            .iter()
            .find(|x| x.id == "sim:fingerprint:0")
            .unwrap();
        if scanner.lease_holder.is_empty() {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "the scanner is still leased: {scanner:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        get_session(&d, &sid).await,
        before,
        "no attempt was recorded"
    );
    let device = d
        .devices()
        .await
        .list_devices(v1::ListDevicesRequest::default())
        .await
        .unwrap()
        .into_inner()
        .devices
        .into_iter()
        .find(|x| x.id == "sim:fingerprint:0")
        .unwrap();
    assert_eq!(device.state(), v1::DeviceState::Ready, "{device:?}");
}
