//! The transaction API (axum): submit and follow signed transactions, the node's status,
//! blocks, health and metrics (ADR 0064; the read API of the records is its own piece).
//!
//! Errors are RFC 7807 `application/problem+json` with a stable `code` and, when a rule
//! refused, its `rule` id. Bad input is a 4xx, never a 5xx; bodies over `api.max_body_bytes`
//! are 413; more than `api.max_concurrent_requests` at once, or a client over its rate, 429.
//! Store reads run on blocking threads.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use base64::Engine;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::{watch, Semaphore};
use tracechain_types::{decode, encode, Hash, PublicKey, Transaction};

use super::admission::{Admission, Admitted};
use super::core::stored_next_sequence;
use super::mempool::Outcome;
use super::Shared;

#[path = "api_epcis.rs"]
mod epcis_http;

/// The API's state.
#[derive(Clone)]
struct Api {
    shared: Arc<Shared>,
    /// One capture at a time per member key the node signs with (sequences in order).
    capture_locks: Arc<Mutex<HashMap<PublicKey, Arc<tokio::sync::Mutex<()>>>>>,
    read: Arc<tracechain_api::ReadApi>,
    admission: Admission,
    limiter: Arc<RateLimiter>,
    in_flight: Arc<Semaphore>,
    waiting: Arc<Semaphore>,
}

/// An RFC 7807 problem (boxed: handlers return it in `Err`).
#[derive(Debug)]
pub struct ApiProblem(Box<ProblemBody>);

/// The fields of an [`ApiProblem`].
#[derive(Debug)]
pub struct ProblemBody {
    status: StatusCode,
    code: String,
    title: String,
    detail: String,
    rule: Option<String>,
    fields: Value,
    extra: Option<Value>,
    www_authenticate: bool,
}

impl Api {
    /// The capture lock of a member key.
    fn capture_lock(&self, key: PublicKey) -> Arc<tokio::sync::Mutex<()>> {
        let mut m = self.capture_locks.lock().unwrap_or_else(|p| p.into_inner());
        m.entry(key).or_default().clone()
    }
}

impl ApiProblem {
    fn new(status: StatusCode, code: &str, title: &str, detail: impl Into<String>) -> ApiProblem {
        ApiProblem(Box::new(ProblemBody {
            status,
            code: code.into(),
            title: title.into(),
            detail: detail.into(),
            rule: None,
            fields: Value::Array(vec![]),
            extra: None,
            www_authenticate: false,
        }))
    }

    fn with_extra(mut self, extra: Value) -> ApiProblem {
        self.0.extra = Some(extra);
        self
    }

    fn bad_request(code: &str, detail: impl Into<String>) -> ApiProblem {
        ApiProblem::new(StatusCode::BAD_REQUEST, code, "Bad request", detail)
    }

    fn from_outcome(status: u16, id: &Hash, outcome: &Outcome) -> ApiProblem {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
        match outcome {
            Outcome::Rejected {
                rule,
                code,
                detail,
                fields,
            } => ApiProblem(Box::new(ProblemBody {
                status,
                code: code.clone(),
                title: "Transaction refused".into(),
                detail: detail.clone(),
                rule: Some(rule.clone()),
                fields: serde_json::to_value(fields).unwrap_or_default(),
                extra: Some(json!({ "tx_id": id.to_hex() })),
                www_authenticate: false,
            })),
            Outcome::Expired { expiry_height } => ApiProblem(Box::new(ProblemBody {
                status,
                code: "E_EXPIRED".into(),
                title: "Transaction expired".into(),
                detail: format!("expired at height {expiry_height} before it was included"),
                rule: Some("R-D3".into()),
                fields: json!([{ "field": "expiry_height", "problem": "passed" }]),
                extra: Some(json!({ "tx_id": id.to_hex() })),
                www_authenticate: false,
            })),
        }
    }

    fn internal(e: impl std::fmt::Display) -> ApiProblem {
        tracing::error!(error = %e, "API read failed");
        ApiProblem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "E_STORAGE",
            "Storage unavailable",
            "the node could not read its store; try another node",
        )
    }
}

impl ApiProblem {
    /// The problem's JSON body.
    fn to_json(&self) -> Value {
        let p = &self.0;
        let mut body = json!({
            "type": format!("urn:tracechain:problem:{}", p.code),
            "title": p.title,
            "status": p.status.as_u16(),
            "code": p.code,
            "detail": p.detail,
            "fields": p.fields,
        });
        if let Some(rule) = &p.rule {
            body["rule"] = Value::String(rule.clone());
        }
        if let Some(Value::Object(extra)) = &p.extra {
            for (k, v) in extra {
                body[k] = v.clone();
            }
        }
        body
    }
}

