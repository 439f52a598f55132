//! The crash loop: under steady load from `tracechain bench load`, validators are killed with
//! SIGKILL and restarted again and again — usually one (within f = 1 of 4), sometimes two at
//! once (beyond f: the chain must stop and then resume), sometimes all four; after each cycle
//! the restarted validators must commit a block above the height before the kill; at the end
//! the load generator's accounting must hold on every node: no record it saw committed is
//! missing, none is in the chain twice, nothing unexpected is in it, and every node has the
//! same block at every height.
//!
//! CI runs `CRASH_CYCLES` cycles (default 3: one of each kind). The long run of docs/benchmarks.md:
//!
//! ```text
//! CRASH_CYCLES=100 cargo test -p tracechain-node --test crash_loop -- --nocapture
//! ```
//!
//! `CRASH_SEED` (default 1) chooses the victims and pauses; the same seed gives the same
//! sequence of kills (the timing of the processes themselves is not reproducible).

mod cluster;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use serde_json::Value;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn kill_nine_under_load_loses_and_duplicates_nothing() {
    let cycles = env_u64("CRASH_CYCLES", 3);
    let seed = env_u64("CRASH_SEED", 1);
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut c = cluster::Cluster::init(4, 0);
    c.start_all();
    c.wait_up(Duration::from_secs(60));
    let validators = c.validators();

    // A cycle takes 2.5–6 s; the load runs through all of them.
    let duration = 10 + cycles * 6;
    let report_file = c.dir.path().join("report.json");
    let mut load = Command::new(cluster::bin())
        .args(["bench", "load", "--network"])
        .arg(c.net_dir().join("network.json"))
        .args([
            "--rate",
            "120",
            "--duration",
            &duration.to_string(),
            "--casts",
            "8",
            "--phase-gap-ms",
            "1500",
            "--drain",
            "40",
            "--json",
        ])
        .arg(&report_file)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the load generator");

    // Let the set-up and the load begin before the first kill.
    let _ = c.wait_height(&validators[0], 8, Duration::from_secs(120));
    std::thread::sleep(Duration::from_secs(3));
    let mut kills = [0u32; 3];
    for cycle in 0..cycles {
        // The first three cycles take one of each kind, so that even a short run has them all.
        let pick = match cycle {
            0 => 0,
            1 => 70,
            2 => 85,
            _ => rng.next_u32() % 100,
        };
        let victims: Vec<String> = if pick < 70 {
            kills[0] += 1;
            vec![validators[(rng.next_u32() as usize) % validators.len()].clone()]
        } else if pick < 85 {
            kills[1] += 1;
            let a = (rng.next_u32() as usize) % validators.len();
            let b = (a + 1 + (rng.next_u32() as usize) % (validators.len() - 1)) % validators.len();
            vec![validators[a].clone(), validators[b].clone()]
        } else {
            kills[2] += 1;
            validators.clone()
        };
        let before = validators
            .iter()
            .filter_map(|v| c.height(v))
            .max()
            .unwrap_or(0);
        for v in &victims {
            c.kill9(v);
        }
        let down = Duration::from_millis(300 + u64::from(rng.next_u32() % 1500));
        eprintln!("cycle {cycle}: kill -9 {victims:?}, down for {down:?}");
        std::thread::sleep(down);
        for v in &victims {
            c.start(v);
        }
        c.wait_up(Duration::from_secs(60));
        // The chain goes on: under load the restarted validators commit a block above the
        // height before the kill.
        for v in &victims {
            c.wait_height(v, before + 1, Duration::from_secs(60));
        }
        std::thread::sleep(Duration::from_millis(
            1500 + u64::from(rng.next_u32() % 1500),
        ));
        if let Some(status) = load.try_wait().unwrap() {
            let out = load.wait_with_output().unwrap();
            panic!(
                "the load generator ended early ({status}):\n{}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }

    let start = Instant::now();
    // The load ends by itself (its schedule, then at most 4 × its drain); a hang is a failure.
    let limit = Duration::from_secs(duration + 600);
    while load.try_wait().unwrap().is_none() {
        if start.elapsed() > limit {
            let _ = load.kill();
            panic!("the load generator did not end within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let out = load.wait_with_output().expect("the load generator ends");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("{text}");
    eprintln!(
        "{cycles} cycles (one validator {}, two {}, all four {}); the load ended {:?} after the last",
        kills[0],
        kills[1],
        kills[2],
        start.elapsed()
    );
    assert!(out.status.success(), "the accounting must hold:\n{text}");
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&report_file).unwrap()).unwrap();
    for field in [
        "acknowledged_missing",
        "duplicates",
        "unexpected",
        "diverging_heights",
    ] {
        assert_eq!(report[field], 0, "{field}: {report}");
    }
    let committed = report["committed"].as_u64().unwrap();
    assert!(committed > 0, "the load made progress: {report}");

    // Every node ends on the same chain.
    let top = validators
        .iter()
        .map(|v| c.height(v).unwrap_or(0))
        .max()
        .unwrap();
    for v in &validators {
        c.wait_height(v, top, Duration::from_secs(60));
    }
    let reference = c.block_hashes(&validators[0], top);
    for v in &validators[1..] {
        assert_eq!(c.block_hashes(v, top), reference, "{v}'s chain");
    }
}
