//! The payload of a transaction: a record, grouped by family (ADR 0052).
//!
//! Eleven families, each an enum of the record kinds it holds: chain administration,
//! participants and their relations, trace units, the information blocks of Tables 1–4 (one
//! family, the category in its type: [`InfoBlockRecord::category`]), lineage, CBEAC, closed
//! loop, documents, recall, consumer scans and feedback, EPCIS. The record kinds and who may
//! write them are defined by the contract modules (`tracechain-contracts`, see
//! `docs/contracts.md`, permission table in `contracts/src/permissions.rs`); their data types
//! live here (and in [`crate::records`]) so that transactions and blocks can be encoded, hashed
//! and verified without the contracts.
//!
//! **Encoding.** The Borsh tag of a family is its position in [`Payload`], the tag of a kind
//! its position in its family: both are permanent, new families and kinds are only ever
//! appended. JSON (serde) names the family in `family` and the kind in `kind`, e.g.
//! `{"family": "info_block", "kind": "order", "trace_codes": …}`.
//!
//! [`PayloadKind`] is the kind without its data (the key of the permission table), derived by
//! [`Payload::kind`].

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

use crate::crypto::{PublicKey, Signature};
use crate::records::epcis::{EpcisCapture, EpcisEventRecord};
use crate::records::*;
use crate::validator::ValidatorSet;

/// A transaction's payload: one record, in its family.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(tag = "family", rename_all = "snake_case")]
pub enum Payload {
    /// Chain administration (R-B1).
    Chain(ChainRecord),
    /// Participants, their decisions, trade relationships and GS1 company prefixes (R-A1,
    /// R-A6, R-B5, R-I2).
    Participant(ParticipantRecord),
    /// Trace units, their item codes and their custody (R-I1–R-I3, R-A6).
    TraceUnit(TraceUnitRecord),
    /// A record of one category of the information blocks (Tables 1–4).
    InfoBlock(InfoBlockRecord),
    /// Lineage: the recall graph (R-S3).
    Lineage(LineageRecord),
    /// Cross-border e-commerce alliance chain business (R-B2–R-B4).
    Cbeac(CbeacRecord),
    /// The closed loop of orders and payments (R-Q1, R-Q3).
    ClosedLoop(ClosedLoopRecord),
    /// Compliance documents (R-S1).
    Document(DocumentRecord),
    /// Recalls (R-S3).
    Recall(RecallRecord),
    /// Consumer scans and feedback (R-S4, R-S7).
    Consumer(ConsumerRecord),
    /// EPCIS 2.0 events (ADR 0033).
    Epcis(EpcisRecord),
}

/// Chain administration.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChainRecord {
    /// Replace the validator set (R-B1): signed by a quorum of the current validators; decided
    /// at height H, in force from H + 2.
    ValidatorSetChange(ValidatorSetChange),
}

/// Participants and relations (R-A1, R-A3, R-A6, R-B5, R-I2, R-I4).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ParticipantRecord {
    /// A participant declares category, node types and real-name identity (R-A1).
    RegisterParticipant(ParticipantRegistration),
    /// A regulator approves, rejects, suspends, reinstates or revokes a participant.
    ParticipantDecision(ParticipantDecision),
    /// One side signs a trade relationship (R-A6).
    TradeRelationship(TradeRelationship),
    /// A claim to hold a GS1 company prefix, with its evidence (R-I2, ADR 0042).
    CompanyPrefixClaim(CompanyPrefixClaim),
    /// A regulator's decision on a claim.
    CompanyPrefixDecision(CompanyPrefixDecision),
    /// The holder lets another participant register units under its prefix, or withdraws it.
    CompanyPrefixDelegation(CompanyPrefixDelegation),
}

/// Trace units (R-I1–R-I3, R-M1–R-M3) and their custody (R-A6, ADR 0049).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TraceUnitRecord {
    /// Register a trace unit with its mode.
    RegisterTraceUnit(TraceUnitRegistration),
    /// Register item-level codes under a batch.
    RegisterItemCodes(ItemCodesRegistration),
    /// A custodian of units hands them over to another participant (a carrier, a warehouse).
    Handover(Handover),
}

