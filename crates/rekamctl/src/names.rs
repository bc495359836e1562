//! Names for the `rekam.v1` enum values: the wire name for JSON (`NEEDS_ATTENTION`, the
//! proto value name without its enum prefix) and a short kebab-case name for tables
//! (`needs-attention`), plus English texts for prompts and guidance codes.
//!
//! Proto enums are open: a value this build does not know is shown by its number
//! (`unknown(9)` in tables, `"9"` in JSON), never refused (see common.proto, Compatibility).

use rekam_proto::v1;

/// The value name without `prefix`, or the number when the value is unknown.
fn wire(full: Option<&'static str>, prefix: &str, raw: i32) -> String {
    match full {
        Some(name) => name.strip_prefix(prefix).unwrap_or(name).to_owned(),
        None => raw.to_string(),
    }
}

/// Lower-case kebab of a wire name; `unknown(N)` for a number.
fn kebab(wire: &str, raw: i32) -> String {
    if wire.parse::<i64>().is_ok() {
        return format!("unknown({raw})");
    }
    wire.to_ascii_lowercase().replace('_', "-")
}

macro_rules! names {
    ($(#[doc = $doc:literal] $wire_fn:ident, $human_fn:ident, $ty:ty, $prefix:literal;)+) => {$(
        #[doc = concat!("Wire name of a ", $doc, " (JSON output).")]
        pub fn $wire_fn(raw: i32) -> String {
            wire(<$ty>::try_from(raw).ok().map(|v| v.as_str_name()), $prefix, raw)
        }
        #[doc = concat!("Kebab-case name of a ", $doc, " (tables).")]
        pub fn $human_fn(raw: i32) -> String {
            kebab(&$wire_fn(raw), raw)
        }
    )+};
}

names! {
    #[doc = "`DeviceState`"] device_state_wire, device_state, v1::DeviceState, "DEVICE_STATE_";
    #[doc = "`DeviceCondition`"] condition_wire, condition, v1::DeviceCondition, "DEVICE_CONDITION_";
    #[doc = "`DeviceEventKind`"] event_kind_wire, event_kind, v1::DeviceEventKind, "DEVICE_EVENT_KIND_";
    #[doc = "`SessionState`"] session_state_wire, session_state, v1::SessionState, "SESSION_STATE_";
    #[doc = "`ApplicationType`"] application_type_wire, application_type, v1::ApplicationType, "APPLICATION_TYPE_";
    #[doc = "`ItemState`"] item_state_wire, item_state, v1::ItemState, "ITEM_STATE_";
    #[doc = "`ExceptionReason`"] exception_reason_wire, exception_reason, v1::ExceptionReason, "EXCEPTION_REASON_";
    #[doc = "`Permanence`"] permanence_wire, permanence, v1::Permanence, "PERMANENCE_";
    #[doc = "`CaptureTarget`"] target_wire, target, v1::CaptureTarget, "CAPTURE_TARGET_";
    #[doc = "`ItemOutcome`"] outcome_wire, outcome, v1::ItemOutcome, "ITEM_OUTCOME_";
    #[doc = "`JobState`"] job_state_wire, job_state, v1::JobState, "JOB_STATE_";
    #[doc = "`JobStep`"] job_step_wire, job_step, v1::JobStep, "JOB_STEP_";
    #[doc = "`StepState`"] step_state_wire, step_state, v1::StepState, "STEP_STATE_";
    #[doc = "`DeferralReason`"] deferral_wire, deferral, v1::DeferralReason, "DEFERRAL_REASON_";
    #[doc = "`Finger`"] finger_wire, finger_kebab, v1::Finger, "FINGER_";
    #[doc = "`Eye`"] eye_wire, eye_kebab, v1::Eye, "EYE_";
}

/// Wire name of a `DeviceFamily`.
pub fn family_wire(raw: i32) -> String {
    wire(
        v1::DeviceFamily::try_from(raw)
            .ok()
            .map(|v| v.as_str_name()),
        "DEVICE_FAMILY_",
        raw,
    )
}

