//! The chip layout seam: what a card profile writes to the chip, how a read-back is verified
//! and how the fingerprint templates come back for activation.
//!
//! A chip is modelled as a set of elementary files ([`ChipContent`]), each a file id and its
//! bytes. A [`CardProfile`] turns a [`CardRecord`] and the [`ChipBiometrics`] into that set
//! (refusing content larger than the chip *before* anything is written), verifies what was
//! read back after writing, and reads the fingerprint templates that activation matches a live
//! finger against. The encoder driver only moves files; it never interprets them.
//!
//! [`OpenProfileV0`] is the open profile for now (a later profile follows ICAO Doc 9303 LDS;
//! the civil registry's closed profile sits behind its secure access module). Its files:
//!
//! | fid | content |
//! | --- | --- |
//! | `0101` DG1 | the record: `61 LL LL` then one TLV per field (see [`dg1_tag`]) |
//! | `0102` | face image, JPEG as given |
//! | `0103` | fingerprint templates: count (1 byte), then per template finger (1), format ([`TemplateFormat::code`], 1), length (2, big-endian), bytes |
//! | `0107` | signature image, PNG as given |
//! | `011D` | security file: algorithm `01` (SHA-256), count (1), then per other file its fid (2, big-endian) and SHA-256 (32), by ascending fid |
//!
//! DG1 TLVs: tag (1 byte), length (2 bytes, big-endian), UTF-8 value exactly as in the record
//! (not upper-cased: rendering does that). Enums are written as their serde codes
//! (`FEMALE`, `BELUM_KAWIN`), dates as `YYYY-MM-DD`, citizenship as `WNI` or `WNA:<country>`,
//! validity as `LIFETIME` or a date. PRR is a central status, not card data: it is not written.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::Date;

use crate::record::{CardRecord, Citizenship, RecordError, ValidUntil};

/// An elementary file id on the chip (ISO/IEC 7816-4 FID), e.g. `0x0101`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FileId(pub u16);

impl fmt::Debug for FileId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FileId({:04X})", self.0)
    }
}

impl fmt::Display for FileId {
    /// Four upper-case hex digits, e.g. `0101`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04X}", self.0)
    }
}

/// What is (to be) on a chip: elementary files by id.
///
/// `Debug` shows file ids and lengths only: the bytes are personal data.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ChipContent {
    /// The files, by id.
    pub files: BTreeMap<FileId, Vec<u8>>,
}

impl ChipContent {
    /// The total number of data bytes in all files.
    pub fn total_len(&self) -> usize {
        self.files.values().map(Vec::len).sum()
    }

    /// The bytes of file `fid`, if present.
    pub fn file(&self, fid: FileId) -> Option<&[u8]> {
        self.files.get(&fid).map(Vec::as_slice)
    }
}

impl fmt::Debug for ChipContent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(
                self.files
                    .iter()
                    .map(|(fid, bytes)| (fid, format!("{} bytes", bytes.len()))),
            )
            .finish()
    }
}

/// The format of a fingerprint template as stored on the chip.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TemplateFormat {
    /// The simulated devices' identity template (CI only).
    SimIdentity,
    /// ISO/IEC 19794-2 compact card format (minutiae, 3 bytes each, no header).
    Iso19794_2Compact,
    /// ISO/IEC 19794-2 finger minutiae record with its header.
    Iso19794_2,
}

impl TemplateFormat {
    /// The byte that stands for this format in the templates file.
    pub fn code(self) -> u8 {
        match self {
            TemplateFormat::SimIdentity => 0x01,
            TemplateFormat::Iso19794_2Compact => 0x02,
            TemplateFormat::Iso19794_2 => 0x03,
        }
    }

    /// The format for a templates-file byte, if any.
    pub fn from_code(code: u8) -> Option<TemplateFormat> {
        match code {
            0x01 => Some(TemplateFormat::SimIdentity),
            0x02 => Some(TemplateFormat::Iso19794_2Compact),
            0x03 => Some(TemplateFormat::Iso19794_2),
            _ => None,
        }
    }
}

/// A fingerprint template, the chip's view of it.
///
/// `Debug` shows the finger, format and length, not the bytes.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Template {
    /// ISO/IEC 19794-2 finger position code: 1 right thumb ... 5 right little, 6 left thumb
    /// ... 10 left little.
    pub finger: u8,
    /// The template format.
    pub format: TemplateFormat,
    /// The template bytes.
    pub data: Vec<u8>,
}