/// A record of the information blocks (spec 6.4, Tables 1–4): one kind per category
/// ([`InfoBlockRecord::category`]). Also the item type of bulk imports (R-Q3) and manual
/// imports (R-B4), which the contracts restrict to some categories.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum InfoBlockRecord {
    /// R-P1.
    Materials(MaterialsRecord),
    /// R-P2.
    Production(ProductionRecord),
    /// R-P3.
    ProductFeatures(ProductFeaturesRecord),
    /// R-P4.
    ProductCode(ProductCodeRecord),
    /// R-T1.
    Order(OrderRecord),
    /// R-T2.
    PaymentReceipt(PaymentReceiptRecord),
    /// R-T3.
    TradeProductCode(ProductCodeRecord),
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
    /// R-C1.
    CustomsDeclaration(CustomsDeclarationRecord),
    /// R-C2.
    CustomsStatus(CustomsStatusRecord),
}

/// Lineage: the links of the recall graph (R-S3).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LineageRecord {
    /// Materials → product batches.
    Transformation(Transformation),
    /// Logistics unit (SSCC) ↔ contents.
    Aggregation(Aggregation),
    /// Shipment → destination country.
    Shipment(Shipment),
}

/// CBEAC business (R-B2–R-B4).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CbeacRecord {
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
}

/// The closed loop (R-Q1, R-Q3).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ClosedLoopRecord {
    /// R-Q1 authorisation.
    LinkAuthorisation(LinkAuthorisation),
    /// R-Q1 link.
    PaymentOrderLink(PaymentOrderLink),
    /// R-Q3 bulk import.
    BulkImport(BulkImport),
}

/// Documents (R-S1).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DocumentRecord {
    /// Anchor a document hash.
    DocumentAnchor(DocumentAnchor),
    /// Revoke an anchored document.
    DocumentRevocation(DocumentRevocation),
}

/// Consumer scans and feedback (R-S4, R-S7).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ConsumerRecord {
    /// R-S4.
    ConsumerScan(ConsumerScan),
    /// R-S7 feedback.
    Feedback(Feedback),
    /// R-S7 answer.
    FeedbackAnswer(FeedbackAnswer),
}

/// Recalls (R-S3).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RecallRecord {
    /// A recall of a batch's downstream.
    Recall(Recall),
}

/// EPCIS 2.0 (ADR 0033).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EpcisRecord {
    /// An EPCIS 2.0 event anchored by its CBV 2.0 hash and linked to its trace codes.
    EpcisEvent(EpcisEventRecord),
    /// The events of one EPCIS capture, all or nothing (ADR 0081).
    EpcisCapture(EpcisCapture),
}

/// The family of a payload, without its data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum Family {
    Chain,
    Participant,
    TraceUnit,
    InfoBlock,
    Lineage,
    Cbeac,
    ClosedLoop,
    Document,
    Recall,
    Consumer,
    Epcis,
}

/// The kind of a payload, without its data: the key of the permission table. Kinds are
/// listed family by family, in tag order ([`PayloadKind::ALL`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum PayloadKind {
    ValidatorSetChange,
    RegisterParticipant,
    ParticipantDecision,
    TradeRelationship,
    CompanyPrefixClaim,
    CompanyPrefixDecision,
    CompanyPrefixDelegation,
    RegisterTraceUnit,
    RegisterItemCodes,
    Handover,
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
    EpcisCapture,
}

impl PayloadKind {
    /// Every kind, family by family in tag order.
    pub const ALL: [PayloadKind; 43] = [
        PayloadKind::ValidatorSetChange,
        PayloadKind::RegisterParticipant,
        PayloadKind::ParticipantDecision,
        PayloadKind::TradeRelationship,
        PayloadKind::CompanyPrefixClaim,
        PayloadKind::CompanyPrefixDecision,
        PayloadKind::CompanyPrefixDelegation,
        PayloadKind::RegisterTraceUnit,
        PayloadKind::RegisterItemCodes,
        PayloadKind::Handover,
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
        PayloadKind::EpcisCapture,
    ];

