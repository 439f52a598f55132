//! Admission: the dedicated thread that batch-verifies transaction signatures and admits
//! transactions into the pool, answering each submitter at once (ADR 0063).
//!
//! Checks, in order: size (at decode), signature under this chain's id (batch; a failed batch
//! is re-checked one by one to name the bad ones), expiry window, sequence window (committed
//! next ≤ sequence < committed next + `max_per_signer`), already committed, then — for the
//! signer's next transaction — a dry run through the contracts against the committed state,
//! which refuses with the rule id what a block would refuse. Later sequences wait in the pool
//! (their dry run would need the earlier ones) and are checked when the block is built.
//!
//! Transactions from a peer (gossip) go through the same checks; a peer whose batch fails
//! signature verification is penalised. Transactions admitted from the API are gossiped to the
//! validators in batches.

use std::sync::mpsc as std_mpsc;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tracechain_contracts::{
    execute_transaction, BlockCache, BlockContext, ContractError, ErrorCode, Problem, Rule,
    VerifiedTx,
};
use tracechain_network::{Channel, InboundSlot};
use tracechain_types::{decode, encode, Ed25519, Hash, PublicKey, Transaction};

use super::core::stored_next_sequence;
use super::mempool::{InsertError, Outcome};
use super::{now_ms, Shared};

/// The answer to a submitter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Admitted {
    /// In the pool (now or already).
    Pending(Hash),
    /// Already in the chain.
    Committed(Hash),
    /// Refused.
    Refused {
        /// Transaction id.
        id: Hash,
        /// HTTP status to answer with.
        status: u16,
        /// The refusal.
        outcome: Box<Outcome>,
    },
    /// The pool or the admission queue is full: try later.
    Busy(Hash),
}

enum Source {
    Api(oneshot::Sender<Admitted>),
    /// A peer's gossip, with the frame's inbound slot (released when the last transaction of
    /// the frame is handled).
    Peer(PublicKey, #[allow(dead_code)] Arc<InboundSlot>),
}

struct Job {
    tx: Transaction,
    size: usize,
    source: Source,
}

enum Work {
    Job(Box<Job>),
    Stop,
}

/// The handle to the admission thread.
#[derive(Clone, Debug)]
pub struct Admission {
    tx: std_mpsc::SyncSender<Work>,
    shared: Arc<Shared>,
}

/// Start the admission thread; admitted API transactions go to `gossip`.
pub fn start(
    shared: Arc<Shared>,
    gossip: mpsc::UnboundedSender<Vec<u8>>,
) -> anyhow::Result<Admission> {
    let (tx, rx) = std_mpsc::sync_channel(shared.cfg.mempool.admission_queue);
    let worker = shared.clone();
    std::thread::Builder::new()
        .name("tracechain-admission".into())
        .spawn(move || run(worker, rx, gossip))?;
    Ok(Admission { tx, shared })
}

impl Admission {
    /// Admit a transaction from the API; the answer comes at once after the checks.
    pub async fn submit(&self, tx: Transaction, size: usize) -> Admitted {
        let id = tx.id();
        let (reply, answer) = oneshot::channel();
        let job = Job {
            tx,
            size,
            source: Source::Api(reply),
        };
        match self.tx.try_send(Work::Job(Box::new(job))) {
            Ok(()) => answer.await.unwrap_or(Admitted::Busy(id)),
            Err(_) => Admitted::Busy(id),
        }
    }

    /// Transactions gossiped by a peer (a Borsh `Vec<Transaction>` frame).
    pub async fn gossiped(&self, from: PublicKey, bytes: Vec<u8>, slot: InboundSlot) {
        let limit = self.shared.cfg.p2p.max_tx_batch_bytes;
        let max_tx = self.shared.cfg.mempool.max_tx_bytes;
        let txs: Vec<Transaction> = match decode(&bytes, limit) {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!(peer = %from, error = %e, "undecodable transaction batch");
                self.shared
                    .net
                    .penalise(from, "undecodable transaction batch");
                return;
            }
        };
        // The frame's place in the peer's inbound queue is held until admission has handled
        // every transaction of it, so a peer's queued admission work counts against its
        // inbound bounds (frames and bytes).
        let slot = Arc::new(slot);
        for tx in txs {
            let size = encode(&tx).len();
            if size > max_tx {
                // Over this node's limit, which may be lower than the sender's: not a fault.
                continue;
            }
            let id = tx.id();
            if self.shared.mempool().contains(&id) {
                continue; // a replay or a second copy: nothing to do
            }
            let job = Job {
                tx,
                size,
                source: Source::Peer(from, slot.clone()),
            };
            // Gossip is best effort: when admission is full the transaction is dropped here
            // (its submitter's node still holds it and it reaches the primary through it).
            if self.tx.try_send(Work::Job(Box::new(job))).is_err() {
                break;
            }
        }
    }

    /// Stop the thread.
    pub fn shutdown(&self) {
        let _ = self.tx.try_send(Work::Stop);
    }
}

