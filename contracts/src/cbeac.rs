//! Alliance-chain business (CBEAC, R-B2–R-B5): filing with parallel approval, export
//! declaration with parallel approval over the linked CBETC records, self-declared manual
//! imports, and every decision with its reason as a ledger record.
//!
//! **Parallel approval.** A filing or declaration names the departments whose approval it
//! needs (always including the chain's required ones, [`crate::ChainParams`]). Each department — the
//! agency of a regulator participant — decides once, in any order. The object is in force /
//! approved when every required department approved; one rejection closes it as rejected
//! (the enterprise files or declares again under a new reference). Each decision is stored
//! with who, when and why (R-B5) and is readable by the enterprise ([`declaration_status`],
//! [`filing_status`]: one-stop status, R-B3).
//!
//! **Linked records (R-B3).** A declaration names trace units and the references of their
//! electronic orders (R-T1 `order_ref`), electronic waybills (R-L2 `waybill`) and payment
//! receipts (R-T2 `receipt_ref`). Each reference must be found on a record of one of the
//! declared units (the `tref/` index that `info_blocks` writes for every record carrying one). The
//! declaration stores the references only: the records carrying them, at or below the
//! declaration's height, are what the departments approve, listed page by page by
//! [`linked_records`]. Copying their ids into the declaration made its value grow with other
//! writers' records past what any validator can read back (R-D4).
//!
//! Key layout: `fil/{enterprise}/{ref}` → [`FilingState`]; `fil/ok/{enterprise}` → `i64` the
//! latest end of validity of its approved filings (in force while later than the block's
//! time); `exd/{enterprise}/{ref}` → [`DeclarationState`].

use std::collections::BTreeMap;

use borsh::{BorshDeserialize, BorshSerialize};
use tracechain_types::records::{
    Agency, DeclarationDecision, ExportDeclaration, Filing, FilingDecision, ManualImport,
    ParticipantCategory, TraceCode, Verdict,
};
use tracechain_types::{Category, Hash, PublicKey};

use crate::context::TxEnv;
use crate::error::{ContractError, ErrorCode, Problem};
use crate::index_tags::IndexTag;
use crate::info_blocks::{self, StoreAs};
use crate::rules::Rule;
use crate::state::{decode_stored, StateView};
use crate::state_keys;
use crate::trace::check_record_codes;
use crate::trace_codes::NormalisedCode;
use crate::validate::{FieldChecker, MAX_LIST_ITEMS};

/// Most departments one filing or declaration names (there are six agencies).
pub const MAX_DEPARTMENTS: usize = 6;
/// Most references of each kind in one declaration.
pub const MAX_REFS: usize = MAX_LIST_ITEMS;

/// Status of a filing or declaration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum ApprovalStatus {
    /// Waiting for at least one required department.
    Pending,
    /// Every required department approved (filing in force / declaration approved).
    Approved,
    /// A department rejected it.
    Rejected,
}

/// One department's decision (R-B5).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Decision {
    /// Approve or reject.
    pub verdict: Verdict,
    /// Why.
    pub reason: String,
    /// The regulator participant that decided.
    pub by: PublicKey,
    /// Height.
    pub height: u64,
    /// Block time (Unix ms).
    pub timestamp_ms: u64,
    /// The decision's transaction.
    pub tx_id: Hash,
}

/// A filing (`fil/{enterprise}/{ref}`).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct FilingState {
    /// Hash of the filed enterprise record.
    pub document: Hash,
    /// Required departments (sorted).
    pub departments: Vec<Agency>,
    /// Decisions so far.
    pub decisions: BTreeMap<Agency, Decision>,
    /// Status.
    pub status: ApprovalStatus,
    /// Filing height.
    pub height: u64,
    /// Filing transaction.
    pub tx_id: Hash,
    /// End of validity (Unix ms).
    pub valid_until_ms: i64,
}

/// A reference a declaration links (R-B3). The records carrying it are not copied into the
/// declaration (their number is not bounded by the declaration; a copy made one stored value
/// grow with the records of other writers): they are read from the `tref/` index of the
/// declared units at or below the declaration's height, page by page, with
/// [`linked_records`].
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct LinkedReference {
    /// The reference as declared.
    pub reference: String,
    /// The category tag of the records carrying it (`T1`, `L2`, `T2`).
    pub category: String,
}

