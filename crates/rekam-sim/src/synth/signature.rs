//! Synthetic handwritten signatures on a 500x200 pad, sampled at 200 Hz with pressure, in the
//! manner of Plamondon's kinematic theory of rapid movements (the Sigma-Lognormal model, as used
//! by the synthetic on-line signature generators of Galbally et al. and Ferrer et al.).
//!
//! A person ([`super::signature_seed`]) owns a *signature plan*: two to four pen-down strokes
//! (name parts, and sometimes an underline flourish), each the vector sum of overlapping
//! lognormal velocity components. A component `i` has a start time `t0`, an amplitude `D`, a
//! log-time delay `mu`, a log-response time `sigma` and start and end directions
//! `theta_s`, `theta_e`; its speed is `D * lognormal_pdf(t - t0; mu, sigma)` and its direction
//! turns from `theta_s` to `theta_e` in proportion to the distance covered. The path has a
//! closed form (no integration error):
//! `x = D / (theta_e - theta_s) * (sin(phi) - sin(theta_s))`,
//! `y = -D / (theta_e - theta_s) * (cos(phi) - cos(theta_s))`,
//! `phi = theta_s + (theta_e - theta_s) * lognormal_cdf(t - t0)`.
//!
//! Each impression re-draws every parameter around the person's plan (amplitudes and directions
//! a few percent, timing and speed about 8 %, position, size and slant slightly), so two
//! signatures of one person differ in every sample but keep their shape, while two people
//! differ in the number, size and direction of their strokes. Between strokes the pen hovers
//! (pen up, pressure 0) from the end of one stroke to the start of the next, as proximity pads
//! report it. Pressure rises as the pen lands, falls as it lifts and is higher where the pen
//! moves slowly.

use std::f32::consts::{FRAC_PI_2, PI, SQRT_2};

use rekam_hal::{PenSample, RawImage};

use super::SimRng;

/// Pad width in pad units (one unit is one image pixel).
pub const WIDTH: u16 = 500;
/// Pad height.
pub const HEIGHT: u16 = 200;
/// Highest pressure value.
pub const PRESSURE_LEVELS: u16 = 1024;
/// Time between samples (200 Hz).
pub const SAMPLE_MS: u32 = 5;

/// Margin kept free around the signature on the pad, pad units.
const MARGIN: f32 = 6.0;

/// The error function, Abramowitz and Stegun 7.1.26 (absolute error below 1.5e-7). Written here
/// because std has none and a maths crate for one function is not worth a dependency.
fn erf(x: f32) -> f32 {
    let sign = x.signum();
    let x = x.abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * x);
    let poly = t
        * (0.254_829_6
            + t * (-0.284_496_74 + t * (1.421_413_7 + t * (-1.453_152_1 + t * 1.061_405_4))));
    sign * (1.0 - poly * (-x * x).exp())
}

/// A standard normal draw (Box-Muller).
fn gauss(r: &mut SimRng) -> f32 {
    let u1 = r.unit().max(1e-7);
    let u2 = r.unit();
    (-2.0 * u1.ln()).sqrt() * (2.0 * PI * u2).cos()
}

/// One lognormal velocity component. Times in seconds, lengths in template units.
#[derive(Debug, Clone, Copy)]
struct Lognormal {
    t0: f32,
    d: f32,
    mu: f32,
    sigma: f32,
    theta_s: f32,
    theta_e: f32,
}

impl Lognormal {
    /// Fraction of the component's distance covered at `t`.
    fn cdf(&self, t: f32) -> f32 {
        let dt = t - self.t0;
        if dt <= 0.0 {
            return 0.0;
        }
        0.5 * (1.0 + erf((dt.ln() - self.mu) / (self.sigma * SQRT_2)))
    }

    /// Displacement produced by `t`.
    fn displacement(&self, t: f32) -> (f32, f32) {
        let c = self.cdf(t);
        if c == 0.0 {
            return (0.0, 0.0);
        }
        let turn = self.theta_e - self.theta_s;
        if turn.abs() < 1e-3 {
            let s = self.d * c;
            return (s * self.theta_s.cos(), s * self.theta_s.sin());
        }
        let phi = self.theta_s + turn * c;
        let k = self.d / turn;
        (
            k * (phi.sin() - self.theta_s.sin()),
            -k * (phi.cos() - self.theta_s.cos()),
        )
    }

