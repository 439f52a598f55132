//! Conformance: every row of every file in the shared GS1 test-vector folder
//! (`$TRACECHAIN_CONFORMANCE_DIR/gs1`, default `<workspace>/../shared/testdata/gs1`).
//! The vectors are read in place, never copied into the project.

use std::path::PathBuf;

use tracechain_gs1::{
    validate_epcis_dl_with, verify_mod10, DigitalLink, Gln, Gs1Error, Gtin, ParseOptions, Role,
    Sscc, Uscc, Validation,
};

fn vector_dir() -> PathBuf {
    match std::env::var_os("TRACECHAIN_CONFORMANCE_DIR") {
        Some(d) => PathBuf::from(d).join("gs1"),
        None => PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/testdata"
        ))
        .join("gs1"),
    }
}

struct Row {
    line: usize,
    cols: Vec<String>,
}

/// Data rows of a vector file (blank and `#` lines skipped; cells not trimmed,
/// since a leading space can be the point of a row).
fn rows(file: &str) -> Vec<Row> {
    let path = vector_dir().join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "GS1 conformance vectors missing: cannot read {} ({e}); set TRACECHAIN_CONFORMANCE_DIR to the folder holding gs1/",
            path.display()
        )
    });
    let rows: Vec<Row> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|(i, l)| Row {
            line: i + 1,
            cols: l
                .trim_end_matches('\r')
                .split('\t')
                .map(str::to_string)
                .collect(),
        })
        .collect();
    assert!(!rows.is_empty(), "{}: no data rows", path.display());
    rows
}

fn col(row: &Row, i: usize) -> &str {
    row.cols.get(i).map(String::as_str).unwrap_or("")
}

fn expect_valid(file: &str, row: &Row, i: usize) -> bool {
    match col(row, i) {
        "valid" => true,
        "invalid" => false,
        other => panic!("{file}:{}: unknown expectation {other:?}", row.line),
    }
}

