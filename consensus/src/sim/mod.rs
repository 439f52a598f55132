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
pub mod crypto;
mod faults;
mod host;
pub mod rng;

pub use checker::Checker;
use checker::{covered, msg_kind};
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

/// A simulated cluster.
pub struct Cluster {
    opts: SimOptions,
    cfg: Config,
    set: ValidatorSet,
    verifier: SimVerifier,
    rng: SimRng,
    now: u64,
    seq: u64,
    events: BTreeMap<(u64, u64), Ev>,
    nodes: Vec<Node>,
    key_nodes: BTreeMap<PublicKey, Vec<usize>>,
    plan: FaultPlan,
    faults_on: bool,
    groups: Option<Vec<u8>>,
    history: Vec<(usize, Message)>,
    blocks_made: u64,
    made: BTreeSet<Hash>,
    /// Invariant checker.
    pub checker: Checker,
    report: SimReport,
    filter: Option<DeliveryFilter>,
    /// Validator sets by first height in force, as decided by honest commits.
    sets: BTreeMap<u64, ValidatorSet>,
    liveness_start: Option<(u64, Vec<u64>)>,
    /// What the Byzantine validators saw delivered to them.
    seen: byzantine::Seen,
    /// Whether the mempools hold work now.
    work_on: bool,
    /// Start of the current idle window and the highest height committed then.
    idle_since: Option<(u64, u64)>,
}

impl fmt::Debug for Cluster {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Cluster(seed={}, n={}, now={})",
            self.opts.seed, self.opts.n, self.now
        )
    }
}

