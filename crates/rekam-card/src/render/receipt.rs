//! Paper receipts printed when a card cannot be issued now: the pickup receipt (tanda
//! pengambilan KTP-el) and the surat keterangan that stands in for the card until it is
//! issued. Grey pixels on A6 or A5 paper at the printer's resolution.
//!
//! A receipt has the office's letterhead, the title, the job reference, the applicant's name
//! and masked NIK (never the full NIK: [`RenderError::UnmaskedNik`]), the reason the card is
//! deferred, the dates, the operator, a QR code encoding `rekam:job:<job id>` that finds the
//! deferred job at pickup, and the office's complaint channels at the bottom.
//!
//! [`layout_receipt`] places every line (and reports them, so that tests can read what is
//! printed); [`render_receipt`] draws that layout. The rule of the card face holds: a text
//! that does not fit is shrunk, then wrapped where the field allows, else the render fails
//! with [`RenderError::DoesNotFit`].

use std::fmt;

use qrcode::{Color, EcLevel, QrCode};
use rekam_hal::{PixelFormat, RawImage};
use time::Date;

use super::canvas::Canvas;
use super::font::{Fonts, Weight};
use super::text::{fit, Fit};
use super::{Rect, RenderError, RenderField};
use crate::record::card_date;

/// Which receipt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReceiptKind {
    /// Tanda pengambilan KTP-el: the resident comes back with it to collect the card.
    TandaPengambilan,
    /// Surat keterangan: certifies that the card is being issued and stands in for it until
    /// then.
    SuratKeterangan,
}

impl ReceiptKind {
    /// The title printed on the receipt.
    pub fn title(self) -> &'static str {
        match self {
            ReceiptKind::TandaPengambilan => "TANDA PENGAMBILAN KTP-el",
            ReceiptKind::SuratKeterangan => "SURAT KETERANGAN",
        }
    }
}

/// The office issuing the receipt (its letterhead and complaint channels).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Office {
    /// The office, e.g. `Kecamatan Senduro`.
    pub name: String,
    /// Its street address.
    pub address: String,
    /// The regency or city it belongs to, e.g. `Kabupaten Lumajang`: the letterhead reads
    /// `PEMERINTAH <REGION>`, and the receipt is dated at it.
    pub region: String,
    /// Complaint channels, one line each (phone, WhatsApp, e-mail, LAPOR!).
    pub complaint_channels: Vec<String>,
}

/// Why the card is deferred, as printed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DeferralText {
    /// No blank cards.
    NoBlank,
    /// The record is not yet Print Ready Record.
    NotPrr,
    /// The card printer is not available.
    PrinterUnavailable,
    /// The network to the central system is down.
    NetworkDown,
    /// Another reason, as the office words it.
    Other(String),
}

impl DeferralText {
    /// The Indonesian text printed.
    pub fn text(&self) -> &str {
        match self {
            DeferralText::NoBlank => "Blanko KTP-el belum tersedia",
            DeferralText::NotPrr => "Data belum Print Ready Record (PRR)",
            DeferralText::PrinterUnavailable => "Printer tidak tersedia",
            DeferralText::NetworkDown => "Jaringan ke pusat data terputus",
            DeferralText::Other(s) => s,
        }
    }
}

/// What a receipt says.
///
/// `Debug` leaves out the applicant's and the operator's names.
#[derive(Clone, PartialEq, Eq)]
pub struct Receipt {
    /// Tanda pengambilan or surat keterangan.
    pub kind: ReceiptKind,
    /// The issuing office.
    pub office: Office,
    /// The applicant's name (printed in upper case).
    pub applicant_name: String,
    /// The NIK, masked (`Nik::masked()`, e.g. `3507**********01`).
    pub nik_masked: String,
    /// Why the card is deferred.
    pub reason: DeferralText,
    /// The deferred job's id (1 to 64 of `A-Z a-z 0-9 _ -`), printed and in the QR code.
    pub job_ref: String,
    /// The date the receipt is issued.
    pub issued_at: Date,
    /// When to come back, if known.
    pub return_date: Option<Date>,
    /// The operator's name.
    pub operator: String,
}

