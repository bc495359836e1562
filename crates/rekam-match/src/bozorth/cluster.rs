//! Stage 3 of BOZORTH3: clusters of compatible pair rows, and the score.
//!
//! For each not yet used row of the compatibility list (a "seed"), a breadth-first walk pairs
//! probe minutiae with gallery minutiae one to one: the seed's probe minutia is queued; for each
//! queued probe minutia, the rows that continue from it (to its gallery partner) are taken into
//! the path, pairing their other ends ([`Clusterer::take`]). Rows whose ends are already paired
//! otherwise record the alternative pairings, and the walk is repeated for every consistent
//! combination of them (an odometer over at most 10 alternative groups). A path of at least 3
//! rows whose rotations agree becomes a cluster; clusters of agreeing rotation and placement
//! with no minutia in common are combined, and the score is the largest combined row count.
//!
//! Every decision follows NBIS (including the places where it reads one array with an index
//! meant for another, see [`Clusterer::queue_pos_quirk`]): the scores must be NBIS's. What
//! differs is the organisation: the rows continuing from a (probe minutia, gallery minutia) are
//! found through an index built once per comparison instead of a scan of the whole list,
//! endpoint sets are bit sets, and the buffers are kept between comparisons. The odometer over
//! alternative pairings visits NBIS's combinations in NBIS's order but skips, a block at a time,
//! those that fail without any effect ([`Clusterer::next_combination`]; checked against NBIS's
//! odometer as written by a unit test), and a key visited again in a walk re-takes only the
//! rows whose take could act again ([`Clusterer::take`]).

use zeroize::Zeroize;

use super::{fold180, round_away, Compat, LENGTH_TOLERANCE};

/// Rows a path needs to become a cluster.
const MIN_PATH: i32 = 3;
/// Below this best cluster size, clusters are not combined.
const MIN_COMBINE: i32 = 8;
/// Most alternative-pairing groups per seed.
const MAX_GROUPS: usize = 10;
/// Capacity of the work queue; NBIS scores this on overflow.
const QUEUE_CAP: usize = 4000;
/// Clustering stops after this many clusters.
const MAX_CLUSTERS: usize = 2000;
/// "Not queued" in the queue-position array.
const NOT_QUEUED: i32 = 1000;

/// One print's minutiae coordinates, 1-based ids as index + 1.
pub(crate) struct Side<'a> {
    pub xs: &'a [i32],
    pub ys: &'a [i32],
}

/// A set of minutia ids (1..=255) as bits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Zeroize)]
struct IdSet([u64; 4]);

impl IdSet {
    fn insert(&mut self, id: i32) {
        let id = (id as usize) & 255;
        self.0[id >> 6] |= 1 << (id & 63);
    }

    /// The ids, ascending.
    fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.0.iter().enumerate().flat_map(|(w, &bits)| {
            let mut rest = bits;
            std::iter::from_fn(move || {
                (rest != 0).then(|| {
                    let b = rest.trailing_zeros() as usize;
                    rest &= rest - 1;
                    w * 64 + b
                })
            })
        })
    }
}

/// A group of alternative pairings of one minutia, found when a row's end was already paired
/// with another.
#[derive(Debug, Clone)]
struct Group {
    /// The probe minutia (positive) or the gallery minutia (negated) the group is about.
    anchor: i32,
    /// The partners it may take: gallery ids for a probe anchor, probe ids for a gallery one
    /// (distinct ids, so at most 150), inline for the odometer's sake.
    alternatives: [i32; MAX_ALTERNATIVES],
    /// How many of `alternatives` are in use.
    n_alternatives: usize,
    /// Which alternative is in use, 1-based.
    chosen: usize,
    /// The probe minutia this group's choice paired, for undoing it.
    applied: i32,
}

impl Default for Group {
    fn default() -> Self {
        Group {
            anchor: 0,
            alternatives: [0; MAX_ALTERNATIVES],
            n_alternatives: 0,
            chosen: 0,
            applied: 0,
        }
    }
}

impl Group {
    /// Adds `id` to the alternatives unless present.
    fn offer(&mut self, id: i32) {
        let n = self.n_alternatives;
        if !self.alternatives[..n].contains(&id) && n < MAX_ALTERNATIVES {
            self.alternatives[n] = id;
            self.n_alternatives += 1;
        }
    }
}

/// Most alternatives of a group: one per minutia id.
const MAX_ALTERNATIVES: usize = super::MAX_MINUTIAE;

/// A cluster: a consistent path of rows.
#[derive(Debug, Clone, Default, Zeroize)]
struct Cluster {
    rotation: i32,
    /// Centroids: probe x, probe y, gallery x, gallery y.
    centre: [i32; 4],
    size: i32,
    /// Its size plus the sizes of the later clusters it was combined with.
    combined: i32,
    /// Itself, then the later clusters compatible with it, ascending.
    partners: Vec<u16>,
    probe_ids: IdSet,
    gallery_ids: IdSet,
}

