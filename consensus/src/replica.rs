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

/// A timer of the replica. Setting a timer that is already set replaces it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TimerId {
    /// View timeout of `(height, view)` (VC1).
    View {
        /// Height.
        height: u64,
        /// View.
        view: u64,
    },
    /// Sync retry (SY1).
    Sync,
}

/// The last committed block as the replica knows it.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct LastCommitted {
    /// Height (0 = genesis).
    pub height: u64,
    /// Block hash.
    pub hash: Hash,
    /// Block timestamp.
    pub timestamp_ms: u64,
    /// Its certificate (none for genesis).
    pub cert: Option<CommitCertificate>,
}

/// A proposal this replica signed as primary, named by its block's hash (the block itself is
/// stored once, by [`Action::StoreBlock`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct SignedProposal {
    /// View of the pre-prepare or new-view.
    pub view: u64,
    /// Hash of the proposed block.
    pub block_hash: Hash,
    /// The primary's signature over the pre-prepare signing bytes.
    pub signature: Signature,
}

/// What the replica signed at the current height (S1). Views only grow within a height, so
/// the last signature per phase is enough to refuse a conflicting one.
#[derive(Clone, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct SignedRecord {
    /// The last proposal signed as primary (pre-prepare phase).
    pub proposal: Option<SignedProposal>,
    /// Last prepare: (view, hash).
    pub prepare: Option<(u64, Hash)>,
    /// Last commit: (view, hash).
    pub commit: Option<(u64, Hash)>,
    /// Last view change (kept whole: a re-send must carry the same signed bytes, S1).
    pub view_change: Option<ViewChange>,
    /// Last new-view: (view, proposal hash).
    pub new_view: Option<(u64, Hash)>,
}

/// The write-ahead vote record (S2): what the replica must find again after a crash to never
/// sign twice, and nothing else. Emitted by [`Action::Persist`] before every message that
/// carries a new signature, and with every [`Action::Commit`]; its size is bounded by one view
/// change and one prepare certificate (`max_view_change_bytes(n)` + a certificate of n − 1
/// prepares), never by a block: blocks it names go once per height through
/// [`Action::StoreBlock`]. Layout in `docs/spec/pbft.md` ("Vote record").
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct VoteRecord {
    /// Height being decided (last committed + 1).
    pub height: u64,
    /// Current view.
    pub view: u64,
    /// Signatures given at `height`.
    pub signed: SignedRecord,
    /// Highest prepare certificate at `height`; its block was stored by hash.
    pub prepared: Option<PrepareCert>,
}

/// Everything the driver made durable, reassembled for [`Input::Restore`] after a crash: the
/// last committed block (from the block store), the validator sets of the last
/// [`Action::Commit`], the last vote record and the blocks it names (from
/// [`Action::StoreBlock`]).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct PersistedState {
    /// Last committed block.
    pub last: LastCommitted,
    /// Validator sets by first height in force, ascending (covers heights > `last.height`).
    pub sets: Vec<(u64, ValidatorSet)>,
    /// The last vote record.
    pub record: VoteRecord,
    /// The blocks the record names by hash (own proposal, prepared block); others are ignored.
    pub blocks: Vec<Block>,
}

/// An input to [`Replica::step`].
// Inputs and actions are moved once between driver and replica; boxing the large variants
// would add an allocation per message for no gain.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum Input {
    /// First start from genesis (no persisted state).
    Start,
    /// Restart from persisted state (R1).
    Restore(PersistedState),
    /// A message from an authenticated peer.
    Message {
        /// The peer (the network layer authenticates it).
        from: PublicKey,
        /// The message.
        message: Message,
    },
    /// A timer fired.
    Timer(TimerId),
    /// The driver built the block asked for by [`Action::RequestProposal`].
    ProposalReady {
        /// Height asked for.
        height: u64,
        /// View asked for.
        view: u64,
        /// The block (executed by the driver: it is valid).
        block: Block,
        /// Validator-set change decided by the block, if any.
        set_change: Option<ValidatorSet>,
    },
    /// The driver executed a proposal successfully.
    ProposalValidated {
        /// Height.
        height: u64,
        /// Block hash.
        block_hash: Hash,
        /// Validator-set change decided by the block, if any (in force at height + 2).
        set_change: Option<ValidatorSet>,
    },
    /// The driver refused a proposal (it does not execute identically).
    ProposalRefused {
        /// Height.
        height: u64,
        /// Block hash.
        block_hash: Hash,
    },
    /// Whether the driver's mempool holds transactions to propose (ID1). The driver sends it
    /// after `Start`/`Restore` and whenever the answer changes; the replica starts the view
    /// timer of an idle height and asks for a view-0 proposal only while it is true.
    PendingWork(bool),
    /// A block fetched by sync, with its certificate.
    BlockSynced {
        /// The block.
        block: Block,
        /// Its certificate.
        cert: CommitCertificate,
    },
}

/// Evidence of misbehaviour: two valid signatures of one validator for different blocks at the
/// same (height, view, phase).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Evidence {
    /// Phase.
    pub phase: Phase,
    /// First signed vote seen.
    pub first: Vote,
    /// The conflicting one.
    pub second: Vote,
}

