//! Explicit conversions between the device vocabulary of `rekam-hal` and the `rekam.v1`
//! messages: families, fingers, eyes, guidance, device state and conditions, capabilities,
//! supplies, self-test results, and device errors to gRPC statuses.
//!
//! Domain to proto is total (`From`); proto to domain refuses `_UNSPECIFIED` values
//! (`TryFrom` with [`Unspecified`]; use [`crate::field::enum_field`] to read a raw `i32`
//! field with its path). The numeric values of `Finger` and `Eye` are the ISO/IEC 19794 codes
//! on both sides.

use std::time::Duration as StdDuration;

use rekam_hal as hal;
use tonic::Code;

use crate::field::{enum_field, FieldError, Unspecified};
use crate::status::{canonical_code, error_status};
use crate::v1;

/// A `std` duration as a protobuf `Duration` (saturating at the protobuf maximum).
pub fn duration(d: StdDuration) -> prost_types::Duration {
    prost_types::Duration::try_from(d).unwrap_or(prost_types::Duration {
        seconds: 315_576_000_000,
        nanos: 999_999_999,
    })
}

impl From<hal::DeviceFamily> for v1::DeviceFamily {
    fn from(f: hal::DeviceFamily) -> Self {
        use hal::DeviceFamily as H;
        match f {
            H::FingerprintScanner => Self::FingerprintScanner,
            H::FaceCamera => Self::FaceCamera,
            H::IrisCamera => Self::IrisCamera,
            H::SignaturePad => Self::SignaturePad,
            H::CardEncoder => Self::CardEncoder,
            H::CardPrinter => Self::CardPrinter,
            H::DocumentPrinter => Self::DocumentPrinter,
        }
    }
}

impl TryFrom<v1::DeviceFamily> for hal::DeviceFamily {
    type Error = Unspecified;
    fn try_from(f: v1::DeviceFamily) -> Result<Self, Unspecified> {
        use v1::DeviceFamily as P;
        Ok(match f {
            P::Unspecified => return Err(Unspecified),
            P::FingerprintScanner => Self::FingerprintScanner,
            P::FaceCamera => Self::FaceCamera,
            P::IrisCamera => Self::IrisCamera,
            P::SignaturePad => Self::SignaturePad,
            P::CardEncoder => Self::CardEncoder,
            P::CardPrinter => Self::CardPrinter,
            P::DocumentPrinter => Self::DocumentPrinter,
        })
    }
}

impl From<hal::Finger> for v1::Finger {
    fn from(f: hal::Finger) -> Self {
        use hal::Finger as H;
        match f {
            H::RightThumb => Self::RightThumb,
            H::RightIndex => Self::RightIndex,
            H::RightMiddle => Self::RightMiddle,
            H::RightRing => Self::RightRing,
            H::RightLittle => Self::RightLittle,
            H::LeftThumb => Self::LeftThumb,
            H::LeftIndex => Self::LeftIndex,
            H::LeftMiddle => Self::LeftMiddle,
            H::LeftRing => Self::LeftRing,
            H::LeftLittle => Self::LeftLittle,
        }
    }
}

impl TryFrom<v1::Finger> for hal::Finger {
    type Error = Unspecified;
    fn try_from(f: v1::Finger) -> Result<Self, Unspecified> {
        use v1::Finger as P;
        Ok(match f {
            P::Unspecified => return Err(Unspecified),
            P::RightThumb => Self::RightThumb,
            P::RightIndex => Self::RightIndex,
            P::RightMiddle => Self::RightMiddle,
            P::RightRing => Self::RightRing,
            P::RightLittle => Self::RightLittle,
            P::LeftThumb => Self::LeftThumb,
            P::LeftIndex => Self::LeftIndex,
            P::LeftMiddle => Self::LeftMiddle,
            P::LeftRing => Self::LeftRing,
            P::LeftLittle => Self::LeftLittle,
        })
    }
}

impl From<hal::Eye> for v1::Eye {
    fn from(e: hal::Eye) -> Self {
        match e {
            hal::Eye::Right => Self::Right,
            hal::Eye::Left => Self::Left,
        }
    }
}

impl TryFrom<v1::Eye> for hal::Eye {
    type Error = Unspecified;
    fn try_from(e: v1::Eye) -> Result<Self, Unspecified> {
        match e {
            v1::Eye::Unspecified => Err(Unspecified),
            v1::Eye::Right => Ok(Self::Right),
            v1::Eye::Left => Ok(Self::Left),
        }
    }
}

