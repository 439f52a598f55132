//! What the client commands (`demo load`, `bench load`) share: reading `network.json` and
//! the participants' keys, and the blocking HTTP calls of the transaction API.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use serde::Deserialize;
use serde_json::Value;
use tracechain_types::{encode, ChainId, Hash, PublicKey, SecretKey, Transaction, TxBody};
use tracechain_workload::{Stage, Step};

/// Largest `network.json` read (bytes).
const MAX_NETWORK_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// One node of `network.json`.
#[derive(Clone, Debug, Deserialize)]
pub struct NetNode {
    /// Its name.
    pub name: String,
    /// `validator` or `full`.
    pub role: String,
    /// API base URL.
    pub api: String,
}

/// `network.json` as `genesis init` writes it, with the folder it was read from.
#[derive(Clone, Debug)]
pub struct Network {
    /// The folder of `network.json`.
    pub dir: PathBuf,
    /// Chain id.
    pub chain_id: String,
    /// Genesis hash (hex).
    pub genesis_hash: String,
    /// The nodes.
    pub nodes: Vec<NetNode>,
    /// Participant name → key file (absolute).
    pub participants: BTreeMap<String, PathBuf>,
}

#[derive(Deserialize)]
struct NetworkJson {
    chain_id: String,
    genesis_hash: String,
    nodes: Vec<NetNode>,
    participants: Vec<(String, String)>,
}

impl Network {
    /// Read `network.json`.
    pub fn read(path: &Path) -> anyhow::Result<Network> {
        let meta =
            std::fs::metadata(path).with_context(|| format!("reading {}", path.display()))?;
        if meta.len() > MAX_NETWORK_FILE_BYTES {
            bail!("{} is over {MAX_NETWORK_FILE_BYTES} bytes", path.display());
        }
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let j: NetworkJson = serde_json::from_str(&text).with_context(|| {
            format!(
                "{} is not a network file written by `tracechain genesis init`",
                path.display()
            )
        })?;
        if j.nodes.is_empty() {
            bail!("{} lists no node", path.display());
        }
        let dir = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        Ok(Network {
            participants: j
                .participants
                .into_iter()
                .map(|(n, f)| (n, dir.join(f)))
                .collect(),
            dir,
            chain_id: j.chain_id,
            genesis_hash: j.genesis_hash,
            nodes: j.nodes,
        })
    }

    /// The chain id.
    pub fn chain(&self) -> anyhow::Result<ChainId> {
        ChainId::new(self.chain_id.clone()).map_err(|e| anyhow::anyhow!("chain id: {e}"))
    }

    /// A participant's key.
    pub fn key(&self, name: &str) -> anyhow::Result<SecretKey> {
        let file = self.participants.get(name).with_context(|| {
            format!("network.json lists no participant {name} (written by a newer `genesis init`?)")
        })?;
        super::keys::read(file)
    }
}

/// The blocking HTTP client of the transaction API.
#[derive(Clone, Debug)]
pub struct Api {
    http: reqwest::blocking::Client,
}

/// The node's answer to a submission.
#[derive(Clone, Debug)]
pub enum Submitted {
    /// Accepted into the pool (or committed already).
    Accepted,
    /// Refused: the HTTP status and the problem document.
    Refused(u16, Value),
}

/// The state of a transaction at a node.
#[derive(Clone, Debug, PartialEq)]
pub enum TxState {
    /// In a block at this height.
    Committed(u64),
    /// In the pool.
    Pending,
    /// Refused or expired (the problem document).
    Refused(Value),
    /// Not known to the node.
    Unknown,
}

impl Api {
    /// A client whose requests time out after `timeout`.
    pub fn new(timeout: Duration) -> anyhow::Result<Api> {
        Ok(Api {
            http: reqwest::blocking::Client::builder()
                .timeout(timeout)
                .build()?,
        })
    }

    /// GET a JSON document (non-2xx is an error).
    pub fn get_json(&self, url: &str) -> anyhow::Result<Value> {
        let resp = self
            .http
            .get(url)
            .send()
            .with_context(|| format!("GET {url}"))?;
        let status = resp.status();
        let body: Value = resp
            .json()
            .with_context(|| format!("GET {url}: not JSON"))?;
        if !status.is_success() {
            bail!("GET {url}: {status}: {body}");
        }
        Ok(body)
    }

    /// `GET /v1/status`.
    pub fn status(&self, base: &str) -> anyhow::Result<Value> {
        self.get_json(&format!("{base}/v1/status"))
    }

    /// Whether `GET /readyz` answers 200.
    pub fn ready(&self, base: &str) -> bool {
        self.http
            .get(format!("{base}/readyz"))
            .send()
            .is_ok_and(|r| r.status().is_success())
    }

    /// `(next_sequence, committed_next_sequence)` of `key` at the node.
    pub fn sequences(&self, base: &str, key: &PublicKey) -> anyhow::Result<(u64, u64)> {
        let v = self.get_json(&format!("{base}/v1/accounts/{}/sequence", key.to_hex()))?;
        Ok((
            v["next_sequence"].as_u64().context("no next_sequence")?,
            v["committed_next_sequence"]
                .as_u64()
                .context("no committed_next_sequence")?,
        ))
    }

