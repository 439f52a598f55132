//! Node configuration (`config.toml`) and the genesis file (`genesis.toml`), both TOML,
//! validated at start with errors naming the key (ADR 0062).
//!
//! Every limit is a named value with a default; `tracechain config check FILE` prints them
//! all. Relative paths are relative to the config file's folder.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};
use tracechain_consensus::Limits as ConsensusLimits;
use tracechain_contracts::genesis::{Genesis, GenesisParticipant};
use tracechain_contracts::ChainParams;
use tracechain_types::records::{
    Agency, Identity, ParticipantCategory, ParticipantRegistration, RegistrationId,
};
use tracechain_types::{ChainId, Hash, PublicKey, Validator, ValidatorSet};

/// Largest config or genesis file read (bytes).
pub const MAX_CONFIG_FILE_BYTES: u64 = 1024 * 1024;

/// A node's config file.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeConfig {
    /// The node's name (logs, metrics).
    pub name: String,
    /// The genesis file.
    pub genesis: PathBuf,
    /// The node's key file (its genesis key: consensus signing and network identity).
    pub key_file: PathBuf,
    /// The data directory (RocksDB).
    pub data_dir: PathBuf,
    /// HTTP API.
    #[serde(default)]
    pub api: ApiConfig,
    /// Peer-to-peer network.
    #[serde(default)]
    pub p2p: P2pConfig,
    /// Consensus timing and bounds.
    #[serde(default)]
    pub consensus: ConsensusConfig,
    /// Transaction pool.
    #[serde(default)]
    pub mempool: MempoolConfig,
    /// Storage tuning.
    #[serde(default)]
    pub storage: StorageConfig,
    /// Logs.
    #[serde(default)]
    pub log: LogConfig,
    /// The EPCIS 2.0 REST binding (ADR 0081).
    #[serde(default)]
    pub epcis: EpcisConfig,
}

/// `[epcis]`: capture and query (ADR 0081).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EpcisConfig {
    /// Largest capture body (bytes): 413 above it; advertised as
    /// `GS1-EPCIS-Capture-File-Size-Limit`. The smaller of this and `api.max_body_bytes`
    /// applies ([`NodeConfig::capture_bytes`]).
    pub max_capture_bytes: usize,
    /// Most events in one capture: 413 above it; advertised as `GS1-EPCIS-Capture-Limit`. At
    /// most `MAX_EPCIS_CAPTURE_EVENTS` (one capture is one transaction).
    pub max_capture_events: usize,
    /// Most stored events a query examines for one page; a page that reaches it ends early
    /// with a `nextPageToken`.
    pub max_query_examined: usize,
    /// Event hashes asked of a peer at once when fetching captured events this node lacks
    /// (at most `MAX_EPCIS_WANTED`, what one sync request holds).
    pub replicate_batch: usize,
    /// How often the repository follows the chain and fetches missing events (ms).
    pub follow_ms: u64,
    /// Clients whose captures this node signs with a member key of its key store.
    pub clients: Vec<EpcisClient>,
}

/// `[[epcis.clients]]`: an EPCIS client authenticated by a bearer token, whose captures the
/// node signs with the member key in `key_file` (ADR 0081).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EpcisClient {
    /// The client's name (logs).
    pub name: String,
    /// SHA-256 of the client's bearer token, hex (the token itself is never stored).
    pub token_sha256: String,
    /// The member key the node signs the client's captures with (relative to the config file).
    pub key_file: PathBuf,
}

impl Default for EpcisConfig {
    fn default() -> Self {
        EpcisConfig {
            max_capture_bytes: 512 * 1024,
            max_capture_events: 250,
            max_query_examined: 10_000,
            replicate_batch: 512,
            follow_ms: 200,
            clients: Vec::new(),
        }
    }
}

