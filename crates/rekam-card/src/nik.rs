//! The NIK (Nomor Induk Kependudukan), the 16-digit personal number on every KTP-el.
//!
//! Layout, digit by digit (1-based):
//!
//! | digits | meaning |
//! | --- | --- |
//! | 1-2 | province code ([`PROVINCE_CODES`]) |
//! | 3-4 | regency (kabupaten) or city (kota) code, not `00` |
//! | 5-6 | district (kecamatan) code, not `00` |
//! | 7-12 | birth date `DDMMYY`; women have 40 added to the day (born on the 5th: `45`) |
//! | 13-16 | serial number, not `0000` |
//!
//! A [`Nik`] is always valid. Its `Debug` and `Display` show only the masked form
//! (`3507**********01`), so a NIK can be logged or put in an error without leaking it; the
//! full number is reached only through the explicitly named [`Nik::as_str`] and through serde
//! (storage and transport).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::{Date, Month};

use crate::record::Sex;

/// The number of digits in a NIK.
pub const NIK_LEN: usize = 16;

/// Every province code in use (BPS / Kemendagri codes), in ascending order.
///
/// 11-19 Sumatra, 21 Kepulauan Riau, 31-36 Java, 51-53 Bali and Nusa Tenggara, 61-65
/// Kalimantan, 71-76 Sulawesi, 81-82 Maluku, 91-96 Papua (including the provinces created in
/// 2022).
pub const PROVINCE_CODES: [u8; 38] = [
    11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 31, 32, 33, 34, 35, 36, 51, 52, 53, 61, 62, 63, 64, 65,
    71, 72, 73, 74, 75, 76, 81, 82, 91, 92, 93, 94, 95, 96,
];

/// Whether `code` is a real Indonesian province code.
pub fn is_province_code(code: u8) -> bool {
    PROVINCE_CODES.binary_search(&code).is_ok()
}

/// Why a string is not a valid NIK. One variant per rule, checked in this order.
///
/// The messages never contain the NIK itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NikError {
    /// Not exactly 16 characters.
    #[error("a NIK has exactly 16 digits, this one has {0} characters")]
    WrongLength(usize),
    /// A character that is not an ASCII digit.
    #[error("a NIK has only the digits 0-9")]
    NotDigits,
    /// The first two digits are not a province code.
    #[error("{0:02} is not an Indonesian province code (digits 1-2 of the NIK)")]
    UnknownProvince(u8),
    /// Digits 3-4 are `00`.
    #[error("the regency/city code (digits 3-4 of the NIK) cannot be 00")]
    ZeroRegency,
    /// Digits 5-6 are `00`.
    #[error("the district (kecamatan) code (digits 5-6 of the NIK) cannot be 00")]
    ZeroDistrict,
    /// Digits 7-12 are not a calendar date `DDMMYY` (with 40 added to the day for women).
    #[error("digits 7-12 of the NIK are not a birth date DDMMYY (day + 40 for women)")]
    InvalidBirthDate,
    /// The last four digits are `0000`.
    #[error("the serial number (digits 13-16 of the NIK) cannot be 0000")]
    ZeroSerial,
}

/// A valid NIK.
///
/// `Debug` and `Display` print [`Nik::masked`] only. Use [`Nik::as_str`] where the full
/// number is really needed (the chip, the card face, SIAK).
///
/// Serde: serialized as the plain 16-digit string and validated again when deserialized.
/// Serde is for storage and transport; a serialized NIK is personal data in full.
///
/// ```
/// use rekam_card::{Nik, Sex};
/// let nik: Nik = "3507014512900001".parse().unwrap();
/// assert_eq!(nik.province_code(), 35);
/// assert_eq!(nik.sex(), Sex::Female);
/// assert_eq!(nik.to_string(), "3507**********01");
/// assert_eq!(format!("{nik:?}"), "Nik(3507**********01)");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Nik {
    /// The 16 ASCII digits.
    digits: [u8; NIK_LEN],
    /// The coded birth date placed in 20YY (always a real date: 20YY has every day that
    /// 19YY has, since 2000 was a leap year).
    birth_20yy: Date,
}

