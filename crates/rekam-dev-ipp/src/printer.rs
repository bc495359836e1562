//! The protocol logic both printer drivers share, over any [`IppTransport`]:
//! Get-Printer-Attributes, Print-Job with `server-error-busy` retried under backoff, following
//! a job with Get-Job-Attributes until it ends, Cancel-Job when the caller cancels or the
//! deadline passes, and turning IPP statuses and printer conditions into [`DeviceError`]s.
//!
//! Cancellation: every wait is a [`Control::sleep`] and every request is bounded by
//! [`Control::remaining`]; a job the caller gave up on is cancelled at the printer (with a
//! short budget of its own, since the caller's deadline has passed) before the error returns.

use std::io::Cursor;
use std::time::{Duration, Instant};

use ipp::prelude::{
    DelimiterTag, IppAttribute, IppPayload, IppRequestResponse, IppValue, IppVersion, Operation,
    StatusCode,
};
use rekam_hal::{
    Condition, Control, DeviceError, DeviceFamily, DeviceId, DeviceInfo, DeviceSelector,
    DeviceState, DeviceStatus, ErrorKind, Result, SelfTestCheck, SelfTestProgress, SelfTestReport,
};

use crate::attrs::{PrinterAttributes, REQUESTED};
use crate::transport::{IppTransport, TransportError};
use crate::DRIVER;

/// The longest single HTTP exchange, whatever the caller's deadline.
const MAX_EXCHANGE: Duration = Duration::from_secs(15);
/// Budget of the Cancel-Job sent after the caller's deadline or cancellation.
const CANCEL_BUDGET: Duration = Duration::from_secs(3);
/// `requesting-user-name` of every request (never a person).
const USER: &str = "rekamd";

/// Delays between busy retries and between job polls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pacing {
    /// First wait after `server-error-busy`; doubled each time.
    pub busy_first: Duration,
    /// Longest wait between busy retries.
    pub busy_max: Duration,
    /// First wait between Get-Job-Attributes polls; doubled each time.
    pub poll_first: Duration,
    /// Longest wait between polls.
    pub poll_max: Duration,
}

impl Default for Pacing {
    fn default() -> Self {
        Pacing {
            busy_first: Duration::from_millis(200),
            busy_max: Duration::from_secs(2),
            poll_first: Duration::from_millis(50),
            poll_max: Duration::from_millis(500),
        }
    }
}

/// Counters a driver keeps, for diagnostics and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IppStats {
    /// Print-Job requests answered `server-error-busy` (or another retryable status).
    pub busy_retries: u32,
    /// Jobs that completed.
    pub jobs_completed: u32,
    /// Jobs this driver cancelled at the printer.
    pub jobs_cancelled: u32,
}

/// A document to submit.
#[derive(Debug, Clone, Copy)]
pub struct Submission<'a> {
    /// `job-name` (fixed words, never personal data).
    pub job_name: &'a str,
    /// `document-format`, a MIME type the printer supports.
    pub format: &'a str,
    /// `media`, when the job asks for one.
    pub media: Option<&'a str>,
    /// The document.
    pub data: &'a [u8],
}

/// One IPP printer: identity, transport, the last attributes seen, the job in flight.
pub struct IppPrinter<T: IppTransport> {
    info: DeviceInfo,
    transport: T,
    request_id: i32,
    pacing: Pacing,
    attrs: Option<PrinterAttributes>,
    active_job: Option<i32>,
    stats: IppStats,
}

impl<T: IppTransport> std::fmt::Debug for IppPrinter<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IppPrinter")
            .field("id", &self.info.id)
            .field("uri", &self.transport.uri().to_string())
            .field("active_job", &self.active_job)
            .finish()
    }
}

impl<T: IppTransport> IppPrinter<T> {
    /// A printer of `family` named `id`, reached through `transport`. No I/O.
    pub fn new(family: DeviceFamily, id: DeviceId, transport: T) -> Self {
        let uri = transport.uri().to_string();
        IppPrinter {
            info: DeviceInfo {
                id,
                family,
                driver: DRIVER.to_owned(),
                selector: DeviceSelector::Ipp { uri },
                model: "IPP printer (not reached yet)".to_owned(),
                serial: None,
                firmware: None,
                simulated: false,
            },
            transport,
            request_id: 0,
            pacing: Pacing::default(),
            attrs: None,
            active_job: None,
            stats: IppStats::default(),
        }
    }

    /// Changes the retry and poll delays (tests use short ones).
    pub fn with_pacing(mut self, pacing: Pacing) -> Self {
        self.pacing = pacing;
        self
    }

