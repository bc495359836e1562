//! Packaging checks: the udev rules (`udev/60-rekam.rules`) and the systemd files
//! (`systemd/rekamd.service`, `rekamd.sysusers`, `rekamd.tmpfiles`).
//!
//! - The udev table: every rule grants exactly `GROUP="rekam"`, `MODE="0660"`,
//!   `TAG+="systemd"` and nothing to the seat (`uaccess`); VID:PIDs are well formed and
//!   unique; every fingerprint sensor recorded in `shared/testdata/usb-recordings` is listed.
//! - The unit: the hardening keys have the values the design asks for, and
//!   `systemd-analyze verify` accepts it without a warning. `systemd-sysusers` and
//!   `systemd-tmpfiles` run the sysusers and tmpfiles files into a scratch root.
//!
//! The systemd tools come from the Debian package `systemd`. Without them these tests fail,
//! unless `REKAM_ALLOW_NO_SYSTEMD=1` is set (then the tool runs are left out, loudly). The
//! test data must be beside the repository (`../shared/testdata`): missing, the test fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

// ---------------------------------------------------------------------------------------
// udev
// ---------------------------------------------------------------------------------------

/// One `KEY{attr} op "value"` of a udev rule.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Assignment {
    key: String,
    attr: Option<String>,
    op: String,
    value: String,
}

