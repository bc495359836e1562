//! A checked view of an 8-bit grey 500 ppi image, shared by the fingerprint modules.

use rekam_hal::{PixelFormat, RawImage};

/// The resolution every fingerprint check expects.
pub(crate) const PPI: u16 = 500;

/// Why an image cannot be assessed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    /// Only 8-bit grey images are accepted.
    #[error("expected an 8-bit grey image, got {0:?}")]
    NotGray(PixelFormat),
    /// The image is not 500 ppi.
    #[error("expected a 500 ppi image, got {0} ppi")]
    Resolution(u16),
    /// The image is smaller than the checks can work on.
    #[error("image {width}x{height} is smaller than {min}x{min}")]
    TooSmall {
        /// Width.
        width: u32,
        /// Height.
        height: u32,
        /// The smallest accepted side.
        min: u32,
    },
    /// The pixel buffer does not match the stated size.
    #[error("pixel buffer of {len} bytes does not fit {width}x{height}")]
    BadBuffer {
        /// Buffer length.
        len: usize,
        /// Width.
        width: u32,
        /// Height.
        height: u32,
    },
}

/// A grey image whose buffer is known to match its size.
#[derive(Clone, Copy)]
pub(crate) struct Gray<'a> {
    pub(crate) data: &'a [u8],
    pub(crate) width: usize,
    pub(crate) height: usize,
}

impl<'a> Gray<'a> {
    /// Checks `image` (grey, 500 ppi or unknown, at least `min` pixels a side).
    pub(crate) fn new(image: &'a RawImage, min: u32) -> Result<Self, ImageError> {
        if image.format != PixelFormat::Gray8 {
            return Err(ImageError::NotGray(image.format));
        }
        if let Some(ppi) = image.ppi {
            if ppi != PPI {
                return Err(ImageError::Resolution(ppi));
            }
        }
        if image.width < min || image.height < min {
            return Err(ImageError::TooSmall {
                width: image.width,
                height: image.height,
                min,
            });
        }
        let (width, height) = (image.width as usize, image.height as usize);
        if image.data.len() != width * height {
            return Err(ImageError::BadBuffer {
                len: image.data.len(),
                width: image.width,
                height: image.height,
            });
        }
        Ok(Gray {
            data: &image.data,
            width,
            height,
        })
    }

    /// The pixel at `(x, y)`, which must be inside the image.
    #[inline]
    pub(crate) fn at(&self, x: usize, y: usize) -> u8 {
        self.data.get(y * self.width + x).copied().unwrap_or(0)
    }
}