    /// Who the printer is.
    pub fn info(&self) -> &DeviceInfo {
        &self.info
    }

    /// The counters.
    pub fn stats(&self) -> IppStats {
        self.stats
    }

    /// The attributes last read, if any.
    pub fn cached(&self) -> Option<&PrinterAttributes> {
        self.attrs.as_ref()
    }

    /// The transport (tests inspect their scripted one).
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// An error about this printer.
    pub fn err(&self, kind: ErrorKind, message: impl Into<String>) -> DeviceError {
        DeviceError::new(kind, message).with_device(self.info.id.clone())
    }

    fn tag(&self, e: DeviceError) -> DeviceError {
        if e.device().is_some() {
            e
        } else {
            e.with_device(self.info.id.clone())
        }
    }

    fn request(&mut self, op: Operation) -> Result<IppRequestResponse> {
        self.request_id = self.request_id.wrapping_add(1).max(1);
        let mut req =
            IppRequestResponse::new(IppVersion::v1_1(), op, Some(self.transport.uri().clone()))
                .map_err(|e| self.err(ErrorKind::InvalidInput, format!("printer URI: {e}")))?;
        req.header_mut().request_id = self.request_id;
        self.add(
            &mut req,
            DelimiterTag::OperationAttributes,
            "requesting-user-name",
            IppValue::new_name_without_language(USER),
        )?;
        Ok(req)
    }

    fn add(
        &self,
        req: &mut IppRequestResponse,
        tag: DelimiterTag,
        name: &str,
        value: std::result::Result<IppValue, ipp::parser::IppParseError>,
    ) -> Result<()> {
        let value = value.map_err(|e| self.err(ErrorKind::InvalidInput, format!("{name}: {e}")))?;
        let attr = IppAttribute::with_name(name, value)
            .map_err(|e| self.err(ErrorKind::InvalidInput, format!("{name}: {e}")))?;
        req.attributes_mut().add(tag, attr);
        Ok(())
    }

    /// Sends one request within the caller's deadline.
    fn exchange(&mut self, req: IppRequestResponse, ctl: &Control) -> Result<IppRequestResponse> {
        ctl.check().map_err(|e| self.tag(e))?;
        let budget = ctl.remaining().min(MAX_EXCHANGE);
        self.transport.send(req, budget).map_err(|e| {
            let kind = e.kind();
            let message = match &e {
                TransportError::Timeout => {
                    "the printer did not answer before the deadline".to_owned()
                }
                other => other.to_string(),
            };
            self.err(kind, message).with_source(e)
        })
    }

    /// Get-Printer-Attributes; the result is also cached, and the device info updated.
    pub fn refresh(&mut self, ctl: &Control) -> Result<PrinterAttributes> {
        let mut req = self.request(Operation::GetPrinterAttributes)?;
        let keywords: Vec<IppValue> = REQUESTED
            .iter()
            .filter_map(|k| IppValue::new_keyword(*k).ok())
            .collect();
        self.add(
            &mut req,
            DelimiterTag::OperationAttributes,
            "requested-attributes",
            Ok(IppValue::Array(keywords)),
        )?;
        let resp = self.exchange(req, ctl)?;
        let status = resp.header().status_code();
        if !status.is_success() {
            return Err(self.status_error(status, "Get-Printer-Attributes"));
        }
        let attrs = PrinterAttributes::from_response(&resp);
        if let Some(model) = &attrs.make_and_model {
            self.info.model.clone_from(model);
        }
        if attrs.uuid.is_some() {
            self.info.serial.clone_from(&attrs.uuid);
        }
        if attrs.firmware.is_some() {
            self.info.firmware.clone_from(&attrs.firmware);
        }
        self.attrs = Some(attrs.clone());
        Ok(attrs)
    }

    /// The device status; an unreachable printer is `Disconnected` (not an error).
    pub fn status(&mut self, ctl: &Control) -> Result<DeviceStatus> {
        match self.refresh(ctl) {
            Ok(attrs) => Ok(attrs.status()),
            Err(e) if e.kind() == ErrorKind::Disconnected => Ok(DeviceStatus::with_state(
                DeviceState::Disconnected,
                "the printer does not answer",
            )),
            Err(e) => Err(e),
        }
    }