    /// `POST /v1/txs{query}` with the Borsh bytes: the HTTP status and the JSON answer.
    pub fn post_tx(
        &self,
        base: &str,
        query: &str,
        tx: &Transaction,
    ) -> anyhow::Result<(u16, Value)> {
        let url = format!("{base}/v1/txs{query}");
        let resp = self
            .http
            .post(&url)
            .header("content-type", "application/octet-stream")
            .body(encode(tx))
            .send()
            .with_context(|| format!("POST {url}"))?;
        let code = resp.status().as_u16();
        let body: Value = resp
            .json()
            .with_context(|| format!("POST {url}: not JSON"))?;
        Ok((code, body))
    }

    /// `POST /v1/txs` (Borsh): accepted, or refused with the status and problem.
    pub fn submit(&self, base: &str, tx: &Transaction) -> anyhow::Result<Submitted> {
        let (code, body) = self.post_tx(base, "", tx)?;
        Ok(if (200..300).contains(&code) {
            Submitted::Accepted
        } else {
            Submitted::Refused(code, body)
        })
    }

    /// `GET /v1/txs/{id}`.
    pub fn tx_state(&self, base: &str, id: &Hash) -> anyhow::Result<TxState> {
        let url = format!("{base}/v1/txs/{}", id.to_hex());
        let resp = self
            .http
            .get(&url)
            .send()
            .with_context(|| format!("GET {url}"))?;
        let code = resp.status().as_u16();
        let body: Value = resp
            .json()
            .with_context(|| format!("GET {url}: not JSON"))?;
        if matches!(code, 408 | 429 | 503) {
            // Busy, rate limited, or the store unreadable for now: ask again.
            return Ok(TxState::Pending);
        }
        Ok(match body["status"].as_str() {
            Some("committed") => TxState::Committed(body["height"].as_u64().unwrap_or(0)),
            Some("pending") => TxState::Pending,
            Some("unknown") => TxState::Unknown,
            _ => TxState::Refused(body),
        })
    }

