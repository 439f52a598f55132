//! The GS1 EPCIS 2.0 REST binding, a conforming subset (ADR 0081): capture and query.
//!
//! `POST /epcis/capture` takes an EPCIS document from a client of this node (bearer token:
//! the node signs with the member key of its key store) or a capture signed by the member
//! itself (`application/vnd.tracechain.signed-capture+json`: the document and the signed
//! transaction, as `tracechain epcis capture` sends them). Either way the capture is one
//! `EpcisCapture` transaction, so all or nothing; the answer is `202` with the capture job at
//! `Location` (`/epcis/capture/{transaction id}`), which says running, success or the errors
//! until the transaction commits or is refused. `GET /epcis/events` and
//! `GET /epcis/events/{eventID}` answer from the node's repository (`super::super::epcis`),
//! every event checked against its anchored hash before it is served.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::{json, Value};
use sha2::Digest;
use tracechain_epcis::capture::{capture_events, open_stored, CaptureError, CapturedEvent};
use tracechain_epcis::query::EventQuery;
use tracechain_types::records::epcis::{EpcisCapture, EpcisEventRecord};
use tracechain_types::{decode, encode, EpcisRecord, Hash, Payload, Transaction, TxBody};

use super::super::epcis as repo;
use super::{blocking, body_problem, stored_next_sequence, Admitted, Api, ApiProblem, ApiResult};

/// The media type of a capture the member signed itself.
pub const SIGNED_CAPTURE: &str = "application/vnd.tracechain.signed-capture+json";
const EPCIS_VERSION: &str = "2.0.0";

fn discovery(api: &Api, h: &mut HeaderMap) {
    let e = &api.shared.cfg.epcis;
    for (k, v) in [
        ("GS1-EPCIS-Version", EPCIS_VERSION.to_string()),
        ("GS1-EPCIS-Min", EPCIS_VERSION.to_string()),
        ("GS1-EPCIS-Max", EPCIS_VERSION.to_string()),
        ("GS1-CBV-Version", EPCIS_VERSION.to_string()),
        ("GS1-Extensions", String::new()),
        ("GS1-EPCIS-Capture-Limit", e.max_capture_events.to_string()),
        (
            "GS1-EPCIS-Capture-File-Size-Limit",
            api.shared.cfg.capture_bytes().to_string(),
        ),
        ("GS1-Capture-Error-Behaviour", "rollback".to_string()),
    ] {
        if let Ok(v) = HeaderValue::from_str(&v) {
            h.insert(k, v);
        }
    }
}

fn problem(status: StatusCode, code: &str, title: &str, detail: impl Into<String>) -> ApiProblem {
    ApiProblem::new(status, code, title, detail)
}

#[utoipa::path(
    options,
    path = "/epcis/capture",
    tag = "epcis",
    summary = "EPCIS capture discovery: versions and capture limits in the GS1 headers",
    responses((status = 204, description = "GS1-EPCIS-Version, GS1-EPCIS-Capture-Limit, GS1-EPCIS-Capture-File-Size-Limit, …"))
)]
pub(super) async fn capture_options(State(api): State<Api>) -> Response {
    let mut resp = StatusCode::NO_CONTENT.into_response();
    discovery(&api, resp.headers_mut());
    resp.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("OPTIONS, POST"));
    resp
}

/// Who signs a capture.
enum Signer {
    /// The node, for its client, with the member key of its key store.
    Node(usize),
    /// The member, in the transaction it sent.
    Member(Box<Transaction>),
}

/// A capture's event: the record, its stored original and the original's SHA-256.
pub(super) type Captured = (EpcisEventRecord, Vec<u8>, Hash);

