//! Deterministic cluster simulator (feature `sim`).
//!
//! One `u64` seed decides everything: the fault mix, the Byzantine fixture, every delay, loss,
//! duplicate, partition, crash and answer. The cluster runs on a virtual clock (an event queue
//! ordered by (time, sequence number)); all collections are ordered, so a seed replays bit for
//! bit. After every event the [`Checker`] checks the safety invariants (see
//! `docs/spec/pbft.md`, section "Simulation invariants").

pub mod byzantine;
pub mod certs;
mod checker;
mod cluster;
pub mod crypto;
mod faults;
mod host;
pub mod rng;

pub use checker::Checker;
use checker::{covered, msg_kind};
pub use cluster::Cluster;
use faults::draw_plan;
use host::SimHost;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use tracechain_types::{
    encode, Block, BlockHeader, ChainId, ChainRecord, CommitCertificate, Hash, PublicKey,
    Validator, ValidatorSet,
};

use crate::driver::{
    self, Application, Driver, Halt, ProposalRequest, Timers, Transport, VoteStore,
};
use crate::error::ConsensusError;
use crate::messages::{
    decode_message, max_view_change_bytes, quorum_of, Message, MAX_MESSAGE_BYTES,
};
use crate::replica::{
    Config, Evidence, Input, LastCommitted, PersistedState, Replica, TimerId, VoteRecord, Weaken,
};
pub use crypto::{SimSigner, SimVerifier};
pub use rng::SimRng;
use tracechain_types::payload::{Payload, ValidatorSetChange};
use tracechain_types::TxBody;

/// View timeout used by simulations (virtual ms).
pub const SIM_VIEW_TIMEOUT_MS: u64 = 1_000;
/// Maximum view timeout in simulations (virtual ms).
pub const SIM_MAX_VIEW_TIMEOUT_MS: u64 = 8_000;
/// Genesis timestamp of simulated chains.
pub const SIM_GENESIS_MS: u64 = 1_700_000_000_000;
/// Invariant I10: while every mempool is empty, honest replicas may still finish the height in
/// flight and the one a view change under way forces (the new primary proposes even without
/// transactions, ID2); more new heights in one idle window mean the idle rule is broken.
pub const IDLE_MAX_NEW_HEIGHTS: u64 = 2;

/// The Byzantine behaviour placed in a run (at most f validators unless a control asks for
/// more).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fixture {
    /// All validators honest.
    None,
    /// `keys` validators run as two instances each, sharing one key, placed in different
    /// partitions (Twins).
    Twins {
        /// Number of twinned keys.
        keys: usize,
    },
    /// One validator proposes different blocks to different halves of the cluster.
    EquivocatingPrimary,
    /// One validator never sends its proposals (pre-prepare / new-view).
    SilentPrimary,
    /// One validator sends new-views with a short or forged certificate, or one that ignores
    /// the prepared proposal, plus forged new-views for views it does not lead.
    ForgedNewView,
    /// The network replays old messages at random.
    Replay,
    /// One validator spams signed votes and view changes for future heights and views.
    Spam,
    /// Scripted scenarios only (never drawn by the sweep): one validator behaves honestly but
    /// pads the `committed` certificate of every view change it sends to just under
    /// `MAX_MESSAGE_BYTES` with junk votes; the network drops messages above that limit, as
    /// `decode_message` does (VC6/VC7).
    PaddedViewChange,
    /// One validator broadcasts forged, relabelled, short, padded and replayed `Decided`
    /// certificates for the height being decided (`byzantine::forged_decided`).
    ForgedDecided,
    /// One validator's view changes carry forged, relabelled, short or padded prepared
    /// certificates (or replay older ones), and its new-views carry view changes of another view
    /// or height, padded, short or replayed (`byzantine::forged_view_change`).
    ForgedViewChange,
    /// One validator, as a sync peer, serves forged or relabelled blocks and certificates
    /// (`byzantine::sync_peer`).
    ForgedSyncPeer,
    /// One validator sends each of its genuine view changes to one honest replica only (the
    /// same one all run, drawn from the seed) and never to the others
    /// (`byzantine::withheld_view_change`, VC9).
    WithheldViewChange,
}

impl Fixture {
    fn name(&self) -> String {
        format!("{self:?}")
    }
}

