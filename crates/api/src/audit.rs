//! The audit package of a batch (R-S2, ADR 0084): one call returns everything an auditor needs
//! to check the batch's data offline, and [`verify`] checks it trusting nothing but the
//! genesis.
//!
//! **What it holds.** The batch and every unit upstream of it (its materials, through the
//! lineage; for a participant, only the units it took part in — the others are named as left
//! out, R-A5); every record listed under each unit (materials, production, inspections,
//! documents, shipping and customs records alike), each with its signed transaction and
//! inclusion proof; for each unit its registration and the count and running digest of its
//! listing, proven against the state root read at, so that a record left out, added or
//! replaced is detected; the anchors of the documents those records anchor (issuer,
//! competence, validity, revocation) and the recalls reaching the batch, proven likewise;
//! the certified headers all proofs rest on, the genesis file and every validator-set change
//! (each proven by the set before it); the original JSON of each EPCIS event captured for the
//! units, bound to the chain by its SHA-256.
//!
//! **Container.** A BagIt bag in a ustar archive ([`crate::bag`]): `data/package.json` (what
//! the package covers), `data/chain.json` (headers, validator sets and their changes),
//! `data/records.json`, `data/facts.json`, `data/genesis.toml` (when the node has it),
//! `data/epcis/{sha256}.json`; `manifest-sha256.txt` hashes every file.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tracechain_contracts::documents::{self, AnchoredDocument};
use tracechain_contracts::lineage::{self, Direction, Node};
use tracechain_contracts::recall::{self, IssuedRecall};
use tracechain_contracts::trace::{self, HistoryQuery, MAX_LOOKUP_RECORDS};
use tracechain_contracts::trace_codes::NormalisedCode;
use tracechain_contracts::{state_keys, validators, RecordEnvelope, RecordSource, StateView};
use tracechain_types::records::TraceCode;
use tracechain_types::{
    decode, Hash, LineageRecord, ListingDigest, Payload, PublicKey, ValidatorSet,
};

use crate::auth::Role;
use crate::bag;
use crate::handlers::{self, Api};
use crate::problem::Problem;
use crate::proof::{self, FactProof, ProofBase, ProofFailure, RecordProof, Trust};
use crate::Ctx;

/// The format named in `data/package.json`.
pub const FORMAT: &str = "tracechain-audit-package/1";
/// Largest package [`verify`] reads by default (bytes).
pub const MAX_PACKAGE_BYTES: usize = 1 << 30;
/// Most files [`verify`] reads by default.
pub const MAX_PACKAGE_FILES: usize = 1_000_000;
/// Largest proven state value decoded by the verifier.
const MAX_FACT_VALUE_BYTES: usize = 1 << 20;

/// The read height of a package.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadAt {
    /// Height every fact is proven at.
    pub height: u64,
    /// Its block hash.
    pub block_hash: Hash,
    /// Its state root.
    pub state_root: Hash,
    /// Its block time (Unix ms).
    pub block_time_ms: u64,
}

/// A unit of the package: its registration and listing, proven.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitEntry {
    /// Normalised trace code (`01…10…`).
    pub code: String,
    /// `batch` (the one asked for) or `upstream` (reached back through the lineage).
    pub relation: String,
    /// Records listed under it (as its proven listing digest counts them).
    pub records: u64,
    /// Proof of its registration (`tu/`).
    pub registration: FactProof,
    /// Proof of its listing's count and digest (`tud/`).
    pub listing: FactProof,
}

/// A unit reached but left out, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Omitted {
    /// The unit (normalised code, `00{sscc}` or a shipment).
    pub code: String,
    /// Why.
    pub reason: String,
}

/// `data/package.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageInfo {
    /// [`FORMAT`].
    pub format: String,
    /// The batch (normalised code).
    pub batch: String,
    /// Its GS1 Digital Link.
    pub digital_link: String,
    /// The height read at.
    pub read_at: ReadAt,
    /// The role of the reader the package was made for.
    pub reader_role: String,
    /// The units covered, the batch first.
    pub units: Vec<UnitEntry>,
    /// Units reached upstream and left out (not the reader's, R-A5).
    pub not_included: Vec<Omitted>,
    /// Whether the upstream walk stopped at its bound (then more units may exist).
    pub lineage_truncated: bool,
    /// Records in `records.json`.
    pub records: usize,
    /// EPCIS events whose original JSON is in `epcis/`.
    pub epcis_events: usize,
    /// Originals (SHA-256, hex) of captured EPCIS events this node did not hold.
    pub epcis_missing: Vec<String>,
    /// Whether `genesis.toml` is included.
    pub genesis_file: bool,
}

/// A validator-set change: the set and the proof of `val/h/{effective height}` at a height
/// certified by the set before it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetChange {
    /// First height the set is in force.
    pub effective_height: u64,
    /// The set.
    pub set: ValidatorSet,
    /// Proof of `val/h/{effective height}`.
    pub proof: FactProof,
}

/// `data/chain.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainFile {
    /// Certified headers and validator sets.
    pub headers: ProofBase,
    /// Every validator-set change up to the read height, in order.
    pub validator_set_changes: Vec<SetChange>,
    /// Proof of `val/count` (how many changes were decided) at the read height.
    pub change_count: FactProof,
}

/// One record of `data/records.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecordEntry {
    /// The record id.
    pub record_id: Hash,
    /// The transaction that carries it (itself, or the bulk import or EPCIS capture it is an
    /// item of): its signed bytes are in `transactions.json` once, however many items it has;
    /// `proof.tx` is left empty.
    pub carrier: Hash,
    /// Its category tag.
    pub category: String,
    /// The package units whose listing holds it.
    pub listed_under: Vec<String>,
    /// Its signer.
    pub signer: PublicKey,
    /// Height.
    pub height: u64,
    /// Block time (Unix ms).
    pub timestamp_ms: u64,
    /// How it was written (a transaction, or an item of one).
    pub source: Value,
    /// The record as signed.
    pub payload: Value,
    /// Its inclusion proof.
    pub proof: RecordProof,
}