impl Nik {
    /// Parses and validates a NIK: exactly 16 ASCII digits, a real province code, regency,
    /// district and serial not zero, and a real birth date.
    ///
    /// The birth date is checked as a day and month that exist in year `20YY` (which has
    /// every day that `19YY` has): `290200` is accepted, `290201` is not.
    pub fn parse(s: &str) -> Result<Nik, NikError> {
        let len = s.chars().count();
        if len != NIK_LEN {
            return Err(NikError::WrongLength(len));
        }
        let bytes = s.as_bytes();
        let mut digits = [0u8; NIK_LEN];
        if bytes.len() != NIK_LEN || !bytes.iter().all(u8::is_ascii_digit) {
            return Err(NikError::NotDigits);
        }
        digits.copy_from_slice(bytes);
        let pair = |i: usize| (digits[i] - b'0') * 10 + (digits[i + 1] - b'0');

        let province = pair(0);
        if !is_province_code(province) {
            return Err(NikError::UnknownProvince(province));
        }
        if pair(2) == 0 {
            return Err(NikError::ZeroRegency);
        }
        if pair(4) == 0 {
            return Err(NikError::ZeroDistrict);
        }
        let coded_day = pair(6);
        let day = if coded_day > 40 {
            coded_day - 40
        } else {
            coded_day
        };
        let month = Month::try_from(pair(8)).map_err(|_| NikError::InvalidBirthDate)?;
        let year = 2000 + i32::from(pair(10));
        let birth_20yy =
            Date::from_calendar_date(year, month, day).map_err(|_| NikError::InvalidBirthDate)?;
        if digits[12..].iter().all(|&d| d == b'0') {
            return Err(NikError::ZeroSerial);
        }
        Ok(Nik { digits, birth_20yy })
    }

    /// The full 16-digit NIK. Named explicitly: only for the places that need the whole
    /// number (chip, card face, SIAK). Never log it.
    pub fn as_str(&self) -> &str {
        // The digits are ASCII by construction, so this never takes the fallback.
        std::str::from_utf8(&self.digits).unwrap_or_default()
    }

    /// The masked form shown in logs and errors: the first 4 and last 2 digits, 10 stars
    /// between (`3507**********01`).
    pub fn masked(&self) -> String {
        let mut out = String::with_capacity(NIK_LEN);
        for (i, &d) in self.digits.iter().enumerate() {
            out.push(if !(4..NIK_LEN - 2).contains(&i) {
                char::from(d)
            } else {
                '*'
            });
        }
        out
    }

    fn pair(&self, i: usize) -> u8 {
        (self.digits[i] - b'0') * 10 + (self.digits[i + 1] - b'0')
    }

    /// The province code (digits 1-2), one of [`PROVINCE_CODES`].
    pub fn province_code(&self) -> u8 {
        self.pair(0)
    }

    /// The regency/city code within the province (digits 3-4), 1..=99.
    pub fn regency_code(&self) -> u8 {
        self.pair(2)
    }

    /// The district (kecamatan) code within the regency (digits 5-6), 1..=99.
    pub fn district_code(&self) -> u8 {
        self.pair(4)
    }

    /// The sex coded in the NIK: female when 40 was added to the birth day.
    pub fn sex(&self) -> Sex {
        if self.pair(6) > 40 {
            Sex::Female
        } else {
            Sex::Male
        }
    }

    /// The birth day of the month (1..=31), with the 40 for women removed.
    pub fn birth_day(&self) -> u8 {
        self.birth_20yy.day()
    }

    /// The birth month.
    pub fn birth_month(&self) -> Month {
        self.birth_20yy.month()
    }

    /// The two-digit birth year `YY` (0..=99); the century is not coded.
    pub fn birth_yy(&self) -> u8 {
        self.pair(10)
    }

