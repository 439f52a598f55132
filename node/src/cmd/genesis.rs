//! `tracechain genesis init`: a local consortium's files (ADR 0062).
//!
//! `DIR/genesis.toml` (chain id, validators, full nodes, the first regulators, chain
//! parameters); one folder per node `DIR/<name>/` with `config.toml`, `node.key` and (once it
//! runs) `data/`; sample participant keys in `DIR/participants/`; `DIR/network.json` listing
//! every node's name, role, key, API URL and p2p address on 127.0.0.1.

use std::path::Path;

use anyhow::{bail, Context};
use serde::Serialize;
use tracechain_types::records::Agency;
use tracechain_types::SecretKey;

use crate::cmd::keys::write_key;
use crate::config::{GenesisFile, GenesisNode, GenesisRegulator, NodeConfig, PeerConfig};

/// The agencies whose validators a local consortium names first.
const VALIDATOR_AGENCIES: [(&str, Agency, &str); 4] = [
    (
        "customs",
        Agency::Customs,
        "General Administration of Customs",
    ),
    ("tax", Agency::Tax, "State Taxation Administration"),
    (
        "forex",
        Agency::Forex,
        "State Administration of Foreign Exchange",
    ),
    (
        "market-regulation",
        Agency::MarketRegulation,
        "State Administration for Market Regulation",
    ),
];

/// Sample participants whose keys `genesis init` writes: those of the demo's export flow other
/// than the regulators (written per validating agency). They register through the chain like
/// any participant.
pub fn sample_participants() -> impl Iterator<Item = &'static str> {
    tracechain_workload::flow::PARTICIPANTS
        .into_iter()
        .filter(|p| !p.ends_with("-regulator"))
}

/// Options of `genesis init`.
#[derive(Debug, Clone)]
pub struct InitOptions {
    /// Validators (1–100).
    pub validators: usize,
    /// Full nodes.
    pub full_nodes: usize,
    /// Chain id.
    pub chain_id: String,
    /// First API port (node i listens on base + i).
    pub api_port: u16,
    /// First p2p port.
    pub p2p_port: u16,
    /// Genesis time (Unix ms); now when absent.
    pub timestamp_ms: Option<u64>,
}

/// One line of `network.json`.
#[derive(Debug, Serialize)]
pub struct NetworkNode {
    /// Name.
    pub name: String,
    /// `validator` or `full`.
    pub role: String,
    /// Key (hex).
    pub public_key: String,
    /// API base URL.
    pub api: String,
    /// p2p address.
    pub p2p: String,
    /// Its folder (relative to the network folder).
    pub dir: String,
}

/// `network.json`.
#[derive(Debug, Serialize)]
pub struct NetworkFile {
    /// Chain id.
    pub chain_id: String,
    /// Genesis hash.
    pub genesis_hash: String,
    /// The nodes.
    pub nodes: Vec<NetworkNode>,
    /// Sample participant key files (relative paths), by name.
    pub participants: Vec<(String, String)>,
}

fn validator_name(i: usize) -> String {
    VALIDATOR_AGENCIES
        .get(i)
        .map(|(n, _, _)| n.to_string())
        .unwrap_or_else(|| format!("validator-{}", i + 1))
}

fn full_node_name(i: usize) -> String {
    if i == 0 {
        "platform-node".into()
    } else {
        format!("full-node-{}", i + 1)
    }
}

/// A valid unified social credit code for a state agency (`11` = organ of the state).
fn agency_uscc(i: usize) -> String {
    let body = format!("11100000{:09}", 1000 + i);
    let check = tracechain_gs1::uscc_check_character(&body).expect("digits are valid");
    format!("{body}{check}")
}

