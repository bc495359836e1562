//! Rendering of the KTP-el card face and of the paper receipts, as pixels ready for a printer.
//!
//! - [`card`]: the card face ([`card::render_front`]) at 300 dpi on CR80, 1016 x 648 dots,
//!   with the boxes and font sizes of [`card::CardLayout`], and where each field was drawn.
//! - [`receipt`]: the pickup receipt (tanda pengambilan) and the surat keterangan on A6 or A5
//!   paper ([`receipt::render_receipt`]), with a QR code that names the deferred job.
//! - [`encode_png`]: a [`RawImage`] as PNG bytes, with its resolution recorded.
//!
//! The fonts are Liberation Sans Regular and Bold (SIL Open Font License 1.1), embedded in the
//! binary from the crate's `assets/` folder.
//!
//! Architecture Invariant: text is never clipped silently. A text that does not fit its box
//! is drawn smaller, down to the layout's minimum size, then wrapped onto more lines where the
//! field allows it; if it still does not fit, rendering fails with
//! [`RenderError::DoesNotFit`] naming the field. A character the embedded font has no glyph
//! for fails with [`RenderError::MissingGlyph`] rather than printing a blank box.
//!
//! The card face carries the full NIK (that is what the card is for); nothing here logs it,
//! and no error message contains a field's value. A receipt only takes a masked NIK.

use std::fmt;

use rekam_hal::{PixelFormat, RawImage};

mod canvas;
pub mod card;
mod font;
pub mod receipt;
mod text;

pub use card::{
    render_front, CardField, CardLayout, FontSize, PhotoSource, RenderedCard, TextSize,
    CARD_HEIGHT, CARD_PPI, CARD_WIDTH,
};
pub use receipt::{
    layout_receipt, render_receipt, DeferralText, Office, Paper, Receipt, ReceiptField,
    ReceiptKind, ReceiptLayout, ReceiptLine, ReceiptOptions,
};

/// A rectangle in pixels (dots), from its top-left corner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rect {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
}

impl Rect {
    /// A rectangle from its top-left corner and size.
    pub const fn new(x: u32, y: u32, width: u32, height: u32) -> Rect {
        Rect {
            x,
            y,
            width,
            height,
        }
    }

    /// One past the right edge.
    pub const fn right(&self) -> u32 {
        self.x + self.width
    }

    /// One past the bottom edge.
    pub const fn bottom(&self) -> u32 {
        self.y + self.height
    }

    /// Whether `other` lies entirely inside this rectangle.
    pub const fn contains(&self, other: &Rect) -> bool {
        other.x >= self.x
            && other.y >= self.y
            && other.right() <= self.right()
            && other.bottom() <= self.bottom()
    }

    /// Whether the two rectangles share at least one pixel.
    pub const fn intersects(&self, other: &Rect) -> bool {
        self.x < other.right()
            && other.x < self.right()
            && self.y < other.bottom()
            && other.y < self.bottom()
    }
}

/// A field of a card face or of a receipt, as named in [`RenderError`]s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RenderField {
    /// A field of the card face.
    Card(CardField),
    /// A field of a receipt.
    Receipt(ReceiptField),
}

impl fmt::Display for RenderField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RenderField::Card(c) => write!(f, "card field {}", c.label()),
            RenderField::Receipt(r) => write!(f, "receipt field {}", r.label()),
        }
    }
}

impl From<CardField> for RenderField {
    fn from(f: CardField) -> Self {
        RenderField::Card(f)
    }
}

impl From<ReceiptField> for RenderField {
    fn from(f: ReceiptField) -> Self {
        RenderField::Receipt(f)
    }
}

/// Which input image a [`RenderError::BadImage`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImageRole {
    /// The face photo.
    Photo,
    /// The signature.
    Signature,
}

impl fmt::Display for ImageRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ImageRole::Photo => "photo",
            ImageRole::Signature => "signature",
        })
    }
}

