//! Procedural fingerprints at 500 ppi: one ridge pattern per finger identity, rendered as
//! fingertip impressions on a slap or flat platen.
//!
//! A pattern is a phase field whose level lines are the ridges, drawn as
//! `cos(2π·φ/period)` with a ridge period of 9-10 px (about 0.5 mm at 500 ppi):
//! - loops and whorls: the distance to a *core skeleton* (a segment running from the core out
//!   of one side for a loop, a short segment for a whorl), smoothly merged with a *base field*
//!   whose ridges bend up the flanks; where the two systems meet below the core the delta(s)
//!   form;
//! - arches: arcs around a point below the fingertip;
//! - all: a low-frequency warp (ridges are never straight) and pairs of opposite phase spirals
//!   (Larkin and Fletcher's model) that put ridge endings and bifurcations into the flow.
//!
//! The class, core position, loop direction, period, warp and minutiae derive from the
//! [`SimIdentity`]; the impression (placement, rotation, contact area, pressure, noise) from a
//! per-capture seed. A later issue replaces this module with SFinGe-style prints; its interface
//! ([`render_slap`], [`FingerPattern`]) is what the devices use.

use std::f32::consts::{PI, TAU};
use std::fmt;

use rekam_hal::{Finger, RawImage, Rect, SimIdentity, SlapKind};

use super::math;
use super::{hash64, PixelNoise, SimRng};

/// Resolution of every fingerprint image.
pub const PPI: u16 = 500;
/// Slap platen width (3.2 in at 500 ppi).
pub const SLAP_WIDTH: u32 = 1600;
/// Slap platen height (2.0 in at 500 ppi).
pub const SLAP_HEIGHT: u32 = 1000;
/// Flat (single finger) image width (1.0 in).
pub const FLAT_WIDTH: u32 = 500;
/// Flat image height (1.2 in).
pub const FLAT_HEIGHT: u32 = 600;
/// Grey of the empty platen.
pub const BACKGROUND: u8 = 242;

/// The Henry class of a pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PatternClass {
    /// Ridges enter and leave on the left of the image, recurving around the core.
    LeftLoop,
    /// Ridges enter and leave on the right.
    RightLoop,
    /// Circular ridges around the core, two deltas.
    Whorl,
    /// Ridges run from side to side, no core or delta.
    Arch,
}

#[derive(Clone, Copy)]
struct Minutia {
    x: f32,
    y: f32,
    /// The opposite spiral, relative to (x, y).
    dx: f32,
    dy: f32,
}

/// Radius where a minutia pair acts fully, and where its effect has faded out.
const MINUTIA_R0: f32 = 12.0;
const MINUTIA_R1: f32 = 26.0;

/// A coarse grid over pattern space listing the minutiae that reach each cell, so a pixel
/// only looks at the one or two pairs near it.
const CELL: f32 = 16.0;
const GRID_U0: f32 = -224.0;
const GRID_V0: f32 = -288.0;
const GRID_W: usize = 28;
const GRID_H: usize = 36;

#[derive(Clone, Default)]
struct MinutiaGrid {
    /// `starts[c]..starts[c + 1]` indexes `items` for cell `c`.
    starts: Vec<u16>,
    items: Vec<u8>,
}

impl MinutiaGrid {
    fn new(minutiae: &[Minutia]) -> Self {
        let mut starts = Vec::with_capacity(GRID_W * GRID_H + 1);
        let mut items = Vec::new();
        for cy in 0..GRID_H {
            for cx in 0..GRID_W {
                starts.push(items.len() as u16);
                let (u0, v0) = (GRID_U0 + cx as f32 * CELL, GRID_V0 + cy as f32 * CELL);
                for (i, m) in minutiae.iter().enumerate() {
                    let du = (u0 - m.x).max(0.0).max(m.x - (u0 + CELL));
                    let dv = (v0 - m.y).max(0.0).max(m.y - (v0 + CELL));
                    if du * du + dv * dv < MINUTIA_R1 * MINUTIA_R1 {
                        items.push(i as u8);
                    }
                }
            }
        }
        starts.push(items.len() as u16);
        MinutiaGrid { starts, items }
    }

