//! The ISO/IEC 19794-5 token-frontal image for the chip, fitted to a byte budget.
//!
//! Token geometry (ISO/IEC 19794-5:2005, token face image type; kept in the 2011 edition), for
//! an image `W` pixels wide:
//!
//! | | |
//! | --- | --- |
//! | image height | `W / 0.75` |
//! | eye line, from the top | `0.6 W` |
//! | image-left eye (the subject's right) | `x = 0.375 W` |
//! | image-right eye (the subject's left) | `x = 0.625 W - 1` |
//! | eye to eye | `0.25 W` (inclusive), at least 60 pixels: `W` ≥ 240 |
//!
//! [`token_crop`] rotates (levelling the eyes), scales and translates the still so the eyes
//! land there (bilinear sampling; where the still ends, its edge pixels are repeated), and
//! [`token_image`] compresses it with baseline JPEG (4:2:0, optimised Huffman tables): a binary search finds the highest quality
//! that fits the budget; when even [`TokenOptions::min_quality`] does not fit, the width
//! shrinks by 15 % and the search runs again (the geometry stays exact, the eye distance falls
//! under the standard's 60 pixels: the result says so through its width).

use jpeg_encoder::{ColorType, Encoder, SamplingFactor};
use rekam_hal::{PixelFormat, RawImage};

use super::{EyeCentres, FaceError};

/// The options of [`token_image`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenOptions {
    /// Token width to try first, pixels (ISO/IEC 19794-5: at least 240).
    pub width: u32,
    /// Largest JPEG size, bytes (the station's chip photo budget, 4000 today).
    pub budget: usize,
    /// Lowest JPEG quality tried before the width shrinks (1-100).
    pub min_quality: u8,
    /// Narrowest width tried before giving up, pixels.
    pub min_width: u32,
}

impl Default for TokenOptions {
    fn default() -> Self {
        TokenOptions {
            width: 240,
            budget: 4000,
            min_quality: 25,
            min_width: 120,
        }
    }
}

/// A compressed token image.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenImage {
    /// Baseline JPEG bytes.
    pub jpeg: Vec<u8>,
    /// Width, pixels.
    pub width: u32,
    /// Height, pixels.
    pub height: u32,
    /// The JPEG quality used.
    pub quality: u8,
}

impl std::fmt::Debug for TokenImage {
    // The bytes are a face: never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenImage")
            .field("bytes", &self.jpeg.len())
            .field("width", &self.width)
            .field("height", &self.height)
            .field("quality", &self.quality)
            .finish()
    }
}

/// Where the token geometry puts the eyes in a `width`-pixel-wide token, pixel indices
/// (image-left eye first).
pub fn token_eyes(width: u32) -> [(f32, f32); 2] {
    let w = width as f32;
    [(0.375 * w, 0.6 * w), (0.625 * w - 1.0, 0.6 * w)]
}

/// The token height for `width`: `W / 0.75`, rounded.
pub fn token_height(width: u32) -> u32 {
    (width as f32 / 0.75).round() as u32
}

