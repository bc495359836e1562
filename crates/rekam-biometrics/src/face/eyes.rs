//! Eye centres, eye openness and mouth opening without landmarks.
//!
//! SeetaFace gives a box only. Inside its upper half we look, for each eye, for the position
//! where a dark disc (iris and pupil) has bright tissue (sclera) on *both* sides:
//!
//! `response(x, y) = min(mean(left band), mean(right band)) - mean(centre square)`
//!
//! with a centre square of side 2r (r = 4.2 % of the box width, about an iris radius) and
//! side bands from 1.2r to 2.3r beside it, 1.2r high; all box means come from the integral
//! image, so the exhaustive search costs a few thousand box sums. The two eyes are chosen
//! together: the pair of per-row maxima with the largest summed response whose rows are at
//! most 12 % of the box width apart (so one eye on a brow and one on an eye is not a pair). Brows and hair edges, dark
//! on at least one side, score low; so does a closed eye (a lash line between skin). The
//! best position is the eye centre; its response over the skin's luma (the nose and cheeks
//! band of the box) is the eye's *openness*. The position is then refined to the
//! darkness-weighted centroid of the iris around it, horizontally only (the band contrast alone
//! drifts toward the brighter side when the face is shaded; vertically the lashes would pull
//! a centroid up, and the band search is symmetric). When an eye's openness is under
//! [`MIN_LOCATED`], its position falls back to where SeetaFace boxes put eyes on average
//! (32 % and 73 % across, 32 % down).
//!
//! The mouth region is placed from the eye line (1.12-1.6 inter-eye distances below the eye
//! midpoint, 0.7 across, along the face's axis); its *opening* is the share of pixels darker
//! than 40 % of their neighbourhood's mean: the inside of an open mouth is dark, lips are not.

use super::detect::FaceBox;
use super::frame::Frame;

/// Openness under which an eye is not taken as located.
pub const MIN_LOCATED: f32 = 0.2;

/// Where the eyes are.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EyeCentres {
    /// The image-left eye (the subject's right eye), pixels.
    pub left: (f32, f32),
    /// The image-right eye (the subject's left eye), pixels.
    pub right: (f32, f32),
    /// True when both were found in the image, false when either is the box prior.
    pub located: bool,
}

impl EyeCentres {
    /// Distance between the eye centres, pixels.
    pub fn distance(&self) -> f32 {
        let (dx, dy) = (self.right.0 - self.left.0, self.right.1 - self.left.1);
        (dx * dx + dy * dy).sqrt()
    }

    /// The midpoint between the eyes.
    pub fn midpoint(&self) -> (f32, f32) {
        (
            (self.left.0 + self.right.0) / 2.0,
            (self.left.1 + self.right.1) / 2.0,
        )
    }

    /// Tilt of the eye line, degrees (positive: the image-right eye is lower).
    pub fn roll_deg(&self) -> f32 {
        (self.right.1 - self.left.1)
            .atan2(self.right.0 - self.left.0)
            .to_degrees()
    }

    /// A point `(along, down)` inter-eye distances from the midpoint in the face's frame
    /// (`along` toward the image-right eye, `down` toward the chin).
    pub(crate) fn face_point(&self, along: f32, down: f32) -> (f32, f32) {
        let d = self.distance().max(1.0);
        let (ux, uy) = (
            (self.right.0 - self.left.0) / d,
            (self.right.1 - self.left.1) / d,
        );
        let (m0, m1) = self.midpoint();
        (
            m0 + d * (along * ux - down * uy),
            m1 + d * (along * uy + down * ux),
        )
    }
}

/// Eye centres plus each eye's openness.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EyeFind {
    pub(crate) eyes: EyeCentres,
    /// Openness of the image-left and image-right eye.
    pub(crate) openness: [f32; 2],
}