impl IntoResponse for ApiProblem {
    fn into_response(self) -> Response {
        let body = self.to_json();
        let ApiProblem(p) = self;
        let p = *p;
        let mut resp = (p.status, body.to_string()).into_response();
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if p.status == StatusCode::TOO_MANY_REQUESTS {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        if p.www_authenticate {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"epcis\""),
            );
        }
        resp
    }
}

type ApiResult = Result<Response, ApiProblem>;

/// Per-client token buckets and requests in flight.
struct RateLimiter {
    rate: f64,
    burst: f64,
    max_clients: usize,
    max_in_flight: usize,
    buckets: Mutex<HashMap<IpAddr, (f64, Instant)>>,
    in_flight: Mutex<HashMap<IpAddr, usize>>,
}

/// A client's request in flight; released when dropped.
struct ClientSlot(Arc<RateLimiter>, IpAddr);

impl Drop for ClientSlot {
    fn drop(&mut self) {
        let mut m = self.0.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = m.get_mut(&self.1) {
            *n -= 1;
            if *n == 0 {
                m.remove(&self.1);
            }
        }
    }
}

impl RateLimiter {
    /// Take one of the client's `api.max_requests_per_client` slots.
    fn enter(self: &Arc<Self>, ip: IpAddr) -> Option<ClientSlot> {
        let mut m = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        let n = m.entry(ip).or_default();
        if *n >= self.max_in_flight {
            return None;
        }
        *n += 1;
        Some(ClientSlot(self.clone(), ip))
    }
}

impl RateLimiter {
    fn allow(&self, ip: IpAddr) -> bool {
        self.allow_n(ip, 1.0)
    }

    /// Take `n` tokens of `ip`'s bucket (a batch pays one per transaction), or none.
    fn allow_n(&self, ip: IpAddr, n: f64) -> bool {
        let now = Instant::now();
        let mut b = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if b.len() >= self.max_clients && !b.contains_key(&ip) {
            // Forget clients whose bucket has refilled (they lose nothing), else the client
            // seen least recently: a new client is never refused for the table being full.
            let full = Duration::from_secs_f64(self.burst / self.rate);
            b.retain(|_, (_, t)| now.duration_since(*t) < full);
            if b.len() >= self.max_clients {
                if let Some(oldest) = b.iter().min_by_key(|(_, (_, t))| *t).map(|(k, _)| *k) {
                    b.remove(&oldest);
                }
            }
        }
        let (tokens, last) = b.entry(ip).or_insert((self.burst, now));
        *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * self.rate).min(self.burst);
        *last = now;
        if *tokens >= n {
            *tokens -= n;
            true
        } else {
            false
        }
    }
}

async fn limits(
    State(api): State<Api>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
    next: Next,
) -> Response {
    let Some(_client) = api.limiter.enter(peer.ip()) else {
        return ApiProblem::new(
            StatusCode::TOO_MANY_REQUESTS,
            "E_BUSY",
            "Too many requests",
            format!(
                "{} requests from {} are in flight",
                api.shared.cfg.api.max_requests_per_client,
                peer.ip()
            ),
        )
        .into_response();
    };
    if !api.limiter.allow(peer.ip()) {
        return ApiProblem::new(
            StatusCode::TOO_MANY_REQUESTS,
            "E_RATE_LIMITED",
            "Too many requests",
            format!(
                "over {} requests per second from {}",
                api.shared.cfg.api.rate_per_client,
                peer.ip()
            ),
        )
        .into_response();
    }
    // A request waiting for a commit holds a slot of its own (`api.max_waiting_requests`,
    // taken by the handler), not one of the working slots.
    let waits = req.uri().path() == "/v1/txs"
        && req
            .uri()
            .query()
            .is_some_and(|q| q.split('&').any(|kv| kv == "wait=commit"));
    // A whole request (body included: a client trickling its body one byte at a time does
    // not restart this clock) has `api.request_timeout_ms`, plus the wait it asked for.
    let cfg = &api.shared.cfg.api;
    let budget =
        Duration::from_millis(cfg.request_timeout_ms + if waits { cfg.max_wait_ms } else { 0 });
    if waits {
        return deadline(budget, next.run(req), cfg.request_timeout_ms).await;
    }
    let Ok(_permit) = api.in_flight.clone().try_acquire_owned() else {
        return ApiProblem::new(
            StatusCode::TOO_MANY_REQUESTS,
            "E_BUSY",
            "Too many requests",
            format!(
                "the node is serving {} requests; try again",
                api.shared.cfg.api.max_concurrent_requests
            ),
        )
        .into_response();
    };
    deadline(budget, next.run(req), cfg.request_timeout_ms).await
}

