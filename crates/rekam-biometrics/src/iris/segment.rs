//! Iris segmentation: pupil and limbus boundaries, eyelids, and the mask of usable iris.
//!
//! Coarse to fine, in the manner of Daugman's integro-differential operator:
//!
//! 1. Specular spots are found and filled (`plane::fill_specular`) so they do not
//!    lift the pupil's average.
//! 2. **Pupil, coarse**: on the image shrunk 4x, the darkest blobs are candidate centres; around
//!    each, every centre within ±1 px (then ±2 px around the best) and every radius is scored by the jump in mean grey
//!    across the circle, relative to the grey inside (a Weber ratio: the pupil's dark-to-iris
//!    step beats the iris-to-sclera one even when that is larger in grey levels).
//! 3. **Limbus, coarse**: the same operator around the pupil centre, on the left and right
//!    cones only (-30° to +45° from horizontal on each side), which the eyelids rarely cover,
//!    with radii beyond the pupil.
//! 4. **Fine**: at full resolution, the strongest outward rise of a smoothed radial profile is
//!    taken along each ray (64 around the pupil, 64 in the limbus cones); a circle is fitted
//!    to those edge points by least squares, dropping outliers (lashes, crypts), twice. The
//!    limbus points also give an axis-aligned ellipse, whose flattening measures off-axis gaze.
//! 5. **Eyelids**: near-infrared skin is brighter than the iris. Along each column above (and
//!    below) the pupil, the row that best splits "not iris" above from "iris" below is the lid
//!    edge; a parabola is fitted to those rows.
//!
//! The grey statistics of the iris come from its lateral-lower sectors, which lids and lashes
//! seldom reach.

use std::f32::consts::PI;

use super::plane::{fill_specular, percentile, BoxView, Grey, Integral, Plane};
use super::IrisError;

/// A circle in image pixels (pixel centres at integer coordinates).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Circle {
    /// Centre, x.
    pub x: f32,
    /// Centre, y.
    pub y: f32,
    /// Radius.
    pub r: f32,
}

/// An eyelid edge: `y = a·u² + b·u + c` with `u = x - x0`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lid {
    /// Reference column (the iris centre).
    pub x0: f32,
    /// Curvature.
    pub a: f32,
    /// Slope at `x0`.
    pub b: f32,
    /// Row at `x0`.
    pub c: f32,
}

impl Lid {
    /// The lid's row at column `x`.
    pub fn y(&self, x: f32) -> f32 {
        let u = x - self.x0;
        self.a * u * u + self.b * u + self.c
    }
}

/// Where the pupil, iris and eyelids are.
#[derive(Debug, Clone, PartialEq)]
pub struct Segmentation {
    /// The pupil boundary (least-squares circle).
    pub pupil: Circle,
    /// The limbus (iris-sclera boundary, least-squares circle over the lateral cones).
    pub iris: Circle,
    /// Horizontal and vertical semi-axes of the limbus ellipse, when the edge points determine
    /// one (else the circle's radius twice).
    pub iris_axes: (f32, f32),
    /// Pupil boundary radius along each of the rays where an edge was found, from the pupil
    /// centre, over the pupil radius (1 on a circle), with the ray angle in radians.
    pub pupil_profile: Vec<(f32, f32)>,
    /// The upper eyelid where it crosses the iris, if it does.
    pub upper_lid: Option<Lid>,
    /// The lower eyelid where it crosses the iris, if it does.
    pub lower_lid: Option<Lid>,
    /// Mean grey step across the pupil boundary (grey levels).
    pub pupil_step: f32,
    /// Mean grey step across the limbus in the lateral cones (grey levels).
    pub limbus_step: f32,
}

/// What the later measures need besides the segmentation.
pub(crate) struct Workspace {
    /// Integral image of the image with specular spots filled.
    pub(crate) integral: Integral,
    /// Specular pixels.
    pub(crate) specular: Vec<bool>,
    /// Iris grey quantiles (10 %, 50 %, 90 %) from the lateral-lower sectors.
    pub(crate) iris_q: [f32; 3],
    /// Median grey inside the pupil (within 0.7 of its radius).
    pub(crate) pupil_grey: f32,
}

impl Workspace {
    /// The filled image smoothed with a 3x3 box.
    pub(crate) fn smooth(&self) -> BoxView<'_> {
        BoxView::new(&self.integral, 1)
    }

    /// Above this, an iris-region pixel is skin or reflection, not iris.
    pub(crate) fn bright_limit(&self) -> f32 {
        let [_, q50, q90] = self.iris_q;
        q90 + 0.6 * (q90 - q50).max(4.0)
    }

    /// Below this, an iris-region pixel is a lash, not usable iris: well below the iris'
    /// own range and within about a third of the way from the pupil's black to the iris'
    /// median (lashes are nearly as dark as the pupil; crypts, the limbal ring and lid
    /// shadows are not).
    pub(crate) fn dark_limit(&self) -> f32 {
        let [q10, q50, _] = self.iris_q;
        let spread = q10 - 0.8 * (q50 - q10).max(4.0);
        spread.min(self.pupil_grey + 0.35 * (q50 - self.pupil_grey))
    }
}

