//! The part of a finger image that holds the print, so MINDTCT runs on it alone.
//!
//! MINDTCT's time grows with the image's area, and a flat impression fills about a third of a
//! 500x600 scan: the platen around it costs as much per pixel as the ridges and yields no
//! minutiae (MINDTCT's own low-contrast map drops it). The print's region is found by block
//! contrast: a block of the platen is flat, a block of ridges is not. It is written here rather
//! than taken from a crate because it is a dozen lines over the pixels and must keep MINDTCT's
//! block grid (see [`Region::of`]).

/// Side of a contrast block, pixels: two MINDTCT blocks.
const BLOCK: usize = 16;
/// Grey standard deviation from which a block holds ridges. MINDTCT marks a block as low
/// contrast (no minutiae there) below a 6-bit spread of 5 levels between its 10th and 90th
/// percentiles, about 20 grey levels or a standard deviation of 8 on 8 bits; this lower bound
/// keeps every block MINDTCT could find a minutia in.
const MIN_STD: f64 = 6.0;
/// Platen kept around the print's blocks, pixels: MINDTCT's direction windows (24 px) and its
/// border checks reach past a block, and a minutia near the print's edge must see the same
/// pixels as in the whole image.
const MARGIN: usize = 48;
/// MINDTCT's block side: the region starts on its grid so the blocks stay the same.
const GRID: usize = 8;

/// A rectangle of an image, pixels, top left origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Region {
    pub x: usize,
    pub y: usize,
    pub width: usize,
    pub height: usize,
}

impl Region {
    /// The print's region of a `width` x `height` grey image: the contrast blocks' bounding
    /// box, widened by [`MARGIN`], starting on MINDTCT's block grid, within the image. The whole
    /// image when no block has contrast (MINDTCT then finds nothing either way).
    pub fn of(pixels: &[u8], width: usize, height: usize) -> Region {
        let whole = Region::whole(width, height);
        let (cols, rows) = (width.div_ceil(BLOCK), height.div_ceil(BLOCK));
        let mut bounds: Option<(usize, usize, usize, usize)> = None;
        for by in 0..rows {
            for bx in 0..cols {
                let (x0, y0) = (bx * BLOCK, by * BLOCK);
                let (x1, y1) = ((x0 + BLOCK).min(width), (y0 + BLOCK).min(height));
                if !has_contrast(pixels, width, (x0, y0, x1, y1)) {
                    continue;
                }
                bounds = Some(match bounds {
                    None => (x0, y0, x1, y1),
                    Some((a, b, c, d)) => (a.min(x0), b.min(y0), c.max(x1), d.max(y1)),
                });
            }
        }
        let Some((x0, y0, x1, y1)) = bounds else {
            return whole;
        };
        let x0 = x0.saturating_sub(MARGIN) / GRID * GRID;
        let y0 = y0.saturating_sub(MARGIN) / GRID * GRID;
        let (x1, y1) = ((x1 + MARGIN).min(width), (y1 + MARGIN).min(height));
        Region {
            x: x0,
            y: y0,
            width: x1 - x0,
            height: y1 - y0,
        }
    }

    /// The whole `width` x `height` image.
    pub fn whole(width: usize, height: usize) -> Region {
        Region {
            x: 0,
            y: 0,
            width,
            height,
        }
    }

    /// Whether the region is the whole `width` x `height` image.
    pub fn is_whole(&self, width: usize, height: usize) -> bool {
        self.x == 0 && self.y == 0 && self.width == width && self.height == height
    }

    /// The region's pixels, row by row.
    pub fn cut(&self, pixels: &[u8], width: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.width * self.height);
        for y in self.y..self.y + self.height {
            let row = y * width + self.x;
            out.extend_from_slice(&pixels[row..row + self.width]);
        }
        out
    }
}

/// Whether the block `(x0, y0, x1, y1)` (exclusive ends) has a grey standard deviation of at
/// least [`MIN_STD`].
fn has_contrast(
    pixels: &[u8],
    width: usize,
    (x0, y0, x1, y1): (usize, usize, usize, usize),
) -> bool {
    let (mut s1, mut s2) = (0u64, 0u64);
    for y in y0..y1 {
        for &p in &pixels[y * width + x0..y * width + x1] {
            s1 += u64::from(p);
            s2 += u64::from(p) * u64::from(p);
        }
    }
    let n = ((x1 - x0) * (y1 - y0)) as f64;
    if n == 0.0 {
        return false;
    }
    let mean = s1 as f64 / n;
    s2 as f64 / n - mean * mean >= MIN_STD * MIN_STD
}

#[cfg(test)]
mod tests {
    use super::*;

    fn platen(width: usize, height: usize) -> Vec<u8> {
        vec![250; width * height]
    }

    /// A `width` x `height` platen with stripes of `dark` and `light` grey (ridges) over
    /// `x0..x1`, `y0..y1`, and the region found in it.
    fn print_on_platen(
        (width, height): (usize, usize),
        (x0, y0, x1, y1): (usize, usize, usize, usize),
        (dark, light): (u8, u8),
    ) -> (Vec<u8>, Region) {
        let mut img = platen(width, height);
        for y in y0..y1 {
            for x in x0..x1 {
                img[y * width + x] = if (x / 4) % 2 == 0 { dark } else { light };
            }
        }
        let region = Region::of(&img, width, height);
        (img, region)
    }

    #[test]
    fn a_print_in_the_middle_is_cut_with_a_margin_on_the_block_grid() {
        let (w, h) = (500, 600);
        let (img, r) = print_on_platen((w, h), (150, 120, 350, 470), (40, 230));
        // Blocks 144..352 x 112..480, widened by 48 and floored to the 8 px grid.
        assert_eq!(
            r,
            Region {
                x: 96,
                y: 64,
                width: 400 - 96,
                height: 528 - 64
            }
        );
        assert_eq!(r.x % GRID, 0);
        assert_eq!(r.y % GRID, 0);
        let cut = r.cut(&img, w);
        assert_eq!(cut.len(), r.width * r.height);
        // The cut's pixel (60, 70) is the image's (156, 134): a ridge column.
        assert_eq!(cut[70 * r.width + 60], img[134 * w + 156]);
    }

    #[test]
    fn a_print_at_the_edge_keeps_the_edge() {
        let (w, h) = (300, 400);
        let (_, r) = print_on_platen((w, h), (0, 250, 120, 400), (40, 230));
        assert_eq!((r.x, r.y + r.height), (0, h));
        assert_eq!(r.width, 128 + MARGIN);
        assert!(!r.is_whole(w, h));
    }

    #[test]
    fn a_flat_or_noisy_image_is_kept_whole() {
        let (w, h) = (200, 240);
        let flat = platen(w, h);
        assert!(Region::of(&flat, w, h).is_whole(w, h));
        // Noise everywhere (a grey, noisy platen) has contrast everywhere.
        let noisy: Vec<u8> = (0..w * h)
            .map(|i| 128u8.wrapping_add(((i * 7919) % 41) as u8))
            .collect();
        assert!(Region::of(&noisy, w, h).is_whole(w, h));
    }

    #[test]
    fn faint_ridges_still_count() {
        let (w, h) = (320, 320);
        // Ridges 16 grey levels deep: a standard deviation of 8.
        let (_, r) = print_on_platen((w, h), (100, 100, 200, 200), (234, 250));
        assert!(!r.is_whole(w, h));
        assert!(r.x <= 100 - MARGIN && r.x + r.width >= 200 + MARGIN);
    }
}
