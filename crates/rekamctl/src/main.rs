//! `rekamctl`: parse the command line, run it on a single-threaded runtime, exit with its
//! status (0 ok, 1 refused, 2 usage, 3 daemon unreachable). Everything else is in the library.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;
use rekamctl::cli::Cli;
use rekamctl::error::EXIT_REFUSED;
use rekamctl::Terminal;
use time::UtcOffset;

fn main() -> ExitCode {
    // Read before any thread exists: `time` refuses to read the local offset afterwards.
    let offset = UtcOffset::current_local_offset().unwrap_or(UtcOffset::UTC);
    let cli = Cli::parse();
    if let Err(e) = cli.check() {
        e.exit();
    }
    let terminal = Terminal::detect(offset);
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(EXIT_REFUSED);
        }
    };
    let code = runtime.block_on(rekamctl::run(
        &cli,
        &terminal,
        &mut std::io::stdout(),
        &mut std::io::stderr(),
    ));
    ExitCode::from(code)
}
