//! # rekamd: the station daemon
//!
//! [`run`] builds the station from a validated [`config::Config`]: the devices
//! ([`drivers`]), the encrypted journal (`rekam-store`), the workflow facade
//! (`rekam_station::station::Station`, which replays every open session and job), then
//! serves the `rekam.v1` services ([`services`]) plus gRPC health and reflection on a Unix
//! socket (and optionally loopback TCP) until SIGTERM or SIGINT, when in-flight calls get
//! `daemon.shutdown_grace_ms` to finish.
#![forbid(unsafe_code)]

pub mod auth;
pub mod config;
pub mod drivers;
pub mod ipp;
pub mod logging;
pub mod pcsc;
pub mod serial;
pub mod services;
pub mod systemd;
pub mod usb;
pub mod v4l2;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rekam_card::render::receipt::Office;
use rekam_proto::v1::device_service_server::DeviceServiceServer;
use rekam_proto::v1::enrolment_service_server::EnrolmentServiceServer;
use rekam_proto::v1::issuance_service_server::IssuanceServiceServer;
use rekam_station::station::{Station, StationOptions};
use rekam_store::Store;
use tokio::net::{TcpListener, UnixListener};
use tokio_stream::wrappers::{TcpListenerStream, UnixListenerStream};

use crate::config::Config;
use crate::services::Ctx;

/// Why the daemon could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    /// The configuration names a device no driver can open.
    #[error("{0}")]
    Config(#[from] config::ConfigError),
    /// The journal could not be opened.
    #[error("journal at {path}: {source}")]
    Store {
        /// The state directory.
        path: String,
        /// Why.
        source: rekam_store::StoreError,
    },
    /// Replaying the journal failed.
    #[error("replaying the journal: {0}")]
    Replay(#[from] rekam_station::station::StationError),
    /// The socket could not be set up.
    #[error("socket {path}: {message}")]
    Socket {
        /// The socket path or address.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// The gRPC server failed.
    #[error("gRPC server: {0}")]
    Serve(#[from] tonic::transport::Error),
}

/// The chip photo's byte budget: the e-KTP chip holds 8 KB in all, the two fingerprint
/// templates take about 0.4 KB each, the record and signature the rest.
const CHIP_PHOTO_BYTES: usize = 4_000;

/// Runs the daemon until SIGTERM or SIGINT.
pub async fn run(config: Config) -> Result<(), DaemonError> {
    let started = Instant::now();
    let state_dir = config.state_dir.clone();
    let store = tokio::task::spawn_blocking(move || Store::open(&state_dir))
        .await
        .map_err(|e| DaemonError::Socket {
            path: config.state_dir.display().to_string(),
            message: e.to_string(),
        })?
        .map_err(|source| DaemonError::Store {
            path: config.state_dir.display().to_string(),
            source,
        })?;
    let devices = drivers::build(&config)?;
    let options = StationOptions {
        workflow: config.workflow.clone(),
        office: Office {
            name: config.office.name.clone(),
            address: config.office.address.clone(),
            region: config.office.region.clone(),
            complaint_channels: config.office.complaint_channels.clone(),
        },
        chip_photo_bytes: CHIP_PHOTO_BYTES,
        utc_offset: config.utc_offset,
        checks: config.checks.clone(),
        matching: config.matching.clone(),
        records: config.records,
    };
    let (station, recovered) = Station::open(
        options,
        devices.registry.clone(),
        Arc::new(store),
        pcsc::profile(&config)?,
    )?;
    tracing::info!(
        sessions = recovered.sessions,
        open_sessions = recovered.open_sessions,
        jobs = recovered.jobs,
        open_jobs = recovered.open_jobs,
        "journal replayed"
    );

    let ctx = Ctx::new(station.clone(), &config, &devices);
    let unix = bind_unix(&config.socket, config.socket_mode)?;
    let tcp = match config.tcp {
        Some(addr) => Some(
            TcpListener::bind(addr)
                .await
                .map_err(|e| DaemonError::Socket {
                    path: addr.to_string(),
                    message: e.to_string(),
                })?,
        ),
        None => None,
    };

    let (health, health_service) = tonic_health::server::health_reporter();
    health
        .set_serving::<DeviceServiceServer<services::devices::Devices>>()
        .await;
    health
        .set_serving::<EnrolmentServiceServer<services::enrolment::Enrolment>>()
        .await;
    health
        .set_serving::<IssuanceServiceServer<services::issuance::Issuance>>()
        .await;
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(rekam_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()
        .map_err(|e| DaemonError::Socket {
            path: "reflection".into(),
            message: e.to_string(),
        })?;

    let max = config.max_message_bytes;
    let router = tonic::transport::Server::builder()
        .add_service(health_service)
        .add_service(reflection)
        .add_service(
            DeviceServiceServer::new(services::devices::Devices::new(ctx.clone()))
                .max_decoding_message_size(max)
                .max_encoding_message_size(max),
        )
        .add_service(
            EnrolmentServiceServer::new(services::enrolment::Enrolment::new(ctx.clone()))
                .max_decoding_message_size(max)
                .max_encoding_message_size(max),
        )
        .add_service(
            IssuanceServiceServer::new(services::issuance::Issuance::new(ctx.clone()))
                .max_decoding_message_size(max)
                .max_encoding_message_size(max),
        );

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let shutdown = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stop| *stop).await;
    };
    let mut servers = tokio::task::JoinSet::new();
    {
        let router = router.clone();
        let rx = stop_rx.clone();
        servers.spawn(async move {
            router
                .serve_with_incoming_shutdown(UnixListenerStream::new(unix), shutdown(rx))
                .await
        });
    }
    if let Some(tcp) = tcp {
        let rx = stop_rx.clone();
        servers.spawn(async move {
            router
                .serve_with_incoming_shutdown(TcpListenerStream::new(tcp), shutdown(rx))
                .await
        });
    }

    let background = spawn_background(&config, &station);
    let ready_ms = started.elapsed().as_millis();
    tracing::info!(
        socket = %config.socket.display(),
        tcp = ?config.tcp,
        devices = config.devices.len(),
        ready_ms = u64::try_from(ready_ms).unwrap_or(u64::MAX),
        "rekamd ready"
    );
    systemd::ready(&format!("serving on {}", config.socket.display()));

    let signal = wait_for_signal();
    tokio::select! {
        () = signal => {}
        Some(result) = servers.join_next() => {
            // A server ended on its own: that is an error.
            background.abort();
            let _ = std::fs::remove_file(&config.socket);
            return match result {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(DaemonError::Serve(e)),
                Err(e) => Err(DaemonError::Socket { path: "server task".into(), message: e.to_string() }),
            };
        }
    }
    tracing::info!(
        grace_ms = config.shutdown_grace.as_millis() as u64,
        "shutting down"
    );
    systemd::stopping();
    let _ = stop_tx.send(true);
    let drained = tokio::time::timeout(config.shutdown_grace, async {
        while servers.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!("in-flight calls did not finish within the grace period; stopping anyway");
        servers.abort_all();
    }
    background.abort();
    let _ = std::fs::remove_file(&config.socket);
    tracing::info!("rekamd stopped");
    Ok(())
}

/// Binds the Unix socket: creates its directory, refuses to take over the socket of a
/// running daemon, removes a stale one, and sets the file mode.
fn bind_unix(path: &Path, mode: u32) -> Result<UnixListener, DaemonError> {
    let err = |message: String| DaemonError::Socket {
        path: path.display().to_string(),
        message,
    };
    if let Some(dir) = path.parent() {
        if !dir.exists() {
            std::fs::create_dir_all(dir)
                .map_err(|e| err(format!("cannot create its directory: {e}")))?;
            let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o750));
        }
    }
    if path.exists() {
        if std::os::unix::net::UnixStream::connect(path).is_ok() {
            return Err(err("another rekamd is serving on it".into()));
        }
        std::fs::remove_file(path)
            .map_err(|e| err(format!("cannot remove the stale socket: {e}")))?;
    }
    let listener = UnixListener::bind(path).map_err(|e| err(e.to_string()))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| err(format!("cannot set its mode: {e}")))?;
    Ok(listener)
}

