//! `rekamctl` against a scripted stand-in for `rekamd`: the three services served by tonic on
//! a Unix socket in a temporary directory. It checks the gRPC plumbing (requests sent, streams
//! read to the end, statuses mapped to exit codes) before the real daemon exists; the lead's
//! end-to-end tests run the same commands against `rekamd` itself.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clap::Parser;
use rekam_card::Nik;
use rekam_proto::convert::duration;
use rekam_proto::status::reason_status;
use rekam_proto::v1::{self, ErrorReason};
use rekamctl::cli::Cli;
use rekamctl::Terminal;
use tokio::net::UnixListener;
use tokio_stream::wrappers::UnixListenerStream;
use tokio_stream::Stream;
use tonic::{Request, Response, Status};

type Rpc<T> = Result<Response<T>, Status>;
type Events<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

fn events<T: Send + 'static>(items: Vec<Result<T, Status>>) -> Events<T> {
    Box::pin(tokio_stream::iter(items))
}

/// What the fake remembers and how it behaves.
#[derive(Default)]
struct State {
    faults: Vec<v1::InjectFaultRequest>,
    opened: Vec<v1::OpenSessionRequest>,
    captures: Vec<i32>,
    started: Vec<v1::StartJobRequest>,
    handed_over: Vec<v1::HandOverRequest>,
    session: Option<v1::Session>,
    job: Option<v1::Job>,
    /// Jobs defer with OUT_OF_BLANKS.
    blanks_empty: bool,
    /// GetSupplies fails with a bare UNAVAILABLE (no ErrorInfo).
    supplies_unavailable: bool,
    /// Activate fails with CARD_REMOVED.
    card_removed: bool,
}

#[derive(Clone, Default)]
struct Fake(Arc<Mutex<State>>);

impl Fake {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.0.lock().unwrap()
    }
}

fn device(id: &str, family: v1::DeviceFamily, state: v1::DeviceState) -> v1::Device {
    v1::Device {
        id: id.into(),
        family: family.into(),
        driver: id.split(':').next().unwrap().into(),
        state: state.into(),
        simulated: id.starts_with("sim:"),
        ..Default::default()
    }
}

fn devices() -> Vec<v1::Device> {
    let mut denied = device(
        "usb-aes3500:fingerprint:0",
        v1::DeviceFamily::FingerprintScanner,
        v1::DeviceState::PermissionDenied,
    );
    denied.hint = "add the rekam group's udev rule for 1c7a:0603 and replug".into();
    let mut printer = device(
        "sim:card-printer:0",
        v1::DeviceFamily::CardPrinter,
        v1::DeviceState::Ready,
    );
    printer.supplies = Some(supplies());
    vec![
        device(
            "sim:fingerprint:0",
            v1::DeviceFamily::FingerprintScanner,
            v1::DeviceState::Ready,
        ),
        denied,
        printer,
    ]
}

fn supplies() -> v1::Supplies {
    v1::Supplies {
        device_id: "sim:card-printer:0".into(),
        blanks_remaining: Some(199),
        ribbon_percent: Some(93),
        spoiled: 0,
        issued: 1,
        conditions: vec![],
    }
}

macro_rules! ms {
    ($n:expr) => {
        Some(duration(Duration::from_millis($n)))
    };
}

#[tonic::async_trait]
impl v1::device_service_server::DeviceService for Fake {
    async fn list_devices(
        &self,
        request: Request<v1::ListDevicesRequest>,
    ) -> Rpc<v1::ListDevicesResponse> {
        let family = request.into_inner().family;
        let devices = devices()
            .into_iter()
            .filter(|d| family == 0 || d.family == family)
            .collect();
        Ok(Response::new(v1::ListDevicesResponse { devices }))
    }

    type WatchDevicesStream = Events<v1::DeviceEvent>;
    async fn watch_devices(
        &self,
        _: Request<v1::WatchDevicesRequest>,
    ) -> Rpc<Self::WatchDevicesStream> {
        let mut list: Vec<Result<v1::DeviceEvent, Status>> = devices()
            .into_iter()
            .map(|d| {
                Ok(v1::DeviceEvent {
                    kind: v1::DeviceEventKind::Snapshot.into(),
                    device: Some(d),
                    at: None,
                })
            })
            .collect();
        list.push(Ok(v1::DeviceEvent {
            kind: v1::DeviceEventKind::SnapshotDone.into(),
            device: None,
            at: None,
        }));
        list.push(Ok(v1::DeviceEvent {
            kind: v1::DeviceEventKind::Changed.into(),
            device: Some(device(
                "sim:fingerprint:0",
                v1::DeviceFamily::FingerprintScanner,
                v1::DeviceState::Disconnected,
            )),
            at: None,
        }));
        Ok(Response::new(events(list)))
    }

