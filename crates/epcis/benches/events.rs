//! Events per second validated and hashed on one core, for typical object events
//! (commissioning with ILMD, shipping with business transactions, receiving with
//! source/destination). Timing with `std::time::Instant`; run with
//! `cargo bench -p tracechain-epcis --bench events`. Goal: ≥ 20,000 events/s/core.

use std::hint::black_box;
use std::time::Instant;

use serde_json::{json, Value};
use tracechain_epcis::Document;

/// Events per generated document.
const EVENTS_PER_DOC: usize = 1_000;
/// Timed rounds (documents).
const ROUNDS: usize = 20;

fn event(i: usize) -> Value {
    let serial = format!("{}", 100_000 + i);
    match i % 3 {
        0 => json!({
            "type": "ObjectEvent", "action": "ADD", "bizStep": "commissioning", "disposition": "active",
            "eventTime": "2024-05-01T08:00:00.123+08:00", "eventTimeZoneOffset": "+08:00",
            "epcList": [format!("urn:epc:id:sgtin:0614141.107346.{serial}"), format!("https://id.gs1.org/01/10614141073464/21/{serial}B")],
            "readPoint": {"id": "urn:epc:id:sgln:0614141.07346.1234"},
            "ilmd": {"cbvmda:lotNumber": "LOT-2024-05", "cbvmda:itemExpirationDate": "2025-05-01"}
        }),
        1 => json!({
            "type": "ObjectEvent", "action": "OBSERVE", "bizStep": "shipping", "disposition": "in_transit",
            "eventTime": "2024-05-02T10:30:00Z", "eventTimeZoneOffset": "+08:00",
            "epcList": [format!("urn:epc:id:sscc:0614141.1{:09}", i)],
            "readPoint": {"id": "https://id.gs1.org/414/0614141073467"},
            "bizTransactionList": [{"type": "po", "bizTransaction": "urn:epcglobal:cbv:bt:0614141073467:PO-77"},
                                   {"type": "desadv", "bizTransaction": "urn:epcglobal:cbv:bt:0614141073467:ASN-9"}]
        }),
        _ => json!({
            "type": "ObjectEvent", "action": "OBSERVE", "bizStep": "receiving", "disposition": "in_progress",
            "eventTime": "2024-05-09T15:00:00.5-05:00", "eventTimeZoneOffset": "-05:00",
            "quantityList": [{"epcClass": "urn:epc:class:lgtin:4012345.012345.998877", "quantity": 200, "uom": "KGM"}],
            "readPoint": {"id": "urn:epc:id:sgln:4012345.00225.0"},
            "sourceList": [{"type": "owning_party", "source": "urn:epc:id:pgln:0614141.00777"}],
            "destinationList": [{"type": "owning_party", "destination": "urn:epc:id:pgln:4012345.00225"}],
            "example:temperature": "4.5"
        }),
    }
}

fn document() -> Vec<u8> {
    let events: Vec<Value> = (0..EVENTS_PER_DOC).map(event).collect();
    serde_json::to_vec(&json!({
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld", {"example": "https://ns.example.com/epcis/"}],
        "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2024-05-10T00:00:00Z",
        "epcisBody": {"eventList": events}
    }))
    .expect("serialise benchmark document")
}

fn main() {
    let bytes = document();
    // Warm up, and check the input is valid (a benchmark of rejections would mislead).
    let doc = Document::parse(&bytes).expect("benchmark document parses");
    assert!(
        doc.validate().is_ok(),
        "benchmark document must be valid: {:?}",
        doc.validate()
    );

    let mut best = f64::MAX;
    let mut total = 0.0;
    for _ in 0..ROUNDS {
        let t = Instant::now();
        let doc = Document::parse(black_box(&bytes)).expect("parse");
        let ok = doc.validate().is_ok();
        let hashes = doc.event_hashes();
        black_box((ok, hashes));
        let s = t.elapsed().as_secs_f64();
        best = best.min(s);
        total += s;
    }
    let mean = total / ROUNDS as f64;
    println!(
        "epcis parse+validate+hash: {EVENTS_PER_DOC} object events/document, {} bytes, {ROUNDS} rounds",
        bytes.len()
    );
    println!(
        "  mean {:.2} ms/document -> {:.0} events/s/core",
        mean * 1e3,
        EVENTS_PER_DOC as f64 / mean
    );
    println!(
        "  best {:.2} ms/document -> {:.0} events/s/core",
        best * 1e3,
        EVENTS_PER_DOC as f64 / best
    );

    // Hash only (already parsed), to show the split.
    let t = Instant::now();
    for _ in 0..ROUNDS {
        black_box(doc.event_hashes());
    }
    let h = t.elapsed().as_secs_f64() / ROUNDS as f64;
    println!(
        "  hash only: {:.2} ms/document -> {:.0} events/s/core",
        h * 1e3,
        EVENTS_PER_DOC as f64 / h
    );
}
