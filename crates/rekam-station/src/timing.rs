//! Step timings against the office's time standards (standar waktu), shared by session and
//! job views, and the serde helpers for times in events.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// How long one step took against its standard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepTiming {
    /// The step, as named in the time-standard configuration: `recording`, `capture.face`,
    /// `capture.left_slap`, ..., `printing`, `activation`, `handover`.
    pub step: String,
    /// How long it took (wall clock; zero if the clock went backwards).
    pub took: Duration,
    /// The office's standard, when it sets one.
    pub standard: Option<Duration>,
    /// True when `took <= standard`, or when there is no standard.
    pub within: bool,
}

impl StepTiming {
    /// The timing of `step` from `from` to `to` against `standard_secs`.
    pub fn new(
        step: impl Into<String>,
        from: OffsetDateTime,
        to: OffsetDateTime,
        standard_secs: Option<u64>,
    ) -> Self {
        let took = elapsed(from, to);
        let standard = standard_secs.map(Duration::from_secs);
        StepTiming {
            step: step.into(),
            took,
            standard,
            within: standard.is_none_or(|s| took <= s),
        }
    }
}

/// `to - from`, clamped at zero.
pub fn elapsed(from: OffsetDateTime, to: OffsetDateTime) -> Duration {
    Duration::try_from(to - from).unwrap_or(Duration::ZERO)
}

/// Serde for [`time::Date`] as `YYYY-MM-DD`.
pub mod iso_date {
    time::serde::format_description!(with, Date, "[year]-[month]-[day]");
    pub use with::{deserialize, serialize};
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn within_and_over_and_backwards() {
        let t0 = datetime!(2025-01-06 08:00 UTC);
        let t = StepTiming::new(
            "recording",
            t0,
            t0 + time::Duration::seconds(300),
            Some(300),
        );
        assert!(t.within);
        assert_eq!(t.took, Duration::from_secs(300));
        let t = StepTiming::new(
            "recording",
            t0,
            t0 + time::Duration::seconds(301),
            Some(300),
        );
        assert!(!t.within);
        let t = StepTiming::new("capture.face", t0, t0 - time::Duration::seconds(5), None);
        assert_eq!((t.took, t.standard, t.within), (Duration::ZERO, None, true));
    }
}
