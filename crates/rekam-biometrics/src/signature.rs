//! Signatures: checks on a pad's pen samples, the ISO/IEC 19794-7 time-series record, and the
//! binarised image printed on the card face and stored on the chip.
//!
//! - [`check`] validates samples against the pad ([`PadGeometry`]): not empty, enough samples,
//!   some ink, time never going back, every value within the pad's ranges, short enough for the
//!   record's 16-bit time channel. It returns a [`SignatureSummary`] (strokes, duration, ink box).
//! - [`to_record`] / [`record_bytes`] build the 19794-7 record (channels X, Y, T, F, S, time
//!   from the first sample, the pressure channel declaring its range) through
//!   `rekam-iso19794`; [`samples_from_record`] reads one back.
//! - [`card_image`] renders the pen-down strokes straight into a target box ([`CardImageSpec`]:
//!   the card face's signature area, or the chip's small 1-bit image): the ink's bounding box
//!   (including the pen's width) plus a margin is scaled to fit the box with its aspect kept, and
//!   each segment is drawn as a capsule whose width follows the pressure, never thinner than
//!   1.5 output pixels so no stroke vanishes. Drawing the vectors at the output resolution
//!   rather than resizing a raster keeps strokes crisp, and the result is binary by
//!   construction (0 ink, 255 paper). [`BitImage`] packs it to 1 bit per pixel and PNG.
//!
//! Errors name the sample index and field, never coordinate values: the trajectory is biometric
//! data.

use std::fmt;

use rekam_hal::{PenSample, PixelFormat, RawImage, Rect, SignaturePadCapabilities};
use rekam_iso19794::sdi::{ChannelDescription, Signature, SignatureRecord};
use rekam_iso19794::{CaptureDateTime, CaptureDevice, DecodeError, EncodeError};

/// The fewest samples a signature may have (at 100-200 Hz, a tenth of a second of writing).
pub const MIN_SAMPLES: usize = 20;
/// The longest signature the 19794-7 time channel (16-bit milliseconds) holds.
pub const MAX_DURATION_MS: u32 = u16::MAX as u32;
/// Largest X or Y the record holds (X and Y are signed 16-bit channels).
pub const MAX_COORDINATE: u16 = 0x7FFF;

/// The pad's coordinate and pressure ranges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PadGeometry {
    /// Width in pad units: X is below it.
    pub width: u16,
    /// Height in pad units: Y is below it.
    pub height: u16,
    /// Pressure levels: pressure is below it (0 when the pad has no pressure sensor, and then
    /// pressure must be 0).
    pub pressure_levels: u16,
}

impl From<&SignaturePadCapabilities> for PadGeometry {
    fn from(c: &SignaturePadCapabilities) -> Self {
        PadGeometry {
            width: c.width,
            height: c.height,
            pressure_levels: c.pressure_levels,
        }
    }
}

/// What kind of failure a [`SignatureError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SignatureErrorKind {
    /// The capture holds no usable signature: the operator should ask the person to sign again.
    NoSignature,
    /// The pad's data is inconsistent (a device or driver fault).
    BadData,
    /// A parameter given by the caller is unusable.
    InvalidParameter,
    /// A 19794-7 record could not be written or read.
    Record,
}