    type RunSelfTestStream = Events<v1::SelfTestEvent>;
    async fn run_self_test(
        &self,
        request: Request<v1::RunSelfTestRequest>,
    ) -> Rpc<Self::RunSelfTestStream> {
        use v1::self_test_event::Event;
        let id = request.into_inner().device_id;
        if id == "sim:busy:0" {
            return Err(reason_status(
                ErrorReason::DeviceBusy,
                "sim:busy:0 is leased to a session",
                [],
            ));
        }
        let ids = if id.is_empty() {
            vec![
                "sim:fingerprint:0".to_owned(),
                "sim:card-printer:0".to_owned(),
            ]
        } else {
            vec![id]
        };
        let mut list = Vec::new();
        for id in ids {
            let passed = id != "sim:card-printer:0";
            list.push(Ok(v1::SelfTestEvent {
                event: Some(Event::Progress(v1::SelfTestProgress {
                    device_id: id.clone(),
                    step: "sensor responds".into(),
                    fraction: 0.5,
                })),
            }));
            list.push(Ok(v1::SelfTestEvent {
                event: Some(Event::Report(v1::SelfTestReport {
                    device_id: id.clone(),
                    passed,
                    checks: vec![v1::SelfTestCheck {
                        name: "sensor responds".into(),
                        passed,
                        detail: if passed {
                            "ok".into()
                        } else {
                            "ribbon at 0 %".into()
                        },
                        took: ms!(12),
                    }],
                    took: ms!(40),
                    reason: 0,
                })),
            }));
        }
        Ok(Response::new(events(list)))
    }

    async fn inject_fault(
        &self,
        request: Request<v1::InjectFaultRequest>,
    ) -> Rpc<v1::InjectFaultResponse> {
        let request = request.into_inner();
        if !request.device_id.starts_with("sim:") {
            return Err(reason_status(
                ErrorReason::NotSimulated,
                format!("{} is not a simulated device", request.device_id),
                [],
            ));
        }
        let kind = request.fault.as_ref().map(|f| f.kind);
        if kind == Some(v1::FaultKind::BlanksEmpty.into()) {
            self.state().blanks_empty = true;
        }
        self.state().faults.push(request);
        Ok(Response::new(v1::InjectFaultResponse {}))
    }

    async fn clear_faults(
        &self,
        _: Request<v1::ClearFaultsRequest>,
    ) -> Rpc<v1::ClearFaultsResponse> {
        let mut state = self.state();
        let cleared = u32::try_from(state.faults.len()).unwrap();
        state.faults.clear();
        state.blanks_empty = false;
        Ok(Response::new(v1::ClearFaultsResponse { cleared }))
    }

    async fn read_card(&self, _: Request<v1::ReadCardRequest>) -> Rpc<v1::ReadCardResponse> {
        Err(Status::unimplemented("the fake daemon has no encoder"))
    }
}

const ALL_TARGETS: [v1::CaptureTarget; 6] = [
    v1::CaptureTarget::Face,
    v1::CaptureTarget::Signature,
    v1::CaptureTarget::RightSlap,
    v1::CaptureTarget::LeftSlap,
    v1::CaptureTarget::Thumbs,
    v1::CaptureTarget::Irises,
];

fn face_key() -> Option<v1::ItemKey> {
    Some(v1::ItemKey {
        item: Some(v1::item_key::Item::Face(v1::item_key::Face {})),
    })
}

#[tonic::async_trait]
impl v1::enrolment_service_server::EnrolmentService for Fake {
    async fn open_session(&self, request: Request<v1::OpenSessionRequest>) -> Rpc<v1::Session> {
        let request = request.into_inner();
        let nik = Nik::parse(&request.nik)
            .map_err(|e| reason_status(ErrorReason::InvalidNik, e.to_string(), []))?;
        let session = v1::Session {
            session_id: "ses_01JD3Z6K8T9W4Q2M5N7P0R1S2V".into(),
            state: v1::SessionState::Open.into(),
            nik_masked: nik.masked(),
            application_type: request.application_type,
            biometrics_required: true,
            remaining: ALL_TARGETS.iter().map(|t| i32::from(*t)).collect(),
            operator_id: request.operator_id.clone(),
            ..Default::default()
        };
        let mut state = self.state();
        state.opened.push(request);
        state.session = Some(session.clone());
        Ok(Response::new(session))
    }

