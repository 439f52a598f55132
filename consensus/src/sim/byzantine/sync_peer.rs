//! A Byzantine sync peer: it answers sync requests (in place of an honest peer, half of the
//! time) with blocks and certificates that are forged or relabelled — another block under a
//! genuine certificate's votes, a certificate of another height or view, a block of another
//! chain, a certificate one vote short of a quorum or padded with duplicate or non-member
//! votes, or an older block replayed. Control: `Weaken::synced_unverified`.

use tracechain_types::{Block, CommitCertificate, CommitVote};

use super::{junk_signature, non_members, other_chain, sorted};
use crate::replica::Input;
use crate::sim::{sim_state_root, Cluster, Ev};

impl Cluster {
    /// Whether the Byzantine sync peer `b` answers this request of node `i` (then it did).
    pub(in crate::sim) fn byzantine_sync(&mut self, b: usize, i: usize, from: u64, to: u64) {
        // Its material: the longest chain it can see (as a validator it follows the chain).
        let Some(src) = (0..self.nodes.len())
            .filter(|p| *p != i)
            .max_by_key(|p| self.nodes[*p].chain.len())
        else {
            return;
        };
        let chain = self.nodes[src].chain.clone();
        let top = (chain.len() as u64).min(from + 15).min(to.max(from));
        let inc = self.nodes[i].incarnation;
        let variant = self.rng.below(7);
        let tag = self.rng.next_u64();
        for h in from..=top {
            let Some((block, cert)) = chain.get(h as usize - 1).cloned() else {
                continue;
            };
            let set = self.set_for(h);
            let (b2, c2) = match variant {
                0 => {
                    // Another block under the genuine certificate's votes.
                    let mut header = block.header.clone();
                    header.state_root =
                        sim_state_root(&header.parent, h, self.nodes[b].key as u64, tag, 3);
                    let alt = Block {
                        header,
                        txs: block.txs.clone(),
                    };
                    let c = CommitCertificate {
                        block_hash: alt.hash(),
                        ..cert.clone()
                    };
                    (alt, c)
                }
                1 => {
                    // The certificate of the height below, relabelled.
                    let Some((_, below)) = chain.get((h as usize).saturating_sub(2)).cloned()
                    else {
                        continue;
                    };
                    let c = CommitCertificate {
                        height: h,
                        block_hash: block.hash(),
                        ..below
                    };
                    (block, c)
                }
                2 => {
                    // Relabelled view.
                    let c = CommitCertificate {
                        view: cert.view + 1,
                        ..cert.clone()
                    };
                    (block, c)
                }
                3 => {
                    // Another chain's block (relabelled chain id, certificate moved along).
                    let mut alt = block.clone();
                    alt.header.chain_id = other_chain();
                    let c = CommitCertificate {
                        block_hash: alt.hash(),
                        ..cert.clone()
                    };
                    (alt, c)
                }
                4 => {
                    // One vote short of a quorum.
                    let mut c = cert.clone();
                    c.votes.truncate(set.quorum().saturating_sub(1));
                    (block, c)
                }
                5 => {
                    // Padded: one short, filled with a duplicate and a non-member.
                    let mut c = cert.clone();
                    c.votes.truncate(set.quorum().saturating_sub(1));
                    if let Some(first) = c.votes.first().cloned() {
                        c.votes.push(first);
                    }
                    for pk in non_members(&set, 1) {
                        c.votes.push(CommitVote {
                            validator: pk,
                            signature: junk_signature(tag),
                        });
                    }
                    c.votes = sorted(c.votes);
                    (block, c)
                }
                _ => {
                    // Replay: the block below, sent again for this height.
                    let Some(old) = chain.get((h as usize).saturating_sub(2)).cloned() else {
                        continue;
                    };
                    old
                }
            };
            let d = 1 + self.rng.below(60);
            self.report.synced += 1;
            self.report.byzantine_acts += 1;
            self.schedule(
                self.now + d,
                Ev::Input {
                    node: i,
                    inc,
                    input: Input::BlockSynced {
                        block: b2,
                        cert: c2,
                    },
                },
            );
        }
    }
}
