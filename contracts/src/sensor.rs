//! Sensor readings against declared ranges (R-S6).
//!
//! `on_readings` is called by `info_blocks` for every accepted transport or warehousing record
//! that carries readings, after the record is stored. For each trace unit of the record it
//! takes the product's declared range — the `sensor_range` of the latest product-features
//! record (R-P3) of the unit, or of its batch for an item — and writes one alert entry when
//! any reading is outside it. It never refuses the record: a reading outside the range is a
//! fact to report, not a malformed record. A unit without a declared range raises no alert.
//!
//! Key layout: `sen/{code}/{height:u64 be}{tx id}` → [`SensorAlert`];
//! `alert/r/{brand}/{height:u64 be}{tx id}/{code}` → `()` (a brand's sensor alerts).

use borsh::{BorshDeserialize, BorshSerialize};
use tracechain_types::records::{SensorRange, SensorReading, TraceCode};
use tracechain_types::{Category, Hash, PublicKey};

use crate::context::TxEnv;
use crate::error::ContractError;
use crate::index_tags::IndexTag;
use crate::query;
use crate::state::{decode_stored, scan_page, StateView};
use crate::state_keys;
use crate::trace;
use crate::trace_codes::NormalisedCode;
use crate::validate::parse_rfc3339;

/// Most excursions stored per alert (the earliest ones); [`SensorAlert::excursion_count`]
/// counts them all.
pub const MAX_EXCURSIONS_STORED: usize = 32;
/// Most alerts one read returns.
pub const MAX_ALERTS_LISTED: usize = 1000;

/// Which bound a reading crossed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum Bound {
    /// Below the minimum temperature.
    TemperatureLow,
    /// Above the maximum temperature.
    TemperatureHigh,
    /// Below the minimum humidity.
    HumidityLow,
    /// Above the maximum humidity.
    HumidityHigh,
}

/// One reading outside the range.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Excursion {
    /// Reading time (Unix ms).
    pub time_ms: i64,
    /// The bound crossed.
    pub bound: Bound,
    /// The value (centi-°C or basis points of RH).
    pub value: i32,
    /// The limit (same unit).
    pub limit: i32,
}

/// A sensor alert of one unit from one record (`sen/{code}/…`).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct SensorAlert {
    /// The unit (normalised).
    pub code: TraceCode,
    /// The record carrying the readings.
    pub tx_id: Hash,
    /// Its height.
    pub height: u64,
    /// Its category (`L2` transport, `L3` warehousing).
    pub category: String,
    /// The range judged against.
    pub range: SensorRange,
    /// Number of readings outside it.
    pub excursion_count: u32,
    /// The first [`MAX_EXCURSIONS_STORED`] of them.
    pub excursions: Vec<Excursion>,
}

fn unit_alerts_listing(code: &NormalisedCode) -> Vec<u8> {
    state_keys::prefix("sen/", &[code.as_bytes()])
}

fn brand_alerts_listing(brand: &PublicKey) -> Vec<u8> {
    state_keys::prefix("alert/r/", &[&brand.0])
}

fn alert_key(code: &NormalisedCode, height: u64, tx: &Hash) -> Vec<u8> {
    let mut last = height.to_be_bytes().to_vec();
    last.extend_from_slice(&tx.0);
    state_keys::key("sen/", &[code.as_bytes(), &last])
}

fn brand_key(brand: &PublicKey, height: u64, tx: &Hash, code: &NormalisedCode) -> Vec<u8> {
    let mut mid = height.to_be_bytes().to_vec();
    mid.extend_from_slice(&tx.0);
    state_keys::key("alert/r/", &[&brand.0, &mid, code.as_bytes()])
}

fn range_key(code: &NormalisedCode) -> Vec<u8> {
    state_keys::key("srg/", &[code.as_bytes()])
}

