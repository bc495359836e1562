//! Fingerprint matching in the station: its configuration (`[matching]` in `rekamd.toml`) and
//! the enrolment cross-check that finds one finger captured twice.
//!
//! [`MatchingConfig`] says how chip templates are made (the minutiae cap and byte budget),
//! which fingers go on the chip, and the BOZORTH3 score from which a live finger matches its
//! chip template at activation. The activation retry budget is the workflow's
//! `[workflow.issuance] activation_attempts`.
//!
//! # The enrolment cross-check
//!
//! With flat 4-4-2 captures no finger is meant to be captured twice, so every finger of a new
//! slap or thumbs capture is compared with the kept sample of every finger of the *other*
//! fingerprint targets. A match means one finger is on the chip twice under two names:
//!
//! - each new finger that matches one of them (a score of at least
//!   [`MatchingConfig::duplicate_threshold`]) is reported as `DuplicateFinger` with its slot,
//!   and the attempt is refused;
//! - when two or more fingers of a four-finger slap match fingers of the other hand's slap,
//!   the hand already captured is on the scanner again: `WrongHand` as well.
//!
//! What the matcher cannot check: in a 4-4-2 capture the thumbs and a slap share no finger, so
//! whether a slap belongs to the same hand as a thumb cannot be shown by comparing prints. The
//! hand of a slap is checked from its geometry instead (the little finger sits low on its own
//! side: `rekam_biometrics::fingerprint::segment` and scanners that say `WrongHand`); the
//! matcher adds the case geometry misses, the same hand given twice.

use rekam_hal::{DeviceFamily, Finger, Guidance, GuidanceCode, Hand};
use rekam_store::Actor;
use serde::{Deserialize, Serialize};

use super::biometrics::{self, CapturedItem};
use super::{Station, StationError};
use crate::config::ConfigError;
use crate::enrolment::{CaptureTarget, ItemKey};
use crate::ids::SessionId;

/// The `[matching]` section: templates on the chip and the activation decision.
///
/// ```
/// use rekam_station::station::MatchingConfig;
/// let c: MatchingConfig = toml::from_str("threshold = 80").unwrap();
/// assert_eq!(c.threshold, 80);
/// assert_eq!(c.max_minutiae, 50); // default
/// c.validate().unwrap();
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MatchingConfig {
    /// The BOZORTH3 score from which a live finger matches the chip template (1..1000).
    /// Default 70, calibrated on synthetic impressions for a false match rate of at most
    /// 0.1 % (the threshold at FMR 0.1 % came out at 62-65; 70 measured FMR 0.03 % with no
    /// false non-match: `crates/rekam-match/tests/accuracy.rs`). Higher is stricter.
    pub threshold: u32,
    /// Most minutiae a template keeps, the most reliable first (10..255). Default 50:
    /// BOZORTH3's work grows fast with the count and genuine scores barely improve past it.
    pub max_minutiae: usize,
    /// Most bytes one template may take on the chip in the ISO/IEC 19794-2 compact card format,
    /// 3 bytes per minutia (30..765). Default 150.
    pub template_bytes: usize,
    /// The two fingers whose templates go on the chip, in order (the first is the one asked
    /// for at activation). Finger names: `right_thumb`, `right_index`, `right_middle`,
    /// `right_ring`, `right_little`, `left_thumb`, ... `left_little`. Default
    /// `["right_index", "left_index"]`. When one of them has no usable sample (an exception),
    /// the next of index, middle, thumb (right before left) takes its place.
    pub template_fingers: Vec<Finger>,
    /// Whether each slap and thumbs capture is compared with the fingers already kept, to
    /// find one finger captured twice (see the module doc). Default true.
    pub duplicate_check: bool,
    /// The BOZORTH3 score from which two fingers of one enrolment are taken to be the same
    /// finger (1..1000). Default 100, stricter than `threshold`: a slap is compared with up to
    /// 8 kept fingers per finger, so a per-comparison FMR of 0.03 % (at 70) would refuse about
    /// 1 % of good enrolments once; no impostor pair of the calibration set reached 76, while a
    /// finger given twice minutes apart scores about 200 (calibration: genuine p1 95).
    pub duplicate_threshold: u32,
}

impl Default for MatchingConfig {
    fn default() -> Self {
        MatchingConfig {
            threshold: rekam_match::MatchThreshold::DEFAULT.0,
            max_minutiae: 50,
            template_bytes: 150,
            template_fingers: vec![Finger::RightIndex, Finger::LeftIndex],
            duplicate_check: true,
            duplicate_threshold: 100,
        }
    }
}