    /// When the component has practically ended (3 sigma past its median).
    fn end(&self) -> f32 {
        self.t0 + (self.mu + 3.0 * self.sigma).exp()
    }
}

/// One pen-down stroke: a start point and its components (y up, template units).
#[derive(Debug, Clone)]
struct Stroke {
    start: (f32, f32),
    parts: Vec<Lognormal>,
}

impl Stroke {
    fn duration(&self) -> f32 {
        self.parts.iter().map(Lognormal::end).fold(0.0, f32::max)
    }

    fn at(&self, t: f32) -> (f32, f32) {
        let (mut x, mut y) = self.start;
        for p in &self.parts {
            let (dx, dy) = p.displacement(t);
            x += dx;
            y += dy;
        }
        (x, y)
    }
}

/// A person's signature plan.
#[derive(Debug, Clone)]
struct Plan {
    strokes: Vec<Stroke>,
    /// Pen-up time before each stroke after the first, seconds.
    gaps: Vec<f32>,
    /// Typical pressure, 0-1.
    pressure: f32,
    /// Pad width the signature spans.
    width: f32,
    /// Slant of the whole signature, radians.
    slant: f32,
}

/// Where a component ends relative to where it starts, per unit amplitude (the chord of its
/// arc).
fn unit_chord(theta_s: f32, turn: f32) -> (f32, f32) {
    if turn.abs() < 1e-3 {
        return (theta_s.cos(), theta_s.sin());
    }
    let theta_e = theta_s + turn;
    (
        (theta_e.sin() - theta_s.sin()) / turn,
        (theta_s.cos() - theta_e.cos()) / turn,
    )
}

/// How a component's amplitude is chosen.
#[derive(Clone, Copy)]
enum Reach {
    /// End at this height above the baseline (a writer keeps to the line).
    Height(f32),
    /// A fixed amplitude.
    Length(f32),
}

/// Builds a pen-down stroke component by component, tracking the height reached.
struct Pen<'a> {
    r: &'a mut SimRng,
    parts: Vec<Lognormal>,
    t0: f32,
    y: f32,
}

impl Pen<'_> {
    fn add(&mut self, theta_s: f32, turn: f32, reach: Reach, next: f32) {
        let (_, uy) = unit_chord(theta_s, turn);
        let d = match reach {
            Reach::Height(target) => {
                let wanted = target - self.y;
                if uy.abs() > 0.15 && uy.signum() == wanted.signum() {
                    wanted / uy
                } else {
                    self.r.range(15.0, 30.0)
                }
            }
            Reach::Length(d) => d,
        }
        .clamp(8.0, 130.0);
        self.y += d * uy;
        self.parts.push(Lognormal {
            t0: self.t0,
            d,
            mu: self.r.range(0.15, 0.26).ln(),
            sigma: self.r.range(0.17, 0.3),
            theta_s,
            theta_e: theta_s + turn,
        });
        self.t0 += next;
    }
}

