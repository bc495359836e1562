//! Master prints: the ridge pattern of one finger, grown by contextual Gabor filtering.
//!
//! This is SFinGe's ridge-pattern step (Cappelli, Maio and Maltoni): an empty image holding a
//! few random seeds is filtered again and again, each pixel with the even Gabor filter tuned to
//! the local ridge orientation and period of the [`FlowModel`](super::orientation::FlowModel),
//! and clipped to `[-1, 1]`. The tuned wave grows out of every seed until ridges fill the
//! fingertip; where two growing ridge systems meet out of step, and where the flow diverges or
//! converges, ridges end or fork: the minutiae arise by themselves, and they belong to the
//! master, so every impression of it carries the same ones.
//!
//! Choices made here, for speed:
//! - the pattern is grown at half resolution (250 ppi: a 4-5.5 px period is still well above
//!   the 2 px Nyquist limit), and impressions sample it with Catmull-Rom interpolation;
//! - the filters come from a quantised bank (36 orientations by 13 periods, 9x9 taps), as in
//!   SFinGe;
//! - only 8x8 blocks where something changed in the last pass (or next to one) are filtered
//!   again, so the early passes only touch the growing fronts and the late ones the few
//!   places still settling;
//! - a last pass with the even and odd filter of each pixel stores the ridge wave normalised to
//!   its local amplitude (`cos` of the local ridge phase), so an impression can move the ridge
//!   edge (pressure, dryness) by shifting a threshold.
//!
//! Generated masters are kept in a small process-wide cache ([`MasterPrint::cached`]): the
//! simulated scanner asks for the same fingers on every attempt.

use std::collections::HashMap;
use std::f32::consts::{PI, TAU};
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};

use rekam_hal::{Finger, PixelFormat, RawImage, SimIdentity};

use super::orientation::PERIOD_RANGE;
use super::{FingerPattern, PatternClass, PPI};
use crate::synth::SimRng;

/// Pixels of the full-resolution (500 ppi) image per master cell.
const SCALE: f32 = 2.0;
/// Kernel radius in master cells.
const R: usize = 4;
/// Kernel side.
const K: usize = 2 * R + 1;
/// Orientation bins in the filter bank.
const N_ORIENT: usize = 36;
/// Period bins (full-resolution pixels, `PERIOD_RANGE.0 + PERIOD_STEP * k`).
const PERIOD_STEP: f32 = 0.25;
const N_PERIOD: usize = 13;
/// Block side for the change tracking, in cells.
const BLOCK: usize = 8;
/// Filter gain: above 1 the tuned wave grows until the clip holds it.
const GAIN: f32 = 3.0;
/// A pass that moves no cell of a block by more than this leaves the block alone.
const SETTLED: f32 = 0.04;
/// Passes at most (the growth usually fills the pad in 20-30).
const MAX_PASSES: usize = 64;
/// The share of the pad's cells that must hold a ridge or valley (not a ridge flank) before
/// the growth may stop.
const FILLED: f32 = 0.7;
/// Passes after the pad is filled, for the fronts' seams to settle.
const SETTLE_PASSES: usize = 5;
/// Extra margin (cells) filtered around the silhouette so ridges reach its rim at full
/// strength.
const MARGIN: f32 = 6.0;

/// The outline of a fingertip: an elliptical top and a squarer bottom toward the crease
/// (in the manner of SFinGe's silhouette of four arcs around a rectangle), in pattern
/// coordinates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Silhouette {
    /// Half width.
    pub half_width: f32,
    /// From the centre to the tip.
    pub top: f32,
    /// From the centre to the crease.
    pub bottom: f32,
}

impl Silhouette {
    /// The natural outline of `finger` (thumbs widest, little fingers smallest).
    pub fn of(finger: Finger) -> Self {
        let (w, h) = match finger {
            Finger::RightThumb | Finger::LeftThumb => (148.0, 206.0),
            Finger::RightIndex | Finger::LeftIndex => (126.0, 182.0),
            Finger::RightMiddle | Finger::LeftMiddle => (130.0, 190.0),
            Finger::RightRing | Finger::LeftRing => (126.0, 182.0),
            Finger::RightLittle | Finger::LeftLittle => (108.0, 156.0),
        };
        Silhouette {
            half_width: w,
            top: h,
            bottom: h,
        }
    }

