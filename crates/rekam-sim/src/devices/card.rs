//! The card printer and its inline chip encoder, sharing the [`SimWorld`] card path.
//!
//! Card path rules (each error names the device):
//! - `feed` takes a blank from the hopper (`OutOfSupplies` + `MediaEmpty` when there is none,
//!   `InvalidInput` when a card is already in the path). A cancelled feed leaves the blank in
//!   the hopper.
//! - The encoder works on the card in the path (`CardRemoved` when there is none); with the
//!   path empty, `chip`, `read` and `activate` see the last ejected card that is personalised
//!   and not activated (the operator places it on the reader for activation). `write`
//!   needs a blank chip (`Hardware` on a chip that holds data or is activated, as a real chip
//!   refuses to recreate files) and at most [`CHIP_CAPACITY`] bytes (`InvalidInput`, nothing
//!   written). The write goes in 256-byte blocks; if it stops for any reason (cancel,
//!   deadline, unplug, fault) the chip keeps the blocks written and is marked torn.
//!   `activate` needs a complete, untorn write (`Hardware` otherwise) and is idempotent.
//! - With a desk encoder ([`SimConfig::desk_encoder`](crate::SimConfig::desk_encoder)) the
//!   printer refuses `feed` (`Unsupported`: the blank is the operator's to place), and the
//!   encoder's `chip` with no card on it has the simulated operator place a blank from the
//!   stock (the hopper count) on it (none when the stock is empty). The card then goes
//!   through write, read, print (the operator loads it into the printer), eject and reject
//!   exactly as with the inline encoder.
//! - `print` needs a card and a 1016x648 RGB face (`InvalidInput`); an interrupted print
//!   leaves a partial face (`complete: false`) and uses ribbon.
//! - `eject` moves the card to the output tray, `reject` to the reject bin (also a jammed
//!   card: `reject` is the way out of a jam, like `recover`).

use rekam_hal::{
    CardEncoder, CardPrinter, CardPrinterCapabilities, ChipFiles, ChipInfo, Condition, Control,
    Device, DeviceError, DeviceEvent, DeviceFamily, DeviceInfo, DeviceState, DeviceStatus,
    EncoderCapabilities, ErrorKind, EventSink, PixelFormat, RawImage, Result, SelfTestProgress,
    SelfTestReport, Supplies, WritePermit,
};
use sha2::{Digest, Sha256};

use crate::core::SimCore;
use crate::fault::{FaultHandle, FaultKind};
use crate::latency::SimLatency;
use crate::world::{LifeCycle, PrintedFace, SimWorld, CHIP_CAPACITY};

/// How a chip write loop ended without an error of its own.
enum WriteEnd {
    /// Every byte written.
    Done,
    /// A `CardPulled` or `ChipWriteError` fault stopped it half way.
    FaultStop,
}

/// Blocks a chip write proceeds in.
const BLOCK: usize = 256;
/// Below this many blanks the printer reports `MediaLow`.
const MEDIA_LOW: u32 = 10;
/// Below this ribbon percentage the printer reports `RibbonLow`.
const RIBBON_LOW_PERCENT: u8 = 10;
/// CR80 full-bleed print area at 300 dpi.
const FACE_WIDTH: u32 = 1016;
const FACE_HEIGHT: u32 = 648;

// ---------------------------------------------------------------------------------------
// Encoder

/// A simulated contactless chip encoder inline in the card printer: it reads and writes the
/// chip of the card in the world's card path (8 KB, UID `04000000000001` upwards).
pub struct SimCardEncoder {
    core: SimCore,
}

impl std::fmt::Debug for SimCardEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimCardEncoder")
            .field("id", &self.core.info.id)
            .finish()
    }
}

