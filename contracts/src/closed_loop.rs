//! Closed loop of order, goods and funds (R-Q1–R-Q3).
//!
//! * **R-Q1.** An enterprise signs a [`LinkAuthorisation`] for a grantee: a trading platform
//!   (marketplace business) or a cross-border payment institution (independent-site
//!   business). Only a grantee with a live authorisation of the matching scope may link a
//!   payment receipt to one of the enterprise's orders; without it the link is refused
//!   (`E_NOT_AUTHORISED`). An authorisation lapses after `valid_until_height` or when the
//!   enterprise withdraws it.
//! * **R-Q2** ([`order_status`]): order, logistics, receipt and customs declaration of one
//!   order are matched: matched, mismatched (with reasons) or incomplete (what is missing).
//! * **R-Q3** (`bulk_import`): orders and logistics records from a trading platform in one
//!   signed transaction, each record validated exactly as if submitted alone (R-X1, R-X4),
//!   all or nothing. Record `i` is stored under the derived id
//!   `Hash::tagged("tracechain/bulk-record/v1", [tx id, i as u32 BE])` so each has its own
//!   envelope and index entries.
//!
//! Which order and receipt a link names: the order is `ord/{enterprise}/{ref}` (orders the
//! enterprise wrote) or, failing that, `ord/{linker}/{ref}` (orders the platform wrote for
//! the enterprise's shop); the receipt is `rcp/{linker}/{ref}` (the institution's own
//! receipt) or, failing that, a payment receipt with that reference among the records of the
//! order's trace units.
//!
//! Key layout: `auth/{enterprise}/{grantee}` → [`Authorisation`]; `lnk/{enterprise}/{order ref}`
//! → [`OrderLink`]; `lnk/r/{receipt tx id}` → `()` (a receipt is linked once).

use std::collections::BTreeSet;

use borsh::{BorshDeserialize, BorshSerialize};
use tracechain_types::records::{
    BulkImport, LinkAuthorisation, LinkScope, NodeType, OrderRecord, ParticipantCategory,
    PaymentOrderLink, PaymentReceiptRecord, TraceCode,
};
use tracechain_types::{Category, Hash, InfoBlockRecord, PublicKey};

use crate::context::ChainParams;
use crate::context::{RecordEnvelope, TxEnv};
use crate::error::{ContractError, ErrorCode, FieldProblem, Problem};
use crate::index_tags::IndexTag;
use crate::info_blocks::{self, StoreAs};
use crate::query;
use crate::registry::{self, ParticipantState};
use crate::rules::Rule;
use crate::state::{decode_stored, State, StateView};
use crate::state_keys;
use crate::trace_codes::NormalisedCode;
use crate::validate::FieldChecker;

/// Domain tag of the derived record ids of a bulk import.
pub const BULK_RECORD_DOMAIN: &[u8] = b"tracechain/bulk-record/v1";

/// A live or lapsed authorisation (`auth/{enterprise}/{grantee}`).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Authorisation {
    /// Business model.
    pub scope: LinkScope,
    /// Last height at which it may be used.
    pub valid_until_height: u64,
    /// Granted at.
    pub height: u64,
    /// The granting transaction.
    pub tx_id: Hash,
}

/// A payment-to-order link (`lnk/{enterprise}/{order ref}`).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct OrderLink {
    /// The order record's transaction.
    pub order_tx: Hash,
    /// The receipt record's transaction.
    pub receipt_tx: Hash,
    /// The receipt reference.
    pub receipt_ref: String,
    /// Who linked (the grantee).
    pub linker: PublicKey,
    /// Height.
    pub height: u64,
}

fn auth_key(enterprise: &PublicKey, grantee: &PublicKey) -> Vec<u8> {
    state_keys::key("auth/", &[&enterprise.0, &grantee.0])
}

fn link_key(enterprise: &PublicKey, order_ref: &str) -> Vec<u8> {
    state_keys::key("lnk/", &[&enterprise.0, order_ref.as_bytes()])
}

fn receipt_linked_key(receipt_tx: &Hash) -> Vec<u8> {
    state_keys::key("lnk/r/", &[&receipt_tx.0])
}

