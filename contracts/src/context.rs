//! What a block gives the contracts besides state: height, block time and chain parameters.
//! There is no other source of time: records are judged against the block header's time.

use tracechain_types::records::Agency;
use tracechain_types::{ChainId, ValidatorSet};

/// Chain parameters the contracts read (from genesis; changed only by a new genesis or a
/// future governance record). Defaults are the documented policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainParams {
    /// R-S4: scans of one item above this count raise an alert.
    pub scan_alert_threshold: u32,
    /// R-S4: a scan farther than this from the declared destination country or from the
    /// previous scans raises an alert (kilometres).
    pub scan_distance_alert_km: u32,
    /// R-Q2: largest accepted difference between receipt and order amounts (minor units).
    pub payment_tolerance_minor: i64,
    /// R-B2: departments whose approval puts a filing in force.
    pub filing_departments: Vec<Agency>,
    /// R-B3: departments whose approval completes an export declaration.
    pub declaration_departments: Vec<Agency>,
    /// R-Q3: most records in one bulk import.
    pub max_bulk_records: u32,
}

impl Default for ChainParams {
    fn default() -> ChainParams {
        ChainParams {
            scan_alert_threshold: 5,
            scan_distance_alert_km: 1000,
            payment_tolerance_minor: 0,
            filing_departments: vec![
                Agency::Customs,
                Agency::Tax,
                Agency::Forex,
                Agency::MarketRegulation,
            ],
            declaration_departments: vec![Agency::Customs, Agency::Tax, Agency::Forex],
            max_bulk_records: 1000,
        }
    }
}

/// The block being executed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockContext {
    /// The chain (for embedded signatures, e.g. validator-set approvals).
    pub chain_id: ChainId,
    /// Block height.
    pub height: u64,
    /// Block time from the header (Unix milliseconds).
    pub timestamp_ms: u64,
    /// The validator set in force at this height (R-B1).
    pub validators: ValidatorSet,
    /// Chain parameters.
    pub params: ChainParams,
}
