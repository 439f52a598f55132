//! The bounded buffer of messages for future heights and views (rules B1 and B3, ADR 0011,
//! ADR 0017): bounded per sender and in total, in messages and in encoded bytes.

use std::collections::BTreeMap;

use tracechain_types::PublicKey;

use crate::limits::Limits;
use crate::messages::Message;

pub use crate::limits::{MAX_BUFFERED_PER_SENDER, MAX_FUTURE_HEIGHTS, MAX_FUTURE_VIEWS};

#[derive(Debug, Clone)]
struct Entry {
    height: u64,
    view: u64,
    bytes: usize,
    message: Message,
}

/// Encoded size of a message (what it costs to keep it).
pub fn message_bytes(message: &Message) -> usize {
    borsh::object_length(message).unwrap_or(usize::MAX)
}

/// Per-sender bounded buffer of future messages.
#[derive(Debug, Clone)]
pub struct FutureBuffer {
    limits: Limits,
    per_sender: BTreeMap<PublicKey, Vec<Entry>>,
    total: usize,
    total_bytes: usize,
}

impl Default for FutureBuffer {
    fn default() -> Self {
        FutureBuffer::new(Limits::default())
    }
}

impl FutureBuffer {
    /// An empty buffer with these limits.
    pub fn new(limits: Limits) -> Self {
        FutureBuffer {
            limits,
            per_sender: BTreeMap::new(),
            total: 0,
            total_bytes: 0,
        }
    }

    /// Buffer `message` from `from`. Duplicates are kept once. Returns false when the message
    /// was dropped: larger than a sender's byte share, or the sender's share (B1/B3) or the
    /// whole buffer (B3) is full of nearer messages. Only messages further in the future than
    /// the new one are ever evicted for it (largest (height, view) first, the newest on ties).
    pub fn push(&mut self, from: PublicKey, message: Message) -> bool {
        let key = (message.height(), message.view());
        if self
            .per_sender
            .get(&from)
            .map(|es| es.iter().any(|e| e.message == message))
            .unwrap_or(false)
        {
            return true;
        }
        let bytes = message_bytes(&message);
        if bytes > self.limits.max_buffered_bytes_per_sender
            || bytes > self.limits.max_buffered_bytes_total
        {
            return false;
        }
        // The sender's share, in messages and bytes.
        loop {
            let (count, used) = self.share(&from);
            if count < self.limits.max_buffered_per_sender
                && used.saturating_add(bytes) <= self.limits.max_buffered_bytes_per_sender
            {
                break;
            }
            if !self.evict_further(Some(&from), key) {
                return false;
            }
        }
        // The whole buffer.
        while self.total >= self.limits.max_buffered_total
            || self.total_bytes.saturating_add(bytes) > self.limits.max_buffered_bytes_total
        {
            if !self.evict_further(None, key) {
                return false;
            }
        }
        self.per_sender.entry(from).or_default().push(Entry {
            height: key.0,
            view: key.1,
            bytes,
            message,
        });
        self.total += 1;
        self.total_bytes = self.total_bytes.saturating_add(bytes);
        true
    }

    fn share(&self, from: &PublicKey) -> (usize, usize) {
        match self.per_sender.get(from) {
            Some(es) => (es.len(), es.iter().map(|e| e.bytes).sum()),
            None => (0, 0),
        }
    }

    /// Evict the furthest-future entry (of `only` or of anyone) if it is further than `key`;
    /// false when nothing further than `key` is left.
    fn evict_further(&mut self, only: Option<&PublicKey>, key: (u64, u64)) -> bool {
        let mut far: Option<(PublicKey, usize, (u64, u64))> = None;
        for (k, es) in &self.per_sender {
            if only.map(|o| o != k).unwrap_or(false) {
                continue;
            }
            for (i, e) in es.iter().enumerate() {
                let ek = (e.height, e.view);
                if far.map(|(_, _, fk)| ek >= fk).unwrap_or(true) {
                    far = Some((*k, i, ek));
                }
            }
        }
        let Some((k, i, fk)) = far else {
            return false;
        };
        if fk <= key {
            return false;
        }
        if let Some(es) = self.per_sender.get_mut(&k) {
            let gone = es.remove(i);
            self.total -= 1;
            self.total_bytes = self.total_bytes.saturating_sub(gone.bytes);
            if es.is_empty() {
                self.per_sender.remove(&k);
            }
        }
        true
    }

