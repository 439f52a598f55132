//! Validation conformance on the shared EPCIS data: every document of `examples/` and
//! `valid/` validates; every document of `invalid/` is rejected for the reason its
//! name gives (the specific problem kind and field are asserted).

mod common;

use tracechain_epcis::{Document, Problem, ProblemKind};

fn problems_of(path: &std::path::Path) -> Vec<Problem> {
    let bytes =
        std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    match Document::parse(&bytes) {
        Ok(doc) => doc.problems(),
        Err(e) => panic!("{}: fatal: {e}", path.display()),
    }
}

#[test]
fn epcis_conformance_examples_and_valid_documents_validate() {
    let mut n = 0;
    let mut bad = Vec::new();
    for sub in ["examples", "valid"] {
        for path in common::files(sub, &["json", "jsonld"]) {
            n += 1;
            let p = problems_of(&path);
            if !p.is_empty() {
                bad.push(format!(
                    "{}:\n  {}",
                    path.display(),
                    p.iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("\n  ")
                ));
            }
        }
    }
    println!("valid documents: {n} checked, {} rejected", bad.len());
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    assert!(
        n >= 26,
        "expected the 21 examples and 5 valid documents, found {n}"
    );
}

/// Whether `problems` has one of `kind` at `field` (event index given or any).
fn has(problems: &[Problem], event: Option<usize>, kind: ProblemKind, field: &str) -> bool {
    problems
        .iter()
        .any(|p| p.kind == kind && p.field == field && (event.is_none() || p.event_index == event))
}

/// (event index or document, problem kind, field).
type Expected = (Option<usize>, ProblemKind, &'static str);

#[test]
fn epcis_conformance_invalid_documents_rejected_for_their_reason() {
    // (file, [(event index, kind, field)]) — every listed problem must be reported.
    let expected: &[(&str, &[Expected])] = &[
        (
            "Combination_of_events_with_missing_mandatory_fields.json",
            &[
                (Some(0), ProblemKind::MissingField, "action"),
                (Some(1), ProblemKind::MissingField, "action"),
                (Some(1), ProblemKind::MissingField, "eventTimeZoneOffset"),
            ],
        ),
        (
            "EPCISDocument_without_context.json",
            &[(None, ProblemKind::BadContext, "@context")],
        ),
        (
            "ObjectEvent_with_invalid_action.json",
            &[(Some(0), ProblemKind::BadAction, "action")],
        ),
        (
            "ObjectEvent_with_invalid_certificationInfo.json",
            &[
                (Some(0), ProblemKind::WrongType, "certificationInfo[0]"),
                (Some(0), ProblemKind::WrongType, "certificationInfo[1]"),
            ],
        ),
        (
            "ObjectEvent_with_invalid_eventTime_format.json",
            &[(Some(0), ProblemKind::BadTime, "eventTime")],
        ),
        (
            "ObjectEvent_with_non_standard_bizStep.json",
            &[(Some(0), ProblemKind::NotCbvTerm, "bizStep")],
        ),
        (
            "ObjectEvent_with_quantity_as_text.json",
            &[(Some(0), ProblemKind::WrongType, "quantityList[0].quantity")],
        ),
        (
            "ObjectEvent_without_action_and_eventTime.json",
            &[
                (Some(0), ProblemKind::MissingField, "action"),
                (Some(0), ProblemKind::MissingField, "eventTime"),
                (Some(0), ProblemKind::MissingField, "eventTimeZoneOffset"),
            ],
        ),
        (
            "ObjectEvent_without_identifier_list.json",
            &[(Some(0), ProblemKind::MissingField, "epcList")],
        ),
    ];
    let files = common::files("invalid", &["json", "jsonld"]);
    let mut checked = 0;
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let Some((_, wants)) = expected.iter().find(|(n, _)| *n == name) else {
            panic!("invalid/{name} has no expected reason in this test; add one");
        };
        let problems = problems_of(path);
        for (event, kind, field) in wants.iter() {
            assert!(
                has(&problems, *event, *kind, field),
                "invalid/{name}: expected {kind:?} at {field} (event {event:?}); got:\n  {}",
                problems
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("\n  ")
            );
        }
        checked += 1;
    }
    println!(
        "invalid documents: {checked} of {} rejected for the expected reason",
        files.len()
    );
    assert_eq!(checked, expected.len());
}