impl From<hal::GuidanceCode> for v1::GuidanceCode {
    /// Every code `rekam-hal` has today maps to its namesake; a code added to `rekam-hal`
    /// before it is added here maps to `GUIDANCE_CODE_UNSPECIFIED`, which clients show as a
    /// generic "try again".
    fn from(c: hal::GuidanceCode) -> Self {
        use hal::GuidanceCode as H;
        match c {
            H::FingerTooHigh => Self::FingerTooHigh,
            H::FingerTooLow => Self::FingerTooLow,
            H::FingerTooLeft => Self::FingerTooLeft,
            H::FingerTooRight => Self::FingerTooRight,
            H::FingerTooFast => Self::FingerTooFast,
            H::FingerPressHarder => Self::FingerPressHarder,
            H::PoorQuality => Self::PoorQuality,
            H::RemoveAndRetry => Self::RemoveAndRetry,
            H::WrongHand => Self::WrongHand,
            H::PartialSlap => Self::PartialSlap,
            H::FaceNotCentred => Self::FaceNotCentred,
            H::FaceNotFound => Self::FaceNotFound,
            H::EyesClosed => Self::EyesClosed,
            H::TooDark => Self::TooDark,
            H::TooBright => Self::TooBright,
            H::SeveralFaces => Self::SeveralFaces,
            H::IrisOccluded => Self::IrisOccluded,
            H::OutOfFocus => Self::OutOfFocus,
            H::TooClose => Self::TooClose,
            H::TooFar => Self::TooFar,
            H::KeepStill => Self::KeepStill,
            H::CardNotPresent => Self::CardNotPresent,
            H::MouthOpen => Self::MouthOpen,
            H::HeadNotFrontal => Self::HeadNotFrontal,
            H::UnevenLight => Self::UnevenLight,
            H::LookAtCamera => Self::LookAtCamera,
            H::PupilSize => Self::PupilSize,
            H::DuplicateFinger => Self::DuplicateFinger,
            _ => Self::Unspecified,
        }
    }
}

impl TryFrom<v1::GuidanceCode> for hal::GuidanceCode {
    type Error = Unspecified;
    fn try_from(c: v1::GuidanceCode) -> Result<Self, Unspecified> {
        use v1::GuidanceCode as P;
        Ok(match c {
            P::Unspecified => return Err(Unspecified),
            P::FingerTooHigh => Self::FingerTooHigh,
            P::FingerTooLow => Self::FingerTooLow,
            P::FingerTooLeft => Self::FingerTooLeft,
            P::FingerTooRight => Self::FingerTooRight,
            P::FingerTooFast => Self::FingerTooFast,
            P::FingerPressHarder => Self::FingerPressHarder,
            P::PoorQuality => Self::PoorQuality,
            P::RemoveAndRetry => Self::RemoveAndRetry,
            P::WrongHand => Self::WrongHand,
            P::PartialSlap => Self::PartialSlap,
            P::FaceNotCentred => Self::FaceNotCentred,
            P::FaceNotFound => Self::FaceNotFound,
            P::EyesClosed => Self::EyesClosed,
            P::TooDark => Self::TooDark,
            P::TooBright => Self::TooBright,
            P::SeveralFaces => Self::SeveralFaces,
            P::IrisOccluded => Self::IrisOccluded,
            P::OutOfFocus => Self::OutOfFocus,
            P::TooClose => Self::TooClose,
            P::TooFar => Self::TooFar,
            P::KeepStill => Self::KeepStill,
            P::CardNotPresent => Self::CardNotPresent,
            P::MouthOpen => Self::MouthOpen,
            P::HeadNotFrontal => Self::HeadNotFrontal,
            P::UnevenLight => Self::UnevenLight,
            P::LookAtCamera => Self::LookAtCamera,
            P::PupilSize => Self::PupilSize,
            P::DuplicateFinger => Self::DuplicateFinger,
        })
    }
}

impl From<hal::Guidance> for v1::Guidance {
    fn from(g: hal::Guidance) -> Self {
        v1::Guidance {
            code: v1::GuidanceCode::from(g.code).into(),
            finger: g.finger.map(|f| v1::Finger::from(f).into()),
            eye: g.eye.map(|e| v1::Eye::from(e).into()),
        }
    }
}