/// The order in which fingers stand in for a configured template finger that has no sample.
const FALLBACK_FINGERS: [Finger; 6] = [
    Finger::RightIndex,
    Finger::LeftIndex,
    Finger::RightMiddle,
    Finger::LeftMiddle,
    Finger::RightThumb,
    Finger::LeftThumb,
];

impl MatchingConfig {
    /// Checks every value; the error names the key (`template_fingers`).
    pub fn validate(&self) -> Result<(), ConfigError> {
        let err = |key: &str, message: String| ConfigError {
            key: key.to_owned(),
            message,
        };
        if !(1..=1000).contains(&self.threshold) {
            return Err(err(
                "threshold",
                format!("{} is not a BOZORTH3 score 1..1000", self.threshold),
            ));
        }
        if !(1..=1000).contains(&self.duplicate_threshold) {
            return Err(err(
                "duplicate_threshold",
                format!(
                    "{} is not a BOZORTH3 score 1..1000",
                    self.duplicate_threshold
                ),
            ));
        }
        if !(rekam_match::MIN_MINUTIAE..=255).contains(&self.max_minutiae) {
            return Err(err(
                "max_minutiae",
                format!("{} is not 10..255 minutiae", self.max_minutiae),
            ));
        }
        let per = rekam_match::CARD_MINUTIA_LEN;
        if !(rekam_match::MIN_MINUTIAE * per..=255 * per).contains(&self.template_bytes) {
            return Err(err(
                "template_bytes",
                format!(
                    "{} is not 30..765 bytes (3 bytes per minutia, 10..255 minutiae)",
                    self.template_bytes
                ),
            ));
        }
        if self.template_fingers.len() != 2 {
            return Err(err(
                "template_fingers",
                format!(
                    "exactly two fingers are needed, {} given",
                    self.template_fingers.len()
                ),
            ));
        }
        if self.template_fingers[0] == self.template_fingers[1] {
            return Err(err(
                "template_fingers",
                format!(
                    "{} is listed twice; two different fingers are needed",
                    self.template_fingers[1]
                ),
            ));
        }
        Ok(())
    }

    /// How templates are extracted.
    pub fn extract_options(&self) -> rekam_match::ExtractOptions {
        rekam_match::ExtractOptions {
            max_minutiae: self.max_minutiae,
            byte_budget: self.template_bytes,
        }
    }

    /// The decision threshold.
    pub fn match_threshold(&self) -> rekam_match::MatchThreshold {
        rekam_match::MatchThreshold(self.threshold)
    }

    /// The fingers to try for the chip's templates, in order: the configured ones, then the
    /// fallbacks (each finger once).
    pub fn template_preference(&self) -> Vec<Finger> {
        let mut order = self.template_fingers.clone();
        for f in FALLBACK_FINGERS {
            if !order.contains(&f) {
                order.push(f);
            }
        }
        order
    }
}

/// A finger sample for the cross-check: its slot and its image.
#[cfg(test)]
pub(crate) struct FingerSample {
    /// The slot it was captured (or kept) as.
    pub finger: Finger,
    /// The image.
    pub image: rekam_hal::RawImage,
}

/// Compares each finger of a new capture of `target` with the kept samples of the other
/// targets and says what is wrong (see the module doc); empty when nothing is. Fingers
/// without enough minutiae are left out. Runs extraction and comparison: call it off the
/// async runtime.
#[cfg(test)]
pub(crate) fn cross_check(
    target: CaptureTarget,
    new: &[FingerSample],
    kept: &[FingerSample],
    config: &MatchingConfig,
) -> Vec<Guidance> {
    let options = config.extract_options();
    let templates = |samples: &[FingerSample]| -> Vec<(Finger, rekam_match::Template)> {
        samples
            .iter()
            .filter_map(|s| Some((s.finger, rekam_match::extract(&s.image, &options).ok()?)))
            .collect()
    };
    cross_check_templates(target, &templates(new), &templates(kept), config)
}

