//! The command line: every subcommand and option (clap derive), the checks clap cannot
//! express, and the mapping of option values to the `rekam.v1` enums.
//!
//! Value names are kebab-case (`low-quality`, `card-printer`, `awaiting-activation`); each
//! maps to one proto enum value, and the tests check that every proto value has its name.

use std::path::PathBuf;

use clap::error::ErrorKind;
use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use rekam_card::Nik;
use rekam_proto::v1;

/// `rekamctl`: the technician's and operator's command line for `rekamd`.
#[derive(Debug, Parser)]
#[command(
    name = "rekamctl",
    version,
    about = "The command line for rekamd, the KTP-el station daemon",
    long_about = "The command line for rekamd, the KTP-el station daemon: devices, hotplug \
                  watch, self-tests, fault injection on simulated devices, sessions and jobs, \
                  and a scripted demo enrolment.\n\n\
                  Exit status: 0 success, 1 the daemon refused (the reason code is printed), \
                  2 usage, 3 the daemon is unreachable."
)]
pub struct Cli {
    /// Options every command takes.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes (before or after the subcommand).
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// rekamd's Unix socket [default: $RUNTIME_DIRECTORY, /run/rekam/rekamd.sock for root,
    /// else $XDG_RUNTIME_DIR/rekam/rekamd.sock]
    #[arg(long, global = true, env = "REKAM_SOCKET", value_name = "PATH")]
    pub socket: Option<PathBuf>,
    /// Reach rekamd over TCP instead of the socket, e.g. http://127.0.0.1:50051
    #[arg(long, global = true, value_name = "URI")]
    pub tcp: Option<String>,
    /// Machine output: one JSON document, or one JSON object per line for streams
    #[arg(long, global = true)]
    pub json: bool,
    /// Deadline of each request/response call, in seconds (streams have none)
    #[arg(
        long,
        global = true,
        value_name = "SECS",
        default_value_t = 30,
        value_parser = clap::value_parser!(u64).range(1..=3600)
    )]
    pub timeout: u64,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Every device: state, conditions, supplies, lease, driver and model
    Devices {
        /// Only devices of this family
        #[arg(long, value_enum)]
        family: Option<FamilyArg>,
    },
    /// Hotplug and status changes as they happen, one line each (Ctrl-C to stop)
    Watch {
        /// Only events about devices of this family
        #[arg(long, value_enum)]
        family: Option<FamilyArg>,
    },
    /// Self-test one device, or every device: progress bars, then a pass/fail report
    Selftest {
        /// The device to test, e.g. sim:card-printer:0 (default: every device)
        device: Option<String>,
    },
    /// Inject a fault into a simulated device, or clear its faults (technician role)
    Fault(FaultArgs),
    /// A scripted BARU enrolment then card issuance on the station, each step timed
    Enrol(EnrolArgs),
    /// Enrolment sessions
    #[command(subcommand)]
    Session(SessionCommand),
    /// Issuance jobs
    #[command(subcommand)]
    Job(JobCommand),
    /// The card printer's blanks, ribbon and card counters
    Supplies {
        /// The card printer (default: the station's configured one)
        #[arg(long, value_name = "DEVICE")]
        device: Option<String>,
    },
    /// Card faces and chips
    #[command(subcommand)]
    Card(CardCommand),
}

/// `card preview`, `card read`.
#[derive(Debug, Clone, Subcommand)]
pub enum CardCommand {
    /// Write the card face of a job (rendered by the daemon) or of a card record file
    /// (rendered here, no daemon needed) as PNG, 1016 x 648 at 300 dpi
    Preview(PreviewArgs),
    /// Read and check the chip of the card in an encoder (technician): files, sizes, DG1
    /// fields (NIK masked), hashes against EF.SOD, passive authentication, life cycle
    Read {
        /// The chip encoder (default: the station's first one)
        #[arg(long, value_name = "DEVICE")]
        device: Option<String>,
    },
}