    async fn get_session(&self, request: Request<v1::GetSessionRequest>) -> Rpc<v1::Session> {
        let id = request.into_inner().session_id;
        match self.state().session.clone() {
            Some(s) if s.session_id == id => Ok(Response::new(s)),
            _ => Err(reason_status(
                ErrorReason::SessionNotFound,
                format!("no session {id}"),
                [],
            )),
        }
    }

    async fn list_sessions(
        &self,
        _: Request<v1::ListSessionsRequest>,
    ) -> Rpc<v1::ListSessionsResponse> {
        Ok(Response::new(v1::ListSessionsResponse {
            sessions: self.state().session.clone().into_iter().collect(),
            next_page_token: String::new(),
        }))
    }

    type CaptureStream = Events<v1::CaptureEvent>;
    async fn capture(&self, request: Request<v1::CaptureRequest>) -> Rpc<Self::CaptureStream> {
        use v1::capture_event::Event;
        let request = request.into_inner();
        let mut state = self.state();
        let Some(session) = state.session.as_mut() else {
            return Err(reason_status(
                ErrorReason::SessionNotFound,
                "no session",
                [],
            ));
        };
        if !session.remaining.contains(&request.target) {
            return Err(reason_status(
                ErrorReason::StepOutOfOrder,
                "nothing to capture for the target",
                [],
            ));
        }
        session.remaining.retain(|t| *t != request.target);
        let session = session.clone();
        state.captures.push(request.target);
        let quality = |score: u32| v1::ItemQuality {
            item: face_key(),
            score,
            threshold: 50,
            passes: score >= 50,
            measures: vec![
                v1::QualityMeasure {
                    name: "face.luminance_mean".into(),
                    value: if score < 50 { 38.5 } else { 120.0 },
                    min: Some(80.0),
                    max: Some(180.0),
                    passes: score >= 50,
                },
                v1::QualityMeasure {
                    name: "face.inter_eye_distance_px".into(),
                    value: 118.0,
                    min: Some(90.0),
                    max: None,
                    passes: true,
                },
            ],
        };
        let list = vec![
            Ok(v1::CaptureEvent {
                event: Some(Event::Prompt(v1::Prompt {
                    code: v1::PromptCode::LookAtCamera.into(),
                    attempt: 1,
                    finger: None,
                    timeout: ms!(30_000),
                })),
            }),
            Ok(v1::CaptureEvent {
                event: Some(Event::Preview(v1::PreviewFrame::default())),
            }),
            Ok(v1::CaptureEvent {
                event: Some(Event::Guidance(v1::GuidanceUpdate {
                    guidance: vec![v1::Guidance {
                        code: v1::GuidanceCode::TooDark.into(),
                        finger: None,
                        eye: None,
                    }],
                })),
            }),
            Ok(v1::CaptureEvent {
                event: Some(Event::Preview(v1::PreviewFrame::default())),
            }),
            Ok(v1::CaptureEvent {
                event: Some(Event::Attempt(v1::AttemptResult {
                    attempt: 1,
                    accepted: false,
                    qualities: vec![quality(31)],
                    guidance: vec![v1::Guidance {
                        code: v1::GuidanceCode::TooDark.into(),
                        finger: None,
                        eye: None,
                    }],
                    attempts_left: 2,
                })),
            }),
            Ok(v1::CaptureEvent {
                event: Some(Event::Attempt(v1::AttemptResult {
                    attempt: 2,
                    accepted: true,
                    qualities: vec![quality(82)],
                    guidance: vec![],
                    attempts_left: 1,
                })),
            }),
            Ok(v1::CaptureEvent {
                event: Some(Event::Result(v1::CaptureResult {
                    target: request.target,
                    outcome: v1::ItemOutcome::Accepted.into(),
                    session: Some(session),
                })),
            }),
        ];
        Ok(Response::new(events(list)))
    }

    async fn record_exception(&self, _: Request<v1::RecordExceptionRequest>) -> Rpc<v1::Session> {
        Err(Status::unimplemented("not in the fake"))
    }

    async fn get_package_entry(
        &self,
        _: Request<v1::GetPackageEntryRequest>,
    ) -> Rpc<v1::PackageEntryContent> {
        Err(reason_status(
            ErrorReason::StepOutOfOrder,
            "the fake keeps no package files",
            [],
        ))
    }

