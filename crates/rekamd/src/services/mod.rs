//! The `rekam.v1` gRPC services: thin handlers that check the caller's role, turn requests into
//! station commands (every conversion is in `rekam-proto`), and turn results and errors back.
//!
//! Streaming calls run the station command in a task that forwards its updates; when the
//! client goes away the forwarding stops and the command's future is dropped, which cancels
//! the device call in flight (the station documents what stays journaled).

pub mod devices;
pub mod enrolment;
pub mod issuance;
pub mod preview;

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};

use futures_util::Stream;
use rekam_hal::DeviceId;
use rekam_proto::field::FieldError;
use rekam_proto::status::{error_status, reason_status};
use rekam_proto::v1::ErrorReason;
use rekam_sim::FaultHandle;
use rekam_station::ids::OperatorId;
use rekam_station::registry::RegistryError;
use rekam_station::station::{Station, StationError};
use tonic::{Code, Request, Status};

use crate::auth::Caller;
use crate::config::{AuthConfig, Config};
use crate::drivers::Devices;

/// A server stream of messages or a status.
pub type ResponseStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

/// What every service needs.
#[derive(Clone, Debug)]
pub struct Ctx {
    /// The station.
    pub station: Station,
    /// Roles.
    pub auth: Arc<AuthConfig>,
    /// Fault handles of simulated devices.
    pub faults: Arc<HashMap<DeviceId, FaultHandle>>,
    /// Device capabilities.
    pub capabilities: Arc<crate::drivers::CapabilityTable>,
    /// OpenSession request ids already seen (idempotency while the daemon runs).
    pub open_requests: Arc<Mutex<HashMap<String, String>>>,
    /// `[card]`: what ReadCard checks a chip against.
    pub card: Arc<crate::pcsc::ChipConfig>,
}

impl Ctx {
    /// The context of a daemon.
    pub fn new(station: Station, config: &Config, devices: &Devices) -> Self {
        Ctx {
            station,
            auth: Arc::new(config.auth.clone()),
            faults: devices.faults.clone(),
            capabilities: devices.capabilities.clone(),
            open_requests: Arc::new(Mutex::new(HashMap::new())),
            card: Arc::new(config.card.clone()),
        }
    }

    /// The caller of a request.
    pub fn caller<T>(&self, req: &Request<T>) -> Caller {
        Caller::of(req, &self.auth)
    }

    pub(crate) fn seen_request(&self, request_id: &str) -> Option<String> {
        self.open_requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(request_id)
            .cloned()
    }

    pub(crate) fn remember_request(&self, request_id: &str, id: &str) {
        if !request_id.is_empty() {
            self.open_requests
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(request_id.to_owned(), id.to_owned());
        }
    }
}

/// Runs a streaming station command and forwards what it reports to the client.
///
/// `run` gets the update channel; each update goes out through `map`; when the command ends,
/// `last` turns its result into the stream's final message or error (or nothing). When the
/// client goes away the update channel is dropped and the command is left to wind down: the
/// station watches that channel, cancels the device call under way, and leaves the session or
/// job consistent (a job's card in play is rejected).
pub fn forward<U, T, R, Fut>(
    run: impl FnOnce(tokio::sync::mpsc::Sender<U>) -> Fut + Send + 'static,
    map: impl Fn(U) -> T + Send + 'static,
    last: impl FnOnce(R) -> Option<Result<T, Status>> + Send + 'static,
) -> ResponseStream<T>
where
    U: Send + 'static,
    T: Send + 'static,
    R: Send + 'static,
    Fut: std::future::Future<Output = R> + Send + 'static,
{
    // Nothing is droppable: every update is queued and goes out in order.
    preview::forward(run, map, |_| false, last)
}

