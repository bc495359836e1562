//! Typed identifiers of the workflow: sessions, jobs, packages, receipts and operators.
//!
//! Session, job, package and receipt ids are a prefix (`ses_`, `job_`, `pkg_`, `rcp_`) and
//! 26 characters of Crockford base32 (upper case, no `I`, `L`, `O`, `U`): a ULID, that is a
//! 48-bit Unix time in milliseconds followed by 80 random bits, so ids sort by creation time.
//! They are generated from a time and a random number generator passed in (no clock or
//! randomness inside), parse with [`FromStr`] (a malformed id is an invalid argument, never
//! "not found") and serialize as their string.
//!
//! ```
//! use rekam_station::ids::SessionId;
//! let id: SessionId = "ses_01JD3Z6K8T9W4Q2M5N7P0R1S2V".parse().unwrap();
//! assert_eq!(id.to_string(), "ses_01JD3Z6K8T9W4Q2M5N7P0R1S2V");
//! assert!("ses_01JD3Z6K8T9W4Q2M5N7P0R1S2".parse::<SessionId>().is_err());
//! assert!("job_01JD3Z6K8T9W4Q2M5N7P0R1S2V".parse::<SessionId>().is_err());
//! ```

use std::fmt;
use std::str::FromStr;

use rand::RngCore;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::OffsetDateTime;

/// Crockford's base32 alphabet, as ULIDs use it.
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// The number of base32 characters after the prefix.
pub const ULID_LEN: usize = 26;

/// The longest operator id, in bytes.
pub const MAX_OPERATOR_ID: usize = 64;

/// Why a string is not a valid id. Messages never echo the input (it may be anything).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// The id does not start with the prefix of its kind.
    #[error("a {kind} starts with `{prefix}`")]
    WrongPrefix {
        /// What kind of id was expected, e.g. `session id`.
        kind: &'static str,
        /// The prefix expected, e.g. `ses_`.
        prefix: &'static str,
    },
    /// The part after the prefix is not 26 characters of Crockford base32 encoding at most
    /// 128 bits.
    #[error("a {kind} has 26 characters of Crockford base32 after its prefix")]
    Malformed {
        /// What kind of id was expected.
        kind: &'static str,
    },
    /// An operator id that is empty, longer than 64 bytes, or has a character other than
    /// `A-Z a-z 0-9 . _ -`.
    #[error("an operator id has 1 to 64 characters among A-Z a-z 0-9 . _ -")]
    Operator,
}

impl IdError {
    /// The request field this kind of id usually comes in (`session_id`, `job_id`, ...).
    pub fn field(&self) -> &'static str {
        let kind = match self {
            IdError::WrongPrefix { kind, .. } | IdError::Malformed { kind } => kind,
            IdError::Operator => return "operator_id",
        };
        match *kind {
            "session id" => "session_id",
            "job id" => "job_id",
            "package id" => "package_id",
            "receipt id" => "receipt_id",
            _ => "id",
        }
    }
}

/// 128 bits: a 48-bit millisecond time and 80 random bits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Ulid(u128);

impl Ulid {
    fn generate(now: OffsetDateTime, rng: &mut (impl RngCore + ?Sized)) -> Ulid {
        let ms = now.unix_timestamp_nanos() / 1_000_000;
        let ms = u128::try_from(ms.max(0)).unwrap_or(0) & ((1u128 << 48) - 1);
        let mut random = [0u8; 10];
        rng.fill_bytes(&mut random);
        let mut bits = ms;
        for b in random {
            bits = (bits << 8) | u128::from(b);
        }
        Ulid(bits)
    }

    fn encode(self) -> [u8; ULID_LEN] {
        let mut out = [b'0'; ULID_LEN];
        for (i, c) in out.iter_mut().enumerate() {
            let shift = 5 * (ULID_LEN - 1 - i);
            // 26 * 5 = 130 bits: the first character carries the top 3 bits only.
            let v = if shift >= 128 {
                0
            } else {
                (self.0 >> shift) & 0x1f
            };
            *c = CROCKFORD[v as usize];
        }
        out
    }

