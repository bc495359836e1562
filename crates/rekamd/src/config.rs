//! Daemon configuration in two stages (after ripgrep's lowargs/hiargs): TOML is parsed into
//! raw structures that mirror the file, then validated into a typed [`Config`]. Every error
//! names the key (a dotted path such as `devices[2].selector`) and, where it can be found, the
//! line. `rekamd` with no flags runs on [`EMBEDDED_DEFAULT`]: a complete simulated station.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rekam_hal::{DeviceFamily, DeviceId, DeviceSelector};
use rekam_sim::SimConfig;
use rekam_station::config::{Arrangement, WorkflowConfig};
use serde::Deserialize;

/// The embedded default configuration: every device simulated.
pub const EMBEDDED_DEFAULT: &str = include_str!("../../../config/rekamd.toml");

/// A configuration error, naming the key and the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// Where the configuration came from (a path, or "embedded default").
    pub origin: String,
    /// The dotted key, e.g. `daemon.tcp`.
    pub key: String,
    /// The 1-based line, when known.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.origin)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if self.key.is_empty() {
            write!(f, ": {}", self.message)
        } else {
            write!(f, ": key `{}`: {}", self.key, self.message)
        }
    }
}

impl std::error::Error for ConfigError {}

// ------------------------------------------------------------------------------------------
// Stage 1: raw, as written.

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    daemon: RawDaemon,
    #[serde(default)]
    auth: RawAuth,
    #[serde(default)]
    office: OfficeConfig,
    #[serde(default)]
    workflow: WorkflowConfig,
    #[serde(default)]
    sim: SimConfig,
    #[serde(default)]
    checks: rekam_station::station::BiometricChecks,
    #[serde(default)]
    card: crate::pcsc::RawChip,
    #[serde(default)]
    matching: rekam_station::station::MatchingConfig,
    #[serde(default)]
    records: rekam_station::station::records::RecordsConfig,
    #[serde(default)]
    devices: Vec<RawDevice>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDaemon {
    /// Unix socket path, or "auto".
    socket: Option<String>,
    /// Socket file mode, octal text such as "0660".
    socket_mode: Option<String>,
    /// Optional TCP listener; loopback addresses only.
    tcp: Option<String>,
    /// State directory (journal and key), or "auto".
    state_dir: Option<String>,
    /// Grace period for in-flight calls on shutdown, milliseconds.
    shutdown_grace_ms: Option<u64>,
    /// How often idle devices are asked for their status, milliseconds.
    status_poll_ms: Option<u64>,
    /// Largest gRPC message accepted, bytes.
    max_message_bytes: Option<usize>,
    /// Log format: "text" or "json".
    log_format: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAuth {
    technician_uids: Option<Vec<u32>>,
    auditor_uids: Option<Vec<u32>>,
    operator_uids: Option<Vec<u32>>,
    tcp_role: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDevice {
    selector: String,
    id: Option<String>,
    timeout_ms: Option<u64>,
    /// The family, for selectors that do not say it (`ipp://` printers: `card-printer` or
    /// `document-printer`).
    family: Option<String>,
}

// ------------------------------------------------------------------------------------------
// Stage 2: validated.

/// The office the station belongs to (printed on receipts).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OfficeConfig {
    /// Office name, e.g. "Kecamatan Senduro".
    pub name: String,
    /// Postal address.
    pub address: String,
    /// Regency and province line.
    pub region: String,
    /// Complaint channels (phone, WhatsApp, e-mail, LAPOR!).
    pub complaint_channels: Vec<String>,
    /// The office's offset from UTC: "+07:00" (WIB), "+08:00" (WITA) or "+09:00" (WIT).
    /// Dates (ages, receipts) are the office's dates.
    pub utc_offset: String,
}

impl Default for OfficeConfig {
    fn default() -> Self {
        OfficeConfig {
            name: "Kecamatan Senduro".into(),
            address: "Jl. Raya Senduro No. 97, 67361".into(),
            region: "Kabupaten Lumajang, Jawa Timur".into(),
            complaint_channels: vec![
                "laporlumajang.go.id".into(),
                "Telp. (0334) 610463".into(),
                "LAPOR! lapor.go.id".into(),
            ],
            utc_offset: "+07:00".into(),
        }
    }
}

/// A caller's role. Roles decide which calls a caller may make.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Drives enrolment and issuance.
    Operator,
    /// Runs self-tests and injects faults into simulated devices.
    Technician,
    /// Reads and verifies the audit chain.
    Auditor,
}

