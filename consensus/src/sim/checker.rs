//! The checker: invariants I1–I14 checked after every event (docs/spec/pbft.md, "Simulation invariants").

use super::*;

/// Invariant checker state (shared by all nodes of a run).
#[derive(Debug, Default)]
pub struct Checker {
    pub(super) honest_keys: BTreeSet<PublicKey>,
    pub(super) committed: BTreeMap<u64, Hash>,
    pub(super) valid: BTreeSet<Hash>,
    pub(super) signed: BTreeMap<(PublicKey, u64, u64, u8), Hash>,
    /// New-views the checker verified itself: (height, view, proposal hash) (I13).
    pub(super) valid_new_views: BTreeSet<(u64, u64, Hash)>,
    pub(super) check_certs: bool,
    pub(super) violation: Option<Violation>,
}

impl Checker {
    pub(super) fn fail(&mut self, kind: &'static str, at_ms: u64, detail: String) {
        if self.violation.is_none() {
            self.violation = Some(Violation {
                kind,
                at_ms,
                detail,
            });
        }
    }

    pub(super) fn record_sig(
        &mut self,
        now: u64,
        key: PublicKey,
        h: u64,
        v: u64,
        phase: u8,
        digest: Hash,
    ) {
        if !self.honest_keys.contains(&key) {
            return;
        }
        match self.signed.get(&(key, h, v, phase)) {
            Some(d) if *d != digest => self.fail(
                "I4 honest equivocation",
                now,
                format!(
                    "{} signed two digests at height {h} view {v} phase {phase}",
                    key.short()
                ),
            ),
            Some(_) => {}
            None => {
                self.signed.insert((key, h, v, phase), digest);
            }
        }
    }

    /// I4: record every signature an honest validator sends.
    pub(super) fn on_send(&mut self, now: u64, sender: PublicKey, msg: &Message) {
        match msg {
            Message::PrePrepare(pp) => {
                let b = &pp.proposal.block;
                self.record_sig(now, sender, b.header.height, pp.proposal.view, 0, b.hash())
            }
            Message::Prepare(v) => self.record_sig(now, v.voter, v.height, v.view, 1, v.block_hash),
            Message::Commit(v) => self.record_sig(now, v.voter, v.height, v.view, 2, v.block_hash),
            Message::ViewChange(vc) => {
                let b = &vc.view_change.body;
                self.record_sig(
                    now,
                    b.voter,
                    b.height,
                    b.new_view,
                    3,
                    Hash::digest(&encode(b)),
                )
            }
            Message::NewView(nv) => {
                let h = nv.proposal.block.hash();
                self.record_sig(now, sender, nv.height, nv.view, 0, h);
                self.record_sig(now, sender, nv.height, nv.view, 4, h);
            }
            Message::Decided(_) => {}
        }
    }
}

pub(super) fn msg_kind(msg: &Message) -> &'static str {
    match msg {
        Message::PrePrepare(_) => "a pre-prepare",
        Message::Prepare(_) => "a prepare",
        Message::Commit(_) => "a commit",
        Message::ViewChange(_) => "a view change",
        Message::NewView(_) => "a new-view",
        Message::Decided(_) => "a decided certificate",
    }
}

/// Whether the durable state covers the signature a message carries (S2): the vote record
/// holds it, and a proposal's block is on disk.
pub(super) fn covered(disk: &Disk, msg: &Message) -> bool {
    let Some(st) = disk.record.as_ref() else {
        return false;
    };
    let past = |h: u64| st.height > h;
    let proposal = |p: &crate::messages::Proposal| {
        let hash = p.block.hash();
        st.signed
            .proposal
            .map(|s| (s.view, s.block_hash, s.signature))
            == Some((p.view, hash, p.signature))
            && disk.blocks.contains_key(&hash)
    };
    match msg {
        Message::PrePrepare(pp) => past(pp.proposal.block.header.height) || proposal(&pp.proposal),
        Message::Prepare(v) => past(v.height) || st.signed.prepare == Some((v.view, v.block_hash)),
        Message::Commit(v) => past(v.height) || st.signed.commit == Some((v.view, v.block_hash)),
        Message::ViewChange(vc) => {
            past(vc.view_change.body.height)
                || st.signed.view_change.as_ref() == Some(&vc.view_change)
                    && vc.view_change.body.prepared.as_ref().is_none_or(|c| {
                        st.prepared.as_ref().map(|p| p.view) >= Some(c.view)
                            && disk.blocks.contains_key(&c.block_hash)
                    })
        }
        Message::NewView(nv) => {
            past(nv.height)
                || st.signed.new_view == Some((nv.view, nv.proposal.block.hash()))
                    && proposal(&nv.proposal)
        }
        Message::Decided(_) => true,
    }
}

