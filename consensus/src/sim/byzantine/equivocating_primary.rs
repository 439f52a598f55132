//! A primary that proposes different blocks to different halves of the cluster.

use crate::messages::{preprepare_signing_bytes, Message};
use crate::signer::ConsensusSigner;
use crate::sim::Cluster;

impl Cluster {
    /// Broadcast node `i`'s message, a second block for each of its proposals.
    pub(in crate::sim) fn equivocate(&mut self, i: usize, msg: Message) {
        let alt = match &msg {
            Message::PrePrepare(pp) => {
                let b = self.alt_block(i, &pp.proposal.block);
                let mut pp2 = pp.clone();
                let h = b.hash();
                pp2.proposal.signature = self.signer_of(i).sign(&preprepare_signing_bytes(
                    &self.cfg.chain_id,
                    b.header.height,
                    pp.proposal.view,
                    &h,
                ));
                pp2.proposal.block = b;
                Some(Message::PrePrepare(pp2))
            }
            Message::NewView(nv) if nv.proposal.block.header.view == nv.view => {
                let b = self.alt_block(i, &nv.proposal.block);
                let h = b.hash();
                let s = self.signer_of(i);
                let mut nv2 = nv.clone();
                nv2.proposal.signature = s.sign(&preprepare_signing_bytes(
                    &self.cfg.chain_id,
                    nv.height,
                    nv.view,
                    &h,
                ));
                nv2.proposal.block = b;
                super::resign_new_view(&s, &self.cfg.chain_id, &mut nv2);
                Some(Message::NewView(nv2))
            }
            _ => None,
        };
        match alt {
            None => self.broadcast_from(i, &msg),
            Some(alt) => {
                self.report.byzantine_acts += 1;
                for to in 0..self.nodes.len() {
                    if to != i {
                        let m = if self.rng.chance(500) {
                            msg.clone()
                        } else {
                            alt.clone()
                        };
                        self.send_to(i, to, m);
                    }
                }
            }
        }
    }
}
