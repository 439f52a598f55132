//! Personal data (R-A5, ADR 0046, ADR 0082): records carry salted commitments to personal
//! values (an addressee, an address, a phone number); the value and its salt stay off chain.
//! A record's signer may leave the opening with a node, which keeps it in its private store
//! (`cf::PRIVATE`, never in a block, never sent to peers) after checking it opens the
//! commitment on chain; the node serves it only to regulators and to the record's signer.
//!
//! `PUT /v1/private/{record}` (signed, by the record's signer) with `{"field": JSON pointer into
//! the record's payload, "salt": hex, "value": text}`; `GET /v1/private/{record}` (signed, a
//! regulator or the signer): every opening kept for the record, each checkable against the
//! record's commitment.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use serde_json::{json, Value};
use tracechain_types::records::{Commitment, SALT_LEN};
use tracechain_types::Hash;

use crate::auth::Role;
use crate::problem::Problem;
use crate::{answer, Ctx, ReadApi};

type Api = State<Arc<ReadApi>>;

/// Longest personal value kept, in bytes. Policy: refused (413) when longer.
pub const MAX_PRIVATE_VALUE_BYTES: usize = 4096;
/// Longest JSON pointer naming a committed field. Policy: refused when longer.
pub const MAX_FIELD_BYTES: usize = 256;
/// Most openings kept per record (a record has a handful of committed fields). Policy: a
/// further field is refused.
pub const MAX_FIELDS_PER_RECORD: usize = 16;

fn key(record: &Hash, field: &str) -> Vec<u8> {
    let mut k = b"pd/".to_vec();
    k.extend_from_slice(&record.0);
    k.extend_from_slice(field.as_bytes());
    k
}

fn record_of(
    ctx: &Ctx<'_>,
    id: &str,
) -> Result<(Hash, tracechain_contracts::RecordEnvelope), Problem> {
    let h: Hash = id
        .parse()
        .map_err(|_| Problem::bad_request("E_BAD_ID", "a record id is 64 hex digits"))?;
    let env = tracechain_contracts::query::envelope(&ctx.snap, &h)
        .ok_or_else(|| Problem::not_found("E_NO_SUCH_RECORD", "no record with that id"))?;
    Ok((h, env))
}

