//! `tracechain bench load`: the open-loop load generator and its exact accounting.
//!
//! 1. **Ceiling.** The machine's signature-verification rate is measured first, on every
//!    core, with the verifier the nodes use (`VerifiedTx::verify_each`, batches of 256) on
//!    transactions of the run itself; divided by the verifications a record needs across the
//!    validators (one each) it is the rate no consortium on this machine can pass.
//! 2. **Set-up (not timed).** `--casts` casts of signers (`tracechain_workload::mix`: a
//!    producer with its own GS1 prefix, its trading platform, payment institution, logistics
//!    firm, customs broker and a consumer) are registered, approved and related through
//!    ordinary transactions signed by the genesis regulators. Their keys derive from `--seed`,
//!    so a later run on the same chain finds them set up and skips what is committed.
//! 3. **Schedule.** Batches start at `rate / 18` per second for `duration`; a batch's four
//!    phases are `--phase-gap-ms` apart (a phase's records read what the previous committed).
//!    Every record gets its intended send time; each signer's sequences follow that order; all
//!    are signed before the clock starts. A cast's signers always use the same node (casts are
//!    spread over every node), so a signer's sequence never reaches a node with a gap.
//! 4. **Open loop.** Per node, every few milliseconds, the records whose time has come are
//!    posted in one `POST /v1/txs/batch`, without waiting for earlier answers: a slow node
//!    cannot slow the offered load. Commits are observed from one validator's blocks; latency
//!    is the time from a record's *intended* send time to the moment its block was seen, so a
//!    queue anywhere (generator, node, consensus) shows in it.
//! 5. **Accounting.** After a drain, every block of the run is read from every node: the
//!    block hashes must agree; every record seen committed must be in the chain exactly once;
//!    no transaction other than the run's may be in it. Refusals are counted by rule and code.
//!
//! Exit 0 when the accounting holds, 1 when it does not (the report says what), 2 when the
//! command could not run.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use serde::Serialize;
use serde_json::Value;
use tracechain_contracts::VerifiedTx;
use tracechain_types::{encode, ChainId, Ed25519, Hash, PublicKey, SecretKey, Transaction, TxBody};
use tracechain_workload::mix;

use super::client::{Api, Network, StageRunner};

/// Options of `bench load`.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// `network.json`.
    pub network: PathBuf,
    /// Offered records per second.
    pub rate: f64,
    /// How long batches start (seconds).
    pub duration: Duration,
    /// The record mix (`standard`).
    pub records: String,
    /// Casts of signers.
    pub casts: usize,
    /// Seed of the casts' keys.
    pub seed: u64,
    /// Time between a batch's phases.
    pub phase_gap: Duration,
    /// How long to wait for the last records after the schedule ends.
    pub drain: Duration,
    /// Write the report as JSON here too.
    pub json: Option<PathBuf>,
    /// Most transactions per posted batch.
    pub max_batch: usize,
    /// Validators the ceiling divides by (default: those of `network.json`).
    pub validators: Option<usize>,
}

/// What a run measured.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    /// Nodes the records were sent to.
    pub nodes: usize,
    /// Validators.
    pub validators: usize,
    /// Offered records per second.
    pub offered_rate: f64,
    /// Seconds batches started.
    pub duration_s: f64,
    /// Records scheduled.
    pub scheduled: usize,
    /// Records accepted by a node (pending or committed answer).
    pub accepted: usize,
    /// Records seen committed.
    pub committed: usize,
    /// Committed per second over the whole run (first send to last commit).
    pub committed_per_s: f64,
    /// Committed per second in the steady window (every phase of the mix running).
    pub steady_committed_per_s: f64,
    /// The steady window (seconds from the start).
    pub steady_window_s: (f64, f64),
    /// Commit latency from the intended send time (ms): p50, p99, max.
    pub latency_ms_p50: f64,
    /// p99.
    pub latency_ms_p99: f64,
    /// max.
    pub latency_ms_max: f64,
    /// Refusals by `rule code`, and records given up after their retries.
    pub rejected: BTreeMap<String, usize>,
    /// Records sent again, by reason (node unreachable, busy, sequence gap).
    pub retried: BTreeMap<String, usize>,
    /// Accepted but never seen committed (a client would send them again).
    pub accepted_not_committed: usize,
    /// Seen committed, then absent from the chain read at the end: lost.
    pub acknowledged_missing: usize,
    /// Seen committed more than once.
    pub duplicates: usize,
    /// In the chain but not the run's.
    pub unexpected: usize,
    /// Heights whose block hash differs between nodes.
    pub diverging_heights: usize,
    /// Blocks of the run.
    pub blocks: u64,
    /// Signature verifications per second on this machine (all cores).
    pub verify_per_s: f64,
    /// Verifications a record needs across the validators (one each).
    pub verifications_per_record: usize,
    /// The physical ceiling (records/s).
    pub ceiling_per_s: f64,
    /// steady committed / ceiling.
    pub ceiling_ratio: f64,
}