/// A document anchor of `data/facts.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentFact {
    /// SHA-256 of the document.
    pub document_hash: Hash,
    /// Its issuer.
    pub issuer: PublicKey,
    /// Proof of `dca/{hash}/{issuer}`: the anchor as it stands (competence, validity,
    /// revocation).
    pub proof: FactProof,
}

/// A recall of `data/facts.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecallFact {
    /// Who issued it.
    pub issuer: PublicKey,
    /// Its reference.
    pub recall_ref: String,
    /// Proof of `rcl/{issuer}/{ref}`.
    pub proof: FactProof,
}

/// `data/facts.json`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactsFile {
    /// The anchors of every document a package record anchors.
    pub documents: Vec<DocumentFact>,
    /// The recalls reaching the batch (of it or of a unit upstream).
    pub recalls: Vec<RecallFact>,
}

/// What the node gives the package beyond its state: its genesis file and the EPCIS
/// originals it holds.
pub trait PackageSources: Send + Sync {
    /// The genesis file's bytes.
    fn genesis_file(&self) -> Option<Vec<u8>>;
    /// The original JSON of a captured EPCIS event by its SHA-256, when held.
    fn epcis_original(&self, original: &Hash) -> Option<Vec<u8>>;
}

/// Limits of one package.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PackageLimits {
    /// Most units (the batch and those upstream).
    pub max_units: usize,
    /// Most records.
    pub max_records: usize,
}

fn too_large(what: &str, n: usize, max: usize, key: &str) -> Problem {
    Problem::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "E_AUDIT_TOO_LARGE",
        "Audit package too large",
        format!("the package would hold more than {max} {what} ({n} so far); the node's {key} bounds it"),
    )
    .rule("R-S2")
}

fn fact(ctx: &Ctx<'_>, key: &[u8]) -> Result<FactProof, Problem> {
    ctx.fact(key)?
        .ok_or_else(|| Problem::internal("a fact read at genesis"))
}