    /// Remove and return the messages for `height` with view ≤ `max_view`, in arrival order per
    /// sender, senders in key order.
    pub fn take(&mut self, height: u64, max_view: u64) -> Vec<(PublicKey, Message)> {
        let mut out = Vec::new();
        for (from, entries) in self.per_sender.iter_mut() {
            let mut keep = Vec::with_capacity(entries.len());
            for e in entries.drain(..) {
                if e.height == height && e.view <= max_view {
                    self.total -= 1;
                    self.total_bytes = self.total_bytes.saturating_sub(e.bytes);
                    out.push((*from, e.message));
                } else {
                    keep.push(e);
                }
            }
            *entries = keep;
        }
        self.per_sender.retain(|_, v| !v.is_empty());
        out
    }

    /// Drop everything for heights below `height` (stale after a commit).
    pub fn prune_below(&mut self, height: u64) {
        for entries in self.per_sender.values_mut() {
            for e in entries.iter().filter(|e| e.height < height) {
                self.total -= 1;
                self.total_bytes = self.total_bytes.saturating_sub(e.bytes);
            }
            entries.retain(|e| e.height >= height);
        }
        self.per_sender.retain(|_, v| !v.is_empty());
    }

    /// Messages buffered in total.
    pub fn len(&self) -> usize {
        self.total
    }

    /// Encoded bytes buffered in total.
    pub fn bytes(&self) -> usize {
        self.total_bytes
    }

    /// Whether nothing is buffered.
    pub fn is_empty(&self) -> bool {
        self.per_sender.is_empty()
    }

    /// The largest number of messages buffered for one sender.
    pub fn max_per_sender(&self) -> usize {
        self.per_sender.values().map(Vec::len).max().unwrap_or(0)
    }

    /// The largest number of encoded bytes buffered for one sender.
    pub fn max_bytes_per_sender(&self) -> usize {
        self.per_sender
            .values()
            .map(|es| es.iter().map(|e| e.bytes).sum::<usize>())
            .max()
            .unwrap_or(0)
    }

    /// Every buffered message with its sender (for checks that recount the bytes themselves).
    pub fn held(&self) -> impl Iterator<Item = (&PublicKey, &Message)> {
        self.per_sender
            .iter()
            .flat_map(|(from, entries)| entries.iter().map(move |e| (from, &e.message)))
    }

