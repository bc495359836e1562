//! The checked input image in the forms the checks need: BT.601 luma for detection and
//! geometry, ISO/IEC 29794-5 relative luminance for the photometric measures, and an
//! integral image for box sums.

use image::ImageReader;
use rekam_hal::{PixelFormat, RawImage};

use super::FaceError;

/// The smallest image side accepted, pixels.
pub const MIN_SIDE: u32 = 64;
/// The largest image side accepted, pixels (a 40-megapixel camera's long side).
pub const MAX_SIDE: u32 = 8192;

/// A decoded image: size, RGB pixels (or grey), luma and luminance.
pub(crate) struct Frame<'a> {
    pub(crate) width: usize,
    pub(crate) height: usize,
    /// RGB pixels when the image has colour.
    pub(crate) rgb: Option<&'a [u8]>,
    /// BT.601 luma (gamma-encoded grey), what a camera's grey picture is.
    pub(crate) luma: Vec<u8>,
    /// Relative luminance `Y = 0.2126 R + 0.7152 G + 0.0722 B` of the linearised sRGB values,
    /// scaled to 0-255 (OFIQ's `GetLuminanceImageFromBGR`).
    pub(crate) luminance: Vec<u8>,
    /// Integral image of `luma`, `(width + 1) * (height + 1)` entries.
    integral: Vec<u32>,
}

/// sRGB component (0-255) to linear light (0-1).
pub(crate) fn linear(c: u8) -> f32 {
    let v = f32::from(c) / 255.0;
    if v <= 0.04045 {
        v / 12.92
    } else {
        ((v + 0.055) / 1.055).powf(2.4)
    }
}

impl<'a> Frame<'a> {
    /// Checks `image` and derives luma, luminance and the integral image.
    pub(crate) fn new(image: &'a RawImage) -> Result<Self, FaceError> {
        let (w, h) = (image.width, image.height);
        let bpp = image.format.bytes_per_pixel();
        let expected = (w as usize)
            .checked_mul(h as usize)
            .and_then(|n| n.checked_mul(bpp));
        if expected != Some(image.data.len()) {
            return Err(FaceError::BadBuffer {
                len: image.data.len(),
                width: w,
                height: h,
            });
        }
        if w == 0 || h == 0 {
            return Err(FaceError::Empty);
        }
        if w < MIN_SIDE || h < MIN_SIDE || w > MAX_SIDE || h > MAX_SIDE {
            return Err(FaceError::Size {
                width: w,
                height: h,
            });
        }
        let lin: Vec<f32> = (0..=255u8).map(linear).collect();
        let lin = |c: u8| lin[usize::from(c)];
        let (rgb, luma, luminance) = match image.format {
            PixelFormat::Rgb8 => {
                let mut luma = Vec::with_capacity(image.data.len() / 3);
                let mut lum = Vec::with_capacity(image.data.len() / 3);
                for p in image.data.chunks_exact(3) {
                    let (r, g, b) = (p[0], p[1], p[2]);
                    let y =
                        (299 * u32::from(r) + 587 * u32::from(g) + 114 * u32::from(b) + 500) / 1000;
                    luma.push(y as u8);
                    let l = 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
                    lum.push((l * 255.0 + 0.5) as u8);
                }
                (Some(image.data.as_slice()), luma, lum)
            }
            PixelFormat::Gray8 => {
                let lum = image
                    .data
                    .iter()
                    .map(|&g| (lin(g) * 255.0 + 0.5) as u8)
                    .collect();
                (None, image.data.clone(), lum)
            }
        };
        let (wu, hu) = (w as usize, h as usize);
        let mut integral = vec![0u32; (wu + 1) * (hu + 1)];
        for y in 0..hu {
            let mut row = 0u32;
            for x in 0..wu {
                row += u32::from(luma[y * wu + x]);
                integral[(y + 1) * (wu + 1) + x + 1] = integral[y * (wu + 1) + x + 1] + row;
            }
        }
        Ok(Frame {
            width: wu,
            height: hu,
            rgb,
            luma,
            luminance,
            integral,
        })
    }

    /// Mean luma over the box `[x0, x1) x [y0, y1)` clipped to the image (0 when empty).
    #[inline]
    pub(crate) fn box_mean(&self, x0: i64, y0: i64, x1: i64, y1: i64) -> f32 {
        let cx = |v: i64| v.clamp(0, self.width as i64) as usize;
        let cy = |v: i64| v.clamp(0, self.height as i64) as usize;
        let (x0, x1, y0, y1) = (cx(x0), cx(x1), cy(y0), cy(y1));
        if x1 <= x0 || y1 <= y0 {
            return 0.0;
        }
        let s = self.width + 1;
        let sum = i64::from(self.integral[y1 * s + x1])
            - i64::from(self.integral[y0 * s + x1])
            - i64::from(self.integral[y1 * s + x0])
            + i64::from(self.integral[y0 * s + x0]);
        sum as f32 / ((x1 - x0) * (y1 - y0)) as f32
    }

    /// The RGB pixel at `(x, y)` (grey repeated for a grey image).
    #[inline]
    pub(crate) fn rgb_at(&self, x: usize, y: usize) -> [u8; 3] {
        let i = y * self.width + x;
        match self.rgb {
            Some(rgb) => [rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]],
            None => [self.luma[i]; 3],
        }
    }
}

/// Decodes JPEG or PNG bytes to an RGB [`RawImage`].
pub fn decode(bytes: &[u8]) -> Result<RawImage, FaceError> {
    if bytes.is_empty() {
        return Err(FaceError::Empty);
    }
    let img = ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| FaceError::Decode)?
        .decode()
        .map_err(|_| FaceError::Decode)?
        .to_rgb8();
    let (w, h) = img.dimensions();
    RawImage::rgb(w, h, img.into_raw()).ok_or(FaceError::Decode)
}
