//! Deterministic simulation of tracechain PBFT clusters. Rule ids refer to docs/spec/pbft.md.
//!
//! * `sweep_n*`: n ∈ {1, 4, 5, 7, 10}, each seed with a fault mix and a Byzantine fixture drawn
//!   from it; zero violations allowed. With `SIM_SEEDS` set, every n runs `SIM_SEEDS / 4` seeds;
//!   unset, CI's debug run uses [`ci_seeds`] (950 seeds in all, sized to stay near a minute on
//!   two cores).
//! * `replay_one`: replays `SIM_SEED` with `SIM_N` validators bit for bit.
//! * negative controls and named regression scenarios.

use std::time::Instant;

use tracechain_consensus::sim::{
    set_of, sim_config, Cluster, FaultPlan, FilterVerdict, Fixture, SimOptions, SimReport,
    SimVerifier,
};
use tracechain_consensus::{Message, Weaken};

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|s| s.parse().ok())
}

fn replay_cmd(seed: u64, n: usize) -> String {
    format!("SIM_SEED={seed} SIM_N={n} cargo test -p tracechain-consensus --test sim -- replay_one --nocapture")
}

fn run_seed(seed: u64, n: usize) -> SimReport {
    Cluster::new(SimOptions::sweep(seed, n)).run()
}

/// Seeds per n of the default (CI, debug) sweep: larger clusters cost more per seed (n = 10 about
/// 0.23 s in debug, n = 4 about 0.07 s), so they run fewer. Long sweeps set `SIM_SEEDS`.
fn ci_seeds(n: usize) -> u64 {
    match n {
        1 => 150,
        4 => 400,
        5 => 200,
        7 => 120,
        _ => 80,
    }
}

