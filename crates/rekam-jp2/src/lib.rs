//! # rekam-jp2: lossless JPEG 2000 for enrolment images
//!
//! ISO/IEC 19794-4, -5 and -6 records carry images as JPEG 2000 (compression codes "JPEG 2000
//! lossless": 5 in 19794-4:2011, 2 in 19794-5:2011; 10 in 19794-6:2011), and the enrolment
//! package keeps them lossless. This crate turns an 8-bit grey or RGB buffer into a lossless
//! JPEG 2000 file and back, pixel for pixel.
//!
//! **Codec.** Encoding goes through OpenJPEG 2.5 (the ISO/IEC 15444-4 reference
//! implementation, BSD-2), built from source by `openjpeg-sys` with the C compiler only (no
//! cmake, no system library). No maintained safe Rust crate encodes JPEG 2000 from pixels:
//! `jpeg2k` wraps the same library but only re-encodes images it decoded itself, to files;
//! pure-Rust encoders (`justjp2`, `j2k`) are young and unproven. So the FFI lives here, in the
//! private `ffi` module, the only module of the workspace's image codecs that allows
//! `unsafe`; every block there states its safety argument. Decoding uses the same library; the
//! tests check every encoding against the independent pure-Rust decoder `hayro-jpeg2000`.
//!
//! **Coding.** Reversible 5/3 wavelet, one quality layer at rate 0 (all bit planes), the
//! reversible colour transform (RCT) for RGB, 64x64 code blocks, LRCP, as many decomposition
//! levels as the image allows up to five (OpenJPEG's default of six resolutions).
//!
//! **Container.** [`Container::Jp2`] (the default) writes the JP2 file format of ISO/IEC
//! 15444-1 Annex I: signature, file type, header with image size and an enumerated colour
//! space (greyscale or sRGB), then the codestream. ANSI/NIST-ITL 1-2011 requires JP2 for its
//! "JP2L" images and ICAO 9303 readers expect it, and the colour box tells grey from RGB without
//! guessing; it costs about 85 bytes. [`Container::J2k`] writes the bare codestream for a
//! consumer that wants exactly that.
//!
//! ```
//! use rekam_jp2::{decode, encode_lossless};
//! let pixels: Vec<u8> = (0..12u8 * 7).map(|i| i * 3).collect();
//! let jp2 = encode_lossless(&pixels, 12, 7, 1)?;
//! assert_eq!(&jp2[4..8], b"jP  ");
//! let back = decode(&jp2)?;
//! assert_eq!((back.width, back.height, back.channels), (12, 7, 1));
//! assert_eq!(back.pixels, pixels);
//! # Ok::<(), rekam_jp2::Jp2Error>(())
//! ```
#![deny(unsafe_code)]
#![warn(clippy::undocumented_unsafe_blocks)]

mod ffi;

use std::fmt;

use rekam_hal::{EncodedImage, ImageCodec, PixelFormat, RawImage};

/// The largest image, in pixels, this crate encodes or decodes (about 67 megapixels; a 1000 ppi
/// ten-print card is about 20). Guards memory against a hostile header.
pub const MAX_PIXELS: u64 = 1 << 26;

/// Signature box that starts every JP2 file (ISO/IEC 15444-1 I.5.1).
const JP2_SIGNATURE: [u8; 12] = [
    0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20, 0x0D, 0x0A, 0x87, 0x0A,
];
/// SOC then SIZ marker: the start of every JPEG 2000 codestream.
const J2K_START: [u8; 4] = [0xFF, 0x4F, 0xFF, 0x51];

/// How the JPEG 2000 codestream is wrapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Container {
    /// JP2 file format (ISO/IEC 15444-1 Annex I), media type `image/jp2`.
    #[default]
    Jp2,
    /// Bare codestream (`.j2k`/`.j2c`), media type `image/j2c`.
    J2k,
}

impl Container {
    /// What `bytes` start with, if it is JPEG 2000 at all.
    ///
    /// ```
    /// use rekam_jp2::Container;
    /// assert_eq!(Container::sniff(&[0xFF, 0x4F, 0xFF, 0x51, 0]), Some(Container::J2k));
    /// assert_eq!(Container::sniff(b"\x89PNG\r\n"), None);
    /// ```
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(&JP2_SIGNATURE) {
            Some(Container::Jp2)
        } else if bytes.starts_with(&J2K_START) {
            Some(Container::J2k)
        } else {
            None
        }
    }
}

/// Encoder settings. The coding itself is fixed (lossless, see the crate docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EncodeOptions {
    /// JP2 file or bare codestream.
    pub container: Container,
    /// OpenJPEG worker threads for code-block coding (1 codes on the calling thread).
    pub threads: u16,
}

impl Default for EncodeOptions {
    fn default() -> Self {
        EncodeOptions {
            container: Container::Jp2,
            threads: 1,
        }
    }
}