/// A `DeviceFamily` as named in device ids: `fingerprint`, `face`, `iris`, `signature`,
/// `encoder`, `card-printer`, `document-printer`.
pub fn family(raw: i32) -> String {
    use v1::DeviceFamily as F;
    match F::try_from(raw) {
        Ok(F::FingerprintScanner) => "fingerprint".into(),
        Ok(F::FaceCamera) => "face".into(),
        Ok(F::IrisCamera) => "iris".into(),
        Ok(F::SignaturePad) => "signature".into(),
        Ok(F::CardEncoder) => "encoder".into(),
        Ok(F::CardPrinter) => "card-printer".into(),
        Ok(F::DocumentPrinter) => "document-printer".into(),
        Ok(F::Unspecified) => "unspecified".into(),
        Err(_) => format!("unknown({raw})"),
    }
}

/// An `ErrorReason` as sent (`DEVICE_BUSY`); `None` for `ERROR_REASON_UNSPECIFIED`.
pub fn reason(raw: i32) -> Option<String> {
    match v1::ErrorReason::try_from(raw) {
        Ok(v1::ErrorReason::Unspecified) => None,
        Ok(r) => Some(r.as_str_name().to_owned()),
        Err(_) => Some(raw.to_string()),
    }
}

/// A finger in words: `right thumb`, `left little`.
pub fn finger(raw: i32) -> String {
    finger_kebab(raw).replace('-', " ")
}

/// An eye in words: `right eye`.
pub fn eye(raw: i32) -> String {
    format!("{} eye", eye_kebab(raw))
}

/// An item key in words: `face`, `right thumb`, `left eye`, `signature`; `?` when unset.
pub fn item(key: Option<&v1::ItemKey>) -> String {
    use v1::item_key::Item;
    match key.and_then(|k| k.item.as_ref()) {
        Some(Item::Face(_)) => "face".into(),
        Some(Item::Signature(_)) => "signature".into(),
        Some(Item::Finger(f)) => finger(*f),
        Some(Item::Eye(e)) => eye(*e),
        None => "?".into(),
    }
}

/// An item key for JSON: `FACE`, `SIGNATURE`, `RIGHT_THUMB`, `LEFT_EYE`.
pub fn item_wire(key: Option<&v1::ItemKey>) -> String {
    use v1::item_key::Item;
    match key.and_then(|k| k.item.as_ref()) {
        Some(Item::Face(_)) => "FACE".into(),
        Some(Item::Signature(_)) => "SIGNATURE".into(),
        Some(Item::Finger(f)) => finger_wire(*f),
        Some(Item::Eye(e)) => format!("{}_EYE", eye_wire(*e)),
        None => "UNSET".into(),
    }
}

/// What a prompt asks, in English.
pub fn prompt(p: &v1::Prompt) -> String {
    use v1::PromptCode as P;
    let text = match P::try_from(p.code) {
        Ok(P::PlaceLeftSlap) => "place the four fingers of the left hand flat on the scanner",
        Ok(P::PlaceRightSlap) => "place the four fingers of the right hand flat on the scanner",
        Ok(P::PlaceThumbs) => "place both thumbs flat on the scanner",
        Ok(P::LookAtCamera) => "look straight at the camera, neutral expression, eyes open",
        Ok(P::LookAtIrisCamera) => "look into the iris camera, eyes wide open",
        Ok(P::SignOnPad) => "sign on the signature pad, then confirm on the pad",
        Ok(P::RemoveFingers) => "lift the fingers off the scanner",
        Ok(P::PlaceFinger) => {
            return match p.finger {
                Some(f) => format!("place the {} on the scanner", finger(f)),
                None => "place the finger on the scanner".into(),
            }
        }
        Ok(P::PlaceBlankOnEncoder) => "place a blank card on the desk encoder",
        Ok(P::LoadCardIntoPrinter) => {
            "take the card from the encoder and load it into the card printer"
        }
        Ok(P::DiscardCard) => {
            "take the spoiled card off the encoder and put it with the spoiled cards"
        }
        Ok(P::PlaceCardOnEncoder) => "place the printed card on the desk encoder",
        Ok(P::Unspecified) | Err(_) => "follow the device",
    };
    text.to_owned()
}

