//! # rekam-dev-ipp: card and document printers over IPP
//!
//! Drives IPP Everywhere printers and CUPS queues named by an `ipp://host:port/path` selector,
//! as a hal [`CardPrinter`](rekam_hal::CardPrinter) ([`IppCardPrinter`]) or
//! [`DocumentPrinter`](rekam_hal::DocumentPrinter) ([`IppDocumentPrinter`]).
//!
//! - [`transport`]: the seam, one IPP request in, its response out; [`HttpTransport`] sends it
//!   with the `ipp` crate's blocking client, unit tests script it.
//! - [`printer`]: the protocol logic both drivers share: Get-Printer-Attributes, Print-Job
//!   with `server-error-busy` retried under backoff (the `ipp` crate returns an IPP error
//!   status as a successful exchange: the status code is checked on every response),
//!   Get-Job-Attributes until the job ends, Cancel-Job on cancellation or deadline.
//! - [`attrs`]: printer attributes and the mapping of `printer-state-reasons` (with their
//!   `-report`/`-warning`/`-error` suffixes) to hal conditions, status and supplies.
//! - [`pwg`]: PWG Raster, sent when a printer does not take PNG.
//!
//! The drivers are blocking, like the hal traits: no async runtime is involved.
//! Nothing here logs document content; job names are fixed words and receipt ids.
#![forbid(unsafe_code)]

pub mod attrs;
pub mod card;
pub mod document;
pub mod printer;
pub mod pwg;
pub mod transport;

#[cfg(test)]
mod tests;

use std::time::Duration;

pub use card::IppCardPrinter;
pub use document::IppDocumentPrinter;
pub use printer::{IppPrinter, IppStats, Pacing, Submission};
pub use transport::{HttpTransport, IppTransport, TransportError};

use rekam_hal::{
    AnyDevice, Control, DeviceError, DeviceFamily, DeviceId, DeviceSelector, ErrorKind,
};

/// The driver name IPP devices report in their [`DeviceInfo`](rekam_hal::DeviceInfo).
pub const DRIVER: &str = "ipp";

/// How long [`open`] waits for the printer's attributes (a printer that is off is still
/// opened: it reports itself `Disconnected` until it answers).
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// Opens the IPP printer `selector` as device `id` of `family` (card or document printer)
/// and asks it for its attributes once, to learn its model and formats.
///
/// ```
/// use rekam_hal::{DeviceFamily, DeviceId, ErrorKind};
/// let id = DeviceId::new("ipp:face:0").unwrap();
/// let sel = "ipp://localhost:1/ipp/print".parse().unwrap();
/// let err = rekam_dev_ipp::open(DeviceFamily::FaceCamera, id, &sel).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::Unsupported);
/// ```
pub fn open(
    family: DeviceFamily,
    id: DeviceId,
    selector: &DeviceSelector,
) -> Result<AnyDevice, DeviceError> {
    let DeviceSelector::Ipp { uri } = selector else {
        return Err(DeviceError::new(
            ErrorKind::InvalidInput,
            format!("{selector} is not an ipp:// selector"),
        )
        .with_device(id));
    };
    let transport = HttpTransport::new(uri)
        .map_err(|e| DeviceError::new(e.kind(), e.to_string()).with_device(id.clone()))?;
    let probe = Control::with_timeout(PROBE_TIMEOUT).named("printer probe");
    let device = match family {
        DeviceFamily::CardPrinter => {
            let mut p = IppCardPrinter::new(id, transport);
            let _ = probe_once(&mut p, &probe);
            AnyDevice::CardPrinter(Box::new(p))
        }
        DeviceFamily::DocumentPrinter => {
            let mut p = IppDocumentPrinter::new(id, transport);
            let _ = probe_once(&mut p, &probe);
            AnyDevice::DocumentPrinter(Box::new(p))
        }
        other => {
            return Err(DeviceError::new(
                ErrorKind::Unsupported,
                format!("an IPP printer cannot be a {other}; use card-printer or document-printer"),
            )
            .with_device(id))
        }
    };
    Ok(device)
}

fn probe_once(device: &mut dyn rekam_hal::Device, ctl: &Control) -> Result<(), DeviceError> {
    match device.status(ctl) {
        Ok(s) => {
            tracing::info!(device = %device.info().id, model = %device.info().model, state = ?s.state, "IPP printer opened");
            Ok(())
        }
        Err(e) => {
            tracing::warn!(device = %device.info().id, error = %e, "IPP printer did not answer its first probe");
            Err(e)
        }
    }
}