/// Whether a participant's roles fit a scope: marketplace → trading platform node or platform
/// operator; independent site → cross-border payment node.
fn fits_scope(category: &ParticipantCategory, node_types: &[NodeType], scope: LinkScope) -> bool {
    match scope {
        LinkScope::Marketplace => {
            node_types.contains(&NodeType::TradingPlatform)
                || *category == ParticipantCategory::PlatformOperator
        }
        LinkScope::IndependentSite => node_types.contains(&NodeType::CrossBorderPayment),
    }
}

/// LinkAuthorisation (R-Q1): the enterprise (signer) grants or withdraws.
pub(crate) fn link_authorisation(
    env: &mut TxEnv<'_>,
    r: &LinkAuthorisation,
) -> Result<(), ContractError> {
    let k = auth_key(&env.signer, &r.grantee);
    if r.withdraw {
        if env.state.get_ref(&k).is_none() {
            return Err(ContractError::one(
                Rule::RQ1,
                ErrorCode::NotFound,
                "grantee",
                Problem::NotFound("no authorisation to withdraw".into()),
            ));
        }
        env.state.delete(&k);
        env.store_record(IndexTag::Link, &[]);
        return Ok(());
    }
    let mut c = FieldChecker::new();
    if r.grantee == env.signer {
        c.push(
            "grantee",
            Problem::NotAllowed("an enterprise does not authorise itself".into()),
        );
    }
    match registry::load(&env.state, &r.grantee) {
        Some(p) if p.state == ParticipantState::Approved => {
            if !fits_scope(
                &p.registration.category,
                &p.registration.node_types,
                r.scope,
            ) {
                c.push(
                    "scope",
                    Problem::NotAllowed(format!(
                        "{:?} needs a trading platform (marketplace) or a cross-border payment \
                         institution (independent site)",
                        r.scope
                    )),
                );
            }
        }
        Some(p) => c.push(
            "grantee",
            Problem::NotAllowed(format!("grantee is {:?}", p.state)),
        ),
        None => c.push("grantee", Problem::NotFound("no such participant".into())),
    }
    if r.valid_until_height < env.ctx.height {
        c.push(
            "valid_until_height",
            Problem::OutOfRange(format!(
                "{} is before height {}",
                r.valid_until_height, env.ctx.height
            )),
        );
    }
    c.finish(Rule::RQ1)?;
    env.state.put_value(
        k,
        &Authorisation {
            scope: r.scope,
            valid_until_height: r.valid_until_height,
            height: env.ctx.height,
            tx_id: env.tx_id,
        },
    );
    env.store_record(IndexTag::Link, &[]);
    Ok(())
}

/// The live authorisation of `grantee` by `enterprise` at `height`.
pub fn authorisation(
    state: &dyn StateView,
    enterprise: &PublicKey,
    grantee: &PublicKey,
    height: u64,
) -> Option<Authorisation> {
    let k = auth_key(enterprise, grantee);
    let a: Authorisation = decode_stored(&k, &state.get(&k)?);
    (a.valid_until_height >= height).then_some(a)
}

fn order_of(state: &dyn StateView, owner: &PublicKey, r: &str) -> Option<RecordEnvelope> {
    let k = state_keys::order(owner, r);
    let id: Hash = decode_stored(&k, &state.get(&k)?);
    query::envelope(state, &id)
}

fn order_record(env: &RecordEnvelope) -> Option<&OrderRecord> {
    match env.info_block() {
        Some(InfoBlockRecord::Order(o)) => Some(o),
        _ => None,
    }
}

fn receipt_record(env: &RecordEnvelope) -> Option<&PaymentReceiptRecord> {
    match env.info_block() {
        Some(InfoBlockRecord::PaymentReceipt(p)) => Some(p),
        _ => None,
    }
}

/// Find a receipt by reference: the linker's own, else among the order's units' records.
fn find_receipt(
    state: &dyn StateView,
    linker: &PublicKey,
    order: &OrderRecord,
    receipt_ref: &str,
) -> Option<RecordEnvelope> {
    let k = state_keys::receipt(linker, receipt_ref);
    if let Some(b) = state.get(&k) {
        let id: Hash = decode_stored(&k, &b);
        return query::envelope(state, &id);
    }
    for code in &order.trace_codes {
        let Ok(n) = NormalisedCode::new("code", code) else {
            continue;
        };
        // The unit's first receipt carrying the reference, by the reference index (`tref/`,
        // written for every T2 record with one): one read however many receipts the unit has.
        let prefix = state_keys::unit_references_of(&n, IndexTag::Info(Category::T2), receipt_ref);
        let found = state
            .scan(&prefix, None, 1)
            .into_iter()
            .next()
            .and_then(|(k, _)| query::envelope(state, &state_keys::record_id_of(&k)?));
        if found.is_some() {
            return found;
        }
    }
    None
}

