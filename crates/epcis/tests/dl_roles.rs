//! The constrained GS1 Digital Link forms CBV 2.0 allows per identifier role, checked
//! against the shared `gs1/cbv2-constrained-dl-uri_vectors.tsv` (pattern-level vectors):
//! the gs1 role check EPCIS validation uses agrees on every row, every valid row passes
//! `check_identifier`, and every invalid row that claims a GS1 key path is refused by it.

mod common;

use tracechain_epcis::ids::{check_identifier, claims_gs1_key, Role, PATTERN_LEVEL};

#[test]
fn epcis_id_constrained_dl_per_role_vectors() {
    let path = common::epcis_dir().join("../gs1/cbv2-constrained-dl-uri_vectors.tsv");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut n = 0;
    let mut claiming = 0;
    let mut wrong = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let cols: Vec<&str> = line.split('\t').collect();
        let [role, expect, uri] = cols[..] else {
            panic!("bad line {line:?}")
        };
        let role = if role.starts_with("instance") {
            Role::Instance
        } else if role.starts_with("class") {
            Role::Class
        } else {
            Role::LocationParty
        };
        let valid = expect == "valid";
        let got = tracechain_gs1::validate_epcis_dl_with(uri, role, &PATTERN_LEVEL).is_ok();
        n += 1;
        if got != valid {
            wrong.push(format!("gs1 role check: {role:?} {expect} {uri}"));
        }
        let checked = check_identifier(uri, role).is_ok();
        if valid && !checked {
            wrong.push(format!("check_identifier refuses valid {role:?} {uri}"));
        }
        if !valid && claims_gs1_key(uri) {
            claiming += 1;
            if checked {
                wrong.push(format!("check_identifier accepts invalid {role:?} {uri}"));
            }
        }
    }
    println!(
        "constrained DL vectors: {n} checked ({claiming} invalid rows claim a GS1 key), {} disagree",
        wrong.len()
    );
    assert_eq!(n, 60);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Pattern level is the character set and length of each component only (ADR 0038): CBV 2.0
/// pattern-level repositories accept these instance identifiers, whose content only a
/// linter refuses (piece 0, piece above total, no four-digit company prefix). Full
/// validation refuses each of them.
#[test]
fn epcis_id_pattern_level_runs_no_content_linter() {
    for (path, refused_because) in [
        ("/8006/095060001343520000/21/A", "zero"),
        ("/8006/095060001343520301/21/A", "exceeds"),
        ("/8004/ABCD", "company prefix"),
        ("/401/ABC", "company prefix"),
    ] {
        let uri = format!("https://id.gs1.org{path}");
        assert_eq!(check_identifier(&uri, Role::Instance), Ok(()), "{uri}");
        assert!(
            tracechain_gs1::validate_epcis_dl_with(&uri, Role::Instance, &PATTERN_LEVEL).is_ok(),
            "{uri}"
        );
        let full = tracechain_gs1::validate_epcis_dl(&uri, Role::Instance)
            .expect_err("full validation runs the linters");
        assert!(full.to_string().contains(refused_because), "{uri}: {full}");
    }
    // Character set and length are still checked at pattern level.
    for uri in [
        "https://id.gs1.org/8006/09506000134352030/21/A",
        "https://id.gs1.org/8004/AB%20CD",
    ] {
        assert!(check_identifier(uri, Role::Instance).is_err(), "{uri}");
    }
}
