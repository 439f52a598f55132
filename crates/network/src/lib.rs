//! The consortium network on libp2p (ADR 0061): TCP (Nagle off) + Noise + Yamux, and three
//! stream protocols of length-checked frames.
//!
//! - **Only listed peers.** A node's libp2p identity is its Ed25519 key from genesis, so a peer
//!   id names a consortium member. The allow list holds exactly the keys of genesis (validators
//!   and registered full nodes); a connection from any other key is closed by
//!   `allow_block_list` as soon as Noise has authenticated it, before any stream of it is
//!   opened or read.
//! - **Consensus** (`/tracechain/consensus/1`): one long-lived outbound stream per peer, so the
//!   messages a peer receives from us arrive in the order we sent them, attributed to the key
//!   Noise authenticated (the replica relies on `from`).
//! - **Transactions** (`/tracechain/txs/1`): batches of transactions gossiped the same way.
//! - **Sync** (`/tracechain/sync/1`): one stream per request: a request frame, a response
//!   frame (status; ranges of blocks with certificates, bounded per request by the responder).
//!
//! Every frame's length is checked against its protocol's limit before anything is allocated
//! ([`frame`]). Per-peer queues are bounded both ways: a peer whose outbound queue is full (it
//! does not read) or whose inbound frames wait beyond their bound (it floods) is dropped.
//! Listed peers are redialled. A peer penalised too often (its transactions failed
//! verification) is disconnected and refused for a while.
//!
//! Gossipsub is not used (its default 64 KiB message limit and its drops under load do not fit
//! blocks of megabytes and a consensus that needs every message of a peer in order).

pub mod frame;

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
pub use libp2p::core::Multiaddr;
use libp2p::identity::{self, PeerId};
use libp2p::swarm::dial_opts::{DialOpts, PeerCondition};
use libp2p::swarm::{NetworkBehaviour, SwarmEvent};
use libp2p::{allow_block_list, connection_limits, noise, tcp, yamux, StreamProtocol, Swarm};
use tokio::sync::{mpsc, oneshot};
use tracechain_types::PublicKey;

use crate::frame::{read_frame, write_frame, FrameError};

/// Protocol of consensus messages.
pub const CONSENSUS_PROTOCOL: StreamProtocol = StreamProtocol::new("/tracechain/consensus/1");
/// Protocol of transaction batches.
pub const TXS_PROTOCOL: StreamProtocol = StreamProtocol::new("/tracechain/txs/1");
/// Protocol of block sync.
pub const SYNC_PROTOCOL: StreamProtocol = StreamProtocol::new("/tracechain/sync/1");

/// The network's limits (the node's `[network]` config, validated at start).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetLimits {
    /// Largest consensus frame (the consensus's `MAX_MESSAGE_BYTES`).
    pub max_consensus_frame_bytes: usize,
    /// Largest transaction batch frame.
    pub max_tx_batch_bytes: usize,
    /// Largest sync request frame.
    pub max_sync_request_bytes: usize,
    /// Largest sync response frame.
    pub max_sync_response_bytes: usize,
    /// Frames queued for one peer and channel before the peer is dropped (it does not read).
    pub peer_send_queue: usize,
    /// Frames received from one peer waiting for the node before the peer is dropped.
    pub peer_inbound_queue: usize,
    /// Bytes of those frames before the peer is dropped.
    pub peer_inbound_bytes: usize,
    /// Sync requests of one peer answered at once; more are refused.
    pub peer_sync_requests: usize,
    /// How often listed peers that are not connected are dialled again (ms).
    pub redial_interval_ms: u64,
    /// How long a sync request may take (ms).
    pub sync_timeout_ms: u64,
    /// Penalties after which a peer is disconnected and refused for `ban_ms`.
    pub max_penalties: u32,
    /// How long a penalised peer is refused (ms).
    pub ban_ms: u64,
    /// Incoming connections still in their handshake (before Noise names the peer) at once;
    /// more are refused.
    pub max_pending_connections: u32,
    /// Established connections per peer (two: both sides may dial at once).
    pub max_connections_per_peer: u32,
}

