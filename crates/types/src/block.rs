//! Blocks, headers and commit certificates.

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

use crate::chain::ChainId;
use crate::crypto::{PublicKey, Signature, SignatureVerifier};
use crate::encoding::encode;
use crate::hash::Hash;
use crate::merkle::{self, MerkleProof};
use crate::tx::Transaction;
use crate::validator::ValidatorSet;

/// Domain tag of block hashes.
pub const BLOCK_DOMAIN: &[u8] = b"tracechain/block/v1";
/// Domain tag of commit votes (the signatures a commit certificate collects).
pub const COMMIT_DOMAIN: &[u8] = b"tracechain/commit/v1";
/// Domain tag of transaction Merkle leaves.
pub const TX_LEAF_DOMAIN: &[u8] = b"tracechain/tx-leaf/v1";
/// Default size limit for one encoded block (the node's `limits.max_block_bytes`).
pub const DEFAULT_MAX_BLOCK_BYTES: usize = 8 * 1024 * 1024;

/// A block header. Its hash identifies the block; the transactions are bound through `tx_root`.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct BlockHeader {
    /// The chain.
    pub chain_id: ChainId,
    /// Height; genesis is 0, the first block is 1.
    pub height: u64,
    /// The PBFT view in which the block was proposed.
    pub view: u64,
    /// Hash of the parent block's header.
    pub parent: Hash,
    /// Proposer's time in milliseconds since the Unix epoch; strictly greater than the parent's.
    pub timestamp_ms: u64,
    /// Merkle root of the transactions (see [`Block::compute_tx_root`]).
    pub tx_root: Hash,
    /// State root after executing the block: the root of the authenticated state map over the
    /// whole consensus state (ADR 0050, [`crate::state_map`]); state proofs are checked
    /// against it.
    pub state_root: Hash,
    /// The proposing validator.
    pub proposer: PublicKey,
    /// Hash of the validator set in force at this height.
    pub validator_set_hash: Hash,
}

impl BlockHeader {
    /// The block hash.
    pub fn hash(&self) -> Hash {
        Hash::tagged(BLOCK_DOMAIN, &[&encode(self)])
    }
}

/// A block: header and transactions.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Block {
    /// The header.
    pub header: BlockHeader,
    /// Transactions in execution order.
    pub txs: Vec<Transaction>,
}

/// The Merkle leaf hash of a transaction (covers the signature, so a proof shows the exact
/// signed record that was included).
pub fn tx_leaf(tx: &Transaction) -> Hash {
    let mut data = TX_LEAF_DOMAIN.to_vec();
    data.extend_from_slice(&encode(tx));
    merkle::leaf_hash(&data)
}

impl Block {
    /// The block hash (the header's).
    pub fn hash(&self) -> Hash {
        self.header.hash()
    }

    /// Merkle root over the transactions' leaf hashes.
    pub fn compute_tx_root(txs: &[Transaction]) -> Hash {
        let leaves: Vec<Hash> = txs.iter().map(tx_leaf).collect();
        merkle::root_of_leaves(&leaves)
    }

    /// Whether the header's `tx_root` matches the transactions.
    pub fn tx_root_matches(&self) -> bool {
        Self::compute_tx_root(&self.txs) == self.header.tx_root
    }

    /// Inclusion proof of transaction `index` against `header.tx_root`.
    pub fn tx_proof(&self, index: usize) -> Option<MerkleProof> {
        let leaves: Vec<Hash> = self.txs.iter().map(tx_leaf).collect();
        MerkleProof::build(&leaves, index)
    }
}

/// One validator's commit vote inside a certificate.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct CommitVote {
    /// The validator.
    pub validator: PublicKey,
    /// Its signature over [`commit_signing_bytes`].
    pub signature: Signature,
}

/// Proof that a block was committed: a quorum of the height's validators signed a commit vote
/// for its hash.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct CommitCertificate {
    /// Height of the block.
    pub height: u64,
    /// View in which it was committed.
    pub view: u64,
    /// The block hash.
    pub block_hash: Hash,
    /// Commit votes, strictly ascending by validator key.
    pub votes: Vec<CommitVote>,
}

/// The bytes a validator signs to vote commit.
pub fn commit_signing_bytes(
    chain_id: &ChainId,
    height: u64,
    view: u64,
    block_hash: &Hash,
) -> Vec<u8> {
    let mut out = COMMIT_DOMAIN.to_vec();
    out.extend_from_slice(&encode(chain_id));
    out.extend_from_slice(&height.to_le_bytes());
    out.extend_from_slice(&view.to_le_bytes());
    out.extend_from_slice(&block_hash.0);
    out
}

/// Why a certificate was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertificateError {
    /// Certificate is for another block.
    #[error("certificate is for block {got} at height {got_height}, expected {expected} at height {expected_height}")]
    WrongBlock {
        /// Hash in the certificate.
        got: Hash,
        /// Height in the certificate.
        got_height: u64,
        /// Hash expected.
        expected: Hash,
        /// Height expected.
        expected_height: u64,
    },
    /// A signer is not in the height's validator set.
    #[error("certificate vote from {0}, which is not a validator at this height")]
    NotAValidator(PublicKey),
    /// Votes not strictly ascending (duplicates or unsorted).
    #[error("certificate votes are not strictly ascending by validator (duplicate or unsorted)")]
    NotCanonical,
    /// Too few votes.
    #[error("certificate has {got} votes, a quorum is {need}")]
    NoQuorum {
        /// Votes present.
        got: usize,
        /// Quorum.
        need: usize,
    },
    /// A signature does not verify.
    #[error("certificate signature of {0} does not verify")]
    BadSignature(PublicKey),
}

impl CommitCertificate {
    /// Check the certificate for the block `(height, block_hash)` against the validator set of
    /// that height: strictly ascending distinct members, at least a quorum, every signature
    /// valid. Signatures are checked as one batch (same verdict as one by one).
    pub fn verify(
        &self,
        chain_id: &ChainId,
        height: u64,
        block_hash: &Hash,
        set: &ValidatorSet,
        verifier: &impl SignatureVerifier,
    ) -> Result<(), CertificateError> {
        if self.height != height || self.block_hash != *block_hash {
            return Err(CertificateError::WrongBlock {
                got: self.block_hash,
                got_height: self.height,
                expected: *block_hash,
                expected_height: height,
            });
        }
        for w in self.votes.windows(2) {
            if w[0].validator >= w[1].validator {
                return Err(CertificateError::NotCanonical);
            }
        }
        for v in &self.votes {
            if !set.contains(&v.validator) {
                return Err(CertificateError::NotAValidator(v.validator));
            }
        }
        if self.votes.len() < set.quorum() {
            return Err(CertificateError::NoQuorum {
                got: self.votes.len(),
                need: set.quorum(),
            });
        }
        let msg = commit_signing_bytes(chain_id, self.height, self.view, &self.block_hash);
        let items: Vec<(PublicKey, &[u8], Signature)> = self
            .votes
            .iter()
            .map(|v| (v.validator, msg.as_slice(), v.signature))
            .collect();
        if verifier.verify_batch(&items) {
            return Ok(());
        }
        for v in &self.votes {
            if !verifier.verify(&v.validator, &msg, &v.signature) {
                return Err(CertificateError::BadSignature(v.validator));
            }
        }
        // verify_batch must agree with single verification; a disagreement is a bug.
        unreachable!("batch verification disagreed with single verification")
    }
}
