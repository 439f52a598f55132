//! The versioned sparse Merkle tree: nodes, the node-store trait, applying a version's writes,
//! and producing proofs at any version the store keeps.
//!
//! **Storage layout.** The binary tree is stored in pages of four binary levels: a
//! [`Node::Page`] at a position whose depth is a multiple of [`PAGE_LEVELS`] holds the hashes of
//! the inner nodes of its four levels and, for each position below them, a reference to a leaf
//! or to the page below (hash and version). Leaves are stored one per key at their own
//! position. A node is stored under a [`NodeKey`]: the version (block height) that wrote it and
//! its position (depth and path prefix). A version writes a new page only where its writes
//! change something and refers to every untouched page or leaf by the version that wrote it, so
//! each version costs O(writes × depth / 4) pages and every kept version stays readable. The
//! root of version `v` is always at `NodeKey::root(v)` (copied when a version changes nothing).
//! Every node a version replaces is reported as stale since that version: a store that keeps
//! versions `≥ p` may delete the nodes stale since `≤ p`. The layout is storage only: hashes
//! and proofs are those of the binary tree (ADR 0050).

use std::borrow::Cow;

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

/// Binary levels of the tree stored in one [`Node::Page`].
pub const PAGE_LEVELS: usize = 4;

/// Slots of a page, by heap index: 1 is the page's own position (depth `D`, a multiple of
/// [`PAGE_LEVELS`]), `2i` and `2i + 1` the children of slot `i`; slots 16–31 are the
/// positions at depth `D + 4`, where the pages below start. Index 0 is unused.
const PAGE_SLOTS: usize = 1 << (PAGE_LEVELS + 1);
/// The first slot at the bottom of a page (depth `D + 4`).
const PAGE_BOTTOM: usize = PAGE_SLOTS / 2;

/// What a page records about one binary position of its four levels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum Slot {
    /// An empty subtree.
    Empty,
    /// An inner node (two subtrees, at least one holding two or more keys) whose children are
    /// slots of the same page (slots 1–15 only).
    Inner {
        /// The inner node's hash.
        hash: Hash,
    },
    /// The only key below this position: a leaf stored at this position.
    Leaf {
        /// The leaf's hash.
        hash: Hash,
        /// The version that wrote the leaf (its [`NodeKey::version`]).
        version: u64,
    },
    /// An inner node stored as a page of its own (slots 16–31 only).
    Page {
        /// The inner node's hash.
        hash: Hash,
        /// The version that wrote the page (its [`NodeKey::version`]).
        version: u64,
    },
}

impl Slot {
    /// The hash of the subtree at this position.
    pub fn hash(&self) -> Hash {
        match self {
            Slot::Empty => EMPTY_ROOT,
            Slot::Inner { hash } | Slot::Leaf { hash, .. } | Slot::Page { hash, .. } => *hash,
        }
    }
}

