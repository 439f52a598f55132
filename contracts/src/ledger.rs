//! The state and its authenticated map kept together in memory, advanced block by block
//! (tests, replay, benchmarks). Above the dispatcher: it executes blocks with
//! [`crate::exec`] and computes their roots with [`crate::state_root`].

use tracechain_types::state_map::{MemoryNodeStore, StateProof, TreeError};
use tracechain_types::Hash;

use crate::context::BlockContext;
use crate::exec::{execute_block, BlockError, BlockExecution};
use crate::state::{MemoryState, State, WriteSet};
use crate::state_root::{state_tree_update, ParentTree};
use crate::verified_tx::VerifiedTx;

/// The key-value state and its authenticated map in memory, advanced block by block.
#[derive(Debug, Default, Clone)]
pub struct MemoryLedger {
    state: MemoryState,
    nodes: MemoryNodeStore,
    root: Hash,
}

impl MemoryLedger {
    /// Before genesis: empty state, empty map.
    pub fn new() -> MemoryLedger {
        MemoryLedger::default()
    }

    /// The current state.
    pub fn state(&self) -> &MemoryState {
        &self.state
    }

    /// The stored map (every version written and not pruned).
    pub fn nodes(&self) -> &MemoryNodeStore {
        &self.nodes
    }

    /// The latest version (height), `None` before the first.
    pub fn version(&self) -> Option<u64> {
        self.nodes.latest()
    }

    /// The current state root.
    pub fn root(&self) -> Hash {
        self.root
    }

    /// The current version as the parent of the next block.
    pub fn parent(&self) -> ParentTree<'_> {
        ParentTree {
            nodes: &self.nodes,
            version: self.nodes.latest(),
        }
    }

    /// Execute a block on the current state ([`execute_block`]); nothing changes until
    /// [`MemoryLedger::commit`].
    pub fn execute_block(
        &self,
        txs: &[VerifiedTx],
        ctx: &BlockContext,
    ) -> Result<BlockExecution, BlockError> {
        execute_block(txs, ctx, self.parent(), &self.state)
    }

    /// Commit an executed block: its writes and its version of the map.
    pub fn commit(&mut self, exec: BlockExecution) {
        self.root = exec.state_root;
        self.nodes.write(exec.tree);
        self.state.apply_owned(exec.combined);
    }

    /// Commit a write set directly as `version` (genesis state, test fixtures); returns the
    /// root.
    pub fn commit_writes(&mut self, version: u64, ws: WriteSet) -> Hash {
        let update = state_tree_update(self.parent(), version, &ws);
        self.root = update.root;
        self.nodes.write(update);
        self.state.apply_owned(ws);
        self.root
    }

    /// A proof of `key` at a kept `version`.
    pub fn prove(&self, version: u64, key: &[u8]) -> Result<StateProof, TreeError> {
        self.nodes.prove(version, key)
    }

    /// Forget versions before `keep_from`.
    pub fn prune(&mut self, keep_from: u64) {
        self.nodes.prune(keep_from);
    }
}
