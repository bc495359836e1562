//! The KTP-el card face (front), rendered at 300 dpi on CR80: 85.60 x 53.98 mm, 1016 x 648
//! dots, RGB.
//!
//! The face follows the real card: a light blue-to-white background; the province and the
//! regency or city centred on two lines at the top; the NIK in a larger bold; the labelled
//! rows (label, a colon aligned on one column, the value in upper case); the photo on the
//! right with the place and date of issue and the signature under it. There is no state
//! emblem (the project has no licence for it).
//!
//! Every box and font size is in [`CardLayout`]; [`CardLayout::default`] is the layout
//! printed. [`render_front`] returns the image and where each field was drawn
//! ([`RenderedCard::regions`]), so that tests and print checks can look at positions.
//!
//! A value that does not fit its box is drawn smaller, down to the layout's minimum size;
//! the name and the address may then wrap onto a second line (the rows below move down);
//! anything that still does not fit fails the render with [`RenderError::DoesNotFit`].

use std::fmt;

use image::imageops::{self, FilterType};
use image::{GrayImage, ImageFormat, RgbImage};
use rekam_hal::{EncodedImage, ImageCodec, PixelFormat, RawImage};

use super::canvas::{Canvas, Rgb};
use super::font::{Fonts, Weight};
use super::text::{fit, Fit, Fitted};
use super::{ImageRole, Rect, RenderError, RenderField};
use crate::record::{card_date, CardRecord};

/// Width of the card face in dots (85.60 mm at 300 dpi).
pub const CARD_WIDTH: u32 = 1016;
/// Height of the card face in dots (53.98 mm at 300 dpi).
pub const CARD_HEIGHT: u32 = 648;
/// Resolution of the card face.
pub const CARD_PPI: u16 = 300;

/// A font size: the size a text is drawn at, and the smallest it may shrink to so that it
/// fits its box. Em sizes in dots: at 300 dpi, 25 dots are 6 pt.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FontSize {
    /// The size used when the text fits.
    pub nominal: f32,
    /// The smallest size a text may shrink to.
    pub min: f32,
}

/// A field drawn on the card face, as reported in [`RenderedCard::regions`] and in
/// [`RenderError::DoesNotFit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CardField {
    /// First header line: `PROVINSI ...`.
    Province,
    /// Second header line: the regency or city.
    Regency,
    /// The 16 digits of the NIK.
    Nik,
    /// Nama.
    Name,
    /// Tempat/Tgl Lahir: place and date of birth.
    BirthPlaceDate,
    /// Jenis Kelamin.
    Sex,
    /// Gol. Darah (on the sex row, to the right).
    BloodType,
    /// Alamat.
    Address,
    /// RT/RW.
    RtRw,
    /// Kel/Desa.
    Village,
    /// Kecamatan.
    District,
    /// Agama.
    Religion,
    /// Status Perkawinan.
    MaritalStatus,
    /// Pekerjaan.
    Occupation,
    /// Kewarganegaraan.
    Citizenship,
    /// Berlaku Hingga.
    ValidUntil,
    /// The face photo.
    Photo,
    /// The place of issue, under the photo.
    PlaceOfIssue,
    /// The date of issue, under the place.
    DateOfIssue,
    /// The signature, under the date of issue.
    Signature,
}

impl CardField {
    /// The label printed on the card (or, for the fields printed without a label, their
    /// Indonesian name).
    pub fn label(self) -> &'static str {
        match self {
            CardField::Province => "Provinsi",
            CardField::Regency => "Kabupaten/Kota",
            CardField::Nik => "NIK",
            CardField::Name => "Nama",
            CardField::BirthPlaceDate => "Tempat/Tgl Lahir",
            CardField::Sex => "Jenis Kelamin",
            CardField::BloodType => "Gol. Darah",
            CardField::Address => "Alamat",
            CardField::RtRw => "RT/RW",
            CardField::Village => "Kel/Desa",
            CardField::District => "Kecamatan",
            CardField::Religion => "Agama",
            CardField::MaritalStatus => "Status Perkawinan",
            CardField::Occupation => "Pekerjaan",
            CardField::Citizenship => "Kewarganegaraan",
            CardField::ValidUntil => "Berlaku Hingga",
            CardField::Photo => "Foto",
            CardField::PlaceOfIssue => "Tempat Penerbitan",
            CardField::DateOfIssue => "Tanggal Penerbitan",
            CardField::Signature => "Tanda Tangan",
        }
    }
}

