//! Codes shared by the finger records: finger position and impression type.
//!
//! Values follow ISO/IEC 19794-4:2011 Tables 6-8 (finger, multi-finger and palm positions) and
//! Table 10 (impression type); ISO/IEC 19794-2:2011 uses the single-finger subset (0..=10) and
//! the same impression codes minus the palm ones. Cross-checked against the open readers
//! `iso19794` (PyPI, `FIR.py` tables) and FingerprintIO (`Iso19794p2v2011ScanType`).

use serde::{Deserialize, Serialize};

/// Finger (or palm) position code. Construct with [`FingerPosition::new`] or a constant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct FingerPosition(u8);

impl FingerPosition {
    /// Unknown finger.
    pub const UNKNOWN: Self = Self(0);
    /// Right thumb.
    pub const RIGHT_THUMB: Self = Self(1);
    /// Right index finger.
    pub const RIGHT_INDEX: Self = Self(2);
    /// Right middle finger.
    pub const RIGHT_MIDDLE: Self = Self(3);
    /// Right ring finger.
    pub const RIGHT_RING: Self = Self(4);
    /// Right little finger.
    pub const RIGHT_LITTLE: Self = Self(5);
    /// Left thumb.
    pub const LEFT_THUMB: Self = Self(6);
    /// Left index finger.
    pub const LEFT_INDEX: Self = Self(7);
    /// Left middle finger.
    pub const LEFT_MIDDLE: Self = Self(8);
    /// Left ring finger.
    pub const LEFT_RING: Self = Self(9);
    /// Left little finger.
    pub const LEFT_LITTLE: Self = Self(10);
    /// Plain right four fingers (a slap).
    pub const PLAIN_RIGHT_FOUR: Self = Self(13);
    /// Plain left four fingers (a slap).
    pub const PLAIN_LEFT_FOUR: Self = Self(14);
    /// Plain thumbs (both).
    pub const PLAIN_THUMBS: Self = Self(15);

    /// The position with this code, if ISO/IEC 19794-4:2011 defines it (0..=10, 13..=15,
    /// palms 20..=36, multi-finger 40..=50).
    pub const fn new(code: u8) -> Option<Self> {
        match code {
            0..=10 | 13..=15 | 20..=36 | 40..=50 => Some(Self(code)),
            _ => None,
        }
    }

    /// The code as written in the record.
    pub const fn code(self) -> u8 {
        self.0
    }

    /// True for a single finger (0..=10), the only positions a minutiae record may carry.
    pub const fn is_single_finger(self) -> bool {
        self.0 <= 10
    }
}

impl TryFrom<u8> for FingerPosition {
    type Error = String;
    fn try_from(v: u8) -> Result<Self, String> {
        Self::new(v).ok_or_else(|| format!("finger position {v} is not defined"))
    }
}

impl From<FingerPosition> for u8 {
    fn from(p: FingerPosition) -> u8 {
        p.0
    }
}

/// Impression type code. Construct with [`ImpressionType::new`] or a constant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct ImpressionType(u8);

impl ImpressionType {
    /// Live-scan plain.
    pub const LIVE_SCAN_PLAIN: Self = Self(0);
    /// Live-scan rolled.
    pub const LIVE_SCAN_ROLLED: Self = Self(1);
    /// Non-live-scan plain.
    pub const NON_LIVE_SCAN_PLAIN: Self = Self(2);
    /// Non-live-scan rolled.
    pub const NON_LIVE_SCAN_ROLLED: Self = Self(3);
    /// Live-scan swipe.
    pub const LIVE_SCAN_SWIPE: Self = Self(8);
    /// Live-scan optical contactless plain.
    pub const LIVE_SCAN_CONTACTLESS_PLAIN: Self = Self(24);
    /// Other.
    pub const OTHER: Self = Self(28);
    /// Unknown.
    pub const UNKNOWN: Self = Self(29);

    /// The impression type with this code, if defined (0..=15, 24, 28, 29).
    pub const fn new(code: u8) -> Option<Self> {
        match code {
            0..=15 | 24 | 28 | 29 => Some(Self(code)),
            _ => None,
        }
    }

    /// The code as written in the record.
    pub const fn code(self) -> u8 {
        self.0
    }

    /// True for the palm impressions (10..=15), which a minutiae record may not carry.
    pub const fn is_palm(self) -> bool {
        matches!(self.0, 10..=15)
    }
}

impl TryFrom<u8> for ImpressionType {
    type Error = String;
    fn try_from(v: u8) -> Result<Self, String> {
        Self::new(v).ok_or_else(|| format!("impression type {v} is not defined"))
    }
}

impl From<ImpressionType> for u8 {
    fn from(p: ImpressionType) -> u8 {
        p.0
    }
}