/// An export declaration (`exd/{enterprise}/{ref}`).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct DeclarationState {
    /// Units declared (normalised).
    pub trace_codes: Vec<TraceCode>,
    /// Linked references (orders, waybills, receipts), each carried by at least one record
    /// of a declared unit when declared; the records: [`linked_records`].
    pub linked: Vec<LinkedReference>,
    /// Required departments (sorted).
    pub departments: Vec<Agency>,
    /// Decisions so far.
    pub decisions: BTreeMap<Agency, Decision>,
    /// Status.
    pub status: ApprovalStatus,
    /// Height.
    pub height: u64,
    /// Transaction.
    pub tx_id: Hash,
}

fn filing_key(enterprise: &PublicKey, r: &str) -> Vec<u8> {
    state_keys::key("fil/", &[&enterprise.0, r.as_bytes()])
}

/// `fil/ok/{enterprise}`: the latest end of validity (Unix ms, `i64`) of its approved filings.
pub fn in_force_key(enterprise: &PublicKey) -> Vec<u8> {
    state_keys::key("fil/ok/", &[&enterprise.0])
}

fn declaration_key(enterprise: &PublicKey, r: &str) -> Vec<u8> {
    state_keys::key("exd/", &[&enterprise.0, r.as_bytes()])
}

/// Check a department list: no duplicates, at most [`MAX_DEPARTMENTS`], every required one
/// present. Returns the sorted union.
fn departments(c: &mut FieldChecker, given: &[Agency], required: &[Agency]) -> Vec<Agency> {
    let mut out: Vec<Agency> = Vec::new();
    if given.len() > MAX_DEPARTMENTS {
        c.push(
            "departments",
            Problem::TooLong {
                max: MAX_DEPARTMENTS,
            },
        );
        return out;
    }
    for (i, a) in given.iter().enumerate() {
        if out.contains(a) {
            c.push(
                format!("departments[{i}]"),
                Problem::Duplicate(format!("{a:?}")),
            );
        } else {
            out.push(*a);
        }
    }
    for a in required {
        if !out.contains(a) {
            c.push(
                "departments",
                Problem::NotFound(format!("required department {a:?} is not named")),
            );
        }
    }
    out.sort();
    out
}

fn reason(c: &mut FieldChecker, r: &str) {
    c.text_value("reason", r, true);
}

/// The deciding regulator's agency.
fn agency(env: &TxEnv<'_>, rule: Rule) -> Result<Agency, ContractError> {
    match env.participant.as_ref().map(|p| p.registration.category) {
        Some(ParticipantCategory::Regulator(a)) => Ok(a),
        _ => Err(ContractError::one(
            rule,
            ErrorCode::NotPermitted,
            "signer",
            Problem::NotAllowed("decisions are taken by regulators".into()),
        )),
    }
}

/// The deciding department and its decision record, after the reason check (R-B5) and the
/// signer's agency (a regulator): shared by filing and declaration decisions.
fn department_decision(
    env: &TxEnv<'_>,
    verdict: Verdict,
    why: &str,
    rule: Rule,
) -> Result<(Agency, Decision), ContractError> {
    let mut c = FieldChecker::new();
    reason(&mut c, why);
    c.finish(Rule::RB5)?;
    let agency = agency(env, rule)?;
    Ok((
        agency,
        Decision {
            verdict,
            reason: why.to_string(),
            by: env.signer,
            height: env.ctx.height,
            timestamp_ms: env.ctx.timestamp_ms,
            tx_id: env.tx_id,
        },
    ))
}

