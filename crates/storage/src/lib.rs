//! The node's durable store on RocksDB (ADR 0060).
//!
//! One database per node, in typed column families ([`cf`]): blocks by height, certificates,
//! block hash → height, transaction id → (height, index), the consensus state (the contracts'
//! key-value pairs) and the versioned nodes of its authenticated map, node-local indexes, the
//! consensus vote record, a private store for personal data, validator sets, and metadata
//! (schema version, chain id, genesis hash, tip).
//!
//! **Atomic commits.** [`Store::commit`] writes a block, its certificate, its state changes and
//! map nodes, its indexes, the validator sets and the next vote record, and moves the tip, in
//! one synced write batch: after a crash (even `kill -9`) the store is at the last committed
//! block or the one before, never in between. The vote record ([`Store::persist_vote`]) and
//! the blocks it names ([`Store::store_vote_block`]) are synced before they return, so the
//! driver may send what it signed.
//!
//! **Refusing a wrong directory.** [`Store::open`] names the problem when the directory holds
//! another chain, a newer schema, or data RocksDB or the decoders cannot read.
//!
//! All calls block: the node calls them from its consensus thread or `spawn_blocking`, never
//! from the async runtime's worker threads.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use borsh::{BorshDeserialize, BorshSerialize};
use rocksdb::{
    BlockBasedOptions, ColumnFamilyDescriptor, DBCompressionType, Direction, IteratorMode, Options,
    ReadOptions, WriteBatch, WriteOptions, DB,
};
use tracechain_consensus::{LastCommitted, PersistedState, VoteRecord};
use tracechain_contracts::{StateView, WriteSet};
use tracechain_types::state_map::{Node, NodeKey, NodeReader, TreeUpdate};
use tracechain_types::{
    decode, encode, Block, ChainId, CommitCertificate, Hash, PublicKey, ValidatorSet,
};

/// The layout version this code writes and reads. A directory of a newer version is refused
/// (the node was downgraded); an older one would be migrated by the code that introduces the
/// next version.
pub const SCHEMA_VERSION: u32 = 1;

/// Column family names.
mod builder;
mod snapshot;

pub use builder::{BuildError, ChainBuilder};
pub use snapshot::{Snapshot, TxSpan};

pub mod cf {
    /// Metadata: schema version, chain id, genesis hash, tip, current validator sets.
    pub const META: &str = "meta";
    /// Height (u64 big-endian) → Borsh block.
    pub const BLOCKS: &str = "blocks";
    /// Height → Borsh commit certificate.
    pub const CERTS: &str = "certs";
    /// Block hash → height.
    pub const BLOCK_HASHES: &str = "block_hashes";
    /// Transaction id → (height, index in block).
    pub const TX_INDEX: &str = "tx_index";
    /// The consensus state: the contracts' keys and values after the tip.
    pub const STATE: &str = "state";
    /// The authenticated map's nodes, every version (node key → Borsh node).
    pub const STATE_NODES: &str = "state_nodes";
    /// Nodes made stale by a version (first version without them ‖ node key): what pruning
    /// old versions would delete.
    pub const STATE_STALE: &str = "state_stale";
    /// Node-local indexes (not consensus state): signer ‖ sequence → transaction id.
    pub const INDEXES: &str = "indexes";
    /// The consensus vote record and the blocks it names.
    pub const VOTES: &str = "votes";
    /// Personal data held by this node only (R-A5): never on chain, never in a block.
    pub const PRIVATE: &str = "private";
    /// Validator sets by the first height they are in force (history, for auditors).
    pub const SETS: &str = "sets";
    /// Height → for each transaction of the block: its Merkle leaf (32 bytes), then the
    /// offset and length of its bytes in the stored block (u32 big-endian each), so that a
    /// proof reads the leaves and one transaction instead of decoding the block (a node-local
    /// index, written with the block; absent for blocks stored before it existed).
    pub const BLOCK_TXS: &str = "block_txs";
    /// The EPCIS repository of this node (node-local, not consensus state): captured events'
    /// original JSON by event hash, their places in the chain, and the query indexes
    /// (ADR 0081). Every entry is rebuilt from the chain and the peers' copies.
    pub const EPCIS: &str = "epcis";

    /// Every column family, in creation order.
    pub const ALL: [&str; 14] = [
        META,
        BLOCKS,
        CERTS,
        BLOCK_HASHES,
        TX_INDEX,
        STATE,
        STATE_NODES,
        STATE_STALE,
        INDEXES,
        VOTES,
        PRIVATE,
        SETS,
        BLOCK_TXS,
        EPCIS,
    ];

    /// Families added after directories were first written: a read-only open uses them only
    /// when present.
    pub const LATER: [&str; 2] = [BLOCK_TXS, EPCIS];
}

/// Bytes per transaction in [`cf::BLOCK_TXS`]: leaf, offset, length.
const BLOCK_TX_ENTRY: usize = 40;

