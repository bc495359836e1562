//! One signature capture as a pure state machine: decoded packets in, pen samples, LCD
//! commands and a finish decision out. Time is passed in, so every rule is unit-tested
//! without a clock or a line.
//!
//! Rules:
//! - Samples start at the first pen-down; `t_ms` counts from it (the Topaz protocol carries
//!   no time stamps, so each sample is stamped on arrival). Hover samples (pen near, not
//!   touching) after the first ink are kept with `pen_down = false`; they separate strokes.
//! - Pressure comes from the pad's pressure packets (the last value applies) when the rules
//!   say the pad has pressure; otherwise every sample has pressure 0 (the pad's capabilities
//!   then say 0 levels, and the station checks samples against them).
//! - The capture finishes when the signer taps the accept button (a touch region, when
//!   buttons are on) after some ink, or when the pen has not touched the pad for the idle
//!   time after some ink. A tap on the clear button throws the ink away and clears the LCD.
//!   Taps on buttons are not ink.
//! - A cut line ([`Capture::line_reset`]) ends an open stroke at its last point.

use std::time::{Duration, Instant};

use rekam_hal::{PenSample, RawImage};

use crate::topaz::{lcd, Packet, PadModel, MAX_PRESSURE};

/// A rectangle on the pad, logical units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    /// Left edge.
    pub x: u16,
    /// Top edge.
    pub y: u16,
    /// Width.
    pub width: u16,
    /// Height.
    pub height: u16,
}

impl Region {
    /// True when the point lies inside.
    pub fn contains(&self, x: u16, y: u16) -> bool {
        x >= self.x
            && y >= self.y
            && u32::from(x) < u32::from(self.x) + u32::from(self.width)
            && u32::from(y) < u32::from(self.y) + u32::from(self.height)
    }
}

/// The accept and clear touch regions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Buttons {
    /// Tapping here finishes the capture.
    pub accept: Region,
    /// Tapping here throws the ink away.
    pub clear: Region,
}

impl Buttons {
    /// The default layout: the bottom-right eighth of the width accepts, the bottom-left
    /// eighth clears, each a fifth of the height (where an overlay or the LCD labels them).
    pub fn default_for(model: &PadModel) -> Self {
        let w = model.width / 8;
        let h = model.height / 5;
        let y = model.height - h;
        Buttons {
            accept: Region {
                x: model.width - w,
                y,
                width: w,
                height: h,
            },
            clear: Region {
                x: 0,
                y,
                width: w,
                height: h,
            },
        }
    }
}

/// How a capture decides it is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaptureRules {
    /// The capture finishes when the pen has not touched the pad this long after some ink.
    pub idle_after_ink: Duration,
    /// Accept and clear regions, when the pad uses them.
    pub buttons: Option<Buttons>,
    /// The pad reports pressure (type 7 packets, 0-1023); when false they are ignored.
    pub pressure: bool,
}

impl Default for CaptureRules {
    fn default() -> Self {
        CaptureRules {
            idle_after_ink: Duration::from_secs(3),
            buttons: None,
            pressure: false,
        }
    }
}

/// Why a capture finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finish {
    /// The signer tapped the accept button.
    Accepted,
    /// The pen stayed off the pad for the idle time after some ink.
    Idle,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tap {
    Accept,
    Clear,
}

/// One capture in progress.
#[derive(Debug, Clone)]
pub struct Capture {
    model: PadModel,
    rules: CaptureRules,
    pressure: u16,
    t0: Option<Instant>,
    samples: Vec<PenSample>,
    pen_down: bool,
    tap: Option<Tap>,
    last_ink: Option<Instant>,
    finished: Option<Finish>,
    lcd: Vec<u8>,
    clears: u32,
}