impl fmt::Debug for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Template")
            .field("finger", &self.finger)
            .field("format", &self.format)
            .field("len", &self.data.len())
            .finish()
    }
}

/// The biometrics that go onto the chip.
///
/// `Debug` shows lengths only.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ChipBiometrics {
    /// The face image, JPEG.
    pub face_jpeg: Vec<u8>,
    /// The signature image, PNG; empty when the holder cannot sign.
    pub signature_png: Vec<u8>,
    /// Fingerprint templates; at most one per finger and format.
    pub templates: Vec<Template>,
}

impl fmt::Debug for ChipBiometrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChipBiometrics")
            .field("face_jpeg_len", &self.face_jpeg.len())
            .field("signature_png_len", &self.signature_png.len())
            .field("templates", &self.templates)
            .finish()
    }
}

/// Why a profile cannot build, verify or read chip content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProfileError {
    /// The record is not valid for issuance.
    #[error("card record: {0}")]
    InvalidRecord(#[from] RecordError),
    /// The biometrics cannot be put on the chip.
    #[error("chip biometrics: {0}")]
    InvalidBiometrics(&'static str),
    /// The content does not fit on the chip; nothing was written.
    #[error("chip content needs {needed} bytes, the chip has {capacity}")]
    TooLarge {
        /// Bytes needed.
        needed: usize,
        /// Bytes available.
        capacity: usize,
    },
    /// A file the profile needs is missing.
    #[error("file {0} is missing")]
    MissingFile(FileId),
    /// A file that was not written appears in the read-back, or a file the profile does not
    /// know.
    #[error("file {0} was not expected")]
    UnexpectedFile(FileId),
    /// A file read back has another length than was written.
    #[error("file {file}: wrote {written} bytes, read back {read_back}")]
    LengthMismatch {
        /// The file.
        file: FileId,
        /// Bytes written.
        written: usize,
        /// Bytes read back.
        read_back: usize,
    },
    /// A file read back differs from what was written.
    #[error("file {file}: read-back differs from what was written at byte {offset}")]
    ContentMismatch {
        /// The file.
        file: FileId,
        /// The first differing byte.
        offset: usize,
    },
    /// A file's hash is not the one in the security file.
    #[error("file {0}: its hash does not match the security file")]
    HashMismatch(FileId),
    /// The document security object is missing, malformed, not signed by the expected
    /// document signer, or its signature does not verify.
    #[error("security object: {0}")]
    SecurityObject(&'static str),
    /// The document signer cannot sign (bad key or certificate).
    #[error("document signer: {0}")]
    Signer(String),
    /// A file does not have the profile's structure.
    #[error("file {file} is malformed: {reason}")]
    Malformed {
        /// The file.
        file: FileId,
        /// What is wrong.
        reason: &'static str,
    },
}

/// A chip layout: how a record and biometrics become the chip's files.
///
/// Implementations are pure (no I/O); the issuance job writes and reads the files through the
/// encoder.
pub trait CardProfile: Send + Sync {
    /// A short stable name, e.g. `open-v0`, recorded in the journal with each card.
    fn name(&self) -> &str;

    /// The chip's capacity for file data, in bytes.
    fn capacity_bytes(&self) -> usize;

    /// The files to write. Validates the record and the biometrics and refuses content larger
    /// than [`CardProfile::capacity_bytes`] with [`ProfileError::TooLarge`], so that a card
    /// is never half-written for lack of space.
    fn build(&self, record: &CardRecord, bio: &ChipBiometrics)
        -> Result<ChipContent, ProfileError>;

    /// Checks a read-back after writing: the same files, byte for byte, and the security
    /// file's hashes matching the data files.
    fn verify(&self, written: &ChipContent, read_back: &ChipContent) -> Result<(), ProfileError>;

    /// The fingerprint templates on a chip, for activation (integrity-checked against the
    /// security file).
    fn templates(&self, content: &ChipContent) -> Result<Vec<Template>, ProfileError>;
}

/// The DG1 tags of [`OpenProfileV0`], one per record field.
pub mod dg1_tag {
    /// NIK, 16 digits.
    pub const NIK: u8 = 0x01;
    /// Name.
    pub const NAME: u8 = 0x02;
    /// Place of birth.
    pub const PLACE_OF_BIRTH: u8 = 0x03;
    /// Date of birth, `YYYY-MM-DD`.
    pub const DATE_OF_BIRTH: u8 = 0x04;
    /// Sex code (`MALE`, `FEMALE`).
    pub const SEX: u8 = 0x05;
    /// Blood type code.
    pub const BLOOD_TYPE: u8 = 0x06;
    /// Address.
    pub const ADDRESS: u8 = 0x07;
    /// RT/RW, `NNN/NNN`.
    pub const RT_RW: u8 = 0x08;
    /// Village.
    pub const VILLAGE: u8 = 0x09;
    /// District.
    pub const DISTRICT: u8 = 0x0A;
    /// Regency or city.
    pub const REGENCY: u8 = 0x0B;
    /// Province.
    pub const PROVINCE: u8 = 0x0C;
    /// Religion code.
    pub const RELIGION: u8 = 0x0D;
    /// Marital status code.
    pub const MARITAL_STATUS: u8 = 0x0E;
    /// Occupation.
    pub const OCCUPATION: u8 = 0x0F;
    /// `WNI` or `WNA:<country>`.
    pub const CITIZENSHIP: u8 = 0x10;
    /// `LIFETIME` or `YYYY-MM-DD`.
    pub const VALID_UNTIL: u8 = 0x11;
    /// Place of issue.
    pub const PLACE_OF_ISSUE: u8 = 0x12;
    /// Date of issue, `YYYY-MM-DD`.
    pub const DATE_OF_ISSUE: u8 = 0x13;
}

/// The DG1 outer tag.
const DG1_OUTER_TAG: u8 = 0x61;
/// The security file's algorithm byte for SHA-256.
const SECURITY_SHA256: u8 = 0x01;
/// Length of a SHA-256 digest.
const DIGEST_LEN: usize = 32;

/// The open chip profile, version 0 (see the [module docs](self) for the file layout).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenProfileV0 {
    capacity: usize,
}

impl Default for OpenProfileV0 {
    fn default() -> Self {
        OpenProfileV0::new()
    }
}

impl OpenProfileV0 {
    /// DG1: the record.
    pub const DG1: FileId = FileId(0x0101);
    /// The face image.
    pub const FACE: FileId = FileId(0x0102);
    /// The fingerprint templates.
    pub const TEMPLATES: FileId = FileId(0x0103);
    /// The signature image.
    pub const SIGNATURE: FileId = FileId(0x0107);
    /// The security file.
    pub const SECURITY: FileId = FileId(0x011D);
    /// The default chip capacity: 8 KiB.
    pub const DEFAULT_CAPACITY: usize = 8192;

    /// The profile for a chip of [`Self::DEFAULT_CAPACITY`].
    pub fn new() -> OpenProfileV0 {
        OpenProfileV0::with_capacity(Self::DEFAULT_CAPACITY)
    }

    /// The profile for a chip of `capacity_bytes`.
    pub fn with_capacity(capacity_bytes: usize) -> OpenProfileV0 {
        OpenProfileV0 {
            capacity: capacity_bytes,
        }
    }

    /// The data files (all but the security file), in order.
    const DATA_FILES: [FileId; 4] = [Self::DG1, Self::FACE, Self::TEMPLATES, Self::SIGNATURE];

    /// Decodes DG1 into its (tag, value) fields, in file order.
    pub fn dg1_fields(&self, content: &ChipContent) -> Result<Vec<(u8, String)>, ProfileError> {
        let file = Self::DG1;
        let bytes = content.file(file).ok_or(ProfileError::MissingFile(file))?;
        let malformed = |reason| ProfileError::Malformed { file, reason };
        let mut r = Reader::new(bytes);
        if r.u8().ok_or_else(|| malformed("empty"))? != DG1_OUTER_TAG {
            return Err(malformed("outer tag is not 61"));
        }
        let len = usize::from(r.u16().ok_or_else(|| malformed("truncated length"))?);
        if r.remaining() != len {
            return Err(malformed("outer length does not match the file"));
        }
        let mut fields = Vec::new();
        while r.remaining() > 0 {
            let tag = r.u8().ok_or_else(|| malformed("truncated tag"))?;
            let len = usize::from(r.u16().ok_or_else(|| malformed("truncated length"))?);
            let value = r.bytes(len).ok_or_else(|| malformed("truncated value"))?;
            let text = String::from_utf8(value.to_vec()).map_err(|_| malformed("not UTF-8"))?;
            fields.push((tag, text));
        }
        Ok(fields)
    }

    fn security_entries(
        content: &ChipContent,
    ) -> Result<BTreeMap<FileId, [u8; DIGEST_LEN]>, ProfileError> {
        let file = Self::SECURITY;
        let bytes = content.file(file).ok_or(ProfileError::MissingFile(file))?;
        let malformed = |reason| ProfileError::Malformed { file, reason };
        let mut r = Reader::new(bytes);
        if r.u8().ok_or_else(|| malformed("empty"))? != SECURITY_SHA256 {
            return Err(malformed("unknown hash algorithm"));
        }
        let count = r.u8().ok_or_else(|| malformed("truncated count"))?;
        let mut entries = BTreeMap::new();
        for _ in 0..count {
            let fid = FileId(r.u16().ok_or_else(|| malformed("truncated file id"))?);
            let digest = r
                .bytes(DIGEST_LEN)
                .ok_or_else(|| malformed("truncated hash"))?;
            let mut d = [0u8; DIGEST_LEN];
            d.copy_from_slice(digest);
            if entries.insert(fid, d).is_some() {
                return Err(malformed("a file is listed twice"));
            }
        }
        if r.remaining() != 0 {
            return Err(malformed("trailing bytes"));
        }
        Ok(entries)
    }

    fn check_hash(
        entries: &BTreeMap<FileId, [u8; DIGEST_LEN]>,
        fid: FileId,
        bytes: &[u8],
    ) -> Result<(), ProfileError> {
        let expected = entries.get(&fid).ok_or(ProfileError::Malformed {
            file: Self::SECURITY,
            reason: "a data file is not listed",
        })?;
        if Sha256::digest(bytes).as_slice() != expected.as_slice() {
            return Err(ProfileError::HashMismatch(fid));
        }
        Ok(())
    }
}

/// The record's fields as DG1 (tag, value) pairs, in file order (shared with the ICAO
/// profile, which writes the same values under BER-TLV tags).
pub(crate) fn record_fields(record: &CardRecord) -> Vec<(u8, String)> {
    use dg1_tag as t;
    let date = |d: Date| format!("{:04}-{:02}-{:02}", d.year(), d.month() as u8, d.day());
    let citizenship = match &record.citizenship {
        Citizenship::Wni => "WNI".to_owned(),
        Citizenship::Wna { country } => format!("WNA:{country}"),
    };
    let valid_until = match record.valid_until {
        ValidUntil::Lifetime => "LIFETIME".to_owned(),
        ValidUntil::Date(d) => date(d),
    };
    vec![
        (t::NIK, record.nik.as_str().to_owned()),
        (t::NAME, record.name.clone()),
        (t::PLACE_OF_BIRTH, record.place_of_birth.clone()),
        (t::DATE_OF_BIRTH, date(record.date_of_birth)),
        (t::SEX, record.sex.code().to_owned()),
        (t::BLOOD_TYPE, record.blood_type.code().to_owned()),
        (t::ADDRESS, record.address.clone()),
        (t::RT_RW, record.rt_rw.clone()),
        (t::VILLAGE, record.village.clone()),
        (t::DISTRICT, record.district.clone()),
        (t::REGENCY, record.regency.clone()),
        (t::PROVINCE, record.province.clone()),
        (t::RELIGION, record.religion.code().to_owned()),
        (t::MARITAL_STATUS, record.marital_status.code().to_owned()),
        (t::OCCUPATION, record.occupation.clone()),
        (t::CITIZENSHIP, citizenship),
        (t::VALID_UNTIL, valid_until),
        (t::PLACE_OF_ISSUE, record.place_of_issue.clone()),
        (t::DATE_OF_ISSUE, date(record.date_of_issue)),
    ]
}

fn encode_dg1(record: &CardRecord) -> Result<Vec<u8>, ProfileError> {
    let fields = record_fields(record);
    let mut inner = Vec::new();
    for (tag, value) in fields {
        inner.push(tag);
        push_len(
            &mut inner,
            value.len(),
            ProfileError::Malformed {
                file: OpenProfileV0::DG1,
                reason: "a field is longer than 65535 bytes",
            },
        )?;
        inner.extend_from_slice(value.as_bytes());
    }
    let mut out = Vec::with_capacity(inner.len() + 3);
    out.push(DG1_OUTER_TAG);
    push_len(
        &mut out,
        inner.len(),
        ProfileError::Malformed {
            file: OpenProfileV0::DG1,
            reason: "the record is longer than 65535 bytes",
        },
    )?;
    out.extend_from_slice(&inner);
    Ok(out)
}

fn encode_templates(templates: &[Template]) -> Result<Vec<u8>, ProfileError> {
    let count = u8::try_from(templates.len())
        .map_err(|_| ProfileError::InvalidBiometrics("more than 255 templates"))?;
    let mut seen = std::collections::BTreeSet::new();
    let mut out = vec![count];
    for t in templates {
        if !(1..=10).contains(&t.finger) {
            return Err(ProfileError::InvalidBiometrics(
                "finger position is not 1..=10",
            ));
        }
        if !seen.insert((t.finger, t.format.code())) {
            return Err(ProfileError::InvalidBiometrics(
                "two templates for the same finger and format",
            ));
        }
        if t.data.is_empty() {
            return Err(ProfileError::InvalidBiometrics("empty template"));
        }
        out.push(t.finger);
        out.push(t.format.code());
        push_len(
            &mut out,
            t.data.len(),
            ProfileError::InvalidBiometrics("template longer than 65535 bytes"),
        )?;
        out.extend_from_slice(&t.data);
    }
    Ok(out)
}

fn decode_templates(bytes: &[u8]) -> Result<Vec<Template>, ProfileError> {
    let malformed = |reason| ProfileError::Malformed {
        file: OpenProfileV0::TEMPLATES,
        reason,
    };
    let mut r = Reader::new(bytes);
    let count = r.u8().ok_or_else(|| malformed("empty"))?;
    let mut out = Vec::with_capacity(usize::from(count));
    for _ in 0..count {
        let finger = r.u8().ok_or_else(|| malformed("truncated finger"))?;
        if !(1..=10).contains(&finger) {
            return Err(malformed("finger position is not 1..=10"));
        }
        let format =
            TemplateFormat::from_code(r.u8().ok_or_else(|| malformed("truncated format"))?)
                .ok_or_else(|| malformed("unknown template format"))?;
        let len = usize::from(r.u16().ok_or_else(|| malformed("truncated length"))?);
        let data = r
            .bytes(len)
            .ok_or_else(|| malformed("truncated template"))?;
        out.push(Template {
            finger,
            format,
            data: data.to_vec(),
        });
    }
    if r.remaining() != 0 {
        return Err(malformed("trailing bytes"));
    }
    Ok(out)
}

fn push_len(out: &mut Vec<u8>, len: usize, too_long: ProfileError) -> Result<(), ProfileError> {
    let len = u16::try_from(len).map_err(|_| too_long)?;
    out.extend_from_slice(&len.to_be_bytes());
    Ok(())
}

/// A cursor over bytes that returns `None` instead of running past the end.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes }
    }
    fn remaining(&self) -> usize {
        self.bytes.len()
    }
    fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.bytes.len() {
            return None;
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Some(head)
    }
    fn u8(&mut self) -> Option<u8> {
        self.bytes(1).map(|b| b[0])
    }
    fn u16(&mut self) -> Option<u16> {
        self.bytes(2).map(|b| u16::from_be_bytes([b[0], b[1]]))
    }
}

