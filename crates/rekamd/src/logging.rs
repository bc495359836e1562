//! Logging: `tracing` to stderr (the systemd journal under systemd), text or JSON.
//!
//! Architecture invariant: no log line carries a full NIK or biometric bytes. Domain types
//! redact themselves in `Debug`/`Display` (a NIK prints as `3507**********01`), and the
//! daemon logs ids (session, job, device), never payloads. The end-to-end tests grep the
//! daemon's log for the NIKs they used.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the global subscriber. `RUST_LOG` overrides the default `info` filter.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false);
    let result = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
    if let Err(e) = result {
        eprintln!("rekamd: logging already initialised: {e}");
    }
}