/// A cursive word: an optional capital, then letters built from loops, arches and cups joined by
/// connectors, as a Sigma-Lognormal sequence.
fn cursive(r: &mut SimRng, start: (f32, f32), capital: bool) -> Stroke {
    let letters = r.int(2, 5);
    let xh = r.range(22.0, 38.0);
    // The writer's habits: how round, how often loops, arches or cups.
    let round = r.range(0.8, 1.25);
    let (p_loop, p_arch) = (r.range(0.2, 0.5), r.range(0.2, 0.5));
    let mut pen = Pen {
        r,
        parts: Vec::new(),
        t0: 0.0,
        y: 0.0,
    };
    if capital {
        let th = pen.r.range(1.2, 1.9);
        let turn = pen.r.range(2.0, 3.6) * if pen.r.unit() < 0.5 { 1.0 } else { -1.0 };
        let cap = xh * pen.r.range(2.2, 3.2);
        let next = pen.r.range(0.16, 0.24);
        pen.add(th, turn, Reach::Height(cap), next);
        let th = pen.r.range(-1.9, -1.4);
        let turn = pen.r.range(-0.5, 0.8);
        let next = pen.r.range(0.12, 0.18);
        pen.add(th, turn, Reach::Height(0.0), next);
    }
    for _ in 0..letters {
        let pick = pen.r.unit();
        let tall = if pen.r.unit() < 0.3 { 2.0 } else { 1.0 };
        let gap = |pen: &mut Pen<'_>| pen.r.range(0.08, 0.14);
        if pick < p_loop {
            // l, e, b: up and round to the left, back down through the loop.
            let (th, turn, next) = (
                pen.r.range(0.3, 0.8),
                round * pen.r.range(1.6, 2.6),
                gap(&mut pen),
            );
            pen.add(th, turn, Reach::Height(xh * tall), next);
            let (th, turn, next) = (
                pen.r.range(-2.0, -1.6),
                pen.r.range(0.3, 0.8),
                gap(&mut pen),
            );
            pen.add(th, turn, Reach::Height(0.0), next);
        } else if pick < p_loop + p_arch {
            // n, m, h: up, over an arch, down.
            let (th, turn, next) = (
                pen.r.range(1.2, 1.5),
                -round * pen.r.range(2.0, 2.8),
                gap(&mut pen),
            );
            pen.add(th, turn, Reach::Height(xh * tall * 0.4), next);
            let (th, turn, next) = (
                pen.r.range(-1.7, -1.4),
                pen.r.range(0.1, 0.6),
                gap(&mut pen),
            );
            pen.add(th, turn, Reach::Height(0.0), next);
        } else {
            // u, w, a: down and round up the right side.
            let (th, turn, next) = (
                pen.r.range(-1.5, -1.0),
                round * pen.r.range(1.6, 2.4),
                gap(&mut pen),
            );
            pen.add(th, turn, Reach::Height(xh * tall), next);
            let (th, turn, next) = (
                pen.r.range(-1.8, -1.5),
                pen.r.range(-0.2, 0.4),
                gap(&mut pen),
            );
            pen.add(th, turn, Reach::Height(0.0), next);
        }
        // Connector to the next letter, rightwards.
        let (th, turn) = (pen.r.range(0.0, 0.5), pen.r.range(-0.3, 0.3));
        let (len, next) = (xh * pen.r.range(0.4, 0.8), gap(&mut pen));
        pen.add(th, turn, Reach::Length(len), next);
    }
    Stroke {
        start,
        parts: pen.parts,
    }
}

/// An underline flourish: a short hook then a long, gently curved sweep.
fn flourish(r: &mut SimRng, right: f32, length: f32) -> Stroke {
    let dir = if r.unit() < 0.7 { 0.0 } else { PI };
    let x = if dir == 0.0 {
        right * r.range(0.0, 0.2)
    } else {
        right * r.range(0.85, 1.0)
    };
    let start = (x, -r.range(35.0, 55.0));
    let hook = r.range(-2.2, -1.0);
    let parts = vec![
        Lognormal {
            t0: 0.0,
            d: r.range(15.0, 30.0),
            mu: r.range(0.14, 0.2).ln(),
            sigma: r.range(0.2, 0.3),
            theta_s: hook,
            theta_e: hook + r.range(-0.6, 0.6),
        },
        Lognormal {
            t0: r.range(0.08, 0.14),
            d: length,
            mu: r.range(0.25, 0.4).ln(),
            sigma: r.range(0.18, 0.26),
            theta_s: dir + r.range(-0.12, 0.12),
            theta_e: dir + r.range(-0.35, 0.35),
        },
    ];
    Stroke { start, parts }
}

/// The bounding box of a stroke's path, sampled.
fn stroke_box(s: &Stroke) -> (f32, f32, f32, f32) {
    let dur = s.duration();
    let mut b = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
    let steps = 60;
    for i in 0..=steps {
        let (x, y) = s.at(dur * i as f32 / steps as f32);
        b = (b.0.min(x), b.1.min(y), b.2.max(x), b.3.max(y));
    }
    b
}

