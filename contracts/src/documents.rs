//! Document evidence (R-S1): the hash of a compliance document (registration, sanitary
//! certificate, certificate of origin, test report, …) is anchored by its issuer with type,
//! validity period and the trace units it covers; the issuer may revoke it; anyone holding
//! the document verifies it in one call ([`verify`]).
//!
//! Key layout: `doc/{hash}` → [`AnchoredDocument`]; `doc/u/{code}/{hash}` → `()` (documents
//! of a unit). One anchor per hash: the same document cannot be anchored twice (by anyone),
//! so "who anchored it" has one answer.

use borsh::{BorshDeserialize, BorshSerialize};
use tracechain_types::records::{DocumentAnchor, DocumentRevocation, DocumentType, TraceCode};
use tracechain_types::{Hash, Payload, PublicKey};

use crate::codes::NormalisedCode;
use crate::error::{ContractError, ErrorCode, Problem};
use crate::exec::TxEnv;
use crate::keys;
use crate::query::tags;
use crate::registry;
use crate::state::{decode_stored, StateView};
use crate::trace::check_record_codes;
use crate::validate::{parse_date_or_time, Checker};

/// Most documents listed for one unit.
pub const MAX_DOCUMENTS_PER_UNIT: usize = 1000;

/// A revocation (R-S1).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Revocation {
    /// Why.
    pub reason: String,
    /// Height.
    pub height: u64,
    /// Block time (Unix ms).
    pub timestamp_ms: u64,
    /// The revoking transaction.
    pub tx_id: Hash,
}

/// An anchored document (`doc/{hash}`).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct AnchoredDocument {
    /// SHA-256 of the document bytes.
    pub document_hash: Hash,
    /// Who anchored it (its issuer).
    pub issuer: PublicKey,
    /// Its type.
    pub document_type: DocumentType,
    /// Valid from (Unix ms).
    pub valid_from_ms: i64,
    /// Valid until (Unix ms), when it expires.
    pub valid_until_ms: Option<i64>,
    /// Units it covers (normalised codes).
    pub trace_codes: Vec<TraceCode>,
    /// Anchoring height.
    pub height: u64,
    /// Anchoring block time (Unix ms).
    pub timestamp_ms: u64,
    /// Anchoring transaction.
    pub tx_id: Hash,
    /// Revocation, once revoked.
    pub revoked: Option<Revocation>,
}

/// `doc/{hash}`.
pub fn document_key(h: &Hash) -> Vec<u8> {
    keys::key("doc/", &[&h.0])
}

fn unit_document_key(code: &NormalisedCode, h: &Hash) -> Vec<u8> {
    keys::key("doc/u/", &[code.as_bytes(), &h.0])
}

/// The anchored document of a hash.
pub fn load(state: &dyn StateView, h: &Hash) -> Option<AnchoredDocument> {
    let k = document_key(h);
    state.get_ref(&k).map(|b| decode_stored(&k, &b))
}

/// DocumentAnchor (R-S1): any approved participant anchors a document it issued. The hash
/// must not be zero nor anchored already; `valid_from` / `valid_until` are RFC 3339 dates or
/// date-times with `valid_until > valid_from`; covered units (0..=64) must be registered.
pub fn anchor(env: &mut TxEnv<'_>, r: &DocumentAnchor) -> Result<(), ContractError> {
    let mut c = Checker::new();
    if r.document_hash == Hash::ZERO {
        c.push("document_hash", Problem::Missing);
    }
    let from = date(&mut c, "valid_from", &r.valid_from);
    let until = r
        .valid_until
        .as_ref()
        .and_then(|u| date(&mut c, "valid_until", u));
    if let (Some(f), Some(u)) = (from, until) {
        if u <= f {
            c.push(
                "valid_until",
                Problem::OutOfRange("valid_until must be after valid_from".into()),
            );
        }
    }
    let units = if r.trace_codes.is_empty() {
        Vec::new()
    } else {
        check_record_codes(&env.state, &mut c, "trace_codes", &r.trace_codes)
    };
    c.finish("R-S1")?;
    let Some(valid_from_ms) = from else {
        return Err(ContractError::one(
            "R-S1",
            ErrorCode::MalformedItem,
            "valid_from",
            Problem::Missing,
        ));
    };
    if let Some(existing) = load(&env.state, &r.document_hash) {
        return Err(ContractError::one(
            "R-S1",
            ErrorCode::AlreadyExists,
            "document_hash",
            Problem::Duplicate(format!(
                "anchored at height {} by {}",
                existing.height,
                existing.issuer.short()
            )),
        ));
    }
    let codes: Vec<NormalisedCode> = units.into_iter().map(|(n, _)| n).collect();
    let doc = AnchoredDocument {
        document_hash: r.document_hash,
        issuer: env.signer,
        document_type: r.document_type,
        valid_from_ms,
        valid_until_ms: until,
        trace_codes: codes.iter().map(|n| n.code().clone()).collect(),
        height: env.ctx.height,
        timestamp_ms: env.ctx.timestamp_ms,
        tx_id: env.tx_id,
        revoked: None,
    };
    env.state.put_value(document_key(&r.document_hash), &doc);
    for n in &codes {
        env.state
            .put_value(unit_document_key(n, &r.document_hash), &());
    }
    env.store_record(
        &Payload::DocumentAnchor(r.clone()),
        tags::DOCUMENT,
        &codes,
        false,
    );
    Ok(())
}