    /// The minutiae that may reach pattern point `(u, v)`.
    fn near(&self, u: f32, v: f32) -> &[u8] {
        let (fx, fy) = ((u - GRID_U0) / CELL, (v - GRID_V0) / CELL);
        if fx < 0.0 || fy < 0.0 || fx >= GRID_W as f32 || fy >= GRID_H as f32 {
            return &[];
        }
        // Non-negative here, so the cast floors.
        let c = fy as usize * GRID_W + fx as usize;
        match (self.starts.get(c), self.starts.get(c + 1)) {
            (Some(&a), Some(&b)) => self.items.get(a as usize..b as usize).unwrap_or(&[]),
            _ => &[],
        }
    }
}

/// The ridge pattern of one finger, in pattern coordinates (pixels, origin at the pad centre,
/// v pointing down the finger).
#[derive(Clone)]
pub struct FingerPattern {
    class: PatternClass,
    period: f32,
    core: (f32, f32),
    seg: ((f32, f32), (f32, f32)),
    q: (f32, f32),
    base_offset: f32,
    arch_p: (f32, f32),
    warp: [f32; 6],
    smooth: f32,
    minutiae: Vec<Minutia>,
    grid: MinutiaGrid,
}

impl fmt::Debug for FingerPattern {
    // The parameters are synthetic biometric data: only the class is shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FingerPattern")
            .field("class", &self.class)
            .finish_non_exhaustive()
    }
}

fn dist(a: (f32, f32), b: (f32, f32)) -> f32 {
    ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt()
}