impl fmt::Display for CardField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Where everything goes on the card face, in dots at 300 dpi from the top-left corner.
///
/// The default ([`CardLayout::default`]):
///
/// | what | where |
/// | --- | --- |
/// | header (2 lines, bold 30 px, min 20) | centred between x 36 and 980, tops at y 18 and 54 |
/// | NIK row (bold 40 px, min 34) | top at y 106 |
/// | labels | x 36; colon at x 262; values from x 278 to 730 |
/// | 12 rows (regular 25 px, min 18) | first top at y 162, every 33 dots; a wrapped line adds 28 |
/// | rows bottom limit | y 636 |
/// | Gol. Darah (on the Jenis Kelamin row) | label at x 520 |
/// | photo (3:4) | x 746, y 108, 240 x 320 |
/// | place and date of issue (regular 22 px, min 16) | centred under the photo, tops at y 436 and 464 |
/// | signature | x 756, y 498, 220 x 120 |
///
/// Name and address may wrap onto 2 lines each; with both wrapped the last row still ends
/// above the bottom limit.
#[derive(Debug, Clone, PartialEq)]
pub struct CardLayout {
    /// Header lines are centred between `margin` and `CARD_WIDTH - margin`.
    pub margin: u32,
    /// Top of the first header line.
    pub header_top: u32,
    /// Distance between the tops of the two header lines.
    pub header_pitch: u32,
    /// Header font (bold).
    pub header_font: FontSize,
    /// Top of the NIK row.
    pub nik_top: u32,
    /// NIK row font (bold): the label, the colon and the digits.
    pub nik_font: FontSize,
    /// Left edge of the labels.
    pub label_x: u32,
    /// Left edge of the colons, the same on every row.
    pub colon_x: u32,
    /// Left edge of the values.
    pub value_x: u32,
    /// Right limit of the values (left of the photo).
    pub value_right: u32,
    /// Top of the first labelled row (Nama).
    pub rows_top: u32,
    /// Distance between the tops of two rows.
    pub row_pitch: u32,
    /// Distance between the lines of a wrapped value.
    pub wrap_pitch: u32,
    /// No row may end below this.
    pub rows_bottom: u32,
    /// Labels and values of the rows (regular).
    pub text_font: FontSize,
    /// Lines the name may wrap onto.
    pub name_max_lines: usize,
    /// Lines the address may wrap onto.
    pub address_max_lines: usize,
    /// Left edge of the `Gol. Darah` label, on the Jenis Kelamin row; the sex value must end
    /// before it.
    pub blood_type_x: u32,
    /// The photo box (3:4). The photo is cropped to its proportions, centred, then scaled.
    pub photo: Rect,
    /// Top of the place-of-issue line, centred under the photo; the date follows.
    pub issue_top: u32,
    /// Distance between the place and the date of issue.
    pub issue_pitch: u32,
    /// Place and date of issue font (regular).
    pub issue_font: FontSize,
    /// The signature box: the ink is cropped, scaled to fit keeping its aspect, centred.
    pub signature: Rect,
    /// Background colour at the top left.
    pub background_top: [u8; 3],
    /// Background colour at the bottom right.
    pub background_bottom: [u8; 3],
    /// Text and signature colour.
    pub ink: [u8; 3],
}

impl Default for CardLayout {
    fn default() -> Self {
        CardLayout {
            margin: 36,
            header_top: 18,
            header_pitch: 36,
            header_font: FontSize {
                nominal: 30.0,
                min: 20.0,
            },
            nik_top: 106,
            nik_font: FontSize {
                nominal: 40.0,
                min: 34.0,
            },
            label_x: 36,
            colon_x: 262,
            value_x: 278,
            value_right: 730,
            rows_top: 162,
            row_pitch: 33,
            wrap_pitch: 28,
            rows_bottom: 636,
            text_font: FontSize {
                nominal: 25.0,
                min: 18.0,
            },
            name_max_lines: 2,
            address_max_lines: 2,
            blood_type_x: 520,
            photo: Rect::new(746, 108, 240, 320),
            issue_top: 436,
            issue_pitch: 28,
            issue_font: FontSize {
                nominal: 22.0,
                min: 16.0,
            },
            signature: Rect::new(756, 498, 220, 120),
            background_top: [178, 214, 240],
            background_bottom: [255, 255, 255],
            ink: [16, 16, 24],
        }
    }
}

