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
//! Keys (`cf::EPCIS`): `j{original}` → the stored JSON, content-addressed by its SHA-256 (the
//! digest the capture put on chain: a copy with another eventID or declaration is another
//! key); `a{original}` → the original is referenced by a committed capture (only those are
//! served to peers); `p{hash}{d}` → [`Place`] (`d` = 1 for an error declaration, else 0);
//! `s{seq}` → `{hash}{d}` (chain order, `seq` = height ‖ tx ‖ item, big-endian);
//! `i{identifier}\0{seq}` and `e{eventID}\0{seq}` → `{hash}{d}`; `w{hash}{d}` → [`Place`]
//! (wanted) and `r{original}` → `{hash}{d}` (whose original it is); `m/followed` → last
//! height followed.

use std::sync::Arc;
use std::time::Duration;

use borsh::{BorshDeserialize, BorshSerialize};
use tracechain_storage::{StorageError, Store};
use tracechain_types::{decode, encode, EpcisRecord, Hash, Payload, PublicKey};

use super::sync_proto::{SyncRequest, SyncResponse};
use super::Shared;

/// Blocks a capture may wait for inclusion, for the node's clients (at most
/// `mempool.max_expiry_window`) and for `tracechain epcis capture` alike.
pub const CAPTURE_EXPIRY_BLOCKS: u64 = 1000;

/// The sync request id of EPCIS fetches (block sync uses 0).
pub const SYNC_ID: u64 = 1;
/// Blocks followed in one round.
const FOLLOW_BLOCKS: u64 = 64;
/// Peers' answers waiting for the repository; more are dropped (the originals stay wanted and
/// are asked again).
const ANSWERS_QUEUE: usize = 64;
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
    /// SHA-256 of the original JSON, as the capture put it on chain.
    pub original: Hash,
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

fn digest_key(tag: u8, h: &Hash) -> Vec<u8> {
    let mut v = Vec::with_capacity(33);
    v.push(tag);
    v.extend_from_slice(&h.0);
    v
}

