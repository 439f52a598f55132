//! Consumer scans (R-S4).
//! Owned by part B (see docs/contracts.md, "How to add a record kind"). Phase 1 stub.

use crate::error::{ContractError, ErrorCode, Problem};
use crate::exec::TxEnv;
use tracechain_types::records;

/// Execute a `ConsumerScan` (R-S4).
pub fn consumer_scan(
    _env: &mut TxEnv<'_>,
    _r: &records::ConsumerScan,
) -> Result<(), ContractError> {
    Err(ContractError::one(
        "R-S4",
        ErrorCode::NotYetEnforced,
        "payload",
        Problem::NotAllowed("ConsumerScan is not implemented yet".into()),
    ))
}
