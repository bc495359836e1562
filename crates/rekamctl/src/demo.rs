//! `enrol --demo`: a complete scripted enrolment then issuance on the connected station,
//! each step timed.
//!
//! OpenSession (a valid NIK with a fresh serial per run), Capture of every target the
//! session still needs (face, left slap, right slap, thumbs, irises, signature),
//! FinalizeSession, StartJob with a card record built for the same NIK, Activate and
//! HandOver; or, when the job is DEFERRED, the deferral and its receipt (exit 0). Every step
//! is a [`DemoEvent`]: a line of text, or with `--json` one JSON object per line.
//!
//! The applicant is fictional (BUDI SANTOSO of Senduro, Lumajang); only the masked NIK is
//! ever printed.

use std::io::{self, Write};
use std::time::{Duration, Instant};

use rekam_card::{
    BloodType, CardRecord, Citizenship, MaritalStatus, Nik, RecordError, Religion, Sex, ValidUntil,
};
use rekam_proto::v1;
use serde::Serialize;
use time::{Date, OffsetDateTime};

use crate::cli::EnrolArgs;
use crate::connect::Clients;
use crate::error::CtlError;
use crate::names;
use crate::output::Ctx;
use crate::ui::{self, pb_duration, Paint, Style, Table};

/// The operator id the demo acts as.
pub const OPERATOR: &str = "demo";

/// The demo NIK without its serial: Jawa Timur (35), Kabupaten Lumajang (08), district 01,
/// born 12 March 1999, male.
pub const NIK_PREFIX: &str = "350801120399";

/// The capture order of the demo.
pub const TARGETS: [v1::CaptureTarget; 6] = [
    v1::CaptureTarget::Face,
    v1::CaptureTarget::LeftSlap,
    v1::CaptureTarget::RightSlap,
    v1::CaptureTarget::Thumbs,
    v1::CaptureTarget::Irises,
    v1::CaptureTarget::Signature,
];

/// The demo NIK for a run at `now`: [`NIK_PREFIX`] and a serial 0001..=9999 taken from the
/// clock (milliseconds), so demos run one after the other do not share a NIK.
pub fn demo_nik(now: OffsetDateTime) -> Result<Nik, rekam_card::NikError> {
    let millis = now.unix_timestamp_nanos() / 1_000_000;
    let serial = millis.rem_euclid(9999) + 1;
    Nik::parse(&format!("{NIK_PREFIX}{serial:04}"))
}

/// The SIAK card record of the demo applicant for `nik`, issued `today`: date of birth and
/// sex from the NIK, the rest a fixed resident of Senduro, Lumajang. Checked with the card's
/// own rules.
pub fn card_record(nik: &Nik, today: Date) -> Result<CardRecord, RecordError> {
    let sex = nik.sex();
    let name = match sex {
        Sex::Male => "BUDI SANTOSO",
        Sex::Female => "SITI RAHAYU",
    };
    let record = CardRecord {
        nik: *nik,
        name: name.to_owned(),
        place_of_birth: "LUMAJANG".to_owned(),
        date_of_birth: nik.birth_date(today),
        sex,
        blood_type: BloodType::O,
        address: "JL. RAYA SENDURO NO. 12".to_owned(),
        rt_rw: "002/005".to_owned(),
        village: "SENDURO".to_owned(),
        district: "SENDURO".to_owned(),
        regency: "LUMAJANG".to_owned(),
        province: "JAWA TIMUR".to_owned(),
        religion: Religion::Islam,
        marital_status: MaritalStatus::BelumKawin,
        occupation: "PELAJAR/MAHASISWA".to_owned(),
        citizenship: Citizenship::Wni,
        valid_until: ValidUntil::Lifetime,
        prr: true,
        place_of_issue: "LUMAJANG".to_owned(),
        date_of_issue: today,
    };
    record.validate()?;
    Ok(record)
}

/// One item's quality in an attempt.
#[derive(Debug, Clone, Serialize)]
pub struct QualityView {
    /// `FACE`, `LEFT_INDEX`, ...
    pub item: String,
    /// Score.
    pub score: u32,
    /// Threshold.
    pub threshold: u32,
    /// Passes.
    pub passes: bool,
    /// The measures out of their bounds, e.g. `finger.minutiae 3 < 5`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failing: Vec<String>,
}

/// A failing measure in words: its name, value and the bound it misses.
fn failing_measure(m: &v1::QualityMeasure) -> String {
    let num = |v: f64| {
        if v.fract() == 0.0 && v.abs() < 1e12 {
            format!("{v:.0}")
        } else if v.abs() < 0.1 {
            // Small ratios (a luminance variance of 0.0033) keep their significant digits.
            format!("{v:.4}")
        } else {
            format!("{v:.2}")
        }
    };
    match (m.min, m.max) {
        (Some(min), _) if m.value < min => format!("{} {} < {}", m.name, num(m.value), num(min)),
        (_, Some(max)) if m.value > max => format!("{} {} > {}", m.name, num(m.value), num(max)),
        _ => format!("{} {}", m.name, num(m.value)),
    }
}

/// A timed step of the summary.
#[derive(Debug, Clone, Serialize)]
pub struct TimedStep {
    /// What.
    pub step: String,
    /// Milliseconds, wall clock as seen by rekamctl.
    pub took_ms: u64,
}

