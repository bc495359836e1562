//! A small raster canvas (8-bit grey or RGB) with the few operations the card face and the
//! receipts need: fills, a vertical gradient, anti-aliased text drawn from the embedded
//! fonts, and pasting images with or without a coverage mask.

use ab_glyph::{point, Font, ScaleFont};
use rekam_hal::{PixelFormat, RawImage};

use super::font::{Fonts, Weight};
use super::Rect;

/// An RGB colour; on a grey canvas its luma is used.
pub(crate) type Rgb = [u8; 3];

fn luma(c: Rgb) -> u8 {
    // ITU-R BT.601 weights, in integers.
    ((u32::from(c[0]) * 299 + u32::from(c[1]) * 587 + u32::from(c[2]) * 114 + 500) / 1000) as u8
}

/// Pixels being drawn.
#[derive(Debug)]
pub(crate) struct Canvas {
    width: u32,
    height: u32,
    format: PixelFormat,
    data: Vec<u8>,
}

impl Canvas {
    /// A canvas filled with `background`.
    pub(crate) fn new(width: u32, height: u32, format: PixelFormat, background: Rgb) -> Canvas {
        let bpp = format.bytes_per_pixel();
        let n = width as usize * height as usize;
        let data = match format {
            PixelFormat::Gray8 => vec![luma(background); n],
            PixelFormat::Rgb8 => background.repeat(n),
        };
        debug_assert_eq!(data.len(), n * bpp);
        Canvas {
            width,
            height,
            format,
            data,
        }
    }

    pub(crate) fn width(&self) -> u32 {
        self.width
    }

    pub(crate) fn height(&self) -> u32 {
        self.height
    }

    /// The finished image, with its resolution.
    pub(crate) fn into_image(self, ppi: u16) -> RawImage {
        RawImage {
            width: self.width,
            height: self.height,
            format: self.format,
            ppi: Some(ppi),
            data: self.data,
        }
    }

    /// Blends `color` over the pixel at (x, y) with coverage `alpha` in 0..=1; outside the
    /// canvas nothing happens.
    pub(crate) fn blend(&mut self, x: i64, y: i64, color: Rgb, alpha: f32) {
        if x < 0 || y < 0 || x >= i64::from(self.width) || y >= i64::from(self.height) {
            return;
        }
        let a = alpha.clamp(0.0, 1.0);
        if a <= 0.0 {
            return;
        }
        let bpp = self.format.bytes_per_pixel();
        let i = (y as usize * self.width as usize + x as usize) * bpp;
        let mix = |dst: u8, src: u8| -> u8 {
            (f32::from(dst) + (f32::from(src) - f32::from(dst)) * a).round() as u8
        };
        match self.format {
            PixelFormat::Gray8 => self.data[i] = mix(self.data[i], luma(color)),
            PixelFormat::Rgb8 => {
                for (k, channel) in color.iter().enumerate() {
                    self.data[i + k] = mix(self.data[i + k], *channel);
                }
            }
        }
    }

    /// Fills a rectangle (clipped to the canvas).
    pub(crate) fn fill(&mut self, rect: Rect, color: Rgb) {
        for y in rect.y..rect.bottom().min(self.height) {
            for x in rect.x..rect.right().min(self.width) {
                self.blend(i64::from(x), i64::from(y), color, 1.0);
            }
        }
    }

    /// A vertical gradient over the whole canvas from `top` to `bottom`, with a slight
    /// diagonal lean so that it is lighter towards the lower right, like the real card stock.
    pub(crate) fn gradient(&mut self, top: Rgb, bottom: Rgb) {
        let (w, h) = (self.width.max(1) as f32, self.height.max(1) as f32);
        let bpp = self.format.bytes_per_pixel();
        let width = self.width as usize;
        for (y, row) in self.data.chunks_exact_mut(width * bpp).enumerate() {
            let ty = 0.8 * y as f32 / h;
            for (x, px) in row.chunks_exact_mut(bpp).enumerate() {
                let t = (ty + 0.2 * x as f32 / w).clamp(0.0, 1.0);
                let c = [
                    lerp(top[0], bottom[0], t),
                    lerp(top[1], bottom[1], t),
                    lerp(top[2], bottom[2], t),
                ];
                match self.format {
                    PixelFormat::Gray8 => px[0] = luma(c),
                    PixelFormat::Rgb8 => px.copy_from_slice(&c),
                }
            }
        }
    }

    /// Draws one line of text with its baseline at `baseline` starting at `x`; returns the
    /// advance width. Glyphs are anti-aliased by coverage.
    pub(crate) fn text(
        &mut self,
        fonts: &Fonts,
        weight: Weight,
        em_px: f32,
        (x, baseline): (f32, f32),
        text: &str,
        color: Rgb,
    ) -> f32 {
        let face = fonts.face(weight);
        let scale = fonts.scale(weight, em_px);
        let scaled = face.as_scaled(scale);
        let mut caret = x;
        let mut previous = None;
        for c in text.chars() {
            let id = face.glyph_id(c);
            if let Some(p) = previous {
                caret += scaled.kern(p, id);
            }
            let glyph = id.with_scale_and_position(scale, point(caret, baseline));
            if let Some(outlined) = face.outline_glyph(glyph) {
                let bounds = outlined.px_bounds();
                let (left, top) = (bounds.min.x as i64, bounds.min.y as i64);
                outlined.draw(|gx, gy, coverage| {
                    self.blend(left + i64::from(gx), top + i64::from(gy), color, coverage);
                });
            }
            caret += scaled.h_advance(id);
            previous = Some(id);
        }
        caret - x
    }

