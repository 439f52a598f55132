//! The authenticated state map (ADR 0050) kept in memory at its latest version only: the
//! auditor's replay needs the root after every block, never an older version or a proof, so
//! it keeps one mutable tree and rehashes only the paths a block wrote, instead of writing a
//! new version of the node store per block.
//!
//! The tree is the same binary sparse Merkle tree, hashed with the same functions
//! ([`state_map::leaf_hash`], [`state_map::node_hash`]): an empty subtree is
//! [`state_map::EMPTY_ROOT`], a subtree holding one key is that key's leaf, any larger one an
//! inner node. The root depends only on the set of (key, value) pairs, so it equals the
//! versioned map's root after the same writes (tested against it below).

use tracechain_types::state_map::{self, bit, common_prefix_bits};
use tracechain_types::Hash;

/// No node: an empty subtree.
const NIL: u32 = u32::MAX;

#[derive(Clone, Debug)]
enum Node {
    Leaf {
        key: Hash,
        hash: Hash,
    },
    Inner {
        left: u32,
        right: u32,
        /// Valid unless `dirty`.
        hash: Hash,
        dirty: bool,
    },
}

/// The map at its latest version: nodes in one arena, freed slots reused.
#[derive(Clone, Debug, Default)]
pub struct LiveMap {
    nodes: Vec<Node>,
    free: Vec<u32>,
    root: Option<u32>,
    leaves: usize,
}

impl LiveMap {
    /// The empty map.
    pub fn new() -> LiveMap {
        LiveMap::default()
    }

    /// Keys in the map.
    pub fn len(&self) -> usize {
        self.leaves
    }

    /// Whether the map is empty.
    pub fn is_empty(&self) -> bool {
        self.leaves == 0
    }

    fn alloc(&mut self, node: Node) -> u32 {
        match self.free.pop() {
            Some(i) => {
                self.nodes[i as usize] = node;
                i
            }
            None => {
                let i = u32::try_from(self.nodes.len()).expect("fewer than 2^32 map nodes");
                assert!(i != NIL, "fewer than 2^32 map nodes");
                self.nodes.push(node);
                i
            }
        }
    }

    fn release(&mut self, i: u32) {
        self.free.push(i);
    }

    /// Write `value` under `key` (`None` deletes it). The root is recomputed by
    /// [`LiveMap::root`].
    pub fn write(&mut self, key: &[u8], value: Option<&[u8]>) {
        let kh = state_map::key_hash(key);
        let root = self.root.unwrap_or(NIL);
        let new_root = match value {
            Some(v) => {
                let leaf = state_map::leaf_hash(&kh, &state_map::value_hash(v));
                self.insert(root, 0, kh, leaf)
            }
            None => self.remove(root, 0, &kh),
        };
        self.root = (new_root != NIL).then_some(new_root);
    }

    /// Put the leaf `(kh, leaf)` into the subtree `at` whose path has `depth` bits; returns
    /// the subtree's new node.
    fn insert(&mut self, at: u32, depth: usize, kh: Hash, leaf: Hash) -> u32 {
        if at == NIL {
            self.leaves += 1;
            return self.alloc(Node::Leaf {
                key: kh,
                hash: leaf,
            });
        }
        match self.nodes[at as usize].clone() {
            Node::Leaf { key, .. } if key == kh => {
                self.nodes[at as usize] = Node::Leaf {
                    key: kh,
                    hash: leaf,
                };
                at
            }
            Node::Leaf { key: other, .. } => {
                // Split: inner nodes down to the first bit where the two paths differ.
                self.leaves += 1;
                let split = common_prefix_bits(&kh, &other);
                let new_leaf = self.alloc(Node::Leaf {
                    key: kh,
                    hash: leaf,
                });
                let (left, right) = if bit(&kh, split) {
                    (at, new_leaf)
                } else {
                    (new_leaf, at)
                };
                let mut node = self.alloc(Node::Inner {
                    left,
                    right,
                    hash: Hash::ZERO,
                    dirty: true,
                });
                for d in (depth..split).rev() {
                    let (left, right) = if bit(&kh, d) {
                        (NIL, node)
                    } else {
                        (node, NIL)
                    };
                    node = self.alloc(Node::Inner {
                        left,
                        right,
                        hash: Hash::ZERO,
                        dirty: true,
                    });
                }
                node
            }
            Node::Inner { left, right, .. } => {
                let (left, right) = if bit(&kh, depth) {
                    (left, self.insert(right, depth + 1, kh, leaf))
                } else {
                    (self.insert(left, depth + 1, kh, leaf), right)
                };
                self.nodes[at as usize] = Node::Inner {
                    left,
                    right,
                    hash: Hash::ZERO,
                    dirty: true,
                };
                at
            }
        }
    }

