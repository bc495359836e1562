//! Typed device identifiers, device families and selectors.
//!
//! A [`DeviceId`] names one device instance inside a running station (stable across
//! restarts for the same configuration). A [`DeviceSelector`] is how configuration says which
//! physical device a driver should open; it parses from a short string.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The seven device families of an enrolment station.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceFamily {
    /// Slap and single-finger scanner, 500 ppi.
    FingerprintScanner,
    /// Face camera with a preview stream and still capture.
    FaceCamera,
    /// Near-infrared iris camera (both eyes).
    IrisCamera,
    /// Signature pad (pen stream and image).
    SignaturePad,
    /// Chip encoder (PC/SC, contact or contactless).
    CardEncoder,
    /// Card printer (feed, print, eject, reject, supplies).
    CardPrinter,
    /// Document printer for receipts and certificates.
    DocumentPrinter,
}

impl DeviceFamily {
    /// Every family, in the order a station lists them.
    pub const ALL: [DeviceFamily; 7] = [
        DeviceFamily::FingerprintScanner,
        DeviceFamily::FaceCamera,
        DeviceFamily::IrisCamera,
        DeviceFamily::SignaturePad,
        DeviceFamily::CardEncoder,
        DeviceFamily::CardPrinter,
        DeviceFamily::DocumentPrinter,
    ];

    /// The short name used in selectors, device ids and configuration.
    pub fn short_name(self) -> &'static str {
        match self {
            DeviceFamily::FingerprintScanner => "fingerprint",
            DeviceFamily::FaceCamera => "face",
            DeviceFamily::IrisCamera => "iris",
            DeviceFamily::SignaturePad => "signature",
            DeviceFamily::CardEncoder => "encoder",
            DeviceFamily::CardPrinter => "card-printer",
            DeviceFamily::DocumentPrinter => "document-printer",
        }
    }

    /// Parses a short name (see [`DeviceFamily::short_name`]).
    pub fn from_short_name(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.short_name() == s)
    }
}

impl fmt::Display for DeviceFamily {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.short_name())
    }
}

/// Identifier of one device instance in a station, such as `sim:fingerprint:0`.
///
/// ```
/// use rekam_hal::DeviceId;
/// let id = DeviceId::new("sim:fingerprint:0").unwrap();
/// assert_eq!(id.as_str(), "sim:fingerprint:0");
/// assert!(DeviceId::new("").is_err());
/// assert!(DeviceId::new("has space").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DeviceId(String);

impl DeviceId {
    /// Longest accepted id, in bytes.
    pub const MAX_LEN: usize = 128;