    /// A signed, normalised distance: below 1 inside, 1 on the rim.
    pub fn level(&self, u: f32, v: f32) -> f32 {
        let x = (u / self.half_width).abs();
        if v < 0.0 {
            let y = v / self.top;
            (x * x + y * y).sqrt()
        } else {
            let y = v / self.bottom;
            (x * x * x + y * y * y).cbrt()
        }
    }

    /// 1 inside, fading to 0 over the last few pixels of the rim.
    #[inline]
    pub fn mask(&self, u: f32, v: f32) -> f32 {
        // The fade spans levels 29/30 to 1: skip the roots well inside.
        const INNER: f32 = 29.0 / 30.0;
        let x = (u / self.half_width).abs();
        let level = if v < 0.0 {
            let y = v / self.top;
            let l2 = x * x + y * y;
            if l2 < INNER * INNER {
                return 1.0;
            }
            l2.sqrt()
        } else {
            let y = v / self.bottom;
            let l3 = x * x * x + y * y * y;
            if l3 < INNER * INNER * INNER {
                return 1.0;
            }
            l3.cbrt()
        };
        ((1.0 - level) * 30.0).clamp(0.0, 1.0)
    }
}

/// The quantised Gabor filter bank: even and odd kernels per orientation and period bin.
struct Bank {
    even: Vec<[f32; K * K]>,
    odd: Vec<[f32; K * K]>,
}

fn bank() -> &'static Bank {
    static BANK: OnceLock<Bank> = OnceLock::new();
    BANK.get_or_init(|| {
        let mut even = Vec::with_capacity(N_ORIENT * N_PERIOD);
        let mut odd = Vec::with_capacity(N_ORIENT * N_PERIOD);
        for pi in 0..N_PERIOD {
            let period = (PERIOD_RANGE.0 + PERIOD_STEP * pi as f32) / SCALE;
            let sigma = 0.5 * period;
            let w = TAU / period;
            for oi in 0..N_ORIENT {
                let theta = oi as f32 * PI / N_ORIENT as f32;
                // The wave runs across the ridges: along the normal of the ridge direction.
                let (nx, ny) = (-theta.sin(), theta.cos());
                let mut e = [0f32; K * K];
                let mut o = [0f32; K * K];
                for j in 0..K {
                    for i in 0..K {
                        let (x, y) = (i as f32 - R as f32, j as f32 - R as f32);
                        let g = (-(x * x + y * y) / (2.0 * sigma * sigma)).exp();
                        let t = w * (x * nx + y * ny);
                        e[j * K + i] = g * t.cos();
                        o[j * K + i] = g * t.sin();
                    }
                }
                // No response to flat grey, and unit response to the tuned wave.
                let mean = e.iter().sum::<f32>() / (K * K) as f32;
                e.iter_mut().for_each(|x| *x -= mean);
                let mut re = 0.0;
                let mut ro = 0.0;
                for j in 0..K {
                    for i in 0..K {
                        let (x, y) = (i as f32 - R as f32, j as f32 - R as f32);
                        let t = w * (x * nx + y * ny);
                        re += e[j * K + i] * t.cos();
                        ro += o[j * K + i] * t.sin();
                    }
                }
                e.iter_mut().for_each(|x| *x /= re);
                o.iter_mut().for_each(|x| *x /= ro);
                even.push(e);
                odd.push(o);
            }
        }
        Bank { even, odd }
    })
}

/// The bank index for a ridge direction and period.
fn bank_index(theta: f32, period: f32) -> u16 {
    let oi = ((theta.rem_euclid(PI) / PI * N_ORIENT as f32).round() as usize) % N_ORIENT;
    let pi =
        (((period - PERIOD_RANGE.0) / PERIOD_STEP).round().max(0.0) as usize).min(N_PERIOD - 1);
    (pi * N_ORIENT + oi) as u16
}

