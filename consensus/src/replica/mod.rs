//! The PBFT replica: a value with one entry point, [`Replica::step`].
//!
//! Rule ids (P…, VC…, S…, B…, SY…, R…) refer to `docs/spec/pbft.md`.

use std::collections::{BTreeMap, BTreeSet};

use borsh::{BorshDeserialize, BorshSerialize};
use tracechain_types::validator::MAX_VALIDATORS;
use tracechain_types::{
    Block, ChainId, CommitCertificate, CommitVote, Hash, PublicKey, Signature, SignatureVerifier,
    ValidatorSet,
};

use crate::buffer::FutureBuffer;
use crate::error::ConsensusError;
use crate::limits::{LimitError, Limits};
use crate::messages::{
    commit_vote_signing_bytes, new_view_signing_bytes, prepare_signing_bytes,
    preprepare_signing_bytes, view_change_signing_bytes, Message, NewView, Phase, PrePrepare,
    PrepareCert, Proposal, ViewChange, ViewChangeBody, ViewChangeMsg, Vote,
};
use crate::signer::ConsensusSigner;

mod admission;
mod interface;
mod normal;
mod restore;
mod sync;
mod view_change;

pub use interface::{
    Action, Evidence, Input, LastCommitted, PersistedState, SignedProposal, SignedRecord, TimerId,
    VoteRecord,
};

pub use crate::limits::{MAX_BLOCKS_PER_HEIGHT, MAX_SYNCED_AHEAD, MAX_VERDICTS_PER_HEIGHT};
/// The view-timeout exponent is capped here (timeouts double per failed view, VC5).
pub const MAX_TIMEOUT_DOUBLINGS: u64 = 16;

/// Replica configuration. Validate with [`Config::validate`] at start.
#[derive(Debug, Clone)]
pub struct Config {
    /// The chain.
    pub chain_id: ChainId,
    /// Hash of the genesis block (height 0), the parent of height 1.
    pub genesis_hash: Hash,
    /// Timestamp of the genesis block.
    pub genesis_timestamp_ms: u64,
    /// Validator set of heights 1 and 2.
    pub genesis_set: ValidatorSet,
    /// View timeout of view 0 (virtual ms); view v waits `view_timeout_ms · 2^v`, capped.
    pub view_timeout_ms: u64,
    /// Upper bound of the view timeout.
    pub max_view_timeout_ms: u64,
    /// How long to wait for a sync answer before asking again.
    pub sync_retry_ms: u64,
    /// VC8: while a view change has not gathered a quorum, the replica re-sends its signed view
    /// change this often (it does not move to a further view).
    pub view_change_resend_ms: u64,
    /// Memory bounds (B1–B3).
    pub limits: Limits,
    /// SY5: a trusted checkpoint (a recent committed block) given by the operator; history that
    /// conflicts with it is refused.
    pub checkpoint: Option<Checkpoint>,
    /// VS1: the validator-set change a committed block decides, supplied by the application
    /// (the replica never reads transaction payloads). Used for blocks committed without a
    /// local verdict (sync, a `Decided` certificate); a validated block's change comes with
    /// [`Input::ProposalValidated`] / [`Input::ProposalReady`].
    pub set_change_of: SetChangeOf,
}

/// How the application names the validator-set change a block decides (VS1): the new set, or
/// `None` when the block changes nothing. Must be a pure function of the block.
pub type SetChangeOf = fn(&Block) -> Option<ValidatorSet>;

/// A trusted checkpoint (SY5): the hash of the committed block at `height`, obtained by the
/// operator from a source they trust (another agency's node, the consortium's published
/// checkpoints).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checkpoint {
    /// Height of the block.
    pub height: u64,
    /// Its hash.
    pub hash: Hash,
}

/// Default view timeout (ms).
pub const DEFAULT_VIEW_TIMEOUT_MS: u64 = 2_000;
/// Default maximum view timeout (ms).
pub const DEFAULT_MAX_VIEW_TIMEOUT_MS: u64 = 120_000;
/// Default sync retry (ms).
pub const DEFAULT_SYNC_RETRY_MS: u64 = 1_000;
/// Default view-change re-send interval (ms, VC8).
pub const DEFAULT_VIEW_CHANGE_RESEND_MS: u64 = 2_000;

/// A configuration value that cannot work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A timeout of zero.
    #[error("consensus.{0} must be > 0")]
    Zero(&'static str),
    /// A memory bound that cannot work.
    #[error(transparent)]
    Limit(#[from] LimitError),
    /// The checkpoint height is 0 or further than the replica can walk to (SY5).
    #[error("consensus.checkpoint.height ({height}) must be in 1..=consensus.limits.max_checkpoint_distance ({max})")]
    CheckpointHeight {
        /// Configured height.
        height: u64,
        /// The limit.
        max: u64,
    },
    /// max_view_timeout_ms below view_timeout_ms.
    #[error("consensus.max_view_timeout_ms ({max}) must be >= consensus.view_timeout_ms ({base})")]
    MaxBelowBase {
        /// Base.
        base: u64,
        /// Max.
        max: u64,
    },
}

impl Config {
    /// A configuration with default timeouts.
    pub fn new(
        chain_id: ChainId,
        genesis_hash: Hash,
        genesis_timestamp_ms: u64,
        genesis_set: ValidatorSet,
        set_change_of: SetChangeOf,
    ) -> Self {
        Config {
            chain_id,
            genesis_hash,
            genesis_timestamp_ms,
            genesis_set,
            view_timeout_ms: DEFAULT_VIEW_TIMEOUT_MS,
            max_view_timeout_ms: DEFAULT_MAX_VIEW_TIMEOUT_MS,
            sync_retry_ms: DEFAULT_SYNC_RETRY_MS,
            view_change_resend_ms: DEFAULT_VIEW_CHANGE_RESEND_MS,
            limits: Limits::default(),
            checkpoint: None,
            set_change_of,
        }
    }

    /// Check the values and their relationships.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.view_timeout_ms == 0 {
            return Err(ConfigError::Zero("view_timeout_ms"));
        }
        if self.sync_retry_ms == 0 {
            return Err(ConfigError::Zero("sync_retry_ms"));
        }
        if self.view_change_resend_ms == 0 {
            return Err(ConfigError::Zero("view_change_resend_ms"));
        }
        if self.max_view_timeout_ms < self.view_timeout_ms {
            return Err(ConfigError::MaxBelowBase {
                base: self.view_timeout_ms,
                max: self.max_view_timeout_ms,
            });
        }
        self.limits.validate()?;
        if let Some(cp) = &self.checkpoint {
            if cp.height == 0 || cp.height > self.limits.max_checkpoint_distance {
                return Err(ConfigError::CheckpointHeight {
                    height: cp.height,
                    max: self.limits.max_checkpoint_distance,
                });
            }
        }
        Ok(())
    }
}