/// The face photo: raw pixels, or JPEG or PNG bytes.
#[derive(Debug, Clone, Copy)]
pub enum PhotoSource<'a> {
    /// Raw pixels (grey or RGB).
    Raw(&'a RawImage),
    /// Encoded bytes: JPEG or PNG (JPEG 2000 and PDF are refused).
    Encoded(&'a EncodedImage),
}

/// The size a text was drawn at.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TextSize {
    /// Em size in dots.
    pub em_px: f32,
    /// Number of lines.
    pub lines: usize,
}

/// A rendered card face.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedCard {
    /// The face: RGB, [`CARD_WIDTH`] x [`CARD_HEIGHT`], 300 ppi.
    pub image: RawImage,
    /// Where each field was drawn: the box of its text (advance width, ascent to descent),
    /// the photo box, the signature's ink once scaled. Fields not drawn (no photo, no
    /// signature) are absent.
    pub regions: Vec<(CardField, Rect)>,
    /// The size each text field was drawn at.
    pub text_sizes: Vec<(CardField, TextSize)>,
}

impl RenderedCard {
    /// Where `field` was drawn, if it was.
    pub fn region(&self, field: CardField) -> Option<Rect> {
        self.regions
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, r)| *r)
    }

    /// The size `field`'s text was drawn at, if it is a text that was drawn.
    pub fn text_size(&self, field: CardField) -> Option<TextSize> {
        self.text_sizes
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, s)| *s)
    }
}

