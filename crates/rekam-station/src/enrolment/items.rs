//! The vocabulary of a recording: application types, the fourteen biometric items, the six
//! capture targets that cover them, modalities, exceptions and blob references.

use std::fmt;
use std::str::FromStr;

use rekam_hal::{Eye, Finger, SlapKind};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::WorkflowError;

/// The application type (jenis permohonan).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ApplicationType {
    /// A first card: full biometric recording.
    Baru,
    /// Replacement of a damaged card.
    Rusak,
    /// Replacement of a lost card.
    Hilang,
    /// Change of data, including moving in (pindah datang).
    Perubahan,
}

impl ApplicationType {
    /// Every type.
    pub const ALL: [ApplicationType; 4] = [
        ApplicationType::Baru,
        ApplicationType::Rusak,
        ApplicationType::Hilang,
        ApplicationType::Perubahan,
    ];

    /// The code: `BARU`, `RUSAK`, `HILANG`, `PERUBAHAN`.
    pub fn as_str(self) -> &'static str {
        match self {
            ApplicationType::Baru => "BARU",
            ApplicationType::Rusak => "RUSAK",
            ApplicationType::Hilang => "HILANG",
            ApplicationType::Perubahan => "PERUBAHAN",
        }
    }
}

impl fmt::Display for ApplicationType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A modality: what a threshold and a retry budget apply to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Modality {
    /// The face portrait.
    Face,
    /// A four-finger slap (left or right).
    Slap,
    /// Both thumbs.
    Thumbs,
    /// The irises.
    Iris,
    /// The signature.
    Signature,
}

impl Modality {
    /// Every modality.
    pub const ALL: [Modality; 5] = [
        Modality::Face,
        Modality::Slap,
        Modality::Thumbs,
        Modality::Iris,
        Modality::Signature,
    ];

    /// The configuration key: `face`, `slap`, `thumbs`, `iris`, `signature`.
    pub fn as_str(self) -> &'static str {
        match self {
            Modality::Face => "face",
            Modality::Slap => "slap",
            Modality::Thumbs => "thumbs",
            Modality::Iris => "iris",
            Modality::Signature => "signature",
        }
    }
}

/// One biometric item of a session. Ordered as a session lists them: the face, the ten
/// fingers in ISO order, the right then the left eye, the signature.
///
/// Serialized as its [`ItemKey::name`] (`face`, `left_index`, `right_iris`, `signature`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ItemKey {
    /// The face portrait.
    Face,
    /// One finger.
    Finger(Finger),
    /// One iris.
    Iris(Eye),
    /// The handwritten signature.
    Signature,
}

impl ItemKey {
    /// All fourteen items, in session order.
    pub const ALL: [ItemKey; 14] = [
        ItemKey::Face,
        ItemKey::Finger(Finger::RightThumb),
        ItemKey::Finger(Finger::RightIndex),
        ItemKey::Finger(Finger::RightMiddle),
        ItemKey::Finger(Finger::RightRing),
        ItemKey::Finger(Finger::RightLittle),
        ItemKey::Finger(Finger::LeftThumb),
        ItemKey::Finger(Finger::LeftIndex),
        ItemKey::Finger(Finger::LeftMiddle),
        ItemKey::Finger(Finger::LeftRing),
        ItemKey::Finger(Finger::LeftLittle),
        ItemKey::Iris(Eye::Right),
        ItemKey::Iris(Eye::Left),
        ItemKey::Signature,
    ];

    /// The stable name used in manifests, the hash chain and the journal: `face`, the finger
    /// name (`right_thumb` ... `left_little`), `right_iris`, `left_iris`, `signature`.
    pub fn name(self) -> &'static str {
        match self {
            ItemKey::Face => "face",
            ItemKey::Finger(f) => f.as_str(),
            ItemKey::Iris(Eye::Right) => "right_iris",
            ItemKey::Iris(Eye::Left) => "left_iris",
            ItemKey::Signature => "signature",
        }
    }

    /// The capture target that covers this item.
    pub fn target(self) -> CaptureTarget {
        match self {
            ItemKey::Face => CaptureTarget::Face,
            ItemKey::Finger(f) if f.is_thumb() => CaptureTarget::Thumbs,
            ItemKey::Finger(f) => match f.hand() {
                rekam_hal::Hand::Left => CaptureTarget::LeftSlap,
                rekam_hal::Hand::Right => CaptureTarget::RightSlap,
            },
            ItemKey::Iris(_) => CaptureTarget::Irises,
            ItemKey::Signature => CaptureTarget::Signature,
        }
    }

    /// True for fingers and eyes: their exceptions need a photo.
    pub fn needs_exception_photo(self) -> bool {
        matches!(self, ItemKey::Finger(_) | ItemKey::Iris(_))
    }
}

