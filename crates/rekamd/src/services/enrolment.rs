//! `rekam.v1.EnrolmentService`: sessions, streaming captures, exceptions, finalize, cancel.

use rekam_hal::DeviceId;
use rekam_proto::field::enum_field;
use rekam_proto::limits::{
    MAX_DOCUMENTS, MAX_DOCUMENT_CODE_BYTES, MAX_EXCEPTION_PHOTO_BYTES, MAX_TEXT_BYTES,
};
use rekam_proto::status::error_status;
use rekam_proto::v1::{self, enrolment_service_server::EnrolmentService, ErrorReason};
use rekam_proto::{convert, workflow};
use rekam_station::enrolment::{
    ApplicationType, CaptureTarget, ExceptionReason, Permanence, SessionState, TargetOutcome,
};
use rekam_station::ids::SessionId;
use rekam_station::station::{CaptureUpdate, ExceptionCmd, OpenSessionCmd};
use tonic::{Code, Request, Response, Status};

use super::{bad_field, check, field, operator, page, parse_id, Ctx, ResponseStream};
use crate::config::Role;

/// The enrolment service.
#[derive(Debug, Clone)]
pub struct Enrolment {
    ctx: Ctx,
}

impl Enrolment {
    /// The service over a context.
    pub fn new(ctx: Ctx) -> Self {
        Enrolment { ctx }
    }
}

fn too_large(field_name: &str, limit: usize) -> Status {
    error_status(
        Code::InvalidArgument,
        ErrorReason::PayloadTooLarge,
        format!("{field_name} is over its limit of {limit} bytes"),
        [
            ("field".to_owned(), field_name.to_owned()),
            ("limit".to_owned(), limit.to_string()),
        ],
    )
}

#[tonic::async_trait]
impl EnrolmentService for Enrolment {
    async fn open_session(
        &self,
        req: Request<v1::OpenSessionRequest>,
    ) -> Result<Response<v1::Session>, Status> {
        let caller = self.ctx.caller(&req);
        caller.require(Role::Operator)?;
        let req = req.into_inner();
        let operator = operator(&req.operator_id, &caller)?;
        if !req.request_id.is_empty() {
            if req.request_id.len() > rekam_proto::limits::MAX_REQUEST_ID_BYTES {
                return Err(too_large(
                    "request_id",
                    rekam_proto::limits::MAX_REQUEST_ID_BYTES,
                ));
            }
            if let Some(id) = self.ctx.seen_request(&req.request_id) {
                let id: SessionId = parse_id("session_id", &id)?;
                return Ok(Response::new(workflow::session(&check(
                    self.ctx.station.get_session(&id),
                )?)));
            }
        }
        let application_type: ApplicationType = enum_field::<v1::ApplicationType, ApplicationType>(
            "application_type",
            req.application_type,
        )
        .map_err(field)?;
        let marital_status = enum_field::<v1::MaritalStatus, rekam_card::MaritalStatus>(
            "marital_status",
            req.marital_status,
        )
        .map_err(field)?;
        if req.documents.len() > MAX_DOCUMENTS {
            return Err(bad_field(
                "documents",
                format!("at most {MAX_DOCUMENTS} documents"),
            ));
        }
        if req
            .documents
            .iter()
            .any(|d| d.len() > MAX_DOCUMENT_CODE_BYTES)
        {
            return Err(too_large("documents", MAX_DOCUMENT_CODE_BYTES));
        }
        let cmd = OpenSessionCmd {
            nik: req.nik,
            application_type,
            documents: req.documents,
            marital_status,
            previously_recorded: req.previously_recorded,
            operator: operator.clone(),
        };
        let actor = caller.actor(Role::Operator, operator.as_str());
        let view = check(self.ctx.station.open_session(cmd, &actor).await)?;
        self.ctx
            .remember_request(&req.request_id, &view.id.to_string());
        Ok(Response::new(workflow::session(&view)))
    }

    async fn get_session(
        &self,
        req: Request<v1::GetSessionRequest>,
    ) -> Result<Response<v1::Session>, Status> {
        self.ctx.caller(&req).require(Role::Operator)?;
        let id: SessionId = parse_id("session_id", &req.get_ref().session_id)?;
        Ok(Response::new(workflow::session(&check(
            self.ctx.station.get_session(&id),
        )?)))
    }