/// `card preview (--job ID | --record FILE [--photo IMG]) --output FILE`.
#[derive(Debug, Clone, Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["job", "record"])))]
pub struct PreviewArgs {
    /// The job whose card to render, `job_...` (the daemon renders it from the job's record,
    /// photo and signature)
    #[arg(long, value_name = "ID")]
    pub job: Option<String>,
    /// A card record file: JSON with the fields of SIAK's card record (nik, name,
    /// place_of_birth, date_of_birth YYYY-MM-DD, sex LAKI_LAKI|PEREMPUAN, ...)
    #[arg(long, value_name = "FILE")]
    pub record: Option<std::path::PathBuf>,
    /// With --record: the face photo, JPEG or PNG
    #[arg(long, value_name = "FILE", requires = "record")]
    pub photo: Option<std::path::PathBuf>,
    /// Where to write the PNG (it holds the NIK and the photo)
    #[arg(short, long, value_name = "FILE")]
    pub output: std::path::PathBuf,
}

/// `fault DEVICE KIND [--count N] [--finger F]`.
#[derive(Debug, Clone, Args)]
pub struct FaultArgs {
    /// The simulated device, e.g. sim:fingerprint:0 (`all` with `clear`: every simulated device)
    pub device: String,
    /// The fault; `clear` removes every queued fault and plugs the device back in
    #[arg(value_enum)]
    pub kind: FaultArg,
    /// How many of the device's next operations it affects (0: all, until cleared)
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub count: u32,
    /// partial-slap only: the finger missing from the slaps (default: any finger of the slap)
    #[arg(long, value_enum, value_name = "FINGER")]
    pub finger: Option<FingerArg>,
}

/// `enrol --demo [--nik NIK] [--type T] [--latency-note]`.
#[derive(Debug, Clone, Args)]
pub struct EnrolArgs {
    /// Run the scripted demonstration (the only enrolment rekamctl does)
    #[arg(long, required = true)]
    pub demo: bool,
    /// The applicant's NIK [default: 350801120399 and a fresh serial per run]
    #[arg(long, value_parser = parse_nik, value_name = "NIK")]
    pub nik: Option<Nik>,
    /// The application type
    #[arg(long = "type", value_enum, default_value_t = ApplicationTypeArg::Baru, value_name = "TYPE")]
    pub application_type: ApplicationTypeArg,
    /// Explain where the measured durations come from
    #[arg(long)]
    pub latency_note: bool,
}

/// `session show|list`.
#[derive(Debug, Clone, Subcommand)]
pub enum SessionCommand {
    /// One session: items, qualities, exceptions, timings
    Show {
        /// The session id, `ses_...`
        id: String,
    },
    /// Sessions, newest first
    List {
        /// Only sessions in this state
        #[arg(long, value_enum)]
        state: Option<SessionStateArg>,
        /// At most this many
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=1000))]
        limit: u32,
    },
}

/// `job show|list`.
#[derive(Debug, Clone, Subcommand)]
pub enum JobCommand {
    /// One job: steps against the time standards, card, deferral
    Show {
        /// The job id, `job_...`
        id: String,
    },
    /// Jobs, newest first
    List {
        /// Only jobs in this state
        #[arg(long, value_enum)]
        state: Option<JobStateArg>,
        /// At most this many
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=1000))]
        limit: u32,
    },
}

/// A device family, named as in device ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FamilyArg {
    /// Fingerprint scanner.
    Fingerprint,
    /// Face camera.
    Face,
    /// Iris camera.
    Iris,
    /// Signature pad.
    Signature,
    /// Chip encoder.
    Encoder,
    /// Card printer.
    CardPrinter,
    /// Document printer.
    DocumentPrinter,
}

impl FamilyArg {
    /// The proto value.
    pub fn to_proto(self) -> v1::DeviceFamily {
        use v1::DeviceFamily as F;
        match self {
            Self::Fingerprint => F::FingerprintScanner,
            Self::Face => F::FaceCamera,
            Self::Iris => F::IrisCamera,
            Self::Signature => F::SignaturePad,
            Self::Encoder => F::CardEncoder,
            Self::CardPrinter => F::CardPrinter,
            Self::DocumentPrinter => F::DocumentPrinter,
        }
    }
}