async fn deadline(
    budget: Duration,
    work: impl std::future::Future<Output = Response>,
    timeout_ms: u64,
) -> Response {
    match tokio::time::timeout(budget, work).await {
        Ok(r) => r,
        Err(_) => ApiProblem::new(
            StatusCode::REQUEST_TIMEOUT,
            "E_REQUEST_TIMEOUT",
            "Request timeout",
            format!("the request did not complete within its time ({timeout_ms} ms to send it)"),
        )
        .into_response(),
    }
}

/// Serve the API on `listener` until `stop` turns true.
pub async fn serve(
    shared: Arc<Shared>,
    admission: Admission,
    listener: tokio::net::TcpListener,
    mut stop: watch::Receiver<bool>,
) {
    let app = router(shared, admission);
    let server = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        let _ = stop.wait_for(|s| *s).await;
    });
    if let Err(e) = server.await {
        tracing::error!(error = %e, "API server stopped");
    }
}

/// What an audit package takes from the node beyond its state (ADR 0084): the genesis file
/// it was started with and the EPCIS originals of its repository.
struct PackageSources {
    genesis: Option<Vec<u8>>,
    store: Arc<tracechain_storage::Store>,
}

impl tracechain_api::audit::PackageSources for PackageSources {
    fn genesis_file(&self) -> Option<Vec<u8>> {
        self.genesis.clone()
    }

    fn epcis_original(&self, original: &tracechain_types::Hash) -> Option<Vec<u8>> {
        self.store
            .epcis_get(&super::epcis::json_key(original))
            .ok()
            .flatten()
    }
}

fn router(shared: Arc<Shared>, admission: Admission) -> Router {
    let cfg = &shared.cfg.api;
    let read = Arc::new(tracechain_api::ReadApi::new(
        shared.store.clone(),
        shared.chain_id.clone(),
        cfg.read_config(),
        tracechain_api::system_clock(),
    ));
    let api = Api {
        read: read.clone(),
        limiter: Arc::new(RateLimiter {
            rate: cfg.rate_per_client as f64,
            burst: cfg.burst_per_client as f64,
            max_clients: cfg.max_tracked_clients,
            max_in_flight: cfg.max_requests_per_client,
            buckets: Mutex::new(HashMap::new()),
            in_flight: Mutex::new(HashMap::new()),
        }),
        in_flight: Arc::new(Semaphore::new(cfg.max_concurrent_requests)),
        waiting: Arc::new(Semaphore::new(cfg.max_waiting_requests)),
        admission,
        shared: shared.clone(),
        capture_locks: Arc::default(),
    };
    documented()
        .split_for_parts()
        .0
        .with_state(api.clone())
        .merge(tracechain_api::router(Arc::new({
            let read = tracechain_api::ReadApi::new(
                shared.store.clone(),
                shared.chain_id.clone(),
                cfg.read_config(),
                tracechain_api::system_clock(),
            );
            let read = read.with_package_sources(Arc::new(PackageSources {
                genesis: std::fs::read(&shared.cfg.genesis).ok(),
                store: shared.store.clone(),
            }));
            match super::scans::start(shared.clone(), api.admission.clone()) {
                Some(scans) => read.with_scans(scans),
                None => read,
            }
        })))
        .fallback(tracechain_api::not_found)
        .layer(middleware::from_fn_with_state(api.clone(), limits))
        .layer(DefaultBodyLimit::max(cfg.max_body_bytes))
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            Duration::from_millis(cfg.request_timeout_ms),
        ))
}

/// Read from the store on a blocking thread.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiProblem> + Send + 'static,
) -> Result<T, ApiProblem> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(ApiProblem::internal)?
}

/// Whether reading the body failed on `api.request_timeout_ms` (tower-http's body timeout).
fn timed_out(e: &axum::extract::rejection::BytesRejection) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if err.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        source = err.source();
    }
    false
}

/// The problem of a body that could not be read: too slow (408), too large (413), or else.
fn body_problem(api: &Api, e: &axum::extract::rejection::BytesRejection) -> ApiProblem {
    if timed_out(e) {
        ApiProblem::new(
            StatusCode::REQUEST_TIMEOUT,
            "E_REQUEST_TIMEOUT",
            "Request timeout",
            format!(
                "the body did not arrive within {} ms",
                api.shared.cfg.api.request_timeout_ms
            ),
        )
    } else if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiProblem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "E_BODY_TOO_LARGE",
            "Body too large",
            format!(
                "the largest body is {} bytes",
                api.shared.cfg.api.max_body_bytes
            ),
        )
    } else {
        ApiProblem::bad_request("E_BAD_BODY", e.body_text())
    }
}

