//! The single table of who may write which payload kind (R-A2, R-N1–R-N4, R-T2, R-A1, R-A3,
//! R-B*, R-Q*, R-S*). Checked in [`crate::execute_transaction`] before any module runs, on every
//! validator, so a block carrying an unauthorised record fails re-execution.
//!
//! A participant may write a kind when it is **approved** and (its category is listed, or one
//! of its node types is listed, or the kind is open to any approved participant). Two special
//! writers exist: `unregistered` (a key without a live registration, for its own
//! registration) and `validator` (a member of the current validator set, R-B1). Pending and
//! rejected participants are refused under R-A1, suspended and revoked ones under R-A3.
//! Modules add object-level checks on top (e.g. only the registrant of a trace unit adds item
//! codes under it; only the issuer revokes its document).

use tracechain_types::payload::PayloadKind;
use tracechain_types::records::{NodeType, ParticipantCategory};
use tracechain_types::PublicKey;

use crate::context::BlockContext;
use crate::error::{ContractError, ErrorCode, Problem};
use crate::registry::{Participant, ParticipantState};
use crate::rules::Rule;

/// A participant category without its sub-kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CategoryClass {
    /// Trade entity (any kind).
    TradeEntity,
    /// Logistics enterprise.
    Logistics,
    /// Financial institution.
    Financial,
    /// Regulator (any agency).
    Regulator,
    /// Consumer or other organisation.
    ConsumerOrOther,
    /// Platform operator.
    PlatformOperator,
}

impl CategoryClass {
    /// All classes.
    pub const ALL: [CategoryClass; 6] = [
        CategoryClass::TradeEntity,
        CategoryClass::Logistics,
        CategoryClass::Financial,
        CategoryClass::Regulator,
        CategoryClass::ConsumerOrOther,
        CategoryClass::PlatformOperator,
    ];

    /// The class of a category.
    pub fn of(c: &ParticipantCategory) -> CategoryClass {
        match c {
            ParticipantCategory::TradeEntity(_) => CategoryClass::TradeEntity,
            ParticipantCategory::Logistics => CategoryClass::Logistics,
            ParticipantCategory::Financial => CategoryClass::Financial,
            ParticipantCategory::Regulator(_) => CategoryClass::Regulator,
            ParticipantCategory::ConsumerOrOther => CategoryClass::ConsumerOrOther,
            ParticipantCategory::PlatformOperator => CategoryClass::PlatformOperator,
        }
    }
}

/// Who may write one kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WriteRule {
    /// The kind.
    pub kind: PayloadKind,
    /// The rule cited when refused for category / node type.
    pub rule: Rule,
    /// Node types allowed (any one suffices).
    pub node_types: &'static [NodeType],
    /// Categories allowed.
    pub categories: &'static [CategoryClass],
    /// Open to every approved participant.
    pub any_approved: bool,
    /// Open to a key without a live registration (its own registration).
    pub unregistered: bool,
    /// Open to members of the current validator set.
    pub validator: bool,
}

const NONE_T: &[NodeType] = &[];
const NONE_C: &[CategoryClass] = &[];
const PRODUCER: &[NodeType] = &[NodeType::Producer];
const TRADE: &[NodeType] = &[NodeType::DomesticProcurement, NodeType::TradingPlatform];
const PAYMENT: &[NodeType] = &[NodeType::CrossBorderPayment];
const LOGISTICS: &[NodeType] = &[
    NodeType::CollectionConsolidation,
    NodeType::TallyPicking,
    NodeType::InternationalTransport,
    NodeType::OverseasWarehouse,
    NodeType::OverseasClearanceDelivery,
];
const LOGISTICS_AND_PRODUCER: &[NodeType] = &[
    NodeType::Producer,
    NodeType::CollectionConsolidation,
    NodeType::TallyPicking,
    NodeType::InternationalTransport,
    NodeType::OverseasWarehouse,
    NodeType::OverseasClearanceDelivery,
];
const PORT: &[NodeType] = &[NodeType::PortClearance];
const UNIT_REGISTRARS: &[NodeType] = &[NodeType::Producer, NodeType::DomesticProcurement];
const LINKERS: &[NodeType] = &[NodeType::TradingPlatform, NodeType::CrossBorderPayment];
const PLATFORM_T: &[NodeType] = &[NodeType::TradingPlatform];
const REGULATOR: &[CategoryClass] = &[CategoryClass::Regulator];
const TRADE_ENTITY: &[CategoryClass] = &[CategoryClass::TradeEntity];
const OPERATOR: &[CategoryClass] = &[CategoryClass::PlatformOperator];
const SCANNERS: &[CategoryClass] = &[
    CategoryClass::ConsumerOrOther,
    CategoryClass::PlatformOperator,
];
/// Trace-service providers (R-A4, Table 5).
const SERVICE_PROVIDERS: &[CategoryClass] = &[
    CategoryClass::TradeEntity,
    CategoryClass::Logistics,
    CategoryClass::Financial,
    CategoryClass::Regulator,
    CategoryClass::PlatformOperator,
];

