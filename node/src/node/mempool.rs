//! The transaction pool: bounded by count and bytes, deduplicated by id, one transaction per
//! (signer, sequence), ordered per signer by sequence (ADR 0063).
//!
//! Only admitted transactions enter (signature verified, chain id, expiry window, sequence
//! window, dry run of the next one: `admission.rs`). The proposer takes candidates round-robin
//! over signers in sequence order; committed and superseded transactions leave at each commit,
//! expired ones too, and what became of a transaction that left without committing is
//! remembered (bounded) for `GET /v1/txs/{id}`.
//!
//! **Ready, not merely pending.** A signer's transactions can execute only from its committed
//! next sequence on, without a gap. The pool knows each signer's committed next sequence (as of
//! its last insert or commit) and counts only signers whose lowest pending sequence is that one
//! as ready ([`Mempool::has_ready`], [`Mempool::candidates`]): a transaction submitted ahead of a
//! gap waits quietly (until the gap fills or it expires) instead of keeping the consensus
//! proposing empty blocks (ID1).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::Instant;

use serde::Serialize;
use tracechain_contracts::{ContractError, VerifiedTx};
use tracechain_types::{Block, Hash, PublicKey};

/// The pool's bounds (`[mempool]`).
#[derive(Clone, Copy, Debug)]
pub struct PoolLimits {
    /// Most transactions.
    pub max_txs: usize,
    /// Most bytes.
    pub max_bytes: usize,
    /// Most transactions of one signer, counted from its committed next sequence.
    pub max_per_signer: u64,
    /// Most pending bytes of one signer.
    pub max_bytes_per_signer: usize,
    /// Most pending transactions of keys that have committed nothing yet (registrations of
    /// new participants), over all such keys.
    pub max_newcomers: usize,
    /// Outcomes remembered.
    pub max_outcomes: usize,
}

/// A transaction that left the pool without committing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    /// Refused by the contracts (at admission or when the block was built).
    Rejected {
        /// Rule id (`R-…`).
        rule: String,
        /// Stable code (`E_…`).
        code: String,
        /// What is wrong.
        detail: String,
        /// Offending fields.
        fields: Vec<FieldOut>,
    },
    /// Its expiry height passed before it was included.
    Expired {
        /// Its expiry height.
        expiry_height: u64,
    },
}

/// One offending field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldOut {
    /// Field path.
    pub field: String,
    /// Problem.
    pub problem: String,
}

impl Outcome {
    /// The outcome of a contract refusal.
    pub fn rejected(e: &ContractError) -> Outcome {
        Outcome::Rejected {
            rule: e.rule.to_string(),
            code: e.code.as_str().to_string(),
            detail: e.to_string(),
            fields: e
                .problems
                .iter()
                .map(|p| FieldOut {
                    field: p.field.clone(),
                    problem: p.problem.to_string(),
                })
                .collect(),
        }
    }
}

/// Why a transaction does not enter the pool.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InsertError {
    /// Its sequence is below the signer's committed next one.
    SequenceUsed {
        /// The committed next sequence.
        next: u64,
    },
    /// Its sequence is beyond the signer's window.
    SequenceTooFar {
        /// The committed next sequence.
        next: u64,
        /// The window.
        window: u64,
    },
    /// Its sequence leaves a gap after the signer's pending ones (submit in order).
    Gap {
        /// The sequence that must come first.
        expected: u64,
    },
    /// A signer with nothing committed yet has its first transaction pending: the next waits
    /// until it commits (an unknown key cannot queue more than one transaction).
    FirstPending,
    /// Too many keys that have committed nothing have a transaction pending.
    NewcomersFull,
    /// The signer's pending bytes would exceed its share.
    SignerFull {
        /// The per-signer bound.
        max_bytes: usize,
    },
    /// Another transaction of the signer with this sequence is pending.
    SequenceTaken {
        /// The pending transaction.
        pending: Hash,
    },
    /// The pool is full (count or bytes).
    Full,
}

struct Entry {
    tx: VerifiedTx,
    size: usize,
    admitted: Instant,
}