mod meta_key {
    pub const SCHEMA: &[u8] = b"schema_version";
    pub const CHAIN_ID: &[u8] = b"chain_id";
    pub const GENESIS_HASH: &[u8] = b"genesis_hash";
    pub const TIP: &[u8] = b"tip";
    pub const SETS: &[u8] = b"sets";
    /// The oldest version of the state map whose nodes are all kept (absent: 0, none pruned).
    pub const STATE_KEPT_FROM: &[u8] = b"state_kept_from";
}

const VOTE_RECORD_KEY: &[u8] = b"record";
const VOTE_BLOCK_PREFIX: &[u8] = b"block/";

/// Largest stored block the store decodes: the largest `consensus.max_block_bytes` a node
/// accepts in its config, so a block certified by validators with a larger limit than this
/// node's still reads back.
pub const MAX_STORED_BLOCK_BYTES: usize = 64 * 1024 * 1024;

/// Largest stored vote record or metadata value the store decodes.
const MAX_META_BYTES: usize = 16 * 1024 * 1024;

/// Why the store cannot be used. Every variant names the directory and the problem; the node
/// stops with this message.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// RocksDB refused an operation (I/O error, corruption its checksums found, lock held by
    /// another process).
    #[error("data directory {dir}: RocksDB: {msg}")]
    Rocks {
        /// The directory.
        dir: PathBuf,
        /// RocksDB's message.
        msg: String,
    },
    /// A stored value does not decode or an expected value is missing.
    #[error("data directory {dir} is corrupt: {what}")]
    Corrupt {
        /// The directory.
        dir: PathBuf,
        /// What is wrong, naming the column family and key.
        what: String,
    },
    /// The directory belongs to another chain.
    #[error(
        "data directory {dir} belongs to another chain: it holds {found}, this node is configured for {expected}"
    )]
    ForeignChain {
        /// The directory.
        dir: PathBuf,
        /// The configured chain (chain id and genesis hash).
        expected: String,
        /// What the directory holds.
        found: String,
    },
    /// Written by a newer version of tracechain.
    #[error(
        "data directory {dir} has schema version {found}, newer than this tracechain supports ({supported}); run the newer version"
    )]
    NewerSchema {
        /// The directory.
        dir: PathBuf,
        /// The directory's version.
        found: u32,
        /// [`SCHEMA_VERSION`].
        supported: u32,
    },
    /// A write that breaks the store's order (a commit that is not the tip's child).
    #[error("data directory {dir}: refused write: {what}")]
    Refused {
        /// The directory.
        dir: PathBuf,
        /// Why.
        what: String,
    },
}

/// Key-value pairs of a state scan, in key order.
pub type Entries = Vec<(Vec<u8>, Vec<u8>)>;

/// Which chain a data directory belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainIdentity {
    /// The chain id.
    pub chain_id: ChainId,
    /// Hash of the genesis block.
    pub genesis_hash: Hash,
}

impl std::fmt::Display for ChainIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "chain {} with genesis {}",
            self.chain_id.as_str(),
            self.genesis_hash
        )
    }
}

/// The last committed block.
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Tip {
    /// Height (0 = genesis).
    pub height: u64,
    /// Block hash.
    pub hash: Hash,
    /// Block timestamp.
    pub timestamp_ms: u64,
    /// State root after the block.
    pub state_root: Hash,
}

/// Where a committed transaction is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct TxLocation {
    /// Block height.
    pub height: u64,
    /// Position in the block.
    pub index: u32,
}

/// RocksDB tuning (the node's `[storage]` config).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreOptions {
    /// Block cache size shared by the column families (bytes).
    pub block_cache_bytes: usize,
    /// Most open files RocksDB keeps (-1: unlimited).
    pub max_open_files: i32,
    /// Versions of the authenticated state map kept, the tip's included (0: every version,
    /// so any height can be proven against). With k, a commit deletes the map nodes only
    /// versions older than the last k needed (ADR 0086).
    pub state_versions_kept: u64,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            block_cache_bytes: 64 * 1024 * 1024,
            max_open_files: 512,
            state_versions_kept: 0,
        }
    }
}

/// Fewest state versions a pruning store keeps: the tip (the next block executes on it) and
/// the one before (an answer read while a block commits).
pub const MIN_STATE_VERSIONS_KEPT: u64 = 2;

/// Everything one committed block changes, written by [`Store::commit`] in one batch.
#[derive(Debug)]
pub struct CommitBatch<'a> {
    /// The block.
    pub block: &'a Block,
    /// Its certificate.
    pub cert: &'a CommitCertificate,
    /// The block's combined write set (sorted).
    pub writes: &'a WriteSet,
    /// The block's version of the authenticated map.
    pub tree: &'a TreeUpdate,
    /// Validator sets by first height in force, from the next height on.
    pub sets: &'a [(u64, ValidatorSet)],
    /// The vote record of the next height.
    pub record: &'a VoteRecord,
}