/// `[api]`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ApiConfig {
    /// Listen address (`127.0.0.1:8101`).
    pub listen: SocketAddr,
    /// Largest request body (bytes); larger is 413.
    pub max_body_bytes: usize,
    /// Requests handled at once; more are 429.
    pub max_concurrent_requests: usize,
    /// Requests of one client address in flight at once (waits included); more are 429.
    pub max_requests_per_client: usize,
    /// Requests per second per client address (token bucket refill); above it 429.
    pub rate_per_client: u32,
    /// Token bucket size per client (burst).
    pub burst_per_client: u32,
    /// Client addresses tracked by the rate limiter (the oldest are forgotten).
    pub max_tracked_clients: usize,
    /// Longest `?wait=commit` (ms).
    pub max_wait_ms: u64,
    /// Longest time a client may take to send its request body (ms); slower is 408.
    pub request_timeout_ms: u64,
    /// Requests waiting for a commit (`?wait=commit`) at once; more are 429. They do not count
    /// against `max_concurrent_requests`.
    pub max_waiting_requests: usize,
    /// Transactions in one `POST /v1/txs/batch` (the body is bounded by `max_body_bytes`
    /// too); more are 413.
    pub max_batch_txs: usize,
    /// How far a signed read's timestamp may be from this node's clock (ms), either side;
    /// further is 401 `E_READ_STALE` (ADR 0080).
    pub read_auth_window_ms: u64,
    /// Signed reads remembered against replay within the window; when full of unexpired
    /// ones, signed reads are 503 until some expire.
    pub replay_cache_entries: usize,
    /// Most records in one page of `GET /v1/trace/{code}`.
    pub max_page_records: usize,
    /// Largest file uploaded to `POST /v1/documents/check` (bytes); larger is 413.
    pub max_document_bytes: usize,
    /// `GET /v1/events` streams open at once; more are 503.
    pub max_event_streams: usize,
    /// How often an event stream looks for new blocks (ms).
    pub events_poll_ms: u64,
    /// How long one event stream lasts before it ends and its client resumes (ms).
    pub max_event_stream_ms: u64,
    /// How many blocks back an event stream may start.
    pub max_event_replay_blocks: u64,
    /// Signed reads per second by one participant key (on top of `rate_per_client`); above
    /// it 429.
    pub read_rate_per_key: u32,
    /// Signed reads one key may make at once (bucket size).
    pub read_burst_per_key: u32,
    /// Reader keys whose rate is tracked (the least recently seen are forgotten).
    pub max_tracked_keys: usize,
    /// Most units (the batch and those upstream) in one audit package; more are 422
    /// `E_AUDIT_TOO_LARGE` (R-S2, ADR 0084).
    pub max_audit_units: usize,
    /// Most records in one audit package; more are 422 `E_AUDIT_TOO_LARGE`.
    pub max_audit_records: usize,
    /// Most chain exports (`GET /v1/export`) streaming at once; more are 503 (ADR 0087).
    pub max_exports: usize,
    /// Blocks one export reads ahead of its client (its memory is this many blocks).
    pub export_buffer_blocks: usize,
    /// Longest an export waits for its client to take the next block (ms); then it ends
    /// (without its end frame) and frees its place.
    pub export_idle_ms: u64,
    /// The platform operator's scanning-service key: with it the resolver records anonymous
    /// consumers' item scans through the chain (ADR 0083); without it, none.
    pub scan_key_file: Option<PathBuf>,
    /// Scans recorded per client address per minute; more are answered, not recorded.
    pub scans_per_client_per_minute: u32,
    /// Client addresses whose scan rate is tracked.
    pub max_tracked_scan_clients: usize,
}

