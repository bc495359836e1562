//! The document printer for pickup receipts, handover receipts and surat keterangan: prints
//! into [`SimWorld::documents`](crate::SimWorld::documents).

use rekam_hal::{
    Condition, Control, Device, DeviceFamily, DeviceInfo, DeviceState, DeviceStatus, Document,
    DocumentPrinter, DocumentPrinterCapabilities, ErrorKind, EventSink, Result, SelfTestProgress,
    SelfTestReport,
};

use crate::core::SimCore;
use crate::fault::{FaultHandle, FaultKind};
use crate::world::{PrintedDocument, SimWorld};

const FORMATS: [&str; 3] = ["image/png", "image/jpeg", "application/pdf"];
const MEDIA: [&str; 3] = ["iso_a6_105x148mm", "iso_a5_148x210mm", "iso_a4_210x297mm"];

/// A simulated receipt and certificate printer (PNG, JPEG or PDF on A6, A5 or A4). Paper and
/// toner never run out unless a `BlanksEmpty` or `RibbonOut` fault says so.
pub struct SimDocumentPrinter {
    core: SimCore,
}

impl std::fmt::Debug for SimDocumentPrinter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimDocumentPrinter")
            .field("id", &self.core.info.id)
            .finish()
    }
}

impl SimDocumentPrinter {
    /// Printer number `index` in `world`, with its fault handle.
    pub fn new(index: u32, world: &SimWorld) -> (Self, FaultHandle) {
        let (core, faults) = SimCore::new(
            DeviceFamily::DocumentPrinter,
            index,
            world,
            "Rekam Sim Receipt Printer",
        );
        (SimDocumentPrinter { core }, faults)
    }
}

impl Device for SimDocumentPrinter {
    fn info(&self) -> &DeviceInfo {
        &self.core.info
    }

    fn status(&mut self, ctl: &Control) -> Result<DeviceStatus> {
        ctl.check().map_err(|e| self.core.tag(e))?;
        let mut status = self.core.base_status();
        if status.state == DeviceState::Disconnected {
            return Ok(status);
        }
        let faults = &self.core.faults;
        for (kind, condition) in [
            (FaultKind::PrinterOffline, Condition::Offline),
            (FaultKind::BlanksEmpty, Condition::MediaEmpty),
            (FaultKind::RibbonOut, Condition::RibbonEmpty),
        ] {
            if faults.is_active(kind) {
                status.conditions.push(condition);
            }
        }
        if !status.conditions.is_empty() {
            status.state = DeviceState::NeedsAttention;
            status.detail = Some("needs attention".to_owned());
        }
        Ok(status)
    }

    fn self_test(
        &mut self,
        ctl: &Control,
        progress: &mut dyn FnMut(SelfTestProgress),
    ) -> Result<SelfTestReport> {
        let paper = !self.core.faults.is_active(FaultKind::BlanksEmpty);
        let toner = !self.core.faults.is_active(FaultKind::RibbonOut);
        let checks = vec![
            (
                "printer responds",
                true,
                "IPP Get-Printer-Attributes answered".to_owned(),
            ),
            (
                "paper",
                paper,
                if paper { "paper loaded" } else { "paper out" }.to_owned(),
            ),
            (
                "toner",
                toner,
                if toner { "toner ok" } else { "toner empty" }.to_owned(),
            ),
        ];
        self.core.run_self_test(ctl, progress, checks)
    }

    fn recover(&mut self, ctl: &Control) -> Result<()> {
        self.core.begin_recover(ctl)
    }

    fn set_event_sink(&mut self, sink: EventSink) {
        self.core.faults.set_sink(sink);
    }
}

impl DocumentPrinter for SimDocumentPrinter {
    fn capabilities(&self) -> DocumentPrinterCapabilities {
        DocumentPrinterCapabilities {
            formats: FORMATS.iter().map(|s| (*s).to_owned()).collect(),
            media: MEDIA.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    fn print(&mut self, doc: &Document, ctl: &Control) -> Result<String> {
        self.core.begin(ctl)?;
        let media_type = doc.content.codec.media_type();
        if !FORMATS.contains(&media_type) {
            return Err(self.core.err(
                ErrorKind::InvalidInput,
                format!("document format {media_type} is not supported"),
            ));
        }
        if !MEDIA.contains(&doc.media.as_str()) {
            return Err(self.core.err(
                ErrorKind::InvalidInput,
                format!("media {:?} is not loaded", doc.media),
            ));
        }
        if doc.content.bytes.is_empty() {
            return Err(self
                .core
                .err(ErrorKind::InvalidInput, "the document is empty"));
        }
        let faults = &self.core.faults;
        if faults.take(FaultKind::BlanksEmpty).is_some() {
            return Err(self
                .core
                .err(ErrorKind::OutOfSupplies, "paper out")
                .with_condition(Condition::MediaEmpty));
        }
        if faults.take(FaultKind::RibbonOut).is_some() {
            return Err(self
                .core
                .err(ErrorKind::OutOfSupplies, "toner empty")
                .with_condition(Condition::RibbonEmpty));
        }
        if faults.take(FaultKind::Jam).is_some() {
            return Err(self
                .core
                .err(ErrorKind::Hardware, "paper jam")
                .with_condition(Condition::MediaJam));
        }
        self.core.sleep(ctl, self.core.world.latency().doc_print)?;
        Ok(self.core.world.lock().add_document(PrintedDocument {
            job_id: String::new(),
            name: doc.name.clone(),
            media: doc.media.clone(),
            codec: doc.content.codec,
            bytes: doc.content.bytes.clone(),
        }))
    }
}
