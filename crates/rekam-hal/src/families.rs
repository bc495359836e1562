//! The seven device families: their traits, capabilities, requests and results.
//!
//! Captures stream what happens while they run (preview frames, guidance, prompts) to a
//! [`CaptureSink`] and return the final sample. Optional features are read from each
//! family's capabilities, never discovered through "unsupported" errors.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::biometric::{Eye, Finger, Guidance, PenSample, Rect, SimIdentity, SimSubject, SlapKind};
use crate::control::Control;
use crate::device::{Device, Supplies};
use crate::error::Result;
use crate::image::{EncodedImage, RawImage};

/// One preview frame of a camera or scanner, JPEG-encoded.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewFrame {
    /// Frame number since the capture started.
    pub seq: u64,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// JPEG bytes.
    pub jpeg: Vec<u8>,
}

impl fmt::Debug for PreviewFrame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PreviewFrame")
            .field("seq", &self.seq)
            .field("width", &self.width)
            .field("height", &self.height)
            .field("bytes", &self.jpeg.len())
            .finish()
    }
}

/// Receives what a capture produces while it runs.
///
/// Implementations must return quickly: a slow consumer drops frames, it never stalls the
/// device. All methods have empty defaults.
pub trait CaptureSink: Send {
    /// A live preview frame.
    fn preview(&mut self, frame: PreviewFrame) {
        let _ = frame;
    }
    /// Current guidance for the person in front of the device (replaces the previous one).
    fn guidance(&mut self, guidance: &[Guidance]) {
        let _ = guidance;
    }
}

/// A sink that ignores everything.
#[derive(Debug, Default, Clone, Copy)]
pub struct NullSink;

impl CaptureSink for NullSink {}

// ---------------------------------------------------------------------------------------
// Fingerprint scanner

/// What a fingerprint scanner can do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FingerprintCapabilities {
    /// Takes four-finger slaps and two thumbs.
    pub slap: bool,
    /// Takes single flat fingers.
    pub single_finger: bool,
    /// Resolution in pixels per inch.
    pub ppi: u16,
    /// The device segments slaps into fingers itself.
    pub segmentation: bool,
    /// The device streams preview frames.
    pub preview: bool,
}

/// A fingerprint capture request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FingerCaptureRequest {
    /// Which slap or finger.
    pub slap: SlapKind,
    /// The fingers expected on the platen (the slap's fingers minus recorded exceptions).
    pub expected: Vec<Finger>,
    /// The simulated person in front of the device (ignored by real devices).
    pub subject: Option<SimSubject>,
}

/// One finger cut out of a slap.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FingerSegment {
    /// Which finger.
    pub finger: Finger,
    /// The fingertip image, 500 ppi grey.
    pub image: RawImage,
    /// Where it sits in the slap image.
    pub bbox: Rect,
    /// Its angle from vertical, degrees (clockwise positive).
    pub angle_deg: f32,
    /// Quality 0-100 when the device scores it.
    pub quality: Option<u8>,
    /// Set by simulated devices only.
    pub sim_identity: Option<SimIdentity>,
}

/// The result of a fingerprint capture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FingerCapture {
    /// What was captured.
    pub slap: SlapKind,
    /// The whole platen image, 500 ppi grey.
    pub image: RawImage,
    /// Per-finger segments, when the device segments (see capabilities).
    pub segments: Option<Vec<FingerSegment>>,
    /// Guidance the device derived from this capture.
    pub guidance: Vec<Guidance>,
}

/// A slap and flat-finger scanner.
pub trait FingerprintScanner: Device {
    /// What the scanner can do.
    fn capabilities(&self) -> FingerprintCapabilities;
    /// Waits for fingers, streams previews and guidance, and returns the capture.
    fn capture(
        &mut self,
        req: &FingerCaptureRequest,
        ctl: &Control,
        sink: &mut dyn CaptureSink,
    ) -> Result<FingerCapture>;
}

// ---------------------------------------------------------------------------------------
// Cameras

/// What a camera can do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CameraCapabilities {
    /// Preview frame rate.
    pub preview_fps: u32,
    /// Still width in pixels.
    pub width: u32,
    /// Still height in pixels.
    pub height: u32,
    /// Frame formats the camera offers (e.g. `MJPG`, `YUYV`, `GREY`).
    pub formats: Vec<String>,
}

