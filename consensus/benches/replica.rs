//! Messages processed per second by one replica (n = 4 and n = 7), with Ed25519 and with the
//! simulator's cheap signer. The replica is driven through whole heights as a backup (and as
//! primary when the rotation names it): pre-prepare, the driver's validation answer, prepares
//! and commits of every other validator, up to the commit. Counted: peer messages stepped.
//! Messages and signatures are prepared before timing; the replica's own signing and all
//! verification are timed.
//!
//! Second part: the cost of one view change at one backup with Ed25519, for n = 4, 16, 64 and
//! 256 validators, in the worst case where every view change carries a prepare certificate of
//! a quorum (q + 1 signatures per view change): (a) the q view changes of the other validators
//! arriving (each verified as one batch, M5), (b) checking the new-view when those view changes
//! are already held (only the new-view's and the proposal's signatures, M5), (c) checking the
//! same new-view without having seen the view changes (every signature, one batch).
//!
//! Run: `cargo bench -p tracechain-consensus --bench replica`

use std::time::Instant;

use tracechain_consensus::messages::{
    commit_vote_signing_bytes, new_view_signing_bytes, prepare_signing_bytes,
    preprepare_signing_bytes, view_change_signing_bytes,
};
use tracechain_consensus::sim::crypto::pool_secret_key;
use tracechain_consensus::sim::{sim_block, sim_config, SimSigner, SimVerifier};
use tracechain_consensus::{
    Action, Config, ConsensusSigner, Ed25519Signer, Input, Message, NewView, PrePrepare,
    PrepareCert, Proposal, Replica, TimerId, ViewChange, ViewChangeBody, ViewChangeMsg, Vote,
};
use tracechain_types::{
    Block, ChainId, Ed25519, Hash, PublicKey, SecretKey, SignatureVerifier, Validator, ValidatorSet,
};

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

/// The Ed25519 key of benchmark validator `i` (any n up to 256).
fn vc_key(i: usize) -> SecretKey {
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(&(i as u64).to_le_bytes());
    seed[8] = 0xbe;
    SecretKey::from_seed(seed)
}

struct VcCase {
    cfg: Config,
    /// Signer index of each set position.
    signers: Vec<Ed25519Signer>,
    me: usize,
    /// (sender, message) of the q view changes of the others.
    view_changes: Vec<(PublicKey, Message)>,
    new_view: (PublicKey, Message),
    sigs_per_vc: usize,
}

fn vc_case(n: usize) -> VcCase {
    let signers: Vec<Ed25519Signer> = (0..n).map(|i| Ed25519Signer::new(vc_key(i))).collect();
    let set = ValidatorSet::new(
        signers
            .iter()
            .enumerate()
            .map(|(i, s)| Validator {
                public_key: s.public(),
                name: format!("v{i}"),
            })
            .collect(),
    )
    .unwrap();
    // Signers in set order.
    let mut signers = signers;
    signers.sort_by_key(|s| s.public());
    let chain_id = ChainId::new("tracechain-bench").unwrap();
    let cfg = Config::new(
        chain_id.clone(),
        Hash::tagged(b"bench-genesis", &[]),
        1_700_000_000_000,
        set.clone(),
        |_| None,
    );
    let q = set.quorum();
    let pos = |h: u64, v: u64| ((h + v) % n as u64) as usize;
    let (p0, p1) = (pos(1, 0), pos(1, 1));
    // The measured backup: neither primary of view 0 nor of view 1.
    let me = (0..n).find(|i| *i != p0 && *i != p1).unwrap_or(p1);
    // Block of view 0, prepared by a quorum: pre-prepare + q − 1 prepares.
    let block = sim_block(
        &cfg,
        1,
        0,
        cfg.genesis_hash,
        cfg.genesis_timestamp_ms,
        signers[p0].public(),
        set.hash(),
        0,
    );
    let hash = block.hash();
    let preprepare = signers[p0].sign(&preprepare_signing_bytes(&chain_id, 1, 0, &hash));
    let prepares: Vec<(PublicKey, tracechain_types::Signature)> = (0..n)
        .filter(|i| *i != p0)
        .take(q - 1)
        .map(|i| {
            (
                signers[i].public(),
                signers[i].sign(&prepare_signing_bytes(&chain_id, 1, 0, &hash)),
            )
        })
        .collect();
    let cert = PrepareCert {
        view: 0,
        block_hash: hash,
        preprepare,
        prepares,
    };
    // q view changes of validators other than `me`, in key order.
    let voters: Vec<usize> = (0..n).filter(|i| *i != me).take(q).collect();
    let vcs: Vec<ViewChange> = voters
        .iter()
        .map(|i| {
            let body = ViewChangeBody {
                height: 1,
                new_view: 1,
                voter: signers[*i].public(),
                committed: None,
                prepared: Some(cert.clone()),
            };
            let signature = signers[*i].sign(&view_change_signing_bytes(&chain_id, &body));
            ViewChange { body, signature }
        })
        .collect();
    let view_changes = vcs
        .iter()
        .map(|vc| {
            (
                vc.body.voter,
                Message::ViewChange(ViewChangeMsg {
                    view_change: vc.clone(),
                    prepared_block: Some(block.clone()),
                }),
            )
        })
        .collect();
    let proposal = Proposal {
        view: 1,
        block: block.clone(),
        signature: signers[p1].sign(&preprepare_signing_bytes(&chain_id, 1, 1, &hash)),
    };
    let signature = signers[p1].sign(&new_view_signing_bytes(&chain_id, 1, 1, &hash, &vcs));
    let nv = Message::NewView(NewView {
        height: 1,
        view: 1,
        view_changes: vcs,
        proposal,
        signature,
    });
    VcCase {
        cfg,
        signers,
        me,
        view_changes,
        new_view: (signers_pub(p1, &set), nv),
        sigs_per_vc: q + 1,
    }
}

