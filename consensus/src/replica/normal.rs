//! The normal case: proposals (P1–P2), prepares and commits (P3–P5), commit of a height and the idle rule (ID1–ID2).

use super::*;

impl<S: ConsensusSigner, V: SignatureVerifier> Replica<S, V> {
    /// Reset per-height state and begin view 0 of `self.height` (P1).
    pub(super) fn enter_height(&mut self, out: &mut Vec<Action>) {
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
    pub(super) fn active(&self) -> bool {
        self.pending_work
            || self.view > 0
            || self.in_view_change
            || self.current.is_some()
            || self.prepared.is_some()
            || self.signed != SignedRecord::default()
    }

    /// Set the view timer of (h, v) unconditionally (a view change or a new view).
    pub(super) fn set_view_timer(&mut self, view: u64, out: &mut Vec<Action>) {
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
    pub(super) fn arm_view_timer(&mut self, out: &mut Vec<Action>) {
        if self.view_timer == Some((self.height, self.view)) || !self.active() {
            return;
        }
        self.set_view_timer(self.view, out);
    }

    /// ID1/ID2: the driver's mempool became non-empty (or empty).
    pub(super) fn on_pending_work(&mut self, work: bool, out: &mut Vec<Action>) {
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

    pub(super) fn propose_view_zero(&mut self, out: &mut Vec<Action>) {
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

    pub(super) fn request_proposal(&mut self, view: u64, out: &mut Vec<Action>) {
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
    pub(super) fn replay_buffer(&mut self, out: &mut Vec<Action>) {
        let msgs = self.buffer.take(self.height, u64::MAX);
        for (from, m) in msgs {
            self.on_message(from, m, out);
        }
    }

    /// P2: structural checks of a proposal (cheap; execution is the driver's).
    pub(super) fn check_structure(
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

    pub(super) fn on_preprepare(&mut self, from: PublicKey, pp: PrePrepare, out: &mut Vec<Action>) {
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
    pub(super) fn accept_proposal(
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

    pub(super) fn record_verdict(&mut self, hash: Hash, verdict: Option<Option<ValidatorSet>>) {
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

    pub(super) fn on_verdict(
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

    pub(super) fn on_proposal_ready(
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

    /// The proposal this replica may vote on now: the current one, of its view, validated by
    /// the driver, while the replica is a member and not changing view (P3, P4).
    fn voting_on(&self) -> Option<Current> {
        if self.in_view_change || !self.is_member() {
            return None;
        }
        let cur = self.current.clone()?;
        if cur.view != self.view || !matches!(self.verdicts.get(&cur.hash), Some(Some(_))) {
            return None;
        }
        Some(cur)
    }

    /// P3: a backup signs prepare for the validated proposal of its view.
    pub(super) fn maybe_prepare(&mut self, out: &mut Vec<Action>) {
        let Some(cur) = self.voting_on() else {
            return;
        };
        if self.primary(self.view) != self.me {
            // S1: never a second prepare digest for one (height, view).
            if !may_sign(self.signed.prepare, self.view, cur.hash) {
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
    pub(super) fn check_prepared(&mut self, out: &mut Vec<Action>) {
        let Some(cur) = self.voting_on() else {
            return;
        };
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
        if !may_sign(self.signed.commit, self.view, cur.hash) {
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

    pub(super) fn on_prepare(&mut self, from: PublicKey, v: Vote, out: &mut Vec<Action>) {
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

    pub(super) fn on_commit(&mut self, from: PublicKey, v: Vote, out: &mut Vec<Action>) {
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
    pub(super) fn try_commit(&mut self, view: u64, hash: Hash, out: &mut Vec<Action>) {
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
    pub(super) fn commit(
        &mut self,
        block: Block,
        hash: Hash,
        cert: CommitCertificate,
        out: &mut Vec<Action>,
    ) {
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
}
