//! Fast approximations of the trigonometry the renderers run per pixel (sin/cos within about
//! 0.001, atan2 within about 3e-4 rad): several times faster than `f32::sin` and `f32::atan2`,
//! and far more precise than a grey level needs.

use std::f32::consts::{FRAC_PI_2, PI, TAU};

/// `sin(x)` for any finite `x`.
#[inline]
pub(crate) fn sin(x: f32) -> f32 {
    // Reduce to [-π, π] (an `as` cast is one instruction; `round` is a libm call on baseline
    // x86-64).
    let t = x * (1.0 / TAU);
    let k = (t + if t >= 0.0 { 0.5 } else { -0.5 }) as i32;
    let x = x - TAU * k as f32;
    const B: f32 = 4.0 / PI;
    const C: f32 = -4.0 / (PI * PI);
    let y = B * x + C * x * x.abs();
    0.225 * (y * y.abs() - y) + y
}

/// `cos(x)` for any finite `x`.
#[inline]
pub(crate) fn cos(x: f32) -> f32 {
    sin(x + FRAC_PI_2)
}

/// `atan2(y, x)`, 0 at the origin.
#[inline]
pub(crate) fn atan2(y: f32, x: f32) -> f32 {
    let (ax, ay) = (x.abs(), y.abs());
    let (lo, hi) = if ax < ay { (ax, ay) } else { (ay, ax) };
    if hi == 0.0 {
        return 0.0;
    }
    let a = lo / hi;
    let s = a * a;
    let mut r = ((-0.046_496_475 * s + 0.159_314_22) * s - 0.327_622_76) * s * a + a;
    if ay > ax {
        r = FRAC_PI_2 - r;
    }
    if x < 0.0 {
        r = PI - r;
    }
    if y < 0.0 {
        -r
    } else {
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn approximations_are_close() {
        let mut x = -300.0f32;
        while x < 300.0 {
            assert!((sin(x) - x.sin()).abs() < 2e-3, "sin {x}");
            assert!((cos(x) - x.cos()).abs() < 2e-3, "cos {x}");
            x += 0.0137;
        }
        for i in 0..360 {
            let a = (i as f32).to_radians();
            for r in [0.5f32, 3.0, 100.0] {
                let (y, x) = (r * a.sin(), r * a.cos());
                let d = (atan2(y, x) - y.atan2(x)).abs();
                assert!(d < 5e-4 || (d - TAU).abs() < 5e-4, "atan2 at {i} deg");
            }
        }
        assert_eq!(atan2(0.0, 0.0), 0.0);
    }
}
