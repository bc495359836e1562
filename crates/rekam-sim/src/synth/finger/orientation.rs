//! The ridge-flow models of a master print: the orientation field and the ridge period map.
//!
//! - **Orientation** follows the zero-pole model of Sherlock and Monro (1993), as SFinGe uses it:
//!   the ridge direction at `z` is `θ(z) = θ₀ + ½ (Σ arg(z − cᵢ) − Σ arg(z − dⱼ))` over the cores
//!   `cᵢ` and deltas `dⱼ`, so that a walk around a core turns the flow by +π (Poincaré index +½)
//!   and around a delta by −π (index −½). The class decides the singular points: a loop has one
//!   core with its delta below on the side opposite the opening, a whorl two cores stacked
//!   closely with a delta on each side, a tented arch a core right above its delta. A plain arch
//!   has no singular point; its flow is the level lines of `v + A(v)·exp(−u²/2w²)`, ridges
//!   running side to side with a hump that flattens toward the crease (SFinGe likewise uses a
//!   separate formula for arches). A faint low-frequency warp keeps the flow from looking drawn
//!   with a compass. The Vizcaya–Gerhardt correction is not applied.
//! - **Ridge period** follows SFinGe's density map: a per-finger base period of 8.5-10 px
//!   (0.43-0.5 mm at 500 ppi), a little longer above the northernmost core and below the
//!   southernmost delta (the ridges there are sparser in real prints), and a smooth random
//!   variation, kept within 8-11 px.
//!
//! Coordinates are pattern coordinates: full-resolution pixels, origin at the pad centre, `u` to
//! the right, `v` down the finger (toward the first crease). Angles are in the same frame
//! (radians from +u toward +v), taken modulo π.

use std::f32::consts::{FRAC_PI_2, PI};

use super::PatternClass;
use crate::synth::SimRng;

/// The shortest and longest ridge period the model produces, in pixels at 500 ppi.
pub const PERIOD_RANGE: (f32, f32) = (8.0, 11.0);

/// A few sinusoids in two variables: a cheap, smooth random field with values in about
/// `[-1, 1]`.
#[derive(Debug, Clone)]
pub(crate) struct SmoothField {
    waves: [(f32, f32, f32, f32); 3],
}

impl SmoothField {
    /// A field whose features are `scale` pixels or larger.
    pub(crate) fn new(r: &mut SimRng, scale: f32) -> Self {
        let mut wave = || {
            let a = r.range(0.0, PI);
            let k = std::f32::consts::TAU / (scale * r.range(1.0, 2.0));
            (
                k * a.cos(),
                k * a.sin(),
                r.range(0.0, std::f32::consts::TAU),
                r.range(0.6, 1.0),
            )
        };
        SmoothField {
            waves: [wave(), wave(), wave()],
        }
    }

    /// The value at `(u, v)`.
    pub(crate) fn at(&self, u: f32, v: f32) -> f32 {
        let mut s = 0.0;
        let mut n = 0.0;
        for &(ku, kv, ph, amp) in &self.waves {
            s += amp * (ku * u + kv * v + ph).sin();
            n += amp;
        }
        s / n * 1.6
    }
}

/// The flow model of one finger.
#[derive(Debug, Clone)]
pub struct FlowModel {
    /// Pattern class.
    pub(crate) class: PatternClass,
    /// Cores (index +½), in pattern coordinates.
    pub(crate) cores: Vec<(f32, f32)>,
    /// Deltas (index −½).
    pub(crate) deltas: Vec<(f32, f32)>,
    /// Arch parameters: hump height, hump width, the `v` where the hump is half gone, and the
    /// hump's centre `u`.
    arch: (f32, f32, f32, f32),
    /// The tilt of the whole pattern (radians, clockwise positive).
    tilt: f32,
    warp: SmoothField,
    warp_amp: f32,
    base_period: f32,
    period_field: SmoothField,
}

