//! The data groups of the ICAO-like open profile, as BER-TLV (ICAO Doc 9303 part 10).
//!
//! | file | tag | content |
//! | --- | --- | --- |
//! | EF.COM `011E` | `60` | `5F01` LDS version `0107`, `5F36` Unicode version `040000`, `5C` tag list |
//! | DG1 `0101` | `61` | one primitive private tag per record field: `C0 + `[`dg1_tag`] (`C1` NIK ... `D3` date of issue), UTF-8 |
//! | DG2 `0102` | `75` | `7F61` { `02` count 1, `7F60` { `A1` BHT, `5F2E` ISO/IEC 19794-5:2005 record wrapping the JPEG } } |
//! | DG3 `0103` | `63` | `7F61` { `02` count, per template `7F60` { `A1` BHT, `5F2E` template } } |
//! | DG7 `0107` | `67` | `02` count 1, `5F43` signature image (PNG) |
//!
//! Biometric header templates (`A1`): `80` header version `0101`, `81` biometric type
//! (`02` face, `08` finger), `87` format owner, `88` format type, and for fingers `82` the
//! ISO/IEC 19794-2 finger position (1..=10; ICAO puts a CBEFF subtype bit field there: this
//! open profile keeps the finger code instead, simpler to match against). Format owner and
//! type: face `0101`/`0008` (ISO/IEC JTC 1 SC 37, 19794-5 as ICAO registers it); templates
//! `0101`/`0002` for a 19794-2 minutiae record, `0101`/`0004` for the compact card format,
//! and `FFFF`/`0001` for the simulated identity template (CI only, never on a real card).
//!
//! [`dg1_tag`]: crate::profile::dg1_tag

use std::io::Cursor;

use rekam_apdu::tlv;
use rekam_iso19794::face::{FaceImageType, Gender};
use rekam_iso19794::face2005::{FaceImage2005, FaceImageDataType2005, FaceImageRecord2005};
use rekam_iso19794::fmr::CompactCardTemplate;

use crate::profile::{FileId, ProfileError, Template, TemplateFormat};
use crate::record::CardRecord;

/// EF.COM.
pub const EF_COM: FileId = FileId(0x011E);
/// DG1, demographics.
pub const DG1: FileId = FileId(0x0101);
/// DG2, face.
pub const DG2: FileId = FileId(0x0102);
/// DG3, fingerprint templates.
pub const DG3: FileId = FileId(0x0103);
/// DG7, signature image.
pub const DG7: FileId = FileId(0x0107);
/// EF.SOD, the document security object.
pub const EF_SOD: FileId = FileId(0x011D);

/// EF.COM tag.
pub const TAG_COM: u32 = 0x60;
/// DG1 tag.
pub const TAG_DG1: u32 = 0x61;
/// DG2 tag.
pub const TAG_DG2: u32 = 0x75;
/// DG3 tag.
pub const TAG_DG3: u32 = 0x63;
/// DG7 tag.
pub const TAG_DG7: u32 = 0x67;
/// EF.SOD tag.
pub const TAG_SOD: u32 = 0x77;

const TAG_GROUP: u32 = 0x7F61;
const TAG_BIT: u32 = 0x7F60;
const TAG_BHT: u32 = 0xA1;
const TAG_BDB: u32 = 0x5F2E;
const TAG_DISPLAYED_SIGNATURE: u32 = 0x5F43;

/// The data group number of a data group file (`0101` is DG1), if it is one.
pub fn dg_number(fid: FileId) -> Option<u8> {
    match fid.0 {
        0x0101..=0x0110 => Some((fid.0 - 0x0100) as u8),
        _ => None,
    }
}

/// The file of data group `n`.
pub fn dg_file(n: u8) -> FileId {
    FileId(0x0100 + u16::from(n))
}

fn malformed(file: FileId, reason: &'static str) -> ProfileError {
    ProfileError::Malformed { file, reason }
}