/// The records of a capture: each doc event, preceded by the event itself when it is an error
/// declaration of an event anchored nowhere yet (so the declaration has something to retract,
/// and its capturer is the event's, ADR 0081), with the off-chain form of each. An event the
/// document holds twice (or a declaration before its own event) is refused here, before the
/// capture is accepted, rather than by the chain after a 202.
fn with_retracted_events(
    state: &dyn tracechain_contracts::StateView,
    events: Vec<CapturedEvent>,
) -> Result<Vec<Captured>, ApiProblem> {
    let mut out: Vec<Captured> = Vec::with_capacity(events.len());
    let mut seen = std::collections::BTreeSet::new();
    for c in events {
        let decl = c.record.error_declaration.is_some();
        if decl
            && tracechain_contracts::epcis_anchor::load(state, &c.record.event_hash).is_none()
            && !seen.contains(&(c.record.event_hash, false))
        {
            let plain = tracechain_epcis::capture::retracted_event(&c);
            seen.insert((plain.record.event_hash, false));
            out.push((plain.record, plain.stored, plain.original));
        }
        if !seen.insert((c.record.event_hash, decl)) {
            return Err(ApiProblem::bad_request(
                "E_EPCIS_DUPLICATE",
                format!(
                    "event {} ({}) is in the document twice, or after its error declaration: capture it once, before its declaration",
                    c.index, c.hash_id
                ),
            ));
        }
        out.push((c.record, c.stored, c.original));
    }
    Ok(out)
}

fn capture_problem(e: CaptureError) -> ApiProblem {
    match e {
        CaptureError::Invalid(problems) => problem(
            StatusCode::BAD_REQUEST,
            "E_EPCIS_INVALID",
            "Invalid EPCIS document",
            format!(
                "{} problems; the first: {}",
                problems.len(),
                problems.first().map(String::as_str).unwrap_or("")
            ),
        )
        .with_extra(json!({ "problems": problems })),
        CaptureError::NotCapturable(why) => problem(
            StatusCode::BAD_REQUEST,
            "E_EPCIS_NOT_CAPTURABLE",
            "Not a capture",
            why,
        ),
        CaptureError::Event { index, why } => problem(
            StatusCode::BAD_REQUEST,
            "E_EPCIS_INVALID",
            "Invalid EPCIS event",
            format!("event {index}: {why}"),
        ),
    }
}

