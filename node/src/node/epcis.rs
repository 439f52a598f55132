//! The node's EPCIS repository (ADR 0081): the original JSON of every captured event, kept by
//! its anchored hash in the node-local `epcis` column family, its place in the chain, and the
//! indexes the query reads.
//!
//! A follower reads committed blocks in order: for each event of an `EpcisCapture` it records
//! the event's place (height, transaction, position, block time: the repository's
//! `recordTime`), and indexes it when the JSON is here (the capturing node wrote it before it
//! submitted the transaction); otherwise the event is *wanted* and asked of the peers, whose
//! copies are kept only when they hash to the anchor. So every node holds every captured
//! event, and a node restarted or new catches up from the chain and its peers.
//!
//! Keys (`cf::EPCIS`): `j{hash}{d}` → stored JSON (`d` = 1 for an error declaration, else 0);
//! `p{hash}{d}` → [`Place`]; `s{seq}` → `{hash}{d}` (chain order, `seq` = height ‖ tx ‖ item,
//! big-endian); `i{identifier}\0{seq}` and `e{eventID}\0{seq}` → `{hash}{d}`; `w{hash}{d}` →
//! [`Place`] (wanted); `m/followed` → last height followed.

use std::sync::Arc;
use std::time::Duration;

use borsh::{BorshDeserialize, BorshSerialize};
use tracechain_storage::{StorageError, Store};
use tracechain_types::{decode, encode, EpcisRecord, Hash, Payload, PublicKey};

use super::sync_proto::{SyncRequest, SyncResponse};
use super::Shared;

/// The sync request id of EPCIS fetches (block sync uses 0).
pub const SYNC_ID: u64 = 1;
/// Blocks followed in one round.
const FOLLOW_BLOCKS: u64 = 64;
const FOLLOWED: &[u8] = b"m/followed";

/// Where a captured event is in the chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Place {
    /// Block height.
    pub height: u64,
    /// Position of the capture transaction in the block.
    pub tx: u32,
    /// Position of the event in the capture.
    pub item: u32,
    /// Block time (Unix ms): the event's `recordTime`.
    pub time_ms: u64,
}

impl Place {
    /// The chain-order key.
    pub fn seq(&self) -> [u8; 16] {
        let mut k = [0u8; 16];
        k[..8].copy_from_slice(&self.height.to_be_bytes());
        k[8..12].copy_from_slice(&self.tx.to_be_bytes());
        k[12..].copy_from_slice(&self.item.to_be_bytes());
        k
    }
}

/// An event's id in the repository: its anchored hash and whether it is the declaration.
pub type EventKey = (Hash, bool);

fn key(tag: u8, k: &EventKey) -> Vec<u8> {
    let mut v = Vec::with_capacity(34);
    v.push(tag);
    v.extend_from_slice(&k.0 .0);
    v.push(u8::from(k.1));
    v
}

/// `j…`: the stored JSON of an event.
pub fn json_key(k: &EventKey) -> Vec<u8> {
    key(b'j', k)
}

fn place_key(k: &EventKey) -> Vec<u8> {
    key(b'p', k)
}

fn want_key(k: &EventKey) -> Vec<u8> {
    key(b'w', k)
}

fn event_ref(k: &EventKey) -> Vec<u8> {
    let mut v = k.0 .0.to_vec();
    v.push(u8::from(k.1));
    v
}

/// The event a `s…`/`i…`/`e…` entry points to.
pub fn parse_ref(v: &[u8]) -> Option<EventKey> {
    if v.len() != 33 {
        return None;
    }
    let mut h = [0u8; 32];
    h.copy_from_slice(&v[..32]);
    Some((Hash(h), v[32] == 1))
}

/// `s{seq}`.
pub fn seq_key(seq: &[u8]) -> Vec<u8> {
    let mut v = vec![b's'];
    v.extend_from_slice(seq);
    v
}