/// Build the package of `code` (a batch) for the reader of `ctx`.
pub(crate) fn build(
    ctx: &Ctx<'_>,
    code: &TraceCode,
    sources: Option<&dyn PackageSources>,
    limits: PackageLimits,
) -> Result<Vec<u8>, Problem> {
    if !matches!(code, TraceCode::Batch { .. }) {
        return Err(Problem::bad_request(
            "E_NOT_A_BATCH",
            "an audit package is made for a batch (01{gtin}10{batch}); an item's records are in its batch's package and its own trace",
        )
        .rule("R-S2"));
    }
    handlers::may_read_unit(ctx, code)?;
    let (n, _) = tracechain_contracts::query::unit(&ctx.snap, code)
        .ok_or_else(|| handlers::unknown_unit(code))?;
    // The units: the batch, then those upstream the reader may read.
    let up = lineage::reach(&ctx.snap, &Node::unit(&n), Direction::Backward);
    if up.truncated {
        return Err(too_large(
            "upstream lineage nodes",
            up.nodes.len(),
            lineage::MAX_TRAVERSAL_NODES,
            "lineage walk (lineage::MAX_TRAVERSAL_NODES)",
        ));
    }
    let mut units = vec![(n.clone(), "batch")];
    let mut not_included = Vec::new();
    for node in &up.nodes {
        // Logistics units and shipments upstream of a batch have no listing of their own:
        // their records are listed under the units they carried.
        let Node::Unit(tc) = node else {
            continue;
        };
        let u = NormalisedCode::new("code", tc)
            .map_err(|_| Problem::internal("a lineage node's code"))?;
        if u == n {
            continue;
        }
        let allowed = match ctx.role {
            Role::Regulator(_) => true,
            Role::Participant(k) => handlers::took_part(&ctx.snap, tc, &k),
            Role::Public => false,
        };
        if allowed {
            units.push((u, "upstream"));
        } else {
            not_included.push(Omitted {
                code: u.as_str().to_string(),
                reason: "the reader took part in none of its records (R-A5)".into(),
            });
        }
        if units.len() > limits.max_units {
            return Err(too_large(
                "units",
                units.len(),
                limits.max_units,
                "api.max_audit_units",
            ));
        }
    }
    // Every record of every unit, once, remembering under which units it is listed.
    let mut records: BTreeMap<Hash, (String, RecordEnvelope, Vec<String>)> = BTreeMap::new();
    let mut unit_entries = Vec::new();
    for (u, relation) in &units {
        let tc = handlers::parse_code(u.as_str())?;
        let mut q = HistoryQuery {
            categories: Vec::new(),
            after: None,
            limit: MAX_LOOKUP_RECORDS,
        };
        let mut count = 0u64;
        loop {
            let page =
                trace::history(&ctx.snap, &tc, &q).ok_or_else(|| handlers::unknown_unit(&tc))?;
            // An upstream item's page lists its batch's records too: only its own are its
            // listing's.
            for ((cat, env), l) in page.records.into_iter().zip(page.listed_in) {
                if l != 0 {
                    continue;
                }
                count += 1;
                let e = records
                    .entry(env.tx_id)
                    .or_insert_with(|| (cat, env, Vec::new()));
                if !e.2.contains(&u.as_str().to_string()) {
                    e.2.push(u.as_str().to_string());
                }
                if records.len() > limits.max_records {
                    return Err(too_large(
                        "records",
                        records.len(),
                        limits.max_records,
                        "api.max_audit_records",
                    ));
                }
            }
            match page.next {
                Some(c) => q.after = Some(c),
                None => break,
            }
        }
        unit_entries.push(UnitEntry {
            code: u.as_str().to_string(),
            relation: relation.to_string(),
            records: count,
            registration: fact(ctx, &state_keys::trace_unit(u))?,
            listing: fact(ctx, &state_keys::unit_digest(u))?,
        });
    }
    // Proofs of the records, in chain order, one block's tree held at a time; each carrying
    // transaction once.
    let mut base = ctx.base()?;
    let mut blocks = BTreeMap::new();
    let mut entries = Vec::with_capacity(records.len());
    let mut transactions: BTreeMap<String, String> = BTreeMap::new();
    let mut documents_seen = BTreeSet::new();
    let mut recalls_seen = BTreeSet::new();
    let mut facts = FactsFile::default();
    let mut epcis_files = BTreeMap::new();
    let mut epcis_missing = Vec::new();
    let mut ordered: Vec<(String, RecordEnvelope, Vec<String>)> = records.into_values().collect();
    ordered.sort_by_key(|(_, env, _)| env.height);
    let mut block_height = None;
    for (cat, env, listed) in ordered {
        if block_height != Some(env.height) {
            blocks.clear();
            block_height = Some(env.height);
        }
        let mut p = handlers::record_proof(ctx, &env, &mut blocks, &mut base)?;
        let (carrier, _) = env.source.carrier(env.tx_id);
        match &env.payload {
            Payload::Document(tracechain_types::DocumentRecord::DocumentAnchor(a))
                if documents_seen.insert((a.document_hash, env.signer)) =>
            {
                facts.documents.push(DocumentFact {
                    document_hash: a.document_hash,
                    issuer: env.signer,
                    proof: fact(ctx, &documents::document_key(&a.document_hash, &env.signer))?,
                });
            }
            // Every recall among the records, as it stands (R-S3): those of units left out
            // of a participant's package are not its to read.
            Payload::Recall(tracechain_types::RecallRecord::Recall(r))
                if recalls_seen.insert((env.signer, r.recall_ref.clone())) =>
            {
                facts.recalls.push(RecallFact {
                    issuer: env.signer,
                    recall_ref: r.recall_ref.clone(),
                    proof: fact(ctx, &recall::recall_key(&env.signer, &r.recall_ref))?,
                });
            }
            _ => {}
        }
        if let RecordSource::EpcisCapture { index, .. } = env.source {
            let tx = proof::decode_tx(&p.tx).map_err(Problem::internal)?;
            if let Payload::Epcis(tracechain_types::EpcisRecord::EpcisCapture(c)) = &tx.body.payload
            {
                if let Some(original) = c.originals.get(index as usize) {
                    match sources.and_then(|s| s.epcis_original(original)) {
                        Some(b) if Hash::digest(&b) == *original => {
                            epcis_files.insert(format!("epcis/{}.json", original.to_hex()), b);
                        }
                        _ => epcis_missing.push(original.to_hex()),
                    }
                }
            }
        }
        transactions
            .entry(carrier.to_hex())
            .or_insert_with(|| std::mem::take(&mut p.tx));
        p.tx = String::new();
        let j = handlers::record_json(&cat, &env);
        entries.push(RecordEntry {
            record_id: env.tx_id,
            carrier,
            category: cat,
            listed_under: listed,
            signer: env.signer,
            height: env.height,
            timestamp_ms: env.timestamp_ms,
            source: j["source"].clone(),
            payload: j["payload"].clone(),
            proof: p,
        });
    }
    entries.sort_by_key(|e| (e.proof.height, e.proof.index, e.proof.bulk_item));
    epcis_missing.sort();
    epcis_missing.dedup();
    // The validator-set changes, each proven where it was decided.
    let mut changes = Vec::new();
    let prefix = validators::history_prefix();
    let mut after: Option<Vec<u8>> = None;
    loop {
        let page = ctx.snap.scan(&prefix, after.as_deref(), 256);
        let last = page.last().map(|(k, _)| k.clone());
        for (k, v) in &page {
            let h = state_keys::parts_after(k, &prefix)
                .and_then(|p| {
                    p.first()
                        .and_then(|b| <[u8; 8]>::try_from(b.as_slice()).ok())
                })
                .map(u64::from_be_bytes)
                .ok_or_else(|| Problem::internal("a validator history key"))?;
            let set: ValidatorSet = decode(v, MAX_FACT_VALUE_BYTES).map_err(Problem::internal)?;
            let at = h.saturating_sub(validators::ACTIVATION_DELAY).max(1);
            let kept_from = ctx.snap.state_kept_from().map_err(Problem::internal)?;
            if at < kept_from {
                return Err(Problem::new(
                    StatusCode::CONFLICT,
                    "E_STATE_PRUNED",
                    "State pruned",
                    format!(
                        "the validator-set change taking effect at {h} is proven by the state of height {at}, which this node pruned (it keeps heights from {kept_from}, storage.state_versions_kept); ask a node that keeps every version"
                    ),
                )
                .rule("R-S2"));
            }
            ctx.add_header(&mut base, at)?;
            let sp =
                tracechain_types::state_map::prove(&ctx.snap, at, k).map_err(Problem::internal)?;
            changes.push(SetChange {
                effective_height: h,
                set,
                proof: FactProof::new(k, at, &sp),
            });
        }
        if page.len() < 256 {
            break;
        }
        after = last;
    }
    let chain = ChainFile {
        headers: base,
        validator_set_changes: changes,
        change_count: fact(ctx, &validators::count_key())?,
    };
    let genesis = sources.and_then(|s| s.genesis_file());
    let digital_link = n.digital_link();
    let info = PackageInfo {
        format: FORMAT.into(),
        batch: n.as_str().to_string(),
        digital_link: digital_link.clone(),
        read_at: ReadAt {
            height: ctx.tip.height,
            block_hash: ctx.tip.hash,
            state_root: ctx.tip.state_root,
            block_time_ms: ctx.tip.timestamp_ms,
        },
        reader_role: ctx.role.name().into(),
        units: unit_entries,
        not_included,
        lineage_truncated: up.truncated,
        records: entries.len(),
        epcis_events: epcis_files.len(),
        epcis_missing,
        genesis_file: genesis.is_some(),
    };
    let js = |v: &dyn erased::Json| v.to_vec();
    let mut payload: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    payload.insert("package.json".into(), js(&info));
    payload.insert("chain.json".into(), js(&chain));
    payload.insert("records.json".into(), js(&entries));
    payload.insert("transactions.json".into(), js(&transactions));
    payload.insert("facts.json".into(), js(&facts));
    if let Some(g) = genesis {
        payload.insert("genesis.toml".into(), g);
    }
    payload.extend(epcis_files);
    let date = time_text(ctx.tip.timestamp_ms);
    Ok(bag::write(
        &payload,
        &[
            (
                "Source-Organization".into(),
                "tracechain consortium node".into(),
            ),
            ("Bagging-Date".into(), date),
            (
                "External-Identifier".into(),
                format!("{}@{}", n.as_str(), ctx.tip.height),
            ),
            (
                "External-Description".into(),
                format!(
                    "tracechain audit package (R-S2) of batch {digital_link} read at height {}",
                    ctx.tip.height
                ),
            ),
        ],
        ctx.tip.timestamp_ms / 1000,
    ))
}

