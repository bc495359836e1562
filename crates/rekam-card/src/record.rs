//! The card record: the demographic data SIAK sends for issuing a KTP-el, as printed on the
//! card face and written to the chip, and its validation.
//!
//! [`CardRecord::validate`] is what the issuance job runs before it feeds a blank: every text
//! field present, printable in upper case and within its length, the RT/RW in `NNN/NNN`, the
//! NIK's coded birth date and sex agreeing with the record, the dates in order.
//!
//! The enums carry the Indonesian labels printed on the card (`label()`, also their
//! `Display`); serde writes them as SCREAMING_SNAKE_CASE codes (`BELUM_KAWIN`), dates as
//! `YYYY-MM-DD`. The record's `Debug` redacts personal fields; serde carries everything
//! (storage and transport only).

use std::fmt;

use serde::{Deserialize, Serialize};
use time::Date;

use crate::nik::Nik;

time::serde::format_description!(iso_date, Date, "[year]-[month]-[day]");

/// Sex (jenis kelamin), as coded in the NIK and printed on the card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Sex {
    /// Laki-laki.
    Male,
    /// Perempuan.
    Female,
}

impl Sex {
    /// The card label: `LAKI-LAKI` or `PEREMPUAN`.
    pub fn label(self) -> &'static str {
        match self {
            Sex::Male => "LAKI-LAKI",
            Sex::Female => "PEREMPUAN",
        }
    }

    /// The serde code: `MALE` or `FEMALE`.
    pub fn code(self) -> &'static str {
        match self {
            Sex::Male => "MALE",
            Sex::Female => "FEMALE",
        }
    }
}

/// Blood type (golongan darah); `Unknown` prints as `-`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BloodType {
    /// A.
    A,
    /// B.
    B,
    /// AB.
    Ab,
    /// O.
    O,
    /// Not known: printed as `-`.
    Unknown,
}

impl BloodType {
    /// The card label: `A`, `B`, `AB`, `O` or `-`.
    pub fn label(self) -> &'static str {
        match self {
            BloodType::A => "A",
            BloodType::B => "B",
            BloodType::Ab => "AB",
            BloodType::O => "O",
            BloodType::Unknown => "-",
        }
    }

    /// The serde code: `A`, `B`, `AB`, `O` or `UNKNOWN`.
    pub fn code(self) -> &'static str {
        match self {
            BloodType::A => "A",
            BloodType::B => "B",
            BloodType::Ab => "AB",
            BloodType::O => "O",
            BloodType::Unknown => "UNKNOWN",
        }
    }
}

/// Religion (agama), the six recognised religions and the belief column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Religion {
    /// Islam.
    Islam,
    /// Kristen (Protestant).
    Kristen,
    /// Katolik.
    Katolik,
    /// Hindu.
    Hindu,
    /// Buddha.
    Buddha,
    /// Konghucu (Confucianism).
    Konghucu,
    /// Kepercayaan terhadap Tuhan Yang Maha Esa (indigenous belief).
    Kepercayaan,
}

impl Religion {
    /// The card label, e.g. `ISLAM` or `KEPERCAYAAN TERHADAP TUHAN YME`.
    pub fn label(self) -> &'static str {
        match self {
            Religion::Islam => "ISLAM",
            Religion::Kristen => "KRISTEN",
            Religion::Katolik => "KATOLIK",
            Religion::Hindu => "HINDU",
            Religion::Buddha => "BUDDHA",
            Religion::Konghucu => "KONGHUCU",
            Religion::Kepercayaan => "KEPERCAYAAN TERHADAP TUHAN YME",
        }
    }

    /// The serde code, e.g. `ISLAM` or `KEPERCAYAAN`.
    pub fn code(self) -> &'static str {
        match self {
            Religion::Islam => "ISLAM",
            Religion::Kristen => "KRISTEN",
            Religion::Katolik => "KATOLIK",
            Religion::Hindu => "HINDU",
            Religion::Buddha => "BUDDHA",
            Religion::Konghucu => "KONGHUCU",
            Religion::Kepercayaan => "KEPERCAYAAN",
        }
    }
}

