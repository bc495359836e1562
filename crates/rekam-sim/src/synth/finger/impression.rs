//! Impressions of a master print: how one touch of the finger on the platen looks.
//!
//! For every platen pixel the renderer walks back to the master: undo the placement (slot
//! centre, displacement, rotation), undo the plastic distortion, and read the ridge wave
//! there. The steps, after SFinGe:
//!
//! - **Plastic distortion** (Cappelli, Maio and Maltoni, "Modelling plastic distortion in
//!   fingerprint images", 2001): the skin in the close-contact region (an ellipse near the pad
//!   centre) sticks to the platen and does not move; outside it the skin follows a small rigid
//!   motion (translation and rotation about the region's centre), braked by
//!   `1 − exp(−d²/2k²)` of the distance `d` from the region, so the transitional region bends
//!   smoothly. It is applied in inverse form (platen to master), which is the same family of
//!   smooth maps.
//! - **Contact and pressure**: the touching area is an ellipse the size of the slot scaled by
//!   pressure, fading toward the crease, optionally cut by a line (partial contact).
//! - **Ridge thickness**: the master stores `cos` of the ridge phase, so a threshold on it sets
//!   the ridge width: dry skin and light pressure thin the ridges (as SFinGe's erosion), wet
//!   skin and heavy pressure thicken them (dilation).
//! - **Noise**: patchy contact (dry skin breaks ridges, wet skin smears valleys) from smooth
//!   random blobs, a sensor blur, and grey-level noise over the whole platen.

use rekam_hal::{PixelFormat, RawImage, Rect, SlapKind};

use super::master::{smoothstep, MasterPrint};
use super::{slot, TipPlacement, BACKGROUND, FLAT_HEIGHT, FLAT_WIDTH, PPI};
use crate::synth::{PixelNoise, SimRng};

/// Cappelli's plastic distortion: a close-contact ellipse that stays put, and a rigid motion
/// of the skin outside it, braked across a transitional band.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Distortion {
    /// Translation of the outer skin, pixels.
    pub tx: f32,
    /// Translation of the outer skin, pixels.
    pub ty: f32,
    /// Rotation of the outer skin about the close-contact centre, degrees.
    pub rotation_deg: f32,
    /// Centre of the close-contact region, pad coordinates (pixels from the pad centre).
    pub center: (f32, f32),
    /// Semi-axes of the close-contact ellipse, pixels.
    pub radius: (f32, f32),
    /// Width `k` of the transitional region's brake, pixels.
    pub transition: f32,
}

impl Distortion {
    /// No distortion.
    pub const NONE: Distortion = Distortion {
        tx: 0.0,
        ty: 0.0,
        rotation_deg: 0.0,
        center: (0.0, 0.0),
        radius: (80.0, 100.0),
        transition: 40.0,
    };

    /// The master point seen at pad point `q`.
    #[inline]
    fn source(&self, q: (f32, f32), rot: (f32, f32)) -> (f32, f32) {
        if self.tx == 0.0 && self.ty == 0.0 && self.rotation_deg == 0.0 {
            return q;
        }
        let (dx, dy) = (q.0 - self.center.0, q.1 - self.center.1);
        let (ex, ey) = (dx / self.radius.0, dy / self.radius.1);
        let level = (ex * ex + ey * ey).sqrt();
        if level <= 1.0 {
            return q;
        }
        let d = (level - 1.0) * 0.5 * (self.radius.0 + self.radius.1);
        let brake = 1.0 - (-(d * d) / (2.0 * self.transition * self.transition)).exp();
        let (s, c) = rot;
        let mx = c * dx - s * dy + self.tx - dx;
        let my = s * dx + c * dy + self.ty - dy;
        (q.0 + brake * mx, q.1 + brake * my)
    }
}

/// A finger that touches the platen only in part: the contact is cut by a line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PartialContact {
    /// The side that is lifted, degrees: 0 the tip, 90 the right side, 180 the crease, 270 the
    /// left side (in pad coordinates).
    pub direction_deg: f32,
    /// The share of the contact ellipse's extent along that direction that still touches,
    /// 0-1.
    pub keep: f32,
}

