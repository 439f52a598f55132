//! Validator-set change (R-B1).
//! Owned by part B (see docs/contracts.md, "How to add a record kind"). Phase 1 stub.

use crate::error::{ContractError, ErrorCode, Problem};
use crate::exec::TxEnv;
use tracechain_types::payload::ValidatorSetChange;

/// Execute a `ValidatorSetChange` (R-B1).
pub fn validator_set_change(
    _env: &mut TxEnv<'_>,
    _r: &ValidatorSetChange,
) -> Result<(), ContractError> {
    Err(ContractError::one(
        "R-B1",
        ErrorCode::NotYetEnforced,
        "payload",
        Problem::NotAllowed("ValidatorSetChange is not implemented yet".into()),
    ))
}
