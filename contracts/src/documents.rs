//! Document evidence (R-S1): the hash of a compliance document (registration, sanitary
//! certificate, certificate of origin, test report, …) is anchored by its issuer with type,
//! validity period and the trace units it covers; the issuer may revoke it; anyone holding
//! the document verifies it in one call ([`verify`]).
//!
//! **Anchors are (hash, issuer) (ADR 0044).** Several participants may anchor one hash: a
//! holder of a laboratory's report cannot squat the hash, because the laboratory's own anchor
//! is a different one. Each document type names the issuers competent for it ([`competent`]);
//! verification lists the competent issuers' anchors first and says for each whether its
//! issuer was competent, and a document is relied on only through a competent, valid anchor.
//!
//! Key layout: `dca/{hash}/{issuer}` → [`AnchoredDocument`]; `dcc/{hash}/{issuer}` → `()` the
//! anchors of competent issuers, `dco/{hash}/{issuer}` → `()` the others, `dct/{hash}/{type}` →
//! `()` the hash anchored as that type by someone;
//! `dcuc/{code}/{hash}/{issuer}` → `()` the anchors of competent issuers covering a unit,
//! `dcu/{code}/{hash}/{issuer}` → `()` the other anchors covering it; `dcn/{code}` and
//! `dhn/{hash}` → [`AnchorCount`], how many anchors cover the unit / anchor the hash;
//! `dcp/{code}/{blind}` → [`CertificateFact`], what a consumer may know of an anchor covering
//! the unit, under a key that does not give the document's hash away
//! (`blind = H("tracechain/unit-certificate/v1", hash ‖ issuer ‖ code)`, ADR 0089): its state
//! proof can be in a public page without letting anyone ask the document check which other
//! units the certificate covers.
//!
//! **Listings cannot be censored (issue 9, R-S1).** Anyone may anchor a hash covering a
//! registered unit, so the anchors of a unit or of a hash are listed competent issuers' first
//! and paged through to the end ([`documents_of_page`], [`anchors_page`]), each answer with
//! the counts: a flood of anchors by others can neither push a competent issuer's document
//! out of the answer nor shorten the listing silently.

use borsh::{BorshDeserialize, BorshSerialize};
use tracechain_types::records::{
    Agency, DocumentAnchor, DocumentRevocation, DocumentType, Identity, ParticipantCategory,
    TraceCode,
};
use tracechain_types::{Hash, PublicKey};

use crate::context::TxEnv;
use crate::error::{ContractError, ErrorCode, Problem};
use crate::index_tags::IndexTag;
use crate::registry;
use crate::rules::Rule;
use crate::state::{decode_stored, scan_page, StateView};
use crate::state_keys;
use crate::trace::check_record_codes;
use crate::trace_codes::NormalisedCode;
use crate::validate::{parse_date_or_time, FieldChecker};

/// Most documents listed for one unit in one page (competent issuers' first).
pub const MAX_DOCUMENTS_PER_UNIT: usize = 1000;
/// Most anchors of one hash a verification lists (competent issuers' first).
pub const MAX_ANCHORS_LISTED: usize = 64;

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

/// An anchored document (`dca/{hash}/{issuer}`).
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
    /// Whether the issuer was competent for the document type when it anchored it
    /// ([`competent`]).
    pub competent: bool,
}

