//! The registry's stored entries and the reads every transaction makes of them: the signer's
//! entry (permissions, R-A2) and two-sided trade relationships (R-A6). Below the contract
//! modules and the execution context, so that both read them without importing the registry
//! contract ([`crate::registry`] writes them and re-exports these items).

use borsh::{BorshDeserialize, BorshSerialize};
use tracechain_types::records::{ParticipantAction, ParticipantRegistration};
use tracechain_types::{Hash, PublicKey};

use crate::state::{decode_stored, StateView};
use crate::state_keys;

/// A participant's state (R-A1, R-A3).
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    BorshSerialize,
    BorshDeserialize,
    serde::Serialize,
)]
pub enum ParticipantState {
    /// Registered, waiting for a regulator.
    Pending,
    /// May write what its category / node types allow.
    Approved,
    /// Temporarily barred from writing.
    Suspended,
    /// Permanently barred.
    Revoked,
    /// Registration refused; may register again.
    Rejected,
}

impl ParticipantState {
    /// All states.
    pub const ALL: [ParticipantState; 5] = [
        ParticipantState::Pending,
        ParticipantState::Approved,
        ParticipantState::Suspended,
        ParticipantState::Revoked,
        ParticipantState::Rejected,
    ];
}

/// A registry entry (`par/{key}`).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Participant {
    /// The participant's key.
    pub key: PublicKey,
    /// What it declared.
    pub registration: ParticipantRegistration,
    /// Current state.
    pub state: ParticipantState,
    /// Height of (the latest) registration.
    pub registered_height: u64,
    /// The last decision: by whom, which, why, at which height (R-B5).
    pub last_decision: Option<(PublicKey, ParticipantAction, String, u64)>,
    /// Decisions applied since (the latest) registration: the round that departments' votes
    /// on a regulator count in (ADR 0041).
    pub decisions: u64,
}

/// One side of a trade relationship (`rel/{signer}/{counterparty}`).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct RelationshipSide {
    /// Hash of the terms this side signed.
    pub terms: Hash,
    /// Height signed.
    pub height: u64,
}

/// The registry entry of `key`.
pub fn load(state: &dyn StateView, key: &PublicKey) -> Option<Participant> {
    let k = state_keys::participant(key);
    state.get_ref(&k).map(|b| decode_stored(&k, &b))
}

/// Whether a trade relationship between `a` and `b` exists: both signed the same terms
/// (R-A6). Returns the terms.
pub fn relationship(state: &dyn StateView, a: &PublicKey, b: &PublicKey) -> Option<Hash> {
    let ka = state_keys::relationship(a, b);
    let kb = state_keys::relationship(b, a);
    let sa: RelationshipSide = decode_stored(&ka, &state.get(&ka)?);
    let sb: RelationshipSide = decode_stored(&kb, &state.get(&kb)?);
    (sa.terms == sb.terms).then_some(sa.terms)
}