impl CardProfile for OpenProfileV0 {
    fn name(&self) -> &str {
        "open-v0"
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
        files.insert(Self::DG1, encode_dg1(record)?);
        files.insert(Self::FACE, bio.face_jpeg.clone());
        files.insert(Self::TEMPLATES, encode_templates(&bio.templates)?);
        files.insert(Self::SIGNATURE, bio.signature_png.clone());

        let mut security = vec![SECURITY_SHA256, 0];
        let mut count = 0u8;
        for (fid, bytes) in &files {
            security.extend_from_slice(&fid.0.to_be_bytes());
            security.extend_from_slice(&Sha256::digest(bytes));
            count += 1;
        }
        security[1] = count;
        files.insert(Self::SECURITY, security);

        let content = ChipContent { files };
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
        for fid in Self::DATA_FILES.iter().chain([&Self::SECURITY]) {
            if !written.files.contains_key(fid) {
                return Err(ProfileError::MissingFile(*fid));
            }
        }
        for fid in written.files.keys() {
            if !Self::DATA_FILES.contains(fid) && *fid != Self::SECURITY {
                return Err(ProfileError::UnexpectedFile(*fid));
            }
        }
        same_files(written, read_back)?;
        let entries = Self::security_entries(read_back)?;
        for fid in entries.keys() {
            if !Self::DATA_FILES.contains(fid) {
                return Err(ProfileError::Malformed {
                    file: Self::SECURITY,
                    reason: "lists a file that is not a data file",
                });
            }
        }
        for fid in Self::DATA_FILES {
            let bytes = read_back.file(fid).ok_or(ProfileError::MissingFile(fid))?;
            Self::check_hash(&entries, fid, bytes)?;
        }
        Ok(())
    }