    async fn finalize_session(
        &self,
        _: Request<v1::FinalizeSessionRequest>,
    ) -> Rpc<v1::FinalizeSessionResponse> {
        let mut state = self.state();
        let Some(session) = state.session.as_mut() else {
            return Err(reason_status(
                ErrorReason::SessionNotFound,
                "no session",
                [],
            ));
        };
        if !session.remaining.is_empty() {
            return Err(reason_status(
                ErrorReason::SessionNotComplete,
                "targets pending",
                [],
            ));
        }
        session.state = v1::SessionState::Finalized.into();
        session.package_id = "pkg_01JD3Z6K8T9W4Q2M5N7P0R1S2V".into();
        Ok(Response::new(v1::FinalizeSessionResponse {
            session: Some(session.clone()),
            package: Some(v1::EnrolmentPackage {
                package_id: session.package_id.clone(),
                manifest_sha256: "ab".repeat(32),
                entries: vec![v1::PackageEntry::default(); 14],
                manifest_json: b"{}".to_vec(),
            }),
        }))
    }

    async fn cancel_session(&self, _: Request<v1::CancelSessionRequest>) -> Rpc<v1::Session> {
        Err(Status::unimplemented("not in the fake"))
    }
}

fn job_event(
    job: &v1::Job,
    step: v1::JobStep,
    state: v1::StepState,
) -> Result<v1::JobEvent, Status> {
    Ok(v1::JobEvent {
        job_id: job.job_id.clone(),
        step: step.into(),
        state: state.into(),
        took: (state != v1::StepState::Started).then(|| duration(Duration::from_millis(150))),
        job: Some(job.clone()),
        ..Default::default()
    })
}

#[tonic::async_trait]
impl v1::issuance_service_server::IssuanceService for Fake {
    type StartJobStream = Events<v1::JobEvent>;
    async fn start_job(&self, request: Request<v1::StartJobRequest>) -> Rpc<Self::StartJobStream> {
        let request = request.into_inner();
        // The record must pass what the daemon checks before a job exists.
        let record = rekam_card::CardRecord::try_from(request.record.clone().unwrap_or_default())
            .map_err(|e| e.to_status())?;
        record
            .validate()
            .map_err(|e| rekam_proto::card::record_error(&e).to_status())?;
        let mut state = self.state();
        let opened = state
            .opened
            .last()
            .map(|o| o.nik.clone())
            .unwrap_or_default();
        if record.nik.as_str() != opened {
            return Err(reason_status(
                ErrorReason::StepOutOfOrder,
                "the session is for another NIK",
                [],
            ));
        }
        let mut job = v1::Job {
            job_id: "job_01JD3Z6K8T9W4Q2M5N7P0R1S2W".into(),
            state: v1::JobState::Running.into(),
            nik_masked: record.nik.masked(),
            session_id: "ses_01JD3Z6K8T9W4Q2M5N7P0R1S2V".into(),
            prr: true,
            operator_id: request.operator_id.clone(),
            ..Default::default()
        };
        let mut list = vec![job_event(
            &job,
            v1::JobStep::CheckSupplies,
            v1::StepState::Started,
        )];
        if state.blanks_empty {
            job.state = v1::JobState::Deferred.into();
            job.deferral = v1::DeferralReason::OutOfBlanks.into();
            job.receipt_id = "rcp_01JD3Z6K8T9W4Q2M5N7P0R1S2X".into();
            let mut failed = job_event(&job, v1::JobStep::CheckSupplies, v1::StepState::Failed)?;
            failed.reason = ErrorReason::OutOfBlanks.into();
            failed.detail = "hopper empty".into();
            list.push(Ok(failed));
            list.push(job_event(
                &job,
                v1::JobStep::PrintReceipt,
                v1::StepState::Done,
            ));
        } else {
            list.push(job_event(
                &job,
                v1::JobStep::CheckSupplies,
                v1::StepState::Done,
            ));
            for step in [
                v1::JobStep::Feed,
                v1::JobStep::WriteChip,
                v1::JobStep::VerifyChip,
                v1::JobStep::Print,
            ] {
                list.push(job_event(&job, step, v1::StepState::Started));
                list.push(job_event(&job, step, v1::StepState::Done));
            }
            job.state = v1::JobState::AwaitingActivation.into();
            job.card_serial = "04A1B2C3D4E5F6".into();
            list.push(job_event(&job, v1::JobStep::Eject, v1::StepState::Done));
        }
        state.started.push(request);
        state.job = Some(job);
        Ok(Response::new(events(list)))
    }

