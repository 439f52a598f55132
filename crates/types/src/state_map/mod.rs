//! The authenticated state map (ADR 0050): a binary sparse Merkle tree over the consensus
//! state, whose root is every block header's `state_root`, with inclusion and exclusion
//! proofs checked by a pure function.
//!
//! **Hashing (permanent; ADR 0050).** All hashes are [`Hash::tagged`] (SHA-256 over the
//! domain tag's length as a big-endian `u32`, the tag, then the parts):
//!
//! * key path `kh = tagged("tracechain/state-key/v1", [key])`: 256 bits, most significant
//!   bit of byte 0 first; bit 0 chooses the root's child (0 left, 1 right);
//! * `vh = tagged("tracechain/state-value/v1", [value])`;
//! * a leaf: `tagged("tracechain/state-leaf/v1", [kh, vh])`;
//! * an inner node: `tagged("tracechain/state-node/v1", [left, right])`;
//! * an empty subtree: [`EMPTY_ROOT`] (32 zero bytes).
//!
//! **Shape.** The hash of the subtree under a path prefix is [`EMPTY_ROOT`] when no key has
//! that prefix, the leaf hash of the one key when exactly one has it (a lone key sits as high
//! as it can: short-circuited leaves), and the inner-node hash of its two halves otherwise.
//! The root therefore depends only on the set of `(key, value)` pairs, never on the order of
//! writes or on the history that led to it.
//!
//! [`verify`] checks a [`StateProof`] against a block header and its commit certificate;
//! [`tree`] computes roots and proofs over versioned nodes behind a [`NodeReader`];
//! [`MemoryNodeStore`] keeps nodes in memory.

mod memory;
mod proof;
pub mod tree;

pub use memory::MemoryNodeStore;
pub use proof::{
    root_from_proof, verify, verify_encoded, ProofError, ProofLeaf, StateProof,
    MAX_STATE_PROOF_BYTES, STATE_PROOF_VERSION,
};
pub use tree::{
    prove, Node, NodeKey, NodeReader, Slot, StaleNode, TreeError, TreeUpdate, Write, KEY_BITS,
    PAGE_LEVELS,
};

use crate::hash::Hash;

/// Domain tag of key paths.
pub const KEY_DOMAIN: &[u8] = b"tracechain/state-key/v1";
/// Domain tag of value hashes.
pub const VALUE_DOMAIN: &[u8] = b"tracechain/state-value/v1";
/// Domain tag of leaf hashes.
pub const LEAF_DOMAIN: &[u8] = b"tracechain/state-leaf/v1";
/// Domain tag of inner-node hashes.
pub const NODE_DOMAIN: &[u8] = b"tracechain/state-node/v1";
/// The root of the empty map, and the hash of every empty subtree.
pub const EMPTY_ROOT: Hash = Hash::ZERO;

/// The 256-bit path of a state key.
pub fn key_hash(key: &[u8]) -> Hash {
    Hash::tagged(KEY_DOMAIN, &[key])
}

/// The hash of a stored value.
pub fn value_hash(value: &[u8]) -> Hash {
    Hash::tagged(VALUE_DOMAIN, &[value])
}

/// The hash of the leaf of key path `kh` holding a value with hash `vh`.
pub fn leaf_hash(kh: &Hash, vh: &Hash) -> Hash {
    Hash::tagged(LEAF_DOMAIN, &[kh.as_bytes(), vh.as_bytes()])
}

/// The hash of an inner node.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    Hash::tagged(NODE_DOMAIN, &[left.as_bytes(), right.as_bytes()])
}

/// Bit `i` (0 = most significant bit of byte 0) of a key path.
pub fn bit(kh: &Hash, i: usize) -> bool {
    (kh.0[i / 8] >> (7 - i % 8)) & 1 == 1
}

/// How many leading bits two key paths share (256 when equal).
pub fn common_prefix_bits(a: &Hash, b: &Hash) -> usize {
    for (i, (x, y)) in a.0.iter().zip(b.0.iter()).enumerate() {
        let d = x ^ y;
        if d != 0 {
            return i * 8 + d.leading_zeros() as usize;
        }
    }
    256
}
