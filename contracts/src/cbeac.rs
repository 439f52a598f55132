//! Alliance-chain business: filing, declaration, parallel approval, manual import (R-B2 to R-B5).
//! Owned by part B (see docs/contracts.md, "How to add a record kind"). Phase 1 stub.

use crate::error::{ContractError, ErrorCode, Problem};
use crate::exec::TxEnv;
use tracechain_types::records;

/// Execute a `Filing` (R-B2).
pub fn filing(_env: &mut TxEnv<'_>, _r: &records::Filing) -> Result<(), ContractError> {
    Err(ContractError::one(
        "R-B2",
        ErrorCode::NotYetEnforced,
        "payload",
        Problem::NotAllowed("Filing is not implemented yet".into()),
    ))
}

/// Execute a `FilingDecision` (R-B2).
pub fn filing_decision(
    _env: &mut TxEnv<'_>,
    _r: &records::FilingDecision,
) -> Result<(), ContractError> {
    Err(ContractError::one(
        "R-B2",
        ErrorCode::NotYetEnforced,
        "payload",
        Problem::NotAllowed("FilingDecision is not implemented yet".into()),
    ))
}

/// Execute a `ExportDeclaration` (R-B3).
pub fn export_declaration(
    _env: &mut TxEnv<'_>,
    _r: &records::ExportDeclaration,
) -> Result<(), ContractError> {
    Err(ContractError::one(
        "R-B3",
        ErrorCode::NotYetEnforced,
        "payload",
        Problem::NotAllowed("ExportDeclaration is not implemented yet".into()),
    ))
}

/// Execute a `DeclarationDecision` (R-B3).
pub fn declaration_decision(
    _env: &mut TxEnv<'_>,
    _r: &records::DeclarationDecision,
) -> Result<(), ContractError> {
    Err(ContractError::one(
        "R-B3",
        ErrorCode::NotYetEnforced,
        "payload",
        Problem::NotAllowed("DeclarationDecision is not implemented yet".into()),
    ))
}

/// Execute a `ManualImport` (R-B4).
pub fn manual_import(
    _env: &mut TxEnv<'_>,
    _r: &records::ManualImport,
) -> Result<(), ContractError> {
    Err(ContractError::one(
        "R-B4",
        ErrorCode::NotYetEnforced,
        "payload",
        Problem::NotAllowed("ManualImport is not implemented yet".into()),
    ))
}