/// The work state of stage 3, kept between comparisons.
#[derive(Debug, Default)]
pub(crate) struct Clusterer {
    /// Rows plus one all-zero row at the end.
    rows: Vec<Compat>,
    /// For each (probe second, gallery second) key, the rows with those ends, ascending: the
    /// rows that continue a path from a queued probe minutia to its partner, each with its
    /// first ends (the walk reads nothing else of them).
    by_second_start: Vec<u32>,
    by_second: Vec<Arrival>,
    /// For each (probe first, gallery first) key, the run of rows (contiguous, the list is
    /// sorted by these) as start..end.
    first_run: Vec<(u32, u32)>,
    n_probe: usize,
    n_gallery: usize,
    /// Gallery partner of each probe id (0: none); index 0 unused.
    probe_partner: IdTable,
    /// Probe partner of each gallery id.
    gallery_partner: IdTable,
    /// Queue position of each probe id, [`NOT_QUEUED`] when not queued.
    queue_pos: Vec<i32>,
    /// Group of each probe id / gallery id (1-based, 0: none).
    probe_group: Vec<usize>,
    gallery_group: Vec<usize>,
    /// Stamp of the path that took each row (0: never, -1: released).
    stamp: Vec<i32>,
    /// The stamp a row had before the current path took it.
    prev_stamp: Vec<i32>,
    queue: Vec<i32>,
    /// Rows of the current path.
    path: Vec<usize>,
    groups: Vec<Group>,
    clusters: Vec<Cluster>,
    /// Emptied partner lists of the previous comparison's clusters, reused by the next one's
    /// (a comparison makes up to [`MAX_CLUSTERS`] clusters, each with a list).
    spare_partners: Vec<Vec<u16>>,
    /// Each cluster's rotation, densely: the first test of combining, on every earlier cluster.
    rotations: Vec<i32>,
    /// Candidate lists of the combination search, one per depth.
    levels: Vec<Vec<u16>>,
    cursors: Vec<usize>,
    /// The walk that last processed each (probe, gallery) key, and the conflicting rows it met
    /// there that can act again (a range of `conflicts`).
    key_walk: Vec<u32>,
    key_conflicts: Vec<(u32, u32)>,
    /// Rows whose take met a conflict that can act again in the current walk, with the ends
    /// they were taken at.
    conflicts: Vec<(usize, i32, i32)>,
    /// For each probe (gallery) id, [`CLUSTER_WORDS`] words of bits: the clusters holding it.
    probe_members: Vec<u64>,
    gallery_members: Vec<u64>,
    /// Clusters sharing a minutia with the new one.
    overlap: Vec<u64>,
    /// The last alternative group with an alternative that is a pairing in place (see
    /// [`Clusterer::block_fails_quietly`]), if any, when `hazard_known`.
    hazard_max: Option<usize>,
    hazard_known: bool,
    /// For the current choices of the first `levels_valid` groups: each one's pair, and per
    /// prefix length the last group of the prefix in a conflict with a later one of it (these
    /// stay valid while the groups keep their choice and contents, across walks);
    level_pair: [(i32, i32); LEVELS],
    level_pair_floor: [Option<usize>; LEVELS + 1],
    levels_valid: usize,
    /// and, as of the pairings in place, whether each pair conflicts with them or is one.
    level_clash: [bool; LEVELS],
    level_in_place: [bool; LEVELS],
}

/// Most alternative groups a walk can hold: a take may create two once below the limit.
const LEVELS: usize = MAX_GROUPS + 2;

/// A value per minutia id, over 256 slots: ids run from 1 to at most
/// [`MAX_MINUTIAE`](super::MAX_MINUTIAE), so masking an index to 8 bits changes no valid one
/// and spares the walk's innermost look-ups their bounds checks.
#[derive(Debug, Clone, PartialEq, Eq)]
struct IdTable([i32; 256]);

const _: () = assert!(super::MAX_MINUTIAE < 256);

impl Default for IdTable {
    fn default() -> Self {
        IdTable([0; 256])
    }
}

impl IdTable {
    /// Every slot back to 0 ("not paired").
    fn clear(&mut self) {
        self.0.fill(0);
    }
}

impl std::ops::Index<usize> for IdTable {
    type Output = i32;
    fn index(&self, id: usize) -> &i32 {
        &self.0[id & 255]
    }
}

impl std::ops::IndexMut<usize> for IdTable {
    fn index_mut(&mut self, id: usize) -> &mut i32 {
        &mut self.0[id & 255]
    }
}

/// A row of the compatibility list as seen from its second ends: its index and first ends.
#[derive(Debug, Clone, Copy, Default, Zeroize)]
struct Arrival {
    row: u32,
    p: i32,
    g: i32,
}

/// Words of a members bit set (one bit per cluster).
const CLUSTER_WORDS: usize = MAX_CLUSTERS.div_ceil(64);

/// The clustering ran out of queue: NBIS's score for it.
struct Overflow;

/// The score NBIS gives on queue overflow.
const OVERFLOW_SCORE: i32 = QUEUE_CAP as i32;

impl Clusterer {
    /// The score of a compatibility list.
    pub(crate) fn score(&mut self, compat: &[Compat], probe: Side<'_>, gallery: Side<'_>) -> i32 {
        self.reset(compat, probe.xs.len(), gallery.xs.len());
        match self.grow_clusters(&probe, &gallery) {
            Ok(best) if best < MIN_COMBINE => best,
            Ok(_) => self.best_combination(),
            Err(Overflow) => OVERFLOW_SCORE,
        }
    }

    /// Wipes what a comparison left that was derived from the minutiae: the compatible rows,
    /// the pairings and the clusters (their centres are minutia coordinates averaged). The
    /// rest is counters and positions in these lists.
    pub(crate) fn wipe(&mut self) {
        self.rows.zeroize();
        self.by_second.zeroize();
        self.probe_partner.0.zeroize();
        self.gallery_partner.0.zeroize();
        self.clusters.zeroize();
        self.spare_partners.zeroize();
        self.rotations.zeroize();
    }

    /// Whether nothing derived from minutiae is left (see [`Clusterer::wipe`]).
    #[cfg(test)]
    pub(crate) fn is_wiped(&self) -> bool {
        self.rows.is_empty()
            && self.by_second.is_empty()
            && self.clusters.is_empty()
            && self.rotations.is_empty()
            && self.probe_partner.0.iter().all(|&v| v == 0)
            && self.gallery_partner.0.iter().all(|&v| v == 0)
    }

