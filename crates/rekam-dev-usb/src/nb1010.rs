//! The NEXT Biometrics NB-1010-U protocol: a press-type (area) thermal sensor, 256 x 180
//! pixels, one bulk OUT and one bulk IN endpoint on interface 0.
//!
//! What is known of the protocol comes from USB captures of the vendor's software, as
//! documented publicly in libfprint's `nb1010` driver (we read it for the facts; this code is
//! our own):
//! - Every message starts with `0x80`, a command or reply code, a sequence byte (the device
//!   echoes the host's and does not check it), a zero byte, and the message's total length as a
//!   little-endian u32. Command payloads follow.
//! - `0x38` asks whether a finger is on the sensor; the 16-byte reply (`0x37`) carries a
//!   level at byte 12: above `0x30` means a finger.
//! - `0x0d` (with a 4-byte payload) prepares a capture and `0x12` (with a 24-byte payload)
//!   starts it; each is acknowledged by a 16-byte `0x20` reply. The payload words' meanings
//!   are unknown: they are sent as the vendor's software sends them.
//! - The image then arrives as 90 bulk messages of 540 bytes (`0x21`): a 25-byte header, two
//!   rows of 256 grey pixels, 3 bytes of padding. Header bytes 12..16 are 1 while more
//!   messages follow and 0 on the last; bytes 16..20 are the index of the message's second row;
//!   bytes 20..24 the row width. The driver checks all three, so a lost or reordered message is
//!   a protocol error rather than a shifted image.
//!
//! The grey values are the sensor's, unprocessed: ridges are dark. No flip, no scaling.

use std::time::Duration;

use rekam_hal::Control;

use crate::error::{UsbError, UsbErrorKind};
use crate::mock::Step;
use crate::transport::{bounded, UsbTransport};

/// USB vendor id (NEXT Biometrics).
pub const VID: u16 = 0x298d;
/// USB product id (NB-1010-U).
pub const PID: u16 = 0x1010;
/// Image width in pixels.
pub const WIDTH: u32 = 256;
/// Image height in pixels.
pub const HEIGHT: u32 = 180;
/// Resolution in pixels per inch: 385, a 66 µm pixel pitch (256 x 180 pixels over about
/// 16.9 x 11.9 mm). NOT CONFIRMED from a public source:
/// - The image size is: libfprint's `drivers/nb1010.h` (freedesktop/libfprint) has
///   `FRAME_WIDTH 256`, `FRAME_HEIGHT 180` and 90 messages of 2 lines, the recording's
///   `capture.png` is 256 x 180, and NEXT's CEO spoke of "45,000 pixels" on the sensor
///   (Tom's Hardware, September 2015; 256 x 180 = 46,080).
/// - The resolution is not: libfprint gives none for this sensor (its image devices state
///   only the size), and NEXT's datasheet is not publicly reachable from here. 385 ppi is
///   the figure recalled from that datasheet, kept as the best available.
///
/// The station needs 500 ppi, so [`crate::resample`] scales the image by 500 / `PPI`; were
/// the true figure different, the delivered image would be off scale by that ratio (rekam-match
/// tolerates 2 %). Measure it on a real unit (a ruler's millimetre marks pressed on the
/// platen) before deployment.
pub const PPI: u16 = 385;
/// The interface the sensor's endpoints live on.
pub const INTERFACE: u8 = 0;

const EP_OUT: u8 = 0x02;
const EP_IN: u8 = 0x83;

const MAGIC: u8 = 0x80;
const CMD_FINGER: u8 = 0x38;
const CMD_PREPARE: u8 = 0x0d;
const CMD_CAPTURE: u8 = 0x12;
const REPLY_FINGER: u8 = 0x37;
const REPLY_ACK: u8 = 0x20;
const REPLY_IMAGE: u8 = 0x21;

/// Sequence bytes as the vendor's software numbers these commands (the device only echoes
/// them; keeping them makes the conversation byte-identical to the recorded one).
const SEQ_FINGER: u8 = 0x01;
const SEQ_PREPARE: u8 = 0x03;
const SEQ_CAPTURE: u8 = 0x04;