impl Cluster {
    /// Build the cluster of a run (nothing happens until [`Cluster::run`]).
    pub fn new(mut opts: SimOptions) -> Cluster {
        let mut rng = SimRng::new(opts.seed);
        let n = opts.n;
        assert!(
            (1..=crypto::MAX_SIM_KEYS).contains(&n),
            "sim supports 1..=16 validators"
        );
        let (cfg, set) = sim_config(n);
        let f = set.max_faulty();
        // Place Byzantine keys: the last keys of the pool order (validator order is by key, so
        // which positions they take varies with n).
        let mut behaviors = vec![Behavior::Honest; n];
        let mut twins = Vec::new();
        match opts.fixture {
            Fixture::None | Fixture::Replay => {}
            Fixture::Twins { keys } => {
                for k in 0..keys.min(n) {
                    let key = (rng.below(n as u64) as usize + k) % n;
                    if behaviors[key] == Behavior::Twin {
                        continue;
                    }
                    behaviors[key] = Behavior::Twin;
                    twins.push(key);
                }
            }
            Fixture::EquivocatingPrimary => {
                behaviors[rng.below(n as u64) as usize] = Behavior::Equivocator
            }
            Fixture::SilentPrimary => behaviors[rng.below(n as u64) as usize] = Behavior::Silent,
            Fixture::ForgedNewView => {
                behaviors[rng.below(n as u64) as usize] = Behavior::ForgedNewView
            }
            Fixture::Spam => behaviors[rng.below(n as u64) as usize] = Behavior::Spammer,
            Fixture::PaddedViewChange => behaviors[rng.below(n as u64) as usize] = Behavior::Padder,
            Fixture::ForgedDecided => {
                behaviors[rng.below(n as u64) as usize] = Behavior::DecidedForger
            }
            Fixture::ForgedViewChange => {
                behaviors[rng.below(n as u64) as usize] = Behavior::ViewChangeForger
            }
            Fixture::ForgedSyncPeer => {
                behaviors[rng.below(n as u64) as usize] = Behavior::SyncForger
            }
            Fixture::WithheldViewChange => {
                behaviors[rng.below(n as u64) as usize] = Behavior::ViewChangeWithholder
            }
        }
        let mut nodes = Vec::new();
        for (key, b) in behaviors.iter().enumerate() {
            nodes.push(Node {
                key,
                behavior: *b,
                driver: None,
                incarnation: 0,
                disk: Disk::default(),
                chain: Vec::new(),
                timers: BTreeMap::new(),
                token: 0,
                skew_pm: 1000,
                crash_cut: None,
                down_until: None,
                work: true,
                held: None,
            });
        }
        for key in &twins {
            nodes.push(Node {
                key: *key,
                behavior: Behavior::Twin,
                driver: None,
                incarnation: 0,
                disk: Disk::default(),
                chain: Vec::new(),
                timers: BTreeMap::new(),
                token: 0,
                skew_pm: 1000,
                crash_cut: None,
                down_until: None,
                work: true,
                held: None,
            });
        }
        if opts.random_set_change && n >= 4 {
            let victim = match behaviors.iter().position(|b| *b != Behavior::Honest) {
                Some(k) => k,
                None => rng.below(n as u64) as usize,
            };
            let byz = behaviors.iter().filter(|b| **b != Behavior::Honest).count();
            let reduced: Vec<usize> = (0..n).filter(|k| *k != victim).collect();
            // Keep the reduced set able to tolerate the remaining faulty keys.
            if (reduced.len().saturating_sub(1)) / 3 >= byz.saturating_sub(1) {
                let h1 = 2 + rng.below(6);
                let h2 = h1 + 3 + rng.below(6);
                opts.set_changes = vec![(h1, reduced), (h2, (0..n).collect())];
            }
        }
        let mut key_nodes: BTreeMap<PublicKey, Vec<usize>> = BTreeMap::new();
        for (i, nd) in nodes.iter().enumerate() {
            key_nodes
                .entry(crypto::key_pool()[nd.key].0)
                .or_default()
                .push(i);
        }
        let honest: Vec<usize> = (0..nodes.len())
            .filter(|i| nodes[*i].behavior == Behavior::Honest)
            .collect();
        let mut plan = match &opts.faults {
            Some(p) => p.clone(),
            None => draw_plan(&mut rng, nodes.len(), &honest, f, opts.safety_ms),
        };
        if plan.skew_pm.len() < nodes.len() {
            plan.skew_pm.resize(nodes.len(), 1000);
        }
        if !twins.is_empty() {
            // Twins: instance one of each twinned key in group 0, instance two in group 1,
            // honest nodes split; from the start, healing later.
            let mut groups: Vec<u8> = (0..nodes.len()).map(|i| (i % 2) as u8).collect();
            for (j, key) in twins.iter().enumerate() {
                groups[*key] = 0;
                groups[n + j] = 1;
            }
            let dur = 1_000 + rng.below(opts.safety_ms / 2 + 1);
            plan.partitions.push((0, dur, groups));
        }
        for (i, nd) in nodes.iter_mut().enumerate() {
            nd.skew_pm = plan.skew_pm.get(i).copied().unwrap_or(1000);
        }
        let mut checker = Checker {
            check_certs: opts.check_certs,
            ..Checker::default()
        };
        for nd in &nodes {
            if nd.behavior == Behavior::Honest {
                checker.honest_keys.insert(crypto::key_pool()[nd.key].0);
            }
        }
        let report = SimReport {
            fixture: opts.fixture.name(),
            faults: format!(
                "loss {}‰, dup {}‰, delay ≤{} ms, long delays {}‰, {} partitions, {} crashes, set changes at {:?}, idle {:?}",
                plan.loss_pm,
                plan.dup_pm,
                plan.max_delay_ms,
                plan.long_delay_pm,
                plan.partitions.len(),
                plan.crashes.len(),
                opts.set_changes.iter().map(|(h, k)| (*h, k.len())).collect::<Vec<_>>(),
                opts.idle
            ),
            ..SimReport::default()
        };
        Cluster {
            opts,
            cfg,
            set: set.clone(),
            verifier: SimVerifier::default(),
            rng,
            now: 0,
            seq: 0,
            events: BTreeMap::new(),
            nodes,
            key_nodes,
            plan,
            faults_on: true,
            groups: None,
            history: Vec::new(),
            blocks_made: 0,
            made: BTreeSet::new(),
            checker,
            report,
            filter: None,
            sets: [(1u64, set.clone())].into_iter().collect(),
            liveness_start: None,
            seen: byzantine::Seen::default(),
            work_on: true,
            idle_since: None,
        }
    }

