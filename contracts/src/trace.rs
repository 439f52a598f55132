//! Trace units and their codes (R-I1–R-I3, R-M1–R-M3, R-X4).
//!
//! A trace unit is registered once with its trace code and mode (R-I3). Item-level codes
//! registered under a batch become trace units of their own that inherit the batch's mode and
//! point to it; the completeness report of an item counts its batch's records too.

use borsh::{BorshDeserialize, BorshSerialize};
use tracechain_gs1::Serial;
use tracechain_types::records::{
    ItemCodesRegistration, TraceCode, TraceMode, TraceUnitRegistration,
};
use tracechain_types::{ListingDigest, PublicKey};

use crate::context::{RecordEnvelope, TxEnv};
use crate::error::{ContractError, ErrorCode, FieldProblem, Problem};
use crate::index_tags::IndexTag;
use crate::rules::Rule;
use crate::state::{decode_stored, StateView};
use crate::state_keys;
use crate::trace_codes::NormalisedCode;
use crate::validate::{FieldChecker, MAX_LIST_ITEMS};

/// Most item codes registered by one transaction. Larger sets are split into several
/// transactions (refused with `E_LIMIT_EXCEEDED`).
pub const MAX_ITEMS_PER_TX: usize = MAX_LIST_ITEMS;
/// Most trace codes one record may name (R-X4). More are refused; split the record.
pub const MAX_TRACE_CODES_PER_RECORD: usize = 64;
/// Most records returned by one [`lookup`].
pub const MAX_LOOKUP_RECORDS: usize = 1000;

/// A registered trace unit (`tu/{code}`).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct TraceUnit {
    /// Its code, GTIN normalised to 14 digits.
    pub code: TraceCode,
    /// Its mode.
    pub mode: TraceMode,
    /// Product name.
    pub product_name: String,
    /// Who registered it.
    pub registrant: PublicKey,
    /// Registration height.
    pub height: u64,
    /// For item codes registered under a batch: the batch.
    pub batch: Option<TraceCode>,
}

/// The registered unit of a normalised code.
pub fn load(state: &dyn StateView, code: &NormalisedCode) -> Option<TraceUnit> {
    let k = state_keys::trace_unit(code);
    state.get_ref(&k).map(|b| decode_stored(&k, &b))
}

/// Validate the trace codes a record names (R-X4): 1..=[`MAX_TRACE_CODES_PER_RECORD`],
/// well formed, registered, not repeated. Problems are added to `c`; the valid, registered
/// ones are returned.
pub fn check_record_codes(
    state: &dyn StateView,
    c: &mut FieldChecker,
    field: &str,
    codes: &[TraceCode],
) -> Vec<(NormalisedCode, TraceUnit)> {
    let mut out: Vec<(NormalisedCode, TraceUnit)> = Vec::new();
    if !c.list(field, codes, 1, MAX_TRACE_CODES_PER_RECORD) {
        return out;
    }
    // Field names are formatted only for problems (this runs for every record).
    let f = |i: usize| format!("{field}[{i}]");
    for (i, code) in codes.iter().enumerate() {
        match NormalisedCode::new(field, code) {
            Err(_) => {
                if let Err(p) = NormalisedCode::new(&f(i), code) {
                    c.extend(p);
                }
            }
            Ok(n) => {
                if out.iter().any(|(o, _)| *o == n) {
                    c.push(f(i), Problem::Duplicate(n.as_str().to_string()));
                    continue;
                }
                match load(state, &n) {
                    Some(u) => out.push((n, u)),
                    None => c.push(
                        f(i),
                        Problem::NotFound(format!("trace unit {} is not registered", n.as_str())),
                    ),
                }
            }
        }
    }
    out
}

/// Turn checker problems about trace codes into the R-X4 error when they are the only ones.
pub fn unknown_unit_error(problems: Vec<FieldProblem>) -> ContractError {
    ContractError {
        rule: Rule::RX4,
        code: ErrorCode::UnknownTraceUnit,
        problems,
    }
}

/// Finish a checker that holds only trace-code problems (from [`check_record_codes`]):
/// `Ok` without problems; `E_UNKNOWN_TRACE_UNIT` (R-X4) when every problem is an
/// unregistered unit; otherwise the R-X4 field error (malformed or repeated codes).
pub fn finish_codes(codes_check: FieldChecker) -> Result<(), ContractError> {
    if codes_check.is_ok() {
        return Ok(());
    }
    let unknown_only = codes_check
        .problems
        .iter()
        .all(|p| matches!(p.problem, Problem::NotFound(_)));
    if unknown_only {
        return Err(unknown_unit_error(codes_check.problems));
    }
    codes_check.finish(Rule::RX4)
}