/// The pool.
pub struct Mempool {
    limits: PoolLimits,
    txs: HashMap<Hash, Entry>,
    by_signer: BTreeMap<PublicKey, BTreeMap<u64, Hash>>,
    /// Each pending signer's committed next sequence, as last seen.
    signer_next: HashMap<PublicKey, u64>,
    /// Each pending signer's pending bytes.
    signer_bytes: HashMap<PublicKey, usize>,
    /// Pending transactions of keys with nothing committed (sequence 0).
    newcomers: usize,
    bytes: usize,
    outcomes: HashMap<Hash, Outcome>,
    outcome_order: VecDeque<Hash>,
    /// Where the round-robin over signers starts next time.
    cursor: Option<PublicKey>,
}

impl std::fmt::Debug for Mempool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mempool")
            .field("txs", &self.txs.len())
            .field("bytes", &self.bytes)
            .finish()
    }
}

impl Mempool {
    /// An empty pool.
    pub fn new(limits: PoolLimits) -> Mempool {
        Mempool {
            limits,
            txs: HashMap::new(),
            by_signer: BTreeMap::new(),
            signer_next: HashMap::new(),
            signer_bytes: HashMap::new(),
            newcomers: 0,
            bytes: 0,
            outcomes: HashMap::new(),
            outcome_order: VecDeque::new(),
            cursor: None,
        }
    }

    /// Pending transactions.
    pub fn len(&self) -> usize {
        self.txs.len()
    }