    /// The error a blocking printer condition means, if the printer reports one.
    pub fn condition_error(&self, attrs: &PrinterAttributes) -> Option<DeviceError> {
        let conditions = attrs.conditions();
        let order = [
            (
                Condition::MediaEmpty,
                ErrorKind::OutOfSupplies,
                "the printer reports no media (no blank cards or paper)",
            ),
            (
                Condition::RibbonEmpty,
                ErrorKind::OutOfSupplies,
                "the printer reports its marker supply (ribbon) used up",
            ),
            (
                Condition::MediaJam,
                ErrorKind::Hardware,
                "the printer reports a jam",
            ),
            (
                Condition::CoverOpen,
                ErrorKind::Hardware,
                "the printer reports a cover open",
            ),
            (
                Condition::Offline,
                ErrorKind::Disconnected,
                "the printer reports itself offline",
            ),
        ];
        order
            .into_iter()
            .find(|(c, _, _)| conditions.contains(c))
            .map(|(c, kind, msg)| self.err(kind, msg).with_condition(c))
    }

    fn status_error(&self, status: StatusCode, what: &str) -> DeviceError {
        use StatusCode as S;
        let kind = match status {
            S::ClientErrorDocumentFormatNotSupported
            | S::ClientErrorAttributesOrValuesNotSupported
            | S::ClientErrorConflictingAttributes
            | S::ClientErrorDocumentFormatError
            | S::ClientErrorBadRequest
            | S::ClientErrorRequestEntityTooLong => ErrorKind::InvalidInput,
            S::ClientErrorForbidden
            | S::ClientErrorNotAuthenticated
            | S::ClientErrorNotAuthorized => ErrorKind::PermissionDenied,
            S::ClientErrorNotFound | S::ClientErrorGone => ErrorKind::NotFound,
            S::ServerErrorBusy
            | S::ServerErrorServiceUnavailable
            | S::ServerErrorTemporaryError => ErrorKind::Busy,
            S::ServerErrorDeviceError => ErrorKind::Hardware,
            S::ServerErrorNotAcceptingJobs => ErrorKind::Disconnected,
            S::ServerErrorOperationNotSupported => ErrorKind::Unsupported,
            _ => ErrorKind::Protocol,
        };
        self.err(
            kind,
            format!("{what} answered {status} (0x{:04x})", status as u16),
        )
    }

    /// Submits `sub` and follows the job until it completes; returns the printer's job id.
    ///
    /// `server-error-busy` (and `server-error-service-unavailable`,
    /// `server-error-temporary-error`) are retried with doubling delays until the deadline,
    /// then reported as `Busy`. A job the printer aborts or stops becomes the error of the
    /// printer condition behind it (`OutOfSupplies` with `MediaEmpty`, say); a cancelled
    /// or timed-out call cancels the job at the printer first.
    pub fn print(&mut self, sub: Submission<'_>, ctl: &Control) -> Result<i32> {
        let job = self.submit(sub, ctl)?;
        self.follow(job, ctl)?;
        Ok(job)
    }

    fn submit(&mut self, sub: Submission<'_>, ctl: &Control) -> Result<i32> {
        let mut delay = self.pacing.busy_first;
        let mut busy_answers = 0u32;
        loop {
            let mut req = self.request(Operation::PrintJob)?;
            let op = DelimiterTag::OperationAttributes;
            self.add(
                &mut req,
                op,
                "job-name",
                IppValue::new_name_without_language(sub.job_name),
            )?;
            self.add(
                &mut req,
                op,
                "document-format",
                IppValue::new_mime_media_type(sub.format),
            )?;
            if let Some(media) = sub.media {
                self.add(
                    &mut req,
                    DelimiterTag::JobAttributes,
                    "media",
                    IppValue::new_keyword(media),
                )?;
            }
            *req.payload_mut() = IppPayload::new(Cursor::new(sub.data.to_vec()));
            let resp = match self.exchange(req, ctl) {
                Ok(resp) => resp,
                // The deadline fell during a retry of a printer that has been answering busy:
                // what the operator needs to hear is that it stayed busy, not a bare timeout.
                Err(e) if e.kind() == ErrorKind::Timeout && busy_answers > 0 => {
                    return Err(self.err(
                        ErrorKind::Busy,
                        "the printer stayed busy until the deadline",
                    ));
                }
                Err(e) => return Err(e),
            };
            let status = resp.header().status_code();
            if status.is_success() {
                let job = resp
                    .attributes()
                    .groups_of(DelimiterTag::JobAttributes)
                    .flat_map(|g| g.attributes())
                    .find(|a| a.name().as_str() == "job-id")
                    .and_then(|a| a.value().as_integer().copied())
                    .ok_or_else(|| {
                        self.err(ErrorKind::Protocol, "Print-Job answered without a job-id")
                    })?;
                tracing::debug!(device = %self.info.id, job, "IPP job submitted");
                return Ok(job);
            }
            match status {
                StatusCode::ServerErrorBusy
                | StatusCode::ServerErrorServiceUnavailable
                | StatusCode::ServerErrorTemporaryError => {
                    self.stats.busy_retries += 1;
                    busy_answers += 1;
                    tracing::debug!(device = %self.info.id, ?status, wait_ms = delay.as_millis() as u64, "printer busy; retrying");
                    if let Err(e) = ctl.sleep(delay) {
                        return Err(if e.kind() == ErrorKind::Timeout {
                            self.err(
                                ErrorKind::Busy,
                                "the printer stayed busy until the deadline",
                            )
                        } else {
                            self.tag(e)
                        });
                    }
                    delay = (delay * 2).min(self.pacing.busy_max);
                }
                StatusCode::ServerErrorNotAcceptingJobs => {
                    let attrs = self.refresh(ctl)?;
                    return Err(self.condition_error(&attrs).unwrap_or_else(|| {
                        self.err(ErrorKind::Disconnected, "the printer is not accepting jobs")
                            .with_condition(Condition::Offline)
                    }));
                }
                other => return Err(self.status_error(other, "Print-Job")),
            }
        }
    }