/// Whether a participant of `category` (with `identity`) is competent to issue documents of
/// `document_type` (ADR 0044): authorities by their agency; independent laboratories and
/// certification bodies (organisations of category consumer-or-other) for test reports and
/// certifications. Nobody is competent for `Other`.
pub fn competent(
    document_type: DocumentType,
    category: &ParticipantCategory,
    identity: &Identity,
) -> bool {
    use Agency as A;
    use DocumentType as D;
    let organisation = matches!(identity, Identity::Organisation { .. });
    match (document_type, category) {
        (D::Registration, ParticipantCategory::Regulator(a)) => {
            matches!(a, A::MarketRegulation | A::Customs | A::Commerce)
        }
        (D::SanitaryCertificate, ParticipantCategory::Regulator(a)) => {
            matches!(a, A::Customs | A::MarketRegulation)
        }
        (D::CertificateOfOrigin, ParticipantCategory::Regulator(a)) => {
            matches!(a, A::Customs | A::Commerce)
        }
        (D::TestReport, ParticipantCategory::Regulator(a)) => {
            matches!(a, A::Customs | A::MarketRegulation)
        }
        (D::Certification, ParticipantCategory::Regulator(a)) => *a == A::MarketRegulation,
        (D::TestReport | D::Certification, ParticipantCategory::ConsumerOrOther) => organisation,
        _ => false,
    }
}

/// `dca/{hash}/{issuer}`.
pub fn document_key(h: &Hash, issuer: &PublicKey) -> Vec<u8> {
    state_keys::key("dca/", &[&h.0, &issuer.0])
}

fn competent_key(h: &Hash, issuer: &PublicKey) -> Vec<u8> {
    state_keys::key("dcc/", &[&h.0, &issuer.0])
}

fn type_key(h: &Hash, t: DocumentType) -> Vec<u8> {
    state_keys::key("dct/", &[&h.0, &[t as u8]])
}

fn other_key(h: &Hash, issuer: &PublicKey) -> Vec<u8> {
    state_keys::key("dco/", &[&h.0, &issuer.0])
}

fn unit_document_key(code: &NormalisedCode, h: &Hash, issuer: &PublicKey) -> Vec<u8> {
    state_keys::key("dcu/", &[code.as_bytes(), &h.0, &issuer.0])
}

fn unit_competent_key(code: &NormalisedCode, h: &Hash, issuer: &PublicKey) -> Vec<u8> {
    state_keys::key("dcuc/", &[code.as_bytes(), &h.0, &issuer.0])
}

/// `dcp/{code}/{blind}`: the [`CertificateFact`] of the anchor of `h` by `issuer` covering the
/// unit `code`; `blind` hides the hash (ADR 0089).
pub fn certificate_fact_key(code: &NormalisedCode, h: &Hash, issuer: &PublicKey) -> Vec<u8> {
    let blind = Hash::tagged(
        b"tracechain/unit-certificate/v1",
        &[&h.0, &issuer.0, code.as_bytes()],
    );
    state_keys::key("dcp/", &[code.as_bytes(), &blind.0])
}

/// What the public may know of an anchor covering a unit (`dcp/{code}/{blind}`): enough to
/// show and judge it — type, issuer, competence, anchoring, validity, revocation — without its
/// hash. Kept equal to the anchor's own entry (written with it, updated when it is revoked).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct CertificateFact {
    /// Its type.
    pub document_type: DocumentType,
    /// Its issuer.
    pub issuer: PublicKey,
    /// Whether the issuer was competent for the type when it anchored it.
    pub competent: bool,
    /// Anchoring height.
    pub height: u64,
    /// Anchoring block time (Unix ms).
    pub timestamp_ms: u64,
    /// Valid from (Unix ms).
    pub valid_from_ms: i64,
    /// Valid until (Unix ms), when it expires.
    pub valid_until_ms: Option<i64>,
    /// The height of its revocation, once revoked.
    pub revoked_height: Option<u64>,
}

impl CertificateFact {
    fn of(doc: &AnchoredDocument) -> CertificateFact {
        CertificateFact {
            document_type: doc.document_type,
            issuer: doc.issuer,
            competent: doc.competent,
            height: doc.height,
            timestamp_ms: doc.timestamp_ms,
            valid_from_ms: doc.valid_from_ms,
            valid_until_ms: doc.valid_until_ms,
            revoked_height: doc.revoked.as_ref().map(|r| r.height),
        }
    }
}

fn unit_count_key(code: &NormalisedCode) -> Vec<u8> {
    state_keys::key("dcn/", &[code.as_bytes()])
}