mod erased {
    /// Pretty JSON of any serialisable value (one function for the package's files).
    pub trait Json {
        fn to_vec(&self) -> Vec<u8>;
    }
    impl<T: serde::Serialize> Json for T {
        fn to_vec(&self) -> Vec<u8> {
            serde_json::to_vec_pretty(self).unwrap_or_default()
        }
    }
}

/// `YYYY-MM-DD` of a Unix time in ms (UTC).
fn time_text(ms: u64) -> String {
    let (y, m, d) = crate::civil_date((ms / 86_400_000) as i64);
    format!("{y:04}-{m:02}-{d:02}")
}

/// `GET /v1/audit/{code}` (R-S2): the audit package of a batch, a BagIt bag in a tar archive.
#[utoipa::path(
    get,
    path = "/v1/audit/{code}",
    tag = "audit",
    summary = "The audit package of a batch (R-S2): records, proofs, facts, headers, genesis, EPCIS originals in one BagIt tar",
    params(
        ("code" = String, Path, description = "a batch: `01{gtin14}10{batch}` or a percent-encoded Digital Link URI")
    ),
    security(("tracechain_key" = [], "tracechain_timestamp" = [], "tracechain_signature" = [])),
    responses(
        (status = 200, description = "the package (`application/x-tar`); verify it with `tracechain audit package FILE --genesis GENESIS`", content_type = "application/x-tar", body = Vec<u8>),
        (status = 400, description = "a malformed request, or a code that is not a batch", body = crate::problem::ProblemBody, content_type = "application/problem+json"),
        (status = 401, description = "a signed read refused: malformed, stale, replayed, bad signature", body = crate::problem::ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "not for this reader's role (R-A5): regulators and the batch's participants", body = crate::problem::ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "not found", body = crate::problem::ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = "a validator-set change is proven by a state this node pruned (`storage.state_versions_kept`)", body = crate::problem::ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "more units or records than `api.max_audit_units` / `api.max_audit_records`", body = crate::problem::ProblemBody, content_type = "application/problem+json")
    )
)]
pub(crate) async fn package(
    State(api): Api,
    code: Result<Path<String>, PathRejection>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let code = match handlers::path_param(code).and_then(|c| handlers::parse_code(&c)) {
        Ok(c) => c,
        Err(p) => return p.into_response(),
    };
    let limits = PackageLimits {
        max_units: api.cfg.max_audit_units,
        max_records: api.cfg.max_audit_records,
    };
    let sources = api.package_sources.clone();
    let read = crate::read(
        api,
        method,
        uri,
        headers,
        axum::body::Bytes::new(),
        move |ctx| build(ctx, &code, sources.as_deref(), limits),
    )
    .await;
    match read {
        Ok((height, bytes)) => {
            let mut r = bytes.into_response();
            let h = r.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/x-tar"),
            );
            if let Ok(v) =
                HeaderValue::from_str(&format!("attachment; filename=\"audit-{height}.tar\""))
            {
                h.insert(header::CONTENT_DISPOSITION, v);
            }
            h.insert(crate::HEIGHT_HEADER, HeaderValue::from(height));
            r
        }
        Err(p) => p.into_response(),
    }
}

// ---------------------------------------------------------------------------------------------
// Offline verification.

/// Why a package does not verify: the file and the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuditFailure {
    /// The container (tar, BagIt manifests, file hashes).
    #[error("{0}")]
    Bag(#[from] bag::BagError),
    /// A file does not decode.
    #[error("{file}: does not decode: {reason}")]
    Malformed {
        /// The file.
        file: &'static str,
        /// Why.
        reason: String,
    },
    /// A proof does not hold.
    #[error("{file}: {failure}")]
    Proof {
        /// The file.
        file: &'static str,
        /// The failure.
        failure: ProofFailure,
    },
    /// The package contradicts itself or its proofs.
    #[error("{file}: {reason}")]
    Inconsistent {
        /// The file.
        file: &'static str,
        /// Why.
        reason: String,
    },
}

