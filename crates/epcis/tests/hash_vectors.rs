//! CBV 2.0 event hash conformance: every event of every `hash-vectors/*.jsonld` gets the
//! id of the matching line of its `.hashes` file and the pre-hash string of its
//! `.prehashes` line.

mod common;

use tracechain_epcis::Document;

fn lines(path: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
        .lines()
        .map(|l| l.trim_end_matches('\r').to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn epcis_hash_cbv2_reference_vectors() {
    let mut files = 0;
    let mut events = 0;
    let mut failures = Vec::new();
    for path in common::files("hash-vectors", &["jsonld"]) {
        files += 1;
        let bytes = std::fs::read(&path).unwrap();
        let doc = Document::parse(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let hashes = doc.event_hashes();
        let want_ids = lines(&path.with_extension("hashes"));
        let want_pre = lines(&path.with_extension("prehashes"));
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        assert_eq!(
            hashes.len(),
            want_ids.len(),
            "{name}: event count vs .hashes"
        );
        assert_eq!(
            hashes.len(),
            want_pre.len(),
            "{name}: event count vs .prehashes"
        );
        for (i, h) in hashes.iter().enumerate() {
            events += 1;
            if h.prehash != want_pre[i] {
                failures.push(format!(
                    "{name} event {i}: prehash\n  got  {}\n  want {}",
                    h.prehash, want_pre[i]
                ));
            }
            if h.id != want_ids[i] {
                failures.push(format!(
                    "{name} event {i}: id\n  got  {}\n  want {}",
                    h.id, want_ids[i]
                ));
            }
        }
    }
    println!(
        "hash vectors: {files} files, {events} events, {} mismatches",
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        events >= 28,
        "expected at least 28 vector events, found {events}"
    );
}
