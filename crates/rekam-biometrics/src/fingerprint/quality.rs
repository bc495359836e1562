//! Fingerprint image quality, 0-100, in the manner of NFIQ 2 (ISO/IEC 29794-4) without its
//! learned model.
//!
//! NFIQ 2 computes some seventy features and feeds them to a random forest trained on
//! comparison scores. We keep the features that carry most of its information, computed after
//! the standard's descriptions (simplified), and combine them with fixed, documented weights:
//!
//! | measure | NFIQ 2 counterpart | good is |
//! | --- | --- | --- |
//! | [`Measures::ocl`] orientation certainty | OCL_Bin10 | high |
//! | [`Measures::lcs`] local clarity | LCS_Bin10 | high |
//! | [`Measures::rvu`] ridge-valley uniformity | RVUP_Bin10 | low |
//! | [`Measures::fda`] frequency-domain analysis | FDA_Bin10 | high |
//! | [`Measures::ridge_contrast`] ridge/valley grey difference | MMB, MU | high |
//! | [`Measures::sharpness`] ridge contrast over print darkness | (none; see below) | high |
//! | [`Measures::foreground_px`] fingerprint area | ImgProcROIArea | high |
//! | [`Measures::minutiae`] minutiae in the foreground | FingerJetFX_MinutiaeCount | high |
//!
//! The image is smoothed once (5x5 binomial, σ = 1 px) and cut into 16x16 blocks; a block is
//! *foreground* when its smoothed grey standard deviation is at least [`FOREGROUND_STD`] and
//! [`NOISE_FACTOR`] times the noise estimated from the median residual, so additive noise does
//! not turn the empty platen into foreground. Local features are computed on 32x32 blocks made
//! of four foreground blocks: the gradient structure tensor (smoothed image) gives the ridge
//! orientation and OCL; a ridge *signature* (raw grey levels averaged along the ridges, one
//! value per pixel across them) gives LCS, the ridge/valley width ratio behind RVU, the
//! spectrum behind FDA and the ridge contrast. Sharpness divides the ridge contrast by how much
//! darker than the image's white level (its 99th percentile: platen or valleys) the print is
//! on average: a contrast change scales both, blur only the first, so it tells a blurred print
//! from a light one (NFIQ 2 has no such feature and hardly reacts to mild blur). Minutiae come
//! from [`fprint_mindtct`], a pure-Rust port of NIST MINDTCT, run on the smoothed foreground's
//! bounding box (pixel noise would otherwise add spurious minutiae); it takes most of the time.
//!
//! # The score
//!
//! Each measure is mapped to `[0, 1]` by a clamped linear ramp ([`Ramp`], table [`RAMPS`]),
//! increasing in the measure's goodness, and the score is
//!
//! `score = round(100 · coverage · Σ wᵢ·nᵢ)`, with `coverage = n_foreground`,
//!
//! weights [`WEIGHTS`] (non-negative, summing to 1). Every ramp is monotone and every weight
//! non-negative, so the score never rises when one measure gets worse. The foreground factor
//! multiplies the rest: a print with half the contact area carries about half the
//! information whatever its clarity. Ramp ends and weights were chosen against NFIQ 2 on
//! simulated prints of subjects 1000-1023 and their degradations (`scripts/calibrate-nfiq2`),
//! kept apart from every test (`tests/oracle.rs` measures the agreement with NFIQ 2 on
//! subjects 500-511), not fitted to a test set; BENCHMARKS.md tells how.
use std::f32::consts::TAU;

use fprint_mindtct::{detect_minutiae, GrayImage};
use rekam_hal::{GuidanceCode, RawImage};

use crate::gray::{Gray, ImageError, PPI};

