//! Anti-counterfeit consumer scans (R-S4): each scan of an item-level code is recorded with
//! the block's time and a coarse location; the answer ([`verdict`]) shows the first-scan time,
//! the scan count, the number of distinct scanners and alerts, and why the item is suspicious.
//!
//! **Scanners (ADR 0043).** A scan's time is its block's: a scanner cannot back-date the first
//! scan. Each scan carries a scanner tag, a pseudonym of the scanning device *for this item*:
//! the app computes it when the platform operator's scanning service submits for an anonymous
//! consumer, and the contract derives it from the signer's key when a consumer signs its own
//! scan. Repeated scans with one tag count once towards the alert threshold, and tags of one
//! device on two items differ, so stored scans link no consumer's items together.
//!
//! A scan raises an alert when the number of distinct scanners exceeds
//! [`ChainParams::scan_alert_threshold`](crate::ChainParams), when its country is not one of
//! the item's declared destination countries, or when it is farther than
//! `scan_distance_alert_km` from the previous scan's coarse position. Alerts are stored with
//! the scan and indexed under the brand (the unit's registrant) so the brand and regulators
//! can list them.
//!
//! **Distance without floating point.** Coarse positions are degrees × 10². The distance is
//! the equirectangular approximation: `Δx = Δlon · cos(mean latitude)` (integer cosine table,
//! 1° steps, × 10⁴), `d = √(Δx² + Δlat²)` (integer square root), 1° = 111.195 km. Its error is
//! a few percent below 2 000 km, enough for an alert threshold, and every node computes the
//! same integer.
//!
//! **Declared destination.** The countries of the shipments that carried the item, its batch
//! or a logistics unit holding either (lineage); when no shipment names one, the transport
//! destination countries of their R-L2 records. An item with no declared destination raises
//! no country alert.
//!
//! Key layout: `scn/{code}` → [`ScanSummary`]; `scn/{code}/{n:u32 be}` → [`ScanEntry`];
//! `scnt/{code}/{tag}` → `u32` the first scan number of that scanner;
//! `alert/s/{brand}/{height:u64 be}{tx id}` → [`BrandAlert`].

use std::collections::BTreeSet;

use borsh::{BorshDeserialize, BorshSerialize};
use tracechain_types::records::{ConsumerScan, ParticipantCategory, TraceCode};
use tracechain_types::{Hash, PublicKey};

use crate::context::ChainParams;
use crate::context::TxEnv;
use crate::error::{ContractError, ErrorCode, Problem};
use crate::index_tags::IndexTag;
use crate::lineage::{self, LinkKind, Node};
use crate::query;
use crate::rules::Rule;
use crate::state::{decode_stored, scan_page, StateView};
use crate::state_keys;
use crate::trace::{self, TraceUnit};
use crate::trace_codes::NormalisedCode;
use crate::validate::FieldChecker;

/// Most scans listed by one [`verdict`] (the latest ones); the count is exact regardless.
pub const MAX_SCANS_LISTED: usize = 100;
/// Most lineage links read to find an item's declared destinations (two hops: the item's and
/// its batch's shipments and logistics units, and those units' shipments). A lineage denser
/// than that within two hops is judged against the destinations found among the first links
/// read, in key order; judging a scan never reads more.
pub const MAX_DESTINATION_LINKS: usize = 4096;
/// Most brand alerts listed by one [`brand_alerts`] call.
pub const MAX_BRAND_ALERTS: usize = 1000;
/// Kilometres per degree of arc on the mean Earth sphere, × 1000.
const METRES_PER_DEGREE: u64 = 111_195;