/// Coarse pupil radii at 1/4 scale.
const PUPIL_MIN_R4: usize = 3;
/// Angles sampled on a coarse circle.
const COARSE_ANGLES: usize = 32;
/// Rays for the fine pupil boundary.
const PUPIL_RAYS: usize = 64;
/// Rays for the fine limbus, per side.
const LIMBUS_RAYS: usize = 32;
/// The lateral cone, radians from horizontal: up (negative, image y grows downward) and down.
const CONE_UP: f32 = -30.0 * PI / 180.0;
const CONE_DOWN: f32 = 45.0 * PI / 180.0;
/// Weber ratio offset, grey levels (keeps a near-black pupil from dividing by zero).
const WEBER_OFFSET: f32 = 10.0;
/// Smallest mean grey step accepted as a pupil boundary.
const MIN_PUPIL_STEP: f32 = 6.0;
/// Smallest mean grey step accepted as a limbus.
const MIN_LIMBUS_STEP: f32 = 3.0;

/// Segments an eye image given as grey levels.
pub(crate) fn segment(raw: &Plane) -> Result<(Segmentation, Workspace), IrisError> {
    let (filled, specular) = fill_specular(raw);
    let integral = Integral::new(&filled.px, filled.w, filled.h);
    let smooth = BoxView::new(&integral, 1);
    let coarse = filled.down4().box_mean(1);

    // The image's black level: Weber ratios are taken above it, so a washed-out image (a
    // grey "black") keeps its pupil the relatively strongest dark-to-bright step.
    let black = percentile(&coarse.px, 0.01);
    let (pcx, pcy, pr) = coarse_pupil(&coarse, black).ok_or(IrisError::PupilNotFound)?;
    let wide = BoxView::new(&integral, 2);
    let pupil_rays: Vec<f32> = (0..PUPIL_RAYS)
        .map(|i| i as f32 * 2.0 * PI / PUPIL_RAYS as f32)
        .collect();
    let mut pupil = Circle {
        x: pcx,
        y: pcy,
        r: pr,
    };
    let mut pupil_points = Vec::new();
    for pass in 0..2 {
        let span = if pass == 0 {
            0.25 * pupil.r + 4.0
        } else {
            0.1 * pupil.r + 3.0
        };
        let lo = (pupil.r - span).max(2.0);
        let hi = pupil.r + span;
        let edges = radial_edges(
            &wide,
            pupil.x,
            pupil.y,
            lo,
            hi,
            &pupil_rays,
            2.0,
            Some(black),
        );
        let (fit, inliers) = robust_circle(&edges).ok_or(IrisError::PupilNotFound)?;
        pupil = fit;
        pupil_points = inliers;
    }
    let pupil_step = mean_step(&pupil_points);
    if pupil_step < MIN_PUPIL_STEP || pupil.r < 4.0 {
        return Err(IrisError::PupilNotFound);
    }

    let (icx, icy, ir) = coarse_limbus(&coarse, &pupil).ok_or(IrisError::IrisNotFound)?;
    let smoother = BoxView::new(&integral, 3);
    let mut limbus_rays = Vec::with_capacity(2 * LIMBUS_RAYS);
    for i in 0..LIMBUS_RAYS {
        let t = CONE_UP + (CONE_DOWN - CONE_UP) * i as f32 / (LIMBUS_RAYS - 1) as f32;
        limbus_rays.push(t);
        limbus_rays.push(PI - t);
    }
    let mut iris = Circle {
        x: icx,
        y: icy,
        r: ir,
    };
    let mut limbus_points = Vec::new();
    for pass in 0..2 {
        let span = if pass == 0 {
            0.12 * iris.r + 4.0
        } else {
            0.05 * iris.r + 3.0
        };
        let lo = (iris.r - span).max(pupil.r + 3.0);
        let hi = iris.r + span;
        let edges = radial_edges(&smoother, iris.x, iris.y, lo, hi, &limbus_rays, 3.0, None);
        let (fit, inliers) = robust_circle(&edges).ok_or(IrisError::IrisNotFound)?;
        iris = fit;
        limbus_points = inliers;
    }
    let limbus_step = mean_step(&limbus_points);
    if limbus_step < MIN_LIMBUS_STEP || iris.r <= pupil.r {
        return Err(IrisError::IrisNotFound);
    }
    let iris_axes = fit_axes(&limbus_points, &iris).unwrap_or((iris.r, iris.r));

    let pupil_profile = pupil_points
        .iter()
        .map(|p| {
            let (dx, dy) = (p.x - pupil.x, p.y - pupil.y);
            (dy.atan2(dx), (dx * dx + dy * dy).sqrt() / pupil.r)
        })
        .collect();

    let iris_q = iris_quantiles(&smooth, &pupil, &iris);
    let pupil_grey = disc_median(&smooth, &pupil, 0.7);
    let ws = Workspace {
        pupil_grey,
        integral,
        specular,
        iris_q,
    };
    let upper_lid = find_lid(&ws, &pupil, &iris, true);
    let lower_lid = find_lid(&ws, &pupil, &iris, false);
    Ok((
        Segmentation {
            pupil,
            iris,
            iris_axes,
            pupil_profile,
            upper_lid,
            lower_lid,
            pupil_step,
            limbus_step,
        },
        ws,
    ))
}