    /// Whether `date` has the day, month and two-digit year coded in the NIK.
    pub fn matches_birth_date(&self, date: Date) -> bool {
        date.day() == self.birth_day()
            && date.month() == self.birth_month()
            && date.year().rem_euclid(100) == i32::from(self.birth_yy())
    }

    /// The birth date, with the century inferred from `reference` (normally today): the year
    /// is `20YY` unless that date is after `reference`, then `19YY`.
    ///
    /// One date exists only in `20YY`: 29 February 2000 (1900 was not a leap year). For
    /// `290200` with a reference before that day, the only real date, 2000-02-29, is returned.
    pub fn birth_date(&self, reference: Date) -> Date {
        if self.birth_20yy <= reference {
            self.birth_20yy
        } else {
            self.birth_20yy
                .replace_year(self.birth_20yy.year() - 100)
                .unwrap_or(self.birth_20yy)
        }
    }

    /// The serial number (digits 13-16), 1..=9999.
    pub fn serial(&self) -> u16 {
        u16::from(self.pair(12)) * 100 + u16::from(self.pair(14))
    }

    /// The holder's age in completed years on `date`, with the birth century inferred from
    /// `reference` (see [`Nik::birth_date`]). `None` when `date` is before the birth date.
    pub fn age_on(&self, date: Date, reference: Date) -> Option<u32> {
        completed_years(self.birth_date(reference), date)
    }
}

/// Completed years between `birth` and `on`: a year is completed on the birthday. Someone
/// born on 29 February completes a year on 1 March in a common year. `None` when `on` is
/// before `birth`.
pub fn completed_years(birth: Date, on: Date) -> Option<u32> {
    if on < birth {
        return None;
    }
    let mut years = on.year() - birth.year();
    if (on.month() as u8, on.day()) < (birth.month() as u8, birth.day()) {
        years -= 1;
    }
    u32::try_from(years).ok()
}

impl fmt::Debug for Nik {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Nik({})", self.masked())
    }
}

impl fmt::Display for Nik {
    /// The masked form only, see [`Nik::masked`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl FromStr for Nik {
    type Err = NikError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Nik::parse(s)
    }
}

impl Serialize for Nik {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Nik {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Nik::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    #[test]
    fn parses_the_glossary_example() {
        let nik = Nik::parse("3507014512900001").unwrap();
        assert_eq!(nik.province_code(), 35);
        assert_eq!(nik.regency_code(), 7);
        assert_eq!(nik.district_code(), 1);
        assert_eq!(nik.sex(), Sex::Female);
        assert_eq!(nik.birth_day(), 5);
        assert_eq!(nik.birth_month(), Month::December);
        assert_eq!(nik.birth_yy(), 90);
        assert_eq!(nik.serial(), 1);
        assert_eq!(nik.birth_date(date!(2025 - 01 - 01)), date!(1990 - 12 - 05));
        assert_eq!(nik.as_str(), "3507014512900001");
        assert_eq!(nik.masked(), "3507**********01");
    }

    #[test]
    fn male_day_is_not_shifted() {
        let nik = Nik::parse("3171010503051234").unwrap();
        assert_eq!(nik.sex(), Sex::Male);
        assert_eq!(nik.birth_date(date!(2025 - 06 - 01)), date!(2005 - 03 - 05));
        assert_eq!(nik.serial(), 1234);
    }

    #[test]
    fn each_rule_has_its_error() {
        let cases = [
            ("350701451290000", NikError::WrongLength(15)),
            ("35070145129000011", NikError::WrongLength(17)),
            ("350701451290000x", NikError::NotDigits),
            ("3507014512900٠01", NikError::NotDigits),
            ("2007014512900001", NikError::UnknownProvince(20)),
            ("1007014512900001", NikError::UnknownProvince(10)),
            ("9707014512900001", NikError::UnknownProvince(97)),
            ("3500014512900001", NikError::ZeroRegency),
            ("3507004512900001", NikError::ZeroDistrict),
            ("3507010012900001", NikError::InvalidBirthDate),
            ("3507013212900001", NikError::InvalidBirthDate),
            ("3507014012900001", NikError::InvalidBirthDate),
            ("3507017212900001", NikError::InvalidBirthDate),
            ("3507010513900001", NikError::InvalidBirthDate),
            ("3507010500900001", NikError::InvalidBirthDate),
            ("3507013104900001", NikError::InvalidBirthDate),
            ("3507012902010001", NikError::InvalidBirthDate),
            ("3507014512900000", NikError::ZeroSerial),
        ];
        for (input, expected) in cases {
            assert_eq!(Nik::parse(input), Err(expected), "input {input}");
        }
    }