/// The validator set of the given pool keys.
pub fn set_of(keys: &[usize]) -> ValidatorSet {
    let validators: Vec<Validator> = keys
        .iter()
        .map(|i| Validator {
            public_key: crypto::key_pool()[*i].0,
            name: format!("sim-{i}"),
        })
        .collect();
    match ValidatorSet::new(validators) {
        Ok(s) => s,
        Err(e) => panic!("sim validator set: {e}"),
    }
}

/// The configuration and validator set of a simulated chain with `n` validators (pool keys
/// `0..n`), as every simulated replica uses it.
pub fn sim_config(n: usize) -> (Config, ValidatorSet) {
    let set = set_of(&(0..n).collect::<Vec<_>>());
    let chain_id = match ChainId::new("tracechain-sim") {
        Ok(c) => c,
        Err(e) => panic!("sim chain id: {e}"),
    };
    let mut cfg = Config::new(
        chain_id,
        Hash::tagged(b"sim-genesis", &[]),
        SIM_GENESIS_MS,
        set.clone(),
        sim_set_change,
    );
    cfg.view_timeout_ms = SIM_VIEW_TIMEOUT_MS;
    cfg.max_view_timeout_ms = SIM_MAX_VIEW_TIMEOUT_MS;
    cfg.sync_retry_ms = 500;
    cfg.view_change_resend_ms = SIM_VIEW_TIMEOUT_MS;
    (cfg, set)
}

/// The simulated application's answer to [`Config::set_change_of`] (VS1): the last
/// `ValidatorSetChange` payload among a block's transactions (every transaction of a committed
/// block executed successfully).
pub fn sim_set_change(block: &Block) -> Option<ValidatorSet> {
    block
        .txs
        .iter()
        .rev()
        .find_map(|tx| match &tx.body.payload {
            Payload::Chain(ChainRecord::ValidatorSetChange(c)) => Some(c.new_set.clone()),
            _ => None,
        })
}

/// A well-formed simulated block (empty transactions, distinct state root per `variant`).
#[allow(clippy::too_many_arguments)]
pub fn sim_block(
    cfg: &Config,
    height: u64,
    view: u64,
    parent: Hash,
    parent_ts: u64,
    proposer: PublicKey,
    set_hash: Hash,
    variant: u64,
) -> Block {
    let header = BlockHeader {
        chain_id: cfg.chain_id.clone(),
        height,
        view,
        parent,
        timestamp_ms: parent_ts + 1,
        tx_root: Block::compute_tx_root(&[]),
        state_root: sim_state_root(&parent, height, 0, 0, variant),
        proposer,
        validator_set_hash: set_hash,
    };
    Block {
        header,
        txs: Vec::new(),
    }
}

/// The fault mix of a run, drawn from the seed.
#[derive(Clone, Debug)]
pub struct FaultPlan {
    /// Message loss, per mille (0–300).
    pub loss_pm: u64,
    /// Duplication, per mille.
    pub dup_pm: u64,
    /// Normal delay range upper bound (ms); reordering follows from random delays.
    pub max_delay_ms: u64,
    /// Long-delay probability per mille; a long delay is up to 3 view timeouts.
    pub long_delay_pm: u64,
    /// Partitions: (start, duration, group of each node).
    pub partitions: Vec<(u64, u64, Vec<u8>)>,
    /// Crashes: (node, at, down for, crash in the middle of a step).
    pub crashes: Vec<(usize, u64, u64, bool)>,
    /// Timer skew per node, per mille of the requested delay (750–1500).
    pub skew_pm: Vec<u64>,
}

impl FaultPlan {
    /// No faults.
    pub fn none(nodes: usize) -> FaultPlan {
        FaultPlan {
            loss_pm: 0,
            dup_pm: 0,
            max_delay_ms: 20,
            long_delay_pm: 0,
            partitions: Vec::new(),
            crashes: Vec::new(),
            skew_pm: vec![1000; nodes],
        }
    }
}

