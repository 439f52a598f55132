//! Anchored EPCIS events (`EpcisRecord::EpcisEvent`, ADR 0033): what an EPCIS 2.0 event says that
//! no other record kind carries is kept as an opaque, hashed event linked to its trace codes.
//!
//! Rules, in order:
//! 1. R-X1 — fields well formed: `prehash` non-empty, at most `MAX_EPCIS_PREHASH_BYTES`,
//!    starting with `eventType={event_type}`; `SHA-256(prehash) == event_hash` (the CBV 2.0
//!    hash id is recomputed without parsing JSON-LD); `biz_step` and the error reason within
//!    their byte limits, no control characters; at most `MAX_EPCIS_TRACE_CODES` codes.
//!    Every problem is named (`E_MALFORMED_ITEM`, `E_LIMIT_EXCEEDED` for the limits).
//! 2. R-X4 — every trace code is a registered trace unit, none repeated
//!    (`E_UNKNOWN_TRACE_UNIT`). An event naming no batch- or item-level code (only SSCCs,
//!    locations, assets) is still anchored, found by its hash id.
//! 3. R-S1 — one event hash id is anchored once (`E_ALREADY_EXISTS`); its error declaration
//!    (which has the same hash id: CBV 2.0 does not hash `errorDeclaration`) is anchored
//!    once too, under its own key.
//!
//! State: `epe/{event hash}` (or `epx/{event hash}` for an error declaration) →
//! [`EpcisAnchor`]; the record envelope under `rec/{tx id}`; index `tur/{code}/EPCIS/…` per
//! trace unit, so a unit's story lists its EPCIS events.

use borsh::{BorshDeserialize, BorshSerialize};
use tracechain_types::records::epcis::{
    EpcisCapture, EpcisEventRecord, MAX_EPCIS_BIZ_STEP_BYTES, MAX_EPCIS_CAPTURE_EVENTS,
    MAX_EPCIS_PREHASH_BYTES, MAX_EPCIS_REASON_BYTES, MAX_EPCIS_TRACE_CODES,
};
use tracechain_types::{Hash, PublicKey};

use crate::context::TxEnv;
use crate::error::{ContractError, ErrorCode, Problem};
use crate::index_tags::IndexTag;
use crate::rules::Rule;
use crate::state::{decode_stored, StateView};
use crate::state_keys;
use crate::trace;
use crate::validate::FieldChecker;

/// Where an anchored event (or its error declaration) is recorded.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct EpcisAnchor {
    /// The transaction that anchored it (its record is under `rec/{tx id}`).
    pub tx_id: Hash,
    /// Who anchored it.
    pub signer: PublicKey,
    /// Block height.
    pub height: u64,
}

/// `epe/{event hash}`: the anchored event.
pub fn event_key(event_hash: &Hash) -> Vec<u8> {
    state_keys::key("epe/", &[&event_hash.0])
}

/// `epx/{event hash}`: the anchored error declaration of that event.
pub fn error_declaration_key(event_hash: &Hash) -> Vec<u8> {
    state_keys::key("epx/", &[&event_hash.0])
}

/// The anchor of an event hash, when anchored.
pub fn load(state: &dyn StateView, event_hash: &Hash) -> Option<EpcisAnchor> {
    let k = event_key(event_hash);
    state.get_ref(&k).map(|b| decode_stored(&k, &b))
}

fn short_iri(c: &mut FieldChecker, field: &str, v: Option<&str>, max: usize) -> bool {
    let Some(s) = v else { return true };
    if s.len() > max {
        c.push(field, Problem::TooLong { max });
        return false;
    }
    if s.is_empty() || s.chars().any(|ch| ch.is_control() || ch.is_whitespace()) {
        c.push(
            field,
            Problem::Malformed("an IRI: non-empty, no spaces or control characters".into()),
        );
        return false;
    }
    true
}

