//! Byzantine certificate fixtures, one file per behaviour.
//!
//! Each fixture is one validator (at most f in a sweep) that runs an honest replica and alters
//! what it sends, or a sync peer that alters what it serves. It only holds its own key: every
//! certificate it sends is assembled from what it legitimately saw (real votes and view changes
//! delivered to it, its own certificates), then forged (a signature corrupted), relabelled
//! (another view, height or chain id), shortened (one vote short of a quorum), padded
//! (duplicate or non-member votes) or replayed (an older one sent again). The replica must
//! refuse every one of them; each fixture has a negative control in `tests/sim.rs` that turns
//! one check off (`Weaken`) and shows the checker catches the result.
//!
//! * [`forged_decided`]: `Decided` certificates (SY1).
//! * [`forged_view_change`]: prepared certificates in view changes (VC1) and the view changes
//!   inside new-views (VC3).
//! * [`sync_peer`]: blocks and certificates served to a syncing replica (SY2).
//! * [`withheld_view_change`]: genuine view changes sent to one honest replica only (VC8/VC9
//!   liveness).
//!
//! The earlier behaviours live here too: [`equivocating_primary`], [`silent_primary`],
//! [`forged_new_view`], [`spam`] and the scripted [`padded_view_change`]; Twins and network
//! replay are cluster-level (instances and the event queue) and stay in `sim/mod.rs`.

pub mod equivocating_primary;
pub mod forged_decided;
pub mod forged_new_view;
pub mod forged_view_change;
pub mod padded_view_change;
pub mod silent_primary;
pub mod spam;
pub mod sync_peer;
pub mod withheld_view_change;

use std::collections::BTreeMap;

use tracechain_types::{ChainId, CommitVote, Hash, PublicKey, Signature, ValidatorSet};

use super::crypto;
use crate::messages::{new_view_signing_bytes, Message, NewView, PrepareCert, ViewChange};
use crate::signer::ConsensusSigner;

/// Heights of observations a fixture keeps.
const KEEP_HEIGHTS: u64 = 8;

/// What the Byzantine validators of a run saw delivered to them (their raw material).
#[derive(Debug, Default)]
pub struct Seen {
    /// Proposal hashes seen per height (pre-prepares and new-views).
    pub proposals: BTreeMap<u64, Vec<Hash>>,
    /// Real commit votes per (height, view, block hash).
    pub commits: BTreeMap<(u64, u64, Hash), BTreeMap<PublicKey, Signature>>,
    /// Real view changes per (height, new view), by voter.
    pub view_changes: BTreeMap<(u64, u64), BTreeMap<PublicKey, ViewChange>>,
    /// Real prepared certificates per height (from view changes), highest view last.
    pub prepared: BTreeMap<u64, PrepareCert>,
    /// View changes and new-views the fixture itself sent (for replays).
    pub own: Vec<Message>,
}

impl Seen {
    /// Record a message delivered to a Byzantine validator.
    pub fn record(&mut self, msg: &Message) {
        match msg {
            Message::PrePrepare(pp) => {
                let b = &pp.proposal.block;
                self.add_proposal(b.header.height, b.hash());
            }
            Message::NewView(nv) => {
                self.add_proposal(nv.height, nv.proposal.block.hash());
                for vc in &nv.view_changes {
                    self.add_view_change(vc);
                }
            }
            Message::Commit(v) => {
                self.commits
                    .entry((v.height, v.view, v.block_hash))
                    .or_default()
                    .insert(v.voter, v.signature);
            }
            Message::ViewChange(vcm) => self.add_view_change(&vcm.view_change),
            Message::Prepare(_) | Message::Decided(_) => {}
        }
        self.prune();
    }

    fn add_proposal(&mut self, h: u64, hash: Hash) {
        let e = self.proposals.entry(h).or_default();
        if !e.contains(&hash) && e.len() < 8 {
            e.push(hash);
        }
    }

    fn add_view_change(&mut self, vc: &ViewChange) {
        let b = &vc.body;
        if let Some(c) = &b.prepared {
            let e = self.prepared.entry(b.height).or_insert_with(|| c.clone());
            if c.view > e.view {
                *e = c.clone();
            }
        }
        self.view_changes
            .entry((b.height, b.new_view))
            .or_default()
            .insert(b.voter, vc.clone());
    }

    /// Remember what the fixture sent itself (bounded).
    pub fn own_sent(&mut self, msg: Message) {
        if self.own.len() >= 16 {
            self.own.remove(0);
        }
        self.own.push(msg);
    }

    fn prune(&mut self) {
        let top = self.proposals.keys().next_back().copied().unwrap_or(0).max(
            self.view_changes
                .keys()
                .next_back()
                .map(|k| k.0)
                .unwrap_or(0),
        );
        let low = top.saturating_sub(KEEP_HEIGHTS);
        self.proposals.retain(|h, _| *h >= low);
        self.commits.retain(|k, _| k.0 >= low);
        self.view_changes.retain(|k, _| k.0 >= low);
        self.prepared.retain(|h, _| *h >= low);
        // Bound the views kept per height too.
        while self.view_changes.len() > 64 {
            self.view_changes.pop_first();
        }
        while self.commits.len() > 64 {
            self.commits.pop_first();
        }
    }

    /// A seen view change for `height` whose new view is not `view` (relabel source).
    pub fn other_view_change(&self, height: u64, view: u64) -> Option<ViewChange> {
        self.view_changes
            .range((height, 0)..=(height, u64::MAX))
            .filter(|(k, _)| k.1 != view)
            .flat_map(|(_, m)| m.values())
            .next_back()
            .cloned()
    }

    /// The fixture's own last new-view for a height below `height` (replay source).
    pub fn old_new_view(&self, height: u64) -> Option<NewView> {
        self.own.iter().rev().find_map(|m| match m {
            Message::NewView(nv) if nv.height < height => Some(nv.clone()),
            _ => None,
        })
    }
}

/// A signature that verifies for nobody.
pub fn junk_signature(tag: u64) -> Signature {
    let mut s = [0xA5u8; 64];
    s[..8].copy_from_slice(&tag.to_le_bytes());
    Signature(s)
}

/// Pool keys outside `set` (padding material), at most `k`.
pub fn non_members(set: &ValidatorSet, k: usize) -> Vec<PublicKey> {
    crypto::key_pool()
        .iter()
        .map(|(pk, _)| *pk)
        .filter(|pk| !set.contains(pk))
        .take(k)
        .collect()
}

/// Commit votes in canonical order (duplicates stay, adjacent).
pub fn sorted(mut votes: Vec<CommitVote>) -> Vec<CommitVote> {
    votes.sort_by_key(|v| v.validator);
    votes
}

/// Another chain's id, for relabelling.
pub fn other_chain() -> ChainId {
    match ChainId::new("tracechain-other") {
        Ok(c) => c,
        Err(e) => panic!("sim chain id: {e}"),
    }
}

/// Sign a new-view again as its (Byzantine) sender after altering it: over its height, view,
/// proposal hash and view changes as they now are.
pub(crate) fn resign_new_view(s: &impl ConsensusSigner, chain: &ChainId, nv: &mut NewView) {
    let hash = nv.proposal.block.hash();
    nv.signature = s.sign(&new_view_signing_bytes(
        chain,
        nv.height,
        nv.view,
        &hash,
        &nv.view_changes,
    ));
}
