//! Frame decoding: MJPEG through the `image` crate's JPEG decoder (zune-jpeg, which supplies
//! the standard Huffman tables that UVC cameras leave out of their frames), YUYV to RGB and
//! to grey, GREY as is; downscaling and JPEG encoding for previews and stills
//! (`jpeg-encoder`).
//!
//! The YUYV conversion is written here (a colour matrix is a few lines; no crate worth a
//! dependency does only this). It follows ITU-R BT.601 with limited ("studio") range, which
//! is what UVC cameras send: `Y` 16-235, `U`/`V` 16-240 around 128. In fixed point, scaled by
//! 2^16:
//! `R = 1.164 (Y-16) + 1.596 (V-128)`, `G = 1.164 (Y-16) - 0.392 (U-128) - 0.813 (V-128)`,
//! `B = 1.164 (Y-16) + 2.017 (U-128)`, clamped to 0-255. Grey from YUYV is the luminance
//! expanded to full range: `1.164 (Y-16)`.

use rekam_hal::{PixelFormat, RawImage};

use crate::error::CameraError;
use crate::format::FrameFormat;
use crate::source::Frame;

const ONE: i32 = 1 << 16;
const HALF: i32 = 1 << 15;
/// 1.164 * 2^16, and so on (BT.601 limited range).
const K_Y: i32 = 76_284;
const K_RV: i32 = 104_595;
const K_GU: i32 = 25_624;
const K_GV: i32 = 53_280;
const K_BU: i32 = 132_186;

fn clamp8(v: i32) -> u8 {
    v.clamp(0, 255) as u8
}

/// Checks that `data` holds a whole `width` x `height` frame of `format` (MJPEG: any size).
fn check_len(format: FrameFormat, width: u32, height: u32, data: &[u8]) -> Result<(), CameraError> {
    if width % 2 == 1 && format == FrameFormat::Yuyv {
        return Err(CameraError::decode("a YUYV frame has an even width"));
    }
    match format.frame_len(width, height) {
        Some(n) if data.len() < n => Err(CameraError::decode(format!(
            "a {format} {width}x{height} frame is {n} bytes, got {}",
            data.len()
        ))),
        _ => Ok(()),
    }
}

/// YUYV (`Y0 U Y1 V`, two pixels in four bytes) to packed RGB.
pub fn yuyv_to_rgb(data: &[u8], width: u32, height: u32) -> Result<Vec<u8>, CameraError> {
    check_len(FrameFormat::Yuyv, width, height, data)?;
    let pixels = width as usize * height as usize;
    let mut out = Vec::with_capacity(pixels * 3);
    for quad in data[..pixels * 2].chunks_exact(4) {
        let u = i32::from(quad[1]) - 128;
        let v = i32::from(quad[3]) - 128;
        let r = K_RV * v + HALF;
        let g = -K_GU * u - K_GV * v + HALF;
        let b = K_BU * u + HALF;
        for y in [quad[0], quad[2]] {
            let y = K_Y * (i32::from(y) - 16);
            out.push(clamp8((y + r) >> 16));
            out.push(clamp8((y + g) >> 16));
            out.push(clamp8((y + b) >> 16));
        }
    }
    Ok(out)
}

/// YUYV to 8-bit grey: the luminance, expanded from 16-235 to 0-255.
pub fn yuyv_to_grey(data: &[u8], width: u32, height: u32) -> Result<Vec<u8>, CameraError> {
    check_len(FrameFormat::Yuyv, width, height, data)?;
    let pixels = width as usize * height as usize;
    Ok(data[..pixels * 2]
        .iter()
        .step_by(2)
        .map(|y| clamp8((K_Y * (i32::from(*y) - 16) + HALF) >> 16))
        .collect())
}

/// RGB to grey with the BT.601 luma weights (0.299, 0.587, 0.114).
fn rgb_to_grey(rgb: &[u8]) -> Vec<u8> {
    rgb.chunks_exact(3)
        .map(|p| {
            let y = 19_595 * i32::from(p[0]) + 38_470 * i32::from(p[1]) + 7_471 * i32::from(p[2]);
            clamp8((y + HALF) / ONE)
        })
        .collect()
}