/// What a signature of this replica is for (S1): the phase and the slot `SignedRecord` keeps.
enum Slot<'a> {
    /// A proposal (pre-prepare) of `view`.
    Proposal { view: u64, block: &'a Block },
    /// A prepare vote.
    Prepare { view: u64, hash: Hash },
    /// A commit vote.
    Commit { view: u64, hash: Hash },
    /// A view change.
    ViewChange(&'a ViewChangeBody),
    /// A new-view announcing `hash` with these view changes.
    NewView {
        view: u64,
        hash: Hash,
        view_changes: &'a [ViewChange],
    },
}

/// A signature to verify, with the error to report if it is bad (M5).
struct SigCheck {
    key: PublicKey,
    msg: Vec<u8>,
    sig: Signature,
    err: ConsensusError,
}

#[derive(Debug, Clone)]
struct Current {
    view: u64,
    hash: Hash,
    proposal: Proposal,
}

/// A PBFT replica. Generic over its signer and the signature verifier.
#[derive(Debug)]
pub struct Replica<S, V> {
    cfg: Config,
    signer: S,
    verifier: V,
    me: PublicKey,
    // --- durable (mirrored in PersistedState) ---
    height: u64,
    view: u64,
    last: LastCommitted,
    sets: Vec<(u64, ValidatorSet, Hash)>,
    signed: SignedRecord,
    prepared: Option<(PrepareCert, Block)>,
    /// The block of `signed.proposal`.
    own_block: Option<Block>,
    // --- volatile, per height ---
    /// Hashes of the blocks of this height already sent to the driver by `StoreBlock`.
    stored: BTreeSet<Hash>,
    in_view_change: bool,
    /// VC8: a quorum of view changes for the view being changed to has arrived, so its view
    /// timer runs (before that only the re-send timer does).
    vc_quorum: bool,
    current: Option<Current>,
    prepares: BTreeMap<PublicKey, (Hash, Signature)>,
    commits: BTreeMap<u64, BTreeMap<PublicKey, (Hash, Signature)>>,
    view_changes: BTreeMap<u64, BTreeMap<PublicKey, ViewChange>>,
    /// VC9: the quorum of view changes of the highest view this replica moved past or entered at
    /// this height (exactly q view changes, as in a new-view), kept to answer a replica that is
    /// still waiting for that quorum.
    passed: Option<(u64, Vec<ViewChange>)>,
    /// Encoded bytes of `passed` (at most q · `max_view_change_bytes(n)`).
    passed_bytes: usize,
    /// VC9: validators sent a relay since this replica's view (or re-send) timer last fired or
    /// its view last changed; each gets at most one relay per such period.
    relayed: BTreeSet<PublicKey>,
    blocks: BTreeMap<Hash, Block>,
    /// Encoded bytes of `blocks` (B3).
    blocks_bytes: usize,
    verdicts: BTreeMap<Hash, Option<Option<ValidatorSet>>>,
    awaiting_proposal: Option<u64>,
    pending_fresh: Option<Hash>,
    /// The view timer currently armed (height, view), if any (ID1).
    view_timer: Option<(u64, u64)>,
    // --- volatile, across heights ---
    /// The driver's last `PendingWork` (ID1).
    pending_work: bool,
    buffer: FutureBuffer,
    synced: BTreeMap<u64, (Block, CommitCertificate)>,
    /// Encoded bytes of `synced` (B3).
    synced_bytes: usize,
    /// SY5: hashes of the checkpoint's history at heights above the last committed block,
    /// learnt by walking parent hashes down from the checkpoint (at most
    /// `max_checkpoint_distance` entries; empty without a checkpoint or once it is passed).
    trusted: BTreeMap<u64, Hash>,
    /// SY5: synced blocks beyond the sync window kept for the walk (bounded like `synced`).
    walk: BTreeMap<u64, (Block, CommitCertificate)>,
    walk_bytes: usize,
    sync_pending: bool,
    sync_target: u64,
    started: bool,
    quorum_minus_one: bool,
    weaken: Weaken,
}

/// **Test-only** weakened checks for the simulator's negative controls: each switch turns off
/// one check the Byzantine certificate fixtures attack, so that a control can show the checker
/// catches the resulting violation. All off by default; only [`Replica::with_weaken_for_tests`]
/// (feature `sim`) sets them. Never use outside simulations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Weaken {
    /// SY1: a `Decided` certificate (or a pre-prepare's parent certificate) at the current
    /// height is committed without verifying its votes.
    pub decided_unverified: bool,
    /// SY2: a synced block is committed without verifying its certificate's votes.
    pub synced_unverified: bool,
    /// VC1: a prepare certificate one vote short of a quorum is accepted in a view change.
    pub prepare_cert_one_short: bool,
    /// VC3c: view changes for another view are accepted inside a new-view.
    pub new_view_other_view: bool,
    /// VC1: a prepare certificate's prepares are not checked for membership (non-members and
    /// the view's primary's own prepare count).
    pub prepare_members_unchecked: bool,
    /// M6: broadcasts go to set(h) only, not to the validators joining at h + 1.
    pub broadcast_current_set_only: bool,
    /// VC6: a view change's voter is not checked for membership of set(h) (reachable inside a
    /// new-view, where the view changes are relayed by the primary).
    pub view_change_voter_unchecked: bool,
    /// VC3e: a new-view's own signature and its proposal's signature are not verified.
    pub new_view_signatures_unchecked: bool,
    /// VC9: the replica never relays view changes (the liveness hole VC9 closes).
    pub no_view_change_relay: bool,
}

