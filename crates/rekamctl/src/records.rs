//! Sessions and jobs: `session show|list` and `job show|list`.
//!
//! Only masked NIKs exist here (the daemon never sends a full one). Times against the
//! office's time standards get a ✓ (within) or ✗ (over) mark.

use std::io::{self, Write};
use std::time::Duration;

use rekam_proto::v1;
use serde::Serialize;

use crate::cli::{JobStateArg, SessionStateArg};
use crate::connect::Clients;
use crate::error::CtlError;
use crate::names;
use crate::output::Ctx;
use crate::ui::{self, pb_duration, pb_time, Cell, Paint, Style, Table};

/// A session, for JSON.
#[derive(Debug, Serialize)]
pub struct SessionView {
    /// Session id.
    pub session_id: String,
    /// State wire name.
    pub state: String,
    /// The masked NIK.
    pub nik_masked: String,
    /// Application type wire name.
    pub application_type: String,
    /// Biometrics are recorded.
    pub biometrics_required: bool,
    /// Operator who opened it.
    pub operator_id: String,
    /// Opened (RFC 3339).
    pub opened_at: Option<String>,
    /// Closed (RFC 3339).
    pub closed_at: Option<String>,
    /// Package id once finalized.
    pub package_id: Option<String>,
    /// Why it was cancelled.
    pub cancel_reason: Option<String>,
    /// Every item.
    pub items: Vec<ItemView>,
    /// Targets with pending items.
    pub remaining: Vec<String>,
    /// Step timings.
    pub timings: Vec<TimingView>,
}

/// An item of a session, for JSON.
#[derive(Debug, Serialize)]
pub struct ItemView {
    /// `FACE`, `RIGHT_THUMB`, `LEFT_EYE`, `SIGNATURE`.
    pub item: String,
    /// Item state wire name.
    pub state: String,
    /// Best score kept.
    pub best_score: u32,
    /// Threshold.
    pub threshold: u32,
    /// Attempts made.
    pub attempts: u32,
    /// The exception, when excepted.
    pub exception: Option<ExceptionView>,
}

/// An exception, for JSON.
#[derive(Debug, Serialize)]
pub struct ExceptionView {
    /// Reason wire name.
    pub reason: String,
    /// Permanence wire name.
    pub permanence: String,
    /// Operator.
    pub operator_id: String,
    /// When (RFC 3339).
    pub recorded_at: Option<String>,
    /// Note.
    pub note: String,
    /// Photo hash.
    pub photo_sha256: Option<String>,
}

/// A step timing, for JSON.
#[derive(Debug, Serialize)]
pub struct TimingView {
    /// Step name.
    pub step: String,
    /// Took, milliseconds.
    pub took_ms: Option<u64>,
    /// Standard, milliseconds.
    pub standard_ms: Option<u64>,
    /// Within the standard.
    pub within_standard: bool,
}

impl SessionView {
    /// The view of a session.
    pub fn new(s: &v1::Session) -> Self {
        Self {
            session_id: s.session_id.clone(),
            state: names::session_state_wire(s.state),
            nik_masked: s.nik_masked.clone(),
            application_type: names::application_type_wire(s.application_type),
            biometrics_required: s.biometrics_required,
            operator_id: s.operator_id.clone(),
            opened_at: pb_time!(s.opened_at).map(ui::rfc3339),
            closed_at: pb_time!(s.closed_at).map(ui::rfc3339),
            package_id: ui::non_empty(&s.package_id),
            cancel_reason: ui::non_empty(&s.cancel_reason),
            items: s
                .items
                .iter()
                .map(|i| ItemView {
                    item: names::item_wire(i.item.as_ref()),
                    state: names::item_state_wire(i.state),
                    best_score: i.best_score,
                    threshold: i.threshold,
                    attempts: i.attempts,
                    exception: i.exception.as_ref().map(|e| ExceptionView {
                        reason: names::exception_reason_wire(e.reason),
                        permanence: names::permanence_wire(e.permanence),
                        operator_id: e.operator_id.clone(),
                        recorded_at: pb_time!(e.recorded_at).map(ui::rfc3339),
                        note: e.note.clone(),
                        photo_sha256: ui::non_empty(&e.photo_sha256),
                    }),
                })
                .collect(),
            remaining: s.remaining.iter().map(|t| names::target_wire(*t)).collect(),
            timings: timing_views(&s.timings),
        }
    }
}

