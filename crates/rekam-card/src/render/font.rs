//! The embedded fonts (Liberation Sans Regular and Bold, SIL OFL 1.1, from `assets/`) and
//! the few text metrics the layouts need: advance widths with kerning, ascent and descent.
//!
//! Sizes here are em sizes in pixels (dots): a 25 px font at 300 dpi is a 6 pt font.

use ab_glyph::{Font, FontRef, GlyphId, PxScale, ScaleFont};

use super::RenderError;

static REGULAR: &[u8] = include_bytes!("../../assets/LiberationSans-Regular.ttf");
static BOLD: &[u8] = include_bytes!("../../assets/LiberationSans-Bold.ttf");

/// Regular or bold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Weight {
    Regular,
    Bold,
}

/// The two parsed faces.
#[derive(Debug, Clone)]
pub(crate) struct Fonts {
    regular: FontRef<'static>,
    bold: FontRef<'static>,
}

impl Fonts {
    /// Parses the embedded fonts (cheap: tables are read lazily).
    pub(crate) fn load() -> Result<Fonts, RenderError> {
        Ok(Fonts {
            regular: FontRef::try_from_slice(REGULAR).map_err(|_| RenderError::Font)?,
            bold: FontRef::try_from_slice(BOLD).map_err(|_| RenderError::Font)?,
        })
    }

    pub(crate) fn face(&self, weight: Weight) -> &FontRef<'static> {
        match weight {
            Weight::Regular => &self.regular,
            Weight::Bold => &self.bold,
        }
    }

    /// The ab_glyph scale (ascent-to-descent height) for an em size in pixels.
    pub(crate) fn scale(&self, weight: Weight, em_px: f32) -> PxScale {
        let face = self.face(weight);
        let upem = face.units_per_em().unwrap_or(2048.0);
        PxScale::from(em_px * face.height_unscaled() / upem)
    }

    /// Whether every character of `text` has a glyph in the face (spaces always do).
    pub(crate) fn covers(&self, weight: Weight, text: &str) -> bool {
        let face = self.face(weight);
        text.chars()
            .all(|c| c.is_whitespace() || face.glyph_id(c) != GlyphId(0))
    }

    /// The advance width of `text` on one line, kerning included.
    pub(crate) fn width(&self, weight: Weight, em_px: f32, text: &str) -> f32 {
        let face = self.face(weight);
        let scaled = face.as_scaled(self.scale(weight, em_px));
        let mut width = 0.0;
        let mut previous: Option<GlyphId> = None;
        for c in text.chars() {
            let id = face.glyph_id(c);
            if let Some(p) = previous {
                width += scaled.kern(p, id);
            }
            width += scaled.h_advance(id);
            previous = Some(id);
        }
        width
    }

    /// Ascent above the baseline, in pixels (positive).
    pub(crate) fn ascent(&self, weight: Weight, em_px: f32) -> f32 {
        let face = self.face(weight);
        face.as_scaled(self.scale(weight, em_px)).ascent()
    }

    /// Descent below the baseline, in pixels (positive).
    pub(crate) fn descent(&self, weight: Weight, em_px: f32) -> f32 {
        let face = self.face(weight);
        -face.as_scaled(self.scale(weight, em_px)).descent()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fonts_load_and_measure() {
        let fonts = Fonts::load().unwrap();
        let narrow = fonts.width(Weight::Regular, 25.0, "III");
        let wide = fonts.width(Weight::Regular, 25.0, "WWW");
        assert!(narrow > 0.0 && wide > 2.0 * narrow, "{narrow} {wide}");
        // Width scales with the size.
        let double = fonts.width(Weight::Regular, 50.0, "WWW");
        assert!((double - 2.0 * wide).abs() < 1.0);
        // Bold is wider than regular.
        assert!(
            fonts.width(Weight::Bold, 25.0, "NAMA") > fonts.width(Weight::Regular, 25.0, "NAMA")
        );
        // An em of 25 px has an ascent of about 0.9 em.
        let ascent = fonts.ascent(Weight::Regular, 25.0);
        assert!((21.0..24.0).contains(&ascent), "{ascent}");
        assert!(fonts.descent(Weight::Regular, 25.0) > 3.0);
    }

    #[test]
    fn coverage() {
        let fonts = Fonts::load().unwrap();
        assert!(fonts.covers(Weight::Regular, "SITI NUR'AINI, JL. RAYA 12/3 (À É Ñ Ş)"));
        assert!(!fonts.covers(Weight::Regular, "名前"));
    }
}
