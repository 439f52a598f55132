//! The four information blocks (Tables 1–4): R-X1 validation, R-N1–R-N4 writers, R-X3 gate.
//! (Phase 1 stub: filled by part A's phase 2.)

use tracechain_types::Payload;

use crate::error::{ContractError, ErrorCode, Problem};
use crate::exec::TxEnv;

/// Execute a block record (Tables 1–4). `self_declared` marks R-B4 manual imports.
pub fn execute(
    _env: &mut TxEnv<'_>,
    _payload: &Payload,
    _self_declared: bool,
) -> Result<(), ContractError> {
    Err(ContractError::one(
        "R-X1",
        ErrorCode::NotYetEnforced,
        "payload",
        Problem::NotAllowed("block records are not implemented yet".into()),
    ))
}