    /// The kind's family.
    pub fn family(self) -> Family {
        match self {
            PayloadKind::ValidatorSetChange => Family::Chain,
            PayloadKind::RegisterParticipant
            | PayloadKind::ParticipantDecision
            | PayloadKind::TradeRelationship
            | PayloadKind::CompanyPrefixClaim
            | PayloadKind::CompanyPrefixDecision
            | PayloadKind::CompanyPrefixDelegation => Family::Participant,
            PayloadKind::RegisterTraceUnit
            | PayloadKind::RegisterItemCodes
            | PayloadKind::Handover => Family::TraceUnit,
            PayloadKind::Materials
            | PayloadKind::Production
            | PayloadKind::ProductFeatures
            | PayloadKind::ProductCode
            | PayloadKind::Order
            | PayloadKind::PaymentReceipt
            | PayloadKind::TradeProductCode
            | PayloadKind::Tally
            | PayloadKind::Transport
            | PayloadKind::Warehousing
            | PayloadKind::Delivery
            | PayloadKind::DeliveryException
            | PayloadKind::CustomsDeclaration
            | PayloadKind::CustomsStatus => Family::InfoBlock,
            PayloadKind::Transformation | PayloadKind::Aggregation | PayloadKind::Shipment => {
                Family::Lineage
            }
            PayloadKind::Filing
            | PayloadKind::FilingDecision
            | PayloadKind::ExportDeclaration
            | PayloadKind::DeclarationDecision
            | PayloadKind::ManualImport => Family::Cbeac,
            PayloadKind::LinkAuthorisation
            | PayloadKind::PaymentOrderLink
            | PayloadKind::BulkImport => Family::ClosedLoop,
            PayloadKind::DocumentAnchor | PayloadKind::DocumentRevocation => Family::Document,
            PayloadKind::Recall => Family::Recall,
            PayloadKind::ConsumerScan | PayloadKind::Feedback | PayloadKind::FeedbackAnswer => {
                Family::Consumer
            }
            PayloadKind::EpcisEvent | PayloadKind::EpcisCapture => Family::Epcis,
        }
    }
}

impl Payload {
    /// The payload's kind.
    pub fn kind(&self) -> PayloadKind {
        match self {
            Payload::Chain(r) => r.kind(),
            Payload::Participant(r) => r.kind(),
            Payload::TraceUnit(r) => r.kind(),
            Payload::InfoBlock(r) => r.kind(),
            Payload::Lineage(r) => r.kind(),
            Payload::Cbeac(r) => r.kind(),
            Payload::ClosedLoop(r) => r.kind(),
            Payload::Document(r) => r.kind(),
            Payload::Recall(r) => r.kind(),
            Payload::Consumer(r) => r.kind(),
            Payload::Epcis(r) => r.kind(),
        }
    }

    /// The payload's family.
    pub fn family(&self) -> Family {
        self.kind().family()
    }

    /// The category of an information-block record (Tables 1–4), `None` for other families
    /// (a manual import carries one: `RecordEnvelope::info_block` in the contracts reads a
    /// stored record as the information-block record it holds).
    pub fn category(&self) -> Option<Category> {
        match self {
            Payload::InfoBlock(r) => Some(r.category()),
            _ => None,
        }
    }

    /// The trace units the record names in one list: its own `trace_codes` field, the code of
    /// a trace-unit registration, the batch of a recall, the item of a scan or feedback, the
    /// record's of a manual import. Empty for kinds that name units in several fields or none
    /// (transformations: inputs and outputs; aggregations: a logistics unit and its contents;
    /// item-code registrations: a batch and serials; bulk imports and EPCIS captures: per item; participants,
    /// decisions, links, answers).
    pub fn trace_codes(&self) -> &[TraceCode] {
        match self {
            Payload::InfoBlock(r) => r.trace_codes(),
            Payload::TraceUnit(TraceUnitRecord::RegisterTraceUnit(r)) => {
                std::slice::from_ref(&r.code)
            }
            Payload::TraceUnit(TraceUnitRecord::Handover(r)) => &r.trace_codes,
            Payload::Lineage(LineageRecord::Shipment(r)) => &r.trace_codes,
            Payload::Cbeac(CbeacRecord::ExportDeclaration(r)) => &r.trace_codes,
            Payload::Cbeac(CbeacRecord::ManualImport(r)) => r.record.trace_codes(),
            Payload::Recall(RecallRecord::Recall(r)) => std::slice::from_ref(&r.batch),
            Payload::Consumer(ConsumerRecord::ConsumerScan(r)) => std::slice::from_ref(&r.code),
            Payload::Consumer(ConsumerRecord::Feedback(r)) => std::slice::from_ref(&r.code),
            Payload::Document(DocumentRecord::DocumentAnchor(r)) => &r.trace_codes,
            Payload::Epcis(EpcisRecord::EpcisEvent(r)) => &r.trace_codes,
            _ => &[],
        }
    }
}

