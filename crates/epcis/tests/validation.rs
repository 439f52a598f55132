//! Validation rules beyond the shared conformance files, one test per rule id.

use serde_json::{json, Value};
use tracechain_epcis::{Document, EpcisError, ProblemKind, MAX_DOCUMENT_BYTES, MAX_NESTING_DEPTH};

fn doc_with(events: Vec<Value>) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld", {"ex": "https://ns.example.com/"}],
        "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2024-01-01T00:00:00Z",
        "epcisBody": {"eventList": events}
    }))
    .unwrap()
}

fn object_event() -> Value {
    json!({"type": "ObjectEvent", "action": "ADD", "eventID": "urn:uuid:00000000-0000-4000-8000-000000000001",
           "eventTime": "2024-01-01T08:00:00+08:00", "eventTimeZoneOffset": "+08:00",
           "epcList": ["https://id.gs1.org/01/09521141012345/21/2017"]})
}

fn kinds(events: Vec<Value>) -> Vec<(Option<usize>, ProblemKind, String)> {
    Document::parse(&doc_with(events))
        .unwrap()
        .problems()
        .into_iter()
        .map(|p| (p.event_index, p.kind, p.field))
        .collect()
}

#[test]
fn epcis_req_valid_event_has_no_problems() {
    assert_eq!(kinds(vec![object_event()]), vec![]);
}

#[test]
fn epcis_notallowed_ilmd_only_with_add() {
    let mut e = object_event();
    e["action"] = json!("OBSERVE");
    e["ilmd"] = json!({"ex:lot": "L1"});
    assert_eq!(
        kinds(vec![e]),
        vec![(Some(0), ProblemKind::NotAllowed, "ilmd".to_string())]
    );
}

#[test]
fn epcis_notallowed_field_of_other_event_type() {
    let mut e = object_event();
    e["childEPCs"] = json!(["urn:epc:id:sgtin:0614141.107346.2017"]);
    assert_eq!(
        kinds(vec![e]),
        vec![(Some(0), ProblemKind::NotAllowed, "childEPCs".to_string())]
    );
}

#[test]
fn epcis_field_unknown_unnamespaced_rejected_namespaced_kept() {
    let mut e = object_event();
    e["colour"] = json!("red");
    e["ex:colour"] = json!({"shade": "dark"});
    e["readPoint"] = json!({"id": "urn:epc:id:sgln:0614141.07346.1234", "floor": 2});
    let k = kinds(vec![e]);
    assert_eq!(
        k,
        vec![
            (Some(0), ProblemKind::UnknownField, "colour".to_string()),
            (
                Some(0),
                ProblemKind::UnknownField,
                "readPoint.floor".to_string()
            )
        ]
    );
}

#[test]
fn epcis_prefix_undeclared_namespace_rejected() {
    let mut e = object_event();
    e["nope:x"] = json!("1");
    assert_eq!(
        kinds(vec![e]),
        vec![(Some(0), ProblemKind::UndeclaredPrefix, "nope:x".to_string())]
    );
}

#[test]
fn epcis_uom_and_qty_checked() {
    let mut e = object_event();
    e["quantityList"] = json!([
        {"epcClass": "https://id.gs1.org/01/09521141012345/10/L1", "quantity": 5, "uom": "kg"},
        {"epcClass": "https://id.gs1.org/01/09521141012345", "quantity": -1}
    ]);
    assert_eq!(
        kinds(vec![e]),
        vec![
            (
                Some(0),
                ProblemKind::BadUnit,
                "quantityList[0].uom".to_string()
            ),
            (
                Some(0),
                ProblemKind::BadQuantity,
                "quantityList[1].quantity".to_string()
            )
        ]
    );
}

