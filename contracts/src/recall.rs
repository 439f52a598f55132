//! Recall (R-S3): given a raw-material batch or product batch, the ledger lists every
//! affected downstream trace unit, logistics unit, shipment, country, warehouse, retailer and
//! consumer order ([`impact`], which is also the *simulate* mode: it writes nothing). A
//! recall can be *issued* (`recall`): a record; affected units then show "recalled"
//! ([`status`]).
//!
//! "Recalled" is computed, not copied: [`status`] walks a unit's (short) upstream lineage
//! and finds any recalled ancestor, so units linked *after* the recall (a later shipment, a
//! later transformation of recalled material) also show recalled, and issuing a recall costs
//! a constant number of writes however large the lineage is.
//!
//! Key layout: `rcl/{issuer}/{recall ref}` → [`IssuedRecall`]; `rcl/n/{enc(node)}/{issuer}/{ref}`
//! → `()` (recalls of a node); `rcf/{code}/{kind}{value}` → [`RecallFact`] (what a recall of
//! the unit reaches: countries, warehouses, retailers, orders; written with each warehousing,
//! transport, delivery and order record, so that [`impact`] reads one short listing per
//! affected unit instead of every record of it).

use std::collections::BTreeSet;

use borsh::{BorshDeserialize, BorshSerialize};
use tracechain_types::records::{Recall, TraceCode};
use tracechain_types::{encode, Hash, InfoBlockRecord, PublicKey};

use crate::context::TxEnv;
use crate::error::{ContractError, ErrorCode, Problem};
use crate::index_tags::IndexTag;
use crate::lineage::{self, Direction, Node};
use crate::permissions::CategoryClass;
use crate::query;
use crate::rules::Rule;
use crate::state::{decode_stored, StateView};
use crate::state_keys;
use crate::trace;
use crate::trace_codes::NormalisedCode;
use crate::validate::FieldChecker;

/// Most recalls listed for one node.
pub const MAX_RECALLS_PER_NODE: usize = 100;

/// An issued recall (`rcl/{issuer}/{ref}`).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct IssuedRecall {
    /// Who issued it.
    pub issuer: PublicKey,
    /// Its reference.
    pub recall_ref: String,
    /// The batch recalled (normalised).
    pub batch: TraceCode,
    /// Why.
    pub reason: String,
    /// Height.
    pub height: u64,
    /// Block time (Unix ms).
    pub timestamp_ms: u64,
    /// Transaction.
    pub tx_id: Hash,
}

/// `rcl/{issuer}/{ref}`: an issued recall.
pub fn recall_key(issuer: &PublicKey, r: &str) -> Vec<u8> {
    state_keys::key("rcl/", &[&issuer.0, r.as_bytes()])
}

fn node_recall_prefix(node: &Node) -> Vec<u8> {
    state_keys::prefix("rcl/n/", &[&encode(node)])
}

/// `rcl/n/{enc(node)}/{issuer}/{ref}`: the recall `ref` of `issuer` names `node` (its value is
/// empty, so a proof of it tells no more than its key).
pub fn node_recall_key(node: &Node, issuer: &PublicKey, r: &str) -> Vec<u8> {
    state_keys::key("rcl/n/", &[&encode(node), &issuer.0, r.as_bytes()])
}