    /// Install a scripted delivery filter (regression scenarios).
    pub fn set_filter(&mut self, filter: DeliveryFilter) {
        self.filter = Some(filter);
    }

    /// Scripted: at `at_ms` the mempool of `node` alone holds work (`on`) or is empty, whatever
    /// the other drivers report (the next cluster-wide change overrides it).
    pub fn schedule_node_work(&mut self, node: usize, at_ms: u64, on: bool) {
        self.schedule(at_ms, Ev::ForceWork { node, on });
    }

    /// The simulated node holding pool key `key` (the first instance of a twinned key).
    pub fn node_of_key(&self, key: PublicKey) -> Option<usize> {
        self.key_nodes.get(&key).and_then(|v| v.first().copied())
    }

    /// The current view of `node`'s replica (None while it is down).
    pub fn view_of(&self, node: usize) -> Option<u64> {
        self.replica(node).map(|r| r.view())
    }

    /// The chain committed by `node` (block hashes by height − 1).
    pub fn chain(&self, node: usize) -> Vec<Hash> {
        self.nodes[node]
            .chain
            .iter()
            .map(|(b, _)| b.hash())
            .collect()
    }

    /// The blocks committed by `node`.
    pub fn blocks(&self, node: usize) -> &[(Block, CommitCertificate)] {
        &self.nodes[node].chain
    }

    /// The simulated nodes running a Byzantine behaviour.
    pub fn byzantine_nodes(&self) -> Vec<usize> {
        (0..self.nodes.len())
            .filter(|i| self.nodes[*i].behavior != Behavior::Honest)
            .collect()
    }

    /// Number of simulated instances (twins add instances).
    pub fn nodes(&self) -> usize {
        self.nodes.len()
    }

    fn schedule(&mut self, at: u64, ev: Ev) {
        self.seq += 1;
        self.events.insert((at, self.seq), ev);
    }

    fn key_of(&self, node: usize) -> PublicKey {
        crypto::key_pool()[self.nodes[node].key].0
    }

    fn new_replica(&self, node: usize) -> R {
        let r = Replica::new(
            self.cfg.clone(),
            SimSigner::new(self.nodes[node].key),
            self.verifier.clone(),
        );
        let r = r.with_weaken_for_tests(self.opts.weaken);
        if self.opts.wrong_quorum {
            r.with_wrong_quorum_for_tests()
        } else {
            r
        }
    }

    /// Start every replica; the idle windows of the options are scheduled (work present from
    /// the start unless a window starts at 0).
    fn start_all(&mut self) {
        let idle = self.opts.idle.clone();
        for (start, dur) in idle {
            if start == 0 {
                self.begin_idle();
            } else {
                self.schedule(start, Ev::Work { on: false });
            }
            self.schedule(start.saturating_add(dur), Ev::Work { on: true });
        }
        for i in 0..self.nodes.len() {
            let r = self.new_replica(i);
            self.nodes[i].driver = Some(Driver::new(r));
            self.nodes[i].work = self.work_on;
            self.step_node(i, Input::Start);
            // ID1: the driver reports its mempool right after the start.
            let work = self.nodes[i].work;
            self.step_node(i, Input::PendingWork(work));
        }
        self.note_all_idle();
    }

    fn begin_idle(&mut self) {
        self.work_on = false;
    }

    /// I10 starts counting once every driver knows the mempools are empty.
    fn note_all_idle(&mut self) {
        if self.idle_since.is_none() && !self.work_on && self.nodes.iter().all(|n| !n.work) {
            let top = self
                .checker
                .committed
                .keys()
                .next_back()
                .copied()
                .unwrap_or(0);
            self.idle_since = Some((self.now, top));
        }
    }

    fn set_work(&mut self, on: bool) {
        if on == self.work_on {
            return;
        }
        if on {
            self.work_on = true;
            if let Some((start, _)) = self.idle_since.take() {
                self.report.idle_ms += self.now - start;
            }
        } else {
            self.begin_idle();
        }
        for node in 0..self.nodes.len() {
            let d = 1 + self.rng.below(30);
            self.schedule(self.now + d, Ev::NodeWork { node });
        }
    }