/// Why a signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// No samples at all.
    #[error("the signature has no samples")]
    Empty,
    /// Fewer samples than [`MIN_SAMPLES`].
    #[error("the signature has {count} samples, at least {min} are needed")]
    TooFewSamples {
        /// Samples given.
        count: usize,
        /// The minimum.
        min: usize,
    },
    /// The pen never touched the pad.
    #[error("the pen never touched the pad")]
    NoPenDown,
    /// A sample's time is earlier than the one before it.
    #[error("sample {index} is earlier than the sample before it")]
    TimeGoesBack {
        /// Index of the offending sample.
        index: usize,
    },
    /// The signature lasts longer than the record's time channel holds.
    #[error("the signature lasts {duration_ms} ms, the record holds at most {max} ms")]
    TooLong {
        /// Duration from the first to the last sample.
        duration_ms: u32,
        /// [`MAX_DURATION_MS`].
        max: u32,
    },
    /// A value outside the pad's range.
    #[error("sample {index}: {field} is outside the pad's range (0..{limit})")]
    OutOfRange {
        /// Index of the offending sample.
        index: usize,
        /// `x`, `y` or `pressure`.
        field: &'static str,
        /// The exclusive upper bound.
        limit: u32,
    },
    /// The pad geometry or the image spec is unusable.
    #[error("invalid parameter `{field}`: {reason}")]
    InvalidParameter {
        /// The parameter.
        field: &'static str,
        /// Why.
        reason: &'static str,
    },
    /// Writing the 19794-7 record failed.
    #[error("cannot write the signature record")]
    Encode(#[source] EncodeError),
    /// Reading a 19794-7 record failed.
    #[error("cannot read the signature record")]
    Decode(#[source] DecodeError),
}

impl SignatureError {
    /// The kind of failure.
    pub fn kind(&self) -> SignatureErrorKind {
        match self {
            SignatureError::Empty
            | SignatureError::TooFewSamples { .. }
            | SignatureError::NoPenDown
            | SignatureError::TooLong { .. } => SignatureErrorKind::NoSignature,
            SignatureError::TimeGoesBack { .. } | SignatureError::OutOfRange { .. } => {
                SignatureErrorKind::BadData
            }
            SignatureError::InvalidParameter { .. } => SignatureErrorKind::InvalidParameter,
            SignatureError::Encode(_) | SignatureError::Decode(_) => SignatureErrorKind::Record,
        }
    }
}

/// What [`check`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureSummary {
    /// Samples in total.
    pub samples: usize,
    /// Samples with the pen down.
    pub pen_down_samples: usize,
    /// Pen-down strokes (runs of pen-down samples).
    pub strokes: usize,
    /// From the first to the last sample, milliseconds.
    pub duration_ms: u32,
    /// Bounding box of the pen-down samples, pad units.
    pub ink_box: Rect,
}

/// Checks `samples` from a pad with geometry `pad`.
///
/// # Errors
/// [`SignatureErrorKind::NoSignature`] for an empty, too short, ink-free or too long signature;
/// [`SignatureErrorKind::BadData`] for time going back or values off the pad;
/// [`SignatureErrorKind::InvalidParameter`] for a pad of zero size or larger than the record's
/// coordinate range.
pub fn check(samples: &[PenSample], pad: &PadGeometry) -> Result<SignatureSummary, SignatureError> {
    if pad.width == 0 || pad.height == 0 {
        return Err(SignatureError::InvalidParameter {
            field: "pad size",
            reason: "width and height must be positive",
        });
    }
    if pad.width > MAX_COORDINATE + 1 || pad.height > MAX_COORDINATE + 1 {
        return Err(SignatureError::InvalidParameter {
            field: "pad size",
            reason: "coordinates above 32767 do not fit the 19794-7 record",
        });
    }
    if samples.is_empty() {
        return Err(SignatureError::Empty);
    }
    let pressure_limit = u32::from(pad.pressure_levels).max(1);
    for (index, s) in samples.iter().enumerate() {
        for (field, value, limit) in [
            ("x", u32::from(s.x), u32::from(pad.width)),
            ("y", u32::from(s.y), u32::from(pad.height)),
            ("pressure", u32::from(s.pressure), pressure_limit),
        ] {
            if value >= limit {
                return Err(SignatureError::OutOfRange {
                    index,
                    field,
                    limit,
                });
            }
        }
    }
    if let Some(index) = samples
        .windows(2)
        .position(|w| w[1].t_ms < w[0].t_ms)
        .map(|i| i + 1)
    {
        return Err(SignatureError::TimeGoesBack { index });
    }
    if samples.len() < MIN_SAMPLES {
        return Err(SignatureError::TooFewSamples {
            count: samples.len(),
            min: MIN_SAMPLES,
        });
    }
    let down: Vec<&PenSample> = samples.iter().filter(|s| s.pen_down).collect();
    if down.is_empty() {
        return Err(SignatureError::NoPenDown);
    }
    let first = samples.first().map_or(0, |s| s.t_ms);
    let last = samples.last().map_or(0, |s| s.t_ms);
    let duration_ms = last - first;
    if duration_ms > MAX_DURATION_MS {
        return Err(SignatureError::TooLong {
            duration_ms,
            max: MAX_DURATION_MS,
        });
    }
    let strokes = samples
        .iter()
        .enumerate()
        .filter(|(i, s)| s.pen_down && (*i == 0 || !samples[i - 1].pen_down))
        .count();
    let (x0, y0, x1, y1) = down.iter().fold((u16::MAX, u16::MAX, 0, 0), |b, s| {
        (b.0.min(s.x), b.1.min(s.y), b.2.max(s.x), b.3.max(s.y))
    });
    Ok(SignatureSummary {
        samples: samples.len(),
        pen_down_samples: down.len(),
        strokes,
        duration_ms,
        ink_box: Rect {
            x: x0.into(),
            y: y0.into(),
            width: u32::from(x1 - x0) + 1,
            height: u32::from(y1 - y0) + 1,
        },
    })
}

