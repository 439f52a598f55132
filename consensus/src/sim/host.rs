//! The simulator as a host of the consensus driver: each node's disk, network, clock and executor.

use super::*;
use tracechain_types::ChainRecord;

/// The simulator's host of one node's driver: its disk, the virtual network and clock, and the
/// simulated executor. `left` is the number of actions the node performs before a scheduled
/// crash cuts the step (`None`: no crash).
pub(super) struct SimHost<'a> {
    pub(super) c: &'a mut Cluster,
    pub(super) i: usize,
    pub(super) left: Option<u64>,
}

impl SimHost<'_> {
    fn tick(&mut self) -> Result<(), Halt> {
        match &mut self.left {
            Some(0) => Err(Halt("simulated crash".into())),
            Some(n) => {
                *n -= 1;
                Ok(())
            }
            None => Ok(()),
        }
    }
}

impl VoteStore for SimHost<'_> {
    fn store_block(&mut self, hash: Hash, block: Block) -> Result<(), Halt> {
        self.tick()?;
        self.c.nodes[self.i].disk.blocks.insert(hash, block);
        Ok(())
    }

    fn persist(&mut self, record: VoteRecord) -> Result<(), Halt> {
        self.tick()?;
        self.c.nodes[self.i].disk.record = Some(record);
        Ok(())
    }

    fn commit(
        &mut self,
        block: Block,
        cert: CommitCertificate,
        sets: Vec<(u64, ValidatorSet)>,
        record: VoteRecord,
    ) -> Result<(), Halt> {
        self.tick()?;
        self.c.disk_commit(self.i, block, cert, sets, record);
        Ok(())
    }
}

impl Transport for SimHost<'_> {
    fn send(&mut self, to: PublicKey, message: Message) -> Result<(), Halt> {
        self.tick()?;
        self.c.net_send(self.i, to, message);
        Ok(())
    }

    fn broadcast(&mut self, to: Vec<PublicKey>, message: Message) -> Result<(), Halt> {
        self.tick()?;
        self.c.net_broadcast(self.i, to, message);
        Ok(())
    }
}

impl Timers for SimHost<'_> {
    fn set_timer(&mut self, timer: TimerId, after_ms: u64) -> Result<(), Halt> {
        self.tick()?;
        self.c.clock_set(self.i, timer, after_ms);
        Ok(())
    }

    fn cancel_timer(&mut self, timer: TimerId) -> Result<(), Halt> {
        self.tick()?;
        self.c.nodes[self.i].timers.remove(&timer);
        Ok(())
    }
}

impl Application for SimHost<'_> {
    fn request_proposal(&mut self, request: ProposalRequest) -> Result<(), Halt> {
        self.tick()?;
        self.c.app_request_proposal(self.i, request);
        Ok(())
    }

    fn validate_proposal(&mut self, height: u64, _view: u64, block: Block) -> Result<(), Halt> {
        self.tick()?;
        self.c.app_validate(self.i, height, block);
        Ok(())
    }

    fn request_sync(&mut self, from_height: u64, to_height: u64) -> Result<(), Halt> {
        self.tick()?;
        self.c.serve_sync(self.i, from_height, to_height);
        Ok(())
    }

    fn evidence(&mut self, evidence: Evidence) -> Result<(), Halt> {
        self.tick()?;
        self.c.app_evidence(self.i, evidence);
        Ok(())
    }

    fn rejected(&mut self, _from: PublicKey, _error: ConsensusError) -> Result<(), Halt> {
        self.tick()?;
        self.c.report.rejected += 1;
        Ok(())
    }
}

impl Cluster {
    /// `VoteStore::commit` of node `i`.
    pub(super) fn disk_commit(
        &mut self,
        i: usize,
        block: Block,
        cert: CommitCertificate,
        sets: Vec<(u64, ValidatorSet)>,
        record: VoteRecord,
    ) {
        self.on_commit(i, &block, &cert);
        let h = block.header.height;
        let nd = &mut self.nodes[i];
        nd.chain.push((block, cert));
        nd.disk.sets = Some(sets);
        nd.disk.record = Some(record);
        // Blocks stored for decided heights are never named again.
        nd.disk.blocks.retain(|_, b| b.header.height > h);
    }

    /// `Transport::send` of node `i`.
    pub(super) fn net_send(&mut self, i: usize, to: PublicKey, message: Message) {
        let now = self.now;
        let sender = self.key_of(i);
        self.checker.on_send(now, sender, &message);
        if self.nodes[i].behavior == Behavior::Honest {
            self.check_honest_message(i, &message);
        }
        self.codec_roundtrip(&message);
        let targets = self.key_nodes.get(&to).cloned().unwrap_or_default();
        for t in targets {
            if self.nodes[i].behavior == Behavior::ViewChangeWithholder
                && !self.withheld_allows(i, t, &message)
            {
                continue;
            }
            self.send_to(i, t, message.clone());
        }
    }

