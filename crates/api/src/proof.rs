//! Proofs in API answers and their offline verification (ADR 0080): everything a client
//! needs to trust an answer without trusting the node.
//!
//! * A **record proof**: the signed transaction bytes, its position in its block and the
//!   Merkle path to that block's `tx_root` (for an item of a bulk import, the import's
//!   transaction and the item's index, the record id being derived from both).
//! * A **fact proof**: a state key with its `StateProof` against the state root of the height
//!   the answer was read at (present with its value, or absent).
//! * The **certified headers** those proofs rest on, each with its commit certificate, and
//!   the validator sets by hash that signed them.
//!
//! [`verify_record`] and [`verify_fact`] are pure; `tracechain proof verify` and the tests use
//! them.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use tracechain_types::block::tx_leaf;
use tracechain_types::state_map;
use tracechain_types::{
    decode, encode, BlockHeader, CommitCertificate, Ed25519, Hash, MerkleProof, MerkleTree,
    StateProof, Transaction, ValidatorSet,
};

/// Largest signed transaction a record proof carries.
pub const MAX_PROOF_TX_BYTES: usize = 1024 * 1024;

/// A block header with its commit certificate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertifiedHeader {
    /// The header.
    pub header: BlockHeader,
    /// Its commit certificate.
    pub certificate: CommitCertificate,
}

/// The headers and validator sets the proofs of one answer rest on.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofBase {
    /// Certified headers by height.
    pub headers: BTreeMap<u64, CertifiedHeader>,
    /// Validator sets by their hash (hex), as the headers name them.
    pub validator_sets: BTreeMap<String, ValidatorSet>,
}

/// A record's inclusion in the chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordProof {
    /// The record id (the transaction id, or the derived id of an item: a bulk import's record
    /// or an EPCIS capture's event).
    pub record_id: Hash,
    /// Height of its block.
    pub height: u64,
    /// Position of its transaction in the block.
    pub index: u32,
    /// For an item (of a bulk import or an EPCIS capture): its position in the transaction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bulk_item: Option<u32>,
    /// The signed transaction, Borsh, base64.
    pub tx: String,
    /// Merkle path of the transaction's leaf to the block's `tx_root`.
    pub inclusion: MerkleProof,
}

/// A state fact at a height.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactProof {
    /// The state key, hex.
    pub key: String,
    /// The height whose state root the proof leads to.
    pub height: u64,
    /// The `StateProof`, Borsh, base64.
    pub proof: String,
}

/// What a verifier trusts: the chain and the validator sets that may certify its blocks
/// (from the genesis file and the validator-set changes the verifier followed). Nothing an
/// answer says about itself is trusted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trust {
    /// The chain.
    pub chain_id: tracechain_types::ChainId,
    /// Validator sets trusted to certify blocks.
    pub validator_sets: Vec<ValidatorSet>,
    /// When the sets over time are known (a verified chain audit, ADR 0087): the first height
    /// of each set's hash, ascending; a header must then name the set in force at its height
    /// (a set replaced earlier certifies nothing after it). Empty: any trusted set certifies
    /// any height.
    pub periods: Vec<(u64, Hash)>,
}

impl Trust {
    /// Trust the genesis validators of `chain_id`.
    pub fn genesis(chain_id: tracechain_types::ChainId, validators: ValidatorSet) -> Trust {
        Trust {
            chain_id,
            validator_sets: vec![validators],
            periods: Vec::new(),
        }
    }

    /// The trusted set named `hash`, when it may certify `height`.
    fn set_for(&self, height: u64, hash: &Hash) -> Option<&ValidatorSet> {
        if !self.periods.is_empty() {
            // Below the first period (the genesis header) no set certifies anything.
            let (_, in_force) = self
                .periods
                .iter()
                .rev()
                .find(|(from, _)| *from <= height)?;
            if in_force != hash {
                return None;
            }
        }
        self.validator_sets.iter().find(|s| s.hash() == *hash)
    }
}

