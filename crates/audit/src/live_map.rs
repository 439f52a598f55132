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

#[derive(Clone, Copy, Debug)]
enum Node {
    Leaf { key: Hash, hash: Hash },
    Inner { left: u32, right: u32, hash: Hash },
}

/// Nodes per chunk of the arena.
const CHUNK: usize = 1 << 16;

/// The nodes in fixed chunks: growing never moves (nor copies) the nodes already there.
#[derive(Clone, Debug, Default)]
struct Arena {
    chunks: Vec<Vec<Node>>,
    len: usize,
}

impl Arena {
    fn len(&self) -> usize {
        self.len
    }

    fn push(&mut self, node: Node) {
        if self.len.is_multiple_of(CHUNK) {
            self.chunks.push(Vec::with_capacity(CHUNK));
        }
        self.chunks
            .last_mut()
            .expect("a chunk with room")
            .push(node);
        self.len += 1;
    }
}

impl std::ops::Index<usize> for Arena {
    type Output = Node;
    fn index(&self, i: usize) -> &Node {
        &self.chunks[i / CHUNK][i % CHUNK]
    }
}

impl std::ops::IndexMut<usize> for Arena {
    fn index_mut(&mut self, i: usize) -> &mut Node {
        &mut self.chunks[i / CHUNK][i % CHUNK]
    }
}

/// One write of a batch: the key's path and the new leaf's hash (`None` deletes).
type Change = (Hash, Option<Hash>);

/// The map at its latest version: nodes in one arena, freed slots reused, every node's hash
/// kept. A batch of writes (a block's) is applied in one descent: the writes sorted by key
/// path, each subtree visited once with the writes under it, and its hash recomputed once on
/// the way up.
#[derive(Clone, Debug, Default)]
pub struct LiveMap {
    nodes: Arena,
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

    /// The root.
    pub fn root(&self) -> Hash {
        self.root
            .map(|r| self.hash(r))
            .unwrap_or(state_map::EMPTY_ROOT)
    }