impl fmt::Debug for Receipt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receipt")
            .field("kind", &self.kind)
            .field("office", &self.office.name)
            .field("nik_masked", &self.nik_masked)
            .field("reason", &self.reason)
            .field("job_ref", &self.job_ref)
            .field("issued_at", &self.issued_at)
            .field("return_date", &self.return_date)
            .finish_non_exhaustive()
    }
}

impl Receipt {
    /// The QR code's payload: `rekam:job:<job id>`.
    pub fn qr_payload(&self) -> String {
        format!("rekam:job:{}", self.job_ref)
    }
}

/// Paper size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Paper {
    /// A6, 105 x 148 mm.
    A6,
    /// A5, 148 x 210 mm.
    A5,
}

impl Paper {
    /// Width and height in millimetres (portrait).
    pub fn size_mm(self) -> (f32, f32) {
        match self {
            Paper::A6 => (105.0, 148.0),
            Paper::A5 => (148.0, 210.0),
        }
    }

    /// How much larger than on A6 the text is set.
    fn text_scale(self) -> f32 {
        match self {
            Paper::A6 => 1.0,
            Paper::A5 => 1.3,
        }
    }
}

/// Paper and resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceiptOptions {
    /// A6 or A5.
    pub paper: Paper,
    /// The printer's resolution, 150 to 600 dpi (203 for most thermal and label printers, 300
    /// or 600 for lasers).
    pub dpi: u16,
}

impl Default for ReceiptOptions {
    /// A6 at 203 dpi.
    fn default() -> Self {
        ReceiptOptions {
            paper: Paper::A6,
            dpi: 203,
        }
    }
}

impl ReceiptOptions {
    /// The page in pixels: the paper size at the resolution, rounded (A6 at 203 dpi is
    /// 839 x 1183).
    pub fn pixel_size(&self) -> (u32, u32) {
        let (w, h) = self.paper.size_mm();
        (self.mm(w).round() as u32, self.mm(h).round() as u32)
    }

    fn mm(&self, mm: f32) -> f32 {
        mm * f32::from(self.dpi) / 25.4
    }

    /// Points to an em size in pixels, scaled for the paper.
    fn pt(&self, pt: f32) -> f32 {
        pt * f32::from(self.dpi) / 72.0 * self.paper.text_scale()
    }
}

/// A part of a receipt, as named in [`RenderError::DoesNotFit`] and in the layout's lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReceiptField {
    /// `PEMERINTAH <REGION>`.
    Region,
    /// The office's name.
    OfficeName,
    /// The office's address.
    OfficeAddress,
    /// The title.
    Title,
    /// `Nomor: <job id>`.
    JobRef,
    /// The sentence before the applicant's data.
    Intro,
    /// The applicant's name.
    ApplicantName,
    /// The masked NIK.
    Nik,
    /// The reason for deferral.
    Reason,
    /// The date issued.
    IssuedAt,
    /// When to come back.
    ReturnDate,
    /// The closing paragraph.
    Body,
    /// The QR code.
    Qr,
    /// The place and date above the operator's name.
    PlaceDate,
    /// The operator.
    Operator,
    /// The complaint channels.
    ComplaintChannels,
}

impl ReceiptField {
    /// The field's Indonesian name (the row label for the rows).
    pub fn label(self) -> &'static str {
        match self {
            ReceiptField::Region => "Pemerintah",
            ReceiptField::OfficeName => "Kantor",
            ReceiptField::OfficeAddress => "Alamat Kantor",
            ReceiptField::Title => "Judul",
            ReceiptField::JobRef => "Nomor",
            ReceiptField::Intro => "Pembuka",
            ReceiptField::ApplicantName => "Nama",
            ReceiptField::Nik => "NIK",
            ReceiptField::Reason => "Keterangan",
            ReceiptField::IssuedAt => "Tanggal",
            ReceiptField::ReturnDate => "Datang Kembali",
            ReceiptField::Body => "Isi",
            ReceiptField::Qr => "Kode QR",
            ReceiptField::PlaceDate => "Tempat dan Tanggal",
            ReceiptField::Operator => "Petugas",
            ReceiptField::ComplaintChannels => "Layanan Pengaduan",
        }
    }

    /// Whether the field's text is personal (left out of `Debug`).
    fn is_personal(self) -> bool {
        matches!(self, ReceiptField::ApplicantName | ReceiptField::Operator)
    }
}

