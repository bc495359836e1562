//! Human output: aligned tables, colour only on a terminal, durations and local timestamps.
//!
//! Tables are measured on the plain text and coloured after padding, so colour never
//! breaks alignment; without a terminal (or with `NO_COLOR`) nothing is coloured.

use std::io::{self, Write};
use std::time::Duration;

use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

/// How human output looks on this run.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    /// Use ANSI colours.
    pub color: bool,
    /// The local UTC offset timestamps are shown in.
    pub offset: UtcOffset,
}

impl Style {
    /// No colour, UTC: what tests and pipes get.
    pub fn plain() -> Self {
        Self {
            color: false,
            offset: UtcOffset::UTC,
        }
    }

    /// `text` painted with `paint` when colours are on.
    pub fn paint(&self, paint: Paint, text: &str) -> String {
        let code = match paint {
            Paint::None => return text.to_owned(),
            Paint::Good => "32",
            Paint::Bad => "31",
            Paint::Warn => "33",
            Paint::Dim => "2",
            Paint::Bold => "1",
        };
        if self.color && !text.is_empty() {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
}

/// A colour role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paint {
    /// As is.
    None,
    /// Success (green).
    Good,
    /// Failure (red).
    Bad,
    /// Needs attention (yellow).
    Warn,
    /// Secondary (dim).
    Dim,
    /// Headers (bold).
    Bold,
}

/// A table cell: text and its colour.
#[derive(Debug, Clone)]
pub struct Cell {
    text: String,
    paint: Paint,
}

impl Cell {
    /// A cell painted `paint`.
    pub fn painted(text: impl Into<String>, paint: Paint) -> Self {
        Self {
            text: text.into(),
            paint,
        }
    }
}

impl From<String> for Cell {
    fn from(text: String) -> Self {
        Self::painted(text, Paint::None)
    }
}

impl From<&str> for Cell {
    fn from(text: &str) -> Self {
        Self::painted(text, Paint::None)
    }
}

/// A table with left-aligned columns two spaces apart and no trailing spaces.
#[derive(Debug, Clone)]
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<Cell>>,
    indent: usize,
}

impl Table {
    /// A table with these column headers.
    pub fn new(header: &[&str]) -> Self {
        Self {
            header: header.iter().map(|h| (*h).to_owned()).collect(),
            rows: Vec::new(),
            indent: 0,
        }
    }

    /// Indents every line by `n` spaces.
    pub fn indent(mut self, n: usize) -> Self {
        self.indent = n;
        self
    }

    /// Adds a row (missing cells are empty, extra cells are kept).
    pub fn row(&mut self, cells: Vec<Cell>) {
        self.rows.push(cells);
    }

    /// Whether the table has no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Writes the header and the rows.
    pub fn write(&self, out: &mut dyn Write, style: &Style) -> io::Result<()> {
        let columns = self
            .rows
            .iter()
            .map(Vec::len)
            .chain([self.header.len()])
            .max()
            .unwrap_or(0);
        let mut widths = vec![0usize; columns];
        let header: Vec<Cell> = self
            .header
            .iter()
            .map(|h| Cell::painted(h.clone(), Paint::Bold))
            .collect();
        for row in std::iter::once(&header).chain(&self.rows) {
            for (i, cell) in row.iter().enumerate() {
                widths[i] = widths[i].max(width(&cell.text));
            }
        }
        for row in std::iter::once(&header).chain(&self.rows) {
            let mut line = " ".repeat(self.indent);
            let last = row
                .iter()
                .rposition(|c| !c.text.is_empty())
                .map_or(0, |i| i + 1);
            for (i, cell) in row.iter().take(last).enumerate() {
                let pad = widths[i].saturating_sub(width(&cell.text));
                line.push_str(&style.paint(cell.paint, &cell.text));
                if i + 1 < last {
                    line.push_str(&" ".repeat(pad + 2));
                }
            }
            writeln!(out, "{}", line.trim_end())?;
        }
        Ok(())
    }
}

/// Display width: one column per character (the CLI prints no wide characters).
pub fn width(s: &str) -> usize {
    s.chars().count()
}

/// A std duration from a protobuf duration's parts (negative parts count as zero).
pub fn duration(seconds: i64, nanos: i32) -> Duration {
    let secs = u64::try_from(seconds).unwrap_or(0);
    let nanos = u32::try_from(nanos).unwrap_or(0);
    Duration::new(secs, 0).saturating_add(Duration::from_nanos(u64::from(nanos)))
}

/// A protobuf duration field (`Option<Duration>`) as a std duration.
macro_rules! pb_duration {
    ($field:expr) => {
        $field
            .as_ref()
            .map(|d| $crate::ui::duration(d.seconds, d.nanos))
    };
}
pub(crate) use pb_duration;

/// A protobuf timestamp field (`Option<Timestamp>`) as a date-time.
macro_rules! pb_time {
    ($field:expr) => {
        $field
            .as_ref()
            .and_then(|t| $crate::ui::timestamp(t.seconds, t.nanos))
    };
}
pub(crate) use pb_time;