/// Integer offsets of `n` points on a circle of radius `r`, for angles `angles`.
fn ring(r: f32, angles: &[f32]) -> Vec<(i32, i32)> {
    angles
        .iter()
        .map(|t| ((r * t.cos()).round() as i32, (r * t.sin()).round() as i32))
        .collect()
}

/// Mean grey over `offsets` around `(cx, cy)`, or `None` when less than half of them are in
/// the image.
#[inline]
fn ring_mean(p: &Plane, cx: i32, cy: i32, offsets: &[(i32, i32)]) -> Option<f32> {
    let (w, h) = (p.w as i32, p.h as i32);
    let mut s = 0.0;
    let mut n = 0usize;
    for &(dx, dy) in offsets {
        let (x, y) = (cx + dx, cy + dy);
        if x >= 0 && y >= 0 && x < w && y < h {
            s += p.px[(y * w + x) as usize];
            n += 1;
        }
    }
    (n * 2 >= offsets.len()).then(|| s / n as f32)
}

/// The grey values at `offsets` around `(cx, cy)` that are in the image, or `None` when less
/// than half of them are.
fn ring_samples(p: &Plane, cx: i32, cy: i32, offsets: &[(i32, i32)]) -> Option<Vec<f32>> {
    let (w, h) = (p.w as i32, p.h as i32);
    let v: Vec<f32> = offsets
        .iter()
        .map(|&(dx, dy)| (cx + dx, cy + dy))
        .filter(|&(x, y)| x >= 0 && y >= 0 && x < w && y < h)
        .map(|(x, y)| p.px[(y * w + x) as usize])
        .collect();
    (v.len() * 2 >= offsets.len()).then_some(v)
}

/// The pupil on the 1/4-scale plane: full-resolution centre and radius.
fn coarse_pupil(c: &Plane, black: f32) -> Option<(f32, f32, f32)> {
    let (w, h) = (c.w, c.h);
    let r_max = (w.min(h) * 3 / 10).max(PUPIL_MIN_R4 + 3);
    let angles: Vec<f32> = (0..COARSE_ANGLES)
        .map(|i| i as f32 * 2.0 * PI / COARSE_ANGLES as f32)
        .collect();
    let rings: Vec<Vec<(i32, i32)>> = (0..=r_max + 2).map(|r| ring(r as f32, &angles)).collect();
    // Candidate centres: the darkest local minima of a 5x5 mean.
    let dark = c.box_mean(2);
    let mut cands: Vec<(f32, usize, usize)> = Vec::new();
    let m = 3usize;
    for y in m..h.saturating_sub(m) {
        for x in m..w.saturating_sub(m) {
            let v = dark.at(x, y);
            let mut is_min = true;
            'n: for yy in y - 3..=y + 3 {
                for xx in x - 3..=x + 3 {
                    if (yy, xx) != (y, x) && dark.at(xx, yy) < v {
                        is_min = false;
                        break 'n;
                    }
                }
            }
            if is_min {
                cands.push((v, x, y));
            }
        }
    }
    cands.sort_by(|a, b| a.0.total_cmp(&b.0));
    cands.dedup_by(|a, b| a.1.abs_diff(b.1) <= 3 && a.2.abs_diff(b.2) <= 3);
    cands.truncate(8);
    // Each candidate with its 3x3 neighbourhood, then ±2 px around the best.
    // The outside of a pupil is brighter all around (a lid may cover its top, but the lid is
    // bright too): its brightness is the 30th percentile of the two rings outside, so a small
    // circle straddling the pupil's edge (half dark outside) does not score.
    let mut rings_px: Vec<Option<Vec<f32>>> = vec![None; r_max + 3];
    let mut outside: Vec<f32> = Vec::with_capacity(2 * COARSE_ANGLES);
    let mut score_at = |cx: i32, cy: i32, best: &mut Option<(f32, i32, i32, usize)>| {
        for (r, m) in rings_px.iter_mut().enumerate() {
            *m = ring_samples(c, cx, cy, &rings[r]);
        }
        let mean =
            |v: &Option<Vec<f32>>| v.as_ref().map(|v| v.iter().sum::<f32>() / v.len() as f32);
        for r in PUPIL_MIN_R4..=r_max {
            let (Some(a), Some(b)) = (mean(&rings_px[r - 2]), mean(&rings_px[r - 1])) else {
                continue;
            };
            let (Some(d), Some(e)) = (&rings_px[r + 1], &rings_px[r + 2]) else {
                continue;
            };
            outside.clear();
            outside.extend_from_slice(d);
            outside.extend_from_slice(e);
            let k = outside.len() * 3 / 10;
            let (_, &mut out30, _) = outside.select_nth_unstable_by(k, f32::total_cmp);
            let inside = 0.5 * (a + b);
            let score = (out30 - inside) / ((inside - black).max(0.0) + WEBER_OFFSET);
            if best.is_none_or(|b| score > b.0) {
                *best = Some((score, cx, cy, r));
            }
        }
    };
    let mut best: Option<(f32, i32, i32, usize)> = None;
    for &(_, x, y) in &cands {
        for cy in y as i32 - 1..=y as i32 + 1 {
            for cx in x as i32 - 1..=x as i32 + 1 {
                score_at(cx, cy, &mut best);
            }
        }
    }
    let (_, bx, by, _) = best?;
    for cy in by - 2..=by + 2 {
        for cx in bx - 2..=bx + 2 {
            score_at(cx, cy, &mut best);
        }
    }
    let (score, x, y, r) = best?;
    (score > 0.0).then_some((x as f32 * 4.0 + 1.5, y as f32 * 4.0 + 1.5, r as f32 * 4.0))
}