/// One guidance code in English, naming its finger or eye when it has one.
pub fn guidance(g: &v1::Guidance) -> String {
    use v1::GuidanceCode as G;
    let text = match G::try_from(g.code) {
        Ok(G::FingerTooHigh) => "move the fingers down",
        Ok(G::FingerTooLow) => "move the fingers up",
        Ok(G::FingerTooLeft) => "move the fingers right",
        Ok(G::FingerTooRight) => "move the fingers left",
        Ok(G::FingerTooFast) => "hold the fingers still longer",
        Ok(G::FingerPressHarder) => "press a little harder",
        Ok(G::PoorQuality) => "quality below the threshold",
        Ok(G::RemoveAndRetry) => "lift and present again",
        Ok(G::WrongHand) => "the other hand is on the scanner",
        Ok(G::PartialSlap) => "a finger is missing from the slap",
        Ok(G::FaceNotCentred) => "centre the face",
        Ok(G::FaceNotFound) => "no face in the frame",
        Ok(G::EyesClosed) => "eyes closed",
        Ok(G::TooDark) => "too dark",
        Ok(G::TooBright) => "too bright",
        Ok(G::SeveralFaces) => "more than one face in the frame",
        Ok(G::IrisOccluded) => "iris hidden by eyelids, lashes or glasses",
        Ok(G::OutOfFocus) => "out of focus",
        Ok(G::TooClose) => "move back from the camera",
        Ok(G::TooFar) => "come closer to the camera",
        Ok(G::KeepStill) => "hold still",
        Ok(G::CardNotPresent) => "no card in place",
        Ok(G::MouthOpen) => "close the mouth",
        Ok(G::HeadNotFrontal) => "face the camera squarely",
        Ok(G::UnevenLight) => "light the face evenly",
        Ok(G::LookAtCamera) => "look at the camera",
        Ok(G::PupilSize) => "pupil too small or too large: adjust the room light",
        Ok(G::DuplicateFinger) => "the same finger was captured twice",
        Ok(G::Unspecified) | Err(_) => "try again",
    };
    match (g.finger, g.eye) {
        (Some(f), _) => format!("{text} ({})", finger(f)),
        (None, Some(e)) => format!("{text} ({})", eye(e)),
        (None, None) => text.to_owned(),
    }
}