const PREPARE_PAYLOAD: [u8; 4] = [0x00, 0x04, 0x00, 0x00];
/// Capture payload: words 2 and 0x20 around zeros, as the vendor sends it.
const CAPTURE_PAYLOAD: [u8; 24] = {
    let mut p = [0u8; 24];
    p[0] = 0x02;
    p[20] = 0x20;
    p
};

const REPLY_LEN: usize = 16;
const FINGER_LEVEL_AT: usize = 12;
/// Finger levels above this mean a finger is on the sensor.
pub const FINGER_THRESHOLD: u8 = 0x30;

const PARTIAL_LEN: usize = 540;
const PARTIAL_HEADER: usize = 25;
const ROWS_PER_PARTIAL: usize = 2;
const ROW: usize = WIDTH as usize;
/// Image messages per capture.
pub const PARTIALS: usize = HEIGHT as usize / ROWS_PER_PARTIAL;

/// Longest wait for one transfer.
const TRANSFER_TIMEOUT: Duration = Duration::from_millis(500);
/// Wait for stray image messages when draining.
const DRAIN_TIMEOUT: Duration = Duration::from_millis(100);
/// Pause between two finger checks.
pub const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// A command message: header (magic, code, sequence, 0, total length) and payload.
fn command(code: u8, seq: u8, payload: &[u8]) -> Vec<u8> {
    let len = 8 + payload.len();
    let mut msg = Vec::with_capacity(len);
    msg.extend_from_slice(&[MAGIC, code, seq, 0]);
    msg.extend_from_slice(&u32::try_from(len).unwrap_or(u32::MAX).to_le_bytes());
    msg.extend_from_slice(payload);
    msg
}

fn le32(b: &[u8], at: usize) -> Option<u32> {
    let bytes: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
    Some(u32::from_le_bytes(bytes))
}

/// Checks a 16-byte reply's header: magic, code, echoed sequence, length.
fn check_reply(reply: &[u8], code: u8, seq: u8, what: &str) -> Result<(), UsbError> {
    if reply.len() != REPLY_LEN {
        return Err(UsbError::protocol(format!(
            "{what}: a {}-byte reply, expected {REPLY_LEN}",
            reply.len()
        )));
    }
    if reply[0] != MAGIC || reply[1] != code || reply[2] != seq {
        return Err(UsbError::protocol(format!(
            "{what}: reply header {:02x} {:02x} {:02x}, expected {MAGIC:02x} {code:02x} {seq:02x}",
            reply[0], reply[1], reply[2]
        )));
    }
    if le32(reply, 4) != Some(REPLY_LEN as u32) {
        return Err(UsbError::protocol(format!(
            "{what}: reply length field does not say {REPLY_LEN}"
        )));
    }
    Ok(())
}

/// Puts the image together from the sensor's 540-byte messages, checking each header.
#[derive(Debug, Default)]
pub struct FrameAssembler {
    pixels: Vec<u8>,
    received: usize,
}

impl FrameAssembler {
    /// An empty frame.
    pub fn new() -> Self {
        FrameAssembler {
            pixels: Vec::with_capacity(ROW * HEIGHT as usize),
            received: 0,
        }
    }

    /// Messages taken so far.
    pub fn received(&self) -> usize {
        self.received
    }