fn decide(
    decisions: &mut BTreeMap<Agency, Decision>,
    status: &mut ApprovalStatus,
    departments: &[Agency],
    agency: Agency,
    decision: Decision,
    rule: Rule,
) -> Result<(), ContractError> {
    if !departments.contains(&agency) {
        return Err(ContractError::one(
            rule,
            ErrorCode::NotOwner,
            "verdict",
            Problem::NotAllowed(format!("department {agency:?} is not asked to decide")),
        ));
    }
    if *status != ApprovalStatus::Pending {
        return Err(ContractError::one(
            rule,
            ErrorCode::InvalidTransition,
            "verdict",
            Problem::NotAllowed(format!("already {status:?}")),
        ));
    }
    if decisions.contains_key(&agency) {
        return Err(ContractError::one(
            rule,
            ErrorCode::InvalidTransition,
            "verdict",
            Problem::Duplicate(format!("department {agency:?} has decided already")),
        ));
    }
    let verdict = decision.verdict;
    decisions.insert(agency, decision);
    *status = match verdict {
        Verdict::Reject => ApprovalStatus::Rejected,
        Verdict::Approve if departments.iter().all(|d| decisions.contains_key(d)) => {
            ApprovalStatus::Approved
        }
        Verdict::Approve => ApprovalStatus::Pending,
    };
    Ok(())
}

/// Filing (R-B2): an export enterprise (trade entity) files its enterprise record.
pub(crate) fn filing(env: &mut TxEnv<'_>, r: &Filing) -> Result<(), ContractError> {
    let mut c = FieldChecker::new();
    c.text_value("filing_ref", &r.filing_ref, true);
    if r.document == Hash::ZERO {
        c.push("document", Problem::Missing);
    }
    let valid_until_ms = match crate::validate::parse_date_or_time(&r.valid_until) {
        Ok(t) if t > i64::try_from(env.ctx.timestamp_ms).unwrap_or(i64::MAX) => t,
        Ok(_) => {
            c.push(
                "valid_until",
                Problem::OutOfRange("a filing must be valid after its block's time".into()),
            );
            0
        }
        Err(e) => {
            c.push(
                "valid_until",
                if r.valid_until.is_empty() {
                    Problem::Missing
                } else {
                    Problem::Malformed(format!("not an RFC 3339 date: {e}"))
                },
            );
            0
        }
    };
    let deps = departments(&mut c, &r.departments, &env.ctx.params.filing_departments);
    c.finish(Rule::RB2)?;
    let k = filing_key(&env.signer, &r.filing_ref);
    if env.state.get_ref(&k).is_some() {
        return Err(ContractError::one(
            Rule::RB2,
            ErrorCode::AlreadyExists,
            "filing_ref",
            Problem::Duplicate(r.filing_ref.clone()),
        ));
    }
    let status = if deps.is_empty() {
        ApprovalStatus::Approved
    } else {
        ApprovalStatus::Pending
    };
    if status == ApprovalStatus::Approved {
        extend_in_force(env, &env.signer.clone(), valid_until_ms);
    }
    env.state.put_value(
        k,
        &FilingState {
            document: r.document,
            departments: deps,
            decisions: BTreeMap::new(),
            status,
            height: env.ctx.height,
            tx_id: env.tx_id,
            valid_until_ms,
        },
    );
    env.store_record(IndexTag::Filing, &[]);
    Ok(())
}

/// FilingDecision (R-B2, R-B5): a department (regulator) approves or rejects, with a reason.
pub(crate) fn filing_decision(
    env: &mut TxEnv<'_>,
    r: &FilingDecision,
) -> Result<(), ContractError> {
    let (agency, d) = department_decision(env, r.verdict, &r.reason, Rule::RB2)?;
    let k = filing_key(&r.enterprise, &r.filing_ref);
    let Some(mut f) = env.state.get_value::<FilingState>(&k) else {
        return Err(ContractError::one(
            Rule::RB2,
            ErrorCode::NotFound,
            "filing_ref",
            Problem::NotFound("no such filing of this enterprise".into()),
        ));
    };
    decide(
        &mut f.decisions,
        &mut f.status,
        &f.departments,
        agency,
        d,
        Rule::RB2,
    )?;
    if f.status == ApprovalStatus::Approved {
        extend_in_force(env, &r.enterprise, f.valid_until_ms);
    }
    env.state.put_value(k, &f);
    env.store_record(IndexTag::FilingDecision, &[]);
    Ok(())
}

