//! Architecture check: the pure crates never link I/O runtimes, even indirectly.
//!
//! Reads `cargo metadata` for the whole workspace and walks the resolved dependency graph of
//! each pure crate (normal and build dependencies; dev-dependencies only serve tests). See
//! docs/ARCHITECTURE.md, "Dependency direction".

use std::collections::{BTreeSet, HashMap};

use cargo_metadata::{DependencyKind, MetadataCommand, PackageId};

const PURE: &[&str] = &[
    "tracechain-types",
    "tracechain-gs1",
    "tracechain-epcis",
    "tracechain-consensus",
    "tracechain-contracts",
];

const FORBIDDEN: &[&str] = &[
    "tokio",
    "libp2p",
    "rocksdb",
    "librocksdb-sys",
    "axum",
    "hyper",
    "mio",
    "async-std",
    "reqwest",
];

/// Pure crates may only depend on other workspace crates that are themselves pure.
const PURE_MAY_USE: &[(&str, &[&str])] = &[
    ("tracechain-types", &[]),
    ("tracechain-gs1", &[]),
    ("tracechain-epcis", &["tracechain-types", "tracechain-gs1"]),
    ("tracechain-consensus", &["tracechain-types"]),
    (
        "tracechain-contracts",
        &["tracechain-types", "tracechain-gs1"],
    ),
];

fn metadata() -> cargo_metadata::Metadata {
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.toml");
    MetadataCommand::new()
        .manifest_path(manifest)
        .exec()
        .expect("cargo metadata runs")
}

/// Every package reachable from `root` through normal and build edges.
fn closure(meta: &cargo_metadata::Metadata, root: &PackageId) -> BTreeSet<String> {
    let resolve = meta
        .resolve
        .as_ref()
        .expect("metadata has a resolved graph");
    let nodes: HashMap<&PackageId, &cargo_metadata::Node> =
        resolve.nodes.iter().map(|n| (&n.id, n)).collect();
    let names: HashMap<&PackageId, &str> = meta
        .packages
        .iter()
        .map(|p| (&p.id, p.name.as_str()))
        .collect();
    let mut seen = BTreeSet::new();
    let mut out = BTreeSet::new();
    let mut stack = vec![root];
    while let Some(id) = stack.pop() {
        if !seen.insert(id.clone()) {
            continue;
        }
        let Some(node) = nodes.get(id) else { continue };
        for dep in &node.deps {
            let runtime = dep
                .dep_kinds
                .iter()
                .any(|k| matches!(k.kind, DependencyKind::Normal | DependencyKind::Build));
            if runtime {
                out.insert(names.get(&dep.pkg).copied().unwrap_or("?").to_string());
                stack.push(&dep.pkg);
            }
        }
    }
    out
}

fn package_id(meta: &cargo_metadata::Metadata, name: &str) -> PackageId {
    meta.packages
        .iter()
        .find(|p| p.name.as_str() == name)
        .unwrap_or_else(|| panic!("workspace has no package {name}"))
        .id
        .clone()
}

#[test]
fn pure_crates_do_not_depend_on_io_runtimes() {
    let meta = metadata();
    let mut violations = Vec::new();
    for crate_name in PURE {
        let deps = closure(&meta, &package_id(&meta, crate_name));
        for bad in FORBIDDEN {
            if deps.contains(*bad) {
                violations.push(format!("{crate_name} depends (maybe indirectly) on {bad}"));
            }
        }
        println!(
            "{crate_name}: {} runtime dependencies, none forbidden",
            deps.len()
        );
    }
    assert!(
        violations.is_empty(),
        "dependency direction violated:\n{}",
        violations.join("\n")
    );
}

#[test]
fn pure_crates_depend_only_on_lower_workspace_crates() {
    let meta = metadata();
    let workspace: BTreeSet<String> = meta
        .workspace_packages()
        .iter()
        .map(|p| p.name.to_string())
        .collect();
    for (crate_name, allowed) in PURE_MAY_USE {
        let deps = closure(&meta, &package_id(&meta, crate_name));
        let internal: Vec<&String> = deps.iter().filter(|d| workspace.contains(*d)).collect();
        for d in internal {
            assert!(
                allowed.contains(&d.as_str()),
                "{crate_name} depends on workspace crate {d}; allowed: {allowed:?}"
            );
        }
    }
}

#[test]
fn the_checker_sees_forbidden_crates_when_they_are_there() {
    // Negative control: the node binary will link tokio and friends; until it does, at least
    // check that the walker finds known transitive dependencies (serde_derive via serde), so an
    // empty closure cannot make the tests above pass vacuously.
    let meta = metadata();
    let deps = closure(&meta, &package_id(&meta, "tracechain-types"));
    assert!(
        deps.contains("serde"),
        "closure misses direct dependency serde: {deps:?}"
    );
    assert!(
        deps.contains("serde_derive"),
        "closure misses transitive serde_derive: {deps:?}"
    );
    assert!(
        deps.contains("curve25519-dalek"),
        "closure misses transitive curve25519-dalek"
    );
}
