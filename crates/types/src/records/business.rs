//! Record kinds of lineage, alliance-chain business (CBEAC), closed loop, documents, recall,
//! consumer scans and feedback (R-B2–R-B5, R-Q1, R-Q3, R-S1, R-S3, R-S4, R-S7).

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

use super::common::{Commitment, TraceCode};
use super::participant::Agency;
use crate::crypto::PublicKey;
use crate::hash::Hash;
use crate::payload::InfoBlockRecord;

// ------------------------------------------------------------------------------- lineage

/// Transformation: materials (trace units) went into product batches (recall graph, R-S3).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Transformation {
    /// Input trace units (materials, parts, semi-finished batches).
    pub inputs: Vec<TraceCode>,
    /// Output trace units (product batches).
    pub outputs: Vec<TraceCode>,
    /// When (RFC 3339).
    pub time: String,
}

/// Whether an aggregation packs or unpacks.
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
pub enum AggregationAction {
    /// Contents put into the logistics unit.
    Pack,
    /// Contents taken out.
    Unpack,
}

/// Aggregation: a logistics unit (SSCC, AI 00) and its contents.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Aggregation {
    /// The logistics unit (18-digit SSCC, check digit verified).
    pub sscc: String,
    /// The contents.
    pub contents: Vec<TraceCode>,
    /// Pack or unpack.
    pub action: AggregationAction,
    /// When (RFC 3339).
    pub time: String,
}

/// Shipment of trace units (or a logistics unit) to a destination country.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Shipment {
    /// Trace units shipped.
    pub trace_codes: Vec<TraceCode>,
    /// Logistics units shipped (SSCC).
    pub ssccs: Vec<String>,
    /// Destination country (ISO 3166-1 alpha-2).
    pub destination_country: String,
    /// Waybill or shipment reference.
    pub reference: String,
    /// When (RFC 3339).
    pub time: String,
}

// --------------------------------------------------------------------------------- CBEAC

/// Filing (备案) of an export enterprise's record (R-B2).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Filing {
    /// Filing reference chosen by the enterprise (unique per enterprise).
    pub filing_ref: String,
    /// Hash of the filed enterprise record.
    pub document: Hash,
    /// Departments whose approval is required (must include the chain's required ones).
    pub departments: Vec<Agency>,
    /// End of the filing's validity (RFC 3339 date or date-time): declarations need a filing
    /// in force at their block's time (R-B2, ADR 0045).
    pub valid_until: String,
}

/// A department's decision (approve / reject) on a filing or a declaration (R-B2, R-B3, R-B5).
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
pub enum Verdict {
    /// Approve.
    Approve,
    /// Reject.
    Reject,
}

/// A department's decision on a filing (R-B2).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct FilingDecision {
    /// The filing enterprise.
    pub enterprise: PublicKey,
    /// Its filing reference.
    pub filing_ref: String,
    /// Approve or reject.
    pub verdict: Verdict,
    /// Why.
    pub reason: String,
}

/// Export declaration (申报) by an enterprise (R-B3).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct ExportDeclaration {
    /// Declaration reference chosen by the enterprise.
    pub declaration_ref: String,
    /// Trace units declared.
    pub trace_codes: Vec<TraceCode>,
    /// Electronic order references (R-T1 `order_ref`).
    pub order_refs: Vec<String>,
    /// Electronic waybill references (R-L2 `waybill`).
    pub waybill_refs: Vec<String>,
    /// Payment receipt references (R-T2 `receipt_ref`).
    pub receipt_refs: Vec<String>,
    /// Departments whose approval is required.
    pub departments: Vec<Agency>,
}

/// A department's decision on an export declaration (R-B3).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct DeclarationDecision {
    /// The declaring enterprise.
    pub enterprise: PublicKey,
    /// Its declaration reference.
    pub declaration_ref: String,
    /// Approve or reject.
    pub verdict: Verdict,
    /// Why.
    pub reason: String,
}

/// Manual import (R-B4).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct ManualImport {
    /// The record: a logistics record CBETC nodes do not carry (overseas transport,
    /// warehousing, clearance and delivery, delivery exceptions: categories L2–L5; the
    /// contracts refuse others). Stored marked as self-declared.
    pub record: InfoBlockRecord,
    /// Why CBETC does not carry it.
    pub reason: SelfDeclaredReason,
    /// The exporter's explanation, as a salted commitment (free text may name persons, so it
    /// stays off chain, ADR 0046; the exporter shows it to a regulator who asks).
    pub note: Option<Commitment>,
}

/// Why a record is self-declared (R-B4): the party that did the work did not record it.
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
pub enum SelfDeclaredReason {
    /// The overseas party (carrier, warehouse, clearance agent, delivery company) runs no
    /// CBETC node.
    PartyNotConnected,
    /// The party runs a node but did not record it (an outage, a dispute); a regulator may
    /// ask it.
    PartyDidNotRecord,
}