/// Why a card face or a receipt could not be rendered. No message contains a field's value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RenderError {
    /// A text does not fit its box even at the minimum size and on as many lines as its field
    /// allows (or the page has no room left for it). Nothing was clipped: nothing was drawn.
    #[error("{field} does not fit its box")]
    DoesNotFit {
        /// The field.
        field: RenderField,
    },
    /// A text has a character the embedded font has no glyph for.
    #[error("{field} has a character the embedded font cannot draw")]
    MissingGlyph {
        /// The field.
        field: RenderField,
    },
    /// An input image cannot be used: undecodable, of an unsupported codec, inconsistent
    /// (buffer length not matching its size), empty, or without any ink (a blank signature).
    #[error("the {role} image cannot be used: {reason}")]
    BadImage {
        /// Photo or signature.
        role: ImageRole,
        /// What is wrong, without pixel data.
        reason: String,
    },
    /// The NIK given to a receipt is not masked (more than 6 digits, or no `*`): a receipt
    /// never carries the full NIK.
    #[error("the NIK on a receipt must be masked")]
    UnmaskedNik,
    /// A job reference that cannot go into the QR code: empty, longer than 64 bytes, or with
    /// characters other than `A-Z a-z 0-9 _ -`.
    #[error("the job reference must be 1 to 64 characters among A-Z a-z 0-9 _ -")]
    InvalidJobRef,
    /// A receipt resolution outside 150 to 600 dpi.
    #[error("receipts are printed at 150 to 600 dpi, not {dpi}")]
    UnsupportedResolution {
        /// The resolution asked for.
        dpi: u16,
    },
    /// The QR code could not be built.
    #[error("the QR code could not be built: {0}")]
    Qr(String),
    /// The embedded font could not be parsed (a build problem, never the data's fault).
    #[error("the embedded font cannot be read")]
    Font,
    /// A [`RawImage`] handed to [`encode_png`] is inconsistent, or PNG encoding failed.
    #[error("PNG encoding failed: {0}")]
    Png(String),
}

/// Encodes an image as PNG (8-bit grey or RGB), recording its resolution (`pHYs`) when
/// `image.ppi` is known, so that a printer driver can print it at its true size.
pub fn encode_png(image: &RawImage) -> Result<Vec<u8>, RenderError> {
    if !image.is_consistent() {
        return Err(RenderError::Png(
            "the pixel buffer does not match the image size".to_owned(),
        ));
    }
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, image.width, image.height);
        encoder.set_color(match image.format {
            PixelFormat::Gray8 => png::ColorType::Grayscale,
            PixelFormat::Rgb8 => png::ColorType::Rgb,
        });
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(png::Compression::Balanced);
        if let Some(ppi) = image.ppi {
            // pHYs is in pixels per metre.
            let ppm = (f64::from(ppi) / 0.0254).round() as u32;
            encoder.set_pixel_dims(Some(png::PixelDimensions {
                xppu: ppm,
                yppu: ppm,
                unit: png::Unit::Meter,
            }));
        }
        let mut writer = encoder
            .write_header()
            .map_err(|e| RenderError::Png(e.to_string()))?;
        writer
            .write_image_data(&image.data)
            .map_err(|e| RenderError::Png(e.to_string()))?;
        writer
            .finish()
            .map_err(|e| RenderError::Png(e.to_string()))?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rect_geometry() {
        let outer = Rect::new(0, 0, 100, 50);
        assert!(outer.contains(&Rect::new(10, 10, 90, 40)));
        assert!(!outer.contains(&Rect::new(10, 10, 91, 40)));
        assert!(outer.intersects(&Rect::new(99, 49, 5, 5)));
        assert!(!outer.intersects(&Rect::new(100, 0, 5, 5)));
        assert_eq!(Rect::new(3, 4, 5, 6).right(), 8);
        assert_eq!(Rect::new(3, 4, 5, 6).bottom(), 10);
    }

    #[test]
    fn png_round_trips_with_resolution() {
        let data: Vec<u8> = (0..6 * 4 * 3).map(|i| (i * 7 % 256) as u8).collect();
        let mut img = RawImage::rgb(6, 4, data.clone()).unwrap();
        img.ppi = Some(300);
        let bytes = encode_png(&img).unwrap();
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = decoder.read_info().unwrap();
        let dims = reader.info().pixel_dims.unwrap();
        assert_eq!(dims.xppu, 11811);
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!((info.width, info.height), (6, 4));
        assert_eq!(&buf[..info.buffer_size()], &data[..]);
    }

    #[test]
    fn png_refuses_an_inconsistent_image() {
        let img = RawImage {
            width: 4,
            height: 4,
            format: PixelFormat::Gray8,
            ppi: None,
            data: vec![0; 3],
        };
        assert!(matches!(encode_png(&img), Err(RenderError::Png(_))));
    }
}