/// Marital status (status perkawinan).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MaritalStatus {
    /// Belum kawin: never married.
    BelumKawin,
    /// Kawin: married.
    Kawin,
    /// Cerai hidup: divorced.
    CeraiHidup,
    /// Cerai mati: widowed.
    CeraiMati,
}

impl MaritalStatus {
    /// The card label, e.g. `BELUM KAWIN`.
    pub fn label(self) -> &'static str {
        match self {
            MaritalStatus::BelumKawin => "BELUM KAWIN",
            MaritalStatus::Kawin => "KAWIN",
            MaritalStatus::CeraiHidup => "CERAI HIDUP",
            MaritalStatus::CeraiMati => "CERAI MATI",
        }
    }

    /// The serde code, e.g. `BELUM_KAWIN`.
    pub fn code(self) -> &'static str {
        match self {
            MaritalStatus::BelumKawin => "BELUM_KAWIN",
            MaritalStatus::Kawin => "KAWIN",
            MaritalStatus::CeraiHidup => "CERAI_HIDUP",
            MaritalStatus::CeraiMati => "CERAI_MATI",
        }
    }

    /// Whether the person is or has been married: this makes someone under 17 eligible for
    /// a first card.
    pub fn ever_married(self) -> bool {
        !matches!(self, MaritalStatus::BelumKawin)
    }
}

/// Citizenship (kewarganegaraan).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Citizenship {
    /// Warga Negara Indonesia.
    Wni,
    /// Warga Negara Asing (a resident foreigner), with the country of citizenship.
    Wna {
        /// The country of citizenship, as SIAK spells it.
        country: String,
    },
}

impl Citizenship {
    /// The card label: `WNI` or `WNA`.
    pub fn label(&self) -> &'static str {
        match self {
            Citizenship::Wni => "WNI",
            Citizenship::Wna { .. } => "WNA",
        }
    }
}

/// How long the card is valid (berlaku hingga).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ValidUntil {
    /// For life (`SEUMUR HIDUP`), the rule for citizens' cards since 2013.
    Lifetime,
    /// Until a date (foreigners: the end of their stay permit).
    Date(#[serde(with = "iso_date")] Date),
}

impl ValidUntil {
    /// The card label: `SEUMUR HIDUP` or the date as `DD-MM-YYYY`.
    pub fn label(&self) -> String {
        match self {
            ValidUntil::Lifetime => "SEUMUR HIDUP".to_owned(),
            ValidUntil::Date(d) => card_date(*d),
        }
    }
}

/// A date as printed on the card: `DD-MM-YYYY`.
pub fn card_date(d: Date) -> String {
    format!("{:02}-{:02}-{:04}", d.day(), d.month() as u8, d.year())
}

macro_rules! display_label {
    ($($t:ty),*) => {$(
        impl fmt::Display for $t {
            /// The card label.
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.label())
            }
        }
    )*};
}
display_label!(
    Sex,
    BloodType,
    Religion,
    MaritalStatus,
    Citizenship,
    ValidUntil
);

/// The card record SIAK sends for issuing a card.
///
/// Text fields are given as SIAK has them; the card prints them in upper case, so
/// [`CardRecord::validate`] checks they can be (see [`ALLOWED_PUNCTUATION`]).
///
/// `Debug` shows only the masked NIK and the non-personal fields.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardRecord {
    /// The NIK.
    pub nik: Nik,
    /// Full name (nama), at most [`MAX_NAME`] characters.
    pub name: String,
    /// Place of birth (tempat lahir).
    pub place_of_birth: String,
    /// Date of birth (tanggal lahir): must agree with the NIK.
    #[serde(with = "iso_date")]
    pub date_of_birth: Date,
    /// Sex: must agree with the NIK.
    pub sex: Sex,
    /// Blood type.
    pub blood_type: BloodType,
    /// Street address (alamat), at most [`MAX_ADDRESS`] characters.
    pub address: String,
    /// RT/RW (neighbourhood and hamlet units) as `NNN/NNN`, e.g. `003/004`.
    pub rt_rw: String,
    /// Village (kelurahan/desa).
    pub village: String,
    /// District (kecamatan).
    pub district: String,
    /// Regency or city (kabupaten/kota).
    pub regency: String,
    /// Province (provinsi).
    pub province: String,
    /// Religion.
    pub religion: Religion,
    /// Marital status.
    pub marital_status: MaritalStatus,
    /// Occupation (pekerjaan), e.g. `PELAJAR/MAHASISWA`.
    pub occupation: String,
    /// Citizenship.
    pub citizenship: Citizenship,
    /// Validity.
    pub valid_until: ValidUntil,
    /// Print Ready Record: the central status that allows printing a new card.
    pub prr: bool,
    /// Where the card is issued (the regency or city printed above the signature).
    pub place_of_issue: String,
    /// The issue date printed on the card.
    #[serde(with = "iso_date")]
    pub date_of_issue: Date,
}

