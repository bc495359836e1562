//! PWG Raster (PWG 5102.4), the one raster format every IPP Everywhere printer takes: the
//! driver sends it when a printer does not offer `image/png`.
//!
//! Written here because no maintained crate encodes PWG Raster (crates.io has none that
//! writes it; CUPS's libcups is C). The format is small: the `RaS2` sync word, then per page
//! a 1796-byte big-endian header and the pixels, each group of identical lines as a repeat
//! count followed by the line in a PackBits-like run-length code. One page, 8-bit sRGB or
//! grey, is all the station prints. [`decode`] reads what [`encode`] writes (and what other
//! encoders write for such pages), so tests can check what a printer received.

use rekam_hal::{PixelFormat, RawImage};

/// Size of a page header.
const HEADER: usize = 1796;
/// `cupsColorSpace` values.
const SGRAY: u32 = 18;
const SRGB: u32 = 19;

/// Why a PWG raster stream could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PwgError {
    /// The stream does not start with `RaS2`, or ends early.
    #[error("not a PWG raster stream, or cut short")]
    Truncated,
    /// The header describes a page this reader does not take.
    #[error("unsupported PWG raster page: {0}")]
    Unsupported(String),
    /// The image given to the encoder is inconsistent.
    #[error("the image's pixels do not match its size")]
    BadImage,
}

fn put_u32(h: &mut [u8], offset: usize, v: u32) {
    h[offset..offset + 4].copy_from_slice(&v.to_be_bytes());
}

fn put_str(h: &mut [u8], offset: usize, s: &str) {
    let bytes = s.as_bytes();
    let n = bytes.len().min(63);
    h[offset..offset + n].copy_from_slice(&bytes[..n]);
}

fn get_u32(h: &[u8], offset: usize) -> u32 {
    let mut b = [0u8; 4];
    b.copy_from_slice(&h[offset..offset + 4]);
    u32::from_be_bytes(b)
}

/// Encodes `image` as a one-page PWG raster stream at `dpi`, naming the page size
/// `media` (a PWG media name such as `iso_a6_105x148mm`, may be empty).
pub fn encode(image: &RawImage, dpi: u32, media: &str) -> Result<Vec<u8>, PwgError> {
    if !image.is_consistent() || image.width == 0 || image.height == 0 || dpi == 0 {
        return Err(PwgError::BadImage);
    }
    let bpp = image.format.bytes_per_pixel();
    let mut h = vec![0u8; HEADER];
    put_str(&mut h, 0, "PwgRaster");
    put_u32(&mut h, 276, dpi);
    put_u32(&mut h, 280, dpi);
    put_u32(&mut h, 340, 1); // NumCopies
    put_u32(&mut h, 352, image.width * 72 / dpi); // PageSize, points
    put_u32(&mut h, 356, image.height * 72 / dpi);
    put_u32(&mut h, 372, image.width);
    put_u32(&mut h, 376, image.height);
    put_u32(&mut h, 384, 8); // BitsPerColor
    put_u32(&mut h, 388, 8 * bpp as u32); // BitsPerPixel
    put_u32(&mut h, 392, image.width * bpp as u32); // BytesPerLine
    put_u32(&mut h, 396, 0); // ColorOrder: chunky
    put_u32(
        &mut h,
        400,
        match image.format {
            PixelFormat::Gray8 => SGRAY,
            PixelFormat::Rgb8 => SRGB,
        },
    );
    put_u32(&mut h, 420, bpp as u32); // NumColors
    put_u32(&mut h, 452, 1); // TotalPageCount
    put_u32(&mut h, 456, 1); // CrossFeedTransform
    put_u32(&mut h, 460, 1); // FeedTransform
    put_str(&mut h, 1668, "perceptual");
    put_str(&mut h, 1732, media);

    let mut out = Vec::with_capacity(4 + HEADER + image.data.len() / 4);
    out.extend_from_slice(b"RaS2");
    out.extend_from_slice(&h);
    let line_len = image.width as usize * bpp;
    let lines: Vec<&[u8]> = image.data.chunks(line_len).collect();
    let mut y = 0;
    while y < lines.len() {
        let mut repeat = 1;
        while y + repeat < lines.len() && repeat < 256 && lines[y + repeat] == lines[y] {
            repeat += 1;
        }
        out.push((repeat - 1) as u8);
        encode_line(lines[y], bpp, &mut out);
        y += repeat;
    }
    Ok(out)
}

/// One line: runs of 1..=128 equal pixels as `count - 1` then the pixel; literal stretches
/// of 2..=127 differing pixels as `257 - count` then the pixels.
fn encode_line(line: &[u8], bpp: usize, out: &mut Vec<u8>) {
    let px: Vec<&[u8]> = line.chunks(bpp).collect();
    let mut i = 0;
    while i < px.len() {
        let mut run = 1;
        while i + run < px.len() && run < 128 && px[i + run] == px[i] {
            run += 1;
        }
        if run > 1 || i + 1 == px.len() {
            out.push((run - 1) as u8);
            out.extend_from_slice(px[i]);
            i += run;
            continue;
        }
        // A literal stretch: up to the next pair of equal pixels.
        let start = i;
        while i < px.len() && i - start < 127 && !(i + 1 < px.len() && px[i + 1] == px[i]) {
            i += 1;
        }
        let count = i - start;
        if count == 1 {
            out.push(0);
            out.extend_from_slice(px[start]);
        } else {
            out.push((257 - count) as u8);
            for p in &px[start..i] {
                out.extend_from_slice(p);
            }
        }
    }
}

