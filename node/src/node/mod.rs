//! `tracechain node run`: storage, network, admission, the consensus thread and the HTTP API
//! of one node (ADR 0063).
//!
//! Threads: the tokio runtime (network, HTTP, timers, gossip batching); the consensus thread
//! ([`core::Core`], owns the driver, the only writer of the store); the admission thread
//! ([`admission`], batch-verifies signatures and admits transactions into the pool). RocksDB is
//! read by the HTTP handlers through `spawn_blocking`, never on a runtime worker.

pub mod admission;
pub mod api;
pub mod core;
pub mod epcis;
pub mod execute;
pub mod mempool;
pub mod metrics;
pub mod scans;
pub mod sync_proto;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::sync::{mpsc, watch};
use tracechain_consensus::{
    Checkpoint, Config as ReplicaConfig, Driver, Ed25519Signer, Input, Replica,
};
use tracechain_contracts::genesis::Genesis;
use tracechain_network::{Channel, NetConfig, NetEvent, NetLimits, NetworkHandle, Peer};
use tracechain_storage::{ChainIdentity, GenesisBatch, Store, StoreOptions, Tip};
use tracechain_types::{Block, ChainId, Ed25519, Hash, PublicKey, SecretKey, ValidatorSet};

use crate::cmd::keys as keyfile;
use crate::config::{GenesisFile, NodeConfig};

use self::core::{Core, CoreInput};
use self::mempool::{Mempool, PoolLimits};
use self::metrics::Metrics;

/// Unix time in milliseconds.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// What the API shows of the chain.
#[derive(Clone, Copy, Debug)]
pub struct ChainStatus {
    /// Last committed height.
    pub height: u64,
    /// Its hash.
    pub hash: Hash,
    /// Its state root.
    pub state_root: Hash,
    /// Its time.
    pub timestamp_ms: u64,
    /// The replica's view.
    pub view: u64,
}

/// The highest height reported by at least `f + 1` of `reported` (one per validator): at least
/// one of them is honest. 0 when fewer than `f + 1` reported.
pub fn agreed_height(mut reported: Vec<u64>, f: usize) -> u64 {
    reported.sort_unstable_by(|a, b| b.cmp(a));
    reported.get(f).copied().unwrap_or(0)
}

/// State shared by the threads of a node.
pub struct Shared {
    /// The config.
    pub cfg: NodeConfig,
    /// The chain.
    pub chain_id: ChainId,
    /// The genesis.
    pub genesis: Genesis,
    /// Genesis hash.
    pub genesis_hash: Hash,
    /// The node's key.
    pub key: SecretKey,
    /// Whether the node is a validator at genesis.
    pub is_validator: bool,
    /// The store.
    pub store: Arc<Store>,
    /// The network.
    pub net: NetworkHandle,
    /// Metrics.
    pub metrics: Metrics,
    /// EPCIS clients whose captures this node signs: name, SHA-256 of the bearer token, the
    /// member key from the node's key store (ADR 0081).
    pub epcis_clients: Vec<(String, Hash, SecretKey)>,
    /// The platform operator's scanning-service key (ADR 0083), when configured.
    pub scan_key: Option<SecretKey>,
    mempool: Mutex<Mempool>,
    status: RwLock<ChainStatus>,
    validators: RwLock<ValidatorSet>,
    peer_heights: Mutex<HashMap<PublicKey, u64>>,
    committed: watch::Sender<u64>,
    core: mpsc::Sender<CoreInput>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("name", &self.cfg.name)
            .finish()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Shared {
    /// The pool (short critical sections only).
    pub fn mempool(&self) -> MutexGuard<'_, Mempool> {
        lock(&self.mempool)
    }

    /// The chain as last committed.
    pub fn status(&self) -> ChainStatus {
        *self.status.read().unwrap_or_else(|p| p.into_inner())
    }

    fn set_view(&self, view: u64) {
        self.status.write().unwrap_or_else(|p| p.into_inner()).view = view;
        self.metrics
            .view
            .store(view, std::sync::atomic::Ordering::Relaxed);
    }

