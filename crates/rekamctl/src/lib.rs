//! # rekamctl: the command line for `rekamd`
//!
//! The technician's and operator's tool on a KTP-el enrolment PC. It is always a gRPC client
//! of the station daemon (`rekam.v1`), over the daemon's Unix socket or TCP.
//!
//! - [`cli`]: the commands and options (clap); `main.rs` only parses and calls [`run`].
//! - [`mod@connect`]: reaching the daemon, the three service clients, deadlines.
//! - [`devices`], [`selftest`], [`records`], [`demo`], [`card`], [`card_read`]: one module per group of commands, each
//!   with serialisable views for `--json`, `render_*` functions that write the human form to
//!   any `Write` (tested on hand-built messages), and the async command itself.
//! - [`error`]: failures and exit codes (0 ok, 1 refused, 2 usage, 3 unreachable).
//! - [`names`], [`ui`], [`output`]: enum names, tables, durations, timestamps, colour.
//!
//! Personal data: the daemon sends masked NIKs only, and the demo prints its own NIK masked.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod card;
pub mod card_read;
pub mod cli;
pub mod connect;
pub mod demo;
pub mod devices;
pub mod error;
pub mod names;
pub mod output;
pub mod records;
pub mod selftest;
pub mod ui;

use std::io::{IsTerminal, Write};
use std::time::Duration;

use time::{OffsetDateTime, UtcOffset};

use crate::cli::{CardCommand, Cli, Command, JobCommand, SessionCommand};
use crate::connect::{connect, Target};
use crate::error::{CtlError, EXIT_OK};
use crate::output::Ctx;
use crate::ui::Style;

/// What the process's terminal is like, found once at start.
#[derive(Debug, Clone, Copy)]
pub struct Terminal {
    /// Standard output is a terminal (progress bars are drawn only then).
    pub stdout_tty: bool,
    /// Colours are wanted: standard output is a terminal and `NO_COLOR` is not set.
    pub color: bool,
    /// The local UTC offset (read before any thread starts: the `time` crate cannot read it
    /// later on Linux).
    pub offset: UtcOffset,
}

impl Terminal {
    /// Looks at standard output and `NO_COLOR`.
    pub fn detect(offset: UtcOffset) -> Self {
        let stdout_tty = std::io::stdout().is_terminal();
        Self {
            stdout_tty,
            color: stdout_tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
            offset,
        }
    }

    /// No terminal, UTC: pipes and tests.
    pub fn none() -> Self {
        Self {
            stdout_tty: false,
            color: false,
            offset: UtcOffset::UTC,
        }
    }
}

/// Runs a parsed (and [`Cli::check`]ed) command line: writes results to `out`, errors and
/// hints to `err`, and returns the exit status.
///
/// Ctrl-C ends `watch` normally (exit 0); any other command stops (exit 130), which cancels
/// the call under way on the daemon (a running demo job is cancelled as CancelJob does).
pub async fn run(cli: &Cli, term: &Terminal, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let result = execute(cli, term, out).await;
    let flushed = out.flush().map_err(CtlError::from);
    match result.and(flushed) {
        Ok(()) => EXIT_OK,
        Err(e) => {
            // Nothing more useful can be done when standard error is gone too.
            let _ = e.report(err);
            e.exit_code()
        }
    }
}

async fn execute(cli: &Cli, term: &Terminal, out: &mut dyn Write) -> Result<(), CtlError> {
    let json = cli.global.json;
    let mut ctx = Ctx {
        out,
        json,
        style: Style {
            color: term.color && !json,
            offset: term.offset,
        },
        progress: term.stdout_tty && !json,
    };
    // A card record file is rendered here: no daemon needed.
    if let Command::Card(CardCommand::Preview(args)) = &cli.command {
        if let Some(record) = &args.record {
            return card::preview_record(args, record, &mut ctx);
        }
    }
    let target = Target::from_args(&cli.global);
    let timeout = Duration::from_secs(cli.global.timeout);
    let work = async {
        let clients = connect(&target, timeout).await?;
        let c = &clients;
        let ctx = &mut ctx;
        match &cli.command {
            Command::Devices { family } => devices::devices(c, *family, ctx).await,
            Command::Watch { family } => devices::watch(c, *family, ctx).await,
            Command::Selftest { device } => selftest::selftest(c, device.as_deref(), ctx).await,
            Command::Fault(args) => devices::fault(c, args, ctx).await,
            Command::Enrol(args) => {
                let now = OffsetDateTime::now_utc().to_offset(term.offset);
                demo::run_demo(c, args, now, ctx).await
            }
            Command::Session(SessionCommand::Show { id }) => {
                records::session_show(c, id, ctx).await
            }
            Command::Session(SessionCommand::List { state, limit }) => {
                records::session_list(c, *state, *limit, ctx).await
            }
            Command::Job(JobCommand::Show { id }) => records::job_show(c, id, ctx).await,
            Command::Job(JobCommand::List { state, limit }) => {
                records::job_list(c, *state, *limit, ctx).await
            }
            Command::Supplies { device } => devices::supplies(c, device.as_deref(), ctx).await,
            Command::Card(CardCommand::Read { device }) => {
                card_read::read(c, device.as_deref(), ctx).await
            }
            Command::Card(CardCommand::Preview(args)) => match &args.job {
                Some(job) => card::preview_job(c, args, job, ctx).await,
                None => Err(CtlError::Failed {
                    message: "card preview needs --job or --record".into(),
                    code: "INVALID_ARGUMENT".into(),
                }),
            },
        }
    };
    if matches!(cli.command, Command::Watch { .. }) {
        // `watch` takes Ctrl-C itself, as its normal end.
        return work.await;
    }
    tokio::select! {
        result = work => result,
        _ = tokio::signal::ctrl_c() => Err(CtlError::Interrupted),
    }
}
