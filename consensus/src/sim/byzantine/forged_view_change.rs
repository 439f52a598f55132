//! A Byzantine validator whose view changes carry a bad prepared certificate — one vote short
//! of a quorum, padded with a duplicate, a non-member or the primary's own prepare, relabelled to
//! another view or height, forged, or signed for another chain — or replay an older view
//! change; and whose new-views, when it leads a view, carry view changes of another view or
//! height, one too many or one too few, a non-member's view change, a corrupted signature of
//! the new-view or of its proposal, or replay an older new-view. Controls:
//! `Weaken::prepare_cert_one_short`, `Weaken::prepare_members_unchecked`,
//! `Weaken::new_view_other_view`, `Weaken::view_change_voter_unchecked` and
//! `Weaken::new_view_signatures_unchecked`.

use tracechain_types::PublicKey;

use super::{junk_signature, non_members, other_chain};
use crate::messages::{
    prepare_signing_bytes, view_change_signing_bytes, Message, NewView, PrepareCert, ViewChangeMsg,
};
use crate::signer::ConsensusSigner;
use crate::sim::crypto;
use crate::sim::{Cluster, Ev};

impl Cluster {
    /// Send the genuine message `msg` of node `i` a little after its forgery: honest replicas
    /// must refuse the forgery without letting it take the sender's place (a refused view change
    /// or new-view is not kept), then accept the genuine one.
    fn genuine_later(&mut self, i: usize, msg: Message) {
        let d = 100 + self.rng.below(200);
        self.schedule(self.now + d, Ev::LateBroadcast { node: i, msg });
    }

    /// Send node `i`'s view change with its prepared certificate altered, then the genuine one.
    pub(in crate::sim) fn forge_view_change(&mut self, i: usize, vcm: &ViewChangeMsg) {
        self.genuine_later(i, Message::ViewChange(vcm.clone()));
        let s = self.signer_of(i);
        let mut vcm = vcm.clone();
        let body = &mut vcm.view_change.body;
        let (h, nv) = (body.height, body.new_view);
        let set = self.set_for(h);
        let q = set.quorum();
        let tag = self.rng.next_u64();
        // A genuine certificate of this height to start from: ours, or one seen.
        let base: Option<PrepareCert> = body
            .prepared
            .clone()
            .or_else(|| self.seen.prepared.get(&h).cloned())
            .filter(|c| c.view < nv);
        let primary_of = |view: u64| -> Option<PublicKey> {
            let n = set.len() as u64;
            set.get((h.wrapping_add(view) % n.max(1)) as usize)
                .map(|v| v.public_key)
        };
        let mut chain = self.cfg.chain_id.clone();
        let variant = self.rng.below(9);
        let prepared = match (variant, base) {
            (0, Some(mut c)) => {
                // One short of a quorum, every signature genuine.
                c.prepares.truncate(q.saturating_sub(2));
                Some(c)
            }
            (1, Some(mut c)) => {
                // Padded with a duplicate prepare.
                if let Some(first) = c.prepares.first().copied() {
                    c.prepares.insert(0, first);
                }
                Some(c)
            }
            (2, Some(mut c)) => {
                // Padded with a non-member's prepare.
                for pk in non_members(&set, 1) {
                    c.prepares.push((pk, junk_signature(tag)));
                }
                c.prepares.sort_by_key(|p| p.0);
                Some(c)
            }
            (3, Some(mut c)) => {
                // The view's primary's own prepare counted: one genuine prepare dropped and,
                // when we were that primary, our own genuine prepare in its place.
                if let Some(p) = primary_of(c.view) {
                    if !c.prepares.iter().any(|(k, _)| *k == p) {
                        let sig = if p == s.public() {
                            c.prepares.truncate(q.saturating_sub(2));
                            s.sign(&prepare_signing_bytes(
                                &self.cfg.chain_id,
                                h,
                                c.view,
                                &c.block_hash,
                            ))
                        } else {
                            junk_signature(tag)
                        };
                        c.prepares.push((p, sig));
                        c.prepares.sort_by_key(|p| p.0);
                    }
                }
                Some(c)
            }
            (4, Some(mut c)) => {
                // Relabelled to another view below the new view.
                c.view = if c.view + 1 < nv {
                    c.view + 1
                } else {
                    c.view.saturating_sub(1)
                };
                Some(c)
            }
            (5, _) => {
                // Relabelled height: a certificate of the height below.
                self.seen.prepared.get(&h.saturating_sub(1)).cloned()
            }
            (6, Some(mut c)) => {
                // Forged: the pre-prepare signature corrupted.
                c.preprepare.0[0] ^= 0xff;
                Some(c)
            }
            (7, c) => {
                // Another chain: the view change itself signed for another chain id.
                chain = other_chain();
                c
            }
            (8, _) => {
                // Replay an older view change of ours, as it was.
                let old = self.seen.own.iter().rev().find_map(|m| match m {
                    Message::ViewChange(o)
                        if (o.view_change.body.height, o.view_change.body.new_view) < (h, nv) =>
                    {
                        Some(o.clone())
                    }
                    _ => None,
                });
                if let Some(o) = old {
                    self.report.byzantine_acts += 1;
                    self.broadcast_from(i, &Message::ViewChange(o));
                }
                return;
            }
            (_, None) => {
                // Nothing genuine to start from: fabricate a quorum-sized certificate.
                let p = primary_of(nv.saturating_sub(1));
                let prepares = set
                    .validators()
                    .iter()
                    .map(|v| v.public_key)
                    .filter(|k| Some(*k) != p)
                    .take(q.saturating_sub(1))
                    .map(|k| (k, junk_signature(tag)))
                    .collect();
                Some(PrepareCert {
                    view: nv.saturating_sub(1),
                    block_hash: tracechain_types::Hash::tagged(b"forged-prepared", &[]),
                    preprepare: junk_signature(tag),
                    prepares,
                })
            }
            (_, c) => c,
        };
        body.prepared = prepared;
        if body.prepared.is_none() {
            vcm.prepared_block = None;
        }
        vcm.view_change.signature = s.sign(&view_change_signing_bytes(&chain, body));
        self.report.byzantine_acts += 1;
        let msg = Message::ViewChange(vcm);
        self.seen.own_sent(msg.clone());
        self.broadcast_from(i, &msg);
    }