/// One thing that happened in the demo: a line of text, or a JSON object per line.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum DemoEvent {
    /// The demo begins.
    Start {
        /// Socket or URI.
        station: String,
        /// Masked NIK.
        nik_masked: String,
        /// Application type wire name.
        application_type: String,
        /// Documents presented.
        documents: Vec<String>,
    },
    /// OpenSession answered.
    SessionOpened {
        /// Session id.
        session_id: String,
        /// Targets to capture (wire names).
        remaining: Vec<String>,
        /// Milliseconds.
        took_ms: u64,
    },
    /// A capture begins.
    CaptureStart {
        /// Target wire name.
        target: String,
    },
    /// The station prompts.
    Prompt {
        /// Prompt code wire name.
        code: String,
        /// In English.
        text: String,
        /// Attempt it opens (0: none).
        attempt: u32,
        /// How long the device waits, milliseconds.
        timeout_ms: Option<u64>,
    },
    /// Live guidance changed.
    Guidance {
        /// Guidance code wire names.
        codes: Vec<String>,
        /// In English.
        text: String,
    },
    /// One capture attempt ended.
    Attempt {
        /// Attempt number.
        attempt: u32,
        /// Every item passed.
        accepted: bool,
        /// Per item.
        qualities: Vec<QualityView>,
        /// What to correct, in English.
        guidance: String,
        /// Attempts left.
        attempts_left: u32,
    },
    /// A capture ended.
    CaptureDone {
        /// Target wire name.
        target: String,
        /// Outcome wire name.
        outcome: String,
        /// Preview frames received.
        preview_frames: u64,
        /// Milliseconds.
        took_ms: u64,
    },
    /// FinalizeSession answered.
    Finalized {
        /// Session id.
        session_id: String,
        /// Package id.
        package_id: String,
        /// Manifest hash.
        manifest_sha256: String,
        /// Package entries.
        entries: usize,
        /// Milliseconds.
        took_ms: u64,
    },
    /// The issuance job exists.
    JobStarted {
        /// Job id.
        job_id: String,
    },
    /// A job step event.
    JobStep {
        /// Step wire name.
        step: String,
        /// Step state wire name.
        state: String,
        /// Milliseconds, as the station measured.
        took_ms: Option<u64>,
        /// Failure reason.
        reason: Option<String>,
        /// Note.
        detail: String,
        /// What the operator must do, in English.
        prompt: Option<String>,
    },
    /// The job stream ended.
    JobEnded {
        /// Job state wire name.
        state: String,
        /// Milliseconds.
        took_ms: u64,
    },
    /// Activation begins.
    ActivationStart,
    /// One match attempt.
    ActivationAttempt {
        /// Attempt number.
        attempt: u32,
        /// Finger wire name.
        finger: String,
        /// Matched.
        matched: bool,
        /// Score.
        score: u32,
        /// Threshold.
        threshold: u32,
        /// Attempts left.
        attempts_left: u32,
        /// Why it did not match.
        reason: Option<String>,
    },
    /// The card is activated.
    Activated {
        /// Milliseconds.
        took_ms: u64,
    },
    /// HandOver answered.
    HandedOver {
        /// Job state wire name.
        state: String,
        /// Milliseconds.
        took_ms: u64,
    },
    /// The job was deferred: no card now, a pickup receipt instead.
    Deferred {
        /// Deferral wire name.
        deferral: String,
        /// Receipt id.
        receipt_id: Option<String>,
    },
    /// A step failed; the error follows on standard error.
    Stopped {
        /// The step that failed.
        step: String,
        /// The session, once opened.
        session_id: Option<String>,
        /// The job, once started.
        job_id: Option<String>,
    },
    /// The end: every step's duration.
    Summary {
        /// Session id.
        session_id: String,
        /// Job id.
        job_id: String,
        /// `HANDED_OVER` or `DEFERRED`.
        outcome: String,
        /// Steps.
        steps: Vec<TimedStep>,
        /// Milliseconds in all.
        total_ms: u64,
    },
}

/// Where the durations come from (`--latency-note`).
pub const LATENCY_NOTE: &str = "\
note: durations are wall-clock times measured by rekamctl, gRPC round trips included. On
      simulated devices they follow [sim.latency] in rekamd's configuration (realistic by
      default, so the demo takes about as long as a real station would); `session show` and
      `job show` give the station's own timings against the office's time standards.";

fn title(out: &mut dyn Write, style: &Style, text: &str) -> io::Result<()> {
    writeln!(out, "\n{}", style.paint(Paint::Bold, text))
}

