//! `tracechain audit chain`: verify a whole chain from its genesis, trusting no node (ADR
//! 0087).
//!
//! For every block, in height order: the header links to the last verified block (height,
//! parent hash, later time, the chain id); it names the validator set in force at its height
//! (the genesis set, then every set change decided at `H`, in force from `H + 2`, as the
//! replicas keep them) and the primary of its own view as proposer; its commit certificate
//! holds a quorum of distinct valid signatures of that set over its hash; every transaction's
//! signature verifies under the chain's acceptance rule (ZIP-215, in batches on every core);
//! the transactions are the ones the header's Merkle root commits to; every transaction
//! executes through the contracts (chain id, sequence, expiry, permission and every record
//! rule) on a fresh state built from the genesis only; and the state root after it is the
//! header's. The first failure stops the audit, named by height, transaction index and
//! reason.
//!
//! **Pipeline.** Four stages on their own threads, joined by bounded channels: reading and
//! decoding blocks; signatures and transaction roots (each block's transactions split over
//! the verifier threads, each part one batch); execution in order (header, certificate,
//! contracts); the state root ([`LiveMap`], the map at its latest version only). Everything
//! the summary reports is counted by the last stage, after a block's root matched, so a
//! summary is the same whatever the threads' timing: replaying a chain twice gives the same
//! bytes.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::time::{Duration, Instant};

use serde::Serialize;
use tracechain_contracts::genesis::Genesis;
use tracechain_contracts::{
    execute_block_writes, validators, BlockContext, MemoryState, State, VerifiedTx, WriteSet,
};
use tracechain_types::{
    Block, CommitCertificate, Ed25519, Hash, PayloadKind, Transaction, ValidatorSet,
};

use crate::live_map::LiveMap;

/// The summary's format name.
pub const SUMMARY_FORMAT: &str = "tracechain-audit-chain/1";

/// A block and its certificate from a source, or why the source could not give the next one.
pub type SourceItem = Result<(Block, CommitCertificate), String>;

/// How the replay runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplayOptions {
    /// Threads verifying transaction signatures (each block's transactions split among them).
    pub verify_threads: usize,
    /// Blocks in flight between two stages.
    pub pipeline_blocks: usize,
    /// The auditor's clock (Unix ms): a block time later than it by more than
    /// [`MAX_FUTURE_MS`] is refused (validators refuse to vote for blocks ahead of their clock
    /// by more than their `consensus.max_block_time_skew_ms`). `None`: not checked (tests).
    pub now_ms: Option<u64>,
}

/// How far past the auditor's clock a block time may be: validators refuse blocks more
/// than `consensus.max_block_time_skew_ms` (default 10 s) ahead of theirs; this allows for
/// validators configured far more leniently and for the auditor's own clock.
pub const MAX_FUTURE_MS: u64 = 10 * 60 * 1000;

impl Default for ReplayOptions {
    fn default() -> Self {
        ReplayOptions {
            verify_threads: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            pipeline_blocks: 4,
            now_ms: None,
        }
    }
}

/// The first thing that did not verify.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// The block's height (for a block missing from the source: the height expected).
    pub height: u64,
    /// The transaction's index in the block, when one transaction is at fault.
    pub transaction: Option<usize>,
    /// Which check failed: `source`, `height`, `chain`, `parent`, `time`, `validator-set`,
    /// `proposer`, `certificate`, `signature`, `transaction-root`, `execution`, `state-root`,
    /// `stored-state`.
    pub check: &'static str,
    /// Why, in words.
    pub reason: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "height {}", self.height)?;
        if let Some(i) = self.transaction {
            write!(f, ", transaction {i}")?;
        }
        write!(f, ": {} check failed: {}", self.check, self.reason)
    }
}

/// A validator as the summary lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SummaryValidator {
    /// Its name in the set.
    pub name: String,
    /// Its public key (hex).
    pub key: String,
}

/// A validator set and the first height it is in force.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SetPeriod {
    /// First height in force.
    pub from_height: u64,
    /// The set's hash (what headers name).
    pub set_hash: String,
    /// Its members.
    pub validators: Vec<SummaryValidator>,
}

