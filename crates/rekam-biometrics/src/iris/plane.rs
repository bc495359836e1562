//! Float image planes and the few operations the iris checks need: box smoothing through an
//! integral image, 4x downsampling, bilinear sampling, and filling the illuminator's specular
//! spots so they do not pull circle averages up.

/// Read access to a grey image: exact pixels, bilinear samples.
pub(crate) trait Grey {
    fn width(&self) -> usize;
    fn height(&self) -> usize;
    /// The pixel at `(x, y)`, which must be inside the image.
    fn at(&self, x: usize, y: usize) -> f32;

    /// Bilinear sample at `(x, y)` (pixel centres at integer coordinates), clamped at the
    /// edges.
    #[inline]
    fn sample(&self, x: f32, y: f32) -> f32 {
        let (w, h) = (self.width(), self.height());
        let x = x.clamp(0.0, (w - 1) as f32);
        let y = y.clamp(0.0, (h - 1) as f32);
        let (x0, y0) = (x as usize, y as usize);
        let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
        let (ax, ay) = (x - x0 as f32, y - y0 as f32);
        let (a, b) = (self.at(x0, y0), self.at(x1, y0));
        let (c, d) = (self.at(x0, y1), self.at(x1, y1));
        let top = a + (b - a) * ax;
        let bottom = c + (d - c) * ax;
        top + (bottom - top) * ay
    }

    /// Whether `(x, y)` lies inside the image.
    #[inline]
    fn contains(&self, x: f32, y: f32) -> bool {
        x >= 0.0 && y >= 0.0 && x <= (self.width() - 1) as f32 && y <= (self.height() - 1) as f32
    }
}

/// The `(2r+1)²` box mean of an image, evaluated on demand from its integral image (cheaper
/// than a smoothed copy when only rays and the iris region are read).
pub(crate) struct BoxView<'a> {
    ii: &'a Integral,
    w: usize,
    h: usize,
    r: usize,
}

impl<'a> BoxView<'a> {
    pub(crate) fn new(ii: &'a Integral, r: usize) -> Self {
        BoxView {
            ii,
            w: ii.w,
            h: ii.h,
            r,
        }
    }
}

impl Grey for BoxView<'_> {
    fn width(&self) -> usize {
        self.w
    }
    fn height(&self) -> usize {
        self.h
    }
    #[inline]
    fn at(&self, x: usize, y: usize) -> f32 {
        let (x0, y0) = (x.saturating_sub(self.r), y.saturating_sub(self.r));
        let (x1, y1) = ((x + self.r + 1).min(self.w), (y + self.r + 1).min(self.h));
        let n = ((x1 - x0) * (y1 - y0)) as f64;
        (self.ii.sum(x0, y0, x1, y1) / n) as f32
    }
}

impl Grey for Plane {
    fn width(&self) -> usize {
        self.w
    }
    fn height(&self) -> usize {
        self.h
    }
    #[inline]
    fn at(&self, x: usize, y: usize) -> f32 {
        self.px[y * self.w + x]
    }
}

/// A grey image as `f32`, row-major.
#[derive(Clone)]
pub(crate) struct Plane {
    pub(crate) w: usize,
    pub(crate) h: usize,
    pub(crate) px: Vec<f32>,
}

impl Plane {
    pub(crate) fn from_u8(data: &[u8], w: usize, h: usize) -> Self {
        Plane {
            w,
            h,
            px: data.iter().map(|&v| f32::from(v)).collect(),
        }
    }

    /// The mean over each `(2r+1)²` box (clipped at the borders).
    pub(crate) fn box_mean(&self, r: usize) -> Plane {
        let ii = Integral::new(&self.px, self.w, self.h);
        let mut out = vec![0f32; self.w * self.h];
        for y in 0..self.h {
            let (y0, y1) = (y.saturating_sub(r), (y + r + 1).min(self.h));
            for x in 0..self.w {
                let (x0, x1) = (x.saturating_sub(r), (x + r + 1).min(self.w));
                let n = ((x1 - x0) * (y1 - y0)) as f64;
                out[y * self.w + x] = (ii.sum(x0, y0, x1, y1) / n) as f32;
            }
        }
        Plane {
            w: self.w,
            h: self.h,
            px: out,
        }
    }

    /// Mean of each 4x4 block (a partial block at the edge is dropped).
    pub(crate) fn down4(&self) -> Plane {
        let (w, h) = (self.w / 4, self.h / 4);
        let mut px = vec![0f32; w * h];
        for y in 0..h {
            for x in 0..w {
                let mut s = 0.0;
                for dy in 0..4 {
                    let row = &self.px[(y * 4 + dy) * self.w + x * 4..][..4];
                    s += row.iter().sum::<f32>();
                }
                px[y * w + x] = s / 16.0;
            }
        }
        Plane { w, h, px }
    }
}

/// A summed-area table in `f64` (exact for any image this size).
pub(crate) struct Integral {
    w: usize,
    h: usize,
    s: Vec<f64>,
}

impl Integral {
    pub(crate) fn new(px: &[f32], w: usize, h: usize) -> Self {
        let mut s = vec![0f64; (w + 1) * (h + 1)];
        for y in 0..h {
            let mut row = 0f64;
            for x in 0..w {
                row += f64::from(px[y * w + x]);
                s[(y + 1) * (w + 1) + x + 1] = s[y * (w + 1) + x + 1] + row;
            }
        }
        Integral { w, h, s }
    }

