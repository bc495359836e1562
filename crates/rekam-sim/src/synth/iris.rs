//! Synthetic near-infrared eye images, 640x480 grey: skin, the almond of the eye opening
//! between two eyelid arcs, sclera, an iris ring whose radial texture (furrows and crypts)
//! derives from the eye's identity, a dark pupil whose size changes per impression, and the
//! illuminator's specular spot.

use std::f32::consts::TAU;

use rekam_hal::SimIdentity;

use super::{math, PixelNoise, SimRng};

/// Image width.
pub const WIDTH: u32 = 640;
/// Image height.
pub const HEIGHT: u32 = 480;
/// Iris radius in pixels (about 220 px across, above the ISO/IEC 29794-6 minimum).
pub const IRIS_RADIUS: f32 = 110.0;

const WAVES: usize = 12;

struct Texture {
    /// (angular frequency, radial frequency, phase, amplitude)
    waves: [(f32, f32, f32, f32); WAVES],
    crypts: Vec<(f32, f32, f32)>,
    base: f32,
}

impl Texture {
    fn new(identity: SimIdentity) -> Self {
        let mut r = SimRng::new(identity.0);
        let waves = [(); WAVES].map(|_| {
            (
                r.int(6, 60) as f32,
                r.range(0.0, 0.08),
                r.range(0.0, TAU),
                r.range(6.0, 16.0),
            )
        });
        let crypts = (0..r.int(6, 14))
            .map(|_| (r.range(0.0, TAU), r.range(0.35, 0.9), r.range(0.05, 0.12)))
            .collect();
        Texture {
            waves,
            crypts,
            base: r.range(85.0, 125.0),
        }
    }

    /// Iris grey at angle `t`, normalised radius `rho` (0 at the pupil edge, 1 at the limbus).
    fn at(&self, t: f32, rho: f32, radius: f32) -> f32 {
        let mut g = self.base;
        for &(k, kr, ph, amp) in &self.waves {
            g += amp * math::sin(k * t + kr * radius + ph) * (0.5 + 0.5 * rho);
        }
        for &(ct, cr, size) in &self.crypts {
            let mut dt = t - ct;
            if dt > TAU / 2.0 {
                dt -= TAU;
            } else if dt < -TAU / 2.0 {
                dt += TAU;
            }
            let d = (dt * dt * 4.0 + (rho - cr) * (rho - cr)) / (size * size);
            if d < 1.0 {
                g -= 35.0 * (1.0 - d);
            }
        }
        // Collarette: a brighter ring a third of the way out.
        let c = (rho - 0.33) * 10.0;
        g += 18.0 * (1.0 - c * c).max(0.0);
        g
    }
}

/// Renders the eye with `identity` for the impression `seed`. Returns `WIDTH * HEIGHT` grey
/// bytes.
pub fn render(identity: SimIdentity, seed: u64, low_quality: bool) -> Vec<u8> {
    let tex = Texture::new(identity);
    let mut r = SimRng::new(seed);
    let (cx, cy) = (320.0 + r.range(-14.0, 14.0), 240.0 + r.range(-10.0, 10.0));
    let pupil = r.range(32.0, 52.0);
    let upper = r.range(70.0, 95.0);
    let lower = r.range(75.0, 100.0);
    let half_w = 210.0;
    let spot = (cx + r.range(-18.0, 18.0), cy + r.range(-18.0, 0.0));
    let (contrast, noise) = if low_quality {
        (0.35, 45.0)
    } else {
        (1.0, 6.0)
    };
    let mut grain = PixelNoise::new(r.next_u64());
    let mut px = vec![0u8; (WIDTH * HEIGHT) as usize];
    for y in 0..HEIGHT {
        let fy = y as f32 + 0.5;
        for x in 0..WIDTH {
            let fx = x as f32 + 0.5;
            let (dx, dy) = (fx - cx, fy - cy);
            // Skin with a soft vignette.
            let vign = 1.0 - 0.25 * ((dx * dx + dy * dy) / (400.0 * 400.0));
            let mut g = 140.0 * vign;
            let across = 1.0 - (dx / half_w).powi(2);
            if across > 0.0 {
                let top = cy - upper * across;
                let bottom = cy + lower * across;
                if fy > top && fy < bottom {
                    let rr = (dx * dx + dy * dy).sqrt();
                    g = if rr < pupil {
                        18.0
                    } else if rr < IRIS_RADIUS {
                        let rho = (rr - pupil) / (IRIS_RADIUS - pupil);
                        tex.at(math::atan2(dy, dx), rho, rr)
                    } else {
                        // Sclera, darker toward the corners.
                        185.0 - 40.0 * (dx / half_w).abs()
                    };
                    // Eyelid shadow along the rims.
                    let rim = ((fy - top).min(bottom - fy) / 12.0).min(1.0);
                    g *= 0.6 + 0.4 * rim;
                }
            }
            let sd = (fx - spot.0).powi(2) + (fy - spot.1).powi(2);
            if sd < 36.0 {
                g = 250.0;
            }
            let g = 128.0 + (g - 128.0) * contrast + noise * grain.sample();
            px[(y * WIDTH + x) as usize] = g.clamp(0.0, 255.0) as u8;
        }
    }
    px
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::eye_identity;
    use rekam_hal::{Eye, SimSubject};

    #[test]
    fn eyes_have_a_dark_pupil_and_differ_per_eye() {
        let right = render(eye_identity(SimSubject(3), Eye::Right), 1, false);
        let left = render(eye_identity(SimSubject(3), Eye::Left), 1, false);
        assert_eq!(right.len(), (WIDTH * HEIGHT) as usize);
        assert_ne!(right, left);
        // Around the centre (the pupil, radius >= 32, moves by at most 14 px) it is mostly
        // dark; the specular spot is small.
        let mut dark = 0;
        for y in 230..250 {
            for x in 310..330 {
                if right[(y * WIDTH + x) as usize] < 60 {
                    dark += 1;
                }
            }
        }
        assert!(dark > 300, "dark pixels near the centre: {dark}");
        assert_eq!(
            right,
            render(eye_identity(SimSubject(3), Eye::Right), 1, false)
        );
        assert_ne!(
            right,
            render(eye_identity(SimSubject(3), Eye::Right), 2, false)
        );
    }
}