/// Decodes a JPEG (an MJPEG frame), as RGB or grey as it was encoded. A frame without its
/// Huffman tables gets the standard ones; a frame cut short (no end-of-image marker) is a
/// decode error, though the decoder itself would fill the missing part in.
pub fn decode_jpeg(bytes: &[u8]) -> Result<RawImage, CameraError> {
    if !is_complete_jpeg(bytes) {
        return Err(CameraError::decode(
            "an MJPEG frame is cut short (no end-of-image marker)",
        ));
    }
    let bytes = with_huffman_tables(bytes);
    let img = image::load_from_memory_with_format(&bytes, image::ImageFormat::Jpeg)
        .map_err(|e| CameraError::decode(format!("an MJPEG frame does not decode: {e}")))?;
    let (w, h) = (img.width(), img.height());
    let raw = match img {
        image::DynamicImage::ImageLuma8(g) => RawImage::gray(w, h, None, g.into_raw()),
        other => RawImage::rgb(w, h, other.to_rgb8().into_raw()),
    };
    raw.ok_or_else(|| CameraError::decode("a decoded frame has the wrong size"))
}

/// A frame as a colour image (RGB; a GREY frame stays grey).
pub fn to_colour(frame: &Frame) -> Result<RawImage, CameraError> {
    check_len(frame.format, frame.width, frame.height, &frame.data)?;
    let (w, h) = (frame.width, frame.height);
    let bad = || CameraError::decode("a converted frame has the wrong size");
    match frame.format {
        FrameFormat::Mjpeg => decode_jpeg(&frame.data),
        FrameFormat::Yuyv => RawImage::rgb(w, h, yuyv_to_rgb(&frame.data, w, h)?).ok_or_else(bad),
        FrameFormat::Grey => {
            RawImage::gray(w, h, None, frame.data[..(w * h) as usize].to_vec()).ok_or_else(bad)
        }
    }
}

/// A frame as an 8-bit grey image (the iris path).
pub fn to_grey(frame: &Frame) -> Result<RawImage, CameraError> {
    check_len(frame.format, frame.width, frame.height, &frame.data)?;
    let (w, h) = (frame.width, frame.height);
    let bad = || CameraError::decode("a converted frame has the wrong size");
    match frame.format {
        FrameFormat::Grey => {
            RawImage::gray(w, h, None, frame.data[..(w * h) as usize].to_vec()).ok_or_else(bad)
        }
        FrameFormat::Yuyv => {
            RawImage::gray(w, h, None, yuyv_to_grey(&frame.data, w, h)?).ok_or_else(bad)
        }
        FrameFormat::Mjpeg => {
            let img = decode_jpeg(&frame.data)?;
            match img.format {
                PixelFormat::Gray8 => Ok(img),
                PixelFormat::Rgb8 => {
                    RawImage::gray(img.width, img.height, None, rgb_to_grey(&img.data))
                        .ok_or_else(bad)
                }
            }
        }
    }
}

/// Downscales `img` to at most `max_width` wide, keeping its aspect (box filter: cheap, and
/// enough for a preview). Images already small enough are returned as they are.
pub fn fit_width(img: RawImage, max_width: u32) -> RawImage {
    if img.width <= max_width || max_width == 0 {
        return img;
    }
    let (w, h) = (img.width, img.height);
    let nw = max_width;
    let nh = ((u64::from(h) * u64::from(nw)) / u64::from(w)).max(1) as u32;
    let small = match img.format {
        PixelFormat::Rgb8 => image::RgbImage::from_raw(w, h, img.data)
            .map(|b| image::imageops::thumbnail(&b, nw, nh).into_raw()),
        PixelFormat::Gray8 => image::GrayImage::from_raw(w, h, img.data)
            .map(|b| image::imageops::thumbnail(&b, nw, nh).into_raw()),
    };
    match small {
        Some(data) => RawImage {
            width: nw,
            height: nh,
            format: img.format,
            ppi: img.ppi,
            data,
        },
        // Unreachable for a consistent image; an inconsistent one is returned empty.
        None => RawImage {
            width: 0,
            height: 0,
            format: img.format,
            ppi: None,
            data: Vec::new(),
        },
    }
}