/// R-X1 field checks (event and declaration times not before the epoch nor later than
/// `latest_ms`); limit overruns are reported with `E_LIMIT_EXCEEDED`.
fn check_fields(r: &EpcisEventRecord, latest_ms: i64) -> Result<(), ContractError> {
    let mut c = FieldChecker::at(latest_ms);
    c.event_time_ms(|| "event_time_ms".into(), r.event_time_ms);
    if let Some(d) = &r.error_declaration {
        c.event_time_ms(
            || "error_declaration.declaration_time_ms".into(),
            d.declaration_time_ms,
        );
    }
    let mut over_limit = false;
    if r.prehash.len() > MAX_EPCIS_PREHASH_BYTES {
        c.push(
            "prehash",
            Problem::TooLong {
                max: MAX_EPCIS_PREHASH_BYTES,
            },
        );
        over_limit = true;
    } else if r.prehash.is_empty() {
        c.push("prehash", Problem::Missing);
    } else {
        let head = format!("eventType={}", r.event_type.as_str());
        if !r.prehash.starts_with(&head) {
            c.push(
                "prehash",
                Problem::Malformed(format!(
                    "a CBV 2.0 pre-hash of this event starts with {head}"
                )),
            );
        }
        if Hash::digest(r.prehash.as_bytes()) != r.event_hash {
            c.push(
                "event_hash",
                Problem::Malformed(format!(
                    "SHA-256 of the pre-hash is {}, not {}",
                    EpcisEventRecord::hash_id_of(&Hash::digest(r.prehash.as_bytes())),
                    r.hash_id()
                )),
            );
        }
    }
    if r.biz_step
        .as_deref()
        .is_some_and(|s| s.len() > MAX_EPCIS_BIZ_STEP_BYTES)
    {
        over_limit = true;
    }
    short_iri(
        &mut c,
        "biz_step",
        r.biz_step.as_deref(),
        MAX_EPCIS_BIZ_STEP_BYTES,
    );
    if let Some(d) = &r.error_declaration {
        if d.reason
            .as_deref()
            .is_some_and(|s| s.len() > MAX_EPCIS_REASON_BYTES)
        {
            over_limit = true;
        }
        short_iri(
            &mut c,
            "error_declaration.reason",
            d.reason.as_deref(),
            MAX_EPCIS_REASON_BYTES,
        );
    }
    if !c.list("trace_codes", &r.trace_codes, 0, MAX_EPCIS_TRACE_CODES) {
        over_limit = true;
    }
    if over_limit {
        return Err(ContractError {
            rule: Rule::RX1,
            code: ErrorCode::LimitExceeded,
            problems: c.problems,
        });
    }
    c.finish(Rule::RX1)
}

/// Domain of the derived record ids of a capture's events.
pub const CAPTURE_RECORD_DOMAIN: &[u8] = b"tracechain/epcis-capture-record/v1";

/// The derived record id of event `i` of an EPCIS capture.
pub fn capture_record_id(tx_id: &Hash, i: u32) -> Hash {
    Hash::tagged(CAPTURE_RECORD_DOMAIN, &[&tx_id.0, &i.to_be_bytes()])
}

/// Execute `EpcisRecord::EpcisCapture` (ADR 0081): 1..=[`MAX_EPCIS_CAPTURE_EVENTS`] events,
/// each executed as an [`anchor`] of its own under its derived id ([`capture_record_id`]), in
/// document order, so a later event sees the earlier ones (an event captured twice in one
/// capture is a duplicate; an error declaration may retract an event captured before it).
/// All or nothing: the first refused event refuses the capture, its problems named
/// `events[i].field`.
pub(crate) fn capture(env: &mut TxEnv<'_>, r: &EpcisCapture) -> Result<(), ContractError> {
    if r.events.len() > MAX_EPCIS_CAPTURE_EVENTS {
        return Err(ContractError::one(
            Rule::RX1,
            ErrorCode::LimitExceeded,
            "events",
            Problem::TooLong {
                max: MAX_EPCIS_CAPTURE_EVENTS,
            },
        ));
    }
    let mut c = FieldChecker::new();
    c.list("events", &r.events, 1, MAX_EPCIS_CAPTURE_EVENTS);
    if r.originals.len() != r.events.len() {
        c.push(
            "originals",
            Problem::Malformed(format!(
                "one SHA-256 per event: {} for {} events",
                r.originals.len(),
                r.events.len()
            )),
        );
    }
    c.finish(Rule::RX1)?;
    let capture_tx = env.tx_id;
    let mut result = Ok(());
    for (i, event) in r.events.iter().enumerate() {
        let index = u32::try_from(i).unwrap_or(u32::MAX);
        env.tx_id = capture_record_id(&capture_tx, index);
        if let Err(mut e) = anchor_as(env, event, Some((capture_tx, index))) {
            for p in &mut e.problems {
                p.field = format!("events[{i}].{}", p.field);
            }
            result = Err(e);
            break;
        }
    }
    env.tx_id = capture_tx;
    // The capture itself is not stored: the block keeps it, its events are the records, each
    // naming it (`RecordSource::EpcisCapture`).
    result
}

