//! Shared fixtures of the contract tests (parts A and B): seeded keys, a block context, a
//! state with approved participants, and a tiny driver that signs, executes and applies.
#![allow(dead_code)]

use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use tracechain_contracts::registry::{self, ParticipantState};
use tracechain_contracts::{
    execute, BlockContext, ChainParams, ContractError, MemoryState, State, WriteSet,
};
use tracechain_types::records::*;
use tracechain_types::{
    ChainId, Hash, Payload, PublicKey, SecretKey, Transaction, TxBody, Validator, ValidatorSet,
};

/// A deterministic key from a seed.
pub fn key(seed: u64) -> SecretKey {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    SecretKey::generate(&mut rng)
}

/// The test chain id.
pub fn chain() -> ChainId {
    ChainId::new("tracechain-test-1").unwrap()
}

/// Validators seeded 9000..9004.
pub fn validator_keys() -> Vec<SecretKey> {
    (9000..9004).map(key).collect()
}

/// A block context at `height` with the default parameters.
pub fn ctx(height: u64) -> BlockContext {
    let set = ValidatorSet::new(
        validator_keys()
            .iter()
            .enumerate()
            .map(|(i, k)| Validator {
                public_key: k.public(),
                name: format!("agency-{i}"),
            })
            .collect(),
    )
    .unwrap();
    BlockContext {
        chain_id: chain(),
        height,
        timestamp_ms: 1_714_550_400_000 + height * 1000,
        validators: set,
        params: ChainParams::default(),
    }
}

/// A registration with a valid identity for `category` / `node_types`.
pub fn registration(
    category: ParticipantCategory,
    node_types: Vec<NodeType>,
) -> ParticipantRegistration {
    ParticipantRegistration {
        category,
        node_types,
        legal_name: "Ningbo Example Export Co., Ltd.".into(),
        registration_id: RegistrationId::Uscc("91350100M000100Y43".into()),
        country: "CN".into(),
        identity_document: Hash::digest(b"business licence"),
    }
}

/// A test world: state plus a next-sequence counter per key and a height.
#[derive(Debug)]
pub struct World {
    pub state: MemoryState,
    pub height: u64,
    seqs: std::collections::BTreeMap<PublicKey, u64>,
}

impl World {
    pub fn new() -> World {
        World {
            state: MemoryState::new(),
            height: 1,
            seqs: Default::default(),
        }
    }

    /// Seed a participant directly in `state` (genesis-style), then force its state.
    pub fn seed(
        &mut self,
        seed: u64,
        category: ParticipantCategory,
        node_types: Vec<NodeType>,
        st: ParticipantState,
    ) -> SecretKey {
        let k = key(seed);
        registry::genesis_participant(
            &mut self.state,
            k.public(),
            registration(category, node_types),
        );
        if st != ParticipantState::Approved {
            let mut p = registry::load(&self.state, &k.public()).unwrap();
            p.state = st;
            self.state.put(
                tracechain_contracts::keys::participant(&k.public()),
                tracechain_types::encode(&p),
            );
        }
        k
    }

    /// A signed transaction with the signer's next sequence.
    pub fn tx(&self, k: &SecretKey, payload: Payload) -> Transaction {
        let seq = self.seqs.get(&k.public()).copied().unwrap_or(0);
        TxBody {
            signer: k.public(),
            sequence: seq,
            expiry_height: self.height + 10,
            payload,
        }
        .sign(&chain(), k)
    }

    /// Execute without applying.
    pub fn try_exec(&self, k: &SecretKey, payload: Payload) -> Result<WriteSet, ContractError> {
        execute(&self.tx(k, payload), &ctx(self.height), &self.state)
    }

    /// Execute and apply on success; the height advances by one either way.
    pub fn exec(&mut self, k: &SecretKey, payload: Payload) -> Result<WriteSet, ContractError> {
        let r = self.try_exec(k, payload);
        if let Ok(ws) = &r {
            self.state.apply(ws);
            *self.seqs.entry(k.public()).or_default() += 1;
        }
        self.height += 1;
        r
    }
}

/// A valid GTIN-13 (check digit computed): 690123456789 + check.
pub const GTIN: &str = "6901234567892";
/// A second valid GTIN.
pub const GTIN2: &str = "4006381333931";

/// A batch-level code.
pub fn batch(b: &str) -> TraceCode {
    TraceCode::Batch {
        gtin: GTIN.into(),
        batch: b.into(),
    }
}
