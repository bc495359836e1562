//! The iris pattern of one eye, in the pupil-to-limbus "rubber sheet" (angle, normalised
//! radius), so a dilated pupil stretches the same pattern instead of changing it: radial
//! fibres (trabeculae), the collarette ring with its zig-zag, crypts (dark lens-shaped pits),
//! concentric contraction furrows in the ciliary zone, pigment spots, the darker pupillary ruff
//! and limbal ring. Every feature's place, size and strength derives from the eye's identity.

use std::f32::consts::{PI, TAU};

use rekam_hal::SimIdentity;

use crate::synth::{math, SimRng};

/// Radial fibre waves (angular frequency, phase, phase drift along the radius, amplitude).
const FIBRES: usize = 14;
/// Large-scale angular waves.
const SWELLS: usize = 4;

#[derive(Debug, Clone, Copy)]
struct Crypt {
    theta: f32,
    rho: f32,
    half_theta: f32,
    half_rho: f32,
    depth: f32,
}

#[derive(Debug, Clone, Copy)]
struct Furrow {
    rho: f32,
    theta: f32,
    half_span: f32,
    width: f32,
    depth: f32,
}

/// One iris pattern.
#[derive(Debug, Clone)]
pub(crate) struct Texture {
    base: f32,
    fibres: [(f32, f32, f32, f32); FIBRES],
    swells: [(f32, f32, f32); SWELLS],
    collarette: f32,
    zigzag: (f32, f32, f32),
    collarette_gain: f32,
    pupillary_offset: f32,
    crypts: Vec<Crypt>,
    furrows: Vec<Furrow>,
    spots: Vec<(f32, f32, f32)>,
    /// Seed of the lattice noise (the stroma's irregular fine structure).
    grain: u64,
}

/// Lattice value noise on the rubber sheet, wrapping around in angle: `cells` around, `rings`
/// from pupil to limbus.
fn lattice(seed: u64, t: f32, rho: f32, cells: u32, rings: u32) -> f32 {
    let fx = t.rem_euclid(TAU) / TAU * cells as f32;
    let fy = rho.clamp(0.0, 1.0) * rings as f32;
    let (ix, iy) = (fx as u32, fy as u32);
    let (ax, ay) = (fx - ix as f32, fy - iy as f32);
    let (sx, sy) = (ax * ax * (3.0 - 2.0 * ax), ay * ay * (3.0 - 2.0 * ay));
    let v = |i: u32, j: u32| {
        let mut z =
            seed ^ (u64::from(i % cells) << 32 | u64::from(j)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 31)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z ^= z >> 29;
        (z >> 40) as f32 / (1u64 << 23) as f32 - 1.0
    };
    let top = v(ix, iy) + (v(ix + 1, iy) - v(ix, iy)) * sx;
    let bottom = v(ix, iy + 1) + (v(ix + 1, iy + 1) - v(ix, iy + 1)) * sx;
    top + (bottom - top) * sy
}

/// The signed angular difference `a - b` in `(-π, π]`.
#[inline]
fn dangle(a: f32, b: f32) -> f32 {
    let mut d = a - b;
    if d > PI {
        d -= TAU;
    } else if d <= -PI {
        d += TAU;
    }
    d
}

impl Texture {
    /// The pattern of the eye `identity`.
    pub(crate) fn new(identity: SimIdentity) -> Self {
        let mut r = SimRng::new(identity.0 ^ 0x1215_7E87);
        let fibres = [(); FIBRES].map(|_| {
            (
                r.int(28, 150) as f32,
                r.range(0.0, TAU),
                r.range(-2.5, 2.5),
                r.range(3.0, 7.5),
            )
        });
        let swells =
            [(); SWELLS].map(|_| (r.int(2, 9) as f32, r.range(0.0, TAU), r.range(3.0, 9.0)));
        let collarette = r.range(0.26, 0.42);
        let zigzag = (r.int(6, 14) as f32, r.range(0.0, TAU), r.range(0.02, 0.06));
        let mut crypts: Vec<Crypt> = (0..r.int(8, 22))
            .map(|_| {
                // Most crypts sit just outside the collarette, some further out.
                let rho = if r.unit() < 0.6 {
                    collarette + r.range(0.04, 0.2)
                } else {
                    r.range(0.45, 0.85)
                };
                Crypt {
                    theta: r.range(0.0, TAU),
                    rho,
                    half_theta: r.range(0.03, 0.12),
                    half_rho: r.range(0.04, 0.12),
                    depth: r.range(18.0, 45.0),
                }
            })
            .collect();
        crypts.sort_by(|a, b| a.rho.total_cmp(&b.rho));
        let furrows = (0..r.int(2, 7))
            .map(|_| Furrow {
                rho: r.range(0.6, 0.93),
                theta: r.range(0.0, TAU),
                half_span: r.range(0.3, 1.4),
                width: r.range(0.008, 0.02),
                depth: r.range(12.0, 28.0),
            })
            .collect();
        let spots = (0..r.int(0, 6))
            .map(|_| (r.range(0.0, TAU), r.range(0.3, 0.9), r.range(0.012, 0.03)))
            .collect();
        Texture {
            base: r.range(82.0, 118.0),
            fibres,
            swells,
            collarette,
            zigzag,
            collarette_gain: r.range(10.0, 22.0),
            pupillary_offset: r.range(-12.0, 8.0),
            crypts,
            furrows,
            spots,
            grain: r.next_u64(),
        }
    }

