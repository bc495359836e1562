//! Reading a chip back for a technician (`rekamctl card read`): which files it holds, what
//! each holds, DG1's demographic fields with the NIK masked, each data group's hash against the
//! security object, and passive authentication against the station's trusted document signer
//! certificates.
//!
//! The layout is recognised from the files themselves, so that a card written under another
//! profile than the station's current one still reads: an EF.SOD starting with tag `77` is the
//! ICAO-like profile (`icao-open-v1`), a security file starting with the SHA-256 algorithm
//! byte `01` is [`OpenProfileV0`]. Nothing here fails: every problem becomes a line of
//! [`ChipReport::problems`] or a file's [`HashCheck`], worded without personal data.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};
use x509_cert::Certificate;

use super::{lds, sod};
use crate::nik::Nik;
use crate::profile::{dg1_tag, CardProfile, ChipContent, FileId, OpenProfileV0};

/// The chip layouts [`inspect`] recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DetectedProfile {
    /// `icao-open-v1`.
    IcaoOpenV1,
    /// `open-v0`.
    OpenV0,
    /// No files: a blank chip.
    Blank,
    /// Files, but neither layout.
    Unknown,
}

impl DetectedProfile {
    /// The profile's name as in `[card] profile`, or `""` for a blank or unknown chip.
    pub fn name(self) -> &'static str {
        match self {
            DetectedProfile::IcaoOpenV1 => "icao-open-v1",
            DetectedProfile::OpenV0 => "open-v0",
            DetectedProfile::Blank | DetectedProfile::Unknown => "",
        }
    }
}

/// How one file's hash compares with the security object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashCheck {
    /// The hash is the listed one.
    Match,
    /// Another hash is listed.
    Mismatch,
    /// A data group the security object does not list.
    NotListed,
    /// Not a hashed file (the security object itself, or EF.COM).
    NotCovered,
    /// The security object is missing or does not parse.
    Unchecked,
}

/// One file of the chip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileReport {
    /// The file id.
    pub fid: FileId,
    /// Its name in the profile (`EF.COM`, `DG1`, `EF.SOD`), `EF` when unknown.
    pub name: &'static str,
    /// Its size, bytes.
    pub size: usize,
    /// Its hash against the security object.
    pub hash: HashCheck,
    /// What it holds, in words (sizes and finger codes, no personal data).
    pub content: String,
}

/// The security object's check.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecurityReport {
    /// The chip carries a signed security object.
    pub signed: bool,
    /// Passive authentication passed with a trusted signer.
    pub verified: bool,
    /// The subject of the signer certificate the chip carries.
    pub signer_subject: Option<String>,
    /// That certificate is one of the trusted ones.
    pub signer_trusted: bool,
    /// Why it is not verified.
    pub problem: Option<String>,
}

/// What [`inspect`] found. [`ChipReport::fields`]' values are personal data (the NIK is
/// masked, the rest is not): `Debug` shows the field names only.
#[derive(Clone, PartialEq, Eq)]
pub struct ChipReport {
    /// The layout recognised.
    pub profile: DetectedProfile,
    /// The files, by ascending id.
    pub files: Vec<FileReport>,
    /// DG1's fields (name as in the card record, value), the NIK masked.
    pub fields: Vec<(&'static str, String)>,
    /// The security object's check.
    pub security: SecurityReport,
    /// Decoding problems, in words.
    pub problems: Vec<String>,
}

impl std::fmt::Debug for ChipReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.fields.iter().map(|(n, _)| *n).collect();
        f.debug_struct("ChipReport")
            .field("profile", &self.profile)
            .field("files", &self.files)
            .field("fields", &names)
            .field("security", &self.security)
            .field("problems", &self.problems)
            .finish()
    }
}

/// The card record's name of a DG1 field tag ([`dg1_tag`]).
pub fn field_name(tag: u8) -> &'static str {
    use dg1_tag as t;
    match tag {
        t::NIK => "nik",
        t::NAME => "name",
        t::PLACE_OF_BIRTH => "place_of_birth",
        t::DATE_OF_BIRTH => "date_of_birth",
        t::SEX => "sex",
        t::BLOOD_TYPE => "blood_type",
        t::ADDRESS => "address",
        t::RT_RW => "rt_rw",
        t::VILLAGE => "village",
        t::DISTRICT => "district",
        t::REGENCY => "regency",
        t::PROVINCE => "province",
        t::RELIGION => "religion",
        t::MARITAL_STATUS => "marital_status",
        t::OCCUPATION => "occupation",
        t::CITIZENSHIP => "citizenship",
        t::VALID_UNTIL => "valid_until",
        t::PLACE_OF_ISSUE => "place_of_issue",
        t::DATE_OF_ISSUE => "date_of_issue",
        _ => "unknown",
    }
}

