//! Lineage (transformation, aggregation, shipment) and recall (R-S3) over a realistic
//! multi-level supply chain.

mod common;
mod support;

use std::collections::BTreeSet;

use common::*;
use support::*;
use tracechain_contracts::lineage::{self, Node};
use tracechain_contracts::Rule;
use tracechain_contracts::{recall, ErrorCode};
use tracechain_types::payload::PayloadKind as K;
use tracechain_types::records::*;
use tracechain_types::{InfoBlockRecord, LineageRecord, Payload, RecallRecord, TraceUnitRecord};

fn set(v: &[&str]) -> BTreeSet<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn r_s3_recall_lists_every_downstream_unit() {
    let c = supply_chain();
    let imp = recall::impact(&c.w.state, &c.m1).expect("registered");
    let want_units: BTreeSet<String> = [
        c.m1.clone(),
        c.pa.clone(),
        c.pb.clone(),
        item("A1"),
        item("A2"),
        item("A3"),
        item("B1"),
        item("B2"),
    ]
    .iter()
    .map(es)
    .collect();
    assert_eq!(imp.units, want_units);
    assert_eq!(
        imp.logistics_units,
        [c.ssccs[0].clone(), c.ssccs[1].clone()]
            .into_iter()
            .collect()
    );
    assert_eq!(imp.shipments.len(), 3, "NL, DE and FR shipments");
    assert_eq!(imp.countries, set(&["DE", "FR", "NL"]));
    assert_eq!(imp.warehouses, set(&["Rotterdam DC"]));
    assert_eq!(imp.retailers, set(&["ExampleMall"]));
    let orders: BTreeSet<String> = imp
        .orders
        .iter()
        .filter_map(|o| o.order_ref.clone())
        .collect();
    assert_eq!(orders, set(&["ORD-1", "ORD-2"]));
    assert!(imp
        .orders
        .iter()
        .all(|o| o.signer == c.cast.trader.public()));
    assert!(!imp.truncated && imp.not_reached.is_empty());
}

#[test]
fn r_s3_recall_of_a_product_batch_excludes_siblings_and_upstream() {
    let c = supply_chain();
    let imp = recall::impact(&c.w.state, &c.pb).unwrap();
    let want: BTreeSet<String> = [c.pb.clone(), item("B1"), item("B2")]
        .iter()
        .map(es)
        .collect();
    assert_eq!(
        imp.units, want,
        "material and sibling batch are not downstream"
    );
    assert_eq!(imp.countries, set(&["FR", "NL"]));
    assert_eq!(imp.logistics_units.len(), 1);
    let orders: BTreeSet<String> = imp
        .orders
        .iter()
        .filter_map(|o| o.order_ref.clone())
        .collect();
    assert_eq!(orders, set(&["ORD-2"]));
    assert!(imp.warehouses.is_empty());
}

#[test]
fn r_s3_simulate_writes_nothing_issue_makes_affected_units_show_recalled() {
    let mut c = supply_chain();
    let before = c.w.state.clone();
    let _ = recall::impact(&c.w.state, &c.m1).unwrap();
    assert_eq!(c.w.state, before, "simulation writes nothing");
    assert!(!recall::status(&c.w.state, &item("B2")).unwrap().recalled());
    c.w.exec(
        &c.cast.producer,
        Payload::Recall(RecallRecord::Recall(Recall {
            recall_ref: "RC-2024-01".into(),
            batch: c.m1.clone(),
            reason: "allergen contamination".into(),
        })),
    )
    .unwrap();
    for u in [c.m1.clone(), c.pa.clone(), item("A3"), item("B2")] {
        let s = recall::status(&c.w.state, &u).unwrap();
        assert!(s.recalled(), "{u:?} shows recalled");
        assert_eq!(s.recalls[0].recall_ref, "RC-2024-01");
    }
    for u in [c.m2.clone(), c.pc.clone()] {
        assert!(!recall::status(&c.w.state, &u).unwrap().recalled(), "{u:?}");
    }
    // a unit made from the recalled material after the recall shows recalled too
    let late = batch("P-LATE");
    c.w.unit(&c.cast, &late, TraceMode::Full);
    c.w.exec(
        &c.cast.producer,
        transform(std::slice::from_ref(&c.m1), std::slice::from_ref(&late)),
    )
    .unwrap();
    assert!(recall::status(&c.w.state, &late).unwrap().recalled());
    // the reference is unique per issuer
    let e =
        c.w.exec(
            &c.cast.producer,
            Payload::Recall(RecallRecord::Recall(Recall {
                recall_ref: "RC-2024-01".into(),
                batch: c.pa.clone(),
                reason: "again".into(),
            })),
        )
        .unwrap_err();
    assert_eq!((e.rule, e.code), (Rule::RS3, ErrorCode::AlreadyExists));
}

