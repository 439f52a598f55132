//! Mapping EPCIS events onto `tracechain_types::Payload`s: every event of every shared
//! document becomes at least one payload (never dropped), anchored events carry their exact
//! pre-hash, and the record kinds and fields follow the table of docs/epcis.md.

mod common;

use tracechain_epcis::map::{code_info, map_document, MappedEvent};
use tracechain_epcis::Document;
use tracechain_types::records::epcis::{EpcisEventRecord, EpcisEventType};
use tracechain_types::records::*;
use tracechain_types::{EpcisRecord, InfoBlockRecord, LineageRecord, Payload, TraceUnitRecord};

fn load(sub: &str, name: &str) -> (Document, Vec<MappedEvent>) {
    let path = common::epcis_dir().join(sub).join(name);
    let doc = Document::parse(&std::fs::read(&path).unwrap()).unwrap();
    let m = map_document(&doc);
    (doc, m)
}

fn item(gtin: &str, serial: &str) -> TraceCode {
    TraceCode::Item {
        gtin: gtin.into(),
        serial: serial.into(),
    }
}

fn anchored(m: &MappedEvent) -> Option<&EpcisEventRecord> {
    m.payloads.iter().find_map(|p| match p {
        Payload::Epcis(EpcisRecord::EpcisEvent(r)) => Some(r),
        _ => None,
    })
}

#[test]
fn epcis_map_every_event_becomes_a_payload_never_dropped() {
    let mut events = 0;
    let mut anchored_events = 0;
    for sub in ["examples", "valid", "hash-vectors"] {
        for path in common::files(sub, &["json", "jsonld"]) {
            let doc = Document::parse(&std::fs::read(&path).unwrap()).unwrap();
            let mapped = map_document(&doc);
            let hashes = doc.event_hashes();
            assert_eq!(mapped.len(), doc.events.len(), "{}", path.display());
            for (m, h) in mapped.iter().zip(&hashes) {
                events += 1;
                assert_eq!(m.event_hash, h.id);
                assert!(
                    !m.payloads.is_empty(),
                    "{} event {} mapped to nothing: {:?}",
                    path.display(),
                    m.event_index,
                    m.notes
                );
                if let Some(r) = anchored(m) {
                    anchored_events += 1;
                    // The anchor is the event's CBV 2.0 hash id and exact pre-hash.
                    assert_eq!(r.hash_id(), h.id, "{}", path.display());
                    assert_eq!(r.prehash, h.prehash);
                    assert!(r
                        .prehash
                        .starts_with(&format!("eventType={}", r.event_type.as_str())));
                    assert!(m.notes.iter().any(|n| n.starts_with("EpcisEvent: ")));
                }
                // Payloads that must name trace units do.
                for p in &m.payloads {
                    let codes = match p {
                        Payload::InfoBlock(InfoBlockRecord::Transport(r)) => &r.trace_codes,
                        Payload::InfoBlock(InfoBlockRecord::Warehousing(r)) => &r.trace_codes,
                        Payload::InfoBlock(InfoBlockRecord::Tally(r)) => &r.trace_codes,
                        Payload::InfoBlock(InfoBlockRecord::Order(r)) => &r.trace_codes,
                        Payload::InfoBlock(InfoBlockRecord::CustomsStatus(r)) => &r.trace_codes,
                        Payload::InfoBlock(InfoBlockRecord::Production(r)) => &r.trace_codes,
                        _ => continue,
                    };
                    assert!(
                        !codes.is_empty(),
                        "{} event {}: {p:?}",
                        path.display(),
                        m.event_index
                    );
                }
            }
        }
    }
    assert!(anchored_events > 0 && anchored_events < events);
    println!("mapped {events} events, {anchored_events} kept as anchored EPCIS events");
}