/// Everything that makes one impression differ from another of the same master.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ImpressionParams {
    /// Displacement of the pad on the platen, pixels.
    pub dx: f32,
    /// Displacement of the pad on the platen, pixels.
    pub dy: f32,
    /// Rotation of the finger, degrees, clockwise positive.
    pub rotation_deg: f32,
    /// Plastic distortion of the skin.
    pub distortion: Distortion,
    /// Pressure, 1 normal: below 1 a smaller contact, thinner and fainter ridges; above 1 a
    /// larger contact and thicker ridges.
    pub pressure: f32,
    /// Skin moisture, -1 wet (thick ridges, smeared valleys) to 1 dry (thin, broken ridges).
    pub moisture: f32,
    /// Ink darkness, 0-1.
    pub contrast: f32,
    /// Sensor noise, standard deviation in grey levels.
    pub noise: f32,
    /// Patchy contact, 0-1: how much of the ridge area random blobs lighten.
    pub blotches: f32,
    /// Sensor blur, Gaussian standard deviation in pixels (0 for none).
    pub blur: f32,
    /// Partial contact, if any.
    pub partial: Option<PartialContact>,
    /// Seed of the noise patterns.
    pub seed: u64,
}

impl ImpressionParams {
    /// A perfect impression: centred, undistorted, even pressure, no noise.
    pub fn ideal() -> Self {
        ImpressionParams {
            dx: 0.0,
            dy: 0.0,
            rotation_deg: 0.0,
            distortion: Distortion::NONE,
            pressure: 1.0,
            moisture: 0.0,
            contrast: 0.9,
            noise: 0.0,
            blotches: 0.0,
            blur: 0.0,
            partial: None,
            seed: 0,
        }
    }

    /// A realistic good impression drawn from `seed`: placement within about ±18 px and ±8°,
    /// moderate plastic distortion, normal pressure and moisture, light noise, full contact
    /// (partial contact is a degradation the operator is told about: see
    /// [`partial`](Self::partial)). Impressions of one master made with these remain matchable.
    pub fn from_seed(seed: u64) -> Self {
        let mut r = SimRng::new(seed ^ 0x1A9E_5510_0000_0000);
        ImpressionParams {
            dx: r.range(-18.0, 18.0),
            dy: r.range(-18.0, 18.0),
            rotation_deg: r.range(-8.0, 8.0),
            distortion: Distortion {
                tx: r.range(-6.0, 6.0),
                ty: r.range(-6.0, 6.0),
                rotation_deg: r.range(-2.0, 2.0),
                center: (r.range(-15.0, 15.0), r.range(-25.0, 15.0)),
                radius: (r.range(60.0, 90.0), r.range(80.0, 110.0)),
                transition: r.range(30.0, 50.0),
            },
            pressure: r.range(0.85, 1.15),
            moisture: r.range(-0.3, 0.3),
            contrast: r.range(0.8, 0.95),
            noise: r.range(2.0, 4.0),
            blotches: r.range(0.0, 0.2),
            blur: r.range(0.4, 0.7),
            partial: None,
            seed: r.next_u64(),
        }
    }

    /// A poor impression (the simulated scanner's `LowQuality` fault): faint, noisy, dry and
    /// blotchy, on the placement of [`from_seed`](Self::from_seed).
    pub fn low_quality(seed: u64) -> Self {
        // Faint, smeared and patchy enough that the station's quality check scores it well
        // under the fingerprint threshold (the `LowQuality` fault relies on it).
        ImpressionParams {
            contrast: 0.2,
            noise: 22.0,
            blotches: 0.9,
            moisture: 0.6,
            blur: 2.5,
            ..Self::from_seed(seed)
        }
    }

    /// [`from_seed`](Self::from_seed) with dry skin: thin, broken ridges (`dryness` 0-1).
    pub fn dry(seed: u64, dryness: f32) -> Self {
        let d = dryness.clamp(0.0, 1.0);
        ImpressionParams {
            moisture: 0.2 + 0.7 * d,
            blotches: 0.2 + 0.6 * d,
            contrast: 0.85 - 0.3 * d,
            ..Self::from_seed(seed)
        }
    }

