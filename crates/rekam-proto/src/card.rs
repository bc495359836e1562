//! Explicit conversions between `rekam-card` (the NIK, the SIAK card record, chip biometrics)
//! and the `rekam.v1` messages.
//!
//! Proto to domain is `TryFrom` with a [`FieldError`] that names the field (relative to the
//! message converted: use [`FieldError::within`] to root it, e.g. `record.date_of_birth`).
//! These conversions parse (enums set and known, dates in ISO 8601, the NIK valid, sizes
//! within the contract's limits); the card's own rules (printable text, lengths, NIK against
//! date of birth and sex) are [`rekam_card::CardRecord::validate`], whose errors
//! [`record_error`] turns into a [`FieldError`] as well.

use rekam_card as card;
use time::macros::format_description;
use time::Date;

use crate::field::{check_len, enum_field, FieldError, Problem, Unspecified};
use crate::limits;
use crate::v1;

/// What `valid_until` holds for a card valid for life.
pub const LIFETIME: &str = "SEUMUR HIDUP";

const ISO_DATE: &[time::format_description::BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]");

/// Parses a NIK field: 16 digits forming a valid NIK, or an `INVALID_NIK` [`FieldError`].
///
/// ```
/// use rekam_proto::card::parse_nik;
/// assert_eq!(parse_nik("nik", "3507014512900001").unwrap().to_string(), "3507**********01");
/// assert_eq!(parse_nik("nik", "35070145129000").unwrap_err().field(), "nik");
/// ```
pub fn parse_nik(field: &str, value: &str) -> Result<card::Nik, FieldError> {
    card::Nik::parse(value).map_err(|e| FieldError::new(field, Problem::InvalidNik(e.to_string())))
}

/// Parses an ISO 8601 calendar date `YYYY-MM-DD`.
pub fn parse_date(field: &str, value: &str) -> Result<Date, FieldError> {
    if value.is_empty() {
        return Err(FieldError::new(field, Problem::Missing));
    }
    Date::parse(value, ISO_DATE).map_err(|_| {
        FieldError::new(
            field,
            Problem::Malformed {
                expected: "an ISO 8601 date YYYY-MM-DD",
            },
        )
    })
}