/// RegisterTraceUnit (R-I1, R-I3).
pub(crate) fn register_unit(
    env: &mut TxEnv<'_>,
    r: &TraceUnitRegistration,
) -> Result<(), ContractError> {
    let mut c = FieldChecker::new();
    let code = match NormalisedCode::new("code", &r.code) {
        Ok(n) => Some(n),
        Err(p) => {
            c.extend(p);
            None
        }
    };
    c.text_value("product_name", &r.product_name, true);
    c.finish(Rule::RI2)?;
    let Some(code) = code else {
        return Err(ContractError::one(
            Rule::RI2,
            ErrorCode::MalformedItem,
            "code",
            Problem::Missing,
        ));
    };
    if let Err(why) = crate::prefixes::may_register(&env.state, code.code().gtin(), &env.signer) {
        // ADR 0042: only the brand owner (or its delegate) registers its GTINs, so nobody
        // registers a brand's GTIN + batch first and locks the brand out of it.
        return Err(ContractError::one(
            Rule::RI2,
            ErrorCode::NotOwner,
            "code.gtin",
            Problem::NotAllowed(why),
        ));
    }
    if load(&env.state, &code).is_some() {
        return Err(ContractError::one(
            Rule::RI3,
            ErrorCode::DuplicateTraceCode,
            "code",
            Problem::Duplicate(code.as_str().to_string()),
        ));
    }
    let unit = TraceUnit {
        code: code.code().clone(),
        mode: r.mode,
        product_name: r.product_name.clone(),
        registrant: env.signer,
        height: env.ctx.height,
        batch: None,
    };
    env.state.put_value(state_keys::trace_unit(&code), &unit);
    env.store_record(IndexTag::TraceUnit, std::slice::from_ref(&code));
    Ok(())
}

/// RegisterItemCodes (R-I1, R-I2, R-I3): item-level units under a batch of the signer.
pub(crate) fn register_items(
    env: &mut TxEnv<'_>,
    r: &ItemCodesRegistration,
) -> Result<(), ContractError> {
    let mut c = FieldChecker::new();
    let batch = match NormalisedCode::new("batch", &r.batch) {
        Ok(n) => Some(n),
        Err(p) => {
            c.extend(p);
            None
        }
    };
    if r.serials.len() > MAX_ITEMS_PER_TX {
        return Err(ContractError::one(
            Rule::RI1,
            ErrorCode::LimitExceeded,
            "serials",
            Problem::TooLong {
                max: MAX_ITEMS_PER_TX,
            },
        ));
    }
    c.list("serials", &r.serials, 1, MAX_ITEMS_PER_TX);
    let mut seen = std::collections::BTreeSet::new();
    for (i, s) in r.serials.iter().enumerate() {
        if let Err(e) = Serial::parse(s) {
            c.push(format!("serials[{i}]"), Problem::Malformed(e.to_string()));
        } else if !seen.insert(s.as_str()) {
            c.push(format!("serials[{i}]"), Problem::Duplicate(s.clone()));
        }
    }
    c.finish(Rule::RI2)?;
    let Some(batch) = batch else {
        return Err(ContractError::one(
            Rule::RI2,
            ErrorCode::MalformedItem,
            "batch",
            Problem::Missing,
        ));
    };
    if batch.is_item() {
        return Err(ContractError::one(
            Rule::RI1,
            ErrorCode::MalformedItem,
            "batch",
            Problem::NotAllowed("items are registered under a batch-level code".into()),
        ));
    }
    let Some(unit) = load(&env.state, &batch) else {
        return Err(ContractError::one(
            Rule::RX4,
            ErrorCode::UnknownTraceUnit,
            "batch",
            Problem::NotFound(batch.as_str().to_string()),
        ));
    };
    if unit.registrant != env.signer {
        return Err(ContractError::one(
            Rule::RI1,
            ErrorCode::NotOwner,
            "batch",
            Problem::NotAllowed("only the batch's registrant adds item codes".into()),
        ));
    }
    let mut problems = Vec::new();
    let mut items = Vec::with_capacity(r.serials.len());
    for (i, s) in r.serials.iter().enumerate() {
        let code = TraceCode::Item {
            gtin: batch.code().gtin().to_string(),
            serial: s.clone(),
        };
        match NormalisedCode::new(&format!("serials[{i}]"), &code) {
            Ok(n) if load(&env.state, &n).is_some() => {
                problems.push(FieldProblem::new(
                    format!("serials[{i}]"),
                    Problem::Duplicate(n.as_str().to_string()),
                ));
            }
            Ok(n) => items.push(n),
            Err(p) => problems.extend(p),
        }
    }
    if !problems.is_empty() {
        return Err(ContractError {
            rule: Rule::RI3,
            code: ErrorCode::DuplicateTraceCode,
            problems,
        });
    }
    for n in &items {
        let item = TraceUnit {
            code: n.code().clone(),
            mode: unit.mode,
            product_name: unit.product_name.clone(),
            registrant: env.signer,
            height: env.ctx.height,
            batch: Some(batch.code().clone()),
        };
        env.state.put_value(state_keys::trace_unit(n), &item);
        env.state
            .put_value(state_keys::item_under_batch(&batch, n), &());
    }
    let mut indexed = items;
    indexed.push(batch);
    env.store_record(IndexTag::TraceUnit, &indexed);
    Ok(())
}

