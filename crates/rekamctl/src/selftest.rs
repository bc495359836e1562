//! `selftest`: runs RunSelfTest, shows one progress bar per device on a terminal, then a
//! report of every device and check. Any device that did not pass makes the command fail
//! with `SELFTEST_FAILED` (exit 1).

use std::collections::HashMap;
use std::io::{self, Write};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use rekam_proto::v1;
use serde::Serialize;

use crate::connect::Clients;
use crate::error::CtlError;
use crate::names;
use crate::output::Ctx;
use crate::ui::{self, pb_duration, Cell, Paint, Style, Table};

/// The code of a failed self-test, in `error: ... [SELFTEST_FAILED]`.
pub const SELFTEST_FAILED: &str = "SELFTEST_FAILED";

/// One device's report, for JSON.
#[derive(Debug, Clone, Serialize)]
pub struct ReportView {
    /// The device.
    pub device_id: String,
    /// Every check passed.
    pub passed: bool,
    /// Total time, milliseconds.
    pub took_ms: Option<u64>,
    /// Why the test could not run or stopped early.
    pub reason: Option<String>,
    /// The checks.
    pub checks: Vec<CheckView>,
}

/// One check, for JSON.
#[derive(Debug, Clone, Serialize)]
pub struct CheckView {
    /// Name.
    pub name: String,
    /// Passed.
    pub passed: bool,
    /// What was seen.
    pub detail: String,
    /// Milliseconds.
    pub took_ms: Option<u64>,
}

impl ReportView {
    /// The view of a report.
    pub fn new(r: &v1::SelfTestReport) -> Self {
        Self {
            device_id: r.device_id.clone(),
            passed: r.passed,
            took_ms: pb_duration!(r.took).map(ui::millis),
            reason: names::reason(r.reason),
            checks: r
                .checks
                .iter()
                .map(|c| CheckView {
                    name: c.name.clone(),
                    passed: c.passed,
                    detail: c.detail.clone(),
                    took_ms: pb_duration!(c.took).map(ui::millis),
                })
                .collect(),
        }
    }
}

/// One line of `selftest --json`.
#[derive(Debug, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum SelfTestLine {
    /// A device's test moved on.
    Progress {
        /// The device.
        device_id: String,
        /// The check under way.
        step: String,
        /// 0.0 to 1.0.
        fraction: f32,
    },
    /// A device's report.
    Report(ReportView),
    /// The last line: the totals.
    Summary {
        /// Devices tested.
        tested: usize,
        /// Devices that passed.
        passed: usize,
        /// Devices that did not.
        failed: Vec<String>,
    },
}

fn took_text(d: Option<std::time::Duration>) -> String {
    d.map_or_else(String::new, ui::human_duration)
}

/// Writes the report: per device PASS/FAIL, its time and reason, then each check with a
/// ✓/✗ mark, its time and detail; then the totals.
pub fn render_report(
    reports: &[v1::SelfTestReport],
    out: &mut dyn Write,
    style: &Style,
) -> io::Result<()> {
    if reports.is_empty() {
        return writeln!(out, "no devices tested");
    }
    let mut table = Table::new(&["DEVICE / CHECK", "RESULT", "TOOK", "DETAIL"]);
    for r in reports {
        let (verdict, paint) = if r.passed {
            ("PASS", Paint::Good)
        } else {
            ("FAIL", Paint::Bad)
        };
        let detail = match names::reason(r.reason) {
            Some(reason) if r.checks.is_empty() => format!("did not run: {reason}"),
            Some(reason) => format!("stopped: {reason}"),
            None if r.checks.is_empty() => "no checks".to_owned(),
            None => String::new(),
        };
        table.row(vec![
            Cell::painted(r.device_id.clone(), Paint::Bold),
            Cell::painted(verdict, paint),
            took_text(pb_duration!(r.took)).into(),
            detail.into(),
        ]);
        for c in &r.checks {
            let (mark, paint) = if c.passed {
                ("✓", Paint::Good)
            } else {
                ("✗", Paint::Bad)
            };
            table.row(vec![
                format!("  {}", c.name).into(),
                Cell::painted(mark, paint),
                took_text(pb_duration!(c.took)).into(),
                c.detail.as_str().into(),
            ]);
        }
    }
    table.write(out, style)?;
    let failed = reports.iter().filter(|r| !r.passed).count();
    let plural = if reports.len() == 1 { "" } else { "s" };
    writeln!(
        out,
        "\n{} device{plural} tested: {} passed, {}",
        reports.len(),
        reports.len() - failed,
        if failed == 0 {
            style.paint(Paint::Good, "0 failed")
        } else {
            style.paint(Paint::Bad, &format!("{failed} failed"))
        }
    )
}