/// A face capture request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaceCaptureRequest {
    /// The simulated person in front of the camera (ignored by real devices).
    pub subject: Option<SimSubject>,
    /// How many preview frames at most before the still (0 = the driver's default).
    pub max_preview_frames: u32,
}

/// The result of a face capture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaceCapture {
    /// The still portrait.
    pub image: EncodedImage,
    /// Quality 0-100 when the device scores it.
    pub quality: Option<u8>,
    /// Guidance derived from the still.
    pub guidance: Vec<Guidance>,
    /// Set by simulated devices only.
    pub sim_identity: Option<SimIdentity>,
}

/// A face camera.
pub trait FaceCamera: Device {
    /// What the camera can do.
    fn capabilities(&self) -> CameraCapabilities;
    /// Streams previews, then takes a still.
    fn capture(
        &mut self,
        req: &FaceCaptureRequest,
        ctl: &Control,
        sink: &mut dyn CaptureSink,
    ) -> Result<FaceCapture>;
}

/// An iris capture request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IrisCaptureRequest {
    /// Eyes expected (both, or one when the other is excepted).
    pub eyes: Vec<Eye>,
    /// The simulated person in front of the camera (ignored by real devices).
    pub subject: Option<SimSubject>,
}

/// One eye's image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EyeImage {
    /// Which eye.
    pub eye: Eye,
    /// Near-infrared grey image.
    pub image: RawImage,
    /// Quality 0-100 when the device scores it.
    pub quality: Option<u8>,
    /// Set by simulated devices only.
    pub sim_identity: Option<SimIdentity>,
}

/// The result of an iris capture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IrisCapture {
    /// The eyes captured.
    pub eyes: Vec<EyeImage>,
    /// Guidance derived from the capture.
    pub guidance: Vec<Guidance>,
}

/// A (binocular) iris camera.
pub trait IrisCamera: Device {
    /// What the camera can do.
    fn capabilities(&self) -> CameraCapabilities;
    /// Streams previews, then captures the eyes.
    fn capture(
        &mut self,
        req: &IrisCaptureRequest,
        ctl: &Control,
        sink: &mut dyn CaptureSink,
    ) -> Result<IrisCapture>;
}

// ---------------------------------------------------------------------------------------
// Signature pad

/// What a signature pad can do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignaturePadCapabilities {
    /// Width in pad units.
    pub width: u16,
    /// Height in pad units.
    pub height: u16,
    /// Pressure levels (0 when the pad has no pressure).
    pub pressure_levels: u16,
    /// The pad has a display.
    pub lcd: bool,
}

/// A signature capture request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureCaptureRequest {
    /// The simulated person at the pad (ignored by real devices).
    pub subject: Option<SimSubject>,
}

/// The result of a signature capture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignatureCapture {
    /// Pen samples in order.
    pub samples: Vec<PenSample>,
    /// The signature drawn as a grey image.
    pub image: RawImage,
    /// Quality 0-100 when the device scores it.
    pub quality: Option<u8>,
}

/// A signature pad.
pub trait SignaturePad: Device {
    /// What the pad can do.
    fn capabilities(&self) -> SignaturePadCapabilities;
    /// Waits for a signature and returns it when the signer confirms.
    fn capture(
        &mut self,
        req: &SignatureCaptureRequest,
        ctl: &Control,
        sink: &mut dyn CaptureSink,
    ) -> Result<SignatureCapture>;
}

// ---------------------------------------------------------------------------------------
// Card encoder

/// What a chip encoder can do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncoderCapabilities {
    /// Reads contactless (ISO 14443) cards.
    pub contactless: bool,
    /// Reads contact (ISO 7816) cards.
    pub contact: bool,
    /// Largest command data the reader and card take, in bytes.
    pub max_command_bytes: usize,
}

/// The files of a chip, by file identifier. What the files mean is the card profile's
/// business (`rekam-card`); the encoder writes and reads bytes.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChipFiles {
    /// File id to content.
    pub files: BTreeMap<u16, Vec<u8>>,
}

