//! # rekam-dev-serial: serial signature pads
//!
//! A real driver for [`rekam_hal::SignaturePad`]: Topaz serial tablets (SigLite, SignatureGem,
//! ClipGem, SigGem; on Linux their BSB models appear as `/dev/ttyUSB*` through an FTDI
//! bridge), reached with the `serialport` crate. The protocol's public facts and their
//! sources are in [`topaz`].
//!
//! Layers, each tested on its own:
//! - [`topaz`]: packets, the resynchronising [`topaz::Decoder`], the pad-side encoder, LCD
//!   command bytes, the model table. Fuzzed with proptest: arbitrary bytes never panic.
//! - [`capture`]: one capture as a pure state machine over decoded packets and time: samples,
//!   strokes, accept and clear buttons, the idle rule, the drawn image.
//! - [`transport`]: the byte-stream seam ([`transport::ByteStream`], [`transport::Connector`])
//!   and its serialport implementation; [`mock`] scripts it (noise, silence, hang-ups).
//! - [`pad`]: the station device; [`script`]: a scripted pad for tests (unit, pty, end to end).
//!
//! The selector is `serial:PATH`, with options after `?` (see [`PadOptions`]).
#![forbid(unsafe_code)]

pub mod capture;
pub mod error;
pub mod mock;
pub mod pad;
pub mod script;
pub mod topaz;
pub mod transport;

use std::str::FromStr;
use std::time::Duration;

pub use error::{SerialError, SerialErrorKind};
pub use pad::SerialSignaturePad;

use rekam_hal::{AnyDevice, DeviceId, DeviceSelector};

use capture::{Buttons, CaptureRules};
use topaz::PadModel;
use transport::SerialConnector;

/// What a `serial:` selector says: the port's path and the pad's options.
///
/// `serial:PATH[?model=KEY][&baud=N][&idle_ms=N][&buttons=on|off][&pressure=on|off]`:
/// - `model`: a key of [`topaz::MODELS`] (default [`topaz::DEFAULT_MODEL`]);
/// - `baud`: overrides the model's line speed;
/// - `idle_ms`: the capture ends when the pen has not touched the pad this long after some
///   ink (default 3000; 200 to 60000);
/// - `buttons`: accept and clear touch regions at the bottom corners (default off);
/// - `pressure`: the pad reports pressure, 1024 levels (default off: samples carry 0).
///
/// ```
/// use rekam_dev_serial::PadOptions;
/// let o: PadOptions = "/dev/ttyUSB0".parse().unwrap();
/// assert_eq!(o.path, "/dev/ttyUSB0");
/// assert_eq!(o.model.key, "siglite-lcd-1x5");
/// assert_eq!(o.baud, 19200);
/// assert!(o.rules.buttons.is_none());
/// assert!(!o.rules.pressure);
///
/// let o: PadOptions =
///     "/dev/rekam-signature?model=siglite-lcd-4x5&idle_ms=1500&buttons=on&pressure=on"
///         .parse()
///         .unwrap();
/// assert!(o.rules.pressure);
/// assert_eq!((o.model.key, o.baud), ("siglite-lcd-4x5", 38400));
/// assert_eq!(o.rules.idle_after_ink.as_millis(), 1500);
/// assert!(o.rules.buttons.is_some());
///
/// assert!("/dev/ttyS0?model=wacom".parse::<PadOptions>().is_err());
/// assert!("/dev/ttyS0?colour=red".parse::<PadOptions>().is_err());
/// assert!("/dev/ttyS0?idle_ms=5".parse::<PadOptions>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PadOptions {
    /// The serial port's path.
    pub path: String,
    /// The pad model.
    pub model: &'static PadModel,
    /// Line speed.
    pub baud: u32,
    /// When a capture ends.
    pub rules: CaptureRules,
}

impl FromStr for PadOptions {
    type Err = SerialError;

    fn from_str(s: &str) -> Result<Self, SerialError> {
        let bad = |m: String| SerialError::new(SerialErrorKind::InvalidInput, m);
        let (path, query) = s.split_once('?').unwrap_or((s, ""));
        if path.is_empty() {
            return Err(bad("serial: needs a port path".into()));
        }
        let mut model = topaz::model(topaz::DEFAULT_MODEL)
            .ok_or_else(|| bad("the default pad model is missing".into()))?;
        let mut baud = None;
        let mut rules = CaptureRules::default();
        let mut buttons = false;
        let on_off = |key: &str, v: &str| match v {
            "on" | "1" | "true" => Ok(true),
            "off" | "0" | "false" => Ok(false),
            other => Err(bad(format!("{key}={other:?}: on or off"))),
        };
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair
                .split_once('=')
                .ok_or_else(|| bad(format!("option {pair:?} is not KEY=VALUE")))?;
            let number = |v: &str| {
                v.parse::<u32>()
                    .map_err(|_| bad(format!("{key}={v:?} is not a number")))
            };
            match key {
                "model" => {
                    model = topaz::model(value).ok_or_else(|| {
                        bad(format!(
                            "unknown pad model {value:?}; supported: {}",
                            topaz::model_keys()
                        ))
                    })?;
                }
                "baud" => baud = Some(number(value)?),
                "idle_ms" => {
                    let ms = number(value)?;
                    if !(200..=60_000).contains(&ms) {
                        return Err(bad("idle_ms is between 200 and 60000".into()));
                    }
                    rules.idle_after_ink = Duration::from_millis(u64::from(ms));
                }
                "buttons" => buttons = on_off(key, value)?,
                "pressure" => rules.pressure = on_off(key, value)?,
                other => {
                    return Err(bad(format!(
                        "unknown option {other:?} (model, baud, idle_ms, buttons, pressure)"
                    )))
                }
            }
        }
        rules.buttons = buttons.then(|| Buttons::default_for(model));
        Ok(PadOptions {
            path: path.to_owned(),
            model,
            baud: baud.unwrap_or(model.baud),
            rules,
        })
    }
}

/// Opens the driver for a `serial:` selector as device `id`. Does no I/O: the port is opened
/// on first use, so a pad that is not plugged in yet reports `Disconnected` until it is.
pub fn open(id: DeviceId, selector: &DeviceSelector) -> Result<AnyDevice, SerialError> {
    let DeviceSelector::Serial { path } = selector else {
        return Err(SerialError::new(
            SerialErrorKind::InvalidInput,
            format!("{selector} is not a serial: selector"),
        ));
    };
    let opts: PadOptions = path.parse()?;
    let connector = SerialConnector::new(opts.path.clone(), opts.baud);
    Ok(AnyDevice::Signature(Box::new(SerialSignaturePad::new(
        id,
        selector.clone(),
        opts.model,
        opts.rules,
        connector,
    ))))
}