impl TryFrom<v1::Guidance> for hal::Guidance {
    type Error = FieldError;
    /// Fails when `code` is unspecified or unknown, or `finger` / `eye` is set to an
    /// unspecified or unknown value.
    fn try_from(g: v1::Guidance) -> Result<Self, FieldError> {
        Ok(hal::Guidance {
            code: enum_field::<v1::GuidanceCode, _>("code", g.code)?,
            finger: g
                .finger
                .map(|f| enum_field::<v1::Finger, _>("finger", f))
                .transpose()?,
            eye: g
                .eye
                .map(|e| enum_field::<v1::Eye, _>("eye", e))
                .transpose()?,
        })
    }
}

/// A list of guidance as the `GuidanceUpdate` event that replaces the client's current one.
pub fn guidance_update(guidance: &[hal::Guidance]) -> v1::GuidanceUpdate {
    v1::GuidanceUpdate {
        guidance: guidance.iter().copied().map(v1::Guidance::from).collect(),
    }
}

impl From<hal::DeviceState> for v1::DeviceState {
    fn from(s: hal::DeviceState) -> Self {
        use hal::DeviceState as H;
        match s {
            H::Ready => Self::Ready,
            H::Busy => Self::Busy,
            H::Disconnected => Self::Disconnected,
            H::PermissionDenied => Self::PermissionDenied,
            H::NeedsAttention => Self::NeedsAttention,
            H::Error => Self::Error,
        }
    }
}

impl TryFrom<v1::DeviceState> for hal::DeviceState {
    type Error = Unspecified;
    fn try_from(s: v1::DeviceState) -> Result<Self, Unspecified> {
        use v1::DeviceState as P;
        Ok(match s {
            P::Unspecified => return Err(Unspecified),
            P::Ready => Self::Ready,
            P::Busy => Self::Busy,
            P::Disconnected => Self::Disconnected,
            P::PermissionDenied => Self::PermissionDenied,
            P::NeedsAttention => Self::NeedsAttention,
            P::Error => Self::Error,
        })
    }
}

impl From<hal::Condition> for v1::DeviceCondition {
    fn from(c: hal::Condition) -> Self {
        use hal::Condition as H;
        match c {
            H::MediaEmpty => Self::MediaEmpty,
            H::MediaLow => Self::MediaLow,
            H::RibbonEmpty => Self::RibbonEmpty,
            H::RibbonLow => Self::RibbonLow,
            H::MediaJam => Self::MediaJam,
            H::CoverOpen => Self::CoverOpen,
            H::Offline => Self::Offline,
            H::CardInEncoder => Self::CardInEncoder,
        }
    }
}

impl TryFrom<v1::DeviceCondition> for hal::Condition {
    type Error = Unspecified;
    fn try_from(c: v1::DeviceCondition) -> Result<Self, Unspecified> {
        use v1::DeviceCondition as P;
        Ok(match c {
            P::Unspecified => return Err(Unspecified),
            P::MediaEmpty => Self::MediaEmpty,
            P::MediaLow => Self::MediaLow,
            P::RibbonEmpty => Self::RibbonEmpty,
            P::RibbonLow => Self::RibbonLow,
            P::MediaJam => Self::MediaJam,
            P::CoverOpen => Self::CoverOpen,
            P::Offline => Self::Offline,
            P::CardInEncoder => Self::CardInEncoder,
        })
    }
}

fn conditions(list: &[hal::Condition]) -> Vec<i32> {
    list.iter()
        .map(|&c| v1::DeviceCondition::from(c).into())
        .collect()
}

/// The `Supplies` message of a printer. `spoiled` and `issued` are left at 0: they are the
/// station journal's counters, which the caller fills in.
pub fn supplies(
    device: &hal::DeviceId,
    supplies: &hal::Supplies,
    device_conditions: &[hal::Condition],
) -> v1::Supplies {
    v1::Supplies {
        device_id: device.to_string(),
        blanks_remaining: supplies.blanks,
        ribbon_percent: supplies.ribbon_percent.map(u32::from),
        spoiled: 0,
        issued: 0,
        conditions: conditions(device_conditions),
    }
}

impl From<&hal::FingerprintCapabilities> for v1::FingerprintCapabilities {
    fn from(c: &hal::FingerprintCapabilities) -> Self {
        v1::FingerprintCapabilities {
            slap: c.slap,
            single_finger: c.single_finger,
            ppi: c.ppi.into(),
            segmentation: c.segmentation,
            preview: c.preview,
        }
    }
}

impl From<&hal::CameraCapabilities> for v1::CameraCapabilities {
    fn from(c: &hal::CameraCapabilities) -> Self {
        v1::CameraCapabilities {
            preview_fps: c.preview_fps,
            width: c.width,
            height: c.height,
            formats: c.formats.clone(),
        }
    }
}

