//! `GET /v1/export`: the chain's blocks with their certificates and the genesis file, streamed
//! in the export format of `tracechain-audit` (`tracechain-export/1`, ADR 0087) for auditors,
//! who verify it with `tracechain audit chain --export FILE` (or `--node URL`, streamed).
//!
//! Regulators read it (R-A5: they see every record). The blocks come from one snapshot, read
//! on a blocking thread at most `api.export_buffer_blocks` ahead of the client; at most
//! `api.max_exports` exports stream at once (more are 503). A read that fails midway ends the
//! stream without its end frame, which every reader reports as cut short.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tracechain_audit::export::{ExportHeader, ExportWriter};

use crate::auth::Role;
use crate::problem::Problem;
use crate::ReadApi;

/// The export's query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub(crate) struct ExportQuery {
    /// First height (default 1).
    from: Option<u64>,
    /// Last height (default: the tip when the export begins).
    to: Option<u64>,
}

type Chunk = Result<Bytes, std::io::Error>;

#[utoipa::path(
    get,
    path = "/v1/export",
    tag = "audit",
    summary = "The chain's blocks with their certificates and the genesis file, streamed in the tracechain-export/1 format (ADR 0087)",
    params(ExportQuery),
    security(("tracechain_key" = [], "tracechain_timestamp" = [], "tracechain_signature" = [])),
    responses(
        (status = 200, description = "the export (`application/vnd.tracechain.export`); verify it with `tracechain audit chain --export FILE --genesis GENESIS`", content_type = "application/vnd.tracechain.export", body = Vec<u8>),
        (status = 400, description = "a malformed query, or a range outside the chain", body = crate::problem::ProblemBody, content_type = "application/problem+json"),
        (status = 401, description = "a signed read refused: malformed, stale, replayed, bad signature", body = crate::problem::ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "not a regulator (R-A5)", body = crate::problem::ProblemBody, content_type = "application/problem+json"),
        (status = 503, description = "`api.max_exports` exports are streaming", body = crate::problem::ProblemBody, content_type = "application/problem+json")
    )
)]
pub(crate) async fn export(
    State(api): State<Arc<ReadApi>>,
    query: Result<Query<ExportQuery>, axum::extract::rejection::QueryRejection>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let Query(q) = match query {
        Ok(q) => q,
        Err(e) => return Problem::bad_request("E_BAD_QUERY", e.body_text()).into_response(),
    };
    let checked = crate::read(
        api.clone(),
        method,
        uri,
        headers,
        Bytes::new(),
        move |ctx| {
            if !matches!(ctx.role, Role::Regulator(_)) {
                return Err(Problem::forbidden(
                    "the chain export is read by regulators (sign the read with a regulator's key)",
                ));
            }
            let from = q.from.unwrap_or(1);
            let to = q.to.unwrap_or(ctx.tip.height);
            if from == 0 || to > ctx.tip.height || from > to.saturating_add(1) {
                return Err(Problem::bad_request(
                    "E_BAD_RANGE",
                    format!(
                        "from {from} to {to} is not a range of heights in 1..={} (the genesis \
                         block is built from the genesis file, never exported)",
                        ctx.tip.height
                    ),
                ));
            }
            Ok((from, to))
        },
    )
    .await;
    let (tip, (from, to)) = match checked {
        Ok(v) => v,
        Err(p) => return p.into_response(),
    };
    let Ok(permit) = api.exports.clone().try_acquire_owned() else {
        return Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "E_BUSY",
            "Busy",
            format!("{} exports are streaming; retry later", api.cfg.max_exports),
        )
        .into_response();
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Chunk>(api.cfg.export_buffer_blocks);
    let producer = api.clone();
    let out = Out {
        tx,
        runtime: tokio::runtime::Handle::current(),
        idle: std::time::Duration::from_millis(api.cfg.export_idle_ms),
    };
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        stream_blocks(&producer, from, to, &out);
    });
    let body = Body::from_stream(futures::stream::poll_fn(move |cx| rx.poll_recv(cx)));
    let mut r = Response::new(body);
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/vnd.tracechain.export"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"tracechain-{from}-{to}.export\""
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(crate::HEIGHT_HEADER, HeaderValue::from(tip));
    r
}

/// Where an export's producer sends its chunks: the body's channel, waiting at most `idle`
/// for the client to make room.
struct Out {
    tx: tokio::sync::mpsc::Sender<Chunk>,
    runtime: tokio::runtime::Handle,
    idle: std::time::Duration,
}

impl Out {
    /// Send a chunk; `Err` when the client is gone or took nothing for `idle`.
    fn blocking_send(&self, chunk: Chunk) -> Result<(), ()> {
        match self
            .runtime
            .block_on(self.tx.send_timeout(chunk, self.idle))
        {
            Ok(()) => Ok(()),
            Err(tokio::sync::mpsc::error::SendTimeoutError::Timeout(_)) => {
                tracing::info!(
                    idle_ms = self.idle.as_millis() as u64,
                    "export: the client took nothing; ending the export"
                );
                Err(())
            }
            Err(tokio::sync::mpsc::error::SendTimeoutError::Closed(_)) => Err(()),
        }
    }
}

/// Read blocks `from..=to` from one snapshot and send them as frames; stop when the client
/// is gone or idle. A failed read sends an error, which ends the body without its end frame.
fn stream_blocks(api: &ReadApi, from: u64, to: u64, out: &Out) {
    let snap = api.store.snapshot();
    let header = ExportHeader {
        chain_id: api.chain_id.clone(),
        genesis_hash: api.store.identity().genesis_hash,
        from,
        to,
        genesis_file: api
            .package_sources
            .as_ref()
            .and_then(|s| s.genesis_file())
            .unwrap_or_default(),
    };
    let mut w = match ExportWriter::new(Vec::new(), &header) {
        Ok(w) => w,
        Err(e) => {
            let _ = out.blocking_send(Err(e));
            return;
        }
    };
    let start = std::mem::take(w.get_mut());
    if out.blocking_send(Ok(Bytes::from(start))).is_err() {
        return;
    }
    for h in from..=to {
        let pair = match (snap.block(h), snap.cert(h)) {
            (Ok(Some(b)), Ok(Some(c))) => (b, c),
            (Ok(_), Ok(_)) => {
                let e = std::io::Error::other(format!("block {h} is not stored"));
                let _ = out.blocking_send(Err(e));
                return;
            }
            (Err(e), _) | (_, Err(e)) => {
                tracing::warn!(height = h, error = %e, "export: a block could not be read");
                let _ = out.blocking_send(Err(std::io::Error::other(e.to_string())));
                return;
            }
        };
        // Counted by the writer (for its end frame); the bytes are sent here.
        if let Err(e) = w.block(&pair.0, &pair.1) {
            let _ = out.blocking_send(Err(e));
            return;
        }
        let bytes = std::mem::take(w.get_mut());
        if out.blocking_send(Ok(Bytes::from(bytes))).is_err() {
            return;
        }
    }
    match w.finish() {
        Ok(end) => {
            let _ = out.blocking_send(Ok(Bytes::from(end)));
        }
        Err(e) => {
            let _ = out.blocking_send(Err(e));
        }
    }
}