    fn reset(&mut self, compat: &[Compat], n_probe: usize, n_gallery: usize) {
        self.rows.clear();
        self.rows.extend_from_slice(compat);
        self.rows.push(Compat::default());
        self.n_probe = n_probe;
        self.n_gallery = n_gallery;
        let np = compat.len();

        // Index by (probe second, gallery second): counting sort keeps rows ascending.
        let keys = (n_probe + 1) * (n_gallery + 1);
        self.by_second_start.clear();
        self.by_second_start.resize(keys + 1, 0);
        for c in compat {
            let k = self.second_key(c);
            self.by_second_start[k + 1] += 1;
        }
        for k in 0..keys {
            self.by_second_start[k + 1] += self.by_second_start[k];
        }
        self.by_second.clear();
        self.by_second.resize(np, Arrival::default());
        // Fill with a moving cursor per key (reusing first_run's storage would alias; use a
        // temporary copy of the starts).
        let mut next: Vec<u32> = self.by_second_start[..keys].to_vec();
        for (i, c) in compat.iter().enumerate() {
            let k = self.second_key(c);
            self.by_second[next[k] as usize] = Arrival {
                row: i as u32,
                p: c.p_first,
                g: c.g_first,
            };
            next[k] += 1;
        }

        self.first_run.clear();
        self.first_run.resize(keys, (0, 0));
        let mut i = 0;
        while i < np {
            let (p, g) = (compat[i].p_first, compat[i].g_first);
            let mut j = i + 1;
            while j < np && compat[j].p_first == p && compat[j].g_first == g {
                j += 1;
            }
            let k = self.key(p, g);
            self.first_run[k] = (i as u32, j as u32);
            i = j;
        }

        let reset = |v: &mut Vec<i32>, n: usize, x: i32| {
            v.clear();
            v.resize(n, x);
        };
        self.probe_partner.clear();
        self.gallery_partner.clear();
        reset(&mut self.queue_pos, n_probe + 1, NOT_QUEUED);
        reset(&mut self.stamp, np + 1, 0);
        reset(&mut self.prev_stamp, np + 1, 0);
        reset(&mut self.queue, QUEUE_CAP, 0);
        self.probe_group.clear();
        self.probe_group.resize(n_probe + 1, 0);
        self.gallery_group.clear();
        self.gallery_group.resize(n_gallery + 1, 0);
        self.path.clear();
        self.groups.resize_with(LEVELS, Group::default);
        for g in &mut self.groups {
            g.anchor = 0;
            g.n_alternatives = 0;
            g.chosen = 0;
            g.applied = 0;
        }
        for c in self.clusters.drain(..) {
            let mut list = c.partners;
            list.clear();
            self.spare_partners.push(list);
        }
        self.rotations.clear();
        self.levels_valid = 0;
        self.key_walk.clear();
        self.key_walk.resize(keys, 0);
        self.key_conflicts.clear();
        self.key_conflicts.resize(keys, (0, 0));
        self.conflicts.clear();
        self.probe_members.clear();
        self.probe_members.resize((n_probe + 1) * CLUSTER_WORDS, 0);
        self.gallery_members.clear();
        self.gallery_members
            .resize((n_gallery + 1) * CLUSTER_WORDS, 0);
    }

    fn key(&self, p: i32, g: i32) -> usize {
        p as usize * (self.n_gallery + 1) + g as usize
    }

    fn second_key(&self, c: &Compat) -> usize {
        self.key(c.p_second, c.g_second)
    }

    /// NBIS reads the queue-position array with a row number (1-based) where it means a probe
    /// id; past the probe ids the array holds its initial "not queued".
    fn queue_pos_quirk(&self, row_number: usize) -> i32 {
        self.queue_pos
            .get(row_number)
            .copied()
            .unwrap_or(NOT_QUEUED)
    }

    /// Takes row `r` (probe `p` to gallery `g`) into the current path, stamped `stamp`, if its
    /// ends are free or already paired with each other; otherwise records the alternative.
    /// True when the same take, repeated later in this walk, could act again.
    ///
    /// Within a walk, pairings are only added and groups are never dropped. So once a take has
    /// found its ends free or paired with each other, taking the row again at either end does
    /// nothing (its ends are paired with each other and it bears the stamp), while a row that
    /// met a conflict meets one again. That repeated conflict finds the groups this one made
    /// and the alternatives it offered (offers skip ids already there), so it acts only if an
    /// end that was free here has been paired since, and the group limit still allows: only
    /// such takes are worth repeating.
    #[inline(always)]
    fn take(
        &mut self,
        r: usize,
        p: i32,
        g: i32,
        stamp: i32,
        groups: &mut usize,
        qh: &mut usize,
    ) -> Result<bool, Overflow> {
        let pu = p as usize;
        let gu = g as usize;
        let p_partner = self.probe_partner[pu];
        let g_partner = self.gallery_partner[gu];
        if p_partner == 0 && g_partner == 0 {
            self.stamp_row(r, stamp);
            self.enqueue(p, qh)?;
            self.probe_partner[pu] = g;
            self.gallery_partner[gu] = p;
            return Ok(false);
        }
        if p_partner == g {
            if self.stamp[r] != stamp {
                if self.queue_pos_quirk(r + 1) == NOT_QUEUED {
                    self.enqueue(p, qh)?;
                }
                self.stamp_row(r, stamp);
            }
            return Ok(false);
        }
        if *groups >= MAX_GROUPS {
            // The count never drops within a walk: a repeat would stop here too.
            return Ok(false);
        }
        if p_partner != 0 {
            let b = self.group_for(true, pu, p, p_partner, groups);
            self.groups[b - 1].offer(g);
        }
        if g_partner != 0 {
            let b = self.group_for(false, gu, -g, g_partner, groups);
            self.groups[b - 1].offer(p);
        }
        Ok(p_partner == 0 || g_partner == 0)
    }

