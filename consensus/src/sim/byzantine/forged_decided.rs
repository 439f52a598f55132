//! A Byzantine validator that broadcasts `Decided` certificates for the height being decided:
//! forged, relabelled (another height, view or chain id), one vote short of a quorum, padded
//! with duplicate or non-member votes, or replayed. Control: `Weaken::decided_unverified`.

use tracechain_types::{CommitCertificate, CommitVote, Hash};

use super::{junk_signature, non_members, other_chain, sorted};
use crate::messages::{commit_vote_signing_bytes, Message};
use crate::signer::ConsensusSigner;
use crate::sim::Cluster;

impl Cluster {
    /// One round of forged `Decided` messages from node `i`.
    pub(in crate::sim) fn forge_decided(&mut self, i: usize) {
        let Some(r) = self.replica(i) else {
            return;
        };
        let (h, v) = (r.height(), r.view());
        let last = r.last_committed().clone();
        let set = self.set_for(h);
        let q = set.quorum();
        let s = self.signer_of(i);
        let me = s.public();
        let chain = self.cfg.chain_id.clone();
        let seen = self.seen.proposals.get(&h).cloned().unwrap_or_default();
        let target = if seen.is_empty() {
            Hash::tagged(b"forged-decided", &[&h.to_le_bytes()])
        } else {
            seen[self.rng.below(seen.len() as u64) as usize]
        };
        let own = |view: u64, hash: &Hash| CommitVote {
            validator: me,
            signature: s.sign(&commit_vote_signing_bytes(&chain, h, view, hash)),
        };
        // Real commit votes seen for the target, in any view.
        let real: Vec<(u64, Vec<CommitVote>)> = self
            .seen
            .commits
            .iter()
            .filter(|(k, _)| k.0 == h && k.2 == target)
            .map(|(k, m)| {
                let votes = m
                    .iter()
                    .map(|(pk, sig)| CommitVote {
                        validator: *pk,
                        signature: *sig,
                    })
                    .collect();
                (k.1, votes)
            })
            .collect();
        let variant = self.rng.below(8);
        let tag = self.rng.next_u64();
        let cert = match variant {
            0 => {
                // Forged: a quorum of members, every signature but ours made up.
                let votes = set
                    .validators()
                    .iter()
                    .take(q)
                    .enumerate()
                    .map(|(k, val)| {
                        if val.public_key == me {
                            own(v, &target)
                        } else {
                            CommitVote {
                                validator: val.public_key,
                                signature: junk_signature(tag ^ k as u64),
                            }
                        }
                    })
                    .collect();
                CommitCertificate {
                    height: h,
                    view: v,
                    block_hash: target,
                    votes: sorted(votes),
                }
            }
            1 => {
                // Short: real votes (ours added), one short of a quorum.
                let (view, mut votes) = real.first().cloned().unwrap_or((v, Vec::new()));
                if !votes.iter().any(|x| x.validator == me) {
                    votes.push(own(view, &target));
                }
                let mut votes = sorted(votes);
                votes.truncate(q.saturating_sub(1));
                CommitCertificate {
                    height: h,
                    view,
                    block_hash: target,
                    votes,
                }
            }
            2 => CommitCertificate {
                // Padded with duplicates of our own vote.
                height: h,
                view: v,
                block_hash: target,
                votes: vec![own(v, &target); q],
            },
            3 => {
                // Padded with non-members.
                let mut votes = vec![own(v, &target)];
                for (k, pk) in non_members(&set, q).into_iter().enumerate() {
                    votes.push(CommitVote {
                        validator: pk,
                        signature: junk_signature(tag ^ k as u64),
                    });
                }
                CommitCertificate {
                    height: h,
                    view: v,
                    block_hash: target,
                    votes: sorted(votes),
                }
            }
            4 => match &last.cert {
                // Relabelled height: the last real certificate, moved up one height.
                Some(c) => CommitCertificate {
                    height: h,
                    block_hash: target,
                    ..c.clone()
                },
                None => return,
            },
            5 => {
                // Relabelled view: real votes of one view presented as another view's.
                let (view, mut votes) = real.first().cloned().unwrap_or((v, Vec::new()));
                if !votes.iter().any(|x| x.validator == me) {
                    votes.push(own(view, &target));
                }
                CommitCertificate {
                    height: h,
                    view: view + 1,
                    block_hash: target,
                    votes: sorted(votes),
                }
            }
            6 => {
                // Another chain: every member's vote made up over another chain id, ours real.
                let other = other_chain();
                let votes = set
                    .validators()
                    .iter()
                    .take(q)
                    .map(|val| CommitVote {
                        validator: val.public_key,
                        signature: if val.public_key == me {
                            s.sign(&commit_vote_signing_bytes(&other, h, v, &target))
                        } else {
                            junk_signature(tag)
                        },
                    })
                    .collect();
                CommitCertificate {
                    height: h,
                    view: v,
                    block_hash: target,
                    votes: sorted(votes),
                }
            }
            _ => match self.nodes[i].chain.last() {
                // Replay: an old, genuine certificate.
                Some((_, c)) => c.clone(),
                None => return,
            },
        };
        self.report.byzantine_acts += 1;
        self.broadcast_from(i, &Message::Decided(cert));
    }
}
