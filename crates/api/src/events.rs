//! `GET /v1/events`: Server-Sent Events of committed blocks (ADR 0080).
//!
//! Each committed block gives, in order: a `recall` event per recall it holds (to anyone), an
//! `alert` per suspicious scan or sensor excursion it recorded (to regulators and the
//! participants that took part in the unit) and per payment link that leaves its order's closed
//! loop mismatched (to regulators, the enterprise and the linker), a `tx` event per transaction the reader signed
//! (to a participant or regulator reading signed), then a `block` event whose SSE id is the
//! height. A client that reconnects with `Last-Event-ID: H` (or asks `?from=H`) gets every
//! block after H, then the new ones: nothing of a block is sent after its `block` event, so
//! resuming from the last id seen loses nothing; a connection cut in the middle of a block
//! sends that block's events again (at least once: de-duplicate by `record_id`). Streams are bounded
//! (`api.max_event_streams`); a stream reads at most `EVENT_BLOCKS_PER_READ` blocks at once and
//! checks for new blocks every `api.events_poll_ms`.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::OwnedSemaphorePermit;
use tracechain_contracts::trace_codes::NormalisedCode;
use tracechain_contracts::{closed_loop, scan, sensor, state_keys, ChainParams, StateView};
use tracechain_types::{
    ClosedLoopRecord, ConsumerRecord, InfoBlockRecord, Payload, PublicKey, RecallRecord,
};

use crate::auth::{self, Role};
use crate::problem::Problem;
use crate::ReadApi;

/// Most blocks one read of a stream turns into events.
pub const EVENT_BLOCKS_PER_READ: u64 = 64;

#[derive(Debug, Deserialize)]
pub(crate) struct EventsQuery {
    from: Option<u64>,
}

struct Stream {
    api: Arc<ReadApi>,
    key: Option<PublicKey>,
    role: Role,
    cursor: u64,
    pending: VecDeque<Event>,
    started: std::time::Instant,
    _permit: OwnedSemaphorePermit,
}

/// Whether `key` may see an alert about `code`: it registered or provided records of it.
fn concerns(
    state: &dyn StateView,
    code: &tracechain_types::records::TraceCode,
    key: &PublicKey,
) -> bool {
    let Some((n, u)) = tracechain_contracts::query::unit(state, code) else {
        return false;
    };
    u.registrant == *key
        || tracechain_contracts::query::self_and_batch(state, &n)
            .iter()
            .any(|c| state.get(&state_keys::unit_provider(c, key)).is_some())
}

fn code_text(c: &tracechain_types::records::TraceCode) -> String {
    NormalisedCode::new("code", c)
        .map(|n| n.as_str().to_string())
        .unwrap_or_default()
}