    fn node_work(&mut self, i: usize) {
        let on = self.work_on;
        if self.nodes[i].work == on {
            return;
        }
        self.nodes[i].work = on;
        self.note_all_idle();
        if self.nodes[i].driver.is_none() {
            return;
        }
        self.step_node(i, Input::PendingWork(on));
        if on {
            if let Some((height, view, parent, ts, set_hash)) = self.nodes[i].held.take() {
                self.answer_proposal(i, height, view, parent, ts, set_hash);
            }
        }
    }

    /// Run the whole scenario: fault phase, then liveness phase. Returns the report.
    pub fn run(mut self) -> SimReport {
        self.start_all();
        let partitions = self.plan.partitions.clone();
        for (start, dur, groups) in partitions {
            self.schedule(start, Ev::Partition { groups });
            self.schedule(start + dur, Ev::Heal);
        }
        for (node, at, down, mid) in self.plan.crashes.clone() {
            self.schedule(
                at,
                Ev::Crash {
                    node,
                    mid_step: mid,
                    down_ms: down,
                },
            );
        }
        match self.opts.fixture {
            Fixture::Replay => self.schedule(50, Ev::Replay),
            Fixture::Spam => {
                if let Some(i) = self
                    .nodes
                    .iter()
                    .position(|n| n.behavior == Behavior::Spammer)
                {
                    self.schedule(10, Ev::Spam { node: i });
                }
            }
            Fixture::ForgedNewView => {
                if let Some(i) = self
                    .nodes
                    .iter()
                    .position(|n| n.behavior == Behavior::ForgedNewView)
                {
                    self.schedule(300, Ev::ForgeNewView { node: i });
                }
            }
            Fixture::ForgedDecided => {
                if let Some(i) = self
                    .nodes
                    .iter()
                    .position(|n| n.behavior == Behavior::DecidedForger)
                {
                    self.schedule(50, Ev::ForgeDecided { node: i });
                }
            }
            _ => {}
        }
        let safety_ms = self.opts.safety_ms;
        self.schedule(safety_ms, Ev::EndFaults);
        let hard_end = safety_ms + self.opts.liveness_deadline_ms;
        while let Some(((t, _), ev)) = self.events.pop_first() {
            if t > hard_end {
                break;
            }
            self.now = t;
            self.report.events += 1;
            self.handle(ev);
            if self.checker.violation.is_some() {
                break;
            }
            if self.liveness_done() {
                break;
            }
        }
        self.report.end_ms = self.now;
        if self.checker.violation.is_none() {
            if let Some((start, base)) = &self.liveness_start {
                let lagging: Vec<String> = self
                    .honest_nodes()
                    .into_iter()
                    .filter(|i| {
                        (self.nodes[*i].chain.len() as u64) < base[*i] + self.opts.liveness_blocks
                    })
                    .map(|i| {
                        format!(
                            "node {i} at {} (from {})",
                            self.nodes[i].chain.len(),
                            base[i]
                        )
                    })
                    .collect();
                if !lagging.is_empty() {
                    let detail = format!(
                        "faults stopped at {start} ms; within {} ms not every honest replica committed {} more blocks: {}",
                        self.opts.liveness_deadline_ms,
                        self.opts.liveness_blocks,
                        lagging.join(", ")
                    );
                    self.checker.fail("L1 liveness", self.now, detail);
                }
            } else {
                self.checker.fail(
                    "L1 liveness",
                    self.now,
                    "event queue ran dry before faults ended".into(),
                );
            }
        }
        self.report.violation = self.checker.violation.clone();
        self.report.max_height = self
            .checker
            .committed
            .keys()
            .next_back()
            .copied()
            .unwrap_or(0);
        self.report
    }

