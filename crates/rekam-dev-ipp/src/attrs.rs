//! What a printer says about itself (Get-Printer-Attributes), and how its
//! `printer-state-reasons` become hal [`Condition`]s, a [`DeviceStatus`] and [`Supplies`].
//!
//! Reason keywords (RFC 8011 section 5.4.12, PWG 5100.9) may carry a severity suffix:
//! `-report`, `-warning` or `-error` (no suffix means error). ippeveprinter, for one, reports
//! `media-empty-report` while idle and `media-empty-warning` while printing. The condition is
//! present whatever the suffix; the suffix only says how loudly.

use ipp::prelude::{DelimiterTag, IppRequestResponse, IppValue};
use rekam_hal::{Condition, DeviceState, DeviceStatus, Supplies};

/// How serious a reason is, from its suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// `-report`: for information.
    Report,
    /// `-warning`: the printer goes on, but someone should look.
    Warning,
    /// `-error` or no suffix: the printer cannot go on.
    Error,
}

/// One `printer-state-reasons` keyword, split into its base and severity.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StateReason {
    /// The keyword without its suffix, e.g. `media-empty`.
    pub keyword: String,
    /// Its severity.
    pub severity: Severity,
}

impl StateReason {
    /// Parses a keyword such as `media-empty-report`.
    ///
    /// ```
    /// use rekam_dev_ipp::attrs::{Severity, StateReason};
    /// let r = StateReason::parse("marker-supply-empty-warning");
    /// assert_eq!((r.keyword.as_str(), r.severity), ("marker-supply-empty", Severity::Warning));
    /// assert_eq!(StateReason::parse("media-jam").severity, Severity::Error);
    /// ```
    pub fn parse(text: &str) -> Self {
        for (suffix, severity) in [
            ("-report", Severity::Report),
            ("-warning", Severity::Warning),
            ("-error", Severity::Error),
        ] {
            if let Some(base) = text.strip_suffix(suffix) {
                return StateReason {
                    keyword: base.to_owned(),
                    severity,
                };
            }
        }
        StateReason {
            keyword: text.to_owned(),
            severity: Severity::Error,
        }
    }

    /// The hal condition this reason means, if any.
    ///
    /// ```
    /// use rekam_dev_ipp::attrs::StateReason;
    /// use rekam_hal::Condition;
    /// assert_eq!(StateReason::parse("media-needed-error").condition(), Some(Condition::MediaEmpty));
    /// assert_eq!(StateReason::parse("marker-supply-empty").condition(), Some(Condition::RibbonEmpty));
    /// assert_eq!(StateReason::parse("none").condition(), None);
    /// ```
    pub fn condition(&self) -> Option<Condition> {
        Some(match self.keyword.as_str() {
            "media-empty" | "media-needed" => Condition::MediaEmpty,
            "media-low" => Condition::MediaLow,
            "marker-supply-empty" | "toner-empty" => Condition::RibbonEmpty,
            "marker-supply-low" | "toner-low" => Condition::RibbonLow,
            "media-jam" | "input-tray-missing" => Condition::MediaJam,
            "cover-open" | "door-open" | "interlock-open" => Condition::CoverOpen,
            "offline" | "shutdown" | "timed-out" => Condition::Offline,
            _ => return None,
        })
    }
}

/// The printer's `printer-state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrinterState {
    /// 3: idle.
    Idle,
    /// 4: processing a job.
    Processing,
    /// 5: stopped (needs someone).
    Stopped,
    /// Absent or another value.
    Unknown,
}

/// The printer attributes the driver uses.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PrinterAttributes {
    /// `printer-make-and-model`.
    pub make_and_model: Option<String>,
    /// `printer-uuid` (stands in for a serial number).
    pub uuid: Option<String>,
    /// `printer-firmware-string-version`, first value.
    pub firmware: Option<String>,
    /// `document-format-supported`, every value (a printer may list the attribute twice).
    pub formats: Vec<String>,
    /// `media-supported`.
    pub media: Vec<String>,
    /// `media-default`.
    pub media_default: Option<String>,
    /// Resolutions supported, dots per inch (cross-feed), from `printer-resolution-supported`
    /// and `pwg-raster-document-resolution-supported`.
    pub resolutions_dpi: Vec<u16>,
    /// `printer-state`.
    pub state: Option<PrinterState>,
    /// `printer-state-reasons` (without `none`).
    pub reasons: Vec<StateReason>,
    /// `printer-is-accepting-jobs`.
    pub accepting_jobs: Option<bool>,
    /// `marker-levels` (percent; negative values mean unknown).
    pub marker_levels: Vec<i32>,
}