fn date(c: &mut Checker, field: &str, s: &str) -> Option<i64> {
    match parse_date_or_time(s) {
        Ok(t) => Some(t),
        Err(e) => {
            c.push(
                field,
                if s.is_empty() {
                    Problem::Missing
                } else {
                    Problem::Malformed(format!("not an RFC 3339 date: {e}"))
                },
            );
            None
        }
    }
}

/// DocumentRevocation (R-S1): only the issuer revokes, once, with a reason.
pub fn revoke(env: &mut TxEnv<'_>, r: &DocumentRevocation) -> Result<(), ContractError> {
    let mut c = Checker::new();
    c.text_value("reason", &r.reason, true);
    c.finish("R-S1")?;
    let Some(mut doc) = load(&env.state, &r.document_hash) else {
        return Err(ContractError::one(
            "R-S1",
            ErrorCode::NotFound,
            "document_hash",
            Problem::NotFound("no document anchored under this hash".into()),
        ));
    };
    if doc.issuer != env.signer {
        return Err(ContractError::one(
            "R-S1",
            ErrorCode::NotOwner,
            "document_hash",
            Problem::NotAllowed("only the issuer revokes its document".into()),
        ));
    }
    if doc.revoked.is_some() {
        return Err(ContractError::one(
            "R-S1",
            ErrorCode::RevokedOrExpired,
            "document_hash",
            Problem::NotAllowed("already revoked".into()),
        ));
    }
    doc.revoked = Some(Revocation {
        reason: r.reason.clone(),
        height: env.ctx.height,
        timestamp_ms: env.ctx.timestamp_ms,
        tx_id: env.tx_id,
    });
    let codes: Vec<NormalisedCode> = doc
        .trace_codes
        .iter()
        .filter_map(|c| NormalisedCode::new("code", c).ok())
        .collect();
    env.state.put_value(document_key(&r.document_hash), &doc);
    env.store_record(
        &Payload::DocumentRevocation(r.clone()),
        tags::DOCUMENT,
        &codes,
        false,
    );
    Ok(())
}

// ------------------------------------------------------------------------------ read side

/// The answer of a one-call verification (R-S1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocumentVerification {
    /// The hash asked about.
    pub document_hash: Hash,
    /// The anchor, when the hash is anchored.
    pub anchor: Option<AnchoredDocument>,
    /// The issuer's registered legal name, when known and the issuer is an organisation (a
    /// natural person's name is never on chain, ADR 0024).
    pub issuer_name: Option<String>,
    /// Digital Link forms of the covered units.
    pub covered_units: Vec<String>,
    /// Revoked (at or before the time judged at).
    pub revoked: bool,
    /// Expired at the time judged at.
    pub expired: bool,
    /// Not yet valid at the time judged at.
    pub not_yet_valid: bool,
    /// Anchored, not revoked, within its validity period: the document may be relied on.
    pub valid: bool,
}

/// Verify a document by its hash at time `at_ms` (Unix ms, given by the caller: the contracts
/// have no clock; the API passes the latest block time or the time asked about).
pub fn verify(state: &dyn StateView, document_hash: &Hash, at_ms: i64) -> DocumentVerification {
    let anchor = load(state, document_hash);
    let Some(doc) = anchor else {
        return DocumentVerification {
            document_hash: *document_hash,
            anchor: None,
            issuer_name: None,
            covered_units: Vec::new(),
            revoked: false,
            expired: false,
            not_yet_valid: false,
            valid: false,
        };
    };
    let revoked = doc
        .revoked
        .as_ref()
        .is_some_and(|r| i64::try_from(r.timestamp_ms).unwrap_or(i64::MAX) <= at_ms);
    let expired = doc.valid_until_ms.is_some_and(|u| at_ms >= u);
    let not_yet_valid = at_ms < doc.valid_from_ms;
    let issuer_name = registry::load(state, &doc.issuer)
        .and_then(|p| p.registration.identity.public_name().map(str::to_string));
    let covered_units = doc
        .trace_codes
        .iter()
        .filter_map(|c| NormalisedCode::new("code", c).ok())
        .map(|n| n.digital_link())
        .collect();
    DocumentVerification {
        document_hash: *document_hash,
        valid: !revoked && !expired && !not_yet_valid,
        anchor: Some(doc),
        issuer_name,
        covered_units,
        revoked,
        expired,
        not_yet_valid,
    }
}

/// Verify the bytes of a document (hashes them with SHA-256, then [`verify`]).
pub fn verify_bytes(state: &dyn StateView, document: &[u8], at_ms: i64) -> DocumentVerification {
    verify(state, &Hash::digest(document), at_ms)
}

/// Documents anchored for a unit, by hash order.
pub fn documents_of(state: &dyn StateView, code: &TraceCode) -> Vec<AnchoredDocument> {
    let Ok(n) = NormalisedCode::new("code", code) else {
        return Vec::new();
    };
    let prefix = keys::prefix("doc/u/", &[n.as_bytes()]);
    state
        .scan(&prefix, None, MAX_DOCUMENTS_PER_UNIT)
        .into_iter()
        .filter_map(|(k, _)| keys::last_part(&k))
        .filter_map(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
        .filter_map(|h| load(state, &Hash(h)))
        .collect()
}
