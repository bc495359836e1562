//! JPEG encoding (the `image` crate) and the cheap downscaling behind preview frames.

use image::codecs::jpeg::JpegEncoder;
use image::ExtendedColorType;

use super::SynthError;

/// Preview frame width.
pub const PREVIEW_WIDTH: u32 = 320;
/// Preview frame height.
pub const PREVIEW_HEIGHT: u32 = 240;
/// JPEG quality of preview frames (speed over looks).
pub const PREVIEW_QUALITY: u8 = 70;

/// Encodes 8-bit grey (`channels == 1`) or RGB (`channels == 3`) pixels as baseline JPEG.
pub fn jpeg(
    pixels: &[u8],
    width: u32,
    height: u32,
    channels: u32,
    quality: u8,
) -> Result<Vec<u8>, SynthError> {
    let expected = width as usize * height as usize * channels as usize;
    let color = match channels {
        1 => ExtendedColorType::L8,
        3 => ExtendedColorType::Rgb8,
        _ => ExtendedColorType::Unknown(0),
    };
    if pixels.len() != expected || matches!(color, ExtendedColorType::Unknown(_)) {
        return Err(SynthError::BadBuffer {
            len: pixels.len(),
            width,
            height,
            channels,
        });
    }
    let mut out = Vec::with_capacity(expected / 8 + 1024);
    JpegEncoder::new_with_quality(&mut out, quality).encode(pixels, width, height, color)?;
    Ok(out)
}

/// Fits a `width` x `height` image (`channels` bytes per pixel) into a `out_w` x `out_h` frame
/// (nearest neighbour, letterboxed on `fill`), shifted by `(dx, dy)` source pixels, and blended
/// toward `fill` by `fade` (0 = as is, 1 = all fill): a finger not yet pressed, a face moving.
#[allow(clippy::too_many_arguments)]
pub fn fit(
    src: &[u8],
    width: u32,
    height: u32,
    channels: u32,
    out_w: u32,
    out_h: u32,
    shift: (i32, i32),
    fade: f32,
    fill: [u8; 3],
) -> Vec<u8> {
    let ch = channels as usize;
    let mut out = Vec::with_capacity(out_w as usize * out_h as usize * ch);
    let scale = (width as f32 / out_w as f32).max(height as f32 / out_h as f32);
    let used_w = ((width as f32 / scale) as u32).min(out_w);
    let used_h = ((height as f32 / scale) as u32).min(out_h);
    let off_x = (out_w - used_w) / 2;
    let off_y = (out_h - used_h) / 2;
    let keep = (1.0 - fade).clamp(0.0, 1.0);
    let fill_part = fill.map(|f| f32::from(f) * (1.0 - keep));
    // Source offset of every output column (None: letterbox or off the image).
    let source = |o: u32, off: u32, used: u32, size: u32, shift: i32| -> Option<usize> {
        if o < off || o >= off + used {
            return None;
        }
        let s = ((o - off) as f32 + 0.5) * scale;
        let s = s as i64 + i64::from(shift);
        (0..i64::from(size)).contains(&s).then_some(s as usize)
    };
    let columns: Vec<Option<usize>> = (0..out_w)
        .map(|ox| source(ox, off_x, used_w, width, shift.0))
        .collect();
    for oy in 0..out_h {
        let row = source(oy, off_y, used_h, height, shift.1);
        for col in &columns {
            match (row, col) {
                (Some(sy), Some(sx)) => {
                    let i = (sy * width as usize + sx) * ch;
                    for c in 0..ch {
                        out.push((f32::from(src[i + c]) * keep + fill_part[c.min(2)]) as u8);
                    }
                }
                _ => out.extend(fill.iter().take(ch)),
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn jpeg_round_trips_dimensions_and_refuses_bad_buffers() {
        let px: Vec<u8> = (0..64 * 48).map(|i| (i % 251) as u8).collect();
        let bytes = jpeg(&px, 64, 48, 1, 80).unwrap();
        assert_eq!(&bytes[..2], &[0xFF, 0xD8]);
        let img = image::load_from_memory(&bytes).unwrap();
        assert_eq!((img.width(), img.height()), (64, 48));
        assert!(matches!(
            jpeg(&px, 64, 49, 1, 80),
            Err(SynthError::BadBuffer { .. })
        ));
        assert!(jpeg(&px, 64, 16, 3, 80).is_ok());
        assert!(jpeg(&px, 64, 48, 2, 80).is_err());
    }

    #[test]
    fn fit_letterboxes_and_fades() {
        let src = vec![0u8; 1600 * 1000];
        let out = fit(&src, 1600, 1000, 1, 320, 240, (0, 0), 0.0, [255; 3]);
        assert_eq!(out.len(), 320 * 240);
        assert_eq!(out[0], 255, "letterbox band on top");
        assert_eq!(out[120 * 320 + 160], 0, "image in the middle");
        let faded = fit(&src, 1600, 1000, 1, 320, 240, (0, 0), 0.5, [200; 3]);
        assert_eq!(faded[120 * 320 + 160], 100);
    }

    #[test]
    fn preview_jpeg_speed_is_reported() {
        // Timing is printed, not asserted (debug builds and busy CI machines differ).
        let src: Vec<u8> = (0..1600 * 1000).map(|i| ((i * 7) % 256) as u8).collect();
        let rgb: Vec<u8> = (0..640 * 480 * 3).map(|i| ((i * 13) % 256) as u8).collect();
        let n = 10;
        let start = Instant::now();
        for i in 0..n {
            let frame = fit(
                &src,
                1600,
                1000,
                1,
                PREVIEW_WIDTH,
                PREVIEW_HEIGHT,
                (i, 0),
                0.1,
                [240; 3],
            );
            jpeg(&frame, PREVIEW_WIDTH, PREVIEW_HEIGHT, 1, PREVIEW_QUALITY).unwrap();
        }
        let grey = start.elapsed() / n as u32;
        let start = Instant::now();
        for i in 0..n {
            let frame = fit(
                &rgb,
                640,
                480,
                3,
                PREVIEW_WIDTH,
                PREVIEW_HEIGHT,
                (i, 0),
                0.0,
                [0; 3],
            );
            jpeg(&frame, PREVIEW_WIDTH, PREVIEW_HEIGHT, 3, PREVIEW_QUALITY).unwrap();
        }
        let colour = start.elapsed() / n as u32;
        println!("preview frame (fit + JPEG 320x240): grey {grey:?}, RGB {colour:?}");
    }
}