    #[test]
    fn leap_days() {
        // 29 Feb 2004 / 1904 both exist.
        let nik = Nik::parse("3507016902040001").unwrap();
        assert_eq!(nik.birth_date(date!(2025 - 01 - 01)), date!(2004 - 02 - 29));
        assert_eq!(nik.birth_date(date!(2003 - 01 - 01)), date!(1904 - 02 - 29));
        // 29 Feb 00: only 2000 had it.
        let nik = Nik::parse("3507012902000001").unwrap();
        assert_eq!(nik.birth_date(date!(2025 - 01 - 01)), date!(2000 - 02 - 29));
        assert_eq!(nik.birth_date(date!(1999 - 01 - 01)), date!(2000 - 02 - 29));
    }

    #[test]
    fn century_follows_the_reference() {
        let nik = Nik::parse("3507011506250001").unwrap();
        assert_eq!(nik.birth_date(date!(2025 - 06 - 15)), date!(2025 - 06 - 15));
        assert_eq!(nik.birth_date(date!(2025 - 06 - 14)), date!(1925 - 06 - 15));
    }

    #[test]
    fn ages() {
        let nik = Nik::parse("3507011506080001").unwrap();
        let today = date!(2025 - 06 - 20);
        assert_eq!(nik.age_on(date!(2025 - 06 - 14), today), Some(16));
        assert_eq!(nik.age_on(date!(2025 - 06 - 15), today), Some(17));
        assert_eq!(nik.age_on(date!(2008 - 06 - 14), today), None);
        assert_eq!(nik.age_on(date!(2008 - 06 - 15), today), Some(0));
        let leap = date!(2004 - 02 - 29);
        assert_eq!(completed_years(leap, date!(2021 - 02 - 28)), Some(16));
        assert_eq!(completed_years(leap, date!(2021 - 03 - 01)), Some(17));
        assert_eq!(completed_years(leap, date!(2024 - 02 - 29)), Some(20));
    }

    #[test]
    fn debug_and_display_are_masked() {
        let nik = Nik::parse("3507014512900001").unwrap();
        for shown in [format!("{nik}"), format!("{nik:?}"), format!("{nik:#?}")] {
            assert!(!shown.contains("45129000"), "{shown}");
            assert!(shown.contains("3507**********01"), "{shown}");
        }
    }

    #[test]
    fn serde_is_the_plain_string_and_validates() {
        let nik = Nik::parse("3507014512900001").unwrap();
        let json = serde_json::to_string(&nik).unwrap();
        assert_eq!(json, "\"3507014512900001\"");
        assert_eq!(serde_json::from_str::<Nik>(&json).unwrap(), nik);
        let err = serde_json::from_str::<Nik>("\"3507014512900000\"").unwrap_err();
        assert!(err.to_string().contains("serial"), "{err}");
        assert!(!err.to_string().contains("351290"), "{err}");
    }

    #[test]
    fn province_table_matches_the_ranges() {
        for code in 0..=99u8 {
            let expected = matches!(
                code,
                11..=19 | 21 | 31..=36 | 51..=53 | 61..=65 | 71..=76 | 81 | 82 | 91..=96
            );
            assert_eq!(is_province_code(code), expected, "code {code}");
        }
    }