/// The scan entry of the scan recorded by `tx_id` at height `h` (a binary search over the
/// item's scans, which are numbered in block order).
fn scan_entry(
    state: &dyn StateView,
    code: &tracechain_types::records::TraceCode,
    h: u64,
    tx_id: &tracechain_types::Hash,
) -> Option<scan::ScanEntry> {
    let entry = |i: u32| scan::scans_page(state, code, i, 1).and_then(|(mut v, _)| v.pop());
    let (_, count) = scan::scans_page(state, code, 1, 1)?;
    let (mut lo, mut hi) = (1u32, count);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if entry(mid)?.height < h {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    (lo..=count)
        .map_while(|i| entry(i).filter(|e| e.height == h))
        .find(|e| e.tx_id == *tx_id)
}

/// The closed-loop status (R-Q2) of the order a payment link names, when mismatched: the
/// order is the enterprise's, or the linker's (a platform records orders for the enterprise's
/// shop), as the contracts find it.
fn mismatched_loop(
    snap: &dyn StateView,
    enterprise: &PublicKey,
    linker: &PublicKey,
    order_ref: &str,
) -> Option<(PublicKey, closed_loop::LoopStatus)> {
    let params: ChainParams = snap
        .get(tracechain_contracts::genesis::PARAMS_KEY)
        .and_then(|b| tracechain_types::decode(&b, 1 << 20).ok())
        .unwrap_or_default();
    [*enterprise, *linker]
        .into_iter()
        .map(|owner| {
            (
                owner,
                closed_loop::order_status(snap, &params, &owner, order_ref),
            )
        })
        .find(|(_, st)| st.order_tx.is_some())
        .filter(|(_, st)| st.verdict == closed_loop::LoopVerdict::Mismatched)
}

/// The events of blocks `from..=to`, as `role` may see them.
fn block_events(api: &ReadApi, role: Role, from: u64, to: u64) -> Result<Vec<Event>, Problem> {
    let snap = api.store.snapshot();
    let mut out = Vec::new();
    for h in from..=to {
        let Some(block) = snap.block(h).map_err(Problem::internal)? else {
            break;
        };
        for tx in &block.txs {
            let id = tx.id().to_hex();
            match &tx.body.payload {
                Payload::Recall(RecallRecord::Recall(r)) => out.push(
                    Event::default().event("recall").data(
                        json!({
                            "height": h,
                            "batch": code_text(&r.batch),
                            "issuer": tx.body.signer.to_hex(),
                            "reference": r.recall_ref,
                            "record_id": id,
                        })
                        .to_string(),
                    ),
                ),
                Payload::Consumer(ConsumerRecord::ConsumerScan(s)) => {
                    let seen = match role {
                        Role::Regulator(_) => true,
                        Role::Participant(k) => concerns(&snap, &s.code, &k),
                        Role::Public => false,
                    };
                    // This scan's own entry and its own alerts: later scans of a unit once
                    // flagged are not alerts by themselves.
                    if let Some(entry) = seen
                        .then(|| scan_entry(&snap, &s.code, h, &tx.id()))
                        .flatten()
                    {
                        if !entry.alerts.is_empty() {
                            out.push(
                                Event::default().event("alert").data(
                                    json!({
                                        "height": h,
                                        "kind": "suspicious_scan",
                                        "unit": code_text(&s.code),
                                        "scan": entry.number,
                                        "country": entry.country,
                                        "record_id": id,
                                    })
                                    .to_string(),
                                ),
                            );
                        }
                    }
                }
                Payload::InfoBlock(
                    InfoBlockRecord::Transport(_) | InfoBlockRecord::Warehousing(_),
                ) => {
                    let mut sent = std::collections::BTreeSet::new();
                    for code in tx.body.payload.trace_codes() {
                        let seen = match role {
                            Role::Regulator(_) => true,
                            Role::Participant(k) => concerns(&snap, code, &k),
                            Role::Public => false,
                        };
                        if !seen {
                            continue;
                        }
                        for a in sensor::sensor_alerts(&snap, code)
                            .into_iter()
                            .filter(|a| a.height == h && a.tx_id == tx.id())
                        {
                            if !sent.insert(code_text(&a.code)) {
                                continue;
                            }
                            out.push(
                                Event::default().event("alert").data(
                                    json!({
                                        "height": h,
                                        "kind": "sensor_excursion",
                                        "unit": code_text(&a.code),
                                        "category": a.category,
                                        "excursions": a.excursion_count,
                                        "record_id": id,
                                    })
                                    .to_string(),
                                ),
                            );
                        }
                    }
                }
                Payload::ClosedLoop(ClosedLoopRecord::PaymentOrderLink(l)) => {
                    // The loop closes at the link: when the order, its receipt, logistics and
                    // declaration then disagree (R-Q2), regulators and the enterprise are told.
                    let seen = match role {
                        Role::Regulator(_) => true,
                        Role::Participant(k) => k == l.enterprise || k == tx.body.signer,
                        Role::Public => false,
                    };
                    if seen {
                        if let Some((owner, st)) =
                            mismatched_loop(&snap, &l.enterprise, &tx.body.signer, &l.order_ref)
                        {
                            out.push(
                                Event::default().event("alert").data(
                                    json!({
                                        "height": h,
                                        "kind": "closed_loop_mismatch",
                                        "owner": owner.to_hex(),
                                        "order_ref": l.order_ref,
                                        "reasons": st.reasons,
                                        "record_id": id,
                                    })
                                    .to_string(),
                                ),
                            );
                        }
                    }
                }
                _ => {}
            }
            if role.key() == Some(tx.body.signer) {
                out.push(
                    Event::default().event("tx").data(
                        json!({
                            "height": h,
                            "tx_id": id,
                            "sequence": tx.body.sequence,
                            "kind": tx.body.payload.kind(),
                        })
                        .to_string(),
                    ),
                );
            }
        }
        out.push(
            Event::default().event("block").id(h.to_string()).data(
                json!({
                    "height": h,
                    "block_hash": block.hash().to_hex(),
                    "time_ms": block.header.timestamp_ms,
                    "txs": block.txs.len(),
                })
                .to_string(),
            ),
        );
    }
    Ok(out)
}

async fn next_event(mut s: Stream) -> Option<(Result<Event, Infallible>, Stream)> {
    loop {
        if let Some(e) = s.pending.pop_front() {
            return Some((Ok(e), s));
        }
        // A stream lives `api.max_event_stream_ms`; its client resumes with Last-Event-ID.
        if s.started.elapsed() >= Duration::from_millis(s.api.cfg.max_event_stream_ms) {
            return None;
        }
        let api = s.api.clone();
        let tip = tokio::task::spawn_blocking(move || api.store.snapshot().tip().map(|t| t.height))
            .await
            .ok()?
            .ok()?;
        if tip <= s.cursor {
            tokio::time::sleep(Duration::from_millis(s.api.cfg.events_poll_ms)).await;
            continue;
        }
        let (from, to) = (
            s.cursor + 1,
            tip.min(s.cursor.saturating_add(EVENT_BLOCKS_PER_READ)),
        );
        let (api, role, key) = (s.api.clone(), s.role, s.key);
        let events = tokio::task::spawn_blocking(move || {
            // A reader suspended, revoked or removed since the stream opened: the stream ends
            // (it may reconnect with its new rights).
            if Role::of(&api.store.snapshot(), key) != role {
                return Ok(None);
            }
            block_events(&api, role, from, to).map(Some)
        })
        .await
        .ok()?
        .ok()??;
        s.cursor = to;
        s.pending.extend(events);
    }
}

/// `GET /v1/events[?from=H]`, `Last-Event-ID: H`.
#[utoipa::path(
    get,
    path = "/v1/events",
    tag = "events",
    summary = "Server-Sent Events of committed blocks, resumable with Last-Event-ID",
    params(
        ("from" = Option<u64>, Query, description = "resume after this height"),
        ("Last-Event-ID" = Option<u64>, Header, description = "resume after this height")
    ),
    security((), ("tracechain_key" = [], "tracechain_timestamp" = [], "tracechain_signature" = [])),
    responses(
        (status = 200, description = "an event stream", content_type = "text/event-stream", body = String),
        (status = 400, description = "a malformed request", body = crate::problem::ProblemBody, content_type = "application/problem+json"),
        (status = 401, description = "a signed read refused: malformed, stale, replayed, bad signature", body = crate::problem::ProblemBody, content_type = "application/problem+json"),
        (status = 503, description = "busy", body = crate::problem::ProblemBody, content_type = "application/problem+json")
    )
)]
pub(crate) async fn events(
    State(api): State<Arc<ReadApi>>,
    q: Result<Query<EventsQuery>, QueryRejection>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let from = match q {
        Ok(Query(q)) => q.from,
        Err(e) => return Problem::bad_request("E_BAD_QUERY", e.body_text()).into_response(),
    };
    let last_id = match headers.get("last-event-id").map(|v| {
        v.to_str()
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
            .ok_or_else(|| {
                Problem::bad_request("E_BAD_LAST_EVENT_ID", "Last-Event-ID is a block height")
            })
    }) {
        None => None,
        Some(Ok(h)) => Some(h),
        Some(Err(p)) => return p.into_response(),
    };
    let now = (api.clock)();
    let read = match auth::authenticate(
        &api.chain_id,
        api.cfg.read_auth_window_ms,
        now,
        &method,
        &uri,
        &headers,
        b"",
    ) {
        Ok(r) => r,
        Err(p) => return p.into_response(),
    };
    let started = {
        let api = api.clone();
        tokio::task::spawn_blocking(move || {
            let snap = api.store.snapshot();
            let tip = snap.tip().map_err(Problem::internal)?;
            let role = api.admit(&snap, read, now)?;
            Ok::<_, Problem>((tip.height, role))
        })
        .await
    };
    let (tip, role) = match started {
        Ok(Ok(v)) => v,
        Ok(Err(p)) => return p.into_response(),
        Err(e) => return Problem::internal(e).into_response(),
    };
    let signed = headers.contains_key(auth::KEY_HEADER);
    let slots = if signed {
        &api.streams
    } else {
        &api.public_streams
    };
    let Ok(permit) = slots.clone().try_acquire_owned() else {
        return Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "E_BUSY",
            "Busy",
            format!(
                "{} event streams are open; retry later",
                api.cfg.max_event_streams
            ),
        )
        .into_response();
    };
    // Resume after the last block the client saw (a node behind it waits until it has the
    // next one); else start with the next block. No stream starts more than
    // `api.max_event_replay_blocks` back.
    let oldest = tip.saturating_sub(api.cfg.max_event_replay_blocks);
    let cursor = last_id.or(from).unwrap_or(tip).max(oldest);
    let stream = Stream {
        api: api.clone(),
        key: read.map(|r| r.key),
        started: std::time::Instant::now(),
        role,
        cursor,
        pending: VecDeque::new(),
        _permit: permit,
    };
    Sse::new(futures::stream::unfold(stream, next_event))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}