#[test]
fn epcis_id_wrong_role_and_malformed_urn() {
    let mut e = object_event();
    e["epcList"] = json!([
        "https://id.gs1.org/414/4012345000115",
        "urn:epc:id:sgtin:12.34.5"
    ]);
    e["readPoint"] = json!({"id": "https://id.gs1.org/01/09521141012345/21/1"});
    assert_eq!(
        kinds(vec![e]),
        vec![
            (
                Some(0),
                ProblemKind::BadIdentifier,
                "epcList[0]".to_string()
            ),
            (
                Some(0),
                ProblemKind::BadIdentifier,
                "epcList[1]".to_string()
            ),
            (
                Some(0),
                ProblemKind::BadIdentifier,
                "readPoint.id".to_string()
            )
        ]
    );
}

#[test]
fn epcis_tz_offset_format_and_problem_names_event() {
    let mut e = object_event();
    e["eventTimeZoneOffset"] = json!("+0800");
    let p = Document::parse(&doc_with(vec![object_event(), e]))
        .unwrap()
        .problems();
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].kind, ProblemKind::BadTimeZoneOffset);
    assert_eq!(p[0].event_index, Some(1));
    assert_eq!(
        p[0].event_id.as_deref(),
        Some("urn:uuid:00000000-0000-4000-8000-000000000001")
    );
    let line = p[0].to_string();
    assert!(
        line.contains("event 1")
            && line.contains("eventTimeZoneOffset")
            && line.contains("EPCIS-TZ"),
        "{line}"
    );
}

#[test]
fn epcis_req_per_event_type() {
    let agg = json!({"type": "AggregationEvent", "action": "ADD", "eventTime": "2024-01-01T00:00:00Z", "eventTimeZoneOffset": "+00:00"});
    let tx = json!({"type": "TransactionEvent", "action": "ADD", "eventTime": "2024-01-01T00:00:00Z", "eventTimeZoneOffset": "+00:00",
                    "epcList": ["urn:epc:id:sgtin:0614141.107346.2017"]});
    let tf = json!({"type": "TransformationEvent", "eventTime": "2024-01-01T00:00:00Z", "eventTimeZoneOffset": "+00:00",
                    "inputEPCList": ["urn:epc:id:sgtin:0614141.107346.2017"]});
    let k = kinds(vec![agg, tx, tf]);
    assert_eq!(
        k,
        vec![
            (Some(0), ProblemKind::MissingField, "parentID".to_string()),
            (Some(0), ProblemKind::MissingField, "childEPCs".to_string()),
            (
                Some(1),
                ProblemKind::MissingField,
                "bizTransactionList".to_string()
            ),
            (
                Some(2),
                ProblemKind::MissingField,
                "outputEPCList".to_string()
            )
        ]
    );
}

#[test]
fn epcis_limit_size_depth_events() {
    let big = vec![b' '; MAX_DOCUMENT_BYTES + 1];
    assert!(matches!(
        Document::parse(&big),
        Err(EpcisError::TooLarge { .. })
    ));
    let deep = format!(
        "{}{}",
        "[".repeat(MAX_NESTING_DEPTH + 1),
        "]".repeat(MAX_NESTING_DEPTH + 1)
    );
    assert!(matches!(
        Document::parse(deep.as_bytes()),
        Err(EpcisError::TooDeep { .. })
    ));
    let many: Vec<Value> = (0..tracechain_epcis::MAX_EVENTS_PER_DOCUMENT + 1)
        .map(|_| json!(0))
        .collect();
    assert!(matches!(
        Document::parse(&doc_with(many)),
        Err(EpcisError::TooManyEvents { .. })
    ));
    assert!(matches!(
        Document::parse(b"{\"type\":\"EPCISDocument\"}"),
        Err(EpcisError::NotEpcis(_))
    ));
    assert!(matches!(
        Document::parse(b"{not json"),
        Err(EpcisError::Json(_))
    ));
}