#[test]
fn epcis_map_various_event_types_to_payloads() {
    let (_, m) = load("hash-vectors", "epcisDocWithVariousEventTypes.jsonld");
    assert_eq!(m.len(), 13);
    // 0: departing an SSCC only: a Transport needs a trace unit (R-X4), so the event is
    // anchored by its hash alone.
    match &m[0].payloads[..] {
        [Payload::Epcis(EpcisRecord::EpcisEvent(r))] => {
            assert_eq!(r.event_type, EpcisEventType::ObjectEvent);
            assert_eq!(
                r.biz_step.as_deref(),
                Some("https://ref.gs1.org/cbv/BizStep-departing")
            );
            assert!(r.trace_codes.is_empty());
            assert!(r.error_declaration.is_none());
        }
        other => panic!("event 0: {other:?}"),
    }
    // 3: commissioning with ILMD → production and product features of the new batch; the
    // basic items EPCIS does not carry stay empty and the notes say so.
    let batch = TraceCode::Batch {
        gtin: "04054739999148".into(),
        batch: "20160711".into(),
    };
    match &m[3].payloads[..] {
        [Payload::InfoBlock(InfoBlockRecord::Production(p)), Payload::InfoBlock(InfoBlockRecord::ProductFeatures(f))] =>
        {
            assert_eq!(p.trace_codes, vec![batch.clone()]);
            assert!(p.production_time.is_some());
            assert_eq!(p.producer_name, None);
            assert_eq!(p.country, None);
            assert_eq!(f.trace_codes, vec![batch]);
            assert_eq!(f.shelf_life.as_deref(), Some("2019-10-21"));
            assert_eq!(f.brand, None);
        }
        other => panic!("event 3: {other:?}"),
    }
    assert!(m[3]
        .notes
        .iter()
        .any(|n| n.contains("producer_name") && n.contains("R-X1")));
    assert!(m[3].notes.iter().any(|n| n.contains("RegisterTraceUnit")));
    // 4: packing items into an SSCC → aggregation (pack) + tally (packing).
    match &m[4].payloads[..] {
        [Payload::Lineage(LineageRecord::Aggregation(a)), Payload::InfoBlock(InfoBlockRecord::Tally(t))] =>
        {
            assert_eq!(a.sscc, "040470231111111229");
            assert_eq!(a.action, AggregationAction::Pack);
            assert_eq!(a.contents.len(), 4);
            assert_eq!(a.contents[0], item("04047023775511", "98"));
            assert_eq!(t.operation, Some(TallyOperation::Packing));
            assert_eq!(t.security_scan, None);
        }
        other => panic!("event 4: {other:?}"),
    }
    // 8: a TransactionEvent with a purchase order while shipping → order + transport.
    match &m[8].payloads[..] {
        [Payload::InfoBlock(InfoBlockRecord::Order(o)), Payload::InfoBlock(InfoBlockRecord::Transport(t))] =>
        {
            assert_eq!(
                o.order_ref.as_deref(),
                Some("urn:epcglobal:cbv:bt:4012345123456:RE100099")
            );
            assert_eq!(
                o.trace_codes,
                vec![item("10614141073402", "1"), item("10614141073402", "2")]
            );
            assert_eq!(o.amount_minor, None);
            assert_eq!(t.trace_codes, o.trace_codes);
            assert_eq!(t.carrier, None);
        }
        other => panic!("event 8: {other:?}"),
    }
    // 9: holding → customs status held; the invoice has no record kind, so the event is
    // anchored too.
    match &m[9].payloads[..] {
        [Payload::InfoBlock(InfoBlockRecord::CustomsStatus(s)), Payload::Epcis(EpcisRecord::EpcisEvent(r))] =>
        {
            assert_eq!(s.status, Some(CustomsStatus::Held));
            assert_eq!(r.trace_codes, s.trace_codes);
            assert_eq!(r.event_type, EpcisEventType::TransactionEvent);
        }
        other => panic!("event 9: {other:?}"),
    }
    // 12: transformation → lineage from items to a batch.
    match &m[12].payloads[..] {
        [Payload::Lineage(LineageRecord::Transformation(t))] => {
            assert_eq!(t.inputs.len(), 2);
            assert_eq!(
                t.outputs,
                vec![TraceCode::Batch {
                    gtin: "04054739999025".into(),
                    batch: "P20131121".into()
                }]
            );
        }
        other => panic!("event 12: {other:?}"),
    }
}