/// Side of a foreground block, pixels.
pub const FOREGROUND_BLOCK: usize = 16;
/// Grey standard deviation (of the smoothed image) from which a 16x16 block counts as
/// fingerprint, unless the image's noise asks for more (see [`NOISE_FACTOR`]).
pub const FOREGROUND_STD: f32 = 10.0;
/// A block counts as fingerprint only if its standard deviation is at least this many times
/// the noise left in the smoothed image, so additive noise does not turn the empty platen into
/// foreground.
pub const NOISE_FACTOR: f32 = 2.0;
/// Side of a feature block (four foreground blocks), pixels.
pub const FEATURE_BLOCK: usize = 32;
/// The smallest image side accepted.
pub const MIN_SIDE: u32 = 64;
/// Fewer minutiae than this raise [`Feedback::TooFewMinutiae`] (NFIQ 2 uses 5).
pub const MIN_MINUTIAE: u32 = 5;
/// Less foreground than this (pixels at 500 ppi, about 77 mm²) raises
/// [`Feedback::TooLittleForeground`]. NFIQ 2 uses 50 000 pixels, which flags many good little
/// fingers cut from slaps.
pub const MIN_FOREGROUND_PX: u32 = 30_000;
/// A 1st-to-99th percentile grey range under this raises [`Feedback::EmptyOrLowContrast`].
pub const MIN_GREY_RANGE: u8 = 40;
/// A global grey standard deviation under this raises [`Feedback::UniformImage`].
pub const MIN_GLOBAL_STD: f32 = 4.0;
/// The mindtct reliability (0-100) from which a minutia counts.
pub const MIN_MINUTIA_RELIABILITY: i32 = 20;

/// Half the length of the ridge signature across the ridges, pixels (31 samples).
const SIG_HALF: i32 = 15;
const SIG_LEN: usize = (2 * SIG_HALF + 1) as usize;
/// Half the length over which the signature averages along the ridges, pixels.
const SIG_ALONG: f32 = 10.0;

/// The raw measures behind a score.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Measures {
    /// Mean orientation certainty level over the feature blocks, 0-1 (1: one clear
    /// orientation).
    pub ocl: f32,
    /// Mean local clarity score over the feature blocks, 0-1 (1: ridge and valley grey levels
    /// do not overlap).
    pub lcs: f32,
    /// Ridge-valley uniformity: standard deviation of the per-block ridge/valley width ratio
    /// (0: uniform; larger is worse).
    pub rvu: f32,
    /// Mean frequency-domain analysis over the feature blocks, 0-1 (share of the signature's
    /// spectrum in its dominant ridge frequency).
    pub fda: f32,
    /// Mean grey difference between valleys and ridges over the feature blocks, grey levels.
    pub ridge_contrast: f32,
    /// Ridge contrast over the print's mean darkness against the platen (about 1 for a sharp
    /// print, falling with blur; unchanged by a contrast change).
    pub sharpness: f32,
    /// The median ridge period over the feature blocks, pixels (0 when there are none).
    pub ridge_period: f32,
    /// Foreground pixels (16x16 blocks with enough grey variation).
    pub foreground_px: u32,
    /// Foreground share of the image, 0-1.
    pub foreground_fraction: f32,
    /// Feature blocks (32x32, all foreground) the local measures were taken on.
    pub feature_blocks: u32,
    /// Minutiae found in the foreground with reliability at least
    /// [`MIN_MINUTIA_RELIABILITY`].
    pub minutiae: u32,
    /// Grey range between the 1st and 99th percentile of the whole image.
    pub grey_range: u8,
    /// Grey standard deviation of the whole image.
    pub global_std: f32,
}

/// Actionable feedback (NFIQ 2's actionable quality feedback, ISO/IEC 29794-4 clause 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Feedback {
    /// The image is nearly empty or its contrast is too low to hold ridges.
    EmptyOrLowContrast,
    /// The image is (nearly) one grey level.
    UniformImage,
    /// Fewer than [`MIN_MINUTIAE`] minutiae were found.
    TooFewMinutiae,
    /// Less than [`MIN_FOREGROUND_PX`] of fingerprint area.
    TooLittleForeground,
}