/// The dot product of a kernel with the `K`x`K` window of `img` (row stride `stride`) whose top
/// left cell is `at`.
#[inline]
fn apply(img: &[f32], stride: usize, at: usize, kernel: &[f32; K * K]) -> f32 {
    // Fixed-size rows let the compiler unroll and vectorise the taps.
    let mut acc = [0f32; K];
    for (j, krow) in kernel.chunks_exact(K).enumerate() {
        let start = at + j * stride;
        let (Some(row), Ok(krow)) = (img.get(start..start + K), <&[f32; K]>::try_from(krow)) else {
            continue;
        };
        for ((a, x), k) in acc.iter_mut().zip(row).zip(krow) {
            *a += x * k;
        }
    }
    acc.iter().sum()
}

/// The ridge pattern of one finger identity.
pub struct MasterPrint {
    finger: Finger,
    pattern: FingerPattern,
    silhouette: Silhouette,
    /// Grid size in cells.
    gw: usize,
    gh: usize,
    /// Grid cell of the pattern origin.
    cx: f32,
    cy: f32,
    /// `cos` of the ridge phase per cell (1 on a ridge's centre line, -1 mid-valley).
    cells: Vec<f32>,
    passes: usize,
}

impl fmt::Debug for MasterPrint {
    // The ridge pattern is synthetic biometric data: only its shape is shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MasterPrint")
            .field("finger", &self.finger)
            .field("class", &self.pattern.class())
            .field("grid", &(self.gw, self.gh))
            .finish_non_exhaustive()
    }
}