impl Plan {
    /// The plan of the person with signature seed `seed`.
    fn of(seed: u64) -> Plan {
        let mut r = SimRng::new(seed ^ 0x5167_A7E5);
        let words = r.int(1, 3) as usize;
        let underline = r.unit() < 0.5 || words == 1;
        let mut strokes = Vec::new();
        let mut gaps = Vec::new();
        let mut x = 0.0f32;
        let mut right = 0.0f32;
        for w in 0..words {
            let start = (x, r.range(-8.0, 8.0));
            let capital = w == 0 || r.unit() < 0.5;
            let s = cursive(&mut r, start, capital);
            let (_, _, x1, _) = stroke_box(&s);
            right = right.max(x1);
            x = x1 + r.range(18.0, 45.0);
            if w > 0 {
                gaps.push(r.range(0.12, 0.35));
            }
            strokes.push(s);
        }
        if underline {
            let length = right * r.range(0.6, 0.95);
            let s = flourish(&mut r, right, length);
            gaps.push(r.range(0.15, 0.4));
            strokes.push(s);
        }
        Plan {
            strokes,
            gaps,
            pressure: r.range(0.45, 0.75),
            width: r.range(300.0, 430.0),
            slant: r.range(-0.08, 0.08),
        }
    }

    /// An impression: every parameter re-drawn around the plan.
    fn impression(&self, impression: u64) -> Plan {
        let mut r = SimRng::new(impression ^ 0x1A7E_55ED);
        let tempo = (1.0 + 0.08 * gauss(&mut r)).clamp(0.8, 1.25);
        let mut out = self.clone();
        for s in &mut out.strokes {
            s.start.0 += 2.5 * gauss(&mut r);
            s.start.1 += 2.5 * gauss(&mut r);
            for p in &mut s.parts {
                p.t0 = (p.t0 + 0.008 * gauss(&mut r)).max(0.0) * tempo;
                p.d *= (1.0 + 0.05 * gauss(&mut r)).clamp(0.8, 1.2);
                p.mu += tempo.ln() + 0.04 * gauss(&mut r);
                p.sigma = (p.sigma * (1.0 + 0.05 * gauss(&mut r))).clamp(0.1, 0.45);
                p.theta_s += 0.05 * gauss(&mut r);
                p.theta_e += 0.06 * gauss(&mut r);
            }
        }
        for g in &mut out.gaps {
            *g = (*g * tempo * (1.0 + 0.1 * gauss(&mut r))).max(0.06);
        }
        out.pressure = (self.pressure * (1.0 + 0.05 * gauss(&mut r))).clamp(0.2, 0.95);
        out.width *= (1.0 + 0.03 * gauss(&mut r)).clamp(0.9, 1.1);
        out.slant += 0.02 * gauss(&mut r);
        out
    }
}

/// A sampled point before pad placement: template coordinates, pen state, relative speed.
#[derive(Clone, Copy)]
struct Raw {
    x: f32,
    y: f32,
    down: bool,
    speed: f32,
    /// Fraction of the way through its pen-down stroke (0 at landing, 1 at lift).
    phase: f32,
}

