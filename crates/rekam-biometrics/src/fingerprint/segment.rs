//! Slap segmentation: the fingertips of a four-finger slap, a two-thumb slap or a flat
//! finger, with ISO finger positions.
//!
//! 1. **Foreground.** The platen is cut into 8x8 blocks; a block is foreground when its grey
//!    standard deviation is at least [`BLOCK_STD`] (ridges vary, the empty platen does not).
//!    A closing (dilate, erode) joins the ridges of one pad, an opening drops specks.
//! 2. **Blobs.** 4-connected components of at least [`MIN_TIP_AREA_PX`]; the expected number of
//!    largest are kept. A blob much longer than wide (a finger pressed down to its first
//!    crease or beyond) is cut to its distal part, [`MAX_TIP_ASPECT`] times its width.
//! 3. **Ellipse.** Second moments give the centre, the axis angle from vertical (clockwise
//!    positive, as [`rekam_hal::FingerSegment::angle_deg`]) and the half axes.
//! 4. **Fingers.** Tips are taken left to right in the image, which for a slap in the usual
//!    (ink) orientation is index, middle, ring, little for a right hand, little to index for a
//!    left hand, and left thumb then right thumb for thumbs. The little finger is told by its
//!    tip sitting lower than the others (by [`LITTLE_DROP`] of a tip's half height or more).
//!    With fewer tips than expected the missing fingers are placed where the gaps and the low
//!    little finger fit best; when the little finger sits on the side the other hand would
//!    put it, the slap is the wrong hand and the tips are labelled as that hand's fingers.
//!
//! Each tip's crop keeps only its own blob: the rest of the box is set to the platen's grey,
//! so a neighbour's edge does not reach the quality measures.
use rekam_hal::{Finger, Guidance, GuidanceCode, RawImage, Rect, SlapKind};

use crate::gray::{Gray, ImageError};

/// Side of a foreground block, pixels.
pub const BLOCK: usize = 8;
/// Grey standard deviation from which an 8x8 block counts as fingerprint.
pub const BLOCK_STD: f32 = 9.0;
/// The smallest fingertip area, pixels at 500 ppi (about 10x10 mm).
pub const MIN_TIP_AREA_PX: u32 = 25_000;
/// The longest tip kept, as a multiple of its width (height / width).
pub const MAX_TIP_ASPECT: f32 = 1.7;
/// How much lower than the other tips (in tip half heights) the little finger's tip sits.
pub const LITTLE_DROP: f32 = 0.45;
/// Typical distance between neighbouring fingertip centres, in tip half widths.
pub const SPACING: f32 = 2.6;

/// One fingertip found in a slap.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentedFinger {
    /// The ISO finger position.
    pub finger: Finger,
    /// Centre of the tip in the slap, pixels `(x, y)`.
    pub center: (f32, f32),
    /// The finger axis from vertical, degrees, clockwise positive.
    pub angle_deg: f32,
    /// Half width and half height of the fitted ellipse, pixels.
    pub half_axes: (f32, f32),
    /// Foreground pixels of the tip.
    pub area_px: u32,
    /// Where the tip sits in the slap.
    pub bbox: Rect,
    /// The slap cut to `bbox`, other blobs blanked to the platen's grey.
    pub image: RawImage,
}

impl From<SegmentedFinger> for rekam_hal::FingerSegment {
    fn from(s: SegmentedFinger) -> Self {
        rekam_hal::FingerSegment {
            finger: s.finger,
            image: s.image,
            bbox: s.bbox,
            angle_deg: s.angle_deg,
            quality: None,
            sim_identity: None,
        }
    }
}

/// The result of segmenting one slap.
#[derive(Debug, Clone, PartialEq)]
pub struct SlapSegmentation {
    /// What was asked for.
    pub kind: SlapKind,
    /// The tips found, left to right in the image.
    pub fingers: Vec<SegmentedFinger>,
    /// Expected fingers that were not found (labelled for the hand seen).
    pub missing: Vec<Finger>,
    /// The little finger sits where the other hand's would: the other hand is on the platen.
    pub wrong_hand: bool,
    /// Guidance for the person: `WrongHand`, `PartialSlap` per missing finger, or
    /// `RemoveAndRetry` when nothing was found.
    pub guidance: Vec<Guidance>,
}

