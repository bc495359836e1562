//! The chip side of the daemon: the `[card]` configuration (which card profile, the document
//! signer's key and certificate, the chip capacity), the `pcsc:READER` encoder driver, and
//! what `ReadCard` answers about a chip (read through any encoder, inspected by
//! `rekam_card::icao::inspect` against the configured document signer certificate).
//!
//! ```toml
//! [card]
//! profile = "icao-open-v1"          # or "open-v0" (the default)
//! ds_key = "/etc/rekam/ds-key.pem"   # PKCS#8 or SEC1 PEM, ECDSA P-256
//! ds_cert = "/etc/rekam/ds-cert.pem" # X.509 PEM holding the key's public half
//! capacity_bytes = 8192
//!
//! [[devices]]
//! selector = "pcsc:Virtual PCD 00 00"   # a reader name (a prefix is enough), or "pcsc:" for the first
//! ```

use std::path::PathBuf;
use std::sync::Arc;

use rekam_card::icao::{self, Certificate, ChipReport, HashCheck};
use rekam_card::{
    CardProfile, ChipContent, DocumentSigner, FileId, IcaoOpenProfile, OpenProfileV0,
};
use rekam_dev_pcsc::{PcscConfig, PcscEncoder};
use rekam_hal::{AnyDevice, ChipFiles, ChipInfo, DeviceId, DeviceSelector};
use rekam_proto::v1;
use serde::Deserialize;

use crate::config::{Config, ConfigError, DeviceConfig};

/// `[card]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawChip {
    /// `open-v0` or `icao-open-v1`.
    profile: Option<String>,
    /// The document signer's private key (PEM file).
    ds_key: Option<String>,
    /// The document signer's certificate (PEM file).
    ds_cert: Option<String>,
    /// The chip's capacity for file data, bytes.
    capacity_bytes: Option<usize>,
}

/// Which chip profile the station writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProfileChoice {
    /// `open-v0`: the simple open profile (no signature).
    OpenV0,
    /// `icao-open-v1`: the ICAO-like profile with an EF.SOD signed by the document signer.
    IcaoOpenV1 {
        /// The signer's key file.
        ds_key: PathBuf,
        /// The signer's certificate file.
        ds_cert: PathBuf,
    },
}

/// `[card]`, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChipConfig {
    /// The profile.
    pub profile: ProfileChoice,
    /// The chip's capacity for file data, bytes (8192 by default).
    pub capacity_bytes: usize,
}

/// Validates `[card]`; errors are (key, message).
pub fn chip_config(raw: RawChip) -> Result<ChipConfig, (&'static str, String)> {
    let capacity_bytes = raw.capacity_bytes.unwrap_or(8192);
    if !(512..=1 << 20).contains(&capacity_bytes) {
        return Err((
            "card.capacity_bytes",
            "must be between 512 and 1048576".into(),
        ));
    }
    let profile = match raw.profile.as_deref().unwrap_or("open-v0") {
        "open-v0" => {
            if raw.ds_key.is_some() || raw.ds_cert.is_some() {
                return Err((
                    "card.profile",
                    "ds_key and ds_cert are for profile = \"icao-open-v1\"".into(),
                ));
            }
            ProfileChoice::OpenV0
        }
        "icao-open-v1" => {
            let ds_key = raw.ds_key.ok_or((
                "card.ds_key",
                "icao-open-v1 needs the document signer's key file".to_owned(),
            ))?;
            let ds_cert = raw.ds_cert.ok_or((
                "card.ds_cert",
                "icao-open-v1 needs the document signer's certificate file".to_owned(),
            ))?;
            ProfileChoice::IcaoOpenV1 {
                ds_key: ds_key.into(),
                ds_cert: ds_cert.into(),
            }
        }
        other => {
            return Err((
                "card.profile",
                format!("unknown card profile {other:?} (open-v0 or icao-open-v1)"),
            ))
        }
    };
    Ok(ChipConfig {
        profile,
        capacity_bytes,
    })
}

