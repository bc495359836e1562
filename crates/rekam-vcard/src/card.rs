//! The card itself: an ISO/IEC 7816-4 file system (MF, application DFs by name, transparent
//! EFs with FCP), an ISO/IEC 7816-9 life cycle, a capacity, and the faults a test injects.
//!
//! Commands understood: SELECT (`A4`, by file id with P1 `00`/`02`, by DF name with P1
//! `04`, by path from the MF with P1 `08`; P2 `0C` no answer or `04` FCP), CREATE FILE (`E0`), UPDATE BINARY (`D6`), READ
//! BINARY (`B0`), ACTIVATE FILE (`44`), DEACTIVATE FILE (`04`), GET RESPONSE (`C0`) and the
//! PC/SC GET DATA UID pseudo-APDU (`FF CA 00 00`). Everything else answers `6D00` (or
//! `6E00` for an unknown class).
//!
//! Life cycle: the MF is operational; a created DF and its EFs are in the initialisation
//! state (`03`), where files may be created, written and read; ACTIVATE FILE on the DF makes it
//! operational (`05`), after which CREATE FILE and UPDATE BINARY under it answer `6985` and
//! reading still works. Capacity counts the sizes of EFs created under DFs; an EF that does not
//! fit answers `6A84`.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rekam_apdu::{tlv, Command, Fcp, FileKind, LifeCycle};

/// The PC/SC ATR of a contactless ISO 14443-4 card without historical bytes.
pub const DEFAULT_ATR: [u8; 5] = [0x3B, 0x80, 0x80, 0x01, 0x01];

/// How a virtual card is built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardConfig {
    /// The UID returned by GET DATA `FF CA`.
    pub uid: Vec<u8>,
    /// The ATR.
    pub atr: Vec<u8>,
    /// Bytes available for EFs under application DFs.
    pub capacity: usize,
    /// The largest command APDU the card takes, announced in EF.ATR/INFO (`7F66`).
    pub max_command_apdu: usize,
    /// The largest response APDU the card sends, announced in EF.ATR/INFO (`7F66`).
    pub max_response_apdu: usize,
}

impl Default for CardConfig {
    fn default() -> Self {
        CardConfig {
            uid: vec![0x04, 0x52, 0x4B, 0x4D, 0x00, 0x00, 0x01],
            atr: DEFAULT_ATR.to_vec(),
            capacity: 8192,
            max_command_apdu: 2048,
            max_response_apdu: 2048,
        }
    }
}

/// A fault the card plays, injected by the test.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// After `after_writes` more UPDATE BINARY commands succeed, the next one writes half its
    /// data and the card leaves the field (the connection to the reader closes): tearing by
    /// removal.
    RemoveDuringWrite {
        /// Successful writes before the tear.
        after_writes: u32,
    },
    /// After `after_writes` more UPDATE BINARY commands succeed, the next one writes half its
    /// data and answers `6581` (memory failure): a torn write the card reports.
    TearWrite {
        /// Successful writes before the tear.
        after_writes: u32,
    },
    /// The next command with instruction `ins` is not executed and answers `sw`.
    StatusWord {
        /// The instruction byte to catch.
        ins: u8,
        /// The status word to answer.
        sw: u16,
    },
    /// Every answer is delayed by this long (until cleared).
    Slow(Duration),
    /// Reading EF `fid` returns byte `offset` with its low bit flipped (the stored byte is
    /// fine): a read-back that does not match.
    CorruptRead {
        /// The file.
        fid: u16,
        /// The byte.
        offset: usize,
    },
}

#[derive(Debug, Default)]
struct Faults {
    remove_after: Option<u32>,
    tear_after: Option<u32>,
    sw: Option<(u8, u16)>,
    delay: Duration,
    corrupt: Option<(u16, usize)>,
}

#[derive(Debug, Clone)]
struct Ef {
    data: Vec<u8>,
    life_cycle: LifeCycle,
}