    fn decode(s: &str) -> Option<Ulid> {
        let b = s.as_bytes();
        if b.len() != ULID_LEN {
            return None;
        }
        let mut bits: u128 = 0;
        for (i, &c) in b.iter().enumerate() {
            let v = CROCKFORD.iter().position(|&a| a == c)? as u128;
            if i == 0 && v > 7 {
                // Would overflow 128 bits.
                return None;
            }
            bits = (bits << 5) | v;
        }
        Some(Ulid(bits))
    }

    fn timestamp_ms(self) -> u64 {
        u64::try_from(self.0 >> 80).unwrap_or(0)
    }
}

macro_rules! ulid_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal, $kind:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Ulid);

        impl $name {
            /// The prefix of this kind of id.
            pub const PREFIX: &'static str = $prefix;

            /// A new id for `now`: its 48-bit millisecond time, then 80 bits from `rng`.
            pub fn generate(now: OffsetDateTime, rng: &mut (impl RngCore + ?Sized)) -> Self {
                $name(Ulid::generate(now, rng))
            }

            /// The creation time coded in the id, in Unix milliseconds.
            pub fn timestamp_ms(&self) -> u64 {
                self.0.timestamp_ms()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str($prefix)?;
                // The alphabet is ASCII, so this is always valid UTF-8.
                f.write_str(std::str::from_utf8(&self.0.encode()).unwrap_or_default())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self)
            }
        }

        impl FromStr for $name {
            type Err = IdError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let rest = s.strip_prefix($prefix).ok_or(IdError::WrongPrefix {
                    kind: $kind,
                    prefix: $prefix,
                })?;
                Ulid::decode(rest)
                    .map($name)
                    .ok_or(IdError::Malformed { kind: $kind })
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let s = String::deserialize(deserializer)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

ulid_id!(
    /// An enrolment session: `ses_` + 26 Crockford base32 characters.
    SessionId,
    "ses_",
    "session id"
);
ulid_id!(
    /// An issuance job: `job_` + 26 Crockford base32 characters.
    JobId,
    "job_",
    "job id"
);
ulid_id!(
    /// An enrolment package: `pkg_` + 26 Crockford base32 characters.
    PackageId,
    "pkg_",
    "package id"
);
ulid_id!(
    /// A printed receipt (tanda pengambilan, surat keterangan, bukti penerimaan): `rcp_` + 26
    /// Crockford base32 characters.
    ReceiptId,
    "rcp_",
    "receipt id"
);

/// The SIAK user id of the operator acting: 1 to 64 characters among `A-Z a-z 0-9 . _ -`.
/// It attributes actions in the journal; it grants nothing.
///
/// ```
/// use rekam_station::ids::OperatorId;
/// assert!("op.siti-01".parse::<OperatorId>().is_ok());
/// assert!("".parse::<OperatorId>().is_err());
/// assert!("has space".parse::<OperatorId>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OperatorId(String);

impl OperatorId {
    /// Validates an operator id.
    pub fn new(s: impl Into<String>) -> Result<Self, IdError> {
        let s = s.into();
        let ok = !s.is_empty()
            && s.len() <= MAX_OPERATOR_ID
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if ok {
            Ok(OperatorId(s))
        } else {
            Err(IdError::Operator)
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OperatorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for OperatorId {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OperatorId::new(s)
    }
}

impl Serialize for OperatorId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for OperatorId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        OperatorId::new(s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::rngs::mock::StepRng;
    use time::macros::datetime;

    #[test]
    fn generated_ids_have_the_shape_and_the_time() {
        let now = datetime!(2024-11-21 06:30:00.123 UTC);
        let mut rng = StepRng::new(0x0123_4567_89ab_cdef, 0x1111);
        let id = SessionId::generate(now, &mut rng);
        let text = id.to_string();
        assert!(text.starts_with("ses_"), "{text}");
        assert_eq!(text.len(), 4 + ULID_LEN);
        assert_eq!(id.timestamp_ms(), 1_732_170_600_123);
        assert_eq!(text.parse::<SessionId>().unwrap(), id);
        // Two ids from the same time differ by their random part.
        let other = SessionId::generate(now, &mut rng);
        assert_ne!(id, other);
        // Later time sorts later, whatever the random part.
        let later = SessionId::generate(now + time::Duration::milliseconds(1), &mut rng);
        assert!(later > id && later.to_string() > id.to_string());
    }

    #[test]
    fn the_documented_example_parses() {
        let id: SessionId = "ses_01JD3Z6K8T9W4Q2M5N7P0R1S2V".parse().unwrap();
        assert_eq!(id.to_string(), "ses_01JD3Z6K8T9W4Q2M5N7P0R1S2V");
        // 01JD3Z6K8T is a time in November 2024.
        let t =
            OffsetDateTime::from_unix_timestamp_nanos(i128::from(id.timestamp_ms()) * 1_000_000)
                .unwrap();
        assert_eq!((t.year(), t.month()), (2024, time::Month::November));
    }

    #[test]
    fn malformed_ids_are_refused_with_their_kind() {
        let cases = [
            (
                "",
                IdError::WrongPrefix {
                    kind: "job id",
                    prefix: "job_",
                },
            ),
            (
                "ses_01JD3Z6K8T9W4Q2M5N7P0R1S2V",
                IdError::WrongPrefix {
                    kind: "job id",
                    prefix: "job_",
                },
            ),
            (
                "job_01JD3Z6K8T9W4Q2M5N7P0R1S2",
                IdError::Malformed { kind: "job id" },
            ),
            (
                "job_01JD3Z6K8T9W4Q2M5N7P0R1S2VV",
                IdError::Malformed { kind: "job id" },
            ),
            // I, L, O, U are not in the alphabet; lower case is not accepted.
            (
                "job_01JD3Z6K8T9W4Q2M5N7P0R1S2I",
                IdError::Malformed { kind: "job id" },
            ),
            (
                "job_01jd3z6k8t9w4q2m5n7p0r1s2v",
                IdError::Malformed { kind: "job id" },
            ),
            // Over 128 bits.
            (
                "job_81JD3Z6K8T9W4Q2M5N7P0R1S2V",
                IdError::Malformed { kind: "job id" },
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(input.parse::<JobId>(), Err(expected), "{input:?}");
        }
        assert_eq!(IdError::Malformed { kind: "job id" }.field(), "job_id");
        assert!("pkg_7ZZZZZZZZZZZZZZZZZZZZZZZZZ"
            .parse::<PackageId>()
            .is_ok());
        assert!("rcp_00000000000000000000000000"
            .parse::<ReceiptId>()
            .is_ok());
    }

    #[test]
    fn operator_ids() {
        assert!(OperatorId::new("a").is_ok());
        assert!(OperatorId::new("x".repeat(64)).is_ok());
        assert_eq!(OperatorId::new("x".repeat(65)), Err(IdError::Operator));
        assert_eq!(OperatorId::new("siti/01"), Err(IdError::Operator));
        assert_eq!(OperatorId::new("sïti"), Err(IdError::Operator));
        let json = serde_json::to_string(&OperatorId::new("op_1").unwrap()).unwrap();
        assert_eq!(json, "\"op_1\"");
        assert!(serde_json::from_str::<OperatorId>("\"\"").is_err());
    }

    #[test]
    fn serde_is_the_string() {
        let id: ReceiptId = "rcp_01JD3Z6K8T9W4Q2M5N7P0R1S2V".parse().unwrap();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, "\"rcp_01JD3Z6K8T9W4Q2M5N7P0R1S2V\"");
        assert_eq!(serde_json::from_str::<ReceiptId>(&json).unwrap(), id);
        assert!(serde_json::from_str::<ReceiptId>("\"rcp_x\"").is_err());
    }

    proptest! {
        #[test]
        fn any_id_round_trips(ms in 0u64..253_402_300_800_000, seed in any::<u64>()) {
            let now = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).unwrap();
            let mut rng = StepRng::new(seed, 0x9e37_79b9_7f4a_7c15);
            let id = JobId::generate(now, &mut rng);
            prop_assert_eq!(id.timestamp_ms(), ms);
            let text = id.to_string();
            prop_assert_eq!(text.parse::<JobId>().unwrap(), id);
            prop_assert!(text[4..].bytes().all(|b| CROCKFORD.contains(&b)));
        }
    }
}
