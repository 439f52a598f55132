//! State access: a small key-value trait, an in-memory implementation, and the overlay that
//! buffers one transaction's (or one block's) writes.
//!
//! Keys and values are bytes; values are canonical encodings (see [`crate::state_keys`] for the
//! layout and the value type of each prefix). Reads are infallible: a storage backend that
//! cannot read must stop the node (a read error is not a deterministic reason to refuse a
//! transaction, so it must never become one).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::ops::Bound;

use borsh::{BorshDeserialize, BorshSerialize};
use tracechain_types::decode;

/// Largest stored value the contracts decode (bytes). Values are written only by the
/// contracts and are far smaller; a larger one is a broken invariant (corrupt state).
pub const MAX_VALUE_BYTES: usize = 1024 * 1024;

/// Read access to committed state.
pub trait StateView {
    /// The value under `key`.
    fn get(&self, key: &[u8]) -> Option<Vec<u8>>;

    /// The value under `key`, borrowed when the implementation holds it in memory (the same
    /// bytes as [`StateView::get`]; reads that only decode or test existence use this).
    fn get_ref(&self, key: &[u8]) -> Option<Cow<'_, [u8]>> {
        self.get(key).map(Cow::Owned)
    }

    /// Up to `limit` entries whose key starts with `prefix`, in ascending key order, starting
    /// strictly after `after` when given.
    fn scan(&self, prefix: &[u8], after: Option<&[u8]>, limit: usize) -> Vec<(Vec<u8>, Vec<u8>)>;
}

/// One page of a prefix listing: at most `limit` entries (at least one) strictly after
/// `after`, and the cursor of the next page (the last key returned; `None` at the end).
pub type Page = (Vec<(Vec<u8>, Vec<u8>)>, Option<Vec<u8>>);

/// [`Page`] of the entries under `prefix` (reads one entry more than it returns, to know
/// whether another page follows).
pub fn scan_page(state: &dyn StateView, prefix: &[u8], after: Option<&[u8]>, limit: usize) -> Page {
    let limit = limit.max(1);
    let mut entries = state.scan(prefix, after, limit + 1);
    let next = (entries.len() > limit).then(|| {
        entries.truncate(limit);
        entries.last().map(|(k, _)| k.clone()).unwrap_or_default()
    });
    (entries, next)
}

/// Read-write state (what the node's storage implements; tests use [`MemoryState`]).
pub trait State: StateView {
    /// Store `value` under `key`.
    fn put(&mut self, key: Vec<u8>, value: Vec<u8>);
    /// Remove `key`.
    fn delete(&mut self, key: &[u8]);

    /// Apply a write set in its order.
    fn apply(&mut self, ws: &WriteSet) {
        for (k, v) in &ws.0 {
            match v {
                Some(v) => self.put(k.clone(), v.clone()),
                None => self.delete(k),
            }
        }
    }

    /// Apply a write set in its order, consuming it (no copy of keys and values).
    fn apply_owned(&mut self, ws: WriteSet) {
        for (k, v) in ws.0 {
            match v {
                Some(v) => self.put(k, v),
                None => self.delete(&k),
            }
        }
    }
}

/// In-memory state over a `BTreeMap` (tests, the auditor's replay, simulations).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemoryState {
    map: BTreeMap<Vec<u8>, Vec<u8>>,
}

impl MemoryState {
    /// Empty state.
    pub fn new() -> MemoryState {
        MemoryState::default()
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether empty.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Every entry in key order.
    pub fn entries(&self) -> impl Iterator<Item = (&Vec<u8>, &Vec<u8>)> {
        self.map.iter()
    }
}

fn range_start(prefix: &[u8], after: Option<&[u8]>) -> Bound<Vec<u8>> {
    match after {
        Some(a) if a >= prefix => Bound::Excluded(a.to_vec()),
        _ => Bound::Included(prefix.to_vec()),
    }
}

impl StateView for MemoryState {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.map.get(key).cloned()
    }

    fn get_ref(&self, key: &[u8]) -> Option<Cow<'_, [u8]>> {
        self.map.get(key).map(|v| Cow::Borrowed(v.as_slice()))
    }

    fn scan(&self, prefix: &[u8], after: Option<&[u8]>, limit: usize) -> Vec<(Vec<u8>, Vec<u8>)> {
        self.map
            .range((range_start(prefix, after), Bound::Unbounded))
            .take_while(|(k, _)| k.starts_with(prefix))
            .take(limit)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}

impl State for MemoryState {
    fn put(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.map.insert(key, value);
    }
    fn delete(&mut self, key: &[u8]) {
        self.map.remove(key);
    }
}

