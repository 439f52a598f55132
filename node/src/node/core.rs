//! The consensus thread: the replica's driver wired to storage, network, timers and the
//! executor (ADR 0063). One OS thread owns the driver; every input arrives on one queue
//! ([`CoreInput`]); RocksDB is called from here, never from the async runtime's workers.
//!
//! - Proposals are built by executing pending transactions one at a time, leaving out those
//!   that fail ([`Core::build`]); a validated proposal's execution is kept for its commit
//!   ([`Core::executed`]), so a block is never executed twice.
//! - `PendingWork` is sent whenever the mempool's emptiness changes.
//! - A host action that cannot be performed (a write failed, a certified block does not
//!   execute) halts the driver: the thread stops and the node exits non-zero (fail-stop, S2);
//!   a restart restores the latest durable vote record.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::mpsc;
use tracechain_consensus::{
    Application, ConsensusError, Driver, Ed25519Signer, Evidence, Halt, Input, Message,
    ProposalRequest, TimerId, Timers, Transport, VoteRecord, VoteStore,
};
use tracechain_contracts::state_keys;
use tracechain_contracts::{
    execute_transaction, state_tree_update, BlockCache, BlockContext, BlockExecution, ErrorCode,
    Overlay, ParentTree, StateView,
};
use tracechain_network::Channel;
use tracechain_storage::CommitBatch;
use tracechain_types::{
    encode, Block, BlockHeader, CommitCertificate, Ed25519, Hash, PublicKey, ValidatorSet,
};

use super::execute::execute_on_tip;
use super::mempool::Outcome;
use super::sync_proto::{self, SyncRequest, SyncResponse};
use super::{now_ms, Shared};

/// An input of the consensus thread.
#[derive(Debug)]
pub enum CoreInput {
    /// A consensus message frame from a peer (decoded here).
    Consensus {
        /// The authenticated peer.
        from: PublicKey,
        /// The frame.
        bytes: Vec<u8>,
        /// Released when handled.
        slot: tracechain_network::InboundSlot,
    },
    /// A timer fired (`generation` tells a cancelled one from the current one).
    Timer(TimerId, u64),
    /// The mempool changed (admission added transactions).
    MempoolChanged,
    /// A sync answer.
    Synced {
        /// The peer.
        from: PublicKey,
        /// The response frame, or why none.
        result: Result<Vec<u8>, String>,
    },
    /// Poll a peer's status (the status timer).
    PollStatus,
    /// Stop.
    Shutdown,
}

/// The replica's host: storage, network, timers and the executor.
pub struct Core {
    shared: Arc<Shared>,
    inputs: mpsc::Sender<CoreInput>,
    runtime: tokio::runtime::Handle,
    /// Inputs produced while handling an input (answers to proposal and validation requests),
    /// handled before the next queued one.
    local: VecDeque<Input>,
    timers: HashMap<TimerId, (u64, tokio::task::AbortHandle)>,
    timer_generation: u64,
    /// Executions of blocks at the current height, by block hash (at most
    /// `consensus.limits.max_blocks_per_height`, oldest evicted: a block whose execution was
    /// evicted is executed again if it commits).
    executed: HashMap<Hash, BlockExecution>,
    executed_order: VecDeque<Hash>,
    /// A view-0 proposal asked for while nothing could be proposed.
    waiting_proposal: Option<ProposalRequest>,
    pending_work: Option<bool>,
    sync_peer_cursor: usize,
    view_seen: u64,
}

fn halt(what: impl std::fmt::Display) -> Halt {
    Halt(what.to_string())
}

impl Core {
    /// A host for `shared`.
    pub fn new(
        shared: Arc<Shared>,
        inputs: mpsc::Sender<CoreInput>,
        runtime: tokio::runtime::Handle,
    ) -> Core {
        Core {
            shared,
            inputs,
            runtime,
            local: VecDeque::new(),
            timers: HashMap::new(),
            timer_generation: 0,
            executed: HashMap::new(),
            executed_order: VecDeque::new(),
            waiting_proposal: None,
            pending_work: None,
            sync_peer_cursor: 0,
            view_seen: 0,
        }
    }

