//! Consensus messages, their signing bytes (one domain tag per phase) and the decoding limit.
//!
//! Every message is canonically encoded (Borsh). The network layer decodes peer bytes with
//! [`decode_message`], which refuses input above [`MAX_MESSAGE_BYTES`] before looking at it.

use borsh::{BorshDeserialize, BorshSerialize};
use tracechain_types::block::DEFAULT_MAX_BLOCK_BYTES;
use tracechain_types::validator::MAX_VALIDATORS;
use tracechain_types::{
    commit_signing_bytes, decode, encode, Block, ChainId, CommitCertificate, DecodeError, Hash,
    PublicKey, Signature,
};

/// Domain tag of pre-prepare signatures (a primary binding a block to a height and view).
pub const PREPREPARE_DOMAIN: &[u8] = b"tracechain/preprepare/v1";
/// Domain tag of prepare votes.
pub const PREPARE_DOMAIN: &[u8] = b"tracechain/prepare/v1";
/// Domain tag of view-change messages.
pub const VIEWCHANGE_DOMAIN: &[u8] = b"tracechain/viewchange/v1";
/// Domain tag of new-view messages.
pub const NEWVIEW_DOMAIN: &[u8] = b"tracechain/newview/v1";

/// Largest encoded consensus message accepted from a peer. The largest legitimate message is a
/// new-view of a set of [`MAX_VALIDATORS`] validators: one block (at most
/// `DEFAULT_MAX_BLOCK_BYTES`) plus exactly a quorum of view changes (rule VC7), each bounded on
/// arrival (rule VC6); [`max_new_view_bytes`] derives that bound from the validator count
/// (≈ 8.5 MB of view changes for 256 validators) and a compile-time check keeps it below this
/// limit. A view change message carries at most one block ([`max_view_change_msg_bytes`]).
/// Policy when hit: the network layer drops the message and counts it.
pub const MAX_MESSAGE_BYTES: usize = DEFAULT_MAX_BLOCK_BYTES + 16 * 1024 * 1024;

/// Encoded bytes of a public key, a signature, a hash, a `u64`, a Borsh length prefix and an
/// `Option` / enum tag.
const KEY: usize = 32;
const SIG: usize = 64;
const HASH: usize = 32;
const U64: usize = 8;
const LEN: usize = 4;
const TAG: usize = 1;

/// Largest encoded commit certificate with `votes` votes.
pub const fn max_commit_cert_bytes(votes: usize) -> usize {
    U64 + U64 + HASH + LEN + votes * (KEY + SIG)
}

/// Largest encoded prepare certificate of a set of `n` validators (the primary's pre-prepare
/// signature plus at most n − 1 prepares of distinct other members, VC1).
pub const fn max_prepare_cert_bytes(n: usize) -> usize {
    U64 + HASH + SIG + LEN + n.saturating_sub(1) * (KEY + SIG)
}

/// Largest encoded signed view change accepted from a set of `n` validators (VC6): its
/// `committed` certificate has at most [`MAX_VALIDATORS`] votes (the set of the previous height
/// may be larger than this one), its prepare certificate at most n − 1 prepares.
pub const fn max_view_change_bytes(n: usize) -> usize {
    // body: height, new view, voter, committed, prepared; then the signature.
    U64 + U64
        + KEY
        + TAG
        + max_commit_cert_bytes(MAX_VALIDATORS)
        + TAG
        + max_prepare_cert_bytes(n)
        + SIG
}

/// Largest encoded view-change message (the signed view change plus one prepared block).
pub const fn max_view_change_msg_bytes(n: usize) -> usize {
    TAG + max_view_change_bytes(n) + TAG + DEFAULT_MAX_BLOCK_BYTES
}

/// Quorum of `n` validators (`ValidatorSet::quorum`, ⌊(n+f)/2⌋+1 with f = ⌊(n−1)/3⌋), for the
/// size bounds only.
pub const fn quorum_of(n: usize) -> usize {
    let f = n.saturating_sub(1) / 3;
    (n + f) / 2 + 1
}