impl ApiConfig {
    /// The read API's limits.
    pub fn read_config(&self) -> tracechain_api::ReadConfig {
        tracechain_api::ReadConfig {
            read_auth_window_ms: self.read_auth_window_ms,
            replay_cache_entries: self.replay_cache_entries,
            max_page_records: self.max_page_records,
            max_document_bytes: self.max_document_bytes,
            max_event_streams: self.max_event_streams,
            events_poll_ms: self.events_poll_ms,
            max_event_stream_ms: self.max_event_stream_ms,
            max_event_replay_blocks: self.max_event_replay_blocks,
            read_rate_per_key: self.read_rate_per_key,
            read_burst_per_key: self.read_burst_per_key,
            max_tracked_keys: self.max_tracked_keys,
            max_audit_units: self.max_audit_units,
            max_audit_records: self.max_audit_records,
            max_exports: self.max_exports,
            export_buffer_blocks: self.export_buffer_blocks,
            export_idle_ms: self.export_idle_ms,
        }
    }
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            listen: "127.0.0.1:8101".parse().expect("literal address"),
            max_body_bytes: 512 * 1024,
            max_concurrent_requests: 256,
            max_requests_per_client: 64,
            rate_per_client: 2000,
            burst_per_client: 4000,
            max_tracked_clients: 10_000,
            max_wait_ms: 30_000,
            request_timeout_ms: 10_000,
            max_waiting_requests: 1024,
            max_batch_txs: 1000,
            read_auth_window_ms: tracechain_api::DEFAULT_READ_AUTH_WINDOW_MS,
            replay_cache_entries: tracechain_api::DEFAULT_REPLAY_CACHE_ENTRIES,
            max_page_records: tracechain_api::DEFAULT_MAX_PAGE_RECORDS,
            max_document_bytes: tracechain_api::DEFAULT_MAX_DOCUMENT_BYTES,
            max_event_streams: tracechain_api::DEFAULT_MAX_EVENT_STREAMS,
            events_poll_ms: tracechain_api::DEFAULT_EVENTS_POLL_MS,
            max_event_stream_ms: tracechain_api::DEFAULT_MAX_EVENT_STREAM_MS,
            max_event_replay_blocks: tracechain_api::DEFAULT_MAX_EVENT_REPLAY_BLOCKS,
            read_rate_per_key: tracechain_api::DEFAULT_READ_RATE_PER_KEY,
            read_burst_per_key: tracechain_api::DEFAULT_READ_BURST_PER_KEY,
            max_tracked_keys: tracechain_api::DEFAULT_MAX_TRACKED_KEYS,
            max_audit_units: tracechain_api::DEFAULT_MAX_AUDIT_UNITS,
            max_audit_records: tracechain_api::DEFAULT_MAX_AUDIT_RECORDS,
            max_exports: tracechain_api::DEFAULT_MAX_EXPORTS,
            export_buffer_blocks: tracechain_api::DEFAULT_EXPORT_BUFFER_BLOCKS,
            export_idle_ms: tracechain_api::DEFAULT_EXPORT_IDLE_MS,
            scan_key_file: None,
            scans_per_client_per_minute: 6,
            max_tracked_scan_clients: 10_000,
        }
    }
}

/// One peer of `[[p2p.peers]]`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeerConfig {
    /// Its name.
    pub name: String,
    /// Its genesis key (hex).
    pub public_key: String,
    /// Its p2p address (`/ip4/127.0.0.1/tcp/27102`).
    pub addr: String,
}

/// `[p2p]`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct P2pConfig {
    /// Listen multiaddress.
    pub listen: String,
    /// Where the other nodes are.
    pub peers: Vec<PeerConfig>,
    /// Largest transaction batch frame (bytes).
    pub max_tx_batch_bytes: usize,
    /// Largest sync response (bytes).
    pub max_sync_response_bytes: usize,
    /// Most blocks one sync response carries.
    pub max_sync_blocks: u64,
    /// Frames queued per peer and channel before the peer is dropped.
    pub peer_send_queue: usize,
    /// Frames from one peer waiting to be handled before the peer is dropped.
    pub peer_inbound_queue: usize,
    /// Bytes of frames from one peer waiting to be handled before the peer is dropped.
    pub peer_inbound_bytes: usize,
    /// Sync requests of one peer served at once.
    pub peer_sync_requests: usize,
    /// Redial interval for listed peers (ms).
    pub redial_interval_ms: u64,
    /// Sync request timeout (ms).
    pub sync_timeout_ms: u64,
    /// How often a node asks a peer for its height, to notice it is behind (ms).
    pub status_poll_ms: u64,
    /// Penalties (failed transaction verification) before a peer is banned.
    pub max_penalties: u32,
    /// Ban duration (ms).
    pub ban_ms: u64,
    /// How long transactions are gathered into one gossip batch (ms).
    pub gossip_batch_ms: u64,
    /// Incoming connections in their handshake at once.
    pub max_pending_connections: u32,
    /// Established connections per peer.
    pub max_connections_per_peer: u32,
    /// Network events waiting for the node.
    pub events_queue: usize,
}

