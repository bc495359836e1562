//! [`SerialSignaturePad`]: rekam-hal's [`SignaturePad`] over a Topaz pad on a serial line.
//!
//! The pad exists whether or not its line is there: absent, it reports `Disconnected`; a
//! device node this user may not open, `PermissionDenied`. The line is opened on first use
//! and kept open; a hang-up closes it, and the next call reopens it.
//!
//! A capture discards stale input, clears the LCD and keeps the ink shown on it (LCD models),
//! then decodes packets until the signer finishes ([`crate::capture`]: accept button, or the
//! idle time after ink). It reads in slices of [`READ_SLICE`], so cancellation is seen within
//! that time; the [`Control`] deadline ends it with `Timeout`, the token with `Cancelled`. A
//! silence in the middle of a packet drops the partial packet; a line that hangs up in the
//! middle of a capture is reopened every [`REOPEN_EVERY`] until the deadline, and the capture
//! goes on where it was (the open stroke ends at its last point). When the capture ends, in
//! any way, the LCD is cleared so the next person does not see the signature.

use std::fmt;
use std::time::{Duration, Instant};

use rekam_hal::{
    CaptureSink, Control, Device, DeviceError, DeviceFamily, DeviceId, DeviceInfo, DeviceSelector,
    DeviceState, DeviceStatus, Result, SelfTestCheck, SelfTestProgress, SelfTestReport,
    SignatureCapture, SignatureCaptureRequest, SignaturePad, SignaturePadCapabilities,
};

use crate::capture::{self, Capture, CaptureRules, Finish};
use crate::error::{SerialError, SerialErrorKind};
use crate::topaz::{lcd, DecodeStats, Decoder, PadModel, MAX_PRESSURE};
use crate::transport::{ByteStream, Connector};

/// Longest single read: the granularity of cancellation and of silence detection.
pub const READ_SLICE: Duration = Duration::from_millis(40);
/// How often a hung-up line is reopened during a capture.
pub const REOPEN_EVERY: Duration = Duration::from_millis(200);
/// How long the self-test listens to the line.
const LISTEN: Duration = Duration::from_millis(300);

/// A Topaz signature pad on a serial line, as a station device.
pub struct SerialSignaturePad<C: Connector> {
    info: DeviceInfo,
    model: &'static PadModel,
    rules: CaptureRules,
    connector: C,
    line: Option<C::Stream>,
    stats: DecodeStats,
}

impl<C: Connector> fmt::Debug for SerialSignaturePad<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SerialSignaturePad")
            .field("id", &self.info.id)
            .field("model", &self.model.key)
            .field("open", &self.line.is_some())
            .finish()
    }
}

impl<C: Connector> SerialSignaturePad<C> {
    /// A pad with this id, of `model`, reached through `connector`. Does no I/O.
    pub fn new(
        id: DeviceId,
        selector: DeviceSelector,
        model: &'static PadModel,
        rules: CaptureRules,
        connector: C,
    ) -> Self {
        SerialSignaturePad {
            info: DeviceInfo {
                id,
                family: DeviceFamily::SignaturePad,
                driver: "serial-topaz".into(),
                selector,
                model: format!(
                    "Topaz {} ({}x{} units, {} baud{})",
                    model.name,
                    model.width,
                    model.height,
                    model.baud,
                    if model.lcd { ", LCD" } else { "" }
                ),
                serial: None,
                firmware: None,
                simulated: false,
            },
            model,
            rules,
            connector,
            line: None,
            stats: DecodeStats::default(),
        }
    }

    /// Bytes and packets the decoder threw away over the pad's life (diagnostics).
    pub fn decode_stats(&self) -> DecodeStats {
        self.stats
    }

    fn tag(&self, e: impl Into<DeviceError>) -> DeviceError {
        e.into().with_device(self.info.id.clone())
    }

    fn line(&mut self) -> std::result::Result<&mut C::Stream, SerialError> {
        if self.line.is_none() {
            let line = self.connector.open()?;
            tracing::info!(device = %self.info.id, model = self.model.key, "signature pad line opened");
            self.line = Some(line);
        }
        self.line
            .as_mut()
            .ok_or_else(|| SerialError::new(SerialErrorKind::Other, "line missing"))
    }

