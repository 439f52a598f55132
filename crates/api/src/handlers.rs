//! The `/v1` read endpoints.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde::Deserialize;
use serde_json::{json, Value};
use tracechain_contracts::lineage::{self, Direction, Node};
use tracechain_contracts::query::trajectory::{self, Precision};
use tracechain_contracts::trace::{self, HistoryCursor, HistoryQuery};
use tracechain_contracts::trace_codes::{parse_digital_link, NormalisedCode};
use tracechain_contracts::{
    completeness, documents, query, recall, registry, scan, sensor, state_keys, IndexTag,
    RecordEnvelope, RecordSource, StateView,
};
use tracechain_types::records::TraceCode;
use tracechain_types::Hash;
use tracechain_types::InfoBlockRecord;

use crate::auth::Role;
use crate::problem::Problem;
use crate::proof::{ProofBase, RecordProof};
use crate::{answer, Ctx, ReadApi};

pub(crate) type Api = State<Arc<ReadApi>>;

/// A path parameter, or the problem of one that does not decode (bad percent-encoding).
pub(crate) fn path_param(p: Result<Path<String>, PathRejection>) -> Result<String, Problem> {
    p.map(|Path(v)| v)
        .map_err(|e| Problem::bad_request("E_BAD_PATH", e.body_text()))
}

/// The answer to a path no endpoint serves.
pub async fn not_found() -> Problem {
    Problem::not_found("E_NOT_FOUND", "no such endpoint")
}

/// Parse a trace code from a path segment: the normalised element string
/// (`01{gtin14}10{batch}` or `01{gtin14}21{serial}`) or a GS1 Digital Link URI.
pub(crate) fn parse_code(s: &str) -> Result<TraceCode, Problem> {
    let bad = |why: String| {
        Problem::bad_request("E_BAD_CODE", format!("{s:?} is not a trace code: {why}")).rule("R-I2")
    };
    let code = if s.starts_with("http://") || s.starts_with("https://") {
        parse_digital_link(s).map_err(bad)?
    } else {
        let rest = s
            .strip_prefix("01")
            .ok_or_else(|| bad("an element string starts with AI 01".into()))?;
        if rest.len() < 16 || !rest.is_char_boundary(14) {
            return Err(bad("AI 01 takes 14 digits, then AI 10 or 21".into()));
        }
        let (gtin, tail) = rest.split_at(14);
        if let Some(batch) = tail.strip_prefix("10") {
            TraceCode::Batch {
                gtin: gtin.into(),
                batch: batch.into(),
            }
        } else if let Some(serial) = tail.strip_prefix("21") {
            TraceCode::Item {
                gtin: gtin.into(),
                serial: serial.into(),
            }
        } else {
            return Err(bad(
                "after the GTIN comes AI 10 (batch) or 21 (serial)".into()
            ));
        }
    };
    NormalisedCode::new("code", &code).map_err(|p| {
        bad(p
            .iter()
            .map(|f| format!("{}: {:?}", f.field, f.problem))
            .collect::<Vec<_>>()
            .join("; "))
    })?;
    Ok(code)
}

pub(crate) fn unknown_unit(code: &TraceCode) -> Problem {
    Problem::not_found(
        "E_UNKNOWN_UNIT",
        format!("no trace unit {} is registered", code_text(code)),
    )
    .rule("R-I1")
}

pub(crate) fn code_text(code: &TraceCode) -> String {
    NormalisedCode::new("code", code)
        .map(|n| n.as_str().to_string())
        .unwrap_or_else(|_| format!("{code:?}"))
}

/// Whether `key` took part in the unit `code` (or, for an item, in its batch): it registered
/// it, or it is a trace-service provider of it — it wrote a record of the unit other than
/// feedback, a scan or a document anchor, which anyone may file about any unit (R-S7,
/// `prv/`). One index read per code, whatever the number of records.
pub(crate) fn took_part(
    state: &dyn StateView,
    code: &TraceCode,
    key: &tracechain_types::PublicKey,
) -> bool {
    let Some((n, unit)) = query::unit(state, code) else {
        return false;
    };
    if unit.registrant == *key {
        return true;
    }
    query::self_and_batch(state, &n).iter().any(|c| {
        state.get(&state_keys::unit_provider(c, key)).is_some()
            || trace::load(state, c).is_some_and(|u| u.registrant == *key)
    })
}

/// Whether `key` registered the unit (or, for an item, its batch).
fn registered(state: &dyn StateView, code: &TraceCode, key: &tracechain_types::PublicKey) -> bool {
    let Some((n, _)) = query::unit(state, code) else {
        return false;
    };
    query::self_and_batch(state, &n)
        .iter()
        .any(|c| trace::load(state, c).is_some_and(|u| u.registrant == *key))
}

/// What reaches beyond one's own records — every downstream unit, warehouse, retailer and
/// order of a batch — is read by regulators and the unit's registrant only.
fn may_read_downstream(ctx: &Ctx<'_>, code: &TraceCode) -> Result<(), Problem> {
    match ctx.role {
        Role::Regulator(_) => Ok(()),
        Role::Participant(k) if registered(&ctx.snap, code, &k) => Ok(()),
        _ => Err(Problem::forbidden(format!(
            "the downstream of {} (recall impact, forward lineage) is read by regulators and its registrant",
            code_text(code)
        ))),
    }
}

