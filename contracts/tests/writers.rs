//! Writers tied to the units they write about (ADR 0024, R-A6 with R-N1–R-N4; ADRs 0040 and
//! 0045): a product- or trade-block record, a customs declaration, a transformation input, an
//! export declaration or a self-declared logistics record for a unit is written by the unit's
//! registrant or by a participant with a two-sided trade relationship with it; logistics
//! blocks of logistics nodes stay open.

mod common;

use common::*;
use tracechain_contracts::registry::ParticipantState;
use tracechain_contracts::ErrorCode;
use tracechain_contracts::Rule;
use tracechain_types::payload::PayloadKind as K;
use tracechain_types::records::*;
use tracechain_types::{
    ClosedLoopRecord, Hash, InfoBlockRecord, LineageRecord, ParticipantRecord, Payload, SecretKey,
    TraceUnitRecord,
};

/// A second approved producer (a competitor) and a second trader, without relationships.
fn outsiders(w: &mut World) -> (SecretKey, SecretKey) {
    let producer = w.seed(
        301,
        ParticipantCategory::TradeEntity(TradeEntityKind::Manufacturer),
        vec![NodeType::Producer],
        ParticipantState::Approved,
    );
    let trader = w.seed(
        302,
        ParticipantCategory::TradeEntity(TradeEntityKind::EcommerceEnterprise),
        vec![NodeType::DomesticProcurement, NodeType::TradingPlatform],
        ParticipantState::Approved,
    );
    (producer, trader)
}

fn assert_not_owner(
    r: Result<tracechain_contracts::WriteSet, tracechain_contracts::ContractError>,
) {
    let e = r.expect_err("a record for another participant's unit must be refused");
    assert_eq!(e.code, ErrorCode::NotOwner, "{e}");
    assert_eq!(e.rule, Rule::RA6, "{e}");
    assert!(e.names("trace_codes[0]"), "{e}");
    assert!(!e.names("signer"), "{e}");
}

#[test]
fn r_a6_product_block_records_only_by_the_registrant_or_a_trade_partner() {
    let mut w = World::new();
    let cast = w.cast();
    let (rival, _) = outsiders(&mut w);
    let code = batch("OWN-1");
    w.unit(&cast, &code, TraceMode::Manufacturer);
    // Every product-block category, including the R-S6 sensor range (P3), is refused for a
    // producer that neither registered the unit nor trades with its registrant.
    for (n, kind) in [
        K::Materials,
        K::Production,
        K::ProductFeatures,
        K::ProductCode,
    ]
    .into_iter()
    .enumerate()
    {
        assert_not_owner(w.exec(&rival, valid_record(kind, &code, n as u64)));
    }
    // The registrant writes them.
    for (n, kind) in [K::Production, K::ProductFeatures].into_iter().enumerate() {
        w.exec(&cast.producer, valid_record(kind, &code, n as u64))
            .unwrap();
    }
    // Once both sides signed a relationship, the partner producer (a contract processor)
    // may write too.
    let terms = Hash::digest(b"processing contract");
    for (a, b) in [(&rival, &cast.producer), (&cast.producer, &rival)] {
        w.exec(
            a,
            Payload::Participant(ParticipantRecord::TradeRelationship(TradeRelationship {
                counterparty: b.public(),
                terms,
            })),
        )
        .unwrap();
    }
    w.exec(&rival, valid_record(K::Materials, &code, 9))
        .unwrap();
}

#[test]
fn r_a6_one_sided_relationship_does_not_let_a_writer_in() {
    let mut w = World::new();
    let cast = w.cast();
    let (rival, _) = outsiders(&mut w);
    let code = batch("OWN-2");
    w.unit(&cast, &code, TraceMode::Manufacturer);
    w.exec(
        &rival,
        Payload::Participant(ParticipantRecord::TradeRelationship(TradeRelationship {
            counterparty: cast.producer.public(),
            terms: Hash::digest(b"claimed"),
        })),
    )
    .unwrap();
    assert_not_owner(w.exec(&rival, valid_record(K::ProductFeatures, &code, 1)));
}

#[test]
fn r_a6_a_stranger_cannot_satisfy_the_customs_gate_for_someone_elses_unit() {
    let mut w = World::new();
    let cast = w.cast();
    let (rival, stranger) = outsiders(&mut w);
    let code = batch("GATE-1");
    w.unit(&cast, &code, TraceMode::Trader);
    // R-X3 in TRADER mode needs P3 and T3: a third party cannot provide them.
    assert_not_owner(w.exec(&rival, valid_record(K::ProductFeatures, &code, 1)));
    assert_not_owner(w.exec(&stranger, valid_record(K::TradeProductCode, &code, 1)));
    let e = w
        .exec(&cast.port, valid_record(K::CustomsDeclaration, &code, 1))
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::CustomsGate, "{e}");
}