/// Builds the ISO/IEC 19794-7:2014 record of a checked signature: one representation with
/// channels X, Y, T (milliseconds from the first sample), F (pressure, declared 0 to
/// `pressure_levels - 1`) and S (pen tip switch).
///
/// # Errors
/// Everything [`check`] refuses, and [`SignatureErrorKind::Record`] if the record cannot be
/// built.
pub fn to_record(
    samples: &[PenSample],
    pad: &PadGeometry,
    captured: Option<CaptureDateTime>,
    device: CaptureDevice,
) -> Result<SignatureRecord, SignatureError> {
    check(samples, pad)?;
    let first = samples.first().map_or(0, |s| s.t_ms);
    let rebased: Vec<PenSample> = samples
        .iter()
        .map(|s| PenSample {
            t_ms: s.t_ms - first,
            ..*s
        })
        .collect();
    let mut signature =
        Signature::from_pen_samples(&rebased, captured, device).map_err(SignatureError::Encode)?;
    signature.pressure = Some(ChannelDescription {
        minimum: Some(0),
        maximum: Some(pad.pressure_levels.saturating_sub(1)),
        ..ChannelDescription::default()
    });
    Ok(SignatureRecord {
        signatures: vec![signature],
    })
}

/// [`to_record`] written to bytes.
///
/// # Errors
/// As [`to_record`].
pub fn record_bytes(
    samples: &[PenSample],
    pad: &PadGeometry,
    captured: Option<CaptureDateTime>,
    device: CaptureDevice,
) -> Result<Vec<u8>, SignatureError> {
    to_record(samples, pad, captured, device)?
        .to_bytes()
        .map_err(SignatureError::Encode)
}

/// The pen samples of the first signature in a 19794-7 record.
///
/// # Errors
/// [`SignatureError::Decode`] when the bytes are not a valid record, [`SignatureError::Empty`]
/// when it holds no signature.
pub fn samples_from_record(bytes: &[u8]) -> Result<Vec<PenSample>, SignatureError> {
    let record = SignatureRecord::from_bytes(bytes).map_err(SignatureError::Decode)?;
    record
        .signatures
        .first()
        .map(Signature::to_pen_samples)
        .ok_or(SignatureError::Empty)
}

/// How to render the card image.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CardImageSpec {
    /// The largest width, output pixels.
    pub max_width: u32,
    /// The largest height, output pixels.
    pub max_height: u32,
    /// Paper kept around the ink on every side, output pixels.
    pub margin: u32,
    /// Pen diameter at zero and at full pressure, pad units.
    pub pen_width: (f32, f32),
    /// Pad the image to exactly `max_width` x `max_height`, the signature centred (for a fixed
    /// card-face area); otherwise the image is as small as the fitted signature.
    pub fill_box: bool,
}

impl CardImageSpec {
    /// The KTP-el card face's signature area: about 20 x 8 mm at 300 dpi.
    pub const CARD_FACE: CardImageSpec = CardImageSpec {
        max_width: 240,
        max_height: 96,
        margin: 4,
        pen_width: (1.2, 3.6),
        fill_box: true,
    };
    /// The chip's 1-bit signature: small, tight, as few bytes as possible.
    pub const CHIP: CardImageSpec = CardImageSpec {
        max_width: 256,
        max_height: 96,
        margin: 2,
        pen_width: (1.0, 3.0),
        fill_box: false,
    };