impl ChainRecord {
    /// The record's kind.
    pub fn kind(&self) -> PayloadKind {
        match self {
            ChainRecord::ValidatorSetChange(_) => PayloadKind::ValidatorSetChange,
        }
    }
}

impl From<ChainRecord> for Payload {
    fn from(r: ChainRecord) -> Payload {
        Payload::Chain(r)
    }
}

impl ParticipantRecord {
    /// The record's kind.
    pub fn kind(&self) -> PayloadKind {
        match self {
            ParticipantRecord::RegisterParticipant(_) => PayloadKind::RegisterParticipant,
            ParticipantRecord::ParticipantDecision(_) => PayloadKind::ParticipantDecision,
            ParticipantRecord::TradeRelationship(_) => PayloadKind::TradeRelationship,
            ParticipantRecord::CompanyPrefixClaim(_) => PayloadKind::CompanyPrefixClaim,
            ParticipantRecord::CompanyPrefixDecision(_) => PayloadKind::CompanyPrefixDecision,
            ParticipantRecord::CompanyPrefixDelegation(_) => PayloadKind::CompanyPrefixDelegation,
        }
    }
}

impl From<ParticipantRecord> for Payload {
    fn from(r: ParticipantRecord) -> Payload {
        Payload::Participant(r)
    }
}

impl TraceUnitRecord {
    /// The record's kind.
    pub fn kind(&self) -> PayloadKind {
        match self {
            TraceUnitRecord::RegisterTraceUnit(_) => PayloadKind::RegisterTraceUnit,
            TraceUnitRecord::RegisterItemCodes(_) => PayloadKind::RegisterItemCodes,
            TraceUnitRecord::Handover(_) => PayloadKind::Handover,
        }
    }
}

impl From<TraceUnitRecord> for Payload {
    fn from(r: TraceUnitRecord) -> Payload {
        Payload::TraceUnit(r)
    }
}

impl InfoBlockRecord {
    /// The record's kind.
    pub fn kind(&self) -> PayloadKind {
        match self {
            InfoBlockRecord::Materials(_) => PayloadKind::Materials,
            InfoBlockRecord::Production(_) => PayloadKind::Production,
            InfoBlockRecord::ProductFeatures(_) => PayloadKind::ProductFeatures,
            InfoBlockRecord::ProductCode(_) => PayloadKind::ProductCode,
            InfoBlockRecord::Order(_) => PayloadKind::Order,
            InfoBlockRecord::PaymentReceipt(_) => PayloadKind::PaymentReceipt,
            InfoBlockRecord::TradeProductCode(_) => PayloadKind::TradeProductCode,
            InfoBlockRecord::Tally(_) => PayloadKind::Tally,
            InfoBlockRecord::Transport(_) => PayloadKind::Transport,
            InfoBlockRecord::Warehousing(_) => PayloadKind::Warehousing,
            InfoBlockRecord::Delivery(_) => PayloadKind::Delivery,
            InfoBlockRecord::DeliveryException(_) => PayloadKind::DeliveryException,
            InfoBlockRecord::CustomsDeclaration(_) => PayloadKind::CustomsDeclaration,
            InfoBlockRecord::CustomsStatus(_) => PayloadKind::CustomsStatus,
        }
    }
}

impl From<InfoBlockRecord> for Payload {
    fn from(r: InfoBlockRecord) -> Payload {
        Payload::InfoBlock(r)
    }
}

impl LineageRecord {
    /// The record's kind.
    pub fn kind(&self) -> PayloadKind {
        match self {
            LineageRecord::Transformation(_) => PayloadKind::Transformation,
            LineageRecord::Aggregation(_) => PayloadKind::Aggregation,
            LineageRecord::Shipment(_) => PayloadKind::Shipment,
        }
    }
}