/// A candidate tip before labelling.
#[derive(Debug, Clone)]
struct Blob {
    cx: f32,
    cy: f32,
    angle_deg: f32,
    half_w: f32,
    half_h: f32,
    area_px: u32,
    /// Block indices of the blob.
    blocks: Vec<usize>,
}

/// Segments a `kind` slap (1600x1000 for four fingers or thumbs, any size for a flat finger).
///
/// # Errors
///
/// [`ImageError`] when the image is not 8-bit grey at 500 ppi or smaller than 64x64.
pub fn segment(image: &RawImage, kind: SlapKind) -> Result<SlapSegmentation, ImageError> {
    let g = Gray::new(image, 64)?;
    let (cols, rows) = (g.width / BLOCK, g.height / BLOCK);
    let (mask, background) = block_mask(&g, cols, rows);
    let mask = open(&close(&mask, cols, rows, 2), cols, rows, 1);
    let expected = kind.fingers().len();
    let mut blobs = components(&mask, cols, rows);
    blobs.retain(|b| b.area_px >= MIN_TIP_AREA_PX);
    blobs.sort_by_key(|b| std::cmp::Reverse(b.area_px));
    blobs.truncate(expected);
    for b in &mut blobs {
        cut_to_tip(b, cols);
    }
    blobs.sort_by(|a, b| a.cx.total_cmp(&b.cx));

    let (labels, missing, wrong_hand) = label(kind, &blobs, g.width as f32);
    let mut fingers = Vec::with_capacity(blobs.len());
    for (b, finger) in blobs.iter().zip(labels) {
        let (bbox, crop) = cut(&g, b, cols, background, image);
        fingers.push(SegmentedFinger {
            finger,
            center: (b.cx, b.cy),
            angle_deg: b.angle_deg,
            half_axes: (b.half_w, b.half_h),
            area_px: b.area_px,
            bbox,
            image: crop,
        });
    }
    let mut guidance = Vec::new();
    if wrong_hand {
        guidance.push(Guidance::new(GuidanceCode::WrongHand));
    }
    if fingers.is_empty() {
        guidance.push(Guidance::new(GuidanceCode::RemoveAndRetry));
    } else {
        for &f in &missing {
            guidance.push(Guidance::finger(GuidanceCode::PartialSlap, f));
        }
    }
    Ok(SlapSegmentation {
        kind,
        fingers,
        missing,
        wrong_hand,
        guidance,
    })
}

/// Foreground blocks, and the platen's grey (median mean of the background blocks).
fn block_mask(g: &Gray<'_>, cols: usize, rows: usize) -> (Vec<bool>, u8) {
    let mut mask = vec![false; cols * rows];
    let mut bg_hist = [0u32; 256];
    let n = (BLOCK * BLOCK) as f32;
    for by in 0..rows {
        for bx in 0..cols {
            let (mut s, mut s2) = (0u32, 0u32);
            for y in by * BLOCK..(by + 1) * BLOCK {
                let row = y * g.width + bx * BLOCK;
                for &p in &g.data[row..row + BLOCK] {
                    s += u32::from(p);
                    s2 += u32::from(p) * u32::from(p);
                }
            }
            let mean = s as f32 / n;
            let std = (s2 as f32 / n - mean * mean).max(0.0).sqrt();
            let fg = std >= BLOCK_STD;
            mask[by * cols + bx] = fg;
            if !fg {
                bg_hist[(mean.round() as usize).min(255)] += 1;
            }
        }
    }
    let total: u32 = bg_hist.iter().sum();
    let mut acc = 0;
    let mut background = 255u8;
    for (i, &h) in bg_hist.iter().enumerate() {
        acc += h;
        if total > 0 && acc * 2 >= total {
            background = i as u8;
            break;
        }
    }
    (mask, background)
}

fn morph(mask: &[bool], cols: usize, rows: usize, r: usize, dilate: bool) -> Vec<bool> {
    // Separable square structuring element of radius r.
    let mut tmp = vec![false; mask.len()];
    for y in 0..rows {
        for x in 0..cols {
            let (a, b) = (x.saturating_sub(r), (x + r).min(cols - 1));
            let row = &mask[y * cols + a..=y * cols + b];
            tmp[y * cols + x] = if dilate {
                row.iter().any(|&m| m)
            } else {
                row.iter().all(|&m| m)
            };
        }
    }
    let mut out = vec![false; mask.len()];
    for y in 0..rows {
        let (a, b) = (y.saturating_sub(r), (y + r).min(rows - 1));
        for x in 0..cols {
            let mut col = (a..=b).map(|yy| tmp[yy * cols + x]);
            out[y * cols + x] = if dilate {
                col.any(|m| m)
            } else {
                col.all(|m| m)
            };
        }
    }
    out
}