/// The limbus on the 1/4-scale plane around the pupil: full-resolution centre and radius.
fn coarse_limbus(c: &Plane, pupil: &Circle) -> Option<(f32, f32, f32)> {
    let mut angles = Vec::with_capacity(COARSE_ANGLES);
    for i in 0..COARSE_ANGLES / 2 {
        let t = CONE_UP + (CONE_DOWN - CONE_UP) * i as f32 / (COARSE_ANGLES / 2 - 1) as f32;
        angles.push(t);
        angles.push(PI - t);
    }
    let pr4 = pupil.r / 4.0;
    let r_min = ((pr4 * 1.25).max(pr4 + 3.0)).ceil() as usize;
    // An iris at most 0.9 of the frame's height across.
    let r_max = (c.w.min(c.h) as f32 * 0.45) as usize;
    if r_min + 2 >= r_max {
        return None;
    }
    let rings: Vec<Vec<(i32, i32)>> = (0..=r_max + 2).map(|r| ring(r as f32, &angles)).collect();
    let (px, py) = (
        ((pupil.x - 1.5) / 4.0).round() as i32,
        ((pupil.y - 1.5) / 4.0).round() as i32,
    );
    let mut best: Option<(f32, i32, i32, usize)> = None;
    let mut means = vec![None; r_max + 3];
    for cy in py - 5..=py + 5 {
        for cx in px - 5..=px + 5 {
            // The limbus must enclose the pupil with room to spare, wherever its centre is.
            let off = ((cx - px).pow(2) + (cy - py).pow(2)) as f32;
            let r_here = r_min.max((off.sqrt() + pr4 * 1.2 + 1.0).ceil() as usize);
            if r_here > r_max {
                continue;
            }
            for (r, m) in means.iter_mut().enumerate().skip(r_here - 2) {
                *m = ring_mean(c, cx, cy, &rings[r]);
            }
            for r in r_here..=r_max {
                let (Some(a), Some(b), Some(d), Some(e)) =
                    (means[r - 2], means[r - 1], means[r + 1], means[r + 2])
                else {
                    continue;
                };
                let score = 0.5 * (d + e - a - b);
                if best.is_none_or(|b| score > b.0) {
                    best = Some((score, cx, cy, r));
                }
            }
        }
    }
    let (score, x, y, r) = best?;
    (score > 0.0).then_some((x as f32 * 4.0 + 1.5, y as f32 * 4.0 + 1.5, r as f32 * 4.0))
}

/// An edge point found along a ray.
#[derive(Debug, Clone, Copy)]
struct EdgePoint {
    x: f32,
    y: f32,
    /// Grey step across the edge.
    step: f32,
}