fn dist_seg(p: (f32, f32), s0: (f32, f32), s1: (f32, f32)) -> f32 {
    let (vx, vy) = (s1.0 - s0.0, s1.1 - s0.1);
    let (wx, wy) = (p.0 - s0.0, p.1 - s0.1);
    let len2 = vx * vx + vy * vy;
    let t = if len2 > 0.0 {
        ((wx * vx + wy * vy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    dist(p, (s0.0 + t * vx, s0.1 + t * vy))
}

/// Polynomial smooth minimum (blend width `k`).
fn smin(a: f32, b: f32, k: f32) -> f32 {
    let h = (0.5 + 0.5 * (b - a) / k).clamp(0.0, 1.0);
    b + (a - b) * h - k * h * (1.0 - h)
}

impl FingerPattern {
    /// The pattern of the finger with `identity`.
    pub fn new(identity: SimIdentity) -> Self {
        let mut r = SimRng::new(identity.0);
        let x = r.unit();
        let class = if x < 0.32 {
            PatternClass::LeftLoop
        } else if x < 0.64 {
            PatternClass::RightLoop
        } else if x < 0.92 {
            PatternClass::Whorl
        } else {
            PatternClass::Arch
        };
        let period = r.range(9.0, 10.0);
        let core = (r.range(-25.0, 25.0), r.range(-45.0, 5.0));
        let seg = match class {
            PatternClass::LeftLoop | PatternClass::RightLoop => {
                let alpha = r.range(25.0, 55.0).to_radians();
                let side = if class == PatternClass::RightLoop {
                    1.0
                } else {
                    -1.0
                };
                let dir = (side * alpha.sin(), alpha.cos());
                (core, (core.0 + 400.0 * dir.0, core.1 + 400.0 * dir.1))
            }
            _ => {
                let h = r.range(0.0, 14.0);
                let a = r.range(0.0, PI);
                let (s, c) = a.sin_cos();
                (
                    (core.0 - h * c, core.1 - h * s),
                    (core.0 + h * c, core.1 + h * s),
                )
            }
        };
        let q = (
            core.0 + r.range(-30.0, 30.0),
            core.1 - r.range(260.0, 420.0),
        );
        let base_offset = if class == PatternClass::Whorl {
            r.range(7.0, 10.0)
        } else {
            r.range(4.5, 7.5)
        } * period;
        let arch_p = (
            core.0 + r.range(-20.0, 20.0),
            core.1 + r.range(160.0, 320.0),
        );
        let warp = [
            r.range(1.5, 3.5),
            TAU / r.range(80.0, 160.0),
            r.range(0.0, TAU),
            r.range(1.5, 3.5),
            TAU / r.range(80.0, 160.0),
            r.range(0.0, TAU),
        ];
        let n = r.int(10, 16);
        let minutiae: Vec<Minutia> = (0..n)
            .map(|_| {
                let a = r.range(0.0, TAU);
                let sep = r.range(1.0, 1.6) * period;
                Minutia {
                    x: r.range(-110.0, 110.0),
                    y: r.range(-160.0, 140.0),
                    dx: sep * a.cos(),
                    dy: sep * a.sin(),
                }
            })
            .collect();
        FingerPattern {
            class,
            period,
            core,
            seg,
            q,
            base_offset,
            arch_p,
            warp,
            smooth: 0.7 * period,
            grid: MinutiaGrid::new(&minutiae),
            minutiae,
        }
    }

    /// The pattern class.
    pub fn class(&self) -> PatternClass {
        self.class
    }

    /// The ridge period in pixels.
    pub fn period(&self) -> f32 {
        self.period
    }

    /// The core position in pattern coordinates (the loop tip or whorl centre).
    pub fn core(&self) -> (f32, f32) {
        self.core
    }

    /// The ridge phase at pattern point `(u, v)`, in radians: ridges are where its cosine is 1.
    pub fn phase(&self, u: f32, v: f32) -> f32 {
        let w = &self.warp;
        let p = (
            u + w[0] * math::sin(v * w[1] + w[2]),
            v + w[3] * math::sin(u * w[4] + w[5]),
        );
        let phi = match self.class {
            PatternClass::Arch => dist(p, self.arch_p),
            _ => {
                let core = dist_seg(p, self.seg.0, self.seg.1);
                let base = self.base_offset + dist(self.core, self.q) - dist(p, self.q);
                smin(core, base, self.smooth)
            }
        };
        let mut ph = phi * TAU / self.period;
        for &i in self.grid.near(u, v) {
            let Some(m) = self.minutiae.get(usize::from(i)) else {
                continue;
            };
            let (ax, ay) = (u - m.x, v - m.y);
            let r2 = ax * ax + ay * ay;
            if r2 >= MINUTIA_R1 * MINUTIA_R1 {
                continue;
            }
            let r = r2.sqrt();
            let weight = if r <= MINUTIA_R0 {
                1.0
            } else {
                let t = (MINUTIA_R1 - r) / (MINUTIA_R1 - MINUTIA_R0);
                t * t * (3.0 - 2.0 * t)
            };
            // arg((z - m1) / (z - m2)): single-valued except on the segment m1-m2, where the
            // 2π jump is invisible to the cosine.
            let (bx, by) = (ax - m.dx, ay - m.dy);
            ph += weight * math::atan2(ay * bx - ax * by, ax * bx + ay * by);
        }
        ph
    }
}

/// Where a fingertip sits on the platen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TipPlacement {
    /// Centre x in pixels.
    pub cx: f32,
    /// Centre y in pixels.
    pub cy: f32,
    /// Half width of the contact ellipse.
    pub half_width: f32,
    /// Half height of the contact ellipse.
    pub half_height: f32,
    /// Angle of the finger axis from vertical, degrees, clockwise positive.
    pub angle_deg: f32,
}

/// The platen size for a slap kind: 1600x1000 for slaps, 500x600 for a flat finger.
pub fn canvas_size(kind: SlapKind) -> (u32, u32) {
    match kind {
        SlapKind::Single(_) => (FLAT_WIDTH, FLAT_HEIGHT),
        _ => (SLAP_WIDTH, SLAP_HEIGHT),
    }
}

/// Where `finger` lies in a `kind` capture, as the image shows it (ink convention: a right
/// hand has the index on the left and the little finger, lower, on the right; the left hand
/// mirrors it; thumbs sit left thumb left). `None` if the slap does not cover the finger.
pub fn slot(kind: SlapKind, finger: Finger) -> Option<TipPlacement> {
    // Right hand: index, middle, ring, little.
    const RIGHT: [(f32, f32, f32, f32, f32); 4] = [
        (330.0, 430.0, 118.0, 170.0, -12.0),
        (640.0, 370.0, 122.0, 178.0, -4.0),
        (950.0, 420.0, 118.0, 170.0, 5.0),
        (1240.0, 570.0, 100.0, 145.0, 14.0),
    ];
    let tip = |(cx, cy, a, b, ang): (f32, f32, f32, f32, f32), mirror: bool| TipPlacement {
        cx: if mirror { SLAP_WIDTH as f32 - cx } else { cx },
        cy,
        half_width: a,
        half_height: b,
        angle_deg: if mirror { -ang } else { ang },
    };
    let four = |f: Finger| -> Option<usize> {
        match f {
            Finger::RightIndex | Finger::LeftIndex => Some(0),
            Finger::RightMiddle | Finger::LeftMiddle => Some(1),
            Finger::RightRing | Finger::LeftRing => Some(2),
            Finger::RightLittle | Finger::LeftLittle => Some(3),
            _ => None,
        }
    };
    if !kind.fingers().contains(&finger) {
        return None;
    }
    match kind {
        SlapKind::RightFour => four(finger).map(|i| tip(RIGHT[i], false)),
        SlapKind::LeftFour => four(finger).map(|i| tip(RIGHT[i], true)),
        SlapKind::Thumbs => Some(match finger {
            Finger::LeftThumb => tip((530.0, 520.0, 140.0, 195.0, 12.0), false),
            _ => tip((1070.0, 520.0, 140.0, 195.0, -12.0), false),
        }),
        SlapKind::Single(_) => Some(tip((250.0, 290.0, 125.0, 185.0, 0.0), false)),
    }
}

/// One finger to put on the platen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlacedFinger {
    /// The finger (it decides the slot and the label).
    pub finger: Finger,
    /// Whose ridge pattern it carries.
    pub identity: SimIdentity,
}

/// A rendered fingertip.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedTip {
    /// The finger.
    pub finger: Finger,
    /// Its identity.
    pub identity: SimIdentity,
    /// Its bounding box on the platen.
    pub bbox: Rect,
    /// Its angle from vertical, degrees, clockwise positive.
    pub angle_deg: f32,
    /// The platen cut to `bbox`.
    pub crop: RawImage,
}

