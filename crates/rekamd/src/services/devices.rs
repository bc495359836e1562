//! `rekam.v1.DeviceService`: list, watch, self-test, and fault injection on simulated devices.

use rekam_hal::{
    AnyDevice, ChipFiles, DeviceError, DeviceFamily, DeviceId, DeviceState, ErrorKind,
};
use rekam_proto::convert;
use rekam_proto::field::enum_field;
use rekam_proto::status::reason_status;
use rekam_proto::v1::{self, device_service_server::DeviceService, ErrorReason};
use rekam_sim::{Fault, FaultKind};
use rekam_station::registry::{DeviceSnapshot, RegistryEvent};
use rekam_store::AuditEntry;
use tokio::sync::{broadcast, mpsc};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

use super::{check, field, parse_id, Ctx, ResponseStream};
use crate::config::Role;

/// The udev hint for devices present but not accessible.
const UDEV_HINT: &str = "present but not accessible: add the daemon's user to group rekam and install udev/60-rekam.rules";

/// The device service.
#[derive(Debug, Clone)]
pub struct Devices {
    ctx: Ctx,
}

impl Devices {
    /// The service over a context.
    pub fn new(ctx: Ctx) -> Self {
        Devices { ctx }
    }

    fn message(&self, snap: &DeviceSnapshot) -> v1::Device {
        let caps = self.ctx.capabilities.get(&snap.info.id);
        let mut device = convert::device(&snap.info, &snap.status, caps);
        device.lease_holder = snap.lease_holder.clone().unwrap_or_default();
        device.hint = match snap.status.state {
            DeviceState::PermissionDenied => UDEV_HINT.to_owned(),
            // A device that cannot work says why; a working one has nothing to add.
            DeviceState::Disconnected | DeviceState::Error => {
                snap.status.detail.clone().unwrap_or_default()
            }
            _ => String::new(),
        };
        device
    }

    fn family_filter(raw: i32, field_name: &str) -> Result<Option<DeviceFamily>, Status> {
        if raw == 0 {
            return Ok(None);
        }
        enum_field::<v1::DeviceFamily, DeviceFamily>(field_name, raw)
            .map(Some)
            .map_err(field)
    }

    fn device_id(&self, raw: &str) -> Result<DeviceId, Status> {
        let id: DeviceId = parse_id("device_id", raw)?;
        if self.ctx.station.registry().snapshot(&id).is_err() {
            return Err(reason_status(
                ErrorReason::DeviceNotFound,
                format!("no device {id}"),
                [("device_id".to_owned(), id.to_string())],
            ));
        }
        Ok(id)
    }
}

#[tonic::async_trait]
impl DeviceService for Devices {
    async fn list_devices(
        &self,
        req: Request<v1::ListDevicesRequest>,
    ) -> Result<Response<v1::ListDevicesResponse>, Status> {
        let family = Self::family_filter(req.get_ref().family, "family")?;
        let mut snaps = self.ctx.station.registry().list(family);
        snaps.sort_by(|a, b| {
            let rank = |f: DeviceFamily| DeviceFamily::ALL.iter().position(|x| *x == f);
            rank(a.info.family)
                .cmp(&rank(b.info.family))
                .then_with(|| a.info.id.cmp(&b.info.id))
        });
        let devices = snaps.iter().map(|s| self.message(s)).collect();
        Ok(Response::new(v1::ListDevicesResponse { devices }))
    }

    type WatchDevicesStream = ResponseStream<v1::DeviceEvent>;

