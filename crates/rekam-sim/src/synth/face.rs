//! Synthetic portraits: a shaded head and shoulders in front of a studio backdrop, realistic
//! enough for a real face detector (SeetaFace through `rustface`) and controllable enough that
//! each face quality check can be made to fail on purpose.
//!
//! Every pixel is evaluated in *face units*: the origin is the midpoint between the eye centres,
//! one unit is the inter-eye distance (IED), `v` grows toward the chin. The proportions follow
//! adult anthropometry (Farkas): eye fissure width about 0.48 IED, eye line to chin 1.85 IED,
//! face width 2.2 IED, mouth 1.3 IED below the eyes. The head is lit as an ellipsoid (Lambert
//! shading from a movable light plus ambient), with darker eye sockets, a nose bridge
//! highlight and side shadow, nostrils, brows, lips, ears, hair with strands, a neck in the
//! chin's shadow and clothed shoulders. Pose (yaw, pitch, roll) shifts each feature by its
//! depth; expression opens the mouth and closes the eyes; framing places and scales the head;
//! a second, smaller person can stand behind; the backdrop can be cluttered; exposure, blur,
//! noise, saturation and a colour cast degrade the picture.
//!
//! [`FaceParams::new`] gives the good portrait of a person for one impression (small
//! per-impression jitter of position, size and light); tests change its public fields and call
//! [`render_params`]. [`render`] is the simulated camera's still.

use rekam_hal::SimIdentity;

use super::{PixelNoise, SimRng};

/// Portrait width of the simulated camera.
pub const WIDTH: u32 = 640;
/// Portrait height of the simulated camera.
pub const HEIGHT: u32 = 480;

/// The light on the face.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lighting {
    /// Direction of the main light around the vertical axis, degrees: 0 from the camera,
    /// positive from the image's right side.
    pub azimuth_deg: f32,
    /// Elevation of the main light, degrees (positive from above).
    pub elevation_deg: f32,
    /// Strength of the main (directional) light.
    pub intensity: f32,
    /// Strength of the ambient (fill) light.
    pub ambient: f32,
    /// A hard shadow over the image-left half of the face, 0 (none) to 1 (black).
    pub side_shadow: f32,
}

impl Default for Lighting {
    fn default() -> Self {
        Lighting {
            azimuth_deg: 0.0,
            elevation_deg: 20.0,
            intensity: 0.7,
            ambient: 0.45,
            side_shadow: 0.0,
        }
    }
}

/// Another person behind the subject.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SecondFace {
    /// Who it is (skin, hair, features).
    pub identity: SimIdentity,
    /// Midpoint between the eyes, pixels.
    pub centre: (f32, f32),
    /// Inter-eye distance, pixels.
    pub ied: f32,
}

/// Everything that decides a portrait. [`FaceParams::new`] gives a good one; change the fields
/// to degrade it.
#[derive(Debug, Clone, PartialEq)]
pub struct FaceParams {
    /// Who is in front of the camera.
    pub identity: SimIdentity,
    /// Seed of textures (hair strands, backdrop clutter, noise).
    pub seed: u64,
    /// Image width, pixels.
    pub width: u32,
    /// Image height, pixels.
    pub height: u32,
    /// Midpoint between the eye centres in the image, pixels (before yaw and pitch shift it).
    pub centre: (f32, f32),
    /// Inter-eye distance (between the eye centres), pixels.
    pub ied: f32,
    /// Head turn, degrees (positive: the nose moves toward the image's right).
    pub yaw_deg: f32,
    /// Head nod, degrees (positive: the nose moves down).
    pub pitch_deg: f32,
    /// Head tilt in the image plane, degrees (positive: the image-right eye is lower).
    pub roll_deg: f32,
    /// The light.
    pub lighting: Lighting,
    /// Overall exposure gain (1 normal; below dark, above bright with clipping).
    pub exposure: f32,
    /// Eye opening, 0 (closed) to 1 (normally open).
    pub eye_openness: f32,
    /// Mouth opening, 0 (closed) to 1 (wide open).
    pub mouth_open: f32,
    /// A second person behind, if any.
    pub second_face: Option<SecondFace>,
    /// Backdrop clutter, 0 (plain studio backdrop) to 1 (busy room).
    pub background_clutter: f32,
    /// Gaussian blur of the whole picture, sigma in pixels (0: sharp).
    pub blur_sigma: f32,
    /// Additive noise amplitude, grey levels.
    pub noise: f32,
    /// Colour saturation, 1 natural, 0 grey.
    pub saturation: f32,
    /// Per-channel gain (R, G, B), `[1, 1, 1]` for none: a colour cast.
    pub tint: [f32; 3],
}