impl Default for P2pConfig {
    fn default() -> Self {
        let l = tracechain_network::NetLimits::default();
        P2pConfig {
            listen: "/ip4/127.0.0.1/tcp/27101".into(),
            peers: Vec::new(),
            max_tx_batch_bytes: l.max_tx_batch_bytes,
            max_sync_response_bytes: l.max_sync_response_bytes,
            max_sync_blocks: 64,
            peer_send_queue: l.peer_send_queue,
            peer_inbound_queue: l.peer_inbound_queue,
            peer_inbound_bytes: l.peer_inbound_bytes,
            peer_sync_requests: l.peer_sync_requests,
            redial_interval_ms: l.redial_interval_ms,
            sync_timeout_ms: l.sync_timeout_ms,
            status_poll_ms: 1000,
            max_penalties: l.max_penalties,
            ban_ms: l.ban_ms,
            gossip_batch_ms: 5,
            max_pending_connections: l.max_pending_connections,
            max_connections_per_peer: l.max_connections_per_peer,
            events_queue: 65_536,
        }
    }
}

/// `[consensus]`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConsensusConfig {
    /// View timeout of view 0 (ms); view v waits `view_timeout_ms · 2^v`, capped.
    pub view_timeout_ms: u64,
    /// Cap of the view timeout (ms).
    pub max_view_timeout_ms: u64,
    /// Sync retry (ms).
    pub sync_retry_ms: u64,
    /// View-change re-send interval (ms).
    pub view_change_resend_ms: u64,
    /// Most transactions in a proposed block.
    pub max_block_txs: usize,
    /// Largest encoded block (bytes), proposed or accepted.
    pub max_block_bytes: usize,
    /// How far a proposal's time may lie ahead of this node's clock (ms); beyond it the
    /// proposal is refused.
    pub max_block_time_skew_ms: u64,
    /// Trusted checkpoint (SY5): height.
    pub checkpoint_height: Option<u64>,
    /// Trusted checkpoint (SY5): block hash (hex).
    pub checkpoint_hash: Option<String>,
    /// Replica memory bounds.
    pub limits: ConsensusLimits,
    /// Inputs waiting for the consensus thread.
    pub input_queue: usize,
}

impl Default for ConsensusConfig {
    fn default() -> Self {
        ConsensusConfig {
            view_timeout_ms: 2000,
            max_view_timeout_ms: 60_000,
            sync_retry_ms: 1000,
            view_change_resend_ms: 2000,
            max_block_txs: 5000,
            max_block_bytes: tracechain_types::block::DEFAULT_MAX_BLOCK_BYTES,
            max_block_time_skew_ms: 10_000,
            checkpoint_height: None,
            checkpoint_hash: None,
            limits: ConsensusLimits::default(),
            input_queue: 65_536,
        }
    }
}

/// `[mempool]`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MempoolConfig {
    /// Most pending transactions.
    pub max_txs: usize,
    /// Most pending bytes.
    pub max_bytes: usize,
    /// Most pending transactions of one signer (sequences beyond the committed one).
    pub max_per_signer: u64,
    /// Most pending bytes of one signer.
    pub max_bytes_per_signer: usize,
    /// Most pending transactions of keys that have committed nothing yet (new participants'
    /// registrations), over all such keys.
    pub max_newcomers: usize,
    /// Largest encoded transaction (bytes).
    pub max_tx_bytes: usize,
    /// Most heights ahead a transaction's expiry may lie.
    pub max_expiry_window: u64,
    /// Transactions verified in one batch by the admission thread.
    pub verify_batch: usize,
    /// Transactions waiting for admission; more are 429.
    pub admission_queue: usize,
    /// Outcomes (rejected, expired) remembered for `GET /v1/txs/{id}`.
    pub max_remembered_outcomes: usize,
}