    /// The group of a probe (or gallery) minutia, created with its current partner first.
    fn group_for(
        &mut self,
        probe_side: bool,
        id: usize,
        anchor: i32,
        partner: i32,
        groups: &mut usize,
    ) -> usize {
        let existing = if probe_side {
            self.probe_group[id]
        } else {
            self.gallery_group[id]
        };
        if existing != 0 {
            return existing;
        }
        *groups += 1;
        let b = *groups;
        // A new group (or a reused slot): the noted choices stop before it.
        self.levels_valid = self.levels_valid.min(b - 1);
        if probe_side {
            self.probe_group[id] = b;
        } else {
            self.gallery_group[id] = b;
        }
        let grp = &mut self.groups[b - 1];
        grp.anchor = anchor;
        grp.n_alternatives = 0;
        grp.offer(partner);
        grp.chosen = 1;
        b
    }

    #[inline(always)]
    fn stamp_row(&mut self, r: usize, stamp: i32) {
        if self.stamp[r] != stamp {
            self.path.push(r);
            self.prev_stamp[r] = self.stamp[r];
            self.stamp[r] = stamp;
        }
    }

    #[inline(always)]
    fn enqueue(&mut self, p: i32, qh: &mut usize) -> Result<(), Overflow> {
        if *qh >= QUEUE_CAP {
            return Err(Overflow);
        }
        self.queue[*qh] = p;
        self.queue_pos[p as usize] = *qh as i32;
        *qh += 1;
        Ok(())
    }

    /// Takes the run of rows from `start` that share its (probe first, gallery first), noting
    /// conflicts in `conflicts` when `note`.
    fn take_run(
        &mut self,
        start: usize,
        stamp: i32,
        groups: &mut usize,
        qh: &mut usize,
        note: bool,
    ) -> Result<(), Overflow> {
        let (p, g) = (self.rows[start].p_first, self.rows[start].g_first);
        let mut r = start;
        loop {
            let c = self.rows[r];
            if self.take(r, c.p_second, c.g_second, stamp, groups, qh)? && note {
                self.conflicts.push((r, c.p_second, c.g_second));
            }
            r += 1;
            if !(self.rows[r].g_first == g && self.rows[r].p_first == p) {
                return Ok(());
            }
        }
    }

    /// Clusters every seed; the best single cluster size.
    fn grow_clusters(&mut self, probe: &Side<'_>, gallery: &Side<'_>) -> Result<i32, Overflow> {
        let np = self.rows.len() - 1;
        let mut best = 0;
        let mut stamp = 0i32;
        let mut walk = 0u32;
        for k in 0..np.saturating_sub(1) {
            if self.stamp[k] != 0 {
                continue;
            }
            let seed = self.rows[k];
            self.queue[0] = seed.p_first;
            self.gallery_partner[seed.g_first as usize] = seed.p_first;
            self.probe_partner[seed.p_first as usize] = seed.g_first;
            let mut groups = 0usize;
            let mut applied_groups = 0usize;
            loop {
                stamp += 1;
                self.path.clear();
                let mut qh = 1usize;
                self.take_run(k, stamp, &mut groups, &mut qh, false)?;
                walk += 1;
                self.conflicts.clear();
                // First row after the seed's run.
                let run_end = self.first_run[self.key(seed.p_first, seed.g_first)].1 as usize;
                let after_seed = run_end.max(k + 1);
                let mut j = 1usize;
                while j < qh {
                    let p = self.queue[j];
                    let g = self.probe_partner[p as usize];
                    if g > 0 && (g as usize) <= self.n_gallery {
                        let key = self.key(p, g);
                        if self.key_walk[key] == walk {
                            // (p, g) again (NBIS queues a minutia more than once): only the
                            // conflicting rows that can act again do, in the same order (see
                            // `take`).
                            let (a, b) = self.key_conflicts[key];
                            for c in a as usize..b as usize {
                                let (r, cp, cg) = self.conflicts[c];
                                self.take(r, cp, cg, stamp, &mut groups, &mut qh)?;
                            }
                            j += 1;
                            continue;
                        }
                        self.key_walk[key] = walk;
                        let noted = self.conflicts.len() as u32;
                        // Rows arriving at (p, g) after the seed's run.
                        let lo = self.by_second_start[key] as usize;
                        let hi = self.by_second_start[key + 1] as usize;
                        let from = lo
                            + self.by_second[lo..hi]
                                .partition_point(|a| (a.row as usize) < after_seed);
                        for idx in from..hi {
                            let a = self.by_second[idx];
                            let i = a.row as usize;
                            if a.p != seed.p_first
                                && a.g != seed.g_first
                                && self.take(i, a.p, a.g, stamp, &mut groups, &mut qh)?
                            {
                                self.conflicts.push((i, a.p, a.g));
                            }
                        }
                        // Rows leaving from (p, g), if any lies after the seed's run.
                        let (rs, re) = self.first_run[key];
                        if re > rs && re as usize > after_seed {
                            self.take_run(rs as usize, stamp, &mut groups, &mut qh, true)?;
                        }
                        self.key_conflicts[key] = (noted, self.conflicts.len() as u32);
                    }
                    j += 1;
                }

                let mut tot = self.path.len() as i32;
                if tot >= MIN_PATH {
                    let rot = self.mean_rotation(self.path.iter().map(|&r| self.rows[r].rot), tot);
                    let rows = &self.rows;
                    self.path.retain(|&r| !angles_differ_i32(rows[r].rot - rot));
                    tot = self.path.len() as i32;
                }
                if tot < MIN_PATH {
                    for &r in self.path.iter().rev() {
                        let prev = self.prev_stamp[r];
                        self.stamp[r] = if prev == 0 { -1 } else { prev };
                    }
                    stamp -= 1;
                } else {
                    self.add_cluster(tot, probe, gallery, &mut best);
                }

                // Undo this walk's pairings (not the seed's, unless queued again).
                for i in (1..qh).rev() {
                    let p = self.queue[i] as usize;
                    let g = self.probe_partner[p];
                    if g > 0 {
                        self.gallery_partner[g as usize] = 0;
                        self.probe_partner[p] = 0;
                        self.queue_pos[p] = NOT_QUEUED;
                    }
                }
                for i in (0..applied_groups).rev() {
                    let p = self.groups[i].applied as usize;
                    self.unpair(p);
                }
                let more = self.next_combination(groups);
                if self.clusters.len() >= MAX_CLUSTERS {
                    return Ok(best);
                }
                applied_groups = groups;
                if !more {
                    break;
                }
            }
            let p = self.queue[0] as usize;
            self.unpair(p);
            for grp in &self.groups[..groups] {
                if grp.anchor < 0 {
                    self.gallery_group[(-grp.anchor) as usize] = 0;
                } else {
                    self.probe_group[grp.anchor as usize] = 0;
                }
            }
        }
        Ok(best)
    }