impl MasterPrint {
    /// Grows the master print of the finger `finger` with `identity` (deterministic).
    pub fn generate(identity: SimIdentity, finger: Finger) -> MasterPrint {
        let pattern = FingerPattern::for_finger(identity, finger);
        let silhouette = Silhouette::of(finger);
        let flow = pattern.flow();
        let gw = ((2.0 * silhouette.half_width) / SCALE + 2.0 * MARGIN + 2.0).ceil() as usize;
        let gh =
            ((silhouette.top + silhouette.bottom) / SCALE + 2.0 * MARGIN + 2.0).ceil() as usize;
        let cx = (gw as f32 - 1.0) / 2.0;
        let cy = silhouette.top / SCALE + MARGIN + 1.0;
        let to_uv = |i: usize, j: usize| ((i as f32 - cx) * SCALE, (j as f32 - cy) * SCALE);

        // Where to filter, and with which kernel.
        let inner = 1.0 + MARGIN * SCALE / silhouette.half_width;
        let mut kidx = vec![u16::MAX; gw * gh];
        for j in 0..gh {
            for i in 0..gw {
                let (u, v) = to_uv(i, j);
                if silhouette.level(u, v) < inner {
                    kidx[j * gw + i] = bank_index(flow.orientation(u, v), flow.period(u, v));
                }
            }
        }

        // The padded image (R cells of zeros all round).
        let stride = gw + 2 * R;
        let rows = gh + 2 * R;
        let mut cur = vec![0f32; stride * rows];
        let mut next = cur.clone();
        let (bw, bh) = (gw.div_ceil(BLOCK), gh.div_ceil(BLOCK));
        let mut changed = vec![false; bw * bh];

        let bank = bank();
        // Seeds scattered over the pad: each a small patch of the wave tuned to its place (the
        // filter's own shape, so growth starts at once), of random sign.
        let mut r = SimRng::new(identity.0 ^ 0x5EED_F1A6_0000_0001);
        // Seams between ridge systems grown from different seeds are where most minutiae
        // form; an arch's even flow makes few others, so it gets more seeds.
        let n_seeds = if pattern.class() == PatternClass::Arch {
            r.int(32, 44)
        } else {
            r.int(16, 24)
        } as usize;
        let mut placed = 0;
        let mut tries = 0;
        while placed < n_seeds && tries < 1000 {
            tries += 1;
            let (i, j) = (
                r.int(0, gw as u32 - 1) as usize,
                r.int(0, gh as u32 - 1) as usize,
            );
            let (u, v) = to_uv(i, j);
            if silhouette.level(u, v) > 0.85 {
                continue;
            }
            let sign = if r.unit() < 0.5 { 1.0 } else { -1.0 };
            let Some(kernel) = bank.even.get(usize::from(kidx[j * gw + i])) else {
                continue;
            };
            let peak = kernel[R * K + R];
            for (kj, krow) in kernel.chunks_exact(K).enumerate() {
                let row = (j + kj) * stride + i;
                for (c, &kv) in cur[row..row + K].iter_mut().zip(krow) {
                    *c = (sign * 2.0 * kv / peak).clamp(-1.0, 1.0);
                }
            }
            changed[(j / BLOCK) * bw + i / BLOCK] = true;
            placed += 1;
        }

        let mut active = vec![false; bw * bh];
        let to_fill = kidx.iter().filter(|&&k| k != u16::MAX).count();
        let mut settling = 0;
        let mut last_filled = 0;
        let mut passes = 0;
        for _ in 0..MAX_PASSES {
            // A block is filtered when it or a neighbour changed last time.
            active.fill(false);
            let mut any = false;
            for by in 0..bh {
                for bx in 0..bw {
                    if !changed[by * bw + bx] {
                        continue;
                    }
                    any = true;
                    for ny in by.saturating_sub(1)..(by + 2).min(bh) {
                        for nx in bx.saturating_sub(1)..(bx + 2).min(bw) {
                            active[ny * bw + nx] = true;
                        }
                    }
                }
            }
            if !any {
                break;
            }
            passes += 1;
            changed.fill(false);
            for by in 0..bh {
                for bx in 0..bw {
                    let (x0, y0) = (bx * BLOCK, by * BLOCK);
                    let (x1, y1) = ((x0 + BLOCK).min(gw), (y0 + BLOCK).min(gh));
                    if !active[by * bw + bx] {
                        for y in y0..y1 {
                            let s = (y + R) * stride + R;
                            next[s + x0..s + x1].copy_from_slice(&cur[s + x0..s + x1]);
                        }
                        continue;
                    }
                    let mut moved = false;
                    for y in y0..y1 {
                        for x in x0..x1 {
                            let k = kidx[y * gw + x];
                            let p = (y + R) * stride + x + R;
                            let Some(kernel) = bank.even.get(usize::from(k)) else {
                                next[p] = 0.0;
                                continue;
                            };
                            let o = (GAIN * apply(&cur, stride, y * stride + x, kernel))
                                .clamp(-1.0, 1.0);
                            if (o - cur[p]).abs() > SETTLED {
                                moved = true;
                            }
                            next[p] = o;
                        }
                    }
                    changed[by * bw + bx] = moved;
                }
            }
            std::mem::swap(&mut cur, &mut next);
            // Filled when the share of cells holding a ridge or valley stops growing (the
            // rest are ridge flanks).
            let filled = kidx
                .iter()
                .enumerate()
                .filter(|&(c, &k)| {
                    k != u16::MAX && cur[(c / gw + R) * stride + c % gw + R].abs() > 0.5
                })
                .count();
            if filled as f32 > FILLED * to_fill as f32
                && (filled - last_filled.min(filled)) as f32 <= 0.005 * to_fill as f32
            {
                settling += 1;
                if settling > SETTLE_PASSES {
                    break;
                }
            }
            last_filled = filled;
        }

        // Normalise to the local amplitude: the cosine of the ridge phase.
        let mut cells = vec![-1f32; gw * gh];
        for y in 0..gh {
            for x in 0..gw {
                let k = usize::from(kidx[y * gw + x]);
                let (Some(ke), Some(ko)) = (bank.even.get(k), bank.odd.get(k)) else {
                    continue;
                };
                let at = y * stride + x;
                let e = apply(&cur, stride, at, ke);
                let o = apply(&cur, stride, at, ko);
                let amp = (e * e + o * o).sqrt();
                cells[y * gw + x] = if amp > 1e-3 { e / amp } else { 0.0 };
            }
        }
        MasterPrint {
            finger,
            pattern,
            silhouette,
            gw,
            gh,
            cx,
            cy,
            cells,
            passes,
        }
    }