    /// Run only until `until_ms` without the liveness phase (scripted scenarios); returns the
    /// first violation.
    pub fn run_until(&mut self, until_ms: u64) -> Option<Violation> {
        if self.now == 0 && self.report.events == 0 {
            self.start_all();
            for (node, at, down, mid) in self.plan.crashes.clone() {
                self.schedule(
                    at,
                    Ev::Crash {
                        node,
                        mid_step: mid,
                        down_ms: down,
                    },
                );
            }
        }
        while let Some(entry) = self.events.first_key_value() {
            let t = entry.0 .0;
            if t > until_ms {
                break;
            }
            let Some(((t, _), ev)) = self.events.pop_first() else {
                break;
            };
            self.now = t;
            self.report.events += 1;
            self.handle(ev);
            if self.checker.violation.is_some() {
                break;
            }
        }
        self.now = self.now.max(until_ms);
        self.checker.violation.clone()
    }

    /// Statistics so far.
    pub fn report(&self) -> &SimReport {
        &self.report
    }

    fn honest_nodes(&self) -> Vec<usize> {
        (0..self.nodes.len())
            .filter(|i| self.nodes[*i].behavior == Behavior::Honest)
            .collect()
    }

    fn liveness_done(&self) -> bool {
        let Some((_, base)) = &self.liveness_start else {
            return false;
        };
        self.honest_nodes()
            .into_iter()
            .all(|i| self.nodes[i].chain.len() as u64 >= base[i] + self.opts.liveness_blocks)
    }

    fn handle(&mut self, ev: Ev) {
        match ev {
            Ev::Deliver { to, from, msg } => {
                if self.nodes[to].driver.is_none() {
                    return;
                }
                self.report.delivered += 1;
                if self.idle_since.is_some() {
                    self.report.idle_delivered += 1;
                }
                if self.history.len() < 512 {
                    self.history.push((from, msg.clone()));
                } else {
                    let i = self.rng.below(512) as usize;
                    self.history[i] = (from, msg.clone());
                }
                let from_key = self.key_of(from);
                if matches!(
                    self.nodes[to].behavior,
                    Behavior::DecidedForger | Behavior::ViewChangeForger
                ) {
                    self.seen.record(&msg);
                }
                if let Message::NewView(nv) = &msg {
                    self.note_new_view(from_key, nv);
                }
                self.step_node(
                    to,
                    Input::Message {
                        from: from_key,
                        message: msg,
                    },
                );
            }
            Ev::Timer {
                node,
                inc,
                timer,
                token,
            } => {
                let nd = &mut self.nodes[node];
                if nd.incarnation != inc || nd.timers.get(&timer) != Some(&token) {
                    return;
                }
                nd.timers.remove(&timer);
                self.step_node(node, Input::Timer(timer));
            }
            Ev::Input { node, inc, input } => {
                if self.nodes[node].incarnation != inc {
                    return;
                }
                self.step_node(node, input);
            }
            Ev::Crash {
                node,
                mid_step,
                down_ms,
            } => {
                if self.nodes[node].driver.is_none() {
                    return;
                }
                if mid_step {
                    let cut = self.rng.below(6);
                    self.nodes[node].crash_cut = Some(cut);
                    self.nodes[node].down_until = Some(self.now.saturating_add(down_ms));
                } else {
                    self.crash(node, down_ms);
                }
            }
            Ev::Restart { node } => self.restart(node),
            Ev::Partition { groups } => {
                if self.faults_on {
                    self.groups = Some(groups);
                }
            }
            Ev::Heal => self.groups = None,
            Ev::Replay => {
                if self.faults_on && !self.history.is_empty() {
                    let i = self.rng.below(self.history.len() as u64) as usize;
                    let (from, msg) = self.history[i].clone();
                    let to = self.rng.below(self.nodes.len() as u64) as usize;
                    if to != from {
                        self.report.byzantine_acts += 1;
                        self.schedule(self.now + 1, Ev::Deliver { to, from, msg });
                    }
                    let next = self.now + 5 + self.rng.below(40);
                    self.schedule(next, Ev::Replay);
                }
            }
            Ev::Spam { node } => {
                if self.faults_on {
                    self.spam(node);
                    let next = self.now + 10 + self.rng.below(30);
                    self.schedule(next, Ev::Spam { node });
                }
            }
            Ev::ForgeNewView { node } => {
                if self.faults_on {
                    self.forge_new_view(node);
                    let next = self.now + 100 + self.rng.below(400);
                    self.schedule(next, Ev::ForgeNewView { node });
                }
            }
            Ev::LateBroadcast { node, msg } => {
                if self.nodes[node].driver.is_some() {
                    self.broadcast_from(node, &msg);
                }
            }
            Ev::ForgeDecided { node } => {
                if self.faults_on {
                    self.forge_decided(node);
                    let next = self.now + 20 + self.rng.below(80);
                    self.schedule(next, Ev::ForgeDecided { node });
                }
            }
            Ev::Work { on } => {
                // Idle windows belong to the fault phase; once faults stop work stays present.
                if self.faults_on || on {
                    self.set_work(on);
                }
            }
            Ev::NodeWork { node } => self.node_work(node),
            Ev::ForceWork { node, on } => {
                if self.nodes[node].work != on {
                    self.nodes[node].work = on;
                    self.step_node(node, Input::PendingWork(on));
                    if on {
                        if let Some((height, view, parent, ts, set_hash)) =
                            self.nodes[node].held.take()
                        {
                            self.answer_proposal(node, height, view, parent, ts, set_hash);
                        }
                    }
                }
            }
            Ev::EndFaults => self.end_faults(),
        }
    }