fn mark(ok: bool) -> Cell {
    if ok {
        Cell::painted("✓", Paint::Good)
    } else {
        Cell::painted("✗", Paint::Bad)
    }
}

fn time_field(t: Option<time::OffsetDateTime>, style: &Style) -> String {
    t.map_or_else(|| "-".to_owned(), |t| ui::local_time(t, style))
}

fn dur_text(d: Option<Duration>) -> String {
    d.map_or_else(|| "-".to_owned(), ui::human_duration)
}

/// Writes `Label    value` lines with the values aligned.
fn fields(out: &mut dyn Write, rows: &[(&str, String)]) -> io::Result<()> {
    let width = rows.iter().map(|(l, _)| ui::width(l)).max().unwrap_or(0);
    for (label, value) in rows {
        writeln!(out, "{label:<width$}  {value}")?;
    }
    Ok(())
}

fn exception_text(e: &v1::ExceptionInfo, style: &Style) -> String {
    let mut text = format!(
        "{}, {}",
        names::exception_reason(e.reason),
        names::permanence(e.permanence)
    );
    if !e.operator_id.is_empty() {
        text.push_str(&format!(", by {}", e.operator_id));
    }
    if let Some(t) = pb_time!(e.recorded_at) {
        text.push_str(&format!(" at {}", ui::local_time(t, style)));
    }
    if !e.note.is_empty() {
        text.push_str(&format!(": {}", e.note));
    }
    text
}

/// Writes one session: header fields, the items (state, best score against the threshold,
/// attempts, exception), what is still to capture, and the timings against the standards.
pub fn render_session(s: &v1::Session, out: &mut dyn Write, style: &Style) -> io::Result<()> {
    let ty = names::application_type(s.application_type);
    let ty = if s.biometrics_required {
        format!("{ty} (biometrics recorded)")
    } else {
        format!("{ty} (no biometrics needed)")
    };
    let mut rows = vec![
        ("Session", s.session_id.clone()),
        (
            "State",
            style.paint(session_paint(s.state), &names::session_state(s.state)),
        ),
        ("NIK", s.nik_masked.clone()),
        ("Type", ty),
        ("Operator", ui::or_dash(&s.operator_id)),
        ("Opened", time_field(pb_time!(s.opened_at), style)),
        ("Closed", time_field(pb_time!(s.closed_at), style)),
    ];
    if !s.package_id.is_empty() {
        rows.push(("Package", s.package_id.clone()));
    }
    if !s.cancel_reason.is_empty() {
        rows.push(("Cancelled", s.cancel_reason.clone()));
    }
    fields(out, &rows)?;

    writeln!(out)?;
    let mut items = Table::new(&[
        "ITEM",
        "STATE",
        "BEST",
        "THRESHOLD",
        "OK",
        "ATTEMPTS",
        "EXCEPTION",
    ]);
    for i in &s.items {
        let captured = i.state == i32::from(v1::ItemState::Captured);
        let ok = if captured {
            mark(i.best_score >= i.threshold)
        } else {
            "".into()
        };
        let best = if captured || i.attempts > 0 {
            i.best_score.to_string()
        } else {
            "-".into()
        };
        items.row(vec![
            names::item(i.item.as_ref()).into(),
            Cell::painted(names::item_state(i.state), item_paint(i.state)),
            best.into(),
            i.threshold.to_string().into(),
            ok,
            i.attempts.to_string().into(),
            i.exception
                .as_ref()
                .map_or_else(String::new, |e| exception_text(e, style))
                .into(),
        ]);
    }
    if items.is_empty() {
        writeln!(out, "no items")?;
    } else {
        items.write(out, style)?;
    }
    if s.state == i32::from(v1::SessionState::Open) {
        let remaining: Vec<String> = s.remaining.iter().map(|t| names::target(*t)).collect();
        if remaining.is_empty() {
            writeln!(
                out,
                "\nEvery item is captured or excepted: the session can be finalized."
            )?;
        } else {
            writeln!(out, "\nStill to capture: {}", remaining.join(", "))?;
        }
    }
    render_timings(&s.timings, out, style)
}