/// Who may do what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthConfig {
    /// Unix uids with the technician role (the daemon's own uid and root always have it).
    pub technician_uids: Vec<u32>,
    /// Unix uids with the auditor role.
    pub auditor_uids: Vec<u32>,
    /// Unix uids with the operator role; `None` = every peer that can open the socket.
    pub operator_uids: Option<Vec<u32>>,
    /// The role of TCP callers (no peer credentials): never technician.
    pub tcp_role: Option<Role>,
}

/// One configured device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceConfig {
    /// Which device to open.
    pub selector: DeviceSelector,
    /// Its id in the station.
    pub id: DeviceId,
    /// The per-call timeout.
    pub timeout: Option<Duration>,
    /// The family named by `family = "..."`, for selectors that do not say it (`ipp://`).
    pub family: Option<DeviceFamily>,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where the configuration came from.
    pub origin: String,
    /// Unix socket path.
    pub socket: PathBuf,
    /// Socket file mode.
    pub socket_mode: u32,
    /// Optional loopback TCP listener.
    pub tcp: Option<SocketAddr>,
    /// State directory.
    pub state_dir: PathBuf,
    /// Shutdown grace period.
    pub shutdown_grace: Duration,
    /// Idle device status poll interval.
    pub status_poll: Duration,
    /// Largest gRPC message accepted.
    pub max_message_bytes: usize,
    /// Log format.
    pub log_format: LogFormat,
    /// Roles.
    pub auth: AuthConfig,
    /// The office.
    pub office: OfficeConfig,
    /// The office's UTC offset, parsed from `office.utc_offset`.
    pub utc_offset: time::UtcOffset,
    /// The workflow rules.
    pub workflow: WorkflowConfig,
    /// Simulated devices' settings.
    pub sim: SimConfig,
    /// The thresholds of the station's own biometric checks (`[checks]`).
    pub checks: rekam_station::station::BiometricChecks,
    /// The chip: profile, document signer, capacity (`[card]`).
    pub card: crate::pcsc::ChipConfig,
    /// Fingerprint templates and matching (`[matching]`).
    pub matching: rekam_station::station::MatchingConfig,
    /// How the package's ISO/IEC 19794 records are written (`[records]`).
    pub records: rekam_station::station::records::RecordsConfig,
    /// Devices to open.
    pub devices: Vec<DeviceConfig>,
}

impl Config {
    /// The error for key `key` of configured device number `index` (`devices[INDEX].KEY`), as
    /// the driver modules report a selector or option they cannot use.
    pub fn device_error(&self, index: usize, key: &str, message: String) -> ConfigError {
        ConfigError {
            origin: self.origin.clone(),
            key: format!("devices[{index}].{key}"),
            line: None,
            message,
        }
    }

    /// The embedded default configuration.
    pub fn embedded_default() -> Result<Config, ConfigError> {
        Config::parse(EMBEDDED_DEFAULT, "embedded default")
    }

    /// Reads and validates a configuration file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            origin: origin.clone(),
            key: String::new(),
            line: None,
            message: format!("cannot read the file: {e}"),
        })?;
        Config::parse(&text, &origin)
    }

    /// Parses and validates configuration text.
    pub fn parse(text: &str, origin: &str) -> Result<Config, ConfigError> {
        let raw = parse_raw(text, origin)?;
        validate(raw, text, origin)
    }
}