    /// Sum over `[x0, x1) x [y0, y1)`.
    #[inline]
    pub(crate) fn sum(&self, x0: usize, y0: usize, x1: usize, y1: usize) -> f64 {
        let w = self.w + 1;
        self.s[y1 * w + x1] - self.s[y0 * w + x1] - self.s[y1 * w + x0] + self.s[y0 * w + x0]
    }
}

/// Half side of the neighbourhood a specular spot is compared with and filled from.
const SPEC_BOX: usize = 7;
/// A pixel this much brighter than its neighbourhood (grey levels) is a specular reflection.
const SPEC_EXCESS: f32 = 45.0;

/// Finds specular reflections (pixels among the brightest 0.5 % of the image and far brighter
/// than their neighbourhood), grows them by two pixels and replaces them with the mean of the
/// unmarked pixels around. Returns the filled plane and the mask (true: specular).
pub(crate) fn fill_specular(src: &Plane) -> (Plane, Vec<bool>) {
    let (w, h) = (src.w, src.h);
    let ii = Integral::new(&src.px, w, h);
    let local = BoxView::new(&ii, SPEC_BOX);
    let bright = percentile(&src.px, 0.995);
    let mut seed = vec![false; w * h];
    let mut any = false;
    for y in 0..h {
        for x in 0..w {
            let v = src.px[y * w + x];
            if v >= bright && v > local.at(x, y) + SPEC_EXCESS {
                seed[y * w + x] = true;
                any = true;
            }
        }
    }
    if !any {
        return (src.clone(), seed);
    }
    // Grow the spots over their halo: every neighbour still clearly brighter than its
    // surroundings, up to a few pixels from the spot (a blurred spot's skirt), then 2 px more.
    const HALO_EXCESS: f32 = 20.0;
    const HALO_STEPS: u8 = 6;
    let mut grown = seed.clone();
    let mut frontier: Vec<usize> = (0..w * h).filter(|&i| seed[i]).collect();
    for _ in 0..HALO_STEPS {
        let mut next = Vec::new();
        for &i in &frontier {
            let (x, y) = (i % w, i / w);
            for (dx, dy) in [(-1i32, 0i32), (1, 0), (0, -1), (0, 1)] {
                let (nx, ny) = (x as i32 + dx, y as i32 + dy);
                if nx < 0 || ny < 0 || nx >= w as i32 || ny >= h as i32 {
                    continue;
                }
                let j = ny as usize * w + nx as usize;
                if !grown[j] && src.px[j] > local.at(nx as usize, ny as usize) + HALO_EXCESS {
                    grown[j] = true;
                    next.push(j);
                }
            }
        }
        if next.is_empty() {
            break;
        }
        frontier = next;
    }
    let mut mask = vec![false; w * h];
    for y in 0..h {
        for x in 0..w {
            if !grown[y * w + x] {
                continue;
            }
            for yy in y.saturating_sub(2)..(y + 3).min(h) {
                for xx in x.saturating_sub(2)..(x + 3).min(w) {
                    mask[yy * w + xx] = true;
                }
            }
        }
    }
    // Fill each marked pixel with the mean of the unmarked ones in its neighbourhood (a few
    // hundred pixels at most: cheaper than two more integral images).
    let mut out = src.clone();
    for y in 0..h {
        for x in 0..w {
            if !mask[y * w + x] {
                continue;
            }
            let mut r = SPEC_BOX;
            loop {
                let (x0, y0) = (x.saturating_sub(r), y.saturating_sub(r));
                let (x1, y1) = ((x + r + 1).min(w), (y + r + 1).min(h));
                let (mut sum, mut n) = (0f32, 0u32);
                for yy in y0..y1 {
                    for xx in x0..x1 {
                        if !mask[yy * w + xx] {
                            sum += src.px[yy * w + xx];
                            n += 1;
                        }
                    }
                }
                if n >= 4 || r > w.max(h) {
                    out.px[y * w + x] = if n > 0 {
                        sum / n as f32
                    } else {
                        local.at(x, y)
                    };
                    break;
                }
                r *= 2;
            }
        }
    }
    (out, mask)
}

/// The `q` quantile (0-1) of grey levels in 0-255, through a 256-bin histogram.
pub(crate) fn percentile(px: &[f32], q: f32) -> f32 {
    let mut hist = [0u32; 256];
    for &v in px {
        hist[v.clamp(0.0, 255.0) as usize] += 1;
    }
    let target = (q.clamp(0.0, 1.0) * px.len() as f32).ceil() as u32;
    let mut acc = 0u32;
    for (g, &n) in hist.iter().enumerate() {
        acc += n;
        if acc >= target.max(1) {
            return g as f32;
        }
    }
    255.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn box_mean_and_sampling_are_right() {
        let p = Plane {
            w: 4,
            h: 3,
            px: (0..12).map(|v| v as f32).collect(),
        };
        let m = p.box_mean(1);
        assert!((m.at(1, 1) - 5.0).abs() < 1e-5);
        assert!((m.at(0, 0) - 2.5).abs() < 1e-5);
        assert!((p.sample(1.5, 1.0) - 5.5).abs() < 1e-5);
        assert!((p.sample(-3.0, 9.0) - 8.0).abs() < 1e-5);
    }

    #[test]
    fn a_bright_spot_is_filled_from_its_surroundings() {
        let mut p = Plane {
            w: 40,
            h: 40,
            px: vec![20.0; 1600],
        };
        for y in 18..21 {
            for x in 18..21 {
                p.px[y * 40 + x] = 250.0;
            }
        }
        let (f, mask) = fill_specular(&p);
        assert!(mask[19 * 40 + 19]);
        assert!(f.px.iter().all(|&v| (v - 20.0).abs() < 1e-3));
    }
}
