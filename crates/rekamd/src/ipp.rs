//! `ipp://` devices in the driver factory: card and document printers driven by
//! `rekam-dev-ipp`. The configuration names the family (`family = "card-printer"` or
//! `"document-printer"`), which an IPP URI does not say; config validation has checked it,
//! and that an IPP card printer goes with the `desk_encoder` arrangement.
//!
//! ```toml
//! [workflow.issuance]
//! arrangement = "desk_encoder"
//!
//! [[devices]]
//! selector = "ipp://localhost:631/printers/card"
//! family = "card-printer"
//!
//! [[devices]]
//! selector = "ipp://localhost:631/printers/receipts"
//! family = "document-printer"
//! ```

use std::time::Duration;

use rekam_hal::{AnyDevice, DeviceFamily};

use crate::config::{Config, ConfigError, DeviceConfig};

/// Per-call timeout of an IPP card printer when the configuration sets none: printing a card
/// face (held until the operator loads the card) takes longer than most device calls.
pub const CARD_PRINTER_TIMEOUT: Duration = Duration::from_secs(120);
/// Per-call timeout of an IPP document printer when the configuration sets none.
pub const DOCUMENT_PRINTER_TIMEOUT: Duration = Duration::from_secs(60);

/// Opens configured device number `index` (an `ipp://` selector). A printer that does not
/// answer yet is still opened (it reports itself disconnected until it does).
pub fn open(
    config: &Config,
    index: usize,
    dev: &DeviceConfig,
) -> Result<(AnyDevice, Duration), ConfigError> {
    let bad = |key: &str, message: String| config.device_error(index, key, message);
    let family = dev.family.ok_or_else(|| {
        bad(
            "family",
            "an ipp:// printer needs family = \"card-printer\" or \"document-printer\"".into(),
        )
    })?;
    let device = rekam_dev_ipp::open(family, dev.id.clone(), &dev.selector)
        .map_err(|e| bad("selector", e.to_string()))?;
    let timeout = dev.timeout.unwrap_or(match family {
        DeviceFamily::CardPrinter => CARD_PRINTER_TIMEOUT,
        _ => DOCUMENT_PRINTER_TIMEOUT,
    });
    Ok((device, timeout))
}

#[cfg(test)]
mod tests {
    use rekam_hal::{DeviceId, DeviceSelector};

    use crate::config::Config;

    const DESK: &str = "[workflow.issuance]\narrangement = \"desk_encoder\"\n\n";

    #[test]
    fn an_ipp_printer_needs_its_family() {
        let text = format!("{DESK}[[devices]]\nselector = \"ipp://localhost:631/ipp/print\"\n");
        let e = Config::parse(&text, "t").unwrap_err();
        assert_eq!(e.key, "devices[0].family", "{e}");
        let text = format!(
            "{DESK}[[devices]]\nselector = \"ipp://localhost:631/ipp/print\"\nfamily = \"face\"\n"
        );
        assert_eq!(
            Config::parse(&text, "t").unwrap_err().key,
            "devices[0].family"
        );
        let text = format!(
            "{DESK}[[devices]]\nselector = \"ipp://localhost:631/ipp/print\"\nfamily = \"toaster\"\n"
        );
        assert_eq!(
            Config::parse(&text, "t").unwrap_err().key,
            "devices[0].family"
        );
    }

    #[test]
    fn an_ipp_card_printer_needs_the_desk_encoder() {
        let text = "[[devices]]\nselector = \"ipp://localhost:631/ipp/print\"\nfamily = \"card-printer\"\n";
        let e = Config::parse(text, "t").unwrap_err();
        assert_eq!(e.key, "workflow.issuance.arrangement", "{e}");
    }

    #[test]
    fn ipp_printers_are_named_by_family_and_open_while_unreachable() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = tempfile::tempdir().unwrap();
        let text = format!(
            "{DESK}[daemon]\nstate_dir = \"{}\"\n\n[[devices]]\nselector = \"ipp://127.0.0.1:{port}/ipp/print\"\nfamily = \"card-printer\"\n\n[[devices]]\nselector = \"ipp://127.0.0.1:{port}/ipp/print\"\nfamily = \"document-printer\"\ntimeout_ms = 5000\n",
            dir.path().display()
        );
        let cfg = Config::parse(&text, "t").unwrap();
        assert_eq!(
            cfg.devices[0].id,
            DeviceId::new("ipp:card-printer:0").unwrap()
        );
        assert_eq!(
            cfg.devices[1].id,
            DeviceId::new("ipp:document-printer:0").unwrap()
        );
        assert!(matches!(
            cfg.devices[0].selector,
            DeviceSelector::Ipp { .. }
        ));
        let (device, timeout) = super::open(&cfg, 0, &cfg.devices[0]).unwrap();
        assert_eq!(device.info().driver, "ipp");
        assert_eq!(timeout, super::CARD_PRINTER_TIMEOUT);
        let (device, timeout) = super::open(&cfg, 1, &cfg.devices[1]).unwrap();
        assert_eq!(device.family(), rekam_hal::DeviceFamily::DocumentPrinter);
        assert_eq!(timeout, std::time::Duration::from_millis(5000));
    }
}
