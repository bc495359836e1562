//! The Topaz serial tablet protocol: packets, a resynchronising decoder, the pad side's
//! encoder (for scripted pads in tests), the LCD command bytes, and the model table.
//!
//! # What was implemented, and from where
//!
//! Topaz publishes no protocol document; its facts are public through two independent
//! readings, which agree where they overlap (read to learn; no code was copied):
//! - the README and `lib/topaz.js` of `l1n/topaz-dext` (MIT; protocol read from Topaz's
//!   SigPlus Java SDK 2.68, `TabletInterface`): serial parameters, packet types, pressure and
//!   device-info packets, bad-packet rules, the model calibration table, LCD control bytes;
//! - `firmware/topaz_serial.cpp` of `popbee/waxbee` (a Topaz-to-Wacom USB adapter firmware):
//!   the 5-byte packet, sync bit, proximity bit, pen-down bit, 12-bit coordinates.
//!
//! The facts used here:
//! - Line: 8 data bits, **odd** parity, 1 stop bit, no flow control; 19200 baud for most pads
//!   (9600 ClipGem, 38400 SigLite LCD 4x5, 115200 SigGem Color). The pad streams as soon as
//!   the port is open; no initialisation.
//! - A packet is 5 bytes. Byte 0 is the status, with bit 7 set (the sync marker); bytes 1-4
//!   have bit 7 clear, so any byte with bit 7 set starts a packet. Status bit 6: pen near
//!   (proximity); bit 0: pen touching; bits 2-4: packet type.
//! - Types 0, 1, 4: pen position, `x = (b2 & 0x1F) << 7 | (b1 & 0x7F)`, `y` likewise from b4,
//!   b3 (12 bits, raw digitiser units, about 410 per inch). Type 7: pressure
//!   `(b4 & 0x07) << 7 | (b3 & 0x7F)` (10 bits), applying to the position packets that follow.
//!   Type 2: device info (6-bit model number, 18-bit serial). Type 3: a command response.
//!   Types 5, 6: reserved.
//! - A packet is bad when a data byte has bit 7 set, or when x and y are both `0xFFF`.
//! - Raw coordinates map to logical pad units through each model's calibration window:
//!   `logical = (raw - start) * logical_size / (stop - start)`, clamped to the pad.
//! - Host to pad, on LCD models, single control bytes: `0x04` clears the display and captures
//!   with auto-erase, `0x14` keeps the ink on the display, `0x09` inverts the ink.
//!
//! Not implemented, because the public sources do not give it: the "7-bit" packet format of
//! the SignatureGem LCD 1x5 (7O1), and the LCD text and graphics commands (SigPlus's
//! `LCDWriteString`). So a pad shows the ink, not a "Sign here" prompt; the operator's screen
//! prompts instead, and accept/clear buttons are touch regions ("hotspots", as SigPlus's
//! `KeyPadAddHotSpot` defines them host-side) on the pad's surface (see [`crate::capture`]).

use std::fmt;

/// Bytes in one packet.
pub const PACKET_LEN: usize = 5;
/// Status bit 7: set in the first byte of each packet, clear in the others.
pub const SYNC: u8 = 0x80;
/// Status bit 6: the pen is near the surface (proximity).
pub const NEAR: u8 = 0x40;
/// Status bit 0: the pen touches the surface.
pub const DOWN: u8 = 0x01;
/// The largest coordinate (12 bits).
pub const MAX_COORD: u16 = 0x0FFF;
/// The largest pressure value (10 bits).
pub const MAX_PRESSURE: u16 = 0x03FF;

/// Control bytes the host sends to an LCD pad.
pub mod lcd {
    /// Clears the display and captures with auto-erase (`Ctrl-D`).
    pub const CLEAR: u8 = 0x04;
    /// Keeps the ink on the display (`Ctrl-T`).
    pub const PERSISTENT_INK: u8 = 0x14;
    /// Shows the ink inverted (`Ctrl-I`).
    pub const INVERTED_INK: u8 = 0x09;
}

/// One decoded packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Packet {
    /// Pen position (types 0, 1, 4), raw digitiser units.
    Pen {
        /// Raw x, 0..=4095.
        x: u16,
        /// Raw y, 0..=4095.
        y: u16,
        /// The pen touches the surface.
        down: bool,
        /// The pen is near the surface.
        near: bool,
    },
    /// Pressure for the position packets that follow (type 7), 0..=1023.
    Pressure(u16),
    /// Device information (type 2).
    Info {
        /// The 6-bit model number.
        model: u8,
        /// The 18-bit serial number.
        serial: u32,
    },
    /// A command response (type 3): the four data bytes.
    Response([u8; 4]),
    /// A reserved packet type (5 or 6).
    Reserved(u8),
}