/// The attributes a Get-Printer-Attributes request asks for.
pub const REQUESTED: [&str; 14] = [
    "printer-make-and-model",
    "printer-uuid",
    "printer-firmware-string-version",
    "document-format-supported",
    "media-supported",
    "media-default",
    "printer-resolution-supported",
    "pwg-raster-document-resolution-supported",
    "printer-state",
    "printer-state-reasons",
    "printer-state-message",
    "printer-is-accepting-jobs",
    "marker-levels",
    "marker-names",
];

fn texts(value: &IppValue) -> Vec<String> {
    value
        .into_iter()
        .filter_map(|v| match v {
            IppValue::Keyword(s) | IppValue::MimeMediaType(s) => Some(s.as_str().to_owned()),
            IppValue::TextWithoutLanguage(t) => Some(t.as_ref().to_owned()),
            IppValue::NameWithoutLanguage(n) => Some(n.as_str().to_owned()),
            IppValue::TextWithLanguage { text, .. } => Some(text.as_ref().to_owned()),
            IppValue::Uri(s) => Some(s.as_str().to_owned()),
            _ => None,
        })
        .collect()
}

fn integers(value: &IppValue) -> Vec<i32> {
    value
        .into_iter()
        .filter_map(|v| match v {
            IppValue::Integer(i) | IppValue::Enum(i) => Some(*i),
            _ => None,
        })
        .collect()
}

fn dpis(value: &IppValue) -> Vec<u16> {
    value
        .into_iter()
        .filter_map(|v| match v {
            // units 3: dots per inch; 4: dots per centimetre.
            IppValue::Resolution {
                cross_feed, units, ..
            } => {
                let dpi = if *units == 4 {
                    (f64::from(*cross_feed) * 2.54).round() as i64
                } else {
                    i64::from(*cross_feed)
                };
                u16::try_from(dpi).ok()
            }
            _ => None,
        })
        .collect()
}

fn push_unique(into: &mut Vec<String>, values: Vec<String>) {
    for v in values {
        if !into.contains(&v) {
            into.push(v);
        }
    }
}

impl PrinterAttributes {
    /// Reads the printer attributes group of a response (duplicated attributes are merged).
    pub fn from_response(resp: &IppRequestResponse) -> Self {
        let mut a = PrinterAttributes::default();
        for group in resp.attributes().groups_of(DelimiterTag::PrinterAttributes) {
            for attr in group.attributes() {
                let v = attr.value();
                match attr.name().as_str() {
                    "printer-make-and-model" => {
                        a.make_and_model = texts(v).into_iter().next();
                    }
                    "printer-uuid" => a.uuid = texts(v).into_iter().next(),
                    "printer-firmware-string-version" => {
                        a.firmware = texts(v).into_iter().next();
                    }
                    "document-format-supported" => push_unique(&mut a.formats, texts(v)),
                    "media-supported" => push_unique(&mut a.media, texts(v)),
                    "media-default" => a.media_default = texts(v).into_iter().next(),
                    "printer-resolution-supported" | "pwg-raster-document-resolution-supported" => {
                        for d in dpis(v) {
                            if !a.resolutions_dpi.contains(&d) {
                                a.resolutions_dpi.push(d);
                            }
                        }
                    }
                    "printer-state" => {
                        a.state = Some(match integers(v).first() {
                            Some(3) => PrinterState::Idle,
                            Some(4) => PrinterState::Processing,
                            Some(5) => PrinterState::Stopped,
                            _ => PrinterState::Unknown,
                        });
                    }
                    "printer-state-reasons" => {
                        a.reasons = texts(v)
                            .iter()
                            .filter(|k| k.as_str() != "none")
                            .map(|k| StateReason::parse(k))
                            .collect();
                    }
                    "printer-is-accepting-jobs" => {
                        if let IppValue::Boolean(b) = v {
                            a.accepting_jobs = Some(*b);
                        }
                    }
                    "marker-levels" => a.marker_levels = integers(v),
                    _ => {}
                }
            }
        }
        a
    }

    /// The hal conditions behind the state reasons, sorted, without duplicates.
    pub fn conditions(&self) -> Vec<Condition> {
        let mut c: Vec<Condition> = self
            .reasons
            .iter()
            .filter_map(StateReason::condition)
            .collect();
        // A supply that is out is not also "low".
        if c.contains(&Condition::MediaEmpty) {
            c.retain(|x| *x != Condition::MediaLow);
        }
        if c.contains(&Condition::RibbonEmpty) {
            c.retain(|x| *x != Condition::RibbonLow);
        }
        c.sort();
        c.dedup();
        c
    }