impl Feedback {
    /// What to tell the person at the scanner.
    ///
    /// An empty or faint image and a small contact area both ask for a firmer press; a uniform
    /// image (nothing on the platen, or a saturated sensor) asks to lift and place again; too
    /// few minutiae on an otherwise present print is plain poor quality.
    pub fn guidance(self) -> GuidanceCode {
        match self {
            Feedback::EmptyOrLowContrast | Feedback::TooLittleForeground => {
                GuidanceCode::FingerPressHarder
            }
            Feedback::UniformImage => GuidanceCode::RemoveAndRetry,
            Feedback::TooFewMinutiae => GuidanceCode::PoorQuality,
        }
    }
}

/// The quality of one finger image.
#[derive(Debug, Clone, PartialEq)]
pub struct FingerQuality {
    /// 0-100; BioAPI bands: 0-25 unacceptable, 26-50 marginal, 51-75 adequate, 76-100
    /// excellent.
    pub score: u8,
    /// The measures behind the score.
    pub measures: Measures,
    /// Actionable feedback, in [`Feedback`] order, without duplicates.
    pub feedback: Vec<Feedback>,
}

impl FingerQuality {
    /// The guidance codes for the feedback, without duplicates.
    pub fn guidance(&self) -> Vec<GuidanceCode> {
        let mut out: Vec<GuidanceCode> = Vec::new();
        for f in &self.feedback {
            let g = f.guidance();
            if !out.contains(&g) {
                out.push(g);
            }
        }
        out
    }
}

/// A clamped linear ramp from `bad` (maps to 0) to `good` (maps to 1); `bad > good` makes a
/// decreasing ramp for measures where less is better.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ramp {
    /// The measure's value that scores 0.
    pub bad: f32,
    /// The measure's value that scores 1.
    pub good: f32,
}

impl Ramp {
    /// `v` mapped to `[0, 1]`.
    pub fn apply(self, v: f32) -> f32 {
        if !v.is_finite() || self.bad == self.good {
            return 0.0;
        }
        ((v - self.bad) / (self.good - self.bad)).clamp(0.0, 1.0)
    }
}

/// The ramps, in the order OCL, LCS, RVU, FDA, ridge contrast, sharpness, minutiae,
/// foreground pixels.
pub const RAMPS: [Ramp; 8] = [
    Ramp {
        bad: 0.6,
        good: 0.9,
    },
    Ramp {
        bad: 0.2,
        good: 0.7,
    },
    Ramp {
        bad: 0.6,
        good: 0.1,
    },
    Ramp {
        bad: 0.275,
        good: 0.425,
    },
    Ramp {
        bad: 10.0,
        good: 40.0,
    },
    Ramp {
        bad: 0.3,
        good: SHARPNESS_GOOD,
    },
    Ramp {
        bad: 4.0,
        good: 11.0,
    },
    Ramp {
        bad: 5_000.0,
        good: 65_000.0,
    },
];

/// The sharpness that scores full marks.
const SHARPNESS_GOOD: f32 = 1.3;

/// The weights of OCL, LCS, RVU, FDA, ridge contrast, sharpness and minutiae in the weighted
/// sum (non-negative, summing to 1); the foreground ramp multiplies the sum.
pub const WEIGHTS: [f32; 7] = [0.15, 0.25, 0.05, 0.1, 0.1, 0.1, 0.25];

/// The normalised measures `nᵢ` in the order of [`RAMPS`].
pub fn normalised(m: &Measures) -> [f32; 8] {
    let raw = [
        m.ocl,
        m.lcs,
        m.rvu,
        m.fda,
        m.ridge_contrast,
        m.sharpness,
        m.minutiae as f32,
        m.foreground_px as f32,
    ];
    let mut out = [0.0; 8];
    for ((o, r), v) in out.iter_mut().zip(RAMPS).zip(raw) {
        *o = r.apply(v);
    }
    out
}