/// [`cross_check`] on templates already extracted: each new finger's template with each kept
/// finger's, in the order given (the kept fingers in `Finger::ALL` order). Each template's
/// BOZORTH3 pair table is built once for all its comparisons (the same scores as
/// `rekam_match::verify`).
pub(crate) fn cross_check_templates(
    target: CaptureTarget,
    new: &[(Finger, rekam_match::Template)],
    kept: &[(Finger, rekam_match::Template)],
    config: &MatchingConfig,
) -> Vec<Guidance> {
    if new.is_empty() || kept.is_empty() {
        return Vec::new();
    }
    let threshold = rekam_match::MatchThreshold(config.duplicate_threshold);
    let kept: Vec<(Finger, rekam_match::PreparedTemplate)> =
        kept.iter().map(|(f, t)| (*f, t.prepare())).collect();
    let declared = match target {
        CaptureTarget::LeftSlap => Some(Hand::Left),
        CaptureTarget::RightSlap => Some(Hand::Right),
        _ => None,
    };
    let mut guidance = Vec::new();
    let mut other_hand_matches = 0usize;
    for (finger, probe) in new {
        let probe = probe.prepare();
        let twin = kept.iter().find(|(_, reference)| {
            rekam_match::verify_prepared(reference, &probe, threshold).matched
        });
        if let Some((kept_finger, _)) = twin {
            guidance.push(Guidance::finger(GuidanceCode::DuplicateFinger, *finger));
            if declared.is_some_and(|hand| kept_finger.hand() != hand && !kept_finger.is_thumb()) {
                other_hand_matches += 1;
            }
        }
    }
    if other_hand_matches >= 2 {
        guidance.insert(0, Guidance::new(GuidanceCode::WrongHand));
    }
    guidance
}

/// A finger sample the cross-check needs a template of: its slot, its blob id, and its
/// template as held for the session or, when none is held yet, its PNG.
struct Pending {
    finger: Finger,
    blob: String,
    source: Source,
}

/// Where a [`Pending`] sample's template comes from.
enum Source {
    /// Held for the session already (`None`: its extraction failed).
    Held(Option<rekam_match::Template>),
    /// To be extracted from this PNG (and then held).
    Png(Vec<u8>),
}