impl FlowModel {
    /// Draws the flow model of a finger of class `class` whose pad has half width `half_w` and
    /// half height `half_h` (singular points are kept well inside).
    pub(crate) fn new(r: &mut SimRng, class: PatternClass, half_w: f32, half_h: f32) -> Self {
        let s = half_h / 180.0;
        let core = (r.range(-18.0, 18.0) * s, r.range(-45.0, 5.0) * s);
        let mut cores = Vec::new();
        let mut deltas = Vec::new();
        match class {
            PatternClass::LeftLoop | PatternClass::RightLoop => {
                // The delta sits below the core, on the side away from the opening.
                let side = if class == PatternClass::RightLoop {
                    -1.0
                } else {
                    1.0
                };
                let d = (
                    core.0 + side * r.range(45.0, 95.0) * s,
                    core.1 + r.range(75.0, 115.0) * s,
                );
                cores.push(core);
                deltas.push(d);
            }
            PatternClass::Whorl => {
                let sep = r.range(14.0, 34.0) * s;
                let lean = r.range(-0.5, 0.5);
                let (ls, lc) = lean.sin_cos();
                cores.push((core.0 - 0.5 * sep * ls, core.1 - 0.5 * sep * lc));
                cores.push((core.0 + 0.5 * sep * ls, core.1 + 0.5 * sep * lc));
                let dv = r.range(80.0, 115.0) * s;
                deltas.push((
                    core.0 - r.range(70.0, 100.0) * s,
                    core.1 + dv + r.range(-12.0, 12.0) * s,
                ));
                deltas.push((
                    core.0 + r.range(70.0, 100.0) * s,
                    core.1 + dv + r.range(-12.0, 12.0) * s,
                ));
            }
            PatternClass::TentedArch => {
                cores.push(core);
                deltas.push((
                    core.0 + r.range(-6.0, 6.0) * s,
                    core.1 + r.range(45.0, 75.0) * s,
                ));
            }
            PatternClass::Arch => {}
        }
        // Keep everything inside the pad with a margin.
        let clampp = |p: (f32, f32)| {
            (
                p.0.clamp(-half_w + 45.0, half_w - 45.0),
                p.1.clamp(-half_h + 60.0, half_h - 55.0),
            )
        };
        let cores = cores.into_iter().map(clampp).collect();
        let deltas = deltas.into_iter().map(clampp).collect();
        let arch = (
            r.range(90.0, 130.0) * s,
            r.range(50.0, 70.0) * s,
            r.range(0.0, 60.0) * s,
            r.range(-15.0, 15.0) * s,
        );
        FlowModel {
            class,
            cores,
            deltas,
            arch,
            tilt: r.range(-0.12, 0.12),
            warp: SmoothField::new(r, 220.0),
            warp_amp: r.range(0.03, 0.07),
            base_period: r.range(8.6, 10.0),
            period_field: SmoothField::new(r, 160.0),
        }
    }

    /// The singular points: cores then deltas.
    pub fn cores(&self) -> &[(f32, f32)] {
        &self.cores
    }

    /// The deltas.
    pub fn deltas(&self) -> &[(f32, f32)] {
        &self.deltas
    }

    /// The ridge direction at `(u, v)`, radians modulo π.
    pub fn orientation(&self, u: f32, v: f32) -> f32 {
        let base = match self.class {
            PatternClass::Arch => {
                let (a, w, vh, uc) = self.arch;
                // φ = v + A(v)·g(u), A(v) = a / (1 + exp((v − vh)/L)), g = exp(−(u−uc)²/2w²);
                // |A'| ≤ a/4L < 1 keeps φ monotone in v: no singular point.
                const L: f32 = 55.0;
                let x = u - uc;
                let g = (-(x * x) / (2.0 * w * w)).exp();
                let e = ((v - vh) / L).clamp(-30.0, 30.0).exp();
                let amp = a / (1.0 + e);
                let damp = -a * e / (L * (1.0 + e) * (1.0 + e));
                let gu = amp * g * (-x / (w * w));
                let gv = 1.0 + damp * g;
                // The ridge runs perpendicular to the gradient (gu, gv).
                gv.atan2(gu) - FRAC_PI_2
            }
            _ => {
                // Rotating the singular points' frame by the tilt keeps the far field tilted
                // too.
                let mut t = self.tilt;
                for &(cu, cv) in &self.cores {
                    t += 0.5 * (v - cv).atan2(u - cu);
                }
                for &(du, dv) in &self.deltas {
                    t -= 0.5 * (v - dv).atan2(u - du);
                }
                t
            }
        };
        let warp = self.warp_amp * self.warp.at(u, v);
        let t = base
            + warp
            + if self.class == PatternClass::Arch {
                self.tilt
            } else {
                0.0
            };
        t.rem_euclid(PI)
    }

    /// The ridge period at `(u, v)` in pixels.
    pub fn period(&self, u: f32, v: f32) -> f32 {
        let top = self.cores.iter().map(|c| c.1).fold(f32::INFINITY, f32::min);
        let bottom = self
            .deltas
            .iter()
            .map(|d| d.1)
            .fold(f32::NEG_INFINITY, f32::max);
        let (top, bottom) = if top.is_finite() {
            (top, bottom.max(top + 60.0))
        } else {
            (-60.0, 90.0)
        };
        let smooth = |x: f32| (x / 60.0).clamp(0.0, 1.0);
        let sparse = 0.7 * smooth(top - 20.0 - v) + 0.6 * smooth(v - bottom - 20.0);
        let p = self.base_period + sparse + 0.35 * self.period_field.at(u, v);
        p.clamp(PERIOD_RANGE.0, PERIOD_RANGE.1)
    }
}