    /// Unpairs probe id `p` (index 0 is never paired).
    fn unpair(&mut self, p: usize) {
        let g = self.probe_partner[p];
        if g > 0 {
            self.gallery_partner[g as usize] = 0;
            self.probe_partner[p] = 0;
        }
    }

    /// NBIS's mean of rotations in (-180, 180] that may straddle the half turn.
    fn mean_rotation(&self, rots: impl Iterator<Item = i32>, count: i32) -> i32 {
        let (mut pos_sum, mut pos_n, mut neg_sum, mut neg_n) = (0i32, 0i32, 0i32, 0i32);
        for r in rots {
            if r < 0 {
                neg_sum += r;
                neg_n += 1;
            } else {
                pos_sum += r;
                pos_n += 1;
            }
        }
        mean_of(pos_sum, pos_n, neg_sum, neg_n, count as f32)
    }

    /// Makes a cluster of the current path and combines it with the earlier compatible ones.
    fn add_cluster(&mut self, tot: i32, probe: &Side<'_>, gallery: &Side<'_>, best: &mut i32) {
        let mut sums = [0i32; 4];
        let mut probe_ids = IdSet::default();
        let mut gallery_ids = IdSet::default();
        for &r in &self.path {
            let c = self.rows[r];
            let p = (c.p_first - 1) as usize;
            let g = (c.g_first - 1) as usize;
            sums[0] = sums[0].wrapping_add(probe.xs[p]);
            sums[1] = sums[1].wrapping_add(probe.ys[p]);
            sums[2] = sums[2].wrapping_add(gallery.xs[g]);
            sums[3] = sums[3].wrapping_add(gallery.ys[g]);
            probe_ids.insert(c.p_first);
            probe_ids.insert(c.p_second);
            gallery_ids.insert(c.g_first);
            gallery_ids.insert(c.g_second);
        }
        let rotation = self.mean_rotation(self.path.iter().map(|&r| self.rows[r].rot), tot);
        let id = self.clusters.len();
        let new = Cluster {
            rotation,
            centre: sums.map(|s| s / tot),
            size: tot,
            combined: tot,
            partners: {
                let mut list = self.spare_partners.pop().unwrap_or_default();
                list.push(id as u16);
                list
            },
            probe_ids,
            gallery_ids,
        };
        *best = (*best).max(tot);
        // The earlier clusters sharing a minutia with the new one, from the members index.
        let words = id.div_ceil(64);
        self.overlap.clear();
        self.overlap.resize(words, 0);
        for (ids, members) in [
            (&new.probe_ids, &self.probe_members),
            (&new.gallery_ids, &self.gallery_members),
        ] {
            for m in ids.iter() {
                let row = &members[m * CLUSTER_WORDS..m * CLUSTER_WORDS + words];
                for (o, w) in self.overlap.iter_mut().zip(row) {
                    *o |= w;
                }
            }
        }
        // The others, in any order: each update touches only its own cluster, and `best` is a
        // maximum.
        for (w, &shared) in self.overlap.iter().enumerate() {
            let mut free = !shared;
            if w + 1 == words && !id.is_multiple_of(64) {
                free &= (1u64 << (id % 64)) - 1;
            }
            while free != 0 {
                let k = w * 64 + free.trailing_zeros() as usize;
                free &= free - 1;
                // `compatible`'s first test, on the dense copy of the rotations.
                if angles_differ_i32(rotation - self.rotations[k]) {
                    continue;
                }
                let old = &mut self.clusters[k];
                if compatible(&new, old) {
                    old.combined += new.size;
                    *best = (*best).max(old.combined);
                    old.partners.push(id as u16);
                }
            }
        }
        let bit = 1u64 << (id % 64);
        for m in new.probe_ids.iter() {
            self.probe_members[m * CLUSTER_WORDS + id / 64] |= bit;
        }
        for m in new.gallery_ids.iter() {
            self.gallery_members[m * CLUSTER_WORDS + id / 64] |= bit;
        }
        self.clusters.push(new);
        self.rotations.push(rotation);
    }

