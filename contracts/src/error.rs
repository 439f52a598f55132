//! The one error type of the contract modules.
//!
//! Every rejection carries the rule id ([`Rule`], displayed `R-…` as in the traceability rules), a stable error code
//! (`E_…`, part of the API contract: never renamed) and **every** offending field, so a
//! submitter can fix a record in one go.

use std::fmt;

use serde::Serialize;

use crate::rules::Rule;

/// What is wrong with one field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "detail", rename_all = "snake_case")]
pub enum Problem {
    /// A required (basic) item is absent or empty.
    Missing,
    /// Present but not well formed (the detail says how).
    Malformed(String),
    /// Longer than allowed.
    TooLong {
        /// The limit (bytes or items).
        max: usize,
    },
    /// A numeric value outside its range (the detail says which).
    OutOfRange(String),
    /// The same value appears twice where it must be unique, or is already registered.
    Duplicate(String),
    /// Refers to something the ledger does not know.
    NotFound(String),
    /// Present where it is not allowed (the detail says why).
    NotAllowed(String),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Missing => f.write_str("missing"),
            Problem::Malformed(d) => write!(f, "malformed: {d}"),
            Problem::TooLong { max } => write!(f, "too long (max {max})"),
            Problem::OutOfRange(d) => write!(f, "out of range: {d}"),
            Problem::Duplicate(d) => write!(f, "duplicate: {d}"),
            Problem::NotFound(d) => write!(f, "not found: {d}"),
            Problem::NotAllowed(d) => write!(f, "not allowed: {d}"),
        }
    }
}

/// One offending field: its path in the record (`trace_codes[2].gtin`, `currency`, …) and
/// what is wrong with it. For whole-record refusals (permission, sequence) the field names
/// the transaction part concerned (`signer`, `sequence`, `expiry_height`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldProblem {
    /// Path of the field.
    pub field: String,
    /// What is wrong.
    pub problem: Problem,
}

impl FieldProblem {
    /// Construct.
    pub fn new(field: impl Into<String>, problem: Problem) -> FieldProblem {
        FieldProblem {
            field: field.into(),
            problem,
        }
    }
}

/// Stable error codes. The string form (`E_…`) is what the API returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum ErrorCode {
    /// The sequence number is not the signer's next one.
    BadSequence,
    /// `expiry_height < height`.
    Expired,
    /// The signer is not a registered participant.
    NotRegistered,
    /// The signer's registration is not (yet) approved (R-A1).
    NotApproved,
    /// The signer is suspended (R-A3).
    Suspended,
    /// The signer is revoked (R-A3).
    Revoked,
    /// The signer's category / node types may not write this kind (R-A2, R-N1–R-N4).
    NotPermitted,
    /// A basic item is missing (R-X1); malformed items are listed with it.
    MissingBasicItem,
    /// An item is present but malformed (R-X1 and all other field checks).
    MalformedItem,
    /// A referenced trace unit is not registered (R-X4).
    UnknownTraceUnit,
    /// A trace code is registered already (R-I3).
    DuplicateTraceCode,
    /// A referenced object (participant, declaration, document, order, …) does not exist.
    NotFound,
    /// The object exists already (same key).
    AlreadyExists,
    /// The requested state change is not allowed from the current state.
    InvalidTransition,
    /// Customs gate: mandatory product/trade categories are missing (R-X3).
    CustomsGate,
    /// A collection or size limit was exceeded.
    LimitExceeded,
    /// An embedded signature or approval quorum does not verify (R-B1).
    BadApprovals,
    /// An action needs an authorisation that does not exist or has lapsed (R-Q1).
    NotAuthorised,
    /// The object was revoked or has expired (R-S1).
    RevokedOrExpired,
    /// The signer may write the kind but does not own the object it acts on (e.g. item codes
    /// under another participant's batch, revoking another issuer's document).
    NotOwner,
}

impl ErrorCode {
    /// The stable string form.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadSequence => "E_BAD_SEQUENCE",
            ErrorCode::Expired => "E_EXPIRED",
            ErrorCode::NotRegistered => "E_NOT_REGISTERED",
            ErrorCode::NotApproved => "E_NOT_APPROVED",
            ErrorCode::Suspended => "E_PARTICIPANT_SUSPENDED",
            ErrorCode::Revoked => "E_PARTICIPANT_REVOKED",
            ErrorCode::NotPermitted => "E_NOT_PERMITTED",
            ErrorCode::MissingBasicItem => "E_MISSING_BASIC_ITEM",
            ErrorCode::MalformedItem => "E_MALFORMED_ITEM",
            ErrorCode::UnknownTraceUnit => "E_UNKNOWN_TRACE_UNIT",
            ErrorCode::DuplicateTraceCode => "E_DUPLICATE_TRACE_CODE",
            ErrorCode::NotFound => "E_NOT_FOUND",
            ErrorCode::AlreadyExists => "E_ALREADY_EXISTS",
            ErrorCode::InvalidTransition => "E_INVALID_TRANSITION",
            ErrorCode::CustomsGate => "E_CUSTOMS_GATE_MISSING_CATEGORIES",
            ErrorCode::LimitExceeded => "E_LIMIT_EXCEEDED",
            ErrorCode::BadApprovals => "E_BAD_APPROVALS",
            ErrorCode::NotAuthorised => "E_NOT_AUTHORISED",
            ErrorCode::RevokedOrExpired => "E_REVOKED_OR_EXPIRED",
            ErrorCode::NotOwner => "E_NOT_OWNER",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A refused transaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{rule} {code}: {}", render(.problems))]
pub struct ContractError {
    /// The rule refused under (`R-…`; `R-D3` for replay protection: sequence and expiry).
    pub rule: Rule,
    /// Stable code.
    pub code: ErrorCode,
    /// Every offending field (at least one).
    pub problems: Vec<FieldProblem>,
}

fn render(problems: &[FieldProblem]) -> String {
    let parts: Vec<String> = problems
        .iter()
        .map(|p| format!("{}: {}", p.field, p.problem))
        .collect();
    parts.join("; ")
}

impl ContractError {
    /// An error with one problem.
    pub fn one(
        rule: Rule,
        code: ErrorCode,
        field: impl Into<String>,
        problem: Problem,
    ) -> ContractError {
        ContractError {
            rule,
            code,
            problems: vec![FieldProblem::new(field, problem)],
        }
    }

    /// Whether a field of this name is among the problems.
    pub fn names(&self, field: &str) -> bool {
        self.problems.iter().any(|p| p.field == field)
    }
}
