//! Fitting a text into a box: first on one line at the nominal size, shrinking in half-pixel
//! steps down to the minimum size; then, where the field allows, on two lines (again from the
//! nominal size down), and so on. A text that fits nowhere is reported as `None`: the caller
//! turns that into `RenderError::DoesNotFit`, never into a clipped text.

use super::font::{Fonts, Weight};

/// How a text was fitted: its size and its lines.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Fitted {
    /// The em size chosen, in pixels.
    pub(crate) em_px: f32,
    /// The lines, in order, each fitting the width.
    pub(crate) lines: Vec<String>,
    /// The widest line's advance width.
    pub(crate) width: f32,
}

/// What to fit and where.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fit {
    pub(crate) weight: Weight,
    pub(crate) nominal_px: f32,
    pub(crate) min_px: f32,
    pub(crate) max_width: f32,
    pub(crate) max_lines: usize,
    /// Prose: try every line count at the nominal size before shrinking (a paragraph keeps
    /// its size and wraps); fields shrink on one line first.
    pub(crate) wrap_first: bool,
}

/// The size step when shrinking.
const STEP: f32 = 0.5;

/// Fits `text` (see the module doc), or `None`.
pub(crate) fn fit(fonts: &Fonts, spec: Fit, text: &str) -> Option<Fitted> {
    let max_lines = spec.max_lines.max(1);
    if spec.wrap_first {
        return sizes(&spec).find_map(|size| try_fit(fonts, &spec, text, size, max_lines));
    }
    (1..=max_lines)
        .find_map(|lines| sizes(&spec).find_map(|size| try_fit(fonts, &spec, text, size, lines)))
}

/// The sizes to try, from the nominal size down to the minimum in steps of [`STEP`].
fn sizes(spec: &Fit) -> impl Iterator<Item = f32> {
    let min = spec.min_px.min(spec.nominal_px);
    let steps = ((spec.nominal_px - min) / STEP).ceil() as u32;
    let nominal = spec.nominal_px;
    (0..=steps).map(move |i| (nominal - i as f32 * STEP).max(min))
}

fn try_fit(fonts: &Fonts, spec: &Fit, text: &str, size: f32, max_lines: usize) -> Option<Fitted> {
    let lines = wrap(fonts, spec.weight, size, text, spec.max_width)?;
    if lines.len() > max_lines {
        return None;
    }
    let width = lines
        .iter()
        .map(|l| fonts.width(spec.weight, size, l))
        .fold(0.0, f32::max);
    Some(Fitted {
        em_px: size,
        lines,
        width,
    })
}

/// Greedy word wrap at spaces; `None` when a single word is wider than `max_width`.
fn wrap(
    fonts: &Fonts,
    weight: Weight,
    em_px: f32,
    text: &str,
    max_width: f32,
) -> Option<Vec<String>> {
    let mut lines = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        if fonts.width(weight, em_px, word) > max_width {
            return None;
        }
        let candidate = if current.is_empty() {
            word.to_owned()
        } else {
            format!("{current} {word}")
        };
        if fonts.width(weight, em_px, &candidate) <= max_width {
            current = candidate;
        } else {
            lines.push(std::mem::replace(&mut current, word.to_owned()));
        }
    }
    if !current.is_empty() || lines.is_empty() {
        lines.push(current);
    }
    Some(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(max_width: f32, max_lines: usize) -> Fit {
        Fit {
            weight: Weight::Regular,
            nominal_px: 25.0,
            min_px: 18.0,
            max_width,
            max_lines,
            wrap_first: false,
        }
    }

    #[test]
    fn short_text_keeps_the_nominal_size() {
        let fonts = Fonts::load().unwrap();
        let f = fit(&fonts, spec(400.0, 1), "SENDURO").unwrap();
        assert_eq!(f.em_px, 25.0);
        assert_eq!(f.lines, vec!["SENDURO"]);
        assert!(f.width <= 400.0);
    }

    #[test]
    fn longer_text_shrinks_before_it_wraps() {
        let fonts = Fonts::load().unwrap();
        let text = "SITI NUR'AINI BINTI ABDULLAH";
        let full = fonts.width(Weight::Regular, 25.0, text);
        // A box 10 % narrower: shrinks, stays on one line.
        let f = fit(&fonts, spec(full * 0.9, 2), text).unwrap();
        assert_eq!(f.lines.len(), 1);
        assert!(f.em_px < 25.0 && f.em_px >= 18.0, "{}", f.em_px);
        assert!(f.width <= full * 0.9);
        // Half as wide: too narrow even at 18 px, so two lines.
        let f = fit(&fonts, spec(full * 0.55, 2), text).unwrap();
        assert_eq!(f.lines.len(), 2);
        assert_eq!(f.lines.join(" "), text);
        assert!(f.width <= full * 0.55);
        // One line only: does not fit.
        assert!(fit(&fonts, spec(full * 0.55, 1), text).is_none());
    }

    #[test]
    fn prose_wraps_before_it_shrinks() {
        let fonts = Fonts::load().unwrap();
        let text = "SITI NUR'AINI BINTI ABDULLAH";
        let full = fonts.width(Weight::Regular, 25.0, text);
        let prose = Fit {
            wrap_first: true,
            ..spec(full * 0.9, 2)
        };
        let f = fit(&fonts, prose, text).unwrap();
        assert_eq!((f.em_px, f.lines.len()), (25.0, 2));
        let f = fit(&fonts, spec(full * 0.9, 2), text).unwrap();
        assert_eq!(f.lines.len(), 1);
        assert!(f.em_px < 25.0);
    }

    #[test]
    fn a_word_wider_than_the_box_never_fits() {
        let fonts = Fonts::load().unwrap();
        assert!(fit(&fonts, spec(100.0, 3), "PENGEMBANGANPERUMAHAN").is_none());
    }
}
