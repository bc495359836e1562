//! A virtual ISO/IEC 7816-4 card for tests, in Rust.
//!
//! - [`card`]: [`VirtualCard`], a file system with life cycle and capacity that answers
//!   command APDUs, and the [`Fault`]s a test injects (tearing, removal mid-write, wrong
//!   status words, slow answers, corrupted reads; a full card is a small
//!   [`CardConfig::capacity`], an already personalised one a [`VirtualCard::preload`]).
//! - [`direct`]: [`Direct`], an in-process [`rekam_apdu::Transport`] to a card (no pcscd),
//!   for unit tests of the code above the transport.
//! - [`link`]: the vsmartcard vpcd socket protocol, card side, so that a real `pcscd` with
//!   the vpcd driver sees the card in "Virtual PCD 00 00".
//!
//! How it runs beside pcscd: pcscd runs in its own network namespace (`unshare --net`) so that
//! vpcd's ports stay off the network. In tests the card runs *inside the test process*: a link
//! thread joins pcscd's namespace with `setns(2)` ([`Target::in_netns_of`]) and connects; the
//! test keeps a [`VirtualCard`] handle to inject faults and inspect the files, and removes the
//! card with [`Insertion::remove`]. For manual use the `rekam-vcard` binary does the same
//! (`--netns-pid PID`), or runs under `nsenter -t PID -n`.
#![forbid(unsafe_code)]

pub mod card;
pub mod direct;
pub mod link;

pub use card::{AppSnapshot, CardConfig, Fault, Outcome, VirtualCard, DEFAULT_ATR};
pub use direct::Direct;
pub use link::{insert, serve, Insertion, LinkEnd, Target, VPCD_PORT};