    async fn get_job(&self, request: Request<v1::GetJobRequest>) -> Rpc<v1::Job> {
        let id = request.into_inner().job_id;
        match self.state().job.clone() {
            Some(j) if j.job_id == id => Ok(Response::new(j)),
            _ => Err(reason_status(
                ErrorReason::JobNotFound,
                format!("no job {id}"),
                [],
            )),
        }
    }

    async fn list_jobs(&self, _: Request<v1::ListJobsRequest>) -> Rpc<v1::ListJobsResponse> {
        Ok(Response::new(v1::ListJobsResponse {
            jobs: self.state().job.clone().into_iter().collect(),
            next_page_token: "more".into(),
        }))
    }

    type ResumeJobStream = Events<v1::JobEvent>;
    async fn resume_job(&self, _: Request<v1::ResumeJobRequest>) -> Rpc<Self::ResumeJobStream> {
        Err(Status::unimplemented("not in the fake"))
    }

    async fn cancel_job(&self, _: Request<v1::CancelJobRequest>) -> Rpc<v1::Job> {
        Err(Status::unimplemented("not in the fake"))
    }

    type ActivateStream = Events<v1::ActivationEvent>;
    async fn activate(&self, _: Request<v1::ActivateRequest>) -> Rpc<Self::ActivateStream> {
        use v1::activation_event::Event;
        let mut state = self.state();
        if state.card_removed {
            return Err(reason_status(
                ErrorReason::CardRemoved,
                "sim:encoder:0: no card in the encoder",
                [],
            ));
        }
        let Some(job) = state.job.as_mut() else {
            return Err(reason_status(ErrorReason::JobNotFound, "no job", []));
        };
        job.state = v1::JobState::Activated.into();
        let job = job.clone();
        let list = vec![
            Ok(v1::ActivationEvent {
                event: Some(Event::Prompt(v1::Prompt {
                    code: v1::PromptCode::PlaceFinger.into(),
                    attempt: 1,
                    finger: Some(v1::Finger::RightIndex.into()),
                    timeout: None,
                })),
            }),
            Ok(v1::ActivationEvent {
                event: Some(Event::Attempt(v1::ActivationAttempt {
                    attempt: 1,
                    matched: true,
                    score: 78,
                    attempts_left: 2,
                    threshold: 40,
                    finger: v1::Finger::RightIndex.into(),
                    reason: 0,
                })),
            }),
            Ok(v1::ActivationEvent {
                event: Some(Event::Result(v1::ActivationResult {
                    activated: true,
                    reason: 0,
                    job: Some(job),
                })),
            }),
        ];
        Ok(Response::new(events(list)))
    }

    async fn hand_over(&self, request: Request<v1::HandOverRequest>) -> Rpc<v1::Job> {
        let request = request.into_inner();
        if !request.receipt_signed {
            return Err(reason_status(
                ErrorReason::ReceiptNotSigned,
                "receipt not signed",
                [],
            ));
        }
        let mut state = self.state();
        state.handed_over.push(request);
        let Some(job) = state.job.as_mut() else {
            return Err(reason_status(ErrorReason::JobNotFound, "no job", []));
        };
        job.state = v1::JobState::HandedOver.into();
        Ok(Response::new(job.clone()))
    }

    async fn print_receipt(
        &self,
        _: Request<v1::PrintReceiptRequest>,
    ) -> Rpc<v1::PrintReceiptResponse> {
        Err(Status::unimplemented("not in the fake"))
    }

    async fn get_supplies(&self, _: Request<v1::GetSuppliesRequest>) -> Rpc<v1::Supplies> {
        if self.state().supplies_unavailable {
            return Err(Status::unavailable("connection reset"));
        }
        Ok(Response::new(supplies()))
    }
    async fn render_card(&self, _: Request<v1::RenderCardRequest>) -> Rpc<v1::RenderCardResponse> {
        Err(Status::unimplemented("the fake daemon renders no cards"))
    }
}

/// A running fake daemon on a socket in a temporary directory.
struct Daemon {
    fake: Fake,
    socket: String,
    _dir: tempfile::TempDir,
}