/// The packet type field of a status byte.
fn packet_type(status: u8) -> u8 {
    (status >> 2) & 0x07
}

/// Decodes one complete packet; `None` for a bad one (see the module doc).
///
/// ```
/// use rekam_dev_serial::topaz::{parse, encode_pen, Packet};
/// let bytes = encode_pen(1234, 567, true, true);
/// assert_eq!(parse(&bytes), Some(Packet::Pen { x: 1234, y: 567, down: true, near: true }));
/// assert_eq!(parse(&[0x80, 0x7F, 0x1F, 0x7F, 0x1F]), None); // x = y = 0xFFF: noise
/// ```
pub fn parse(p: &[u8; PACKET_LEN]) -> Option<Packet> {
    if p[0] & SYNC == 0 || p[1..].iter().any(|b| b & SYNC != 0) {
        return None;
    }
    let x = (u16::from(p[2] & 0x1F) << 7) | u16::from(p[1] & 0x7F);
    let y = (u16::from(p[4] & 0x1F) << 7) | u16::from(p[3] & 0x7F);
    if x == MAX_COORD && y == MAX_COORD {
        return None;
    }
    let status = p[0];
    Some(match packet_type(status) {
        0 | 1 | 4 => Packet::Pen {
            x,
            y,
            down: status & DOWN != 0,
            near: status & NEAR != 0,
        },
        7 => Packet::Pressure((u16::from(p[4] & 0x07) << 7) | u16::from(p[3] & 0x7F)),
        2 => {
            let d0 = u32::from(p[1] & 0x7F) | (u32::from(p[2] & 0x7F) << 7);
            let d1 = u32::from(p[3] & 0x7F) | (u32::from(p[4] & 0x7F) << 7);
            Packet::Info {
                model: ((d0 & 0xFC) >> 2) as u8,
                serial: ((d0 & 0x03) << 16) | d1,
            }
        }
        3 => Packet::Response([p[1], p[2], p[3], p[4]]),
        other => Packet::Reserved(other),
    })
}

/// The pad side: a position packet (coordinates above 12 bits are cut to 12 bits).
pub fn encode_pen(x: u16, y: u16, down: bool, near: bool) -> [u8; PACKET_LEN] {
    let mut status = SYNC;
    if near {
        status |= NEAR;
    }
    if down {
        status |= DOWN;
    }
    [
        status,
        (x & 0x7F) as u8,
        ((x >> 7) & 0x1F) as u8,
        (y & 0x7F) as u8,
        ((y >> 7) & 0x1F) as u8,
    ]
}

/// The pad side: a pressure packet (type 7; values above 10 bits are cut to 10 bits).
pub fn encode_pressure(pressure: u16) -> [u8; PACKET_LEN] {
    [
        SYNC | (7 << 2),
        0,
        0,
        (pressure & 0x7F) as u8,
        ((pressure >> 7) & 0x07) as u8,
    ]
}

/// The pad side: a device-info packet (type 2). As published, the packet carries serial
/// bits 16-17 and 0-13 only; bits 14-15 are dropped.
pub fn encode_info(model: u8, serial: u32) -> [u8; PACKET_LEN] {
    let d0 = (u32::from(model & 0x3F) << 2) | ((serial >> 16) & 0x03);
    let d1 = serial & 0x3FFF;
    [
        SYNC | (2 << 2),
        (d0 & 0x7F) as u8,
        ((d0 >> 7) & 0x7F) as u8,
        (d1 & 0x7F) as u8,
        ((d1 >> 7) & 0x7F) as u8,
    ]
}

/// What the decoder threw away, for diagnostics (a wrong baud rate shows as many skipped
/// bytes and bad packets).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DecodeStats {
    /// Good packets decoded.
    pub packets: u64,
    /// Bytes outside any packet (no sync byte before them).
    pub skipped_bytes: u64,
    /// Complete packets that failed the checks.
    pub bad_packets: u64,
    /// Packets cut short by a new sync byte or by silence on the line.
    pub cut_packets: u64,
}