/// Largest encoded new-view message of a set of `n` validators (VC7): height, view, exactly a
/// quorum of view changes bounded by [`max_view_change_bytes`], the proposal (view, block of at
/// most `DEFAULT_MAX_BLOCK_BYTES`, signature) and the primary's signature.
pub const fn max_new_view_bytes(n: usize) -> usize {
    TAG + U64
        + U64
        + LEN
        + quorum_of(n) * max_view_change_bytes(n)
        + U64
        + DEFAULT_MAX_BLOCK_BYTES
        + SIG
        + SIG
}

// VC7: every legitimate new-view and view change decodes under the peer-message limit.
const _: () = assert!(max_new_view_bytes(MAX_VALIDATORS) <= MAX_MESSAGE_BYTES);
const _: () = assert!(max_view_change_msg_bytes(MAX_VALIDATORS) <= MAX_MESSAGE_BYTES);

/// The phase a signed vote belongs to (used in evidence and in the no-equivocation rule S1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, BorshSerialize, BorshDeserialize)]
pub enum Phase {
    /// Pre-prepare (the primary's proposal signature).
    PrePrepare,
    /// Prepare vote.
    Prepare,
    /// Commit vote.
    Commit,
}

/// A prepare or commit vote for `block_hash` at `(height, view)`.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Vote {
    /// Height.
    pub height: u64,
    /// View.
    pub view: u64,
    /// The block voted for.
    pub block_hash: Hash,
    /// The voting validator.
    pub voter: PublicKey,
    /// Signature over [`prepare_signing_bytes`] or [`commit_signing_bytes`].
    pub signature: Signature,
}

/// A block proposed in a view, signed by that view's primary over
/// [`preprepare_signing_bytes`]`(height, view, hash)`. In a new view the block may be a
/// re-proposal: its header then names the view and primary that first proposed it.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Proposal {
    /// The view this proposal is for.
    pub view: u64,
    /// The block.
    pub block: Block,
    /// The primary's signature.
    pub signature: Signature,
}

/// Pre-prepare of view 0 of a height (later views propose inside [`NewView`]).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct PrePrepare {
    /// The proposal.
    pub proposal: Proposal,
    /// The commit certificate of the parent (absent for height 1, whose parent is genesis).
    /// Lets a replica that missed the parent's commit votes commit or sync (rule SY1).
    pub parent_cert: Option<CommitCertificate>,
}

/// Proof that a block was prepared in a view: the primary's pre-prepare signature plus prepare
/// votes of distinct other validators, together at least a quorum (rule P3).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct PrepareCert {
    /// View of the pre-prepare and prepares.
    pub view: u64,
    /// The prepared block.
    pub block_hash: Hash,
    /// Signature of the primary of `view` over the pre-prepare bytes.
    pub preprepare: Signature,
    /// Prepare votes (voter, signature), strictly ascending by voter, primary excluded.
    pub prepares: Vec<(PublicKey, Signature)>,
}

/// The signed part of a view change (rule VC1).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct ViewChangeBody {
    /// Height being decided.
    pub height: u64,
    /// The view the sender wants to move to.
    pub new_view: u64,
    /// The sender.
    pub voter: PublicKey,
    /// Certificate of the last committed block (height − 1); absent at height 1.
    pub committed: Option<CommitCertificate>,
    /// The highest prepared proposal at this height, with its prepare certificate.
    pub prepared: Option<PrepareCert>,
}

/// A signed view change.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct ViewChange {
    /// The body.
    pub body: ViewChangeBody,
    /// Signature over [`view_change_signing_bytes`].
    pub signature: Signature,
}

/// A view change on the wire: the signed view change plus the prepared block itself, so that
/// the new primary can re-propose it (the block is bound by the certificate's hash).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct ViewChangeMsg {
    /// The signed view change.
    pub view_change: ViewChange,
    /// The block of `body.prepared`, if any.
    pub prepared_block: Option<Block>,
}