/// A stored node.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum Node {
    /// The root of an empty map (only ever stored at a root position).
    Empty,
    /// Four binary levels under an inner node at a depth multiple of [`PAGE_LEVELS`]: the
    /// non-empty slots, by increasing heap index (1 = this position, always an inner node).
    Page {
        /// `(heap index, slot)` of every non-empty slot.
        slots: Vec<(u8, Slot)>,
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

impl Node {
    /// The node's hash.
    pub fn hash(&self) -> Hash {
        match self {
            Node::Empty => EMPTY_ROOT,
            Node::Page { slots } => slots
                .iter()
                .find(|(i, _)| *i == 1)
                .map_or(EMPTY_ROOT, |(_, s)| s.hash()),
            Node::Leaf {
                key_hash,
                value_hash,
                ..
            } => leaf_hash(key_hash, value_hash),
        }
    }
}

/// A page's slots by heap index, while reading or building it.
#[derive(Clone, Copy)]
struct PageBuf([Slot; PAGE_SLOTS]);

impl PageBuf {
    const EMPTY: PageBuf = PageBuf([Slot::Empty; PAGE_SLOTS]);

    /// The slots of a stored page (`None`: not a well-formed page).
    fn of(node: &Node) -> Option<PageBuf> {
        let Node::Page { slots } = node else {
            return None;
        };
        let mut buf = PageBuf::EMPTY;
        for (i, s) in slots {
            let i = usize::from(*i);
            let ok = match s {
                Slot::Empty => false,
                Slot::Inner { .. } => (1..PAGE_BOTTOM).contains(&i),
                Slot::Leaf { .. } => (2..PAGE_SLOTS).contains(&i),
                Slot::Page { .. } => (PAGE_BOTTOM..PAGE_SLOTS).contains(&i),
            };
            if !ok {
                return None;
            }
            buf.0[i] = *s;
        }
        matches!(buf.0[1], Slot::Inner { .. }).then_some(buf)
    }

    fn node(&self) -> Node {
        Node::Page {
            slots: (1..PAGE_SLOTS)
                .filter(|&i| self.0[i] != Slot::Empty)
                .map(|i| (i as u8, self.0[i]))
                .collect(),
        }
    }

    /// Copy the slots of the subtree at `idx` from `from`.
    fn copy_subtree(&mut self, from: &PageBuf, idx: usize) {
        self.0[idx] = from.0[idx];
        if idx < PAGE_BOTTOM && matches!(from.0[idx], Slot::Inner { .. }) {
            self.copy_subtree(from, 2 * idx);
            self.copy_subtree(from, 2 * idx + 1);
        }
    }
}

/// Read access to stored nodes (the node's database, or [`super::MemoryNodeStore`]).
pub trait NodeReader {
    /// The node stored under `key` (borrowed when the store holds it in memory, owned when
    /// it was decoded).
    fn node(&self, key: &NodeKey) -> Option<Cow<'_, Node>>;
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
    /// A stored leaf left where it is.
    LeafAt {
        hash: Hash,
        version: u64,
    },
    /// An inner node inside the page being built (its slots are written there).
    Inner {
        hash: Hash,
    },
    /// A stored page at this position (untouched, or written by this update).
    PageAt {
        hash: Hash,
        version: u64,
    },
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
        self.reader
            .node(key)
            .map(Cow::into_owned)
            .ok_or(TreeError::MissingNode(*key))
    }

    fn read_page(&self, key: &NodeKey) -> Result<PageBuf, TreeError> {
        let node = self.reader.node(key).ok_or(TreeError::MissingNode(*key))?;
        PageBuf::of(&node).ok_or(TreeError::Corrupt(*key))
    }

    /// The subtree at `pos`, a page position (depth a multiple of [`PAGE_LEVELS`]), now
    /// `cur`, after `writes` (sorted, all under `pos`).
    fn region(
        &mut self,
        pos: NodeKey,
        cur: Slot,
        writes: &mut [Prepared],
    ) -> Result<Sub, TreeError> {
        if writes.is_empty() {
            return match cur {
                Slot::Empty => Ok(Sub::Empty),
                Slot::Leaf { hash, version } => Ok(Sub::LeafAt { hash, version }),
                Slot::Page { hash, version } => Ok(Sub::PageAt { hash, version }),
                Slot::Inner { .. } => Err(TreeError::Corrupt(pos)),
            };
        }
        let mut new = PageBuf::EMPTY;
        let sub = match cur {
            Slot::Page { version, .. } => {
                let key = NodeKey { version, ..pos };
                let old = self.read_page(&key)?;
                self.stale.push(key);
                self.within(pos, 1, old.0[1], &old, &mut new, writes)?
            }
            Slot::Inner { .. } => return Err(TreeError::Corrupt(pos)),
            other => self.within(pos, 1, other, &PageBuf::EMPTY, &mut new, writes)?,
        };
        Ok(self.finish(pos, sub, &new))
    }

    /// Store the page built at `pos` when its top is an inner node.
    fn finish(&mut self, pos: NodeKey, sub: Sub, new: &PageBuf) -> Sub {
        match sub {
            Sub::Inner { hash } => {
                let key = NodeKey {
                    version: self.version,
                    ..pos
                };
                self.nodes.push((key, new.node()));
                Sub::PageAt {
                    hash,
                    version: self.version,
                }
            }
            s => s,
        }
    }

    /// The subtree at `pos`, slot `idx` (below 16) of the page being rebuilt (`old` before,
    /// `new` after), now `cur`, after `writes`.
    fn within(
        &mut self,
        pos: NodeKey,
        idx: usize,
        cur: Slot,
        old: &PageBuf,
        new: &mut PageBuf,
        writes: &mut [Prepared],
    ) -> Result<Sub, TreeError> {
        if writes.is_empty() {
            return match cur {
                Slot::Empty => Ok(Sub::Empty),
                Slot::Leaf { hash, version } => Ok(Sub::LeafAt { hash, version }),
                Slot::Inner { hash } => {
                    new.copy_subtree(old, idx);
                    Ok(Sub::Inner { hash })
                }
                Slot::Page { .. } => Err(TreeError::Corrupt(pos)),
            };
        }
        match cur {
            Slot::Empty => {
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
                Ok(self.build(pos, idx, entries, new))
            }
            Slot::Leaf { hash, version } => {
                let key = NodeKey { version, ..pos };
                let stored = self.reader.node(&key).ok_or(TreeError::MissingNode(key))?;
                let Node::Leaf {
                    key_hash: existing, ..
                } = *stored
                else {
                    return Err(TreeError::Corrupt(key));
                };
                // The stored leaf is only copied when it stays.
                let node = if writes.iter().any(|w| w.key_hash == existing) {
                    Node::Empty
                } else {
                    stored.into_owned()
                };
                let mut entries = Vec::with_capacity(writes.len() + 1);
                let mut kept = Some(Entry {
                    key_hash: existing,
                    node,
                    hash,
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
                Ok(self.build(pos, idx, entries, new))
            }
            Slot::Inner { .. } => {
                let d = pos.depth as usize;
                let split = writes.partition_point(|w| !bit(&w.key_hash, d));
                let (lw, rw) = writes.split_at_mut(split);
                let l = self.child(pos, idx, false, old, new, lw)?;
                let r = self.child(pos, idx, true, old, new, rw)?;
                self.join(pos, idx, l, r, new)
            }
            Slot::Page { .. } => Err(TreeError::Corrupt(pos)),
        }
    }

    /// One child of slot `idx`: inside the same page, or the page below.
    fn child(
        &mut self,
        pos: NodeKey,
        idx: usize,
        right: bool,
        old: &PageBuf,
        new: &mut PageBuf,
        writes: &mut [Prepared],
    ) -> Result<Sub, TreeError> {
        let cpos = pos.child(0, right);
        let cidx = 2 * idx + usize::from(right);
        if cidx >= PAGE_BOTTOM {
            self.region(cpos, old.0[cidx], writes)
        } else {
            self.within(cpos, cidx, old.0[cidx], old, new, writes)
        }
    }

    /// A subtree over `entries` (sorted by path, all under `pos`, slot `idx` of `new`).
    fn build(
        &mut self,
        pos: NodeKey,
        idx: usize,
        mut entries: Vec<Entry>,
        new: &mut PageBuf,
    ) -> Sub {
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
                let l = self.build_child(pos, idx, false, entries, new);
                let r = self.build_child(pos, idx, true, right, new);
                // A build of two or more entries never fails: nothing is read.
                match self.join(pos, idx, l, r, new) {
                    Ok(s) => s,
                    Err(e) => unreachable!("joining built subtrees read a node: {e}"),
                }
            }
        }
    }

    fn build_child(
        &mut self,
        pos: NodeKey,
        idx: usize,
        right: bool,
        entries: Vec<Entry>,
        new: &mut PageBuf,
    ) -> Sub {
        let cpos = pos.child(0, right);
        let cidx = 2 * idx + usize::from(right);
        if cidx >= PAGE_BOTTOM {
            if entries.len() < 2 {
                return self.build(cpos, 1, entries, new);
            }
            let mut page = PageBuf::EMPTY;
            let sub = self.build(cpos, 1, entries, &mut page);
            self.finish(cpos, sub, &page)
        } else {
            self.build(cpos, cidx, entries, new)
        }
    }

    /// The subtree at `pos` (slot `idx`) from its two halves: empty, a lone leaf moving up,
    /// or a new inner node.
    fn join(
        &mut self,
        pos: NodeKey,
        idx: usize,
        l: Sub,
        r: Sub,
        new: &mut PageBuf,
    ) -> Result<Sub, TreeError> {
        match (l, r) {
            (Sub::Empty, Sub::Empty) => Ok(Sub::Empty),
            (Sub::Empty, leaf @ Sub::Leaf { .. }) | (leaf @ Sub::Leaf { .. }, Sub::Empty) => {
                Ok(leaf)
            }
            (Sub::Empty, Sub::LeafAt { hash, version }) => {
                self.lift(pos.child(version, true), hash)
            }
            (Sub::LeafAt { hash, version }, Sub::Empty) => {
                self.lift(pos.child(version, false), hash)
            }
            (l, r) => {
                let lh = self.place(pos.child(self.version, false), 2 * idx, l, new);
                let rh = self.place(pos.child(self.version, true), 2 * idx + 1, r, new);
                let hash = node_hash(&lh, &rh);
                new.0[idx] = Slot::Inner { hash };
                Ok(Sub::Inner { hash })
            }
        }
    }

    /// A stored leaf whose sibling became empty: it moves up.
    fn lift(&mut self, key: NodeKey, hash: Hash) -> Result<Sub, TreeError> {
        let node = self.read(&key)?;
        if !matches!(node, Node::Leaf { .. }) {
            return Err(TreeError::Corrupt(key));
        }
        Ok(Sub::Leaf {
            node,
            hash,
            at: Some(key),
        })
    }

    /// Put a subtree in slot `idx` of `new` at `pos` (whose version is this update's), storing
    /// a leaf that moved; returns its hash.
    fn place(&mut self, pos: NodeKey, idx: usize, sub: Sub, new: &mut PageBuf) -> Hash {
        let slot = match sub {
            Sub::Empty => Slot::Empty,
            Sub::Leaf { node, hash, at } => match at {
                Some(old) if old.same_position(&pos) => Slot::Leaf {
                    hash,
                    version: old.version,
                },
                _ => {
                    if let Some(old) = at {
                        self.stale.push(old);
                    }
                    self.nodes.push((pos, node));
                    Slot::Leaf {
                        hash,
                        version: self.version,
                    }
                }
            },
            Sub::LeafAt { hash, version } => Slot::Leaf { hash, version },
            Sub::Inner { hash } => Slot::Inner { hash },
            Sub::PageAt { hash, version } => Slot::Page { hash, version },
        };
        new.0[idx] = slot;
        slot.hash()
    }
}

