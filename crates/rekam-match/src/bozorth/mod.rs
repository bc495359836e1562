//! Our implementation of NIST NBIS BOZORTH3, the minutiae matcher, built for repeated 1:1
//! comparisons of small templates (at most 50 minutiae each).
//!
//! # Why we wrote it
//!
//! `fprint-bozorth3` (a pure Rust port of NBIS) reproduces the NBIS scores, but a genuine
//! comparison of two 50-minutia templates took 65-78 ms there, 15 times the 5 ms target of
//! issue 4: about three quarters of it in the clustering stage, which rescans the whole
//! compatibility list for every minutia it queues. This module follows the algorithm as NBIS
//! documents it (user guide, "BOZORTH3"), decision for decision, so that the scores stay those of
//! NBIS, and changes only how the work is organised:
//!
//! - a [`PreparedTemplate`] holds a print's sorted minutiae and its pruned pair table (stage 1),
//!   computed once; the chip's reference template is prepared once per activation and reused
//!   over the attempts;
//! - the compatibility list (stage 2) is indexed, so that the clustering's look-ups for "the
//!   pairs leaving this probe minutia towards that gallery minutia" visit only those rows, in
//!   list order, instead of scanning the list;
//! - cluster endpoint sets are bit sets, and every work buffer is sized once per comparison;
//! - NBIS's enumeration of alternative pairings (an odometer over the choices, most of whose
//!   combinations fail) passes over a whole block of combinations when their common prefix
//!   already conflicts and failing them provably changes nothing, and a minutia queued again
//!   re-takes only the rows whose take can still act (`cluster`'s docs give the reasons).
//!
//! `fprint-bozorth3` is kept as a dev-dependency: it is the oracle of `tests/oracle.rs`, which
//! requires our score to equal its score exactly on thousands of pairs.
//!
//! # Stages
//!
//! 1. Pair table ([`PreparedTemplate::from_xyt`]): for every two minutiae less than 125 px apart, the
//!    squared distance, the two angles the ridges make with the line joining them and that
//!    line's direction; sorted by (distance, smaller angle, larger angle), cut near 75 px.
//! 2. Compatibility list (`compatible_pairs`): the pairs of pair-table rows, one per print,
//!    with the same length (within 5 %) and the same relative angles (within 11°).
//! 3. Clustering (`cluster`): grow chains of compatible rows that pair probe and gallery
//!    minutiae one to one, keep those of consistent rotation, and combine compatible clusters;
//!    the score is the largest number of rows so combined.

mod cluster;

/// Squared longest distance between two minutiae of one pair-table row (125 px).
const MAX_DIST_SQ: i32 = 125 * 125;
/// Longest x step between two minutiae of a row (the table is built in x order).
const MAX_DX: i32 = 125;
/// Squared distance at which the pair table is cut (75 px)...
const CUT_DIST_SQ: i32 = 75 * 75;
/// ...unless that leaves fewer rows than this.
const MIN_KEPT_ROWS: usize = 500;
/// Relative tolerance on pair lengths (single precision, as NBIS).
const LENGTH_TOLERANCE: f32 = 0.05;
/// Squared angle tolerance (11°); squares from here up to [`ANGLE_WRAP_SQ`] differ.
pub(crate) const ANGLE_TOL_SQ: i32 = 11 * 11;
/// Squared 349°: differences near a full turn agree.
pub(crate) const ANGLE_WRAP_SQ: i32 = 349 * 349;
/// The pair and compatibility tables stop at this many rows.
const TABLE_LIMIT: usize = 19_999;
/// Minutiae BOZORTH3 keeps of a print (its default `-n`).
pub(crate) const MAX_MINUTIAE: usize = 150;
/// Fewest minutiae for a computable score.
pub const MIN_COMPUTABLE_MINUTIAE: usize = 10;
/// A pair table row's angle carries this offset when its two angles were swapped.
const SWAP_FLAG: i32 = 400;

/// Folds a degree value into (-180, 180] with one step of a turn.
pub(crate) fn fold180(deg: i32) -> i32 {
    if deg > 180 {
        deg - 360
    } else if deg <= -180 {
        deg + 360
    } else {
        deg
    }
}