/// Recall (R-S3): by a producer for a batch it registered, or by a regulator for any batch.
/// The batch must be a registered batch-level unit; the reference is unique per issuer.
pub(crate) fn recall(env: &mut TxEnv<'_>, r: &Recall) -> Result<(), ContractError> {
    let mut c = FieldChecker::new();
    c.text_value("recall_ref", &r.recall_ref, true);
    c.text_value("reason", &r.reason, true);
    let batch = match NormalisedCode::new("batch", &r.batch) {
        Ok(n) => Some(n),
        Err(p) => {
            c.extend(p);
            None
        }
    };
    c.finish(Rule::RS3)?;
    let Some(batch) = batch else {
        return Err(ContractError::one(
            Rule::RS3,
            ErrorCode::MalformedItem,
            "batch",
            Problem::Missing,
        ));
    };
    if batch.is_item() {
        return Err(ContractError::one(
            Rule::RS3,
            ErrorCode::MalformedItem,
            "batch",
            Problem::NotAllowed("a recall names a batch-level code (GTIN + batch)".into()),
        ));
    }
    let Some(unit) = trace::load(&env.state, &batch) else {
        return Err(ContractError::one(
            Rule::RX4,
            ErrorCode::UnknownTraceUnit,
            "batch",
            Problem::NotFound(batch.as_str().to_string()),
        ));
    };
    let is_regulator = env
        .participant
        .as_ref()
        .is_some_and(|p| CategoryClass::of(&p.registration.category) == CategoryClass::Regulator);
    if !is_regulator && unit.registrant != env.signer {
        return Err(ContractError::one(
            Rule::RS3,
            ErrorCode::NotOwner,
            "batch",
            Problem::NotAllowed(
                "a producer recalls batches it registered; regulators recall any batch".into(),
            ),
        ));
    }
    let k = recall_key(&env.signer, &r.recall_ref);
    if env.state.get_ref(&k).is_some() {
        return Err(ContractError::one(
            Rule::RS3,
            ErrorCode::AlreadyExists,
            "recall_ref",
            Problem::Duplicate(r.recall_ref.clone()),
        ));
    }
    let issued = IssuedRecall {
        issuer: env.signer,
        recall_ref: r.recall_ref.clone(),
        batch: batch.code().clone(),
        reason: r.reason.clone(),
        height: env.ctx.height,
        timestamp_ms: env.ctx.timestamp_ms,
        tx_id: env.tx_id,
    };
    env.state.put_value(k, &issued);
    env.state.put_value(
        node_recall_key(&Node::unit(&batch), &env.signer, &r.recall_ref),
        &(),
    );
    env.store_record(IndexTag::Recall, std::slice::from_ref(&batch));
    Ok(())
}

// ------------------------------------------------------------------------------ read side

/// What a recall of a batch affects (R-S3). Sets are sorted; the same state gives the same
/// answer on every node.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecallImpact {
    /// The batch recalled.
    pub batch: Option<TraceCode>,
    /// Every affected trace unit (the batch itself, products made from it, their items), as
    /// normalised element strings.
    pub units: BTreeSet<String>,
    /// Logistics units (SSCC) that held an affected unit.
    pub logistics_units: BTreeSet<String>,
    /// Shipments (transaction ids) that carried an affected unit or logistics unit.
    pub shipments: BTreeSet<Hash>,
    /// Destination countries (shipments, transport destinations, warehouse and delivery
    /// countries).
    pub countries: BTreeSet<String>,
    /// Warehouses (name) that stored an affected unit.
    pub warehouses: BTreeSet<String>,
    /// Retailers: trading platforms of the affected orders.
    pub retailers: BTreeSet<String>,
    /// Consumer orders of affected units, with or without an order reference.
    pub orders: BTreeSet<AffectedOrder>,
    /// Whether the answer is incomplete; `not_reached` then says what it left out.
    pub truncated: bool,
    /// What the answer did not reach, one sentence each (empty when complete).
    pub not_reached: Vec<String>,
}

/// A consumer order of an affected unit.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, BorshSerialize, BorshDeserialize)]
pub struct AffectedOrder {
    /// Who recorded it (its trading platform or procurement node).
    pub signer: PublicKey,
    /// Its reference, when the order carries one (R-T1 `order_ref` is optional).
    pub order_ref: Option<String>,
    /// The order record's transaction.
    pub tx_id: Hash,
}

/// Most recall facts ([`RecallFact`]) a recall answer reads across all affected units; beyond
/// it the answer says which units' facts were not read.
pub const MAX_RECALL_FACTS: usize = 2_000_000;

/// Facts read per page of one unit's `rcf/` listing.
const FACT_PAGE: usize = 1024;

/// What a recall of a unit reaches beyond the lineage, kept per unit (`rcf/{code}/…`) as its
/// warehousing (L3), transport (L2), delivery (L4) and order (T1) records are written.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum RecallFact {
    /// A destination country (transport, warehouse, delivery).
    Country(String),
    /// A warehouse that stored the unit.
    Warehouse(String),
    /// A retailer: the trading platform of an order.
    Retailer(String),
    /// A consumer order.
    Order(AffectedOrder),
}

impl RecallFact {
    /// The facts a record carries (none for other kinds of record). `tx_id` is the record's id.
    pub fn of_record(record: &InfoBlockRecord, signer: PublicKey, tx_id: Hash) -> Vec<RecallFact> {
        let mut out = Vec::new();
        match record {
            InfoBlockRecord::Warehousing(w) => {
                out.extend(w.warehouse_name.clone().map(RecallFact::Warehouse));
                out.extend(w.country.clone().map(RecallFact::Country));
            }
            InfoBlockRecord::Transport(t) => {
                out.extend(t.destination_country.clone().map(RecallFact::Country));
            }
            InfoBlockRecord::Delivery(d) => {
                out.extend(d.country.clone().map(RecallFact::Country));
            }
            InfoBlockRecord::Order(o) => {
                out.push(RecallFact::Order(AffectedOrder {
                    signer,
                    order_ref: o.order_ref.clone(),
                    tx_id,
                }));
                out.extend(o.platform.clone().map(RecallFact::Retailer));
            }
            _ => {}
        }
        out
    }