/// The effect of a transaction (or block): every written key once, in ascending key order;
/// `None` deletes. Encoded canonically for the state root.
#[derive(Clone, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct WriteSet(pub Vec<(Vec<u8>, Option<Vec<u8>>)>);

impl WriteSet {
    /// Number of writes.
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// Whether empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Buffered writes over a base view. Reads see the buffered writes first; nothing reaches the
/// base until the caller applies [`Overlay::into_write_set`], so a refused transaction leaves
/// state unchanged.
pub struct Overlay<'a> {
    base: &'a dyn StateView,
    writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
}

impl std::fmt::Debug for Overlay<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Overlay")
            .field("writes", &self.writes.len())
            .finish()
    }
}

impl<'a> Overlay<'a> {
    /// An empty overlay over `base`.
    pub fn new(base: &'a dyn StateView) -> Overlay<'a> {
        Overlay {
            base,
            writes: BTreeMap::new(),
        }
    }

    /// Decode the value under `key`. Stored values are written only by the contracts, so a
    /// value that does not decode is corrupt state: a broken invariant, which stops the node.
    pub fn get_value<T: BorshDeserialize>(&self, key: &[u8]) -> Option<T> {
        self.get_ref(key).map(|bytes| decode_stored(key, &bytes))
    }

    /// Encode and store.
    pub fn put_value<T: BorshSerialize>(&mut self, key: Vec<u8>, value: &T) {
        self.put(key, encode_sized(value, 0));
    }

    /// Whether any key starts with `prefix`.
    pub fn exists_prefix(&self, prefix: &[u8]) -> bool {
        !self.scan(prefix, None, 1).is_empty()
    }

    /// The buffered writes, sorted by key.
    pub fn into_write_set(self) -> WriteSet {
        WriteSet(self.writes.into_iter().collect())
    }

    /// Merge a write set into the buffer (block-level overlays).
    pub fn absorb(&mut self, ws: &WriteSet) {
        for (k, v) in &ws.0 {
            self.writes.insert(k.clone(), v.clone());
        }
    }
}

/// The canonical (Borsh) encoding of `value`, byte-identical to `tracechain_types::encode`,
/// into a buffer that starts with `capacity` bytes and grows as needed. Stored values are
/// mostly a few bytes (index entries are `()`, sequences a `u64`); a fixed 1 KiB buffer per
/// value costs an allocation each and stays attached to the stored bytes.
pub fn encode_sized<T: BorshSerialize + ?Sized>(value: &T, capacity: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(capacity);
    match value.serialize(&mut out) {
        Ok(()) => out,
        Err(e) => unreachable!("borsh encoding into a Vec failed: {e}"),
    }
}

/// Decode a stored value (see [`Overlay::get_value`]).
pub fn decode_stored<T: BorshDeserialize>(key: &[u8], bytes: &[u8]) -> T {
    match decode(bytes, MAX_VALUE_BYTES) {
        Ok(v) => v,
        Err(e) => panic!(
            "corrupt state under key {:?}: {e}",
            String::from_utf8_lossy(key)
        ),
    }
}

impl StateView for Overlay<'_> {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        match self.writes.get(key) {
            Some(v) => v.clone(),
            None => self.base.get(key),
        }
    }

    fn get_ref(&self, key: &[u8]) -> Option<Cow<'_, [u8]>> {
        match self.writes.get(key) {
            Some(v) => v.as_deref().map(Cow::Borrowed),
            None => self.base.get_ref(key),
        }
    }

    fn scan(&self, prefix: &[u8], after: Option<&[u8]>, limit: usize) -> Vec<(Vec<u8>, Vec<u8>)> {
        // Merge the base's entries with the buffered writes, buffered ones winning. Deleted
        // base keys are skipped, so the base is read in pages until `limit` survive.
        let mut out: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
        let mut cursor: Option<Vec<u8>> = after.map(<[u8]>::to_vec);
        loop {
            let page = self.base.scan(prefix, cursor.as_deref(), limit.max(1));
            let done = page.len() < limit.max(1);
            for (k, v) in page {
                cursor = Some(k.clone());
                if !self.writes.contains_key(&k) {
                    out.insert(k, v);
                }
            }
            if done || out.len() >= limit {
                break;
            }
        }
        for (k, v) in self
            .writes
            .range((range_start(prefix, after), Bound::Unbounded))
            .take_while(|(k, _)| k.starts_with(prefix))
        {
            if let Some(v) = v {
                out.insert(k.clone(), v.clone());
            }
        }
        out.into_iter().take(limit).collect()
    }
}

impl State for Overlay<'_> {
    fn put(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.writes.insert(key, Some(value));
    }
    fn delete(&mut self, key: &[u8]) {
        self.writes.insert(key.to_vec(), None);
    }
}