impl Default for MempoolConfig {
    fn default() -> Self {
        MempoolConfig {
            max_txs: 100_000,
            max_bytes: 256 * 1024 * 1024,
            max_per_signer: 1000,
            max_bytes_per_signer: 8 * 1024 * 1024,
            max_newcomers: 10_000,
            max_tx_bytes: tracechain_types::tx::DEFAULT_MAX_TX_BYTES,
            max_expiry_window: 100_000,
            verify_batch: 256,
            admission_queue: 50_000,
            max_remembered_outcomes: 100_000,
        }
    }
}

/// `[storage]`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    /// RocksDB block cache (bytes).
    pub block_cache_bytes: usize,
    /// RocksDB open files (-1 unlimited).
    pub max_open_files: i32,
    /// Versions of the authenticated state map kept (0: all; else at least 2): older
    /// versions are pruned and cannot be proven against (ADR 0086).
    pub state_versions_kept: u64,
}

impl Default for StorageConfig {
    fn default() -> Self {
        let d = tracechain_storage::StoreOptions::default();
        StorageConfig {
            block_cache_bytes: d.block_cache_bytes,
            max_open_files: d.max_open_files,
            state_versions_kept: d.state_versions_kept,
        }
    }
}

/// `[log]`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// Filter (`info`, `tracechain=debug,libp2p=warn`, …); `RUST_LOG` overrides it.
    pub level: String,
    /// JSON lines instead of text.
    pub json: bool,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            level: "info".into(),
            json: false,
        }
    }
}

