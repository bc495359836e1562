//! The size limits the contract documents (`common.proto`, "Sizes"), as constants for the
//! server that enforces them and the clients that respect them.
//!
//! A request field over its limit is refused with `INVALID_ARGUMENT` + `PAYLOAD_TOO_LARGE`
//! (see [`crate::field::check_len`]).

/// One mebibyte.
const MIB: usize = 1024 * 1024;

/// Largest encoded request message the server accepts, in bytes.
pub const MAX_REQUEST_BYTES: usize = 4 * MIB;
/// `RecordExceptionRequest.photo_jpeg`, bytes.
pub const MAX_EXCEPTION_PHOTO_BYTES: usize = 2 * MIB;
/// `ChipBiometrics.face_jpeg`, bytes.
pub const MAX_FACE_JPEG_BYTES: usize = 2 * MIB;
/// `ChipBiometrics.signature_png`, bytes.
pub const MAX_SIGNATURE_PNG_BYTES: usize = 512 * 1024;
/// `FingerprintTemplate.data`, bytes.
pub const MAX_TEMPLATE_BYTES: usize = 16 * 1024;
/// `ChipBiometrics.fingerprints`, entries.
pub const MAX_TEMPLATES: usize = 10;
/// Every `operator_id`, bytes.
pub const MAX_OPERATOR_ID_BYTES: usize = 64;
/// Every `request_id`, bytes.
pub const MAX_REQUEST_ID_BYTES: usize = 128;
/// Every device id, bytes.
pub const MAX_DEVICE_ID_BYTES: usize = 128;
/// Notes and reasons (`note`, `reason` texts), bytes.
pub const MAX_TEXT_BYTES: usize = 1024;
/// `OpenSessionRequest.documents`, entries.
pub const MAX_DOCUMENTS: usize = 32;
/// One document code, bytes.
pub const MAX_DOCUMENT_CODE_BYTES: usize = 64;
/// `page_size` of the List calls, entries.
pub const MAX_PAGE_SIZE: u32 = 1000;
/// The page size used when a List call asks for 0.
pub const DEFAULT_PAGE_SIZE: u32 = 100;
/// `PreviewFrame.jpeg` as the station sends it, bytes.
pub const MAX_PREVIEW_JPEG_BYTES: usize = MIB;
/// `EnrolmentPackage.manifest_json` as the station sends it, bytes.
pub const MAX_MANIFEST_JSON_BYTES: usize = MIB;
