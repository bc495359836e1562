//! The ISO/IEC 29794-6 measures, computed from a [`Segmentation`].
//!
//! - **Usable iris area**: the share of the annulus between pupil and limbus (its analytic
//!   area, so a part cut off by the frame counts as lost) that is neither under an eyelid, nor
//!   a lash (darker than the iris' grey range), nor skin or reflection (brighter), nor a
//!   specular spot.
//! - **Iris-sclera contrast** `100·(S - I)/(S + I - 2P)` and **iris-pupil contrast**
//!   `100·W/(0.75 + W)` with `W = (I - P)/(20 + P)`: the standard's formulas on medians of
//!   the pupil (within 0.8 of its radius), the iris (outer half for the sclera contrast,
//!   inner half for the pupil contrast) and the sclera (1.1-1.2 iris radii, in the lateral
//!   cones, where it is visible), occluded pixels left out.
//! - **Pupil/iris ratio** `100·rp/ri`; **concentricity** `100·(1 - d/ri)` with `d` the distance
//!   between the centres; **margin adequacy** `100·min(left/0.6ri, right/0.6ri, top/0.2ri,
//!   bottom/0.2ri)`, capped at 100, with the margins between the iris circle and the frame.
//! - **Pupil boundary circularity** `100·(1 - δ/0.2)`: `δ` is the RMS of the 2nd-16th Fourier
//!   harmonics of the boundary radius over the mean radius (the 1st is a centre offset, which
//!   the fitted centre removes).
//! - **Sharpness**: the standard's focus measure, a 9x9 zero-sum band-pass kernel applied on
//!   every 4th row and column; with `p` the mean squared response per image pixel,
//!   `100·p²/(p² + c²)`, `c = 180 000`.
//! - **Grey-scale utilisation**: the Shannon entropy (bits) of the image's grey levels, over the
//!   whole frame as BIQT-Iris computes it (the iris alone, with its narrower range, sits about
//!   a bit lower).
//! - **Noise** (not an ISO/IEC 29794-6 measure; the standard's band-pass sharpness *rises*
//!   with sensor noise, so noise needs its own check): the standard deviation of the sensor
//!   noise, estimated inside the pupil, which is flat: the median absolute difference of
//!   horizontally adjacent pixels, `σ = MAD / (0.6745·√2)`.
//! - **Off-axis gaze**: `acos(minor/major)` of the limbus ellipse, in degrees. A frontal iris is
//!   a circle; an iris turned by θ is flattened by cos θ. Below about 10° the flattening is
//!   lost in the limbus' own irregularity, so small angles read as 0-10°.

use std::f32::consts::PI;

use super::plane::{Grey, Plane};
use super::segment::{Circle, Segmentation, Workspace};

/// The raw measures of one eye image.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct IrisMeasures {
    /// Iris (limbus) diameter, pixels.
    pub iris_diameter_px: f32,
    /// Pupil diameter, pixels.
    pub pupil_diameter_px: f32,
    /// Pupil radius over iris radius, percent.
    pub pupil_iris_ratio: f32,
    /// Share of the iris annulus that is usable, percent.
    pub usable_iris_area: f32,
    /// Iris-sclera contrast, ISO scale 0-100.
    pub iris_sclera_contrast: f32,
    /// Iris-pupil contrast, ISO scale 0-100.
    pub iris_pupil_contrast: f32,
    /// Pupil boundary circularity, 0-100 (100: a circle).
    pub pupil_circularity: f32,
    /// Iris-pupil concentricity, 0-100 (100: same centre).
    pub concentricity: f32,
    /// Margin adequacy, 0-100.
    pub margin_adequacy: f32,
    /// Sharpness, ISO scale 0-100.
    pub sharpness: f32,
    /// Grey-scale utilisation of the image, bits.
    pub grey_scale_bits: f32,
    /// Estimated off-axis gaze, degrees.
    pub gaze_deg: f32,
    /// Sensor noise standard deviation estimated in the pupil, grey levels.
    pub noise_grey: f32,
    /// Mean grey of the whole image (for too-dark / too-bright guidance).
    pub mean_grey: f32,
}

