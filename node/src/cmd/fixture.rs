//! `tracechain bench fixture` and `tracechain bench read`: a data directory of N realistic
//! records built by executing certified blocks through the contracts (no network,
//! `ChainBuilder`), and the read API measured on it in process (ADR 0080).
//!
//! The fixture is the load generator's mix (`tracechain_workload::mix`: 18 records per batch,
//! casts of six participants, each batch made from its cast's material batch), so a recall of
//! one cast's material batch reaches every unit of the cast: with `--casts C` and N records,
//! about 2 N / (18 C) units (a batch and its item per 18 records).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context};
use serde_json::{json, Value};
use tracechain_contracts::genesis::Genesis;
use tracechain_contracts::ChainParams;
use tracechain_storage::{ChainBuilder, ChainIdentity, Store, StoreOptions};
use tracechain_types::records::*;
use tracechain_types::{Hash, PublicKey, SecretKey, Transaction, TxBody};
use tracechain_workload::{mix, Step};

/// Most transactions per fixture block.
pub const DEFAULT_BLOCK_TXS: usize = 2000;
const REGULATORS: [Agency; 4] = [
    Agency::Customs,
    Agency::Tax,
    Agency::Forex,
    Agency::MarketRegulation,
];
/// 2026-12-01T00:00:00Z: the fixture's first block time.
const START_MS: u64 = 1_796_083_200_000;

fn seeded(seed: u64, what: &str) -> SecretKey {
    SecretKey::from_seed(
        Hash::tagged(
            b"tracechain/fixture-key/v1",
            &[&seed.to_be_bytes(), what.as_bytes()],
        )
        .0,
    )
}

fn regulator_name(a: Agency) -> String {
    format!("{a:?}-regulator").to_lowercase()
}

/// The fixture's genesis file: four validators and four regulators with seeded keys. Written
/// into the fixture (`genesis.toml`) so that an auditor replays it like any consortium's
/// chain (`tracechain audit chain --data-dir DIR/data --genesis DIR/genesis.toml`).
fn genesis_file(seed: u64) -> crate::config::GenesisFile {
    use crate::config::{GenesisFile, GenesisNode, GenesisRegulator};
    GenesisFile {
        chain_id: "tracechain-fixture".into(),
        timestamp_ms: START_MS - 1000,
        validators: REGULATORS
            .iter()
            .map(|a| GenesisNode {
                name: format!("{a:?}").to_lowercase(),
                public_key: seeded(seed, &format!("validator-{a:?}")).public().to_hex(),
            })
            .collect(),
        full_nodes: Vec::new(),
        regulators: REGULATORS
            .iter()
            .enumerate()
            .map(|(i, a)| GenesisRegulator {
                public_key: seeded(seed, &regulator_name(*a)).public().to_hex(),
                agency: *a,
                legal_name: format!("{} department", regulator_name(*a)),
                uscc: tracechain_workload::uscc(&format!("11100000{:09}", 1000 + i)),
                country: "CN".into(),
            })
            .collect(),
        params: ChainParams::default(),
    }
}

fn genesis(seed: u64) -> Genesis {
    genesis_file(seed)
        .check()
        .expect("the fixture's genesis file is valid")
        .genesis
}

/// Signs steps with each signer's next sequence and cuts them into blocks.
struct Feeder {
    builder: ChainBuilder,
    keys: BTreeMap<String, SecretKey>,
    seqs: BTreeMap<PublicKey, u64>,
    pending: Vec<Transaction>,
    block_txs: usize,
    records: u64,
    blocks: u64,
}

