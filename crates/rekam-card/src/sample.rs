//! A fictional resident, Siti Nur'aini of Senduro, and a drawn portrait: the one sample the
//! tests, benchmarks and examples of this and the device crates share (card faces, chip
//! profiles, printers, encoders). Not a real person: the NIK is well-formed and invented.

use rekam_hal::{PixelFormat, RawImage};
use time::macros::date;

use crate::nik::{Nik, NikError};
use crate::record::{BloodType, CardRecord, Citizenship, MaritalStatus, Religion, Sex, ValidUntil};

/// The sample resident's NIK: Lumajang (35 08), district 01, a woman born on 5 December 1990.
pub const NIK: &str = "3508014512900001";

/// The sample resident's card record (BARU at Kecamatan Senduro, valid for life, print-ready).
/// Fails only if [`NIK`] stopped being a valid NIK, which a test guards.
pub fn record() -> Result<CardRecord, NikError> {
    Ok(CardRecord {
        nik: Nik::parse(NIK)?,
        name: "Siti Nur'aini".to_owned(),
        place_of_birth: "Lumajang".to_owned(),
        date_of_birth: date!(1990 - 12 - 05),
        sex: Sex::Female,
        blood_type: BloodType::O,
        address: "Dusun Krajan, Jl. Raya Senduro No. 12".to_owned(),
        rt_rw: "003/004".to_owned(),
        village: "Senduro".to_owned(),
        district: "Senduro".to_owned(),
        regency: "Kabupaten Lumajang".to_owned(),
        province: "Jawa Timur".to_owned(),
        religion: Religion::Hindu,
        marital_status: MaritalStatus::Kawin,
        occupation: "Petani/Pekebun".to_owned(),
        citizenship: Citizenship::Wni,
        valid_until: ValidUntil::Lifetime,
        prr: true,
        place_of_issue: "Lumajang".to_owned(),
        date_of_issue: date!(2025 - 03 - 10),
    })
}

/// A drawn 300x400 RGB portrait: blue graded background, a skin-toned oval face with hair and
/// dark eyes, shoulders. Enough for the card face's photo box; not a face the checks accept.
pub fn portrait() -> RawImage {
    let (w, h) = (300i32, 400i32);
    let mut data = Vec::with_capacity((w * h * 3) as usize);
    for y in 0..h {
        for x in 0..w {
            let (dx, dy) = (x - 150, y - 175);
            let face = dx * dx * 105 * 105 + dy * dy * 80 * 80 <= 80 * 80 * 105 * 105;
            let hair = face && y < 120 + (dx * dx) / 120;
            let eye = (dy + 15).pow(2) + (dx.abs() - 32).pow(2) <= 64;
            let shoulders = y > 300 && (dx * dx) < (y - 250) * (y - 250) * 4;
            let p = if eye && face {
                [30, 20, 20]
            } else if hair {
                [40, 30, 25]
            } else if face {
                [222, 178, 140]
            } else if shoulders {
                [35, 35, 60]
            } else {
                [40, 90, 190 + (y % 40) as u8]
            };
            data.extend_from_slice(&p);
        }
    }
    RawImage {
        width: w as u32,
        height: h as u32,
        format: PixelFormat::Rgb8,
        ppi: None,
        data,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_is_valid_and_consistent() {
        let r = record().unwrap();
        r.validate().unwrap();
        assert_eq!(r.nik.as_str(), NIK);
        assert_eq!(r.nik.sex(), r.sex);
        assert_eq!(r.nik.birth_day(), r.date_of_birth.day());
        let p = portrait();
        assert_eq!(p.data.len(), 300 * 400 * 3);
        assert!(RawImage::rgb(p.width, p.height, p.data).is_some());
    }
}