/// cos(k°) × 10⁴ for k = 0..=90.
const COS_E4: [u64; 91] = [
    10000, 9998, 9994, 9986, 9976, 9962, 9945, 9925, 9903, 9877, 9848, 9816, 9781, 9744, 9703,
    9659, 9613, 9563, 9511, 9455, 9397, 9336, 9272, 9205, 9135, 9063, 8988, 8910, 8829, 8746, 8660,
    8572, 8480, 8387, 8290, 8192, 8090, 7986, 7880, 7771, 7660, 7547, 7431, 7314, 7193, 7071, 6947,
    6820, 6691, 6561, 6428, 6293, 6157, 6018, 5878, 5736, 5592, 5446, 5299, 5150, 5000, 4848, 4695,
    4540, 4384, 4226, 4067, 3907, 3746, 3584, 3420, 3256, 3090, 2924, 2756, 2588, 2419, 2250, 2079,
    1908, 1736, 1564, 1392, 1219, 1045, 872, 698, 523, 349, 175, 0,
];

/// Approximate distance in km between two coarse positions (degrees × 10²).
pub fn distance_km(a: (i16, i16), b: (i16, i16)) -> u64 {
    let (lat1, lon1) = (i64::from(a.0), i64::from(a.1));
    let (lat2, lon2) = (i64::from(b.0), i64::from(b.1));
    let dlat = (lat2 - lat1).unsigned_abs();
    let mut dlon = (lon2 - lon1).rem_euclid(36_000);
    if dlon > 18_000 {
        dlon = 36_000 - dlon;
    }
    let mean_deg = ((lat1 + lat2) / 2).unsigned_abs() / 100;
    let cos = COS_E4
        .get(usize::try_from(mean_deg).unwrap_or(90))
        .copied()
        .unwrap_or(0);
    let dx = dlon.unsigned_abs() * cos / 10_000;
    let centi_deg = (dx * dx + dlat * dlat).isqrt();
    centi_deg * METRES_PER_DEGREE / 100_000
}

/// Domain of the scanner tag the contract derives for a consumer signing its own scan.
pub const SCAN_TAG_DOMAIN: &[u8] = b"tracechain/scan-tag/v1";

/// Why a scan raised an alert.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum ScanAlert {
    /// More distinct scanners than the threshold.
    TooManyScans {
        /// Distinct scanners so far, this one included.
        count: u32,
        /// The threshold in force.
        threshold: u32,
    },
    /// Scanned in a country that is not a declared destination.
    OutsideDestination {
        /// Scan country.
        country: String,
        /// Declared destinations.
        destinations: Vec<String>,
    },
    /// Far from the previous scan.
    FarFromPrevious {
        /// Distance (km).
        km: u64,
        /// Threshold (km).
        threshold_km: u32,
    },
}

/// One recorded scan (`scn/{code}/{n}`).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct ScanEntry {
    /// 1-based scan number.
    pub number: u32,
    /// Scan time: the block's (Unix ms).
    pub time_ms: u64,
    /// Country.
    pub country: String,
    /// Coarse position (degrees × 10²), when given.
    pub position: Option<(i16, i16)>,
    /// The scanner's pseudonym for this item (never its key).
    pub scanner_tag: Hash,
    /// Whether this scanner had scanned the item before (counted once).
    pub repeat: bool,
    /// Height.
    pub height: u64,
    /// Transaction.
    pub tx_id: Hash,
    /// Alerts raised by this scan.
    pub alerts: Vec<ScanAlert>,
}

/// Per-item scan summary (`scn/{code}`).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct ScanSummary {
    /// Number of scans (saturates at `u32::MAX`: further scans are recorded as scan `u32::MAX`).
    pub count: u32,
    /// Number of distinct scanner tags (saturates).
    pub scanners: u32,
    /// The first scan's time: its block's (Unix ms).
    pub first_time_ms: u64,
    /// The first scan's height.
    pub first_height: u64,
    /// The last known coarse position.
    pub last_position: Option<(i16, i16)>,
    /// Scans that raised at least one alert (saturates at `u32::MAX`).
    pub alerted_scans: u32,
    /// Why the item is suspicious: the first alert of each kind ever raised (at most three).
    pub why: Vec<ScanAlert>,
}