#[test]
fn r_s3_recall_only_by_the_batch_registrant_or_a_regulator_and_only_of_batches() {
    let mut c = supply_chain();
    let other = c.w.seed(
        500,
        ParticipantCategory::TradeEntity(TradeEntityKind::Manufacturer),
        vec![NodeType::Producer],
        tracechain_contracts::registry::ParticipantState::Approved,
    );
    let r = |b: TraceCode, r: &str| {
        Payload::Recall(RecallRecord::Recall(Recall {
            recall_ref: r.into(),
            batch: b,
            reason: "suspected".into(),
        }))
    };
    let e = c.w.exec(&other, r(c.m1.clone(), "X")).unwrap_err();
    assert_eq!((e.rule, e.code), (Rule::RS3, ErrorCode::NotOwner));
    assert!(e.names("batch"));
    let e = c.w.exec(&c.cast.producer, r(item("A1"), "Y")).unwrap_err();
    assert_eq!(e.code, ErrorCode::MalformedItem);
    let e =
        c.w.exec(&c.cast.producer, r(batch("NOPE"), "Z"))
            .unwrap_err();
    assert_eq!((e.rule, e.code), (Rule::RX4, ErrorCode::UnknownTraceUnit));
    let e =
        c.w.exec(
            &c.cast.producer,
            Payload::Recall(RecallRecord::Recall(Recall {
                recall_ref: " ".into(),
                batch: c.m1.clone(),
                reason: String::new(),
            })),
        )
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::MissingBasicItem);
    assert!(e.names("recall_ref") && e.names("reason"), "{e}");
    c.w.exec(&c.cast.regulator, r(c.m2.clone(), "REG-1"))
        .expect("a regulator recalls any batch");
    assert!(recall::status(&c.w.state, &c.pc).unwrap().recalled());
}

#[test]
fn r_s3_lineage_traverses_forward_and_backward() {
    let c = supply_chain();
    let fwd = lineage::trace_forward(&c.w.state, &item("A3")).unwrap();
    assert!(fwd.nodes.contains(&Node::Sscc(c.ssccs[1].clone())));
    assert_eq!(
        fwd.nodes
            .iter()
            .filter(|n| matches!(n, Node::Shipment(_)))
            .count(),
        1
    );
    let back = lineage::trace_backward(&c.w.state, &item("A3")).unwrap();
    let units: BTreeSet<String> = back
        .nodes
        .iter()
        .filter_map(|n| match n {
            Node::Unit(u) => Some(es(u)),
            _ => None,
        })
        .collect();
    let want: BTreeSet<String> = [item("A3"), c.pa.clone(), c.m1.clone()]
        .iter()
        .map(es)
        .collect();
    assert_eq!(units, want, "item → its batch → the material");
    assert!(lineage::trace_forward(&c.w.state, &batch("UNKNOWN")).is_none());
}

#[test]
fn r_s3_aggregation_unpack_keeps_history_and_refuses_unknown_contents() {
    let mut c = supply_chain();
    let s = c.ssccs[0].clone();
    assert_eq!(lineage::current_contents(&c.w.state, &s).len(), 3);
    c.w.exec(&c.cast.logistics, unpack(&s, &[item("A1")]))
        .unwrap();
    assert_eq!(lineage::current_contents(&c.w.state, &s).len(), 2);
    let e =
        c.w.exec(&c.cast.logistics, unpack(&s, &[item("A1")]))
            .unwrap_err();
    assert_eq!((e.rule, e.code), (Rule::RS3, ErrorCode::InvalidTransition));
    assert!(e.names("contents[0]"));
    // history: a recall still reaches the logistics unit A1 was on
    let imp = recall::impact(&c.w.state, &c.pa).unwrap();
    assert!(imp.logistics_units.contains(&s));
}