    /// The iris grey at angle `t` (radians) and normalised radius `rho` (0 at the pupil's edge,
    /// 1 at the limbus).
    pub(crate) fn at(&self, t: f32, rho: f32) -> f32 {
        let mut g = self.base;
        // Fibres fade a little toward the pupil and the limbus.
        let env = 0.55 + 0.45 * math::sin(PI * rho.clamp(0.0, 1.0));
        for &(k, ph, drift, amp) in &self.fibres {
            g += amp * env * math::sin(k * t + ph + drift * rho);
        }
        // Irregular stroma: elongated radially (few rings, many cells around).
        g += 9.0 * lattice(self.grain, t, rho, 90, 5);
        g += 6.0 * lattice(self.grain ^ 0x5A5A, t, rho, 220, 14);
        for &(k, ph, amp) in &self.swells {
            g += amp * math::sin(k * t + ph + 1.5 * rho);
        }
        // Collarette: a bright wavy ridge; the pupillary zone inside it has its own tone.
        let (zk, zph, zamp) = self.zigzag;
        let c = self.collarette + zamp * math::sin(zk * t + zph);
        let dc = (rho - c) * 22.0;
        g += self.collarette_gain * (1.0 - dc * dc).max(0.0);
        if rho < c {
            g += self.pupillary_offset;
        }
        for cr in &self.crypts {
            let dr = (rho - cr.rho) / cr.half_rho;
            if dr.abs() >= 1.0 {
                continue;
            }
            let dt = dangle(t, cr.theta) / cr.half_theta;
            let d = dt * dt + dr * dr;
            if d < 1.0 {
                let s = 1.0 - d;
                g -= cr.depth * s * s;
            }
        }
        for f in &self.furrows {
            let dr = (rho - f.rho) / f.width;
            if dr.abs() >= 1.0 {
                continue;
            }
            let dt = dangle(t, f.theta) / f.half_span;
            if dt.abs() < 1.0 {
                g -= f.depth * (1.0 - dr * dr) * (1.0 - dt * dt);
            }
        }
        for &(st, sr, size) in &self.spots {
            let dr = (rho - sr) / size;
            let dt = dangle(t, st) * 3.0 / (size * 8.0);
            let d = dr * dr + dt * dt;
            if d < 1.0 {
                g -= 30.0 * (1.0 - d);
            }
        }
        // Pupillary ruff and limbal ring: darker bands at both edges.
        if rho < 0.05 {
            g -= 22.0 * (1.0 - rho / 0.05);
        }
        if rho > 0.85 {
            g -= 28.0 * ((rho - 0.85) / 0.15).min(1.0);
        }
        g
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_differ_per_identity_and_stay_in_range() {
        let a = Texture::new(SimIdentity(1));
        let b = Texture::new(SimIdentity(2));
        let mut diff = 0.0;
        for i in 0..360 {
            let t = (i as f32).to_radians();
            for j in 0..20 {
                let rho = j as f32 / 19.0;
                let (ga, gb) = (a.at(t, rho), b.at(t, rho));
                assert!((0.0..255.0).contains(&ga), "{ga}");
                diff += (ga - gb).abs();
            }
        }
        assert!(diff / 7200.0 > 8.0, "mean difference {}", diff / 7200.0);
    }
}
