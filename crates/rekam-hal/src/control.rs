//! Deadlines and cancellation for blocking device calls.
//!
//! Every device call takes a [`Control`]. Drivers check it between steps
//! ([`Control::check`]), bound their I/O waits with [`Control::remaining`], and sleep with
//! [`Control::sleep`], which wakes at once when the token is cancelled. Drivers whose blocking
//! calls must be interrupted from outside (PC/SC `SCardCancel`, say) register a hook with
//! [`CancelToken::on_cancel`].

use std::fmt;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::error::{DeviceError, Result};

type Hook = Box<dyn FnOnce() + Send>;

#[derive(Default)]
struct Inner {
    state: Mutex<State>,
    wake: Condvar,
}

#[derive(Default)]
struct State {
    cancelled: bool,
    hooks: Vec<Hook>,
}

/// A cloneable cancellation flag that wakes sleepers and runs hooks when set.
///
/// ```
/// use rekam_hal::CancelToken;
/// let token = CancelToken::new();
/// let clone = token.clone();
/// assert!(!clone.is_cancelled());
/// token.cancel();
/// assert!(clone.is_cancelled());
/// ```
#[derive(Clone, Default)]
pub struct CancelToken {
    inner: Arc<Inner>,
}

impl fmt::Debug for CancelToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancelToken")
            .field("cancelled", &self.is_cancelled())
            .finish()
    }
}

impl CancelToken {
    /// A fresh, uncancelled token.
    pub fn new() -> Self {
        Self::default()
    }

    /// Cancels: wakes every sleeper and runs the registered hooks once. Idempotent.
    pub fn cancel(&self) {
        let hooks = {
            let mut state = self
                .inner
                .state
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if state.cancelled {
                return;
            }
            state.cancelled = true;
            std::mem::take(&mut state.hooks)
        };
        self.inner.wake.notify_all();
        for hook in hooks {
            hook();
        }
    }

    /// True once [`CancelToken::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .cancelled
    }

    /// Runs `hook` when the token is cancelled (at once if it already is).
    pub fn on_cancel(&self, hook: impl FnOnce() + Send + 'static) {
        let mut state = self
            .inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if state.cancelled {
            drop(state);
            hook();
        } else {
            state.hooks.push(Box::new(hook));
        }
    }

    /// Waits up to `dur`; returns true if the token was cancelled meanwhile.
    pub fn wait_timeout(&self, dur: Duration) -> bool {
        let end = Instant::now() + dur;
        let mut state = self
            .inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        loop {
            if state.cancelled {
                return true;
            }
            let now = Instant::now();
            if now >= end {
                return false;
            }
            state = self
                .inner
                .wake
                .wait_timeout(state, end - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }
}

/// The deadline and cancellation token of one device call.
///
/// ```
/// use std::time::Duration;
/// use rekam_hal::{Control, ErrorKind};
/// let ctl = Control::with_timeout(Duration::from_millis(5));
/// assert!(ctl.check().is_ok());
/// let err = ctl.sleep(Duration::from_secs(5)).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::Timeout);
///
/// let ctl = Control::with_timeout(Duration::from_secs(5));
/// ctl.token().cancel();
/// assert_eq!(ctl.sleep(Duration::from_secs(5)).unwrap_err().kind(), ErrorKind::Cancelled);
/// ```
#[derive(Debug, Clone)]
pub struct Control {
    deadline: Instant,
    token: CancelToken,
    what: &'static str,
}

impl Control {
    /// A control with its own fresh token and the given timeout.
    pub fn with_timeout(timeout: Duration) -> Self {
        Self::new(timeout, CancelToken::new())
    }

    /// A control sharing `token`, with the given timeout from now.
    pub fn new(timeout: Duration, token: CancelToken) -> Self {
        Control {
            deadline: Instant::now() + timeout,
            token,
            what: "device call",
        }
    }

    /// Names the operation, for timeout messages.
    pub fn named(mut self, what: &'static str) -> Self {
        self.what = what;
        self
    }

    /// A control for a sub-step: the same token, the earlier of the two deadlines.
    pub fn child(&self, timeout: Duration) -> Self {
        Control {
            deadline: self.deadline.min(Instant::now() + timeout),
            token: self.token.clone(),
            what: self.what,
        }
    }

    /// The cancellation token.
    pub fn token(&self) -> &CancelToken {
        &self.token
    }

    /// The deadline.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Time left before the deadline (zero once passed).
    pub fn remaining(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }

    /// `Err(Cancelled)` if cancelled, `Err(Timeout)` if past the deadline, else `Ok`.
    pub fn check(&self) -> Result<()> {
        if self.token.is_cancelled() {
            return Err(DeviceError::cancelled());
        }
        if Instant::now() >= self.deadline {
            return Err(DeviceError::timeout(self.what));
        }
        Ok(())
    }

    /// Sleeps `dur`, waking early with `Err(Cancelled)` on cancellation, or with
    /// `Err(Timeout)` if the deadline comes first.
    pub fn sleep(&self, dur: Duration) -> Result<()> {
        self.check()?;
        let remaining = self.remaining();
        let wait = dur.min(remaining);
        if self.token.wait_timeout(wait) {
            return Err(DeviceError::cancelled());
        }
        if dur > remaining {
            return Err(DeviceError::timeout(self.what));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn cancel_wakes_a_sleeper_from_another_thread() {
        let ctl = Control::with_timeout(Duration::from_secs(30));
        let token = ctl.token().clone();
        let start = Instant::now();
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            token.cancel();
        });
        let err = ctl.sleep(Duration::from_secs(20)).unwrap_err();
        t.join().unwrap();
        assert_eq!(err.kind(), ErrorKind::Cancelled);
        assert!(start.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn hooks_run_once_and_late_hooks_run_at_once() {
        let count = Arc::new(AtomicUsize::new(0));
        let token = CancelToken::new();
        let c = count.clone();
        token.on_cancel(move || {
            c.fetch_add(1, Ordering::SeqCst);
        });
        token.cancel();
        token.cancel();
        assert_eq!(count.load(Ordering::SeqCst), 1);
        let c = count.clone();
        token.on_cancel(move || {
            c.fetch_add(10, Ordering::SeqCst);
        });
        assert_eq!(count.load(Ordering::SeqCst), 11);
    }

    #[test]
    fn child_never_extends_the_parent_deadline() {
        let parent = Control::with_timeout(Duration::from_millis(10));
        let child = parent.child(Duration::from_secs(60));
        assert!(child.deadline() <= parent.deadline());
        parent.token().cancel();
        assert_eq!(child.check().unwrap_err().kind(), ErrorKind::Cancelled);
    }
}
