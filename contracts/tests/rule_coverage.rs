//! Rule-id coverage: every rule id of the traceability rules (`R-M1` … `R-S7`) has at least
//! one test function in the workspace whose name contains the id in snake form (`r_p2_`),
//! except the ids on [`PENDING`], which later parts serve. A pending id that becomes covered
//! fails the test too, so the list only shrinks. The ids are those of [`Rule`]: the rules
//! file must define exactly [`Rule::ALL`], so the type the contracts cite rules by and the
//! document cannot drift apart.
//!
//! The rules file is `$TRACECHAIN_CONFORMANCE_DIR/../spec/traceability-rules.md` when the
//! variable is set, else `../../shared/spec/traceability-rules.md` from this crate.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use tracechain_contracts::Rule;

/// Ids served by later parts: the API's role-scoped reads (R-A5), the audit package (R-S2),
/// the ledger basics of node, storage and network (R-D1, R-D2).
const PENDING: &[Rule] = &[Rule::RA5, Rule::RS2, Rule::RD1, Rule::RD2];

fn rules_path() -> PathBuf {
    match std::env::var_os("TRACECHAIN_CONFORMANCE_DIR") {
        Some(d) => Path::new(&d).join("../spec/traceability-rules.md"),
        None => Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/spec/traceability-rules.md"
        ))
        .to_path_buf(),
    }
}

/// Rule ids defined in the rules file: the first cell of a table row, `| R-XN |`.
fn rule_ids(text: &str) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    for line in text.lines() {
        let Some(cell) = line
            .trim()
            .strip_prefix('|')
            .and_then(|r| r.split('|').next())
        else {
            continue;
        };
        let cell = cell.trim();
        let b = cell.as_bytes();
        let is_id = b.len() >= 4
            && cell.starts_with("R-")
            && b[2].is_ascii_uppercase()
            && b[3..].iter().all(u8::is_ascii_digit);
        if is_id {
            ids.insert(cell.to_string());
        }
    }
    ids
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = rd.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if p.is_dir() {
            if !matches!(name, "target" | ".git" | "node_modules") && !name.starts_with('.') {
                rust_files(&p, out);
            }
        } else if name.ends_with(".rs") {
            out.push(p);
        }
    }
}

/// Names of test functions: the `fn` following a `#[test]` attribute (also inside
/// `proptest!` blocks, which use the same attribute).
fn test_names(src: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut armed = false;
    for line in src.lines() {
        let t = line.trim();
        if t.starts_with("#[test]") {
            armed = true;
            continue;
        }
        if armed {
            if t.starts_with("#[ignore") {
                // An ignored test never runs in CI, so it covers no rule.
                armed = false;
            } else if let Some(pos) = t.find("fn ") {
                let name: String = t[pos + 3..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                out.push(name);
                armed = false;
            } else if !(t.starts_with("#[") || t.is_empty() || t.starts_with("//")) {
                armed = false;
            }
        }
    }
    out
}

fn snake(id: &str) -> String {
    format!("{}_", id.to_ascii_lowercase().replace('-', "_"))
}

fn covers(name: &str, id: &str) -> bool {
    let s = snake(id);
    name.starts_with(&s) || name.contains(&format!("_{s}"))
}

#[test]
fn every_rule_id_has_a_test_named_after_it() {
    let path = rules_path();
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "rule coverage needs the traceability rules at {} ({e}); set \
             TRACECHAIN_CONFORMANCE_DIR to the conformance directory beside `spec/`",
            path.display()
        )
    });
    let ids = rule_ids(&text);
    assert!(
        ids.len() >= 50 && ids.contains("R-M1") && ids.contains("R-S7"),
        "only {} rule ids found in {}: {ids:?}",
        ids.len(),
        path.display()
    );
    let unknown: Vec<&String> = ids
        .iter()
        .filter(|id| id.parse::<Rule>().is_err())
        .collect();
    let missing: Vec<Rule> = Rule::ALL
        .into_iter()
        .filter(|r| !ids.contains(r.as_str()))
        .collect();
    assert!(
        unknown.is_empty() && missing.is_empty(),
        "the rules file and `Rule` disagree: ids without a variant {unknown:?}, variants \
         without an id {missing:?}"
    );
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    let mut files = Vec::new();
    rust_files(root, &mut files);
    let mut names = Vec::new();
    for f in &files {
        if let Ok(src) = std::fs::read_to_string(f) {
            names.extend(test_names(&src));
        }
    }
    let mut covered: BTreeMap<Rule, usize> = BTreeMap::new();
    for rule in Rule::ALL {
        let n = names.iter().filter(|n| covers(n, rule.as_str())).count();
        if n > 0 {
            covered.insert(rule, n);
        }
    }
    let uncovered: Vec<Rule> = Rule::ALL
        .into_iter()
        .filter(|r| !covered.contains_key(r) && !PENDING.contains(r))
        .collect();
    let pending_now_covered: Vec<Rule> = PENDING
        .iter()
        .copied()
        .filter(|p| covered.contains_key(p))
        .collect();
    println!(
        "rule coverage: {} rule ids, {} covered, {} pending ({}), {} test functions in {} files",
        ids.len(),
        covered.len(),
        PENDING.len(),
        PENDING
            .iter()
            .copied()
            .map(Rule::as_str)
            .collect::<Vec<_>>()
            .join(", "),
        names.len(),
        files.len()
    );
    assert!(
        uncovered.is_empty(),
        "rule ids without a test named after them (e.g. `r_p2_…`): {uncovered:?}"
    );
    assert!(
        pending_now_covered.is_empty(),
        "pending ids are covered now; remove them from PENDING: {pending_now_covered:?}"
    );
}

#[test]
fn rule_id_extraction_and_matching() {
    let ids = rule_ids("| id | x |\n|---|---|\n| R-P2 | production |\n| R-S10 | y |\ntext R-Q9 here\n| R-x1 | no |");
    assert_eq!(ids.into_iter().collect::<Vec<_>>(), vec!["R-P2", "R-S10"]);
    assert!(covers("r_p2_production_requires_producer_name", "R-P2"));
    assert!(covers("r_a2_r_a3_matrix", "R-A3"));
    assert!(!covers("r_s10_x", "R-S1"));
    assert!(!covers("xr_p2_", "R-P2"));
    let names = test_names(
        "#[test]\n#[ignore]\nfn r_b1_a() {}\nfn r_b2_not_a_test() {}\n#[test]\n#[should_panic]\nfn r_b3_c() {}\n",
    );
    assert_eq!(names, vec!["r_b3_c"]);
}