fn run(shared: Arc<Shared>, rx: std_mpsc::Receiver<Work>, gossip: mpsc::UnboundedSender<Vec<u8>>) {
    let batch_max = shared.cfg.mempool.verify_batch;
    loop {
        let Ok(first) = rx.recv() else { return };
        let mut batch = Vec::with_capacity(batch_max);
        match first {
            Work::Stop => return,
            Work::Job(j) => batch.push(*j),
        }
        while batch.len() < batch_max {
            match rx.try_recv() {
                Ok(Work::Job(j)) => batch.push(*j),
                Ok(Work::Stop) => return,
                Err(_) => break,
            }
        }
        admit_batch(&shared, batch, &gossip);
    }
}

fn refuse(rule: Rule, code: ErrorCode, field: &str, problem: Problem) -> Box<Outcome> {
    Box::new(Outcome::rejected(&ContractError::one(
        rule, code, field, problem,
    )))
}

fn admit_batch(shared: &Shared, batch: Vec<Job>, gossip: &mpsc::UnboundedSender<Vec<u8>>) {
    let (txs, meta): (Vec<Transaction>, Vec<(usize, Source)>) = batch
        .into_iter()
        .map(|j| (j.tx, (j.size, j.source)))
        .unzip();
    let verified = VerifiedTx::verify_each(txs, &shared.chain_id, &Ed25519);
    let tip = match shared.store.tip() {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(error = %e, "admission cannot read the tip");
            for (v, (_, source)) in verified.into_iter().zip(meta) {
                if let Source::Api(r) = source {
                    let id = match v {
                        Ok(t) => t.id(),
                        Err(t) => t.id(),
                    };
                    let _ = r.send(Admitted::Busy(id));
                }
            }
            return;
        }
    };
    let next_height = tip.height + 1;
    let window = shared.cfg.mempool.max_expiry_window;
    let ctx = shared
        .store
        .current_sets()
        .ok()
        .and_then(|sets| {
            sets.iter()
                .rev()
                .find(|(f, _)| *f <= next_height)
                .map(|(_, s)| s.clone())
        })
        .map(|validators| BlockContext {
            chain_id: shared.chain_id.clone(),
            height: next_height,
            timestamp_ms: now_ms().max(tip.timestamp_ms + 1),
            validators,
            params: shared.genesis.params.clone(),
        });
    let mut changed = false;
    let mut bad_peers = std::collections::BTreeSet::new();
    for (v, (size, source)) in verified.into_iter().zip(meta) {
        let (answer, encoded) = match v {
            Err(tx) => {
                if let Source::Peer(p, _) = &source {
                    bad_peers.insert(*p);
                }
                let answer = Admitted::Refused {
                    id: tx.id(),
                    status: 400,
                    outcome: Box::new(Outcome::Rejected {
                        rule: "R-D3".into(),
                        code: "E_BAD_SIGNATURE".into(),
                        detail: format!(
                            "the signature does not verify for the signer under chain id {}",
                            shared.chain_id.as_str()
                        ),
                        fields: vec![super::mempool::FieldOut {
                            field: "signature".into(),
                            problem: "does not verify".into(),
                        }],
                    }),
                };
                (answer, None)
            }
            Ok(vtx) => {
                let encoded = matches!(source, Source::Api(_)).then(|| encode(vtx.tx()));
                let answer = admit_one(shared, vtx, size, next_height, window, ctx.as_ref());
                (answer, encoded)
            }
        };
        let id = match &answer {
            Admitted::Pending(id) | Admitted::Committed(id) | Admitted::Busy(id) => *id,
            Admitted::Refused { id, .. } => *id,
        };
        if let Admitted::Refused { outcome, .. } = &answer {
            if let Outcome::Rejected { rule, .. } = &**outcome {
                shared.metrics.rejected(rule);
            }
            shared.mempool().remember_rejected(id, (**outcome).clone());
        }
        match &answer {
            Admitted::Refused { outcome, .. } => {
                tracing::debug!(tx = %id, height = next_height - 1, ?outcome, "transaction refused")
            }
            a => {
                tracing::debug!(tx = %id, height = next_height - 1, answer = ?a, "transaction admitted")
            }
        }
        let fresh = matches!(answer, Admitted::Pending(_));
        if fresh {
            changed = true;
        }
        match source {
            Source::Api(reply) => {
                if fresh {
                    if let Some(bytes) = encoded {
                        let _ = gossip.send(bytes);
                    }
                }
                let _ = reply.send(answer);
            }
            Source::Peer(..) => {}
        }
    }
    for p in bad_peers {
        shared
            .net
            .penalise(p, "gossiped a transaction whose signature does not verify");
    }
    if changed {
        let pool = shared.mempool();
        shared.metrics.pool(pool.len(), pool.bytes());
        drop(pool);
        shared.mempool_changed();
    }
}