/// The genesis state, written by [`Store::init_genesis`].
#[derive(Debug)]
pub struct GenesisBatch<'a> {
    /// The genesis block (height 0).
    pub block: &'a Block,
    /// The genesis state.
    pub writes: &'a WriteSet,
    /// Version 0 of the authenticated map.
    pub tree: &'a TreeUpdate,
    /// The validator set of heights 1 and 2.
    pub set: &'a ValidatorSet,
    /// The first vote record (height 1, view 0, nothing signed).
    pub record: &'a VoteRecord,
}

/// The node's store.
pub struct Store {
    db: DB,
    dir: PathBuf,
    identity: ChainIdentity,
    max_block_bytes: usize,
    state_versions_kept: u64,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("dir", &self.dir)
            .field("identity", &self.identity)
            .finish()
    }
}

fn height_key(height: u64) -> [u8; 8] {
    height.to_be_bytes()
}

/// Each transaction's Merkle leaf and where its bytes lie in the block's Borsh encoding (the
/// header, a u32 count, then the transactions one after the other).
fn block_tx_layout(block: &Block, encoded_len: usize) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(block.txs.len() * BLOCK_TX_ENTRY);
    let mut offset = encode(&block.header).len() + 4;
    for tx in &block.txs {
        let len = encode(tx).len();
        out.extend_from_slice(&tracechain_types::block::tx_leaf(tx).0);
        out.extend_from_slice(&u32::try_from(offset).ok()?.to_be_bytes());
        out.extend_from_slice(&u32::try_from(len).ok()?.to_be_bytes());
        offset += len;
    }
    (offset == encoded_len).then_some(out)
}

/// The stored form of a node key: version, depth, path, big-endian, so that one version's
/// nodes are adjacent.
pub fn node_key_bytes(key: &NodeKey) -> [u8; 42] {
    let mut out = [0u8; 42];
    out[..8].copy_from_slice(&key.version.to_be_bytes());
    out[8..10].copy_from_slice(&key.depth.to_be_bytes());
    out[10..].copy_from_slice(&key.path);
    out
}

/// Most bytes of write-ahead log kept: past it RocksDB flushes the column families that
/// pin the oldest log. Without it a family written rarely (votes, sets) held every log since
/// its last flush: about 7.6 GB on a node that committed a million records.
const MAX_TOTAL_WAL_BYTES: u64 = 512 * 1024 * 1024;

fn base_options(opts: &StoreOptions) -> Options {
    let mut o = Options::default();
    o.set_max_total_wal_size(MAX_TOTAL_WAL_BYTES);
    o.set_compression_type(DBCompressionType::Lz4);
    o.set_paranoid_checks(true);
    o.set_max_open_files(opts.max_open_files);
    let mut table = BlockBasedOptions::default();
    table.set_block_cache(&rocksdb::Cache::new_lru_cache(opts.block_cache_bytes));
    o.set_block_based_table_factory(&table);
    o
}

fn synced() -> WriteOptions {
    let mut w = WriteOptions::default();
    w.set_sync(true);
    w
}

impl Store {
    /// Open (or create) the store in `dir` for the chain `identity`. A directory that holds
    /// another chain, a newer schema, or unreadable metadata is refused with a message naming
    /// the problem. A new directory is empty until [`Store::init_genesis`].
    pub fn open(
        dir: &Path,
        identity: &ChainIdentity,
        opts: &StoreOptions,
    ) -> Result<Store, StorageError> {
        let dir = dir.to_path_buf();
        std::fs::create_dir_all(&dir).map_err(|e| StorageError::Rocks {
            dir: dir.clone(),
            msg: format!("cannot create the directory: {e}"),
        })?;
        let mut db_opts = base_options(opts);
        db_opts.create_if_missing(true);
        db_opts.create_missing_column_families(true);
        let cfs = cf::ALL
            .iter()
            .map(|name| ColumnFamilyDescriptor::new(*name, base_options(opts)));
        let db = DB::open_cf_descriptors(&db_opts, &dir, cfs).map_err(|e| StorageError::Rocks {
            dir: dir.clone(),
            msg: e.into_string(),
        })?;
        let store = Store {
            db,
            dir,
            identity: identity.clone(),
            max_block_bytes: MAX_STORED_BLOCK_BYTES,
            state_versions_kept: opts.state_versions_kept,
        };
        store.check_identity()?;
        Ok(store)
    }

