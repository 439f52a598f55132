//! The versioned sparse Merkle tree: nodes, the node-store trait, applying a version's writes,
//! and producing proofs at any version the store keeps.
//!
//! **Storage layout.** A node is stored under a [`NodeKey`]: the version (block height) that
//! wrote it and its position (depth and path prefix). A version writes new nodes only along the
//! paths of its writes and refers to every untouched subtree by the version that wrote it, so
//! each version costs O(writes × depth) nodes and every kept version stays readable. The root
//! of version `v` is always at `NodeKey::root(v)` (copied when a version changes nothing).
//! Every node a version replaces is reported as stale since that version: a store that keeps
//! versions `≥ p` may delete the nodes stale since `≤ p`.

use borsh::{BorshDeserialize, BorshSerialize};

use super::{
    bit, key_hash, leaf_hash, node_hash, value_hash, ProofLeaf, StateProof, EMPTY_ROOT,
    STATE_PROOF_VERSION,
};
use crate::hash::Hash;

/// Bits in a key path.
pub const KEY_BITS: usize = 256;

/// Where a node is stored: the version that wrote it and its position.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, BorshSerialize, BorshDeserialize,
)]
pub struct NodeKey {
    /// The version (block height) that wrote the node.
    pub version: u64,
    /// Depth of the node (0 = root).
    pub depth: u16,
    /// The first `depth` bits of the paths below the node; later bits are zero.
    pub path: [u8; 32],
}

impl NodeKey {
    /// The root position of `version`.
    pub fn root(version: u64) -> NodeKey {
        NodeKey {
            version,
            depth: 0,
            path: [0; 32],
        }
    }

    fn child(&self, version: u64, right: bool) -> NodeKey {
        let mut path = self.path;
        let d = self.depth as usize;
        if right {
            path[d / 8] |= 0x80 >> (d % 8);
        }
        NodeKey {
            version,
            depth: self.depth + 1,
            path,
        }
    }

    fn same_position(&self, other: &NodeKey) -> bool {
        self.depth == other.depth && self.path == other.path
    }
}

/// A reference from an inner node to a child.
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct ChildRef {
    /// The child's hash.
    pub hash: Hash,
    /// The version that wrote the child (its [`NodeKey::version`]).
    pub version: u64,
    /// Whether the child is a leaf.
    pub leaf: bool,
}

/// A stored node.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum Node {
    /// The root of an empty map (only ever stored at a root position).
    Empty,
    /// Two subtrees, at least one holding two or more keys.
    Inner {
        /// The subtree of paths with a 0 at this depth.
        left: Option<ChildRef>,
        /// The subtree of paths with a 1 at this depth.
        right: Option<ChildRef>,
    },
    /// The only key below this position.
    Leaf {
        /// The key's path.
        key_hash: Hash,
        /// Its value's hash.
        value_hash: Hash,
        /// The value (so proofs of old versions carry their value).
        value: Vec<u8>,
    },
}

fn child_hash(c: &Option<ChildRef>) -> Hash {
    c.map_or(EMPTY_ROOT, |c| c.hash)
}

impl Node {
    /// The node's hash.
    pub fn hash(&self) -> Hash {
        match self {
            Node::Empty => EMPTY_ROOT,
            Node::Inner { left, right } => node_hash(&child_hash(left), &child_hash(right)),
            Node::Leaf {
                key_hash,
                value_hash,
                ..
            } => leaf_hash(key_hash, value_hash),
        }
    }
}

/// Read access to stored nodes (the node's database, or [`super::MemoryNodeStore`]).
pub trait NodeReader {
    /// The node stored under `key`.
    fn node(&self, key: &NodeKey) -> Option<Node>;
}

/// A node that a version made unreachable from its root: needed only by older versions.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, BorshSerialize, BorshDeserialize,
)]
pub struct StaleNode {
    /// The first version that no longer needs the node.
    pub since: u64,
    /// The node.
    pub key: NodeKey,
}

/// What applying one version's writes produced: the new root and the nodes to store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TreeUpdate {
    /// The version written.
    pub version: u64,
    /// The root of the map after the writes.
    pub root: Hash,
    /// New nodes, all of `version`.
    pub nodes: Vec<(NodeKey, Node)>,
    /// Nodes no longer reachable from this version's root, sorted.
    pub stale: Vec<StaleNode>,
}

