//! `tracechain demo load`: load the sample export flow (`tracechain_workload::flow`) into a
//! running consortium through the transaction API, each record signed by its participant's
//! own key from `network.json`, stage by stage (a stage is submitted once the one before it
//! is committed).
//!
//! Regulators submit through their own department's validator, enterprises and consumers
//! through the platform's full node (the first full node; a validator when there is none).
//! Running it again resumes: each signer's committed sequence says how many of its records
//! are on the chain already, and only the rest are sent. Every committed record is written
//! to `demo-flow.json` beside `network.json` (stage, label, signer, transaction id, height).
//! Exit 0 when the whole flow is committed, 1 when a record is refused, 2 when the command
//! could not run.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};
use tracechain_types::{Hash, PublicKey, SecretKey, TxBody};
use tracechain_workload::{flow, Step};

use super::client::{Api, Network, Submitted, TxState};

/// Options of `demo load`.
#[derive(Debug)]
pub struct LoadOptions<'a> {
    /// `network.json`.
    pub network: &'a Path,
    /// How long to wait for the nodes and for each stage.
    pub timeout: Duration,
}

/// One committed record of the flow, as `demo-flow.json` lists it.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Loaded {
    stage: String,
    label: String,
    signer: String,
    tx_id: String,
    height: u64,
}

/// Heights a demo transaction stays valid.
const EXPIRY_WINDOW: u64 = 100;

/// Run `demo load`.
pub fn load(opts: &LoadOptions<'_>) -> ExitCode {
    match run(opts) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is::<Refused>() => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

#[derive(Debug)]
struct Refused(String);
impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for Refused {}

/// The node a participant submits through.
fn node_of<'a>(net: &'a Network, participant: &str) -> &'a str {
    let own = participant
        .strip_suffix("-regulator")
        .and_then(|agency| net.nodes.iter().find(|n| n.name == agency));
    let platform = net.nodes.iter().find(|n| n.role == "full");
    own.or(platform).unwrap_or(&net.nodes[0]).api.as_str()
}