    /// Makes an id: 1 to 128 printable ASCII characters without spaces.
    pub fn new(s: impl Into<String>) -> std::result::Result<Self, SelectorError> {
        let s = s.into();
        if s.is_empty() || s.len() > Self::MAX_LEN || !s.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(SelectorError::BadDeviceId);
        }
        Ok(DeviceId(s))
    }

    /// The id of the `index`-th simulated device of `family`, `sim:FAMILY:N`: valid by
    /// construction (the family's short name and a number are printable ASCII, at most 27
    /// bytes in all), so it needs no error path.
    ///
    /// ```
    /// use rekam_hal::{DeviceFamily, DeviceId};
    /// assert_eq!(DeviceId::sim(DeviceFamily::CardPrinter, 2).as_str(), "sim:card-printer:2");
    /// ```
    pub fn sim(family: DeviceFamily, index: u32) -> Self {
        DeviceId(format!("sim:{}:{index}", family.short_name()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for DeviceId {
    type Err = SelectorError;
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        DeviceId::new(s)
    }
}

impl TryFrom<String> for DeviceId {
    type Error = SelectorError;
    fn try_from(s: String) -> std::result::Result<Self, Self::Error> {
        DeviceId::new(s)
    }
}

impl From<DeviceId> for String {
    fn from(id: DeviceId) -> String {
        id.0
    }
}

/// Why a selector or device id did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectorError {
    /// The selector names no known transport.
    #[error("unknown selector scheme {0:?} (expected sim, usb, serial, pcsc, ipp, ipps or v4l2)")]
    UnknownScheme(String),
    /// `sim:` needs a family short name.
    #[error("unknown device family {0:?} (expected fingerprint, face, iris, signature, encoder, card-printer or document-printer)")]
    UnknownFamily(String),
    /// A USB vendor or product id is not four hex digits.
    #[error("USB ids are four hex digits: usb:VID:PID[:SERIAL], got {0:?}")]
    BadUsbId(String),
    /// A part of the selector is empty.
    #[error("selector {0:?} is missing its argument")]
    Missing(String),
    /// A device id is empty, too long, or contains spaces or control characters.
    #[error("a device id is 1 to 128 printable ASCII characters without spaces")]
    BadDeviceId,
}

/// Which physical device a driver opens, parsed from a short string.
///
/// ```
/// use rekam_hal::{DeviceFamily, DeviceSelector};
/// let s: DeviceSelector = "usb:1c7a:0603".parse().unwrap();
/// assert_eq!(s, DeviceSelector::Usb { vid: 0x1c7a, pid: 0x0603, serial: None });
/// let s: DeviceSelector = "usb:08ff:5731:ABC123".parse().unwrap();
/// assert_eq!(s.to_string(), "usb:08ff:5731:ABC123");
/// let s: DeviceSelector = "sim:card-printer".parse().unwrap();
/// assert_eq!(s, DeviceSelector::Sim { family: DeviceFamily::CardPrinter });
/// let s: DeviceSelector = "serial:/dev/ttyUSB0".parse().unwrap();
/// assert_eq!(s, DeviceSelector::Serial { path: "/dev/ttyUSB0".into() });
/// let s: DeviceSelector = "pcsc:Virtual PCD 00 00".parse().unwrap();
/// assert_eq!(s, DeviceSelector::Pcsc { reader: Some("Virtual PCD 00 00".into()) });
/// let s: DeviceSelector = "ipp://localhost:8631/ipp/print".parse().unwrap();
/// assert_eq!(s.to_string(), "ipp://localhost:8631/ipp/print");
/// assert!("usb:12:34".parse::<DeviceSelector>().is_err());
/// assert!("floppy:0".parse::<DeviceSelector>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum DeviceSelector {
    /// A simulated device of a family: `sim:FAMILY`.
    Sim {
        /// Which family to simulate.
        family: DeviceFamily,
    },
    /// A USB device: `usb:VID:PID[:SERIAL]` with four hex digits each.
    Usb {
        /// USB vendor id.
        vid: u16,
        /// USB product id.
        pid: u16,
        /// Serial number string, when several identical devices are attached.
        serial: Option<String>,
    },
    /// A serial line: `serial:/dev/ttyUSB0`.
    Serial {
        /// Device path.
        path: String,
    },
    /// A PC/SC reader: `pcsc:READER NAME` or `pcsc:` for the first reader.
    Pcsc {
        /// Reader name (as pcscd lists it), or the first reader with a card.
        reader: Option<String>,
    },
    /// An IPP printer: `ipp://host:port/path` or `ipps://...`.
    Ipp {
        /// The printer URI.
        uri: String,
    },
    /// A V4L2 camera: `v4l2:/dev/video0`.
    V4l2 {
        /// Device path.
        path: String,
    },
}

