//! Restart from durable state (R1).

use super::*;

impl<S: ConsensusSigner, V: SignatureVerifier> Replica<S, V> {
    pub(super) fn on_restore(&mut self, st: PersistedState, out: &mut Vec<Action>) {
        if self.started {
            self.reject(
                self.me,
                ConsensusError::BadRestore("replica already started"),
                out,
            );
            return;
        }
        let rec = st.record;
        if st.last.height.checked_add(1) != Some(rec.height) {
            self.reject(
                self.me,
                ConsensusError::BadRestore("height is not last committed + 1"),
                out,
            );
            return;
        }
        let mut sets = Vec::new();
        for (h, s) in st.sets {
            let hash = s.hash();
            sets.push((h, s, hash));
        }
        if !sets.iter().any(|(h, _, _)| *h <= rec.height)
            || sets.windows(2).any(|w| w[0].0 >= w[1].0)
        {
            self.reject(
                self.me,
                ConsensusError::BadRestore("validator sets do not cover the height"),
                out,
            );
            return;
        }
        if let Some(cp) = self.cfg.checkpoint {
            if cp.height == st.last.height && cp.hash != st.last.hash {
                // SY5: the stored history conflicts with the operator's checkpoint.
                let signers = st
                    .last
                    .cert
                    .as_ref()
                    .map(|c| c.votes.iter().map(|v| v.validator).collect())
                    .unwrap_or_default();
                self.reject(
                    self.me,
                    ConsensusError::CheckpointConflict {
                        height: cp.height,
                        expected: cp.hash,
                        got: st.last.hash,
                        signers,
                    },
                    out,
                );
                return;
            }
        }
        // The blocks the record names, found again by hash.
        let mut blocks: BTreeMap<Hash, Block> = BTreeMap::new();
        for b in st.blocks {
            blocks.insert(b.hash(), b);
        }
        let own_block = match rec.signed.proposal {
            Some(p) => match blocks.get(&p.block_hash) {
                Some(b) => Some(b.clone()),
                None => {
                    self.reject(
                        self.me,
                        ConsensusError::BadRestore("the signed proposal's block is missing"),
                        out,
                    );
                    return;
                }
            },
            None => None,
        };
        let prepared = match rec.prepared {
            Some(c) => match blocks.get(&c.block_hash) {
                Some(b) => Some((c, b.clone())),
                None => {
                    self.reject(
                        self.me,
                        ConsensusError::BadRestore("the prepared block is missing"),
                        out,
                    );
                    return;
                }
            },
            None => None,
        };
        self.height = rec.height;
        self.view = rec.view;
        self.last = st.last;
        self.sets = sets;
        self.signed = rec.signed;
        self.prepared = prepared;
        self.own_block = own_block;
        // The driver holds every block the record names (it fed them back).
        self.stored = self
            .signed
            .proposal
            .map(|p| p.block_hash)
            .into_iter()
            .chain(self.prepared.as_ref().map(|(c, _)| c.block_hash))
            .collect();
        self.started = true;
        let vc_here = match &self.signed.view_change {
            Some(vc) => {
                vc.body.height == self.height && vc.body.new_view == self.view && self.view > 0
            }
            None => false,
        };
        if vc_here {
            // R1: resume the view change we were in: re-send the same signed message.
            self.in_view_change = true;
            if let Some(vc) = self.signed.view_change.clone() {
                let prepared_block = self.prepared.as_ref().map(|(_, b)| b.clone());
                self.broadcast(
                    Message::ViewChange(ViewChangeMsg {
                        view_change: vc.clone(),
                        prepared_block,
                    }),
                    out,
                );
                self.view_changes
                    .entry(self.view)
                    .or_default()
                    .insert(self.me, vc);
            }
            // VC8: the view's timer starts once a quorum is back; re-send until then.
            self.vc_quorum = false;
            self.arm_view_change_timer(out);
        } else {
            self.enter_height(out);
        }
        // R1: the prepared block survives the restart (enter_height clears per-height blocks),
        // so that this replica can re-propose it as a new primary (VC2).
        if let Some((c, b)) = self.prepared.clone() {
            self.keep_block(c.block_hash, b);
        }
        self.init_checkpoint(out);
    }
}