#[utoipa::path(
    post,
    path = "/epcis/capture",
    tag = "epcis",
    summary = "Capture an EPCIS 2.0 document (all or nothing): 202 with the capture job at Location",
    request_body(content = serde_json::Value, description = "an EPCISDocument (Authorization: Bearer, the node signs for its client), or {\"document\", \"tx\"} as application/vnd.tracechain.signed-capture+json (signed by the member)"),
    responses(
        (status = 202, description = "accepted: the job at Location", body = serde_json::Value),
        (status = 400, description = "not valid EPCIS 2.0 (every problem listed)", body = serde_json::Value),
        (status = 401, description = "no valid bearer token and no signed capture", body = serde_json::Value),
        (status = 409, description = "an event hash is anchored already", body = serde_json::Value),
        (status = 413, description = "over GS1-EPCIS-Capture-Limit or -File-Size-Limit", body = serde_json::Value),
        (status = 422, description = "refused by a rule (rule id)", body = serde_json::Value),
        (status = 429, description = "busy", body = serde_json::Value)
    )
)]
pub(super) async fn capture(
    State(api): State<Api>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult {
    let body = body.map_err(|e| body_problem(&api, &e))?;
    let cfg = api.shared.cfg.epcis.clone();
    let limit = api.shared.cfg.capture_bytes();
    if body.len() > limit {
        return Err(problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            "E_CAPTURE_TOO_LARGE",
            "Capture too large",
            format!(
                "{} bytes; GS1-EPCIS-Capture-File-Size-Limit is {}",
                body.len(),
                limit
            ),
        ));
    }
    let signed = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(SIGNED_CAPTURE));
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| Hash(sha2::Sha256::digest(t.trim().as_bytes()).into()));
    let (signer, doc_bytes): (Signer, Vec<u8>) = if signed {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct SignedCapture {
            document: Box<serde_json::value::RawValue>,
            tx: String,
        }
        let s: SignedCapture = serde_json::from_slice(&body).map_err(|e| {
            ApiProblem::bad_request(
                "E_BAD_JSON",
                format!("expected {{\"document\": {{…}}, \"tx\": \"<base64>\"}}: {e}"),
            )
        })?;
        let raw = base64::engine::general_purpose::STANDARD
            .decode(s.tx.as_bytes())
            .map_err(|e| ApiProblem::bad_request("E_BAD_BASE64", format!("tx: {e}")))?;
        let tx: Transaction = decode(&raw, api.shared.cfg.mempool.max_tx_bytes)
            .map_err(|e| ApiProblem::bad_request("E_BAD_TX", format!("tx: {e}")))?;
        (
            Signer::Member(Box::new(tx)),
            s.document.get().as_bytes().to_vec(),
        )
    } else {
        // Constant-time enough: the comparison is of SHA-256 digests, not of the tokens.
        let client = bearer
            .and_then(|t| api.shared.epcis_clients.iter().position(|c| c.1 == t))
            .ok_or_else(|| {
                let mut p = problem(
                    StatusCode::UNAUTHORIZED,
                    "E_UNAUTHORISED",
                    "Unauthorised",
                    format!(
                        "capture with a bearer token of this node's EPCIS clients, or send a capture signed by the member as {SIGNED_CAPTURE}"
                    ),
                );
                p.0.www_authenticate = true;
                p
            })?;
        (Signer::Node(client), body.to_vec())
    };
    let shared = api.shared.clone();
    let max_events = cfg.max_capture_events;
    // Parse, validate, hash and map off the runtime; check against the committed state.
    let records = blocking(move || {
        let doc = tracechain_epcis::Document::parse(&doc_bytes).map_err(|e| {
            ApiProblem::bad_request("E_EPCIS_INVALID", format!("not an EPCIS document: {e}"))
        })?;
        let events = capture_events(&doc).map_err(capture_problem)?;
        let state = shared.store.snapshot();
        let records = with_retracted_events(&state, events)?;
        if records.len() > max_events {
            return Err(problem(
                StatusCode::PAYLOAD_TOO_LARGE,
                "E_CAPTURE_TOO_LARGE",
                "Capture too large",
                format!(
                    "{} events to anchor; GS1-EPCIS-Capture-Limit is {max_events}: split the document",
                    records.len()
                ),
            ));
        }
        let anchored: Vec<String> = records
            .iter()
            .filter(|(r, _, _)| {
                let k = match r.error_declaration {
                    None => tracechain_contracts::epcis_anchor::event_key(&r.event_hash),
                    Some(_) => {
                        tracechain_contracts::epcis_anchor::error_declaration_key(&r.event_hash)
                    }
                };
                tracechain_contracts::StateView::get_ref(&state, &k).is_some()
            })
            .map(|(r, _, _)| r.hash_id())
            .collect();
        if !anchored.is_empty() {
            return Err(problem(
                StatusCode::CONFLICT,
                "E_ALREADY_EXISTS",
                "Event already captured",
                format!(
                    "{} of the events are anchored already (R-S1): {}",
                    anchored.len(),
                    anchored.join(", ")
                ),
            )
            .with_extra(json!({ "rule": "R-S1", "anchored": anchored })));
        }
        Ok(records)
    })
    .await?;
    let tx = match signer {
        Signer::Member(tx) => {
            let want = EpcisCapture {
                events: records.iter().map(|(r, _, _)| r.clone()).collect(),
                originals: records.iter().map(|(_, _, o)| *o).collect(),
            };
            let ok = matches!(&tx.body.payload,
                Payload::Epcis(EpcisRecord::EpcisCapture(c)) if *c == want);
            if !ok {
                return Err(ApiProblem::bad_request(
                    "E_CAPTURE_MISMATCH",
                    "the signed transaction is not the capture of this document: sign exactly the records `tracechain epcis capture` maps it to",
                ));
            }
            // Nothing is kept for a transaction that does not verify or whose signer is not a
            // participant: the originals are written before admission (to survive a crash)
            // only for captures a participant signed.
            let chain = api.shared.chain_id.clone();
            let s = api.shared.clone();
            let checked = *tx;
            let tx = blocking(move || {
                let v = tracechain_contracts::VerifiedTx::verify(
                    checked,
                    &chain,
                    &tracechain_types::Ed25519,
                )
                .map_err(|_| {
                    ApiProblem::bad_request(
                        "E_BAD_SIGNATURE",
                        "the capture's signature does not verify for this chain",
                    )
                })?;
                let snap = s.store.snapshot();
                if tracechain_contracts::registry::load(&snap, &v.tx().body.signer).is_none() {
                    return Err(problem(
                        StatusCode::FORBIDDEN,
                        "E_NOT_A_PARTICIPANT",
                        "Not a participant",
                        "the capture's signer is not a registered participant (R-A2)",
                    ));
                }
                Ok(v.into_transaction())
            })
            .await?;
            tx
        }
        Signer::Node(i) => {
            let (name, _, key) = &api.shared.epcis_clients[i];
            let signer = key.public();
            let lock = api.capture_lock(signer);
            let _held = lock.lock().await;
            tracing::debug!(client = %name, events = records.len(), "EPCIS capture signed by the node");
            // A commit between reading the committed sequence and admission can make the
            // sequence stale: sign again with the next one.
            let mut attempt = 0;
            loop {
                let s = api.shared.clone();
                let committed =
                    blocking(move || Ok(stored_next_sequence(&s.store, &signer))).await?;
                let sequence = api.shared.mempool().next_sequence(&signer, committed);
                let height = api.shared.status().height;
                let window = api
                    .shared
                    .cfg
                    .mempool
                    .max_expiry_window
                    .min(repo::CAPTURE_EXPIRY_BLOCKS);
                let tx = TxBody {
                    signer,
                    sequence,
                    expiry_height: height + window,
                    payload: Payload::Epcis(EpcisRecord::EpcisCapture(EpcisCapture {
                        events: records.iter().map(|(r, _, _)| r.clone()).collect(),
                        originals: records.iter().map(|(_, _, o)| *o).collect(),
                    })),
                }
                .sign(&api.shared.chain_id, key);
                match submit_capture(&api, tx, &records).await {
                    Err(p) if p.0.code == "E_BAD_SEQUENCE" && attempt < 3 => attempt += 1,
                    other => return other,
                }
            }
        }
    };
    submit_capture(&api, tx, &records).await
}

