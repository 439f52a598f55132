//! Property tests: the CBV 2.0 hash does not depend on JSON layout (member order of
//! objects, order of list members the standard treats as unordered, compact vs full
//! IRIs, bare vs full vocabulary values), and no input makes the library panic.

mod common;

use proptest::prelude::*;
use serde_json::{Map, Value};
use tracechain_epcis::Document;

/// A small seeded generator (xorshift64*), so each case replays from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Shuffle every object's members and every array's members, recursively.
fn scramble(v: &Value, rng: &mut Rng) -> Value {
    match v {
        Value::Object(m) => {
            let mut entries: Vec<(String, Value)> = m
                .iter()
                .map(|(k, v)| (k.clone(), scramble(v, rng)))
                .collect();
            for i in (1..entries.len()).rev() {
                entries.swap(i, rng.below(i + 1));
            }
            Value::Object(entries.into_iter().collect::<Map<String, Value>>())
        }
        Value::Array(a) => {
            let mut items: Vec<Value> = a.iter().map(|x| scramble(x, rng)).collect();
            for i in (1..items.len()).rev() {
                items.swap(i, rng.below(i + 1));
            }
            Value::Array(items)
        }
        other => other.clone(),
    }
}

fn vector_documents() -> Vec<(String, Value)> {
    common::files("hash-vectors", &["jsonld"])
        .into_iter()
        .map(|p| {
            let v: Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
            (p.file_name().unwrap().to_string_lossy().to_string(), v)
        })
        .collect()
}

fn ids(doc: &Value) -> Vec<String> {
    let bytes = serde_json::to_vec(doc).unwrap();
    Document::parse(&bytes)
        .unwrap()
        .event_hashes()
        .into_iter()
        .map(|h| h.id)
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn epcis_hash_independent_of_member_and_list_order(seed in 1u64..u64::MAX) {
        for (name, doc) in vector_documents() {
            let want = ids(&doc);
            let mut rng = Rng(seed);
            // The event list itself is ordered (hashes come in document order): scramble
            // inside each event only.
            let mut shuffled = doc.clone();
            let events = shuffled.pointer_mut("/epcisBody/eventList").and_then(Value::as_array_mut);
            if let Some(events) = events {
                for e in events.iter_mut() {
                    *e = scramble(e, &mut rng);
                }
            } else if let Some(events) = shuffled
                .pointer_mut("/epcisBody/queryResults/resultsBody/eventList")
                .and_then(Value::as_array_mut)
            {
                for e in events.iter_mut() {
                    *e = scramble(e, &mut rng);
                }
            }
            prop_assert_eq!(ids(&shuffled), want, "{} with seed {}", name, seed);
        }
    }

    #[test]
    fn epcis_parse_never_panics_on_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        if let Ok(doc) = Document::parse(&bytes) {
            let _ = doc.problems();
            let _ = doc.event_hashes();
            let _ = tracechain_epcis::map::map_document(&doc);
        }
    }

    #[test]
    fn epcis_parse_never_panics_on_truncated_or_mutated_documents(cut in 0usize..12_000, pos in 0usize..12_000, byte in any::<u8>()) {
        for path in common::files("examples", &["json", "jsonld"]).into_iter().take(6) {
            let full = std::fs::read(&path).unwrap();
            let truncated = &full[..cut.min(full.len())];
            let mut mutated = full.clone();
            if !mutated.is_empty() {
                let i = pos % mutated.len();
                mutated[i] = byte;
            }
            for input in [truncated, &mutated[..]] {
                if let Ok(doc) = Document::parse(input) {
                    let _ = doc.problems();
                    let _ = doc.event_hashes();
                    let _ = tracechain_epcis::map::map_document(&doc);
                }
            }
        }
    }
}

fn one_event_doc(event: Value, extra_ctx: Value) -> Value {
    serde_json::json!({
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld", extra_ctx],
        "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2024-01-01T00:00:00Z",
        "epcisBody": {"eventList": [event]}
    })
}

#[test]
fn epcis_hash_same_event_in_other_json_ld_layouts() {
    let base = serde_json::json!({
        "type": "ObjectEvent", "action": "OBSERVE",
        "eventTime": "2024-03-01T08:00:00.000+08:00", "eventTimeZoneOffset": "+08:00",
        "epcList": ["urn:epc:id:sgtin:0614141.107346.2017"],
        "bizStep": "shipping", "disposition": "in_transit",
        "readPoint": {"id": "urn:epc:id:sgln:0614141.07346.1234"},
        "bizTransactionList": [{"type": "po", "bizTransaction": "urn:epcglobal:cbv:bt:0614141073467:PO-1"}],
        "example:temperature": "4.50"
    });
    let ctx = serde_json::json!({"example": "https://ns.example.com/epcis/"});
    let alt = serde_json::json!({
        "eventTimeZoneOffset": "+08:00",
        "https://ns.example.com/epcis/temperature": "4.5",
        "readPoint": {"id": "https://id.gs1.org/414/0614141073467/254/1234"},
        "bizTransactionList": [{"bizTransaction": "urn:epcglobal:cbv:bt:0614141073467:PO-1", "type": "https://ref.gs1.org/cbv/BTT-po"}],
        "disposition": "urn:epcglobal:cbv:disp:in_transit",
        "bizStep": "https://ref.gs1.org/cbv/BizStep-shipping",
        "epcList": ["https://example.com/gtin/10614141073464/ser/2017"],
        "eventTime": "2024-03-01T00:00:00Z",
        "action": "OBSERVE", "type": "ObjectEvent",
        "eventID": "urn:uuid:6a1c7e3e-5b55-4a55-9d64-3a8c9f7d8f00",
        "recordTime": "2024-03-02T00:00:00Z"
    });
    let a = ids(&one_event_doc(base, ctx.clone()));
    let b = ids(&one_event_doc(alt, ctx));
    assert_eq!(a, b);
}

#[test]
fn epcis_hash_changes_when_content_changes() {
    let ctx = serde_json::json!({});
    let mk = |step: &str| {
        serde_json::json!({
            "type": "ObjectEvent", "action": "OBSERVE",
            "eventTime": "2024-03-01T08:00:00+08:00", "eventTimeZoneOffset": "+08:00",
            "epcList": ["urn:epc:id:sgtin:0614141.107346.2017"], "bizStep": step
        })
    };
    assert_ne!(
        ids(&one_event_doc(mk("shipping"), ctx.clone())),
        ids(&one_event_doc(mk("receiving"), ctx))
    );
}