/// Regulators read every unit, a participant the units it took part in, the public none
/// (the public reads the consumer story).
pub(crate) fn may_read_unit(ctx: &Ctx<'_>, code: &TraceCode) -> Result<(), Problem> {
    match ctx.role {
        Role::Regulator(_) => Ok(()),
        Role::Participant(k) if took_part(&ctx.snap, code, &k) => Ok(()),
        Role::Participant(_) => Err(Problem::forbidden(format!(
            "this participant took part in no record of {}; its consumer story is at /v1/story/{}",
            code_text(code),
            code_text(code)
        ))),
        Role::Public => Err(Problem::forbidden(format!(
            "a unit's records are read by regulators and the participants that took part in it (sign the read); the public story is at /v1/story/{}",
            code_text(code)
        ))),
    }
}

fn hex_key(k: &tracechain_types::PublicKey) -> String {
    k.to_hex()
}

/// The JSON of a record as stored, with its source.
pub(crate) fn record_json(category: &str, env: &RecordEnvelope) -> Value {
    let source = match env.source {
        RecordSource::BulkImport { bulk_tx, index } => {
            json!({"bulk_import": bulk_tx.to_hex(), "item": index})
        }
        RecordSource::EpcisCapture { capture_tx, index } => {
            json!({"epcis_capture": capture_tx.to_hex(), "item": index})
        }
        RecordSource::Transaction => json!("transaction"),
    };
    json!({
        "record_id": env.tx_id.to_hex(),
        "category": category,
        "signer": hex_key(&env.signer),
        "height": env.height,
        "timestamp_ms": env.timestamp_ms,
        "source": source,
        "payload": env.payload,
    })
}

/// What an answer has read of a block: its transaction tree (and, without the index, its
/// transactions). The tree is built once per block however many of its records the answer
/// proves.
pub(crate) enum BlockTxs {
    /// The commit-time index (leaf, offset, length per transaction) and the tree of its
    /// leaves; transactions are read one by one.
    Indexed(
        Vec<tracechain_storage::TxSpan>,
        tracechain_types::MerkleTree,
    ),
    /// The decoded block and its tree.
    Decoded(
        Vec<tracechain_types::Transaction>,
        tracechain_types::MerkleTree,
    ),
}

/// The inclusion proof of a stored record (its transaction, or its bulk import's).
pub(crate) fn record_proof(
    ctx: &Ctx<'_>,
    env: &RecordEnvelope,
    blocks: &mut BTreeMap<u64, BlockTxs>,
    base: &mut ProofBase,
) -> Result<RecordProof, Problem> {
    let (tx_id, bulk_item) = env.source.carrier(env.tx_id);
    let loc = ctx
        .snap
        .tx_location(&tx_id)
        .map_err(Problem::internal)?
        .ok_or_else(|| Problem::internal(format!("record {} has no block", env.tx_id)))?;
    if let std::collections::btree_map::Entry::Vacant(e) = blocks.entry(loc.height) {
        // The block's leaves from the index written at commit; the whole block only for a
        // block stored before the index existed.
        let indexed = match ctx.snap.tx_layout(loc.height).map_err(Problem::internal)? {
            Some(layout) => {
                let leaves: Vec<Hash> = layout.iter().map(|(leaf, _, _)| *leaf).collect();
                Some(BlockTxs::Indexed(
                    layout,
                    tracechain_types::MerkleTree::new(leaves),
                ))
            }
            None => None,
        };
        let entry = match indexed {
            Some(e) => e,
            None => {
                let block = ctx
                    .snap
                    .block(loc.height)
                    .map_err(Problem::internal)?
                    .ok_or_else(|| Problem::internal(format!("no block at {}", loc.height)))?;
                let leaves = block
                    .txs
                    .iter()
                    .map(tracechain_types::block::tx_leaf)
                    .collect();
                BlockTxs::Decoded(block.txs, tracechain_types::MerkleTree::new(leaves))
            }
        };
        e.insert(entry);
    }
    ctx.add_header(base, loc.height)?;
    let outside = || Problem::internal("transaction index outside its block");
    match &blocks[&loc.height] {
        BlockTxs::Decoded(txs, tree) => {
            RecordProof::from_tree(env.tx_id, loc.height, loc.index, bulk_item, txs, tree)
                .ok_or_else(outside)
        }
        BlockTxs::Indexed(layout, tree) => {
            let &(_, off, len) = layout.get(loc.index as usize).ok_or_else(outside)?;
            let tx = ctx
                .snap
                .tx_in(loc.height, loc.index, off, len)
                .map_err(Problem::internal)?
                .filter(|t| {
                    t.id() == tx_id
                        && tree.leaves().get(loc.index as usize)
                            == Some(&tracechain_types::block::tx_leaf(t))
                })
                .ok_or_else(|| {
                    Problem::internal(format!(
                        "the block index of height {} disagrees with the block",
                        loc.height
                    ))
                })?;
            // The index is node-local: the proof it gives must lead to the certified
            // header's transaction root (a damaged index is an error, never a wrong proof).
            let p = RecordProof::of_tx(env.tx_id, loc.height, loc.index, bulk_item, &tx, tree)
                .ok_or_else(outside)?;
            let root = base.headers.get(&loc.height).map(|h| h.header.tx_root);
            if !root.is_some_and(|r| {
                p.inclusion
                    .verify(&r, &tracechain_types::block::tx_leaf(&tx))
            }) {
                return Err(Problem::internal(format!(
                    "the block index of height {} disagrees with the block",
                    loc.height
                )));
            }
            Ok(p)
        }
    }
}

