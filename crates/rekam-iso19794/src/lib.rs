//! ISO/IEC 19794 biometric data interchange records, as identity systems exchange them (MOSIP
//! packets, ICAO 9303 and KTP-el chips): typed structs, writers (`to_bytes`) and strict readers
//! (`from_bytes`). Pure format code: no I/O, and image bytes are stored as given (encoding
//! images is the caller's job).
//!
//! | Module | Part and edition | Format id, version |
//! |--------|------------------|--------------------|
//! | [`fir`] | 19794-4:2011 finger image | `FIR\0`, `020\0` |
//! | [`face`] | 19794-5:2011 face image | `FAC\0`, `030\0` |
//! | [`face2005`] | 19794-5:2005 face image (ICAO 9303 DG2 legacy) | `FAC\0`, `010\0` |
//! | [`iris`] | 19794-6:2011 iris image | `IIR\0`, `020\0` |
//! | [`sdi`] | 19794-7:2014 signature/sign time series | `SDI\0`, `020\0` |
//! | [`fmr`] | 19794-2:2011 finger minutiae, record and compact card formats | `FMR\0`, `030\0` |
//!
//! Each module documents the field table it follows and the public sources it was checked
//! against. Readers never panic: any input gives a record or a [`DecodeError`] naming the field
//! and its byte offset. Biometric payloads sit in [`Redacted`], whose `Debug` prints only a
//! length.
#![forbid(unsafe_code)]

mod codec;
pub mod common;
pub mod error;
pub mod face;
pub mod face2005;
pub mod finger;
pub mod fir;
pub mod fmr;
pub mod iris;
pub mod sdi;

pub use common::{
    CaptureDateTime, CaptureDevice, CertificationBlock, QualityBlock, Redacted, QUALITY_FAILED,
};
pub use error::{DecodeError, DecodeResult, EncodeError, EncodeResult};
pub use finger::{FingerPosition, ImpressionType};
