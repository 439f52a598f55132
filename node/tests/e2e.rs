//! End-to-end tests of real node processes on 127.0.0.1: a consortium from `genesis init`
//! commits submitted records with identical hashes on every node, survives `kill -9` of a
//! validator, of the primary and of every validator, and a brand-new full node syncs from
//! genesis.

mod cluster;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cluster::{key, registration, Cluster};
use tracechain_types::PublicKey;

const UP: Duration = Duration::from_secs(60);
/// Expiry height of the test transactions (within the admission window from genesis).
const EXPIRY: u64 = 50_000;

/// Every node of `names` has the same block hash at every height up to `h`.
fn assert_same_chain(c: &Cluster, names: &[String], h: u64) {
    let reference = c.block_hashes(&names[0], h);
    for n in &names[1..] {
        assert_eq!(
            c.block_hashes(n, h),
            reference,
            "{n} and {} differ below height {h}",
            names[0]
        );
    }
}

/// Submit registrations of fresh keys from `salt` numbered `from..to`, spread over `nodes`;
/// returns the ids answered 202/200.
fn submit_many(
    c: &Cluster,
    nodes: &[String],
    salt: u8,
    range: std::ops::Range<u64>,
) -> Vec<String> {
    let mut ids = Vec::new();
    for (i, n) in range.enumerate() {
        let node = &nodes[i % nodes.len()];
        let tx = registration(
            &c.chain_id,
            &key(salt, n),
            u64::from(salt) * 1_000_000 + n,
            EXPIRY,
        );
        let (code, body) = c.submit(node, &tx, false).expect("node answers");
        assert!(code == 202 || code == 200, "{node}: {code} {body}");
        assert_eq!(body["tx_id"].as_str().unwrap(), tx.id().to_hex());
        ids.push(tx.id().to_hex());
    }
    ids
}