/// Why a proof does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofFailure {
    /// A field does not decode.
    #[error("{0} does not decode")]
    Malformed(&'static str),
    /// No certified header of that height in the answer.
    #[error("no certified header of height {0} in the answer")]
    NoHeader(u64),
    /// The header names a validator set the verifier does not trust.
    #[error("height {0}: the header names a validator set that is not trusted")]
    UntrustedValidatorSet(u64),
    /// The header is of another chain.
    #[error("height {0}: the header is of chain {1}")]
    OtherChain(u64, String),
    /// The bulk item does not exist in the transaction.
    #[error("record {0}: the transaction has no such bulk item")]
    NoBulkItem(Hash),
    /// The certificate does not certify the header.
    #[error("height {height}: {reason}")]
    Certificate {
        /// Height.
        height: u64,
        /// Why.
        reason: String,
    },
    /// The record id is not the transaction's.
    #[error("record {0}: the id is not the transaction's")]
    WrongId(Hash),
    /// The Merkle path does not lead to the block's transaction root.
    #[error("record {id}: not included at height {height}, index {index}")]
    NotIncluded {
        /// Record.
        id: Hash,
        /// Height.
        height: u64,
        /// Index.
        index: u32,
    },
    /// The state proof does not lead to the header's state root.
    #[error("state key {key} at height {height}: {reason}")]
    State {
        /// Key (hex).
        key: String,
        /// Height.
        height: u64,
        /// Why.
        reason: String,
    },
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn unb64(s: &str, what: &'static str) -> Result<Vec<u8>, ProofFailure> {
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_err(|_| ProofFailure::Malformed(what))
}

impl ProofBase {
    /// Add the certified header of `height` and its validator set.
    pub fn add(&mut self, header: BlockHeader, certificate: CommitCertificate, set: ValidatorSet) {
        self.validator_sets
            .entry(set.hash().to_hex())
            .or_insert(set);
        self.headers.insert(
            header.height,
            CertifiedHeader {
                header,
                certificate,
            },
        );
    }

    /// The header of `height`: of the trusted chain, naming a trusted validator set, and
    /// certified by a quorum of that set.
    pub fn certified(&self, trust: &Trust, height: u64) -> Result<&CertifiedHeader, ProofFailure> {
        let ch = self
            .headers
            .get(&height)
            .ok_or(ProofFailure::NoHeader(height))?;
        if ch.header.height != height {
            return Err(ProofFailure::NoHeader(height));
        }
        if ch.header.chain_id != trust.chain_id {
            return Err(ProofFailure::OtherChain(
                height,
                ch.header.chain_id.as_str().to_string(),
            ));
        }
        let set = trust
            .set_for(height, &ch.header.validator_set_hash)
            .ok_or(ProofFailure::UntrustedValidatorSet(height))?;
        ch.certificate
            .verify(&trust.chain_id, height, &ch.header.hash(), set, &Ed25519)
            .map_err(|e| ProofFailure::Certificate {
                height,
                reason: e.to_string(),
            })?;
        Ok(ch)
    }
}

impl RecordProof {
    /// The proof of the transaction at `index` of `block_txs` (record `record_id`).
    pub fn build(
        record_id: Hash,
        height: u64,
        index: u32,
        bulk_item: Option<u32>,
        block_txs: &[Transaction],
    ) -> Option<RecordProof> {
        let tree = MerkleTree::new(block_txs.iter().map(tx_leaf).collect());
        Self::from_tree(record_id, height, index, bulk_item, block_txs, &tree)
    }

    /// The proof of `tx`, at `index` of a block whose transaction tree is `tree`.
    pub fn of_tx(
        record_id: Hash,
        height: u64,
        index: u32,
        bulk_item: Option<u32>,
        tx: &Transaction,
        tree: &MerkleTree,
    ) -> Option<RecordProof> {
        Some(RecordProof {
            record_id,
            height,
            index,
            bulk_item,
            tx: b64(&encode(tx)),
            inclusion: tree.proof(index as usize)?,
        })
    }

    /// [`RecordProof::build`] with the block's tree built once by the caller (an answer proves
    /// several records of one block: each proof then costs no hashing).
    pub fn from_tree(
        record_id: Hash,
        height: u64,
        index: u32,
        bulk_item: Option<u32>,
        block_txs: &[Transaction],
        tree: &MerkleTree,
    ) -> Option<RecordProof> {
        let tx = block_txs.get(index as usize)?;
        Self::of_tx(record_id, height, index, bulk_item, tx, tree)
    }
}

/// Check a record proof against `base` under `trust`: the header of its height is certified,
/// the transaction's leaf is at `index` under the header's `tx_root`, and the record id is the
/// transaction's (or, for a bulk import's item that exists, the item's). Returns the
/// transaction.
///
/// The transaction's own signature is not checked here: a certified block holds only
/// transactions its validators verified, and the auditor re-checks them all.
pub fn verify_record(
    base: &ProofBase,
    trust: &Trust,
    p: &RecordProof,
) -> Result<Transaction, ProofFailure> {
    let header = &base.certified(trust, p.height)?.header;
    let tx = decode_tx(&p.tx)?;
    let id = match p.bulk_item {
        None => tx.id(),
        Some(i) => match tracechain_contracts::carried_item(&tx.body.payload, &tx.id(), i) {
            Some((id, _)) => id,
            None => return Err(ProofFailure::NoBulkItem(p.record_id)),
        },
    };
    if id != p.record_id {
        return Err(ProofFailure::WrongId(p.record_id));
    }
    if p.inclusion.index != u64::from(p.index)
        || !p.inclusion.verify(&header.tx_root, &tx_leaf(&tx))
    {
        return Err(ProofFailure::NotIncluded {
            id: p.record_id,
            height: p.height,
            index: p.index,
        });
    }
    Ok(tx)
}

/// The signed transaction a record proof carries (base64 of its Borsh bytes).
pub fn decode_tx(tx: &str) -> Result<Transaction, ProofFailure> {
    let bytes = unb64(tx, "tx")?;
    decode(&bytes, MAX_PROOF_TX_BYTES).map_err(|_| ProofFailure::Malformed("tx"))
}

impl FactProof {
    /// Wrap a state proof of `key` at `height`.
    pub fn new(key: &[u8], height: u64, proof: &StateProof) -> FactProof {
        FactProof {
            key: hex::encode(key),
            height,
            proof: b64(&encode(proof)),
        }
    }
}

/// Check a fact proof against `base` under `trust`: the header of its height is certified and
/// the proof of `key` leads to its state root. The caller says which key it expects (a proof of
/// another key proves nothing about the one asked). Returns the proven value (`None`: proven
/// absent).
pub fn verify_fact(
    base: &ProofBase,
    trust: &Trust,
    key: &[u8],
    p: &FactProof,
) -> Result<Option<Vec<u8>>, ProofFailure> {
    let ch = base.certified(trust, p.height)?;
    let fail = |reason: String| ProofFailure::State {
        key: p.key.clone(),
        height: p.height,
        reason,
    };
    if hex::decode(&p.key).ok().as_deref() != Some(key) {
        return Err(fail("the proof is of another key".into()));
    }
    let set = trust
        .set_for(p.height, &ch.header.validator_set_hash)
        .ok_or(ProofFailure::UntrustedValidatorSet(p.height))?;
    let proof = unb64(&p.proof, "proof")?;
    state_map::verify_encoded(&ch.header, &ch.certificate, set, key, &proof)
        .map_err(|e| fail(e.to_string()))
}
