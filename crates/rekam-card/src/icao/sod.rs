//! EF.SOD: the document security object (ICAO Doc 9303 part 10 §4.6.2, part 11 §5), a CMS
//! SignedData (RFC 5652) over an `LDSSecurityObject` that lists the SHA-256 hash of every data
//! group, signed with the document signer's ECDSA P-256 key; and passive authentication,
//! which checks the signature and every hash.
//!
//! The SignedData is built field by field from the RustCrypto `cms` types rather than with its
//! builder, so that the same input always gives the same bytes: ECDSA signs deterministically
//! (RFC 6979) and no signing time is added. The issuance job rebuilds the chip content at each
//! step and compares what the chip holds with it byte for byte.
//!
//! Signed attributes: content type (`id-icao-mrtd-security-ldsSecurityObject`) and message
//! digest. The document signer certificate is carried in `certificates`; the signer is named
//! by issuer and serial number.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use der::asn1::{GeneralizedTime, ObjectIdentifier, OctetString, SetOfVec};
use der::pem::LineEnding;
use der::{Any, Decode, DecodePem, Encode, EncodePem, Sequence};
use p256::ecdsa::signature::{Signer, Verifier};
use p256::ecdsa::{DerSignature, SigningKey, VerifyingKey};
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use sha2::{Digest, Sha256};
use x509_cert::attr::Attribute;
use x509_cert::builder::{Builder, CertificateBuilder, Profile};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::time::{Time, Validity};
use x509_cert::Certificate;

use super::lds;
use crate::profile::{ChipContent, FileId, ProfileError};

/// `id-sha256`.
pub const OID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
/// `ecdsa-with-SHA256`.
pub const OID_ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
/// `id-signedData`.
pub const OID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
/// `id-contentType` attribute.
pub const OID_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
/// `id-messageDigest` attribute.
pub const OID_MESSAGE_DIGEST: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
/// `id-icao-mrtd-security-ldsSecurityObject`.
pub const OID_LDS_SECURITY_OBJECT: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("2.23.136.1.1.1");

/// `DataGroupHash ::= SEQUENCE { dataGroupNumber, dataGroupHashValue OCTET STRING }`.
#[derive(Debug, Clone, PartialEq, Eq, Sequence)]
struct DataGroupHash {
    number: u8,
    hash: OctetString,
}

/// `LDSSecurityObject ::= SEQUENCE { version, hashAlgorithm, dataGroupHashValues }` (v0).
#[derive(Debug, Clone, PartialEq, Eq, Sequence)]
struct LdsSecurityObject {
    version: u8,
    hash_algorithm: AlgorithmIdentifierOwned,
    hashes: Vec<DataGroupHash>,
}

fn sha256_alg() -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid: OID_SHA256,
        parameters: None,
    }
}

fn signer_err(e: impl fmt::Display) -> ProfileError {
    ProfileError::Signer(e.to_string())
}

/// The document signer: an ECDSA P-256 key and its X.509 certificate.
///
/// `Debug` shows the certificate's subject only.
#[derive(Clone)]
pub struct DocumentSigner {
    key: SigningKey,
    cert: Certificate,
}

impl fmt::Debug for DocumentSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DocumentSigner")
            .field("subject", &self.cert.tbs_certificate.subject.to_string())
            .finish()
    }
}

fn public_key_of(cert: &Certificate) -> Result<VerifyingKey, ProfileError> {
    VerifyingKey::from_sec1_bytes(
        cert.tbs_certificate
            .subject_public_key_info
            .subject_public_key
            .raw_bytes(),
    )
    .map_err(|_| ProfileError::SecurityObject("the signer certificate holds no P-256 key"))
}

impl DocumentSigner {
    /// From a PKCS#8 (`PRIVATE KEY`) or SEC1 (`EC PRIVATE KEY`) PEM key and a PEM
    /// certificate; the certificate must hold the key's public half.
    pub fn from_pem(key_pem: &str, cert_pem: &str) -> Result<DocumentSigner, ProfileError> {
        let key = SigningKey::from_pkcs8_pem(key_pem)
            .or_else(|_| p256::SecretKey::from_sec1_pem(key_pem).map(SigningKey::from))
            .map_err(|_| ProfileError::Signer("the key is not a P-256 PEM private key".into()))?;
        let cert = Certificate::from_pem(cert_pem)
            .map_err(|e| ProfileError::Signer(format!("the certificate: {e}")))?;
        if public_key_of(&cert)? != *key.verifying_key() {
            return Err(ProfileError::Signer(
                "the certificate does not hold the key's public key".into(),
            ));
        }
        Ok(DocumentSigner { key, cert })
    }

