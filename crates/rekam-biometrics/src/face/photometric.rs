//! Photometric measures over regions placed from the eyes (ISO/IEC 29794-5 as OFIQ
//! implements it, where it has no learned model; our own sharpness).
//!
//! Regions, all from the eye centres and the inter-eye distance (IED), in the face's frame:
//!
//! - *face region*: an ellipse centred 0.7 IED below the eye midpoint, semi-axes 0.9 IED
//!   across and 1.15 IED down (brows to chin; OFIQ takes the landmarks' hull);
//! - *cheek zones*: OFIQ's two squares of side 0.3 IED, beside each eye on its outer side,
//!   half the eye-to-mouth distance below it (the eye-to-mouth distance is taken as 1.3 IED);
//! - *background*: the pixels above 1.3 IED below the eye line and outside a head ellipse
//!   (centre 0.15 IED down, semi-axes 1.75 and 1.9 IED), on the detector's reduced image.

use super::eyes::EyeCentres;
use super::frame::{linear, Frame};

/// Coarse-band contrast (grey levels) from which a pixel counts as an edge for sharpness:
/// pixel noise of a few grey levels stays under it, so noise does not pass for detail.
const EDGE_MIN: f32 = 6.0;

/// The photometric measures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Photometric {
    pub(crate) luminance_mean: f32,
    pub(crate) luminance_variance: f32,
    pub(crate) under_exposed: f32,
    pub(crate) over_exposed: f32,
    pub(crate) dynamic_range_bits: f32,
    pub(crate) illumination_uniformity: f32,
    pub(crate) sharpness: f32,
    pub(crate) colour_distance: f32,
}

/// Visits the pixels of the face region.
fn for_face_region(frame: &Frame, eyes: &EyeCentres, mut f: impl FnMut(usize, usize)) {
    let d = eyes.distance().max(1.0);
    let (cx, cy) = eyes.face_point(0.0, 0.7);
    let (a, b) = (0.9 * d, 1.15 * d);
    let roll = eyes.roll_deg().to_radians();
    let (s, c) = roll.sin_cos();
    let reach = b.ceil() as i64 + 1;
    let (x0, x1) = (
        (cx as i64 - reach).max(0),
        (cx as i64 + reach).min(frame.width as i64 - 1),
    );
    let (y0, y1) = (
        (cy as i64 - reach).max(0),
        (cy as i64 + reach).min(frame.height as i64 - 1),
    );
    for y in y0..=y1 {
        for x in x0..=x1 {
            let (dx, dy) = (x as f32 + 0.5 - cx, y as f32 + 0.5 - cy);
            let (u, v) = (dx * c + dy * s, -dx * s + dy * c);
            if (u / a).powi(2) + (v / b).powi(2) <= 1.0 {
                f(x as usize, y as usize);
            }
        }
    }
}

/// The two cheek zones `[x0, x1) x [y0, y1)`, clipped; image-left first.
fn cheek_zones(frame: &Frame, eyes: &EyeCentres) -> [(usize, usize, usize, usize); 2] {
    let d = eyes.distance();
    let zone = 0.3 * d;
    let below = 0.65 * d;
    let clip = |x: f32, y: f32| {
        let x0 = x.clamp(0.0, frame.width as f32) as usize;
        let y0 = y.clamp(0.0, frame.height as f32) as usize;
        let x1 = (x + zone).clamp(0.0, frame.width as f32) as usize;
        let y1 = (y + zone).clamp(0.0, frame.height as f32) as usize;
        (x0, y0, x1, y1)
    };
    [
        clip(eyes.left.0 - zone, eyes.left.1 + below),
        clip(eyes.right.0, eyes.right.1 + below),
    ]
}

/// Normalised 256-bin histogram of the luminance in a zone.
fn zone_histogram(frame: &Frame, z: (usize, usize, usize, usize)) -> Option<[f32; 256]> {
    let mut h = [0f32; 256];
    let mut n = 0u32;
    for y in z.1..z.3 {
        for x in z.0..z.2 {
            h[usize::from(frame.luminance[y * frame.width + x])] += 1.0;
            n += 1;
        }
    }
    if n == 0 {
        return None;
    }
    for v in h.iter_mut() {
        *v /= n as f32;
    }
    Some(h)
}

/// sRGB to CIELAB (D65) a* and b*.
fn lab_ab(rgb: [u8; 3]) -> (f32, f32) {
    let [r, g, b] = rgb.map(linear);
    let x = (0.412_456_4 * r + 0.357_576_1 * g + 0.180_437_5 * b) / 0.950_47;
    let y = 0.212_672_9 * r + 0.715_152_2 * g + 0.072_175 * b;
    let z = (0.019_333_9 * r + 0.119_192 * g + 0.950_304_1 * b) / 1.088_83;
    let f = |t: f32| {
        if t > 0.008_856 {
            t.cbrt()
        } else {
            7.787 * t + 16.0 / 116.0
        }
    };
    let (fx, fy, fz) = (f(x), f(y), f(z));
    (500.0 * (fx - fy), 200.0 * (fy - fz))
}