    async fn list_sessions(
        &self,
        req: Request<v1::ListSessionsRequest>,
    ) -> Result<Response<v1::ListSessionsResponse>, Status> {
        self.ctx.caller(&req).require(Role::Operator)?;
        let req = req.into_inner();
        let state = if req.state == 0 {
            None
        } else {
            Some(enum_field::<v1::SessionState, SessionState>("state", req.state).map_err(field)?)
        };
        let views = self.ctx.station.list_sessions(state);
        let (views, next_page_token) = page(views, req.page_size, &req.page_token)?;
        Ok(Response::new(v1::ListSessionsResponse {
            sessions: views.iter().map(workflow::session).collect(),
            next_page_token,
        }))
    }

    type CaptureStream = ResponseStream<v1::CaptureEvent>;

    async fn capture(
        &self,
        req: Request<v1::CaptureRequest>,
    ) -> Result<Response<Self::CaptureStream>, Status> {
        let caller = self.ctx.caller(&req);
        caller.require(Role::Operator)?;
        let req = req.into_inner();
        let id: SessionId = parse_id("session_id", &req.session_id)?;
        let target: CaptureTarget =
            enum_field::<v1::CaptureTarget, CaptureTarget>("target", req.target).map_err(field)?;
        let device: Option<DeviceId> = if req.device_id.is_empty() {
            None
        } else {
            Some(parse_id("device_id", &req.device_id)?)
        };
        let operator = operator(&req.operator_id, &caller)?;
        let actor = caller.actor(Role::Operator, operator.as_str());
        // Fail fast on an unknown session or a target out of order, before streaming.
        check(self.ctx.station.get_session(&id))?;
        let station = self.ctx.station.clone();
        // Previews are latest-wins all the way to the client (services::preview).
        Ok(Response::new(super::preview::forward(
            move |tx| async move {
                station
                    .capture_on(&id, target, device.as_ref(), operator, &actor, tx)
                    .await
            },
            capture_event,
            |update| matches!(update, CaptureUpdate::Preview(_)),
            move |result| {
                Some(match result {
                    Ok((outcome, view)) => Ok(v1::CaptureEvent {
                        event: Some(v1::capture_event::Event::Result(v1::CaptureResult {
                            target: v1::CaptureTarget::from(target).into(),
                            outcome: item_outcome(outcome).into(),
                            session: Some(workflow::session(&view)),
                        })),
                    }),
                    Err(e) => Err(super::station_status(&e)),
                })
            },
        )))
    }

    async fn record_exception(
        &self,
        req: Request<v1::RecordExceptionRequest>,
    ) -> Result<Response<v1::Session>, Status> {
        let caller = self.ctx.caller(&req);
        caller.require(Role::Operator)?;
        let req = req.into_inner();
        let id: SessionId = parse_id("session_id", &req.session_id)?;
        let item = workflow::item_key("item", req.item.as_ref()).map_err(field)?;
        let reason: ExceptionReason =
            enum_field::<v1::ExceptionReason, ExceptionReason>("reason", req.reason)
                .map_err(field)?;
        let permanence: Permanence =
            enum_field::<v1::Permanence, Permanence>("permanence", req.permanence)
                .map_err(field)?;
        if req.photo_jpeg.len() > MAX_EXCEPTION_PHOTO_BYTES {
            return Err(too_large("photo_jpeg", MAX_EXCEPTION_PHOTO_BYTES));
        }
        if req.note.len() > MAX_TEXT_BYTES {
            return Err(too_large("note", MAX_TEXT_BYTES));
        }
        if !req.photo_jpeg.is_empty() && !req.photo_jpeg.starts_with(&[0xFF, 0xD8]) {
            return Err(bad_field("photo_jpeg", "not a JPEG image"));
        }
        let operator = operator(&req.operator_id, &caller)?;
        let actor = caller.actor(Role::Operator, operator.as_str());
        let cmd = ExceptionCmd {
            item,
            reason,
            permanence,
            photo_jpeg: (!req.photo_jpeg.is_empty()).then_some(req.photo_jpeg),
            note: req.note,
            operator,
        };
        let view = check(self.ctx.station.record_exception(&id, cmd, &actor).await)?;
        Ok(Response::new(workflow::session(&view)))
    }