/// Samples `plan` every [`SAMPLE_MS`]: pen-down strokes and hover moves between them.
fn trace(plan: &Plan) -> Vec<Raw> {
    let dt = SAMPLE_MS as f32 / 1000.0;
    let mut out: Vec<Raw> = Vec::new();
    for (i, s) in plan.strokes.iter().enumerate() {
        if i > 0 {
            // Hover from the last point to the new start while the pen is up.
            if let Some(last) = out.last().copied() {
                let gap = plan.gaps.get(i - 1).copied().unwrap_or(0.2);
                let steps = ((gap / dt).round() as usize).max(2);
                let (x0, y0) = (last.x, last.y);
                let (x1, y1) = s.at(0.0);
                for k in 1..steps {
                    let u = k as f32 / steps as f32;
                    let e = u * u * (3.0 - 2.0 * u);
                    out.push(Raw {
                        x: x0 + (x1 - x0) * e,
                        y: y0 + (y1 - y0) * e + 6.0 * (PI * u).sin(),
                        down: false,
                        speed: 0.0,
                        phase: 0.0,
                    });
                }
            }
        }
        let dur = s.duration().min(4.0);
        let steps = ((dur / dt).ceil() as usize).max(2);
        let mut prev = s.at(0.0);
        for k in 0..=steps {
            let t = k as f32 * dt;
            let (x, y) = s.at(t);
            let speed = ((x - prev.0).powi(2) + (y - prev.1).powi(2)).sqrt() / dt;
            prev = (x, y);
            out.push(Raw {
                x,
                y,
                down: true,
                speed,
                phase: k as f32 / steps as f32,
            });
        }
    }
    // The pen lifts where it stopped.
    if let Some(last) = out.last().copied() {
        out.push(Raw {
            down: false,
            speed: 0.0,
            ..last
        });
    }
    out
}

/// Generates the samples of a signature: `seed` is the person's
/// ([`signature_seed`](super::signature_seed)), `impression` varies it.
pub fn samples(seed: u64, impression: u64) -> Vec<PenSample> {
    let plan = Plan::of(seed);
    let shot = plan.impression(impression);
    // Place on the pad from the person's plan (so size and position are the person's), then the
    // impression's own size and slant around the centre, shrunk if it would leave the pad.
    let reference = trace(&plan);
    let raw = trace(&shot);
    let bbox = |pts: &[Raw]| {
        pts.iter()
            .fold((f32::MAX, f32::MAX, f32::MIN, f32::MIN), |b, p| {
                (b.0.min(p.x), b.1.min(p.y), b.2.max(p.x), b.3.max(p.y))
            })
    };
    let (rx0, ry0, rx1, ry1) = bbox(&reference);
    let ref_w = (rx1 - rx0).max(1.0);
    let ref_h = (ry1 - ry0).max(1.0);
    let (pad_w, pad_h) = (f32::from(WIDTH), f32::from(HEIGHT));
    let base = (plan.width / ref_w).min((pad_h - 2.0 * MARGIN - 20.0) / ref_h);
    let scale = base * shot.width / plan.width;
    let (cx, cy) = ((rx0 + rx1) / 2.0, (ry0 + ry1) / 2.0);
    let (sin, cos) = shot.slant.sin_cos();
    let mut jitter = SimRng::new(impression ^ 0x0FF5E7);
    let shift = (3.0 * gauss(&mut jitter), 2.0 * gauss(&mut jitter));
    let place = |p: &Raw, k: f32| {
        let (x, y) = ((p.x - cx) * scale * k, (p.y - cy) * scale * k);
        // y up in the template, down on the pad.
        (
            pad_w / 2.0 + x * cos - y * sin + shift.0,
            pad_h / 2.0 - (x * sin + y * cos) + shift.1,
        )
    };
    // Shrink to fit when the impression runs off the usable area.
    let mut k = 1.0f32;
    for p in &raw {
        let (x, y) = place(p, 1.0);
        let fx = (pad_w / 2.0 - MARGIN) / (x - pad_w / 2.0 - shift.0).abs().max(1e-3);
        let fy = (pad_h / 2.0 - MARGIN) / (y - pad_h / 2.0 - shift.1).abs().max(1e-3);
        k = k.min(fx).min(fy);
    }
    let max_speed = raw
        .iter()
        .filter(|p| p.down)
        .map(|p| p.speed)
        .fold(1.0f32, f32::max);
    let mut noise = SimRng::new(impression ^ 0x9E55);
    let top = f32::from(PRESSURE_LEVELS - 1);
    raw.iter()
        .enumerate()
        .map(|(i, p)| {
            let (x, y) = place(p, k);
            let pressure = if p.down {
                let land = (p.phase * 12.0).min(1.0);
                let lift = ((1.0 - p.phase) * 9.0).min(1.0);
                let envelope = (land * FRAC_PI_2).sin() * (lift * FRAC_PI_2).sin();
                let slow = 1.15 - 0.4 * (p.speed / max_speed).min(1.0);
                let v = shot.pressure * (0.25 + 0.75 * envelope) * slow + 0.02 * noise.noise();
                (v.clamp(0.02, 1.0) * top).round() as u16
            } else {
                0
            };
            PenSample {
                x: x.round().clamp(0.0, pad_w - 1.0) as u16,
                y: y.round().clamp(0.0, pad_h - 1.0) as u16,
                pressure,
                t_ms: i as u32 * SAMPLE_MS,
                pen_down: p.down,
            }
        })
        .collect()
}