/// PaymentOrderLink (R-Q1): an authorised grantee links a receipt to the enterprise's order.
pub(crate) fn payment_order_link(
    env: &mut TxEnv<'_>,
    r: &PaymentOrderLink,
) -> Result<(), ContractError> {
    let mut c = FieldChecker::new();
    c.text_value("order_ref", &r.order_ref, true);
    c.text_value("receipt_ref", &r.receipt_ref, true);
    c.finish(Rule::RQ1)?;
    let Some(auth) = authorisation(&env.state, &r.enterprise, &env.signer, env.ctx.height) else {
        return Err(ContractError::one(
            Rule::RQ1,
            ErrorCode::NotAuthorised,
            "enterprise",
            Problem::NotAllowed(
                "no live authorisation of the signer by this enterprise (R-Q1)".into(),
            ),
        ));
    };
    let fits = env.participant.as_ref().is_some_and(|p| {
        fits_scope(
            &p.registration.category,
            &p.registration.node_types,
            auth.scope,
        )
    });
    if !fits {
        return Err(ContractError::one(
            Rule::RQ1,
            ErrorCode::NotAuthorised,
            "enterprise",
            Problem::NotAllowed(format!(
                "the authorisation's scope {:?} does not fit the signer's role",
                auth.scope
            )),
        ));
    }
    let Some(order_env) = order_of(&env.state, &r.enterprise, &r.order_ref)
        .or_else(|| order_of(&env.state, &env.signer, &r.order_ref))
    else {
        return Err(ContractError::one(
            Rule::RQ1,
            ErrorCode::NotFound,
            "order_ref",
            Problem::NotFound(format!("no order {:?} of the enterprise", r.order_ref)),
        ));
    };
    let Some(order) = order_record(&order_env).cloned() else {
        return Err(ContractError::one(
            Rule::RQ1,
            ErrorCode::NotFound,
            "order_ref",
            Problem::NotFound("the order index names a record that is not an order".into()),
        ));
    };
    let Some(receipt_env) = find_receipt(&env.state, &env.signer, &order, &r.receipt_ref) else {
        return Err(ContractError::one(
            Rule::RQ1,
            ErrorCode::NotFound,
            "receipt_ref",
            Problem::NotFound(format!("no payment receipt {:?}", r.receipt_ref)),
        ));
    };
    let lk = link_key(&r.enterprise, &r.order_ref);
    if env.state.get_ref(&lk).is_some() {
        return Err(ContractError::one(
            Rule::RQ1,
            ErrorCode::AlreadyExists,
            "order_ref",
            Problem::Duplicate("the order is linked already".into()),
        ));
    }
    let rk = receipt_linked_key(&receipt_env.tx_id);
    if env.state.get_ref(&rk).is_some() {
        return Err(ContractError::one(
            Rule::RQ1,
            ErrorCode::AlreadyExists,
            "receipt_ref",
            Problem::Duplicate("the receipt is linked to another order already".into()),
        ));
    }
    env.state.put_value(
        lk,
        &OrderLink {
            order_tx: order_env.tx_id,
            receipt_tx: receipt_env.tx_id,
            receipt_ref: r.receipt_ref.clone(),
            linker: env.signer,
            height: env.ctx.height,
        },
    );
    env.state.put_value(rk, &());
    let codes: Vec<NormalisedCode> = order
        .trace_codes
        .iter()
        .filter_map(|c| NormalisedCode::new("code", c).ok())
        .collect();
    env.store_record(IndexTag::Link, &codes);
    Ok(())
}

/// The derived record id of record `i` of a bulk import.
pub fn bulk_record_id(tx_id: &Hash, i: u32) -> Hash {
    Hash::tagged(BULK_RECORD_DOMAIN, &[&tx_id.0, &i.to_be_bytes()])
}

/// The categories a bulk import carries (R-Q3): orders and logistics records from a trading
/// platform. Product, payment and customs records have their own writers (R-N1–R-N4, R-T2).
pub const BULK_CATEGORIES: [Category; 5] = [
    Category::T1,
    Category::L1,
    Category::L2,
    Category::L3,
    Category::L4,
];