fn sweep(n: usize) {
    let base = env_u64("SIM_SEED_BASE").unwrap_or(0);
    let per = match env_u64("SIM_SEEDS") {
        Some(total) => total.div_ceil(4),
        None => ci_seeds(n),
    };
    let start = Instant::now();
    let (mut heights, mut events, mut repro, mut crashes, mut synced) =
        (0u64, 0u64, 0u64, 0u64, 0u64);
    let mut set_changes = 0u64;
    let (mut idle_seeds, mut idle_ms, mut idle_max_new) = (0u64, 0u64, 0u64);
    let mut fixtures: std::collections::BTreeMap<String, (u64, u64, u64, u64)> = Default::default();
    for s in 0..per {
        // Seeds of different n are disjoint so that every seed number means one run.
        let seed = base
            + s * 8
            + match n {
                1 => 0,
                4 => 1,
                5 => 2,
                7 => 3,
                _ => 4,
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
        let e = fixtures.entry(rep.fixture.clone()).or_default();
        e.0 += 1;
        e.1 += rep.evidence;
        e.2 += rep.rejected;
        e.3 += rep.byzantine_acts;
        if !rep.faults.contains("set changes at []") {
            set_changes += 1;
        }
        if !rep.faults.contains("idle []") {
            idle_seeds += 1;
        }
        idle_ms += rep.idle_ms;
        idle_max_new = idle_max_new.max(rep.idle_new_heights);
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
    eprintln!("  n={n}: {set_changes} seeds with a validator removed and re-admitted");
    eprintln!(
        "  n={n}: {idle_seeds} seeds with idle mempools ({idle_ms} ms idle in total), at most {idle_max_new} new heights in one idle window"
    );
    for (name, (runs, evidence, rejected, acts)) in fixtures {
        eprintln!(
            "  n={n} {name}: {runs} seeds, {acts} Byzantine acts, {evidence} evidence reports, {rejected} rejected inputs"
        );
    }
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
#[test]
fn sweep_n10() {
    sweep(10);
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

// ------------------------------------------------------------------ negative controls

/// Seeds a control may use before it counts as a failure of the checker.
const CONTROL_MAX_SEEDS: u64 = 64;

fn control(name: &str, opts: impl Fn(u64) -> SimOptions) -> u64 {
    control_kinds(name, &["I1 agreement"], opts)
}

/// A control that passes when the checker reports one of `kinds` within `CONTROL_MAX_SEEDS`
/// seeds; returns the number of seeds tried.
fn control_kinds(name: &str, kinds: &[&str], opts: impl Fn(u64) -> SimOptions) -> u64 {
    if let Some(scan) = env_u64("SIM_CONTROL_SCAN") {
        // Measurement mode: how many of the first `scan` seeds catch the violation.
        let caught = (0..scan)
            .filter(|s| {
                let rep = Cluster::new(opts(*s)).run();
                rep.violation
                    .map(|v| kinds.contains(&v.kind))
                    .unwrap_or(false)
            })
            .count();
        eprintln!("control {name}: {caught} of {scan} seeds caught one of {kinds:?}");
    }
    for seed in 0..CONTROL_MAX_SEEDS {
        let o = opts(seed);
        let n = o.n;
        let rep = Cluster::new(o).run();
        if let Some(v) = rep.violation {
            if kinds.contains(&v.kind) {
                eprintln!(
                    "control {name}: caught at seed {seed} (n={n}, {} seeds tried): {v}",
                    seed + 1
                );
                return seed + 1;
            }
        }
    }
    panic!("control {name}: no violation of {kinds:?} found in {CONTROL_MAX_SEEDS} seeds — the checker cannot fail");
}

/// Control for Q1: replicas counting 2f instead of 2f+1 must be caught forking (I1).
#[test]
fn control_q1_wrong_quorum_2f_is_caught() {
    let tried = control("wrong quorum (2f)", |seed| {
        let mut o = SimOptions::sweep(seed, 4);
        o.fixture = Fixture::None;
        o.wrong_quorum = true;
        // Certificates are formed with 2f votes; the certificate check (I3) would flag them at
        // once. Turn it off so that the agreement check itself must find the fork.
        o.check_certs = false;
        o
    });
    assert!(tried <= CONTROL_MAX_SEEDS);
}

/// Control for the f bound: f+1 twinned keys (more than f Byzantine) must be caught forking.
#[test]
fn control_twins_beyond_f_is_caught() {
    let tried = control("twins beyond f", |seed| {
        let mut o = SimOptions::sweep(seed, 4);
        o.fixture = Fixture::Twins { keys: 2 };
        o
    });
    assert!(tried <= CONTROL_MAX_SEEDS);
}

// ------------------------------------------------- certificate fixtures and their controls

/// A sweep run of `n` validators with `fixture` and the replicas' checks weakened by `weaken`.
fn with_fixture(seed: u64, n: usize, fixture: Fixture, weaken: Weaken) -> SimOptions {
    let mut o = SimOptions::sweep(seed, n);
    o.fixture = fixture;
    o.weaken = weaken;
    o
}

/// Each certificate fixture alone, honest replicas unweakened: safe and live.
#[test]
fn certificate_fixtures_keep_honest_replicas_safe_and_live() {
    for fixture in [
        Fixture::ForgedDecided,
        Fixture::ForgedViewChange,
        Fixture::ForgedSyncPeer,
    ] {
        for n in [4, 7] {
            let mut acts = 0;
            for seed in 0..8 {
                let rep = Cluster::new(with_fixture(seed, n, fixture, Weaken::default())).run();
                assert!(
                    rep.violation.is_none(),
                    "{fixture:?} n={n} seed={seed}: {:?}",
                    rep.violation
                );
                acts += rep.byzantine_acts;
            }
            assert!(acts > 0, "{fixture:?} n={n} never acted");
        }
    }
}

/// Control for `ForgedDecided`: a `Decided` certificate committed without verifying its votes
/// (SY1) must be caught — an honest replica commits under a forged, relabelled, short or
/// padded certificate (I3) or forks (I1).
#[test]
fn control_decided_unverified_is_caught() {
    let tried = control_kinds(
        "Decided committed unverified",
        &["I1 agreement", "I3 certificate", "I12 honest certificate"],
        |seed| {
            let w = Weaken {
                decided_unverified: true,
                ..Weaken::default()
            };
            with_fixture(seed, 4, Fixture::ForgedDecided, w)
        },
    );
    assert!(tried <= CONTROL_MAX_SEEDS);
}

/// Control for `ForgedSyncPeer`: a synced block committed without verifying its certificate's
/// votes (SY2) must be caught — a forged or relabelled block or certificate is committed (I1,
/// I2, I3).
#[test]
fn control_synced_unverified_is_caught() {
    let tried = control_kinds(
        "synced certificate unverified",
        &[
            "I1 agreement",
            "I2 validity",
            "I3 certificate",
            "I12 honest certificate",
        ],
        |seed| {
            let w = Weaken {
                synced_unverified: true,
                ..Weaken::default()
            };
            with_fixture(seed, 4, Fixture::ForgedSyncPeer, w)
        },
    );
    assert!(tried <= CONTROL_MAX_SEEDS);
}

/// Control for `ForgedViewChange` (view changes): a prepare certificate one vote short of a
/// quorum accepted in a view change (VC1) must be caught — an honest new primary passes the
/// short certificate on in its new-view (I12), or the cluster forks (I1).
#[test]
fn control_prepare_cert_one_short_is_caught() {
    let tried = control_kinds(
        "prepare certificate one short",
        &["I1 agreement", "I12 honest certificate"],
        |seed| {
            let w = Weaken {
                prepare_cert_one_short: true,
                ..Weaken::default()
            };
            with_fixture(seed, 4, Fixture::ForgedViewChange, w)
        },
    );
    assert!(tried <= CONTROL_MAX_SEEDS);
}

/// Control for `ForgedViewChange` (view changes): prepares of non-members or of the view's
/// primary counted in a prepare certificate (VC1) must be caught — an honest replica passes the
/// padded certificate on (I12), or the cluster forks (I1).
#[test]
fn control_prepare_members_unchecked_is_caught() {
    let tried = control_kinds(
        "prepare certificate members unchecked",
        &["I1 agreement", "I12 honest certificate"],
        |seed| {
            let w = Weaken {
                prepare_members_unchecked: true,
                ..Weaken::default()
            };
            with_fixture(seed, 4, Fixture::ForgedViewChange, w)
        },
    );
    assert!(tried <= CONTROL_MAX_SEEDS);
}

/// Control for `ForgedViewChange` (new-views): view changes of another view accepted inside a
/// new-view (VC3c) must be caught — honest replicas vote for the proposal of a new-view that
/// does not verify (I13), or the cluster forks (I1).
#[test]
fn control_new_view_other_view_is_caught() {
    let tried = control_kinds(
        "view changes of another view in a new-view",
        &[
            "I1 agreement",
            "I12 honest certificate",
            "I13 vote without a valid new-view",
        ],
        |seed| {
            let w = Weaken {
                new_view_other_view: true,
                ..Weaken::default()
            };
            // A 20 s fault phase: the forged new-view needs the Byzantine validator to lead a
            // view after a second view change at one height; with VC9 view changes complete
            // sooner and a 6 s phase caught it at none of the first 64 seeds (3 with 20 s).
            let mut o = with_fixture(seed, 4, Fixture::ForgedViewChange, w);
            o.safety_ms = 20_000;
            o
        },
    );
    assert!(tried <= CONTROL_MAX_SEEDS);
}

/// Control for `ForgedViewChange` (new-views): a view change whose voter is not a member,
/// accepted inside a new-view (VC6 membership unchecked), must be caught — an honest replica
/// votes for a new-view the checker does not accept (I13) or builds one (I12).
#[test]
fn control_view_change_voter_unchecked_is_caught() {
    let tried = control_kinds(
        "non-member view change in a new-view",
        &[
            "I1 agreement",
            "I12 honest certificate",
            "I13 vote without a valid new-view",
        ],
        |seed| {
            let w = Weaken {
                view_change_voter_unchecked: true,
                ..Weaken::default()
            };
            with_fixture(seed, 4, Fixture::ForgedViewChange, w)
        },
    );
    assert!(tried <= CONTROL_MAX_SEEDS);
}

/// Control for `ForgedViewChange` (new-views): a new-view whose own signature or whose
/// proposal's signature is not verified (VC3e) must be caught — honest replicas vote for a
/// new-view that does not verify (I13).
#[test]
fn control_new_view_signatures_unchecked_is_caught() {
    let tried = control_kinds(
        "new-view and proposal signatures unchecked",
        &["I1 agreement", "I13 vote without a valid new-view"],
        |seed| {
            let w = Weaken {
                new_view_signatures_unchecked: true,
                ..Weaken::default()
            };
            with_fixture(seed, 4, Fixture::ForgedViewChange, w)
        },
    );
    assert!(tried <= CONTROL_MAX_SEEDS);
}

/// Control for `WithheldViewChange`: without the VC9 relay, a validator that sends its view
/// changes to one honest replica only must be caught halting the chain (L1) — the hole VC9
/// closes (ADR 0014).
#[test]
fn control_no_view_change_relay_is_caught() {
    let tried = control_kinds("no view-change relay", &["L1 liveness"], |seed| {
        let w = Weaken {
            no_view_change_relay: true,
            ..Weaken::default()
        };
        with_fixture(seed, 4, Fixture::WithheldViewChange, w)
    });
    assert!(tried <= CONTROL_MAX_SEEDS);
}

// ------------------------------------------------------------------ regression scenarios

fn quiet(n: usize) -> SimOptions {
    let mut o = SimOptions::sweep(7, n);
    o.fixture = Fixture::None;
    o.faults = Some(FaultPlan::none(n));
    o
}

fn assert_agree(c: &Cluster, nodes: &[usize]) {
    let chains: Vec<_> = nodes.iter().map(|i| c.chain(*i)).collect();
    for (a, ca) in chains.iter().enumerate() {
        for cb in chains.iter().skip(a + 1) {
            let k = ca.len().min(cb.len());
            assert_eq!(ca[..k], cb[..k], "chains disagree");
        }
    }
}

/// VC2/VC3: one replica commits B at height 1 (only it receives commit votes, and its own
/// messages are lost); the other six prepared B and must change view. The new primary must
/// re-propose B; a design that let it propose a fresh block would fork here (n = 7).
#[test]
fn vc2_new_primary_must_repropose_prepared_block_n7() {
    let mut c = Cluster::new(quiet(7));
    c.set_filter(Box::new(|now, from, to, m| {
        if now < 5_000 && from == 0 {
            return FilterVerdict::Drop;
        }
        match m {
            Message::Commit(v) if v.height == 1 && to != 0 && v.view == 0 => FilterVerdict::Drop,
            _ => FilterVerdict::Pass,
        }
    }));
    let v = c.run_until(30_000);
    assert!(v.is_none(), "{v:?}");
    let lone = c.chain(0);
    assert!(!lone.is_empty(), "node 0 committed height 1 alone");
    for i in 1..7 {
        let ch = c.chain(i);
        assert!(
            ch.len() >= 5,
            "node {i} kept committing after the view change"
        );
        assert_eq!(
            ch[0], lone[0],
            "node {i} committed the re-proposed block at height 1"
        );
    }
    assert!(
        c.report().reproposals >= 1,
        "the new view re-proposed the prepared block"
    );
    assert_agree(&c, &(0..7).collect::<Vec<_>>());
}

/// P1–P5 with one silent validator: n = 4 with one crashed backup keeps committing (the crashed
/// one is primary every fourth height, which costs a view change there).
#[test]
fn p5_n4_one_crashed_backup_keeps_committing() {
    let mut c = Cluster::new(quiet(4));
    c.schedule_crash(3, 0, u64::MAX);
    let v = c.run_until(30_000);
    assert!(v.is_none(), "{v:?}");
    for i in 0..3 {
        assert!(
            c.chain(i).len() >= 20,
            "node {i} committed {} blocks",
            c.chain(i).len()
        );
    }
    assert!(c.chain(3).is_empty());
    assert_agree(&c, &[0, 1, 2]);
}

/// VC1/P5: the commit votes of height 3 are delayed past the view timeout, so the view change
/// runs while the block is committing; the late votes and the new view must agree.
#[test]
fn vc1_view_change_while_in_flight_block_commits() {
    let mut c = Cluster::new(quiet(4));
    c.set_filter(Box::new(|_, _, _, m| match m {
        Message::Commit(v) if v.height == 3 && v.view == 0 => FilterVerdict::Delay(1_500),
        _ => FilterVerdict::Pass,
    }));
    let v = c.run_until(20_000);
    assert!(v.is_none(), "{v:?}");
    assert!(c.report().new_views >= 1, "a view change happened");
    for i in 0..4 {
        assert!(
            c.chain(i).len() >= 10,
            "node {i} committed {} blocks",
            c.chain(i).len()
        );
    }
    assert_agree(&c, &[0, 1, 2, 3]);
}

/// SY1–SY3: a replica down for 8 s catches up from synced blocks that arrive out of order
/// (each with its own delay), then rejoins consensus.
#[test]
fn sy3_catch_up_from_blocks_arriving_out_of_order() {
    let mut c = Cluster::new(quiet(4));
    c.schedule_crash(3, 300, 8_000);
    let v = c.run_until(25_000);
    assert!(v.is_none(), "{v:?}");
    assert!(
        c.report().synced >= 10,
        "blocks were synced: {}",
        c.report().synced
    );
    let others = c.chain(0).len();
    assert!(
        c.chain(3).len() + 3 >= others,
        "node 3 caught up: {} vs {others}",
        c.chain(3).len()
    );
    assert_agree(&c, &[0, 1, 2, 3]);
}

/// R1/S1: the whole cluster crashes at a non-genesis height and restarts from persisted state;
/// it keeps the chain and continues without equivocating (I4 is checked across restarts).
#[test]
fn r1_whole_cluster_restart_from_non_genesis_height() {
    let mut c = Cluster::new(quiet(4));
    assert!(c.run_until(3_000).is_none());
    let before = c.chain(0).len();
    assert!(before >= 5);
    for i in 0..4 {
        c.schedule_crash(i, 3_001, 500 + 100 * i as u64);
    }
    let v = c.run_until(15_000);
    assert!(v.is_none(), "{v:?}");
    for i in 0..4 {
        assert!(
            c.chain(i).len() >= before + 10,
            "node {i}: {} after restart from {before}",
            c.chain(i).len()
        );
    }
    assert_eq!(c.report().crashes, 4);
    assert_agree(&c, &[0, 1, 2, 3]);
}

/// One seed decides everything: two runs of the same seed give identical reports.
#[test]
fn same_seed_replays_bit_for_bit() {
    for (seed, n) in [(11u64, 4usize), (12, 7), (13, 5)] {
        let a = format!("{:?}", run_seed(seed, n));
        let b = format!("{:?}", run_seed(seed, n));
        assert_eq!(a, b, "seed {seed} n {n}");
    }
    let a = format!("{:?}", run_seed(11, 4));
    let b = format!("{:?}", run_seed(15, 4));
    assert_ne!(a, b, "different seeds give different runs");
}

/// VS1/SY4: the block of height 5 removes validator 3 (in force from 7), the block of height 12
/// adds it back (in force from 14). Certificates of heights 7–13 verify against the
/// three-validator set (so validator 3 did not vote there) and later ones against four; the
/// removed replica keeps following by certificates.
/// Control for M6 (I14): a replica that broadcasts to set(h) only, leaving out a validator that
/// joins at h + 1, is caught by the checker's recipient check.
#[test]
fn control_broadcast_to_current_set_only_is_caught() {
    let mut o = quiet(4);
    o.set_changes = vec![(5, vec![0, 1, 2]), (12, vec![0, 1, 2, 3])];
    o.weaken = Weaken {
        broadcast_current_set_only: true,
        ..Weaken::default()
    };
    let v = Cluster::new(o).run_until(30_000);
    assert!(
        matches!(&v, Some(v) if v.kind == "I14 broadcast recipients"),
        "the control must be caught by I14: {v:?}"
    );
}

#[test]
fn vs1_validator_set_change_takes_effect_two_heights_later() {
    let mut o = quiet(4);
    o.set_changes = vec![(5, vec![0, 1, 2]), (12, vec![0, 1, 2, 3])];
    let mut c = Cluster::new(o);
    let v = c.run_until(30_000);
    // I14 checks every broadcast went to set(h) ∪ set(h + 1) exactly, so node 3 got no
    // consensus broadcast for heights 7..=12 (it is in neither set): it follows the chain by
    // sync alone (SY4) and must hold every block below.
    assert!(v.is_none(), "{v:?}");
    let three = set_of(&[0, 1, 2]);
    let four = set_of(&[0, 1, 2, 3]);
    let (cfg, _) = sim_config(4);
    let verifier = SimVerifier::default();
    for i in 0..4 {
        let blocks = c.blocks(i);
        assert!(blocks.len() >= 20, "node {i} committed {}", blocks.len());
        for (b, cert) in blocks {
            let h = b.header.height;
            let set = if (7..14).contains(&h) { &three } else { &four };
            cert.verify(&cfg.chain_id, h, &b.hash(), set, &verifier)
                .unwrap_or_else(|e| panic!("node {i} height {h}: {e}"));
            assert_eq!(
                b.header.validator_set_hash,
                set.hash(),
                "height {h} names its set"
            );
        }
    }
    assert_agree(&c, &[0, 1, 2, 3]);
}

// ------------------------------------------------------------------ idle chain (ID1–ID4)

/// ID1–ID3: a cluster with empty mempools for ten minutes of virtual time sends nothing at
/// all — no proposals, no view changes, no commits — and commits ≥ 20 blocks (L1) once
/// transactions arrive.
#[test]
fn id3_idle_cluster_stays_quiet_then_commits_when_work_arrives() {
    for n in [1usize, 4, 7] {
        let mut o = quiet(n);
        o.idle = vec![(0, 600_000)];
        o.safety_ms = 600_000;
        let rep = Cluster::new(o).run();
        assert!(rep.violation.is_none(), "n={n}: {:?}", rep.violation);
        assert_eq!(rep.idle_delivered, 0, "n={n}: no message while idle");
        assert_eq!(rep.idle_new_heights, 0, "n={n}: no block while idle");
        assert_eq!(rep.view_changes, 0, "n={n}: no view change");
        assert!(rep.idle_ms >= 599_000, "n={n}: idle for {} ms", rep.idle_ms);
        assert!(
            rep.max_height >= 20,
            "n={n}: L1 after work arrived: {}",
            rep.max_height
        );
    }
}

/// ID1/ID2: the mempool empties in the middle of a run and refills; while empty the chain
/// stops within the height in flight, then resumes.
#[test]
fn id2_mempool_empties_then_refills() {
    let mut o = quiet(4);
    o.idle = vec![(2_000, 20_000)];
    o.safety_ms = 30_000;
    let rep = Cluster::new(o).run();
    assert!(rep.violation.is_none(), "{:?}", rep.violation);
    assert!(
        rep.idle_new_heights <= 1,
        "in flight only: {}",
        rep.idle_new_heights
    );
    // At most the messages of the height in flight (pre-prepare, prepares, commits).
    let one_height = 3 * 4 * 3;
    assert!(
        rep.idle_delivered <= one_height,
        "quiet once every driver knew: {} messages",
        rep.idle_delivered
    );
    assert_eq!(rep.view_changes, 0);
    assert!(rep.max_height >= 20);
}

/// ID4: a silent primary is still replaced when transactions are pending (the view timer runs
/// because the backups' mempools are non-empty).
#[test]
fn id4_silent_primary_with_pending_work_is_replaced() {
    let mut o = quiet(4);
    o.fixture = Fixture::SilentPrimary;
    let rep = Cluster::new(o).run();
    assert!(rep.violation.is_none(), "{:?}", rep.violation);
    assert!(rep.view_changes > 0, "the silent primary was voted out");
    assert!(rep.byzantine_acts > 0, "the primary withheld proposals");
}

// ------------------------------------------------------------------ view synchronisation (VC8)

/// VC8 (finding 3): n = 4, the view-0 primary of height 1 has crashed; one replica alone has
/// pending work for `lead` ms and changes view on its own while the others are idle; then every
/// mempool holds work. The replica that ran ahead must be rejoined and the cluster must commit
/// again. Before VC8, with a lead of 8 s or more (the simulator's maximum view timeout) the
/// leader's timer kept it ahead for good and nothing was committed. Bound: every live replica
/// commits its first block within `VC8_FIRST_COMMIT_MS` and 20 blocks within
/// `VC8_TWENTY_BLOCKS_MS` of virtual time after the others get work, for leads up to
/// 10 × `SIM_MAX_VIEW_TIMEOUT_MS`.
#[test]
fn vc8_replica_ahead_in_views_is_rejoined() {
    use tracechain_consensus::sim::SIM_MAX_VIEW_TIMEOUT_MS;
    const VC8_FIRST_COMMIT_MS: u64 = 3_000;
    const VC8_TWENTY_BLOCKS_MS: u64 = 30_000;
    let set = set_of(&[0, 1, 2, 3]);
    for lead in [
        4_000,
        SIM_MAX_VIEW_TIMEOUT_MS,
        3 * SIM_MAX_VIEW_TIMEOUT_MS,
        10 * SIM_MAX_VIEW_TIMEOUT_MS,
    ] {
        let mut o = quiet(4);
        o.idle = vec![(0, lead)];
        o.safety_ms = lead + VC8_TWENTY_BLOCKS_MS;
        let mut c = Cluster::new(o);
        // P1: the primary of (1, 0) is set(1)[1].
        let crashed = c.node_of_key(set.validators()[1].public_key).unwrap();
        let alone = (0..4).find(|i| *i != crashed).unwrap();
        c.schedule_crash(crashed, 0, u64::MAX);
        c.schedule_node_work(alone, 1, true);
        let v = c.run_until(lead);
        assert!(v.is_none(), "lead {lead}: {v:?}");
        let live: Vec<usize> = (0..4).filter(|i| *i != crashed).collect();
        let views: Vec<u64> = live.iter().map(|i| c.view_of(*i).unwrap()).collect();
        let mut first = None;
        for t in (lead..=lead + VC8_FIRST_COMMIT_MS).step_by(100) {
            let v = c.run_until(t);
            assert!(v.is_none(), "lead {lead}: {v:?}");
            if live.iter().all(|i| !c.chain(*i).is_empty()) {
                first = Some(t - lead);
                break;
            }
        }
        for i in &live {
            assert!(
                !c.chain(*i).is_empty(),
                "lead {lead} ms: node {i} committed nothing within {VC8_FIRST_COMMIT_MS} ms after work arrived (views at the end of the lead: {views:?}, now: {:?})",
                live.iter().map(|j| c.view_of(*j)).collect::<Vec<_>>()
            );
        }
        let v = c.run_until(lead + VC8_TWENTY_BLOCKS_MS);
        assert!(v.is_none(), "lead {lead}: {v:?}");
        for i in &live {
            assert!(
                c.chain(*i).len() >= 20,
                "lead {lead} ms: node {i} committed {} blocks within {VC8_TWENTY_BLOCKS_MS} ms",
                c.chain(*i).len()
            );
        }
        assert_agree(&c, &live);
        eprintln!(
            "VC8 lead {lead} ms: views at the end of the lead {views:?}; every live replica committed within {first:?} ms (100 ms steps); {} blocks {VC8_TWENTY_BLOCKS_MS} ms later",
            c.chain(live[0]).len()
        );
    }
}

/// VC9 (the liveness hole of VC8, ADR 0014), end to end: n = 4, a Byzantine validator sends its
/// genuine view changes to one honest replica `c` only (`WithheldViewChange`). The view-0
/// pre-prepare of height 1 is lost, so every replica changes view to 1; `c`'s own view change
/// for view 1 is lost on its way to the two other honest replicas (dropped for 2.5 s; `c` does
/// not re-send it once it holds a quorum, VC8). `c` holds a quorum for view 1 (its own, the
/// Byzantine one and the others'), its view-1 timer expires and it moves to view 2; the other
/// two hold two view changes for view 1, cannot reach the quorum (the primary of view 1 is one
/// of them) and cannot join view 2 (VC4 needs f + 1 = 2 validators above them; the Byzantine
/// view change for view 2 also goes to `c` only). Before VC9 the chain halted there for good.
/// Now `c` answers their re-sent view changes for view 1 with the quorum it moved past and the
/// cluster commits 20 blocks within 30 s.
#[test]
fn vc9_view_change_withheld_from_all_but_one_replica_n4() {
    let set = set_of(&[0, 1, 2, 3]);
    // P1: the primary of (1, v) is set(1)[(1 + v) % 4].
    let node_at = |c: &Cluster, pos: usize| c.node_of_key(set.validators()[pos].public_key);
    // The first seed where neither the Byzantine validator nor its chosen replica leads view 1
    // (otherwise that primary holds the quorum for view 1 and its new-view rescues the others).
    let (mut c, byz, target) = (0..64u64)
        .find_map(|seed| {
            let mut o = quiet(4);
            o.seed = seed;
            o.fixture = Fixture::WithheldViewChange;
            o.random_set_change = false;
            o.idle = Vec::new();
            o.safety_ms = 30_000;
            let c = Cluster::new(o);
            let byz = c.byzantine_nodes()[0];
            let target = c.withheld_target()?;
            let p1 = node_at(&c, 2)?;
            (p1 != byz && p1 != target).then_some((c, byz, target))
        })
        .expect("a seed with the view-1 primary among the other honest replicas");
    c.set_filter(Box::new(move |now, from, to, m| match m {
        Message::PrePrepare(pp)
            if pp.proposal.block.header.height == 1 && pp.proposal.view == 0 =>
        {
            FilterVerdict::Drop
        }
        Message::ViewChange(vc)
            if from == target
                && to != byz
                && now < 2_500
                && vc.view_change.body.height == 1
                && vc.view_change.body.new_view == 1 =>
        {
            FilterVerdict::Drop
        }
        _ => FilterVerdict::Pass,
    }));
    let v = c.run_until(30_000);
    assert!(v.is_none(), "{v:?}");
    let honest: Vec<usize> = (0..4).filter(|i| *i != byz).collect();
    let views: Vec<Option<u64>> = (0..4).map(|i| c.view_of(i)).collect();
    for i in &honest {
        assert!(
            c.chain(*i).len() >= 20,
            "node {i} committed {} blocks in 30 s (Byzantine node {byz} sends its view changes to node {target} only; views now {views:?})",
            c.chain(*i).len()
        );
    }
    assert!(c.report().byzantine_acts > 0, "view changes were withheld");
    assert_agree(&c, &honest);
    eprintln!(
        "VC9: Byzantine node {byz} withholds its view changes from all but node {target}; {} blocks in 30 s, {} view changes, {} new-views",
        c.chain(honest[0]).len(),
        c.report().view_changes,
        c.report().new_views
    );
}

/// `WithheldViewChange` alone, honest replicas unweakened: safe and live (n = 4, 7).
#[test]
fn withheld_view_change_keeps_honest_replicas_safe_and_live() {
    for n in [4, 7] {
        let mut acts = 0;
        for seed in 0..8 {
            let rep = Cluster::new(with_fixture(
                seed,
                n,
                Fixture::WithheldViewChange,
                Weaken::default(),
            ))
            .run();
            assert!(
                rep.violation.is_none(),
                "n={n} seed={seed}: {:?}",
                rep.violation
            );
            acts += rep.byzantine_acts;
        }
        assert!(acts > 0, "n={n}: the fixture never withheld a view change");
    }
}

/// VC6/VC7 (finding 1), end to end: n = 7, one validator crashed for good (so every seventh
/// height needs a view change) and one Byzantine validator that pads each view change it sends
/// to just under `MAX_MESSAGE_BYTES`; the network drops anything larger, as `decode_message`
/// does. Before VC6/VC7 the new primary copied the padded view change into its new-view, which
/// then exceeded the limit and never arrived: view changes halted (invariant I11 flags an honest
/// message above the limit). Now the padded view change is refused on arrival and the cluster
/// keeps committing.
#[test]
fn vc6_padded_view_changes_do_not_halt_view_changes() {
    let mut o = quiet(7);
    o.fixture = Fixture::PaddedViewChange;
    let mut c = Cluster::new(o);
    let byz = c.byzantine_nodes();
    assert_eq!(byz.len(), 1);
    let crashed = (0..7).find(|i| !byz.contains(i)).unwrap();
    c.schedule_crash(crashed, 0, u64::MAX);
    let v = c.run_until(30_000);
    assert!(v.is_none(), "{v:?}");
    assert!(
        c.report().byzantine_acts > 0,
        "the padder sent padded view changes"
    );
    let live: Vec<usize> = (0..7)
        .filter(|i| *i != crashed && !byz.contains(i))
        .collect();
    for i in &live {
        assert!(
            c.chain(*i).len() >= 20,
            "node {i} committed {} blocks (view changes: {}, new-views: {})",
            c.chain(*i).len(),
            c.report().view_changes,
            c.report().new_views
        );
    }
    assert!(c.report().new_views > 0, "view changes completed");
    assert_agree(&c, &live);
}