/// Splits a rule line into its assignments (commas outside quotes separate them).
fn parse_rule(line: &str) -> Result<Vec<Assignment>, String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut in_quotes = false;
    for c in line.chars() {
        match c {
            '"' => {
                in_quotes = !in_quotes;
                current.push(c);
            }
            ',' if !in_quotes => parts.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    if in_quotes {
        return Err("unterminated quote".into());
    }
    parts.push(current);

    let mut out = Vec::new();
    for part in parts {
        let part = part.trim();
        if part.is_empty() {
            return Err("empty assignment (doubled or trailing comma)".into());
        }
        let key_end = part
            .find(|c: char| !(c.is_ascii_uppercase() || c == '_'))
            .ok_or_else(|| format!("no operator in `{part}`"))?;
        let key = &part[..key_end];
        if key.is_empty() {
            return Err(format!("no key in `{part}`"));
        }
        let mut rest = &part[key_end..];
        let mut attr = None;
        if let Some(after) = rest.strip_prefix('{') {
            let close = after
                .find('}')
                .ok_or_else(|| format!("unclosed {{ in `{part}`"))?;
            attr = Some(after[..close].to_owned());
            rest = &after[close + 1..];
        }
        let rest = rest.trim_start();
        let op = ["==", "!=", "+=", "-=", ":=", "="]
            .into_iter()
            .find(|op| rest.starts_with(op))
            .ok_or_else(|| format!("no operator in `{part}`"))?;
        let value = rest[op.len()..].trim_start();
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .filter(|v| !v.contains('"'))
            .ok_or_else(|| format!("value not in double quotes in `{part}`"))?;
        out.push(Assignment {
            key: key.to_owned(),
            attr,
            op: op.to_owned(),
            value: value.to_owned(),
        });
    }
    Ok(out)
}

/// The VID:PID table of a rules file, or every problem found in it.
#[derive(Debug, Default)]
struct UdevTable {
    /// (subsystem, vid, pid) per rule that names a USB id.
    usb_ids: Vec<(String, String, String)>,
    /// Subsystems granted without a USB id (e.g. video4linux).
    whole_subsystems: Vec<String>,
}

fn is_lower_hex4(s: &str) -> bool {
    s.len() == 4
        && s.chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
}

fn check_rules(text: &str) -> Result<UdevTable, Vec<String>> {
    let mut problems = Vec::new();
    let mut table = UdevTable::default();
    let mut seen_ids: BTreeMap<(String, String), usize> = BTreeMap::new();
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line.ends_with('\\') {
            problems.push(format!(
                "line {n}: line continuations are not used in this table"
            ));
            continue;
        }
        let rule = match parse_rule(line) {
            Ok(rule) => rule,
            Err(e) => {
                problems.push(format!("line {n}: {e}"));
                continue;
            }
        };
        let count = |key: &str, op: &str, value: &str| {
            rule.iter()
                .filter(|a| a.key == key && a.op == op && a.value == value && a.attr.is_none())
                .count()
        };
        for (key, op, value) in [
            ("GROUP", "=", "rekam"),
            ("MODE", "=", "0660"),
            ("TAG", "+=", "systemd"),
        ] {
            if count(key, op, value) != 1 {
                problems.push(format!("line {n}: needs exactly one {key}{op}\"{value}\""));
            }
        }
        for a in &rule {
            let expected = match a.key.as_str() {
                "GROUP" => Some("rekam"),
                "MODE" => Some("0660"),
                "OWNER" => Some("(none)"),
                _ => None,
            };
            if expected.is_some_and(|v| !(a.op == "=" && a.value == v)) {
                problems.push(format!(
                    "line {n}: unexpected {}{}\"{}\"",
                    a.key, a.op, a.value
                ));
            }
            if a.value.contains("uaccess") {
                problems.push(format!("line {n}: uaccess is not wanted on a kiosk"));
            }
            if a.key == "GOTO" || a.key == "LABEL" {
                problems.push(format!("line {n}: {} is not used in this table", a.key));
            }
        }
        let subsystem: Vec<&Assignment> = rule
            .iter()
            .filter(|a| a.key == "SUBSYSTEM" && a.op == "==")
            .collect();
        let subsystem = match subsystem.as_slice() {
            [one] => one.value.clone(),
            _ => {
                problems.push(format!(
                    "line {n}: needs exactly one SUBSYSTEM==\"...\" match"
                ));
                continue;
            }
        };
        let id = |name: &str| -> Vec<&Assignment> {
            rule.iter()
                .filter(|a| {
                    (a.key == "ATTR" || a.key == "ATTRS") && a.attr.as_deref() == Some(name)
                })
                .collect()
        };
        let (vids, pids) = (id("idVendor"), id("idProduct"));
        match (vids.as_slice(), pids.as_slice()) {
            ([], []) => {
                if subsystem == "usb" || subsystem == "tty" {
                    problems.push(format!(
                        "line {n}: a {subsystem} rule without idVendor/idProduct would grant every \
                         {subsystem} device"
                    ));
                }
                table.whole_subsystems.push(subsystem);
            }
            ([vid], [pid]) => {
                for a in [vid, pid] {
                    if a.op != "==" {
                        problems.push(format!("line {n}: {}{{..}} must be matched with ==", a.key));
                    }
                    if !is_lower_hex4(&a.value) {
                        problems.push(format!(
                            "line {n}: `{}` is not 4 lower-case hex digits",
                            a.value
                        ));
                    }
                }
                if vid.key != pid.key {
                    problems.push(format!(
                        "line {n}: idVendor and idProduct use ATTR and ATTRS"
                    ));
                }
                let key = (vid.value.clone(), pid.value.clone());
                if let Some(first) = seen_ids.insert(key, n) {
                    problems.push(format!(
                        "line {n}: {}:{} already listed on line {first}",
                        vid.value, pid.value
                    ));
                }
                table
                    .usb_ids
                    .push((subsystem, vid.value.clone(), pid.value.clone()));
            }
            _ => problems.push(format!(
                "line {n}: needs exactly one idVendor and one idProduct"
            )),
        }
    }
    if problems.is_empty() {
        Ok(table)
    } else {
        Err(problems)
    }
}