/// `{tag}{value}\0`: the prefix of an identifier (`i`) or eventID (`e`) index.
pub fn index_prefix(tag: u8, value: &str) -> Vec<u8> {
    let mut v = vec![tag];
    v.extend(value.bytes().filter(|b| *b != 0));
    v.push(0);
    v
}

/// An event's place, when followed.
pub fn place(store: &Store, k: &EventKey) -> Result<Option<Place>, StorageError> {
    Ok(store
        .epcis_get(&place_key(k))?
        .and_then(|b| decode::<Place>(&b, 64).ok()))
}

/// The stored bytes of an event, when held.
pub fn stored(store: &Store, k: &EventKey) -> Result<Option<Vec<u8>>, StorageError> {
    store.epcis_get(&json_key(k))
}

/// The entries that index a held event at `place`.
fn index_entries(k: &EventKey, place: &Place, bytes: &[u8]) -> Vec<(Vec<u8>, Option<Vec<u8>>)> {
    let seq = place.seq();
    let r = event_ref(k);
    let mut out = vec![
        (place_key(k), Some(encode(place))),
        (seq_key(&seq), Some(r.clone())),
        (want_key(k), None),
    ];
    if let Ok(s) = serde_json::from_slice::<serde_json::Value>(bytes) {
        if let Some(event) = s.get("event").and_then(|e| e.as_object()) {
            for id in tracechain_epcis::query::indexed_identifiers(event) {
                let mut ik = index_prefix(b'i', &id);
                ik.extend_from_slice(&seq);
                out.push((ik, Some(r.clone())));
            }
            if let Some(id) = event.get("eventID").and_then(|v| v.as_str()) {
                let mut ek = index_prefix(b'e', id);
                ek.extend_from_slice(&seq);
                out.push((ek, Some(r.clone())));
            }
        }
    }
    out
}

/// Follow committed blocks from the last followed height: record and index each captured
/// event, or want it. Returns the blocks followed.
pub fn follow(store: &Store) -> Result<u64, StorageError> {
    let done = store
        .epcis_get(FOLLOWED)?
        .and_then(|b| decode::<u64>(&b, 8).ok())
        .unwrap_or(0);
    let tip = store.tip()?.height;
    let last = tip.min(done.saturating_add(FOLLOW_BLOCKS));
    if last <= done {
        return Ok(0);
    }
    let mut entries = Vec::new();
    for h in done + 1..=last {
        let Some(block) = store.block(h)? else { break };
        for (ti, tx) in block.txs.iter().enumerate() {
            let Payload::Epcis(EpcisRecord::EpcisCapture(c)) = &tx.body.payload else {
                continue;
            };
            for (i, ev) in c.events.iter().enumerate() {
                let k = (ev.event_hash, ev.error_declaration.is_some());
                let place = Place {
                    height: h,
                    tx: u32::try_from(ti).unwrap_or(u32::MAX),
                    item: u32::try_from(i).unwrap_or(u32::MAX),
                    time_ms: block.header.timestamp_ms,
                };
                match store.epcis_get(&json_key(&k))? {
                    Some(bytes) => entries.extend(index_entries(&k, &place, &bytes)),
                    None => {
                        entries.push((place_key(&k), Some(encode(&place))));
                        entries.push((want_key(&k), Some(encode(&place))));
                    }
                }
            }
        }
    }
    entries.push((FOLLOWED.to_vec(), Some(encode(&last))));
    store.epcis_write(&entries)?;
    Ok(last - done)
}

/// The events this node wants, at most `limit`.
pub fn wanted(store: &Store, limit: usize) -> Result<Vec<EventKey>, StorageError> {
    Ok(store
        .epcis_scan(b"w", None, limit)?
        .into_iter()
        .filter_map(|(k, _)| parse_ref(&k[1..]))
        .collect())
}