    /// `rcf/{code}/{kind}{value}`: one key per distinct fact of a unit.
    pub fn key(&self, code: &NormalisedCode) -> Vec<u8> {
        let value: Vec<u8> = match self {
            RecallFact::Country(c) => [b"c", c.as_bytes()].concat(),
            RecallFact::Warehouse(w) => [b"w", w.as_bytes()].concat(),
            RecallFact::Retailer(r) => [b"r", r.as_bytes()].concat(),
            RecallFact::Order(o) => [&b"o"[..], &o.signer.0, &o.tx_id.0].concat(),
        };
        state_keys::key("rcf/", &[code.as_bytes(), &value])
    }
}

/// The prefix of a unit's recall facts.
fn facts_prefix(code: &NormalisedCode) -> Vec<u8> {
    state_keys::prefix("rcf/", &[code.as_bytes()])
}

/// The impact of recalling `batch` (simulate mode: nothing is written). `None` when the code
/// is not a registered unit.
pub fn impact(state: &dyn StateView, batch: &TraceCode) -> Option<RecallImpact> {
    let (n, _) = query::unit(state, batch)?;
    let t = lineage::reach_within(
        state,
        &Node::unit(&n),
        Direction::Forward,
        lineage::MAX_RECALL_NODES,
    );
    let mut out = RecallImpact {
        batch: Some(n.code().clone()),
        truncated: t.truncated,
        ..RecallImpact::default()
    };
    if t.truncated {
        out.not_reached.push(format!(
            "the lineage was followed to {} nodes and {} links (limits {} and {}); units, \
             logistics units and shipments further downstream are not listed",
            t.nodes.len(),
            t.links_examined,
            lineage::MAX_RECALL_NODES,
            lineage::MAX_TRAVERSAL_LINKS
        ));
    }
    // Every shipment reached was reached through its link, which names its destination.
    out.countries.extend(t.shipped_to.iter().cloned());
    let mut budget = MAX_RECALL_FACTS;
    let mut unread = 0usize;
    for node in &t.nodes {
        match node {
            Node::Unit(code) => {
                let Ok(u) = NormalisedCode::new("code", code) else {
                    continue;
                };
                out.units.insert(u.as_str().to_string());
                if !collect_unit_facts(state, &u, &mut out, &mut budget) {
                    unread += 1;
                }
            }
            Node::Sscc(s) => {
                out.logistics_units.insert(s.clone());
            }
            Node::Shipment(id) => {
                out.shipments.insert(*id);
            }
        }
    }
    if unread > 0 {
        out.truncated = true;
        out.not_reached.push(format!(
            "the recall facts of {unread} affected units were not (all) read: the answer read \
             {MAX_RECALL_FACTS} facts; their warehouses, countries, retailers and orders \
             may be missing"
        ));
    }
    Some(out)
}

/// Read every recall fact of `u` within `budget`; returns whether all were read.
fn collect_unit_facts(
    state: &dyn StateView,
    u: &NormalisedCode,
    out: &mut RecallImpact,
    budget: &mut usize,
) -> bool {
    let prefix = facts_prefix(u);
    let mut after: Option<Vec<u8>> = None;
    loop {
        let page = state.scan(&prefix, after.as_deref(), FACT_PAGE);
        let n = page.len();
        for (k, v) in page {
            if *budget == 0 {
                return false;
            }
            *budget -= 1;
            match decode_stored::<RecallFact>(&k, &v) {
                RecallFact::Country(c) => {
                    out.countries.insert(c);
                }
                RecallFact::Warehouse(w) => {
                    out.warehouses.insert(w);
                }
                RecallFact::Retailer(r) => {
                    out.retailers.insert(r);
                }
                RecallFact::Order(o) => {
                    out.orders.insert(o);
                }
            }
            after = Some(k);
        }
        if n < FACT_PAGE {
            return true;
        }
    }
}

/// Why a unit shows recalled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecallStatus {
    /// The recalls that reach the unit (through its batch, the materials it was made from,
    /// or itself), in (height, issuer, ref) order.
    pub recalls: Vec<IssuedRecall>,
    /// The answer may be short: the upstream walk stopped at its bounds
    /// (`lineage::MAX_TRAVERSAL_NODES` / `MAX_TRAVERSAL_LINKS`) or a unit upstream has more
    /// than [`MAX_RECALLS_PER_NODE`] recalls. Then an empty `recalls` proves nothing: the unit
    /// may be recalled through what was not read.
    pub truncated: bool,
}

