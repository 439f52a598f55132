//! `tracechain`: the consortium node binary and its operator commands.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd;
mod config;
mod node;

/// tracechain — a permissioned consortium blockchain for tracing export products in
/// cross-border e-commerce.
///
/// Run a node (`node run`), set up a consortium (`genesis init`), check a config
/// (`config check`), submit signed records (`tx submit`); operator tools for key files, GS1
/// identifiers and EPCIS documents.
#[derive(Debug, Parser)]
#[command(name = "tracechain", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a node.
    Node {
        #[command(subcommand)]
        command: NodeCommand,
    },
    /// Genesis: write a consortium's files.
    Genesis {
        #[command(subcommand)]
        command: GenesisCommand,
    },
    /// Node configuration.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Signed transactions.
    Tx {
        #[command(subcommand)]
        command: TxCommand,
    },
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
    /// The sample consortium: load the tea export flow into a running local consortium.
    Demo {
        #[command(subcommand)]
        command: DemoCommand,
    },
    /// Benchmarks against a running consortium.
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
    },
    /// A unit's history from a node, every record's proof and the listing's completeness
    /// checked here (signed with --key: a regulator or a participant that took part).
    Trace {
        /// The code: `01{gtin14}10{batch}`, `01{gtin14}21{serial}` or a Digital Link URI.
        code: String,
        /// The node's API (http://127.0.0.1:8101).
        #[arg(long)]
        node: String,
        /// The reader's key file (signs each read).
        #[arg(long, value_name = "KEYFILE")]
        key: Option<PathBuf>,
        /// Save every answer, with its proofs, for `proof verify`.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// The genesis file: proofs must rest on its chain and validators (without it, the
        /// validator set the node presents is trusted).
        #[arg(long, value_name = "FILE")]
        genesis: Option<PathBuf>,
    },
    /// Recall simulation of a batch (R-S3): affected units, logistics units, countries,
    /// warehouses, retailers and orders; with --issue, the regulator then issues it.
    Recall {
        /// The batch: `01{gtin14}10{batch}` or a Digital Link URI.
        batch: String,
        /// The node's API.
        #[arg(long)]
        node: String,
        /// The reader's (and, with --issue, the issuing regulator's) key file.
        #[arg(long, value_name = "KEYFILE")]
        key: Option<PathBuf>,
        /// Issue the recall after the simulation.
        #[arg(long, requires_all = ["reference", "reason", "key"])]
        issue: bool,
        /// The recall's reference (unique per issuer).
        #[arg(long)]
        reference: Option<String>,
        /// Why.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Documents: check a file against the chain (R-S1).
    Doc {
        #[command(subcommand)]
        command: DocCommand,
    },
    /// Proofs: check saved answers offline.
    Proof {
        #[command(subcommand)]
        command: ProofCommand,
    },
    /// The auditor: replay a whole chain from genesis (`audit chain`); fetch and verify a
    /// batch's audit package (R-S2).
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Save a node's chain (blocks, certificates, genesis file) to a file in the export
    /// format (`GET /v1/export`, ADR 0087), signed with a regulator's key.
    Export {
        /// The node's API.
        #[arg(long, default_value = "http://127.0.0.1:8101")]
        node: String,
        /// The reader's key file (a regulator).
        #[arg(long, value_name = "FILE")]
        key: Option<PathBuf>,
        /// Where to save the export.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// First height (default 1).
        #[arg(long)]
        from: Option<u64>,
        /// Last height (default: the node's tip).
        #[arg(long)]
        to: Option<u64>,
    },
    /// Print the node's HTTP API as OpenAPI 3.1 JSON (the document served at /openapi.json
    /// and committed as docs/openapi.json).
    Openapi,
    /// GS1 EPCIS 2.0 documents: validate, hash events, map events onto tracechain records.
    Epcis {
        #[command(subcommand)]
        command: EpcisCommand,
    },
}