impl fmt::Display for ItemKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An item name that is not one of the fourteen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an item name (face, right_thumb ... left_little, right_iris, left_iris, signature)")]
pub struct UnknownItem;

impl FromStr for ItemKey {
    type Err = UnknownItem;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ItemKey::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or(UnknownItem)
    }
}

impl Serialize for ItemKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for ItemKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// What one capture takes: each target covers fixed items (slaps 4-4-2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaptureTarget {
    /// The face portrait.
    Face,
    /// Left index, middle, ring and little fingers.
    LeftSlap,
    /// Right index, middle, ring and little fingers.
    RightSlap,
    /// Both thumbs.
    Thumbs,
    /// Both irises.
    Irises,
    /// The signature.
    Signature,
}

impl CaptureTarget {
    /// Every target, in declaration order.
    pub const ALL: [CaptureTarget; 6] = [
        CaptureTarget::Face,
        CaptureTarget::LeftSlap,
        CaptureTarget::RightSlap,
        CaptureTarget::Thumbs,
        CaptureTarget::Irises,
        CaptureTarget::Signature,
    ];

    /// The recommended capture order: face, signature, right slap, left slap, thumbs, irises.
    pub const RECOMMENDED: [CaptureTarget; 6] = [
        CaptureTarget::Face,
        CaptureTarget::Signature,
        CaptureTarget::RightSlap,
        CaptureTarget::LeftSlap,
        CaptureTarget::Thumbs,
        CaptureTarget::Irises,
    ];

    /// The items the target covers, in session order.
    pub fn items(self) -> Vec<ItemKey> {
        match self {
            CaptureTarget::Face => vec![ItemKey::Face],
            CaptureTarget::LeftSlap => SlapKind::LeftFour
                .fingers()
                .into_iter()
                .map(ItemKey::Finger)
                .collect(),
            CaptureTarget::RightSlap => SlapKind::RightFour
                .fingers()
                .into_iter()
                .map(ItemKey::Finger)
                .collect(),
            CaptureTarget::Thumbs => SlapKind::Thumbs
                .fingers()
                .into_iter()
                .map(ItemKey::Finger)
                .collect(),
            CaptureTarget::Irises => Eye::BOTH.into_iter().map(ItemKey::Iris).collect(),
            CaptureTarget::Signature => vec![ItemKey::Signature],
        }
    }

    /// The modality whose threshold and retry budget apply.
    pub fn modality(self) -> Modality {
        match self {
            CaptureTarget::Face => Modality::Face,
            CaptureTarget::LeftSlap | CaptureTarget::RightSlap => Modality::Slap,
            CaptureTarget::Thumbs => Modality::Thumbs,
            CaptureTarget::Irises => Modality::Iris,
            CaptureTarget::Signature => Modality::Signature,
        }
    }

    /// The fingerprint slap this target is, if it is one.
    pub fn slap_kind(self) -> Option<SlapKind> {
        match self {
            CaptureTarget::LeftSlap => Some(SlapKind::LeftFour),
            CaptureTarget::RightSlap => Some(SlapKind::RightFour),
            CaptureTarget::Thumbs => Some(SlapKind::Thumbs),
            _ => None,
        }
    }

    /// `face`, `left_slap`, `right_slap`, `thumbs`, `irises`, `signature`.
    pub fn as_str(self) -> &'static str {
        match self {
            CaptureTarget::Face => "face",
            CaptureTarget::LeftSlap => "left_slap",
            CaptureTarget::RightSlap => "right_slap",
            CaptureTarget::Thumbs => "thumbs",
            CaptureTarget::Irises => "irises",
            CaptureTarget::Signature => "signature",
        }
    }

    /// The step name in timings and the time-standard configuration: `capture.face`, ...
    pub fn step_name(self) -> String {
        format!("capture.{}", self.as_str())
    }

    /// The `rekam.v1.CaptureTarget` value name, e.g. `CAPTURE_TARGET_LEFT_SLAP` (used in the
    /// `missing` error metadata).
    pub fn proto_name(self) -> &'static str {
        match self {
            CaptureTarget::Face => "CAPTURE_TARGET_FACE",
            CaptureTarget::LeftSlap => "CAPTURE_TARGET_LEFT_SLAP",
            CaptureTarget::RightSlap => "CAPTURE_TARGET_RIGHT_SLAP",
            CaptureTarget::Thumbs => "CAPTURE_TARGET_THUMBS",
            CaptureTarget::Irises => "CAPTURE_TARGET_IRISES",
            CaptureTarget::Signature => "CAPTURE_TARGET_SIGNATURE",
        }
    }
}