    /// Take key path `kh` out of the subtree `at`; returns the subtree's new node (a subtree
    /// left with one key becomes that key's leaf).
    fn remove(&mut self, at: u32, depth: usize, kh: &Hash) -> u32 {
        if at == NIL {
            return NIL;
        }
        match self.nodes[at as usize].clone() {
            Node::Leaf { key, .. } => {
                if key == *kh {
                    self.leaves -= 1;
                    self.release(at);
                    NIL
                } else {
                    at
                }
            }
            Node::Inner { left, right, .. } => {
                let (left, right) = if bit(kh, depth) {
                    (left, self.remove(right, depth + 1, kh))
                } else {
                    (self.remove(left, depth + 1, kh), right)
                };
                let is_leaf =
                    |i: u32| i != NIL && matches!(self.nodes[i as usize], Node::Leaf { .. });
                if left == NIL && (right == NIL || is_leaf(right)) {
                    self.release(at);
                    return right;
                }
                if right == NIL && is_leaf(left) {
                    self.release(at);
                    return left;
                }
                self.nodes[at as usize] = Node::Inner {
                    left,
                    right,
                    hash: Hash::ZERO,
                    dirty: true,
                };
                at
            }
        }
    }

    /// The root after every write so far (rehashing the nodes written since the last call).
    pub fn root(&mut self) -> Hash {
        match self.root {
            None => state_map::EMPTY_ROOT,
            Some(r) => self.rehash(r),
        }
    }

    fn rehash(&mut self, at: u32) -> Hash {
        if at == NIL {
            return state_map::EMPTY_ROOT;
        }
        match self.nodes[at as usize] {
            Node::Leaf { hash, .. } => hash,
            Node::Inner {
                hash, dirty: false, ..
            } => hash,
            Node::Inner {
                left,
                right,
                dirty: true,
                ..
            } => {
                let l = self.rehash(left);
                let r = self.rehash(right);
                let hash = state_map::node_hash(&l, &r);
                self.nodes[at as usize] = Node::Inner {
                    left,
                    right,
                    hash,
                    dirty: false,
                };
                hash
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracechain_types::state_map::{MemoryNodeStore, Write};

    /// A deterministic generator (SplitMix64): a failing seed reproduces exactly.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
    }

    /// Random writes and deletes over a small key space (so keys are rewritten and deleted
    /// often), in versions: after each, the live root equals the versioned map's.
    #[test]
    fn the_live_root_equals_the_versioned_maps_root_after_every_version() {
        for seed in 0..40u64 {
            let mut rng = Rng(seed);
            let mut live = LiveMap::new();
            let mut versioned = MemoryNodeStore::new();
            let mut present = std::collections::BTreeSet::new();
            let space = 1 + rng.next() % 300;
            for version in 0..30u64 {
                let mut writes = std::collections::BTreeMap::new();
                for _ in 0..rng.next() % 40 {
                    let k = format!("key/{}", rng.next() % space).into_bytes();
                    let v =
                        (!rng.next().is_multiple_of(3)).then(|| rng.next().to_le_bytes().to_vec());
                    writes.insert(k, v);
                }
                for (k, v) in &writes {
                    live.write(k, v.as_deref());
                    match v {
                        Some(_) => present.insert(k.clone()),
                        None => present.remove(k),
                    };
                }
                let w = writes
                    .iter()
                    .map(|(k, v)| Write::new(k, v.clone()))
                    .collect();
                let expected = versioned.apply(version, w).unwrap();
                assert_eq!(live.root(), expected, "seed {seed}, version {version}");
                assert_eq!(live.len(), present.len(), "seed {seed}, version {version}");
            }
        }
    }

    #[test]
    fn an_emptied_map_has_the_empty_root_and_reuses_its_slots() {
        let mut m = LiveMap::new();
        assert_eq!(m.root(), state_map::EMPTY_ROOT);
        for i in 0..100u32 {
            m.write(&i.to_be_bytes(), Some(b"v"));
        }
        let full = m.root();
        assert_ne!(full, state_map::EMPTY_ROOT);
        let slots = m.nodes.len();
        for i in 0..100u32 {
            m.write(&i.to_be_bytes(), None);
        }
        assert_eq!(m.root(), state_map::EMPTY_ROOT);
        assert!(m.is_empty());
        for i in 0..100u32 {
            m.write(&i.to_be_bytes(), Some(b"v"));
        }
        assert_eq!(m.root(), full);
        assert_eq!(m.nodes.len(), slots, "freed nodes are reused");
    }
}