fn encode_cursor(c: &HistoryCursor) -> String {
    let mut b = (c.source as u32).to_be_bytes().to_vec();
    b.extend_from_slice(&c.after);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

fn decode_cursor(s: &str) -> Result<HistoryCursor, Problem> {
    let bad = || Problem::bad_request("E_BAD_CURSOR", "the cursor is not one this API gave");
    let b = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .map_err(|_| bad())?;
    if b.len() < 4 || b.len() > 4 + 1024 {
        return Err(bad());
    }
    let source = u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize;
    Ok(HistoryCursor {
        source,
        after: b[4..].to_vec(),
    })
}

/// Other parameters are ignored: a Digital Link's query string is passed on to the link's
/// target (GS1-Conformant Resolver).
#[derive(Debug, Deserialize)]
pub(crate) struct TraceQuery {
    cursor: Option<String>,
    limit: Option<usize>,
    category: Option<String>,
}

/// `GET /v1/trace/{code}`: a page of the unit's history (and, for an item, its batch's), each
/// record with its inclusion proof, and the listing digests proven against the state root.
#[utoipa::path(
    get,
    path = "/v1/trace/{code}",
    tag = "trace",
    summary = "A page of a unit's records with inclusion proofs and the proven listing digests",
    params(
        ("code" = String, Path, description = "a trace code: `01{gtin14}10{batch}`, `01{gtin14}21{serial}` or a percent-encoded Digital Link URI"),
        ("limit" = Option<usize>, Query, description = "records in the page, 1..=api.max_page_records"),
        ("cursor" = Option<String>, Query, description = "the `next` cursor of the previous page"),
        ("category" = Option<String>, Query, description = "comma list of category tags (P1 … C2, L, …)")
    ),
    security((), ("tracechain_key" = [], "tracechain_timestamp" = [], "tracechain_signature" = [])),
    responses(
        (status = 200, description = "the answer, stamped with `read_at`", body = serde_json::Value),
        (status = 400, description = "a malformed request", body = crate::problem::ProblemBody, content_type = "application/problem+json"),
        (status = 401, description = "a signed read refused: malformed, stale, replayed, bad signature", body = crate::problem::ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "not for this reader's role (R-A5)", body = crate::problem::ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "not found", body = crate::problem::ProblemBody, content_type = "application/problem+json")
    )
)]
pub(crate) async fn trace(
    State(api): Api,
    code: Result<Path<String>, PathRejection>,
    q: Result<Query<TraceQuery>, axum::extract::rejection::QueryRejection>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let q = match q {
        Ok(Query(q)) => q,
        Err(e) => return Problem::bad_request("E_BAD_QUERY", e.body_text()).into_response(),
    };
    let code = match path_param(code).and_then(|c| parse_code(&c)) {
        Ok(c) => c,
        Err(p) => return p.into_response(),
    };
    let mut categories = Vec::new();
    for c in q.category.iter().flat_map(|c| c.split(',')) {
        match c.parse::<IndexTag>() {
            Ok(t) if categories.contains(&t) => {}
            Ok(t) => categories.push(t),
            Err(_) => {
                return Problem::bad_request(
                    "E_BAD_QUERY",
                    format!("unknown category {c:?} (P1 … C2, L, S1 …)"),
                )
                .into_response()
            }
        }
    }
    let after = match q.cursor.as_deref().map(decode_cursor).transpose() {
        Ok(a) => a,
        Err(p) => return p.into_response(),
    };
    let max = api.cfg.max_page_records;
    let limit = q.limit.unwrap_or(max);
    if limit == 0 || limit > max {
        return Problem::bad_request("E_BAD_QUERY", format!("limit is 1..={max}")).into_response();
    }
    let path = uri.path().to_string();
    let cat_param = q.category.clone();
    answer(api, method, uri, headers, Bytes::new(), move |ctx| {
        may_read_unit(ctx, &code)?;
        let page = trace::history(
            &ctx.snap,
            &code,
            &HistoryQuery {
                categories,
                after,
                limit,
            },
        )
        .ok_or_else(|| unknown_unit(&code))?;
        let mut base = ctx.base()?;
        let mut blocks = BTreeMap::new();
        let mut records = Vec::with_capacity(page.records.len());
        for ((cat, env), l) in page.records.iter().zip(&page.listed_in) {
            let mut r = record_json(cat, env);
            r["listing"] = json!(page.listings.get(*l).map(|(c, _)| c.clone()));
            r["proof"] = serde_json::to_value(record_proof(ctx, env, &mut blocks, &mut base)?)
                .map_err(Problem::internal)?;
            records.push(r);
        }
        let mut listings = Vec::new();
        for (c, d) in &page.listings {
            let n = NormalisedCode::new("code", &parse_code(c)?)
                .map_err(|_| Problem::internal("stored code"))?;
            listings.push(json!({
                "code": c,
                "count": d.count,
                "digest": d.digest.to_hex(),
                "proof": ctx.fact(&state_keys::unit_digest(&n))?,
            }));
        }
        let next = page.next.as_ref().map(|c| {
            let mut q = format!("cursor={}&limit={limit}", encode_cursor(c));
            if let Some(cat) = &cat_param {
                q.push_str(&format!("&category={cat}"));
            }
            format!("{path}?{q}")
        });
        Ok(json!({
            "unit": unit_json(ctx, &page.unit),
            "digital_link": page.digital_link,
            "records": records,
            "listings": listings,
            "next": next,
            "proofs": base,
        }))
    })
    .await
}

