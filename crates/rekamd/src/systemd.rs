//! systemd integration: `READY=1` once the socket listens, `STOPPING=1` on shutdown, and
//! watchdog pings while the station answers. Outside systemd (no `$NOTIFY_SOCKET`) every call
//! is a no-op.

use std::time::Duration;

use sd_notify::NotifyState;

/// Tells systemd the daemon is ready, with a status line.
pub fn ready(status: &str) {
    if let Err(e) = sd_notify::notify(false, &[NotifyState::Ready, NotifyState::Status(status)]) {
        tracing::warn!(error = %e, "sd_notify READY failed");
    }
}

/// Tells systemd the daemon is stopping.
pub fn stopping() {
    let _ = sd_notify::notify(false, &[NotifyState::Stopping]);
}

/// The watchdog interval systemd asked for, if any (`WatchdogSec=`).
pub fn watchdog_interval() -> Option<Duration> {
    let mut usec = 0u64;
    if sd_notify::watchdog_enabled(false, &mut usec) && usec > 0 {
        Some(Duration::from_micros(usec))
    } else {
        None
    }
}

/// Pings the watchdog.
pub fn ping() {
    let _ = sd_notify::notify(false, &[NotifyState::Watchdog]);
}