impl Default for NetLimits {
    fn default() -> Self {
        NetLimits {
            max_consensus_frame_bytes: 16 * 1024 * 1024,
            max_tx_batch_bytes: 4 * 1024 * 1024,
            max_sync_request_bytes: 1024,
            max_sync_response_bytes: 64 * 1024 * 1024,
            peer_send_queue: 4096,
            peer_inbound_queue: 4096,
            peer_inbound_bytes: 64 * 1024 * 1024,
            peer_sync_requests: 4,
            redial_interval_ms: 1000,
            sync_timeout_ms: 10_000,
            max_penalties: 3,
            ban_ms: 60_000,
            max_pending_connections: 256,
            max_connections_per_peer: 2,
        }
    }
}

/// A listed peer: its key and, when known, where to dial it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Peer {
    /// Its genesis key.
    pub key: PublicKey,
    /// Its p2p address (`/ip4/127.0.0.1/tcp/PORT`); none for a peer that only dials us.
    pub addr: Option<Multiaddr>,
}

/// How to start the network.
#[derive(Clone, Debug)]
pub struct NetConfig {
    /// Where to listen.
    pub listen: Multiaddr,
    /// Every other node of genesis (validators and full nodes): the allow list.
    pub peers: Vec<Peer>,
    /// Limits.
    pub limits: NetLimits,
}

/// A stream channel between two peers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Channel {
    /// Consensus messages.
    Consensus,
    /// Transaction batches.
    Txs,
}

impl Channel {
    fn protocol(self) -> StreamProtocol {
        match self {
            Channel::Consensus => CONSENSUS_PROTOCOL,
            Channel::Txs => TXS_PROTOCOL,
        }
    }

    fn limit(self, l: &NetLimits) -> usize {
        match self {
            Channel::Consensus => l.max_consensus_frame_bytes,
            Channel::Txs => l.max_tx_batch_bytes,
        }
    }
}

/// A peer's frames waiting for the node: count and bytes.
#[derive(Debug, Default)]
struct Inbound {
    frames: AtomicUsize,
    bytes: AtomicUsize,
}

/// A received frame's place in its peer's inbound queue: released when dropped (once the node
/// has handled the frame).
#[derive(Debug)]
pub struct InboundSlot(Arc<Inbound>, usize);

impl Drop for InboundSlot {
    fn drop(&mut self) {
        self.0.frames.fetch_sub(1, Ordering::AcqRel);
        self.0.bytes.fetch_sub(self.1, Ordering::AcqRel);
    }
}

/// What the network reports to the node.
#[derive(Debug)]
pub enum NetEvent {
    /// A frame from an authenticated, listed peer.
    Frame {
        /// The peer's genesis key (authenticated by Noise).
        from: PublicKey,
        /// Its channel.
        channel: Channel,
        /// The frame (at most the channel's limit).
        bytes: Vec<u8>,
        /// Its place in the peer's inbound queue.
        slot: InboundSlot,
    },
    /// A peer asks for sync data: answer through `reply` (at most the response limit).
    SyncRequest {
        /// The peer.
        from: PublicKey,
        /// The request frame.
        bytes: Vec<u8>,
        /// Where the answer goes.
        reply: oneshot::Sender<Vec<u8>>,
    },
    /// The answer to [`NetworkHandle::sync_request`].
    SyncResponse {
        /// The peer asked.
        from: PublicKey,
        /// The id given with the request.
        id: u64,
        /// The response frame, or why there is none.
        result: Result<Vec<u8>, String>,
    },
    /// A listed peer connected.
    Connected(PublicKey),
    /// A listed peer's last connection closed.
    Disconnected(PublicKey),
    /// A peer was dropped for misbehaving (flood, oversized frame, penalties).
    Dropped {
        /// The peer.
        peer: PublicKey,
        /// Why.
        reason: String,
    },
    /// A connection was refused (a key not in genesis, or a banned peer).
    Refused {
        /// What libp2p reported.
        reason: String,
    },
}