/// Parses `bytes` as exactly one TLV tagged `tag`.
fn outer(file: FileId, bytes: &[u8], tag: u32) -> Result<&[u8], ProfileError> {
    tlv::expect(bytes, tag)
        .map_err(|_| malformed(file, "not BER-TLV"))?
        .ok_or_else(|| malformed(file, "wrong outer tag or trailing bytes"))
}

/// EF.COM listing the data groups present (by tag).
pub fn encode_com(dg_tags: &[u8]) -> Vec<u8> {
    let mut inner = Vec::new();
    tlv::write(&mut inner, 0x5F01, b"0107");
    tlv::write(&mut inner, 0x5F36, b"040000");
    tlv::write(&mut inner, 0x5C, dg_tags);
    tlv::encode(TAG_COM, &inner)
}

/// The data-group tags EF.COM lists.
pub fn decode_com(bytes: &[u8]) -> Result<Vec<u8>, ProfileError> {
    let inner = outer(EF_COM, bytes, TAG_COM)?;
    let list = tlv::find(inner, 0x5C)
        .map_err(|_| malformed(EF_COM, "not BER-TLV"))?
        .ok_or_else(|| malformed(EF_COM, "no tag list"))?;
    Ok(list.to_vec())
}

/// DG1 from the record.
pub fn encode_dg1(record: &CardRecord) -> Vec<u8> {
    let mut inner = Vec::new();
    for (tag, value) in crate::profile::record_fields(record) {
        tlv::write(&mut inner, 0xC0 | u32::from(tag), value.as_bytes());
    }
    tlv::encode(TAG_DG1, &inner)
}

/// DG1's (field tag, value) pairs, field tags as in [`crate::profile::dg1_tag`].
pub fn decode_dg1(bytes: &[u8]) -> Result<Vec<(u8, String)>, ProfileError> {
    let inner = outer(DG1, bytes, TAG_DG1)?;
    let mut out = Vec::new();
    for t in tlv::iter(inner) {
        let t = t.map_err(|_| malformed(DG1, "not BER-TLV"))?;
        if !(0xC1..=0xDE).contains(&t.tag) {
            return Err(malformed(DG1, "unknown field tag"));
        }
        let text = String::from_utf8(t.value.to_vec()).map_err(|_| malformed(DG1, "not UTF-8"))?;
        out.push(((t.tag & 0x1F) as u8, text));
    }
    Ok(out)
}

fn bht(kind: u8, owner: u16, format: u16, finger: Option<u8>) -> Vec<u8> {
    let mut b = Vec::new();
    tlv::write(&mut b, 0x80, &[0x01, 0x01]);
    tlv::write(&mut b, 0x81, &[kind]);
    if let Some(f) = finger {
        tlv::write(&mut b, 0x82, &[f]);
    }
    tlv::write(&mut b, 0x87, &owner.to_be_bytes());
    tlv::write(&mut b, 0x88, &format.to_be_bytes());
    tlv::encode(TAG_BHT, &b)
}

fn group(instances: &[Vec<u8>]) -> Vec<u8> {
    let mut inner = Vec::new();
    tlv::write(&mut inner, 0x02, &[instances.len() as u8]);
    for i in instances {
        inner.extend_from_slice(i);
    }
    tlv::encode(TAG_GROUP, &inner)
}

/// One biometric information template: its header fields and data.
struct Bit<'a> {
    finger: Option<u8>,
    owner: u16,
    format: u16,
    data: &'a [u8],
}