/// A trace unit with its records (read side, for the API).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceUnitView {
    /// The unit.
    pub unit: TraceUnit,
    /// Digital Link form of its code.
    pub digital_link: String,
    /// Records naming it (and, for an item under a batch, its batch's records), as
    /// (category tag, envelope), in (category, height) order: the first
    /// [`MAX_LOOKUP_RECORDS`] of the unit's own in tag order, and as many of its batch's.
    pub records: Vec<(String, RecordEnvelope)>,
    /// More records exist than are listed (of the unit or of its batch): read them all,
    /// by category and page by page, with [`history`].
    pub more: bool,
    /// How many records there are, and their running digest, for the unit and (for an item)
    /// its batch: `tud/` (ADR 0050).
    pub listings: Vec<(String, ListingDigest)>,
}

/// The `(category, tx id)` index entries of one unit, in key order.
pub fn unit_record_index(
    state: &dyn StateView,
    code: &NormalisedCode,
    limit: usize,
) -> Vec<(String, tracechain_types::Hash)> {
    let prefix = state_keys::unit_records(code);
    let mut out = Vec::new();
    for (k, _) in state.scan(&prefix, None, limit) {
        let Some(parts) = state_keys::parts_after(&k, &prefix) else {
            continue;
        };
        let [cat, last] = parts.as_slice() else {
            continue;
        };
        let Some(id) = last.get(8..40).and_then(|s| <[u8; 32]>::try_from(s).ok()) else {
            continue;
        };
        out.push((
            String::from_utf8_lossy(cat).into_owned(),
            tracechain_types::Hash(id),
        ));
    }
    out
}

/// Look a trace unit up with its first [`MAX_LOOKUP_RECORDS`] records in tag order and, for an
/// item, as many of its batch's (R-X4, read side), saying whether there are more and how many.
/// The unit's and the batch's records each have their own budget, so records about an item
/// (anyone may anchor a document covering it) cannot push its batch's records — a recall
/// among them — out of the answer. A unit with more records is read completely, by category
/// and page by page, with [`history`].
pub fn lookup(state: &dyn StateView, code: &TraceCode) -> Option<TraceUnitView> {
    let n = NormalisedCode::new("code", code).ok()?;
    let unit = load(state, &n)?;
    let mut codes = vec![n.clone()];
    if let Some(batch) = unit
        .batch
        .as_ref()
        .and_then(|b| NormalisedCode::new("batch", b).ok())
    {
        codes.push(batch);
    }
    let mut index = Vec::new();
    let mut more = false;
    for c in &codes {
        let mut part = unit_record_index(state, c, MAX_LOOKUP_RECORDS + 1);
        more |= part.len() > MAX_LOOKUP_RECORDS;
        part.truncate(MAX_LOOKUP_RECORDS);
        index.extend(part);
    }
    let mut records = Vec::with_capacity(index.len());
    for (cat, id) in index {
        let k = state_keys::record(&id);
        if let Some(b) = state.get(&k) {
            records.push((cat, decode_stored::<RecordEnvelope>(&k, &b)));
        }
    }
    records.sort_by(|a, b| {
        (a.0.as_str(), a.1.height, a.1.tx_id).cmp(&(b.0.as_str(), b.1.height, b.1.tx_id))
    });
    Some(TraceUnitView {
        digital_link: n.digital_link(),
        listings: listings_of(state, &codes),
        unit,
        records,
        more,
    })
}

/// The `tud/` listing digest of each code (empty when it has no record yet).
fn listings_of(state: &dyn StateView, codes: &[NormalisedCode]) -> Vec<(String, ListingDigest)> {
    codes
        .iter()
        .map(|c| {
            let k = state_keys::unit_digest(c);
            let d = state
                .get_ref(&k)
                .map(|v| decode_stored::<ListingDigest>(&k, &v))
                .unwrap_or(ListingDigest::EMPTY);
            (c.as_str().to_string(), d)
        })
        .collect()
}

/// What a page of a unit's history asks for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HistoryQuery {
    /// Category tags to list (`P2`, `T1`, `L2`, `S1`, …), in this order; empty: every
    /// category, in tag order.
    pub categories: Vec<IndexTag>,
    /// Continue after this cursor (from the previous page's `next`).
    pub after: Option<HistoryCursor>,
    /// Most records in the page (clamped to 1..=[`MAX_LOOKUP_RECORDS`]).
    pub limit: usize,
}