/// Why the network did not start.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// The key is not a valid Ed25519 key.
    #[error("network identity: {0}")]
    Identity(String),
    /// Building the transport or listening failed.
    #[error("network: {0}")]
    Transport(String),
}

enum Command {
    Send {
        channel: Channel,
        to: Vec<PublicKey>,
        bytes: Arc<Vec<u8>>,
    },
    SyncRequest {
        to: PublicKey,
        id: u64,
        bytes: Vec<u8>,
    },
    Penalise {
        peer: PublicKey,
        reason: String,
    },
    Drop {
        peer: PeerId,
        reason: String,
    },
    Shutdown,
}

/// The node's handle on the running network (cheap to clone).
#[derive(Clone, Debug)]
pub struct NetworkHandle {
    cmd: mpsc::UnboundedSender<Command>,
    local: PublicKey,
    connected: Arc<Mutex<BTreeSet<PublicKey>>>,
    listening: Arc<Mutex<Vec<Multiaddr>>>,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Command::Send { .. } => "Send",
            Command::SyncRequest { .. } => "SyncRequest",
            Command::Penalise { .. } => "Penalise",
            Command::Drop { .. } => "Drop",
            Command::Shutdown => "Shutdown",
        })
    }
}

impl NetworkHandle {
    /// This node's key.
    pub fn local_key(&self) -> PublicKey {
        self.local
    }

    /// Send a frame to each connected peer of `to` (frames for peers that are not connected
    /// are dropped: consensus re-sends on its timers).
    pub fn send(&self, channel: Channel, to: Vec<PublicKey>, bytes: Arc<Vec<u8>>) {
        let _ = self.cmd.send(Command::Send { channel, to, bytes });
    }

    /// Ask `to` for sync data; the answer comes back as [`NetEvent::SyncResponse`] with `id`.
    pub fn sync_request(&self, to: PublicKey, id: u64, bytes: Vec<u8>) {
        let _ = self.cmd.send(Command::SyncRequest { to, id, bytes });
    }

    /// Count a penalty against `peer` (e.g. its transactions failed verification).
    pub fn penalise(&self, peer: PublicKey, reason: impl Into<String>) {
        let _ = self.cmd.send(Command::Penalise {
            peer,
            reason: reason.into(),
        });
    }

    /// The listed peers connected now.
    pub fn connected(&self) -> Vec<PublicKey> {
        lock(&self.connected).iter().copied().collect()
    }

    /// The addresses the node listens on (once listening started).
    pub fn listen_addrs(&self) -> Vec<Multiaddr> {
        lock(&self.listening).clone()
    }

    /// Stop the network.
    pub fn shutdown(&self) {
        let _ = self.cmd.send(Command::Shutdown);
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The libp2p peer id of a genesis key.
pub fn peer_id_of(key: &PublicKey) -> Result<PeerId, NetError> {
    let pk = identity::ed25519::PublicKey::try_from_bytes(&key.0)
        .map_err(|e| NetError::Identity(e.to_string()))?;
    Ok(identity::PublicKey::from(pk).to_peer_id())
}

#[derive(NetworkBehaviour)]
#[behaviour(prelude = "libp2p::swarm::derive_prelude")]
struct Behaviour {
    allow: allow_block_list::Behaviour<allow_block_list::AllowedPeers>,
    limits: connection_limits::Behaviour,
    streams: libp2p_stream::Behaviour,
}

/// Start the network on the current tokio runtime with the node's secret key seed (its
/// genesis key). Returns the handle and the events.
pub fn start(
    secret_seed: [u8; 32],
    cfg: NetConfig,
    events_capacity: usize,
) -> Result<(NetworkHandle, mpsc::Receiver<NetEvent>), NetError> {
    let mut seed = secret_seed;
    let keypair = identity::Keypair::ed25519_from_bytes(&mut seed)
        .map_err(|e| NetError::Identity(e.to_string()))?;
    let local_pk = keypair
        .public()
        .try_into_ed25519()
        .map_err(|e| NetError::Identity(e.to_string()))?;
    let local = PublicKey(local_pk.to_bytes());

    let mut by_peer = HashMap::new();
    for p in &cfg.peers {
        by_peer.insert(peer_id_of(&p.key)?, p.clone());
    }
    let mut swarm = libp2p::SwarmBuilder::with_existing_identity(keypair)
        .with_tokio()
        .with_tcp(
            tcp::Config::new().nodelay(true),
            noise::Config::new,
            yamux::Config::default,
        )
        .map_err(|e| NetError::Transport(e.to_string()))?
        .with_behaviour(|_| Behaviour {
            allow: allow_block_list::Behaviour::default(),
            limits: connection_limits::Behaviour::new(
                connection_limits::ConnectionLimits::default()
                    .with_max_pending_incoming(Some(cfg.limits.max_pending_connections))
                    .with_max_established_per_peer(Some(cfg.limits.max_connections_per_peer)),
            ),
            streams: libp2p_stream::Behaviour::new(),
        })
        .map_err(|e| NetError::Transport(e.to_string()))?
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(3600)))
        .build();
    for peer in by_peer.keys() {
        swarm.behaviour_mut().allow.allow_peer(*peer);
    }
    swarm
        .listen_on(cfg.listen.clone())
        .map_err(|e| NetError::Transport(format!("listen on {}: {e}", cfg.listen)))?;

