//! A card printer reached over IPP (an IPP Everywhere card printer, or a CUPS queue for one).
//!
//! An IPP card printer has no encoder the station can reach through it: it goes with the
//! desk-encoder arrangement (`[workflow.issuance] arrangement = "desk_encoder"`), where the
//! operator places the blank on the desk encoder and then loads the encoded card into the
//! printer. So:
//! - `feed` is refused (`Unsupported`): the blank is the operator's to place;
//! - `print` sends the face (PNG when the printer takes it, else PWG Raster at 300 dpi) and
//!   waits until the printer reports the job completed;
//! - `eject` and `reject` have nothing to move: the printer hands the card out after printing,
//!   and a spoiled card is discarded by the operator (the station prompts for it);
//! - supplies come from `printer-state-reasons` and `marker-levels` (IPP does not count cards).

use rekam_card::render::{encode_png, CARD_HEIGHT, CARD_PPI, CARD_WIDTH};
use rekam_hal::{
    CardPrinter, CardPrinterCapabilities, Control, Device, DeviceFamily, DeviceId, DeviceInfo,
    DeviceStatus, ErrorKind, PixelFormat, RawImage, Result, SelfTestProgress, SelfTestReport,
    Supplies,
};

use crate::attrs::PrinterAttributes;
use crate::printer::{IppPrinter, IppStats, Pacing, Submission};
use crate::pwg;
use crate::transport::IppTransport;

/// The `job-name` of a card face.
pub const CARD_JOB_NAME: &str = "ktp-el-card";

/// The format the driver sends a card face in, given what the printer takes.
pub fn card_format(attrs: &PrinterAttributes) -> Option<&'static str> {
    ["image/png", "image/pwg-raster"]
        .into_iter()
        .find(|f| attrs.supports_format(f))
}

/// An IPP card printer.
#[derive(Debug)]
pub struct IppCardPrinter<T: IppTransport> {
    printer: IppPrinter<T>,
}

impl<T: IppTransport> IppCardPrinter<T> {
    /// A card printer named `id` behind `transport` (no I/O).
    pub fn new(id: DeviceId, transport: T) -> Self {
        IppCardPrinter {
            printer: IppPrinter::new(DeviceFamily::CardPrinter, id, transport),
        }
    }

    /// Changes the retry and poll delays.
    pub fn with_pacing(mut self, pacing: Pacing) -> Self {
        self.printer = self.printer.with_pacing(pacing);
        self
    }

    /// The driver's counters.
    pub fn stats(&self) -> IppStats {
        self.printer.stats()
    }

    /// The shared IPP printer.
    pub fn printer(&self) -> &IppPrinter<T> {
        &self.printer
    }

    fn encode_face(
        &self,
        face: &RawImage,
        attrs: &PrinterAttributes,
    ) -> Result<(&'static str, Vec<u8>)> {
        let format = card_format(attrs).ok_or_else(|| {
            self.printer.err(
                ErrorKind::Unsupported,
                format!(
                    "the printer takes neither image/png nor image/pwg-raster (it offers {})",
                    attrs.formats.join(", ")
                ),
            )
        })?;
        let mut face = face.clone();
        face.ppi = Some(CARD_PPI);
        let bytes = if format == "image/png" {
            encode_png(&face)
                .map_err(|e| self.printer.err(ErrorKind::InvalidInput, e.to_string()))?
        } else {
            let media = attrs.media_default.as_deref().unwrap_or("");
            pwg::encode(&face, u32::from(CARD_PPI), media)
                .map_err(|e| self.printer.err(ErrorKind::InvalidInput, e.to_string()))?
        };
        Ok((format, bytes))
    }
}

impl<T: IppTransport> Device for IppCardPrinter<T> {
    fn info(&self) -> &DeviceInfo {
        self.printer.info()
    }

    fn status(&mut self, ctl: &Control) -> Result<DeviceStatus> {
        self.printer.status(ctl)
    }

    fn self_test(
        &mut self,
        ctl: &Control,
        progress: &mut dyn FnMut(SelfTestProgress),
    ) -> Result<SelfTestReport> {
        self.printer
            .self_test(ctl, progress, &|a| match card_format(a) {
                Some(f) => (true, format!("card faces go as {f}")),
                None => (
                    false,
                    format!(
                        "no image/png or image/pwg-raster in {}",
                        a.formats.join(", ")
                    ),
                ),
            })
    }

    fn recover(&mut self, ctl: &Control) -> Result<()> {
        self.printer.recover(ctl)
    }
}

impl<T: IppTransport> CardPrinter for IppCardPrinter<T> {
    fn capabilities(&self) -> CardPrinterCapabilities {
        CardPrinterCapabilities {
            inline_encoder: false,
            dpi: CARD_PPI,
            width_dots: CARD_WIDTH,
            height_dots: CARD_HEIGHT,
            duplex: false,
        }
    }

    fn supplies(&mut self, ctl: &Control) -> Result<Supplies> {
        Ok(self.printer.refresh(ctl)?.supplies())
    }

    fn feed(&mut self, ctl: &Control) -> Result<()> {
        ctl.check()?;
        Err(self.printer.err(
            ErrorKind::Unsupported,
            "an IPP card printer has no inline encoder to feed: configure the desk_encoder arrangement",
        ))
    }

    fn print(&mut self, face: &RawImage, ctl: &Control) -> Result<()> {
        if face.format != PixelFormat::Rgb8
            || !face.is_consistent()
            || face.width != CARD_WIDTH
            || face.height != CARD_HEIGHT
        {
            return Err(self.printer.err(
                ErrorKind::InvalidInput,
                format!(
                    "the face must be {CARD_WIDTH}x{CARD_HEIGHT} RGB, got {}x{} {:?}",
                    face.width, face.height, face.format
                ),
            ));
        }
        let attrs = self.printer.refresh(ctl)?;
        if let Some(e) = self.printer.condition_error(&attrs) {
            return Err(e);
        }
        let (format, data) = self.encode_face(face, &attrs)?;
        self.printer.print(
            Submission {
                job_name: CARD_JOB_NAME,
                format,
                media: None,
                data: &data,
            },
            ctl,
        )?;
        Ok(())
    }

    fn eject(&mut self, ctl: &Control) -> Result<()> {
        // The printer hands the card out when the job completes.
        ctl.check()
    }

    fn reject(&mut self, ctl: &Control) -> Result<()> {
        // Nothing to move: the operator discards the card (the station prompts for it).
        ctl.check()
    }
}
