//! The bounded buffer of messages for future heights and views (rule B1, ADR 0011).

use std::collections::BTreeMap;

use tracechain_types::PublicKey;

use crate::messages::Message;

/// Most messages kept per sender. An honest validator sends at most a handful of messages per
/// (height, view) (pre-prepare or new-view, prepare, commit, view change); 64 covers several
/// heights and views ahead. Policy when full (B1): keep the messages nearest to the replica's
/// position; the furthest-future one (largest (height, view), the newest on ties) is dropped.
pub const MAX_BUFFERED_PER_SENDER: usize = 64;
/// Messages more than this many heights ahead are dropped, not buffered (B2); the replica
/// learns it is behind from certificates instead (SY1).
pub const MAX_FUTURE_HEIGHTS: u64 = 4;
/// Messages more than this many views ahead of the replica's view are dropped (B2).
pub const MAX_FUTURE_VIEWS: u64 = 64;

#[derive(Debug, Clone)]
struct Entry {
    height: u64,
    view: u64,
    message: Message,
}

/// Per-sender bounded buffer of future messages.
#[derive(Debug, Clone, Default)]
pub struct FutureBuffer {
    per_sender: BTreeMap<PublicKey, Vec<Entry>>,
}

impl FutureBuffer {
    /// Buffer `message` from `from`. Duplicates are kept once. Returns false when the message
    /// was dropped because the sender's share is full of nearer messages.
    pub fn push(&mut self, from: PublicKey, message: Message) -> bool {
        let (height, view) = (message.height(), message.view());
        let entries = self.per_sender.entry(from).or_default();
        if entries.iter().any(|e| e.message == message) {
            return true;
        }
        if entries.len() < MAX_BUFFERED_PER_SENDER {
            entries.push(Entry {
                height,
                view,
                message,
            });
            return true;
        }
        // Full: find the furthest-future entry (last on ties, i.e. the newest).
        let mut far = 0;
        for (i, e) in entries.iter().enumerate() {
            let (fh, fv) = match entries.get(far) {
                Some(f) => (f.height, f.view),
                None => (0, 0),
            };
            if (e.height, e.view) >= (fh, fv) {
                far = i;
            }
        }
        let far_key = entries
            .get(far)
            .map(|e| (e.height, e.view))
            .unwrap_or((0, 0));
        if (height, view) >= far_key {
            return false;
        }
        entries.remove(far);
        entries.push(Entry {
            height,
            view,
            message,
        });
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
            entries.retain(|e| e.height >= height);
        }
        self.per_sender.retain(|_, v| !v.is_empty());
    }

    /// Messages buffered in total.
    pub fn len(&self) -> usize {
        self.per_sender.values().map(Vec::len).sum()
    }

    /// Whether nothing is buffered.
    pub fn is_empty(&self) -> bool {
        self.per_sender.is_empty()
    }

    /// The largest number of messages buffered for one sender.
    pub fn max_per_sender(&self) -> usize {
        self.per_sender.values().map(Vec::len).max().unwrap_or(0)
    }

    /// Number of senders with buffered messages.
    pub fn senders(&self) -> usize {
        self.per_sender.len()
    }
}
