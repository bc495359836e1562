//! Synthetic camera frames for tests and the benchmark: a smooth test pattern (gradients and
//! soft blocks, which JPEG keeps well), as MJPEG (4:2:2, like UVC cameras), YUYV (BT.601
//! limited range) or GREY frames, and a helper that strips an MJPEG frame's Huffman tables
//! as many UVC cameras do.

use crate::format::FrameFormat;
use crate::source::Frame;

/// The pattern as packed RGB; `seed` moves it (frame to frame).
pub fn pattern_rgb(width: u32, height: u32, seed: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity(width as usize * height as usize * 3);
    let (w, h) = (width.max(1) as f32, height.max(1) as f32);
    for y in 0..height {
        for x in 0..width {
            let fx = x as f32 / w;
            let fy = y as f32 / h;
            let shift = (seed % 64) as f32 / 64.0;
            let r = 40.0 + 180.0 * ((fx + shift) % 1.0);
            let g = 60.0 + 150.0 * fy;
            let cx = fx - 0.5 - 0.2 * (shift - 0.5);
            let cy = fy - 0.5;
            let d = (cx * cx + cy * cy).sqrt();
            let b = 50.0 + 160.0 * (1.0 - (d * 2.5).min(1.0));
            out.extend_from_slice(&[r as u8, g as u8, b as u8]);
        }
    }
    out
}

/// RGB to YUYV with the BT.601 limited-range forward matrix (chroma of a pixel pair
/// averaged).
pub fn rgb_to_yuyv(rgb: &[u8], width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity(width as usize * height as usize * 2);
    for pair in rgb.chunks_exact(6) {
        let yuv = |p: &[u8]| {
            let (r, g, b) = (f32::from(p[0]), f32::from(p[1]), f32::from(p[2]));
            (
                16.0 + (65.481 * r + 128.553 * g + 24.966 * b) / 255.0,
                128.0 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255.0,
                128.0 + (112.0 * r - 93.786 * g - 18.214 * b) / 255.0,
            )
        };
        let (y0, u0, v0) = yuv(&pair[..3]);
        let (y1, u1, v1) = yuv(&pair[3..]);
        out.extend_from_slice(&[
            y0.round() as u8,
            ((u0 + u1) / 2.0).round() as u8,
            y1.round() as u8,
            ((v0 + v1) / 2.0).round() as u8,
        ]);
    }
    out
}

/// A JPEG of the pattern with 4:2:2 chroma at quality 90 (the standard Huffman tables).
pub fn mjpeg(width: u32, height: u32, seed: u32) -> Vec<u8> {
    let rgb = pattern_rgb(width, height, seed);
    let mut out = Vec::new();
    let mut enc = jpeg_encoder::Encoder::new(&mut out, 90);
    enc.set_sampling_factor(jpeg_encoder::SamplingFactor::F_2_1);
    // The pattern's sizes fit u16; a failure leaves an empty frame, which tests notice.
    let _ = enc.encode(
        &rgb,
        width as u16,
        height as u16,
        jpeg_encoder::ColorType::Rgb,
    );
    out
}

/// A frame of the pattern in `format`.
pub fn frame(format: FrameFormat, width: u32, height: u32, seed: u32) -> Frame {
    let data = match format {
        FrameFormat::Mjpeg => mjpeg(width, height, seed),
        FrameFormat::Yuyv => rgb_to_yuyv(&pattern_rgb(width, height, seed), width, height),
        FrameFormat::Grey => pattern_rgb(width, height, seed)
            .chunks_exact(3)
            .map(|p| {
                ((u32::from(p[0]) * 299 + u32::from(p[1]) * 587 + u32::from(p[2]) * 114) / 1000)
                    as u8
            })
            .collect(),
    };
    Frame {
        format,
        width,
        height,
        data,
        seq: u64::from(seed),
    }
}

/// The JPEG without its DHT segments (as a UVC camera sends MJPEG).
pub fn strip_dht(jpeg: &[u8]) -> Vec<u8> {
    let mut out = jpeg[..2.min(jpeg.len())].to_vec();
    let mut i = 2;
    while i + 4 <= jpeg.len() && jpeg[i] == 0xFF {
        let marker = jpeg[i + 1];
        if marker == 0xDA {
            break;
        }
        let len = usize::from(u16::from_be_bytes([jpeg[i + 2], jpeg[i + 3]]));
        let end = (i + 2 + len).min(jpeg.len());
        if marker != 0xC4 {
            out.extend_from_slice(&jpeg[i..end]);
        }
        i = end;
    }
    out.extend_from_slice(&jpeg[i.min(jpeg.len())..]);
    out
}
