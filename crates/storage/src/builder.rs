//! Building a data directory without a network: execute blocks of transactions through the
//! contracts on top of the stored tip and commit each with a certificate signed by the given
//! validator keys — the same bytes a consortium would have stored. For fixtures (the read
//! API's tests, `tracechain bench fixture`) and nothing that runs consensus.

use tracechain_consensus::VoteRecord;
use tracechain_contracts::genesis::Genesis;
use tracechain_contracts::{execute_block, BlockContext, ParentTree, VerifiedTx};
use tracechain_types::{
    commit_signing_bytes, Block, BlockHeader, ChainId, CommitCertificate, CommitVote, Ed25519,
    SecretKey, Transaction,
};

use super::{ChainIdentity, GenesisBatch, Store, StoreOptions, Tip};
use crate::CommitBatch;

/// Why a block could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The genesis does not build.
    #[error("genesis: {0}")]
    Genesis(String),
    /// The keys given are not the genesis validators.
    #[error("the keys given are not the validator set of the genesis")]
    Keys,
    /// A transaction the builder does not apply (validator-set changes).
    #[error("transaction {0}: validator-set changes are not applied by the builder")]
    SetChange(usize),
    /// A transaction's signature or execution failed.
    #[error("{0}")]
    Refused(String),
    /// Storage.
    #[error(transparent)]
    Storage(#[from] super::StorageError),
}

/// A store being filled block by block.
#[derive(Debug)]
pub struct ChainBuilder {
    store: std::sync::Arc<Store>,
    genesis: Genesis,
    keys: Vec<SecretKey>,
}

impl ChainBuilder {
    /// Open (or create with the genesis state) the store in `dir`; `keys` are the secret keys
    /// of the genesis validators and of any validator a later set change brings in, in any
    /// order.
    pub fn open(
        dir: &std::path::Path,
        genesis: &Genesis,
        keys: Vec<SecretKey>,
        opts: &StoreOptions,
    ) -> Result<ChainBuilder, BuildError> {
        let g = genesis
            .build()
            .map_err(|e| BuildError::Genesis(e.to_string()))?;
        let publics: std::collections::BTreeSet<_> = keys.iter().map(SecretKey::public).collect();
        if !genesis
            .validators
            .validators()
            .iter()
            .all(|v| publics.contains(&v.public_key))
        {
            return Err(BuildError::Keys);
        }
        let identity = ChainIdentity {
            chain_id: genesis.chain_id.clone(),
            genesis_hash: g.block.hash(),
        };
        let store = Store::open(dir, &identity, opts)?;
        if !store.is_initialised()? {
            store.init_genesis(GenesisBatch {
                block: &g.block,
                writes: &g.writes,
                tree: &g.tree,
                set: &genesis.validators,
                record: &VoteRecord {
                    height: 1,
                    view: 0,
                    signed: Default::default(),
                    prepared: None,
                },
            })?;
        }
        let mut keys = keys;
        keys.sort_by_key(SecretKey::public);
        Ok(ChainBuilder {
            store: std::sync::Arc::new(store),
            genesis: genesis.clone(),
            keys,
        })
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The store, shared: readers (an API under test) see each block the builder appends.
    pub fn shared(&self) -> std::sync::Arc<Store> {
        self.store.clone()
    }

    /// The store, closing the builder (when nothing else shares it).
    pub fn into_store(self) -> Result<Store, BuildError> {
        std::sync::Arc::try_unwrap(self.store)
            .map_err(|_| BuildError::Refused("the store is still shared".into()))
    }

    /// The chain id.
    pub fn chain_id(&self) -> &ChainId {
        &self.genesis.chain_id
    }

    /// Execute `txs` as the next block at `timestamp_ms` (later than the tip's) and commit it
    /// with a certificate of every validator. The whole block is refused if one transaction
    /// is.
    pub fn append(&mut self, txs: Vec<Transaction>, timestamp_ms: u64) -> Result<Tip, BuildError> {
        let tip = self.store.tip()?;
        let height = tip.height + 1;
        let mut sets = self.store.current_sets()?;
        let set = sets
            .iter()
            .rev()
            .find(|(from, _)| *from <= height)
            .map(|(_, s)| s.clone())
            .ok_or(BuildError::Keys)?;
        let signers: Vec<&SecretKey> = set
            .validators()
            .iter()
            .map(|v| self.keys.iter().find(|k| k.public() == v.public_key))
            .collect::<Option<_>>()
            .ok_or(BuildError::Keys)?;
        let verified = VerifiedTx::verify_all(txs.clone(), &self.genesis.chain_id, &Ed25519)
            .map_err(|e| BuildError::Refused(format!("signature: {e}")))?;
        let ctx = BlockContext {
            chain_id: self.genesis.chain_id.clone(),
            height,
            timestamp_ms: timestamp_ms.max(tip.timestamp_ms + 1),
            validators: set.clone(),
            params: self.genesis.params.clone(),
        };
        let exec = execute_block(
            &verified,
            &ctx,
            ParentTree::at(&*self.store, tip.height),
            &*self.store,
        )
        .map_err(|e| BuildError::Refused(e.to_string()))?;
        let proposer = tracechain_consensus::primary_of(&set, height, 0);
        let block = Block {
            header: BlockHeader {
                chain_id: self.genesis.chain_id.clone(),
                height,
                view: 0,
                parent: tip.hash,
                timestamp_ms: ctx.timestamp_ms,
                tx_root: Block::compute_tx_root(&txs),
                state_root: exec.state_root,
                proposer,
                validator_set_hash: set.hash(),
            },
            txs,
        };
        let hash = block.hash();
        let msg = commit_signing_bytes(&self.genesis.chain_id, height, 0, &hash);
        let cert = CommitCertificate {
            height,
            view: 0,
            block_hash: hash,
            votes: signers
                .iter()
                .map(|k| CommitVote {
                    validator: k.public(),
                    signature: k.sign(&msg),
                })
                .collect(),
        };
        // VS1, as the replica keeps its sets: a change decided here is in force from
        // height + 2; sets no longer needed after the next height are dropped.
        if let Some(next) = tracechain_contracts::validators::set_change_of(&block) {
            let from = height + tracechain_contracts::validators::ACTIVATION_DELAY;
            sets.retain(|(k, _)| *k < from);
            sets.push((from, next));
        }
        while sets.len() >= 2 && sets[1].0 <= height + 1 {
            sets.remove(0);
        }
        Ok(self.store.commit(CommitBatch {
            block: &block,
            cert: &cert,
            writes: &exec.combined,
            tree: &exec.tree,
            sets: &sets,
            record: &VoteRecord {
                height: height + 1,
                view: 0,
                signed: Default::default(),
                prepared: None,
            },
        })?)
    }
}
