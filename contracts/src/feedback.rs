//! Feedback and answers (R-S7).
//! Owned by part B (see docs/contracts.md, "How to add a record kind"). Phase 1 stub.

use crate::error::{ContractError, ErrorCode, Problem};
use crate::exec::TxEnv;
use tracechain_types::records;

/// Execute a `Feedback` (R-S7).
pub fn feedback(_env: &mut TxEnv<'_>, _r: &records::Feedback) -> Result<(), ContractError> {
    Err(ContractError::one(
        "R-S7",
        ErrorCode::NotYetEnforced,
        "payload",
        Problem::NotAllowed("Feedback is not implemented yet".into()),
    ))
}

/// Execute a `FeedbackAnswer` (R-S7).
pub fn answer(_env: &mut TxEnv<'_>, _r: &records::FeedbackAnswer) -> Result<(), ContractError> {
    Err(ContractError::one(
        "R-S7",
        ErrorCode::NotYetEnforced,
        "payload",
        Problem::NotAllowed("FeedbackAnswer is not implemented yet".into()),
    ))
}