    /// The master of `identity`'s `finger` from the process-wide cache (the 64 most recently
    /// used masters are kept), grown on a miss.
    pub fn cached(identity: SimIdentity, finger: Finger) -> Arc<MasterPrint> {
        cache_get(identity, finger)
    }

    /// The masters of several fingers from the cache, the missing ones grown in parallel
    /// (one thread each), in the order asked.
    pub fn cached_all(fingers: &[(SimIdentity, Finger)]) -> Vec<Arc<MasterPrint>> {
        let mut out: Vec<Option<Arc<MasterPrint>>> =
            fingers.iter().map(|&(id, f)| cache_lookup(id, f)).collect();
        let missing: Vec<usize> = (0..fingers.len()).filter(|&i| out[i].is_none()).collect();
        if missing.len() > 1 {
            std::thread::scope(|scope| {
                let handles: Vec<_> = missing
                    .iter()
                    .map(|&i| {
                        let (id, f) = fingers[i];
                        std::thread::Builder::new()
                            .name("rekam-sim-master".into())
                            .spawn_scoped(scope, move || MasterPrint::generate(id, f))
                    })
                    .collect();
                for (&i, h) in missing.iter().zip(handles) {
                    // A thread that could not start, or died, is made up for here.
                    let (id, f) = fingers[i];
                    let m = match h.map(|h| h.join()) {
                        Ok(Ok(m)) => m,
                        _ => MasterPrint::generate(id, f),
                    };
                    out[i] = Some(cache_insert(id, f, m));
                }
            });
        }
        fingers
            .iter()
            .zip(out)
            .map(|(&(id, f), m)| m.unwrap_or_else(|| cache_get(id, f)))
            .collect()
    }

    /// The finger.
    pub fn finger(&self) -> Finger {
        self.finger
    }

    /// The pattern parameters (class, singular points, ridge flow).
    pub fn pattern(&self) -> &FingerPattern {
        &self.pattern
    }

    /// The pattern class.
    pub fn class(&self) -> PatternClass {
        self.pattern.class()
    }

    /// The fingertip outline.
    pub fn silhouette(&self) -> Silhouette {
        self.silhouette
    }

    /// How many filtering passes the growth took.
    pub fn passes(&self) -> usize {
        self.passes
    }

    /// The ridge wave at pattern point `(u, v)`: about 1 on a ridge's centre line, -1 mid-valley
    /// (Catmull-Rom interpolated; -1 outside the grid).
    pub fn ridge(&self, u: f32, v: f32) -> f32 {
        let fx = u / SCALE + self.cx;
        let fy = v / SCALE + self.cy;
        if !(fx >= 1.0 && fy >= 1.0 && fx < (self.gw - 2) as f32 && fy < (self.gh - 2) as f32) {
            return -1.0;
        }
        // In range, so the casts floor.
        let (ix, iy) = (fx as usize, fy as usize);
        let (tx, ty) = (fx - ix as f32, fy - iy as f32);
        let wx = catmull_rom(tx);
        let wy = catmull_rom(ty);
        let mut s = 0.0;
        for (j, wyj) in wy.iter().enumerate() {
            let start = (iy + j - 1) * self.gw + ix - 1;
            let row = &self.cells[start..start + 4];
            s += wyj * (row[0] * wx[0] + row[1] * wx[1] + row[2] * wx[2] + row[3] * wx[3]);
        }
        s
    }

