//! The shared physical state of one simulated station: [`SimWorld`] and its [`SimConfig`].
//!
//! The card path holds at most one card: the card printer feeds it from the hopper to the
//! inline encoder, the encoder writes its chip there, the printer prints, ejects it into the
//! output tray or drops it into the reject bin. A card pulled out mid-write goes nowhere
//! ([`SimWorld::lost`]). Accessors return snapshots for tests.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use rekam_hal::{ChipFiles, ImageCodec};
use serde::{Deserialize, Serialize};

use crate::latency::SimLatency;

/// Capacity of a simulated chip in bytes (the e-KTP chip holds 8 KB).
pub const CHIP_CAPACITY: usize = 8192;

/// Configuration of a simulated station (`[sim]` in `rekamd.toml`).
///
/// ```
/// use rekam_sim::SimConfig;
/// let cfg: SimConfig = toml::from_str("seed = 1\nblanks = 20").unwrap();
/// assert_eq!((cfg.seed, cfg.blanks, cfg.ribbon_prints), (1, 20, 500));
/// assert!(toml::from_str::<SimConfig>("blank = 20").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimConfig {
    /// How long devices take (default: realistic).
    pub latency: SimLatency,
    /// Blank cards in the hopper at start (default 200).
    pub blanks: u32,
    /// Card faces the ribbon prints at start (default 500).
    pub ribbon_prints: u32,
    /// Seed of the station's randomness: impression noise, the default simulated person.
    /// Identities do not depend on it (the same person matches across stations).
    pub seed: u64,
    /// The encoder sits on the desk instead of inside the card printer (the station's
    /// `desk_encoder` arrangement; not a `[sim]` key: the daemon sets it from the workflow's
    /// arrangement). The printer then refuses `feed`, and the simulated operator places a
    /// blank from the stock on the encoder when the encoder is asked for a chip with no card
    /// on it; printing takes that card (the operator loads it into the printer).
    #[serde(skip)]
    pub desk_encoder: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            latency: SimLatency::realistic(),
            blanks: 200,
            ribbon_prints: 500,
            seed: 0,
            desk_encoder: false,
        }
    }
}

impl SimConfig {
    /// The defaults with zero latency, for tests.
    pub fn for_tests() -> Self {
        SimConfig {
            latency: SimLatency::zero(),
            ..SimConfig::default()
        }
    }
}

/// Life cycle of a simulated chip.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LifeCycle {
    /// Blank, as fed from the hopper.
    Created,
    /// A write completed.
    Personalised,
    /// Activated (operational).
    Activated,
}

/// What the printer put on a card face.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrintedFace {
    /// Width of the printed image in dots.
    pub width: u32,
    /// Height in dots.
    pub height: u32,
    /// SHA-256 of the RGB pixels, hex.
    pub pixel_hash: String,
    /// False when the print was interrupted (cancelled, timed out, unplugged).
    pub complete: bool,
}

/// A simulated card, as it sits in the path, the tray, the reject bin or nowhere.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimCard {
    /// Card and chip serial: a 7-byte ISO/IEC 14443 UID in upper-case hex, `04000000000001` upwards.
    pub serial: String,
    /// The chip's files.
    pub files: ChipFiles,
    /// The chip's life cycle.
    pub life_cycle: LifeCycle,
    /// True when a chip write started and did not finish (cancelled, failed, card pulled,
    /// unplugged): a half-written card.
    pub torn: bool,
    /// The printed face, if the card was printed.
    pub face: Option<PrintedFace>,
    /// True while (or if, in the reject bin) the card jammed in the printer.
    pub jammed: bool,
}

impl SimCard {
    fn blank(serial: String) -> Self {
        SimCard {
            serial,
            files: ChipFiles::default(),
            life_cycle: LifeCycle::Created,
            torn: false,
            face: None,
            jammed: false,
        }
    }

    /// True when the chip was activated.
    pub fn activated(&self) -> bool {
        self.life_cycle == LifeCycle::Activated
    }
}

/// A document the simulated document printer printed.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrintedDocument {
    /// The job id the printer returned.
    pub job_id: String,
    /// Job name.
    pub name: String,
    /// Media size name.
    pub media: String,
    /// Codec of the content.
    pub codec: ImageCodec,
    /// The document bytes (may hold personal data: never shown by `Debug`).
    pub bytes: Vec<u8>,
}

impl fmt::Debug for PrintedDocument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrintedDocument")
            .field("job_id", &self.job_id)
            .field("name", &self.name)
            .field("media", &self.media)
            .field("codec", &self.codec)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

