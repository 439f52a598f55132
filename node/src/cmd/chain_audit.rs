//! `tracechain export` and `tracechain audit chain` (ADR 0087): save a node's chain, and
//! verify a whole chain from its genesis — from a data directory opened read-only, an export
//! file, or a node's export stream — trusting no node.
//!
//! Exit codes: 0 verified, 1 a check failed (the message names the height, the transaction
//! and the reason) or the node refused, 2 the command could not run.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use serde_json::Value;
use tracechain_audit::export::{ExportReader, DEFAULT_MAX_FRAME_BYTES};
use tracechain_audit::{
    compare_stored_state, replay, DataDirBlocks, ExportBlocks, Failure, Outcome, Progress,
    ReplayOptions, SourceItem,
};
use tracechain_contracts::genesis::Genesis;
use tracechain_storage::{ChainIdentity, Store, StoreOptions};

use super::read::{finish, refused, Reader};

/// Where `audit chain` reads the chain from.
#[derive(Debug)]
pub enum ChainSource {
    /// A node's data directory, opened read-only.
    DataDir(PathBuf),
    /// An export file.
    Export(PathBuf),
    /// A node's `GET /v1/export`, signed with a regulator's key.
    Node {
        /// The node's API.
        url: String,
        /// The reader's key file.
        key: Option<PathBuf>,
    },
}

/// Options of `audit chain`.
#[derive(Debug)]
pub struct ChainAuditOptions {
    /// The chain.
    pub source: ChainSource,
    /// The consortium's genesis file.
    pub genesis: PathBuf,
    /// Print the summary as JSON (only the chain's facts: the same bytes every run).
    pub json: bool,
    /// Signature threads (default: every core).
    pub threads: Option<usize>,
}

/// `tracechain audit chain`.
pub fn audit_chain(o: &ChainAuditOptions) -> ExitCode {
    finish(run(o))
}

fn run(o: &ChainAuditOptions) -> anyhow::Result<bool> {
    let genesis = crate::config::GenesisFile::load(&o.genesis)?.genesis;
    let built = genesis
        .build()
        .map_err(|e| anyhow::anyhow!("{}: {e}", o.genesis.display()))?;
    let identity = ChainIdentity {
        chain_id: genesis.chain_id.clone(),
        genesis_hash: built.block.hash(),
    };
    let mut opts = ReplayOptions {
        now_ms: Some(crate::node::now_ms()),
        ..ReplayOptions::default()
    };
    if let Some(t) = o.threads {
        if t == 0 {
            bail!("--threads must be positive");
        }
        opts.verify_threads = t;
    }
    let started = Instant::now();
    let (outcome, stored) = match &o.source {
        ChainSource::DataDir(dir) => {
            let store = Store::open_read_only(dir, &identity, &StoreOptions::default())
                .with_context(|| format!("opening {} read-only", dir.display()))?;
            let blocks = DataDirBlocks::new(&store).map_err(anyhow::Error::msg)?;
            let tip = blocks.tip();
            let mut bar = Bar::new(Some(tip), started);
            let mut outcome =
                replay(&genesis, blocks, opts, &mut |p| bar.show(p)).map_err(anyhow::Error::msg)?;
            bar.done();
            // The directory's own state, at its tip, against the replay.
            let stored = if outcome.summary.verified {
                let r = compare_stored_state(&store, &outcome);
                if let Err(f) = &r {
                    outcome.summary.verified = false;
                    outcome.summary.failure = Some(f.clone());
                }
                Some(r.is_ok())
            } else {
                None
            };
            (outcome, stored)
        }
        ChainSource::Export(file) => {
            let f =
                std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
            (audit_export(f, &genesis, &identity, opts, started)?, None)
        }
        ChainSource::Node { url, key } => {
            let reader = Reader::new(url, key.as_deref())?;
            let resp = reader.stream("/v1/export")?;
            let status = resp.status().as_u16();
            if status != 200 {
                let v: Value = resp.json().unwrap_or(Value::Null);
                refused(status, &v);
                return Ok(false);
            }
            (
                audit_export(resp, &genesis, &identity, opts, started)?,
                None,
            )
        }
    };
    report(&outcome, stored, started.elapsed(), o.json)?;
    Ok(outcome.summary.verified)
}