impl SimCardEncoder {
    /// Encoder number `index` in `world`, with its fault handle.
    pub fn new(index: u32, world: &SimWorld) -> (Self, FaultHandle) {
        let model = if world.config().desk_encoder {
            "Rekam Sim Desk Encoder (ISO 14443)"
        } else {
            "Rekam Sim Inline Encoder (ISO 14443)"
        };
        let (core, faults) = SimCore::new(DeviceFamily::CardEncoder, index, world, model);
        (SimCardEncoder { core }, faults)
    }

    fn no_card(&self) -> DeviceError {
        self.core
            .err(ErrorKind::CardRemoved, "no card in the encoder")
    }

    /// The serial of the card the encoder sees (in the path, or presented for activation),
    /// or `CardRemoved`.
    fn card_serial(&self) -> Result<String> {
        self.core
            .world
            .lock()
            .presented()
            .map(|c| c.serial.clone())
            .ok_or_else(|| self.no_card())
    }

    /// Appends `data` to file `fid` of card `serial`; `CardRemoved` if the card left.
    fn append(&self, serial: &str, fid: u16, data: &[u8]) -> Result<()> {
        let mut st = self.core.world.lock();
        let card = st.card_mut(serial).ok_or_else(|| self.no_card())?;
        card.files
            .files
            .entry(fid)
            .or_default()
            .extend_from_slice(data);
        Ok(())
    }

    fn mark_torn(&self, serial: &str) {
        if let Some(card) = self.core.world.lock().card_mut(serial) {
            card.torn = true;
        }
    }
}

impl Device for SimCardEncoder {
    fn info(&self) -> &DeviceInfo {
        &self.core.info
    }

    fn status(&mut self, ctl: &Control) -> Result<DeviceStatus> {
        ctl.check().map_err(|e| self.core.tag(e))?;
        let mut status = self.core.base_status();
        if status.state != DeviceState::Disconnected && self.core.world.lock().card.is_some() {
            status.conditions.push(Condition::CardInEncoder);
        }
        Ok(status)
    }

