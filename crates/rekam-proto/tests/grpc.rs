//! The generated server and client talk to each other over a real loopback connection: a
//! typed error reaches the client with its reason and metadata, server streams arrive in
//! order, and gRPC reflection serves the contract from `FILE_DESCRIPTOR_SET`.
#![allow(clippy::unwrap_used)]

use std::pin::Pin;

use prost::Message;
use rekam_proto::status::{error_info_of, reason_of, reason_status};
use rekam_proto::v1::device_service_client::DeviceServiceClient;
use rekam_proto::v1::device_service_server::{DeviceService, DeviceServiceServer};
use rekam_proto::v1::{self, ErrorReason};
use tokio_stream::{Stream, StreamExt};
use tonic::transport::{Channel, Server};
use tonic::{Code, Request, Response, Status};

type EventStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

/// A station with one simulated fingerprint scanner.
#[derive(Debug)]
struct FakeStation;

fn scanner() -> v1::Device {
    v1::Device {
        id: "sim:fingerprint:0".into(),
        family: v1::DeviceFamily::FingerprintScanner.into(),
        driver: "sim".into(),
        selector: "sim:fingerprint".into(),
        state: v1::DeviceState::Ready.into(),
        simulated: true,
        capabilities: Some(v1::device::Capabilities::Fingerprint(
            v1::FingerprintCapabilities {
                slap: true,
                single_finger: true,
                ppi: 500,
                segmentation: true,
                preview: true,
            },
        )),
        ..Default::default()
    }
}

#[tonic::async_trait]
impl DeviceService for FakeStation {
    async fn list_devices(
        &self,
        request: Request<v1::ListDevicesRequest>,
    ) -> Result<Response<v1::ListDevicesResponse>, Status> {
        match request.into_inner().family() {
            v1::DeviceFamily::Unspecified | v1::DeviceFamily::FingerprintScanner => {
                Ok(Response::new(v1::ListDevicesResponse {
                    devices: vec![scanner()],
                }))
            }
            other => Err(reason_status(
                ErrorReason::DeviceNotFound,
                "no device of this family is configured",
                [("family".to_owned(), other.as_str_name().to_owned())],
            )),
        }
    }

    type WatchDevicesStream = EventStream<v1::DeviceEvent>;

    async fn watch_devices(
        &self,
        _request: Request<v1::WatchDevicesRequest>,
    ) -> Result<Response<Self::WatchDevicesStream>, Status> {
        let events = vec![
            Ok(v1::DeviceEvent {
                kind: v1::DeviceEventKind::Snapshot.into(),
                device: Some(scanner()),
                at: None,
            }),
            Ok(v1::DeviceEvent {
                kind: v1::DeviceEventKind::SnapshotDone.into(),
                device: None,
                at: None,
            }),
        ];
        Ok(Response::new(Box::pin(tokio_stream::iter(events))))
    }

    type RunSelfTestStream = EventStream<v1::SelfTestEvent>;

    async fn run_self_test(
        &self,
        _request: Request<v1::RunSelfTestRequest>,
    ) -> Result<Response<Self::RunSelfTestStream>, Status> {
        let progress = v1::SelfTestEvent {
            event: Some(v1::self_test_event::Event::Progress(v1::SelfTestProgress {
                device_id: "sim:fingerprint:0".into(),
                step: "sensor responds".into(),
                fraction: 0.5,
            })),
        };
        // A stream that fails after its first event, as a device unplugged mid-test would.
        let failure = reason_status(
            ErrorReason::DeviceDisconnected,
            "sim:fingerprint:0 went away",
            [("device_id".to_owned(), "sim:fingerprint:0".to_owned())],
        );
        Ok(Response::new(Box::pin(tokio_stream::iter(vec![
            Ok(progress),
            Err(failure),
        ]))))
    }

    async fn inject_fault(
        &self,
        request: Request<v1::InjectFaultRequest>,
    ) -> Result<Response<v1::InjectFaultResponse>, Status> {
        let req = request.into_inner();
        if req.device_id.starts_with("sim:") {
            Ok(Response::new(v1::InjectFaultResponse {}))
        } else {
            Err(reason_status(
                ErrorReason::NotSimulated,
                "faults can only be injected into simulated devices",
                [("device_id".to_owned(), req.device_id)],
            ))
        }
    }

    async fn clear_faults(
        &self,
        _request: Request<v1::ClearFaultsRequest>,
    ) -> Result<Response<v1::ClearFaultsResponse>, Status> {
        Ok(Response::new(v1::ClearFaultsResponse { cleared: 0 }))
    }

    async fn read_card(
        &self,
        _request: Request<v1::ReadCardRequest>,
    ) -> Result<Response<v1::ReadCardResponse>, Status> {
        Err(Status::unimplemented("the fake station has no encoder"))
    }
}