#[derive(Debug, Subcommand)]
enum NodeCommand {
    /// Run until SIGINT or SIGTERM (graceful shutdown); exit non-zero if the node halts.
    Run {
        /// The node's config file.
        #[arg(long, value_name = "FILE", required_unless_present = "dev")]
        config: Option<PathBuf>,
        /// Single-validator development mode: a one-node chain under --dir (created on first
        /// use with `genesis init --validators 1`), for trying the API alone.
        #[arg(long, conflicts_with = "config")]
        dev: bool,
        /// Folder of the development chain.
        #[arg(long, default_value = "tracechain-dev", requires = "dev")]
        dir: PathBuf,
        /// Logs as JSON lines (overrides log.json).
        #[arg(long)]
        log_json: bool,
    },
}

#[derive(Debug, Subcommand)]
enum GenesisCommand {
    /// Write DIR/genesis.toml, DIR/<node>/{config.toml,node.key}, DIR/participants/*.key and
    /// DIR/network.json for a consortium on 127.0.0.1.
    Init {
        /// Validators (the first four are customs, tax, forex, market regulation).
        #[arg(long, default_value_t = 4)]
        validators: usize,
        /// Full nodes (the first is the cross-border platform's).
        #[arg(long, default_value_t = 1)]
        full_nodes: usize,
        /// The folder to create (must be absent or empty).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Chain id.
        #[arg(long, default_value = "tracechain-local")]
        chain_id: String,
        /// First API port (node i listens on it + i).
        #[arg(long, default_value_t = 8101)]
        api_port: u16,
        /// First p2p port.
        #[arg(long, default_value_t = 27101)]
        p2p_port: u16,
    },
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Validate a node config and print it with every default filled in (exit 2 naming the
    /// key on error).
    Check {
        /// The config file.
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum TxCommand {
    /// Sign a record written as JSON with KEYFILE and submit it; print the node's answer.
    Submit {
        /// Node API base URL (http://127.0.0.1:8101).
        #[arg(long)]
        node: String,
        /// The signer's key file.
        #[arg(long, value_name = "KEYFILE")]
        key: PathBuf,
        /// The record (JSON, see docs/api.md).
        record: PathBuf,
        /// Wait until the transaction commits (or is refused).
        #[arg(long)]
        wait: bool,
        /// Heights the transaction stays valid.
        #[arg(long, default_value_t = 100)]
        expiry_window: u64,
        /// Sign only if the node is on this chain.
        #[arg(long)]
        chain_id: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum DocCommand {
    /// Hash FILE here (it is never sent) and check its anchors, with their proofs.
    Verify {
        /// The document.
        file: PathBuf,
        /// The node's API.
        #[arg(long)]
        node: String,
        /// The reader's key file.
        #[arg(long, value_name = "KEYFILE")]
        key: Option<PathBuf>,
        /// The genesis file (see `trace`).
        #[arg(long, value_name = "FILE")]
        genesis: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum ProofCommand {
    /// Check every proof of an answer saved from the read API (or of `trace --out`), offline.
    Verify {
        /// The saved answer(s).
        file: PathBuf,
        /// The genesis file: the validator set the proofs rest on must be its validators.
        #[arg(long, value_name = "FILE")]
        genesis: Option<PathBuf>,
        /// A verified chain audit of this genesis (`audit chain --json` output): the
        /// validator sets it found over time certify the heights each was in force.
        #[arg(long, value_name = "FILE", requires = "genesis")]
        audit: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Replay a whole chain from genesis and verify every block: links, validator set,
    /// proposer, commit certificate, every signature, transaction root, execution through
    /// the contracts, state root. Exit 0 verified, 1 at the first failure (its height,
    /// transaction and reason), 2 when it could not run.
    Chain {
        /// The consortium's genesis file (the auditor's own copy).
        #[arg(long, value_name = "FILE")]
        genesis: PathBuf,
        /// A node's data directory, opened read-only (never modified; a running node is not
        /// disturbed); its stored state is also compared with the replay.
        #[arg(long, value_name = "DIR", conflicts_with_all = ["export", "node"], required_unless_present_any = ["export", "node"])]
        data_dir: Option<PathBuf>,
        /// An export file (`tracechain export`).
        #[arg(long, value_name = "FILE", conflicts_with = "node")]
        export: Option<PathBuf>,
        /// A node's API: its export is verified as it streams.
        #[arg(long, value_name = "URL")]
        node: Option<String>,
        /// The reader's key file for `--node` (a regulator).
        #[arg(long, value_name = "FILE", requires = "node")]
        key: Option<PathBuf>,
        /// Print the summary as JSON (the chain's facts only; times go to standard error).
        #[arg(long)]
        json: bool,
        /// Threads verifying signatures (default: every core).
        #[arg(long)]
        threads: Option<usize>,
    },
    /// Verify an audit package offline: every file hash, header certificate (following the
    /// validator-set changes from genesis), record inclusion, state proof and listing.
    Package {
        /// The package (`GET /v1/audit/{code}`, `tracechain audit fetch`).
        file: PathBuf,
        /// The consortium's genesis file: the validators the package must be certified by
        /// (never the package's own).
        #[arg(long, value_name = "FILE")]
        genesis: PathBuf,
        /// Print the report (or the failure) as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Fetch a batch's audit package with a signed read, save it, verify it.
    Fetch {
        /// The batch: `01{gtin14}10{batch}` or a Digital Link URI.
        code: String,
        /// The node's API.
        #[arg(long, default_value = "http://127.0.0.1:8101")]
        node: String,
        /// The reader's key file (a regulator, or a participant of the batch).
        #[arg(long, value_name = "FILE")]
        key: Option<PathBuf>,
        /// Where to save the package.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// The consortium's genesis file.
        #[arg(long, value_name = "FILE")]
        genesis: PathBuf,
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
    /// Capture a document on the chain: validate, hash and map it to one capture (all or
    /// nothing), sign it with KEYFILE and send it with the document to the node, which keeps
    /// the events and submits the transaction (ADR 0081). Prints the capture job; with
    /// --wait, waits for it to commit or fail.
    Capture {
        /// The EPCISDocument.
        file: PathBuf,
        /// The member's key file.
        #[arg(long)]
        key: PathBuf,
        /// The node's API.
        #[arg(long, default_value = "http://127.0.0.1:8101")]
        node: String,
        /// Wait until the capture commits or is refused (at most 60 s).
        #[arg(long)]
        wait: bool,
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
enum DemoCommand {
    /// Sign and submit the sample export flow (a Fujian tea producer exporting to Germany,
    /// 61 records) with the participants' keys of network.json, stage by stage; resume what a
    /// previous run left. Exit 0 when all is committed, 1 when a record is refused, 2 when the
    /// command could not run.
    Load {
        /// The consortium's network.json (written by `genesis init`).
        #[arg(long, value_name = "FILE")]
        network: PathBuf,
        /// Seconds to wait for the nodes to be ready, and for each stage to commit.
        #[arg(long, default_value_t = 120)]
        timeout_s: u64,
    },
}

#[derive(Debug, Subcommand)]
enum BenchCommand {
    /// Open-loop load: set up casts of signers, send pre-signed records of the standard mix at
    /// --rate to every node, measure commit latency from the intended send time, then account
    /// for every record in every node's blocks. Exit 0 when the accounting holds, 1 when not.
    /// Build a data directory of N realistic records by executing certified blocks through
    /// the contracts (no network): the load generator's mix, for the read benchmarks.
    Fixture {
        /// Records (whole batches of 18).
        #[arg(long)]
        records: u64,
        /// The folder to create (data/ and fixture.json).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Casts of participants (a recall of a cast's material batch reaches its units).
        #[arg(long, default_value_t = 11)]
        casts: usize,
        /// Key seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Transactions per block.
        #[arg(long, default_value_t = cmd::fixture::DEFAULT_BLOCK_TXS)]
        block_txs: usize,
        /// State versions kept, as a node's `storage.state_versions_kept` (0: all).
        #[arg(long, default_value_t = 0)]
        state_versions_kept: u64,
    },
    /// Measure the read API on a fixture, in process: trace by code (a regulator's signed
    /// read, proofs included) and the recall of a material batch.
    Read {
        /// The fixture folder.
        #[arg(long, value_name = "DIR")]
        dir: PathBuf,
        /// Trace reads measured.
        #[arg(long, default_value_t = 2000)]
        samples: usize,
        /// RocksDB block cache (MiB), as a node's `storage.block_cache_bytes`.
        #[arg(long, default_value_t = 64)]
        block_cache_mb: usize,
    },
    /// Measure EPCIS capture on a node: post generated EPCIS documents with a client's bearer
    /// token from --clients threads, count the events accepted (202: validated, hashed, mapped,
    /// signed, admitted) per second, then wait for every capture to commit.
    Capture {
        /// The node's API (with an `[[epcis.clients]]` entry for the token).
        #[arg(long, default_value = "http://127.0.0.1:8105")]
        node: String,
        /// A file holding the bearer token.
        #[arg(long, value_name = "FILE")]
        token_file: PathBuf,
        /// Documents posted.
        #[arg(long, default_value_t = 40)]
        documents: usize,
        /// Events per document.
        #[arg(long, default_value_t = 250)]
        events: usize,
        /// Concurrent clients.
        #[arg(long, default_value_t = 2)]
        clients: usize,
    },
    Load {
        /// The consortium's network.json.
        #[arg(long, value_name = "FILE")]
        network: PathBuf,
        /// Offered records per second.
        #[arg(long)]
        rate: f64,
        /// Seconds the load runs (batches start during this time).
        #[arg(long, value_parser = cmd::bench::seconds)]
        duration: std::time::Duration,
        /// The record mix: `standard` (the contracts benchmark's 18 records per batch).
        #[arg(long, default_value = "standard")]
        records: String,
        /// Casts of signers (six each).
        #[arg(long, default_value_t = 32)]
        casts: usize,
        /// Seed of the casts' keys (the same seed reuses the casts set up before).
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Milliseconds between the phases of a batch.
        #[arg(long, default_value_t = 2000)]
        phase_gap_ms: u64,
        /// Seconds to wait for the last commits once nothing more commits.
        #[arg(long, value_parser = cmd::bench::seconds, default_value = "15")]
        drain: std::time::Duration,
        /// Also write the report as JSON to this file.
        #[arg(long, value_name = "FILE")]
        json: Option<PathBuf>,
        /// Most transactions per POST /v1/txs/batch.
        #[arg(long, default_value_t = 1000)]
        max_batch: usize,
        /// Validators the ceiling divides by (default: those of network.json).
        #[arg(long)]
        validators: Option<usize>,
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
        Command::Node {
            command:
                NodeCommand::Run {
                    config,
                    dev,
                    dir,
                    log_json,
                },
        } => cmd::node::run(config.as_deref(), dev.then_some(dir.as_path()), log_json),
        Command::Genesis {
            command:
                GenesisCommand::Init {
                    validators,
                    full_nodes,
                    out,
                    chain_id,
                    api_port,
                    p2p_port,
                },
        } => cmd::node::genesis_init(
            &out,
            &cmd::genesis::InitOptions {
                validators,
                full_nodes,
                chain_id,
                api_port,
                p2p_port,
                timestamp_ms: None,
            },
        ),
        Command::Config {
            command: ConfigCommand::Check { file },
        } => cmd::node::config_check(&file),
        Command::Tx {
            command:
                TxCommand::Submit {
                    node,
                    key,
                    record,
                    wait,
                    expiry_window,
                    chain_id,
                },
        } => cmd::tx::submit(&cmd::tx::SubmitOptions {
            node: &node,
            key: &key,
            record: &record,
            wait,
            expiry_window,
            chain_id: chain_id.as_deref(),
        }),
        Command::Demo {
            command: DemoCommand::Load { network, timeout_s },
        } => cmd::demo::load(&cmd::demo::LoadOptions {
            network: &network,
            timeout: std::time::Duration::from_secs(timeout_s),
        }),
        Command::Bench {
            command:
                BenchCommand::Load {
                    network,
                    rate,
                    duration,
                    records,
                    casts,
                    seed,
                    phase_gap_ms,
                    drain,
                    json,
                    max_batch,
                    validators,
                },
        } => cmd::bench::load(&cmd::bench::LoadOptions {
            network,
            rate,
            duration,
            records,
            casts,
            seed,
            phase_gap: std::time::Duration::from_millis(phase_gap_ms),
            drain,
            json,
            max_batch,
            validators,
        }),
        Command::Bench {
            command:
                BenchCommand::Fixture {
                    records,
                    out,
                    casts,
                    seed,
                    block_txs,
                    state_versions_kept,
                },
        } => cmd::fixture::fixture(&cmd::fixture::FixtureOptions {
            records,
            out,
            casts,
            seed,
            block_txs,
            state_versions_kept,
        }),
        Command::Bench {
            command:
                BenchCommand::Read {
                    dir,
                    samples,
                    block_cache_mb,
                },
        } => cmd::fixture::read(&cmd::fixture::ReadOptions {
            dir,
            samples,
            block_cache_mb,
        }),
        Command::Bench {
            command:
                BenchCommand::Capture {
                    node,
                    token_file,
                    documents,
                    events,
                    clients,
                },
        } => cmd::epcis::bench_capture(&node, &token_file, documents, events, clients),
        Command::Keys {
            command: KeysCommand::Generate { out },
        } => cmd::keys::generate(&out),
        Command::Gs1 {
            command: Gs1Command::Check { code },
        } => cmd::gs1::check(&code),
        Command::Trace {
            code,
            node,
            key,
            out,
            genesis,
        } => cmd::read::trace(
            &node,
            &code,
            key.as_deref(),
            out.as_deref(),
            genesis.as_deref(),
        ),
        Command::Recall {
            batch,
            node,
            key,
            issue,
            reference,
            reason,
        } => cmd::read::recall(&cmd::read::RecallOptions {
            node: &node,
            batch: &batch,
            key: key.as_deref(),
            issue: match (issue, reference.as_deref(), reason.as_deref()) {
                (true, Some(r), Some(why)) => Some((r, why)),
                _ => None,
            },
        }),
        Command::Doc {
            command:
                DocCommand::Verify {
                    file,
                    node,
                    key,
                    genesis,
                },
        } => cmd::read::doc_verify(&node, &file, key.as_deref(), genesis.as_deref()),
        Command::Proof {
            command:
                ProofCommand::Verify {
                    file,
                    genesis,
                    audit,
                },
        } => cmd::read::proof_verify(&file, genesis.as_deref(), audit.as_deref()),
        Command::Audit {
            command:
                AuditCommand::Chain {
                    genesis,
                    data_dir,
                    export,
                    node,
                    key,
                    json,
                    threads,
                },
        } => {
            let source = match (data_dir, export, node) {
                (Some(d), _, _) => cmd::chain_audit::ChainSource::DataDir(d),
                (_, Some(f), _) => cmd::chain_audit::ChainSource::Export(f),
                (_, _, Some(url)) => cmd::chain_audit::ChainSource::Node { url, key },
                (None, None, None) => {
                    eprintln!("error: one of --data-dir, --export or --node is needed");
                    return ExitCode::from(2);
                }
            };
            cmd::chain_audit::audit_chain(&cmd::chain_audit::ChainAuditOptions {
                source,
                genesis,
                json,
                threads,
            })
        }
        Command::Export {
            node,
            key,
            out,
            from,
            to,
        } => cmd::chain_audit::export(&node, key.as_deref(), &out, from, to),
        Command::Audit {
            command:
                AuditCommand::Package {
                    file,
                    genesis,
                    json,
                },
        } => cmd::read::audit_package(&file, &genesis, json),
        Command::Audit {
            command:
                AuditCommand::Fetch {
                    code,
                    node,
                    key,
                    out,
                    genesis,
                },
        } => cmd::read::audit_fetch(&node, &code, key.as_deref(), &out, &genesis),
        Command::Openapi => {
            let doc = node::api::openapi();
            match serde_json::to_string_pretty(&doc) {
                Ok(text) => {
                    println!("{text}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::from(2)
                }
            }
        }
        Command::Epcis { command } => match command {
            EpcisCommand::Validate { file } => cmd::epcis::validate(&file),
            EpcisCommand::Hash { file } => cmd::epcis::hash(&file),
            EpcisCommand::Capture {
                file,
                key,
                node,
                wait,
            } => cmd::epcis::capture(&file, &key, &node, wait),
            EpcisCommand::Map { file, trace_mode } => {
                cmd::epcis::map(&file, trace_mode.map(Into::into))
            }
        },
    }
}
