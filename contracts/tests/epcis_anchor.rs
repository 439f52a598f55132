//! End to end: a shared EPCIS 2.0 document is mapped by `tracechain-epcis`, its trace units
//! are registered, and its `EpcisRecord::EpcisEvent`s are executed through
//! `tracechain_contracts::execute` on the in-memory state: R-X4 (registered units), R-S1
//! (one anchor per event hash id), R-X1 (pre-hash must hash to the event hash), R-A4 (who
//! writes), and the per-unit index that lists a unit's EPCIS events.

mod common;

use common::*;
use tracechain_contracts::IndexTag;
use tracechain_contracts::Rule;
use tracechain_contracts::{epcis_anchor, trace, ErrorCode};
use tracechain_epcis::map::map_document;
use tracechain_epcis::Document;
use tracechain_types::records::epcis::EpcisEventRecord;
use tracechain_types::records::*;
use tracechain_types::{EpcisRecord, Hash, Payload};

fn shared_doc(name: &str) -> Document {
    let base = match std::env::var_os("TRACECHAIN_CONFORMANCE_DIR") {
        Some(d) => std::path::PathBuf::from(d),
        None => std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/testdata"
        )),
    };
    let path = base.join("epcis/hash-vectors").join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Document::parse(&bytes).unwrap()
}

/// The anchored-event payloads of the document, in document order.
fn anchored_events() -> Vec<EpcisEventRecord> {
    let doc = shared_doc("epcisDocWithVariousEventTypes.jsonld");
    assert!(doc.validate().is_ok());
    map_document(&doc)
        .into_iter()
        .flat_map(|m| m.payloads)
        .filter_map(|p| match p {
            Payload::Epcis(EpcisRecord::EpcisEvent(r)) => Some(r),
            _ => None,
        })
        .collect()
}

#[test]
fn r_x4_r_s1_epcis_events_of_a_shared_document_anchor_once_on_registered_units() {
    let mut w = World::new();
    let cast = w.cast();
    let events = anchored_events();
    let with_codes: Vec<&EpcisEventRecord> = events
        .iter()
        .filter(|r| !r.trace_codes.is_empty())
        .collect();
    assert!(!with_codes.is_empty() && with_codes.len() < events.len());

    // R-X4: before its units are registered, an event naming them is refused.
    let first = with_codes[0].clone();
    let before = w.state.clone();
    let e = w
        .exec(
            &cast.logistics,
            Payload::Epcis(EpcisRecord::EpcisEvent(first.clone())),
        )
        .unwrap_err();
    assert_eq!(
        (e.rule, e.code),
        (Rule::RX4, ErrorCode::UnknownTraceUnit),
        "{e}"
    );
    assert!(e.names("trace_codes[0]"));
    assert_eq!(w.state, before);

    // Register every trace unit the anchored events name.
    let mut units: Vec<TraceCode> = Vec::new();
    for r in &with_codes {
        for c in &r.trace_codes {
            if !units.contains(c) {
                units.push(c.clone());
            }
        }
    }
    for c in &units {
        w.hold_gtin(&cast.producer, c.gtin());
        w.unit(&cast, c, TraceMode::Trader);
    }

    // Every anchored event of the document executes, each once.
    for r in &events {
        w.exec(
            &cast.logistics,
            Payload::Epcis(EpcisRecord::EpcisEvent(r.clone())),
        )
        .unwrap_or_else(|e| panic!("{}: {e}", r.hash_id()));
        let anchor = epcis_anchor::load(&w.state, &r.event_hash).expect("anchored");
        assert_eq!(anchor.signer, cast.logistics.public());
    }

    // R-S1: the same event hash id is anchored once, by anyone; state unchanged.
    for k in [&cast.logistics, &cast.producer] {
        let before = w.state.clone();
        let e = w
            .exec(k, Payload::Epcis(EpcisRecord::EpcisEvent(first.clone())))
            .unwrap_err();
        assert_eq!(
            (e.rule, e.code),
            (Rule::RS1, ErrorCode::AlreadyExists),
            "{e}"
        );
        assert_eq!(e.code.as_str(), "E_ALREADY_EXISTS");
        assert!(e.names("event_hash"));
        assert_eq!(w.state, before);
    }

    // The unit's story lists its EPCIS events.
    for c in &units {
        let view = trace::lookup(&w.state, c).expect("registered");
        let anchored: Vec<Hash> = view
            .records
            .iter()
            .filter(|(cat, _)| cat == IndexTag::Epcis.as_str())
            .filter_map(|(_, env)| match &env.payload {
                Payload::Epcis(EpcisRecord::EpcisEvent(r)) => Some(r.event_hash),
                _ => None,
            })
            .collect();
        let expected: Vec<Hash> = with_codes
            .iter()
            .filter(|r| r.trace_codes.contains(c))
            .map(|r| r.event_hash)
            .collect();
        assert!(!expected.is_empty());
        assert_eq!(anchored.len(), expected.len(), "{c:?}");
        assert!(expected.iter().all(|h| anchored.contains(h)));
    }
}