    /// [`from_seed`](Self::from_seed) with wet skin: thick ridges, smeared valleys (`wetness`
    /// 0-1).
    pub fn wet(seed: u64, wetness: f32) -> Self {
        let w = wetness.clamp(0.0, 1.0);
        ImpressionParams {
            moisture: -0.2 - 0.7 * w,
            blotches: 0.1 + 0.4 * w,
            ..Self::from_seed(seed)
        }
    }

    /// [`from_seed`](Self::from_seed) touching only in part: `keep` (0-1) of the contact along
    /// a random side.
    pub fn partial(seed: u64, keep: f32) -> Self {
        let mut p = Self::from_seed(seed);
        p.partial = Some(PartialContact {
            direction_deg: SimRng::new(seed ^ 0x9A27).range(0.0, 360.0),
            keep: keep.clamp(0.0, 1.0),
        });
        p
    }

    /// [`from_seed`](Self::from_seed) with the plastic distortion scaled by `strength` (1 is
    /// the usual range, 3 a strongly twisted touch).
    pub fn distorted(seed: u64, strength: f32) -> Self {
        let mut p = Self::from_seed(seed);
        p.distortion.tx *= strength;
        p.distortion.ty *= strength;
        p.distortion.rotation_deg *= strength;
        p
    }

    /// These parameters with sensor noise of `std` grey levels.
    pub fn with_noise(self, std: f32) -> Self {
        ImpressionParams { noise: std, ..self }
    }

    /// These parameters with placement `(dx, dy)` and rotation `rotation_deg`.
    pub fn with_placement(self, dx: f32, dy: f32, rotation_deg: f32) -> Self {
        ImpressionParams {
            dx,
            dy,
            rotation_deg,
            ..self
        }
    }

    /// The platen point (flat 500x600 image) where an impression with these parameters shows
    /// master point `(u, v)`, ignoring the plastic distortion (which moves the periphery by a
    /// few pixels at most). For checking impressions against each other.
    pub fn flat_position(&self, u: f32, v: f32) -> (f32, f32) {
        let place = flat_slot();
        let (s, c) = (place.angle_deg + self.rotation_deg).to_radians().sin_cos();
        (
            place.cx + self.dx + c * u - s * v,
            place.cy + self.dy + s * u + c * v,
        )
    }

    /// The master point an impression with these parameters shows at platen point `(x, y)`
    /// (flat 500x600 image), the inverse of [`flat_position`](Self::flat_position) (so also
    /// ignoring the plastic distortion).
    pub fn master_position(&self, x: f32, y: f32) -> (f32, f32) {
        let place = flat_slot();
        let (s, c) = (place.angle_deg + self.rotation_deg).to_radians().sin_cos();
        let (dx, dy) = (x - place.cx - self.dx, y - place.cy - self.dy);
        (c * dx + s * dy, -s * dx + c * dy)
    }
}

fn flat_slot() -> TipPlacement {
    slot(
        SlapKind::Single(rekam_hal::Finger::RightIndex),
        rekam_hal::Finger::RightIndex,
    )
    .unwrap_or(TipPlacement {
        cx: FLAT_WIDTH as f32 / 2.0,
        cy: 290.0,
        half_width: 125.0,
        half_height: 185.0,
        angle_deg: 0.0,
    })
}

/// One flat 500x600 impression of `master`, 500 ppi grey.
pub fn impression(master: &MasterPrint, params: &ImpressionParams) -> RawImage {
    let (width, height) = (FLAT_WIDTH, FLAT_HEIGHT);
    let mut buf = vec![BACKGROUND; width as usize * height as usize];
    draw(&mut buf, width, height, master, &flat_slot(), params);
    sensor_noise(&mut buf, params.noise, params.seed);
    RawImage {
        width,
        height,
        format: PixelFormat::Gray8,
        ppi: Some(PPI),
        data: buf,
    }
}

/// Smooth random blobs: values on a lattice of `cell` pixels, interpolated.
struct Blobs {
    w: usize,
    cell: f32,
    values: Vec<f32>,
}