/// The score of a set of measures (see the module documentation).
pub fn score(m: &Measures) -> u8 {
    if m.feature_blocks == 0 {
        return 0;
    }
    let n = normalised(m);
    let sum: f32 = WEIGHTS.iter().zip(n).map(|(w, v)| w * v).sum();
    let coverage = n[7];
    (100.0 * coverage * sum).round().clamp(0.0, 100.0) as u8
}

/// Assesses one 500 ppi grey finger image (a flat impression or a fingertip cut from a slap).
///
/// # Errors
///
/// [`ImageError`] when the image is not 8-bit grey, not 500 ppi (an unknown resolution is taken
/// as 500), smaller than [`MIN_SIDE`] a side, or its buffer does not match its size.
pub fn assess(image: &RawImage) -> Result<FingerQuality, ImageError> {
    let g = Gray::new(image, MIN_SIDE)?;
    let mut m = Measures::default();
    let (grey_range, global_std, white) = global_stats(&g);
    m.grey_range = grey_range;
    m.global_std = global_std;

    let smooth = smooth(&g);
    let fg = Foreground::of(&g, &smooth);
    m.foreground_px = fg.pixels();
    m.foreground_fraction = m.foreground_px as f32 / (g.width * g.height) as f32;

    let blocks = local_features(&g, &smooth, &fg);
    m.feature_blocks = blocks.len() as u32;
    if !blocks.is_empty() {
        let n = blocks.len() as f32;
        m.ocl = blocks.iter().map(|b| b.ocl).sum::<f32>() / n;
        m.lcs = blocks.iter().map(|b| b.lcs).sum::<f32>() / n;
        m.fda = blocks.iter().map(|b| b.fda).sum::<f32>() / n;
        m.ridge_contrast = blocks.iter().map(|b| b.contrast).sum::<f32>() / n;
        let darkness = blocks
            .iter()
            .map(|b| (white - b.mean).max(0.0))
            .sum::<f32>()
            / n;
        m.sharpness = if darkness > 1.0 {
            m.ridge_contrast / darkness
        } else {
            0.0
        };
        let ratios: Vec<f32> = blocks.iter().filter_map(|b| b.rv_ratio).collect();
        m.rvu = if ratios.len() >= 2 {
            std_dev(&ratios)
        } else {
            1.0
        };
        let mut periods: Vec<f32> = blocks.iter().map(|b| b.period).collect();
        periods.sort_by(f32::total_cmp);
        m.ridge_period = periods.get(periods.len() / 2).copied().unwrap_or(0.0);
        m.minutiae = count_minutiae(&g, &smooth, &fg);
    }

    let mut feedback = Vec::new();
    if m.grey_range < MIN_GREY_RANGE || m.feature_blocks == 0 {
        feedback.push(Feedback::EmptyOrLowContrast);
    }
    if m.global_std < MIN_GLOBAL_STD {
        feedback.push(Feedback::UniformImage);
    }
    if m.minutiae < MIN_MINUTIAE {
        feedback.push(Feedback::TooFewMinutiae);
    }
    if m.foreground_px < MIN_FOREGROUND_PX {
        feedback.push(Feedback::TooLittleForeground);
    }
    Ok(FingerQuality {
        score: score(&m),
        measures: m,
        feedback,
    })
}

fn std_dev(v: &[f32]) -> f32 {
    let n = v.len() as f32;
    let mean = v.iter().sum::<f32>() / n;
    (v.iter().map(|x| (x - mean).powi(2)).sum::<f32>() / n).sqrt()
}