/// Formats a date as ISO 8601 `YYYY-MM-DD`.
pub fn format_date(date: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// A validation error of [`rekam_card::CardRecord::validate`] as a [`FieldError`] on the
/// `CardRecord` message (the field named by the error; the message never contains the value).
pub fn record_error(err: &card::RecordError) -> FieldError {
    let problem = match err {
        card::RecordError::TooLong { max, .. } => Problem::TooLarge {
            limit: *max,
            unit: "characters",
        },
        other => Problem::Invalid(other.to_string()),
    };
    FieldError::new(field_path(err.field()), problem)
}

/// The `CardRecord` field path of a `rekam-card` field.
fn field_path(field: card::Field) -> String {
    match field {
        card::Field::Citizenship => "citizenship.country".to_owned(),
        other => other.as_str().to_owned(),
    }
}

macro_rules! enum_pair {
    ($proto:ty, $domain:ty, $($p:ident <=> $d:ident),+ $(,)?) => {
        impl From<$domain> for $proto {
            fn from(d: $domain) -> Self {
                match d { $(<$domain>::$d => <$proto>::$p,)+ }
            }
        }
        impl TryFrom<$proto> for $domain {
            type Error = Unspecified;
            fn try_from(p: $proto) -> Result<Self, Unspecified> {
                match p {
                    <$proto>::Unspecified => Err(Unspecified),
                    $(<$proto>::$p => Ok(<$domain>::$d),)+
                }
            }
        }
    };
}

enum_pair!(v1::Sex, card::Sex, LakiLaki <=> Male, Perempuan <=> Female);
enum_pair!(v1::BloodType, card::BloodType, A <=> A, B <=> B, Ab <=> Ab, O <=> O, Unknown <=> Unknown);
enum_pair!(
    v1::Religion,
    card::Religion,
    Islam <=> Islam,
    Kristen <=> Kristen,
    Katolik <=> Katolik,
    Hindu <=> Hindu,
    Buddha <=> Buddha,
    Konghucu <=> Konghucu,
    Kepercayaan <=> Kepercayaan,
);
enum_pair!(
    v1::MaritalStatus,
    card::MaritalStatus,
    BelumKawin <=> BelumKawin,
    Kawin <=> Kawin,
    CeraiHidup <=> CeraiHidup,
    CeraiMati <=> CeraiMati,
);
enum_pair!(
    v1::TemplateFormat,
    card::TemplateFormat,
    Iso197942 <=> Iso19794_2,
    Iso197942Compact <=> Iso19794_2Compact,
    SimIdentity <=> SimIdentity,
);

impl From<&card::Citizenship> for v1::Citizenship {
    fn from(c: &card::Citizenship) -> Self {
        match c {
            card::Citizenship::Wni => v1::Citizenship {
                kind: v1::CitizenshipKind::Wni.into(),
                country: String::new(),
            },
            card::Citizenship::Wna { country } => v1::Citizenship {
                kind: v1::CitizenshipKind::Wna.into(),
                country: country.clone(),
            },
        }
    }
}

impl TryFrom<v1::Citizenship> for card::Citizenship {
    type Error = FieldError;
    /// WNI with an empty country (or `INDONESIA`), or WNA with a country.
    fn try_from(c: v1::Citizenship) -> Result<Self, FieldError> {
        let kind = v1::CitizenshipKind::try_from(c.kind)
            .map_err(|_| FieldError::new("kind", Problem::UnknownEnumValue(c.kind)))?;
        match kind {
            v1::CitizenshipKind::Unspecified => Err(FieldError::new("kind", Problem::Unspecified)),
            v1::CitizenshipKind::Wni
                if c.country.is_empty() || c.country.eq_ignore_ascii_case("INDONESIA") =>
            {
                Ok(card::Citizenship::Wni)
            }
            v1::CitizenshipKind::Wni => Err(FieldError::new(
                "country",
                Problem::Invalid("a WNI citizenship has no country".to_owned()),
            )),
            v1::CitizenshipKind::Wna if c.country.trim().is_empty() => {
                Err(FieldError::new("country", Problem::Missing))
            }
            v1::CitizenshipKind::Wna => Ok(card::Citizenship::Wna { country: c.country }),
        }
    }
}

/// The `valid_until` text of a validity: `SEUMUR HIDUP` or `YYYY-MM-DD`.
pub fn format_valid_until(v: &card::ValidUntil) -> String {
    match v {
        card::ValidUntil::Lifetime => LIFETIME.to_owned(),
        card::ValidUntil::Date(d) => format_date(*d),
    }
}

/// Parses a `valid_until` text: exactly `SEUMUR HIDUP`, or an ISO 8601 date.
pub fn parse_valid_until(field: &str, value: &str) -> Result<card::ValidUntil, FieldError> {
    if value == LIFETIME {
        return Ok(card::ValidUntil::Lifetime);
    }
    if value.is_empty() {
        return Err(FieldError::new(field, Problem::Missing));
    }
    Date::parse(value, ISO_DATE)
        .map(card::ValidUntil::Date)
        .map_err(|_| {
            FieldError::new(
                field,
                Problem::Malformed {
                    expected: "\"SEUMUR HIDUP\" or an ISO 8601 date YYYY-MM-DD",
                },
            )
        })
}

impl TryFrom<v1::CardRecord> for card::CardRecord {
    type Error = FieldError;
    /// Parses every field; the first problem found is returned, naming its field
    /// (`date_of_birth`, `citizenship.kind`, ...). Text fields are taken as given: run
    /// [`card::CardRecord::validate`] for the card's rules.
    fn try_from(r: v1::CardRecord) -> Result<Self, FieldError> {
        let nik = parse_nik("nik", &r.nik)?;
        let date_of_birth = parse_date("date_of_birth", &r.date_of_birth)?;
        let sex = enum_field::<v1::Sex, _>("sex", r.sex)?;
        let blood_type = enum_field::<v1::BloodType, _>("blood_type", r.blood_type)?;
        let religion = enum_field::<v1::Religion, _>("religion", r.religion)?;
        let marital_status =
            enum_field::<v1::MaritalStatus, _>("marital_status", r.marital_status)?;
        let citizenship = r
            .citizenship
            .ok_or_else(|| FieldError::new("citizenship", Problem::Missing))?
            .try_into()
            .map_err(|e: FieldError| e.within("citizenship"))?;
        let valid_until = parse_valid_until("valid_until", &r.valid_until)?;
        let date_of_issue = parse_date("date_of_issue", &r.date_of_issue)?;
        Ok(card::CardRecord {
            nik,
            name: r.name,
            place_of_birth: r.place_of_birth,
            date_of_birth,
            sex,
            blood_type,
            address: r.address,
            rt_rw: r.rt_rw,
            village: r.village,
            district: r.district,
            regency: r.regency,
            province: r.province,
            religion,
            marital_status,
            occupation: r.occupation,
            citizenship,
            valid_until,
            prr: r.prr,
            place_of_issue: r.place_of_issue,
            date_of_issue,
        })
    }
}

impl From<&card::CardRecord> for v1::CardRecord {
    /// The full record, NIK included (for clients sending it, and tests).
    fn from(r: &card::CardRecord) -> Self {
        v1::CardRecord {
            nik: r.nik.as_str().to_owned(),
            name: r.name.clone(),
            place_of_birth: r.place_of_birth.clone(),
            date_of_birth: format_date(r.date_of_birth),
            sex: v1::Sex::from(r.sex).into(),
            blood_type: v1::BloodType::from(r.blood_type).into(),
            address: r.address.clone(),
            rt_rw: r.rt_rw.clone(),
            village: r.village.clone(),
            district: r.district.clone(),
            regency: r.regency.clone(),
            province: r.province.clone(),
            religion: v1::Religion::from(r.religion).into(),
            marital_status: v1::MaritalStatus::from(r.marital_status).into(),
            occupation: r.occupation.clone(),
            citizenship: Some((&r.citizenship).into()),
            valid_until: format_valid_until(&r.valid_until),
            prr: r.prr,
            place_of_issue: r.place_of_issue.clone(),
            date_of_issue: format_date(r.date_of_issue),
        }
    }
}

impl TryFrom<v1::FingerprintTemplate> for card::Template {
    type Error = FieldError;
    /// The finger and format must be set; the data non-empty and within
    /// [`limits::MAX_TEMPLATE_BYTES`].
    fn try_from(t: v1::FingerprintTemplate) -> Result<Self, FieldError> {
        let finger: rekam_hal::Finger = enum_field::<v1::Finger, _>("finger", t.finger)?;
        let format = enum_field::<v1::TemplateFormat, _>("format", t.format)?;
        if t.data.is_empty() {
            return Err(FieldError::new("data", Problem::Missing));
        }
        check_len("data", t.data.len(), limits::MAX_TEMPLATE_BYTES, "bytes")?;
        Ok(card::Template {
            finger: finger.iso_code(),
            format,
            data: t.data,
        })
    }
}

impl TryFrom<v1::ChipBiometrics> for card::ChipBiometrics {
    type Error = FieldError;
    /// The face is required; every size within the contract's limits; at most one template
    /// per finger and format, and at least one template (activation needs it).
    fn try_from(b: v1::ChipBiometrics) -> Result<Self, FieldError> {
        if b.face_jpeg.is_empty() {
            return Err(FieldError::new("face_jpeg", Problem::Missing));
        }
        check_len(
            "face_jpeg",
            b.face_jpeg.len(),
            limits::MAX_FACE_JPEG_BYTES,
            "bytes",
        )?;
        check_len(
            "signature_png",
            b.signature_png.len(),
            limits::MAX_SIGNATURE_PNG_BYTES,
            "bytes",
        )?;
        if b.fingerprints.is_empty() {
            return Err(FieldError::new("fingerprints", Problem::Missing));
        }
        check_len(
            "fingerprints",
            b.fingerprints.len(),
            limits::MAX_TEMPLATES,
            "entries",
        )?;
        let mut templates: Vec<card::Template> = Vec::with_capacity(b.fingerprints.len());
        for (i, t) in b.fingerprints.into_iter().enumerate() {
            let t =
                card::Template::try_from(t).map_err(|e| e.within(&format!("fingerprints[{i}]")))?;
            if templates
                .iter()
                .any(|o| o.finger == t.finger && o.format == t.format)
            {
                return Err(FieldError::new(
                    format!("fingerprints[{i}]"),
                    Problem::Invalid("a second template for the same finger and format".to_owned()),
                ));
            }
            templates.push(t);
        }
        Ok(card::ChipBiometrics {
            face_jpeg: b.face_jpeg,
            signature_png: b.signature_png,
            templates,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::{error_info_of, reason_of};
    use time::macros::date;

    fn record() -> v1::CardRecord {
        v1::CardRecord {
            nik: "3507014512900001".into(),
            name: "SITI AMINAH".into(),
            place_of_birth: "MALANG".into(),
            date_of_birth: "1990-12-05".into(),
            sex: v1::Sex::Perempuan.into(),
            blood_type: v1::BloodType::Unknown.into(),
            address: "JL. MERDEKA NO. 17".into(),
            rt_rw: "003/004".into(),
            village: "SENDURO".into(),
            district: "SENDURO".into(),
            regency: "LUMAJANG".into(),
            province: "JAWA TIMUR".into(),
            religion: v1::Religion::Islam.into(),
            marital_status: v1::MaritalStatus::Kawin.into(),
            occupation: "PETANI/PEKEBUN".into(),
            citizenship: Some(v1::Citizenship {
                kind: v1::CitizenshipKind::Wni.into(),
                country: String::new(),
            }),
            valid_until: LIFETIME.into(),
            prr: true,
            place_of_issue: "LUMAJANG".into(),
            date_of_issue: "2024-03-01".into(),
        }
    }

    #[test]
    fn a_good_record_converts_validates_and_round_trips() {
        let domain = card::CardRecord::try_from(record()).unwrap();
        assert_eq!(domain.date_of_birth, date!(1990 - 12 - 05));
        assert_eq!(domain.sex, card::Sex::Female);
        assert_eq!(domain.blood_type, card::BloodType::Unknown);
        assert_eq!(domain.marital_status, card::MaritalStatus::Kawin);
        assert_eq!(domain.citizenship, card::Citizenship::Wni);
        assert_eq!(domain.valid_until, card::ValidUntil::Lifetime);
        assert_eq!(domain.date_of_issue, date!(2024 - 03 - 01));
        domain.validate().unwrap();
        assert_eq!(v1::CardRecord::from(&domain), record());
    }

    #[test]
    fn wna_with_a_dated_validity_round_trips() {
        let mut r = record();
        r.citizenship = Some(v1::Citizenship {
            kind: v1::CitizenshipKind::Wna.into(),
            country: "MALAYSIA".into(),
        });
        r.valid_until = "2027-06-30".into();
        let domain = card::CardRecord::try_from(r.clone()).unwrap();
        assert_eq!(
            domain.citizenship,
            card::Citizenship::Wna {
                country: "MALAYSIA".into()
            }
        );
        assert_eq!(
            domain.valid_until,
            card::ValidUntil::Date(date!(2027 - 06 - 30))
        );
        assert_eq!(v1::CardRecord::from(&domain), r);
    }

    fn error_of(edit: impl FnOnce(&mut v1::CardRecord)) -> FieldError {
        let mut r = record();
        edit(&mut r);
        card::CardRecord::try_from(r).unwrap_err()
    }

    type Edit = Box<dyn FnOnce(&mut v1::CardRecord)>;

    #[test]
    fn bad_fields_are_named() {
        let cases: Vec<(Edit, &str, Problem)> = vec![
            (Box::new(|r| r.sex = 0), "sex", Problem::Unspecified),
            (Box::new(|r| r.sex = 9), "sex", Problem::UnknownEnumValue(9)),
            (
                Box::new(|r| r.blood_type = 0),
                "blood_type",
                Problem::Unspecified,
            ),
            (
                Box::new(|r| r.religion = 0),
                "religion",
                Problem::Unspecified,
            ),
            (
                Box::new(|r| r.religion = 42),
                "religion",
                Problem::UnknownEnumValue(42),
            ),
            (
                Box::new(|r| r.marital_status = 0),
                "marital_status",
                Problem::Unspecified,
            ),
            (
                Box::new(|r| r.date_of_birth = String::new()),
                "date_of_birth",
                Problem::Missing,
            ),
            (
                Box::new(|r| r.citizenship = None),
                "citizenship",
                Problem::Missing,
            ),
            (
                Box::new(|r| r.citizenship = Some(v1::Citizenship::default())),
                "citizenship.kind",
                Problem::Unspecified,
            ),
            (
                Box::new(|r| {
                    r.citizenship = Some(v1::Citizenship {
                        kind: v1::CitizenshipKind::Wna.into(),
                        country: " ".into(),
                    })
                }),
                "citizenship.country",
                Problem::Missing,
            ),
            (
                Box::new(|r| r.valid_until = String::new()),
                "valid_until",
                Problem::Missing,
            ),
        ];
        for (edit, field, problem) in cases {
            let err = error_of(edit);
            assert_eq!((err.field(), err.problem()), (field, &problem));
        }
    }

    #[test]
    fn bad_dates_are_named_and_malformed() {
        for bad in [
            "05-12-1990",
            "1990-13-01",
            "1990-02-30",
            "1990/12/05",
            "19901205",
        ] {
            let err = error_of(|r| r.date_of_birth = bad.into());
            assert_eq!(err.field(), "date_of_birth", "{bad}");
            assert!(matches!(err.problem(), Problem::Malformed { .. }), "{bad}");
            let err = error_of(|r| r.date_of_issue = bad.into());
            assert_eq!(err.field(), "date_of_issue", "{bad}");
        }
        for bad in ["seumur hidup", "SEUMUR  HIDUP", "30-06-2027"] {
            let err = error_of(|r| r.valid_until = bad.into());
            assert_eq!(err.field(), "valid_until", "{bad}");
        }
    }

    #[test]
    fn a_bad_nik_is_invalid_nik_without_the_number() {
        let err = error_of(|r| r.nik = "3507014512900000".into());
        assert_eq!(err.field(), "nik");
        let status = err.within("record").to_status();
        assert_eq!(reason_of(&status), Some(v1::ErrorReason::InvalidNik));
        assert_eq!(
            error_info_of(&status).unwrap().metadata["field"],
            "record.nik"
        );
        assert!(!status.message().contains("3507014512900000"));
    }

    #[test]
    fn validation_errors_name_the_proto_field() {
        let mut r = record();
        r.date_of_birth = "1990-12-06".into(); // the NIK says the 5th
        let domain = card::CardRecord::try_from(r).unwrap();
        let err = record_error(&domain.validate().unwrap_err()).within("record");
        assert_eq!(err.field(), "record.date_of_birth");
        assert_eq!(
            reason_of(&err.to_status()),
            Some(v1::ErrorReason::InvalidArgument)
        );

        let mut r = record();
        r.name = "A".repeat(61);
        let domain = card::CardRecord::try_from(r).unwrap();
        let err = record_error(&domain.validate().unwrap_err());
        assert_eq!(err.field(), "name");
        assert_eq!(
            reason_of(&err.to_status()),
            Some(v1::ErrorReason::PayloadTooLarge)
        );
    }

    #[test]
    fn every_enum_pair_round_trips() {
        for s in [card::Sex::Male, card::Sex::Female] {
            assert_eq!(card::Sex::try_from(v1::Sex::from(s)), Ok(s));
        }
        use card::BloodType as B;
        for b in [B::A, B::B, B::Ab, B::O, B::Unknown] {
            assert_eq!(B::try_from(v1::BloodType::from(b)), Ok(b));
        }
        use card::Religion as R;
        for r in [
            R::Islam,
            R::Kristen,
            R::Katolik,
            R::Hindu,
            R::Buddha,
            R::Konghucu,
            R::Kepercayaan,
        ] {
            let p = v1::Religion::from(r);
            assert_eq!(p.as_str_name(), format!("RELIGION_{}", r.code()));
            assert_eq!(R::try_from(p), Ok(r));
        }
        use card::MaritalStatus as M;
        for m in [M::BelumKawin, M::Kawin, M::CeraiHidup, M::CeraiMati] {
            let p = v1::MaritalStatus::from(m);
            assert_eq!(p.as_str_name(), format!("MARITAL_STATUS_{}", m.code()));
            assert_eq!(M::try_from(p), Ok(m));
        }
        use card::TemplateFormat as T;
        for t in [T::Iso19794_2, T::Iso19794_2Compact, T::SimIdentity] {
            assert_eq!(T::try_from(v1::TemplateFormat::from(t)), Ok(t));
        }
        assert_eq!(card::Sex::try_from(v1::Sex::Unspecified), Err(Unspecified));
        assert_eq!(B::try_from(v1::BloodType::Unspecified), Err(Unspecified));
    }

    fn biometrics() -> v1::ChipBiometrics {
        v1::ChipBiometrics {
            face_jpeg: vec![0xFF, 0xD8, 0xFF, 0xD9],
            signature_png: vec![0x89, b'P', b'N', b'G'],
            fingerprints: vec![
                v1::FingerprintTemplate {
                    finger: v1::Finger::RightIndex.into(),
                    format: v1::TemplateFormat::Iso197942Compact.into(),
                    data: vec![1; 120],
                },
                v1::FingerprintTemplate {
                    finger: v1::Finger::LeftIndex.into(),
                    format: v1::TemplateFormat::Iso197942Compact.into(),
                    data: vec![2; 90],
                },
            ],
        }
    }

    #[test]
    fn chip_biometrics_convert_with_iso_finger_codes() {
        let b = card::ChipBiometrics::try_from(biometrics()).unwrap();
        assert_eq!(b.templates.len(), 2);
        assert_eq!((b.templates[0].finger, b.templates[1].finger), (2, 7));
        assert_eq!(
            b.templates[1].format,
            card::TemplateFormat::Iso19794_2Compact
        );
        assert_eq!(b.templates[1].data.len(), 90);
        assert_eq!(b.face_jpeg.len(), 4);
    }

    #[test]
    fn chip_biometrics_enforce_the_contract() {
        let mut b = biometrics();
        b.face_jpeg.clear();
        assert_eq!(
            card::ChipBiometrics::try_from(b).unwrap_err().field(),
            "face_jpeg"
        );

        let mut b = biometrics();
        b.face_jpeg = vec![0; limits::MAX_FACE_JPEG_BYTES + 1];
        let err = card::ChipBiometrics::try_from(b).unwrap_err();
        assert_eq!(err.reason(), v1::ErrorReason::PayloadTooLarge);

        let mut b = biometrics();
        b.fingerprints[1].finger = 0;
        assert_eq!(
            card::ChipBiometrics::try_from(b).unwrap_err().field(),
            "fingerprints[1].finger"
        );

        let mut b = biometrics();
        b.fingerprints[0].data = vec![0; limits::MAX_TEMPLATE_BYTES + 1];
        let err = card::ChipBiometrics::try_from(b).unwrap_err();
        assert_eq!(
            (err.field(), err.reason()),
            ("fingerprints[0].data", v1::ErrorReason::PayloadTooLarge)
        );

        let mut b = biometrics();
        b.fingerprints[1].finger = v1::Finger::RightIndex.into();
        assert_eq!(
            card::ChipBiometrics::try_from(b).unwrap_err().field(),
            "fingerprints[1]"
        );

        let mut b = biometrics();
        b.fingerprints.clear();
        assert_eq!(
            card::ChipBiometrics::try_from(b).unwrap_err().field(),
            "fingerprints"
        );

        let mut b = biometrics();
        let t = b.fingerprints[0].clone();
        b.fingerprints = vec![t; limits::MAX_TEMPLATES + 1];
        assert_eq!(
            card::ChipBiometrics::try_from(b).unwrap_err().reason(),
            v1::ErrorReason::PayloadTooLarge
        );
    }
}
