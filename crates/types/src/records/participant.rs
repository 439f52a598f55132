//! Participants (spec 6.1), node types (spec 6.2.2), regulator decisions and trade
//! relationships (R-A1, R-A3, R-A6, R-B5, R-I4).

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

use crate::crypto::PublicKey;
use crate::hash::Hash;
use crate::records::common::Commitment;

/// Kind of trade entity (spec 6.1 a).
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
pub enum TradeEntityKind {
    /// Consumer-facing e-commerce platform (电商平台).
    ConsumerPlatform,
    /// E-commerce enterprise (电商企业), e.g. an exporter selling on platforms.
    EcommerceEnterprise,
    /// Manufacturer (生产企业).
    Manufacturer,
    /// Trading company (贸易企业).
    TradingCompany,
}

/// Competent department of a regulator (spec 6.1 d).
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
pub enum Agency {
    /// Commerce (商务).
    Commerce,
    /// Customs (海关).
    Customs,
    /// Foreign exchange administration (外汇管理).
    Forex,
    /// Tax (税务).
    Tax,
    /// Port office (口岸办).
    PortOffice,
    /// Market regulation (市场监管).
    MarketRegulation,
}

impl Agency {
    /// Every agency.
    pub const ALL: [Agency; 6] = [
        Agency::Commerce,
        Agency::Customs,
        Agency::Forex,
        Agency::Tax,
        Agency::PortOffice,
        Agency::MarketRegulation,
    ];
}

/// Participant category (spec 6.1 a–f).
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
#[serde(tag = "category", content = "kind", rename_all = "snake_case")]
pub enum ParticipantCategory {
    /// a) Trade entity.
    TradeEntity(TradeEntityKind),
    /// b) Logistics enterprise (collection, transport, sorting/warehousing, customs brokers,
    /// port/airport operators, international logistics, overseas clearance/warehousing/delivery).
    Logistics,
    /// c) Financial institution (bank, third-party payment, insurer, supply-chain finance, …).
    Financial,
    /// d) Regulator, with its department.
    Regulator(Agency),
    /// e) Consumer or other enterprise/organisation holding a trace code.
    ConsumerOrOther,
    /// f) Operator of the cross-border e-commerce comprehensive foreign-trade service platform.
    PlatformOperator,
}

/// Access node type (spec 6.2.2): which information block a participant writes (R-N1–R-N4).
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
pub enum NodeType {
    /// 生产企业节点 — product block (R-N1).
    Producer,
    /// 国内采购节点 — trade block (R-N2).
    DomesticProcurement,
    /// 交易平台节点 — trade block (R-N2).
    TradingPlatform,
    /// 跨境收款节点 — trade block, payment receipts only (R-N2, R-T2).
    CrossBorderPayment,
    /// 揽货集货节点 — logistics block (R-N3).
    CollectionConsolidation,
    /// 理货拣货节点 — logistics block (R-N3).
    TallyPicking,
    /// 国际运输节点 — logistics block (R-N3).
    InternationalTransport,
    /// 海外仓储节点 — logistics block (R-N3).
    OverseasWarehouse,
    /// 海外清派节点 — logistics block (R-N3).
    OverseasClearanceDelivery,
    /// 口岸通关节点 — customs block (R-N4).
    PortClearance,
}

impl NodeType {
    /// Every node type, in declaration order.
    pub const ALL: [NodeType; 10] = [
        NodeType::Producer,
        NodeType::DomesticProcurement,
        NodeType::TradingPlatform,
        NodeType::CrossBorderPayment,
        NodeType::CollectionConsolidation,
        NodeType::TallyPicking,
        NodeType::InternationalTransport,
        NodeType::OverseasWarehouse,
        NodeType::OverseasClearanceDelivery,
        NodeType::PortClearance,
    ];
}

/// Real-name registration identifier (R-I4).
#[derive(
    Clone,
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
#[serde(tag = "scheme", content = "value", rename_all = "snake_case")]
pub enum RegistrationId {
    /// Chinese unified social credit code (GB 32100, 18 characters, check character verified).
    Uscc(String),
    /// GS1 Global Location Number of the party (AI 417), 13 digits, check digit verified.
    Gln(String),
    /// A national business registration number of another country.
    National {
        /// ISO 3166-1 alpha-2 country of the register.
        country: String,
        /// The number, 1–64 printable ASCII characters.
        number: String,
    },
}

