//! The vpcd link: the card side of vsmartcard's virtual reader protocol.
//!
//! The card connects to vpcd's TCP port (35963 for "Virtual PCD 00 00"). Every message either
//! way is a 2-byte big-endian length and a payload. A 1-byte payload from vpcd is a control
//! message: `00` power off, `01` power on, `02` reset (no answer to these three), `04` get ATR
//! (answered with the ATR). Any longer payload is a command APDU, answered with the response
//! APDU. Closing the connection is removing the card; pcscd notices within about 1.5 s.
//!
//! vpcd binds every address, so CI runs pcscd in its own network namespace. [`insert`] joins
//! that namespace for the connecting thread only (`setns(2)` on `/proc/PID/ns/net`, which
//! needs CAP_SYS_ADMIN: the tests run as root, as CI does), so the card runs inside the test
//! process and the test drives its faults through the [`VirtualCard`] handle directly. The
//! `rekam-vcard` binary does the same for manual use, or runs under `nsenter -t PID -n`.

use std::fs::File;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use nix::sched::{setns, CloneFlags};

use crate::card::VirtualCard;

/// vpcd's default port for its first reader.
pub const VPCD_PORT: u16 = 0x8C7B;

/// Where and how a card connects.
#[derive(Debug, Clone)]
pub struct Target {
    /// vpcd's address, e.g. `127.0.0.1:35963`.
    pub addr: SocketAddr,
    /// The network namespace to connect from (`/proc/PID/ns/net`), or the caller's own.
    pub netns: Option<PathBuf>,
    /// How long to keep trying to connect (vpcd listens once pcscd has loaded it).
    pub connect_timeout: Duration,
}

impl Target {
    /// vpcd's first reader on the loopback of the network namespace of process `pid`.
    pub fn in_netns_of(pid: u32) -> Target {
        Target {
            addr: SocketAddr::from(([127, 0, 0, 1], VPCD_PORT)),
            netns: Some(PathBuf::from(format!("/proc/{pid}/ns/net"))),
            connect_timeout: Duration::from_secs(10),
        }
    }
}

/// How a link ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkEnd {
    /// vpcd closed the connection (pcscd stopped) or the test removed the card.
    Closed,
    /// The card left the field on its own (a [`crate::Fault::RemoveDuringWrite`]).
    CardLeft,
}

fn read_frame(stream: &mut TcpStream) -> io::Result<Option<Vec<u8>>> {
    let mut len = [0u8; 2];
    match stream.read_exact(&mut len) {
        Ok(()) => {}
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset
            ) =>
        {
            return Ok(None)
        }
        Err(e) => return Err(e),
    }
    let mut payload = vec![0u8; usize::from(u16::from_be_bytes(len))];
    match stream.read_exact(&mut payload) {
        Ok(()) => Ok(Some(payload)),
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(None),
        Err(e) => Err(e),
    }
}

fn write_frame(stream: &mut TcpStream, payload: &[u8]) -> io::Result<()> {
    let len = u16::try_from(payload.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "frame too long"))?;
    let mut frame = Vec::with_capacity(payload.len() + 2);
    frame.extend_from_slice(&len.to_be_bytes());
    frame.extend_from_slice(payload);
    stream.write_all(&frame)
}

/// Serves `card` on a connected vpcd stream until either side closes it (a reset or broken
/// connection is a close too).
pub fn serve(card: &VirtualCard, stream: &mut TcpStream) -> io::Result<LinkEnd> {
    match serve_inner(card, stream) {
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::ConnectionReset
                    | io::ErrorKind::BrokenPipe
                    | io::ErrorKind::NotConnected
                    | io::ErrorKind::ConnectionAborted
                    | io::ErrorKind::UnexpectedEof
            ) =>
        {
            Ok(LinkEnd::Closed)
        }
        other => other,
    }
}

fn serve_inner(card: &VirtualCard, stream: &mut TcpStream) -> io::Result<LinkEnd> {
    stream.set_nodelay(true)?;
    loop {
        let Some(payload) = read_frame(stream)? else {
            return Ok(LinkEnd::Closed);
        };
        match payload[..] {
            [0x00] | [0x01] | [0x02] => card.reset(),
            [0x04] => write_frame(stream, &card.atr())?,
            [_] => {}
            _ => {
                let outcome = card.process(&payload);
                if !outcome.delay.is_zero() {
                    std::thread::sleep(outcome.delay);
                }
                match outcome.response {
                    Some(r) => write_frame(stream, &r)?,
                    None => {
                        let _ = stream.shutdown(Shutdown::Both);
                        return Ok(LinkEnd::CardLeft);
                    }
                }
            }
        }
    }
}

/// Connects to `target`, from its network namespace when it names one.
pub fn connect(target: &Target) -> io::Result<TcpStream> {
    if let Some(ns) = &target.netns {
        let f = File::open(ns)?;
        setns(&f, CloneFlags::CLONE_NEWNET).map_err(io::Error::from)?;
    }
    let end = Instant::now() + target.connect_timeout;
    loop {
        match TcpStream::connect_timeout(&target.addr, Duration::from_secs(1)) {
            Ok(s) => return Ok(s),
            Err(e) if Instant::now() < end => {
                let _ = e;
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(e) => return Err(e),
        }
    }
}

/// A card in the reader: the link thread and a handle to remove the card.
#[derive(Debug)]
pub struct Insertion {
    stream: TcpStream,
    thread: Option<JoinHandle<io::Result<LinkEnd>>>,
}

/// Puts `card` in the reader at `target`: a thread joins the target's network namespace,
/// connects and serves the card. Returns once connected.
pub fn insert(card: &VirtualCard, target: &Target) -> io::Result<Insertion> {
    let (tx, rx) = mpsc::channel();
    let card = card.clone();
    let target = target.clone();
    let thread = std::thread::Builder::new()
        .name("vcard-link".into())
        .spawn(move || {
            let mut stream = match connect(&target).and_then(|s| s.try_clone().map(|c| (s, c))) {
                Ok((s, c)) => {
                    let _ = tx.send(Ok(c));
                    s
                }
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return Ok(LinkEnd::Closed);
                }
            };
            serve(&card, &mut stream)
        })?;
    let stream = rx
        .recv()
        .map_err(|_| io::Error::other("the link thread ended before connecting"))??;
    Ok(Insertion {
        stream,
        thread: Some(thread),
    })
}

impl Insertion {
    /// True once the link ended (the card left, or vpcd closed).
    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// Takes the card out of the reader (closes the connection) and waits for the link.
    pub fn remove(mut self) -> io::Result<LinkEnd> {
        let _ = self.stream.shutdown(Shutdown::Both);
        self.join()
    }

    /// Waits for the link to end by itself.
    pub fn wait(mut self) -> io::Result<LinkEnd> {
        self.join()
    }

    fn join(&mut self) -> io::Result<LinkEnd> {
        match self.thread.take() {
            Some(t) => t
                .join()
                .map_err(|_| io::Error::other("the link thread panicked"))?,
            None => Ok(LinkEnd::Closed),
        }
    }
}

impl Drop for Insertion {
    fn drop(&mut self) {
        let _ = self.stream.shutdown(Shutdown::Both);
        let _ = self.join();
    }
}