impl From<&hal::EncoderCapabilities> for v1::EncoderCapabilities {
    fn from(c: &hal::EncoderCapabilities) -> Self {
        v1::EncoderCapabilities {
            contactless: c.contactless,
            contact: c.contact,
            max_apdu: u32::try_from(c.max_command_bytes).unwrap_or(u32::MAX),
        }
    }
}

impl From<&hal::CardPrinterCapabilities> for v1::CardPrinterCapabilities {
    fn from(c: &hal::CardPrinterCapabilities) -> Self {
        v1::CardPrinterCapabilities {
            inline_encoder: c.inline_encoder,
            dpi: c.dpi.into(),
            duplex: c.duplex,
            width_dots: c.width_dots,
            height_dots: c.height_dots,
        }
    }
}

impl From<&hal::DocumentPrinterCapabilities> for v1::DocumentPrinterCapabilities {
    fn from(c: &hal::DocumentPrinterCapabilities) -> Self {
        v1::DocumentPrinterCapabilities {
            formats: c.formats.clone(),
            media: c.media.clone(),
        }
    }
}

impl From<&hal::SignaturePadCapabilities> for v1::SignaturePadCapabilities {
    fn from(c: &hal::SignaturePadCapabilities) -> Self {
        v1::SignaturePadCapabilities {
            width: c.width.into(),
            height: c.height.into(),
            pressure_levels: c.pressure_levels.into(),
            lcd: c.lcd,
        }
    }
}

/// The `Device` message for a device's identity and status. `lease_holder` is left empty
/// (the registry knows leases) and `hint` carries the status detail, if any; `supplies`
/// is filled from the status for printers, without the journal's counters.
pub fn device(
    info: &hal::DeviceInfo,
    status: &hal::DeviceStatus,
    capabilities: Option<v1::device::Capabilities>,
) -> v1::Device {
    v1::Device {
        id: info.id.to_string(),
        family: v1::DeviceFamily::from(info.family).into(),
        driver: info.driver.clone(),
        selector: info.selector.to_string(),
        model: info.model.clone(),
        serial: info.serial.clone().unwrap_or_default(),
        firmware: info.firmware.clone().unwrap_or_default(),
        state: v1::DeviceState::from(status.state).into(),
        conditions: conditions(&status.conditions),
        supplies: status
            .supplies
            .as_ref()
            .map(|s| supplies(&info.id, s, &status.conditions)),
        simulated: info.simulated,
        lease_holder: String::new(),
        hint: status.detail.clone().unwrap_or_default(),
        capabilities,
    }
}

impl From<&hal::SelfTestCheck> for v1::SelfTestCheck {
    fn from(c: &hal::SelfTestCheck) -> Self {
        v1::SelfTestCheck {
            name: c.name.clone(),
            passed: c.passed,
            detail: c.detail.clone(),
            took: Some(duration(c.took)),
        }
    }
}

impl From<&hal::SelfTestReport> for v1::SelfTestReport {
    fn from(r: &hal::SelfTestReport) -> Self {
        v1::SelfTestReport {
            device_id: r.device.to_string(),
            passed: r.passed,
            checks: r.checks.iter().map(v1::SelfTestCheck::from).collect(),
            took: Some(duration(r.took)),
            reason: v1::ErrorReason::Unspecified.into(),
        }
    }
}

/// The `SelfTestProgress` event of a device's running self-test.
pub fn self_test_progress(
    device: &hal::DeviceId,
    progress: &hal::SelfTestProgress,
) -> v1::SelfTestProgress {
    v1::SelfTestProgress {
        device_id: device.to_string(),
        step: progress.step.clone(),
        fraction: progress.fraction.clamp(0.0, 1.0),
    }
}

