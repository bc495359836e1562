//! The contract's descriptors: the encoded `FileDescriptorSet` (for gRPC reflection) and the
//! names of its services.

use prost::Message;

/// The encoded `FileDescriptorSet` of `rekam/v1/*.proto` and their imports
/// (`google/protobuf/duration.proto`, `timestamp.proto`), with source info (comments). Hand
/// it to `tonic_reflection::server::Builder::register_encoded_file_descriptor_set`.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/rekam_v1_descriptor.bin"));

/// The fully qualified names of the contract's services, as health checks and reflection
/// name them.
pub const SERVICE_NAMES: [&str; 3] = [
    "rekam.v1.DeviceService",
    "rekam.v1.EnrolmentService",
    "rekam.v1.IssuanceService",
];

/// Decodes [`FILE_DESCRIPTOR_SET`].
pub fn file_descriptor_set() -> Result<prost_types::FileDescriptorSet, prost::DecodeError> {
    prost_types::FileDescriptorSet::decode(FILE_DESCRIPTOR_SET)
}

/// The values of a `rekam.v1` enum, by fully qualified name (`rekam.v1.ErrorReason`), as
/// `(name, number, leading comment)`; empty when there is no such enum.
#[cfg(test)]
pub(crate) fn enum_values(full_name: &str) -> Vec<(String, i32, String)> {
    let Ok(fds) = file_descriptor_set() else {
        return Vec::new();
    };
    for file in &fds.file {
        let package = file.package();
        for (i, e) in file.enum_type.iter().enumerate() {
            if format!("{package}.{}", e.name()) != full_name {
                continue;
            }
            let comment = |j: usize| -> String {
                let path = [
                    5,
                    i32::try_from(i).unwrap_or(-1),
                    2,
                    i32::try_from(j).unwrap_or(-1),
                ];
                file.source_code_info
                    .as_ref()
                    .and_then(|info| info.location.iter().find(|l| l.path == path))
                    .and_then(|l| l.leading_comments.clone())
                    .unwrap_or_default()
            };
            return e
                .value
                .iter()
                .enumerate()
                .map(|(j, v)| (v.name().to_owned(), v.number(), comment(j)))
                .collect();
        }
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_set_decodes_and_holds_the_three_services() {
        let fds = file_descriptor_set().unwrap();
        let services: Vec<String> = fds
            .file
            .iter()
            .flat_map(|f| {
                f.service
                    .iter()
                    .map(move |s| format!("{}.{}", f.package(), s.name()))
            })
            .collect();
        assert_eq!(services, SERVICE_NAMES);
        // Imports are included, so reflection clients can resolve Timestamp and Duration.
        let names: Vec<&str> = fds.file.iter().map(|f| f.name()).collect();
        assert!(
            names.contains(&"google/protobuf/timestamp.proto"),
            "{names:?}"
        );
        assert!(
            names.contains(&"google/protobuf/duration.proto"),
            "{names:?}"
        );
    }

    #[test]
    fn generated_service_names_agree() {
        use tonic::server::NamedService;
        type D = crate::v1::device_service_server::DeviceServiceServer<Never>;
        type E = crate::v1::enrolment_service_server::EnrolmentServiceServer<Never>;
        type I = crate::v1::issuance_service_server::IssuanceServiceServer<Never>;
        assert_eq!([D::NAME, E::NAME, I::NAME], SERVICE_NAMES);
    }

    /// A type that implements no service; only its server type's `NAME` is used.
    enum Never {}
}
