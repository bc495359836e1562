//! `rekamd`: the station daemon. Thin: parse flags, load and validate the configuration
//! (exit 64 on a bad one), start logging, run the daemon until SIGTERM or SIGINT.
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use rekamd::config::{Config, EMBEDDED_DEFAULT};

/// Exit status for a configuration that cannot be used (EX_USAGE).
const EXIT_BAD_CONFIG: u8 = 64;

/// The Rekam station daemon. With no flags it runs the embedded default configuration: a
/// complete simulated station serving gRPC on a Unix socket.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Configuration file (TOML). Default: the embedded configuration.
    #[arg(long, short)]
    config: Option<PathBuf>,
    /// Validate the configuration, print a summary and exit.
    #[arg(long)]
    check_config: bool,
    /// Print the embedded default configuration and exit.
    #[arg(long)]
    print_default_config: bool,
    /// Override the Unix socket path.
    #[arg(long)]
    socket: Option<PathBuf>,
    /// Override the state directory.
    #[arg(long)]
    state_dir: Option<PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    if args.print_default_config {
        print!("{EMBEDDED_DEFAULT}");
        return ExitCode::SUCCESS;
    }
    let loaded = match &args.config {
        Some(path) => Config::load(path),
        None => Config::embedded_default(),
    };
    let mut config = match loaded {
        Ok(config) => config,
        Err(e) => {
            eprintln!("rekamd: invalid configuration: {e}");
            return ExitCode::from(EXIT_BAD_CONFIG);
        }
    };
    if let Some(socket) = args.socket {
        config.socket = socket;
    }
    if let Some(dir) = args.state_dir {
        config.state_dir = dir;
    }
    if args.check_config {
        println!(
            "{}: ok ({} devices, socket {}, state {})",
            config.origin,
            config.devices.len(),
            config.socket.display(),
            config.state_dir.display()
        );
        return ExitCode::SUCCESS;
    }
    rekamd::logging::init(config.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("rekamd: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(rekamd::run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "rekamd stopped");
            eprintln!("rekamd: {e}");
            ExitCode::FAILURE
        }
    }
}