/// Watchdog pings (while the journal answers) and idle-device status polls.
fn spawn_background(config: &Config, station: &Station) -> tokio::task::JoinHandle<()> {
    let poll = config.status_poll;
    let station = station.clone();
    let watchdog = systemd::watchdog_interval();
    tokio::spawn(async move {
        let tick = watchdog.map(|w| w / 2).unwrap_or(poll).min(poll);
        let mut interval = tokio::time::interval(tick);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last_poll = Instant::now();
        loop {
            interval.tick().await;
            if watchdog.is_some() {
                let store = station.store().clone();
                let healthy =
                    tokio::task::spawn_blocking(move || store.counter_get("issued").is_ok())
                        .await
                        .unwrap_or(false);
                if healthy {
                    systemd::ping();
                } else {
                    tracing::error!("the journal does not answer: not pinging the watchdog");
                }
            }
            if last_poll.elapsed() >= poll {
                last_poll = Instant::now();
                for snap in station.registry().list(None) {
                    if snap.lease_holder.is_none() {
                        let _ = tokio::time::timeout(
                            Duration::from_secs(5),
                            station.registry().refresh_status(&snap.info.id),
                        )
                        .await;
                    }
                }
            }
        }
    })
}

async fn wait_for_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let term = signal(SignalKind::terminate());
    let int = signal(SignalKind::interrupt());
    match (term, int) {
        (Ok(mut term), Ok(mut int)) => {
            tokio::select! {
                _ = term.recv() => tracing::info!("SIGTERM"),
                _ = int.recv() => tracing::info!("SIGINT"),
            }
        }
        _ => {
            tracing::warn!("cannot install signal handlers; waiting for Ctrl-C");
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