impl From<LineageRecord> for Payload {
    fn from(r: LineageRecord) -> Payload {
        Payload::Lineage(r)
    }
}

impl CbeacRecord {
    /// The record's kind.
    pub fn kind(&self) -> PayloadKind {
        match self {
            CbeacRecord::Filing(_) => PayloadKind::Filing,
            CbeacRecord::FilingDecision(_) => PayloadKind::FilingDecision,
            CbeacRecord::ExportDeclaration(_) => PayloadKind::ExportDeclaration,
            CbeacRecord::DeclarationDecision(_) => PayloadKind::DeclarationDecision,
            CbeacRecord::ManualImport(_) => PayloadKind::ManualImport,
        }
    }
}

impl From<CbeacRecord> for Payload {
    fn from(r: CbeacRecord) -> Payload {
        Payload::Cbeac(r)
    }
}

impl ClosedLoopRecord {
    /// The record's kind.
    pub fn kind(&self) -> PayloadKind {
        match self {
            ClosedLoopRecord::LinkAuthorisation(_) => PayloadKind::LinkAuthorisation,
            ClosedLoopRecord::PaymentOrderLink(_) => PayloadKind::PaymentOrderLink,
            ClosedLoopRecord::BulkImport(_) => PayloadKind::BulkImport,
        }
    }
}

impl From<ClosedLoopRecord> for Payload {
    fn from(r: ClosedLoopRecord) -> Payload {
        Payload::ClosedLoop(r)
    }
}

impl DocumentRecord {
    /// The record's kind.
    pub fn kind(&self) -> PayloadKind {
        match self {
            DocumentRecord::DocumentAnchor(_) => PayloadKind::DocumentAnchor,
            DocumentRecord::DocumentRevocation(_) => PayloadKind::DocumentRevocation,
        }
    }
}

impl From<DocumentRecord> for Payload {
    fn from(r: DocumentRecord) -> Payload {
        Payload::Document(r)
    }
}

impl RecallRecord {
    /// The record's kind.
    pub fn kind(&self) -> PayloadKind {
        match self {
            RecallRecord::Recall(_) => PayloadKind::Recall,
        }
    }
}

impl From<RecallRecord> for Payload {
    fn from(r: RecallRecord) -> Payload {
        Payload::Recall(r)
    }
}

impl ConsumerRecord {
    /// The record's kind.
    pub fn kind(&self) -> PayloadKind {
        match self {
            ConsumerRecord::ConsumerScan(_) => PayloadKind::ConsumerScan,
            ConsumerRecord::Feedback(_) => PayloadKind::Feedback,
            ConsumerRecord::FeedbackAnswer(_) => PayloadKind::FeedbackAnswer,
        }
    }
}

impl From<ConsumerRecord> for Payload {
    fn from(r: ConsumerRecord) -> Payload {
        Payload::Consumer(r)
    }
}

impl EpcisRecord {
    /// The record's kind.
    pub fn kind(&self) -> PayloadKind {
        match self {
            EpcisRecord::EpcisEvent(_) => PayloadKind::EpcisEvent,
            EpcisRecord::EpcisCapture(_) => PayloadKind::EpcisCapture,
        }
    }
}

impl From<EpcisRecord> for Payload {
    fn from(r: EpcisRecord) -> Payload {
        Payload::Epcis(r)
    }
}

impl InfoBlockRecord {
    /// The record's category (Tables 1–4).
    pub fn category(&self) -> Category {
        match self {
            InfoBlockRecord::Materials(_) => Category::P1,
            InfoBlockRecord::Production(_) => Category::P2,
            InfoBlockRecord::ProductFeatures(_) => Category::P3,
            InfoBlockRecord::ProductCode(_) => Category::P4,
            InfoBlockRecord::Order(_) => Category::T1,
            InfoBlockRecord::PaymentReceipt(_) => Category::T2,
            InfoBlockRecord::TradeProductCode(_) => Category::T3,
            InfoBlockRecord::Tally(_) => Category::L1,
            InfoBlockRecord::Transport(_) => Category::L2,
            InfoBlockRecord::Warehousing(_) => Category::L3,
            InfoBlockRecord::Delivery(_) => Category::L4,
            InfoBlockRecord::DeliveryException(_) => Category::L5,
            InfoBlockRecord::CustomsDeclaration(_) => Category::C1,
            InfoBlockRecord::CustomsStatus(_) => Category::C2,
        }
    }

