//! Synthetic near-infrared eye images, 640x480 grey, as iris cameras deliver them (ISO/IEC
//! 19794-6 and 29794-6 assume such frames): skin, the almond of the eye opening between two
//! eyelids with lashes, sclera, an iris whose texture (fibres, collarette, crypts, furrows;
//! `texture`) derives from the eye's identity, a dark, slightly non-circular pupil a little
//! off the iris centre, and the illuminator's specular spot in the pupil.
//!
//! [`IrisParams`] holds every control (dilation, focus, gaze, eyelid occlusion, lashes,
//! contrast, iris size, position, noise); [`IrisParams::natural`] draws the everyday variation
//! of one impression, and [`render`] (used by the simulated camera) is that with an optional
//! poor capture. [`render_with_truth`] also returns what was drawn ([`IrisTruth`]), so tests
//! can check a segmentation against it.
//!
//! Geometry: the iris is a disc in its own plane; gaze tilts that plane, so in the image the
//! iris and pupil become ellipses (horizontal axis × cos of the horizontal gaze angle, vertical
//! axis × cos of the vertical one) and the iris moves within the eye opening, as the eyeball
//! turns about a centre 1.7 iris radii behind the iris plane. The lids belong to the face and
//! stay put.

mod texture;

use rekam_hal::SimIdentity;

use super::{PixelNoise, SimRng};
use texture::Texture;

/// Image width.
pub const WIDTH: u32 = 640;
/// Image height.
pub const HEIGHT: u32 = 480;
/// The nominal iris radius in pixels at the camera's working distance (about 240 px across,
/// above the 210 px ISO/IEC 29794-6 and MOSIP ask for at enrolment). Each person's iris is a
/// little larger or smaller, and the distance varies per impression.
pub const IRIS_RADIUS: f32 = 120.0;

/// Distance from the eyeball's centre of rotation to the iris plane, in iris radii.
const ROTATION_ARM: f32 = 1.7;

/// Every control of one synthetic eye image.
#[derive(Debug, Clone, PartialEq)]
pub struct IrisParams {
    /// The eye: its iris pattern, iris size and pupil shape.
    pub identity: SimIdentity,
    /// The impression: sensor noise, lash layout details.
    pub seed: u64,
    /// Centre of the eye opening (where the iris sits at straight gaze), pixels.
    pub eye_centre: (f32, f32),
    /// Iris (limbus) radius, pixels; the distance control (ISO asks for 210 px or more across).
    pub iris_radius: f32,
    /// Pupil radius over iris radius: the dilation (normal 0.2-0.7, typically 0.3-0.5).
    pub pupil_ratio: f32,
    /// Pupil centre minus iris centre, in the iris plane, pixels (real pupils sit a little
    /// nasal and below).
    pub pupil_offset: (f32, f32),
    /// Out-of-roundness of the pupil: amplitude of its 2nd and 3rd boundary harmonics, as a
    /// fraction of its radius (0: a circle).
    pub pupil_roundness: f32,
    /// Gaze angle away from the camera, degrees (horizontal: + to the image's right; vertical:
    /// + downward). Makes the iris an ellipse and moves it within the eye opening.
    pub gaze_deg: (f32, f32),
    /// Upper eyelid apex above the eye centre, in iris radii (below 1 it covers the iris top).
    pub upper_lid: f32,
    /// Lower eyelid apex below the eye centre, in iris radii.
    pub lower_lid: f32,
    /// Eyelash density (0: none, 1: about ninety upper lashes).
    pub lashes: f32,
    /// Defocus: Gaussian blur standard deviation, pixels (0: sharp).
    pub blur: f32,
    /// Contrast around mid-grey (1: normal).
    pub contrast: f32,
    /// Sensor noise standard deviation, grey levels.
    pub noise: f32,
    /// Draw the illuminator's specular highlight in the pupil.
    pub specular: bool,
}