/// The JSON view of step timings against the time standards.
fn timing_views(timings: &[v1::StepTiming]) -> Vec<TimingView> {
    timings
        .iter()
        .map(|t| TimingView {
            step: t.step.clone(),
            took_ms: pb_duration!(t.took).map(ui::millis),
            standard_ms: pb_duration!(t.standard).map(ui::millis),
            within_standard: t.within_standard,
        })
        .collect()
}

/// Step timings against the time standards, as a table after a blank line (nothing if none).
fn render_timings(
    timings: &[v1::StepTiming],
    out: &mut dyn Write,
    style: &Style,
) -> io::Result<()> {
    if timings.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    let mut table = Table::new(&["STEP", "TOOK", "STANDARD", "OK"]);
    for t in timings {
        table.row(vec![
            t.step.as_str().into(),
            dur_text(pb_duration!(t.took)).into(),
            dur_text(pb_duration!(t.standard)).into(),
            mark(t.within_standard),
        ]);
    }
    table.write(out, style)
}

fn session_paint(state: i32) -> Paint {
    match v1::SessionState::try_from(state) {
        Ok(v1::SessionState::Finalized) => Paint::Good,
        Ok(v1::SessionState::Open) => Paint::Warn,
        _ => Paint::Dim,
    }
}

fn item_paint(state: i32) -> Paint {
    match v1::ItemState::try_from(state) {
        Ok(v1::ItemState::Captured) => Paint::Good,
        Ok(v1::ItemState::Excepted) => Paint::Warn,
        Ok(v1::ItemState::NotRequired) => Paint::Dim,
        _ => Paint::None,
    }
}

/// Writes a list of sessions, one line each.
pub fn render_session_list(
    sessions: &[v1::Session],
    more: bool,
    out: &mut dyn Write,
    style: &Style,
) -> io::Result<()> {
    if sessions.is_empty() {
        return writeln!(out, "no sessions");
    }
    let mut table = Table::new(&["ID", "STATE", "NIK", "TYPE", "OPENED", "ITEMS", "PACKAGE"]);
    for s in sessions {
        let done = s
            .items
            .iter()
            .filter(|i| {
                matches!(
                    v1::ItemState::try_from(i.state),
                    Ok(v1::ItemState::Captured
                        | v1::ItemState::Excepted
                        | v1::ItemState::NotRequired)
                )
            })
            .count();
        table.row(vec![
            s.session_id.as_str().into(),
            Cell::painted(names::session_state(s.state), session_paint(s.state)),
            s.nik_masked.as_str().into(),
            names::application_type(s.application_type).into(),
            time_field(pb_time!(s.opened_at), style).into(),
            format!("{done}/{}", s.items.len()).into(),
            ui::or_dash(&s.package_id).into(),
        ]);
    }
    table.write(out, style)?;
    if more {
        writeln!(out, "(more sessions: raise --limit)")?;
    }
    Ok(())
}

/// A job, for JSON.
#[derive(Debug, Serialize)]
pub struct JobView {
    /// Job id.
    pub job_id: String,
    /// State wire name.
    pub state: String,
    /// The masked NIK.
    pub nik_masked: String,
    /// Session whose biometrics it uses.
    pub session_id: Option<String>,
    /// Chip serial.
    pub card_serial: Option<String>,
    /// Cards spoiled.
    pub cards_spoiled: u32,
    /// PRR flag.
    pub prr: bool,
    /// Deferral reason wire name.
    pub deferral: Option<String>,
    /// Last receipt.
    pub receipt_id: Option<String>,
    /// Failure reason.
    pub reason: Option<String>,
    /// Cancel reason.
    pub cancel_reason: Option<String>,
    /// Operator.
    pub operator_id: String,
    /// Created (RFC 3339).
    pub created_at: Option<String>,
    /// Last change (RFC 3339).
    pub updated_at: Option<String>,
    /// Steps.
    pub steps: Vec<StepView>,
    /// The job's phases against the time standards.
    pub timings: Vec<TimingView>,
}