/// Keep the events' JSON (before the transaction can commit, so an admitted capture's events
/// are on this node even across `kill -9`), then admit the transaction.
async fn submit_capture(api: &Api, tx: Transaction, records: &[Captured]) -> ApiResult {
    let size = encode(&tx).len();
    if size > api.shared.cfg.mempool.max_tx_bytes {
        return Err(problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            "E_CAPTURE_TOO_LARGE",
            "Capture too large",
            format!(
                "the capture is a {size}-byte transaction, over mempool.max_tx_bytes {}: split the document",
                api.shared.cfg.mempool.max_tx_bytes
            ),
        ));
    }
    let entries: Vec<(Vec<u8>, Option<Vec<u8>>)> = records
        .iter()
        .map(|(_, stored, original)| (repo::json_key(original), Some(stored.clone())))
        .collect();
    let s = api.shared.clone();
    blocking(move || s.store.epcis_write(&entries).map_err(ApiProblem::internal)).await?;
    let id = tx.id();
    let events: Vec<String> = records.iter().map(|(r, _, _)| r.hash_id()).collect();
    match api.admission.submit(tx, size).await {
        Admitted::Pending(_) | Admitted::Committed(_) => {
            let location = format!("/epcis/capture/{}", id.to_hex());
            let mut resp = (
                StatusCode::ACCEPTED,
                axum::Json(json!({
                    "captureID": id.to_hex(),
                    "tx_id": id.to_hex(),
                    "running": true,
                    "events": events,
                })),
            )
                .into_response();
            if let Ok(v) = HeaderValue::from_str(&location) {
                resp.headers_mut().insert(header::LOCATION, v);
            }
            discovery(api, resp.headers_mut());
            Ok(resp)
        }
        Admitted::Refused {
            id,
            status,
            outcome,
        } => Err(ApiProblem::from_outcome(status, &id, &outcome)),
        Admitted::Busy(_) => Err(problem(
            StatusCode::TOO_MANY_REQUESTS,
            "E_BUSY",
            "Busy",
            "the transaction pool or admission queue is full; try again",
        )),
    }
}

