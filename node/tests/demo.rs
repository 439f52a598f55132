//! `make demo` as a new user meets it: `scripts/demo.sh` writes a consortium of 4 validators
//! and the platform's full node, starts them, loads the sample export flow through the API and
//! says where to look; `scripts/demo-stop.sh` stops the nodes and keeps the data; running the
//! script again resumes the same chain and sends nothing twice. The test passes the binary
//! under test (`TRACECHAIN_BIN`), a scratch folder and free ports, so it never touches a demo
//! a developer is running.

mod cluster;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{json, Value};

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

    read_commands_trust_no_node(&net, &platform);

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

    // A regulator issues a recall of the batch after simulating it; the tin then shows
    // recalled, to anyone, through the resolver, and the event stream announces it.
    let key = |n: &str| net.join("participants").join(format!("{n}.key"));
    let events = {
        let url = format!("{platform}/v1/events");
        std::thread::spawn(move || {
            use std::io::BufRead;
            let resp = reqwest::blocking::Client::builder()
                .timeout(std::time::Duration::from_secs(90))
                .build()
                .unwrap()
                .get(url)
                .send()
                .unwrap();
            let mut seen = Vec::new();
            for line in std::io::BufReader::new(resp).lines() {
                let Ok(line) = line else { break };
                seen.push(line.clone());
                if line.starts_with("event: block") && seen.iter().any(|l| l == "event: recall") {
                    break;
                }
            }
            seen
        })
    };
    std::thread::sleep(std::time::Duration::from_millis(500));
    let o = tracechain(&[
        "recall",
        BATCH,
        "--node",
        &platform,
        "--key",
        key("market-regulation-regulator").to_str().unwrap(),
        "--issue",
        "--reference",
        "RC-2026-001",
        "--reason",
        "pesticide residue above the EU limit",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("\"committed\""), "{}", text(&o));
    let story = get(&format!("{platform}/01/06971234004123/21/T0001"));
    assert_eq!(story["recall"]["recalled"], true, "{story}");
    let seen = events.join().unwrap();
    let recall = seen
        .iter()
        .position(|l| l == "event: recall")
        .unwrap_or_else(|| panic!("no recall event: {seen:?}"));
    assert!(
        seen[recall + 1].contains("RC-2026-001") && seen[recall + 1].contains(BATCH),
        "{seen:?}"
    );
}

/// The featured tin and its batch, as element strings.
const TIN: &str = "010697123400412321T0001";
const BATCH: &str = "010697123400412310AX2026-0412";

fn tracechain(args: &[&str]) -> Output {
    Command::new(cluster::bin())
        .args(args)
        .output()
        .expect("run tracechain")
}

/// `trace`, `proof verify`, `doc verify` and the resolver against the demo's platform node.
fn read_commands_trust_no_node(net: &Path, platform: &str) {
    let key = |n: &str| net.join("participants").join(format!("{n}.key"));
    // The public may not read a unit's records (R-A5).
    let o = tracechain(&["trace", TIN, "--node", platform]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("E_NOT_ALLOWED"), "{}", text(&o));
    // A regulator reads them all; every proof holds and both listings are complete.
    let saved = net.join("trace-T0001.json");
    let o = tracechain(&[
        "trace",
        TIN,
        "--node",
        platform,
        "--key",
        key("customs-regulator").to_str().unwrap(),
        "--out",
        saved.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let out = text(&o);
    assert!(out.contains("2 listings proven complete"), "{out}");
    assert!(!out.contains("FAILED"), "{out}");
    // Offline, against the genesis validators.
    let genesis = net.join("genesis.toml");
    let o = tracechain(&[
        "proof",
        "verify",
        saved.to_str().unwrap(),
        "--genesis",
        genesis.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    // A record of the saved answer altered: the offline check fails and says which.
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(&saved).unwrap()).unwrap();
    let rec = &mut v["answers"][0]["records"][0]["proof"]["tx"];
    let mut tx = rec.as_str().unwrap().to_string();
    let flip = if tx.as_bytes()[10] == b'A' { "B" } else { "A" };
    tx.replace_range(10..11, flip);
    *rec = Value::String(tx);
    let tampered = net.join("trace-tampered.json");
    std::fs::write(&tampered, serde_json::to_vec(&v).unwrap()).unwrap();
    let o = tracechain(&["proof", "verify", tampered.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("FAILED: record"), "{}", text(&o));
    // The document check hashes the file locally.
    let doc = net.join("certificate-of-origin.txt");
    std::fs::write(
        &doc,
        b"Certificate of origin (China-EU), Xiamen Customs, AX2026-0412",
    )
    .unwrap();
    let o = tracechain(&["doc", "verify", doc.to_str().unwrap(), "--node", platform]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("anchored by a competent issuer, valid"),
        "{}",
        text(&o)
    );
    std::fs::write(&doc, b"a forged certificate").unwrap();
    let o = tracechain(&["doc", "verify", doc.to_str().unwrap(), "--node", platform]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("NOT anchored"), "{}", text(&o));
    // The recall simulation, by a regulator: the six tins are reached, completely.
    let o = tracechain(&[
        "recall",
        BATCH,
        "--node",
        platform,
        "--key",
        key("market-regulation-regulator").to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let impact: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(impact["complete"], true, "{impact}");
    assert_eq!(
        impact["units"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|u| u.as_str().unwrap().contains("21T000"))
            .count(),
        6,
        "{impact}"
    );
    // The consumer's scan through the resolver: the public story.
    let story = get(&format!("{platform}/01/06971234004123/21/T0001"));
    assert_eq!(story["scans"]["count"], 2, "{story}");
    assert_eq!(story["recall"]["recalled"], false, "{story}");
    // Saved and checked offline: the registration, the customs record and the three
    // certificates are facts proven against the validators' signatures.
    let saved = net.join("story.json");
    let verify_story = |v: &Value| {
        std::fs::write(&saved, serde_json::to_vec(v).unwrap()).unwrap();
        tracechain(&[
            "proof",
            "verify",
            saved.to_str().unwrap(),
            "--genesis",
            genesis.to_str().unwrap(),
        ])
    };
    let o = verify_story(&story);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("0 records and 5 facts verified"),
        "{}",
        text(&o)
    );
    // A certificate said to be anchored at another time: refused, and said which.
    let mut v = story.clone();
    let t = v["certificates"][0]["anchored_ms"].as_u64().unwrap();
    v["certificates"][0]["anchored_ms"] = json!(t + 1);
    let o = verify_story(&v);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("the story says other than its proven fact"),
        "{}",
        text(&o)
    );
    // Another certificate called invalid, and the customs record's proof left out: refused.
    let mut v = story.clone();
    v["certificates"][1]["valid"] = json!(false);
    v["customs_proof"] = Value::Null;
    let o = verify_story(&v);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("said recorded, without a proof"),
        "{}",
        text(&o)
    );
    assert_eq!(
        text(&o)
            .matches("the story says other than its proven fact")
            .count(),
        1,
        "{}",
        text(&o)
    );
    // The story said read at another height than its proofs: refused.
    let mut v = story.clone();
    let h = v["read_at"]["height"].as_u64().unwrap();
    v["read_at"]["height"] = json!(h + 1);
    let o = verify_story(&v);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("the story was read at"), "{}", text(&o));
}