/// Crops `image` (RGB or grey) to the token geometry, `width` pixels wide, from the eye
/// centres `eyes` (continuous coordinates: a pixel's centre is at its index + 0.5).
pub fn token_crop(image: &RawImage, eyes: &EyeCentres, width: u32) -> Result<RawImage, FaceError> {
    if !image.is_consistent() {
        return Err(FaceError::BadBuffer {
            len: image.data.len(),
            width: image.width,
            height: image.height,
        });
    }
    if image.width == 0 || image.height == 0 || image.data.is_empty() {
        return Err(FaceError::Empty);
    }
    if !(16..=4096).contains(&width) {
        return Err(FaceError::BadOption("token width must be 16-4096 pixels"));
    }
    let d = eyes.distance();
    if !d.is_finite() || d < 1.0 {
        return Err(FaceError::BadOption("the eye centres must be apart"));
    }
    let height = token_height(width);
    let [tl, tr] = token_eyes(width);
    // Token continuous coordinates of the eye centres.
    let (tlx, tly) = (tl.0 + 0.5, tl.1 + 0.5);
    let s = d / (tr.0 - tl.0);
    let theta = (eyes.right.1 - eyes.left.1).atan2(eyes.right.0 - eyes.left.0);
    let (sn, cs) = theta.sin_cos();
    let ch = image.format.bytes_per_pixel();
    let (sw, sh) = (image.width as usize, image.height as usize);
    let px = |x: i64, y: i64, c: usize| -> f32 {
        let x = x.clamp(0, sw as i64 - 1) as usize;
        let y = y.clamp(0, sh as i64 - 1) as usize;
        f32::from(image.data[(y * sw + x) * ch + c])
    };
    let mut out = Vec::with_capacity(width as usize * height as usize * ch);
    for v in 0..height {
        for u in 0..width {
            let (du, dv) = (u as f32 + 0.5 - tlx, v as f32 + 0.5 - tly);
            let x = eyes.left.0 + s * (du * cs - dv * sn) - 0.5;
            let y = eyes.left.1 + s * (du * sn + dv * cs) - 0.5;
            let (x0, y0) = (x.floor(), y.floor());
            let (fx, fy) = (x - x0, y - y0);
            let (x0, y0) = (x0 as i64, y0 as i64);
            for c in 0..ch {
                let top = px(x0, y0, c) * (1.0 - fx) + px(x0 + 1, y0, c) * fx;
                let bottom = px(x0, y0 + 1, c) * (1.0 - fx) + px(x0 + 1, y0 + 1, c) * fx;
                out.push((top * (1.0 - fy) + bottom * fy).round().clamp(0.0, 255.0) as u8);
            }
        }
    }
    let img = match image.format {
        PixelFormat::Rgb8 => RawImage::rgb(width, height, out),
        PixelFormat::Gray8 => RawImage::gray(width, height, None, out),
    };
    img.ok_or(FaceError::Encode)
}

/// Baseline JPEG, 4:2:0 chroma, optimised Huffman tables (`jpeg-encoder`): about 40 % smaller
/// than the `image` crate's encoder at the same quality, which matters at 4 KB.
fn encode(img: &RawImage, quality: u8) -> Result<Vec<u8>, FaceError> {
    let color = match img.format {
        PixelFormat::Rgb8 => ColorType::Rgb,
        PixelFormat::Gray8 => ColorType::Luma,
    };
    let (w, h) = (
        u16::try_from(img.width).map_err(|_| FaceError::Encode)?,
        u16::try_from(img.height).map_err(|_| FaceError::Encode)?,
    );
    let mut out = Vec::new();
    let mut enc = Encoder::new(&mut out, quality);
    enc.set_sampling_factor(SamplingFactor::F_2_2);
    enc.set_optimized_huffman_tables(true);
    enc.encode(&img.data, w, h, color)
        .map_err(|_| FaceError::Encode)?;
    Ok(out)
}

/// The chip photo: the token crop of `image` at the eye centres `eyes`, as the best JPEG that
/// fits `opts.budget` bytes.
pub fn token_image(
    image: &RawImage,
    eyes: &EyeCentres,
    opts: &TokenOptions,
) -> Result<TokenImage, FaceError> {
    if opts.min_quality == 0 || opts.min_quality > 100 {
        return Err(FaceError::BadOption("min_quality must be 1-100"));
    }
    if opts.min_width < 16 || opts.min_width > opts.width {
        return Err(FaceError::BadOption(
            "min_width must be 16 or more and at most width",
        ));
    }
    let mut width = opts.width;
    loop {
        let crop = token_crop(image, eyes, width)?;
        let smallest = encode(&crop, opts.min_quality)?;
        if smallest.len() <= opts.budget {
            // Binary search for the highest quality that fits: `lo` fits, `hi + 1` does not.
            let (mut lo, mut hi, mut best) =
                (opts.min_quality, 95u8.max(opts.min_quality), smallest);
            while lo < hi {
                let mid = lo + (hi - lo).div_ceil(2);
                let bytes = encode(&crop, mid)?;
                if bytes.len() <= opts.budget {
                    lo = mid;
                    best = bytes;
                } else {
                    hi = mid - 1;
                }
            }
            return Ok(TokenImage {
                jpeg: best,
                width: crop.width,
                height: crop.height,
                quality: lo,
            });
        }
        let next = (width as f32 * 0.85) as u32;
        if next < opts.min_width {
            return Err(FaceError::Budget {
                budget: opts.budget,
            });
        }
        width = next;
    }
}