/// The longest name the card takes, in characters.
pub const MAX_NAME: usize = 60;
/// The longest address the card takes, in characters.
pub const MAX_ADDRESS: usize = 120;
/// The longest of the other text fields (places, region names, occupation, country).
pub const MAX_SHORT_TEXT: usize = 40;

/// Punctuation allowed in text fields besides letters, digits and single spaces.
pub const ALLOWED_PUNCTUATION: &str = ".,'-/()&:\"";

/// A field of the [`CardRecord`], named in [`RecordError`]s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Field {
    /// `nik`.
    Nik,
    /// `name`.
    Name,
    /// `place_of_birth`.
    PlaceOfBirth,
    /// `date_of_birth`.
    DateOfBirth,
    /// `sex`.
    Sex,
    /// `address`.
    Address,
    /// `rt_rw`.
    RtRw,
    /// `village`.
    Village,
    /// `district`.
    District,
    /// `regency`.
    Regency,
    /// `province`.
    Province,
    /// `occupation`.
    Occupation,
    /// `citizenship`.
    Citizenship,
    /// `valid_until`.
    ValidUntil,
    /// `place_of_issue`.
    PlaceOfIssue,
    /// `date_of_issue`.
    DateOfIssue,
}

impl Field {
    /// The field's name as in the record's serde form.
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Nik => "nik",
            Field::Name => "name",
            Field::PlaceOfBirth => "place_of_birth",
            Field::DateOfBirth => "date_of_birth",
            Field::Sex => "sex",
            Field::Address => "address",
            Field::RtRw => "rt_rw",
            Field::Village => "village",
            Field::District => "district",
            Field::Regency => "regency",
            Field::Province => "province",
            Field::Occupation => "occupation",
            Field::Citizenship => "citizenship",
            Field::ValidUntil => "valid_until",
            Field::PlaceOfIssue => "place_of_issue",
            Field::DateOfIssue => "date_of_issue",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a [`CardRecord`] cannot be issued. Every variant names the field; no message contains
/// the field's value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// A required text field is empty or blank.
    #[error("{field} is empty")]
    Empty {
        /// The field.
        field: Field,
    },
    /// A text field is longer than the card takes.
    #[error("{field} has {len} characters, at most {max} fit on the card")]
    TooLong {
        /// The field.
        field: Field,
        /// Its length in characters.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A character that cannot be printed in upper case on the card (a control character, a
    /// symbol, or a letter without a single upper-case form).
    #[error("{field} has a character that cannot be printed on the card at position {position}")]
    InvalidCharacter {
        /// The field.
        field: Field,
        /// 1-based character position.
        position: usize,
    },
    /// Leading, trailing or doubled spaces.
    #[error("{field} has leading, trailing or doubled spaces")]
    Spacing {
        /// The field.
        field: Field,
    },
    /// A field with a fixed format does not have it.
    #[error("{field} is not in the format {expected}")]
    Format {
        /// The field.
        field: Field,
        /// The expected format.
        expected: &'static str,
    },
    /// The date of birth is not the one coded in the NIK.
    #[error("date_of_birth does not agree with the birth date coded in the NIK")]
    BirthDateMismatch,
    /// The sex is not the one coded in the NIK.
    #[error("sex does not agree with the sex coded in the NIK")]
    SexMismatch,
    /// The issue date is before the date of birth.
    #[error("date_of_issue is before date_of_birth")]
    IssuedBeforeBirth,
    /// A dated validity ends before the issue date.
    #[error("valid_until is before date_of_issue")]
    ExpiresBeforeIssue,
}

impl RecordError {
    /// The field at fault.
    pub fn field(&self) -> Field {
        match self {
            RecordError::Empty { field }
            | RecordError::TooLong { field, .. }
            | RecordError::InvalidCharacter { field, .. }
            | RecordError::Spacing { field }
            | RecordError::Format { field, .. } => *field,
            RecordError::BirthDateMismatch => Field::DateOfBirth,
            RecordError::SexMismatch => Field::Sex,
            RecordError::IssuedBeforeBirth => Field::DateOfIssue,
            RecordError::ExpiresBeforeIssue => Field::ValidUntil,
        }
    }
}

/// Checks a required text field: not blank, single spaces only inside, every character
/// printable in upper case, at most `max` characters.
pub fn check_text(field: Field, value: &str, max: usize) -> Result<(), RecordError> {
    if value.trim().is_empty() {
        return Err(RecordError::Empty { field });
    }
    if value.trim() != value || value.contains("  ") {
        return Err(RecordError::Spacing { field });
    }
    for (i, c) in value.chars().enumerate() {
        let ok = c.is_ascii_digit()
            || c == ' '
            || ALLOWED_PUNCTUATION.contains(c)
            || (c.is_alphabetic() && c.to_uppercase().count() == 1);
        if !ok {
            return Err(RecordError::InvalidCharacter {
                field,
                position: i + 1,
            });
        }
    }
    let len = value.chars().count();
    if len > max {
        return Err(RecordError::TooLong { field, len, max });
    }
    Ok(())
}

fn is_rt_rw(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 7
        && b[3] == b'/'
        && b[..3].iter().all(u8::is_ascii_digit)
        && b[4..].iter().all(u8::is_ascii_digit)
}

impl CardRecord {
    /// Checks that the record can be issued. The first fault found is returned.
    ///
    /// Checks, in order: the text fields (see [`check_text`]; name at most [`MAX_NAME`],
    /// address at most [`MAX_ADDRESS`], the others at most [`MAX_SHORT_TEXT`]); RT/RW as
    /// `NNN/NNN`; the NIK's birth date (day, month, two-digit year) and sex against
    /// `date_of_birth` and `sex`; `date_of_issue` not before `date_of_birth`; a dated
    /// `valid_until` not before `date_of_issue`.
    ///
    /// PRR is not checked here: a record that is not PRR is valid, the issuance job decides
    /// what to do with it (a pickup receipt instead of a card).
    pub fn validate(&self) -> Result<(), RecordError> {
        check_text(Field::Name, &self.name, MAX_NAME)?;
        check_text(Field::PlaceOfBirth, &self.place_of_birth, MAX_SHORT_TEXT)?;
        check_text(Field::Address, &self.address, MAX_ADDRESS)?;
        if !is_rt_rw(&self.rt_rw) {
            return Err(RecordError::Format {
                field: Field::RtRw,
                expected: "NNN/NNN",
            });
        }
        check_text(Field::Village, &self.village, MAX_SHORT_TEXT)?;
        check_text(Field::District, &self.district, MAX_SHORT_TEXT)?;
        check_text(Field::Regency, &self.regency, MAX_SHORT_TEXT)?;
        check_text(Field::Province, &self.province, MAX_SHORT_TEXT)?;
        check_text(Field::Occupation, &self.occupation, MAX_SHORT_TEXT)?;
        if let Citizenship::Wna { country } = &self.citizenship {
            check_text(Field::Citizenship, country, MAX_SHORT_TEXT)?;
        }
        check_text(Field::PlaceOfIssue, &self.place_of_issue, MAX_SHORT_TEXT)?;
        if !self.nik.matches_birth_date(self.date_of_birth) {
            return Err(RecordError::BirthDateMismatch);
        }
        if self.nik.sex() != self.sex {
            return Err(RecordError::SexMismatch);
        }
        if self.date_of_issue < self.date_of_birth {
            return Err(RecordError::IssuedBeforeBirth);
        }
        if let ValidUntil::Date(until) = self.valid_until {
            if until < self.date_of_issue {
                return Err(RecordError::ExpiresBeforeIssue);
            }
        }
        Ok(())
    }
}

impl fmt::Debug for CardRecord {
    /// Only the masked NIK and the fields that say nothing about the person.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CardRecord")
            .field("nik", &self.nik)
            .field("prr", &self.prr)
            .field("valid_until", &self.valid_until)
            .field("place_of_issue", &self.place_of_issue)
            .field("date_of_issue", &self.date_of_issue)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use time::macros::date;