/// An action for the driver. Actions are performed in order.
///
/// **Ordering contract (S2).** [`Action::StoreBlock`], [`Action::Persist`] and
/// [`Action::Commit`] carry durable state; the driver must make it durable (fsync) before
/// performing any later action of the same step, in particular any `Send` or `Broadcast`. The
/// replica always emits the persist before the messages that carry the new signatures, and a
/// block before the first record that names it.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum Action {
    /// Store a block of the current height by its hash (own proposal or prepared block), once
    /// per block and height; a later [`Action::Persist`] names it. Blocks of heights below the
    /// last committed one are never needed again.
    StoreBlock {
        /// Its hash.
        hash: Hash,
        /// The block.
        block: Block,
    },
    /// Make the vote record durable before any later action (it replaces the previous one).
    Persist(VoteRecord),
    /// Send to one validator.
    Send {
        /// Recipient.
        to: PublicKey,
        /// Message.
        message: Message,
    },
    /// Send to each of `to`: the validators of set(h) ∪ set(h + 1) for the message's height h,
    /// this replica excepted (M6).
    Broadcast {
        /// Recipients, in key order.
        to: Vec<PublicKey>,
        /// Message.
        message: Message,
    },
    /// Start (or restart) a timer; it fires once as [`Input::Timer`].
    SetTimer {
        /// Timer.
        timer: TimerId,
        /// Delay in (virtual) milliseconds.
        after_ms: u64,
    },
    /// Cancel a timer (no-op if not set).
    CancelTimer(TimerId),
    /// Build a block from the mempool on top of `parent` and answer with
    /// [`Input::ProposalReady`] (ID2): for view 0 it is asked only after
    /// `PendingWork(true)`; if the mempool emptied meanwhile the driver answers when
    /// transactions arrive. For a view above 0 it answers at once, with an empty block if it
    /// has nothing else (a view change already happened, the height must be decided).
    RequestProposal {
        /// Height.
        height: u64,
        /// View.
        view: u64,
        /// Parent hash.
        parent: Hash,
        /// Parent timestamp; the block's must be greater.
        parent_timestamp_ms: u64,
        /// The validator-set hash the header must carry.
        validator_set_hash: Hash,
    },
    /// Execute a proposal against the committed state; answer with
    /// [`Input::ProposalValidated`] or [`Input::ProposalRefused`].
    ValidateProposal {
        /// Height.
        height: u64,
        /// View.
        view: u64,
        /// The block.
        block: Block,
    },
    /// Commit the block: write block, certificate, state changes, `sets` and `record` in one
    /// atomic durable batch (it is also a persist, S2).
    Commit {
        /// The block.
        block: Block,
        /// Its certificate.
        cert: CommitCertificate,
        /// Validator sets by first height in force from the next height on (VS1).
        sets: Vec<(u64, ValidatorSet)>,
        /// The vote record of the next height (nothing signed yet).
        record: VoteRecord,
    },
    /// Fetch committed blocks with certificates from peers, heights `from_height..=to_height`
    /// (`to_height` is a hint), and feed them as [`Input::BlockSynced`] in any order.
    RequestSync {
        /// First height wanted.
        from_height: u64,
        /// Highest height known to exist.
        to_height: u64,
    },
    /// Report misbehaviour (logs, metrics, operator alert).
    Evidence(Evidence),
    /// A peer input was refused (logs, metrics).
    Rejected {
        /// The sender (this replica's own key for refused driver inputs).
        from: PublicKey,
        /// Why.
        error: ConsensusError,
    },
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

    // ------------------------------------------------------------------ helpers

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
    fn primary_of(set: &ValidatorSet, height: u64, view: u64) -> PublicKey {
        let n = set.len() as u64;
        let idx = (height.wrapping_add(view) % n.max(1)) as usize;
        match set.get(idx) {
            Some(v) => v.public_key,
            None => panic!("invariant: index below set size"),
        }
    }

    fn primary(&self, view: u64) -> PublicKey {
        Self::primary_of(self.cur_set(), self.height, view)
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
        // Views only grow within a height; one digest per (view, phase).
        let allowed = |prev: Option<(u64, Hash)>, view: u64, digest: Hash| match prev {
            None => true,
            Some((v, d)) => v < view || (v == view && d == digest),
        };
        let chain = &self.cfg.chain_id;
        let h = self.height;
        match slot {
            Slot::Proposal { view, block } => {
                let hash = block.hash();
                let prev = self.signed.proposal.map(|p| (p.view, p.block_hash));
                if !allowed(prev, view, hash) {
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
                if !allowed(self.signed.prepare, view, hash) {
                    return None;
                }
                let signature = self
                    .signer
                    .sign(&prepare_signing_bytes(chain, h, view, &hash));
                self.signed.prepare = Some((view, hash));
                Some(signature)
            }
            Slot::Commit { view, hash } => {
                if !allowed(self.signed.commit, view, hash) {
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
                if !allowed(self.signed.new_view, view, hash) {
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
    /// full: the oldest block other than the current proposal and the prepared block is evicted;
    /// those two are never evicted (the byte limit admits both at their largest).
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

    // ------------------------------------------------------------------ heights and views

    /// Reset per-height state and begin view 0 of `self.height` (P1).
    fn enter_height(&mut self, out: &mut Vec<Action>) {
        self.in_view_change = false;
        self.vc_quorum = false;
        self.current = None;
        self.prepares.clear();
        self.commits.clear();
        self.view_changes.clear();
        self.passed = None;
        self.passed_bytes = 0;
        self.relayed.clear();
        self.blocks.clear();
        self.blocks_bytes = 0;
        self.verdicts.clear();
        self.awaiting_proposal = None;
        self.pending_fresh = None;
        self.buffer.prune_below(self.height);
        self.view_timer = None;
        // ID1: the view timer of an idle height does not run.
        self.arm_view_timer(out);
        if self.view == 0 && self.primary(0) == self.me {
            self.propose_view_zero(out);
        }
        self.replay_buffer(out);
    }

    /// ID1: whether this height has work that a view timer must guard: the driver has pending
    /// transactions, a proposal of this height is known, a view change happened or is under
    /// way, or this replica already signed something at this height (restart).
    fn active(&self) -> bool {
        self.pending_work
            || self.view > 0
            || self.in_view_change
            || self.current.is_some()
            || self.prepared.is_some()
            || self.signed != SignedRecord::default()
    }

    /// Set the view timer of (h, v) unconditionally (a view change or a new view).
    fn set_view_timer(&mut self, view: u64, out: &mut Vec<Action>) {
        self.view_timer = Some((self.height, view));
        out.push(Action::SetTimer {
            timer: TimerId::View {
                height: self.height,
                view,
            },
            after_ms: self.timeout(view),
        });
    }

    /// ID1: start the view timer of the current (h, v) if the height is active and the timer
    /// is not already running (a running timer is never pushed back).
    fn arm_view_timer(&mut self, out: &mut Vec<Action>) {
        if self.view_timer == Some((self.height, self.view)) || !self.active() {
            return;
        }
        self.set_view_timer(self.view, out);
    }

    /// ID1/ID2: the driver's mempool became non-empty (or empty).
    fn on_pending_work(&mut self, work: bool, out: &mut Vec<Action>) {
        self.pending_work = work;
        if !self.started {
            return;
        }
        if work {
            self.arm_view_timer(out);
            if self.view == 0
                && !self.in_view_change
                && self.current.is_none()
                && self.primary(0) == self.me
            {
                self.propose_view_zero(out);
            }
        } else if !self.active() {
            // ID3: nothing to guard any more: stop the timer so an idle cluster stays quiet.
            if let Some((height, view)) = self.view_timer.take() {
                out.push(Action::CancelTimer(TimerId::View { height, view }));
            }
        }
    }

    fn propose_view_zero(&mut self, out: &mut Vec<Action>) {
        // S1 across restarts: re-send the proposal already signed for view 0, never a new one.
        if let Some(p) = self.own_proposal() {
            if p.view == 0 {
                let hash = p.block.hash();
                let msg = Message::PrePrepare(PrePrepare {
                    proposal: p.clone(),
                    parent_cert: self.last.cert.clone(),
                });
                self.broadcast(msg, out);
                self.accept_proposal(0, hash, p, true, out);
                return;
            }
        }
        // ID2: a fresh view-0 block is asked for only when there is something to propose.
        if self.pending_work {
            self.request_proposal(0, out);
        }
    }

    fn request_proposal(&mut self, view: u64, out: &mut Vec<Action>) {
        if self.awaiting_proposal == Some(view) {
            return;
        }
        self.awaiting_proposal = Some(view);
        out.push(Action::RequestProposal {
            height: self.height,
            view,
            parent: self.last.hash,
            parent_timestamp_ms: self.last.timestamp_ms,
            validator_set_hash: self.cur_set_hash(),
        });
    }

    /// B1: hand the buffered messages of the current height to their handlers, whatever their
    /// view: view changes, new-views and commits of later views are handled at once (their
    /// handlers bound the view window), prepares of later views go back into the buffer.
    fn replay_buffer(&mut self, out: &mut Vec<Action>) {
        let msgs = self.buffer.take(self.height, u64::MAX);
        for (from, m) in msgs {
            self.on_message(from, m, out);
        }
    }

    fn on_timer(&mut self, t: TimerId, out: &mut Vec<Action>) {
        match t {
            TimerId::View { height, view } => {
                if self.started && height == self.height && view == self.view {
                    if self.view_timer == Some((height, view)) {
                        self.view_timer = None;
                    }
                    // VC9: a new relay period.
                    self.relayed.clear();
                    if !self.active() {
                        return; // ID3: a stale timer of an idle height changes nothing
                    }
                    if !self.is_member() {
                        // SY4: a replica outside the set never signs; when the height does not
                        // complete in time it asks for sync and keeps waiting.
                        self.request_sync_hint(self.height, out);
                        self.set_view_timer(self.view, out);
                        return;
                    }
                    if self.in_view_change && !self.vc_quorum {
                        // VC8: no quorum for this view yet: its timer has not started. Re-send
                        // the same signed view change and keep waiting in this view.
                        self.resend_view_change(out);
                        return;
                    }
                    // VC1: the view failed (or the view change did not complete): move on.
                    self.start_view_change(self.view.saturating_add(1), out);
                }
            }
            TimerId::Sync => {
                self.sync_pending = false;
                if self.checkpoint_pending() {
                    self.request_walk(out);
                    return;
                }
                if self.sync_target >= self.height || !self.synced.is_empty() {
                    let target = self.sync_target.max(self.height);
                    self.request_sync(target, out);
                }
            }
        }
    }

    /// VC1: sign and broadcast a view change to `target`.
    fn start_view_change(&mut self, target: u64, out: &mut Vec<Action>) {
        if target <= self.view || !self.is_member() {
            return;
        }
        // S1: at most one view change per (height, view); never one for a lower view.
        let vc = match &self.signed.view_change {
            Some(vc) if vc.body.height == self.height && vc.body.new_view == target => vc.clone(),
            Some(vc) if vc.body.height == self.height && vc.body.new_view > target => return,
            _ => {
                let body = ViewChangeBody {
                    height: self.height,
                    new_view: target,
                    voter: self.me,
                    committed: self.last.cert.clone(),
                    prepared: self.prepared.as_ref().map(|(c, _)| c.clone()),
                };
                let Some(signature) = self.sign_once(Slot::ViewChange(&body)) else {
                    return;
                };
                ViewChange { body, signature }
            }
        };
        out.push(Action::CancelTimer(TimerId::View {
            height: self.height,
            view: self.view,
        }));
        self.view = target;
        self.in_view_change = true;
        self.current = None;
        self.prepares.clear();
        self.awaiting_proposal = None;
        // A fresh block built for an earlier view names that view in its header (P2f): it can
        // never be the fresh proposal of `target`.
        self.pending_fresh = None;
        let prepared_block = self.prepared.as_ref().map(|(_, b)| b.clone());
        self.send_signed(
            Message::ViewChange(ViewChangeMsg {
                view_change: vc.clone(),
                prepared_block,
            }),
            out,
        );
        // VC9: keep the quorum of the highest view below `target` that gathered one.
        let q = self.quorum();
        let moved_past = self
            .view_changes
            .range(..target)
            .rev()
            .find(|(_, t)| t.len() >= q)
            .map(|(v, t)| (*v, t.values().take(q).cloned().collect::<Vec<_>>()));
        if let Some((v, vcs)) = moved_past {
            self.keep_passed(v, vcs);
        }
        self.relayed.clear();
        self.view_changes.retain(|v, _| *v >= target);
        self.view_changes
            .entry(target)
            .or_default()
            .insert(self.me, vc);
        self.vc_quorum = false;
        self.arm_view_change_timer(out);
        self.try_new_view(out);
    }

    /// VC8: the timer of a view being changed to starts only once a quorum of view changes for
    /// it has arrived (PBFT, Castro & Liskov 2002, §4.5.2); until then a re-send timer runs.
    fn arm_view_change_timer(&mut self, out: &mut Vec<Action>) {
        if !self.in_view_change || self.vc_quorum {
            return;
        }
        let held = self.view_changes.get(&self.view).map_or(0, |t| t.len());
        if held >= self.quorum() {
            self.vc_quorum = true;
            self.set_view_timer(self.view, out);
        } else {
            self.view_timer = Some((self.height, self.view));
            out.push(Action::SetTimer {
                timer: TimerId::View {
                    height: self.height,
                    view: self.view,
                },
                after_ms: self.cfg.view_change_resend_ms,
            });
        }
    }

    /// VC8: re-broadcast the view change already signed for the current view (same bytes) and
    /// re-arm the re-send timer.
    fn resend_view_change(&mut self, out: &mut Vec<Action>) {
        let Some(vc) = self.signed.view_change.clone() else {
            return;
        };
        if vc.body.height != self.height || vc.body.new_view != self.view {
            return;
        }
        let prepared_block = self.prepared.as_ref().map(|(_, b)| b.clone());
        self.broadcast(
            Message::ViewChange(ViewChangeMsg {
                view_change: vc,
                prepared_block,
            }),
            out,
        );
        self.arm_view_change_timer(out);
    }

    // ------------------------------------------------------------------ restore

    fn on_restore(&mut self, st: PersistedState, out: &mut Vec<Action>) {
        if self.started {
            self.reject(
                self.me,
                ConsensusError::BadRestore("replica already started"),
                out,
            );
            return;
        }
        let rec = st.record;
        if st.last.height.checked_add(1) != Some(rec.height) {
            self.reject(
                self.me,
                ConsensusError::BadRestore("height is not last committed + 1"),
                out,
            );
            return;
        }
        let mut sets = Vec::new();
        for (h, s) in st.sets {
            let hash = s.hash();
            sets.push((h, s, hash));
        }
        if !sets.iter().any(|(h, _, _)| *h <= rec.height)
            || sets.windows(2).any(|w| w[0].0 >= w[1].0)
        {
            self.reject(
                self.me,
                ConsensusError::BadRestore("validator sets do not cover the height"),
                out,
            );
            return;
        }
        if let Some(cp) = self.cfg.checkpoint {
            if cp.height == st.last.height && cp.hash != st.last.hash {
                // SY5: the stored history conflicts with the operator's checkpoint.
                let signers = st
                    .last
                    .cert
                    .as_ref()
                    .map(|c| c.votes.iter().map(|v| v.validator).collect())
                    .unwrap_or_default();
                self.reject(
                    self.me,
                    ConsensusError::CheckpointConflict {
                        height: cp.height,
                        expected: cp.hash,
                        got: st.last.hash,
                        signers,
                    },
                    out,
                );
                return;
            }
        }
        // The blocks the record names, found again by hash.
        let mut blocks: BTreeMap<Hash, Block> = BTreeMap::new();
        for b in st.blocks {
            blocks.insert(b.hash(), b);
        }
        let own_block = match rec.signed.proposal {
            Some(p) => match blocks.get(&p.block_hash) {
                Some(b) => Some(b.clone()),
                None => {
                    self.reject(
                        self.me,
                        ConsensusError::BadRestore("the signed proposal's block is missing"),
                        out,
                    );
                    return;
                }
            },
            None => None,
        };
        let prepared = match rec.prepared {
            Some(c) => match blocks.get(&c.block_hash) {
                Some(b) => Some((c, b.clone())),
                None => {
                    self.reject(
                        self.me,
                        ConsensusError::BadRestore("the prepared block is missing"),
                        out,
                    );
                    return;
                }
            },
            None => None,
        };
        self.height = rec.height;
        self.view = rec.view;
        self.last = st.last;
        self.sets = sets;
        self.signed = rec.signed;
        self.prepared = prepared;
        self.own_block = own_block;
        // The driver holds every block the record names (it fed them back).
        self.stored = self
            .signed
            .proposal
            .map(|p| p.block_hash)
            .into_iter()
            .chain(self.prepared.as_ref().map(|(c, _)| c.block_hash))
            .collect();
        self.started = true;
        let vc_here = match &self.signed.view_change {
            Some(vc) => {
                vc.body.height == self.height && vc.body.new_view == self.view && self.view > 0
            }
            None => false,
        };
        if vc_here {
            // R1: resume the view change we were in: re-send the same signed message.
            self.in_view_change = true;
            if let Some(vc) = self.signed.view_change.clone() {
                let prepared_block = self.prepared.as_ref().map(|(_, b)| b.clone());
                self.broadcast(
                    Message::ViewChange(ViewChangeMsg {
                        view_change: vc.clone(),
                        prepared_block,
                    }),
                    out,
                );
                self.view_changes
                    .entry(self.view)
                    .or_default()
                    .insert(self.me, vc);
            }
            // VC8: the view's timer starts once a quorum is back; re-send until then.
            self.vc_quorum = false;
            self.arm_view_change_timer(out);
        } else {
            self.enter_height(out);
        }
        // R1: the prepared block survives the restart (enter_height clears per-height blocks),
        // so that this replica can re-propose it as a new primary (VC2).
        if let Some((c, b)) = self.prepared.clone() {
            self.keep_block(c.block_hash, b);
        }
        self.init_checkpoint(out);
    }

    // ------------------------------------------------------------------ messages

    fn on_message(&mut self, from: PublicKey, message: Message, out: &mut Vec<Action>) {
        if from == self.me {
            return;
        }
        // M1: membership first — a key outside every validator set this replica knows costs a
        // set lookup, never a signature verification.
        if !self.is_member_near(&from) {
            self.reject(from, ConsensusError::NotAValidator(from), out);
            return;
        }
        // SY1: any certificate carried by a message may show that we are behind.
        match &message {
            Message::Decided(c) => {
                let c = c.clone();
                self.on_certificate(from, &c, out);
                return;
            }
            Message::PrePrepare(pp) => {
                if let Some(c) = &pp.parent_cert {
                    if c.height >= self.height {
                        let c = c.clone();
                        if !self.on_certificate(from, &c, out) {
                            return; // B4: a rejected message is not kept
                        }
                    }
                }
            }
            Message::ViewChange(vc) => {
                if let Some(c) = &vc.view_change.body.committed {
                    if c.height >= self.height {
                        let c = c.clone();
                        if !self.on_certificate(from, &c, out) {
                            return; // B4: a rejected message is not kept
                        }
                    }
                }
            }
            _ => {}
        }
        let h = message.height();
        if h < self.height {
            // Old: drop. A view change from a lagging validator gets our last certificate.
            if let (Message::ViewChange(_), Some(cert)) = (&message, &self.last.cert) {
                if self.cur_set().contains(&from) {
                    out.push(Action::Send {
                        to: from,
                        message: Message::Decided(cert.clone()),
                    });
                }
            }
            return;
        }
        if h > self.height {
            // B1/B2: buffer bounded, from validators of the next sets only.
            if h <= self
                .height
                .saturating_add(self.cfg.limits.max_future_heights)
                && self.is_member_near(&from)
            {
                self.buffer.push(from, message);
            }
            return;
        }
        if !self.cur_set().contains(&from) {
            self.reject(from, ConsensusError::NotAValidator(from), out);
            return;
        }
        match message {
            Message::PrePrepare(pp) => self.on_preprepare(from, pp, out),
            Message::Prepare(v) => self.on_prepare(from, v, out),
            Message::Commit(v) => self.on_commit(from, v, out),
            Message::ViewChange(vc) => self.on_view_change(from, vc, out),
            Message::NewView(nv) => self.on_new_view(from, nv, out),
            Message::Decided(_) => {}
        }
    }

    fn is_member_near(&self, key: &PublicKey) -> bool {
        self.sets.iter().any(|(_, s, _)| s.contains(key))
    }

    fn buffer_future_view(&mut self, from: PublicKey, message: Message) {
        if message.view() <= self.view.saturating_add(self.cfg.limits.max_future_views) {
            self.buffer.push(from, message);
        }
    }

    /// SY1/SY2: a certificate at or above our height. Returns false when it was refused (the
    /// message carrying it is then dropped, B4).
    fn on_certificate(
        &mut self,
        from: PublicKey,
        cert: &CommitCertificate,
        out: &mut Vec<Action>,
    ) -> bool {
        if cert.height < self.height {
            return true;
        }
        if let Some(t) = self.trusted.get(&cert.height).copied() {
            if t != cert.block_hash {
                self.reject_conflict(from, cert.height, t, cert.block_hash, cert, out);
                return false;
            }
        }
        let Some(set) = self.set_known(cert.height) else {
            // Beyond the sets we know: cannot verify; one bounded sync request (SY1).
            self.request_sync_hint(cert.height, out);
            return true;
        };
        let skip = self.weaken.decided_unverified && cert.height == self.height;
        if let Err(e) = cert.verify(
            &self.cfg.chain_id,
            cert.height,
            &cert.block_hash,
            set,
            &self.verifier,
        ) {
            if !skip {
                self.reject(from, e.into(), out);
                return false;
            }
        }
        if cert.height == self.height {
            if let Some(block) = self.blocks.get(&cert.block_hash).cloned() {
                self.commit(block, cert.block_hash, cert.clone(), out);
                return true;
            }
        }
        self.request_sync(cert.height, out);
        true
    }

    /// SY1: ask for blocks up to a height known to be committed (verified certificate or
    /// commit quorum); retried by the `Sync` timer until reached.
    fn request_sync(&mut self, target: u64, out: &mut Vec<Action>) {
        self.sync_target = self.sync_target.max(target);
        self.send_sync_request(self.sync_target.max(self.height), out);
    }

    /// SY1: a hint that cannot be verified (certificate beyond the known sets) asks once, for at
    /// most `MAX_SYNCED_AHEAD` heights, and is not retried: a lying peer cannot keep this replica
    /// asking forever.
    fn request_sync_hint(&mut self, target: u64, out: &mut Vec<Action>) {
        let to = target.min(
            self.height
                .saturating_add(self.cfg.limits.max_synced_ahead as u64),
        );
        self.send_sync_request(to, out);
    }

    fn send_sync_request(&mut self, to_height: u64, out: &mut Vec<Action>) {
        self.send_sync_range(self.height, to_height, out);
    }

    fn send_sync_range(&mut self, from_height: u64, to_height: u64, out: &mut Vec<Action>) {
        if self.sync_pending {
            return;
        }
        self.sync_pending = true;
        out.push(Action::RequestSync {
            from_height,
            to_height,
        });
        out.push(Action::SetTimer {
            timer: TimerId::Sync,
            after_ms: self.cfg.sync_retry_ms,
        });
    }

    /// P2: structural checks of a proposal (cheap; execution is the driver's).
    fn check_structure(
        &self,
        block: &Block,
        hash: &Hash,
        view: u64,
        fresh: bool,
    ) -> Result<(), ConsensusError> {
        let bad = |reason| {
            Err(ConsensusError::BadProposal {
                hash: *hash,
                reason,
            })
        };
        let h = &block.header;
        if h.chain_id != self.cfg.chain_id {
            return bad("P2a: wrong chain id");
        }
        if h.height != self.height {
            return bad("P2b: wrong height");
        }
        if h.parent != self.last.hash {
            return bad("P2c: parent is not the last committed block");
        }
        if h.timestamp_ms <= self.last.timestamp_ms {
            return bad("P2d: timestamp not after the parent's");
        }
        if h.validator_set_hash != self.cur_set_hash() {
            return bad("P2e: validator-set hash does not match the height's set");
        }
        if fresh {
            if h.view != view || h.proposer != self.primary(view) {
                return bad("P2f: header view/proposer is not this view's primary");
            }
        } else if h.view >= view || h.proposer != self.primary(h.view) {
            return bad("P2f: re-proposed header does not name its original view's primary");
        }
        if !block.tx_root_matches() {
            return bad("P2g: transaction root does not match");
        }
        Ok(())
    }

    fn on_preprepare(&mut self, from: PublicKey, pp: PrePrepare, out: &mut Vec<Action>) {
        let p = pp.proposal;
        if p.view != 0 {
            self.reject(from, ConsensusError::PrePrepareOutsideViewZero(p.view), out);
            return;
        }
        if self.view != 0 || self.in_view_change {
            return; // stale: we left view 0
        }
        let primary = self.primary(0);
        if from != primary {
            self.reject(
                from,
                ConsensusError::NotPrimary {
                    view: 0,
                    got: from,
                    expected: primary,
                },
                out,
            );
            return;
        }
        let hash = p.block.hash();
        if let Some(cur) = &self.current {
            if cur.hash == hash {
                return; // duplicate
            }
        }
        let bytes = preprepare_signing_bytes(&self.cfg.chain_id, self.height, 0, &hash);
        if !self.verifier.verify(&from, &bytes, &p.signature) {
            self.reject(
                from,
                ConsensusError::BadSignature {
                    what: "pre-prepare",
                    signer: from,
                },
                out,
            );
            return;
        }
        if let Some(cur) = &self.current {
            // Two signed proposals for one (height, view): evidence, keep the first.
            let first = Vote {
                height: self.height,
                view: 0,
                block_hash: cur.hash,
                voter: from,
                signature: cur.proposal.signature,
            };
            let second = Vote {
                height: self.height,
                view: 0,
                block_hash: hash,
                voter: from,
                signature: p.signature,
            };
            out.push(Action::Evidence(Evidence {
                phase: Phase::PrePrepare,
                first,
                second,
            }));
            return;
        }
        if let Err(e) = self.check_structure(&p.block, &hash, 0, true) {
            self.reject(from, e, out);
            return;
        }
        self.accept_proposal(0, hash, p, false, out);
    }

    /// Adopt the proposal of the current view; validate it (P2) unless already done.
    fn accept_proposal(
        &mut self,
        view: u64,
        hash: Hash,
        p: Proposal,
        own_fresh: bool,
        out: &mut Vec<Action>,
    ) {
        self.keep_block(hash, p.block.clone());
        let block = p.block.clone();
        self.current = Some(Current {
            view,
            hash,
            proposal: p,
        });
        // ID1: a proposal of this height is work to guard even if our mempool is empty.
        self.arm_view_timer(out);
        match self.verdicts.get(&hash) {
            Some(Some(_)) => {}
            Some(None) => {
                // P2: refused before; do not vote, change view.
                self.start_view_change(self.view.saturating_add(1), out);
                return;
            }
            None => {
                if !own_fresh {
                    out.push(Action::ValidateProposal {
                        height: self.height,
                        view,
                        block,
                    });
                }
            }
        }
        self.maybe_prepare(out);
    }

    fn record_verdict(&mut self, hash: Hash, verdict: Option<Option<ValidatorSet>>) {
        if self.verdicts.len() >= self.cfg.limits.max_verdicts_per_height
            && !self.verdicts.contains_key(&hash)
        {
            let first = self.verdicts.keys().next().copied();
            if let Some(k) = first {
                self.verdicts.remove(&k);
            }
        }
        self.verdicts.insert(hash, verdict);
    }

    fn on_verdict(
        &mut self,
        height: u64,
        hash: Hash,
        verdict: Option<Option<ValidatorSet>>,
        out: &mut Vec<Action>,
    ) {
        if height != self.height {
            return;
        }
        let refused = verdict.is_none();
        self.record_verdict(hash, verdict);
        let is_current =
            self.current.as_ref().map(|c| c.hash) == Some(hash) && !self.in_view_change;
        if !is_current {
            return;
        }
        if refused {
            // P2: a proposal that does not execute leads to a view change at once.
            self.start_view_change(self.view.saturating_add(1), out);
        } else {
            self.maybe_prepare(out);
        }
    }

    fn on_proposal_ready(
        &mut self,
        height: u64,
        view: u64,
        block: Block,
        set_change: Option<ValidatorSet>,
        out: &mut Vec<Action>,
    ) {
        if height != self.height || view != self.view || self.awaiting_proposal != Some(view) {
            return; // stale answer
        }
        self.awaiting_proposal = None;
        if self.primary(view) != self.me {
            return;
        }
        let hash = block.hash();
        if let Err(e) = self.check_structure(&block, &hash, view, true) {
            // The driver built a bad block: refuse it (reported as our own rejection).
            self.reject(self.me, e, out);
            return;
        }
        self.record_verdict(hash, Some(set_change));
        if view == 0 {
            if self.in_view_change || self.current.is_some() {
                return;
            }
            // S1: never sign a second proposal for view 0.
            if let Some(p) = &self.signed.proposal {
                if p.view >= view {
                    return;
                }
            }
            let Some(signature) = self.sign_once(Slot::Proposal {
                view: 0,
                block: &block,
            }) else {
                return;
            };
            let proposal = Proposal {
                view: 0,
                block,
                signature,
            };
            self.send_signed(
                Message::PrePrepare(PrePrepare {
                    proposal: proposal.clone(),
                    parent_cert: self.last.cert.clone(),
                }),
                out,
            );
            self.accept_proposal(0, hash, proposal, true, out);
        } else {
            self.keep_block(hash, block);
            self.pending_fresh = Some(hash);
            self.try_new_view(out);
        }
    }

    // ------------------------------------------------------------------ normal case

    /// P3: a backup signs prepare for the validated proposal of its view.
    fn maybe_prepare(&mut self, out: &mut Vec<Action>) {
        if self.in_view_change || !self.is_member() {
            return;
        }
        let Some(cur) = self.current.clone() else {
            return;
        };
        if cur.view != self.view || !matches!(self.verdicts.get(&cur.hash), Some(Some(_))) {
            return;
        }
        if self.primary(self.view) != self.me {
            // S1: never a second prepare digest for one (height, view).
            let may = match self.signed.prepare {
                None => true,
                Some((v, h)) => v < self.view || (v == self.view && h == cur.hash),
            };
            if !may {
                return;
            }
            if !self.prepares.contains_key(&self.me) {
                let Some(signature) = self.sign_once(Slot::Prepare {
                    view: self.view,
                    hash: cur.hash,
                }) else {
                    return;
                };
                self.prepares.insert(self.me, (cur.hash, signature));
                let vote = Vote {
                    height: self.height,
                    view: self.view,
                    block_hash: cur.hash,
                    voter: self.me,
                    signature,
                };
                self.send_signed(Message::Prepare(vote), out);
            }
        }
        self.check_prepared(out);
    }

    /// P4: prepared = the primary's pre-prepare plus prepares of distinct other validators,
    /// together a quorum; then sign commit.
    fn check_prepared(&mut self, out: &mut Vec<Action>) {
        if self.in_view_change || !self.is_member() {
            return;
        }
        let Some(cur) = self.current.clone() else {
            return;
        };
        if cur.view != self.view || !matches!(self.verdicts.get(&cur.hash), Some(Some(_))) {
            return;
        }
        let primary = self.primary(self.view);
        let votes: Vec<(PublicKey, Signature)> = self
            .prepares
            .iter()
            .filter(|(k, (h, _))| **k != primary && *h == cur.hash)
            .map(|(k, (_, s))| (*k, *s))
            .collect();
        if 1 + votes.len() < self.quorum() {
            return;
        }
        let own_commit = self
            .commits
            .get(&self.view)
            .and_then(|t| t.get(&self.me))
            .is_some();
        if own_commit {
            return;
        }
        // S1: never a second commit digest for one (height, view).
        let may = match self.signed.commit {
            None => true,
            Some((v, h)) => v < self.view || (v == self.view && h == cur.hash),
        };
        if !may {
            return;
        }
        let cert = PrepareCert {
            view: self.view,
            block_hash: cur.hash,
            preprepare: cur.proposal.signature,
            prepares: votes,
        };
        let higher = match &self.prepared {
            None => true,
            Some((c, _)) => c.view < self.view,
        };
        if higher {
            self.prepared = Some((cert, cur.proposal.block.clone()));
        }
        let Some(signature) = self.sign_once(Slot::Commit {
            view: self.view,
            hash: cur.hash,
        }) else {
            return;
        };
        self.commits
            .entry(self.view)
            .or_default()
            .insert(self.me, (cur.hash, signature));
        let vote = Vote {
            height: self.height,
            view: self.view,
            block_hash: cur.hash,
            voter: self.me,
            signature,
        };
        self.send_signed(Message::Commit(vote), out);
        self.try_commit(self.view, cur.hash, out);
    }

    fn on_prepare(&mut self, from: PublicKey, v: Vote, out: &mut Vec<Action>) {
        if v.voter != from {
            self.reject(
                from,
                ConsensusError::SenderMismatch {
                    signer: v.voter,
                    sender: from,
                },
                out,
            );
            return;
        }
        if v.view > self.view {
            self.buffer_future_view(from, Message::Prepare(v));
            return;
        }
        if v.view < self.view || from == self.primary(self.view) {
            return;
        }
        if let Some((h, _)) = self.prepares.get(&from) {
            if *h == v.block_hash {
                return; // duplicate
            }
        }
        let bytes = prepare_signing_bytes(&self.cfg.chain_id, self.height, v.view, &v.block_hash);
        if !self.verifier.verify(&from, &bytes, &v.signature) {
            self.reject(
                from,
                ConsensusError::BadSignature {
                    what: "prepare",
                    signer: from,
                },
                out,
            );
            return;
        }
        if let Some((h, s)) = self.prepares.get(&from) {
            let first = Vote {
                height: self.height,
                view: v.view,
                block_hash: *h,
                voter: from,
                signature: *s,
            };
            out.push(Action::Evidence(Evidence {
                phase: Phase::Prepare,
                first,
                second: v,
            }));
            return;
        }
        self.prepares.insert(from, (v.block_hash, v.signature));
        self.check_prepared(out);
    }

    fn on_commit(&mut self, from: PublicKey, v: Vote, out: &mut Vec<Action>) {
        if v.voter != from {
            self.reject(
                from,
                ConsensusError::SenderMismatch {
                    signer: v.voter,
                    sender: from,
                },
                out,
            );
            return;
        }
        if v.view > self.view.saturating_add(self.cfg.limits.max_future_views) {
            return; // B2
        }
        if let Some((h, _)) = self.commits.get(&v.view).and_then(|t| t.get(&from)) {
            if *h == v.block_hash {
                return; // duplicate
            }
        }
        let bytes =
            commit_vote_signing_bytes(&self.cfg.chain_id, self.height, v.view, &v.block_hash);
        if !self.verifier.verify(&from, &bytes, &v.signature) {
            self.reject(
                from,
                ConsensusError::BadSignature {
                    what: "commit",
                    signer: from,
                },
                out,
            );
            return;
        }
        let table = self.commits.entry(v.view).or_default();
        if let Some((h, s)) = table.get(&from) {
            let first = Vote {
                height: self.height,
                view: v.view,
                block_hash: *h,
                voter: from,
                signature: *s,
            };
            out.push(Action::Evidence(Evidence {
                phase: Phase::Commit,
                first,
                second: v,
            }));
            return;
        }
        table.insert(from, (v.block_hash, v.signature));
        self.try_commit(v.view, v.block_hash, out);
    }

    /// P5: a quorum of commits for one (view, hash) commits the block.
    fn try_commit(&mut self, view: u64, hash: Hash, out: &mut Vec<Action>) {
        let Some(table) = self.commits.get(&view) else {
            return;
        };
        let votes: Vec<CommitVote> = table
            .iter()
            .filter(|(_, (h, _))| *h == hash)
            .map(|(k, (_, s))| CommitVote {
                validator: *k,
                signature: *s,
            })
            .collect();
        if votes.len() < self.quorum() {
            return;
        }
        let cert = CommitCertificate {
            height: self.height,
            view,
            block_hash: hash,
            votes,
        };
        match self.blocks.get(&hash).cloned() {
            Some(block) => self.commit(block, hash, cert, out),
            None => self.request_sync(self.height, out),
        }
    }

    /// Commit `block` at the current height and move to the next (P5, VS1).
    fn commit(&mut self, block: Block, hash: Hash, cert: CommitCertificate, out: &mut Vec<Action>) {
        assert_eq!(
            block.header.height, self.height,
            "invariant: commit at the current height"
        );
        let h = self.height;
        if self.checkpoint_pending() {
            // SY5: up to the checkpoint, only its own history commits.
            match self.trusted.get(&h).copied() {
                Some(t) if t == hash => {}
                Some(t) => {
                    self.reject_conflict(self.me, h, t, hash, &cert, out);
                    return;
                }
                None => {
                    self.request_walk(out);
                    return;
                }
            }
        }
        self.trusted.remove(&h);
        let set_change = match self.verdicts.get(&hash) {
            Some(Some(sc)) => sc.clone(),
            _ => (self.cfg.set_change_of)(&block),
        };
        out.push(Action::CancelTimer(TimerId::View {
            height: h,
            view: self.view,
        }));
        self.view_timer = None;
        self.last = LastCommitted {
            height: h,
            hash,
            timestamp_ms: block.header.timestamp_ms,
            cert: Some(cert.clone()),
        };
        if let Some(s) = set_change {
            // VS1: decided at h, in force from h + 2.
            let sh = s.hash();
            let from = h.saturating_add(2);
            self.sets.retain(|(k, _, _)| *k < from);
            self.sets.push((from, s, sh));
        }
        self.height = h.saturating_add(1);
        // SY5: walk buffer entries at or below the new height are of no use any more.
        while let Some(low) = self.walk.keys().next().copied() {
            if low >= self.height {
                break;
            }
            self.take_walk(low);
        }
        self.view = 0;
        self.signed = SignedRecord::default();
        self.prepared = None;
        self.own_block = None;
        self.stored.clear();
        while self.sets.len() >= 2
            && self
                .sets
                .get(1)
                .map(|(k, _, _)| *k <= self.height)
                .unwrap_or(false)
        {
            self.sets.remove(0);
        }
        out.push(Action::Commit {
            block,
            cert,
            sets: self.sets_in_force(),
            record: self.vote_record(),
        });
        self.enter_height(out);
        if self.synced.contains_key(&self.height) {
            self.drain_synced(out);
        }
    }

    // ------------------------------------------------------------------ sync

    fn on_synced(&mut self, block: Block, cert: CommitCertificate, out: &mut Vec<Action>) {
        let h = block.header.height;
        if !self.started || h < self.height {
            return;
        }
        // SY5: a block that conflicts with the checkpoint's history is refused on arrival.
        if let Some(t) = self.trusted.get(&h).copied() {
            let hash = block.hash();
            if t != hash {
                self.reject_conflict(self.me, h, t, hash, &cert, out);
                return;
            }
        }
        if h > self
            .height
            .saturating_add(self.cfg.limits.max_synced_ahead as u64)
        {
            self.keep_for_walk(block, cert, out);
            return;
        }
        let entry = (block, cert);
        let size = object_bytes(&entry);
        if size > self.cfg.limits.max_synced_bytes {
            return;
        }
        self.take_synced(h);
        // SY3/B3 policy: keep the nearest heights, in count and bytes.
        while self.synced.len() >= self.cfg.limits.max_synced_ahead
            || self.synced_bytes.saturating_add(size) > self.cfg.limits.max_synced_bytes
        {
            match self.synced.keys().next_back().copied() {
                Some(top) if top > h => {
                    self.take_synced(top);
                }
                _ => return,
            }
        }
        self.synced_bytes = self.synced_bytes.saturating_add(size);
        self.synced.insert(h, entry);
        self.advance_walk(out);
        self.drain_synced(out);
    }

    /// SY5: whether the replica is at or below the checkpoint height.
    fn checkpoint_pending(&self) -> bool {
        self.cfg
            .checkpoint
            .map(|c| self.height <= c.height)
            .unwrap_or(false)
    }

    /// SY5: start from the checkpoint: its hash is the first trusted one, and sync walks down.
    fn init_checkpoint(&mut self, out: &mut Vec<Action>) {
        self.trusted.clear();
        if let Some(cp) = self.cfg.checkpoint {
            if cp.height > self.last.height {
                self.trusted.insert(cp.height, cp.hash);
                self.request_walk(out);
            }
        }
    }

    /// SY5: ask for the blocks just below the lowest trusted height (the walk goes down by
    /// parent hashes), or — once the walk reached the next height — for the blocks to commit.
    fn request_walk(&mut self, out: &mut Vec<Action>) {
        let Some(cp) = self.cfg.checkpoint else {
            return;
        };
        match self.trusted.keys().next().copied() {
            Some(k) if k > self.height => {
                let window = self.cfg.limits.max_synced_ahead.max(1) as u64;
                let from = k.saturating_sub(window - 1).max(self.height);
                self.send_sync_range(from, k, out);
            }
            _ => self.request_sync(cp.height, out),
        }
    }

    /// SY5: keep a synced block beyond the sync window if the walk needs it (at or below the
    /// lowest trusted height), bounded like `synced`; policy when full: drop the lowest height.
    fn keep_for_walk(&mut self, block: Block, cert: CommitCertificate, out: &mut Vec<Action>) {
        let h = block.header.height;
        match self.trusted.keys().next() {
            Some(k) if h <= *k && *k > self.height => {}
            _ => return,
        }
        let entry = (block, cert);
        let size = object_bytes(&entry);
        if size > self.cfg.limits.max_synced_bytes {
            return;
        }
        self.take_walk(h);
        while self.walk.len() >= self.cfg.limits.max_synced_ahead
            || self.walk_bytes.saturating_add(size) > self.cfg.limits.max_synced_bytes
        {
            match self.walk.keys().next().copied() {
                Some(low) if low < h => {
                    self.take_walk(low);
                }
                _ => return,
            }
        }
        self.walk_bytes = self.walk_bytes.saturating_add(size);
        self.walk.insert(h, entry);
        self.advance_walk(out);
        self.drain_synced(out);
    }

    fn take_walk(&mut self, height: u64) -> Option<(Block, CommitCertificate)> {
        let e = self.walk.remove(&height)?;
        self.walk_bytes = self.walk_bytes.saturating_sub(object_bytes(&e));
        Some(e)
    }

    /// SY5: walk down from the lowest trusted height while its block is at hand: a block whose
    /// hash is the trusted one makes its parent hash trusted; a different block there is a
    /// conflict and is dropped.
    fn advance_walk(&mut self, out: &mut Vec<Action>) {
        while let Some((k, t)) = self.trusted.iter().next().map(|(k, t)| (*k, *t)) {
            if k <= self.height {
                return;
            }
            let held = match self.synced.get(&k) {
                Some((b, _)) => Some(b.hash()),
                None => self.walk.get(&k).map(|(b, _)| b.hash()),
            };
            let Some(hash) = held else {
                return;
            };
            if hash != t {
                let e = match self.take_walk(k) {
                    Some(e) => Some(e),
                    None => self.take_synced(k),
                };
                if let Some((_, c)) = e {
                    self.reject_conflict(self.me, k, t, hash, &c, out);
                }
                return;
            }
            let parent = match self.take_walk(k) {
                Some((b, _)) => b.header.parent,
                None => match self.synced.get(&k) {
                    Some((b, _)) => b.header.parent,
                    None => return,
                },
            };
            self.trusted.insert(k - 1, parent);
        }
    }

    /// SY5: report a block or certificate that conflicts with the checkpoint's history; the keys
    /// that certified it are the evidence (a long-range fork is signed by retired validators).
    fn reject_conflict(
        &mut self,
        from: PublicKey,
        height: u64,
        expected: Hash,
        got: Hash,
        cert: &CommitCertificate,
        out: &mut Vec<Action>,
    ) {
        let signers = cert.votes.iter().map(|v| v.validator).collect();
        self.reject(
            from,
            ConsensusError::CheckpointConflict {
                height,
                expected,
                got,
                signers,
            },
            out,
        );
    }

    /// Remove the synced block of `height`, keeping the byte count (B3).
    fn take_synced(&mut self, height: u64) -> Option<(Block, CommitCertificate)> {
        let e = self.synced.remove(&height)?;
        self.synced_bytes = self.synced_bytes.saturating_sub(object_bytes(&e));
        Some(e)
    }

    /// SY2: apply synced blocks in height order; each must link to the last committed block and
    /// carry a valid certificate from the validator set of its height.
    fn drain_synced(&mut self, out: &mut Vec<Action>) {
        loop {
            if self.checkpoint_pending() {
                let Some((b, _)) = self.synced.get(&self.height) else {
                    return;
                };
                let hash = b.hash();
                match self.trusted.get(&self.height).copied() {
                    Some(t) if t == hash => {}
                    Some(t) => {
                        if let Some((_, c)) = self.take_synced(self.height) {
                            self.reject_conflict(self.me, self.height, t, hash, &c, out);
                        }
                        return;
                    }
                    None => {
                        // SY5: not yet linked to the checkpoint; keep it and walk on.
                        self.request_walk(out);
                        return;
                    }
                }
            }
            let Some((block, cert)) = self.take_synced(self.height) else {
                return;
            };
            let hash = block.hash();
            let bad = |reason| ConsensusError::BadSyncedBlock {
                height: block.header.height,
                reason,
            };
            if cert.height != self.height || cert.block_hash != hash {
                self.reject(self.me, bad("certificate is for another block"), out);
                return;
            }
            if block.header.parent != self.last.hash {
                self.reject(
                    self.me,
                    bad("parent hash does not link to the last committed block"),
                    out,
                );
                return;
            }
            if block.header.chain_id != self.cfg.chain_id || !block.tx_root_matches() {
                self.reject(self.me, bad("wrong chain or transaction root"), out);
                return;
            }
            if let Err(e) = cert.verify(
                &self.cfg.chain_id,
                self.height,
                &hash,
                self.cur_set(),
                &self.verifier,
            ) {
                if !self.weaken.synced_unverified {
                    self.reject(self.me, e.into(), out);
                    return;
                }
            }
            self.commit(block, hash, cert, out);
        }
    }

    // ------------------------------------------------------------------ view change

    /// M5: verify collected signatures as one batch; when the batch fails, find the first bad
    /// one (in the order they were collected) to report it.
    fn verify_checks(&self, checks: &[SigCheck]) -> Result<(), ConsensusError> {
        if checks.is_empty() {
            return Ok(());
        }
        let items: Vec<(PublicKey, &[u8], Signature)> = checks
            .iter()
            .map(|c| (c.key, c.msg.as_slice(), c.sig))
            .collect();
        if self.verifier.verify_batch(&items) {
            return Ok(());
        }
        for c in checks {
            if !self.verifier.verify(&c.key, &c.msg, &c.sig) {
                return Err(c.err.clone());
            }
        }
        panic!("invariant: batch verification agrees with single verification")
    }

    /// VC1/M5: the structure of a prepare certificate (quorum, strictly ascending distinct
    /// members other than the view's primary) is checked first; its signatures (pre-prepare of
    /// the view's primary, prepares) are only collected, for one batch.
    fn check_prepare_cert(
        &self,
        c: &PrepareCert,
        checks: &mut Vec<SigCheck>,
    ) -> Result<(), ConsensusError> {
        let set = self.cur_set();
        let primary = self.primary(c.view);
        let need = if self.weaken.prepare_cert_one_short {
            self.quorum().saturating_sub(1)
        } else {
            self.quorum()
        };
        if 1 + c.prepares.len() < need {
            return Err(ConsensusError::BadPrepareCert(
                "fewer than a quorum of votes",
            ));
        }
        let mut prev: Option<PublicKey> = None;
        for (k, _) in &c.prepares {
            if prev.map(|p| p >= *k).unwrap_or(false) {
                return Err(ConsensusError::BadPrepareCert(
                    "prepares not strictly ascending",
                ));
            }
            prev = Some(*k);
            if (*k == primary || !set.contains(k)) && !self.weaken.prepare_members_unchecked {
                return Err(ConsensusError::BadPrepareCert(
                    "prepare from the primary or a non-validator",
                ));
            }
        }
        checks.push(SigCheck {
            key: primary,
            msg: preprepare_signing_bytes(&self.cfg.chain_id, self.height, c.view, &c.block_hash),
            sig: c.preprepare,
            err: ConsensusError::BadPrepareCert(
                "pre-prepare signature of the view's primary does not verify",
            ),
        });
        let bytes = prepare_signing_bytes(&self.cfg.chain_id, self.height, c.view, &c.block_hash);
        for (k, sig) in &c.prepares {
            checks.push(SigCheck {
                key: *k,
                msg: bytes.clone(),
                sig: *sig,
                err: ConsensusError::BadPrepareCert("prepare signature does not verify"),
            });
        }
        Ok(())
    }

    /// VC6: the `committed` certificate of a view change at the current height is the one of our
    /// last committed block: absent at height 1, otherwise for height h − 1 and our last block
    /// hash, canonical, at most `MAX_VALIDATORS` votes — and, when the set of h − 1 is still
    /// known, a quorum of its members. Its signatures are not checked here: the certificate is
    /// only carried (a receiver at a lower height verifies it as SY1 evidence); what matters is
    /// that it cannot be used to inflate the new-view (VC7).
    fn check_committed_field(&self, c: Option<&CommitCertificate>) -> Result<(), ConsensusError> {
        let bad = |m| Err(ConsensusError::BadViewChange(m));
        let Some(c) = c else {
            if self.last.height == 0 {
                return Ok(());
            }
            return bad("VC6: committed certificate missing");
        };
        if self.last.height == 0 {
            return bad("VC6: committed certificate at height 1");
        }
        if c.height != self.last.height || c.block_hash != self.last.hash {
            return bad("VC6: committed certificate is not for the last committed block");
        }
        if c.votes.len() > MAX_VALIDATORS {
            return bad("VC6: committed certificate has more votes than validators");
        }
        if c.votes.windows(2).any(|w| w[0].validator >= w[1].validator) {
            return bad("VC6: committed certificate votes not strictly ascending");
        }
        if let Some(set) = self.set_known(self.last.height) {
            if c.votes.iter().any(|v| !set.contains(&v.validator)) {
                return bad("VC6: committed certificate vote from a non-validator");
            }
            if c.votes.len() < set.quorum() {
                return bad("VC6: committed certificate below a quorum");
            }
        }
        Ok(())
    }

    /// VC1/VC6/M5: check a view change completely, its signature and prepare certificate as
    /// one batch after every cheap check.
    fn validate_view_change(&self, vc: &ViewChange) -> Result<(), ConsensusError> {
        let mut checks = Vec::new();
        self.check_view_change(vc, &mut checks)?;
        self.verify_checks(&checks)
    }

    /// VC1/VC6: the cheap checks of a view change; its signatures are collected into `checks`.
    fn check_view_change(
        &self,
        vc: &ViewChange,
        checks: &mut Vec<SigCheck>,
    ) -> Result<(), ConsensusError> {
        let b = &vc.body;
        if b.height != self.height {
            return Err(ConsensusError::BadViewChange("wrong height"));
        }
        if !self.cur_set().contains(&b.voter) && !self.weaken.view_change_voter_unchecked {
            return Err(ConsensusError::NotAValidator(b.voter));
        }
        if b.new_view == 0 {
            return Err(ConsensusError::BadViewChange("view change to view 0"));
        }
        self.check_committed_field(b.committed.as_ref())?;
        if let Some(c) = &b.prepared {
            if c.view >= b.new_view {
                return Err(ConsensusError::BadViewChange(
                    "prepared view not below the new view",
                ));
            }
        }
        checks.push(SigCheck {
            key: b.voter,
            msg: view_change_signing_bytes(&self.cfg.chain_id, b),
            sig: vc.signature,
            err: ConsensusError::BadSignature {
                what: "view-change",
                signer: b.voter,
            },
        });
        if let Some(c) = &b.prepared {
            self.check_prepare_cert(c, checks)?;
        }
        Ok(())
    }

    /// VC2: the proposal a new view must carry: the prepared proposal of the highest view among
    /// the view changes (ties broken by hash; two certificates of one view for different blocks
    /// cannot exist with at most f faulty validators).
    fn required(vcs: &[ViewChange]) -> Option<&PrepareCert> {
        vcs.iter()
            .filter_map(|vc| vc.body.prepared.as_ref())
            .max_by(|a, b| (a.view, a.block_hash).cmp(&(b.view, b.block_hash)))
    }

    /// VC1/VC6/VC9: a view change from its author (`from` = voter) or relayed by another
    /// validator; either way it is checked in full and counted for its author (the voter).
    fn on_view_change(&mut self, from: PublicKey, msg: ViewChangeMsg, out: &mut Vec<Action>) {
        let vc = msg.view_change;
        let voter = vc.body.voter;
        let nv = vc.body.new_view;
        if nv > self.view.saturating_add(self.cfg.limits.max_future_views) {
            return; // B2
        }
        let stale = nv < self.view;
        let held = !stale
            && self
                .view_changes
                .get(&nv)
                .is_some_and(|t| t.contains_key(&voter));
        if stale || held {
            // Stale, or one per (voter, view); duplicates idempotent. VC9: its author re-sending
            // it, or sending one for a view we left, still waits for the quorum of that view.
            if voter == from && nv <= self.view && !self.weaken.no_view_change_relay {
                self.relay_view_changes(from, nv, out);
            }
            return;
        }
        if let Err(e) = self.validate_view_change(&vc) {
            self.reject(from, e, out);
            return;
        }
        // VC6: the carried block is the prepared one, or there is none.
        let carried = match (&vc.body.prepared, msg.prepared_block) {
            (_, None) => None,
            (Some(c), Some(b))
                if b.hash() == c.block_hash
                    && b.header.height == self.height
                    && b.header.parent == self.last.hash =>
            {
                Some((c.block_hash, b))
            }
            _ => {
                self.reject(
                    from,
                    ConsensusError::BadViewChange(
                        "VC6: carried block is not the prepared block of this height",
                    ),
                    out,
                );
                return;
            }
        };
        if let Some((hash, b)) = carried {
            self.keep_block(hash, b);
        }
        self.view_changes.entry(nv).or_default().insert(voter, vc);
        if nv == self.view {
            // VC8: the quorum for the view being changed to may be complete now.
            self.arm_view_change_timer(out);
        }
        // VC4: f+1 validators ask for views above ours: join the smallest such view they
        // all reached.
        let mut highest: BTreeMap<PublicKey, u64> = BTreeMap::new();
        for (v, t) in self.view_changes.range(self.view.saturating_add(1)..) {
            for k in t.keys() {
                highest.insert(*k, *v);
            }
        }
        let weak = self.cur_set().weak_quorum();
        if highest.len() >= weak {
            let mut vs: Vec<u64> = highest.values().copied().collect();
            vs.sort_unstable_by(|a, b| b.cmp(a));
            if let Some(target) = vs.get(weak - 1).copied() {
                if target > self.view {
                    self.start_view_change(target, out);
                    return;
                }
            }
        }
        self.try_new_view(out);
    }

    /// VC9: remember the quorum of view `v` (moved past or entered), replacing a lower one.
    fn keep_passed(&mut self, v: u64, vcs: Vec<ViewChange>) {
        if self.passed.as_ref().is_some_and(|(w, _)| *w >= v) || vcs.len() < self.quorum() {
            return;
        }
        self.passed_bytes = vcs.iter().map(object_bytes).sum();
        self.passed = Some((v, vcs));
    }

    /// VC9: `to` still waits for a quorum of view changes for (h, `w`): send it, once per relay
    /// period, (1) the view changes this replica holds for its own view v — all of them (at most
    /// n) when v > w, so that `to` can join v under VC4, or a quorum of them when v = w — and
    /// (2) the quorum kept of the view it moved past or entered, when that view is ≥ `w`. Each
    /// view change as signed by its author, with the prepared block when it is kept, never
    /// `to`'s own, never one twice.
    fn relay_view_changes(&mut self, to: PublicKey, w: u64, out: &mut Vec<Action>) {
        if self.relayed.contains(&to) {
            return;
        }
        let q = self.quorum();
        let mut vcs: Vec<&ViewChange> = Vec::new();
        if let Some(t) = self.view_changes.get(&self.view) {
            if self.view > w || t.len() >= q {
                vcs.extend(t.values());
            }
        }
        if let Some((v, p)) = &self.passed {
            if *v >= w {
                for vc in p {
                    if !vcs
                        .iter()
                        .any(|x| x.body.new_view == *v && x.body.voter == vc.body.voter)
                    {
                        vcs.push(vc);
                    }
                }
            }
        }
        let msgs: Vec<Message> = vcs
            .into_iter()
            .filter(|vc| vc.body.voter != to)
            .map(|vc| {
                let prepared_block = vc
                    .body
                    .prepared
                    .as_ref()
                    .and_then(|c| self.blocks.get(&c.block_hash))
                    .cloned();
                Message::ViewChange(ViewChangeMsg {
                    view_change: vc.clone(),
                    prepared_block,
                })
            })
            .collect();
        if msgs.is_empty() {
            return;
        }
        self.relayed.insert(to);
        for message in msgs {
            out.push(Action::Send { to, message });
        }
    }

    /// VC2: the primary of the view being changed to announces it once it holds a quorum of
    /// view changes.
    fn try_new_view(&mut self, out: &mut Vec<Action>) {
        if !self.in_view_change {
            return;
        }
        let v = self.view;
        if self.primary(v) != self.me {
            return;
        }
        if let Some((w, _)) = self.signed.new_view {
            if w >= v {
                return;
            }
        }
        let Some(t) = self.view_changes.get(&v) else {
            return;
        };
        let q = self.quorum();
        if t.len() < q {
            return;
        }
        // VC7: exactly a quorum (the first q in key order), so the new-view's size is bounded
        // by `max_new_view_bytes(n)` whatever else this replica holds.
        let vcs: Vec<ViewChange> = t.values().take(q).cloned().collect();
        let required = Self::required(&vcs).cloned();
        let (block, hash) = match &required {
            Some(c) => match self.blocks.get(&c.block_hash) {
                Some(b) => (b.clone(), c.block_hash),
                None => return, // wait for a view change carrying the block
            },
            None => match self
                .pending_fresh
                .and_then(|h| self.blocks.get(&h).map(|b| (b.clone(), h)))
                .filter(|(b, _)| b.header.view == v)
            {
                Some(x) => x,
                None => {
                    self.request_proposal(v, out);
                    return;
                }
            },
        };
        if let Some(p) = &self.signed.proposal {
            if p.view > v || (p.view == v && p.block_hash != hash) {
                return; // S1
            }
        }
        let Some(signature) = self.sign_once(Slot::Proposal {
            view: v,
            block: &block,
        }) else {
            return;
        };
        let proposal = Proposal {
            view: v,
            block,
            signature,
        };
        let Some(nv_sig) = self.sign_once(Slot::NewView {
            view: v,
            hash,
            view_changes: &vcs,
        }) else {
            return;
        };
        self.send_signed(
            Message::NewView(NewView {
                height: self.height,
                view: v,
                view_changes: vcs.clone(),
                proposal: proposal.clone(),
                signature: nv_sig,
            }),
            out,
        );
        self.enter_view(v, hash, proposal, required.is_none(), vcs, out);
    }

    fn enter_view(
        &mut self,
        v: u64,
        hash: Hash,
        proposal: Proposal,
        own_fresh: bool,
        quorum: Vec<ViewChange>,
        out: &mut Vec<Action>,
    ) {
        // VC9: the new-view's quorum is what a replica still changing to v lacks.
        self.keep_passed(v, quorum);
        self.relayed.clear();
        self.in_view_change = false;
        self.vc_quorum = false;
        self.current = None;
        self.pending_fresh = None;
        self.awaiting_proposal = None;
        self.view_changes.retain(|w, _| *w > v);
        // The view gets a full timeout to commit from now on.
        self.set_view_timer(v, out);
        self.accept_proposal(v, hash, proposal, own_fresh, out);
        self.replay_buffer(out);
    }

    /// VC3: check a new-view completely, recomputing the proposal it must carry. M1/M5: every
    /// cheap check comes first; the signatures are verified last, as one batch, and a view
    /// change already held (verified on arrival) is not verified again.
    fn check_new_view(&self, from: PublicKey, nv: &NewView) -> Result<Hash, ConsensusError> {
        let v = nv.view;
        let primary = self.primary(v);
        if from != primary {
            return Err(ConsensusError::NotPrimary {
                view: v,
                got: from,
                expected: primary,
            });
        }
        if nv.view_changes.len() != self.quorum() {
            return Err(ConsensusError::BadNewView(
                "VC3a: not exactly a quorum of view changes",
            ));
        }
        let held = self.view_changes.get(&v);
        let mut checks = Vec::new();
        let mut prev: Option<PublicKey> = None;
        for vc in &nv.view_changes {
            if prev.map(|p| p >= vc.body.voter).unwrap_or(false) {
                return Err(ConsensusError::BadNewView(
                    "VC3b: view changes not from distinct validators in order",
                ));
            }
            prev = Some(vc.body.voter);
            if vc.body.new_view != v && !self.weaken.new_view_other_view {
                return Err(ConsensusError::BadNewView(
                    "VC3c: a view change is for another view",
                ));
            }
            if held.and_then(|t| t.get(&vc.body.voter)) == Some(vc) {
                continue; // M5: verified on arrival
            }
            self.check_view_change(vc, &mut checks)?;
        }
        if nv.proposal.view != v {
            return Err(ConsensusError::BadNewView(
                "VC3e: proposal is for another view",
            ));
        }
        let hash = nv.proposal.block.hash();
        match Self::required(&nv.view_changes) {
            Some(c) => {
                if c.block_hash != hash {
                    return Err(ConsensusError::BadNewView(
                        "VC3d: proposal is not the highest prepared proposal",
                    ));
                }
                self.check_structure(&nv.proposal.block, &hash, v, false)?;
            }
            None => self.check_structure(&nv.proposal.block, &hash, v, true)?,
        }
        if self.weaken.new_view_signatures_unchecked {
            self.verify_checks(&checks)?;
            return Ok(hash);
        }
        checks.push(SigCheck {
            key: from,
            msg: new_view_signing_bytes(
                &self.cfg.chain_id,
                self.height,
                v,
                &hash,
                &nv.view_changes,
            ),
            sig: nv.signature,
            err: ConsensusError::BadSignature {
                what: "new-view",
                signer: from,
            },
        });
        checks.push(SigCheck {
            key: from,
            msg: preprepare_signing_bytes(&self.cfg.chain_id, self.height, v, &hash),
            sig: nv.proposal.signature,
            err: ConsensusError::BadSignature {
                what: "pre-prepare",
                signer: from,
            },
        });
        self.verify_checks(&checks)?;
        Ok(hash)
    }

    fn on_new_view(&mut self, from: PublicKey, nv: NewView, out: &mut Vec<Action>) {
        let v = nv.view;
        if v == 0 {
            self.reject(from, ConsensusError::BadNewView("new-view for view 0"), out);
            return;
        }
        if v < self.view
            || (v == self.view && !self.in_view_change)
            || v > self.view.saturating_add(self.cfg.limits.max_future_views)
        {
            return; // stale, duplicate, or B2
        }
        let hash = match self.check_new_view(from, &nv) {
            Ok(h) => h,
            Err(e) => {
                self.reject(from, e, out);
                return;
            }
        };
        if v > self.view {
            out.push(Action::CancelTimer(TimerId::View {
                height: self.height,
                view: self.view,
            }));
            self.view = v;
            self.prepares.clear();
        }
        self.enter_view(v, hash, nv.proposal, false, nv.view_changes, out);
    }
}

/// Encoded size of a value kept in memory (B3).
fn object_bytes<T: BorshSerialize>(value: &T) -> usize {
    borsh::object_length(value).unwrap_or(usize::MAX)
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
        assert!(first.is_some());
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
}