/// `j{original}`: the stored JSON with that SHA-256.
pub fn json_key(original: &Hash) -> Vec<u8> {
    digest_key(b'j', original)
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

/// The stored bytes of an event at `place`, when held and equal to the captured original.
pub fn stored(store: &Store, place: &Place) -> Result<Option<Vec<u8>>, StorageError> {
    Ok(store
        .epcis_get(&json_key(&place.original))?
        .filter(|b| Hash::digest(b) == place.original))
}

/// The entries that index a held event at `place`.
fn index_entries(k: &EventKey, place: &Place, bytes: &[u8]) -> Vec<(Vec<u8>, Option<Vec<u8>>)> {
    let seq = place.seq();
    let r = event_ref(k);
    let mut out = vec![
        (place_key(k), Some(encode(place))),
        (seq_key(&seq), Some(r.clone())),
        (want_key(k), None),
        (digest_key(b'r', &place.original), None),
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
    let mut followed = done;
    for h in done + 1..=last {
        let Some(block) = store.block(h)? else { break };
        for (ti, tx) in block.txs.iter().enumerate() {
            let Payload::Epcis(EpcisRecord::EpcisCapture(c)) = &tx.body.payload else {
                continue;
            };
            for (i, (ev, original)) in c.events.iter().zip(&c.originals).enumerate() {
                let k = (ev.event_hash, ev.error_declaration.is_some());
                let place = Place {
                    height: h,
                    tx: u32::try_from(ti).unwrap_or(u32::MAX),
                    item: u32::try_from(i).unwrap_or(u32::MAX),
                    time_ms: block.header.timestamp_ms,
                    original: *original,
                };
                entries.push((digest_key(b'a', original), Some(Vec::new())));
                match stored(store, &place)? {
                    Some(bytes) => entries.extend(index_entries(&k, &place, &bytes)),
                    None => {
                        entries.push((place_key(&k), Some(encode(&place))));
                        entries.push((want_key(&k), Some(encode(&place))));
                        entries.push((digest_key(b'r', original), Some(event_ref(&k))));
                    }
                }
            }
        }
        followed = h;
    }
    entries.push((FOLLOWED.to_vec(), Some(encode(&followed))));
    store.epcis_write(&entries)?;
    Ok(followed - done)
}

/// The originals this node wants, at most `limit`, after `after` (a cursor that moves on, so
/// that originals no peer holds do not stop the others); the cursor for the next round.
pub fn wanted(
    store: &Store,
    after: Option<&[u8]>,
    limit: usize,
) -> Result<(Vec<Hash>, Option<Vec<u8>>), StorageError> {
    let mut rows = store.epcis_scan(b"w", after, limit)?;
    if rows.is_empty() && after.is_some() {
        rows = store.epcis_scan(b"w", None, limit)?;
    }
    let cursor = rows.last().map(|(k, _)| k.clone());
    let out = rows
        .into_iter()
        .filter_map(|(_, v)| decode::<Place>(&v, 64).ok())
        .map(|p| p.original)
        .collect();
    Ok((out, cursor))
}

/// Keep the copies a peer sent of wanted originals: each only when its SHA-256 is the
/// original's and it hashes to its event's anchor. Returns how many were kept.
pub fn keep(store: &Store, found: Vec<(Hash, Vec<u8>)>) -> Result<usize, StorageError> {
    let mut entries = Vec::new();
    let mut kept = 0;
    for (original, bytes) in found {
        if Hash::digest(&bytes) != original {
            tracing::warn!(original = %original, "a peer's copy of an EPCIS event is not the captured original");
            continue;
        }
        let Some(k) = store
            .epcis_get(&digest_key(b'r', &original))?
            .and_then(|v| parse_ref(&v))
        else {
            continue;
        };
        let Some(place) = store
            .epcis_get(&want_key(&k))?
            .and_then(|b| decode::<Place>(&b, 64).ok())
            .filter(|p| p.original == original)
        else {
            continue;
        };
        if let Err(e) = tracechain_epcis::capture::open_stored(&bytes, &k.0) {
            tracing::warn!(event = %k.0, error = %e, "a captured original does not hash to its anchor");
            continue;
        }
        entries.push((json_key(&original), Some(bytes.clone())));
        entries.extend(index_entries(&k, &place, &bytes));
        kept += 1;
    }
    if !entries.is_empty() {
        store.epcis_write(&entries)?;
    }
    Ok(kept)
}

/// Serve a peer's [`SyncRequest::EpcisEvents`]: the held originals that a committed capture
/// references (never a copy of a capture that did not commit), within `max_bytes`.
pub fn serve_wanted(
    store: &Store,
    wanted: &[Hash],
    max_bytes: usize,
) -> Result<Vec<(Hash, Vec<u8>)>, StorageError> {
    let mut out = Vec::new();
    let mut bytes = 0usize;
    for o in wanted {
        if store.epcis_get(&digest_key(b'a', o))?.is_none() {
            continue;
        }
        if let Some(b) = store
            .epcis_get(&json_key(o))?
            .filter(|b| Hash::digest(b) == *o)
        {
            bytes += b.len() + 40;
            if bytes > max_bytes {
                break;
            }
            out.push((*o, b));
        }
    }
    Ok(out)
}

/// Follow the chain and fetch wanted events from the peers, every `epcis.follow_ms`.
pub fn start(
    shared: Arc<Shared>,
    runtime: &tokio::runtime::Runtime,
) -> tokio::sync::mpsc::Sender<(PublicKey, Result<Vec<u8>, String>)> {
    let (tx, mut rx) =
        tokio::sync::mpsc::channel::<(PublicKey, Result<Vec<u8>, String>)>(ANSWERS_QUEUE);
    let every = Duration::from_millis(shared.cfg.epcis.follow_ms);
    runtime.spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut next_peer = 0usize;
        let mut cursor: Option<Vec<u8>> = None;
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    let s = shared.clone();
                    let batch = shared.cfg.epcis.replicate_batch;
                    let after = cursor.take();
                    let want = tokio::task::spawn_blocking(move || -> Result<(Vec<Hash>, Option<Vec<u8>>), StorageError> {
                        while follow(&s.store)? > 0 {}
                        wanted(&s.store, after.as_deref(), batch)
                    })
                    .await;
                    match want {
                        Ok(Ok((w, next))) if !w.is_empty() => {
                            cursor = next;
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
                                if n > 0 {
                                    // The peer delivers: ask it for the next ones at once.
                                    let s = shared.clone();
                                    let batch = shared.cfg.epcis.replicate_batch;
                                    let after = cursor.clone();
                                    if let Ok(Ok((w, next))) = tokio::task::spawn_blocking(move || {
                                        wanted(&s.store, after.as_deref(), batch)
                                    })
                                    .await
                                    {
                                        if !w.is_empty() {
                                            cursor = next;
                                            let req = encode(&SyncRequest::EpcisEvents(w));
                                            shared.net.sync_request(from, SYNC_ID, req);
                                        }
                                    }
                                }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn shared_doc(name: &str) -> tracechain_epcis::Document {
        let base = match std::env::var_os("TRACECHAIN_CONFORMANCE_DIR") {
            Some(d) => std::path::PathBuf::from(d),
            None => std::path::PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../shared/testdata"
            )),
        };
        let bytes = std::fs::read(base.join("epcis/examples").join(name)).unwrap();
        tracechain_epcis::Document::parse(&bytes).unwrap()
    }

    /// A hostile peer's copy of a wanted event is kept only when it is byte for byte the
    /// original the capture put on chain: another eventID, an added error declaration or a
    /// changed field is refused, and a node serves peers only originals a committed capture
    /// references.
    #[test]
    fn only_the_captured_original_is_kept_and_served() {
        let dir = tempfile::tempdir().unwrap();
        let store = super::super::sync_proto::tests::store_with_blocks(dir.path(), 0);
        let doc = shared_doc("Example_9.6.1-ObjectEvent.jsonld");
        let c = tracechain_epcis::capture::capture_events(&doc)
            .unwrap()
            .remove(0);
        let k = (c.record.event_hash, false);
        let place = Place {
            height: 1,
            tx: 0,
            item: 0,
            time_ms: 1,
            original: c.original,
        };
        store
            .epcis_write(&[
                (want_key(&k), Some(encode(&place))),
                (digest_key(b'r', &c.original), Some(event_ref(&k))),
            ])
            .unwrap();
        // Variants: same CBV hash (eventID and errorDeclaration are not hashed), other bytes.
        let mut v: serde_json::Value = serde_json::from_slice(&c.stored).unwrap();
        v["event"]["eventID"] = "urn:uuid:forged".into();
        let forged_id = serde_json::to_vec(&v).unwrap();
        assert!(tracechain_epcis::capture::open_stored(&forged_id, &k.0).is_ok());
        v["event"]["errorDeclaration"] =
            serde_json::json!({"declarationTime": "2024-01-01T00:00:00Z"});
        let forged_decl = serde_json::to_vec(&v).unwrap();
        for bytes in [forged_id, forged_decl] {
            // sent under the original's digest, or under its own: neither is kept
            let own = Hash::digest(&bytes);
            assert_eq!(
                keep(&store, vec![(c.original, bytes.clone()), (own, bytes)]).unwrap(),
                0
            );
        }
        assert!(stored(&store, &place).unwrap().is_none());
        // Not served to peers before a committed capture references it.
        store
            .epcis_write(&[(json_key(&c.original), Some(c.stored.clone()))])
            .unwrap();
        assert!(serve_wanted(&store, &[c.original], 1 << 20)
            .unwrap()
            .is_empty());
        // The original itself is kept, indexed, no longer wanted, and served.
        assert_eq!(
            keep(&store, vec![(c.original, c.stored.clone())]).unwrap(),
            1
        );
        assert_eq!(stored(&store, &place).unwrap(), Some(c.stored.clone()));
        assert!(place_of(&store, &k).is_some());
        let (w, _) = wanted(&store, None, 10).unwrap();
        assert!(w.is_empty());
        store
            .epcis_write(&[(digest_key(b'a', &c.original), Some(vec![]))])
            .unwrap();
        assert_eq!(
            serve_wanted(&store, &[c.original], 1 << 20).unwrap(),
            vec![(c.original, c.stored.clone())]
        );
    }

    fn place_of(store: &Store, k: &EventKey) -> Option<Place> {
        place(store, k).unwrap()
    }

    /// Wanted originals no peer holds do not stop the others: the cursor moves on and wraps.
    #[test]
    fn the_wanted_cursor_moves_past_what_no_peer_has() {
        let dir = tempfile::tempdir().unwrap();
        let store = super::super::sync_proto::tests::store_with_blocks(dir.path(), 0);
        let entries: Vec<_> = (0..5u8)
            .map(|i| {
                let k = (Hash::digest(&[i]), false);
                let p = Place {
                    height: 1,
                    tx: 0,
                    item: u32::from(i),
                    time_ms: 1,
                    original: Hash::digest(&[i, i]),
                };
                (want_key(&k), Some(encode(&p)))
            })
            .collect();
        store.epcis_write(&entries).unwrap();
        let (a, c1) = wanted(&store, None, 2).unwrap();
        let (b, c2) = wanted(&store, c1.as_deref(), 2).unwrap();
        let (d, c3) = wanted(&store, c2.as_deref(), 2).unwrap();
        let (e, _) = wanted(&store, c3.as_deref(), 2).unwrap();
        assert_eq!((a.len(), b.len(), d.len()), (2, 2, 1));
        let all: std::collections::BTreeSet<Hash> = a.iter().chain(&b).chain(&d).copied().collect();
        assert_eq!(all.len(), 5, "every wanted original asked once per round");
        assert_eq!(e, a, "then it wraps around");
    }
}