/// A job step, for JSON.
#[derive(Debug, Serialize)]
pub struct StepView {
    /// Step wire name.
    pub step: String,
    /// Step state wire name.
    pub state: String,
    /// Took, milliseconds.
    pub took_ms: Option<u64>,
    /// Standard, milliseconds.
    pub standard_ms: Option<u64>,
    /// Within the standard (no standard: true); `None` while running.
    pub within_standard: Option<bool>,
    /// Failure reason.
    pub reason: Option<String>,
    /// Note.
    pub detail: String,
    /// Started (RFC 3339).
    pub started_at: Option<String>,
}

/// Whether a step took no longer than its standard: `None` while it runs, `true` when there
/// is no standard (as `StepTiming.within_standard`).
pub fn within_standard(took: Option<Duration>, standard: Option<Duration>) -> Option<bool> {
    let took = took?;
    Some(standard.is_none_or(|s| took <= s))
}

impl JobView {
    /// The view of a job.
    pub fn new(j: &v1::Job) -> Self {
        Self {
            job_id: j.job_id.clone(),
            state: names::job_state_wire(j.state),
            nik_masked: j.nik_masked.clone(),
            session_id: ui::non_empty(&j.session_id),
            card_serial: ui::non_empty(&j.card_serial),
            cards_spoiled: j.cards_spoiled,
            prr: j.prr,
            deferral: deferral(j.deferral).map(|_| names::deferral_wire(j.deferral)),
            receipt_id: ui::non_empty(&j.receipt_id),
            reason: names::reason(j.reason),
            cancel_reason: ui::non_empty(&j.cancel_reason),
            operator_id: j.operator_id.clone(),
            created_at: pb_time!(j.created_at).map(ui::rfc3339),
            updated_at: pb_time!(j.updated_at).map(ui::rfc3339),
            steps: j
                .steps
                .iter()
                .map(|s| {
                    let took = pb_duration!(s.took);
                    let standard = pb_duration!(s.standard);
                    StepView {
                        step: names::job_step_wire(s.step),
                        state: names::step_state_wire(s.state),
                        took_ms: took.map(ui::millis),
                        standard_ms: standard.map(ui::millis),
                        within_standard: within_standard(took, standard),
                        reason: names::reason(s.reason),
                        detail: s.detail.clone(),
                        started_at: pb_time!(s.started_at).map(ui::rfc3339),
                    }
                })
                .collect(),
            timings: timing_views(&j.timings),
        }
    }
}

/// The deferral in words, `None` when not deferred.
pub fn deferral(raw: i32) -> Option<String> {
    (raw != i32::from(v1::DeferralReason::Unspecified)).then(|| names::deferral(raw))
}

fn job_paint(state: i32) -> Paint {
    use v1::JobState as J;
    match J::try_from(state) {
        Ok(J::HandedOver | J::Activated | J::AwaitingActivation) => Paint::Good,
        Ok(J::Deferred | J::Pending | J::Running) => Paint::Warn,
        Ok(J::Failed) => Paint::Bad,
        _ => Paint::Dim,
    }
}

fn step_paint(state: i32) -> Paint {
    match v1::StepState::try_from(state) {
        Ok(v1::StepState::Done) => Paint::Good,
        Ok(v1::StepState::Failed) => Paint::Bad,
        _ => Paint::None,
    }
}