impl Capture {
    /// A fresh capture on `model` under `rules`. On an LCD pad it first clears the display
    /// and keeps the ink shown ([`Capture::take_lcd`]).
    pub fn new(model: PadModel, rules: CaptureRules) -> Self {
        let lcd = if model.lcd {
            vec![lcd::CLEAR, lcd::PERSISTENT_INK]
        } else {
            Vec::new()
        };
        Capture {
            model,
            rules,
            pressure: 0,
            t0: None,
            samples: Vec::new(),
            pen_down: false,
            tap: None,
            last_ink: None,
            finished: None,
            lcd,
            clears: 0,
        }
    }

    /// Takes one decoded packet that arrived at `now`.
    pub fn packet(&mut self, packet: Packet, now: Instant) {
        if self.finished.is_some() {
            return;
        }
        match packet {
            Packet::Pressure(p) if self.rules.pressure => self.pressure = p.min(MAX_PRESSURE),
            Packet::Pressure(_) => {}
            Packet::Pen { x, y, down, near } => self.pen(x, y, down, near, now),
            Packet::Info { .. } | Packet::Response(_) | Packet::Reserved(_) => {}
        }
    }

    fn pen(&mut self, raw_x: u16, raw_y: u16, down: bool, near: bool, now: Instant) {
        let (x, y) = self.model.to_logical(raw_x, raw_y);
        if down && !self.pen_down {
            // The pen lands: on a button it is a tap, not ink.
            self.pen_down = true;
            self.tap = self.rules.buttons.and_then(|b| {
                if b.accept.contains(x, y) {
                    Some(Tap::Accept)
                } else if b.clear.contains(x, y) {
                    Some(Tap::Clear)
                } else {
                    None
                }
            });
        } else if !down && self.pen_down {
            self.pen_down = false;
            match self.tap.take() {
                Some(Tap::Accept) if self.has_ink() => self.finished = Some(Finish::Accepted),
                Some(Tap::Clear) => self.clear(),
                Some(Tap::Accept) => {}
                None => self.push(x, y, false, now),
            }
            return;
        }
        if self.tap.is_some() {
            return;
        }
        if down {
            if self.t0.is_none() {
                self.t0 = Some(now);
            }
            self.last_ink = Some(now);
            self.push(x, y, true, now);
        } else if near && self.t0.is_some() {
            self.push(x, y, false, now);
        }
    }

    fn push(&mut self, x: u16, y: u16, down: bool, now: Instant) {
        let Some(t0) = self.t0 else {
            return;
        };
        let t_ms = u32::try_from(now.saturating_duration_since(t0).as_millis()).unwrap_or(u32::MAX);
        self.samples.push(PenSample {
            x,
            y,
            pressure: if down { self.pressure } else { 0 },
            t_ms,
            pen_down: down,
        });
    }

    fn clear(&mut self) {
        self.samples.clear();
        self.t0 = None;
        self.last_ink = None;
        self.clears += 1;
        if self.model.lcd {
            self.lcd
                .extend_from_slice(&[lcd::CLEAR, lcd::PERSISTENT_INK]);
        }
    }

    /// The line was cut or reopened at `now`: the pen's state is unknown, so an open stroke
    /// ends at its last point, and a half-made tap is forgotten.
    pub fn line_reset(&mut self, now: Instant) {
        if self.pen_down {
            self.pen_down = false;
            if self.tap.take().is_none() {
                if let Some(last) = self.samples.last().copied() {
                    self.push(last.x, last.y, false, now);
                }
            }
        }
    }

    /// Whether the capture is done at `now`.
    pub fn poll(&mut self, now: Instant) -> Option<Finish> {
        if self.finished.is_none() && !self.pen_down {
            if let Some(last) = self.last_ink {
                if now.saturating_duration_since(last) >= self.rules.idle_after_ink {
                    self.finished = Some(Finish::Idle);
                }
            }
        }
        self.finished
    }