/// The card profile `[card]` names, its signer loaded from the files it names.
pub fn profile(config: &Config) -> Result<Arc<dyn CardProfile>, ConfigError> {
    let err = |key: &str, message: String| ConfigError {
        origin: config.origin.clone(),
        key: key.into(),
        line: None,
        message,
    };
    let capacity = config.card.capacity_bytes;
    match &config.card.profile {
        ProfileChoice::OpenV0 => Ok(Arc::new(OpenProfileV0::with_capacity(capacity))),
        ProfileChoice::IcaoOpenV1 { ds_key, ds_cert } => {
            let key = std::fs::read_to_string(ds_key)
                .map_err(|e| err("card.ds_key", format!("{}: {e}", ds_key.display())))?;
            let cert = std::fs::read_to_string(ds_cert)
                .map_err(|e| err("card.ds_cert", format!("{}: {e}", ds_cert.display())))?;
            let signer = DocumentSigner::from_pem(&key, &cert)
                .map_err(|e| err("card.ds_key", e.to_string()))?;
            Ok(Arc::new(
                IcaoOpenProfile::new(signer).with_capacity(capacity),
            ))
        }
    }
}

/// Opens the `pcsc:` encoder of device entry `index` (the ICAO LDS1 layout, the configured
/// capacity). pcscd and the reader may come later: the device reports itself disconnected
/// until then.
pub fn open(config: &Config, index: usize, dev: &DeviceConfig) -> Result<AnyDevice, ConfigError> {
    let DeviceSelector::Pcsc { reader } = &dev.selector else {
        return Err(ConfigError {
            origin: config.origin.clone(),
            key: format!("devices[{index}].selector"),
            line: None,
            message: "not a pcsc: selector".into(),
        });
    };
    let mut cfg = PcscConfig::lds1(reader.clone());
    cfg.capacity = config.card.capacity_bytes;
    Ok(AnyDevice::Encoder(Box::new(PcscEncoder::open(
        dev.id.clone(),
        cfg,
    ))))
}

/// The document signer certificates a chip read is checked against: `[card] ds_cert` under
/// `icao-open-v1`, none under `open-v0`. Read at each call, so a renewed certificate counts
/// at once; the error names the file, never its content.
pub fn trusted_certificates(card: &ChipConfig) -> Result<Vec<Certificate>, String> {
    match &card.profile {
        ProfileChoice::OpenV0 => Ok(Vec::new()),
        ProfileChoice::IcaoOpenV1 { ds_cert, .. } => {
            let pem = std::fs::read_to_string(ds_cert)
                .map_err(|e| format!("card.ds_cert {}: {e}", ds_cert.display()))?;
            icao::certificate_from_pem(&pem)
                .map(|c| vec![c])
                .map_err(|e| format!("card.ds_cert {}: {e}", ds_cert.display()))
        }
    }
}

fn hash_check(h: HashCheck) -> v1::ChipHashCheck {
    match h {
        HashCheck::Match => v1::ChipHashCheck::Match,
        HashCheck::Mismatch => v1::ChipHashCheck::Mismatch,
        HashCheck::NotListed => v1::ChipHashCheck::NotListed,
        HashCheck::NotCovered => v1::ChipHashCheck::NotCovered,
        HashCheck::Unchecked => v1::ChipHashCheck::Unchecked,
    }
}