/// An alert as the brand lists it (`alert/s/{brand}/…`).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct BrandAlert {
    /// The item.
    pub code: TraceCode,
    /// The scan that raised it.
    pub scan: ScanEntry,
}

fn summary_key(code: &NormalisedCode) -> Vec<u8> {
    state_keys::key("scn/", &[code.as_bytes()])
}

fn entry_key(code: &NormalisedCode, n: u32) -> Vec<u8> {
    state_keys::key("scn/", &[code.as_bytes(), &n.to_be_bytes()])
}

fn tag_key(code: &NormalisedCode, tag: &Hash) -> Vec<u8> {
    state_keys::key("scnt/", &[code.as_bytes(), &tag.0])
}

fn brand_alerts_listing(brand: &PublicKey) -> Vec<u8> {
    state_keys::prefix("alert/s/", &[&brand.0])
}

fn brand_alert_key(brand: &PublicKey, height: u64, tx: &Hash) -> Vec<u8> {
    let mut last = height.to_be_bytes().to_vec();
    last.extend_from_slice(&tx.0);
    state_keys::key("alert/s/", &[&brand.0, &last])
}

/// The declared destination countries of a unit (see the module docs).
pub fn destinations(state: &dyn StateView, code: &NormalisedCode) -> BTreeSet<String> {
    match trace::load(state, code) {
        Some(unit) => destinations_of(state, code, &unit),
        None => destinations_of_codes(state, std::slice::from_ref(code)),
    }
}

/// [`destinations`] of a unit already loaded (its batch is read from `unit`, not loaded again).
pub fn destinations_of(
    state: &dyn StateView,
    code: &NormalisedCode,
    unit: &TraceUnit,
) -> BTreeSet<String> {
    let mut codes = vec![code.clone()];
    if let Some(b) = unit
        .batch
        .as_ref()
        .and_then(|b| NormalisedCode::new("batch", b).ok())
    {
        codes.push(b);
    }
    destinations_of_codes(state, &codes)
}

fn destinations_of_codes(state: &dyn StateView, codes: &[NormalisedCode]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    // Links examined in all, whatever the lineage: judging a scan (a write every validator
    // executes) costs at most this many reads, however many links custodians wrote.
    let mut budget = MAX_DESTINATION_LINKS;
    for c in codes {
        let start = Node::unit(c);
        let mut frontier = vec![start];
        // unit → shipment, or unit → SSCC → shipment: two hops over pack / ship links. Only
        // recorded links matter (item-of-batch links lead to neither), so the batch's items
        // are not listed.
        for _ in 0..2 {
            let mut next = Vec::new();
            for n in &frontier {
                let prefix = state_keys::prefix("lin/d/", &[&n.bytes()]);
                let mut after: Option<Vec<u8>> = None;
                while budget > 0 {
                    let page =
                        state.scan(&prefix, after.as_deref(), budget.min(lineage::EDGE_PAGE));
                    let read = page.len();
                    budget -= read;
                    for (k, v) in page {
                        let e: lineage::Edge = decode_stored(&k, &v);
                        match e.kind {
                            LinkKind::Shipped {
                                destination_country,
                            } => {
                                out.insert(destination_country);
                            }
                            LinkKind::Packed => next.push(e.neighbour),
                            LinkKind::Transformation | LinkKind::ItemOfBatch => {}
                        }
                        after = Some(k);
                    }
                    if read < lineage::EDGE_PAGE {
                        break;
                    }
                }
            }
            frontier = next;
        }
    }
    if !out.is_empty() {
        return out;
    }
    // No shipment names a destination: fall back to transport destination countries, by
    // their index (one entry per unit and country, however many transports).
    for c in codes {
        let prefix = state_keys::prefix("dst/", &[c.as_bytes()]);
        let mut after: Option<Vec<u8>> = None;
        loop {
            let (entries, next) =
                crate::state::scan_page(state, &prefix, after.as_deref(), query::RECORD_PAGE);
            for (k, _) in &entries {
                if let Some(country) =
                    state_keys::last_part(k).and_then(|b| String::from_utf8(b).ok())
                {
                    out.insert(country);
                }
            }
            match next {
                Some(k) => after = Some(k),
                None => break,
            }
        }
    }
    out
}