/// The (vid, pid) of every non-hub USB device in a umockdev `device` recording.
fn recorded_usb_devices(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for block in text.split("\n\n") {
        let mut props = BTreeMap::new();
        for line in block.lines() {
            let Some((kind, rest)) = line.split_once(": ") else {
                continue;
            };
            if let Some((k, v)) = rest.split_once('=') {
                // umockdev keeps a sysfs attribute's trailing newline as a literal `\n`.
                let v = v.trim().trim_end_matches("\\n").trim();
                props.insert(format!("{kind}:{k}"), v.to_ascii_lowercase());
            }
        }
        let is_usb_device = props.get("E:DEVTYPE").map(String::as_str) == Some("usb_device");
        let is_hub = props.get("A:bDeviceClass").map(String::as_str) == Some("09");
        if let (true, false, Some(vid), Some(pid)) = (
            is_usb_device,
            is_hub,
            props.get("A:idVendor"),
            props.get("A:idProduct"),
        ) {
            out.push((vid.clone(), pid.clone()));
        }
    }
    out
}

#[test]
fn udev_rules_are_well_formed() {
    let path = repo_root().join("udev/60-rekam.rules");
    let table = check_rules(&read(&path))
        .unwrap_or_else(|problems| panic!("{}:\n{}", path.display(), problems.join("\n")));
    assert!(
        table.whole_subsystems.iter().any(|s| s == "video4linux"),
        "cameras (video4linux) are missing"
    );
    for (vid, pid) in [("0403", "6001"), ("067b", "2303")] {
        assert!(
            table
                .usb_ids
                .iter()
                .any(|(s, v, p)| s == "tty" && v == vid && p == pid),
            "serial adapter {vid}:{pid} is missing from the tty rules"
        );
    }
}

#[test]
fn udev_rules_cover_every_recorded_sensor() {
    let recordings = repo_root().join("../shared/testdata/usb-recordings");
    assert!(
        recordings.is_dir(),
        "test data not found at {}: the repository's shared/ folder must be beside it \
         (../shared/testdata from the repository root)",
        recordings.display()
    );
    let table = check_rules(&read(&repo_root().join("udev/60-rekam.rules")))
        .unwrap_or_else(|problems| panic!("{}", problems.join("\n")));
    let listed: BTreeSet<(String, String)> = table
        .usb_ids
        .iter()
        .filter(|(s, _, _)| s == "usb")
        .map(|(_, v, p)| (v.clone(), p.clone()))
        .collect();

    let mut checked = 0;
    let mut entries: Vec<_> = std::fs::read_dir(&recordings)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for dir in entries.into_iter().filter(|p| p.is_dir()) {
        let device = dir.join("device");
        let devices = recorded_usb_devices(&read(&device));
        assert!(
            !devices.is_empty(),
            "{}: no non-hub USB device in the recording",
            device.display()
        );
        for (vid, pid) in devices {
            assert!(
                listed.contains(&(vid.clone(), pid.clone())),
                "{vid}:{pid} from {} is not in udev/60-rekam.rules",
                device.display()
            );
            checked += 1;
        }
    }
    assert!(checked >= 5, "only {checked} recorded devices found");
}