impl IrisParams {
    /// A well-taken impression of `identity`: iris about [`IRIS_RADIUS`], pupil ratio
    /// 0.3-0.5, near-frontal gaze, lids and lashes covering a little of the iris, good focus,
    /// all varying a little with `seed`.
    pub fn natural(identity: SimIdentity, seed: u64) -> Self {
        let mut who = SimRng::new(identity.0 ^ 0x0E7E_5EED);
        let size = who.range(0.93, 1.07);
        let nasal = (who.range(-0.05, 0.05), who.range(0.0, 0.04));
        let roundness = who.range(0.008, 0.03);
        let lashes = who.range(0.3, 0.9);
        let lid = who.range(-0.08, 0.08);
        let mut r = SimRng::new(seed ^ 0x1215_CA9E);
        let iris_radius = IRIS_RADIUS * size * r.range(0.96, 1.04);
        IrisParams {
            identity,
            seed,
            eye_centre: (320.0 + r.range(-24.0, 24.0), 240.0 + r.range(-14.0, 14.0)),
            iris_radius,
            pupil_ratio: r.range(0.3, 0.5),
            pupil_offset: (
                (nasal.0 + r.range(-0.015, 0.015)) * iris_radius,
                (nasal.1 + r.range(-0.015, 0.015)) * iris_radius,
            ),
            pupil_roundness: roundness,
            gaze_deg: (r.range(-2.5, 2.5), r.range(-2.5, 2.5)),
            upper_lid: 0.86 + lid + r.range(-0.06, 0.06),
            lower_lid: 1.02 + lid + r.range(-0.06, 0.06),
            lashes,
            blur: r.range(0.2, 0.5),
            contrast: r.range(0.92, 1.08),
            noise: r.range(2.5, 4.5),
            specular: true,
        }
    }

    /// What will be drawn: the iris and pupil in image coordinates.
    pub fn truth(&self) -> IrisTruth {
        let (ca, cb) = self.gaze_cos();
        let (gx, gy) = self.gaze_rad();
        let iris_centre = (
            self.eye_centre.0 + ROTATION_ARM * self.iris_radius * gx.sin(),
            self.eye_centre.1 + ROTATION_ARM * self.iris_radius * gy.sin(),
        );
        let pupil_radius = self.pupil_ratio * self.iris_radius;
        IrisTruth {
            iris_centre,
            iris_radius: self.iris_radius,
            iris_axes: (self.iris_radius * ca, self.iris_radius * cb),
            pupil_centre: (
                iris_centre.0 + self.pupil_offset.0 * ca,
                iris_centre.1 + self.pupil_offset.1 * cb,
            ),
            pupil_radius,
            pupil_axes: (pupil_radius * ca, pupil_radius * cb),
            visible_fraction: None,
        }
    }

    fn gaze_rad(&self) -> (f32, f32) {
        (self.gaze_deg.0.to_radians(), self.gaze_deg.1.to_radians())
    }

    fn gaze_cos(&self) -> (f32, f32) {
        let (gx, gy) = self.gaze_rad();
        (gx.cos().max(0.2), gy.cos().max(0.2))
    }
}

/// What a synthetic eye image shows, in image pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IrisTruth {
    /// Iris (limbus) centre.
    pub iris_centre: (f32, f32),
    /// Iris radius in its own plane (the image radius at frontal gaze).
    pub iris_radius: f32,
    /// Horizontal and vertical semi-axes of the iris ellipse in the image.
    pub iris_axes: (f32, f32),
    /// Pupil centre.
    pub pupil_centre: (f32, f32),
    /// Mean pupil radius in its own plane.
    pub pupil_radius: f32,
    /// Horizontal and vertical semi-axes of the pupil ellipse in the image.
    pub pupil_axes: (f32, f32),
    /// Share of the iris (between pupil and limbus, including any part outside the frame)
    /// not hidden by lids, lashes or the specular spot; known only after rendering.
    pub visible_fraction: Option<f32>,
}

