//! Invariant I12 of the checker: every certificate an honest replica sends verifies.
//!
//! The replica checks a certificate when it arrives; a replica that accepted a forged,
//! relabelled, short or padded one (a weakened check) passes it on in its own messages — a
//! view change's prepared certificate, a new-view's view changes, a `Decided` or a pre-prepare's
//! parent certificate. The checker verifies them independently of the replica's code, against
//! the validator set honest commits decided for the height.

use tracechain_types::{ChainId, CommitCertificate, SignatureVerifier, ValidatorSet};

use crate::messages::{
    new_view_signing_bytes, prepare_signing_bytes, preprepare_signing_bytes,
    view_change_signing_bytes, Message, NewView, PrepareCert, ViewChange,
};

/// The primary of (height, view) in `set` (P1).
fn primary(set: &ValidatorSet, height: u64, view: u64) -> Option<tracechain_types::PublicKey> {
    let n = set.len() as u64;
    set.get((height.wrapping_add(view) % n.max(1)) as usize)
        .map(|v| v.public_key)
}

/// VC1, checked independently: a quorum of the view's primary's pre-prepare plus strictly
/// ascending prepares of other members, every signature valid.
pub fn verify_prepare_cert(
    chain: &ChainId,
    set: &ValidatorSet,
    height: u64,
    c: &PrepareCert,
    verifier: &impl SignatureVerifier,
) -> Result<(), String> {
    let Some(p) = primary(set, height, c.view) else {
        return Err("empty validator set".into());
    };
    if 1 + c.prepares.len() < set.quorum() {
        return Err(format!(
            "prepare certificate of {} votes, a quorum is {}",
            1 + c.prepares.len(),
            set.quorum()
        ));
    }
    if c.prepares.windows(2).any(|w| w[0].0 >= w[1].0) {
        return Err("prepares not strictly ascending".into());
    }
    if c.prepares.iter().any(|(k, _)| *k == p || !set.contains(k)) {
        return Err("prepare from the primary or a non-member".into());
    }
    let pp = preprepare_signing_bytes(chain, height, c.view, &c.block_hash);
    if !verifier.verify(&p, &pp, &c.preprepare) {
        return Err("pre-prepare signature does not verify".into());
    }
    let bytes = prepare_signing_bytes(chain, height, c.view, &c.block_hash);
    if c.prepares
        .iter()
        .any(|(k, s)| !verifier.verify(k, &bytes, s))
    {
        return Err("prepare signature does not verify".into());
    }
    Ok(())
}

/// A view change as an honest replica may pass it on: signed by a member, its prepared
/// certificate valid and below the new view.
pub fn verify_view_change(
    chain: &ChainId,
    set: &ValidatorSet,
    vc: &ViewChange,
    verifier: &impl SignatureVerifier,
) -> Result<(), String> {
    let b = &vc.body;
    if !set.contains(&b.voter) {
        return Err("view change from a non-member".into());
    }
    if !verifier.verify(
        &b.voter,
        &view_change_signing_bytes(chain, b),
        &vc.signature,
    ) {
        return Err("view-change signature does not verify".into());
    }
    if let Some(c) = &b.prepared {
        if c.view >= b.new_view {
            return Err("prepared view not below the new view".into());
        }
        verify_prepare_cert(chain, set, b.height, c, verifier)?;
    }
    Ok(())
}

/// I12: the certificates inside a message an honest replica sends. `set_for` gives the
/// validator set of a height.
pub fn check_sent(
    chain: &ChainId,
    set_for: &dyn Fn(u64) -> ValidatorSet,
    msg: &Message,
    verifier: &impl SignatureVerifier,
) -> Result<(), String> {
    let commit = |c: &CommitCertificate| {
        c.verify(chain, c.height, &c.block_hash, &set_for(c.height), verifier)
            .map_err(|e| format!("commit certificate of height {}: {e}", c.height))
    };
    match msg {
        Message::Decided(c) => commit(c),
        Message::PrePrepare(pp) => match &pp.parent_cert {
            Some(c) => commit(c),
            None => Ok(()),
        },
        Message::ViewChange(vcm) => {
            let b = &vcm.view_change.body;
            verify_view_change(chain, &set_for(b.height), &vcm.view_change, verifier)
        }
        Message::NewView(nv) => check_view_changes(chain, &set_for(nv.height), nv, verifier),
        Message::Prepare(_) | Message::Commit(_) => Ok(()),
    }
}

/// VC3a–VC3c, checked independently: exactly a quorum of valid view changes for the
/// new-view's height and view, from distinct members in key order.
fn check_view_changes(
    chain: &ChainId,
    set: &ValidatorSet,
    nv: &NewView,
    verifier: &impl SignatureVerifier,
) -> Result<(), String> {
    if nv.view_changes.len() != set.quorum() {
        return Err(format!(
            "new-view with {} view changes, a quorum is {}",
            nv.view_changes.len(),
            set.quorum()
        ));
    }
    for vc in &nv.view_changes {
        if vc.body.new_view != nv.view || vc.body.height != nv.height {
            return Err(format!(
                "new-view for ({}, {}) carries a view change for ({}, {})",
                nv.height, nv.view, vc.body.height, vc.body.new_view
            ));
        }
        verify_view_change(chain, set, vc, verifier)?;
    }
    if nv
        .view_changes
        .windows(2)
        .any(|w| w[0].body.voter >= w[1].body.voter)
    {
        return Err("view changes not from distinct voters in key order".into());
    }
    Ok(())
}

/// VC3, checked independently: the whole new-view `nv` sent by `from` — its view changes, the
/// sender being the view's primary, the proposal being the highest prepared one (or a fresh
/// block of this view), both signatures. Returns the proposal's hash.
pub fn verify_new_view(
    chain: &ChainId,
    set: &ValidatorSet,
    from: tracechain_types::PublicKey,
    nv: &NewView,
    verifier: &impl SignatureVerifier,
) -> Result<tracechain_types::Hash, String> {
    if primary(set, nv.height, nv.view) != Some(from) {
        return Err("new-view not from the view's primary".into());
    }
    check_view_changes(chain, set, nv, verifier)?;
    if nv.proposal.view != nv.view {
        return Err("proposal for another view".into());
    }
    let hash = nv.proposal.block.hash();
    let required = nv
        .view_changes
        .iter()
        .filter_map(|vc| vc.body.prepared.as_ref())
        .max_by(|a, b| (a.view, a.block_hash).cmp(&(b.view, b.block_hash)));
    match required {
        Some(c) if c.block_hash != hash => {
            return Err("proposal is not the highest prepared one".into())
        }
        None if nv.proposal.block.header.view != nv.view => {
            return Err("fresh proposal names another view".into())
        }
        _ => {}
    }
    let nvb = new_view_signing_bytes(chain, nv.height, nv.view, &hash, &nv.view_changes);
    let ppb = preprepare_signing_bytes(chain, nv.height, nv.view, &hash);
    if !verifier.verify(&from, &nvb, &nv.signature)
        || !verifier.verify(&from, &ppb, &nv.proposal.signature)
    {
        return Err("new-view or proposal signature does not verify".into());
    }
    Ok(hash)
}
