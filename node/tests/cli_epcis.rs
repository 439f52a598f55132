//! `tracechain epcis validate|hash|map` end to end on the shared EPCIS conformance data
//! (`$TRACECHAIN_CONFORMANCE_DIR/epcis`, else `../shared/testdata/epcis`).

use std::path::PathBuf;
use std::process::{Command, Output};

fn data(rel: &str) -> PathBuf {
    let base = match std::env::var_os("TRACECHAIN_CONFORMANCE_DIR") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/testdata"
        )),
    };
    let dir = base.join("epcis");
    assert!(
        dir.is_dir(),
        "EPCIS conformance data not found at {}",
        dir.display()
    );
    dir.join(rel)
}

fn run(cmd: &str, rel: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tracechain"))
        .arg("epcis")
        .arg(cmd)
        .arg(data(rel))
        .output()
        .expect("run tracechain")
}

#[test]
fn epcis_cli_validate_accepts_valid_document() {
    let out = run("validate", "valid/JumbledFieldsOrder.json");
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn epcis_cli_validate_lists_every_problem_and_exits_2() {
    let out = run(
        "validate",
        "invalid/ObjectEvent_without_action_and_eventTime.json",
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    let lines: Vec<&str> = err.lines().collect();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("event 0") && l.contains(": action: EPCIS-REQ")),
        "{err}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("event 0") && l.contains(": eventTime: EPCIS-REQ")),
        "{err}"
    );
}

#[test]
fn epcis_cli_hash_prints_reference_ids_in_order() {
    let out = run("hash", "hash-vectors/epcisDocWithVariousEventTypes.jsonld");
    assert_eq!(out.status.code(), Some(0));
    let want =
        std::fs::read_to_string(data("hash-vectors/epcisDocWithVariousEventTypes.hashes")).unwrap();
    let got = String::from_utf8(out.stdout).unwrap();
    let want: Vec<&str> = want.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(got.lines().collect::<Vec<_>>(), want);
}

#[test]
fn epcis_cli_map_prints_payloads_as_json() {
    let out = run("map", "hash-vectors/epcisDocWithVariousEventTypes.jsonld");
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    let events = v.as_array().expect("an array of mapped events");
    assert_eq!(events.len(), 13);
    let agg = &events[4]["payloads"][0];
    assert_eq!(agg["kind"], "aggregation");
    assert_eq!(agg["sscc"], "040470231111111229");
    assert_eq!(agg["action"], "pack");
    assert_eq!(events[4]["payloads"][1]["kind"], "tally");
    // An SSCC-only departure is anchored as an EPCIS event with its hash and pre-hash.
    let anchored = &events[0]["payloads"][0];
    assert_eq!(anchored["kind"], "epcis_event");
    assert!(anchored["prehash"]
        .as_str()
        .unwrap()
        .starts_with("eventType=ObjectEvent"));
    // Missing basic items are named in the notes and on stderr.
    assert!(events[3]["notes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n.as_str().unwrap().contains("producer_name")));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("contract names every missing one"), "{err}");
}

#[test]
fn epcis_cli_missing_file_is_one_error_line() {
    let out = run("hash", "no-such-file.jsonld");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1);
    assert!(err.starts_with("error: cannot open"), "{err}");
}

#[test]
fn epcis_cli_map_with_trace_mode_registers_commissioned_units() {
    let file = data("examples/Example_9.6.4-TransformationEvent.jsonld");
    let out = Command::new(env!("CARGO_BIN_EXE_tracechain"))
        .args(["epcis", "map"])
        .arg(&file)
        .args(["--trace-mode", "manufacturer"])
        .output()
        .expect("run tracechain");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let regs: Vec<&serde_json::Value> = json[0]["payloads"]
        .as_array()
        .expect("payloads")
        .iter()
        .filter(|p| p["kind"] == "register_trace_unit")
        .collect();
    assert_eq!(regs.len(), 4, "{json:#}");
    assert!(regs.iter().all(|r| r["mode"] == "MANUFACTURER"), "{regs:?}");

    let bad = Command::new(env!("CARGO_BIN_EXE_tracechain"))
        .args(["epcis", "map"])
        .arg(&file)
        .args(["--trace-mode", "wholesale"])
        .output()
        .expect("run tracechain");
    assert_eq!(bad.status.code(), Some(2));
}
