//! `tracechain audit chain` as a command (ADR 0087): on a fixture directory written by
//! `tracechain bench fixture` with its genesis file, the replay verifies, prints the same JSON
//! summary on every run, and names what stops it: another chain's genesis, a file that is not
//! an export, a missing source (exit 2); a tampered chain is exit 1 (the end-to-end test and
//! `crates/audit/tests/replay.rs` cover every tampering).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tracechain"))
}

fn run(args: &[&str], dir: &Path) -> Output {
    Command::new(bin())
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn audit_chain_verifies_a_fixture_the_same_way_every_run_and_names_what_stops_it() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let o = run(
        &[
            "bench",
            "fixture",
            "--records",
            "400",
            "--casts",
            "2",
            "--block-txs",
            "25",
            "--out",
            "fx",
        ],
        d,
    );
    assert!(o.status.success(), "{}", text(&o));

    let audit = [
        "audit",
        "chain",
        "--genesis",
        "fx/genesis.toml",
        "--data-dir",
        "fx/data",
    ];
    let o = run(&audit, d);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = text(&o);
    assert!(out.contains("VERIFIED from genesis"), "{out}");
    assert!(
        out.contains("the data directory's state at its tip equals the replay"),
        "{out}"
    );
    assert!(out.contains("records/s"), "{out}");

    let json = [&audit[..], &["--json"]].concat();
    let a = run(&json, d);
    let b = run(&[&json[..], &["--threads", "1"]].concat(), d);
    assert_eq!(a.status.code(), Some(0), "{}", text(&a));
    assert_eq!(a.stdout, b.stdout, "the same chain, the same summary bytes");
    let s: serde_json::Value = serde_json::from_slice(&a.stdout).unwrap();
    assert_eq!(s["verified"], true);
    assert_eq!(s["format"], "tracechain-audit-chain/1");
    assert!(s["transactions"].as_u64().unwrap() >= 400);
    assert_eq!(s["validators"].as_array().unwrap().len(), 1);
    assert!(
        s["records_by_kind"]["register_trace_unit"]
            .as_u64()
            .unwrap()
            > 0
    );

    // `proof verify --audit`: a verified audit of this genesis is trusted for its sets over
    // time (the file below holds no proof, so the verdict is exit 1 once the trust is built);
    // an unverified audit, an altered set and another chain's audit are refused (exit 2).
    std::fs::write(d.join("summary.json"), &a.stdout).unwrap();
    std::fs::write(d.join("empty.json"), b"{}").unwrap();
    let verify = |summary: &str| {
        run(
            &[
                "proof",
                "verify",
                "empty.json",
                "--genesis",
                "fx/genesis.toml",
                "--audit",
                summary,
            ],
            d,
        )
    };
    let o = verify("summary.json");
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("no proof"), "{}", text(&o));
    let mut bad = s.clone();
    bad["verified"] = serde_json::Value::Bool(false);
    std::fs::write(d.join("unverified.json"), bad.to_string()).unwrap();
    let o = verify("unverified.json");
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("did not verify"), "{}", text(&o));
    let mut bad = s.clone();
    bad["validators"][0]["validators"][0]["name"] = "someone else".into();
    std::fs::write(d.join("altered.json"), bad.to_string()).unwrap();
    let o = verify("altered.json");
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("does not hash to its set_hash"),
        "{}",
        text(&o)
    );
    let mut bad = s.clone();
    bad["genesis_hash"] = "00".repeat(32).into();
    std::fs::write(d.join("other.json"), bad.to_string()).unwrap();
    let o = verify("other.json");
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("another chain"), "{}", text(&o));

    // Another consortium's genesis: the directory is refused by name.
    let o = run(
        &[
            "genesis",
            "init",
            "--validators",
            "1",
            "--chain-id",
            "elsewhere",
            "--out",
            "net",
        ],
        d,
    );
    assert!(o.status.success(), "{}", text(&o));
    let o = run(
        &[
            "audit",
            "chain",
            "--genesis",
            "net/genesis.toml",
            "--data-dir",
            "fx/data",
        ],
        d,
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("tracechain-fixture"), "{}", text(&o));
    // Not an export; no source at all; a zero thread count.
    std::fs::write(d.join("not.export"), b"PK\x03\x04 a zip file").unwrap();
    let o = run(
        &[
            "audit",
            "chain",
            "--genesis",
            "fx/genesis.toml",
            "--export",
            "not.export",
        ],
        d,
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("not a tracechain-export/1 export"),
        "{}",
        text(&o)
    );
    let o = run(&["audit", "chain", "--genesis", "fx/genesis.toml"], d);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let o = run(&[&audit[..], &["--threads", "0"]].concat(), d);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}