    fn self_test(
        &mut self,
        ctl: &Control,
        progress: &mut dyn FnMut(SelfTestProgress),
    ) -> Result<SelfTestReport> {
        let card = self.core.world.lock().card.is_some();
        let checks = vec![
            ("reader responds", true, "PC/SC reader answered".to_owned()),
            ("field on", true, "RF field 13.56 MHz on".to_owned()),
            (
                "card detect",
                true,
                if card {
                    "card present"
                } else {
                    "no card (as expected when idle)"
                }
                .to_owned(),
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

impl CardEncoder for SimCardEncoder {
    fn capabilities(&self) -> EncoderCapabilities {
        EncoderCapabilities {
            contactless: true,
            contact: false,
            max_command_bytes: 1024,
        }
    }

    fn chip(&mut self, ctl: &Control) -> Result<Option<ChipInfo>> {
        self.core.begin(ctl)?;
        if self.core.world.config().desk_encoder && self.core.world.lock().card.is_none() {
            // The simulated operator places a blank from the stock on the desk encoder.
            self.core.sleep(ctl, self.core.world.latency().feed)?;
            let mut st = self.core.world.lock();
            if st.card.is_none() && st.blanks > 0 {
                st.take_blank();
            }
        }
        Ok(self.core.world.lock().presented().map(|c| ChipInfo {
            serial: c.serial.clone(),
            capacity: CHIP_CAPACITY,
            personalised: c.life_cycle != LifeCycle::Created || !c.files.files.is_empty(),
            activated: c.life_cycle == LifeCycle::Activated,
        }))
    }

    fn write(&mut self, files: &ChipFiles, permit: WritePermit, ctl: &Control) -> Result<()> {
        let _ = permit;
        self.core.begin(ctl)?;
        let total = files.total_len();
        if files.files.is_empty() {
            return Err(self.core.err(ErrorKind::InvalidInput, "no files to write"));
        }
        if total > CHIP_CAPACITY {
            return Err(self.core.err(
                ErrorKind::InvalidInput,
                format!("{total} bytes do not fit the {CHIP_CAPACITY}-byte chip"),
            ));
        }
        let serial = {
            let st = self.core.world.lock();
            let card = st.card.as_ref().ok_or_else(|| self.no_card())?;
            if card.life_cycle != LifeCycle::Created || card.torn || !card.files.files.is_empty() {
                return Err(self.core.err(
                    ErrorKind::Hardware,
                    "the chip already holds data (file exists); reject the card",
                ));
            }
            card.serial.clone()
        };
        let faults = &self.core.faults;
        let fault = faults
            .take(FaultKind::CardPulled)
            .or_else(|| faults.take(FaultKind::ChipWriteError));
        let stop_at = fault.map(|_| total / 2);
        let per_kib = self.core.world.latency().write_per_kib;
        let mut written = 0usize;
        let result = (|| -> Result<WriteEnd> {
            if stop_at == Some(0) {
                return Ok(WriteEnd::FaultStop);
            }
            for (&fid, data) in &files.files {
                // CREATE FILE, then UPDATE BINARY block by block.
                self.append(&serial, fid, &[])?;
                for block in data.chunks(BLOCK) {
                    let block = match stop_at {
                        Some(stop) => &block[..block.len().min(stop - written)],
                        None => block,
                    };
                    self.core
                        .sleep(ctl, SimLatency::for_bytes(per_kib, block.len()))?;
                    self.append(&serial, fid, block)?;
                    written += block.len();
                    if stop_at == Some(written) {
                        return Ok(WriteEnd::FaultStop);
                    }
                }
            }
            Ok(WriteEnd::Done)
        })();
        match result {
            Ok(WriteEnd::Done) => {
                let mut st = self.core.world.lock();
                let card = st.card_mut(&serial).ok_or_else(|| self.no_card())?;
                card.life_cycle = LifeCycle::Personalised;
                Ok(())
            }
            Ok(WriteEnd::FaultStop) if fault.map(|f| f.kind) == Some(FaultKind::CardPulled) => {
                let mut st = self.core.world.lock();
                if let Some(mut card) = st.card.take() {
                    card.torn = true;
                    st.lost.push(card);
                }
                Err(self.core.err(
                    ErrorKind::CardRemoved,
                    "card pulled out during the chip write",
                ))
            }
            Ok(WriteEnd::FaultStop) => {
                self.mark_torn(&serial);
                Err(self.core.err(
                    ErrorKind::Hardware,
                    "chip refused a write block (partial write on the chip)",
                ))
            }
            Err(e) => {
                self.mark_torn(&serial);
                Err(e)
            }
        }
    }

    fn read(&mut self, ctl: &Control) -> Result<ChipFiles> {
        self.core.begin(ctl)?;
        let serial = self.card_serial()?;
        let files = self
            .core
            .world
            .lock()
            .card_mut(&serial)
            .map(|c| c.files.clone())
            .ok_or_else(|| self.no_card())?;
        let per_kib = self.core.world.latency().read_per_kib;
        self.core
            .sleep(ctl, SimLatency::for_bytes(per_kib, files.total_len()))?;
        if self.core.world.lock().card_mut(&serial).is_none() {
            return Err(self.no_card());
        }
        Ok(files)
    }

    fn activate(&mut self, ctl: &Control) -> Result<()> {
        self.core.begin(ctl)?;
        let serial = self.card_serial()?;
        let per_kib = self.core.world.latency().read_per_kib;
        self.core.sleep(ctl, per_kib)?;
        let mut st = self.core.world.lock();
        let card = st.card_mut(&serial).ok_or_else(|| self.no_card())?;
        match (card.life_cycle, card.torn) {
            (LifeCycle::Activated, _) => Ok(()),
            (LifeCycle::Personalised, false) => {
                card.life_cycle = LifeCycle::Activated;
                Ok(())
            }
            _ => Err(self.core.err(
                ErrorKind::Hardware,
                "conditions of use not satisfied: the chip is not completely personalised",
            )),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Card printer

/// A simulated CR80 card printer, 300 dpi, single-sided, with an inline encoder (a
/// [`SimCardEncoder`] of the same world). Supplies: the world's hopper and ribbon.
pub struct SimCardPrinter {
    core: SimCore,
    last_conditions: Option<Vec<Condition>>,
}

impl std::fmt::Debug for SimCardPrinter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimCardPrinter")
            .field("id", &self.core.info.id)
            .finish()
    }
}

impl SimCardPrinter {
    /// Printer number `index` in `world`, with its fault handle.
    pub fn new(index: u32, world: &SimWorld) -> (Self, FaultHandle) {
        let model = if world.config().desk_encoder {
            "Rekam Sim CR80 Printer (desk encoder)"
        } else {
            "Rekam Sim CR80 Printer with inline encoder"
        };
        let (core, faults) = SimCore::new(DeviceFamily::CardPrinter, index, world, model);
        let mut printer = SimCardPrinter {
            core,
            last_conditions: None,
        };
        printer.last_conditions = Some(printer.compute_status().conditions);
        (printer, faults)
    }

    fn supplies_now(&self) -> Supplies {
        let st = self.core.world.lock();
        let blanks = if self.core.faults.is_active(FaultKind::BlanksEmpty) {
            0
        } else {
            st.blanks
        };
        let full = self.core.world.config().ribbon_prints.max(1);
        let percent = if self.core.faults.is_active(FaultKind::RibbonOut) {
            0
        } else {
            (u64::from(st.ribbon_left) * 100 / u64::from(full)).min(100) as u8
        };
        Supplies {
            blanks: Some(blanks),
            ribbon_percent: Some(percent),
        }
    }

    fn ribbon_out(&self) -> bool {
        self.core.faults.is_active(FaultKind::RibbonOut) || self.core.world.lock().ribbon_left == 0
    }

    fn compute_status(&self) -> DeviceStatus {
        let mut status = self.core.base_status();
        if status.state == DeviceState::Disconnected {
            return status;
        }
        let supplies = self.supplies_now();
        let mut conditions = Vec::new();
        if self.core.faults.is_active(FaultKind::PrinterOffline) {
            conditions.push(Condition::Offline);
        }
        match supplies.blanks {
            Some(0) => conditions.push(Condition::MediaEmpty),
            Some(n) if n < MEDIA_LOW => conditions.push(Condition::MediaLow),
            _ => {}
        }
        match supplies.ribbon_percent {
            _ if self.ribbon_out() => conditions.push(Condition::RibbonEmpty),
            Some(p) if p < RIBBON_LOW_PERCENT => conditions.push(Condition::RibbonLow),
            _ => {}
        }
        match self.core.world.lock().card.as_ref() {
            Some(c) if c.jammed => conditions.push(Condition::MediaJam),
            Some(_) => conditions.push(Condition::CardInEncoder),
            None => {}
        }
        if conditions.iter().any(|c| c.is_blocking()) {
            status.state = DeviceState::NeedsAttention;
            status.detail = Some("needs attention".to_owned());
        }
        status.conditions = conditions;
        status.supplies = Some(supplies);
        status
    }

    /// Sends `StatusChanged` when the conditions differ from the last ones sent or seen.
    fn note_status(&mut self) {
        let status = self.compute_status();
        if self.last_conditions.as_ref() != Some(&status.conditions) {
            self.last_conditions = Some(status.conditions.clone());
            self.core
                .faults
                .send(DeviceEvent::StatusChanged(self.core.id().clone(), status));
        }
    }

    fn jam_error(&self) -> DeviceError {
        self.core
            .err(ErrorKind::Hardware, "card jammed in the printer")
            .with_condition(Condition::MediaJam)
    }

    fn no_card(&self) -> DeviceError {
        self.core
            .err(ErrorKind::CardRemoved, "no card in the printer")
    }

    /// The serial of the card in the path; `CardRemoved` without one, `MediaJam` when jammed.
    fn working_card(&self) -> Result<String> {
        let st = self.core.world.lock();
        let card = st.card.as_ref().ok_or_else(|| self.no_card())?;
        if card.jammed {
            return Err(self.jam_error());
        }
        Ok(card.serial.clone())
    }

    /// Uses a `Jam` fault if one is active: the card `serial` jams.
    fn maybe_jam(&self, serial: &str) -> Result<()> {
        if self.core.faults.take(FaultKind::Jam).is_some() {
            if let Some(card) = self.core.world.lock().card_mut(serial) {
                card.jammed = true;
            }
            return Err(self.jam_error());
        }
        Ok(())
    }

    fn feed_inner(&mut self, ctl: &Control) -> Result<()> {
        self.core.begin(ctl)?;
        if self.core.world.config().desk_encoder {
            return Err(self.core.err(
                ErrorKind::Unsupported,
                "the encoder is on the desk: the operator places the blank, the printer feeds none",
            ));
        }
        {
            let st = self.core.world.lock();
            if let Some(card) = &st.card {
                return Err(if card.jammed {
                    self.jam_error()
                } else {
                    self.core.err(
                        ErrorKind::InvalidInput,
                        "a card is already in the printer; eject or reject it first",
                    )
                });
            }
        }
        let empty = self.core.faults.take(FaultKind::BlanksEmpty).is_some()
            || self.core.world.lock().blanks == 0;
        if empty {
            return Err(self
                .core
                .err(ErrorKind::OutOfSupplies, "no blank cards in the hopper")
                .with_condition(Condition::MediaEmpty));
        }
        self.core.sleep(ctl, self.core.world.latency().feed)?;
        let serial = {
            let mut st = self.core.world.lock();
            if st.blanks == 0 {
                return Err(self
                    .core
                    .err(ErrorKind::OutOfSupplies, "no blank cards in the hopper")
                    .with_condition(Condition::MediaEmpty));
            }
            st.take_blank().serial.clone()
        };
        self.maybe_jam(&serial)
    }

    fn print_inner(&mut self, face: &RawImage, ctl: &Control) -> Result<()> {
        self.core.begin(ctl)?;
        if face.format != PixelFormat::Rgb8
            || !face.is_consistent()
            || face.width != FACE_WIDTH
            || face.height != FACE_HEIGHT
        {
            return Err(self.core.err(
                ErrorKind::InvalidInput,
                format!(
                    "the face must be {FACE_WIDTH}x{FACE_HEIGHT} RGB, got {}x{} {:?}",
                    face.width, face.height, face.format
                ),
            ));
        }
        let serial = self.working_card()?;
        if self.core.faults.take(FaultKind::RibbonOut).is_some()
            || self.core.world.lock().ribbon_left == 0
        {
            return Err(self
                .core
                .err(ErrorKind::OutOfSupplies, "the ribbon is used up")
                .with_condition(Condition::RibbonEmpty));
        }
        self.maybe_jam(&serial)?;
        let pixel_hash = hex(&Sha256::digest(&face.data));
        let slept = self.core.sleep(ctl, self.core.world.latency().print);
        let mut st = self.core.world.lock();
        st.ribbon_left = st.ribbon_left.saturating_sub(1);
        let card = st.card_mut(&serial).ok_or_else(|| self.no_card())?;
        card.face = Some(PrintedFace {
            width: face.width,
            height: face.height,
            pixel_hash,
            complete: slept.is_ok(),
        });
        slept
    }

    fn eject_inner(&mut self, ctl: &Control) -> Result<()> {
        self.core.begin(ctl)?;
        let serial = self.working_card()?;
        self.maybe_jam(&serial)?;
        self.core.sleep(ctl, self.core.world.latency().eject)?;
        let mut st = self.core.world.lock();
        match st.card.take() {
            Some(card) if card.serial == serial => {
                st.ejected.push(card);
                Ok(())
            }
            other => {
                st.card = other;
                Err(self.no_card())
            }
        }
    }

    fn reject_inner(&mut self, ctl: &Control) -> Result<()> {
        self.core.begin(ctl)?;
        if self.core.world.lock().card.is_none() {
            return Err(self.no_card());
        }
        self.core.sleep(ctl, self.core.world.latency().eject)?;
        let mut st = self.core.world.lock();
        let card = st.card.take().ok_or_else(|| self.no_card())?;
        st.rejected.push(card);
        Ok(())
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Device for SimCardPrinter {
    fn info(&self) -> &DeviceInfo {
        &self.core.info
    }

    fn status(&mut self, ctl: &Control) -> Result<DeviceStatus> {
        ctl.check().map_err(|e| self.core.tag(e))?;
        let status = self.compute_status();
        self.last_conditions = Some(status.conditions.clone());
        Ok(status)
    }

    fn self_test(
        &mut self,
        ctl: &Control,
        progress: &mut dyn FnMut(SelfTestProgress),
    ) -> Result<SelfTestReport> {
        let supplies = self.supplies_now();
        let jammed = self
            .core
            .world
            .lock()
            .card
            .as_ref()
            .is_some_and(|c| c.jammed);
        let blanks = supplies.blanks.unwrap_or(0);
        let ribbon_out = self.ribbon_out();
        let checks = vec![
            (
                "head",
                true,
                "print head temperature and resistance nominal".to_owned(),
            ),
            (
                "feeder",
                !jammed,
                if jammed {
                    "card jammed in the path"
                } else {
                    "card path clear"
                }
                .to_owned(),
            ),
            (
                "supplies",
                blanks > 0 && !ribbon_out,
                format!(
                    "{blanks} blanks, ribbon {}%",
                    supplies.ribbon_percent.unwrap_or(0)
                ),
            ),
        ];
        self.core.run_self_test(ctl, progress, checks)
    }

    /// Moves a jammed card to the reject bin; a card that is not jammed stays for the job.
    fn recover(&mut self, ctl: &Control) -> Result<()> {
        self.core.begin_recover(ctl)?;
        {
            let mut st = self.core.world.lock();
            if st.card.as_ref().is_some_and(|c| c.jammed) {
                if let Some(card) = st.card.take() {
                    st.rejected.push(card);
                }
            }
        }
        self.note_status();
        Ok(())
    }

    fn set_event_sink(&mut self, sink: EventSink) {
        self.core.faults.set_sink(sink);
    }
}

impl CardPrinter for SimCardPrinter {
    fn capabilities(&self) -> CardPrinterCapabilities {
        CardPrinterCapabilities {
            inline_encoder: !self.core.world.config().desk_encoder,
            dpi: 300,
            width_dots: FACE_WIDTH,
            height_dots: FACE_HEIGHT,
            duplex: false,
        }
    }

    fn supplies(&mut self, ctl: &Control) -> Result<Supplies> {
        self.core.begin(ctl)?;
        Ok(self.supplies_now())
    }

    fn feed(&mut self, ctl: &Control) -> Result<()> {
        let r = self.feed_inner(ctl);
        self.note_status();
        r
    }

    fn print(&mut self, face: &RawImage, ctl: &Control) -> Result<()> {
        let r = self.print_inner(face, ctl);
        self.note_status();
        r
    }

    fn eject(&mut self, ctl: &Control) -> Result<()> {
        let r = self.eject_inner(ctl);
        self.note_status();
        r
    }

    fn reject(&mut self, ctl: &Control) -> Result<()> {
        let r = self.reject_inner(ctl);
        self.note_status();
        r
    }
}
