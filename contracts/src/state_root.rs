//! The state root (ADR 0050): the root of the authenticated map
//! (`tracechain_types::state_map`) over the whole consensus state after a block. Every key the
//! contracts write is consensus state, so every key is in the map.
//!
//! A block of height `h` writes version `h` of the map: its combined write set applied on top
//! of the parent's version ([`ParentTree`]). Computing it is pure (the new nodes come back in
//! [`TreeUpdate`], stored by the caller when the block commits), so a proposer, every backup
//! and the auditor compute the same root from the same parent. [`crate::MemoryLedger`] keeps the
//! key-value state and the map together in memory (tests, replay, benchmarks).

use std::borrow::Cow;

use tracechain_types::state_map::{self, tree, MemoryNodeStore, NodeKey, Write};
use tracechain_types::state_map::{Node, NodeReader, TreeError, TreeUpdate};
use tracechain_types::Hash;

use crate::state::{MemoryState, WriteSet};

/// The map of the parent block's state: where its nodes are and which version it is (`None`:
/// the empty map, before genesis).
#[derive(Clone, Copy)]
pub struct ParentTree<'a> {
    /// The stored nodes.
    pub nodes: &'a dyn NodeReader,
    /// The parent's version (its block height).
    pub version: Option<u64>,
}

impl std::fmt::Debug for ParentTree<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParentTree")
            .field("version", &self.version)
            .finish()
    }
}

/// A node reader without nodes (the empty map has none).
#[derive(Debug, Clone, Copy)]
struct NoNodes;

impl NodeReader for NoNodes {
    fn node(&self, _key: &NodeKey) -> Option<Cow<'_, Node>> {
        None
    }
}

impl ParentTree<'static> {
    /// The empty map: the parent of the genesis state.
    pub const EMPTY: ParentTree<'static> = ParentTree {
        nodes: &NoNodes,
        version: None,
    };
}

impl<'a> ParentTree<'a> {
    /// Version `version` of the map stored in `nodes`.
    pub fn at(nodes: &'a dyn NodeReader, version: u64) -> ParentTree<'a> {
        ParentTree {
            nodes,
            version: Some(version),
        }
    }

    /// The root of this version.
    pub fn root(&self) -> Hash {
        match self.version {
            None => state_map::EMPTY_ROOT,
            Some(v) => tree_or_stop(tree::root(self.nodes, v)),
        }
    }
}

/// A tree read that failed: a node the parent version refers to is missing. Like any read
/// error of committed state (ADR 0020) this is not a deterministic reason to refuse a block;
/// it means broken storage, and the node must stop.
fn tree_or_stop<T>(r: Result<T, TreeError>) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("state map unreadable: {e}"),
    }
}

/// Version `version` of the map: `ws` (sorted, one write per key, as a block's combined write
/// set) applied on top of `parent`. Its `root` is the state root; its nodes are what storage
/// keeps when the block commits. `version` must be above the parent's.
pub fn state_tree_update(parent: ParentTree<'_>, version: u64, ws: &WriteSet) -> TreeUpdate {
    let writes = ws.0.iter().map(|(k, v)| Write::new(k, v.clone())).collect();
    tree_or_stop(tree::apply(parent.nodes, parent.version, version, writes))
}

/// The map of a whole state as one version (the auditor's check of a state, tests).
pub fn authenticate(state: &MemoryState, version: u64) -> MemoryNodeStore {
    let mut nodes = MemoryNodeStore::new();
    let writes = state
        .entries()
        .map(|(k, v)| Write::new(k, Some(v.clone())))
        .collect();
    tree_or_stop(nodes.apply(version, writes));
    nodes
}