/// Rounds half away from zero, in single precision, as NBIS's `ROUND`.
pub(crate) fn round_away(f: f32) -> i32 {
    if f < 0.0 {
        (f - 0.5) as i32
    } else {
        (f + 0.5) as i32
    }
}

/// Whether two angles (or angle differences) squared are outside the tolerance.
pub(crate) fn angles_differ(diff: i32) -> bool {
    let sq = i64::from(diff) * i64::from(diff);
    sq > i64::from(ANGLE_TOL_SQ) && sq < i64::from(ANGLE_WRAP_SQ)
}

/// One row of a pair table: two minutiae of one print less than 125 px apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, zeroize::Zeroize)]
struct PairRow {
    /// Squared distance.
    dist_sq: i32,
    /// The smaller of the two ridge-to-line angles.
    beta_lo: i32,
    /// The larger one.
    beta_hi: i32,
    /// First minutia, 1-based in the sorted print.
    first: i32,
    /// Second minutia (after the first in x order).
    second: i32,
    /// Direction of the line from first to second, plus [`SWAP_FLAG`] when `beta_lo` is the
    /// second minutia's angle.
    line: i32,
}

/// A template ready for BOZORTH3: its minutiae in (x, y) order in NIST `xyt` terms and its
/// pruned pair table. Build it once per template and compare it many times.
#[derive(Clone)]
pub struct PreparedTemplate {
    xs: Vec<i32>,
    ys: Vec<i32>,
    pairs: Vec<PairRow>,
}

impl Drop for PreparedTemplate {
    // Minutiae are biometric data: wiped, as `Template`'s are, when the template goes.
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.xs.zeroize();
        self.ys.zeroize();
        self.pairs.zeroize();
    }
}

impl std::fmt::Debug for PreparedTemplate {
    // Minutiae are biometric data: only sizes are shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedTemplate")
            .field("minutiae", &self.xs.len())
            .field("pairs", &self.pairs.len())
            .finish()
    }
}

impl PreparedTemplate {
    /// Prepares NIST `xyt` minutiae (x right, y up, direction in degrees 0..360). The first 150
    /// are kept, as BOZORTH3 keeps them.
    pub fn from_xyt(minutiae: &[(i32, i32, i32)]) -> PreparedTemplate {
        let mut sorted: Vec<(i32, i32, i32)> = minutiae
            .iter()
            .take(MAX_MINUTIAE)
            .map(|&(x, y, t)| (x, y, if t > 180 { t - 360 } else { t }))
            .collect();
        // Stable: minutiae on one pixel keep their order.
        sorted.sort_by_key(|&(x, y, _)| (x, y));
        let pairs = pair_table(&sorted);
        PreparedTemplate {
            xs: sorted.iter().map(|m| m.0).collect(),
            ys: sorted.iter().map(|m| m.1).collect(),
            pairs,
        }
    }

    /// How many minutiae BOZORTH3 uses.
    pub fn len(&self) -> usize {
        self.xs.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.xs.is_empty()
    }
}

/// The direction in whole degrees of the line from a minutia to one `dx`, `dy` away (`dx >= 0`),
/// NBIS's `atanf` in single precision rounded in double.
fn line_direction(dx: i32, dy: i32) -> i32 {
    if dx == 0 {
        return 90;
    }
    let deg: f32 = (180.0_f32 / std::f32::consts::PI) * (dy as f32 / dx as f32).atan();
    let wide = f64::from(deg);
    (if wide < 0.0 { wide - 0.5 } else { wide + 0.5 }) as i32
}

