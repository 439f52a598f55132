//! Faults: the per-seed fault plan, crashes mid-step and restarts from the simulated disk, network delays and partitions.

use super::*;

pub(super) fn draw_plan(
    rng: &mut SimRng,
    nodes: usize,
    crashable: &[usize],
    f: usize,
    safety_ms: u64,
) -> FaultPlan {
    let mut plan = FaultPlan::none(nodes);
    plan.loss_pm = rng.below(301);
    plan.dup_pm = if rng.chance(500) { rng.below(101) } else { 0 };
    plan.max_delay_ms = 1 + rng.below(100);
    plan.long_delay_pm = if rng.chance(300) { rng.below(51) } else { 0 };
    for s in plan.skew_pm.iter_mut() {
        *s = 750 + rng.below(751);
    }
    let parts = rng.below(4);
    for _ in 0..parts {
        let start = rng.below(safety_ms);
        let dur = 200 + rng.below(3_000);
        let groups = (0..nodes).map(|_| rng.below(2) as u8).collect();
        plan.partitions.push((start, dur, groups));
    }
    if f > 0 && !crashable.is_empty() {
        let crashes = rng.below(f as u64 + 1) as usize;
        let mut pool = crashable.to_vec();
        for _ in 0..crashes.min(pool.len()) {
            let i = rng.below(pool.len() as u64) as usize;
            let node = pool.remove(i);
            let at = rng.below(safety_ms);
            let down = 100 + rng.below(4_000);
            plan.crashes.push((node, at, down, rng.chance(500)));
        }
    }
    plan
}

impl Cluster {
    /// Crash `node` at `at_ms` for `down_ms` (scripted scenarios; `u64::MAX` = never back).
    pub fn schedule_crash(&mut self, node: usize, at_ms: u64, down_ms: u64) {
        self.schedule(
            at_ms,
            Ev::Crash {
                node,
                mid_step: false,
                down_ms,
            },
        );
    }

    pub(super) fn connected(&self, a: usize, b: usize) -> bool {
        match &self.groups {
            Some(g) => g.get(a) == g.get(b),
            None => true,
        }
    }

    pub(super) fn end_faults(&mut self) {
        self.faults_on = false;
        self.groups = None;
        // L1 is measured with work present.
        self.set_work(true);
        for i in 0..self.nodes.len() {
            self.nodes[i].crash_cut = None;
            if self.nodes[i].driver.is_none() {
                self.restart(i);
            }
        }
        let base = self.nodes.iter().map(|n| n.chain.len() as u64).collect();
        self.liveness_start = Some((self.now, base));
    }

    pub(super) fn crash(&mut self, node: usize, down_ms: u64) {
        let nd = &mut self.nodes[node];
        nd.driver = None;
        nd.incarnation += 1;
        nd.timers.clear();
        nd.crash_cut = None;
        nd.down_until = None;
        nd.held = None;
        self.report.crashes += 1;
        if down_ms != u64::MAX {
            let at = self.now.saturating_add(down_ms);
            self.schedule(at, Ev::Restart { node });
        }
    }

    pub(super) fn restart(&mut self, node: usize) {
        if self.nodes[node].driver.is_some() {
            return;
        }
        let r = self.new_replica(node);
        self.nodes[node].driver = Some(Driver::new(r));
        let input = match self.restored(node) {
            Some(st) => Input::Restore(st),
            None => Input::Start,
        };
        self.step_node(node, input);
        self.nodes[node].work = self.work_on;
        let work = self.work_on;
        self.step_node(node, Input::PendingWork(work));
    }

    /// What `node`'s driver would reassemble from its disk after a crash (`None`: nothing was
    /// ever made durable, start fresh).
    pub(super) fn restored(&self, node: usize) -> Option<PersistedState> {
        let nd = &self.nodes[node];
        let record = nd.disk.record.clone()?;
        let last = match nd.chain.last() {
            Some((b, c)) => LastCommitted {
                height: b.header.height,
                hash: b.hash(),
                timestamp_ms: b.header.timestamp_ms,
                cert: Some(c.clone()),
            },
            None => LastCommitted {
                height: 0,
                hash: self.cfg.genesis_hash,
                timestamp_ms: self.cfg.genesis_timestamp_ms,
                cert: None,
            },
        };
        let sets = nd
            .disk
            .sets
            .clone()
            .unwrap_or_else(|| vec![(1, self.cfg.genesis_set.clone())]);
        let named = record
            .signed
            .proposal
            .map(|p| p.block_hash)
            .into_iter()
            .chain(record.prepared.as_ref().map(|c| c.block_hash));
        let blocks = named
            .filter_map(|h| nd.disk.blocks.get(&h).cloned())
            .collect();
        Some(PersistedState {
            last,
            sets,
            record,
            blocks,
        })
    }

    pub(super) fn delay(&mut self) -> u64 {
        if self.faults_on && self.plan.long_delay_pm > 0 && self.rng.chance(self.plan.long_delay_pm)
        {
            return 1 + self.rng.below(3 * SIM_VIEW_TIMEOUT_MS);
        }
        let max = if self.faults_on {
            self.plan.max_delay_ms
        } else {
            self.plan.max_delay_ms.min(20)
        };
        1 + self.rng.below(max.max(1))
    }
}
