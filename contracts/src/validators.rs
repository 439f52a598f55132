//! Validator-set change (R-B1): the set is fixed in genesis and changed only by a transaction
//! signed by a quorum of the current validators.
//!
//! **Signed message (ADR 0026, v2).** Each approving validator signs
//! `Hash::tagged(VALIDATOR_CHANGE_DOMAIN, [encode(chain id), encode(change number), current set
//! hash, new set hash])` ([`change_message`]): the domain tag keeps the signature from meaning
//! anything else, the chain id binds it to one chain, the current set's hash makes it usable
//! only against the set that approved it, and the change number — how many changes were
//! decided before this one ([`change_count`], `val/count`) — makes it usable once: if the set
//! returns to an earlier one (A → B → A), an approval of the earlier A → B change names an
//! old number and is refused.
//!
//! **Rules.** Approvals are sorted by key, strictly (no duplicates); every approver is a
//! member of the current set and its signature verifies (ZIP-215); their number is at least
//! `ValidatorSet::quorum()` of the current set; every key of the new set is registrable (no
//! weak / small-order keys); the new set differs from the current one; no other change is
//! pending. A change decided at height H takes effect at H + 2 (the consensus reads
//! [`pending`] / [`set_at`]).
//!
//! Key layout: `val/pending` → [`PendingChange`]; `val/h/{effective height:u64 be}` → the set;
//! `val/count` → `u64`, the number of changes decided so far (absent = 0).

use borsh::{BorshDeserialize, BorshSerialize};
use tracechain_types::payload::ValidatorSetChange;
use tracechain_types::{encode, ChainId, Hash, ValidatorSet};

use crate::context::TxEnv;
use crate::error::{ContractError, ErrorCode, FieldProblem, Problem};
use crate::index_tags::IndexTag;
use crate::rules::Rule;
use crate::state::{decode_stored, StateView};
use crate::state_keys;

/// Domain tag of validator-set change approvals.
/// `v2`: the message carries the change number (v1 had none and could be replayed when the
/// set returned to an earlier one).
pub const VALIDATOR_CHANGE_DOMAIN: &[u8] = b"tracechain/validator-set-change/v2";
/// Heights between the decision and the new set taking effect.
pub const ACTIVATION_DELAY: u64 = 2;

/// A decided change (`val/pending` until it takes effect; kept in `val/h/` for history).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct PendingChange {
    /// The new set.
    pub new_set: ValidatorSet,
    /// Decided at.
    pub decided_height: u64,
    /// In force from.
    pub effective_height: u64,
    /// The deciding transaction.
    pub tx_id: Hash,
}

/// The validator-set change a committed block decides (the consensus's `set_change_of`,
/// VS1): the last validator-set change among its transactions — every transaction of a
/// committed block executed, so each such change was decided, and a later one in the same
/// block supersedes nothing (a second change while one is pending is refused). A pure
/// function of the block.
pub fn set_change_of(block: &tracechain_types::Block) -> Option<ValidatorSet> {
    block
        .txs
        .iter()
        .rev()
        .find_map(|tx| match &tx.body.payload {
            tracechain_types::Payload::Chain(
                tracechain_types::ChainRecord::ValidatorSetChange(c),
            ) => Some(c.new_set.clone()),
            _ => None,
        })
}

/// What approving validators sign for change number `change_number` (the value of
/// [`change_count`] when the change is decided) from `current` to `new_set`.
pub fn change_message(
    chain: &ChainId,
    change_number: u64,
    current: &ValidatorSet,
    new_set: &ValidatorSet,
) -> Hash {
    Hash::tagged(
        VALIDATOR_CHANGE_DOMAIN,
        &[
            &encode(chain),
            &encode(&change_number),
            current.hash().as_bytes(),
            new_set.hash().as_bytes(),
        ],
    )
}

/// `val/count`: how many validator-set changes were decided (absent: none).
pub fn count_key() -> Vec<u8> {
    b"val/count".to_vec()
}

/// How many validator-set changes were decided so far (0 at genesis): the number the next
/// change's approvals sign.
pub fn change_count(state: &dyn StateView) -> u64 {
    let k = count_key();
    state
        .get_ref(&k)
        .map(|b| decode_stored(&k, &b))
        .unwrap_or(0)
}

/// The prefix of every [`history_key`].
pub fn history_prefix() -> Vec<u8> {
    state_keys::key("val/h/", &[])
}