/// The 1st-99th percentile grey range, the standard deviation and the white level (99th
/// percentile: the platen or the valleys) of the whole image.
fn global_stats(g: &Gray<'_>) -> (u8, f32, f32) {
    let mut hist = [0u64; 256];
    let (mut sum, mut sum2) = (0f64, 0f64);
    for &p in g.data {
        hist[usize::from(p)] += 1;
        let v = f64::from(p);
        sum += v;
        sum2 += v * v;
    }
    let n = g.data.len() as f64;
    let mean = sum / n;
    let std = (sum2 / n - mean * mean).max(0.0).sqrt() as f32;
    let percentile = |q: f64| -> u8 {
        let target = (q * n).ceil() as u64;
        let mut acc = 0u64;
        for (i, &h) in hist.iter().enumerate() {
            acc += h;
            if acc >= target.max(1) {
                return i as u8;
            }
        }
        255
    };
    let (lo, hi) = (percentile(0.01), percentile(0.99));
    (hi.saturating_sub(lo), std, f32::from(hi))
}

/// Foreground blocks of an image.
struct Foreground {
    cols: usize,
    rows: usize,
    mask: Vec<bool>,
}

impl Foreground {
    /// Foreground blocks of the smoothed image `s` (the raw image `g` gives the noise level).
    fn of(g: &Gray<'_>, s: &[f32]) -> Self {
        let (cols, rows) = (g.width / FOREGROUND_BLOCK, g.height / FOREGROUND_BLOCK);
        let n = (FOREGROUND_BLOCK * FOREGROUND_BLOCK) as f32;
        let mut stds = vec![0f32; cols * rows];
        let mut residuals = vec![0f32; cols * rows];

        for by in 0..rows {
            for bx in 0..cols {
                let (mut s1, mut s2, mut r2) = (0f32, 0f32, 0f32);
                for y in by * FOREGROUND_BLOCK..(by + 1) * FOREGROUND_BLOCK {
                    let row = y * g.width;
                    for x in bx * FOREGROUND_BLOCK..(bx + 1) * FOREGROUND_BLOCK {
                        let v = s[row + x];
                        s1 += v;
                        s2 += v * v;
                        let r = f32::from(g.data[row + x]) - v;
                        r2 += r * r;
                    }
                }
                let mean = s1 / n;
                stds[by * cols + bx] = (s2 / n - mean * mean).max(0.0).sqrt();
                residuals[by * cols + bx] = (r2 / n).sqrt();
            }
        }
        // The noise left after smoothing, from the median residual (white noise of standard
        // deviation σ leaves 0.89σ in the residual and 0.27σ in the smoothed image).
        residuals.sort_by(f32::total_cmp);
        let residual = residuals.get(residuals.len() / 2).copied().unwrap_or(0.0);
        let threshold = FOREGROUND_STD.max(NOISE_FACTOR * 0.31 * residual);
        let mask: Vec<bool> = stds.iter().map(|&sd| sd >= threshold).collect();
        Foreground { cols, rows, mask }
    }

    fn get(&self, bx: usize, by: usize) -> bool {
        bx < self.cols && by < self.rows && self.mask[by * self.cols + bx]
    }

    fn pixels(&self) -> u32 {
        (self.mask.iter().filter(|&&m| m).count() * FOREGROUND_BLOCK * FOREGROUND_BLOCK) as u32
    }

    /// The bounding box of the foreground in pixels `(x0, y0, x1, y1)`, exclusive ends.
    fn bbox(&self) -> Option<(usize, usize, usize, usize)> {
        let mut b: Option<(usize, usize, usize, usize)> = None;
        for by in 0..self.rows {
            for bx in 0..self.cols {
                if self.get(bx, by) {
                    b = Some(match b {
                        None => (bx, by, bx + 1, by + 1),
                        Some((x0, y0, x1, y1)) => {
                            (x0.min(bx), y0.min(by), x1.max(bx + 1), y1.max(by + 1))
                        }
                    });
                }
            }
        }
        b.map(|(x0, y0, x1, y1)| {
            (
                x0 * FOREGROUND_BLOCK,
                y0 * FOREGROUND_BLOCK,
                x1 * FOREGROUND_BLOCK,
                y1 * FOREGROUND_BLOCK,
            )
        })
    }
}

/// The local features of one feature block.
#[derive(Debug, Clone, Copy)]
struct BlockFeatures {
    ocl: f32,
    lcs: f32,
    fda: f32,
    contrast: f32,
    mean: f32,
    period: f32,
    rv_ratio: Option<f32>,
}