/// Options of one run.
#[derive(Clone, Debug)]
pub struct SimOptions {
    /// The seed.
    pub seed: u64,
    /// Validators.
    pub n: usize,
    /// Byzantine fixture.
    pub fixture: Fixture,
    /// Fault plan (`None`: draw from the seed).
    pub faults: Option<FaultPlan>,
    /// Negative control: replicas count quorums as 2f instead of 2f+1.
    pub wrong_quorum: bool,
    /// Check certificates against the real quorum (off only in the wrong-quorum control, which
    /// must be caught by the agreement check).
    pub check_certs: bool,
    /// Length of the fault phase (virtual ms).
    pub safety_ms: u64,
    /// Blocks every honest replica must commit after faults stop.
    pub liveness_blocks: u64,
    /// Virtual time allowed for that.
    pub liveness_deadline_ms: u64,
    /// Validator-set changes: (height whose block decides it, pool key indices of the new set).
    /// Every block the simulated drivers build at that height carries the change.
    pub set_changes: Vec<(u64, Vec<usize>)>,
    /// Draw a removal and a later re-admission of one validator from the seed (a Byzantine
    /// one when the fixture has any, so the reduced set keeps at most f faulty).
    pub random_set_change: bool,
    /// Idle windows (start, duration) of the fault phase: every mempool is empty, drivers
    /// report `PendingWork(false)` (each after its own gossip delay). Work is present outside
    /// them and always once faults stop, so the liveness phase runs with work.
    pub idle: Vec<(u64, u64)>,
    /// Negative controls: checks of every replica turned off (see [`Weaken`]).
    pub weaken: Weaken,
}

impl SimOptions {
    /// The standard sweep run for `seed` and `n`: fixture and fault mix drawn from the seed.
    pub fn sweep(seed: u64, n: usize) -> SimOptions {
        let mut rng = SimRng::new(seed ^ 0xF1C7_0000);
        let f = (n.saturating_sub(1)) / 3;
        let fixture = if f == 0 {
            if rng.chance(300) {
                Fixture::Replay
            } else {
                Fixture::None
            }
        } else {
            match rng.below(11) {
                0 => Fixture::None,
                1 => Fixture::Twins {
                    keys: 1 + rng.below(f as u64) as usize,
                },
                2 => Fixture::EquivocatingPrimary,
                3 => Fixture::SilentPrimary,
                4 => Fixture::ForgedNewView,
                5 => Fixture::Replay,
                6 => Fixture::Spam,
                7 => Fixture::ForgedDecided,
                8 => Fixture::ForgedViewChange,
                9 => Fixture::ForgedSyncPeer,
                _ => Fixture::WithheldViewChange,
            }
        };
        // About 40 % of the seeds have idle periods: the mempool empties, then refills.
        let mut idle: Vec<(u64, u64)> = Vec::new();
        if rng.chance(400) {
            let safety: u64 = if n == 1 { 2_000 } else { 6_000 };
            let mut at = if rng.chance(250) {
                0
            } else {
                rng.below(safety / 2)
            };
            for _ in 0..1 + rng.below(2) {
                let dur = 500 + rng.below(3_500);
                idle.push((at, dur));
                at = at + dur + 200 + rng.below(2_000);
            }
        }
        SimOptions {
            seed,
            n,
            fixture,
            faults: None,
            wrong_quorum: false,
            check_certs: true,
            // n = 1 has no network to disturb; a shorter fault phase keeps its sweep cheap.
            safety_ms: if n == 1 { 2_000 } else { 6_000 },
            liveness_blocks: 20,
            liveness_deadline_ms: 60_000,
            set_changes: Vec::new(),
            random_set_change: rng.chance(300),
            idle,
            weaken: Weaken::default(),
        }
    }
}

/// A violated invariant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// Which invariant (I1 agreement, I2 validity, I3 certificate, I4 equivocation, I5 linkage,
    /// I6 bounds, I7 false evidence, I8–I11 persistence, proposals, idle, size, I12 honest
    /// certificate, I13 vote without a valid new-view, I14 broadcast recipients, L1 liveness).
    pub kind: &'static str,
    /// Virtual time.
    pub at_ms: u64,
    /// Details.
    pub detail: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at {} ms: {}", self.kind, self.at_ms, self.detail)
    }
}

