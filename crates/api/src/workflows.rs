//! Regulator workflows and one-stop status (R-A6, R-B2–R-B5, R-Q2, R-S7): the participant
//! directory, registrations and prefix claims awaiting a decision, filings and declarations
//! with each department's decision, the closed-loop status of an order, feedback.
//!
//! Who reads what (R-A5): regulators read every item and the queues; an enterprise reads its
//! own filings, declarations and orders (the one-stop status of R-B3); anyone reads the
//! directory of approved participants, with organisations' public fields only.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, Uri};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{json, Value};
use tracechain_contracts::cbeac::{self, ApprovalStatus, Decision};
use tracechain_contracts::closed_loop::{self, LoopVerdict};
use tracechain_contracts::registry::{self, Participant, ParticipantState};
use tracechain_contracts::{feedback, prefixes, state_keys, ChainParams, StateView};
use tracechain_types::records::Agency;
use tracechain_types::{decode, PublicKey};

use crate::auth::Role;
use crate::problem::Problem;
use crate::{answer, Ctx, ReadApi};

type Api = State<Arc<ReadApi>>;

/// Most entries of one page of a listing here.
pub const MAX_WORKFLOW_PAGE: usize = 200;
/// Most stored entries one request examines (filters may skip most of them); past it the page
/// ends early with `next` at the last entry examined.
pub const MAX_EXAMINED: usize = 10_000;

fn bad_query(e: QueryRejection) -> Response {
    Problem::bad_request("E_BAD_QUERY", e.body_text()).into_response()
}

fn key_param(s: &str) -> Result<PublicKey, Problem> {
    s.parse()
        .map_err(|_| Problem::bad_request("E_BAD_KEY", "a key is 64 hexadecimal characters"))
}

fn params(
    p: Result<Path<(String, String)>, PathRejection>,
) -> Result<(PublicKey, String), Problem> {
    let Path((k, r)) = p.map_err(|e| Problem::bad_request("E_BAD_PATH", e.body_text()))?;
    Ok((key_param(&k)?, r))
}

/// Regulators, or the party itself (one-stop status, R-B3).
fn regulator_or(ctx: &Ctx<'_>, party: &PublicKey, what: &str) -> Result<(), Problem> {
    match ctx.role {
        Role::Regulator(_) => Ok(()),
        _ if ctx.reader == Some(*party) => Ok(()),
        _ => Err(Problem::forbidden(format!(
            "{what} is read by regulators and by its enterprise (sign the read)"
        ))),
    }
}

fn regulator(ctx: &Ctx<'_>, what: &str) -> Result<(), Problem> {
    match ctx.role {
        Role::Regulator(_) => Ok(()),
        _ => Err(Problem::forbidden(format!("{what} is read by regulators"))),
    }
}

fn limit_of(l: Option<usize>) -> Result<usize, Problem> {
    match l.unwrap_or(50) {
        0 => Err(Problem::bad_request(
            "E_BAD_QUERY",
            format!("limit is 1..={MAX_WORKFLOW_PAGE}"),
        )),
        n if n > MAX_WORKFLOW_PAGE => Err(Problem::bad_request(
            "E_BAD_QUERY",
            format!("limit is 1..={MAX_WORKFLOW_PAGE}"),
        )),
        n => Ok(n),
    }
}

fn state_name(s: ParticipantState) -> &'static str {
    match s {
        ParticipantState::Pending => "pending",
        ParticipantState::Approved => "approved",
        ParticipantState::Suspended => "suspended",
        ParticipantState::Revoked => "revoked",
        ParticipantState::Rejected => "rejected",
    }
}