    /// Run the driver until shutdown or a halt (returned).
    pub fn run(
        mut self,
        mut driver: Driver<Ed25519Signer, Ed25519>,
        mut rx: mpsc::Receiver<CoreInput>,
        first: Input,
    ) -> Result<(), Halt> {
        self.local.push_back(first);
        self.refresh_pending_work();
        loop {
            while let Some(input) = self.local.pop_front() {
                driver.handle(input, &mut self)?;
                self.after_step(&driver);
            }
            let Some(input) = rx.blocking_recv() else {
                return Ok(());
            };
            match input {
                CoreInput::Shutdown => return Ok(()),
                CoreInput::Consensus { from, bytes, slot } => {
                    match tracechain_consensus::decode_message(&bytes) {
                        Ok(message) => self.local.push_back(Input::Message { from, message }),
                        Err(e) => {
                            tracing::warn!(peer = %from, error = %e, "undecodable consensus frame");
                            self.shared
                                .net
                                .penalise(from, "undecodable consensus frame");
                        }
                    }
                    drop(slot);
                }
                CoreInput::Timer(id, generation) => {
                    if self.timers.get(&id).is_some_and(|(g, _)| *g == generation) {
                        self.timers.remove(&id);
                        self.local.push_back(Input::Timer(id));
                    }
                }
                CoreInput::MempoolChanged => {
                    self.refresh_pending_work();
                    if let Some(req) = self.waiting_proposal {
                        if req.height == driver.replica().height()
                            && req.view == driver.replica().view()
                        {
                            self.waiting_proposal = None;
                            self.propose(req)?;
                        } else {
                            self.waiting_proposal = None;
                        }
                    }
                }
                CoreInput::Synced { from, result } => self.on_synced(from, result),
                CoreInput::PollStatus => self.poll_status(),
            }
        }
    }

    fn after_step(&mut self, driver: &Driver<Ed25519Signer, Ed25519>) {
        let r = driver.replica();
        let view = r.view();
        if view > self.view_seen && r.height() == self.shared.status().height + 1 && view > 0 {
            self.shared
                .metrics
                .view_changes
                .fetch_add(view - self.view_seen, std::sync::atomic::Ordering::Relaxed);
        }
        self.view_seen = view;
        self.shared.set_view(view);
    }

    fn keep_execution(&mut self, hash: Hash, exec: BlockExecution) {
        if self.executed.insert(hash, exec).is_none() {
            self.executed_order.push_back(hash);
        }
        let max = self
            .shared
            .cfg
            .consensus
            .limits
            .max_blocks_per_height
            .max(1);
        while self.executed_order.len() > max {
            if let Some(old) = self.executed_order.pop_front() {
                self.executed.remove(&old);
            }
        }
    }

    fn refresh_pending_work(&mut self) {
        let has = self.shared.mempool().has_ready();
        if self.pending_work != Some(has) {
            self.pending_work = Some(has);
            self.local.push_back(Input::PendingWork(has));
        }
    }

    fn block_context(&self, height: u64, timestamp_ms: u64) -> Result<BlockContext, Halt> {
        super::execute::context(
            &self.shared.store,
            &self.shared.chain_id,
            &self.shared.genesis.params,
            height,
            timestamp_ms,
        )
        .map_err(halt)
    }

    fn set_at(&self, height: u64) -> Result<ValidatorSet, Halt> {
        super::execute::set_at(&self.shared.store, height).map_err(halt)
    }

    /// Build a block for `req` from the mempool. With nothing to propose at view 0 the request
    /// waits for transactions (ID2); above view 0 an empty block is proposed.
    fn propose(&mut self, req: ProposalRequest) -> Result<(), Halt> {
        let (block, exec) = self.build(&req)?;
        if block.txs.is_empty() && req.view == 0 {
            self.waiting_proposal = Some(req);
            self.refresh_pending_work();
            return Ok(());
        }
        let set_change = tracechain_contracts::validators::set_change_of(&block);
        self.keep_execution(block.hash(), exec);
        self.local.push_back(Input::ProposalReady {
            height: req.height,
            view: req.view,
            block,
            set_change,
        });
        Ok(())
    }

