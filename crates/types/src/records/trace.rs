//! Trace units and their codes (R-I1–R-I3, R-M1–R-M3).

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

use super::common::TraceCode;

/// Trace mode of a trace unit (spec 3.8–3.10): decides which categories are mandatory.
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
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TraceMode {
    /// R-M1: full supply chain, back to the origin farm / main raw-material source.
    Full,
    /// R-M2: back to the manufacturer.
    Manufacturer,
    /// R-M3: back to the trader (port warehousing onward).
    Trader,
}

impl TraceMode {
    /// All modes.
    pub const ALL: [TraceMode; 3] = [TraceMode::Full, TraceMode::Manufacturer, TraceMode::Trader];
}

/// Registration of a trace unit (R-I1): one product batch (GTIN + batch) or one single item
/// (GTIN + serial), with exactly one trace mode.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct TraceUnitRegistration {
    /// The unit's trace code (registered once, R-I3).
    pub code: TraceCode,
    /// Its trace mode.
    pub mode: TraceMode,
    /// Product name (1–256 bytes).
    pub product_name: String,
}

/// Item-level codes under a registered batch: each serial becomes an item-level trace unit
/// (GTIN of the batch + serial) that inherits the batch's mode and links to it.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct ItemCodesRegistration {
    /// The batch (must be a batch-level code already registered by the signer).
    pub batch: TraceCode,
    /// Serial numbers (AI 21), 1..=`MAX_ITEMS_PER_TX` of the contracts, no duplicates.
    pub serials: Vec<String>,
}