impl FaceParams {
    /// The good portrait of `identity` for the impression `seed`: the head centred with
    /// ISO/IEC 19794-5-friendly framing (IED 92-100 px, eye line at about 44 % of the height)
    /// in a 640x480 frame, frontal light, eyes open, mouth closed, plain backdrop.
    pub fn new(identity: SimIdentity, seed: u64) -> Self {
        let mut r = SimRng::new(seed ^ 0xFACE_0000_0000_0001);
        let look = Look::new(identity);
        FaceParams {
            identity,
            seed,
            width: WIDTH,
            height: HEIGHT,
            centre: (
                WIDTH as f32 * 0.5 + r.range(-10.0, 10.0),
                HEIGHT as f32 * 0.44 + r.range(-5.0, 5.0),
            ),
            ied: look.ied + r.range(-2.0, 2.0),
            yaw_deg: r.range(-2.0, 2.0),
            pitch_deg: r.range(-2.0, 2.0),
            roll_deg: r.range(-2.0, 2.0),
            lighting: Lighting {
                azimuth_deg: r.range(-6.0, 6.0),
                ..Lighting::default()
            },
            // The camera's auto exposure meters on the face: darker skin, a little more light.
            exposure: r.range(0.97, 1.03) * look.auto_exposure,
            eye_openness: 1.0,
            mouth_open: 0.0,
            second_face: None,
            background_clutter: 0.0,
            blur_sigma: 0.0,
            noise: 2.0,
            saturation: 1.0,
            tint: [1.0; 3],
        }
    }

    /// The dark, noisy picture of a `LowQuality` fault.
    pub fn low_quality(mut self) -> Self {
        self.exposure = 0.42;
        self.noise = 40.0;
        self
    }

    /// Where the eye centres (pupils) land in the image, pixels: the image-left eye (the
    /// subject's right eye) first.
    pub fn eye_centres(&self) -> [(f32, f32); 2] {
        Pose::of(self).eye_centres()
    }
}

/// Renders the portrait of `identity` for the impression `seed`; `low_quality` gives a dark,
/// noisy picture. Returns RGB pixels, `WIDTH * HEIGHT * 3` bytes.
pub fn render(identity: SimIdentity, seed: u64, low_quality: bool) -> Vec<u8> {
    let params = FaceParams::new(identity, seed);
    let params = if low_quality {
        params.low_quality()
    } else {
        params
    };
    render_params(&params)
}

/// Renders `params`: RGB pixels, `width * height * 3` bytes.
pub fn render_params(p: &FaceParams) -> Vec<u8> {
    let (w, h) = (p.width as usize, p.height as usize);
    let mut heads = Vec::with_capacity(2);
    if let Some(second) = p.second_face {
        let mut q = FaceParams::new(second.identity, p.seed ^ 0x005E_C04D);
        q.centre = second.centre;
        q.ied = second.ied;
        q.width = p.width;
        q.height = p.height;
        q.lighting = p.lighting;
        heads.push(Head::new(&q));
    }
    heads.push(Head::new(p));
    let backdrop = Backdrop::new(p);
    let mut img = vec![0f32; w * h * 3];
    for y in 0..h {
        for x in 0..w {
            let (fx, fy) = (x as f32 + 0.5, y as f32 + 0.5);
            let mut c = backdrop.at(fx, fy, w as f32, h as f32);
            for head in &heads {
                c = head.over(fx, fy, c);
            }
            let i = (y * w + x) * 3;
            img[i..i + 3].copy_from_slice(&c);
        }
    }
    if p.blur_sigma > 0.05 {
        gaussian_blur(&mut img, w, h, p.blur_sigma);
    }
    finish(&img, p)
}

/// Exposure, colour, noise and 8-bit quantisation.
fn finish(img: &[f32], p: &FaceParams) -> Vec<u8> {
    let mut grain = PixelNoise::new(p.seed ^ 0x000F_1A3E);
    let mut out = Vec::with_capacity(img.len());
    for px in img.chunks_exact(3) {
        let grey = 0.299 * px[0] + 0.587 * px[1] + 0.114 * px[2];
        for (c, tint) in px.iter().zip(p.tint) {
            let v = (grey + (c - grey) * p.saturation) * tint * p.exposure;
            let v = v + p.noise * grain.sample();
            out.push(v.round().clamp(0.0, 255.0) as u8);
        }
    }
    out
}