fn parse_id(s: &str) -> Result<Hash, ApiProblem> {
    s.parse::<Hash>().map_err(|_| {
        ApiProblem::bad_request("E_BAD_ID", "a transaction id is 64 hexadecimal characters")
    })
}

#[derive(Deserialize)]
struct SubmitQuery {
    wait: Option<String>,
    timeout_ms: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonTx {
    tx: String,
}

#[utoipa::path(
    post,
    path = "/v1/txs",
    tag = "transactions",
    summary = "Submit a signed transaction (a Borsh body, or JSON with the base64 transaction)",
    params(
        ("wait" = Option<String>, Query, description = "commit: answer when committed"),
        ("timeout_ms" = Option<u64>, Query, description = "longest wait")
    ),
    request_body(content = Vec<u8>, description = "a Borsh Transaction", content_type = "application/octet-stream"),
    responses(
        (status = 202, description = "accepted: pending", body = serde_json::Value),
        (status = 200, description = "the answer", body = serde_json::Value),
        (status = 400, description = "malformed", body = tracechain_api::problem::ProblemBody, content_type = "application/problem+json"),
        (status = 413, description = "too large", body = tracechain_api::problem::ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "a rule refused it", body = tracechain_api::problem::ProblemBody, content_type = "application/problem+json"),
        (status = 429, description = "busy or rate limited", body = tracechain_api::problem::ProblemBody, content_type = "application/problem+json")
    )
)]
async fn submit(
    State(api): State<Api>,
    query: Result<Query<SubmitQuery>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult {
    let Query(query) = query.map_err(|e| ApiProblem::bad_request("E_BAD_QUERY", e.body_text()))?;
    let _waiting = if query.wait.is_some() {
        Some(api.waiting.clone().try_acquire_owned().map_err(|_| {
            ApiProblem::new(
                StatusCode::TOO_MANY_REQUESTS,
                "E_BUSY",
                "Too many requests",
                format!(
                    "{} requests are waiting for a commit; try again or poll GET /v1/txs/{{id}}",
                    api.shared.cfg.api.max_waiting_requests
                ),
            )
        })?)
    } else {
        None
    };
    let body = body.map_err(|e| body_problem(&api, &e))?;
    let wait = match query.wait.as_deref() {
        None => None,
        Some("commit") => Some(Duration::from_millis(
            query
                .timeout_ms
                .unwrap_or(api.shared.cfg.api.max_wait_ms)
                .min(api.shared.cfg.api.max_wait_ms),
        )),
        Some(other) => {
            return Err(ApiProblem::bad_request(
                "E_BAD_QUERY",
                format!("wait={other}: the only wait is wait=commit"),
            ))
        }
    };
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let raw: Vec<u8> = if is_json {
        let j: JsonTx = serde_json::from_slice(&body).map_err(|e| {
            ApiProblem::bad_request(
                "E_BAD_JSON",
                format!("expected {{\"tx\": \"<base64>\"}}: {e}"),
            )
        })?;
        base64::engine::general_purpose::STANDARD
            .decode(j.tx.as_bytes())
            .map_err(|e| ApiProblem::bad_request("E_BAD_BASE64", format!("tx: {e}")))?
    } else {
        body.to_vec()
    };
    let max = api.shared.cfg.mempool.max_tx_bytes;
    if raw.len() > max {
        return Err(ApiProblem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "E_TX_TOO_LARGE",
            "Transaction too large",
            format!(
                "the transaction is {} bytes; the largest is {max}",
                raw.len()
            ),
        ));
    }
    let tx: Transaction = decode(&raw, max).map_err(|e| {
        ApiProblem::bad_request(
            "E_MALFORMED_TX",
            format!("not a canonically encoded signed transaction: {e}"),
        )
    })?;
    let size = raw.len();
    let answer = api.admission.submit(tx, size).await;
    match answer {
        Admitted::Busy(id) => Err(ApiProblem::new(
            StatusCode::TOO_MANY_REQUESTS,
            "E_BUSY",
            "Node busy",
            "the transaction pool or the admission queue is full; submit again later",
        )
        .with_extra(json!({ "tx_id": id.to_hex() }))),
        Admitted::Refused {
            id,
            status,
            outcome,
        } => Err(ApiProblem::from_outcome(status, &id, &outcome)),
        Admitted::Committed(id) => tx_state(&api, id).await,
        Admitted::Pending(id) => match wait {
            None => Ok((
                StatusCode::ACCEPTED,
                Json(json!({ "tx_id": id.to_hex(), "status": "pending" })),
            )
                .into_response()),
            Some(timeout) => {
                let mut commits = api.shared.subscribe_commits();
                let deadline = tokio::time::Instant::now() + timeout;
                loop {
                    let done = {
                        let pool = api.shared.mempool();
                        !pool.contains(&id)
                    };
                    if done {
                        // Left the pool: committed, or refused when a block was built (then
                        // the refusal itself, as at admission).
                        let refused = api.shared.mempool().outcome(&id).cloned();
                        if let Some(outcome) = refused {
                            return Err(ApiProblem::from_outcome(422, &id, &outcome));
                        }
                        return tx_state(&api, id).await;
                    }
                    match tokio::time::timeout_at(deadline, commits.changed()).await {
                        Ok(Ok(())) => continue,
                        _ => {
                            // The wait ends: answer what is true now (it may have been
                            // refused while a block was built, with no commit to wake us).
                            let refused = api.shared.mempool().outcome(&id).cloned();
                            if let Some(outcome) = refused {
                                return Err(ApiProblem::from_outcome(422, &id, &outcome));
                            }
                            return tx_state(&api, id).await;
                        }
                    }
                }
            }
        },
    }
}

