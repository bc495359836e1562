//! The VID:PID table: every USB sensor this crate drives, with what the station needs to
//! know about it before it is even plugged in.

use std::fmt;

use crate::nb1010;

/// The protocol a model speaks.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// NEXT Biometrics NB-1010-U ([`crate::nb1010`]).
    Nb1010,
}

/// One supported sensor model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SensorModel {
    /// USB vendor id.
    pub vid: u16,
    /// USB product id.
    pub pid: u16,
    /// Vendor and model, as the station lists it.
    pub name: &'static str,
    /// Driver name in device listings (`DeviceInfo::driver`).
    pub driver: &'static str,
    /// The protocol it speaks.
    pub protocol: Protocol,
    /// Image width in pixels.
    pub width: u32,
    /// Image height in pixels.
    pub height: u32,
    /// Resolution in pixels per inch.
    pub ppi: u16,
}

impl fmt::Display for SensorModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({:04x}:{:04x})", self.name, self.vid, self.pid)
    }
}

/// Every supported sensor. udev/60-rekam.rules has a rule for each (checked by a test).
pub const SUPPORTED: &[SensorModel] = &[SensorModel {
    vid: nb1010::VID,
    pid: nb1010::PID,
    name: "NEXT Biometrics NB-1010-U",
    driver: "usb-nb1010",
    protocol: Protocol::Nb1010,
    width: nb1010::WIDTH,
    height: nb1010::HEIGHT,
    ppi: nb1010::PPI,
}];

/// The model with this VID:PID, if supported.
///
/// ```
/// let m = rekam_dev_usb::table::model(0x298d, 0x1010).unwrap();
/// assert_eq!(m.name, "NEXT Biometrics NB-1010-U");
/// assert!(rekam_dev_usb::table::model(0x08ff, 0x5731).is_none());
/// ```
pub fn model(vid: u16, pid: u16) -> Option<&'static SensorModel> {
    SUPPORTED.iter().find(|m| m.vid == vid && m.pid == pid)
}

/// The supported models as `name (vid:pid)`, for error messages.
pub fn supported_list() -> String {
    SUPPORTED
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_supported_sensor_is_named_in_the_readme() {
        let readme = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md"),
        )
        .unwrap();
        for m in SUPPORTED {
            assert!(readme.contains(m.name), "README.md does not name {m}");
            let selector = format!("usb:{:04x}:{:04x}", m.vid, m.pid);
            assert!(readme.contains(&selector), "README.md lacks {selector}");
        }
    }

    #[test]
    fn every_supported_sensor_has_a_udev_rule() {
        let rules = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../udev/60-rekam.rules"),
        )
        .unwrap();
        for m in SUPPORTED {
            let rule = format!(
                "ATTR{{idVendor}}==\"{:04x}\", ATTR{{idProduct}}==\"{:04x}\"",
                m.vid, m.pid
            );
            assert!(
                rules
                    .lines()
                    .any(|l| !l.starts_with('#') && l.contains(&rule)),
                "no udev rule for {m}"
            );
        }
    }
}