/// Called when a product-features record (R-P3) with a `sensor_range` is stored: it becomes
/// the declared range of each unit it names (`srg/{code}`), so judging readings reads one key
/// per unit, however many product-features records the unit has.
pub(crate) fn declare_range(env: &mut TxEnv<'_>, codes: &[NormalisedCode], range: &SensorRange) {
    for c in codes {
        env.state.put_value(range_key(c), range);
    }
}

/// The declared range of a unit: the `sensor_range` of its latest R-P3 record that has one,
/// else its batch's.
pub fn declared_range(state: &dyn StateView, code: &NormalisedCode) -> Option<SensorRange> {
    query::self_and_batch(state, code).iter().find_map(|c| {
        let k = range_key(c);
        state.get_ref(&k).map(|b| decode_stored(&k, &b))
    })
}

/// The readings outside `range`, in reading order.
pub fn excursions(range: &SensorRange, readings: &[SensorReading]) -> Vec<Excursion> {
    let mut out = Vec::new();
    for r in readings {
        let time_ms = parse_rfc3339(&r.time).unwrap_or(i64::MIN);
        if let Some(t) = r.temperature_centi_c {
            if let Some(min) = range.min_temperature_centi_c.filter(|m| t < *m) {
                out.push(Excursion {
                    time_ms,
                    bound: Bound::TemperatureLow,
                    value: t,
                    limit: min,
                });
            }
            if let Some(max) = range.max_temperature_centi_c.filter(|m| t > *m) {
                out.push(Excursion {
                    time_ms,
                    bound: Bound::TemperatureHigh,
                    value: t,
                    limit: max,
                });
            }
        }
        if let Some(h) = r.humidity_bp {
            if let Some(min) = range.min_humidity_bp.filter(|m| h < *m) {
                out.push(Excursion {
                    time_ms,
                    bound: Bound::HumidityLow,
                    value: i32::from(h),
                    limit: i32::from(min),
                });
            }
            if let Some(max) = range.max_humidity_bp.filter(|m| h > *m) {
                out.push(Excursion {
                    time_ms,
                    bound: Bound::HumidityHigh,
                    value: i32::from(h),
                    limit: i32::from(max),
                });
            }
        }
    }
    out
}

/// Called after a transport / warehousing record with readings was stored (R-S6).
pub(crate) fn on_readings(
    env: &mut TxEnv<'_>,
    codes: &[NormalisedCode],
    readings: &[SensorReading],
) -> Result<(), ContractError> {
    // The record was indexed just before this hook; its index entry tells the category
    // without decoding the stored envelope again (hot path, see docs/benchmarks.md).
    let category = match codes.first() {
        Some(c)
            if env
                .state
                .get(&state_keys::unit_record(
                    c,
                    IndexTag::Info(Category::L3),
                    env.ctx.height,
                    &env.tx_id,
                ))
                .is_some() =>
        {
            IndexTag::Info(Category::L3)
        }
        _ => IndexTag::Info(Category::L2),
    };
    for code in codes {
        let Some(range) = declared_range(&env.state, code) else {
            continue;
        };
        let all = excursions(&range, readings);
        if all.is_empty() {
            continue;
        }
        let alert = SensorAlert {
            code: code.code().clone(),
            tx_id: env.tx_id,
            height: env.ctx.height,
            category: category.to_string(),
            range,
            excursion_count: u32::try_from(all.len()).unwrap_or(u32::MAX),
            excursions: all.into_iter().take(MAX_EXCURSIONS_STORED).collect(),
        };
        env.put_listed(
            &unit_alerts_listing(code),
            alert_key(code, env.ctx.height, &env.tx_id),
            &alert,
        );
        if let Some(unit) = trace::load(&env.state, code) {
            env.put_listed(
                &brand_alerts_listing(&unit.registrant),
                brand_key(&unit.registrant, env.ctx.height, &env.tx_id, code),
                &(),
            );
        }
    }
    Ok(())
}