/// Wait until every id is committed on `node`.
fn wait_committed(c: &Cluster, node: &str, ids: &[String], within: Duration) {
    let start = Instant::now();
    for id in ids {
        loop {
            let (code, body) = c.get(node, &format!("/v1/txs/{id}")).expect("node answers");
            if body["status"] == "committed" {
                break;
            }
            assert!(code == 202 || code == 404, "{id} on {node}: {code} {body}");
            assert!(
                start.elapsed() < within,
                "{id} not committed on {node}: {body}\n{}",
                c.logs_tail()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

#[test]
fn four_validators_and_a_full_node_commit_the_same_blocks() {
    let mut c = Cluster::init(4, 1);
    c.start_all();
    c.wait_up(UP);
    let all = c.names();
    let ids = submit_many(&c, &all, 1, 0..60);
    // Resubmitting the same transaction (to another node) gives the same id and status.
    let again = registration(&c.chain_id, &key(1, 0), 1_000_000, EXPIRY);
    assert_eq!(again.id().to_hex(), ids[0]);
    let (code, body) = c.submit(&all[1], &again, false).unwrap();
    assert!(code == 202 || code == 200, "{code} {body}");
    assert_eq!(body["tx_id"].as_str(), Some(ids[0].as_str()));
    for n in &all {
        wait_committed(&c, n, &ids, UP);
    }
    let h = all.iter().map(|n| c.height(n).unwrap()).min().unwrap();
    assert!(h >= 1);
    assert_same_chain(&c, &all, h);
    // Every transaction is in the chain exactly once.
    let chain = c.chain_tx_ids(&all[0], c.height(&all[0]).unwrap());
    let set: BTreeSet<&String> = chain.iter().collect();
    assert_eq!(set.len(), chain.len(), "a transaction committed twice");
    assert!(ids.iter().all(|id| set.contains(id)));
    // Same state root at the same height.
    let roots: BTreeSet<String> = all
        .iter()
        .map(|n| {
            let (_, b) = c.get(n, &format!("/v1/blocks/{h}")).unwrap();
            b["header"]["state_root"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(roots.len(), 1);
    // A proof of inclusion comes with the header and certificate, to its signer only (the
    // signed record is in it, R-A5).
    let target = format!("/v1/txs/{}/proof", ids[0]);
    let (code, refused) = c.get(&all[4], &target).unwrap();
    assert_eq!(code, 403, "{refused}");
    assert_eq!(refused["code"], "E_NOT_ALLOWED");
    let signer = key(1, 0);
    let ts = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let sig = tracechain_types::read_auth::sign_read(&signer, &c.chain_id, "GET", &target, ts, b"");
    let resp = reqwest::blocking::Client::new()
        .get(format!("{}{target}", c.api(&all[4])))
        .header("tracechain-key", signer.public().to_hex())
        .header("tracechain-timestamp", ts.to_string())
        .header("tracechain-signature", hex::encode(sig.0))
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let proof: serde_json::Value = resp.json().unwrap();
    assert!(proof["certificate"]["votes"].as_array().unwrap().len() >= 3);
    // Metrics count what committed.
    let metrics = c.http_text(&all[0], "/metrics");
    assert!(
        metrics.contains("tracechain_txs_committed_total{node=\"customs\"} "),
        "{metrics}"
    );
    the_auditor_replays_every_nodes_chain_to_the_same_state(&mut c, h);
}

/// `tracechain audit chain --json --genesis GENESIS SOURCE…`: (exit code, summary JSON as
/// printed, everything printed).
fn audit(c: &Cluster, source: &[&std::ffi::OsStr]) -> (Option<i32>, String, String) {
    let out = std::process::Command::new(cluster::bin())
        .args(["audit", "chain", "--json", "--genesis"])
        .arg(c.net_dir().join("genesis.toml"))
        .args(source)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let all = format!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    (out.status.code(), stdout, all)
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// The auditor (ADR 0087) on a running consortium: a live validator's data directory
/// (opened read-only; the node goes on committing), an export saved by a regulator and the
/// node's export stream verify the same chain; a flipped byte in the export is named by its
/// height; once the nodes stop, every node's data directory replays to the same summary.
fn the_auditor_replays_every_nodes_chain_to_the_same_state(c: &mut Cluster, h: u64) {
    use std::ffi::OsStr;
    let all = c.names();
    let data = |c: &Cluster, n: &str| c.node_dir(n).join("data");
    let (code, live, text) = audit(c, &[OsStr::new("--data-dir"), data(c, &all[0]).as_os_str()]);
    assert_eq!(code, Some(0), "{text}");
    let live = json(&live);
    assert_eq!(live["verified"], true, "{text}");
    assert!(live["last_height"].as_u64().unwrap() >= h);
    let more = submit_many(c, &all, 2, 0..10);
    for n in &all {
        wait_committed(c, n, &more, UP);
    }

    let regulator = c.net_dir().join("participants/customs-regulator.key");
    let file = c.net_dir().join("chain.export");
    let api = c.api(&all[4]);
    let out = std::process::Command::new(cluster::bin())
        .args(["export", "--node", &api, "--key"])
        .arg(&regulator)
        .arg("--out")
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (code, from_file, text) = audit(c, &[OsStr::new("--export"), file.as_os_str()]);
    assert_eq!(code, Some(0), "{text}");
    let (code, streamed, text) = audit(
        c,
        &[
            OsStr::new("--node"),
            OsStr::new(&api),
            OsStr::new("--key"),
            regulator.as_os_str(),
        ],
    );
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(
        streamed, from_file,
        "the stream and the saved export are one chain"
    );
    let tip = json(&from_file)["last_height"].as_u64().unwrap();
    assert!(tip > live["last_height"].as_u64().unwrap());

    // Without a regulator's key the node refuses the export.
    let out = std::process::Command::new(cluster::bin())
        .args(["export", "--node", &api, "--out"])
        .arg(c.net_dir().join("refused.export"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("403"));

    // The last byte of the last block's certificate flipped (before the 45-byte end frame).
    let mut bytes = std::fs::read(&file).unwrap();
    let at = bytes.len() - 45 - 1;
    bytes[at] ^= 1;
    let tampered = c.net_dir().join("tampered.export");
    std::fs::write(&tampered, &bytes).unwrap();
    let (code, failed, text) = audit(c, &[OsStr::new("--export"), tampered.as_os_str()]);
    assert_eq!(code, Some(1), "{text}");
    let failed = json(&failed);
    assert_eq!(failed["failure"]["height"], tip, "{text}");
    assert_eq!(failed["failure"]["check"], "certificate", "{text}");
    assert_eq!(failed["last_height"], tip - 1, "{text}");

    // Every node stopped at the same height: each data directory replays to the same bytes.
    let start = Instant::now();
    while all.iter().any(|n| c.height(n) != Some(tip)) {
        assert!(start.elapsed() < UP, "nodes did not reach {tip}");
        std::thread::sleep(Duration::from_millis(100));
    }
    for n in &all {
        c.stop(n);
    }
    for n in &all {
        let (code, summary, text) = audit(c, &[OsStr::new("--data-dir"), data(c, n).as_os_str()]);
        assert_eq!(code, Some(0), "{n}: {text}");
        assert_eq!(summary, from_file, "{n}'s data replays to another summary");
    }
}

#[test]
fn a_validator_killed_under_load_catches_up_with_identical_hashes() {
    let mut c = Cluster::init(4, 0);
    c.start_all();
    c.wait_up(UP);
    let vals = c.validators();
    let first = submit_many(&c, &vals, 2, 0..20);
    wait_committed(&c, &vals[0], &first, UP);
    c.kill9(&vals[3]);
    let before = c.height(&vals[0]).unwrap();
    let live: Vec<String> = vals[..3].to_vec();
    let during = submit_many(&c, &live, 2, 20..60);
    wait_committed(&c, &vals[0], &during, UP);
    let after = c.height(&vals[0]).unwrap();
    assert!(after > before, "the three others kept committing");
    c.start(&vals[3]);
    c.wait_height(&vals[3], after, UP);
    assert_same_chain(&c, &vals, after);
}

#[test]
fn killing_the_primary_causes_a_view_change_and_progress_resumes() {
    let mut c = Cluster::init(4, 0);
    c.start_all();
    c.wait_up(UP);
    let vals = c.validators();
    let warm = submit_many(&c, &vals, 3, 0..4);
    wait_committed(&c, &vals[0], &warm, UP);
    let tip = vals.iter().map(|n| c.height(n).unwrap()).max().unwrap();
    // The primary of the next height in view 0: sorted keys[(h + 0) % n].
    let mut keys: Vec<(PublicKey, String)> = vals.iter().map(|n| (c.key(n), n.clone())).collect();
    keys.sort();
    let primary = keys[((tip + 1) % 4) as usize].1.clone();
    c.kill9(&primary);
    let live: Vec<String> = vals.iter().filter(|n| **n != primary).cloned().collect();
    let ids = submit_many(&c, &live, 3, 4..10);
    wait_committed(&c, &live[0], &ids, Duration::from_secs(90));
    let (_, b) = c.get(&live[0], &format!("/v1/blocks/{}", tip + 1)).unwrap();
    assert!(
        b["header"]["view"].as_u64().unwrap() >= 1,
        "height {} was decided after a view change: {b}",
        tip + 1
    );
    let metrics = c.http_text(&live[0], "/metrics");
    let changes: u64 = metrics
        .lines()
        .find(|l| l.starts_with("tracechain_view_changes_total{"))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .expect("view change counter exported");
    assert!(changes >= 1, "{metrics}");
}

#[test]
fn a_full_node_with_an_empty_data_directory_syncs_from_genesis() {
    let mut c = Cluster::init(4, 1);
    let full = c.full_nodes()[0].clone();
    for v in c.validators() {
        c.start(&v);
    }
    c.wait_up(UP);
    let vals = c.validators();
    let ids = submit_many(&c, &vals, 4, 0..40);
    wait_committed(&c, &vals[0], &ids, UP);
    let h = c.height(&vals[0]).unwrap();
    assert!(
        !c.node_dir(&full).join("data").exists(),
        "empty data directory"
    );
    c.start(&full);
    c.wait_height(&full, h, UP);
    assert_same_chain(&c, &[vals[0].clone(), full.clone()], h);
    let root = |n: &str| {
        let (_, b) = c.get(n, &format!("/v1/blocks/{h}")).unwrap();
        b["header"]["state_root"].as_str().unwrap().to_string()
    };
    assert_eq!(root(&full), root(&vals[0]));
    // It serves what it synced.
    let (code, body) = c.get(&full, &format!("/v1/txs/{}", ids[7])).unwrap();
    assert_eq!(
        (code, body["status"].as_str()),
        (200, Some("committed")),
        "{body}"
    );
}

#[test]
fn kill_9_of_every_validator_under_load_loses_no_committed_transaction() {
    let mut c = Cluster::init(4, 0);
    c.start_all();
    c.wait_up(UP);
    let c = Arc::new(Mutex::new(c));
    let vals = c.lock().unwrap().validators();
    let chain_id = c.lock().unwrap().chain_id.clone();
    let apis: Vec<String> = vals.iter().map(|n| c.lock().unwrap().api(n)).collect();
    let stop = Arc::new(AtomicBool::new(false));
    let committed = Arc::new(Mutex::new(BTreeSet::new()));
    let submitted = Arc::new(Mutex::new(BTreeSet::new()));
    let counter = Arc::new(AtomicU64::new(0));
    let mut workers = Vec::new();
    for api in apis {
        let (stop, committed, submitted, counter) = (
            stop.clone(),
            committed.clone(),
            submitted.clone(),
            counter.clone(),
        );
        let chain_id = chain_id.clone();
        workers.push(std::thread::spawn(move || {
            let http = reqwest::blocking::Client::builder()
                .timeout(Duration::from_secs(5))
                .build()
                .unwrap();
            while !stop.load(Ordering::Relaxed) {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                let tx = registration(&chain_id, &key(5, n), 5_000_000 + n, EXPIRY);
                submitted.lock().unwrap().insert(tx.id().to_hex());
                let resp = http
                    .post(format!("{api}/v1/txs?wait=commit&timeout_ms=3000"))
                    .header("content-type", "application/octet-stream")
                    .body(tracechain_types::encode(&tx))
                    .send();
                if let Ok(r) = resp {
                    if let Ok(v) = r.json::<serde_json::Value>() {
                        if v["status"] == "committed" {
                            committed.lock().unwrap().insert(tx.id().to_hex());
                        }
                    }
                } else {
                    std::thread::sleep(Duration::from_millis(50));
                }
            }
        }));
    }
    // Let load build, then kill every validator at once.
    let start = Instant::now();
    while committed.lock().unwrap().len() < 30 {
        assert!(
            start.elapsed() < UP,
            "no commits under load\n{}",
            c.lock().unwrap().logs_tail()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    {
        let mut c = c.lock().unwrap();
        for v in &vals {
            c.kill9(v);
        }
    }
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().unwrap();
    }
    let mut c = Arc::try_unwrap(c).ok().unwrap().into_inner().unwrap();
    c.start_all();
    c.wait_up(UP);
    let acked: BTreeSet<String> = committed.lock().unwrap().clone();
    let sent: BTreeSet<String> = submitted.lock().unwrap().clone();
    // Progress after the restart, then the accounting on every node.
    let probe = registration(&c.chain_id, &key(6, 0), 6_000_000, EXPIRY);
    let (code, body) = c.submit(&vals[0], &probe, true).unwrap();
    assert_eq!(
        body["status"],
        "committed",
        "{code} {body}\n{}",
        c.logs_tail()
    );
    let h = c.height(&vals[0]).unwrap();
    for v in &vals {
        c.wait_height(v, h, UP);
    }
    assert_same_chain(&c, &vals, h);
    let chain = c.chain_tx_ids(&vals[0], h);
    let mut count: BTreeMap<&String, usize> = BTreeMap::new();
    for id in &chain {
        *count.entry(id).or_default() += 1;
    }
    for id in &acked {
        assert_eq!(
            count.get(id),
            Some(&1),
            "acknowledged {id} is not in the chain exactly once"
        );
    }
    let probe_id = probe.id().to_hex();
    for id in &chain {
        assert!(
            sent.contains(id) || *id == probe_id,
            "{id} appeared without being submitted"
        );
        assert_eq!(count[id], 1, "{id} twice");
    }
    assert!(acked.len() >= 30);
}

#[test]
fn a_node_refuses_another_chains_data_directory_naming_it() {
    let mut a = Cluster::init(1, 0);
    let v = a.validators()[0].clone();
    a.start(&v);
    a.wait_up(UP);
    a.stop(&v);
    // Point a node of another consortium at this data directory.
    let mut b = Cluster::init(1, 0);
    let w = b.validators()[0].clone();
    let cfg = b.node_dir(&w).join("config.toml");
    let text = std::fs::read_to_string(&cfg).unwrap().replace(
        "data_dir = \"data\"",
        &format!("data_dir = {:?}", a.node_dir(&v).join("data")),
    );
    std::fs::write(&cfg, text).unwrap();
    b.start(&w);
    let start = Instant::now();
    let status = loop {
        if let Some(s) = b.exited(&w) {
            break s;
        }
        assert!(start.elapsed() < UP, "the node did not stop");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(!status.success());
    let log = b.log(&w);
    assert!(log.contains("belongs to another chain"), "{log}");
}

trait HttpText {
    fn http_text(&self, name: &str, path: &str) -> String;
}

impl HttpText for Cluster {
    fn http_text(&self, name: &str, path: &str) -> String {
        reqwest::blocking::get(format!("{}{path}", self.api(name)))
            .unwrap()
            .text()
            .unwrap()
    }
}

/// What a hostile or careless client sends to the transaction API: every answer is a 4xx
/// problem naming the code (and the rule when a rule refused), never a 5xx; transactions that
/// cannot execute are refused without making the chain produce blocks; a slow client holds
/// only its own slots.
#[test]
fn the_transaction_api_answers_hostile_input_with_problems_and_stays_quiet() {
    let mut c = Cluster::init(1, 0);
    let v = c.validators()[0].clone();
    let cfg = c.node_dir(&v).join("config.toml");
    let text = std::fs::read_to_string(&cfg)
        .unwrap()
        .replace("[p2p]", "[mempool]\nmax_tx_bytes = 4096\n\n[p2p]")
        .replace(
            "[api]\n",
            "[api]\nmax_body_bytes = 8192\nrate_per_client = 5\nburst_per_client = 60\nmax_requests_per_client = 4\nrequest_timeout_ms = 1500\n",
        );
    std::fs::write(&cfg, text).unwrap();
    c.start(&v);
    c.wait_up(UP);
    let api = c.api(&v);
    let http = reqwest::blocking::Client::new();
    let post = |body: Vec<u8>, ctype: &str, query: &str| {
        let r = http
            .post(format!("{api}/v1/txs{query}"))
            .header("content-type", ctype)
            .body(body)
            .send()
            .unwrap();
        let code = r.status().as_u16();
        let ct = r
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        (code, ct, r.json::<serde_json::Value>().unwrap_or_default())
    };
    let problem =
        |(code, ct, body): (u16, String, serde_json::Value), want: u16, code_str: &str| {
            assert_eq!(code, want, "{body}");
            assert_eq!(ct, "application/problem+json", "{body}");
            assert_eq!(body["code"], code_str, "{body}");
            assert_eq!(body["status"], want);
        };
    // Garbage, a truncated transaction, a transaction with trailing bytes.
    problem(
        post(vec![1, 2, 3], "application/octet-stream", ""),
        400,
        "E_MALFORMED_TX",
    );
    let good = registration(&c.chain_id, &key(7, 0), 7_000_000, EXPIRY);
    let bytes = tracechain_types::encode(&good);
    problem(
        post(
            bytes[..bytes.len() - 1].to_vec(),
            "application/octet-stream",
            "",
        ),
        400,
        "E_MALFORMED_TX",
    );
    let mut trailing = bytes.clone();
    trailing.push(0);
    problem(
        post(trailing, "application/octet-stream", ""),
        400,
        "E_MALFORMED_TX",
    );
    // JSON forms.
    problem(
        post(b"{\"tx\": 5}".to_vec(), "application/json", ""),
        400,
        "E_BAD_JSON",
    );
    problem(
        post(b"{\"tx\": \"!!\"}".to_vec(), "application/json", ""),
        400,
        "E_BAD_BASE64",
    );
    problem(
        post(vec![0; 9000], "application/octet-stream", ""),
        413,
        "E_BODY_TOO_LARGE",
    );
    problem(
        post(vec![0; 5000], "application/octet-stream", ""),
        413,
        "E_TX_TOO_LARGE",
    );
    problem(
        post(bytes.clone(), "application/octet-stream", "?wait=forever"),
        400,
        "E_BAD_QUERY",
    );
    // A bad signature names R-D3; a wrong chain id is a bad signature.
    let mut forged = good.clone();
    forged.signature.0[0] ^= 1;
    let r = post(
        tracechain_types::encode(&forged),
        "application/octet-stream",
        "",
    );
    assert_eq!(r.2["rule"], "R-D3", "{:?}", r);
    problem(r, 400, "E_BAD_SIGNATURE");
    let other_chain = registration(
        &tracechain_types::ChainId::new("another-chain").unwrap(),
        &key(7, 0),
        7_000_000,
        EXPIRY,
    );
    problem(
        post(
            tracechain_types::encode(&other_chain),
            "application/octet-stream",
            "",
        ),
        400,
        "E_BAD_SIGNATURE",
    );
    // The good one, as JSON base64, waiting for the commit.
    use base64::Engine;
    let json =
        serde_json::json!({ "tx": base64::engine::general_purpose::STANDARD.encode(&bytes) });
    let (code, _, body) = post(
        json.to_string().into_bytes(),
        "application/json",
        "?wait=commit&timeout_ms=20000",
    );
    assert_eq!(
        (code, body["status"].as_str()),
        (200, Some("committed")),
        "{body}"
    );
    // The contracts' refusal carries the rule: registering twice.
    let twice = tracechain_types::TxBody {
        sequence: 1,
        ..good.body.clone()
    }
    .sign(&c.chain_id, &key(7, 0));
    let r = post(
        tracechain_types::encode(&twice),
        "application/octet-stream",
        "",
    );
    assert_eq!(r.2["rule"], "R-A1", "{:?}", r);
    problem(r, 422, "E_ALREADY_EXISTS");
    // Reads of bad and unknown ids.
    let (code, body) = c.get(&v, "/v1/txs/not-hex").unwrap();
    assert_eq!(
        (code, body["code"].as_str()),
        (400, Some("E_BAD_ID")),
        "{body}"
    );
    let (code, body) = c.get(&v, &format!("/v1/txs/{}", "ab".repeat(32))).unwrap();
    assert_eq!(
        (code, body["status"].as_str()),
        (404, Some("unknown")),
        "{body}"
    );
    let (code, body) = c.get(&v, "/v1/blocks/99999").unwrap();
    assert_eq!(
        (code, body["code"].as_str()),
        (404, Some("E_NO_BLOCK")),
        "{body}"
    );
    let (code, body) = c.get(&v, "/v1/blocks/-1").unwrap();
    assert_eq!(code, 400, "{body}");
    let (code, body) = c.get(&v, "/v1/nowhere").unwrap();
    assert_eq!(
        (code, body["code"].as_str()),
        (404, Some("E_NOT_FOUND")),
        "{body}"
    );
    // A transaction ahead of a gap in its signer's sequence is refused at once (the pool never
    // holds one: a gap would keep it, and the validators, busy for nothing), and no block is
    // made for it.
    let ahead = tracechain_types::TxBody {
        sequence: 3,
        ..good.body.clone()
    }
    .sign(&c.chain_id, &key(7, 0));
    let h = c.height(&v).unwrap();
    let r = post(
        tracechain_types::encode(&ahead),
        "application/octet-stream",
        "?wait=commit&timeout_ms=1500",
    );
    assert!(r.2["detail"].as_str().unwrap().contains("gap"), "{:?}", r);
    problem(r, 422, "E_BAD_SEQUENCE");
    // A key that committed nothing queues one transaction, not a run of them.
    let stranger = key(8, 0);
    let first = registration(&c.chain_id, &stranger, 8_000_000, EXPIRY);
    let second = tracechain_types::TxBody {
        sequence: 1,
        ..first.body.clone()
    }
    .sign(&c.chain_id, &stranger);
    let r = post(
        tracechain_types::encode(&second),
        "application/octet-stream",
        "",
    );
    assert!(
        r.2["detail"]
            .as_str()
            .unwrap()
            .contains("first transaction"),
        "{:?}",
        r
    );
    problem(r, 422, "E_BAD_SEQUENCE");
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(
        c.height(&v).unwrap(),
        h,
        "no blocks while nothing can execute"
    );
    let (_, seq) = c
        .get(&v, &format!("/v1/accounts/{}/sequence", key(7, 0).public()))
        .unwrap();
    assert_eq!(seq["committed_next_sequence"], 1);
    assert_eq!(seq["next_sequence"], 1);
    // Slow clients: bodies that never finish hold their sender's slots until the body
    // timeout (408), and never another client's.
    let mut slow = Vec::new();
    for _ in 0..4 {
        use std::io::Write;
        let mut s = std::net::TcpStream::connect(api.trim_start_matches("http://")).unwrap();
        write!(s, "POST /v1/txs HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: 1000\r\n\r\nab").unwrap();
        slow.push(s);
    }
    std::thread::sleep(Duration::from_millis(200));
    let same = http.get(format!("{api}/healthz")).send().unwrap();
    assert_eq!(
        same.status().as_u16(),
        429,
        "the slow client's own slots are taken"
    );
    let other = reqwest::blocking::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .build()
        .unwrap();
    let r = other.get(format!("{api}/healthz")).send().unwrap();
    assert_eq!(r.status().as_u16(), 200, "another client is served");
    for mut s in slow {
        use std::io::Read;
        let mut answer = String::new();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let _ = s.read_to_string(&mut answer);
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    }
    // A body trickled one byte at a time does not restart the clock: 408 within the budget.
    {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(api.trim_start_matches("http://")).unwrap();
        write!(s, "POST /v1/txs HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: 1000\r\n\r\n").unwrap();
        let start = Instant::now();
        let mut w = s.try_clone().unwrap();
        let trickle = std::thread::spawn(move || {
            for _ in 0..40 {
                if w.write_all(b"a").is_err() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(200));
            }
        });
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut answer = String::new();
        let _ = s.read_to_string(&mut answer);
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        assert!(
            start.elapsed() < Duration::from_millis(4000),
            "{:?}",
            start.elapsed()
        );
        let _ = trickle.join();
    }
    // Over its rate, a client gets 429 with Retry-After, not a failure.
    let mut limited = 0;
    for _ in 0..200 {
        let r = http.get(format!("{api}/healthz")).send().unwrap();
        if r.status().as_u16() == 429 {
            assert_eq!(r.headers()["retry-after"], "1");
            limited += 1;
        }
    }
    assert!(limited > 0, "the rate limit never answered 429");
}

#[test]
fn a_batch_is_admitted_transaction_by_transaction_in_order_and_bounded() {
    let mut c = Cluster::init(1, 0);
    let v = c.validators()[0].clone();
    let cfg = c.node_dir(&v).join("config.toml");
    let text = std::fs::read_to_string(&cfg)
        .unwrap()
        .replace("[api]\n", "[api]\nmax_batch_txs = 3\n");
    std::fs::write(&cfg, text).unwrap();
    c.start(&v);
    c.wait_up(UP);
    let url = format!("{}/v1/txs/batch", c.api(&v));
    let http = reqwest::blocking::Client::new();
    let post = |txs: &[tracechain_types::Transaction]| {
        let r = http
            .post(&url)
            .header("content-type", "application/octet-stream")
            .body(tracechain_types::encode(&txs.to_vec()))
            .send()
            .unwrap();
        (r.status().as_u16(), r.json::<serde_json::Value>().unwrap())
    };
    let a = registration(&c.chain_id, &key(9, 1), 9_000_001, EXPIRY);
    let b = registration(&c.chain_id, &key(9, 2), 9_000_002, EXPIRY);
    let mut forged = registration(&c.chain_id, &key(9, 3), 9_000_003, EXPIRY);
    forged.signature.0[0] ^= 1;

    // Not a list of transactions; more than max_batch_txs.
    let r = http.post(&url).body(vec![9u8, 9, 9]).send().unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let body: serde_json::Value = r.json().unwrap();
    assert_eq!(body["code"], "E_MALFORMED_TX", "{body}");
    let (code, body) = post(&[a.clone(), b.clone(), forged.clone(), a.clone()]);
    assert_eq!(code, 413, "{body}");
    assert_eq!(body["code"], "E_BATCH_TOO_LARGE", "{body}");
    assert_eq!(
        c.status(&v).unwrap()["mempool_txs"],
        0,
        "nothing of it admitted"
    );

    // One answer per transaction, in order; the forged one refused alone.
    let (code, body) = post(&[a.clone(), forged.clone(), b.clone()]);
    assert_eq!(code, 200, "{body}");
    let results = body["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    assert_eq!(results[0]["tx_id"], a.id().to_hex());
    assert_eq!(results[0]["status"], "pending", "{body}");
    assert_eq!(results[1]["tx_id"], forged.id().to_hex());
    assert_eq!(results[1]["status"], "refused", "{body}");
    assert!(
        results[1]["code"].as_str().is_some_and(|s| !s.is_empty()),
        "{body}"
    );
    assert_eq!(results[2]["tx_id"], b.id().to_hex());
    assert_eq!(results[2]["status"], "pending", "{body}");

    // Sent again (a client retrying): nothing twice in the chain.
    let ids = vec![a.id().to_hex(), b.id().to_hex()];
    wait_committed(&c, &v, &ids, UP);
    let (code, body) = post(&[a.clone(), b.clone()]);
    assert_eq!(code, 200, "{body}");
    for r in body["results"].as_array().unwrap() {
        assert_eq!(r["status"], "committed", "{body}");
    }
    let h = c.height(&v).unwrap();
    let chain = c.chain_tx_ids(&v, h);
    for id in &ids {
        assert_eq!(chain.iter().filter(|t| *t == id).count(), 1, "{id} once");
    }
    assert!(!chain.contains(&forged.id().to_hex()));
}
