//! `tracechain gs1 check` end to end: exit codes, JSON on stdout, one error line on stderr.

use std::process::{Command, Output};

fn run(code: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tracechain"))
        .args(["gs1", "check", code])
        .output()
        .expect("run tracechain")
}

fn ok_json(code: &str) -> serde_json::Value {
    let out = run(code);
    assert!(
        out.status.success(),
        "{code}: exit {:?}, stderr {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

fn error_line(code: &str) -> String {
    let out = run(code);
    assert_eq!(out.status.code(), Some(2), "{code}: expected exit 2");
    assert!(
        out.stdout.is_empty(),
        "{code}: nothing on stdout on failure"
    );
    let err = String::from_utf8(out.stderr).expect("utf-8 stderr");
    assert_eq!(
        err.lines().count(),
        1,
        "{code}: exactly one error line, got {err:?}"
    );
    assert!(err.starts_with("error: "), "{err}");
    err.trim_end().to_string()
}

#[test]
fn r_i2_digital_link_with_batch_is_accepted() {
    let j = ok_json("https://id.gs1.org/01/09506000134352/10/ABC123");
    assert_eq!(j["kind"], "lgtin");
    assert_eq!(j["gtin"], "09506000134352");
    assert_eq!(j["batch"], "ABC123");
    assert_eq!(
        j["digital_link"],
        "https://id.gs1.org/01/09506000134352/10/ABC123"
    );
    assert!(j["epc_urn"].is_null());
}

#[test]
fn r_i2_bad_gtin_check_digit_names_the_expected_digit() {
    assert_eq!(
        error_line("09506000134353"),
        "error: GTIN 09506000134353: check digit is 3, expected 2"
    );
}

#[test]
fn r_i2_sscc() {
    let j = ok_json("040123450000001112");
    assert_eq!(j["kind"], "sscc");
    assert_eq!(
        j["digital_link"],
        "https://id.gs1.org/00/040123450000001112"
    );
}

#[test]
fn r_i2_epc_urn() {
    let j = ok_json("urn:epc:id:sgtin:0614141.107346.2017");
    assert_eq!(j["kind"], "sgtin");
    assert_eq!(j["gtin"], "10614141073464");
    assert_eq!(j["serial"], "2017");
    assert_eq!(j["epc_urn"], "urn:epc:id:sgtin:0614141.107346.2017");
    assert_eq!(
        j["digital_link"],
        "https://id.gs1.org/01/10614141073464/21/2017"
    );
}

#[test]
fn r_i4_uscc() {
    let j = ok_json("91350200MA2YJ1XR9G");
    assert_eq!(j["kind"], "uscc");
    assert_eq!(j["uscc"], "91350200MA2YJ1XR9G");
    assert_eq!(
        error_line("91350200MA2YJ1XR9H"),
        "error: USCC 91350200MA2YJ1XR9H: check character is H, expected G"
    );
}

#[test]
fn r_i2_path_ai_in_query_is_rejected() {
    assert_eq!(
        error_line("https://id.gs1.org/01/09506000134352?10=ABC123"),
        "error: AI (10) is a key qualifier and belongs in the Digital Link path, not the query string"
    );
}