/// Writes one job: header fields (card serial, spoiled count, deferral, receipt) and its
/// steps with took against the standard.
pub fn render_job(j: &v1::Job, out: &mut dyn Write, style: &Style) -> io::Result<()> {
    let mut rows = vec![
        ("Job", j.job_id.clone()),
        (
            "State",
            style.paint(job_paint(j.state), &names::job_state(j.state)),
        ),
        ("NIK", j.nik_masked.clone()),
        (
            "Session",
            if j.session_id.is_empty() {
                "- (biometrics on file from SIAK)".into()
            } else {
                j.session_id.clone()
            },
        ),
        (
            "Card",
            if j.card_serial.is_empty() {
                "- (no chip written yet)".into()
            } else {
                format!("chip serial {}", j.card_serial)
            },
        ),
        (
            "Spoiled",
            format!(
                "{} card{}",
                j.cards_spoiled,
                if j.cards_spoiled == 1 { "" } else { "s" }
            ),
        ),
        (
            "PRR",
            if j.prr {
                "yes".into()
            } else {
                "no (not print-ready)".into()
            },
        ),
    ];
    if let Some(d) = deferral(j.deferral) {
        rows.push(("Deferred", style.paint(Paint::Warn, &d)));
    }
    if !j.receipt_id.is_empty() {
        rows.push(("Receipt", j.receipt_id.clone()));
    }
    if let Some(r) = names::reason(j.reason) {
        rows.push(("Reason", style.paint(Paint::Bad, &r)));
    }
    if !j.cancel_reason.is_empty() {
        rows.push(("Cancelled", j.cancel_reason.clone()));
    }
    rows.push(("Operator", ui::or_dash(&j.operator_id)));
    rows.push(("Created", time_field(pb_time!(j.created_at), style)));
    rows.push(("Updated", time_field(pb_time!(j.updated_at), style)));
    fields(out, &rows)?;

    writeln!(out)?;
    if j.steps.is_empty() {
        return writeln!(out, "no steps yet");
    }
    let mut table = Table::new(&[
        "STEP", "STATE", "TOOK", "STANDARD", "OK", "REASON", "DETAIL",
    ]);
    for s in &j.steps {
        let took = pb_duration!(s.took);
        let standard = pb_duration!(s.standard);
        table.row(vec![
            names::job_step(s.step).into(),
            Cell::painted(names::step_state(s.state), step_paint(s.state)),
            dur_text(took).into(),
            dur_text(standard).into(),
            within_standard(took, standard).map_or_else(|| "".into(), mark),
            names::reason(s.reason).unwrap_or_default().into(),
            s.detail.as_str().into(),
        ]);
    }
    table.write(out, style)?;
    render_timings(&j.timings, out, style)
}

/// Writes a list of jobs, one line each.
pub fn render_job_list(
    jobs: &[v1::Job],
    more: bool,
    out: &mut dyn Write,
    style: &Style,
) -> io::Result<()> {
    if jobs.is_empty() {
        return writeln!(out, "no jobs");
    }
    let mut table = Table::new(&[
        "ID", "STATE", "NIK", "SESSION", "CARD", "SPOILED", "CREATED", "NOTE",
    ]);
    for j in jobs {
        let note = deferral(j.deferral)
            .or_else(|| names::reason(j.reason))
            .or_else(|| ui::non_empty(&j.cancel_reason))
            .unwrap_or_default();
        table.row(vec![
            j.job_id.as_str().into(),
            Cell::painted(names::job_state(j.state), job_paint(j.state)),
            j.nik_masked.as_str().into(),
            ui::or_dash(&j.session_id).into(),
            ui::or_dash(&j.card_serial).into(),
            j.cards_spoiled.to_string().into(),
            time_field(pb_time!(j.created_at), style).into(),
            note.into(),
        ]);
    }
    table.write(out, style)?;
    if more {
        writeln!(out, "(more jobs: raise --limit)")?;
    }
    Ok(())
}

/// The `session list --json` and `job list --json` documents.
#[derive(Debug, Serialize)]
pub struct ListView<T> {
    /// The entries, newest first.
    pub items: Vec<T>,
    /// More entries exist beyond --limit.
    pub more: bool,
}

/// `session show ID`.
pub async fn session_show(c: &Clients, id: &str, ctx: &mut Ctx<'_>) -> Result<(), CtlError> {
    let s = c
        .unary(
            c.enrolment
                .clone()
                .get_session(c.request(v1::GetSessionRequest {
                    session_id: id.to_owned(),
                })),
        )
        .await?;
    if ctx.json {
        ui::json_document(ctx.out, &SessionView::new(&s))?;
    } else {
        render_session(&s, ctx.out, &ctx.style)?;
    }
    Ok(())
}