/// The new primary's announcement of a view (rule VC2): a quorum of view changes and the
/// proposal they force (or a fresh one when none of them carries a prepared proposal).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct NewView {
    /// Height.
    pub height: u64,
    /// The new view.
    pub view: u64,
    /// At least a quorum of view changes for `(height, view)` from distinct validators,
    /// ascending by voter.
    pub view_changes: Vec<ViewChange>,
    /// The proposal of the new view.
    pub proposal: Proposal,
    /// The primary's signature over [`new_view_signing_bytes`].
    pub signature: Signature,
}

/// A consensus message.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum Message {
    /// View-0 proposal.
    PrePrepare(PrePrepare),
    /// Prepare vote.
    Prepare(Vote),
    /// Commit vote.
    Commit(Vote),
    /// View change.
    ViewChange(ViewChangeMsg),
    /// New view.
    NewView(NewView),
    /// A commit certificate, sent to a peer that is behind (rule SY1).
    Decided(CommitCertificate),
}

impl Message {
    /// The height the message is about.
    pub fn height(&self) -> u64 {
        match self {
            Message::PrePrepare(p) => p.proposal.block.header.height,
            Message::Prepare(v) | Message::Commit(v) => v.height,
            Message::ViewChange(vc) => vc.view_change.body.height,
            Message::NewView(nv) => nv.height,
            Message::Decided(c) => c.height,
        }
    }

    /// The view the message is about.
    pub fn view(&self) -> u64 {
        match self {
            Message::PrePrepare(p) => p.proposal.view,
            Message::Prepare(v) | Message::Commit(v) => v.view,
            Message::ViewChange(vc) => vc.view_change.body.new_view,
            Message::NewView(nv) => nv.view,
            Message::Decided(c) => c.view,
        }
    }
}

/// Decode a message from peer bytes (size limit [`MAX_MESSAGE_BYTES`], whole input consumed).
pub fn decode_message(bytes: &[u8]) -> Result<Message, DecodeError> {
    decode(bytes, MAX_MESSAGE_BYTES)
}

fn vote_bytes(domain: &[u8], chain_id: &ChainId, height: u64, view: u64, hash: &Hash) -> Vec<u8> {
    let mut out = domain.to_vec();
    out.extend_from_slice(&encode(chain_id));
    out.extend_from_slice(&height.to_le_bytes());
    out.extend_from_slice(&view.to_le_bytes());
    out.extend_from_slice(&hash.0);
    out
}

/// Bytes the primary signs to propose `hash` at `(height, view)`.
pub fn preprepare_signing_bytes(
    chain_id: &ChainId,
    height: u64,
    view: u64,
    hash: &Hash,
) -> Vec<u8> {
    vote_bytes(PREPREPARE_DOMAIN, chain_id, height, view, hash)
}

/// Bytes a backup signs to vote prepare.
pub fn prepare_signing_bytes(chain_id: &ChainId, height: u64, view: u64, hash: &Hash) -> Vec<u8> {
    vote_bytes(PREPARE_DOMAIN, chain_id, height, view, hash)
}

/// Bytes a validator signs to vote commit: the commit-certificate bytes of the types crate, so
/// that collected votes form a [`CommitCertificate`] directly.
pub fn commit_vote_signing_bytes(
    chain_id: &ChainId,
    height: u64,
    view: u64,
    hash: &Hash,
) -> Vec<u8> {
    commit_signing_bytes(chain_id, height, view, hash)
}

/// Bytes signed in a view change.
pub fn view_change_signing_bytes(chain_id: &ChainId, body: &ViewChangeBody) -> Vec<u8> {
    let mut out = VIEWCHANGE_DOMAIN.to_vec();
    out.extend_from_slice(&encode(chain_id));
    out.extend_from_slice(&encode(body));
    out
}

