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
}

impl Default for ReplayOptions {
    fn default() -> Self {
        ReplayOptions {
            verify_threads: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            pipeline_blocks: 4,
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
    /// Blocks committed in a view above 0 (after a view change).
    pub view_change_blocks: u64,
    /// Validator sets over time: the genesis set from height 1, then each decided change.
    pub validators: Vec<SetPeriod>,
    /// Keys in the replayed state after the last verified block.
    pub state_keys: u64,
    /// The first failure, if any.
    pub failure: Option<Failure>,
}

/// What [`replay`] returns.
#[derive(Debug)]
pub struct Outcome {
    /// The summary.
    pub summary: Summary,
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

/// A block after execution, for the root stage.
struct Executed {
    height: u64,
    hash: Hash,
    state_root: Hash,
    view: u64,
    writes: WriteSet,
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
    for (k, v) in &g.writes.0 {
        map.write(k, v.as_deref());
    }
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
    let (exec_failure, final_state, root_failure) = std::thread::scope(|s| {
        let stop = &stop;
        s.spawn(move || read_stage(blocks, read_tx, stop));
        let chain = chain_id.clone();
        s.spawn(move || check_stage(read_rx, check_tx, &chain, threads, stop));
        let exec = s.spawn(|| {
            execute_stage(
                genesis,
                g.block.header.clone(),
                state,
                check_rx,
                exec_tx,
                stop,
            )
        });
        let root_failure = root_stage(exec_rx, &mut map, &mut summary, stop, progress);
        let (exec_failure, state) = exec.join().expect("the execution stage does not panic");
        (exec_failure, state, root_failure)
    });
    let failure = match (exec_failure, root_failure) {
        (Some(a), Some(b)) => Some(if b.height <= a.height { b } else { a }),
        (a, b) => a.or(b),
    };
    summary.verified = failure.is_none();
    summary.failure = failure;
    summary.state_keys = map.len() as u64;
    Ok(Outcome {
        summary,
        state: final_state,
    })
}

fn read_stage(
    blocks: impl Iterator<Item = SourceItem>,
    out: SyncSender<SourceItem>,
    stop: &AtomicBool,
) {
    for item in blocks {
        let failed = item.is_err();
        if stop.load(Ordering::Relaxed) || out.send(item).is_err() || failed {
            return;
        }
    }
}

fn check_stage(
    input: Receiver<SourceItem>,
    out: SyncSender<Result<Checked, String>>,
    chain_id: &tracechain_types::ChainId,
    threads: usize,
    stop: &AtomicBool,
) {
    for item in input {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let checked = item.map(|(mut block, cert)| {
            let tx_root_ok = block.tx_root_matches();
            let txs = std::mem::take(&mut block.txs);
            let txs = verify_parallel(txs, chain_id, threads);
            Checked {
                block,
                cert,
                txs,
                tx_root_ok,
            }
        });
        if out.send(checked).is_err() {
            return;
        }
    }
}

/// Verify `txs` as `threads` batches on as many threads: the verified transactions in order,
/// or the index of the first whose signature does not verify.
fn verify_parallel(
    txs: Vec<Transaction>,
    chain_id: &tracechain_types::ChainId,
    threads: usize,
) -> Result<Vec<VerifiedTx>, usize> {
    let n = txs.len();
    if n == 0 {
        return Ok(Vec::new());
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
    let results: Vec<Result<Vec<VerifiedTx>, usize>> = std::thread::scope(|s| {
        let handles: Vec<_> = parts
            .into_iter()
            .map(|part| {
                s.spawn(move || {
                    VerifiedTx::verify_all(part, chain_id, &Ed25519).map_err(|e| e.index)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("signature verification does not panic"))
            .collect()
    });
    let mut out = Vec::with_capacity(n);
    for (i, r) in results.into_iter().enumerate() {
        match r {
            Ok(v) => out.extend(v),
            Err(index) => return Err(i * per + index),
        }
    }
    Ok(out)
}

/// The set in force at `height`.
fn set_at(sets: &[(u64, ValidatorSet)], height: u64) -> &ValidatorSet {
    &sets
        .iter()
        .rev()
        .find(|(from, _)| *from <= height)
        .expect("the genesis set is in force from height 0")
        .1
}

fn execute_stage(
    genesis: &Genesis,
    genesis_header: tracechain_types::BlockHeader,
    mut state: MemoryState,
    input: Receiver<Result<Checked, String>>,
    out: SyncSender<Executed>,
    stop: &AtomicBool,
) -> (Option<Failure>, MemoryState) {
    let mut sets: Vec<(u64, ValidatorSet)> = vec![(0, genesis.validators.clone())];
    let mut last = genesis_header;
    let mut last_hash = last.hash();
    let chain_id = &genesis.chain_id;
    for item in input {
        if stop.load(Ordering::Relaxed) {
            break;
        }
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
            Err(e) => return (Some(fail("source", None, e)), state),
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
            );
        }
        if h.chain_id != *chain_id {
            let why = format!("the block is of chain {}", h.chain_id.as_str());
            return (Some(fail("chain", None, why)), state);
        }
        if h.parent != last_hash {
            let why = format!(
                "its parent {} is not block {}'s hash {}",
                h.parent, last.height, last_hash
            );
            return (Some(fail("parent", None, why)), state);
        }
        if h.timestamp_ms <= last.timestamp_ms {
            let why = format!(
                "its time {} ms is not after its parent's {} ms",
                h.timestamp_ms, last.timestamp_ms
            );
            return (Some(fail("time", None, why)), state);
        }
        let set = set_at(&sets, expected).clone();
        if h.validator_set_hash != set.hash() {
            let why = format!(
                "the header names validator set {}, the set in force is {}",
                h.validator_set_hash,
                set.hash()
            );
            return (Some(fail("validator-set", None, why)), state);
        }
        let primary = tracechain_consensus::primary_of(&set, expected, h.view);
        if h.proposer != primary {
            let why = format!(
                "proposer {} is not the primary {} of view {}",
                h.proposer, primary, h.view
            );
            return (Some(fail("proposer", None, why)), state);
        }
        let hash = block.hash();
        if let Err(e) = cert.verify(chain_id, expected, &hash, &set, &Ed25519) {
            return (Some(fail("certificate", None, e.to_string())), state);
        }
        let txs = match txs {
            Ok(t) => t,
            Err(i) => {
                let why = "its signature does not verify under the chain's rule (ZIP-215)".into();
                return (Some(fail("signature", Some(i), why)), state);
            }
        };
        if !tx_root_ok {
            let why = format!(
                "the transactions are not the ones the header's root {} commits to \
                 (altered, added, removed or reordered)",
                h.tx_root
            );
            return (Some(fail("transaction-root", None, why)), state);
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
                return (Some(fail("execution", Some(e.index), why)), state);
            }
        };
        state.apply(&writes);
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
            view: full.header.view,
            writes,
            kinds,
            new_set,
        };
        last = full.header;
        last_hash = hash;
        if out.send(executed).is_err() {
            break;
        }
    }
    (None, state)
}

fn root_stage(
    input: Receiver<Executed>,
    map: &mut LiveMap,
    summary: &mut Summary,
    stop: &AtomicBool,
    progress: &mut dyn FnMut(Progress),
) -> Option<Failure> {
    let mut kinds: BTreeMap<PayloadKind, u64> = BTreeMap::new();
    let mut failure = None;
    for e in input {
        for (k, v) in &e.writes.0 {
            map.write(k, v.as_deref());
        }
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
            break;
        }
        summary.blocks += 1;
        summary.last_height = e.height;
        summary.last_hash = e.hash.to_hex();
        summary.state_root = root.to_hex();
        summary.transactions += e.kinds.len() as u64;
        if e.view > 0 {
            summary.view_change_blocks += 1;
        }
        for k in e.kinds {
            *kinds.entry(k).or_default() += 1;
        }
        if let Some((from, set)) = e.new_set {
            summary.validators.push(SetPeriod::of(from, &set));
        }
        progress(Progress {
            height: e.height,
            transactions: summary.transactions,
        });
    }
    summary.records_by_kind = kinds.into_iter().map(|(k, n)| (kind_name(k), n)).collect();
    failure
}

/// The snake_case name of a record kind (as the API and docs spell it).
pub fn kind_name(k: PayloadKind) -> String {
    match serde_json::to_value(k) {
        Ok(serde_json::Value::String(s)) => s,
        _ => format!("{k:?}"),
    }
}