    fn job_state(&mut self, job: i32, ctl: &Control) -> Result<(i32, Vec<String>)> {
        let mut req = self.request(Operation::GetJobAttributes)?;
        let op = DelimiterTag::OperationAttributes;
        self.add(&mut req, op, "job-id", Ok(IppValue::Integer(job)))?;
        let keywords: Vec<IppValue> = ["job-state", "job-state-reasons"]
            .iter()
            .filter_map(|k| IppValue::new_keyword(*k).ok())
            .collect();
        self.add(
            &mut req,
            op,
            "requested-attributes",
            Ok(IppValue::Array(keywords)),
        )?;
        let resp = self.exchange(req, ctl)?;
        let status = resp.header().status_code();
        if !status.is_success() {
            return Err(self.status_error(status, "Get-Job-Attributes"));
        }
        let mut state = None;
        let mut reasons = Vec::new();
        for attr in resp
            .attributes()
            .groups_of(DelimiterTag::JobAttributes)
            .flat_map(|g| g.attributes())
        {
            match attr.name().as_str() {
                "job-state" => state = attr.value().as_enum().copied(),
                "job-state-reasons" => {
                    for v in attr.value() {
                        if let IppValue::Keyword(k) = v {
                            reasons.push(k.as_str().to_owned());
                        }
                    }
                }
                _ => {}
            }
        }
        let state = state
            .ok_or_else(|| self.err(ErrorKind::Protocol, "Get-Job-Attributes without job-state"))?;
        Ok((state, reasons))
    }

    fn follow(&mut self, job: i32, ctl: &Control) -> Result<()> {
        self.active_job = Some(job);
        let mut wait = self.pacing.poll_first;
        loop {
            let polled = self.job_state(job, ctl);
            let (state, reasons) = match polled {
                Ok(s) => s,
                Err(e) => return Err(self.give_up(job, e)),
            };
            match state {
                // completed
                9 => {
                    self.active_job = None;
                    self.stats.jobs_completed += 1;
                    tracing::debug!(device = %self.info.id, job, "IPP job completed");
                    return Ok(());
                }
                // aborted or canceled by the printer (or someone at it)
                7 | 8 => {
                    self.active_job = None;
                    let after = Control::with_timeout(CANCEL_BUDGET);
                    let ctl = if ctl.check().is_ok() { ctl } else { &after };
                    let attrs = self.refresh(ctl).ok();
                    let e = attrs
                        .as_ref()
                        .and_then(|a| self.condition_error(a))
                        .unwrap_or_else(|| {
                            self.err(
                                ErrorKind::Hardware,
                                format!(
                                    "the printer {} the job ({})",
                                    if state == 8 { "aborted" } else { "cancelled" },
                                    reasons.join(",")
                                ),
                            )
                        });
                    tracing::warn!(device = %self.info.id, job, kind = %e.kind(), "IPP job did not complete");
                    return Err(e);
                }
                // processing-stopped: the printer waits for someone; say why now rather than
                // hold the card until the deadline.
                6 => {
                    if let Ok(attrs) = self.refresh(ctl) {
                        if let Some(e) = self.condition_error(&attrs) {
                            return Err(self.give_up(job, e));
                        }
                    }
                }
                _ => {}
            }
            if let Err(e) = ctl.sleep(wait) {
                return Err(self.give_up(job, self.tag(e)));
            }
            wait = (wait * 2).min(self.pacing.poll_max);
        }
    }

