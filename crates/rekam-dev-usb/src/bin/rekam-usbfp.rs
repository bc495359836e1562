//! `rekam-usbfp`: the technician's probe for USB fingerprint sensors, and the program the
//! umockdev replay test runs (cargo must not run under umockdev's preload, so the test runs
//! this binary instead).
//!
//! - `rekam-usbfp list`: supported sensors on the bus and whether this user may open them.
//! - `rekam-usbfp capture OUT.png [--count N]`: waits for a finger and saves the image, as the
//!   sensor sends it (native resolution; the station's driver resamples it to 500 ppi).
//! - `rekam-usbfp send HEX [--read N]`: sends one raw command and prints the reply.
//!
//! Failures print `error (KIND): MESSAGE` on stderr, KIND being the driver's error kind
//! (`io`, `disconnected`, `access`, `timeout`, ...), and exit with status 1; bad arguments exit 64.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use rekam_dev_usb::bus::{self, Access, Connector, RusbConnector};
use rekam_dev_usb::nb1010::{self, Nb1010};
use rekam_dev_usb::{table, UsbError, UsbErrorKind};
use rekam_hal::{Control, DeviceSelector};

#[derive(Debug, Parser)]
#[command(
    name = "rekam-usbfp",
    about = "Probe USB fingerprint sensors supported by Rekam"
)]
struct Cli {
    /// Which sensor: usb:VID:PID[:SERIAL]. Default: the first supported sensor on the bus.
    #[arg(long, global = true)]
    selector: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List supported sensors on the bus.
    List,
    /// Wait for a finger and save the image as an 8-bit grey PNG.
    Capture {
        /// Output file; with --count above 1, captures 2.. go to OUT-2.png, OUT-3.png, ...
        out: PathBuf,
        /// How many captures (each after the finger was lifted).
        #[arg(long, default_value_t = 1)]
        count: u32,
        /// Deadline of each capture, milliseconds.
        #[arg(long, default_value_t = 30_000)]
        timeout_ms: u64,
    },
    /// Send raw commands (hex), one after the other, and print each reply (hex) on its line.
    Send {
        /// The commands' bytes, hex, one argument per command.
        #[arg(required = true)]
        hex: Vec<String>,
        /// Reply length to read (0: read nothing).
        #[arg(long, default_value_t = 16)]
        read: usize,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(msg)) => {
            eprintln!("usage error: {msg}");
            ExitCode::from(64)
        }
        Err(Failure::Usb(e)) => {
            eprintln!("error ({}): {}", e.kind(), e.message());
            ExitCode::from(1)
        }
    }
}

enum Failure {
    Usage(String),
    Usb(UsbError),
}

impl From<UsbError> for Failure {
    fn from(e: UsbError) -> Self {
        Failure::Usb(e)
    }
}

fn context() -> Result<rusb::Context, UsbError> {
    rusb::Context::new().map_err(|e| UsbError::libusb("starting libusb", e))
}

/// The selector's VID:PID and serial, or the first supported sensor on the bus.
fn target(
    ctx: &rusb::Context,
    selector: Option<&str>,
) -> Result<(u16, u16, Option<String>), Failure> {
    if let Some(s) = selector {
        return match s.parse::<DeviceSelector>() {
            Ok(DeviceSelector::Usb { vid, pid, serial }) => Ok((vid, pid, serial)),
            Ok(other) => Err(Failure::Usage(format!("{other} is not a usb: selector"))),
            Err(e) => Err(Failure::Usage(e.to_string())),
        };
    }
    let first = bus::list(ctx)?.into_iter().next().ok_or_else(|| {
        UsbError::new(
            UsbErrorKind::NotFound,
            format!(
                "no supported sensor on the bus (supported: {})",
                table::supported_list()
            ),
        )
    })?;
    Ok((first.model.vid, first.model.pid, None))
}