/// Along each ray from `(cx, cy)` at `angles`, between radii `lo` and `hi`, the point where the
/// grey rises fastest outward (over `half` px either side), with sub-pixel refinement. With
/// `weber` (the image's black level), the rise is taken relative to the grey inside above
/// black (as for the coarse pupil), so a dark pupil's edge beats a brighter but relatively
/// weaker limbus in the same window.
#[allow(clippy::too_many_arguments)]
fn radial_edges(
    p: &impl Grey,
    cx: f32,
    cy: f32,
    lo: f32,
    hi: f32,
    angles: &[f32],
    half: f32,
    weber: Option<f32>,
) -> Vec<EdgePoint> {
    const STEP: f32 = 0.5;
    let k = (half / STEP).round().max(1.0) as usize;
    let n = ((hi - lo) / STEP).ceil() as usize + 1;
    let mut prof = vec![0f32; n + 2 * k];
    let mut out = Vec::with_capacity(angles.len());
    for &t in angles {
        let (c, s) = (t.cos(), t.sin());
        let mut inside = true;
        for (i, v) in prof.iter_mut().enumerate() {
            let r = lo + (i as f32 - k as f32) * STEP;
            let (x, y) = (cx + r * c, cy + r * s);
            if !p.contains(x, y) {
                inside = false;
                break;
            }
            *v = p.sample(x, y);
        }
        if !inside {
            continue;
        }
        let d = |i: usize| {
            let rise = prof[i + 2 * k] - prof[i];
            match weber {
                Some(black) => rise / ((prof[i] - black).max(0.0) + WEBER_OFFSET),
                None => rise,
            }
        };
        let mut best = (f32::MIN, 0usize);
        for i in 0..n {
            let v = d(i);
            if v > best.0 {
                best = (v, i);
            }
        }
        let (score, mut i) = best;
        if score <= 0.0 {
            continue;
        }
        // The Weber ratio peaks a little inside the edge (its denominator rises through it):
        // take the plain rise's peak near it.
        let rise = |i: usize| prof[i + 2 * k] - prof[i];
        if weber.is_some() {
            let (lo_i, hi_i) = (i.saturating_sub(k), (i + k).min(n - 1));
            i = (lo_i..=hi_i)
                .max_by(|&a, &b| rise(a).total_cmp(&rise(b)))
                .unwrap_or(i);
        }
        let step = rise(i);
        let mut off = 0.0;
        if i > 0 && i + 1 < n {
            let (a, b, cc) = (rise(i - 1), step, rise(i + 1));
            let den = a - 2.0 * b + cc;
            if den < 0.0 {
                off = (0.5 * (a - cc) / den).clamp(-0.5, 0.5);
            }
        }
        let r = lo + (i as f32 + off) * STEP;
        out.push(EdgePoint {
            x: cx + r * c,
            y: cy + r * s,
            step,
        });
    }
    out
}

fn mean_step(points: &[EdgePoint]) -> f32 {
    if points.is_empty() {
        return 0.0;
    }
    points.iter().map(|p| p.step).sum::<f32>() / points.len() as f32
}

/// Solves the 3x3 system `m·x = v` (Cramer's rule); `None` when singular.
fn solve3(m: [[f64; 3]; 3], v: [f64; 3]) -> Option<[f64; 3]> {
    let det = |m: &[[f64; 3]; 3]| {
        m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
            - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
            + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
    };
    let d = det(&m);
    if d.abs() < 1e-12 {
        return None;
    }
    let mut out = [0.0; 3];
    for (k, o) in out.iter_mut().enumerate() {
        let mut mk = m;
        for r in 0..3 {
            mk[r][k] = v[r];
        }
        *o = det(&mk) / d;
    }
    Some(out)
}

/// Algebraic (Kåsa) least-squares circle through `points`.
fn fit_circle(points: &[EdgePoint]) -> Option<Circle> {
    if points.len() < 5 {
        return None;
    }
    // Centre the coordinates for conditioning.
    let n = points.len() as f64;
    let mx = points.iter().map(|p| f64::from(p.x)).sum::<f64>() / n;
    let my = points.iter().map(|p| f64::from(p.y)).sum::<f64>() / n;
    let mut m = [[0f64; 3]; 3];
    let mut v = [0f64; 3];
    for p in points {
        let (x, y) = (f64::from(p.x) - mx, f64::from(p.y) - my);
        let row = [x, y, 1.0];
        let z = -(x * x + y * y);
        for i in 0..3 {
            for j in 0..3 {
                m[i][j] += row[i] * row[j];
            }
            v[i] += row[i] * z;
        }
    }
    let [d, e, f] = solve3(m, v)?;
    let (cx, cy) = (-d / 2.0, -e / 2.0);
    let r2 = cx * cx + cy * cy - f;
    (r2 > 0.0).then(|| Circle {
        x: (cx + mx) as f32,
        y: (cy + my) as f32,
        r: r2.sqrt() as f32,
    })
}