/// What went wrong, for callers that map errors (for example to a gRPC status).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The caller's pixels or dimensions are wrong.
    InvalidInput,
    /// Valid JPEG 2000 this crate does not handle (not 8-bit grey or RGB, too large).
    Unsupported,
    /// The bytes are not JPEG 2000 or are damaged.
    Corrupt,
    /// The codec failed on valid input (out of memory, or a bug).
    Codec,
}

/// The stage of OpenJPEG that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Stage {
    /// Allocating the image or the codec.
    Allocate,
    /// Validating the encoder parameters against the image.
    SetupEncoder,
    /// Coding the image.
    Encode,
    /// Reading the JP2 boxes and codestream main header.
    ReadHeader,
    /// Decoding the tiles.
    Decode,
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stage::Allocate => "allocation",
            Stage::SetupEncoder => "encoder setup",
            Stage::Encode => "encoding",
            Stage::ReadHeader => "header",
            Stage::Decode => "decoding",
        })
    }
}

/// Why an image could not be encoded or decoded. Messages carry sizes and codec diagnostics,
/// never pixel values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Jp2Error {
    /// Width or height is zero.
    #[error("image of {width}x{height} pixels is empty")]
    Empty {
        /// Width.
        width: u32,
        /// Height.
        height: u32,
    },
    /// Only 1 (grey) and 3 (RGB) channels are supported.
    #[error("{channels} channels per pixel are not supported (1 grey or 3 RGB)")]
    Channels {
        /// Channels asked for.
        channels: u32,
    },
    /// The buffer length is not `width * height * channels`.
    #[error("pixel buffer of {len} bytes does not fit {width}x{height}x{channels}")]
    BufferSize {
        /// Buffer length.
        len: usize,
        /// Width.
        width: u32,
        /// Height.
        height: u32,
        /// Channels.
        channels: u32,
    },
    /// More pixels than [`MAX_PIXELS`].
    #[error("image of {width}x{height} pixels exceeds the limit of {max} pixels")]
    TooLarge {
        /// Width.
        width: u32,
        /// Height.
        height: u32,
        /// The limit.
        max: u64,
    },
    /// The bytes start with neither a JP2 signature nor a codestream SOC/SIZ.
    #[error("not a JPEG 2000 file or codestream")]
    NotJpeg2000,
    /// Valid JPEG 2000 outside what this crate handles.
    #[error("unsupported JPEG 2000 image: {reason}")]
    Unsupported {
        /// What is not supported.
        reason: &'static str,
    },
    /// OpenJPEG reported a failure.
    #[error("JPEG 2000 {stage} failed: {message}")]
    Codec {
        /// Where.
        stage: Stage,
        /// OpenJPEG's last error message (or a description when it gave none).
        message: String,
    },
}

impl Jp2Error {
    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Jp2Error::Empty { .. } | Jp2Error::Channels { .. } | Jp2Error::BufferSize { .. } => {
                ErrorKind::InvalidInput
            }
            Jp2Error::TooLarge { .. } | Jp2Error::Unsupported { .. } => ErrorKind::Unsupported,
            Jp2Error::NotJpeg2000 => ErrorKind::Corrupt,
            Jp2Error::Codec { stage, .. } => match stage {
                Stage::ReadHeader | Stage::Decode => ErrorKind::Corrupt,
                Stage::Allocate | Stage::SetupEncoder | Stage::Encode => ErrorKind::Codec,
            },
        }
    }
}

/// Result of this crate.
pub type Result<T> = std::result::Result<T, Jp2Error>;

/// A decoded image: 8-bit samples, interleaved, row-major.
#[derive(Clone, PartialEq, Eq)]
pub struct Decoded {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// 1 (grey) or 3 (RGB).
    pub channels: u8,
    /// The container the bytes used.
    pub container: Container,
    /// `width * height * channels` bytes.
    pub pixels: Vec<u8>,
}

impl fmt::Debug for Decoded {
    // Pixels are biometric data: never printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Decoded")
            .field("width", &self.width)
            .field("height", &self.height)
            .field("channels", &self.channels)
            .field("container", &self.container)
            .field("bytes", &self.pixels.len())
            .finish()
    }
}

impl Decoded {
    /// The image as a [`RawImage`] (resolution unknown: JPEG 2000 from this crate carries none;
    /// the 19794 record header holds it).
    pub fn into_raw_image(self) -> RawImage {
        RawImage {
            width: self.width,
            height: self.height,
            format: if self.channels == 3 {
                PixelFormat::Rgb8
            } else {
                PixelFormat::Gray8
            },
            ppi: None,
            data: self.pixels,
        }
    }
}