impl SetPeriod {
    fn of(from_height: u64, set: &ValidatorSet) -> SetPeriod {
        SetPeriod {
            from_height,
            set_hash: set.hash().to_hex(),
            validators: set
                .validators()
                .iter()
                .map(|v| SummaryValidator {
                    name: v.name.clone(),
                    key: v.public_key.to_hex(),
                })
                .collect(),
        }
    }
}

/// What an audit verified: a pure function of the chain (no times, no thread counts).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// [`SUMMARY_FORMAT`].
    pub format: &'static str,
    /// The chain.
    pub chain_id: String,
    /// The genesis block's hash.
    pub genesis_hash: String,
    /// Whether every block given verified (no failure).
    pub verified: bool,
    /// Blocks verified after genesis.
    pub blocks: u64,
    /// The last verified height (0: only genesis).
    pub last_height: u64,
    /// Its block hash.
    pub last_hash: String,
    /// Its state root, which the replay computed.
    pub state_root: String,
    /// Transactions (records) verified and executed.
    pub transactions: u64,
    /// Transactions per record kind.
    pub records_by_kind: BTreeMap<String, u64>,
    /// Blocks committed in a view above 0 (after a view change: their certificate's view).
    pub view_change_blocks: u64,
    /// Validator sets over time: the genesis set from height 1, then each decided change.
    pub validators: Vec<SetPeriod>,
    /// Keys in the replayed state after the last verified block.
    pub state_keys: u64,
    /// The first failure, if any.
    pub failure: Option<Failure>,
}

/// Where the replay's time went: each stage's busy time (its work, not its waits on the
/// stages before and after it), in seconds. Not part of the summary: it varies run to run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct StageTimes {
    /// Reading and decoding blocks from the source.
    pub read_s: f64,
    /// Transaction signatures (summed over the verifier threads) and transaction roots.
    pub verify_s: f64,
    /// Header checks, certificates and execution through the contracts.
    pub execute_s: f64,
    /// The state root.
    pub root_s: f64,
}

/// What [`replay`] returns.
#[derive(Debug)]
pub struct Outcome {
    /// The summary.
    pub summary: Summary,
    /// Where the time went.
    pub times: StageTimes,
    /// The validator sets by first height in force after the last block executed: the
    /// genesis set from height 1, then each change (as a node stores them).
    pub sets: Vec<(u64, ValidatorSet)>,
    /// The replayed state after the last block executed (equal to the state at
    /// `summary.last_height` when the audit verified).
    pub state: MemoryState,
}

/// Reported after each verified block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// The height verified.
    pub height: u64,
    /// Transactions verified so far.
    pub transactions: u64,
}

/// A block after the signature stage.
struct Checked {
    block: Block,
    cert: CommitCertificate,
    /// The verified transactions, or the index of the first that does not verify.
    txs: Result<Vec<VerifiedTx>, usize>,
    tx_root_ok: bool,
}

/// A block's writes in one buffer for the root stage: the state keeps the written keys and
/// values themselves, and the root stage frees one buffer per block instead of two
/// allocations per write made on another thread.
struct PackedWrites {
    bytes: Vec<u8>,
    /// (key end, value end) offsets into `bytes`, each entry starting where the last ended;
    /// `None`: a delete.
    entries: Vec<(usize, Option<usize>)>,
}

impl PackedWrites {
    fn of(ws: &WriteSet) -> PackedWrites {
        let size =
            ws.0.iter()
                .map(|(k, v)| k.len() + v.as_ref().map_or(0, Vec::len))
                .sum();
        let mut bytes = Vec::with_capacity(size);
        let mut entries = Vec::with_capacity(ws.0.len());
        for (k, v) in &ws.0 {
            bytes.extend_from_slice(k);
            let key_end = bytes.len();
            let value_end = v.as_ref().map(|v| {
                bytes.extend_from_slice(v);
                bytes.len()
            });
            entries.push((key_end, value_end));
        }
        PackedWrites { bytes, entries }
    }