/// The one mapping from station errors to gRPC statuses (workflow, device and registry errors
/// each have theirs in `rekam-proto`).
pub fn station_status(e: &StationError) -> Status {
    match e {
        StationError::Workflow(w) => rekam_proto::workflow::workflow_status(w),
        StationError::Device(d) => rekam_proto::convert::device_error_status(d),
        StationError::Registry(RegistryError::Busy { device, holder }) => reason_status(
            ErrorReason::DeviceBusy,
            format!("device {device} is in use by {holder}"),
            [("device_id".to_owned(), device.to_string())],
        ),
        StationError::Registry(RegistryError::NotFound(device)) => reason_status(
            ErrorReason::DeviceNotFound,
            format!("no device {device}"),
            [("device_id".to_owned(), device.to_string())],
        ),
        StationError::Registry(RegistryError::NoDevice(family)) => reason_status(
            ErrorReason::DeviceNotFound,
            format!("no {family} is configured on this station"),
            [("family".to_owned(), family.to_string())],
        ),
        StationError::Registry(RegistryError::Gone(device)) => error_status(
            Code::Internal,
            ErrorReason::Internal,
            format!("the driver of {device} stopped"),
            [("device_id".to_owned(), device.to_string())],
        ),
        StationError::Store(s) => {
            tracing::error!(error = %s, "journal error");
            error_status(
                Code::Internal,
                ErrorReason::Internal,
                "the journal failed; see the daemon log",
                [],
            )
        }
        StationError::Profile(rekam_card::ProfileError::TooLarge { needed, capacity }) => {
            error_status(
                Code::InvalidArgument,
                ErrorReason::PayloadTooLarge,
                format!("the card's data needs {needed} bytes but the chip holds {capacity}"),
                [("field".to_owned(), "record".to_owned())],
            )
        }
        StationError::Profile(p) => error_status(
            Code::InvalidArgument,
            ErrorReason::InvalidArgument,
            format!("the card's data cannot go on the chip: {p}"),
            [],
        ),
        StationError::Render(r) => error_status(
            Code::InvalidArgument,
            ErrorReason::InvalidArgument,
            format!("the card cannot be rendered: {r}"),
            [],
        ),
        StationError::Cancelled => {
            error_status(Code::Cancelled, ErrorReason::Cancelled, "cancelled", [])
        }
        StationError::Internal(m) => {
            tracing::error!(error = %m, "internal error");
            error_status(Code::Internal, ErrorReason::Internal, m.clone(), [])
        }
    }
}

/// Converts a station result.
pub fn check<T>(r: Result<T, StationError>) -> Result<T, Status> {
    r.map_err(|e| station_status(&e))
}

/// A malformed request field.
pub fn bad_field(field: &str, message: impl Into<String>) -> Status {
    error_status(
        Code::InvalidArgument,
        ErrorReason::InvalidArgument,
        format!("{field}: {}", message.into()),
        [("field".to_owned(), field.to_owned())],
    )
}

/// Converts a field error.
pub fn field(e: FieldError) -> Status {
    e.to_status()
}

/// Parses an operator id (empty: the caller's label is used as the operator).
pub fn operator(raw: &str, caller: &Caller) -> Result<OperatorId, Status> {
    let raw = if raw.is_empty() {
        caller.label.replace(':', "-")
    } else {
        raw.to_owned()
    };
    raw.parse::<OperatorId>()
        .map_err(|e| bad_field("operator_id", e.to_string()))
}

/// Parses a typed id field.
pub fn parse_id<T: std::str::FromStr>(field_name: &str, raw: &str) -> Result<T, Status>
where
    T::Err: std::fmt::Display,
{
    raw.parse::<T>()
        .map_err(|e| bad_field(field_name, e.to_string()))
}

/// Offset-based paging over an already ordered list.
pub fn page<T>(items: Vec<T>, page_size: u32, token: &str) -> Result<(Vec<T>, String), Status> {
    let size = match page_size {
        0 => rekam_proto::limits::DEFAULT_PAGE_SIZE,
        n => n.min(rekam_proto::limits::MAX_PAGE_SIZE),
    } as usize;
    let start = if token.is_empty() {
        0
    } else {
        token
            .parse::<usize>()
            .map_err(|_| bad_field("page_token", "not a token this server gave"))?
    };
    let total = items.len();
    let page: Vec<T> = items.into_iter().skip(start).take(size).collect();
    let next = if start + page.len() < total {
        (start + page.len()).to_string()
    } else {
        String::new()
    };
    Ok((page, next))
}