/// Replay an export stream after checking that it is of this genesis and starts at height 1.
fn audit_export<R: Read + Send>(
    input: R,
    genesis: &Genesis,
    identity: &ChainIdentity,
    opts: ReplayOptions,
    started: Instant,
) -> anyhow::Result<Outcome> {
    let input = std::io::BufReader::with_capacity(1 << 20, input);
    let reader = ExportReader::new(input, DEFAULT_MAX_FRAME_BYTES)?;
    let h = reader.header().clone();
    if h.chain_id != identity.chain_id || h.genesis_hash != identity.genesis_hash {
        // Reported as a failure of the chain, before any block: it is not this consortium's.
        let f = Failure {
            height: 0,
            transaction: None,
            check: "genesis",
            reason: format!(
                "the export is of chain {} with genesis {}; the genesis file given is of chain {} with genesis {}",
                h.chain_id.as_str(),
                h.genesis_hash,
                identity.chain_id.as_str(),
                identity.genesis_hash
            ),
        };
        let mut o = replay(genesis, std::iter::empty::<SourceItem>(), opts, &mut |_| {})
            .map_err(anyhow::Error::msg)?;
        o.summary.verified = false;
        o.summary.failure = Some(f);
        return Ok(o);
    }
    if h.from != 1 {
        bail!(
            "the export starts at height {}: a replay from genesis needs an export from height 1",
            h.from
        );
    }
    let mut bar = Bar::new(Some(h.to), started);
    let outcome = replay(genesis, ExportBlocks::new(reader), opts, &mut |p| {
        bar.show(p)
    })
    .map_err(anyhow::Error::msg)?;
    bar.done();
    Ok(outcome)
}

/// Progress on standard error: a bar redrawn in place on a terminal, a plain line every
/// ten seconds otherwise.
struct Bar {
    to: Option<u64>,
    started: Instant,
    last: Instant,
    terminal: bool,
    drawn: bool,
}

impl Bar {
    fn new(to: Option<u64>, started: Instant) -> Bar {
        Bar {
            to,
            started,
            last: started,
            terminal: std::io::stderr().is_terminal(),
            drawn: false,
        }
    }

    fn show(&mut self, p: Progress) {
        let every = if self.terminal {
            Duration::from_millis(200)
        } else {
            Duration::from_secs(10)
        };
        if self.last.elapsed() < every {
            return;
        }
        self.last = Instant::now();
        let secs = self.started.elapsed().as_secs_f64().max(1e-9);
        let rate = p.transactions as f64 / secs;
        let line = match self.to {
            Some(to) if to > 0 => {
                let done = (p.height as f64 / to as f64).min(1.0);
                let filled = (done * 30.0) as usize;
                format!(
                    "[{}{}] {:>3.0}% height {}/{} · {} records · {:.0} records/s",
                    "#".repeat(filled),
                    ".".repeat(30 - filled),
                    done * 100.0,
                    p.height,
                    to,
                    p.transactions,
                    rate
                )
            }
            _ => format!(
                "height {} · {} records · {:.0} records/s",
                p.height, p.transactions, rate
            ),
        };
        let mut e = std::io::stderr().lock();
        if self.terminal {
            let _ = write!(e, "\r{line}\x1b[K");
            self.drawn = true;
        } else {
            let _ = writeln!(e, "{line}");
        }
    }

    fn done(&mut self) {
        if self.drawn {
            let _ = writeln!(std::io::stderr());
        }
    }
}

fn report(o: &Outcome, stored: Option<bool>, took: Duration, as_json: bool) -> anyhow::Result<()> {
    // A closed pipe (`| head`) ends the output, not the audit's verdict (its exit code).
    match write_report(&mut std::io::stdout().lock(), o, stored, took, as_json) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => Ok(r?),
    }
}