/// A tree read failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TreeError {
    /// A node the tree refers to is not in the store (pruned, never written, or corrupt
    /// storage).
    #[error("state tree node {0:?} is missing")]
    MissingNode(NodeKey),
    /// A stored node that cannot be where it is (the empty-map node below the root): corrupt
    /// storage.
    #[error("state tree node {0:?} is the empty-map node below the root (corrupt storage)")]
    Corrupt(NodeKey),
    /// A version not after its parent.
    #[error("state tree version {version} does not follow parent version {parent}")]
    VersionOrder {
        /// The new version.
        version: u64,
        /// The parent version.
        parent: u64,
    },
}

/// One write of a version: a key path and its new value (`None` deletes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Write {
    /// The key's path ([`key_hash`] of the state key).
    pub key_hash: Hash,
    /// The new value, or `None` to delete.
    pub value: Option<Vec<u8>>,
}

impl Write {
    /// A write of state key `key`.
    pub fn new(key: &[u8], value: Option<Vec<u8>>) -> Write {
        Write {
            key_hash: key_hash(key),
            value,
        }
    }
}

/// A subtree as the update sees it.
enum Sub {
    Empty,
    /// One leaf, not yet placed; `at` is where it is stored now, if anywhere.
    Leaf {
        node: Node,
        hash: Hash,
        at: Option<NodeKey>,
    },
    /// A subtree stored at its position (a leaf or an inner node).
    Placed(ChildRef),
}

/// An entry of a subtree being rebuilt: a new leaf, or an existing one (with where it is).
struct Entry {
    key_hash: Hash,
    node: Node,
    hash: Hash,
    at: Option<NodeKey>,
}

struct Updater<'r> {
    reader: &'r dyn NodeReader,
    version: u64,
    nodes: Vec<(NodeKey, Node)>,
    stale: Vec<NodeKey>,
}

/// A write prepared for the tree: path and, for a put, the leaf.
struct Prepared {
    key_hash: Hash,
    leaf: Option<(Node, Hash)>,
}