    /// Takes the next message. Returns true once the frame is complete.
    pub fn push(&mut self, msg: &[u8]) -> Result<bool, UsbError> {
        let k = self.received;
        if k >= PARTIALS {
            return Err(UsbError::protocol("image message after the last one"));
        }
        if msg.len() != PARTIAL_LEN {
            return Err(UsbError::protocol(format!(
                "image message {k}: {} bytes, expected {PARTIAL_LEN}",
                msg.len()
            )));
        }
        if msg[0] != MAGIC || msg[1] != REPLY_IMAGE || le32(msg, 4) != Some(PARTIAL_LEN as u32) {
            return Err(UsbError::protocol(format!(
                "image message {k}: not an image message (header {:02x} {:02x})",
                msg[0], msg[1]
            )));
        }
        let last = k + 1 == PARTIALS;
        let more = le32(msg, 12);
        let row = le32(msg, 16);
        let width = le32(msg, 20);
        let expected_row = (k * ROWS_PER_PARTIAL + 1) as u32;
        if more != Some(u32::from(!last)) {
            return Err(UsbError::protocol(format!(
                "image message {k}: its more-follows flag disagrees with the message count"
            )));
        }
        if row != Some(expected_row) {
            return Err(UsbError::protocol(format!(
                "image message {k}: rows out of order (row {row:?}, expected {expected_row})"
            )));
        }
        if width != Some(WIDTH) {
            return Err(UsbError::protocol(format!(
                "image message {k}: row width {width:?}, expected {WIDTH}"
            )));
        }
        self.pixels
            .extend_from_slice(&msg[PARTIAL_HEADER..PARTIAL_HEADER + ROWS_PER_PARTIAL * ROW]);
        self.received += 1;
        Ok(last)
    }

    /// The complete image, row-major 8-bit grey, 256 x 180.
    pub fn finish(self) -> Result<Vec<u8>, UsbError> {
        if self.received != PARTIALS {
            return Err(UsbError::protocol(format!(
                "image incomplete: {} of {PARTIALS} messages",
                self.received
            )));
        }
        Ok(self.pixels)
    }
}

/// One NB-1010-U over a transport.
#[derive(Debug)]
pub struct Nb1010<T> {
    usb: T,
}

impl<T: UsbTransport> Nb1010<T> {
    /// The protocol over an opened, claimed interface.
    pub fn new(usb: T) -> Self {
        Nb1010 { usb }
    }

    /// Gives the transport back.
    pub fn into_inner(self) -> T {
        self.usb
    }

    fn send(&mut self, msg: &[u8], ctl: &Control, what: &str) -> Result<(), UsbError> {
        ctl.check()?;
        let timeout = bounded(TRANSFER_TIMEOUT, ctl.remaining())?;
        let n = self.usb.write_bulk(EP_OUT, msg, timeout)?;
        if n != msg.len() {
            return Err(UsbError::new(
                UsbErrorKind::Io,
                format!("{what}: wrote {n} of {} bytes", msg.len()),
            ));
        }
        Ok(())
    }

    fn receive(&mut self, buf: &mut [u8], ctl: &Control, what: &str) -> Result<(), UsbError> {
        ctl.check()?;
        let timeout = bounded(TRANSFER_TIMEOUT, ctl.remaining())?;
        let n = self.usb.read_bulk(EP_IN, buf, timeout)?;
        if n != buf.len() {
            return Err(UsbError::protocol(format!(
                "{what}: a short reply ({n} of {} bytes)",
                buf.len()
            )));
        }
        Ok(())
    }

    /// Asks the sensor for its finger level (above [`FINGER_THRESHOLD`]: a finger is on it).
    pub fn finger_level(&mut self, ctl: &Control) -> Result<u8, UsbError> {
        self.send(&command(CMD_FINGER, SEQ_FINGER, &[]), ctl, "finger check")?;
        let mut reply = [0u8; REPLY_LEN];
        self.receive(&mut reply, ctl, "finger check")?;
        check_reply(&reply, REPLY_FINGER, SEQ_FINGER, "finger check")?;
        Ok(reply[FINGER_LEVEL_AT])
    }

    /// Polls until a finger is on the sensor (`on`) or off it (`!on`); returns the last level.
    /// Ends with `Cancelled` or `Timeout` from `ctl`.
    pub fn wait_finger(&mut self, on: bool, ctl: &Control) -> Result<u8, UsbError> {
        loop {
            let level = self.finger_level(ctl)?;
            if (level > FINGER_THRESHOLD) == on {
                return Ok(level);
            }
            ctl.sleep(POLL_INTERVAL)?;
        }
    }