impl Blobs {
    fn new(width: usize, height: usize, cell: f32, r: &mut SimRng) -> Self {
        let w = (width as f32 / cell) as usize + 3;
        let h = (height as f32 / cell) as usize + 3;
        let values = (0..w * h).map(|_| r.unit()).collect();
        Blobs { w, cell, values }
    }

    /// In `[0, 1)`.
    #[inline]
    fn at(&self, x: f32, y: f32) -> f32 {
        let (fx, fy) = (x / self.cell, y / self.cell);
        // Non-negative, so the casts floor.
        let (ix, iy) = (fx as usize, fy as usize);
        let (tx, ty) = (fx - ix as f32, fy - iy as f32);
        let (tx, ty) = (tx * tx * (3.0 - 2.0 * tx), ty * ty * (3.0 - 2.0 * ty));
        let k = iy * self.w + ix;
        let v = |i: usize| self.values.get(i).copied().unwrap_or(0.5);
        let top = v(k) + (v(k + 1) - v(k)) * tx;
        let bottom = v(k + self.w) + (v(k + self.w + 1) - v(k + self.w)) * tx;
        top + (bottom - top) * ty
    }
}

/// Draws one impression of `master` at `place` into a grey platen (darkening, so overlapping
/// tips stay visible) and returns the bounding box of what it drew, clipped to the platen.
pub(crate) fn draw(
    buf: &mut [u8],
    width: u32,
    height: u32,
    master: &MasterPrint,
    place: &TipPlacement,
    p: &ImpressionParams,
) -> Rect {
    const EMPTY: Rect = Rect {
        x: 0,
        y: 0,
        width: 0,
        height: 0,
    };
    let mut r = SimRng::new(p.seed);
    let (cx, cy) = (place.cx + p.dx, place.cy + p.dy);
    let (s, c) = (place.angle_deg + p.rotation_deg).to_radians().sin_cos();
    let size = (0.8 + 0.2 * p.pressure).clamp(0.5, 1.1);
    let (a, b) = (place.half_width * size, place.half_height * size);
    let ex = (a * a * c * c + b * b * s * s).sqrt();
    let ey = (a * a * s * s + b * b * c * c).sqrt();
    let x0 = (cx - ex - 2.0).floor().max(0.0) as i64;
    let y0 = (cy - ey - 2.0).floor().max(0.0) as i64;
    let x1 = ((cx + ex + 2.0).ceil() as i64).min(i64::from(width) - 1);
    let y1 = ((cy + ey + 2.0).ceil() as i64).min(i64::from(height) - 1);
    if x1 < x0 || y1 < y0 {
        return EMPTY;
    }
    let (bw, bh) = ((x1 - x0 + 1) as usize, (y1 - y0 + 1) as usize);
    // The ridge profile (0 valley, 1 ridge) and, apart, how strongly each pixel inks.
    let mut tone = vec![0f32; bw * bh];
    let mut amp = vec![0f32; bw * bh];

    let threshold = 0.6 * p.moisture - 0.4 * (p.pressure - 1.0);
    let darkness = p.contrast.clamp(0.0, 1.0) * (0.75 + 0.25 * p.pressure).min(1.0);
    let rot = p.distortion.rotation_deg.to_radians().sin_cos();
    let (inv_a2, inv_b2) = (1.0 / (a * a), 1.0 / (b * b));
    let cut = p.partial.map(|pc| {
        // Direction 0 is the tip (-v), 90 the right side (+u).
        let (ds, dc) = pc.direction_deg.to_radians().sin_cos();
        let n = (ds, -dc);
        let extent = (a * a * n.0 * n.0 + b * b * n.1 * n.1).sqrt();
        (n, extent * (2.0 * pc.keep.clamp(0.0, 1.0) - 1.0))
    });
    let fine = Blobs::new(bw, bh, 7.0, &mut r);
    let coarse = Blobs::new(bw, bh, 23.0, &mut r);
    let silhouette = master.silhouette();
    for j in 0..bh {
        let y = (y0 + j as i64) as f32 + 0.5 - cy;
        for i in 0..bw {
            let x = (x0 + i as i64) as f32 + 0.5 - cx;
            // Pad coordinates.
            let (qu, qv) = (c * x + s * y, -s * x + c * y);
            let e = qu * qu * inv_a2 + qv * qv * inv_b2;
            if e >= 1.0 {
                continue;
            }
            let mut mask = ((1.0 - e) / 0.12).min(1.0);
            // Lighter contact toward the first crease.
            if qv > 0.5 * b {
                mask *= 1.0 - 0.55 * ((qv - 0.5 * b) / (0.5 * b));
            }
            if let Some((n, at)) = cut {
                mask *= ((at - (qu * n.0 + qv * n.1)) / 4.0).clamp(0.0, 1.0);
            }
            if mask <= 0.0 {
                continue;
            }
            let (u, v) = p.distortion.source((qu, qv), rot);
            let sil = silhouette.mask(u, v);
            if sil <= 0.0 {
                continue;
            }
            let (bx, by) = (i as f32, j as f32);
            let mut t = threshold;
            let mut amount = 1.0;
            if p.blotches > 0.0 {
                let blob = 0.6 * fine.at(bx, by) + 0.4 * coarse.at(bx, by);
                if p.moisture >= 0.0 {
                    // Dry patches: ridges break and fade.
                    let dry = smoothstep(0.62 - 0.3 * p.blotches, 0.08, blob) * p.blotches;
                    t += 0.5 * dry;
                    amount -= 0.6 * dry;
                } else {
                    // Wet patches: ridges swell into the valleys.
                    let wet = smoothstep(0.62 - 0.3 * p.blotches, 0.08, blob) * p.blotches;
                    t -= 0.6 * wet;
                }
            }
            let ridge = smoothstep(t, 0.3, master.ridge(u, v));
            // The valley floor touches too, faintly: below the ink ramp on its own, it shows
            // only where blur or grain carries ridge ink into it.
            tone[j * bw + i] = 0.08 + 0.92 * ridge * amount;
            amp[j * bw + i] = mask * sil * (darkness / NOMINAL_DARKNESS).min(1.0);
        }
    }
    if p.blur > 0.3 {
        blur(&mut tone, bw, bh, p.blur);
    }
    let grain = skin_grain(bw, bh, &mut r);
    let mut ink: Vec<f32> = tone
        .iter()
        .zip(&amp)
        .zip(&grain)
        .map(|((&t, &a), &g)| a * ridge_ink(t, g))
        .collect();
    blur(&mut ink, bw, bh, OPTICS_BLUR);
    let (mut lx, mut ly, mut hx, mut hy) = (usize::MAX, usize::MAX, 0usize, 0usize);
    for j in 0..bh {
        let row = (y0 as usize + j) * width as usize + x0 as usize;
        for i in 0..bw {
            let d = ink[j * bw + i];
            if d <= 0.03 {
                continue;
            }
            lx = lx.min(i);
            ly = ly.min(j);
            hx = hx.max(i);
            hy = hy.max(j);
            let val = f32::from(BACKGROUND) - d * RIDGE_DEPTH;
            let px = &mut buf[row + i];
            *px = (*px).min(val.clamp(0.0, 255.0) as u8);
        }
    }
    if lx > hx {
        return EMPTY;
    }
    Rect {
        x: x0 as u32 + lx as u32,
        y: y0 as u32 + ly as u32,
        width: (hx - lx + 1) as u32,
        height: (hy - ly + 1) as u32,
    }
}