    /// Execute candidates one at a time on top of the committed state; a refused one is left
    /// out (and dropped from the pool with its reason), the rest of its signer's waits.
    fn build(&mut self, req: &ProposalRequest) -> Result<(Block, BlockExecution), Halt> {
        let store = self.shared.store.clone();
        let tip = store.tip().map_err(halt)?;
        if tip.hash != req.parent {
            return Err(halt(format!(
                "asked to build on {} but the stored tip is {} at {}",
                req.parent, tip.hash, tip.height
            )));
        }
        let timestamp_ms = now_ms().max(req.parent_timestamp_ms + 1);
        let ctx = self.block_context(req.height, timestamp_ms)?;
        let cfg = &self.shared.cfg.consensus;
        let candidates = self.shared.mempool().candidates(cfg.max_block_txs);
        let mut overlay = Overlay::new(&*store);
        let mut cache = BlockCache::new();
        let mut write_sets = Vec::new();
        let mut txs = Vec::new();
        let mut stopped: BTreeSet<PublicKey> = BTreeSet::new();
        let mut bytes = 1024usize; // header and framing
        let mut refused = Vec::new();
        for tx in candidates {
            let body = &tx.tx().body;
            if stopped.contains(&body.signer) {
                continue;
            }
            let size = encode(tx.tx()).len();
            if bytes + size > cfg.max_block_bytes {
                stopped.insert(body.signer);
                continue;
            }
            match execute_transaction(&tx, &ctx, &overlay, &mut cache) {
                Ok(ws) => {
                    overlay.absorb(&ws);
                    write_sets.push(ws);
                    bytes += size;
                    txs.push(tx.into_transaction());
                }
                Err(e) => {
                    stopped.insert(body.signer);
                    let ahead = e.code == ErrorCode::BadSequence
                        && body.sequence > committed_next(&overlay, &body.signer);
                    if !ahead {
                        refused.push((tx.id(), Outcome::rejected(&e)));
                    }
                }
            }
        }
        if !refused.is_empty() {
            let mut pool = self.shared.mempool();
            for (id, outcome) in refused {
                tracing::info!(tx = %id, ?outcome, "transaction left out of the block");
                if let Outcome::Rejected { rule, .. } = &outcome {
                    self.shared.metrics.rejected(rule);
                }
                pool.reject_with_followers(&id, outcome);
            }
        }
        let combined = overlay.into_write_set();
        let tree = state_tree_update(ParentTree::at(&*store, tip.height), req.height, &combined);
        let header = BlockHeader {
            chain_id: self.shared.chain_id.clone(),
            height: req.height,
            view: req.view,
            parent: req.parent,
            timestamp_ms,
            tx_root: Block::compute_tx_root(&txs),
            state_root: tree.root,
            proposer: self.shared.key.public(),
            validator_set_hash: req.validator_set_hash,
        };
        let exec = BlockExecution {
            write_sets,
            combined,
            state_root: tree.root,
            tree,
        };
        Ok((Block { header, txs }, exec))
    }

    /// Verify and execute a block against the committed state ([`execute_on_tip`]); with
    /// `vote`, this node's own size limit applies too.
    fn execute(&self, block: &Block, vote: bool) -> Result<BlockExecution, String> {
        execute_on_tip(
            &self.shared.store,
            &self.shared.chain_id,
            &self.shared.genesis.params,
            block,
            vote.then_some(self.shared.cfg.consensus.max_block_bytes),
        )
    }