#[utoipa::path(
    get,
    path = "/epcis/capture/{captureID}",
    tag = "epcis",
    summary = "A capture job: running, success, or the errors (per event, as events[i].field)",
    params(("captureID" = String, Path, description = "the capture's transaction id (hex)")),
    responses(
        (status = 200, description = "the job", body = serde_json::Value),
        (status = 404, description = "no such capture on this node", body = serde_json::Value)
    )
)]
pub(super) async fn capture_job(State(api): State<Api>, Path(id): Path<String>) -> ApiResult {
    let id: Hash = id
        .parse()
        .map_err(|_| ApiProblem::bad_request("E_BAD_ID", "a capture id is 64 hex digits"))?;
    if api.shared.mempool().contains(&id) {
        return Ok(axum::Json(
            json!({"captureID": id.to_hex(), "running": true, "success": false}),
        )
        .into_response());
    }
    let outcome = api.shared.mempool().outcome(&id).cloned();
    let s = api.shared.clone();
    let (loc, tx) = blocking(move || {
        let loc = s.store.tx_location(&id).map_err(ApiProblem::internal)?;
        let tx = match loc {
            Some(l) => s
                .store
                .block(l.height)
                .map_err(ApiProblem::internal)?
                .and_then(|b| b.txs.get(l.index as usize).cloned()),
            None => None,
        };
        Ok((loc, tx))
    })
    .await?;
    if let (Some(loc), Some(tx)) = (loc, tx) {
        let events: Vec<String> = match &tx.body.payload {
            Payload::Epcis(EpcisRecord::EpcisCapture(c)) => {
                c.events.iter().map(EpcisEventRecord::hash_id).collect()
            }
            _ => {
                return Err(problem(
                    StatusCode::NOT_FOUND,
                    "E_NOT_FOUND",
                    "Not found",
                    "that transaction is not an EPCIS capture",
                ))
            }
        };
        return Ok(axum::Json(json!({
            "captureID": id.to_hex(), "running": false, "success": true,
            "height": loc.height, "events": events,
        }))
        .into_response());
    }
    match outcome {
        Some(o) => {
            let p = ApiProblem::from_outcome(422, &id, &o);
            Ok(axum::Json(json!({
                "captureID": id.to_hex(), "running": false, "success": false,
                "errors": p.to_json(),
            }))
            .into_response())
        }
        None => Err(problem(
            StatusCode::NOT_FOUND,
            "E_NO_SUCH_CAPTURE",
            "Not found",
            "no capture with that id is pending, committed or remembered on this node",
        )),
    }
}

/// An event as served: the captured JSON checked against its anchor, its context, the
/// repository's `recordTime` (the block time).
fn served(
    store: &tracechain_storage::Store,
    k: &repo::EventKey,
) -> Result<Option<(Value, repo::Place)>, ApiProblem> {
    let Some(place) = repo::place(store, k).map_err(ApiProblem::internal)? else {
        return Ok(None);
    };
    let Some(bytes) = repo::stored(store, &place).map_err(ApiProblem::internal)? else {
        return Ok(None);
    };
    match open_stored(&bytes, &k.0) {
        Ok(s) => {
            let mut ev = s.event;
            ev.insert(
                "recordTime".into(),
                Value::String(
                    tracechain_types::time::format_utc_millis(place.time_ms as i64)
                        .unwrap_or_default(),
                ),
            );
            // The document's context and the event's own, both (the event's own is kept).
            if !s.context.is_null() {
                let ctx = match ev.remove("@context") {
                    Some(own) => {
                        let mut all = match s.context {
                            Value::Array(a) => a,
                            other => vec![other],
                        };
                        match own {
                            Value::Array(a) => all.extend(a),
                            other => all.push(other),
                        }
                        Value::Array(all)
                    }
                    None => s.context,
                };
                ev.insert("@context".into(), ctx);
            }
            Ok(Some((Value::Object(ev), place)))
        }
        Err(e) => {
            tracing::error!(event = %k.0, error = %e, "a stored EPCIS event does not hash to its anchor; not served");
            Ok(None)
        }
    }
}