    /// The replica of `node`, if it is up.
    fn replica(&self, node: usize) -> Option<&R> {
        self.nodes[node].driver.as_ref().map(|d| d.replica())
    }

    fn step_node(&mut self, i: usize, input: Input) {
        let instances = self.nodes.len();
        let Some(d) = self.nodes[i].driver.as_mut() else {
            return;
        };
        let actions = d.step(input);
        let r = d.replica();
        // I6: bounds (B1–B3), in messages and bytes.
        let l = &self.cfg.limits;
        let b = r.buffer();
        let within = b.max_per_sender() <= l.max_buffered_per_sender
            && b.max_bytes_per_sender() <= l.max_buffered_bytes_per_sender
            && b.len() <= l.max_buffered_total
            && b.bytes() <= l.max_buffered_bytes_total
            && b.senders() <= instances
            && r.synced_waiting() <= l.max_synced_ahead
            && r.synced_bytes() <= l.max_synced_bytes
            && r.blocks_kept() <= l.max_blocks_per_height
            && r.block_bytes_kept() <= l.max_block_bytes_per_height
            // VC9: one quorum of view changes kept of a view moved past, one relay per sender.
            && r.passed_kept().0 <= quorum_of(self.opts.n)
            && r.passed_kept().1 <= quorum_of(self.opts.n) * max_view_change_bytes(self.opts.n)
            && r.relayed_kept() <= self.opts.n;
        if !within {
            let now = self.now;
            let detail = format!(
                "node {i}: buffer {}/sender ({} bytes), {} in total ({} bytes), {} senders, {} synced ({} bytes), {} blocks ({} bytes), passed view changes {:?}, relayed {}",
                b.max_per_sender(),
                b.max_bytes_per_sender(),
                b.len(),
                b.bytes(),
                b.senders(),
                r.synced_waiting(),
                r.synced_bytes(),
                r.blocks_kept(),
                r.block_bytes_kept(),
                r.passed_kept(),
                r.relayed_kept()
            );
            self.checker.fail("I6 bounds", now, detail);
        }
        let cut = self.nodes[i].crash_cut;
        // The node's dispatch code, on the simulated host; a crash cut halts it mid-step.
        let mut host = SimHost {
            c: self,
            i,
            left: cut,
        };
        let _ = driver::perform(actions, &mut host);
        if cut.is_some() {
            let down = self.nodes[i]
                .down_until
                .unwrap_or(self.now + 500)
                .saturating_sub(self.now);
            self.crash(i, down.max(1));
        }
    }

