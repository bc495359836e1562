//! Tests of the ICAO-like open profile: layout, round trips, passive authentication and its
//! failures, capacity, signer keys.

use super::*;
use crate::profile::{dg1_tag, TemplateFormat};
use crate::record::tests::sample;

pub(crate) fn jpeg(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x * 3) as u8, (y * 5) as u8, 90]));
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 60)
        .encode_image(&img)
        .unwrap();
    out
}

pub(crate) fn bio() -> ChipBiometrics {
    ChipBiometrics {
        face_jpeg: jpeg(120, 160),
        signature_png: [&b"\x89PNG\r\n\x1a\n"[..], &[3u8; 300][..]].concat(),
        templates: vec![
            Template {
                finger: 2,
                format: TemplateFormat::Iso19794_2Compact,
                data: vec![10, 20, 0x7F, 30, 40, 0x41, 50, 60, 0x85],
            },
            Template {
                finger: 7,
                format: TemplateFormat::SimIdentity,
                data: vec![0x33; 32],
            },
        ],
    }
}

fn profile() -> IcaoOpenProfile {
    IcaoOpenProfile::new(DocumentSigner::test_only(b"unit").unwrap())
}

#[test]
fn build_lays_out_the_lds_and_everything_decodes() {
    let p = profile();
    let c = p.build(&sample(), &bio()).unwrap();
    let fids: Vec<u16> = c.files.keys().map(|f| f.0).collect();
    assert_eq!(fids, vec![0x0101, 0x0102, 0x0103, 0x0107, 0x011D, 0x011E]);
    assert_eq!(c.file(lds::DG1).unwrap()[0], 0x61);
    assert_eq!(c.file(lds::DG2).unwrap()[0], 0x75);
    assert_eq!(c.file(lds::DG3).unwrap()[0], 0x63);
    assert_eq!(c.file(lds::DG7).unwrap()[0], 0x67);
    assert_eq!(c.file(lds::EF_SOD).unwrap()[0], 0x77);
    let view = p.decode(&c).unwrap();
    assert_eq!(view.com_tags, [0x61, 0x75, 0x63, 0x67]);
    assert_eq!(view.face_jpeg, bio().face_jpeg);
    assert_eq!(view.templates, bio().templates);
    assert_eq!(
        view.signature_png.as_deref(),
        Some(&bio().signature_png[..])
    );
    let get = |tag| {
        view.fields
            .iter()
            .find(|(t, _)| *t == tag)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(view.fields.len(), 19);
    assert_eq!(get(dg1_tag::NIK), Some("3508014512900001"));
    assert_eq!(get(dg1_tag::NAME), Some("Siti Nur'aini"));
    assert_eq!(get(dg1_tag::DATE_OF_ISSUE), Some("2025-03-10"));
    let pa = &view.passive_authentication;
    assert!(pa.signer_trusted);
    assert_eq!(pa.data_groups, [1, 2, 3, 7]);
    assert!(
        pa.signer_subject.contains("TEST-ONLY"),
        "{}",
        pa.signer_subject
    );
    assert_eq!(p.templates(&c).unwrap(), bio().templates);
    assert_eq!(p.verify(&c, &c.clone()), Ok(()));
    assert_eq!(p.name(), "icao-open-v1");
}

#[test]
fn the_face_record_carries_the_jpeg_size() {
    let dg2 = lds::encode_dg2(&jpeg(64, 80)).unwrap();
    let at = dg2.windows(4).position(|w| w == b"FAC\0").unwrap();
    let rec = rekam_iso19794::face2005::FaceImageRecord2005::from_bytes(&dg2[at..]).unwrap();
    assert_eq!((rec.images[0].width, rec.images[0].height), (64, 80));
    assert!(matches!(
        lds::encode_dg2(&[0xFF, 0xD8, 1, 2, 3]),
        Err(ProfileError::InvalidBiometrics(_))
    ));
}

#[test]
fn building_is_deterministic() {
    // The job rebuilds the content at each step and compares the chip with it.
    let a = profile().build(&sample(), &bio()).unwrap();
    let b = profile().build(&sample(), &bio()).unwrap();
    assert_eq!(a, b);
}

#[test]
fn a_holder_without_signature_has_no_dg7() {
    let mut b = bio();
    b.signature_png.clear();
    let p = profile();
    let c = p.build(&sample(), &b).unwrap();
    assert!(c.file(lds::DG7).is_none());
    let view = p.decode(&c).unwrap();
    assert_eq!(view.com_tags, [0x61, 0x75, 0x63]);
    assert_eq!(view.signature_png, None);
    assert_eq!(view.passive_authentication.data_groups, [1, 2, 3]);
}

#[test]
fn every_tampered_data_group_fails_passive_authentication() {
    let p = profile();
    let good = p.build(&sample(), &bio()).unwrap();
    for fid in [lds::DG1, lds::DG2, lds::DG3, lds::DG7] {
        let mut forged = good.clone();
        let bytes = forged.files.get_mut(&fid).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0x01;
        assert_eq!(
            p.verify(&forged, &forged.clone()),
            Err(ProfileError::HashMismatch(fid))
        );
        assert_eq!(
            p.authenticate(&forged),
            Err(ProfileError::HashMismatch(fid))
        );
    }
    let mut forged = good.clone();
    forged.files.get_mut(&lds::DG3).unwrap()[40] ^= 0x01;
    assert!(p.templates(&forged).is_err());
}

#[test]
fn a_tampered_security_object_fails() {
    let p = profile();
    let good = p.build(&sample(), &bio()).unwrap();
    let sod = good.file(lds::EF_SOD).unwrap();
    // Flip bytes throughout the SOD: each must make passive authentication fail.
    for offset in (4..sod.len()).step_by(37) {
        let mut forged = good.clone();
        forged.files.get_mut(&lds::EF_SOD).unwrap()[offset] ^= 0x01;
        assert!(
            p.authenticate(&forged).is_err(),
            "flip at {offset} went unnoticed"
        );
    }
    let mut no_sod = good.clone();
    no_sod.files.remove(&lds::EF_SOD);
    assert_eq!(
        p.authenticate(&no_sod),
        Err(ProfileError::MissingFile(lds::EF_SOD))
    );
}

#[test]
fn another_signer_is_not_trusted_but_its_signature_holds() {
    let ours = profile();
    let theirs = IcaoOpenProfile::new(DocumentSigner::test_only(b"someone else").unwrap());
    let c = theirs.build(&sample(), &bio()).unwrap();
    assert_eq!(
        ours.authenticate(&c),
        Err(ProfileError::SecurityObject(
            "the document signer is not a trusted one"
        ))
    );
    let pa = passive_authentication(&c, &[]).unwrap();
    assert!(!pa.signer_trusted);
    assert_eq!(pa.data_groups, [1, 2, 3, 7]);
}

#[test]
fn missing_or_extra_data_groups_fail() {
    let p = profile();
    let good = p.build(&sample(), &bio()).unwrap();
    let mut missing = good.clone();
    missing.files.remove(&lds::DG7);
    assert_eq!(
        p.authenticate(&missing),
        Err(ProfileError::MissingFile(lds::DG7))
    );
    assert_eq!(
        p.verify(&good, &missing),
        Err(ProfileError::MissingFile(lds::DG7))
    );
    let mut extra = good.clone();
    extra.files.insert(FileId(0x0104), vec![0x64, 0]);
    assert_eq!(
        p.authenticate(&extra),
        Err(ProfileError::UnexpectedFile(FileId(0x0104)))
    );
    assert_eq!(
        p.verify(&good, &extra),
        Err(ProfileError::UnexpectedFile(FileId(0x0104)))
    );
}

#[test]
fn read_back_differences_are_located() {
    let p = profile();
    let written = p.build(&sample(), &bio()).unwrap();
    for (fid, bytes) in &written.files {
        let offset = bytes.len() / 2;
        let mut read = written.clone();
        read.files.get_mut(fid).unwrap()[offset] ^= 0x80;
        assert_eq!(
            p.verify(&written, &read),
            Err(ProfileError::ContentMismatch { file: *fid, offset })
        );
    }
}

#[test]
fn content_larger_than_the_chip_is_refused_before_writing() {
    let p = profile();
    let mut big = bio();
    big.face_jpeg = jpeg(400, 500);
    assert!(big.face_jpeg.len() > 8192, "{}", big.face_jpeg.len());
    match p.build(&sample(), &big) {
        Err(ProfileError::TooLarge { needed, capacity }) => {
            assert_eq!(capacity, 8192);
            assert!(needed > big.face_jpeg.len());
        }
        other => panic!("expected TooLarge, got {other:?}"),
    }
    let fits = profile()
        .with_capacity(1 << 20)
        .build(&sample(), &big)
        .unwrap();
    let exact = profile().with_capacity(fits.total_len());
    assert_eq!(exact.build(&sample(), &big).unwrap(), fits);
    assert_eq!(
        profile()
            .with_capacity(fits.total_len() - 1)
            .build(&sample(), &big),
        Err(ProfileError::TooLarge {
            needed: fits.total_len(),
            capacity: fits.total_len() - 1
        })
    );
}

#[test]
fn bad_templates_are_refused() {
    let p = profile();
    let mut b = bio();
    b.templates[0].data = vec![1, 2, 3, 4];
    assert!(matches!(
        p.build(&sample(), &b),
        Err(ProfileError::InvalidBiometrics(_))
    ));
    let mut b = bio();
    b.templates[1].finger = 11;
    assert!(matches!(
        p.build(&sample(), &b),
        Err(ProfileError::InvalidBiometrics(_))
    ));
    let mut b = bio();
    b.templates.clear();
    assert!(matches!(
        p.build(&sample(), &b),
        Err(ProfileError::InvalidBiometrics(_))
    ));
}

#[test]
fn signer_pem_round_trip_and_mismatch() {
    let a = DocumentSigner::test_only(b"a").unwrap();
    let b = DocumentSigner::test_only(b"b").unwrap();
    let key = a.key_pem().unwrap();
    let cert = a.certificate_pem().unwrap();
    assert!(cert.starts_with("-----BEGIN CERTIFICATE-----"));
    let again = DocumentSigner::from_pem(&key, &cert).unwrap();
    assert_eq!(again.certificate(), a.certificate());
    assert!(matches!(
        DocumentSigner::from_pem(&key, &b.certificate_pem().unwrap()),
        Err(ProfileError::Signer(_))
    ));
    assert!(matches!(
        DocumentSigner::from_pem("not a key", &cert),
        Err(ProfileError::Signer(_))
    ));
    assert!(!format!("{a:?}").contains("PRIVATE"));
}

#[test]
fn debug_shows_no_personal_data() {
    let p = profile();
    let c = p.build(&sample(), &bio()).unwrap();
    let view = p.decode(&c).unwrap();
    let shown = format!("{c:?} {view:?} {p:?}");
    assert!(!shown.contains("Siti"), "{shown}");
    assert!(!shown.contains("3508"), "{shown}");
}

/// An independent reader: OpenSSL's CMS code verifies EF.SOD's signature with the document
/// signer certificate as trust anchor and gives back the LDSSecurityObject, which must carry
/// each data group's SHA-256.
#[test]
fn openssl_verifies_the_security_object() {
    use sha2::{Digest, Sha256};
    let p = profile();
    let c = p.build(&sample(), &bio()).unwrap();
    let dir = std::env::temp_dir().join(format!("rekam-sod-oracle-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sod = c.file(lds::EF_SOD).unwrap();
    let der = rekam_apdu::tlv::expect(sod, lds::TAG_SOD).unwrap().unwrap();
    std::fs::write(dir.join("sod.der"), der).unwrap();
    std::fs::write(dir.join("ds.pem"), p.signer().certificate_pem().unwrap()).unwrap();
    let out = std::process::Command::new("openssl")
        .args([
            "cms", "-verify", "-inform", "DER", "-binary", "-purpose", "any",
        ])
        .arg("-in")
        .arg(dir.join("sod.der"))
        .arg("-CAfile")
        .arg(dir.join("ds.pem"))
        .arg("-out")
        .arg(dir.join("lso.der"))
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run openssl ({e}): install the Debian package `openssl`")
        });
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "openssl cms -verify failed: {stderr}");
    assert!(stderr.contains("Verification successful"), "{stderr}");
    let lso = std::fs::read(dir.join("lso.der")).unwrap();
    for fid in [lds::DG1, lds::DG2, lds::DG3, lds::DG7] {
        let digest = Sha256::digest(c.file(fid).unwrap());
        assert!(
            lso.windows(32).any(|w| w == digest.as_slice()),
            "{fid}'s hash is not in the LDSSecurityObject"
        );
    }
    // A flipped signature byte makes OpenSSL refuse it too.
    let mut bad = der.to_vec();
    let last = bad.len() - 3;
    bad[last] ^= 0x01;
    std::fs::write(dir.join("bad.der"), &bad).unwrap();
    let out = std::process::Command::new("openssl")
        .args([
            "cms", "-verify", "-inform", "DER", "-binary", "-purpose", "any",
        ])
        .arg("-in")
        .arg(dir.join("bad.der"))
        .arg("-CAfile")
        .arg(dir.join("ds.pem"))
        .arg("-out")
        .arg(dir.join("bad-lso.der"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let _ = std::fs::remove_dir_all(&dir);
}