#[test]
fn r_a6_trade_block_records_by_the_registrants_partners_only() {
    let mut w = World::new();
    let cast = w.cast();
    let (_, stranger) = outsiders(&mut w);
    let payer = w.seed(
        303,
        ParticipantCategory::Financial,
        vec![NodeType::CrossBorderPayment],
        ParticipantState::Approved,
    );
    let code = batch("TRADE-1");
    w.unit(&cast, &code, TraceMode::Full);
    for (n, kind) in [K::Order, K::TradeProductCode].into_iter().enumerate() {
        assert_not_owner(w.exec(&stranger, valid_record(kind, &code, n as u64)));
        // the cast's trader trades with the producer (fixture relationship)
        w.exec(&cast.trader, valid_record(kind, &code, n as u64))
            .unwrap();
    }
    assert_not_owner(w.exec(&payer, valid_record(K::PaymentReceipt, &code, 1)));
    w.exec(&cast.payment, valid_record(K::PaymentReceipt, &code, 1))
        .unwrap();
}

#[test]
fn r_a6_every_foreign_unit_of_a_record_is_named() {
    let mut w = World::new();
    let cast = w.cast();
    let (rival, _) = outsiders(&mut w);
    w.hold_prefix(&rival, PREFIX3);
    let mine = TraceCode::Batch {
        gtin: GTIN3.into(),
        batch: "MINE-1".into(),
    };
    let theirs = batch("THEIRS-1");
    w.unit(&cast, &theirs, TraceMode::Trader);
    w.exec(
        &rival,
        Payload::TraceUnit(TraceUnitRecord::RegisterTraceUnit(TraceUnitRegistration {
            code: mine.clone(),
            mode: TraceMode::Trader,
            product_name: "Rival tea".into(),
        })),
    )
    .unwrap();
    let Payload::InfoBlock(InfoBlockRecord::ProductFeatures(mut r)) =
        valid_record(K::ProductFeatures, &mine, 1)
    else {
        unreachable!()
    };
    r.trace_codes = vec![mine.clone(), theirs.clone()];
    let e = w
        .exec(
            &rival,
            Payload::InfoBlock(InfoBlockRecord::ProductFeatures(r)),
        )
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::NotOwner, "{e}");
    assert!(
        e.names("trace_codes[1]") && !e.names("trace_codes[0]"),
        "{e}"
    );
}

#[test]
fn r_a6_item_units_belong_to_their_batchs_registrant() {
    let mut w = World::new();
    let cast = w.cast();
    let (rival, _) = outsiders(&mut w);
    let code = batch("ITEMS-1");
    w.unit(&cast, &code, TraceMode::Trader);
    w.exec(
        &cast.producer,
        Payload::TraceUnit(TraceUnitRecord::RegisterItemCodes(ItemCodesRegistration {
            batch: code.clone(),
            serials: vec!["S1".into()],
        })),
    )
    .unwrap();
    let it = TraceCode::Item {
        gtin: GTIN.into(),
        serial: "S1".into(),
    };
    assert_not_owner(w.exec(&rival, valid_record(K::ProductFeatures, &it, 1)));
    w.exec(&cast.producer, valid_record(K::ProductFeatures, &it, 1))
        .unwrap();
}

