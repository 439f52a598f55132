//! The genesis of a chain (ADR 0060): the block at height 0 and the state it starts from,
//! computed the same way by every node and by the auditor.
//!
//! The genesis state holds the chain parameters (`chain/params`) and the first regulators
//! (approved participants, so that someone can approve the rest, R-A1). Its root is the
//! genesis header's state root, so the genesis hash binds the chain id, the time, the first
//! validator set (`validator_set_hash`), the parameters and the first regulators: two nodes
//! with different genesis files have different genesis hashes and refuse each other's data.

use tracechain_types::records::{ParticipantCategory, ParticipantRegistration};
use tracechain_types::state_map::TreeUpdate;
use tracechain_types::{encode, Block, BlockHeader, ChainId, Hash, PublicKey, ValidatorSet};

use crate::context::{ChainParams, ChainParamsError};
use crate::registry;
use crate::state::{MemoryState, WriteSet};
use crate::state_root::{state_tree_update, ParentTree};

/// State key of the chain parameters.
pub const PARAMS_KEY: &[u8] = b"chain/params";

/// A participant approved at genesis (a first regulator).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenesisParticipant {
    /// Its signing key.
    pub key: PublicKey,
    /// Its registration.
    pub registration: ParticipantRegistration,
}

/// Everything a genesis is made of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Genesis {
    /// The chain.
    pub chain_id: ChainId,
    /// Genesis time (Unix ms); block 1's must be later.
    pub timestamp_ms: u64,
    /// The validators of heights 1 and 2.
    pub validators: ValidatorSet,
    /// The first regulators.
    pub regulators: Vec<GenesisParticipant>,
    /// Chain parameters.
    pub params: ChainParams,
}

/// Why a genesis is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GenesisError {
    /// A chain parameter is out of range.
    #[error("chain parameters: {0}")]
    Params(#[from] ChainParamsError),
    /// A first participant is not a regulator.
    #[error("genesis participant {0} is not a regulator: only regulators are approved at genesis")]
    NotARegulator(PublicKey),
    /// The same key twice.
    #[error("genesis participant {0} is listed twice")]
    Duplicate(PublicKey),
    /// No regulator: nobody could approve a participant.
    #[error("genesis names no regulator: nobody could approve the first participants")]
    NoRegulator,
}

/// The genesis block with its state and the map's version 0.
#[derive(Clone, Debug)]
pub struct GenesisState {
    /// The block at height 0.
    pub block: Block,
    /// The state it starts from (sorted).
    pub writes: WriteSet,
    /// Version 0 of the authenticated map.
    pub tree: TreeUpdate,
}

impl Genesis {
    /// Check the genesis: parameters in range, participants regulators, distinct, at least one.
    pub fn validate(&self) -> Result<(), GenesisError> {
        self.params.validate()?;
        if self.regulators.is_empty() {
            return Err(GenesisError::NoRegulator);
        }
        let mut seen = std::collections::BTreeSet::new();
        for p in &self.regulators {
            if !matches!(p.registration.category, ParticipantCategory::Regulator(_)) {
                return Err(GenesisError::NotARegulator(p.key));
            }
            if !seen.insert(p.key) {
                return Err(GenesisError::Duplicate(p.key));
            }
        }
        Ok(())
    }

    /// The genesis block and state (pure: the same on every node).
    pub fn build(&self) -> Result<GenesisState, GenesisError> {
        self.validate()?;
        let mut state = MemoryState::new();
        for p in &self.regulators {
            registry::genesis_participant(&mut state, p.key, p.registration.clone());
        }
        crate::state::State::put(&mut state, PARAMS_KEY.to_vec(), encode(&self.params));
        let writes = WriteSet(
            state
                .entries()
                .map(|(k, v)| (k.clone(), Some(v.clone())))
                .collect(),
        );
        let tree = state_tree_update(ParentTree::EMPTY, 0, &writes);
        let txs = Vec::new();
        let block = Block {
            header: BlockHeader {
                chain_id: self.chain_id.clone(),
                height: 0,
                view: 0,
                parent: Hash([0; 32]),
                timestamp_ms: self.timestamp_ms,
                tx_root: Block::compute_tx_root(&txs),
                state_root: tree.root,
                proposer: PublicKey([0; 32]),
                validator_set_hash: self.validators.hash(),
            },
            txs,
        };
        Ok(GenesisState {
            block,
            writes,
            tree,
        })
    }
}
