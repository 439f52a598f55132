//! Locating the shared conformance data (never copied into the project).

use std::path::PathBuf;

/// `$TRACECHAIN_CONFORMANCE_DIR/epcis`, else `<repo>/../shared/testdata/epcis`.
/// Panics with the path when the folder is missing.
pub fn epcis_dir() -> PathBuf {
    let base = match std::env::var_os("TRACECHAIN_CONFORMANCE_DIR") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/testdata"
        )),
    };
    let dir = base.join("epcis");
    assert!(
        dir.is_dir(),
        "EPCIS conformance data not found at {} (set TRACECHAIN_CONFORMANCE_DIR to the folder holding epcis/)",
        dir.display()
    );
    dir
}

/// Files of `sub` with one of `exts`, sorted by name.
#[allow(dead_code)]
pub fn files(sub: &str, exts: &[&str]) -> Vec<PathBuf> {
    let dir = epcis_dir().join(sub);
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .and_then(|x| x.to_str())
                .is_some_and(|x| exts.contains(&x))
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no {exts:?} files in {}", dir.display());
    out
}