#[test]
fn r_s3_lineage_records_name_every_bad_field() {
    let mut c = supply_chain();
    let bad_sscc = "123456789012345678".to_string();
    let e =
        c.w.exec(
            &c.cast.logistics,
            Payload::Lineage(LineageRecord::Aggregation(Aggregation {
                sscc: bad_sscc,
                contents: vec![],
                action: AggregationAction::Pack,
                time: "yesterday".into(),
            })),
        )
        .unwrap_err();
    assert!(
        e.names("sscc") && e.names("contents") && e.names("time"),
        "{e}"
    );
    // shipment: unknown SSCC, bad country, nothing shipped is refused
    let e =
        c.w.exec(&c.cast.logistics, ship("WB-X", &[], &[sscc(99)], "XX"))
            .unwrap_err();
    assert!(e.names("ssccs[0]") && e.names("destination_country"), "{e}");
    let e =
        c.w.exec(&c.cast.logistics, ship("WB-Y", &[], &[], "NL"))
            .unwrap_err();
    assert!(e.names("trace_codes"));
    let e =
        c.w.exec(&c.cast.logistics, ship("WB-NL", &[item("A2")], &[], "NL"))
            .unwrap_err();
    assert_eq!(
        e.code,
        ErrorCode::AlreadyExists,
        "reference unique per shipper"
    );
    // transformation: unregistered input, self-loop, foreign output
    let e =
        c.w.exec(
            &c.cast.producer,
            transform(&[material("GHOST")], std::slice::from_ref(&c.pa)),
        )
        .unwrap_err();
    assert_eq!((e.rule, e.code), (Rule::RX4, ErrorCode::UnknownTraceUnit));
    let e =
        c.w.exec(
            &c.cast.producer,
            transform(std::slice::from_ref(&c.pa), std::slice::from_ref(&c.pa)),
        )
        .unwrap_err();
    assert!(e.names("outputs[0]"));
    let other = c.w.seed(
        501,
        ParticipantCategory::TradeEntity(TradeEntityKind::Manufacturer),
        vec![NodeType::Producer],
        tracechain_contracts::registry::ParticipantState::Approved,
    );
    let e =
        c.w.exec(
            &other,
            transform(std::slice::from_ref(&c.m2), std::slice::from_ref(&c.pa)),
        )
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::NotOwner);
}

/// A state whose every node has the same `k` forward neighbours (shipment nodes): `k + 1`
/// nodes, about `k²` links. Built on the fly so the test needs no million stored entries.
struct Dense {
    edges: Vec<(Vec<u8>, Vec<u8>)>,
}

impl tracechain_contracts::StateView for Dense {
    fn get(&self, _key: &[u8]) -> Option<Vec<u8>> {
        None
    }
    fn scan(&self, prefix: &[u8], _after: Option<&[u8]>, limit: usize) -> Vec<(Vec<u8>, Vec<u8>)> {
        if prefix.starts_with(b"lin/d/") {
            self.edges.iter().take(limit).cloned().collect()
        } else {
            Vec::new()
        }
    }
}

/// Every node links forward to the same `k` logistics units (a graph of about `k`² links),
/// and the start node.
fn dense(k: u32) -> (Dense, Node) {
    use tracechain_types::Hash;
    let edges = (0..k)
        .map(|i| {
            // Logistics units, whose downstream is read (a shipment is a sink: nothing is
            // read downstream of it).
            let n = Node::Sscc(format!("{:018}", i + 1));
            let e = lineage::Edge {
                neighbour: n,
                kind: lineage::LinkKind::Transformation,
                tx_id: Hash::ZERO,
                height: 0,
            };
            (i.to_be_bytes().to_vec(), tracechain_types::encode(&e))
        })
        .collect();
    (Dense { edges }, Node::Sscc("000000000000000000".into()))
}

#[test]
fn r_s3_traversal_of_a_dense_graph_is_bounded_in_links() {
    let (state, start) = dense(1_050);
    let t = lineage::traverse(&state, &start, lineage::Direction::Forward);
    assert!(t.nodes.len() < lineage::MAX_TRAVERSAL_NODES);
    assert!(
        t.links.len() <= lineage::MAX_TRAVERSAL_LINKS,
        "{} links listed",
        t.links.len()
    );
    assert!(t.truncated, "a cut traversal says so");
}

/// A recall of a batch with more items than a node's neighbour listing used to return was cut
/// silently (a batch of 100,032 items listed 100,001 units with `truncated = false`), and
/// orders without an order reference were dropped from the answer. Every neighbour is now
/// read page by page; an answer is complete or says what it did not reach.
#[test]
fn r_s3_attack_a_recall_of_a_batch_with_100032_items_is_complete() {
    let mut w = World::new();
    let cast = w.cast();
    let b = batch("BIG-1");
    w.unit(&cast, &b, TraceMode::Full);
    let per_tx = tracechain_contracts::trace::MAX_ITEMS_PER_TX;
    let total = 100_032usize;
    let mut n = 0usize;
    while n < total {
        let serials: Vec<String> = (n..(n + per_tx).min(total))
            .map(|i| format!("S{i:06}"))
            .collect();
        n += serials.len();
        w.exec(
            &cast.producer,
            Payload::TraceUnit(TraceUnitRecord::RegisterItemCodes(ItemCodesRegistration {
                batch: b.clone(),
                serials,
            })),
        )
        .unwrap();
    }
    // an order without a reference, for one item
    let item = TraceCode::Item {
        gtin: GTIN.into(),
        serial: "S100031".into(),
    };
    let Payload::InfoBlock(InfoBlockRecord::Order(mut o)) = valid_record(K::Order, &item, 1) else {
        unreachable!()
    };
    o.order_ref = None;
    w.exec(&cast.trader, Payload::InfoBlock(InfoBlockRecord::Order(o)))
        .unwrap();
    let imp = recall::impact(&w.state, &b).unwrap();
    assert_eq!(imp.units.len(), total + 1, "the batch and every item");
    assert!(
        !imp.truncated && imp.not_reached.is_empty(),
        "{:?}",
        imp.not_reached
    );
    assert_eq!(imp.orders.len(), 1);
    assert_eq!(imp.orders.iter().next().unwrap().order_ref, None);
}

