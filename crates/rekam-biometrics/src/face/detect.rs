//! Face detection with SeetaFace's funnel-structured cascade (`rustface`), on a reduced copy
//! of the image.
//!
//! The model (`model/seeta_fd_frontal_v1.0.bin`, 1.2 MB, BSD 2-clause, see
//! `model/LICENSE-SeetaFace`) is the file the `rustface` crate ships in its package; the crate
//! has no API that returns it, so a byte-identical copy is compiled in here with
//! `include_bytes!` (no path to find at run time). It is parsed once per process; each thread
//! keeps its own detector (the detector holds scratch buffers and is not `Send`).
//!
//! The detector scans a pyramid from the image's own scale down to a 40-pixel window, so its
//! time grows with the pixel count: the grey image is first reduced by an integer box factor so
//! that its short side is about [`DETECT_SHORT_SIDE`] pixels (a factor 3 for 640x480). Faces
//! smaller than 40 pixels at that scale (120 camera pixels, an inter-eye distance of about 50)
//! are not seen.

use std::cell::RefCell;
use std::sync::OnceLock;

use rustface::{Detector, ImageData, Model};

use super::FaceError;

/// Short side of the image the detector scans, pixels.
pub const DETECT_SHORT_SIDE: usize = 160;
/// The detector's window and smallest face, pixels of the reduced image.
const WINDOW: usize = 40;
/// SeetaFace's score threshold (its examples use 2.0; the crate's default, 3.85, misses
/// dimly lit faces).
const SCORE_THRESHOLD: f64 = 2.0;

static MODEL_BYTES: &[u8] = include_bytes!("model/seeta_fd_frontal_v1.0.bin");
static MODEL: OnceLock<Option<Model>> = OnceLock::new();

thread_local! {
    static DETECTOR: RefCell<Option<Box<dyn Detector>>> = const { RefCell::new(None) };
}

/// A detected face, in pixels of the full image.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaceBox {
    /// Left edge.
    pub x: f32,
    /// Top edge.
    pub y: f32,
    /// Width (SeetaFace boxes are square).
    pub width: f32,
    /// Height.
    pub height: f32,
    /// The cascade's score (higher is more face-like; 2 is the threshold).
    pub score: f32,
}

/// A grey image reduced by an integer box factor.
pub(crate) struct Reduced {
    pub(crate) data: Vec<u8>,
    pub(crate) width: usize,
    pub(crate) height: usize,
    pub(crate) factor: usize,
}

/// Reduces `grey` (`width` x `height`) by the box factor that brings the short side near
/// [`DETECT_SHORT_SIDE`].
pub(crate) fn reduce(grey: &[u8], width: usize, height: usize) -> Reduced {
    let factor = (width.min(height) / DETECT_SHORT_SIDE).max(1);
    let (w, h) = (width / factor, height / factor);
    let mut data = vec![0u8; w * h];
    let area = (factor * factor) as u32;
    for (y, row) in data.chunks_exact_mut(w.max(1)).enumerate() {
        for (x, out) in row.iter_mut().enumerate() {
            let mut sum = 0u32;
            for yy in y * factor..(y + 1) * factor {
                let base = yy * width + x * factor;
                sum += grey[base..base + factor]
                    .iter()
                    .map(|&v| u32::from(v))
                    .sum::<u32>();
            }
            *out = ((sum + area / 2) / area) as u8;
        }
    }
    Reduced {
        data,
        width: w,
        height: h,
        factor,
    }
}

/// The faces in `reduced`, largest first, in full-image pixels.
pub(crate) fn detect(reduced: &Reduced) -> Result<Vec<FaceBox>, FaceError> {
    if reduced.width < WINDOW || reduced.height < WINDOW {
        return Ok(Vec::new());
    }
    let model = MODEL
        .get_or_init(|| rustface::read_model(MODEL_BYTES).ok())
        .as_ref()
        .ok_or(FaceError::Model)?;
    let found = DETECTOR.with(|cell| {
        let mut slot = cell.borrow_mut();
        let detector = slot.get_or_insert_with(|| {
            let mut d = rustface::create_detector_with_model(model.clone());
            d.set_min_face_size(WINDOW as u32);
            d.set_score_thresh(SCORE_THRESHOLD);
            d.set_pyramid_scale_factor(0.8);
            d.set_slide_window_step(4, 4);
            d
        });
        detector.detect(&ImageData::new(
            &reduced.data,
            reduced.width as u32,
            reduced.height as u32,
        ))
    });
    let k = reduced.factor as f32;
    let mut faces: Vec<FaceBox> = found
        .iter()
        .map(|f| {
            let b = f.bbox();
            FaceBox {
                x: b.x() as f32 * k,
                y: b.y() as f32 * k,
                width: b.width() as f32 * k,
                height: b.height() as f32 * k,
                score: f.score() as f32,
            }
        })
        .collect();
    faces.sort_by(|a, b| (b.width * b.height).total_cmp(&(a.width * a.height)));
    Ok(faces)
}
