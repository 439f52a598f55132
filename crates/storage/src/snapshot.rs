//! Consistent reads: a RocksDB snapshot of the store, so that one API answer reads the tip,
//! the state, the blocks and the map nodes as of one committed height even while the node
//! commits the next blocks (ADR 0080). A commit is one write batch, so a snapshot sees a block
//! either whole or not at all.

use std::borrow::Cow;

use borsh::BorshDeserialize;
use rocksdb::{Direction, IteratorMode, ReadOptions};
use tracechain_contracts::StateView;
use tracechain_types::state_map::{Node, NodeKey, NodeReader};
use tracechain_types::{
    decode, Block, BlockHeader, CommitCertificate, Hash, Transaction, ValidatorSet,
};

use super::{
    cf, height_key, hex_short, meta_key, node_key_bytes, Entries, StorageError, Store, Tip,
    TxLocation, BLOCK_TX_ENTRY, MAX_META_BYTES,
};

/// One transaction of a stored block: its Merkle leaf, and the offset and length of its bytes
/// in the block's encoding.
pub type TxSpan = (Hash, u32, u32);

/// A point-in-time view of a [`Store`].
pub struct Snapshot<'a> {
    /// One iterator over the state as of the snapshot, re-seeked by every state scan: a
    /// recall or a trace makes thousands of small prefix scans, and building an iterator per
    /// scan cost more than the scan. Declared before `snap`: it is dropped first.
    state_iter: std::cell::RefCell<Option<rocksdb::DBRawIterator<'a>>>,
    store: &'a Store,
    snap: rocksdb::Snapshot<'a>,
}

impl std::fmt::Debug for Snapshot<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("dir", &self.store.dir)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// A consistent view of everything committed so far.
    pub fn snapshot(&self) -> Snapshot<'_> {
        Snapshot {
            state_iter: std::cell::RefCell::new(None),
            store: self,
            snap: self.db.snapshot(),
        }
    }
}