fn hash_count_key(h: &Hash) -> Vec<u8> {
    state_keys::key("dhn/", &[&h.0])
}

/// How many anchors cover a unit (`dcn/{code}`) or anchor a hash (`dhn/{hash}`), and how many
/// of them are by issuers competent for their type. Revoked anchors still count (they are
/// listed, marked revoked).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct AnchorCount {
    /// Every anchor.
    pub anchors: u64,
    /// Anchors by competent issuers.
    pub competent: u64,
}

impl AnchorCount {
    fn add(self, competent: bool) -> AnchorCount {
        AnchorCount {
            anchors: self.anchors.saturating_add(1),
            competent: self.competent.saturating_add(u64::from(competent)),
        }
    }
}

fn count_at(state: &dyn StateView, key: &[u8]) -> AnchorCount {
    state
        .get_ref(key)
        .map(|b| decode_stored(key, &b))
        .unwrap_or_default()
}

/// The anchors covering a unit and those of a hash are counted (both listings page).
fn count_anchor(env: &mut TxEnv<'_>, key: Vec<u8>, competent: bool) {
    let c = count_at(&env.state, &key).add(competent);
    env.state.put_value(key, &c);
}

/// The anchor of a hash by one issuer.
pub fn load(state: &dyn StateView, h: &Hash, issuer: &PublicKey) -> Option<AnchoredDocument> {
    let k = document_key(h, issuer);
    state.get_ref(&k).map(|b| decode_stored(&k, &b))
}

/// The issuer key that ends a `dca/`, `dcc/` or `dcu/` key.
fn issuer_of(key: &[u8]) -> Option<PublicKey> {
    state_keys::last_part(key)
        .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
        .map(PublicKey)
}

/// DocumentAnchor (R-S1): any approved participant anchors a document it issued. The hash
/// must not be zero nor anchored already by the signer; `valid_from` / `valid_until` are
/// RFC 3339 dates or date-times with `valid_until > valid_from`; covered units (0..=64) must
/// be registered. Whether the signer is competent for the type is recorded (ADR 0044).
pub(crate) fn anchor(env: &mut TxEnv<'_>, r: &DocumentAnchor) -> Result<(), ContractError> {
    let mut c = FieldChecker::new();
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
    c.finish(Rule::RS1)?;
    let Some(valid_from_ms) = from else {
        return Err(ContractError::one(
            Rule::RS1,
            ErrorCode::MalformedItem,
            "valid_from",
            Problem::Missing,
        ));
    };
    if let Some(existing) = load(&env.state, &r.document_hash, &env.signer) {
        return Err(ContractError::one(
            Rule::RS1,
            ErrorCode::AlreadyExists,
            "document_hash",
            Problem::Duplicate(format!(
                "anchored by the signer at height {}",
                existing.height
            )),
        ));
    }
    let competent = env.participant.as_ref().is_some_and(|p| {
        competent(
            r.document_type,
            &p.registration.category,
            &p.registration.identity,
        )
    });
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
        competent,
    };
    env.state
        .put_value(document_key(&r.document_hash, &env.signer), &doc);
    // Each listing has one index for competent issuers' anchors and one for the others, so a
    // page reads only what it returns however many anchors of either kind there are.
    env.state
        .put_value(type_key(&r.document_hash, r.document_type), &());
    let hash_index = if competent { competent_key } else { other_key };
    env.state
        .put_value(hash_index(&r.document_hash, &env.signer), &());
    count_anchor(env, hash_count_key(&r.document_hash), competent);
    for n in &codes {
        let unit_index = if competent {
            unit_competent_key
        } else {
            unit_document_key
        };
        env.state
            .put_value(unit_index(n, &r.document_hash, &env.signer), &());
        env.state.put_value(
            certificate_fact_key(n, &r.document_hash, &env.signer),
            &CertificateFact::of(&doc),
        );
        count_anchor(env, unit_count_key(n), competent);
    }
    env.store_record(IndexTag::Document, &codes);
    Ok(())
}