    /// Wait until every node answers `/readyz` with 200, printing who is still missing.
    pub fn wait_ready(&self, nodes: &[NetNode], timeout: Duration) -> anyhow::Result<()> {
        let start = Instant::now();
        let mut said = Instant::now();
        loop {
            let missing: Vec<&str> = nodes
                .iter()
                .filter(|n| !self.ready(&n.api))
                .map(|n| n.name.as_str())
                .collect();
            if missing.is_empty() {
                return Ok(());
            }
            if start.elapsed() > timeout {
                bail!(
                    "not ready after {} s: {} (see their logs)",
                    timeout.as_secs(),
                    missing.join(", ")
                );
            }
            if said.elapsed() > Duration::from_secs(5) {
                eprintln!("waiting for {} to be ready", missing.join(", "));
                said = Instant::now();
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

/// A record the chain refused (the command's exit status 1, not 2).
#[derive(Debug)]
pub struct Refused(pub String);
impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for Refused {}

/// Called after each stage with its index, the stage, and each sent record's transaction id
/// and height.
pub type StageDone<'a> = dyn FnMut(usize, &Stage, &[(&Step, Hash, u64)]) -> anyhow::Result<()> + 'a;

/// Heights a staged transaction stays valid.
const EXPIRY_WINDOW: u64 = 100;

/// Submits [`Stage`]s: each signer's records with consecutive sequences, a stage once the one
/// before it is committed on every node.
pub struct StageRunner<'a> {
    /// The HTTP client.
    pub api: &'a Api,
    /// The chain signed for.
    pub chain: &'a ChainId,
    /// Every signer's key, by participant name.
    pub keys: &'a BTreeMap<String, SecretKey>,
    /// The API base URL a participant submits through.
    pub node_of: &'a dyn Fn(&str) -> String,
    /// How long to wait for a signer's pending records, and for each record to commit.
    pub timeout: Duration,
    /// Every node (each must have applied a stage before the next is sent).
    pub nodes: &'a [NetNode],
}

impl StageRunner<'_> {
    /// Each signer's committed next sequence, after its pending records (of a run that was
    /// interrupted) committed or expired.
    pub fn committed(&self) -> anyhow::Result<BTreeMap<String, u64>> {
        let mut committed = BTreeMap::new();
        for (name, key) in self.keys {
            let base = (self.node_of)(name);
            let start = Instant::now();
            loop {
                let (next, done) = self.api.sequences(&base, &key.public())?;
                if next == done {
                    committed.insert(name.clone(), done);
                    break;
                }
                if start.elapsed() > self.timeout {
                    bail!(
                        "{name} still has pending records at {base} after {} s",
                        self.timeout.as_secs()
                    );
                }
                std::thread::sleep(Duration::from_millis(200));
            }
        }
        Ok(committed)
    }

    /// Submit the stages, skipping each signer's first `committed[signer]` records (on the
    /// chain already); after each stage that sent something, `done(index, stage, records)`
    /// with each sent record's transaction id and height.
    pub fn run(
        &self,
        stages: &[Stage],
        committed: &BTreeMap<String, u64>,
        done: &mut StageDone<'_>,
    ) -> anyhow::Result<()> {
        self.submit_stages(stages, committed, &BTreeMap::new(), done)
    }

    /// Submit every record of the stages, each signer's first one at its committed next
    /// sequence `base[signer]` (records it signed before are not the stages').
    pub fn run_after(
        &self,
        stages: &[Stage],
        base: &BTreeMap<String, u64>,
        done: &mut StageDone<'_>,
    ) -> anyhow::Result<()> {
        self.submit_stages(stages, &BTreeMap::new(), base, done)
    }

    fn submit_stages(
        &self,
        stages: &[Stage],
        committed: &BTreeMap<String, u64>,
        base: &BTreeMap<String, u64>,
        done: &mut StageDone<'_>,
    ) -> anyhow::Result<()> {
        let mut index: BTreeMap<String, u64> = BTreeMap::new();
        for (i, stage) in stages.iter().enumerate() {
            let mut sent: Vec<(&Step, String, Hash)> = Vec::new();
            let mut heights: BTreeMap<String, u64> = BTreeMap::new();
            for step in &stage.steps {
                let first = base.get(&step.signer).copied().unwrap_or(0);
                let seq = index.entry(step.signer.clone()).or_insert(first);
                let sequence = *seq;
                *seq += 1;
                if sequence < committed.get(&step.signer).copied().unwrap_or(0) {
                    continue;
                }
                let key = self
                    .keys
                    .get(&step.signer)
                    .with_context(|| format!("no key for {}", step.signer))?;
                let base = (self.node_of)(&step.signer);
                // A key's first transaction must commit before the node takes its next (the
                // pool's newcomer rule): wait for it when it was sent in this stage.
                if first == 0 && sequence == 1 {
                    if let Some((_, b, id)) = sent.iter().find(|(s, _, _)| s.signer == step.signer)
                    {
                        self.wait_committed(b, id, step)?;
                    }
                }
                let height = match heights.get(&base) {
                    Some(h) => *h,
                    None => {
                        let h = self.api.status(&base)?["height"].as_u64().unwrap_or(0);
                        heights.insert(base.clone(), h);
                        h
                    }
                };
                let tx = TxBody {
                    signer: key.public(),
                    sequence,
                    expiry_height: height + EXPIRY_WINDOW,
                    payload: step.payload.clone(),
                }
                .sign(self.chain, key);
                let mut answer = self.api.submit(&base, &tx)?;
                let start = Instant::now();
                // Busy or rate limited: the node asks to send again later.
                while matches!(answer, Submitted::Refused(429, _)) && start.elapsed() < self.timeout
                {
                    std::thread::sleep(Duration::from_millis(500));
                    answer = self.api.submit(&base, &tx)?;
                }
                match answer {
                    Submitted::Accepted => sent.push((step, base, tx.id())),
                    Submitted::Refused(code, body) => {
                        return Err(Refused(format!(
                            "{} ({}): refused with {code}: {body}",
                            step.label, step.signer
                        ))
                        .into())
                    }
                }
            }
            if sent.is_empty() {
                continue;
            }
            let mut records = Vec::new();
            for (step, base, id) in &sent {
                let h = self.wait_committed(base, id, step)?;
                records.push((*step, *id, h));
            }
            // The next stage's records are checked against the state of the node they are
            // sent to: every node must have applied this stage first.
            let top = records.iter().map(|r| r.2).max().unwrap_or(0);
            for n in self.nodes {
                self.wait_height(&n.api, top)?;
            }
            done(i, stage, &records)?;
        }
        Ok(())
    }

    /// Wait until the node at `base` has applied height `h`.
    fn wait_height(&self, base: &str, h: u64) -> anyhow::Result<()> {
        let start = Instant::now();
        while self.api.status(base)?["height"].as_u64().unwrap_or(0) < h {
            if start.elapsed() > self.timeout {
                bail!(
                    "{base} has not reached height {h} after {} s",
                    self.timeout.as_secs()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(())
    }

    /// Wait until `id` is committed (its height), or fail when it is refused or the timeout
    /// passes.
    fn wait_committed(&self, base: &str, id: &Hash, step: &Step) -> anyhow::Result<u64> {
        let start = Instant::now();
        loop {
            match self.api.tx_state(base, id)? {
                TxState::Committed(h) => return Ok(h),
                TxState::Refused(body) => {
                    return Err(Refused(format!(
                        "{} ({}): refused: {body}",
                        step.label, step.signer
                    ))
                    .into())
                }
                TxState::Pending | TxState::Unknown => {}
            }
            if start.elapsed() > self.timeout {
                bail!(
                    "{} ({}) not committed after {} s (transaction {})",
                    step.label,
                    step.signer,
                    self.timeout.as_secs(),
                    id.to_hex()
                );
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }
}