impl Snapshot<'_> {
    fn get_cf(&self, family: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        self.snap
            .get_cf(self.store.cf(family), key)
            .map_err(|e| self.store.rocks(e))
    }

    fn decode_cf<T: BorshDeserialize>(
        &self,
        family: &str,
        key: &[u8],
        limit: usize,
    ) -> Result<Option<T>, StorageError> {
        match self.get_cf(family, key)? {
            None => Ok(None),
            Some(bytes) => decode(&bytes, limit).map(Some).map_err(|e| {
                self.store.corrupt(format!(
                    "column family {family}, key {}: {e}",
                    hex_short(key)
                ))
            }),
        }
    }

    /// The last committed block as of the snapshot.
    pub fn tip(&self) -> Result<Tip, StorageError> {
        self.decode_cf(cf::META, meta_key::TIP, 256)?
            .ok_or_else(|| self.store.corrupt("no tip: genesis was never written"))
    }

    /// The committed block at `height`.
    pub fn block(&self, height: u64) -> Result<Option<Block>, StorageError> {
        self.decode_cf(cf::BLOCKS, &height_key(height), self.store.max_block_bytes)
    }

    /// The header of the committed block at `height`, without decoding its transactions (a
    /// stored block is its header followed by its transactions).
    pub fn header(&self, height: u64) -> Result<Option<BlockHeader>, StorageError> {
        let Some(bytes) = self.get_cf(cf::BLOCKS, &height_key(height))? else {
            return Ok(None);
        };
        let mut rest: &[u8] = &bytes;
        BlockHeader::deserialize(&mut rest).map(Some).map_err(|e| {
            self.store.corrupt(format!(
                "column family blocks, height {height}: header: {e}"
            ))
        })
    }

    /// The Merkle leaves of the block at `height` and where each transaction lies in the
    /// stored block; `None` for a block stored without the index (or no block).
    pub fn tx_layout(&self, height: u64) -> Result<Option<Vec<TxSpan>>, StorageError> {
        let Some(family) = self.store.cf_opt(cf::BLOCK_TXS) else {
            return Ok(None);
        };
        let Some(v) = self
            .snap
            .get_cf(family, height_key(height))
            .map_err(|e| self.store.rocks(e))?
        else {
            return Ok(None);
        };
        if v.len() % BLOCK_TX_ENTRY != 0 {
            return Err(self.store.corrupt(format!(
                "column family block_txs, height {height}: length {}",
                v.len()
            )));
        }
        Ok(Some(
            v.chunks_exact(BLOCK_TX_ENTRY)
                .map(|c| {
                    let mut leaf = [0u8; 32];
                    leaf.copy_from_slice(&c[..32]);
                    let off = u32::from_be_bytes([c[32], c[33], c[34], c[35]]);
                    let len = u32::from_be_bytes([c[36], c[37], c[38], c[39]]);
                    (Hash(leaf), off, len)
                })
                .collect(),
        ))
    }

    /// One transaction of the block at `height`, decoded alone from the stored block at the
    /// place its layout says; `None` when the block or the index is absent.
    pub fn tx_at(&self, height: u64, index: u32) -> Result<Option<Transaction>, StorageError> {
        let Some(layout) = self.tx_layout(height)? else {
            return Ok(None);
        };
        match layout.get(index as usize) {
            Some(&(_, off, len)) => self.tx_in(height, index, off, len),
            None => Ok(None),
        }
    }

    /// The transaction at `index` of the block at `height`, whose bytes are at `off..off+len`
    /// of the stored block (from [`Snapshot::tx_layout`], read once for several transactions).
    pub fn tx_in(
        &self,
        height: u64,
        index: u32,
        off: u32,
        len: u32,
    ) -> Result<Option<Transaction>, StorageError> {
        let Some(bytes) = self
            .snap
            .get_pinned_cf(self.store.cf(cf::BLOCKS), height_key(height))
            .map_err(|e| self.store.rocks(e))?
        else {
            return Ok(None);
        };
        let (off, len) = (off as usize, len as usize);
        let slice = bytes.get(off..off.saturating_add(len)).ok_or_else(|| {
            self.store.corrupt(format!(
                "column family block_txs, height {height}: outside the block"
            ))
        })?;
        decode(slice, self.store.max_block_bytes)
            .map(Some)
            .map_err(|e| {
                self.store
                    .corrupt(format!("block {height}, transaction {index}: {e}"))
            })
    }

    /// The certificate of the block at `height` (none for genesis).
    pub fn cert(&self, height: u64) -> Result<Option<CommitCertificate>, StorageError> {
        self.decode_cf(cf::CERTS, &height_key(height), MAX_META_BYTES)
    }

    /// Where a committed transaction is.
    pub fn tx_location(&self, id: &Hash) -> Result<Option<TxLocation>, StorageError> {
        self.decode_cf(cf::TX_INDEX, id.as_bytes(), 64)
    }

    /// The oldest version of the state map that can be proven against, as of the snapshot
    /// (0: every version is kept).
    pub fn state_kept_from(&self) -> Result<u64, StorageError> {
        Ok(self
            .decode_cf::<u64>(cf::META, meta_key::STATE_KEPT_FROM, 16)?
            .unwrap_or(0))
    }

    /// The validator set in force at `height`.
    pub fn set_at(&self, height: u64) -> Result<Option<ValidatorSet>, StorageError> {
        let mut ro = ReadOptions::default();
        ro.set_snapshot(&self.snap);
        let mut it = self.store.db.iterator_cf_opt(
            self.store.cf(cf::SETS),
            ro,
            IteratorMode::From(&height_key(height), Direction::Reverse),
        );
        match it.next() {
            None => Ok(None),
            Some(Err(e)) => Err(self.store.rocks(e)),
            Some(Ok((k, v))) => decode(&v, MAX_META_BYTES).map(Some).map_err(|e| {
                self.store
                    .corrupt(format!("column family sets, key {}: {e}", hex_short(&k)))
            }),
        }
    }

    /// The stored value of a state key.
    pub fn state_get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        self.get_cf(cf::STATE, key)
    }

    /// Entries of the state under `prefix` after `after`, at most `limit`.
    pub fn state_scan(
        &self,
        prefix: &[u8],
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Entries, StorageError> {
        let mut out = Vec::new();
        if limit == 0 {
            return Ok(out);
        }
        let mut slot = self.state_iter.borrow_mut();
        let it = slot.get_or_insert_with(|| {
            let mut ro = ReadOptions::default();
            ro.set_snapshot(&self.snap);
            self.store
                .db
                .raw_iterator_cf_opt(self.store.cf(cf::STATE), ro)
        });
        match after {
            Some(a) if a >= prefix => {
                let mut s = a.to_vec();
                s.push(0);
                it.seek(&s);
            }
            _ => it.seek(prefix),
        }
        while it.valid() {
            let (Some(k), Some(v)) = (it.key(), it.value()) else {
                break;
            };
            if !k.starts_with(prefix) {
                break;
            }
            out.push((k.to_vec(), v.to_vec()));
            if out.len() == limit {
                break;
            }
            it.next();
        }
        it.status().map_err(|e| self.store.rocks(e))?;
        Ok(out)
    }

    /// A stored node of the authenticated map.
    pub fn map_node(&self, key: &NodeKey) -> Result<Option<Node>, StorageError> {
        self.decode_cf(cf::STATE_NODES, &node_key_bytes(key), MAX_META_BYTES)
    }
}

/// State as of the snapshot. A read error is broken storage; an API handler runs this on a
/// blocking thread and turns the panic into a 500 (the consensus thread is not involved).
impl StateView for Snapshot<'_> {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.state_get(key)
            .unwrap_or_else(|e| panic!("state unreadable: {e}"))
    }

    fn scan(&self, prefix: &[u8], after: Option<&[u8]>, limit: usize) -> Vec<(Vec<u8>, Vec<u8>)> {
        self.state_scan(prefix, after, limit)
            .unwrap_or_else(|e| panic!("state unreadable: {e}"))
    }
}

impl NodeReader for Snapshot<'_> {
    fn node(&self, key: &NodeKey) -> Option<Cow<'_, Node>> {
        self.map_node(key).ok().flatten().map(Cow::Owned)
    }
}
