//! Recall (R-S3).
//! Owned by part B (see docs/contracts.md, "How to add a record kind"). Phase 1 stub.

use crate::error::{ContractError, ErrorCode, Problem};
use crate::exec::TxEnv;
use tracechain_types::records;

/// Execute a `Recall` (R-S3).
pub fn recall(_env: &mut TxEnv<'_>, _r: &records::Recall) -> Result<(), ContractError> {
    Err(ContractError::one(
        "R-S3",
        ErrorCode::NotYetEnforced,
        "payload",
        Problem::NotAllowed("Recall is not implemented yet".into()),
    ))
}