/// What a verified package proves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuditReport {
    /// The batch.
    pub batch: String,
    /// The height read at, its block hash and state root (certified).
    pub read_at: ReadAt,
    /// Units covered and proven complete: (code, relation, records).
    pub units: Vec<(String, String, u64)>,
    /// Units left out, with why.
    pub not_included: Vec<Omitted>,
    /// Whether the upstream walk stopped at its bound.
    pub lineage_truncated: bool,
    /// Records verified.
    pub records: usize,
    /// Records per category.
    pub categories: BTreeMap<String, usize>,
    /// Document anchors proven: (hash, issuer, competent, revoked, valid until ms).
    pub documents: Vec<Value>,
    /// Recalls reaching the batch, proven.
    pub recalls: Vec<Value>,
    /// Validator sets followed: (first height, set hash).
    pub validator_sets: Vec<(u64, Hash)>,
    /// EPCIS originals checked.
    pub epcis_events: usize,
    /// EPCIS originals the package says its node did not hold.
    pub epcis_missing: usize,
    /// Certified headers checked.
    pub headers: usize,
}

fn malformed(file: &'static str) -> impl Fn(serde_json::Error) -> AuditFailure {
    move |e| AuditFailure::Malformed {
        file,
        reason: e.to_string(),
    }
}

fn inconsistent(file: &'static str, reason: impl Into<String>) -> AuditFailure {
    AuditFailure::Inconsistent {
        file,
        reason: reason.into(),
    }
}

/// The validator sets in force by first height, followed from genesis.
struct Sets {
    chain: tracechain_types::ChainId,
    by_height: Vec<(u64, ValidatorSet)>,
}

impl Sets {
    /// Trust the set in force at `height` only.
    fn at(&self, height: u64) -> Trust {
        let set = self
            .by_height
            .iter()
            .rev()
            .find(|(from, _)| *from <= height)
            .map(|(_, s)| s.clone())
            .into_iter()
            .collect();
        Trust {
            chain_id: self.chain.clone(),
            validator_sets: set,
            periods: Vec::new(),
        }
    }
}