    fn peer_height(&self, peer: PublicKey, height: u64) {
        lock(&self.peer_heights).insert(peer, height);
    }

    /// The highest height that at least f + 1 connected validators report (so at least one
    /// honest validator reached it): a Byzantine peer's claim alone cannot make this node
    /// believe it is behind. 0 when fewer than f + 1 validators reported.
    pub fn best_peer_height(&self) -> u64 {
        let set = self.validators();
        let connected = self.net.connected();
        let heights = lock(&self.peer_heights);
        let reported: Vec<u64> = connected
            .iter()
            .filter(|p| set.contains(p))
            .filter_map(|p| heights.get(p))
            .copied()
            .collect();
        agreed_height(reported, set.max_faulty())
    }

    /// The validator set in force at the next height.
    pub fn validators(&self) -> ValidatorSet {
        self.validators
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Whether the node is behind its peers by more than one block.
    pub fn catching_up(&self) -> bool {
        self.best_peer_height() > self.status().height + 1
    }

    /// A receiver of committed heights.
    pub fn subscribe_commits(&self) -> watch::Receiver<u64> {
        self.committed.subscribe()
    }

    /// Tell the consensus thread the pool changed.
    pub fn mempool_changed(&self) {
        let _ = self.core.try_send(CoreInput::MempoolChanged);
    }

    fn on_commit(
        &self,
        block: &Block,
        tip: Tip,
        next_set: ValidatorSet,
        admitted: &[Instant],
        started: Instant,
    ) {
        *self.validators.write().unwrap_or_else(|p| p.into_inner()) = next_set;
        {
            let mut s = self.status.write().unwrap_or_else(|p| p.into_inner());
            s.height = tip.height;
            s.hash = tip.hash;
            s.state_root = tip.state_root;
            s.timestamp_ms = tip.timestamp_ms;
        }
        self.metrics.on_commit(block.txs.len(), admitted, started);
        let pool = self.mempool();
        self.metrics.pool(pool.len(), pool.bytes());
        drop(pool);
        let _ = self.committed.send(tip.height);
    }
}

/// Open the store for `genesis`, writing the genesis state into a new directory.
pub fn open_store(
    dir: &Path,
    genesis: &Genesis,
    opts: &StoreOptions,
) -> anyhow::Result<(Store, Hash)> {
    let g = genesis
        .build()
        .map_err(|e| anyhow::anyhow!("genesis: {e}"))?;
    let genesis_hash = g.block.hash();
    let identity = ChainIdentity {
        chain_id: genesis.chain_id.clone(),
        genesis_hash,
    };
    let store = Store::open(dir, &identity, opts)?;
    if !store.is_initialised()? {
        let record = tracechain_consensus::VoteRecord {
            height: 1,
            view: 0,
            signed: Default::default(),
            prepared: None,
        };
        store.init_genesis(GenesisBatch {
            block: &g.block,
            writes: &g.writes,
            tree: &g.tree,
            set: &genesis.validators,
            record: &record,
        })?;
    }
    Ok((store, genesis_hash))
}

/// Run a node until SIGINT/SIGTERM or a halt.
pub fn run(cfg: NodeConfig) -> anyhow::Result<()> {
    let loaded = GenesisFile::load(&cfg.genesis)?;
    let key = keyfile::read(&cfg.key_file)?;
    let me = key.public();
    if !loaded.nodes.iter().any(|(_, k)| *k == me) {
        anyhow::bail!(
            "the key of {} ({me}) is not a node of genesis {}: only listed validators and full nodes run",
            cfg.key_file.display(),
            cfg.genesis.display()
        );
    }
    let genesis = loaded.genesis;
    let is_validator = genesis.validators.contains(&me);
    let store_opts = StoreOptions {
        block_cache_bytes: cfg.storage.block_cache_bytes,
        max_open_files: cfg.storage.max_open_files,
        state_versions_kept: cfg.storage.state_versions_kept,
    };
    let (store, genesis_hash) = open_store(&cfg.data_dir, &genesis, &store_opts)
        .with_context(|| format!("opening the data directory {}", cfg.data_dir.display()))?;
    let store = Arc::new(store);
    let persisted = store.persisted_state()?;
    let tip = store.tip()?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("tracechain-rt")
        .build()?;
    let _guard = runtime.enter();

    // Network.
    let mut peers = Vec::new();
    for (name, k) in &loaded.nodes {
        if *k == me {
            continue;
        }
        let addr = cfg
            .p2p
            .peers
            .iter()
            .find(|p| p.public_key.parse::<PublicKey>().ok() == Some(*k))
            .map(|p| p.addr.parse())
            .transpose()
            .with_context(|| format!("address of peer {name}"))?;
        peers.push(Peer { key: *k, addr });
    }
    let limits = NetLimits {
        max_consensus_frame_bytes: tracechain_consensus::MAX_MESSAGE_BYTES,
        max_tx_batch_bytes: cfg.p2p.max_tx_batch_bytes,
        max_sync_request_bytes: sync_proto::MAX_SYNC_REQUEST_BYTES,
        max_sync_response_bytes: cfg.p2p.max_sync_response_bytes,
        peer_send_queue: cfg.p2p.peer_send_queue,
        peer_inbound_queue: cfg.p2p.peer_inbound_queue,
        peer_inbound_bytes: cfg.p2p.peer_inbound_bytes,
        peer_sync_requests: cfg.p2p.peer_sync_requests,
        redial_interval_ms: cfg.p2p.redial_interval_ms,
        sync_timeout_ms: cfg.p2p.sync_timeout_ms,
        max_penalties: cfg.p2p.max_penalties,
        ban_ms: cfg.p2p.ban_ms,
        max_pending_connections: cfg.p2p.max_pending_connections,
        max_connections_per_peer: cfg.p2p.max_connections_per_peer,
    };
    let (net, mut net_events) = tracechain_network::start(
        key.seed(),
        NetConfig {
            listen: cfg.p2p.listen.parse()?,
            peers,
            limits,
        },
        cfg.p2p.events_queue,
    )?;

    let (core_tx, core_rx) = mpsc::channel(cfg.consensus.input_queue);
    let (committed, _) = watch::channel(tip.height);
    let pool_limits = PoolLimits {
        max_txs: cfg.mempool.max_txs,
        max_bytes: cfg.mempool.max_bytes,
        max_per_signer: cfg.mempool.max_per_signer,
        max_bytes_per_signer: cfg.mempool.max_bytes_per_signer,
        max_newcomers: cfg.mempool.max_newcomers,
        max_outcomes: cfg.mempool.max_remembered_outcomes,
    };
    let mut epcis_clients = Vec::new();
    for c in &cfg.epcis.clients {
        let key = crate::cmd::keys::read(&c.key_file)
            .map_err(|e| anyhow::anyhow!("config key epcis.clients[{}].key_file: {e:#}", c.name))?;
        let token: Hash =
            c.token_sha256.to_ascii_lowercase().parse().map_err(|_| {
                anyhow::anyhow!("config key epcis.clients[{}].token_sha256", c.name)
            })?;
        epcis_clients.push((c.name.clone(), token, key));
    }
    let scan_key = match &cfg.api.scan_key_file {
        Some(f) => Some(
            crate::cmd::keys::read(f)
                .map_err(|e| anyhow::anyhow!("config key api.scan_key_file: {e:#}"))?,
        ),
        None => None,
    };
    let shared = Arc::new(Shared {
        epcis_clients,
        scan_key,
        chain_id: genesis.chain_id.clone(),
        genesis_hash,
        key: SecretKey::from_seed(key.seed()),
        is_validator,
        store: store.clone(),
        net: net.clone(),
        metrics: Metrics::new(),
        mempool: Mutex::new(Mempool::new(pool_limits)),
        status: RwLock::new(ChainStatus {
            height: tip.height,
            hash: tip.hash,
            state_root: tip.state_root,
            timestamp_ms: tip.timestamp_ms,
            view: persisted.record.view,
        }),
        peer_heights: Mutex::new(HashMap::new()),
        validators: RwLock::new(
            store
                .current_sets()?
                .iter()
                .rev()
                .find(|(from, _)| *from <= tip.height + 1)
                .map(|(_, s)| s.clone())
                .unwrap_or_else(|| genesis.validators.clone()),
        ),
        committed,
        core: core_tx.clone(),
        genesis: genesis.clone(),
        cfg: cfg.clone(),
    });
    shared
        .metrics
        .height
        .store(tip.height, std::sync::atomic::Ordering::Relaxed);

    // Admission thread and gossip.
    let (gossip_tx, gossip_rx) = mpsc::unbounded_channel();
    let admission = admission::start(shared.clone(), gossip_tx)?;
    runtime.spawn(admission::gossip(shared.clone(), gossip_rx));

    // The EPCIS repository follows the chain and fetches captured events from the peers.
    let epcis_answers = epcis::start(shared.clone(), &runtime);

    // Network events → consensus thread / admission / sync server. Sync answers read the
    // store on blocking threads, at most `peer_sync_requests` of them at once over all peers.
    let sync_serving = Arc::new(tokio::sync::Semaphore::new(cfg.p2p.peer_sync_requests));
    {
        let shared = shared.clone();
        let core_tx = core_tx.clone();
        let admission = admission.clone();
        runtime.spawn(async move {
            while let Some(ev) = net_events.recv().await {
                match ev {
                    NetEvent::Frame {
                        from,
                        channel: Channel::Consensus,
                        bytes,
                        slot,
                    } => {
                        if core_tx
                            .send(CoreInput::Consensus { from, bytes, slot })
                            .await
                            .is_err()
                        {
                            break;
                        }
                    }
                    NetEvent::Frame {
                        from,
                        channel: Channel::Txs,
                        bytes,
                        slot,
                    } => admission.gossiped(from, bytes, slot).await,
                    NetEvent::SyncRequest {
                        from: _,
                        bytes,
                        reply,
                    } => {
                        let shared = shared.clone();
                        let Ok(permit) = sync_serving.clone().try_acquire_owned() else {
                            let _ = reply.send(tracechain_types::encode(
                                &sync_proto::SyncResponse::Error("busy".into()),
                            ));
                            continue;
                        };
                        tokio::task::spawn_blocking(move || {
                            let _permit = permit;
                            let resp = match sync_proto::decode_request(&bytes) {
                                Some(req) => sync_proto::serve(
                                    &shared.store,
                                    &req,
                                    shared.cfg.p2p.max_sync_blocks,
                                    shared.cfg.p2p.max_sync_response_bytes,
                                ),
                                None => tracechain_types::encode(&sync_proto::SyncResponse::Error(
                                    "undecodable request".into(),
                                )),
                            };
                            let _ = reply.send(resp);
                        });
                    }
                    NetEvent::SyncResponse { from, id, result } if id == epcis::SYNC_ID => {
                        // Dropped when the repository is busy: it asks again.
                        let _ = epcis_answers.try_send((from, result));
                    }
                    NetEvent::SyncResponse { from, result, .. } => {
                        let _ = core_tx.send(CoreInput::Synced { from, result }).await;
                    }
                    NetEvent::Connected(_) | NetEvent::Disconnected(_) => {
                        shared.metrics.peers.store(
                            shared.net.connected().len() as u64,
                            std::sync::atomic::Ordering::Relaxed,
                        );
                    }
                    NetEvent::Dropped { .. } | NetEvent::Refused { .. } => {}
                }
            }
        });
    }
    // Status polling: notice being behind even on an idle chain.
    {
        let core_tx = core_tx.clone();
        let every = Duration::from_millis(cfg.p2p.status_poll_ms);
        runtime.spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                if core_tx.send(CoreInput::PollStatus).await.is_err() {
                    break;
                }
            }
        });
    }

    // The consensus thread.
    let checkpoint = match (
        cfg.consensus.checkpoint_height,
        &cfg.consensus.checkpoint_hash,
    ) {
        (Some(height), Some(hash)) => Some(Checkpoint {
            height,
            hash: hash.parse()?,
        }),
        _ => None,
    };
    let replica_cfg = ReplicaConfig {
        chain_id: genesis.chain_id.clone(),
        genesis_hash,
        genesis_timestamp_ms: genesis.timestamp_ms,
        genesis_set: genesis.validators.clone(),
        view_timeout_ms: cfg.consensus.view_timeout_ms,
        max_view_timeout_ms: cfg.consensus.max_view_timeout_ms,
        sync_retry_ms: cfg.consensus.sync_retry_ms,
        view_change_resend_ms: cfg.consensus.view_change_resend_ms,
        limits: cfg.consensus.limits.clone(),
        checkpoint,
        set_change_of: tracechain_contracts::validators::set_change_of,
    };
    replica_cfg
        .validate()
        .map_err(|e| anyhow::anyhow!("consensus config: {e}"))?;
    let replica = Replica::new(
        replica_cfg,
        Ed25519Signer::new(SecretKey::from_seed(key.seed())),
        Ed25519,
    );
    let driver = Driver::new(replica);
    let first = if tip.height == 0
        && persisted.record.signed == Default::default()
        && persisted.record.view == 0
    {
        Input::Start
    } else {
        Input::Restore(persisted)
    };
    let core = Core::new(shared.clone(), core_tx.clone(), runtime.handle().clone());
    let (done_tx, mut done_rx) = mpsc::channel::<Result<(), String>>(1);
    let core_thread = std::thread::Builder::new()
        .name("tracechain-consensus".into())
        .spawn(move || {
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                core.run(driver, core_rx, first)
            }));
            let outcome = match result {
                Ok(Ok(())) => Ok(()),
                Ok(Err(h)) => Err(h.to_string()),
                Err(p) => Err(format!(
                    "consensus thread panicked: {}",
                    p.downcast_ref::<String>()
                        .cloned()
                        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_default()
                )),
            };
            let _ = done_tx.blocking_send(outcome);
        })?;

    // HTTP API.
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(cfg.api.listen))
        .with_context(|| format!("binding the API to {}", cfg.api.listen))?;
    let (api_stop_tx, api_stop_rx) = watch::channel(false);
    runtime.spawn(api::serve(
        shared.clone(),
        admission.clone(),
        listener,
        api_stop_rx,
    ));
    tracing::info!(
        name = %cfg.name,
        key = %me,
        validator = is_validator,
        height = tip.height,
        api = %cfg.api.listen,
        p2p = %cfg.p2p.listen,
        "node started"
    );

    let outcome = runtime.block_on(async {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            _ = tokio::signal::ctrl_c() => { tracing::info!("SIGINT: shutting down"); Ok(()) }
            _ = term.recv() => { tracing::info!("SIGTERM: shutting down"); Ok(()) }
            r = done_rx.recv() => match r {
                Some(Err(e)) => Err(anyhow::anyhow!("{e}")),
                _ => Ok(()),
            },
        }
    });
    let _ = api_stop_tx.send(true);
    // The queue may be full: wait for room (the consensus thread keeps draining it).
    let _ = runtime.block_on(tokio::time::timeout(
        Duration::from_secs(10),
        core_tx.send(CoreInput::Shutdown),
    ));
    admission.shutdown();
    net.shutdown();
    let _ = core_thread.join();
    store.flush().ok();
    runtime.shutdown_timeout(Duration::from_secs(2));
    if let Err(e) = &outcome {
        tracing::error!(error = %e, "node halted");
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::agreed_height;

    #[test]
    fn one_byzantine_claim_does_not_make_a_node_behind() {
        // n = 4, f = 1: a liar's huge height is ignored; two honest reports count.
        assert_eq!(agreed_height(vec![1 << 60, 10, 10, 9], 1), 10);
        assert_eq!(
            agreed_height(vec![1 << 60], 1),
            0,
            "one report is not f + 1"
        );
        assert_eq!(agreed_height(vec![1 << 60, 12], 1), 12);
        assert_eq!(agreed_height(vec![], 0), 0);
        assert_eq!(agreed_height(vec![7], 0), 7, "n = 1: its own peer report");
    }
}