/// Draws pen-down segments as dark lines, thicker with pressure, on white (the pad's own
/// rendering, at pad resolution).
pub fn draw(samples: &[PenSample]) -> RawImage {
    let (w, h) = (u32::from(WIDTH), u32::from(HEIGHT));
    let mut px = vec![255u8; (w * h) as usize];
    let mut dot = |x: f32, y: f32, radius: f32| {
        let r = radius.ceil() as i32;
        for oy in -r..=r {
            for ox in -r..=r {
                let (xx, yy) = (x.round() as i32 + ox, y.round() as i32 + oy);
                if xx < 0 || yy < 0 || xx >= w as i32 || yy >= h as i32 {
                    continue;
                }
                if ((ox * ox + oy * oy) as f32) <= radius * radius {
                    px[(yy as u32 * w + xx as u32) as usize] = 20;
                }
            }
        }
    };
    for pair in samples.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        if !(a.pen_down && b.pen_down) {
            continue;
        }
        let radius = 0.8 + 1.6 * f32::from(b.pressure) / f32::from(PRESSURE_LEVELS);
        let (dx, dy) = (
            f32::from(b.x) - f32::from(a.x),
            f32::from(b.y) - f32::from(a.y),
        );
        let steps = dx.abs().max(dy.abs()).ceil().max(1.0) as u32;
        for i in 0..=steps {
            let t = i as f32 / steps as f32;
            dot(f32::from(a.x) + dx * t, f32::from(a.y) + dy * t, radius);
        }
    }
    RawImage {
        width: w,
        height: h,
        format: rekam_hal::PixelFormat::Gray8,
        ppi: None,
        data: px,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pen-down runs (strokes) of a signature.
    fn strokes(s: &[PenSample]) -> Vec<&[PenSample]> {
        s.split(|p| !p.pen_down).filter(|r| r.len() > 1).collect()
    }

    /// Pen-down points resampled to `n` points by arc length, normalised to the unit box.
    fn shape(s: &[PenSample], n: usize) -> Vec<(f32, f32)> {
        let pts: Vec<(f32, f32)> = s
            .iter()
            .filter(|p| p.pen_down)
            .map(|p| (f32::from(p.x), f32::from(p.y)))
            .collect();
        let (x0, y0, x1, y1) = pts
            .iter()
            .fold((f32::MAX, f32::MAX, f32::MIN, f32::MIN), |b, p| {
                (b.0.min(p.0), b.1.min(p.1), b.2.max(p.0), b.3.max(p.1))
            });
        let size = (x1 - x0).max(y1 - y0).max(1.0);
        let mut cum = vec![0.0f32];
        for w in pts.windows(2) {
            let d = ((w[1].0 - w[0].0).powi(2) + (w[1].1 - w[0].1).powi(2)).sqrt();
            cum.push(cum[cum.len() - 1] + d);
        }
        let total = cum[cum.len() - 1].max(1e-3);
        let mut j = 0;
        (0..n)
            .map(|i| {
                let target = total * i as f32 / (n - 1) as f32;
                while j + 1 < cum.len() - 1 && cum[j + 1] < target {
                    j += 1;
                }
                ((pts[j].0 - x0) / size, (pts[j].1 - y0) / size)
            })
            .collect()
    }

    fn distance(a: &[PenSample], b: &[PenSample]) -> f32 {
        let (sa, sb) = (shape(a, 128), shape(b, 128));
        sa.iter()
            .zip(&sb)
            .map(|(p, q)| ((p.0 - q.0).powi(2) + (p.1 - q.1).powi(2)).sqrt())
            .sum::<f32>()
            / sa.len() as f32
    }

    #[test]
    fn erf_matches_known_values() {
        for (x, v) in [
            (0.0, 0.0),
            (0.5, 0.520_499_9),
            (1.0, 0.842_700_8),
            (2.0, 0.995_322_3),
        ] {
            assert!((erf(x) - v).abs() < 1e-5, "erf({x})");
            assert!((erf(-x) + v).abs() < 1e-5, "erf(-{x})");
        }
    }

    #[test]
    fn signatures_are_per_person_with_strokes_and_pen_ups() {
        let a = samples(1, 1);
        assert!(a.len() > 100);
        assert!(a.iter().any(|s| !s.pen_down));
        assert!(a.windows(2).all(|w| w[1].t_ms == w[0].t_ms + SAMPLE_MS));
        assert!(a
            .iter()
            .all(|s| s.x < WIDTH && s.y < HEIGHT && s.pressure < PRESSURE_LEVELS));
        assert_eq!(a, samples(1, 1));
        assert_ne!(a, samples(1, 2));
        assert_ne!(a, samples(2, 1));
        let img = draw(&a);
        assert!(img.is_consistent());
        let ink = img.data.iter().filter(|&&p| p < 128).count();
        assert!(ink > 500, "ink {ink}");
    }

    #[test]
    fn many_people_sign_realistically() {
        for person in 0..40u64 {
            let s = samples(person * 7919, person);
            let runs = strokes(&s);
            assert!(
                (2..=5).contains(&runs.len()),
                "person {person}: {} strokes",
                runs.len()
            );
            let dur = s.last().map_or(0, |p| p.t_ms);
            assert!((800..=9000).contains(&dur), "person {person}: {dur} ms");
            assert!(s.iter().filter(|p| p.pen_down).all(|p| p.pressure > 0));
            assert!(s.iter().filter(|p| !p.pen_down).all(|p| p.pressure == 0));
            // Kept inside the pad with a margin: nothing clamped onto the edge.
            assert!(s
                .iter()
                .all(|p| p.x > 0 && p.y > 0 && p.x < WIDTH - 1 && p.y < HEIGHT - 1));
            let (x0, x1) = s
                .iter()
                .fold((u16::MAX, 0), |b, p| (b.0.min(p.x), b.1.max(p.x)));
            assert!(x1 - x0 > 100, "person {person}: {} wide", x1 - x0);
            // Pen strokes start and end slowly (lognormal velocity profiles) and move fast
            // in between; pressure peaks inside the stroke, not at landing.
            for r in &runs {
                if r.len() < 20 {
                    continue;
                }
                let step = |i: usize| {
                    let (a, b) = (r[i], r[i + 1]);
                    (f32::from(a.x) - f32::from(b.x)).hypot(f32::from(a.y) - f32::from(b.y))
                };
                let peak = (0..r.len() - 1).map(step).fold(0.0, f32::max);
                assert!(step(0) < peak * 0.5, "person {person}: lands at full speed");
                let pmax = r.iter().map(|p| p.pressure).max().unwrap_or(0);
                assert!(r[0].pressure < pmax && r[r.len() - 1].pressure < pmax);
            }
        }
    }

    #[test]
    fn impressions_of_one_person_are_alike_and_people_differ() {
        let people: Vec<u64> = (0..12u64).map(|p| 1000 + p * 31).collect();
        let mut intra = Vec::new();
        let mut inter = Vec::new();
        for (i, &p) in people.iter().enumerate() {
            let a = samples(p, 1);
            let b = samples(p, 2);
            intra.push(distance(&a, &b));
            let other = samples(people[(i + 1) % people.len()], 1);
            inter.push(distance(&a, &other));
        }
        let mean = |v: &[f32]| v.iter().sum::<f32>() / v.len() as f32;
        assert!(
            mean(&intra) * 2.5 < mean(&inter),
            "intra {:.3} inter {:.3}",
            mean(&intra),
            mean(&inter)
        );
        assert!(mean(&intra) > 0.0);
    }
}
