//! Root update per written key of the authenticated state map (ADR 0050), in memory.
//!
//! Builds a map of `STATE_KEYS` keys (default 1,000,000; 32-byte values) in versions of 100,000
//! writes, then times `ROUNDS` versions of `BATCH` writes each (default 20 × 5,000: half
//! updates of existing keys, half new keys, like a block of about 1,000 records), including
//! storing the new nodes, on one thread. Prints µs per written key and keys per second.
//!
//! `cargo bench -p tracechain-types --bench state_map` (`STATE_KEYS=10000000` for 10 M).

use std::time::Instant;

use tracechain_types::state_map::{MemoryNodeStore, Write};

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn key(i: u64) -> Vec<u8> {
    // Shaped like a state key: an ASCII prefix and a big-endian counter.
    let mut k = b"rec/".to_vec();
    k.extend_from_slice(&i.to_be_bytes());
    k
}

fn main() {
    let n = env("STATE_KEYS", 1_000_000);
    let batch = env("BATCH", 5_000);
    let rounds = env("ROUNDS", 20);
    let mut store = MemoryNodeStore::new();
    let mut version = 0u64;
    let t = Instant::now();
    let mut i = 0u64;
    while i < n {
        let end = (i + 100_000).min(n);
        let writes = (i..end)
            .map(|k| Write::new(&key(k), Some(vec![7u8; 32])))
            .collect();
        store.apply(version, writes).expect("apply");
        store.prune(version);
        version += 1;
        i = end;
    }
    println!(
        "built {n} keys in {:.1} s ({} nodes)",
        t.elapsed().as_secs_f64(),
        store.node_count()
    );
    let mut next_new = n;
    let mut best = f64::MAX;
    let mut worst = 0f64;
    let mut total_time = 0.0;
    for r in 0..rounds {
        let writes: Vec<Write> = (0..batch)
            .map(|j| {
                let k = if j % 2 == 0 {
                    (r * 7_919 + j * 104_729) % n
                } else {
                    next_new += 1;
                    next_new
                };
                Write::new(&key(k), Some(vec![r as u8; 32]))
            })
            .collect();
        let t = Instant::now();
        store.apply(version, writes).expect("apply");
        let el = t.elapsed().as_secs_f64();
        total_time += el;
        best = best.min(el);
        worst = worst.max(el);
        version += 1;
        // Keep only the latest version, as a validator without archive needs.
        store.prune(version - 1);
    }
    let per_key = total_time / (rounds * batch) as f64;
    println!(
        "state map, {n} keys, {rounds} versions of {batch} writes: mean {:.3} us/key ({:.0} keys/s), best version {:.3} us/key, worst {:.3} us/key",
        per_key * 1e6,
        1.0 / per_key,
        best / batch as f64 * 1e6,
        worst / batch as f64 * 1e6
    );
}