impl Updater<'_> {
    fn read(&self, key: &NodeKey) -> Result<Node, TreeError> {
        self.reader.node(key).ok_or(TreeError::MissingNode(*key))
    }

    fn update(
        &mut self,
        pos: NodeKey,
        current: Option<ChildRef>,
        writes: &mut [Prepared],
    ) -> Result<Sub, TreeError> {
        if writes.is_empty() {
            return Ok(current.map_or(Sub::Empty, Sub::Placed));
        }
        let Some(c) = current else {
            let entries = writes
                .iter_mut()
                .filter_map(|w| {
                    w.leaf.take().map(|(node, hash)| Entry {
                        key_hash: w.key_hash,
                        node,
                        hash,
                        at: None,
                    })
                })
                .collect::<Vec<_>>();
            return Ok(self.build(pos, entries));
        };
        let key = NodeKey {
            version: c.version,
            ..pos
        };
        let node = self.read(&key)?;
        match node {
            Node::Leaf {
                key_hash: existing, ..
            } => {
                let mut entries = Vec::with_capacity(writes.len() + 1);
                let mut kept = Some(Entry {
                    key_hash: existing,
                    node,
                    hash: c.hash,
                    at: Some(key),
                });
                for w in writes {
                    if w.key_hash == existing {
                        // Overwritten or deleted: the old leaf is gone from this version.
                        kept = None;
                        self.stale.push(key);
                    }
                    if let Some((node, hash)) = w.leaf.take() {
                        entries.push(Entry {
                            key_hash: w.key_hash,
                            node,
                            hash,
                            at: None,
                        });
                    }
                }
                if let Some(k) = kept {
                    let i = entries.partition_point(|e| e.key_hash < k.key_hash);
                    entries.insert(i, k);
                }
                Ok(self.build(pos, entries))
            }
            Node::Inner { left, right } => {
                self.stale.push(key);
                let d = pos.depth as usize;
                let split = writes.partition_point(|w| !bit(&w.key_hash, d));
                let (lw, rw) = writes.split_at_mut(split);
                let l = self.update(pos.child(0, false), left, lw)?;
                let r = self.update(pos.child(0, true), right, rw)?;
                self.join(pos, l, r)
            }
            Node::Empty => Err(TreeError::Corrupt(key)),
        }
    }

    /// A subtree over `entries` (sorted by path, all under `pos`).
    fn build(&mut self, pos: NodeKey, mut entries: Vec<Entry>) -> Sub {
        match entries.len() {
            0 | 1 => entries.pop().map_or(Sub::Empty, |e| Sub::Leaf {
                node: e.node,
                hash: e.hash,
                at: e.at,
            }),
            _ => {
                let d = pos.depth as usize;
                let split = entries.partition_point(|e| !bit(&e.key_hash, d));
                let right = entries.split_off(split);
                let l = self.build(pos.child(0, false), entries);
                let r = self.build(pos.child(0, true), right);
                // A build of two or more entries never fails: nothing is read.
                match self.join(pos, l, r) {
                    Ok(s) => s,
                    Err(e) => unreachable!("joining built subtrees read a node: {e}"),
                }
            }
        }
    }

    /// The subtree at `pos` from its two halves: empty, a lone leaf moving up, or a new inner
    /// node.
    fn join(&mut self, pos: NodeKey, l: Sub, r: Sub) -> Result<Sub, TreeError> {
        match (l, r) {
            (Sub::Empty, Sub::Empty) => Ok(Sub::Empty),
            (Sub::Empty, leaf @ Sub::Leaf { .. }) | (leaf @ Sub::Leaf { .. }, Sub::Empty) => {
                Ok(leaf)
            }
            (Sub::Empty, Sub::Placed(c)) if c.leaf => self.lift(pos.child(c.version, true), c),
            (Sub::Placed(c), Sub::Empty) if c.leaf => self.lift(pos.child(c.version, false), c),
            (l, r) => {
                let left = self.place(pos.child(self.version, false), l);
                let right = self.place(pos.child(self.version, true), r);
                let hash = node_hash(&child_hash(&left), &child_hash(&right));
                let key = NodeKey {
                    version: self.version,
                    ..pos
                };
                self.nodes.push((key, Node::Inner { left, right }));
                Ok(Sub::Placed(ChildRef {
                    hash,
                    version: self.version,
                    leaf: false,
                }))
            }
        }
    }

    /// A stored leaf whose sibling became empty: it moves up.
    fn lift(&mut self, key: NodeKey, c: ChildRef) -> Result<Sub, TreeError> {
        let node = self.read(&key)?;
        Ok(Sub::Leaf {
            node,
            hash: c.hash,
            at: Some(key),
        })
    }

    /// Store a subtree at `pos` (whose version is this update's) and refer to it.
    fn place(&mut self, pos: NodeKey, sub: Sub) -> Option<ChildRef> {
        match sub {
            Sub::Empty => None,
            Sub::Placed(c) => Some(c),
            Sub::Leaf { node, hash, at } => {
                if let Some(old) = at {
                    if old.same_position(&pos) {
                        return Some(ChildRef {
                            hash,
                            version: old.version,
                            leaf: true,
                        });
                    }
                    self.stale.push(old);
                }
                self.nodes.push((pos, node));
                Some(ChildRef {
                    hash,
                    version: self.version,
                    leaf: true,
                })
            }
        }
    }
}

/// The root reference of `version` (`None`: the empty map).
fn root_ref(reader: &dyn NodeReader, version: u64) -> Result<Option<ChildRef>, TreeError> {
    let key = NodeKey::root(version);
    let node = reader.node(&key).ok_or(TreeError::MissingNode(key))?;
    Ok(match &node {
        Node::Empty => None,
        n => Some(ChildRef {
            hash: n.hash(),
            version,
            leaf: matches!(n, Node::Leaf { .. }),
        }),
    })
}

/// The root hash of `version`.
pub fn root(reader: &dyn NodeReader, version: u64) -> Result<Hash, TreeError> {
    Ok(child_hash(&root_ref(reader, version)?))
}