impl<S: ConsensusSigner, V: SignatureVerifier> Replica<S, V> {
    /// A replica at genesis. Feed [`Input::Start`] (fresh) or [`Input::Restore`] (restart)
    /// first.
    pub fn new(cfg: Config, signer: S, verifier: V) -> Self {
        let me = signer.public();
        let set_hash = cfg.genesis_set.hash();
        let last = LastCommitted {
            height: 0,
            hash: cfg.genesis_hash,
            timestamp_ms: cfg.genesis_timestamp_ms,
            cert: None,
        };
        let sets = vec![(1, cfg.genesis_set.clone(), set_hash)];
        let buffer = FutureBuffer::new(cfg.limits.clone());
        Replica {
            cfg,
            signer,
            verifier,
            me,
            height: 1,
            view: 0,
            last,
            sets,
            signed: SignedRecord::default(),
            prepared: None,
            own_block: None,
            stored: BTreeSet::new(),
            in_view_change: false,
            vc_quorum: false,
            current: None,
            prepares: BTreeMap::new(),
            commits: BTreeMap::new(),
            view_changes: BTreeMap::new(),
            passed: None,
            passed_bytes: 0,
            relayed: BTreeSet::new(),
            blocks: BTreeMap::new(),
            blocks_bytes: 0,
            verdicts: BTreeMap::new(),
            awaiting_proposal: None,
            pending_fresh: None,
            view_timer: None,
            pending_work: false,
            buffer,
            synced: BTreeMap::new(),
            synced_bytes: 0,
            trusted: BTreeMap::new(),
            walk: BTreeMap::new(),
            walk_bytes: 0,
            sync_pending: false,
            sync_target: 0,
            started: false,
            quorum_minus_one: false,
            weaken: Weaken::default(),
        }
    }

    /// **Test-only knob** for the simulator's negative control: count quorums as one less than
    /// `ValidatorSet::quorum()` (2f instead of 2f+1). Never use outside simulations.
    #[cfg(feature = "sim")]
    pub fn with_wrong_quorum_for_tests(mut self) -> Self {
        self.quorum_minus_one = true;
        self
    }

    /// **Test-only knob** for the simulator's negative controls: weaken the checks named in
    /// `w`. Never use outside simulations.
    #[cfg(feature = "sim")]
    pub fn with_weaken_for_tests(mut self, w: Weaken) -> Self {
        self.weaken = w;
        self
    }

    /// This replica's key.
    pub fn public(&self) -> PublicKey {
        self.me
    }

    /// Height being decided.
    pub fn height(&self) -> u64 {
        self.height
    }

    /// Current view.
    pub fn view(&self) -> u64 {
        self.view
    }

    /// The last committed block.
    pub fn last_committed(&self) -> &LastCommitted {
        &self.last
    }

    /// The future-message buffer (for bound checks and metrics).
    pub fn buffer(&self) -> &FutureBuffer {
        &self.buffer
    }

    /// Synced blocks waiting for their predecessors.
    pub fn synced_waiting(&self) -> usize {
        self.synced.len()
    }

    /// Heights of the synced blocks waiting for their predecessors, ascending (SY3).
    pub fn synced_heights(&self) -> Vec<u64> {
        self.synced.keys().copied().collect()
    }

    /// Commit votes kept for the current height, over all views (B2).
    pub fn commits_kept(&self) -> usize {
        self.commits.values().map(|t| t.len()).sum()
    }

    /// Blocks kept for the current height.
    pub fn blocks_kept(&self) -> usize {
        self.blocks.len()
    }

    /// Encoded bytes of the blocks kept for the current height.
    pub fn block_bytes_kept(&self) -> usize {
        self.blocks_bytes
    }

    /// Encoded bytes of the synced blocks (with certificates) waiting for their predecessors.
    pub fn synced_bytes(&self) -> usize {
        self.synced_bytes
    }

    /// VC9: view changes kept of the view moved past (at most a quorum), and their encoded bytes.
    pub fn passed_kept(&self) -> (usize, usize) {
        (
            self.passed.as_ref().map_or(0, |(_, v)| v.len()),
            self.passed_bytes,
        )
    }

    /// VC9: validators answered with a relay in the current period (at most n).
    pub fn relayed_kept(&self) -> usize {
        self.relayed.len()
    }

    /// The vote record now (S2).
    pub fn vote_record(&self) -> VoteRecord {
        VoteRecord {
            height: self.height,
            view: self.view,
            signed: self.signed.clone(),
            prepared: self.prepared.as_ref().map(|(c, _)| c.clone()),
        }
    }

    /// The durable state now, as a driver would reassemble it for [`Input::Restore`] (tests).
    pub fn persisted_state(&self) -> PersistedState {
        let mut blocks: Vec<Block> = self.own_block.iter().cloned().collect();
        if let Some((c, b)) = &self.prepared {
            if self.signed.proposal.map(|p| p.block_hash) != Some(c.block_hash) {
                blocks.push(b.clone());
            }
        }
        PersistedState {
            last: self.last.clone(),
            sets: self.sets_in_force(),
            record: self.vote_record(),
            blocks,
        }
    }

    fn sets_in_force(&self) -> Vec<(u64, ValidatorSet)> {
        self.sets.iter().map(|(h, s, _)| (*h, s.clone())).collect()
    }

    /// The one entry point: process an input, return the actions to perform in order.
    pub fn step(&mut self, input: Input) -> Vec<Action> {
        let mut out = Vec::new();
        self.step_into(input, &mut out);
        out
    }

    /// Like [`Replica::step`], pushing into `out`.
    pub fn step_into(&mut self, input: Input, out: &mut Vec<Action>) {
        match input {
            Input::Start => {
                if !self.started {
                    self.started = true;
                    self.enter_height(out);
                    self.init_checkpoint(out);
                }
            }
            Input::Restore(state) => self.on_restore(state, out),
            Input::Message { from, message } => {
                if self.started {
                    self.on_message(from, message, out);
                }
            }
            Input::Timer(t) => self.on_timer(t, out),
            Input::ProposalReady {
                height,
                view,
                block,
                set_change,
            } => self.on_proposal_ready(height, view, block, set_change, out),
            Input::ProposalValidated {
                height,
                block_hash,
                set_change,
            } => self.on_verdict(height, block_hash, Some(set_change), out),
            Input::ProposalRefused { height, block_hash } => {
                self.on_verdict(height, block_hash, None, out)
            }
            Input::PendingWork(work) => self.on_pending_work(work, out),
            Input::BlockSynced { block, cert } => self.on_synced(block, cert, out),
        }
    }