/// A fault kind: the `FAULT_KIND_*` values in kebab-case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FaultArg {
    /// The device disappears until replug or clear.
    Unplug,
    /// An unplugged device comes back.
    Replug,
    /// Operations fail as busy.
    Busy,
    /// Operations do not answer until their deadline.
    Timeout,
    /// Captures give samples below the quality threshold.
    LowQuality,
    /// Slaps come without one finger (see --finger).
    PartialSlap,
    /// Slaps show the other hand.
    WrongHand,
    /// The card is pulled out during the next chip write or print.
    CardPulled,
    /// Chip writes fail.
    ChipWriteError,
    /// The hopper (or paper tray) is empty until cleared.
    BlanksEmpty,
    /// The ribbon (or toner) is used up until cleared.
    RibbonOut,
    /// The next feed or print jams.
    Jam,
    /// The printer goes offline until cleared.
    PrinterOffline,
    /// Another person's finger is presented.
    Impostor,
    /// The next self-tests report one failed check.
    SelfTestFail,
    /// The next slaps show the previous slap's hand again.
    SameHandTwice,
    /// Remove every queued fault (ClearFaults).
    Clear,
}

impl FaultArg {
    /// The proto value.
    pub fn to_proto(self) -> v1::FaultKind {
        use v1::FaultKind as K;
        match self {
            Self::Unplug => K::Unplug,
            Self::Replug => K::Replug,
            Self::Busy => K::Busy,
            Self::Timeout => K::Timeout,
            Self::LowQuality => K::LowQuality,
            Self::PartialSlap => K::PartialSlap,
            Self::WrongHand => K::WrongHand,
            Self::CardPulled => K::CardPulled,
            Self::ChipWriteError => K::ChipWriteError,
            Self::BlanksEmpty => K::BlanksEmpty,
            Self::RibbonOut => K::RibbonOut,
            Self::Jam => K::Jam,
            Self::PrinterOffline => K::PrinterOffline,
            Self::Impostor => K::Impostor,
            Self::SelfTestFail => K::SelfTestFail,
            Self::SameHandTwice => K::SameHandTwice,
            Self::Clear => K::Clear,
        }
    }

    /// The name on the command line (`low-quality`).
    pub fn name(self) -> String {
        self.to_possible_value()
            .map(|v| v.get_name().to_owned())
            .unwrap_or_default()
    }

    /// Whether the fault ignores `--count` and lasts until cleared (an unplug also ends with
    /// a replug).
    pub fn lasts_until_cleared(self) -> bool {
        matches!(
            self,
            Self::Unplug | Self::BlanksEmpty | Self::RibbonOut | Self::Jam | Self::PrinterOffline
        )
    }
}

/// A finger, for `fault --finger`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FingerArg {
    /// Right thumb.
    RightThumb,
    /// Right index finger.
    RightIndex,
    /// Right middle finger.
    RightMiddle,
    /// Right ring finger.
    RightRing,
    /// Right little finger.
    RightLittle,
    /// Left thumb.
    LeftThumb,
    /// Left index finger.
    LeftIndex,
    /// Left middle finger.
    LeftMiddle,
    /// Left ring finger.
    LeftRing,
    /// Left little finger.
    LeftLittle,
}

impl FingerArg {
    /// The proto value.
    pub fn to_proto(self) -> v1::Finger {
        use v1::Finger as F;
        match self {
            Self::RightThumb => F::RightThumb,
            Self::RightIndex => F::RightIndex,
            Self::RightMiddle => F::RightMiddle,
            Self::RightRing => F::RightRing,
            Self::RightLittle => F::RightLittle,
            Self::LeftThumb => F::LeftThumb,
            Self::LeftIndex => F::LeftIndex,
            Self::LeftMiddle => F::LeftMiddle,
            Self::LeftRing => F::LeftRing,
            Self::LeftLittle => F::LeftLittle,
        }
    }
}

/// An application type (jenis permohonan).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ApplicationTypeArg {
    /// A first card.
    Baru,
    /// Replacement of a damaged card.
    Rusak,
    /// Replacement of a lost card.
    Hilang,
    /// Change of data.
    Perubahan,
}

impl ApplicationTypeArg {
    /// The proto value.
    pub fn to_proto(self) -> v1::ApplicationType {
        use v1::ApplicationType as A;
        match self {
            Self::Baru => A::Baru,
            Self::Rusak => A::Rusak,
            Self::Hilang => A::Hilang,
            Self::Perubahan => A::Perubahan,
        }
    }