impl Station {
    /// The enrolment cross-check of a fingerprint capture (see the module doc): the guidance
    /// its fingers call for against the fingers the session keeps from its other targets.
    /// Empty for other targets, when `[matching] duplicate_check` is off, or when nothing else
    /// is kept yet.
    ///
    /// Every new finger is extracted once and its template held for the session
    /// (`station::templates`), so the kept fingers' templates are normally in memory already;
    /// one that is not (after a restart) is read from the journal (audited as the capture's
    /// actor) and extracted.
    pub(super) async fn finger_cross_check(
        &self,
        id: &SessionId,
        target: CaptureTarget,
        items: &[CapturedItem],
        actor: &Actor,
    ) -> Result<Vec<Guidance>, StationError> {
        let matching = self.inner.options.matching.clone();
        if !matching.duplicate_check
            || biometrics::family_of(target) != DeviceFamily::FingerprintScanner
        {
            return Ok(Vec::new());
        }
        let cache = &self.inner.templates;
        let new: Vec<Pending> = items
            .iter()
            .filter_map(|i| match i.item {
                ItemKey::Finger(finger) => Some(Pending {
                    finger,
                    blob: i.blob.id.to_string(),
                    source: Source::Png(i.blob.bytes.to_vec()),
                }),
                _ => None,
            })
            .collect();
        if new.is_empty() {
            return Ok(Vec::new());
        }
        let session = self.session_state(id)?;
        let own = target.items();
        let mut kept = Vec::new();
        for finger in Finger::ALL {
            let key = ItemKey::Finger(finger);
            if own.contains(&key) {
                continue;
            }
            if let Some(best) = session.item(key).and_then(|i| i.best.clone()) {
                let source = match cache.get(id, &best.blob.id) {
                    Some(held) => Source::Held(held),
                    None => Source::Png(self.session_blob(id, &best.blob, actor).await?),
                };
                kept.push(Pending {
                    finger,
                    blob: best.blob.id,
                    source,
                });
            }
        }
        let station = self.clone();
        let id = *id;
        tokio::task::spawn_blocking(move || {
            let cache = &station.inner.templates;
            // Extracts (and holds) what is not held yet.
            let templates = |samples: Vec<Pending>| -> Vec<(Finger, rekam_match::Template)> {
                samples
                    .into_iter()
                    .filter_map(|s| {
                        let template = match s.source {
                            Source::Held(template) => template,
                            Source::Png(png) => {
                                let template = biometrics::decode_gray(&png)
                                    .and_then(|image| cache.extract(&image, &matching));
                                cache.insert(id, s.blob, template.clone());
                                template
                            }
                        };
                        Some((s.finger, template?))
                    })
                    .collect()
            };
            let new = templates(new);
            let kept = templates(kept);
            cross_check_templates(target, &new, &kept, &matching)
        })
        .await
        .map_err(StationError::internal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rekam_hal::SimSubject;
    use rekam_sim::synth::finger::{impression, ImpressionParams, MasterPrint};

    /// An impression of `person`'s `finger`, captured as `slot`.
    fn sample(person: u64, finger: Finger, slot: Finger, seed: u64) -> FingerSample {
        let identity = rekam_sim::synth::finger_identity(SimSubject(person), finger);
        let master = MasterPrint::cached(identity, finger);
        FingerSample {
            finger: slot,
            image: impression(&master, &ImpressionParams::from_seed(seed)),
        }
    }

    const LEFT: [Finger; 4] = [
        Finger::LeftIndex,
        Finger::LeftMiddle,
        Finger::LeftRing,
        Finger::LeftLittle,
    ];
    const RIGHT: [Finger; 4] = [
        Finger::RightIndex,
        Finger::RightMiddle,
        Finger::RightRing,
        Finger::RightLittle,
    ];

    #[test]
    fn defaults_validate_and_bad_values_name_their_key() {
        let c = MatchingConfig::default();
        c.validate().unwrap();
        assert_eq!(c.threshold, 70);
        assert_eq!(c.extract_options(), rekam_match::ExtractOptions::default());
        assert_eq!(
            c.template_preference()[..3],
            [Finger::RightIndex, Finger::LeftIndex, Finger::RightMiddle]
        );
        let check = |f: &dyn Fn(&mut MatchingConfig), key: &str| {
            let mut c = MatchingConfig::default();
            f(&mut c);
            assert_eq!(c.validate().unwrap_err().key, key);
        };
        check(&|c| c.threshold = 0, "threshold");
        check(&|c| c.duplicate_threshold = 1001, "duplicate_threshold");
        check(&|c| c.max_minutiae = 9, "max_minutiae");
        check(&|c| c.template_bytes = 27, "template_bytes");
        check(
            &|c| c.template_fingers = vec![Finger::LeftIndex],
            "template_fingers",
        );
        check(
            &|c| c.template_fingers = vec![Finger::LeftIndex, Finger::LeftIndex],
            "template_fingers",
        );
        assert!(toml::from_str::<MatchingConfig>("template_fingers = [\"left_pinky\"]").is_err());
        let c: MatchingConfig =
            toml::from_str("template_fingers = [\"left_thumb\", \"right_thumb\"]").unwrap();
        c.validate().unwrap();
        assert_eq!(
            c.template_preference()[..3],
            [Finger::LeftThumb, Finger::RightThumb, Finger::RightIndex]
        );
    }

    #[test]
    fn the_left_hand_given_for_the_right_slap_is_a_wrong_hand_with_duplicates() {
        let config = MatchingConfig::default();
        let kept: Vec<_> = LEFT.iter().map(|&f| sample(0xD0, f, f, 1)).collect();
        // The left hand again, labelled as the right hand's fingers.
        let new: Vec<_> = LEFT
            .iter()
            .zip(RIGHT)
            .map(|(&f, slot)| sample(0xD0, f, slot, 2))
            .collect();
        let g = cross_check(CaptureTarget::RightSlap, &new, &kept, &config);
        assert_eq!(
            g.first(),
            Some(&Guidance::new(GuidanceCode::WrongHand)),
            "{g:?}"
        );
        let dup: Vec<Finger> = g
            .iter()
            .filter(|g| g.code == GuidanceCode::DuplicateFinger)
            .filter_map(|g| g.finger)
            .collect();
        assert!(dup.len() >= 3, "{g:?}");
        assert!(dup.iter().all(|f| RIGHT.contains(f)), "{g:?}");
        // The real right hand: nothing to say.
        let right: Vec<_> = RIGHT.iter().map(|&f| sample(0xD0, f, f, 2)).collect();
        assert!(cross_check(CaptureTarget::RightSlap, &right, &kept, &config).is_empty());
        // Decided by its own threshold: one nothing reaches finds nothing.
        let lax = MatchingConfig {
            duplicate_threshold: 1000,
            ..config
        };
        assert!(cross_check(CaptureTarget::RightSlap, &new, &kept, &lax).is_empty());
    }

    #[test]
    fn an_index_finger_given_as_a_thumb_is_a_duplicate_of_that_slot_only() {
        let config = MatchingConfig::default();
        let kept: Vec<_> = LEFT.iter().map(|&f| sample(0xD1, f, f, 1)).collect();
        let new = vec![
            sample(0xD1, Finger::LeftIndex, Finger::LeftThumb, 3),
            sample(0xD1, Finger::RightThumb, Finger::RightThumb, 3),
        ];
        let g = cross_check(CaptureTarget::Thumbs, &new, &kept, &config);
        assert_eq!(
            g,
            vec![Guidance::finger(
                GuidanceCode::DuplicateFinger,
                Finger::LeftThumb
            )]
        );
    }
}