/// `POST /v1/txs/batch`: a Borsh `Vec<Transaction>` of at most `api.max_batch_txs`, each
/// admitted as if posted alone (the same checks, in the body's order for one signer). The
/// answer is 200 with one result per transaction, in order: `pending`, `committed`, `busy`
/// (pool or admission queue full: send it again) or `refused` with the problem's status, code,
/// rule and fields. A body that is not such a list is refused whole (400 / 413).
#[utoipa::path(
    post,
    path = "/v1/txs/batch",
    tag = "transactions",
    summary = "Submit a Borsh Vec<Transaction>, each admitted as if posted alone",
    request_body(content = Vec<u8>, description = "a Borsh Vec<Transaction>", content_type = "application/octet-stream"),
    responses(
        (status = 200, description = "the answer", body = serde_json::Value),
        (status = 400, description = "malformed", body = tracechain_api::problem::ProblemBody, content_type = "application/problem+json"),
        (status = 413, description = "too many or too large", body = tracechain_api::problem::ProblemBody, content_type = "application/problem+json"),
        (status = 429, description = "busy or rate limited", body = tracechain_api::problem::ProblemBody, content_type = "application/problem+json")
    )
)]
async fn submit_batch(
    State(api): State<Api>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult {
    let body = body.map_err(|e| body_problem(&api, &e))?;
    // The count first (Borsh: u32, little-endian): an oversized batch is refused before
    // anything of it is decoded.
    let max = api.shared.cfg.api.max_batch_txs;
    let count = body
        .get(..4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
        .ok_or_else(|| {
            ApiProblem::bad_request("E_MALFORMED_TX", "a batch starts with its count")
        })?;
    if count > max {
        return Err(ApiProblem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "E_BATCH_TOO_LARGE",
            "Batch too large",
            format!("{count} transactions; a batch holds at most {max}"),
        ));
    }
    // The request paid one token of the client's rate; each further transaction pays one.
    if count > 1 && !api.limiter.allow_n(peer.ip(), (count - 1) as f64) {
        return Err(ApiProblem::new(
            StatusCode::TOO_MANY_REQUESTS,
            "E_RATE_LIMITED",
            "Rate limited",
            format!(
                "a batch counts one request per transaction against api.rate_per_client ({}/s, burst {})",
                api.shared.cfg.api.rate_per_client, api.shared.cfg.api.burst_per_client
            ),
        ));
    }
    let txs: Vec<Transaction> = decode(&body, api.shared.cfg.api.max_body_bytes).map_err(|e| {
        ApiProblem::bad_request(
            "E_MALFORMED_TX",
            format!("not a canonically encoded list of signed transactions: {e}"),
        )
    })?;
    let max_tx = api.shared.cfg.mempool.max_tx_bytes;
    let signers: std::collections::HashMap<Hash, PublicKey> =
        txs.iter().map(|t| (t.id(), t.body.signer)).collect();
    let mut answers = Vec::with_capacity(txs.len());
    let mut admitting = Vec::with_capacity(txs.len());
    for tx in txs {
        let size = encode(&tx).len();
        if size > max_tx {
            answers.push(Some(json!({
                "tx_id": tx.id().to_hex(),
                "status": "refused",
                "http_status": 413,
                "code": "E_TX_TOO_LARGE",
                "rule": null,
                "detail": format!("the transaction is {size} bytes; the largest is {max_tx}"),
                "fields": [],
            })));
        } else {
            answers.push(None);
            admitting.push(api.admission.submit(tx, size));
        }
    }
    let mut admitted = futures::future::join_all(admitting).await.into_iter();
    // A signer's transaction answered busy leaves a gap its later ones in the batch were
    // refused for: those are busy too (send them again after it), not refused.
    let mut busy_signers = std::collections::BTreeSet::new();
    let results: Vec<Value> = answers
        .into_iter()
        .map(|a| {
            a.unwrap_or_else(|| match admitted.next() {
                Some(Admitted::Pending(id)) => json!({"tx_id": id.to_hex(), "status": "pending"}),
                Some(Admitted::Committed(id)) => {
                    json!({"tx_id": id.to_hex(), "status": "committed"})
                }
                Some(Admitted::Busy(id)) => {
                    if let Some(signer) = signers.get(&id) {
                        busy_signers.insert(*signer);
                    }
                    json!({"tx_id": id.to_hex(), "status": "busy"})
                }
                Some(Admitted::Refused { id, .. })
                    if signers.get(&id).is_some_and(|s| busy_signers.contains(s)) =>
                {
                    json!({"tx_id": id.to_hex(), "status": "busy"})
                }
                Some(Admitted::Refused {
                    id,
                    status,
                    outcome,
                }) => {
                    let mut v = serde_json::to_value(&*outcome).unwrap_or_default();
                    v["tx_id"] = Value::String(id.to_hex());
                    v["status"] = Value::String("refused".into());
                    v["http_status"] = json!(status);
                    v
                }
                None => json!({"status": "busy"}),
            })
        })
        .collect();
    Ok(Json(json!({ "results": results })).into_response())
}

/// The state of `id` as a response: committed (200), pending (202), rejected or expired (the
/// problem with its rule), unknown (404).
async fn tx_state(api: &Api, id: Hash) -> ApiResult {
    let shared = api.shared.clone();
    let loc = blocking(move || shared.store.tx_location(&id).map_err(ApiProblem::internal)).await?;
    if let Some(loc) = loc {
        let shared = api.shared.clone();
        let block_hash = blocking(move || {
            shared
                .store
                .block(loc.height)
                .map_err(ApiProblem::internal)
                .map(|b| b.map(|b| b.hash()))
        })
        .await?;
        return Ok(Json(json!({
            "tx_id": id.to_hex(),
            "status": "committed",
            "height": loc.height,
            "index": loc.index,
            "block_hash": block_hash.map(|h| h.to_hex()),
        }))
        .into_response());
    }
    let pool = api.shared.mempool();
    if pool.contains(&id) {
        return Ok((
            StatusCode::ACCEPTED,
            Json(json!({ "tx_id": id.to_hex(), "status": "pending" })),
        )
            .into_response());
    }
    if let Some(outcome) = pool.outcome(&id) {
        let mut body = serde_json::to_value(outcome).unwrap_or_default();
        body["tx_id"] = Value::String(id.to_hex());
        return Ok(Json(body).into_response());
    }
    Ok((
        StatusCode::NOT_FOUND,
        Json(json!({ "tx_id": id.to_hex(), "status": "unknown" })),
    )
        .into_response())
}

#[utoipa::path(
    get,
    path = "/v1/txs/{id}",
    tag = "transactions",
    summary = "A transaction: committed, pending, refused or unknown",
    params(
        ("id" = String, Path, description = "transaction id, hex")
    ),
    responses(
        (status = 200, description = "the answer", body = serde_json::Value),
        (status = 202, description = "pending", body = serde_json::Value),
        (status = 400, description = "bad id", body = tracechain_api::problem::ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "unknown", body = serde_json::Value)
    )
)]
async fn tx_status(State(api): State<Api>, Path(id): Path<String>) -> ApiResult {
    let id = parse_id(&id)?;
    tx_state(&api, id).await
}