#[test]
fn r_x1_epcis_prehash_must_hash_to_the_event_hash() {
    let mut w = World::new();
    let cast = w.cast();
    let mut r = anchored_events()
        .into_iter()
        .find(|r| r.trace_codes.is_empty())
        .expect("an event without trace units");
    r.prehash.push('x');
    let e = w
        .exec(
            &cast.logistics,
            Payload::Epcis(EpcisRecord::EpcisEvent(r.clone())),
        )
        .unwrap_err();
    assert_eq!(
        (e.rule, e.code),
        (Rule::RX1, ErrorCode::MalformedItem),
        "{e}"
    );
    assert!(e.names("event_hash"));
    // A consistent but foreign pre-hash (another event type) is refused too.
    r.prehash = format!("eventType=AssociationEvent{}", &r.prehash[..8]);
    r.event_hash = Hash::digest(r.prehash.as_bytes());
    let e = w
        .exec(
            &cast.logistics,
            Payload::Epcis(EpcisRecord::EpcisEvent(r.clone())),
        )
        .unwrap_err();
    assert!(e.names("prehash"), "{e}");
    // Over the named limit: E_LIMIT_EXCEEDED.
    r.prehash = format!(
        "eventType={}{}",
        r.event_type.as_str(),
        "a".repeat(tracechain_types::records::epcis::MAX_EPCIS_PREHASH_BYTES)
    );
    r.event_hash = Hash::digest(r.prehash.as_bytes());
    let e = w
        .exec(&cast.logistics, Payload::Epcis(EpcisRecord::EpcisEvent(r)))
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::LimitExceeded, "{e}");
}

#[test]
fn r_a4_epcis_events_written_by_information_providers_only() {
    let mut w = World::new();
    let cast = w.cast();
    let r = anchored_events()
        .into_iter()
        .find(|r| r.trace_codes.is_empty())
        .expect("an event without trace units");
    // A consumer is no information provider (Table 5).
    let who = w.seed(
        4321,
        ParticipantCategory::ConsumerOrOther,
        vec![],
        tracechain_contracts::registry::ParticipantState::Approved,
    );
    let e = w
        .exec(&who, Payload::Epcis(EpcisRecord::EpcisEvent(r.clone())))
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::NotPermitted, "{e}");
    // A regulator is (Table 5: regulators provide information too, e.g. inspections), and so
    // is the port-clearance node.
    w.exec(&cast.regulator, Payload::Epcis(EpcisRecord::EpcisEvent(r)))
        .unwrap();
    let other = anchored_events()
        .into_iter()
        .filter(|r| r.trace_codes.is_empty())
        .nth(1)
        .expect("a second event without trace units");
    w.exec(&cast.port, Payload::Epcis(EpcisRecord::EpcisEvent(other)))
        .unwrap();
}

#[test]
fn r_s1_error_declaration_anchored_beside_its_event_once() {
    let mut w = World::new();
    let cast = w.cast();
    let r = anchored_events()
        .into_iter()
        .find(|r| r.trace_codes.is_empty())
        .expect("an event without trace units");
    w.exec(
        &cast.logistics,
        Payload::Epcis(EpcisRecord::EpcisEvent(r.clone())),
    )
    .unwrap();
    let mut retraction = r.clone();
    retraction.error_declaration = Some(tracechain_types::records::epcis::EpcisErrorDeclaration {
        declaration_time_ms: r.event_time_ms + 1000,
        reason: Some("https://ref.gs1.org/cbv/ER-incorrect_data".into()),
    });
    w.exec(
        &cast.logistics,
        Payload::Epcis(EpcisRecord::EpcisEvent(retraction.clone())),
    )
    .unwrap();
    let e = w
        .exec(
            &cast.logistics,
            Payload::Epcis(EpcisRecord::EpcisEvent(retraction)),
        )
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::AlreadyExists, "{e}");
}