/// The gRPC code and reason for a device error kind, refined by the device condition behind
/// it (a printer's `media-empty` is `OUT_OF_BLANKS`, a jam `PRINTER_JAM`).
///
/// The code is always [`canonical_code`] of the reason, so the reason-to-code table stays in
/// one place ([`crate::status`]). Workflow steps that know more (a hardware error while
/// writing a chip is `CHIP_WRITE_FAILED`) pick their own reason.
///
/// ```
/// use rekam_hal::{Condition, ErrorKind};
/// use rekam_proto::convert::error_kind;
/// use rekam_proto::v1::ErrorReason;
///
/// assert_eq!(error_kind(ErrorKind::Busy, None), (tonic::Code::Unavailable, ErrorReason::DeviceBusy));
/// assert_eq!(
///     error_kind(ErrorKind::OutOfSupplies, Some(Condition::RibbonEmpty)),
///     (tonic::Code::ResourceExhausted, ErrorReason::RibbonOut)
/// );
/// ```
pub fn error_kind(
    kind: hal::ErrorKind,
    condition: Option<hal::Condition>,
) -> (Code, v1::ErrorReason) {
    use hal::{Condition as C, ErrorKind as K};
    use v1::ErrorReason as R;
    let reason = match (kind, condition) {
        (K::Disconnected, Some(C::Offline)) => R::PrinterOffline,
        (K::Disconnected, _) => R::DeviceDisconnected,
        (K::Busy, _) => R::DeviceBusy,
        (K::PermissionDenied, _) => R::DevicePermissionDenied,
        (K::NotFound, _) => R::DeviceNotFound,
        (K::Timeout, _) => R::DeviceTimeout,
        (K::Cancelled, _) => R::Cancelled,
        (K::Hardware | K::Protocol, Some(C::MediaJam)) => R::PrinterJam,
        (K::Hardware | K::Protocol, _) => R::DeviceFault,
        (K::InvalidInput, _) => R::InvalidArgument,
        (K::Unsupported, _) => R::DeviceUnsupported,
        (K::OutOfSupplies, Some(C::RibbonEmpty)) => R::RibbonOut,
        (K::OutOfSupplies, _) => R::OutOfBlanks,
        (K::CardRemoved, _) => R::CardRemoved,
        (K::Internal, _) => R::Internal,
        _ => R::Internal,
    };
    (canonical_code(reason), reason)
}

