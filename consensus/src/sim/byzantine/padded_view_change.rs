//! Scripted only: a validator that behaves honestly but pads the `committed` certificate of
//! every view change it sends to just under `MAX_MESSAGE_BYTES` with junk votes (VC6/VC7).

use tracechain_types::{CommitCertificate, Hash, PublicKey};

use crate::messages::{view_change_signing_bytes, Message, MAX_MESSAGE_BYTES};
use crate::signer::ConsensusSigner;
use crate::sim::Cluster;

impl Cluster {
    /// Broadcast node `i`'s message, its view changes padded.
    pub(in crate::sim) fn pad_view_change(&mut self, i: usize, msg: Message) {
        let Message::ViewChange(vcm) = &msg else {
            self.broadcast_from(i, &msg);
            return;
        };
        let mut vcm = vcm.clone();
        let body = &mut vcm.view_change.body;
        // Just under the decode limit: ≈ 96 bytes per junk vote.
        let votes = MAX_MESSAGE_BYTES / 96;
        let junk = (0..votes as u32)
            .map(|k| {
                let mut key = [0u8; 32];
                key[..4].copy_from_slice(&k.to_be_bytes());
                tracechain_types::CommitVote {
                    validator: PublicKey(key),
                    signature: tracechain_types::Signature([9u8; 64]),
                }
            })
            .collect();
        body.committed = Some(CommitCertificate {
            height: body.height.saturating_sub(1),
            view: 0,
            block_hash: Hash::tagged(b"padding", &[]),
            votes: junk,
        });
        // Trim to at most 200 bytes under the limit, so the message itself is accepted.
        let size = borsh::object_length(&vcm).unwrap_or(usize::MAX);
        let target = MAX_MESSAGE_BYTES - 200;
        if size > target {
            let excess = (size - target).div_ceil(96);
            if let Some(c) = vcm.view_change.body.committed.as_mut() {
                let keep = c.votes.len().saturating_sub(excess);
                c.votes.truncate(keep);
            }
        }
        vcm.view_change.signature = self.signer_of(i).sign(&view_change_signing_bytes(
            &self.cfg.chain_id,
            &vcm.view_change.body,
        ));
        self.report.byzantine_acts += 1;
        self.broadcast_from(i, &Message::ViewChange(vcm));
    }
}