    /// Open `dir` read-only (the auditor's view of a live node: never modifies it). The
    /// directory must hold the chain `identity`.
    pub fn open_read_only(
        dir: &Path,
        identity: &ChainIdentity,
        opts: &StoreOptions,
    ) -> Result<Store, StorageError> {
        let dir = dir.to_path_buf();
        let mut db_opts = base_options(opts);
        // Every table file is opened now and kept open: a running node's compaction may
        // delete files this reader has not read yet, and an open file stays readable. (It
        // needs a file descriptor per table file.)
        db_opts.set_max_open_files(-1);
        // Column families added after a directory was written (the block index) are absent
        // from it until a node opens it read-write; read-only, they are simply not used.
        let existing = DB::list_cf(&db_opts, &dir).unwrap_or_default();
        let families: Vec<&str> = cf::ALL
            .iter()
            .copied()
            .filter(|f| !cf::LATER.contains(f) || existing.iter().any(|e| e == f))
            .collect();
        let db = DB::open_cf_for_read_only(&db_opts, &dir, families, false).map_err(|e| {
            StorageError::Rocks {
                dir: dir.clone(),
                msg: e.into_string(),
            }
        })?;
        let store = Store {
            db,
            dir,
            identity: identity.clone(),
            max_block_bytes: MAX_STORED_BLOCK_BYTES,
            state_versions_kept: opts.state_versions_kept,
        };
        store.check_identity()?;
        Ok(store)
    }