/// The root of `version` as a slot (`Slot::Empty`: the empty map).
fn root_slot(reader: &dyn NodeReader, version: u64) -> Result<Slot, TreeError> {
    let key = NodeKey::root(version);
    let node = reader.node(&key).ok_or(TreeError::MissingNode(key))?;
    Ok(match &*node {
        Node::Empty => Slot::Empty,
        Node::Leaf { .. } => Slot::Leaf {
            hash: node.hash(),
            version,
        },
        Node::Page { .. } => Slot::Page {
            hash: PageBuf::of(&node).ok_or(TreeError::Corrupt(key))?.0[1].hash(),
            version,
        },
    })
}

/// The root hash of `version`.
pub fn root(reader: &dyn NodeReader, version: u64) -> Result<Hash, TreeError> {
    Ok(root_slot(reader, version)?.hash())
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
        Some(p) => root_slot(reader, p)?,
        None => Slot::Empty,
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
    let sub = u.region(root_pos, current, &mut deduped)?;
    // The root of every version is stored at its own root position.
    let root = match sub {
        Sub::Empty => {
            u.nodes.push((root_pos, Node::Empty));
            EMPTY_ROOT
        }
        Sub::Leaf { node, hash, at } => {
            if let Some(old) = at {
                if !old.same_position(&root_pos) {
                    u.stale.push(old);
                }
            }
            u.nodes.push((root_pos, node));
            hash
        }
        Sub::LeafAt { hash, version: v } | Sub::PageAt { hash, version: v } => {
            if v != version {
                let old = NodeKey {
                    version: v,
                    ..root_pos
                };
                let node = u.read(&old)?;
                u.nodes.push((root_pos, node));
            }
            hash
        }
        Sub::Inner { .. } => unreachable!("a region's top is stored as a page"),
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
    let read = |k: NodeKey| reader.node(&k).ok_or(TreeError::MissingNode(k));
    let leaf_of = |node: &Node, k: NodeKey| match node {
        Node::Leaf {
            key_hash: other,
            value_hash: vh,
            value,
        } => Ok(if *other == kh {
            ProofLeaf::Present {
                value: value.clone(),
            }
        } else {
            ProofLeaf::AbsentOther {
                key_hash: *other,
                value_hash: *vh,
            }
        }),
        _ => Err(TreeError::Corrupt(k)),
    };
    let mut pos = NodeKey::root(version);
    let mut siblings = Vec::new();
    let root_node = read(pos)?;
    let mut page = match &*root_node {
        Node::Empty => PageBuf::EMPTY,
        node @ Node::Leaf { .. } => {
            // A lone leaf at the root: no siblings.
            let leaf = leaf_of(node, pos)?;
            return Ok(StateProof {
                version: STATE_PROOF_VERSION,
                siblings,
                leaf,
            });
        }
        node => PageBuf::of(node).ok_or(TreeError::Corrupt(pos))?,
    };
    let mut idx = 1;
    let leaf = loop {
        let d = pos.depth as usize;
        if !matches!(page.0[idx], Slot::Inner { .. }) || d >= KEY_BITS {
            if d == 0 && page.0[idx] == Slot::Empty {
                break ProofLeaf::AbsentEmpty;
            }
            return Err(TreeError::Corrupt(pos));
        }
        let go_right = bit(&kh, d);
        let cidx = 2 * idx + usize::from(go_right);
        siblings.push(page.0[cidx ^ 1].hash());
        pos = pos.child(0, go_right);
        match page.0[cidx] {
            Slot::Empty => break ProofLeaf::AbsentEmpty,
            Slot::Leaf { version, .. } => {
                let k = NodeKey { version, ..pos };
                break leaf_of(&*read(k)?, k)?;
            }
            Slot::Inner { .. } => idx = cidx,
            Slot::Page { version, .. } => {
                let k = NodeKey { version, ..pos };
                page = PageBuf::of(&*read(k)?).ok_or(TreeError::Corrupt(k))?;
                idx = 1;
            }
        }
    };
    Ok(StateProof {
        version: STATE_PROOF_VERSION,
        siblings,
        leaf,
    })
}