fn open(
    selector: Option<&str>,
) -> Result<Nb1010<rekam_dev_usb::transport::RusbTransport>, Failure> {
    let ctx = context()?;
    let (vid, pid, serial) = target(&ctx, selector)?;
    if table::model(vid, pid).is_none() {
        return Err(Failure::Usage(format!(
            "{vid:04x}:{pid:04x} is not a supported sensor (supported: {})",
            table::supported_list()
        )));
    }
    let mut connector = RusbConnector::new(ctx, vid, pid, serial, nb1010::INTERFACE);
    Ok(Nb1010::new(connector.open()?))
}

fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::List => {
            let ctx = context()?;
            let found = bus::list(&ctx)?;
            if found.is_empty() {
                println!("no supported sensor on the bus");
            }
            for a in found {
                let access = match a.access {
                    Access::Ok => "ok".to_owned(),
                    Access::Denied => {
                        "permission denied (install udev/60-rekam.rules and join group rekam)"
                            .to_owned()
                    }
                    Access::Failed(kind) => format!("cannot open ({kind})"),
                };
                println!(
                    "usb:{:04x}:{:04x}  {}  {}  {access}",
                    a.model.vid,
                    a.model.pid,
                    a.model.name,
                    a.node()
                );
            }
            Ok(())
        }
        Command::Capture {
            out,
            count,
            timeout_ms,
        } => {
            let mut sensor = open(cli.selector.as_deref())?;
            for n in 1..=count.max(1) {
                let ctl = Control::with_timeout(Duration::from_millis(timeout_ms)).named("capture");
                if n > 1 {
                    eprintln!("lift the finger");
                    sensor.wait_finger(false, &ctl)?;
                }
                eprintln!("place a finger on the sensor");
                sensor.wait_finger(true, &ctl)?;
                let pixels = sensor.read_image(&ctl)?;
                let path = numbered(&out, n);
                write_png(&path, nb1010::WIDTH, nb1010::HEIGHT, &pixels)?;
                println!(
                    "captured {}x{} -> {}",
                    nb1010::WIDTH,
                    nb1010::HEIGHT,
                    path.display()
                );
            }
            Ok(())
        }
        Command::Send { hex, read } => {
            let commands = hex
                .iter()
                .map(|h| {
                    parse_hex(h).ok_or_else(|| Failure::Usage(format!("{h:?} is not hex bytes")))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let mut sensor = open(cli.selector.as_deref())?;
            for bytes in commands {
                let ctl = Control::with_timeout(Duration::from_secs(2));
                let reply = sensor.raw(&bytes, read, &ctl)?;
                println!(
                    "{}",
                    reply.iter().map(|b| format!("{b:02x}")).collect::<String>()
                );
            }
            Ok(())
        }
    }
}

fn numbered(out: &Path, n: u32) -> PathBuf {
    if n == 1 {
        return out.to_path_buf();
    }
    let stem = out
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    out.with_file_name(format!("{stem}-{n}.png"))
}

fn parse_hex(s: &str) -> Option<Vec<u8>> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

fn write_png(path: &Path, width: u32, height: u32, pixels: &[u8]) -> Result<(), UsbError> {
    let io = |e: std::io::Error| {
        UsbError::new(
            UsbErrorKind::Other,
            format!("writing {}: {e}", path.display()),
        )
    };
    let file = std::fs::File::create(path).map_err(io)?;
    let mut enc = png::Encoder::new(std::io::BufWriter::new(file), width, height);
    enc.set_color(png::ColorType::Grayscale);
    enc.set_depth(png::BitDepth::Eight);
    let png_err = |e: png::EncodingError| {
        UsbError::new(
            UsbErrorKind::Other,
            format!("writing {}: {e}", path.display()),
        )
    };
    let mut writer = enc.write_header().map_err(png_err)?;
    writer.write_image_data(pixels).map_err(png_err)?;
    writer.finish().map_err(png_err)
}