/// Computes every measure.
pub(crate) fn measure(
    raw: &Plane,
    data: &[u8],
    seg: &Segmentation,
    ws: &Workspace,
) -> IrisMeasures {
    let (pupil, iris) = (&seg.pupil, &seg.iris);
    let usable = usable_area(raw, seg, ws);
    let mut hist = [0u32; 256];
    for &v in data {
        hist[v as usize] += 1;
    }
    let (isc, ipc) = contrasts(data, raw.w, raw.h, seg, ws);
    let d = ((pupil.x - iris.x).powi(2) + (pupil.y - iris.y).powi(2)).sqrt();
    let (ax, ay) = seg.iris_axes;
    let flat = (ax.min(ay) / ax.max(ay)).clamp(0.0, 1.0);
    IrisMeasures {
        iris_diameter_px: 2.0 * iris.r,
        pupil_diameter_px: 2.0 * pupil.r,
        pupil_iris_ratio: 100.0 * pupil.r / iris.r,
        usable_iris_area: usable,
        iris_sclera_contrast: isc,
        iris_pupil_contrast: ipc,
        pupil_circularity: circularity(&seg.pupil_profile),
        concentricity: (100.0 * (1.0 - d / iris.r)).max(0.0),
        margin_adequacy: margin_adequacy(iris, raw.w, raw.h),
        sharpness: sharpness(data, raw.w, raw.h),
        grey_scale_bits: entropy(&hist),
        gaze_deg: flat.acos().to_degrees(),
        noise_grey: pupil_noise(data, raw.w, seg, ws),
        mean_grey: hist
            .iter()
            .enumerate()
            .map(|(g, &n)| g as f64 * f64::from(n))
            .sum::<f64>() as f32
            / data.len().max(1) as f32,
    }
}

/// Whether `(x, y)` is hidden by an eyelid.
fn under_lid(seg: &Segmentation, x: f32, y: f32) -> bool {
    seg.upper_lid.is_some_and(|l| y < l.y(x)) || seg.lower_lid.is_some_and(|l| y > l.y(x))
}

/// Usable iris area, percent of the annulus' analytic area.
fn usable_area(raw: &Plane, seg: &Segmentation, ws: &Workspace) -> f32 {
    let (pupil, iris) = (&seg.pupil, &seg.iris);
    let (bright, dark) = (ws.bright_limit(), ws.dark_limit());
    let smooth = ws.smooth();
    let mut usable = 0u32;
    let (x0, x1, y0, y1) = bbox(iris, raw.w, raw.h);
    for y in y0..y1 {
        let fy = y as f32;
        for x in x0..x1 {
            let fx = x as f32;
            let di = (fx - iris.x).powi(2) + (fy - iris.y).powi(2);
            let dp = (fx - pupil.x).powi(2) + (fy - pupil.y).powi(2);
            if di > iris.r * iris.r || dp < pupil.r * pupil.r {
                continue;
            }
            let i = y * raw.w + x;
            let v = smooth.at(x, y);
            if ws.specular[i] || v > bright || v < dark || under_lid(seg, fx, fy) {
                continue;
            }
            usable += 1;
        }
    }
    let area = PI * (iris.r * iris.r - pupil.r * pupil.r);
    (100.0 * usable as f32 / area.max(1.0)).min(100.0)
}

/// Pixel bounds `[x0, x1) x [y0, y1)` of `c` within a `w`x`h` frame.
fn bbox(c: &Circle, w: usize, h: usize) -> (usize, usize, usize, usize) {
    let lo = |v: f32| v.floor().max(0.0) as usize;
    (
        lo(c.x - c.r).min(w),
        ((c.x + c.r).ceil().max(0.0) as usize + 1).min(w),
        lo(c.y - c.r).min(h),
        ((c.y + c.r).ceil().max(0.0) as usize + 1).min(h),
    )
}

/// The median of a histogram, 0 when empty.
fn hist_median(h: &[u32; 256]) -> Option<f32> {
    let n: u32 = h.iter().sum();
    if n == 0 {
        return None;
    }
    let mut acc = 0;
    for (g, &c) in h.iter().enumerate() {
        acc += c;
        if acc * 2 >= n {
            return Some(g as f32);
        }
    }
    None
}