fn signers_pub(pos: usize, set: &ValidatorSet) -> PublicKey {
    set.validators()[pos].public_key
}

fn fresh_backup(case: &VcCase) -> Replica<Ed25519Signer, Ed25519> {
    let key = case.signers[case.me].public();
    let idx = (0..256).find(|i| vc_key(*i).public() == key).unwrap();
    let mut r = Replica::new(case.cfg.clone(), Ed25519Signer::new(vc_key(idx)), Ed25519);
    r.step(Input::Start);
    r.step(Input::PendingWork(true));
    r.step(Input::Timer(TimerId::View { height: 1, view: 0 }));
    r
}

fn view_change_cost(n: usize, rounds: u32) {
    let case = vc_case(n);
    let q = case.view_changes.len();
    let (mut arrive, mut held, mut scratch) = (0f64, 0f64, 0f64);
    for _ in 0..rounds {
        // (a) + (b): the view changes arrive, then the new-view.
        let mut r = fresh_backup(&case);
        let t = Instant::now();
        for (from, m) in case.view_changes.iter().cloned() {
            r.step(Input::Message { from, message: m });
        }
        arrive += t.elapsed().as_secs_f64();
        let (from, m) = case.new_view.clone();
        let t = Instant::now();
        let out = r.step(Input::Message { from, message: m });
        held += t.elapsed().as_secs_f64();
        assert!(
            out.iter().all(|a| !matches!(a, Action::Rejected { .. })) && r.view() == 1,
            "n={n}: the new-view is accepted"
        );
        // (c): the new-view alone.
        let mut r = fresh_backup(&case);
        let (from, m) = case.new_view.clone();
        let t = Instant::now();
        r.step(Input::Message { from, message: m });
        scratch += t.elapsed().as_secs_f64();
        assert_eq!(r.view(), 1, "n={n}: the new-view alone is accepted");
    }
    let r = rounds as f64;
    println!(
        "view change n={n:>3} q={q:>3}: {q} view changes ({} signatures each) {:>9.3} ms ({:>8.1} µs each); new-view with them held {:>7.3} ms; new-view from scratch ({} signatures) {:>9.3} ms",
        case.sigs_per_vc,
        arrive / r * 1e3,
        arrive / r * 1e6 / q as f64,
        held / r * 1e3,
        q * case.sigs_per_vc + 2,
        scratch / r * 1e3
    );
}

fn main() {
    let only_vc = std::env::args().any(|a| a == "view-change");
    for (n, rounds) in [(4usize, 200u32), (16, 50), (64, 5), (256, 2)] {
        view_change_cost(n, rounds);
    }
    if only_vc {
        return;
    }
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