/// `session list [--state S] [--limit N]`.
pub async fn session_list(
    c: &Clients,
    state: Option<SessionStateArg>,
    limit: u32,
    ctx: &mut Ctx<'_>,
) -> Result<(), CtlError> {
    let request = v1::ListSessionsRequest {
        state: state
            .map_or(v1::SessionState::Unspecified, SessionStateArg::to_proto)
            .into(),
        page_size: limit,
        page_token: String::new(),
    };
    let r = c
        .unary(c.enrolment.clone().list_sessions(c.request(request)))
        .await?;
    let more = !r.next_page_token.is_empty();
    if ctx.json {
        let view = ListView {
            items: r.sessions.iter().map(SessionView::new).collect(),
            more,
        };
        ui::json_document(ctx.out, &view)?;
    } else {
        render_session_list(&r.sessions, more, ctx.out, &ctx.style)?;
    }
    Ok(())
}

/// `job show ID`.
pub async fn job_show(c: &Clients, id: &str, ctx: &mut Ctx<'_>) -> Result<(), CtlError> {
    let j = c
        .unary(c.issuance.clone().get_job(c.request(v1::GetJobRequest {
            job_id: id.to_owned(),
        })))
        .await?;
    if ctx.json {
        ui::json_document(ctx.out, &JobView::new(&j))?;
    } else {
        render_job(&j, ctx.out, &ctx.style)?;
    }
    Ok(())
}