/// Checks the caller's buffer: non-empty, 1 or 3 channels, exact length, within [`MAX_PIXELS`].
fn check_input(pixels: &[u8], width: u32, height: u32, channels: u8) -> Result<()> {
    if width == 0 || height == 0 {
        return Err(Jp2Error::Empty { width, height });
    }
    if channels != 1 && channels != 3 {
        return Err(Jp2Error::Channels {
            channels: channels.into(),
        });
    }
    let count = u64::from(width) * u64::from(height);
    if count > MAX_PIXELS {
        return Err(Jp2Error::TooLarge {
            width,
            height,
            max: MAX_PIXELS,
        });
    }
    // Cannot overflow: count <= 2^26 and channels <= 3.
    if pixels.len() as u64 != count * u64::from(channels) {
        return Err(Jp2Error::BufferSize {
            len: pixels.len(),
            width,
            height,
            channels: channels.into(),
        });
    }
    Ok(())
}

/// Encodes `pixels` (`width * height * channels` bytes, interleaved, row-major; `channels` 1
/// for grey or 3 for RGB) as lossless JPEG 2000 in a JP2 file.
///
/// # Errors
/// [`ErrorKind::InvalidInput`] for empty images, other channel counts and wrong buffer lengths;
/// [`ErrorKind::Unsupported`] above [`MAX_PIXELS`]; [`ErrorKind::Codec`] if OpenJPEG fails.
pub fn encode_lossless(pixels: &[u8], width: u32, height: u32, channels: u8) -> Result<Vec<u8>> {
    encode_lossless_with(pixels, width, height, channels, &EncodeOptions::default())
}

/// [`encode_lossless`] with a choice of container and threads.
///
/// # Errors
/// As [`encode_lossless`].
pub fn encode_lossless_with(
    pixels: &[u8],
    width: u32,
    height: u32,
    channels: u8,
    options: &EncodeOptions,
) -> Result<Vec<u8>> {
    check_input(pixels, width, height, channels)?;
    ffi::encode(pixels, width, height, channels, options)
}

/// Encodes a [`RawImage`] (grey or RGB) as a lossless JP2 file.
///
/// # Errors
/// As [`encode_lossless`].
pub fn encode_raw_image(image: &RawImage) -> Result<Vec<u8>> {
    let channels = match image.format {
        PixelFormat::Gray8 => 1,
        PixelFormat::Rgb8 => 3,
    };
    encode_lossless(&image.data, image.width, image.height, channels)
}

/// Encodes a [`RawImage`] as a lossless JP2 [`EncodedImage`] (codec [`ImageCodec::Jpeg2000`]),
/// the form the enrolment package and the 19794 writers take.
///
/// # Errors
/// As [`encode_lossless`].
pub fn to_encoded_image(image: &RawImage) -> Result<EncodedImage> {
    Ok(EncodedImage {
        codec: ImageCodec::Jpeg2000,
        width: image.width,
        height: image.height,
        bytes: encode_raw_image(image)?,
    })
}

/// Decodes a JP2 file or a bare codestream holding an 8-bit unsigned grey or RGB image, at full
/// resolution and all layers.
///
/// # Errors
/// [`Jp2Error::NotJpeg2000`] when the bytes are neither; [`ErrorKind::Corrupt`] when OpenJPEG
/// rejects them; [`ErrorKind::Unsupported`] for other bit depths, signed samples, subsampled or
/// other numbers of components, and images above [`MAX_PIXELS`].
pub fn decode(bytes: &[u8]) -> Result<Decoded> {
    let container = Container::sniff(bytes).ok_or(Jp2Error::NotJpeg2000)?;
    ffi::decode(bytes, container)
}

/// [`decode`] into a [`RawImage`].
///
/// # Errors
/// As [`decode`].
pub fn decode_raw_image(bytes: &[u8]) -> Result<RawImage> {
    decode(bytes).map(Decoded::into_raw_image)
}

/// The version of the bundled OpenJPEG, for logs and the station's about page.
pub fn codec_version() -> String {
    ffi::version()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_checks_are_typed() {
        assert_eq!(
            encode_lossless(&[], 0, 5, 1).unwrap_err(),
            Jp2Error::Empty {
                width: 0,
                height: 5
            }
        );
        assert_eq!(
            encode_lossless(&[0; 8], 2, 2, 2).unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
        assert!(matches!(
            encode_lossless(&[0; 5], 2, 2, 1),
            Err(Jp2Error::BufferSize { len: 5, .. })
        ));
        assert!(matches!(
            encode_lossless(&[], 1 << 14, 1 << 13, 1),
            Err(Jp2Error::TooLarge { .. })
        ));
        assert_eq!(decode(b"GIF89a").unwrap_err(), Jp2Error::NotJpeg2000);
    }

    #[test]
    fn version_is_openjpeg_2_5() {
        assert!(codec_version().starts_with("2.5"), "{}", codec_version());
    }

    #[test]
    fn debug_hides_pixels() {
        let d = Decoded {
            width: 1,
            height: 1,
            channels: 1,
            container: Container::Jp2,
            pixels: vec![123],
        };
        assert!(!format!("{d:?}").contains("123"));
    }
}
