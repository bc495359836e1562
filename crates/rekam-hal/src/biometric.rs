//! Biometric vocabulary shared by drivers and the workflow: fingers and hands (ISO/IEC 19794
//! finger positions), eyes, slaps, pen samples, and structured capture guidance.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Hand {
    /// The right hand.
    Right,
    /// The left hand.
    Left,
}

/// A finger, numbered as the ISO/IEC 19794 finger position codes (1 = right thumb ... 10 =
/// left little finger).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Finger {
    /// Right thumb (1).
    RightThumb = 1,
    /// Right index (2).
    RightIndex = 2,
    /// Right middle (3).
    RightMiddle = 3,
    /// Right ring (4).
    RightRing = 4,
    /// Right little (5).
    RightLittle = 5,
    /// Left thumb (6).
    LeftThumb = 6,
    /// Left index (7).
    LeftIndex = 7,
    /// Left middle (8).
    LeftMiddle = 8,
    /// Left ring (9).
    LeftRing = 9,
    /// Left little (10).
    LeftLittle = 10,
}

impl Finger {
    /// All ten fingers in ISO order.
    pub const ALL: [Finger; 10] = [
        Finger::RightThumb,
        Finger::RightIndex,
        Finger::RightMiddle,
        Finger::RightRing,
        Finger::RightLittle,
        Finger::LeftThumb,
        Finger::LeftIndex,
        Finger::LeftMiddle,
        Finger::LeftRing,
        Finger::LeftLittle,
    ];

    /// The ISO/IEC 19794 finger position code (1..=10).
    pub fn iso_code(self) -> u8 {
        self as u8
    }

    /// The finger for an ISO code.
    pub fn from_iso_code(code: u8) -> Option<Finger> {
        Finger::ALL.get(usize::from(code).checked_sub(1)?).copied()
    }

    /// Which hand the finger is on.
    pub fn hand(self) -> Hand {
        if self.iso_code() <= 5 {
            Hand::Right
        } else {
            Hand::Left
        }
    }

    /// True for the two thumbs.
    pub fn is_thumb(self) -> bool {
        matches!(self, Finger::RightThumb | Finger::LeftThumb)
    }

    /// A stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Finger::RightThumb => "right_thumb",
            Finger::RightIndex => "right_index",
            Finger::RightMiddle => "right_middle",
            Finger::RightRing => "right_ring",
            Finger::RightLittle => "right_little",
            Finger::LeftThumb => "left_thumb",
            Finger::LeftIndex => "left_index",
            Finger::LeftMiddle => "left_middle",
            Finger::LeftRing => "left_ring",
            Finger::LeftLittle => "left_little",
        }
    }
}

impl fmt::Display for Finger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a fingerprint capture takes: the 4-4-2 slaps, or one flat finger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlapKind {
    /// The four fingers of the left hand.
    LeftFour,
    /// The four fingers of the right hand.
    RightFour,
    /// Both thumbs together.
    Thumbs,
    /// One flat finger (activation, verification).
    Single(Finger),
}

impl SlapKind {
    /// The fingers this slap covers, in ISO order.
    pub fn fingers(self) -> Vec<Finger> {
        match self {
            SlapKind::LeftFour => vec![
                Finger::LeftIndex,
                Finger::LeftMiddle,
                Finger::LeftRing,
                Finger::LeftLittle,
            ],
            SlapKind::RightFour => vec![
                Finger::RightIndex,
                Finger::RightMiddle,
                Finger::RightRing,
                Finger::RightLittle,
            ],
            SlapKind::Thumbs => vec![Finger::RightThumb, Finger::LeftThumb],
            SlapKind::Single(f) => vec![f],
        }
    }
}

/// An eye.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Eye {
    /// The right eye.
    Right,
    /// The left eye.
    Left,
}

impl Eye {
    /// Both eyes, right first (ISO/IEC 19794-6 order).
    pub const BOTH: [Eye; 2] = [Eye::Right, Eye::Left];
}

/// A rectangle in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rect {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
}

/// One pen sample from a signature pad.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PenSample {
    /// X in pad units (0 at the left).
    pub x: u16,
    /// Y in pad units (0 at the top).
    pub y: u16,
    /// Pressure, 0 (none) to the pad's maximum.
    pub pressure: u16,
    /// Milliseconds since the first sample.
    pub t_ms: u32,
    /// True while the pen touches the pad.
    pub pen_down: bool,
}