fn read_limited(path: &Path) -> anyhow::Result<String> {
    let meta = std::fs::metadata(path).with_context(|| format!("reading {}", path.display()))?;
    if meta.len() > MAX_CONFIG_FILE_BYTES {
        bail!(
            "{} is {} bytes; the largest config file read is {MAX_CONFIG_FILE_BYTES}",
            path.display(),
            meta.len()
        );
    }
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

/// A TOML error as one line naming the key or the line.
fn toml_error(path: &Path, e: toml::de::Error) -> anyhow::Error {
    anyhow::anyhow!("{}: {}", path.display(), e.message().trim()).context(match e.span() {
        Some(span) => format!("in {} at byte {}", path.display(), span.start),
        None => format!("in {}", path.display()),
    })
}

impl NodeConfig {
    /// Read and validate `path`; relative paths become relative to its folder.
    pub fn load(path: &Path) -> anyhow::Result<NodeConfig> {
        let text = read_limited(path)?;
        let mut cfg: NodeConfig = toml::from_str(&text).map_err(|e| toml_error(path, e))?;
        let base = path.parent().unwrap_or(Path::new("."));
        for p in [&mut cfg.genesis, &mut cfg.key_file, &mut cfg.data_dir]
            .into_iter()
            .chain(cfg.epcis.clients.iter_mut().map(|c| &mut c.key_file))
            .chain(cfg.api.scan_key_file.iter_mut())
        {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
        cfg.validate()?;
        Ok(cfg)
    }

    /// Check every value; the error names the key.
    pub fn validate(&self) -> anyhow::Result<()> {
        fn positive(key: &str, v: u64) -> anyhow::Result<()> {
            if v == 0 {
                bail!("config key {key} must be above 0");
            }
            Ok(())
        }
        if self.name.is_empty() || self.name.len() > 64 {
            bail!("config key name must be 1–64 characters");
        }
        let a = &self.api;
        positive("api.max_body_bytes", a.max_body_bytes as u64)?;
        positive(
            "api.max_concurrent_requests",
            a.max_concurrent_requests as u64,
        )?;
        positive(
            "api.max_requests_per_client",
            a.max_requests_per_client as u64,
        )?;
        positive("api.rate_per_client", a.rate_per_client as u64)?;
        positive("api.burst_per_client", a.burst_per_client as u64)?;
        positive("api.max_tracked_clients", a.max_tracked_clients as u64)?;
        positive("api.request_timeout_ms", a.request_timeout_ms)?;
        positive("api.max_waiting_requests", a.max_waiting_requests as u64)?;
        positive("api.max_batch_txs", a.max_batch_txs as u64)?;
        a.read_config()
            .validate()
            .map_err(|e| anyhow::anyhow!("config key {e}"))?;
        if a.max_body_bytes < 4 * self.mempool.max_tx_bytes / 3 + 64 {
            bail!("config key api.max_body_bytes must hold one base64 transaction of mempool.max_tx_bytes");
        }
        let p = &self.p2p;
        p.listen
            .parse::<tracechain_network::Multiaddr>()
            .map_err(|e| anyhow::anyhow!("config key p2p.listen: {e}"))?;
        for (i, peer) in p.peers.iter().enumerate() {
            peer.public_key
                .parse::<PublicKey>()
                .map_err(|e| anyhow::anyhow!("config key p2p.peers[{i}].public_key: {e}"))?;
            peer.addr
                .parse::<tracechain_network::Multiaddr>()
                .map_err(|e| anyhow::anyhow!("config key p2p.peers[{i}].addr: {e}"))?;
        }
        positive("p2p.max_tx_batch_bytes", p.max_tx_batch_bytes as u64)?;
        positive("p2p.max_sync_blocks", p.max_sync_blocks)?;
        positive("p2p.peer_send_queue", p.peer_send_queue as u64)?;
        positive("p2p.peer_inbound_queue", p.peer_inbound_queue as u64)?;
        if p.peer_inbound_bytes < tracechain_consensus::MAX_MESSAGE_BYTES.max(p.max_tx_batch_bytes)
        {
            bail!("config key p2p.peer_inbound_bytes must hold the largest consensus message and the largest transaction batch");
        }
        positive("p2p.peer_sync_requests", p.peer_sync_requests as u64)?;
        positive("p2p.redial_interval_ms", p.redial_interval_ms)?;
        positive("p2p.sync_timeout_ms", p.sync_timeout_ms)?;
        positive("p2p.status_poll_ms", p.status_poll_ms)?;
        positive("p2p.max_penalties", p.max_penalties as u64)?;
        positive("p2p.gossip_batch_ms", p.gossip_batch_ms)?;
        positive(
            "p2p.max_pending_connections",
            p.max_pending_connections as u64,
        )?;
        if p.max_connections_per_peer < 2 {
            bail!("config key p2p.max_connections_per_peer must be at least 2 (two peers may dial each other at once)");
        }
        positive("p2p.events_queue", p.events_queue as u64)?;
        if p.max_tx_batch_bytes < self.mempool.max_tx_bytes + 16 {
            bail!("config key p2p.max_tx_batch_bytes must hold one transaction of mempool.max_tx_bytes");
        }
        if (p.max_sync_response_bytes as u64) < self.consensus.max_block_bytes as u64 + 64 * 1024 {
            bail!("config key p2p.max_sync_response_bytes must hold one block of consensus.max_block_bytes with its certificate");
        }
        let c = &self.consensus;
        positive("consensus.view_timeout_ms", c.view_timeout_ms)?;
        positive("consensus.sync_retry_ms", c.sync_retry_ms)?;
        positive("consensus.view_change_resend_ms", c.view_change_resend_ms)?;
        positive("consensus.max_block_txs", c.max_block_txs as u64)?;
        positive("consensus.input_queue", c.input_queue as u64)?;
        if c.max_view_timeout_ms < c.view_timeout_ms {
            bail!("config key consensus.max_view_timeout_ms must be at least consensus.view_timeout_ms");
        }
        if c.max_block_bytes < 4096 || c.max_block_bytes > 64 * 1024 * 1024 {
            bail!("config key consensus.max_block_bytes must be 4 KiB–64 MiB");
        }
        if c.max_block_bytes < self.mempool.max_tx_bytes + 1024 {
            bail!("config key consensus.max_block_bytes must hold one transaction of mempool.max_tx_bytes");
        }
        match (&c.checkpoint_height, &c.checkpoint_hash) {
            (None, None) => {}
            (Some(_), Some(h)) => {
                h.parse::<Hash>()
                    .map_err(|e| anyhow::anyhow!("config key consensus.checkpoint_hash: {e}"))?;
            }
            _ => bail!(
                "config keys consensus.checkpoint_height and consensus.checkpoint_hash go together"
            ),
        }
        c.limits
            .validate()
            .map_err(|e| anyhow::anyhow!("config key consensus.limits: {e}"))?;
        let m = &self.mempool;
        positive("mempool.max_txs", m.max_txs as u64)?;
        positive("mempool.max_bytes", m.max_bytes as u64)?;
        positive("mempool.max_per_signer", m.max_per_signer)?;
        positive("mempool.max_newcomers", m.max_newcomers as u64)?;
        if m.max_bytes_per_signer < m.max_tx_bytes || m.max_bytes_per_signer > m.max_bytes {
            bail!("config key mempool.max_bytes_per_signer must be between mempool.max_tx_bytes and mempool.max_bytes");
        }
        positive("mempool.max_expiry_window", m.max_expiry_window)?;
        positive("mempool.verify_batch", m.verify_batch as u64)?;
        positive("mempool.admission_queue", m.admission_queue as u64)?;
        positive(
            "mempool.max_remembered_outcomes",
            m.max_remembered_outcomes as u64,
        )?;
        if m.max_tx_bytes < 256 || m.max_tx_bytes > tracechain_types::tx::DEFAULT_MAX_TX_BYTES * 16
        {
            bail!("config key mempool.max_tx_bytes must be 256 B–4 MiB");
        }
        if m.max_bytes < m.max_tx_bytes {
            bail!("config key mempool.max_bytes must hold one transaction of mempool.max_tx_bytes");
        }
        positive(
            "storage.block_cache_bytes",
            self.storage.block_cache_bytes as u64,
        )?;
        let kept = self.storage.state_versions_kept;
        if kept != 0 && kept < tracechain_storage::MIN_STATE_VERSIONS_KEPT {
            bail!(
                "config key storage.state_versions_kept must be 0 (keep every version) or at least {}",
                tracechain_storage::MIN_STATE_VERSIONS_KEPT
            );
        }
        positive(
            "api.scans_per_client_per_minute",
            u64::from(self.api.scans_per_client_per_minute),
        )?;
        positive(
            "api.max_tracked_scan_clients",
            self.api.max_tracked_scan_clients as u64,
        )?;
        let e = &self.epcis;
        positive("epcis.max_capture_bytes", e.max_capture_bytes as u64)?;
        if e.max_capture_bytes > tracechain_epcis::MAX_DOCUMENT_BYTES {
            bail!(
                "config key epcis.max_capture_bytes must be at most {}",
                tracechain_epcis::MAX_DOCUMENT_BYTES
            );
        }
        let max_events = tracechain_types::records::epcis::MAX_EPCIS_CAPTURE_EVENTS;
        if e.max_capture_events == 0 || e.max_capture_events > max_events {
            bail!("config key epcis.max_capture_events must be 1–{max_events}");
        }
        positive("epcis.max_query_examined", e.max_query_examined as u64)?;
        positive("epcis.follow_ms", e.follow_ms)?;
        let fits = crate::node::sync_proto::MAX_EPCIS_WANTED;
        if e.replicate_batch == 0 || e.replicate_batch > fits {
            bail!("config key epcis.replicate_batch must be 1–{fits}");
        }
        let mut names = std::collections::BTreeSet::new();
        let mut tokens = std::collections::BTreeSet::new();
        for c in &e.clients {
            if c.name.is_empty() || c.name.len() > 64 || !names.insert(&c.name) {
                bail!("config key epcis.clients: names must be 1–64 characters and unique");
            }
            let t = c.token_sha256.to_ascii_lowercase();
            if t.len() != 64 || !t.bytes().all(|b| b.is_ascii_hexdigit()) || !tokens.insert(t) {
                bail!(
                    "config key epcis.clients[{}].token_sha256 must be 64 hex digits, unique",
                    c.name
                );
            }
        }
        tracing_subscriber::EnvFilter::try_new(&self.log.level)
            .map_err(|e| anyhow::anyhow!("config key log.level: {e}"))?;
        Ok(())
    }

    /// The capture body limit in force: `epcis.max_capture_bytes`, at most `api.max_body_bytes`.
    pub fn capture_bytes(&self) -> usize {
        self.epcis.max_capture_bytes.min(self.api.max_body_bytes)
    }

    /// The config with every default filled in, as TOML.
    pub fn to_toml(&self) -> String {
        toml::to_string(self).expect("a config serialises")
    }
}

/// A node of genesis (`[[validators]]`, `[[full_nodes]]`).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisNode {
    /// Its name.
    pub name: String,
    /// Its key (hex).
    pub public_key: String,
}

/// A first regulator (`[[regulators]]`).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisRegulator {
    /// Its participant key (hex).
    pub public_key: String,
    /// Its department.
    pub agency: Agency,
    /// The agency's legal name.
    pub legal_name: String,
    /// Its unified social credit code.
    pub uscc: String,
    /// Country (ISO 3166-1 alpha-2).
    pub country: String,
}