/// Bytes the new primary signs in a new-view: height, view, the proposal's block hash and a
/// digest of the view changes it carries.
pub fn new_view_signing_bytes(
    chain_id: &ChainId,
    height: u64,
    view: u64,
    proposal_hash: &Hash,
    view_changes: &[ViewChange],
) -> Vec<u8> {
    let vcs = Hash::tagged(NEWVIEW_DOMAIN, &[&encode(view_changes)]);
    let mut out = vote_bytes(NEWVIEW_DOMAIN, chain_id, height, view, proposal_hash);
    out.extend_from_slice(&vcs.0);
    out
}

#[cfg(test)]
mod signing_tests {
    use super::*;

    type VoteBytes = fn(&ChainId, u64, u64, &Hash) -> Vec<u8>;

    fn chains() -> (ChainId, ChainId) {
        (
            ChainId::new("tracechain-a").unwrap_or_else(|e| panic!("{e}")),
            ChainId::new("tracechain-b").unwrap_or_else(|e| panic!("{e}")),
        )
    }

    /// S1/M3: every phase's signing bytes bind the chain, the height, the view and the block,
    /// and no two phases share bytes — a signature can be moved to no other chain, slot or
    /// phase.
    #[test]
    fn signing_bytes_bind_chain_height_view_hash_and_phase() {
        let (a, b) = chains();
        let (h1, h2) = (Hash::tagged(b"one", &[]), Hash::tagged(b"two", &[]));
        let new_view =
            |c: &ChainId, h: u64, v: u64, x: &Hash| new_view_signing_bytes(c, h, v, x, &[]);
        let phases: [(&str, VoteBytes); 3] = [
            ("pre-prepare", preprepare_signing_bytes),
            ("prepare", prepare_signing_bytes),
            ("commit", commit_vote_signing_bytes),
        ];
        let mut all = std::collections::BTreeSet::new();
        for (name, f) in phases
            .iter()
            .map(|(n, f)| (*n, *f as fn(&ChainId, u64, u64, &Hash) -> Vec<u8>))
            .chain([(
                "new-view",
                new_view as fn(&ChainId, u64, u64, &Hash) -> Vec<u8>,
            )])
        {
            let base = f(&a, 5, 2, &h1);
            for (what, other) in [
                ("chain", f(&b, 5, 2, &h1)),
                ("height", f(&a, 6, 2, &h1)),
                ("view", f(&a, 5, 3, &h1)),
                ("hash", f(&a, 5, 2, &h2)),
            ] {
                assert_ne!(base, other, "{name}: the {what} is not bound");
            }
            assert!(
                all.insert(base),
                "{name} shares its bytes with another phase"
            );
        }
    }

    /// The new-view bytes bind the view changes it carries, and a view change's bytes bind the
    /// chain and every field of its body.
    #[test]
    fn view_change_and_new_view_bytes_bind_their_contents() {
        let (a, b) = chains();
        let body = ViewChangeBody {
            height: 4,
            new_view: 2,
            voter: PublicKey([7; 32]),
            committed: None,
            prepared: None,
        };
        let base = view_change_signing_bytes(&a, &body);
        assert_ne!(base, view_change_signing_bytes(&b, &body), "chain");
        for changed in [
            ViewChangeBody {
                height: 5,
                ..body.clone()
            },
            ViewChangeBody {
                new_view: 3,
                ..body.clone()
            },
            ViewChangeBody {
                voter: PublicKey([8; 32]),
                ..body.clone()
            },
        ] {
            assert_ne!(base, view_change_signing_bytes(&a, &changed));
        }
        let vc = ViewChange {
            body,
            signature: Signature([1; 64]),
        };
        let h = Hash::tagged(b"p", &[]);
        assert_ne!(
            new_view_signing_bytes(&a, 4, 2, &h, &[]),
            new_view_signing_bytes(&a, 4, 2, &h, std::slice::from_ref(&vc)),
            "the carried view changes are bound"
        );
    }
}