    let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
    let (ev_tx, ev_rx) = mpsc::channel(events_capacity.max(1));
    let handle = NetworkHandle {
        cmd: cmd_tx.clone(),
        local,
        connected: Arc::default(),
        listening: Arc::default(),
    };
    let mut control = swarm.behaviour().streams.new_control();
    let incoming = [
        (Channel::Consensus, control.accept(CONSENSUS_PROTOCOL)),
        (Channel::Txs, control.accept(TXS_PROTOCOL)),
    ];
    let sync_incoming = control
        .accept(SYNC_PROTOCOL)
        .map_err(|e| NetError::Transport(e.to_string()))?;
    let mut inbound = Vec::new();
    for (ch, s) in incoming {
        inbound.push(
            s.map_err(|e| NetError::Transport(e.to_string()))?
                .map(move |x| (ch, x)),
        );
    }
    let inbound = futures::stream::select_all(inbound);
    let task = Task {
        swarm,
        control,
        limits: cfg.limits,
        peers: by_peer,
        cmd: cmd_tx,
        events: ev_tx,
        writers: HashMap::new(),
        inbound_counts: HashMap::new(),
        sync_in_flight: HashMap::new(),
        penalties: HashMap::new(),
        banned: HashMap::new(),
        connected: handle.connected.clone(),
        listening: handle.listening.clone(),
    };
    tokio::spawn(task.run(cmd_rx, inbound, sync_incoming));
    Ok((handle, ev_rx))
}

struct Task {
    swarm: Swarm<Behaviour>,
    control: libp2p_stream::Control,
    limits: NetLimits,
    peers: HashMap<PeerId, Peer>,
    cmd: mpsc::UnboundedSender<Command>,
    events: mpsc::Sender<NetEvent>,
    writers: HashMap<(PeerId, Channel), mpsc::Sender<Arc<Vec<u8>>>>,
    inbound_counts: HashMap<PeerId, Arc<Inbound>>,
    sync_in_flight: HashMap<PeerId, Arc<AtomicUsize>>,
    penalties: HashMap<PeerId, (u32, Instant)>,
    banned: HashMap<PeerId, Instant>,
    connected: Arc<Mutex<BTreeSet<PublicKey>>>,
    listening: Arc<Mutex<Vec<Multiaddr>>>,
}