/// ISO iris-sclera and iris-pupil contrasts.
fn contrasts(data: &[u8], w: usize, h: usize, seg: &Segmentation, ws: &Workspace) -> (f32, f32) {
    let (pupil, iris) = (&seg.pupil, &seg.iris);
    let (bright, dark) = (ws.bright_limit(), ws.dark_limit());
    let smooth = ws.smooth();
    let mut hp = [0u32; 256];
    let mut hi_outer = [0u32; 256];
    let mut hi_inner = [0u32; 256];
    let mut hs = [0u32; 256];
    let sclera = Circle {
        r: iris.r * 1.2,
        ..*iris
    };
    let mid = 0.5 * (pupil.r + iris.r);
    let cone = (30.0f32).to_radians().sin();
    let (x0, x1, y0, y1) = bbox(&sclera, w, h);
    for y in y0..y1 {
        let fy = y as f32;
        for x in x0..x1 {
            let fx = x as f32;
            let i = y * w + x;
            if ws.specular[i] {
                continue;
            }
            let v = data[i] as usize;
            let dp = ((fx - pupil.x).powi(2) + (fy - pupil.y).powi(2)).sqrt();
            if dp <= 0.8 * pupil.r {
                hp[v] += 1;
                continue;
            }
            let di = ((fx - iris.x).powi(2) + (fy - iris.y).powi(2)).sqrt();
            if di > iris.r * 1.1 {
                // Sclera: lateral cones only, outside the lids.
                if di <= iris.r * 1.2
                    && ((fy - iris.y) / di).abs() < cone
                    && !under_lid(seg, fx, fy)
                {
                    hs[v] += 1;
                }
                continue;
            }
            let s = smooth.at(x, y);
            if s > bright || s < dark || under_lid(seg, fx, fy) {
                continue;
            }
            if di >= mid && di <= 0.9 * iris.r {
                hi_outer[v] += 1;
            } else if dp >= 1.1 * pupil.r && di < mid {
                hi_inner[v] += 1;
            }
        }
    }
    let (Some(p), Some(s)) = (hist_median(&hp), hist_median(&hs)) else {
        return (0.0, 0.0);
    };
    let io = hist_median(&hi_outer).unwrap_or(p);
    let ii = hist_median(&hi_inner).unwrap_or(io);
    let den = s + io - 2.0 * p;
    let isc = if den > 0.0 {
        (100.0 * (s - io) / den).clamp(0.0, 100.0)
    } else {
        0.0
    };
    let weber = (ii - p) / (20.0 + p);
    let ipc = if weber > 0.0 {
        100.0 * weber / (0.75 + weber)
    } else {
        0.0
    };
    (isc, ipc)
}

/// Noise standard deviation from adjacent-pixel differences inside the pupil.
fn pupil_noise(data: &[u8], w: usize, seg: &Segmentation, ws: &Workspace) -> f32 {
    let h = data.len() / w.max(1);
    let inner = Circle {
        r: seg.pupil.r * 0.7,
        ..seg.pupil
    };
    let (x0, x1, y0, y1) = bbox(&inner, w, h);
    let mut hist = [0u32; 256];
    let mut n = 0u32;
    for y in y0..y1 {
        let fy = y as f32;
        for x in x0..x1.saturating_sub(1) {
            let fx = x as f32;
            let i = y * w + x;
            if (fx - inner.x).powi(2) + (fy - inner.y).powi(2) > inner.r * inner.r
                || ws.specular[i]
                || ws.specular[i + 1]
                || under_lid(seg, fx, fy)
            {
                continue;
            }
            hist[data[i].abs_diff(data[i + 1]) as usize] += 1;
            n += 1;
        }
    }
    if n == 0 {
        return 0.0;
    }
    // Median of |Δ| (interpolated within its bin, since Δ is an integer).
    let mut acc = 0u32;
    for (g, &c) in hist.iter().enumerate() {
        if c > 0 && (acc + c) * 2 >= n {
            let frac = (n as f32 / 2.0 - acc as f32) / c as f32;
            let mad = if g == 0 {
                frac * 0.5
            } else {
                g as f32 - 0.5 + frac
            };
            return mad / (0.6745 * std::f32::consts::SQRT_2);
        }
        acc += c;
    }
    0.0
}

/// ISO margin adequacy.
fn margin_adequacy(iris: &Circle, w: usize, h: usize) -> f32 {
    let r = iris.r.max(1.0);
    let left = (iris.x - r) / (0.6 * r);
    let right = (w as f32 - 1.0 - iris.x - r) / (0.6 * r);
    let top = (iris.y - r) / (0.2 * r);
    let bottom = (h as f32 - 1.0 - iris.y - r) / (0.2 * r);
    (100.0 * left.min(right).min(top).min(bottom)).clamp(0.0, 100.0)
}