/// A NIK as shown to a technician: [`Nik::masked`], or every character starred when the
/// value is not a valid NIK (a damaged chip must not leak it either).
pub fn mask_nik(value: &str) -> String {
    match Nik::parse(value) {
        Ok(nik) => nik.masked(),
        Err(_) => "*".repeat(value.chars().count()),
    }
}

fn fields_masked(fields: Vec<(u8, String)>) -> Vec<(&'static str, String)> {
    fields
        .into_iter()
        .map(|(tag, value)| {
            let name = field_name(tag);
            let value = if tag == dg1_tag::NIK {
                mask_nik(&value)
            } else {
                value
            };
            (name, value)
        })
        .collect()
}

fn detect(content: &ChipContent) -> DetectedProfile {
    if content.files.is_empty() {
        return DetectedProfile::Blank;
    }
    match content.file(lds::EF_SOD).and_then(|s| s.first()) {
        Some(0x77) => DetectedProfile::IcaoOpenV1,
        Some(0x01) if content.file(lds::EF_COM).is_none() => DetectedProfile::OpenV0,
        _ => DetectedProfile::Unknown,
    }
}

fn file_name(fid: FileId) -> &'static str {
    match fid {
        lds::EF_COM => "EF.COM",
        lds::EF_SOD => "EF.SOD",
        lds::DG1 => "DG1",
        lds::DG2 => "DG2",
        lds::DG3 => "DG3",
        lds::DG7 => "DG7",
        _ => "EF",
    }
}

fn fingers(templates: &[crate::profile::Template]) -> String {
    let list: Vec<String> = templates.iter().map(|t| t.finger.to_string()).collect();
    format!(
        "{} fingerprint template(s), finger codes {}",
        templates.len(),
        list.join(", ")
    )
}

/// Inspects a chip's content; `trusted` are the station's document signer certificates
/// (empty: none configured, and no signature can count as verified).
pub fn inspect(content: &ChipContent, trusted: &[Certificate]) -> ChipReport {
    let profile = detect(content);
    let mut report = ChipReport {
        profile,
        files: Vec::new(),
        fields: Vec::new(),
        security: SecurityReport::default(),
        problems: Vec::new(),
    };
    match profile {
        DetectedProfile::IcaoOpenV1 => inspect_icao(content, trusted, &mut report),
        DetectedProfile::OpenV0 => inspect_v0(content, &mut report),
        DetectedProfile::Blank => {
            report.security.problem = Some("the chip holds no files".into());
        }
        DetectedProfile::Unknown => {
            for (fid, bytes) in &content.files {
                report.files.push(FileReport {
                    fid: *fid,
                    name: file_name(*fid),
                    size: bytes.len(),
                    hash: HashCheck::Unchecked,
                    content: "unknown".into(),
                });
            }
            report.security.problem = Some("no security object of a known profile".into());
            report
                .problems
                .push("the files match neither icao-open-v1 nor open-v0".into());
        }
    }
    report
}

