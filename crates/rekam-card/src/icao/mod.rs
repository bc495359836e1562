//! The ICAO-like open chip profile (`icao-open-v1`): the KTP-el chip laid out after ICAO Doc
//! 9303 LDS1 under the application DF `A0 00 00 02 47 10 01`, with a document security object
//! signed by the station's document signer.
//!
//! - [`lds`] encodes EF.COM, DG1 (the card record), DG2 (face, ISO/IEC 19794-5), DG3 (fingerprint
//!   templates), DG7 (signature image).
//! - [`inspect`] reads a chip back for a technician (files, DG1 with the NIK masked, hashes,
//!   passive authentication).
//! - [`sod`] builds EF.SOD (CMS SignedData over the data-group hashes, ECDSA P-256 document signer)
//!   and [`passive_authentication`].
//!
//! [`IcaoOpenProfile`] implements [`CardProfile`]: `build` refuses content larger than the
//! chip's capacity (8 KB by default) before anything is written; `verify` compares the
//! read-back byte for byte and then runs passive authentication against the profile's own
//! signer certificate; `templates` gives DG3's templates once passive authentication passed.

pub mod inspect;
pub mod lds;
pub mod sod;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use crate::profile::{CardProfile, ChipBiometrics, ChipContent, FileId, ProfileError, Template};
use crate::record::CardRecord;

pub use inspect::{inspect, ChipReport, DetectedProfile, FileReport, HashCheck, SecurityReport};
pub use sod::{
    certificate_from_pem, passive_authentication, DocumentSigner, PassiveAuthentication,
};
pub use x509_cert::Certificate;

/// The LDS1 application identifier.
pub const LDS1_AID: [u8; 7] = [0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01];
/// The application DF's file identifier (ours: ICAO selects the application by name).
pub const LDS1_DF_FID: u16 = 0x5F01;

/// Every file the profile may write, in writing order (EF.SOD last).
pub const FILES: [FileId; 6] = [
    lds::EF_COM,
    lds::DG1,
    lds::DG2,
    lds::DG3,
    lds::DG7,
    lds::EF_SOD,
];

/// The ICAO-like open profile.
#[derive(Clone)]
pub struct IcaoOpenProfile {
    capacity: usize,
    signer: Arc<DocumentSigner>,
}

impl fmt::Debug for IcaoOpenProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IcaoOpenProfile")
            .field("capacity", &self.capacity)
            .field("signer", &self.signer)
            .finish()
    }
}

/// A chip's content decoded by the profile (for a technician's dump). `Debug` shows sizes
/// and counts only.
#[derive(Clone, PartialEq, Eq)]
pub struct ChipView {
    /// DG1's fields (tag, value).
    pub fields: Vec<(u8, String)>,
    /// The portrait, JPEG.
    pub face_jpeg: Vec<u8>,
    /// The templates.
    pub templates: Vec<Template>,
    /// The signature image, when DG7 is present.
    pub signature_png: Option<Vec<u8>>,
    /// The data-group tags EF.COM lists.
    pub com_tags: Vec<u8>,
    /// The outcome of passive authentication.
    pub passive_authentication: PassiveAuthentication,
}

impl fmt::Debug for ChipView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChipView")
            .field("fields", &self.fields.len())
            .field("face_jpeg_len", &self.face_jpeg.len())
            .field("templates", &self.templates)
            .field(
                "signature_png_len",
                &self.signature_png.as_ref().map(Vec::len),
            )
            .field("passive_authentication", &self.passive_authentication)
            .finish()
    }
}

impl IcaoOpenProfile {
    /// The default chip capacity: 8 KiB.
    pub const DEFAULT_CAPACITY: usize = 8192;

    /// The profile signing with `signer`, for a chip of [`Self::DEFAULT_CAPACITY`].
    pub fn new(signer: DocumentSigner) -> IcaoOpenProfile {
        IcaoOpenProfile {
            capacity: Self::DEFAULT_CAPACITY,
            signer: Arc::new(signer),
        }
    }

