//! [`PcscEncoder`]: a chip encoder on a PC/SC reader.
//!
//! Each operation looks the reader up, connects to the card exclusively, opens a transaction,
//! reads the card's APDU limits (EF.ATR/INFO, capped by [`PcscConfig::max_reader_apdu`]) and
//! runs the `rekam-apdu` operations; the card is released (reset) at the end whatever
//! happened, so the reader is usable for the next card.
//!
//! The chip layout the driver writes is generic: one application DF ([`PcscConfig::aid`],
//! created with [`PcscConfig::df_fid`]) holding transparent EFs, one per file id given to
//! [`CardEncoder::write`]. [`CardEncoder::read`] reads back the file ids listed in
//! [`PcscConfig::files`] that exist. What the files mean is the card profile's business.
//!
//! Cancellation: every call registers `SCardCancel` on its token, which ends a wait for a
//! card or a reader at once; APDU exchanges check the deadline and the token before each
//! command (see [`crate::transport`]).

use std::collections::HashMap;
use std::ffi::{CStr, CString};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rekam_apdu::{ApduError, CardChannel, CardStatus, Fcp, LifeCycle, Limits, Stats};
use rekam_hal::{
    CardEncoder, ChipFiles, ChipInfo, Condition, Control, Device, DeviceError, DeviceEvent,
    DeviceFamily, DeviceId, DeviceInfo, DeviceSelector, DeviceState, DeviceStatus,
    EncoderCapabilities, ErrorKind, EventSink, Result, SelfTestCheck, SelfTestProgress,
    SelfTestReport, WritePermit,
};

use crate::error::{apdu_error, device_error};
use crate::transport::PcscTransport;

/// How the encoder is set up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PcscConfig {
    /// The reader's name as pcscd lists it (a prefix is enough), or `None` for the first
    /// reader.
    pub reader: Option<String>,
    /// The application DF's name (AID).
    pub aid: Vec<u8>,
    /// The application DF's file id.
    pub df_fid: u16,
    /// The EFs [`CardEncoder::read`] looks for.
    pub files: Vec<u16>,
    /// The chip's capacity for file data, bytes.
    pub capacity: usize,
    /// The largest APDU the reader passes (command or response), bytes.
    pub max_reader_apdu: usize,
}

impl PcscConfig {
    /// The ICAO LDS1 layout (`A0 00 00 02 47 10 01`, EF.COM, DG1-DG16, EF.SOD), 8 KB, an
    /// extended-length reader.
    pub fn lds1(reader: Option<String>) -> PcscConfig {
        let mut files = vec![0x011E];
        files.extend(0x0101..=0x0110);
        files.push(0x011D);
        PcscConfig {
            reader,
            aid: vec![0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01],
            df_fid: 0x5F01,
            files,
            capacity: 8192,
            max_reader_apdu: 65_544,
        }
    }

    fn reader_limits(&self) -> Limits {
        Limits::extended(
            self.max_reader_apdu.saturating_sub(4 + 3 + 2),
            self.max_reader_apdu.saturating_sub(2),
        )
    }
}

/// A chip encoder on a PC/SC reader.
pub struct PcscEncoder {
    info: DeviceInfo,
    cfg: PcscConfig,
    ctx: Option<pcsc::Context>,
    last_stats: Stats,
    limits_cache: HashMap<Vec<u8>, Limits>,
    watcher: Option<Watcher>,
}

impl std::fmt::Debug for PcscEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PcscEncoder")
            .field("id", &self.info.id)
            .field("reader", &self.cfg.reader)
            .finish()
    }
}

fn establish() -> Result<pcsc::Context> {
    pcsc::Context::establish(pcsc::Scope::User)
        .map_err(|e| device_error(e, "cannot reach pcscd (is it running?)"))
}

/// The reader of `wanted` among `readers` (exact name first, then prefix; `None`: the first).
fn pick_reader(readers: &[CString], wanted: Option<&str>) -> Option<CString> {
    let name = |r: &CString| r.to_string_lossy().into_owned();
    match wanted {
        None => readers.first().cloned(),
        Some(w) => readers
            .iter()
            .find(|r| name(r) == w)
            .or_else(|| readers.iter().find(|r| name(r).starts_with(w)))
            .cloned(),
    }
}