    /// A valid record for tests in this crate.
    pub(crate) fn sample() -> CardRecord {
        crate::sample::record().unwrap()
    }

    #[test]
    fn sample_is_valid() {
        assert_eq!(sample().validate(), Ok(()));
    }

    #[test]
    fn each_fault_names_its_field() {
        type Mutation = fn(&mut CardRecord);
        let cases: Vec<(Mutation, RecordError)> = vec![
            (
                |r| r.name = "  ".into(),
                RecordError::Empty { field: Field::Name },
            ),
            (
                |r| r.name = "A".repeat(61),
                RecordError::TooLong {
                    field: Field::Name,
                    len: 61,
                    max: 60,
                },
            ),
            (
                |r| r.address = "Jl. ".repeat(31),
                RecordError::Spacing {
                    field: Field::Address,
                },
            ),
            (
                |r| r.address = "J".repeat(121),
                RecordError::TooLong {
                    field: Field::Address,
                    len: 121,
                    max: 120,
                },
            ),
            (
                |r| r.place_of_birth = "Lumajang\n".into(),
                RecordError::Spacing {
                    field: Field::PlaceOfBirth,
                },
            ),
            (
                |r| r.village = "Sen\u{7}duro".into(),
                RecordError::InvalidCharacter {
                    field: Field::Village,
                    position: 4,
                },
            ),
            (
                |r| r.name = "Straße".into(),
                RecordError::InvalidCharacter {
                    field: Field::Name,
                    position: 5,
                },
            ),
            (
                |r| r.occupation = "Guru 😀".into(),
                RecordError::InvalidCharacter {
                    field: Field::Occupation,
                    position: 6,
                },
            ),
            (
                |r| r.district = "".into(),
                RecordError::Empty {
                    field: Field::District,
                },
            ),
            (
                |r| r.regency = "Kab.  Lumajang".into(),
                RecordError::Spacing {
                    field: Field::Regency,
                },
            ),
            (
                |r| r.province = " Jawa Timur".into(),
                RecordError::Spacing {
                    field: Field::Province,
                },
            ),
            (
                |r| r.place_of_issue = "".into(),
                RecordError::Empty {
                    field: Field::PlaceOfIssue,
                },
            ),
            (
                |r| {
                    r.citizenship = Citizenship::Wna {
                        country: String::new(),
                    }
                },
                RecordError::Empty {
                    field: Field::Citizenship,
                },
            ),
            (
                |r| r.rt_rw = "3/4".into(),
                RecordError::Format {
                    field: Field::RtRw,
                    expected: "NNN/NNN",
                },
            ),
            (
                |r| r.rt_rw = "003-004".into(),
                RecordError::Format {
                    field: Field::RtRw,
                    expected: "NNN/NNN",
                },
            ),
            (
                |r| r.date_of_birth = date!(1990 - 12 - 06),
                RecordError::BirthDateMismatch,
            ),
            (
                |r| r.date_of_birth = date!(1991 - 12 - 05),
                RecordError::BirthDateMismatch,
            ),
            (|r| r.sex = Sex::Male, RecordError::SexMismatch),
            (
                |r| r.date_of_issue = date!(1990 - 12 - 04),
                RecordError::IssuedBeforeBirth,
            ),
            (
                |r| r.valid_until = ValidUntil::Date(date!(2025 - 03 - 09)),
                RecordError::ExpiresBeforeIssue,
            ),
        ];
        for (i, (mutate, expected)) in cases.into_iter().enumerate() {
            let mut r = sample();
            mutate(&mut r);
            let err = r.validate().unwrap_err();
            assert_eq!(err, expected, "case {i}");
            assert!(
                err.to_string().contains(err.field().as_str()),
                "case {i}: {err}"
            );
        }
    }