/// A list of guidance, joined with `; `, one entry per code in the order the codes first
/// appear, naming its fingers and eyes together: `quality below the threshold (left index,
/// left ring)`.
pub fn guidance_list(list: &[v1::Guidance]) -> String {
    let mut codes: Vec<(i32, Vec<String>)> = Vec::new();
    for g in list {
        let qualifier = match (g.finger, g.eye) {
            (Some(f), _) => Some(finger(f)),
            (None, Some(e)) => Some(eye(e)),
            (None, None) => None,
        };
        let entry = match codes.iter_mut().position(|(c, _)| *c == g.code) {
            Some(i) => &mut codes[i].1,
            None => {
                codes.push((g.code, Vec::new()));
                let last = codes.len() - 1;
                &mut codes[last].1
            }
        };
        if let Some(q) = qualifier {
            if !entry.contains(&q) {
                entry.push(q);
            }
        }
    }
    codes
        .into_iter()
        .map(|(code, qualifiers)| {
            let text = guidance(&v1::Guidance {
                code,
                finger: None,
                eye: None,
            });
            if qualifiers.is_empty() {
                text
            } else {
                format!("{text} ({})", qualifiers.join(", "))
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Wire name of a guidance code (`FINGER_TOO_HIGH`).
pub fn guidance_wire(g: &v1::Guidance) -> String {
    wire(
        v1::GuidanceCode::try_from(g.code)
            .ok()
            .map(|v| v.as_str_name()),
        "GUIDANCE_CODE_",
        g.code,
    )
}

/// Wire name of a prompt code (`PLACE_LEFT_SLAP`).
pub fn prompt_wire(p: &v1::Prompt) -> String {
    wire(
        v1::PromptCode::try_from(p.code)
            .ok()
            .map(|v| v.as_str_name()),
        "PROMPT_CODE_",
        p.code,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_have_short_names() {
        assert_eq!(
            device_state(v1::DeviceState::NeedsAttention.into()),
            "needs-attention"
        );
        assert_eq!(
            device_state_wire(v1::DeviceState::PermissionDenied.into()),
            "PERMISSION_DENIED"
        );
        assert_eq!(
            condition(v1::DeviceCondition::MediaEmpty.into()),
            "media-empty"
        );
        assert_eq!(job_step(v1::JobStep::WriteChip.into()), "write-chip");
        assert_eq!(family(v1::DeviceFamily::CardPrinter.into()), "card-printer");
        assert_eq!(
            family_wire(v1::DeviceFamily::CardPrinter.into()),
            "CARD_PRINTER"
        );
        assert_eq!(finger(v1::Finger::LeftLittle.into()), "left little");
        assert_eq!(
            reason(v1::ErrorReason::DeviceBusy.into()).as_deref(),
            Some("DEVICE_BUSY")
        );
        assert_eq!(reason(0), None);
    }

    #[test]
    fn unknown_values_show_their_number() {
        assert_eq!(device_state(99), "unknown(99)");
        assert_eq!(device_state_wire(99), "99");
        assert_eq!(family(42), "unknown(42)");
        assert_eq!(reason(1000).as_deref(), Some("1000"));
        let g = v1::Guidance {
            code: 500,
            finger: None,
            eye: None,
        };
        assert_eq!(guidance(&g), "try again");
    }

    #[test]
    fn guidance_lists_group_by_code() {
        let g = |code: v1::GuidanceCode, finger: Option<v1::Finger>, eye: Option<v1::Eye>| {
            v1::Guidance {
                code: code.into(),
                finger: finger.map(Into::into),
                eye: eye.map(Into::into),
            }
        };
        let list = [
            g(v1::GuidanceCode::PoorQuality, None, None),
            g(
                v1::GuidanceCode::PoorQuality,
                Some(v1::Finger::LeftIndex),
                None,
            ),
            g(v1::GuidanceCode::FingerTooHigh, None, None),
            g(
                v1::GuidanceCode::PoorQuality,
                Some(v1::Finger::LeftRing),
                None,
            ),
            g(v1::GuidanceCode::EyesClosed, None, Some(v1::Eye::Left)),
        ];
        assert_eq!(
            guidance_list(&list),
            "quality below the threshold (left index, left ring); move the fingers down; eyes closed (left eye)"
        );
        assert_eq!(guidance_list(&[]), "");
    }

    #[test]
    fn items_and_guidance_name_their_finger_or_eye() {
        use v1::item_key::Item;
        let eye = v1::ItemKey {
            item: Some(Item::Eye(v1::Eye::Left.into())),
        };
        assert_eq!(item(Some(&eye)), "left eye");
        assert_eq!(item_wire(Some(&eye)), "LEFT_EYE");
        let g = v1::Guidance {
            code: v1::GuidanceCode::PartialSlap.into(),
            finger: Some(v1::Finger::RightRing.into()),
            eye: None,
        };
        assert_eq!(
            guidance(&g),
            "a finger is missing from the slap (right ring)"
        );
        let p = v1::Prompt {
            code: v1::PromptCode::PlaceFinger.into(),
            attempt: 1,
            finger: Some(v1::Finger::RightIndex.into()),
            timeout: None,
        };
        assert_eq!(prompt(&p), "place the right index on the scanner");
        assert_eq!(prompt_wire(&p), "PLACE_FINGER");
    }
}