fn date(c: &mut FieldChecker, field: &str, s: &str) -> Option<i64> {
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

/// DocumentRevocation (R-S1): an issuer revokes its own anchor of a hash, once, with a
/// reason; nobody revokes another issuer's anchor.
pub(crate) fn revoke(env: &mut TxEnv<'_>, r: &DocumentRevocation) -> Result<(), ContractError> {
    let mut c = FieldChecker::new();
    c.text_value("reason", &r.reason, true);
    c.finish(Rule::RS1)?;
    let Some(mut doc) = load(&env.state, &r.document_hash, &env.signer) else {
        let anchored = !env
            .state
            .scan(&state_keys::prefix("dca/", &[&r.document_hash.0]), None, 1)
            .is_empty();
        return Err(if anchored {
            ContractError::one(
                Rule::RS1,
                ErrorCode::NotOwner,
                "document_hash",
                Problem::NotAllowed("only the issuer revokes its anchor of a document".into()),
            )
        } else {
            ContractError::one(
                Rule::RS1,
                ErrorCode::NotFound,
                "document_hash",
                Problem::NotFound("no document anchored under this hash".into()),
            )
        });
    };
    if doc.revoked.is_some() {
        return Err(ContractError::one(
            Rule::RS1,
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
    env.state
        .put_value(document_key(&r.document_hash, &env.signer), &doc);
    let fact = CertificateFact::of(&doc);
    for n in &codes {
        env.state.put_value(
            certificate_fact_key(n, &r.document_hash, &env.signer),
            &fact,
        );
    }
    env.store_record(IndexTag::Document, &codes);
    Ok(())
}

/// The [`CertificateFact`] of the anchor of `h` by `issuer` covering `code`.
pub fn certificate_fact(
    state: &dyn StateView,
    code: &NormalisedCode,
    h: &Hash,
    issuer: &PublicKey,
) -> Option<CertificateFact> {
    let k = certificate_fact_key(code, h, issuer);
    state.get_ref(&k).map(|b| decode_stored(&k, &b))
}

// ------------------------------------------------------------------------------ read side

/// One issuer's anchor of a document, judged at a time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnchorVerdict {
    /// The anchor.
    pub anchor: AnchoredDocument,
    /// The issuer's registered legal name, when known and the issuer is an organisation (a
    /// natural person's name is never on chain, ADR 0024).
    pub issuer_name: Option<String>,
    /// Whether the issuer was competent for the document type (ADR 0044).
    pub competent: bool,
    /// Digital Link forms of the covered units.
    pub covered_units: Vec<String>,
    /// Revoked (at or before the time judged at).
    pub revoked: bool,
    /// Expired at the time judged at.
    pub expired: bool,
    /// Not yet valid at the time judged at.
    pub not_yet_valid: bool,
    /// Not revoked and within its validity period.
    pub valid: bool,
}

/// The answer of a one-call verification (R-S1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocumentVerification {
    /// The hash asked about.
    pub document_hash: Hash,
    /// Its anchors: every competent issuer's first, then others, at most
    /// [`MAX_ANCHORS_LISTED`].
    pub anchors: Vec<AnchorVerdict>,
    /// More anchors exist than were listed (`count` says how many in all; competent issuers'
    /// come first, so those left out are by issuers not competent unless more than
    /// [`MAX_ANCHORS_LISTED`] competent issuers anchored the hash); [`anchors_page`] lists
    /// them all.
    pub more: bool,
    /// How many anchors the hash has, and how many by competent issuers.
    pub count: AnchorCount,
    /// A competent issuer's anchor is valid: the document may be relied on.
    pub valid: bool,
}

impl DocumentVerification {
    /// The first competent, valid anchor, when there is one.
    pub fn relied_on(&self) -> Option<&AnchorVerdict> {
        self.anchors.iter().find(|a| a.competent && a.valid)
    }
}

fn judge(state: &dyn StateView, doc: AnchoredDocument, at_ms: i64) -> AnchorVerdict {
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
    AnchorVerdict {
        competent: doc.competent,
        valid: !revoked && !expired && !not_yet_valid,
        anchor: doc,
        issuer_name,
        covered_units,
        revoked,
        expired,
        not_yet_valid,
    }
}

/// Verify a document by its hash at time `at_ms` (Unix ms, given by the caller: the contracts
/// have no clock; the API passes the latest block time or the time asked about). Competent
/// issuers' anchors are listed first, so anchors of the same hash by others cannot push them
/// out of the answer.
pub fn verify(state: &dyn StateView, document_hash: &Hash, at_ms: i64) -> DocumentVerification {
    let page = anchors_page(state, document_hash, None, MAX_ANCHORS_LISTED);
    let anchors: Vec<AnchorVerdict> = page
        .anchors
        .into_iter()
        .map(|d| judge(state, d, at_ms))
        .collect();
    // Relied on through any competent issuer's valid anchor, listed or not: the competent
    // anchors are read to the end (as many as competent issuers anchored the hash).
    let valid = anchors.iter().any(|a| a.competent && a.valid) || {
        let prefix = state_keys::prefix("dcc/", &[&document_hash.0]);
        let mut after: Option<Vec<u8>> = None;
        loop {
            let (entries, next) = scan_page(state, &prefix, after.as_deref(), MAX_ANCHORS_LISTED);
            if entries
                .iter()
                .filter_map(|(k, _)| issuer_of(k))
                .filter_map(|i| load(state, document_hash, &i))
                .any(|d| judge(state, d, at_ms).valid)
            {
                break true;
            }
            match next {
                Some(k) => after = Some(k),
                None => break false,
            }
        }
    };
    DocumentVerification {
        document_hash: *document_hash,
        valid,
        anchors,
        more: page.next.is_some(),
        count: page.count,
    }
}

/// Whether some issuer anchored `h` as one of `types` (`dct/{hash}/{type}`: one key read per
/// type, however many anchors the hash has).
pub fn anchored_as(state: &dyn StateView, h: &Hash, types: &[DocumentType]) -> bool {
    types
        .iter()
        .any(|t| state.get_ref(&type_key(h, *t)).is_some())
}

/// Verify the bytes of a document (hashes them with SHA-256, then [`verify`]).
pub fn verify_bytes(state: &dyn StateView, document: &[u8], at_ms: i64) -> DocumentVerification {
    verify(state, &Hash::digest(document), at_ms)
}

/// Where a page of anchors stopped: in the competent issuers' index, or among the others,
/// after the last key returned (`None`: from the first).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AnchorCursor {
    /// Still among the competent issuers' anchors.
    Competent(Vec<u8>),
    /// Among the other anchors.
    Others(Option<Vec<u8>>),
}

/// One page of anchors, competent issuers' first, then the others, each part in (hash,
/// issuer) order; with the counts of the whole listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnchorPage {
    /// The anchors of this page.
    pub anchors: Vec<AnchoredDocument>,
    /// How many anchors the whole listing has (and how many by competent issuers).
    pub count: AnchorCount,
    /// The cursor of the next page, `None` after the last.
    pub next: Option<AnchorCursor>,
}