fn run(opts: &LoadOptions<'_>) -> anyhow::Result<()> {
    let net = Network::read(opts.network)?;
    let chain = net.chain()?;
    let api = Api::new(Duration::from_secs(30))?;
    println!("waiting for the {} nodes to be ready", net.nodes.len());
    api.wait_ready(&net.nodes, opts.timeout)?;
    for n in &net.nodes {
        let s = api.status(&n.api)?;
        if s["genesis_hash"].as_str() != Some(net.genesis_hash.as_str()) {
            bail!(
                "{} ({}) runs another chain (genesis {}), not the one of {}",
                n.name,
                n.api,
                s["genesis_hash"],
                opts.network.display()
            );
        }
    }
    let mut keys: BTreeMap<String, SecretKey> = BTreeMap::new();
    for p in flow::PARTICIPANTS {
        keys.insert(p.to_string(), net.key(p)?);
    }
    let publics: BTreeMap<String, PublicKey> =
        keys.iter().map(|(n, k)| (n.clone(), k.public())).collect();
    let stages =
        flow::tea_export(&publics, crate::node::now_ms()).map_err(|e| anyhow::anyhow!("{e}"))?;
    let total: usize = stages.iter().map(|s| s.steps.len()).sum();

    // Where each signer stands: wait for its pending records (a run that was interrupted)
    // to commit or expire, then skip what is committed.
    let mut committed: BTreeMap<String, u64> = BTreeMap::new();
    for (name, key) in &keys {
        let base = node_of(&net, name);
        let start = Instant::now();
        loop {
            let (next, done) = api.sequences(base, &key.public())?;
            if next == done {
                committed.insert(name.clone(), done);
                break;
            }
            if start.elapsed() > opts.timeout {
                bail!(
                    "{name} still has pending records at {base} after {} s",
                    opts.timeout.as_secs()
                );
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    let record_file = net.dir.join("demo-flow.json");
    let mut loaded: Vec<Loaded> = std::fs::read_to_string(&record_file)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    let already: u64 = committed.values().sum();
    if already as usize >= total {
        println!("the sample export flow is on the chain already ({total} records)");
    } else if already > 0 {
        println!("resuming the sample export flow: {already} of {total} records are on the chain");
    } else {
        println!(
            "loading the sample export flow: {total} records in {} stages",
            stages.len()
        );
    }

    let mut index: BTreeMap<String, u64> = BTreeMap::new();
    for (i, stage) in stages.iter().enumerate() {
        let mut sent: Vec<(&Step, &str, Hash)> = Vec::new();
        for step in &stage.steps {
            let seq = index.entry(step.signer.clone()).or_default();
            let sequence = *seq;
            *seq += 1;
            if sequence < committed.get(&step.signer).copied().unwrap_or(0) {
                continue;
            }
            let key = &keys[&step.signer];
            let base = node_of(&net, &step.signer);
            // A key's first transaction must commit before the node takes its next (the
            // pool's newcomer rule): wait for it when it was sent in this stage.
            if sequence == 1 {
                if let Some((_, b, id)) = sent.iter().find(|(s, _, _)| s.signer == step.signer) {
                    wait_committed(&api, b, id, step, opts.timeout)?;
                }
            }
            let height = api.status(base)?["height"].as_u64().unwrap_or(0);
            let tx = TxBody {
                signer: key.public(),
                sequence,
                expiry_height: height + EXPIRY_WINDOW,
                payload: step.payload.clone(),
            }
            .sign(&chain, key);
            match api.submit(base, &tx)? {
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
        let mut heights = Vec::new();
        for (step, base, id) in &sent {
            let h = wait_committed(&api, base, id, step, opts.timeout)?;
            heights.push(h);
            loaded.push(Loaded {
                stage: stage.title.clone(),
                label: step.label.clone(),
                signer: step.signer.clone(),
                tx_id: id.to_hex(),
                height: h,
            });
        }
        let (lo, hi) = (
            heights.iter().min().copied().unwrap_or(0),
            heights.iter().max().copied().unwrap_or(0),
        );
        println!(
            "[{:>2}/{}] {} — {} records committed at height {}",
            i + 1,
            stages.len(),
            stage.title,
            sent.len(),
            if lo == hi {
                lo.to_string()
            } else {
                format!("{lo}–{hi}")
            }
        );
        // The next stage's records are checked against the state of the node they are sent
        // to: every node must have applied this stage first.
        for n in &net.nodes {
            wait_height(&api, &n.api, hi, opts.timeout)?;
        }
        std::fs::write(&record_file, serde_json::to_string_pretty(&loaded)? + "\n")
            .with_context(|| format!("writing {}", record_file.display()))?;
    }
    where_to_look(&net, &loaded, &record_file);
    Ok(())
}

/// Wait until the node at `base` has applied height `h`.
fn wait_height(api: &Api, base: &str, h: u64, timeout: Duration) -> anyhow::Result<()> {
    let start = Instant::now();
    while api.status(base)?["height"].as_u64().unwrap_or(0) < h {
        if start.elapsed() > timeout {
            bail!(
                "{base} has not reached height {h} after {} s",
                timeout.as_secs()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

/// Wait until `id` is committed (its height), or fail when it is refused or `timeout` passes.
fn wait_committed(
    api: &Api,
    base: &str,
    id: &Hash,
    step: &Step,
    timeout: Duration,
) -> anyhow::Result<u64> {
    let start = Instant::now();
    loop {
        match api.tx_state(base, id)? {
            TxState::Committed(h) => return Ok(h),
            TxState::Refused(body) => {
                return Err(
                    Refused(format!("{} ({}): refused: {body}", step.label, step.signer)).into(),
                )
            }
            TxState::Pending | TxState::Unknown => {}
        }
        if start.elapsed() > timeout {
            bail!(
                "{} ({}) not committed after {} s (transaction {})",
                step.label,
                step.signer,
                timeout.as_secs(),
                id.to_hex()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn where_to_look(net: &Network, loaded: &[Loaded], record_file: &Path) {
    let node = node_of(net, "producer");
    let tin = flow::featured_unit();
    let link = tracechain_contracts::trace_codes::NormalisedCode::new("code", &tin)
        .map(|n| n.digital_link())
        .unwrap_or_default();
    println!();
    println!(
        "The tea's story (tin T0001 of batch {}, {link}):",
        flow::BATCH
    );
    let start = loaded
        .iter()
        .position(|l| l.label.starts_with("register batch"))
        .unwrap_or(0);
    let mut story: Vec<&Loaded> = loaded[start..].iter().collect();
    story.sort_by_key(|l| l.height);
    for l in story {
        println!("  height {:>4}  {}  {}", l.height, &l.tx_id[..16], l.label);
    }
    let release = loaded
        .iter()
        .find(|l| l.label.starts_with("customs releases"))
        .map(|l| l.tx_id.clone())
        .unwrap_or_else(|| "<tx id>".into());
    println!();
    println!("Where to look:");
    for n in &net.nodes {
        println!(
            "  curl -s {}/v1/status     # {} ({})",
            n.api, n.name, n.role
        );
    }
    println!(
        "  curl -s {node}/v1/txs/{release}          # customs release: committed, height, block"
    );
    println!(
        "  curl -s {node}/v1/txs/{release}/proof    # its inclusion proof and commit certificate"
    );
    println!("  curl -s {node}/v1/blocks/1               # a block: header, transaction ids, certificate");
    println!("  curl -s {node}/metrics                   # Prometheus metrics");
    println!(
        "  {}    # every record of the flow with its transaction id and height",
        record_file.display()
    );
}