    fn set_at(&self, height: u64) -> Option<&(u64, ValidatorSet, Hash)> {
        self.sets.iter().rev().find(|(from, _, _)| *from <= height)
    }

    /// Heights whose validator set is known: up to `last.height + 2` (VS1).
    fn set_known(&self, height: u64) -> Option<&ValidatorSet> {
        if height > self.last.height.saturating_add(2) {
            return None;
        }
        self.set_at(height).map(|(_, s, _)| s)
    }

    fn cur_set(&self) -> &ValidatorSet {
        match self.set_at(self.height) {
            Some((_, s, _)) => s,
            None => panic!(
                "invariant: validator set of the current height {} is known",
                self.height
            ),
        }
    }

    fn cur_set_hash(&self) -> Hash {
        match self.set_at(self.height) {
            Some((_, _, h)) => *h,
            None => panic!(
                "invariant: validator set of the current height {} is known",
                self.height
            ),
        }
    }

    /// Whether this replica votes at the current height (SY4: a full node or a removed
    /// validator follows by certificates and never signs).
    fn is_member(&self) -> bool {
        self.cur_set().contains(&self.me)
    }

    fn quorum(&self) -> usize {
        let q = self.cur_set().quorum();
        if self.quorum_minus_one {
            q.saturating_sub(1).max(1)
        } else {
            q
        }
    }

    /// P1: the primary of (height, view) rotates over the set.
    fn primary(&self, view: u64) -> PublicKey {
        primary_of(self.cur_set(), self.height, view)
    }

    fn timeout(&self, view: u64) -> u64 {
        let shift = view.min(MAX_TIMEOUT_DOUBLINGS);
        self.cfg
            .view_timeout_ms
            .saturating_mul(1u64 << shift)
            .min(self.cfg.max_view_timeout_ms)
    }

    /// S2: the vote record, preceded by the blocks it names that the driver does not hold yet
    /// (each block once per height).
    fn persist(&mut self, out: &mut Vec<Action>) {
        let own = self
            .own_block
            .as_ref()
            .zip(self.signed.proposal.map(|p| p.block_hash));
        let prepared = self.prepared.as_ref().map(|(c, b)| (b, c.block_hash));
        for (block, hash) in own.into_iter().chain(prepared) {
            if self.stored.insert(hash) {
                out.push(Action::StoreBlock {
                    hash,
                    block: block.clone(),
                });
            }
        }
        out.push(Action::Persist(self.vote_record()));
    }

    /// S1: the one signing path. Every signature of this replica is made here: it refuses a
    /// second digest for one (height, view, phase) and any view below the last one signed in
    /// that phase (returns `None`), and records the signature in `SignedRecord` before
    /// returning it, so that the next `Persist` makes it durable (S2, see `send_signed`).
    fn sign_once(&mut self, slot: Slot<'_>) -> Option<Signature> {
        let chain = &self.cfg.chain_id;
        let h = self.height;
        match slot {
            Slot::Proposal { view, block } => {
                let hash = block.hash();
                let prev = self.signed.proposal.map(|p| (p.view, p.block_hash));
                if !may_sign(prev, view, hash) {
                    return None;
                }
                let signature = self
                    .signer
                    .sign(&preprepare_signing_bytes(chain, h, view, &hash));
                self.signed.proposal = Some(SignedProposal {
                    view,
                    block_hash: hash,
                    signature,
                });
                self.own_block = Some(block.clone());
                Some(signature)
            }
            Slot::Prepare { view, hash } => {
                if !may_sign(self.signed.prepare, view, hash) {
                    return None;
                }
                let signature = self
                    .signer
                    .sign(&prepare_signing_bytes(chain, h, view, &hash));
                self.signed.prepare = Some((view, hash));
                Some(signature)
            }
            Slot::Commit { view, hash } => {
                if !may_sign(self.signed.commit, view, hash) {
                    return None;
                }
                let signature = self
                    .signer
                    .sign(&commit_vote_signing_bytes(chain, h, view, &hash));
                self.signed.commit = Some((view, hash));
                Some(signature)
            }
            Slot::ViewChange(body) => {
                assert_eq!(
                    body.height, h,
                    "invariant: view change of the current height"
                );
                if let Some(prev) = &self.signed.view_change {
                    if prev.body.height == h
                        && (prev.body.new_view > body.new_view
                            || (prev.body.new_view == body.new_view && prev.body != *body))
                    {
                        return None;
                    }
                }
                let signature = self.signer.sign(&view_change_signing_bytes(chain, body));
                self.signed.view_change = Some(ViewChange {
                    body: body.clone(),
                    signature,
                });
                Some(signature)
            }
            Slot::NewView {
                view,
                hash,
                view_changes,
            } => {
                if !may_sign(self.signed.new_view, view, hash) {
                    return None;
                }
                let signature =
                    self.signer
                        .sign(&new_view_signing_bytes(chain, h, view, &hash, view_changes));
                self.signed.new_view = Some((view, hash));
                Some(signature)
            }
        }
    }

    /// S2: the one way a newly signed message leaves this replica: the durable state, which
    /// records the signature (`sign_once`), is emitted first, then the message.
    fn send_signed(&mut self, message: Message, out: &mut Vec<Action>) {
        assert!(
            self.records(&message),
            "invariant (S1/S2): a signature is recorded before it is sent"
        );
        self.persist(out);
        self.broadcast(message, out);
    }

    /// M6: a message of height h goes to the validators of set(h) ∪ set(h + 1) (those deciding
    /// h and those joining at h + 1), never to this replica.
    fn broadcast(&self, message: Message, out: &mut Vec<Action>) {
        let h = message.height();
        let mut to = BTreeSet::new();
        let next = if self.weaken.broadcast_current_set_only {
            h
        } else {
            h.saturating_add(1)
        };
        for height in [h, next] {
            if let Some(set) = self.set_known(height) {
                to.extend(set.validators().iter().map(|v| v.public_key));
            }
        }
        to.remove(&self.me);
        out.push(Action::Broadcast {
            to: to.into_iter().collect(),
            message,
        });
    }

