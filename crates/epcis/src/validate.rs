//! Validation like a conforming EPCIS 2.0 repository: the document frame here, event
//! shapes while reading ([`crate::model`]), and the rules that need the whole event
//! (required fields per event type and action) in [`Document::validate`].

use serde_json::{Map, Value};

use crate::context::Context;
use crate::document::Document;
use crate::model::{Action, Event, EventType};
use crate::problem::{Problem, ProblemKind, Problems};

/// Check the document frame: `@context`, `schemaVersion`, `creationDate`.
pub(crate) fn check_document_frame(
    root: &Map<String, Value>,
    ctx: &Context,
    problems: &mut Problems,
) {
    match root.get("@context") {
        None => problems.push(Problem::document(
            ProblemKind::BadContext,
            "@context",
            "@context is required",
        )),
        Some(_) if !ctx.references_standard => problems.push(Problem::document(
            ProblemKind::BadContext,
            "@context",
            "@context does not reference the EPCIS 2.0 JSON-LD context",
        )),
        Some(_) => {}
    }
    match root.get("schemaVersion") {
        None => problems.push(Problem::document(
            ProblemKind::MissingField,
            "schemaVersion",
            "schemaVersion is required",
        )),
        Some(Value::String(v)) if v == "2.0" || v.starts_with("2.0.") => {}
        Some(other) => problems.push(Problem::document(
            ProblemKind::BadSchemaVersion,
            "schemaVersion",
            format!("schemaVersion is {other}, expected \"2.0\""),
        )),
    }
    match root.get("creationDate") {
        None => problems.push(Problem::document(
            ProblemKind::MissingField,
            "creationDate",
            "creationDate is required",
        )),
        Some(Value::String(s)) if crate::time::parse_timestamp(s, false).is_some() => {}
        Some(other) => problems.push(Problem::document(
            ProblemKind::BadTime,
            "creationDate",
            format!("creationDate {other} is not an RFC 3339 date-time with offset"),
        )),
    }
}

fn present(e: &Event, key: &str) -> bool {
    e.raw.contains_key(key)
}

fn non_empty_list(e: &Event, key: &str) -> bool {
    e.raw
        .get(key)
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty())
}

/// Rules that need the whole event (run right after the event is read, so problems stay
/// in document order).
pub(crate) fn check_event(e: &Event, out: &mut Problems) {
    let mut p = |kind, field: &str, detail: &str| {
        out.push(Problem::event(
            e.index,
            e.event_id.as_deref(),
            kind,
            field,
            detail,
        ));
    };
    for req in ["eventTime", "eventTimeZoneOffset"] {
        if !present(e, req) {
            p(
                ProblemKind::MissingField,
                req,
                &format!("{req} is required"),
            );
        }
    }
    let Some(t) = e.event_type else { return };
    if t != EventType::TransformationEvent && !present(e, "action") {
        p(
            ProblemKind::MissingField,
            "action",
            &format!("{t:?} requires action"),
        );
    }
    match t {
        EventType::ObjectEvent => {
            if !non_empty_list(e, "epcList") && !non_empty_list(e, "quantityList") {
                p(
                    ProblemKind::MissingField,
                    "epcList",
                    "ObjectEvent requires a non-empty epcList or quantityList",
                );
            }
            if present(e, "ilmd") && e.action.is_some_and(|a| a != Action::Add) {
                p(
                    ProblemKind::NotAllowed,
                    "ilmd",
                    "ILMD is only allowed with action ADD",
                );
            }
        }
        EventType::AggregationEvent | EventType::AssociationEvent => {
            let needs_parent =
                t == EventType::AssociationEvent || e.action.is_some_and(|a| a != Action::Observe);
            if needs_parent && !present(e, "parentID") {
                p(
                    ProblemKind::MissingField,
                    "parentID",
                    &format!("{t:?} with this action requires parentID"),
                );
            }
            let children = non_empty_list(e, "childEPCs") || non_empty_list(e, "childQuantityList");
            if !children && e.action.is_some_and(|a| a != Action::Delete) {
                p(
                    ProblemKind::MissingField,
                    "childEPCs",
                    &format!("{t:?} with ADD or OBSERVE requires childEPCs or childQuantityList"),
                );
            }
        }
        EventType::TransactionEvent => {
            if !non_empty_list(e, "bizTransactionList") {
                p(
                    ProblemKind::MissingField,
                    "bizTransactionList",
                    "TransactionEvent requires a non-empty bizTransactionList",
                );
            }
            if !non_empty_list(e, "epcList")
                && !non_empty_list(e, "quantityList")
                && !present(e, "parentID")
            {
                p(
                    ProblemKind::MissingField,
                    "epcList",
                    "TransactionEvent requires epcList, quantityList or parentID",
                );
            }
        }
        EventType::TransformationEvent => {
            let inputs =
                non_empty_list(e, "inputEPCList") || non_empty_list(e, "inputQuantityList");
            let outputs =
                non_empty_list(e, "outputEPCList") || non_empty_list(e, "outputQuantityList");
            if !(present(e, "transformationID") || (inputs && outputs)) {
                p(
                    ProblemKind::MissingField,
                    if inputs {
                        "outputEPCList"
                    } else {
                        "inputEPCList"
                    },
                    "TransformationEvent requires inputs and outputs, or a transformationID",
                );
            }
        }
    }
}

impl Document {
    /// Every problem of the document: frame, shapes, per-type rules — in document order
    /// (the document frame first, then each event's), up to [`crate::MAX_PROBLEMS`] (then
    /// one `TooManyProblems` entry).
    pub fn problems(&self) -> Vec<Problem> {
        self.problems.to_vec()
    }

    /// `Ok(())` if the document is valid, else every problem found.
    pub fn validate(&self) -> Result<(), Vec<Problem>> {
        let p = self.problems();
        if p.is_empty() {
            Ok(())
        } else {
            Err(p)
        }
    }
}
