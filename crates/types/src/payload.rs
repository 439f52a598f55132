//! The payload of a transaction: one record kind per variant.
//!
//! The record kinds and who may write them are defined by the contract modules
//! (`tracechain-contracts`, see `docs/contracts.md`); their data types live here so that
//! transactions and blocks can be encoded, hashed and verified without the contracts.

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

use crate::crypto::{PublicKey, Signature};
use crate::validator::ValidatorSet;

/// A transaction's payload.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Payload {
    /// Replace the validator set (R-B1): signed by a quorum of the current validators; decided
    /// at height H, in force from H + 2.
    ValidatorSetChange(ValidatorSetChange),
}

/// A validator-set change (R-B1).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct ValidatorSetChange {
    /// The new set.
    pub new_set: ValidatorSet,
    /// Signatures of current validators over the new set's hash, sorted by key.
    pub approvals: Vec<(PublicKey, Signature)>,
}