#[derive(Serialize, Deserialize)]
pub(crate) struct WorldState {
    pub(crate) blanks: u32,
    pub(crate) ribbon_left: u32,
    next_serial: u32,
    pub(crate) card: Option<SimCard>,
    pub(crate) ejected: Vec<SimCard>,
    pub(crate) rejected: Vec<SimCard>,
    pub(crate) lost: Vec<SimCard>,
    /// Printed documents leave the printer: they are not part of the persisted state.
    #[serde(skip)]
    pub(crate) documents: Vec<PrintedDocument>,
    next_job: u32,
}

/// Cards kept per tray in the state file (the newest): enough for a card to be activated after
/// a restart without the file growing with every card ever made.
const PERSISTED_TRAY: usize = 8;

impl WorldState {
    fn persisted(&self) -> WorldState {
        let tail = |v: &Vec<SimCard>| v[v.len().saturating_sub(PERSISTED_TRAY)..].to_vec();
        WorldState {
            blanks: self.blanks,
            ribbon_left: self.ribbon_left,
            next_serial: self.next_serial,
            card: self.card.clone(),
            ejected: tail(&self.ejected),
            rejected: tail(&self.rejected),
            lost: tail(&self.lost),
            documents: Vec::new(),
            next_job: self.next_job,
        }
    }
}

impl WorldState {
    /// Takes a blank from the hopper into the card path (the caller checked there is one).
    pub(crate) fn take_blank(&mut self) -> &mut SimCard {
        self.blanks = self.blanks.saturating_sub(1);
        self.next_serial += 1;
        self.card
            .insert(SimCard::blank(format!("04{:012X}", self.next_serial)))
    }

    /// The card with `serial` if the encoder can reach it: the one in the path, or an
    /// ejected card presented for activation (see [`WorldState::presented`]).
    pub(crate) fn card_mut(&mut self, serial: &str) -> Option<&mut SimCard> {
        if self.card.as_ref().is_some_and(|c| c.serial == serial) {
            return self.card.as_mut();
        }
        if self.card.is_none() {
            return self.ejected.iter_mut().rev().find(|c| {
                c.serial == serial && c.life_cycle == LifeCycle::Personalised && !c.torn
            });
        }
        None
    }

    /// The card the encoder sees: the one in the card path; with the path empty, the last
    /// ejected card that is personalised and not yet activated. That models the operator
    /// placing the freshly printed card on the reader for activation, as the station prompts
    /// after eject; writes only ever go to the card in the path.
    pub(crate) fn presented(&self) -> Option<&SimCard> {
        self.card.as_ref().or_else(|| {
            self.ejected
                .iter()
                .rev()
                .find(|c| c.life_cycle == LifeCycle::Personalised && !c.torn)
        })
    }

    /// Records a printed document and returns its job id.
    pub(crate) fn add_document(&mut self, mut doc: PrintedDocument) -> String {
        self.next_job += 1;
        doc.job_id = format!("sim-job-{}", self.next_job);
        let id = doc.job_id.clone();
        self.documents.push(doc);
        id
    }
}

struct WorldInner {
    config: SimConfig,
    state: Mutex<WorldState>,
    /// Where the physical state is kept across restarts, if anywhere.
    state_file: Option<PathBuf>,
}

/// A lock on the world's state; when the state was changed through it and the world is
/// persistent, the state file is rewritten (atomically) as the lock is released.
pub(crate) struct WorldGuard<'a> {
    guard: MutexGuard<'a, WorldState>,
    file: Option<&'a Path>,
    dirty: bool,
}

impl Deref for WorldGuard<'_> {
    type Target = WorldState;
    fn deref(&self) -> &WorldState {
        &self.guard
    }
}

impl DerefMut for WorldGuard<'_> {
    fn deref_mut(&mut self) -> &mut WorldState {
        self.dirty = true;
        &mut self.guard
    }
}

impl Drop for WorldGuard<'_> {
    fn drop(&mut self) {
        if let (true, Some(file)) = (self.dirty, self.file) {
            if let Err(e) = save_state(file, &self.guard.persisted()) {
                // A simulator that cannot keep its state is still a simulator: say so, go on.
                eprintln!(
                    "rekam-sim: cannot save the simulated station's state to {}: {e}",
                    file.display()
                );
            }
        }
    }
}

fn save_state(file: &Path, state: &WorldState) -> std::io::Result<()> {
    let json = serde_json::to_vec(state).map_err(std::io::Error::other)?;
    let tmp = file.with_extension("tmp");
    std::fs::write(&tmp, json)?;
    std::fs::rename(&tmp, file)
}

/// One simulated station's physical state. Cheap to clone: clones share it.
#[derive(Clone)]
pub struct SimWorld {
    inner: Arc<WorldInner>,
}

