//! Adversarial input: every string and number of the shared example documents replaced
//! by hostile values (multi-byte characters at byte offsets where parsers slice, huge and
//! tiny numbers, URIs and URNs cut at every position, escapes), then parsed, validated,
//! hashed and mapped. Nothing may panic. Rule id: EPCIS-ROBUST. More cases:
//! `TRACECHAIN_FUZZ_CASES=5000 cargo test -p tracechain-epcis --test adversarial`.

mod common;

use proptest::prelude::*;
use serde_json::Value;
use tracechain_epcis::Document;

/// Fragments that parsers of identifiers, times and numbers look at by byte position.
const FRAGMENTS: &[&str] = &[
    "https://id.gs1.org/01/",
    "https://example.com/gtin/",
    "http:",
    "https:",
    "urn:epc:id:sgtin:",
    "urn:epc:id:sscc:",
    "urn:epc:id:sgln:",
    "urn:epc:id:grai:",
    "urn:epc:id:giai:",
    "urn:epc:id:gdti:",
    "urn:epc:id:cpi:",
    "urn:epc:id:itip:",
    "urn:epc:id:upui:",
    "urn:epc:id:pgln:",
    "urn:epc:id:gsrn:",
    "urn:epc:id:sgcn:",
    "urn:epc:id:ginc:",
    "urn:epc:id:gsin:",
    "urn:epc:class:lgtin:",
    "urn:epc:idpat:sgtin:",
    "urn:epc:idpat:itip:",
    "urn:epcglobal:cbv:bizstep:",
    "urn:epcglobal:cbv:disp:",
    "urn:epcglobal:cbv:bt:",
    "/01/",
    "/00/",
    "/414/",
    "/254/",
    "/21/",
    "/10/",
    "/22/",
    "/8006/",
    "/8003/",
    "/253/",
    "/8010/",
    "/8011/",
    "/lot/",
    "/ser/",
    "/cpv/",
    "0614141",
    "061414",
    "107346",
    "12345678901234",
    "0",
    "9",
    ".",
    "..",
    ".*",
    "%",
    "%2F",
    "%e9",
    "?",
    "#",
    "&",
    "=",
    "/",
    ":",
    "+",
    "-",
    "_",
    "(",
    ")",
    "T",
    "Z",
    "+08:00",
    "-14:00",
    "2024-03-01T08:00:00",
    ".1234567",
    "2024-02-30",
    "9999-12-31T23:59:59.9999Z",
    "é",
    "中",
    "𝄞",
    "\u{0}",
    "\u{200b}",
    " ",
    "e",
    "E",
    "1e308",
    "-0",
    "1_0",
    "Temperature",
    "CEL",
    "KEL",
    "P1",
    "shipping",
    "po",
    "inv",
    "owning_party",
];

fn hostile_string() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::collection::vec(proptest::sample::select(FRAGMENTS), 0..8)
            .prop_map(|v| v.concat()),
        any::<String>(),
        "[0-9.%éA-Za-z:/-]{0,40}",
    ]
}

fn hostile_number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| serde_json::json!(f)),
        any::<i64>().prop_map(|i| serde_json::json!(i)),
        any::<u64>().prop_map(|i| serde_json::json!(i)),
        Just(serde_json::json!(1.7976931348623157e308)),
        Just(serde_json::json!(-1.7976931348623157e308)),
        Just(serde_json::json!(5e-324)),
    ]
}

/// Number of scalars (strings, numbers, booleans, nulls) in `v`.
fn scalars(v: &Value) -> usize {
    match v {
        Value::Object(m) => m.values().map(scalars).sum(),
        Value::Array(a) => a.iter().map(scalars).sum(),
        _ => 1,
    }
}

/// Replace the `n`-th scalar of `v` (depth first) with `with`; `n` counts down.
fn replace_nth(v: &mut Value, n: &mut usize, with: &Value) -> bool {
    match v {
        Value::Object(m) => m.values_mut().any(|x| replace_nth(x, n, with)),
        Value::Array(a) => a.iter_mut().any(|x| replace_nth(x, n, with)),
        _ if *n == 0 => {
            *v = with.clone();
            true
        }
        _ => {
            *n -= 1;
            false
        }
    }
}

fn documents() -> Vec<Value> {
    let mut out = Vec::new();
    for sub in ["examples", "valid", "hash-vectors"] {
        for p in common::files(sub, &["json", "jsonld"]) {
            if let Ok(v) = serde_json::from_slice(&std::fs::read(&p).unwrap()) {
                out.push(v);
            }
        }
    }
    out
}

fn exercise(doc: &Value) {
    let bytes = serde_json::to_vec(doc).unwrap();
    if let Ok(d) = Document::parse(&bytes) {
        let _ = d.problems();
        let _ = d.event_hashes();
        let _ = tracechain_epcis::map::map_document(&d);
    }
}

fn cases() -> u32 {
    std::env::var("TRACECHAIN_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(48)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn epcis_robust_hostile_strings_and_numbers(
        which in any::<prop::sample::Index>(),
        slots in proptest::collection::vec((any::<prop::sample::Index>(), hostile_string(), hostile_number(), any::<bool>()), 1..6),
    ) {
        let docs = documents();
        let mut doc = which.get(&docs).clone();
        for (slot, s, num, use_num) in slots {
            let count = scalars(&doc);
            if count == 0 {
                continue;
            }
            let mut n = slot.index(count);
            let with = if use_num { num } else { Value::String(s) };
            prop_assert!(replace_nth(&mut doc, &mut n, &with));
        }
        exercise(&doc);
    }

    #[test]
    fn epcis_robust_identifier_and_value_functions(s in hostile_string()) {
        let _ = tracechain_epcis::idnorm::normalise(&s);
        let _ = tracechain_epcis::idnorm::dl_to_canonical(&s);
        let _ = tracechain_epcis::idnorm::epc_urn_to_dl(&s);
        let _ = tracechain_epcis::hash::canonical_value(&s);
        let _ = tracechain_epcis::time::parse_timestamp(&s, true);
        let _ = tracechain_epcis::time::parse_timestamp(&s, false);
        let _ = tracechain_epcis::time::normalise_for_hash(&s);
        let _ = tracechain_epcis::time::is_valid_offset(&s);
        let _ = tracechain_epcis::units::is_rec20_code(&s);
        let _ = tracechain_epcis::map::code_info(&s);
        for role in [tracechain_epcis::ids::Role::Instance, tracechain_epcis::ids::Role::Class, tracechain_epcis::ids::Role::LocationParty] {
            let _ = tracechain_epcis::ids::check_identifier(&s, role);
        }
    }
}
