//! ISO/IEC 7816-4 APDUs for chip personalisation, without I/O.
//!
//! - [`command`]: command APDUs ([`Command`]), encoded in the short or extended form as the
//!   lengths need, and parsed back (the virtual card in `rekam-vcard` uses the same codec).
//! - [`response`]: response APDUs ([`Response`]), status words ([`StatusWord`]) and the typed
//!   meaning of every status word of the personalisation path ([`CardStatus`]).
//! - [`tlv`]: BER-TLV as ISO/IEC 7816-4 and ICAO Doc 9303 use it (definite lengths only).
//! - [`fcp`]: file control parameters ([`Fcp`], template `62`) and the ISO/IEC 7816-9 life
//!   cycle ([`LifeCycle`]).
//! - [`transport`]: the [`Transport`] seam (bytes in, bytes out, under a [`Control`]) that a
//!   PC/SC driver implements, and [`ScriptedTransport`], an expectation queue for tests.
//! - [`channel`]: [`CardChannel`], which sends a [`Command`] over a transport with command
//!   chaining, `GET RESPONSE` on `61xx` and a retry with the right Le on `6Cxx`, and counts
//!   what it sent.
//! - [`ops`]: the personalisation operations on a [`CardChannel`]: SELECT by AID or file id,
//!   CREATE FILE, UPDATE BINARY in chunks sized from the card's announced limits, READ BINARY
//!   and verify, ACTIVATE / DEACTIVATE FILE, reading the card's limits from EF.ATR/INFO.
//!
//! Why this is written here rather than taken from a crate: the `iso7816` crate targets card
//! firmware (`no_std`, const-generic buffers, no host-side chaining or GET RESPONSE), and
//! `iso7816-tlv` covers TLV only. The codec is small, total (every parser returns an error
//! instead of panicking) and property-tested in both directions.
//!
//! [`Control`]: rekam_hal::Control
#![forbid(unsafe_code)]

pub mod channel;
pub mod command;
pub mod error;
pub mod fcp;
pub mod ops;
pub mod response;
pub mod tlv;
pub mod transport;

pub use channel::{CardChannel, Limits, Stats};
pub use command::{Command, CommandError};
pub use error::{ApduError, ApduErrorKind};
pub use fcp::{Fcp, FileKind, LifeCycle};
pub use response::{CardStatus, Response, StatusWord};
pub use tlv::{Tlv, TlvError};
pub use transport::{ScriptedTransport, Transport, TransportError, TransportErrorKind};