impl fmt::Debug for SimWorld {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.lock();
        f.debug_struct("SimWorld")
            .field("blanks", &st.blanks)
            .field("ribbon_left", &st.ribbon_left)
            .field("card", &st.card.as_ref().map(|c| &c.serial))
            .field("ejected", &st.ejected.len())
            .field("rejected", &st.rejected.len())
            .field("lost", &st.lost.len())
            .field("documents", &st.documents.len())
            .finish()
    }
}

impl Default for SimWorld {
    fn default() -> Self {
        Self::new(SimConfig::default())
    }
}

impl SimWorld {
    /// A station with a full hopper and ribbon as `config` says.
    pub fn new(config: SimConfig) -> Self {
        let state = WorldState {
            blanks: config.blanks,
            ribbon_left: config.ribbon_prints,
            next_serial: 0,
            card: None,
            ejected: Vec::new(),
            rejected: Vec::new(),
            lost: Vec::new(),
            documents: Vec::new(),
            next_job: 0,
        };
        SimWorld {
            inner: Arc::new(WorldInner {
                config,
                state: Mutex::new(state),
                state_file: None,
            }),
        }
    }

    /// A station whose physical state (hopper, ribbon, the card in the path, the trays) is
    /// kept in `file` across restarts, as real hardware keeps it: read back when the file
    /// exists, written after every change. Printed documents are not kept.
    pub fn persistent(config: SimConfig, file: &Path) -> std::io::Result<Self> {
        let state = match std::fs::read(file) {
            Ok(bytes) => serde_json::from_slice::<WorldState>(&bytes).map_err(|e| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("{} is not a simulated station state: {e}", file.display()),
                )
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Self::new(config.clone()).into_state()
            }
            Err(e) => return Err(e),
        };
        Ok(SimWorld {
            inner: Arc::new(WorldInner {
                config,
                state: Mutex::new(state),
                state_file: Some(file.to_owned()),
            }),
        })
    }

    fn into_state(self) -> WorldState {
        let st = self.lock();
        st.persisted()
    }

    pub(crate) fn lock(&self) -> WorldGuard<'_> {
        WorldGuard {
            guard: self
                .inner
                .state
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
            file: self.inner.state_file.as_deref(),
            dirty: false,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &SimConfig {
        &self.inner.config
    }

    /// The latencies.
    pub fn latency(&self) -> &SimLatency {
        &self.inner.config.latency
    }

    /// Cards ejected into the output tray, oldest first.
    pub fn ejected(&self) -> Vec<SimCard> {
        self.lock().ejected.clone()
    }

    /// Cards in the reject bin, oldest first.
    pub fn rejected(&self) -> Vec<SimCard> {
        self.lock().rejected.clone()
    }

    /// Cards pulled out of the path mid-write ([`FaultKind::CardPulled`](crate::FaultKind::CardPulled)).
    pub fn lost(&self) -> Vec<SimCard> {
        self.lock().lost.clone()
    }

    /// The card in the card path (printer or encoder), if any.
    pub fn card_in_path(&self) -> Option<SimCard> {
        self.lock().card.clone()
    }

    /// Documents printed by the document printer, oldest first.
    pub fn documents(&self) -> Vec<PrintedDocument> {
        self.lock().documents.clone()
    }

    /// Blank cards in the hopper (the real count: a `BlanksEmpty` fault does not change it).
    pub fn blanks(&self) -> u32 {
        self.lock().blanks
    }

    /// Refills (or empties) the hopper.
    pub fn set_blanks(&self, n: u32) {
        self.lock().blanks = n;
    }

    /// Card faces the ribbon still prints.
    pub fn ribbon_left(&self) -> u32 {
        self.lock().ribbon_left
    }

    /// Changes the ribbon (faces left).
    pub fn set_ribbon_left(&self, n: u32) {
        self.lock().ribbon_left = n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blanks_get_serials_in_order() {
        let world = SimWorld::new(SimConfig::for_tests());
        let serial = world.lock().take_blank().serial.clone();
        assert_eq!(serial, "04000000000001");
        let mut st = world.lock();
        st.card = None;
        assert_eq!(st.take_blank().serial, "04000000000002");
        assert_eq!(st.blanks, 198);
    }

    #[test]
    fn document_debug_hides_bytes() {
        let doc = PrintedDocument {
            job_id: "sim-job-1".into(),
            name: "receipt".into(),
            media: "iso_a6_105x148mm".into(),
            codec: ImageCodec::Png,
            bytes: b"3507123456789001".to_vec(),
        };
        let text = format!("{doc:?}");
        assert!(!text.contains("51"), "{text}");
        assert!(text.contains("bytes: 16"));
    }
}