/// Computes the photometric measures of the face at `eyes`.
pub(crate) fn measure(frame: &Frame, eyes: &EyeCentres) -> Photometric {
    // Luminance statistics over the face region.
    let mut hist = [0u32; 256];
    let mut n = 0u32;
    for_face_region(frame, eyes, |x, y| {
        hist[usize::from(frame.luminance[y * frame.width + x])] += 1;
        n += 1;
    });
    let nf = n.max(1) as f64;
    let mean = hist
        .iter()
        .enumerate()
        .map(|(i, &c)| i as f64 / 255.0 * f64::from(c))
        .sum::<f64>()
        / nf;
    let variance = hist
        .iter()
        .enumerate()
        .map(|(i, &c)| (i as f64 / 255.0 - mean).powi(2) * f64::from(c))
        .sum::<f64>()
        / nf;
    let under = hist[..=25].iter().map(|&c| f64::from(c)).sum::<f64>() / nf;
    let over = hist[247..].iter().map(|&c| f64::from(c)).sum::<f64>() / nf;
    let entropy = -hist
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / nf;
            p * p.log2()
        })
        .sum::<f64>();

    // Sharpness: fine band |I - box3(I)| over coarse band |box3(I) - box9(I)| on luma.
    let (mut fine, mut coarse) = (0f64, 0f64);
    for_face_region(frame, eyes, |x, y| {
        let (x, y) = (x as i64, y as i64);
        let i = f32::from(frame.luma[y as usize * frame.width + x as usize]);
        let b3 = frame.box_mean(x - 1, y - 1, x + 2, y + 2);
        let b9 = frame.box_mean(x - 4, y - 4, x + 5, y + 5);
        let c = (b3 - b9).abs();
        if c >= EDGE_MIN {
            fine += f64::from((i - b3).abs());
            coarse += f64::from(c);
        }
    });
    let sharpness = if coarse > 0.0 { fine / coarse } else { 0.0 };

    // Illumination uniformity and colour on the cheek zones.
    let zones = cheek_zones(frame, eyes);
    let uniformity = match (
        zone_histogram(frame, zones[0]),
        zone_histogram(frame, zones[1]),
    ) {
        (Some(a), Some(b)) => a.iter().zip(&b).map(|(p, q)| p.min(*q)).sum::<f32>(),
        _ => f32::NAN,
    };
    let colour_distance = if frame.rgb.is_some() {
        let (mut sa, mut sb, mut m) = (0f64, 0f64, 0u32);
        for z in zones {
            for y in z.1..z.3 {
                for x in z.0..z.2 {
                    let (a, b) = lab_ab(frame.rgb_at(x, y));
                    sa += f64::from(a);
                    sb += f64::from(b);
                    m += 1;
                }
            }
        }
        if m == 0 {
            f32::NAN
        } else {
            let (a, b) = ((sa / f64::from(m)) as f32, (sb / f64::from(m)) as f32);
            let da = (5.0 - a).max(a - 25.0).max(0.0);
            let db = (5.0 - b).max(b - 35.0).max(0.0);
            (da * da + db * db).sqrt()
        }
    } else {
        f32::NAN
    };

    Photometric {
        luminance_mean: mean as f32,
        luminance_variance: variance as f32,
        under_exposed: under as f32,
        over_exposed: over as f32,
        dynamic_range_bits: entropy as f32,
        illumination_uniformity: uniformity,
        sharpness: sharpness as f32,
        colour_distance,
    }
}

/// Mean Sobel gradient magnitude (grey levels per pixel) of the background in the reduced
/// image `grey` (`w` x `h`, `factor` camera pixels a side); NaN when no background shows.
pub(crate) fn background_gradient(
    grey: &[u8],
    w: usize,
    h: usize,
    factor: usize,
    eyes: &EyeCentres,
) -> f32 {
    let k = factor as f32;
    let d = eyes.distance().max(1.0) / k;
    let (mx, my) = eyes.face_point(0.0, 0.15);
    let (mx, my) = (mx / k, my / k);
    let (a, b) = (1.75 * d, 1.9 * d);
    let roll = eyes.roll_deg().to_radians();
    let (s, c) = roll.sin_cos();
    let limit = eyes.midpoint().1 / k + 1.3 * d;
    let px = |x: usize, y: usize| f32::from(grey[y * w + x]);
    let (mut sum, mut n) = (0f64, 0u32);
    for y in 1..h.saturating_sub(1) {
        if y as f32 > limit {
            break;
        }
        for x in 1..w.saturating_sub(1) {
            let (dx, dy) = (x as f32 + 0.5 - mx, y as f32 + 0.5 - my);
            let (u, v) = (dx * c + dy * s, -dx * s + dy * c);
            if (u / a).powi(2) + (v / b).powi(2) <= 1.0 {
                continue;
            }
            let gx = px(x + 1, y - 1) + 2.0 * px(x + 1, y) + px(x + 1, y + 1)
                - px(x - 1, y - 1)
                - 2.0 * px(x - 1, y)
                - px(x - 1, y + 1);
            let gy = px(x - 1, y + 1) + 2.0 * px(x, y + 1) + px(x + 1, y + 1)
                - px(x - 1, y - 1)
                - 2.0 * px(x, y - 1)
                - px(x + 1, y - 1);
            sum += f64::from((gx * gx + gy * gy).sqrt() / 8.0);
            n += 1;
        }
    }
    if n == 0 {
        f32::NAN
    } else {
        (sum / f64::from(n)) as f32
    }
}