/// Finds the eyes of `face` in `frame`.
pub(crate) fn locate(frame: &Frame, face: &FaceBox) -> EyeFind {
    let w = face.width;
    let skin = frame
        .box_mean(
            (face.x + 0.3 * w) as i64,
            (face.y + 0.55 * w) as i64,
            (face.x + 0.7 * w) as i64,
            (face.y + 0.72 * w) as i64,
        )
        .max(8.0);
    let r = (0.042 * w).round().max(2.0) as i64;
    let half_band = (0.6 * r as f32).round().max(1.0) as i64;
    let (near, far) = ((1.2 * r as f32) as i64, (2.3 * r as f32).round() as i64);
    let (ya, yb) = ((face.y + 0.18 * w) as i64, (face.y + 0.58 * w) as i64);
    let bands = |x: i64, y: i64| {
        frame
            .box_mean(x - far, y - half_band, x - near, y + half_band + 1)
            .min(frame.box_mean(x + near + 1, y - half_band, x + far + 1, y + half_band + 1))
    };
    // The best response and its x on each row of one eye's window.
    let rows = |x0: f32, x1: f32| -> Vec<(f32, i64)> {
        let (xa, xb) = ((face.x + x0 * w) as i64, (face.x + x1 * w) as i64);
        (ya..=yb)
            .map(|y| {
                let mut best = (f32::MIN, xa);
                for x in xa..=xb {
                    let resp = bands(x, y) - frame.box_mean(x - r, y - r, x + r + 1, y + r + 1);
                    if resp > best.0 {
                        best = (resp, x);
                    }
                }
                best
            })
            .collect()
    };
    let left_rows = rows(0.14, 0.5);
    let right_rows = rows(0.5, 0.9);
    // The pair with the largest summed response whose rows are at most 0.12 box widths apart
    // (about 16° of roll): one eye on a brow and the other on an eye is not a pair.
    let max_dy = (0.12 * w) as usize;
    let mut best = (f32::MIN, 0usize, 0usize);
    for (i, l) in left_rows.iter().enumerate() {
        let lo = i.saturating_sub(max_dy);
        let hi = (i + max_dy).min(right_rows.len().saturating_sub(1));
        for (j, rt) in right_rows.iter().enumerate().take(hi + 1).skip(lo) {
            if l.0 + rt.0 > best.0 {
                best = (l.0 + rt.0, i, j);
            }
        }
    }
    // Refine x to the darkness-weighted centroid of the iris (the band contrast alone drifts
    // toward the brighter, nose side under shading). Only x: the lashes and the lid's shadow
    // above the iris would pull a centroid up, and the band search is symmetric vertically.
    let refine = |x: i64, y: i64, resp: f32| -> ((f32, f32), f32) {
        let ref_level = bands(x, y);
        let (mut sw, mut sx) = (0f32, 0f32);
        let reach = (1.4 * r as f32) as i64;
        for yy in (y - r).max(0)..=(y + r).min(frame.height as i64 - 1) {
            for xx in (x - reach).max(0)..=(x + reach).min(frame.width as i64 - 1) {
                let v = f32::from(frame.luma[yy as usize * frame.width + xx as usize]);
                let wgt = (ref_level - v).max(0.0).powi(2);
                sw += wgt;
                sx += wgt * xx as f32;
            }
        }
        let cx = if sw > 0.0 { sx / sw } else { x as f32 };
        ((cx + 0.5, y as f32 + 0.5), resp / skin)
    };
    let (left, open_l) = match left_rows.get(best.1) {
        Some(&(resp, x)) => refine(x, ya + best.1 as i64, resp),
        None => ((face.x, face.y), 0.0),
    };
    let (right, open_r) = match right_rows.get(best.2) {
        Some(&(resp, x)) => refine(x, ya + best.2 as i64, resp),
        None => ((face.x, face.y), 0.0),
    };
    let prior = |fx: f32| (face.x + fx * w, face.y + 0.32 * w);
    let located = open_l >= MIN_LOCATED && open_r >= MIN_LOCATED;
    let eyes = if located {
        EyeCentres {
            left,
            right,
            located: true,
        }
    } else {
        EyeCentres {
            left: prior(0.32),
            right: prior(0.73),
            located: false,
        }
    };
    EyeFind {
        eyes,
        openness: [open_l.max(0.0), open_r.max(0.0)],
    }
}

/// Share of pixels in the mouth region darker than 40 % of their neighbourhood (a box one
/// inter-eye distance wide: the skin, lips and mouth around them), so a shadowed side of the
/// face does not look like an open mouth.
pub(crate) fn mouth_opening(frame: &Frame, eyes: &EyeCentres) -> f32 {
    let d = eyes.distance();
    let half = (0.5 * d) as i64;
    let (mut n, mut hits) = (0u32, 0u32);
    // Sample the mouth rectangle in face coordinates: 0.7 IED wide, 1.12-1.6 IED down.
    let steps_x = (0.7 * d).max(4.0) as i32;
    let steps_y = (0.48 * d).max(3.0) as i32;
    for j in 0..steps_y {
        let down = 1.12 + 0.48 * (j as f32 + 0.5) / steps_y as f32;
        for i in 0..steps_x {
            let along = -0.35 + 0.7 * (i as f32 + 0.5) / steps_x as f32;
            let (x, y) = eyes.face_point(along, down);
            if x < 0.0 || y < 0.0 || x >= frame.width as f32 || y >= frame.height as f32 {
                continue;
            }
            n += 1;
            let (xi, yi) = (x as i64, y as i64);
            let around = frame.box_mean(xi - half, yi - half, xi + half + 1, yi + half + 1);
            if f32::from(frame.luma[y as usize * frame.width + x as usize]) < 0.4 * around {
                hits += 1;
            }
        }
    }
    if n == 0 {
        return f32::NAN;
    }
    hits as f32 / n as f32
}