/// The ReadCard answer for the chip `chip` holding `files`, read by `device`; also the
/// audit detail (profile, life cycle, verification: no personal data).
pub fn read_card_response(
    device: &DeviceId,
    chip: &ChipInfo,
    files: &ChipFiles,
    trusted: &[Certificate],
) -> (v1::ReadCardResponse, String) {
    let content = ChipContent {
        files: files
            .files
            .iter()
            .map(|(fid, bytes)| (FileId(*fid), bytes.clone()))
            .collect(),
    };
    let report: ChipReport = icao::inspect(&content, trusted);
    let life_cycle = if chip.activated {
        v1::ChipLifeCycle::Activated
    } else if chip.personalised {
        v1::ChipLifeCycle::Personalised
    } else {
        v1::ChipLifeCycle::Blank
    };
    let security = &report.security;
    let detail = format!(
        "profile={} life_cycle={} files={} verified={}",
        if report.profile.name().is_empty() {
            "none"
        } else {
            report.profile.name()
        },
        life_cycle.as_str_name(),
        report.files.len(),
        security.verified
    );
    let resp = v1::ReadCardResponse {
        device_id: device.to_string(),
        chip_serial: chip.serial.clone(),
        capacity_bytes: u32::try_from(chip.capacity).unwrap_or(u32::MAX),
        life_cycle: life_cycle.into(),
        profile: report.profile.name().to_owned(),
        files: report
            .files
            .iter()
            .map(|f| v1::ChipFile {
                fid: f.fid.to_string(),
                name: f.name.to_owned(),
                size: u32::try_from(f.size).unwrap_or(u32::MAX),
                hash: hash_check(f.hash).into(),
                content: f.content.clone(),
            })
            .collect(),
        fields: report
            .fields
            .iter()
            .map(|(name, value)| v1::ChipField {
                name: (*name).to_owned(),
                value: value.clone(),
            })
            .collect(),
        security: Some(v1::ChipSecurity {
            signed: security.signed,
            verified: security.verified,
            signer_subject: security.signer_subject.clone().unwrap_or_default(),
            signer_trusted: security.signer_trusted,
            problem: security.problem.clone().unwrap_or_default(),
        }),
        problems: report.problems.clone(),
    };
    (resp, detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(profile: Option<&str>, key: Option<&str>, cert: Option<&str>) -> RawChip {
        RawChip {
            profile: profile.map(Into::into),
            ds_key: key.map(Into::into),
            ds_cert: cert.map(Into::into),
            capacity_bytes: None,
        }
    }

    #[test]
    fn card_section_is_validated() {
        assert_eq!(
            chip_config(RawChip::default()).unwrap(),
            ChipConfig {
                profile: ProfileChoice::OpenV0,
                capacity_bytes: 8192
            }
        );
        assert_eq!(
            chip_config(raw(Some("icao-open-v1"), None, Some("c")))
                .unwrap_err()
                .0,
            "card.ds_key"
        );
        assert_eq!(
            chip_config(raw(Some("icao-open-v1"), Some("k"), None))
                .unwrap_err()
                .0,
            "card.ds_cert"
        );
        assert_eq!(
            chip_config(raw(Some("open-v0"), Some("k"), None))
                .unwrap_err()
                .0,
            "card.profile"
        );
        assert_eq!(
            chip_config(raw(Some("x"), None, None)).unwrap_err().0,
            "card.profile"
        );
        assert!(matches!(
            chip_config(raw(Some("icao-open-v1"), Some("k"), Some("c")))
                .unwrap()
                .profile,
            ProfileChoice::IcaoOpenV1 { .. }
        ));
    }

    #[test]
    fn trusted_certificates_follow_the_profile() {
        let open = ChipConfig {
            profile: ProfileChoice::OpenV0,
            capacity_bytes: 8192,
        };
        assert!(trusted_certificates(&open).unwrap().is_empty());
        let dir = tempfile::tempdir().unwrap();
        let cert = dir.path().join("ds-cert.pem");
        let icao = |cert: PathBuf| ChipConfig {
            profile: ProfileChoice::IcaoOpenV1 {
                ds_key: dir.path().join("unused"),
                ds_cert: cert,
            },
            capacity_bytes: 8192,
        };
        let e = trusted_certificates(&icao(cert.clone())).unwrap_err();
        assert!(e.starts_with("card.ds_cert"), "{e}");
        let signer = DocumentSigner::test_only(b"rekamd pcsc").unwrap();
        std::fs::write(&cert, signer.certificate_pem().unwrap()).unwrap();
        let trusted = trusted_certificates(&icao(cert.clone())).unwrap();
        assert_eq!(trusted, [signer.certificate().clone()]);
        std::fs::write(&cert, "not a certificate").unwrap();
        assert!(trusted_certificates(&icao(cert)).is_err());
    }

    #[test]
    fn a_blank_chip_reads_as_blank_with_nothing_verified() {
        let chip = ChipInfo {
            serial: "04AA".into(),
            capacity: 8192,
            personalised: false,
            activated: false,
        };
        let id = DeviceId::new("pcsc:encoder:0").unwrap();
        let (resp, detail) = read_card_response(&id, &chip, &ChipFiles::default(), &[]);
        assert_eq!(resp.life_cycle(), v1::ChipLifeCycle::Blank);
        assert_eq!((resp.profile.as_str(), resp.files.len()), ("", 0));
        assert_eq!(resp.chip_serial, "04AA");
        let security = resp.security.unwrap();
        assert!(!security.verified && !security.signed);
        assert_eq!(
            detail,
            "profile=none life_cycle=CHIP_LIFE_CYCLE_BLANK files=0 verified=false"
        );
    }
}