fn inspect_icao(content: &ChipContent, trusted: &[Certificate], report: &mut ChipReport) {
    let listed: Option<BTreeMap<FileId, Vec<u8>>> = match sod::listed_hashes(content) {
        Ok(list) => Some(
            list.into_iter()
                .map(|(n, h)| (lds::dg_file(n), h))
                .collect(),
        ),
        Err(e) => {
            report.problems.push(format!("EF.SOD: {e}"));
            None
        }
    };
    report.security.signed = listed.is_some();
    for (fid, bytes) in &content.files {
        let hash = match (&listed, lds::dg_number(*fid)) {
            (_, None) => HashCheck::NotCovered,
            (None, Some(_)) => HashCheck::Unchecked,
            (Some(list), Some(_)) => match list.get(fid) {
                None => HashCheck::NotListed,
                Some(h) if h.as_slice() == Sha256::digest(bytes).as_slice() => HashCheck::Match,
                Some(_) => HashCheck::Mismatch,
            },
        };
        let described = match *fid {
            lds::EF_COM => lds::decode_com(bytes).map(|tags| {
                let tags: Vec<String> = tags.iter().map(|t| format!("{t:02X}")).collect();
                format!("data group list: tags {}", tags.join(" "))
            }),
            lds::DG1 => lds::decode_dg1(bytes).map(|fields| {
                let n = fields.len();
                report.fields = fields_masked(fields);
                format!("demographics: {n} fields")
            }),
            lds::DG2 => lds::decode_dg2(bytes)
                .map(|jpeg| format!("face image (ISO/IEC 19794-5), JPEG {} bytes", jpeg.len())),
            lds::DG3 => lds::decode_dg3(bytes).map(|t| fingers(&t)),
            lds::DG7 => {
                lds::decode_dg7(bytes).map(|png| format!("signature image, {} bytes", png.len()))
            }
            lds::EF_SOD => Ok("document security object (CMS SignedData)".to_owned()),
            _ => Ok("not part of the profile".to_owned()),
        };
        let content_text = described.unwrap_or_else(|e| {
            report.problems.push(e.to_string());
            "malformed".to_owned()
        });
        if lds::dg_number(*fid).is_some() && !super::FILES.contains(fid) {
            report
                .problems
                .push(format!("file {fid} is not part of icao-open-v1"));
        }
        report.files.push(FileReport {
            fid: *fid,
            name: file_name(*fid),
            size: bytes.len(),
            hash,
            content: content_text,
        });
    }
    for fid in listed.iter().flat_map(|l| l.keys()) {
        if !content.files.contains_key(fid) {
            report.problems.push(format!(
                "EF.SOD lists data group {fid}, which the chip does not hold"
            ));
        }
    }
    report.security.signer_subject = sod::carried_signer_subject(content);
    match sod::passive_authentication(content, trusted) {
        Ok(pa) if trusted.is_empty() => {
            report.security.problem = Some(
                "the station has no document signer certificate configured ([card] ds_cert): \
                 the signature verifies only with the certificate the chip carries"
                    .into(),
            );
            report.security.signer_subject = Some(pa.signer_subject);
        }
        Ok(pa) => {
            report.security.verified = true;
            report.security.signer_trusted = pa.signer_trusted;
            report.security.signer_subject = Some(pa.signer_subject);
        }
        Err(e) => report.security.problem = Some(e.to_string()),
    }
}

/// The open-v0 security file: algorithm `01`, a count, then (fid, SHA-256) entries (the
/// format is [`OpenProfileV0`]'s, see its module docs; parsed here to report each file on its
/// own, where the profile stops at the first bad one).
fn v0_security_entries(bytes: &[u8]) -> Option<BTreeMap<FileId, Vec<u8>>> {
    let (&alg, rest) = bytes.split_first()?;
    let (&count, mut rest) = rest.split_first()?;
    if alg != 0x01 || rest.len() != usize::from(count) * 34 {
        return None;
    }
    let mut out = BTreeMap::new();
    while rest.len() >= 34 {
        let (entry, tail) = rest.split_at(34);
        out.insert(
            FileId(u16::from_be_bytes([entry[0], entry[1]])),
            entry[2..].to_vec(),
        );
        rest = tail;
    }
    Some(out)
}