/// A rendered platen image with its fingertips.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedSlap {
    /// The platen, 500 ppi grey.
    pub image: RawImage,
    /// The fingertips, in the order given.
    pub tips: Vec<RenderedTip>,
}

/// Renders `fingers` into a `kind` platen for the impression `seed`. Fingers the slap does
/// not cover are skipped. `low_quality` gives faint, noisy, blotchy prints.
pub fn render_slap(
    kind: SlapKind,
    fingers: &[PlacedFinger],
    seed: u64,
    low_quality: bool,
) -> RenderedSlap {
    let (width, height) = canvas_size(kind);
    let mut buf = vec![BACKGROUND; width as usize * height as usize];
    let mut r = SimRng::new(seed);
    // The whole hand moves a little between attempts.
    let shift = (r.range(-15.0, 15.0), r.range(-12.0, 12.0));
    let turn = r.range(-2.0, 2.0);
    let mut tips = Vec::with_capacity(fingers.len());
    for pf in fingers {
        let Some(mut place) = slot(kind, pf.finger) else {
            continue;
        };
        place.cx += shift.0;
        place.cy += shift.1;
        place.angle_deg += turn;
        let tip_seed = hash64(&[&seed.to_le_bytes(), &[pf.finger.iso_code()]]);
        let pattern = FingerPattern::new(pf.identity);
        let bbox = render_tip(
            &mut buf,
            width,
            height,
            &pattern,
            &place,
            tip_seed,
            low_quality,
        );
        tips.push((pf, bbox, place.angle_deg));
    }
    let image = RawImage {
        width,
        height,
        format: rekam_hal::PixelFormat::Gray8,
        ppi: Some(PPI),
        data: buf,
    };
    let tips = tips
        .into_iter()
        .map(|(pf, bbox, angle_deg)| RenderedTip {
            finger: pf.finger,
            identity: pf.identity,
            bbox,
            angle_deg,
            crop: crop(&image, bbox),
        })
        .collect();
    RenderedSlap { image, tips }
}

/// Cuts `rect` out of a grey image.
pub fn crop(image: &RawImage, rect: Rect) -> RawImage {
    let mut data = Vec::with_capacity(rect.width as usize * rect.height as usize);
    for y in rect.y..rect.y + rect.height {
        let start = (y * image.width + rect.x) as usize;
        data.extend_from_slice(&image.data[start..start + rect.width as usize]);
    }
    RawImage {
        width: rect.width,
        height: rect.height,
        format: image.format,
        ppi: image.ppi,
        data,
    }
}