    /// Advances the choices of the alternative groups to the next consistent combination and
    /// applies it; false when there is none left (every choice back at 1).
    ///
    /// NBIS runs an odometer over the choices (group 0 the most significant digit): it steps to
    /// the next combination in lexicographic order, applies the choices from the last group
    /// down, and on the first one that cannot be applied unpairs the probe minutiae of the
    /// groups applied so far and steps on. Most combinations fail, and stepping through them
    /// one by one was a third of a genuine comparison. We visit the same combinations in the
    /// same order, a block at a time: a block is all the combinations sharing the current
    /// choices of the first `fixed` groups, the others running through all their choices.
    /// When those fixed choices already conflict, every combination of the block fails; and
    /// when, moreover, none of them can apply a choice that is already paired (which NBIS's
    /// unpairing would then remove), failing changes nothing at all, so the block is passed
    /// over whole ([`Clusterer::block_fails_quietly`]). Every other combination is tried
    /// exactly as NBIS tries it ([`Clusterer::attempt`]).
    fn next_combination(&mut self, groups: usize) -> bool {
        if groups == 0 {
            return false;
        }
        // The walk has changed the pairings in place since the last call: what depends on
        // them is noted again; the pairs the choices make, and their mutual conflicts, stay
        // noted for the groups that kept their choice and contents.
        for k in self.levels_valid.min(groups)..groups {
            self.set_level(k);
        }
        self.levels_valid = groups;
        self.note_in_place(groups);
        // The current combination is a block of one; the choices of groups `fixed..` are all at
        // 1, as the odometer's carry leaves them.
        let mut fixed = groups;
        loop {
            // The next block: step the last fixed choice, carrying to the left.
            loop {
                let k = fixed - 1;
                if self.groups[k].chosen < self.groups[k].n_alternatives {
                    self.groups[k].chosen += 1;
                    break;
                }
                self.groups[k].chosen = 1;
                fixed -= 1;
                if fixed == 0 {
                    self.levels_valid = 0;
                    return false;
                }
            }
            self.set_level(fixed - 1);
            // Into the block, its first combination first.
            loop {
                if self.block_fails_quietly(fixed, groups) {
                    break;
                }
                if fixed == groups {
                    if self.attempt(groups) {
                        return true;
                    }
                    // The failure may have unpaired a pairing in place.
                    self.note_in_place(groups);
                    break;
                }
                fixed += 1;
                self.groups[fixed - 1].chosen = 1;
                self.set_level(fixed - 1);
            }
        }
    }

    /// Notes the pair group `k` chooses now and the conflicts among the choices of groups
    /// `..=k` (those of `..k` noted already), and how the pair stands to the pairings in place.
    fn set_level(&mut self, k: usize) {
        let (p, g) = self.choice(k, self.groups[k].chosen);
        self.level_pair[k] = (p, g);
        // Two pairs conflict when they share exactly one end.
        let conflict = (0..k).rev().find(|&i| {
            let (q, h) = self.level_pair[i];
            (q == p) != (h == g)
        });
        self.level_pair_floor[k + 1] = self.level_pair_floor[k].max(conflict);
        self.note_level_in_place(k);
    }

    /// [`Clusterer::note_level_in_place`] for groups `..groups`, and the hazard note.
    fn note_in_place(&mut self, groups: usize) {
        for k in 0..groups {
            self.note_level_in_place(k);
        }
        self.hazard_max = None;
        self.hazard_known = false;
    }

    /// Notes whether group `k`'s chosen pair conflicts with the pairings in place, or is one.
    fn note_level_in_place(&mut self, k: usize) {
        let (p, g) = self.level_pair[k];
        let pp = self.probe_partner[p as usize];
        let gp = self.gallery_partner[g as usize];
        self.level_clash[k] = (pp != 0 && pp != g) || (gp != 0 && gp != p);
        self.level_in_place[k] = pp == g;
    }

    /// Whether every combination of the block whose first `fixed` choices are the current ones
    /// fails without changing any pairing, so that NBIS's odometer would step through them for
    /// nothing.
    ///
    /// Such a combination fails if a fixed choice conflicts with the pairings in place or with
    /// another fixed choice. NBIS applies the choices from the last group down and stops at the
    /// first failure, which cannot come before the lower group of such a conflict: the
    /// largest such group is the block's floor, and only groups above it can have been applied.
    /// Applying a pair and unpairing it again leaves the pairings as they were, unless the pair
    /// was in place before: then the unpairing removes it. So the block is quiet if no group
    /// above the floor can choose a pair in place: the fixed ones are checked, the free ones
    /// through [`Clusterer::hazard_max`].
    fn block_fails_quietly(&mut self, fixed: usize, groups: usize) -> bool {
        let clash = (0..fixed).rev().find(|&k| self.level_clash[k]);
        let Some(floor) = self.level_pair_floor[fixed].max(clash) else {
            return false;
        };
        if self.level_in_place[floor + 1..fixed].contains(&true) {
            return false;
        }
        if !self.hazard_known {
            self.refresh_hazard(groups);
        }
        self.hazard_max.is_none_or(|h| h < fixed)
    }

    /// Notes in [`Clusterer::hazard_max`] the last group with an alternative already paired.
    fn refresh_hazard(&mut self, groups: usize) {
        self.hazard_max = (0..groups).rev().find(|&z| {
            (1..=self.groups[z].n_alternatives).any(|d| {
                let (p, g) = self.choice(z, d);
                self.probe_partner[p as usize] == g
            })
        });
        self.hazard_known = true;
    }

    /// The (probe, gallery) pair that alternative `d` (1-based) of group `i` makes.
    fn choice(&self, i: usize, d: usize) -> (i32, i32) {
        let grp = &self.groups[i];
        let alt = grp.alternatives[d - 1];
        if grp.anchor < 0 {
            (alt, -grp.anchor)
        } else {
            (grp.anchor, alt)
        }
    }

    /// One step of NBIS's odometer on the current combination: applies the choices from the
    /// last group down; on a failure unpairs the probe minutiae of those applied and says false.
    fn attempt(&mut self, groups: usize) -> bool {
        for i in (0..groups).rev() {
            if !self.apply_choice(i) {
                for z in i + 1..groups {
                    let p = self.groups[z].applied as usize;
                    self.unpair(p);
                }
                return false;
            }
        }
        true
    }