fn write_report(
    out: &mut impl Write,
    o: &Outcome,
    stored: Option<bool>,
    took: Duration,
    as_json: bool,
) -> std::io::Result<()> {
    let s = &o.summary;
    let secs = took.as_secs_f64();
    let rate = s.transactions as f64 / secs.max(1e-9);
    if as_json {
        writeln!(out, "{}", serde_json::to_string_pretty(s)?)?;
        // Times are not the chain's facts: they go to standard error, so the JSON is the
        // same bytes on every run.
        eprintln!(
            "{} records in {secs:.2} s ({rate:.0} records/s); {}",
            s.transactions,
            stage_times(o)
        );
        return Ok(());
    }
    match &s.failure {
        None => writeln!(
            out,
            "chain {} VERIFIED from genesis {}: {} blocks, {} records",
            s.chain_id, s.genesis_hash, s.blocks, s.transactions
        )?,
        Some(f) => writeln!(
            out,
            "chain {} FAILED at height {}{}: {} check failed: {}",
            s.chain_id,
            f.height,
            f.transaction
                .map(|i| format!(", transaction {i}"))
                .unwrap_or_default(),
            f.check,
            f.reason
        )?,
    }
    writeln!(
        out,
        "  last verified block {} ({}), state root {}",
        s.last_height, s.last_hash, s.state_root
    )?;
    if stored == Some(true) {
        writeln!(
            out,
            "  the data directory's state at its tip equals the replay"
        )?;
    }
    writeln!(out, "  validators over time:")?;
    for p in &s.validators {
        let names: Vec<&str> = p.validators.iter().map(|v| v.name.as_str()).collect();
        writeln!(
            out,
            "    from height {:>8}: {} ({} validators, set {})",
            p.from_height,
            names.join(", "),
            p.validators.len(),
            &p.set_hash[..16]
        )?;
    }
    if s.view_change_blocks > 0 {
        writeln!(
            out,
            "  blocks committed after a view change: {}",
            s.view_change_blocks
        )?;
    }
    writeln!(out, "  records by kind:")?;
    for (k, n) in &s.records_by_kind {
        writeln!(out, "    {k:<32} {n:>10}")?;
    }
    writeln!(out, "  state keys: {}", s.state_keys)?;
    writeln!(
        out,
        "  took {secs:.2} s: {rate:.0} records/s ({:.0} blocks/s)",
        s.blocks as f64 / secs.max(1e-9)
    )?;
    writeln!(out, "  {}", stage_times(o))?;
    Ok(())
}

/// Each stage's busy time (the stages run at once, on every core).
fn stage_times(o: &Outcome) -> String {
    let t = &o.times;
    format!(
        "busy time per stage: read {:.2} s, signatures and roots {:.2} s, headers and \
         execution {:.2} s, state root {:.2} s",
        t.read_s, t.verify_s, t.execute_s, t.root_s
    )
}

/// `tracechain export`: save a node's chain export to `out` (written to a temporary file
/// first, renamed once the whole export arrived and reads back complete).
pub fn export(
    node: &str,
    key: Option<&Path>,
    out: &Path,
    from: Option<u64>,
    to: Option<u64>,
) -> ExitCode {
    let r = (|| -> anyhow::Result<bool> {
        let reader = Reader::new(node, key)?;
        let mut query = Vec::new();
        if let Some(f) = from {
            query.push(format!("from={f}"));
        }
        if let Some(t) = to {
            query.push(format!("to={t}"));
        }
        let target = if query.is_empty() {
            "/v1/export".to_string()
        } else {
            format!("/v1/export?{}", query.join("&"))
        };
        let mut resp = reader.stream(&target)?;
        let status = resp.status().as_u16();
        if status != 200 {
            let v: Value = resp.json().unwrap_or(Value::Null);
            refused(status, &v);
            return Ok(false);
        }
        let partial = out.with_extension("partial");
        let mut f = std::fs::File::create(&partial)
            .with_context(|| format!("creating {}", partial.display()))?;
        let bytes = std::io::copy(&mut resp, &mut f)
            .with_context(|| format!("receiving the export into {}", partial.display()))?;
        f.sync_all()?;
        drop(f);
        // Read it back whole: a stream cut short has no end frame.
        let mut reader = ExportReader::new(
            std::io::BufReader::new(std::fs::File::open(&partial)?),
            DEFAULT_MAX_FRAME_BYTES,
        )?;
        let header = reader.header().clone();
        let mut blocks = 0u64;
        while reader.next_block()?.is_some() {
            blocks += 1;
        }
        std::fs::rename(&partial, out)
            .with_context(|| format!("renaming {} to {}", partial.display(), out.display()))?;
        println!(
            "saved {} ({bytes} bytes): chain {}, blocks {}..={} ({blocks} blocks); verify it with \
             `tracechain audit chain --export {} --genesis GENESIS`",
            out.display(),
            header.chain_id.as_str(),
            header.from,
            header.to,
            out.display()
        );
        Ok(true)
    })();
    finish(r)
}