/// Stage 1: the sorted, pruned pair table of minutiae in (x, y) order.
fn pair_table(m: &[(i32, i32, i32)]) -> Vec<PairRow> {
    let mut rows = Vec::with_capacity(m.len() * 8);
    'all: for (a, &(xa, ya, ta)) in m.iter().enumerate() {
        for (b, &(xb, yb, tb)) in m.iter().enumerate().skip(a + 1) {
            // Anti-parallel ridges make no row.
            if (tb > 0 && ta == tb - 180) || (tb <= 0 && ta == tb + 180) {
                continue;
            }
            let dx = xb.wrapping_sub(xa);
            let dy = yb.wrapping_sub(ya);
            let d2 = i64::from(dx) * i64::from(dx) + i64::from(dy) * i64::from(dy);
            if d2 > i64::from(MAX_DIST_SQ) {
                if dx > MAX_DX {
                    // Every later minutia is further right still.
                    break;
                }
                continue;
            }
            let line = line_direction(dx, dy);
            let beta_a = fold180(line.wrapping_sub(ta));
            let beta_b = fold180(line.wrapping_sub(tb).wrapping_add(180));
            let (beta_lo, beta_hi, line) = if beta_a < beta_b {
                (beta_a, beta_b, line)
            } else {
                (beta_b, beta_a, line + SWAP_FLAG)
            };
            rows.push(PairRow {
                dist_sq: d2 as i32,
                beta_lo,
                beta_hi,
                first: a as i32 + 1,
                second: b as i32 + 1,
                line,
            });
            if rows.len() == TABLE_LIMIT {
                break 'all;
            }
        }
    }
    rows.sort_by_key(|r| (r.dist_sq, r.beta_lo, r.beta_hi));
    let keep = kept_rows(&rows);
    rows.truncate(keep);
    rows
}

/// How many rows of a sorted pair table stay: NBIS's bisection for the 75 px cut (rows at
/// exactly 75 px stay, and so does the first row beyond), but never fewer than 500 rows when
/// there are that many.
fn kept_rows(sorted: &[PairRow]) -> usize {
    let total = sorted.len();
    // Bisection over 1-based positions, as NBIS runs it: it ends one past the last row found
    // within the cut, or at the last probe.
    let (mut lo, mut hi) = (0usize, total + 1);
    let mut mid = 1usize;
    let mut within = false;
    while hi - lo > 1 {
        mid = (lo + hi) / 2;
        within = sorted[mid - 1].dist_sq <= CUT_DIST_SQ;
        if within {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let cut = if within { mid + 1 } else { mid };
    let kept = cut.min(total);
    if kept < MIN_KEPT_ROWS {
        total.min(MIN_KEPT_ROWS)
    } else {
        kept
    }
}

/// One compatible pair of pair-table rows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, zeroize::Zeroize)]
pub(crate) struct Compat {
    /// Rotation from the gallery row to the probe row, degrees in (-180, 180].
    pub rot: i32,
    /// Probe minutia paired with `g_first`.
    pub p_first: i32,
    /// Probe minutia paired with `g_second`.
    pub p_second: i32,
    /// Gallery minutia paired with `p_first`.
    pub g_first: i32,
    /// Gallery minutia paired with `p_second`.
    pub g_second: i32,
}

/// Stage 2: every probe row paired with every gallery row of about its length and angles,
/// sorted by (probe first, gallery first, probe second), ties in generation order.
///
/// Both tables are sorted by length, so a cursor over the gallery rows only moves forward. As in
/// NBIS, the last probe row is never paired.
fn compatible_pairs(probe: &[PairRow], gallery: &[PairRow], out: &mut Vec<Compat>) {
    out.clear();
    let band = 2.0_f32 * LENGTH_TOLERANCE;
    let mut start = 0usize;
    'probe: for p in probe.iter().take(probe.len().saturating_sub(1)) {
        let mut gi = start;
        while let Some(g) = gallery.get(gi) {
            let diff = (g.dist_sq - p.dist_sq) as f32;
            let tol = band * ((g.dist_sq + p.dist_sq) as f32);
            if diff * diff > tol * tol {
                if diff < 0.0 {
                    // Too short for this probe row, and so for every later (longer) one.
                    start = gi + 1;
                    gi += 1;
                    continue;
                }
                break;
            }
            gi += 1;
            if angles_differ(p.beta_lo - g.beta_lo) || angles_differ(p.beta_hi - g.beta_hi) {
                continue;
            }
            let (p_line, p_swapped) = unflag(p.line);
            let (g_line, g_swapped) = unflag(g.line);
            let rot = fold180(p_line - g_line);
            let (g_first, g_second) = if p_swapped == g_swapped {
                (g.first, g.second)
            } else {
                (g.second, g.first)
            };
            out.push(Compat {
                rot,
                p_first: p.first,
                p_second: p.second,
                g_first,
                g_second,
            });
            if out.len() == TABLE_LIMIT {
                break 'probe;
            }
        }
    }
    out.sort_by_key(|c| (c.p_first, c.g_first, c.p_second));
}

/// A pair row's line direction without the swap flag, and the flag. (NBIS tests the flag with
/// a threshold of 220 and takes 580 off, which leaves the direction less 180.)
fn unflag(line: i32) -> (i32, bool) {
    if line >= 220 {
        (line - 580, true)
    } else {
        (line, false)
    }
}

/// Work buffers of one comparison, reusable for the next.
pub struct Matcher {
    compat: Vec<Compat>,
    clusters: cluster::Clusterer,
}

impl Default for Matcher {
    fn default() -> Self {
        Matcher::new()
    }
}

impl Drop for Matcher {
    // What the comparison derived from the minutiae goes with it.
    fn drop(&mut self) {
        self.wipe();
    }
}

impl std::fmt::Debug for Matcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Matcher").finish_non_exhaustive()
    }
}