    /// A TEST-ONLY signer derived from `seed`, with a self-signed certificate
    /// (`CN=Rekam TEST-ONLY Document Signer`) valid 2025-2035. The same seed gives the same key
    /// and certificate. Never configure it on a station that issues real cards.
    pub fn test_only(seed: &[u8]) -> Result<DocumentSigner, ProfileError> {
        let mut counter = 0u32;
        let key = loop {
            let digest = Sha256::new()
                .chain_update(b"rekam test-only document signer")
                .chain_update(seed)
                .chain_update(counter.to_be_bytes())
                .finalize();
            if let Ok(k) = SigningKey::from_bytes(&digest) {
                break k;
            }
            counter += 1;
        };
        let at = |secs| {
            GeneralizedTime::from_unix_duration(Duration::from_secs(secs))
                .map(Time::GeneralTime)
                .map_err(signer_err)
        };
        let validity = Validity {
            not_before: at(1_735_689_600)?, // 2025-01-01
            not_after: at(2_051_222_400)?,  // 2035-01-01
        };
        let subject = Name::from_str("CN=Rekam TEST-ONLY Document Signer,O=Rekam,C=ID")
            .map_err(signer_err)?;
        let spki = SubjectPublicKeyInfoOwned::from_key(*key.verifying_key()).map_err(signer_err)?;
        let serial = SerialNumber::new(&[0x01]).map_err(signer_err)?;
        let cert = CertificateBuilder::new(Profile::Root, serial, validity, subject, spki, &key)
            .map_err(signer_err)?
            .build::<DerSignature>()
            .map_err(signer_err)?;
        Ok(DocumentSigner { key, cert })
    }

    /// The certificate.
    pub fn certificate(&self) -> &Certificate {
        &self.cert
    }

    /// The certificate as PEM.
    pub fn certificate_pem(&self) -> Result<String, ProfileError> {
        self.cert.to_pem(LineEnding::LF).map_err(signer_err)
    }

    /// The private key as PKCS#8 PEM (for tests that write a key file).
    pub fn key_pem(&self) -> Result<String, ProfileError> {
        self.key
            .to_pkcs8_pem(LineEnding::LF)
            .map(|z| z.to_string())
            .map_err(signer_err)
    }

    /// Builds EF.SOD (tag `77`) over the data groups in `content` (files `0101`..`0110`).
    pub fn sign(&self, content: &ChipContent) -> Result<Vec<u8>, ProfileError> {
        let mut hashes = Vec::new();
        for (fid, bytes) in &content.files {
            if let Some(number) = lds::dg_number(*fid) {
                hashes.push(DataGroupHash {
                    number,
                    hash: OctetString::new(Sha256::digest(bytes).to_vec()).map_err(signer_err)?,
                });
            }
        }
        let lso = LdsSecurityObject {
            version: 0,
            hash_algorithm: sha256_alg(),
            hashes,
        }
        .to_der()
        .map_err(signer_err)?;
        let attr = |oid, value: Any| -> Result<Attribute, ProfileError> {
            Ok(Attribute {
                oid,
                values: SetOfVec::try_from(vec![value]).map_err(signer_err)?,
            })
        };
        let digest = OctetString::new(Sha256::digest(&lso).to_vec()).map_err(signer_err)?;
        let signed_attrs = SetOfVec::try_from(vec![
            attr(
                OID_CONTENT_TYPE,
                Any::encode_from(&OID_LDS_SECURITY_OBJECT).map_err(signer_err)?,
            )?,
            attr(
                OID_MESSAGE_DIGEST,
                Any::encode_from(&digest).map_err(signer_err)?,
            )?,
        ])
        .map_err(signer_err)?;
        let to_sign = signed_attrs.to_der().map_err(signer_err)?;
        let signature: DerSignature = self.key.sign(&to_sign);
        let signer_info = SignerInfo {
            version: CmsVersion::V1,
            sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
                issuer: self.cert.tbs_certificate.issuer.clone(),
                serial_number: self.cert.tbs_certificate.serial_number.clone(),
            }),
            digest_alg: sha256_alg(),
            signed_attrs: Some(signed_attrs),
            signature_algorithm: AlgorithmIdentifierOwned {
                oid: OID_ECDSA_SHA256,
                parameters: None,
            },
            signature: OctetString::new(signature.as_bytes().to_vec()).map_err(signer_err)?,
            unsigned_attrs: None,
        };
        let signed_data = SignedData {
            version: CmsVersion::V3,
            digest_algorithms: SetOfVec::try_from(vec![sha256_alg()]).map_err(signer_err)?,
            encap_content_info: EncapsulatedContentInfo {
                econtent_type: OID_LDS_SECURITY_OBJECT,
                econtent: Some(
                    Any::encode_from(&OctetString::new(lso).map_err(signer_err)?)
                        .map_err(signer_err)?,
                ),
            },
            certificates: Some(CertificateSet(
                SetOfVec::try_from(vec![CertificateChoices::Certificate(self.cert.clone())])
                    .map_err(signer_err)?,
            )),
            crls: None,
            signer_infos: SignerInfos(SetOfVec::try_from(vec![signer_info]).map_err(signer_err)?),
        };
        let content_info = ContentInfo {
            content_type: OID_SIGNED_DATA,
            content: Any::encode_from(&signed_data).map_err(signer_err)?,
        };
        let der = content_info.to_der().map_err(signer_err)?;
        Ok(rekam_apdu::tlv::encode(lds::TAG_SOD, &der))
    }
}