/// Renders the eye `identity` for the impression `seed` (see [`IrisParams::natural`]). A
/// `low_quality` capture is out of focus, flat and noisy. Returns `WIDTH * HEIGHT` grey
/// bytes.
pub fn render(identity: SimIdentity, seed: u64, low_quality: bool) -> Vec<u8> {
    let mut p = IrisParams::natural(identity, seed);
    if low_quality {
        p.blur = 3.5;
        p.contrast = 0.4;
        p.noise = 10.0;
    }
    render_params(&p)
}

/// Renders `p`. Returns `WIDTH * HEIGHT` grey bytes; pixel `(x, y)` is the sample at the
/// point `(x, y)`, the convention of every coordinate in [`IrisTruth`].
pub fn render_params(p: &IrisParams) -> Vec<u8> {
    render_with_truth(p).0
}

/// Pixel classes kept while drawing, to measure the visible iris.
const IRIS_VISIBLE: u8 = 1;
const IRIS_LIDDED: u8 = 2;
const IRIS_HIDDEN: u8 = 3;

/// Renders `p` and says what it drew, with the visible share of the iris measured.
pub fn render_with_truth(p: &IrisParams) -> (Vec<u8>, IrisTruth) {
    let (w, h) = (WIDTH as usize, HEIGHT as usize);
    let tex = Texture::new(p.identity);
    let mut truth = p.truth();
    let (ca, cb) = p.gaze_cos();
    let big_r = p.iris_radius.max(4.0);
    let rp = (p.pupil_ratio.clamp(0.05, 0.9)) * big_r;
    let (icx, icy) = truth.iris_centre;
    let (ox, oy) = p.pupil_offset;
    let mut shape = SimRng::new(p.identity.0 ^ 0x9071_1A5E);
    let harm = [
        (
            2.0,
            shape.range(0.0, std::f32::consts::TAU),
            p.pupil_roundness,
        ),
        (
            3.0,
            shape.range(0.0, std::f32::consts::TAU),
            0.5 * p.pupil_roundness,
        ),
    ];
    let (ex, ey) = p.eye_centre;
    let half_w = 2.1 * big_r;
    let corner_y = ey + 0.12 * big_r;
    let upper_apex = ey - p.upper_lid * big_r;
    let lower_apex = ey + p.lower_lid * big_r;
    let lid = |x: f32| -> (f32, f32) {
        let t = ((x - ex) / half_w).clamp(-1.0, 1.0);
        let s = (1.0 - t * t).max(0.0).powf(0.8);
        (
            corner_y + (upper_apex - corner_y) * s,
            corner_y + (lower_apex - corner_y) * s,
        )
    };
    // Near-infrared skin is bright, brighter than most irises; a little different per person.
    let skin = 158.0 + 14.0 * SimRng::new(p.identity.0 ^ 0x5C1A).unit();
    let limbus_soft = (big_r / 70.0).max(1.0);
    let pupil_soft = (big_r / 110.0).max(0.8);
    let shadow = 0.14 * big_r;

    let mut img = vec![0f32; w * h];
    let mut class = vec![0u8; w * h];
    for y in 0..h {
        let fy = y as f32;
        for x in 0..w {
            let fx = x as f32;
            let (dx, dy) = (fx - ex, fy - ey);
            // Skin: a soft vignette and gentle shading.
            let vign = 1.0 - 0.3 * ((dx * dx + dy * dy) / (420.0 * 420.0));
            let mut g = (skin
                + 10.0 * super::math::sin(fx / 41.0 + 0.7 * super::math::sin(fy / 53.0))
                + 8.0 * super::math::sin(fy / 23.0 + 1.3 * super::math::sin(fx / 61.0)))
                * vign;
            // Iris plane coordinates.
            let u = (fx - icx) / ca;
            let v = (fy - icy) / cb;
            let r2 = u * u + v * v;
            let in_iris_disc = r2 < big_r * big_r;
            let (top, bottom) = lid(fx);
            let in_opening = fx > ex - half_w && fx < ex + half_w && fy > top && fy < bottom;
            if in_opening || in_iris_disc {
                let r = r2.sqrt();
                let t = super::math::atan2(v, u);
                // Distance from the iris centre to the pupil's edge along this ray.
                let (pu, pv) = (u - ox, v - oy);
                let tp = super::math::atan2(pv, pu);
                let mut rpt = rp;
                for &(k, ph, a) in &harm {
                    rpt += rp * a * super::math::cos(k * tp + ph);
                }
                let dp = (pu * pu + pv * pv).sqrt();
                let edge = dp - rpt; // < 0 inside the pupil
                let pupil_here = r - edge; // radius of the pupil boundary along this ray (approx.)
                let rho = ((r - pupil_here) / (big_r - pupil_here).max(1.0)).clamp(0.0, 1.0);
                let iris = tex.at(t, rho);
                let sclera = {
                    let tt = (dx / half_w).abs().min(1.0);
                    182.0 - 38.0 * tt * tt.sqrt() - 6.0 * (dy / big_r)
                };
                // Blend sclera -> iris at the limbus, iris -> pupil at the pupil edge.
                let a_limbus = smooth((big_r - r) / limbus_soft);
                let pupil_grey = 16.0 + 5.0 * (dp / rp.max(1.0));
                let a_pupil = smooth(-edge / pupil_soft);
                let mut eye = sclera + (iris - sclera) * a_limbus;
                eye += (pupil_grey - eye) * a_pupil;
                if in_opening {
                    // The upper lid's shadow and the lid margins.
                    let from_top = fy - top;
                    let from_bottom = bottom - fy;
                    let sh = (from_top / shadow).min(1.0);
                    eye *= 0.7 + 0.3 * sh;
                    let rim = (from_bottom / 3.0).min(1.0);
                    eye *= 0.85 + 0.15 * rim;
                    g = eye;
                } else {
                    // Skin over the iris: a little darker at the lid margin.
                    let margin = (fy - bottom).max(top - fy);
                    if margin < 5.0 {
                        g *= 0.7 + 0.3 * margin / 5.0;
                    }
                }
                if r < big_r && edge > 0.0 {
                    class[y * w + x] = if in_opening {
                        IRIS_VISIBLE
                    } else {
                        IRIS_LIDDED
                    };
                }
            } else if fx > ex - half_w && fx < ex + half_w {
                // Lid margins just outside the opening.
                let margin = (fy - bottom).max(top - fy);
                if margin < 5.0 {
                    g *= 0.7 + 0.3 * margin / 5.0;
                }
            }
            img[y * w + x] = g;
        }
    }

    let mut r = SimRng::new(p.seed ^ 0x1A5E_5000 ^ p.identity.0.rotate_left(17));
    draw_lashes(&mut img, &mut class, p, &mut r, &lid, ex, half_w, big_r);

    if p.specular {
        // The illuminator's reflection on the cornea, seen in the pupil.
        let sr = (0.05 * big_r).max(2.0);
        let (sx, sy) = (
            truth.pupil_centre.0 + r.range(-0.45, 0.45) * rp,
            truth.pupil_centre.1 + r.range(-0.45, 0.1) * rp,
        );
        for_disc(sx, sy, sr + 1.5, w, h, |i, d| {
            let a = smooth((sr - d) / 0.8);
            img[i] += (252.0 - img[i]) * a;
            if a > 0.5 && class[i] == IRIS_VISIBLE {
                class[i] = IRIS_HIDDEN;
            }
        });
    }

    // Visible share of the whole iris annulus (parts outside the frame count as hidden).
    let annulus = std::f32::consts::PI * (big_r * big_r - rp * rp) * ca * cb;
    let visible = class.iter().filter(|&&c| c == IRIS_VISIBLE).count() as f32;
    truth.visible_fraction = Some((visible / annulus.max(1.0)).clamp(0.0, 1.0));

    if p.blur > 0.05 {
        gaussian_blur(&mut img, w, h, p.blur);
    }
    let mut grain = PixelNoise::new(r.next_u64());
    // PixelNoise is uniform in [-1, 1): scale to the requested standard deviation.
    let amp = p.noise * 3f32.sqrt();
    let out = img
        .iter()
        .map(|&g| {
            let g = 128.0 + (g - 128.0) * p.contrast + amp * grain.sample();
            g.clamp(0.0, 255.0) as u8
        })
        .collect();
    (out, truth)
}