/// Starts the fake station and reflection on a loopback port; returns a channel to it.
async fn start() -> Channel {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(rekam_proto::FILE_DESCRIPTOR_SET)
        .build_v1()
        .unwrap();
    tokio::spawn(
        Server::builder()
            .add_service(DeviceServiceServer::new(FakeStation))
            .add_service(reflection)
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );
    Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap()
}

#[tokio::test]
async fn calls_streams_and_typed_errors_cross_the_wire() {
    let mut client = DeviceServiceClient::new(start().await);

    let devices = client
        .list_devices(v1::ListDevicesRequest::default())
        .await
        .unwrap()
        .into_inner()
        .devices;
    assert_eq!(devices, vec![scanner()]);

    let err = client
        .list_devices(v1::ListDevicesRequest {
            family: v1::DeviceFamily::IrisCamera.into(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    assert_eq!(reason_of(&err), Some(ErrorReason::DeviceNotFound));
    assert_eq!(
        error_info_of(&err).unwrap().metadata["family"],
        "DEVICE_FAMILY_IRIS_CAMERA"
    );

    let err = client
        .inject_fault(v1::InjectFaultRequest {
            device_id: "usb-aes3500:fingerprint:0".into(),
            fault: Some(v1::Fault {
                kind: v1::FaultKind::Busy.into(),
                count: 1,
                finger: None,
            }),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(reason_of(&err), Some(ErrorReason::NotSimulated));

    let kinds: Vec<v1::DeviceEventKind> = client
        .watch_devices(v1::WatchDevicesRequest::default())
        .await
        .unwrap()
        .into_inner()
        .map(|e| e.unwrap().kind())
        .collect()
        .await;
    assert_eq!(
        kinds,
        [
            v1::DeviceEventKind::Snapshot,
            v1::DeviceEventKind::SnapshotDone
        ]
    );

    let mut self_test = client
        .run_self_test(v1::RunSelfTestRequest::default())
        .await
        .unwrap()
        .into_inner();
    let first = self_test.next().await.unwrap().unwrap();
    assert!(matches!(
        first.event,
        Some(v1::self_test_event::Event::Progress(ref p)) if p.fraction == 0.5
    ));
    let err = self_test.next().await.unwrap().unwrap_err();
    assert_eq!(err.code(), Code::Unavailable);
    assert_eq!(reason_of(&err), Some(ErrorReason::DeviceDisconnected));
}

#[tokio::test]
async fn reflection_serves_the_contract() {
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
    use tonic_reflection::pb::v1::ServerReflectionRequest;

    let mut client = ServerReflectionClient::new(start().await);
    let mut ask = async |request: MessageRequest| -> MessageResponse {
        let request = ServerReflectionRequest {
            host: String::new(),
            message_request: Some(request),
        };
        client
            .server_reflection_info(tokio_stream::iter([request]))
            .await
            .unwrap()
            .into_inner()
            .next()
            .await
            .unwrap()
            .unwrap()
            .message_response
            .unwrap()
    };
    let file = |response: MessageResponse| -> prost_types::FileDescriptorProto {
        let MessageResponse::FileDescriptorResponse(files) = response else {
            panic!("expected a file descriptor, got {response:?}");
        };
        prost_types::FileDescriptorProto::decode(files.file_descriptor_proto[0].as_slice()).unwrap()
    };

    let MessageResponse::ListServicesResponse(list) =
        ask(MessageRequest::ListServices(String::new())).await
    else {
        panic!("expected a service list");
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    for service in rekam_proto::descriptor::SERVICE_NAMES {
        assert!(
            names.iter().any(|n| n == service),
            "{service} not in {names:?}"
        );
    }

    // A client such as grpcurl resolves a service's file, then each dependency by name.
    let issuance = file(
        ask(MessageRequest::FileContainingSymbol(
            "rekam.v1.IssuanceService".into(),
        ))
        .await,
    );
    assert_eq!(issuance.name(), "rekam/v1/issuance.proto");
    assert_eq!(
        issuance.dependency,
        [
            "google/protobuf/duration.proto",
            "google/protobuf/timestamp.proto",
            "rekam/v1/common.proto",
            "rekam/v1/enrolment.proto"
        ]
    );
    for dependency in &issuance.dependency {
        let served = file(ask(MessageRequest::FileByFilename(dependency.clone())).await);
        assert_eq!(served.name(), dependency);
    }
    let supplies = file(
        ask(MessageRequest::FileContainingSymbol(
            "rekam.v1.Supplies".into(),
        ))
        .await,
    );
    assert_eq!(supplies.name(), "rekam/v1/common.proto");
}