/// Any access node could post an error declaration retracting someone else's event; only the
/// event's capturer may now (ADR 0044), and only an anchored event can be retracted.
#[test]
fn r_s1_attack_only_the_capturer_retracts_an_epcis_event() {
    let mut w = World::new();
    let cast = w.cast();
    let r = anchored_events()
        .into_iter()
        .find(|r| r.trace_codes.is_empty())
        .expect("an event without trace units");
    let mut retraction = r.clone();
    retraction.error_declaration = Some(tracechain_types::records::epcis::EpcisErrorDeclaration {
        declaration_time_ms: r.event_time_ms + 1000,
        reason: Some("https://ref.gs1.org/cbv/ER-incorrect_data".into()),
    });
    let e = w
        .exec(
            &cast.port,
            Payload::Epcis(EpcisRecord::EpcisEvent(retraction.clone())),
        )
        .unwrap_err();
    assert_eq!((e.rule, e.code), (Rule::RS1, ErrorCode::NotFound), "{e}");
    w.exec(
        &cast.logistics,
        Payload::Epcis(EpcisRecord::EpcisEvent(r.clone())),
    )
    .unwrap();
    let e = w
        .exec(
            &cast.port,
            Payload::Epcis(EpcisRecord::EpcisEvent(retraction.clone())),
        )
        .unwrap_err();
    assert_eq!((e.rule, e.code), (Rule::RS1, ErrorCode::NotOwner), "{e}");
    w.exec(
        &cast.logistics,
        Payload::Epcis(EpcisRecord::EpcisEvent(retraction.clone())),
    )
    .expect("the capturer retracts its event");
    // a regulator, supervising, retracts another participant's event
    let second = anchored_events()
        .into_iter()
        .filter(|r| r.trace_codes.is_empty())
        .nth(1)
        .expect("a second event without trace units");
    w.exec(
        &cast.logistics,
        Payload::Epcis(EpcisRecord::EpcisEvent(second.clone())),
    )
    .unwrap();
    let mut retract_second = second.clone();
    retract_second.error_declaration = retraction.error_declaration.clone();
    w.exec(
        &cast.regulator,
        Payload::Epcis(EpcisRecord::EpcisEvent(retract_second)),
    )
    .expect("a regulator retracts it");
}

fn capture(events: Vec<EpcisEventRecord>) -> Payload {
    let originals = events
        .iter()
        .map(|e| Hash::digest(e.prehash.as_bytes()))
        .collect();
    Payload::Epcis(EpcisRecord::EpcisCapture(
        tracechain_types::records::epcis::EpcisCapture { events, originals },
    ))
}

/// Register every trace unit the events name (as the cast's producer).
fn register_units(w: &mut World, cast: &Cast, events: &[EpcisEventRecord]) {
    let mut units: Vec<TraceCode> = Vec::new();
    for c in events.iter().flat_map(|r| &r.trace_codes) {
        if !units.contains(c) {
            units.push(c.clone());
        }
    }
    for c in &units {
        w.hold_gtin(&cast.producer, c.gtin());
        w.unit(cast, c, TraceMode::Trader);
    }
}

/// ADR 0081: a capture anchors every event of a document under one signature; each event is
/// a record of its own, under its derived id, naming the capture and its position; the
/// unit's story lists it; the same event hash cannot be anchored again, alone or captured.
#[test]
fn r_s1_a_capture_anchors_each_event_as_its_own_record() {
    let mut w = World::new();
    let cast = w.cast();
    let events = anchored_events();
    register_units(&mut w, &cast, &events);
    let tx = w.tx(&cast.logistics, capture(events.clone()));
    w.exec(&cast.logistics, capture(events.clone()))
        .unwrap_or_else(|e| panic!("{e}"));
    for (i, r) in events.iter().enumerate() {
        let id = epcis_anchor::capture_record_id(&tx.id(), i as u32);
        let anchor = epcis_anchor::load(&w.state, &r.event_hash).expect("anchored");
        assert_eq!((anchor.tx_id, anchor.signer), (id, cast.logistics.public()));
        let env = tracechain_contracts::query::envelope(&w.state, &id)
            .expect("stored under its derived id");
        assert_eq!(
            env.source,
            tracechain_contracts::RecordSource::EpcisCapture {
                capture_tx: tx.id(),
                index: i as u32
            }
        );
        assert_eq!(
            env.payload,
            Payload::Epcis(EpcisRecord::EpcisEvent(r.clone()))
        );
        for c in &r.trace_codes {
            let view = trace::lookup(&w.state, c).expect("registered");
            assert!(view.records.iter().any(|(_, e)| e.tx_id == id), "{c:?}");
        }
    }
    let no_capture = tracechain_contracts::query::envelope(&w.state, &tx.id());
    assert!(no_capture.is_none(), "the capture itself is not a record");
    // Captured once: alone or in another capture, by anyone, the hash is refused.
    for p in [
        Payload::Epcis(EpcisRecord::EpcisEvent(events[1].clone())),
        capture(vec![events[1].clone()]),
    ] {
        let before = w.state.clone();
        let e = w.exec(&cast.port, p).unwrap_err();
        assert_eq!(
            (e.rule, e.code),
            (Rule::RS1, ErrorCode::AlreadyExists),
            "{e}"
        );
        assert_eq!(w.state, before);
    }
}