/// The image smoothed by a 5x5 binomial kernel (σ = 1 pixel): the 9-10 px ridges keep about
/// 80% of their amplitude, pixel noise about a quarter.
fn smooth(g: &Gray<'_>) -> Vec<f32> {
    const K: [f32; 5] = [1.0 / 16.0, 4.0 / 16.0, 6.0 / 16.0, 4.0 / 16.0, 1.0 / 16.0];
    let (w, h) = (g.width, g.height);
    let mut tmp = vec![0f32; w * h];
    for y in 0..h {
        let row = &g.data[y * w..(y + 1) * w];
        for x in 0..w {
            let mut acc = 0.0;
            for (j, k) in K.iter().enumerate() {
                let xx = (x + j).saturating_sub(2).min(w - 1);
                acc += k * f32::from(row[xx]);
            }
            tmp[y * w + x] = acc;
        }
    }
    let mut out = vec![0f32; w * h];
    for y in 0..h {
        for (j, k) in K.iter().enumerate() {
            let yy = (y + j).saturating_sub(2).min(h - 1);
            let (src, dst) = (&tmp[yy * w..(yy + 1) * w], &mut out[y * w..(y + 1) * w]);
            for (d, s) in dst.iter_mut().zip(src) {
                *d += k * s;
            }
        }
    }
    out
}

fn local_features(g: &Gray<'_>, s: &[f32], fg: &Foreground) -> Vec<BlockFeatures> {
    let step = FEATURE_BLOCK / FOREGROUND_BLOCK;
    let mut out = Vec::new();
    let mut by = 0;
    while by + step <= fg.rows {
        let mut bx = 0;
        while bx + step <= fg.cols {
            let all = (0..step).all(|j| (0..step).all(|i| fg.get(bx + i, by + j)));
            if all {
                let x0 = bx * FOREGROUND_BLOCK;
                let y0 = by * FOREGROUND_BLOCK;
                if let Some(f) = block_features(g, s, x0, y0) {
                    out.push(f);
                }
            }
            bx += step;
        }
        by += step;
    }
    out
}