fn close(mask: &[bool], cols: usize, rows: usize, r: usize) -> Vec<bool> {
    morph(&morph(mask, cols, rows, r, true), cols, rows, r, false)
}

fn open(mask: &[bool], cols: usize, rows: usize, r: usize) -> Vec<bool> {
    morph(&morph(mask, cols, rows, r, false), cols, rows, r, true)
}

/// 4-connected components of the mask, with their moments.
fn components(mask: &[bool], cols: usize, rows: usize) -> Vec<Blob> {
    let mut seen = vec![false; mask.len()];
    let mut out = Vec::new();
    let mut stack = Vec::new();
    for start in 0..mask.len() {
        if !mask[start] || seen[start] {
            continue;
        }
        seen[start] = true;
        stack.push(start);
        let mut blocks = Vec::new();
        while let Some(i) = stack.pop() {
            blocks.push(i);
            let (x, y) = (i % cols, i / cols);
            let mut visit = |j: usize| {
                if mask[j] && !seen[j] {
                    seen[j] = true;
                    stack.push(j);
                }
            };
            if x > 0 {
                visit(i - 1);
            }
            if x + 1 < cols {
                visit(i + 1);
            }
            if y > 0 {
                visit(i - cols);
            }
            if y + 1 < rows {
                visit(i + cols);
            }
        }
        if let Some(b) = blob_of(blocks, cols) {
            out.push(b);
        }
    }
    out
}

/// Moments of a set of blocks: centre, axis angle and half axes.
fn blob_of(blocks: Vec<usize>, cols: usize) -> Option<Blob> {
    if blocks.is_empty() {
        return None;
    }
    let half = BLOCK as f32 / 2.0;
    let centre = |i: usize| {
        (
            (i % cols) as f32 * BLOCK as f32 + half,
            (i / cols) as f32 * BLOCK as f32 + half,
        )
    };
    let n = blocks.len() as f32;
    let (mut sx, mut sy) = (0f32, 0f32);
    for &i in &blocks {
        let (x, y) = centre(i);
        sx += x;
        sy += y;
    }
    let (cx, cy) = (sx / n, sy / n);
    let (mut mxx, mut myy, mut mxy) = (0f32, 0f32, 0f32);
    for &i in &blocks {
        let (x, y) = centre(i);
        let (dx, dy) = (x - cx, y - cy);
        mxx += dx * dx;
        myy += dy * dy;
        mxy += dx * dy;
    }
    // A block is a square of side BLOCK, not a point: add its own variance.
    let cell = (BLOCK * BLOCK) as f32 / 12.0;
    let (mxx, myy, mxy) = (mxx / n + cell, myy / n + cell, mxy / n);
    let half_tr = 0.5 * (mxx + myy);
    let disc = (0.25 * (mxx - myy).powi(2) + mxy * mxy).sqrt();
    let (l1, l2) = (half_tr + disc, (half_tr - disc).max(0.0));
    // Major axis direction (ex, ey), pointing down the image.
    let (mut ex, mut ey) = if mxy.abs() > f32::EPSILON {
        (mxy, l1 - mxx)
    } else if myy >= mxx {
        (0.0, 1.0)
    } else {
        (1.0, 0.0)
    };
    if ey < 0.0 {
        ex = -ex;
        ey = -ey;
    }
    let mut angle_deg = (-ex).atan2(ey).to_degrees();
    // A blob wider than tall lies across: report the angle of the finger axis (near
    // vertical) all the same.
    let (half_w, half_h) = if myy >= mxx || angle_deg.abs() <= 45.0 {
        (2.0 * l2.sqrt(), 2.0 * l1.sqrt())
    } else {
        angle_deg = if angle_deg > 0.0 {
            angle_deg - 90.0
        } else {
            angle_deg + 90.0
        };
        (2.0 * l1.sqrt(), 2.0 * l2.sqrt())
    };
    Some(Blob {
        cx,
        cy,
        angle_deg,
        half_w,
        half_h,
        area_px: (blocks.len() * BLOCK * BLOCK) as u32,
        blocks,
    })
}