/// A dense lineage written by an attacker (1 M links) made one recall list every link and
/// cost hundreds of MiB. The recall's walk keeps nodes only, and examines at most
/// `MAX_TRAVERSAL_LINKS` links, saying so when it stops (ADR 0048).
#[test]
fn r_s3_attack_a_dense_graph_costs_a_recall_no_link_list() {
    let (state, start) = dense(1_050);
    let r = lineage::reach(&state, &start, lineage::Direction::Forward);
    assert!(r.links.is_empty(), "no link list is kept");
    assert_eq!(r.links_examined, lineage::MAX_TRAVERSAL_LINKS);
    assert!(r.truncated);
    let t = lineage::traverse(&state, &start, lineage::Direction::Forward);
    assert_eq!(r.nodes, t.nodes, "the same nodes as the full traversal");
}

/// A registered state with a dense upstream lineage (`lin/u/` listings answered on the fly).
struct DenseUpstream {
    base: tracechain_contracts::MemoryState,
    edges: Vec<(Vec<u8>, Vec<u8>)>,
}

impl tracechain_contracts::StateView for DenseUpstream {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.base.get(key)
    }
    fn scan(&self, prefix: &[u8], after: Option<&[u8]>, limit: usize) -> Vec<(Vec<u8>, Vec<u8>)> {
        if prefix.starts_with(b"lin/u/") {
            self.edges.iter().take(limit).cloned().collect()
        } else {
            self.base.scan(prefix, after, limit)
        }
    }
}

/// R-S3: a recall status read over an upstream lineage too dense to walk within the bounds
/// says that its answer may be short, instead of a silent "not recalled"; a walk within the
/// bounds is complete.
#[test]
fn r_s3_attack_a_dense_upstream_cannot_make_a_unit_look_not_recalled() {
    let mut w = World::new();
    let cast = w.cast();
    let code = batch("UP-1");
    w.unit(&cast, &code, TraceMode::Full);
    let plain = recall::status(&w.state, &code).unwrap();
    assert!(!plain.recalled() && !plain.truncated, "{plain:?}");
    let (dense_state, _) = dense(1_050);
    let view = DenseUpstream {
        base: w.state.clone(),
        edges: dense_state.edges,
    };
    let s = recall::status(&view, &code).unwrap();
    assert!(!s.recalled());
    assert!(s.truncated, "the walk stopped at its bounds: {s:?}");
}

/// R-S3: a unit with more recalls than one answer lists says so.
#[test]
fn r_s3_recall_status_beyond_its_listing_bound_says_so() {
    let mut w = World::new();
    let cast = w.cast();
    let code = batch("MANY-RC");
    w.unit(&cast, &code, TraceMode::Full);
    for i in 0..recall::MAX_RECALLS_PER_NODE {
        w.exec(
            &cast.producer,
            Payload::Recall(RecallRecord::Recall(Recall {
                recall_ref: format!("RC-{i:04}"),
                batch: code.clone(),
                reason: "allergen".into(),
            })),
        )
        .unwrap();
        let s = recall::status(&w.state, &code).unwrap();
        assert_eq!(
            s.recalls.len(),
            i + 1,
            "every recall listed up to the bound"
        );
        assert!(!s.truncated, "{i}");
    }
    // One more than the bound reads.
    w.exec(
        &cast.regulator,
        Payload::Recall(RecallRecord::Recall(Recall {
            recall_ref: "RC-REG".into(),
            batch: code.clone(),
            reason: "allergen".into(),
        })),
    )
    .unwrap();
    let s = recall::status(&w.state, &code).unwrap();
    assert!(s.recalled() && s.truncated, "{}", s.recalls.len());
    assert_eq!(s.recalls.len(), recall::MAX_RECALLS_PER_NODE);
}
