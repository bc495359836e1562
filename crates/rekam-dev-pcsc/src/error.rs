//! From PC/SC and APDU-engine errors to the device error kinds the workflow acts on.
//!
//! | cause | kind | the job does |
//! | --- | --- | --- |
//! | card pulled (`SCARD_W_REMOVED_CARD`, `SCARD_W_RESET_CARD`, no card) | `CardRemoved` | spoils the card, new blank |
//! | reader unplugged, pcscd gone | `Disconnected` | reports the device, defers |
//! | chip full (`6A84`), already personalised (`6A89`/`6A8A`), write refused (`6982`, `6985`, `6581`), read-back differs | `Hardware` | spoils the card, new blank |
//! | content larger than the chip | `InvalidInput` | nothing written |
//! | deadline, cancellation, another process holding the card | `Timeout`, `Cancelled`, `Busy` | retry later |

use rekam_apdu::{ApduError, ApduErrorKind, TransportError, TransportErrorKind};
use rekam_hal::{DeviceError, ErrorKind};

/// The transport error kind of a PC/SC error.
pub fn transport_kind(e: pcsc::Error) -> TransportErrorKind {
    use pcsc::Error as E;
    match e {
        E::RemovedCard | E::ResetCard | E::NoSmartcard | E::UnpoweredCard | E::UnresponsiveCard => {
            TransportErrorKind::CardRemoved
        }
        E::ReaderUnavailable
        | E::UnknownReader
        | E::NoService
        | E::ServiceStopped
        | E::NoReadersAvailable
        | E::Shutdown
        | E::InvalidHandle
        | E::CommDataLost => TransportErrorKind::ReaderGone,
        E::Timeout => TransportErrorKind::Timeout,
        E::Cancelled | E::SystemCancelled => TransportErrorKind::Cancelled,
        E::SharingViolation => TransportErrorKind::Busy,
        E::CommError | E::ProtoMismatch | E::InvalidAtr => TransportErrorKind::Protocol,
        _ => TransportErrorKind::Other,
    }
}

/// A PC/SC error as a transport error.
pub fn transport_error(e: pcsc::Error, what: &str) -> TransportError {
    TransportError::new(transport_kind(e), format!("{what}: {e}"))
}

/// A PC/SC error as a device error.
pub fn device_error(e: pcsc::Error, what: &str) -> DeviceError {
    let kind = match transport_kind(e) {
        TransportErrorKind::CardRemoved => ErrorKind::CardRemoved,
        TransportErrorKind::ReaderGone => ErrorKind::Disconnected,
        TransportErrorKind::Timeout => ErrorKind::Timeout,
        TransportErrorKind::Cancelled => ErrorKind::Cancelled,
        TransportErrorKind::Busy => ErrorKind::Busy,
        TransportErrorKind::Protocol => ErrorKind::Protocol,
        _ => ErrorKind::Internal,
    };
    DeviceError::new(kind, format!("{what}: {e}")).with_source(e)
}

/// An APDU-engine error as a device error.
pub fn apdu_error(e: ApduError) -> DeviceError {
    let (kind, hint) = match e.kind() {
        ApduErrorKind::CardRemoved => (ErrorKind::CardRemoved, "the card left the reader"),
        ApduErrorKind::ReaderGone => (ErrorKind::Disconnected, "the reader went away"),
        ApduErrorKind::Timeout => (ErrorKind::Timeout, "the chip did not answer in time"),
        ApduErrorKind::Cancelled => return DeviceError::cancelled(),
        ApduErrorKind::Busy => (ErrorKind::Busy, "another process holds the card"),
        ApduErrorKind::CardFull => (ErrorKind::Hardware, "the chip is full; reject the card"),
        ApduErrorKind::AlreadyPersonalised => (
            ErrorKind::Hardware,
            "the chip is already personalised; reject the card",
        ),
        ApduErrorKind::Refused | ApduErrorKind::WriteFailed | ApduErrorKind::NotFound => {
            (ErrorKind::Hardware, "the chip refused the operation")
        }
        ApduErrorKind::InvalidInput => {
            (ErrorKind::InvalidInput, "the request does not fit the chip")
        }
        _ => (
            ErrorKind::Protocol,
            "the chip answered something unexpected",
        ),
    };
    DeviceError::new(kind, format!("{hint} ({e})")).with_source(e)
}