/// A byte-at-a-time packet decoder that resynchronises on the sync bit.
///
/// Garbage bytes without the sync bit are skipped; a sync byte in the middle of a packet
/// drops the partial packet and starts a new one; [`Decoder::gap`] (the line fell silent, or
/// was reconnected) drops a partial packet, so its bytes are never glued to later ones.
///
/// ```
/// use rekam_dev_serial::topaz::{encode_pen, Decoder, Packet};
/// let mut d = Decoder::new();
/// let mut stream = vec![0x13, 0x55]; // noise
/// stream.extend_from_slice(&encode_pen(10, 20, true, true)[..3]); // cut packet
/// stream.extend_from_slice(&encode_pen(11, 21, false, true));
/// let packets: Vec<Packet> = stream.iter().filter_map(|b| d.push(*b)).collect();
/// assert_eq!(packets, vec![Packet::Pen { x: 11, y: 21, down: false, near: true }]);
/// assert_eq!(d.stats().skipped_bytes, 2);
/// assert_eq!(d.stats().cut_packets, 1);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Decoder {
    buf: [u8; PACKET_LEN],
    len: usize,
    stats: DecodeStats,
}

impl Decoder {
    /// A decoder waiting for a sync byte.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes one byte; returns a packet when this byte completes a good one.
    pub fn push(&mut self, byte: u8) -> Option<Packet> {
        if byte & SYNC != 0 {
            if self.len > 0 {
                self.stats.cut_packets += 1;
            }
            self.buf[0] = byte;
            self.len = 1;
            return None;
        }
        if self.len == 0 {
            self.stats.skipped_bytes += 1;
            return None;
        }
        self.buf[self.len] = byte;
        self.len += 1;
        if self.len < PACKET_LEN {
            return None;
        }
        self.len = 0;
        match parse(&self.buf) {
            Some(p) => {
                self.stats.packets += 1;
                Some(p)
            }
            None => {
                self.stats.bad_packets += 1;
                None
            }
        }
    }

    /// The line was silent for longer than a packet takes, or was reopened: a partial
    /// packet is dropped.
    pub fn gap(&mut self) {
        if self.len > 0 {
            self.stats.cut_packets += 1;
            self.len = 0;
        }
    }

    /// True while part of a packet has arrived.
    pub fn in_packet(&self) -> bool {
        self.len > 0
    }

    /// What was decoded and thrown away so far.
    pub fn stats(&self) -> DecodeStats {
        self.stats
    }
}

/// A Topaz pad model: its line speed, calibration window and surface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PadModel {
    /// The key used in selectors (`model=siglite-lcd-1x5`).
    pub key: &'static str,
    /// Marketing name.
    pub name: &'static str,
    /// Line speed.
    pub baud: u32,
    /// Raw x of the left and right edges of the signing area.
    pub x_range: (u16, u16),
    /// Raw y of the top and bottom edges of the signing area.
    pub y_range: (u16, u16),
    /// Width of the signing area, logical units (the x span: see [`PadModel::new`]).
    pub width: u16,
    /// Height of the signing area, logical units.
    pub height: u16,
    /// The pad has an LCD that shows the ink.
    pub lcd: bool,
}

impl PadModel {
    /// A model whose signing area spans `x_range` by `y_range` raw units, one logical unit per
    /// raw unit (so `width` and `height` are the spans).
    pub const fn new(
        key: &'static str,
        name: &'static str,
        baud: u32,
        x_range: (u16, u16),
        y_range: (u16, u16),
        lcd: bool,
    ) -> PadModel {
        PadModel {
            key,
            name,
            baud,
            x_range,
            y_range,
            width: x_range.1 - x_range.0,
            height: y_range.1 - y_range.0,
            lcd,
        }
    }

    /// Maps raw digitiser coordinates to logical pad units, clamped to the surface.
    ///
    /// ```
    /// use rekam_dev_serial::topaz::model;
    /// let m = model("siglite-lcd-1x5").unwrap();
    /// assert_eq!(m.to_logical(400, 350), (0, 0));
    /// assert_eq!(m.to_logical(1400, 700), (1000, 350));
    /// assert_eq!(m.to_logical(4000, 4000), (m.width - 1, m.height - 1));
    /// ```
    pub fn to_logical(&self, x: u16, y: u16) -> (u16, u16) {
        let map = |v: u16, (start, stop): (u16, u16), size: u16| -> u16 {
            let span = i64::from(stop.saturating_sub(start)).max(1);
            let v = (i64::from(v) - i64::from(start)) * i64::from(size) / span;
            v.clamp(0, i64::from(size.saturating_sub(1))) as u16
        };
        (
            map(x, self.x_range, self.width),
            map(y, self.y_range, self.height),
        )
    }