    /// Pastes an RGB image (`pixels`, `w` x `h`, 3 bytes a pixel) with its top-left at `at`
    /// (clipped to the canvas).
    pub(crate) fn paste_rgb(&mut self, at: (u32, u32), w: u32, h: u32, pixels: &[u8]) {
        if self.format != PixelFormat::Rgb8 {
            for y in 0..h {
                for x in 0..w {
                    let i = (y as usize * w as usize + x as usize) * 3;
                    let c = [pixels[i], pixels[i + 1], pixels[i + 2]];
                    self.blend(i64::from(at.0 + x), i64::from(at.1 + y), c, 1.0);
                }
            }
            return;
        }
        let visible_w = w.min(self.width.saturating_sub(at.0)) as usize;
        let visible_h = h.min(self.height.saturating_sub(at.1));
        for y in 0..visible_h {
            let src = y as usize * w as usize * 3;
            let dst = ((at.1 + y) as usize * self.width as usize + at.0 as usize) * 3;
            self.data[dst..dst + visible_w * 3].copy_from_slice(&pixels[src..src + visible_w * 3]);
        }
    }

    /// Paints `color` through a coverage mask (`w` x `h`, one byte a pixel, 255 = full).
    pub(crate) fn paint_mask(&mut self, at: (u32, u32), w: u32, h: u32, mask: &[u8], color: Rgb) {
        for y in 0..h {
            for x in 0..w {
                let m = mask[y as usize * w as usize + x as usize];
                if m > 0 {
                    self.blend(
                        i64::from(at.0 + x),
                        i64::from(at.1 + y),
                        color,
                        f32::from(m) / 255.0,
                    );
                }
            }
        }
    }
}

fn lerp(a: u8, b: u8, t: f32) -> u8 {
    (f32::from(a) + (f32::from(b) - f32::from(a)) * t).round() as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_blend_and_bounds() {
        let mut c = Canvas::new(4, 3, PixelFormat::Rgb8, [255, 255, 255]);
        c.fill(Rect::new(1, 1, 10, 10), [0, 0, 0]);
        c.blend(-1, 0, [0, 0, 0], 1.0);
        c.blend(0, 0, [0, 0, 0], 0.5);
        let img = c.into_image(300);
        assert_eq!(img.ppi, Some(300));
        assert!(img.is_consistent());
        assert_eq!(&img.data[0..3], &[128, 128, 128]);
        assert_eq!(&img.data[3..6], &[255, 255, 255]);
        // (1,1) and (3,2) are black: the fill was clipped, not wrapped.
        assert_eq!(&img.data[(4 + 1) * 3..(4 + 1) * 3 + 3], &[0, 0, 0]);
        assert_eq!(&img.data[(2 * 4 + 3) * 3..], &[0, 0, 0]);
    }

    #[test]
    fn paste_is_clipped_to_the_canvas() {
        let mut c = Canvas::new(4, 4, PixelFormat::Rgb8, [255, 255, 255]);
        let pixels: Vec<u8> = (0..9u8).flat_map(|i| [i, i, i]).collect();
        c.paste_rgb((2, 2), 3, 3, &pixels);
        let img = c.into_image(300);
        let at = |x: usize, y: usize| img.data[(y * 4 + x) * 3];
        assert_eq!([at(2, 2), at(3, 2), at(2, 3), at(3, 3)], [0, 1, 3, 4]);
        assert_eq!(at(1, 2), 255);
        assert_eq!(at(3, 1), 255);
    }

    #[test]
    fn grey_canvas_uses_luma() {
        let mut c = Canvas::new(2, 1, PixelFormat::Gray8, [255, 255, 255]);
        c.fill(Rect::new(0, 0, 1, 1), [255, 0, 0]);
        let img = c.into_image(203);
        assert_eq!(img.data, vec![76, 255]);
    }

    #[test]
    fn text_leaves_ink() {
        let fonts = Fonts::load().unwrap();
        let mut c = Canvas::new(200, 40, PixelFormat::Gray8, [255, 255, 255]);
        let advance = c.text(&fonts, Weight::Bold, 24.0, (5.0, 30.0), "NIK", [0, 0, 0]);
        assert!((advance - fonts.width(Weight::Bold, 24.0, "NIK")).abs() < 0.01);
        let img = c.into_image(300);
        let dark = img.data.iter().filter(|&&v| v < 64).count();
        assert!(dark > 50, "{dark}");
        // Nothing beyond the advance.
        let beyond = (0..40)
            .flat_map(|y| ((advance as usize + 8)..200).map(move |x| (x, y)))
            .filter(|&(x, y)| img.data[y * 200 + x] < 250)
            .count();
        assert_eq!(beyond, 0);
    }
}