    /// Supplies as far as IPP tells them: blanks are `Some(0)` when the printer reports no
    /// media (IPP does not count cards), else unknown; the ribbon is `Some(0)` when the
    /// marker supply is empty, else the first known `marker-levels` value.
    pub fn supplies(&self) -> Supplies {
        let conditions = self.conditions();
        let blanks = conditions.contains(&Condition::MediaEmpty).then_some(0);
        let ribbon_percent = if conditions.contains(&Condition::RibbonEmpty) {
            Some(0)
        } else {
            self.marker_levels
                .iter()
                .find(|l| (0..=100).contains(*l))
                .and_then(|l| u8::try_from(*l).ok())
        };
        Supplies {
            blanks,
            ribbon_percent,
        }
    }

    /// The device status: `NeedsAttention` for a blocking condition or a stopped printer,
    /// `Busy` while it processes a job, else `Ready`.
    pub fn status(&self) -> DeviceStatus {
        let conditions = self.conditions();
        let blocking = conditions.iter().any(|c| c.is_blocking());
        let (state, detail) = if blocking {
            (DeviceState::NeedsAttention, Some("needs attention"))
        } else if self.state == Some(PrinterState::Stopped) {
            (DeviceState::NeedsAttention, Some("printer stopped"))
        } else if self.accepting_jobs == Some(false) {
            (DeviceState::NeedsAttention, Some("not accepting jobs"))
        } else if self.state == Some(PrinterState::Processing) {
            (DeviceState::Busy, None)
        } else {
            (DeviceState::Ready, None)
        };
        DeviceStatus {
            state,
            conditions,
            supplies: Some(self.supplies()),
            detail: detail.map(str::to_owned),
        }
    }

    /// True when the printer takes `format` (a MIME type).
    pub fn supports_format(&self, format: &str) -> bool {
        self.formats.iter().any(|f| f.eq_ignore_ascii_case(format))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_do_not_hide_a_condition() {
        for text in [
            "media-empty",
            "media-empty-report",
            "media-empty-warning",
            "media-empty-error",
        ] {
            assert_eq!(
                StateReason::parse(text).condition(),
                Some(Condition::MediaEmpty),
                "{text}"
            );
        }
    }

    #[test]
    fn every_issue_reason_maps() {
        let cases = [
            ("media-empty-error", Condition::MediaEmpty),
            ("media-needed-warning", Condition::MediaEmpty),
            ("media-low-report", Condition::MediaLow),
            ("marker-supply-empty-error", Condition::RibbonEmpty),
            ("marker-supply-low-report", Condition::RibbonLow),
            ("media-jam-error", Condition::MediaJam),
            ("cover-open-warning", Condition::CoverOpen),
            ("offline-report", Condition::Offline),
        ];
        for (text, cond) in cases {
            assert_eq!(StateReason::parse(text).condition(), Some(cond), "{text}");
        }
        assert_eq!(StateReason::parse("other-warning").condition(), None);
        assert_eq!(StateReason::parse("none").condition(), None);
    }

    #[test]
    fn status_and_supplies_follow_reasons() {
        let mut a = PrinterAttributes {
            state: Some(PrinterState::Idle),
            accepting_jobs: Some(true),
            marker_levels: vec![-1, 42],
            ..Default::default()
        };
        let s = a.status();
        assert_eq!(s.state, DeviceState::Ready);
        assert_eq!(
            s.supplies,
            Some(Supplies {
                blanks: None,
                ribbon_percent: Some(42)
            })
        );
        a.reasons = vec![
            StateReason::parse("marker-supply-low-report"),
            StateReason::parse("marker-supply-empty-warning"),
            StateReason::parse("media-low-report"),
        ];
        let s = a.status();
        assert_eq!(s.state, DeviceState::NeedsAttention);
        assert_eq!(
            s.conditions,
            vec![Condition::MediaLow, Condition::RibbonEmpty]
        );
        assert_eq!(s.supplies.unwrap().ribbon_percent, Some(0));
        a.reasons = vec![StateReason::parse("media-needed-error")];
        assert_eq!(a.supplies().blanks, Some(0));
        a.reasons.clear();
        a.state = Some(PrinterState::Processing);
        assert_eq!(a.status().state, DeviceState::Busy);
        a.state = Some(PrinterState::Stopped);
        assert_eq!(a.status().state, DeviceState::NeedsAttention);
    }
}