    #[test]
    fn other_centuries_and_foreigners_are_fine() {
        let mut r = sample();
        r.citizenship = Citizenship::Wna {
            country: "Timor-Leste".into(),
        };
        r.valid_until = ValidUntil::Date(date!(2027 - 03 - 10));
        r.name = "José Ramos".into();
        assert_eq!(r.validate(), Ok(()));
        assert_eq!(r.valid_until.label(), "10-03-2027");
        assert_eq!(r.citizenship.to_string(), "WNA");
    }

    #[test]
    fn debug_redacts_personal_fields() {
        let r = sample();
        let shown = format!("{r:?} {r:#?}");
        for secret in [
            r.nik.as_str(),
            "Siti",
            "Krajan",
            "003/004",
            "1990",
            "HINDU",
            "Hindu",
            "Petani",
            "Female",
            "Kawin",
        ] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(shown.contains("3508**********01"), "{shown}");
    }

    #[test]
    fn labels() {
        assert_eq!(Sex::Male.label(), "LAKI-LAKI");
        assert_eq!(Sex::Female.to_string(), "PEREMPUAN");
        assert_eq!(BloodType::Unknown.label(), "-");
        assert_eq!(BloodType::Ab.label(), "AB");
        assert_eq!(
            Religion::Kepercayaan.label(),
            "KEPERCAYAAN TERHADAP TUHAN YME"
        );
        assert_eq!(MaritalStatus::CeraiHidup.label(), "CERAI HIDUP");
        assert_eq!(ValidUntil::Lifetime.to_string(), "SEUMUR HIDUP");
        assert!(!MaritalStatus::BelumKawin.ever_married());
        assert!(MaritalStatus::Kawin.ever_married());
        assert!(MaritalStatus::CeraiHidup.ever_married());
        assert!(MaritalStatus::CeraiMati.ever_married());
    }