impl Feeder {
    fn push(&mut self, steps: &[Step]) -> anyhow::Result<()> {
        for s in steps {
            let k = self
                .keys
                .get(&s.signer)
                .with_context(|| format!("no key for {}", s.signer))?;
            let seq = self.seqs.entry(k.public()).or_default();
            let height = self.builder.store().tip()?.height + 1;
            self.pending.push(
                TxBody {
                    signer: k.public(),
                    sequence: *seq,
                    expiry_height: height + 1000,
                    payload: s.payload.clone(),
                }
                .sign(self.builder.chain_id(), k),
            );
            *seq += 1;
            if self.pending.len() >= self.block_txs {
                self.flush()?;
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> anyhow::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let txs = std::mem::take(&mut self.pending);
        let n = txs.len() as u64;
        self.blocks += 1;
        self.builder
            .append(txs, START_MS + self.blocks * 1000)
            .with_context(|| format!("block {}", self.blocks))?;
        self.records += n;
        Ok(())
    }
}

/// Options of `bench fixture`.
#[derive(Debug)]
pub struct FixtureOptions {
    /// Records to write (at least; whole batches of 18).
    pub records: u64,
    /// The folder to create.
    pub out: PathBuf,
    /// Casts (independent producers with their partners).
    pub casts: usize,
    /// Key seed.
    pub seed: u64,
    /// Transactions per block.
    pub block_txs: usize,
    /// State versions kept (0: all), as a node's `storage.state_versions_kept`.
    pub state_versions_kept: u64,
}

/// `tracechain bench fixture`.
pub fn fixture(o: &FixtureOptions) -> ExitCode {
    match build(o) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn build(o: &FixtureOptions) -> anyhow::Result<()> {
    if o.casts == 0 || o.block_txs == 0 {
        bail!("--casts and --block-txs must be positive");
    }
    if o.out.exists() && std::fs::read_dir(&o.out)?.next().is_some() {
        bail!("{} exists and is not empty", o.out.display());
    }
    if o.state_versions_kept != 0
        && o.state_versions_kept < tracechain_storage::MIN_STATE_VERSIONS_KEPT
    {
        bail!(
            "--state-versions-kept is 0 (all) or at least {}",
            tracechain_storage::MIN_STATE_VERSIONS_KEPT
        );
    }
    std::fs::create_dir_all(&o.out)?;
    let g = genesis(o.seed);
    let validator_keys: Vec<SecretKey> = REGULATORS
        .iter()
        .map(|a| seeded(o.seed, &format!("validator-{a:?}")))
        .collect();
    let builder = ChainBuilder::open(
        &o.out.join("data"),
        &g,
        validator_keys,
        &StoreOptions {
            state_versions_kept: o.state_versions_kept,
            ..StoreOptions::default()
        },
    )?;
    let mut keys: BTreeMap<String, SecretKey> = REGULATORS
        .iter()
        .map(|a| (regulator_name(*a), seeded(o.seed, &regulator_name(*a))))
        .collect();
    for c in 0..o.casts {
        for (role, name) in mix::cast_names(c).iter().enumerate() {
            keys.insert(name.clone(), mix::cast_key(o.seed, c, role));
        }
    }
    let publics: BTreeMap<String, PublicKey> =
        keys.iter().map(|(n, k)| (n.clone(), k.public())).collect();
    let regulators: Vec<String> = REGULATORS.iter().map(|a| regulator_name(*a)).collect();
    let mut f = Feeder {
        builder,
        keys,
        seqs: BTreeMap::new(),
        pending: Vec::new(),
        block_txs: o.block_txs,
        records: 0,
        blocks: 0,
    };
    let started = Instant::now();
    for stage in mix::setup(&publics, o.casts, &regulators).map_err(anyhow::Error::msg)? {
        f.push(&stage.steps)?;
        f.flush()?;
    }
    let units = o.records.div_ceil(mix::RECORDS_PER_UNIT as u64);
    let mut last_report = Instant::now();
    for n in 0..units {
        let c = (n % o.casts as u64) as usize;
        for phase in mix::unit(c, n / o.casts as u64) {
            f.push(&phase)?;
        }
        if last_report.elapsed().as_secs() >= 10 {
            last_report = Instant::now();
            eprintln!(
                "{} records in {} blocks, {:.0} records/s",
                f.records,
                f.blocks,
                f.records as f64 / started.elapsed().as_secs_f64()
            );
        }
    }
    f.flush()?;
    let store = f.builder.into_store()?;
    store.flush()?;
    let tip = store.tip()?;
    let elapsed = started.elapsed().as_secs_f64();
    // The state as a running node's background compaction leaves it: one sorted run.
    let compacting = Instant::now();
    store.compact_state()?;
    let compact_seconds = compacting.elapsed().as_secs_f64();
    let info = json!({
        "chain_id": g.chain_id.as_str(),
        "genesis_hash": g.build().map_err(|e| anyhow::anyhow!("{e}"))?.block.hash().to_hex(),
        "seed": o.seed,
        "casts": o.casts,
        "records": f.records,
        "units_per_cast": units.div_ceil(o.casts as u64),
        "blocks": tip.height,
        "build_seconds": elapsed,
        "state_versions_kept": o.state_versions_kept,
        "compact_seconds": compact_seconds,
    });
    std::fs::write(
        o.out.join("genesis.toml"),
        toml::to_string(&genesis_file(o.seed))?,
    )?;
    std::fs::write(
        o.out.join("fixture.json"),
        serde_json::to_vec_pretty(&info)?,
    )?;
    println!("{}", serde_json::to_string_pretty(&info)?);
    Ok(())
}

/// Options of `bench read`.
#[derive(Debug)]
pub struct ReadOptions {
    /// The fixture folder.
    pub dir: PathBuf,
    /// Trace reads measured.
    pub samples: usize,
    /// RocksDB block cache (MiB).
    pub block_cache_mb: usize,
}

/// `tracechain bench read`: trace by code (proofs included) and recall on a fixture, in
/// process through the read API's router.
pub fn read(o: &ReadOptions) -> ExitCode {
    match measure(o) {
        Ok(v) => {
            println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn measure(o: &ReadOptions) -> anyhow::Result<Value> {
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    let info: Value = serde_json::from_slice(&std::fs::read(o.dir.join("fixture.json"))?)
        .context("fixture.json")?;
    let seed = info["seed"].as_u64().context("seed")?;
    let casts = info["casts"].as_u64().context("casts")? as usize;
    let per_cast = info["units_per_cast"].as_u64().context("units_per_cast")?;
    let g = genesis(seed);
    let identity = ChainIdentity {
        chain_id: g.chain_id.clone(),
        genesis_hash: g.build().map_err(|e| anyhow::anyhow!("{e}"))?.block.hash(),
    };
    let store = Arc::new(Store::open_read_only(
        &o.dir.join("data"),
        &identity,
        &StoreOptions {
            block_cache_bytes: o.block_cache_mb.max(1) * 1024 * 1024,
            ..StoreOptions::default()
        },
    )?);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis() as u64;
    let api = Arc::new(tracechain_api::ReadApi::new(
        store,
        g.chain_id.clone(),
        // The reads are measured, not the per-key limiter (the clock is frozen here, so a
        // bucket would never refill).
        tracechain_api::ReadConfig {
            read_rate_per_key: u32::MAX,
            read_burst_per_key: u32::MAX,
            ..tracechain_api::ReadConfig::default()
        },
        Arc::new(move || now),
    ));
    let router = tracechain_api::router(api);
    let reg = seeded(seed, &regulator_name(Agency::Customs));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let code_of = |c: usize, n: u64| -> String {
        let t = TraceCode::Batch {
            gtin: mix::product_gtin(c),
            batch: format!("B{n}"),
        };
        tracechain_contracts::trace_codes::NormalisedCode::new("code", &t)
            .map(|n| n.as_str().to_string())
            .unwrap_or_default()
    };
    let signed = |target: &str, ts: u64| -> Request<Body> {
        let sig = tracechain_types::read_auth::sign_read(&reg, &g.chain_id, "GET", target, ts, b"");
        Request::builder()
            .uri(target)
            .header("tracechain-key", reg.public().to_hex())
            .header("tracechain-timestamp", ts.to_string())
            .header("tracechain-signature", hex::encode(sig.0))
            .body(Body::empty())
            .expect("request")
    };
    // A signed GET through the router: (milliseconds, the JSON answer).
    let timed = |target: &str, ts: u64| -> anyhow::Result<(f64, Value)> {
        let t = Instant::now();
        let resp = rt.block_on(router.clone().oneshot(signed(target, ts)))?;
        let status = resp.status();
        let body = rt
            .block_on(http_body_util::BodyExt::collect(resp.into_body()))?
            .to_bytes();
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        if !status.is_success() {
            bail!("{target}: {status}: {}", String::from_utf8_lossy(&body));
        }
        Ok((ms, serde_json::from_slice(&body)?))
    };
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    use rand::{Rng, SeedableRng};
    // Trace by code: a random unit of a random cast, a regulator's signed read of its first
    // page with every proof.
    let mut lat = Vec::with_capacity(o.samples);
    let mut records = 0usize;
    for i in 0..o.samples {
        let c = rng.gen_range(0..casts);
        let n = rng.gen_range(0..per_cast.saturating_sub(1).max(1));
        let target = format!("/v1/trace/{}", code_of(c, n));
        let (ms, v) = timed(&target, now + i as u64 % 1000)?;
        lat.push(ms);
        records += v["records"].as_array().map_or(0, Vec::len);
    }
    lat.sort_by(f64::total_cmp);
    // Recall of cast 0's material batch: every unit of the cast.
    let material =
        tracechain_contracts::trace_codes::NormalisedCode::new("code", &mix::material(0))
            .map(|n| n.as_str().to_string())
            .unwrap_or_default();
    let target = format!("/v1/recalls/{material}/impact");
    // Three recalls: the first reads what the trace reads left cold; the median is reported.
    let mut recall_ms = Vec::new();
    let mut v = Value::Null;
    for i in 0..3u64 {
        let (ms, answer) = timed(&target, now + 5000 + i)?;
        recall_ms.push(ms);
        v = answer;
    }
    let mut sorted = recall_ms.clone();
    sorted.sort_by(f64::total_cmp);
    Ok(json!({
        "fixture": info,
        "trace": {
            "samples": o.samples,
            "records_per_answer": records as f64 / o.samples.max(1) as f64,
            "p50_ms": percentile(&lat, 0.5),
            "p99_ms": percentile(&lat, 0.99),
            "max_ms": lat.last().copied().unwrap_or(0.0),
        },
        "recall": {
            "batch": material,
            "units": v["units"].as_array().map_or(0, Vec::len),
            "complete": v["complete"],
            "not_reached": v["not_reached"],
            "logistics_units": v["logistics_units"].as_array().map_or(0, Vec::len),
            "shipments": v["shipments"].as_array().map_or(0, Vec::len),
            "countries": v["countries"].as_array().map_or(0, Vec::len),
            "warehouses": v["warehouses"].as_array().map_or(0, Vec::len),
            "retailers": v["retailers"].as_array().map_or(0, Vec::len),
            "orders": v["orders"].as_array().map_or(0, Vec::len),
            "runs_ms": recall_ms,
            "ms": sorted[1],
        },
        "block_cache_mb": o.block_cache_mb,
    }))
}