    /// Pairs group `i`'s anchor with its chosen alternative; false if either is paired
    /// otherwise.
    fn apply_choice(&mut self, i: usize) -> bool {
        let grp = &self.groups[i];
        let alt = grp.alternatives[grp.chosen - 1];
        let (p, g) = if grp.anchor < 0 {
            (alt, -grp.anchor)
        } else {
            (grp.anchor, alt)
        };
        let (pu, gu) = (p as usize, g as usize);
        let pp = self.probe_partner[pu];
        let gp = self.gallery_partner[gu];
        if (pp != g && pp != 0) || (gp != p && gp != 0) {
            return false;
        }
        self.probe_partner[pu] = g;
        self.gallery_partner[gu] = p;
        self.groups[i].applied = p;
        true
    }

    /// The largest total size of a set of mutually combinable clusters, searched as NBIS does.
    fn best_combination(&mut self) -> i32 {
        let mut best = 0i32;
        let n = self.clusters.len();
        if self.levels.len() < n + 2 {
            self.levels.resize_with(n + 2, Vec::new);
            self.cursors.resize(n + 2, 0);
        }
        for start in 0..n {
            if best >= self.clusters[start].combined {
                continue;
            }
            self.levels[0].clear();
            let first = &self.clusters[start].partners;
            self.levels[0].extend_from_slice(first);
            self.cursors[0] = 1;
            let mut t = 0usize;
            let mut b = 0usize;
            let mut from = 0usize;
            loop {
                let len = self.levels[t].len();
                if len > self.cursors[t] + 1 {
                    let cur = self.cursors[t];
                    let k = self.levels[t][cur] as usize;
                    let (lower, upper) = self.levels.split_at_mut(t + 1);
                    intersect(&lower[t][cur..], &self.clusters[k].partners, &mut upper[0]);
                    t += 1;
                    self.cursors[t] = 1;
                    b = t;
                    from = 0;
                } else {
                    let mut tot: i32 = self.levels[t][from.min(len)..]
                        .iter()
                        .map(|&c| self.clusters[c as usize].size)
                        .sum();
                    tot += self.levels[..b]
                        .iter()
                        .map(|l| self.clusters[l[0] as usize].size)
                        .sum::<i32>();
                    best = best.max(tot);
                    b = t;
                    if t == 0 {
                        break;
                    }
                    t -= 1;
                    self.cursors[t] += 1;
                    from = self.levels[t].len().saturating_sub(1);
                }
            }
        }
        best
    }
}

/// Squared difference outside the angle tolerance, in `i32` as NBIS computes this one.
fn angles_differ_i32(diff: i32) -> bool {
    let sq = diff.wrapping_mul(diff);
    sq > super::ANGLE_TOL_SQ && sq < super::ANGLE_WRAP_SQ
}

/// NBIS's mean rotation from the sums and counts of the non-negative and negative ones.
fn mean_of(pos_sum: i32, mut pos_n: i32, neg_sum: i32, mut neg_n: i32, count: f32) -> i32 {
    if neg_n == 0 {
        neg_n = 1;
    } else if pos_n == 0 {
        pos_n = 1;
    }
    let spread = pos_sum as f32 / pos_n as f32 - neg_sum as f32 / neg_n as f32;
    let mean = if spread > 180.0 {
        let m = (pos_sum + neg_sum + neg_n * 360) as f32 / count;
        if m > 180.0 {
            m - 360.0
        } else {
            m
        }
    } else {
        (pos_sum + neg_sum) as f32 / count
    };
    let r = round_away(mean);
    if r <= -180 {
        r + 360
    } else {
        r
    }
}

/// Whether a new cluster can be combined with an earlier one with which it shares no minutia:
/// same rotation, centroids the same distance apart in both prints and in the same direction.
/// (NBIS tests the shared minutiae last; the tests have no side effects, so the cheap one goes
/// first, through the members index.)
fn compatible(new: &Cluster, old: &Cluster) -> bool {
    if angles_differ_i32(new.rotation - old.rotation) {
        return false;
    }
    let d = |i: usize| new.centre[i].wrapping_sub(old.centre[i]);
    let (dpx, dpy, dgx, dgy) = (d(0), d(1), d(2), d(3));
    let sq = |a: i32, b: i32| (i64::from(a) * i64::from(a) + i64::from(b) * i64::from(b)) as f32;
    let probe_d = sq(dpx, dpy);
    let gallery_d = sq(dgy, dgx);
    let tol = (2.0_f32 * LENGTH_TOLERANCE) * (probe_d + gallery_d);
    let diff = probe_d - gallery_d;
    if diff * diff > tol * tol {
        return false;
    }
    let probe_dir = vector_angle(dpy, dpx);
    let gallery_dir = vector_angle(dgy, dgx);
    let (a, b) = (new.rotation, old.rotation);
    let (mut ps, mut pn, mut ns, mut nn) = (0, 0, 0, 0);
    for r in [a, b] {
        if r < 0 {
            ns += r;
            nn += 1;
        } else {
            ps += r;
            pn += 1;
        }
    }
    let mean = mean_of(ps, pn, ns, nn, 2.0);
    let turn = fold180(probe_dir - gallery_dir);
    !angles_differ_i32(mean - turn)
}

/// The direction in whole degrees of the vector (`dx`, `dy`), in (-180, 180], as NBIS computes
/// it from a single-precision arctangent (and -90 for the null vector).
fn vector_angle(dy: i32, dx: i32) -> i32 {
    if dx == 0 {
        return if dy > 0 { 90 } else { -90 };
    }
    let mut f: f32 = (180.0_f32 / std::f32::consts::PI) * (dy as f32 / dx as f32).atan();
    f += match (f < 0.0, dx < 0) {
        (true, true) => 180.5,
        (true, false) => -0.5,
        (false, true) => -180.5,
        (false, false) => 0.5,
    };
    let a = f as i32;
    if a <= -180 {
        a + 360
    } else {
        a
    }
}