/// BulkImport (R-Q3): 1..=`max_bulk_records` records of [`BULK_CATEGORIES`], each through the
/// block record path and stored as a record of its own. All or nothing. Errors name the
/// record: `records[i].field`.
pub(crate) fn bulk_import(env: &mut TxEnv<'_>, r: &BulkImport) -> Result<(), ContractError> {
    let mut c = FieldChecker::new();
    c.text_value("source", &r.source, true);
    let max = usize::try_from(env.ctx.params.max_bulk_records).unwrap_or(usize::MAX);
    if r.records.len() > max {
        return Err(ContractError::one(
            Rule::RQ3,
            ErrorCode::LimitExceeded,
            "records",
            Problem::TooLong { max },
        ));
    }
    c.list("records", &r.records, 1, max);
    c.finish(Rule::RQ3)?;
    let not_allowed: Vec<FieldProblem> = r
        .records
        .iter()
        .enumerate()
        .filter(|(_, rec)| !BULK_CATEGORIES.contains(&rec.category()))
        .map(|(i, rec)| {
            FieldProblem::new(
                format!("records[{i}].kind"),
                Problem::NotAllowed(format!(
                    "{} records are not imported in bulk (R-Q3: orders and logistics \
                     records {BULK_CATEGORIES:?})",
                    rec.category().code()
                )),
            )
        })
        .collect();
    if !not_allowed.is_empty() {
        return Err(ContractError {
            rule: Rule::RQ3,
            code: ErrorCode::MalformedItem,
            problems: not_allowed,
        });
    }
    let bulk_tx = env.tx_id;
    let mut result = Ok(());
    for (i, rec) in r.records.iter().enumerate() {
        let index = u32::try_from(i).unwrap_or(u32::MAX);
        env.tx_id = bulk_record_id(&bulk_tx, index);
        if let Err(mut e) = info_blocks::execute(env, rec, StoreAs::BulkItem { bulk_tx, index }) {
            for p in &mut e.problems {
                p.field = format!("records[{i}].{}", p.field);
            }
            result = Err(e);
            break;
        }
    }
    env.tx_id = bulk_tx;
    // The import itself is not stored: the block keeps it, its items are the records, each
    // naming it (`RecordSource::BulkImport`, ADR 0052).
    result
}

// ------------------------------------------------------------------------------ read side

/// R-Q2 verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoopVerdict {
    /// Every part present and consistent.
    Matched,
    /// Parts present but inconsistent.
    Mismatched,
    /// Parts missing (and no inconsistency among those present).
    Incomplete,
}

/// The closed-loop status of one order (R-Q2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoopStatus {
    /// The verdict.
    pub verdict: LoopVerdict,
    /// Why it is mismatched (empty otherwise).
    pub reasons: Vec<String>,
    /// What is missing (`order`, `payment_receipt`, `logistics`, `customs_declaration`).
    pub missing: Vec<String>,
    /// The order record.
    pub order_tx: Option<Hash>,
    /// The linked receipt record.
    pub receipt_tx: Option<Hash>,
    /// Logistics records (R-L2 transport, R-L4 delivery) of the order's units.
    pub logistics_txs: Vec<Hash>,
    /// Customs declarations listing the order.
    pub declaration_txs: Vec<Hash>,
    /// `logistics_txs` is short: a unit has more than
    /// [`query::MAX_RECORDS_PER_CATEGORY`] transport or delivery records, of which the first
    /// are listed.
    pub truncated: bool,
}