impl Task {
    async fn run(
        mut self,
        mut cmd_rx: mpsc::UnboundedReceiver<Command>,
        mut inbound: impl futures::Stream<Item = (Channel, (PeerId, libp2p::Stream))> + Unpin,
        mut sync_incoming: libp2p_stream::IncomingStreams,
    ) {
        let mut redial =
            tokio::time::interval(Duration::from_millis(self.limits.redial_interval_ms.max(1)));
        loop {
            tokio::select! {
                ev = self.swarm.select_next_some() => self.on_swarm(ev),
                cmd = cmd_rx.recv() => match cmd {
                    None | Some(Command::Shutdown) => break,
                    Some(c) => self.on_command(c),
                },
                Some((channel, (peer, stream))) = inbound.next() => self.on_inbound(channel, peer, stream),
                Some((peer, stream)) = sync_incoming.next() => self.on_sync_inbound(peer, stream),
                _ = redial.tick() => self.redial(),
            }
        }
    }

    fn key_of(&self, peer: &PeerId) -> Option<PublicKey> {
        self.peers.get(peer).map(|p| p.key)
    }

    fn emit(&self, ev: NetEvent) {
        // Connection events are few; if the node is not reading, it is shutting down.
        let _ = self.events.try_send(ev);
    }

    fn on_swarm(&mut self, ev: SwarmEvent<BehaviourEvent>) {
        match ev {
            SwarmEvent::NewListenAddr { address, .. } => {
                lock(&self.listening).push(address);
            }
            SwarmEvent::ConnectionEstablished {
                peer_id,
                num_established,
                ..
            } => {
                if let Some(key) = self.key_of(&peer_id) {
                    if num_established.get() == 1 {
                        lock(&self.connected).insert(key);
                        tracing::info!(peer = %key, "peer connected");
                        self.emit(NetEvent::Connected(key));
                    }
                }
            }
            SwarmEvent::ConnectionClosed {
                peer_id,
                num_established: 0,
                ..
            } => {
                self.writers.retain(|(p, _), _| *p != peer_id);
                if let Some(key) = self.key_of(&peer_id) {
                    lock(&self.connected).remove(&key);
                    tracing::info!(peer = %key, "peer disconnected");
                    self.emit(NetEvent::Disconnected(key));
                }
            }
            SwarmEvent::IncomingConnectionError { error, .. } => {
                let reason = error.to_string();
                tracing::warn!(%reason, "incoming connection refused");
                self.emit(NetEvent::Refused { reason });
            }
            SwarmEvent::OutgoingConnectionError {
                peer_id: Some(p),
                error,
                ..
            } => {
                tracing::debug!(peer = %p, %error, "dial failed");
            }
            _ => {}
        }
    }

    fn on_command(&mut self, c: Command) {
        match c {
            Command::Send { channel, to, bytes } => {
                for key in to {
                    let Ok(peer) = peer_id_of(&key) else { continue };
                    if !self.swarm.is_connected(&peer) {
                        continue;
                    }
                    self.send_to(peer, channel, bytes.clone());
                }
            }
            Command::SyncRequest { to, id, bytes } => {
                let Ok(peer) = peer_id_of(&to) else { return };
                let mut control = self.control.clone();
                let events = self.events.clone();
                let limits = self.limits.clone();
                tokio::spawn(async move {
                    let result = tokio::time::timeout(
                        Duration::from_millis(limits.sync_timeout_ms),
                        async {
                            let mut s = control
                                .open_stream(peer, SYNC_PROTOCOL)
                                .await
                                .map_err(|e| e.to_string())?;
                            write_frame(&mut s, &bytes, limits.max_sync_request_bytes)
                                .await
                                .map_err(|e| e.to_string())?;
                            read_frame(&mut s, limits.max_sync_response_bytes)
                                .await
                                .map_err(|e| e.to_string())
                        },
                    )
                    .await
                    .unwrap_or_else(|_| Err("sync request timed out".into()));
                    let _ = events
                        .send(NetEvent::SyncResponse {
                            from: to,
                            id,
                            result,
                        })
                        .await;
                });
            }
            Command::Penalise { peer, reason } => {
                let Ok(pid) = peer_id_of(&peer) else { return };
                // Penalties older than a ban's length are forgotten: a peer is banned for
                // repeated faults, not for three over its lifetime.
                let now = Instant::now();
                let window = Duration::from_millis(self.limits.ban_ms);
                let (n, since) = self.penalties.entry(pid).or_insert((0, now));
                if now.duration_since(*since) > window {
                    (*n, *since) = (0, now);
                }
                *n += 1;
                tracing::warn!(%peer, penalties = *n, %reason, "peer penalised");
                if *n >= self.limits.max_penalties {
                    self.penalties.remove(&pid);
                    self.ban(
                        pid,
                        format!("{reason} ({} penalties)", self.limits.max_penalties),
                    );
                }
            }
            Command::Drop { peer, reason } => self.drop_peer(peer, reason),
            Command::Shutdown => {}
        }
    }