/// How an optical platen renders skin, tuned so that NFIQ 2 grades a good simulated impression
/// as it grades real 500 ppi optical prints (about 60-75; FVC 2002's test prints score 59-69),
/// and so falls with blur, noise, contrast loss and partial contact as it does on real prints.
/// Before this rendering (uniform dark ridges half the period wide on a grey platen with
/// grey valleys) NFIQ 2 held every good impression at about 50 and hardly reacted to mild
/// degradations; what moved it was measured by searching these parameters against NFIQ 2 on
/// calibration subjects (BENCHMARKS.md):
/// - the platen and the valleys saturate to white, as under total internal reflection;
/// - a ridge inks only above a quarter of its profile, on a soft ramp, so ridges are narrower
///   than valleys with graded edges;
/// - the skin's grain (pores, ridge-width wobble) modulates the ink by about ±50 % over 2-3 px;
/// - the ink darkens with a slight gamma and the optics blur it by half a pixel.
///
/// Darkness of a good, normal-pressure impression: the ramp below is set for it.
const NOMINAL_DARKNESS: f32 = 0.87;
/// Ridge profile (tone, 0-1, at nominal darkness) where ink starts, and the ramp's width.
const INK_FROM: f32 = 0.230;
const INK_RAMP: f32 = 0.533;
/// Relative strength of the skin grain and its correlation length (Gaussian sigma, px).
const GRAIN: f32 = 0.53;
const GRAIN_SIGMA: f32 = 2.5;
/// Gamma of the ink.
const INK_GAMMA: f32 = 1.45;
/// The platen optics' blur (Gaussian sigma, px).
const OPTICS_BLUR: f32 = 0.5;
/// Grey levels a fully inked ridge takes from the platen's white.
const RIDGE_DEPTH: f32 = 219.0;

