//! An EPCIS 2.0 event anchored on the ledger as an opaque, hashed record (ADR 0033).
//!
//! What an EPCIS event says that no other record kind carries is kept, never dropped: the
//! event is anchored by its CBV 2.0 event hash id and linked to the trace units it names.
//! The record carries the canonical **pre-hash string** (the exact text the CBV 2.0 hash is
//! computed over), so the contract checks `SHA-256(prehash) == event_hash` without parsing
//! JSON-LD, and anyone reading the ledger sees every hashed field of the event.

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

use super::common::TraceCode;
use crate::hash::Hash;

/// Largest pre-hash string accepted, in bytes (64 KiB). Policy: a larger event is refused by
/// the contract (`E_LIMIT_EXCEEDED`); such an event (thousands of EPCs or sensor reports)
/// should be captured as several events.
pub const MAX_EPCIS_PREHASH_BYTES: usize = 64 * 1024;
/// Most trace codes one anchored event links to. Policy: the mapping links the first ones
/// and says so in its notes (the pre-hash still names every identifier); the contract
/// refuses more (`E_LIMIT_EXCEEDED`).
pub const MAX_EPCIS_TRACE_CODES: usize = 64;
/// Most events in one capture ([`EpcisCapture`]). Policy: the contract refuses more
/// (`E_LIMIT_EXCEEDED`); a node advertises this as its EPCIS capture limit and answers a larger
/// capture with 413, so a capture is always one transaction and all-or-nothing (ADR 0081).
pub const MAX_EPCIS_CAPTURE_EVENTS: usize = 1000;
/// Longest business-step IRI, in bytes. Policy: refused by the contract when longer.
pub const MAX_EPCIS_BIZ_STEP_BYTES: usize = 256;
/// Longest error-declaration reason IRI, in bytes. Policy: refused by the contract when longer.
pub const MAX_EPCIS_REASON_BYTES: usize = 256;

/// Prefix of the CBV 2.0 event hash id (`ni:` URI, RFC 6920).
pub const EPCIS_HASH_ID_PREFIX: &str = "ni:///sha-256;";
/// Suffix of the CBV 2.0 event hash id.
pub const EPCIS_HASH_ID_SUFFIX: &str = "?ver=CBV2.0";

/// The five EPCIS 2.0 event types.
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
pub enum EpcisEventType {
    /// `ObjectEvent`.
    ObjectEvent,
    /// `AggregationEvent`.
    AggregationEvent,
    /// `TransactionEvent`.
    TransactionEvent,
    /// `TransformationEvent`.
    TransformationEvent,
    /// `AssociationEvent`.
    AssociationEvent,
}

impl EpcisEventType {
    /// The `eventType=` value of the pre-hash string.
    pub fn as_str(self) -> &'static str {
        match self {
            EpcisEventType::ObjectEvent => "ObjectEvent",
            EpcisEventType::AggregationEvent => "AggregationEvent",
            EpcisEventType::TransactionEvent => "TransactionEvent",
            EpcisEventType::TransformationEvent => "TransformationEvent",
            EpcisEventType::AssociationEvent => "AssociationEvent",
        }
    }
}

/// An EPCIS error declaration: the event is declared erroneous (EPCIS 2.0 §7.4.1). It is not
/// part of the hash pre-image, so the declaration carries the hash id of the event it retracts.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct EpcisErrorDeclaration {
    /// `declarationTime`, milliseconds since the Unix epoch (UTC).
    pub declaration_time_ms: i64,
    /// `reason` IRI, when given.
    pub reason: Option<String>,
}

/// An EPCIS event anchored by its CBV 2.0 event hash and linked to its trace codes.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct EpcisEventRecord {
    /// SHA-256 digest of the event hash id (`ni:///sha-256;{hex}?ver=CBV2.0`, see
    /// [`EpcisEventRecord::hash_id`]); must equal `SHA-256(prehash)`.
    pub event_hash: Hash,
    /// Event type.
    pub event_type: EpcisEventType,
    /// `eventTime`, milliseconds since the Unix epoch (UTC).
    pub event_time_ms: i64,
    /// Business step IRI (CBV 2.0 web IRI or a private one), at most
    /// [`MAX_EPCIS_BIZ_STEP_BYTES`].
    pub biz_step: Option<String>,
    /// Trace units the event names (batch- and item-level GS1 codes), at most
    /// [`MAX_EPCIS_TRACE_CODES`]; each must be a registered trace unit (R-X4).
    pub trace_codes: Vec<TraceCode>,
    /// The canonical CBV 2.0 pre-hash string, at most [`MAX_EPCIS_PREHASH_BYTES`].
    pub prehash: String,
    /// Set when this capture declares the event erroneous.
    pub error_declaration: Option<EpcisErrorDeclaration>,
}

impl EpcisEventRecord {
    /// The CBV 2.0 event hash id of a digest: `ni:///sha-256;{hex}?ver=CBV2.0`.
    pub fn hash_id_of(digest: &Hash) -> String {
        format!(
            "{EPCIS_HASH_ID_PREFIX}{}{EPCIS_HASH_ID_SUFFIX}",
            digest.to_hex()
        )
    }

    /// This event's hash id.
    pub fn hash_id(&self) -> String {
        Self::hash_id_of(&self.event_hash)
    }

    /// The digest of a hash id, `None` when it is not the CBV 2.0 `ni:` form.
    pub fn digest_of_hash_id(id: &str) -> Option<Hash> {
        let hex = id
            .strip_prefix(EPCIS_HASH_ID_PREFIX)?
            .strip_suffix(EPCIS_HASH_ID_SUFFIX)?;
        if hex.len() != 64 || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return None;
        }
        hex.parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epcis_hash_id_round_trip() {
        let h = Hash::digest(b"eventType=ObjectEvent");
        let id = EpcisEventRecord::hash_id_of(&h);
        assert!(id.starts_with("ni:///sha-256;") && id.ends_with("?ver=CBV2.0"));
        assert_eq!(EpcisEventRecord::digest_of_hash_id(&id), Some(h));
        assert_eq!(
            EpcisEventRecord::digest_of_hash_id(&id.to_uppercase()),
            None
        );
        assert_eq!(
            EpcisEventRecord::digest_of_hash_id("ni:///sha-256;ab?ver=CBV2.0"),
            None
        );
    }
}

/// An EPCIS capture (ADR 0081): the events of one EPCIS document, anchored under one signature,
/// all or nothing. Event `i` is executed exactly as an [`EpcisEventRecord`] transaction and
/// stored as a record of its own under a derived id naming the capture and its position.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct EpcisCapture {
    /// The events, in document order: 1..=[`MAX_EPCIS_CAPTURE_EVENTS`].
    pub events: Vec<EpcisEventRecord>,
    /// For each event, the SHA-256 of its original JSON as every node keeps it off chain
    /// (`tracechain_epcis::capture::stored_bytes`): what no CBV 2.0 hash covers (eventID,
    /// recordTime, errorDeclaration, comments) is bound to the chain by it, so a node keeps and
    /// serves exactly the bytes captured. As many as `events`.
    pub originals: Vec<Hash>,
}
