//! One test per rule id of the categories, modes, node types and roles that the table-driven
//! table-driven tests check in bulk (R-M1–R-M3, R-P2–R-P4, R-T2, R-T3, R-L1–R-L5, R-N1–R-N4,
//! R-I1, R-A4): each names its rule so the rule-coverage test can see it, and each fails when
//! its rule is not enforced.

mod common;

use common::*;
use tracechain_contracts::completeness::{self, Category};
use tracechain_contracts::Rule;
use tracechain_contracts::{trace, ErrorCode};
use tracechain_types::payload::PayloadKind as K;
use tracechain_types::records::*;
use tracechain_types::{ConsumerRecord, InfoBlockRecord, Payload, TraceUnitRecord};

/// A valid record of `kind` is accepted from its writer; the same record with one basic item
/// removed is refused under `rule`, naming that item.
fn basic_item_required(kind: K, rule: Rule, field: &str, strip: fn(&mut Payload)) {
    let mut w = World::new();
    let cast = w.cast();
    let code = batch("BASIC");
    w.unit(&cast, &code, TraceMode::Full);
    let writer = cast.writer(kind);
    let mut p = valid_record(kind, &code, 7);
    strip(&mut p);
    let e = w.exec(writer, p).unwrap_err();
    assert_eq!((e.rule, e.code), (rule, ErrorCode::MissingBasicItem), "{e}");
    assert!(e.names(field), "{rule}: {e}");
    w.exec(writer, valid_record(kind, &code, 7))
        .unwrap_or_else(|e| panic!("{rule}: valid record refused: {e}"));
}

#[test]
fn r_p2_production_requires_producer_name() {
    basic_item_required(K::Production, Rule::RP2, "producer_name", |p| {
        if let Payload::InfoBlock(InfoBlockRecord::Production(r)) = p {
            r.producer_name = None;
        }
    });
}

#[test]
fn r_p3_product_features_require_brand() {
    basic_item_required(K::ProductFeatures, Rule::RP3, "brand", |p| {
        if let Payload::InfoBlock(InfoBlockRecord::ProductFeatures(r)) = p {
            r.brand = None;
        }
    });
}

#[test]
fn r_p4_product_code_requires_gtin() {
    basic_item_required(K::ProductCode, Rule::RP4, "gtin", |p| {
        if let Payload::InfoBlock(InfoBlockRecord::ProductCode(r)) = p {
            r.gtin = None;
        }
    });
}

#[test]
fn r_t2_payment_receipt_requires_fx_settlement_amount() {
    basic_item_required(
        K::PaymentReceipt,
        Rule::RT2,
        "settlement_amount_minor",
        |p| {
            if let Payload::InfoBlock(InfoBlockRecord::PaymentReceipt(r)) = p {
                r.settlement_amount_minor = None;
            }
        },
    );
}

#[test]
fn r_t3_trade_product_code_requires_gtin() {
    basic_item_required(K::TradeProductCode, Rule::RT3, "gtin", |p| {
        if let Payload::InfoBlock(InfoBlockRecord::TradeProductCode(r)) = p {
            r.gtin = None;
        }
    });
}

#[test]
fn r_l1_tally_requires_security_scan_record() {
    basic_item_required(K::Tally, Rule::RL1, "security_scan", |p| {
        if let Payload::InfoBlock(InfoBlockRecord::Tally(r)) = p {
            r.security_scan = None;
        }
    });
}

#[test]
fn r_l2_transport_requires_carrier() {
    basic_item_required(K::Transport, Rule::RL2, "carrier", |p| {
        if let Payload::InfoBlock(InfoBlockRecord::Transport(r)) = p {
            r.carrier = None;
        }
    });
}

#[test]
fn r_l3_warehousing_requires_storage_mode() {
    basic_item_required(K::Warehousing, Rule::RL3, "storage_mode", |p| {
        if let Payload::InfoBlock(InfoBlockRecord::Warehousing(r)) = p {
            r.storage_mode = None;
        }
    });
}

#[test]
fn r_l4_delivery_requires_tracking_number() {
    basic_item_required(K::Delivery, Rule::RL4, "tracking_number", |p| {
        if let Payload::InfoBlock(InfoBlockRecord::Delivery(r)) = p {
            r.tracking_number = None;
        }
    });
}

#[test]
fn r_l5_delivery_exception_requires_its_type() {
    basic_item_required(K::DeliveryException, Rule::RL5, "exception_type", |p| {
        if let Payload::InfoBlock(InfoBlockRecord::DeliveryException(r)) = p {
            r.exception_type = None;
        }
    });
}

fn missing_for(mode: TraceMode) -> Vec<Category> {
    let mut w = World::new();
    let cast = w.cast();
    let code = batch("MODE");
    w.unit(&cast, &code, mode);
    completeness::report(&w.state, &code).unwrap().missing()
}

#[test]
fn r_m1_full_mode_requires_production_order_and_payment_receipt() {
    let m = missing_for(TraceMode::Full);
    for c in [
        Category::P2,
        Category::P3,
        Category::T1,
        Category::T2,
        Category::C1,
    ] {
        assert!(m.contains(&c), "{c:?} missing in FULL: {m:?}");
    }
}

