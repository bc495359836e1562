//! Errors of the APDU engine, with a coarse [`ApduErrorKind`] that drivers map to device error
//! kinds (a full card, a card already personalised, a card pulled, a refused write).

use crate::command::CommandError;
use crate::response::{CardStatus, StatusWord};
use crate::transport::{TransportError, TransportErrorKind};

/// What went wrong, coarsely.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ApduErrorKind {
    /// The card left the reader (or was reset) during the exchange.
    CardRemoved,
    /// The reader or the PC/SC service went away.
    ReaderGone,
    /// The deadline passed.
    Timeout,
    /// The caller cancelled.
    Cancelled,
    /// Another process holds the card.
    Busy,
    /// The card has no room for a file (`6A84`).
    CardFull,
    /// The card already holds the file or application (`6A89`, `6A8A`): already personalised.
    AlreadyPersonalised,
    /// The card refused the command in its current state (`6982`, `6985`, `6283`, ...).
    Refused,
    /// A file is not there (`6A82`).
    NotFound,
    /// The card reported a write or memory failure, or data read back differs.
    WriteFailed,
    /// The card or reader answered something malformed or unexpected.
    Protocol,
    /// The request cannot be expressed (data too long for the card, bad length).
    InvalidInput,
}

/// An error of the APDU engine. Messages carry status words and file ids, never file data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ApduError {
    /// The transport failed.
    #[error("transport: {0}")]
    Transport(#[from] TransportError),
    /// The card answered an error status word.
    #[error("{op}: the card answered {status}")]
    Status {
        /// The operation, e.g. `UPDATE BINARY`.
        op: &'static str,
        /// What the card said.
        status: CardStatus,
    },
    /// A command could not be encoded.
    #[error("{op}: {source}")]
    Encode {
        /// The operation.
        op: &'static str,
        /// Why.
        source: CommandError,
    },
    /// The card's answer is not what the operation expects.
    #[error("{op}: {reason}")]
    Malformed {
        /// The operation.
        op: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
    /// A file read back differs from what was written.
    #[error("file {fid:04X}: read-back differs from what was written at byte {offset}")]
    VerifyMismatch {
        /// The file.
        fid: u16,
        /// The first differing byte (or the shorter length).
        offset: usize,
    },
    /// The request is too large for what the card or the standard allows.
    #[error("{0}")]
    TooLarge(String),
}

impl ApduError {
    /// An error for status word `sw` answered to `op`.
    pub fn status(op: &'static str, sw: StatusWord) -> ApduError {
        ApduError::Status {
            op,
            status: sw.status(),
        }
    }

    /// The card status behind the error, if the card answered one.
    pub fn card_status(&self) -> Option<CardStatus> {
        match self {
            ApduError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The coarse kind.
    pub fn kind(&self) -> ApduErrorKind {
        match self {
            ApduError::Transport(t) => match t.kind {
                TransportErrorKind::CardRemoved => ApduErrorKind::CardRemoved,
                TransportErrorKind::ReaderGone => ApduErrorKind::ReaderGone,
                TransportErrorKind::Timeout => ApduErrorKind::Timeout,
                TransportErrorKind::Cancelled => ApduErrorKind::Cancelled,
                TransportErrorKind::Busy => ApduErrorKind::Busy,
                TransportErrorKind::Protocol | TransportErrorKind::Other => ApduErrorKind::Protocol,
            },
            ApduError::Status { status, .. } => match status {
                CardStatus::NotEnoughMemory => ApduErrorKind::CardFull,
                CardStatus::FileExists | CardStatus::DfNameExists => {
                    ApduErrorKind::AlreadyPersonalised
                }
                CardStatus::FileNotFound => ApduErrorKind::NotFound,
                CardStatus::SecurityStatusNotSatisfied
                | CardStatus::ConditionsNotSatisfied
                | CardStatus::FileDeactivated
                | CardStatus::NoCurrentEf => ApduErrorKind::Refused,
                CardStatus::MemoryFailure => ApduErrorKind::WriteFailed,
                _ => ApduErrorKind::Protocol,
            },
            ApduError::Encode { .. } | ApduError::TooLarge(_) => ApduErrorKind::InvalidInput,
            ApduError::Malformed { .. } => ApduErrorKind::Protocol,
            ApduError::VerifyMismatch { .. } => ApduErrorKind::WriteFailed,
        }
    }
}