    async fn watch_devices(
        &self,
        req: Request<v1::WatchDevicesRequest>,
    ) -> Result<Response<Self::WatchDevicesStream>, Status> {
        let family = Self::family_filter(req.get_ref().family, "family")?;
        let (tx, rx) = mpsc::channel(64);
        let this = self.clone();
        tokio::spawn(async move {
            let registry = this.ctx.station.registry().clone();
            // Subscribe before the snapshot, so nothing is missed in between.
            let mut events = registry.subscribe();
            loop {
                for snap in registry.list(family) {
                    let event = v1::DeviceEvent {
                        kind: v1::DeviceEventKind::Snapshot.into(),
                        device: Some(this.message(&snap)),
                        at: Some(now()),
                    };
                    if tx.send(Ok(event)).await.is_err() {
                        return;
                    }
                }
                let done = v1::DeviceEvent {
                    kind: v1::DeviceEventKind::SnapshotDone.into(),
                    device: None,
                    at: Some(now()),
                };
                if tx.send(Ok(done)).await.is_err() {
                    return;
                }
                loop {
                    let event = tokio::select! {
                        e = events.recv() => e,
                        () = tx.closed() => return,
                    };
                    let (kind, id) = match event {
                        Ok(RegistryEvent::Added(id)) => (v1::DeviceEventKind::Added, id),
                        Ok(RegistryEvent::Changed(id)) => (v1::DeviceEventKind::Changed, id),
                        Ok(RegistryEvent::Removed(id)) => (v1::DeviceEventKind::Removed, id),
                        // Fell behind: start again with a fresh snapshot.
                        Err(broadcast::error::RecvError::Lagged(_)) => break,
                        Err(broadcast::error::RecvError::Closed) => return,
                    };
                    let device = match registry.snapshot(&id) {
                        Ok(snap) => {
                            if family.is_some_and(|f| snap.info.family != f) {
                                continue;
                            }
                            this.message(&snap)
                        }
                        Err(_) => v1::Device {
                            id: id.to_string(),
                            ..v1::Device::default()
                        },
                    };
                    let event = v1::DeviceEvent {
                        kind: kind.into(),
                        device: Some(device),
                        at: Some(now()),
                    };
                    if tx.send(Ok(event)).await.is_err() {
                        return;
                    }
                }
            }
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }

    type RunSelfTestStream = ResponseStream<v1::SelfTestEvent>;

    async fn run_self_test(
        &self,
        req: Request<v1::RunSelfTestRequest>,
    ) -> Result<Response<Self::RunSelfTestStream>, Status> {
        let caller = self.ctx.caller(&req);
        caller.require(Role::Technician)?;
        let ids = if req.get_ref().device_id.is_empty() {
            self.ctx.station.registry().ids()
        } else {
            vec![self.device_id(&req.get_ref().device_id)?]
        };
        let actor = caller.actor(Role::Technician, "");
        let (tx, rx) = mpsc::channel(64);
        let station = self.ctx.station.clone();
        tokio::spawn(async move {
            for id in ids {
                let (ptx, mut prx) = mpsc::channel(32);
                let holder = format!("self-test by {}", actor.id);
                let run = station.self_test(&id, &holder, ptx, &actor);
                tokio::pin!(run);
                let result = loop {
                    tokio::select! {
                        r = &mut run => break r,
                        Some(p) = prx.recv() => {
                            let event = v1::SelfTestEvent {
                                event: Some(v1::self_test_event::Event::Progress(convert::self_test_progress(&id, &p))),
                            };
                            if tx.send(Ok(event)).await.is_err() {
                                return;
                            }
                        }
                    }
                };
                let report = match result {
                    Ok(report) => v1::SelfTestReport::from(&report),
                    Err(e) => {
                        let status = super::station_status(&e);
                        let reason = rekam_proto::status::reason_of(&status)
                            .unwrap_or(ErrorReason::Internal);
                        v1::SelfTestReport {
                            device_id: id.to_string(),
                            passed: false,
                            checks: vec![v1::SelfTestCheck {
                                name: "self-test could run".into(),
                                passed: false,
                                detail: status.message().to_owned(),
                                took: None,
                            }],
                            took: None,
                            reason: reason.into(),
                        }
                    }
                };
                let event = v1::SelfTestEvent {
                    event: Some(v1::self_test_event::Event::Report(report)),
                };
                if tx.send(Ok(event)).await.is_err() {
                    return;
                }
            }
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }

    async fn inject_fault(
        &self,
        req: Request<v1::InjectFaultRequest>,
    ) -> Result<Response<v1::InjectFaultResponse>, Status> {
        let caller = self.ctx.caller(&req);
        caller.require(Role::Technician)?;
        let req = req.into_inner();
        let id = self.device_id(&req.device_id)?;
        let handle = self.ctx.faults.get(&id).ok_or_else(|| {
            reason_status(
                ErrorReason::NotSimulated,
                format!("{id} is not a simulated device: faults are injected into simulated devices only"),
                [("device_id".to_owned(), id.to_string())],
            )
        })?;
        let fault = req
            .fault
            .ok_or_else(|| super::bad_field("fault", "required"))?;
        let kind = v1::FaultKind::try_from(fault.kind)
            .map_err(|_| super::bad_field("fault.kind", format!("unknown value {}", fault.kind)))?;
        let finger = match fault.finger {
            None => None,
            Some(raw) => Some(
                enum_field::<v1::Finger, rekam_hal::Finger>("fault.finger", raw).map_err(field)?,
            ),
        };
        let kind = match kind {
            v1::FaultKind::Unspecified => {
                return Err(super::bad_field("fault.kind", "must be set"))
            }
            v1::FaultKind::Clear => None,
            v1::FaultKind::Unplug => Some(FaultKind::Unplug),
            v1::FaultKind::Replug => Some(FaultKind::Replug),
            v1::FaultKind::Busy => Some(FaultKind::Busy),
            v1::FaultKind::Timeout => Some(FaultKind::Timeout),
            v1::FaultKind::LowQuality => Some(FaultKind::LowQuality),
            v1::FaultKind::PartialSlap => Some(FaultKind::PartialSlap),
            v1::FaultKind::WrongHand => Some(FaultKind::WrongHand),
            v1::FaultKind::CardPulled => Some(FaultKind::CardPulled),
            v1::FaultKind::ChipWriteError => Some(FaultKind::ChipWriteError),
            v1::FaultKind::BlanksEmpty => Some(FaultKind::BlanksEmpty),
            v1::FaultKind::RibbonOut => Some(FaultKind::RibbonOut),
            v1::FaultKind::Jam => Some(FaultKind::Jam),
            v1::FaultKind::PrinterOffline => Some(FaultKind::PrinterOffline),
            v1::FaultKind::Impostor => Some(FaultKind::Impostor),
            v1::FaultKind::SelfTestFail => Some(FaultKind::SelfTestFail),
            v1::FaultKind::SameHandTwice => Some(FaultKind::SameHandTwice),
        };
        if let Some(kind) = kind {
            let family = self
                .ctx
                .station
                .registry()
                .snapshot(&id)
                .map(|s| s.info.family);
            if let Ok(family) = family {
                if !kind.applies_to(family) {
                    return Err(super::bad_field(
                        "fault.kind",
                        format!("{} does not apply to a {family}", kind.as_str()),
                    ));
                }
            }
        }
        let detail = match kind {
            None => {
                handle.clear();
                "clear".to_owned()
            }
            Some(kind) => {
                let mut f = Fault::new(kind);
                f.count = fault.count;
                f.finger = finger;
                handle.inject(f);
                format!("{kind:?} x{}", fault.count)
            }
        };
        self.audit(&caller, &id, "device.fault", &detail).await?;
        tracing::info!(device = %id, fault = %detail, "fault injected");
        Ok(Response::new(v1::InjectFaultResponse {}))
    }

    async fn clear_faults(
        &self,
        req: Request<v1::ClearFaultsRequest>,
    ) -> Result<Response<v1::ClearFaultsResponse>, Status> {
        let caller = self.ctx.caller(&req);
        caller.require(Role::Technician)?;
        // Empty: every simulated device.
        let ids: Vec<DeviceId> = if req.get_ref().device_id.is_empty() {
            self.ctx.faults.keys().cloned().collect()
        } else {
            let id = self.device_id(&req.get_ref().device_id)?;
            if !self.ctx.faults.contains_key(&id) {
                return Err(reason_status(
                    ErrorReason::NotSimulated,
                    format!("{id} is not a simulated device"),
                    [("device_id".to_owned(), id.to_string())],
                ));
            }
            vec![id]
        };
        let mut cleared = 0u32;
        for id in &ids {
            if let Some(handle) = self.ctx.faults.get(id) {
                cleared = cleared
                    .saturating_add(u32::try_from(handle.active().len()).unwrap_or(u32::MAX));
                handle.clear();
                self.audit(&caller, id, "device.fault", "clear").await?;
            }
        }
        Ok(Response::new(v1::ClearFaultsResponse { cleared }))
    }

    async fn read_card(
        &self,
        req: Request<v1::ReadCardRequest>,
    ) -> Result<Response<v1::ReadCardResponse>, Status> {
        let caller = self.ctx.caller(&req);
        caller.require(Role::Technician)?;
        let raw = req.into_inner().device_id;
        let registry = self.ctx.station.registry();
        let holder = format!("card read by {}", caller.actor(Role::Technician, "").id);
        let lease = if raw.is_empty() {
            registry.lease_family(DeviceFamily::CardEncoder, &holder)
        } else {
            let id = self.device_id(&raw)?;
            let family = registry.snapshot(&id).map(|s| s.info.family);
            if family.ok() != Some(DeviceFamily::CardEncoder) {
                return Err(super::bad_field(
                    "device_id",
                    format!("{id} is not a chip encoder"),
                ));
            }
            registry.lease(&id, &holder)
        }
        .map_err(|e| super::station_status(&e.into()))?;
        let id = lease.info().id.clone();
        let read = lease
            .call(|dev, ctl| match dev {
                AnyDevice::Encoder(e) => {
                    let Some(chip) = e.chip(ctl)? else {
                        return Err(DeviceError::new(
                            ErrorKind::CardRemoved,
                            "no card in the encoder",
                        ));
                    };
                    let files = if chip.personalised {
                        e.read(ctl)?
                    } else {
                        ChipFiles::default()
                    };
                    Ok((chip, files))
                }
                _ => Err(DeviceError::new(
                    ErrorKind::InvalidInput,
                    "not a chip encoder",
                )),
            })
            .await;
        drop(lease);
        let (chip, files) = match read {
            Ok(r) => r,
            Err(e) => {
                self.audit(
                    &caller,
                    &id,
                    "card.read",
                    &format!("failed: {:?}", e.kind()),
                )
                .await?;
                return Err(super::station_status(&e.into()));
            }
        };
        let trusted = crate::pcsc::trusted_certificates(&self.ctx.card);
        let (mut resp, detail) = crate::pcsc::read_card_response(
            &id,
            &chip,
            &files,
            trusted.as_deref().unwrap_or_default(),
        );
        if let (Err(e), Some(security)) = (&trusted, resp.security.as_mut()) {
            tracing::warn!(error = %e, "document signer certificate unreadable");
            if !security.verified && !resp.files.is_empty() {
                security.problem = format!("the station's certificate is unreadable: {e}");
            }
        }
        self.audit(&caller, &id, "card.read", &detail).await?;
        tracing::info!(device = %id, outcome = %detail, "card read");
        Ok(Response::new(resp))
    }
}

impl Devices {
    async fn audit(
        &self,
        caller: &crate::auth::Caller,
        id: &DeviceId,
        action: &str,
        detail: &str,
    ) -> Result<(), Status> {
        let entry = AuditEntry::new(
            caller.actor(Role::Technician, ""),
            action,
            id.as_str(),
            detail,
        );
        let store = self.ctx.station.store().clone();
        check(
            tokio::task::spawn_blocking(move || store.audit(entry))
                .await
                .map_err(|e| rekam_station::station::StationError::Internal(e.to_string()))
                .and_then(|r| r.map_err(rekam_station::station::StationError::from)),
        )?;
        Ok(())
    }
}

fn now() -> prost_types::Timestamp {
    rekam_proto::workflow::timestamp(time::OffsetDateTime::now_utc())
}