/// A participant as `role` may see it: the public sees an approved organisation's directory
/// entry; regulators and the participant itself see its state and the last decision.
fn participant_json(p: &Participant, full: bool) -> Value {
    let r = &p.registration;
    let mut v = json!({
        "key": p.key.to_hex(),
        "name": r.identity.public_name(),
        "category": r.category,
        "node_types": r.node_types,
        "country": r.country,
    });
    if full {
        v["state"] = json!(state_name(p.state));
        v["registered_height"] = json!(p.registered_height);
        v["identity_document"] = json!(r.identity_document.to_hex());
        v["last_decision"] = json!(p
            .last_decision
            .as_ref()
            .map(|(by, action, reason, h)| json!({
                "by": by.to_hex(), "action": action, "reason": reason, "height": h,
            })));
    }
    v
}

#[derive(Debug, Deserialize)]
pub(crate) struct ParticipantsQuery {
    state: Option<String>,
    country: Option<String>,
    after: Option<String>,
    limit: Option<usize>,
}

/// `GET /v1/participants`: the directory (R-A6); regulators list any state (`?state=pending`:
/// registrations awaiting a decision).
#[utoipa::path(
    get,
    path = "/v1/participants",
    tag = "workflows",
    summary = "The participant directory (R-A6); regulators list any state",
    params(
        ("state" = Option<String>, Query, description = "pending, approved (default), suspended, revoked, rejected, all"),
        ("country" = Option<String>, Query, description = "ISO 3166 country"),
        ("after" = Option<String>, Query, description = "cursor: the last key of the previous page"),
        ("limit" = Option<usize>, Query, description = "1..=200")
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
pub(crate) async fn participants(
    State(api): Api,
    q: Result<Query<ParticipantsQuery>, QueryRejection>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let Query(q) = match q {
        Ok(q) => q,
        Err(e) => return bad_query(e),
    };
    let limit = match limit_of(q.limit) {
        Ok(l) => l,
        Err(p) => return p.into_response(),
    };
    let wanted = match q.state.as_deref() {
        None => Some(ParticipantState::Approved),
        Some("all") => None,
        Some(s) => match ParticipantState::ALL.iter().find(|x| state_name(**x) == s) {
            Some(x) => Some(*x),
            None => {
                return Problem::bad_request(
                    "E_BAD_QUERY",
                    "state is pending, approved, suspended, revoked, rejected or all",
                )
                .into_response()
            }
        },
    };
    let after = match q.after.as_deref().map(key_param).transpose() {
        Ok(a) => a,
        Err(p) => return p.into_response(),
    };
    if q.country
        .as_deref()
        .is_some_and(|c| c.len() != 2 || !c.bytes().all(|b| b.is_ascii_uppercase()))
    {
        return Problem::bad_request(
            "E_BAD_QUERY",
            "country is an ISO 3166 alpha-2 code (CN, DE, …)",
        )
        .into_response();
    }
    let path = uri.path().to_string();
    answer(api, method, uri, headers, Bytes::new(), move |ctx| {
        let is_regulator = matches!(ctx.role, Role::Regulator(_));
        if wanted != Some(ParticipantState::Approved) && !is_regulator {
            return Err(Problem::forbidden(
                "only regulators list participants that are not approved",
            ));
        }
        let mut out = Vec::new();
        let mut cursor = after.map(|k| state_keys::participant(&k));
        let mut next = None;
        let mut examined = 0usize;
        let link = |after: &str| {
            format!(
                "{path}?after={after}&limit={limit}{}{}",
                q.state
                    .as_deref()
                    .map(|s| format!("&state={s}"))
                    .unwrap_or_default(),
                q.country
                    .as_deref()
                    .map(|c| format!("&country={c}"))
                    .unwrap_or_default()
            )
        };
        'scan: loop {
            let page = ctx.snap.scan(b"par/", cursor.as_deref(), 256);
            let n = page.len();
            for (k, v) in page {
                if examined == MAX_EXAMINED {
                    // Resume after the last entry examined (its key is the participant's).
                    if let Some(last) = cursor
                        .as_deref()
                        .and_then(|c| c.get(c.len().saturating_sub(32)..))
                    {
                        next = Some(link(&hex::encode(last)));
                    }
                    break 'scan;
                }
                examined += 1;
                cursor = Some(k.clone());
                let Ok(p) = decode::<Participant>(&v, 1 << 20) else {
                    continue;
                };
                if wanted.is_some_and(|w| w != p.state) {
                    continue;
                }
                if q.country
                    .as_deref()
                    .is_some_and(|c| c != p.registration.country)
                {
                    continue;
                }
                // Natural persons are not listed in the public directory (R-A5).
                if !is_regulator && p.registration.identity.public_name().is_none() {
                    continue;
                }
                if out.len() == limit {
                    next = Some(link(&out_last(&out)));
                    break 'scan;
                }
                out.push(participant_json(&p, is_regulator));
            }
            if n < 256 {
                break;
            }
        }
        Ok(json!({ "participants": out, "next": next }))
    })
    .await
}

