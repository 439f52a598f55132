//! `tracechain`: the consortium node binary and its operator commands.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd;

/// tracechain — a permissioned consortium blockchain for tracing export products in
/// cross-border e-commerce.
///
/// Operator commands for now: key files, GS1 identifiers and EPCIS documents. The node itself
/// (storage, network, consensus driver, API) is not built yet.
#[derive(Debug, Parser)]
#[command(name = "tracechain", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Key files: generate an Ed25519 signing key.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// GS1 identifiers: check and normalise a code, URN or Digital Link URI.
    Gs1 {
        #[command(subcommand)]
        command: Gs1Command,
    },
    /// GS1 EPCIS 2.0 documents: validate, hash events, map events onto tracechain records.
    Epcis {
        #[command(subcommand)]
        command: EpcisCommand,
    },
}

#[derive(Debug, Subcommand)]
enum EpcisCommand {
    /// Validate an EPCIS 2.0 JSON-LD document: exit 0, or exit 2 listing every problem.
    Validate {
        /// The document (EPCISDocument or EPCISQueryDocument).
        file: PathBuf,
    },
    /// Print the CBV 2.0 event hash id of every event, one per line, in document order.
    Hash {
        /// The document.
        file: PathBuf,
    },
    /// Print, as JSON, the tracechain records the document's events would become.
    Map {
        /// The document.
        file: PathBuf,
        /// Trace mode (R-M1–R-M3) of the trace units that ILMD commissioning events create;
        /// with it the mapping includes their registrations (EPCIS carries no trace mode).
        #[arg(long, value_enum)]
        trace_mode: Option<TraceModeArg>,
    },
}

/// A trace mode on the command line.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum TraceModeArg {
    /// R-M1: full supply chain.
    Full,
    /// R-M2: back to the manufacturer.
    Manufacturer,
    /// R-M3: back to the trader.
    Trader,
}

impl From<TraceModeArg> for tracechain_types::records::TraceMode {
    fn from(m: TraceModeArg) -> Self {
        match m {
            TraceModeArg::Full => Self::Full,
            TraceModeArg::Manufacturer => Self::Manufacturer,
            TraceModeArg::Trader => Self::Trader,
        }
    }
}

#[derive(Debug, Subcommand)]
enum KeysCommand {
    /// Write a new key file (mode 0600) and print its public key. Refuses to overwrite.
    ///
    /// The key file is JSON: {"type":"ed25519","public_key":HEX,"secret_seed":HEX}, readable and
    /// writable by its owner only. The public key (64 hex characters) is printed on stdout.
    /// Exit 0 on success, 2 when the file exists, its directory does not, or writing fails.
    Generate {
        /// Where to write the key file: it must not exist yet; its directory must exist.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum Gs1Command {
    /// Print the normalised identifier as JSON (exit 0), or one line saying what is wrong
    /// (exit 2).
    Check {
        /// A GTIN, SSCC, GLN, element string, GS1 Digital Link URI, EPC URN, or unified social
        /// credit code.
        code: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Keys {
            command: KeysCommand::Generate { out },
        } => cmd::keys::generate(&out),
        Command::Gs1 {
            command: Gs1Command::Check { code },
        } => cmd::gs1::check(&code),
        Command::Epcis { command } => match command {
            EpcisCommand::Validate { file } => cmd::epcis::validate(&file),
            EpcisCommand::Hash { file } => cmd::epcis::hash(&file),
            EpcisCommand::Map { file, trace_mode } => {
                cmd::epcis::map(&file, trace_mode.map(Into::into))
            }
        },
    }
}