/// `GET /v1/txs/{id}/proof`: the signed transaction itself, so it is read by its signer and by
/// regulators only (R-A5, ADR 0080), each signing the read.
#[utoipa::path(
    get,
    path = "/v1/txs/{id}/proof",
    tag = "transactions",
    summary = "A committed transaction with its inclusion proof, header, certificate and validator set (its signer and regulators, signed read)",
    params(
        ("id" = String, Path, description = "transaction id, hex")
    ),
    responses(
        (status = 200, description = "the answer", body = serde_json::Value),
        (status = 400, description = "bad id", body = tracechain_api::problem::ProblemBody, content_type = "application/problem+json"),
        (status = 401, description = "a signed read refused", body = tracechain_api::problem::ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "not its signer nor a regulator", body = tracechain_api::problem::ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "not committed", body = tracechain_api::problem::ProblemBody, content_type = "application/problem+json")
    )
)]
async fn tx_proof(
    State(api): State<Api>,
    Path(id): Path<String>,
    method: axum::http::Method,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> ApiResult {
    let id = parse_id(&id)?;
    let shared = api.shared.clone();
    let read = api.read.clone();
    blocking(move || {
        let (reader, role) = match read.reader(&method, &uri, &headers, b"") {
            Ok(r) => r,
            Err(p) => return Ok(p.into_response()),
        };
        let store = &shared.store;
        let not_found = || {
            ApiProblem::new(
                StatusCode::NOT_FOUND,
                "E_NOT_COMMITTED",
                "Not committed",
                format!("transaction {id} is not in the chain"),
            )
        };
        let loc = store
            .tx_location(&id)
            .map_err(ApiProblem::internal)?
            .ok_or_else(not_found)?;
        let block = store
            .block(loc.height)
            .map_err(ApiProblem::internal)?
            .ok_or_else(not_found)?;
        let cert = store.cert(loc.height).map_err(ApiProblem::internal)?;
        let set = store.set_at(loc.height).map_err(ApiProblem::internal)?;
        let tx = block
            .txs
            .get(loc.index as usize)
            .ok_or_else(|| ApiProblem::internal("transaction index outside its block"))?;
        if !matches!(role, tracechain_api::Role::Regulator(_)) && reader != Some(tx.body.signer) {
            return Ok(tracechain_api::Problem::forbidden(
                "a transaction's proof holds the signed record: it is read by its signer and by regulators (sign the read)",
            )
            .into_response());
        }
        let proof = block
            .tx_proof(loc.index as usize)
            .ok_or_else(|| ApiProblem::internal("no inclusion proof"))?;
        Ok(Json(json!({
            "tx_id": id.to_hex(),
            "height": loc.height,
            "index": loc.index,
            "tx": base64::engine::general_purpose::STANDARD.encode(encode(tx)),
            "inclusion_proof": proof,
            "block_hash": block.hash().to_hex(),
            "header": block.header,
            "certificate": cert,
            "validator_set": set,
        }))
        .into_response())
    })
    .await
}

#[utoipa::path(
    get,
    path = "/v1/accounts/{key}/sequence",
    tag = "transactions",
    summary = "A signer's next sequence (committed and counting its pending transactions)",
    params(
        ("key" = String, Path, description = "public key, hex")
    ),
    responses(
        (status = 200, description = "the answer", body = serde_json::Value),
        (status = 400, description = "bad key", body = tracechain_api::problem::ProblemBody, content_type = "application/problem+json")
    )
)]
async fn sequence(State(api): State<Api>, Path(key): Path<String>) -> ApiResult {
    let key: PublicKey = key
        .parse()
        .map_err(|_| ApiProblem::bad_request("E_BAD_KEY", "a key is 64 hexadecimal characters"))?;
    let shared = api.shared.clone();
    let committed = blocking(move || Ok(stored_next_sequence(&shared.store, &key))).await?;
    let next = api.shared.mempool().next_sequence(&key, committed);
    Ok(Json(json!({
        "key": key.to_hex(),
        "next_sequence": next,
        "committed_next_sequence": committed,
    }))
    .into_response())
}