#[test]
fn udev_checker_catches_mistakes() {
    let good = r#"SUBSYSTEM=="usb", ATTR{idVendor}=="08ff", ATTR{idProduct}=="5731", GROUP="rekam", MODE="0660", TAG+="systemd""#;
    assert!(check_rules(good).is_ok());
    let cases = [
        (good.replace(r#", GROUP="rekam""#, ""), "GROUP"),
        (good.replace("0660", "0666"), "MODE"),
        (
            good.replace(r#"TAG+="systemd""#, r#"TAG+="uaccess""#),
            "uaccess",
        ),
        (good.replace("08ff", "08FF"), "lower-case hex"),
        (good.replace("5731", "573"), "lower-case hex"),
        (format!("{good}\n{good}"), "already listed"),
        (
            r#"SUBSYSTEM=="usb", GROUP="rekam", MODE="0660", TAG+="systemd""#.to_owned(),
            "every usb device",
        ),
        (
            good.replace(r#"ATTR{idProduct}=="5731", "#, ""),
            "idProduct",
        ),
        (good.replace(r#""rekam""#, r#""rekam"#), "quote"),
    ];
    for (text, expected) in cases {
        let problems = check_rules(&text).expect_err(&text);
        assert!(
            problems.iter().any(|p| p.contains(expected)),
            "expected `{expected}` for {text}: {problems:?}"
        );
    }
    let recording = "P: /devices/x\nE: DEVTYPE=usb_device\nA: bDeviceClass=00\\n\nA: idProduct=2016\\n\nA: idVendor=147E\\n\n\nP: /devices/hub\nE: DEVTYPE=usb_device\nA: bDeviceClass=09\nA: idVendor=1d6b\nA: idProduct=0002\n";
    assert_eq!(
        recorded_usb_devices(recording),
        vec![("147e".to_owned(), "2016".to_owned())]
    );
}

// ---------------------------------------------------------------------------------------
// systemd
// ---------------------------------------------------------------------------------------

/// A unit file: section -> key -> values, in file order.
type Unit = BTreeMap<String, BTreeMap<String, Vec<String>>>;

fn parse_unit(text: &str) -> Unit {
    let mut unit = Unit::new();
    let mut section: Option<String> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        assert!(
            !line.ends_with('\\'),
            "line {}: no line continuations, please",
            i + 1
        );
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = Some(name.to_owned());
            unit.entry(name.to_owned()).or_default();
            continue;
        }
        let (key, value) = line
            .split_once('=')
            .unwrap_or_else(|| panic!("line {}: not KEY=VALUE: {line}", i + 1));
        let section = section
            .clone()
            .unwrap_or_else(|| panic!("line {}: key before any [section]", i + 1));
        unit.entry(section)
            .or_default()
            .entry(key.trim().to_owned())
            .or_default()
            .push(value.trim().to_owned());
    }
    unit
}

fn systemd_dir() -> PathBuf {
    repo_root().join("systemd")
}

#[test]
fn unit_has_the_hardening() {
    let unit = parse_unit(&read(&systemd_dir().join("rekamd.service")));
    let service = unit.get("Service").expect("[Service] section");
    let single = |key: &str| -> String {
        match service.get(key).map(Vec::as_slice) {
            Some([one]) => one.clone(),
            Some(many) => panic!("{key} is set {} times", many.len()),
            None => panic!("{key} is missing"),
        }
    };
    let expected = [
        ("Type", "notify"),
        ("NotifyAccess", "main"),
        (
            "ExecStart",
            "/usr/bin/rekamd --config /etc/rekam/rekamd.toml",
        ),
        ("WatchdogSec", "30s"),
        ("Restart", "on-failure"),
        ("User", "rekam"),
        ("Group", "rekam"),
        ("SupplementaryGroups", "rekam"),
        ("StateDirectory", "rekam"),
        ("StateDirectoryMode", "0700"),
        ("RuntimeDirectory", "rekam"),
        ("RuntimeDirectoryMode", "0750"),
        ("ConfigurationDirectory", "rekam"),
        ("ProtectSystem", "strict"),
        ("ProtectHome", "yes"),
        ("PrivateTmp", "yes"),
        ("NoNewPrivileges", "yes"),
        ("DevicePolicy", "closed"),
        ("PrivateNetwork", "no"),
        ("ProtectKernelTunables", "yes"),
        ("ProtectKernelModules", "yes"),
        ("ProtectControlGroups", "yes"),
        ("RestrictNamespaces", "yes"),
        ("LockPersonality", "yes"),
        ("MemoryDenyWriteExecute", "yes"),
        ("SystemCallArchitectures", "native"),
        ("CapabilityBoundingSet", ""),
        ("UMask", "0077"),
    ];
    for (key, value) in expected {
        assert_eq!(single(key), value, "[Service] {key}");
    }

    let families: BTreeSet<String> = single("RestrictAddressFamilies")
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    let want: BTreeSet<String> = ["AF_UNIX", "AF_INET", "AF_INET6", "AF_NETLINK"]
        .map(str::to_owned)
        .into();
    assert_eq!(families, want, "RestrictAddressFamilies");

    let devices: BTreeSet<String> = service
        .get("DeviceAllow")
        .expect("DeviceAllow")
        .iter()
        .map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    let want: BTreeSet<String> = [
        "char-usb_device rw",
        "char-ttyUSB rw",
        "char-ttyACM rw",
        "char-video4linux rw",
    ]
    .map(str::to_owned)
    .into();
    assert_eq!(devices, want, "DeviceAllow");

    let env = service.get("Environment").cloned().unwrap_or_default();
    assert!(
        env.iter()
            .any(|e| e.split_whitespace().any(|kv| kv.starts_with("RUST_LOG="))),
        "Environment should set a default RUST_LOG: {env:?}"
    );
    for (key, forbidden) in [
        ("PrivateDevices", "yes"),
        ("DynamicUser", "yes"),
        ("PrivateUsers", "yes"),
    ] {
        assert!(
            !service
                .get(key)
                .is_some_and(|v| v.iter().any(|x| x == forbidden)),
            "{key}={forbidden} would hide the devices or the rekam group"
        );
    }
    let install = unit.get("Install").expect("[Install] section");
    assert_eq!(
        install.get("WantedBy").map(Vec::as_slice),
        Some(&["multi-user.target".to_owned()][..])
    );
}

#[test]
fn user_and_group_agree_across_files() {
    let sysusers = read(&systemd_dir().join("rekamd.sysusers"));
    let lines: Vec<Vec<String>> = sysusers
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            // Split on whitespace, keeping a double-quoted field whole.
            let mut fields = Vec::new();
            let mut rest = l;
            while !rest.is_empty() {
                if let Some(q) = rest.strip_prefix('"') {
                    let end = q.find('"').expect("closing quote");
                    fields.push(q[..end].to_owned());
                    rest = q[end + 1..].trim_start();
                } else {
                    let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
                    fields.push(rest[..end].to_owned());
                    rest = rest[end..].trim_start();
                }
            }
            fields
        })
        .collect();
    assert!(
        lines.contains(&vec!["g".into(), "rekam".into(), "-".into()]),
        "{lines:?}"
    );
    assert!(
        lines.contains(&vec![
            "u".into(),
            "rekam".into(),
            "-".into(),
            "Rekam station daemon".into(),
            "/var/lib/rekam".into()
        ]),
        "{lines:?}"
    );
    let unit = parse_unit(&read(&systemd_dir().join("rekamd.service")));
    let service = &unit["Service"];
    assert_eq!(service["User"], vec!["rekam".to_owned()]);
    assert_eq!(service["Group"], vec!["rekam".to_owned()]);
    assert_eq!(
        service["StateDirectory"],
        vec!["rekam".to_owned()],
        "home is /var/lib/rekam"
    );
}

fn find_in_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    })
}

