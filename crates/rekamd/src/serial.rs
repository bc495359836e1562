//! `serial:` devices in the driver factory: signature pads driven by `rekam-dev-serial`
//! (Topaz serial tablets). The selector carries the port and the pad's options; the port is
//! opened on first use, so the daemon starts with the pad unplugged (it is listed as
//! disconnected until it is plugged in).
//!
//! ```toml
//! [[devices]]
//! selector = "serial:/dev/rekam-signature?model=siglite-lcd-1x5&buttons=on"
//! ```

use std::time::Duration;

use rekam_hal::{AnyDevice, DeviceFamily};

use crate::config::{Config, ConfigError, DeviceConfig};

/// Per-call timeout of a serial signature pad when the configuration sets none: the signer
/// takes their time.
pub const SIGNATURE_PAD_TIMEOUT: Duration = Duration::from_secs(120);

/// Opens configured device number `index` (a `serial:` selector) with its per-call timeout.
pub fn open(
    config: &Config,
    index: usize,
    dev: &DeviceConfig,
) -> Result<(AnyDevice, Duration), ConfigError> {
    let bad = |key: &str, message: String| config.device_error(index, key, message);
    if let Some(family) = dev.family.filter(|f| *f != DeviceFamily::SignaturePad) {
        return Err(bad(
            "family",
            format!("a serial: device is a signature pad, not a {family}"),
        ));
    }
    let device = rekam_dev_serial::open(dev.id.clone(), &dev.selector)
        .map_err(|e| bad("selector", e.to_string()))?;
    Ok((device, dev.timeout.unwrap_or(SIGNATURE_PAD_TIMEOUT)))
}

#[cfg(test)]
mod tests {
    use rekam_hal::DeviceState;

    use crate::config::Config;

    fn config(devices: &str) -> Result<Config, crate::config::ConfigError> {
        let dir = std::env::temp_dir();
        Config::parse(
            &format!(
                "[daemon]\nstate_dir = \"{}\"\n\n{devices}",
                dir.join("rekamd-serial-test").display()
            ),
            "t",
        )
    }

    #[test]
    fn a_serial_pad_opens_while_unplugged_and_bad_options_name_the_key() {
        let cfg =
            config("[[devices]]\nselector = \"serial:/dev/rekam-no-such-tty?idle_ms=1500\"\n")
                .unwrap();
        let (mut device, timeout) = super::open(&cfg, 0, &cfg.devices[0]).unwrap();
        assert_eq!(timeout, super::SIGNATURE_PAD_TIMEOUT);
        assert_eq!(device.info().driver, "serial-topaz");
        let ctl = rekam_hal::Control::with_timeout(std::time::Duration::from_secs(1));
        assert_eq!(
            device.device_mut().status(&ctl).unwrap().state,
            DeviceState::Disconnected
        );

        let cfg = config("[[devices]]\nselector = \"serial:/dev/ttyUSB0?model=wacom\"\n").unwrap();
        let e = super::open(&cfg, 0, &cfg.devices[0]).unwrap_err();
        assert_eq!(e.key, "devices[0].selector", "{e}");
        assert!(e.message.contains("siglite-lcd-1x5"), "{e}");

        let cfg =
            config("[[devices]]\nselector = \"serial:/dev/ttyUSB0\"\nfamily = \"face\"\n").unwrap();
        let e = super::open(&cfg, 0, &cfg.devices[0]).unwrap_err();
        assert_eq!(e.key, "devices[0].family", "{e}");
    }
}