/// Renders the front of the card for `record`.
///
/// Text values are printed in upper case; dates as `DD-MM-YYYY`. The header reads
/// `PROVINSI <PROVINCE>` (unless the province already starts with `PROVINSI`) and the regency
/// as given when it starts with `KABUPATEN`, `KAB.` or `KOTA`, else
/// `KABUPATEN/KOTA <REGENCY>`. The full NIK is printed; it is never logged.
///
/// # Errors
///
/// [`RenderError::DoesNotFit`] for a text that does not fit (see the module doc),
/// [`RenderError::MissingGlyph`] for a character the font cannot draw,
/// [`RenderError::BadImage`] for a photo or signature that cannot be used.
pub fn render_front(
    record: &CardRecord,
    photo: Option<PhotoSource<'_>>,
    signature: Option<&RawImage>,
    layout: &CardLayout,
) -> Result<RenderedCard, RenderError> {
    let fonts = Fonts::load()?;
    // Images first: a bad image fails before any drawing.
    let photo = photo.map(|p| prepare_photo(p, layout.photo)).transpose()?;
    let signature = signature
        .map(|s| prepare_signature(s, layout.signature))
        .transpose()?;

    let mut canvas = Canvas::new(
        CARD_WIDTH,
        CARD_HEIGHT,
        PixelFormat::Rgb8,
        layout.background_bottom,
    );
    canvas.gradient(layout.background_top, layout.background_bottom);
    let mut face = Face {
        fonts: &fonts,
        canvas: &mut canvas,
        ink: layout.ink,
        regions: Vec::new(),
        sizes: Vec::new(),
    };

    // Header.
    let header_left = layout.margin as f32;
    let header_right = CARD_WIDTH.saturating_sub(layout.margin) as f32;
    let province = upper(&record.province);
    let province = if province.starts_with("PROVINSI") {
        province
    } else {
        format!("PROVINSI {province}")
    };
    let regency = upper(&record.regency);
    let regency = if ["KABUPATEN", "KAB.", "KOTA "]
        .iter()
        .any(|p| regency.starts_with(p))
    {
        regency
    } else {
        format!("KABUPATEN/KOTA {regency}")
    };
    for (i, (field, text)) in [
        (CardField::Province, province),
        (CardField::Regency, regency),
    ]
    .into_iter()
    .enumerate()
    {
        let top = layout.header_top + i as u32 * layout.header_pitch;
        face.centred(
            field,
            &text,
            Weight::Bold,
            layout.header_font,
            header_left,
            header_right,
            top,
        )?;
    }

    // NIK row: label, colon and digits in bold.
    let nik_baseline = layout.nik_top as f32 + fonts.ascent(Weight::Bold, layout.nik_font.nominal);
    face.label(
        CardField::Nik,
        "NIK",
        Weight::Bold,
        layout.nik_font,
        layout.label_x,
        layout.colon_x,
        nik_baseline,
    )?;
    face.colon(
        Weight::Bold,
        layout.nik_font.nominal,
        layout.colon_x,
        nik_baseline,
    );
    // The bold colon is wider than the rows' one: keep the same gap after it.
    let nik_x = layout.value_x.max(
        layout.colon_x
            + fonts
                .width(Weight::Bold, layout.nik_font.nominal, ":")
                .ceil() as u32
            + layout.value_x.saturating_sub(
                layout.colon_x
                    + fonts
                        .width(Weight::Regular, layout.text_font.nominal, ":")
                        .ceil() as u32,
            ),
    );
    face.value(
        CardField::Nik,
        record.nik.as_str(),
        Weight::Bold,
        layout.nik_font,
        1,
        nik_x,
        layout.value_right,
        nik_baseline,
        0.0,
    )?;

    // Labelled rows.
    let rows: [(CardField, String, usize); 12] = [
        (CardField::Name, upper(&record.name), layout.name_max_lines),
        (
            CardField::BirthPlaceDate,
            format!(
                "{}, {}",
                upper(&record.place_of_birth),
                card_date(record.date_of_birth)
            ),
            1,
        ),
        (CardField::Sex, record.sex.label().to_owned(), 1),
        (
            CardField::Address,
            upper(&record.address),
            layout.address_max_lines,
        ),
        (CardField::RtRw, record.rt_rw.clone(), 1),
        (CardField::Village, upper(&record.village), 1),
        (CardField::District, upper(&record.district), 1),
        (CardField::Religion, record.religion.label().to_owned(), 1),
        (
            CardField::MaritalStatus,
            record.marital_status.label().to_owned(),
            1,
        ),
        (CardField::Occupation, upper(&record.occupation), 1),
        (
            CardField::Citizenship,
            record.citizenship.label().to_owned(),
            1,
        ),
        (CardField::ValidUntil, record.valid_until.label(), 1),
    ];
    let text_ascent = fonts.ascent(Weight::Regular, layout.text_font.nominal);
    let text_descent = fonts.descent(Weight::Regular, layout.text_font.nominal);
    let mut top = layout.rows_top as f32;
    for (field, value, max_lines) in rows {
        let baseline = top + text_ascent;
        face.label(
            field,
            field.label(),
            Weight::Regular,
            layout.text_font,
            layout.label_x,
            layout.colon_x,
            baseline,
        )?;
        face.colon(
            Weight::Regular,
            layout.text_font.nominal,
            layout.colon_x,
            baseline,
        );
        let value_right = if field == CardField::Sex {
            layout.blood_type_x.saturating_sub(12)
        } else {
            layout.value_right
        };
        let lines = face.value(
            field,
            &value,
            Weight::Regular,
            layout.text_font,
            max_lines,
            layout.value_x,
            value_right,
            baseline,
            layout.wrap_pitch as f32,
        )?;
        let last_baseline = baseline + (lines.saturating_sub(1)) as f32 * layout.wrap_pitch as f32;
        if last_baseline + text_descent > layout.rows_bottom as f32 {
            return Err(does_not_fit(field));
        }
        if field == CardField::Sex {
            face.blood_type(record.blood_type.label(), layout, baseline)?;
        }
        top +=
            layout.row_pitch as f32 + (lines.saturating_sub(1)) as f32 * layout.wrap_pitch as f32;
    }

    // Photo, place and date of issue, signature.
    if let Some(pixels) = photo {
        let b = layout.photo;
        face.canvas
            .paste_rgb((b.x, b.y), b.width, b.height, pixels.as_raw());
        face.regions.push((CardField::Photo, b));
    }
    let (column_left, column_right) = (layout.photo.x as f32, layout.photo.right() as f32);
    face.centred(
        CardField::PlaceOfIssue,
        &upper(&record.place_of_issue),
        Weight::Regular,
        layout.issue_font,
        column_left,
        column_right,
        layout.issue_top,
    )?;
    face.centred(
        CardField::DateOfIssue,
        &card_date(record.date_of_issue),
        Weight::Regular,
        layout.issue_font,
        column_left,
        column_right,
        layout.issue_top + layout.issue_pitch,
    )?;
    if let Some(sig) = signature {
        face.canvas.paint_mask(
            (sig.at.x, sig.at.y),
            sig.at.width,
            sig.at.height,
            &sig.mask,
            layout.ink,
        );
        face.regions.push((CardField::Signature, sig.at));
    }

    let Face { regions, sizes, .. } = face;
    Ok(RenderedCard {
        image: canvas.into_image(CARD_PPI),
        regions,
        text_sizes: sizes,
    })
}