/// `dst/{code}/{country}`: a transport record (R-L2) of the unit names this destination
/// country; the fallback of [`destinations`] when no shipment names one.
pub(crate) fn transport_destination_key(code: &NormalisedCode, country: &str) -> Vec<u8> {
    state_keys::key("dst/", &[code.as_bytes(), country.as_bytes()])
}

/// ConsumerScan (R-S4): consumers (and the platform operator's scanning service) record a
/// scan of a registered item-level code with time, country and optional coarse position
/// (both coordinates or neither; latitude ±90.00°, longitude ±180.00°). Never refused for
/// being suspicious: suspicion is an alert, the scan is the evidence.
pub(crate) fn consumer_scan(env: &mut TxEnv<'_>, r: &ConsumerScan) -> Result<(), ContractError> {
    let mut c = FieldChecker::new();
    c.country_value("country", &r.country);
    let by_service = env
        .participant
        .as_ref()
        .is_some_and(|p| p.registration.category == ParticipantCategory::PlatformOperator);
    if by_service && r.scanner_tag == Hash::ZERO {
        c.push("scanner_tag", Problem::Missing);
    }
    if !by_service && r.scanner_tag != Hash::ZERO {
        c.push(
            "scanner_tag",
            Problem::NotAllowed(
                "a consumer signing its own scan gives no tag: it is derived from its key".into(),
            ),
        );
    }
    if r.coarse_lat_e2
        .is_some_and(|lat| !(-9000..=9000).contains(&lat))
    {
        c.push(
            "coarse_lat_e2",
            Problem::OutOfRange("latitude beyond ±90°".into()),
        );
    }
    if r.coarse_lon_e2
        .is_some_and(|lon| !(-18000..=18000).contains(&lon))
    {
        c.push(
            "coarse_lon_e2",
            Problem::OutOfRange("longitude beyond ±180°".into()),
        );
    }
    let position = match (r.coarse_lat_e2, r.coarse_lon_e2) {
        (Some(lat), Some(lon)) => Some((lat, lon)),
        (None, None) => None,
        (Some(_), None) => {
            c.push("coarse_lon_e2", Problem::Missing);
            None
        }
        (None, Some(_)) => {
            c.push("coarse_lat_e2", Problem::Missing);
            None
        }
    };
    let code = match NormalisedCode::new("code", &r.code) {
        Ok(n) => Some(n),
        Err(p) => {
            c.extend(p);
            None
        }
    };
    c.finish(Rule::RS4)?;
    let Some(code) = code else {
        return Err(ContractError::one(
            Rule::RS4,
            ErrorCode::MalformedItem,
            "code",
            Problem::Missing,
        ));
    };
    if !code.is_item() {
        return Err(ContractError::one(
            Rule::RS4,
            ErrorCode::MalformedItem,
            "code",
            Problem::NotAllowed("consumer scans concern item-level codes (GTIN + serial)".into()),
        ));
    }
    let Some(unit) = trace::load(&env.state, &code) else {
        return Err(ContractError::one(
            Rule::RX4,
            ErrorCode::UnknownTraceUnit,
            "code",
            Problem::NotFound(code.as_str().to_string()),
        ));
    };
    let params: &ChainParams = &env.ctx.params;
    let time_ms = env.ctx.timestamp_ms;
    let tag = if by_service {
        r.scanner_tag
    } else {
        Hash::tagged(SCAN_TAG_DOMAIN, &[&env.signer.0, code.as_bytes()])
    };
    let sk = summary_key(&code);
    let prev: Option<ScanSummary> = env.state.get_value(&sk);
    let number = prev.as_ref().map_or(0, |p| p.count).saturating_add(1);
    let tk = tag_key(&code, &tag);
    let repeat = env.state.get_ref(&tk).is_some();
    let scanners = prev
        .as_ref()
        .map_or(0, |p| p.scanners)
        .saturating_add(u32::from(!repeat));
    let mut alerts = Vec::new();
    if !repeat && scanners > params.scan_alert_threshold {
        alerts.push(ScanAlert::TooManyScans {
            count: scanners,
            threshold: params.scan_alert_threshold,
        });
    }
    let dest = destinations_of(&env.state, &code, &unit);
    if !dest.is_empty() && !dest.contains(&r.country) {
        alerts.push(ScanAlert::OutsideDestination {
            country: r.country.clone(),
            destinations: dest.into_iter().collect(),
        });
    }
    if let (Some(p), Some(here)) = (prev.as_ref().and_then(|p| p.last_position), position) {
        let km = distance_km(p, here);
        if km > u64::from(params.scan_distance_alert_km) {
            alerts.push(ScanAlert::FarFromPrevious {
                km,
                threshold_km: params.scan_distance_alert_km,
            });
        }
    }
    let entry = ScanEntry {
        number,
        time_ms,
        country: r.country.clone(),
        position,
        scanner_tag: tag,
        repeat,
        height: env.ctx.height,
        tx_id: env.tx_id,
        alerts,
    };
    let mut why = prev.as_ref().map(|p| p.why.clone()).unwrap_or_default();
    for a in &entry.alerts {
        if !why
            .iter()
            .any(|w| std::mem::discriminant(w) == std::mem::discriminant(a))
        {
            why.push(a.clone());
        }
    }
    let summary = ScanSummary {
        count: number,
        scanners,
        first_time_ms: prev.as_ref().map_or(time_ms, |p| p.first_time_ms),
        first_height: prev.as_ref().map_or(env.ctx.height, |p| p.first_height),
        last_position: position.or(prev.as_ref().and_then(|p| p.last_position)),
        // Saturating like `count`: an overflow here would panic (debug) or wrap (release).
        alerted_scans: prev
            .as_ref()
            .map_or(0, |p| p.alerted_scans)
            .saturating_add(u32::from(!entry.alerts.is_empty())),
        why,
    };
    if !repeat {
        env.state.put_value(tk, &number);
    }
    if !entry.alerts.is_empty() {
        env.put_listed(
            &brand_alerts_listing(&unit.registrant),
            brand_alert_key(&unit.registrant, env.ctx.height, &env.tx_id),
            &BrandAlert {
                code: code.code().clone(),
                scan: entry.clone(),
            },
        );
    }
    env.state.put_value(entry_key(&code, number), &entry);
    env.state.put_value(sk, &summary);
    env.store_record(IndexTag::Scan, std::slice::from_ref(&code));
    Ok(())
}

