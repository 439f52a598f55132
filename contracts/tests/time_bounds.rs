//! R-X1 against the block's time: record times later than the block time plus
//! `ChainParams::max_record_future_skew_ms`, or before the Unix epoch, are malformed items,
//! and every offending field is named. The test chain's block time is 2027-01-01T00:00:00Z
//! plus one second per height (`common::ctx`), heights here stay below 60, so 00:04:00 is
//! within the default five minutes and 00:10:00 beyond.

mod common;
mod support;

use common::*;
use support::*;
use tracechain_contracts::Rule;
use tracechain_contracts::{ChainParams, ChainParamsError, ErrorCode, Problem};
use tracechain_contracts::{DEFAULT_RECORD_FUTURE_SKEW_MS, MAX_RECORD_FUTURE_SKEW_MS};
use tracechain_types::payload::PayloadKind as K;
use tracechain_types::records::epcis::{EpcisErrorDeclaration, EpcisEventRecord, EpcisEventType};
use tracechain_types::records::*;
use tracechain_types::{
    ConsumerRecord, EpcisRecord, Hash, InfoBlockRecord, LineageRecord, Payload,
};

const WITHIN: &str = "2027-01-01T00:04:00Z";
const BEYOND: &str = "2027-01-01T00:10:00Z";
const BEFORE_EPOCH: &str = "1969-12-31T23:59:59Z";

fn out_of_range(e: &tracechain_contracts::ContractError, field: &str) -> bool {
    e.problems
        .iter()
        .any(|p| p.field == field && matches!(p.problem, Problem::OutOfRange(_)))
}

#[test]
fn r_x1_future_record_times_beyond_the_skew_are_malformed_and_every_field_named() {
    let mut w = World::new();
    let cast = w.cast();
    let code = batch("future");
    w.unit(&cast, &code, TraceMode::Full);
    let Payload::InfoBlock(InfoBlockRecord::Transport(mut t)) =
        valid_record(K::Transport, &code, 1)
    else {
        unreachable!()
    };
    t.positions = vec![Position {
        time: BEYOND.into(),
        lat_e7: 310_000_000,
        lon_e7: 1_210_000_000,
        system: PositioningSystem::Gps,
    }];
    t.sensor_readings = vec![
        SensorReading {
            time: WITHIN.into(),
            temperature_centi_c: Some(500),
            humidity_bp: None,
        },
        SensorReading {
            time: BEYOND.into(),
            temperature_centi_c: Some(500),
            humidity_bp: None,
        },
    ];
    let e = w
        .try_exec(
            &cast.logistics,
            Payload::InfoBlock(InfoBlockRecord::Transport(t)),
        )
        .unwrap_err();
    assert_eq!(
        (e.rule, e.code),
        (Rule::RL2, ErrorCode::MalformedItem),
        "{e}"
    );
    assert!(out_of_range(&e, "positions[0].time"), "{e}");
    assert!(out_of_range(&e, "sensor_readings[1].time"), "{e}");
    assert_eq!(
        e.problems.len(),
        2,
        "the reading within the skew is fine: {e}"
    );

    let Payload::InfoBlock(InfoBlockRecord::PaymentReceipt(mut r)) =
        valid_record(K::PaymentReceipt, &code, 1)
    else {
        unreachable!()
    };
    r.receipt_time = Some(BEYOND.into());
    r.settlement_time = Some("2027-01-02T00:00:00Z".into());
    let e = w
        .try_exec(
            &cast.payment,
            Payload::InfoBlock(InfoBlockRecord::PaymentReceipt(r)),
        )
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::MalformedItem, "{e}");
    assert!(out_of_range(&e, "receipt_time"), "{e}");
    assert!(out_of_range(&e, "settlement_time"), "{e}");
}