/// What passive authentication found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassiveAuthentication {
    /// The document signer certificate's subject (a public name, not personal data).
    pub signer_subject: String,
    /// True when the signer certificate is one of the trusted certificates given.
    pub signer_trusted: bool,
    /// The data groups whose hash matched, by number.
    pub data_groups: Vec<u8>,
}

/// Passive authentication: EF.SOD parses as a CMS SignedData over an LDSSecurityObject, its
/// signature verifies with the certificate it carries, the message digest matches, every data
/// group file in `content` is listed with a matching SHA-256 hash and every listed data group
/// is present. When `trusted` is not empty, the signer certificate must be one of them
/// ([`ProfileError::SecurityObject`] otherwise); a CSCA chain is not checked (the open profile
/// has none).
pub fn passive_authentication(
    content: &ChipContent,
    trusted: &[Certificate],
) -> Result<PassiveAuthentication, ProfileError> {
    let bad = ProfileError::SecurityObject;
    let (sd, lso_der, lso) = signed_security_object(content)?;
    let cert = sd
        .certificates
        .as_ref()
        .and_then(|c| {
            c.0.iter().find_map(|c| match c {
                CertificateChoices::Certificate(cert) => Some(cert.clone()),
                _ => None,
            })
        })
        .ok_or(bad("no document signer certificate"))?;
    let signer = sd.signer_infos.0.iter().next().ok_or(bad("no signer"))?;
    match &signer.sid {
        SignerIdentifier::IssuerAndSerialNumber(ias)
            if ias.issuer == cert.tbs_certificate.issuer
                && ias.serial_number == cert.tbs_certificate.serial_number => {}
        _ => return Err(bad("the signer is not the certificate carried")),
    }
    if signer.digest_alg.oid != OID_SHA256 || signer.signature_algorithm.oid != OID_ECDSA_SHA256 {
        return Err(bad("unsupported digest or signature algorithm"));
    }
    let attrs = signer
        .signed_attrs
        .as_ref()
        .ok_or(bad("no signed attributes"))?;
    let attr_value = |oid| {
        attrs
            .iter()
            .find(|a| a.oid == oid)
            .and_then(|a| a.values.iter().next())
    };
    let digest = attr_value(OID_MESSAGE_DIGEST)
        .ok_or(bad("no message digest attribute"))?
        .decode_as::<OctetString>()
        .map_err(|_| bad("the message digest is not an OCTET STRING"))?;
    if digest.as_bytes() != Sha256::digest(lso_der.as_bytes()).as_slice() {
        return Err(bad("the message digest does not match the signed content"));
    }
    let content_type = attr_value(OID_CONTENT_TYPE)
        .ok_or(bad("no content type attribute"))?
        .decode_as::<ObjectIdentifier>()
        .map_err(|_| bad("the content type is not an OID"))?;
    if content_type != OID_LDS_SECURITY_OBJECT {
        return Err(bad(
            "the content type attribute is not the LDSSecurityObject",
        ));
    }
    let signed = attrs
        .to_der()
        .map_err(|_| bad("the signed attributes do not encode"))?;
    let signature = DerSignature::from_bytes(signer.signature.as_bytes())
        .map_err(|_| bad("the signature is not a DER ECDSA signature"))?;
    public_key_of(&cert)?
        .verify(&signed, &signature)
        .map_err(|_| bad("the signature does not verify"))?;
    let signer_trusted = trusted.contains(&cert);
    if !trusted.is_empty() && !signer_trusted {
        return Err(bad("the document signer is not a trusted one"));
    }
    if lso.hash_algorithm.oid != OID_SHA256 {
        return Err(bad("the data group hash algorithm is not SHA-256"));
    }
    let mut checked = Vec::new();
    for entry in &lso.hashes {
        let fid = lds::dg_file(entry.number);
        let bytes = content.file(fid).ok_or(ProfileError::MissingFile(fid))?;
        if entry.hash.as_bytes() != Sha256::digest(bytes).as_slice() {
            return Err(ProfileError::HashMismatch(fid));
        }
        checked.push(entry.number);
    }
    if let Some(fid) = content
        .files
        .keys()
        .find(|fid| lds::dg_number(**fid).is_some_and(|n| !checked.contains(&n)))
    {
        return Err(ProfileError::UnexpectedFile(*fid));
    }
    Ok(PassiveAuthentication {
        signer_subject: cert.tbs_certificate.subject.to_string(),
        signer_trusted,
        data_groups: checked,
    })
}