impl FromStr for DeviceSelector {
    type Err = SelectorError;

    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        let (scheme, rest) = s
            .split_once(':')
            .ok_or_else(|| SelectorError::UnknownScheme(s.to_owned()))?;
        let need = |rest: &str| {
            if rest.is_empty() {
                Err(SelectorError::Missing(s.to_owned()))
            } else {
                Ok(rest.to_owned())
            }
        };
        match scheme {
            "sim" => DeviceFamily::from_short_name(rest)
                .map(|family| DeviceSelector::Sim { family })
                .ok_or_else(|| SelectorError::UnknownFamily(rest.to_owned())),
            "usb" => {
                let mut parts = rest.splitn(3, ':');
                let hex4 = |p: Option<&str>| -> std::result::Result<u16, SelectorError> {
                    match p {
                        Some(p) if p.len() == 4 => u16::from_str_radix(p, 16)
                            .map_err(|_| SelectorError::BadUsbId(s.to_owned())),
                        _ => Err(SelectorError::BadUsbId(s.to_owned())),
                    }
                };
                let vid = hex4(parts.next())?;
                let pid = hex4(parts.next())?;
                let serial = parts.next().filter(|p| !p.is_empty()).map(str::to_owned);
                Ok(DeviceSelector::Usb { vid, pid, serial })
            }
            "serial" => Ok(DeviceSelector::Serial { path: need(rest)? }),
            "pcsc" => Ok(DeviceSelector::Pcsc {
                reader: (!rest.is_empty()).then(|| rest.to_owned()),
            }),
            "ipp" | "ipps" => {
                if !rest.starts_with("//") || rest.len() <= 2 {
                    return Err(SelectorError::Missing(s.to_owned()));
                }
                Ok(DeviceSelector::Ipp { uri: s.to_owned() })
            }
            "v4l2" => Ok(DeviceSelector::V4l2 { path: need(rest)? }),
            other => Err(SelectorError::UnknownScheme(other.to_owned())),
        }
    }
}

impl fmt::Display for DeviceSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceSelector::Sim { family } => write!(f, "sim:{family}"),
            DeviceSelector::Usb { vid, pid, serial } => {
                write!(f, "usb:{vid:04x}:{pid:04x}")?;
                if let Some(serial) = serial {
                    write!(f, ":{serial}")?;
                }
                Ok(())
            }
            DeviceSelector::Serial { path } => write!(f, "serial:{path}"),
            DeviceSelector::Pcsc { reader } => {
                write!(f, "pcsc:{}", reader.as_deref().unwrap_or(""))
            }
            DeviceSelector::Ipp { uri } => f.write_str(uri),
            DeviceSelector::V4l2 { path } => write!(f, "v4l2:{path}"),
        }
    }
}

impl TryFrom<String> for DeviceSelector {
    type Error = SelectorError;
    fn try_from(s: String) -> std::result::Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<DeviceSelector> for String {
    fn from(s: DeviceSelector) -> String {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn family_short_names_round_trip() {
        for f in DeviceFamily::ALL {
            assert_eq!(DeviceFamily::from_short_name(f.short_name()), Some(f));
        }
        assert_eq!(DeviceFamily::from_short_name("toaster"), None);
    }

    #[test]
    fn selector_errors_are_specific() {
        assert_eq!(
            "sim:toaster".parse::<DeviceSelector>(),
            Err(SelectorError::UnknownFamily("toaster".into()))
        );
        assert!(matches!(
            "usb:zzzz:0001".parse::<DeviceSelector>(),
            Err(SelectorError::BadUsbId(_))
        ));
        assert!(matches!(
            "serial:".parse::<DeviceSelector>(),
            Err(SelectorError::Missing(_))
        ));
        assert!(matches!(
            "nothing".parse::<DeviceSelector>(),
            Err(SelectorError::UnknownScheme(_))
        ));
        assert_eq!(
            "pcsc:".parse::<DeviceSelector>(),
            Ok(DeviceSelector::Pcsc { reader: None })
        );
    }

    proptest! {
        #[test]
        fn usb_selectors_round_trip(vid in any::<u16>(), pid in any::<u16>(), serial in proptest::option::of("[A-Za-z0-9]{1,12}")) {
            let sel = DeviceSelector::Usb { vid, pid, serial };
            let text = sel.to_string();
            prop_assert_eq!(text.parse::<DeviceSelector>(), Ok(sel));
        }

        #[test]
        fn device_ids_reject_whitespace(prefix in "[a-z]{0,5}", suffix in "[a-z]{0,5}") {
            let with_space = format!("{prefix} {suffix}");
            prop_assert!(DeviceId::new(with_space).is_err());
        }

        #[test]
        fn simulated_ids_pass_the_validation(family in 0..DeviceFamily::ALL.len(), index in any::<u32>()) {
            let family = DeviceFamily::ALL[family];
            let id = DeviceId::sim(family, index);
            prop_assert_eq!(DeviceId::new(id.as_str()), Ok(id.clone()));
        }
    }
}