    fn on_synced(&mut self, from: PublicKey, result: Result<Vec<u8>, String>) {
        let limit = self.shared.cfg.p2p.max_sync_response_bytes;
        let response = match result {
            Ok(bytes) => sync_proto::decode_response(&bytes, limit),
            Err(e) => {
                tracing::debug!(peer = %from, error = %e, "sync request failed");
                return;
            }
        };
        match response {
            Some(SyncResponse::Status { height, .. }) => {
                self.shared.peer_height(from, height);
                let ours = self.shared.status().height;
                if height > ours {
                    self.ask_blocks(from, ours + 1, height);
                }
            }
            Some(SyncResponse::Blocks(blocks)) => {
                for (block, cert) in blocks {
                    self.local.push_back(Input::BlockSynced { block, cert });
                }
            }
            Some(SyncResponse::Error(e)) => {
                tracing::debug!(peer = %from, error = %e, "peer could not serve sync");
            }
            Some(SyncResponse::EpcisEvents(_)) => {
                // Answers to the EPCIS repository's requests go there (`epcis::SYNC_ID`).
            }
            None => {
                tracing::warn!(peer = %from, "undecodable sync response");
                self.shared.net.penalise(from, "undecodable sync response");
            }
        }
    }

    fn ask_blocks(&mut self, peer: PublicKey, from: u64, to: u64) {
        let req = SyncRequest::Blocks { from, to };
        self.shared.net.sync_request(peer, 0, encode(&req));
    }

    /// A connected peer, round robin.
    fn next_peer(&mut self) -> Option<PublicKey> {
        let peers = self.shared.net.connected();
        if peers.is_empty() {
            return None;
        }
        self.sync_peer_cursor = self.sync_peer_cursor.wrapping_add(1);
        Some(peers[self.sync_peer_cursor % peers.len()])
    }

    fn poll_status(&mut self) {
        if let Some(peer) = self.next_peer() {
            self.shared
                .net
                .sync_request(peer, 0, encode(&SyncRequest::Status));
        }
    }
}

/// The committed next sequence of `signer` as `state` has it.
fn committed_next(state: &dyn StateView, signer: &PublicKey) -> u64 {
    state
        .get(&state_keys::sequence(signer))
        .and_then(|v| tracechain_types::decode::<u64>(&v, 8).ok())
        .unwrap_or(0)
}

/// The committed next sequence of `signer` in the store.
pub fn stored_next_sequence(store: &tracechain_storage::Store, signer: &PublicKey) -> u64 {
    committed_next(store, signer)
}

impl VoteStore for Core {
    fn store_block(&mut self, hash: Hash, block: Block) -> Result<(), Halt> {
        self.shared
            .store
            .store_vote_block(&hash, &block)
            .map_err(halt)
    }

    fn persist(&mut self, record: VoteRecord) -> Result<(), Halt> {
        self.shared.store.persist_vote(&record).map_err(halt)
    }

    fn commit(
        &mut self,
        block: Block,
        cert: CommitCertificate,
        sets: Vec<(u64, ValidatorSet)>,
        record: VoteRecord,
    ) -> Result<(), Halt> {
        let hash = block.hash();
        let exec = match self.executed.remove(&hash) {
            Some(e) => e,
            // Committed without a local verdict (sync, a decided certificate): execute now.
            // A certified block that does not execute means this node's state or software is
            // broken: stop rather than diverge.
            None => self.execute(&block, false).map_err(|e| {
                halt(format!(
                    "certified block {} at height {} does not execute here: {e}",
                    hash, block.header.height
                ))
            })?,
        };
        let started = Instant::now();
        let tip = self
            .shared
            .store
            .commit(CommitBatch {
                block: &block,
                cert: &cert,
                writes: &exec.combined,
                tree: &exec.tree,
                sets: &sets,
                record: &record,
            })
            .map_err(halt)?;
        self.executed.clear();
        self.executed_order.clear();
        self.waiting_proposal = None;
        // The block's signers' committed next sequences, read before taking the pool's lock
        // (HTTP handlers take it too).
        let nexts: HashMap<PublicKey, u64> = block
            .txs
            .iter()
            .map(|t| t.body.signer)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .map(|k| (k, stored_next_sequence(&self.shared.store, &k)))
            .collect();
        let admitted = self
            .shared
            .mempool()
            .committed(&block, tip.height + 1, &nexts);
        let next_set = self.set_at(tip.height + 1)?;
        self.shared
            .on_commit(&block, tip, next_set, &admitted, started);
        tracing::info!(
            height = tip.height,
            view = block.header.view,
            txs = block.txs.len(),
            hash = %tip.hash,
            "block committed"
        );
        self.refresh_pending_work();
        Ok(())
    }
}