    /// LCD command bytes to send to the pad now (empty for pads without LCD).
    pub fn take_lcd(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.lcd)
    }

    /// True once some ink was drawn (and not cleared).
    pub fn has_ink(&self) -> bool {
        self.samples.iter().any(|s| s.pen_down)
    }

    /// The samples so far.
    pub fn samples(&self) -> &[PenSample] {
        &self.samples
    }

    /// How often the signer cleared.
    pub fn clears(&self) -> u32 {
        self.clears
    }

    /// The samples, ending the capture.
    pub fn into_samples(self) -> Vec<PenSample> {
        self.samples
    }
}

/// Image scale: one image pixel per this many logical units (about 205 ppi on 410-unit-per-
/// inch pads; the chip's signature image is far smaller still).
pub const IMAGE_SCALE: u16 = 2;

/// Draws the samples as grey ink (20) on white (255), one pixel per [`IMAGE_SCALE`] pad units.
/// Consecutive pen-down samples are joined by a line whose width follows the pressure (a
/// fixed width when the pad reports none). Written here because the line drawing is a dozen
/// lines, not worth a drawing crate.
pub fn draw(samples: &[PenSample], model: &PadModel) -> RawImage {
    let scale = f32::from(IMAGE_SCALE);
    let w = u32::from(model.width.div_ceil(IMAGE_SCALE));
    let h = u32::from(model.height.div_ceil(IMAGE_SCALE));
    let mut px = vec![255u8; (w * h) as usize];
    let mut dot = |x: f32, y: f32, radius: f32| {
        let r = radius.ceil() as i32;
        let (cx, cy) = (x.round() as i32, y.round() as i32);
        for oy in -r..=r {
            for ox in -r..=r {
                let (xx, yy) = (cx + ox, cy + oy);
                if xx < 0 || yy < 0 || xx >= w as i32 || yy >= h as i32 {
                    continue;
                }
                if ((ox * ox + oy * oy) as f32) <= radius * radius {
                    px[(yy as u32 * w + xx as u32) as usize] = 20;
                }
            }
        }
    };
    let has_pressure = samples.iter().any(|s| s.pen_down && s.pressure > 0);
    let radius = |p: u16| {
        if has_pressure {
            0.8 + 1.6 * f32::from(p) / f32::from(MAX_PRESSURE)
        } else {
            1.2
        }
    };
    for (i, s) in samples.iter().enumerate() {
        if !s.pen_down {
            continue;
        }
        let (bx, by) = (f32::from(s.x) / scale, f32::from(s.y) / scale);
        match i.checked_sub(1).and_then(|j| samples.get(j)) {
            Some(a) if a.pen_down => {
                let (ax, ay) = (f32::from(a.x) / scale, f32::from(a.y) / scale);
                let (dx, dy) = (bx - ax, by - ay);
                let steps = dx.abs().max(dy.abs()).ceil().max(1.0) as u32;
                for k in 0..=steps {
                    let t = k as f32 / steps as f32;
                    dot(ax + dx * t, ay + dy * t, radius(s.pressure));
                }
            }
            // A stroke's first point (or a lone dot).
            _ => dot(bx, by, radius(s.pressure)),
        }
    }
    RawImage {
        width: w,
        height: h,
        format: rekam_hal::PixelFormat::Gray8,
        ppi: Some(205),
        data: px,
    }
}

/// Pen-down runs (strokes) of a sample sequence.
pub fn strokes(samples: &[PenSample]) -> Vec<&[PenSample]> {
    samples
        .split(|s| !s.pen_down)
        .filter(|r| !r.is_empty())
        .collect()
}

