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
use std::time::Duration;

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};
use tracechain_types::{PublicKey, SecretKey};
use tracechain_workload::flow;

use super::client::{Api, Network, Refused, StageRunner};

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

    let runner = StageRunner {
        api: &api,
        chain: &chain,
        keys: &keys,
        node_of: &|name: &str| node_of(&net, name).to_string(),
        timeout: opts.timeout,
        nodes: &net.nodes,
    };
    let committed = runner.committed()?;
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

    let count = stages.len();
    runner.run(&stages, &committed, &mut |i, stage, done| {
        let mut heights = Vec::new();
        for (step, id, h) in done {
            heights.push(*h);
            loaded.push(Loaded {
                stage: stage.title.clone(),
                label: step.label.clone(),
                signer: step.signer.clone(),
                tx_id: id.to_hex(),
                height: *h,
            });
        }
        let (lo, hi) = (
            heights.iter().min().copied().unwrap_or(0),
            heights.iter().max().copied().unwrap_or(0),
        );
        println!(
            "[{:>2}/{}] {} — {} records committed at height {}",
            i + 1,
            count,
            stage.title,
            done.len(),
            if lo == hi {
                lo.to_string()
            } else {
                format!("{lo}–{hi}")
            }
        );
        std::fs::write(&record_file, serde_json::to_string_pretty(&loaded)? + "\n")
            .with_context(|| format!("writing {}", record_file.display()))?;
        Ok(())
    })?;
    where_to_look(&net, &loaded, &record_file);
    Ok(())
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
        "  curl -s {node}/01/06971234004123/21/T0001  # a consumer's scan of the tin: its public story"
    );
    println!(
        "  tracechain trace 010697123400412321T0001 --node {node} --key {}/participants/customs-regulator.key --genesis {}/genesis.toml",
        net.dir.display(),
        net.dir.display()
    );
    println!(
        "                                           # every record, its proof and the listing's completeness, checked"
    );
    println!("  curl -s {node}/v1/blocks/1               # a block: header, transaction ids, certificate");
    println!("  curl -s {node}/metrics                   # Prometheus metrics");
    println!(
        "  {}    # every record of the flow with its transaction id and height",
        record_file.display()
    );
}
