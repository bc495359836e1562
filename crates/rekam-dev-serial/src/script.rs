//! A scripted Topaz pad: turns strokes (logical pad units) into the packet stream a pad
//! would send, with hover, pressure and an optional accept tap, and plays it on a line. The
//! unit tests, the pty test and rekamd's end-to-end test sign with it.

use std::io::Write;
use std::time::Duration;

use crate::capture::Buttons;
use crate::topaz::{encode_pen, encode_pressure, PadModel, PACKET_LEN};

/// A test signature in logical units of `model`: a wave, a loop and an underline, spread
/// over the middle of the pad (three strokes, 40 to 90 points each).
pub fn test_signature(model: &PadModel) -> Vec<Vec<(u16, u16)>> {
    let w = f32::from(model.width);
    let h = f32::from(model.height);
    let at = |fx: f32, fy: f32| -> (u16, u16) {
        (
            (fx * w).round().clamp(0.0, w - 1.0) as u16,
            (fy * h).round().clamp(0.0, h - 1.0) as u16,
        )
    };
    let wave = (0..90)
        .map(|i| {
            let t = i as f32 / 89.0;
            at(0.15 + 0.35 * t, 0.45 + 0.12 * (t * 12.0).sin())
        })
        .collect();
    let ring = (0..60)
        .map(|i| {
            let a = i as f32 / 59.0 * std::f32::consts::TAU;
            at(0.6 + 0.06 * a.cos(), 0.42 + 0.12 * a.sin())
        })
        .collect();
    let line = (0..40)
        .map(|i| at(0.14 + 0.55 * i as f32 / 39.0, 0.68))
        .collect();
    vec![wave, ring, line]
}

/// How the scripted pad signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignOptions {
    /// Send a pressure packet before each pen-down position (a rising then falling value).
    pub pressure: bool,
    /// Tap the accept button after the last stroke.
    pub accept: Option<Buttons>,
}

/// The packets a pad sends for `strokes`: for each stroke a hover packet at its start, the
/// pen-down positions, a lift at its end; then the accept tap, if asked.
pub fn packets(
    model: &PadModel,
    strokes: &[Vec<(u16, u16)>],
    opts: SignOptions,
) -> Vec<[u8; PACKET_LEN]> {
    let mut out = Vec::new();
    let raw = |(x, y): (u16, u16)| model.to_raw(x, y);
    for stroke in strokes {
        let (Some(first), Some(last)) = (stroke.first(), stroke.last()) else {
            continue;
        };
        let (fx, fy) = raw(*first);
        out.push(encode_pen(fx, fy, false, true));
        let n = stroke.len().max(2) - 1;
        for (i, p) in stroke.iter().enumerate() {
            if opts.pressure {
                let t = i as f32 / n as f32;
                let p = 200.0 + 700.0 * (t * std::f32::consts::PI).sin();
                out.push(encode_pressure(p.round() as u16));
            }
            let (x, y) = raw(*p);
            out.push(encode_pen(x, y, true, true));
        }
        let (lx, ly) = raw(*last);
        out.push(encode_pen(lx, ly, false, true));
    }
    if let Some(b) = opts.accept {
        let (x, y) = raw((
            b.accept.x + b.accept.width / 2,
            b.accept.y + b.accept.height / 2,
        ));
        out.push(encode_pen(x, y, false, true));
        out.push(encode_pen(x, y, true, true));
        out.push(encode_pen(x, y, true, true));
        out.push(encode_pen(x, y, false, true));
        // The pen leaves.
        out.push(encode_pen(x, y, false, false));
    }
    out
}

/// The packets as one byte stream.
pub fn bytes(packets: &[[u8; PACKET_LEN]]) -> Vec<u8> {
    packets.iter().flatten().copied().collect()
}

/// Writes `packets` to `line`, `per_write` packets at a time with `pause` between writes (a
/// pad sends about 100 to 200 packets a second).
pub fn play(
    line: &mut dyn Write,
    packets: &[[u8; PACKET_LEN]],
    per_write: usize,
    pause: Duration,
) -> std::io::Result<()> {
    for chunk in packets.chunks(per_write.max(1)) {
        line.write_all(&bytes(chunk))?;
        line.flush()?;
        std::thread::sleep(pause);
    }
    Ok(())
}

/// True when `got` (pen-down runs of decoded samples) matches `want` (the strokes signed)
/// point for point within `tolerance` logical units; the mismatch is described otherwise.
pub fn compare_strokes(
    got: &[&[rekam_hal::PenSample]],
    want: &[Vec<(u16, u16)>],
    tolerance: u16,
) -> Result<(), String> {
    if got.len() != want.len() {
        return Err(format!("{} strokes, expected {}", got.len(), want.len()));
    }
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        if g.len() != w.len() {
            return Err(format!(
                "stroke {i}: {} points, expected {}",
                g.len(),
                w.len()
            ));
        }
        for (j, (s, (x, y))) in g.iter().zip(w).enumerate() {
            if s.x.abs_diff(*x) > tolerance || s.y.abs_diff(*y) > tolerance {
                return Err(format!(
                    "stroke {i} point {j}: ({}, {}), expected ({x}, {y})",
                    s.x, s.y
                ));
            }
        }
    }
    Ok(())
}