/// The commitment at `field` of the record's payload.
fn committed(env: &tracechain_contracts::RecordEnvelope, field: &str) -> Option<Commitment> {
    let v = serde_json::to_value(&env.payload).ok()?;
    let s = v.pointer(field)?.as_str()?;
    s.parse::<Hash>().ok().map(Commitment)
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Opening {
    field: String,
    salt: String,
    value: String,
}

/// `PUT /v1/private/{record}`.
#[utoipa::path(
    put,
    path = "/v1/private/{record}",
    tag = "reads",
    summary = "Leave the opening of a committed personal field of your record with this node (R-A5)",
    params(("record" = String, Path, description = "record id (hex)")),
    request_body(content = serde_json::Value, description = "{\"field\": \"/shipping_address\", \"salt\": \"<64 hex>\", \"value\": \"…\"}"),
    security(("tracechain_key" = [], "tracechain_timestamp" = [], "tracechain_signature" = [])),
    responses(
        (status = 200, description = "kept", body = serde_json::Value),
        (status = 403, description = "not the record's signer", body = crate::problem::ProblemBody, content_type = "application/problem+json"),
        (status = 413, description = "value too long", body = crate::problem::ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "the value and salt do not open the commitment at that field", body = crate::problem::ProblemBody, content_type = "application/problem+json")
    )
)]
pub(crate) async fn put(
    State(api): Api,
    Path(id): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let store = api.store.clone();
    let parsed: Result<Opening, String> = serde_json::from_slice(&body).map_err(|e| e.to_string());
    answer(api, method, uri, headers, body, move |ctx| {
        let o = parsed.map_err(|e| {
            Problem::bad_request(
                "E_BAD_JSON",
                format!("expected {{field, salt, value}}: {e}"),
            )
        })?;
        let (h, env) = record_of(ctx, &id)?;
        if ctx.role.key() != Some(env.signer) {
            return Err(Problem::forbidden(
                "only the record's signer leaves the opening of its personal data",
            )
            .rule("R-A5"));
        }
        if o.value.len() > MAX_PRIVATE_VALUE_BYTES {
            return Err(Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "E_TOO_LARGE",
                "Value too long",
                format!("at most {MAX_PRIVATE_VALUE_BYTES} bytes"),
            ));
        }
        if o.field.len() > MAX_FIELD_BYTES || !o.field.starts_with('/') {
            return Err(Problem::bad_request(
                "E_BAD_FIELD",
                "field is a JSON pointer into the record's payload, e.g. /shipping_address",
            ));
        }
        let salt: [u8; SALT_LEN] = hex::decode(&o.salt)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| Problem::bad_request("E_BAD_SALT", "salt is 64 hex digits"))?;
        let c = committed(&env, &o.field).ok_or_else(|| {
            Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "E_NOT_COMMITTED",
                "No commitment there",
                format!("the record has no commitment at {}", o.field),
            )
        })?;
        if !c.verify(&salt, o.value.as_bytes()) {
            return Err(Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "E_DOES_NOT_OPEN",
                "Does not open",
                "the value and salt do not open the record's commitment at that field",
            )
            .rule("R-A5"));
        }
        let prefix = key(&h, "");
        let kept = store
            .private_scan(&prefix, MAX_FIELDS_PER_RECORD + 1)
            .map_err(Problem::internal)?;
        let k = key(&h, &o.field);
        if kept.len() >= MAX_FIELDS_PER_RECORD && !kept.iter().any(|(kk, _)| *kk == k) {
            return Err(Problem::bad_request(
                "E_TOO_MANY_FIELDS",
                format!("at most {MAX_FIELDS_PER_RECORD} fields per record"),
            ));
        }
        let v = json!({"salt": o.salt, "value": o.value}).to_string();
        store
            .put_private(&k, v.as_bytes())
            .map_err(Problem::internal)?;
        Ok(json!({"record_id": h.to_hex(), "field": o.field, "kept": true}))
    })
    .await
}

/// `GET /v1/private/{record}`.
#[utoipa::path(
    get,
    path = "/v1/private/{record}",
    tag = "reads",
    summary = "The personal data of a record kept by this node: regulators and the record's signer (R-A5)",
    params(("record" = String, Path, description = "record id (hex)")),
    security(("tracechain_key" = [], "tracechain_timestamp" = [], "tracechain_signature" = [])),
    responses(
        (status = 200, description = "the openings, each with the commitment it opens", body = serde_json::Value),
        (status = 403, description = "neither a regulator nor the record's signer", body = crate::problem::ProblemBody, content_type = "application/problem+json")
    )
)]
pub(crate) async fn get(
    State(api): Api,
    Path(id): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let store: Arc<tracechain_storage::Store> = api.store.clone();
    answer(api, method, uri, headers, Bytes::new(), move |ctx| {
        let (h, env) = record_of(ctx, &id)?;
        let allowed = matches!(ctx.role, Role::Regulator(_)) || ctx.role.key() == Some(env.signer);
        if !allowed {
            return Err(Problem::forbidden(
                "personal data is read by regulators and the record's signer only",
            )
            .rule("R-A5"));
        }
        let prefix = key(&h, "");
        let mut out = Vec::new();
        for (k, v) in store
            .private_scan(&prefix, MAX_FIELDS_PER_RECORD)
            .map_err(Problem::internal)?
        {
            let field = String::from_utf8_lossy(&k[prefix.len()..]).to_string();
            let v: Value = serde_json::from_slice(&v).unwrap_or(Value::Null);
            out.push(json!({
                "field": field,
                "commitment": committed(&env, &field).map(|c| c.0.to_hex()),
                "salt": v["salt"], "value": v["value"],
            }));
        }
        Ok(json!({"record_id": h.to_hex(), "personal_data": out}))
    })
    .await
}
