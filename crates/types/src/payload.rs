//! The payload of a transaction: one record kind per variant.
//!
//! The record kinds and who may write them are defined by the contract modules
//! (`tracechain-contracts`, see `docs/contracts.md`, permission table in
//! `contracts/src/permissions.rs`); their data types live here (and in [`crate::records`]) so
//! that transactions and blocks can be encoded, hashed and verified without the contracts.
//!
//! The Borsh tag of a variant is its position: new variants are only ever appended.

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

use crate::crypto::{PublicKey, Signature};
use crate::records::*;
use crate::validator::ValidatorSet;

/// A transaction's payload.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Payload {
    /// Replace the validator set (R-B1): signed by a quorum of the current validators; decided
    /// at height H, in force from H + 2.
    ValidatorSetChange(ValidatorSetChange),

    // --- registry (R-A1, R-A3, R-A6, R-B5, R-I4)
    /// A participant declares category, node types and real-name identity (R-A1).
    RegisterParticipant(ParticipantRegistration),
    /// A regulator approves, rejects, suspends, reinstates or revokes a participant.
    ParticipantDecision(ParticipantDecision),
    /// One side signs a trade relationship (R-A6).
    TradeRelationship(TradeRelationship),

    // --- trace units (R-I1–R-I3, R-M1–R-M3)
    /// Register a trace unit with its mode.
    RegisterTraceUnit(TraceUnitRegistration),
    /// Register item-level codes under a batch.
    RegisterItemCodes(ItemCodesRegistration),

    // --- product block (Table 1)
    /// R-P1.
    Materials(MaterialsRecord),
    /// R-P2.
    Production(ProductionRecord),
    /// R-P3.
    ProductFeatures(ProductFeaturesRecord),
    /// R-P4.
    ProductCode(ProductCodeRecord),

    // --- trade block (Table 2)
    /// R-T1.
    Order(OrderRecord),
    /// R-T2.
    PaymentReceipt(PaymentReceiptRecord),
    /// R-T3.
    TradeProductCode(ProductCodeRecord),

    // --- logistics block (Table 3)
    /// R-L1.
    Tally(TallyRecord),
    /// R-L2.
    Transport(TransportRecord),
    /// R-L3.
    Warehousing(WarehousingRecord),
    /// R-L4.
    Delivery(DeliveryRecord),
    /// R-L5.
    DeliveryException(DeliveryExceptionRecord),

    // --- customs block (Table 4)
    /// R-C1.
    CustomsDeclaration(CustomsDeclarationRecord),
    /// R-C2.
    CustomsStatus(CustomsStatusRecord),

    // --- lineage (R-S3 graph)
    /// Materials → product batches.
    Transformation(Transformation),
    /// Logistics unit (SSCC) ↔ contents.
    Aggregation(Aggregation),
    /// Shipment → destination country.
    Shipment(Shipment),

    // --- CBEAC (R-B2–R-B5)
    /// R-B2 filing.
    Filing(Filing),
    /// R-B2 department decision.
    FilingDecision(FilingDecision),
    /// R-B3 declaration.
    ExportDeclaration(ExportDeclaration),
    /// R-B3 department decision.
    DeclarationDecision(DeclarationDecision),
    /// R-B4 self-declared import.
    ManualImport(ManualImport),

    // --- closed loop (R-Q1, R-Q3)
    /// R-Q1 authorisation.
    LinkAuthorisation(LinkAuthorisation),
    /// R-Q1 link.
    PaymentOrderLink(PaymentOrderLink),
    /// R-Q3 bulk import.
    BulkImport(BulkImport),

    // --- documents (R-S1)
    /// Anchor a document hash.
    DocumentAnchor(DocumentAnchor),
    /// Revoke an anchored document.
    DocumentRevocation(DocumentRevocation),

    // --- recall, scans, feedback
    /// R-S3.
    Recall(Recall),
    /// R-S4.
    ConsumerScan(ConsumerScan),
    /// R-S7 feedback.
    Feedback(Feedback),
    /// R-S7 answer.
    FeedbackAnswer(FeedbackAnswer),

    // --- EPCIS (ADR 0033)
    /// An EPCIS 2.0 event anchored by its CBV 2.0 hash and linked to its trace codes.
    EpcisEvent(epcis::EpcisEventRecord),

    // --- GS1 company prefixes (R-I2, ADR 0042)
    /// A claim to hold a GS1 company prefix, with its evidence.
    CompanyPrefixClaim(CompanyPrefixClaim),
    /// A regulator's decision on a claim.
    CompanyPrefixDecision(CompanyPrefixDecision),
    /// The holder lets another participant register units under its prefix, or withdraws it.
    CompanyPrefixDelegation(CompanyPrefixDelegation),

    // --- custody (R-A6, ADR 0049)
    /// A custodian of units hands them over to another participant (a carrier, a warehouse).
    Handover(Handover),
}

/// The kind of a payload, without its data: the key of the permission table.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum PayloadKind {
    ValidatorSetChange,
    RegisterParticipant,
    ParticipantDecision,
    TradeRelationship,
    RegisterTraceUnit,
    RegisterItemCodes,
    Materials,
    Production,
    ProductFeatures,
    ProductCode,
    Order,
    PaymentReceipt,
    TradeProductCode,
    Tally,
    Transport,
    Warehousing,
    Delivery,
    DeliveryException,
    CustomsDeclaration,
    CustomsStatus,
    Transformation,
    Aggregation,
    Shipment,
    Filing,
    FilingDecision,
    ExportDeclaration,
    DeclarationDecision,
    ManualImport,
    LinkAuthorisation,
    PaymentOrderLink,
    BulkImport,
    DocumentAnchor,
    DocumentRevocation,
    Recall,
    ConsumerScan,
    Feedback,
    FeedbackAnswer,
    EpcisEvent,
    CompanyPrefixClaim,
    CompanyPrefixDecision,
    CompanyPrefixDelegation,
    Handover,
}