    /// Where [`render`](Self::render) puts the pattern origin, in pixels.
    pub fn render_origin(&self) -> (f32, f32) {
        let s = self.silhouette;
        let width = (2.0 * s.half_width).ceil() as u32 + 16;
        (width as f32 / 2.0, s.top + 8.0)
    }

    /// The master drawn at 500 ppi on white, ridges black, cut to its silhouette: the ideal
    /// print the impressions are taken from (for tools and tests). Pattern point `(u, v)` is
    /// pixel `(u, v) + `[`render_origin`](Self::render_origin).
    pub fn render(&self) -> RawImage {
        let s = self.silhouette;
        let width = (2.0 * s.half_width).ceil() as u32 + 16;
        let height = (s.top + s.bottom).ceil() as u32 + 16;
        let (ox, oy) = self.render_origin();
        let mut data = vec![255u8; width as usize * height as usize];
        for y in 0..height {
            for x in 0..width {
                let (u, v) = (x as f32 + 0.5 - ox, y as f32 + 0.5 - oy);
                let m = s.mask(u, v);
                if m <= 0.0 {
                    continue;
                }
                let ink = smoothstep(0.0, 0.25, self.ridge(u, v)) * m;
                data[(y * width + x) as usize] = (255.0 - 230.0 * ink) as u8;
            }
        }
        RawImage {
            width,
            height,
            format: PixelFormat::Gray8,
            ppi: Some(PPI),
            data,
        }
    }
}

/// A smooth step from 0 at `edge - w` to 1 at `edge + w`.
#[inline]
pub(crate) fn smoothstep(edge: f32, w: f32, x: f32) -> f32 {
    let t = ((x - edge + w) / (2.0 * w)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

/// Catmull-Rom weights for the four cells around a fraction `t`.
#[inline]
fn catmull_rom(t: f32) -> [f32; 4] {
    let t2 = t * t;
    let t3 = t2 * t;
    [
        0.5 * (-t3 + 2.0 * t2 - t),
        0.5 * (3.0 * t3 - 5.0 * t2 + 2.0),
        0.5 * (-3.0 * t3 + 4.0 * t2 + t),
        0.5 * (t3 - t2),
    ]
}

/// How many masters the cache keeps.
const CACHE_SIZE: usize = 64;

#[derive(Default)]
struct Cache {
    map: HashMap<(u64, u8), (Arc<MasterPrint>, u64)>,
    clock: u64,
}

fn cache() -> &'static Mutex<Cache> {
    static CACHE: OnceLock<Mutex<Cache>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(Cache::default()))
}

fn cache_lookup(identity: SimIdentity, finger: Finger) -> Option<Arc<MasterPrint>> {
    // A panic elsewhere cannot leave the map inconsistent: take it even if poisoned.
    let mut c = cache().lock().unwrap_or_else(|e| e.into_inner());
    c.clock += 1;
    let now = c.clock;
    let (m, used) = c.map.get_mut(&(identity.0, finger.iso_code()))?;
    *used = now;
    Some(Arc::clone(m))
}

fn cache_insert(identity: SimIdentity, finger: Finger, master: MasterPrint) -> Arc<MasterPrint> {
    let key = (identity.0, finger.iso_code());
    let master = Arc::new(master);
    let mut c = cache().lock().unwrap_or_else(|e| e.into_inner());
    c.clock += 1;
    let now = c.clock;
    if c.map.len() >= CACHE_SIZE && !c.map.contains_key(&key) {
        if let Some(oldest) = c
            .map
            .iter()
            .min_by_key(|(_, (_, used))| *used)
            .map(|(k, _)| *k)
        {
            c.map.remove(&oldest);
        }
    }
    c.map.insert(key, (Arc::clone(&master), now));
    master
}

fn cache_get(identity: SimIdentity, finger: Finger) -> Arc<MasterPrint> {
    // Grown outside the lock: other threads keep rendering meanwhile (two threads may grow
    // the same master; the result is the same).
    cache_lookup(identity, finger)
        .unwrap_or_else(|| cache_insert(identity, finger, MasterPrint::generate(identity, finger)))
}