/// Pupil boundary circularity from the boundary radius profile.
fn circularity(profile: &[(f32, f32)]) -> f32 {
    let n = profile.len();
    if n < 8 {
        return 0.0;
    }
    let mean = profile.iter().map(|p| p.1).sum::<f32>() / n as f32;
    let mut power = 0.0f32;
    for k in 2..=16 {
        let (mut re, mut im) = (0.0f32, 0.0f32);
        for &(t, r) in profile {
            let a = k as f32 * t;
            re += (r / mean - 1.0) * a.cos();
            im -= (r / mean - 1.0) * a.sin();
        }
        let (re, im) = (re / n as f32, im / n as f32);
        // A harmonic of amplitude A has |c_k| = A/2 and RMS A/√2: 2|c_k|² is its power.
        power += 2.0 * (re * re + im * im);
    }
    let delta = power.sqrt();
    (100.0 * (1.0 - delta / 0.2)).clamp(0.0, 100.0)
}

/// The standard's 9x9 focus kernel (zero sum).
const FOCUS_KERNEL: [[i32; 9]; 9] = [
    [0, 1, 1, 2, 2, 2, 1, 1, 0],
    [1, 2, 4, 5, 5, 5, 4, 2, 1],
    [1, 4, 5, 3, 0, 3, 5, 4, 1],
    [2, 5, 3, -12, -24, -12, 3, 5, 2],
    [2, 5, 0, -24, -40, -24, 0, 5, 2],
    [2, 5, 3, -12, -24, -12, 3, 5, 2],
    [1, 4, 5, 3, 0, 3, 5, 4, 1],
    [1, 2, 4, 5, 5, 5, 4, 2, 1],
    [0, 1, 1, 2, 2, 2, 1, 1, 0],
];

/// ISO sharpness over the whole image.
fn sharpness(data: &[u8], w: usize, h: usize) -> f32 {
    if w < 9 || h < 9 {
        return 0.0;
    }
    let mut ss = 0f64;
    for y in (4..h - 4).step_by(4) {
        for x in (4..w - 4).step_by(4) {
            // |acc| <= 255 · Σ|k| < 2^31.
            let mut acc = 0i32;
            for (ky, krow) in FOCUS_KERNEL.iter().enumerate() {
                let row = &data[(y + ky - 4) * w + x - 4..][..9];
                for (k, &v) in krow.iter().zip(row) {
                    acc += k * i32::from(v);
                }
            }
            ss += f64::from(acc) * f64::from(acc);
        }
    }
    let p = ss / (w * h) as f64;
    let c = 180_000f64;
    (100.0 * p * p / (p * p + c * c)) as f32
}

/// Shannon entropy of a histogram, bits.
fn entropy(hist: &[u32; 256]) -> f32 {
    let n: u64 = hist.iter().map(|&c| u64::from(c)).sum();
    if n == 0 {
        return 0.0;
    }
    let mut e = 0f64;
    for &c in hist {
        if c > 0 {
            let p = f64::from(c) / n as f64;
            e -= p * p.log2();
        }
    }
    e as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy_of_uniform_histograms() {
        let mut h = [0u32; 256];
        h[10] = 5;
        assert_eq!(entropy(&h), 0.0);
        for c in h.iter_mut().take(64) {
            *c = 3;
        }
        assert!((entropy(&h) - 6.0).abs() < 1e-5);
    }

    #[test]
    fn circles_are_round_and_ovals_less_so() {
        let circle: Vec<(f32, f32)> = (0..64).map(|i| (i as f32 * PI / 32.0, 1.0)).collect();
        assert!((circularity(&circle) - 100.0).abs() < 1e-3);
        let oval: Vec<(f32, f32)> = (0..64)
            .map(|i| {
                let t = i as f32 * PI / 32.0;
                (t, 1.0 + 0.1 * (2.0 * t).cos())
            })
            .collect();
        // δ = 0.1/√2 ≈ 0.071 -> about 65.
        let c = circularity(&oval);
        assert!((c - 64.6).abs() < 1.0, "{c}");
    }

    #[test]
    fn margins_follow_the_standard() {
        let c = Circle {
            x: 320.0,
            y: 240.0,
            r: 100.0,
        };
        assert_eq!(margin_adequacy(&c, 640, 480), 100.0);
        let left = Circle { x: 130.0, ..c };
        // (130 - 100) / 60 = 0.5
        assert!((margin_adequacy(&left, 640, 480) - 50.0).abs() < 1e-3);
    }

    #[test]
    fn flat_images_have_no_sharpness() {
        assert_eq!(sharpness(&[7u8; 64 * 64], 64, 64), 0.0);
    }
}
