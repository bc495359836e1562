//! The station facade on simulated devices, shared by the facade tests: a station with one
//! simulated device per family, an operator, a card record and a complete enrolment.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use std::sync::Arc;

use rekam_card::render::receipt::Office;
use rekam_card::{
    BloodType, CardRecord, Citizenship, MaritalStatus, Nik, OpenProfileV0, Religion, Sex,
    ValidUntil,
};
use rekam_hal::DeviceFamily;
use rekam_sim::{FaultHandle, SimWorld};
use rekam_station::enrolment::{ApplicationType, CaptureTarget, TargetOutcome};
use rekam_station::ids::OperatorId;
use rekam_station::registry::{Registry, Timeouts};
use rekam_station::station::{OpenSessionCmd, Station, StationOptions};
use rekam_station::WorkflowConfig;
use rekam_store::{Actor, ActorKind, Store};
use tokio::sync::mpsc;

pub const NIK: &str = "3508011203990001";

pub struct Rig {
    pub station: Station,
    pub world: SimWorld,
    pub faults: Vec<(DeviceFamily, FaultHandle)>,
    pub _dir: tempfile::TempDir,
}

pub fn options() -> StationOptions {
    StationOptions {
        workflow: WorkflowConfig::default(),
        office: Office {
            name: "Kecamatan Senduro".into(),
            address: "Jl. Raya Senduro No. 97".into(),
            region: "Kabupaten Lumajang".into(),
            complaint_channels: vec!["LAPOR!".into()],
        },
        chip_photo_bytes: 4000,
        utc_offset: time::UtcOffset::from_hms(7, 0, 0).unwrap(),
        checks: Default::default(),
        matching: Default::default(),
        records: Default::default(),
    }
}

pub fn rig_with(dir: tempfile::TempDir, world: SimWorld, options: StationOptions) -> Rig {
    let registry = Registry::new(Timeouts::uniform(std::time::Duration::from_secs(10)));
    let mut faults = Vec::new();
    for family in DeviceFamily::ALL {
        let (dev, handle) = rekam_sim::open(family, 0, &world);
        registry.add(dev);
        faults.push((family, handle));
    }
    let store = Arc::new(Store::open(dir.path()).unwrap());
    let (station, _) =
        Station::open(options, registry, store, Arc::new(OpenProfileV0::new())).unwrap();
    Rig {
        station,
        world,
        faults,
        _dir: dir,
    }
}

impl Rig {
    pub fn fault(&self, family: DeviceFamily) -> &FaultHandle {
        &self.faults.iter().find(|(f, _)| *f == family).unwrap().1
    }
}

pub fn actor() -> Actor {
    Actor::new(ActorKind::Operator, "op-1")
}

pub fn op() -> OperatorId {
    "op-1".parse().unwrap()
}

pub fn record(prr: bool) -> CardRecord {
    let date =
        |y, m, d| time::Date::from_calendar_date(y, time::Month::try_from(m).unwrap(), d).unwrap();
    CardRecord {
        nik: Nik::parse(NIK).unwrap(),
        name: "BUDI SANTOSO".into(),
        place_of_birth: "LUMAJANG".into(),
        date_of_birth: date(1999, 3, 12),
        sex: Sex::Male,
        blood_type: BloodType::O,
        address: "JL. RAYA SENDURO NO. 12".into(),
        rt_rw: "002/005".into(),
        village: "SENDURO".into(),
        district: "SENDURO".into(),
        regency: "LUMAJANG".into(),
        province: "JAWA TIMUR".into(),
        religion: Religion::Islam,
        marital_status: MaritalStatus::BelumKawin,
        occupation: "PELAJAR/MAHASISWA".into(),
        citizenship: Citizenship::Wni,
        valid_until: ValidUntil::Lifetime,
        prr,
        place_of_issue: "LUMAJANG".into(),
        date_of_issue: date(2026, 11, 21),
    }
}

/// Opens a BARU session for [`NIK`] (unmarried, KK copy shown).
pub async fn open_baru(station: &Station) -> rekam_station::SessionView {
    station
        .open_session(
            OpenSessionCmd {
                nik: NIK.into(),
                application_type: ApplicationType::Baru,
                documents: vec!["KK_COPY".into()],
                marital_status: MaritalStatus::BelumKawin,
                previously_recorded: false,
                operator: op(),
            },
            &actor(),
        )
        .await
        .unwrap()
}

pub async fn enrol(station: &Station) -> rekam_station::SessionId {
    let view = open_baru(station).await;
    for target in CaptureTarget::ALL {
        let (tx, mut rx) = mpsc::channel(256);
        let drain = tokio::spawn(async move { while rx.recv().await.is_some() {} });
        let (outcome, _) = station
            .capture(&view.id, target, op(), &actor(), tx)
            .await
            .unwrap();
        drain.await.unwrap();
        assert_eq!(outcome, Some(TargetOutcome::Accepted), "{target:?}");
    }
    station
        .finalize_session(&view.id, op(), &actor())
        .await
        .unwrap();
    view.id
}

/// Starts a job from a finalized session and drives it to where it waits (activation, or a
/// deferral); its updates are drained.
pub async fn start_job(
    station: &Station,
    session: rekam_station::SessionId,
    prr: bool,
) -> rekam_station::JobView {
    start_job_updates(station, session, prr).await.0
}

/// [`start_job`], also returning every update the job streamed, in order.
pub async fn start_job_updates(
    station: &Station,
    session: rekam_station::SessionId,
    prr: bool,
) -> (
    rekam_station::JobView,
    Vec<rekam_station::station::JobUpdate>,
) {
    let (tx, mut rx) = mpsc::channel(256);
    let collect = tokio::spawn(async move {
        let mut all = Vec::new();
        while let Some(u) = rx.recv().await {
            all.push(u);
        }
        all
    });
    let view = station
        .start_job(
            rekam_station::station::StartJobCmd {
                record: record(prr),
                session_id: Some(session),
                on_file: None,
                application_type: ApplicationType::Baru,
                operator: op(),
            },
            &actor(),
            tx,
        )
        .await
        .unwrap();
    (view, collect.await.unwrap())
}