/// Page through the two indexes of one listing: `competent` (keys of competent issuers'
/// anchors), then `others` (every other anchor). `load` reads the anchor a key names. At most
/// `limit` anchors per page, and no more keys read than anchors returned (plus one to see
/// whether an index goes on).
fn page_anchors(
    state: &dyn StateView,
    competent: &[u8],
    others: &[u8],
    after: Option<&AnchorCursor>,
    limit: usize,
    load: &dyn Fn(&[u8]) -> Option<AnchoredDocument>,
) -> (Vec<AnchoredDocument>, Option<AnchorCursor>) {
    let limit = limit.max(1);
    let mut out = Vec::new();
    let others_after = match after {
        Some(AnchorCursor::Others(a)) => a.clone(),
        _ => {
            let from = match after {
                Some(AnchorCursor::Competent(k)) => Some(k.as_slice()),
                _ => None,
            };
            let (entries, next) = scan_page(state, competent, from, limit);
            out.extend(entries.iter().filter_map(|(k, _)| load(k)));
            if let Some(k) = next {
                return (out, Some(AnchorCursor::Competent(k)));
            }
            if out.len() == limit {
                let more = !state.scan(others, None, 1).is_empty();
                return (out, more.then_some(AnchorCursor::Others(None)));
            }
            None
        }
    };
    let (entries, next) = scan_page(state, others, others_after.as_deref(), limit - out.len());
    out.extend(entries.iter().filter_map(|(k, _)| load(k)));
    (out, next.map(|k| AnchorCursor::Others(Some(k))))
}