/// Draws one fingertip (darkening: overlapping tips stay visible) and returns its bounding
/// box, clipped to the platen.
fn render_tip(
    buf: &mut [u8],
    width: u32,
    height: u32,
    pattern: &FingerPattern,
    place: &TipPlacement,
    seed: u64,
    low_quality: bool,
) -> Rect {
    let mut r = SimRng::new(seed);
    let pressure = r.range(0.93, 1.05);
    let a = place.half_width * pressure;
    let b = place.half_height * pressure;
    // The pad touches the platen a little differently each time.
    let contact = (r.range(-6.0, 6.0), r.range(-8.0, 8.0));
    // A poor presentation (dry skin, a light touch) leaves faint, broken, noisy ridges that
    // the station's quality check scores well below the fingerprint threshold.
    let (contrast, noise_amp) = if low_quality {
        (0.16, 0.9)
    } else {
        (r.range(0.8, 0.95), 0.12)
    };
    let blotch = (r.range(0.0, TAU), r.range(0.0, TAU));
    let mut noise = PixelNoise::new(r.next_u64());
    let (s, c) = place.angle_deg.to_radians().sin_cos();
    let ex = (a * a * c * c + b * b * s * s).sqrt();
    let ey = (a * a * s * s + b * b * c * c).sqrt();
    let x0 = (place.cx - ex).floor().max(0.0) as u32;
    let y0 = (place.cy - ey).floor().max(0.0) as u32;
    let x1 = ((place.cx + ex).ceil() as u32).min(width.saturating_sub(1));
    let y1 = ((place.cy + ey).ceil() as u32).min(height.saturating_sub(1));
    if x1 < x0 || y1 < y0 {
        return Rect {
            x: 0,
            y: 0,
            width: 0,
            height: 0,
        };
    }
    let (inv_a2, inv_b2) = (1.0 / (a * a), 1.0 / (b * b));
    let to_pad = |x: f32, y: f32| {
        let (dx, dy) = (x + 0.5 - place.cx, y + 0.5 - place.cy);
        (dx * c + dy * s, -dx * s + dy * c)
    };
    // The ridge wave is smooth at the 9-10 px period: evaluate it every second pixel in both
    // directions and interpolate (a quarter of the phase evaluations, the main cost).
    let gw = ((x1 - x0) / 2 + 2) as usize;
    let gh = ((y1 - y0) / 2 + 2) as usize;
    let mut wave = vec![0f32; gw * gh];
    for j in 0..gh {
        for i in 0..gw {
            let (u, v) = to_pad((x0 + 2 * i as u32) as f32, (y0 + 2 * j as u32) as f32);
            if u * u * inv_a2 + v * v * inv_b2 < 1.2 {
                wave[j * gw + i] = math::cos(pattern.phase(u + contact.0, v + contact.1));
            }
        }
    }
    for y in y0..=y1 {
        let row = (y * width) as usize;
        let (j, fy) = (((y - y0) / 2) as usize, ((y - y0) % 2) as f32 * 0.5);
        for x in x0..=x1 {
            let (u, v) = to_pad(x as f32, y as f32);
            let e = u * u * inv_a2 + v * v * inv_b2;
            if e >= 1.0 {
                continue;
            }
            // Soft rim, and lighter contact toward the first crease.
            let mut mask = ((1.0 - e) / 0.18).min(1.0);
            if v > 0.5 * b {
                mask *= 1.0 - 0.6 * ((v - 0.5 * b) / (0.5 * b));
            }
            if low_quality {
                let (pu, pv) = (u + contact.0, v + contact.1);
                let m = math::sin(pu / 13.0 + blotch.0) * math::sin(pv / 17.0 + blotch.1);
                mask *= 0.1 + 0.9 * (0.5 + 0.5 * m);
            }
            let (i, fx) = (((x - x0) / 2) as usize, ((x - x0) % 2) as f32 * 0.5);
            let k = j * gw + i;
            let top = wave[k] + (wave[k + 1] - wave[k]) * fx;
            let bottom = wave[k + gw] + (wave[k + gw + 1] - wave[k + gw]) * fx;
            let ridge = 0.5 + 0.5 * (top + (bottom - top) * fy);
            let ridge = ((ridge - 0.5) * 1.8 + 0.5).clamp(0.0, 1.0);
            let darkness = (mask * contrast * (ridge + noise_amp * noise.sample())).clamp(0.0, 1.0);
            let val = BACKGROUND as f32 - darkness * 200.0;
            let px = &mut buf[row + x as usize];
            *px = (*px).min(val as u8);
        }
    }
    Rect {
        x: x0,
        y: y0,
        width: x1 - x0 + 1,
        height: y1 - y0 + 1,
    }
}