fn unit_json(ctx: &Ctx<'_>, u: &trace::TraceUnit) -> Value {
    let producer = registry::load(&ctx.snap, &u.registrant);
    json!({
        "code": code_text(&u.code),
        "mode": u.mode,
        "product_name": u.product_name,
        "registrant": hex_key(&u.registrant),
        "producer_name": producer.as_ref().and_then(|p| p.registration.identity.public_name().map(str::to_string)),
        "producer_country": producer.as_ref().map(|p| p.registration.country.clone()),
        "registered_height": u.height,
        "batch": u.batch.as_ref().map(code_text),
    })
}

fn with_unit<T>(
    ctx: &Ctx<'_>,
    code: &TraceCode,
    f: impl FnOnce(&Ctx<'_>) -> Option<T>,
) -> Result<T, Problem> {
    f(ctx).ok_or_else(|| unknown_unit(code))
}

/// An endpoint about one unit, `GET {path}` with `{code}`: the code is parsed, the reader's
/// role checked (unless `$public`), and its OpenAPI entry written with the answers every
/// such endpoint may give.
macro_rules! unit_endpoint {
    ($path:literal, $tag:literal, $summary:literal, $name:ident, $public:expr, |$ctx:ident, $code:ident| $body:block) => {
        #[utoipa::path(
            get,
            path = $path,
            tag = $tag,
            summary = $summary,
            params(
                ("code" = String, Path, description = "a trace code: `01{gtin14}10{batch}`, `01{gtin14}21{serial}` or a percent-encoded Digital Link URI")
            ),
            security((), ("tracechain_key" = [], "tracechain_timestamp" = [], "tracechain_signature" = [])),
            responses(
                (status = 200, description = "the answer, stamped with `read_at`", body = serde_json::Value),
                (status = 400, description = "a malformed request", body = crate::problem::ProblemBody, content_type = "application/problem+json"),
                (status = 401, description = "a signed read refused: malformed, stale, replayed, bad signature", body = crate::problem::ProblemBody, content_type = "application/problem+json"),
                (status = 403, description = "not for this reader's role (R-A5)", body = crate::problem::ProblemBody, content_type = "application/problem+json"),
                (status = 404, description = "not found", body = crate::problem::ProblemBody, content_type = "application/problem+json")
            )
        )]
        pub(crate) async fn $name(
            State(api): Api,
            code: Result<Path<String>, PathRejection>,
            method: Method,
            uri: Uri,
            headers: HeaderMap,
        ) -> Response {
            let $code = match path_param(code).and_then(|c| parse_code(&c)) {
                Ok(c) => c,
                Err(p) => return p.into_response(),
            };
            answer(api, method, uri, headers, Bytes::new(), move |$ctx| {
                if !$public {
                    may_read_unit($ctx, &$code)?;
                }
                $body
            })
            .await
        }
    };
}

unit_endpoint!(
    "/v1/trace/{code}/completeness",
    "trace",
    "The completeness report of a unit (R-X2)",
    completeness,
    false,
    |ctx, code| {
        let r = with_unit(ctx, &code, |c| completeness::report(&c.snap, &code))?;
        Ok(json!({ "report": r }))
    }
);

unit_endpoint!(
    "/v1/trace/{code}/trajectory",
    "trace",
    "A unit's positions (R-S5): exact for those who took part, coarse otherwise",
    trajectory,
    true,
    |ctx, code| {
        // The public reads the coarse trajectory (R-S5, ADR 0046); regulators and participants
        // that took part read exact positions.
        let exact = match ctx.role {
            Role::Regulator(_) => true,
            Role::Participant(k) => took_part(&ctx.snap, &code, &k),
            Role::Public => false,
        };
        let precision = if exact {
            Precision::Exact
        } else {
            Precision::Public
        };
        let t = with_unit(ctx, &code, |c| {
            trajectory::trajectory_at(&c.snap, &code, precision)
        })?;
        Ok(trajectory_json(&t, exact))
    }
);