    fn command_acked(
        &mut self,
        code: u8,
        seq: u8,
        payload: &[u8],
        ctl: &Control,
        what: &str,
    ) -> Result<(), UsbError> {
        self.send(&command(code, seq, payload), ctl, what)?;
        let mut reply = [0u8; REPLY_LEN];
        self.receive(&mut reply, ctl, what)?;
        check_reply(&reply, REPLY_ACK, seq, what)
    }

    /// Captures one image (the finger should be on the sensor): prepare, start, and read the
    /// 90 image messages. Returns 256 x 180 grey pixels, row-major.
    pub fn read_image(&mut self, ctl: &Control) -> Result<Vec<u8>, UsbError> {
        self.command_acked(
            CMD_PREPARE,
            SEQ_PREPARE,
            &PREPARE_PAYLOAD,
            ctl,
            "capture preparation",
        )?;
        self.command_acked(
            CMD_CAPTURE,
            SEQ_CAPTURE,
            &CAPTURE_PAYLOAD,
            ctl,
            "capture start",
        )?;
        let mut frame = FrameAssembler::new();
        let mut msg = vec![0u8; PARTIAL_LEN];
        loop {
            self.receive(&mut msg, ctl, "image message")?;
            if frame.push(&msg)? {
                return frame.finish();
            }
        }
    }

    /// A technician's probe: sends `command` as is and reads a reply of `reply_len` bytes
    /// (none when 0). Returns the reply, however short.
    pub fn raw(
        &mut self,
        command: &[u8],
        reply_len: usize,
        ctl: &Control,
    ) -> Result<Vec<u8>, UsbError> {
        self.send(command, ctl, "raw command")?;
        let mut reply = vec![0u8; reply_len];
        if reply_len > 0 {
            ctl.check()?;
            let timeout = bounded(TRANSFER_TIMEOUT, ctl.remaining())?;
            let n = self.usb.read_bulk(EP_IN, &mut reply, timeout)?;
            reply.truncate(n);
        }
        Ok(reply)
    }

    /// Reads away image messages left by a capture that stopped half-way, until the sensor
    /// has nothing more to send (a read times out).
    pub fn drain(&mut self, ctl: &Control) -> Result<usize, UsbError> {
        let mut msg = vec![0u8; PARTIAL_LEN];
        for drained in 0..=PARTIALS {
            ctl.check()?;
            let timeout = bounded(DRAIN_TIMEOUT, ctl.remaining())?;
            match self.usb.read_bulk(EP_IN, &mut msg, timeout) {
                Ok(_) => {}
                Err(e) if e.kind() == UsbErrorKind::Timeout => return Ok(drained),
                Err(e) => return Err(e),
            }
        }
        Err(UsbError::protocol(
            "the sensor keeps sending after a capture",
        ))
    }
}

/// The conversation of one capture as the sensor holds it, for tests and simulations: one
/// finger check per entry of `levels` (the capture follows the first level above the
/// threshold), then the image `pixels` (256 x 180). `None` when `pixels` has the wrong size.
pub fn scripted_capture(levels: &[u8], pixels: &[u8]) -> Option<Vec<Step>> {
    if pixels.len() != ROW * HEIGHT as usize {
        return None;
    }
    let mut steps = finger_checks(levels);
    for (code, seq, payload) in [
        (CMD_PREPARE, SEQ_PREPARE, &PREPARE_PAYLOAD[..]),
        (CMD_CAPTURE, SEQ_CAPTURE, &CAPTURE_PAYLOAD[..]),
    ] {
        steps.push(Step::BulkOut {
            endpoint: EP_OUT,
            data: command(code, seq, payload),
            result: Ok(()),
        });
        steps.push(Step::BulkIn {
            endpoint: EP_IN,
            len: REPLY_LEN,
            reply: Ok(reply(REPLY_ACK, seq, 0)),
        });
    }
    for (k, rows) in pixels.chunks(ROWS_PER_PARTIAL * ROW).enumerate() {
        steps.push(Step::BulkIn {
            endpoint: EP_IN,
            len: PARTIAL_LEN,
            reply: Ok(image_message(k, rows)),
        });
    }
    Some(steps)
}