    /// Cancels `job` at the printer (best effort, own budget) and returns `e`.
    fn give_up(&mut self, job: i32, e: DeviceError) -> DeviceError {
        if e.kind() != ErrorKind::Disconnected {
            let ctl = Control::with_timeout(CANCEL_BUDGET);
            match self.cancel_job(job, &ctl) {
                Ok(()) => self.active_job = None,
                Err(c) => {
                    tracing::warn!(device = %self.info.id, job, error = %c, "Cancel-Job failed")
                }
            }
        }
        e
    }

    /// Cancel-Job. A job that already ended (`client-error-not-possible`) counts as cancelled.
    pub fn cancel_job(&mut self, job: i32, ctl: &Control) -> Result<()> {
        let mut req = self.request(Operation::CancelJob)?;
        self.add(
            &mut req,
            DelimiterTag::OperationAttributes,
            "job-id",
            Ok(IppValue::Integer(job)),
        )?;
        let resp = self.exchange(req, ctl)?;
        let status = resp.header().status_code();
        if status.is_success()
            || status == StatusCode::ClientErrorNotPossible
            || status == StatusCode::ClientErrorNotFound
        {
            self.stats.jobs_cancelled += 1;
            tracing::debug!(device = %self.info.id, job, "IPP job cancelled");
            Ok(())
        } else {
            Err(self.status_error(status, "Cancel-Job"))
        }
    }

    /// Cancels a job left in flight by a cancelled or failed call.
    pub fn recover(&mut self, ctl: &Control) -> Result<()> {
        ctl.check().map_err(|e| self.tag(e))?;
        if let Some(job) = self.active_job {
            self.cancel_job(job, ctl)?;
            self.active_job = None;
        }
        Ok(())
    }

    /// A self-test: the printer answers, accepts jobs, takes a format the driver sends, has
    /// media, and reports no blocking condition. `formats_ok` judges the formats.
    pub fn self_test(
        &mut self,
        ctl: &Control,
        progress: &mut dyn FnMut(SelfTestProgress),
        formats_ok: &dyn Fn(&PrinterAttributes) -> (bool, String),
    ) -> Result<SelfTestReport> {
        progress(SelfTestProgress {
            step: "printer responds".into(),
            fraction: 0.0,
        });
        let started = Instant::now();
        let attrs = match self.refresh(ctl) {
            Ok(a) => a,
            Err(e) if e.kind() == ErrorKind::Disconnected => {
                return Ok(SelfTestReport::from_checks(
                    self.info.id.clone(),
                    vec![SelfTestCheck {
                        name: "printer responds".into(),
                        passed: false,
                        detail: e.message().to_owned(),
                        took: started.elapsed(),
                    }],
                ))
            }
            Err(e) => return Err(e),
        };
        let took = started.elapsed();
        progress(SelfTestProgress {
            step: "attributes".into(),
            fraction: 0.5,
        });
        let (fmt_ok, fmt_detail) = formats_ok(&attrs);
        let conditions = attrs.conditions();
        let blocking: Vec<String> = conditions
            .iter()
            .filter(|c| c.is_blocking())
            .map(|c| format!("{c:?}"))
            .collect();
        let check = |name: &str, passed: bool, detail: String| SelfTestCheck {
            name: name.into(),
            passed,
            detail,
            took: Duration::ZERO,
        };
        let checks = vec![
            SelfTestCheck {
                name: "printer responds".into(),
                passed: true,
                detail: format!("Get-Printer-Attributes answered ({})", self.info.model),
                took,
            },
            check(
                "accepting jobs",
                attrs.accepting_jobs != Some(false),
                format!("printer-is-accepting-jobs {:?}", attrs.accepting_jobs),
            ),
            check("document format", fmt_ok, fmt_detail),
            check(
                "media",
                !attrs.media.is_empty(),
                if attrs.media.is_empty() {
                    "no media-supported".to_owned()
                } else {
                    attrs.media.join(", ")
                },
            ),
            check(
                "conditions",
                blocking.is_empty(),
                if blocking.is_empty() {
                    "no blocking condition".to_owned()
                } else {
                    blocking.join(", ")
                },
            ),
        ];
        progress(SelfTestProgress {
            step: "done".into(),
            fraction: 1.0,
        });
        Ok(SelfTestReport::from_checks(self.info.id.clone(), checks))
    }
}
