//! Lineage links: transformation, aggregation, shipment (R-S3 graph).
//! Owned by part B (see docs/contracts.md, "How to add a record kind"). Phase 1 stub.

use crate::error::{ContractError, ErrorCode, Problem};
use crate::exec::TxEnv;
use tracechain_types::records;

/// Execute a `Transformation` (R-S3).
pub fn transformation(
    _env: &mut TxEnv<'_>,
    _r: &records::Transformation,
) -> Result<(), ContractError> {
    Err(ContractError::one(
        "R-S3",
        ErrorCode::NotYetEnforced,
        "payload",
        Problem::NotAllowed("Transformation is not implemented yet".into()),
    ))
}

/// Execute a `Aggregation` (R-S3).
pub fn aggregation(_env: &mut TxEnv<'_>, _r: &records::Aggregation) -> Result<(), ContractError> {
    Err(ContractError::one(
        "R-S3",
        ErrorCode::NotYetEnforced,
        "payload",
        Problem::NotAllowed("Aggregation is not implemented yet".into()),
    ))
}

/// Execute a `Shipment` (R-S3).
pub fn shipment(_env: &mut TxEnv<'_>, _r: &records::Shipment) -> Result<(), ContractError> {
    Err(ContractError::one(
        "R-S3",
        ErrorCode::NotYetEnforced,
        "payload",
        Problem::NotAllowed("Shipment is not implemented yet".into()),
    ))
}