    /// The trace units the record concerns (R-X4).
    pub fn trace_codes(&self) -> &[TraceCode] {
        match self {
            InfoBlockRecord::Materials(r) => &r.trace_codes,
            InfoBlockRecord::Production(r) => &r.trace_codes,
            InfoBlockRecord::ProductFeatures(r) => &r.trace_codes,
            InfoBlockRecord::ProductCode(r) => &r.trace_codes,
            InfoBlockRecord::Order(r) => &r.trace_codes,
            InfoBlockRecord::PaymentReceipt(r) => &r.trace_codes,
            InfoBlockRecord::TradeProductCode(r) => &r.trace_codes,
            InfoBlockRecord::Tally(r) => &r.trace_codes,
            InfoBlockRecord::Transport(r) => &r.trace_codes,
            InfoBlockRecord::Warehousing(r) => &r.trace_codes,
            InfoBlockRecord::Delivery(r) => &r.trace_codes,
            InfoBlockRecord::DeliveryException(r) => &r.trace_codes,
            InfoBlockRecord::CustomsDeclaration(r) => &r.trace_codes,
            InfoBlockRecord::CustomsStatus(r) => &r.trace_codes,
        }
    }
}

/// An information block: one of the four tables of trace information (product, trade,
/// logistics, customs), not a block of the chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InfoBlock {
    /// Table 1.
    Product,
    /// Table 2.
    Trade,
    /// Table 3.
    Logistics,
    /// Table 4.
    Customs,
}

/// One category of Tables 1–4: the kind of an [`InfoBlockRecord`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[allow(missing_docs)]
pub enum Category {
    P1,
    P2,
    P3,
    P4,
    T1,
    T2,
    T3,
    L1,
    L2,
    L3,
    L4,
    L5,
    C1,
    C2,
}

impl Category {
    /// All categories in table order.
    pub const ALL: [Category; 14] = [
        Category::P1,
        Category::P2,
        Category::P3,
        Category::P4,
        Category::T1,
        Category::T2,
        Category::T3,
        Category::L1,
        Category::L2,
        Category::L3,
        Category::L4,
        Category::L5,
        Category::C1,
        Category::C2,
    ];

    /// The category's code as the tables write it (`P1` … `C2`); also its index tag in state
    /// keys, so it never changes.
    pub const fn code(self) -> &'static str {
        match self {
            Category::P1 => "P1",
            Category::P2 => "P2",
            Category::P3 => "P3",
            Category::P4 => "P4",
            Category::T1 => "T1",
            Category::T2 => "T2",
            Category::T3 => "T3",
            Category::L1 => "L1",
            Category::L2 => "L2",
            Category::L3 => "L3",
            Category::L4 => "L4",
            Category::L5 => "L5",
            Category::C1 => "C1",
            Category::C2 => "C2",
        }
    }

    /// English name.
    pub fn name(self) -> &'static str {
        match self {
            Category::P1 => "raw / auxiliary materials, parts",
            Category::P2 => "production",
            Category::P3 => "product features",
            Category::P4 => "product code",
            Category::T1 => "order",
            Category::T2 => "cross-border payment receipt",
            Category::T3 => "product code",
            Category::L1 => "tally",
            Category::L2 => "transport",
            Category::L3 => "warehousing",
            Category::L4 => "delivery",
            Category::L5 => "delivery exception",
            Category::C1 => "customs declaration",
            Category::C2 => "customs status",
        }
    }

    /// Its block.
    pub fn block(self) -> InfoBlock {
        match self {
            Category::P1 | Category::P2 | Category::P3 | Category::P4 => InfoBlock::Product,
            Category::T1 | Category::T2 | Category::T3 => InfoBlock::Trade,
            Category::L1 | Category::L2 | Category::L3 | Category::L4 | Category::L5 => {
                InfoBlock::Logistics
            }
            Category::C1 | Category::C2 => InfoBlock::Customs,
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