/// A circle fit that drops points far from the circle, three times. Returns the circle and the
/// points kept.
fn robust_circle(points: &[EdgePoint]) -> Option<(Circle, Vec<EdgePoint>)> {
    let mut kept: Vec<EdgePoint> = points.to_vec();
    let mut c = fit_circle(&kept)?;
    for _ in 0..3 {
        let mut res: Vec<f32> = kept
            .iter()
            .map(|p| (((p.x - c.x).powi(2) + (p.y - c.y).powi(2)).sqrt() - c.r).abs())
            .collect();
        let mut sorted = res.clone();
        sorted.sort_by(f32::total_cmp);
        let mad = sorted[sorted.len() / 2];
        let limit = (2.5 * 1.4826 * mad).max(1.0);
        let next: Vec<EdgePoint> = kept
            .iter()
            .zip(res.iter_mut())
            .filter(|(_, r)| **r <= limit)
            .map(|(p, _)| *p)
            .collect();
        if next.len() == kept.len() || next.len() < 5 {
            break;
        }
        kept = next;
        c = fit_circle(&kept)?;
    }
    Some((c, kept))
}

/// Horizontal and vertical semi-axes of the axis-aligned ellipse through `points`, when they
/// pin one down (`A u² + B v² + C u + D v = 1` with `u, v` from the circle's centre).
fn fit_axes(points: &[EdgePoint], c: &Circle) -> Option<(f32, f32)> {
    if points.len() < 12 {
        return None;
    }
    let mut m = [[0f64; 4]; 4];
    let mut v = [0f64; 4];
    let s = f64::from(c.r);
    for p in points {
        let (u, w) = (f64::from(p.x - c.x) / s, f64::from(p.y - c.y) / s);
        let row = [u * u, w * w, u, w];
        for i in 0..4 {
            for j in 0..4 {
                m[i][j] += row[i] * row[j];
            }
            v[i] += row[i];
        }
    }
    let [a, b, cc, d] = solve4(m, v)?;
    if a <= 0.0 || b <= 0.0 {
        return None;
    }
    let k = 1.0 + cc * cc / (4.0 * a) + d * d / (4.0 * b);
    let (ax, ay) = ((k / a).sqrt() * s, (k / b).sqrt() * s);
    // An ill-determined vertical axis (few points far from the horizontal) is not believed.
    let ratio = ax.min(ay) / ax.max(ay);
    (ax.is_finite() && ay.is_finite() && ratio > 0.3).then_some((ax as f32, ay as f32))
}

/// Gaussian elimination with partial pivoting for a 4x4 system.
fn solve4(mut m: [[f64; 4]; 4], mut v: [f64; 4]) -> Option<[f64; 4]> {
    for col in 0..4 {
        let piv = (col..4).max_by(|&a, &b| m[a][col].abs().total_cmp(&m[b][col].abs()))?;
        if m[piv][col].abs() < 1e-12 {
            return None;
        }
        m.swap(col, piv);
        v.swap(col, piv);
        let pivot = m[col];
        for row in col + 1..4 {
            let f = m[row][col] / pivot[col];
            for (a, p) in m[row].iter_mut().zip(pivot).skip(col) {
                *a -= f * p;
            }
            v[row] -= f * v[col];
        }
    }
    let mut x = [0f64; 4];
    for row in (0..4).rev() {
        let mut s = v[row];
        for k in row + 1..4 {
            s -= m[row][k] * x[k];
        }
        x[row] = s / m[row][row];
    }
    Some(x)
}

/// Grey quantiles (10 %, 50 %, 90 %) of the iris in its lateral-lower sectors, between 15 %
/// and 85 % of the way from the pupil to the limbus.
fn iris_quantiles(p: &impl Grey, pupil: &Circle, iris: &Circle) -> [f32; 3] {
    let mut v = Vec::with_capacity(800);
    for i in 0..40 {
        let t = (-20.0 + 80.0 * i as f32 / 39.0).to_radians();
        for t in [t, PI - t] {
            let (c, s) = (t.cos(), t.sin());
            for j in 0..10 {
                let rho = 0.15 + 0.7 * j as f32 / 9.0;
                // Along the ray from the iris centre, between the two boundaries.
                let rp = ray_to_circle(iris.x, iris.y, c, s, pupil);
                let r = rp + rho * (iris.r - rp);
                let (x, y) = (iris.x + r * c, iris.y + r * s);
                if p.contains(x, y) {
                    v.push(p.sample(x, y));
                }
            }
        }
    }
    if v.is_empty() {
        return [0.0; 3];
    }
    v.sort_by(f32::total_cmp);
    let q = |f: f32| v[((v.len() - 1) as f32 * f) as usize];
    [q(0.1), q(0.5), q(0.9)]
}