    /// The raw coordinates of a logical point (the inverse of [`PadModel::to_logical`], for
    /// scripted pads).
    pub fn to_raw(&self, x: u16, y: u16) -> (u16, u16) {
        let map = |v: u16, (start, stop): (u16, u16), size: u16| -> u16 {
            let span = u32::from(stop.saturating_sub(start));
            let raw = u32::from(start) + (u32::from(v) * span).div_ceil(u32::from(size).max(1));
            raw.min(u32::from(MAX_COORD)) as u16
        };
        (
            map(x, self.x_range, self.width),
            map(y, self.y_range, self.height),
        )
    }
}

impl fmt::Display for PadModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Topaz {} ({})", self.name, self.key)
    }
}

/// The supported models (8-bit packet format). Calibration windows from topaz-dext.
#[rustfmt::skip] // one model per line: key, name, baud, raw x and y windows, LCD
pub const MODELS: &[PadModel] = &[
    PadModel::new("siglite-lcd-1x5", "SigLite LCD 1x5 (T-L462, T-LBK462)", 19200, (400, 2400), (350, 1050), true),
    PadModel::new("siglite-lcd-4x5", "SigLite LCD 4x5 (T-LBK755)", 38400, (500, 2600), (500, 2100), true),
    PadModel::new("siglite-1x5", "SigLite 1x5 (T-S460, T-S461)", 19200, (500, 2650), (700, 2100), false),
    PadModel::new("signaturegem-1x5", "SignatureGem 1x5 (T-S460)", 19200, (400, 2400), (350, 950), false),
    PadModel::new("signaturegem-4x5", "SignatureGem 4x5 (T-S751)", 19200, (500, 2650), (700, 2100), false),
    PadModel::new("clipgem", "ClipGem (T-C912)", 9600, (485, 2800), (170, 3200), false),
    PadModel::new("siggem-color-5x7", "SigGem Color 5x7 (T-LBK57GC)", 115_200, (300, 2370), (350, 1950), true),
];

/// The model used when the selector names none: the common LCD 1x5 pad.
pub const DEFAULT_MODEL: &str = "siglite-lcd-1x5";

/// A model by key.
pub fn model(key: &str) -> Option<&'static PadModel> {
    MODELS.iter().find(|m| m.key == key)
}