    fn send_to(&mut self, peer: PeerId, channel: Channel, bytes: Arc<Vec<u8>>) {
        let tx = self.writers.entry((peer, channel)).or_insert_with(|| {
            let (tx, rx) = mpsc::channel(self.limits.peer_send_queue.max(1));
            tokio::spawn(writer(
                self.control.clone(),
                peer,
                channel,
                channel.limit(&self.limits),
                rx,
            ));
            tx
        });
        match tx.try_send(bytes) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => {
                let n = self.limits.peer_send_queue;
                self.drop_peer(
                    peer,
                    format!("its {channel:?} send queue is full ({n} frames)"),
                );
            }
            Err(mpsc::error::TrySendError::Closed(bytes)) => {
                // The writer ended (stream reset): a new one opens a new stream.
                self.writers.remove(&(peer, channel));
                self.send_to(peer, channel, bytes);
            }
        }
    }

    fn drop_peer(&mut self, peer: PeerId, reason: String) {
        self.writers.retain(|(p, _), _| *p != peer);
        let _ = self.swarm.disconnect_peer_id(peer);
        if let Some(key) = self.key_of(&peer) {
            tracing::warn!(peer = %key, %reason, "peer dropped");
            self.emit(NetEvent::Dropped { peer: key, reason });
        }
    }

    fn ban(&mut self, peer: PeerId, reason: String) {
        self.swarm.behaviour_mut().allow.disallow_peer(peer);
        self.banned.insert(
            peer,
            Instant::now() + Duration::from_millis(self.limits.ban_ms),
        );
        self.drop_peer(peer, reason);
    }

    fn redial(&mut self) {
        let now = Instant::now();
        let expired: Vec<PeerId> = self
            .banned
            .iter()
            .filter(|(_, until)| **until <= now)
            .map(|(p, _)| *p)
            .collect();
        for p in expired {
            self.banned.remove(&p);
            self.swarm.behaviour_mut().allow.allow_peer(p);
        }
        let to_dial: Vec<(PeerId, Multiaddr)> = self
            .peers
            .iter()
            .filter(|(p, _)| !self.banned.contains_key(p) && !self.swarm.is_connected(p))
            .filter_map(|(p, peer)| peer.addr.clone().map(|a| (*p, a)))
            .collect();
        for (peer, addr) in to_dial {
            let opts = DialOpts::peer_id(peer)
                .addresses(vec![addr])
                .condition(PeerCondition::DisconnectedAndNotDialing)
                .build();
            let _ = self.swarm.dial(opts);
        }
    }

    fn on_inbound(&mut self, channel: Channel, peer: PeerId, stream: libp2p::Stream) {
        let Some(key) = self.key_of(&peer) else {
            // Unreachable through the allow list; refuse anyway.
            return;
        };
        let counter = self.inbound_counts.entry(peer).or_default().clone();
        tokio::spawn(reader(
            key,
            peer,
            channel,
            stream,
            channel.limit(&self.limits),
            (
                self.limits.peer_inbound_queue,
                self.limits.peer_inbound_bytes,
            ),
            counter,
            self.events.clone(),
            self.cmd.clone(),
        ));
    }

    fn on_sync_inbound(&mut self, peer: PeerId, mut stream: libp2p::Stream) {
        let Some(key) = self.key_of(&peer) else {
            return;
        };
        let in_flight = self.sync_in_flight.entry(peer).or_default().clone();
        if in_flight.fetch_add(1, Ordering::AcqRel) >= self.limits.peer_sync_requests {
            in_flight.fetch_sub(1, Ordering::AcqRel);
            tracing::debug!(peer = %key, "sync request refused: too many in flight");
            return; // dropping the stream resets it
        }
        let events = self.events.clone();
        let cmd = self.cmd.clone();
        let limits = self.limits.clone();
        tokio::spawn(async move {
            let done = async {
                let bytes = match read_frame(&mut stream, limits.max_sync_request_bytes).await {
                    Ok(b) => b,
                    Err(e @ FrameError::TooLarge { .. }) => {
                        let _ = cmd.send(Command::Drop {
                            peer,
                            reason: format!("sync request: {e}"),
                        });
                        return;
                    }
                    Err(_) => return,
                };
                let (reply, answer) = oneshot::channel();
                if events
                    .send(NetEvent::SyncRequest {
                        from: key,
                        bytes,
                        reply,
                    })
                    .await
                    .is_err()
                {
                    return;
                }
                let Ok(Ok(resp)) =
                    tokio::time::timeout(Duration::from_millis(limits.sync_timeout_ms), answer)
                        .await
                else {
                    return;
                };
                let _ = write_frame(&mut stream, &resp, limits.max_sync_response_bytes).await;
                let _ = futures::AsyncWriteExt::close(&mut stream).await;
            };
            done.await;
            in_flight.fetch_sub(1, Ordering::AcqRel);
        });
    }
}