    /// Whether `SignedRecord` holds the signature `message` carries.
    fn records(&self, message: &Message) -> bool {
        let s = &self.signed;
        match message {
            Message::PrePrepare(pp) => s.proposal == Some(Self::signed_proposal(&pp.proposal)),
            Message::Prepare(v) => s.prepare == Some((v.view, v.block_hash)),
            Message::Commit(v) => s.commit == Some((v.view, v.block_hash)),
            Message::ViewChange(vc) => s.view_change.as_ref() == Some(&vc.view_change),
            Message::NewView(nv) => {
                s.proposal == Some(Self::signed_proposal(&nv.proposal))
                    && s.new_view == Some((nv.view, nv.proposal.block.hash()))
            }
            Message::Decided(_) => true,
        }
    }

    fn signed_proposal(p: &Proposal) -> SignedProposal {
        SignedProposal {
            view: p.view,
            block_hash: p.block.hash(),
            signature: p.signature,
        }
    }

    /// The proposal this replica signed, whole (S1: re-sent, never signed again).
    fn own_proposal(&self) -> Option<Proposal> {
        let p = self.signed.proposal?;
        let block = self.own_block.clone()?;
        Some(Proposal {
            view: p.view,
            block,
            signature: p.signature,
        })
    }

    fn reject(&self, from: PublicKey, error: ConsensusError, out: &mut Vec<Action>) {
        out.push(Action::Rejected { from, error });
    }

    /// Keep a block of the current height, bounded in count and bytes (B2/B3). Policy when
    /// full: the block with the smallest hash other than the current proposal and the prepared
    /// block is evicted (deterministic, and a sender cannot choose which honest block goes:
    /// block hashes cannot be aimed); those two are never evicted (the byte limit admits both
    /// at their largest).
    fn keep_block(&mut self, hash: Hash, block: Block) {
        if self.blocks.contains_key(&hash) {
            return;
        }
        let size = object_bytes(&block);
        let limits = &self.cfg.limits;
        while self.blocks.len() >= limits.max_blocks_per_height
            || self.blocks_bytes.saturating_add(size) > limits.max_block_bytes_per_height
        {
            let protect_cur = self.current.as_ref().map(|c| c.hash);
            let protect_prep = self.prepared.as_ref().map(|(c, _)| c.block_hash);
            let victim = self
                .blocks
                .keys()
                .find(|k| Some(**k) != protect_cur && Some(**k) != protect_prep)
                .copied();
            let Some(v) = victim else { break };
            if let Some(b) = self.blocks.remove(&v) {
                self.blocks_bytes = self.blocks_bytes.saturating_sub(object_bytes(&b));
            }
        }
        self.blocks_bytes = self.blocks_bytes.saturating_add(size);
        self.blocks.insert(hash, block);
    }
}

/// S1: whether a signature of `digest` in `view` may follow `prev`, the last (view, digest)
/// signed in the same phase at this height: views only grow within a height, one digest per
/// (view, phase), the same digest again is a re-send.
fn may_sign(prev: Option<(u64, Hash)>, view: u64, digest: Hash) -> bool {
    match prev {
        None => true,
        Some((v, d)) => v < view || (v == view && d == digest),
    }
}

/// Encoded size of a value kept in memory (B3).
fn object_bytes<T: BorshSerialize>(value: &T) -> usize {
    borsh::object_length(value).unwrap_or(usize::MAX)
}