/// Record that an approved filing of `enterprise` is valid until `until_ms`
/// (`fil/ok/{enterprise}` keeps the latest end of validity of its approved filings).
fn extend_in_force(env: &mut TxEnv<'_>, enterprise: &PublicKey, until_ms: i64) {
    let k = in_force_key(enterprise);
    let current: Option<i64> = env.state.get_value(&k);
    if current.is_none_or(|c| c < until_ms) {
        env.state.put_value(k, &until_ms);
    }
}

/// Whether the enterprise has an approved filing valid at `at_ms` (R-B2, ADR 0045).
pub fn has_filing_in_force(state: &dyn StateView, enterprise: &PublicKey, at_ms: i64) -> bool {
    let k = in_force_key(enterprise);
    state
        .get_ref(&k)
        .is_some_and(|b| decode_stored::<i64>(&k, &b) > at_ms)
}

/// [`has_filing_in_force`] at the block's time, refused with R-B2 otherwise.
fn require_filing_in_force(env: &TxEnv<'_>, field: &str) -> Result<(), ContractError> {
    let now = i64::try_from(env.ctx.timestamp_ms).unwrap_or(i64::MAX);
    if has_filing_in_force(&env.state, &env.signer, now) {
        Ok(())
    } else {
        Err(ContractError::one(
            Rule::RB2,
            ErrorCode::InvalidTransition,
            field,
            Problem::NotAllowed(
                "the enterprise has no approved filing valid at this block's time (R-B2)".into(),
            ),
        ))
    }
}

/// Check that each reference is carried by a record of a declared unit (R-B3): one bounded
/// index lookup per (reference, unit), whatever the number of records.
fn link_refs(
    state: &dyn StateView,
    c: &mut FieldChecker,
    units: &[NormalisedCode],
    field: &str,
    refs: &[String],
    category: IndexTag,
    min: usize,
) -> Vec<LinkedReference> {
    let mut out: Vec<LinkedReference> = Vec::new();
    if !c.list(field, refs, min, MAX_REFS) {
        return out;
    }
    for (i, r) in refs.iter().enumerate() {
        let f = format!("{field}[{i}]");
        if !c.text_value(&f, r, true) {
            continue;
        }
        if out.iter().any(|l| &l.reference == r) {
            c.push(f, Problem::Duplicate(r.clone()));
            continue;
        }
        let carried = units.iter().any(|u| {
            !state
                .scan(&state_keys::unit_references_of(u, category, r), None, 1)
                .is_empty()
        });
        if carried {
            out.push(LinkedReference {
                reference: r.clone(),
                category: category.to_string(),
            });
        } else {
            c.push(
                f,
                Problem::NotFound(format!(
                    "no {category} record of the declared units carries {r:?}"
                )),
            );
        }
    }
    out
}

/// ExportDeclaration (R-B3): a trade entity with a filing in force declares units with their
/// order, waybill and receipt references (at least one order); every reference must be
/// carried by a record of a declared unit.
pub(crate) fn export_declaration(
    env: &mut TxEnv<'_>,
    r: &ExportDeclaration,
) -> Result<(), ContractError> {
    let mut c = FieldChecker::new();
    c.text_value("declaration_ref", &r.declaration_ref, true);
    let declared = check_record_codes(&env.state, &mut c, "trace_codes", &r.trace_codes);
    let units: Vec<NormalisedCode> = declared.iter().map(|(n, _)| n.clone()).collect();
    let mut linked = link_refs(
        &env.state,
        &mut c,
        &units,
        "order_refs",
        &r.order_refs,
        IndexTag::Info(Category::T1),
        1,
    );
    linked.extend(link_refs(
        &env.state,
        &mut c,
        &units,
        "waybill_refs",
        &r.waybill_refs,
        IndexTag::Info(Category::L2),
        0,
    ));
    linked.extend(link_refs(
        &env.state,
        &mut c,
        &units,
        "receipt_refs",
        &r.receipt_refs,
        IndexTag::Info(Category::T2),
        0,
    ));
    let deps = departments(
        &mut c,
        &r.departments,
        &env.ctx.params.declaration_departments,
    );
    c.finish(Rule::RB3)?;
    // ADR 0040: the declarer owns the goods or trades them (R-A6), and the goods pass the
    // same R-X3 gate as a customs declaration of them.
    info_blocks::check_units_of_signer(
        env,
        || "export declarations".into(),
        "trace_codes",
        &declared,
    )?;
    info_blocks::customs_gate(&env.state, &declared)?;
    require_filing_in_force(env, "declaration_ref")?;
    let k = declaration_key(&env.signer, &r.declaration_ref);
    if env.state.get_ref(&k).is_some() {
        return Err(ContractError::one(
            Rule::RB3,
            ErrorCode::AlreadyExists,
            "declaration_ref",
            Problem::Duplicate(r.declaration_ref.clone()),
        ));
    }
    let status = if deps.is_empty() {
        ApprovalStatus::Approved
    } else {
        ApprovalStatus::Pending
    };
    env.state.put_value(
        k,
        &DeclarationState {
            trace_codes: units.iter().map(|n| n.code().clone()).collect(),
            linked,
            departments: deps,
            decisions: BTreeMap::new(),
            status,
            height: env.ctx.height,
            tx_id: env.tx_id,
        },
    );
    env.store_record(IndexTag::Declaration, &units);
    Ok(())
}

