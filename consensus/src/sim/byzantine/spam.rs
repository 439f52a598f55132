//! A validator that spams signed votes and view changes for future heights and views.

use tracechain_types::Hash;

use crate::messages::{
    commit_vote_signing_bytes, prepare_signing_bytes, view_change_signing_bytes, Message,
    ViewChange, ViewChangeBody, ViewChangeMsg, Vote,
};
use crate::signer::ConsensusSigner;
use crate::sim::Cluster;

impl Cluster {
    pub(in crate::sim) fn spam(&mut self, i: usize) {
        let Some(r) = self.replica(i) else {
            return;
        };
        let (h, v) = (r.height(), r.view());
        let s = self.signer_of(i);
        for _ in 0..4 {
            let height = h + self.rng.below(8);
            let view = v + self.rng.below(100);
            let hash = Hash::tagged(b"spam", &[&self.rng.next_u64().to_le_bytes()]);
            let msg = match self.rng.below(3) {
                0 => {
                    let signature = s.sign(&prepare_signing_bytes(
                        &self.cfg.chain_id,
                        height,
                        view,
                        &hash,
                    ));
                    Message::Prepare(Vote {
                        height,
                        view,
                        block_hash: hash,
                        voter: s.public(),
                        signature,
                    })
                }
                1 => {
                    let signature = s.sign(&commit_vote_signing_bytes(
                        &self.cfg.chain_id,
                        height,
                        view,
                        &hash,
                    ));
                    Message::Commit(Vote {
                        height,
                        view,
                        block_hash: hash,
                        voter: s.public(),
                        signature,
                    })
                }
                _ => {
                    let body = ViewChangeBody {
                        height,
                        new_view: view + 1,
                        voter: s.public(),
                        committed: None,
                        prepared: None,
                    };
                    let vc = ViewChange {
                        signature: s.sign(&view_change_signing_bytes(&self.cfg.chain_id, &body)),
                        body,
                    };
                    Message::ViewChange(ViewChangeMsg {
                        view_change: vc,
                        prepared_block: None,
                    })
                }
            };
            self.report.byzantine_acts += 1;
            self.broadcast_from(i, &msg);
        }
    }
}