/// Writes one demo event for a human.
pub fn render_event(event: &DemoEvent, out: &mut dyn Write, style: &Style) -> io::Result<()> {
    let ms = |n: u64| ui::human_duration(Duration::from_millis(n));
    match event {
        DemoEvent::Start {
            station,
            nik_masked,
            application_type,
            documents,
        } => {
            writeln!(
                out,
                "Demo enrolment ({application_type}) on {station}, applicant NIK {nik_masked}"
            )?;
            writeln!(
                out,
                "documents checked: {}; marital status BELUM_KAWIN; operator {OPERATOR}",
                documents.join(", ")
            )
        }
        DemoEvent::SessionOpened {
            session_id,
            remaining,
            took_ms,
        } => {
            title(out, style, "open session")?;
            writeln!(out, "  {session_id} ({})", ms(*took_ms))?;
            let targets: Vec<String> = remaining
                .iter()
                .map(|t| t.to_ascii_lowercase().replace('_', " "))
                .collect();
            if targets.is_empty() {
                writeln!(out, "  nothing to capture")
            } else {
                writeln!(out, "  to capture: {}", targets.join(", "))
            }
        }
        DemoEvent::CaptureStart { target } => title(
            out,
            style,
            &format!("capture {}", target.to_ascii_lowercase().replace('_', " ")),
        ),
        DemoEvent::Prompt {
            text,
            attempt,
            timeout_ms,
            ..
        } => {
            let mut extra = Vec::new();
            if *attempt > 0 {
                extra.push(format!("attempt {attempt}"));
            }
            if let Some(t) = timeout_ms {
                extra.push(format!("waits {}", ms(*t)));
            }
            if extra.is_empty() {
                writeln!(out, "  prompt: {text}")
            } else {
                writeln!(out, "  prompt: {text} ({})", extra.join(", "))
            }
        }
        DemoEvent::Guidance { text, .. } => writeln!(out, "  guidance: {text}"),
        DemoEvent::Attempt {
            attempt,
            accepted,
            qualities,
            guidance,
            attempts_left,
        } => {
            let scores: Vec<String> = qualities
                .iter()
                .map(|q| {
                    let item = q.item.to_ascii_lowercase().replace('_', " ");
                    let mark = if q.passes {
                        style.paint(Paint::Good, "✓")
                    } else {
                        style.paint(Paint::Bad, "✗")
                    };
                    if q.failing.is_empty() {
                        format!("{item} {}/{} {mark}", q.score, q.threshold)
                    } else {
                        format!(
                            "{item} {}/{} {mark} [{}]",
                            q.score,
                            q.threshold,
                            q.failing.join("; ")
                        )
                    }
                })
                .collect();
            let verdict = if *accepted {
                style.paint(Paint::Good, "accepted")
            } else if guidance.is_empty() {
                format!(
                    "{} ({attempts_left} left)",
                    style.paint(Paint::Warn, "refused")
                )
            } else {
                format!(
                    "{}: {guidance} ({attempts_left} left)",
                    style.paint(Paint::Warn, "refused")
                )
            };
            let scores = if scores.is_empty() {
                "no usable sample".to_owned()
            } else {
                scores.join(", ")
            };
            writeln!(out, "  attempt {attempt}: {scores} -> {verdict}")
        }
        DemoEvent::CaptureDone {
            outcome,
            preview_frames,
            took_ms,
            ..
        } => {
            let outcome = outcome.to_ascii_lowercase().replace('_', " ");
            writeln!(
                out,
                "  {} in {}, {preview_frames} preview frame{}",
                outcome,
                ms(*took_ms),
                if *preview_frames == 1 { "" } else { "s" }
            )
        }
        DemoEvent::Finalized {
            package_id,
            manifest_sha256,
            entries,
            took_ms,
            ..
        } => {
            title(out, style, "finalize session")?;
            writeln!(out, "  package  {package_id} ({})", ms(*took_ms))?;
            writeln!(out, "  manifest sha256 {manifest_sha256}")?;
            writeln!(out, "  entries  {entries}")
        }
        DemoEvent::JobStarted { job_id } => title(out, style, &format!("issuance job {job_id}")),
        DemoEvent::JobStep {
            step,
            state,
            took_ms,
            reason,
            detail,
            prompt,
        } => {
            let step = step.to_ascii_lowercase().replace('_', "-");
            let state_text = state.to_ascii_lowercase();
            let paint = match state.as_str() {
                "DONE" => Paint::Good,
                "FAILED" => Paint::Bad,
                _ => Paint::None,
            };
            let mut line = format!(
                "  {step:<15} {}{}",
                style.paint(paint, &state_text),
                " ".repeat(8usize.saturating_sub(ui::width(&state_text)))
            );
            if let Some(t) = took_ms {
                line.push_str(&format!(" {}", ms(*t)));
            }
            if let Some(r) = reason {
                line.push_str(&format!(" [{r}]"));
            }
            if !detail.is_empty() {
                line.push_str(&format!(" {detail}"));
            }
            writeln!(out, "{}", line.trim_end())?;
            if let Some(p) = prompt {
                writeln!(out, "  {:<15} prompt: {p}", "")?;
            }
            Ok(())
        }
        DemoEvent::JobEnded { state, took_ms } => writeln!(
            out,
            "  job is {} ({})",
            state.to_ascii_lowercase().replace('_', "-"),
            ms(*took_ms)
        ),
        DemoEvent::ActivationStart => title(out, style, "activation"),
        DemoEvent::ActivationAttempt {
            attempt,
            finger,
            matched,
            score,
            threshold,
            attempts_left,
            reason,
        } => {
            let finger = finger.to_ascii_lowercase().replace('_', " ");
            let verdict = if *matched {
                style.paint(Paint::Good, "matched")
            } else {
                let why = reason.as_deref().unwrap_or("no match");
                format!(
                    "{} [{why}] ({attempts_left} left)",
                    style.paint(Paint::Warn, "not matched")
                )
            };
            writeln!(
                out,
                "  attempt {attempt}: {finger} score {score}/{threshold} -> {verdict}"
            )
        }
        DemoEvent::Activated { took_ms } => writeln!(out, "  card activated ({})", ms(*took_ms)),
        DemoEvent::HandedOver { state, took_ms } => {
            title(out, style, "hand over")?;
            writeln!(
                out,
                "  receipt signed; job is {} ({})",
                state.to_ascii_lowercase().replace('_', "-"),
                ms(*took_ms)
            )
        }
        DemoEvent::Deferred {
            deferral,
            receipt_id,
        } => {
            let deferral = deferral.to_ascii_lowercase().replace('_', "-");
            title(out, style, "deferred")?;
            writeln!(
                out,
                "  no card now: {}",
                style.paint(Paint::Warn, &deferral)
            )?;
            match receipt_id {
                Some(r) => writeln!(out, "  pickup receipt (tanda pengambilan) {r} printed")?,
                None => writeln!(out, "  no receipt id reported")?,
            }
            writeln!(
                out,
                "  note: the resident comes back with the receipt; the job resumes (ResumeJob) once the cause is fixed"
            )
        }
        DemoEvent::Stopped {
            step,
            session_id,
            job_id,
        } => {
            title(out, style, &format!("stopped at: {step}"))?;
            if let Some(s) = session_id {
                writeln!(out, "  session  {s}   rekamctl session show {s}")?;
            }
            if let Some(j) = job_id {
                writeln!(out, "  job      {j}   rekamctl job show {j}")?;
            }
            Ok(())
        }
        DemoEvent::Summary {
            session_id,
            job_id,
            steps,
            total_ms,
            ..
        } => {
            title(out, style, "summary")?;
            let mut table = Table::new(&["STEP", "TOOK"]).indent(2);
            for s in steps {
                table.row(vec![s.step.as_str().into(), ms(s.took_ms).into()]);
            }
            table.row(vec!["total".into(), ms(*total_ms).into()]);
            table.write(out, style)?;
            writeln!(out)?;
            writeln!(
                out,
                "  session  {session_id}   rekamctl session show {session_id}"
            )?;
            writeln!(out, "  job      {job_id}   rekamctl job show {job_id}")
        }
    }
}