impl fmt::Debug for ChipFiles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut m = f.debug_map();
        for (fid, data) in &self.files {
            m.entry(
                &format_args!("{fid:04X}"),
                &format_args!("{} bytes", data.len()),
            );
        }
        m.finish()
    }
}

impl ChipFiles {
    /// Total bytes of all files.
    pub fn total_len(&self) -> usize {
        self.files.values().map(Vec::len).sum()
    }
}

/// Explicit permission to write a chip: writing is irreversible, so the caller must ask for
/// it by name. `#[must_use]` so a permit is not made by accident.
#[must_use]
#[derive(Debug)]
pub struct WritePermit {
    _private: (),
}

impl WritePermit {
    /// Grants a write. The workflow calls this only after supplies were checked and a blank
    /// was fed.
    pub fn allow_irreversible_write() -> Self {
        WritePermit { _private: () }
    }
}

/// Facts about a chip in the encoder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChipInfo {
    /// The chip's unique serial (UID), hex.
    pub serial: String,
    /// Capacity in bytes.
    pub capacity: usize,
    /// True when the chip already holds personalised data.
    pub personalised: bool,
    /// True when the chip is activated (operational life cycle).
    pub activated: bool,
}

/// A chip encoder.
pub trait CardEncoder: Device {
    /// What the encoder can do.
    fn capabilities(&self) -> EncoderCapabilities;
    /// The chip in the field, if any.
    fn chip(&mut self, ctl: &Control) -> Result<Option<ChipInfo>>;
    /// Personalises the chip with `files`. Fails with `CardRemoved` if the card leaves,
    /// `Hardware` if the chip refuses a write, `InvalidInput` if the files exceed capacity.
    fn write(&mut self, files: &ChipFiles, permit: WritePermit, ctl: &Control) -> Result<()>;
    /// Reads back every file.
    fn read(&mut self, ctl: &Control) -> Result<ChipFiles>;
    /// Moves the chip to its operational (activated) life-cycle state.
    fn activate(&mut self, ctl: &Control) -> Result<()>;
}

// ---------------------------------------------------------------------------------------
// Card printer

/// What a card printer can do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardPrinterCapabilities {
    /// The printer moves the card to a built-in encoder.
    pub inline_encoder: bool,
    /// Print resolution.
    pub dpi: u16,
    /// Print area width in dots (1016 for CR80 at 300 dpi).
    pub width_dots: u32,
    /// Print area height in dots (648 for CR80 at 300 dpi).
    pub height_dots: u32,
    /// Prints both sides.
    pub duplex: bool,
}

/// A card printer.
pub trait CardPrinter: Device {
    /// What the printer can do.
    fn capabilities(&self) -> CardPrinterCapabilities;
    /// Blank cards and ribbon left.
    fn supplies(&mut self, ctl: &Control) -> Result<Supplies>;
    /// Takes a blank from the hopper to the encoder (inline) or print position.
    fn feed(&mut self, ctl: &Control) -> Result<()>;
    /// Prints the card face (RGB, the printer's print area size).
    fn print(&mut self, face: &RawImage, ctl: &Control) -> Result<()>;
    /// Hands the card out.
    fn eject(&mut self, ctl: &Control) -> Result<()>;
    /// Drops the card in the reject bin (spoiled).
    fn reject(&mut self, ctl: &Control) -> Result<()>;
}

// ---------------------------------------------------------------------------------------
// Document printer

/// What a document printer can do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentPrinterCapabilities {
    /// Media types accepted (e.g. `image/png`, `application/pdf`).
    pub formats: Vec<String>,
    /// Media sizes (e.g. `iso_a6_105x148mm`).
    pub media: Vec<String>,
}

/// A document to print.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    /// Job name (no personal data).
    pub name: String,
    /// The encoded document.
    pub content: EncodedImage,
    /// Media size name.
    pub media: String,
}

/// A document printer (receipts, certificates).
pub trait DocumentPrinter: Device {
    /// What the printer can do.
    fn capabilities(&self) -> DocumentPrinterCapabilities;
    /// Prints and waits until the printer reports the job done; returns its job id.
    fn print(&mut self, doc: &Document, ctl: &Control) -> Result<String>;
}