/// The primary of `view` at `height` under `set`: validator `(height + view) mod n` in key
/// order. Every committed block's header names the primary of its own view (P2f), which an
/// auditor checks with this function.
pub fn primary_of(set: &ValidatorSet, height: u64, view: u64) -> PublicKey {
    let n = set.len() as u64;
    let idx = (height.wrapping_add(view) % n.max(1)) as usize;
    match set.get(idx) {
        Some(v) => v.public_key,
        None => panic!("invariant: index below set size"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signer::Ed25519Signer;
    use tracechain_types::{Ed25519, SecretKey, Validator};

    fn replica() -> Replica<Ed25519Signer, Ed25519> {
        let key = SecretKey::from_seed([7; 32]);
        let set = match ValidatorSet::new(vec![Validator {
            public_key: key.public(),
            name: "v".into(),
        }]) {
            Ok(s) => s,
            Err(e) => panic!("{e}"),
        };
        let chain = match ChainId::new("tracechain-unit") {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        };
        let cfg = Config::new(chain, Hash::tagged(b"g", &[]), 1, set, |_| None);
        Replica::new(cfg, Ed25519Signer::new(key), Ed25519)
    }

    /// S1: the one signing path refuses a second digest for one (height, view, phase) and any
    /// lower view, re-signs the same digest, and records what it signed.
    #[test]
    fn s1_sign_once_refuses_a_second_digest_and_lower_views() {
        let mut r = replica();
        let (a, b) = (Hash::tagged(b"a", &[]), Hash::tagged(b"b", &[]));
        let first = r.sign_once(Slot::Prepare { view: 1, hash: a });
        let sig = first.unwrap_or_else(|| panic!("the first prepare is signed"));
        assert!(
            Ed25519.verify(
                &r.me,
                &prepare_signing_bytes(&r.cfg.chain_id, 1, 1, &a),
                &sig
            ),
            "the signature is the signer's over the prepare's signing bytes"
        );
        assert_eq!(r.signed.prepare, Some((1, a)));
        assert_eq!(r.sign_once(Slot::Prepare { view: 1, hash: a }), first);
        assert_eq!(r.sign_once(Slot::Prepare { view: 1, hash: b }), None);
        assert_eq!(r.sign_once(Slot::Prepare { view: 0, hash: a }), None);
        assert!(r.sign_once(Slot::Prepare { view: 2, hash: b }).is_some());
        assert!(r.sign_once(Slot::Commit { view: 2, hash: b }).is_some());
        assert_eq!(r.sign_once(Slot::Commit { view: 2, hash: a }), None);
        let me = r.me;
        let body = |new_view| ViewChangeBody {
            height: 1,
            new_view,
            voter: me,
            committed: None,
            prepared: None,
        };
        let (b3, b2) = (body(3), body(2));
        let vc3 = r.sign_once(Slot::ViewChange(&b3));
        assert!(vc3.is_some());
        assert_eq!(r.sign_once(Slot::ViewChange(&b2)), None);
        // The same view change again is the same signature (a re-send, S1); another body for
        // the same view is refused; a higher view is signed.
        assert_eq!(r.sign_once(Slot::ViewChange(&b3)), vc3);
        let mut b3x = body(3);
        b3x.prepared = Some(PrepareCert {
            view: 1,
            block_hash: a,
            preprepare: Signature([1; 64]),
            prepares: Vec::new(),
        });
        assert_eq!(r.sign_once(Slot::ViewChange(&b3x)), None);
        assert!(r.sign_once(Slot::ViewChange(&body(4))).is_some());
        // Proposals and new-views: one digest per view, never a lower view.
        let (chain_id, parent, set_hash) =
            (r.cfg.chain_id.clone(), r.cfg.genesis_hash, r.cur_set_hash());
        let block = |variant: u8| Block {
            header: tracechain_types::BlockHeader {
                chain_id: chain_id.clone(),
                height: 1,
                view: 2,
                parent,
                timestamp_ms: 2,
                proposer: me,
                validator_set_hash: set_hash,
                tx_root: Block::compute_tx_root(&[]),
                state_root: Hash::tagged(b"s", &[&[variant]]),
            },
            txs: Vec::new(),
        };
        let (x, y) = (block(0), block(1));
        let px = r.sign_once(Slot::Proposal { view: 2, block: &x });
        assert!(px.is_some());
        assert_eq!(r.sign_once(Slot::Proposal { view: 2, block: &x }), px);
        assert_eq!(r.sign_once(Slot::Proposal { view: 2, block: &y }), None);
        assert_eq!(r.sign_once(Slot::Proposal { view: 1, block: &y }), None);
        assert_eq!(r.own_block.as_ref(), Some(&x));
        let nv = r.sign_once(Slot::NewView {
            view: 2,
            hash: x.hash(),
            view_changes: &[],
        });
        assert!(nv.is_some());
        let again = r.sign_once(Slot::NewView {
            view: 2,
            hash: x.hash(),
            view_changes: &[],
        });
        assert_eq!(again, nv);
        let other = r.sign_once(Slot::NewView {
            view: 2,
            hash: y.hash(),
            view_changes: &[],
        });
        assert_eq!(other, None);
        let lower = r.sign_once(Slot::NewView {
            view: 1,
            hash: x.hash(),
            view_changes: &[],
        });
        assert_eq!(lower, None);
        // A new-view is recorded only when both its signature and its proposal's are.
        let new_view_with = |block: &Block, proposal_sig| {
            Message::NewView(NewView {
                height: 1,
                view: 2,
                view_changes: Vec::new(),
                proposal: Proposal {
                    view: 2,
                    block: block.clone(),
                    signature: proposal_sig,
                },
                signature: Signature([0; 64]),
            })
        };
        let px = px.unwrap_or_else(|| panic!("signed above"));
        assert!(r.records(&new_view_with(&x, px)));
        assert!(!r.records(&new_view_with(&x, Signature([9; 64]))));
        assert!(!r.records(&new_view_with(&y, px)));
        let msg = Message::Prepare(Vote {
            height: 1,
            view: 2,
            block_hash: b,
            voter: r.me,
            signature: Signature([0; 64]),
        });
        assert!(r.records(&msg), "S2: what was signed is recorded");
        let unsigned = |view, block_hash| {
            Message::Prepare(Vote {
                height: 1,
                view,
                block_hash,
                voter: me,
                signature: Signature([0; 64]),
            })
        };
        assert!(
            !r.records(&unsigned(2, a)),
            "another digest is not recorded"
        );
        assert!(!r.records(&unsigned(1, b)), "another view is not recorded");
        let mut out = Vec::new();
        r.send_signed(msg, &mut out);
        assert!(
            matches!(
                out.as_slice(),
                [
                    Action::StoreBlock { .. },
                    Action::Persist(_),
                    Action::Broadcast { .. }
                ]
            ),
            "S2: the proposal's block, then the record naming it, precede the send: {out:?}"
        );
    }

    /// B2/B3: the blocks kept for a height are bounded in count and in bytes, exactly; when
    /// full, the block with the smallest hash that is neither the current proposal nor the
    /// prepared block goes first, and the accessors report what is kept.
    #[test]
    fn b2_keep_block_bounds_count_and_bytes_and_protects_current_and_prepared() {
        let mut r = replica();
        let (chain_id, parent, set_hash, me) = (
            r.cfg.chain_id.clone(),
            r.cfg.genesis_hash,
            r.cur_set_hash(),
            r.me,
        );
        let block = |variant: u8| Block {
            header: tracechain_types::BlockHeader {
                chain_id: chain_id.clone(),
                height: 1,
                view: 0,
                parent,
                timestamp_ms: 2,
                proposer: me,
                validator_set_hash: set_hash,
                tx_root: Block::compute_tx_root(&[]),
                state_root: Hash::tagged(b"s", &[&[variant]]),
            },
            txs: Vec::new(),
        };
        // Five blocks in hash order; all have the same encoded size.
        let mut blocks: Vec<Block> = (0..5).map(block).collect();
        blocks.sort_by_key(|b| b.hash());
        let size = object_bytes(&blocks[0]);
        assert!(blocks.iter().all(|b| object_bytes(b) == size));
        let kept = |r: &Replica<Ed25519Signer, Ed25519>| -> Vec<usize> {
            (0..5)
                .filter(|i| r.blocks.contains_key(&blocks[*i].hash()))
                .collect()
        };
        assert_eq!((r.blocks_kept(), r.block_bytes_kept()), (0, 0));

        // Count bound: three blocks.
        r.cfg.limits.max_blocks_per_height = 3;
        r.cfg.limits.max_block_bytes_per_height = 100 * size;
        for b in &blocks[..3] {
            r.keep_block(b.hash(), b.clone());
        }
        assert_eq!((r.blocks_kept(), r.block_bytes_kept()), (3, 3 * size));
        r.keep_block(blocks[1].hash(), blocks[1].clone());
        assert_eq!(r.blocks_kept(), 3, "a block already kept is not kept twice");
        // Protect the two smallest hashes: the current proposal and the prepared block.
        r.current = Some(Current {
            view: 0,
            hash: blocks[0].hash(),
            proposal: Proposal {
                view: 0,
                block: blocks[0].clone(),
                signature: Signature([0; 64]),
            },
        });
        r.prepared = Some((
            PrepareCert {
                view: 0,
                block_hash: blocks[1].hash(),
                preprepare: Signature([0; 64]),
                prepares: Vec::new(),
            },
            blocks[1].clone(),
        ));
        r.keep_block(blocks[3].hash(), blocks[3].clone());
        assert_eq!(
            kept(&r),
            vec![0, 1, 3],
            "the smallest unprotected hash went"
        );
        assert_eq!((r.blocks_kept(), r.block_bytes_kept()), (3, 3 * size));
        r.keep_block(blocks[4].hash(), blocks[4].clone());
        assert_eq!(kept(&r), vec![0, 1, 4]);

        // Byte bound: exactly three blocks' bytes.
        let mut r = replica();
        r.cfg.limits.max_blocks_per_height = 100;
        r.cfg.limits.max_block_bytes_per_height = 3 * size;
        for b in &blocks[..3] {
            r.keep_block(b.hash(), b.clone());
        }
        assert_eq!(
            kept(&r),
            vec![0, 1, 2],
            "blocks up to the byte limit, exactly"
        );
        r.keep_block(blocks[3].hash(), blocks[3].clone());
        assert_eq!(
            kept(&r),
            vec![1, 2, 3],
            "one over the byte limit evicts one"
        );
        assert_eq!(r.block_bytes_kept(), 3 * size);
    }

    /// VC9: the quorum kept is the highest view's, only a whole quorum, replaced only by a
    /// higher view.
    #[test]
    fn vc9_keep_passed_keeps_the_highest_whole_quorum() {
        let mut r = replica();
        assert_eq!(r.quorum(), 1);
        let me = r.me;
        let vc = |view: u64| ViewChange {
            body: ViewChangeBody {
                height: 1,
                new_view: view,
                voter: me,
                committed: None,
                prepared: None,
            },
            signature: Signature([view as u8; 64]),
        };
        r.keep_passed(2, Vec::new());
        assert!(r.passed.is_none(), "no quorum, nothing kept");
        r.keep_passed(2, vec![vc(2)]);
        assert_eq!(r.passed.as_ref().map(|(v, _)| *v), Some(2));
        assert_eq!(r.passed_bytes, object_bytes(&vc(2)));
        for (v, list) in [(1, vec![vc(1)]), (2, vec![vc(2), vc(2)]), (3, Vec::new())] {
            r.keep_passed(v, list);
            assert_eq!(
                r.passed.as_ref().map(|(v, l)| (*v, l.len())),
                Some((2, 1)),
                "a lower, equal or empty one does not replace it"
            );
        }
        r.keep_passed(3, vec![vc(3)]);
        assert_eq!(r.passed.as_ref().map(|(v, _)| *v), Some(3));
    }

    /// SY5: the walk buffer keeps blocks at or below the lowest trusted height (and above the
    /// replica's), bounded in count and bytes exactly; when full the lowest height goes, and a
    /// block below every kept one is not kept.
    #[test]
    fn sy5_walk_buffer_keeps_what_the_walk_needs_within_its_bounds() {
        let mut r = replica();
        let size = object_bytes(&walk_entry(&r, 5));
        assert!((1..12).all(|h| object_bytes(&walk_entry(&r, h)) == size));
        let mut out = Vec::new();
        let keep = |r: &mut Replica<Ed25519Signer, Ed25519>, h: u64, out: &mut Vec<Action>| {
            let (b, c) = walk_entry(r, h);
            r.keep_for_walk(b, c, out);
        };
        let held = |r: &Replica<Ed25519Signer, Ed25519>| r.walk.keys().copied().collect::<Vec<_>>();
        // Nothing is trusted yet, or only at the replica's own height: nothing is kept.
        keep(&mut r, 5, &mut out);
        r.trusted.insert(1, Hash::ZERO);
        keep(&mut r, 1, &mut out);
        assert!(held(&r).is_empty());
        r.trusted.clear();
        r.trusted.insert(10, Hash::tagged(b"trusted", &[]));
        r.cfg.limits.max_synced_ahead = 3;
        r.cfg.limits.max_synced_bytes = 100 * size;
        keep(&mut r, 11, &mut out);
        assert!(held(&r).is_empty(), "above the lowest trusted height");
        for h in [5, 6, 7] {
            keep(&mut r, h, &mut out);
        }
        keep(&mut r, 8, &mut out);
        assert_eq!(held(&r), vec![6, 7, 8], "full: the lowest height went");
        assert_eq!(r.walk_bytes, 3 * size);
        keep(&mut r, 4, &mut out);
        assert_eq!(held(&r), vec![6, 7, 8], "below every kept height: not kept");
        // Bytes: exactly three entries.
        let mut r = replica();
        r.trusted.insert(10, Hash::tagged(b"trusted", &[]));
        r.cfg.limits.max_synced_ahead = 100;
        r.cfg.limits.max_synced_bytes = 3 * size;
        for h in [5, 6, 7] {
            keep(&mut r, h, &mut out);
        }
        assert_eq!(held(&r), vec![5, 6, 7], "up to the byte limit, exactly");
        keep(&mut r, 8, &mut out);
        assert_eq!(held(&r), vec![6, 7, 8]);
        let mut r2 = replica();
        r2.trusted.insert(10, Hash::ZERO);
        r2.cfg.limits.max_synced_bytes = size;
        keep(&mut r2, 5, &mut out);
        assert_eq!(
            held(&r2),
            vec![5],
            "an entry of exactly the byte limit is kept"
        );
        r2.cfg.limits.max_synced_bytes = size - 1;
        keep(&mut r2, 6, &mut out);
        assert_eq!(held(&r2), vec![5], "a larger entry is never kept");
        assert!(
            out.iter().all(|a| !matches!(a, Action::Rejected { .. })),
            "{out:?}"
        );
    }

    /// B2: the verdicts remembered for a height are bounded exactly; a verdict for a hash
    /// already remembered replaces it without evicting another, a new one evicts the smallest
    /// hash when full.
    #[test]
    fn b2_verdicts_are_bounded_and_replaced_in_place() {
        let mut r = replica();
        r.cfg.limits.max_verdicts_per_height = 2;
        let mut h: Vec<Hash> = (0u8..3).map(|i| Hash::tagged(b"v", &[&[i]])).collect();
        h.sort();
        r.record_verdict(h[1], Some(None));
        r.record_verdict(h[0], Some(None));
        assert_eq!(r.verdicts.len(), 2, "up to the bound");
        r.record_verdict(h[0], None);
        assert_eq!(
            r.verdicts.keys().copied().collect::<Vec<_>>(),
            vec![h[0], h[1]],
            "a known hash is replaced in place"
        );
        assert_eq!(r.verdicts.get(&h[0]), Some(&None));
        r.record_verdict(h[2], Some(None));
        assert_eq!(
            r.verdicts.keys().copied().collect::<Vec<_>>(),
            vec![h[1], h[2]],
            "full: the smallest hash went"
        );
    }

    fn walk_entry(r: &Replica<Ed25519Signer, Ed25519>, height: u64) -> (Block, CommitCertificate) {
        let block = Block {
            header: tracechain_types::BlockHeader {
                chain_id: r.cfg.chain_id.clone(),
                height,
                view: 0,
                parent: if height == 1 {
                    r.cfg.genesis_hash
                } else {
                    Hash::tagged(b"p", &[&height.to_be_bytes()])
                },
                timestamp_ms: height,
                proposer: r.me,
                validator_set_hash: r.cur_set_hash(),
                tx_root: Block::compute_tx_root(&[]),
                state_root: Hash::ZERO,
            },
            txs: Vec::new(),
        };
        let cert = CommitCertificate {
            height,
            view: 0,
            block_hash: block.hash(),
            votes: Vec::new(),
        };
        (block, cert)
    }

    /// SY5: once the walk has reached the replica's height, it asks for the blocks to commit,
    /// from its height up to the checkpoint; while it has not, for the blocks just below the
    /// lowest trusted height.
    #[test]
    fn sy5_request_walk_asks_down_then_up_to_the_checkpoint() {
        let mut r = replica();
        r.cfg.checkpoint = Some(Checkpoint {
            height: 5,
            hash: Hash::tagged(b"cp", &[]),
        });
        r.cfg.limits.max_synced_ahead = 2;
        r.trusted.insert(5, Hash::tagged(b"cp", &[]));
        let mut out = Vec::new();
        r.request_walk(&mut out);
        let asked = |out: &[Action]| -> Vec<(u64, u64)> {
            out.iter()
                .filter_map(|a| match a {
                    Action::RequestSync {
                        from_height,
                        to_height,
                    } => Some((*from_height, *to_height)),
                    _ => None,
                })
                .collect()
        };
        assert_eq!(
            asked(&out),
            vec![(4, 5)],
            "a window just below the trusted height"
        );
        r.sync_pending = false;
        r.trusted.clear();
        r.trusted.insert(1, Hash::ZERO);
        let mut out = Vec::new();
        r.request_walk(&mut out);
        assert_eq!(asked(&out), vec![(1, 5)], "reached: up to the checkpoint");
    }

    /// SY5: committing a height drops the walk's entries at or below it and keeps those above.
    #[test]
    fn sy5_commit_keeps_the_walk_entries_above_the_new_height() {
        let mut r = replica();
        let (b1, c1) = walk_entry(&r, 1);
        r.cfg.checkpoint = Some(Checkpoint {
            height: 5,
            hash: Hash::tagged(b"cp", &[]),
        });
        r.trusted.insert(1, b1.hash());
        for h in [1, 3, 4] {
            let e = walk_entry(&r, h);
            r.walk_bytes += object_bytes(&e);
            r.walk.insert(h, e);
        }
        let mut out = Vec::new();
        r.commit(b1.clone(), b1.hash(), c1, &mut out);
        assert_eq!(r.height, 2);
        assert_eq!(r.walk.keys().copied().collect::<Vec<_>>(), vec![3, 4]);
        assert_eq!(
            r.walk_bytes,
            object_bytes(&walk_entry(&r, 3)) + object_bytes(&walk_entry(&r, 4))
        );
    }

    /// SY5: up to the checkpoint only its own history commits, on every path: a block of the
    /// height whose hash is not the trusted one is refused as a conflict, by commit and by the
    /// synced-block queue alike.
    #[test]
    fn sy5_no_block_against_the_trusted_history_commits() {
        let conflict = |out: &[Action]| {
            out.iter().any(|a| {
                matches!(
                    a,
                    Action::Rejected {
                        error: ConsensusError::CheckpointConflict { height: 1, .. },
                        ..
                    }
                )
            })
        };
        let setup = || {
            let mut r = replica();
            r.cfg.checkpoint = Some(Checkpoint {
                height: 5,
                hash: Hash::tagged(b"cp", &[]),
            });
            r.trusted.insert(1, Hash::tagged(b"another block", &[]));
            r
        };
        let mut r = setup();
        let (b1, c1) = walk_entry(&r, 1);
        let mut out = Vec::new();
        r.commit(b1.clone(), b1.hash(), c1.clone(), &mut out);
        assert!(conflict(&out), "{out:?}");
        assert_eq!(r.height, 1, "not committed");
        let mut r = setup();
        r.synced_bytes = object_bytes(&(b1.clone(), c1.clone()));
        r.synced.insert(1, (b1, c1));
        let mut out = Vec::new();
        r.drain_synced(&mut out);
        assert!(conflict(&out), "{out:?}");
        assert_eq!(r.height, 1, "not committed");
        assert!(r.synced.is_empty(), "the conflicting block is dropped");
    }
}