/// EF.SOD of `content` parsed down to its LDSSecurityObject, nothing verified yet: the
/// SignedData, the LDSSecurityObject's DER and the object.
fn signed_security_object(
    content: &ChipContent,
) -> Result<(SignedData, OctetString, LdsSecurityObject), ProfileError> {
    let bad = ProfileError::SecurityObject;
    let sod = content
        .file(lds::EF_SOD)
        .ok_or(ProfileError::MissingFile(lds::EF_SOD))?;
    let der = rekam_apdu::tlv::expect(sod, lds::TAG_SOD)
        .map_err(|_| bad("EF.SOD is not BER-TLV"))?
        .ok_or(bad("EF.SOD's outer tag is not 77"))?;
    let ci = ContentInfo::from_der(der).map_err(|_| bad("not a CMS ContentInfo"))?;
    if ci.content_type != OID_SIGNED_DATA {
        return Err(bad("not a SignedData"));
    }
    let sd: SignedData = ci
        .content
        .decode_as()
        .map_err(|_| bad("the SignedData does not parse"))?;
    if sd.version != CmsVersion::V3 || !sd.digest_algorithms.iter().any(|a| a.oid == OID_SHA256) {
        return Err(bad("not a version 3 SignedData with SHA-256"));
    }
    if sd.encap_content_info.econtent_type != OID_LDS_SECURITY_OBJECT {
        return Err(bad("the signed content is not an LDSSecurityObject"));
    }
    let lso_der = sd
        .encap_content_info
        .econtent
        .as_ref()
        .ok_or(bad("no signed content"))?
        .decode_as::<OctetString>()
        .map_err(|_| bad("the signed content is not an OCTET STRING"))?;
    let lso = LdsSecurityObject::from_der(lso_der.as_bytes())
        .map_err(|_| bad("the LDSSecurityObject does not parse"))?;
    Ok((sd, lso_der, lso))
}

/// The data-group hashes EF.SOD lists (number, SHA-256), read without checking the
/// signature: for a technician's dump, which reports each file's hash on its own. Use
/// [`passive_authentication`] to trust them.
pub fn listed_hashes(content: &ChipContent) -> Result<Vec<(u8, Vec<u8>)>, ProfileError> {
    let (_, _, lso) = signed_security_object(content)?;
    if lso.hash_algorithm.oid != OID_SHA256 {
        return Err(ProfileError::SecurityObject(
            "the data group hash algorithm is not SHA-256",
        ));
    }
    Ok(lso
        .hashes
        .iter()
        .map(|h| (h.number, h.hash.as_bytes().to_vec()))
        .collect())
}

/// The subject of the document signer certificate EF.SOD carries, if it parses (whether or
/// not it is trusted or the signature verifies).
pub fn carried_signer_subject(content: &ChipContent) -> Option<String> {
    let (sd, _, _) = signed_security_object(content).ok()?;
    sd.certificates.as_ref()?.0.iter().find_map(|c| match c {
        CertificateChoices::Certificate(cert) => Some(cert.tbs_certificate.subject.to_string()),
        _ => None,
    })
}

/// A certificate from PEM (the station's trusted document signer certificate).
pub fn certificate_from_pem(pem: &str) -> Result<Certificate, ProfileError> {
    Certificate::from_pem(pem).map_err(|e| ProfileError::Signer(format!("the certificate: {e}")))
}

/// The data-group file ids a passive authentication covers (for callers that list files).
pub fn covered_files(pa: &PassiveAuthentication) -> Vec<FileId> {
    pa.data_groups.iter().map(|n| lds::dg_file(*n)).collect()
}
