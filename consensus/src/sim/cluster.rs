//! The simulated cluster: its nodes, the event queue on the virtual clock, delivery with the
//! fault plan's delays, losses, partitions and crashes, the Byzantine fixtures' hooks, and the
//! checks after every event.

use super::*;

/// A simulated cluster.
pub struct Cluster {
    pub(super) opts: SimOptions,
    pub(super) cfg: Config,
    pub(super) set: ValidatorSet,
    pub(super) verifier: SimVerifier,
    pub(super) rng: SimRng,
    pub(super) now: u64,
    pub(super) seq: u64,
    pub(super) events: BTreeMap<(u64, u64), Ev>,
    pub(super) nodes: Vec<Node>,
    pub(super) key_nodes: BTreeMap<PublicKey, Vec<usize>>,
    pub(super) plan: FaultPlan,
    pub(super) faults_on: bool,
    pub(super) groups: Option<Vec<u8>>,
    pub(super) history: Vec<(usize, Message)>,
    pub(super) blocks_made: u64,
    pub(super) made: BTreeSet<Hash>,
    /// Invariant checker.
    pub checker: Checker,
    pub(super) report: SimReport,
    pub(super) filter: Option<DeliveryFilter>,
    /// Validator sets by first height in force, as decided by honest commits.
    pub(super) sets: BTreeMap<u64, ValidatorSet>,
    pub(super) liveness_start: Option<(u64, Vec<u64>)>,
    /// What the Byzantine validators saw delivered to them.
    pub(super) seen: byzantine::Seen,
    /// Whether the mempools hold work now.
    pub(super) work_on: bool,
    /// Start of the current idle window and the highest height committed then.
    pub(super) idle_since: Option<(u64, u64)>,
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

    pub(super) fn schedule(&mut self, at: u64, ev: Ev) {
        self.seq += 1;
        self.events.insert((at, self.seq), ev);
    }

    pub(super) fn key_of(&self, node: usize) -> PublicKey {
        crypto::key_pool()[self.nodes[node].key].0
    }

    pub(super) fn new_replica(&self, node: usize) -> R {
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
    pub(super) fn start_all(&mut self) {
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

    pub(super) fn begin_idle(&mut self) {
        self.work_on = false;
    }

    /// I10 starts counting once every driver knows the mempools are empty.
    pub(super) fn note_all_idle(&mut self) {
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

    pub(super) fn set_work(&mut self, on: bool) {
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

    pub(super) fn node_work(&mut self, i: usize) {
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

    pub(super) fn honest_nodes(&self) -> Vec<usize> {
        (0..self.nodes.len())
            .filter(|i| self.nodes[*i].behavior == Behavior::Honest)
            .collect()
    }

    pub(super) fn liveness_done(&self) -> bool {
        let Some((_, base)) = &self.liveness_start else {
            return false;
        };
        self.honest_nodes()
            .into_iter()
            .all(|i| self.nodes[i].chain.len() as u64 >= base[i] + self.opts.liveness_blocks)
    }

    pub(super) fn handle(&mut self, ev: Ev) {
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
    pub(super) fn replica(&self, node: usize) -> Option<&R> {
        self.nodes[node].driver.as_ref().map(|d| d.replica())
    }

    pub(super) fn step_node(&mut self, i: usize, input: Input) {
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

    pub(super) fn send_to(&mut self, from: usize, to: usize, msg: Message) {
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
    pub(super) fn broadcast_to(&mut self, from: usize, to: &[PublicKey], msg: &Message) {
        for key in to {
            let targets = self.key_nodes.get(key).cloned().unwrap_or_default();
            for t in targets {
                if t != from {
                    self.send_to(from, t, msg.clone());
                }
            }
        }
    }

    pub(super) fn broadcast_from(&mut self, from: usize, msg: &Message) {
        for to in 0..self.nodes.len() {
            if to != from {
                self.send_to(from, to, msg.clone());
            }
        }
    }

    /// The validator set in force at `height` (from honest commits).
    pub(super) fn set_for(&self, height: u64) -> ValidatorSet {
        match self.sets.range(..=height).next_back() {
            Some((_, s)) => s.clone(),
            None => self.set.clone(),
        }
    }
}

// ---------------------------------------------------------------------- Byzantine fixtures

impl Cluster {
    pub(super) fn signer_of(&self, node: usize) -> SimSigner {
        SimSigner::new(self.nodes[node].key)
    }

    /// A second, equally valid block for the same slot (registered with the simulated executor).
    pub(super) fn alt_block(&mut self, node: usize, orig: &Block) -> Block {
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
    pub(super) fn byzantine_broadcast(&mut self, i: usize, to: &[PublicKey], msg: Message) {
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
