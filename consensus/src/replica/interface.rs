//! Inputs, actions and durable state: what passes between a replica and its driver.

use super::*;

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