    /// Number of senders with buffered messages.
    pub fn senders(&self) -> usize {
        self.per_sender.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::Vote;
    use tracechain_types::{Hash, Signature};

    fn prepare(height: u64, view: u64) -> Message {
        Message::Prepare(Vote {
            height,
            view,
            block_hash: Hash::tagged(b"b", &[]),
            voter: PublicKey([3; 32]),
            signature: Signature([5; 64]),
        })
    }

    fn buffer(per_sender_bytes: usize, total_bytes: usize) -> FutureBuffer {
        FutureBuffer::new(Limits {
            max_buffered_bytes_per_sender: per_sender_bytes,
            max_buffered_bytes_total: total_bytes,
            ..Limits::default()
        })
    }

    /// B3: a message larger than a sender's byte share (or than the whole buffer) is refused
    /// before anything is evicted for it: the sender's further message stays.
    #[test]
    fn b3_message_above_a_byte_limit_is_refused_without_evicting() {
        let size = message_bytes(&prepare(2, 0));
        let from = PublicKey([9; 32]);
        for (per_sender, total) in [(2 * size - 1, 100 * size), (100 * size, 2 * size - 1)] {
            let mut b = buffer(per_sender, total);
            // A small message for a further view, then a nearer one that is too large.
            assert!(b.push(from, prepare(2, 9)));
            let big = Message::Decided(tracechain_types::CommitCertificate {
                height: 2,
                block_hash: Hash::tagged(b"b", &[]),
                votes: Vec::new(),
                view: 0,
            });
            let mut big = big;
            if let Message::Decided(c) = &mut big {
                while message_bytes(&Message::Decided(c.clone())) <= 2 * size {
                    c.votes.push(tracechain_types::CommitVote {
                        validator: PublicKey([7; 32]),
                        signature: Signature([1; 64]),
                    });
                }
            }
            assert!(!b.push(from, big), "({per_sender}, {total}): refused");
            assert_eq!(b.len(), 1, "({per_sender}, {total}): nothing evicted");
            assert_eq!(b.bytes(), size);
        }
    }

    /// (height, view) of what `from` has buffered, ascending.
    fn keys_of(b: &FutureBuffer, from: PublicKey) -> Vec<(u64, u64)> {
        let mut k: Vec<(u64, u64)> = b
            .held()
            .filter(|(f, _)| **f == from)
            .map(|(_, m)| (m.height(), m.view()))
            .collect();
        k.sort();
        k
    }

    /// B1 policy: a sender over its share loses its furthest-future message for a nearer one,
    /// never another sender's; a message further than everything it holds is refused.
    #[test]
    fn b1_full_share_evicts_the_senders_furthest_message_only() {
        let mut b = FutureBuffer::new(Limits {
            max_buffered_per_sender: 3,
            ..Limits::default()
        });
        let (a, other) = (PublicKey([1; 32]), PublicKey([2; 32]));
        assert!(b.push(other, prepare(4, 9)));
        for (h, v) in [(2, 1), (3, 5), (2, 7)] {
            assert!(b.push(a, prepare(h, v)));
        }
        // Further than all of a's: refused, nothing evicted.
        assert!(!b.push(a, prepare(4, 0)));
        assert_eq!(keys_of(&b, a), vec![(2, 1), (2, 7), (3, 5)]);
        // Nearer: a's furthest, (3, 5), goes — not the other sender's (4, 9).
        assert!(b.push(a, prepare(2, 3)));
        assert_eq!(keys_of(&b, a), vec![(2, 1), (2, 3), (2, 7)]);
        assert_eq!(keys_of(&b, other), vec![(4, 9)]);
        assert_eq!(b.len(), 4);
    }

    /// B1 policy over the whole buffer: when the total is full, the furthest message of any
    /// sender goes for a nearer one.
    #[test]
    fn b1_full_buffer_evicts_the_furthest_message_of_anyone() {
        let mut b = FutureBuffer::new(Limits {
            max_buffered_per_sender: 3,
            max_buffered_total: 3,
            ..Limits::default()
        });
        let (a, c) = (PublicKey([1; 32]), PublicKey([2; 32]));
        assert!(b.push(a, prepare(2, 1)));
        assert!(b.push(c, prepare(3, 0)));
        assert!(b.push(a, prepare(2, 2)));
        assert!(
            !b.push(c, prepare(3, 1)),
            "further than everything: refused"
        );
        assert!(b.push(a, prepare(2, 0)));
        assert_eq!(
            keys_of(&b, c),
            Vec::<(u64, u64)>::new(),
            "c's (3, 0) was furthest"
        );
        assert_eq!(keys_of(&b, a), vec![(2, 0), (2, 1), (2, 2)]);
    }

    /// `take` hands over exactly the messages of a height up to a view, in arrival order per
    /// sender, and `prune_below` drops the heights below; counts and bytes follow, and a sender
    /// with nothing left is forgotten.
    #[test]
    fn take_and_prune_keep_the_accounting_exact() {
        let mut b = FutureBuffer::new(Limits::default());
        let (a, c) = (PublicKey([1; 32]), PublicKey([2; 32]));
        for (from, h, v) in [
            (a, 2, 1),
            (a, 2, 0),
            (a, 2, 3),
            (c, 3, 0),
            (c, 2, 2),
            (a, 2, 4),
        ] {
            assert!(b.push(from, prepare(h, v)));
        }
        let size = message_bytes(&prepare(2, 0));
        assert!(!b.is_empty());
        let got: Vec<(PublicKey, (u64, u64))> = b
            .take(2, 2)
            .into_iter()
            .map(|(f, m)| (f, (m.height(), m.view())))
            .collect();
        assert_eq!(got, vec![(a, (2, 1)), (a, (2, 0)), (c, (2, 2))]);
        assert_eq!((b.len(), b.bytes(), b.senders()), (3, 3 * size, 2));
        b.prune_below(3);
        assert_eq!(keys_of(&b, a), Vec::<(u64, u64)>::new());
        assert_eq!(keys_of(&b, c), vec![(3, 0)]);
        assert_eq!((b.len(), b.bytes(), b.senders()), (1, size, 1));
        assert_eq!(b.take(3, 0).len(), 1);
        assert!(b.is_empty());
        assert_eq!((b.len(), b.bytes(), b.senders()), (0, 0, 0));
    }

    /// B3: a message of exactly the byte limit fits an empty share.
    #[test]
    fn b3_message_exactly_at_the_byte_limits_is_kept() {
        let m = prepare(2, 0);
        let size = message_bytes(&m);
        let mut b = buffer(size, size);
        assert!(b.push(PublicKey([9; 32]), m));
        assert_eq!(
            (b.len(), b.bytes(), b.max_bytes_per_sender()),
            (1, size, size)
        );
    }
}