    /// Sends LCD bytes; a failure closes the line (the next read will tell why).
    fn send_lcd(&mut self, bytes: &[u8]) {
        if bytes.is_empty() || !self.model.lcd {
            return;
        }
        if let Some(line) = self.line.as_mut() {
            if let Err(e) = line.write_all(bytes) {
                tracing::warn!(device = %self.info.id, error = %e, "LCD command not sent");
                self.line = None;
            }
        }
    }

    fn capture_inner(
        &mut self,
        ctl: &Control,
    ) -> std::result::Result<(Vec<rekam_hal::PenSample>, Finish), SerialError> {
        ctl.check()?;
        self.line()?.discard_input()?;
        let mut cap = Capture::new(*self.model, self.rules);
        let mut decoder = Decoder::new();
        let mut buf = [0u8; 256];
        let outcome = loop {
            let lcd = cap.take_lcd();
            self.send_lcd(&lcd);
            if let Some(finish) = cap.poll(Instant::now()) {
                break Ok(finish);
            }
            if let Err(e) = ctl.check() {
                break Err(SerialError::from(e));
            }
            let wait = READ_SLICE
                .min(ctl.remaining())
                .max(Duration::from_millis(1));
            let read = match self.line.as_mut() {
                Some(line) => line.read(&mut buf, wait),
                None => Err(SerialError::new(
                    SerialErrorKind::Disconnected,
                    "the line closed",
                )),
            };
            match read {
                Ok(0) => decoder.gap(),
                Ok(n) => {
                    let now = Instant::now();
                    for b in &buf[..n] {
                        if let Some(p) = decoder.push(*b) {
                            cap.packet(p, now);
                        }
                    }
                }
                Err(e) if e.kind() == SerialErrorKind::Disconnected => {
                    tracing::warn!(device = %self.info.id, "signature pad line hung up during a capture; reopening");
                    self.line = None;
                    decoder.gap();
                    cap.line_reset(Instant::now());
                    if let Err(e) = self.reopen(ctl) {
                        break Err(e);
                    }
                    // A pad that was power-cycled forgets its ink mode: show ink again. The
                    // samples so far are kept.
                    self.send_lcd(&[lcd::PERSISTENT_INK]);
                }
                Err(e) => break Err(e),
            }
        };
        let stats = decoder.stats();
        self.stats.packets += stats.packets;
        self.stats.skipped_bytes += stats.skipped_bytes;
        self.stats.bad_packets += stats.bad_packets;
        self.stats.cut_packets += stats.cut_packets;
        // Whatever happened, the signature leaves the display.
        self.send_lcd(&[lcd::CLEAR]);
        let finish = outcome?;
        tracing::info!(
            device = %self.info.id,
            finish = ?finish,
            clears = cap.clears(),
            skipped_bytes = stats.skipped_bytes,
            bad_packets = stats.bad_packets,
            cut_packets = stats.cut_packets,
            "signature captured"
        );
        Ok((cap.into_samples(), finish))
    }

    /// Reopens a hung-up line, retrying until the deadline.
    fn reopen(&mut self, ctl: &Control) -> std::result::Result<(), SerialError> {
        loop {
            ctl.sleep(REOPEN_EVERY)?;
            match self.connector.open() {
                Ok(line) => {
                    tracing::info!(device = %self.info.id, "signature pad line reopened");
                    self.line = Some(line);
                    return Ok(());
                }
                Err(e) if e.kind() == SerialErrorKind::Disconnected => continue,
                Err(e) => return Err(e),
            }
        }
    }
}

fn status_of(e: &SerialError) -> DeviceStatus {
    match e.kind() {
        SerialErrorKind::Disconnected => DeviceStatus::with_state(
            DeviceState::Disconnected,
            "the signature pad's serial port is not there",
        ),
        SerialErrorKind::Access => DeviceStatus::with_state(
            DeviceState::PermissionDenied,
            "the serial port refuses this user (udev rule missing)",
        ),
        SerialErrorKind::Busy => {
            DeviceStatus::with_state(DeviceState::Error, "another program holds the serial port")
        }
        _ => DeviceStatus::with_state(DeviceState::Error, e.message().to_owned()),
    }
}