/// A bad-faith or careless capturer cannot get part of a capture anchored: one refused event
/// refuses the capture, named by its position, and leaves the state as it was.
#[test]
fn r_x4_r_s1_attack_a_capture_is_all_or_nothing() {
    let mut w = World::new();
    let cast = w.cast();
    let events = anchored_events();
    assert!(events.len() >= 3);
    let last = events.len() - 1;
    // An unregistered unit in the last event: nothing anchored.
    let k = events
        .iter()
        .position(|r| !r.trace_codes.is_empty())
        .unwrap();
    let before = w.state.clone();
    let e = w
        .exec(&cast.logistics, capture(events.clone()))
        .unwrap_err();
    assert_eq!(
        (e.rule, e.code),
        (Rule::RX4, ErrorCode::UnknownTraceUnit),
        "{e}"
    );
    assert!(e.names(&format!("events[{k}].trace_codes[0]")), "{e}");
    assert_eq!(w.state, before);
    register_units(&mut w, &cast, &events);
    // The same event twice in one capture: the second is the duplicate.
    let mut twice = events.clone();
    twice.push(events[0].clone());
    let before = w.state.clone();
    let e = w.exec(&cast.logistics, capture(twice)).unwrap_err();
    assert_eq!(
        (e.rule, e.code),
        (Rule::RS1, ErrorCode::AlreadyExists),
        "{e}"
    );
    assert!(e.names(&format!("events[{}].event_hash", last + 1)), "{e}");
    assert_eq!(w.state, before);
    // A tampered pre-hash in the middle: R-X1, named, nothing anchored.
    let mut bad = events.clone();
    bad[1].prehash.push('x');
    let e = w.exec(&cast.logistics, capture(bad)).unwrap_err();
    assert_eq!(
        (e.rule, e.code),
        (Rule::RX1, ErrorCode::MalformedItem),
        "{e}"
    );
    assert!(e.names("events[1].event_hash"), "{e}");
    assert_eq!(w.state, before);
    assert!(epcis_anchor::load(&w.state, &events[0].event_hash).is_none());
    // One original hash per event, no more, no less.
    for originals in [vec![], vec![Hash::digest(b"x"); events.len() + 1]] {
        let p = Payload::Epcis(EpcisRecord::EpcisCapture(
            tracechain_types::records::epcis::EpcisCapture {
                events: events.clone(),
                originals,
            },
        ));
        let e = w.exec(&cast.logistics, p).unwrap_err();
        assert_eq!(
            (e.rule, e.code),
            (Rule::RX1, ErrorCode::MalformedItem),
            "{e}"
        );
        assert!(e.names("originals"), "{e}");
        assert_eq!(w.state, before);
    }
    // Empty and oversized captures are refused before any event runs.
    let e = w.exec(&cast.logistics, capture(vec![])).unwrap_err();
    assert!(e.names("events"), "{e}");
    let max = tracechain_types::records::epcis::MAX_EPCIS_CAPTURE_EVENTS;
    let e = w
        .exec(&cast.logistics, capture(vec![events[0].clone(); max + 1]))
        .unwrap_err();
    assert_eq!(
        (e.rule, e.code),
        (Rule::RX1, ErrorCode::LimitExceeded),
        "{e}"
    );
    assert_eq!(w.state, before);
    // The good capture then anchors every event.
    w.exec(&cast.logistics, capture(events.clone())).unwrap();
    assert!(events
        .iter()
        .all(|r| epcis_anchor::load(&w.state, &r.event_hash).is_some()));
}

/// Inside one capture an event and its error declaration may follow each other (the capturer
/// retracts what it just captured), but a capture cannot retract another participant's event.
#[test]
fn r_s1_attack_a_capture_retracts_only_its_signers_events() {
    let mut w = World::new();
    let cast = w.cast();
    let r = anchored_events()
        .into_iter()
        .find(|r| r.trace_codes.is_empty())
        .expect("an event without trace units");
    let mut retraction = r.clone();
    retraction.error_declaration = Some(tracechain_types::records::epcis::EpcisErrorDeclaration {
        declaration_time_ms: r.event_time_ms + 1000,
        reason: Some("https://ref.gs1.org/cbv/ER-incorrect_data".into()),
    });
    w.exec(&cast.logistics, capture(vec![r.clone()])).unwrap();
    let before = w.state.clone();
    let e = w
        .exec(&cast.port, capture(vec![retraction.clone()]))
        .unwrap_err();
    assert_eq!((e.rule, e.code), (Rule::RS1, ErrorCode::NotOwner), "{e}");
    assert!(e.names("events[0].error_declaration"), "{e}");
    assert_eq!(w.state, before);
    let mut w2 = World::new();
    let cast2 = w2.cast();
    w2.exec(&cast2.logistics, capture(vec![r.clone(), retraction]))
        .expect("an event and its retraction in one capture");
    use tracechain_contracts::StateView;
    assert!(StateView::get_ref(
        &w2.state,
        &epcis_anchor::error_declaration_key(&r.event_hash)
    )
    .is_some());
}