fn decode_group(file: FileId, inner: &[u8]) -> Result<Vec<Bit<'_>>, ProfileError> {
    let bad = |reason| malformed(file, reason);
    let group = tlv::expect(inner, TAG_GROUP)
        .map_err(|_| bad("not BER-TLV"))?
        .ok_or_else(|| bad("no biometric group template"))?;
    let mut items = tlv::iter(group);
    let count = match items.next() {
        Some(Ok(t)) if t.tag == 0x02 && t.value.len() == 1 => usize::from(t.value[0]),
        _ => return Err(bad("no instance count")),
    };
    let mut bits = Vec::new();
    for t in items {
        let t = t.map_err(|_| bad("not BER-TLV"))?;
        if t.tag != TAG_BIT {
            return Err(bad("not a biometric information template"));
        }
        let header = tlv::find(t.value, TAG_BHT)
            .map_err(|_| bad("not BER-TLV"))?
            .ok_or_else(|| bad("no biometric header"))?;
        let data = tlv::find(t.value, TAG_BDB)
            .map_err(|_| bad("not BER-TLV"))?
            .ok_or_else(|| bad("no biometric data block"))?;
        let u16_of = |tag| -> Result<u16, ProfileError> {
            match tlv::find(header, tag).map_err(|_| bad("not BER-TLV"))? {
                Some([hi, lo]) => Ok(u16::from_be_bytes([*hi, *lo])),
                _ => Err(bad("the header lacks the format owner or type")),
            }
        };
        let finger = match tlv::find(header, 0x82).map_err(|_| bad("not BER-TLV"))? {
            Some([f]) => Some(*f),
            Some(_) => return Err(bad("bad finger position")),
            None => None,
        };
        bits.push(Bit {
            finger,
            owner: u16_of(0x87)?,
            format: u16_of(0x88)?,
            data,
        });
    }
    if bits.len() != count {
        return Err(bad("the instance count does not match"));
    }
    Ok(bits)
}

/// Face format owner and type.
const FACE_FORMAT: (u16, u16) = (0x0101, 0x0008);

/// DG2 from a JPEG portrait (its size read from the JPEG).
pub fn encode_dg2(face_jpeg: &[u8]) -> Result<Vec<u8>, ProfileError> {
    let (width, height) =
        image::ImageReader::with_format(Cursor::new(face_jpeg), image::ImageFormat::Jpeg)
            .into_dimensions()
            .map_err(|_| {
                ProfileError::InvalidBiometrics("the face image is not a readable JPEG")
            })?;
    let dim = |v: u32| {
        u16::try_from(v).map_err(|_| ProfileError::InvalidBiometrics("the face image is too large"))
    };
    let record = FaceImageRecord2005 {
        images: vec![FaceImage2005 {
            gender: Gender::Unspecified,
            eye_colour: 0,
            hair_colour: 0,
            feature_mask: 0,
            expression: 1,
            pose_angle: [0; 3],
            pose_angle_uncertainty: [0; 3],
            landmarks: Vec::new().into(),
            face_image_type: FaceImageType::FullFrontal,
            image_data_type: FaceImageDataType2005::Jpeg,
            width: dim(width)?,
            height: dim(height)?,
            colour_space: 1,
            source_type: 2,
            device_type: 0,
            quality: 0,
            image: face_jpeg.to_vec().into(),
        }],
    }
    .to_bytes()
    .map_err(|_| ProfileError::InvalidBiometrics("the face record cannot be encoded"))?;
    let mut bit = bht(0x02, FACE_FORMAT.0, FACE_FORMAT.1, None);
    tlv::write(&mut bit, TAG_BDB, &record);
    Ok(tlv::encode(TAG_DG2, &group(&[tlv::encode(TAG_BIT, &bit)])))
}

/// The JPEG portrait in DG2.
pub fn decode_dg2(bytes: &[u8]) -> Result<Vec<u8>, ProfileError> {
    let bits = decode_group(DG2, outer(DG2, bytes, TAG_DG2)?)?;
    let [bit] = &bits[..] else {
        return Err(malformed(DG2, "expected exactly one face"));
    };
    if (bit.owner, bit.format) != FACE_FORMAT {
        return Err(malformed(DG2, "not an ISO/IEC 19794-5 face record"));
    }
    let record = FaceImageRecord2005::from_bytes(bit.data)
        .map_err(|_| malformed(DG2, "the face record does not parse"))?;
    let image = record
        .images
        .into_iter()
        .next()
        .ok_or_else(|| malformed(DG2, "the face record holds no image"))?;
    Ok(image.image.0)
}