const fn r(
    kind: PayloadKind,
    rule: Rule,
    node_types: &'static [NodeType],
    categories: &'static [CategoryClass],
) -> WriteRule {
    WriteRule {
        kind,
        rule,
        node_types,
        categories,
        any_approved: false,
        unregistered: false,
        validator: false,
    }
}

const fn any(kind: PayloadKind, rule: Rule) -> WriteRule {
    WriteRule {
        kind,
        rule,
        node_types: NONE_T,
        categories: NONE_C,
        any_approved: true,
        unregistered: false,
        validator: false,
    }
}

use PayloadKind as K;

/// The permission table: exactly one row per [`PayloadKind`], in tag order (family by family,
/// [`PayloadKind::ALL`]).
pub const PERMISSIONS: [WriteRule; 43] = [
    WriteRule {
        kind: K::ValidatorSetChange,
        rule: Rule::RB1,
        node_types: NONE_T,
        categories: NONE_C,
        any_approved: false,
        unregistered: false,
        validator: true,
    },
    WriteRule {
        kind: K::RegisterParticipant,
        rule: Rule::RA1,
        node_types: NONE_T,
        categories: NONE_C,
        any_approved: false,
        unregistered: true,
        validator: false,
    },
    r(K::ParticipantDecision, Rule::RA1, NONE_T, REGULATOR),
    any(K::TradeRelationship, Rule::RA6),
    r(K::CompanyPrefixClaim, Rule::RI2, UNIT_REGISTRARS, NONE_C), // brand owners (ADR 0042)
    r(K::CompanyPrefixDecision, Rule::RI2, NONE_T, REGULATOR),
    r(
        K::CompanyPrefixDelegation,
        Rule::RI2,
        UNIT_REGISTRARS,
        NONE_C,
    ),
    r(K::RegisterTraceUnit, Rule::RI1, UNIT_REGISTRARS, NONE_C),
    r(K::RegisterItemCodes, Rule::RI1, UNIT_REGISTRARS, NONE_C),
    any(K::Handover, Rule::RA6), // custodians, checked by the module (ADR 0049)
    r(K::Materials, Rule::RN1, PRODUCER, NONE_C),
    r(K::Production, Rule::RN1, PRODUCER, NONE_C),
    r(K::ProductFeatures, Rule::RN1, PRODUCER, NONE_C),
    r(K::ProductCode, Rule::RN1, PRODUCER, NONE_C),
    r(K::Order, Rule::RN2, TRADE, NONE_C),
    r(K::PaymentReceipt, Rule::RT2, PAYMENT, NONE_C),
    r(K::TradeProductCode, Rule::RN2, TRADE, NONE_C),
    r(K::Tally, Rule::RN3, LOGISTICS, NONE_C),
    r(K::Transport, Rule::RN3, LOGISTICS, NONE_C),
    r(K::Warehousing, Rule::RN3, LOGISTICS, NONE_C),
    r(K::Delivery, Rule::RN3, LOGISTICS, NONE_C),
    r(K::DeliveryException, Rule::RN3, LOGISTICS, NONE_C),
    r(K::CustomsDeclaration, Rule::RN4, PORT, NONE_C),
    r(K::CustomsStatus, Rule::RC2, NONE_T, REGULATOR), // the customs department (ADR 0040)
    r(K::Transformation, Rule::RN1, PRODUCER, NONE_C),
    r(K::Aggregation, Rule::RN3, LOGISTICS_AND_PRODUCER, NONE_C),
    r(K::Shipment, Rule::RN3, LOGISTICS, NONE_C),
    r(K::Filing, Rule::RB2, NONE_T, TRADE_ENTITY),
    r(K::FilingDecision, Rule::RB2, NONE_T, REGULATOR),
    r(K::ExportDeclaration, Rule::RB3, NONE_T, TRADE_ENTITY),
    r(K::DeclarationDecision, Rule::RB3, NONE_T, REGULATOR),
    r(K::ManualImport, Rule::RB4, NONE_T, TRADE_ENTITY),
    r(K::LinkAuthorisation, Rule::RQ1, NONE_T, TRADE_ENTITY),
    r(K::PaymentOrderLink, Rule::RQ1, LINKERS, OPERATOR),
    r(K::BulkImport, Rule::RQ3, PLATFORM_T, NONE_C), // information providers only (Table 5, ADR 0045)
    any(K::DocumentAnchor, Rule::RS1),
    any(K::DocumentRevocation, Rule::RS1),
    r(K::Recall, Rule::RS3, PRODUCER, REGULATOR),
    r(K::ConsumerScan, Rule::RS4, NONE_T, SCANNERS),
    any(K::Feedback, Rule::RS7),
    r(K::FeedbackAnswer, Rule::RS7, NONE_T, SERVICE_PROVIDERS),
    // information providers (Table 5): every access node type, and regulators (ADR 0045)
    r(K::EpcisEvent, Rule::RA4, &NodeType::ALL, REGULATOR),
    r(K::EpcisCapture, Rule::RA4, &NodeType::ALL, REGULATOR),
];

