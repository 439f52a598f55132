//! Sync: certificates of other heights (SY1), synced blocks (SY2–SY4) and the trusted checkpoint walk (SY5).

use super::*;

impl<S: ConsensusSigner, V: SignatureVerifier> Replica<S, V> {
    /// SY1/SY2: a certificate at or above our height. Returns false when it was refused (the
    /// message carrying it is then dropped, B4).
    pub(super) fn on_certificate(
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
    pub(super) fn request_sync(&mut self, target: u64, out: &mut Vec<Action>) {
        self.sync_target = self.sync_target.max(target);
        self.send_sync_request(self.sync_target.max(self.height), out);
    }

    /// SY1: a hint that cannot be verified (certificate beyond the known sets) asks once, for at
    /// most `MAX_SYNCED_AHEAD` heights, and is not retried: a lying peer cannot keep this replica
    /// asking forever.
    pub(super) fn request_sync_hint(&mut self, target: u64, out: &mut Vec<Action>) {
        let to = target.min(
            self.height
                .saturating_add(self.cfg.limits.max_synced_ahead as u64),
        );
        self.send_sync_request(to, out);
    }

    pub(super) fn send_sync_request(&mut self, to_height: u64, out: &mut Vec<Action>) {
        self.send_sync_range(self.height, to_height, out);
    }

    pub(super) fn send_sync_range(
        &mut self,
        from_height: u64,
        to_height: u64,
        out: &mut Vec<Action>,
    ) {
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

    pub(super) fn on_synced(
        &mut self,
        block: Block,
        cert: CommitCertificate,
        out: &mut Vec<Action>,
    ) {
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
    pub(super) fn checkpoint_pending(&self) -> bool {
        self.cfg
            .checkpoint
            .map(|c| self.height <= c.height)
            .unwrap_or(false)
    }

    /// SY5: start from the checkpoint: its hash is the first trusted one, and sync walks down.
    pub(super) fn init_checkpoint(&mut self, out: &mut Vec<Action>) {
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
    pub(super) fn request_walk(&mut self, out: &mut Vec<Action>) {
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
    pub(super) fn keep_for_walk(
        &mut self,
        block: Block,
        cert: CommitCertificate,
        out: &mut Vec<Action>,
    ) {
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

    pub(super) fn take_walk(&mut self, height: u64) -> Option<(Block, CommitCertificate)> {
        let e = self.walk.remove(&height)?;
        self.walk_bytes = self.walk_bytes.saturating_sub(object_bytes(&e));
        Some(e)
    }

    /// SY5: walk down from the lowest trusted height while its block is at hand: a block whose
    /// hash is the trusted one makes its parent hash trusted; a different block there is a
    /// conflict and is dropped.
    pub(super) fn advance_walk(&mut self, out: &mut Vec<Action>) {
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
    pub(super) fn reject_conflict(
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
    pub(super) fn take_synced(&mut self, height: u64) -> Option<(Block, CommitCertificate)> {
        let e = self.synced.remove(&height)?;
        self.synced_bytes = self.synced_bytes.saturating_sub(object_bytes(&e));
        Some(e)
    }

    /// SY2: apply synced blocks in height order; each must link to the last committed block and
    /// carry a valid certificate from the validator set of its height.
    pub(super) fn drain_synced(&mut self, out: &mut Vec<Action>) {
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
}