/// A decoded page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PwgPage {
    /// Resolution (cross-feed, feed), dpi.
    pub dpi: (u32, u32),
    /// The page size name in the header.
    pub media: String,
    /// The pixels.
    pub image: RawImage,
}

/// Decodes the first page of a PWG raster stream (8-bit sGray or sRGB, chunky).
pub fn decode(bytes: &[u8]) -> Result<PwgPage, PwgError> {
    if bytes.len() < 4 + HEADER || &bytes[..4] != b"RaS2" {
        return Err(PwgError::Truncated);
    }
    let h = &bytes[4..4 + HEADER];
    let width = get_u32(h, 372);
    let height = get_u32(h, 376);
    let bits_color = get_u32(h, 384);
    let bits_pixel = get_u32(h, 388);
    let format = match (get_u32(h, 400), bits_color, bits_pixel) {
        (SGRAY, 8, 8) => PixelFormat::Gray8,
        (SRGB, 8, 24) => PixelFormat::Rgb8,
        (cs, bc, bp) => {
            return Err(PwgError::Unsupported(format!(
                "color space {cs}, {bc} bits per color, {bp} bits per pixel"
            )))
        }
    };
    let bpp = format.bytes_per_pixel();
    let line_len = width as usize * bpp;
    let total = line_len
        .checked_mul(height as usize)
        .filter(|n| *n <= 1 << 28)
        .ok_or_else(|| PwgError::Unsupported("page too large".into()))?;
    let mut data = Vec::with_capacity(total);
    let mut pos = 4 + HEADER;
    let mut take = |n: usize| -> Result<&[u8], PwgError> {
        let s = bytes.get(pos..pos + n).ok_or(PwgError::Truncated)?;
        pos += n;
        Ok(s)
    };
    while data.len() < total {
        let repeat = usize::from(take(1)?[0]) + 1;
        let mut line = Vec::with_capacity(line_len);
        while line.len() < line_len {
            let c = take(1)?[0];
            if c == 128 {
                line.resize(line_len, 255);
            } else if c > 128 {
                let n = (257 - usize::from(c)) * bpp;
                line.extend_from_slice(take(n)?);
            } else {
                let p = take(bpp)?.to_vec();
                for _ in 0..=c {
                    line.extend_from_slice(&p);
                }
            }
        }
        line.truncate(line_len);
        for _ in 0..repeat {
            if data.len() < total {
                data.extend_from_slice(&line);
            }
        }
    }
    let media_raw = &h[1732..1796];
    let media =
        String::from_utf8_lossy(media_raw.split(|b| *b == 0).next().unwrap_or(&[])).into_owned();
    Ok(PwgPage {
        dpi: (get_u32(h, 276), get_u32(h, 280)),
        media,
        image: RawImage {
            width,
            height,
            format,
            ppi: u16::try_from(get_u32(h, 276)).ok(),
            data,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(w: u32, h: u32) -> RawImage {
        let mut data = Vec::new();
        for y in 0..h {
            for x in 0..w {
                // Flat areas, repeated lines and noisy stretches.
                let v = if y < h / 3 {
                    200
                } else if x % 7 == 0 {
                    (x * 31 + y * 17) as u8
                } else {
                    (x / 5) as u8
                };
                data.extend_from_slice(&[v, v.wrapping_add(1), (y % 256) as u8]);
            }
        }
        RawImage::rgb(w, h, data).unwrap()
    }

    #[test]
    fn round_trips_an_rgb_page() {
        let img = sample(301, 97);
        let bytes = encode(&img, 300, "custom_cr80_53.98x85.6mm").unwrap();
        assert!(
            bytes.len() < img.data.len(),
            "the encoding compresses flat areas"
        );
        let page = decode(&bytes).unwrap();
        assert_eq!(page.dpi, (300, 300));
        assert_eq!(page.media, "custom_cr80_53.98x85.6mm");
        assert_eq!(page.image.data, img.data);
        assert_eq!((page.image.width, page.image.height), (301, 97));
    }

    #[test]
    fn round_trips_grey_and_single_pixels() {
        for (w, h) in [(1, 1), (2, 1), (3, 300), (129, 2)] {
            let data: Vec<u8> = (0..w * h).map(|i| (i * 37 % 251) as u8).collect();
            let img = RawImage::gray(w, h, None, data).unwrap();
            let page = decode(&encode(&img, 203, "").unwrap()).unwrap();
            assert_eq!(page.image.data, img.data, "{w}x{h}");
        }
    }

    #[test]
    fn refuses_garbage() {
        assert_eq!(decode(b"RaS2"), Err(PwgError::Truncated));
        let img = sample(10, 10);
        let mut bytes = encode(&img, 300, "").unwrap();
        bytes.truncate(bytes.len() - 3);
        assert_eq!(decode(&bytes), Err(PwgError::Truncated));
    }
}