// ---------------------------------------------------------------------------- closed loop

/// Who an authorisation is granted to (R-Q1).
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
pub enum LinkScope {
    /// Third-party marketplace business: the platform links receipts.
    Marketplace,
    /// Independent-site business: the cross-border payment institution links receipts.
    IndependentSite,
}

/// An enterprise's signed authorisation for a grantee to link payment receipts to its orders
/// (R-Q1). The transaction signer is the enterprise.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct LinkAuthorisation {
    /// The platform or payment institution authorised.
    pub grantee: PublicKey,
    /// Business model.
    pub scope: LinkScope,
    /// Last block height at which the authorisation may be used (inclusive).
    pub valid_until_height: u64,
    /// Withdraw instead of grant.
    pub withdraw: bool,
}

/// A link from a payment receipt to an enterprise's order (R-Q1), by an authorised grantee.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct PaymentOrderLink {
    /// The enterprise that owns the order and gave the authorisation.
    pub enterprise: PublicKey,
    /// The order (R-T1 `order_ref`).
    pub order_ref: String,
    /// The receipt (R-T2 `receipt_ref`).
    pub receipt_ref: String,
}

/// Bulk import (R-Q3): many records under one signature; all-or-nothing.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct BulkImport {
    /// Source platform name.
    pub source: String,
    /// The records, in order: orders and logistics records from a trading platform
    /// (categories T1 and L1–L4; the contracts refuse others).
    pub records: Vec<InfoBlockRecord>,
}

// ------------------------------------------------------------------------------ documents

/// Type of an anchored document (R-S1).
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
pub enum DocumentType {
    /// Registration certificate.
    Registration,
    /// Sanitary / health certificate.
    SanitaryCertificate,
    /// Certificate of origin.
    CertificateOfOrigin,
    /// Inspection or test report.
    TestReport,
    /// Certification certificate (quality, organic, …).
    Certification,
    /// Anything else.
    Other,
}

/// Anchoring of a compliance document's hash by its issuer (R-S1).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct DocumentAnchor {
    /// SHA-256 of the document bytes.
    pub document_hash: Hash,
    /// Its type.
    pub document_type: DocumentType,
    /// Valid from (RFC 3339).
    pub valid_from: String,
    /// Valid until (RFC 3339), when it expires.
    pub valid_until: Option<String>,
    /// Trace units it covers.
    pub trace_codes: Vec<TraceCode>,
}

/// Revocation of an anchored document by its issuer (R-S1).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct DocumentRevocation {
    /// The document.
    pub document_hash: Hash,
    /// Why.
    pub reason: String,
}

// ---------------------------------------------------------------- recall, scans, feedback

/// A recall issued for a raw-material batch or product batch (R-S3).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Recall {
    /// Recall reference (unique per issuer).
    pub recall_ref: String,
    /// The batch whose downstream is recalled.
    pub batch: TraceCode,
    /// Why.
    pub reason: String,
}

/// A consumer scan of an item-level code (R-S4). Its time is the block's (ADR 0043): a scanner
/// cannot state when the first scan happened.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct ConsumerScan {
    /// The item scanned.
    pub code: TraceCode,
    /// The scanning device's pseudonym for this item, when the platform operator's scanning
    /// service submits on behalf of an anonymous consumer: `Hash::tagged("tracechain/scan-tag/v1",
    /// [device secret, item element string])`, computed by the app, so that one device's
    /// scans of one item count once and its scans of two items cannot be linked. Zero when a
    /// consumer signs its own scan (the contract derives the tag from its key).
    pub scanner_tag: Hash,
    /// Coarse location: country (ISO 3166-1 alpha-2).
    pub country: String,
    /// Coarse location: latitude × 10², longitude × 10² (about 1 km), when known.
    pub coarse_lat_e2: Option<i16>,
    /// See `coarse_lat_e2`.
    pub coarse_lon_e2: Option<i16>,
}

/// Feedback on a trace result (R-S7).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Feedback {
    /// Feedback reference (unique per author).
    pub feedback_ref: String,
    /// The trace code concerned.
    pub code: TraceCode,
    /// The feedback text.
    pub text: String,
}

/// An answer by the trace-service provider to a feedback (R-S7).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct FeedbackAnswer {
    /// The feedback's author.
    pub author: PublicKey,
    /// Its reference.
    pub feedback_ref: String,
    /// The answer text.
    pub text: String,
}

/// A hand-over of units (R-A6, ADR 0049): a custodian of every unit named (its registrant, a
/// trade partner of the registrant, or a participant that received the units through an
/// earlier hand-over) gives `to` custody of them, so that `to` may write their logistics
/// records (a forwarder engaging a carrier, a carrier delivering to a warehouse).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Handover {
    /// The units handed over.
    pub trace_codes: Vec<TraceCode>,
    /// The new custodian.
    pub to: PublicKey,
}