fn report(file: &str, total: usize, failures: &[String]) {
    println!("{file}: {total} rows, {} passed", total - failures.len());
    assert!(
        failures.is_empty(),
        "{file}: {} of {total} rows failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// GS1 mod-10 keys (R-I2) and unified social credit codes (R-I4).
#[test]
fn r_i2_r_i4_id_check_vectors() {
    let file = "id-check-vectors.tsv";
    let rows = rows(file);
    let mut failures = Vec::new();
    for row in &rows {
        let (scheme, value, valid) = (col(row, 0), col(row, 1), expect_valid(file, row, 2));
        let outcome: Result<(), Gs1Error> = match scheme {
            "gs1-mod10" => {
                // Read the value as the key its length makes it; a 13-digit
                // value must agree as GTIN-13 and as GLN.
                let r = match value.chars().count() {
                    18 => Sscc::parse(value).map(drop),
                    13 => {
                        let g = Gtin::parse(value).map(drop);
                        let l = Gln::parse(value).map(drop);
                        if g.is_ok() != l.is_ok() {
                            failures.push(format!(
                                "line {}: GTIN-13 and GLN disagree on {value:?}",
                                row.line
                            ));
                        }
                        g
                    }
                    _ => Gtin::parse(value).map(drop),
                };
                if verify_mod10(value) != valid {
                    failures.push(format!(
                        "line {}: verify_mod10({value:?}) != {valid}",
                        row.line
                    ));
                }
                if let Err(e) = &r {
                    if !matches!(e, Gs1Error::CheckDigit { .. } | Gs1Error::NotDigit { .. }) {
                        failures.push(format!("line {}: unexpected error kind: {e}", row.line));
                    }
                }
                r
            }
            "uscc" => Uscc::parse(value).map(drop),
            other => panic!("{file}:{}: unknown scheme {other:?}", row.line),
        };
        if outcome.is_ok() != valid {
            failures.push(format!(
                "line {}: {scheme} {value:?}: expected {}, got {outcome:?}",
                row.line,
                col(row, 2)
            ));
        }
    }
    report(file, rows.len(), &failures);
}

/// Digital Link generation from element strings: exact URIs.
#[test]
fn r_i2_generate_dl_uri_vectors() {
    let file = "gs1-syntax-engine_generateDLuri_vectors.tsv";
    let rows = rows(file);
    let lenient = ParseOptions {
        permit_unknown_ais: true,
        ..ParseOptions::default()
    };
    let mut failures = Vec::new();
    let mut lenient_rows = 0;
    for row in &rows {
        let valid = expect_valid(file, row, 0);
        let stem = match col(row, 1) {
            s if s.starts_with("(default") => None,
            s => Some(s),
        };
        let (es, want) = (col(row, 2), col(row, 3));
        let strict = DigitalLink::from_element_string(es, stem);
        if !valid {
            if let Ok(dl) = &strict {
                failures.push(format!(
                    "line {}: {es}: expected rejection, got {dl}",
                    row.line
                ));
            }
            continue;
        }
        // The source test switches "permit unknown AIs" on for its (89) rows:
        // such a row must fail strictly (naming the unknown AI) and pass leniently.
        let got = match strict {
            Err(Gs1Error::UnknownAi { ai }) => {
                lenient_rows += 1;
                println!(
                    "line {}: unknown AI ({ai}) — checked with permit_unknown_ais",
                    row.line
                );
                DigitalLink::from_element_string_with(es, stem, &lenient)
            }
            other => other,
        };
        match got {
            Ok(dl) if dl.as_str() == want => {
                // Whatever is generated must parse back to the same link.
                let opts = if lenient_rows > 0 && es.contains("(89)") {
                    lenient
                } else {
                    ParseOptions::default()
                };
                match DigitalLink::parse_with(want, &opts) {
                    Ok(back) if back == dl => {}
                    other => failures.push(format!(
                        "line {}: {want} does not parse back: {other:?}",
                        row.line
                    )),
                }
            }
            Ok(dl) => failures.push(format!(
                "line {}: {es}: expected {want}, got {dl}",
                row.line
            )),
            Err(e) => failures.push(format!(
                "line {}: {es}: expected {want}, got error {e}",
                row.line
            )),
        }
    }
    println!("{file}: {lenient_rows} row(s) needed permit_unknown_ais");
    report(file, rows.len(), &failures);
}

/// The constrained Digital Link form of CBV 2.0 per EPCIS role. The file comes
/// from regular expressions that do not check digits, so every row is run both
/// pattern-only and with check digits verified; both must agree with the file.
#[test]
fn r_i2_cbv2_constrained_dl_uri_vectors() {
    let file = "cbv2-constrained-dl-uri_vectors.tsv";
    let rows = rows(file);
    let pattern_only = ParseOptions {
        validation: Validation::Pattern,
        ..ParseOptions::default()
    };
    let mut failures = Vec::new();
    let mut per_role = [
        (Role::Instance, 0usize),
        (Role::Class, 0),
        (Role::LocationParty, 0),
    ];
    for row in &rows {
        let role_col = col(row, 0);
        let role = if role_col.starts_with("instance-level") {
            Role::Instance
        } else if role_col.starts_with("class-level") {
            Role::Class
        } else if role_col.starts_with("location/party") {
            Role::LocationParty
        } else {
            panic!("{file}:{}: unknown role {role_col:?}", row.line)
        };
        if let Some(c) = per_role.iter_mut().find(|(r, _)| *r == role) {
            c.1 += 1;
        }
        let (valid, uri) = (expect_valid(file, row, 1), col(row, 2));
        let strict = tracechain_gs1::validate_epcis_dl(uri, role);
        let lax = validate_epcis_dl_with(uri, role, &pattern_only);
        if strict.is_ok() != valid {
            failures.push(format!(
                "line {}: {role:?} {uri}: expected {}, strict got {strict:?}",
                row.line,
                col(row, 1)
            ));
        }
        if lax.is_ok() != valid {
            failures.push(format!(
                "line {}: {role:?} {uri}: expected {}, pattern-only got {lax:?}",
                row.line,
                col(row, 1)
            ));
        }
    }
    for (role, n) in per_role {
        println!("{file}: {role:?}: {n} rows");
    }
    report(file, rows.len(), &failures);
}

/// Every vector file in the folder is one the tests above read.
#[test]
fn every_gs1_vector_file_is_covered() {
    let dir = vector_dir();
    let known = [
        "id-check-vectors.tsv",
        "gs1-syntax-engine_generateDLuri_vectors.tsv",
        "cbv2-constrained-dl-uri_vectors.tsv",
        // Read by tests/syntax_dictionary.rs (the generated AI table, ADR 0038).
        "gs1-syntax-dictionary.txt",
    ];
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| {
        panic!(
            "GS1 conformance vectors missing: cannot list {} ({e})",
            dir.display()
        )
    });
    let mut seen = 0;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".tsv") || name.ends_with(".txt") {
            seen += 1;
            assert!(
                known.contains(&name.as_str()),
                "{name} in {} has no conformance test",
                dir.display()
            );
        }
    }
    assert_eq!(
        seen,
        known.len(),
        "expected {} vector files in {}",
        known.len(),
        dir.display()
    );
}