/// A date-time from a protobuf timestamp's parts; `None` when out of range.
pub fn timestamp(seconds: i64, nanos: i32) -> Option<OffsetDateTime> {
    let t = OffsetDateTime::from_unix_timestamp(seconds).ok()?;
    Some(t + Duration::from_nanos(u64::try_from(nanos).unwrap_or(0)))
}

/// A duration for people: `850 ms`, `2.3 s`, `3m 12s`, `1h 05m`.
pub fn human_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        format!("{:.1} s", d.as_secs_f64())
    } else if ms < 3_600_000 {
        let s = d.as_secs();
        format!("{}m {:02}s", s / 60, s % 60)
    } else {
        let m = d.as_secs() / 60;
        format!("{}h {:02}m", m / 60, m % 60)
    }
}

/// Milliseconds, for JSON.
pub fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// A timestamp in the local offset: `2025-11-21 14:03:05`.
pub fn local_time(t: OffsetDateTime, style: &Style) -> String {
    t.to_offset(style.offset)
        .format(format_description!(
            "[year]-[month]-[day] [hour]:[minute]:[second]"
        ))
        .unwrap_or_default()
}

/// A timestamp in the local offset with milliseconds: `2025-11-21 14:03:05.123`.
pub fn local_time_ms(t: OffsetDateTime, style: &Style) -> String {
    t.to_offset(style.offset)
        .format(format_description!(
            "[year]-[month]-[day] [hour]:[minute]:[second].[subsecond digits:3]"
        ))
        .unwrap_or_default()
}

/// A timestamp for JSON: RFC 3339 in UTC.
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.to_offset(UtcOffset::UTC)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// `-` for an empty string.
pub fn or_dash(s: &str) -> String {
    if s.is_empty() {
        "-".to_owned()
    } else {
        s.to_owned()
    }
}

/// `Some(s)` unless `s` is empty.
pub fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_owned())
}

/// Writes `value` as one line of JSON.
pub fn json_line<T: serde::Serialize>(out: &mut dyn Write, value: &T) -> io::Result<()> {
    serde_json::to_writer(&mut *out, value).map_err(io::Error::other)?;
    writeln!(out)
}

/// Writes `value` as one pretty JSON document.
pub fn json_document<T: serde::Serialize>(out: &mut dyn Write, value: &T) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value).map_err(io::Error::other)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(t: &Table, style: &Style) -> String {
        let mut buf = Vec::new();
        t.write(&mut buf, style).unwrap();
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn columns_align_and_lines_have_no_trailing_spaces() {
        let mut t = Table::new(&["ID", "STATE", "NOTE"]);
        t.row(vec!["sim:fingerprint:0".into(), "ready".into(), "".into()]);
        t.row(vec!["a".into(), "permission-denied".into(), "x".into()]);
        let text = render(&t, &Style::plain());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        let col = lines[0].find("STATE").unwrap();
        assert_eq!(lines[1].find("ready"), Some(col));
        assert_eq!(lines[2].find("permission-denied"), Some(col));
        assert_eq!(lines[2].find('x'), lines[0].find("NOTE"));
        for line in &lines {
            assert_eq!(*line, line.trim_end());
        }
    }

    #[test]
    fn colour_does_not_move_columns() {
        let style = Style {
            color: true,
            offset: UtcOffset::UTC,
        };
        let mut t = Table::new(&["A", "B"]);
        t.row(vec![Cell::painted("PASS", Paint::Good), "x".into()]);
        t.row(vec![Cell::painted("FAILED", Paint::Bad), "y".into()]);
        let text = render(&t, &style);
        assert!(text.contains("\x1b[32mPASS\x1b[0m"));
        let strip = |s: &str| {
            s.replace("\x1b[32m", "")
                .replace("\x1b[31m", "")
                .replace("\x1b[1m", "")
                .replace("\x1b[0m", "")
        };
        let plain = strip(&text);
        let lines: Vec<&str> = plain.lines().collect();
        assert_eq!(lines[1].find('x'), lines[2].find('y'));
        assert_eq!(render(&t, &Style::plain()), plain);
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(human_duration(Duration::from_millis(850)), "850 ms");
        assert_eq!(human_duration(Duration::from_millis(2340)), "2.3 s");
        assert_eq!(human_duration(Duration::from_secs(192)), "3m 12s");
        assert_eq!(human_duration(Duration::from_secs(3900)), "1h 05m");
        assert_eq!(duration(-5, 10), Duration::from_nanos(10));
        assert_eq!(duration(1, 500_000_000), Duration::from_millis(1500));
    }

    #[test]
    fn timestamps_use_the_local_offset() {
        let t = timestamp(1_700_000_000, 123_000_000).unwrap();
        let wib = Style {
            color: false,
            offset: UtcOffset::from_hms(7, 0, 0).unwrap(),
        };
        assert_eq!(local_time(t, &wib), "2023-11-15 05:13:20");
        assert_eq!(local_time_ms(t, &Style::plain()), "2023-11-14 22:13:20.123");
        assert_eq!(rfc3339(t), "2023-11-14T22:13:20.123Z");
    }
}