/// Emits events as text or JSON lines, and keeps the step timings.
struct Run<'c, 'o> {
    clients: &'c Clients,
    ctx: &'c mut Ctx<'o>,
    steps: Vec<TimedStep>,
    started: Instant,
    /// The step under way, for the `stopped` event.
    step: String,
    session_id: Option<String>,
    job_id: Option<String>,
}

impl Run<'_, '_> {
    fn emit(&mut self, event: &DemoEvent) -> Result<(), CtlError> {
        if self.ctx.json {
            ui::json_line(self.ctx.out, event)?;
        } else {
            render_event(event, self.ctx.out, &self.ctx.style)?;
        }
        self.ctx.out.flush()?;
        Ok(())
    }

    fn timed(&mut self, step: impl Into<String>, since: Instant) -> u64 {
        let took_ms = ui::millis(since.elapsed());
        self.steps.push(TimedStep {
            step: step.into(),
            took_ms,
        });
        took_ms
    }

    fn guidance(&mut self, list: &[v1::Guidance], last: &mut String) -> Result<(), CtlError> {
        let text = names::guidance_list(list);
        if !text.is_empty() && text != *last {
            self.emit(&DemoEvent::Guidance {
                codes: list.iter().map(names::guidance_wire).collect(),
                text: text.clone(),
            })?;
        }
        *last = text;
        Ok(())
    }

    fn prompt(&mut self, p: &v1::Prompt) -> Result<(), CtlError> {
        self.emit(&DemoEvent::Prompt {
            code: names::prompt_wire(p),
            text: names::prompt(p),
            attempt: p.attempt,
            timeout_ms: pb_duration!(p.timeout).map(ui::millis),
        })
    }

    async fn capture(
        &mut self,
        session_id: &str,
        target: v1::CaptureTarget,
    ) -> Result<v1::Session, CtlError> {
        let c = self.clients;
        let target_name = names::target_wire(target.into());
        self.emit(&DemoEvent::CaptureStart {
            target: target_name.clone(),
        })?;
        self.step = format!(
            "capture {}",
            target_name.to_ascii_lowercase().replace('_', " ")
        );
        let since = Instant::now();
        let request = v1::CaptureRequest {
            session_id: session_id.to_owned(),
            target: target.into(),
            operator_id: OPERATOR.to_owned(),
            device_id: String::new(),
        };
        let mut stream = c
            .stream(c.enrolment.clone().capture(tonic::Request::new(request)))
            .await?;
        let mut frames = 0u64;
        let mut last_guidance = String::new();
        let mut result = None;
        while let Some(event) = c.next(&mut stream).await? {
            use v1::capture_event::Event;
            match event.event {
                Some(Event::Prompt(p)) => self.prompt(&p)?,
                Some(Event::Preview(_)) => frames += 1,
                Some(Event::Guidance(g)) => self.guidance(&g.guidance, &mut last_guidance)?,
                Some(Event::Attempt(a)) => {
                    last_guidance.clear();
                    self.emit(&DemoEvent::Attempt {
                        attempt: a.attempt,
                        accepted: a.accepted,
                        qualities: a
                            .qualities
                            .iter()
                            .map(|q| QualityView {
                                item: names::item_wire(q.item.as_ref()),
                                score: q.score,
                                threshold: q.threshold,
                                passes: q.passes,
                                failing: q
                                    .measures
                                    .iter()
                                    .filter(|m| !m.passes)
                                    .map(failing_measure)
                                    .collect(),
                            })
                            .collect(),
                        guidance: names::guidance_list(&a.guidance),
                        attempts_left: a.attempts_left,
                    })?;
                }
                Some(Event::Result(r)) => result = Some(r),
                None => {}
            }
        }
        let took_ms = self.timed(self.step.clone(), since);
        let Some(result) = result else {
            return Err(CtlError::Failed {
                message: format!("the capture of {target_name} ended without a result"),
                code: "INTERNAL".into(),
            });
        };
        let outcome = names::outcome_wire(result.outcome);
        self.emit(&DemoEvent::CaptureDone {
            target: target_name.clone(),
            outcome: outcome.clone(),
            preview_frames: frames,
            took_ms,
        })?;
        use v1::ItemOutcome as O;
        match O::try_from(result.outcome) {
            Ok(O::Accepted | O::BestBelowThresholdKept) => {}
            _ => {
                return Err(CtlError::Failed {
                    message: format!(
                        "the capture of {target_name} kept nothing ({outcome}); session {session_id} stays open: \
                         clear the fault and run the demo again, or record exceptions from SIAK"
                    ),
                    code: if outcome == "REFUSED" { "CAPTURE_REFUSED".into() } else { outcome },
                })
            }
        }
        result.session.ok_or_else(|| CtlError::Failed {
            message: format!("the capture of {target_name} returned no session"),
            code: "INTERNAL".into(),
        })
    }