    /// The documents the default office configuration requires for the type (the demo
    /// presents them all).
    pub fn documents(self) -> Vec<String> {
        let extra = match self {
            Self::Baru => None,
            Self::Rusak => Some("DAMAGED_CARD"),
            Self::Hilang => Some("POLICE_LOSS_REPORT"),
            Self::Perubahan => Some("OLD_CARD"),
        };
        std::iter::once("KK_COPY")
            .chain(extra)
            .map(str::to_owned)
            .collect()
    }
}

/// A session state, as a `session list` filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SessionStateArg {
    /// Captures may be recorded.
    Open,
    /// The package is built.
    Finalized,
    /// Closed without a package.
    Cancelled,
}

impl SessionStateArg {
    /// The proto value.
    pub fn to_proto(self) -> v1::SessionState {
        match self {
            Self::Open => v1::SessionState::Open,
            Self::Finalized => v1::SessionState::Finalized,
            Self::Cancelled => v1::SessionState::Cancelled,
        }
    }
}

/// A job state, as a `job list` filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum JobStateArg {
    /// Created, waiting for the printer.
    Pending,
    /// Steps are running.
    Running,
    /// Printed, waiting for activation.
    AwaitingActivation,
    /// Activated, waiting for handover.
    Activated,
    /// Handed to the resident.
    HandedOver,
    /// Waiting for a cause to go away.
    Deferred,
    /// Stopped by an error.
    Failed,
    /// Cancelled by the operator.
    Cancelled,
}

impl JobStateArg {
    /// The proto value.
    pub fn to_proto(self) -> v1::JobState {
        use v1::JobState as J;
        match self {
            Self::Pending => J::Pending,
            Self::Running => J::Running,
            Self::AwaitingActivation => J::AwaitingActivation,
            Self::Activated => J::Activated,
            Self::HandedOver => J::HandedOver,
            Self::Deferred => J::Deferred,
            Self::Failed => J::Failed,
            Self::Cancelled => J::Cancelled,
        }
    }
}

fn parse_nik(s: &str) -> Result<Nik, String> {
    Nik::parse(s).map_err(|e| e.to_string())
}

impl Cli {
    /// Checks what clap's derive cannot express. The error is a clap usage error (exit 2).
    pub fn check(&self) -> Result<(), clap::Error> {
        if let Some(uri) = &self.global.tcp {
            if !(uri.starts_with("http://") || uri.starts_with("https://")) {
                return Err(usage(
                    ErrorKind::ValueValidation,
                    format!("--tcp takes a URI such as http://127.0.0.1:50051, not '{uri}'"),
                ));
            }
        }
        if let Command::Fault(f) = &self.command {
            if f.finger.is_some() && f.kind != FaultArg::PartialSlap {
                return Err(usage(
                    ErrorKind::ArgumentConflict,
                    format!(
                        "--finger applies to partial-slap only, not to {}",
                        f.kind.name()
                    ),
                ));
            }
            if f.device == "all" && f.kind != FaultArg::Clear {
                return Err(usage(
                    ErrorKind::ValueValidation,
                    "the device `all` is for `fault all clear` only".to_owned(),
                ));
            }
        }
        Ok(())
    }
}

fn usage(kind: ErrorKind, message: String) -> clap::Error {
    Cli::command().error(kind, message)
}