    fn validate(&self) -> Result<(), SignatureError> {
        let bad = |field, reason| Err(SignatureError::InvalidParameter { field, reason });
        if self.max_width == 0 || self.max_height == 0 {
            return bad("max_width/max_height", "the box must not be empty");
        }
        if self.max_width > 8192 || self.max_height > 8192 {
            return bad("max_width/max_height", "the box is larger than 8192 pixels");
        }
        if self.margin.saturating_mul(2) >= self.max_width.min(self.max_height) {
            return bad("margin", "the margins leave no room for the signature");
        }
        let (lo, hi) = self.pen_width;
        if !(lo.is_finite() && hi.is_finite() && lo > 0.0 && hi >= lo && hi <= 100.0) {
            return bad("pen_width", "needs 0 < thin <= thick <= 100 pad units");
        }
        Ok(())
    }
}

/// Thinnest stroke radius in output pixels: at 0.75 every point of a line lies within reach of
/// a pixel centre (half the diagonal is 0.707), so strokes stay connected.
const MIN_RADIUS_PX: f32 = 0.75;

/// Renders the pen-down strokes of `samples` binarised into `spec`'s box: an 8-bit grey image
/// holding only 0 (ink) and 255 (paper), cropped to the ink plus the margin, aspect kept.
///
/// # Errors
/// Everything [`check`] refuses, and [`SignatureErrorKind::InvalidParameter`] for an unusable
/// spec.
pub fn card_image(
    samples: &[PenSample],
    pad: &PadGeometry,
    spec: &CardImageSpec,
) -> Result<RawImage, SignatureError> {
    spec.validate()?;
    check(samples, pad)?;
    let levels = f32::from(pad.pressure_levels.max(1));
    let (thin, thick) = spec.pen_width;
    let radius = |s: &PenSample| {
        if pad.pressure_levels == 0 {
            (thin + thick) / 4.0
        } else {
            let p = (f32::from(s.pressure) / (levels - 1.0).max(1.0)).clamp(0.0, 1.0);
            (thin + (thick - thin) * p.powf(0.7)) / 2.0
        }
    };
    // Ink extent in pad units, including the pen's radius.
    let mut ext = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
    for s in samples.iter().filter(|s| s.pen_down) {
        let r = radius(s);
        let (x, y) = (f32::from(s.x), f32::from(s.y));
        ext = (
            ext.0.min(x - r),
            ext.1.min(y - r),
            ext.2.max(x + r),
            ext.3.max(y + r),
        );
    }
    let ink_w = (ext.2 - ext.0).max(1.0);
    let ink_h = (ext.3 - ext.1).max(1.0);
    let m = spec.margin as f32;
    let scale =
        ((spec.max_width as f32 - 2.0 * m) / ink_w).min((spec.max_height as f32 - 2.0 * m) / ink_h);
    let fit_w = ((ink_w * scale).ceil() as u32 + 2 * spec.margin).clamp(1, spec.max_width);
    let fit_h = ((ink_h * scale).ceil() as u32 + 2 * spec.margin).clamp(1, spec.max_height);
    let (width, height) = if spec.fill_box {
        (spec.max_width, spec.max_height)
    } else {
        (fit_w, fit_h)
    };
    // Pad point -> output pixel coordinates (pixel centres at integer + 0.5).
    let off_x = (width as f32 - ink_w * scale) / 2.0 - ext.0 * scale;
    let off_y = (height as f32 - ink_h * scale) / 2.0 - ext.1 * scale;
    let to_px = |s: &PenSample| {
        (
            f32::from(s.x) * scale + off_x,
            f32::from(s.y) * scale + off_y,
            (radius(s) * scale).max(MIN_RADIUS_PX),
        )
    };
    let mut canvas = Canvas {
        width,
        height,
        data: vec![255u8; width as usize * height as usize],
    };
    for (i, s) in samples.iter().enumerate() {
        if !s.pen_down {
            continue;
        }
        let a = to_px(s);
        match samples.get(i + 1).filter(|n| n.pen_down) {
            Some(next) => canvas.capsule(a, to_px(next)),
            // The end of a stroke (or a dot): a round cap.
            None => canvas.capsule(a, a),
        }
    }
    Ok(RawImage {
        width,
        height,
        format: PixelFormat::Gray8,
        ppi: None,
        data: canvas.data,
    })
}