/// DeclarationDecision (R-B3, R-B5).
pub(crate) fn declaration_decision(
    env: &mut TxEnv<'_>,
    r: &DeclarationDecision,
) -> Result<(), ContractError> {
    let (agency, dec) = department_decision(env, r.verdict, &r.reason, Rule::RB3)?;
    let k = declaration_key(&r.enterprise, &r.declaration_ref);
    let Some(mut d) = env.state.get_value::<DeclarationState>(&k) else {
        return Err(ContractError::one(
            Rule::RB3,
            ErrorCode::NotFound,
            "declaration_ref",
            Problem::NotFound("no such declaration of this enterprise".into()),
        ));
    };
    decide(
        &mut d.decisions,
        &mut d.status,
        &d.departments,
        agency,
        dec,
        Rule::RB3,
    )?;
    let codes: Vec<NormalisedCode> = d
        .trace_codes
        .iter()
        .filter_map(|c| NormalisedCode::new("code", c).ok())
        .collect();
    env.state.put_value(k, &d);
    env.store_record(IndexTag::Declaration, &codes);
    Ok(())
}

/// The categories an exporter may self-declare (R-B4): logistics records CBETC nodes do not
/// carry — overseas transport, warehousing, clearance and delivery, delivery exceptions.
pub const SELF_DECLARED_CATEGORIES: [Category; 4] =
    [Category::L2, Category::L3, Category::L4, Category::L5];

/// ManualImport (R-B4): the domestic exporter imports a logistics record CBETC nodes do not
/// carry (overseas transport, warehousing, clearance and delivery, exceptions). The exporter
/// has a filing in force (R-B2) and exports the units (it registered them or trades with
/// their registrant, R-A6; ADR 0045). The record runs the full R-X1 validation of its
/// category and is stored as the manual import it is (so marked self-declared,
/// [`RecordEnvelope::self_declared`](crate::RecordEnvelope::self_declared)).
pub(crate) fn manual_import(env: &mut TxEnv<'_>, r: &ManualImport) -> Result<(), ContractError> {
    require_filing_in_force(env, "record")?;
    if !SELF_DECLARED_CATEGORIES.contains(&r.record.category()) {
        return Err(ContractError::one(
            Rule::RB4,
            ErrorCode::MalformedItem,
            "record.kind",
            Problem::NotAllowed(format!(
                "{} records are not self-declared (R-B4: overseas logistics records \
                 {SELF_DECLARED_CATEGORIES:?})",
                r.record.category().code()
            )),
        ));
    }
    let mut codes = FieldChecker::new();
    let units = check_record_codes(
        &env.state,
        &mut codes,
        "record.trace_codes",
        r.record.trace_codes(),
    );
    info_blocks::check_units_of_signer(
        env,
        || "self-declared logistics records".into(),
        "record.trace_codes",
        &units,
    )?;
    info_blocks::execute(env, &r.record, StoreAs::Transaction).map_err(|mut e| {
        for p in &mut e.problems {
            p.field = format!("record.{}", p.field);
        }
        e
    })
}

