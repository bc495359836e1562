//! The seven simulated devices, one module per family. Each is built with `new(index, world)`
//! and returns its [`FaultHandle`](crate::FaultHandle); [`open`](crate::open) boxes them.
//!
//! Common behaviour (see [`FaultKind`](crate::FaultKind) for faults):
//! - every call checks its [`Control`](rekam_hal::Control) first (`status` and `recover`
//!   too) and operations check it between steps, and
//!   every wait is a sliced `Control::sleep`: a cancelled call returns `Cancelled`, one past its
//!   deadline `Timeout`, and the device takes the next call as if nothing happened;
//! - captures stream at least three preview frames (cameras and the scanner), then report their
//!   guidance to the sink once (empty when all is well) and return it in the result;
//! - a request without a `subject` captures the station's default person (from the seed).

mod capture;
mod card;
mod document;

pub use capture::{SimFaceCamera, SimFingerprintScanner, SimIrisCamera, SimSignaturePad};
pub use card::{SimCardEncoder, SimCardPrinter};
pub use document::SimDocumentPrinter;