fn query_document(events: Vec<Value>) -> Value {
    json!({
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "EPCISQueryDocument",
        "schemaVersion": "2.0",
        "creationDate": tracechain_types::time::format_utc_millis(
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
        ).unwrap_or_default(),
        "epcisBody": {"queryResults": {"queryName": "SimpleEventQuery", "resultsBody": {"eventList": events}}}
    })
}

fn pairs(raw: Option<&str>) -> Vec<(String, String)> {
    raw.map(|q| {
        form_urlencoded::parse(q.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    })
    .unwrap_or_default()
}

#[utoipa::path(
    get,
    path = "/epcis/events",
    tag = "epcis",
    summary = "Query captured events (EPCIS 2.0 SimpleEventQuery subset), paged by nextPageToken",
    params(
        ("eventType" = Option<String>, Query, description = "ObjectEvent|AggregationEvent|…"),
        ("GE_eventTime" = Option<String>, Query), ("LT_eventTime" = Option<String>, Query),
        ("GE_recordTime" = Option<String>, Query), ("LT_recordTime" = Option<String>, Query),
        ("EQ_bizStep" = Option<String>, Query), ("EQ_disposition" = Option<String>, Query),
        ("EQ_readPoint" = Option<String>, Query), ("EQ_bizLocation" = Option<String>, Query),
        ("EQ_action" = Option<String>, Query),
        ("MATCH_epc" = Option<String>, Query), ("MATCH_anyEPC" = Option<String>, Query),
        ("MATCH_epcClass" = Option<String>, Query), ("MATCH_anyEPCClass" = Option<String>, Query),
        ("EQ_eventID" = Option<String>, Query),
        ("perPage" = Option<usize>, Query), ("nextPageToken" = Option<String>, Query)
    ),
    responses(
        (status = 200, description = "an EPCISQueryDocument; Link rel=next while more may match", body = serde_json::Value),
        (status = 400, description = "an unsupported, repeated or malformed parameter", body = serde_json::Value)
    )
)]
pub(super) async fn events(State(api): State<Api>, RawQuery(raw): RawQuery) -> ApiResult {
    let pairs = pairs(raw.as_deref());
    let q = EventQuery::parse(&pairs)
        .map_err(|e| ApiProblem::bad_request("E_EPCIS_QUERY", e.to_string()))?;
    let after: Option<Vec<u8>> = match &q.next_page_token {
        None => None,
        Some(t) => Some(
            hex::decode(t)
                .ok()
                .filter(|b| b.len() == 16)
                .ok_or_else(|| {
                    ApiProblem::bad_request(
                        "E_EPCIS_QUERY",
                        "nextPageToken is not one this node gave",
                    )
                })?,
        ),
    };
    let s = api.shared.clone();
    let examined_max = api.shared.cfg.epcis.max_query_examined;
    let (found, next) = blocking(move || {
        let store = &s.store;
        // Candidates in chain order after the token: from the identifier index when the query
        // names identifiers, else every event.
        let prefixes: Vec<Vec<u8>> = match q.identifier_candidates() {
            Some(ids) => ids.iter().map(|id| repo::index_prefix(b'i', id)).collect(),
            None => vec![b"s".to_vec()],
        };
        let mut cands: BTreeMap<Vec<u8>, repo::EventKey> = BTreeMap::new();
        // A scan that reached the limit may have more after its last entry: candidates past
        // the lowest such entry wait for the next page, so no event is skipped.
        let mut cutoff: Option<Vec<u8>> = None;
        // The examined bound is shared by the indexes scanned, so a query naming many
        // identifiers holds at most `max_query_examined` candidates in memory.
        let per_scan = (examined_max / prefixes.len().max(1)).max(1);
        for p in &prefixes {
            let from = after.as_ref().map(|a| {
                let mut k = p.clone();
                k.extend_from_slice(a);
                k
            });
            let rows = store
                .epcis_scan(p, from.as_deref(), per_scan)
                .map_err(ApiProblem::internal)?;
            if rows.len() == per_scan {
                if let Some((k, _)) = rows.last() {
                    let seq = k[p.len()..].to_vec();
                    if cutoff.as_ref().is_none_or(|c| seq < *c) {
                        cutoff = Some(seq);
                    }
                }
            }
            for (k, v) in rows {
                if let Some(r) = repo::parse_ref(&v) {
                    cands.insert(k[p.len()..].to_vec(), r);
                }
            }
        }
        if let Some(c) = &cutoff {
            cands.retain(|seq, _| seq <= c);
        }
        let cut = cutoff.is_some();
        let mut out = Vec::new();
        let mut last: Option<Vec<u8>> = None;
        let mut more = false;
        for (examined, (seq, k)) in cands.into_iter().enumerate() {
            if out.len() == q.per_page || examined == examined_max {
                more = true;
                break;
            }
            last = Some(seq.clone());
            if let Some((ev, place)) = served(store, &k)? {
                let ctx = tracechain_epcis::context::Context::from_value(ev.get("@context"));
                if let Value::Object(m) = &ev {
                    if q.matches_in(m, place.time_ms as i64, &ctx) {
                        out.push(ev);
                    }
                }
            }
        }
        // Every candidate examined, but a scan stopped at its limit: more may follow.
        let more = more || (cut && last.is_some());
        Ok((out, if more { last } else { None }))
    })
    .await?;
    let mut resp = axum::Json(query_document(found)).into_response();
    discovery(&api, resp.headers_mut());
    if let Some(token) = next {
        let mut kept: Vec<(String, String)> = pairs
            .into_iter()
            .filter(|(k, _)| k != "nextPageToken")
            .collect();
        kept.push(("nextPageToken".into(), hex::encode(token)));
        let qs = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(kept)
            .finish();
        if let Ok(v) = HeaderValue::from_str(&format!("</epcis/events?{qs}>; rel=\"next\"")) {
            resp.headers_mut().insert(header::LINK, v);
        }
    }
    Ok(resp)
}