impl fmt::Display for CaptureTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an item cannot be captured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ExceptionReason {
    /// Missing (amputated, or missing from birth).
    Amputated,
    /// Bandaged or covered.
    Bandaged,
    /// Injured or damaged.
    Damaged,
    /// Present but not capturable (worn ridges, cataract, cannot write, repeated failures).
    Unusable,
}

/// Whether an exception lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Permanence {
    /// The item will never be capturable.
    Permanent,
    /// The item should be captured at a later recording.
    Temporary,
}

/// A reference to a stored blob (a sample or a photo) in the station's package store. The
/// workflow never sees biometric bytes, only their hash.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BlobRef {
    /// Lower-case hex SHA-256 of the blob's bytes (64 characters); also its store key.
    pub id: String,
    /// The media type, e.g. `image/jpeg`, `image/png`, `application/x-iso19794-4`.
    pub media_type: String,
    /// Size in bytes.
    pub size: u64,
}

impl BlobRef {
    /// Checks the shape: a 64-character lower-case hex id, a media type of 1..127 printable
    /// ASCII characters with a `/`, a size above zero.
    pub fn validate(&self, field: &str) -> Result<(), WorkflowError> {
        if !is_sha256_hex(&self.id) {
            return Err(WorkflowError::invalid(
                field,
                "a blob id is 64 lower-case hex digits (SHA-256)",
            ));
        }
        let mt = &self.media_type;
        if mt.is_empty()
            || mt.len() > 127
            || !mt.contains('/')
            || !mt.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(WorkflowError::invalid(
                field,
                "a media type is like image/jpeg",
            ));
        }
        if self.size == 0 {
            return Err(WorkflowError::invalid(field, "a blob is not empty"));
        }
        Ok(())
    }
}

/// Whether `s` is 64 lower-case hex digits.
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fourteen_items_in_six_targets() {
        let mut covered: Vec<ItemKey> = CaptureTarget::ALL
            .into_iter()
            .flat_map(CaptureTarget::items)
            .collect();
        covered.sort();
        assert_eq!(covered, ItemKey::ALL.to_vec());
        for item in ItemKey::ALL {
            assert!(item.target().items().contains(&item));
            assert_eq!(item.name().parse::<ItemKey>().unwrap(), item);
            let json = serde_json::to_string(&item).unwrap();
            assert_eq!(serde_json::from_str::<ItemKey>(&json).unwrap(), item);
        }
        let mut sorted = ItemKey::ALL.to_vec();
        sorted.sort();
        assert_eq!(sorted, ItemKey::ALL.to_vec(), "ALL is in Ord order");
        assert_eq!(CaptureTarget::LeftSlap.items().len(), 4);
        assert_eq!(CaptureTarget::Thumbs.items().len(), 2);
        assert_eq!(
            ItemKey::Finger(Finger::LeftThumb).target(),
            CaptureTarget::Thumbs
        );
        assert_eq!(
            ItemKey::Finger(Finger::LeftRing).target(),
            CaptureTarget::LeftSlap
        );
        assert_eq!(
            ItemKey::Finger(Finger::RightLittle).target(),
            CaptureTarget::RightSlap
        );
        assert!("nose".parse::<ItemKey>().is_err());
    }

    #[test]
    fn blob_refs_are_checked() {
        let good = BlobRef {
            id: "a".repeat(64),
            media_type: "image/jpeg".into(),
            size: 10,
        };
        good.validate("blobs").unwrap();
        for bad in [
            BlobRef {
                id: "A".repeat(64),
                ..good.clone()
            },
            BlobRef {
                id: "a".repeat(63),
                ..good.clone()
            },
            BlobRef {
                media_type: "jpeg".into(),
                ..good.clone()
            },
            BlobRef {
                media_type: "image/ jpeg".into(),
                ..good.clone()
            },
            BlobRef {
                size: 0,
                ..good.clone()
            },
        ] {
            assert_eq!(
                bad.validate("blobs").unwrap_err().reason(),
                crate::error::Reason::InvalidArgument
            );
        }
    }
}