fn list_readers(ctx: &pcsc::Context) -> Result<Vec<CString>> {
    match ctx.list_readers_owned() {
        Ok(r) => Ok(r),
        Err(pcsc::Error::NoReadersAvailable) => Ok(Vec::new()),
        Err(e) => Err(device_error(e, "SCardListReaders")),
    }
}

impl PcscEncoder {
    /// An encoder named `id` on the reader `cfg.reader`. Succeeds without pcscd or the reader
    /// (the status says `Disconnected` until they come), so hotplug works from the start.
    pub fn open(id: DeviceId, cfg: PcscConfig) -> PcscEncoder {
        let info = DeviceInfo {
            id,
            family: DeviceFamily::CardEncoder,
            driver: "pcsc".into(),
            selector: DeviceSelector::Pcsc {
                reader: cfg.reader.clone(),
            },
            model: cfg
                .reader
                .clone()
                .unwrap_or_else(|| "first PC/SC reader".into()),
            serial: None,
            firmware: None,
            simulated: false,
        };
        PcscEncoder {
            info,
            cfg,
            ctx: establish().ok(),
            last_stats: Stats::default(),
            limits_cache: HashMap::new(),
            watcher: None,
        }
    }

    /// What the last operation sent (APDUs and bytes), for benchmarks.
    pub fn last_stats(&self) -> Stats {
        self.last_stats
    }

    fn ctx(&mut self) -> Result<pcsc::Context> {
        if let Some(ctx) = &self.ctx {
            if ctx.is_valid().is_ok() {
                return Ok(ctx.clone());
            }
        }
        let ctx = establish()?;
        self.ctx = Some(ctx.clone());
        Ok(ctx)
    }

    fn err(&self, kind: ErrorKind, msg: impl Into<String>) -> DeviceError {
        DeviceError::new(kind, msg).with_device(self.info.id.clone())
    }

    fn tag(&self, e: DeviceError) -> DeviceError {
        if e.device().is_some() {
            e
        } else {
            e.with_device(self.info.id.clone())
        }
    }

    /// The context, with `SCardCancel` registered on `ctl`'s token, and the reader's name.
    fn reader(&mut self, ctl: &Control) -> Result<(pcsc::Context, CString)> {
        ctl.check()?;
        let mut ctx = self.ctx()?;
        let readers = match list_readers(&ctx) {
            Ok(r) => r,
            // pcscd restarted since the context was made: a fresh context, once.
            Err(e) if e.kind() == ErrorKind::Disconnected => {
                self.ctx = None;
                ctx = self.ctx()?;
                list_readers(&ctx)?
            }
            Err(e) => return Err(e),
        };
        let canceller = ctx.clone();
        ctl.token().on_cancel(move || {
            let _ = canceller.cancel();
        });
        let reader = pick_reader(&readers, self.cfg.reader.as_deref()).ok_or_else(|| {
            self.err(
                ErrorKind::Disconnected,
                format!(
                    "reader {} is not connected",
                    self.cfg.reader.as_deref().unwrap_or("(any)")
                ),
            )
        })?;
        Ok((ctx, reader))
    }

