//! [`PcscTransport`]: the APDU transport over `SCardTransmit`.
//!
//! PC/SC has no timeout on one `SCardTransmit` and `SCardCancel` does not interrupt it: the
//! reader driver bounds one exchange. The deadline and the cancellation token are checked
//! before every APDU, so a long personalisation stops at the next command boundary; waits for
//! a card or a reader (`SCardGetStatusChange`) are cut short by `SCardCancel` at once.

use rekam_apdu::{Transport, TransportError};
use rekam_hal::Control;

use crate::error::transport_error;

/// A transport to a connected card (usually inside a transaction).
pub struct PcscTransport<'a> {
    card: &'a pcsc::Card,
    buf: Vec<u8>,
}

impl std::fmt::Debug for PcscTransport<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PcscTransport").finish_non_exhaustive()
    }
}

impl<'a> PcscTransport<'a> {
    /// A transport over `card`, with an extended-length receive buffer.
    pub fn new(card: &'a pcsc::Card) -> PcscTransport<'a> {
        PcscTransport {
            card,
            buf: vec![0; pcsc::MAX_BUFFER_SIZE_EXTENDED],
        }
    }
}

impl Transport for PcscTransport<'_> {
    fn transmit(&mut self, command: &[u8], ctl: &Control) -> Result<Vec<u8>, TransportError> {
        ctl.check().map_err(|e| TransportError::from_control(&e))?;
        let answer = self
            .card
            .transmit(command, &mut self.buf)
            .map_err(|e| transport_error(e, "SCardTransmit"))?;
        Ok(answer.to_vec())
    }
}
