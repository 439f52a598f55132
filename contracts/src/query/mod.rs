//! Read-side helpers shared by the contract modules and the later HTTP API: the records of a
//! trace unit by category, stored envelopes, and the trajectory of a unit (R-S5).
//!
//! Everything here is a pure function of a [`StateView`]: no clock (the caller passes the
//! time to judge at where one is needed), bounded by named limits, deterministic order.

pub mod trajectory;

use tracechain_types::records::TraceCode;
use tracechain_types::Hash;

use crate::context::RecordEnvelope;
use crate::index_tags::IndexTag;
use crate::state::{decode_stored, StateView};
use crate::state_keys;
use crate::trace::{self, TraceUnit};
use crate::trace_codes::NormalisedCode;

/// Most records of one unit and category a read returns (older ones first). A unit with more
/// records in one category is a data error upstream; reads report what fits.
pub const MAX_RECORDS_PER_CATEGORY: usize = 1000;

/// The stored envelope of a record.
pub fn envelope(state: &dyn StateView, tx_id: &Hash) -> Option<RecordEnvelope> {
    let k = state_keys::record(tx_id);
    state.get_ref(&k).map(|b| decode_stored(&k, &b))
}

/// The transaction ids indexed under `tur/{code}/{category}/`, in (height, tx id) order.
pub fn record_ids(state: &dyn StateView, code: &NormalisedCode, category: IndexTag) -> Vec<Hash> {
    let prefix = state_keys::unit_records_of(code, category);
    state
        .scan(&prefix, None, MAX_RECORDS_PER_CATEGORY)
        .into_iter()
        .filter_map(|(k, _)| state_keys::record_id_of(&k))
        .collect()
}

/// Keys read per page by [`for_each_record_id`].
pub const RECORD_PAGE: usize = 1024;

/// Every transaction id indexed under `tur/{code}/{category}/`, in (height, tx id) order,
/// page by page (no cap: the caller bounds the work by returning `false` from `f`, which
/// stops the listing). Returns whether the listing reached the end.
pub fn for_each_record_id(
    state: &dyn StateView,
    code: &NormalisedCode,
    category: IndexTag,
    mut f: impl FnMut(Hash) -> bool,
) -> bool {
    let prefix = state_keys::unit_records_of(code, category);
    let mut after: Option<Vec<u8>> = None;
    loop {
        let page = state.scan(&prefix, after.as_deref(), RECORD_PAGE);
        let n = page.len();
        for (k, _) in page {
            let id = state_keys::record_id_of(&k);
            if let Some(id) = id {
                if !f(id) {
                    return false;
                }
            }
            after = Some(k);
        }
        if n < RECORD_PAGE {
            return true;
        }
    }
}

/// The envelopes of a unit's first [`MAX_RECORDS_PER_CATEGORY`] records of one category, in
/// (height, tx id) order, and whether that was all of them.
pub fn records_bounded(
    state: &dyn StateView,
    code: &NormalisedCode,
    category: IndexTag,
) -> (Vec<RecordEnvelope>, bool) {
    let prefix = state_keys::unit_records_of(code, category);
    let entries = state.scan(&prefix, None, MAX_RECORDS_PER_CATEGORY + 1);
    let complete = entries.len() <= MAX_RECORDS_PER_CATEGORY;
    let envs = entries
        .iter()
        .take(MAX_RECORDS_PER_CATEGORY)
        .filter_map(|(k, _)| envelope(state, &state_keys::record_id_of(k)?))
        .collect();
    (envs, complete)
}

/// The envelopes of a unit's records of one category, in (height, tx id) order.
pub fn records(
    state: &dyn StateView,
    code: &NormalisedCode,
    category: IndexTag,
) -> Vec<RecordEnvelope> {
    record_ids(state, code, category)
        .iter()
        .filter_map(|id| envelope(state, id))
        .collect()
}

/// A unit and, for an item registered under a batch, its batch: the codes whose records
/// describe the item (records of the batch apply to every item of it).
pub fn self_and_batch(state: &dyn StateView, code: &NormalisedCode) -> Vec<NormalisedCode> {
    let mut out = vec![code.clone()];
    if let Some(b) = trace::load(state, code)
        .and_then(|u| u.batch)
        .and_then(|b| NormalisedCode::new("batch", &b).ok())
    {
        out.push(b);
    }
    out
}

/// Normalise a code and load its unit.
pub fn unit(state: &dyn StateView, code: &TraceCode) -> Option<(NormalisedCode, TraceUnit)> {
    let n = NormalisedCode::new("code", code).ok()?;
    let u = trace::load(state, &n)?;
    Some((n, u))
}

/// How many entries the listing scanned under `listing` has (0 when none was ever counted):
/// the counts that listings growing with other participants' writes keep
/// ([`state_keys::listing_count`]).
pub fn listing_count(state: &dyn StateView, listing: &[u8]) -> u64 {
    let k = state_keys::listing_count(listing);
    state
        .get_ref(&k)
        .map(|b| decode_stored(&k, &b))
        .unwrap_or(0)
}