/// The error for reports that did not all pass; `None` when every device passed.
pub fn failure(reports: &[v1::SelfTestReport]) -> Option<CtlError> {
    let failed: Vec<&str> = reports
        .iter()
        .filter(|r| !r.passed)
        .map(|r| r.device_id.as_str())
        .collect();
    if failed.is_empty() {
        return None;
    }
    Some(CtlError::Failed {
        message: format!(
            "self-test failed on {} of {} device{}: {}",
            failed.len(),
            reports.len(),
            if reports.len() == 1 { "" } else { "s" },
            failed.join(", ")
        ),
        code: SELFTEST_FAILED.to_owned(),
    })
}

/// Progress bars, one per device, drawn only on a terminal.
struct Bars {
    multi: MultiProgress,
    style: ProgressStyle,
    bars: HashMap<String, ProgressBar>,
}

impl Bars {
    fn new(visible: bool) -> Self {
        let target = if visible {
            ProgressDrawTarget::stdout()
        } else {
            ProgressDrawTarget::hidden()
        };
        let style = ProgressStyle::with_template("{prefix:<26} [{bar:30}] {pos:>3}% {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        Self {
            multi: MultiProgress::with_draw_target(target),
            style,
            bars: HashMap::new(),
        }
    }

    fn bar(&mut self, device: &str) -> &ProgressBar {
        self.bars.entry(device.to_owned()).or_insert_with(|| {
            let bar = self.multi.add(ProgressBar::new(100));
            bar.set_style(self.style.clone());
            bar.set_prefix(device.to_owned());
            bar
        })
    }

    fn progress(&mut self, p: &v1::SelfTestProgress) {
        let percent = (p.fraction.clamp(0.0, 1.0) * 100.0).round();
        let bar = self.bar(&p.device_id);
        // `percent` is within 0..=100 after the clamp.
        bar.set_position(percent as u64);
        bar.set_message(p.step.clone());
    }

    fn done(&mut self, r: &v1::SelfTestReport) {
        let bar = self.bar(&r.device_id);
        if r.passed {
            bar.set_position(100);
        }
        bar.finish_with_message(if r.passed { "PASS" } else { "FAIL" });
    }
}