#[cfg(test)]
mod size_bound_tests {
    use super::*;
    use tracechain_types::{BlockHeader, CommitVote};

    fn key(i: usize) -> PublicKey {
        let mut k = [0u8; 32];
        k[..8].copy_from_slice(&(i as u64).to_be_bytes());
        PublicKey(k)
    }

    fn commit_cert(votes: usize) -> CommitCertificate {
        CommitCertificate {
            height: 1,
            view: 2,
            block_hash: Hash::tagged(b"b", &[]),
            votes: (0..votes)
                .map(|i| CommitVote {
                    validator: key(i),
                    signature: Signature([1; 64]),
                })
                .collect(),
        }
    }

    fn prepare_cert(n: usize) -> PrepareCert {
        PrepareCert {
            view: 1,
            block_hash: Hash::tagged(b"b", &[]),
            preprepare: Signature([2; 64]),
            prepares: (0..n - 1).map(|i| (key(i), Signature([3; 64]))).collect(),
        }
    }

    /// The largest view change a set of `n` validators accepts (VC6).
    fn largest_view_change(n: usize) -> ViewChange {
        ViewChange {
            body: ViewChangeBody {
                height: 2,
                new_view: 3,
                voter: key(0),
                committed: Some(commit_cert(MAX_VALIDATORS)),
                prepared: Some(prepare_cert(n)),
            },
            signature: Signature([4; 64]),
        }
    }

    fn block() -> Block {
        Block {
            header: BlockHeader {
                chain_id: ChainId::new("tracechain-bound").unwrap_or_else(|e| panic!("{e}")),
                height: 2,
                view: 3,
                parent: Hash::tagged(b"p", &[]),
                timestamp_ms: 5,
                proposer: key(1),
                validator_set_hash: Hash::tagged(b"s", &[]),
                tx_root: Block::compute_tx_root(&[]),
                state_root: Hash::tagged(b"r", &[]),
            },
            txs: Vec::new(),
        }
    }

    fn len<T: BorshSerialize>(v: &T) -> usize {
        borsh::object_length(v).unwrap_or(usize::MAX)
    }

    /// VC6/VC7: the size bounds are exact — each equals the encoded size of the largest value
    /// it bounds (with the block standing for a block of `DEFAULT_MAX_BLOCK_BYTES`), so neither
    /// an honest message can exceed its bound nor is the bound looser than it says.
    #[test]
    fn size_bounds_are_the_encoded_sizes_of_the_largest_messages() {
        for votes in [0, 1, 4, MAX_VALIDATORS] {
            assert_eq!(len(&commit_cert(votes)), max_commit_cert_bytes(votes));
        }
        let b = block();
        let block_slack = DEFAULT_MAX_BLOCK_BYTES - len(&b);
        for n in [1, 4, 7, 64] {
            assert_eq!(len(&prepare_cert(n)), max_prepare_cert_bytes(n), "n = {n}");
            let vc = largest_view_change(n);
            assert_eq!(len(&vc), max_view_change_bytes(n), "n = {n}");
            let msg = Message::ViewChange(ViewChangeMsg {
                view_change: vc.clone(),
                prepared_block: Some(b.clone()),
            });
            assert_eq!(
                len(&msg) + block_slack,
                max_view_change_msg_bytes(n),
                "n = {n}"
            );
            let nv = Message::NewView(NewView {
                height: 2,
                view: 3,
                view_changes: vec![vc; quorum_of(n)],
                proposal: Proposal {
                    view: 3,
                    block: b.clone(),
                    signature: Signature([5; 64]),
                },
                signature: Signature([6; 64]),
            });
            assert_eq!(len(&nv) + block_slack, max_new_view_bytes(n), "n = {n}");
        }
        for n in 1..=MAX_VALIDATORS {
            assert_eq!(
                quorum_of(n),
                tracechain_types::validator::quorum(n),
                "n = {n}"
            );
        }
    }
}