#[test]
fn r_x1_future_event_dates_of_customs_and_materials_are_refused_but_expiry_may_be_future() {
    let mut w = World::new();
    let cast = w.cast();
    let code = batch("future-dates");
    w.unit(&cast, &code, TraceMode::Full);
    let Payload::InfoBlock(InfoBlockRecord::Materials(mut m)) =
        valid_record(K::Materials, &code, 1)
    else {
        unreachable!()
    };
    m.expiry = Some("2030-01-01".into());
    w.exec(
        &cast.producer,
        Payload::InfoBlock(InfoBlockRecord::Materials(m.clone())),
    )
    .expect("an expiry date lies in the future by nature");
    m.production_date = Some("2027-01-02".into());
    let e = w
        .try_exec(
            &cast.producer,
            Payload::InfoBlock(InfoBlockRecord::Materials(m)),
        )
        .unwrap_err();
    assert!(out_of_range(&e, "production_date"), "{e}");
    assert_eq!(e.problems.len(), 1, "{e}");

    let Payload::InfoBlock(InfoBlockRecord::CustomsDeclaration(mut d)) =
        valid_record(K::CustomsDeclaration, &code, 1)
    else {
        unreachable!()
    };
    d.declaration_date = Some("2027-01-03".into());
    let e = w
        .try_exec(
            &cast.port,
            Payload::InfoBlock(InfoBlockRecord::CustomsDeclaration(d)),
        )
        .unwrap_err();
    assert_eq!(
        (e.rule, e.code),
        (Rule::RC1, ErrorCode::MalformedItem),
        "{e}"
    );
    assert!(out_of_range(&e, "declaration_date"), "{e}");
}

#[test]
fn r_x1_future_times_within_the_skew_are_accepted() {
    let mut w = World::new();
    let cast = w.cast();
    let code = batch("within");
    w.unit(&cast, &code, TraceMode::Full);
    let Payload::InfoBlock(InfoBlockRecord::Production(mut p)) =
        valid_record(K::Production, &code, 1)
    else {
        unreachable!()
    };
    p.production_time = Some(WITHIN.into());
    w.exec(
        &cast.producer,
        Payload::InfoBlock(InfoBlockRecord::Production(p)),
    )
    .unwrap();
}

#[test]
fn r_x1_future_skew_follows_the_chain_parameter() {
    let mut w = World::new();
    let cast = w.cast();
    let code = batch("param");
    w.unit(&cast, &code, TraceMode::Full);
    let Payload::InfoBlock(InfoBlockRecord::Production(mut p)) =
        valid_record(K::Production, &code, 1)
    else {
        unreachable!()
    };
    p.production_time = Some(BEYOND.into()); // 10 minutes after the block
    let tx = w.tx(
        &cast.producer,
        Payload::InfoBlock(InfoBlockRecord::Production(p)),
    );
    let mut c = ctx(w.height);
    assert!(execute_signed(&tx, &c, &w.state).is_err());
    c.params.max_record_future_skew_ms = 15 * 60 * 1000;
    execute_signed(&tx, &c, &w.state).expect("within a 15-minute skew");
    c.params.max_record_future_skew_ms = 0;
    c.timestamp_ms = BLOCK_TIME_MS + 10 * 60 * 1000;
    execute_signed(&tx, &c, &w.state).expect("equal to the block time");
    c.timestamp_ms -= 1;
    let e = execute_signed(&tx, &c, &w.state).unwrap_err();
    assert!(out_of_range(&e, "production_time"), "{e}");
}

#[test]
fn r_x1_future_skew_parameter_is_validated() {
    let p = ChainParams::default();
    assert_eq!(p.max_record_future_skew_ms, DEFAULT_RECORD_FUTURE_SKEW_MS);
    assert_eq!(DEFAULT_RECORD_FUTURE_SKEW_MS, 300_000);
    assert_eq!(p.validate(), Ok(()));
    let at_max = ChainParams {
        max_record_future_skew_ms: MAX_RECORD_FUTURE_SKEW_MS,
        ..ChainParams::default()
    };
    assert_eq!(at_max.validate(), Ok(()));
    let over = ChainParams {
        max_record_future_skew_ms: MAX_RECORD_FUTURE_SKEW_MS + 1,
        ..ChainParams::default()
    };
    assert_eq!(
        over.validate(),
        Err(ChainParamsError::FutureSkewTooLarge {
            got: MAX_RECORD_FUTURE_SKEW_MS + 1,
            max: MAX_RECORD_FUTURE_SKEW_MS
        })
    );
}