// ------------------------------------------------------------------------------ read side

/// A filing's status (visible to the enterprise and regulators).
pub fn filing_status(
    state: &dyn StateView,
    enterprise: &PublicKey,
    filing_ref: &str,
) -> Option<FilingState> {
    let k = filing_key(enterprise, filing_ref);
    state.get_ref(&k).map(|b| decode_stored(&k, &b))
}

/// A declaration's status with its linked records and decisions (R-B3 one-stop status).
pub fn declaration_status(
    state: &dyn StateView,
    enterprise: &PublicKey,
    declaration_ref: &str,
) -> Option<DeclarationState> {
    let k = declaration_key(enterprise, declaration_ref);
    state.get_ref(&k).map(|b| decode_stored(&k, &b))
}

/// Where a page of [`linked_records`] stopped: the declared unit (index into
/// [`DeclarationState::trace_codes`]) and the last index key returned under it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkedCursor {
    /// Index of the declared unit being listed.
    pub unit: usize,
    /// The last `tref/` key returned for that unit (`None`: from its first).
    pub after: Option<Vec<u8>>,
}

/// One page of the records a declared reference links.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkedPage {
    /// Transaction ids, unit by unit in declaration order, then in (height, tx id) order; a
    /// record carrying the reference for several declared units appears once per unit.
    pub tx_ids: Vec<Hash>,
    /// Where the next page starts; `None` when every record was listed.
    pub next: Option<LinkedCursor>,
}

/// The records of the declared units that carry the declaration's `linked[index]` reference,
/// written at or below the declaration's height: exactly what the departments were asked to
/// approve (R-B3). Paged: at most `limit` ids (at least one) per call, continue from `next`.
/// An index outside `linked` gives an empty, complete page.
pub fn linked_records(
    state: &dyn StateView,
    declaration: &DeclarationState,
    index: usize,
    from: Option<&LinkedCursor>,
    limit: usize,
) -> LinkedPage {
    let limit = limit.max(1);
    let mut page = LinkedPage {
        tx_ids: Vec::new(),
        next: None,
    };
    let Some(link) = declaration.linked.get(index) else {
        return page;
    };
    let start = from.map_or(0, |c| c.unit);
    for (u, code) in declaration.trace_codes.iter().enumerate().skip(start) {
        let Ok(n) = NormalisedCode::new("code", code) else {
            continue;
        };
        // Stored from an `IndexTag` (T1, L2, T2), so it always parses.
        let Ok(tag) = link.category.parse::<IndexTag>() else {
            continue;
        };
        let prefix = state_keys::unit_references_of(&n, tag, &link.reference);
        let mut after = from.filter(|c| c.unit == u).and_then(|c| c.after.clone());
        loop {
            let room = limit - page.tx_ids.len();
            // One more than fits tells whether the page must stop inside this unit.
            let entries = state.scan(&prefix, after.as_deref(), room + 1);
            let mut unit_done = entries.len() <= room;
            for (k, _) in entries.into_iter().take(room + 1) {
                let Some((height, id)) = state_keys::last_part(&k).and_then(|p| height_and_id(&p))
                else {
                    after = Some(k);
                    continue;
                };
                if height > declaration.height {
                    // Keys are in height order: nothing later under this unit was declared.
                    unit_done = true;
                    break;
                }
                if page.tx_ids.len() == limit {
                    page.next = Some(LinkedCursor { unit: u, after });
                    return page;
                }
                page.tx_ids.push(id);
                after = Some(k);
            }
            if unit_done {
                break;
            }
        }
    }
    page
}

fn height_and_id(last: &[u8]) -> Option<(u64, Hash)> {
    let height = u64::from_be_bytes(last.get(..8)?.try_into().ok()?);
    let id: [u8; 32] = last.get(8..40)?.try_into().ok()?;
    Some((height, Hash(id)))
}

/// Departments still to decide on a filing or declaration.
pub fn awaiting(departments: &[Agency], decisions: &BTreeMap<Agency, Decision>) -> Vec<Agency> {
    departments
        .iter()
        .filter(|d| !decisions.contains_key(d))
        .copied()
        .collect()
}