    fn send_to(&mut self, from: usize, to: usize, msg: Message) {
        if to == from {
            return;
        }
        if self.opts.fixture == Fixture::PaddedViewChange
            && borsh::object_length(&msg).unwrap_or(usize::MAX) > MAX_MESSAGE_BYTES
        {
            // M4: the receiver's `decode_message` refuses it.
            self.report.oversized += 1;
            if self.nodes[from].behavior == Behavior::Honest {
                self.checker.fail(
                    "I11 message size",
                    self.now,
                    format!("node {from} (honest) sent a message above MAX_MESSAGE_BYTES"),
                );
            }
            return;
        }
        let mut extra = 0;
        if let Some(f) = &self.filter {
            match f(self.now, from, to, &msg) {
                FilterVerdict::Pass => {}
                FilterVerdict::Drop => {
                    self.report.dropped += 1;
                    return;
                }
                FilterVerdict::Delay(d) => extra = d,
            }
        }
        if self.faults_on {
            if !self.connected(from, to) || self.rng.chance(self.plan.loss_pm) {
                self.report.dropped += 1;
                return;
            }
            if self.plan.dup_pm > 0 && self.rng.chance(self.plan.dup_pm) {
                let d = self.delay();
                self.schedule(
                    self.now + d + extra,
                    Ev::Deliver {
                        to,
                        from,
                        msg: msg.clone(),
                    },
                );
            }
        }
        let d = self.delay();
        self.schedule(self.now + d + extra, Ev::Deliver { to, from, msg });
    }

    /// Send `msg` to every instance of the keys `to` (twins share a key), never to `from`.
    fn broadcast_to(&mut self, from: usize, to: &[PublicKey], msg: &Message) {
        for key in to {
            let targets = self.key_nodes.get(key).cloned().unwrap_or_default();
            for t in targets {
                if t != from {
                    self.send_to(from, t, msg.clone());
                }
            }
        }
    }

    fn broadcast_from(&mut self, from: usize, msg: &Message) {
        for to in 0..self.nodes.len() {
            if to != from {
                self.send_to(from, to, msg.clone());
            }
        }
    }

    /// The validator set in force at `height` (from honest commits).
    fn set_for(&self, height: u64) -> ValidatorSet {
        match self.sets.range(..=height).next_back() {
            Some((_, s)) => s.clone(),
            None => self.set.clone(),
        }
    }
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

// ---------------------------------------------------------------------- Byzantine fixtures

impl Cluster {
    fn signer_of(&self, node: usize) -> SimSigner {
        SimSigner::new(self.nodes[node].key)
    }

    /// A second, equally valid block for the same slot (registered with the simulated executor).
    fn alt_block(&mut self, node: usize, orig: &Block) -> Block {
        self.blocks_made += 1;
        let mut header = orig.header.clone();
        header.state_root = sim_state_root(
            &header.parent,
            header.height,
            self.nodes[node].key as u64,
            self.blocks_made,
            1,
        );
        let block = Block {
            header,
            txs: Vec::new(),
        };
        self.made.insert(block.hash());
        block
    }

    /// Send what node `i`'s replica broadcasts, as its behaviour alters it (`byzantine/`).
    fn byzantine_broadcast(&mut self, i: usize, to: &[PublicKey], msg: Message) {
        match self.nodes[i].behavior {
            Behavior::Honest | Behavior::Twin => self.broadcast_to(i, to, &msg),
            Behavior::Spammer | Behavior::DecidedForger | Behavior::SyncForger => {
                self.broadcast_from(i, &msg)
            }
            Behavior::ViewChangeForger => match &msg {
                Message::ViewChange(vcm) => self.forge_view_change(i, vcm),
                Message::NewView(nv) => self.forge_new_view_certificate(i, nv),
                _ => self.broadcast_from(i, &msg),
            },
            Behavior::Padder => self.pad_view_change(i, msg),
            Behavior::ViewChangeWithholder => self.withhold_broadcast(i, msg),
            Behavior::Silent => self.silent_broadcast(i, msg),
            Behavior::Equivocator => self.equivocate(i, msg),
            Behavior::ForgedNewView => self.forge_own_new_view(i, msg),
        }
    }
}