fn parse_raw(text: &str, origin: &str) -> Result<RawConfig, ConfigError> {
    let de = toml::Deserializer::parse(text).map_err(|e| toml_error(&e, text, origin, ""))?;
    serde_path_to_error::deserialize(de).map_err(|e| {
        let key = e.path().to_string();
        let key = if key == "." { String::new() } else { key };
        toml_error(e.inner(), text, origin, &key)
    })
}

fn toml_error(e: &toml::de::Error, text: &str, origin: &str, key: &str) -> ConfigError {
    let line = e
        .span()
        .map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1)
        .or_else(|| line_of(text, key));
    ConfigError {
        origin: origin.to_owned(),
        key: key.to_owned(),
        line,
        message: e.message().trim().to_owned(),
    }
}

/// Finds the line of a dotted key such as `daemon.tcp` or `devices[1].selector` in TOML text.
/// A best effort for semantic errors found after parsing; `None` when the key is implicit.
fn line_of(text: &str, key: &str) -> Option<usize> {
    if key.is_empty() {
        return None;
    }
    let mut parts: Vec<&str> = key.split('.').collect();
    let leaf = parts.pop()?;
    let (table, index) = match parts.first() {
        Some(t) => match t.split_once('[') {
            Some((name, idx)) => (
                name.to_owned(),
                idx.trim_end_matches(']').parse::<usize>().ok(),
            ),
            None => ((*t).to_owned(), None),
        },
        None => (String::new(), None),
    };
    let mut in_table = table.is_empty();
    let mut seen = 0usize;
    for (n, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            let name = trimmed.trim_matches(|c| c == '[' || c == ']').trim();
            in_table = false;
            if name == table || name.starts_with(&format!("{table}.")) {
                if trimmed.starts_with("[[") {
                    in_table = index == Some(seen);
                    seen += 1;
                } else {
                    in_table = true;
                }
            }
            continue;
        }
        if in_table {
            let key_part = trimmed.split('=').next().unwrap_or("").trim();
            if key_part == leaf {
                return Some(n + 1);
            }
        }
    }
    None
}