    /// The chain this store holds.
    pub fn identity(&self) -> &ChainIdentity {
        &self.identity
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn rocks(&self, e: rocksdb::Error) -> StorageError {
        StorageError::Rocks {
            dir: self.dir.clone(),
            msg: e.into_string(),
        }
    }

    fn corrupt(&self, what: impl Into<String>) -> StorageError {
        StorageError::Corrupt {
            dir: self.dir.clone(),
            what: what.into(),
        }
    }

    fn cf(&self, name: &str) -> &rocksdb::ColumnFamily {
        // Every family of `cf::ALL` is opened (created if missing) by `open`.
        self.db
            .cf_handle(name)
            .unwrap_or_else(|| panic!("column family {name} is opened with the store"))
    }

    /// A column family that may be absent (see [`Store::open_read_only`]).
    fn cf_opt(&self, name: &str) -> Option<&rocksdb::ColumnFamily> {
        self.db.cf_handle(name)
    }

    fn get_cf(&self, family: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        self.db
            .get_cf(self.cf(family), key)
            .map_err(|e| self.rocks(e))
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
                self.corrupt(format!(
                    "column family {family}, key {}: {e}",
                    hex_short(key)
                ))
            }),
        }
    }

    fn check_identity(&self) -> Result<(), StorageError> {
        let schema: Option<u32> = self.decode_cf(cf::META, meta_key::SCHEMA, 16)?;
        let chain: Option<ChainId> = self.decode_cf(cf::META, meta_key::CHAIN_ID, 1024)?;
        let genesis: Option<Hash> = self.decode_cf(cf::META, meta_key::GENESIS_HASH, 64)?;
        let tip: Option<Tip> = self.decode_cf(cf::META, meta_key::TIP, 256)?;
        match (schema, chain, genesis, tip) {
            (None, None, None, None) => {
                // A new directory: nothing else may be in it either.
                if self.first_key(cf::BLOCKS)?.is_some() || self.first_key(cf::STATE)?.is_some() {
                    return Err(self.corrupt("blocks or state without metadata"));
                }
                Ok(())
            }
            (Some(s), _, _, _) if s > SCHEMA_VERSION => Err(StorageError::NewerSchema {
                dir: self.dir.clone(),
                found: s,
                supported: SCHEMA_VERSION,
            }),
            (Some(_), Some(chain_id), Some(genesis_hash), Some(_)) => {
                let found = ChainIdentity {
                    chain_id,
                    genesis_hash,
                };
                if found != self.identity {
                    return Err(StorageError::ForeignChain {
                        dir: self.dir.clone(),
                        expected: self.identity.to_string(),
                        found: found.to_string(),
                    });
                }
                Ok(())
            }
            _ => Err(self.corrupt("metadata incomplete (schema, chain id, genesis hash, tip)")),
        }
    }

    fn first_key(&self, family: &str) -> Result<Option<Box<[u8]>>, StorageError> {
        match self
            .db
            .iterator_cf(self.cf(family), IteratorMode::Start)
            .next()
        {
            None => Ok(None),
            Some(Ok((k, _))) => Ok(Some(k)),
            Some(Err(e)) => Err(self.rocks(e)),
        }
    }

    /// Whether the genesis state was written.
    pub fn is_initialised(&self) -> Result<bool, StorageError> {
        Ok(self.get_cf(cf::META, meta_key::TIP)?.is_some())
    }

    /// Write the genesis block and state (a new directory only), in one synced batch.
    pub fn init_genesis(&self, g: GenesisBatch<'_>) -> Result<(), StorageError> {
        if self.is_initialised()? {
            return Err(StorageError::Refused {
                dir: self.dir.clone(),
                what: "genesis written twice".into(),
            });
        }
        if g.block.header.height != 0 || g.block.hash() != self.identity.genesis_hash {
            return Err(StorageError::Refused {
                dir: self.dir.clone(),
                what: "the genesis block is not the configured genesis".into(),
            });
        }
        let mut b = WriteBatch::default();
        b.put_cf(self.cf(cf::META), meta_key::SCHEMA, encode(&SCHEMA_VERSION));
        b.put_cf(
            self.cf(cf::META),
            meta_key::CHAIN_ID,
            encode(&self.identity.chain_id),
        );
        b.put_cf(
            self.cf(cf::META),
            meta_key::GENESIS_HASH,
            encode(&self.identity.genesis_hash),
        );
        let sets = vec![(1u64, g.set.clone())];
        b.put_cf(self.cf(cf::SETS), height_key(1), encode(g.set));
        self.block_writes(&mut b, g.block, None, g.writes, g.tree, &sets);
        b.put_cf(self.cf(cf::VOTES), VOTE_RECORD_KEY, encode(g.record));
        self.db.write_opt(b, &synced()).map_err(|e| self.rocks(e))
    }

    /// The writes of a committed block shared by genesis and [`Store::commit`].
    fn block_writes(
        &self,
        b: &mut WriteBatch,
        block: &Block,
        cert: Option<&CommitCertificate>,
        writes: &WriteSet,
        tree: &TreeUpdate,
        sets: &[(u64, ValidatorSet)],
    ) {
        let h = block.header.height;
        let hash = block.hash();
        let bytes = encode(block);
        b.put_cf(self.cf(cf::BLOCKS), height_key(h), &bytes);
        // A layout that does not cover the encoding exactly is not written: readers then
        // decode the block (never a wrong offset).
        if let Some(layout) = block_tx_layout(block, bytes.len()) {
            b.put_cf(self.cf(cf::BLOCK_TXS), height_key(h), layout);
        }
        if let Some(cert) = cert {
            b.put_cf(self.cf(cf::CERTS), height_key(h), encode(cert));
        }
        b.put_cf(self.cf(cf::BLOCK_HASHES), hash.as_bytes(), height_key(h));
        for (i, tx) in block.txs.iter().enumerate() {
            let loc = TxLocation {
                height: h,
                index: i as u32,
            };
            let id = tx.id();
            b.put_cf(self.cf(cf::TX_INDEX), id.as_bytes(), encode(&loc));
            let mut k = tx.body.signer.0.to_vec();
            k.extend_from_slice(&tx.body.sequence.to_be_bytes());
            b.put_cf(self.cf(cf::INDEXES), k, id.as_bytes());
        }
        let state = self.cf(cf::STATE);
        for (k, v) in &writes.0 {
            match v {
                Some(v) => b.put_cf(state, k, v),
                None => b.delete_cf(state, k),
            }
        }
        let nodes = self.cf(cf::STATE_NODES);
        for (k, n) in &tree.nodes {
            b.put_cf(nodes, node_key_bytes(k), encode(n));
        }
        let stale = self.cf(cf::STATE_STALE);
        for s in &tree.stale {
            let mut k = s.since.to_be_bytes().to_vec();
            k.extend_from_slice(&node_key_bytes(&s.key));
            b.put_cf(stale, k, []);
        }
        for (from, set) in sets {
            b.put_cf(self.cf(cf::SETS), height_key(*from), encode(set));
        }
        b.put_cf(self.cf(cf::META), meta_key::SETS, encode(&sets.to_vec()));
        let tip = Tip {
            height: h,
            hash,
            timestamp_ms: block.header.timestamp_ms,
            state_root: tree.root,
        };
        b.put_cf(self.cf(cf::META), meta_key::TIP, encode(&tip));
    }

    /// Commit a block: block, certificate, state changes and map nodes, indexes, validator
    /// sets, the next vote record and the tip in one synced batch. The block must be the tip's
    /// child and its header's state root the map's new root.
    pub fn commit(&self, c: CommitBatch<'_>) -> Result<Tip, StorageError> {
        let tip = self.tip()?;
        let h = c.block.header.height;
        if h != tip.height + 1 || c.block.header.parent != tip.hash {
            return Err(StorageError::Refused {
                dir: self.dir.clone(),
                what: format!(
                    "block {h} is not the child of the tip (height {}, {})",
                    tip.height, tip.hash
                ),
            });
        }
        if c.tree.version != h || c.tree.root != c.block.header.state_root {
            return Err(StorageError::Refused {
                dir: self.dir.clone(),
                what: format!("block {h}: its state root is not the executed one"),
            });
        }
        if c.cert.height != h || c.cert.block_hash != c.block.hash() {
            return Err(StorageError::Refused {
                dir: self.dir.clone(),
                what: format!("block {h}: the certificate names another block"),
            });
        }
        let mut b = WriteBatch::default();
        self.block_writes(&mut b, c.block, Some(c.cert), c.writes, c.tree, c.sets);
        self.prune_writes(&mut b, h)?;
        // The blocks the previous vote record named are of this height: never needed again.
        let votes = self.cf(cf::VOTES);
        b.delete_range_cf(votes, VOTE_BLOCK_PREFIX, &prefix_end(VOTE_BLOCK_PREFIX));
        b.put_cf(votes, VOTE_RECORD_KEY, encode(c.record));
        self.db.write_opt(b, &synced()).map_err(|e| self.rocks(e))?;
        Ok(Tip {
            height: h,
            hash: c.block.hash(),
            timestamp_ms: c.block.header.timestamp_ms,
            state_root: c.tree.root,
        })
    }

    /// With `state_versions_kept` = k, the deletes that go with committing version `h`: every
    /// map node made stale by a version up to `h − k + 1` (only versions before the last k
    /// needed it) and its stale entry, and the new oldest kept version. Nothing without k.
    fn prune_writes(&self, b: &mut WriteBatch, h: u64) -> Result<(), StorageError> {
        let k = self.state_versions_kept;
        if k == 0 || h < k {
            return Ok(());
        }
        let kept_from = h + 1 - k;
        let stale = self.cf(cf::STATE_STALE);
        let nodes = self.cf(cf::STATE_NODES);
        let end = (kept_from + 1).to_be_bytes();
        let mut ro = ReadOptions::default();
        ro.set_iterate_upper_bound(end.to_vec());
        for item in self.db.iterator_cf_opt(stale, ro, IteratorMode::Start) {
            let (key, _) = item.map_err(|e| self.rocks(e))?;
            if key.len() <= 8 {
                return Err(self.corrupt(format!(
                    "column family state_stale, key {}: too short",
                    hex_short(&key)
                )));
            }
            b.delete_cf(nodes, &key[8..]);
            b.delete_cf(stale, &key);
        }
        b.put_cf(
            self.cf(cf::META),
            meta_key::STATE_KEPT_FROM,
            encode(&kept_from),
        );
        Ok(())
    }

    /// The oldest version of the state map that can still be proven against (0: every one).
    pub fn state_kept_from(&self) -> Result<u64, StorageError> {
        Ok(self
            .decode_cf::<u64>(cf::META, meta_key::STATE_KEPT_FROM, 16)?
            .unwrap_or(0))
    }

    /// Replace the vote record (synced before it returns).
    pub fn persist_vote(&self, record: &VoteRecord) -> Result<(), StorageError> {
        self.db
            .put_cf_opt(
                self.cf(cf::VOTES),
                VOTE_RECORD_KEY,
                encode(record),
                &synced(),
            )
            .map_err(|e| self.rocks(e))
    }

    /// Store a block of the current height that a vote record will name (synced).
    pub fn store_vote_block(&self, hash: &Hash, block: &Block) -> Result<(), StorageError> {
        let mut k = VOTE_BLOCK_PREFIX.to_vec();
        k.extend_from_slice(hash.as_bytes());
        self.db
            .put_cf_opt(self.cf(cf::VOTES), k, encode(block), &synced())
            .map_err(|e| self.rocks(e))
    }

    /// The last committed block.
    pub fn tip(&self) -> Result<Tip, StorageError> {
        self.decode_cf(cf::META, meta_key::TIP, 256)?
            .ok_or_else(|| self.corrupt("no tip: genesis was never written"))
    }

    /// The validator sets in force from the height after the tip (as the last commit wrote
    /// them).
    pub fn current_sets(&self) -> Result<Vec<(u64, ValidatorSet)>, StorageError> {
        self.decode_cf(cf::META, meta_key::SETS, MAX_META_BYTES)?
            .ok_or_else(|| self.corrupt("column family meta: no validator sets"))
    }

    /// Every validator set by the first height it is in force (the history, [`cf::SETS`]), in
    /// height order; at most `max` entries (more is a damaged directory).
    pub fn set_history(&self, max: usize) -> Result<Vec<(u64, ValidatorSet)>, StorageError> {
        let mut out = Vec::new();
        for item in self.db.iterator_cf(self.cf(cf::SETS), IteratorMode::Start) {
            let (k, v) = item.map_err(|e| self.rocks(e))?;
            let bad = |what: String| {
                self.corrupt(format!("column family sets, key {}: {what}", hex_short(&k)))
            };
            let from = <[u8; 8]>::try_from(&k[..])
                .map(u64::from_be_bytes)
                .map_err(|_| bad("not a height".into()))?;
            let set = decode(&v, MAX_META_BYTES).map_err(|e| bad(e.to_string()))?;
            if out.len() >= max {
                return Err(bad(format!("more than {max} validator sets")));
            }
            out.push((from, set));
        }
        Ok(out)
    }

    /// The validator set in force at `height` (from the history of sets).
    pub fn set_at(&self, height: u64) -> Result<Option<ValidatorSet>, StorageError> {
        self.snapshot().set_at(height)
    }

    /// The committed block at `height`.
    pub fn block(&self, height: u64) -> Result<Option<Block>, StorageError> {
        self.decode_cf(cf::BLOCKS, &height_key(height), self.max_block_bytes)
    }

    /// The certificate of the block at `height` (none for genesis).
    pub fn cert(&self, height: u64) -> Result<Option<CommitCertificate>, StorageError> {
        self.decode_cf(cf::CERTS, &height_key(height), MAX_META_BYTES)
    }

    /// The height of a committed block.
    pub fn height_of(&self, hash: &Hash) -> Result<Option<u64>, StorageError> {
        match self.get_cf(cf::BLOCK_HASHES, hash.as_bytes())? {
            None => Ok(None),
            Some(v) => {
                let b: [u8; 8] = v
                    .as_slice()
                    .try_into()
                    .map_err(|_| self.corrupt(format!("column family block_hashes, key {hash}")))?;
                Ok(Some(u64::from_be_bytes(b)))
            }
        }
    }

    /// Where a committed transaction is.
    pub fn tx_location(&self, id: &Hash) -> Result<Option<TxLocation>, StorageError> {
        self.decode_cf(cf::TX_INDEX, id.as_bytes(), 64)
    }

    /// The committed transaction of `signer` with `sequence` (node-local index).
    pub fn tx_of_signer(
        &self,
        signer: &PublicKey,
        sequence: u64,
    ) -> Result<Option<Hash>, StorageError> {
        let mut k = signer.0.to_vec();
        k.extend_from_slice(&sequence.to_be_bytes());
        self.decode_cf(cf::INDEXES, &k, 64)
    }

    /// What the driver made durable, for [`tracechain_consensus::Input::Restore`]: the last
    /// committed block, the validator sets, the vote record and the blocks it names.
    pub fn persisted_state(&self) -> Result<PersistedState, StorageError> {
        let tip = self.tip()?;
        let cert =
            if tip.height == 0 {
                None
            } else {
                Some(self.cert(tip.height)?.ok_or_else(|| {
                    self.corrupt(format!("no certificate at the tip {}", tip.height))
                })?)
            };
        let record: VoteRecord = self
            .decode_cf(cf::VOTES, VOTE_RECORD_KEY, MAX_META_BYTES)?
            .ok_or_else(|| self.corrupt("column family votes: no vote record"))?;
        let mut blocks = Vec::new();
        for item in self
            .db
            .prefix_iterator_cf(self.cf(cf::VOTES), VOTE_BLOCK_PREFIX)
        {
            let (k, v) = item.map_err(|e| self.rocks(e))?;
            if !k.starts_with(VOTE_BLOCK_PREFIX) {
                break;
            }
            let block: Block = decode(&v, self.max_block_bytes).map_err(|e| {
                self.corrupt(format!("column family votes, key {}: {e}", hex_short(&k)))
            })?;
            blocks.push(block);
        }
        Ok(PersistedState {
            last: LastCommitted {
                height: tip.height,
                hash: tip.hash,
                timestamp_ms: tip.timestamp_ms,
                cert,
            },
            sets: self.current_sets()?,
            record,
            blocks,
        })
    }

    /// Store personal data under `key` in the private store (synced).
    pub fn put_private(&self, key: &[u8], value: &[u8]) -> Result<(), StorageError> {
        self.db
            .put_cf_opt(self.cf(cf::PRIVATE), key, value, &synced())
            .map_err(|e| self.rocks(e))
    }

    /// Personal data under `key`.
    pub fn get_private(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        self.get_cf(cf::PRIVATE, key)
    }

    /// Personal data under `prefix`, at most `limit` entries.
    pub fn private_scan(&self, prefix: &[u8], limit: usize) -> Result<Entries, StorageError> {
        self.scan_cf(cf::PRIVATE, None, prefix, None, limit)
    }

    /// The stored value of a state key, or the error (the [`StateView`] impl stops the node
    /// on an error instead).
    pub fn state_get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        self.get_cf(cf::STATE, key)
    }

    /// Entries of the state under `prefix` after `after`, at most `limit` (read from one
    /// snapshot, like every read of the API).
    pub fn state_scan(
        &self,
        prefix: &[u8],
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Entries, StorageError> {
        self.scan_state(None, prefix, after, limit)
    }

    /// An entry of the node's EPCIS repository ([`cf::EPCIS`]); none when the family is
    /// absent (a directory opened read-only before it existed).
    pub fn epcis_get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        match self.db.cf_handle(cf::EPCIS) {
            Some(h) => self.db.get_cf(h, key).map_err(|e| self.rocks(e)),
            None => Ok(None),
        }
    }

    /// Write (`Some`) and delete (`None`) entries of the EPCIS repository in one synced batch.
    pub fn epcis_write(&self, entries: &[(Vec<u8>, Option<Vec<u8>>)]) -> Result<(), StorageError> {
        let mut b = WriteBatch::default();
        let h = self.cf(cf::EPCIS);
        for (k, v) in entries {
            match v {
                Some(v) => b.put_cf(h, k, v),
                None => b.delete_cf(h, k),
            }
        }
        self.db.write_opt(b, &synced()).map_err(|e| self.rocks(e))
    }

    /// Entries of the EPCIS repository under `prefix` after `after`, at most `limit`.
    pub fn epcis_scan(
        &self,
        prefix: &[u8],
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Entries, StorageError> {
        if self.db.cf_handle(cf::EPCIS).is_none() {
            return Ok(Vec::new());
        }
        self.scan_cf(cf::EPCIS, None, prefix, after, limit)
    }

    fn scan_state(
        &self,
        snap: Option<&rocksdb::Snapshot<'_>>,
        prefix: &[u8],
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Entries, StorageError> {
        self.scan_cf(cf::STATE, snap, prefix, after, limit)
    }

    /// The one prefix scan of a family, of the latest data or of a snapshot (no snapshot is
    /// taken for the contracts' reads while executing: they are on the commit path).
    fn scan_cf(
        &self,
        family: &str,
        snap: Option<&rocksdb::Snapshot<'_>>,
        prefix: &[u8],
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Entries, StorageError> {
        let mut out = Vec::new();
        if limit == 0 {
            return Ok(out);
        }
        let mut ro = ReadOptions::default();
        if let Some(snap) = snap {
            ro.set_snapshot(snap);
        }
        ro.set_iterate_lower_bound(prefix.to_vec());
        if let Some(end) = prefix_end_opt(prefix) {
            ro.set_iterate_upper_bound(end);
        }
        let start: Vec<u8> = match after {
            Some(a) if a >= prefix => {
                let mut s = a.to_vec();
                s.push(0);
                s
            }
            _ => prefix.to_vec(),
        };
        let it = self.db.iterator_cf_opt(
            self.cf(family),
            ro,
            IteratorMode::From(&start, Direction::Forward),
        );
        for item in it {
            let (k, v) = item.map_err(|e| self.rocks(e))?;
            if !k.starts_with(prefix) {
                break;
            }
            out.push((k.into_vec(), v.into_vec()));
            if out.len() == limit {
                break;
            }
        }
        Ok(out)
    }

    /// A stored node of the authenticated map.
    pub fn map_node(&self, key: &NodeKey) -> Result<Option<Node>, StorageError> {
        self.decode_cf(cf::STATE_NODES, &node_key_bytes(key), MAX_META_BYTES)
    }

    /// Compact the state column families into their last level (what background compaction
    /// reaches in steady state): a prefix scan then merges one sorted run instead of several.
    /// For a data directory built offline (`tracechain bench fixture`); a running node's
    /// RocksDB compacts in the background.
    pub fn compact_state(&self) -> Result<(), StorageError> {
        self.flush()?;
        for name in [cf::STATE, cf::STATE_NODES] {
            self.db
                .compact_range_cf(self.cf(name), None::<&[u8]>, None::<&[u8]>);
        }
        Ok(())
    }

    /// Flush memtables to disk (tests, shutdown); durability does not depend on it.
    pub fn flush(&self) -> Result<(), StorageError> {
        for name in cf::ALL {
            self.db.flush_cf(self.cf(name)).map_err(|e| self.rocks(e))?;
        }
        Ok(())
    }
}

/// Committed state as the contracts read it. A read error means broken storage: the node
/// stops (ADR 0020; the consensus thread turns the panic into a fail-stop exit).
impl StateView for Store {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.state_get(key)
            .unwrap_or_else(|e| panic!("state unreadable: {e}"))
    }

    fn scan(&self, prefix: &[u8], after: Option<&[u8]>, limit: usize) -> Vec<(Vec<u8>, Vec<u8>)> {
        self.state_scan(prefix, after, limit)
            .unwrap_or_else(|e| panic!("state unreadable: {e}"))
    }
}

/// The map's nodes as the state root computation reads them; a read or decode error is
/// reported as a missing node, which stops the node (`TreeError::MissingNode`).
impl NodeReader for Store {
    fn node(&self, key: &NodeKey) -> Option<Cow<'_, Node>> {
        self.map_node(key).ok().flatten().map(Cow::Owned)
    }
}

/// The smallest key above every key starting with `prefix` (none when `prefix` is all 0xff).
fn prefix_end_opt(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

fn prefix_end(prefix: &[u8]) -> Vec<u8> {
    prefix_end_opt(prefix).unwrap_or_else(|| vec![0xff; prefix.len() + 1])
}

fn hex_short(key: &[u8]) -> String {
    let printable = key.iter().take(48).all(|b| b.is_ascii_graphic());
    if printable {
        String::from_utf8_lossy(&key[..key.len().min(48)]).into_owned()
    } else {
        hex::encode(&key[..key.len().min(48)])
    }
}

#[cfg(test)]
mod tests;