/// The simulated person in front of a simulated device.
///
/// Real devices ignore it: the person is physically there. Simulated devices derive every
/// synthetic biometric from it, so the same person gives the same identity and two people
/// differ. The station derives it from a keyed hash of the NIK, so drivers never see a NIK.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SimSubject(pub u64);

impl fmt::Debug for SimSubject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SimSubject(..)")
    }
}

/// The identity behind a simulated biometric sample (person and finger or eye), set only by
/// simulated devices. Until the real matcher lands, comparing two samples' identities stands
/// in for a fingerprint comparison.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SimIdentity(pub u64);

impl fmt::Debug for SimIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SimIdentity(..)")
    }
}

/// What the operator or resident should do, as a code the client localises.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GuidanceCode {
    /// Move the fingers down the platen.
    FingerTooHigh,
    /// Move the fingers up the platen.
    FingerTooLow,
    /// Move the fingers to the right.
    FingerTooLeft,
    /// Move the fingers to the left.
    FingerTooRight,
    /// The fingers moved during the capture.
    FingerTooFast,
    /// Press a little harder.
    FingerPressHarder,
    /// The image quality is below the threshold.
    PoorQuality,
    /// Lift the fingers and place them again.
    RemoveAndRetry,
    /// The other hand is on the scanner.
    WrongHand,
    /// Fewer fingers than expected are on the scanner.
    PartialSlap,
    /// The face is not centred in the frame.
    FaceNotCentred,
    /// No face in the frame.
    FaceNotFound,
    /// The eyes are closed.
    EyesClosed,
    /// The picture is too dark.
    TooDark,
    /// The picture is too bright.
    TooBright,
    /// More than one face is in the frame.
    SeveralFaces,
    /// Eyelids or lashes hide too much of the iris.
    IrisOccluded,
    /// The picture is out of focus.
    OutOfFocus,
    /// Move back from the camera.
    TooClose,
    /// Come closer to the camera.
    TooFar,
    /// Hold still.
    KeepStill,
    /// No card is in the encoder or printer.
    CardNotPresent,
    /// The mouth is open: close it (ISO/IEC 19794-5 neutral expression).
    MouthOpen,
    /// The head is turned or tilted: face the camera squarely.
    HeadNotFrontal,
    /// One side of the face is lit more than the other, or shadows fall on it.
    UnevenLight,
    /// The eyes look away from the camera (face or iris); `eye` names one eye when only one.
    LookAtCamera,
    /// The pupil is too small or too large for the iris: soften or brighten the room light.
    PupilSize,
    /// The same finger was captured twice (e.g. a finger of one slap again in another);
    /// `finger` names the slot that holds the duplicate.
    DuplicateFinger,
}

/// One piece of capture guidance, possibly about a particular finger or eye.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Guidance {
    /// What to do.
    pub code: GuidanceCode,
    /// The finger concerned, if any.
    pub finger: Option<Finger>,
    /// The eye concerned, if any.
    pub eye: Option<Eye>,
}

impl Guidance {
    /// Guidance about the whole capture.
    pub fn new(code: GuidanceCode) -> Self {
        Guidance {
            code,
            finger: None,
            eye: None,
        }
    }

    /// Guidance about one finger.
    pub fn finger(code: GuidanceCode, finger: Finger) -> Self {
        Guidance {
            code,
            finger: Some(finger),
            eye: None,
        }
    }

    /// Guidance about one eye.
    pub fn eye(code: GuidanceCode, eye: Eye) -> Self {
        Guidance {
            code,
            finger: None,
            eye: Some(eye),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_codes_round_trip_and_hands_are_right() {
        for f in Finger::ALL {
            assert_eq!(Finger::from_iso_code(f.iso_code()), Some(f));
        }
        assert_eq!(Finger::from_iso_code(0), None);
        assert_eq!(Finger::from_iso_code(11), None);
        assert_eq!(Finger::RightLittle.hand(), Hand::Right);
        assert_eq!(Finger::LeftThumb.hand(), Hand::Left);
    }

    #[test]
    fn slaps_cover_ten_fingers_once() {
        let mut all: Vec<Finger> = [SlapKind::LeftFour, SlapKind::RightFour, SlapKind::Thumbs]
            .into_iter()
            .flat_map(SlapKind::fingers)
            .collect();
        all.sort();
        assert_eq!(all, Finger::ALL.to_vec());
    }
}
