//! A local consortium of real `tracechain` processes on 127.0.0.1 for end-to-end tests: set up
//! by `tracechain genesis init` in a temporary folder, each node a child process with its log
//! in its folder.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use tracechain_types::payload::{ParticipantRecord, Payload};
use tracechain_types::records::{
    Identity, ParticipantCategory, ParticipantRegistration, RegistrationId,
};
use tracechain_types::{encode, ChainId, Hash, PublicKey, SecretKey, Transaction, TxBody};

/// The binary under test.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tracechain"))
}

/// A running (or stopped) consortium.
pub struct Cluster {
    pub dir: tempfile::TempDir,
    pub network: Value,
    pub chain_id: ChainId,
    procs: BTreeMap<String, Child>,
    http: reqwest::blocking::Client,
}

/// Ports `base..base + n` free for both API and p2p use (probed by binding).
pub fn free_base(n: usize) -> u16 {
    for _ in 0..200 {
        let base = 20_000 + (rand_u32() % 35_000) as u16;
        if (0..2 * n).all(|i| TcpListener::bind(("127.0.0.1", base + i as u16)).is_ok()) {
            return base;
        }
    }
    panic!("no free port range found");
}

fn rand_u32() -> u32 {
    let mut b = [0u8; 4];
    getrandom(&mut b);
    u32::from_le_bytes(b)
}

fn getrandom(b: &mut [u8]) {
    use rand_core::RngCore;
    rand_core::OsRng.fill_bytes(b);
}