/// Encodes a raw image as baseline JPEG at `quality` (1-100).
pub fn encode_jpeg(img: &RawImage, quality: u8) -> Result<Vec<u8>, CameraError> {
    let (w, h) = (
        u16::try_from(img.width).map_err(|_| CameraError::decode("image too wide for JPEG"))?,
        u16::try_from(img.height).map_err(|_| CameraError::decode("image too tall for JPEG"))?,
    );
    let colour = match img.format {
        PixelFormat::Rgb8 => jpeg_encoder::ColorType::Rgb,
        PixelFormat::Gray8 => jpeg_encoder::ColorType::Luma,
    };
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, quality)
        .encode(&img.data, w, h, colour)
        .map_err(|e| CameraError::decode(format!("JPEG encoding failed: {e}")))?;
    Ok(out)
}

/// True when a JPEG starts with SOI and ends with EOI (UVC frames may carry a few bytes of
/// zero padding after it). A frame cut short by the USB transfer has no EOI.
pub fn is_complete_jpeg(jpeg: &[u8]) -> bool {
    let end = jpeg.iter().rposition(|b| *b != 0).map_or(0, |i| i + 1);
    jpeg.starts_with(&[0xFF, 0xD8]) && end >= 4 && jpeg[..end].ends_with(&[0xFF, 0xD9])
}

/// The standard Huffman tables (ITU-T T.81 Annex K.3: luminance and chrominance, DC and
/// AC) as DHT segments. Taken once from a tiny JPEG made by `jpeg-encoder`, which writes
/// exactly these tables unless asked to optimise them: typing 400 table bytes by hand would
/// be the riskier way.
fn standard_dht() -> &'static [u8] {
    static DHT: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    DHT.get_or_init(|| {
        let mut jpeg = Vec::new();
        let pixels = [128u8; 16 * 16 * 3];
        if jpeg_encoder::Encoder::new(&mut jpeg, 90)
            .encode(&pixels, 16, 16, jpeg_encoder::ColorType::Rgb)
            .is_err()
        {
            return Vec::new();
        }
        segments(&jpeg)
            .into_iter()
            .filter(|(marker, _)| *marker == 0xC4)
            .flat_map(|(_, bytes)| bytes.to_vec())
            .collect()
    })
}

/// The marker segments of a JPEG header, up to the start of scan: (marker, whole segment).
fn segments(jpeg: &[u8]) -> Vec<(u8, &[u8])> {
    let mut out = Vec::new();
    let mut i = 2;
    while i + 4 <= jpeg.len() && jpeg[i] == 0xFF {
        let marker = jpeg[i + 1];
        if marker == 0xDA {
            break;
        }
        let len = usize::from(u16::from_be_bytes([jpeg[i + 2], jpeg[i + 3]]));
        let end = (i + 2 + len).min(jpeg.len());
        out.push((marker, &jpeg[i..end]));
        i = end;
    }
    out
}

/// The JPEG with the standard Huffman tables inserted before its scan when it has none (as
/// UVC cameras send MJPEG); otherwise as it is.
pub fn with_huffman_tables(jpeg: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if has_huffman_tables(jpeg) || !jpeg.starts_with(&[0xFF, 0xD8]) {
        return std::borrow::Cow::Borrowed(jpeg);
    }
    let header: usize = 2 + segments(jpeg).iter().map(|(_, b)| b.len()).sum::<usize>();
    let mut out = Vec::with_capacity(jpeg.len() + standard_dht().len());
    out.extend_from_slice(&jpeg[..header.min(jpeg.len())]);
    out.extend_from_slice(standard_dht());
    out.extend_from_slice(&jpeg[header.min(jpeg.len())..]);
    std::borrow::Cow::Owned(out)
}

/// True when a JPEG carries its own Huffman tables (a DHT segment before the scan). UVC
/// cameras often leave them out and rely on the standard tables.
pub fn has_huffman_tables(jpeg: &[u8]) -> bool {
    let mut i = 2; // after SOI
    while i + 4 <= jpeg.len() {
        if jpeg[i] != 0xFF {
            return false;
        }
        let marker = jpeg[i + 1];
        match marker {
            0xC4 => return true,
            0xDA | 0xD9 => return false, // start of scan, end of image
            0xFF => {
                i += 1; // fill byte
                continue;
            }
            _ => {}
        }
        let len = usize::from(u16::from_be_bytes([jpeg[i + 2], jpeg[i + 3]]));
        i += 2 + len;
    }
    false
}

