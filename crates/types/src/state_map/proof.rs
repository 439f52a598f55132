//! State proofs and their pure verification.

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

use super::{bit, common_prefix_bits, key_hash, leaf_hash, node_hash, value_hash, EMPTY_ROOT};
use crate::block::{BlockHeader, CertificateError, CommitCertificate};
use crate::crypto::Ed25519;
use crate::encoding::{decode, DecodeError};
use crate::hash::Hash;
use crate::validator::ValidatorSet;

/// The proof format this code produces and accepts.
pub const STATE_PROOF_VERSION: u8 = 1;
/// Largest encoded proof accepted by [`verify_encoded`]: a value of up to 1 MiB (the largest
/// stored value) plus 256 siblings and framing.
pub const MAX_STATE_PROOF_BYTES: usize = 1024 * 1024 + 16 * 1024;

/// What a proof ends in, at depth `siblings.len()` on the key's path.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub enum ProofLeaf {
    /// The key is present with this value (inclusion).
    Present {
        /// The stored value.
        value: Vec<u8>,
    },
    /// The key is absent: the subtree on its path is empty (exclusion).
    AbsentEmpty,
    /// The key is absent: the subtree on its path holds one other key's leaf (exclusion).
    AbsentOther {
        /// That key's path.
        key_hash: Hash,
        /// Its value's hash.
        value_hash: Hash,
    },
}

/// An inclusion or exclusion proof of one state key against a state root.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct StateProof {
    /// Format version ([`STATE_PROOF_VERSION`]).
    pub version: u8,
    /// Sibling hashes on the key's path, from the root's child level down.
    pub siblings: Vec<Hash>,
    /// What the path ends in.
    pub leaf: ProofLeaf,
}

/// Why a proof was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The encoded proof is too large or malformed.
    #[error("state proof does not decode: {0}")]
    Decode(#[from] DecodeError),
    /// A format this code does not know.
    #[error("state proof version {got} is not supported (expected {STATE_PROOF_VERSION})")]
    UnsupportedVersion {
        /// The version in the proof.
        got: u8,
    },
    /// More siblings than key bits.
    #[error("state proof has {0} siblings, at most 256 are possible")]
    TooDeep(usize),
    /// The last sibling is empty: an honest tree would have placed the leaf one level up.
    #[error("state proof is not canonical: the sibling above the leaf is empty")]
    NotCanonical,
    /// An exclusion proof names the key itself as the other leaf.
    #[error("exclusion proof names the requested key's own leaf")]
    OtherLeafIsTheKey,
    /// An exclusion proof's other leaf does not lie on the key's path.
    #[error(
        "exclusion proof's other leaf shares {shared} bits with the key, the path has {depth}"
    )]
    OtherLeafOffPath {
        /// Leading bits shared by the two key paths.
        shared: usize,
        /// Depth of the leaf in the proof.
        depth: usize,
    },
    /// The validator set given is not the one the header names.
    #[error("validator set {given} is not the header's validator set {header}")]
    WrongValidatorSet {
        /// Hash of the set given.
        given: Hash,
        /// `validator_set_hash` in the header.
        header: Hash,
    },
    /// The commit certificate does not certify the header.
    #[error("commit certificate refused: {0}")]
    Certificate(#[from] CertificateError),
    /// The proof leads to another root than the header's state root.
    #[error("state proof leads to root {proven}, the header's state root is {header}")]
    RootMismatch {
        /// Root the proof computes.
        proven: Hash,
        /// The header's `state_root`.
        header: Hash,
    },
}

impl StateProof {
    /// Decode a proof from untrusted bytes ([`MAX_STATE_PROOF_BYTES`], whole input, known
    /// version).
    pub fn decode(bytes: &[u8]) -> Result<StateProof, ProofError> {
        let p: StateProof = decode(bytes, MAX_STATE_PROOF_BYTES)?;
        if p.version != STATE_PROOF_VERSION {
            return Err(ProofError::UnsupportedVersion { got: p.version });
        }
        Ok(p)
    }

    /// The value this proof claims for the key (`None`: absent).
    pub fn value(&self) -> Option<&[u8]> {
        match &self.leaf {
            ProofLeaf::Present { value } => Some(value),
            _ => None,
        }
    }
}

/// The root a proof leads to for `key`, after checking its shape; `Ok` does not mean the key
/// is proven, only that the proof is well-formed (compare the root with a trusted one).
pub fn root_from_proof(key: &[u8], proof: &StateProof) -> Result<Hash, ProofError> {
    if proof.version != STATE_PROOF_VERSION {
        return Err(ProofError::UnsupportedVersion { got: proof.version });
    }
    let depth = proof.siblings.len();
    if depth > super::KEY_BITS {
        return Err(ProofError::TooDeep(depth));
    }
    if depth > 0 && proof.siblings[depth - 1] == EMPTY_ROOT {
        return Err(ProofError::NotCanonical);
    }
    let kh = key_hash(key);
    let mut h = match &proof.leaf {
        ProofLeaf::Present { value } => leaf_hash(&kh, &value_hash(value)),
        ProofLeaf::AbsentEmpty => EMPTY_ROOT,
        ProofLeaf::AbsentOther {
            key_hash: other,
            value_hash: vh,
        } => {
            let shared = common_prefix_bits(other, &kh);
            if shared == super::KEY_BITS {
                return Err(ProofError::OtherLeafIsTheKey);
            }
            if shared < depth {
                return Err(ProofError::OtherLeafOffPath { shared, depth });
            }
            leaf_hash(other, vh)
        }
    };
    for (i, sibling) in proof.siblings.iter().enumerate().rev() {
        h = if bit(&kh, i) {
            node_hash(sibling, &h)
        } else {
            node_hash(&h, sibling)
        };
    }
    Ok(h)
}

/// Verify what the state said about `key` after the block of `header`: the validator set is
/// the header's, `certificate` is a valid commit certificate of the header by that set, and
/// the proof leads to the header's state root. Returns the value (inclusion) or `None`
/// (exclusion). Pure: no I/O, no clock.
pub fn verify(
    header: &BlockHeader,
    certificate: &CommitCertificate,
    validators: &ValidatorSet,
    key: &[u8],
    proof: &StateProof,
) -> Result<Option<Vec<u8>>, ProofError> {
    let given = validators.hash();
    if given != header.validator_set_hash {
        return Err(ProofError::WrongValidatorSet {
            given,
            header: header.validator_set_hash,
        });
    }
    certificate.verify(
        &header.chain_id,
        header.height,
        &header.hash(),
        validators,
        &Ed25519,
    )?;
    let proven = root_from_proof(key, proof)?;
    if proven != header.state_root {
        return Err(ProofError::RootMismatch {
            proven,
            header: header.state_root,
        });
    }
    Ok(proof.value().map(<[u8]>::to_vec))
}

/// [`verify`] for a proof as received (Borsh bytes, decoded with [`StateProof::decode`]).
pub fn verify_encoded(
    header: &BlockHeader,
    certificate: &CommitCertificate,
    validators: &ValidatorSet,
    key: &[u8],
    proof: &[u8],
) -> Result<Option<Vec<u8>>, ProofError> {
    verify(
        header,
        certificate,
        validators,
        key,
        &StateProof::decode(proof)?,
    )
}