/// EPCIS-LIMIT-PROBLEMS: problems past the limit are counted, not stored; the list keeps
/// document order (event 0's rule problems before event 1's) and ends with the count.
#[test]
fn epcis_limit_problems_counted_not_stored() {
    use tracechain_epcis::MAX_PROBLEMS;
    let bad = 3 * MAX_PROBLEMS;
    let mut first = object_event();
    first.as_object_mut().unwrap().remove("action");
    first["epcList"] = Value::Array((0..bad).map(|_| json!("x")).collect());
    let mut second = object_event();
    second.as_object_mut().unwrap().remove("action");
    let doc = Document::parse(&doc_with(vec![first, second])).unwrap();
    let problems = doc.problems();
    assert_eq!(problems.len(), MAX_PROBLEMS + 1);
    // Event 0: `bad` identifiers and the missing action; event 1: the missing action.
    let total = bad + 2;
    let last = problems.last().unwrap();
    assert_eq!(last.kind, ProblemKind::TooManyProblems);
    assert_eq!(
        last.detail,
        format!("{} more problems not listed", total - MAX_PROBLEMS)
    );
    assert!(problems[..MAX_PROBLEMS]
        .iter()
        .all(|p| p.event_index == Some(0) && p.kind == ProblemKind::NotUri));
    assert_eq!(doc.validate().unwrap_err(), problems);
}

/// EPCIS-LIMIT-PROBLEMS: a document with fewer problems than the limit lists them all,
/// each event's after the previous event's.
#[test]
fn epcis_limit_problems_in_document_order() {
    let mut a = object_event();
    a.as_object_mut().unwrap().remove("action");
    let mut b = object_event();
    b["epcList"] = json!(["x"]);
    b.as_object_mut().unwrap().remove("eventTimeZoneOffset");
    assert_eq!(
        kinds(vec![a, b]),
        vec![
            (Some(0), ProblemKind::MissingField, "action".to_string()),
            (Some(1), ProblemKind::NotUri, "epcList[0]".to_string()),
            (
                Some(1),
                ProblemKind::MissingField,
                "eventTimeZoneOffset".to_string()
            ),
        ]
    );
}

/// EPCIS-FIELD: every standard sensorReport field is read into the typed model (none is
/// validated and then dropped); an un-namespaced field the standard does not define is not.
#[test]
fn epcis_field_sensor_report_fields_read_and_unknown_rejected() {
    let mut e = object_event();
    e["sensorElementList"] = json!([{
        "sensorReport": [{
            "type": "Temperature", "value": 4.5, "uom": "CEL",
            "deviceMetadata": "https://example.com/dev/1",
            "rawData": "https://example.com/raw/1",
            "dataProcessingMethod": "https://example.com/dpm/1",
            "bizRules": "https://example.com/rules/1"
        }]
    }]);
    let doc = Document::parse(&doc_with(vec![e.clone()])).unwrap();
    assert_eq!(doc.problems(), vec![]);
    let r = &doc.events[0].sensor_elements[0].reports[0];
    assert_eq!(
        r.device_metadata.as_deref(),
        Some("https://example.com/dev/1")
    );
    assert_eq!(r.raw_data.as_deref(), Some("https://example.com/raw/1"));
    assert_eq!(
        r.data_processing_method.as_deref(),
        Some("https://example.com/dpm/1")
    );
    assert_eq!(r.biz_rules.as_deref(), Some("https://example.com/rules/1"));
    e["sensorElementList"][0]["sensorReport"][0]["deviceRules"] = json!("https://example.com/x");
    assert_eq!(
        kinds(vec![e]),
        vec![(
            Some(0),
            ProblemKind::UnknownField,
            "sensorElementList[0].sensorReport[0].deviceRules".to_string()
        )]
    );
}

/// Un-namespaced members of ILMD were accepted: ILMD holds master data (CBV `cbvmda:` or
/// declared user extensions), so every member is namespaced, as extensions are elsewhere.
#[test]
fn epcis_field_attack_unnamespaced_ilmd_member_rejected() {
    let mut e = object_event();
    e["ilmd"] = json!({"lotNumber": "L1", "ex:lot": "L1", "cbvmda:countryOfOrigin": "CN"});
    assert_eq!(
        kinds(vec![e]),
        vec![(
            Some(0),
            ProblemKind::UnknownField,
            "ilmd.lotNumber".to_string()
        )]
    );
}