/// The person's fixed traits.
#[derive(Debug, Clone, Copy)]
struct Look {
    skin: [f32; 3],
    hair: [f32; 3],
    iris: [f32; 3],
    cloth: [f32; 3],
    lips: [f32; 3],
    /// Typical IED at the standard distance from the camera, pixels.
    ied: f32,
    /// The exposure gain a face-metering camera gives this skin.
    auto_exposure: f32,
    face_half_width: f32,
    chin: f32,
    mouth_y: f32,
    mouth_half_width: f32,
    brow_y: f32,
    brow_thickness: f32,
    hair_volume: f32,
    hairline: f32,
    nose_width: f32,
}

impl Look {
    fn new(identity: SimIdentity) -> Self {
        let mut r = SimRng::new(identity.0);
        // Skin tones from light tan to deep brown, lit for a studio portrait.
        let t = r.unit();
        let light = [236.0, 196.0, 164.0];
        let dark = [182.0, 130.0, 98.0];
        let skin = [0, 1, 2].map(|i| light[i] + (dark[i] - light[i]) * t);
        let hb = r.range(18.0, 60.0);
        let hair = [hb, hb * 0.82, hb * 0.7];
        let ib = r.range(35.0, 80.0);
        let iris = [ib, ib * 0.68, ib * 0.5];
        let cloth = [
            r.range(20.0, 140.0),
            r.range(20.0, 110.0),
            r.range(30.0, 150.0),
        ];
        let lips = [skin[0] * 0.82, skin[1] * 0.56, skin[2] * 0.58];
        Look {
            skin,
            hair,
            iris,
            cloth,
            lips,
            ied: r.range(94.0, 98.0),
            auto_exposure: 1.0 + 0.15 * t,
            face_half_width: r.range(1.05, 1.18),
            chin: r.range(1.78, 1.92),
            mouth_y: r.range(1.22, 1.36),
            mouth_half_width: r.range(0.36, 0.44),
            brow_y: r.range(-0.40, -0.33),
            brow_thickness: r.range(0.055, 0.085),
            hair_volume: r.range(0.08, 0.2),
            hairline: r.range(-1.1, -0.95),
            nose_width: r.range(0.11, 0.15),
        }
    }
}

/// Where the head is and how it is turned.
#[derive(Debug, Clone, Copy)]
struct Pose {
    cx: f32,
    cy: f32,
    ied: f32,
    cos_r: f32,
    sin_r: f32,
    sin_yaw: f32,
    cos_yaw: f32,
    sin_pitch: f32,
    cos_pitch: f32,
}

impl Pose {
    fn of(p: &FaceParams) -> Self {
        let (sr, cr) = p.roll_deg.to_radians().sin_cos();
        let (sy, cy) = p.yaw_deg.to_radians().sin_cos();
        let (sp, cp) = p.pitch_deg.to_radians().sin_cos();
        Pose {
            cx: p.centre.0,
            cy: p.centre.1,
            ied: p.ied.max(1.0),
            cos_r: cr,
            sin_r: sr,
            sin_yaw: sy,
            cos_yaw: cy.max(0.2),
            sin_pitch: sp,
            cos_pitch: cp.max(0.2),
        }
    }

    /// Image pixel to face units before pose (u right, v down).
    #[inline]
    fn to_face(self, x: f32, y: f32) -> (f32, f32) {
        let (dx, dy) = (x - self.cx, y - self.cy);
        let lx = dx * self.cos_r + dy * self.sin_r;
        let ly = -dx * self.sin_r + dy * self.cos_r;
        (lx / self.ied, ly / self.ied)
    }

    /// Face units to image pixels.
    fn to_image(self, u: f32, v: f32) -> (f32, f32) {
        let (lx, ly) = (u * self.ied, v * self.ied);
        (
            self.cx + lx * self.cos_r - ly * self.sin_r,
            self.cy + lx * self.sin_r + ly * self.cos_r,
        )
    }

    /// Face-surface coordinates of a feature at depth `z` seen at `(u, v)`.
    #[inline]
    fn surface(self, u: f32, v: f32, z: f32) -> (f32, f32) {
        (
            (u - z * self.sin_yaw) / self.cos_yaw,
            (v - z * self.sin_pitch) / self.cos_pitch,
        )
    }

    fn eye_centres(&self) -> [(f32, f32); 2] {
        [-0.5f32, 0.5].map(|s| {
            let u = s * self.cos_yaw + EYE_DEPTH * self.sin_yaw;
            let v = EYE_DEPTH * self.sin_pitch;
            self.to_image(u, v)
        })
    }
}