/// Median grey of `p` within `frac` of `c`'s radius.
fn disc_median(p: &impl Grey, c: &Circle, frac: f32) -> f32 {
    let r = c.r * frac;
    let mut hist = [0u32; 256];
    let mut n = 0u32;
    let y0 = (c.y - r).floor().max(0.0) as usize;
    let y1 = ((c.y + r).ceil().max(0.0) as usize).min(p.height().saturating_sub(1));
    let x0 = (c.x - r).floor().max(0.0) as usize;
    let x1 = ((c.x + r).ceil().max(0.0) as usize).min(p.width().saturating_sub(1));
    for y in y0..=y1 {
        for x in x0..=x1 {
            if (x as f32 - c.x).powi(2) + (y as f32 - c.y).powi(2) <= r * r {
                hist[p.at(x, y).clamp(0.0, 255.0) as usize] += 1;
                n += 1;
            }
        }
    }
    let mut acc = 0;
    for (g, &k) in hist.iter().enumerate() {
        acc += k;
        if acc * 2 >= n && n > 0 {
            return g as f32;
        }
    }
    0.0
}

/// Distance from `(x, y)` along the unit direction `(c, s)` to where the ray leaves `circle`
/// (0 when the point is outside it).
pub(crate) fn ray_to_circle(x: f32, y: f32, c: f32, s: f32, circle: &Circle) -> f32 {
    let (dx, dy) = (x - circle.x, y - circle.y);
    let b = dx * c + dy * s;
    let cc = dx * dx + dy * dy - circle.r * circle.r;
    let disc = b * b - cc;
    if disc < 0.0 {
        return 0.0;
    }
    (-b + disc.sqrt()).max(0.0)
}

/// The upper (or lower) eyelid across the iris, from the best "not iris | iris" split row of
/// each column between the limbus and the pupil.
fn find_lid(ws: &Workspace, pupil: &Circle, iris: &Circle, upper: bool) -> Option<Lid> {
    let p = ws.smooth();
    let (bright, dark) = (ws.bright_limit(), ws.dark_limit());
    let mut pts: Vec<(f32, f32)> = Vec::new();
    let x_lo = (iris.x - iris.r * 0.95).ceil().max(0.0) as i32;
    let x_hi = (iris.x + iris.r * 0.95).floor().min((p.width() - 1) as f32) as i32;
    let mut column: Vec<(bool, bool)> = Vec::new();
    for x in (x_lo..=x_hi).step_by(2) {
        let fx = x as f32;
        let dx = fx - iris.x;
        let half = (iris.r * iris.r - dx * dx).max(0.0).sqrt();
        let dxp = fx - pupil.x;
        let pupil_half = (pupil.r * pupil.r - dxp * dxp).max(0.0).sqrt();
        // Rows from the limbus toward the pupil (or the iris centre row beside it).
        let (from, to) = if upper {
            let end = if pupil_half > 0.0 {
                pupil.y - pupil_half - 2.0
            } else {
                iris.y
            };
            (iris.y - half, end)
        } else {
            let end = if pupil_half > 0.0 {
                pupil.y + pupil_half + 2.0
            } else {
                iris.y
            };
            (iris.y + half, end)
        };
        let n = (from - to).abs() as usize;
        if n < 4 {
            continue;
        }
        column.clear();
        for k in 0..n {
            let y = if upper {
                from + k as f32
            } else {
                from - k as f32
            };
            if y < 0.0 || y > (p.height() - 1) as f32 {
                // Outside the frame: neither evidence of lid nor of iris.
                column.push((false, false));
                continue;
            }
            let v = p.at(x as usize, y as usize);
            column.push((v > bright, v > bright || v < dark));
        }
        // Best split: rows [0, b) "not iris", rows [b, n) iris.
        let iris_total = column.iter().filter(|c| !c.1).count() as i32;
        let (mut best, mut best_b) = (iris_total, 0usize);
        let mut score = iris_total;
        let mut bright_above = 0;
        let mut best_bright = 0;
        for (b, c) in column.iter().enumerate() {
            score += if c.1 { 1 } else { -1 };
            if c.0 {
                bright_above += 1;
            }
            if score > best {
                best = score;
                best_b = b + 1;
                best_bright = bright_above;
            }
        }
        // A lid: a run of at least 3 rows, mostly bright (skin), not just a few lashes.
        if best_b >= 3 && best_bright * 5 >= best_b as i32 * 2 {
            let y = if upper {
                from + best_b as f32
            } else {
                from - best_b as f32
            };
            pts.push((fx, y));
        }
    }
    // A lid shows along a good part of the iris, not in a few scattered columns.
    let columns = ((x_hi - x_lo).max(0) / 2 + 1) as usize;
    if pts.len() < 6 || pts.len() * 5 < columns {
        return None;
    }
    // Lid curvature: a lid spans about four iris radii, so its curvature is of order 1/(2·r)
    // at most.
    let k = 0.6 / iris.r;
    let lid = if upper {
        fit_parabola(&pts, iris.x, 0.0, k)
    } else {
        fit_parabola(&pts, iris.x, -k, 0.0)
    }?;
    // Across the iris a lid runs nearly level: a steep line is texture, not a lid.
    (lid.b.abs() <= 0.4).then_some(lid)
}

