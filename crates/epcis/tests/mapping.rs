//! Mapping EPCIS events onto tracechain records: every event is anchored by its hash and
//! becomes at least one record; the record kinds follow the table of docs/epcis.md.

mod common;

use tracechain_epcis::map::{map_document, CodeLevel, CustomsKind, LogisticsKind, MappedRecord};
use tracechain_epcis::Document;

fn load(sub: &str, name: &str) -> Document {
    let path = common::epcis_dir().join(sub).join(name);
    Document::parse(&std::fs::read(&path).unwrap()).unwrap()
}

#[test]
fn epcis_map_every_event_anchored_never_dropped() {
    let mut events = 0;
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
                    !m.records.is_empty(),
                    "{} event {} mapped to nothing",
                    path.display(),
                    m.event_index
                );
            }
        }
    }
    println!("mapped {events} events");
}

#[test]
fn epcis_map_various_event_types() {
    let doc = load("hash-vectors", "epcisDocWithVariousEventTypes.jsonld");
    let m = map_document(&doc);
    // 0: departing → transport, with the despatch advice as reference.
    assert!(
        matches!(&m[0].records[0], MappedRecord::Logistics { kind: LogisticsKind::Transport, references, .. } if references.len() == 1)
    );
    // 1: receiving → warehousing.
    assert!(matches!(
        &m[1].records[0],
        MappedRecord::Logistics {
            kind: LogisticsKind::Warehousing,
            ..
        }
    ));
    // 2: inspecting → customs inspection.
    assert!(matches!(
        &m[2].records[0],
        MappedRecord::Customs {
            kind: CustomsKind::Inspection,
            ..
        }
    ));
    // 3: commissioning with ILMD → batch registration + product block.
    match &m[3].records[..] {
        [MappedRecord::RegisterTraceUnit { code, .. }, MappedRecord::ProductBlock { attributes, .. }] =>
        {
            assert_eq!(code.level, CodeLevel::Batch);
            assert_eq!(code.uri, "https://id.gs1.org/01/04054739999148/10/20160711");
            assert!(attributes.contains_key("{urn:epcglobal:cbv:mda:}bestBeforeDate"));
        }
        other => panic!("event 3: {other:?}"),
    }
    // 4: packing into an SSCC → aggregation (pack) + tally.
    match &m[4].records[0] {
        MappedRecord::Aggregation {
            sscc,
            contents,
            action,
            ..
        } => {
            assert_eq!(sscc, "040470231111111229");
            assert_eq!(contents.len(), 4);
            assert_eq!(*action, "pack");
        }
        other => panic!("event 4: {other:?}"),
    }
    // 6: unpacking → unpack.
    assert!(matches!(
        &m[6].records[0],
        MappedRecord::Aggregation {
            action: "unpack",
            ..
        }
    ));
    // 8: transaction with a purchase order → trade order.
    assert!(matches!(
        &m[8].records[0],
        MappedRecord::Trade { kind: "order", .. }
    ));
    // 10..12: transformations → lineage.
    for (i, ev) in m.iter().enumerate().skip(10) {
        assert!(
            ev.records
                .iter()
                .any(|r| matches!(r, MappedRecord::Transformation { .. })),
            "event {i}: {:?}",
            ev.records
        );
    }
}

#[test]
fn epcis_map_sensor_certificate_and_opaque() {
    let doc = load("hash-vectors", "TimeStampRoundOff.jsonld");
    let m = map_document(&doc);
    let recs = &m[2].records;
    assert!(recs
        .iter()
        .any(|r| matches!(r, MappedRecord::SensorSeries { readings, .. } if readings.len() == 1)));
    assert!(recs.iter().any(
        |r| matches!(r, MappedRecord::DocumentReference { uri, .. } if uri.contains("ABC12345"))
    ));
    // An association of a sensor with an asset has no record kind: kept opaque.
    let doc = load("examples", "AssociationEvent-a.jsonld");
    let m = map_document(&doc);
    assert!(
        matches!(m[0].records.last(), Some(MappedRecord::EpcisEvent { codes, .. }) if !codes.is_empty())
    );
}