#[cfg(test)]
mod tests {
    use clap::error::ErrorKind;

    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("rekamctl").chain(args.iter().copied()))
    }

    #[test]
    fn the_cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn every_subcommand_parses() {
        let lines: &[&[&str]] = &[
            &["devices"],
            &["devices", "--family", "card-printer"],
            &["watch"],
            &["watch", "--family", "fingerprint"],
            &["selftest"],
            &["selftest", "sim:card-printer:0"],
            &["fault", "sim:card-printer:0", "blanks-empty"],
            &["fault", "sim:fingerprint:0", "low-quality", "--count", "2"],
            &[
                "fault",
                "sim:fingerprint:0",
                "partial-slap",
                "--finger",
                "left-ring",
            ],
            &["fault", "sim:fingerprint:0", "unplug"],
            &["fault", "sim:fingerprint:0", "replug"],
            &["fault", "sim:card-printer:0", "clear"],
            &["fault", "all", "clear"],
            &["enrol", "--demo"],
            &[
                "enrol",
                "--demo",
                "--nik",
                "3508011203990001",
                "--type",
                "baru",
                "--latency-note",
            ],
            &["session", "show", "ses_01JD3Z6K8T9W4Q2M5N7P0R1S2V"],
            &["session", "list"],
            &["session", "list", "--state", "finalized", "--limit", "5"],
            &["job", "show", "job_01JD3Z6K8T9W4Q2M5N7P0R1S2V"],
            &["job", "list", "--state", "awaiting-activation"],
            &["supplies"],
            &["supplies", "--device", "sim:card-printer:0"],
        ];
        for line in lines {
            let cli = parse(line).unwrap_or_else(|e| panic!("{line:?}: {e}"));
            cli.check().unwrap_or_else(|e| panic!("{line:?}: {e}"));
        }
    }

    #[test]
    fn arguments_land_where_they_belong() {
        let cli = parse(&[
            "fault",
            "sim:fingerprint:0",
            "partial-slap",
            "--finger",
            "left-ring",
            "--count",
            "0",
        ])
        .unwrap();
        let Command::Fault(f) = cli.command else {
            panic!("not fault")
        };
        assert_eq!(f.device, "sim:fingerprint:0");
        assert_eq!(f.kind, FaultArg::PartialSlap);
        assert_eq!(f.count, 0);
        assert_eq!(
            f.finger.map(FingerArg::to_proto),
            Some(v1::Finger::LeftRing)
        );

        let cli = parse(&["fault", "sim:fingerprint:0", "low-quality"]).unwrap();
        let Command::Fault(f) = cli.command else {
            panic!("not fault")
        };
        assert_eq!(f.count, 1, "one operation by default");

        let cli = parse(&["enrol", "--demo", "--nik", "3508011203990001"]).unwrap();
        let Command::Enrol(e) = cli.command else {
            panic!("not enrol")
        };
        assert!(e.demo && !e.latency_note);
        assert_eq!(
            e.nik.map(|n| n.masked()),
            Some("3508**********01".to_owned())
        );
        assert_eq!(e.application_type, ApplicationTypeArg::Baru);

        let cli = parse(&["session", "list", "--state", "open"]).unwrap();
        assert!(matches!(
            cli.command,
            Command::Session(SessionCommand::List {
                state: Some(SessionStateArg::Open),
                limit: 50
            })
        ));
    }

    #[test]
    fn global_options_go_before_or_after_the_subcommand() {
        let cli = parse(&[
            "--socket",
            "/tmp/x.sock",
            "devices",
            "--json",
            "--timeout",
            "7",
        ])
        .unwrap();
        assert_eq!(
            cli.global.socket.as_deref(),
            Some(std::path::Path::new("/tmp/x.sock"))
        );
        assert!(cli.global.json);
        assert_eq!(cli.global.timeout, 7);
        let cli = parse(&["selftest", "--tcp", "http://127.0.0.1:50051"]).unwrap();
        assert_eq!(cli.global.tcp.as_deref(), Some("http://127.0.0.1:50051"));
        assert!(!cli.global.json);
        assert_eq!(cli.global.timeout, 30);
    }

    #[test]
    fn fault_kinds_map_to_the_proto_enum_by_name() {
        for kind in FaultArg::value_variants() {
            let proto = kind.to_proto();
            let expected = proto
                .as_str_name()
                .trim_start_matches("FAULT_KIND_")
                .to_ascii_lowercase()
                .replace('_', "-");
            assert_eq!(kind.name(), expected);
            let parsed = parse(&["fault", "sim:x:0", &expected]).unwrap();
            let Command::Fault(f) = parsed.command else {
                panic!("not fault")
            };
            assert_eq!(f.kind, *kind);
        }
        // Every fault the contract knows has a name on the command line.
        let mut n = 1;
        while let Ok(proto) = v1::FaultKind::try_from(n) {
            assert!(
                FaultArg::value_variants()
                    .iter()
                    .any(|k| k.to_proto() == proto),
                "{} has no CLI name",
                proto.as_str_name()
            );
            n += 1;
        }
        assert_eq!(
            usize::try_from(n - 1).unwrap(),
            FaultArg::value_variants().len()
        );
    }

    #[test]
    fn the_other_enums_map_to_their_proto_values_by_name() {
        for f in FamilyArg::value_variants() {
            let name = f.to_possible_value().unwrap().get_name().to_owned();
            assert_eq!(crate::names::family(f.to_proto().into()), name);
        }
        for f in FingerArg::value_variants() {
            let name = f.to_possible_value().unwrap().get_name().to_owned();
            assert_eq!(
                f.to_proto().as_str_name(),
                format!("FINGER_{}", name.to_ascii_uppercase().replace('-', "_"))
            );
        }
        for s in JobStateArg::value_variants() {
            let name = s.to_possible_value().unwrap().get_name().to_owned();
            assert_eq!(crate::names::job_state(s.to_proto().into()), name);
        }
        for s in SessionStateArg::value_variants() {
            let name = s.to_possible_value().unwrap().get_name().to_owned();
            assert_eq!(crate::names::session_state(s.to_proto().into()), name);
        }
        for t in ApplicationTypeArg::value_variants() {
            let name = t.to_possible_value().unwrap().get_name().to_owned();
            assert_eq!(crate::names::application_type(t.to_proto().into()), name);
            assert_eq!(t.documents()[0], "KK_COPY");
        }
        assert_eq!(
            ApplicationTypeArg::Baru.documents(),
            vec!["KK_COPY".to_owned()]
        );
        assert_eq!(
            ApplicationTypeArg::Hilang.documents(),
            vec!["KK_COPY".to_owned(), "POLICE_LOSS_REPORT".to_owned()]
        );
    }

    #[test]
    fn bad_arguments_are_usage_errors() {
        let kind = |args: &[&str]| parse(args).map(|_| ()).unwrap_err().kind();
        assert_eq!(
            kind(&["fault", "sim:fingerprint:0", "explode"]),
            ErrorKind::InvalidValue
        );
        assert_eq!(
            kind(&["fault", "sim:fingerprint:0"]),
            ErrorKind::MissingRequiredArgument
        );
        assert_eq!(
            kind(&[
                "fault",
                "sim:fingerprint:0",
                "partial-slap",
                "--finger",
                "tail"
            ]),
            ErrorKind::InvalidValue
        );
        assert_eq!(
            kind(&["devices", "--family", "toaster"]),
            ErrorKind::InvalidValue
        );
        assert_eq!(kind(&["enrol"]), ErrorKind::MissingRequiredArgument);
        assert_eq!(
            kind(&["enrol", "--demo", "--nik", "3508011203990000"]),
            ErrorKind::ValueValidation
        );
        assert_eq!(
            kind(&["enrol", "--demo", "--nik", "12345"]),
            ErrorKind::ValueValidation
        );
        assert_eq!(
            kind(&["devices", "--timeout", "0"]),
            ErrorKind::ValueValidation
        );
        assert_eq!(
            kind(&["job", "list", "--limit", "5000"]),
            ErrorKind::ValueValidation
        );
        assert_eq!(
            kind(&["session"]),
            ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
        );
        assert_eq!(kind(&["frobnicate"]), ErrorKind::InvalidSubcommand);
        let err = parse(&["fault", "sim:fingerprint:0", "explode"])
            .map(|_| ())
            .unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(
            err.to_string().contains("low-quality"),
            "the error lists the kinds: {err}"
        );
    }

    #[test]
    fn checks_clap_cannot_express() {
        let check = |args: &[&str]| parse(args).unwrap().check();
        let err = check(&[
            "fault",
            "sim:fingerprint:0",
            "low-quality",
            "--finger",
            "left-ring",
        ])
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ArgumentConflict);
        assert_eq!(err.exit_code(), 2);
        assert!(err
            .to_string()
            .contains("--finger applies to partial-slap only"));
        let err = check(&["fault", "all", "jam"]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ValueValidation);
        let err = check(&["devices", "--tcp", "127.0.0.1:50051"]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ValueValidation);
        assert!(check(&["devices", "--tcp", "https://station.local:50051"]).is_ok());
    }
}