/// Keep the copies a peer sent of wanted events: each only when it hashes to its anchor.
/// Returns how many were kept.
pub fn keep(store: &Store, found: Vec<(Hash, bool, Vec<u8>)>) -> Result<usize, StorageError> {
    let mut entries = Vec::new();
    let mut kept = 0;
    for (h, d, bytes) in found {
        let k = (h, d);
        let Some(place) = store
            .epcis_get(&want_key(&k))?
            .and_then(|b| decode::<Place>(&b, 64).ok())
        else {
            continue;
        };
        if let Err(e) = tracechain_epcis::capture::open_stored(&bytes, &h) {
            tracing::warn!(event = %h, error = %e, "a peer's copy of an EPCIS event does not hash to its anchor");
            continue;
        }
        entries.push((json_key(&k), Some(bytes.clone())));
        entries.extend(index_entries(&k, &place, &bytes));
        kept += 1;
    }
    if !entries.is_empty() {
        store.epcis_write(&entries)?;
    }
    Ok(kept)
}

/// Serve a peer's [`SyncRequest::EpcisEvents`]: the held copies of followed events, within
/// `max_bytes`.
pub fn serve_wanted(
    store: &Store,
    wanted: &[EventKey],
    max_bytes: usize,
) -> Result<Vec<(Hash, bool, Vec<u8>)>, StorageError> {
    let mut out = Vec::new();
    let mut bytes = 0usize;
    for k in wanted {
        if place(store, k)?.is_none() {
            continue; // not anchored here (yet): a copy of an unanchored capture is never served
        }
        if let Some(b) = stored(store, k)? {
            bytes += b.len() + 40;
            if bytes > max_bytes {
                break;
            }
            out.push((k.0, k.1, b));
        }
    }
    Ok(out)
}

/// Follow the chain and fetch wanted events from the peers, every `epcis.follow_ms`.
pub fn start(
    shared: Arc<Shared>,
    runtime: &tokio::runtime::Runtime,
) -> tokio::sync::mpsc::Sender<(PublicKey, Result<Vec<u8>, String>)> {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<(PublicKey, Result<Vec<u8>, String>)>(64);
    let every = Duration::from_millis(shared.cfg.epcis.follow_ms);
    runtime.spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut next_peer = 0usize;
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    let s = shared.clone();
                    let batch = shared.cfg.epcis.replicate_batch;
                    let want = tokio::task::spawn_blocking(move || -> Result<Vec<EventKey>, StorageError> {
                        while follow(&s.store)? > 0 {}
                        wanted(&s.store, batch)
                    })
                    .await;
                    match want {
                        Ok(Ok(w)) if !w.is_empty() => {
                            let peers = shared.net.connected();
                            if !peers.is_empty() {
                                next_peer = (next_peer + 1) % peers.len();
                                let req = encode(&SyncRequest::EpcisEvents(w));
                                shared.net.sync_request(peers[next_peer], SYNC_ID, req);
                            }
                        }
                        Ok(Ok(_)) => {}
                        Ok(Err(e)) => tracing::error!(error = %e, "EPCIS repository: storage"),
                        Err(e) => tracing::error!(error = %e, "EPCIS repository task"),
                    }
                }
                got = rx.recv() => {
                    let Some((from, result)) = got else { break };
                    let limit = shared.cfg.p2p.max_sync_response_bytes;
                    match result.ok().and_then(|b| super::sync_proto::decode_response(&b, limit)) {
                        Some(SyncResponse::EpcisEvents(found)) => {
                            let s = shared.clone();
                            let kept = tokio::task::spawn_blocking(move || keep(&s.store, found)).await;
                            if let Ok(Ok(n)) = kept {
                                tracing::debug!(peer = %from, kept = n, "EPCIS events from a peer");
                            }
                        }
                        Some(_) | None => {
                            tracing::debug!(peer = %from, "no EPCIS events from a peer");
                        }
                    }
                }
            }
        }
    });
    tx
}