fn template_format_codes(format: TemplateFormat) -> (u16, u16) {
    match format {
        TemplateFormat::Iso19794_2 => (0x0101, 0x0002),
        TemplateFormat::Iso19794_2Compact => (0x0101, 0x0004),
        TemplateFormat::SimIdentity => (0xFFFF, 0x0001),
    }
}

fn template_format_of(codes: (u16, u16)) -> Option<TemplateFormat> {
    [
        TemplateFormat::Iso19794_2,
        TemplateFormat::Iso19794_2Compact,
        TemplateFormat::SimIdentity,
    ]
    .into_iter()
    .find(|f| template_format_codes(*f) == codes)
}

/// DG3 from the templates (fingers 1..=10, at most one per finger and format, 1..=255 of
/// them; compact templates must parse as ISO/IEC 19794-2 compact card minutiae).
pub fn encode_dg3(templates: &[Template]) -> Result<Vec<u8>, ProfileError> {
    if templates.is_empty() || templates.len() > 255 {
        return Err(ProfileError::InvalidBiometrics(
            "the chip needs 1 to 255 fingerprint templates",
        ));
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut bits = Vec::new();
    for t in templates {
        if !(1..=10).contains(&t.finger) {
            return Err(ProfileError::InvalidBiometrics(
                "a template names no finger 1..=10",
            ));
        }
        if !seen.insert((t.finger, t.format.code())) {
            return Err(ProfileError::InvalidBiometrics(
                "two templates for the same finger and format",
            ));
        }
        if t.data.is_empty() {
            return Err(ProfileError::InvalidBiometrics("an empty template"));
        }
        if t.format == TemplateFormat::Iso19794_2Compact
            && CompactCardTemplate::from_bytes(&t.data).is_err()
        {
            return Err(ProfileError::InvalidBiometrics(
                "a compact template is not ISO/IEC 19794-2 card minutiae",
            ));
        }
        let (owner, format) = template_format_codes(t.format);
        let mut bit = bht(0x08, owner, format, Some(t.finger));
        tlv::write(&mut bit, TAG_BDB, &t.data);
        bits.push(tlv::encode(TAG_BIT, &bit));
    }
    Ok(tlv::encode(TAG_DG3, &group(&bits)))
}

/// The templates in DG3, in file order.
pub fn decode_dg3(bytes: &[u8]) -> Result<Vec<Template>, ProfileError> {
    let bits = decode_group(DG3, outer(DG3, bytes, TAG_DG3)?)?;
    bits.into_iter()
        .map(|b| {
            let format = template_format_of((b.owner, b.format))
                .ok_or_else(|| malformed(DG3, "unknown template format"))?;
            let finger = b
                .finger
                .filter(|f| (1..=10).contains(f))
                .ok_or_else(|| malformed(DG3, "a template names no finger"))?;
            Ok(Template {
                finger,
                format,
                data: b.data.to_vec(),
            })
        })
        .collect()
}

/// DG7 from the signature image.
pub fn encode_dg7(signature_png: &[u8]) -> Vec<u8> {
    let mut inner = Vec::new();
    tlv::write(&mut inner, 0x02, &[1]);
    tlv::write(&mut inner, TAG_DISPLAYED_SIGNATURE, signature_png);
    tlv::encode(TAG_DG7, &inner)
}

/// The signature image in DG7.
pub fn decode_dg7(bytes: &[u8]) -> Result<Vec<u8>, ProfileError> {
    let inner = outer(DG7, bytes, TAG_DG7)?;
    tlv::find(inner, TAG_DISPLAYED_SIGNATURE)
        .map_err(|_| malformed(DG7, "not BER-TLV"))?
        .map(<[u8]>::to_vec)
        .ok_or_else(|| malformed(DG7, "no signature image"))
}