async fn daemon() -> Daemon {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rekamd.sock");
    let listener = UnixListener::bind(&path).unwrap();
    let fake = Fake::default();
    let server = tonic::transport::Server::builder()
        .add_service(v1::device_service_server::DeviceServiceServer::new(
            fake.clone(),
        ))
        .add_service(v1::enrolment_service_server::EnrolmentServiceServer::new(
            fake.clone(),
        ))
        .add_service(v1::issuance_service_server::IssuanceServiceServer::new(
            fake.clone(),
        ))
        .serve_with_incoming(UnixListenerStream::new(listener));
    tokio::spawn(server);
    Daemon {
        fake,
        socket: path.display().to_string(),
        _dir: dir,
    }
}

struct Run {
    code: u8,
    out: String,
    err: String,
}

async fn rekamctl(d: &Daemon, args: &[&str]) -> Run {
    let argv = ["rekamctl", "--socket", d.socket.as_str()]
        .into_iter()
        .chain(args.iter().copied());
    let cli = Cli::try_parse_from(argv).unwrap();
    cli.check().unwrap();
    let mut out = Vec::new();
    let mut err = Vec::new();
    let code = rekamctl::run(&cli, &Terminal::none(), &mut out, &mut err).await;
    Run {
        code,
        out: String::from_utf8(out).unwrap(),
        err: String::from_utf8(err).unwrap(),
    }
}

fn json_lines(text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect()
}

#[tokio::test]
async fn devices_table_and_json() {
    let d = daemon().await;
    let r = rekamctl(&d, &["devices"]).await;
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(r.out.contains("permission-denied [1]"), "{}", r.out);
    assert!(r
        .out
        .contains("sudo cp udev/60-rekam.rules /etc/udev/rules.d/"));
    assert!(r
        .out
        .contains("rekamd says: add the rekam group's udev rule"));
    assert!(r.out.contains("blanks 199, ribbon 93%"));

    let r = rekamctl(&d, &["devices", "--family", "card-printer", "--json"]).await;
    assert_eq!(r.code, 0, "{}", r.err);
    let doc: serde_json::Value = serde_json::from_str(&r.out).unwrap();
    let list = doc["devices"].as_array().unwrap();
    assert_eq!(list.len(), 1, "the family filter reached the daemon");
    assert_eq!(list[0]["id"], "sim:card-printer:0");
}

#[tokio::test]
async fn faults_are_sent_as_the_proto_says_and_refusals_exit_1() {
    let d = daemon().await;
    let r = rekamctl(
        &d,
        &["fault", "sim:fingerprint:0", "low-quality", "--count", "2"],
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.err);
    assert_eq!(
        r.out,
        "queued low-quality on sim:fingerprint:0 for the next 2 operations\n"
    );
    let r = rekamctl(
        &d,
        &[
            "fault",
            "sim:fingerprint:0",
            "partial-slap",
            "--finger",
            "left-ring",
        ],
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.err);
    {
        let state = d.fake.state();
        let f = state.faults[0].fault.unwrap();
        assert_eq!(
            (f.kind, f.count, f.finger),
            (v1::FaultKind::LowQuality.into(), 2, None)
        );
        let f = state.faults[1].fault.unwrap();
        assert_eq!(f.kind, i32::from(v1::FaultKind::PartialSlap));
        assert_eq!(f.finger, Some(v1::Finger::LeftRing.into()));
    }
    let r = rekamctl(&d, &["fault", "usb-aes3500:fingerprint:0", "busy"]).await;
    assert_eq!(r.code, 1);
    assert_eq!(
        r.err,
        "error: usb-aes3500:fingerprint:0 is not a simulated device [NOT_SIMULATED]\n"
    );

    let r = rekamctl(&d, &["fault", "sim:fingerprint:0", "clear", "--json"]).await;
    assert_eq!(r.code, 0, "{}", r.err);
    let doc: serde_json::Value = serde_json::from_str(&r.out).unwrap();
    assert_eq!(doc["cleared"], 2);
    assert!(d.fake.state().faults.is_empty(), "clear called ClearFaults");
}

#[tokio::test]
async fn selftest_reports_and_fails_when_a_device_fails() {
    let d = daemon().await;
    let r = rekamctl(&d, &["selftest"]).await;
    assert_eq!(r.code, 1);
    assert!(r.out.contains("sim:fingerprint:0"), "{}", r.out);
    assert!(r.out.contains("PASS") && r.out.contains("FAIL"));
    assert!(r.out.contains("ribbon at 0 %"));
    assert!(r.out.contains("2 devices tested: 1 passed, 1 failed"));
    assert_eq!(
        r.err,
        "error: self-test failed on 1 of 2 devices: sim:card-printer:0 [SELFTEST_FAILED]\n"
    );

    let r = rekamctl(&d, &["selftest", "sim:fingerprint:0", "--json"]).await;
    assert_eq!(r.code, 0, "{}", r.err);
    let lines = json_lines(&r.out);
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["event"], "progress");
    assert_eq!(lines[1]["event"], "report");
    assert_eq!(lines[2]["event"], "summary");
    assert_eq!(lines[2]["passed"], 1);

    let r = rekamctl(&d, &["selftest", "sim:busy:0"]).await;
    assert_eq!(r.code, 1);
    assert_eq!(
        r.err,
        "error: sim:busy:0 is leased to a session [DEVICE_BUSY]\n"
    );
}