/// The status for a device error: the code and reason of [`error_kind`], the error's message
/// (device messages never carry personal data), and metadata `device_id` (when known),
/// `kind` (the `rekam-hal` kind name) and `condition` (a `DeviceCondition` value name, when
/// there is one).
pub fn device_error_status(err: &hal::DeviceError) -> tonic::Status {
    let (code, reason) = error_kind(err.kind(), err.condition());
    let mut metadata = vec![("kind".to_owned(), err.kind().as_str().to_owned())];
    if let Some(device) = err.device() {
        metadata.push(("device_id".to_owned(), device.to_string()));
    }
    if let Some(condition) = err.condition() {
        metadata.push((
            "condition".to_owned(),
            v1::DeviceCondition::from(condition)
                .as_str_name()
                .to_owned(),
        ));
    }
    error_status(code, reason, err.to_string(), metadata)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::{error_info_of, reason_of};

    const FAMILIES: [v1::DeviceFamily; 7] = [
        v1::DeviceFamily::FingerprintScanner,
        v1::DeviceFamily::FaceCamera,
        v1::DeviceFamily::IrisCamera,
        v1::DeviceFamily::SignaturePad,
        v1::DeviceFamily::CardEncoder,
        v1::DeviceFamily::CardPrinter,
        v1::DeviceFamily::DocumentPrinter,
    ];

    #[test]
    fn families_round_trip_and_match_by_name() {
        for f in hal::DeviceFamily::ALL {
            let p = v1::DeviceFamily::from(f);
            assert_ne!(p, v1::DeviceFamily::Unspecified);
            assert_eq!(hal::DeviceFamily::try_from(p), Ok(f));
        }
        let mapped: Vec<_> = hal::DeviceFamily::ALL
            .into_iter()
            .map(v1::DeviceFamily::from)
            .collect();
        assert_eq!(mapped, FAMILIES);
        assert_eq!(
            hal::DeviceFamily::try_from(v1::DeviceFamily::Unspecified),
            Err(Unspecified)
        );
    }

    #[test]
    fn fingers_keep_their_iso_codes() {
        for f in hal::Finger::ALL {
            let p = v1::Finger::from(f);
            assert_eq!(p as i32, i32::from(f.iso_code()), "{f}");
            assert_eq!(hal::Finger::try_from(p), Ok(f));
            assert!(
                p.as_str_name().ends_with(&f.as_str().to_uppercase()),
                "{f} -> {}",
                p.as_str_name()
            );
        }
        assert_eq!(
            hal::Finger::try_from(v1::Finger::Unspecified),
            Err(Unspecified)
        );
    }

    #[test]
    fn eyes_keep_their_iso_labels() {
        assert_eq!(v1::Eye::from(hal::Eye::Right) as i32, 1);
        assert_eq!(v1::Eye::from(hal::Eye::Left) as i32, 2);
        for e in hal::Eye::BOTH {
            assert_eq!(hal::Eye::try_from(v1::Eye::from(e)), Ok(e));
        }
        assert_eq!(hal::Eye::try_from(v1::Eye::Unspecified), Err(Unspecified));
    }

    #[test]
    fn every_guidance_code_maps_to_its_namesake() {
        // Walk the proto enum: every specified code converts to rekam-hal and back.
        let mut n = 0;
        for raw in 1..64 {
            let Ok(p) = v1::GuidanceCode::try_from(raw) else {
                continue;
            };
            let h = hal::GuidanceCode::try_from(p).unwrap();
            assert_eq!(v1::GuidanceCode::from(h), p);
            let hal_name = format!("{h:?}");
            let proto_name: String = p
                .as_str_name()
                .trim_start_matches("GUIDANCE_CODE_")
                .split('_')
                .map(|w| w[..1].to_owned() + &w[1..].to_lowercase())
                .collect();
            assert_eq!(hal_name, proto_name);
            n += 1;
        }
        assert_eq!(n, 28);
    }

    #[test]
    fn guidance_round_trips_with_finger_and_eye() {
        let cases = [
            hal::Guidance::new(hal::GuidanceCode::KeepStill),
            hal::Guidance::finger(hal::GuidanceCode::PartialSlap, hal::Finger::LeftRing),
            hal::Guidance::eye(hal::GuidanceCode::IrisOccluded, hal::Eye::Left),
        ];
        for g in cases {
            let p = v1::Guidance::from(g);
            assert_eq!(hal::Guidance::try_from(p), Ok(g));
        }
        let p = v1::Guidance::from(cases[1]);
        assert_eq!(p.finger, Some(9));
        let bad = v1::Guidance {
            code: 0,
            finger: None,
            eye: None,
        };
        assert_eq!(hal::Guidance::try_from(bad).unwrap_err().field(), "code");
        let bad = v1::Guidance {
            code: 1,
            finger: Some(0),
            eye: None,
        };
        assert_eq!(hal::Guidance::try_from(bad).unwrap_err().field(), "finger");
        let update = guidance_update(&cases);
        assert_eq!(update.guidance.len(), 3);
        assert_eq!(update.guidance[2].eye, Some(v1::Eye::Left as i32));
    }

    #[test]
    fn device_states_and_conditions_round_trip() {
        use hal::DeviceState as S;
        for s in [
            S::Ready,
            S::Busy,
            S::Disconnected,
            S::PermissionDenied,
            S::NeedsAttention,
            S::Error,
        ] {
            let p = v1::DeviceState::from(s);
            assert_eq!(
                p.as_str_name(),
                format!("DEVICE_STATE_{}", snake_upper(&format!("{s:?}")))
            );
            assert_eq!(hal::DeviceState::try_from(p), Ok(s));
        }
        use hal::Condition as C;
        for c in [
            C::MediaEmpty,
            C::MediaLow,
            C::RibbonEmpty,
            C::RibbonLow,
            C::MediaJam,
            C::CoverOpen,
            C::Offline,
            C::CardInEncoder,
        ] {
            let p = v1::DeviceCondition::from(c);
            assert_eq!(
                p.as_str_name(),
                format!("DEVICE_CONDITION_{}", snake_upper(&format!("{c:?}")))
            );
            assert_eq!(hal::Condition::try_from(p), Ok(c));
        }
        assert_eq!(
            hal::DeviceState::try_from(v1::DeviceState::Unspecified),
            Err(Unspecified)
        );
        assert_eq!(
            hal::Condition::try_from(v1::DeviceCondition::Unspecified),
            Err(Unspecified)
        );
    }

    fn snake_upper(camel: &str) -> String {
        let mut out = String::new();
        for (i, c) in camel.chars().enumerate() {
            if c.is_uppercase() && i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_uppercase());
        }
        out
    }

    fn printer_info() -> hal::DeviceInfo {
        hal::DeviceInfo {
            id: hal::DeviceId::new("sim:card-printer:0").unwrap(),
            family: hal::DeviceFamily::CardPrinter,
            driver: "sim".into(),
            selector: "sim:card-printer".parse().unwrap(),
            model: "Simulated CR80".into(),
            serial: Some("SIM-0001".into()),
            firmware: None,
            simulated: true,
        }
    }

    #[test]
    fn device_message_carries_identity_status_supplies_and_capabilities() {
        let status = hal::DeviceStatus {
            state: hal::DeviceState::NeedsAttention,
            conditions: vec![hal::Condition::RibbonEmpty, hal::Condition::MediaLow],
            supplies: Some(hal::Supplies {
                blanks: Some(12),
                ribbon_percent: Some(0),
            }),
            detail: Some("ribbon out".into()),
        };
        let caps = hal::CardPrinterCapabilities {
            inline_encoder: true,
            dpi: 300,
            width_dots: 1016,
            height_dots: 648,
            duplex: false,
        };
        let d = device(
            &printer_info(),
            &status,
            Some(v1::device::Capabilities::CardPrinter((&caps).into())),
        );
        assert_eq!(d.id, "sim:card-printer:0");
        assert_eq!(d.family(), v1::DeviceFamily::CardPrinter);
        assert_eq!(d.selector, "sim:card-printer");
        assert_eq!(d.serial, "SIM-0001");
        assert_eq!(d.firmware, "");
        assert_eq!(d.state(), v1::DeviceState::NeedsAttention);
        assert_eq!(
            d.conditions().collect::<Vec<_>>(),
            vec![
                v1::DeviceCondition::RibbonEmpty,
                v1::DeviceCondition::MediaLow
            ]
        );
        assert!(d.simulated);
        assert_eq!(d.hint, "ribbon out");
        let s = d.supplies.unwrap();
        assert_eq!(
            (s.device_id.as_str(), s.blanks_remaining, s.ribbon_percent),
            ("sim:card-printer:0", Some(12), Some(0))
        );
        assert_eq!(s.conditions.len(), 2);
        match d.capabilities {
            Some(v1::device::Capabilities::CardPrinter(c)) => {
                assert!(c.inline_encoder);
                assert_eq!((c.dpi, c.width_dots, c.height_dots), (300, 1016, 648));
            }
            other => panic!("unexpected capabilities {other:?}"),
        }
    }

    #[test]
    fn unknown_supplies_stay_unset() {
        let s = supplies(&printer_info().id, &hal::Supplies::default(), &[]);
        assert_eq!((s.blanks_remaining, s.ribbon_percent), (None, None));
    }

    #[test]
    fn capabilities_convert_field_by_field() {
        let f = v1::FingerprintCapabilities::from(&hal::FingerprintCapabilities {
            slap: true,
            single_finger: false,
            ppi: 500,
            segmentation: true,
            preview: false,
        });
        assert_eq!(
            (f.slap, f.single_finger, f.ppi, f.segmentation, f.preview),
            (true, false, 500, true, false)
        );
        let c = v1::CameraCapabilities::from(&hal::CameraCapabilities {
            preview_fps: 15,
            width: 1280,
            height: 960,
            formats: vec!["MJPG".into(), "YUYV".into()],
        });
        assert_eq!((c.preview_fps, c.width, c.height), (15, 1280, 960));
        assert_eq!(c.formats, ["MJPG", "YUYV"]);
        let e = v1::EncoderCapabilities::from(&hal::EncoderCapabilities {
            contactless: true,
            contact: false,
            max_command_bytes: 65_535,
        });
        assert_eq!(
            (e.contactless, e.contact, e.max_apdu),
            (true, false, 65_535)
        );
        let d = v1::DocumentPrinterCapabilities::from(&hal::DocumentPrinterCapabilities {
            formats: vec!["application/pdf".into()],
            media: vec!["iso_a6_105x148mm".into()],
        });
        assert_eq!(
            (d.formats.len(), d.media[0].as_str()),
            (1, "iso_a6_105x148mm")
        );
        let s = v1::SignaturePadCapabilities::from(&hal::SignaturePadCapabilities {
            width: 640,
            height: 480,
            pressure_levels: 1024,
            lcd: true,
        });
        assert_eq!(
            (s.width, s.height, s.pressure_levels, s.lcd),
            (640, 480, 1024, true)
        );
    }

    #[test]
    fn self_test_results_convert() {
        let id = hal::DeviceId::new("sim:fingerprint:0").unwrap();
        let report = hal::SelfTestReport::from_checks(
            id.clone(),
            vec![
                hal::SelfTestCheck {
                    name: "sensor responds".into(),
                    passed: true,
                    detail: "ok".into(),
                    took: StdDuration::from_millis(120),
                },
                hal::SelfTestCheck {
                    name: "platen clean".into(),
                    passed: false,
                    detail: "smudge".into(),
                    took: StdDuration::from_millis(1500),
                },
            ],
        );
        let p = v1::SelfTestReport::from(&report);
        assert_eq!(p.device_id, "sim:fingerprint:0");
        assert!(!p.passed);
        assert_eq!(p.checks.len(), 2);
        assert_eq!(
            p.checks[1].took,
            Some(prost_types::Duration {
                seconds: 1,
                nanos: 500_000_000
            })
        );
        assert_eq!(
            p.took,
            Some(prost_types::Duration {
                seconds: 1,
                nanos: 620_000_000
            })
        );
        let progress = self_test_progress(
            &id,
            &hal::SelfTestProgress {
                step: "sensor responds".into(),
                fraction: 1.5,
            },
        );
        assert_eq!(progress.fraction, 1.0);
        assert_eq!(progress.step, "sensor responds");
    }

    #[test]
    fn durations_saturate() {
        assert_eq!(
            duration(StdDuration::from_millis(2500)),
            prost_types::Duration {
                seconds: 2,
                nanos: 500_000_000
            }
        );
        assert_eq!(duration(StdDuration::MAX).seconds, 315_576_000_000);
    }

    #[test]
    fn every_error_kind_has_a_reason_and_its_canonical_code() {
        use hal::ErrorKind as K;
        use v1::ErrorReason as R;
        let expected = [
            (K::Disconnected, Code::Unavailable, R::DeviceDisconnected),
            (K::Busy, Code::Unavailable, R::DeviceBusy),
            (
                K::PermissionDenied,
                Code::FailedPrecondition,
                R::DevicePermissionDenied,
            ),
            (K::NotFound, Code::NotFound, R::DeviceNotFound),
            (K::Timeout, Code::DeadlineExceeded, R::DeviceTimeout),
            (K::Cancelled, Code::Cancelled, R::Cancelled),
            (K::Protocol, Code::Aborted, R::DeviceFault),
            (K::Hardware, Code::Aborted, R::DeviceFault),
            (K::InvalidInput, Code::InvalidArgument, R::InvalidArgument),
            (
                K::Unsupported,
                Code::FailedPrecondition,
                R::DeviceUnsupported,
            ),
            (K::OutOfSupplies, Code::ResourceExhausted, R::OutOfBlanks),
            (K::CardRemoved, Code::Aborted, R::CardRemoved),
            (K::Internal, Code::Internal, R::Internal),
        ];
        for (kind, code, reason) in expected {
            assert_eq!(error_kind(kind, None), (code, reason), "{kind}");
        }
    }

    #[test]
    fn conditions_refine_error_reasons() {
        use hal::{Condition as C, ErrorKind as K};
        use v1::ErrorReason as R;
        assert_eq!(
            error_kind(K::OutOfSupplies, Some(C::MediaEmpty)),
            (Code::ResourceExhausted, R::OutOfBlanks)
        );
        assert_eq!(
            error_kind(K::OutOfSupplies, Some(C::RibbonEmpty)),
            (Code::ResourceExhausted, R::RibbonOut)
        );
        assert_eq!(
            error_kind(K::Hardware, Some(C::MediaJam)),
            (Code::Aborted, R::PrinterJam)
        );
        assert_eq!(
            error_kind(K::Disconnected, Some(C::Offline)),
            (Code::Unavailable, R::PrinterOffline)
        );
        assert_eq!(
            error_kind(K::Busy, Some(C::CoverOpen)),
            (Code::Unavailable, R::DeviceBusy)
        );
    }

    #[test]
    fn device_errors_become_statuses_with_metadata() {
        let err = hal::DeviceError::new(
            hal::ErrorKind::OutOfSupplies,
            "no blank cards in the hopper",
        )
        .with_device(hal::DeviceId::new("sim:card-printer:0").unwrap())
        .with_condition(hal::Condition::MediaEmpty);
        let status = device_error_status(&err);
        assert_eq!(status.code(), Code::ResourceExhausted);
        assert_eq!(reason_of(&status), Some(v1::ErrorReason::OutOfBlanks));
        assert!(status.message().contains("no blank cards"));
        let info = error_info_of(&status).unwrap();
        assert_eq!(info.metadata["device_id"], "sim:card-printer:0");
        assert_eq!(info.metadata["kind"], "out_of_supplies");
        assert_eq!(info.metadata["condition"], "DEVICE_CONDITION_MEDIA_EMPTY");

        let bare = device_error_status(&hal::DeviceError::timeout("capture"));
        assert_eq!(bare.code(), Code::DeadlineExceeded);
        let info = error_info_of(&bare).unwrap();
        assert!(!info.metadata.contains_key("device_id"));
        assert!(!info.metadata.contains_key("condition"));
    }
}