/// The real-name identity of a participant (R-A1, ADR 0024). Organisations are identified in
/// clear by their legal name and public business identifier (R-I4; the directory of R-A6
/// lists them). A natural person's name and identity number are personal data (R-A5,
/// architecture "Privacy"): the registry holds only a salted commitment to them; the clear
/// value and salt go to the approving regulator off chain, which opens the commitment.
/// Only the category "consumer or other" may register as a natural person; every other
/// category must be an organisation.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Identity {
    /// An enterprise, agency or other organisation: public business identity in clear.
    Organisation {
        /// Legal name (1–512 bytes).
        legal_name: String,
        /// Registration id (R-I4).
        registration_id: RegistrationId,
    },
    /// A natural person (a consumer): a salted commitment to the canonical identity claim
    /// (legal name and identity-document number), never the clear value.
    NaturalPerson {
        /// Salted commitment (`Commitment::compute`), not zero.
        commitment: Commitment,
    },
}

impl Identity {
    /// The legal name, for organisations only (a person's name is never on chain).
    pub fn public_name(&self) -> Option<&str> {
        match self {
            Identity::Organisation { legal_name, .. } => Some(legal_name),
            Identity::NaturalPerson { .. } => None,
        }
    }
}

/// Registration of a participant (R-A1): category, node types and real-name identity. The
/// transaction's signer is the participant's key; by signing it the participant signs the
/// identity claim (`identity_document` is the hash of the identity evidence — business
/// licence, registration extract — which the approving regulator checks off chain).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct ParticipantRegistration {
    /// Category (spec 6.1).
    pub category: ParticipantCategory,
    /// Node types it asks to run (spec 6.2.2); may be empty (regulators, consumers, operator).
    pub node_types: Vec<NodeType>,
    /// Real-name identity: an organisation in clear, a natural person as a commitment.
    pub identity: Identity,
    /// ISO 3166-1 alpha-2 country of establishment.
    pub country: String,
    /// Hash of the identity evidence (signed claim).
    pub identity_document: Hash,
}

/// A regulator's decision on a participant (R-A1, R-A3, R-B5).
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
pub enum ParticipantAction {
    /// Pending → approved (gains write rights).
    Approve,
    /// Pending → rejected (stays without rights; may register again).
    Reject,
    /// Approved → suspended (writes refused until reinstated).
    Suspend,
    /// Suspended → approved.
    Reinstate,
    /// Any state except revoked → revoked (final).
    Revoke,
}

impl ParticipantAction {
    /// Every action.
    pub const ALL: [ParticipantAction; 5] = [
        ParticipantAction::Approve,
        ParticipantAction::Reject,
        ParticipantAction::Suspend,
        ParticipantAction::Reinstate,
        ParticipantAction::Revoke,
    ];
}

/// A regulator's decision, with its reason (R-B5: the reason is a ledger record).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct ParticipantDecision {
    /// The participant concerned.
    pub participant: PublicKey,
    /// What is decided.
    pub action: ParticipantAction,
    /// Why (1–512 bytes).
    pub reason: String,
}

/// One side's signature of a trade relationship (R-A6). A relationship exists once both
/// sides have submitted a matching `TradeRelationship` naming each other with the same
/// `terms`.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct TradeRelationship {
    /// The other side.
    pub counterparty: PublicKey,
    /// Hash of the agreed terms (contract, framework agreement); both sides sign the same.
    pub terms: Hash,
}

/// A claim to hold a GS1 company prefix (R-I2, ADR 0042): the GTINs under it are the
/// claimant's to register as trace units once a regulator approves the claim.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct CompanyPrefixClaim {
    /// The prefix as licensed by the GS1 member organisation (4–12 digits, the digits that
    /// follow a GTIN-14's indicator digit).
    pub prefix: String,
    /// Hash of the evidence (the GS1 licence certificate), checked by the deciding regulator.
    pub evidence: Hash,
}

/// A regulator's decision on a company-prefix claim.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum PrefixAction {
    /// Pending → approved: the claimant holds the prefix.
    Approve,
    /// Pending → rejected.
    Reject,
    /// Approved → revoked (the licence lapsed or was transferred).
    Revoke,
}

/// A regulator's decision on a company-prefix claim, with its reason (R-B5).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct CompanyPrefixDecision {
    /// The claimant.
    pub holder: PublicKey,
    /// The claimed prefix.
    pub prefix: String,
    /// What is decided.
    pub action: PrefixAction,
    /// Why (1–512 bytes).
    pub reason: String,
}

/// The holder of a company prefix lets `delegate` register trace units under it (contract
/// manufacturing), or withdraws that (`withdraw`).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct CompanyPrefixDelegation {
    /// The prefix the signer holds.
    pub prefix: String,
    /// Who may register units under it.
    pub delegate: PublicKey,
    /// Withdraw an earlier delegation.
    pub withdraw: bool,
}
