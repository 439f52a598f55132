//! Messages processed per second by one replica (n = 4 and n = 7), with Ed25519 and with the
//! simulator's cheap signer. The replica is driven through whole heights as a backup (and as
//! primary when the rotation names it): pre-prepare, the driver's validation answer, prepares
//! and commits of every other validator, up to the commit. Counted: peer messages stepped.
//! Messages and signatures are prepared before timing; the replica's own signing and all
//! verification are timed.
//!
//! Run: `cargo bench -p tracechain-consensus --bench replica`

use std::time::Instant;

use tracechain_consensus::messages::{
    commit_vote_signing_bytes, prepare_signing_bytes, preprepare_signing_bytes,
};
use tracechain_consensus::sim::crypto::pool_secret_key;
use tracechain_consensus::sim::{sim_block, sim_config, SimSigner, SimVerifier};
use tracechain_consensus::{
    Action, ConsensusSigner, Ed25519Signer, Input, Message, PrePrepare, Proposal, Replica, Vote,
};
use tracechain_types::{Block, Ed25519, PublicKey, SignatureVerifier, ValidatorSet};

struct Height {
    block: Block,
    primary: usize,
    preprepare: Message,
    prepares: Vec<(PublicKey, Message)>,
    commits: Vec<(PublicKey, Message)>,
}

fn primary_of(set: &ValidatorSet, keys: &[PublicKey], h: u64) -> usize {
    let k = set.validators()[(h % set.len() as u64) as usize].public_key;
    keys.iter().position(|x| *x == k).unwrap()
}

fn run<S: ConsensusSigner, V: SignatureVerifier + Clone>(
    label: &str,
    n: usize,
    heights: u64,
    signer: impl Fn(usize) -> S,
    verifier: V,
) {
    let (cfg, set) = sim_config(n);
    let signers: Vec<S> = (0..n).map(&signer).collect();
    let keys: Vec<PublicKey> = signers.iter().map(|s| s.public()).collect();
    let me = 0usize;
    let mut plan = Vec::new();
    let (mut parent, mut ts) = (cfg.genesis_hash, cfg.genesis_timestamp_ms);
    for h in 1..=heights {
        let p = primary_of(&set, &keys, h);
        let block = sim_block(&cfg, h, 0, parent, ts, keys[p], set.hash(), h);
        let hash = block.hash();
        let sig = signers[p].sign(&preprepare_signing_bytes(&cfg.chain_id, h, 0, &hash));
        let preprepare = Message::PrePrepare(PrePrepare {
            proposal: Proposal {
                view: 0,
                block: block.clone(),
                signature: sig,
            },
            parent_cert: None,
        });
        let mut prepares = Vec::new();
        let mut commits = Vec::new();
        for (i, s) in signers.iter().enumerate() {
            if i == me {
                continue;
            }
            let vote = |signature| Vote {
                height: h,
                view: 0,
                block_hash: hash,
                voter: keys[i],
                signature,
            };
            if i != p {
                let ps = s.sign(&prepare_signing_bytes(&cfg.chain_id, h, 0, &hash));
                prepares.push((keys[i], Message::Prepare(vote(ps))));
            }
            let cs = s.sign(&commit_vote_signing_bytes(&cfg.chain_id, h, 0, &hash));
            commits.push((keys[i], Message::Commit(vote(cs))));
        }
        parent = hash;
        ts = block.header.timestamp_ms;
        plan.push(Height {
            block,
            primary: p,
            preprepare,
            prepares,
            commits,
        });
    }
    let mut r = Replica::new(cfg.clone(), signer(me), verifier);
    r.step(Input::Start);
    r.step(Input::PendingWork(true));
    let mut msgs = 0u64;
    let mut committed = 0u64;
    let start = Instant::now();
    for (k, ht) in plan.into_iter().enumerate() {
        let h = k as u64 + 1;
        let hash = ht.block.hash();
        if ht.primary == me {
            r.step(Input::ProposalReady {
                height: h,
                view: 0,
                block: ht.block,
                set_change: None,
            });
        } else {
            r.step(Input::Message {
                from: keys[ht.primary],
                message: ht.preprepare,
            });
            msgs += 1;
            r.step(Input::ProposalValidated {
                height: h,
                block_hash: hash,
                set_change: None,
            });
        }
        for (from, m) in ht.prepares.into_iter().chain(ht.commits) {
            msgs += 1;
            for a in r.step(Input::Message { from, message: m }) {
                if matches!(a, Action::Commit { .. }) {
                    committed += 1;
                }
            }
        }
    }
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(committed, heights, "every height committed");
    println!(
        "{label:<8} n={n}: {heights} heights, {msgs} messages in {:.3} s = {:>9.0} msg/s, {:>8.1} µs/msg, {:>7.0} heights/s",
        secs,
        msgs as f64 / secs,
        secs * 1e6 / msgs as f64,
        heights as f64 / secs
    );
}

fn main() {
    for n in [4usize, 7] {
        run("sim", n, 20_000, SimSigner::new, SimVerifier::default());
        run(
            "ed25519",
            n,
            2_000,
            |i| Ed25519Signer::new(pool_secret_key(i)),
            Ed25519,
        );
    }
}