/// The frame's JPEG dimensions from its SOF header, without decoding.
pub fn jpeg_size(jpeg: &[u8]) -> Option<(u32, u32)> {
    let mut i = 2;
    while i + 9 <= jpeg.len() {
        if jpeg[i] != 0xFF {
            return None;
        }
        let marker = jpeg[i + 1];
        if marker == 0xFF {
            i += 1;
            continue;
        }
        if matches!(marker, 0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF) {
            let h = u16::from_be_bytes([jpeg[i + 5], jpeg[i + 6]]);
            let w = u16::from_be_bytes([jpeg[i + 7], jpeg[i + 8]]);
            return Some((u32::from(w), u32::from(h)));
        }
        if marker == 0xDA {
            return None;
        }
        let len = usize::from(u16::from_be_bytes([jpeg[i + 2], jpeg[i + 3]]));
        i += 2 + len;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testframes;
    use proptest::prelude::*;

    /// Limited-range YUV of a colour, by the BT.601 forward matrix (an independent check of
    /// the inverse written above).
    fn yuv_of(r: f32, g: f32, b: f32) -> (u8, u8, u8) {
        let y = 16.0 + 65.481 * r / 255.0 + 128.553 * g / 255.0 + 24.966 * b / 255.0;
        let u = 128.0 - 37.797 * r / 255.0 - 74.203 * g / 255.0 + 112.0 * b / 255.0;
        let v = 128.0 + 112.0 * r / 255.0 - 93.786 * g / 255.0 - 18.214 * b / 255.0;
        (y.round() as u8, u.round() as u8, v.round() as u8)
    }

    #[test]
    fn yuyv_primaries_black_and_white_convert_within_two_levels() {
        let colours = [
            (0.0, 0.0, 0.0),
            (255.0, 255.0, 255.0),
            (255.0, 0.0, 0.0),
            (0.0, 255.0, 0.0),
            (0.0, 0.0, 255.0),
            (128.0, 128.0, 128.0),
            (200.0, 150.0, 40.0),
        ];
        for (r, g, b) in colours {
            let (y, u, v) = yuv_of(r, g, b);
            let rgb = yuyv_to_rgb(&[y, u, y, v], 2, 1).unwrap();
            for (got, want) in rgb[..3].iter().zip([r, g, b]) {
                assert!(
                    (f32::from(*got) - want).abs() <= 2.0,
                    "{:?} for {:?}",
                    &rgb[..3],
                    (r, g, b)
                );
            }
            assert_eq!(&rgb[..3], &rgb[3..], "both pixels of a pair share chroma");
        }
        // Out-of-range codes clamp instead of wrapping (G: 1.164*239 - 0.392*127 - 0.813*127).
        assert_eq!(
            yuyv_to_rgb(&[255, 255, 255, 255], 2, 1).unwrap()[..3],
            [255, 125, 255]
        );
        // (G: 1.164*-16 - 0.392*-128 - 0.813*-128 = 135.6.)
        assert_eq!(yuyv_to_rgb(&[0, 0, 0, 0], 2, 1).unwrap()[..3], [0, 135, 0]);
        assert_eq!(
            yuyv_to_grey(&[16, 128, 235, 128], 2, 1).unwrap(),
            vec![0, 255]
        );
        assert_eq!(yuyv_to_grey(&[126, 0, 0, 0], 2, 1).unwrap(), vec![128, 0]);
    }

    #[test]
    fn short_or_odd_frames_are_decode_errors() {
        assert!(yuyv_to_rgb(&[0; 7], 2, 2).is_err());
        assert!(yuyv_to_grey(&[0; 6], 3, 1).is_err());
        let frame = Frame {
            format: FrameFormat::Grey,
            width: 4,
            height: 4,
            data: vec![0; 15],
            seq: 0,
        };
        assert!(to_grey(&frame).is_err());
        let frame = Frame {
            format: FrameFormat::Mjpeg,
            width: 4,
            height: 4,
            data: vec![0xFF, 0xD8, 0xFF, 0xD9],
            seq: 0,
        };
        assert_eq!(
            to_colour(&frame).unwrap_err().kind(),
            crate::error::CameraErrorKind::Decode
        );
    }

    #[test]
    fn generated_mjpeg_and_yuyv_frames_decode_to_the_same_picture() {
        let (w, h) = (320, 240);
        let truth = testframes::pattern_rgb(w, h, 3);
        let yuyv = testframes::frame(FrameFormat::Yuyv, w, h, 3);
        let mjpeg = testframes::frame(FrameFormat::Mjpeg, w, h, 3);
        assert!(has_huffman_tables(&mjpeg.data));
        assert_eq!(jpeg_size(&mjpeg.data), Some((w, h)));
        let a = to_colour(&yuyv).unwrap();
        let b = to_colour(&mjpeg).unwrap();
        assert_eq!((b.width, b.height, b.format), (w, h, PixelFormat::Rgb8));
        let mean_err = |img: &RawImage| {
            img.data
                .iter()
                .zip(&truth)
                .map(|(x, y)| f64::from(x.abs_diff(*y)))
                .sum::<f64>()
                / truth.len() as f64
        };
        // YUYV halves the chroma resolution; JPEG is lossy: both stay close to the pattern.
        assert!(mean_err(&a) < 6.0, "YUYV error {}", mean_err(&a));
        assert!(mean_err(&b) < 8.0, "MJPEG error {}", mean_err(&b));
        let g = to_grey(&mjpeg).unwrap();
        assert_eq!(
            (g.format, g.data.len()),
            (PixelFormat::Gray8, (w * h) as usize)
        );
    }

    #[test]
    fn uvc_style_mjpeg_without_huffman_tables_still_decodes() {
        let framed = testframes::frame(FrameFormat::Mjpeg, 160, 120, 1);
        let stripped = testframes::strip_dht(&framed.data);
        assert!(stripped.len() < framed.data.len());
        assert!(!has_huffman_tables(&stripped));
        // Putting the standard tables back gives the encoder's bytes again.
        let fixed = with_huffman_tables(&stripped);
        assert!(has_huffman_tables(&fixed));
        assert_eq!(fixed.len(), framed.data.len());
        let a = decode_jpeg(&framed.data).unwrap();
        let b = decode_jpeg(&stripped).unwrap();
        assert_eq!(
            a.data, b.data,
            "the standard tables are the ones the encoder used"
        );
        // Without help the decoder refuses such a frame (it has no AVI1 marker).
        assert!(image::load_from_memory_with_format(&stripped, image::ImageFormat::Jpeg).is_err());
    }

    #[test]
    fn a_frame_cut_short_is_refused() {
        let framed = testframes::frame(FrameFormat::Mjpeg, 160, 120, 1).data;
        assert!(is_complete_jpeg(&framed));
        let mut padded = framed.clone();
        padded.extend_from_slice(&[0, 0, 0]);
        assert!(is_complete_jpeg(&padded));
        assert!(decode_jpeg(&padded).is_ok());
        let cut = &framed[..framed.len() / 2];
        assert!(!is_complete_jpeg(cut));
        assert_eq!(
            decode_jpeg(cut).unwrap_err().kind(),
            crate::error::CameraErrorKind::Decode
        );
    }

    #[test]
    fn fitting_keeps_the_aspect_and_encoding_round_trips() {
        let img = RawImage::rgb(1280, 720, testframes::pattern_rgb(1280, 720, 0)).unwrap();
        let small = fit_width(img, 640);
        assert_eq!((small.width, small.height), (640, 360));
        let jpeg = encode_jpeg(&small, 80).unwrap();
        assert_eq!(jpeg_size(&jpeg), Some((640, 360)));
        let grey = RawImage::gray(64, 48, None, vec![90; 64 * 48]).unwrap();
        let back = decode_jpeg(&encode_jpeg(&grey, 90).unwrap()).unwrap();
        assert_eq!(back.format, PixelFormat::Gray8);
        assert!(back.data.iter().all(|p| p.abs_diff(90) <= 2));
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic_the_decoders(bytes in proptest::collection::vec(any::<u8>(), 0..4096), w in 0u32..64, h in 0u32..64) {
            let _ = decode_jpeg(&bytes);
            let _ = has_huffman_tables(&bytes);
            let _ = with_huffman_tables(&bytes);
            let _ = is_complete_jpeg(&bytes);
            let _ = jpeg_size(&bytes);
            let _ = yuyv_to_rgb(&bytes, w, h);
            let _ = yuyv_to_grey(&bytes, w, h);
        }
    }
}