/// The anchors covering a unit (R-S1), competent issuers' first: the first page of
/// [`documents_of_page`] (at most [`MAX_DOCUMENTS_PER_UNIT`]).
pub fn documents_of(state: &dyn StateView, code: &TraceCode) -> Vec<AnchoredDocument> {
    documents_of_page(state, code, None, MAX_DOCUMENTS_PER_UNIT).anchors
}

/// A page of the anchors covering a unit: competent issuers' anchors first, then the others,
/// at most `limit` (clamped to 1..=[`MAX_DOCUMENTS_PER_UNIT`]) after `after`, with how many
/// there are. An unknown or malformed code has none.
pub fn documents_of_page(
    state: &dyn StateView,
    code: &TraceCode,
    after: Option<&AnchorCursor>,
    limit: usize,
) -> AnchorPage {
    let Ok(n) = NormalisedCode::new("code", code) else {
        return AnchorPage {
            anchors: Vec::new(),
            count: AnchorCount::default(),
            next: None,
        };
    };
    let others = state_keys::prefix("dcu/", &[n.as_bytes()]);
    let competent = state_keys::prefix("dcuc/", &[n.as_bytes()]);
    // Both indexes end in {hash}/{issuer}.
    let load_key = |k: &[u8]| {
        let parts = state_keys::parts_after(k, &competent)
            .or_else(|| state_keys::parts_after(k, &others))?;
        let h = <[u8; 32]>::try_from(parts.first()?.as_slice()).ok()?;
        let i = <[u8; 32]>::try_from(parts.get(1)?.as_slice()).ok()?;
        load(state, &Hash(h), &PublicKey(i))
    };
    let (anchors, next) = page_anchors(
        state,
        &competent,
        &others,
        after,
        limit.min(MAX_DOCUMENTS_PER_UNIT),
        &load_key,
    );
    AnchorPage {
        anchors,
        count: count_at(state, &unit_count_key(&n)),
        next,
    }
}

/// A page of the anchors of one hash (R-S1): competent issuers' first, then the others, at
/// most `limit` (clamped to 1..=[`MAX_ANCHORS_LISTED`]) after `after`, with how many there
/// are. [`verify`] judges the first page.
pub fn anchors_page(
    state: &dyn StateView,
    document_hash: &Hash,
    after: Option<&AnchorCursor>,
    limit: usize,
) -> AnchorPage {
    let load_key = |k: &[u8]| issuer_of(k).and_then(|i| load(state, document_hash, &i));
    let (anchors, next) = page_anchors(
        state,
        &state_keys::prefix("dcc/", &[&document_hash.0]),
        &state_keys::prefix("dco/", &[&document_hash.0]),
        after,
        limit.min(MAX_ANCHORS_LISTED),
        &load_key,
    );
    AnchorPage {
        anchors,
        count: count_at(state, &hash_count_key(document_hash)),
        next,
    }
}