/// `job list [--state S] [--limit N]`.
pub async fn job_list(
    c: &Clients,
    state: Option<JobStateArg>,
    limit: u32,
    ctx: &mut Ctx<'_>,
) -> Result<(), CtlError> {
    let request = v1::ListJobsRequest {
        state: state
            .map_or(v1::JobState::Unspecified, JobStateArg::to_proto)
            .into(),
        page_size: limit,
        page_token: String::new(),
    };
    let r = c
        .unary(c.issuance.clone().list_jobs(c.request(request)))
        .await?;
    let more = !r.next_page_token.is_empty();
    if ctx.json {
        let view = ListView {
            items: r.jobs.iter().map(JobView::new).collect(),
            more,
        };
        ui::json_document(ctx.out, &view)?;
    } else {
        render_job_list(&r.jobs, more, ctx.out, &ctx.style)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use rekam_proto::convert::duration;
    use v1::item_key::Item;

    use super::*;

    macro_rules! ms {
        ($n:expr) => {
            Some(duration(Duration::from_millis($n)))
        };
    }

    fn item(
        key: Item,
        state: v1::ItemState,
        best: u32,
        threshold: u32,
        attempts: u32,
    ) -> v1::ItemStatus {
        v1::ItemStatus {
            item: Some(v1::ItemKey { item: Some(key) }),
            state: state.into(),
            best_score: best,
            attempts,
            threshold,
            exception: None,
        }
    }

    fn session() -> v1::Session {
        let mut excepted = item(
            Item::Finger(v1::Finger::LeftLittle.into()),
            v1::ItemState::Excepted,
            0,
            40,
            0,
        );
        excepted.exception = Some(v1::ExceptionInfo {
            reason: v1::ExceptionReason::Amputated.into(),
            permanence: v1::Permanence::Permanent.into(),
            operator_id: "op7".into(),
            recorded_at: None,
            note: "since birth".into(),
            photo_sha256: "ab".repeat(32),
        });
        v1::Session {
            session_id: "ses_01JD3Z6K8T9W4Q2M5N7P0R1S2V".into(),
            state: v1::SessionState::Open.into(),
            nik_masked: "3508**********01".into(),
            application_type: v1::ApplicationType::Baru.into(),
            biometrics_required: true,
            items: vec![
                item(
                    Item::Face(v1::item_key::Face {}),
                    v1::ItemState::Captured,
                    82,
                    60,
                    1,
                ),
                item(
                    Item::Finger(v1::Finger::RightThumb.into()),
                    v1::ItemState::Captured,
                    35,
                    40,
                    3,
                ),
                excepted,
                item(
                    Item::Eye(v1::Eye::Right.into()),
                    v1::ItemState::Pending,
                    0,
                    70,
                    0,
                ),
            ],
            remaining: vec![v1::CaptureTarget::Irises.into()],
            operator_id: "demo".into(),
            timings: vec![
                v1::StepTiming {
                    step: "capture.face".into(),
                    took: ms!(2100),
                    standard: ms!(60_000),
                    within_standard: true,
                },
                v1::StepTiming {
                    step: "capture.thumbs".into(),
                    took: ms!(95_000),
                    standard: ms!(60_000),
                    within_standard: false,
                },
            ],
            ..Default::default()
        }
    }

    fn render<F: Fn(&mut Vec<u8>) -> io::Result<()>>(f: F) -> String {
        let mut buf = Vec::new();
        f(&mut buf).unwrap();
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn a_session_shows_items_scores_exceptions_and_timings() {
        let s = session();
        let out = render(|b| render_session(&s, b, &Style::plain()));
        assert!(out.contains("NIK       3508**********01\n"), "{out}");
        assert!(out.contains("State     open\n"));
        assert!(out.contains("Type      baru (biometrics recorded)\n"));
        let lines: Vec<&str> = out.lines().collect();
        let header = lines.iter().position(|l| l.starts_with("ITEM")).unwrap();
        let h = lines[header];
        let col = |name: &str| h.find(name).unwrap();
        let face = lines[header + 1];
        assert!(face.starts_with("face"));
        assert_eq!(face.find("captured"), Some(col("STATE")));
        assert_eq!(face.find("82"), Some(col("BEST")));
        assert_eq!(face.find("60"), Some(col("THRESHOLD")));
        assert_eq!(face.find('✓'), Some(col("OK")));
        let thumb = lines[header + 2];
        assert!(
            thumb.starts_with("right thumb") && thumb.contains('✗'),
            "{thumb}"
        );
        let little = lines[header + 3];
        assert!(little.starts_with("left little"));
        assert!(
            little.ends_with("amputated, permanent, by op7: since birth"),
            "{little}"
        );
        assert!(
            lines[header + 4].starts_with("right eye") && lines[header + 4].contains("pending")
        );
        assert!(out.contains("Still to capture: irises"));
        assert!(out.contains("capture.face    2.1 s   1m 00s    ✓"), "{out}");
        assert!(out.contains("capture.thumbs  1m 35s  1m 00s    ✗"), "{out}");
        // Only the masked NIK: no run of more than four digits next to the stars.
        assert!(!out
            .chars()
            .collect::<Vec<_>>()
            .windows(7)
            .any(|w| w.iter().all(char::is_ascii_digit)));
    }

    #[test]
    fn session_json_is_valid_and_masked() {
        let v = serde_json::to_value(SessionView::new(&session())).unwrap();
        assert_eq!(v["nik_masked"], "3508**********01");
        assert_eq!(v["state"], "OPEN");
        assert_eq!(v["items"][0]["item"], "FACE");
        assert_eq!(v["items"][2]["exception"]["reason"], "AMPUTATED");
        assert_eq!(v["items"][3]["item"], "RIGHT_EYE");
        assert_eq!(v["remaining"][0], "IRISES");
        assert_eq!(v["timings"][1]["took_ms"], 95_000);
        assert_eq!(v["timings"][1]["within_standard"], false);
    }

    fn step(
        s: v1::JobStep,
        state: v1::StepState,
        took: Option<u64>,
        standard: Option<u64>,
    ) -> v1::JobStepRecord {
        v1::JobStepRecord {
            step: s.into(),
            state: state.into(),
            took: took.map(|n| duration(Duration::from_millis(n))),
            standard: standard.map(|n| duration(Duration::from_millis(n))),
            ..Default::default()
        }
    }

    fn job() -> v1::Job {
        let mut failed = step(
            v1::JobStep::WriteChip,
            v1::StepState::Failed,
            Some(1200),
            Some(20_000),
        );
        failed.reason = v1::ErrorReason::ChipWriteFailed.into();
        failed.detail = "card rejected".into();
        v1::Job {
            job_id: "job_01JD3Z6K8T9W4Q2M5N7P0R1S2W".into(),
            state: v1::JobState::Deferred.into(),
            nik_masked: "3508**********01".into(),
            session_id: "ses_01JD3Z6K8T9W4Q2M5N7P0R1S2V".into(),
            steps: vec![
                step(
                    v1::JobStep::CheckSupplies,
                    v1::StepState::Done,
                    Some(120),
                    None,
                ),
                step(
                    v1::JobStep::Feed,
                    v1::StepState::Done,
                    Some(12_000),
                    Some(10_000),
                ),
                failed,
                step(v1::JobStep::RejectCard, v1::StepState::Started, None, None),
            ],
            cards_spoiled: 1,
            card_serial: "04A1B2C3D4E5F6".into(),
            deferral: v1::DeferralReason::OutOfBlanks.into(),
            receipt_id: "rcp_01JD3Z6K8T9W4Q2M5N7P0R1S2X".into(),
            operator_id: "demo".into(),
            prr: true,
            ..Default::default()
        }
    }

    #[test]
    fn a_job_shows_steps_against_standards_card_and_deferral() {
        let out = render(|b| render_job(&job(), b, &Style::plain()));
        assert!(out.contains("State     deferred\n"), "{out}");
        assert!(out.contains("NIK       3508**********01\n"));
        assert!(out.contains("Card      chip serial 04A1B2C3D4E5F6\n"));
        assert!(out.contains("Spoiled   1 card\n"));
        assert!(out.contains("Deferred  out-of-blanks\n"));
        assert!(out.contains("Receipt   rcp_01JD3Z6K8T9W4Q2M5N7P0R1S2X\n"));
        let lines: Vec<&str> = out.lines().collect();
        let header = lines.iter().position(|l| l.starts_with("STEP")).unwrap();
        let ok_col = lines[header].find("  OK  ").unwrap() + 2;
        let at = |line: &str, c: char| line.find(c).map(|i| line[..i].chars().count());
        assert!(lines[header + 1].starts_with("check-supplies"));
        assert_eq!(
            at(lines[header + 1], '✓'),
            Some(ok_col),
            "no standard counts as within"
        );
        assert!(lines[header + 2].contains("12.0 s") && lines[header + 2].contains("10.0 s"));
        assert_eq!(at(lines[header + 2], '✗'), Some(ok_col));
        assert!(
            lines[header + 3].contains("failed")
                && lines[header + 3].ends_with("CHIP_WRITE_FAILED  card rejected")
        );
        assert!(lines[header + 4].starts_with("reject-card") && !lines[header + 4].contains('✓'));
    }

    #[test]
    fn within_standard_rules() {
        let s = Duration::from_secs;
        assert_eq!(within_standard(Some(s(5)), Some(s(5))), Some(true));
        assert_eq!(within_standard(Some(s(6)), Some(s(5))), Some(false));
        assert_eq!(within_standard(Some(s(6)), None), Some(true));
        assert_eq!(within_standard(None, Some(s(5))), None);
    }

    #[test]
    fn lists_align_and_say_when_there_is_more() {
        let mut other = job();
        other.job_id = "job_2".into();
        other.state = v1::JobState::HandedOver.into();
        other.deferral = 0;
        other.card_serial = String::new();
        let out = render(|b| render_job_list(&[job(), other.clone()], true, b, &Style::plain()));
        let lines: Vec<&str> = out.lines().collect();
        let state_col = lines[0].find("STATE").unwrap();
        assert_eq!(lines[1].find("deferred"), Some(state_col));
        assert_eq!(lines[2].find("handed-over"), Some(state_col));
        assert!(lines[1].ends_with("out-of-blanks"));
        assert_eq!(lines.last().copied(), Some("(more jobs: raise --limit)"));

        let out = render(|b| render_session_list(&[session()], false, b, &Style::plain()));
        assert!(out.contains("3508**********01"));
        assert!(
            out.contains("  3/4  "),
            "two captured and one excepted of four: {out}"
        );
        let v = serde_json::to_value(ListView {
            items: vec![JobView::new(&other)],
            more: false,
        })
        .unwrap();
        assert_eq!(v["items"][0]["state"], "HANDED_OVER");
        assert!(v["items"][0]["deferral"].is_null());
    }
}