impl Cluster {
    pub(super) fn on_commit(&mut self, i: usize, block: &Block, cert: &CommitCertificate) {
        let now = self.now;
        let hash = block.hash();
        let h = block.header.height;
        let nd = &self.nodes[i];
        // I5: linkage.
        let tip = nd
            .chain
            .last()
            .map(|(b, _)| b.hash())
            .unwrap_or(self.cfg.genesis_hash);
        if block.header.parent != tip || h != nd.chain.len() as u64 + 1 {
            self.checker.fail(
                "I5 linkage",
                now,
                format!("node {i} committed height {h} not linked to its tip"),
            );
        }
        if nd.behavior != Behavior::Honest {
            return;
        }
        // I1: agreement.
        match self.checker.committed.get(&h) {
            Some(other) if *other != hash => {
                self.checker.fail("I1 agreement", now, format!("node {i} committed {hash:?} at height {h}, another honest replica {other:?}"));
            }
            Some(_) => {}
            None => {
                self.checker.committed.insert(h, hash);
                // I10 (ID1–ID3): an idle cluster does not keep deciding heights.
                if let Some((_, top)) = self.idle_since {
                    let new = h.saturating_sub(top);
                    self.report.idle_new_heights = self.report.idle_new_heights.max(new);
                    if new > IDLE_MAX_NEW_HEIGHTS {
                        self.checker.fail(
                            "I10 idle churn",
                            now,
                            format!("height {h} committed {new} heights into an idle window (mempools empty since then)"),
                        );
                    }
                }
            }
        }
        // I2: validity.
        if !self.checker.valid.contains(&hash) {
            self.checker.fail(
                "I2 validity",
                now,
                format!("node {i} committed {hash:?} at height {h}, never proposed+validated"),
            );
        }
        // The set change decided here is in force from h + 2 (VS1).
        if let Some(s) = sim_set_change(block) {
            self.sets.entry(h + 2).or_insert(s);
        }
        // I3: certificate integrity.
        if self.checker.check_certs {
            let set = self.set_for(h);
            if let Err(e) = cert.verify(&self.cfg.chain_id, h, &hash, &set, &self.verifier) {
                self.checker
                    .fail("I3 certificate", now, format!("node {i} height {h}: {e}"));
            }
        }
    }

    /// I12/I13: what an honest replica sends. Every certificate in it verifies (I12: an
    /// accepted forgery shows up in the view changes, new-views and `Decided` of honest
    /// replicas); a prepare in a view above 0 follows a new-view that verifies (I13: an accepted
    /// forged new-view shows up in the votes of honest replicas). Off with `check_certs`.
    pub(super) fn check_honest_message(&mut self, i: usize, msg: &Message) {
        if !self.checker.check_certs {
            return;
        }
        let now = self.now;
        if let Message::NewView(nv) = msg {
            let from = self.key_of(i);
            self.note_new_view(from, nv);
        }
        let sets = |h: u64| self.set_for(h);
        if let Err(e) = certs::check_sent(&self.cfg.chain_id, &sets, msg, &self.verifier) {
            self.checker.fail(
                "I12 honest certificate",
                now,
                format!("node {i} (honest) sent {}: {e}", msg_kind(msg)),
            );
            return;
        }
        if let Message::Prepare(v) = msg {
            if v.view > 0
                && !self
                    .checker
                    .valid_new_views
                    .contains(&(v.height, v.view, v.block_hash))
            {
                self.checker.fail(
                    "I13 vote without a valid new-view",
                    now,
                    format!(
                        "node {i} (honest) prepared {:?} at height {} view {} without a new-view that verifies",
                        v.block_hash, v.height, v.view
                    ),
                );
            }
        }
    }

    /// I13: remember a new-view the checker verifies itself.
    pub(super) fn note_new_view(&mut self, from: PublicKey, nv: &crate::messages::NewView) {
        if self
            .checker
            .valid_new_views
            .contains(&(nv.height, nv.view, nv.proposal.block.hash()))
        {
            return;
        }
        let set = self.set_for(nv.height);
        if let Ok(h) = certs::verify_new_view(&self.cfg.chain_id, &set, from, nv, &self.verifier) {
            self.checker.valid_new_views.insert((nv.height, nv.view, h));
        }
    }
}
