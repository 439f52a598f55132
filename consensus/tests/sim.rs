//! Deterministic simulation of tracechain PBFT clusters. Rule ids refer to docs/spec/pbft.md.
//!
//! * `sweep_n*`: `SIM_SEEDS` seeds in total (default 2,000) across n ∈ {1, 4, 5, 7}, each with
//!   a fault mix and a Byzantine fixture drawn from the seed; zero violations allowed.
//! * `replay_one`: replays `SIM_SEED` with `SIM_N` validators bit for bit.
//! * negative controls and named regression scenarios.

use std::time::Instant;

use tracechain_consensus::sim::{
    Cluster, FaultPlan, FilterVerdict, Fixture, SimOptions, SimReport,
};
use tracechain_consensus::Message;

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|s| s.parse().ok())
}

fn replay_cmd(seed: u64, n: usize) -> String {
    format!("SIM_SEED={seed} SIM_N={n} cargo test -p tracechain-consensus --test sim -- replay_one --nocapture")
}

fn run_seed(seed: u64, n: usize) -> SimReport {
    Cluster::new(SimOptions::sweep(seed, n)).run()
}

fn sweep(n: usize) {
    let total = env_u64("SIM_SEEDS").unwrap_or(2_000);
    let base = env_u64("SIM_SEED_BASE").unwrap_or(0);
    let per = total.div_ceil(4);
    let start = Instant::now();
    let (mut heights, mut events, mut repro, mut crashes, mut synced) =
        (0u64, 0u64, 0u64, 0u64, 0u64);
    for s in 0..per {
        // Seeds of different n are disjoint so that every seed number means one run.
        let seed = base
            + s * 4
            + match n {
                1 => 0,
                4 => 1,
                5 => 2,
                _ => 3,
            };
        let rep = run_seed(seed, n);
        if let Some(v) = &rep.violation {
            panic!(
                "n={n} seed={seed} fixture={} faults=[{}]: {v}\nreplay with: {}",
                rep.fixture,
                rep.faults,
                replay_cmd(seed, n)
            );
        }
        heights += rep.max_height;
        events += rep.events;
        repro += rep.reproposals;
        crashes += rep.crashes;
        synced += rep.synced;
    }
    eprintln!(
        "sweep n={n}: {per} seeds, 0 violations, {heights} heights committed, {events} events, {repro} re-proposals, {crashes} crashes, {synced} synced blocks, {:.1}s",
        start.elapsed().as_secs_f64()
    );
}

#[test]
fn sweep_n1() {
    sweep(1);
}
#[test]
fn sweep_n4() {
    sweep(4);
}
#[test]
fn sweep_n5() {
    sweep(5);
}
#[test]
fn sweep_n7() {
    sweep(7);
}

/// Replays one seed: `SIM_SEED=… SIM_N=… cargo test -p tracechain-consensus --test sim -- replay_one --nocapture`.
#[test]
fn replay_one() {
    let (Some(seed), n) = (env_u64("SIM_SEED"), env_u64("SIM_N").unwrap_or(4) as usize) else {
        return;
    };
    let rep = run_seed(seed, n);
    eprintln!("{rep:#?}");
    assert!(
        rep.violation.is_none(),
        "seed {seed} n {n}: {:?}",
        rep.violation
    );
}