    /// The same profile for a chip of `capacity_bytes`.
    pub fn with_capacity(mut self, capacity_bytes: usize) -> IcaoOpenProfile {
        self.capacity = capacity_bytes;
        self
    }

    /// The document signer.
    pub fn signer(&self) -> &DocumentSigner {
        &self.signer
    }

    /// Passive authentication against this profile's signer certificate.
    pub fn authenticate(
        &self,
        content: &ChipContent,
    ) -> Result<PassiveAuthentication, ProfileError> {
        passive_authentication(content, std::slice::from_ref(self.signer.certificate()))
    }

    /// Decodes every file after passive authentication.
    pub fn decode(&self, content: &ChipContent) -> Result<ChipView, ProfileError> {
        let pa = self.authenticate(content)?;
        decode_with(content, pa)
    }
}

/// Decodes every file of `content`, given the outcome of its passive authentication.
pub fn decode_with(
    content: &ChipContent,
    pa: PassiveAuthentication,
) -> Result<ChipView, ProfileError> {
    let file = |fid| content.file(fid).ok_or(ProfileError::MissingFile(fid));
    Ok(ChipView {
        com_tags: lds::decode_com(file(lds::EF_COM)?)?,
        fields: lds::decode_dg1(file(lds::DG1)?)?,
        face_jpeg: lds::decode_dg2(file(lds::DG2)?)?,
        templates: lds::decode_dg3(file(lds::DG3)?)?,
        signature_png: content.file(lds::DG7).map(lds::decode_dg7).transpose()?,
        passive_authentication: pa,
    })
}

impl CardProfile for IcaoOpenProfile {
    fn name(&self) -> &str {
        "icao-open-v1"
    }

    fn capacity_bytes(&self) -> usize {
        self.capacity
    }

    fn build(
        &self,
        record: &CardRecord,
        bio: &ChipBiometrics,
    ) -> Result<ChipContent, ProfileError> {
        record.validate()?;
        if bio.face_jpeg.is_empty() {
            return Err(ProfileError::InvalidBiometrics("the face image is empty"));
        }
        let mut files = BTreeMap::new();
        let mut tags = vec![lds::TAG_DG1 as u8, lds::TAG_DG2 as u8, lds::TAG_DG3 as u8];
        files.insert(lds::DG1, lds::encode_dg1(record));
        files.insert(lds::DG2, lds::encode_dg2(&bio.face_jpeg)?);
        files.insert(lds::DG3, lds::encode_dg3(&bio.templates)?);
        if !bio.signature_png.is_empty() {
            files.insert(lds::DG7, lds::encode_dg7(&bio.signature_png));
            tags.push(lds::TAG_DG7 as u8);
        }
        files.insert(lds::EF_COM, lds::encode_com(&tags));
        let mut content = ChipContent { files };
        let sod = self.signer.sign(&content)?;
        content.files.insert(lds::EF_SOD, sod);
        let needed = content.total_len();
        if needed > self.capacity {
            return Err(ProfileError::TooLarge {
                needed,
                capacity: self.capacity,
            });
        }
        Ok(content)
    }

    fn verify(&self, written: &ChipContent, read_back: &ChipContent) -> Result<(), ProfileError> {
        for fid in written.files.keys() {
            if !FILES.contains(fid) {
                return Err(ProfileError::UnexpectedFile(*fid));
            }
        }
        crate::profile::same_files(written, read_back)?;
        self.authenticate(read_back).map(drop)
    }

    fn templates(&self, content: &ChipContent) -> Result<Vec<Template>, ProfileError> {
        self.authenticate(content)?;
        let bytes = content
            .file(lds::DG3)
            .ok_or(ProfileError::MissingFile(lds::DG3))?;
        lds::decode_dg3(bytes)
    }
}

#[cfg(test)]
mod tests;