// ------------------------------------------------------------------------------ read side

/// The answer to "is this item genuine?" (R-S4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScanVerdict {
    /// The item (normalised).
    pub code: TraceCode,
    /// Number of scans so far.
    pub count: u32,
    /// Number of distinct scanners so far.
    pub scanners: u32,
    /// First scan time (Unix ms, the block's), when scanned before.
    pub first_scan_ms: Option<u64>,
    /// Declared destination countries.
    pub destinations: Vec<String>,
    /// The latest scans (at most [`MAX_SCANS_LISTED`]), oldest first.
    pub scans: Vec<ScanEntry>,
    /// Every alert among the listed scans.
    pub alerts: Vec<ScanAlert>,
    /// Whether any scan ever raised an alert.
    pub suspicious: bool,
    /// Why: the first alert of each kind ever raised (empty when not suspicious).
    pub why: Vec<ScanAlert>,
}

/// A page of an item's scans in scan order: those numbered `from` (1-based, clamped to 1) up
/// to `from + limit − 1` (`limit` clamped to 1..=[`MAX_SCANS_LISTED`]), with the number of
/// scans in all (the next page starts after the last number returned). `None` when the code
/// is not a registered unit. [`verdict`] lists the latest page.
pub fn scans_page(
    state: &dyn StateView,
    code: &TraceCode,
    from: u32,
    limit: usize,
) -> Option<(Vec<ScanEntry>, u32)> {
    let (n, _) = query::unit(state, code)?;
    let sk = summary_key(&n);
    let count = state
        .get(&sk)
        .map(|b| decode_stored::<ScanSummary>(&sk, &b).count)
        .unwrap_or(0);
    let limit = u32::try_from(limit.clamp(1, MAX_SCANS_LISTED)).unwrap_or(1);
    let from = from.max(1);
    let to = from.saturating_add(limit - 1).min(count);
    let scans = (from..=to)
        .filter_map(|i| {
            let k = entry_key(&n, i);
            state.get(&k).map(|b| decode_stored::<ScanEntry>(&k, &b))
        })
        .collect();
    Some((scans, count))
}