    async fn job(
        &mut self,
        record: v1::CardRecord,
        session_id: &str,
        application_type: v1::ApplicationType,
        request_id: String,
    ) -> Result<v1::Job, CtlError> {
        let c = self.clients;
        let since = Instant::now();
        let request = v1::StartJobRequest {
            record: Some(record),
            operator_id: OPERATOR.to_owned(),
            request_id,
            biometrics: Some(v1::start_job_request::Biometrics::SessionId(
                session_id.to_owned(),
            )),
            application_type: application_type.into(),
        };
        let mut stream = c
            .stream(c.issuance.clone().start_job(tonic::Request::new(request)))
            .await?;
        let mut job: Option<v1::Job> = None;
        while let Some(event) = c.next(&mut stream).await? {
            if job.is_none() {
                self.job_id = Some(event.job_id.clone());
                self.emit(&DemoEvent::JobStarted {
                    job_id: event.job_id.clone(),
                })?;
            }
            let known_step = event.step != i32::from(v1::JobStep::Unspecified);
            if known_step {
                self.emit(&DemoEvent::JobStep {
                    step: names::job_step_wire(event.step),
                    state: names::step_state_wire(event.state),
                    took_ms: pb_duration!(event.took).map(ui::millis),
                    reason: names::reason(event.reason),
                    detail: event.detail.clone(),
                    prompt: event.prompt.as_ref().map(names::prompt),
                })?;
            }
            if let Some(j) = event.job {
                job = Some(j);
            }
        }
        let took_ms = self.timed("issue card (job)", since);
        let job = job.ok_or_else(|| CtlError::Failed {
            message: "the job stream ended without a job".into(),
            code: "INTERNAL".into(),
        })?;
        self.emit(&DemoEvent::JobEnded {
            state: names::job_state_wire(job.state),
            took_ms,
        })?;
        Ok(job)
    }

    async fn activate(&mut self, job_id: &str) -> Result<(), CtlError> {
        let c = self.clients;
        self.emit(&DemoEvent::ActivationStart)?;
        let since = Instant::now();
        let request = v1::ActivateRequest {
            job_id: job_id.to_owned(),
            operator_id: OPERATOR.to_owned(),
            finger: None,
        };
        let mut stream = c
            .stream(c.issuance.clone().activate(tonic::Request::new(request)))
            .await?;
        let mut result = None;
        let mut last_guidance = String::new();
        while let Some(event) = c.next(&mut stream).await? {
            use v1::activation_event::Event;
            match event.event {
                Some(Event::Prompt(p)) => self.prompt(&p)?,
                Some(Event::Guidance(g)) => self.guidance(&g.guidance, &mut last_guidance)?,
                Some(Event::Attempt(a)) => {
                    last_guidance.clear();
                    self.emit(&DemoEvent::ActivationAttempt {
                        attempt: a.attempt,
                        finger: names::finger_wire(a.finger),
                        matched: a.matched,
                        score: a.score,
                        threshold: a.threshold,
                        attempts_left: a.attempts_left,
                        reason: names::reason(a.reason),
                    })?;
                }
                Some(Event::Result(r)) => result = Some(r),
                None => {}
            }
        }
        let took_ms = self.timed("activate card", since);
        match result {
            Some(r) if r.activated => self.emit(&DemoEvent::Activated { took_ms }),
            Some(r) => Err(CtlError::Failed {
                message: format!("the card of job {job_id} was not activated"),
                code: names::reason(r.reason).unwrap_or_else(|| "FINGERPRINT_MISMATCH".into()),
            }),
            None => Err(CtlError::Failed {
                message: "the activation stream ended without a result".into(),
                code: "INTERNAL".into(),
            }),
        }
    }
}