/// Depth of the eyes in front of the face outline, face units.
const EYE_DEPTH: f32 = 0.25;
/// Centre and half-height of the face ellipse.
const FACE_CY: f32 = 0.35;

/// Coverage of a shape from its signed distance (negative inside), with a one-pixel ramp
/// `aa` in the same units.
#[inline]
fn cover(sd: f32, aa: f32) -> f32 {
    (0.5 - sd / aa).clamp(0.0, 1.0)
}

/// Approximate signed distance to an axis-aligned ellipse, in the ellipse's units.
#[inline]
fn ellipse_sd(u: f32, v: f32, a: f32, b: f32) -> f32 {
    let e = ((u / a).powi(2) + (v / b).powi(2)).sqrt();
    (e - 1.0) * a.min(b)
}

#[inline]
fn mix(a: [f32; 3], b: [f32; 3], t: f32) -> [f32; 3] {
    [0, 1, 2].map(|i| a[i] + (b[i] - a[i]) * t)
}

#[inline]
fn scale(a: [f32; 3], k: f32) -> [f32; 3] {
    a.map(|c| c * k)
}

#[inline]
fn gauss2(du: f32, dv: f32, su: f32, sv: f32) -> f32 {
    (-0.5 * ((du / su).powi(2) + (dv / sv).powi(2))).exp()
}