/// Apply one version's writes on top of `parent` (`None`: the empty map) and return the new
/// root and nodes. Pure: reads through `reader`, writes nothing. The order of `writes` does not
/// matter except that a later write of the same key wins.
pub fn apply(
    reader: &dyn NodeReader,
    parent: Option<u64>,
    version: u64,
    writes: Vec<Write>,
) -> Result<TreeUpdate, TreeError> {
    if let Some(p) = parent {
        if version <= p {
            return Err(TreeError::VersionOrder { version, parent: p });
        }
    }
    let current = match parent {
        Some(p) => root_ref(reader, p)?,
        None => None,
    };
    let mut prepared: Vec<Prepared> = writes
        .into_iter()
        .map(|w| {
            let leaf = w.value.map(|value| {
                let vh = value_hash(&value);
                let hash = leaf_hash(&w.key_hash, &vh);
                let node = Node::Leaf {
                    key_hash: w.key_hash,
                    value_hash: vh,
                    value,
                };
                (node, hash)
            });
            Prepared {
                key_hash: w.key_hash,
                leaf,
            }
        })
        .collect();
    // Stable sort, then keep the last write of each key.
    prepared.sort_by_key(|p| p.key_hash);
    let mut deduped: Vec<Prepared> = Vec::with_capacity(prepared.len());
    for p in prepared {
        match deduped.last_mut() {
            Some(last) if last.key_hash == p.key_hash => *last = p,
            _ => deduped.push(p),
        }
    }
    let mut u = Updater {
        reader,
        version,
        nodes: Vec::with_capacity(deduped.len() * 4),
        stale: Vec::new(),
    };
    let root_pos = NodeKey::root(version);
    let sub = u.update(root_pos, current, &mut deduped)?;
    let placed = u.place(root_pos, sub);
    // The root of every version is stored at its own root position.
    let root = match placed {
        None => {
            u.nodes.push((root_pos, Node::Empty));
            EMPTY_ROOT
        }
        Some(c) => {
            if c.version != version {
                let old = NodeKey {
                    version: c.version,
                    ..root_pos
                };
                let node = u.read(&old)?;
                u.nodes.push((root_pos, node));
            }
            c.hash
        }
    };
    if let Some(p) = parent {
        u.stale.push(NodeKey::root(p));
    }
    let mut stale: Vec<StaleNode> = u
        .stale
        .into_iter()
        .map(|key| StaleNode {
            since: version,
            key,
        })
        .collect();
    stale.sort();
    stale.dedup();
    Ok(TreeUpdate {
        version,
        root,
        nodes: u.nodes,
        stale,
    })
}

/// The value of state key `key` at `version` (`None`: absent).
pub fn get(
    reader: &dyn NodeReader,
    version: u64,
    key: &[u8],
) -> Result<Option<Vec<u8>>, TreeError> {
    Ok(prove(reader, version, key)?.value().map(<[u8]>::to_vec))
}

/// An inclusion or exclusion proof of state key `key` at `version`.
pub fn prove(reader: &dyn NodeReader, version: u64, key: &[u8]) -> Result<StateProof, TreeError> {
    let kh = key_hash(key);
    let mut pos = NodeKey::root(version);
    let mut node = reader.node(&pos).ok_or(TreeError::MissingNode(pos))?;
    let mut siblings = Vec::new();
    let leaf = loop {
        match node {
            Node::Empty if pos.depth > 0 => return Err(TreeError::Corrupt(pos)),
            Node::Empty => break ProofLeaf::AbsentEmpty,
            Node::Leaf {
                key_hash: other,
                value_hash: vh,
                value,
            } => {
                if other == kh {
                    break ProofLeaf::Present { value };
                }
                break ProofLeaf::AbsentOther {
                    key_hash: other,
                    value_hash: vh,
                };
            }
            Node::Inner { left, right } => {
                let go_right = bit(&kh, pos.depth as usize);
                let (next, sibling) = if go_right {
                    (right, left)
                } else {
                    (left, right)
                };
                siblings.push(child_hash(&sibling));
                match next {
                    None => break ProofLeaf::AbsentEmpty,
                    Some(c) => {
                        pos = pos.child(c.version, go_right);
                        node = reader.node(&pos).ok_or(TreeError::MissingNode(pos))?;
                    }
                }
            }
        }
    };
    Ok(StateProof {
        version: STATE_PROOF_VERSION,
        siblings,
        leaf,
    })
}