impl Matcher {
    /// Empty buffers; they grow to the largest comparison made and stay.
    pub fn new() -> Matcher {
        Matcher {
            compat: Vec::new(),
            clusters: cluster::Clusterer::default(),
        }
    }

    /// Wipes what the last comparison derived from the minutiae (done on drop).
    fn wipe(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.compat);
        self.clusters.wipe();
    }

    /// The BOZORTH3 score of `probe` against `gallery` (NBIS's argument order: the score is not
    /// symmetric). 0 when either has fewer than [`MIN_COMPUTABLE_MINUTIAE`] minutiae.
    pub fn score(&mut self, probe: &PreparedTemplate, gallery: &PreparedTemplate) -> u32 {
        if probe.len() < MIN_COMPUTABLE_MINUTIAE || gallery.len() < MIN_COMPUTABLE_MINUTIAE {
            return 0;
        }
        compatible_pairs(&probe.pairs, &gallery.pairs, &mut self.compat);
        let s = self.clusters.score(
            &self.compat,
            cluster::Side {
                xs: &probe.xs,
                ys: &probe.ys,
            },
            cluster::Side {
                xs: &gallery.xs,
                ys: &gallery.ys,
            },
        );
        s.max(0) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_matcher_wipes_what_it_derived() {
        // 24 minutiae spread over a print, and the same print shifted: a strong match.
        let print: Vec<(i32, i32, i32)> = (0..24)
            .map(|i| (40 + (i * 37) % 200, 60 + (i * 53) % 240, (i * 47) % 360))
            .collect();
        let shifted: Vec<(i32, i32, i32)> =
            print.iter().map(|&(x, y, t)| (x + 9, y - 5, t)).collect();
        let (a, b) = (
            PreparedTemplate::from_xyt(&print),
            PreparedTemplate::from_xyt(&shifted),
        );
        let mut m = Matcher::new();
        assert!(m.score(&a, &b) > 20);
        assert!(!m.compat.is_empty() && !m.clusters.is_wiped());
        m.wipe();
        assert!(m.compat.is_empty() && m.clusters.is_wiped());
        // And it still compares after a wipe.
        assert!(m.score(&a, &b) > 20);
    }

    #[test]
    fn line_directions_round_half_away() {
        assert_eq!(line_direction(0, 5), 90);
        assert_eq!(line_direction(10, 10), 45);
        assert_eq!(line_direction(10, -10), -45);
        assert_eq!(line_direction(10, 0), 0);
    }

    #[test]
    fn the_cut_keeps_everything_under_the_floor() {
        let row = |d| PairRow {
            dist_sq: d,
            beta_lo: 0,
            beta_hi: 0,
            first: 1,
            second: 2,
            line: 0,
        };
        assert_eq!(kept_rows(&[]), 0);
        assert_eq!(kept_rows(&vec![row(10_000); 20]), 20);
        assert_eq!(kept_rows(&vec![row(CUT_DIST_SQ); 1200]), 1200);
        assert_eq!(kept_rows(&vec![row(CUT_DIST_SQ + 1); 1200]), MIN_KEPT_ROWS);
        // NBIS's cut lands one past the last row within 75 px: it keeps the first row beyond.
        let mut mixed = vec![row(100); 700];
        mixed.extend(vec![row(CUT_DIST_SQ + 1); 300]);
        assert_eq!(kept_rows(&mixed), 701);
    }
}