/// The scan verdict of an item; `None` when it is not a registered unit.
pub fn verdict(state: &dyn StateView, code: &TraceCode) -> Option<ScanVerdict> {
    let (n, _) = query::unit(state, code)?;
    let sk = summary_key(&n);
    let summary: Option<ScanSummary> = state.get(&sk).map(|b| decode_stored(&sk, &b));
    let count = summary.as_ref().map_or(0, |s| s.count);
    let from = count.saturating_sub(u32::try_from(MAX_SCANS_LISTED).unwrap_or(u32::MAX)) + 1;
    let mut scans = Vec::new();
    for i in from..=count {
        let k = entry_key(&n, i);
        if let Some(b) = state.get(&k) {
            scans.push(decode_stored::<ScanEntry>(&k, &b));
        }
    }
    let alerts = scans.iter().flat_map(|s| s.alerts.clone()).collect();
    Some(ScanVerdict {
        code: n.code().clone(),
        count,
        scanners: summary.as_ref().map_or(0, |s| s.scanners),
        first_scan_ms: summary.as_ref().map(|s| s.first_time_ms),
        destinations: destinations(state, &n).into_iter().collect(),
        scans,
        alerts,
        suspicious: summary.as_ref().is_some_and(|s| s.alerted_scans > 0),
        why: summary.map(|s| s.why).unwrap_or_default(),
    })
}

/// Scan alerts of a brand's items (R-S4: visible to the brand and regulators), oldest first:
/// the first page of [`brand_alerts_page`].
pub fn brand_alerts(state: &dyn StateView, brand: &PublicKey) -> Vec<BrandAlert> {
    brand_alerts_page(state, brand, None, MAX_BRAND_ALERTS).0
}

/// How many scan alerts a brand's items have (every page of [`brand_alerts_page`] together).
pub fn brand_alert_count(state: &dyn StateView, brand: &PublicKey) -> u64 {
    query::listing_count(state, &brand_alerts_listing(brand))
}

/// A page of a brand's scan alerts, oldest first: at most `limit` (clamped to
/// 1..=[`MAX_BRAND_ALERTS`]) after the cursor `after` (the opaque cursor a previous page
/// returned); returns the alerts and the cursor of the next page (`None` at the end).
pub fn brand_alerts_page(
    state: &dyn StateView,
    brand: &PublicKey,
    after: Option<&[u8]>,
    limit: usize,
) -> (Vec<BrandAlert>, Option<Vec<u8>>) {
    let prefix = brand_alerts_listing(brand);
    let (entries, next) = scan_page(state, &prefix, after, limit.clamp(1, MAX_BRAND_ALERTS));
    (
        entries
            .into_iter()
            .map(|(k, v)| decode_stored(&k, &v))
            .collect(),
        next,
    )
}