    async fn finalize_session(
        &self,
        req: Request<v1::FinalizeSessionRequest>,
    ) -> Result<Response<v1::FinalizeSessionResponse>, Status> {
        let caller = self.ctx.caller(&req);
        caller.require(Role::Operator)?;
        let req = req.into_inner();
        let id: SessionId = parse_id("session_id", &req.session_id)?;
        let operator = operator(&req.operator_id, &caller)?;
        let actor = caller.actor(Role::Operator, operator.as_str());
        let done = check(
            self.ctx
                .station
                .finalize_session(&id, operator, &actor)
                .await,
        )?;
        let mut package = workflow::package(&done.manifest);
        package.package_id = done.package_id.to_string();
        Ok(Response::new(v1::FinalizeSessionResponse {
            session: Some(workflow::session(&done.view)),
            package: Some(package),
        }))
    }

    async fn get_package_entry(
        &self,
        req: Request<v1::GetPackageEntryRequest>,
    ) -> Result<Response<v1::PackageEntryContent>, Status> {
        let caller = self.ctx.caller(&req);
        caller.require(Role::Operator)?;
        let req = req.into_inner();
        let id: SessionId = parse_id("session_id", &req.session_id)?;
        let actor = caller.actor(Role::Operator, "");
        let (media_type, content) = check(
            self.ctx
                .station
                .package_entry(&id, &req.sha256, &actor)
                .await,
        )?;
        Ok(Response::new(v1::PackageEntryContent {
            media_type,
            sha256: req.sha256,
            content,
        }))
    }

    async fn cancel_session(
        &self,
        req: Request<v1::CancelSessionRequest>,
    ) -> Result<Response<v1::Session>, Status> {
        let caller = self.ctx.caller(&req);
        caller.require(Role::Operator)?;
        let req = req.into_inner();
        let id: SessionId = parse_id("session_id", &req.session_id)?;
        if req.reason.len() > MAX_TEXT_BYTES {
            return Err(too_large("reason", MAX_TEXT_BYTES));
        }
        let operator = operator(&req.operator_id, &caller)?;
        let actor = caller.actor(Role::Operator, operator.as_str());
        let view = check(
            self.ctx
                .station
                .cancel_session(&id, &req.reason, operator, &actor)
                .await,
        )?;
        Ok(Response::new(workflow::session(&view)))
    }
}

fn capture_event(update: CaptureUpdate) -> v1::CaptureEvent {
    use v1::capture_event::Event;
    let event = match update {
        CaptureUpdate::Prompt { target, attempt } => Event::Prompt(v1::Prompt {
            code: prompt_for(target).into(),
            attempt,
            ..v1::Prompt::default()
        }),
        CaptureUpdate::Preview(frame) => Event::Preview(v1::PreviewFrame {
            jpeg: frame.jpeg,
            width: frame.width,
            height: frame.height,
            seq: frame.seq,
            at: Some(workflow::timestamp(time::OffsetDateTime::now_utc())),
        }),
        CaptureUpdate::Guidance(g) => Event::Guidance(convert::guidance_update(&g)),
        CaptureUpdate::Attempt(a) => Event::Attempt(workflow::attempt_result(&a)),
    };
    v1::CaptureEvent { event: Some(event) }
}

fn prompt_for(target: CaptureTarget) -> v1::PromptCode {
    match target {
        CaptureTarget::Face => v1::PromptCode::LookAtCamera,
        CaptureTarget::LeftSlap => v1::PromptCode::PlaceLeftSlap,
        CaptureTarget::RightSlap => v1::PromptCode::PlaceRightSlap,
        CaptureTarget::Thumbs => v1::PromptCode::PlaceThumbs,
        CaptureTarget::Irises => v1::PromptCode::LookAtIrisCamera,
        CaptureTarget::Signature => v1::PromptCode::SignOnPad,
    }
}

fn item_outcome(outcome: Option<TargetOutcome>) -> v1::ItemOutcome {
    match outcome {
        Some(o) => v1::ItemOutcome::from(o),
        None => v1::ItemOutcome::Unspecified,
    }
}