/// Cuts a blob longer than [`MAX_TIP_ASPECT`] times its width to its distal (upper) part.
fn cut_to_tip(b: &mut Blob, cols: usize) {
    let max_len = 2.0 * MAX_TIP_ASPECT * b.half_w;
    let (s, c) = b.angle_deg.to_radians().sin_cos();
    // Unit vector down the finger axis.
    let axis = (-s, c);
    let half = BLOCK as f32 / 2.0;
    let along = |i: usize| {
        let x = (i % cols) as f32 * BLOCK as f32 + half;
        let y = (i / cols) as f32 * BLOCK as f32 + half;
        (x - b.cx) * axis.0 + (y - b.cy) * axis.1
    };
    let top = b
        .blocks
        .iter()
        .map(|&i| along(i))
        .fold(f32::INFINITY, f32::min);
    let bottom = b
        .blocks
        .iter()
        .map(|&i| along(i))
        .fold(f32::NEG_INFINITY, f32::max);
    if bottom - top <= max_len {
        return;
    }
    let kept: Vec<usize> = b
        .blocks
        .iter()
        .copied()
        .filter(|&i| along(i) - top <= max_len)
        .collect();
    if let Some(nb) = blob_of(kept, cols) {
        *b = nb;
    }
}

/// The layout of a slap kind: its fingers left to right in the image and the index of the
/// little finger in that order, if the slap has one.
fn layout(kind: SlapKind) -> (Vec<Finger>, Option<usize>) {
    match kind {
        SlapKind::RightFour => (
            vec![
                Finger::RightIndex,
                Finger::RightMiddle,
                Finger::RightRing,
                Finger::RightLittle,
            ],
            Some(3),
        ),
        SlapKind::LeftFour => (
            vec![
                Finger::LeftLittle,
                Finger::LeftRing,
                Finger::LeftMiddle,
                Finger::LeftIndex,
            ],
            Some(0),
        ),
        SlapKind::Thumbs => (vec![Finger::LeftThumb, Finger::RightThumb], None),
        SlapKind::Single(f) => (vec![f], None),
    }
}

/// The cost of placing the blobs (left to right) in `slots` (increasing) of a layout whose
/// little finger is at `little`: gaps against the typical spacing, and a low tip where the
/// little finger is not (or the reverse).
fn placement_cost(blobs: &[Blob], slots: &[usize], little: Option<usize>, lows: &[bool]) -> f32 {
    let mut widths: Vec<f32> = blobs.iter().map(|b| b.half_w).collect();
    widths.sort_by(f32::total_cmp);
    let spacing = SPACING * widths.get(widths.len() / 2).copied().unwrap_or(1.0);
    let mut cost = 0.0;
    for k in 1..blobs.len() {
        let gap = blobs[k].cx - blobs[k - 1].cx;
        let want = spacing * (slots[k] - slots[k - 1]) as f32;
        cost += ((gap - want) / spacing).powi(2);
    }
    if let Some(l) = little {
        for (k, &slot) in slots.iter().enumerate() {
            if (slot == l) != lows[k] {
                cost += 1.0;
            }
        }
    }
    cost
}

/// The best increasing placement of `n` blobs in `m` slots and its cost.
fn best_placement(
    blobs: &[Blob],
    m: usize,
    little: Option<usize>,
    lows: &[bool],
) -> (Vec<usize>, f32) {
    let n = blobs.len();
    let mut best = ((0..n).collect::<Vec<_>>(), f32::INFINITY);
    // All increasing n-subsets of 0..m (m is at most 4).
    for bits in 0u32..(1 << m) {
        if bits.count_ones() as usize != n {
            continue;
        }
        let slots: Vec<usize> = (0..m).filter(|&i| bits & (1 << i) != 0).collect();
        let c = placement_cost(blobs, &slots, little, lows);
        if c < best.1 {
            best = (slots, c);
        }
    }
    best
}