/// `genesis.toml`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisFile {
    /// The chain id.
    pub chain_id: String,
    /// Genesis time (Unix ms).
    pub timestamp_ms: u64,
    /// The first validators.
    pub validators: Vec<GenesisNode>,
    /// Full nodes allowed to connect.
    #[serde(default)]
    pub full_nodes: Vec<GenesisNode>,
    /// The first regulators.
    pub regulators: Vec<GenesisRegulator>,
    /// Chain parameters.
    #[serde(default)]
    pub params: ChainParams,
}

/// A loaded genesis: the genesis it describes, and every node key it lists.
#[derive(Clone, Debug)]
pub struct LoadedGenesis {
    /// The genesis.
    pub genesis: Genesis,
    /// Validators and full nodes, by name.
    pub nodes: Vec<(String, PublicKey)>,
}

impl GenesisFile {
    /// Read and check a genesis file.
    pub fn load(path: &Path) -> anyhow::Result<LoadedGenesis> {
        let text = read_limited(path)?;
        let file: GenesisFile = toml::from_str(&text).map_err(|e| toml_error(path, e))?;
        file.check()
            .with_context(|| format!("genesis file {}", path.display()))
    }

    /// The genesis it describes.
    pub fn check(self) -> anyhow::Result<LoadedGenesis> {
        let chain_id = ChainId::new(self.chain_id.clone())
            .map_err(|e| anyhow::anyhow!("key chain_id: {e}"))?;
        let mut nodes = Vec::new();
        let mut validators = Vec::new();
        for (i, v) in self.validators.iter().enumerate() {
            let key = v
                .public_key
                .parse::<PublicKey>()
                .map_err(|e| anyhow::anyhow!("key validators[{i}].public_key: {e}"))?;
            validators.push(Validator {
                public_key: key,
                name: v.name.clone(),
            });
            nodes.push((v.name.clone(), key));
        }
        for (i, n) in self.full_nodes.iter().enumerate() {
            let key = n
                .public_key
                .parse::<PublicKey>()
                .map_err(|e| anyhow::anyhow!("key full_nodes[{i}].public_key: {e}"))?;
            nodes.push((n.name.clone(), key));
        }
        let mut seen = std::collections::BTreeSet::new();
        for (name, key) in &nodes {
            if !seen.insert(*key) {
                bail!("node {name}: its key is listed twice");
            }
        }
        let validators =
            ValidatorSet::new(validators).map_err(|e| anyhow::anyhow!("key validators: {e}"))?;
        let mut regulators = Vec::new();
        for (i, r) in self.regulators.iter().enumerate() {
            let key = r
                .public_key
                .parse::<PublicKey>()
                .map_err(|e| anyhow::anyhow!("key regulators[{i}].public_key: {e}"))?;
            regulators.push(GenesisParticipant {
                key,
                registration: ParticipantRegistration {
                    category: ParticipantCategory::Regulator(r.agency),
                    node_types: Vec::new(),
                    identity: Identity::Organisation {
                        legal_name: r.legal_name.clone(),
                        registration_id: RegistrationId::Uscc(r.uscc.clone()),
                    },
                    country: r.country.clone(),
                    identity_document: Hash::tagged(
                        b"tracechain/genesis-identity/v1",
                        &[r.uscc.as_bytes()],
                    ),
                },
            });
        }
        let genesis = Genesis {
            chain_id,
            timestamp_ms: self.timestamp_ms,
            validators,
            regulators,
            params: self.params.clone(),
        };
        genesis.validate().map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(LoadedGenesis { genesis, nodes })
    }
}