/// `enrol --demo`: runs the whole scripted enrolment and issuance. `now` is the local time
/// (the issue date and the fresh NIK serial come from it). When a step fails, a `stopped`
/// event names the step and the session and job so far, then the error is returned.
pub async fn run_demo(
    c: &Clients,
    args: &EnrolArgs,
    now: OffsetDateTime,
    ctx: &mut Ctx<'_>,
) -> Result<(), CtlError> {
    let nik = match args.nik {
        Some(nik) => nik,
        None => demo_nik(now).map_err(|e| CtlError::Failed {
            message: format!("cannot make a demo NIK: {e}"),
            code: "INVALID_NIK".into(),
        })?,
    };
    let record = card_record(&nik, now.date()).map_err(|e| CtlError::Failed {
        message: format!("the demo card record is not valid: {e}"),
        code: "INVALID_ARGUMENT".into(),
    })?;
    let mut run = Run {
        clients: c,
        ctx,
        steps: Vec::new(),
        started: Instant::now(),
        step: "open session".into(),
        session_id: None,
        job_id: None,
    };
    let request_base = format!("rekamctl-demo-{}", now.unix_timestamp_nanos());
    let result = script(&mut run, args, &nik, &record, &request_base).await;
    match result {
        Err(e) if !matches!(e, CtlError::Output(_)) => {
            let stopped = DemoEvent::Stopped {
                step: run.step.clone(),
                session_id: run.session_id.clone(),
                job_id: run.job_id.clone(),
            };
            // The step's error matters more than a failure to describe it.
            let _ = run.emit(&stopped);
            Err(e)
        }
        other => other,
    }
}

