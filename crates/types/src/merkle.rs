//! Merkle tree over a block's transactions (RFC 6962 shape: leaves and inner nodes hashed with
//! distinct prefixes, the split at the largest power of two below the size), and inclusion
//! proofs.

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

use crate::hash::Hash;

const LEAF: u8 = 0x00;
const NODE: u8 = 0x01;
/// Longest proof path accepted (a tree of 2^64 leaves needs 64).
pub const MAX_PROOF_LEN: usize = 64;

/// Hash of one leaf's data.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut buf = Vec::with_capacity(1 + data.len());
    buf.push(LEAF);
    buf.extend_from_slice(data);
    Hash::digest(&buf)
}

fn node_hash(l: &Hash, r: &Hash) -> Hash {
    let mut buf = [0u8; 65];
    buf[0] = NODE;
    buf[1..33].copy_from_slice(&l.0);
    buf[33..].copy_from_slice(&r.0);
    Hash::digest(&buf)
}

/// Largest power of two strictly less than n (n ≥ 2).
fn split(n: usize) -> usize {
    let mut k = 1;
    while k << 1 < n {
        k <<= 1;
    }
    k
}

/// The root over leaf hashes. The empty tree's root is SHA-256 of the empty string.
pub fn root_of_leaves(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => Hash::digest(&[]),
        1 => leaves[0],
        n => {
            let k = split(n);
            node_hash(&root_of_leaves(&leaves[..k]), &root_of_leaves(&leaves[k..]))
        }
    }
}

/// The root over items' data.
pub fn root<T: AsRef<[u8]>>(items: &[T]) -> Hash {
    let leaves: Vec<Hash> = items.iter().map(|i| leaf_hash(i.as_ref())).collect();
    root_of_leaves(&leaves)
}

/// An inclusion proof: the leaf's index, the tree size, and the sibling hashes from the leaf up.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct MerkleProof {
    /// Position of the leaf.
    pub index: u64,
    /// Number of leaves in the tree.
    pub leaf_count: u64,
    /// Sibling hashes, bottom-up.
    pub path: Vec<Hash>,
}

impl MerkleProof {
    /// The proof for leaf `index` among `leaves`; `None` when out of range.
    pub fn build(leaves: &[Hash], index: usize) -> Option<MerkleProof> {
        if index >= leaves.len() {
            return None;
        }
        let mut path = Vec::new();
        build_path(leaves, index, &mut path);
        Some(MerkleProof {
            index: index as u64,
            leaf_count: leaves.len() as u64,
            path,
        })
    }

    /// Whether `leaf` (a leaf hash) is at `index` in the tree with this `root`.
    pub fn verify(&self, root: &Hash, leaf: &Hash) -> bool {
        if self.index >= self.leaf_count || self.path.len() > MAX_PROOF_LEN {
            return false;
        }
        // RFC 9162 §2.1.3.2 verification of an inclusion proof.
        let mut f_n = self.index;
        let mut s_n = self.leaf_count - 1;
        let mut r = *leaf;
        for p in &self.path {
            if s_n == 0 {
                return false;
            }
            if f_n & 1 == 1 || f_n == s_n {
                r = node_hash(p, &r);
                if f_n & 1 == 0 {
                    while f_n & 1 == 0 && f_n != 0 {
                        f_n >>= 1;
                        s_n >>= 1;
                    }
                }
            } else {
                r = node_hash(&r, p);
            }
            f_n >>= 1;
            s_n >>= 1;
        }
        s_n == 0 && r == *root
    }
}

/// Every level of a block's tree, built once (n − 1 hashes) so that the proofs of several of
/// its leaves cost no hashing: the RFC 6962 tree is the bottom-up pairing of each level in
/// which a last, unpaired node is carried up unchanged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MerkleTree {
    levels: Vec<Vec<Hash>>,
}

impl MerkleTree {
    /// The tree over `leaves`.
    pub fn new(leaves: Vec<Hash>) -> MerkleTree {
        let mut levels = vec![leaves];
        while let Some(last) = levels.last().filter(|l| l.len() > 1) {
            let next = last
                .chunks(2)
                .map(|p| match p {
                    [l, r] => node_hash(l, r),
                    [one] => *one,
                    _ => unreachable!("chunks of two"),
                })
                .collect();
            levels.push(next);
        }
        MerkleTree { levels }
    }

    /// The leaves.
    pub fn leaves(&self) -> &[Hash] {
        &self.levels[0]
    }

