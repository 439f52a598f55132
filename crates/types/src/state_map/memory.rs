//! Nodes in memory (tests, the auditor's replay, benchmarks; the node stores them in its
//! database later).

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};

use super::tree::{self, Node, NodeKey, NodeReader, StaleNode, TreeError, TreeUpdate, Write};
use super::StateProof;
use crate::hash::Hash;

/// A fast hasher for node keys (their paths are already uniformly distributed; the map is not
/// exposed to outside input as keys).
#[derive(Default, Clone, Copy, Debug)]
pub struct NodeKeyHasher(u64);

impl Hasher for NodeKeyHasher {
    fn finish(&self) -> u64 {
        // The murmur3 finaliser: every output bit depends on every input bit (the table uses
        // the low bits for the bucket and the high bits as a tag).
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut w = [0u8; 8];
            w[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(w));
        }
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_u16(&mut self, i: u16) {
        self.write_u64(u64::from(i));
    }
    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }
}

/// Every kept version of the tree in memory: nodes by key and the stale-node index.
#[derive(Debug, Default, Clone)]
pub struct MemoryNodeStore {
    nodes: HashMap<NodeKey, Node, BuildHasherDefault<NodeKeyHasher>>,
    /// Stale nodes in the order their versions were written (so by `since`).
    stale: VecDeque<StaleNode>,
    latest: Option<u64>,
}

impl NodeReader for MemoryNodeStore {
    fn node(&self, key: &NodeKey) -> Option<Cow<'_, Node>> {
        self.nodes.get(key).map(Cow::Borrowed)
    }
}

impl MemoryNodeStore {
    /// An empty store (no version yet: the empty map).
    pub fn new() -> MemoryNodeStore {
        MemoryNodeStore::default()
    }

    /// The latest version written.
    pub fn latest(&self) -> Option<u64> {
        self.latest
    }

    /// Number of stored nodes (all kept versions).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Store a version's nodes and stale index (the version must follow the latest one).
    pub fn write(&mut self, update: TreeUpdate) {
        if let Some(l) = self.latest {
            assert!(
                update.version > l,
                "state tree version {} written after version {l}",
                update.version
            );
        }
        self.latest = Some(update.version);
        self.nodes.extend(update.nodes);
        self.stale.extend(update.stale);
    }

    /// Apply `writes` as `version` on top of the latest version, store it and return its root.
    pub fn apply(&mut self, version: u64, writes: Vec<Write>) -> Result<Hash, TreeError> {
        let update = tree::apply(self, self.latest, version, writes)?;
        let root = update.root;
        self.write(update);
        Ok(root)
    }

    /// Forget every version before `keep_from`: delete the nodes stale since `≤ keep_from`.
    pub fn prune(&mut self, keep_from: u64) {
        while let Some(first) = self.stale.front().copied() {
            if first.since > keep_from {
                break;
            }
            self.stale.pop_front();
            self.nodes.remove(&first.key);
        }
    }

    /// The root of `version`.
    pub fn root(&self, version: u64) -> Result<Hash, TreeError> {
        tree::root(self, version)
    }

    /// A proof of `key` at `version`.
    pub fn prove(&self, version: u64, key: &[u8]) -> Result<StateProof, TreeError> {
        tree::prove(self, version, key)
    }

    /// The value of `key` at `version`.
    pub fn get(&self, version: u64, key: &[u8]) -> Result<Option<Vec<u8>>, TreeError> {
        tree::get(self, version, key)
    }
}
