//! Synthetic handwritten signatures on a 500x200 pad: a few strokes whose shape derives from
//! the person's signature seed (so a person signs alike every time), sampled at 200 Hz with
//! pressure, a pen-up sample between strokes, and the drawn grey image.

use std::f32::consts::TAU;

use rekam_hal::{PenSample, RawImage};

use super::SimRng;

/// Pad width in pad units (one unit is one image pixel).
pub const WIDTH: u16 = 500;
/// Pad height.
pub const HEIGHT: u16 = 200;
/// Highest pressure value.
pub const PRESSURE_LEVELS: u16 = 1024;
/// Time between samples.
pub const SAMPLE_MS: u32 = 5;

/// One stroke's shape: a drift to the right plus loops.
#[derive(Clone, Copy)]
struct Stroke {
    x0: f32,
    width: f32,
    y0: f32,
    loops: [(f32, f32, f32); 3],
    dur_ms: f32,
}

/// Generates the samples of a signature: `seed` is the person's
/// ([`signature_seed`](super::signature_seed)), `impression` varies it a little.
pub fn samples(seed: u64, impression: u64) -> Vec<PenSample> {
    let mut r = SimRng::new(seed);
    let n = r.int(2, 4);
    let mut x = r.range(30.0, 60.0);
    let span = (WIDTH as f32 - 60.0 - x) / n as f32;
    let strokes: Vec<Stroke> = (0..n)
        .map(|_| {
            let s = Stroke {
                x0: x,
                width: span * r.range(0.6, 0.95),
                y0: r.range(80.0, 120.0),
                loops: [(); 3].map(|_| (r.range(8.0, 35.0), r.range(1.0, 5.0), r.range(0.0, TAU))),
                dur_ms: r.range(300.0, 900.0),
            };
            x += span;
            s
        })
        .collect();
    let mut j = SimRng::new(impression);
    let (jx, jy, speed) = (j.range(-6.0, 6.0), j.range(-5.0, 5.0), j.range(0.9, 1.1));
    let mut out = Vec::new();
    let mut t = 0u32;
    for s in &strokes {
        let dur = s.dur_ms * speed;
        let steps = (dur / SAMPLE_MS as f32).max(2.0) as u32;
        for i in 0..=steps {
            let p = i as f32 / steps as f32;
            let mut px = s.x0 + jx + s.width * p;
            let mut py = s.y0 + jy;
            for (k, &(amp, freq, ph)) in s.loops.iter().enumerate() {
                let w = TAU * freq * p + ph;
                if k == 0 {
                    px += 0.4 * amp * w.cos();
                }
                py += amp * w.sin();
            }
            let pressure = 0.35 + 0.5 * (std::f32::consts::PI * p).sin() + 0.1 * j.noise();
            out.push(PenSample {
                x: px.clamp(0.0, WIDTH as f32 - 1.0) as u16,
                y: py.clamp(0.0, HEIGHT as f32 - 1.0) as u16,
                pressure: (pressure.clamp(0.05, 1.0) * (PRESSURE_LEVELS - 1) as f32) as u16,
                t_ms: t,
                pen_down: true,
            });
            t += SAMPLE_MS;
        }
        // Lift the pen and move to the next stroke.
        if let Some(last) = out.last().copied() {
            out.push(PenSample {
                pressure: 0,
                pen_down: false,
                t_ms: t,
                ..last
            });
        }
        t += 120;
    }
    out
}

/// Draws pen-down segments as dark lines, thicker with pressure, on white.
pub fn draw(samples: &[PenSample]) -> RawImage {
    let (w, h) = (u32::from(WIDTH), u32::from(HEIGHT));
    let mut px = vec![255u8; (w * h) as usize];
    let mut dot = |x: f32, y: f32, radius: f32| {
        let r = radius.ceil() as i32;
        for oy in -r..=r {
            for ox in -r..=r {
                let (xx, yy) = (x as i32 + ox, y as i32 + oy);
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

    #[test]
    fn signatures_are_per_person_with_strokes_and_pen_ups() {
        let a = samples(1, 1);
        assert!(a.len() > 100);
        assert!(a.iter().any(|s| !s.pen_down));
        assert!(a.windows(2).all(|w| w[1].t_ms > w[0].t_ms));
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
}