impl fmt::Display for ReceiptField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One line of text placed on a receipt.
#[derive(Clone, PartialEq)]
pub struct ReceiptLine {
    /// The field the line belongs to (a row's label belongs to its row's field).
    pub field: ReceiptField,
    /// The text.
    pub text: String,
    /// The box of the line: advance width, ascent to descent.
    pub rect: Rect,
    /// Em size in pixels.
    pub em_px: f32,
    /// Bold or regular.
    pub bold: bool,
    is_label: bool,
    x: f32,
    baseline: f32,
}

impl fmt::Debug for ReceiptLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text: &str = if self.field.is_personal() {
            "<redacted>"
        } else {
            &self.text
        };
        f.debug_struct("ReceiptLine")
            .field("field", &self.field)
            .field("text", &text)
            .field("rect", &self.rect)
            .field("em_px", &self.em_px)
            .field("bold", &self.bold)
            .finish()
    }
}

/// A receipt laid out: every line, the rules and the QR code, in pixels.
///
/// `Debug` leaves out the applicant's and the operator's names (see [`ReceiptLine`]).
#[derive(Clone, PartialEq)]
pub struct ReceiptLayout {
    /// Page width in pixels.
    pub width: u32,
    /// Page height in pixels.
    pub height: u32,
    /// Resolution.
    pub dpi: u16,
    /// The text lines, top to bottom.
    pub lines: Vec<ReceiptLine>,
    /// Horizontal rules (filled rectangles).
    pub rules: Vec<Rect>,
    /// Where the QR code is drawn, quiet zone included.
    pub qr: Rect,
    /// The QR code's payload.
    pub qr_payload: String,
    qr_modules: Vec<bool>,
    qr_width: usize,
    qr_module_px: u32,
}

impl fmt::Debug for ReceiptLayout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReceiptLayout")
            .field("width", &self.width)
            .field("height", &self.height)
            .field("dpi", &self.dpi)
            .field("lines", &self.lines)
            .field("rules", &self.rules)
            .field("qr", &self.qr)
            .field("qr_payload", &self.qr_payload)
            .finish_non_exhaustive()
    }
}

impl ReceiptLayout {
    /// The lines of a field, in order.
    pub fn lines_of(&self, field: ReceiptField) -> impl Iterator<Item = &ReceiptLine> {
        self.lines.iter().filter(move |l| l.field == field)
    }

