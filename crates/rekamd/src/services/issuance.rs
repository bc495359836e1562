//! `rekam.v1.IssuanceService`: jobs (streaming steps), activation, handover, receipts,
//! supplies.

use std::time::Duration;

use rekam_proto::field::enum_field;
use rekam_proto::limits::MAX_TEXT_BYTES;
use rekam_proto::v1::{self, issuance_service_server::IssuanceService};
use rekam_proto::{convert, workflow};
use rekam_station::enrolment::ApplicationType;
use rekam_station::ids::{JobId, SessionId};
use rekam_station::issuance::{JobState, JobView, ReceiptKind};
use rekam_station::station::{ActivationUpdate, JobUpdate, StartJobCmd, StationError, StepPhase};
use tokio::sync::mpsc;
use tonic::{Request, Response, Status};

use super::{bad_field, check, field, operator, page, parse_id, Ctx, ResponseStream};
use crate::config::Role;

/// The issuance service.
#[derive(Debug, Clone)]
pub struct Issuance {
    ctx: Ctx,
}

impl Issuance {
    /// The service over a context.
    pub fn new(ctx: Ctx) -> Self {
        Issuance { ctx }
    }
}

/// Runs a job command, forwarding its step updates as `JobEvent`s; the stream ends after the
/// last step (the final `Job` is in the last event) or with the command's error.
fn stream_job<F, Fut>(run: F) -> ResponseStream<v1::JobEvent>
where
    F: FnOnce(mpsc::Sender<JobUpdate>) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<JobView, StationError>> + Send + 'static,
{
    super::forward(
        run,
        |u| job_event(&u),
        |result| result.err().map(|e| Err(super::station_status(&e))),
    )
}

fn job_event(u: &JobUpdate) -> v1::JobEvent {
    let state = match u.phase {
        StepPhase::Started => v1::StepState::Started,
        StepPhase::Done => v1::StepState::Done,
        StepPhase::Failed => v1::StepState::Failed,
    };
    let took = (u.phase != StepPhase::Started).then_some(u.took);
    let prompt = u.prompt.map(|p| workflow::operator_prompt(p, &u.view));
    workflow::job_event(
        u.step,
        state,
        took,
        u.reason,
        u.detail.as_deref().unwrap_or(""),
        prompt,
        &u.view,
    )
}

#[tonic::async_trait]
impl IssuanceService for Issuance {
    type StartJobStream = ResponseStream<v1::JobEvent>;

    async fn start_job(
        &self,
        req: Request<v1::StartJobRequest>,
    ) -> Result<Response<Self::StartJobStream>, Status> {
        let caller = self.ctx.caller(&req);
        caller.require(Role::Operator)?;
        let req = req.into_inner();
        let operator = operator(&req.operator_id, &caller)?;
        let record = req.record.ok_or_else(|| bad_field("record", "required"))?;
        let record =
            rekam_card::CardRecord::try_from(record).map_err(|e| field(e.within("record")))?;
        record.validate().map_err(|e| {
            rekam_proto::card::record_error(&e)
                .within("record")
                .to_status()
        })?;
        let requested_type = if req.application_type == 0 {
            None
        } else {
            Some(
                enum_field::<v1::ApplicationType, ApplicationType>(
                    "application_type",
                    req.application_type,
                )
                .map_err(field)?,
            )
        };
        let (session_id, on_file) = match req.biometrics {
            Some(v1::start_job_request::Biometrics::SessionId(s)) => {
                (Some(parse_id::<SessionId>("session_id", &s)?), None)
            }
            Some(v1::start_job_request::Biometrics::OnFile(b)) => (
                None,
                Some(rekam_card::ChipBiometrics::try_from(b).map_err(field)?),
            ),
            None => return Err(bad_field("biometrics", "give session_id or on_file")),
        };
        let application_type = match (session_id, requested_type) {
            (Some(s), requested) => {
                let session = check(self.ctx.station.get_session(&s))?;
                if requested.is_some_and(|t| t != session.application_type) {
                    return Err(bad_field("application_type", "differs from the session's"));
                }
                session.application_type
            }
            (None, Some(t)) => t,
            (None, None) => return Err(bad_field("application_type", "required with on_file")),
        };
        let cmd = StartJobCmd {
            record,
            session_id,
            on_file,
            application_type,
            operator: operator.clone(),
        };
        let actor = caller.actor(Role::Operator, operator.as_str());
        let station = self.ctx.station.clone();
        Ok(Response::new(stream_job(move |tx| async move {
            station.start_job(cmd, &actor, tx).await
        })))
    }