/// A binary canvas, 0 ink and 255 paper.
struct Canvas {
    width: u32,
    height: u32,
    data: Vec<u8>,
}

impl Canvas {
    /// Inks every pixel whose centre lies within the capsule from `a` to `b` (radius
    /// interpolated along it).
    fn capsule(&mut self, a: (f32, f32, f32), b: (f32, f32, f32)) {
        let r = a.2.max(b.2);
        let x0 = (a.0.min(b.0) - r).floor().max(0.0) as u32;
        let y0 = (a.1.min(b.1) - r).floor().max(0.0) as u32;
        let x1 = ((a.0.max(b.0) + r).ceil().max(0.0) as u32).min(self.width);
        let y1 = ((a.1.max(b.1) + r).ceil().max(0.0) as u32).min(self.height);
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let len2 = dx * dx + dy * dy;
        for y in y0..y1 {
            for x in x0..x1 {
                let (px, py) = (x as f32 + 0.5, y as f32 + 0.5);
                let t = if len2 > 0.0 {
                    (((px - a.0) * dx + (py - a.1) * dy) / len2).clamp(0.0, 1.0)
                } else {
                    0.0
                };
                let (cx, cy) = (a.0 + dx * t, a.1 + dy * t);
                let rad = a.2 + (b.2 - a.2) * t;
                if (px - cx).powi(2) + (py - cy).powi(2) <= rad * rad {
                    if let Some(p) = self
                        .data
                        .get_mut(y as usize * self.width as usize + x as usize)
                    {
                        *p = 0;
                    }
                }
            }
        }
    }
}

/// A 1-bit image, rows padded to whole bytes, most significant bit first; a 0 bit is ink (black)
/// and a 1 bit paper, as in 1-bit greyscale PNG.
#[derive(Clone, PartialEq, Eq)]
pub struct BitImage {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Bytes per row.
    pub stride: usize,
    /// `stride * height` bytes.
    pub data: Vec<u8>,
}

impl fmt::Debug for BitImage {
    // Signature pixels are biometric data: never printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BitImage")
            .field("width", &self.width)
            .field("height", &self.height)
            .field("bytes", &self.data.len())
            .finish()
    }
}

impl BitImage {
    /// Packs a grey image: pixels below 128 become ink.
    ///
    /// # Errors
    /// [`SignatureErrorKind::InvalidParameter`] for an RGB or inconsistent image.
    pub fn pack(image: &RawImage) -> Result<BitImage, SignatureError> {
        if image.format != PixelFormat::Gray8 || !image.is_consistent() {
            return Err(SignatureError::InvalidParameter {
                field: "image",
                reason: "expected a consistent 8-bit grey image",
            });
        }
        let stride = (image.width as usize).div_ceil(8);
        let mut data = vec![0xFFu8; stride * image.height as usize];
        for (y, row) in image.data.chunks_exact(image.width as usize).enumerate() {
            for (x, &p) in row.iter().enumerate() {
                if p < 128 {
                    if let Some(b) = data.get_mut(y * stride + x / 8) {
                        *b &= !(0x80 >> (x % 8));
                    }
                }
            }
        }
        Ok(BitImage {
            width: image.width,
            height: image.height,
            stride,
            data,
        })
    }

    /// True when pixel (`x`, `y`) is ink.
    pub fn is_ink(&self, x: u32, y: u32) -> bool {
        if x >= self.width || y >= self.height {
            return false;
        }
        self.data
            .get(y as usize * self.stride + x as usize / 8)
            .is_some_and(|b| b & (0x80 >> (x % 8)) == 0)
    }

    /// The image as a 1-bit greyscale PNG.
    ///
    /// # Errors
    /// [`SignatureErrorKind::InvalidParameter`] if the PNG encoder refuses the image.
    pub fn to_png(&self) -> Result<Vec<u8>, SignatureError> {
        let fail = |_| SignatureError::InvalidParameter {
            field: "image",
            reason: "the PNG encoder refused the image",
        };
        let mut out = Vec::new();
        let mut enc = png::Encoder::new(&mut out, self.width, self.height);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::One);
        enc.set_compression(png::Compression::High);
        let mut writer = enc.write_header().map_err(fail)?;
        writer.write_image_data(&self.data).map_err(fail)?;
        writer.finish().map_err(fail)?;
        Ok(out)
    }
}
