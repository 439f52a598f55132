//! Executing a block on top of the committed tip: the check a validator runs before voting for
//! a proposal (and before committing a certified block it has no verdict for). Kept apart from
//! the consensus thread so that it is tested on a real store with the blocks a Byzantine
//! primary would send.

use tracechain_contracts::{
    execute_block, BlockContext, BlockExecution, ChainParams, ParentTree, VerifiedTx,
};
use tracechain_storage::Store;
use tracechain_types::{encode, Block, ChainId, Ed25519, ValidatorSet};

/// The validator set in force at `height` (from the sets the last commit wrote).
pub fn set_at(store: &Store, height: u64) -> Result<ValidatorSet, String> {
    let sets = store.current_sets().map_err(|e| e.to_string())?;
    sets.iter()
        .rev()
        .find(|(from, _)| *from <= height)
        .map(|(_, s)| s.clone())
        .ok_or_else(|| format!("no validator set known for height {height}"))
}

/// The block context of `height` with time `timestamp_ms`.
pub fn context(
    store: &Store,
    chain_id: &ChainId,
    params: &ChainParams,
    height: u64,
    timestamp_ms: u64,
) -> Result<BlockContext, String> {
    Ok(BlockContext {
        chain_id: chain_id.clone(),
        height,
        timestamp_ms,
        validators: set_at(store, height)?,
        params: params.clone(),
    })
}