    async fn get_job(&self, req: Request<v1::GetJobRequest>) -> Result<Response<v1::Job>, Status> {
        self.ctx.caller(&req).require(Role::Operator)?;
        let id: JobId = parse_id("job_id", &req.get_ref().job_id)?;
        Ok(Response::new(workflow::job(&check(
            self.ctx.station.get_job(&id),
        )?)))
    }

    async fn list_jobs(
        &self,
        req: Request<v1::ListJobsRequest>,
    ) -> Result<Response<v1::ListJobsResponse>, Status> {
        self.ctx.caller(&req).require(Role::Operator)?;
        let req = req.into_inner();
        let state = if req.state == 0 {
            None
        } else {
            Some(enum_field::<v1::JobState, JobState>("state", req.state).map_err(field)?)
        };
        let (views, next_page_token) = page(
            self.ctx.station.list_jobs(state),
            req.page_size,
            &req.page_token,
        )?;
        Ok(Response::new(v1::ListJobsResponse {
            jobs: views.iter().map(workflow::job).collect(),
            next_page_token,
        }))
    }

    type ResumeJobStream = ResponseStream<v1::JobEvent>;

    async fn resume_job(
        &self,
        req: Request<v1::ResumeJobRequest>,
    ) -> Result<Response<Self::ResumeJobStream>, Status> {
        let caller = self.ctx.caller(&req);
        caller.require(Role::Operator)?;
        let req = req.into_inner();
        let id: JobId = parse_id("job_id", &req.job_id)?;
        check(self.ctx.station.get_job(&id))?;
        let operator = operator(&req.operator_id, &caller)?;
        let actor = caller.actor(Role::Operator, operator.as_str());
        let station = self.ctx.station.clone();
        Ok(Response::new(stream_job(move |tx| async move {
            station.resume_job(&id, req.prr, operator, &actor, tx).await
        })))
    }

    async fn cancel_job(
        &self,
        req: Request<v1::CancelJobRequest>,
    ) -> Result<Response<v1::Job>, Status> {
        let caller = self.ctx.caller(&req);
        caller.require(Role::Operator)?;
        let req = req.into_inner();
        let id: JobId = parse_id("job_id", &req.job_id)?;
        if req.reason.len() > MAX_TEXT_BYTES {
            return Err(bad_field(
                "reason",
                format!("at most {MAX_TEXT_BYTES} bytes"),
            ));
        }
        let operator = operator(&req.operator_id, &caller)?;
        let actor = caller.actor(Role::Operator, operator.as_str());
        let view = check(
            self.ctx
                .station
                .cancel_job(&id, &req.reason, operator, &actor)
                .await,
        )?;
        Ok(Response::new(workflow::job(&view)))
    }

    type ActivateStream = ResponseStream<v1::ActivationEvent>;

    async fn activate(
        &self,
        req: Request<v1::ActivateRequest>,
    ) -> Result<Response<Self::ActivateStream>, Status> {
        let caller = self.ctx.caller(&req);
        caller.require(Role::Operator)?;
        let req = req.into_inner();
        let id: JobId = parse_id("job_id", &req.job_id)?;
        check(self.ctx.station.get_job(&id))?;
        let operator = operator(&req.operator_id, &caller)?;
        let actor = caller.actor(Role::Operator, operator.as_str());
        let station = self.ctx.station.clone();
        Ok(Response::new(super::forward(
            move |tx| async move { station.activate(&id, operator, &actor, tx).await },
            activation_event,
            |result| {
                Some(match result {
                    Ok(view) => {
                        let activated =
                            matches!(view.state, JobState::Activated | JobState::HandedOver);
                        let reason = if activated {
                            v1::ErrorReason::Unspecified
                        } else {
                            v1::ErrorReason::FingerprintMismatch
                        };
                        Ok(v1::ActivationEvent {
                            event: Some(v1::activation_event::Event::Result(
                                v1::ActivationResult {
                                    activated,
                                    reason: reason.into(),
                                    job: Some(workflow::job(&view)),
                                },
                            )),
                        })
                    }
                    Err(e) => Err(super::station_status(&e)),
                })
            },
        )))
    }