fn admit_one(
    shared: &Shared,
    vtx: VerifiedTx,
    size: usize,
    next_height: u64,
    window: u64,
    ctx: Option<&BlockContext>,
) -> Admitted {
    let id = vtx.id();
    if shared.mempool().contains(&id) {
        return Admitted::Pending(id);
    }
    match shared.store.tx_location(&id) {
        Ok(Some(_)) => return Admitted::Committed(id),
        Ok(None) => {}
        Err(_) => return Admitted::Busy(id),
    }
    let b = &vtx.tx().body;
    let (signer, sequence, expiry_height) = (b.signer, b.sequence, b.expiry_height);
    if expiry_height < next_height {
        return Admitted::Refused {
            id,
            status: 422,
            outcome: refuse(
                Rule::RD3,
                ErrorCode::Expired,
                "expiry_height",
                Problem::OutOfRange(format!(
                    "expired at {} < next height {next_height}",
                    expiry_height
                )),
            ),
        };
    }
    if expiry_height > next_height.saturating_add(window) {
        return Admitted::Refused {
            id,
            status: 422,
            outcome: refuse(
                Rule::RD3,
                ErrorCode::LimitExceeded,
                "expiry_height",
                Problem::OutOfRange(format!(
                    "more than {window} heights ahead of the next height {next_height}"
                )),
            ),
        };
    }
    let committed_next = stored_next_sequence(&shared.store, &signer);
    if sequence == committed_next {
        // The signer's next transaction: run it as a block would.
        if let Some(ctx) = ctx {
            // A fresh cache: the dry run's writes are not applied, so nothing it memoised
            // may be seen by the next one.
            let mut cache = BlockCache::new();
            if let Err(e) = execute_transaction(&vtx, ctx, &*shared.store, &mut cache) {
                return Admitted::Refused {
                    id,
                    status: 422,
                    outcome: Box::new(Outcome::rejected(&e)),
                };
            }
        }
    }
    let seq_problem = |detail: String| Admitted::Refused {
        id,
        status: 422,
        outcome: refuse(
            Rule::RD3,
            ErrorCode::BadSequence,
            "sequence",
            Problem::OutOfRange(detail),
        ),
    };
    let inserted = {
        // Read the committed next sequence again under the pool's lock: a commit between the
        // dry run and here must not leave the pool with a stale view of the signer.
        let mut pool = shared.mempool();
        let committed_next = stored_next_sequence(&shared.store, &signer);
        pool.insert(vtx, size, committed_next)
    };
    match inserted {
        Ok(_) => Admitted::Pending(id),
        Err(InsertError::SequenceUsed { next }) => {
            seq_problem(format!("{} is already used; the next is {next}", sequence))
        }
        Err(InsertError::SequenceTooFar { next, window }) => seq_problem(format!(
            "{} is {window} or more ahead of the next sequence {next}",
            sequence
        )),
        Err(InsertError::SequenceTaken { pending }) => seq_problem(format!(
            "transaction {pending} of this signer with sequence {} is pending",
            sequence
        )),
        Err(InsertError::Gap { expected }) => seq_problem(format!(
            "{sequence} leaves a gap: submit sequence {expected} first (transactions of a signer are admitted in order)"
        )),
        Err(InsertError::FirstPending) => seq_problem(format!(
            "{sequence}: this key's first transaction is pending; submit the next once it commits"
        )),
        Err(InsertError::SignerFull { max_bytes }) => Admitted::Refused {
            id,
            status: 429,
            outcome: refuse(
                Rule::RD3,
                ErrorCode::LimitExceeded,
                "signer",
                Problem::OutOfRange(format!(
                    "the signer's pending transactions would exceed {max_bytes} bytes; wait for some to commit"
                )),
            ),
        },
        Err(InsertError::Full) | Err(InsertError::NewcomersFull) => Admitted::Busy(id),
    }
}

/// Gather transactions admitted from the API into batches and send them to the validators.
pub async fn gossip(shared: Arc<Shared>, mut rx: mpsc::UnboundedReceiver<Vec<u8>>) {
    let every = Duration::from_millis(shared.cfg.p2p.gossip_batch_ms);
    let limit = shared.cfg.p2p.max_tx_batch_bytes;
    let me = shared.key.public();
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        let mut bytes = batch[0].len() + 4;
        let deadline = tokio::time::sleep(every);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                _ = &mut deadline => break,
                next = rx.recv() => match next {
                    Some(t) => {
                        if bytes + t.len() + 4 > limit {
                            send_batch(&shared, &me, std::mem::take(&mut batch));
                            bytes = 4;
                        }
                        bytes += t.len();
                        batch.push(t);
                    }
                    None => break,
                }
            }
        }
        send_batch(&shared, &me, batch);
    }
}

fn send_batch(shared: &Shared, me: &PublicKey, batch: Vec<Vec<u8>>) {
    if batch.is_empty() {
        return;
    }
    // A Borsh Vec<Transaction>: u32 count, then the encoded transactions.
    let mut frame = (batch.len() as u32).to_le_bytes().to_vec();
    for t in batch {
        frame.extend_from_slice(&t);
    }
    let validators: Vec<PublicKey> = shared
        .validators()
        .validators()
        .iter()
        .map(|v| v.public_key)
        .filter(|k| k != me)
        .collect();
    shared.net.send(Channel::Txs, validators, Arc::new(frame));
}