    /// The root ([`root_of_leaves`] of the leaves).
    pub fn root(&self) -> Hash {
        match self.levels.last().and_then(|l| l.first()) {
            Some(r) if !self.levels[0].is_empty() => *r,
            _ => Hash::digest(&[]),
        }
    }

    /// The proof of leaf `index` (equal to [`MerkleProof::build`]); `None` when out of range.
    pub fn proof(&self, index: usize) -> Option<MerkleProof> {
        if index >= self.levels[0].len() {
            return None;
        }
        let mut path = Vec::new();
        let mut i = index;
        for level in &self.levels[..self.levels.len() - 1] {
            if let Some(sibling) = level.get(i ^ 1) {
                path.push(*sibling);
            }
            i >>= 1;
        }
        Some(MerkleProof {
            index: index as u64,
            leaf_count: self.levels[0].len() as u64,
            path,
        })
    }
}

fn build_path(leaves: &[Hash], index: usize, path: &mut Vec<Hash>) {
    let n = leaves.len();
    if n <= 1 {
        return;
    }
    let k = split(n);
    if index < k {
        build_path(&leaves[..k], index, path);
        path.push(root_of_leaves(&leaves[k..]));
    } else {
        build_path(&leaves[k..], index - k, path);
        path.push(root_of_leaves(&leaves[..k]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaves(n: usize) -> Vec<Hash> {
        (0..n)
            .map(|i| leaf_hash(&(i as u64).to_be_bytes()))
            .collect()
    }

    #[test]
    fn the_tree_of_levels_gives_the_proofs_and_root_of_the_recursive_tree() {
        for n in 0..140 {
            let ls = leaves(n);
            let t = MerkleTree::new(ls.clone());
            assert_eq!(t.root(), root_of_leaves(&ls), "n={n}");
            assert_eq!(t.leaves(), &ls[..]);
            for i in 0..n {
                assert_eq!(t.proof(i), MerkleProof::build(&ls, i), "n={n} i={i}");
            }
            assert_eq!(t.proof(n), None);
        }
        let ls = leaves(2000);
        let t = MerkleTree::new(ls.clone());
        for i in [0, 1, 1023, 1024, 1999] {
            assert_eq!(t.proof(i), MerkleProof::build(&ls, i), "i={i}");
        }
    }

    #[test]
    fn every_leaf_of_every_size_up_to_70_proves() {
        for n in 1..70 {
            let ls = leaves(n);
            let r = root_of_leaves(&ls);
            for i in 0..n {
                let p = MerkleProof::build(&ls, i).expect("in range");
                assert!(p.verify(&r, &ls[i]), "n={n} i={i}");
                // the wrong leaf, index or size fails
                let other = leaf_hash(b"other");
                assert!(!p.verify(&r, &other), "n={n} i={i} wrong leaf");
                if n > 1 {
                    let mut q = p.clone();
                    q.index = ((i + 1) % n) as u64;
                    assert!(!q.verify(&r, &ls[i]), "n={n} i={i} wrong index");
                }
            }
        }
    }

    #[test]
    fn tampered_path_fails() {
        let ls = leaves(13);
        let r = root_of_leaves(&ls);
        let p = MerkleProof::build(&ls, 6).expect("in range");
        for j in 0..p.path.len() {
            let mut q = p.clone();
            q.path[j].0[0] ^= 1;
            assert!(!q.verify(&r, &ls[6]));
        }
        let mut q = p.clone();
        q.path.push(Hash::ZERO);
        assert!(!q.verify(&r, &ls[6]));
        assert!(MerkleProof::build(&ls, 13).is_none());
    }

    #[test]
    fn leaf_count_is_not_bound_by_the_root() {
        // Documented in ADR 0003: the root does not commit to the number of leaves, so a proof's
        // leaf_count can differ from the tree's when the path has the same shape. A verifier
        // that needs the count must get it elsewhere.
        let ls = leaves(4);
        let r = root_of_leaves(&ls);
        let mut p = MerkleProof::build(&ls, 0).expect("in range");
        p.leaf_count = 3;
        assert!(p.verify(&r, &ls[0]));
    }

    #[test]
    fn leaf_and_node_domains_differ() {
        // A two-leaf tree's root is not the leaf hash of the concatenation.
        let a = leaf_hash(b"a");
        let b = leaf_hash(b"b");
        let mut cat = Vec::new();
        cat.extend_from_slice(&a.0);
        cat.extend_from_slice(&b.0);
        assert_ne!(root_of_leaves(&[a, b]), leaf_hash(&cat));
    }
}