#[tokio::test]
async fn watch_prints_each_event_until_the_stream_ends() {
    let d = daemon().await;
    let r = rekamctl(&d, &["watch"]).await;
    assert_eq!(r.code, 0, "{}", r.err);
    let lines: Vec<&str> = r.out.lines().collect();
    assert_eq!(lines.len(), 6, "{}", r.out);
    assert!(lines[3].contains("snapshot complete: 3 devices"));
    assert!(lines[4].contains("changed") && lines[4].contains("disconnected"));
    let r = rekamctl(&d, &["watch", "--json"]).await;
    let lines = json_lines(&r.out);
    assert_eq!(lines.len(), 5);
    assert_eq!(lines[3]["kind"], "SNAPSHOT_DONE");
}

#[tokio::test]
async fn the_demo_runs_to_handover_and_prints_only_the_masked_nik() {
    let d = daemon().await;
    let r = rekamctl(&d, &["enrol", "--demo", "--latency-note"]).await;
    assert_eq!(r.code, 0, "{}\n{}", r.out, r.err);
    let state = d.fake.state();
    let opened = &state.opened[0];
    let nik = Nik::parse(&opened.nik).unwrap();
    assert!(opened.nik.starts_with("350801120399"));
    assert_eq!(
        opened.application_type,
        i32::from(v1::ApplicationType::Baru)
    );
    assert_eq!(opened.documents, vec!["KK_COPY".to_owned()]);
    assert_eq!(
        opened.marital_status,
        i32::from(v1::MaritalStatus::BelumKawin)
    );
    assert_eq!(opened.operator_id, "demo");
    let order: Vec<i32> = [
        v1::CaptureTarget::Face,
        v1::CaptureTarget::LeftSlap,
        v1::CaptureTarget::RightSlap,
        v1::CaptureTarget::Thumbs,
        v1::CaptureTarget::Irises,
        v1::CaptureTarget::Signature,
    ]
    .into_iter()
    .map(i32::from)
    .collect();
    assert_eq!(state.captures, order);
    let started = &state.started[0];
    assert_eq!(started.record.as_ref().unwrap().nik, opened.nik);
    assert_eq!(
        started.biometrics,
        Some(v1::start_job_request::Biometrics::SessionId(
            "ses_01JD3Z6K8T9W4Q2M5N7P0R1S2V".into()
        ))
    );
    assert_ne!(started.request_id, opened.request_id);
    assert!(state.handed_over[0].receipt_signed);

    let out = &r.out;
    assert!(!out.contains(&opened.nik), "the full NIK is never printed");
    assert!(out.contains(&nik.masked()));
    assert!(
        out.contains(
            "attempt 1: face 31/50 ✗ [face.luminance_mean 38.50 < 80] -> refused: too dark (2 left)"
        ),
        "{out}"
    );
    assert!(out.contains("attempt 2: face 82/50 ✓ -> accepted"));
    assert!(out.contains("accepted in") && out.contains("2 preview frames"));
    assert!(out.contains("package  pkg_01JD3Z6K8T9W4Q2M5N7P0R1S2V"));
    assert!(out.contains(&format!("manifest sha256 {}", "ab".repeat(32))));
    assert!(out.contains("entries  14"));
    assert!(out.contains("issuance job job_01JD3Z6K8T9W4Q2M5N7P0R1S2W"));
    assert!(out.contains("write-chip      done     150 ms"), "{out}");
    assert!(out.contains("prompt: place the right index on the scanner"));
    assert!(out.contains("attempt 1: right index score 78/40 -> matched"));
    assert!(out.contains("receipt signed; job is handed-over"));
    for step in [
        "open session",
        "capture face",
        "capture signature",
        "finalize session",
        "issue card (job)",
        "activate card",
        "hand over",
        "total",
    ] {
        assert!(
            out.contains(&format!("\n  {step}")),
            "summary lacks {step}: {out}"
        );
    }
    assert!(out.contains("rekamctl session show ses_01JD3Z6K8T9W4Q2M5N7P0R1S2V"));
    assert!(out.contains("rekamctl job show job_01JD3Z6K8T9W4Q2M5N7P0R1S2W"));
    assert!(out.contains("[sim.latency]"), "--latency-note");
}