    /// The text of a field: its lines joined by spaces (row labels excluded).
    pub fn text_of(&self, field: ReceiptField) -> String {
        self.lines_of(field)
            .filter(|l| !l.is_label())
            .map(|l| l.text.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

impl ReceiptLine {
    /// Whether the line is a row's label or its colon rather than a value.
    pub fn is_label(&self) -> bool {
        self.is_label
    }
}

/// Text sizes in points (scaled for A5) with their minimum.
#[derive(Clone, Copy)]
struct Pt {
    nominal: f32,
    min: f32,
}

const HEAD: Pt = Pt {
    nominal: 8.5,
    min: 6.5,
};
const OFFICE: Pt = Pt {
    nominal: 10.0,
    min: 7.5,
};
const SMALL: Pt = Pt {
    nominal: 7.0,
    min: 5.5,
};
const TITLE: Pt = Pt {
    nominal: 12.0,
    min: 9.0,
};
const BODY: Pt = Pt {
    nominal: 8.0,
    min: 6.5,
};

#[derive(Clone, Copy, PartialEq)]
enum Align {
    Left,
    Centre,
}

/// How a text is set.
#[derive(Clone, Copy)]
struct Style {
    weight: Weight,
    size: Pt,
    max_lines: usize,
    align: Align,
    /// Prose wraps at its nominal size before it shrinks; fields shrink first.
    wrap_first: bool,
    /// A row's label or colon rather than a value.
    is_label: bool,
}

impl Style {
    /// A field value: shrinks, then wraps onto at most `max_lines`.
    const fn field(weight: Weight, size: Pt, max_lines: usize, align: Align) -> Style {
        Style {
            weight,
            size,
            max_lines,
            align,
            wrap_first: false,
            is_label: false,
        }
    }

    /// Prose: wraps onto at most `max_lines`, then shrinks.
    const fn prose(weight: Weight, size: Pt, max_lines: usize, align: Align) -> Style {
        Style {
            wrap_first: true,
            ..Style::field(weight, size, max_lines, align)
        }
    }

    const fn label() -> Style {
        Style {
            is_label: true,
            ..Style::field(Weight::Regular, BODY, 1, Align::Left)
        }
    }
}

/// Places the lines top to bottom.
struct Flow<'a> {
    fonts: &'a Fonts,
    opts: ReceiptOptions,
    lines: Vec<ReceiptLine>,
    /// Top of the next element.
    y: f32,
    /// Nothing may end below this.
    limit: f32,
}

impl Flow<'_> {
    /// Fits `text` between `left` and `right` with its first line's top at `top`; pushes its
    /// lines and returns the bottom of the last line.
    fn place(
        &mut self,
        field: ReceiptField,
        text: &str,
        style: Style,
        (left, right): (f32, f32),
        top: f32,
    ) -> Result<f32, RenderError> {
        let fail = RenderError::DoesNotFit {
            field: RenderField::Receipt(field),
        };
        let weight = style.weight;
        if !self.fonts.covers(weight, text) {
            return Err(RenderError::MissingGlyph {
                field: RenderField::Receipt(field),
            });
        }
        let nominal = self.opts.pt(style.size.nominal);
        let fitted = fit(
            self.fonts,
            Fit {
                weight,
                nominal_px: nominal,
                min_px: self.opts.pt(style.size.min),
                max_width: right - left,
                max_lines: style.max_lines,
                wrap_first: style.wrap_first,
            },
            text,
        )
        .ok_or(fail.clone())?;
        let em = fitted.em_px;
        let ascent = self.fonts.ascent(weight, em);
        let descent = self.fonts.descent(weight, em);
        let pitch = (ascent + descent) * 1.08;
        let mut baseline = top + self.fonts.ascent(weight, nominal);
        let mut bottom = top;
        for line in fitted.lines {
            let w = self.fonts.width(weight, em, &line);
            let x = match style.align {
                Align::Left => left,
                Align::Centre => (left + (right - left - w) / 2.0).round(),
            };
            bottom = baseline + descent;
            if bottom > self.limit {
                return Err(fail);
            }
            self.lines.push(ReceiptLine {
                field,
                rect: Rect::new(
                    x.max(0.0) as u32,
                    (baseline - ascent).max(0.0) as u32,
                    w.ceil() as u32,
                    (ascent + descent).ceil() as u32,
                ),
                text: line,
                em_px: em,
                bold: weight == Weight::Bold,
                is_label: style.is_label,
                x,
                baseline,
            });
            baseline += pitch;
        }
        Ok(bottom)
    }

    /// A paragraph between `span` at the cursor; moves the cursor below it.
    fn paragraph(
        &mut self,
        field: ReceiptField,
        text: &str,
        style: Style,
        span: (f32, f32),
        gap_after_mm: f32,
    ) -> Result<(), RenderError> {
        let bottom = self.place(field, text, style, span, self.y)?;
        self.y = bottom + self.opts.mm(gap_after_mm);
        Ok(())
    }

    /// A labelled row: label, colon on a common column, value (wrapping up to `max_lines`).
    fn row(
        &mut self,
        field: ReceiptField,
        label: &str,
        value: &str,
        value_style: Style,
        (left, colon_x, value_x, right): (f32, f32, f32, f32),
    ) -> Result<(), RenderError> {
        let top = self.y;
        self.place(field, label, Style::label(), (left, colon_x - 4.0), top)?;
        self.place(field, ":", Style::label(), (colon_x, value_x), top)?;
        let bottom = self.place(field, value, value_style, (value_x, right), top)?;
        self.y = bottom + self.opts.mm(1.2);
        Ok(())
    }
}

fn check_masked(nik: &str) -> Result<(), RenderError> {
    let digits = nik.chars().filter(char::is_ascii_digit).count();
    if digits > 6 || !nik.contains('*') {
        return Err(RenderError::UnmaskedNik);
    }
    Ok(())
}

fn check_job_ref(job: &str) -> Result<(), RenderError> {
    let ok = !job.is_empty()
        && job.len() <= 64
        && job
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(RenderError::InvalidJobRef)
    }
}

