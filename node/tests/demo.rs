//! `make demo` as a new user meets it: `scripts/demo.sh` writes a consortium of 4 validators
//! and the platform's full node, starts them, loads the sample export flow through the API and
//! says where to look; `scripts/demo-stop.sh` stops the nodes and keeps the data; running the
//! script again resumes the same chain and sends nothing twice. The test passes the binary
//! under test (`TRACECHAIN_BIN`), a scratch folder and free ports, so it never touches a demo
//! a developer is running.

mod cluster;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Stops the demo's nodes when the test ends, passed or not.
struct Demo {
    dir: tempfile::TempDir,
    api: u16,
    p2p: u16,
}

impl Demo {
    fn script(&self, name: &str, args: &[&str]) -> Output {
        Command::new(repo().join("scripts").join(name))
            .args(args)
            .env("TRACECHAIN_BIN", cluster::bin())
            .env("DEMO_DIR", self.dir.path())
            .env("DEMO_API_PORT", self.api.to_string())
            .env("DEMO_P2P_PORT", self.p2p.to_string())
            .output()
            .expect("run the demo script")
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.script("demo-stop.sh", &[]);
    }
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn get(url: &str) -> Value {
    reqwest::blocking::get(url)
        .and_then(|r| r.json())
        .unwrap_or_else(|e| panic!("GET {url}: {e}"))
}

#[test]
fn make_demo_loads_the_export_flow_stops_and_resumes_the_same_chain() {
    let base = cluster::free_base(5);
    let demo = Demo {
        dir: tempfile::Builder::new()
            .prefix("tracechain-demo-")
            .tempdir()
            .unwrap(),
        api: base,
        p2p: base + 5,
    };
    let out = demo.script("demo.sh", &[]);
    let first = text(&out);
    assert!(out.status.success(), "{first}");
    for expected in [
        "loading the sample export flow: 61 records in 13 stages",
        "[13/13] Consumers in Germany scan the tin",
        "https://id.gs1.org/01/06971234004123/21/T0001",
        "Where to look:",
        "/metrics",
        "make demo-stop",
    ] {
        assert!(
            first.contains(expected),
            "missing {expected:?} in:\n{first}"
        );
    }

    // Every record of the flow is committed, once, on every node.
    let net = demo.dir.path().join("network");
    let flow: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(net.join("demo-flow.json")).unwrap())
            .unwrap();
    assert_eq!(flow.len(), 61);
    let top = flow
        .iter()
        .filter_map(|l| l["height"].as_u64())
        .max()
        .unwrap();
    let platform = format!("http://127.0.0.1:{}", base + 4);
    let release = flow
        .iter()
        .find(|l| l["label"] == "customs releases the goods (C2)")
        .expect("the release is in the flow");
    let state = get(&format!(
        "{platform}/v1/txs/{}",
        release["tx_id"].as_str().unwrap()
    ));
    assert_eq!(state["status"], "committed", "{state}");
    let mut ids = std::collections::BTreeSet::new();
    for l in &flow {
        assert!(ids.insert(l["tx_id"].as_str().unwrap().to_string()), "{l}");
    }
    let mut hashes = std::collections::BTreeSet::new();
    for i in 0..5 {
        let api = format!("http://127.0.0.1:{}", base + i);
        let b = get(&format!("{api}/v1/blocks/{top}"));
        hashes.insert(b["block_hash"].as_str().unwrap().to_string());
    }
    assert_eq!(hashes.len(), 1, "every node has the same block at {top}");

    // Stop keeps the data; a second run resumes the same chain and sends nothing again.
    let stop = demo.script("demo-stop.sh", &[]);
    assert!(stop.status.success(), "{}", text(&stop));
    assert!(
        text(&stop).contains("stopped platform-node"),
        "{}",
        text(&stop)
    );
    assert!(net.join("customs/data").is_dir());
    let again = demo.script("demo.sh", &[]);
    let second = text(&again);
    assert!(again.status.success(), "{second}");
    assert!(second.contains("resuming the consortium"), "{second}");
    assert!(
        second.contains("the sample export flow is on the chain already (61 records)"),
        "{second}"
    );
    let status = get(&format!("{platform}/v1/status"));
    assert_eq!(
        status["height"].as_u64(),
        Some(top),
        "nothing new was committed: {status}"
    );
    let genesis = std::fs::read_to_string(net.join("network.json")).unwrap();
    assert!(genesis.contains(status["genesis_hash"].as_str().unwrap()));
}