    /// `Transport::broadcast` of node `i`.
    pub(super) fn net_broadcast(&mut self, i: usize, to: Vec<PublicKey>, message: Message) {
        let now = self.now;
        let honest = self.nodes[i].behavior == Behavior::Honest;
        let sender = self.key_of(i);
        if honest {
            if matches!(message, Message::ViewChange(_)) {
                self.report.view_changes += 1;
            }
            self.checker.on_send(now, sender, &message);
            self.check_honest_message(i, &message);
            // I8 (S2): what is sent is already covered by the durable state.
            if !covered(&self.nodes[i].disk, &message) {
                self.checker.fail(
                    "I8 persist before send",
                    now,
                    format!("node {i} sent a signature not yet persisted"),
                );
            }
            // M6: never to itself, and to every validator of set(h) ∪ set(h + 1).
            let h = message.height();
            let mut want: BTreeSet<PublicKey> = BTreeSet::new();
            for s in [self.set_for(h), self.set_for(h + 1)] {
                want.extend(s.validators().iter().map(|v| v.public_key));
            }
            want.remove(&sender);
            let got: BTreeSet<PublicKey> = to.iter().copied().collect();
            if got != want || got.len() != to.len() {
                self.checker.fail(
                    "I14 broadcast recipients",
                    now,
                    format!(
                        "node {i} broadcast {} of height {h} to {} validators, set(h) ∪ set(h+1) has {}",
                        msg_kind(&message),
                        got.len(),
                        want.len()
                    ),
                );
            }
        }
        self.codec_roundtrip(&message);
        if let Message::NewView(nv) = &message {
            if honest {
                self.report.new_views += 1;
                if nv.proposal.block.header.view < nv.view {
                    self.report.reproposals += 1;
                }
            }
        }
        self.byzantine_broadcast(i, &to, message);
    }

    /// `Timers::set_timer` of node `i`.
    pub(super) fn clock_set(&mut self, i: usize, timer: TimerId, after_ms: u64) {
        let now = self.now;
        let nd = &mut self.nodes[i];
        nd.token += 1;
        let token = nd.token;
        nd.timers.insert(timer, token);
        let inc = nd.incarnation;
        let after = after_ms.saturating_mul(nd.skew_pm) / 1000;
        self.schedule(
            now + after.max(1),
            Ev::Timer {
                node: i,
                inc,
                timer,
                token,
            },
        );
    }

    /// `Application::request_proposal` of node `i`.
    pub(super) fn app_request_proposal(&mut self, i: usize, r: ProposalRequest) {
        if r.view == 0 && !self.nodes[i].work {
            // I9 (ID2): a view-0 proposal is asked for only with pending work.
            if self.nodes[i].behavior == Behavior::Honest {
                self.checker.fail(
                    "I9 proposal without work",
                    self.now,
                    format!(
                        "node {i} asked for a view-0 block of height {} with an empty mempool",
                        r.height
                    ),
                );
            }
            self.nodes[i].held = Some((
                r.height,
                r.view,
                r.parent,
                r.parent_timestamp_ms,
                r.validator_set_hash,
            ));
            return;
        }
        self.answer_proposal(
            i,
            r.height,
            r.view,
            r.parent,
            r.parent_timestamp_ms,
            r.validator_set_hash,
        );
    }

    /// `Application::validate_proposal` of node `i`.
    pub(super) fn app_validate(&mut self, i: usize, height: u64, block: Block) {
        let hash = block.hash();
        let tip = self.nodes[i]
            .chain
            .last()
            .map(|(b, _)| b.hash())
            .unwrap_or(self.cfg.genesis_hash);
        let ok = self.is_sim_block(&block) && block.header.parent == tip;
        if ok && self.nodes[i].behavior == Behavior::Honest {
            self.checker.valid.insert(hash);
        }
        let inc = self.nodes[i].incarnation;
        let d = 1 + self.rng.below(30);
        let input = if ok {
            Input::ProposalValidated {
                height,
                block_hash: hash,
                set_change: sim_set_change(&block),
            }
        } else {
            Input::ProposalRefused {
                height,
                block_hash: hash,
            }
        };
        self.schedule(
            self.now + d,
            Ev::Input {
                node: i,
                inc,
                input,
            },
        );
    }

    /// `Application::evidence` of node `i`.
    pub(super) fn app_evidence(&mut self, i: usize, e: Evidence) {
        self.report.evidence += 1;
        if self.checker.honest_keys.contains(&e.first.voter) {
            self.checker.fail(
                "I7 false evidence",
                self.now,
                format!("node {i} accused honest {}", e.first.voter.short()),
            );
        }
    }

