//! The chip side of the daemon: the `[card]` configuration (which card profile, the document
//! signer's key and certificate, the chip capacity) and the `pcsc:READER` encoder driver.
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

use rekam_card::{CardProfile, DocumentSigner, IcaoOpenProfile, OpenProfileV0};
use rekam_dev_pcsc::{PcscConfig, PcscEncoder};
use rekam_hal::{AnyDevice, DeviceSelector};
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
}