#[test]
fn r_m2_manufacturer_mode_requires_production_but_not_payment_receipt() {
    let m = missing_for(TraceMode::Manufacturer);
    assert!(m.contains(&Category::P2) && m.contains(&Category::T1));
    assert!(!m.contains(&Category::T2), "{m:?}");
}

#[test]
fn r_m3_trader_mode_starts_at_the_trader() {
    let m = missing_for(TraceMode::Trader);
    assert!(
        !m.contains(&Category::P2) && !m.contains(&Category::T1),
        "{m:?}"
    );
    assert!(m.contains(&Category::P3) && m.contains(&Category::T3) && m.contains(&Category::L2));
}

/// `writer` may not write `kind`; the refusal cites `rule`.
/// With `then_ok`, the right writer's record is accepted afterwards.
fn wrong_writer(
    kind: K,
    rule: Rule,
    pick: fn(&Cast) -> &tracechain_types::SecretKey,
    then_ok: bool,
) {
    let mut w = World::new();
    let cast = w.cast();
    let code = batch("NODE");
    w.unit(&cast, &code, TraceMode::Full);
    let e = w
        .exec(pick(&cast), valid_record(kind, &code, 1))
        .unwrap_err();
    assert_eq!((e.rule, e.code), (rule, ErrorCode::NotPermitted), "{e}");
    if then_ok {
        w.exec(cast.writer(kind), valid_record(kind, &code, 1))
            .unwrap();
    }
}

#[test]
fn r_n1_only_producer_nodes_write_the_product_block() {
    wrong_writer(K::Production, Rule::RN1, |c| &c.logistics, true);
}

#[test]
fn r_n2_only_trade_nodes_write_orders() {
    wrong_writer(K::Order, Rule::RN2, |c| &c.producer, true);
}

#[test]
fn r_n3_only_logistics_nodes_write_the_logistics_block() {
    wrong_writer(K::Tally, Rule::RN3, |c| &c.trader, true);
}

#[test]
fn r_n4_only_port_clearance_nodes_write_the_customs_block() {
    // a declaration needs the customs gate (R-X3); the writer check comes first
    wrong_writer(K::CustomsDeclaration, Rule::RN4, |c| &c.trader, false);
    // customs status is the customs department's (ADR 0040): not a node type's
    wrong_writer(K::CustomsStatus, Rule::RC2, |c| &c.port, false);
    wrong_writer(K::CustomsStatus, Rule::RC2, |c| &c.logistics, false);
}

#[test]
fn r_i1_item_codes_inherit_their_batch_mode_and_link_to_it() {
    let mut w = World::new();
    let cast = w.cast();
    let b = batch("ITEMS");
    w.unit(&cast, &b, TraceMode::Manufacturer);
    w.exec(
        &cast.producer,
        Payload::TraceUnit(TraceUnitRecord::RegisterItemCodes(ItemCodesRegistration {
            batch: b.clone(),
            serials: vec!["0001".into(), "0002".into()],
        })),
    )
    .unwrap();
    let item = TraceCode::Item {
        gtin: GTIN.into(),
        serial: "0002".into(),
    };
    let n = tracechain_contracts::trace_codes::NormalisedCode::new("c", &item).unwrap();
    let u = trace::load(&w.state, &n).expect("item is a trace unit");
    assert_eq!(u.mode, TraceMode::Manufacturer);
    let nb = tracechain_contracts::trace_codes::NormalisedCode::new("b", &b).unwrap();
    assert_eq!(u.batch.as_ref(), Some(nb.code()));
    // only under a registered batch
    let e = w
        .exec(
            &cast.producer,
            Payload::TraceUnit(TraceUnitRecord::RegisterItemCodes(ItemCodesRegistration {
                batch: batch("NONE"),
                serials: vec!["1".into()],
            })),
        )
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::UnknownTraceUnit);
}

#[test]
fn r_a4_consumers_give_feedback_but_are_not_trace_service_providers() {
    let mut w = World::new();
    let cast = w.cast();
    let code = batch("ROLE");
    w.unit(&cast, &code, TraceMode::Full);
    let consumer = w.seed(
        900,
        ParticipantCategory::ConsumerOrOther,
        vec![],
        tracechain_contracts::registry::ParticipantState::Approved,
    );
    w.exec(
        &consumer,
        Payload::Consumer(ConsumerRecord::Feedback(Feedback {
            feedback_ref: "F".into(),
            code: code.clone(),
            text: "where was it packed?".into(),
        })),
    )
    .unwrap();
    let answer = Payload::Consumer(ConsumerRecord::FeedbackAnswer(FeedbackAnswer {
        author: consumer.public(),
        feedback_ref: "F".into(),
        text: "in Anji".into(),
    }));
    let e = w.exec(&consumer, answer.clone()).unwrap_err();
    assert_eq!((e.rule, e.code), (Rule::RS7, ErrorCode::NotPermitted));
    // a regulator (information provider and supervisor) may answer
    w.exec(&cast.regulator, answer).unwrap();
}
