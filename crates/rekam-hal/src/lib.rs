//! # rekam-hal: the device trait set
//!
//! Every peripheral of a KTP-el enrolment station is reached through one of seven
//! object-safe, blocking traits: [`FingerprintScanner`], [`FaceCamera`], [`IrisCamera`],
//! [`SignaturePad`], [`CardEncoder`], [`CardPrinter`] and [`DocumentPrinter`]. Each extends
//! [`Device`] (`info`, `status`, `self_test`, `recover`).
//!
//! Design rules (see ARCHITECTURE.md):
//! - No I/O here: drivers (`rekam-sim`, `rekam-dev-*`) implement the traits, the workflow
//!   (`rekam-station`) consumes them.
//! - Every call takes a [`Control`]: a deadline and a [`CancelToken`]. A driver returns
//!   [`ErrorKind::Timeout`] when the deadline passes and [`ErrorKind::Cancelled`] when the token
//!   fires, and after either the device stays usable ([`Device::recover`] is called by the owner).
//! - Capture feedback is structured ([`Guidance`]), never text burned into frames.
//! - Errors carry a [`ErrorKind`] from a `#[non_exhaustive]` list; exactly one place (in
//!   `rekam-proto`) maps kinds to gRPC codes.
#![forbid(unsafe_code)]

pub mod biometric;
pub mod control;
pub mod device;
pub mod error;
pub mod families;
pub mod id;
pub mod image;

pub use biometric::{
    Eye, Finger, Guidance, GuidanceCode, Hand, PenSample, Rect, SimIdentity, SimSubject, SlapKind,
};
pub use control::{CancelToken, Control};
pub use device::{
    AnyDevice, Condition, Device, DeviceEvent, DeviceInfo, DeviceState, DeviceStatus, EventSink,
    SelfTestCheck, SelfTestProgress, SelfTestReport, Supplies,
};
pub use error::{DeviceError, ErrorKind, Result};
pub use families::*;
pub use id::{DeviceFamily, DeviceId, DeviceSelector, SelectorError};
pub use image::{EncodedImage, ImageCodec, PixelFormat, RawImage};