fn validate(raw: RawConfig, text: &str, origin: &str) -> Result<Config, ConfigError> {
    let err = |key: &str, message: String| ConfigError {
        origin: origin.to_owned(),
        key: key.to_owned(),
        line: line_of(text, key),
        message,
    };
    let d = raw.daemon;

    let socket = match d.socket.as_deref() {
        None | Some("auto") => default_socket_path(),
        Some("") => {
            return Err(err(
                "daemon.socket",
                "must not be empty (use \"auto\")".into(),
            ))
        }
        Some(p) => PathBuf::from(p),
    };
    let socket_mode = match d.socket_mode.as_deref() {
        None => 0o660,
        Some(m) => u32::from_str_radix(m.trim_start_matches("0o"), 8)
            .ok()
            .filter(|m| *m <= 0o777)
            .ok_or_else(|| {
                err(
                    "daemon.socket_mode",
                    format!("{m:?} is not an octal file mode such as \"0660\""),
                )
            })?,
    };
    if socket_mode & 0o007 != 0 {
        return Err(err(
            "daemon.socket_mode",
            "the socket must not be open to other users (personal data flows through it)".into(),
        ));
    }
    let tcp = match d.tcp.as_deref() {
        None | Some("") => None,
        Some(a) => {
            let addr: SocketAddr = a.parse().map_err(|_| {
                err(
                    "daemon.tcp",
                    format!("{a:?} is not an address such as 127.0.0.1:50051"),
                )
            })?;
            if !addr.ip().is_loopback() {
                return Err(err(
                    "daemon.tcp",
                    format!("{addr} is not a loopback address; remote clients need mutual TLS, which is not configured"),
                ));
            }
            Some(addr)
        }
    };
    let state_dir = match d.state_dir.as_deref() {
        None | Some("auto") => default_state_dir(),
        Some("") => {
            return Err(err(
                "daemon.state_dir",
                "must not be empty (use \"auto\")".into(),
            ))
        }
        Some(p) => PathBuf::from(p),
    };
    let shutdown_grace = Duration::from_millis(d.shutdown_grace_ms.unwrap_or(5_000));
    if shutdown_grace > Duration::from_secs(120) {
        return Err(err("daemon.shutdown_grace_ms", "at most 120000".into()));
    }
    let status_poll = Duration::from_millis(d.status_poll_ms.unwrap_or(5_000));
    if status_poll < Duration::from_millis(100) {
        return Err(err("daemon.status_poll_ms", "at least 100".into()));
    }
    let max_message_bytes = d.max_message_bytes.unwrap_or(8 * 1024 * 1024);
    if !(64 * 1024..=64 * 1024 * 1024).contains(&max_message_bytes) {
        return Err(err(
            "daemon.max_message_bytes",
            "between 65536 and 67108864".into(),
        ));
    }
    let log_format = match d.log_format.as_deref() {
        None | Some("text") => LogFormat::Text,
        Some("json") => LogFormat::Json,
        Some(other) => {
            return Err(err(
                "daemon.log_format",
                format!("{other:?}: expected \"text\" or \"json\""),
            ))
        }
    };

    let tcp_role = match raw.auth.tcp_role.as_deref() {
        None | Some("operator") => Some(Role::Operator),
        Some("auditor") => Some(Role::Auditor),
        Some("none") => None,
        Some("technician") => {
            return Err(err(
                "auth.tcp_role",
                "TCP callers have no peer credentials, so they cannot be technicians".into(),
            ))
        }
        Some(other) => {
            return Err(err(
                "auth.tcp_role",
                format!("{other:?}: expected operator, auditor or none"),
            ))
        }
    };
    let auth = AuthConfig {
        technician_uids: raw.auth.technician_uids.unwrap_or_default(),
        auditor_uids: raw.auth.auditor_uids.unwrap_or_default(),
        operator_uids: raw.auth.operator_uids,
        tcp_role,
    };

    let utc_offset = parse_offset(&raw.office.utc_offset).ok_or_else(|| {
        err(
            "office.utc_offset",
            format!(
                "{:?}: expected +07:00 (WIB), +08:00 (WITA) or +09:00 (WIT)",
                raw.office.utc_offset
            ),
        )
    })?;
    raw.workflow.validate().map_err(|e| {
        let key = format!("workflow.{}", e.key);
        err(&key, e.message.clone())
    })?;
    raw.matching.validate().map_err(|e| {
        let key = format!("matching.{}", e.key);
        err(&key, e.message.clone())
    })?;

    if raw.devices.is_empty() {
        return Err(err(
            "devices",
            "at least one [[devices]] entry is needed".into(),
        ));
    }
    let mut devices = Vec::with_capacity(raw.devices.len());
    let mut per_family: std::collections::BTreeMap<DeviceFamily, u32> = Default::default();
    for (i, dev) in raw.devices.into_iter().enumerate() {
        let selector: DeviceSelector = dev
            .selector
            .parse()
            .map_err(|e| err(&format!("devices[{i}].selector"), format!("{e}")))?;
        let family = match dev.family.as_deref() {
            None => None,
            Some(name) => Some(DeviceFamily::from_short_name(name).ok_or_else(|| {
                err(
                    &format!("devices[{i}].family"),
                    format!("unknown device family {name:?}"),
                )
            })?),
        };
        if let DeviceSelector::Ipp { .. } = &selector {
            if !matches!(
                family,
                Some(DeviceFamily::CardPrinter | DeviceFamily::DocumentPrinter)
            ) {
                return Err(err(
                    &format!("devices[{i}].family"),
                    "an ipp:// printer needs family = \"card-printer\" or \"document-printer\""
                        .into(),
                ));
            }
            if family == Some(DeviceFamily::CardPrinter)
                && raw.workflow.issuance.arrangement != Arrangement::DeskEncoder
            {
                return Err(err(
                    "workflow.issuance.arrangement",
                    "an ipp:// card printer has no inline encoder: set arrangement = \"desk_encoder\""
                        .into(),
                ));
            }
        }
        let id = match dev.id {
            Some(id) => {
                DeviceId::new(id).map_err(|e| err(&format!("devices[{i}].id"), e.to_string()))?
            }
            None => {
                let (prefix, family) = match &selector {
                    DeviceSelector::Sim { family } => ("sim", Some(*family)),
                    DeviceSelector::Usb { .. } => ("usb", None),
                    // A serial device is a signature pad; a camera says which it is.
                    DeviceSelector::Serial { .. } => {
                        ("serial", family.or(Some(DeviceFamily::SignaturePad)))
                    }
                    DeviceSelector::Pcsc { .. } => ("pcsc", None),
                    DeviceSelector::Ipp { .. } => ("ipp", family),
                    DeviceSelector::V4l2 { .. } => ("v4l2", family),
                };
                let family_name = family.map(DeviceFamily::short_name).unwrap_or("device");
                let n = per_family
                    .entry(family.unwrap_or(DeviceFamily::FingerprintScanner))
                    .or_default();
                let id = format!("{prefix}:{family_name}:{n}");
                *n += 1;
                DeviceId::new(id).map_err(|e| err(&format!("devices[{i}].id"), e.to_string()))?
            }
        };
        if devices.iter().any(|d: &DeviceConfig| d.id == id) {
            return Err(err(
                &format!("devices[{i}].id"),
                format!("{id} is used twice"),
            ));
        }
        let timeout = match dev.timeout_ms {
            None => None,
            Some(ms) if (100..=600_000).contains(&ms) => Some(Duration::from_millis(ms)),
            Some(_) => {
                return Err(err(
                    &format!("devices[{i}].timeout_ms"),
                    "between 100 and 600000".into(),
                ))
            }
        };
        devices.push(DeviceConfig {
            selector,
            id,
            timeout,
            family,
        });
    }

    let card = crate::pcsc::chip_config(raw.card).map_err(|(key, message)| err(key, message))?;
    Ok(Config {
        origin: origin.to_owned(),
        socket,
        socket_mode,
        tcp,
        state_dir,
        shutdown_grace,
        status_poll,
        max_message_bytes,
        log_format,
        auth,
        office: raw.office,
        utc_offset,
        workflow: raw.workflow,
        sim: raw.sim,
        checks: raw.checks,
        card,
        matching: raw.matching,
        records: raw.records,
        devices,
    })
}