#[derive(Debug, Clone)]
struct Df {
    fid: u16,
    name: Vec<u8>,
    life_cycle: LifeCycle,
    efs: BTreeMap<u16, Ef>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Current {
    Mf,
    Df(usize),
    /// An EF: its parent DF (`None` for the MF) and id.
    Ef(Option<usize>, u16),
}

/// What processing one APDU asks the link to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The response bytes; `None` when the card left the field instead of answering.
    pub response: Option<Vec<u8>>,
    /// Wait this long before answering.
    pub delay: Duration,
}

struct State {
    config: CardConfig,
    mf_efs: BTreeMap<u16, Ef>,
    dfs: Vec<Df>,
    current: Current,
    pending: Vec<u8>,
    faults: Faults,
    commands: u64,
    writes: u64,
}

/// A virtual card. Cloning gives another handle to the same card (the test keeps one, the
/// link thread another).
#[derive(Clone)]
pub struct VirtualCard {
    state: Arc<Mutex<State>>,
}

impl fmt::Debug for VirtualCard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.lock();
        f.debug_struct("VirtualCard")
            .field("dfs", &st.dfs.len())
            .field("commands", &st.commands)
            .finish()
    }
}

/// What a test reads back from a card: the files of one application DF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppSnapshot {
    /// The DF's life cycle.
    pub life_cycle: LifeCycle,
    /// EF id to content.
    pub files: BTreeMap<u16, Vec<u8>>,
}

const SW_OK: u16 = 0x9000;

fn sw(code: u16) -> Vec<u8> {
    code.to_be_bytes().to_vec()
}

fn with_sw(mut data: Vec<u8>, code: u16) -> Vec<u8> {
    data.extend_from_slice(&code.to_be_bytes());
    data
}