fn trajectory_json(t: &trajectory::Trajectory, exact: bool) -> Value {
    json!({
        "precision": if exact { "exact" } else { "public" },
        // The public trajectory names no record: a record id would lead to the record.
        "points": t.points.iter().map(|p| {
            let mut v = json!({
                "time_ms": p.time_ms,
                "lat_e7": p.position.lat_e7,
                "lon_e7": p.position.lon_e7,
                "category": p.category.to_string(),
            });
            if exact {
                v["record_id"] = json!(p.tx_id.to_hex());
                v["height"] = json!(p.height);
            }
            v
        }).collect::<Vec<_>>(),
        "truncated": t.truncated,
    })
}

unit_endpoint!(
    "/v1/trace/{code}/alerts",
    "trace",
    "Sensor excursions (R-S6) and the scan verdict of a unit",
    alerts,
    false,
    |ctx, code| {
        with_unit(ctx, &code, |c| query::unit(&c.snap, &code))?;
        let s = sensor::sensor_alerts(&ctx.snap, &code);
        let v = scan::verdict(&ctx.snap, &code);
        Ok(json!({
            "sensor": s.iter().map(|a| format!("{a:?}")).collect::<Vec<_>>(),
            "scan": v.as_ref().map(scan_json),
        }))
    }
);

fn scan_json(v: &scan::ScanVerdict) -> Value {
    json!({
        "count": v.count,
        "scanners": v.scanners,
        "first_scan_ms": v.first_scan_ms,
        "destinations": v.destinations,
        "suspicious": v.suspicious,
        "why": v.why.iter().map(alert_text).collect::<Vec<_>>(),
    })
}