impl RecallStatus {
    /// Whether the unit is recalled.
    pub fn recalled(&self) -> bool {
        !self.recalls.is_empty()
    }
}

/// The recall status of a unit (R-S3 "affected units then show recalled"): every issued
/// recall of the unit or of any upstream unit, or `truncated` saying the answer may be short.
/// `None` when the code is not registered.
pub fn status(state: &dyn StateView, code: &TraceCode) -> Option<RecallStatus> {
    let (n, _) = query::unit(state, code)?;
    let up = lineage::reach(state, &Node::unit(&n), Direction::Backward);
    let mut recalls = Vec::new();
    let mut truncated = up.truncated;
    for node in up.nodes.iter().filter(|n| matches!(n, Node::Unit(_))) {
        let prefix = node_recall_prefix(node);
        let listed = state.scan(&prefix, None, MAX_RECALLS_PER_NODE + 1);
        truncated |= listed.len() > MAX_RECALLS_PER_NODE;
        for (k, _) in listed.into_iter().take(MAX_RECALLS_PER_NODE) {
            let Some(parts) = state_keys::parts_after(&k, &prefix) else {
                continue;
            };
            let [issuer, rref] = parts.as_slice() else {
                continue;
            };
            let Ok(issuer) = <[u8; 32]>::try_from(issuer.as_slice()) else {
                continue;
            };
            let rk = state_keys::key("rcl/", &[&issuer, rref]);
            if let Some(b) = state.get(&rk) {
                recalls.push(decode_stored::<IssuedRecall>(&rk, &b));
            }
        }
    }
    recalls.sort_by(|a, b| {
        (a.height, a.issuer, &a.recall_ref).cmp(&(b.height, b.issuer, &b.recall_ref))
    });
    recalls.dedup();
    Some(RecallStatus { recalls, truncated })
}

/// An issued recall by issuer and reference.
pub fn load(state: &dyn StateView, issuer: &PublicKey, recall_ref: &str) -> Option<IssuedRecall> {
    let k = recall_key(issuer, recall_ref);
    state.get_ref(&k).map(|b| decode_stored(&k, &b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracechain_types::records::{TraceCode, WarehousingRecord};

    fn code(batch: &str) -> NormalisedCode {
        NormalisedCode::new(
            "code",
            &TraceCode::Batch {
                gtin: "06901234567892".into(),
                batch: batch.into(),
            },
        )
        .unwrap()
    }

    #[test]
    fn each_fact_has_its_own_key_per_unit_and_kind() {
        let a = code("A");
        let b = code("B");
        let signer = PublicKey([7; 32]);
        let facts = [
            RecallFact::Country("DE".into()),
            RecallFact::Warehouse("DE".into()),
            RecallFact::Retailer("DE".into()),
            RecallFact::Order(AffectedOrder {
                signer,
                order_ref: Some("DE".into()),
                tx_id: Hash([1; 32]),
            }),
            RecallFact::Order(AffectedOrder {
                signer,
                order_ref: Some("DE".into()),
                tx_id: Hash([2; 32]),
            }),
        ];
        let mut keys: BTreeSet<Vec<u8>> = BTreeSet::new();
        for f in &facts {
            assert!(keys.insert(f.key(&a)), "{f:?}");
            assert!(keys.insert(f.key(&b)), "{f:?}");
            assert!(f.key(&a).starts_with(&facts_prefix(&a)));
            assert!(!f.key(&a).starts_with(&facts_prefix(&b)));
        }
        // The same fact of the same unit is one key: a warehouse named by many records is
        // read once.
        assert_eq!(
            RecallFact::Warehouse("Rotterdam DC".into()).key(&a),
            RecallFact::Warehouse("Rotterdam DC".into()).key(&a)
        );
    }

    #[test]
    fn a_warehousing_record_gives_its_warehouse_and_country() {
        let r = InfoBlockRecord::Warehousing(WarehousingRecord {
            trace_codes: vec![],
            warehouse_name: Some("Rotterdam DC".into()),
            country: Some("NL".into()),
            ..Default::default()
        });
        assert_eq!(
            RecallFact::of_record(&r, PublicKey([1; 32]), Hash([2; 32])),
            vec![
                RecallFact::Warehouse("Rotterdam DC".into()),
                RecallFact::Country("NL".into())
            ]
        );
    }
}