/// The path of a systemd tool, or `None` when absent and `REKAM_ALLOW_NO_SYSTEMD=1`.
/// Absent without that variable: the test fails.
fn systemd_tool(name: &str) -> Option<PathBuf> {
    if let Some(path) = find_in_path(name) {
        return Some(path);
    }
    if std::env::var("REKAM_ALLOW_NO_SYSTEMD").as_deref() == Ok("1") {
        eprintln!(
            "NOT CHECKED: `{name}` is not installed (Debian package `systemd`) and \
             REKAM_ALLOW_NO_SYSTEMD=1 is set"
        );
        return None;
    }
    panic!(
        "`{name}` is not on PATH: install the Debian package `systemd` \
         (apt-get install -y systemd), or set REKAM_ALLOW_NO_SYSTEMD=1 to leave this check out"
    );
}

/// Runs `systemd-analyze verify` on `unit_text` saved as `rekamd.service` and returns
/// (success, lines that mention the unit, full output).
fn analyze_verify(tool: &Path, unit_text: &str) -> (bool, Vec<String>, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rekamd.service");
    std::fs::write(&path, unit_text).unwrap();
    let out = Command::new(tool)
        .args(["verify", "--man=no"])
        .arg(&path)
        .current_dir(dir.path())
        .env("SYSTEMD_LOG_LEVEL", "info")
        .env("SYSTEMD_LOG_COLOR", "0")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let about_unit = text
        .lines()
        .filter(|l| l.contains("rekamd.service"))
        .map(str::to_owned)
        .collect();
    (out.status.success(), about_unit, text)
}

