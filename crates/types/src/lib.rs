//! Core types of tracechain: hashes, Ed25519 keys and signatures with the chain's single
//! acceptance rule, the canonical encoding, signed transactions, blocks, commit certificates,
//! validator sets with their quorum arithmetic, Merkle inclusion proofs, and the authenticated
//! state map with its state proofs.
//!
//! No I/O, no clock, no randomness (key generation takes the caller's RNG): every function here
//! gives the same answer on every node and in the auditor.

pub mod block;
pub mod chain;
pub mod crypto;
pub mod encoding;
pub mod hash;
pub mod listing;
pub mod merkle;
pub mod payload;
pub mod read_auth;
pub mod records;
mod serde_str;
pub mod state_map;
pub mod time;
pub mod tx;
pub mod validator;

pub use block::{commit_signing_bytes, Block, BlockHeader, CommitCertificate, CommitVote};
pub use chain::ChainId;
pub use crypto::{Ed25519, PublicKey, SecretKey, Signature, SignatureVerifier};
pub use encoding::{decode, encode, Canonical, DecodeError};
pub use hash::Hash;
pub use listing::{ListingDigest, ListingError};
pub use merkle::{MerkleProof, MerkleTree};
pub use payload::{
    Category, CbeacRecord, ChainRecord, ClosedLoopRecord, ConsumerRecord, DocumentRecord,
    EpcisRecord, Family, InfoBlock, InfoBlockRecord, LineageRecord, ParticipantRecord, Payload,
    PayloadKind, RecallRecord, TraceUnitRecord,
};
pub use state_map::{ProofError, StateProof};
pub use tx::{Transaction, TxBody};
pub use validator::{Validator, ValidatorSet};