async fn script(
    run: &mut Run<'_, '_>,
    args: &EnrolArgs,
    nik: &Nik,
    record: &CardRecord,
    request_base: &str,
) -> Result<(), CtlError> {
    let c = run.clients;
    let documents = args.application_type.documents();
    run.emit(&DemoEvent::Start {
        station: c.target().to_owned(),
        nik_masked: nik.masked(),
        application_type: names::application_type_wire(args.application_type.to_proto().into()),
        documents: documents.clone(),
    })?;

    // Open the session.
    let since = Instant::now();
    let open = v1::OpenSessionRequest {
        nik: nik.as_str().to_owned(),
        application_type: args.application_type.to_proto().into(),
        documents,
        marital_status: v1::MaritalStatus::BelumKawin.into(),
        previously_recorded: false,
        operator_id: OPERATOR.to_owned(),
        request_id: format!("{request_base}-open"),
    };
    let mut session = c
        .unary(c.enrolment.clone().open_session(c.request(open)))
        .await?;
    let session_id = session.session_id.clone();
    run.session_id = Some(session_id.clone());
    let took_ms = run.timed("open session", since);
    run.emit(&DemoEvent::SessionOpened {
        session_id: session_id.clone(),
        remaining: session
            .remaining
            .iter()
            .map(|t| names::target_wire(*t))
            .collect(),
        took_ms,
    })?;

    // Capture what the session needs, in the demo's order.
    for target in TARGETS {
        if session.remaining.contains(&i32::from(target)) {
            session = run.capture(&session_id, target).await?;
        }
    }

    // Finalize.
    run.step = "finalize session".into();
    let since = Instant::now();
    let finalized = c
        .unary(
            c.enrolment
                .clone()
                .finalize_session(c.request(v1::FinalizeSessionRequest {
                    session_id: session_id.clone(),
                    operator_id: OPERATOR.to_owned(),
                })),
        )
        .await?;
    let took_ms = run.timed("finalize session", since);
    let package = finalized.package.unwrap_or_default();
    run.emit(&DemoEvent::Finalized {
        session_id: session_id.clone(),
        package_id: package.package_id,
        manifest_sha256: package.manifest_sha256,
        entries: package.entries.len(),
        took_ms,
    })?;

    // Issue the card.
    run.step = "issue card (job)".into();
    let job = run
        .job(
            v1::CardRecord::from(record),
            &session_id,
            args.application_type.to_proto(),
            format!("{request_base}-job"),
        )
        .await?;
    let job_id = job.job_id.clone();
    use v1::JobState as J;
    let outcome = match J::try_from(job.state) {
        Ok(J::AwaitingActivation) => {
            run.step = "activate card".into();
            run.activate(&job_id).await?;
            run.step = "hand over".into();
            let since = Instant::now();
            let handed = c
                .unary(c.issuance.clone().hand_over(c.request(v1::HandOverRequest {
                    job_id: job_id.clone(),
                    operator_id: OPERATOR.to_owned(),
                    receipt_signed: true,
                })))
                .await?;
            let took_ms = run.timed("hand over", since);
            run.emit(&DemoEvent::HandedOver {
                state: names::job_state_wire(handed.state),
                took_ms,
            })?;
            names::job_state_wire(handed.state)
        }
        Ok(J::Deferred) => {
            run.emit(&DemoEvent::Deferred {
                deferral: names::deferral_wire(job.deferral),
                receipt_id: ui::non_empty(&job.receipt_id),
            })?;
            names::job_state_wire(job.state)
        }
        _ => {
            let code =
                names::reason(job.reason).unwrap_or_else(|| names::job_state_wire(job.state));
            let last_failure = job
                .steps
                .iter()
                .rev()
                .find(|s| s.state == i32::from(v1::StepState::Failed))
                .map(|s| format!(" at {}", names::job_step(s.step)))
                .unwrap_or_default();
            return Err(CtlError::Failed {
                message: format!(
                    "job {job_id} ended {}{last_failure}",
                    names::job_state(job.state)
                ),
                code,
            });
        }
    };
    let total_ms = ui::millis(run.started.elapsed());
    let steps = std::mem::take(&mut run.steps);
    run.emit(&DemoEvent::Summary {
        session_id,
        job_id,
        outcome,
        steps,
        total_ms,
    })?;
    if args.latency_note && !run.ctx.json {
        writeln!(run.ctx.out, "\n{LATENCY_NOTE}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use rekam_card::NikError;
    use time::macros::{date, datetime};
    use time::Month;

    use super::*;

    #[test]
    fn the_demo_nik_is_valid_and_fresh() {
        let now = datetime!(2025-11-21 14:03:05.123 UTC);
        let nik = demo_nik(now).unwrap();
        assert!(nik.as_str().starts_with(NIK_PREFIX));
        assert_eq!(nik.province_code(), 35);
        assert_eq!(nik.regency_code(), 8);
        assert_eq!(nik.district_code(), 1);
        assert_eq!(nik.sex(), Sex::Male);
        assert_eq!(nik.birth_date(date!(2025 - 11 - 21)), date!(1999 - 03 - 12));
        assert!((1..=9999).contains(&nik.serial()));
        let later = demo_nik(datetime!(2025-11-21 14:03:05.124 UTC)).unwrap();
        assert_ne!(nik, later, "one millisecond later gives another serial");
        // Every serial the clock can give is valid (never 0000, never 5 digits).
        for ms in [0i64, 9998, 9999, 19_997, 1_763_733_785_123] {
            let t = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).unwrap();
            let nik = demo_nik(t).unwrap();
            assert!((1..=9999).contains(&nik.serial()), "{ms}");
        }
    }

    #[test]
    fn the_card_record_agrees_with_the_nik() {
        let today = date!(2025 - 11 - 21);
        let nik = Nik::parse("3508011203990001").unwrap();
        let record = card_record(&nik, today).unwrap();
        let proto = v1::CardRecord::from(&record);
        // Read back what goes on the wire, as the station would.
        let nik_back = Nik::parse(&proto.nik).unwrap();
        assert_eq!(nik_back, nik);
        let dob = rekam_proto::card::parse_date("date_of_birth", &proto.date_of_birth).unwrap();
        assert_eq!(dob, date!(1999 - 03 - 12));
        assert!(nik_back.matches_birth_date(dob));
        assert_eq!(proto.sex, i32::from(v1::Sex::LakiLaki));
        assert_eq!(nik_back.sex(), Sex::Male);
        assert_eq!(proto.name, "BUDI SANTOSO");
        assert_eq!(proto.place_of_birth, "LUMAJANG");
        assert_eq!(proto.blood_type, i32::from(v1::BloodType::O));
        assert_eq!(proto.address, "JL. RAYA SENDURO NO. 12");
        assert_eq!(proto.rt_rw, "002/005");
        assert_eq!(
            (proto.village.as_str(), proto.district.as_str()),
            ("SENDURO", "SENDURO")
        );
        assert_eq!(
            (proto.regency.as_str(), proto.province.as_str()),
            ("LUMAJANG", "JAWA TIMUR")
        );
        assert_eq!(proto.religion, i32::from(v1::Religion::Islam));
        assert_eq!(
            proto.marital_status,
            i32::from(v1::MaritalStatus::BelumKawin)
        );
        assert_eq!(proto.occupation, "PELAJAR/MAHASISWA");
        assert_eq!(
            proto.citizenship.as_ref().map(|c| c.kind),
            Some(i32::from(v1::CitizenshipKind::Wni))
        );
        assert_eq!(proto.valid_until, "SEUMUR HIDUP");
        assert!(proto.prr);
        assert_eq!(proto.place_of_issue, "LUMAJANG");
        assert_eq!(proto.date_of_issue, "2025-11-21");
        // And it passes the conversion and checks the daemon runs on it.
        let parsed = CardRecord::try_from(proto).unwrap();
        parsed.validate().unwrap();
    }

    #[test]
    fn a_female_or_fresh_nik_gives_a_matching_record() {
        let today = date!(2025 - 11 - 21);
        let nik = Nik::parse("3508015203990007").unwrap();
        let record = card_record(&nik, today).unwrap();
        assert_eq!(record.sex, Sex::Female);
        assert_eq!(record.date_of_birth.day(), 12);
        assert_eq!(record.date_of_birth.month(), Month::March);
        assert!(nik.matches_birth_date(record.date_of_birth));
        let fresh = demo_nik(datetime!(2026-01-02 03:04:05 UTC)).unwrap();
        let record = card_record(&fresh, today).unwrap();
        let back = Nik::parse(&v1::CardRecord::from(&record).nik).unwrap();
        assert!(back.matches_birth_date(record.date_of_birth));
        assert_eq!(back.sex(), record.sex);
        assert_eq!(
            Nik::parse("3508011203990000").unwrap_err(),
            NikError::ZeroSerial
        );
    }

    fn text(events: &[DemoEvent]) -> String {
        let mut buf = Vec::new();
        for e in events {
            render_event(e, &mut buf, &Style::plain()).unwrap();
        }
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn capture_events_read_well() {
        let out = text(&[
            DemoEvent::CaptureStart {
                target: "LEFT_SLAP".into(),
            },
            DemoEvent::Prompt {
                code: "PLACE_LEFT_SLAP".into(),
                text: "place the four fingers of the left hand flat on the scanner".into(),
                attempt: 1,
                timeout_ms: Some(30_000),
            },
            DemoEvent::Attempt {
                attempt: 1,
                accepted: false,
                qualities: vec![
                    QualityView {
                        item: "LEFT_INDEX".into(),
                        score: 72,
                        threshold: 40,
                        passes: true,
                        failing: vec![],
                    },
                    QualityView {
                        item: "LEFT_MIDDLE".into(),
                        score: 31,
                        threshold: 40,
                        passes: false,
                        failing: vec!["finger.minutiae 3 < 5".into()],
                    },
                ],
                guidance: "move the fingers down".into(),
                attempts_left: 2,
            },
            DemoEvent::CaptureDone {
                target: "LEFT_SLAP".into(),
                outcome: "ACCEPTED".into(),
                preview_frames: 24,
                took_ms: 2100,
            },
        ]);
        assert_eq!(
            out,
            "\ncapture left slap\n\
             \x20 prompt: place the four fingers of the left hand flat on the scanner (attempt 1, waits 30.0 s)\n\
             \x20 attempt 1: left index 72/40 ✓, left middle 31/40 ✗ [finger.minutiae 3 < 5] -> refused: move the fingers down (2 left)\n\
             \x20 accepted in 2.1 s, 24 preview frames\n"
        );
    }

    #[test]
    fn an_attempt_without_samples_and_a_stop_read_well() {
        let out = text(&[
            DemoEvent::Attempt {
                attempt: 1,
                accepted: false,
                qualities: vec![],
                guidance: "a finger is missing from the slap (left ring)".into(),
                attempts_left: 2,
            },
            DemoEvent::Stopped {
                step: "activate card".into(),
                session_id: Some("ses_1".into()),
                job_id: Some("job_1".into()),
            },
        ]);
        assert_eq!(
            out,
            "  attempt 1: no usable sample -> refused: a finger is missing from the slap (left ring) (2 left)\n\
             \nstopped at: activate card\n\
             \x20 session  ses_1   rekamctl session show ses_1\n\
             \x20 job      job_1   rekamctl job show job_1\n"
        );
    }

    #[test]
    fn job_events_and_the_summary_read_well() {
        let out = text(&[
            DemoEvent::JobStarted {
                job_id: "job_1".into(),
            },
            DemoEvent::JobStep {
                step: "WRITE_CHIP".into(),
                state: "FAILED".into(),
                took_ms: Some(1200),
                reason: Some("CHIP_WRITE_FAILED".into()),
                detail: "card rejected".into(),
                prompt: None,
            },
            DemoEvent::JobStep {
                step: "FEED".into(),
                state: "STARTED".into(),
                took_ms: None,
                reason: None,
                detail: String::new(),
                prompt: Some("place a blank card on the desk encoder".into()),
            },
            DemoEvent::Deferred {
                deferral: "OUT_OF_BLANKS".into(),
                receipt_id: Some("rcp_1".into()),
            },
            DemoEvent::Summary {
                session_id: "ses_1".into(),
                job_id: "job_1".into(),
                outcome: "DEFERRED".into(),
                steps: vec![
                    TimedStep {
                        step: "open session".into(),
                        took_ms: 312,
                    },
                    TimedStep {
                        step: "capture face".into(),
                        took_ms: 2100,
                    },
                ],
                total_ms: 2412,
            },
        ]);
        assert!(out.contains("\nissuance job job_1\n"), "{out}");
        assert!(
            out.contains("  write-chip      failed   1.2 s [CHIP_WRITE_FAILED] card rejected\n"),
            "{out}"
        );
        assert!(out.contains("  feed            started\n                  prompt: place a blank card on the desk encoder\n"), "{out}");
        assert!(out.contains("no card now: out-of-blanks"));
        assert!(out.contains("pickup receipt (tanda pengambilan) rcp_1 printed"));
        assert!(out.contains("  STEP          TOOK\n  open session  312 ms\n  capture face  2.1 s\n  total         2.4 s\n"), "{out}");
        assert!(out.contains("rekamctl session show ses_1"));
        assert!(out.contains("rekamctl job show job_1"));
    }

    #[test]
    fn demo_json_lines_are_valid_json() {
        let events = [
            DemoEvent::Start {
                station: "/tmp/x.sock".into(),
                nik_masked: "3508**********01".into(),
                application_type: "BARU".into(),
                documents: vec!["KK_COPY".into()],
            },
            DemoEvent::ActivationStart,
            DemoEvent::ActivationAttempt {
                attempt: 1,
                finger: "RIGHT_INDEX".into(),
                matched: true,
                score: 78,
                threshold: 40,
                attempts_left: 2,
                reason: None,
            },
        ];
        let mut buf = Vec::new();
        for e in &events {
            ui::json_line(&mut buf, e).unwrap();
        }
        let out = String::from_utf8(buf).unwrap();
        let values: Vec<serde_json::Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(values.len(), 3);
        assert_eq!(values[0]["event"], "start");
        assert_eq!(values[0]["nik_masked"], "3508**********01");
        assert_eq!(values[1]["event"], "activation_start");
        assert_eq!(values[2]["score"], 78);
    }
}