/// Least-squares parabola `y = a·u² + b·u + c` (`u = x - x0`) through `pts`, its curvature
/// kept within `[a_lo, a_hi]` (an upper lid arches up, a lower one down, neither sharply),
/// dropping the worst points twice.
fn fit_parabola(pts: &[(f32, f32)], x0: f32, a_lo: f32, a_hi: f32) -> Option<Lid> {
    let fit = |pts: &[(f32, f32)]| -> Option<Lid> {
        let mut m = [[0f64; 3]; 3];
        let mut v = [0f64; 3];
        // Scale u to about ±1 for conditioning.
        let s = 100.0f64;
        for &(x, y) in pts {
            let u = f64::from(x - x0) / s;
            let row = [u * u, u, 1.0];
            for i in 0..3 {
                for j in 0..3 {
                    m[i][j] += row[i] * row[j];
                }
                v[i] += row[i] * f64::from(y);
            }
        }
        let free = solve3(m, v).map(|[a, _, _]| (a / (s * s)) as f32);
        let a = free.unwrap_or(0.0).clamp(a_lo, a_hi);
        // With the curvature fixed, b and c by least squares on y - a·u².
        let a_s = f64::from(a) * s * s;
        let (mut suu, mut su, mut n, mut suy, mut sy) = (0f64, 0f64, 0f64, 0f64, 0f64);
        for &(x, y) in pts {
            let u = f64::from(x - x0) / s;
            let r = f64::from(y) - a_s * u * u;
            suu += u * u;
            su += u;
            n += 1.0;
            suy += u * r;
            sy += r;
        }
        let det = suu * n - su * su;
        if det.abs() < 1e-12 {
            return None;
        }
        let b = (suy * n - su * sy) / det;
        let c = (suu * sy - su * suy) / det;
        Some(Lid {
            x0,
            a,
            b: (b / s) as f32,
            c: c as f32,
        })
    };
    let mut kept = pts.to_vec();
    let mut lid = fit(&kept)?;
    for _ in 0..2 {
        let mut res: Vec<f32> = kept.iter().map(|&(x, y)| (y - lid.y(x)).abs()).collect();
        res.sort_by(f32::total_cmp);
        let limit = (3.0 * res[res.len() / 2]).max(3.0);
        let next: Vec<(f32, f32)> = kept
            .iter()
            .copied()
            .filter(|&(x, y)| (y - lid.y(x)).abs() <= limit)
            .collect();
        if next.len() < 6 || next.len() == kept.len() {
            break;
        }
        kept = next;
        lid = fit(&kept)?;
    }
    Some(lid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn circle_fit_recovers_a_circle() {
        let pts: Vec<EdgePoint> = (0..40)
            .map(|i| {
                let t = i as f32 * 0.157;
                EdgePoint {
                    x: 100.0 + 30.0 * t.cos(),
                    y: 80.0 + 30.0 * t.sin(),
                    step: 1.0,
                }
            })
            .chain(std::iter::once(EdgePoint {
                x: 100.0,
                y: 80.0,
                step: 1.0,
            }))
            .collect();
        let (c, kept) = robust_circle(&pts).unwrap_or_else(|| panic!("no fit"));
        assert!((c.x - 100.0).abs() < 0.01 && (c.y - 80.0).abs() < 0.01);
        assert!((c.r - 30.0).abs() < 0.01);
        assert_eq!(kept.len(), 40);
    }

    #[test]
    fn ellipse_axes_are_recovered() {
        let pts: Vec<EdgePoint> = (0..60)
            .map(|i| {
                let t = i as f32 * 0.105;
                EdgePoint {
                    x: 50.0 + 40.0 * t.cos(),
                    y: 60.0 + 30.0 * t.sin(),
                    step: 1.0,
                }
            })
            .collect();
        let c = Circle {
            x: 50.0,
            y: 60.0,
            r: 35.0,
        };
        let (a, b) = fit_axes(&pts, &c).unwrap_or((0.0, 0.0));
        assert!(
            (a - 40.0).abs() < 0.05 && (b - 30.0).abs() < 0.05,
            "{a} {b}"
        );
    }

    #[test]
    fn ray_reaches_the_circle() {
        let c = Circle {
            x: 0.0,
            y: 0.0,
            r: 10.0,
        };
        assert!((ray_to_circle(0.0, 0.0, 1.0, 0.0, &c) - 10.0).abs() < 1e-5);
        assert!((ray_to_circle(5.0, 0.0, -1.0, 0.0, &c) - 15.0).abs() < 1e-5);
        assert_eq!(ray_to_circle(20.0, 0.0, 1.0, 0.0, &c), 0.0);
    }
}