impl PayloadKind {
    /// Every kind, in tag order.
    pub const ALL: [PayloadKind; 42] = [
        PayloadKind::ValidatorSetChange,
        PayloadKind::RegisterParticipant,
        PayloadKind::ParticipantDecision,
        PayloadKind::TradeRelationship,
        PayloadKind::RegisterTraceUnit,
        PayloadKind::RegisterItemCodes,
        PayloadKind::Materials,
        PayloadKind::Production,
        PayloadKind::ProductFeatures,
        PayloadKind::ProductCode,
        PayloadKind::Order,
        PayloadKind::PaymentReceipt,
        PayloadKind::TradeProductCode,
        PayloadKind::Tally,
        PayloadKind::Transport,
        PayloadKind::Warehousing,
        PayloadKind::Delivery,
        PayloadKind::DeliveryException,
        PayloadKind::CustomsDeclaration,
        PayloadKind::CustomsStatus,
        PayloadKind::Transformation,
        PayloadKind::Aggregation,
        PayloadKind::Shipment,
        PayloadKind::Filing,
        PayloadKind::FilingDecision,
        PayloadKind::ExportDeclaration,
        PayloadKind::DeclarationDecision,
        PayloadKind::ManualImport,
        PayloadKind::LinkAuthorisation,
        PayloadKind::PaymentOrderLink,
        PayloadKind::BulkImport,
        PayloadKind::DocumentAnchor,
        PayloadKind::DocumentRevocation,
        PayloadKind::Recall,
        PayloadKind::ConsumerScan,
        PayloadKind::Feedback,
        PayloadKind::FeedbackAnswer,
        PayloadKind::EpcisEvent,
        PayloadKind::CompanyPrefixClaim,
        PayloadKind::CompanyPrefixDecision,
        PayloadKind::CompanyPrefixDelegation,
        PayloadKind::Handover,
    ];
}

impl Payload {
    /// The payload's kind.
    pub fn kind(&self) -> PayloadKind {
        match self {
            Payload::ValidatorSetChange(_) => PayloadKind::ValidatorSetChange,
            Payload::RegisterParticipant(_) => PayloadKind::RegisterParticipant,
            Payload::ParticipantDecision(_) => PayloadKind::ParticipantDecision,
            Payload::TradeRelationship(_) => PayloadKind::TradeRelationship,
            Payload::RegisterTraceUnit(_) => PayloadKind::RegisterTraceUnit,
            Payload::RegisterItemCodes(_) => PayloadKind::RegisterItemCodes,
            Payload::Materials(_) => PayloadKind::Materials,
            Payload::Production(_) => PayloadKind::Production,
            Payload::ProductFeatures(_) => PayloadKind::ProductFeatures,
            Payload::ProductCode(_) => PayloadKind::ProductCode,
            Payload::Order(_) => PayloadKind::Order,
            Payload::PaymentReceipt(_) => PayloadKind::PaymentReceipt,
            Payload::TradeProductCode(_) => PayloadKind::TradeProductCode,
            Payload::Tally(_) => PayloadKind::Tally,
            Payload::Transport(_) => PayloadKind::Transport,
            Payload::Warehousing(_) => PayloadKind::Warehousing,
            Payload::Delivery(_) => PayloadKind::Delivery,
            Payload::DeliveryException(_) => PayloadKind::DeliveryException,
            Payload::CustomsDeclaration(_) => PayloadKind::CustomsDeclaration,
            Payload::CustomsStatus(_) => PayloadKind::CustomsStatus,
            Payload::Transformation(_) => PayloadKind::Transformation,
            Payload::Aggregation(_) => PayloadKind::Aggregation,
            Payload::Shipment(_) => PayloadKind::Shipment,
            Payload::Filing(_) => PayloadKind::Filing,
            Payload::FilingDecision(_) => PayloadKind::FilingDecision,
            Payload::ExportDeclaration(_) => PayloadKind::ExportDeclaration,
            Payload::DeclarationDecision(_) => PayloadKind::DeclarationDecision,
            Payload::ManualImport(_) => PayloadKind::ManualImport,
            Payload::LinkAuthorisation(_) => PayloadKind::LinkAuthorisation,
            Payload::PaymentOrderLink(_) => PayloadKind::PaymentOrderLink,
            Payload::BulkImport(_) => PayloadKind::BulkImport,
            Payload::DocumentAnchor(_) => PayloadKind::DocumentAnchor,
            Payload::DocumentRevocation(_) => PayloadKind::DocumentRevocation,
            Payload::Recall(_) => PayloadKind::Recall,
            Payload::ConsumerScan(_) => PayloadKind::ConsumerScan,
            Payload::Feedback(_) => PayloadKind::Feedback,
            Payload::FeedbackAnswer(_) => PayloadKind::FeedbackAnswer,
            Payload::EpcisEvent(_) => PayloadKind::EpcisEvent,
            Payload::CompanyPrefixClaim(_) => PayloadKind::CompanyPrefixClaim,
            Payload::CompanyPrefixDecision(_) => PayloadKind::CompanyPrefixDecision,
            Payload::CompanyPrefixDelegation(_) => PayloadKind::CompanyPrefixDelegation,
            Payload::Handover(_) => PayloadKind::Handover,
        }
    }
}

/// A validator-set change (R-B1).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct ValidatorSetChange {
    /// The new set.
    pub new_set: ValidatorSet,
    /// Signatures of current validators over the new set's hash, sorted by key.
    pub approvals: Vec<(PublicKey, Signature)>,
}
