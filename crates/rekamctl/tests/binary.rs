//! The `rekamctl` binary itself: exit statuses and messages without a daemon.
#![allow(clippy::unwrap_used)]

use std::process::{Command, Output};

fn rekamctl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rekamctl"))
        .args(args)
        .env_remove("REKAM_SOCKET")
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

#[test]
fn a_missing_daemon_exits_3_with_the_socket_and_the_hint() {
    let out = rekamctl(&["--socket", "/nonexistent.sock", "devices"]);
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("cannot reach rekamd at /nonexistent.sock"),
        "{stderr}"
    );
    assert!(
        stderr.contains("is rekamd running? start it with target/release/rekamd"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn the_socket_comes_from_rekam_socket_too() {
    let out = Command::new(env!("CARGO_BIN_EXE_rekamctl"))
        .args(["selftest", "--json"])
        .env("REKAM_SOCKET", "/nonexistent/env.sock")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("/nonexistent/env.sock"), "{stderr}");
}

#[test]
fn usage_errors_exit_2() {
    let out = rekamctl(&[
        "--socket",
        "/nonexistent.sock",
        "fault",
        "sim:fingerprint:0",
        "explode",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("invalid value 'explode'"), "{stderr}");

    let out = rekamctl(&[
        "--socket",
        "/nonexistent.sock",
        "fault",
        "sim:fingerprint:0",
        "low-quality",
        "--finger",
        "left-ring",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("--finger applies to partial-slap only"),
        "{stderr}"
    );

    let out = rekamctl(&["enrol"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn help_lists_every_command() {
    let out = rekamctl(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8(out.stdout).unwrap();
    for command in [
        "devices", "watch", "selftest", "fault", "enrol", "session", "job", "supplies",
    ] {
        assert!(
            stdout.contains(command),
            "{command} missing from:\n{stdout}"
        );
    }
}
