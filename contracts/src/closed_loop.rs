//! Closed loop: authorisation, payment-to-order link, bulk import (R-Q1, R-Q3).
//! Owned by part B (see docs/contracts.md, "How to add a record kind"). Phase 1 stub.

use crate::error::{ContractError, ErrorCode, Problem};
use crate::exec::TxEnv;
use tracechain_types::records;

/// Execute a `LinkAuthorisation` (R-Q1).
pub fn link_authorisation(
    _env: &mut TxEnv<'_>,
    _r: &records::LinkAuthorisation,
) -> Result<(), ContractError> {
    Err(ContractError::one(
        "R-Q1",
        ErrorCode::NotYetEnforced,
        "payload",
        Problem::NotAllowed("LinkAuthorisation is not implemented yet".into()),
    ))
}

/// Execute a `PaymentOrderLink` (R-Q1).
pub fn payment_order_link(
    _env: &mut TxEnv<'_>,
    _r: &records::PaymentOrderLink,
) -> Result<(), ContractError> {
    Err(ContractError::one(
        "R-Q1",
        ErrorCode::NotYetEnforced,
        "payload",
        Problem::NotAllowed("PaymentOrderLink is not implemented yet".into()),
    ))
}

/// Execute a `BulkImport` (R-Q3).
pub fn bulk_import(_env: &mut TxEnv<'_>, _r: &records::BulkImport) -> Result<(), ContractError> {
    Err(ContractError::one(
        "R-Q3",
        ErrorCode::NotYetEnforced,
        "payload",
        Problem::NotAllowed("BulkImport is not implemented yet".into()),
    ))
}