impl<C: Connector> Device for SerialSignaturePad<C> {
    fn info(&self) -> &DeviceInfo {
        &self.info
    }

    fn status(&mut self, ctl: &Control) -> Result<DeviceStatus> {
        ctl.check()?;
        // An open line that hung up shows on its next read: check with a short one.
        if let Some(line) = self.line.as_mut() {
            let mut buf = [0u8; 64];
            if let Err(e) = line.read(&mut buf, Duration::from_millis(1)) {
                if e.kind() == SerialErrorKind::Disconnected {
                    self.line = None;
                }
            }
        }
        Ok(match self.line() {
            Ok(_) => DeviceStatus::ready(),
            Err(e) => status_of(&e),
        })
    }

    fn self_test(
        &mut self,
        ctl: &Control,
        progress: &mut dyn FnMut(SelfTestProgress),
    ) -> Result<SelfTestReport> {
        let mut checks = Vec::new();
        progress(SelfTestProgress {
            step: "serial port opens".into(),
            fraction: 0.0,
        });
        let start = Instant::now();
        let opened = self.line().map(|_| ());
        checks.push(SelfTestCheck {
            name: "serial port opens".into(),
            passed: opened.is_ok(),
            detail: match &opened {
                Ok(()) => format!("{} baud, 8 data bits, odd parity", self.model.baud),
                Err(e) => e.to_string(),
            },
            took: start.elapsed(),
        });
        if opened.is_ok() {
            progress(SelfTestProgress {
                step: "line carries Topaz packets".into(),
                fraction: 0.5,
            });
            let start = Instant::now();
            let mut decoder = Decoder::new();
            let mut buf = [0u8; 256];
            let mut failure = None;
            while start.elapsed() < LISTEN {
                ctl.check()?;
                let read = match self.line.as_mut() {
                    Some(line) => line.read(&mut buf, READ_SLICE),
                    None => break,
                };
                match read {
                    Ok(n) => buf[..n].iter().for_each(|b| {
                        decoder.push(*b);
                    }),
                    Err(e) => {
                        failure = Some(e.to_string());
                        self.line = None;
                        break;
                    }
                }
            }
            let s = decoder.stats();
            let garbage = s.skipped_bytes + 5 * s.bad_packets;
            checks.push(SelfTestCheck {
                name: "line carries Topaz packets".into(),
                passed: failure.is_none() && garbage <= 5 * s.packets.max(1),
                detail: match failure {
                    Some(e) => e,
                    None if s.packets == 0 && garbage == 0 => {
                        "the line is quiet (no pen near the pad)".into()
                    }
                    None => format!(
                        "{} packets, {} bytes of garbage (much garbage: wrong baud rate or model)",
                        s.packets, garbage
                    ),
                },
                took: start.elapsed(),
            });
        }
        progress(SelfTestProgress {
            step: "done".into(),
            fraction: 1.0,
        });
        Ok(SelfTestReport::from_checks(self.info.id.clone(), checks))
    }

    fn recover(&mut self, ctl: &Control) -> Result<()> {
        ctl.check()?;
        if let Some(line) = self.line.as_mut() {
            if line.discard_input().is_err() {
                self.line = None;
            }
        }
        self.send_lcd(&[lcd::CLEAR]);
        Ok(())
    }
}

impl<C: Connector> SignaturePad for SerialSignaturePad<C> {
    fn capabilities(&self) -> SignaturePadCapabilities {
        SignaturePadCapabilities {
            width: self.model.width,
            height: self.model.height,
            // No public source says which Topaz models report pressure: the configuration
            // does (`pressure=on`), and samples carry it only then.
            pressure_levels: if self.rules.pressure {
                MAX_PRESSURE + 1
            } else {
                0
            },
            lcd: self.model.lcd,
        }
    }