/// The features of the 32x32 block at `(x0, y0)`.
fn block_features(g: &Gray<'_>, s: &[f32], x0: usize, y0: usize) -> Option<BlockFeatures> {
    let at = |x: usize, y: usize| s.get(y * g.width + x).copied().unwrap_or(0.0);
    // Structure tensor from central differences (interior pixels of the block).
    let (mut gxx, mut gyy, mut gxy) = (0f32, 0f32, 0f32);
    for y in y0.max(1)..(y0 + FEATURE_BLOCK).min(g.height - 1) {
        for x in x0.max(1)..(x0 + FEATURE_BLOCK).min(g.width - 1) {
            let dx = (at(x + 1, y) - at(x - 1, y)) * 0.5;
            let dy = (at(x, y + 1) - at(x, y - 1)) * 0.5;
            gxx += dx * dx;
            gyy += dy * dy;
            gxy += dx * dy;
        }
    }
    let half_tr = 0.5 * (gxx + gyy);
    let disc = (0.25 * (gxx - gyy).powi(2) + gxy * gxy).sqrt();
    let (l_max, l_min) = (half_tr + disc, half_tr - disc);
    if l_max <= f32::EPSILON {
        return None;
    }
    let ocl = (1.0 - l_min / l_max).clamp(0.0, 1.0);
    // Dominant gradient direction: the normal to the ridges.
    let theta = 0.5 * (2.0 * gxy).atan2(gxx - gyy);
    let (ny, nx) = theta.sin_cos();

    // Ridge signature: grey levels across the ridges, averaged along them, in a window
    // centred on the block (it reaches into the neighbours so the signature is full length
    // whatever the orientation).
    let cx = x0 as f32 + FEATURE_BLOCK as f32 / 2.0 - 0.5;
    let cy = y0 as f32 + FEATURE_BLOCK as f32 / 2.0 - 0.5;
    let reach = (SIG_HALF as f32 + 0.5).hypot(SIG_ALONG).ceil() as isize;
    let mut sum = [0f32; SIG_LEN];
    let mut cnt = [0u32; SIG_LEN];
    // (bin, value) of every pixel used, for the clarity count.
    let mut px: Vec<(usize, f32)> = Vec::with_capacity(SIG_LEN * 21);
    let (icx, icy) = (cx.round() as isize, cy.round() as isize);
    for dy in -reach..=reach {
        let y = icy + dy;
        if y < 0 || y >= g.height as isize {
            continue;
        }
        for dx in -reach..=reach {
            let x = icx + dx;
            if x < 0 || x >= g.width as isize {
                continue;
            }
            let (fx, fy) = (x as f32 - cx, y as f32 - cy);
            let t = fx * nx + fy * ny;
            let along = -fx * ny + fy * nx;
            if along.abs() > SIG_ALONG {
                continue;
            }
            let bin = (t + SIG_HALF as f32 + 0.5).floor();
            if !(0.0..SIG_LEN as f32).contains(&bin) {
                continue;
            }
            let bin = bin as usize;
            // Raw grey levels, as NFIQ 2 takes them: pixel noise lowers the clarity.
            let v = f32::from(g.at(x as usize, y as usize));
            sum[bin] += v;
            cnt[bin] += 1;
            px.push((bin, v));
        }
    }
    if cnt.contains(&0) {
        return None;
    }
    let mut sig = [0f32; SIG_LEN];
    for ((s, &a), &c) in sig.iter_mut().zip(&sum).zip(&cnt) {
        *s = a / c as f32;
    }
    // Linear trend (least squares), so a brightness gradient is not taken for a ridge.
    let n = SIG_LEN as f32;
    let xm = (n - 1.0) / 2.0;
    let ym = sig.iter().sum::<f32>() / n;
    let (mut sxy, mut sxx) = (0f32, 0f32);
    for (i, &s) in sig.iter().enumerate() {
        let d = i as f32 - xm;
        sxy += d * (s - ym);
        sxx += d * d;
    }
    let slope = sxy / sxx;
    let trend = |i: usize| ym + slope * (i as f32 - xm);
    let mut det = [0f32; SIG_LEN];
    for (i, d) in det.iter_mut().enumerate() {
        *d = sig[i] - trend(i);
    }
    // Ridges are dark: below the trend.
    let ridge: Vec<bool> = det.iter().map(|&d| d < 0.0).collect();

    // Local clarity: share of pixels on the wrong side of the trend for their label.
    let (mut r_n, mut r_wrong, mut v_n, mut v_wrong) = (0u32, 0u32, 0u32, 0u32);
    let (mut r_sum, mut v_sum) = (0f32, 0f32);
    for &(bin, v) in &px {
        let t = trend(bin);
        if ridge[bin] {
            r_n += 1;
            r_sum += v;
            if v > t {
                r_wrong += 1;
            }
        } else {
            v_n += 1;
            v_sum += v;
            if v < t {
                v_wrong += 1;
            }
        }
    }
    if r_n == 0 || v_n == 0 {
        return None;
    }
    let alpha = v_wrong as f32 / v_n as f32;
    let beta = r_wrong as f32 / r_n as f32;
    let contrast = (v_sum / v_n as f32 - r_sum / r_n as f32).max(0.0);

    // Ridge and valley widths: the runs of the binarised signature, ends dropped.
    let mut runs: Vec<(bool, u32)> = Vec::new();
    for &r in &ridge {
        match runs.last_mut() {
            Some((k, len)) if *k == r => *len += 1,
            _ => runs.push((r, 1)),
        }
    }
    let inner = runs.get(1..runs.len().saturating_sub(1)).unwrap_or(&[]);
    let mean_of = |want: bool| {
        let w: Vec<u32> = inner
            .iter()
            .filter(|(k, _)| *k == want)
            .map(|(_, l)| *l)
            .collect();
        (!w.is_empty()).then(|| w.iter().sum::<u32>() as f32 / w.len() as f32)
    };
    let (rw, vw) = (mean_of(true), mean_of(false));
    let rv_ratio = match (rw, vw) {
        (Some(r), Some(v)) if v > 0.0 => Some(r / v),
        _ => None,
    };
    // NFIQ 2 sets the clarity of a block whose ridges or valleys are implausibly narrow or
    // wide (at 500 ppi) to zero.
    let plausible = |w: Option<f32>| w.is_some_and(|w| (2.0..=12.0).contains(&w));
    let lcs = if plausible(rw) && plausible(vw) {
        (1.0 - (alpha + beta)).clamp(0.0, 1.0)
    } else {
        0.0
    };

    // Frequency-domain analysis: the share of the amplitude spectrum around the dominant
    // ridge frequency (periods 4.4 to 15.5 px).
    let mut amp = [0f32; SIG_LEN / 2 + 1];
    for (k, a) in amp.iter_mut().enumerate().skip(1) {
        let (mut re, mut im) = (0f32, 0f32);
        for (i, &d) in det.iter().enumerate() {
            let w = TAU * (k * i) as f32 / n;
            re += d * w.cos();
            im -= d * w.sin();
        }
        *a = re.hypot(im);
    }
    let total: f32 = amp.iter().skip(1).sum();
    let (kmax, amax) = (2..=7usize)
        .filter_map(|k| amp.get(k).map(|&a| (k, a)))
        .fold((2usize, -1.0f32), |b, c| if c.1 > b.1 { c } else { b });
    let side =
        amp.get(kmax - 1).copied().unwrap_or(0.0) + amp.get(kmax + 1).copied().unwrap_or(0.0);
    let fda = if total > f32::EPSILON {
        ((amax + 0.3 * side) / total).clamp(0.0, 1.0)
    } else {
        0.0
    };
    Some(BlockFeatures {
        ocl,
        lcs,
        fda,
        contrast,
        mean: ym,
        period: n / kmax as f32,
        rv_ratio,
    })
}

