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
    "tracechain-workload",
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
    (
        "tracechain-workload",
        &["tracechain-types", "tracechain-gs1", "tracechain-contracts"],
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

/// Whether a package belongs to a forbidden family: the crate itself or one of its
/// sub-crates (`libp2p-core`, `tokio-util`, `hyper-util`, `axum-core`, …), which bring the
/// runtime without the facade crate.
fn forbidden_family(name: &str) -> Option<&'static str> {
    FORBIDDEN.iter().copied().find(|bad| {
        name == *bad
            || name
                .strip_prefix(bad)
                .is_some_and(|rest| rest.starts_with('-') || rest.starts_with('_'))
    })
}

/// Every forbidden package reachable from each of `pure`, as readable lines.
fn violations(meta: &cargo_metadata::Metadata, pure: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for crate_name in pure {
        let deps = closure(meta, &package_id(meta, crate_name));
        for dep in &deps {
            if let Some(family) = forbidden_family(dep) {
                out.push(format!(
                    "{crate_name} depends (maybe indirectly) on {dep} ({family})"
                ));
            }
        }
        println!("{crate_name}: {} runtime dependencies checked", deps.len());
    }
    out
}

#[test]
fn pure_crates_do_not_depend_on_io_runtimes() {
    let meta = metadata();
    let violations = violations(&meta, PURE);
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

// ------------------------------------------------------------------ negative controls
//
// A scratch workspace of empty local crates stands in for the real one: a package named
// `tracechain-types` that reaches a crate named like a forbidden runtime must be reported.
// Everything is a path dependency, so `cargo metadata` needs no network.

struct Scratch(std::path::PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A scratch workspace; `crates` are (name, manifest lines after `[package]`).
fn scratch_workspace(tag: &str, crates: &[(&str, &str)]) -> (Scratch, cargo_metadata::Metadata) {
    let root = std::env::temp_dir().join(format!("tracechain-depdir-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let scratch = Scratch(root.clone());
    let members: Vec<String> = crates.iter().map(|(n, _)| format!("{n:?}")).collect();
    std::fs::create_dir_all(&root).expect("scratch dir");
    std::fs::write(
        root.join("Cargo.toml"),
        format!(
            "[workspace]\nresolver = \"2\"\nmembers = [{}]\n",
            members.join(", ")
        ),
    )
    .expect("workspace manifest");
    for (name, extra) in crates {
        let dir = root.join(name);
        std::fs::create_dir_all(dir.join("src")).expect("crate dir");
        std::fs::write(dir.join("src/lib.rs"), "").expect("lib.rs");
        std::fs::write(
            dir.join("Cargo.toml"),
            format!(
                "[package]\nname = {name:?}\nversion = \"0.0.0\"\nedition = \"2021\"\n{extra}\n"
            ),
        )
        .expect("crate manifest");
    }
    let meta = MetadataCommand::new()
        .manifest_path(root.join("Cargo.toml"))
        .other_options(vec!["--offline".to_string()])
        .exec()
        .expect("cargo metadata on the scratch workspace");
    (scratch, meta)
}

#[test]
fn an_indirect_dependency_on_mio_is_reported() {
    let (_dir, meta) = scratch_workspace(
        "mio",
        &[
            (
                "tracechain-types",
                "[dependencies]\nhelper = { path = \"../helper\" }",
            ),
            ("helper", "[dependencies]\nmio = { path = \"../mio\" }"),
            ("mio", ""),
        ],
    );
    let found = violations(&meta, &["tracechain-types"]);
    assert_eq!(
        found,
        vec!["tracechain-types depends (maybe indirectly) on mio (mio)".to_string()]
    );
}

#[test]
fn a_sub_crate_of_a_forbidden_family_is_reported() {
    // libp2p-core brings the network stack without depending on the `libp2p` facade crate.
    let (_dir, meta) = scratch_workspace(
        "family",
        &[
            (
                "tracechain-types",
                "[dependencies]\nlibp2p-core = { path = \"../libp2p-core\" }",
            ),
            ("libp2p-core", ""),
        ],
    );
    let found = violations(&meta, &["tracechain-types"]);
    assert_eq!(
        found,
        vec!["tracechain-types depends (maybe indirectly) on libp2p-core (libp2p)".to_string()]
    );
    assert_eq!(forbidden_family("tokio-util"), Some("tokio"));
    assert_eq!(forbidden_family("hyper"), Some("hyper"));
    assert_eq!(forbidden_family("tokenizers"), None);
    assert_eq!(forbidden_family("miow"), None);
}

#[test]
fn a_dev_dependency_on_a_runtime_is_allowed() {
    let (_dir, meta) = scratch_workspace(
        "dev",
        &[
            (
                "tracechain-types",
                "[dev-dependencies]\ntokio = { path = \"../tokio\" }",
            ),
            ("tokio", ""),
        ],
    );
    assert!(violations(&meta, &["tracechain-types"]).is_empty());
}