fn out_last(out: &[Value]) -> String {
    out.last()
        .and_then(|v| v["key"].as_str())
        .unwrap_or_default()
        .to_string()
}

/// `GET /v1/participants/{key}`.
#[utoipa::path(
    get,
    path = "/v1/participants/{key}",
    tag = "workflows",
    summary = "One participant",
    params(
        ("key" = String, Path, description = "the participant's key, hex")
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
pub(crate) async fn participant(
    State(api): Api,
    key: Result<Path<String>, PathRejection>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let key = match key
        .map_err(|e| Problem::bad_request("E_BAD_PATH", e.body_text()))
        .and_then(|Path(k)| key_param(&k))
    {
        Ok(k) => k,
        Err(p) => return p.into_response(),
    };
    answer(api, method, uri, headers, Bytes::new(), move |ctx| {
        let p = registry::load(&ctx.snap, &key).ok_or_else(|| {
            Problem::not_found("E_UNKNOWN_PARTICIPANT", "no participant has this key")
        })?;
        let full = matches!(ctx.role, Role::Regulator(_)) || ctx.reader == Some(key);
        if !full
            && (p.state != ParticipantState::Approved
                || p.registration.identity.public_name().is_none())
        {
            return Err(Problem::not_found(
                "E_UNKNOWN_PARTICIPANT",
                "no participant has this key",
            ));
        }
        Ok(json!({ "participant": participant_json(&p, full) }))
    })
    .await
}

fn decisions_json(
    departments: &[Agency],
    decisions: &std::collections::BTreeMap<Agency, Decision>,
) -> Value {
    json!({
        "departments": departments,
        "decisions": decisions.iter().map(|(a, d)| json!({
            "department": a,
            "verdict": d.verdict,
            "reason": d.reason,
            "by": d.by.to_hex(),
            "height": d.height,
            "timestamp_ms": d.timestamp_ms,
            "record_id": d.tx_id.to_hex(),
        })).collect::<Vec<_>>(),
        "awaiting": cbeac::awaiting(departments, decisions),
    })
}

fn status_name(s: ApprovalStatus) -> &'static str {
    match s {
        ApprovalStatus::Pending => "pending",
        ApprovalStatus::Approved => "approved",
        ApprovalStatus::Rejected => "rejected",
    }
}

/// An endpoint about one party's item, `GET {path}` with `{party}/{reference}`: the path is
/// parsed (a bad key is a 400) and the OpenAPI entry written with the answers every such
/// endpoint may give; `$body` decides who may read it.
macro_rules! keyed_endpoint {
    (
        $path:literal, $summary:literal, $party:literal, $party_doc:literal, $ref_doc:literal,
        $name:ident, |$ctx:ident, $key:ident, $reference:ident| $body:block
    ) => {
        #[utoipa::path(
            get,
            path = $path,
            tag = "workflows",
            summary = $summary,
            params(
                ($party = String, Path, description = $party_doc),
                ("reference" = String, Path, description = $ref_doc)
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
            p: Result<Path<(String, String)>, PathRejection>,
            method: Method,
            uri: Uri,
            headers: HeaderMap,
        ) -> Response {
            let ($key, $reference) = match params(p) {
                Ok(v) => v,
                Err(p) => return p.into_response(),
            };
            answer(api, method, uri, headers, Bytes::new(), move |$ctx| $body).await
        }
    };
}