/// The ink (0-1) of a ridge profile value `tone` with skin grain `grain` (unit variance).
#[inline]
fn ridge_ink(tone: f32, grain: f32) -> f32 {
    let ramp = ((tone - INK_FROM) / INK_RAMP).clamp(0.0, 1.0);
    (ramp * (1.0 + GRAIN * grain))
        .clamp(0.0, 1.0)
        .powf(INK_GAMMA)
}

/// Smooth random skin grain over a `w` x `h` box: white noise blurred to [`GRAIN_SIGMA`],
/// scaled to unit variance.
fn skin_grain(w: usize, h: usize, r: &mut SimRng) -> Vec<f32> {
    let mut n = PixelNoise::new(r.next_u64());
    let mut g: Vec<f32> = (0..w * h).map(|_| n.sample()).collect();
    blur(&mut g, w, h, GRAIN_SIGMA);
    let var = g.iter().map(|v| v * v).sum::<f32>() / g.len().max(1) as f32;
    let k = if var > 0.0 { var.sqrt().recip() } else { 0.0 };
    for v in &mut g {
        *v *= k;
    }
    g
}

/// A separable Gaussian blur of standard deviation `sigma`, edges clamped.
fn blur(img: &mut [f32], w: usize, h: usize, sigma: f32) {
    let r = (2.0 * sigma).ceil() as usize;
    let k: Vec<f32> = (0..=2 * r)
        .map(|i| {
            let x = i as f32 - r as f32;
            (-(x * x) / (2.0 * sigma * sigma)).exp()
        })
        .collect();
    let ks: f32 = k.iter().sum();
    let k: Vec<f32> = k.iter().map(|v| v / ks).collect();
    let mut tmp = vec![0f32; img.len()];
    for y in 0..h {
        let row = &img[y * w..(y + 1) * w];
        for x in 0..w {
            let mut s = 0.0;
            for (t, kv) in k.iter().enumerate() {
                let xx = (x + t).saturating_sub(r).min(w - 1);
                s += kv * row[xx];
            }
            tmp[y * w + x] = s;
        }
    }
    for y in 0..h {
        for x in 0..w {
            let mut s = 0.0;
            for (t, kv) in k.iter().enumerate() {
                let yy = (y + t).saturating_sub(r).min(h - 1);
                s += kv * tmp[yy * w + x];
            }
            img[y * w + x] = s;
        }
    }
}

/// Adds zero-mean sensor noise of standard deviation `std` grey levels to the whole platen.
pub(crate) fn sensor_noise(buf: &mut [u8], std: f32, seed: u64) {
    if std <= 0.0 {
        return;
    }
    let mut n = PixelNoise::new(seed ^ 0x5E_2502);
    // Uniform on [-1, 1) has variance 1/3.
    let k = std * 3f32.sqrt();
    for px in buf.iter_mut() {
        let v = f32::from(*px) + k * n.sample() + 0.5;
        // The cast floors: rounded.
        *px = v.clamp(0.0, 255.0) as u8;
    }
}
