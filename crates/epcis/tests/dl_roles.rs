//! The constrained GS1 Digital Link forms CBV 2.0 allows per identifier role, checked
//! against the shared `gs1/cbv2-constrained-dl-uri_vectors.tsv` (pattern-level vectors).

mod common;

use tracechain_epcis::ids::{is_constrained_dl, Role};

#[test]
fn epcis_id_constrained_dl_per_role_vectors() {
    let path = common::epcis_dir().join("../gs1/cbv2-constrained-dl-uri_vectors.tsv");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut n = 0;
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
            Role::LocationOrParty
        };
        let got = is_constrained_dl(uri, role);
        n += 1;
        if got != (expect == "valid") {
            wrong.push(format!("{role:?} {expect} {uri}"));
        }
    }
    println!(
        "constrained DL vectors: {n} checked, {} disagree",
        wrong.len()
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