async fn writer(
    mut control: libp2p_stream::Control,
    peer: PeerId,
    channel: Channel,
    limit: usize,
    mut rx: mpsc::Receiver<Arc<Vec<u8>>>,
) {
    let mut stream = match control.open_stream(peer, channel.protocol()).await {
        Ok(s) => s,
        Err(e) => {
            tracing::debug!(%peer, ?channel, error = %e, "cannot open stream");
            return;
        }
    };
    while let Some(frame) = rx.recv().await {
        match write_frame(&mut stream, &frame, limit).await {
            Ok(()) => {}
            Err(e @ FrameError::TooLarge { .. }) => {
                // Our own frame over the limit: a bug of the sender, not of the peer.
                tracing::error!(%peer, ?channel, error = %e, "frame not sent");
            }
            Err(e) => {
                // The next frame for this peer finds the queue closed and opens a new stream.
                tracing::debug!(%peer, ?channel, error = %e, "stream closed");
                return;
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn reader(
    key: PublicKey,
    peer: PeerId,
    channel: Channel,
    mut stream: libp2p::Stream,
    limit: usize,
    (queue, queue_bytes): (usize, usize),
    counter: Arc<Inbound>,
    events: mpsc::Sender<NetEvent>,
    cmd: mpsc::UnboundedSender<Command>,
) {
    loop {
        match read_frame(&mut stream, limit).await {
            Ok(bytes) => {
                let n = bytes.len();
                let frames = counter.frames.fetch_add(1, Ordering::AcqRel);
                let held = counter.bytes.fetch_add(n, Ordering::AcqRel);
                let slot = InboundSlot(counter.clone(), n);
                if frames >= queue || held + n > queue_bytes {
                    drop(slot);
                    let _ = cmd.send(Command::Drop {
                        peer,
                        reason: format!(
                            "it sent more than the node has handled ({queue} frames or {queue_bytes} bytes)"
                        ),
                    });
                    return;
                }
                let ev = NetEvent::Frame {
                    from: key,
                    channel,
                    bytes,
                    slot,
                };
                if events.send(ev).await.is_err() {
                    return;
                }
            }
            Err(FrameError::Closed) => return,
            Err(e @ FrameError::TooLarge { .. }) => {
                let _ = cmd.send(Command::Drop {
                    peer,
                    reason: format!("{channel:?} {e}"),
                });
                return;
            }
            Err(e) => {
                tracing::debug!(peer = %key, ?channel, error = %e, "stream ended");
                return;
            }
        }
    }
}