fn status_json(shared: &Shared) -> Value {
    let s = shared.status();
    let peers: Vec<String> = shared.net.connected().iter().map(|k| k.to_hex()).collect();
    json!({
        "node": shared.cfg.name,
        "key": shared.key.public().to_hex(),
        "validator": shared.is_validator,
        "chain_id": shared.chain_id.as_str(),
        "genesis_hash": shared.genesis_hash.to_hex(),
        "height": s.height,
        "block_hash": s.hash.to_hex(),
        "state_root": s.state_root.to_hex(),
        "block_time_ms": s.timestamp_ms,
        "view": s.view,
        "peers": peers,
        "catching_up": shared.catching_up(),
        "best_peer_height": shared.best_peer_height(),
        "mempool_txs": shared.mempool().len(),
    })
}

#[utoipa::path(
    get,
    path = "/v1/status",
    tag = "transactions",
    summary = "The node: chain, height, state root, view, peers, pool",
    responses(
        (status = 200, description = "the answer", body = serde_json::Value)
    )
)]
async fn status(State(api): State<Api>) -> Json<Value> {
    Json(status_json(&api.shared))
}

#[utoipa::path(
    get,
    path = "/v1/blocks/{height}",
    tag = "transactions",
    summary = "A committed block: header, transaction ids, certificate",
    params(
        ("height" = u64, Path, description = "block height")
    ),
    responses(
        (status = 200, description = "the answer", body = serde_json::Value),
        (status = 400, description = "bad height", body = tracechain_api::problem::ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "no such block", body = tracechain_api::problem::ProblemBody, content_type = "application/problem+json")
    )
)]
async fn block(State(api): State<Api>, Path(height): Path<String>) -> ApiResult {
    let height: u64 = height.parse().map_err(|_| {
        ApiProblem::bad_request("E_BAD_HEIGHT", "a height is a non-negative integer")
    })?;
    let shared = api.shared.clone();
    blocking(move || {
        let block = shared
            .store
            .block(height)
            .map_err(ApiProblem::internal)?
            .ok_or_else(|| {
                ApiProblem::new(
                    StatusCode::NOT_FOUND,
                    "E_NO_BLOCK",
                    "No such block",
                    format!("no committed block at height {height}"),
                )
            })?;
        let cert = shared.store.cert(height).map_err(ApiProblem::internal)?;
        let ids: Vec<String> = block.txs.iter().map(|t| t.id().to_hex()).collect();
        Ok(Json(json!({
            "height": height,
            "block_hash": block.hash().to_hex(),
            "header": block.header,
            "tx_ids": ids,
            "certificate": cert,
        }))
        .into_response())
    })
    .await
}