/// Execute `EpcisRecord::EpcisEvent`: check fields (R-X1), trace units (R-X4) and the
/// anchor-once rule (R-S1), then store and index the record.
pub(crate) fn anchor(env: &mut TxEnv<'_>, r: &EpcisEventRecord) -> Result<(), ContractError> {
    anchor_as(env, r, None)
}

/// [`anchor`], storing the record as the transaction's payload (`item` none) or as event
/// `index` of the capture `capture_tx`.
fn anchor_as(
    env: &mut TxEnv<'_>,
    r: &EpcisEventRecord,
    item: Option<(Hash, u32)>,
) -> Result<(), ContractError> {
    check_fields(r, env.ctx.latest_record_time_ms())?;
    let mut codes_check = FieldChecker::new();
    let units = if r.trace_codes.is_empty() {
        Vec::new()
    } else {
        trace::check_record_codes(&env.state, &mut codes_check, "trace_codes", &r.trace_codes)
    };
    trace::finish_codes(codes_check)?;
    let (key, what) = match r.error_declaration {
        None => (event_key(&r.event_hash), "event"),
        Some(_) => (
            error_declaration_key(&r.event_hash),
            "error declaration of event",
        ),
    };
    if r.error_declaration.is_some() {
        // ADR 0044: only the event's capturer (or a regulator, supervising) retracts it; an
        // error declaration of an event that is not anchored retracts nothing.
        let regulator = env.participant.as_ref().is_some_and(|p| {
            matches!(
                p.registration.category,
                tracechain_types::records::ParticipantCategory::Regulator(_)
            )
        });
        match env
            .state
            .get_value::<EpcisAnchor>(&event_key(&r.event_hash))
        {
            Some(ev) if ev.signer == env.signer || regulator => {}
            Some(_) => {
                return Err(ContractError::one(
                    Rule::RS1,
                    ErrorCode::NotOwner,
                    "error_declaration",
                    Problem::NotAllowed(format!(
                        "event {} was captured by another participant: only its capturer \
                         declares it in error",
                        r.hash_id()
                    )),
                ))
            }
            None => {
                return Err(ContractError::one(
                    Rule::RS1,
                    ErrorCode::NotFound,
                    "event_hash",
                    Problem::NotFound(format!("event {} is not anchored", r.hash_id())),
                ))
            }
        }
    }
    if let Some(prev) = env.state.get_value::<EpcisAnchor>(&key) {
        return Err(ContractError::one(
            Rule::RS1,
            ErrorCode::AlreadyExists,
            "event_hash",
            Problem::Duplicate(format!(
                "{what} {} is anchored already (height {})",
                r.hash_id(),
                prev.height
            )),
        ));
    }
    let anchor = EpcisAnchor {
        tx_id: env.tx_id,
        signer: env.signer,
        height: env.ctx.height,
    };
    env.state.put_value(key, &anchor);
    let codes: Vec<_> = units.into_iter().map(|(n, _)| n).collect();
    match item {
        None => env.store_record(IndexTag::Epcis, &codes),
        Some((capture_tx, index)) => {
            env.store_capture_item(r, capture_tx, index, IndexTag::Epcis, &codes)
        }
    }
    Ok(())
}
