//! Roles over a real transport: a caller without the technician role is refused the
//! technician calls (self-test, fault injection, card read-back), with PERMISSION_DENIED naming
//! the role, and nothing reaches the device; the same caller still runs operator calls.
//!
//! The caller is a loopback TCP client: rekamd gives TCP callers `auth.tcp_role` (here
//! operator) and never the technician role. Over the Unix socket the suite runs as root, which
//! holds every role, so this is the way to exercise a refusal end to end.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::TcpListener;

use rekam_e2e::*;
use rekam_proto::v1;
use rekam_proto::v1::device_service_client::DeviceServiceClient;
use rekam_proto::v1::enrolment_service_client::EnrolmentServiceClient;
use tonic::transport::Channel;
use tonic::Code;

/// A loopback port nobody listens on right now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A daemon on simulated devices that also listens on loopback TCP, where callers are operators.
async fn daemon_with_tcp() -> (Daemon, String) {
    let port = free_port();
    let d = Daemon::start(DaemonOptions {
        daemon_toml: format!("tcp = \"127.0.0.1:{port}\""),
        extra_toml: "[auth]\ntcp_role = \"operator\"\n".to_owned(),
        ..DaemonOptions::default()
    })
    .await;
    (d, format!("http://127.0.0.1:{port}"))
}

async fn tcp_channel(uri: &str) -> Channel {
    Channel::from_shared(uri.to_owned())
        .unwrap()
        .connect()
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {uri}: {e}"))
}

fn assert_needs_technician(status: &tonic::Status, what: &str) {
    assert_eq!(
        status.code(),
        Code::PermissionDenied,
        "{what}: {}",
        describe(status)
    );
    assert_status(
        status,
        Code::PermissionDenied,
        v1::ErrorReason::PermissionDenied,
    );
    assert_eq!(
        metadata(status, "role").as_deref(),
        Some("technician"),
        "{what}: {}",
        describe(status)
    );
}

#[tokio::test]
async fn an_operator_is_refused_the_technician_calls() {
    let (d, uri) = daemon_with_tcp().await;
    let mut devices = DeviceServiceClient::new(tcp_channel(&uri).await);

    // Every technician call is refused with PERMISSION_DENIED naming the role.
    macro_rules! refused {
        ($call:expr, $rpc:literal) => {
            assert_needs_technician(&$call.await.unwrap_err(), $rpc)
        };
    }
    let read = v1::ReadCardRequest {
        device_id: dev::ENCODER.into(),
    };
    refused!(devices.read_card(read), "ReadCard");
    let unplug = fault_request(dev::FINGERPRINT, v1::FaultKind::Unplug, 1);
    refused!(devices.inject_fault(unplug), "InjectFault");
    let all = v1::ClearFaultsRequest::default();
    refused!(devices.clear_faults(all), "ClearFaults");
    let all = v1::RunSelfTestRequest::default();
    refused!(devices.run_self_test(all), "RunSelfTest");

    // The same caller is an operator: listing devices and opening a session work.
    let listed = ok(
        devices
            .list_devices(v1::ListDevicesRequest { family: 0 })
            .await,
        "ListDevices over TCP",
    );
    assert_eq!(listed.devices.len(), dev::ALL.len());
    let mut enrolment = EnrolmentServiceClient::new(tcp_channel(&uri).await);
    let session = ok(
        enrolment.open_session(baru_request(&nik(4101))).await,
        "OpenSession over TCP",
    );
    assert!(!session.session_id.is_empty());

    // The refused InjectFault queued nothing: root, over the Unix socket, finds no fault to
    // clear.
    let mut root = d.devices().await;
    let cleared = ok(
        root.clear_faults(v1::ClearFaultsRequest {
            device_id: String::new(),
        })
        .await,
        "ClearFaults as root",
    );
    assert_eq!(cleared.cleared, 0, "a refused InjectFault queued a fault");

    // Root's ReadCard reaches the encoder, which has no card in it: the refusal above was the
    // role, not the device.
    let status = err(
        root.read_card(v1::ReadCardRequest {
            device_id: dev::ENCODER.into(),
        })
        .await,
        "ReadCard as root with no card",
    );
    assert_status(&status, Code::Aborted, v1::ErrorReason::CardRemoved);
}

#[tokio::test]
async fn rekamctl_card_read_as_an_operator_exits_refused() {
    let (d, uri) = daemon_with_tcp().await;
    // `--tcp` wins over the `--socket` the runner passes.
    let out = rekamctl(&d, &["--tcp", &uri, "card", "read"]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "rekamctl card read as an operator: stdout {} stderr {stderr}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        stderr.contains("PERMISSION_DENIED") && stderr.to_lowercase().contains("technician"),
        "the refusal should name the missing role: {stderr}"
    );
}