impl Transport for Core {
    fn send(&mut self, to: PublicKey, message: Message) -> Result<(), Halt> {
        self.shared
            .net
            .send(Channel::Consensus, vec![to], Arc::new(encode(&message)));
        Ok(())
    }

    fn broadcast(&mut self, to: Vec<PublicKey>, message: Message) -> Result<(), Halt> {
        self.shared
            .net
            .send(Channel::Consensus, to, Arc::new(encode(&message)));
        Ok(())
    }
}

impl Timers for Core {
    fn set_timer(&mut self, timer: TimerId, after_ms: u64) -> Result<(), Halt> {
        self.timer_generation += 1;
        let generation = self.timer_generation;
        let tx = self.inputs.clone();
        let task = self.runtime.spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(after_ms)).await;
            let _ = tx.send(CoreInput::Timer(timer, generation)).await;
        });
        if let Some((_, old)) = self.timers.insert(timer, (generation, task.abort_handle())) {
            old.abort();
        }
        Ok(())
    }

    fn cancel_timer(&mut self, timer: TimerId) -> Result<(), Halt> {
        if let Some((_, t)) = self.timers.remove(&timer) {
            t.abort();
        }
        Ok(())
    }
}

impl Application for Core {
    fn request_proposal(&mut self, request: ProposalRequest) -> Result<(), Halt> {
        self.propose(request)
    }

    fn validate_proposal(&mut self, height: u64, _view: u64, block: Block) -> Result<(), Halt> {
        let hash = block.hash();
        let skew = self.shared.cfg.consensus.max_block_time_skew_ms;
        let verdict = if block.header.timestamp_ms > now_ms().saturating_add(skew) {
            Err(format!(
                "block time {} is more than {skew} ms ahead of this node's clock",
                block.header.timestamp_ms
            ))
        } else {
            self.execute(&block, true)
        };
        match verdict {
            Ok(exec) => {
                let set_change = tracechain_contracts::validators::set_change_of(&block);
                self.keep_execution(hash, exec);
                self.local.push_back(Input::ProposalValidated {
                    height,
                    block_hash: hash,
                    set_change,
                });
            }
            Err(reason) => {
                tracing::warn!(height, block = %hash, %reason, "proposal refused");
                self.local.push_back(Input::ProposalRefused {
                    height,
                    block_hash: hash,
                });
            }
        }
        Ok(())
    }

    fn request_sync(&mut self, from_height: u64, to_height: u64) -> Result<(), Halt> {
        let max = self.shared.cfg.p2p.max_sync_blocks;
        let to = to_height.max(from_height).min(from_height + max - 1);
        if let Some(peer) = self.next_peer() {
            tracing::debug!(from_height, to, peer = %peer, "sync request");
            self.ask_blocks(peer, from_height, to);
        }
        Ok(())
    }

    fn evidence(&mut self, evidence: Evidence) -> Result<(), Halt> {
        tracing::error!(
            phase = ?evidence.phase,
            validator = %evidence.first.voter,
            "misbehaviour evidence: two conflicting signed votes"
        );
        self.shared
            .metrics
            .evidence
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }

    fn rejected(&mut self, from: PublicKey, error: ConsensusError) -> Result<(), Halt> {
        tracing::debug!(peer = %from, %error, "consensus input refused");
        self.shared
            .metrics
            .consensus_rejected
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }
}