// `GET /v1/filings/{enterprise}/{ref}` (R-B2).
keyed_endpoint!(
    "/v1/filings/{enterprise}/{reference}",
    "A filing with each department's decision (R-B2)",
    "enterprise",
    "the enterprise's key",
    "the filing reference",
    filing,
    |ctx, ent, r| {
        regulator_or(ctx, &ent, "a filing")?;
        let f = cbeac::filing_status(&ctx.snap, &ent, &r).ok_or_else(|| {
            Problem::not_found("E_UNKNOWN_FILING", "no such filing of this enterprise")
        })?;
        let mut v = decisions_json(&f.departments, &f.decisions);
        v["enterprise"] = json!(ent.to_hex());
        v["filing_ref"] = json!(r);
        v["status"] = json!(status_name(f.status));
        v["document"] = json!(f.document.to_hex());
        v["height"] = json!(f.height);
        v["record_id"] = json!(f.tx_id.to_hex());
        v["valid_until_ms"] = json!(f.valid_until_ms);
        Ok(v)
    }
);

// `GET /v1/declarations/{enterprise}/{ref}` (R-B3).
keyed_endpoint!(
    "/v1/declarations/{enterprise}/{reference}",
    "An export declaration with each department's decision (R-B3)",
    "enterprise",
    "the enterprise's key",
    "the declaration reference",
    declaration,
    |ctx, ent, r| {
        regulator_or(ctx, &ent, "an export declaration")?;
        let d = cbeac::declaration_status(&ctx.snap, &ent, &r).ok_or_else(|| {
            Problem::not_found(
                "E_UNKNOWN_DECLARATION",
                "no such declaration of this enterprise",
            )
        })?;
        let mut v = decisions_json(&d.departments, &d.decisions);
        v["enterprise"] = json!(ent.to_hex());
        v["declaration_ref"] = json!(r);
        v["status"] = json!(status_name(d.status));
        v["units"] = json!(d
            .trace_codes
            .iter()
            .filter_map(|c| tracechain_contracts::trace_codes::NormalisedCode::new("code", c).ok())
            .map(|n| n.as_str().to_string())
            .collect::<Vec<_>>());
        v["linked"] = json!(d
            .linked
            .iter()
            .map(|l| json!({"reference": l.reference, "category": l.category}))
            .collect::<Vec<_>>());
        v["height"] = json!(d.height);
        v["record_id"] = json!(d.tx_id.to_hex());
        Ok(v)
    }
);

// `GET /v1/orders/{owner}/{ref}/closed-loop` (R-Q2): order, payment, logistics and
// declaration agree, or why not.
keyed_endpoint!(
    "/v1/orders/{owner}/{reference}/closed-loop",
    "The closed-loop status of an order (R-Q2)",
    "owner",
    "the key that recorded the order",
    "the order reference",
    closed_loop_status,
    |ctx, owner, r| {
        regulator_or(ctx, &owner, "an order's closed-loop status")?;
        let params: ChainParams = ctx
            .snap
            .get(tracechain_contracts::genesis::PARAMS_KEY)
            .and_then(|b| decode(&b, 1 << 20).ok())
            .unwrap_or_default();
        let s = closed_loop::order_status(&ctx.snap, &params, &owner, &r);
        Ok(json!({
            "owner": owner.to_hex(),
            "order_ref": r,
            "verdict": match s.verdict { LoopVerdict::Matched => "matched", LoopVerdict::Mismatched => "mismatched", LoopVerdict::Incomplete => "incomplete" },
            "reasons": s.reasons,
            "missing": s.missing,
            "order": s.order_tx.map(|h| h.to_hex()),
            "receipt": s.receipt_tx.map(|h| h.to_hex()),
            "logistics": s.logistics_txs.iter().map(|h| h.to_hex()).collect::<Vec<_>>(),
            "declarations": s.declaration_txs.iter().map(|h| h.to_hex()).collect::<Vec<_>>(),
            "truncated": s.truncated,
        }))
    }
);