#[test]
fn epcis_map_certificate_sensor_and_association_kept_as_anchored_events() {
    let (_, m) = load("hash-vectors", "TimeStampRoundOff.jsonld");
    let r = anchored(&m[2]).expect("event 2 anchored");
    assert_eq!(r.event_time_ms % 1000, r.event_time_ms.rem_euclid(1000));
    assert!(m[2].notes.iter().any(|n| n.contains("ABC12345")));
    let (_, m) = load("examples", "AssociationEvent-a.jsonld");
    match &m[0].payloads[..] {
        [Payload::Epcis(EpcisRecord::EpcisEvent(r))] => {
            assert_eq!(r.event_type, EpcisEventType::AssociationEvent)
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn epcis_map_error_declaration_is_an_anchored_retraction() {
    let (doc, m) = load("valid", "TransformationEvent_with_error_declaration.json");
    let declared: Vec<&EpcisEventRecord> = m
        .iter()
        .filter_map(anchored)
        .filter(|r| r.error_declaration.is_some())
        .collect();
    assert!(!declared.is_empty());
    for (ev, mapped) in doc.events.iter().zip(&m) {
        if ev.error_declaration.is_some() {
            // Nothing but the anchored retraction: the retracted facts are not re-recorded.
            assert_eq!(mapped.payloads.len(), 1, "{:?}", mapped.payloads);
        }
    }
}

#[test]
fn epcis_map_wrong_check_digit_reported_not_refused() {
    // The shared valid document carries a GRAI with a wrong check digit: validation accepts
    // it (pattern level) and the mapping notes it.
    let (doc, m) = load("valid", "Combination_of_different_event.json");
    assert!(doc.validate().is_ok());
    let noted = m
        .iter()
        .flat_map(|e| &e.notes)
        .filter(|n| n.contains("check digit is wrong"))
        .count();
    assert!(noted > 0);
    let good = code_info("urn:epc:id:sgtin:0614141.107346.2017");
    assert!(good.check_digit_ok);
    assert_eq!(good.trace_code, Some(item("10614141073464", "2017")));
    let sscc = code_info("urn:epc:id:sscc:4012345.0000000333");
    assert_eq!(sscc.sscc.as_deref(), Some("040123450000003338"));
    assert_eq!(sscc.trace_code, None);
    let bad = code_info("https://id.gs1.org/01/04012345999991/21/X");
    assert!(!bad.check_digit_ok);
}

/// R-S6: temperature readings in °C, K and °F all become centi-°C on a transport record;
/// a reading in another unit is kept in the anchored event, never dropped.
#[test]
fn epcis_map_r_s6_temperature_units_converted_to_centi_celsius() {
    let report =
        |v: f64, uom: &str| serde_json::json!({"type": "Temperature", "value": v, "uom": uom});
    let doc = serde_json::json!({
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2024-01-01T00:00:00Z",
        "epcisBody": {"eventList": [{
            "type": "ObjectEvent", "action": "OBSERVE", "bizStep": "shipping",
            "eventTime": "2024-01-01T08:00:00+08:00", "eventTimeZoneOffset": "+08:00",
            "epcList": ["https://id.gs1.org/01/09521141012345/21/2017"],
            "sensorElementList": [{"sensorReport": [
                report(4.5, "CEL"), report(277.65, "KEL"), report(40.1, "FAH"), report(1.0, "MTR")
            ]}]
        }]}
    });
    let doc = Document::parse(&serde_json::to_vec(&doc).unwrap()).unwrap();
    assert_eq!(doc.problems(), vec![]);
    let m = map_document(&doc);
    let transport = m[0]
        .payloads
        .iter()
        .find_map(|p| match p {
            Payload::InfoBlock(InfoBlockRecord::Transport(t)) => Some(t),
            _ => None,
        })
        .expect("a transport record");
    let temps: Vec<Option<i32>> = transport
        .sensor_readings
        .iter()
        .map(|r| r.temperature_centi_c)
        .collect();
    assert_eq!(temps, vec![Some(450), Some(450), Some(450)]);
    assert!(anchored(&m[0]).is_some(), "the MTR report is kept anchored");
}

#[test]
fn epcis_map_ilmd_commissioning_registers_units_in_the_stated_trace_mode() {
    use tracechain_epcis::map::{map_document_with, MapOptions};
    let path = common::epcis_dir()
        .join("examples")
        .join("Example_9.6.4-TransformationEvent.jsonld");
    let doc = Document::parse(&std::fs::read(&path).unwrap()).unwrap();
    let registrations = |m: &[MappedEvent]| -> Vec<TraceUnitRegistration> {
        m.iter()
            .flat_map(|e| &e.payloads)
            .filter_map(|p| match p {
                Payload::TraceUnit(TraceUnitRecord::RegisterTraceUnit(r)) => Some(r.clone()),
                _ => None,
            })
            .collect()
    };
    // Without a trace mode no registration is invented; a note says what to do.
    let plain = map_document(&doc);
    assert!(registrations(&plain).is_empty());
    assert!(plain[0]
        .notes
        .iter()
        .any(|n| n.contains("map with a trace mode")));

    for mode in TraceMode::ALL {
        let m = map_document_with(
            &doc,
            &MapOptions {
                trace_mode: Some(mode),
            },
        );
        let regs = registrations(&m);
        let codes: Vec<TraceCode> = regs.iter().map(|r| r.code.clone()).collect();
        assert_eq!(
            codes,
            (25..=28)
                .map(|s| item("04012345778892", &s.to_string()))
                .collect::<Vec<_>>()
        );
        assert!(regs.iter().all(|r| r.mode == mode));
        // The example's ILMD names no product: the name stays empty for the contract to refuse.
        assert!(regs.iter().all(|r| r.product_name.is_empty()));
        assert!(m[0].notes.iter().any(|n| n.contains("no product name")));
        // Registrations come before the product block records of the same units.
        let first_reg = m[0]
            .payloads
            .iter()
            .position(|p| matches!(p, Payload::TraceUnit(TraceUnitRecord::RegisterTraceUnit(_))));
        let first_prod = m[0]
            .payloads
            .iter()
            .position(|p| matches!(p, Payload::InfoBlock(InfoBlockRecord::Production(_))));
        assert!(first_reg < first_prod, "{:?}", m[0].payloads);
    }
}
