//! Where the blocks of an audit come from: a node's data directory opened read-only, or an
//! export (a file, or a node's `GET /v1/export` stream); and the data directory's own state
//! checked against the replay.

use std::io::Read;

use tracechain_storage::Store;

use crate::export::ExportReader;
use crate::replay::{Failure, Outcome, SourceItem};
use tracechain_types::ValidatorSet;

/// The blocks `1..=tip` of a store opened read-only, each with its certificate.
#[derive(Debug)]
pub struct DataDirBlocks<'a> {
    store: &'a Store,
    next: u64,
    tip: u64,
}

impl<'a> DataDirBlocks<'a> {
    /// From height 1 to the store's tip when this is called.
    pub fn new(store: &'a Store) -> Result<DataDirBlocks<'a>, String> {
        let tip = store.tip().map_err(|e| e.to_string())?;
        Ok(DataDirBlocks {
            store,
            next: 1,
            tip: tip.height,
        })
    }

    /// The tip height the walk ends at.
    pub fn tip(&self) -> u64 {
        self.tip
    }
}

impl Iterator for DataDirBlocks<'_> {
    type Item = SourceItem;

    fn next(&mut self) -> Option<SourceItem> {
        if self.next > self.tip {
            return None;
        }
        let h = self.next;
        self.next = self.next.saturating_add(1);
        if h == u64::MAX {
            self.tip = 0;
        }
        let item = match (self.store.block(h), self.store.cert(h)) {
            (Ok(Some(b)), Ok(Some(c))) => Ok((b, c)),
            (Ok(None), _) => Err(format!(
                "the data directory has no block at height {h}, below its tip {}",
                self.tip
            )),
            (_, Ok(None)) => Err(format!(
                "the data directory has no certificate for height {h}, below its tip {}",
                self.tip
            )),
            (Err(e), _) | (_, Err(e)) => Err(format!("stored block or certificate {h}: {e}")),
        };
        if item.is_err() {
            self.next = self.tip.saturating_add(1);
        }
        Some(item)
    }
}

/// The blocks of an export, each with its certificate, until its end frame.
#[derive(Debug)]
pub struct ExportBlocks<R: Read> {
    reader: ExportReader<R>,
    done: bool,
}

impl<R: Read> ExportBlocks<R> {
    /// Walk `reader`'s blocks.
    pub fn new(reader: ExportReader<R>) -> ExportBlocks<R> {
        ExportBlocks {
            reader,
            done: false,
        }
    }
}

impl<R: Read> Iterator for ExportBlocks<R> {
    type Item = SourceItem;

    fn next(&mut self) -> Option<SourceItem> {
        if self.done {
            return None;
        }
        match self.reader.next_block() {
            Ok(Some(pair)) => Some(Ok(pair)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e.to_string()))
            }
        }
    }
}

/// Most differences listed when a stored state is compared.
const MAX_LISTED: usize = 3;
/// Entries read per page of the stored state.
const PAGE: usize = 4096;

/// Compare what a data directory holds at its tip with the replay that verified it: its tip
/// (height, block hash, state root), its validator sets (the history by first height, and the
/// sets in force after the tip), its state key by key, and its stored map root with the tip
/// header's. A value altered, added or removed in the directory is named with its key.
pub fn compare_stored_state(store: &Store, outcome: &Outcome) -> Result<(), Failure> {
    compare_stored_state_paged(store, outcome, PAGE)
}

