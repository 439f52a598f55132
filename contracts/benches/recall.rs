//! What a dense lineage written by an attacker costs one recall (issue 9, R-S3).
//!
//! A producer registers a raw-material batch (the batch recalled later) and 1,024 product
//! batches, links the material into the first 64 of them, then writes 240 transformations
//! of 64 inputs × 64 outputs among its batches: every batch of each group of 64 into every
//! batch of every other group, 983,104 lineage links from 1,265 transactions after the
//! registrations. The recall of
//! the material (`recall::impact`, which walks the lineage with `lineage::reach`) is timed
//! over `BENCH_ROUNDS` runs (default 5), with the links it examined and whether the walk was
//! cut (`MAX_TRAVERSAL_LINKS`), and the process's peak memory (VmHWM) before and after.
//!
//! `cargo bench -p tracechain-contracts --bench recall`.

#[path = "../tests/common/mod.rs"]
#[allow(unused_imports)]
mod common;
#[path = "../tests/support/mod.rs"]
#[allow(unused_imports)]
mod support;

use std::time::Instant;

use common::*;
use support::*;
use tracechain_contracts::{lineage, recall};
use tracechain_types::records::*;

const GROUP: usize = 64;
const GROUPS: usize = 16;

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    let rounds: u32 = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let mut w = World::new();
    let cast = w.cast();
    let victim = material("RECALLED");
    w.unit(&cast, &victim, TraceMode::Full);
    let units: Vec<TraceCode> = (0..GROUP * GROUPS)
        .map(|i| batch(&format!("D{i:04}")))
        .collect();
    for u in &units {
        w.unit(&cast, u, TraceMode::Full);
    }
    let t0 = Instant::now();
    w.exec(
        &cast.producer,
        transform(std::slice::from_ref(&victim), &units[..GROUP]),
    )
    .expect("the material goes into the first group");
    let mut txs = 1;
    for i in 0..GROUPS {
        // A unit is never input and output of one transformation: no group into itself.
        for j in (0..GROUPS).filter(|j| *j != i) {
            let inputs = &units[i * GROUP..(i + 1) * GROUP];
            let outputs = &units[j * GROUP..(j + 1) * GROUP];
            w.exec(&cast.producer, transform(inputs, outputs))
                .expect("transformation");
            txs += 1;
        }
    }
    let written = t0.elapsed();
    let links = GROUP * GROUP * GROUPS * (GROUPS - 1) + GROUP;
    let before = peak_rss_kib();
    println!(
        "dense lineage: {links} links among {} units from {txs} transformations (written in {:.1} s); peak RSS {:.0} MiB",
        units.len() + 1,
        written.as_secs_f64(),
        before as f64 / 1024.0
    );
    let mut times = Vec::new();
    for _ in 0..rounds {
        let t = Instant::now();
        let imp = recall::impact(&w.state, &victim).expect("the batch is registered");
        times.push(t.elapsed().as_secs_f64());
        let walk = lineage::reach(
            &w.state,
            &lineage::Node::unit(
                &tracechain_contracts::trace_codes::NormalisedCode::new("c", &victim).unwrap(),
            ),
            lineage::Direction::Forward,
        );
        println!(
            "recall::impact: {:.3} s; units {}; truncated {}; not reached {:?}; reach: {} nodes, {} links examined",
            times.last().unwrap(),
            imp.units.len(),
            imp.truncated,
            imp.not_reached,
            walk.nodes.len(),
            walk.links_examined
        );
    }
    times.sort_by(|a, b| a.total_cmp(b));
    let after = peak_rss_kib();
    println!(
        "median {:.3} s over {rounds} rounds; peak RSS {:.0} MiB after the recalls (+{:.0} MiB); limits: {} links, {} nodes",
        times[times.len() / 2],
        after as f64 / 1024.0,
        (after.saturating_sub(before)) as f64 / 1024.0,
        lineage::MAX_TRAVERSAL_LINKS,
        lineage::MAX_TRAVERSAL_NODES
    );
}
