//! Card data for KTP-el issuance.
//!
//! This crate knows what goes on a KTP-el card and nothing about how it gets there (no I/O):
//!
//! - [`nik`]: the 16-digit Nomor Induk Kependudukan, validated, with its coded fields
//!   (region, birth date, sex, serial). It prints masked, never in full.
//! - [`record`]: the card record that SIAK sends for issuance ([`CardRecord`]) and its
//!   validation.
//! - [`profile`]: the [`CardProfile`] seam that turns a record and biometrics into the set of
//!   elementary files written to the chip, verifies a read-back and gives the fingerprint
//!   templates back for activation; [`OpenProfileV0`] is the open profile CI exercises.
//! - [`icao`]: [`IcaoOpenProfile`], the ICAO Doc 9303-like open profile (EF.COM, DG1, DG2,
//!   DG3, DG7 and an EF.SOD signed by the document signer) and passive authentication.
//!
//! Personal data (NIK, names, addresses, biometrics) never appears in full in a `Debug` or
//! `Display` output or in an error message of this crate. Serde is different: it is for
//! storage and transport and carries the full values.
#![forbid(unsafe_code)]

pub mod icao;
pub mod nik;
pub mod profile;
pub mod record;
pub mod render;
pub mod sample;

pub use icao::{DocumentSigner, IcaoOpenProfile, PassiveAuthentication};
pub use nik::{Nik, NikError};
pub use profile::{
    CardProfile, ChipBiometrics, ChipContent, FileId, OpenProfileV0, ProfileError, Template,
    TemplateFormat,
};
pub use record::{
    BloodType, CardRecord, Citizenship, Field, MaritalStatus, RecordError, Religion, Sex,
    ValidUntil,
};