fn alert_text(a: &scan::ScanAlert) -> String {
    match a {
        scan::ScanAlert::TooManyScans { count, threshold } => {
            format!("scanned {count} times (more than {threshold})")
        }
        scan::ScanAlert::OutsideDestination {
            country,
            destinations,
        } => format!(
            "scanned in {country}, outside its destinations {}",
            destinations.join(", ")
        ),
        scan::ScanAlert::FarFromPrevious { km, threshold_km } => {
            format!("scanned {km} km from the previous scan (more than {threshold_km} km)")
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct LineageQuery {
    direction: Option<String>,
}

#[utoipa::path(
    get,
    path = "/v1/trace/{code}/lineage",
    tag = "trace",
    summary = "Units, logistics units and shipments upstream (back) or downstream (forward)",
    params(
        ("code" = String, Path, description = "a trace code: `01{gtin14}10{batch}`, `01{gtin14}21{serial}` or a percent-encoded Digital Link URI"),
        ("direction" = Option<String>, Query, description = "back (default) or forward")
    ),
    security((), ("tracechain_key" = [], "tracechain_timestamp" = [], "tracechain_signature" = [])),
    responses(
        (status = 200, description = "the answer, stamped with `read_at`", body = serde_json::Value),
        (status = 400, description = "a malformed request", body = crate::problem::ProblemBody, content_type = "application/problem+json"),
        (status = 401, description = "a signed read refused: malformed, stale, replayed, bad signature", body = crate::problem::ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "not for this reader's role (R-A5)", body = crate::problem::ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "not found", body = crate::problem::ProblemBody, content_type = "application/problem+json")
    )
)]
pub(crate) async fn lineage(
    State(api): Api,
    code: Result<Path<String>, PathRejection>,
    q: Result<Query<LineageQuery>, axum::extract::rejection::QueryRejection>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let dir = match q.map(|Query(q)| q.direction) {
        Ok(None) => Direction::Backward,
        Ok(Some(d)) if d == "back" => Direction::Backward,
        Ok(Some(d)) if d == "forward" => Direction::Forward,
        Ok(Some(d)) => {
            return Problem::bad_request(
                "E_BAD_QUERY",
                format!("direction is back or forward, not {d:?}"),
            )
            .into_response()
        }
        Err(e) => return Problem::bad_request("E_BAD_QUERY", e.body_text()).into_response(),
    };
    let code = match path_param(code).and_then(|c| parse_code(&c)) {
        Ok(c) => c,
        Err(p) => return p.into_response(),
    };
    answer(api, method, uri, headers, Bytes::new(), move |ctx| {
        if dir == Direction::Forward {
            may_read_downstream(ctx, &code)?;
        } else {
            may_read_unit(ctx, &code)?;
        }
        let (n, _) = with_unit(ctx, &code, |c| query::unit(&c.snap, &code))?;
        let t = lineage::reach(&ctx.snap, &Node::unit(&n), dir);
        Ok(json!({
            "direction": if dir == Direction::Backward { "back" } else { "forward" },
            "nodes": t.nodes.iter().map(node_text).collect::<Vec<_>>(),
            "links": t.links.iter().map(|(a, b, k)| json!({"from": node_text(a), "to": node_text(b), "kind": format!("{k:?}")})).collect::<Vec<_>>(),
            "truncated": t.truncated,
        }))
    })
    .await
}

fn node_text(n: &Node) -> String {
    match n {
        Node::Unit(c) => code_text(c),
        Node::Sscc(s) => format!("00{s}"),
        Node::Shipment(h) => format!("shipment:{}", h.to_hex()),
    }
}

/// The consumer story (R-S4): what anyone may read about a unit.
/// Most certificates a consumer story lists, each with its proof (competent issuers' first;
/// `certificates_more` counts the others).
pub const MAX_STORY_CERTIFICATES: usize = 64;

pub(crate) fn story_json(ctx: &Ctx<'_>, code: &TraceCode) -> Result<Value, Problem> {
    let (n, u) = with_unit(ctx, code, |c| query::unit(&c.snap, code))?;
    let rs = recall::status(&ctx.snap, code);
    let at = i64::try_from(ctx.tip.timestamp_ms).unwrap_or(i64::MAX);
    // Each anchor with the unit (this one or its batch) it was found under, competent
    // issuers' first, at most `MAX_STORY_CERTIFICATES` (anyone may anchor a document about a
    // unit: a flood of them must not make every scan's answer, and its proofs, large).
    let mut anchors: Vec<(NormalisedCode, documents::AnchoredDocument)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for c in query::self_and_batch(&ctx.snap, &n) {
        for d in documents::documents_of(&ctx.snap, c.code()) {
            if seen.insert((d.document_hash, d.issuer)) {
                anchors.push((c.clone(), d));
            }
        }
    }
    anchors.sort_by_key(|(_, d)| !d.competent);
    let more_certificates = anchors.len().saturating_sub(MAX_STORY_CERTIFICATES);
    anchors.truncate(MAX_STORY_CERTIFICATES);
    let docs: Vec<Value> = anchors
        .into_iter()
        .map(|(c, d)| {
            let issuer = registry::load(&ctx.snap, &d.issuer)
                .and_then(|p| p.registration.identity.public_name().map(str::to_string));
            let revoked = d.revoked.is_some();
            let expired = d.valid_until_ms.is_some_and(|v| at >= v);
            // No document hash: the story is public, and a hash would let anyone ask the
            // document check about a file it does not hold.
            let valid = d.competent && !revoked && !expired && at >= d.valid_from_ms;
            // Proven by the unit's certificate fact, whose key does not give the hash away.
            let proof = ctx.fact(&documents::certificate_fact_key(
                &c,
                &d.document_hash,
                &d.issuer,
            ))?;
            Ok(json!({
                "type": d.document_type,
                "issuer": hex_key(&d.issuer),
                "issuer_name": issuer,
                "competent": d.competent,
                "anchored_ms": d.timestamp_ms,
                "anchored_height": d.height,
                "revoked": revoked,
                "expired": expired,
                "valid": valid,
                "valid_from_ms": d.valid_from_ms,
                "valid_until_ms": d.valid_until_ms,
                "unit": c.as_str(),
                "proof": proof,
            }))
        })
        .collect::<Result<_, Problem>>()?;
    let t = trajectory::trajectory_at(&ctx.snap, code, Precision::Public);
    let report = completeness::report(&ctx.snap, code);
    // What the product's own records say for a consumer: the brand (P3), where and when it
    // was made (P2), and the customs status (C2), each from the latest record of the unit or
    // its batch. Shown as the node's word: these are records, not state facts, and their
    // proofs would publish the whole records (ADR 0089).
    let latest = |cat: tracechain_types::Category| {
        query::self_and_batch(&ctx.snap, &n).iter().find_map(|c| {
            let ids = query::record_ids(&ctx.snap, c, IndexTag::Info(cat));
            ids.last().and_then(|id| query::envelope(&ctx.snap, id))
        })
    };
    let features = latest(tracechain_types::Category::P3).and_then(|e| match e.payload {
        tracechain_types::Payload::InfoBlock(InfoBlockRecord::ProductFeatures(r)) => Some(r),
        _ => None,
    });
    let production = latest(tracechain_types::Category::P2).and_then(|e| match e.payload {
        tracechain_types::Payload::InfoBlock(InfoBlockRecord::Production(r)) => Some(r),
        _ => None,
    });
    let customs_record = latest(tracechain_types::Category::C2).and_then(|e| match e.payload {
        tracechain_types::Payload::InfoBlock(InfoBlockRecord::CustomsStatus(r)) => Some(r),
        _ => None,
    });
    let customs = report.as_ref().and_then(|r| {
        r.lines
            .iter()
            .find(|l| l.category == tracechain_types::Category::C2)
            .map(|l| l.status)
    });
    // The customs status, when recorded, is proven by the first `tur/{code}/C2/` index entry
    // of the unit or its batch (ADR 0089): its key names the unit, the category and the
    // record, so a browser re-checks that a customs record is indexed under this unit.
    let customs_proof = if customs == Some(completeness::Status::Present) {
        let tag = IndexTag::Info(tracechain_types::Category::C2);
        let key = query::self_and_batch(&ctx.snap, &n).iter().find_map(|c| {
            ctx.snap
                .scan(&state_keys::unit_records_of(c, tag), None, 1)
                .into_iter()
                .next()
                .map(|(k, _)| k)
        });
        match key {
            Some(k) => ctx.fact(&k)?,
            None => None,
        }
    } else {
        None
    };
    // Each recall reaching the unit. A recall of the unit itself or of its batch (both
    // public here) comes with the proof of its `rcl/n/` entry, whose value is empty: the
    // recall's reason and a recalled upstream batch are not the public's (as in the recall
    // status), so a recall of a material upstream has no proof here.
    let public_units: Vec<NormalisedCode> = query::self_and_batch(&ctx.snap, &n);
    let mut recalls = Vec::new();
    for r in rs.iter().flat_map(|s| &s.recalls) {
        let recalled = NormalisedCode::new("batch", &r.batch)
            .ok()
            .filter(|b| public_units.contains(b));
        let proof = match &recalled {
            Some(b) => ctx.fact(&recall::node_recall_key(
                &Node::unit(b),
                &r.issuer,
                &r.recall_ref,
            ))?,
            None => None,
        };
        recalls.push(json!({
            "issuer": hex_key(&r.issuer),
            "reference": r.recall_ref,
            "height": r.height,
            "recalled_unit": recalled.as_ref().map(|b| b.as_str().to_string()),
            "proof": proof,
        }));
    }
    Ok(json!({
        "unit": unit_json(ctx, &u),
        "digital_link": n.digital_link(),
        // The unit's registration (`tu/`), proven: the product, its registrant and batch.
        // Certificates are proven by their `dcp/` facts (ADR 0089), not by the anchor's own
        // entry, whose key is the document's hash (kept out of the public story).
        "registration_proof": ctx.fact(&state_keys::trace_unit(&n))?,
        "recall": rs.as_ref().map(|s| json!({
            "recalled": s.recalled(),
            "truncated": s.truncated,
            "recalls": recalls,
        })),
        "customs_status_recorded": customs.map(|s| s == completeness::Status::Present),
        "customs": customs_record.as_ref().map(|r| json!({"status": r.status, "time": r.time})),
        "product": {
            "brand": features.as_ref().and_then(|f| f.brand.clone()),
            "model": features.as_ref().and_then(|f| f.model.clone()),
            "production_time": production.as_ref().and_then(|p| p.production_time.clone()),
            "production_country": production.as_ref().and_then(|p| p.country.clone()),
        },
        "customs_proof": customs_proof,
        "certificates": docs,
        "certificates_more": more_certificates,
        "trajectory": t.as_ref().map(|t| trajectory_json(t, false)),
        "scans": scan::verdict(&ctx.snap, code).as_ref().map(scan_json),
        "proofs": ctx.base()?,
    }))
}

unit_endpoint!(
    "/v1/story/{code}",
    "story",
    "The consumer story of a unit (R-A5, R-S4)",
    story,
    true,
    |ctx, code| {
        let story = story_json(ctx, &code)?;
        Ok(story)
    }
);

unit_endpoint!(
    "/v1/recalls/{code}/status",
    "recall",
    "Whether a unit is recalled, and by which recalls",
    recall_status,
    true,
    |ctx, code| {
        let s = with_unit(ctx, &code, |c| recall::status(&c.snap, &code))?;
        Ok(json!({
            "recalled": s.recalled(),
            "truncated": s.truncated,
            "recalls": s.recalls.iter().map(|r| json!({
                "issuer": hex_key(&r.issuer),
                "reference": r.recall_ref,
                "height": r.height,
            })).collect::<Vec<_>>(),
        }))
    }
);

unit_endpoint!(
    "/v1/recalls/{code}/impact",
    "recall",
    "Recall simulation of a batch (R-S3): nothing is written",
    recall_impact,
    true,
    |ctx, code| {
        // Simulate (R-S3): nothing is written; a regulator issues the recall as a signed
        // transaction (`tracechain recall BATCH --issue`).
        may_read_downstream(ctx, &code)?;
        let i = with_unit(ctx, &code, |c| recall::impact(&c.snap, &code))?;
        Ok(json!({
            "batch": i.batch.as_ref().map(code_text),
            "units": i.units,
            "logistics_units": i.logistics_units,
            "shipments": i.shipments.iter().map(Hash::to_hex).collect::<Vec<_>>(),
            "countries": i.countries,
            "warehouses": i.warehouses,
            "retailers": i.retailers,
            "orders": i.orders.iter().map(|o| json!({
                "signer": hex_key(&o.signer),
                "order_ref": o.order_ref,
                "record_id": o.tx_id.to_hex(),
            })).collect::<Vec<_>>(),
            "complete": !i.truncated,
            "not_reached": i.not_reached,
        }))
    }
);

fn document_json(ctx: &Ctx<'_>, h: &Hash) -> Result<Value, Problem> {
    let at = i64::try_from(ctx.tip.timestamp_ms).unwrap_or(i64::MAX);
    let v = documents::verify(&ctx.snap, h, at);
    let mut anchors = Vec::new();
    for a in &v.anchors {
        let key = documents::document_key(h, &a.anchor.issuer);
        anchors.push(json!({
            "issuer": hex_key(&a.anchor.issuer),
            "issuer_name": a.issuer_name,
            "type": a.anchor.document_type,
            "competent": a.competent,
            "anchored_ms": a.anchor.timestamp_ms,
            "anchored_height": a.anchor.height,
            "record_id": a.anchor.tx_id.to_hex(),
            "valid_from_ms": a.anchor.valid_from_ms,
            "valid_until_ms": a.anchor.valid_until_ms,
            "units": a.covered_units,
            "revoked": a.revoked,
            "revocation": a.anchor.revoked.as_ref().map(|r| json!({"reason": r.reason, "height": r.height, "timestamp_ms": r.timestamp_ms})),
            "expired": a.expired,
            "not_yet_valid": a.not_yet_valid,
            "valid": a.valid,
            "proof": ctx.fact(&key)?,
        }));
    }
    Ok(json!({
        "document_hash": h.to_hex(),
        "anchored": !v.anchors.is_empty(),
        "valid": v.valid,
        "anchors": anchors,
        "more": v.more,
        "count": v.count.anchors,
        "competent_count": v.count.competent,
        "proofs": ctx.base()?,
    }))
}

/// `GET /v1/documents/{hash}` (R-S1): public — a document's hash reveals nothing to one who
/// does not hold it.
#[utoipa::path(
    get,
    path = "/v1/documents/{hash}",
    tag = "documents",
    summary = "Document check by SHA-256 (R-S1), each anchor with its state proof",
    params(
        ("hash" = String, Path, description = "SHA-256 of the document, hex")
    ),
    security((), ("tracechain_key" = [], "tracechain_timestamp" = [], "tracechain_signature" = [])),
    responses(
        (status = 200, description = "the answer, stamped with `read_at`", body = serde_json::Value),
        (status = 400, description = "a malformed request", body = crate::problem::ProblemBody, content_type = "application/problem+json"),
        (status = 401, description = "a signed read refused: malformed, stale, replayed, bad signature", body = crate::problem::ProblemBody, content_type = "application/problem+json")
    )
)]
pub(crate) async fn document(
    State(api): Api,
    hash: Result<Path<String>, PathRejection>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let h: Hash = match path_param(hash).and_then(|h| {
        h.parse()
            .map_err(|_| Problem::bad_request("E_BAD_HASH", "not a hash"))
    }) {
        Ok(h) => h,
        Err(_) => {
            return Problem::bad_request(
                "E_BAD_HASH",
                "a document hash is 64 hexadecimal characters (SHA-256)",
            )
            .into_response()
        }
    };
    answer(api, method, uri, headers, Bytes::new(), move |ctx| {
        document_json(ctx, &h)
    })
    .await
}