#[utoipa::path(
    get,
    path = "/healthz",
    tag = "transactions",
    summary = "Alive",
    responses((status = 200, description = "ok", body = String, content_type = "text/plain"))
)]
async fn healthz() -> &'static str {
    "ok"
}

#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "transactions",
    summary = "This document (OpenAPI 3.1)",
    responses((status = 200, description = "the OpenAPI document", body = serde_json::Value))
)]
async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(openapi())
}

/// The node's whole HTTP API as OpenAPI 3.1: the transaction API and the read API. Each route
/// is registered with its documentation (`utoipa_axum::routes!`), so the two cannot drift;
/// `docs/openapi.json` is this document, checked by a test.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = documented().split_for_parts().1;
    doc.merge(tracechain_api::openapi());
    doc.info = tracechain_api::openapi().info;
    doc
}

/// The transaction API's routes with their documentation.
fn documented() -> utoipa_axum::router::OpenApiRouter<Api> {
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new()
        .routes(routes!(submit))
        .routes(routes!(submit_batch))
        .routes(routes!(tx_status))
        .routes(routes!(tx_proof))
        .routes(routes!(sequence))
        .routes(routes!(status))
        .routes(routes!(block))
        .routes(routes!(healthz))
        .routes(routes!(ready))
        .routes(routes!(metrics))
        .routes(routes!(openapi_json))
        .routes(routes!(epcis_http::capture, epcis_http::capture_options))
        .routes(routes!(epcis_http::capture_job))
        .routes(routes!(epcis_http::events))
        .routes(routes!(epcis_http::event_by_id))
}

#[utoipa::path(
    get,
    path = "/readyz",
    tag = "transactions",
    summary = "Ready: caught up and enough validator peers",
    responses(
        (status = 200, description = "the answer", body = serde_json::Value),
        (status = 503, description = "not ready", body = serde_json::Value)
    )
)]
async fn ready(State(api): State<Api>) -> Response {
    let shared = &api.shared;
    let peers = shared.net.connected();
    let validators = shared.validators();
    let validator_peers = peers.iter().filter(|k| validators.contains(k)).count();
    // A validator needs enough validator peers for a quorum with itself; a full node one.
    let needed = if shared.is_validator {
        validators.quorum().saturating_sub(1)
    } else {
        1.min(validators.len())
    };
    let catching_up = shared.catching_up();
    let ok = !catching_up && validator_peers >= needed;
    let body = json!({
        "ready": ok,
        "catching_up": catching_up,
        "validator_peers": validator_peers,
        "validator_peers_needed": needed,
    });
    let code = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, Json(body)).into_response()
}

#[utoipa::path(
    get,
    path = "/metrics",
    tag = "transactions",
    summary = "Prometheus metrics",
    responses(
        (status = 200, description = "text exposition format", body = String, content_type = "text/plain")
    )
)]
async fn metrics(State(api): State<Api>) -> Response {
    let body = api.shared.metrics.render(&api.shared.cfg.name);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}