/// Write the files of a new consortium under `out` (which must not exist or be empty).
pub fn init(out: &Path, opts: &InitOptions) -> anyhow::Result<NetworkFile> {
    if opts.validators == 0 || opts.validators > 100 {
        bail!("--validators must be 1–100");
    }
    if opts.full_nodes > 100 {
        bail!("--full-nodes must be 0–100");
    }
    let total = opts.validators + opts.full_nodes;
    if opts.api_port as usize + total > 65535 || opts.p2p_port as usize + total > 65535 {
        bail!("ports out of range");
    }
    if out.exists()
        && std::fs::read_dir(out)
            .with_context(|| format!("reading {}", out.display()))?
            .next()
            .is_some()
    {
        bail!(
            "{} exists and is not empty; refusing to overwrite a consortium (remove it, or choose another --out)",
            out.display()
        );
    }
    std::fs::create_dir_all(out.join("participants"))
        .with_context(|| format!("creating {}", out.display()))?;

    // Node keys and folders.
    let mut nodes = Vec::new();
    for i in 0..total {
        let (name, role) = if i < opts.validators {
            (validator_name(i), "validator")
        } else {
            (full_node_name(i - opts.validators), "full")
        };
        let dir = out.join(&name);
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let key = SecretKey::generate(&mut rand_core::OsRng);
        write_key(&dir.join("node.key"), &key)?;
        nodes.push(NetworkNode {
            public_key: key.public().to_hex(),
            api: format!("http://127.0.0.1:{}", opts.api_port as usize + i),
            p2p: format!("/ip4/127.0.0.1/tcp/{}", opts.p2p_port as usize + i),
            dir: name.clone(),
            name,
            role: role.into(),
        });
    }

    // Participants: one regulator per agency of the first validators (at least customs), and
    // the sample enterprises.
    let mut regulators = Vec::new();
    let mut participants = Vec::new();
    for (i, (name, agency, legal)) in VALIDATOR_AGENCIES
        .iter()
        .take(opts.validators.clamp(1, 4))
        .enumerate()
    {
        let key = SecretKey::generate(&mut rand_core::OsRng);
        let file = format!("participants/{name}-regulator.key");
        write_key(&out.join(&file), &key)?;
        participants.push((format!("{name}-regulator"), file));
        regulators.push(GenesisRegulator {
            public_key: key.public().to_hex(),
            agency: *agency,
            legal_name: legal.to_string(),
            uscc: agency_uscc(i),
            country: "CN".into(),
        });
    }
    for name in sample_participants() {
        let key = SecretKey::generate(&mut rand_core::OsRng);
        let file = format!("participants/{name}.key");
        write_key(&out.join(&file), &key)?;
        participants.push((name.to_string(), file));
    }

    let genesis = GenesisFile {
        chain_id: opts.chain_id.clone(),
        timestamp_ms: opts.timestamp_ms.unwrap_or_else(crate::node::now_ms),
        validators: nodes
            .iter()
            .filter(|n| n.role == "validator")
            .map(|n| GenesisNode {
                name: n.name.clone(),
                public_key: n.public_key.clone(),
            })
            .collect(),
        full_nodes: nodes
            .iter()
            .filter(|n| n.role == "full")
            .map(|n| GenesisNode {
                name: n.name.clone(),
                public_key: n.public_key.clone(),
            })
            .collect(),
        regulators,
        params: Default::default(),
    };
    let loaded = genesis.clone().check()?;
    let built = loaded
        .genesis
        .build()
        .map_err(|e| anyhow::anyhow!("genesis: {e}"))?;
    let text = format!(
        "# Genesis of {} ({} validators, {} full nodes). Written by `tracechain genesis init`.\n\
         # Every node of the consortium must use this exact file: its hash is the chain's identity.\n{}",
        opts.chain_id,
        opts.validators,
        opts.full_nodes,
        toml::to_string(&genesis)?
    );
    std::fs::write(out.join("genesis.toml"), text)?;

    for (i, n) in nodes.iter().enumerate() {
        let mut cfg = NodeConfig {
            name: n.name.clone(),
            genesis: "../genesis.toml".into(),
            key_file: "node.key".into(),
            data_dir: "data".into(),
            api: Default::default(),
            p2p: Default::default(),
            consensus: Default::default(),
            mempool: Default::default(),
            storage: Default::default(),
            log: Default::default(),
            epcis: Default::default(),
        };
        cfg.api.listen = format!("127.0.0.1:{}", opts.api_port as usize + i).parse()?;
        cfg.p2p.listen = n.p2p.clone();
        cfg.p2p.peers = nodes
            .iter()
            .filter(|p| p.name != n.name)
            .map(|p| PeerConfig {
                name: p.name.clone(),
                public_key: p.public_key.clone(),
                addr: p.p2p.clone(),
            })
            .collect();
        cfg.validate()
            .with_context(|| format!("config of {}", n.name))?;
        let text = format!(
            "# Node {} ({}). Every limit not written here has its default: `tracechain config check` prints them all.\n{}",
            n.name,
            n.role,
            minimal_config_toml(&cfg)?
        );
        std::fs::write(out.join(&n.dir).join("config.toml"), text)?;
    }

    let network = NetworkFile {
        chain_id: opts.chain_id.clone(),
        genesis_hash: built.block.hash().to_hex(),
        nodes,
        participants,
    };
    let mut json = serde_json::to_string_pretty(&network)?;
    json.push('\n');
    std::fs::write(out.join("network.json"), json)?;
    Ok(network)
}

/// The keys a local node needs written out; everything else keeps its default.
fn minimal_config_toml(cfg: &NodeConfig) -> anyhow::Result<String> {
    #[derive(Serialize)]
    struct Api<'a> {
        listen: &'a std::net::SocketAddr,
    }
    #[derive(Serialize)]
    struct P2p<'a> {
        listen: &'a str,
        peers: &'a [PeerConfig],
    }
    #[derive(Serialize)]
    struct Minimal<'a> {
        name: &'a str,
        genesis: &'a Path,
        key_file: &'a Path,
        data_dir: &'a Path,
        api: Api<'a>,
        p2p: P2p<'a>,
    }
    Ok(toml::to_string(&Minimal {
        name: &cfg.name,
        genesis: &cfg.genesis,
        key_file: &cfg.key_file,
        data_dir: &cfg.data_dir,
        api: Api {
            listen: &cfg.api.listen,
        },
        p2p: P2p {
            listen: &cfg.p2p.listen,
            peers: &cfg.p2p.peers,
        },
    })?)
}