#[utoipa::path(
    get,
    path = "/epcis/events/{eventID}",
    tag = "epcis",
    summary = "One captured event by its eventID, or by its CBV 2.0 hash id (ni:///sha-256;…), with its error declaration when there is one",
    params(("eventID" = String, Path, description = "the eventID URI or the hash id, percent-encoded")),
    responses(
        (status = 200, description = "an EPCISQueryDocument with the event (and its error declaration)", body = serde_json::Value),
        (status = 404, description = "no such event on this node", body = serde_json::Value)
    )
)]
pub(super) async fn event_by_id(State(api): State<Api>, Path(id): Path<String>) -> ApiResult {
    if id.len() > tracechain_epcis::query::MAX_QUERY_VALUE_BYTES {
        return Err(ApiProblem::bad_request("E_BAD_ID", "eventID too long"));
    }
    let s = api.shared.clone();
    let found = blocking(move || {
        let store = &s.store;
        let mut keys: Vec<repo::EventKey> = Vec::new();
        if let Some(h) = EpcisEventRecord::digest_of_hash_id(&id) {
            keys.push((h, false));
            keys.push((h, true));
        } else {
            let p = repo::index_prefix(b'e', &id);
            for (_, v) in store
                .epcis_scan(&p, None, 16)
                .map_err(ApiProblem::internal)?
            {
                keys.extend(repo::parse_ref(&v));
            }
        }
        let mut out = Vec::new();
        for k in keys {
            if let Some((ev, _)) = served(store, &k)? {
                out.push(ev);
            }
        }
        Ok(out)
    })
    .await?;
    if found.is_empty() {
        return Err(problem(
            StatusCode::NOT_FOUND,
            "E_NO_SUCH_EVENT",
            "Not found",
            "no captured event with that eventID or hash id on this node",
        ));
    }
    let mut resp = axum::Json(query_document(found)).into_response();
    discovery(&api, resp.headers_mut());
    Ok(resp)
}