/// Lays a receipt out: every line of text, the rules and the QR code (see the module doc).
///
/// # Errors
///
/// [`RenderError::UnmaskedNik`], [`RenderError::InvalidJobRef`], [`RenderError::DoesNotFit`]
/// (a text too long for its box, or the page too short for everything),
/// [`RenderError::MissingGlyph`], [`RenderError::UnsupportedResolution`] below 150 or above
/// 600 dpi.
pub fn layout_receipt(
    receipt: &Receipt,
    opts: &ReceiptOptions,
) -> Result<ReceiptLayout, RenderError> {
    layout_with(&Fonts::load()?, receipt, opts)
}

fn layout_with(
    fonts: &Fonts,
    receipt: &Receipt,
    opts: &ReceiptOptions,
) -> Result<ReceiptLayout, RenderError> {
    check_masked(&receipt.nik_masked)?;
    check_job_ref(&receipt.job_ref)?;
    if !(150..=600).contains(&opts.dpi) {
        return Err(RenderError::UnsupportedResolution { dpi: opts.dpi });
    }
    let (width, height) = opts.pixel_size();
    let margin = opts.mm(7.0);
    let (left, right) = (margin, width as f32 - margin);
    let span = (left, right);
    let mut rules = Vec::new();
    let mut flow = Flow {
        fonts,
        opts: *opts,
        lines: Vec::new(),
        y: opts.mm(6.0),
        limit: height as f32 - opts.mm(6.0),
    };
    let thick = opts.mm(0.6).round().max(2.0) as u32;
    let thin = opts.mm(0.2).round().max(1.0) as u32;
    let rule_w = (right - left).round() as u32;

    // The complaint channels are pinned to the bottom: measure them first, they set the
    // limit for the rest.
    let channels_height = {
        let mut probe = Flow {
            fonts,
            opts: *opts,
            lines: Vec::new(),
            y: 0.0,
            limit: f32::MAX,
        };
        complaints(&mut probe, receipt, span)?;
        probe.y
    };
    let channels_top = flow.limit - channels_height - thin as f32;

    // Letterhead: PEMERINTAH <REGION>, the office, its address, a double rule.
    let centre = Align::Centre;
    let region = format!("PEMERINTAH {}", receipt.office.region.to_uppercase());
    flow.paragraph(
        ReceiptField::Region,
        &region,
        Style::field(Weight::Bold, HEAD, 1, centre),
        span,
        0.5,
    )?;
    flow.paragraph(
        ReceiptField::OfficeName,
        &receipt.office.name.to_uppercase(),
        Style::field(Weight::Bold, OFFICE, 2, centre),
        span,
        0.5,
    )?;
    flow.paragraph(
        ReceiptField::OfficeAddress,
        &receipt.office.address,
        Style::prose(Weight::Regular, SMALL, 2, centre),
        span,
        1.2,
    )?;
    rules.push(Rect::new(left as u32, flow.y as u32, rule_w, thick));
    rules.push(Rect::new(
        left as u32,
        (flow.y + thick as f32 + opts.mm(0.5)) as u32,
        rule_w,
        thin,
    ));
    flow.y += thick as f32 + opts.mm(0.5) + thin as f32 + opts.mm(3.0);

    // Title and number.
    flow.paragraph(
        ReceiptField::Title,
        receipt.kind.title(),
        Style::field(Weight::Bold, TITLE, 1, centre),
        span,
        0.5,
    )?;
    flow.paragraph(
        ReceiptField::JobRef,
        &format!("Nomor: {}", receipt.job_ref),
        Style::field(Weight::Regular, BODY, 1, centre),
        span,
        3.0,
    )?;

    // Intro, rows, body.
    let intro = match receipt.kind {
        ReceiptKind::TandaPengambilan => {
            "Permohonan KTP-el berikut telah diterima dan sedang diproses:"
        }
        ReceiptKind::SuratKeterangan => "Yang bertanda tangan di bawah ini menerangkan bahwa:",
    };
    flow.paragraph(
        ReceiptField::Intro,
        intro,
        Style::prose(Weight::Regular, BODY, 3, Align::Left),
        span,
        1.5,
    )?;
    let colon_x = left + opts.mm(33.0) * opts.paper.text_scale();
    let cols = (left + opts.mm(3.0), colon_x, colon_x + opts.mm(2.5), right);
    let return_label = match receipt.kind {
        ReceiptKind::TandaPengambilan => ReceiptField::ReturnDate.label(),
        ReceiptKind::SuratKeterangan => "Pengambilan KTP-el",
    };
    let return_value = receipt
        .return_date
        .map(card_date)
        .unwrap_or_else(|| "Menunggu pemberitahuan petugas".to_owned());
    let plain = |lines| Style::field(Weight::Regular, BODY, lines, Align::Left);
    let bold = |lines| Style::field(Weight::Bold, BODY, lines, Align::Left);
    let rows: [(ReceiptField, &str, String, Style); 5] = [
        (
            ReceiptField::ApplicantName,
            ReceiptField::ApplicantName.label(),
            receipt.applicant_name.to_uppercase(),
            bold(2),
        ),
        (
            ReceiptField::Nik,
            ReceiptField::Nik.label(),
            receipt.nik_masked.clone(),
            plain(1),
        ),
        (
            ReceiptField::Reason,
            ReceiptField::Reason.label(),
            receipt.reason.text().to_owned(),
            plain(2),
        ),
        (
            ReceiptField::IssuedAt,
            ReceiptField::IssuedAt.label(),
            card_date(receipt.issued_at),
            plain(1),
        ),
        (
            ReceiptField::ReturnDate,
            return_label,
            return_value,
            bold(1),
        ),
    ];
    for (field, label, value, style) in rows {
        flow.row(field, label, &value, style, cols)?;
    }
    flow.y += opts.mm(1.5);
    let body = match receipt.kind {
        ReceiptKind::TandaPengambilan => {
            "Simpan tanda pengambilan ini. Tunjukkan tanda pengambilan ini beserta kode QR \
             kepada petugas saat mengambil KTP-el."
        }
        ReceiptKind::SuratKeterangan => {
            "KTP-el yang bersangkutan sedang dalam proses penerbitan. Surat keterangan ini \
             berlaku sebagai pengganti KTP-el sampai KTP-el diterima oleh yang bersangkutan."
        }
    };
    flow.paragraph(
        ReceiptField::Body,
        body,
        Style::prose(Weight::Regular, BODY, 4, Align::Left),
        span,
        4.0,
    )?;

    // QR code on the left (quiet zone included), place, date and operator on the right.
    let payload = receipt.qr_payload();
    let code = QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::M)
        .map_err(|e| RenderError::Qr(e.to_string()))?;
    let qr_width = code.width();
    let quiet = 4;
    let target = opts.mm(28.0) * opts.paper.text_scale();
    let module_px = ((target / (qr_width + 2 * quiet) as f32).floor() as u32).max(2);
    let qr_side = module_px * (qr_width + 2 * quiet) as u32;
    // The quiet zone may reach into the margin: the modules line up with the text.
    let qr_x = (left - (quiet * module_px as usize) as f32).max(0.0) as u32;
    let qr = Rect::new(qr_x, flow.y as u32, qr_side, qr_side);
    let text_span = (qr.right() as f32, right);
    let place_date = format!(
        "{}, {}",
        receipt.office.region,
        card_date(receipt.issued_at)
    );
    let centred = Style::field(Weight::Regular, BODY, 2, centre);
    let mut y = flow.y + (quiet * module_px as usize) as f32;
    y = flow.place(ReceiptField::PlaceDate, &place_date, centred, text_span, y)?;
    y = flow.place(
        ReceiptField::PlaceDate,
        "Petugas,",
        centred,
        text_span,
        y + opts.mm(0.5),
    )?;
    // Room to sign and stamp.
    y = flow.place(
        ReceiptField::Operator,
        &receipt.operator,
        Style::field(Weight::Bold, BODY, 2, centre),
        text_span,
        y + opts.mm(13.0),
    )?;
    // Under the quiet zone: nothing may be printed in it.
    let caption_top = qr.bottom() as f32;
    let caption = flow.place(
        ReceiptField::Qr,
        "Kode pengambilan",
        Style::field(Weight::Regular, SMALL, 1, centre),
        (qr.x as f32, qr.right() as f32),
        caption_top,
    )?;
    if caption.max(y) > channels_top {
        return Err(RenderError::DoesNotFit {
            field: RenderField::Receipt(ReceiptField::Qr),
        });
    }

    // The complaint channels, pinned to the bottom.
    rules.push(Rect::new(left as u32, channels_top as u32, rule_w, thin));
    flow.y = channels_top + thin as f32;
    complaints(&mut flow, receipt, span)?;

    Ok(ReceiptLayout {
        width,
        height,
        dpi: opts.dpi,
        lines: flow.lines,
        rules,
        qr,
        qr_payload: payload,
        qr_modules: code
            .to_colors()
            .into_iter()
            .map(|c| c == Color::Dark)
            .collect(),
        qr_width,
        qr_module_px: module_px,
    })
}