/// Labels the blobs (sorted left to right): the fingers, the missing ones, and whether the
/// other hand is on the platen.
fn label(kind: SlapKind, blobs: &[Blob], width: f32) -> (Vec<Finger>, Vec<Finger>, bool) {
    let (order, little) = layout(kind);
    if blobs.is_empty() {
        return (Vec::new(), order, false);
    }
    if kind == SlapKind::Thumbs && blobs.len() == 1 {
        // One thumb: the left thumb sits on the left half of the platen.
        let (found, miss) = if blobs[0].cx < width / 2.0 {
            (Finger::LeftThumb, Finger::RightThumb)
        } else {
            (Finger::RightThumb, Finger::LeftThumb)
        };
        return (vec![found], vec![miss], false);
    }
    // Which tips sit low: compared with the mean of the other tips.
    let lows: Vec<bool> = (0..blobs.len())
        .map(|k| {
            if blobs.len() < 2 {
                return false;
            }
            let others: Vec<&Blob> = blobs
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != k)
                .map(|(_, b)| b)
                .collect();
            let mean_y = others.iter().map(|b| b.cy).sum::<f32>() / others.len() as f32;
            let mean_h = others.iter().map(|b| b.half_h).sum::<f32>() / others.len() as f32;
            blobs[k].cy - mean_y >= LITTLE_DROP * mean_h
        })
        .collect();
    let m = order.len();
    let (slots, cost) = best_placement(blobs, m, little, &lows);
    let mut chosen = (kind, order, slots);
    let mut wrong_hand = false;
    let other = match kind {
        SlapKind::RightFour => Some(SlapKind::LeftFour),
        SlapKind::LeftFour => Some(SlapKind::RightFour),
        _ => None,
    };
    // The other hand only when a low tip is seen and it explains the slap clearly better.
    if let (Some(other), true) = (other, lows.iter().any(|&l| l)) {
        let (o_order, o_little) = layout(other);
        let (o_slots, o_cost) = best_placement(blobs, o_order.len(), o_little, &lows);
        if o_cost + 0.5 < cost {
            chosen = (other, o_order, o_slots);
            wrong_hand = true;
        }
    }
    let (_, order, slots) = chosen;
    let labels: Vec<Finger> = slots
        .iter()
        .filter_map(|&s| order.get(s).copied())
        .collect();
    let missing: Vec<Finger> = order
        .iter()
        .enumerate()
        .filter(|(i, _)| !slots.contains(i))
        .map(|(_, &f)| f)
        .collect();
    (labels, missing, wrong_hand)
}

/// The bounding box of a blob (with a one-block margin) and the crop with other blobs
/// blanked.
fn cut(g: &Gray<'_>, b: &Blob, cols: usize, background: u8, image: &RawImage) -> (Rect, RawImage) {
    let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0usize, 0usize);
    for &i in &b.blocks {
        let (bx, by) = (i % cols, i / cols);
        x0 = x0.min(bx);
        y0 = y0.min(by);
        x1 = x1.max(bx + 1);
        y1 = y1.max(by + 1);
    }
    let (x0, y0) = (x0.saturating_sub(1) * BLOCK, y0.saturating_sub(1) * BLOCK);
    let x1 = ((x1 + 1) * BLOCK).min(g.width);
    let y1 = ((y1 + 1) * BLOCK).min(g.height);
    let (w, h) = (x1.saturating_sub(x0), y1.saturating_sub(y0));
    // The blob's blocks, grown by one block, are kept; the rest is platen.
    let mut keep = vec![false; cols * g.height.div_ceil(BLOCK)];
    for &i in &b.blocks {
        let (bx, by) = (i % cols, i / cols);
        for yy in by.saturating_sub(1)..=by + 1 {
            for xx in bx.saturating_sub(1)..=(bx + 1).min(cols - 1) {
                if let Some(k) = keep.get_mut(yy * cols + xx) {
                    *k = true;
                }
            }
        }
    }
    let mut data = Vec::with_capacity(w * h);
    for y in y0..y1 {
        for x in x0..x1 {
            let inside = keep
                .get((y / BLOCK) * cols + x / BLOCK)
                .copied()
                .unwrap_or(false)
                && x / BLOCK < cols;
            data.push(if inside { g.at(x, y) } else { background });
        }
    }
    (
        Rect {
            x: x0 as u32,
            y: y0 as u32,
            width: w as u32,
            height: h as u32,
        },
        RawImage {
            width: w as u32,
            height: h as u32,
            format: image.format,
            ppi: image.ppi,
            data,
        },
    )
}
