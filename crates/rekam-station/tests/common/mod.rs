//! Shared fixtures for the property tests: a card record, a finalized session, ids.
#![allow(dead_code, clippy::unwrap_used)]

use rekam_card::{
    BloodType, CardRecord, Citizenship, MaritalStatus, Nik, Religion, Sex, ValidUntil,
};
use rekam_station::config::WorkflowConfig;
use rekam_station::enrolment::{
    ApplicationType, AttemptData, BlobRef, CaptureTarget, OpenSession, Session,
};
use rekam_station::ids::{OperatorId, PackageId, SessionId};
use time::macros::{date, datetime};
use time::OffsetDateTime;

/// A woman born 5 January 2000 in Lumajang.
pub const SITI: &str = "3508014501000001";

pub fn op() -> OperatorId {
    OperatorId::new("op.siti").unwrap()
}

pub fn t0() -> OffsetDateTime {
    datetime!(2025-01-06 08:00 +07:00)
}

pub fn sid() -> SessionId {
    "ses_01JD3Z6K8T9W4Q2M5N7P0R1S2V".parse().unwrap()
}

pub fn pkg() -> PackageId {
    "pkg_01JD3Z6K8T9W4Q2M5N7P0R1S2V".parse().unwrap()
}

pub fn blob(n: u64) -> BlobRef {
    BlobRef {
        id: format!("{n:064x}"),
        media_type: "image/png".into(),
        size: 100 + n,
    }
}

pub fn open_cmd(ty: ApplicationType, previously_recorded: bool) -> OpenSession {
    OpenSession {
        session_id: sid(),
        nik: Nik::parse(SITI).unwrap(),
        application_type: ty,
        documents: vec![
            "KK_COPY".into(),
            "DAMAGED_CARD".into(),
            "POLICE_LOSS_REPORT".into(),
            "OLD_CARD".into(),
        ],
        marital_status: MaritalStatus::BelumKawin,
        previously_recorded,
        operator: op(),
        today: date!(2025 - 01 - 06),
        at: t0(),
    }
}

/// A finalized BARU session for SITI with every item captured.
pub fn finalized_session() -> Session {
    let events = Session::decide_open(
        &open_cmd(ApplicationType::Baru, false),
        &WorkflowConfig::default(),
    )
    .unwrap();
    let mut s = Session::replay(&events).unwrap();
    let mut n = 0;
    for t in CaptureTarget::ALL {
        let items = t.items();
        let blobs = items
            .iter()
            .map(|k| {
                n += 1;
                (*k, blob(n))
            })
            .collect();
        let d = AttemptData {
            qualities: items.iter().map(|k| (*k, 90)).collect(),
            guidance: vec![],
            measures: vec![],
            blobs,
            operator: op(),
            at: t0(),
        };
        for e in s.decide_attempt(t, d).unwrap() {
            s.apply(&e).unwrap();
        }
    }
    for e in s.decide_finalize(pkg(), vec![], op(), t0()).unwrap() {
        s.apply(&e).unwrap();
    }
    s
}

pub fn record(prr: bool) -> CardRecord {
    CardRecord {
        nik: Nik::parse(SITI).unwrap(),
        name: "Siti Aminah".into(),
        place_of_birth: "Lumajang".into(),
        date_of_birth: date!(2000 - 01 - 05),
        sex: Sex::Female,
        blood_type: BloodType::A,
        address: "Jl. Raya Senduro No. 12".into(),
        rt_rw: "003/004".into(),
        village: "Senduro".into(),
        district: "Senduro".into(),
        regency: "Kabupaten Lumajang".into(),
        province: "Jawa Timur".into(),
        religion: Religion::Islam,
        marital_status: MaritalStatus::BelumKawin,
        occupation: "Pelajar/Mahasiswa".into(),
        citizenship: Citizenship::Wni,
        valid_until: ValidUntil::Lifetime,
        prr,
        place_of_issue: "Lumajang".into(),
        date_of_issue: date!(2025 - 01 - 06),
    }
}
