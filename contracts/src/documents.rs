//! Document anchoring and revocation (R-S1).
//! Owned by part B (see docs/contracts.md, "How to add a record kind"). Phase 1 stub.

use crate::error::{ContractError, ErrorCode, Problem};
use crate::exec::TxEnv;
use tracechain_types::records;

/// Execute a `DocumentAnchor` (R-S1).
pub fn anchor(_env: &mut TxEnv<'_>, _r: &records::DocumentAnchor) -> Result<(), ContractError> {
    Err(ContractError::one(
        "R-S1",
        ErrorCode::NotYetEnforced,
        "payload",
        Problem::NotAllowed("DocumentAnchor is not implemented yet".into()),
    ))
}

/// Execute a `DocumentRevocation` (R-S1).
pub fn revoke(_env: &mut TxEnv<'_>, _r: &records::DocumentRevocation) -> Result<(), ContractError> {
    Err(ContractError::one(
        "R-S1",
        ErrorCode::NotYetEnforced,
        "payload",
        Problem::NotAllowed("DocumentRevocation is not implemented yet".into()),
    ))
}
