//! Fingerprint minutiae templates and 1:1 comparison for card activation and enrolment checks.
//!
//! - [`extract`] finds the minutiae of a 500 ppi finger image with MINDTCT (`fprint-mindtct`, a
//!   pure Rust port of NIST NBIS) and keeps the most reliable ones, as many as fit the chip's
//!   byte budget ([`ExtractOptions`]).
//! - A [`Template`] travels in the ISO/IEC 19794-2 compact card format
//!   ([`Template::to_compact_card`], [`Template::from_compact_card`]), written and read by
//!   `rekam_iso19794::fmr`.
//! - [`compare`] scores two templates with BOZORTH3, the NBIS matcher, and a [`MatchThreshold`]
//!   decides. [`MatchThreshold::DEFAULT`] is calibrated on synthetic impressions for a false
//!   match rate of at most 0.1 % (see `tests/accuracy.rs`). A template compared several times
//!   (the chip's, over the attempts of an activation) can be prepared once:
//!   [`Template::prepare`], [`compare_prepared`].
//!
//! The detector is a well-kept port (`fprint-mindtct`) that reproduces the NBIS tool's output.
//! The matcher is our own implementation of BOZORTH3 ([`bozorth`]): the port `fprint-bozorth3`
//! reproduces the NBIS scores too but takes 15 times our 5 ms budget on a genuine pair, so we
//! wrote one organised for speed, and test that its scores equal `fprint-bozorth3`'s exactly
//! (`tests/oracle.rs`), which keeps the calibration NBIS's.
//!
//! # Conventions
//!
//! MINDTCT reports NIST `xyt` minutiae: origin at the bottom left, y up, the direction in degrees
//! counter-clockwise from east, pointing the NIST way. ISO/IEC 19794-2 (like ANSI/INCITS 378,
//! MINDTCT's `-m1` output) puts the origin at the top left, y down, and measures the direction
//! counter-clockwise as seen on the image, 180° from the NIST direction. A template holds ISO
//! record minutiae (pixels, 1/256 turn); the conversions are [`Template`]'s helpers and the
//! comparison converts back to NIST `xyt` ([`Template::to_nist_xyt`]), which BOZORTH3 expects.
//!
//! MINDTCT does not tell ridge endings from bifurcations in its `xyt` output, so every minutia
//! has the ISO type "other" (code 0), which the standard allows.

#![forbid(unsafe_code)]

pub mod bozorth;
mod error;
mod region;

use std::fmt;

use region::Region;
use rekam_hal::{PixelFormat, RawImage};
use rekam_iso19794::fmr::{CardMinutia, CompactCardTemplate, Minutia, MinutiaType};
use rekam_iso19794::Redacted;

pub use bozorth::{Matcher, PreparedTemplate};
pub use error::{ErrorKind, MatchError, Result};

/// The resolution every template is at, pixels per inch.
pub const PPI: u16 = 500;
/// [`PPI`] in pixels per centimetre, as ISO/IEC 19794-2 records it (196.85, rounded).
pub const PPCM: u16 = 197;
/// Minutiae a compact card template may hold at one position (0.1 mm cell). MINDTCT removes
/// minutiae closer than a few pixels, so a real print puts one there, rarely two after the
/// card's rounding; more is a crafted template.
pub const MAX_AT_ONE_POSITION: usize = 3;
/// Fewest minutiae a template may have: BOZORTH3 scores 0 below this.
pub const MIN_MINUTIAE: usize = bozorth::MIN_COMPUTABLE_MINUTIAE;
/// Bytes one minutia takes in the compact card format.
pub const CARD_MINUTIA_LEN: usize = CompactCardTemplate::MINUTIA_LEN;
/// Largest spread, in pixels at 500 ppi, of minutiae that the compact card format can hold
/// (one byte of 0.1 mm: 25.5 mm, less a unit for rounding).
pub const MAX_CARD_SPAN_PX: u16 = 500;