    /// Apply a batch of writes (`None` deletes; a key written twice keeps its last write).
    pub fn apply<'a>(&mut self, writes: impl IntoIterator<Item = (&'a [u8], Option<&'a [u8]>)>) {
        let mut changes: Vec<Change> = writes
            .into_iter()
            .map(|(k, v)| {
                let kh = state_map::key_hash(k);
                (
                    kh,
                    v.map(|v| state_map::leaf_hash(&kh, &state_map::value_hash(v))),
                )
            })
            .collect();
        // Sorted by path; of a key written twice, the last write (stable sort, then the last
        // of each run kept).
        changes.sort_by_key(|c| c.0);
        let mut unique: Vec<Change> = Vec::with_capacity(changes.len());
        for c in changes {
            match unique.last_mut() {
                Some(last) if last.0 == c.0 => *last = c,
                _ => unique.push(c),
            }
        }
        let root = self.root.unwrap_or(NIL);
        let new_root = self.update(root, 0, &unique);
        self.root = (new_root != NIL).then_some(new_root);
    }

    fn hash(&self, at: u32) -> Hash {
        if at == NIL {
            return state_map::EMPTY_ROOT;
        }
        match self.nodes[at as usize] {
            Node::Leaf { hash, .. } | Node::Inner { hash, .. } => hash,
        }
    }

    fn is_leaf(&self, at: u32) -> bool {
        at != NIL && matches!(self.nodes[at as usize], Node::Leaf { .. })
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

    fn release(&mut self, at: u32) {
        self.free.push(at);
    }

    /// Apply `changes` (sorted by path, unique, every path sharing the subtree's first
    /// `depth` bits) to the subtree `at`; returns the subtree's node, its hash up to date.
    fn update(&mut self, at: u32, depth: usize, changes: &[Change]) -> u32 {
        if changes.is_empty() {
            return at;
        }
        if at == NIL {
            let leaves: Vec<(Hash, Hash)> = changes
                .iter()
                .filter_map(|(k, v)| v.map(|v| (*k, v)))
                .collect();
            return self.build(depth, &leaves);
        }
        match self.nodes[at as usize] {
            Node::Leaf { key, hash } => {
                // The leaf's key unless a change writes it, with every inserted key.
                let mut leaves: Vec<(Hash, Hash)> = Vec::with_capacity(changes.len() + 1);
                let mut kept = Some((key, hash));
                for (k, v) in changes {
                    if let Some((old, _)) = kept {
                        if old < *k {
                            leaves.push((old, kept.take().expect("just seen").1));
                        } else if old == *k {
                            kept = None;
                        }
                    }
                    if let Some(v) = v {
                        leaves.push((*k, *v));
                    }
                }
                if let Some(old) = kept {
                    leaves.push(old);
                }
                self.leaves -= 1;
                self.release(at);
                self.build(depth, &leaves)
            }
            Node::Inner { left, right, .. } => {
                let split = changes.partition_point(|(k, _)| !bit(k, depth));
                let (lc, rc) = changes.split_at(split);
                let l = self.update(left, depth + 1, lc);
                let r = self.update(right, depth + 1, rc);
                // A subtree left with one key is that key's leaf; with none, empty.
                if l == NIL && (r == NIL || self.is_leaf(r)) {
                    self.release(at);
                    return r;
                }
                if r == NIL && self.is_leaf(l) {
                    self.release(at);
                    return l;
                }
                let hash = state_map::node_hash(&self.hash(l), &self.hash(r));
                self.nodes[at as usize] = Node::Inner {
                    left: l,
                    right: r,
                    hash,
                };
                at
            }
        }
    }

    /// The subtree of `leaves` (sorted by path, distinct) under a prefix of `depth` bits.
    fn build(&mut self, depth: usize, leaves: &[(Hash, Hash)]) -> u32 {
        match leaves {
            [] => NIL,
            [(key, hash)] => {
                self.leaves += 1;
                self.alloc(Node::Leaf {
                    key: *key,
                    hash: *hash,
                })
            }
            _ => {
                debug_assert!(depth < state_map::tree::KEY_BITS);
                // Below the longest shared prefix every level has one side empty.
                let shared = common_prefix_bits(&leaves[0].0, &leaves[leaves.len() - 1].0);
                let split = leaves.partition_point(|(k, _)| !bit(k, shared));
                let (l, r) = leaves.split_at(split);
                let l = self.build(shared + 1, l);
                let r = self.build(shared + 1, r);
                let mut node = self.alloc(Node::Inner {
                    left: l,
                    right: r,
                    hash: state_map::node_hash(&self.hash(l), &self.hash(r)),
                });
                for d in (depth..shared).rev() {
                    let (left, right) = if bit(&leaves[0].0, d) {
                        (NIL, node)
                    } else {
                        (node, NIL)
                    };
                    node = self.alloc(Node::Inner {
                        left,
                        right,
                        hash: state_map::node_hash(&self.hash(left), &self.hash(right)),
                    });
                }
                node
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
                live.apply(writes.iter().map(|(k, v)| (k.as_slice(), v.as_deref())));
                for (k, v) in &writes {
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
        let keys: Vec<[u8; 4]> = (0..100u32).map(u32::to_be_bytes).collect();
        let put = |m: &mut LiveMap| m.apply(keys.iter().map(|k| (&k[..], Some(&b"v"[..]))));
        put(&mut m);
        let full = m.root();
        assert_ne!(full, state_map::EMPTY_ROOT);
        assert!(!m.is_empty());
        assert_eq!(m.len(), 100);
        let slots = m.nodes.len();
        // One at a time, out, then in again in one batch.
        for k in &keys {
            m.apply([(&k[..], None)]);
        }
        assert_eq!(m.root(), state_map::EMPTY_ROOT);
        assert!(m.is_empty());
        put(&mut m);
        assert_eq!(m.root(), full);
        // A key written twice in one batch keeps its last write.
        let mut twice = LiveMap::new();
        twice.apply([(&b"k"[..], Some(&b"1"[..])), (&b"k"[..], Some(&b"2"[..]))]);
        let mut once = LiveMap::new();
        once.apply([(&b"k"[..], Some(&b"2"[..]))]);
        assert_eq!(twice.root(), once.root());
        assert_eq!(m.nodes.len(), slots, "freed nodes are reused");
    }
}
