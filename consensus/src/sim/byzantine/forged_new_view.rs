//! A validator whose new-views are short of a quorum, carry a corrupted view change or ignore
//! the prepared proposal, and who sends forged new-views for views it does not lead.

use crate::messages::{
    new_view_signing_bytes, preprepare_signing_bytes, view_change_signing_bytes, Message,
    ViewChange, ViewChangeBody,
};
use crate::signer::ConsensusSigner;
use crate::sim::Cluster;

impl Cluster {
    /// Broadcast node `i`'s message, its new-views forged.
    pub(in crate::sim) fn forge_own_new_view(&mut self, i: usize, msg: Message) {
        let Message::NewView(nv) = &msg else {
            self.broadcast_from(i, &msg);
            return;
        };
        let s = self.signer_of(i);
        let mut nv2 = nv.clone();
        let has_prepared = nv.view_changes.iter().any(|vc| vc.body.prepared.is_some());
        match self.rng.below(3) {
            2 if has_prepared => {
                // Ignore the prepared proposal: propose a fresh block instead (VC3d).
                let mut b = self.alt_block(i, &nv.proposal.block);
                b.header.view = nv.view;
                b.header.proposer = self.key_of(i);
                self.made.insert(b.hash());
                let h = b.hash();
                nv2.proposal.signature = s.sign(&preprepare_signing_bytes(
                    &self.cfg.chain_id,
                    nv.height,
                    nv.view,
                    &h,
                ));
                nv2.proposal.block = b;
                super::resign_new_view(&s, &self.cfg.chain_id, &mut nv2);
            }
            1 => {
                // Forged certificate: one view change's signature corrupted.
                if let Some(vc) = nv2.view_changes.first_mut() {
                    vc.signature.0[0] ^= 0xff;
                }
                super::resign_new_view(&s, &self.cfg.chain_id, &mut nv2);
            }
            _ => {
                // Short certificate: one view change fewer than a quorum.
                let keep = self.set.quorum().saturating_sub(1);
                nv2.view_changes.truncate(keep);
                super::resign_new_view(&s, &self.cfg.chain_id, &mut nv2);
            }
        }
        self.report.byzantine_acts += 1;
        self.broadcast_from(i, &Message::NewView(nv2));
    }

    pub(in crate::sim) fn forge_new_view(&mut self, i: usize) {
        let Some(r) = self.replica(i) else {
            return;
        };
        let (h, v) = (r.height(), r.view());
        let last = r.last_committed().clone();
        let s = self.signer_of(i);
        let body = ViewChangeBody {
            height: h,
            new_view: v + 1,
            voter: s.public(),
            committed: last.cert.clone(),
            prepared: None,
        };
        let vc = ViewChange {
            signature: s.sign(&view_change_signing_bytes(&self.cfg.chain_id, &body)),
            body,
        };
        let set_hash = self.set.hash();
        let block = self.make_block(i, h, v + 1, last.hash, last.timestamp_ms, set_hash, 2);
        let hash = block.hash();
        let vcs = vec![vc];
        let proposal = crate::messages::Proposal {
            view: v + 1,
            signature: s.sign(&preprepare_signing_bytes(
                &self.cfg.chain_id,
                h,
                v + 1,
                &hash,
            )),
            block,
        };
        let signature = s.sign(&new_view_signing_bytes(
            &self.cfg.chain_id,
            h,
            v + 1,
            &hash,
            &vcs,
        ));
        let nv = crate::messages::NewView {
            height: h,
            view: v + 1,
            view_changes: vcs,
            proposal,
            signature,
        };
        self.report.byzantine_acts += 1;
        self.broadcast_from(i, &Message::NewView(nv));
    }
}
