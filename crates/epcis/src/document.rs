//! Reading an EPCIS 2.0 JSON-LD document: limits first, then JSON, then the document
//! frame (`EPCISDocument` / `EPCISQueryDocument`) and its event list.

use serde_json::{Map, Value};

use crate::context::Context;
use crate::error::EpcisError;
use crate::model::Event;
use crate::problem::{Problem, Problems};
use crate::{MAX_DOCUMENT_BYTES, MAX_EVENTS_PER_DOCUMENT, MAX_NESTING_DEPTH};

/// Which of the two EPCIS 2.0 document types was read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum DocumentKind {
    /// A capture document: `epcisBody.eventList`.
    EpcisDocument,
    /// A query result: `epcisBody.queryResults.resultsBody.eventList`.
    EpcisQueryDocument,
}

/// A parsed EPCIS document: its context, its events (typed, with their original JSON)
/// and the problems found while reading them.
#[derive(Clone, Debug)]
pub struct Document {
    /// Capture or query document.
    pub kind: DocumentKind,
    /// Namespace prefixes in scope.
    pub context: Context,
    /// The document's `@context` as written (kept with each captured event, so that the
    /// event can be read and hashed again on its own, ADR 0081).
    pub raw_context: Option<Value>,
    /// `schemaVersion` as written.
    pub schema_version: Option<String>,
    /// `creationDate` as written.
    pub creation_date: Option<String>,
    /// The events, in document order.
    pub events: Vec<Event>,
    /// Problems found while reading (document frame and event shapes).
    pub(crate) problems: Problems,
}

/// Whether `input` nests arrays/objects deeper than [`MAX_NESTING_DEPTH`].
pub(crate) fn nesting_exceeds(input: &[u8]) -> bool {
    nesting_depth_exceeds(input, MAX_NESTING_DEPTH).is_some()
}

/// Deepest nesting of arrays/objects in `input`, stopping early past `limit`.
/// A byte scan that skips string contents; run before the JSON parser.
fn nesting_depth_exceeds(input: &[u8], limit: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_str = false;
    let mut escaped = false;
    for &b in input {
        if in_str {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_str = false;
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > limit {
                    return Some(depth);
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

/// Known members of the document frame.
const DOCUMENT_MEMBERS: &[&str] = &[
    "@context",
    "type",
    "schemaVersion",
    "creationDate",
    "epcisHeader",
    "epcisBody",
    "id",
    "sender",
    "receiver",
    "instanceIdentifier",
];

/// The event list, taken out of the document (the events are moved, not copied).
fn take_event_list(
    body: &mut Map<String, Value>,
    kind: DocumentKind,
) -> Result<Vec<Value>, EpcisError> {
    let list = match kind {
        DocumentKind::EpcisDocument => body.get_mut("eventList"),
        DocumentKind::EpcisQueryDocument => body
            .get_mut("queryResults")
            .and_then(|q| q.get_mut("resultsBody"))
            .and_then(|r| r.get_mut("eventList")),
    };
    match list {
        Some(Value::Array(items)) => Ok(std::mem::take(items)),
        Some(_) => Err(EpcisError::NotEpcis("eventList is not an array".into())),
        None => Err(EpcisError::NotEpcis(match kind {
            DocumentKind::EpcisDocument => "epcisBody.eventList is missing".into(),
            DocumentKind::EpcisQueryDocument => {
                "epcisBody.queryResults.resultsBody.eventList is missing".into()
            }
        })),
    }
}

impl Document {
    /// Parse a document. Limits ([`MAX_DOCUMENT_BYTES`], [`MAX_NESTING_DEPTH`]) are
    /// checked before the JSON parser runs, [`MAX_EVENTS_PER_DOCUMENT`] before any event
    /// is read. A fatal problem (not JSON, not an EPCIS document, over a limit) is an
    /// [`EpcisError`]; everything else is collected as [`Problem`]s for
    /// [`Document::validate`](crate::Document::validate).
    pub fn parse(input: &[u8]) -> Result<Document, EpcisError> {
        if input.len() > MAX_DOCUMENT_BYTES {
            return Err(EpcisError::TooLarge {
                size: input.len(),
                limit: MAX_DOCUMENT_BYTES,
            });
        }
        if let Some(depth) = nesting_depth_exceeds(input, MAX_NESTING_DEPTH) {
            return Err(EpcisError::TooDeep {
                depth,
                limit: MAX_NESTING_DEPTH,
            });
        }
        let root: Value =
            serde_json::from_slice(input).map_err(|e| EpcisError::Json(e.to_string()))?;
        let Value::Object(mut root) = root else {
            return Err(EpcisError::NotEpcis(
                "top level is not a JSON object".into(),
            ));
        };
        let mut problems = Problems::default();
        let kind = match root.get("type").and_then(Value::as_str) {
            Some("EPCISDocument") => DocumentKind::EpcisDocument,
            Some("EPCISQueryDocument") => DocumentKind::EpcisQueryDocument,
            Some(other) => {
                return Err(EpcisError::NotEpcis(format!(
                    "type is {other:?}, expected \"EPCISDocument\" or \"EPCISQueryDocument\""
                )))
            }
            None => return Err(EpcisError::NotEpcis("type is missing".into())),
        };
        let body = root
            .get_mut("epcisBody")
            .and_then(Value::as_object_mut)
            .ok_or_else(|| EpcisError::NotEpcis("epcisBody is missing or not an object".into()))?;
        let items = take_event_list(body, kind)?;
        if items.len() > MAX_EVENTS_PER_DOCUMENT {
            return Err(EpcisError::TooManyEvents {
                count: items.len(),
                limit: MAX_EVENTS_PER_DOCUMENT,
            });
        }
        let context = Context::from_value(root.get("@context"));
        crate::validate::check_document_frame(&root, &context, &mut problems);
        for key in root.keys() {
            if !DOCUMENT_MEMBERS.contains(&key.as_str()) && !key.contains(':') {
                problems.push(Problem::document(
                    crate::problem::ProblemKind::UnknownField,
                    key,
                    "not an EPCIS document member",
                ));
            }
        }
        let mut events = Vec::with_capacity(items.len());
        for (index, item) in items.into_iter().enumerate() {
            match item {
                Value::Object(map) => {
                    let event = Event::from_json(index, map, &context, &mut problems);
                    crate::validate::check_event(&event, &mut problems);
                    events.push(event);
                }
                _ => problems.push(Problem::event(
                    index,
                    None,
                    crate::problem::ProblemKind::WrongType,
                    "",
                    "an event must be a JSON object",
                )),
            }
        }
        Ok(Document {
            kind,
            context,
            raw_context: root.get("@context").cloned(),
            schema_version: root
                .get("schemaVersion")
                .and_then(Value::as_str)
                .map(str::to_string),
            creation_date: root
                .get("creationDate")
                .and_then(Value::as_str)
                .map(str::to_string),
            events,
            problems,
        })
    }

    /// The pre-hash string and hash id of every event, in document order.
    pub fn event_hashes(&self) -> Vec<EventHash> {
        self.events.iter().map(|e| e.hash(&self.context)).collect()
    }
}

/// The CBV 2.0 hash of one event.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct EventHash {
    /// Index of the event in its document.
    pub index: usize,
    /// `ni:///sha-256;<hex>?ver=CBV2.0`.
    pub id: String,
    /// The canonical string that was hashed.
    pub prehash: String,
}