/// Parses "+HH:MM" (Indonesia spans +07:00 to +09:00; any whole-quarter offset is taken).
fn parse_offset(s: &str) -> Option<time::UtcOffset> {
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1i8, &s[1..]),
        b'-' => (-1i8, &s[1..]),
        _ => return None,
    };
    let (h, m) = rest.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let h: i8 = h.parse().ok()?;
    let m: i8 = m.parse().ok()?;
    time::UtcOffset::from_hms(sign * h, sign * m, 0).ok()
}

/// The socket path when the configuration says "auto": systemd's `$RUNTIME_DIRECTORY`,
/// `/run/rekam` for root, else `$XDG_RUNTIME_DIR/rekam`, else `/tmp/rekam-UID`.
/// `rekamctl` resolves the same way.
pub fn default_socket_path() -> PathBuf {
    rekam_proto::client::default_socket_path()
}

/// The state directory when the configuration says "auto": systemd's `$STATE_DIRECTORY`,
/// `/var/lib/rekam` for root, else `$XDG_STATE_HOME/rekam` or `~/.local/state/rekam`.
pub fn default_state_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("STATE_DIRECTORY") {
        // systemd may list several, colon-separated: the first is ours.
        let dir = dir
            .to_string_lossy()
            .split(':')
            .next()
            .unwrap_or_default()
            .to_owned();
        if !dir.is_empty() {
            return PathBuf::from(dir);
        }
    }
    if nix::unistd::geteuid().is_root() {
        return PathBuf::from("/var/lib/rekam");
    }
    if let Some(dir) = std::env::var_os("XDG_STATE_HOME") {
        return PathBuf::from(dir).join("rekam");
    }
    if let Some(home) = std::env::var_os("HOME") {
        return PathBuf::from(home).join(".local/state/rekam");
    }
    PathBuf::from(format!("/tmp/rekam-state-{}", nix::unistd::geteuid()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_default_is_valid_and_all_simulated() {
        let cfg = Config::embedded_default().unwrap();
        assert_eq!(cfg.devices.len(), 7);
        for family in DeviceFamily::ALL {
            assert!(
                cfg.devices
                    .iter()
                    .any(|d| d.selector == DeviceSelector::Sim { family }),
                "no simulated {family} in the default"
            );
        }
        assert_eq!(cfg.socket_mode, 0o660);
        assert!(cfg.tcp.is_none());
    }

    #[test]
    fn unknown_key_names_key_and_line() {
        let text = "[daemon]\nsocket = \"/tmp/x.sock\"\nsoket_mode = \"0660\"\n\n[[devices]]\nselector = \"sim:face\"\n";
        let e = Config::parse(text, "test.toml").unwrap_err();
        assert_eq!(e.line, Some(3), "{e}");
        assert!(e.message.contains("soket_mode"), "{e}");
        assert!(e.to_string().starts_with("test.toml:3"), "{e}");
    }

    #[test]
    fn biometric_check_thresholds_come_from_the_checks_section() {
        let text = "[checks.face]\nmin_inter_eye_px = 120.0\n\n[checks.iris]\nmin_iris_diameter_px = 230.0\n\n[[devices]]\nselector = \"sim:face\"\n";
        let c = Config::parse(text, "t").unwrap();
        assert_eq!(c.checks.face.min_inter_eye_px, 120.0);
        assert_eq!(c.checks.iris.min_iris_diameter_px, 230.0);
        let defaults = Config::parse("[[devices]]\nselector = \"sim:face\"\n", "t").unwrap();
        assert_eq!(defaults.checks.face.min_inter_eye_px, 90.0);
        let text = "[checks.face]\nmin_inter_eye = 1.0\n[[devices]]\nselector = \"sim:face\"\n";
        let e = Config::parse(text, "t").unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
        assert!(e.message.contains("min_inter_eye"), "{e}");
    }

    #[test]
    fn the_records_image_format_comes_from_its_section() {
        use rekam_station::station::records::ImageFormat;
        let dev = "[[devices]]\nselector = \"sim:face\"\n";
        let c = Config::parse(dev, "t").unwrap();
        assert_eq!(c.records.image_format, ImageFormat::Jpeg2000Lossless);
        let c = Config::parse(&format!("[records]\nimage_format = \"png\"\n{dev}"), "t").unwrap();
        assert_eq!(c.records.image_format, ImageFormat::Png);
        let e =
            Config::parse(&format!("[records]\nimage_format = \"wsq\"\n{dev}"), "t").unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
    }

    #[test]
    fn matching_comes_from_its_section_and_bad_values_name_the_key() {
        let dev = "[[devices]]\nselector = \"sim:face\"\n";
        let c = Config::parse(
            &format!("[matching]\nthreshold = 90\ntemplate_fingers = [\"left_thumb\", \"right_thumb\"]\n{dev}"),
            "t",
        )
        .unwrap();
        assert_eq!(c.matching.threshold, 90);
        assert_eq!(
            c.matching.template_fingers,
            [rekam_hal::Finger::LeftThumb, rekam_hal::Finger::RightThumb]
        );
        assert_eq!(Config::parse(dev, "t").unwrap().matching.threshold, 70);
        for (text, key, line) in [
            ("[matching]\nthreshold = 0\n", "matching.threshold", 2),
            (
                "[matching]\n\nmax_minutiae = 300\n",
                "matching.max_minutiae",
                3,
            ),
            (
                "[matching]\ntemplate_bytes = 20\n",
                "matching.template_bytes",
                2,
            ),
            (
                "[matching]\ntemplate_fingers = [\"left_index\", \"left_index\"]\n",
                "matching.template_fingers",
                2,
            ),
            (
                "[matching]\ntemplate_fingers = [\"left_index\"]\n",
                "matching.template_fingers",
                2,
            ),
            (
                "[matching]\ntemplate_fingers = [\"right_index\", \"left_pinky\"]\n",
                "matching.template_fingers[1]",
                2,
            ),
            ("[matching]\nthreshhold = 70\n", "matching.threshhold", 2),
        ] {
            let e = Config::parse(&format!("{text}{dev}"), "t").unwrap_err();
            assert_eq!((e.key.as_str(), e.line), (key, Some(line)), "{e}");
        }
    }

    #[test]
    fn semantic_errors_name_the_key() {
        let text = "[daemon]\ntcp = \"0.0.0.0:50051\"\n\n[[devices]]\nselector = \"sim:face\"\n";
        let e = Config::parse(text, "t").unwrap_err();
        assert_eq!(e.key, "daemon.tcp");
        assert_eq!(e.line, Some(2));

        let text =
            "[[devices]]\nselector = \"sim:face\"\n\n[[devices]]\nselector = \"sim:toaster\"\n";
        let e = Config::parse(text, "t").unwrap_err();
        assert_eq!(e.key, "devices[1].selector");
        assert_eq!(e.line, Some(5));
        assert!(e.message.contains("toaster"));

        let text = "[daemon]\nsocket_mode = \"0666\"\n[[devices]]\nselector = \"sim:face\"\n";
        assert_eq!(
            Config::parse(text, "t").unwrap_err().key,
            "daemon.socket_mode"
        );

        let text = "[auth]\ntcp_role = \"technician\"\n[[devices]]\nselector = \"sim:face\"\n";
        assert_eq!(Config::parse(text, "t").unwrap_err().key, "auth.tcp_role");
    }

    #[test]
    fn wrong_types_are_reported_with_their_path() {
        let text = "[daemon]\nshutdown_grace_ms = \"soon\"\n[[devices]]\nselector = \"sim:face\"\n";
        let e = Config::parse(text, "t").unwrap_err();
        assert_eq!(e.key, "daemon.shutdown_grace_ms");
        assert_eq!(e.line, Some(2));
    }

    #[test]
    fn workflow_errors_are_prefixed() {
        let text = "[workflow.thresholds]\nface = 101\n[[devices]]\nselector = \"sim:face\"\n";
        let e = Config::parse(text, "t").unwrap_err();
        assert!(e.key.starts_with("workflow."), "{e}");
    }

    #[test]
    fn office_offset_is_parsed() {
        let text = "[office]\nutc_offset = \"+08:00\"\n[[devices]]\nselector = \"sim:face\"\n";
        assert_eq!(
            Config::parse(text, "t").unwrap().utc_offset,
            time::UtcOffset::from_hms(8, 0, 0).unwrap()
        );
        let text = "[office]\nutc_offset = \"WIB\"\n[[devices]]\nselector = \"sim:face\"\n";
        let e = Config::parse(text, "t").unwrap_err();
        assert_eq!(e.key, "office.utc_offset");
        assert_eq!(e.line, Some(2));
    }

    #[test]
    fn duplicate_ids_are_refused() {
        let text = "[[devices]]\nselector = \"sim:face\"\nid = \"cam\"\n[[devices]]\nselector = \"sim:iris\"\nid = \"cam\"\n";
        let e = Config::parse(text, "t").unwrap_err();
        assert_eq!(e.key, "devices[1].id");
    }
}