    /// The simulated driver builds the block asked for (ID2: for a view above 0 at once, even
    /// with an empty mempool).
    pub(super) fn answer_proposal(
        &mut self,
        i: usize,
        height: u64,
        view: u64,
        parent: Hash,
        parent_timestamp_ms: u64,
        validator_set_hash: Hash,
    ) {
        let block = self.make_block(
            i,
            height,
            view,
            parent,
            parent_timestamp_ms,
            validator_set_hash,
            0,
        );
        let block = self.with_set_change(i, block);
        let set_change = sim_set_change(&block);
        if self.nodes[i].behavior == Behavior::Honest {
            self.checker.valid.insert(block.hash());
        }
        let inc = self.nodes[i].incarnation;
        let d = 1 + self.rng.below(20);
        self.schedule(
            self.now + d,
            Ev::Input {
                node: i,
                inc,
                input: Input::ProposalReady {
                    height,
                    view,
                    block,
                    set_change,
                },
            },
        );
    }

    pub(super) fn codec_roundtrip(&mut self, msg: &Message) {
        if self.rng.chance(16) {
            let bytes = encode(msg);
            match decode_message(&bytes) {
                Ok(m) if m == *msg => {}
                _ => self
                    .checker
                    .fail("codec", self.now, "message did not round-trip".into()),
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn make_block(
        &mut self,
        i: usize,
        height: u64,
        view: u64,
        parent: Hash,
        parent_ts: u64,
        set_hash: Hash,
        variant: u64,
    ) -> Block {
        self.blocks_made += 1;
        let header = BlockHeader {
            chain_id: self.cfg.chain_id.clone(),
            height,
            view,
            parent,
            timestamp_ms: parent_ts.max(SIM_GENESIS_MS + self.now) + 1,
            tx_root: Block::compute_tx_root(&[]),
            state_root: sim_state_root(
                &parent,
                height,
                self.nodes[i].key as u64,
                self.blocks_made,
                variant,
            ),
            proposer: self.key_of(i),
            validator_set_hash: set_hash,
        };
        let block = Block {
            header,
            txs: Vec::new(),
        };
        self.made.insert(block.hash());
        block
    }

    /// The simulated executor: a block executes when some driver (honest or a fixture) built
    /// it from the simulated mempool; anything else (e.g. a forged state root) is refused.
    pub(super) fn is_sim_block(&self, block: &Block) -> bool {
        self.made.contains(&block.hash())
    }

    /// Attach the configured validator-set change to a block built at its height.
    pub(super) fn with_set_change(&mut self, i: usize, mut block: Block) -> Block {
        let h = block.header.height;
        let Some((_, keys)) = self
            .opts
            .set_changes
            .iter()
            .find(|(ch, _)| *ch == h)
            .cloned()
        else {
            return block;
        };
        let new_set = set_of(&keys);
        let key = crypto::pool_secret_key(self.nodes[i].key);
        let body = TxBody {
            signer: key.public(),
            sequence: h,
            expiry_height: h + 10,
            payload: Payload::Chain(ChainRecord::ValidatorSetChange(ValidatorSetChange {
                new_set,
                approvals: Vec::new(),
            })),
        };
        block.txs = vec![body.sign(&self.cfg.chain_id, &key)];
        block.header.tx_root = Block::compute_tx_root(&block.txs);
        self.made.insert(block.hash());
        block
    }

    pub(super) fn serve_sync(&mut self, i: usize, from: u64, to: u64) {
        let peers: Vec<usize> = (0..self.nodes.len())
            .filter(|p| {
                *p != i
                    && (!self.faults_on || self.connected(i, *p))
                    && self.nodes[*p].chain.len() as u64 >= from
            })
            .collect();
        if peers.is_empty() {
            return;
        }
        if let Some(b) = (0..self.nodes.len()).find(|b| {
            *b != i
                && self.nodes[*b].behavior == Behavior::SyncForger
                && (!self.faults_on || self.connected(i, *b))
        }) {
            if self.rng.chance(500) {
                self.byzantine_sync(b, i, from, to);
                return;
            }
        }
        let p = peers[self.rng.below(peers.len() as u64) as usize];
        let top = (self.nodes[p].chain.len() as u64)
            .min(from + 15)
            .max(to.min(self.nodes[p].chain.len() as u64));
        let top = top.min(from + 15);
        let inc = self.nodes[i].incarnation;
        for h in from..=top {
            let Some((b, c)) = self.nodes[p].chain.get(h as usize - 1).cloned() else {
                continue;
            };
            // Out of order on purpose: each block travels with its own delay.
            let d = 1 + self.rng.below(60);
            if self.faults_on && self.rng.chance(self.plan.loss_pm) {
                continue;
            }
            self.report.synced += 1;
            self.schedule(
                self.now + d,
                Ev::Input {
                    node: i,
                    inc,
                    input: Input::BlockSynced { block: b, cert: c },
                },
            );
        }
    }
}