// ------------------------------------------------------------------------------ read side

/// Sensor alerts of a unit and, for an item, of its batch (R-S6), in (height, tx) order: the
/// first page of each ([`MAX_ALERTS_LISTED`]); [`unit_alert_count`] says how many each has and
/// [`unit_alerts_page`] lists them all.
pub fn sensor_alerts(state: &dyn StateView, code: &TraceCode) -> Vec<SensorAlert> {
    let Some((n, _)) = query::unit(state, code) else {
        return Vec::new();
    };
    let mut out: Vec<SensorAlert> = Vec::new();
    for c in query::self_and_batch(state, &n) {
        out.extend(unit_alerts_page(state, &c, None, MAX_ALERTS_LISTED).0);
    }
    out.sort_by_key(|a| (a.height, a.tx_id));
    out
}

/// A page of the sensor alerts of one unit (not of its batch), in (height, tx) order: at most
/// `limit` (clamped to 1..=[`MAX_ALERTS_LISTED`]) after the opaque cursor `after` of a previous
/// page; returns the alerts and the next page's cursor (`None` at the end).
pub fn unit_alerts_page(
    state: &dyn StateView,
    code: &NormalisedCode,
    after: Option<&[u8]>,
    limit: usize,
) -> (Vec<SensorAlert>, Option<Vec<u8>>) {
    let (entries, next) = scan_page(
        state,
        &unit_alerts_listing(code),
        after,
        limit.clamp(1, MAX_ALERTS_LISTED),
    );
    (
        entries
            .into_iter()
            .map(|(k, v)| decode_stored::<SensorAlert>(&k, &v))
            .collect(),
        next,
    )
}

/// How many sensor alerts one unit has (not counting its batch's).
pub fn unit_alert_count(state: &dyn StateView, code: &NormalisedCode) -> u64 {
    query::listing_count(state, &unit_alerts_listing(code))
}

/// How many sensor alerts a brand's units have (every page of [`brand_sensor_alerts_page`]).
pub fn brand_sensor_alert_count(state: &dyn StateView, brand: &PublicKey) -> u64 {
    query::listing_count(state, &brand_alerts_listing(brand))
}

/// The units with sensor alerts of a brand (the units' registrant), as
/// (height, tx id, unit element string), oldest first: the first page of
/// [`brand_sensor_alerts_page`].
pub fn brand_sensor_alerts(state: &dyn StateView, brand: &PublicKey) -> Vec<(u64, Hash, String)> {
    brand_sensor_alerts_page(state, brand, None, MAX_ALERTS_LISTED).0
}

/// A sensor alert of a brand as listed: (height, tx id, unit element string).
pub type SensorAlertRef = (u64, Hash, String);

/// A page of a brand's sensor alerts, oldest first: at most `limit` (clamped to
/// 1..=[`MAX_ALERTS_LISTED`]) after the opaque cursor `after` of a previous page; returns the
/// alerts and the next page's cursor (`None` at the end).
pub fn brand_sensor_alerts_page(
    state: &dyn StateView,
    brand: &PublicKey,
    after: Option<&[u8]>,
    limit: usize,
) -> (Vec<SensorAlertRef>, Option<Vec<u8>>) {
    let prefix = brand_alerts_listing(brand);
    let (entries, next) = scan_page(state, &prefix, after, limit.clamp(1, MAX_ALERTS_LISTED));
    let alerts = entries
        .into_iter()
        .filter_map(|(k, _)| {
            let parts = state_keys::parts_after(&k, &prefix)?;
            let [mid, code] = parts.as_slice() else {
                return None;
            };
            let code = String::from_utf8(code.clone()).ok()?;
            let height = u64::from_be_bytes(mid.get(..8)?.try_into().ok()?);
            let tx: [u8; 32] = mid.get(8..40)?.try_into().ok()?;
            Some((height, Hash(tx), code))
        })
        .collect();
    (alerts, next)
}