#[inline]
fn smooth(e0: f32, e1: f32, x: f32) -> f32 {
    let t = ((x - e0) / (e1 - e0)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

/// A cheap deterministic value noise in `[0, 1)` on an integer lattice, smoothly interpolated.
fn value_noise(seed: u64, x: f32, y: f32) -> f32 {
    let (xi, yi) = (x.floor(), y.floor());
    let (fx, fy) = (x - xi, y - yi);
    let h = |i: f32, j: f32| -> f32 {
        let k = (i as i64 as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
            ^ (j as i64 as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F)
            ^ seed;
        let mut r = SimRng::new(k);
        r.unit()
    };
    let (sx, sy) = (fx * fx * (3.0 - 2.0 * fx), fy * fy * (3.0 - 2.0 * fy));
    let top = h(xi, yi) + (h(xi + 1.0, yi) - h(xi, yi)) * sx;
    let bottom = h(xi, yi + 1.0) + (h(xi + 1.0, yi + 1.0) - h(xi, yi + 1.0)) * sx;
    top + (bottom - top) * sy
}

/// The studio backdrop, optionally cluttered.
struct Backdrop {
    clutter: f32,
    seed: u64,
    blocks: Vec<([f32; 4], [f32; 3])>,
}

impl Backdrop {
    fn new(p: &FaceParams) -> Self {
        let mut r = SimRng::new(p.seed ^ 0xBAC0_D40B);
        let blocks = (0..60)
            .map(|_| {
                let x = r.range(0.0, p.width as f32);
                let y = r.range(0.0, p.height as f32);
                let w = r.range(8.0, 70.0);
                let h = r.range(8.0, 90.0);
                let c = [
                    r.range(10.0, 250.0),
                    r.range(10.0, 250.0),
                    r.range(10.0, 250.0),
                ];
                ([x, y, w, h], c)
            })
            .collect();
        Backdrop {
            clutter: p.background_clutter.clamp(0.0, 1.0),
            seed: p.seed,
            blocks,
        }
    }

    #[inline]
    fn at(&self, x: f32, y: f32, w: f32, h: f32) -> [f32; 3] {
        // A light grey-blue backdrop, a little darker toward the corners.
        let (nx, ny) = (x / w - 0.5, y / h - 0.45);
        let k = 1.0 - 0.10 * (nx * nx + ny * ny) * 2.0;
        let plain = [206.0 * k, 214.0 * k, 224.0 * k];
        if self.clutter <= 0.0 {
            return plain;
        }
        // Shelves, posters and stripes of a busy room.
        let mut busy = [
            90.0 + 80.0 * value_noise(self.seed, x / 23.0, y / 23.0),
            80.0 + 90.0 * value_noise(self.seed ^ 1, x / 17.0, y / 29.0),
            70.0 + 80.0 * value_noise(self.seed ^ 2, x / 31.0, y / 13.0),
        ];
        if ((x / 9.0) as i32 + (y / 40.0) as i32) % 3 == 0 {
            busy = scale(busy, 0.55);
        }
        for (rect, c) in &self.blocks {
            if x >= rect[0] && x < rect[0] + rect[2] && y >= rect[1] && y < rect[1] + rect[3] {
                busy = *c;
            }
        }
        mix(plain, busy, self.clutter)
    }
}

/// One person: look, pose and light, drawn over what is behind.
struct Head {
    look: Look,
    pose: Pose,
    light: [f32; 3],
    lighting: Lighting,
    eye_open: f32,
    mouth_open: f32,
    seed: u64,
    /// One pixel in face units.
    aa: f32,
}

impl Head {
    fn new(p: &FaceParams) -> Self {
        let (sa, ca) = p.lighting.azimuth_deg.to_radians().sin_cos();
        let (se, ce) = p.lighting.elevation_deg.to_radians().sin_cos();
        let pose = Pose::of(p);
        Head {
            look: Look::new(p.identity),
            pose,
            // Toward the light: +u right, -v up, +z toward the camera.
            light: [sa * ce, -se, ca * ce],
            lighting: p.lighting,
            eye_open: p.eye_openness.clamp(0.0, 1.0),
            mouth_open: p.mouth_open.clamp(0.0, 1.0),
            seed: p.identity.0,
            aa: 1.0 / pose.ied,
        }
    }

    /// Lambert shading of the head ellipsoid at face-surface point `(su, sv)`, with the
    /// hard side shadow.
    #[inline]
    fn shade(&self, su: f32, sv: f32) -> f32 {
        let a = self.look.face_half_width * 1.05;
        let b = 1.6;
        let nu = su / a;
        let nv = (sv - FACE_CY) / b;
        let nz = (1.0 - nu * nu - nv * nv).max(0.02).sqrt();
        let n = [nu, nv, nz];
        let len = (nu * nu + nv * nv + nz * nz).sqrt();
        let d = (n[0] * self.light[0] + n[1] * self.light[1] + n[2] * self.light[2]) / len;
        let l = &self.lighting;
        let frontal = l.ambient + l.intensity * 0.95;
        let mut k = (l.ambient + l.intensity * d.max(0.0)) / frontal.max(0.05);
        if l.side_shadow > 0.0 {
            k *= 1.0 - l.side_shadow * smooth(0.05, -0.25, su);
        }
        k
    }

    /// The colour at pixel `(x, y)` with this head drawn over `behind`.
    #[inline]
    fn over(&self, x: f32, y: f32, behind: [f32; 3]) -> [f32; 3] {
        let (u, v) = self.pose.to_face(x, y);
        if !(-3.6..=6.0).contains(&u) || v < -2.0 {
            return behind;
        }
        let lk = &self.look;
        let aa = self.aa;
        let mut c = behind;

        // Shoulders and clothes.
        let (su, sv) = self.pose.surface(u, v, 0.0);
        let shoulders = cover(ellipse_sd(su, sv - 4.1, 3.3, 1.95), aa);
        if shoulders > 0.0 {
            let k = 0.75 + 0.25 * (1.0 - (su / 3.3).abs()).max(0.0);
            c = mix(c, scale(lk.cloth, k * self.shade(su * 0.3, 1.5)), shoulders);
        }
        // Neck, in the chin's shadow.
        let neck_half = 0.52 + 0.12 * ((sv - 1.4).max(0.0));
        if sv > 1.0 && sv < 2.6 {
            let cov = cover(su.abs() - neck_half, aa) * (1.0 - shoulders);
            if cov > 0.0 {
                let k = 0.62 + 0.1 * smooth(1.9, 2.4, sv);
                c = mix(c, scale(lk.skin, k * self.shade(su, 1.2)), cov);
            }
        }
        // Hair behind the head.
        let hair_back = cover(
            ellipse_sd(
                su,
                sv - 0.15,
                lk.face_half_width + 0.2 + lk.hair_volume,
                1.45 + lk.hair_volume,
            ),
            aa,
        );
        if hair_back > 0.0 {
            c = mix(c, self.hair_colour(su, sv, 0.8), hair_back);
        }
        // Ears.
        for side in [-1.0f32, 1.0] {
            let (eu, ev) = self.pose.surface(u, v, -0.2);
            let ear = cover(
                ellipse_sd(
                    eu - side * (lk.face_half_width + 0.02),
                    ev - 0.2,
                    0.13,
                    0.28,
                ),
                aa,
            );
            if ear > 0.0 {
                c = mix(c, scale(lk.skin, 0.85 * self.shade(eu * 0.9, ev)), ear);
            }
        }
        // The face.
        let face_w = |sv: f32| {
            let below = ((sv - FACE_CY) / (lk.chin - FACE_CY)).clamp(0.0, 1.0);
            lk.face_half_width * (1.0 - 0.22 * below * below)
        };
        let half_h = lk.chin - FACE_CY;
        let face = cover(ellipse_sd(su, sv - FACE_CY, face_w(sv), half_h), aa);
        if face <= 0.0 {
            return c;
        }
        let skin = self.skin_at(u, v);
        let mut f = skin;
        // Hair over the forehead (above the hairline, temples lower).
        let hairline = lk.hairline + 0.35 * (su / lk.face_half_width).powi(2);
        let fringe = cover(sv - hairline, aa * 2.0);
        if fringe > 0.0 {
            f = mix(f, self.hair_colour(su, sv, 1.0), fringe);
        }
        c = mix(c, f, face);
        c
    }

    fn hair_colour(&self, su: f32, sv: f32, k: f32) -> [f32; 3] {
        let strands = value_noise(self.seed, su * 40.0, sv * 4.0);
        let sheen = 1.0 + 0.35 * gauss2(su + 0.2, sv + 1.0, 0.4, 0.2);
        scale(
            self.look.hair,
            k * (0.75 + 0.5 * strands) * sheen * self.shade(su, sv).max(0.3),
        )
    }

    /// The face's surface colour (skin and features) at image face-units `(u, v)`.
    #[inline]
    fn skin_at(&self, u: f32, v: f32) -> [f32; 3] {
        let lk = &self.look;
        let aa = self.aa;
        let (su, sv) = self.pose.surface(u, v, 0.0);
        let mut k = self.shade(su, sv);
        // Eye sockets darker than cheeks and forehead.
        let (eu, ev) = self.pose.surface(u, v, EYE_DEPTH);
        for side in [-0.5f32, 0.5] {
            k *= 1.0 - 0.2 * gauss2(eu - side, ev + 0.02, 0.24, 0.15);
            // A little colour on the cheekbones.
            k *= 1.0 + 0.05 * gauss2(su - side * 1.15, sv - 0.65, 0.25, 0.2);
        }
        // The nose: a lit bridge, a shadowed side away from the light, a lit tip, the shadow
        // beneath.
        let (nu, nv) = self.pose.surface(u, v, 0.5);
        let along = smooth(0.05, 0.3, nv) * (1.0 - smooth(0.78, 0.9, nv));
        k *= 1.0 + 0.09 * gauss2(nu, 0.0, 0.05, 1.0) * along;
        let away = if self.light[0] >= 0.0 { -1.0 } else { 1.0 };
        let side_strength = 0.08 + 0.3 * self.light[0].abs();
        k *= 1.0 - side_strength * gauss2(nu - away * lk.nose_width, 0.0, 0.045, 1.0) * along;
        let (tu, tv) = self.pose.surface(u, v, 0.7);
        k *= 1.0 + 0.07 * gauss2(tu, tv - 0.8, 0.1, 0.08);
        k *= 1.0 - 0.14 * gauss2(tu, tv - 1.0, 0.16, 0.04);
        // Chin and jaw shadow.
        k *= 1.0 - 0.12 * smooth(lk.chin - 0.35, lk.chin, sv);
        // Skin mottling, cells of about an eighth of the inter-eye distance.
        k *= 0.96 + 0.08 * value_noise(self.seed ^ 0x5C1, su * 8.0, sv * 8.0);
        let mut col = scale(lk.skin, k);
        // Nostrils.
        for side in [-1.0f32, 1.0] {
            let n = cover(ellipse_sd(tu - side * 0.1, tv - 0.93, 0.065, 0.032), aa);
            if n > 0.0 {
                col = mix(col, scale(lk.skin, 0.32 * k), n);
            }
        }
        // Brows.
        let (bu, bv) = self.pose.surface(u, v, 0.35);
        for side in [-1.0f32, 1.0] {
            let x = bu * side; // 0 at the centre, growing outward
            if (0.14..0.86).contains(&x) {
                let t = (x - 0.5) / 0.36;
                let line = lk.brow_y - 0.06 * (1.0 - t * t);
                let thick = lk.brow_thickness * (1.0 - 0.45 * smooth(0.4, 0.86, x));
                let ends = cover(0.14 - x, aa) * cover(x - 0.86, aa);
                let b = cover((bv - line).abs() - thick / 2.0, aa) * ends;
                if b > 0.0 {
                    col = mix(col, scale(lk.hair, 1.1 * k.max(0.3)), 0.88 * b);
                }
            }
        }
        // Eyes.
        for side in [-0.5f32, 0.5] {
            col = self.eye(eu - side, ev, k, col);
        }
        // Mouth.
        let (mu, mv) = self.pose.surface(u, v, 0.35);
        col = self.mouth(mu, mv - lk.mouth_y, k, col);
        col
    }

    /// One eye around its centre, at eye-local `(x, y)`.
    #[inline]
    fn eye(&self, x: f32, y: f32, k: f32, under: [f32; 3]) -> [f32; 3] {
        const HALF_W: f32 = 0.24;
        if x.abs() > HALF_W + 0.05 || y.abs() > 0.22 {
            return under;
        }
        let aa = self.aa;
        let q = (1.0 - (x / HALF_W).powi(2)).max(0.0);
        let upper_lid = -0.105 * self.eye_open * q.sqrt();
        let lower_lid = 0.012 + 0.065 * self.eye_open * q.sqrt();
        let mut col = under;
        // Upper-lid crease.
        let crease = -0.16 + 0.0 * x;
        let cr = cover((y - crease - 0.03 * x * x).abs() - 0.008, aa) * q;
        col = mix(col, scale(under, 0.8), 0.6 * cr);
        let inside =
            cover(upper_lid - y, aa) * cover(y - lower_lid, aa) * cover(x.abs() - HALF_W, aa);
        if inside > 0.0 {
            let sclera = scale([226.0, 222.0, 214.0], k.clamp(0.4, 1.1) * (0.85 + 0.15 * q));
            let mut e = sclera;
            let r = ((x).powi(2) + (y + 0.005).powi(2)).sqrt();
            let iris = cover(r - 0.1, aa);
            if iris > 0.0 {
                let ring = 0.8 + 0.35 * (r / 0.1);
                e = mix(e, scale(self.look.iris, ring * k.clamp(0.5, 1.1)), iris);
            }
            e = mix(e, [14.0, 10.0, 10.0], cover(r - 0.04, aa));
            e = mix(
                e,
                [250.0, 250.0, 250.0],
                cover(
                    ((x - 0.03).powi(2) + (y + 0.035).powi(2)).sqrt() - 0.014,
                    aa,
                ),
            );
            // The upper lid's shadow on the eyeball.
            e = scale(e, 1.0 - 0.25 * smooth(upper_lid + 0.04, upper_lid, y));
            col = mix(col, e, inside);
        }
        // Lashes along the upper lid (the whole lid line when closed).
        let lash_w = 0.018 + 0.01 * (1.0 - self.eye_open);
        let lash =
            cover((y - upper_lid).abs() - lash_w / 2.0, aa) * cover(x.abs() - HALF_W - 0.01, aa);
        col = mix(col, scale(self.look.hair, 0.5), 0.85 * lash);
        col
    }

    /// The mouth around its centre, at mouth-local `(x, y)`.
    #[inline]
    fn mouth(&self, x: f32, y: f32, k: f32, under: [f32; 3]) -> [f32; 3] {
        let lk = &self.look;
        let w = lk.mouth_half_width;
        if x.abs() > w + 0.05 || y.abs() > 0.5 {
            return under;
        }
        let aa = self.aa;
        let q = (1.0 - (x / w).powi(2)).max(0.0).sqrt();
        let gap = 0.32 * self.mouth_open * q;
        let top = -gap / 2.0;
        let bottom = gap / 2.0;
        let upper = cover(top - 0.075 * q - 0.01 - y, aa) * cover(y - top, aa);
        let lower = cover(y - bottom - 0.1 * q - 0.005, aa) * cover(bottom - y, aa);
        let mut col = under;
        let lips = scale(lk.lips, k);
        col = mix(col, scale(lips, 0.92), upper);
        col = mix(col, lips, lower);
        if gap > 0.004 {
            let inside = cover(top - y, aa) * cover(y - bottom, aa) * cover(x.abs() - w * 0.95, aa);
            let teeth = cover(y - (top + 0.06 * q), aa);
            let dark = mix([38.0, 18.0, 20.0], [205.0, 198.0, 186.0], teeth * 0.9);
            col = mix(col, scale(dark, k.clamp(0.3, 1.0)), inside);
        }
        // The line between the lips.
        let line =
            cover((y - 0.0).abs() - 0.008, aa) * cover(x.abs() - w, aa) * (1.0 - self.mouth_open);
        mix(col, scale(lips, 0.45), 0.8 * line)
    }
}

/// Separable Gaussian blur in place.
fn gaussian_blur(img: &mut [f32], w: usize, h: usize, sigma: f32) {
    let r = (sigma * 3.0).ceil() as i64;
    let kernel: Vec<f32> = (-r..=r)
        .map(|i| (-(i * i) as f32 / (2.0 * sigma * sigma)).exp())
        .collect();
    let sum: f32 = kernel.iter().sum();
    let kernel: Vec<f32> = kernel.iter().map(|k| k / sum).collect();
    let mut tmp = vec![0f32; img.len()];
    let clampi = |v: i64, n: usize| v.clamp(0, n as i64 - 1) as usize;
    for y in 0..h {
        for x in 0..w {
            let mut acc = [0f32; 3];
            for (j, kv) in kernel.iter().enumerate() {
                let sx = clampi(x as i64 + j as i64 - r, w);
                let i = (y * w + sx) * 3;
                for c in 0..3 {
                    acc[c] += img[i + c] * kv;
                }
            }
            tmp[(y * w + x) * 3..(y * w + x) * 3 + 3].copy_from_slice(&acc);
        }
    }
    for y in 0..h {
        for x in 0..w {
            let mut acc = [0f32; 3];
            for (j, kv) in kernel.iter().enumerate() {
                let sy = clampi(y as i64 + j as i64 - r, h);
                let i = (sy * w + x) * 3;
                for c in 0..3 {
                    acc[c] += tmp[i + c] * kv;
                }
            }
            img[(y * w + x) * 3..(y * w + x) * 3 + 3].copy_from_slice(&acc);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::face_identity;
    use rekam_hal::SimSubject;

    #[test]
    fn portraits_are_per_person_and_per_impression() {
        let a = render(face_identity(SimSubject(1)), 1, false);
        assert_eq!(a.len(), (WIDTH * HEIGHT * 3) as usize);
        assert_eq!(a, render(face_identity(SimSubject(1)), 1, false));
        assert_ne!(a, render(face_identity(SimSubject(1)), 2, false));
        assert_ne!(a, render(face_identity(SimSubject(2)), 1, false));
        let mean = |p: &[u8]| p.iter().map(|&v| f64::from(v)).sum::<f64>() / p.len() as f64;
        let dark = render(face_identity(SimSubject(1)), 1, true);
        assert!(mean(&dark) < mean(&a) * 0.6);
    }

    #[test]
    fn eyes_are_where_the_params_say() {
        let mut p = FaceParams::new(face_identity(SimSubject(3)), 9);
        p.yaw_deg = 0.0;
        p.pitch_deg = 0.0;
        p.roll_deg = 10.0;
        let [l, r] = p.eye_centres();
        let d = ((r.0 - l.0).powi(2) + (r.1 - l.1).powi(2)).sqrt();
        assert!((d - p.ied).abs() < 0.01);
        assert!(r.1 > l.1, "positive roll lowers the image-right eye");
        // The pupil is the darkest spot around each eye centre.
        let img = render_params(&p);
        let at = |x: f32, y: f32| {
            let i = ((y as usize) * WIDTH as usize + x as usize) * 3;
            u32::from(img[i]) + u32::from(img[i + 1]) + u32::from(img[i + 2])
        };
        for (x, y) in [l, r] {
            assert!(at(x, y) < 120, "pupil at the eye centre");
            assert!(
                at(x + 0.18 * p.ied * 1.0, y) > at(x, y) + 150,
                "sclera beside the iris"
            );
        }
    }

    #[test]
    fn controls_change_the_picture() {
        let base = FaceParams::new(face_identity(SimSubject(4)), 2);
        let a = render_params(&base);
        type Change = Box<dyn Fn(&mut FaceParams)>;
        let variants: Vec<Change> = vec![
            Box::new(|p| p.eye_openness = 0.0),
            Box::new(|p| p.mouth_open = 1.0),
            Box::new(|p| p.yaw_deg = 20.0),
            Box::new(|p| p.lighting.side_shadow = 0.7),
            Box::new(|p| p.background_clutter = 1.0),
            Box::new(|p| p.blur_sigma = 3.0),
            Box::new(|p| p.saturation = 0.0),
            Box::new(|p| {
                p.second_face = Some(SecondFace {
                    identity: face_identity(SimSubject(5)),
                    centre: (560.0, 150.0),
                    ied: 50.0,
                })
            }),
        ];
        for change in variants {
            let mut p = base.clone();
            change(&mut p);
            assert_ne!(render_params(&p), a);
        }
    }
}