    fn iter(&self) -> impl Iterator<Item = (&[u8], Option<&[u8]>)> {
        let mut start = 0;
        self.entries.iter().map(move |(key_end, value_end)| {
            let key = &self.bytes[start..*key_end];
            start = value_end.unwrap_or(*key_end);
            (key, value_end.map(|e| &self.bytes[*key_end..e]))
        })
    }
}

/// A block after execution, for the root stage.
struct Executed {
    height: u64,
    hash: Hash,
    state_root: Hash,
    cert_view: u64,
    writes: PackedWrites,
    kinds: Vec<PayloadKind>,
    new_set: Option<(u64, ValidatorSet)>,
}

/// Replay `blocks` (heights 1, 2, … in order) on `genesis`, verifying everything (module
/// docs); `progress` is called after each verified block.
pub fn replay(
    genesis: &Genesis,
    blocks: impl Iterator<Item = SourceItem> + Send,
    opts: ReplayOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<Outcome, String> {
    let g = genesis
        .build()
        .map_err(|e| format!("the genesis does not build: {e}"))?;
    let genesis_hash = g.block.hash();
    let mut state = MemoryState::new();
    state.apply(&g.writes);
    let mut map = LiveMap::new();
    map.apply(g.writes.0.iter().map(|(k, v)| (k.as_slice(), v.as_deref())));
    let genesis_root = map.root();
    if genesis_root != g.block.header.state_root {
        return Err(format!(
            "the genesis state root {} is not the genesis block's {}",
            genesis_root, g.block.header.state_root
        ));
    }
    let capacity = opts.pipeline_blocks.max(1);
    let threads = opts.verify_threads.max(1);
    let stop = AtomicBool::new(false);
    let mut summary = Summary {
        format: SUMMARY_FORMAT,
        chain_id: genesis.chain_id.as_str().to_string(),
        genesis_hash: genesis_hash.to_hex(),
        verified: true,
        blocks: 0,
        last_height: 0,
        last_hash: genesis_hash.to_hex(),
        state_root: genesis_root.to_hex(),
        transactions: 0,
        records_by_kind: BTreeMap::new(),
        view_change_blocks: 0,
        validators: vec![SetPeriod::of(1, &genesis.validators)],
        state_keys: state.len() as u64,
        failure: None,
    };
    let (read_tx, read_rx) = sync_channel::<SourceItem>(capacity);
    let (check_tx, check_rx) = sync_channel::<Result<Checked, String>>(capacity);
    let (exec_tx, exec_rx) = sync_channel::<Executed>(capacity);
    let chain_id = genesis.chain_id.clone();
    let mut final_sets = Vec::new();
    let (exec_failure, final_state, root_failure, times) = std::thread::scope(|s| {
        let stop = &stop;
        let reader = s.spawn(move || read_stage(blocks, read_tx, stop));
        let chain = chain_id.clone();
        let checker = s.spawn(move || check_stage(read_rx, check_tx, &chain, threads, stop));
        let exec = s.spawn(|| {
            execute_stage(
                genesis,
                (g.block.header.clone(), state),
                check_rx,
                exec_tx,
                stop,
                opts.now_ms,
                &mut final_sets,
            )
        });
        let (root_failure, root_s) = root_stage(exec_rx, &mut map, &mut summary, stop, progress);
        let (exec_failure, state, execute_s) =
            exec.join().expect("the execution stage does not panic");
        let times = StageTimes {
            read_s: reader
                .join()
                .expect("the read stage does not panic")
                .as_secs_f64(),
            verify_s: checker
                .join()
                .expect("the signature stage does not panic")
                .as_secs_f64(),
            execute_s: execute_s.as_secs_f64(),
            root_s: root_s.as_secs_f64(),
        };
        (exec_failure, state, root_failure, times)
    });
    let failure = earliest(exec_failure, root_failure);
    summary.verified = failure.is_none();
    summary.failure = failure;
    Ok(Outcome {
        summary,
        times,
        sets: final_sets,
        state: final_state,
    })
}

/// The failure at the lower height of the execution stage's and the root stage's (the root
/// stage's at a tie: its block came first in the chain when both name the same height, as
/// the execution stage went on past a block whose root was still being checked).
fn earliest(exec: Option<Failure>, root: Option<Failure>) -> Option<Failure> {
    match (exec, root) {
        (Some(a), Some(b)) => Some(if b.height <= a.height { b } else { a }),
        (a, b) => a.or(b),
    }
}

fn read_stage(
    mut blocks: impl Iterator<Item = SourceItem>,
    out: SyncSender<SourceItem>,
    stop: &AtomicBool,
) -> Duration {
    let mut busy = Duration::ZERO;
    loop {
        let started = Instant::now();
        let Some(item) = blocks.next() else {
            return busy;
        };
        busy += started.elapsed();
        let failed = item.is_err();
        if stop.load(Ordering::Relaxed) || out.send(item).is_err() || failed {
            return busy;
        }
    }
}

fn check_stage(
    input: Receiver<SourceItem>,
    out: SyncSender<Result<Checked, String>>,
    chain_id: &tracechain_types::ChainId,
    threads: usize,
    stop: &AtomicBool,
) -> Duration {
    let mut busy = Duration::ZERO;
    for item in input {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let mut spent = Duration::ZERO;
        let checked = item.map(|(mut block, cert)| {
            let started = Instant::now();
            let tx_root_ok = block.tx_root_matches();
            spent += started.elapsed();
            let txs = std::mem::take(&mut block.txs);
            // The verifier threads' own time (summed), not this thread's wait for them.
            let (txs, verifying) = verify_parallel(txs, chain_id, threads);
            spent += verifying;
            Checked {
                block,
                cert,
                txs,
                tx_root_ok,
            }
        });
        busy += spent;
        if out.send(checked).is_err() {
            break;
        }
    }
    busy
}

/// Verify `txs` as `threads` batches on as many threads: the verified transactions in order,
/// or the index of the first whose signature does not verify.
fn verify_parallel(
    txs: Vec<Transaction>,
    chain_id: &tracechain_types::ChainId,
    threads: usize,
) -> (Result<Vec<VerifiedTx>, usize>, Duration) {
    let n = txs.len();
    if n == 0 {
        return (Ok(Vec::new()), Duration::ZERO);
    }
    let per = n.div_ceil(threads.min(n));
    let mut parts: Vec<Vec<Transaction>> = Vec::new();
    let mut it = txs.into_iter();
    loop {
        let part: Vec<Transaction> = it.by_ref().take(per).collect();
        if part.is_empty() {
            break;
        }
        parts.push(part);
    }
    let results: Vec<(Result<Vec<VerifiedTx>, usize>, Duration)> = std::thread::scope(|s| {
        let handles: Vec<_> = parts
            .into_iter()
            .map(|part| {
                s.spawn(move || {
                    let started = Instant::now();
                    let r = VerifiedTx::verify_all(part, chain_id, &Ed25519).map_err(|e| e.index);
                    (r, started.elapsed())
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("signature verification does not panic"))
            .collect()
    });
    let spent = results.iter().map(|(_, d)| *d).sum();
    let mut out = Vec::with_capacity(n);
    for (i, (r, _)) in results.into_iter().enumerate() {
        match r {
            Ok(v) => out.extend(v),
            Err(index) => return (Err(i * per + index), spent),
        }
    }
    (Ok(out), spent)
}

/// The set in force at `height`.
fn set_at(sets: &[(u64, ValidatorSet)], height: u64) -> &ValidatorSet {
    &sets
        .iter()
        .rev()
        .find(|(from, _)| *from <= height)
        .expect("the genesis set is in force from height 1, and heights start at 1")
        .1
}

/// Execute in order from `start`: the genesis header and the genesis state.
fn execute_stage(
    genesis: &Genesis,
    start: (tracechain_types::BlockHeader, MemoryState),
    input: Receiver<Result<Checked, String>>,
    out: SyncSender<Executed>,
    stop: &AtomicBool,
    now_ms: Option<u64>,
    sets: &mut Vec<(u64, ValidatorSet)>,
) -> (Option<Failure>, MemoryState, Duration) {
    let (genesis_header, mut state) = start;
    sets.clear();
    sets.push((1, genesis.validators.clone()));
    let mut last = genesis_header;
    let mut last_hash = last.hash();
    let chain_id = &genesis.chain_id;
    let mut busy = Duration::ZERO;
    for item in input {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let started = Instant::now();
        let expected = last.height + 1;
        let fail = |check: &'static str, transaction: Option<usize>, reason: String| Failure {
            height: expected,
            transaction,
            check,
            reason,
        };
        let Checked {
            block,
            cert,
            txs,
            tx_root_ok,
        } = match item {
            Ok(c) => c,
            Err(e) => {
                return (
                    Some(fail("source", None, e)),
                    state,
                    busy + started.elapsed(),
                )
            }
        };
        let h = &block.header;
        if h.height != expected {
            let why = if h.height <= last.height {
                "a block repeated or out of order"
            } else {
                "a block missing or out of order"
            };
            return (
                Some(fail(
                    "height",
                    None,
                    format!(
                        "the source gives block {} after block {} ({why})",
                        h.height, last.height
                    ),
                )),
                state,
                busy + started.elapsed(),
            );
        }
        if h.chain_id != *chain_id {
            let why = format!("the block is of chain {}", h.chain_id.as_str());
            return (
                Some(fail("chain", None, why)),
                state,
                busy + started.elapsed(),
            );
        }
        if h.parent != last_hash {
            let why = format!(
                "its parent {} is not block {}'s hash {}",
                h.parent, last.height, last_hash
            );
            return (
                Some(fail("parent", None, why)),
                state,
                busy + started.elapsed(),
            );
        }
        if h.timestamp_ms <= last.timestamp_ms {
            let why = format!(
                "its time {} ms is not after its parent's {} ms",
                h.timestamp_ms, last.timestamp_ms
            );
            return (
                Some(fail("time", None, why)),
                state,
                busy + started.elapsed(),
            );
        }
        if let Some(now) = now_ms {
            if h.timestamp_ms > now.saturating_add(MAX_FUTURE_MS) {
                let why = format!(
                    "its time {} ms is more than {} ms after the auditor's clock {} ms \
                     (validators refuse blocks ahead of their clock)",
                    h.timestamp_ms, MAX_FUTURE_MS, now
                );
                return (
                    Some(fail("time", None, why)),
                    state,
                    busy + started.elapsed(),
                );
            }
        }
        let set = set_at(sets, expected).clone();
        if h.validator_set_hash != set.hash() {
            let why = format!(
                "the header names validator set {}, the set in force is {}",
                h.validator_set_hash,
                set.hash()
            );
            return (
                Some(fail("validator-set", None, why)),
                state,
                busy + started.elapsed(),
            );
        }
        let primary = tracechain_consensus::primary_of(&set, expected, h.view);
        if h.proposer != primary {
            let why = format!(
                "proposer {} is not the primary {} of view {}",
                h.proposer, primary, h.view
            );
            return (
                Some(fail("proposer", None, why)),
                state,
                busy + started.elapsed(),
            );
        }
        let hash = block.hash();
        if let Err(e) = cert.verify(chain_id, expected, &hash, &set, &Ed25519) {
            return (
                Some(fail("certificate", None, e.to_string())),
                state,
                busy + started.elapsed(),
            );
        }
        // A block is committed in the view it was proposed in or a later one (P2f).
        if cert.view < h.view {
            let why = format!(
                "the certificate is of view {}, before the view {} the block was proposed in",
                cert.view, h.view
            );
            return (
                Some(fail("certificate", None, why)),
                state,
                busy + started.elapsed(),
            );
        }
        let txs = match txs {
            Ok(t) => t,
            Err(i) => {
                let why = "its signature does not verify under the chain's rule (ZIP-215)".into();
                return (
                    Some(fail("signature", Some(i), why)),
                    state,
                    busy + started.elapsed(),
                );
            }
        };
        if !tx_root_ok {
            let why = format!(
                "the transactions are not the ones the header's root {} commits to \
                 (altered, added, removed or reordered)",
                h.tx_root
            );
            return (
                Some(fail("transaction-root", None, why)),
                state,
                busy + started.elapsed(),
            );
        }
        let ctx = BlockContext {
            chain_id: chain_id.clone(),
            height: expected,
            timestamp_ms: h.timestamp_ms,
            validators: set,
            params: genesis.params.clone(),
        };
        let writes = match execute_block_writes(&txs, &ctx, &state) {
            Ok(w) => w.combined,
            Err(e) => {
                let why = format!("the contracts refuse it: {}", e.error);
                return (
                    Some(fail("execution", Some(e.index), why)),
                    state,
                    busy + started.elapsed(),
                );
            }
        };
        let packed = PackedWrites::of(&writes);
        state.apply_owned(writes);
        let kinds = txs.iter().map(|t| t.tx().body.payload.kind()).collect();
        let full = Block {
            header: block.header,
            txs: txs.into_iter().map(VerifiedTx::into_transaction).collect(),
        };
        let new_set = validators::set_change_of(&full).map(|next| {
            let from = expected + validators::ACTIVATION_DELAY;
            sets.retain(|(k, _)| *k < from);
            sets.push((from, next.clone()));
            (from, next)
        });
        let executed = Executed {
            height: expected,
            hash,
            state_root: full.header.state_root,
            cert_view: cert.view,
            writes: packed,
            kinds,
            new_set,
        };
        last = full.header;
        last_hash = hash;
        busy += started.elapsed();
        if out.send(executed).is_err() {
            break;
        }
    }
    (None, state, busy)
}

fn root_stage(
    input: Receiver<Executed>,
    map: &mut LiveMap,
    summary: &mut Summary,
    stop: &AtomicBool,
    progress: &mut dyn FnMut(Progress),
) -> (Option<Failure>, Duration) {
    let mut kinds: BTreeMap<PayloadKind, u64> = BTreeMap::new();
    let mut failure = None;
    let mut busy = Duration::ZERO;
    for e in input {
        let started = Instant::now();
        map.apply(e.writes.iter());
        let root = map.root();
        if root != e.state_root {
            failure = Some(Failure {
                height: e.height,
                transaction: None,
                check: "state-root",
                reason: format!(
                    "the header's state root {} is not the re-executed state's {}",
                    e.state_root, root
                ),
            });
            stop.store(true, Ordering::Relaxed);
            busy += started.elapsed();
            break;
        }
        summary.blocks += 1;
        summary.last_height = e.height;
        summary.last_hash = e.hash.to_hex();
        summary.state_root = root.to_hex();
        summary.state_keys = map.len() as u64;
        summary.transactions += e.kinds.len() as u64;
        if e.cert_view > 0 {
            summary.view_change_blocks += 1;
        }
        for k in e.kinds {
            *kinds.entry(k).or_default() += 1;
        }
        if let Some((from, set)) = e.new_set {
            summary.validators.push(SetPeriod::of(from, &set));
        }
        busy += started.elapsed();
        progress(Progress {
            height: e.height,
            transactions: summary.transactions,
        });
    }
    summary.records_by_kind = kinds.into_iter().map(|(k, n)| (kind_name(k), n)).collect();
    (failure, busy)
}

/// The snake_case name of a record kind (as the API and docs spell it).
pub fn kind_name(k: PayloadKind) -> String {
    match serde_json::to_value(k) {
        Ok(serde_json::Value::String(s)) => s,
        _ => format!("{k:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(height: u64, check: &'static str) -> Option<Failure> {
        Some(Failure {
            height,
            transaction: None,
            check,
            reason: String::new(),
        })
    }

    #[test]
    fn the_earliest_failure_of_two_stages_is_reported() {
        let pick = |a, b| earliest(a, b).map(|f: Failure| (f.height, f.check));
        assert_eq!(
            pick(at(7, "execution"), at(5, "state-root")),
            Some((5, "state-root"))
        );
        assert_eq!(
            pick(at(5, "execution"), at(7, "state-root")),
            Some((5, "execution"))
        );
        assert_eq!(
            pick(at(5, "execution"), at(5, "state-root")),
            Some((5, "state-root"))
        );
        assert_eq!(pick(at(5, "execution"), None), Some((5, "execution")));
        assert_eq!(pick(None, at(5, "state-root")), Some((5, "state-root")));
        assert_eq!(pick(None, None), None);
    }
}