// `GET /v1/feedback/{author}/{ref}` (R-S7): its author, regulators and the unit's providers.
keyed_endpoint!(
    "/v1/feedback/{author}/{reference}",
    "Feedback and its answers (R-S7)",
    "author",
    "the author's key",
    "the feedback reference",
    feedback_item,
    |ctx, author, r| {
        // Whether it exists is told only to those who may read it: 404 either way.
        let none = || {
            Problem::not_found(
                "E_UNKNOWN_FEEDBACK",
                "no such feedback, or not yours to read",
            )
        };
        let f = feedback::load(&ctx.snap, &author, &r).ok_or_else(none)?;
        // Its author, regulators, the platform operator and the unit's trace-service
        // providers (its or its batch's registrant or providers), as the contract decides
        // who may answer it (R-S7).
        let provider = ctx.reader.is_some_and(|k| {
            let operator = registry::load(&ctx.snap, &k).is_some_and(|p| {
                p.state == ParticipantState::Approved
                    && matches!(
                        p.registration.category,
                        tracechain_types::records::ParticipantCategory::PlatformOperator
                    )
            });
            operator
                || tracechain_contracts::trace_codes::NormalisedCode::new("code", &f.code)
                    .ok()
                    .is_some_and(|n| {
                        tracechain_contracts::query::self_and_batch(&ctx.snap, &n)
                            .iter()
                            .any(|c| {
                                ctx.snap.get(&state_keys::unit_provider(c, &k)).is_some()
                                    || tracechain_contracts::trace::load(&ctx.snap, c)
                                        .is_some_and(|u| u.registrant == k)
                            })
                    })
        });
        let allowed =
            matches!(ctx.role, Role::Regulator(_)) || ctx.reader == Some(author) || provider;
        if !allowed {
            return Err(none());
        }
        Ok(json!({
            "author": author.to_hex(),
            "feedback_ref": r,
            "unit": tracechain_contracts::trace_codes::NormalisedCode::new("code", &f.code).map(|n| n.as_str().to_string()).ok(),
            "text": f.text,
            "height": f.height,
            "answers": f.answers.iter().map(|a| json!({"provider": a.provider.to_hex(), "text": a.text, "height": a.height})).collect::<Vec<_>>(),
        }))
    }
);

#[derive(Debug, Deserialize)]
pub(crate) struct QueueQuery {
    department: Option<String>,
    after: Option<String>,
    limit: Option<usize>,
}