/// A plausibility score 0-100, not a biometric quality: how much of a signature there is.
/// Width of the ink (a quarter of the pad or more scores fully: 40), pen-down samples (100
/// or more: 30), strokes (two or more: 30). No ink scores 0.
pub fn plausibility(samples: &[PenSample], model: &PadModel) -> u8 {
    let ink: Vec<&PenSample> = samples.iter().filter(|s| s.pen_down).collect();
    if ink.is_empty() {
        return 0;
    }
    let (min_x, max_x) = ink
        .iter()
        .fold((u16::MAX, 0u16), |(lo, hi), s| (lo.min(s.x), hi.max(s.x)));
    let extent = f32::from(max_x - min_x) / (f32::from(model.width) / 4.0);
    let count = ink.len() as f32 / 100.0;
    let n_strokes = strokes(samples).len() as f32 / 2.0;
    let score = 40.0 * extent.min(1.0) + 30.0 * count.min(1.0) + 30.0 * n_strokes.min(1.0);
    score.round().clamp(0.0, 100.0) as u8
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topaz::model;

    fn pad() -> PadModel {
        *model("siglite-lcd-1x5").unwrap()
    }

    fn pen(m: &PadModel, x: u16, y: u16, down: bool) -> Packet {
        let (x, y) = m.to_raw(x, y);
        Packet::Pen {
            x,
            y,
            down,
            near: true,
        }
    }

    #[test]
    fn samples_start_at_the_first_ink_and_hover_separates_strokes() {
        let m = pad();
        let t = Instant::now();
        let ms = |n: u64| t + Duration::from_millis(n);
        let rules = CaptureRules {
            pressure: true,
            ..CaptureRules::default()
        };
        let mut c = Capture::new(m, rules);
        assert_eq!(c.take_lcd(), vec![lcd::CLEAR, lcd::PERSISTENT_INK]);
        c.packet(pen(&m, 5, 5, false), ms(0)); // hover before ink: not kept
        c.packet(Packet::Pressure(512), ms(1));
        c.packet(pen(&m, 100, 100, true), ms(10));
        c.packet(pen(&m, 110, 105, true), ms(15));
        c.packet(pen(&m, 112, 106, false), ms(20));
        c.packet(pen(&m, 300, 100, true), ms(40));
        let s = c.samples();
        assert_eq!(s.len(), 4);
        assert_eq!(
            (s[0].x, s[0].y, s[0].t_ms, s[0].pressure),
            (100, 100, 0, 512)
        );
        assert_eq!((s[1].t_ms, s[2].pen_down, s[2].pressure), (5, false, 0));
        assert_eq!(s[3].t_ms, 30);
        assert_eq!(strokes(s).len(), 2);
        assert_eq!(c.poll(ms(41)), None);
    }

    #[test]
    fn idle_after_ink_finishes_but_idle_before_ink_does_not() {
        let m = pad();
        let t = Instant::now();
        let rules = CaptureRules {
            idle_after_ink: Duration::from_millis(500),
            ..CaptureRules::default()
        };
        let mut c = Capture::new(m, rules);
        // Without pressure, pressure packets are ignored.
        c.packet(Packet::Pressure(700), t);
        c.packet(pen(&m, 10, 10, true), t);
        assert_eq!(c.samples()[0].pressure, 0);
        let mut c = Capture::new(m, rules);
        assert_eq!(c.poll(t + Duration::from_secs(60)), None);
        c.packet(pen(&m, 100, 100, true), t);
        // The pen still touches: never idle.
        assert_eq!(c.poll(t + Duration::from_secs(5)), None);
        c.packet(pen(&m, 100, 100, false), t + Duration::from_millis(10));
        assert_eq!(c.poll(t + Duration::from_millis(400)), None);
        assert_eq!(c.poll(t + Duration::from_millis(500)), Some(Finish::Idle));
    }

    #[test]
    fn buttons_accept_and_clear_and_are_not_ink() {
        let m = pad();
        let b = Buttons::default_for(&m);
        let rules = CaptureRules {
            idle_after_ink: Duration::from_secs(60),
            buttons: Some(b),
            pressure: false,
        };
        let t = Instant::now();
        let mut c = Capture::new(m, rules);
        let _ = c.take_lcd();
        let (ax, ay) = (b.accept.x + 10, b.accept.y + 10);
        let (cx, cy) = (b.clear.x + 10, b.clear.y + 10);
        // Accept without ink: ignored.
        c.packet(pen(&m, ax, ay, true), t);
        c.packet(pen(&m, ax, ay, false), t);
        assert_eq!(c.poll(t), None);
        assert!(c.samples().is_empty());
        // Ink, then clear: gone, and the LCD is cleared.
        c.packet(pen(&m, 500, 300, true), t);
        c.packet(pen(&m, 520, 310, true), t);
        c.packet(pen(&m, 520, 310, false), t);
        c.packet(pen(&m, cx, cy, true), t);
        c.packet(pen(&m, cx, cy, false), t);
        assert!(!c.has_ink());
        assert_eq!(c.clears(), 1);
        assert_eq!(c.take_lcd(), vec![lcd::CLEAR, lcd::PERSISTENT_INK]);
        // Ink, then accept.
        c.packet(pen(&m, 600, 300, true), t);
        c.packet(pen(&m, 650, 320, true), t);
        c.packet(pen(&m, 650, 320, false), t);
        c.packet(pen(&m, ax, ay, true), t);
        c.packet(pen(&m, ax + 3, ay, true), t);
        c.packet(pen(&m, ax + 3, ay, false), t);
        assert_eq!(c.poll(t), Some(Finish::Accepted));
        assert!(c
            .samples()
            .iter()
            .all(|s| !b.accept.contains(s.x, s.y) && !b.clear.contains(s.x, s.y)));
        assert_eq!(strokes(c.samples()).len(), 1);
    }

    #[test]
    fn a_cut_line_ends_the_open_stroke() {
        let m = pad();
        let t = Instant::now();
        let mut c = Capture::new(m, CaptureRules::default());
        c.packet(pen(&m, 100, 100, true), t);
        c.packet(pen(&m, 120, 100, true), t);
        c.line_reset(t + Duration::from_millis(50));
        c.packet(pen(&m, 400, 100, true), t + Duration::from_millis(300));
        c.packet(pen(&m, 420, 100, true), t + Duration::from_millis(310));
        let strokes = strokes(c.samples());
        assert_eq!(strokes.len(), 2);
        assert_eq!(strokes[0].last().map(|s| s.x), Some(120));
        assert_eq!(strokes[1].first().map(|s| s.x), Some(400));
    }

    #[test]
    fn drawing_puts_ink_on_the_strokes_and_nowhere_else() {
        let m = pad();
        let s = |x, y, down| PenSample {
            x,
            y,
            pressure: 0,
            t_ms: 0,
            pen_down: down,
        };
        let samples = vec![
            s(100, 100, true),
            s(300, 100, true),
            s(300, 100, false),
            s(1000, 600, false),
        ];
        let img = draw(&samples, &m);
        assert_eq!((img.width, img.height), (1000, 350));
        assert!(img.is_consistent());
        let at = |x: u32, y: u32| img.data[(y * img.width + x) as usize];
        assert_eq!(at(100, 50), 20);
        assert_eq!(at(50, 50), 20);
        assert_eq!(at(150, 50), 20);
        assert_eq!(at(100, 60), 255);
        // The hover path to (1000, 600) is not ink.
        assert_eq!(at(400, 200), 255);
        let ink = img.data.iter().filter(|p| **p < 128).count();
        assert!((200..=600).contains(&ink), "{ink}");
    }

    #[test]
    fn plausibility_grows_with_the_signature() {
        let m = pad();
        assert_eq!(plausibility(&[], &m), 0);
        let one = vec![PenSample {
            x: 10,
            y: 10,
            pressure: 0,
            t_ms: 0,
            pen_down: true,
        }];
        let dot = plausibility(&one, &m);
        let mut long = Vec::new();
        for stroke in 0..3u16 {
            for i in 0..60u16 {
                long.push(PenSample {
                    x: 100 + stroke * 200 + i * 3,
                    y: 300,
                    pressure: 0,
                    t_ms: 0,
                    pen_down: true,
                });
            }
            long.push(PenSample {
                x: 0,
                y: 0,
                pressure: 0,
                t_ms: 0,
                pen_down: false,
            });
        }
        assert!(dot < 30, "{dot}");
        assert_eq!(plausibility(&long, &m), 100);
    }
}