/// The row of a kind.
pub fn rule_for(kind: PayloadKind) -> &'static WriteRule {
    match PERMISSIONS.iter().find(|r| r.kind == kind) {
        Some(r) => r,
        // The table test checks one row per kind.
        None => unreachable!("permission table has no row for {kind:?}"),
    }
}

/// Whether an approved participant with this category and these node types matches a rule's
/// category / node-type lists (ignores state and the special writers).
pub fn role_allows(
    rule: &WriteRule,
    category: &ParticipantCategory,
    node_types: &[NodeType],
) -> bool {
    rule.any_approved
        || rule.categories.contains(&CategoryClass::of(category))
        || node_types.iter().any(|n| rule.node_types.contains(n))
}

/// Check that `signer` (whose registry entry is `participant`) may write `kind` (R-A2).
pub fn check(
    kind: PayloadKind,
    signer: &PublicKey,
    participant: Option<&Participant>,
    ctx: &BlockContext,
) -> Result<(), ContractError> {
    let rule = rule_for(kind);
    if rule.validator {
        if ctx.validators.contains(signer) {
            return Ok(());
        }
        return Err(ContractError::one(
            rule.rule,
            ErrorCode::NotPermitted,
            "signer",
            Problem::NotAllowed("not a member of the current validator set".into()),
        ));
    }
    if rule.unregistered {
        return match participant {
            None => Ok(()),
            Some(p) if p.state == ParticipantState::Rejected => Ok(()),
            Some(p) => Err(ContractError::one(
                rule.rule,
                ErrorCode::AlreadyExists,
                "signer",
                Problem::Duplicate(format!("already registered ({:?})", p.state)),
            )),
        };
    }
    let Some(p) = participant else {
        return Err(ContractError::one(
            Rule::RA1,
            ErrorCode::NotRegistered,
            "signer",
            Problem::NotFound("no participant registered under this key".into()),
        ));
    };
    match p.state {
        ParticipantState::Approved => {}
        ParticipantState::Pending | ParticipantState::Rejected => {
            return Err(ContractError::one(
                Rule::RA1,
                ErrorCode::NotApproved,
                "signer",
                Problem::NotAllowed(format!(
                    "participant is {:?}; a regulator must approve it first",
                    p.state
                )),
            ));
        }
        ParticipantState::Suspended => {
            return Err(ContractError::one(
                Rule::RA3,
                ErrorCode::Suspended,
                "signer",
                Problem::NotAllowed("participant is suspended".into()),
            ));
        }
        ParticipantState::Revoked => {
            return Err(ContractError::one(
                Rule::RA3,
                ErrorCode::Revoked,
                "signer",
                Problem::NotAllowed("participant is revoked".into()),
            ));
        }
    }
    if role_allows(rule, &p.registration.category, &p.registration.node_types) {
        Ok(())
    } else {
        Err(ContractError::one(
            rule.rule,
            ErrorCode::NotPermitted,
            "signer",
            Problem::NotAllowed(format!(
                "category {:?} with node types {:?} may not write {kind:?}",
                p.registration.category, p.registration.node_types
            )),
        ))
    }
}