/// The supported model keys, comma-separated (for error messages).
pub fn model_keys() -> String {
    MODELS.iter().map(|m| m.key).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn decode_all(bytes: &[u8]) -> (Vec<Packet>, DecodeStats) {
        let mut d = Decoder::new();
        let p = bytes.iter().filter_map(|b| d.push(*b)).collect();
        (p, d.stats())
    }

    #[test]
    fn every_model_is_named_in_the_readme_and_the_udev_rules() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
        let rules = std::fs::read_to_string(root.join("udev/60-rekam.rules")).unwrap();
        // Both wrap lines: compare with whitespace and comment marks folded.
        let fold = |t: &str| {
            t.split_whitespace()
                .filter(|w| *w != "#")
                .collect::<Vec<_>>()
                .join(" ")
        };
        let (readme, rules) = (fold(&readme), fold(&rules));
        for m in MODELS {
            let short = m.name.split(" (").next().unwrap();
            assert!(readme.contains(short), "README.md does not name {short}");
            assert!(
                rules.contains(short),
                "60-rekam.rules does not name {short}"
            );
        }
    }

    #[test]
    fn every_packet_type_decodes() {
        assert_eq!(parse(&encode_pressure(1023)), Some(Packet::Pressure(1023)));
        assert_eq!(parse(&encode_pressure(300)), Some(Packet::Pressure(300)));
        assert_eq!(
            parse(&encode_info(37, 0x2_1BCD)),
            Some(Packet::Info {
                model: 37,
                serial: 0x2_1BCD
            })
        );
        assert_eq!(
            parse(&[0x80 | (3 << 2), 1, 2, 3, 4]),
            Some(Packet::Response([1, 2, 3, 4]))
        );
        assert_eq!(
            parse(&[0x80 | (5 << 2), 0, 0, 0, 0]),
            Some(Packet::Reserved(5))
        );
        // Types 1 and 4 are positions too.
        assert_eq!(
            parse(&[0x80 | (1 << 2) | DOWN, 5, 0, 6, 0]),
            Some(Packet::Pen {
                x: 5,
                y: 6,
                down: true,
                near: false
            })
        );
    }

    #[test]
    fn hand_computed_bytes_decode_to_known_coordinates() {
        // x = 0x0A3B: low seven bits 0x3B, high five 0x14; y = 0x0123: 0x23, 0x02.
        let p = [0xC1, 0x3B, 0x14, 0x23, 0x02];
        assert_eq!(
            parse(&p),
            Some(Packet::Pen {
                x: 0x0A3B,
                y: 0x0123,
                down: true,
                near: true
            })
        );
        assert_eq!(encode_pen(0x0A3B, 0x0123, true, true), p);
    }

    #[test]
    fn garbage_cut_packets_and_bad_packets_are_skipped() {
        let mut s = vec![0x00, 0x7F, 0x33];
        s.extend_from_slice(&encode_pen(100, 200, true, true));
        s.extend_from_slice(&encode_pen(101, 201, true, true)[..2]);
        s.extend_from_slice(&encode_pen(102, 202, true, true));
        s.extend_from_slice(&[0x80, 0x7F, 0x1F, 0x7F, 0x1F]); // 0xFFF, 0xFFF: noise
        s.extend_from_slice(&encode_pen(103, 203, false, true));
        let (p, stats) = decode_all(&s);
        let xs: Vec<u16> = p
            .iter()
            .filter_map(|p| match p {
                Packet::Pen { x, .. } => Some(*x),
                _ => None,
            })
            .collect();
        assert_eq!(xs, vec![100, 102, 103]);
        assert_eq!(
            stats,
            DecodeStats {
                packets: 3,
                skipped_bytes: 3,
                bad_packets: 1,
                cut_packets: 1
            }
        );
    }

    #[test]
    fn a_gap_keeps_a_cut_packet_from_joining_the_next_bytes() {
        // The line is cut after three bytes; when it comes back the first sync byte was lost,
        // so two data bytes arrive first. Without the gap they would complete the packet.
        let a = encode_pen(100, 200, true, true);
        let b = encode_pen(900, 901, true, true);
        let mut d = Decoder::new();
        for byte in &a[..3] {
            assert_eq!(d.push(*byte), None);
        }
        d.gap();
        assert!(!d.in_packet());
        let mut out = Vec::new();
        for byte in b[3..].iter().chain(b.iter()) {
            out.extend(d.push(*byte));
        }
        assert_eq!(
            out,
            vec![Packet::Pen {
                x: 900,
                y: 901,
                down: true,
                near: true
            }]
        );
        assert_eq!(d.stats().cut_packets, 1);
        assert_eq!(d.stats().skipped_bytes, 2);
    }

    #[test]
    fn models_map_both_ways() {
        for m in MODELS {
            assert!(
                m.x_range.0 < m.x_range.1 && m.y_range.0 < m.y_range.1,
                "{m}"
            );
            for (x, y) in [
                (0, 0),
                (m.width / 3, m.height / 2),
                (m.width - 1, m.height - 1),
            ] {
                let (rx, ry) = m.to_raw(x, y);
                let (lx, ly) = m.to_logical(rx, ry);
                assert!(lx.abs_diff(x) <= 1 && ly.abs_diff(y) <= 1, "{m}: {x},{y}");
            }
        }
        assert!(model(DEFAULT_MODEL).is_some());
        assert!(model("wacom").is_none());
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048), gaps in proptest::collection::vec(any::<u16>(), 0..8)) {
            let mut d = Decoder::new();
            for (i, b) in bytes.iter().enumerate() {
                if gaps.iter().any(|g| usize::from(*g) == i) {
                    d.gap();
                }
                if let Some(Packet::Pen { x, y, .. }) = d.push(*b) {
                    prop_assert!(x <= MAX_COORD && y <= MAX_COORD);
                }
            }
            let s = d.stats();
            prop_assert!(s.packets * 5 + s.bad_packets * 5 + s.skipped_bytes <= bytes.len() as u64);
        }

        #[test]
        fn packets_survive_noise_between_them(points in proptest::collection::vec((0u16..4095, 0u16..4095, any::<bool>(), any::<bool>()), 1..50), noise in proptest::collection::vec(0u8..0x80, 0..6)) {
            let mut s = Vec::new();
            for (x, y, down, near) in &points {
                s.extend_from_slice(&noise);
                s.extend_from_slice(&encode_pen(*x, *y, *down, *near));
            }
            let (p, stats) = decode_all(&s);
            let expected: Vec<Packet> = points.iter().map(|(x, y, down, near)| Packet::Pen { x: *x, y: *y, down: *down, near: *near }).collect();
            prop_assert_eq!(p, expected);
            prop_assert_eq!(stats.skipped_bytes, (noise.len() * points.len()) as u64);
        }
    }
}