impl Report {
    /// Whether the accounting holds.
    pub fn holds(&self) -> bool {
        self.acknowledged_missing == 0
            && self.duplicates == 0
            && self.unexpected == 0
            && self.diverging_heights == 0
    }
}

/// Run `bench load`.
pub fn load(opts: &LoadOptions) -> ExitCode {
    match run(opts) {
        Ok(report) => {
            print_report(&report);
            if let Some(path) = &opts.json {
                let text = serde_json::to_string_pretty(&report).unwrap_or_default();
                if let Err(e) = std::fs::write(path, text + "\n") {
                    eprintln!("error: writing {}: {e}", path.display());
                    return ExitCode::from(2);
                }
            }
            if report.holds() {
                ExitCode::SUCCESS
            } else {
                eprintln!("error: the accounting does not hold (see above)");
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn print_report(r: &Report) {
    println!();
    println!(
        "offered {:.0} records/s for {:.0} s to {} nodes ({} validators): {} scheduled, {} accepted",
        r.offered_rate, r.duration_s, r.nodes, r.validators, r.scheduled, r.accepted
    );
    println!(
        "committed {} records in {} blocks: {:.0} records/s over the run, {:.0} records/s in the steady window {:.0}–{:.0} s",
        r.committed, r.blocks, r.committed_per_s, r.steady_committed_per_s, r.steady_window_s.0, r.steady_window_s.1
    );
    println!(
        "commit latency from the intended send time: p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        r.latency_ms_p50, r.latency_ms_p99, r.latency_ms_max
    );
    if !r.retried.is_empty() {
        println!("sent again (answered: try again):");
        for (k, n) in &r.retried {
            println!("  {n:>8}  {k}");
        }
    }
    if r.rejected.is_empty() {
        println!("rejected: none");
    } else {
        println!("rejected:");
        for (k, n) in &r.rejected {
            println!("  {n:>8}  {k}");
        }
    }
    println!(
        "ceiling: {:.0} signature verifications/s on this machine / {} per record = {:.0} records/s; steady rate is {:.1} % of it",
        r.verify_per_s, r.verifications_per_record, r.ceiling_per_s, r.ceiling_ratio * 100.0
    );
    println!(
        "accounting: {} seen committed and missing at the end, {} duplicated, {} unexpected, {} heights diverging — {}; {} accepted but not committed (a client sends them again)",
        r.acknowledged_missing,
        r.duplicates,
        r.unexpected,
        r.diverging_heights,
        if r.holds() { "holds" } else { "DOES NOT HOLD" },
        r.accepted_not_committed
    );
}

/// One record of the schedule.
struct Planned {
    /// Intended send time (µs from the start).
    at_us: u64,
    /// Index of the node it goes to.
    node: usize,
    /// Cast and role of its signer.
    cast: usize,
    role: usize,
    payload: tracechain_types::Payload,
}

/// A signed record, ready to send.
struct Ready {
    at_us: u64,
    node: usize,
    cast: usize,
    role: usize,
    tx: Transaction,
}

fn run(opts: &LoadOptions) -> anyhow::Result<Report> {
    if opts.records != "standard" {
        bail!(
            "--records {}: the only mix is `standard` (the contracts benchmark's 18 records per batch)",
            opts.records
        );
    }
    if !(opts.rate.is_finite() && opts.rate > 0.0 && opts.rate <= 1_000_000.0) {
        bail!("--rate must be a number of records per second in (0, 1000000]");
    }
    if opts.duration.is_zero() || opts.duration > Duration::from_secs(86_400) {
        bail!("--duration must be positive and at most a day");
    }
    if opts.casts == 0 || opts.casts > 10_000 || opts.max_batch == 0 {
        bail!("--casts must be 1-10000 and --max-batch positive");
    }
    if opts.phase_gap > Duration::from_secs(600) || opts.drain > Duration::from_secs(3600) {
        bail!("--phase-gap-ms must be at most 600000 and --drain at most 3600");
    }
    if opts.rate * opts.duration.as_secs_f64() > 20_000_000.0 {
        bail!("--rate × --duration is over 20,000,000 records: the schedule is signed in memory");
    }

    let net = Network::read(&opts.network)?;
    let chain = net.chain()?;
    let api = Api::new(Duration::from_secs(30))?;
    api.wait_ready(&net.nodes, Duration::from_secs(120))?;
    let validators = opts
        .validators
        .unwrap_or_else(|| net.nodes.iter().filter(|n| n.role == "validator").count());

    // Set-up of the casts.
    let mut keys: BTreeMap<String, SecretKey> = BTreeMap::new();
    let mut regulators = Vec::new();
    for (name, _) in net.participants.iter() {
        if name.ends_with("-regulator") {
            keys.insert(name.clone(), net.key(name)?);
            regulators.push(name.clone());
        }
    }
    let mut cast_keys: Vec<Vec<SecretKey>> = Vec::new();
    for c in 0..opts.casts {
        let ks: Vec<SecretKey> = (0..mix::ROLES.len())
            .map(|r| mix::cast_key(opts.seed, c, r))
            .collect();
        for (name, k) in mix::cast_names(c).iter().zip(&ks) {
            keys.insert(name.clone(), SecretKey::from_seed(k.seed()));
        }
        cast_keys.push(ks);
    }
    let publics: BTreeMap<String, PublicKey> =
        keys.iter().map(|(n, k)| (n.clone(), k.public())).collect();
    let node_count = net.nodes.len();
    let cast_node = |c: usize| c % node_count;
    let node_of = |name: &str| -> String {
        let c = name
            .strip_prefix("bench-")
            .and_then(|r| r.split('-').next())
            .and_then(|c| c.parse::<usize>().ok());
        match c {
            Some(c) => net.nodes[cast_node(c)].api.clone(),
            None => net.nodes[0].api.clone(),
        }
    };
    let runner = StageRunner {
        api: &api,
        chain: &chain,
        keys: &keys,
        node_of: &node_of,
        timeout: Duration::from_secs(120),
        nodes: &net.nodes,
    };
    let stages =
        mix::setup(&publics, opts.casts, &regulators).map_err(|e| anyhow::anyhow!("{e}"))?;
    // The casts of this seed are set up on this chain, all or none: a producer that signed
    // anything has been through the whole set-up (it registered in the first stage, its
    // material batch is the last).
    let committed = runner.committed()?;
    let producers: Vec<u64> = (0..opts.casts)
        .map(|c| committed[&mix::cast_names(c)[0]])
        .collect();
    let t = Instant::now();
    if producers.iter().all(|&p| p > 0) {
        println!(
            "set-up: the {} casts of seed {} are on this chain already",
            opts.casts, opts.seed
        );
    } else if producers.iter().any(|&p| p > 0) {
        bail!(
            "some casts of seed {} are set up on this chain and others not (another --casts earlier?): use another --seed",
            opts.seed
        );
    } else {
        // The regulators may have signed other records: their set-up records follow them.
        runner.run_after(&stages, &committed, &mut |_, stage, done| {
            println!("set-up: {} ({} records)", stage.title, done.len());
            Ok(())
        })?;
        println!("set-up of {} casts done in {:.1?}", opts.casts, t.elapsed());
    }

    // The schedule.
    let per_unit = mix::RECORDS_PER_UNIT as f64;
    let units = ((opts.rate * opts.duration.as_secs_f64()) / per_unit).ceil() as usize;
    let unit_gap_us = 1e6 * per_unit / opts.rate;
    let gap_us = opts.phase_gap.as_micros() as u64;
    let mut next_seq: Vec<Vec<u64>> = Vec::new();
    let mut first_n: Vec<u64> = Vec::new();
    for (c, ks) in cast_keys.iter().enumerate() {
        let base = &net.nodes[cast_node(c)].api;
        let mut seqs = Vec::new();
        for k in ks {
            seqs.push(api.sequences(base, &k.public())?.0);
        }
        // A batch number never used on this chain before: every batch took 6 of the
        // producer's sequence numbers.
        first_n.push(seqs[0]);
        next_seq.push(seqs);
    }
    let mut plan: Vec<Planned> = Vec::with_capacity(units * mix::RECORDS_PER_UNIT);
    for i in 0..units {
        let c = i % opts.casts;
        let n = first_n[c] + (i / opts.casts) as u64;
        let start = (i as f64 * unit_gap_us) as u64;
        for (p, phase) in mix::unit(c, n).into_iter().enumerate() {
            for step in phase {
                let role = mix::ROLES
                    .iter()
                    .position(|r| step.signer.ends_with(&format!("-{r}")))
                    .context("a mix step names a cast role")?;
                plan.push(Planned {
                    at_us: start + p as u64 * gap_us,
                    node: cast_node(c),
                    cast: c,
                    role,
                    payload: step.payload,
                });
            }
        }
    }
    plan.sort_by_key(|p| p.at_us);
    let height = api.status(&net.nodes[0].api)?["height"]
        .as_u64()
        .unwrap_or(0);
    let expiry = height + 50_000;
    let t = Instant::now();
    let ready = sign_all(plan, &cast_keys, &mut next_seq, &chain, expiry);
    println!(
        "signed {} records of {} batches in {:.1?} (not timed)",
        ready.len(),
        units,
        t.elapsed()
    );

    // The ceiling, on this run's transactions.
    let verify_per_s = measure_verification(&ready, &chain, Duration::from_secs(3));
    println!("signature verification: {verify_per_s:.0} per second on this machine");

    let mut report = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?
        .block_on(open_loop(&net, ready, opts, height))?;
    report.validators = validators;
    report.verify_per_s = verify_per_s;
    report.verifications_per_record = validators.max(1);
    report.ceiling_per_s = verify_per_s / validators.max(1) as f64;
    report.ceiling_ratio = if report.ceiling_per_s > 0.0 {
        report.steady_committed_per_s / report.ceiling_per_s
    } else {
        0.0
    };
    Ok(report)
}

/// Sign the schedule (on every core), each signer's sequences in schedule order.
fn sign_all(
    plan: Vec<Planned>,
    keys: &[Vec<SecretKey>],
    next_seq: &mut [Vec<u64>],
    chain: &ChainId,
    expiry: u64,
) -> Vec<Ready> {
    let bodies: Vec<(u64, usize, usize, usize, TxBody)> = plan
        .into_iter()
        .map(|p| {
            let seq = &mut next_seq[p.cast][p.role];
            let body = TxBody {
                signer: keys[p.cast][p.role].public(),
                sequence: *seq,
                expiry_height: expiry,
                payload: p.payload,
            };
            *seq += 1;
            (p.at_us, p.node, p.cast, p.role, body)
        })
        .collect();
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let chunk = bodies.len().div_ceil(threads).max(1);
    let mut out: Vec<Ready> = Vec::with_capacity(bodies.len());
    std::thread::scope(|s| {
        let handles: Vec<_> = bodies
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    part.iter()
                        .map(|(at_us, node, c, r, body)| Ready {
                            at_us: *at_us,
                            node: *node,
                            cast: *c,
                            role: *r,
                            tx: body.clone().sign(chain, &keys[*c][*r]),
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for h in handles {
            out.extend(h.join().unwrap_or_default());
        }
    });
    out
}

/// Signature verifications per second with every core busy (batches of 256, as admission
/// checks them).
fn measure_verification(ready: &[Ready], chain: &ChainId, time: Duration) -> f64 {
    let sample: Vec<Transaction> = ready.iter().take(4096).map(|r| r.tx.clone()).collect();
    if sample.is_empty() {
        return 0.0;
    }
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let start = Instant::now();
    let total: usize = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let sample = &sample;
                s.spawn(move || {
                    let mut done = 0usize;
                    while start.elapsed() < time {
                        for part in sample.chunks(256) {
                            let ok = VerifiedTx::verify_each(part.to_vec(), chain, &Ed25519);
                            done += ok.iter().filter(|r| r.is_ok()).count();
                        }
                    }
                    done
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or(0)).sum()
    });
    total as f64 / start.elapsed().as_secs_f64()
}

/// A cast's lane: its node and its records (schedule index, signer's role, encoded
/// transaction).
type Lane = (usize, Vec<(usize, usize, Vec<u8>)>);

/// What the sender and the watcher share.
#[derive(Default)]
struct Books {
    /// Transaction id → index in the schedule.
    index: HashMap<Hash, usize>,
    /// Accepted by a node.
    accepted: Vec<bool>,
    /// When seen committed (µs from the start).
    committed_us: Vec<Option<u64>>,
    rejected: BTreeMap<String, usize>,
    /// Sends that were answered "try again" (and were sent again), by reason.
    retried: BTreeMap<String, usize>,
    /// When the last lane finished sending.
    send_end: Option<Instant>,
}

async fn open_loop(
    net: &Network,
    ready: Vec<Ready>,
    opts: &LoadOptions,
    start_height: u64,
) -> anyhow::Result<Report> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(64)
        .build()?;
    let mut books = Books {
        accepted: vec![false; ready.len()],
        committed_us: vec![None; ready.len()],
        ..Default::default()
    };
    let at: Vec<u64> = ready.iter().map(|r| r.at_us).collect();
    // One lane per cast: a cast's records go to its node in order, one request at a time (a
    // signer's sequence must not reach the node out of order); the casts' lanes run at once.
    let mut lanes: BTreeMap<usize, Lane> = BTreeMap::new();
    for (i, r) in ready.into_iter().enumerate() {
        books.index.insert(r.tx.id(), i);
        lanes
            .entry(r.cast)
            .or_insert_with(|| (r.node, Vec::new()))
            .1
            .push((i, r.role, encode(&r.tx)));
    }
    let scheduled = at.len();
    let books = Arc::new(Mutex::new(books));
    let start = Instant::now();
    let done_sending = Arc::new(std::sync::atomic::AtomicBool::new(false));

    // The watcher: one validator's new blocks.
    let watch_bases: Vec<String> = net.nodes.iter().map(|n| n.api.clone()).collect();
    let watcher = {
        let http = http.clone();
        let books = books.clone();
        let done_sending = done_sending.clone();
        let drain = opts.drain;
        tokio::spawn(async move {
            watch_commits(
                http,
                watch_bases,
                books,
                start,
                start_height,
                done_sending,
                drain,
            )
            .await
        })
    };

    // The senders.
    let mut senders = Vec::new();
    for (node, records) in lanes.into_values() {
        let http = http.clone();
        let base = net.nodes[node].api.clone();
        let books = books.clone();
        let at = at.clone();
        let max_batch = opts.max_batch;
        let deadline = (opts.duration + 3 * opts.phase_gap + opts.drain).as_micros() as u64;
        senders.push(tokio::spawn(async move {
            send_node(http, base, records, at, books, start, max_batch, deadline).await
        }));
    }
    for s in senders {
        s.await?;
    }
    if let Ok(mut b) = books.lock() {
        b.send_end = Some(Instant::now());
    }
    done_sending.store(true, std::sync::atomic::Ordering::SeqCst);
    let end_height = watcher.await??;
    let elapsed_us = start.elapsed().as_micros() as u64;

    // Accounting over every node's blocks.
    let mut report = account(net, &http, &books, start_height, end_height).await?;
    let b = books
        .lock()
        .map_err(|_| anyhow::anyhow!("books poisoned"))?;
    let mut lat: Vec<u64> = Vec::new();
    let steady = (
        3.0 * opts.phase_gap.as_secs_f64(),
        opts.duration.as_secs_f64(),
    );
    let mut in_window = 0usize;
    let mut last_commit = 0u64;
    for (i, c) in b.committed_us.iter().enumerate() {
        if let Some(c) = c {
            lat.push(c.saturating_sub(at[i]));
            last_commit = last_commit.max(*c);
            let s = *c as f64 / 1e6;
            if s >= steady.0 && s < steady.1 {
                in_window += 1;
            }
        }
    }
    lat.sort_unstable();
    let pct = |p: f64| -> f64 {
        if lat.is_empty() {
            return 0.0;
        }
        let i = ((lat.len() as f64 * p).ceil() as usize).clamp(1, lat.len()) - 1;
        lat[i] as f64 / 1000.0
    };
    report.nodes = net.nodes.len();
    report.offered_rate = opts.rate;
    report.duration_s = opts.duration.as_secs_f64();
    report.scheduled = scheduled;
    report.accepted = b.accepted.iter().filter(|a| **a).count();
    report.committed = lat.len();
    report.committed_per_s = lat.len() as f64 / (last_commit.max(1) as f64 / 1e6);
    report.steady_window_s = steady;
    report.steady_committed_per_s = if steady.1 > steady.0 {
        in_window as f64 / (steady.1 - steady.0)
    } else {
        0.0
    };
    report.latency_ms_p50 = pct(0.50);
    report.latency_ms_p99 = pct(0.99);
    report.latency_ms_max = lat.last().map(|v| *v as f64 / 1000.0).unwrap_or(0.0);
    report.rejected = b.rejected.clone();
    report.retried = b.retried.clone();
    report.accepted_not_committed = b
        .accepted
        .iter()
        .zip(&b.committed_us)
        .filter(|(a, c)| **a && c.is_none())
        .count();
    let _ = elapsed_us;
    Ok(report)
}

/// Send one lane's records at their times: every record due is posted in one batch; the next
/// batch leaves when the answer is in (a slow node grows the batches and the latency, which
/// counts from the intended send time). As a client would, a record is sent again (same bytes,
/// so at most once in the chain) when the node could not be reached, was busy, or saw a gap
/// in its signer's sequence (an earlier record still on its way, or lost with a node that was
/// killed); it is given up at `deadline` (µs from the start).
#[allow(clippy::too_many_arguments)]
async fn send_node(
    http: reqwest::Client,
    base: String,
    records: Vec<(usize, usize, Vec<u8>)>,
    at: Vec<u64>,
    books: Arc<Mutex<Books>>,
    start: Instant,
    max_batch: usize,
    deadline: u64,
) {
    const RETRY_US: u64 = 300_000;
    // A record accepted this long ago and not seen committed may have been lost with its node.
    const UNCONFIRMED_US: u64 = 5_000_000;
    let url = format!("{base}/v1/txs/batch");
    let role: HashMap<usize, usize> = records.iter().map(|r| (r.0, r.1)).collect();
    let mut queue: std::collections::VecDeque<(usize, Vec<u8>)> = records
        .into_iter()
        .map(|(i, _, bytes)| (i, bytes))
        .collect();
    // Signers (roles) with a record refused for good: their later records can only leave a
    // gap, so they are not sent (counted once each).
    let mut dead: std::collections::HashSet<usize> = std::collections::HashSet::new();
    let mut skipped = 0usize;
    // (due, schedule index, bytes): sent before the queue's records, in schedule order.
    let mut retry: Vec<(u64, usize, Vec<u8>)> = Vec::new();
    // Accepted and not yet seen committed: (sent at, schedule index, bytes).
    let mut unconfirmed: Vec<(u64, usize, Vec<u8>)> = Vec::new();
    loop {
        if queue.is_empty() && retry.is_empty() {
            // All sent: what a node accepted but did not commit is sent again (a node killed
            // before it passed a record on loses it) until it commits or the deadline.
            if let Ok(b) = books.lock() {
                unconfirmed.retain(|u| b.committed_us[u.1].is_none());
            }
            let now = start.elapsed().as_micros() as u64;
            if unconfirmed.is_empty() || now > deadline {
                break;
            }
            let (old, young): (Vec<_>, Vec<_>) = unconfirmed
                .drain(..)
                .partition(|u| u.0 + UNCONFIRMED_US < now);
            unconfirmed = young;
            if old.is_empty() {
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
            if let Ok(mut b) = books.lock() {
                *b.retried
                    .entry("unconfirmed at the end".into())
                    .or_default() += old.len();
            }
            retry.extend(old.into_iter().map(|(_, i, bytes)| (now, i, bytes)));
        }
        let now = start.elapsed().as_micros() as u64;
        let next_due = retry
            .iter()
            .map(|r| r.0)
            .chain(queue.front().map(|r| at[r.0]))
            .min();
        let Some(next_due) = next_due else { break };
        if now > deadline {
            // Over time: what still waits here was never taken by a node (the generator's own
            // backlog when the chain cannot keep up, or records answered "try again" until now).
            if let Ok(mut b) = books.lock() {
                *b.rejected
                    .entry("given up after retries".into())
                    .or_default() += retry.len();
                *b.rejected
                    .entry("never sent: backlog at the deadline".into())
                    .or_default() += queue.len();
            }
            break;
        }
        if next_due > now {
            tokio::time::sleep(Duration::from_micros((next_due - now).min(5_000))).await;
            continue;
        }
        let mut batch: Vec<(usize, Vec<u8>)> = Vec::new();
        retry.sort_by_key(|r| r.1);
        let mut keep = Vec::new();
        for r in retry.drain(..) {
            if dead.contains(&role[&r.1]) {
                skipped += 1;
            } else if r.0 <= now && batch.len() < max_batch {
                batch.push((r.1, r.2));
            } else {
                keep.push(r);
            }
        }
        retry = keep;
        while batch.len() < max_batch && queue.front().is_some_and(|r| at[r.0] <= now) {
            if let Some(r) = queue.pop_front() {
                if dead.contains(&role[&r.0]) {
                    skipped += 1;
                } else {
                    batch.push(r);
                }
            }
        }
        if batch.is_empty() {
            continue;
        }
        // Borsh Vec<Transaction>: u32 count, then each transaction.
        let mut body = Vec::with_capacity(4 + batch.iter().map(|r| r.1.len()).sum::<usize>());
        let count = u32::try_from(batch.len()).unwrap_or(u32::MAX);
        body.extend_from_slice(&count.to_le_bytes());
        for r in &batch {
            body.extend_from_slice(&r.1);
        }
        let answer = http
            .post(&url)
            .header("content-type", "application/octet-stream")
            .body(body)
            .send()
            .await;
        let parsed: Result<Value, String> = match answer {
            Ok(r) if r.status().is_success() => r.json().await.map_err(|e| e.to_string()),
            Ok(r) => Err(format!("HTTP {}", r.status().as_u16())),
            Err(e) => Err(if e.is_timeout() {
                "HTTP timeout".into()
            } else {
                "HTTP error".into()
            }),
        };
        let sent_at = now;
        let later = start.elapsed().as_micros() as u64 + RETRY_US;
        let Ok(mut b) = books.lock() else { return };
        unconfirmed.retain(|u| b.committed_us[u.1].is_none());
        let mut gap = false;
        match parsed {
            Ok(v) => {
                let results = v["results"].as_array().cloned().unwrap_or_default();
                for (k, (i, bytes)) in batch.into_iter().enumerate() {
                    let r = results.get(k).cloned().unwrap_or(Value::Null);
                    let code = r["code"].as_str().unwrap_or("?");
                    match r["status"].as_str() {
                        Some("pending") | Some("committed") => {
                            b.accepted[i] = true;
                            unconfirmed.push((sent_at, i, bytes));
                        }
                        Some("busy") => {
                            *b.retried.entry("busy".into()).or_default() += 1;
                            retry.push((later, i, bytes));
                        }
                        // A later phase sent before the earlier one committed (the chain
                        // was slow or down): send it again, as a client waiting would.
                        _ if matches!(
                            code,
                            "E_UNKNOWN_TRACE_UNIT" | "E_CUSTOMS_GATE_MISSING_CATEGORIES"
                        ) && !b.accepted[i] =>
                        {
                            *b.retried
                                .entry(format!("waiting for an earlier phase: {code}"))
                                .or_default() += 1;
                            retry.push((later, i, bytes));
                            gap = true;
                        }
                        // A record a node accepted before and now refuses was left out of
                        // a block (or is in the chain): sending it again would only repeat
                        // that, so its signer stops like any refused one.
                        _ if code == "E_BAD_SEQUENCE" && !b.accepted[i] => {
                            *b.retried.entry("R-D3 E_BAD_SEQUENCE".into()).or_default() += 1;
                            retry.push((later, i, bytes));
                            gap = true;
                        }
                        _ => {
                            let key = format!("{} {code}", r["rule"].as_str().unwrap_or("-"));
                            *b.rejected.entry(key).or_default() += 1;
                            dead.insert(role[&i]);
                        }
                    }
                }
            }
            Err(e) => {
                *b.retried.entry(e).or_default() += batch.len();
                retry.extend(batch.into_iter().map(|(i, bytes)| (later, i, bytes)));
            }
        }
        // A gap: an earlier record accepted by the node may have been lost with it (killed
        // before it passed the record on). Send again what is unconfirmed after a second.
        if gap {
            let (old, young): (Vec<_>, Vec<_>) = unconfirmed
                .drain(..)
                .partition(|u| u.0 + UNCONFIRMED_US < sent_at);
            unconfirmed = young;
            *b.retried
                .entry("unconfirmed before a gap".into())
                .or_default() += old.len();
            retry.extend(old.into_iter().map(|(_, i, bytes)| (sent_at, i, bytes)));
        }
    }
    if skipped > 0 {
        if let Ok(mut b) = books.lock() {
            *b.rejected
                .entry("not sent: an earlier record of its signer was refused".into())
                .or_default() += skipped;
        }
    }
}

/// Follow one node's blocks; stop once sending is over and every accepted record committed,
/// or nothing committed for `drain`. Returns the last height read.
async fn watch_commits(
    http: reqwest::Client,
    bases: Vec<String>,
    books: Arc<Mutex<Books>>,
    start: Instant,
    start_height: u64,
    done_sending: Arc<std::sync::atomic::AtomicBool>,
    drain: Duration,
) -> anyhow::Result<u64> {
    let mut h = start_height;
    let mut last_progress = Instant::now();
    let mut k = 0usize;
    loop {
        // Any node will do; when one is down (a crash test kills them) the next is asked.
        let base = &bases[k % bases.len()];
        let top = match get_json(&http, &format!("{base}/v1/status")).await {
            Ok(v) => v["height"].as_u64().unwrap_or(h),
            Err(_) => {
                k += 1;
                h
            }
        };
        while h < top {
            let Ok(block) = get_json(&http, &format!("{base}/v1/blocks/{}", h + 1)).await else {
                k += 1;
                break;
            };
            let seen = start.elapsed().as_micros() as u64;
            let ids: Vec<Hash> = block["tx_ids"]
                .as_array()
                .map(|a| a.iter().filter_map(|v| v.as_str()?.parse().ok()).collect())
                .unwrap_or_default();
            let mut b = books
                .lock()
                .map_err(|_| anyhow::anyhow!("books poisoned"))?;
            for id in ids {
                if let Some(&i) = b.index.get(&id) {
                    if b.committed_us[i].is_none() {
                        b.committed_us[i] = Some(seen);
                    }
                }
            }
            h += 1;
            last_progress = Instant::now();
        }
        if done_sending.load(std::sync::atomic::Ordering::SeqCst) {
            let b = books
                .lock()
                .map_err(|_| anyhow::anyhow!("books poisoned"))?;
            let open = b
                .accepted
                .iter()
                .zip(&b.committed_us)
                .any(|(a, c)| *a && c.is_none());
            // Done when all is in, when nothing commits for `drain`, and at the latest
            // 4 × `drain` after the last send (a run far over capacity would otherwise wait
            // for its whole backlog).
            let since_end = b.send_end.map(|t| t.elapsed()).unwrap_or_default();
            if !open || last_progress.elapsed() > drain || since_end > 4 * drain {
                return Ok(h);
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn get_json(http: &reqwest::Client, url: &str) -> anyhow::Result<Value> {
    let r = http.get(url).send().await?;
    if !r.status().is_success() {
        bail!("GET {url}: {}", r.status());
    }
    Ok(r.json().await?)
}

/// GET with retries for a minute (a node just restarted may not answer yet).
async fn get_patiently(http: &reqwest::Client, url: &str) -> anyhow::Result<Value> {
    let start = Instant::now();
    loop {
        match get_json(http, url).await {
            Ok(v) => return Ok(v),
            Err(e) if start.elapsed() > Duration::from_secs(60) => return Err(e),
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

/// Read blocks `from + 1 ..= to` from every node: hashes must agree, the run's records must
/// be there once each, nothing else may be.
async fn account(
    net: &Network,
    http: &reqwest::Client,
    books: &Arc<Mutex<Books>>,
    from: u64,
    to: u64,
) -> anyhow::Result<Report> {
    let mut report = Report {
        blocks: to.saturating_sub(from),
        ..Default::default()
    };
    let mut reference: Vec<String> = Vec::new();
    for (k, node) in net.nodes.iter().enumerate() {
        let mut seen: HashMap<Hash, usize> = HashMap::new();
        for h in from + 1..=to {
            let block = get_patiently(http, &format!("{}/v1/blocks/{h}", node.api))
                .await
                .with_context(|| format!("{}: block {h}", node.name))?;
            let hash = block["block_hash"].as_str().unwrap_or("").to_string();
            if k == 0 {
                reference.push(hash);
            } else if reference.get((h - from - 1) as usize) != Some(&hash) {
                report.diverging_heights += 1;
            }
            if k == 0 {
                for id in block["tx_ids"].as_array().into_iter().flatten() {
                    if let Some(id) = id.as_str().and_then(|s| s.parse::<Hash>().ok()) {
                        *seen.entry(id).or_default() += 1;
                    }
                }
            }
        }
        if k == 0 {
            let b = books
                .lock()
                .map_err(|_| anyhow::anyhow!("books poisoned"))?;
            for (id, n) in &seen {
                match b.index.get(id) {
                    None => report.unexpected += 1,
                    Some(_) if *n > 1 => report.duplicates += n - 1,
                    Some(_) => {}
                }
            }
            // Seen committed by the watcher but absent from the chain read now: lost.
            for (id, i) in &b.index {
                if b.committed_us[*i].is_some() && !seen.contains_key(id) {
                    report.acknowledged_missing += 1;
                }
            }
        }
    }
    Ok(report)
}

/// Parse `--duration` and similar: seconds.
pub fn seconds(s: &str) -> Result<Duration, String> {
    s.parse::<f64>()
        .ok()
        .filter(|v| *v > 0.0 && *v <= 1e7)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| format!("{s}: expected a positive number of seconds"))
}