    /// Connects to the card exclusively, opens a transaction and runs `f` on a channel set to
    /// the card's limits. `Ok(None)` when there is no card and `no_card_ok`.
    ///
    /// `f` is told whether the MF is known to be the current DF: true when this session read
    /// the card's limits (which leaves the MF current), false when they came from the cache
    /// (nothing was sent, and the card's current file is whatever it was at connect). Only
    /// CREATE of the application DF needs the MF current; selections by DF name do not.
    fn session<T>(
        &mut self,
        ctl: &Control,
        no_card_ok: bool,
        f: impl FnOnce(&mut CardChannel<PcscTransport<'_>>, &Control, bool) -> Result<T, ApduError>,
    ) -> Result<Option<T>> {
        let (ctx, reader) = self.reader(ctl)?;
        let mut card = match ctx.connect(&reader, pcsc::ShareMode::Exclusive, pcsc::Protocols::ANY)
        {
            Ok(card) => card,
            Err(pcsc::Error::NoSmartcard | pcsc::Error::RemovedCard) if no_card_ok => {
                return Ok(None)
            }
            Err(pcsc::Error::NoSmartcard | pcsc::Error::RemovedCard) => {
                return Err(self.err(ErrorKind::CardRemoved, "no card on the reader"))
            }
            Err(e) => return Err(self.tag(device_error(e, "SCardConnect"))),
        };
        let tx = card
            .transaction()
            .map_err(|e| device_error(e, "SCardBeginTransaction"))
            .map_err(|e| self.tag(e))?;
        let mut ch = CardChannel::new(PcscTransport::new(&tx), Limits::SHORT);
        let reader_limits = self.cfg.reader_limits();
        // Cards of one type (one ATR) announce the same limits: read EF.ATR/INFO once per type.
        let atr = tx.status2_owned().ok().map(|s| s.atr().to_vec());
        let cached = atr.as_ref().and_then(|a| self.limits_cache.get(a)).copied();
        let result = (|| {
            let (limits, mf_current) = match cached {
                Some(limits) => (limits, false),
                // Reading the limits leaves the MF the current DF.
                None => (
                    ch.read_card_limits(ctl)?
                        .unwrap_or(Limits::SHORT)
                        .min(reader_limits),
                    true,
                ),
            };
            ch.set_limits(limits);
            f(&mut ch, ctl, mf_current).map(|v| (v, limits))
        })();
        let result = result.map(|(v, limits)| {
            if let Some(atr) = atr {
                self.limits_cache.insert(atr, limits);
            }
            v
        });
        self.last_stats = ch.stats();
        drop(ch);
        // End the transaction and reset the card: the next operation starts from the MF.
        let _ = tx.end(pcsc::Disposition::LeaveCard);
        let _ = card.disconnect(pcsc::Disposition::ResetCard);
        match result {
            Ok(v) => Ok(Some(v)),
            Err(e) => Err(self.tag(self.diagnose(e, &reader, ctl))),
        }
    }

    /// A transmit that failed with a communication error: a card pulled out or pcscd gone
    /// often shows first as `SCARD_F_COMM_ERROR`. Ask pcscd (on a fresh context) what
    /// happened, for up to 3 s while it notices: no pcscd or no reader is `Disconnected`, no
    /// card is `CardRemoved`; otherwise the error stands.
    fn diagnose(&self, e: ApduError, reader: &CStr, ctl: &Control) -> DeviceError {
        let unclear = matches!(
            &e,
            ApduError::Transport(t) if matches!(
                t.kind,
                rekam_apdu::TransportErrorKind::Protocol | rekam_apdu::TransportErrorKind::Other
            )
        );
        if !unclear {
            return apdu_error(e);
        }
        let end = Instant::now() + ctl.remaining().min(Duration::from_secs(3));
        loop {
            let Ok(ctx) = pcsc::Context::establish(pcsc::Scope::User) else {
                return DeviceError::new(ErrorKind::Disconnected, format!("pcscd went away ({e})"));
            };
            let readers = list_readers(&ctx).unwrap_or_default();
            if !readers.iter().any(|r| r.as_c_str() == reader) {
                return DeviceError::new(
                    ErrorKind::Disconnected,
                    format!("the reader went away ({e})"),
                );
            }
            let mut states = [pcsc::ReaderState::new(
                reader.to_owned(),
                pcsc::State::UNAWARE,
            )];
            match ctx.get_status_change(Duration::ZERO, &mut states) {
                Ok(()) | Err(pcsc::Error::Timeout) => {
                    if !states[0].event_state().contains(pcsc::State::PRESENT) {
                        return DeviceError::new(
                            ErrorKind::CardRemoved,
                            format!("the card left the reader ({e})"),
                        );
                    }
                }
                Err(_) => {
                    return DeviceError::new(
                        ErrorKind::Disconnected,
                        format!("pcscd went away ({e})"),
                    )
                }
            }
            if Instant::now() >= end || ctl.token().is_cancelled() {
                return apdu_error(e);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until a card is present (`present`) or absent on the reader, up to `ctl`'s
    /// deadline; returns at once, with `Cancelled`, when the token is cancelled (the wait is
    /// `SCardGetStatusChange`, ended by `SCardCancel`).
    pub fn wait_for_card(&mut self, present: bool, ctl: &Control) -> Result<()> {
        let (ctx, reader) = self.reader(ctl)?;
        let mut states = [pcsc::ReaderState::new(reader, pcsc::State::UNAWARE)];
        loop {
            ctl.check()?;
            match ctx.get_status_change(ctl.remaining().min(Duration::from_secs(1)), &mut states) {
                Ok(()) | Err(pcsc::Error::Timeout) => {}
                Err(e) => return Err(self.tag(device_error(e, "SCardGetStatusChange"))),
            }
            let state = states[0].event_state();
            if state.contains(pcsc::State::UNKNOWN) || state.contains(pcsc::State::UNAVAILABLE) {
                return Err(self.err(ErrorKind::Disconnected, "the reader went away"));
            }
            if state.contains(pcsc::State::PRESENT) == present {
                return Ok(());
            }
            states[0].sync_current_state();
        }
    }

    fn card_present(&mut self) -> Result<Option<bool>> {
        let ctx = self.ctx()?;
        let readers = list_readers(&ctx)?;
        let Some(reader) = pick_reader(&readers, self.cfg.reader.as_deref()) else {
            return Ok(None);
        };
        let mut states = [pcsc::ReaderState::new(reader, pcsc::State::UNAWARE)];
        match ctx.get_status_change(Duration::ZERO, &mut states) {
            Ok(()) | Err(pcsc::Error::Timeout) => {}
            Err(e) => return Err(self.tag(device_error(e, "SCardGetStatusChange"))),
        }
        Ok(Some(states[0].event_state().contains(pcsc::State::PRESENT)))
    }
}

/// The application DF by name (from any current file: selection by DF name does not depend
/// on it); `None` when the card has no such application.
fn select_app(
    ch: &mut CardChannel<PcscTransport<'_>>,
    aid: &[u8],
    ctl: &Control,
) -> Result<Option<Fcp>, ApduError> {
    match ch.select_aid(aid, ctl) {
        Ok(fcp) => Ok(Some(fcp)),
        Err(e) if e.card_status() == Some(CardStatus::FileNotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

impl Device for PcscEncoder {
    fn info(&self) -> &DeviceInfo {
        &self.info
    }

    fn status(&mut self, ctl: &Control) -> Result<DeviceStatus> {
        ctl.check()?;
        match self.card_present() {
            Ok(Some(card)) => {
                let mut s = DeviceStatus::ready();
                if card {
                    s.conditions.push(Condition::CardInEncoder);
                }
                Ok(s)
            }
            Ok(None) => Ok(DeviceStatus::with_state(
                DeviceState::Disconnected,
                "reader not connected",
            )),
            Err(e) if e.kind() == ErrorKind::Disconnected => Ok(DeviceStatus::with_state(
                DeviceState::Disconnected,
                "pcscd not reachable",
            )),
            Err(e) => Err(e),
        }
    }

    fn self_test(
        &mut self,
        ctl: &Control,
        progress: &mut dyn FnMut(SelfTestProgress),
    ) -> Result<SelfTestReport> {
        let mut checks = Vec::new();
        let mut check = |name: &str, f: &mut dyn FnMut() -> (bool, String)| {
            let start = Instant::now();
            let (passed, detail) = f();
            checks.push(SelfTestCheck {
                name: name.into(),
                passed,
                detail,
                took: start.elapsed(),
            });
        };
        progress(SelfTestProgress {
            step: "pcscd".into(),
            fraction: 0.0,
        });
        let ctx = self.ctx();
        check("pcscd reachable", &mut || match &ctx {
            Ok(_) => (true, "PC/SC context established".into()),
            Err(e) => (false, e.to_string()),
        });
        ctl.check()?;
        progress(SelfTestProgress {
            step: "reader".into(),
            fraction: 0.5,
        });
        let present = self.card_present();
        check("reader present", &mut || match &present {
            Ok(Some(_)) => (true, "reader listed by pcscd".into()),
            Ok(None) => (false, "reader not listed".into()),
            Err(e) => (false, e.to_string()),
        });
        check("card detect", &mut || match &present {
            Ok(Some(true)) => (true, "card present".into()),
            Ok(Some(false)) => (true, "no card (as expected when idle)".into()),
            _ => (false, "unknown".into()),
        });
        progress(SelfTestProgress {
            step: "done".into(),
            fraction: 1.0,
        });
        Ok(SelfTestReport::from_checks(self.info.id.clone(), checks))
    }

    fn recover(&mut self, ctl: &Control) -> Result<()> {
        ctl.check()?;
        // A cancelled call leaves nothing behind (each call releases its card); the context
        // is made afresh, in case pcscd restarted.
        self.ctx = None;
        self.ctx().map(drop)
    }

    fn set_event_sink(&mut self, sink: EventSink) {
        if let Some(w) = self.watcher.take() {
            w.stop();
        }
        self.watcher = Watcher::start(self.info.id.clone(), self.cfg.reader.clone(), sink);
    }
}

impl CardEncoder for PcscEncoder {
    fn capabilities(&self) -> EncoderCapabilities {
        EncoderCapabilities {
            contactless: true,
            contact: true,
            max_command_bytes: self.cfg.reader_limits().max_command_data,
        }
    }

    fn chip(&mut self, ctl: &Control) -> Result<Option<ChipInfo>> {
        let aid = self.cfg.aid.clone();
        let capacity = self.cfg.capacity;
        self.session(ctl, true, |ch, ctl, _| {
            let serial = match ch.get_uid(ctl) {
                Ok(uid) => uid.iter().map(|b| format!("{b:02X}")).collect(),
                Err(e) if e.card_status().is_some() => "unknown".to_owned(),
                Err(e) => return Err(e),
            };
            let app = select_app(ch, &aid, ctl)?;
            Ok(ChipInfo {
                serial,
                capacity,
                personalised: app.is_some(),
                activated: app.and_then(|f| f.life_cycle) == Some(LifeCycle::Activated),
            })
        })
    }

    fn write(&mut self, files: &ChipFiles, permit: WritePermit, ctl: &Control) -> Result<()> {
        let _ = permit;
        if files.files.is_empty() {
            return Err(self.err(ErrorKind::InvalidInput, "no files to write"));
        }
        let total = files.total_len();
        if total > self.cfg.capacity {
            return Err(self.err(
                ErrorKind::InvalidInput,
                format!(
                    "{total} bytes do not fit the {}-byte chip",
                    self.cfg.capacity
                ),
            ));
        }
        let (aid, df_fid) = (self.cfg.aid.clone(), self.cfg.df_fid);
        let files = files.clone();
        let started = Instant::now();
        self.session(ctl, false, |ch, ctl, mf_current| {
            // The application DF is created in the MF: select it unless reading the card's
            // limits just left it current. A chip that already holds the application answers
            // 6A89/6A8A here: already personalised. Each CREATE FILE makes the new EF current,
            // and the next one goes to the same DF (the current EF's parent): no SELECT between,
            // and none before the read-back either (the application DF is still current).
            if !mf_current {
                ch.select_mf(ctl)?;
            }
            ch.create_file(&Fcp::df(df_fid, &aid), ctl)?;
            for (fid, data) in &files.files {
                ch.write_ef(*fid, data, ctl)?;
            }
            for (fid, data) in &files.files {
                ch.verify_ef(*fid, data, ctl)?;
            }
            Ok(())
        })?;
        tracing::debug!(
            device = %self.info.id,
            bytes = total,
            apdus = self.last_stats.commands,
            ms = started.elapsed().as_millis() as u64,
            "chip personalised and read back"
        );
        Ok(())
    }

    fn read(&mut self, ctl: &Control) -> Result<ChipFiles> {
        let (aid, fids) = (self.cfg.aid.clone(), self.cfg.files.clone());
        let files = self.session(ctl, false, |ch, ctl, _| {
            let mut out = ChipFiles::default();
            if select_app(ch, &aid, ctl)?.is_none() {
                return Ok(out);
            }
            for fid in fids {
                if let Some(data) = ch.read_ef(fid, ctl)? {
                    out.files.insert(fid, data);
                }
            }
            Ok(out)
        })?;
        files.ok_or_else(|| self.err(ErrorKind::CardRemoved, "no card on the reader"))
    }

    fn activate(&mut self, ctl: &Control) -> Result<()> {
        let aid = self.cfg.aid.clone();
        self.session(ctl, false, |ch, ctl, _| {
            let fcp = select_app(ch, &aid, ctl)?
                .ok_or_else(|| ApduError::status("SELECT AID", rekam_apdu::StatusWord(0x6A82)))?;
            if fcp.life_cycle == Some(LifeCycle::Activated) {
                return Ok(());
            }
            ch.activate_file(ctl)
        })
        .map(drop)
    }
}

impl Drop for PcscEncoder {
    fn drop(&mut self) {
        if let Some(w) = self.watcher.take() {
            w.stop();
        }
    }
}

/// The hotplug watcher: a thread on its own PC/SC context that waits on the PnP pseudo reader
/// and the encoder's reader, and reports `Arrived`, `Left` and card presence.
struct Watcher {
    stop: Arc<AtomicBool>,
    ctx: Arc<Mutex<Option<pcsc::Context>>>,
    thread: Option<JoinHandle<()>>,
}

impl Watcher {
    fn start(id: DeviceId, reader: Option<String>, sink: EventSink) -> Option<Watcher> {
        let stop = Arc::new(AtomicBool::new(false));
        let ctx = Arc::new(Mutex::new(None));
        let (stop2, ctx2) = (stop.clone(), ctx.clone());
        let thread = std::thread::Builder::new()
            .name("pcsc-watch".into())
            .spawn(move || watch(id, reader, sink, stop2, ctx2))
            .ok()?;
        Some(Watcher {
            stop,
            ctx,
            thread: Some(thread),
        })
    }

    fn stop(mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(ctx) = self
            .ctx
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
        {
            let _ = ctx.cancel();
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn watch(
    id: DeviceId,
    wanted: Option<String>,
    sink: EventSink,
    stop: Arc<AtomicBool>,
    shared: Arc<Mutex<Option<pcsc::Context>>>,
) {
    let status = |card: bool| {
        let mut s = DeviceStatus::ready();
        if card {
            s.conditions.push(Condition::CardInEncoder);
        }
        s
    };
    let mut present: Option<bool> = None; // reader present?
    let mut card = false;
    while !stop.load(Ordering::SeqCst) {
        let Ok(ctx) = pcsc::Context::establish(pcsc::Scope::User) else {
            if present == Some(true) {
                sink(DeviceEvent::Left(id.clone()));
            }
            present = Some(false);
            std::thread::sleep(Duration::from_millis(500));
            continue;
        };
        *shared.lock().unwrap_or_else(PoisonError::into_inner) = Some(ctx.clone());
        let pnp: &CStr = pcsc::PNP_NOTIFICATION();
        let mut states = vec![pcsc::ReaderState::new(pnp, pcsc::State::UNAWARE)];
        loop {
            if stop.load(Ordering::SeqCst) {
                return;
            }
            let readers = list_readers(&ctx).unwrap_or_default();
            let reader = pick_reader(&readers, wanted.as_deref());
            let now_present = reader.is_some();
            if present != Some(now_present) {
                if present.is_some() || now_present {
                    sink(if now_present {
                        DeviceEvent::Arrived(id.clone())
                    } else {
                        DeviceEvent::Left(id.clone())
                    });
                }
                present = Some(now_present);
            }
            states.truncate(1);
            if let Some(r) = reader {
                states.push(pcsc::ReaderState::new(r, pcsc::State::UNAWARE));
            }
            // One round with UNAWARE states to learn the current state, then wait for change.
            let _ = ctx.get_status_change(Duration::ZERO, &mut states);
            for s in states.iter_mut() {
                s.sync_current_state();
            }
            if let Some(s) = states.get(1) {
                let now_card = s.event_state().contains(pcsc::State::PRESENT);
                if now_card != card {
                    card = now_card;
                    sink(DeviceEvent::StatusChanged(id.clone(), status(card)));
                }
            }
            match ctx.get_status_change(Duration::from_secs(2), &mut states) {
                Ok(()) | Err(pcsc::Error::Timeout) => {}
                Err(pcsc::Error::Cancelled) => return,
                Err(_) => break, // pcscd went away: establish again
            }
            if let Some(s) = states.get(1) {
                let now_card = s.event_state().contains(pcsc::State::PRESENT);
                if now_card != card {
                    card = now_card;
                    sink(DeviceEvent::StatusChanged(id.clone(), status(card)));
                }
            }
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}
