//! `rekam-vcard`: runs a blank virtual card against vpcd until the reader closes the link.
//!
//! ```text
//! rekam-vcard [--netns-pid PID] [--port 35963] [--capacity 8192] [--max-apdu 2048] [--reconnect]
//! ```
//! Exit codes: 0 when the link closed, 1 on an I/O error.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use rekam_vcard::{link, CardConfig, Target, VirtualCard, VPCD_PORT};

/// A virtual ISO/IEC 7816-4 card speaking the vpcd protocol.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Join the network namespace of this process (pcscd's) before connecting.
    #[arg(long)]
    netns_pid: Option<u32>,
    /// vpcd's port on 127.0.0.1.
    #[arg(long, default_value_t = VPCD_PORT)]
    port: u16,
    /// Capacity for application files, in bytes.
    #[arg(long, default_value_t = 8192)]
    capacity: usize,
    /// Largest command and response APDU announced in EF.ATR/INFO.
    #[arg(long, default_value_t = 2048)]
    max_apdu: usize,
    /// Connect again (the same card) each time the link closes.
    #[arg(long)]
    reconnect: bool,
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let card = VirtualCard::new(CardConfig {
        capacity: args.capacity,
        max_command_apdu: args.max_apdu,
        max_response_apdu: args.max_apdu,
        ..CardConfig::default()
    });
    let target = Target {
        addr: SocketAddr::from(([127, 0, 0, 1], args.port)),
        netns: args
            .netns_pid
            .map(|pid| PathBuf::from(format!("/proc/{pid}/ns/net"))),
        connect_timeout: Duration::from_secs(30),
    };
    loop {
        let result = link::connect(&target).and_then(|mut s| link::serve(&card, &mut s));
        match result {
            Ok(end) => eprintln!("rekam-vcard: link ended ({end:?})"),
            Err(e) => {
                eprintln!("rekam-vcard: {e}");
                return std::process::ExitCode::FAILURE;
            }
        }
        if !args.reconnect {
            return std::process::ExitCode::SUCCESS;
        }
    }
}