fn upper(s: &str) -> String {
    s.to_uppercase()
}

fn does_not_fit(field: CardField) -> RenderError {
    RenderError::DoesNotFit {
        field: RenderField::Card(field),
    }
}

/// Drawing state of the face being rendered.
struct Face<'a> {
    fonts: &'a Fonts,
    canvas: &'a mut Canvas,
    ink: Rgb,
    regions: Vec<(CardField, Rect)>,
    sizes: Vec<(CardField, TextSize)>,
}

impl Face<'_> {
    fn fit(
        &self,
        field: CardField,
        text: &str,
        weight: Weight,
        size: FontSize,
        max_lines: usize,
        width: f32,
    ) -> Result<Fitted, RenderError> {
        if !self.fonts.covers(weight, text) {
            return Err(RenderError::MissingGlyph {
                field: RenderField::Card(field),
            });
        }
        fit(
            self.fonts,
            Fit {
                weight,
                nominal_px: size.nominal,
                min_px: size.min,
                max_width: width,
                max_lines,
                wrap_first: false,
            },
            text,
        )
        .ok_or(does_not_fit(field))
    }

    /// Draws fitted lines from `x` (or centred between `left` and `right` when `centre`),
    /// first baseline at `baseline`; records the region and size.
    #[allow(clippy::too_many_arguments)]
    fn draw(
        &mut self,
        field: CardField,
        fitted: &Fitted,
        weight: Weight,
        left: f32,
        right: f32,
        centre: bool,
        baseline: f32,
        pitch: f32,
    ) {
        let mut min_x = f32::MAX;
        for (i, line) in fitted.lines.iter().enumerate() {
            let w = self.fonts.width(weight, fitted.em_px, line);
            let x = if centre {
                (left + (right - left - w) / 2.0).round()
            } else {
                left
            };
            min_x = min_x.min(x);
            self.canvas.text(
                self.fonts,
                weight,
                fitted.em_px,
                (x, baseline + i as f32 * pitch),
                line,
                self.ink,
            );
        }
        let ascent = self.fonts.ascent(weight, fitted.em_px);
        let descent = self.fonts.descent(weight, fitted.em_px);
        let last = baseline + (fitted.lines.len().saturating_sub(1)) as f32 * pitch;
        let top = (baseline - ascent).floor().max(0.0);
        let rect = Rect::new(
            min_x.floor().max(0.0) as u32,
            top as u32,
            fitted.width.ceil() as u32,
            ((last + descent).ceil() - top).max(1.0) as u32,
        );
        self.regions.push((field, rect));
        self.sizes.push((
            field,
            TextSize {
                em_px: fitted.em_px,
                lines: fitted.lines.len(),
            },
        ));
    }

    /// One centred line between `left` and `right`, top of the line box at `top`.
    #[allow(clippy::too_many_arguments)]
    fn centred(
        &mut self,
        field: CardField,
        text: &str,
        weight: Weight,
        size: FontSize,
        left: f32,
        right: f32,
        top: u32,
    ) -> Result<(), RenderError> {
        let fitted = self.fit(field, text, weight, size, 1, right - left)?;
        let baseline = top as f32 + self.fonts.ascent(weight, size.nominal);
        self.draw(field, &fitted, weight, left, right, true, baseline, 0.0);
        Ok(())
    }

    /// A row label, which must end before the colon column.
    #[allow(clippy::too_many_arguments)]
    fn label(
        &mut self,
        field: CardField,
        text: &str,
        weight: Weight,
        size: FontSize,
        x: u32,
        colon_x: u32,
        baseline: f32,
    ) -> Result<(), RenderError> {
        let room = colon_x.saturating_sub(x).saturating_sub(6) as f32;
        let fitted = self.fit(field, text, weight, size, 1, room)?;
        for line in &fitted.lines {
            self.canvas.text(
                self.fonts,
                weight,
                fitted.em_px,
                (x as f32, baseline),
                line,
                self.ink,
            );
        }
        Ok(())
    }

    fn colon(&mut self, weight: Weight, em_px: f32, x: u32, baseline: f32) {
        self.canvas.text(
            self.fonts,
            weight,
            em_px,
            (x as f32, baseline),
            ":",
            self.ink,
        );
    }

    /// A value from `x` to `right`; returns its number of lines.
    #[allow(clippy::too_many_arguments)]
    fn value(
        &mut self,
        field: CardField,
        text: &str,
        weight: Weight,
        size: FontSize,
        max_lines: usize,
        x: u32,
        right: u32,
        baseline: f32,
        pitch: f32,
    ) -> Result<usize, RenderError> {
        let room = right.saturating_sub(x) as f32;
        let fitted = self.fit(field, text, weight, size, max_lines, room)?;
        self.draw(
            field,
            &fitted,
            weight,
            x as f32,
            right as f32,
            false,
            baseline,
            pitch,
        );
        Ok(fitted.lines.len())
    }

    /// `Gol. Darah : X` on the sex row, from `blood_type_x` to the value column's limit.
    fn blood_type(
        &mut self,
        value: &str,
        layout: &CardLayout,
        baseline: f32,
    ) -> Result<(), RenderError> {
        let em = layout.text_font.nominal;
        let label = CardField::BloodType.label();
        let label_w = self.fonts.width(Weight::Regular, em, label);
        let colon_x = layout.blood_type_x as f32 + label_w + 8.0;
        let value_x = colon_x + self.fonts.width(Weight::Regular, em, ":") + 8.0;
        let value_w = self.fonts.width(Weight::Regular, em, value);
        if value_x + value_w > layout.value_right as f32 {
            return Err(does_not_fit(CardField::BloodType));
        }
        self.canvas.text(
            self.fonts,
            Weight::Regular,
            em,
            (layout.blood_type_x as f32, baseline),
            label,
            self.ink,
        );
        self.canvas.text(
            self.fonts,
            Weight::Regular,
            em,
            (colon_x, baseline),
            ":",
            self.ink,
        );
        let fitted = Fitted {
            em_px: em,
            lines: vec![value.to_owned()],
            width: value_w,
        };
        self.draw(
            CardField::BloodType,
            &fitted,
            Weight::Regular,
            value_x.round(),
            layout.value_right as f32,
            false,
            baseline,
            0.0,
        );
        Ok(())
    }
}