    fn capture(
        &mut self,
        _req: &SignatureCaptureRequest,
        ctl: &Control,
        sink: &mut dyn CaptureSink,
    ) -> Result<SignatureCapture> {
        sink.guidance(&[]);
        let (samples, _finish) = self.capture_inner(ctl).map_err(|e| {
            if e.kind() == SerialErrorKind::Disconnected {
                self.line = None;
            }
            self.tag(e)
        })?;
        let image = capture::draw(&samples, self.model);
        let quality = capture::plausibility(&samples, self.model);
        Ok(SignatureCapture {
            samples,
            image,
            quality: Some(quality),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::{strokes, Buttons};
    use crate::mock::{ScriptedConnector, Step};
    use crate::script::{self, SignOptions};
    use crate::topaz::{encode_pen, model};
    use rekam_hal::{ErrorKind, NullSink};

    fn pad(
        scripts: Vec<Vec<Step>>,
        rules: CaptureRules,
    ) -> (
        SerialSignaturePad<ScriptedConnector>,
        crate::mock::MockHandle,
    ) {
        let (c, h) = ScriptedConnector::new(scripts);
        let m = model("siglite-lcd-1x5").unwrap();
        let p = SerialSignaturePad::new(
            DeviceId::new("serial:signature:0").unwrap(),
            DeviceSelector::Serial {
                path: "/dev/ttyUSB0".into(),
            },
            m,
            rules,
            c,
        );
        (p, h)
    }

    fn quick() -> CaptureRules {
        CaptureRules {
            idle_after_ink: Duration::from_millis(150),
            buttons: None,
            pressure: true,
        }
    }

    fn capture(p: &mut SerialSignaturePad<ScriptedConnector>) -> Result<SignatureCapture> {
        let ctl = Control::with_timeout(Duration::from_secs(10));
        p.capture(
            &SignatureCaptureRequest { subject: None },
            &ctl,
            &mut NullSink,
        )
    }

    #[test]
    fn a_signature_with_noise_decodes_to_its_strokes_and_finishes_when_idle() {
        let m = model("siglite-lcd-1x5").unwrap();
        let want = script::test_signature(m);
        let packets = script::packets(
            m,
            &want,
            SignOptions {
                pressure: true,
                accept: None,
            },
        );
        // Noise between packets, a stray sync byte, and the stream in uneven chunks.
        let mut bytes = Vec::new();
        for (i, p) in packets.iter().enumerate() {
            if i % 7 == 3 {
                bytes.extend_from_slice(&[0x11, 0x7F]);
            }
            if i % 31 == 5 {
                bytes.push(0xC0);
            }
            bytes.extend_from_slice(p);
        }
        let steps = bytes.chunks(13).map(|c| Step::Bytes(c.to_vec())).collect();
        let (mut p, h) = pad(vec![steps], quick());
        let cap = capture(&mut p).unwrap();
        script::compare_strokes(&strokes(&cap.samples), &want, 1).unwrap();
        assert!(cap
            .samples
            .iter()
            .filter(|s| s.pen_down)
            .all(|s| s.pressure >= 200));
        assert!(cap.samples.windows(2).all(|w| w[0].t_ms <= w[1].t_ms));
        assert_eq!(cap.quality, Some(100));
        assert_eq!(p.capabilities().pressure_levels, 1024);
        assert!(cap.image.data.iter().any(|px| *px < 128));
        // LCD: cleared and inked at the start, cleared at the end.
        assert_eq!(
            h.written(),
            vec![lcd::CLEAR, lcd::PERSISTENT_INK, lcd::CLEAR]
        );
        assert_eq!(h.discards(), 1);
        let stats = p.decode_stats();
        assert!(
            stats.skipped_bytes > 0 && stats.cut_packets > 0,
            "{stats:?}"
        );
    }

    #[test]
    fn the_accept_button_finishes_at_once() {
        let m = model("siglite-lcd-1x5").unwrap();
        let want = script::test_signature(m);
        let buttons = Buttons::default_for(m);
        let bytes = script::bytes(&script::packets(
            m,
            &want,
            SignOptions {
                pressure: false,
                accept: Some(buttons),
            },
        ));
        let rules = CaptureRules {
            idle_after_ink: Duration::from_secs(600),
            buttons: Some(buttons),
            pressure: false,
        };
        let (mut p, _h) = pad(vec![vec![Step::Bytes(bytes)]], rules);
        let start = Instant::now();
        let cap = capture(&mut p).unwrap();
        assert!(start.elapsed() < Duration::from_secs(5));
        script::compare_strokes(&strokes(&cap.samples), &want, 1).unwrap();
        assert!(cap.samples.iter().all(|s| s.pressure == 0));
        assert_eq!(p.capabilities().pressure_levels, 0);
    }

    #[test]
    fn a_cut_line_mid_packet_then_a_hang_up_and_a_reconnect_keep_the_signature() {
        let m = model("siglite-lcd-1x5").unwrap();
        let want = script::test_signature(m);
        let opts = SignOptions {
            pressure: false,
            accept: None,
        };
        let first = script::bytes(&script::packets(m, &want[..1], opts));
        let rest = script::bytes(&script::packets(m, &want[1..], opts));
        // Half a packet, silence (the cut), then the hang-up. The new line starts with the
        // tail of a packet whose head was lost.
        let (ax, ay) = m.to_raw(5, 5);
        let cut = encode_pen(ax, ay, true, true);
        let mut second = cut[3..].to_vec();
        second.extend_from_slice(&rest);
        let scripts = vec![
            vec![
                Step::Bytes(first),
                Step::Bytes(cut[..3].to_vec()),
                Step::Silence(Duration::from_millis(100)),
                Step::Hangup,
            ],
            vec![Step::Bytes(second)],
        ];
        let rules = CaptureRules {
            idle_after_ink: Duration::from_millis(1500),
            ..CaptureRules::default()
        };
        let (mut p, h) = pad(scripts, rules);
        let cap = capture(&mut p).unwrap();
        script::compare_strokes(&strokes(&cap.samples), &want, 1).unwrap();
        assert_eq!(h.opens(), 2);
        assert!(p.decode_stats().cut_packets >= 1);
    }

    #[test]
    fn deadline_and_cancel_are_told_apart_and_the_lcd_is_cleared() {
        let (mut p, h) = pad(vec![vec![], vec![]], quick());
        let ctl = Control::with_timeout(Duration::from_millis(120));
        let e = p
            .capture(
                &SignatureCaptureRequest { subject: None },
                &ctl,
                &mut NullSink,
            )
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Timeout);
        assert_eq!(h.written().last(), Some(&lcd::CLEAR));

        let ctl = Control::with_timeout(Duration::from_secs(30));
        let token = ctl.token().clone();
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(60));
            token.cancel();
        });
        let start = Instant::now();
        let e = p
            .capture(
                &SignatureCaptureRequest { subject: None },
                &ctl,
                &mut NullSink,
            )
            .unwrap_err();
        t.join().unwrap();
        assert_eq!(e.kind(), ErrorKind::Cancelled);
        assert!(start.elapsed() < Duration::from_secs(5));
        assert!(p
            .recover(&Control::with_timeout(Duration::from_secs(1)))
            .is_ok());
    }

    #[test]
    fn an_absent_pad_is_disconnected_and_a_hang_up_during_capture_times_out() {
        let (mut p, _h) = pad(vec![], quick());
        let ctl = Control::with_timeout(Duration::from_secs(1));
        assert_eq!(p.status(&ctl).unwrap().state, DeviceState::Disconnected);
        let e = capture(&mut p).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Disconnected);

        // The line hangs up and never comes back: the capture ends at its deadline.
        let (mut p, _h) = pad(vec![vec![Step::Hangup]], quick());
        let ctl = Control::with_timeout(Duration::from_millis(500));
        let e = p
            .capture(
                &SignatureCaptureRequest { subject: None },
                &ctl,
                &mut NullSink,
            )
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Timeout);
    }

    #[test]
    fn the_self_test_tells_a_quiet_line_from_a_garbled_one() {
        let garbage = vec![Step::Bytes((0..200u8).map(|b| b & 0x7F).collect())];
        let (mut p, _h) = pad(vec![vec![], garbage], quick());
        let ctl = Control::with_timeout(Duration::from_secs(5));
        let r = p.self_test(&ctl, &mut |_| {}).unwrap();
        assert!(r.passed, "{r:?}");
        p.line = None;
        let r = p.self_test(&ctl, &mut |_| {}).unwrap();
        assert!(!r.passed, "{r:?}");
        assert!(r.checks[1].detail.contains("garbage"), "{r:?}");
    }
}
