//! Types shared by many record kinds: trace codes, commitments, positions, sensor readings.

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

use crate::hash::Hash;

/// Domain tag of personal-data commitments.
pub const COMMITMENT_DOMAIN: &[u8] = b"tracechain/commitment/v1";
/// Length of a commitment salt (bytes).
pub const SALT_LEN: usize = 32;

/// A trace code (R-I1, R-I2): the GS1 key of one trace unit.
///
/// Values are kept as submitted (digits / GS1 AI 82 characters) and checked by the contracts
/// (check digit, lengths, character set). A GTIN may be given with 8, 12, 13 or 14 digits; the
/// contracts normalise it to 14 digits for keys ([`TraceCode`] equality on the ledger is by the
/// normalised form).
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
#[serde(tag = "level", rename_all = "snake_case")]
pub enum TraceCode {
    /// Batch-level: GTIN + batch/lot (AI 01 + AI 10).
    Batch {
        /// GTIN (AI 01).
        gtin: String,
        /// Batch or lot number (AI 10), 1–20 GS1 AI encodable characters.
        batch: String,
    },
    /// Item-level: GTIN + serial number (AI 01 + AI 21).
    Item {
        /// GTIN (AI 01).
        gtin: String,
        /// Serial number (AI 21), 1–20 GS1 AI encodable characters.
        serial: String,
    },
}

impl TraceCode {
    /// The GTIN as submitted.
    pub fn gtin(&self) -> &str {
        match self {
            TraceCode::Batch { gtin, .. } | TraceCode::Item { gtin, .. } => gtin,
        }
    }
}

/// A salted commitment to a personal-data value: `Hash::tagged(COMMITMENT_DOMAIN, [salt,
/// value])`. The clear value and its salt travel beside the transaction to the receiving
/// node's private store; the chain only holds this hash, so the value cannot be guessed from
/// the ledger (the 32-byte random salt defeats dictionary attacks on short values such as phone
/// numbers), yet anyone given (salt, value) can check it against the record.
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
pub struct Commitment(pub Hash);

impl Commitment {
    /// Commit to `value` with `salt`.
    pub fn compute(salt: &[u8; SALT_LEN], value: &[u8]) -> Commitment {
        let len = (value.len() as u64).to_be_bytes();
        Commitment(Hash::tagged(COMMITMENT_DOMAIN, &[salt, &len, value]))
    }

    /// Whether (`salt`, `value`) opens this commitment.
    pub fn verify(&self, salt: &[u8; SALT_LEN], value: &[u8]) -> bool {
        Commitment::compute(salt, value) == *self
    }
}

/// A place a logistics record names (origin, destination): never free text, since in
/// cross-border retail the place may be a person's home (a consumer parcel's destination, a
/// return's origin), which is personal data (R-A5, ADR 0046).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Place {
    /// A UN/LOCODE (country code and three letters or digits 2–9): a port, airport or city.
    Locode(String),
    /// A GS1 location identifier of an enterprise site: a GLN as an `urn:epc:id:sgln:` URN or
    /// a GS1 Digital Link URI with AI 414.
    Location(String),
    /// Any other place, such as a consignee's address: a salted commitment, the clear value
    /// kept in the node's private store.
    Private(Commitment),
}

/// Positioning system of a coordinate (R-S5, spec 5.2).
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
pub enum PositioningSystem {
    /// GPS.
    Gps,
    /// BeiDou (BDS).
    Bds,
    /// Galileo.
    Galileo,
    /// GLONASS.
    Glonass,
    /// Any other positioning (cell, manual entry, …).
    Other,
}

/// One position of a logistics trajectory (R-S5). Degrees × 10⁷ (WGS 84).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Position {
    /// When the position was taken (RFC 3339).
    pub time: String,
    /// Latitude × 10⁷, −900000000..=900000000.
    pub lat_e7: i32,
    /// Longitude × 10⁷, −1800000000..=1800000000.
    pub lon_e7: i32,
    /// How it was obtained.
    pub system: PositioningSystem,
}

/// One sensor reading of a warehousing or transport record (R-S6). At least one of the two
/// values is present.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct SensorReading {
    /// When it was read (RFC 3339).
    pub time: String,
    /// Temperature in centi-degrees Celsius (−27315..=100000).
    pub temperature_centi_c: Option<i32>,
    /// Relative humidity in basis points (0..=10000, i.e. 0–100 %).
    pub humidity_bp: Option<u16>,
}

/// A declared acceptable sensor range of a product (R-S6), part of its product features (R-P3
/// extended item). Bounds are inclusive; an absent pair means "not constrained".
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct SensorRange {
    /// Lowest acceptable temperature, centi-degrees Celsius.
    pub min_temperature_centi_c: Option<i32>,
    /// Highest acceptable temperature, centi-degrees Celsius.
    pub max_temperature_centi_c: Option<i32>,
    /// Lowest acceptable relative humidity, basis points.
    pub min_humidity_bp: Option<u16>,
    /// Highest acceptable relative humidity, basis points.
    pub max_humidity_bp: Option<u16>,
}