/// Verify an audit package offline, trusting only `genesis` (the chain and its first
/// validators, from the genesis file the auditor holds): the bag and every file hash, the
/// validator-set changes (each proven by the set before it, their number proven at the read
/// height), every header certified by the set in force at its height, every record's
/// inclusion, each unit's registration and the completeness of its listing, every document
/// anchor and recall, every EPCIS original's SHA-256 against the capture that bound it.
pub fn verify(
    bytes: &[u8],
    genesis: &Trust,
    max_bytes: usize,
    max_files: usize,
) -> Result<AuditReport, AuditFailure> {
    let b = bag::read(bytes, max_bytes, max_files)?;
    let file = |name: &'static str| {
        b.payload
            .get(name)
            .ok_or_else(|| inconsistent(name, "missing from the package"))
    };
    let info: PackageInfo =
        serde_json::from_slice(file("package.json")?).map_err(malformed("package.json"))?;
    if info.format != FORMAT {
        return Err(inconsistent(
            "package.json",
            format!("format {:?} is not {FORMAT}", info.format),
        ));
    }
    let chain: ChainFile =
        serde_json::from_slice(file("chain.json")?).map_err(malformed("chain.json"))?;
    let records: Vec<RecordEntry> =
        serde_json::from_slice(file("records.json")?).map_err(malformed("records.json"))?;
    let facts: FactsFile =
        serde_json::from_slice(file("facts.json")?).map_err(malformed("facts.json"))?;
    let transactions: BTreeMap<String, String> = serde_json::from_slice(file("transactions.json")?)
        .map_err(malformed("transactions.json"))?;
    let [genesis_set] = genesis.validator_sets.as_slice() else {
        return Err(inconsistent(
            "genesis",
            "the trusted genesis names one validator set",
        ));
    };
    let base = &chain.headers;
    let read_h = info.read_at.height;
    // The validator sets, from genesis: each change proven at a height certified by the set
    // in force there, before it takes effect.
    let mut sets = Sets {
        chain: genesis.chain_id.clone(),
        by_height: vec![(1, genesis_set.clone())],
    };
    for c in &chain.validator_set_changes {
        let last = sets.by_height.last().map_or(1, |(h, _)| *h);
        if c.effective_height <= last || c.effective_height > read_h + validators::ACTIVATION_DELAY
        {
            return Err(inconsistent(
                "chain.json",
                format!(
                    "validator-set change at {} is out of order",
                    c.effective_height
                ),
            ));
        }
        if c.proof.height >= c.effective_height {
            return Err(inconsistent(
                "chain.json",
                format!(
                    "the change taking effect at {} is proven at {}, not before it",
                    c.effective_height, c.proof.height
                ),
            ));
        }
        let key = validators::history_key(c.effective_height);
        let v = proof::verify_fact(base, &sets.at(c.proof.height), &key, &c.proof).map_err(
            |failure| AuditFailure::Proof {
                file: "chain.json",
                failure,
            },
        )?;
        if v.as_deref() != Some(tracechain_types::encode(&c.set).as_slice()) {
            return Err(inconsistent(
                "chain.json",
                format!(
                    "the set taking effect at {} is not the one the chain decided",
                    c.effective_height
                ),
            ));
        }
        sets.by_height.push((c.effective_height, c.set.clone()));
    }
    // The read height is certified, and every fact is proven there.
    let read_header = base
        .certified(&sets.at(read_h), read_h)
        .map_err(|failure| AuditFailure::Proof {
            file: "chain.json",
            failure,
        })?;
    if read_header.header.hash() != info.read_at.block_hash
        || read_header.header.state_root != info.read_at.state_root
        || read_header.header.timestamp_ms != info.read_at.block_time_ms
    {
        return Err(inconsistent(
            "package.json",
            "read_at is not the certified header of its height",
        ));
    }
    let at_read = |file: &'static str, key: &[u8], p: &FactProof| {
        if p.height != read_h {
            return Err(inconsistent(
                file,
                format!(
                    "the fact {} is proven at {}, not at the read height {read_h}",
                    p.key, p.height
                ),
            ));
        }
        proof::verify_fact(base, &sets.at(read_h), key, p)
            .map_err(|failure| AuditFailure::Proof { file, failure })
    };
    let count: u64 = match at_read("chain.json", &validators::count_key(), &chain.change_count)? {
        None => 0,
        Some(v) => {
            decode(&v, 64).map_err(|e| inconsistent("chain.json", format!("val/count: {e}")))?
        }
    };
    let changes_decided = chain
        .validator_set_changes
        .iter()
        .filter(|c| c.proof.height <= read_h)
        .count() as u64;
    if count != changes_decided {
        return Err(inconsistent("chain.json", format!("the chain decided {count} validator-set changes by the read height; the package shows {changes_decided}")));
    }
    // Every header in the package is certified by the set in force at its height.
    for h in base.headers.keys() {
        base.certified(&sets.at(*h), *h)
            .map_err(|failure| AuditFailure::Proof {
                file: "chain.json",
                failure,
            })?;
    }
    // Units: registered, and their listing digests.
    if info.units.first().map(|u| (&u.code, u.relation.as_str())) != Some((&info.batch, "batch")) {
        return Err(inconsistent(
            "package.json",
            "the first unit is not the batch",
        ));
    }
    if info.lineage_truncated {
        return Err(inconsistent(
            "package.json",
            "the upstream lineage was cut: the package is not complete",
        ));
    }
    let mut digests: BTreeMap<&str, ListingDigest> = BTreeMap::new();
    // Each unit's batch, for an item (its registration says).
    let mut batch_of: BTreeMap<&str, Option<String>> = BTreeMap::new();
    for (i, u) in info.units.iter().enumerate() {
        let relation = if i == 0 { "batch" } else { "upstream" };
        if u.relation != relation {
            return Err(inconsistent(
                "package.json",
                format!(
                    "unit {} is said to be {:?}, not {relation:?}",
                    u.code, u.relation
                ),
            ));
        }
        let tc = handlers::parse_code(&u.code).map_err(|_| {
            inconsistent(
                "package.json",
                format!("unit {:?} is not a trace code", u.code),
            )
        })?;
        let n = NormalisedCode::new("code", &tc)
            .ok()
            .filter(|n| n.as_str() == u.code)
            .ok_or_else(|| {
                inconsistent(
                    "package.json",
                    format!("unit {:?} is not normalised", u.code),
                )
            })?;
        if i == 0 && !matches!(tc, TraceCode::Batch { .. }) {
            return Err(inconsistent(
                "package.json",
                format!("{} is not a batch", u.code),
            ));
        }
        let Some(reg) = at_read("package.json", &state_keys::trace_unit(&n), &u.registration)?
        else {
            return Err(inconsistent(
                "package.json",
                format!("unit {} is proven not registered", u.code),
            ));
        };
        let unit: tracechain_contracts::trace::TraceUnit = decode(&reg, MAX_FACT_VALUE_BYTES)
            .map_err(|e| inconsistent("package.json", format!("unit {}: {e}", u.code)))?;
        batch_of.insert(&u.code, unit.batch.as_ref().map(handlers::code_text));
        let d = match at_read("package.json", &state_keys::unit_digest(&n), &u.listing)? {
            None => ListingDigest::EMPTY,
            Some(v) => decode(&v, 64)
                .map_err(|e| inconsistent("package.json", format!("listing of {}: {e}", u.code)))?,
        };
        if d.count != u.records {
            return Err(inconsistent(
                "package.json",
                format!(
                    "unit {} says {} records; its proven listing holds {}",
                    u.code, u.records, d.count
                ),
            ));
        }
        if digests.insert(&u.code, d).is_some() {
            return Err(inconsistent(
                "package.json",
                format!("unit {} is listed twice", u.code),
            ));
        }
    }
    // Records: included, and what the package says of each is what was signed.
    // Per unit: ((height, index, item), record id) of the records listed under it.
    type Positioned = ((u64, u32, u32), Hash);
    let mut listed: BTreeMap<&str, Vec<Positioned>> = BTreeMap::new();
    let mut categories = BTreeMap::new();
    let mut originals: BTreeSet<Hash> = BTreeSet::new();
    let mut ids = BTreeSet::new();
    // (inputs, outputs) of every transformation among the records, normalised.
    let mut transformations: Vec<(Vec<String>, Vec<String>)> = Vec::new();
    for (i, r) in records.iter().enumerate() {
        let bad = |why: String| {
            inconsistent(
                "records.json",
                format!("record {i} ({}): {why}", r.record_id),
            )
        };
        let mut p = r.proof.clone();
        p.tx = transactions
            .get(&r.carrier.to_hex())
            .cloned()
            .ok_or_else(|| bad("its transaction is not in transactions.json".into()))?;
        let tx = proof::verify_record(base, &sets.at(p.height), &p).map_err(|failure| {
            AuditFailure::Proof {
                file: "records.json",
                failure,
            }
        })?;
        if p.record_id != r.record_id || !ids.insert(r.record_id) {
            return Err(bad(
                "its id is not its proof's, or it is listed twice".into()
            ));
        }
        // How it was written: a transaction of its own, or an item of its carrier.
        let source_ok = tx.id() == r.carrier
            && match (p.bulk_item, &tx.body.payload) {
                (None, _) => r.carrier == r.record_id && r.source == json!("transaction"),
                (
                    Some(item),
                    Payload::ClosedLoop(tracechain_types::ClosedLoopRecord::BulkImport(_)),
                ) => r.source == json!({"bulk_import": r.carrier.to_hex(), "item": item}),
                (Some(item), Payload::Epcis(tracechain_types::EpcisRecord::EpcisCapture(_))) => {
                    r.source == json!({"epcis_capture": r.carrier.to_hex(), "item": item})
                }
                _ => false,
            };
        if !source_ok {
            return Err(bad("its source is not how the chain holds it".into()));
        }
        let signed = match r.proof.bulk_item {
            None => tx.body.payload.clone(),
            Some(item) => tracechain_contracts::carried_item(&tx.body.payload, &tx.id(), item)
                .map(|(_, p)| p)
                .ok_or_else(|| bad("no such item".into()))?,
        };
        let header = &base.headers[&r.proof.height].header;
        if r.signer != tx.body.signer
            || r.height != r.proof.height
            || r.timestamp_ms != header.timestamp_ms
            || serde_json::to_value(&signed).ok().as_ref() != Some(&r.payload)
        {
            return Err(bad(
                "its signer, height, time or payload is not the signed transaction's".into(),
            ));
        }
        if let (Some(item), Payload::Epcis(tracechain_types::EpcisRecord::EpcisCapture(c))) =
            (r.proof.bulk_item, &tx.body.payload)
        {
            if let Some(o) = c.originals.get(item as usize) {
                originals.insert(*o);
            }
        }
        if r.listed_under.is_empty() {
            return Err(bad("it is listed under no unit".into()));
        }
        for u in &r.listed_under {
            if !digests.contains_key(u.as_str()) {
                return Err(bad(format!(
                    "it is listed under {u}, which is not a unit of the package"
                )));
            }
            listed.entry(u.as_str()).or_default().push((
                (
                    r.proof.height,
                    r.proof.index,
                    r.proof.bulk_item.unwrap_or(0),
                ),
                r.record_id,
            ));
        }
        if let Payload::Lineage(LineageRecord::Transformation(t)) = &signed {
            let norm = |codes: &[TraceCode]| -> Vec<String> {
                codes.iter().map(handlers::code_text).collect()
            };
            transformations.push((norm(&t.inputs), norm(&t.outputs)));
        }
        // Counted by the kind of the signed payload (the category is the node's label).
        *categories
            .entry(format!(
                "{}/{}",
                r.payload["family"].as_str().unwrap_or("?"),
                r.payload["kind"].as_str().unwrap_or("?")
            ))
            .or_insert(0) += 1;
    }
    if records.len() != info.records {
        return Err(inconsistent(
            "package.json",
            format!(
                "says {} records; records.json holds {}",
                info.records,
                records.len()
            ),
        ));
    }
    // Completeness: each unit's records, in chain order, are exactly its proven listing.
    for (code, d) in &digests {
        let mut rs = listed.remove(*code).unwrap_or_default();
        rs.sort();
        d.check(rs.iter().map(|(_, id)| id))
            .map_err(|e| inconsistent("records.json", format!("unit {code}: {e}")))?;
    }
    // The units are the batch and everything upstream of it: whatever a unit of the package
    // was made from (a transformation among its proven-complete records) and, for an item,
    // its batch, is a unit of the package or named as left out; nothing else is.
    let mut reach: BTreeSet<String> = BTreeSet::new();
    let mut queue = vec![info.batch.clone()];
    reach.insert(info.batch.clone());
    let left_out: BTreeSet<&str> = info.not_included.iter().map(|o| o.code.as_str()).collect();
    while let Some(u) = queue.pop() {
        if left_out.contains(u.as_str()) {
            continue;
        }
        let mut from: Vec<String> = transformations
            .iter()
            .filter(|(_, outs)| outs.contains(&u))
            .flat_map(|(ins, _)| ins.iter().cloned())
            .collect();
        from.extend(batch_of.get(u.as_str()).cloned().flatten());
        for f in from {
            if reach.insert(f.clone()) {
                queue.push(f);
            }
        }
    }
    for u in &reach {
        if *u != info.batch && !digests.contains_key(u.as_str()) && !left_out.contains(u.as_str()) {
            return Err(inconsistent(
                "package.json",
                format!("{u} is upstream of the batch, yet neither in the package nor named as left out"),
            ));
        }
    }
    for code in digests.keys().copied().chain(left_out.iter().copied()) {
        if !reach.contains(code) {
            return Err(inconsistent(
                "package.json",
                format!("{code} is not upstream of the batch"),
            ));
        }
    }
    if info.reader_role == "regulator" && !info.not_included.is_empty() {
        return Err(inconsistent(
            "package.json",
            "a regulator's package leaves units out (regulators read every unit, R-A5)",
        ));
    }
    if left_out.len() != info.not_included.len() || left_out.iter().any(|c| digests.contains_key(c))
    {
        return Err(inconsistent(
            "package.json",
            "a unit is left out twice, or both included and left out",
        ));
    }
    // Documents and recalls, as they stand at the read height: every anchor and recall among
    // the records has its fact (a revocation cannot be hidden by leaving the fact out).
    for r in &records {
        let wanted = match serde_json::from_value::<Payload>(r.payload.clone()) {
            Ok(Payload::Document(tracechain_types::DocumentRecord::DocumentAnchor(a))) => facts
                .documents
                .iter()
                .any(|d| d.document_hash == a.document_hash && d.issuer == r.signer)
                .then_some(())
                .ok_or_else(|| {
                    format!(
                        "document {} anchored by record {}",
                        a.document_hash, r.record_id
                    )
                }),
            Ok(Payload::Recall(tracechain_types::RecallRecord::Recall(rc))) => facts
                .recalls
                .iter()
                .any(|f| f.recall_ref == rc.recall_ref && f.issuer == r.signer)
                .then_some(())
                .ok_or_else(|| {
                    format!("recall {} issued by record {}", rc.recall_ref, r.record_id)
                }),
            _ => Ok(()),
        };
        if let Err(what) = wanted {
            return Err(inconsistent(
                "facts.json",
                format!("{what} has no proven fact"),
            ));
        }
    }
    let mut documents_out = Vec::new();
    for d in &facts.documents {
        let v = at_read(
            "facts.json",
            &documents::document_key(&d.document_hash, &d.issuer),
            &d.proof,
        )?
        .ok_or_else(|| {
            inconsistent(
                "facts.json",
                format!(
                    "document {} by {} is proven not anchored",
                    d.document_hash, d.issuer
                ),
            )
        })?;
        let a: AnchoredDocument = decode(&v, MAX_FACT_VALUE_BYTES).map_err(|e| {
            inconsistent("facts.json", format!("document {}: {e}", d.document_hash))
        })?;
        documents_out.push(json!({
            "document_hash": a.document_hash.to_hex(),
            "issuer": a.issuer.to_hex(),
            "type": format!("{:?}", a.document_type),
            "competent": a.competent,
            "anchored_height": a.height,
            "valid_until_ms": a.valid_until_ms,
            "revoked": a.revoked.as_ref().map(|r| r.height),
        }));
    }
    let mut recalls_out = Vec::new();
    for r in &facts.recalls {
        let v = at_read(
            "facts.json",
            &recall::recall_key(&r.issuer, &r.recall_ref),
            &r.proof,
        )?
        .ok_or_else(|| {
            inconsistent(
                "facts.json",
                format!("recall {} is proven not issued", r.recall_ref),
            )
        })?;
        let ir: IssuedRecall = decode(&v, MAX_FACT_VALUE_BYTES)
            .map_err(|e| inconsistent("facts.json", format!("recall {}: {e}", r.recall_ref)))?;
        recalls_out.push(json!({
            "issuer": ir.issuer.to_hex(),
            "reference": ir.recall_ref,
            "batch": handlers::code_text(&ir.batch),
            "reason": ir.reason,
            "height": ir.height,
        }));
    }
    // EPCIS originals: named by their SHA-256, bound by a capture in the package; every bound
    // original is in the package or named as not held by the node, never both.
    let mut held: BTreeSet<Hash> = BTreeSet::new();
    let mut epcis = 0;
    for (path, bytes) in &b.payload {
        let Some(name) = path.strip_prefix("epcis/") else {
            if ![
                "package.json",
                "chain.json",
                "records.json",
                "transactions.json",
                "facts.json",
                "genesis.toml",
            ]
            .contains(&path.as_str())
            {
                return Err(inconsistent(
                    "package.json",
                    format!("data/{path} is not a file of the format"),
                ));
            }
            continue;
        };
        let h: Hash = name
            .strip_suffix(".json")
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| {
                inconsistent(
                    "package.json",
                    format!("data/{path} is not named by a SHA-256"),
                )
            })?;
        if Hash::digest(bytes) != h {
            return Err(inconsistent(
                "package.json",
                format!("data/{path} does not hash to its name"),
            ));
        }
        if !originals.contains(&h) {
            return Err(inconsistent(
                "package.json",
                format!("data/{path} is the original of no captured event in the package"),
            ));
        }
        held.insert(h);
        epcis += 1;
    }
    let mut missing: BTreeSet<Hash> = BTreeSet::new();
    for m in &info.epcis_missing {
        let h: Hash = m.parse().map_err(|_| {
            inconsistent(
                "package.json",
                format!("epcis_missing {m:?} is not a SHA-256"),
            )
        })?;
        if held.contains(&h) || !originals.contains(&h) || !missing.insert(h) {
            return Err(inconsistent(
                "package.json",
                format!(
                    "epcis_missing names {m}, which is held, bound by no capture, or named twice"
                ),
            ));
        }
    }
    if let Some(o) = originals
        .iter()
        .find(|o| !held.contains(o) && !missing.contains(o))
    {
        return Err(inconsistent(
            "package.json",
            format!("the original {o} of a captured event is neither in the package nor named as missing"),
        ));
    }
    if epcis != info.epcis_events {
        return Err(inconsistent(
            "package.json",
            format!(
                "says {} EPCIS originals; the package holds {epcis}",
                info.epcis_events
            ),
        ));
    }
    Ok(AuditReport {
        batch: info.batch,
        read_at: info.read_at,
        units: info
            .units
            .iter()
            .map(|u| (u.code.clone(), u.relation.clone(), u.records))
            .collect(),
        not_included: info.not_included,
        lineage_truncated: info.lineage_truncated,
        records: records.len(),
        categories,
        documents: documents_out,
        recalls: recalls_out,
        validator_sets: sets.by_height.iter().map(|(h, s)| (*h, s.hash())).collect(),
        epcis_events: epcis,
        epcis_missing: info.epcis_missing.len(),
        headers: base.headers.len(),
    })
}

/// The node's sources of a package (its genesis file and EPCIS originals), shared by handlers.
pub(crate) type Sources = Option<Arc<dyn PackageSources>>;