    async fn hand_over(
        &self,
        req: Request<v1::HandOverRequest>,
    ) -> Result<Response<v1::Job>, Status> {
        let caller = self.ctx.caller(&req);
        caller.require(Role::Operator)?;
        let req = req.into_inner();
        let id: JobId = parse_id("job_id", &req.job_id)?;
        let operator = operator(&req.operator_id, &caller)?;
        let actor = caller.actor(Role::Operator, operator.as_str());
        let view = check(
            self.ctx
                .station
                .hand_over(&id, req.receipt_signed, operator, &actor)
                .await,
        )?;
        Ok(Response::new(workflow::job(&view)))
    }

    async fn print_receipt(
        &self,
        req: Request<v1::PrintReceiptRequest>,
    ) -> Result<Response<v1::PrintReceiptResponse>, Status> {
        let caller = self.ctx.caller(&req);
        caller.require(Role::Operator)?;
        let req = req.into_inner();
        let id: JobId = parse_id("job_id", &req.job_id)?;
        let kind = match v1::ReceiptKind::try_from(req.kind) {
            Ok(v1::ReceiptKind::TandaPengambilan) => ReceiptKind::TandaPengambilan,
            Ok(v1::ReceiptKind::SuratKeterangan) => ReceiptKind::SuratKeterangan,
            Ok(v1::ReceiptKind::Unspecified) => return Err(bad_field("kind", "must be set")),
            Ok(other) => {
                return Err(bad_field(
                    "kind",
                    format!(
                        "{} cannot be reprinted by this station yet",
                        other.as_str_name()
                    ),
                ))
            }
            Err(_) => return Err(bad_field("kind", format!("unknown value {}", req.kind))),
        };
        let (receipt_id, device) = check(
            tokio::time::timeout(
                Duration::from_secs(120),
                self.ctx.station.print_receipt(&id, kind),
            )
            .await
            .map_err(|_| StationError::Internal("printing the receipt took too long".into()))
            .and_then(|r| r),
        )?;
        let job = check(self.ctx.station.get_job(&id))?;
        Ok(Response::new(v1::PrintReceiptResponse {
            receipt_id: receipt_id.to_string(),
            device_id: device.to_string(),
            job: Some(workflow::job(&job)),
        }))
    }

    async fn get_supplies(
        &self,
        req: Request<v1::GetSuppliesRequest>,
    ) -> Result<Response<v1::Supplies>, Status> {
        self.ctx.caller(&req).require(Role::Operator)?;
        let s = check(self.ctx.station.supplies().await)?;
        let mut msg = match &s.device {
            Some(device) => convert::supplies(
                device,
                &rekam_hal::Supplies {
                    blanks: s.blanks_remaining,
                    ribbon_percent: s.ribbon_percent,
                },
                &s.conditions,
            ),
            None => v1::Supplies::default(),
        };
        msg.spoiled = u32::try_from(s.spoiled).unwrap_or(u32::MAX);
        msg.issued = u32::try_from(s.issued).unwrap_or(u32::MAX);
        Ok(Response::new(msg))
    }

    async fn render_card(
        &self,
        req: Request<v1::RenderCardRequest>,
    ) -> Result<Response<v1::RenderCardResponse>, Status> {
        let caller = self.ctx.caller(&req);
        caller.require(Role::Operator)?;
        let id: JobId = parse_id("job_id", &req.get_ref().job_id)?;
        // The face carries the NIK and the photo: the read is audited under the caller.
        let actor = caller.actor(Role::Operator, "");
        let (png, width, height) = check(self.ctx.station.render_card(&id, &actor).await)?;
        Ok(Response::new(v1::RenderCardResponse { png, width, height }))
    }
}

fn activation_event(u: ActivationUpdate) -> v1::ActivationEvent {
    use v1::activation_event::Event;
    let event = match u {
        ActivationUpdate::Prompt(_) => Event::Prompt(v1::Prompt {
            code: v1::PromptCode::PlaceFinger.into(),
            ..v1::Prompt::default()
        }),
        ActivationUpdate::Guidance(g) => Event::Guidance(convert::guidance_update(&g)),
        ActivationUpdate::Attempt {
            attempt,
            matched,
            score,
            attempts_left,
            threshold,
            finger,
        } => Event::Attempt(v1::ActivationAttempt {
            attempt,
            matched,
            score,
            attempts_left,
            threshold,
            finger: v1::Finger::from(finger).into(),
            reason: if matched {
                v1::ErrorReason::Unspecified.into()
            } else {
                v1::ErrorReason::FingerprintMismatch.into()
            },
        }),
    };
    v1::ActivationEvent { event: Some(event) }
}