fn bad(role: ImageRole, reason: impl Into<String>) -> RenderError {
    RenderError::BadImage {
        role,
        reason: reason.into(),
    }
}

/// A raw image as an RGB image buffer.
fn raw_to_rgb(raw: &RawImage, role: ImageRole) -> Result<RgbImage, RenderError> {
    if !raw.is_consistent() {
        return Err(bad(role, "the pixel buffer does not match the image size"));
    }
    if raw.width == 0 || raw.height == 0 {
        return Err(bad(role, "the image is empty"));
    }
    let data = match raw.format {
        PixelFormat::Rgb8 => raw.data.clone(),
        PixelFormat::Gray8 => raw.data.iter().flat_map(|&v| [v, v, v]).collect(),
    };
    RgbImage::from_raw(raw.width, raw.height, data)
        .ok_or_else(|| bad(role, "the pixel buffer does not match the image size"))
}

/// Decodes the photo, crops it to the box's proportions (centred) and scales it to the box.
fn prepare_photo(source: PhotoSource<'_>, b: Rect) -> Result<RgbImage, RenderError> {
    let role = ImageRole::Photo;
    let rgb = match source {
        PhotoSource::Raw(raw) => raw_to_rgb(raw, role)?,
        PhotoSource::Encoded(enc) => {
            let format = match enc.codec {
                ImageCodec::Jpeg => ImageFormat::Jpeg,
                ImageCodec::Png => ImageFormat::Png,
                other => {
                    return Err(bad(
                        role,
                        format!("{} is not supported", other.media_type()),
                    ))
                }
            };
            image::load_from_memory_with_format(&enc.bytes, format)
                .map_err(|e| bad(role, format!("cannot decode: {e}")))?
                .to_rgb8()
        }
    };
    let (w, h) = rgb.dimensions();
    if w == 0 || h == 0 || b.width == 0 || b.height == 0 {
        return Err(bad(role, "the image is empty"));
    }
    // Crop to the box's aspect ratio, centred.
    let (bw, bh) = (u64::from(b.width), u64::from(b.height));
    let (cw, ch) = if u64::from(w) * bh > u64::from(h) * bw {
        (((u64::from(h) * bw) / bh).max(1) as u32, h)
    } else {
        (w, ((u64::from(w) * bh) / bw).max(1) as u32)
    };
    let cropped = imageops::crop_imm(&rgb, (w - cw) / 2, (h - ch) / 2, cw, ch).to_image();
    Ok(imageops::resize(
        &cropped,
        b.width,
        b.height,
        FilterType::Triangle,
    ))
}