/// How [`extract`] caps a template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtractOptions {
    /// Most minutiae to keep, the most reliable first. BOZORTH3's work grows fast with the
    /// count and genuine scores barely improve past about 50. Default 50.
    pub max_minutiae: usize,
    /// Most bytes the template may take in the compact card format (3 per minutia). Default
    /// 150: two index-finger templates in 300 bytes of the chip.
    pub byte_budget: usize,
}

impl Default for ExtractOptions {
    fn default() -> Self {
        ExtractOptions {
            max_minutiae: 50,
            byte_budget: 150,
        }
    }
}

impl ExtractOptions {
    /// How many minutiae a template keeps: the smaller of the two caps. Fails when that is
    /// under [`MIN_MINUTIAE`] or over 255 (the ISO record's count).
    pub fn cap(&self) -> Result<usize> {
        let cap = self.max_minutiae.min(self.byte_budget / CARD_MINUTIA_LEN);
        if cap < MIN_MINUTIAE {
            return Err(MatchError::Options(
                "the caps leave fewer than 10 minutiae (30 bytes) per template",
            ));
        }
        if cap > 255 {
            return Err(MatchError::Options("a template holds at most 255 minutiae"));
        }
        Ok(cap)
    }
}

/// A minutiae template: ISO/IEC 19794-2 record minutiae at 500 ppi (pixels from the top left,
/// directions in 1/256 turn, type "other"), the most reliable first.
///
/// Its minutiae always fit the compact card format (a spread of at most 25.5 mm).
#[derive(Clone, PartialEq, Eq)]
pub struct Template {
    minutiae: Redacted<Vec<Minutia>>,
}

/// A template is wiped from memory when dropped (personal data; clones are wiped each on
/// their own drop).
impl Drop for Template {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.minutiae.0);
    }
}

impl fmt::Debug for Template {
    // Minutiae are biometric data: only their number is shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Template")
            .field("minutiae", &self.minutiae.len())
            .finish()
    }
}

impl Template {
    /// The minutiae, the most reliable first (card order for a template read from a card).
    pub fn minutiae(&self) -> &[Minutia] {
        &self.minutiae
    }

    /// How many minutiae.
    pub fn len(&self) -> usize {
        self.minutiae.len()
    }

    /// Whether there are none (never, for a template from [`extract`] or a valid card).
    pub fn is_empty(&self) -> bool {
        self.minutiae.is_empty()
    }