/// Finger checks answering `levels` in turn.
pub fn finger_checks(levels: &[u8]) -> Vec<Step> {
    let mut steps = Vec::new();
    for &level in levels {
        steps.push(Step::BulkOut {
            endpoint: EP_OUT,
            data: command(CMD_FINGER, SEQ_FINGER, &[]),
            result: Ok(()),
        });
        steps.push(Step::BulkIn {
            endpoint: EP_IN,
            len: REPLY_LEN,
            reply: Ok(reply(REPLY_FINGER, SEQ_FINGER, level)),
        });
    }
    steps
}

fn reply(code: u8, seq: u8, level: u8) -> Vec<u8> {
    let mut r = vec![0u8; REPLY_LEN];
    r[..4].copy_from_slice(&[MAGIC, code, seq, 0]);
    r[4..8].copy_from_slice(&(REPLY_LEN as u32).to_le_bytes());
    r[FINGER_LEVEL_AT] = level;
    r
}

fn image_message(k: usize, rows: &[u8]) -> Vec<u8> {
    let mut m = vec![0u8; PARTIAL_LEN];
    m[..4].copy_from_slice(&[MAGIC, REPLY_IMAGE, 0, 0]);
    m[4..8].copy_from_slice(&(PARTIAL_LEN as u32).to_le_bytes());
    m[12] = u8::from(k + 1 < PARTIALS);
    m[16..20].copy_from_slice(&((k * ROWS_PER_PARTIAL + 1) as u32).to_le_bytes());
    m[20..24].copy_from_slice(&WIDTH.to_le_bytes());
    m[24] = 1;
    m[PARTIAL_HEADER..PARTIAL_HEADER + rows.len()].copy_from_slice(rows);
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mock::ScriptedUsb;

    fn ctl() -> Control {
        Control::with_timeout(Duration::from_secs(5))
    }

    fn gradient() -> Vec<u8> {
        (0..ROW * HEIGHT as usize)
            .map(|i| ((i % ROW) ^ (i / ROW)) as u8)
            .collect()
    }

    #[test]
    fn commands_match_the_vendor_bytes() {
        // As seen on the wire in the public recording of the vendor's software.
        assert_eq!(
            command(CMD_FINGER, SEQ_FINGER, &[]),
            [0x80, 0x38, 0x01, 0x00, 0x08, 0, 0, 0]
        );
        assert_eq!(
            command(CMD_PREPARE, SEQ_PREPARE, &PREPARE_PAYLOAD),
            [0x80, 0x0d, 0x03, 0x00, 0x0c, 0, 0, 0, 0, 0x04, 0, 0]
        );
        let c = command(CMD_CAPTURE, SEQ_CAPTURE, &CAPTURE_PAYLOAD);
        assert_eq!(c.len(), 32);
        assert_eq!(&c[..9], &[0x80, 0x12, 0x04, 0x00, 0x20, 0, 0, 0, 0x02]);
        assert_eq!(c[28], 0x20);
        assert_eq!(c.iter().filter(|&&b| b != 0).count(), 6);
    }

    #[test]
    fn waits_for_the_finger_then_assembles_the_image() {
        let (usb, h) = ScriptedUsb::new();
        let image = gradient();
        h.push(scripted_capture(&[0x05, 0x2f, 0x30, 0xf7], &image).unwrap());
        let mut dev = Nb1010::new(usb);
        let level = dev.wait_finger(true, &ctl()).unwrap();
        assert_eq!(level, 0xf7, "0x30 itself is not a finger");
        let got = dev.read_image(&ctl()).unwrap();
        assert_eq!(got, image);
        h.done().unwrap();
    }

    #[test]
    fn waits_for_the_finger_to_lift() {
        let (usb, h) = ScriptedUsb::new();
        h.push(finger_checks(&[0xf0, 0xc0, 0x31, 0x10]));
        let mut dev = Nb1010::new(usb);
        assert_eq!(dev.wait_finger(false, &ctl()).unwrap(), 0x10);
        h.done().unwrap();
    }

    #[test]
    fn a_lost_or_reordered_message_is_a_protocol_error() {
        let image = gradient();
        let mut steps = scripted_capture(&[0xf7], &image).unwrap();
        // Drop image message 10: message 11 arrives where 10 is due.
        steps.remove(2 + 4 + 10);
        steps.push(Step::BulkIn {
            endpoint: EP_IN,
            len: PARTIAL_LEN,
            reply: Ok(image_message(89, &image[..512])),
        });
        let (usb, h) = ScriptedUsb::new();
        h.push(steps);
        let mut dev = Nb1010::new(usb);
        dev.wait_finger(true, &ctl()).unwrap();
        let e = dev.read_image(&ctl()).unwrap_err();
        assert_eq!(e.kind(), UsbErrorKind::Protocol);
        assert!(e.message().contains("out of order"), "{e}");
    }

    #[test]
    fn the_last_message_must_say_it_is_last() {
        let mut frame = FrameAssembler::new();
        let image = gradient();
        for k in 0..PARTIALS - 1 {
            assert!(!frame
                .push(&image_message(k, &image[k * 512..(k + 1) * 512]))
                .unwrap());
        }
        let mut last = image_message(PARTIALS - 1, &image[..512]);
        last[12] = 1;
        assert_eq!(
            frame.push(&last).unwrap_err().kind(),
            UsbErrorKind::Protocol
        );
        assert_eq!(frame.received(), PARTIALS - 1);
        assert!(frame.finish().is_err());
    }

    #[test]
    fn a_wrong_reply_or_a_short_read_is_a_protocol_error() {
        let (usb, h) = ScriptedUsb::new();
        let mut bad_seq = reply(REPLY_FINGER, 0x02, 0xf7);
        bad_seq[12] = 0xf7;
        h.push([
            Step::BulkOut {
                endpoint: EP_OUT,
                data: command(CMD_FINGER, SEQ_FINGER, &[]),
                result: Ok(()),
            },
            Step::BulkIn {
                endpoint: EP_IN,
                len: REPLY_LEN,
                reply: Ok(bad_seq),
            },
            Step::BulkOut {
                endpoint: EP_OUT,
                data: command(CMD_FINGER, SEQ_FINGER, &[]),
                result: Ok(()),
            },
            Step::BulkIn {
                endpoint: EP_IN,
                len: REPLY_LEN,
                reply: Ok(vec![0x80, 0x37, 0x01]),
            },
        ]);
        let mut dev = Nb1010::new(usb);
        assert_eq!(
            dev.finger_level(&ctl()).unwrap_err().kind(),
            UsbErrorKind::Protocol
        );
        let e = dev.finger_level(&ctl()).unwrap_err();
        assert_eq!(e.kind(), UsbErrorKind::Protocol);
        assert!(e.message().contains("short"), "{e}");
        h.done().unwrap();
    }

    #[test]
    fn cancellation_and_deadline_end_the_wait() {
        let (usb, h) = ScriptedUsb::new();
        h.push(finger_checks(&[0x00; 400]));
        let mut dev = Nb1010::new(usb);
        let c = ctl();
        let token = c.token().clone();
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(120));
            token.cancel();
        });
        assert_eq!(
            dev.wait_finger(true, &c).unwrap_err().kind(),
            UsbErrorKind::Cancelled
        );
        t.join().unwrap();
        let short = Control::with_timeout(Duration::from_millis(80));
        assert_eq!(
            dev.wait_finger(true, &short).unwrap_err().kind(),
            UsbErrorKind::Timeout
        );
        assert!(h.strays().is_empty());
    }

    #[test]
    fn a_transfer_off_the_script_is_an_io_error() {
        let (usb, h) = ScriptedUsb::new();
        // The device expects a capture; the host asks for the finger level.
        h.push(scripted_capture(&[], &gradient()).unwrap());
        let mut dev = Nb1010::new(usb);
        assert_eq!(
            dev.finger_level(&ctl()).unwrap_err().kind(),
            UsbErrorKind::Io
        );
        assert_eq!(h.strays().len(), 1);
    }
}