/// `POST /v1/documents/check`: the body is the file; the answer is its hash's check.
#[utoipa::path(
    post,
    path = "/v1/documents/check",
    tag = "documents",
    summary = "Document check of an uploaded file (R-S1)",
    security((), ("tracechain_key" = [], "tracechain_timestamp" = [], "tracechain_signature" = [])),
    request_body(content = Vec<u8>, description = "the file", content_type = "application/octet-stream"),
    responses(
        (status = 200, description = "the answer, stamped with `read_at`", body = serde_json::Value),
        (status = 400, description = "a malformed request", body = crate::problem::ProblemBody, content_type = "application/problem+json"),
        (status = 401, description = "a signed read refused: malformed, stale, replayed, bad signature", body = crate::problem::ProblemBody, content_type = "application/problem+json"),
        (status = 413, description = "body too large", body = crate::problem::ProblemBody, content_type = "application/problem+json")
    )
)]
pub(crate) async fn document_check(
    State(api): Api,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let body = match body {
        Ok(b) => b,
        Err(e) => {
            return Problem::new(e.status(), "E_BODY", "Body not read", e.body_text())
                .into_response()
        }
    };
    if body.len() > api.cfg.max_document_bytes {
        return Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "E_TOO_LARGE",
            "Document too large",
            format!(
                "the document check takes files of at most {} bytes; send its SHA-256 to GET /v1/documents/{{hash}} instead",
                api.cfg.max_document_bytes
            ),
        )
        .into_response();
    }
    let h = Hash::digest(&body);
    answer(api, method, uri, headers, body, move |ctx| {
        document_json(ctx, &h)
    })
    .await
}

/// `GET /v1/whoami`: the role a signed read is given.
#[utoipa::path(
    get,
    path = "/v1/whoami",
    tag = "reads",
    summary = "The role a signed read is given (R-A5)",
    security((), ("tracechain_key" = [], "tracechain_timestamp" = [], "tracechain_signature" = [])),
    responses(
        (status = 200, description = "the answer, stamped with `read_at`", body = serde_json::Value),
        (status = 401, description = "a signed read refused: malformed, stale, replayed, bad signature", body = crate::problem::ProblemBody, content_type = "application/problem+json")
    )
)]
pub(crate) async fn whoami(
    State(api): Api,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    answer(api, method, uri, headers, Bytes::new(), move |ctx| {
        Ok(json!({ "key": ctx.role.key().map(|k| k.to_hex()) }))
    })
    .await
}