/// Logistics records were open to every logistics node: any carrier could record a transport,
/// a delivery or a loss (L5) of another producer's goods. They are now written by the units'
/// custodians: the registrant, its trade partners, and whoever was handed the units over
/// (ADR 0049); a hand-over can be passed on (a forwarder engaging a carrier).
#[test]
fn r_l5_attack_a_carrier_without_custody_cannot_record_others_goods() {
    let mut w = World::new();
    let cast = w.cast();
    let carrier = w.seed(
        304,
        ParticipantCategory::Logistics,
        vec![
            NodeType::InternationalTransport,
            NodeType::OverseasClearanceDelivery,
        ],
        ParticipantState::Approved,
    );
    let subcontractor = w.seed(
        305,
        ParticipantCategory::Logistics,
        vec![NodeType::OverseasClearanceDelivery],
        ParticipantState::Approved,
    );
    let code = batch("OPEN-1");
    w.unit(&cast, &code, TraceMode::Trader);
    for kind in [K::Transport, K::DeliveryException] {
        let e = w.exec(&carrier, valid_record(kind, &code, 1)).unwrap_err();
        assert_eq!(
            (e.rule, e.code),
            (Rule::RA6, ErrorCode::NotOwner),
            "{kind:?}: {e}"
        );
        assert!(e.names("trace_codes[0]"), "{e}");
    }
    let handover = |to: &SecretKey| {
        Payload::TraceUnit(TraceUnitRecord::Handover(Handover {
            trace_codes: vec![code.clone()],
            to: to.public(),
        }))
    };
    // a stranger cannot hand over what it does not hold
    let e = w.exec(&carrier, handover(&subcontractor)).unwrap_err();
    assert_eq!((e.rule, e.code), (Rule::RA6, ErrorCode::NotOwner), "{e}");
    // the producer's forwarder (a trade partner) hands the goods to the carrier, which
    // subcontracts the last mile
    w.exec(&cast.logistics, valid_record(K::Tally, &code, 1))
        .unwrap();
    w.exec(&cast.logistics, handover(&carrier)).unwrap();
    w.exec(&carrier, valid_record(K::Transport, &code, 1))
        .unwrap();
    w.exec(&carrier, handover(&subcontractor)).unwrap();
    w.exec(&subcontractor, valid_record(K::Delivery, &code, 1))
        .unwrap();
    // product, trade and customs writers are unchanged (ADRs 0024, 0040)
    w.exec(&cast.producer, valid_record(K::ProductFeatures, &code, 1))
        .unwrap();
    w.exec(&cast.trader, valid_record(K::TradeProductCode, &code, 1))
        .unwrap();
    w.exec(&cast.port, valid_record(K::CustomsDeclaration, &code, 1))
        .unwrap();
}

/// Any producer could name another producer's batch as an input of its transformation, so the
/// victim's origin appeared in the attacker's lineage (and the attacker's products among the
/// victim's recall). Inputs are the signer's units or its suppliers' (R-A6, ADR 0045).
#[test]
fn r_s3_attack_a_stranger_cannot_take_another_producers_batch_as_input() {
    let mut w = World::new();
    let cast = w.cast();
    let (rival, _) = outsiders(&mut w);
    w.hold_prefix(&rival, PREFIX3);
    let victim = batch("ORIGIN-1");
    w.unit(&cast, &victim, TraceMode::Full);
    let product = TraceCode::Batch {
        gtin: GTIN3.into(),
        batch: "BLEND-1".into(),
    };
    w.exec(
        &rival,
        Payload::TraceUnit(TraceUnitRecord::RegisterTraceUnit(TraceUnitRegistration {
            code: product.clone(),
            mode: TraceMode::Full,
            product_name: "Blended tea".into(),
        })),
    )
    .unwrap();
    let blend = Payload::Lineage(LineageRecord::Transformation(Transformation {
        inputs: vec![victim.clone()],
        outputs: vec![product.clone()],
        time: "2024-05-01T08:30:00Z".into(),
    }));
    let e = w.exec(&rival, blend.clone()).unwrap_err();
    assert_eq!((e.rule, e.code), (Rule::RA6, ErrorCode::NotOwner), "{e}");
    assert!(e.names("inputs[0]") && !e.names("outputs[0]"), "{e}");
    // once the producer supplies the rival under a trade relationship, it may
    w.relate(&cast.producer, &rival);
    w.exec(&rival, blend).unwrap();
}

/// The platform operator is not an information provider (Table 5), yet a bulk import let it
/// write orders and logistics records for any unit (ADR 0045).
#[test]
fn r_q3_attack_the_platform_operator_writes_no_information_blocks() {
    let mut w = World::new();
    let cast = w.cast();
    let operator = w.seed(
        310,
        ParticipantCategory::PlatformOperator,
        vec![],
        ParticipantState::Approved,
    );
    let code = batch("OP-1");
    w.unit(&cast, &code, TraceMode::Full);
    let Payload::InfoBlock(InfoBlockRecord::Order(order)) = valid_record(K::Order, &code, 1) else {
        unreachable!()
    };
    let e = w
        .exec(
            &operator,
            Payload::ClosedLoop(ClosedLoopRecord::BulkImport(BulkImport {
                source: "operator".into(),
                records: vec![InfoBlockRecord::Order(order)],
            })),
        )
        .unwrap_err();
    assert_eq!(
        (e.rule, e.code),
        (Rule::RQ3, ErrorCode::NotPermitted),
        "{e}"
    );
}