impl Cluster {
    /// `genesis init` with `validators` and `full_nodes`, faster view timeouts for tests.
    pub fn init(validators: usize, full_nodes: usize) -> Cluster {
        let dir = tempfile::Builder::new()
            .prefix("tracechain-e2e-")
            .tempdir()
            .unwrap();
        let n = validators + full_nodes;
        let base = free_base(n);
        let out = Command::new(bin())
            .args([
                "genesis",
                "init",
                "--validators",
                &validators.to_string(),
                "--full-nodes",
                &full_nodes.to_string(),
                "--chain-id",
                "tracechain-e2e",
                "--api-port",
                &base.to_string(),
                "--p2p-port",
                &(base + n as u16).to_string(),
                "--out",
            ])
            .arg(dir.path().join("net"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "genesis init: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let network: Value = serde_json::from_str(
            &std::fs::read_to_string(dir.path().join("net/network.json")).unwrap(),
        )
        .unwrap();
        let cluster = Cluster {
            chain_id: ChainId::new(network["chain_id"].as_str().unwrap()).unwrap(),
            network,
            dir,
            procs: BTreeMap::new(),
            http: reqwest::blocking::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
        };
        for name in cluster.names() {
            let cfg = cluster.node_dir(&name).join("config.toml");
            let mut text = std::fs::read_to_string(&cfg).unwrap();
            text.push_str(
                "\n[consensus]\nview_timeout_ms = 1000\nsync_retry_ms = 500\nview_change_resend_ms = 1000\n",
            );
            std::fs::write(&cfg, text).unwrap();
        }
        cluster
    }

    pub fn net_dir(&self) -> PathBuf {
        self.dir.path().join("net")
    }

    pub fn node_dir(&self, name: &str) -> PathBuf {
        self.net_dir().join(name)
    }

    pub fn names(&self) -> Vec<String> {
        self.network["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["name"].as_str().unwrap().to_string())
            .collect()
    }

    pub fn validators(&self) -> Vec<String> {
        self.nodes_with_role("validator")
    }

    pub fn full_nodes(&self) -> Vec<String> {
        self.nodes_with_role("full")
    }

    fn nodes_with_role(&self, role: &str) -> Vec<String> {
        self.network["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["role"] == role)
            .map(|n| n["name"].as_str().unwrap().to_string())
            .collect()
    }

    fn node(&self, name: &str) -> &Value {
        self.network["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["name"] == name)
            .unwrap_or_else(|| panic!("no node {name}"))
    }

    pub fn api(&self, name: &str) -> String {
        self.node(name)["api"].as_str().unwrap().to_string()
    }

    pub fn key(&self, name: &str) -> PublicKey {
        self.node(name)["public_key"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap()
    }

    /// Start a node (appending to its log).
    pub fn start(&mut self, name: &str) {
        assert!(!self.procs.contains_key(name), "{name} already running");
        let dir = self.node_dir(name);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("node.log"))
            .unwrap();
        let child = Command::new(bin())
            .args(["node", "run", "--config"])
            .arg(dir.join("config.toml"))
            .env("RUST_LOG", "info,libp2p=warn")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        self.procs.insert(name.to_string(), child);
    }

    pub fn start_all(&mut self) {
        for n in self.names() {
            self.start(&n);
        }
    }

    /// SIGKILL.
    pub fn kill9(&mut self, name: &str) {
        let mut c = self.procs.remove(name).unwrap();
        c.kill().unwrap();
        c.wait().unwrap();
    }

    /// SIGTERM and wait; returns the exit status.
    pub fn stop(&mut self, name: &str) -> std::process::ExitStatus {
        let mut c = self.procs.remove(name).unwrap();
        let _ = Command::new("kill")
            .args(["-TERM", &c.id().to_string()])
            .status();
        let start = Instant::now();
        loop {
            if let Some(s) = c.try_wait().unwrap() {
                return s;
            }
            if start.elapsed() > Duration::from_secs(20) {
                c.kill().unwrap();
                panic!("{name} did not stop on SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Whether `name` exited (and how).
    pub fn exited(&mut self, name: &str) -> Option<std::process::ExitStatus> {
        self.procs.get_mut(name).and_then(|c| c.try_wait().unwrap())
    }

    pub fn log(&self, name: &str) -> String {
        std::fs::read_to_string(self.node_dir(name).join("node.log")).unwrap_or_default()
    }

    /// The last lines of every log (for failure messages).
    pub fn logs_tail(&self) -> String {
        let mut out = String::new();
        for n in self.names() {
            let log = self.log(&n);
            let lines: Vec<&str> = log.lines().collect();
            let from = lines.len().saturating_sub(15);
            out.push_str(&format!("--- {n} ---\n{}\n", lines[from..].join("\n")));
        }
        out
    }

    pub fn get(&self, name: &str, path: &str) -> Option<(u16, Value)> {
        let resp = self
            .http
            .get(format!("{}{path}", self.api(name)))
            .send()
            .ok()?;
        let code = resp.status().as_u16();
        Some((code, resp.json().unwrap_or(Value::Null)))
    }

    pub fn status(&self, name: &str) -> Option<Value> {
        self.get(name, "/v1/status").map(|(_, v)| v)
    }

    pub fn height(&self, name: &str) -> Option<u64> {
        self.status(name).and_then(|s| s["height"].as_u64())
    }

    /// Wait until `name` answers with a height of at least `h`.
    pub fn wait_height(&self, name: &str, h: u64, within: Duration) -> u64 {
        let start = Instant::now();
        loop {
            if let Some(got) = self.height(name) {
                if got >= h {
                    return got;
                }
            }
            if start.elapsed() > within {
                panic!(
                    "{name} did not reach height {h} within {within:?} (at {:?})\n{}",
                    self.height(name),
                    self.logs_tail()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Wait until every running node's API answers.
    pub fn wait_up(&self, within: Duration) {
        for n in self.procs.keys() {
            let start = Instant::now();
            while self.status(n).is_none() {
                assert!(
                    start.elapsed() < within,
                    "{n} did not come up\n{}",
                    self.logs_tail()
                );
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }

    /// Post a signed transaction's bytes; `(HTTP status, body)`.
    pub fn submit(&self, name: &str, tx: &Transaction, wait: bool) -> Option<(u16, Value)> {
        let url = format!(
            "{}/v1/txs{}",
            self.api(name),
            if wait {
                "?wait=commit&timeout_ms=20000"
            } else {
                ""
            }
        );
        let resp = self
            .http
            .post(url)
            .header("content-type", "application/octet-stream")
            .body(encode(tx))
            .send()
            .ok()?;
        let code = resp.status().as_u16();
        Some((code, resp.json().unwrap_or(Value::Null)))
    }

    /// The block hash at every height `1..=h` of `name`.
    pub fn block_hashes(&self, name: &str, h: u64) -> Vec<String> {
        (1..=h)
            .map(|i| {
                let (code, b) = self
                    .get(name, &format!("/v1/blocks/{i}"))
                    .unwrap_or_else(|| panic!("{name} down"));
                assert_eq!(code, 200, "{name} block {i}: {b}");
                b["block_hash"].as_str().unwrap().to_string()
            })
            .collect()
    }

    /// Every transaction id in `name`'s chain up to `h`, in order.
    pub fn chain_tx_ids(&self, name: &str, h: u64) -> Vec<String> {
        let mut out = Vec::new();
        for i in 1..=h {
            let (_, b) = self.get(name, &format!("/v1/blocks/{i}")).unwrap();
            for id in b["tx_ids"].as_array().unwrap() {
                out.push(id.as_str().unwrap().to_string());
            }
        }
        out
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for (_, mut c) in std::mem::take(&mut self.procs) {
            let _ = c.kill();
            let _ = c.wait();
        }
        if std::thread::panicking() {
            // Keep the folder for inspection.
            let path = self.dir.path().to_path_buf();
            eprintln!("cluster folder kept: {}", path.display());
            std::mem::forget(std::mem::replace(
                &mut self.dir,
                tempfile::tempdir().unwrap(),
            ));
        }
    }
}

/// A valid unified social credit code for enterprise number `n`.
pub fn enterprise_uscc(n: u64) -> String {
    let body = format!("91350100{:09}", n % 1_000_000_000);
    let check = tracechain_gs1::uscc_check_character(&body).unwrap();
    format!("{body}{check}")
}

/// A participant registration of a fresh key (sequence 0): a transaction every node admits
/// and every validator executes.
pub fn registration(chain: &ChainId, key: &SecretKey, n: u64, expiry_height: u64) -> Transaction {
    TxBody {
        signer: key.public(),
        sequence: 0,
        expiry_height,
        payload: Payload::Participant(ParticipantRecord::RegisterParticipant(
            ParticipantRegistration {
                category: ParticipantCategory::Logistics,
                node_types: vec![],
                identity: Identity::Organisation {
                    legal_name: format!("Fujian Logistics {n} Co., Ltd."),
                    registration_id: RegistrationId::Uscc(enterprise_uscc(n)),
                },
                country: "CN".into(),
                identity_document: Hash::digest(format!("licence {n}").as_bytes()),
            },
        )),
    }
    .sign(chain, key)
}

/// A fresh key from a counter (distinct per test through `salt`).
pub fn key(salt: u8, n: u64) -> SecretKey {
    let mut seed = [salt; 32];
    seed[..8].copy_from_slice(&n.to_le_bytes());
    SecretKey::from_seed(seed)
}

/// Keep `path` for inspection.
pub fn keep(path: &Path) {
    eprintln!("kept: {}", path.display());
}