/// A smooth 0-1 step: 0 for `x <= -1`, 1 for `x >= 1`.
#[inline]
fn smooth(x: f32) -> f32 {
    let t = (0.5 + 0.5 * x).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

/// Calls `f(index, distance)` for each pixel within `radius` of `(cx, cy)`.
fn for_disc(cx: f32, cy: f32, radius: f32, w: usize, h: usize, mut f: impl FnMut(usize, f32)) {
    let x0 = (cx - radius).floor().max(0.0) as usize;
    let x1 = ((cx + radius).ceil().max(0.0) as usize).min(w);
    let y0 = (cy - radius).floor().max(0.0) as usize;
    let y1 = ((cy + radius).ceil().max(0.0) as usize).min(h);
    for y in y0..y1 {
        for x in x0..x1 {
            let d = ((x as f32 - cx).powi(2) + (y as f32 - cy).powi(2)).sqrt();
            if d <= radius {
                f(y * w + x, d);
            }
        }
    }
}

/// Draws the lashes: curved dark strokes hanging from the upper lid over the eye (some
/// turning up over the skin), and a few short ones below the lower lid.
#[allow(clippy::too_many_arguments)]
fn draw_lashes(
    img: &mut [f32],
    class: &mut [u8],
    p: &IrisParams,
    r: &mut SimRng,
    lid: &dyn Fn(f32) -> (f32, f32),
    ex: f32,
    half_w: f32,
    big_r: f32,
) {
    let (w, h) = (WIDTH as usize, HEIGHT as usize);
    let upper = (90.0 * p.lashes.max(0.0)).round() as u32;
    let lower = upper / 3;
    let scale = big_r / IRIS_RADIUS;
    for k in 0..upper + lower {
        let is_upper = k < upper;
        let t = r.range(-0.88, 0.88);
        let x0 = ex + t * half_w;
        let (top, bottom) = lid(x0);
        let y0 = if is_upper { top } else { bottom };
        // Direction: down (over the eye) for most upper lashes, outward toward the corners.
        let down = if is_upper { r.unit() < 0.75 } else { true };
        let len = if is_upper {
            r.range(0.1, 0.32) * big_r
        } else {
            r.range(0.06, 0.16) * big_r
        };
        let sideways = t * 0.8 + r.range(-0.35, 0.35);
        let dir_y = if down { 1.0 } else { -1.0 };
        let (dx, dy) = (sideways, dir_y);
        let n = (dx * dx + dy * dy).sqrt();
        let (dx, dy) = (dx / n, dy / n);
        // A quadratic curve bending outward.
        let bend = r.range(0.1, 0.35) * len * t.signum();
        let (x1, y1) = (x0 + dx * len * 0.5 + bend, y0 + dy * len * 0.5);
        let (x2, y2) = (x0 + dx * len + 1.6 * bend, y0 + dy * len * 0.85);
        let width = r.range(0.6, 1.1) * scale.max(0.5);
        let grey = r.range(28.0, 55.0);
        let steps = (len * 2.0).max(4.0) as usize;
        for s in 0..=steps {
            let a = s as f32 / steps as f32;
            let b = 1.0 - a;
            let px = b * b * x0 + 2.0 * a * b * x1 + a * a * x2;
            let py = b * b * y0 + 2.0 * a * b * y1 + a * a * y2;
            let half = width * (1.0 - 0.6 * a);
            for_disc(px, py, half + 1.0, w, h, |i, d| {
                let cover = smooth((half - d) / 0.7);
                let target = grey;
                if img[i] > target {
                    img[i] += (target - img[i]) * cover;
                }
                if cover > 0.5 && class[i] == IRIS_VISIBLE {
                    class[i] = IRIS_HIDDEN;
                }
            });
        }
    }
}

/// Separable Gaussian blur in place, edges clamped.
fn gaussian_blur(img: &mut [f32], w: usize, h: usize, sigma: f32) {
    let rad = (3.0 * sigma).ceil() as usize;
    let kernel: Vec<f32> = (0..=2 * rad)
        .map(|i| {
            let d = i as f32 - rad as f32;
            (-d * d / (2.0 * sigma * sigma)).exp()
        })
        .collect();
    let sum: f32 = kernel.iter().sum();
    let kernel: Vec<f32> = kernel.iter().map(|k| k / sum).collect();
    let mut tmp = vec![0f32; w * h];
    for y in 0..h {
        let row = &img[y * w..(y + 1) * w];
        for x in 0..w {
            let mut acc = 0.0;
            for (i, k) in kernel.iter().enumerate() {
                let xx = (x + i).saturating_sub(rad).min(w - 1);
                acc += k * row[xx];
            }
            tmp[y * w + x] = acc;
        }
    }
    for x in 0..w {
        for y in 0..h {
            let mut acc = 0.0;
            for (i, k) in kernel.iter().enumerate() {
                let yy = (y + i).saturating_sub(rad).min(h - 1);
                acc += k * tmp[yy * w + x];
            }
            img[y * w + x] = acc;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::eye_identity;
    use rekam_hal::{Eye, SimSubject};

    #[test]
    fn eyes_have_a_dark_pupil_and_differ_per_eye() {
        let id = eye_identity(SimSubject(3), Eye::Right);
        let right = render(id, 1, false);
        let left = render(eye_identity(SimSubject(3), Eye::Left), 1, false);
        assert_eq!(right.len(), (WIDTH * HEIGHT) as usize);
        assert_ne!(right, left);
        let t = IrisParams::natural(id, 1).truth();
        let (px, py) = (t.pupil_centre.0 as i32, t.pupil_centre.1 as i32);
        let mut dark = 0;
        for y in py - 10..py + 10 {
            for x in px - 10..px + 10 {
                if right[(y as u32 * WIDTH + x as u32) as usize] < 60 {
                    dark += 1;
                }
            }
        }
        assert!(dark > 300, "dark pixels at the pupil centre: {dark}");
        assert_eq!(right, render(id, 1, false));
        assert_ne!(right, render(id, 2, false));
    }

    #[test]
    fn natural_irises_are_large_enough_and_mostly_visible() {
        for s in 0..20u64 {
            let p = IrisParams::natural(eye_identity(SimSubject(s), Eye::Left), s * 31);
            let (_, t) = render_with_truth(&p);
            assert!(t.iris_radius * 2.0 >= 210.0, "{t:?}");
            let v = t.visible_fraction.unwrap_or(0.0);
            assert!((0.6..1.0).contains(&v), "visible {v}");
        }
    }

    #[test]
    fn closing_the_lids_hides_the_iris() {
        let mut p = IrisParams::natural(SimIdentity(9), 4);
        let open = render_with_truth(&p).1.visible_fraction.unwrap_or(0.0);
        p.upper_lid = 0.2;
        let closed = render_with_truth(&p).1.visible_fraction.unwrap_or(1.0);
        assert!(closed < open - 0.25, "{open} -> {closed}");
    }
}