/// `selftest [DEVICE]`.
pub async fn selftest(
    c: &Clients,
    device: Option<&str>,
    ctx: &mut Ctx<'_>,
) -> Result<(), CtlError> {
    let request = v1::RunSelfTestRequest {
        device_id: device.unwrap_or_default().to_owned(),
    };
    let mut stream = c
        .stream(
            c.devices
                .clone()
                .run_self_test(tonic::Request::new(request)),
        )
        .await?;
    let mut bars = Bars::new(ctx.progress && !ctx.json);
    let mut reports = Vec::new();
    while let Some(event) = c.next(&mut stream).await? {
        match event.event {
            Some(v1::self_test_event::Event::Progress(p)) => {
                bars.progress(&p);
                if ctx.json {
                    ui::json_line(
                        ctx.out,
                        &SelfTestLine::Progress {
                            device_id: p.device_id,
                            step: p.step,
                            fraction: p.fraction,
                        },
                    )?;
                }
            }
            Some(v1::self_test_event::Event::Report(r)) => {
                bars.done(&r);
                if ctx.json {
                    ui::json_line(ctx.out, &SelfTestLine::Report(ReportView::new(&r)))?;
                }
                reports.push(r);
            }
            // A case this build does not know: ignored, as the contract says.
            None => {}
        }
    }
    if ctx.json {
        let failed: Vec<String> = reports
            .iter()
            .filter(|r| !r.passed)
            .map(|r| r.device_id.clone())
            .collect();
        ui::json_line(
            ctx.out,
            &SelfTestLine::Summary {
                tested: reports.len(),
                passed: reports.len() - failed.len(),
                failed,
            },
        )?;
    } else {
        if !bars.bars.is_empty() && ctx.progress {
            writeln!(ctx.out)?;
        }
        render_report(&reports, ctx.out, &ctx.style)?;
    }
    match failure(&reports) {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use rekam_proto::convert::duration;

    use super::*;

    fn check(name: &str, passed: bool, detail: &str, ms: u64) -> v1::SelfTestCheck {
        v1::SelfTestCheck {
            name: name.into(),
            passed,
            detail: detail.into(),
            took: Some(duration(Duration::from_millis(ms))),
        }
    }

    fn reports() -> Vec<v1::SelfTestReport> {
        vec![
            v1::SelfTestReport {
                device_id: "sim:fingerprint:0".into(),
                passed: true,
                checks: vec![
                    check("sensor responds", true, "answered in 11 ms", 12),
                    check("platen clean", true, "", 40),
                ],
                took: Some(duration(Duration::from_millis(1200))),
                reason: 0,
            },
            v1::SelfTestReport {
                device_id: "sim:card-printer:0".into(),
                passed: false,
                checks: vec![check("ribbon present", false, "ribbon at 0 %", 3)],
                took: Some(duration(Duration::from_millis(500))),
                reason: 0,
            },
            v1::SelfTestReport {
                device_id: "sim:encoder:0".into(),
                passed: false,
                checks: vec![],
                took: None,
                reason: v1::ErrorReason::DeviceBusy.into(),
            },
        ]
    }

    #[test]
    fn the_report_shows_devices_checks_details_and_durations() {
        let mut buf = Vec::new();
        render_report(&reports(), &mut buf, &Style::plain()).unwrap();
        let out = String::from_utf8(buf).unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines[0].starts_with("DEVICE / CHECK"));
        let result_col = lines[0].find("RESULT").unwrap();
        let detail_col = lines[0].find("DETAIL").unwrap();
        assert!(lines[1].starts_with("sim:fingerprint:0"));
        assert_eq!(lines[1].find("PASS"), Some(result_col));
        assert!(lines[1].contains("1.2 s"));
        assert!(lines[2].starts_with("  sensor responds"));
        assert_eq!(
            lines[2].find('✓').map(|i| lines[2][..i].chars().count()),
            Some(result_col)
        );
        assert!(lines[2].contains("12 ms"));
        assert_eq!(
            lines[2]
                .find("answered in 11 ms")
                .map(|i| lines[2][..i].chars().count()),
            Some(detail_col)
        );
        assert_eq!(lines[4].find("FAIL"), Some(result_col));
        assert!(lines[5].contains('✗') && lines[5].ends_with("ribbon at 0 %"));
        assert!(
            lines[6].starts_with("sim:encoder:0") && lines[6].ends_with("did not run: DEVICE_BUSY")
        );
        assert_eq!(
            lines.last().copied(),
            Some("3 devices tested: 1 passed, 2 failed")
        );
    }

    #[test]
    fn a_failed_device_fails_the_command() {
        let all = reports();
        let err = failure(&all).unwrap();
        assert_eq!(err.exit_code(), 1);
        let mut buf = Vec::new();
        err.report(&mut buf).unwrap();
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            "error: self-test failed on 2 of 3 devices: sim:card-printer:0, sim:encoder:0 [SELFTEST_FAILED]\n"
        );
        assert!(failure(&all[..1]).is_none());
        assert!(failure(&[]).is_none());
    }

    #[test]
    fn json_lines_are_valid_json() {
        let mut buf = Vec::new();
        ui::json_line(
            &mut buf,
            &SelfTestLine::Progress {
                device_id: "sim:face:0".into(),
                step: "camera \"opens\"".into(),
                fraction: 0.5,
            },
        )
        .unwrap();
        for r in reports() {
            ui::json_line(&mut buf, &SelfTestLine::Report(ReportView::new(&r))).unwrap();
        }
        let out = String::from_utf8(buf).unwrap();
        let values: Vec<serde_json::Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(values.len(), 4);
        assert_eq!(values[0]["event"], "progress");
        assert_eq!(values[0]["step"], "camera \"opens\"");
        assert_eq!(values[1]["event"], "report");
        assert_eq!(values[1]["checks"][0]["took_ms"], 12);
        assert_eq!(values[3]["reason"], "DEVICE_BUSY");
        assert!(values[3]["took_ms"].is_null());
    }
}