/// The closed-loop status of the order `order_ref` of the enterprise `owner` (R-Q2): the
/// order is the one its R-Q1 link names, else the enterprise's own order `ord/{owner}/{ref}`. The amount tolerance is
/// [`ChainParams::payment_tolerance_minor`].
pub fn order_status(
    state: &dyn StateView,
    params: &ChainParams,
    owner: &PublicKey,
    order_ref: &str,
) -> LoopStatus {
    let mut st = LoopStatus {
        verdict: LoopVerdict::Incomplete,
        reasons: Vec::new(),
        missing: Vec::new(),
        order_tx: None,
        receipt_tx: None,
        logistics_txs: Vec::new(),
        declaration_txs: Vec::new(),
        truncated: false,
    };
    let lk = link_key(owner, order_ref);
    let link: Option<OrderLink> = state.get(&lk).map(|b| decode_stored(&lk, &b));
    let order_env = match &link {
        Some(l) => query::envelope(state, &l.order_tx),
        None => order_of(state, owner, order_ref),
    };
    let Some(order_env) = order_env else {
        st.missing.push("order".into());
        return st;
    };
    st.order_tx = Some(order_env.tx_id);
    let Some(order) = order_record(&order_env) else {
        st.missing.push("order".into());
        return st;
    };
    let codes: Vec<NormalisedCode> = order
        .trace_codes
        .iter()
        .filter_map(|c| NormalisedCode::new("code", c).ok())
        .collect();
    // payment receipt via the R-Q1 link
    match link.and_then(|l| query::envelope(state, &l.receipt_tx)) {
        None => st.missing.push("payment_receipt".into()),
        Some(renv) => {
            st.receipt_tx = Some(renv.tx_id);
            if let Some(rc) = receipt_record(&renv) {
                compare_payment(order, rc, params, &mut st.reasons);
            }
        }
    }
    // logistics and declarations of the order's units (and their batches)
    let mut seen = BTreeSet::new();
    for c in &codes {
        for u in query::self_and_batch(state, c) {
            for cat in [IndexTag::Info(Category::L2), IndexTag::Info(Category::L4)] {
                let prefix = state_keys::unit_records_of(&u, cat);
                let entries = state.scan(&prefix, None, query::MAX_RECORDS_PER_CATEGORY + 1);
                st.truncated |= entries.len() > query::MAX_RECORDS_PER_CATEGORY;
                for (k, _) in entries.iter().take(query::MAX_RECORDS_PER_CATEGORY) {
                    let id = state_keys::record_id_of(k);
                    if let Some(id) = id.filter(|id| seen.insert(*id)) {
                        st.logistics_txs.push(id);
                    }
                }
            }
            // The declarations listing the order, by their order-reference index (every one,
            // however many declarations the unit has).
            let prefix =
                state_keys::unit_references_of(&u, IndexTag::Info(Category::C1), order_ref);
            let mut after: Option<Vec<u8>> = None;
            loop {
                let (entries, next) =
                    crate::state::scan_page(state, &prefix, after.as_deref(), query::RECORD_PAGE);
                for (k, _) in &entries {
                    let id = state_keys::record_id_of(k);
                    if let Some(id) = id {
                        if !st.declaration_txs.contains(&id) {
                            st.declaration_txs.push(id);
                        }
                    }
                }
                match next {
                    Some(k) => after = Some(k),
                    None => break,
                }
            }
        }
    }
    if st.logistics_txs.is_empty() {
        st.missing.push("logistics".into());
    }
    if st.declaration_txs.is_empty() {
        st.missing.push("customs_declaration".into());
    }
    st.verdict = if !st.reasons.is_empty() {
        LoopVerdict::Mismatched
    } else if !st.missing.is_empty() {
        LoopVerdict::Incomplete
    } else {
        LoopVerdict::Matched
    };
    st
}

fn compare_payment(
    order: &OrderRecord,
    receipt: &PaymentReceiptRecord,
    params: &ChainParams,
    reasons: &mut Vec<String>,
) {
    if order.currency != receipt.currency {
        reasons.push(format!(
            "currency: order {:?}, receipt {:?}",
            order.currency.as_deref().unwrap_or("-"),
            receipt.currency.as_deref().unwrap_or("-")
        ));
    } else if let (Some(a), Some(b)) = (order.amount_minor, receipt.receipt_amount_minor) {
        let diff = i128::from(a) - i128::from(b);
        if diff.abs() > i128::from(params.payment_tolerance_minor) {
            reasons.push(format!(
                "amount: order {a}, receipt {b} (tolerance {})",
                params.payment_tolerance_minor
            ));
        }
    }
    if !receipt.trace_codes.is_empty() {
        let norm = |v: &[TraceCode]| -> BTreeSet<String> {
            v.iter()
                .filter_map(|c| NormalisedCode::new("c", c).ok())
                .map(|n| n.as_str().to_string())
                .collect()
        };
        if norm(&order.trace_codes).is_disjoint(&norm(&receipt.trace_codes)) {
            reasons.push("trace codes: the receipt names none of the order's units".into());
        }
    }
}

/// The link of an order, when linked.
pub fn link_of(
    state: &dyn StateView,
    enterprise: &PublicKey,
    order_ref: &str,
) -> Option<OrderLink> {
    let k = link_key(enterprise, order_ref);
    state.get_ref(&k).map(|b| decode_stored(&k, &b))
}