/// A signature ready to paint: a coverage mask and where it goes.
struct PreparedSignature {
    at: Rect,
    mask: Vec<u8>,
}

/// Binarises the signature (Otsu's threshold), crops it to its ink, scales it to fit the box
/// keeping its aspect, centres it; the mask is the ink coverage.
fn prepare_signature(raw: &RawImage, b: Rect) -> Result<PreparedSignature, RenderError> {
    let role = ImageRole::Signature;
    if !raw.is_consistent() {
        return Err(bad(role, "the pixel buffer does not match the image size"));
    }
    if raw.width == 0 || raw.height == 0 || b.width == 0 || b.height == 0 {
        return Err(bad(role, "the image is empty"));
    }
    let grey: Vec<u8> = match raw.format {
        PixelFormat::Gray8 => raw.data.clone(),
        PixelFormat::Rgb8 => raw
            .data
            .chunks_exact(3)
            .map(|p| {
                ((u32::from(p[0]) * 299 + u32::from(p[1]) * 587 + u32::from(p[2]) * 114 + 500)
                    / 1000) as u8
            })
            .collect(),
    };
    let threshold = otsu(&grey).ok_or_else(|| bad(role, "the signature has no ink"))?;
    let (w, h) = (raw.width, raw.height);
    let ink = |x: u32, y: u32| grey[y as usize * w as usize + x as usize] <= threshold;
    let (mut x0, mut y0, mut x1, mut y1) = (u32::MAX, u32::MAX, 0, 0);
    for y in 0..h {
        for x in 0..w {
            if ink(x, y) {
                x0 = x0.min(x);
                y0 = y0.min(y);
                x1 = x1.max(x);
                y1 = y1.max(y);
            }
        }
    }
    if x0 > x1 {
        return Err(bad(role, "the signature has no ink"));
    }
    let (cw, ch) = (x1 - x0 + 1, y1 - y0 + 1);
    // Binarised crop: ink black (0), paper white (255).
    let mut crop = GrayImage::new(cw, ch);
    for (x, y, p) in crop.enumerate_pixels_mut() {
        p.0[0] = if ink(x0 + x, y0 + y) { 0 } else { 255 };
    }
    let scale = f64::min(
        f64::from(b.width) / f64::from(cw),
        f64::from(b.height) / f64::from(ch),
    );
    let tw = ((f64::from(cw) * scale).round() as u32).clamp(1, b.width);
    let th = ((f64::from(ch) * scale).round() as u32).clamp(1, b.height);
    let scaled = imageops::resize(&crop, tw, th, FilterType::Triangle);
    // Darken: anything at least half covered is full ink.
    let mask = scaled
        .as_raw()
        .iter()
        .map(|&v| (u32::from(255 - v) * 2).min(255) as u8)
        .collect();
    Ok(PreparedSignature {
        at: Rect::new(b.x + (b.width - tw) / 2, b.y + (b.height - th) / 2, tw, th),
        mask,
    })
}