    /// A valid NIK and the values it encodes.
    #[derive(Debug, Clone)]
    struct Generated {
        text: String,
        province: u8,
        regency: u8,
        district: u8,
        sex: Sex,
        date: Date,
        serial: u16,
    }

    fn valid_nik() -> impl Strategy<Value = Generated> {
        (
            proptest::sample::select(PROVINCE_CODES.to_vec()),
            1..=99u8,
            1..=99u8,
            any::<bool>(),
            // Births in 1926..=2025.
            1926..=2025i32,
            1..=365u16,
            1..=9999u16,
        )
            .prop_map(
                |(province, regency, district, female, year, ordinal, serial)| {
                    let date = Date::from_ordinal_date(year, ordinal).unwrap();
                    let day = date.day() + if female { 40 } else { 0 };
                    let text = format!(
                        "{province:02}{regency:02}{district:02}{day:02}{:02}{:02}{serial:04}",
                        date.month() as u8,
                        date.year() % 100
                    );
                    Generated {
                        text,
                        province,
                        regency,
                        district,
                        sex: if female { Sex::Female } else { Sex::Male },
                        date,
                        serial,
                    }
                },
            )
    }

    proptest! {
        #[test]
        fn any_valid_nik_parses_and_round_trips(g in valid_nik()) {
            let nik = Nik::parse(&g.text).unwrap();
            prop_assert_eq!(nik.as_str(), g.text.as_str());
            prop_assert_eq!(nik.province_code(), g.province);
            prop_assert_eq!(nik.regency_code(), g.regency);
            prop_assert_eq!(nik.district_code(), g.district);
            prop_assert_eq!(nik.sex(), g.sex);
            prop_assert_eq!(nik.serial(), g.serial);
            prop_assert!(nik.matches_birth_date(g.date));
            // Births 1926..=2025 seen from the last day of 2025: the century is right.
            prop_assert_eq!(nik.birth_date(time::macros::date!(2025 - 12 - 31)), g.date);
            prop_assert_eq!(g.text.parse::<Nik>().unwrap(), nik);
            let json = serde_json::to_string(&nik).unwrap();
            prop_assert_eq!(serde_json::from_str::<Nik>(&json).unwrap(), nik);
        }

        #[test]
        fn zero_serial_is_refused(g in valid_nik()) {
            let corrupted = format!("{}0000", &g.text[..12]);
            prop_assert_eq!(Nik::parse(&corrupted), Err(NikError::ZeroSerial));
        }

        #[test]
        fn unknown_province_is_refused(g in valid_nik(), code in 0..=99u8) {
            prop_assume!(!is_province_code(code));
            let corrupted = format!("{code:02}{}", &g.text[2..]);
            prop_assert_eq!(Nik::parse(&corrupted), Err(NikError::UnknownProvince(code)));
        }

        #[test]
        fn single_digit_change_of_province_is_refused_or_valid(
            g in valid_nik(), pos in 0..2usize, digit in 0..=9u8,
        ) {
            let mut bytes = g.text.clone().into_bytes();
            bytes[pos] = b'0' + digit;
            let text = String::from_utf8(bytes).unwrap();
            let code: u8 = text[..2].parse().unwrap();
            match Nik::parse(&text) {
                Ok(nik) => prop_assert!(is_province_code(code) && nik.province_code() == code),
                Err(e) => prop_assert_eq!(e, NikError::UnknownProvince(code)),
            }
        }

        #[test]
        fn masked_never_shows_digits_5_to_14(g in valid_nik()) {
            let nik = Nik::parse(&g.text).unwrap();
            for shown in [nik.masked(), nik.to_string(), format!("{nik:?}")] {
                let masked = shown.trim_start_matches("Nik(").trim_end_matches(')');
                prop_assert_eq!(masked.len(), 16);
                prop_assert_eq!(&masked[..4], &g.text[..4]);
                prop_assert_eq!(&masked[4..14], "**********");
                prop_assert_eq!(&masked[14..], &g.text[14..]);
                prop_assert!(!shown.contains(&g.text[4..14]));
            }
        }
    }
}