    /// The template in the ISO/IEC 19794-2 compact card format: 3 bytes per minutia, in
    /// template order.
    ///
    /// The card's coordinates are one byte of 0.1 mm each, so they start at the minutiae's
    /// top-left corner (the smallest x and y) rather than the image's: BOZORTH3 does not depend
    /// on where a print lies. Directions are rounded to 1/64 turn.
    pub fn to_compact_card(&self) -> Result<Vec<u8>> {
        // Relative coordinates are taken in whole card units (x - x0 in units, not in pixels),
        // so that reading a card and writing it again gives the same bytes.
        let x0 = self
            .minutiae
            .iter()
            .map(|m| card_units(m.x))
            .min()
            .unwrap_or(0);
        let y0 = self
            .minutiae
            .iter()
            .map(|m| card_units(m.y))
            .min()
            .unwrap_or(0);
        let card = self
            .minutiae
            .iter()
            .map(|m| {
                let shifted = Minutia {
                    x: card_px(card_units(m.x) - x0),
                    y: card_px(card_units(m.y) - y0),
                    ..*m
                };
                // Pixels to 0.1 mm and 1/256 to 1/64 turn, by the ISO reader's rules.
                CardMinutia::from_record(&shifted, PPCM, PPCM)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(CompactCardTemplate {
            minutiae: Redacted(card),
        }
        .to_bytes()?)
    }

    /// Reads a template from the ISO/IEC 19794-2 compact card format: coordinates from 0.1 mm
    /// to pixels at 500 ppi, directions from 1/64 to 1/256 turn. Fails on malformed bytes, on
    /// fewer than [`MIN_MINUTIAE`] minutiae, and on a degenerate template (more than
    /// [`MAX_AT_ONE_POSITION`] minutiae at one card position: BOZORTH3's cluster search
    /// explodes on such a template, 11 on one point take seconds and 20 minutes).
    pub fn from_compact_card(bytes: &[u8]) -> Result<Template> {
        let card = CompactCardTemplate::from_bytes(bytes)?;
        if card.minutiae.len() < MIN_MINUTIAE {
            return Err(MatchError::TooFewMinutiae {
                found: card.minutiae.len(),
                needed: MIN_MINUTIAE,
            });
        }
        let mut positions: Vec<(u8, u8)> = card.minutiae.iter().map(|c| (c.x, c.y)).collect();
        positions.sort_unstable();
        let crowded = positions
            .chunk_by(|a, b| a == b)
            .map(<[_]>::len)
            .max()
            .unwrap_or(0);
        if crowded > MAX_AT_ONE_POSITION {
            return Err(MatchError::Degenerate {
                count: crowded,
                max: MAX_AT_ONE_POSITION,
            });
        }
        let minutiae = card
            .minutiae
            .iter()
            .map(|c| Minutia {
                kind: c.kind,
                x: card_px(u16::from(c.x)),
                y: card_px(u16::from(c.y)),
                angle: c.angle.wrapping_mul(4),
                quality: None,
            })
            .collect();
        Ok(Template {
            minutiae: Redacted(minutiae),
        })
    }

    /// The minutiae as BOZORTH3 takes them: NIST `xyt` triples `(x, y, direction in degrees)`
    /// (see the crate doc), in template order.
    pub fn to_nist_xyt(&self) -> Vec<(i32, i32, i32)> {
        self.minutiae
            .iter()
            .map(|m| {
                (
                    i32::from(m.x),
                    // Any fixed origin will do (translation does not change the score) as long
                    // as the coordinates stay positive.
                    XYT_ORIGIN_Y - i32::from(m.y),
                    nist_theta(m.angle),
                )
            })
            .collect()
    }

    /// The template ready for repeated comparisons (its BOZORTH3 pair table built once).
    pub fn prepare(&self) -> PreparedTemplate {
        PreparedTemplate::from_xyt(&self.to_nist_xyt())
    }
}

/// Pixels to card units of 0.1 mm, rounded as `CardMinutia::from_record` rounds.
fn card_units(px: u16) -> u16 {
    ((u32::from(px) * 100 + u32::from(PPCM) / 2) / u32::from(PPCM)) as u16
}

/// Card units of 0.1 mm to pixels, rounded; `card_units(card_px(u)) == u`.
fn card_px(units: u16) -> u16 {
    ((u32::from(units) * u32::from(PPCM) + 50) / 100) as u16
}

/// The y of the NIST origin in template pixels (above every ISO y, which is 14 bits).
const XYT_ORIGIN_Y: i32 = 1 << 14;

/// A NIST `xyt` direction (degrees, 0..360) as an ISO direction (1/256 turn).
fn iso_angle(nist_theta: i32) -> u8 {
    let deg = (nist_theta + 180).rem_euclid(360);
    (((deg * 256 + 180) / 360) % 256) as u8
}

/// An ISO direction (1/256 turn) as a NIST `xyt` direction (degrees, 0..360).
fn nist_theta(iso_angle: u8) -> i32 {
    let deg = (i32::from(iso_angle) * 360 + 128) / 256;
    (deg + 180) % 360
}

/// Finds the minutiae of a finger image and keeps the most reliable `options.cap()` of them
/// that fit the compact card format together.
///
/// MINDTCT runs on the part of the image that holds the print (the platen around it is
/// left out, which saves about a third of the time; see `region.rs`).
///
/// The image is 8-bit grey (RGB is converted) at 500 ppi; an image without a resolution is
/// taken to be at 500 ppi. Fails on an image the detector cannot take, on another resolution
/// and when fewer than [`MIN_MINUTIAE`] minutiae are found.
pub fn extract(image: &RawImage, options: &ExtractOptions) -> Result<Template> {
    let cap = options.cap()?;
    if let Some(ppi) = image.ppi {
        // 2 % either way: 490-510 ppi.
        if u32::from(ppi.abs_diff(PPI)) * 50 > u32::from(PPI) {
            return Err(MatchError::Resolution { ppi });
        }
    }
    if !image.is_consistent() {
        return Err(MatchError::Image {
            reason: format!(
                "{} bytes do not make a {}x{} image",
                image.data.len(),
                image.width,
                image.height
            ),
        });
    }
    let grey;
    let pixels: &[u8] = match image.format {
        PixelFormat::Gray8 => &image.data,
        PixelFormat::Rgb8 => {
            grey = image
                .data
                .chunks_exact(3)
                .map(|p| {
                    // ITU-R BT.601 luma in integers.
                    ((u32::from(p[0]) * 299 + u32::from(p[1]) * 587 + u32::from(p[2]) * 114) / 1000)
                        as u8
                })
                .collect::<Vec<u8>>();
            &grey
        }
    };
    let (w, h) = (image.width as usize, image.height as usize);
    // MINDTCT on the print's region only: the same minutiae (to a pixel) in two thirds of the time.
    let iso = minutiae_in(pixels, w, h, Region::of(pixels, w, h))?;
    let kept = most_reliable_fitting(iso, cap);
    if kept.len() < MIN_MINUTIAE {
        return Err(MatchError::TooFewMinutiae {
            found: kept.len(),
            needed: MIN_MINUTIAE,
        });
    }
    Ok(Template {
        minutiae: Redacted(kept),
    })
}

/// MINDTCT's minutiae in `region` of a `w` x `h` grey image, in the whole image's ISO
/// coordinates, each with its reliability (0-100).
fn minutiae_in(pixels: &[u8], w: usize, h: usize, region: Region) -> Result<Vec<(i32, Minutia)>> {
    let cut;
    let pixels = if region.is_whole(w, h) {
        pixels
    } else {
        cut = region.cut(pixels, w);
        &cut
    };
    let gray =
        fprint_mindtct::GrayImage::new(pixels, region.width, region.height, PPI).map_err(|e| {
            MatchError::Image {
                reason: e.to_string(),
            }
        })?;
    let found = fprint_mindtct::detect_minutiae(gray);
    let (dx, dy) = (i32::try_from(region.x), i32::try_from(region.y));
    let (Ok(dx), Ok(dy), Ok(rh)) = (dx, dy, i32::try_from(region.height)) else {
        return Err(MatchError::Image {
            reason: format!("a {w}x{h} image is too large"),
        });
    };
    Ok(found
        .iter()
        .filter_map(|m| {
            // NIST y runs 1..=height upward; ISO y 0..height downward.
            let y = dy + rh - m.y;
            Some((
                m.quality,
                Minutia {
                    kind: MinutiaType::Other,
                    x: u16::try_from(dx + m.x).ok()?,
                    y: u16::try_from(y).ok()?,
                    angle: iso_angle(m.theta),
                    quality: u8::try_from(m.quality.clamp(0, 100)).ok(),
                },
            ))
        })
        .collect())
}

/// The `cap` most reliable minutiae whose spread fits the card, most reliable first.
///
/// When the `cap` most reliable ones spread further than [`MAX_CARD_SPAN_PX`] along an axis,
/// the window along that axis that holds most of them is kept and the rest of the cap is
/// filled from the minutiae inside it.
fn most_reliable_fitting(mut all: Vec<(i32, Minutia)>, cap: usize) -> Vec<Minutia> {
    // Stable: equal qualities keep MINDTCT's order, so the result is deterministic.
    all.sort_by_key(|(q, _)| std::cmp::Reverse(*q));
    let top: Vec<Minutia> = all.iter().take(cap).map(|(_, m)| *m).collect();
    let window = |coord: fn(&Minutia) -> u16| -> (u16, u16) {
        let lo = top.iter().map(coord).min().unwrap_or(0);
        let hi = top.iter().map(coord).max().unwrap_or(0);
        if hi - lo <= MAX_CARD_SPAN_PX {
            return (lo, hi);
        }
        // The window start (at a minutia) that holds the most of the top minutiae.
        let mut best = (0usize, lo);
        for start in top.iter().map(coord) {
            let n = top
                .iter()
                .map(coord)
                .filter(|&c| c >= start && c - start <= MAX_CARD_SPAN_PX)
                .count();
            if n > best.0 || (n == best.0 && start < best.1) {
                best = (n, start);
            }
        }
        (best.1, best.1.saturating_add(MAX_CARD_SPAN_PX))
    };
    let (x_lo, x_hi) = window(|m| m.x);
    let (y_lo, y_hi) = window(|m| m.y);
    all.into_iter()
        .map(|(_, m)| m)
        .filter(|m| (x_lo..=x_hi).contains(&m.x) && (y_lo..=y_hi).contains(&m.y))
        .take(cap)
        .collect()
}

/// A BOZORTH3 comparison score: 0 for unrelated prints, higher for more corresponding ridge
/// structure (no upper bound; 4000 flags the matcher's overflow on pathological input).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Score(pub u32);

/// The score from which two templates are taken to be of one finger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MatchThreshold(pub u32);

impl MatchThreshold {
    /// Targets a false match rate of at most 0.1 %. Calibrated on synthetic impressions
    /// (`tests/accuracy.rs`: 100 fingers x 3 impressions, templates of
    /// [`ExtractOptions::default`], the reference through the compact card format): the
    /// threshold at FMR 0.1 % came out at 62-65 on sets of 9 900-14 280 impostor
    /// comparisons, the highest impostor score at 75-77 and the lowest genuine score at 65-82
    /// (figures in BENCHMARKS.md). The station takes its threshold from `[matching]`.
    /// 70 sits between, with margin for the FMR. (NBIS suggests 40 for uncapped templates of
    /// real prints: capping to 50 minutiae lowers impostor and genuine scores alike, but our
    /// synthetic impostors still reach the 60s.)
    pub const DEFAULT: MatchThreshold = MatchThreshold(70);

    /// Whether `score` is a match.
    pub fn accepts(self, score: Score) -> bool {
        score.0 >= self.0
    }
}

impl Default for MatchThreshold {
    fn default() -> Self {
        MatchThreshold::DEFAULT
    }
}

/// Compares a live `probe` with an enrolled `reference` (the chip's template).
///
/// BOZORTH3 is not symmetric; the order here is fixed so that scores are comparable with the
/// calibration. To compare one reference with several probes, prepare it once and use
/// [`compare_prepared`].
pub fn compare(reference: &Template, probe: &Template) -> Score {
    compare_prepared(&reference.prepare(), &probe.prepare())
}

/// [`compare`] on prepared templates: the same score, without rebuilding their pair tables.
pub fn compare_prepared(reference: &PreparedTemplate, probe: &PreparedTemplate) -> Score {
    // NBIS's order: the live print is BOZORTH3's probe, the reference its gallery.
    Score(Matcher::new().score(probe, reference))
}

/// The outcome of a verification: the score and the decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verification {
    /// The comparison score.
    pub score: Score,
    /// Whether the score reaches the threshold.
    pub matched: bool,
}

/// Compares `probe` with `reference` and decides with `threshold`.
pub fn verify(reference: &Template, probe: &Template, threshold: MatchThreshold) -> Verification {
    verify_prepared(&reference.prepare(), &probe.prepare(), threshold)
}

/// [`verify`] on prepared templates.
pub fn verify_prepared(
    reference: &PreparedTemplate,
    probe: &PreparedTemplate,
    threshold: MatchThreshold,
) -> Verification {
    let score = compare_prepared(reference, probe);
    Verification {
        score,
        matched: threshold.accepts(score),
    }
}

#[cfg(test)]
mod tests;