/// `GET /v1/queues/{filings|declarations|prefixes}`: what awaits a decision (regulators);
/// `?department=customs` keeps what awaits that department.
#[utoipa::path(
    get,
    path = "/v1/queues/{kind}",
    tag = "workflows",
    summary = "What awaits a regulator's decision: filings, declarations, prefixes",
    params(
        ("kind" = String, Path, description = "filings, declarations or prefixes"),
        ("department" = Option<String>, Query, description = "keep what awaits this department"),
        ("after" = Option<String>, Query, description = "cursor"),
        ("limit" = Option<usize>, Query, description = "1..=200")
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
pub(crate) async fn queue(
    State(api): Api,
    kind: Result<Path<String>, PathRejection>,
    q: Result<Query<QueueQuery>, QueryRejection>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let Query(q) = match q {
        Ok(q) => q,
        Err(e) => return bad_query(e),
    };
    let kind = match kind {
        Ok(Path(k)) if ["filings", "declarations", "prefixes"].contains(&k.as_str()) => k,
        _ => {
            return Problem::not_found(
                "E_NOT_FOUND",
                "queues are filings, declarations and prefixes",
            )
            .into_response()
        }
    };
    let limit = match limit_of(q.limit) {
        Ok(l) => l,
        Err(p) => return p.into_response(),
    };
    let department: Option<Agency> = match q.department.as_deref() {
        None => None,
        Some(d) => match serde_json::from_value(json!(d)) {
            Ok(a) => Some(a),
            Err(_) => {
                return Problem::bad_request("E_BAD_QUERY", format!("unknown department {d:?}"))
                    .into_response()
            }
        },
    };
    if kind == "prefixes" && department.is_some() {
        return Problem::bad_request(
            "E_BAD_QUERY",
            "prefix claims are not decided by a department",
        )
        .into_response();
    }
    let after = match q.after.as_deref().map(hex::decode).transpose() {
        Ok(a) => a,
        Err(_) => {
            return Problem::bad_request("E_BAD_CURSOR", "the cursor is not one this API gave")
                .into_response()
        }
    };
    let path = uri.path().to_string();
    answer(api, method, uri, headers, Bytes::new(), move |ctx| {
        regulator(ctx, "a decision queue")?;
        let prefix: &[u8] = match kind.as_str() {
            "filings" => b"fil/",
            "declarations" => b"exd/",
            _ => b"gcp/",
        };
        let mut items = Vec::new();
        let mut cursor = after.filter(|a| a.starts_with(prefix));
        let mut next = None;
        let mut examined = 0usize;
        let dep = department
            .and_then(|d| serde_json::to_value(d).ok())
            .and_then(|v| v.as_str().map(str::to_string));
        let link = |after: &[u8]| {
            format!(
                "{path}?after={}&limit={limit}{}",
                hex::encode(after),
                dep.as_deref().map(|d| format!("&department={d}")).unwrap_or_default()
            )
        };
        'scan: loop {
            let page = ctx.snap.scan(prefix, cursor.as_deref(), 256);
            let n = page.len();
            for (k, v) in page {
                if examined == MAX_EXAMINED {
                    next = cursor.as_deref().map(link);
                    break 'scan;
                }
                examined += 1;
                cursor = Some(k.clone());
                let parts = state_keys::parts_after(&k, prefix).unwrap_or_default();
                let item = match kind.as_str() {
                    "prefixes" => {
                        let Ok(c) = decode::<prefixes::PrefixClaimState>(&v, 1 << 20) else { continue };
                        if c.state != prefixes::ClaimState::Pending || department.is_some() {
                            continue;
                        }
                        json!({
                            "prefix": parts.first().map(|p| String::from_utf8_lossy(p).into_owned()),
                            "claimant": parts.get(1).filter(|p| p.len() == 32).map(hex::encode),
                            "evidence": c.evidence.to_hex(),
                            "height": c.height,
                        })
                    }
                    _ => {
                        let (deps, decs, status, height, tx) = if kind == "filings" {
                            let Ok(f) = decode::<cbeac::FilingState>(&v, 1 << 20) else { continue };
                            (f.departments, f.decisions, f.status, f.height, f.tx_id)
                        } else {
                            let Ok(d) = decode::<cbeac::DeclarationState>(&v, 1 << 20) else { continue };
                            (d.departments, d.decisions, d.status, d.height, d.tx_id)
                        };
                        let awaiting = cbeac::awaiting(&deps, &decs);
                        if status != ApprovalStatus::Pending
                            || department.is_some_and(|d| !awaiting.contains(&d))
                        {
                            continue;
                        }
                        json!({
                            "enterprise": parts.first().filter(|p| p.len() == 32).map(hex::encode),
                            "reference": parts.get(1).map(|p| String::from_utf8_lossy(p).into_owned()),
                            "awaiting": awaiting,
                            "height": height,
                            "record_id": tx.to_hex(),
                        })
                    }
                };
                if items.len() == limit {
                    next = items.last().map(|(k, _): &(Vec<u8>, Value)| link(k));
                    break 'scan;
                }
                items.push((k.clone(), item));
            }
            if n < 256 {
                break;
            }
        }
        Ok(json!({
            "queue": kind,
            "items": items.into_iter().map(|(_, v)| v).collect::<Vec<_>>(),
            "next": next,
        }))
    })
    .await
}