/// [`compare_stored_state`], reading the stored state `page` entries at a time (tests use
/// small pages to cross page boundaries).
pub fn compare_stored_state_paged(
    store: &Store,
    outcome: &Outcome,
    page: usize,
) -> Result<(), Failure> {
    let page_size = page.max(1);
    let height = outcome.summary.last_height;
    let state = &outcome.state;
    let fail = |reason: String| Failure {
        height,
        transaction: None,
        check: "stored-state",
        reason,
    };
    let tip = store
        .tip()
        .map_err(|e| fail(format!("the stored tip cannot be read: {e}")))?;
    if tip.height != height
        || tip.hash.to_hex() != outcome.summary.last_hash
        || tip.state_root.to_hex() != outcome.summary.state_root
    {
        return Err(fail(format!(
            "the stored tip (height {}, block {}, state root {}) is not the replay's last block \
             (height {height}, block {}, state root {})",
            tip.height,
            tip.hash,
            tip.state_root,
            outcome.summary.last_hash,
            outcome.summary.state_root
        )));
    }
    let history = store
        .set_history(MAX_SETS)
        .map_err(|e| fail(format!("the stored validator sets cannot be read: {e}")))?;
    if history != outcome.sets {
        return Err(fail(format!(
            "the stored validator sets by first height ({}) are not the replay's ({})",
            show_sets(&history),
            show_sets(&outcome.sets)
        )));
    }
    let current = store
        .current_sets()
        .map_err(|e| fail(format!("the stored current sets cannot be read: {e}")))?;
    for h in [height.saturating_add(1), height.saturating_add(2)] {
        let in_force = |sets: &[(u64, ValidatorSet)]| {
            sets.iter()
                .rev()
                .find(|(from, _)| *from <= h)
                .map(|(_, s)| s.hash())
        };
        if in_force(&current) != in_force(&outcome.sets) {
            return Err(fail(format!(
                "the stored current validator sets ({}) do not name the replay's set for height {h}",
                show_sets(&current)
            )));
        }
    }
    let mut problems = Vec::new();
    let mut replayed = state.entries().peekable();
    let mut after: Option<Vec<u8>> = None;
    loop {
        let page = store
            .state_scan(b"", after.as_deref(), page_size)
            .map_err(|e| fail(format!("the stored state cannot be read: {e}")))?;
        let Some((last, _)) = page.last() else {
            break;
        };
        after = Some(last.clone());
        for (k, v) in &page {
            // Replayed keys before this stored one are missing from the directory.
            while let Some((rk, _)) = replayed.peek() {
                if rk.as_slice() >= k.as_slice() {
                    break;
                }
                problems.push(format!("key {} is missing", show_key(rk)));
                replayed.next();
            }
            match replayed.peek() {
                Some((rk, rv)) if rk.as_slice() == k.as_slice() => {
                    if rv.as_slice() != v.as_slice() {
                        problems.push(format!(
                            "key {} holds {} bytes that are not the replayed value",
                            show_key(k),
                            v.len()
                        ));
                    }
                    replayed.next();
                }
                _ => problems.push(format!("key {} is not in the replayed state", show_key(k))),
            }
            if problems.len() >= MAX_LISTED {
                break;
            }
        }
        if problems.len() >= MAX_LISTED || page.len() < page_size {
            break;
        }
    }
    if problems.len() < MAX_LISTED {
        for (rk, _) in replayed.take(MAX_LISTED - problems.len()) {
            problems.push(format!("key {} is missing", show_key(rk)));
        }
    }
    if !problems.is_empty() {
        return Err(fail(format!(
            "the data directory's state at its tip differs from the replay: {}",
            problems.join("; ")
        )));
    }
    let header = store
        .block(height)
        .ok()
        .flatten()
        .map(|b| b.header.state_root);
    let stored_root = tracechain_types::state_map::tree::root(store, height);
    match (header, stored_root) {
        (Some(h), Ok(r)) if h == r => Ok(()),
        (h, r) => Err(fail(format!(
            "the data directory's map root at its tip ({}) is not the header's ({})",
            r.map(|r| r.to_hex()).unwrap_or_else(|e| e.to_string()),
            h.map(|h| h.to_hex()).unwrap_or_else(|| "no block".into())
        ))),
    }
}

/// Most validator-set entries read from a data directory.
const MAX_SETS: usize = 100_000;

fn show_sets(sets: &[(u64, ValidatorSet)]) -> String {
    sets.iter()
        .map(|(from, s)| format!("{from}: {}", &s.hash().to_hex()[..16]))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A state key for a message: its printable prefix and the rest in hex.
fn show_key(k: &[u8]) -> String {
    let text = k
        .iter()
        .take_while(|b| b.is_ascii_graphic() && **b != b'"')
        .count();
    format!(
        "\"{}\"{}",
        String::from_utf8_lossy(&k[..text]),
        if text < k.len() {
            format!("+{}", hex::encode(&k[text..]))
        } else {
            String::new()
        }
    )
}