impl VirtualCard {
    /// A blank card: an MF holding EF.ATR/INFO (`2F01`) with the extended length information.
    pub fn new(config: CardConfig) -> VirtualCard {
        let mut info = Vec::new();
        let int = |n: usize| tlv::encode(0x02, &(n.min(0xFFFF) as u16).to_be_bytes());
        let body = [int(config.max_command_apdu), int(config.max_response_apdu)].concat();
        tlv::write(&mut info, 0x7F66, &body);
        let mut mf_efs = BTreeMap::new();
        mf_efs.insert(
            rekam_apdu::ops::EF_ATR_INFO,
            Ef {
                data: info,
                life_cycle: LifeCycle::Activated,
            },
        );
        VirtualCard {
            state: Arc::new(Mutex::new(State {
                config,
                mf_efs,
                dfs: Vec::new(),
                current: Current::Mf,
                pending: Vec::new(),
                faults: Faults::default(),
                commands: 0,
                writes: 0,
            })),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The card's configuration.
    pub fn config(&self) -> CardConfig {
        self.lock().config.clone()
    }

    /// Creates an application DF with files directly (no APDUs), e.g. to make a card that is
    /// already personalised. `activated` puts the DF in the operational state.
    pub fn preload(&self, fid: u16, aid: &[u8], files: &BTreeMap<u16, Vec<u8>>, activated: bool) {
        let life_cycle = if activated {
            LifeCycle::Activated
        } else {
            LifeCycle::Initialisation
        };
        let efs = files
            .iter()
            .map(|(fid, data)| {
                (
                    *fid,
                    Ef {
                        data: data.clone(),
                        life_cycle,
                    },
                )
            })
            .collect();
        self.lock().dfs.push(Df {
            fid,
            name: aid.to_vec(),
            life_cycle,
            efs,
        });
    }

    /// Injects a fault.
    pub fn inject(&self, fault: Fault) {
        let mut st = self.lock();
        let f = &mut st.faults;
        match fault {
            Fault::RemoveDuringWrite { after_writes } => f.remove_after = Some(after_writes),
            Fault::TearWrite { after_writes } => f.tear_after = Some(after_writes),
            Fault::StatusWord { ins, sw } => f.sw = Some((ins, sw)),
            Fault::Slow(d) => f.delay = d,
            Fault::CorruptRead { fid, offset } => f.corrupt = Some((fid, offset)),
        }
    }

    /// Clears every fault.
    pub fn clear_faults(&self) {
        self.lock().faults = Faults::default();
    }

    /// Commands processed so far (all of them, GET RESPONSE included).
    pub fn commands(&self) -> u64 {
        self.lock().commands
    }

    /// UPDATE BINARY commands that wrote data.
    pub fn writes(&self) -> u64 {
        self.lock().writes
    }

    /// The application DF named `aid`, if the card has one.
    pub fn app(&self, aid: &[u8]) -> Option<AppSnapshot> {
        let st = self.lock();
        st.dfs.iter().find(|d| d.name == aid).map(|d| AppSnapshot {
            life_cycle: d.life_cycle,
            files: d
                .efs
                .iter()
                .map(|(fid, ef)| (*fid, ef.data.clone()))
                .collect(),
        })
    }

    /// Bytes of the capacity used by EFs under DFs.
    pub fn used(&self) -> usize {
        self.lock().used()
    }

    /// The ATR.
    pub fn atr(&self) -> Vec<u8> {
        self.lock().config.atr.clone()
    }

    /// Power-on or reset: the MF becomes current and pending response data are dropped.
    pub fn reset(&self) {
        let mut st = self.lock();
        st.current = Current::Mf;
        st.pending.clear();
    }

    /// Processes one command APDU.
    pub fn process(&self, apdu: &[u8]) -> Outcome {
        let mut st = self.lock();
        st.commands += 1;
        let delay = st.faults.delay;
        let response = st.process(apdu);
        Outcome { response, delay }
    }
}

impl State {
    fn used(&self) -> usize {
        self.dfs
            .iter()
            .flat_map(|d| d.efs.values())
            .map(|e| e.data.len())
            .sum()
    }

    fn process(&mut self, apdu: &[u8]) -> Option<Vec<u8>> {
        let Ok(cmd) = Command::parse(apdu) else {
            return Some(sw(0x6700));
        };
        if let Some((ins, code)) = self.faults.sw {
            if ins == cmd.ins {
                self.faults.sw = None;
                return Some(sw(code));
            }
        }
        if cmd.ins != 0xC0 {
            self.pending.clear();
        }
        let answer = match (cmd.cla, cmd.ins) {
            (0xFF, 0xCA) => Ok(self.config.uid.clone()),
            (0x10, _) => Err(0x6884),
            (0x00, 0xA4) => self.select(&cmd),
            (0x00, 0xE0) => self.create(&cmd),
            (0x00, 0xD6) => return self.update(&cmd),
            (0x00, 0xB0) => return Some(self.read(&cmd)),
            (0x00, 0x44) => self.set_life_cycle(&cmd, true),
            (0x00, 0x04) => self.set_life_cycle(&cmd, false),
            (0x00, 0xC0) => Ok(std::mem::take(&mut self.pending)),
            (0x00, _) => Err(0x6D00),
            _ => Err(0x6E00),
        };
        Some(match answer {
            Ok(data) => self.chunk_response(data, cmd.le),
            Err(code) => sw(code),
        })
    }

    /// Sends at most what the card's response size allows, the rest through 61xx.
    fn chunk_response(&mut self, mut data: Vec<u8>, le: Option<usize>) -> Vec<u8> {
        let max = self.config.max_response_apdu.saturating_sub(2).max(1);
        let limit = le.unwrap_or(max).min(max);
        if data.len() > limit {
            let rest = data.split_off(limit);
            let announce = rest.len().min(256) as u8;
            self.pending = rest;
            return with_sw(data, 0x6100 | u16::from(announce));
        }
        with_sw(data, SW_OK)
    }

    fn fcp_of(&self, current: Current) -> Fcp {
        match current {
            Current::Mf => Fcp {
                kind: Some(FileKind::Df),
                fid: Some(rekam_apdu::ops::MF),
                life_cycle: Some(LifeCycle::Activated),
                ..Fcp::default()
            },
            Current::Df(i) => {
                let d = &self.dfs[i];
                Fcp::df(d.fid, &d.name).with_life_cycle(d.life_cycle)
            }
            Current::Ef(parent, fid) => {
                let ef = self.ef(parent, fid);
                Fcp::ef(fid, ef.map_or(0, |e| e.data.len() as u32))
                    .with_life_cycle(ef.map_or(LifeCycle::NoInformation, |e| e.life_cycle))
            }
        }
    }

    fn ef(&self, parent: Option<usize>, fid: u16) -> Option<&Ef> {
        match parent {
            None => self.mf_efs.get(&fid),
            Some(i) => self.dfs.get(i).and_then(|d| d.efs.get(&fid)),
        }
    }

    fn current_df(&self) -> Option<usize> {
        match self.current {
            Current::Mf => None,
            Current::Df(i) => Some(i),
            Current::Ef(parent, _) => parent,
        }
    }

    fn select(&mut self, cmd: &Command) -> Result<Vec<u8>, u16> {
        let target = match cmd.p1 {
            0x04 => self
                .dfs
                .iter()
                .position(|d| d.name == cmd.data)
                .map(Current::Df),
            0x00 | 0x02 => {
                let [hi, lo] = cmd.data[..] else {
                    return Err(0x6A80);
                };
                let fid = u16::from_be_bytes([hi, lo]);
                let df = self.current_df();
                if fid == rekam_apdu::ops::MF && cmd.p1 == 0 {
                    Some(Current::Mf)
                } else if self.ef(df, fid).is_some() {
                    Some(Current::Ef(df, fid))
                } else if df.is_none() && cmd.p1 == 0 {
                    self.dfs.iter().position(|d| d.fid == fid).map(Current::Df)
                } else {
                    None
                }
            }
            // Path from the MF (without 3F00): an EF or DF under the MF, or an EF in a DF.
            0x08 => {
                let path: Vec<u16> = cmd
                    .data
                    .chunks(2)
                    .map(|c| match c {
                        [hi, lo] => Ok(u16::from_be_bytes([*hi, *lo])),
                        _ => Err(0x6A80u16),
                    })
                    .collect::<Result<_, _>>()?;
                let df_of = |fid: u16| self.dfs.iter().position(|d| d.fid == fid);
                match path[..] {
                    [fid] if self.ef(None, fid).is_some() => Some(Current::Ef(None, fid)),
                    [fid] => df_of(fid).map(Current::Df),
                    [df, fid] => df_of(df)
                        .filter(|i| self.ef(Some(*i), fid).is_some())
                        .map(|i| Current::Ef(Some(i), fid)),
                    _ => None,
                }
            }
            _ => return Err(0x6A86),
        };
        let target = target.ok_or(0x6A82u16)?;
        self.current = target;
        match cmd.p2 & 0x0C {
            0x0C => Ok(Vec::new()),
            0x04 => Ok(self.fcp_of(target).to_bytes()),
            _ => Err(0x6A86),
        }
    }

    fn df_writable(&self, df: Option<usize>) -> bool {
        match df {
            // No EF may be created in the MF by a personalisation host.
            None => false,
            Some(i) => !self.dfs[i].life_cycle.is_operational(),
        }
    }

    fn create(&mut self, cmd: &Command) -> Result<Vec<u8>, u16> {
        let fcp = Fcp::parse(&cmd.data).map_err(|_| 0x6A80u16)?;
        let fid = fcp.fid.ok_or(0x6A80u16)?;
        match fcp.kind {
            Some(FileKind::Df) => {
                if self.current_df().is_some() {
                    return Err(0x6985);
                }
                let name = fcp.df_name.clone().unwrap_or_default();
                if self.dfs.iter().any(|d| d.fid == fid) || self.mf_efs.contains_key(&fid) {
                    return Err(0x6A89);
                }
                if !name.is_empty() && self.dfs.iter().any(|d| d.name == name) {
                    return Err(0x6A8A);
                }
                self.dfs.push(Df {
                    fid,
                    name,
                    life_cycle: LifeCycle::Initialisation,
                    efs: BTreeMap::new(),
                });
                self.current = Current::Df(self.dfs.len() - 1);
                Ok(Vec::new())
            }
            Some(FileKind::Transparent) => {
                let df = self.current_df();
                if !self.df_writable(df) {
                    return Err(0x6985);
                }
                let Some(i) = df else { return Err(0x6985) };
                if self.dfs[i].efs.contains_key(&fid) {
                    return Err(0x6A89);
                }
                let size = fcp.size.ok_or(0x6A80u16)? as usize;
                if self.used() + size > self.config.capacity {
                    return Err(0x6A84);
                }
                self.dfs[i].efs.insert(
                    fid,
                    Ef {
                        data: vec![0; size],
                        life_cycle: LifeCycle::Initialisation,
                    },
                );
                self.current = Current::Ef(df, fid);
                Ok(Vec::new())
            }
            _ => Err(0x6A80),
        }
    }

    fn offset(cmd: &Command) -> Result<usize, u16> {
        if cmd.p1 & 0x80 != 0 {
            return Err(0x6A86); // SFI addressing is not supported
        }
        Ok(usize::from(u16::from_be_bytes([cmd.p1, cmd.p2])))
    }

    fn update(&mut self, cmd: &Command) -> Option<Vec<u8>> {
        let Current::Ef(parent, fid) = self.current else {
            return Some(sw(0x6986));
        };
        if !self.df_writable(parent) {
            return Some(sw(0x6985));
        }
        let offset = match Self::offset(cmd) {
            Ok(o) => o,
            Err(code) => return Some(sw(code)),
        };
        let len = self.ef(parent, fid).map_or(0, |e| e.data.len());
        if offset > len {
            return Some(sw(0x6B00));
        }
        if offset + cmd.data.len() > len {
            return Some(sw(0x6700));
        }
        let tear = |after: &mut Option<u32>| match after {
            Some(0) => {
                *after = None;
                true
            }
            Some(n) => {
                *n -= 1;
                false
            }
            None => false,
        };
        let remove = tear(&mut self.faults.remove_after);
        let torn = tear(&mut self.faults.tear_after);
        let n = if remove || torn {
            cmd.data.len() / 2
        } else {
            cmd.data.len()
        };
        let Some(i) = parent else {
            return Some(sw(0x6985));
        };
        if let Some(ef) = self.dfs[i].efs.get_mut(&fid) {
            ef.data[offset..offset + n].copy_from_slice(&cmd.data[..n]);
        }
        self.writes += 1;
        if remove {
            return None;
        }
        Some(sw(if torn { 0x6581 } else { SW_OK }))
    }

    fn read(&mut self, cmd: &Command) -> Vec<u8> {
        let Current::Ef(parent, fid) = self.current else {
            return sw(0x6986);
        };
        let offset = match Self::offset(cmd) {
            Ok(o) => o,
            Err(code) => return sw(code),
        };
        let Some(ef) = self.ef(parent, fid) else {
            return sw(0x6986);
        };
        if offset > ef.data.len() {
            return sw(0x6B00);
        }
        let want = cmd.le.unwrap_or(256);
        let end = (offset + want).min(ef.data.len());
        let mut data = ef.data[offset..end].to_vec();
        if let Some((cfid, coff)) = self.faults.corrupt {
            if cfid == fid && (offset..end).contains(&coff) {
                data[coff - offset] ^= 0x01;
            }
        }
        if data.len() < want {
            // ISO/IEC 7816-4: end of file reached before Ne bytes.
            return with_sw(data, 0x6282);
        }
        self.chunk_response(data, cmd.le)
    }

    fn set_life_cycle(&mut self, cmd: &Command, activate: bool) -> Result<Vec<u8>, u16> {
        if cmd.p1 != 0 || cmd.p2 != 0 || !cmd.data.is_empty() {
            return Err(0x6A86);
        }
        let lcs = if activate {
            LifeCycle::Activated
        } else {
            LifeCycle::Deactivated
        };
        match self.current {
            Current::Mf => Err(0x6985),
            Current::Df(i) => {
                let d = &mut self.dfs[i];
                if d.life_cycle == LifeCycle::Terminated
                    || (!activate && !d.life_cycle.is_operational())
                {
                    return Err(0x6985);
                }
                d.life_cycle = lcs;
                for ef in d.efs.values_mut() {
                    ef.life_cycle = lcs;
                }
                Ok(Vec::new())
            }
            Current::Ef(parent, fid) => {
                let Some(i) = parent else { return Err(0x6985) };
                let ef = self.dfs[i].efs.get_mut(&fid).ok_or(0x6986u16)?;
                ef.life_cycle = lcs;
                Ok(Vec::new())
            }
        }
    }
}
