//! An in-process transport to a [`VirtualCard`], for tests that need no pcscd.

use rekam_apdu::{Transport, TransportError, TransportErrorKind};
use rekam_hal::Control;

use crate::card::VirtualCard;

/// A [`Transport`] straight to a card. A card that left the field (a
/// [`crate::Fault::RemoveDuringWrite`]) stays gone: every later command fails with
/// `CardRemoved`, as a reader would report it.
#[derive(Debug, Clone)]
pub struct Direct {
    card: VirtualCard,
    gone: bool,
}

impl Direct {
    /// A transport to `card`.
    pub fn new(card: &VirtualCard) -> Direct {
        Direct {
            card: card.clone(),
            gone: false,
        }
    }
}

impl Transport for Direct {
    fn transmit(&mut self, command: &[u8], ctl: &Control) -> Result<Vec<u8>, TransportError> {
        ctl.check().map_err(|e| TransportError::from_control(&e))?;
        let removed =
            || TransportError::new(TransportErrorKind::CardRemoved, "the card left the field");
        if self.gone {
            return Err(removed());
        }
        let outcome = self.card.process(command);
        if !outcome.delay.is_zero() {
            ctl.sleep(outcome.delay)
                .map_err(|e| TransportError::from_control(&e))?;
        }
        outcome.response.ok_or_else(|| {
            self.gone = true;
            removed()
        })
    }
}