    #[test]
    fn codes_are_the_serde_names() {
        fn json<T: Serialize>(v: T) -> String {
            serde_json::to_string(&v)
                .unwrap()
                .trim_matches('"')
                .to_owned()
        }
        for s in [Sex::Male, Sex::Female] {
            assert_eq!(json(s), s.code());
        }
        for b in [
            BloodType::A,
            BloodType::B,
            BloodType::Ab,
            BloodType::O,
            BloodType::Unknown,
        ] {
            assert_eq!(json(b), b.code());
        }
        for r in [
            Religion::Islam,
            Religion::Kristen,
            Religion::Katolik,
            Religion::Hindu,
            Religion::Buddha,
            Religion::Konghucu,
            Religion::Kepercayaan,
        ] {
            assert_eq!(json(r), r.code());
        }
        for m in [
            MaritalStatus::BelumKawin,
            MaritalStatus::Kawin,
            MaritalStatus::CeraiHidup,
            MaritalStatus::CeraiMati,
        ] {
            assert_eq!(json(m), m.code());
        }
    }

    #[test]
    fn serde_round_trip_and_shape() {
        let mut r = sample();
        r.valid_until = ValidUntil::Date(date!(2030 - 01 - 31));
        r.citizenship = Citizenship::Wna {
            country: "Malaysia".into(),
        };
        let value = serde_json::to_value(&r).unwrap();
        assert_eq!(value["nik"], "3508014512900001");
        assert_eq!(value["date_of_birth"], "1990-12-05");
        assert_eq!(value["sex"], "FEMALE");
        assert_eq!(value["marital_status"], "KAWIN");
        assert_eq!(value["valid_until"]["DATE"], "2030-01-31");
        assert_eq!(value["citizenship"]["WNA"]["country"], "Malaysia");
        let back: CardRecord = serde_json::from_value(value).unwrap();
        assert_eq!(back, r);

        let lifetime = serde_json::to_value(sample()).unwrap();
        assert_eq!(lifetime["valid_until"], "LIFETIME");
        assert_eq!(lifetime["citizenship"], "WNI");
    }
}