    /// Whether nothing is pending.
    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.txs.is_empty()
    }

    /// Whether `signer`'s lowest pending transaction is its committed next one.
    fn ready(&self, signer: &PublicKey) -> bool {
        let next = self.signer_next.get(signer).copied().unwrap_or(0);
        self.by_signer
            .get(signer)
            .and_then(|s| s.keys().next())
            .is_some_and(|lowest| *lowest == next)
    }

    /// Whether some transaction could execute now (a signer without a gap).
    pub fn has_ready(&self) -> bool {
        self.by_signer.keys().any(|s| self.ready(s))
    }

    /// Pending bytes.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Whether `id` is pending.
    pub fn contains(&self, id: &Hash) -> bool {
        self.txs.contains_key(id)
    }

    /// What became of `id` if it left without committing.
    pub fn outcome(&self, id: &Hash) -> Option<&Outcome> {
        self.outcomes.get(id)
    }

    /// The next sequence of `signer` counting pending transactions: `committed_next` plus the
    /// run of consecutive pending sequences from it.
    pub fn next_sequence(&self, signer: &PublicKey, committed_next: u64) -> u64 {
        let mut next = committed_next;
        if let Some(seqs) = self.by_signer.get(signer) {
            for (&s, _) in seqs.range(committed_next..) {
                if s != next {
                    break;
                }
                next += 1;
            }
        }
        next
    }

    /// Add an admitted transaction of `size` encoded bytes; `committed_next` is its signer's
    /// committed next sequence (read under the pool's lock, so no commit falls between the
    /// read and the insert). Returns false when it was already pending.
    ///
    /// The pool never holds a gap: a transaction must carry the signer's committed next
    /// sequence or the one after its pending run. A signer with nothing committed
    /// (`committed_next == 0`: a key that has not registered yet) has at most its first
    /// transaction pending. Together these keep what a key can queue to what can execute.
    pub fn insert(
        &mut self,
        tx: VerifiedTx,
        size: usize,
        committed_next: u64,
    ) -> Result<bool, InsertError> {
        let id = tx.id();
        if self.txs.contains_key(&id) {
            return Ok(false);
        }
        let body = &tx.tx().body;
        // Never behind what a commit already told the pool.
        let committed_next = committed_next.max(
            self.signer_next
                .get(&body.signer)
                .copied()
                .unwrap_or(committed_next),
        );
        if body.sequence < committed_next {
            return Err(InsertError::SequenceUsed {
                next: committed_next,
            });
        }
        if body.sequence - committed_next >= self.limits.max_per_signer {
            return Err(InsertError::SequenceTooFar {
                next: committed_next,
                window: self.limits.max_per_signer,
            });
        }
        if let Some(pending) = self
            .by_signer
            .get(&body.signer)
            .and_then(|s| s.get(&body.sequence))
        {
            return Err(InsertError::SequenceTaken { pending: *pending });
        }
        let expected = self.next_sequence(&body.signer, committed_next);
        if committed_next == 0 && body.sequence > 0 {
            return Err(InsertError::FirstPending);
        }
        if body.sequence != expected {
            return Err(InsertError::Gap { expected });
        }
        let signer_bytes = self.signer_bytes.get(&body.signer).copied().unwrap_or(0);
        if signer_bytes + size > self.limits.max_bytes_per_signer {
            return Err(InsertError::SignerFull {
                max_bytes: self.limits.max_bytes_per_signer,
            });
        }
        if self.txs.len() >= self.limits.max_txs || self.bytes + size > self.limits.max_bytes {
            return Err(InsertError::Full);
        }
        if body.sequence == 0 {
            if self.newcomers >= self.limits.max_newcomers {
                return Err(InsertError::NewcomersFull);
            }
            self.newcomers += 1;
        }
        self.by_signer
            .entry(body.signer)
            .or_default()
            .insert(body.sequence, id);
        let seen = self
            .signer_next
            .entry(body.signer)
            .or_insert(committed_next);
        *seen = (*seen).max(committed_next);
        *self.signer_bytes.entry(body.signer).or_default() += size;
        self.bytes += size;
        self.outcomes.remove(&id);
        self.txs.insert(
            id,
            Entry {
                tx,
                size,
                admitted: Instant::now(),
            },
        );
        Ok(true)
    }

    fn remove(&mut self, id: &Hash) -> Option<Entry> {
        let e = self.txs.remove(id)?;
        self.bytes -= e.size;
        let body = &e.tx.tx().body;
        if let Some(b) = self.signer_bytes.get_mut(&body.signer) {
            *b -= e.size;
        }
        if body.sequence == 0 {
            self.newcomers -= 1;
        }
        if let Some(seqs) = self.by_signer.get_mut(&body.signer) {
            seqs.remove(&body.sequence);
            if seqs.is_empty() {
                self.by_signer.remove(&body.signer);
                self.signer_next.remove(&body.signer);
                self.signer_bytes.remove(&body.signer);
            }
        }
        Some(e)
    }

    fn remember(&mut self, id: Hash, outcome: Outcome) {
        if self.outcomes.insert(id, outcome).is_none() {
            self.outcome_order.push_back(id);
        }
        while self.outcome_order.len() > self.limits.max_outcomes {
            if let Some(old) = self.outcome_order.pop_front() {
                self.outcomes.remove(&old);
            }
        }
    }

    /// A signer's transaction was refused when a block was built: it leaves with `outcome`,
    /// and so do the signer's later ones, which can no longer execute (their sequence follows
    /// a transaction that will not commit).
    pub fn reject_with_followers(&mut self, id: &Hash, outcome: Outcome) {
        let Some(e) = self.txs.get(id) else { return };
        let (signer, sequence) = (e.tx.tx().body.signer, e.tx.tx().body.sequence);
        let later: Vec<(u64, Hash)> = self
            .by_signer
            .get(&signer)
            .map(|s| s.range(sequence + 1..).map(|(q, h)| (*q, *h)).collect())
            .unwrap_or_default();
        self.reject(id, outcome);
        for (q, h) in later {
            self.reject(
                &h,
                Outcome::Rejected {
                    rule: "R-D3".into(),
                    code: "E_BAD_SEQUENCE".into(),
                    detail: format!(
                        "the signer's transaction with sequence {sequence} was refused; {q} can no longer execute"
                    ),
                    fields: vec![FieldOut {
                        field: "sequence".into(),
                        problem: format!("follows refused sequence {sequence}"),
                    }],
                },
            );
        }
    }

    /// Remember a refusal of a transaction that never entered (admission).
    pub fn remember_rejected(&mut self, id: Hash, outcome: Outcome) {
        self.remember(id, outcome);
    }

    /// Drop `id` with its outcome (refused when a block was built).
    pub fn reject(&mut self, id: &Hash, outcome: Outcome) {
        if self.remove(id).is_some() {
            self.remember(*id, outcome);
        }
    }

    /// Candidates for a block: up to `max` transactions, round-robin over the ready signers,
    /// each signer's in sequence order (the builder stops a signer at its first failure).
    pub fn candidates(&mut self, max: usize) -> Vec<VerifiedTx> {
        let signers: Vec<PublicKey> = match self.cursor {
            Some(c) => self
                .by_signer
                .range(c..)
                .chain(self.by_signer.range(..c))
                .map(|(k, _)| *k)
                .filter(|k| self.ready(k))
                .collect(),
            None => self
                .by_signer
                .keys()
                .copied()
                .filter(|k| self.ready(k))
                .collect(),
        };
        let mut queues: Vec<std::collections::btree_map::Values<'_, u64, Hash>> = signers
            .iter()
            .filter_map(|s| self.by_signer.get(s).map(|m| m.values()))
            .collect();
        let mut out = Vec::new();
        while out.len() < max && !queues.is_empty() {
            queues.retain_mut(|q| match q.next() {
                Some(id) if out.len() < max => {
                    out.push(self.txs[id].tx.clone());
                    true
                }
                _ => false,
            });
        }
        // The next block starts with the signer after this one's first.
        self.cursor = signers.get(1).copied();
        out
    }

    /// A block committed: its transactions leave; so do transactions whose sequence is now
    /// used by another (superseded), and those that expired (`next_height` is the height the
    /// next block will have). `committed_next` gives a signer's committed next sequence.
    /// Returns the admission instants of the block's transactions that were pending here.
    pub fn committed(
        &mut self,
        block: &Block,
        next_height: u64,
        committed_next: &HashMap<PublicKey, u64>,
    ) -> Vec<Instant> {
        let mut admitted = Vec::new();
        let mut touched = std::collections::BTreeSet::new();
        for tx in &block.txs {
            touched.insert(tx.body.signer);
            if let Some(e) = self.remove(&tx.id()) {
                admitted.push(e.admitted);
            }
        }
        for signer in touched {
            let next = committed_next.get(&signer).copied().unwrap_or(0);
            if self.by_signer.contains_key(&signer) {
                self.signer_next.insert(signer, next);
            }
            let stale: Vec<Hash> = self
                .by_signer
                .get(&signer)
                .map(|s| s.range(..next).map(|(_, id)| *id).collect())
                .unwrap_or_default();
            for id in stale {
                self.reject(
                    &id,
                    Outcome::Rejected {
                        rule: "R-D3".into(),
                        code: "E_BAD_SEQUENCE".into(),
                        detail: "another transaction of the signer with this sequence committed"
                            .into(),
                        fields: vec![FieldOut {
                            field: "sequence".into(),
                            problem: format!("already used; the next is {next}"),
                        }],
                    },
                );
            }
        }
        let expired: Vec<(Hash, u64)> = self
            .txs
            .iter()
            .filter(|(_, e)| e.tx.tx().body.expiry_height < next_height)
            .map(|(id, e)| (*id, e.tx.tx().body.expiry_height))
            .collect();
        for (id, expiry_height) in expired {
            self.reject(&id, Outcome::Expired { expiry_height });
        }
        admitted
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracechain_types::payload::{ParticipantRecord, Payload};
    use tracechain_types::records::{ParticipantAction, ParticipantDecision};
    use tracechain_types::{ChainId, Ed25519, SecretKey, TxBody};

    fn limits() -> PoolLimits {
        PoolLimits {
            max_txs: 10,
            max_bytes: 10_000,
            max_per_signer: 4,
            max_bytes_per_signer: 9_995,
            max_newcomers: 8,
            max_outcomes: 3,
        }
    }

    fn tx(seed: u8, sequence: u64, expiry_height: u64) -> VerifiedTx {
        let key = SecretKey::from_seed([seed; 32]);
        let chain = ChainId::new("t").unwrap();
        let body = TxBody {
            signer: key.public(),
            sequence,
            expiry_height,
            payload: Payload::Participant(ParticipantRecord::ParticipantDecision(
                ParticipantDecision {
                    participant: key.public(),
                    action: ParticipantAction::Approve,
                    reason: "test".into(),
                },
            )),
        };
        VerifiedTx::verify(body.sign(&chain, &key), &chain, &Ed25519).unwrap()
    }

    fn block(txs: Vec<&VerifiedTx>) -> Block {
        Block {
            header: tracechain_types::BlockHeader {
                chain_id: ChainId::new("t").unwrap(),
                height: 6,
                view: 0,
                parent: Hash::default(),
                timestamp_ms: 1,
                tx_root: Hash::default(),
                state_root: Hash::default(),
                proposer: PublicKey([0; 32]),
                validator_set_hash: Hash::default(),
            },
            txs: txs.into_iter().map(|t| t.tx().clone()).collect(),
        }
    }

    fn next(k: &VerifiedTx, n: u64) -> HashMap<PublicKey, u64> {
        [(k.tx().body.signer, n)].into_iter().collect()
    }

    #[test]
    fn duplicates_are_one_and_a_signers_sequence_is_taken_once() {
        let mut m = Mempool::new(limits());
        let a = tx(1, 3, 100);
        assert_eq!(m.insert(a.clone(), 100, 3), Ok(true));
        assert_eq!(
            m.insert(a.clone(), 100, 3),
            Ok(false),
            "same id: no second entry"
        );
        assert_eq!((m.len(), m.bytes()), (1, 100));
        let other = tx(1, 3, 101); // same signer and sequence, another id
        assert_eq!(
            m.insert(other, 100, 3),
            Err(InsertError::SequenceTaken { pending: a.id() })
        );
    }

    #[test]
    fn the_pool_never_holds_a_gap_and_a_new_key_queues_one_transaction() {
        let mut m = Mempool::new(limits());
        assert_eq!(
            m.insert(tx(1, 2, 100), 10, 3),
            Err(InsertError::SequenceUsed { next: 3 })
        );
        assert_eq!(
            m.insert(tx(1, 5, 100), 10, 3),
            Err(InsertError::Gap { expected: 3 }),
            "ahead of the committed next"
        );
        m.insert(tx(1, 3, 100), 10, 3).unwrap();
        m.insert(tx(1, 4, 100), 10, 3).unwrap();
        assert_eq!(
            m.insert(tx(1, 6, 100), 10, 3),
            Err(InsertError::Gap { expected: 5 }),
            "ahead of the pending run"
        );
        m.insert(tx(1, 5, 100), 10, 3).unwrap();
        m.insert(tx(1, 6, 100), 10, 3).unwrap();
        assert_eq!(
            m.insert(tx(1, 7, 100), 10, 3),
            Err(InsertError::SequenceTooFar { next: 3, window: 4 })
        );
        assert_eq!(m.next_sequence(&tx(1, 0, 1).tx().body.signer, 3), 7);
        // A key with nothing committed: its first transaction, and nothing after it.
        m.insert(tx(2, 0, 100), 10, 0).unwrap();
        assert_eq!(
            m.insert(tx(2, 1, 100), 10, 0),
            Err(InsertError::FirstPending)
        );
        assert_eq!(
            m.insert(tx(3, 1, 100), 10, 0),
            Err(InsertError::FirstPending)
        );
        assert!(m.has_ready());
    }

    #[test]
    fn the_bounds_are_enforced_per_signer_and_in_all() {
        let mut m = Mempool::new(limits());
        m.insert(tx(1, 0, 100), 9_990, 0).unwrap();
        assert_eq!(
            m.insert(tx(2, 0, 100), 11, 0),
            Err(InsertError::Full),
            "bytes"
        );
        let mut m = Mempool::new(limits());
        m.insert(tx(1, 5, 100), 9_000, 5).unwrap();
        assert_eq!(
            m.insert(tx(1, 6, 100), 996, 5),
            Err(InsertError::SignerFull { max_bytes: 9_995 })
        );
        m.insert(tx(2, 0, 100), 996, 0).unwrap();
        let mut m = Mempool::new(limits());
        for s in 0..10u8 {
            m.insert(tx(10 + s, 2, 100), 1, 2).unwrap();
        }
        assert_eq!(
            m.insert(tx(30, 2, 100), 1, 2),
            Err(InsertError::Full),
            "count"
        );
    }

    #[test]
    fn candidates_go_round_robin_in_sequence_order_and_rotate() {
        let mut m = Mempool::new(limits());
        for s in [1u64, 2, 3] {
            m.insert(tx(1, s, 100), 1, 1).unwrap();
        }
        m.insert(tx(2, 0, 100), 1, 0).unwrap();
        let k1 = SecretKey::from_seed([1; 32]).public();
        let k2 = SecretKey::from_seed([2; 32]).public();
        let c = m.candidates(10);
        let seqs: Vec<(PublicKey, u64)> = c
            .iter()
            .map(|t| (t.tx().body.signer, t.tx().body.sequence))
            .collect();
        for (k, want) in [(k1, vec![1, 2, 3]), (k2, vec![0])] {
            let own: Vec<u64> = seqs
                .iter()
                .filter(|(s, _)| *s == k)
                .map(|(_, q)| *q)
                .collect();
            assert_eq!(own, want, "each signer's own order is ascending");
        }
        let (first, second) = if k1 < k2 { (k1, k2) } else { (k2, k1) };
        assert_eq!((seqs[0].0, seqs[1].0), (first, second), "round robin");
        assert_eq!(m.candidates(1)[0].tx().body.signer, second, "rotated");
        assert_eq!(m.candidates(2).len(), 2, "bounded by max");
    }

    #[test]
    fn a_commit_removes_committed_superseded_and_expired_transactions() {
        let mut m = Mempool::new(limits());
        let a0 = tx(1, 4, 100);
        let a1 = tx(1, 5, 100);
        let b0 = tx(2, 0, 5);
        m.insert(a0.clone(), 1, 4).unwrap();
        m.insert(a1.clone(), 1, 4).unwrap();
        m.insert(b0.clone(), 1, 0).unwrap();
        assert_eq!(m.next_sequence(&a0.tx().body.signer, 4), 6);
        // A block carrying a0 and another signer-1 transaction with sequence 5 (from another
        // node): a1 is superseded; b0 expires at height 7.
        let other_a1 = tx(1, 5, 200);
        let admitted = m.committed(&block(vec![&a0, &other_a1]), 7, &next(&a0, 6));
        assert_eq!(admitted.len(), 1, "a0 was pending here");
        assert!(m.is_empty(), "{m:?}");
        assert!(
            matches!(m.outcome(&a1.id()), Some(Outcome::Rejected { code, .. }) if code == "E_BAD_SEQUENCE")
        );
        assert_eq!(
            m.outcome(&b0.id()),
            Some(&Outcome::Expired { expiry_height: 5 })
        );
        assert_eq!(m.outcome(&a0.id()), None, "committed, not an outcome");
    }

    #[test]
    fn a_signer_whose_next_moved_on_is_ready_from_there() {
        // The pool saw the signer at 1; its sequence 1 was committed by another node: the
        // pending 2 is now the next one and ready.
        let mut m = Mempool::new(limits());
        let s2 = tx(3, 2, 100);
        m.insert(tx(3, 1, 100), 1, 1).unwrap();
        m.insert(s2.clone(), 1, 1).unwrap();
        let other_1 = tx(3, 1, 300);
        m.committed(&block(vec![&other_1]), 7, &next(&s2, 2));
        assert!(m.has_ready(), "sequence 2 is now the next one");
        assert_eq!(m.candidates(10), vec![s2]);
        // A stale committed next never moves a signer back (insert keeps the larger one).
        let mut m = Mempool::new(limits());
        m.insert(tx(4, 5, 100), 1, 5).unwrap();
        assert_eq!(m.insert(tx(4, 6, 100), 1, 4), Ok(true));
        assert!(m.has_ready());
    }

    #[test]
    fn a_refused_transaction_takes_its_signers_later_ones_with_it() {
        let mut m = Mempool::new(limits());
        let (a3, a4, a5) = (tx(1, 3, 100), tx(1, 4, 100), tx(1, 5, 100));
        for t in [&a3, &a4, &a5] {
            m.insert(t.clone(), 3_000, 3).unwrap();
        }
        m.reject_with_followers(&a3.id(), Outcome::Expired { expiry_height: 0 });
        assert!(m.is_empty(), "nothing of the signer can execute any more");
        assert!(
            matches!(m.outcome(&a5.id()), Some(Outcome::Rejected { code, .. }) if code == "E_BAD_SEQUENCE")
        );
        // A corrected sequence 3 finds room (its share is free again).
        assert_eq!(m.insert(tx(1, 3, 101), 3_000, 3), Ok(true));
    }

    #[test]
    fn newcomers_have_a_bounded_share_of_the_pool() {
        let mut m = Mempool::new(limits());
        for s in 0..8u8 {
            m.insert(tx(20 + s, 0, 100), 1, 0).unwrap();
        }
        assert_eq!(
            m.insert(tx(40, 0, 100), 1, 0),
            Err(InsertError::NewcomersFull)
        );
        assert_eq!(
            m.insert(tx(41, 7, 100), 1, 7),
            Ok(true),
            "a known signer still enters"
        );
        m.reject(&tx(20, 0, 100).id(), Outcome::Expired { expiry_height: 0 });
        assert_eq!(m.insert(tx(40, 0, 100), 1, 0), Ok(true), "room again");
    }

    #[test]
    fn outcomes_are_bounded_oldest_first() {
        let mut m = Mempool::new(limits());
        let ids: Vec<Hash> = (0..5u8).map(|i| tx(i + 1, 0, 1).id()).collect();
        for id in &ids {
            m.remember_rejected(*id, Outcome::Expired { expiry_height: 1 });
        }
        assert!(m.outcome(&ids[0]).is_none() && m.outcome(&ids[1]).is_none());
        assert!(ids[2..].iter().all(|id| m.outcome(id).is_some()));
    }
}
