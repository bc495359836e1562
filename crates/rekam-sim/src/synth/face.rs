//! Synthetic 640x480 RGB portraits: a plain background, shoulders, hair, a face ellipse in a
//! skin tone from the person's seed, eyes, brows, nose and mouth. Cheap shapes drawn over their
//! bounding boxes; the impression moves the head and changes the light a little.

use rekam_hal::SimIdentity;

use super::{PixelNoise, SimRng};

/// Portrait width.
pub const WIDTH: u32 = 640;
/// Portrait height.
pub const HEIGHT: u32 = 480;

/// Face geometry and colours of one person.
#[derive(Clone, Copy)]
struct Look {
    skin: [f32; 3],
    hair: [f32; 3],
    cloth: [f32; 3],
    face_a: f32,
    face_b: f32,
    eye_dx: f32,
    eye_dy: f32,
    mouth_dy: f32,
    mouth_w: f32,
    hair_top: f32,
}

impl Look {
    fn new(identity: SimIdentity) -> Self {
        let mut r = SimRng::new(identity.0);
        // Skin tones between light and dark brown.
        let t = r.unit();
        let light = [228.0, 188.0, 152.0];
        let dark = [128.0, 88.0, 62.0];
        let skin = [0, 1, 2].map(|i| light[i] + (dark[i] - light[i]) * t);
        let h = r.range(15.0, 70.0);
        let hair = [h, h * 0.8, h * 0.65];
        let cloth = [
            r.range(20.0, 120.0),
            r.range(20.0, 90.0),
            r.range(40.0, 140.0),
        ];
        Look {
            skin,
            hair,
            cloth,
            face_a: r.range(92.0, 108.0),
            face_b: r.range(122.0, 140.0),
            eye_dx: r.range(34.0, 42.0),
            eye_dy: r.range(-28.0, -16.0),
            mouth_dy: r.range(52.0, 66.0),
            mouth_w: r.range(22.0, 32.0),
            hair_top: r.range(20.0, 40.0),
        }
    }
}

struct Canvas {
    px: Vec<u8>,
    /// Light level of the impression.
    gain: f32,
}

impl Canvas {
    /// Fills the ellipse at (cx, cy) with semi-axes (a, b); `shade` darkens toward the rim.
    fn ellipse(&mut self, cx: f32, cy: f32, a: f32, b: f32, color: [f32; 3], shade: f32) {
        let gain = self.gain;
        let x0 = (cx - a).floor().max(0.0) as u32;
        let x1 = ((cx + a).ceil().max(0.0) as u32).min(WIDTH - 1);
        let y0 = (cy - b).floor().max(0.0) as u32;
        let y1 = ((cy + b).ceil().max(0.0) as u32).min(HEIGHT - 1);
        for y in y0..=y1 {
            let v = (y as f32 + 0.5 - cy) / b;
            for x in x0..=x1 {
                let u = (x as f32 + 0.5 - cx) / a;
                let e = u * u + v * v;
                if e < 1.0 {
                    let k = gain * (1.0 - shade * e);
                    let i = ((y * WIDTH + x) * 3) as usize;
                    for (dst, &col) in self.px[i..i + 3].iter_mut().zip(&color) {
                        *dst = (col * k).clamp(0.0, 255.0) as u8;
                    }
                }
            }
        }
    }
}

/// Renders the portrait of `identity` for the impression `seed`; `low_quality` gives a dark,
/// noisy picture. Returns RGB pixels, `WIDTH * HEIGHT * 3` bytes.
pub fn render(identity: SimIdentity, seed: u64, low_quality: bool) -> Vec<u8> {
    let look = Look::new(identity);
    let mut r = SimRng::new(seed);
    let (hx, hy) = (r.range(-12.0, 12.0), r.range(-8.0, 8.0));
    let gain = if low_quality {
        0.42
    } else {
        r.range(0.95, 1.05)
    };
    let mut cv = Canvas {
        px: vec![0; (WIDTH * HEIGHT * 3) as usize],
        gain,
    };
    // Background: a plain light blue-grey with a soft vertical gradient.
    for y in 0..HEIGHT {
        let g = 1.0 - 0.12 * (y as f32 / HEIGHT as f32);
        let row = [200.0 * g * gain, 212.0 * g * gain, 228.0 * g * gain].map(|v| v as u8);
        for x in 0..WIDTH {
            let i = ((y * WIDTH + x) * 3) as usize;
            cv.px[i..i + 3].copy_from_slice(&row);
        }
    }
    let (cx, cy) = (320.0 + hx, 225.0 + hy);
    cv.ellipse(cx, 545.0 + hy, 270.0, 170.0, look.cloth, 0.2);
    cv.ellipse(
        cx,
        cy + 150.0,
        48.0,
        70.0,
        look.skin.map(|c| c * 0.92),
        0.25,
    );
    cv.ellipse(
        cx,
        cy - look.hair_top,
        look.face_a + 18.0,
        look.face_b + 12.0,
        look.hair,
        0.1,
    );
    cv.ellipse(cx, cy + 8.0, look.face_a, look.face_b, look.skin, 0.18);
    for side in [-1.0, 1.0] {
        let ex = cx + side * look.eye_dx;
        let ey = cy + look.eye_dy;
        cv.ellipse(ex, ey - 16.0, 20.0, 4.0, look.hair, 0.0);
        cv.ellipse(ex, ey, 16.0, 8.0, [235.0, 235.0, 230.0], 0.1);
        cv.ellipse(ex, ey, 7.0, 7.0, [45.0, 30.0, 25.0], 0.0);
        cv.ellipse(ex + 2.0, ey - 2.0, 1.5, 1.5, [250.0, 250.0, 250.0], 0.0);
    }
    let nose = look.skin.map(|c| c * 0.85);
    cv.ellipse(cx, cy + 25.0, 10.0, 16.0, nose, 0.2);
    cv.ellipse(
        cx,
        cy + look.mouth_dy,
        look.mouth_w,
        7.0,
        [150.0, 70.0, 70.0],
        0.2,
    );
    if low_quality {
        let mut grain = PixelNoise::new(r.next_u64());
        for p in cv.px.iter_mut() {
            *p = (f32::from(*p) + 40.0 * grain.sample()).clamp(0.0, 255.0) as u8;
        }
    }
    cv.px
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
}
