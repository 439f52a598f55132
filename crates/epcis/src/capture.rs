//! EPCIS capture (ADR 0081): a valid document's events as the records of one
//! [`EpcisCapture`](tracechain_types::records::epcis::EpcisCapture) transaction, each with the
//! off-chain form of the original event that every node keeps by its hash and checks against
//! the anchored hash before serving it.
//!
//! The off-chain form is a JSON object `{"context": <the document's @context>, "event":
//! <the event as captured>}`: the event together with the prefixes it was written under, so it
//! can be read and hashed again on its own ([`open_stored`]).

use serde_json::{Map, Value};
use tracechain_types::records::epcis::EpcisEventRecord;
use tracechain_types::{EpcisRecord, Hash, Payload};

use crate::context::Context;
use crate::model::Event;
use crate::problem::Problems;
use crate::Document;

/// Largest stored event accepted from a peer or read from the store, in bytes (1 MiB). Policy:
/// larger bytes are refused unread: a capture's events come from a document of at most the
/// node's capture size, far below it.
pub const MAX_STORED_EVENT_BYTES: usize = 1024 * 1024;

/// Largest document `@context` a capture keeps with each event, in bytes (16 KiB). Policy:
/// every event is kept with its document's context, so a larger context is refused
/// ([`CaptureError::NotCapturable`]) rather than copied into every event.
pub const MAX_CONTEXT_BYTES: usize = 16 * 1024;

/// One captured event.
#[derive(Clone, Debug, PartialEq)]
pub struct CapturedEvent {
    /// Index in the document.
    pub index: usize,
    /// CBV 2.0 hash id.
    pub hash_id: String,
    /// The anchored record.
    pub record: EpcisEventRecord,
    /// The off-chain form of the original event ([`stored_bytes`]).
    pub stored: Vec<u8>,
    /// SHA-256 of `stored`: the original's digest the capture puts on chain.
    pub original: Hash,
}

/// Why a document cannot be captured.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CaptureError {
    /// The document does not validate: every problem, as text.
    #[error("the document is not valid EPCIS 2.0 ({} problems)", .0.len())]
    Invalid(Vec<String>),
    /// A document without events.
    #[error("{0}")]
    NotCapturable(String),
    /// An event cannot be anchored (no valid time, …).
    #[error("event {index}: {why}")]
    Event {
        /// Index in the document.
        index: usize,
        /// Why.
        why: String,
    },
}

/// The off-chain form of an event: `{"context": …, "event": …}`.
pub fn stored_bytes(context: Option<&Value>, event: &Map<String, Value>) -> Vec<u8> {
    let mut m = Map::new();
    m.insert("context".into(), context.cloned().unwrap_or(Value::Null));
    m.insert("event".into(), Value::Object(event.clone()));
    serde_json::to_vec(&Value::Object(m)).unwrap_or_default()
}

/// The records of a capture of `doc`, in document order. The document must validate
/// ([`Document::validate`]) and hold at least one event: an `EPCISDocument`, or the event list
/// of an `EPCISQueryDocument` (a query result moved from another repository). Trace codes
/// are linked as by [`crate::map`] (the first `MAX_EPCIS_TRACE_CODES`).
pub fn capture_events(doc: &Document) -> Result<Vec<CapturedEvent>, CaptureError> {
    if doc.events.is_empty() {
        return Err(CaptureError::NotCapturable(
            "the document has no events".into(),
        ));
    }
    let context_bytes = doc
        .raw_context
        .as_ref()
        .map_or(0, |c| serde_json::to_vec(c).map_or(0, |b| b.len()));
    if context_bytes > MAX_CONTEXT_BYTES {
        return Err(CaptureError::NotCapturable(format!(
            "the @context is {context_bytes} bytes; each event is kept with it, so at most {MAX_CONTEXT_BYTES}"
        )));
    }
    if let Err(problems) = doc.validate() {
        return Err(CaptureError::Invalid(
            problems.iter().map(ToString::to_string).collect(),
        ));
    }
    let mut out = Vec::with_capacity(doc.events.len());
    for e in &doc.events {
        let hash = e.hash(&doc.context);
        let codes = crate::map::trace_codes(e.identifiers());
        let (payload, _notes) =
            crate::map::anchored_event(e, &hash.prehash, &codes).map_err(|why| {
                CaptureError::Event {
                    index: e.index,
                    why,
                }
            })?;
        let Payload::Epcis(EpcisRecord::EpcisEvent(record)) = payload else {
            return Err(CaptureError::Event {
                index: e.index,
                why: "not an anchored event".into(),
            });
        };
        let stored = stored_bytes(doc.raw_context.as_ref(), &e.raw);
        out.push(CapturedEvent {
            index: e.index,
            hash_id: hash.id,
            record,
            original: Hash::digest(&stored),
            stored,
        });
    }
    Ok(out)
}