fn inspect_v0(content: &ChipContent, report: &mut ChipReport) {
    let profile = OpenProfileV0::new();
    let entries = content
        .file(OpenProfileV0::SECURITY)
        .and_then(v0_security_entries);
    if entries.is_none() {
        report
            .problems
            .push("the security file is malformed".to_owned());
    }
    for (fid, bytes) in &content.files {
        let hash = match (&entries, *fid) {
            (_, OpenProfileV0::SECURITY) => HashCheck::NotCovered,
            (None, _) => HashCheck::Unchecked,
            (Some(e), _) => match e.get(fid) {
                None => HashCheck::NotListed,
                Some(h) if h.as_slice() == Sha256::digest(bytes).as_slice() => HashCheck::Match,
                Some(_) => HashCheck::Mismatch,
            },
        };
        let text = match *fid {
            OpenProfileV0::DG1 => match profile.dg1_fields(content) {
                Ok(fields) => {
                    let n = fields.len();
                    report.fields = fields_masked(fields);
                    format!("demographics: {n} fields")
                }
                Err(e) => {
                    report.problems.push(e.to_string());
                    "malformed".to_owned()
                }
            },
            OpenProfileV0::FACE => format!("face image, JPEG {} bytes", bytes.len()),
            OpenProfileV0::TEMPLATES => match profile.templates(content) {
                Ok(t) => fingers(&t),
                Err(_) => "fingerprint templates".to_owned(),
            },
            OpenProfileV0::SIGNATURE => format!("signature image, {} bytes", bytes.len()),
            OpenProfileV0::SECURITY => "security file (SHA-256 hashes, unsigned)".to_owned(),
            _ => {
                report
                    .problems
                    .push(format!("file {fid} is not part of open-v0"));
                "not part of the profile".to_owned()
            }
        };
        report.files.push(FileReport {
            fid: *fid,
            name: file_name(*fid),
            size: bytes.len(),
            hash,
            content: text,
        });
    }
    report.security.problem =
        Some("open-v0 carries no signature: hashes only, nothing to authenticate".into());
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::icao::tests::bio;
    use crate::icao::{DocumentSigner, IcaoOpenProfile};
    use crate::record::tests::sample as record;

    fn icao() -> (IcaoOpenProfile, ChipContent) {
        let p = IcaoOpenProfile::new(DocumentSigner::test_only(b"inspect").unwrap());
        let c = p.build(&record(), &bio()).unwrap();
        (p, c)
    }

    #[test]
    fn a_sound_icao_chip_reads_verified_with_the_nik_masked() {
        let (p, c) = icao();
        let r = inspect(&c, std::slice::from_ref(p.signer().certificate()));
        assert_eq!(r.profile, DetectedProfile::IcaoOpenV1);
        assert!(r.security.verified && r.security.signed && r.security.signer_trusted);
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        let names: Vec<_> = r.files.iter().map(|f| f.name).collect();
        assert_eq!(names, ["DG1", "DG2", "DG3", "DG7", "EF.SOD", "EF.COM"]);
        for f in &r.files {
            let want = if f.name.starts_with("DG") {
                HashCheck::Match
            } else {
                HashCheck::NotCovered
            };
            assert_eq!(f.hash, want, "{}", f.name);
            assert_eq!(f.size, c.files[&f.fid].len());
        }
        let nik = record().nik.as_str().to_owned();
        let shown = &r.fields.iter().find(|(n, _)| *n == "nik").unwrap().1;
        assert_eq!(shown.len(), 16);
        assert_eq!(&shown[..4], &nik[..4]);
        assert_eq!(&shown[4..14], "**********");
        let debug = format!("{r:?}");
        assert!(!debug.contains(&nik[4..14]) && !debug.contains(&record().name));
        assert_eq!(
            r.fields.iter().find(|(n, _)| *n == "name").unwrap().1,
            record().name
        );
    }

    #[test]
    fn an_untrusted_signer_or_no_trust_is_not_verified() {
        let (_, c) = icao();
        let other = DocumentSigner::test_only(b"another").unwrap();
        let r = inspect(&c, std::slice::from_ref(other.certificate()));
        assert!(r.security.signed && !r.security.verified);
        assert!(r.security.problem.unwrap().contains("trusted"));
        assert!(r.security.signer_subject.unwrap().contains("TEST-ONLY"));
        let r = inspect(&c, &[]);
        assert!(!r.security.verified);
        assert!(r.security.problem.unwrap().contains("ds_cert"));
    }

    #[test]
    fn a_tampered_data_group_shows_as_a_mismatch_on_that_file_only() {
        let (p, mut c) = icao();
        let dg2 = c.files.get_mut(&lds::DG2).unwrap();
        let last = dg2.len() - 1;
        dg2[last] ^= 1;
        let r = inspect(&c, std::slice::from_ref(p.signer().certificate()));
        assert!(!r.security.verified);
        for f in &r.files {
            let bad = f.hash == HashCheck::Mismatch;
            assert_eq!(bad, f.fid == lds::DG2, "{}", f.name);
        }
    }

    #[test]
    fn an_open_v0_chip_reads_with_hashes_and_no_signature() {
        let c = OpenProfileV0::new().build(&record(), &bio()).unwrap();
        let r = inspect(&c, &[]);
        assert_eq!(r.profile, DetectedProfile::OpenV0);
        assert!(!r.security.signed && !r.security.verified);
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        assert!(r
            .files
            .iter()
            .all(|f| f.hash == HashCheck::Match || f.fid == OpenProfileV0::SECURITY));
        assert_eq!(r.fields.len(), 19);
        assert!(r.fields[0].1.contains("**********"));
    }

    #[test]
    fn blank_and_unknown_chips_say_so() {
        assert_eq!(
            inspect(&ChipContent::default(), &[]).profile,
            DetectedProfile::Blank
        );
        let mut c = ChipContent::default();
        c.files.insert(FileId(0x0101), vec![1, 2, 3]);
        let r = inspect(&c, &[]);
        assert_eq!(r.profile, DetectedProfile::Unknown);
        assert_eq!(r.files[0].hash, HashCheck::Unchecked);
        assert_eq!(mask_nik("12345"), "*****");
    }
}