fn pending_key() -> Vec<u8> {
    b"val/pending".to_vec()
}

/// `val/h/{effective height}`: the set decided to take effect at that height, written at the
/// height it was decided ([`ACTIVATION_DELAY`] earlier) and kept for history.
pub fn history_key(h: u64) -> Vec<u8> {
    state_keys::key("val/h/", &[&h.to_be_bytes()])
}

/// The decided change, if any (it may already be in force: compare its effective height).
pub fn pending(state: &dyn StateView) -> Option<PendingChange> {
    let k = pending_key();
    state.get_ref(&k).map(|b| decode_stored(&k, &b))
}

/// The set decided to take effect exactly at `effective_height`, if any.
pub fn set_at(state: &dyn StateView, effective_height: u64) -> Option<ValidatorSet> {
    let k = history_key(effective_height);
    state.get_ref(&k).map(|b| decode_stored(&k, &b))
}

/// ValidatorSetChange (R-B1).
pub(crate) fn validator_set_change(
    env: &mut TxEnv<'_>,
    r: &ValidatorSetChange,
) -> Result<(), ContractError> {
    let current = &env.ctx.validators;
    let mut problems = Vec::new();
    for (i, v) in r.new_set.validators().iter().enumerate() {
        if let Err(e) = v.public_key.check_registrable() {
            problems.push(FieldProblem::new(
                format!("new_set[{i}].public_key"),
                Problem::Malformed(e.to_string()),
            ));
        }
    }
    if r.new_set == *current {
        problems.push(FieldProblem::new(
            "new_set",
            Problem::NotAllowed("the new set equals the current set".into()),
        ));
    }
    if !problems.is_empty() {
        return Err(ContractError {
            rule: Rule::RB1,
            code: ErrorCode::MalformedItem,
            problems,
        });
    }
    let number = change_count(&env.state);
    let msg = change_message(&env.ctx.chain_id, number, current, &r.new_set);
    let mut problems = Vec::new();
    let mut valid = 0usize;
    for (i, (pk, sig)) in r.approvals.iter().enumerate() {
        let f = format!("approvals[{i}]");
        if i > 0 && r.approvals.get(i - 1).is_some_and(|(prev, _)| prev >= pk) {
            problems.push(FieldProblem::new(
                f,
                Problem::Malformed("approvals must be sorted by key without duplicates".into()),
            ));
            continue;
        }
        if !current.contains(pk) {
            problems.push(FieldProblem::new(
                f,
                Problem::NotAllowed("not a member of the current validator set".into()),
            ));
            continue;
        }
        match pk.verify(msg.as_bytes(), sig) {
            Ok(()) => valid += 1,
            Err(e) => problems.push(FieldProblem::new(f, Problem::Malformed(e.to_string()))),
        }
    }
    let quorum = current.quorum();
    if valid < quorum {
        problems.push(FieldProblem::new(
            "approvals",
            Problem::OutOfRange(format!("{valid} valid approvals, quorum is {quorum}")),
        ));
    }
    if !problems.is_empty() {
        return Err(ContractError {
            rule: Rule::RB1,
            code: ErrorCode::BadApprovals,
            problems,
        });
    }
    if let Some(p) = pending(&env.state) {
        if p.effective_height > env.ctx.height {
            return Err(ContractError::one(
                Rule::RB1,
                ErrorCode::InvalidTransition,
                "new_set",
                Problem::NotAllowed(format!(
                    "a change decided at {} takes effect at {}; wait for it",
                    p.decided_height, p.effective_height
                )),
            ));
        }
    }
    let effective_height = env.ctx.height.saturating_add(ACTIVATION_DELAY);
    let change = PendingChange {
        new_set: r.new_set.clone(),
        decided_height: env.ctx.height,
        effective_height,
        tx_id: env.tx_id,
    };
    let next = number.checked_add(1).ok_or_else(|| {
        ContractError::one(
            Rule::RB1,
            ErrorCode::LimitExceeded,
            "new_set",
            Problem::OutOfRange("validator-set change number exhausted".into()),
        )
    })?;
    env.state.put_value(count_key(), &next);
    env.state.put_value(pending_key(), &change);
    env.state
        .put_value(history_key(effective_height), &r.new_set);
    env.store_record(IndexTag::ValidatorSet, &[]);
    Ok(())
}