/// The event an error declaration retracts, as captured on its own: the same record without
/// the declaration (the same CBV 2.0 hash: `errorDeclaration` is not hashed) and the stored
/// original without `errorDeclaration`. For an event that is no declaration, itself.
pub fn retracted_event(c: &CapturedEvent) -> CapturedEvent {
    let mut record = c.record.clone();
    record.error_declaration = None;
    let mut stored: Value = serde_json::from_slice(&c.stored).unwrap_or(Value::Null);
    if let Some(ev) = stored.get_mut("event").and_then(Value::as_object_mut) {
        ev.remove("errorDeclaration");
    }
    let stored = serde_json::to_vec(&stored).unwrap_or_default();
    CapturedEvent {
        index: c.index,
        hash_id: c.hash_id.clone(),
        record,
        original: Hash::digest(&stored),
        stored,
    }
}

/// A stored event, read back and checked.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredEvent {
    /// The document's `@context` it was captured under.
    pub context: Value,
    /// The event as captured.
    pub event: Map<String, Value>,
}

/// Read a stored event and check that it hashes to `expected` (the anchored digest, `SHA-256`
/// of the pre-hash): what a node does before serving an event or keeping a peer's copy.
pub fn open_stored(bytes: &[u8], expected: &Hash) -> Result<StoredEvent, String> {
    if bytes.len() > MAX_STORED_EVENT_BYTES {
        return Err(format!(
            "{} bytes, over the limit of {MAX_STORED_EVENT_BYTES}",
            bytes.len()
        ));
    }
    if crate::document::nesting_exceeds(bytes) {
        return Err("nested too deeply".into());
    }
    let v: Value = serde_json::from_slice(bytes).map_err(|e| format!("not JSON: {e}"))?;
    let Value::Object(mut m) = v else {
        return Err("not a JSON object".into());
    };
    let context = m.remove("context").unwrap_or(Value::Null);
    let Some(Value::Object(event)) = m.remove("event") else {
        return Err("no event object".into());
    };
    if !m.is_empty() {
        return Err("members other than context and event".into());
    }
    let ctx = Context::from_value(Some(&context).filter(|c| !c.is_null()));
    let mut problems = Problems::default();
    let e = Event::from_json(0, event.clone(), &ctx, &mut problems);
    let hash = e.hash(&ctx);
    if Hash::digest(hash.prehash.as_bytes()) != *expected {
        return Err(format!(
            "the event hashes to {}, not to the anchored {}",
            hash.id,
            EpcisEventRecord::hash_id_of(expected)
        ));
    }
    Ok(StoredEvent { context, event })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(name: &str) -> Document {
        let base = match std::env::var_os("TRACECHAIN_CONFORMANCE_DIR") {
            Some(d) => std::path::PathBuf::from(d),
            None => std::path::PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/testdata"
            )),
        };
        let path = base.join("epcis").join(name);
        Document::parse(&std::fs::read(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"))).unwrap()
    }

    /// Every event of a capture is stored so that it hashes alone to its anchored hash, with
    /// a document-level prefix it needs; a byte changed, or another event's bytes, do not.
    #[test]
    fn a_stored_event_hashes_to_its_anchor_and_nothing_else_does() {
        for name in [
            "examples/Example_9.6.1-ObjectEvent.jsonld",
            "valid/ObjectEvent_with_userExtensions.json",
            "examples/SensorDataExample8.jsonld",
            "valid/CurieString_document.json",
        ] {
            let d = doc(name);
            let events = capture_events(&d).unwrap();
            assert_eq!(events.len(), d.events.len());
            let hashes = d.event_hashes();
            for (c, h) in events.iter().zip(&hashes) {
                assert_eq!(c.hash_id, h.id);
                assert_eq!(c.record.event_hash, Hash::digest(h.prehash.as_bytes()));
                let s = open_stored(&c.stored, &c.record.event_hash)
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(s.event, d.events[c.index].raw);
            }
            let first = &events[0];
            let mut tampered = first.stored.clone();
            let at = tampered.len() - 3;
            tampered[at] = tampered[at].wrapping_add(1);
            assert!(
                open_stored(&tampered, &first.record.event_hash).is_err(),
                "{name}"
            );
            if let Some(other) = events.get(1) {
                assert!(open_stored(&other.stored, &first.record.event_hash).is_err());
            }
        }
    }

    /// An event with a user extension whose prefix only the document declares hashes only
    /// with that context: without it the stored event would not check.
    #[test]
    fn the_document_context_travels_with_the_event() {
        let d = doc("valid/ObjectEvent_with_userExtensions.json");
        let events = capture_events(&d).unwrap();
        let c = &events[0];
        let v: Value = serde_json::from_slice(&c.stored).unwrap();
        assert_eq!(v["context"], d.raw_context.clone().unwrap());
        let mut bare = v.clone();
        bare["context"] = Value::Null;
        let bare = serde_json::to_vec(&bare).unwrap();
        assert!(
            open_stored(&bare, &c.record.event_hash).is_err(),
            "the extension's namespace is part of the hash"
        );
    }

    /// The retracted event of a declaration hashes like it and opens as the plain event.
    #[test]
    fn a_declarations_retracted_event_is_the_event_without_it() {
        let d = doc("examples/ErrorDeclarationAndCorrectiveEvent.jsonld");
        let events = capture_events(&d).unwrap();
        let decl = events
            .iter()
            .find(|c| c.record.error_declaration.is_some())
            .unwrap();
        let plain = retracted_event(decl);
        assert_eq!(plain.record.event_hash, decl.record.event_hash);
        assert!(plain.record.error_declaration.is_none());
        assert_ne!(plain.original, decl.original);
        let s = open_stored(&plain.stored, &plain.record.event_hash).unwrap();
        assert!(!s.event.contains_key("errorDeclaration"));
    }

    #[test]
    fn hostile_stored_bytes_are_refused_not_panicked_on() {
        let h = Hash::digest(b"x");
        for bad in [
            &b""[..],
            b"[]",
            b"{\"event\": 1}",
            b"{\"event\": {}, \"extra\": 1}",
            b"{\"context\": null}",
            &[b'['; 100][..],
        ] {
            assert!(open_stored(bad, &h).is_err(), "{bad:?}");
        }
        let big = vec![b' '; MAX_STORED_EVENT_BYTES + 1];
        assert!(open_stored(&big, &h)
            .unwrap_err()
            .contains("over the limit"));
    }

    #[test]
    fn invalid_documents_are_not_captured_query_results_are() {
        let base = std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/testdata/epcis/invalid"
        ));
        let base = std::env::var_os("TRACECHAIN_CONFORMANCE_DIR")
            .map(|d| std::path::PathBuf::from(d).join("epcis/invalid"))
            .unwrap_or(base);
        let mut n = 0;
        for f in std::fs::read_dir(&base).unwrap() {
            let p = f.unwrap().path();
            if let Ok(d) = Document::parse(&std::fs::read(&p).unwrap()) {
                assert!(
                    matches!(capture_events(&d), Err(CaptureError::Invalid(ref v)) if !v.is_empty()),
                    "{p:?}"
                );
            }
            n += 1;
        }
        assert!(n >= 9);
        let q = doc("examples/EPCISQueryDocument.jsonld");
        assert_eq!(capture_events(&q).unwrap().len(), q.events.len());
    }
}