/// The complaint block: a heading and one line per channel.
fn complaints(flow: &mut Flow<'_>, receipt: &Receipt, span: (f32, f32)) -> Result<(), RenderError> {
    flow.y += flow.opts.mm(1.5);
    flow.paragraph(
        ReceiptField::ComplaintChannels,
        "Layanan pengaduan:",
        Style::field(Weight::Bold, SMALL, 1, Align::Left),
        span,
        0.3,
    )?;
    for channel in &receipt.office.complaint_channels {
        flow.paragraph(
            ReceiptField::ComplaintChannels,
            channel,
            Style::prose(Weight::Regular, SMALL, 2, Align::Left),
            span,
            0.3,
        )?;
    }
    Ok(())
}

/// Renders a receipt (see [`layout_receipt`]) as grey pixels at the options' resolution.
///
/// # Errors
///
/// As [`layout_receipt`].
pub fn render_receipt(receipt: &Receipt, opts: &ReceiptOptions) -> Result<RawImage, RenderError> {
    let fonts = Fonts::load()?;
    let layout = layout_with(&fonts, receipt, opts)?;
    Ok(draw(&fonts, &layout))
}

/// Draws a laid-out receipt.
fn draw(fonts: &Fonts, layout: &ReceiptLayout) -> RawImage {
    let black = [0, 0, 0];
    let mut canvas = Canvas::new(
        layout.width,
        layout.height,
        PixelFormat::Gray8,
        [255, 255, 255],
    );
    for line in &layout.lines {
        let weight = if line.bold {
            Weight::Bold
        } else {
            Weight::Regular
        };
        canvas.text(
            fonts,
            weight,
            line.em_px,
            (line.x, line.baseline),
            &line.text,
            black,
        );
    }
    for rule in &layout.rules {
        canvas.fill(*rule, black);
    }
    let quiet =
        (layout.qr.width / layout.qr_module_px.max(1)).saturating_sub(layout.qr_width as u32) / 2;
    for (i, dark) in layout.qr_modules.iter().enumerate() {
        if *dark {
            let mx = (i % layout.qr_width) as u32 + quiet;
            let my = (i / layout.qr_width) as u32 + quiet;
            canvas.fill(
                Rect::new(
                    layout.qr.x + mx * layout.qr_module_px,
                    layout.qr.y + my * layout.qr_module_px,
                    layout.qr_module_px,
                    layout.qr_module_px,
                ),
                black,
            );
        }
    }
    debug_assert_eq!(
        (canvas.width(), canvas.height()),
        (layout.width, layout.height)
    );
    canvas.into_image(layout.dpi)
}