/// Verify and execute `block` as the child of the committed tip: size (when
/// `max_block_bytes` is given: this node's own limit, which decides its vote but never whether
/// a certified block commits), transaction root, every signature, parent and height, execution
/// through the contracts, and the header's state root.
pub fn execute_on_tip(
    store: &Store,
    chain_id: &ChainId,
    params: &ChainParams,
    block: &Block,
    max_block_bytes: Option<usize>,
) -> Result<BlockExecution, String> {
    if let Some(max) = max_block_bytes {
        let size = encode(block).len();
        if size > max {
            return Err(format!("block of {size} bytes is over the limit of {max}"));
        }
    }
    if block.header.chain_id != *chain_id {
        return Err(format!("block of chain {}", block.header.chain_id.as_str()));
    }
    if !block.tx_root_matches() {
        return Err("transaction root does not match".into());
    }
    let txs = VerifiedTx::verify_all(block.txs.clone(), chain_id, &Ed25519)
        .map_err(|e| format!("transaction signature: {e}"))?;
    let tip = store.tip().map_err(|e| e.to_string())?;
    if block.header.parent != tip.hash || block.header.height != tip.height + 1 {
        return Err("not the child of the committed tip".into());
    }
    let ctx = context(
        store,
        chain_id,
        params,
        block.header.height,
        block.header.timestamp_ms,
    )?;
    let exec = execute_block(&txs, &ctx, ParentTree::at(store, tip.height), store)
        .map_err(|e| e.to_string())?;
    if exec.state_root != block.header.state_root {
        return Err(format!(
            "state root {} is not the executed {}",
            block.header.state_root, exec.state_root
        ));
    }
    Ok(exec)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracechain_contracts::genesis::{Genesis, GenesisParticipant};
    use tracechain_storage::StoreOptions;
    use tracechain_types::payload::{ParticipantRecord, Payload};
    use tracechain_types::records::{
        Agency, Identity, ParticipantCategory, ParticipantRegistration, RegistrationId,
    };
    use tracechain_types::{BlockHeader, Hash, SecretKey, Transaction, TxBody, Validator};

    fn uscc(n: u64) -> String {
        let body = format!("91350100{n:09}");
        let check = tracechain_gs1::uscc_check_character(&body).unwrap();
        format!("{body}{check}")
    }

    fn registration(category: ParticipantCategory, n: u64) -> ParticipantRegistration {
        ParticipantRegistration {
            category,
            node_types: vec![],
            identity: Identity::Organisation {
                legal_name: format!("Company {n}"),
                registration_id: RegistrationId::Uscc(uscc(n)),
            },
            country: "CN".into(),
            identity_document: Hash::digest(&n.to_le_bytes()),
        }
    }

    fn genesis() -> Genesis {
        Genesis {
            chain_id: ChainId::new("exec-test").unwrap(),
            timestamp_ms: 1_000,
            validators: ValidatorSet::new(vec![Validator {
                public_key: SecretKey::from_seed([1; 32]).public(),
                name: "customs".into(),
            }])
            .unwrap(),
            regulators: vec![GenesisParticipant {
                key: SecretKey::from_seed([2; 32]).public(),
                registration: registration(ParticipantCategory::Regulator(Agency::Customs), 1),
            }],
            params: Default::default(),
        }
    }

    fn register(g: &Genesis, seed: u8, n: u64) -> Transaction {
        let key = SecretKey::from_seed([seed; 32]);
        TxBody {
            signer: key.public(),
            sequence: 0,
            expiry_height: 100,
            payload: Payload::Participant(ParticipantRecord::RegisterParticipant(registration(
                ParticipantCategory::Logistics,
                n,
            ))),
        }
        .sign(&g.chain_id, &key)
    }

    /// An honest proposal of `txs` on the tip: its state root is the executed one.
    fn proposal(store: &Store, g: &Genesis, txs: Vec<Transaction>) -> Block {
        let tip = store.tip().unwrap();
        let mut block = Block {
            header: BlockHeader {
                chain_id: g.chain_id.clone(),
                height: tip.height + 1,
                view: 0,
                parent: tip.hash,
                timestamp_ms: tip.timestamp_ms + 1,
                tx_root: Block::compute_tx_root(&txs),
                state_root: Hash::default(),
                proposer: g.validators.validators()[0].public_key,
                validator_set_hash: g.validators.hash(),
            },
            txs,
        };
        let vtxs = VerifiedTx::verify_all(block.txs.clone(), &g.chain_id, &Ed25519).unwrap();
        let ctx = context(
            store,
            &g.chain_id,
            &g.params,
            block.header.height,
            block.header.timestamp_ms,
        )
        .unwrap();
        let exec = execute_block(&vtxs, &ctx, ParentTree::at(store, tip.height), store).unwrap();
        block.header.state_root = exec.state_root;
        block
    }

    fn refused(store: &Store, g: &Genesis, block: &Block, vote: Option<usize>) -> String {
        execute_on_tip(store, &g.chain_id, &g.params, block, vote).expect_err("refused")
    }

    #[test]
    fn a_byzantine_primarys_proposals_are_refused_and_an_honest_one_executes() {
        let dir = tempfile::tempdir().unwrap();
        let g = genesis();
        let (store, _) = crate::node::open_store(dir.path(), &g, &StoreOptions::default()).unwrap();
        let honest = proposal(&store, &g, vec![register(&g, 10, 10), register(&g, 11, 11)]);
        let exec = execute_on_tip(&store, &g.chain_id, &g.params, &honest, Some(1 << 20)).unwrap();
        assert_eq!(exec.state_root, honest.header.state_root);
        assert_eq!(exec.write_sets.len(), 2);

        // A state root that is not the executed one.
        let mut b = honest.clone();
        b.header.state_root.0[0] ^= 1;
        assert!(refused(&store, &g, &b, None).contains("state root"));
        // Transactions that are not the ones the header commits to.
        let mut b = honest.clone();
        b.txs.swap(0, 1);
        assert!(refused(&store, &g, &b, None).contains("transaction root"));
        // A forged signature (root recomputed so only the signature is wrong).
        let mut b = honest.clone();
        b.txs[0].signature.0[5] ^= 1;
        b.header.tx_root = Block::compute_tx_root(&b.txs);
        assert!(refused(&store, &g, &b, None).contains("signature"));
        // Not the child of the tip: another parent, or a height that skips.
        let mut b = honest.clone();
        b.header.parent = Hash([7; 32]);
        assert!(refused(&store, &g, &b, None).contains("child of the committed tip"));
        let mut b = honest.clone();
        b.header.height += 1;
        assert!(refused(&store, &g, &b, None).contains("child of the committed tip"));
        // Another chain.
        let mut b = honest.clone();
        b.header.chain_id = ChainId::new("elsewhere").unwrap();
        assert!(refused(&store, &g, &b, None).contains("chain"));
        // A transaction the contracts refuse (the same key registering twice in one block).
        let twice = TxBody {
            sequence: 1,
            ..register(&g, 10, 10).body
        }
        .sign(&g.chain_id, &SecretKey::from_seed([10; 32]));
        let mut b = honest.clone();
        b.txs.push(twice);
        b.header.tx_root = Block::compute_tx_root(&b.txs);
        assert!(
            refused(&store, &g, &b, None).contains("transaction 2"),
            "{}",
            refused(&store, &g, &b, None)
        );
        // Over this node's size limit: no vote, but a certified block still executes.
        let size = encode(&honest).len();
        assert!(refused(&store, &g, &honest, Some(size - 1)).contains("over the limit"));
        assert!(execute_on_tip(&store, &g.chain_id, &g.params, &honest, None).is_ok());
    }
}