/// Minutiae with reliability at least [`MIN_MINUTIA_RELIABILITY`] in foreground blocks.
fn count_minutiae(g: &Gray<'_>, s: &[f32], fg: &Foreground) -> u32 {
    let Some((x0, y0, x1, y1)) = fg.bbox() else {
        return 0;
    };
    // A margin so the print's edge is not the crop's edge.
    let m = FOREGROUND_BLOCK;
    let (x0, y0) = (x0.saturating_sub(m), y0.saturating_sub(m));
    let (x1, y1) = ((x1 + m).min(g.width), (y1 + m).min(g.height));
    let (w, h) = (x1 - x0, y1 - y0);
    // The smoothed image: pixel noise would otherwise add spurious minutiae, and the count
    // would rise as the image gets worse.
    let mut crop = Vec::with_capacity(w * h);
    for y in y0..y1 {
        crop.extend(
            s[y * g.width + x0..y * g.width + x1]
                .iter()
                .map(|&v| v.round().clamp(0.0, 255.0) as u8),
        );
    }
    let Ok(img) = GrayImage::new(&crop, w, h, PPI) else {
        return 0;
    };
    let minutiae = detect_minutiae(img);
    minutiae
        .iter()
        .filter(|mi| mi.quality >= MIN_MINUTIA_RELIABILITY)
        .filter(|mi| {
            // NIST convention: origin bottom-left.
            let (Ok(x), Ok(yb)) = (usize::try_from(mi.x), usize::try_from(mi.y)) else {
                return false;
            };
            let Some(y) = h.checked_sub(1 + yb) else {
                return false;
            };
            fg.get((x0 + x) / FOREGROUND_BLOCK, (y0 + y) / FOREGROUND_BLOCK)
        })
        .count() as u32
}