    /// Send node `i`'s new-view with its view changes altered, then the genuine one.
    pub(in crate::sim) fn forge_new_view_certificate(&mut self, i: usize, nv: &NewView) {
        self.genuine_later(i, Message::NewView(nv.clone()));
        let s = self.signer_of(i);
        let mut nv2 = nv.clone();
        let variant = self.rng.below(9);
        match variant {
            0 | 1 => {
                // A view change of another view (or, 1, another height) in place of one.
                let src = if variant == 0 {
                    self.seen.other_view_change(nv.height, nv.view)
                } else {
                    self.seen
                        .other_view_change(nv.height.saturating_sub(1), u64::MAX)
                };
                let Some(other) = src else {
                    return;
                };
                nv2.view_changes
                    .retain(|vc| vc.body.voter != other.body.voter);
                if nv2.view_changes.len() >= nv.view_changes.len() {
                    nv2.view_changes.pop();
                }
                nv2.view_changes.push(other);
                nv2.view_changes.sort_by_key(|vc| vc.body.voter);
            }
            2 => {
                // Padded: one view change twice.
                if let Some(first) = nv2.view_changes.first().cloned() {
                    nv2.view_changes.insert(0, first);
                }
            }
            3 => {
                // One view change short of a quorum.
                nv2.view_changes.pop();
            }
            4 => {
                // Relabelled: one view change's new view changed after signing.
                if let Some(vc) = nv2.view_changes.last_mut() {
                    vc.body.new_view += 1;
                }
            }
            5 => {
                // A non-member's view change, correctly signed with its own key, in place of
                // a member's.
                let set = self.set_for(nv.height);
                let Some(k) = (0..crypto::key_pool().len())
                    .find(|k| !set.contains(&crypto::key_pool()[*k].0))
                else {
                    return;
                };
                let outsider = crate::sim::SimSigner::new(k);
                if let Some(vc) = nv2.view_changes.last_mut() {
                    vc.body.voter = outsider.public();
                    vc.signature =
                        outsider.sign(&view_change_signing_bytes(&self.cfg.chain_id, &vc.body));
                }
                nv2.view_changes.sort_by_key(|vc| vc.body.voter);
            }
            6 | 7 => {
                // The new-view's own signature (6) or its proposal's (7) corrupted, the rest
                // genuine.
                super::resign_new_view(&s, &self.cfg.chain_id, &mut nv2);
                if variant == 6 {
                    nv2.signature.0[0] ^= 0xff;
                } else {
                    nv2.proposal.signature.0[0] ^= 0xff;
                }
                self.report.byzantine_acts += 1;
                self.seen.own_sent(Message::NewView(nv.clone()));
                self.broadcast_from(i, &Message::NewView(nv2));
                return;
            }
            _ => {
                // Replay an older new-view of ours.
                if let Some(old) = self.seen.old_new_view(nv.height) {
                    self.report.byzantine_acts += 1;
                    self.broadcast_from(i, &Message::NewView(old));
                }
                self.seen.own_sent(Message::NewView(nv.clone()));
                return;
            }
        }
        super::resign_new_view(&s, &self.cfg.chain_id, &mut nv2);
        self.report.byzantine_acts += 1;
        self.seen.own_sent(Message::NewView(nv.clone()));
        self.broadcast_from(i, &Message::NewView(nv2));
    }
}