/// Renders `identity` alone as a flat 500x600 impression (for tools and other crates' tests).
pub fn render_flat(identity: SimIdentity, finger: Finger, seed: u64) -> RawImage {
    render_slap(
        SlapKind::Single(finger),
        &[PlacedFinger { finger, identity }],
        seed,
        false,
    )
    .image
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::finger_identity;
    use rekam_hal::SimSubject;

    fn mean_abs_diff(a: &[u8], b: &[u8]) -> f64 {
        a.iter()
            .zip(b)
            .map(|(x, y)| f64::from(x.abs_diff(*y)))
            .sum::<f64>()
            / a.len() as f64
    }

    #[test]
    fn slots_cover_exactly_the_slap_and_stay_on_the_platen() {
        for kind in [SlapKind::LeftFour, SlapKind::RightFour, SlapKind::Thumbs] {
            for f in Finger::ALL {
                let s = slot(kind, f);
                assert_eq!(s.is_some(), kind.fingers().contains(&f), "{kind:?} {f}");
                if let Some(s) = s {
                    let r = s.half_width.max(s.half_height) * 1.1 + 20.0;
                    assert!(s.cx - r > 0.0 && s.cx + r < SLAP_WIDTH as f32, "{f}");
                    assert!(s.cy - r > 0.0 && s.cy + r < SLAP_HEIGHT as f32, "{f}");
                }
            }
        }
        // The little finger sits lower than the middle finger.
        let little = slot(SlapKind::RightFour, Finger::RightLittle).unwrap();
        let middle = slot(SlapKind::RightFour, Finger::RightMiddle).unwrap();
        assert!(little.cy > middle.cy + 100.0);
        // The left hand mirrors the right.
        let li = slot(SlapKind::LeftFour, Finger::LeftIndex).unwrap();
        let ri = slot(SlapKind::RightFour, Finger::RightIndex).unwrap();
        assert!(li.cx > 1000.0 && ri.cx < 600.0);
    }

    #[test]
    fn same_identity_similar_other_identity_different() {
        let id = finger_identity(SimSubject(5), Finger::RightIndex);
        let other = finger_identity(SimSubject(6), Finger::RightIndex);
        let a = render_flat(id, Finger::RightIndex, 1);
        let a2 = render_flat(id, Finger::RightIndex, 1);
        assert_eq!(a, a2, "deterministic");
        let b = render_flat(id, Finger::RightIndex, 2);
        assert_ne!(a.data, b.data, "impressions differ");
        let c = render_flat(other, Finger::RightIndex, 1);
        assert_ne!(a.data, c.data);
        // Ridges are there: plenty of dark and light pixels inside the pad.
        let dark = a.data.iter().filter(|&&p| p < 120).count();
        let light = a.data.iter().filter(|&&p| p > 200).count();
        assert!(dark > 10_000 && light > 10_000, "dark {dark} light {light}");
        assert!(mean_abs_diff(&a.data, &c.data) > 10.0);
    }

    #[test]
    fn ridge_period_is_nine_to_ten_pixels() {
        // Count ridge crossings along a horizontal line through the pad of several patterns.
        for s in 0..8 {
            let p = FingerPattern::new(finger_identity(SimSubject(s), Finger::LeftMiddle));
            assert!((9.0..=10.0).contains(&p.period()));
            let (cu, cv) = p.core();
            let v = cv - 60.0;
            let mut crossings = 0;
            let mut prev = p.phase(-100.0, v).cos() > 0.0;
            for u in -100..100 {
                let now = p.phase(u as f32 + cu, v).cos() > 0.0;
                if now != prev {
                    crossings += 1;
                }
                prev = now;
            }
            // 200 px at ~9.5 px per ridge: about 42 crossings; the flow is curved, and
            // minutiae add or drop a few.
            assert!((14..=70).contains(&crossings), "pattern {s}: {crossings}");
        }
    }

    #[test]
    fn classes_vary_across_people() {
        let mut seen = std::collections::HashSet::new();
        for s in 0..200 {
            seen.insert(
                FingerPattern::new(finger_identity(SimSubject(s), Finger::RightThumb)).class(),
            );
        }
        assert_eq!(seen.len(), 4);
    }

    #[test]
    fn low_quality_has_less_contrast() {
        let id = finger_identity(SimSubject(9), Finger::RightIndex);
        let fingers = [PlacedFinger {
            finger: Finger::RightIndex,
            identity: id,
        }];
        let good = render_slap(SlapKind::Single(Finger::RightIndex), &fingers, 3, false);
        let poor = render_slap(SlapKind::Single(Finger::RightIndex), &fingers, 3, true);
        let dark = |img: &RawImage| img.data.iter().filter(|&&p| p < 100).count();
        assert!(dark(&poor.image) * 5 < dark(&good.image));
    }
}