/// Otsu's threshold: the grey level that best separates ink from paper; `None` for an image
/// of one level only (nothing to separate).
fn otsu(grey: &[u8]) -> Option<u8> {
    let mut hist = [0u64; 256];
    for &v in grey {
        hist[usize::from(v)] += 1;
    }
    let total = grey.len() as f64;
    let sum_all: f64 = hist
        .iter()
        .enumerate()
        .map(|(i, &n)| i as f64 * n as f64)
        .sum();
    let (mut weight_b, mut sum_b) = (0.0, 0.0);
    let mut best: Option<(f64, u8)> = None;
    for (t, &n) in hist.iter().enumerate() {
        weight_b += n as f64;
        if weight_b == 0.0 {
            continue;
        }
        let weight_f = total - weight_b;
        if weight_f == 0.0 {
            break;
        }
        sum_b += t as f64 * n as f64;
        let mean_b = sum_b / weight_b;
        let mean_f = (sum_all - sum_b) / weight_f;
        let between = weight_b * weight_f * (mean_b - mean_f).powi(2);
        if best.is_none_or(|(b, _)| between > b) {
            best = Some((between, t as u8));
        }
    }
    best.map(|(_, t)| t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn otsu_separates_two_levels() {
        let mut v = vec![30u8; 100];
        v.extend(vec![220u8; 900]);
        let t = otsu(&v).unwrap();
        assert!((30..220).contains(&t), "{t}");
        assert_eq!(otsu(&[128; 50]), None);
    }

    #[test]
    fn signature_is_cropped_to_its_ink_and_fits_its_box() {
        // A 200 x 100 white image with a 40 x 10 black bar at (50, 20).
        let mut data = vec![255u8; 200 * 100];
        for y in 20..30 {
            for x in 50..90 {
                data[y * 200 + x] = 0;
            }
        }
        let raw = RawImage::gray(200, 100, None, data).unwrap();
        let b = Rect::new(10, 10, 220, 120);
        let sig = prepare_signature(&raw, b).unwrap();
        // 4:1 ink scaled to the full width: 220 x 55, centred vertically.
        assert_eq!((sig.at.width, sig.at.height), (220, 55));
        assert!(b.contains(&sig.at));
        assert_eq!(sig.at.y, 10 + (120 - 55) / 2);
        assert!(sig.mask.iter().all(|&m| m > 200));
        let blank = RawImage::gray(10, 10, None, vec![255; 100]).unwrap();
        assert!(matches!(
            prepare_signature(&blank, b),
            Err(RenderError::BadImage {
                role: ImageRole::Signature,
                ..
            })
        ));
    }

    #[test]
    fn photo_is_cropped_to_three_by_four() {
        // A wide image, left half red, right half blue, with a green centre column: the crop
        // keeps the centre.
        let (w, h) = (400u32, 300u32);
        let mut data = Vec::new();
        for _ in 0..h {
            for x in 0..w {
                let p = if (190..210).contains(&x) {
                    [0, 255, 0]
                } else if x < w / 2 {
                    [255, 0, 0]
                } else {
                    [0, 0, 255]
                };
                data.extend_from_slice(&p);
            }
        }
        let raw = RawImage::rgb(w, h, data).unwrap();
        let out = prepare_photo(PhotoSource::Raw(&raw), Rect::new(0, 0, 240, 320)).unwrap();
        assert_eq!(out.dimensions(), (240, 320));
        assert_eq!(out.get_pixel(120, 160).0[1], 255);
        assert!(out.get_pixel(5, 160).0[0] > 200);
        assert!(out.get_pixel(235, 160).0[2] > 200);
        let jp2 = EncodedImage {
            codec: ImageCodec::Jpeg2000,
            width: 1,
            height: 1,
            bytes: vec![0; 4],
        };
        assert!(prepare_photo(PhotoSource::Encoded(&jp2), Rect::new(0, 0, 3, 4)).is_err());
    }
}
