//! # rekam-proto: the `rekam.v1` gRPC contract
//!
//! The only crate of the workspace that knows protobuf. It holds:
//! - [`v1`]: the messages, enums, clients and servers generated from `proto/rekam/v1/*.proto`
//!   (compiled by `build.rs` with `protox`, no system `protoc`);
//! - [`descriptor`]: the encoded descriptor set for gRPC reflection, and the service names;
//! - [`client`]: reaching `rekamd` (the default socket path, channels over a Unix socket);
//! - [`status`]: the error model, the one place that turns an `ErrorReason` into a
//!   `tonic::Status` (gRPC code + `google.rpc.ErrorInfo`) and back;
//! - [`field`] and [`limits`]: request-field errors naming the field, and the documented size
//!   limits;
//! - [`convert`] and [`card`]: explicit conversions between the domain crates (`rekam-hal`,
//!   `rekam-card`) and the messages;
//! - [`workflow`]: explicit conversions between the `rekam-station` workflow and the messages.
//!
//! Architecture Invariant: no other crate depends on `prost` types directly for the
//! contract's messages; they reach them through this crate, and conversions live here.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod card;
pub mod client;
pub mod convert;
pub mod descriptor;
pub mod field;
pub mod limits;
pub mod status;
pub mod workflow;

/// The generated `rekam.v1` package: messages, enums (`i32` on the wire, typed getters), the
/// `*_client` modules with `DeviceServiceClient`, `EnrolmentServiceClient`,
/// `IssuanceServiceClient`, and the `*_server` modules with the service traits and servers.
/// Every item carries the comment of its proto declaration.
#[allow(
    missing_docs,
    clippy::all,
    clippy::pedantic,
    rustdoc::bare_urls,
    rustdoc::broken_intra_doc_links,
    rustdoc::invalid_html_tags
)]
pub mod v1 {
    tonic::include_proto!("rekam.v1");
}

pub use descriptor::FILE_DESCRIPTOR_SET;
