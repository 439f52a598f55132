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
    /// R-Q2: largest accepted difference between receipt and order amounts (minor units,
    /// ≥ 0 — [`ChainParams::validate`]).
    pub payment_tolerance_minor: i64,
    /// R-B2: departments whose approval puts a filing in force.
    pub filing_departments: Vec<Agency>,
    /// R-B3: departments whose approval completes an export declaration.
    pub declaration_departments: Vec<Agency>,
    /// R-Q3: most records in one bulk import.
    pub max_bulk_records: u32,
    /// R-X1: how far past the block's time a record's time may lie (milliseconds), for
    /// clocks of writers that run slightly ahead. A later time is a malformed item. At most
    /// [`MAX_RECORD_FUTURE_SKEW_MS`] ([`ChainParams::validate`]).
    pub max_record_future_skew_ms: u64,
}

/// Default of [`ChainParams::max_record_future_skew_ms`]: five minutes.
pub const DEFAULT_RECORD_FUTURE_SKEW_MS: u64 = 5 * 60 * 1000;
/// Largest accepted [`ChainParams::max_record_future_skew_ms`]: one day. A larger skew would
/// let records claim events that have not happened; a genesis asking for one is refused.
pub const MAX_RECORD_FUTURE_SKEW_MS: u64 = 24 * 60 * 60 * 1000;

/// A chain parameter outside its documented range.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChainParamsError {
    /// `max_record_future_skew_ms` above [`MAX_RECORD_FUTURE_SKEW_MS`].
    #[error("max_record_future_skew_ms {got} exceeds the limit {max}")]
    FutureSkewTooLarge {
        /// The value asked for.
        got: u64,
        /// The limit.
        max: u64,
    },
    /// `payment_tolerance_minor` below zero: every order would be judged mismatched (R-Q2).
    #[error("payment_tolerance_minor {0} is negative")]
    NegativePaymentTolerance(i64),
}

impl ChainParams {
    /// Check the parameters' ranges (the genesis loader calls this before the first block).
    pub fn validate(&self) -> Result<(), ChainParamsError> {
        if self.max_record_future_skew_ms > MAX_RECORD_FUTURE_SKEW_MS {
            return Err(ChainParamsError::FutureSkewTooLarge {
                got: self.max_record_future_skew_ms,
                max: MAX_RECORD_FUTURE_SKEW_MS,
            });
        }
        if self.payment_tolerance_minor < 0 {
            return Err(ChainParamsError::NegativePaymentTolerance(
                self.payment_tolerance_minor,
            ));
        }
        Ok(())
    }
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
            max_record_future_skew_ms: DEFAULT_RECORD_FUTURE_SKEW_MS,
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

impl BlockContext {
    /// The latest time (Unix ms) a record of this block may carry (R-X1): the block's time
    /// plus [`ChainParams::max_record_future_skew_ms`], saturating.
    pub fn latest_record_time_ms(&self) -> i64 {
        let t = self
            .timestamp_ms
            .saturating_add(self.params.max_record_future_skew_ms);
        i64::try_from(t).unwrap_or(i64::MAX)
    }
}
