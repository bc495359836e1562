//! Images as devices hand them over: raw pixels with their resolution, or encoded bytes.
//! No codec lives here (encoding is the business of the crates that need it).

use std::fmt;

use serde::{Deserialize, Serialize};

/// Pixel layout of a [`RawImage`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PixelFormat {
    /// 8-bit grey, one byte per pixel.
    Gray8,
    /// 8-bit RGB, three bytes per pixel.
    Rgb8,
}

impl PixelFormat {
    /// Bytes per pixel.
    pub fn bytes_per_pixel(self) -> usize {
        match self {
            PixelFormat::Gray8 => 1,
            PixelFormat::Rgb8 => 3,
        }
    }
}

/// Uncompressed pixels, row-major, no padding.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RawImage {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Pixel layout.
    pub format: PixelFormat,
    /// Resolution in pixels per inch, when the device knows it (500 for fingerprints).
    pub ppi: Option<u16>,
    /// The pixels: `width * height * bytes_per_pixel` bytes.
    pub data: Vec<u8>,
}

impl fmt::Debug for RawImage {
    // Pixels are biometric data: never printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawImage")
            .field("width", &self.width)
            .field("height", &self.height)
            .field("format", &self.format)
            .field("ppi", &self.ppi)
            .field("bytes", &self.data.len())
            .finish()
    }
}

impl RawImage {
    /// A grey image; `None` when `data` has the wrong length.
    pub fn gray(width: u32, height: u32, ppi: Option<u16>, data: Vec<u8>) -> Option<Self> {
        Self::checked(width, height, PixelFormat::Gray8, ppi, data)
    }

    /// An RGB image; `None` when `data` has the wrong length.
    pub fn rgb(width: u32, height: u32, data: Vec<u8>) -> Option<Self> {
        Self::checked(width, height, PixelFormat::Rgb8, None, data)
    }

    fn checked(
        width: u32,
        height: u32,
        format: PixelFormat,
        ppi: Option<u16>,
        data: Vec<u8>,
    ) -> Option<Self> {
        let expected = (width as usize)
            .checked_mul(height as usize)?
            .checked_mul(format.bytes_per_pixel())?;
        (data.len() == expected).then_some(RawImage {
            width,
            height,
            format,
            ppi,
            data,
        })
    }

    /// True when the buffer length matches the dimensions.
    pub fn is_consistent(&self) -> bool {
        self.data.len()
            == self.width as usize * self.height as usize * self.format.bytes_per_pixel()
    }
}

/// Compression of an [`EncodedImage`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImageCodec {
    /// JPEG (baseline).
    Jpeg,
    /// PNG.
    Png,
    /// JPEG 2000 codestream.
    Jpeg2000,
    /// PDF document.
    Pdf,
}

impl ImageCodec {
    /// The IANA media type.
    pub fn media_type(self) -> &'static str {
        match self {
            ImageCodec::Jpeg => "image/jpeg",
            ImageCodec::Png => "image/png",
            ImageCodec::Jpeg2000 => "image/jp2",
            ImageCodec::Pdf => "application/pdf",
        }
    }
}

/// Encoded image or document bytes.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncodedImage {
    /// How the bytes are encoded.
    pub codec: ImageCodec,
    /// Width in pixels, when known.
    pub width: u32,
    /// Height in pixels, when known.
    pub height: u32,
    /// The encoded bytes.
    pub bytes: Vec<u8>,
}

impl fmt::Debug for EncodedImage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncodedImage")
            .field("codec", &self.codec)
            .field("width", &self.width)
            .field("height", &self.height)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructors_check_lengths() {
        assert!(RawImage::gray(4, 2, Some(500), vec![0; 8]).is_some());
        assert!(RawImage::gray(4, 2, Some(500), vec![0; 7]).is_none());
        assert!(RawImage::rgb(2, 2, vec![0; 12]).is_some());
        assert!(RawImage::rgb(u32::MAX, u32::MAX, vec![]).is_none());
    }

    #[test]
    fn debug_never_shows_pixels() {
        let img = RawImage::gray(2, 1, None, vec![42, 43]).unwrap();
        let text = format!("{img:?}");
        assert!(!text.contains("42"));
        assert!(text.contains("bytes: 2"));
    }
}