/// The sorted intersection of two ascending lists into `out`.
fn intersect(a: &[u16], b: &[u16], out: &mut Vec<u16>) {
    out.clear();
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                out.push(a[i]);
                i += 1;
                j += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Clusterer {
        /// NBIS's odometer as it is written, one combination at a time: the reference for
        /// [`Clusterer::next_combination`].
        fn next_combination_odometer(&mut self, groups: usize) -> bool {
            let n = groups as isize;
            let mut i: isize = 0;
            let mut j: isize = n - 1;
            while i >= 0 && j >= 0 {
                let ju = j as usize;
                if self.groups[ju].chosen < self.groups[ju].n_alternatives {
                    self.groups[ju].chosen += 1;
                    i = n - 1;
                    while i >= 0 {
                        if !self.apply_choice(i as usize) {
                            break;
                        }
                        i -= 1;
                    }
                    if i >= 0 {
                        for z in (i + 1) as usize..groups {
                            let p = self.groups[z].applied as usize;
                            self.unpair(p);
                        }
                        j = n - 1;
                    }
                } else {
                    self.groups[ju].chosen = 1;
                    j -= 1;
                }
            }
            j >= 0
        }
    }

    /// A small xorshift generator: the test needs many cases, not a distribution.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }
    }

    /// Random alternative groups over few minutiae (so that choices conflict often), with
    /// pairings in place that are often among the alternatives (NBIS's unpairing of those is
    /// what the block skipping must not skip).
    fn random_state(seed: u64) -> (Clusterer, usize, Vec<(usize, bool, usize)>) {
        const IDS: usize = 6;
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let mut c = Clusterer {
            probe_group: vec![0; IDS + 1],
            gallery_group: vec![0; IDS + 1],
            ..Clusterer::default()
        };
        c.groups.resize_with(LEVELS, Group::default);
        let mut groups = 0;
        let n_groups = 1 + rng.below(MAX_GROUPS + 1);
        for _ in 0..n_groups {
            let probe_side = rng.below(2) == 0;
            let id = 1 + rng.below(IDS);
            let partner = 1 + rng.below(IDS) as i32;
            let anchor = if probe_side { id as i32 } else { -(id as i32) };
            let b = c.group_for(probe_side, id, anchor, partner, &mut groups);
            for _ in 0..rng.below(4) {
                c.groups[b - 1].offer(1 + rng.below(IDS) as i32);
            }
            c.groups[b - 1].chosen = 1 + rng.below(c.groups[b - 1].n_alternatives);
        }
        // Pairings in place: some alternatives, some at random.
        for _ in 0..rng.below(4) {
            let (p, g) = if rng.below(2) == 0 {
                let z = rng.below(groups);
                c.choice(z, 1 + rng.below(c.groups[z].n_alternatives))
            } else {
                (1 + rng.below(IDS) as i32, 1 + rng.below(IDS) as i32)
            };
            let (pu, gu) = (p as usize, g as usize);
            if c.probe_partner[pu] == 0 && c.gallery_partner[gu] == 0 {
                c.probe_partner[pu] = g;
                c.gallery_partner[gu] = p;
            }
        }
        // Groups that later walks would add, with their alternatives.
        let later = (0..rng.below(3))
            .map(|_| (1 + rng.below(IDS), rng.below(2) == 0, 1 + rng.below(IDS)))
            .collect();
        (c, groups, later)
    }

    #[test]
    fn block_skipping_visits_the_combinations_of_nbis_odometer() {
        let mut with_hazard = 0;
        for seed in 0..30_000u64 {
            let (mut fast, mut groups, later) = random_state(seed);
            let (mut slow, _, _) = random_state(seed);
            let mut later = later.into_iter();
            for step in 0..200 {
                fast.refresh_hazard(groups);
                with_hazard += usize::from(fast.hazard_max.is_some());
                let more = fast.next_combination(groups);
                assert_eq!(more, slow.next_combination_odometer(groups), "seed {seed}");
                assert_eq!(fast.probe_partner, slow.probe_partner, "seed {seed} {step}");
                assert_eq!(fast.gallery_partner, slow.gallery_partner, "seed {seed}");
                for z in 0..groups {
                    assert_eq!(fast.groups[z].chosen, slow.groups[z].chosen, "seed {seed}");
                    if more {
                        assert_eq!(fast.groups[z].applied, slow.groups[z].applied);
                    }
                }
                if !more {
                    break;
                }
                // As after a walk: its pairings undone, perhaps a group more.
                for c in [&mut fast, &mut slow] {
                    for z in (0..groups).rev() {
                        let p = c.groups[z].applied as usize;
                        c.unpair(p);
                    }
                }
                if let Some((id, probe_side, partner)) = later.next() {
                    let mut n = groups;
                    for c in [&mut fast, &mut slow] {
                        n = groups;
                        let anchor = if probe_side { id as i32 } else { -(id as i32) };
                        if n < LEVELS - 1 {
                            let b = c.group_for(probe_side, id, anchor, partner as i32, &mut n);
                            c.groups[b - 1].offer((id % 6 + 1) as i32);
                        }
                    }
                    groups = n;
                }
            }
        }
        // The cases must include pairings in place among the alternatives.
        assert!(with_hazard > 1000, "{with_hazard}");
    }

    #[test]
    fn vector_angles_cover_the_turn() {
        assert_eq!(vector_angle(1, 0), 90);
        assert_eq!(vector_angle(0, 0), -90);
        assert_eq!(vector_angle(10, -10), 135);
        assert_eq!(vector_angle(-10, -10), -135);
        assert_eq!(vector_angle(0, -10), 180);
    }

    #[test]
    fn means_straddle_the_half_turn() {
        // 170 and -170 average to 180, not 0.
        assert_eq!(mean_of(170, 1, -170, 1, 2.0), 180);
        assert_eq!(mean_of(10, 1, -20, 1, 2.0), -5);
    }
}
