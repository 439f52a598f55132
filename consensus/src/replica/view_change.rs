//! View change: timers (VC1, VC5, VC8), view changes and their checks (VC1, VC6), relays (VC9), new-views (VC2–VC4, VC7).

use super::*;

impl<S: ConsensusSigner, V: SignatureVerifier> Replica<S, V> {
    pub(super) fn on_timer(&mut self, t: TimerId, out: &mut Vec<Action>) {
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
    pub(super) fn start_view_change(&mut self, target: u64, out: &mut Vec<Action>) {
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
    pub(super) fn arm_view_change_timer(&mut self, out: &mut Vec<Action>) {
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
    pub(super) fn resend_view_change(&mut self, out: &mut Vec<Action>) {
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

    /// VC1/M5: the structure of a prepare certificate (quorum, strictly ascending distinct
    /// members other than the view's primary) is checked first; its signatures (pre-prepare of
    /// the view's primary, prepares) are only collected, for one batch.
    pub(super) fn check_prepare_cert(
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
    pub(super) fn check_committed_field(
        &self,
        c: Option<&CommitCertificate>,
    ) -> Result<(), ConsensusError> {
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
    pub(super) fn validate_view_change(&self, vc: &ViewChange) -> Result<(), ConsensusError> {
        let mut checks = Vec::new();
        self.check_view_change(vc, &mut checks)?;
        self.verify_checks(&checks)
    }

    /// VC1/VC6: the cheap checks of a view change; its signatures are collected into `checks`.
    pub(super) fn check_view_change(
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
    pub(super) fn required(vcs: &[ViewChange]) -> Option<&PrepareCert> {
        vcs.iter()
            .filter_map(|vc| vc.body.prepared.as_ref())
            .max_by(|a, b| (a.view, a.block_hash).cmp(&(b.view, b.block_hash)))
    }

    /// VC1/VC6/VC9: a view change from its author (`from` = voter) or relayed by another
    /// validator; either way it is checked in full and counted for its author (the voter).
    pub(super) fn on_view_change(
        &mut self,
        from: PublicKey,
        msg: ViewChangeMsg,
        out: &mut Vec<Action>,
    ) {
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
    pub(super) fn keep_passed(&mut self, v: u64, vcs: Vec<ViewChange>) {
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
    pub(super) fn relay_view_changes(&mut self, to: PublicKey, w: u64, out: &mut Vec<Action>) {
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
    pub(super) fn try_new_view(&mut self, out: &mut Vec<Action>) {
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

    pub(super) fn enter_view(
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
    pub(super) fn check_new_view(
        &self,
        from: PublicKey,
        nv: &NewView,
    ) -> Result<Hash, ConsensusError> {
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

    pub(super) fn on_new_view(&mut self, from: PublicKey, nv: NewView, out: &mut Vec<Action>) {
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