/// Where a page of [`history`] stopped: the source (0: the unit, then per category; for an
/// item, the batch's sources follow) and the last index key returned from it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryCursor {
    /// Index of the (code, category) source being listed.
    pub source: usize,
    /// The last `tur/` key returned from that source.
    pub after: Vec<u8>,
}

/// One page of a unit's history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryPage {
    /// The unit.
    pub unit: TraceUnit,
    /// Digital Link form of its code.
    pub digital_link: String,
    /// (category tag, envelope): the unit's records, then (for an item under a batch) its
    /// batch's, each in (category, height, tx id) order.
    pub records: Vec<(String, RecordEnvelope)>,
    /// For each record of `records`, the position in `listings` of the listing it was read
    /// from (the unit's, or its batch's): a record about both is listed once in each.
    pub listed_in: Vec<usize>,
    /// Where the next page starts; `None` when every selected record was listed.
    pub next: Option<HistoryCursor>,
    /// How many records there are, and their running digest, for each unit listed (the unit,
    /// then its batch): `tud/` (ADR 0050), so a reader knows the size of the whole listing
    /// and can prove it complete.
    pub listings: Vec<(String, ListingDigest)>,
}

/// A page of a unit's history (R-X4, read side): every record naming the unit (and, for an
/// item, its batch), selected by category, page by page — so records of one kind, however
/// many, cannot hide those of another (a thousand tally records used to push every product
/// and trade record out of [`lookup`]).
pub fn history(state: &dyn StateView, code: &TraceCode, q: &HistoryQuery) -> Option<HistoryPage> {
    let n = NormalisedCode::new("code", code).ok()?;
    let unit = load(state, &n)?;
    let limit = q.limit.clamp(1, MAX_LOOKUP_RECORDS);
    let mut codes = vec![n.clone()];
    if let Some(b) = unit
        .batch
        .as_ref()
        .and_then(|b| NormalisedCode::new("batch", b).ok())
    {
        codes.push(b);
    }
    let sources: Vec<Vec<u8>> = codes
        .iter()
        .flat_map(|c| {
            if q.categories.is_empty() {
                vec![state_keys::unit_records(c)]
            } else {
                q.categories
                    .iter()
                    .map(|cat| state_keys::unit_records_of(c, *cat))
                    .collect()
            }
        })
        .collect();
    let listings = listings_of(state, &codes);
    let mut page = HistoryPage {
        digital_link: n.digital_link(),
        unit,
        records: Vec::new(),
        listed_in: Vec::new(),
        next: None,
        listings,
    };
    let start = q.after.as_ref().map_or(0, |c| c.source);
    for (s, prefix) in sources.iter().enumerate().skip(start) {
        let mut after = q
            .after
            .as_ref()
            .filter(|c| c.source == s)
            .map(|c| c.after.clone());
        loop {
            let room = limit - page.records.len();
            let entries = state.scan(prefix, after.as_deref(), room + 1);
            let more = entries.len() > room;
            for (k, _) in entries.into_iter().take(room) {
                if let Some((listing, cat, id)) = index_entry(&k, &codes) {
                    let rk = state_keys::record(&id);
                    if let Some(b) = state.get_ref(&rk) {
                        page.records
                            .push((cat, decode_stored::<RecordEnvelope>(&rk, &b)));
                        page.listed_in.push(listing);
                    }
                }
                after = Some(k);
            }
            if page.records.len() == limit {
                let rest = more
                    || sources
                        .iter()
                        .skip(s + 1)
                        .any(|p| !state.scan(p, None, 1).is_empty());
                if rest {
                    page.next = Some(HistoryCursor {
                        source: if more { s } else { s + 1 },
                        after: if more {
                            after.unwrap_or_default()
                        } else {
                            Vec::new()
                        },
                    });
                }
                return Some(page);
            }
            if !more {
                break;
            }
        }
    }
    Some(page)
}

/// The (position in `codes`, category, tx id) of a `tur/` key under one of `codes`.
fn index_entry(
    key: &[u8],
    codes: &[NormalisedCode],
) -> Option<(usize, String, tracechain_types::Hash)> {
    let (listing, base) = codes
        .iter()
        .map(state_keys::unit_records)
        .enumerate()
        .find(|(_, p)| key.starts_with(p))?;
    let parts = state_keys::parts_after(key, &base)?;
    let [cat, last] = parts.as_slice() else {
        return None;
    };
    let id = <[u8; 32]>::try_from(last.get(8..40)?).ok()?;
    Some((
        listing,
        String::from_utf8_lossy(cat).into_owned(),
        tracechain_types::Hash(id),
    ))
}
