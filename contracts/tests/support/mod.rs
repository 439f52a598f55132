//! Test fixtures for lineage and business records: item codes, SSCCs, lineage records, a realistic multi-level
//! supply chain for recall tests.
#![allow(dead_code)]

use crate::common::*;
use tracechain_contracts::registry::ParticipantState;
use tracechain_gs1::Sscc;
use tracechain_types::payload::PayloadKind as K;
use tracechain_types::records::*;
use tracechain_types::{InfoBlockRecord, LineageRecord, Payload, SecretKey, TraceUnitRecord};

pub const T: &str = "2024-05-01T08:30:00Z";

/// A valid SSCC with serial reference `n`.
pub fn sscc(n: u32) -> String {
    Sscc::from_body(&format!("0690123{n:010}"))
        .unwrap()
        .as_str()
        .to_string()
}

/// An item-level code of `GTIN`.
pub fn item(serial: &str) -> TraceCode {
    TraceCode::Item {
        gtin: GTIN.into(),
        serial: serial.into(),
    }
}

/// A batch of the second GTIN (raw materials).
pub fn material(b: &str) -> TraceCode {
    TraceCode::Batch {
        gtin: GTIN2.into(),
        batch: b.into(),
    }
}

/// The element string of a code (as the read side reports units).
pub fn es(code: &TraceCode) -> String {
    match code {
        TraceCode::Batch { gtin, batch } => format!("01{:0>14}10{batch}", gtin),
        TraceCode::Item { gtin, serial } => format!("01{:0>14}21{serial}", gtin),
    }
}

pub fn register_items(w: &mut World, cast: &Cast, b: &TraceCode, serials: &[&str]) {
    w.exec(
        &cast.producer,
        Payload::TraceUnit(TraceUnitRecord::RegisterItemCodes(ItemCodesRegistration {
            batch: b.clone(),
            serials: serials.iter().map(|s| s.to_string()).collect(),
        })),
    )
    .expect("items register");
}

pub fn transform(inputs: &[TraceCode], outputs: &[TraceCode]) -> Payload {
    Payload::Lineage(LineageRecord::Transformation(Transformation {
        inputs: inputs.to_vec(),
        outputs: outputs.to_vec(),
        time: T.into(),
    }))
}

pub fn pack(sscc: &str, contents: &[TraceCode]) -> Payload {
    Payload::Lineage(LineageRecord::Aggregation(Aggregation {
        sscc: sscc.into(),
        contents: contents.to_vec(),
        action: AggregationAction::Pack,
        time: T.into(),
    }))
}

pub fn unpack(sscc: &str, contents: &[TraceCode]) -> Payload {
    Payload::Lineage(LineageRecord::Aggregation(Aggregation {
        sscc: sscc.into(),
        contents: contents.to_vec(),
        action: AggregationAction::Unpack,
        time: T.into(),
    }))
}

pub fn ship(reference: &str, codes: &[TraceCode], ssccs: &[String], country: &str) -> Payload {
    Payload::Lineage(LineageRecord::Shipment(Shipment {
        trace_codes: codes.to_vec(),
        ssccs: ssccs.to_vec(),
        destination_country: country.into(),
        reference: reference.into(),
        time: T.into(),
    }))
}

/// An order for `code` with reference `ORD-{n}` (by the cast's trader).
pub fn order(code: &TraceCode, n: u64) -> Payload {
    valid_record(K::Order, code, n)
}

/// A warehousing record of `code` in a named warehouse and country.
pub fn warehousing(code: &TraceCode, name: &str, country: &str) -> Payload {
    match valid_record(K::Warehousing, code, 1) {
        Payload::InfoBlock(InfoBlockRecord::Warehousing(mut r)) => {
            r.warehouse_name = Some(name.into());
            r.country = Some(country.into());
            Payload::InfoBlock(InfoBlockRecord::Warehousing(r))
        }
        _ => unreachable!(),
    }
}

/// A consumer participant.
pub fn consumer(w: &mut World, seed: u64) -> SecretKey {
    w.seed(
        seed,
        ParticipantCategory::ConsumerOrOther,
        vec![],
        ParticipantState::Approved,
    )
}

/// The realistic chain of the recall tests:
///
/// ```text
/// material M1 ──transformation──▶ P-A (items A1 A2 A3) ─┐
///              └─────────────────▶ P-B (items B1 B2)    │ SSCC 1 = {A1, A2, P-B} ─▶ NL
/// material M2 ──transformation──▶ P-C (unaffected)       SSCC 2 = {A3}         ─▶ DE
///                                                        B2 shipped alone      ─▶ FR
///                                                        SSCC 3 = {P-C}        ─▶ US
/// warehouses: A1 in "Rotterdam DC" (NL), P-C in "Newark DC" (US)
/// orders: ORD-1 for A1, ORD-2 for B1, ORD-9 for P-C
/// ```
pub struct Chain {
    pub w: World,
    pub cast: Cast,
    pub m1: TraceCode,
    pub m2: TraceCode,
    pub pa: TraceCode,
    pub pb: TraceCode,
    pub pc: TraceCode,
    pub ssccs: [String; 3],
}

pub fn supply_chain() -> Chain {
    let mut w = World::new();
    let cast = w.cast();
    let (m1, m2) = (material("M1"), material("M2"));
    let (pa, pb, pc) = (batch("P-A"), batch("P-B"), batch("P-C"));
    for c in [&m1, &m2, &pa, &pb, &pc] {
        w.unit(&cast, c, TraceMode::Full);
    }
    register_items(&mut w, &cast, &pa, &["A1", "A2", "A3"]);
    register_items(&mut w, &cast, &pb, &["B1", "B2"]);
    w.exec(
        &cast.producer,
        transform(std::slice::from_ref(&m1), &[pa.clone(), pb.clone()]),
    )
    .unwrap();
    w.exec(
        &cast.producer,
        transform(std::slice::from_ref(&m2), std::slice::from_ref(&pc)),
    )
    .unwrap();
    let s = [sscc(1), sscc(2), sscc(3)];
    w.exec(
        &cast.logistics,
        pack(&s[0], &[item("A1"), item("A2"), pb.clone()]),
    )
    .unwrap();
    w.exec(&cast.logistics, pack(&s[1], &[item("A3")])).unwrap();
    w.exec(&cast.logistics, pack(&s[2], std::slice::from_ref(&pc)))
        .unwrap();
    w.exec(&cast.logistics, ship("WB-NL", &[], &[s[0].clone()], "NL"))
        .unwrap();
    w.exec(&cast.logistics, ship("WB-DE", &[], &[s[1].clone()], "DE"))
        .unwrap();
    w.exec(&cast.logistics, ship("WB-FR", &[item("B2")], &[], "FR"))
        .unwrap();
    w.exec(&cast.logistics, ship("WB-US", &[], &[s[2].clone()], "US"))
        .unwrap();
    w.exec(
        &cast.logistics,
        warehousing(&item("A1"), "Rotterdam DC", "NL"),
    )
    .unwrap();
    w.exec(&cast.logistics, warehousing(&pc, "Newark DC", "US"))
        .unwrap();
    w.exec(&cast.trader, order(&item("A1"), 1)).unwrap();
    w.exec(&cast.trader, order(&item("B1"), 2)).unwrap();
    w.exec(&cast.trader, order(&pc, 9)).unwrap();
    Chain {
        w,
        cast,
        m1,
        m2,
        pa,
        pb,
        pc,
        ssccs: s,
    }
}