    fn templates(&self, content: &ChipContent) -> Result<Vec<Template>, ProfileError> {
        let bytes = content
            .file(Self::TEMPLATES)
            .ok_or(ProfileError::MissingFile(Self::TEMPLATES))?;
        let entries = Self::security_entries(content)?;
        Self::check_hash(&entries, Self::TEMPLATES, bytes)?;
        decode_templates(bytes)
    }
}

/// Checks that the chip read back holds exactly the files written, byte for byte: a missing
/// file, a length or content difference (with its first offset), or an extra file is an error.
pub(crate) fn same_files(
    written: &ChipContent,
    read_back: &ChipContent,
) -> Result<(), ProfileError> {
    for (fid, wrote) in &written.files {
        let read = read_back
            .file(*fid)
            .ok_or(ProfileError::MissingFile(*fid))?;
        if read.len() != wrote.len() {
            return Err(ProfileError::LengthMismatch {
                file: *fid,
                written: wrote.len(),
                read_back: read.len(),
            });
        }
        if let Some(offset) = wrote.iter().zip(read).position(|(a, b)| a != b) {
            return Err(ProfileError::ContentMismatch { file: *fid, offset });
        }
    }
    match read_back
        .files
        .keys()
        .find(|fid| !written.files.contains_key(fid))
    {
        Some(extra) => Err(ProfileError::UnexpectedFile(*extra)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::tests::sample;
    use proptest::prelude::*;

    fn bio() -> ChipBiometrics {
        ChipBiometrics {
            face_jpeg: [&[0xFF, 0xD8, 0xFF, 0xE0][..], &[7u8; 1500][..]].concat(),
            signature_png: [&b"\x89PNG\r\n\x1a\n"[..], &[3u8; 300][..]].concat(),
            templates: vec![
                Template {
                    finger: 1,
                    format: TemplateFormat::Iso19794_2Compact,
                    data: vec![0x11; 120],
                },
                Template {
                    finger: 6,
                    format: TemplateFormat::Iso19794_2Compact,
                    data: vec![0x22; 90],
                },
                Template {
                    finger: 2,
                    format: TemplateFormat::SimIdentity,
                    data: vec![0x33; 32],
                },
            ],
        }
    }

    #[test]
    fn build_lays_out_the_files() {
        let p = OpenProfileV0::new();
        let c = p.build(&sample(), &bio()).unwrap();
        let fids: Vec<u16> = c.files.keys().map(|f| f.0).collect();
        assert_eq!(fids, vec![0x0101, 0x0102, 0x0103, 0x0107, 0x011D]);
        assert_eq!(c.file(OpenProfileV0::FACE), Some(&bio().face_jpeg[..]));
        assert_eq!(
            c.file(OpenProfileV0::SIGNATURE),
            Some(&bio().signature_png[..])
        );
        let sec = c.file(OpenProfileV0::SECURITY).unwrap();
        assert_eq!(sec.len(), 2 + 4 * (2 + 32));
        assert_eq!(&sec[..4], &[0x01, 4, 0x01, 0x01]);
        assert_eq!(
            &sec[4..36],
            Sha256::digest(c.file(OpenProfileV0::DG1).unwrap()).as_slice()
        );
        assert_eq!(
            c.total_len(),
            c.files.values().map(|f| f.len()).sum::<usize>()
        );
        assert_eq!(p.name(), "open-v0");
        assert_eq!(p.capacity_bytes(), 8192);
    }

    #[test]
    fn dg1_holds_the_record() {
        let p = OpenProfileV0::new();
        let c = p.build(&sample(), &bio()).unwrap();
        let dg1 = c.file(OpenProfileV0::DG1).unwrap();
        assert_eq!(dg1[0], 0x61);
        assert_eq!(
            usize::from(u16::from_be_bytes([dg1[1], dg1[2]])),
            dg1.len() - 3
        );
        let fields = p.dg1_fields(&c).unwrap();
        let get = |tag| {
            fields
                .iter()
                .find(|(t, _)| *t == tag)
                .map(|(_, v)| v.as_str())
                .unwrap()
        };
        assert_eq!(fields.len(), 19);
        assert_eq!(get(dg1_tag::NIK), "3508014512900001");
        assert_eq!(get(dg1_tag::NAME), "Siti Nur'aini");
        assert_eq!(get(dg1_tag::DATE_OF_BIRTH), "1990-12-05");
        assert_eq!(get(dg1_tag::SEX), "FEMALE");
        assert_eq!(get(dg1_tag::MARITAL_STATUS), "KAWIN");
        assert_eq!(get(dg1_tag::CITIZENSHIP), "WNI");
        assert_eq!(get(dg1_tag::VALID_UNTIL), "LIFETIME");
        assert_eq!(get(dg1_tag::DATE_OF_ISSUE), "2025-03-10");
    }

    #[test]
    fn templates_round_trip() {
        let p = OpenProfileV0::new();
        let c = p.build(&sample(), &bio()).unwrap();
        assert_eq!(p.templates(&c).unwrap(), bio().templates);
        assert_eq!(p.verify(&c, &c.clone()), Ok(()));
    }

    #[test]
    fn every_tampered_byte_fails_verify() {
        let p = OpenProfileV0::new();
        let written = p.build(&sample(), &bio()).unwrap();
        for (fid, bytes) in &written.files {
            for offset in [0, bytes.len() / 2, bytes.len() - 1] {
                let mut read_back = written.clone();
                read_back.files.get_mut(fid).unwrap()[offset] ^= 0x01;
                assert_eq!(
                    p.verify(&written, &read_back),
                    Err(ProfileError::ContentMismatch { file: *fid, offset }),
                    "{fid} at {offset}"
                );
            }
        }
    }

    #[test]
    fn short_missing_or_extra_files_fail_verify() {
        let p = OpenProfileV0::new();
        let written = p.build(&sample(), &bio()).unwrap();

        let mut short = written.clone();
        short.files.get_mut(&OpenProfileV0::FACE).unwrap().pop();
        assert!(matches!(
            p.verify(&written, &short),
            Err(ProfileError::LengthMismatch { file, .. }) if file == OpenProfileV0::FACE
        ));

        let mut missing = written.clone();
        missing.files.remove(&OpenProfileV0::SIGNATURE);
        assert_eq!(
            p.verify(&written, &missing),
            Err(ProfileError::MissingFile(OpenProfileV0::SIGNATURE))
        );

        let mut extra = written.clone();
        extra.files.insert(FileId(0x0104), vec![1]);
        assert_eq!(
            p.verify(&written, &extra),
            Err(ProfileError::UnexpectedFile(FileId(0x0104)))
        );
    }

    #[test]
    fn data_not_matching_its_hash_fails_verify_and_templates() {
        let p = OpenProfileV0::new();
        let mut forged = p.build(&sample(), &bio()).unwrap();
        // Both the written and the read-back content carry the forged templates file: the
        // byte comparison passes, the security file does not.
        forged.files.get_mut(&OpenProfileV0::TEMPLATES).unwrap()[5] ^= 0x80;
        assert_eq!(
            p.verify(&forged, &forged.clone()),
            Err(ProfileError::HashMismatch(OpenProfileV0::TEMPLATES))
        );
        assert_eq!(
            p.templates(&forged),
            Err(ProfileError::HashMismatch(OpenProfileV0::TEMPLATES))
        );
    }

    #[test]
    fn too_large_is_refused_before_writing() {
        let p = OpenProfileV0::new();
        let mut big = bio();
        big.face_jpeg = vec![0xAB; 8000];
        match p.build(&sample(), &big) {
            Err(ProfileError::TooLarge { needed, capacity }) => {
                assert_eq!(capacity, 8192);
                assert!(needed > 8192);
            }
            other => panic!("expected TooLarge, got {other:?}"),
        }
        // The same content fits a larger chip, with exactly its size as capacity.
        let fits = OpenProfileV0::with_capacity(100_000)
            .build(&sample(), &big)
            .unwrap();
        let exact = OpenProfileV0::with_capacity(fits.total_len());
        assert_eq!(exact.build(&sample(), &big).unwrap(), fits);
        let one_less = OpenProfileV0::with_capacity(fits.total_len() - 1);
        assert_eq!(
            one_less.build(&sample(), &big),
            Err(ProfileError::TooLarge {
                needed: fits.total_len(),
                capacity: fits.total_len() - 1
            })
        );
    }

    #[test]
    fn bad_inputs_are_refused() {
        let p = OpenProfileV0::new();
        let mut r = sample();
        r.rt_rw = "1/2".into();
        assert!(matches!(
            p.build(&r, &bio()),
            Err(ProfileError::InvalidRecord(RecordError::Format { .. }))
        ));
        let mut b = bio();
        b.face_jpeg.clear();
        assert!(matches!(
            p.build(&sample(), &b),
            Err(ProfileError::InvalidBiometrics(_))
        ));
        for finger in [0, 11] {
            let mut b = bio();
            b.templates[0].finger = finger;
            assert!(matches!(
                p.build(&sample(), &b),
                Err(ProfileError::InvalidBiometrics(_))
            ));
        }
        let mut b = bio();
        b.templates[1].finger = 1;
        assert!(matches!(
            p.build(&sample(), &b),
            Err(ProfileError::InvalidBiometrics(_))
        ));
    }

    #[test]
    fn debug_shows_no_biometric_bytes_or_record() {
        let p = OpenProfileV0::new();
        let c = p.build(&sample(), &bio()).unwrap();
        let shown = format!("{c:?} {:?} {:?}", bio(), bio().templates[0]);
        assert!(!shown.contains("Siti"), "{shown}");
        assert!(!shown.contains("17, 17"), "{shown}");
        assert!(!shown.contains("7, 7, 7"), "{shown}");
        assert!(shown.contains("len: 120"), "{shown}");
    }

    #[test]
    fn profile_is_object_safe() {
        let boxed: Box<dyn CardProfile> = Box::new(OpenProfileV0::default());
        assert_eq!(boxed.capacity_bytes(), OpenProfileV0::DEFAULT_CAPACITY);
    }

    fn template() -> impl Strategy<Value = Template> {
        (
            1..=10u8,
            prop_oneof![
                Just(TemplateFormat::SimIdentity),
                Just(TemplateFormat::Iso19794_2Compact),
                Just(TemplateFormat::Iso19794_2),
            ],
            proptest::collection::vec(any::<u8>(), 1..300),
        )
            .prop_map(|(finger, format, data)| Template {
                finger,
                format,
                data,
            })
    }

    proptest! {
        #[test]
        fn any_templates_round_trip(templates in proptest::collection::vec(template(), 0..12)) {
            let mut seen = std::collections::BTreeSet::new();
            let templates: Vec<Template> = templates
                .into_iter()
                .filter(|t| seen.insert((t.finger, t.format.code())))
                .collect();
            let p = OpenProfileV0::with_capacity(1 << 20);
            let b = ChipBiometrics { templates: templates.clone(), ..bio() };
            let c = p.build(&sample(), &b).unwrap();
            prop_assert_eq!(p.templates(&c).unwrap(), templates);
            prop_assert_eq!(p.verify(&c, &c.clone()), Ok(()));
        }

        #[test]
        fn any_flipped_bit_fails_verify(file in 0..5usize, pos in any::<usize>(), bit in 0..8u8) {
            let p = OpenProfileV0::new();
            let written = p.build(&sample(), &bio()).unwrap();
            let fid = *written.files.keys().nth(file).unwrap();
            let mut read_back = written.clone();
            let bytes = read_back.files.get_mut(&fid).unwrap();
            let offset = pos % bytes.len();
            bytes[offset] ^= 1 << bit;
            prop_assert_eq!(
                p.verify(&written, &read_back),
                Err(ProfileError::ContentMismatch { file: fid, offset })
            );
        }
    }
}