#[tokio::test]
async fn a_deferred_demo_job_exits_0_with_the_receipt() {
    let d = daemon().await;
    let r = rekamctl(&d, &["fault", "sim:card-printer:0", "blanks-empty"]).await;
    assert_eq!(r.code, 0, "{}", r.err);
    let r = rekamctl(&d, &["enrol", "--demo", "--json"]).await;
    assert_eq!(r.code, 0, "{}\n{}", r.out, r.err);
    let lines = json_lines(&r.out);
    assert_eq!(lines[0]["event"], "start");
    let deferred = lines.iter().find(|l| l["event"] == "deferred").unwrap();
    assert_eq!(deferred["deferral"], "OUT_OF_BLANKS");
    assert_eq!(deferred["receipt_id"], "rcp_01JD3Z6K8T9W4Q2M5N7P0R1S2X");
    let failed = lines
        .iter()
        .find(|l| l["event"] == "job_step" && l["state"] == "FAILED")
        .unwrap();
    assert_eq!(failed["reason"], "OUT_OF_BLANKS");
    let last = lines.last().unwrap();
    assert_eq!(last["event"], "summary");
    assert_eq!(last["outcome"], "DEFERRED");
    assert!(!lines.iter().any(|l| l["event"] == "activation_start"));
    assert!(d.fake.state().handed_over.is_empty());
}

#[tokio::test]
async fn sessions_jobs_and_supplies() {
    let d = daemon().await;
    let r = rekamctl(&d, &["session", "show", "ses_nope"]).await;
    assert_eq!(r.code, 1);
    assert_eq!(r.err, "error: no session ses_nope [SESSION_NOT_FOUND]\n");
    let r = rekamctl(&d, &["enrol", "--demo", "--nik", "3508011203990001"]).await;
    assert_eq!(r.code, 0, "{}", r.err);
    let r = rekamctl(&d, &["session", "show", "ses_01JD3Z6K8T9W4Q2M5N7P0R1S2V"]).await;
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(r.out.contains("NIK       3508**********01"), "{}", r.out);
    assert!(r.out.contains("State     finalized"));
    let r = rekamctl(
        &d,
        &["job", "show", "job_01JD3Z6K8T9W4Q2M5N7P0R1S2W", "--json"],
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.err);
    let doc: serde_json::Value = serde_json::from_str(&r.out).unwrap();
    assert_eq!(doc["state"], "HANDED_OVER");
    assert_eq!(doc["nik_masked"], "3508**********01");
    let r = rekamctl(&d, &["job", "list"]).await;
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(r.out.contains("handed-over"));
    assert!(r.out.ends_with("(more jobs: raise --limit)\n"));
    let r = rekamctl(&d, &["supplies"]).await;
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(r.out.contains("Blanks      199"));
    d.fake.state().supplies_unavailable = true;
    let r = rekamctl(&d, &["supplies"]).await;
    assert_eq!(r.code, 3, "a bare UNAVAILABLE is the transport: {}", r.err);
    assert!(r.err.contains("is rekamd running?"));
}

#[tokio::test]
async fn a_failed_step_stops_the_demo_with_exit_1_and_names_what_exists() {
    let d = daemon().await;
    d.fake.state().card_removed = true;
    let r = rekamctl(&d, &["enrol", "--demo"]).await;
    assert_eq!(r.code, 1);
    assert_eq!(
        r.err,
        "error: sim:encoder:0: no card in the encoder [CARD_REMOVED]\n"
    );
    assert!(r.out.contains("\nstopped at: activate card\n"), "{}", r.out);
    assert!(r
        .out
        .contains("rekamctl job show job_01JD3Z6K8T9W4Q2M5N7P0R1S2W"));
    assert!(!r.out.contains("summary"));

    let r = rekamctl(&d, &["enrol", "--demo", "--json"]).await;
    assert_eq!(r.code, 1);
    let lines = json_lines(&r.out);
    let last = lines.last().unwrap();
    assert_eq!(last["event"], "stopped");
    assert_eq!(last["step"], "activate card");
    assert_eq!(last["session_id"], "ses_01JD3Z6K8T9W4Q2M5N7P0R1S2V");
}