#[test]
fn r_x1_times_before_the_unix_epoch_are_refused() {
    let mut w = World::new();
    let cast = w.cast();
    let code = batch("epoch");
    w.unit(&cast, &code, TraceMode::Full);
    let Payload::InfoBlock(InfoBlockRecord::Production(mut p)) =
        valid_record(K::Production, &code, 1)
    else {
        unreachable!()
    };
    p.production_time = Some(BEFORE_EPOCH.into());
    let e = w
        .try_exec(
            &cast.producer,
            Payload::InfoBlock(InfoBlockRecord::Production(p)),
        )
        .unwrap_err();
    assert_eq!(
        (e.rule, e.code),
        (Rule::RP2, ErrorCode::MalformedItem),
        "{e}"
    );
    assert!(out_of_range(&e, "production_time"), "{e}");
    // The oldest RFC 3339 year is refused too: the workspace's one parser does not read year
    // 0000 (as EPCIS validation never did), so it is a malformed time.
    let Payload::InfoBlock(InfoBlockRecord::Order(mut o)) = valid_record(K::Order, &code, 1) else {
        unreachable!()
    };
    o.order_time = Some("0000-01-01T00:00:00Z".into());
    let e = w
        .try_exec(&cast.trader, Payload::InfoBlock(InfoBlockRecord::Order(o)))
        .unwrap_err();
    assert_eq!(
        (e.rule, e.code),
        (Rule::RT1, ErrorCode::MalformedItem),
        "{e}"
    );
    assert!(e.names("order_time"), "{e}");
}

fn epcis(event_time_ms: i64, declaration_time_ms: Option<i64>) -> Payload {
    let prehash = "eventType=ObjectEventeventTime=2026-07-22T04:45:00.000Z".to_string();
    Payload::Epcis(EpcisRecord::EpcisEvent(EpcisEventRecord {
        event_hash: Hash::digest(prehash.as_bytes()),
        event_type: EpcisEventType::ObjectEvent,
        event_time_ms,
        biz_step: None,
        trace_codes: vec![],
        prehash,
        error_declaration: declaration_time_ms.map(|t| EpcisErrorDeclaration {
            declaration_time_ms: t,
            reason: None,
        }),
    }))
}

#[test]
fn r_x1_future_or_absurd_epcis_event_times_are_refused() {
    let mut w = World::new();
    let cast = w.cast();
    let e = w
        .try_exec(&cast.producer, epcis(i64::MAX, Some(-1)))
        .unwrap_err();
    assert_eq!(
        (e.rule, e.code),
        (Rule::RX1, ErrorCode::MalformedItem),
        "{e}"
    );
    assert!(out_of_range(&e, "event_time_ms"), "{e}");
    assert!(
        out_of_range(&e, "error_declaration.declaration_time_ms"),
        "{e}"
    );
    let e = w.try_exec(&cast.producer, epcis(-1, None)).unwrap_err();
    assert!(out_of_range(&e, "event_time_ms"), "{e}");
    // 2026-07-22T04:45:00Z lies before the test chain's block time.
    w.exec(&cast.producer, epcis(1_784_695_500_000, None))
        .expect("a past event is anchored");
}

#[test]
fn r_x1_future_scan_and_lineage_times_are_refused() {
    let mut w = World::new();
    let cast = w.cast();
    let scanner = consumer(&mut w, 4242);
    let code = batch("scan-future");
    w.unit(&cast, &code, TraceMode::Full);
    register_items(&mut w, &cast, &code, &["S1"]);
    // A scan states no time: its time is its block's (ADR 0043), so it cannot lie ahead.
    w.exec(
        &scanner,
        Payload::Consumer(ConsumerRecord::ConsumerScan(ConsumerScan {
            code: item("S1"),
            scanner_tag: Hash::ZERO,
            country: "NL".into(),
            coarse_lat_e2: None,
            coarse_lon_e2: None,
        })),
    )
    .unwrap();

    let out = batch("scan-future-out");
    w.unit(&cast, &out, TraceMode::Full);
    let Payload::Lineage(LineageRecord::Transformation(mut t)) = transform(&[code], &[out]) else {
        unreachable!()
    };
    t.time = BEYOND.into();
    let e = w
        .try_exec(
            &cast.producer,
            Payload::Lineage(LineageRecord::Transformation(t)),
        )
        .unwrap_err();
    assert!(out_of_range(&e, "time"), "{e}");
}
