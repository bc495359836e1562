//! The chip encoder over PC/SC (pcsc-lite, through the `pcsc` crate).
//!
//! - [`encoder`]: [`PcscEncoder`], rekam-hal's [`rekam_hal::CardEncoder`] on a PC/SC reader:
//!   reader discovery by name, card presence, an exclusive transaction per operation,
//!   personalisation through the `rekam-apdu` engine in chunks sized from what the card
//!   announces, a byte-for-byte read-back, ISO/IEC 7816-9 activation, and hotplug events
//!   (`PNP_NOTIFICATION`) to the registry.
//! - [`transport`]: the APDU transport over `SCardTransmit`.
//! - [`error`]: how PC/SC and card errors become device error kinds (a pulled card, a full or
//!   already personalised chip, a refused write: the job spoils the card and takes a new blank).
//!
//! The SOD and what the files mean are the card profile's business (`rekam-card`); the
//! workflow verifies the read-back against the profile, passive authentication included.
#![forbid(unsafe_code)]

pub mod encoder;
pub mod error;
pub mod transport;

pub use encoder::{PcscConfig, PcscEncoder};