#[test]
fn systemd_analyze_verify_accepts_the_unit() {
    let Some(tool) = systemd_tool("systemd-analyze") else {
        return;
    };
    let unit = read(&systemd_dir().join("rekamd.service"));
    // rekamd is not installed here: point ExecStart at a binary that exists, keep the rest.
    let true_bin = ["/bin/true", "/usr/bin/true"]
        .into_iter()
        .find(|p| Path::new(p).is_file())
        .expect("/bin/true");
    let exec = "ExecStart=/usr/bin/rekamd ";
    assert_eq!(unit.matches(exec).count(), 1, "one ExecStart");
    let testable = unit.replace(exec, &format!("ExecStart={true_bin} "));

    let (ok, about_unit, output) = analyze_verify(&tool, &testable);
    assert!(ok, "systemd-analyze verify failed:\n{output}");
    assert!(
        about_unit.is_empty(),
        "systemd-analyze verify warns about the unit:\n{}",
        about_unit.join("\n")
    );

    // The same run must see a broken key, or the check above proves nothing.
    let broken = testable.replace(
        "ProtectSystem=strict",
        "ProtectSystem=strict\nProtectSistem=yes",
    );
    let (_, about_unit, output) = analyze_verify(&tool, &broken);
    assert!(
        about_unit.iter().any(|l| l.contains("ProtectSistem")),
        "systemd-analyze did not report an unknown key; output:\n{output}"
    );
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(2) == Some("0"))
        })
        .unwrap_or(false)
}

#[test]
fn sysusers_and_tmpfiles_apply_to_a_scratch_root() {
    let (Some(sysusers), Some(tmpfiles)) = (
        systemd_tool("systemd-sysusers"),
        systemd_tool("systemd-tmpfiles"),
    ) else {
        return;
    };
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir(root.path().join("etc")).unwrap();

    let out = Command::new(sysusers)
        .arg(format!("--root={}", root.path().display()))
        .arg(systemd_dir().join("rekamd.sysusers"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "systemd-sysusers: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let passwd = read(&root.path().join("etc/passwd"));
    let rekam: Vec<&str> = passwd
        .lines()
        .find(|l| l.starts_with("rekam:"))
        .unwrap_or_else(|| panic!("no rekam user in {passwd}"))
        .split(':')
        .collect();
    assert_eq!(rekam[4], "Rekam station daemon");
    assert_eq!(rekam[5], "/var/lib/rekam");
    let group = read(&root.path().join("etc/group"));
    let gid = group
        .lines()
        .find(|l| l.starts_with("rekam:"))
        .unwrap_or_else(|| panic!("no rekam group in {group}"))
        .split(':')
        .nth(2)
        .unwrap()
        .to_owned();
    assert_eq!(rekam[3], gid, "the user's primary group is rekam");

    let out = Command::new(tmpfiles)
        .arg(format!("--root={}", root.path().display()))
        .arg("--create")
        .arg(systemd_dir().join("rekamd.tmpfiles"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if is_root() {
        assert!(out.status.success(), "systemd-tmpfiles: {stderr}");
    } else {
        // Only the chown to rekam needs root; any other complaint is a real problem.
        assert!(
            stderr
                .lines()
                .all(|l| l.contains("Operation not permitted")),
            "systemd-tmpfiles: {stderr}"
        );
    }
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(root.path().join("etc/rekam")).unwrap();
    assert!(meta.is_dir());
    assert_eq!(meta.mode() & 0o7777, 0o750, "/etc/rekam mode");
    if is_root() {
        assert_eq!(meta.gid().to_string(), gid, "/etc/rekam group");
    }
}