/// What a run did.
#[derive(Clone, Debug, Default)]
pub struct SimReport {
    /// First violation, if any.
    pub violation: Option<Violation>,
    /// Highest height committed by an honest replica.
    pub max_height: u64,
    /// Events processed.
    pub events: u64,
    /// Messages delivered.
    pub delivered: u64,
    /// Messages dropped (loss or partition).
    pub dropped: u64,
    /// New-views that re-proposed a prepared block.
    pub reproposals: u64,
    /// New-views sent by honest primaries.
    pub new_views: u64,
    /// Rejected inputs reported by replicas.
    pub rejected: u64,
    /// Evidence reports.
    pub evidence: u64,
    /// Messages a Byzantine fixture altered, forged or withheld.
    pub byzantine_acts: u64,
    /// Synced blocks delivered.
    pub synced: u64,
    /// Crashes performed.
    pub crashes: u64,
    /// Final virtual time.
    pub end_ms: u64,
    /// Messages dropped by the network for exceeding `MAX_MESSAGE_BYTES` (checked with the
    /// `PaddedViewChange` fixture only).
    pub oversized: u64,
    /// View changes broadcast by honest replicas.
    pub view_changes: u64,
    /// Largest number of new heights committed within one idle window (I10).
    pub idle_new_heights: u64,
    /// Messages delivered while every driver knew its mempool was empty.
    pub idle_delivered: u64,
    /// Virtual time spent idle.
    pub idle_ms: u64,
    /// The fixture.
    pub fixture: String,
    /// The fault mix, in words.
    pub faults: String,
}

/// Verdict of a delivery filter used by scripted scenarios.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FilterVerdict {
    /// Deliver normally.
    Pass,
    /// Drop.
    Drop,
    /// Add this much delay (ms).
    Delay(u64),
}

/// A scripted delivery filter: (now, from node, to node, message) -> verdict.
pub type DeliveryFilter = Box<dyn Fn(u64, usize, usize, &Message) -> FilterVerdict>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Behavior {
    Honest,
    Twin,
    Equivocator,
    Silent,
    ForgedNewView,
    Spammer,
    Padder,
    DecidedForger,
    ViewChangeForger,
    SyncForger,
    ViewChangeWithholder,
}

type R = Replica<SimSigner, SimVerifier>;
type D = Driver<SimSigner, SimVerifier>;

/// A simulated node's durable storage: what its driver made durable through [`VoteStore`].
#[derive(Debug, Default)]
struct Disk {
    /// The last vote record (`Persist` or `Commit`).
    record: Option<VoteRecord>,
    /// Validator sets of the last `Commit`.
    sets: Option<Vec<(u64, ValidatorSet)>>,
    /// Blocks stored by hash (`StoreBlock`), pruned at each commit.
    blocks: BTreeMap<Hash, Block>,
}

#[derive(Debug)]
struct Node {
    key: usize,
    behavior: Behavior,
    driver: Option<D>,
    incarnation: u64,
    disk: Disk,
    chain: Vec<(Block, CommitCertificate)>,
    timers: BTreeMap<TimerId, u64>,
    token: u64,
    skew_pm: u64,
    crash_cut: Option<u64>,
    down_until: Option<u64>,
    /// The simulated mempool is non-empty (what this node's driver last reported).
    work: bool,
    /// A view-0 proposal request held until work arrives (ID2): (height, view, parent,
    /// parent timestamp, set hash).
    held: Option<(u64, u64, Hash, u64, Hash)>,
}

#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
enum Ev {
    Deliver {
        to: usize,
        from: usize,
        msg: Message,
    },
    Timer {
        node: usize,
        inc: u64,
        timer: TimerId,
        token: u64,
    },
    Input {
        node: usize,
        inc: u64,
        input: Input,
    },
    Crash {
        node: usize,
        mid_step: bool,
        down_ms: u64,
    },
    Restart {
        node: usize,
    },
    Partition {
        groups: Vec<u8>,
    },
    Heal,
    Replay,
    Spam {
        node: usize,
    },
    ForgeNewView {
        node: usize,
    },
    ForgeDecided {
        node: usize,
    },
    /// A Byzantine node broadcasts a message it held back.
    LateBroadcast {
        node: usize,
        msg: Message,
    },
    /// Every mempool empties (false) or refills (true).
    Work {
        on: bool,
    },
    /// A node's driver learns the mempool state (after its gossip delay).
    NodeWork {
        node: usize,
    },
    /// Scripted: one node's mempool alone holds work (or not), whatever the others have.
    ForceWork {
        node: usize,
        on: bool,
    },
    EndFaults,
}

/// State root of a simulated block (the simulated executor's output).
fn sim_state_root(parent: &Hash, height: u64, proposer: u64, counter: u64, variant: u64) -> Hash {
    Hash::tagged(
        b"tracechain-sim/state/v1",
        &[
            &parent.0,
            &height.to_le_bytes(),
            &proposer.to_le_bytes(),
            &counter.to_le_bytes(),
            &variant.to_le_bytes(),
        ],
    )
}
