//! Rule-by-rule tests of one replica driven by hand. Rule ids refer to docs/spec/pbft.md.

use tracechain_consensus::messages::{
    commit_vote_signing_bytes, new_view_signing_bytes, prepare_signing_bytes,
    preprepare_signing_bytes, view_change_signing_bytes,
};
use tracechain_consensus::sim::{set_of, sim_block, sim_config, SimSigner, SimVerifier};
use tracechain_consensus::{
    decode_message, Action, Config, ConfigError, ConsensusError, ConsensusSigner, Ed25519Signer,
    Input, Message, NewView, PrePrepare, PrepareCert, Proposal, Replica, ViewChange,
    ViewChangeBody, ViewChangeMsg, Vote, MAX_BUFFERED_PER_SENDER, MAX_MESSAGE_BYTES,
};
use tracechain_types::{
    encode, Block, ChainRecord, CommitCertificate, CommitVote, Ed25519, PublicKey, SecretKey,
    Validator, ValidatorSet,
};

type R = Replica<SimSigner, SimVerifier>;

/// Pool index of the validator at position `pos` of the (key-sorted) set.
fn idx_at(set: &ValidatorSet, pos: usize) -> usize {
    let key = set.validators()[pos].public_key;
    (0..16)
        .find(|i| SimSigner::new(*i).public() == key)
        .unwrap()
}

/// Pool index of the primary of (height, view).
fn primary(set: &ValidatorSet, height: u64, view: u64) -> usize {
    idx_at(set, ((height + view) % set.len() as u64) as usize)
}

/// A backup of view 0 and view 1 at height 1 (n = 4).
fn backup(set: &ValidatorSet) -> usize {
    (0..4)
        .find(|i| *i != primary(set, 1, 0) && *i != primary(set, 1, 1))
        .unwrap()
}

fn key(i: usize) -> PublicKey {
    SimSigner::new(i).public()
}

fn started(cfg: &Config, me: usize) -> (R, Vec<Action>) {
    let mut r = Replica::new(cfg.clone(), SimSigner::new(me), SimVerifier::default());
    let mut out = r.step(Input::Start);
    // ID1: the driver reports a non-empty mempool right after the start.
    out.extend(r.step(Input::PendingWork(true)));
    (r, out)
}

fn block1(cfg: &Config, set: &ValidatorSet, view: u64, variant: u64) -> Block {
    sim_block(
        cfg,
        1,
        view,
        cfg.genesis_hash,
        cfg.genesis_timestamp_ms,
        key(primary(set, 1, view)),
        set.hash(),
        variant,
    )
}

fn proposal(cfg: &Config, signer: usize, view: u64, block: Block) -> Proposal {
    let h = block.hash();
    let signature = SimSigner::new(signer).sign(&preprepare_signing_bytes(
        &cfg.chain_id,
        block.header.height,
        view,
        &h,
    ));
    Proposal {
        view,
        block,
        signature,
    }
}

fn msg(from: usize, message: Message) -> Input {
    Input::Message {
        from: key(from),
        message,
    }
}

/// A prepare of `from` for (height, view, hash), correctly signed, as a message input.
fn prepare_from(
    cfg: &Config,
    from: usize,
    height: u64,
    view: u64,
    hash: &tracechain_types::Hash,
) -> Input {
    msg(
        from,
        Message::Prepare(Vote {
            height,
            view,
            block_hash: *hash,
            voter: key(from),
            signature: SimSigner::new(from).sign(&prepare_signing_bytes(
                &cfg.chain_id,
                height,
                view,
                hash,
            )),
        }),
    )
}

fn rejected(out: &[Action]) -> Vec<ConsensusError> {
    out.iter()
        .filter_map(|a| match a {
            Action::Rejected { error, .. } => Some(error.clone()),
            _ => None,
        })
        .collect()
}

/// A backup `me` at height 1 that received `p0`'s view-0 proposal of `b` and whose driver
/// validated it.
fn validated(cfg: &Config, me: usize, p0: usize, b: &Block) -> R {
    let (mut r, _) = started(cfg, me);
    r.step(msg(
        p0,
        Message::PrePrepare(PrePrepare {
            proposal: proposal(cfg, p0, 0, b.clone()),
            parent_cert: None,
        }),
    ));
    r.step(Input::ProposalValidated {
        height: 1,
        block_hash: b.hash(),
        set_change: None,
    });
    r
}

/// Whether `out` broadcasts a commit vote (the replica is prepared, P4).
fn sends_commit(out: &[Action]) -> bool {
    broadcasts(out)
        .iter()
        .any(|m| matches!(m, Message::Commit(_)))
}

fn broadcasts(out: &[Action]) -> Vec<Message> {
    out.iter()
        .filter_map(|a| match a {
            Action::Broadcast { message, .. } => Some(message.clone()),
            _ => None,
        })
        .collect()
}

fn prepared_cert(cfg: &Config, set: &ValidatorSet, view: u64, block: &Block) -> PrepareCert {
    let h = block.hash();
    let p = primary(set, 1, view);
    let pp = proposal(cfg, p, view, block.clone());
    let mut prepares: Vec<(PublicKey, _)> = (0..4)
        .filter(|i| *i != p)
        .take(set.quorum() - 1)
        .map(|i| {
            (
                key(i),
                SimSigner::new(i).sign(&prepare_signing_bytes(&cfg.chain_id, 1, view, &h)),
            )
        })
        .collect();
    prepares.sort_by_key(|(k, _)| *k);
    PrepareCert {
        view,
        block_hash: h,
        preprepare: pp.signature,
        prepares,
    }
}

fn view_change(
    cfg: &Config,
    voter: usize,
    new_view: u64,
    prepared: Option<PrepareCert>,
) -> ViewChange {
    let body = ViewChangeBody {
        height: 1,
        new_view,
        voter: key(voter),
        committed: None,
        prepared,
    };
    let signature = SimSigner::new(voter).sign(&view_change_signing_bytes(&cfg.chain_id, &body));
    ViewChange { body, signature }
}

fn new_view(
    cfg: &Config,
    from: usize,
    view: u64,
    mut vcs: Vec<ViewChange>,
    block: Block,
) -> NewView {
    vcs.sort_by_key(|vc| vc.body.voter);
    let h = block.hash();
    let proposal = proposal(cfg, from, view, block);
    let signature =
        SimSigner::new(from).sign(&new_view_signing_bytes(&cfg.chain_id, 1, view, &h, &vcs));
    NewView {
        height: 1,
        view,
        view_changes: vcs,
        proposal,
        signature,
    }
}

#[test]
fn p5_n1_commits_alone_with_a_valid_certificate() {
    let (cfg, set) = sim_config(1);
    let (mut r, out) = started(&cfg, 0);
    let Some(Action::RequestProposal {
        height: 1,
        view: 0,
        parent,
        parent_timestamp_ms,
        validator_set_hash,
    }) = out
        .iter()
        .find(|a| matches!(a, Action::RequestProposal { .. }))
        .cloned()
    else {
        panic!("P1: the primary asks for a proposal: {out:?}")
    };
    assert_eq!(validator_set_hash, set.hash());
    let b = sim_block(
        &cfg,
        1,
        0,
        parent,
        parent_timestamp_ms,
        key(0),
        set.hash(),
        0,
    );
    let out = r.step(Input::ProposalReady {
        height: 1,
        view: 0,
        block: b.clone(),
        set_change: None,
    });
    let (block, cert) = out
        .iter()
        .find_map(|a| match a {
            Action::Commit { block, cert, .. } => Some((block.clone(), cert.clone())),
            _ => None,
        })
        .expect("n = 1 commits alone");
    assert_eq!(block, b);
    cert.verify(&cfg.chain_id, 1, &b.hash(), &set, &SimVerifier::default())
        .unwrap();
    assert_eq!(r.height(), 2);
}

#[test]
fn s2_persist_precedes_every_signed_send() {
    let (cfg, set) = sim_config(4);
    let me = backup(&set);
    let (mut r, _) = started(&cfg, me);
    let b = block1(&cfg, &set, 0, 0);
    let p = primary(&set, 1, 0);
    let pp = PrePrepare {
        proposal: proposal(&cfg, p, 0, b.clone()),
        parent_cert: None,
    };
    let out = r.step(msg(p, Message::PrePrepare(pp)));
    assert!(
        out.iter()
            .any(|a| matches!(a, Action::ValidateProposal { .. })),
        "P2: validate before voting"
    );
    assert!(
        broadcasts(&out).is_empty(),
        "P2: no prepare before the driver validated"
    );
    let out = r.step(Input::ProposalValidated {
        height: 1,
        block_hash: b.hash(),
        set_change: None,
    });
    let persist = out
        .iter()
        .position(|a| matches!(a, Action::Persist(_)))
        .expect("persist");
    let send = out
        .iter()
        .position(|a| {
            matches!(
                a,
                Action::Broadcast {
                    message: Message::Prepare(_),
                    ..
                }
            )
        })
        .expect("prepare");
    assert!(persist < send, "S2: persist before the prepare is sent");
    let Action::Persist(st) = &out[persist] else {
        unreachable!()
    };
    assert_eq!(st.signed.prepare, Some((0, b.hash())));
}

#[test]
fn s1_no_second_prepare_digest_after_restart() {
    let (cfg, set) = sim_config(4);
    let me = backup(&set);
    let (mut r, _) = started(&cfg, me);
    let p = primary(&set, 1, 0);
    let b = block1(&cfg, &set, 0, 0);
    r.step(msg(
        p,
        Message::PrePrepare(PrePrepare {
            proposal: proposal(&cfg, p, 0, b.clone()),
            parent_cert: None,
        }),
    ));
    let out = r.step(Input::ProposalValidated {
        height: 1,
        block_hash: b.hash(),
        set_change: None,
    });
    let record = out
        .iter()
        .find_map(|a| match a {
            Action::Persist(s) => Some(s.clone()),
            _ => None,
        })
        .unwrap();
    // Crash; restart from the durable state (the vote record alone: nothing was prepared or
    // proposed); the (equivocating) primary now offers another block.
    let mut st = r.persisted_state();
    assert!(st.blocks.is_empty());
    st.record = record;
    let mut r2: R = Replica::new(cfg.clone(), SimSigner::new(me), SimVerifier::default());
    r2.step(Input::Restore(st));
    let c = block1(&cfg, &set, 0, 1);
    r2.step(msg(
        p,
        Message::PrePrepare(PrePrepare {
            proposal: proposal(&cfg, p, 0, c.clone()),
            parent_cert: None,
        }),
    ));
    let out = r2.step(Input::ProposalValidated {
        height: 1,
        block_hash: c.hash(),
        set_change: None,
    });
    for m in broadcasts(&out) {
        if let Message::Prepare(v) = m {
            assert_ne!(
                v.block_hash,
                c.hash(),
                "S1: a second prepare digest for (1, 0)"
            );
        }
    }
    // The original block is still voted for (same digest is allowed).
    let mut r3: R = Replica::new(cfg.clone(), SimSigner::new(me), SimVerifier::default());
    let st3 = r.persisted_state();
    r3.step(Input::Restore(st3));
    r3.step(msg(
        p,
        Message::PrePrepare(PrePrepare {
            proposal: proposal(&cfg, p, 0, b.clone()),
            parent_cert: None,
        }),
    ));
    let out = r3.step(Input::ProposalValidated {
        height: 1,
        block_hash: b.hash(),
        set_change: None,
    });
    assert!(broadcasts(&out)
        .iter()
        .any(|m| matches!(m, Message::Prepare(v) if v.block_hash == b.hash())));
}

#[test]
fn p2_equivocating_primary_yields_evidence() {
    let (cfg, set) = sim_config(4);
    let me = backup(&set);
    let (mut r, _) = started(&cfg, me);
    let p = primary(&set, 1, 0);
    let b = block1(&cfg, &set, 0, 0);
    let c = block1(&cfg, &set, 0, 1);
    r.step(msg(
        p,
        Message::PrePrepare(PrePrepare {
            proposal: proposal(&cfg, p, 0, b),
            parent_cert: None,
        }),
    ));
    let out = r.step(msg(
        p,
        Message::PrePrepare(PrePrepare {
            proposal: proposal(&cfg, p, 0, c),
            parent_cert: None,
        }),
    ));
    assert!(out
        .iter()
        .any(|a| matches!(a, Action::Evidence(e) if e.first.voter == key(p))));
}

#[test]
fn p2_structurally_bad_proposal_is_refused() {
    let (cfg, set) = sim_config(4);
    let me = backup(&set);
    let (mut r, _) = started(&cfg, me);
    let p = primary(&set, 1, 0);
    let mut b = block1(&cfg, &set, 0, 0);
    b.header.timestamp_ms = cfg.genesis_timestamp_ms; // not after the parent's
    let out = r.step(msg(
        p,
        Message::PrePrepare(PrePrepare {
            proposal: proposal(&cfg, p, 0, b),
            parent_cert: None,
        }),
    ));
    assert!(
        matches!(
            rejected(&out).as_slice(),
            [ConsensusError::BadProposal { .. }]
        ),
        "{out:?}"
    );
    // A proposal from a validator that is not the primary.
    let other = (0..4).find(|i| *i != p && *i != me).unwrap();
    let b = block1(&cfg, &set, 0, 0);
    let out = r.step(msg(
        other,
        Message::PrePrepare(PrePrepare {
            proposal: proposal(&cfg, other, 0, b),
            parent_cert: None,
        }),
    ));
    assert!(
        matches!(
            rejected(&out).as_slice(),
            [ConsensusError::NotPrimary { .. }]
        ),
        "{out:?}"
    );
}

/// The four new-view variants against a backup of view 1 at height 1, one block prepared in 0.
fn nv_setup() -> (Config, ValidatorSet, usize, usize, Block, Vec<ViewChange>) {
    let (cfg, set) = sim_config(4);
    let me = backup(&set);
    let p1 = primary(&set, 1, 1);
    let b = block1(&cfg, &set, 0, 0);
    let cert = prepared_cert(&cfg, &set, 0, &b);
    let voters: Vec<usize> = (0..4).filter(|i| *i != me).collect();
    let vcs: Vec<ViewChange> = voters
        .iter()
        .enumerate()
        .map(|(j, v)| view_change(&cfg, *v, 1, if j == 0 { Some(cert.clone()) } else { None }))
        .collect();
    (cfg, set, me, p1, b, vcs)
}

#[test]
fn vc3a_new_view_with_short_certificate_is_rejected() {
    let (cfg, set, me, p1, b, vcs) = nv_setup();
    let (mut r, _) = started(&cfg, me);
    let short: Vec<ViewChange> = vcs.into_iter().take(set.quorum() - 1).collect();
    let out = r.step(msg(p1, Message::NewView(new_view(&cfg, p1, 1, short, b))));
    assert!(
        matches!(rejected(&out).as_slice(), [ConsensusError::BadNewView(m)] if m.starts_with("VC3a")),
        "{out:?}"
    );
    assert_eq!(r.view(), 0);
}

#[test]
fn vc3_new_view_with_forged_view_change_is_rejected() {
    let (cfg, _set, me, p1, b, mut vcs) = nv_setup();
    let (mut r, _) = started(&cfg, me);
    vcs[1].signature.0[3] ^= 1;
    let out = r.step(msg(p1, Message::NewView(new_view(&cfg, p1, 1, vcs, b))));
    assert!(
        matches!(
            rejected(&out).as_slice(),
            [ConsensusError::BadSignature {
                what: "view-change",
                ..
            }]
        ),
        "{out:?}"
    );
    assert_eq!(r.view(), 0);
}

#[test]
fn vc3d_new_view_ignoring_the_prepared_block_is_rejected() {
    let (cfg, set, me, p1, _b, vcs) = nv_setup();
    let (mut r, _) = started(&cfg, me);
    let fresh = block1(&cfg, &set, 1, 7);
    let out = r.step(msg(p1, Message::NewView(new_view(&cfg, p1, 1, vcs, fresh))));
    assert!(
        matches!(rejected(&out).as_slice(), [ConsensusError::BadNewView(m)] if m.starts_with("VC3d")),
        "{out:?}"
    );
    assert_eq!(r.view(), 0);
}

#[test]
fn vc2_valid_new_view_repropose_is_accepted_and_prepared() {
    let (cfg, _set, me, p1, b, vcs) = nv_setup();
    let (mut r, _) = started(&cfg, me);
    let out = r.step(msg(
        p1,
        Message::NewView(new_view(&cfg, p1, 1, vcs, b.clone())),
    ));
    assert!(rejected(&out).is_empty(), "{out:?}");
    assert_eq!(r.view(), 1);
    assert!(out
        .iter()
        .any(|a| matches!(a, Action::ValidateProposal { block, view: 1, .. } if *block == b)));
    let out = r.step(Input::ProposalValidated {
        height: 1,
        block_hash: b.hash(),
        set_change: None,
    });
    assert!(broadcasts(&out)
        .iter()
        .any(|m| matches!(m, Message::Prepare(v) if v.view == 1 && v.block_hash == b.hash())));
}

#[test]
fn vc4_f_plus_1_view_changes_make_a_replica_join() {
    let (cfg, set) = sim_config(4);
    let me = backup(&set);
    let (mut r, _) = started(&cfg, me);
    let others: Vec<usize> = (0..4).filter(|i| *i != me).collect();
    let one = view_change(&cfg, others[0], 3, None);
    let out = r.step(msg(
        others[0],
        Message::ViewChange(ViewChangeMsg {
            view_change: one,
            prepared_block: None,
        }),
    ));
    assert!(
        broadcasts(&out).is_empty(),
        "one view change (≤ f) is not enough"
    );
    let two = view_change(&cfg, others[1], 2, None);
    let out = r.step(msg(
        others[1],
        Message::ViewChange(ViewChangeMsg {
            view_change: two,
            prepared_block: None,
        }),
    ));
    assert!(broadcasts(&out)
        .iter()
        .any(|m| matches!(m, Message::ViewChange(vc) if vc.view_change.body.new_view == 2)));
    assert_eq!(r.view(), 2);
}

#[test]
fn vc5_view_timeout_doubles_and_resets_on_commit() {
    let (cfg, set) = sim_config(4);
    let me = backup(&set);
    let (mut r, out) = started(&cfg, me);
    let first = out.iter().find_map(|a| match a {
        Action::SetTimer { after_ms, .. } => Some(*after_ms),
        _ => None,
    });
    assert_eq!(first, Some(cfg.view_timeout_ms));
    let others: Vec<usize> = (0..4).filter(|i| *i != me).collect();
    let timer_set = |out: &[Action]| {
        out.iter().rev().find_map(|a| match a {
            Action::SetTimer { after_ms, .. } => Some(*after_ms),
            _ => None,
        })
    };
    let out = r.step(Input::Timer(tracechain_consensus::TimerId::View {
        height: 1,
        view: 0,
    }));
    // VC8: until a quorum of view changes for view 1 is held only the re-send timer runs.
    assert_eq!(timer_set(&out), Some(cfg.view_change_resend_ms));
    let mut out = Vec::new();
    for o in &others[..2] {
        out.extend(r.step(msg(*o, vc_msg(view_change_at(&cfg, 1, *o, 1, None)))));
    }
    assert_eq!(timer_set(&out), Some(2 * cfg.view_timeout_ms));
    r.step(Input::Timer(tracechain_consensus::TimerId::View {
        height: 1,
        view: 1,
    }));
    let mut out = Vec::new();
    for o in &others[..2] {
        out.extend(r.step(msg(*o, vc_msg(view_change_at(&cfg, 1, *o, 2, None)))));
    }
    assert_eq!(timer_set(&out), Some(4 * cfg.view_timeout_ms));
    // A certificate for height 1 commits (block known from sync) and resets to the base timeout.
    let b = block1(&cfg, &set, 0, 0);
    let out = r.step(Input::BlockSynced {
        block: b.clone(),
        cert: commit_cert(&cfg, &set, &b, set.quorum()),
    });
    assert!(out.iter().any(|a| matches!(a, Action::Commit { .. })));
    let t3 = out.iter().find_map(|a| match a {
        Action::SetTimer {
            timer: tracechain_consensus::TimerId::View { height: 2, view: 0 },
            after_ms,
        } => Some(*after_ms),
        _ => None,
    });
    assert_eq!(t3, Some(cfg.view_timeout_ms));
}

fn commit_cert(cfg: &Config, set: &ValidatorSet, b: &Block, votes: usize) -> CommitCertificate {
    let h = b.hash();
    let mut vs: Vec<CommitVote> = (0..set.len())
        .take(votes)
        .map(|i| CommitVote {
            validator: key(i),
            signature: SimSigner::new(i).sign(&commit_vote_signing_bytes(
                &cfg.chain_id,
                b.header.height,
                0,
                &h,
            )),
        })
        .collect();
    vs.sort_by_key(|v| v.validator);
    CommitCertificate {
        height: b.header.height,
        view: 0,
        block_hash: h,
        votes: vs,
    }
}

#[test]
fn sy2_synced_block_needs_a_quorum_certificate() {
    let (cfg, set) = sim_config(4);
    let me = backup(&set);
    let (mut r, _) = started(&cfg, me);
    let b = block1(&cfg, &set, 0, 0);
    let out = r.step(Input::BlockSynced {
        block: b.clone(),
        cert: commit_cert(&cfg, &set, &b, set.quorum() - 1),
    });
    assert!(
        matches!(
            rejected(&out).as_slice(),
            [ConsensusError::BadCertificate(_)]
        ),
        "{out:?}"
    );
    assert_eq!(r.height(), 1);
    let out = r.step(Input::BlockSynced {
        block: b.clone(),
        cert: commit_cert(&cfg, &set, &b, set.quorum()),
    });
    assert!(out
        .iter()
        .any(|a| matches!(a, Action::Commit { block, .. } if *block == b)));
    assert_eq!(r.height(), 2);
}

#[test]
fn sy3_synced_blocks_out_of_order_and_unlinked() {
    let (cfg, set) = sim_config(4);
    let me = backup(&set);
    let (mut r, _) = started(&cfg, me);
    let b1 = block1(&cfg, &set, 0, 0);
    let b2 = sim_block(
        &cfg,
        2,
        0,
        b1.hash(),
        b1.header.timestamp_ms,
        key(primary(&set, 2, 0)),
        set.hash(),
        0,
    );
    let bad2 = sim_block(
        &cfg,
        2,
        0,
        cfg.genesis_hash,
        b1.header.timestamp_ms,
        key(primary(&set, 2, 0)),
        set.hash(),
        0,
    );
    // Height 2 first: waits for height 1.
    let out = r.step(Input::BlockSynced {
        block: b2.clone(),
        cert: commit_cert(&cfg, &set, &b2, 3),
    });
    assert!(!out.iter().any(|a| matches!(a, Action::Commit { .. })));
    let out = r.step(Input::BlockSynced {
        block: b1.clone(),
        cert: commit_cert(&cfg, &set, &b1, 3),
    });
    let commits: Vec<u64> = out
        .iter()
        .filter_map(|a| match a {
            Action::Commit { block, .. } => Some(block.header.height),
            _ => None,
        })
        .collect();
    assert_eq!(commits, vec![1, 2]);
    // A block not linked to the last committed one is refused even with a valid certificate.
    let (mut r, _) = started(&cfg, me);
    r.step(Input::BlockSynced {
        block: b1.clone(),
        cert: commit_cert(&cfg, &set, &b1, 3),
    });
    let out = r.step(Input::BlockSynced {
        block: bad2.clone(),
        cert: commit_cert(&cfg, &set, &bad2, 3),
    });
    assert!(
        matches!(
            rejected(&out).as_slice(),
            [ConsensusError::BadSyncedBlock { .. }]
        ),
        "{out:?}"
    );
}

#[test]
fn b1_future_buffer_is_bounded_per_sender() {
    let (cfg, set) = sim_config(4);
    let me = backup(&set);
    let (mut r, _) = started(&cfg, me);
    let spammer = (0..4).find(|i| *i != me).unwrap();
    for k in 0..1_000u64 {
        let h = tracechain_types::Hash::tagged(b"x", &[&k.to_le_bytes()]);
        let view = 1 + k % 60;
        let height = 1 + k % 4;
        let signature =
            SimSigner::new(spammer).sign(&prepare_signing_bytes(&cfg.chain_id, height, view, &h));
        r.step(msg(
            spammer,
            Message::Prepare(Vote {
                height,
                view,
                block_hash: h,
                voter: key(spammer),
                signature,
            }),
        ));
        assert!(r.buffer().max_per_sender() <= MAX_BUFFERED_PER_SENDER);
    }
    assert_eq!(r.buffer().max_per_sender(), MAX_BUFFERED_PER_SENDER);
    assert_eq!(r.buffer().senders(), 1);
}

#[test]
fn m_decode_message_has_a_size_limit_and_consumes_all_input() {
    let (cfg, set) = sim_config(4);
    let b = block1(&cfg, &set, 0, 0);
    let m = Message::PrePrepare(PrePrepare {
        proposal: proposal(&cfg, 0, 0, b),
        parent_cert: None,
    });
    let bytes = encode(&m);
    assert_eq!(decode_message(&bytes).unwrap(), m);
    let mut trailing = bytes.clone();
    trailing.push(0);
    assert!(decode_message(&trailing).is_err());
    let huge = vec![0u8; MAX_MESSAGE_BYTES + 1];
    assert!(matches!(
        decode_message(&huge),
        Err(tracechain_types::DecodeError::TooLarge { .. })
    ));
}

#[test]
fn p5_ed25519_commit_certificate_verifies_with_the_types_check() {
    let sk = SecretKey::from_seed([9u8; 32]);
    let set = ValidatorSet::new(vec![Validator {
        public_key: sk.public(),
        name: "customs".into(),
    }])
    .unwrap();
    let chain = tracechain_types::ChainId::new("tracechain-test").unwrap();
    let genesis = tracechain_types::Hash::tagged(b"g", &[]);
    let cfg = Config::new(chain, genesis, 1_000, set.clone(), |_| None);
    cfg.validate().unwrap();
    let mut r = Replica::new(cfg.clone(), Ed25519Signer::new(sk), Ed25519);
    r.step(Input::Start);
    r.step(Input::PendingWork(true));
    let b = sim_block(
        &cfg,
        1,
        0,
        genesis,
        1_000,
        set.validators()[0].public_key,
        set.hash(),
        0,
    );
    let out = r.step(Input::ProposalReady {
        height: 1,
        view: 0,
        block: b.clone(),
        set_change: None,
    });
    let cert = out
        .iter()
        .find_map(|a| match a {
            Action::Commit { cert, .. } => Some(cert.clone()),
            _ => None,
        })
        .unwrap();
    cert.verify(&cfg.chain_id, 1, &b.hash(), &set, &Ed25519)
        .unwrap();
}

#[test]
fn vs1_validator_set_change_takes_effect_at_h_plus_2() {
    let (cfg, set) = sim_config(1);
    let (_, new_set) = sim_config(4);
    let (mut r, _) = started(&cfg, 0);
    let mut parent = cfg.genesis_hash;
    let mut ts = cfg.genesis_timestamp_ms;
    let mut hashes = Vec::new();
    for h in 1..=3u64 {
        let b = sim_block(&cfg, h, 0, parent, ts, key(0), set.hash(), h);
        let change = if h == 1 { Some(new_set.clone()) } else { None };
        let out = r.step(Input::ProposalReady {
            height: h,
            view: 0,
            block: b.clone(),
            set_change: change,
        });
        // The next request names the set of the next height.
        let next = out.iter().find_map(|a| match a {
            Action::RequestProposal {
                height,
                validator_set_hash,
                ..
            } => Some((*height, *validator_set_hash)),
            _ => None,
        });
        hashes.push(next);
        parent = b.hash();
        ts = b.header.timestamp_ms;
        if h == 2 {
            break;
        }
    }
    assert_eq!(
        hashes[0],
        Some((2, set.hash())),
        "VS1: height 2 still uses the old set"
    );
    // Height 3 is led by the new set, in which this replica may not be the primary.
    assert_eq!(r.height(), 3);
    let st = r.persisted_state();
    assert_eq!(
        st.sets,
        vec![(3, new_set)],
        "VS1: from height 3 only the new set is held"
    );
}

#[test]
fn config_validation_names_the_key() {
    let (mut cfg, _) = sim_config(1);
    cfg.view_timeout_ms = 0;
    assert_eq!(cfg.validate(), Err(ConfigError::Zero("view_timeout_ms")));
    cfg.view_timeout_ms = 10;
    cfg.max_view_timeout_ms = 9;
    assert!(matches!(
        cfg.validate(),
        Err(ConfigError::MaxBelowBase { .. })
    ));
    cfg.max_view_timeout_ms = 10;
    assert_eq!(
        cfg.validate(),
        Ok(()),
        "a maximum equal to the base is allowed"
    );
    // The checkpoint's height: 1 ..= max_checkpoint_distance, exactly.
    let max = cfg.limits.max_checkpoint_distance;
    for (height, ok) in [(0, false), (1, true), (max, true), (max + 1, false)] {
        cfg.checkpoint = Some(tracechain_consensus::Checkpoint {
            height,
            hash: tracechain_types::Hash::ZERO,
        });
        assert_eq!(
            cfg.validate().is_ok(),
            ok,
            "checkpoint at {height} (max {max})"
        );
    }
}

/// M4: mutated peer bytes never panic the decoder or the replica; whatever decodes is either
/// processed or rejected with a typed error.
#[test]
fn m4_mutated_messages_never_panic() {
    use tracechain_consensus::sim::SimRng;
    let (cfg, set, me, p1, b, vcs) = nv_setup();
    let p0 = primary(&set, 1, 0);
    let seeds: Vec<Vec<u8>> = vec![
        encode(&Message::NewView(new_view(
            &cfg,
            p1,
            1,
            vcs.clone(),
            b.clone(),
        ))),
        encode(&Message::ViewChange(ViewChangeMsg {
            view_change: vcs[0].clone(),
            prepared_block: Some(b.clone()),
        })),
        encode(&Message::PrePrepare(PrePrepare {
            proposal: proposal(&cfg, p0, 0, b.clone()),
            parent_cert: None,
        })),
    ];
    let mut rng = SimRng::new(42);
    let (mut r, _) = started(&cfg, me);
    let mut decoded = 0;
    for round in 0..3_000u64 {
        let mut bytes = seeds[(round % 3) as usize].clone();
        for _ in 0..1 + rng.below(4) {
            let i = rng.below(bytes.len() as u64) as usize;
            bytes[i] ^= 1 << rng.below(8);
        }
        if rng.chance(100) {
            bytes.truncate(rng.below(bytes.len() as u64) as usize);
        }
        if let Ok(m) = decode_message(&bytes) {
            decoded += 1;
            let from = key((round % 4) as usize);
            r.step(Input::Message { from, message: m });
        }
    }
    assert!(
        decoded > 100,
        "mutations that still decode exercise the replica: {decoded}"
    );
}

// ------------------------------------------------------------------ review findings (ADR 0015)

fn view_change_at(
    cfg: &Config,
    height: u64,
    voter: usize,
    new_view: u64,
    prepared: Option<PrepareCert>,
) -> ViewChange {
    let body = ViewChangeBody {
        height,
        new_view,
        voter: key(voter),
        committed: None,
        prepared,
    };
    let signature = SimSigner::new(voter).sign(&view_change_signing_bytes(&cfg.chain_id, &body));
    ViewChange { body, signature }
}

fn vc_msg(vc: ViewChange) -> Message {
    Message::ViewChange(ViewChangeMsg {
        view_change: vc,
        prepared_block: None,
    })
}

fn timer(height: u64, view: u64) -> Input {
    Input::Timer(tracechain_consensus::TimerId::View { height, view })
}

/// B1 (finding F1): a new-view for the next height that arrives while the replica is still
/// committing the current one is buffered, and must be replayed when the replica reaches that
/// height — whatever its view. Before the fix only view-0 messages were replayed, so the
/// replica ignored the new view it already held and fell back on timeouts and sync.
#[test]
fn b1_buffered_new_view_of_next_height_is_replayed() {
    let (cfg, set) = sim_config(4);
    // Position 0: a backup of height 1 view 0 and not the primary of (2, 1).
    let me = idx_at(&set, 0);
    let (mut r, _) = started(&cfg, me);
    let b1 = block1(&cfg, &set, 0, 0);
    let p = primary(&set, 2, 1);
    let b2 = sim_block(
        &cfg,
        2,
        1,
        b1.hash(),
        b1.header.timestamp_ms,
        key(p),
        set.hash(),
        0,
    );
    // VC6: a view change at height 2 carries the certificate of block 1.
    let c1 = commit_cert(&cfg, &set, &b1, set.quorum());
    let mut vcs: Vec<ViewChange> = (0..4)
        .filter(|i| *i != me)
        .map(|v| {
            let mut vc = view_change_at(&cfg, 2, v, 1, None);
            vc.body.committed = Some(c1.clone());
            vc.signature =
                SimSigner::new(v).sign(&view_change_signing_bytes(&cfg.chain_id, &vc.body));
            vc
        })
        .collect();
    vcs.sort_by_key(|vc| vc.body.voter);
    let h2 = b2.hash();
    let nv = NewView {
        height: 2,
        view: 1,
        view_changes: vcs.clone(),
        proposal: proposal(&cfg, p, 1, b2.clone()),
        signature: SimSigner::new(p).sign(&new_view_signing_bytes(&cfg.chain_id, 2, 1, &h2, &vcs)),
    };
    let out = r.step(msg(p, Message::NewView(nv)));
    assert!(rejected(&out).is_empty(), "{out:?}");
    assert_eq!(r.buffer().len(), 1, "B1: buffered for height 2");
    let out = r.step(Input::BlockSynced {
        block: b1.clone(),
        cert: commit_cert(&cfg, &set, &b1, set.quorum()),
    });
    assert_eq!(r.height(), 2);
    assert_eq!(
        r.view(),
        1,
        "VC3: the buffered new-view moved the replica to view 1"
    );
    assert!(
        out.iter().any(
            |a| matches!(a, Action::ValidateProposal { height: 2, view: 1, block } if block.hash() == h2)
        ),
        "P2: the buffered new-view's proposal is validated: {out:?}"
    );
}

/// VC2 (finding F2): a fresh block the driver built for an earlier view that never completed
/// must not be signed into the new-view of a later view (its header names the old view, so every
/// replica would refuse the new-view and the view would be lost). The primary asks again.
#[test]
fn vc2_stale_fresh_block_is_not_reproposed_in_a_later_view() {
    let (cfg, set) = sim_config(4);
    let me = primary(&set, 1, 1);
    assert_eq!(primary(&set, 1, 5), me);
    let (mut r, _) = started(&cfg, me);
    let others: Vec<usize> = (0..4).filter(|i| *i != me).collect();
    r.step(timer(1, 0));
    for o in &others[..2] {
        r.step(msg(*o, vc_msg(view_change_at(&cfg, 1, *o, 1, None))));
    }
    // A view change carrying a prepare certificate but not the block: the primary must wait.
    let b = block1(&cfg, &set, 0, 0);
    let cert = prepared_cert(&cfg, &set, 0, &b);
    r.step(msg(
        others[2],
        vc_msg(view_change_at(&cfg, 1, others[2], 1, Some(cert))),
    ));
    let fresh = block1(&cfg, &set, 1, 9);
    let out = r.step(Input::ProposalReady {
        height: 1,
        view: 1,
        block: fresh.clone(),
        set_change: None,
    });
    assert!(broadcasts(&out)
        .iter()
        .all(|m| !matches!(m, Message::NewView(_))));
    for v in 1..5 {
        if v > 1 {
            // VC8: the timer of view v runs once a quorum of view changes for v is held.
            for o in &others[..2] {
                r.step(msg(*o, vc_msg(view_change_at(&cfg, 1, *o, v, None))));
            }
        }
        r.step(timer(1, v));
    }
    assert_eq!(r.view(), 5);
    let mut out = Vec::new();
    for o in &others[..2] {
        out.extend(r.step(msg(*o, vc_msg(view_change_at(&cfg, 1, *o, 5, None)))));
    }
    for m in broadcasts(&out) {
        if let Message::NewView(nv) = m {
            assert_eq!(
                nv.proposal.block.header.view, 5,
                "VC2: a fresh proposal of view 5 names view 5 (not the stale view-1 block)"
            );
        }
    }
    assert!(
        out.iter()
            .any(|a| matches!(a, Action::RequestProposal { view: 5, .. })),
        "VC2: the primary asks for a fresh block for view 5: {out:?}"
    );
}

/// R1/VC2 (finding F3): a replica restarted after preparing block B keeps B, so that as the new
/// primary it can re-propose B from its own prepare certificate. Before the fix the restored
/// block was dropped with the per-height state and the new view could not be formed.
#[test]
fn r1_restored_replica_keeps_its_prepared_block_and_reproposes_it() {
    let (cfg, set) = sim_config(4);
    let me = primary(&set, 1, 1);
    let p0 = primary(&set, 1, 0);
    let (mut r, _) = started(&cfg, me);
    let b = block1(&cfg, &set, 0, 0);
    r.step(msg(
        p0,
        Message::PrePrepare(PrePrepare {
            proposal: proposal(&cfg, p0, 0, b.clone()),
            parent_cert: None,
        }),
    ));
    r.step(Input::ProposalValidated {
        height: 1,
        block_hash: b.hash(),
        set_change: None,
    });
    let other = (0..4).find(|i| *i != me && *i != p0).unwrap();
    let sig = SimSigner::new(other).sign(&prepare_signing_bytes(&cfg.chain_id, 1, 0, &b.hash()));
    let out = r.step(msg(
        other,
        Message::Prepare(Vote {
            height: 1,
            view: 0,
            block_hash: b.hash(),
            voter: key(other),
            signature: sig,
        }),
    ));
    assert!(sends_commit(&out), "P4: prepared");
    let st = r.persisted_state();
    assert!(st.record.prepared.is_some());
    let mut r2: R = Replica::new(cfg.clone(), SimSigner::new(me), SimVerifier::default());
    r2.step(Input::Restore(st));
    assert_eq!(
        r2.blocks_kept(),
        1,
        "R1: the prepared block survives the restart"
    );
    r2.step(timer(1, 0));
    let mut out = Vec::new();
    for o in (0..4).filter(|i| *i != me).take(2) {
        out.extend(r2.step(msg(o, vc_msg(view_change_at(&cfg, 1, o, 1, None)))));
    }
    assert!(
        broadcasts(&out).iter().any(
            |m| matches!(m, Message::NewView(nv) if nv.view == 1 && nv.proposal.block.hash() == b.hash())
        ),
        "VC2: the restarted primary re-proposes its prepared block: {out:?}"
    );
}

/// M3/no-panic (finding F4): heights and views are added to without overflow checks. A replica
/// restored at an extreme (but decodable) height and view must refuse or ignore peer input, not
/// panic on `+`.
#[test]
fn m_extreme_heights_and_views_never_panic() {
    let (cfg, set) = sim_config(4);
    let me = backup(&set);
    let (r0, _) = started(&cfg, me);
    let mut st = r0.persisted_state();
    st.last.height = u64::MAX - 1;
    st.record.height = u64::MAX;
    st.record.view = u64::MAX - 1;
    let mut r: R = Replica::new(cfg.clone(), SimSigner::new(me), SimVerifier::default());
    r.step(Input::Restore(st));
    r.step(Input::PendingWork(true));
    let other = (0..4).find(|i| *i != me).unwrap();
    let h = tracechain_types::Hash::tagged(b"x", &[]);
    for view in [0, u64::MAX - 2, u64::MAX - 1, u64::MAX] {
        let sig = SimSigner::new(other).sign(&commit_vote_signing_bytes(
            &cfg.chain_id,
            u64::MAX,
            view,
            &h,
        ));
        let vote = Vote {
            height: u64::MAX,
            view,
            block_hash: h,
            voter: key(other),
            signature: sig,
        };
        r.step(msg(other, Message::Commit(vote.clone())));
        r.step(msg(other, Message::Prepare(vote)));
        r.step(msg(
            other,
            vc_msg(view_change_at(&cfg, u64::MAX, other, view, None)),
        ));
    }
    let b = block1(&cfg, &set, 0, 0);
    let mut cert = commit_cert(&cfg, &set, &b, set.quorum());
    cert.height = u64::MAX;
    r.step(msg(other, Message::Decided(cert.clone())));
    r.step(Input::BlockSynced { block: b, cert });
    r.step(timer(u64::MAX, u64::MAX - 1));
    r.step(timer(u64::MAX, u64::MAX));
}

// ------------------------------------------------------------------ idle chain (ID1–ID3)

fn view_timers(out: &[Action]) -> Vec<(u64, u64)> {
    out.iter()
        .filter_map(|a| match a {
            Action::SetTimer {
                timer: tracechain_consensus::TimerId::View { height, view },
                ..
            } => Some((*height, *view)),
            _ => None,
        })
        .collect()
}

/// ID1/ID2: without pending work neither the primary nor a backup starts a view timer, and
/// the primary does not ask for a block; `PendingWork(true)` starts both, once.
#[test]
fn id1_no_timer_and_no_proposal_request_without_pending_work() {
    let (cfg, set) = sim_config(4);
    let p = primary(&set, 1, 0);
    let b = backup(&set);
    for me in [p, b] {
        let mut r: R = Replica::new(cfg.clone(), SimSigner::new(me), SimVerifier::default());
        let out = r.step(Input::Start);
        assert!(
            view_timers(&out).is_empty(),
            "ID1: idle height, no timer: {out:?}"
        );
        assert!(!out
            .iter()
            .any(|a| matches!(a, Action::RequestProposal { .. })));
        let out = r.step(Input::PendingWork(false));
        assert!(out.is_empty(), "{out:?}");
        let out = r.step(Input::PendingWork(true));
        assert_eq!(
            view_timers(&out),
            vec![(1, 0)],
            "ID1: work starts the timer"
        );
        assert_eq!(
            out.iter()
                .filter(|a| matches!(
                    a,
                    Action::RequestProposal {
                        height: 1,
                        view: 0,
                        ..
                    }
                ))
                .count(),
            usize::from(me == p),
            "ID2: only the primary asks, and only now"
        );
        let out = r.step(Input::PendingWork(true));
        assert!(
            out.is_empty(),
            "ID1: a running timer is not pushed back: {out:?}"
        );
    }
}

/// ID3: when the mempool empties before anything happened at the height, the timer stops, and
/// a stale firing changes nothing (no view change from an idle replica).
#[test]
fn id3_empty_mempool_cancels_the_timer_of_an_untouched_height() {
    let (cfg, set) = sim_config(4);
    let me = backup(&set);
    let (mut r, _) = started(&cfg, me);
    let out = r.step(Input::PendingWork(false));
    assert!(
        out.iter().any(|a| matches!(
            a,
            Action::CancelTimer(tracechain_consensus::TimerId::View { height: 1, view: 0 })
        )),
        "{out:?}"
    );
    let out = r.step(timer(1, 0));
    assert!(
        broadcasts(&out).is_empty(),
        "ID3: no view change while idle: {out:?}"
    );
    assert_eq!(r.view(), 0);
}

/// ID1: a proposal from the primary is work even if this replica's mempool is empty: the
/// timer starts (so a primary that stalls after proposing is still replaced), and it keeps
/// running when the driver reports an empty mempool.
#[test]
fn id1_a_proposal_seen_arms_the_timer_of_an_idle_replica() {
    let (cfg, set) = sim_config(4);
    let me = backup(&set);
    let mut r: R = Replica::new(cfg.clone(), SimSigner::new(me), SimVerifier::default());
    r.step(Input::Start);
    let p = primary(&set, 1, 0);
    let b = block1(&cfg, &set, 0, 0);
    let out = r.step(msg(
        p,
        Message::PrePrepare(PrePrepare {
            proposal: proposal(&cfg, p, 0, b),
            parent_cert: None,
        }),
    ));
    assert_eq!(view_timers(&out), vec![(1, 0)], "{out:?}");
    let out = r.step(Input::PendingWork(false));
    assert!(
        out.is_empty(),
        "ID3: a height with a proposal keeps its timer: {out:?}"
    );
    let out = r.step(timer(1, 0));
    assert!(broadcasts(&out)
        .iter()
        .any(|m| matches!(m, Message::ViewChange(_))));
}

/// ID2: the primary that was idle at the start asks for the view-0 block when work arrives.
#[test]
fn id2_primary_asks_when_work_arrives_and_commits_n1() {
    let (cfg, _set) = sim_config(1);
    let mut r: R = Replica::new(cfg.clone(), SimSigner::new(0), SimVerifier::default());
    assert!(r.step(Input::Start).is_empty());
    let out = r.step(Input::PendingWork(true));
    assert!(out.iter().any(|a| matches!(
        a,
        Action::RequestProposal {
            height: 1,
            view: 0,
            ..
        }
    )));
}

// ------------------------------------------------------------------ mutation survivors (ADR 0015)

/// VC1/M3: a view change whose prepare certificate carries a forged prepare signature is
/// refused (a Byzantine validator could otherwise force any block it signed a pre-prepare
/// for). Added after mutation M2 (prepare signatures not checked) survived every test.
#[test]
fn vc1_view_change_with_forged_prepare_signature_is_rejected() {
    let (cfg, set) = sim_config(4);
    let me = backup(&set);
    let (mut r, _) = started(&cfg, me);
    let b = block1(&cfg, &set, 0, 0);
    let mut cert = prepared_cert(&cfg, &set, 0, &b);
    cert.prepares[0].1 .0[0] ^= 1;
    let from = (0..4).find(|i| *i != me).unwrap();
    let out = r.step(msg(
        from,
        Message::ViewChange(ViewChangeMsg {
            view_change: view_change(&cfg, from, 1, Some(cert)),
            prepared_block: Some(b),
        }),
    ));
    assert!(
        matches!(rejected(&out).as_slice(), [ConsensusError::BadPrepareCert(m)] if m.contains("prepare signature")),
        "{out:?}"
    );
}

/// VC2/VC3d: among the view changes the prepare certificate of the highest view forces the
/// proposal — not an older one. Added after mutation M5 (lowest view chosen) survived.
#[test]
fn vc3d_highest_view_prepared_block_is_forced() {
    let (cfg, set) = sim_config(4);
    let me = primary(&set, 1, 3);
    let p2 = primary(&set, 1, 2);
    let a = block1(&cfg, &set, 0, 0);
    let b = block1(&cfg, &set, 1, 1);
    let cert_a = prepared_cert(&cfg, &set, 0, &a);
    let cert_b = prepared_cert(&cfg, &set, 1, &b);
    let voters: Vec<usize> = (0..4).filter(|i| *i != me).collect();
    let vcs = vec![
        view_change(&cfg, voters[0], 2, Some(cert_a)),
        view_change(&cfg, voters[1], 2, Some(cert_b)),
        view_change(&cfg, voters[2], 2, None),
    ];
    let (mut r, _) = started(&cfg, me);
    let out = r.step(msg(
        p2,
        Message::NewView(new_view(&cfg, p2, 2, vcs.clone(), a)),
    ));
    assert!(
        matches!(rejected(&out).as_slice(), [ConsensusError::BadNewView(m)] if m.starts_with("VC3d")),
        "the view-0 block is not the highest prepared: {out:?}"
    );
    assert_eq!(r.view(), 0);
    let out = r.step(msg(
        p2,
        Message::NewView(new_view(&cfg, p2, 2, vcs, b.clone())),
    ));
    assert!(rejected(&out).is_empty(), "{out:?}");
    assert_eq!(r.view(), 2);
    assert!(out
        .iter()
        .any(|a| matches!(a, Action::ValidateProposal { view: 2, block, .. } if *block == b)));
}

/// VC3b: a new-view that reaches the quorum by repeating one validator's view change is refused.
/// Added after mutation M8 (duplicates allowed) survived.
#[test]
fn vc3b_new_view_with_duplicate_senders_is_rejected() {
    let (cfg, _set, me, p1, b, vcs) = nv_setup();
    let (mut r, _) = started(&cfg, me);
    let dup = vec![vcs[0].clone(), vcs[0].clone(), vcs[1].clone()];
    let out = r.step(msg(p1, Message::NewView(new_view(&cfg, p1, 1, dup, b))));
    assert!(
        matches!(rejected(&out).as_slice(), [ConsensusError::BadNewView(m)] if m.starts_with("VC3b")),
        "{out:?}"
    );
    assert_eq!(r.view(), 0);
}

/// S1: after a restart a replica that committed-voted B in view 0 does not commit-vote another
/// block C of view 0, even when the prepares of others make C look prepared (it never prepared
/// C itself). Added after mutation M10 (commit guard removed) survived.
#[test]
fn s1_no_second_commit_digest_after_restart() {
    let (cfg, set) = sim_config(4);
    let me = backup(&set);
    let p = primary(&set, 1, 0);
    let others: Vec<usize> = (0..4).filter(|i| *i != me && *i != p).collect();
    let prep = |i: usize, h: &Block| {
        let hash = h.hash();
        msg(
            i,
            Message::Prepare(Vote {
                height: 1,
                view: 0,
                block_hash: hash,
                voter: key(i),
                signature: SimSigner::new(i).sign(&prepare_signing_bytes(
                    &cfg.chain_id,
                    1,
                    0,
                    &hash,
                )),
            }),
        )
    };
    let (mut r, _) = started(&cfg, me);
    let b = block1(&cfg, &set, 0, 0);
    r.step(msg(
        p,
        Message::PrePrepare(PrePrepare {
            proposal: proposal(&cfg, p, 0, b.clone()),
            parent_cert: None,
        }),
    ));
    r.step(Input::ProposalValidated {
        height: 1,
        block_hash: b.hash(),
        set_change: None,
    });
    let out = r.step(prep(others[0], &b));
    assert!(broadcasts(&out)
        .iter()
        .any(|m| matches!(m, Message::Commit(v) if v.block_hash == b.hash())));
    let st = r.persisted_state();
    let mut r2: R = Replica::new(cfg.clone(), SimSigner::new(me), SimVerifier::default());
    r2.step(Input::Restore(st));
    r2.step(Input::PendingWork(true));
    let c = block1(&cfg, &set, 0, 1);
    r2.step(msg(
        p,
        Message::PrePrepare(PrePrepare {
            proposal: proposal(&cfg, p, 0, c.clone()),
            parent_cert: None,
        }),
    ));
    let mut out = r2.step(Input::ProposalValidated {
        height: 1,
        block_hash: c.hash(),
        set_change: None,
    });
    out.extend(r2.step(prep(others[0], &c)));
    out.extend(r2.step(prep(others[1], &c)));
    for m in broadcasts(&out) {
        if let Message::Commit(v) = m {
            assert_ne!(
                v.block_hash,
                c.hash(),
                "S1: a second commit digest for (1, 0)"
            );
        }
    }
}

// ------------------------------------------------------------------ consensus hardening (ADR 0017)

/// Run `r` through its view-0 timeout at height 1 and answer its view-1 proposal request if it
/// asks; returns every action.
fn answer_proposal_request(r: &mut R, out: &[Action]) -> Vec<Action> {
    let mut more = Vec::new();
    for a in out {
        if let Action::RequestProposal {
            height,
            view,
            parent,
            parent_timestamp_ms,
            validator_set_hash,
        } = a
        {
            let (cfg, _) = sim_config(4);
            let b = sim_block(
                &cfg,
                *height,
                *view,
                *parent,
                *parent_timestamp_ms,
                r.public(),
                *validator_set_hash,
                9,
            );
            more.extend(r.step(Input::ProposalReady {
                height: *height,
                view: *view,
                block: b,
                set_change: None,
            }));
        }
    }
    more
}

/// VC6/VC7 (finding 1): a Byzantine validator's view change carries a `committed` certificate
/// for a height below the receiver's, padded to about 26 MB. It used to be accepted unchecked,
/// and the new primary copied every view change it held into its new-view, which then exceeded
/// `MAX_MESSAGE_BYTES` and was refused by every receiver: view changes halted. Now the view
/// change is refused on arrival, and the new-view carries exactly a quorum of view changes and
/// stays under the bound derived from the validator count.
#[test]
fn vc6_oversized_view_change_cannot_inflate_the_new_view() {
    let (cfg, set) = sim_config(4);
    let me = primary(&set, 1, 1);
    let (mut r, _) = started(&cfg, me);
    let others: Vec<usize> = (0..4).filter(|i| *i != me).collect();
    let byz = others[0];
    // A certificate below our height with ~26 MB of junk votes.
    let junk: Vec<CommitVote> = (0..270_000u32)
        .map(|i| {
            let mut k = [0u8; 32];
            k[..4].copy_from_slice(&i.to_be_bytes());
            CommitVote {
                validator: PublicKey(k),
                signature: tracechain_types::Signature([7u8; 64]),
            }
        })
        .collect();
    let body = ViewChangeBody {
        height: 1,
        new_view: 1,
        voter: key(byz),
        committed: Some(CommitCertificate {
            height: 0,
            view: 0,
            block_hash: cfg.genesis_hash,
            votes: junk,
        }),
        prepared: None,
    };
    let signature = SimSigner::new(byz).sign(&view_change_signing_bytes(&cfg.chain_id, &body));
    let big = ViewChange { body, signature };
    let mut out = r.step(timer(1, 0));
    out.extend(r.step(msg(byz, vc_msg(big))));
    for v in &others[1..] {
        out.extend(r.step(msg(*v, vc_msg(view_change(&cfg, *v, 1, None)))));
    }
    let more = answer_proposal_request(&mut r, &out);
    out.extend(more);
    let nv = broadcasts(&out)
        .into_iter()
        .find(|m| matches!(m, Message::NewView(_)))
        .expect("VC2: the primary of view 1 sends its new-view");
    let bytes = encode(&nv);
    assert!(
        decode_message(&bytes).is_ok(),
        "M4: the honest new-view ({} bytes) must decode under MAX_MESSAGE_BYTES ({MAX_MESSAGE_BYTES})",
        bytes.len()
    );
    assert!(
        bytes.len() <= tracechain_consensus::max_new_view_bytes(set.len()),
        "VC7: within the bound derived from n"
    );
    let Message::NewView(nv) = nv else {
        unreachable!()
    };
    assert_eq!(nv.view_changes.len(), set.quorum(), "VC7: exactly a quorum");
    assert!(
        rejected(&out)
            .iter()
            .any(|e| matches!(e, ConsensusError::BadViewChange(m) if m.starts_with("VC6"))),
        "VC6: the oversized view change is refused on arrival: {:?}",
        rejected(&out)
    );
}

/// A commit certificate for `height` padded with `votes` junk votes (≈ 96 bytes each).
fn junk_cert(height: u64, votes: u32) -> CommitCertificate {
    CommitCertificate {
        height,
        view: 0,
        block_hash: tracechain_types::Hash::tagged(b"junk", &[&height.to_le_bytes()]),
        votes: (0..votes)
            .map(|i| {
                let mut k = [0u8; 32];
                k[..4].copy_from_slice(&i.to_be_bytes());
                CommitVote {
                    validator: PublicKey(k),
                    signature: tracechain_types::Signature([7u8; 64]),
                }
            })
            .collect(),
    }
}

/// A signed view change of `voter` for (height, new_view) whose prepare certificate is padded
/// to about `votes` × 96 bytes (future messages are buffered before they are checked).
fn padded_view_change(cfg: &Config, voter: usize, height: u64, view: u64, votes: u32) -> Message {
    let mut vc = view_change_at(cfg, height, voter, view, None);
    let junk = junk_cert(height, votes);
    vc.body.prepared = Some(PrepareCert {
        view: 0,
        block_hash: junk.block_hash,
        preprepare: tracechain_types::Signature([1u8; 64]),
        prepares: junk
            .votes
            .into_iter()
            .map(|v| (v.validator, v.signature))
            .collect(),
    });
    vc.signature = SimSigner::new(voter).sign(&view_change_signing_bytes(&cfg.chain_id, &vc.body));
    vc_msg(vc)
}

/// B3 (finding 2): future messages are bounded in encoded bytes per sender, not only in count.
/// A member sends 64 view changes for height 2, each about 1 MB: the buffer used to keep all of
/// them (64 MB from one sender, ≈ 1.5 GB at the message size limit); now it keeps at most
/// `max_buffered_bytes_per_sender`, the nearest views first.
#[test]
fn b3_future_buffer_is_bounded_in_bytes_per_sender() {
    let (cfg, set) = sim_config(4);
    let me = backup(&set);
    let (mut r, _) = started(&cfg, me);
    let byz = (0..4).find(|i| *i != me).unwrap();
    for view in 1..=64 {
        r.step(msg(byz, padded_view_change(&cfg, byz, 2, view, 10_000)));
        assert!(
            r.buffer().max_bytes_per_sender() <= cfg.limits.max_buffered_bytes_per_sender,
            "B3: {} bytes buffered for one sender after view {view}",
            r.buffer().max_bytes_per_sender()
        );
    }
    assert!(r.buffer().len() >= 20, "nearer messages are kept");
    // The buffer's own accounting is not trusted: the bytes are recounted from what it holds.
    let held: usize = r
        .buffer()
        .held()
        .filter(|(from, _)| **from == key(byz))
        .map(|(_, m)| encode(m).len())
        .sum();
    assert!(
        held > cfg.limits.max_buffered_bytes_per_sender / 2
            && held <= cfg.limits.max_buffered_bytes_per_sender,
        "B3: {held} bytes really held for one sender"
    );
    assert_eq!(r.buffer().max_bytes_per_sender(), held, "exact accounting");
}

/// B3 (finding 2): the buffer is bounded in total too (messages and bytes over all senders).
#[test]
fn b3_future_buffer_is_bounded_in_bytes_in_total() {
    let (mut cfg, set) = sim_config(4);
    cfg.limits.max_buffered_bytes_per_sender = 4_000_000;
    cfg.limits.max_buffered_bytes_total = 6_000_000;
    cfg.limits.max_buffered_total = 40;
    let me = backup(&set);
    let (mut r, _) = started(&cfg, me);
    for from in (0..4).filter(|i| *i != me) {
        for view in 1..=30 {
            r.step(msg(from, padded_view_change(&cfg, from, 2, view, 5_000)));
            assert!(
                r.buffer().bytes() <= cfg.limits.max_buffered_bytes_total
                    && r.buffer().len() <= cfg.limits.max_buffered_total,
                "B3: {} bytes / {} messages buffered in total",
                r.buffer().bytes(),
                r.buffer().len()
            );
        }
    }
    let held: usize = r.buffer().held().map(|(_, m)| encode(m).len()).sum();
    assert!(
        held <= cfg.limits.max_buffered_bytes_total,
        "B3: {held} bytes really held in total"
    );
    assert_eq!(r.buffer().bytes(), held, "exact accounting");
    // Small messages: the count bound in total.
    for from in (0..4).filter(|i| *i != me) {
        for view in 31..=60 {
            r.step(msg(from, vc_msg(view_change_at(&cfg, 3, from, view, None))));
            assert!(r.buffer().len() <= cfg.limits.max_buffered_total);
        }
    }
}

/// B3 (finding 2): synced blocks waiting for their predecessors are bounded in bytes; a sync
/// peer padding certificates cannot make the replica hold 64 large entries.
#[test]
fn b3_synced_blocks_are_bounded_in_bytes() {
    let (mut cfg, set) = sim_config(4);
    cfg.limits.max_synced_bytes = 8_000_000;
    let me = backup(&set);
    let (mut r, _) = started(&cfg, me);
    for h in 2..=40u64 {
        let b = sim_block(
            &cfg,
            h,
            0,
            tracechain_types::Hash::tagged(b"p", &[&h.to_le_bytes()]),
            cfg.genesis_timestamp_ms + h,
            key(primary(&set, h, 0)),
            set.hash(),
            0,
        );
        let mut cert = junk_cert(h, 5_000);
        cert.block_hash = b.hash();
        r.step(Input::BlockSynced { block: b, cert });
        assert!(
            r.synced_bytes() <= cfg.limits.max_synced_bytes,
            "B3: {} synced bytes",
            r.synced_bytes()
        );
    }
}

/// B4 (finding 2): a message whose certificate is refused is not kept: a future-height
/// pre-prepare with a forged parent certificate used to be reported `Rejected` and buffered
/// all the same.
#[test]
fn b4_a_rejected_message_is_not_kept() {
    let (cfg, set) = sim_config(4);
    let me = backup(&set);
    let (mut r, _) = started(&cfg, me);
    let b1 = block1(&cfg, &set, 0, 0);
    let mut forged = commit_cert(&cfg, &set, &b1, set.quorum());
    forged.votes[0].signature.0[0] ^= 1;
    let p2 = primary(&set, 2, 0);
    let b2 = sim_block(
        &cfg,
        2,
        0,
        b1.hash(),
        b1.header.timestamp_ms,
        key(p2),
        set.hash(),
        0,
    );
    let pp = PrePrepare {
        proposal: proposal(&cfg, p2, 0, b2),
        parent_cert: Some(forged),
    };
    let out = r.step(msg(p2, Message::PrePrepare(pp)));
    assert!(
        !rejected(&out).is_empty(),
        "the forged certificate is refused"
    );
    assert_eq!(r.buffer().len(), 0, "B4: nothing rejected is kept");
}

#[test]
fn b3_limits_are_validated_and_named() {
    let (mut cfg, _) = sim_config(4);
    assert_eq!(cfg.validate(), Ok(()));
    cfg.limits.max_buffered_total = 0;
    assert_eq!(
        cfg.validate(),
        Err(ConfigError::Limit(tracechain_consensus::LimitError::Zero(
            "max_buffered_total"
        )))
    );
    let (mut cfg, _) = sim_config(4);
    cfg.limits.max_buffered_bytes_per_sender = 1_000;
    assert!(
        matches!(cfg.validate(), Err(ConfigError::Limit(tracechain_consensus::LimitError::TooSmall { key, .. })) if key == "max_buffered_bytes_per_sender")
    );
    let (mut cfg, _) = sim_config(4);
    cfg.limits.max_buffered_bytes_total = cfg.limits.max_buffered_bytes_per_sender - 1;
    assert!(matches!(
        cfg.validate(),
        Err(ConfigError::Limit(
            tracechain_consensus::LimitError::SenderAboveTotal { .. }
        ))
    ));
}

/// VC8 (finding 3): a replica that changed view alone does not run ahead: without a quorum of
/// view changes for its view its timer only re-sends the same signed view change; once the
/// quorum is there the view's timer starts.
#[test]
fn vc8_no_further_view_without_a_quorum_of_view_changes() {
    let (cfg, set) = sim_config(4);
    let me = backup(&set);
    let (mut r, _) = started(&cfg, me);
    let out = r.step(timer(1, 0));
    let sent: Vec<Message> = broadcasts(&out);
    assert!(matches!(sent.as_slice(), [Message::ViewChange(_)]));
    for _ in 0..20 {
        let out = r.step(timer(1, 1));
        assert_eq!(r.view(), 1, "VC8: the replica stays in view 1");
        assert_eq!(
            broadcasts(&out),
            sent,
            "VC8: the same signed view change is re-sent"
        );
    }
    let others: Vec<usize> = (0..4).filter(|i| *i != me).collect();
    for o in &others[..2] {
        r.step(msg(*o, vc_msg(view_change_at(&cfg, 1, *o, 1, None))));
    }
    r.step(timer(1, 1));
    assert_eq!(r.view(), 2, "VC1: with a quorum the view's timer moves on");
}

/// A verifier that counts what it is asked to verify (M1, M5).
#[derive(Clone, Default)]
struct Counting {
    inner: SimVerifier,
    /// Signatures checked (single or inside a batch).
    sigs: std::rc::Rc<std::cell::Cell<usize>>,
    /// Single `verify` calls.
    singles: std::rc::Rc<std::cell::Cell<usize>>,
    /// `verify_batch` calls.
    batches: std::rc::Rc<std::cell::Cell<usize>>,
}

impl tracechain_types::SignatureVerifier for Counting {
    fn verify(&self, key: &PublicKey, msg: &[u8], sig: &tracechain_types::Signature) -> bool {
        self.sigs.set(self.sigs.get() + 1);
        self.singles.set(self.singles.get() + 1);
        self.inner.verify(key, msg, sig)
    }
    fn verify_batch(&self, items: &[(PublicKey, &[u8], tracechain_types::Signature)]) -> bool {
        self.sigs.set(self.sigs.get() + items.len());
        self.batches.set(self.batches.get() + 1);
        items.iter().all(|(k, m, s)| self.inner.verify(k, m, s))
    }
}

fn counted(cfg: &Config, me: usize) -> (Replica<SimSigner, Counting>, Counting) {
    let v = Counting::default();
    let mut r = Replica::new(cfg.clone(), SimSigner::new(me), v.clone());
    r.step(Input::Start);
    r.step(Input::PendingWork(true));
    (r, v)
}

/// M1 (finding 4): a junk certificate from a key outside every known validator set costs no
/// signature verification: membership and structure are checked first. Before the fix a
/// `Decided` (and the certificate inside a pre-prepare or view change) from a non-member was
/// verified before the sender's membership was looked at.
#[test]
fn m1_non_member_junk_costs_no_signature_verification() {
    let (cfg, set) = sim_config(4);
    let me = backup(&set);
    let (mut r, v) = counted(&cfg, me);
    let outsider = 9; // pool key 9 is in no set of this chain
    let b1 = block1(&cfg, &set, 0, 0);
    let mut junk = commit_cert(&cfg, &set, &b1, set.quorum());
    for vote in junk.votes.iter_mut() {
        vote.signature = tracechain_types::Signature([3u8; 64]);
    }
    let mut out = r.step(msg(outsider, Message::Decided(junk.clone())));
    let p2 = primary(&set, 2, 0);
    let b2 = sim_block(
        &cfg,
        2,
        0,
        b1.hash(),
        b1.header.timestamp_ms,
        key(p2),
        set.hash(),
        0,
    );
    out.extend(r.step(msg(
        outsider,
        Message::PrePrepare(PrePrepare {
            proposal: proposal(&cfg, outsider, 0, b2),
            parent_cert: Some(junk.clone()),
        }),
    )));
    let mut vc = view_change_at(&cfg, 2, outsider, 1, None);
    vc.body.committed = Some(junk);
    out.extend(r.step(msg(outsider, vc_msg(vc))));
    assert_eq!(
        v.sigs.get(),
        0,
        "M1: a non-member's junk costs zero signature verifications"
    );
    assert_eq!(
        rejected(&out)
            .iter()
            .filter(|e| matches!(e, ConsensusError::NotAValidator(_)))
            .count(),
        3,
        "M1: each is rejected as from a non-validator: {out:?}"
    );
}

/// M5 (finding 4): a prepare certificate is verified once, as one batch: on arrival of the view
/// change that carries it, and not again inside the new-view (which costs only the new-view's
/// and its proposal's signatures when every view change in it is already held).
#[test]
fn m5_certificates_are_verified_once_in_one_batch() {
    let (cfg, _set, me, p1, b, vcs) = nv_setup();
    let (mut r, v) = counted(&cfg, me);
    for vc in &vcs {
        let from = (0..4).find(|i| key(*i) == vc.body.voter).unwrap();
        let singles = v.singles.get();
        let batches = v.batches.get();
        r.step(msg(from, vc_msg(vc.clone())));
        assert_eq!(
            (v.singles.get() - singles, v.batches.get() - batches),
            (0, 1),
            "M5: one view change (signature and prepare certificate) is one batch"
        );
    }
    let before = v.sigs.get();
    let out = r.step(msg(p1, Message::NewView(new_view(&cfg, p1, 1, vcs, b))));
    assert!(rejected(&out).is_empty(), "{out:?}");
    assert_eq!(r.view(), 1);
    assert_eq!(
        v.sigs.get() - before,
        2,
        "M5: only the new-view and proposal signatures are checked again"
    );
}

/// A commit certificate of `block` signed by the pool keys `signers`.
fn cert_by(cfg: &Config, signers: &[usize], block: &Block) -> CommitCertificate {
    let h = block.hash();
    let mut votes: Vec<CommitVote> = signers
        .iter()
        .map(|i| CommitVote {
            validator: key(*i),
            signature: SimSigner::new(*i).sign(&commit_vote_signing_bytes(
                &cfg.chain_id,
                block.header.height,
                0,
                &h,
            )),
        })
        .collect();
    votes.sort_by_key(|v| v.validator);
    CommitCertificate {
        height: block.header.height,
        view: 0,
        block_hash: h,
        votes,
    }
}

/// Blocks 1..=top with certificates. The honest chain (`variant` 0) hands the set over from
/// pool keys 0–3 to keys 4–7 in block 1 (in force from height 3, VS1); a fork (`variant` > 0)
/// keeps certifying with keys 0–3, which by then are retired validators.
fn history(cfg: &Config, top: u64, variant: u64) -> Vec<(Block, CommitCertificate)> {
    let old = tracechain_consensus::sim::set_of(&[0, 1, 2, 3]);
    let new = tracechain_consensus::sim::set_of(&[4, 5, 6, 7]);
    let (mut parent, mut ts) = (cfg.genesis_hash, cfg.genesis_timestamp_ms);
    let mut out = Vec::new();
    for h in 1..=top {
        let honest_new = variant == 0 && h >= 3;
        let (set, signers) = if honest_new {
            (&new, [4usize, 5, 6])
        } else {
            (&old, [0usize, 1, 2])
        };
        let mut b = sim_block(cfg, h, 0, parent, ts, key(signers[0]), set.hash(), variant);
        if variant == 0 && h == 1 {
            let sk = tracechain_consensus::sim::crypto::pool_secret_key(0);
            let body = tracechain_types::TxBody {
                signer: sk.public(),
                sequence: 1,
                expiry_height: 10,
                payload: tracechain_types::payload::Payload::Chain(
                    ChainRecord::ValidatorSetChange(
                        tracechain_types::payload::ValidatorSetChange {
                            new_set: new.clone(),
                            approvals: Vec::new(),
                        },
                    ),
                ),
            };
            b.txs = vec![body.sign(&cfg.chain_id, &sk)];
            b.header.tx_root = Block::compute_tx_root(&b.txs);
        }
        let c = cert_by(cfg, &signers, &b);
        parent = b.hash();
        ts = b.header.timestamp_ms;
        out.push((b, c));
    }
    out
}

/// SY5 (finding 5): a node syncing from genesis with a trusted checkpoint (height 5, honest
/// block hash) is offered by a Byzantine sync peer a history certified by validators that have
/// since been retired (keys 0–3, replaced by 4–7 from height 3). Every certificate of the fork
/// verifies against the sets the fork itself implies, so sync alone used to commit it. Now the
/// fork's block at the checkpoint height is refused with a `SY5` rejection naming its
/// certifiers, no block of the fork below the checkpoint is committed (none is linked to the
/// checkpoint), and the honest history is committed once it arrives.
#[test]
fn sy5_history_conflicting_with_the_checkpoint_is_refused() {
    let (mut cfg, _) = sim_config(4);
    let honest = history(&cfg, 5, 0);
    let fork = history(&cfg, 5, 1);
    assert_ne!(honest[4].0.hash(), fork[4].0.hash());
    cfg.checkpoint = Some(tracechain_consensus::Checkpoint {
        height: 5,
        hash: honest[4].0.hash(),
    });
    // A full node (pool key 9 is in no set): it only follows.
    let mut r = Replica::new(cfg.clone(), SimSigner::new(9), SimVerifier::default());
    let mut out = r.step(Input::Start);
    for (block, cert) in fork.iter().cloned() {
        out.extend(r.step(Input::BlockSynced { block, cert }));
    }
    let fork_hashes: Vec<_> = fork.iter().map(|(b, _)| b.hash()).collect();
    assert!(
        out.iter().all(
            |a| !matches!(a, Action::Commit { block, .. } if fork_hashes.contains(&block.hash()))
        ),
        "SY5: no block of the conflicting history is committed (height now {})",
        r.height()
    );
    assert!(
        rejected(&out).iter().any(|e| matches!(
            e,
            ConsensusError::CheckpointConflict { height: 5, signers, .. } if signers.len() == 3
        )),
        "SY5: the conflict is reported with the certifiers as evidence: {:?}",
        rejected(&out)
    );
    // The honest history, in any order (top down here), is committed.
    let mut out = Vec::new();
    for (block, cert) in honest.iter().rev().cloned() {
        out.extend(r.step(Input::BlockSynced { block, cert }));
    }
    let committed: Vec<_> = out
        .iter()
        .filter_map(|a| match a {
            Action::Commit { block, .. } => Some(block.hash()),
            _ => None,
        })
        .collect();
    let honest_hashes: Vec<_> = honest.iter().map(|(b, _)| b.hash()).collect();
    assert_eq!(
        committed, honest_hashes,
        "SY5: the checkpoint's history commits"
    );
    assert_eq!(r.height(), 6);
}

/// SY5: a checkpoint further away than the sync window: the replica walks parent hashes down
/// from the checkpoint through blocks it cannot commit yet, then commits the linked history
/// bottom up (asking again for the blocks the walk consumed).
#[test]
fn sy5_far_checkpoint_is_walked_down_then_committed() {
    let (mut cfg, _) = sim_config(4);
    let honest = history(&cfg, 100, 0);
    cfg.checkpoint = Some(tracechain_consensus::Checkpoint {
        height: 100,
        hash: honest[99].0.hash(),
    });
    assert_eq!(cfg.validate(), Ok(()));
    let mut r = Replica::new(cfg.clone(), SimSigner::new(9), SimVerifier::default());
    let out = r.step(Input::Start);
    assert!(
        out.iter().any(|a| matches!(
            a,
            Action::RequestSync {
                from_height: 37,
                to_height: 100
            }
        )),
        "SY5: the walk starts below the checkpoint: {out:?}"
    );
    let mut committed = 0;
    for (block, cert) in honest.iter().rev().cloned() {
        for a in r.step(Input::BlockSynced { block, cert }) {
            if matches!(a, Action::Commit { .. }) {
                committed += 1;
            }
            assert!(!matches!(a, Action::Rejected { .. }), "{a:?}");
        }
    }
    assert_eq!(
        committed, 64,
        "heights 1–64 (the synced blocks kept, max_synced_ahead) commit"
    );
    // The blocks the walk consumed above the window are asked for again and commit.
    for (block, cert) in honest.iter().skip(64).cloned() {
        for a in r.step(Input::BlockSynced { block, cert }) {
            if matches!(a, Action::Commit { .. }) {
                committed += 1;
            }
        }
    }
    assert_eq!(committed, 100);
    assert_eq!(r.height(), 101);
    let mut bad = cfg.clone();
    bad.checkpoint = Some(tracechain_consensus::Checkpoint {
        height: 0,
        hash: honest[0].0.hash(),
    });
    assert!(matches!(
        bad.validate(),
        Err(ConfigError::CheckpointHeight { height: 0, .. })
    ));
}

/// VC7 (finding 1): a new-view carries exactly a quorum of view changes; one with more (here
/// all four of n = 4, quorum 3) is refused, so no primary can grow a new-view past the bound
/// `max_new_view_bytes(n)`.
#[test]
fn vc7_new_view_with_more_than_a_quorum_is_rejected() {
    let (cfg, set, me, p1, b, mut vcs) = nv_setup();
    let (mut r, _) = started(&cfg, me);
    vcs.push(view_change(&cfg, me, 1, None));
    assert_eq!(vcs.len(), set.quorum() + 1);
    let out = r.step(msg(p1, Message::NewView(new_view(&cfg, p1, 1, vcs, b))));
    assert!(
        matches!(rejected(&out).as_slice(), [ConsensusError::BadNewView(m)] if m.starts_with("VC3a")),
        "{out:?}"
    );
    assert_eq!(r.view(), 0);
    assert!(
        tracechain_consensus::max_new_view_bytes(256) <= MAX_MESSAGE_BYTES,
        "M4/VC7: the bound for 256 validators fits the decode limit"
    );
}

/// S2 (vote record): the primary's block is stored once by hash (`StoreBlock`) before the first
/// record that names it, and no vote record carries a block — a large proposal costs one block
/// write per height, not one copy per `Persist` (twice for a primary) as the former snapshot did.
#[test]
fn s2_vote_record_names_blocks_by_hash_and_stores_each_once() {
    let (cfg, set) = sim_config(4);
    let me = primary(&set, 1, 0);
    let (mut r, out) = started(&cfg, me);
    assert!(out
        .iter()
        .any(|a| matches!(a, Action::RequestProposal { .. })));
    // A block of more than 200 KB: 400 transactions naming 8 validators each.
    let mut b = block1(&cfg, &set, 0, 0);
    let tx_key = tracechain_consensus::sim::crypto::pool_secret_key(me);
    for seq in 0..400u64 {
        let body = tracechain_types::TxBody {
            signer: tx_key.public(),
            sequence: seq,
            expiry_height: 10,
            payload: tracechain_types::payload::Payload::Chain(ChainRecord::ValidatorSetChange(
                tracechain_types::payload::ValidatorSetChange {
                    new_set: ValidatorSet::new(
                        (0..8)
                            .map(|k| Validator {
                                public_key: key(k),
                                name: "x".repeat(64),
                            })
                            .collect(),
                    )
                    .unwrap(),
                    approvals: Vec::new(),
                },
            )),
        };
        b.txs.push(body.sign(&cfg.chain_id, &tx_key));
    }
    b.header.tx_root = Block::compute_tx_root(&b.txs);
    let block_bytes = encode(&b).len();
    assert!(block_bytes > 200_000, "block of {block_bytes} bytes");
    let mut all = r.step(Input::ProposalReady {
        height: 1,
        view: 0,
        block: b.clone(),
        set_change: None,
    });
    // Two prepares make the quorum with the primary's pre-prepare: the primary is prepared
    // (its record now names the same block as prepared) and sends its commit.
    for o in (0..4).filter(|i| *i != me).take(2) {
        all.extend(r.step(prepare_from(&cfg, o, 1, 0, &b.hash())));
    }
    let stores: Vec<usize> = (0..all.len())
        .filter(|k| matches!(&all[*k], Action::StoreBlock { hash, block } if *hash == b.hash() && *block == b))
        .collect();
    assert_eq!(
        stores.len(),
        1,
        "the block is stored exactly once: {stores:?}"
    );
    let persists: Vec<usize> = (0..all.len())
        .filter(|k| matches!(all[*k], Action::Persist(_)))
        .collect();
    assert!(
        persists.len() >= 2,
        "proposal and commit vote each persisted"
    );
    assert!(
        stores[0] < persists[0],
        "S2: the block before the record naming it"
    );
    let mut prepared_seen = false;
    for k in persists {
        let Action::Persist(rec) = &all[k] else {
            unreachable!()
        };
        assert!(
            encode(rec).len() < 2_000,
            "a vote record of {} bytes carries more than votes",
            encode(rec).len()
        );
        assert_eq!(rec.signed.proposal.map(|p| p.block_hash), Some(b.hash()));
        prepared_seen |= rec.prepared.as_ref().map(|c| c.block_hash) == Some(b.hash());
    }
    assert!(prepared_seen, "the prepared certificate is recorded");
    assert!(broadcasts(&all)
        .iter()
        .any(|m| matches!(m, Message::Commit(_))));
}

/// VC1: the view change carries the *highest* prepare certificate. A backup that prepared B1 in
/// view 0 and then B2 in view 1 (a new-view whose quorum carried no certificate) must report
/// B2's certificate of view 1 when it changes to view 2 — a replica that kept its first
/// certificate would let the primary of view 2 force B1 after B2 may have committed.
#[test]
fn vc1_highest_prepared_certificate_is_raised_in_a_later_view() {
    let (cfg, set) = sim_config(4);
    let me = backup(&set);
    let (mut r, _) = started(&cfg, me);
    let p0 = primary(&set, 1, 0);
    let p1 = primary(&set, 1, 1);
    let x = (0..4).find(|i| ![me, p0, p1].contains(i)).unwrap();
    let prepare = |from: usize, view: u64, b: &Block| prepare_from(&cfg, from, 1, view, &b.hash());
    // View 0: B1 prepared (pre-prepare, our prepare, x's prepare).
    let b1 = block1(&cfg, &set, 0, 0);
    r.step(msg(
        p0,
        Message::PrePrepare(PrePrepare {
            proposal: proposal(&cfg, p0, 0, b1.clone()),
            parent_cert: None,
        }),
    ));
    r.step(Input::ProposalValidated {
        height: 1,
        block_hash: b1.hash(),
        set_change: None,
    });
    r.step(prepare(x, 0, &b1));
    // View 0 times out; the new-view of view 1 carries a quorum without certificates and a
    // fresh block B2.
    r.step(timer(1, 0));
    let vcs: Vec<ViewChange> = [p0, p1, x]
        .iter()
        .map(|v| view_change(&cfg, *v, 1, None))
        .collect();
    let b2 = block1(&cfg, &set, 1, 1);
    let out = r.step(msg(
        p1,
        Message::NewView(new_view(&cfg, p1, 1, vcs, b2.clone())),
    ));
    assert!(
        rejected(&out).is_empty(),
        "the new-view is valid: {:?}",
        rejected(&out)
    );
    r.step(Input::ProposalValidated {
        height: 1,
        block_hash: b2.hash(),
        set_change: None,
    });
    let out = r.step(prepare(x, 1, &b2));
    assert!(
        broadcasts(&out)
            .iter()
            .any(|m| matches!(m, Message::Commit(v) if v.view == 1 && v.block_hash == b2.hash())),
        "P4: B2 prepared in view 1: {out:?}"
    );
    // View 1 times out: the view change for view 2 carries B2's certificate of view 1.
    let out = r.step(timer(1, 1));
    let vc = broadcasts(&out)
        .into_iter()
        .find_map(|m| match m {
            Message::ViewChange(vcm) => Some(vcm),
            _ => None,
        })
        .expect("VC1: a view change for view 2");
    assert_eq!(vc.view_change.body.new_view, 2);
    let c = vc
        .view_change
        .body
        .prepared
        .expect("a prepared certificate");
    assert_eq!(
        (c.view, c.block_hash),
        (1, b2.hash()),
        "VC1: the highest certificate"
    );
    assert_eq!(vc.prepared_block, Some(b2));
}

/// The (new view, voter) of each view change in `msgs`.
fn vc_views(msgs: &[Message]) -> Vec<(u64, PublicKey)> {
    let mut v: Vec<(u64, PublicKey)> = msgs
        .iter()
        .filter_map(|m| match m {
            Message::ViewChange(vcm) => {
                Some((vcm.view_change.body.new_view, vcm.view_change.body.voter))
            }
            _ => None,
        })
        .collect();
    v.sort();
    v
}

/// The view changes `out` sends to `to` alone (VC9 relays).
fn sends_to(out: &[Action], to: usize) -> Vec<Message> {
    out.iter()
        .filter_map(|a| match a {
            Action::Send { to: k, message } if *k == key(to) => Some(message.clone()),
            _ => None,
        })
        .collect()
}

/// n = 4 at height 1: `c` (a backup of views 0 and 1), the primary of view 1 `byz`, and the two
/// others `a` and `b`.
fn vc9_cast(set: &ValidatorSet) -> (usize, usize, usize, usize) {
    let c = backup(set);
    let byz = primary(set, 1, 1);
    let rest: Vec<usize> = (0..4).filter(|i| *i != c && *i != byz).collect();
    (c, byz, rest[0], rest[1])
}

/// `c` after it held a quorum of view changes for view 1 (its own, `byz`'s and `a`'s), timed
/// view 1 out and moved on to view 2; returns it and the view changes for view 1 of `a` and `b`.
fn vc9_replica_moved_past_view_1(cfg: &Config, set: &ValidatorSet) -> (R, ViewChange, ViewChange) {
    let (c, byz, a, b) = vc9_cast(set);
    let (mut rc, _) = started(cfg, c);
    rc.step(timer(1, 0));
    let vc_a = view_change_at(cfg, 1, a, 1, None);
    let vc_b = view_change_at(cfg, 1, b, 1, None);
    rc.step(msg(byz, vc_msg(view_change_at(cfg, 1, byz, 1, None))));
    rc.step(msg(a, vc_msg(vc_a.clone())));
    rc.step(timer(1, 1));
    assert_eq!(rc.view(), 2, "VC8: with a quorum for view 1, c moved on");
    (rc, vc_a, vc_b)
}

/// VC9 (liveness hole of VC8, ADR 0014): n = 4, the Byzantine validator sends its genuine view
/// change for view 1 to `c` only, and `c`'s own view change for view 1 never reaches `a` and
/// `b`. `c` holds a quorum for view 1 (its own, the Byzantine one, `a`'s), times view 1 out and
/// moves to view 2; `a` and `b` hold two view changes for view 1 (theirs), cannot reach the
/// quorum and cannot join view 2 (VC4 needs f + 1 = 2 validators above them). Before VC9 the
/// chain halted there: `c` dropped `a`'s re-sent view change as stale. Now `c` relays the
/// quorum it moved past, `a` accepts the view changes relayed by `c` (signed by their authors),
/// holds the quorum, arms the timer of view 1 and moves on to view 2 with `c`.
#[test]
fn vc8_replica_left_below_a_quorum_is_sent_the_view_changes() {
    let (cfg, set) = sim_config(4);
    let (c, _, a, b) = vc9_cast(&set);
    let (mut rc, _, vc_b) = vc9_replica_moved_past_view_1(&cfg, &set);
    // `a` changed view to 1 and holds its own and `b`'s view change only.
    let (mut ra, _) = started(&cfg, a);
    let out = ra.step(timer(1, 0));
    let Some(Message::ViewChange(vc_a_sent)) = broadcasts(&out).into_iter().next() else {
        panic!("a sent its view change for view 1");
    };
    ra.step(msg(b, vc_msg(vc_b)));
    let resent = ra.step(timer(1, 1));
    assert_eq!(ra.view(), 1, "VC8: a waits in view 1 without a quorum");
    assert_eq!(
        broadcasts(&resent),
        vec![Message::ViewChange(vc_a_sent.clone())],
        "VC8: a re-sends its view change"
    );
    // `a`'s re-sent view change reaches `c`, which has moved past view 1.
    let out = rc.step(msg(a, Message::ViewChange(vc_a_sent)));
    let relayed = sends_to(&out, a);
    let mut got = Vec::new();
    for m in relayed.iter().cloned() {
        got.extend(ra.step(msg(c, m)));
    }
    assert!(
        rejected(&got).is_empty(),
        "VC9: relayed view changes are accepted: {:?}",
        rejected(&got)
    );
    ra.step(timer(1, 1));
    assert_eq!(
        ra.view(),
        2,
        "VC9: a must be sent the view changes for view 1 it lacks (c relayed {} messages); with the quorum its view-1 timer runs and expires",
        relayed.len()
    );
}

/// VC9 content and bounds: a replica relays the view changes it holds for its own view (above
/// the requester's) and the quorum of the view it moved past, less the requester's own; at most
/// once per validator and relay period (until its view or re-send timer fires, or its view
/// changes); it keeps at most one quorum of a view it moved past and never answers a relayed
/// view change with a relay. A relayed view change is checked in full (VC6): one with a
/// bad signature is refused and not counted, whoever relays it.
#[test]
fn vc9_relays_are_bounded_and_relayed_view_changes_are_checked() {
    use tracechain_consensus::max_view_change_bytes;
    let (cfg, set) = sim_config(4);
    let q = set.quorum();
    let (c, byz, a, b) = vc9_cast(&set);
    let (mut rc, vc_a, vc_b) = vc9_replica_moved_past_view_1(&cfg, &set);
    let (kept, bytes) = rc.passed_kept();
    assert_eq!(kept, q, "VC9: exactly the quorum that made c move is kept");
    assert!(bytes <= q * max_view_change_bytes(4), "{bytes} bytes kept");
    let out = rc.step(msg(a, vc_msg(vc_a.clone())));
    let mut expected: Vec<(u64, PublicKey)> = vec![(1, key(byz)), (1, key(c)), (2, key(c))];
    expected.sort();
    assert_eq!(
        vc_views(&sends_to(&out, a)),
        expected,
        "c's view changes for view 2 and the quorum for view 1 less a's own"
    );
    assert!(
        rc.step(msg(a, vc_msg(vc_a.clone()))).is_empty(),
        "VC9: one relay per validator and period"
    );
    let out = rc.step(msg(b, vc_msg(vc_b.clone())));
    assert_eq!(sends_to(&out, b).len(), q + 1, "b is not in c's quorum");
    assert_eq!(rc.relayed_kept(), 2);
    // c's re-send timer of view 2 fires: a new relay period.
    rc.step(timer(1, 2));
    assert_eq!(rc.relayed_kept(), 0);
    let relayed = sends_to(&rc.step(msg(a, vc_msg(vc_a.clone()))), a);
    assert_eq!(relayed.len(), q, "a is answered again in the next period");
    // A view change relayed by someone else than its author is never answered with a relay.
    let (mut ra, _) = started(&cfg, a);
    ra.step(timer(1, 0));
    let mut forged = view_change_at(&cfg, 1, b, 1, None);
    forged.signature.0[0] ^= 0xff;
    let out = ra.step(msg(c, vc_msg(forged)));
    assert_eq!(rejected(&out).len(), 1, "VC6: a forged relayed view change");
    let byz_vc = view_change_at(&cfg, 1, byz, 1, None);
    let out = ra.step(msg(c, vc_msg(byz_vc.clone())));
    assert!(rejected(&out).is_empty());
    assert!(
        ra.step(msg(c, vc_msg(byz_vc))).is_empty(),
        "a duplicate relayed view change is dropped, not answered"
    );
    ra.step(timer(1, 1));
    assert_eq!(ra.view(), 1, "the forged view change was not counted");
    ra.step(msg(c, vc_msg(vc_b)));
    ra.step(timer(1, 1));
    assert_eq!(ra.view(), 2, "with b's genuine view change, the quorum");
}

/// B4/SY1: a view change of the next height carries the certificate of our height. A forged
/// one (a vote short) is rejected and the view change is not kept; a valid one is acted on (we
/// ask for the block) and the view change is kept for the next height.
#[test]
fn b4_view_change_carrying_a_certificate_is_kept_only_if_it_verifies() {
    let (cfg, set) = sim_config(4);
    let me = backup(&set);
    let other = (0..4).find(|i| *i != me).unwrap();
    let b = block1(&cfg, &set, 0, 0);
    let with_cert = |votes: usize| {
        let mut vc = view_change_at(&cfg, 2, other, 1, None);
        vc.body.committed = Some(commit_cert(&cfg, &set, &b, votes));
        vc.signature =
            SimSigner::new(other).sign(&view_change_signing_bytes(&cfg.chain_id, &vc.body));
        vc_msg(vc)
    };
    let (mut r, _) = started(&cfg, me);
    let out = r.step(msg(other, with_cert(set.quorum() - 1)));
    assert!(
        !rejected(&out).is_empty(),
        "the short certificate is refused"
    );
    assert_eq!(r.buffer().len(), 0, "B4: a rejected message is not kept");
    let (mut r, _) = started(&cfg, me);
    let out = r.step(msg(other, with_cert(set.quorum())));
    assert!(rejected(&out).is_empty(), "{:?}", rejected(&out));
    assert!(
        out.iter()
            .any(|a| matches!(a, Action::RequestSync { from_height: 1, .. })),
        "SY1: the certified block is fetched"
    );
    assert_eq!(r.buffer().len(), 1, "the view change of height 2 is kept");
}

/// B1: future messages are kept only from validators of the sets in view, and only within
/// `max_future_heights`.
#[test]
fn b1_future_messages_from_outsiders_or_too_far_are_not_kept() {
    let (cfg, set) = sim_config(4);
    let me = backup(&set);
    let member = (0..4).find(|i| *i != me).unwrap();
    let outsider = 4;
    assert!(!set.contains(&key(outsider)));
    let x = tracechain_types::Hash::tagged(b"x", &[]);
    let prepare = |from: usize, height: u64| prepare_from(&cfg, from, height, 0, &x);
    let (mut r, _) = started(&cfg, me);
    r.step(prepare(outsider, 2));
    assert_eq!(r.buffer().len(), 0, "B1: not from an outsider");
    let far = 1 + cfg.limits.max_future_heights + 1;
    r.step(prepare(member, far));
    assert_eq!(r.buffer().len(), 0, "B2: not beyond the height window");
    r.step(prepare(member, far - 1));
    assert_eq!(
        r.buffer().len(),
        1,
        "a member's message within the window is kept"
    );
}

/// SY5 on the `Decided` path: with a checkpoint at height 1, a certificate of height 1 for
/// another block — even one a quorum of the genesis set really signed (a fork) — is refused as a
/// checkpoint conflict naming its signers, while the checkpoint's own certificate is accepted.
#[test]
fn sy5_decided_certificate_against_the_checkpoint_is_refused() {
    let (mut cfg, set) = sim_config(4);
    let trusted = block1(&cfg, &set, 0, 0);
    let fork = block1(&cfg, &set, 0, 1);
    cfg.checkpoint = Some(tracechain_consensus::Checkpoint {
        height: 1,
        hash: trusted.hash(),
    });
    let me = backup(&set);
    let other = (0..4).find(|i| *i != me).unwrap();
    let (mut r, _) = started(&cfg, me);
    let q = set.quorum();
    let out = r.step(msg(
        other,
        Message::Decided(commit_cert(&cfg, &set, &fork, q)),
    ));
    assert!(
        rejected(&out).iter().any(|e| matches!(
            e,
            ConsensusError::CheckpointConflict { height: 1, signers, .. } if signers.len() == q
        )),
        "SY5: {:?}",
        rejected(&out)
    );
    assert!(!out
        .iter()
        .any(|a| matches!(a, Action::Commit { .. } | Action::RequestSync { .. })));
    let out = r.step(msg(
        other,
        Message::Decided(commit_cert(&cfg, &set, &trusted, q)),
    ));
    // Accepted (the block itself is already being fetched by the checkpoint walk started with
    // the replica).
    assert!(rejected(&out).is_empty(), "{:?}", rejected(&out));
}

fn names_p2f(out: &[Action]) -> bool {
    rejected(out).iter().any(
        |e| matches!(e, ConsensusError::BadProposal { reason, .. } if reason.starts_with("P2f")),
    )
}

/// P2f on a fresh block of a new-view (no certificate forced): the header must name this view
/// and this view's primary — each alone is refused.
#[test]
fn p2f_fresh_block_naming_another_view_or_proposer_is_refused() {
    let (cfg, set) = sim_config(4);
    let me = backup(&set);
    let p1 = primary(&set, 1, 1);
    let vcs: Vec<ViewChange> = (0..4)
        .filter(|i| *i != me)
        .map(|v| view_change(&cfg, v, 1, None))
        .collect();
    let other = (0..4).find(|i| *i != p1).unwrap();
    // Right view, wrong proposer; right proposer, wrong view.
    let mut wrong_proposer = block1(&cfg, &set, 1, 3);
    wrong_proposer.header.proposer = key(other);
    let mut wrong_view = block1(&cfg, &set, 1, 4);
    wrong_view.header.view = 2;
    for b in [wrong_proposer, wrong_view] {
        let (mut r, _) = started(&cfg, me);
        let out = r.step(msg(
            p1,
            Message::NewView(new_view(&cfg, p1, 1, vcs.clone(), b)),
        ));
        assert!(names_p2f(&out), "{:?}", rejected(&out));
        assert_eq!(r.view(), 0);
    }
    // The same new-view with a correct fresh block is accepted.
    let (mut r, _) = started(&cfg, me);
    let good = block1(&cfg, &set, 1, 5);
    let out = r.step(msg(p1, Message::NewView(new_view(&cfg, p1, 1, vcs, good))));
    assert!(rejected(&out).is_empty(), "{:?}", rejected(&out));
    assert_eq!(r.view(), 1);
}

/// P2f on a re-proposed block: its header must name its original view's primary, even when
/// that primary signed the pre-prepare of the certificate.
#[test]
fn p2f_reproposed_block_naming_another_proposer_is_refused() {
    let (cfg, set) = sim_config(4);
    let me = backup(&set);
    let p0 = primary(&set, 1, 0);
    let p1 = primary(&set, 1, 1);
    let mut b = block1(&cfg, &set, 0, 6);
    b.header.proposer = key((0..4).find(|i| *i != p0).unwrap());
    let cert = prepared_cert(&cfg, &set, 0, &b);
    let vcs: Vec<ViewChange> = (0..4)
        .filter(|i| *i != me)
        .enumerate()
        .map(|(j, v)| view_change(&cfg, v, 1, (j == 0).then(|| cert.clone())))
        .collect();
    let (mut r, _) = started(&cfg, me);
    let out = r.step(msg(p1, Message::NewView(new_view(&cfg, p1, 1, vcs, b))));
    assert!(names_p2f(&out), "{:?}", rejected(&out));
    assert_eq!(r.view(), 0);
}

/// P1: once a replica is in view 1, a view-0 pre-prepare of the height is stale and ignored.
#[test]
fn p1_view_zero_preprepare_after_a_view_change_is_ignored() {
    let (cfg, _set, me, p1, b, vcs) = nv_setup();
    let (mut r, _) = started(&cfg, me);
    r.step(msg(p1, Message::NewView(new_view(&cfg, p1, 1, vcs, b))));
    assert_eq!(r.view(), 1);
    let set = cfg.genesis_set.clone();
    let p0 = primary(&set, 1, 0);
    let other = block1(&cfg, &set, 0, 9);
    let out = r.step(msg(
        p0,
        Message::PrePrepare(PrePrepare {
            proposal: proposal(&cfg, p0, 0, other),
            parent_cert: None,
        }),
    ));
    // Neither validated nor taken as evidence against the view-0 primary (its proposal does
    // not conflict with view 1's).
    assert!(
        !out.iter().any(|a| matches!(
            a,
            Action::ValidateProposal { view: 0, .. } | Action::Evidence(_)
        )),
        "{out:?}"
    );
}

/// P4: prepares alone make nothing prepared — the driver's verdict is needed first, and a
/// replica that has started a view change signs no commit for the view it left.
#[test]
fn p4_no_commit_before_the_verdict_or_during_a_view_change() {
    let (cfg, set) = sim_config(4);
    let me = backup(&set);
    let p0 = primary(&set, 1, 0);
    let b = block1(&cfg, &set, 0, 0);
    let prepares = |r: &mut R| {
        let mut out = Vec::new();
        for o in (0..4).filter(|i| *i != me && *i != p0) {
            out.extend(r.step(prepare_from(&cfg, o, 1, 0, &b.hash())));
        }
        out
    };
    let pp = Message::PrePrepare(PrePrepare {
        proposal: proposal(&cfg, p0, 0, b.clone()),
        parent_cert: None,
    });
    // No verdict yet.
    let (mut r, _) = started(&cfg, me);
    r.step(msg(p0, pp.clone()));
    let out = prepares(&mut r);
    assert!(!sends_commit(&out), "P4: no commit before the verdict");
    // Validated, but the view timed out before the prepares arrived.
    let (mut r, _) = started(&cfg, me);
    r.step(msg(p0, pp));
    r.step(Input::ProposalValidated {
        height: 1,
        block_hash: b.hash(),
        set_change: None,
    });
    r.step(timer(1, 0));
    let out = prepares(&mut r);
    assert!(!sends_commit(&out), "VC1: no commit after leaving the view");
}

/// P3/P4: prepares count only for the view they were signed in. A prepare for a later view is
/// buffered, not counted now; one for an earlier view is dropped — neither makes the replica
/// prepared in its view.
#[test]
fn p4_prepares_of_another_view_do_not_count() {
    let (cfg, set) = sim_config(4);
    let me = backup(&set);
    let p0 = primary(&set, 1, 0);
    let b = block1(&cfg, &set, 0, 0);
    let others: Vec<usize> = (0..4).filter(|i| *i != me && *i != p0).collect();
    let no_commit = |out: &[Action]| !sends_commit(out);
    // View 0, validated: prepares signed for view 1 are buffered, not counted.
    let mut r = validated(&cfg, me, p0, &b);
    let mut out = Vec::new();
    for o in &others {
        out.extend(r.step(prepare_from(&cfg, *o, 1, 1, &b.hash())));
    }
    assert!(no_commit(&out), "P4: view-1 prepares made view 0 prepared");
    assert_eq!(r.buffer().len(), others.len(), "B1: kept for view 1");
    // View 1 re-proposing B: prepares signed for view 0 are not counted.
    let (cfg2, _set, me2, p1, b2, vcs) = nv_setup();
    assert_eq!((me2, b2.hash()), (me, b.hash()));
    let (mut r, _) = started(&cfg2, me);
    r.step(msg(
        p1,
        Message::NewView(new_view(&cfg2, p1, 1, vcs, b2.clone())),
    ));
    r.step(Input::ProposalValidated {
        height: 1,
        block_hash: b2.hash(),
        set_change: None,
    });
    assert_eq!(r.view(), 1);
    let mut out = Vec::new();
    for o in (0..4).filter(|i| *i != me && *i != p1) {
        out.extend(r.step(prepare_from(&cfg2, o, 1, 0, &b2.hash())));
    }
    assert!(no_commit(&out), "P4: view-0 prepares made view 1 prepared");
    assert_eq!(r.buffer().len(), 0, "an earlier view's prepare is dropped");
}

/// B2: commit votes beyond the view window are not kept (one per sender and view within it).
#[test]
fn b2_commits_beyond_the_view_window_are_not_kept() {
    let (cfg, set) = sim_config(4);
    let me = backup(&set);
    let other = (0..4).find(|i| *i != me).unwrap();
    let (mut r, _) = started(&cfg, me);
    let h = tracechain_types::Hash::tagged(b"x", &[]);
    let commit = |view: u64| {
        msg(
            other,
            Message::Commit(Vote {
                height: 1,
                view,
                block_hash: h,
                voter: key(other),
                signature: SimSigner::new(other).sign(&commit_vote_signing_bytes(
                    &cfg.chain_id,
                    1,
                    view,
                    &h,
                )),
            }),
        )
    };
    let window = cfg.limits.max_future_views;
    for view in [window + 1, window + 2, 10 * window] {
        r.step(commit(view));
    }
    assert_eq!(r.commits_kept(), 0, "B2: beyond the window");
    r.step(commit(window));
    assert_eq!(r.commits_kept(), 1, "within the window");
}

/// A synced block of `height` with a certificate (not checked until it can commit).
fn synced_at(cfg: &Config, set: &ValidatorSet, height: u64) -> Input {
    let b = sim_block(
        cfg,
        height,
        0,
        tracechain_types::Hash::tagged(b"parent", &[&height.to_be_bytes()]),
        cfg.genesis_timestamp_ms + height,
        key(0),
        set.hash(),
        0,
    );
    let cert = commit_cert(cfg, set, &b, set.quorum());
    Input::BlockSynced { block: b, cert }
}

/// SY3/B3: synced blocks wait for their predecessors only within `max_synced_ahead` heights
/// (the last one included) and `max_synced_bytes` (one entry exactly at the limit fits); blocks
/// of past heights are ignored.
#[test]
fn sy3_synced_blocks_wait_only_within_the_window() {
    let (cfg, set) = sim_config(4);
    let me = backup(&set);
    let ahead = cfg.limits.max_synced_ahead as u64;
    // Height 1 is being decided: 1 + ahead is the last height kept, 2 + ahead is too far.
    let (mut r, _) = started(&cfg, me);
    r.step(synced_at(&cfg, &set, 2 + ahead));
    assert_eq!(r.synced_waiting(), 0, "beyond the window");
    r.step(synced_at(&cfg, &set, 1 + ahead));
    assert_eq!(r.synced_waiting(), 1, "the last height of the window");
    // Byte limit: an entry exactly at it is kept, one byte over it is not.
    let Input::BlockSynced { block, cert } = synced_at(&cfg, &set, 3) else {
        unreachable!()
    };
    let size = borsh::object_length(&(block.clone(), cert.clone())).unwrap();
    for (limit, kept) in [(size, 1), (size - 1, 0)] {
        let mut c = cfg.clone();
        c.limits.max_synced_bytes = limit;
        let (mut r, _) = started(&c, me);
        r.step(Input::BlockSynced {
            block: block.clone(),
            cert: cert.clone(),
        });
        assert_eq!(r.synced_waiting(), kept, "limit {limit}, entry {size}");
    }
    // Two entries that fill the byte limit exactly are both kept.
    let Input::BlockSynced {
        block: b4,
        cert: c4,
    } = synced_at(&cfg, &set, 4)
    else {
        unreachable!()
    };
    let size4 = borsh::object_length(&(b4.clone(), c4.clone())).unwrap();
    let mut c = cfg.clone();
    c.limits.max_synced_bytes = size + size4;
    let (mut r, _) = started(&c, me);
    r.step(Input::BlockSynced { block, cert });
    r.step(Input::BlockSynced {
        block: b4,
        cert: c4,
    });
    assert_eq!(r.synced_waiting(), 2, "exactly at the byte limit");
    assert_eq!(r.synced_bytes(), size + size4);
}

/// SY3: once a replica has committed height 1, a synced block of height 1 is ignored, not kept.
#[test]
fn sy3_synced_block_of_a_past_height_is_ignored() {
    let (cfg, set) = sim_config(1);
    let (mut r, out) = started(&cfg, 0);
    commit_alone(&mut r, &cfg, &out, None);
    assert_eq!(r.height(), 2);
    r.step(synced_at(&cfg, &set, 1));
    assert_eq!(r.synced_waiting(), 0);
}

/// SY3/B3 policy: when the synced-block bytes are full, a nearer height evicts the furthest one
/// and a further height is refused — the nearest heights are kept.
#[test]
fn sy3_synced_blocks_keep_the_nearest_heights() {
    let (mut cfg, set) = sim_config(4);
    let me = backup(&set);
    let entry = |h: u64| {
        let Input::BlockSynced { block, cert } = synced_at(&cfg, &set, h) else {
            unreachable!()
        };
        borsh::object_length(&(block, cert)).unwrap()
    };
    cfg.limits.max_synced_bytes = entry(3) + entry(4);
    let (mut r, _) = started(&cfg, me);
    r.step(synced_at(&cfg, &set, 3));
    r.step(synced_at(&cfg, &set, 4));
    r.step(synced_at(&cfg, &set, 5));
    assert_eq!(
        r.synced_heights(),
        vec![3, 4],
        "a further height is refused"
    );
    r.step(synced_at(&cfg, &set, 2));
    assert_eq!(
        r.synced_heights(),
        vec![2, 3],
        "a nearer height evicts the furthest"
    );
}

/// P4: only prepares for the current proposal count (not those for another block of the view).
#[test]
fn p4_prepares_for_another_block_do_not_count() {
    let (cfg, set) = sim_config(4);
    let me = backup(&set);
    let p0 = primary(&set, 1, 0);
    let b = block1(&cfg, &set, 0, 0);
    let other = block1(&cfg, &set, 0, 1);
    let mut r = validated(&cfg, me, p0, &b);
    let mut out = Vec::new();
    for o in (0..4).filter(|i| *i != me && *i != p0) {
        out.extend(r.step(prepare_from(&cfg, o, 1, 0, &other.hash())));
    }
    assert!(
        !sends_commit(&out),
        "P4: prepares for another block made this one prepared"
    );
}

/// VC1: a view change's prepare certificate must hold a quorum (with the pre-prepare), and
/// neither the view's primary nor a non-member may be among its prepares.
#[test]
fn vc1_prepare_certificate_quorum_and_membership() {
    let (cfg, set) = sim_config(4);
    let me = backup(&set);
    let b = block1(&cfg, &set, 0, 0);
    let p0 = primary(&set, 1, 0);
    let voter = (0..4).find(|i| *i != me && *i != p0).unwrap();
    let full = prepared_cert(&cfg, &set, 0, &b);
    let sign =
        |k: usize| SimSigner::new(k).sign(&prepare_signing_bytes(&cfg.chain_id, 1, 0, &b.hash()));
    let with = |prepares: Vec<(PublicKey, tracechain_types::Signature)>| {
        let mut c = full.clone();
        c.prepares = prepares;
        c.prepares.sort_by_key(|p| p.0);
        vc_msg(view_change(&cfg, voter, 1, Some(c)))
    };
    let mut short = full.prepares.clone();
    short.pop();
    let mut with_primary = short.clone();
    with_primary.push((key(p0), sign(p0)));
    let mut with_outsider = short.clone();
    with_outsider.push((key(4), sign(4)));
    for (name, prepares) in [
        ("one short", short),
        ("the primary's prepare", with_primary),
        ("a non-member's prepare", with_outsider),
    ] {
        let (mut r, _) = started(&cfg, me);
        let out = r.step(msg(voter, with(prepares)));
        assert!(
            rejected(&out)
                .iter()
                .any(|e| matches!(e, ConsensusError::BadPrepareCert(_))),
            "{name}: {:?}",
            rejected(&out)
        );
    }
    let (mut r, _) = started(&cfg, me);
    let out = r.step(msg(voter, with(full.prepares.clone())));
    assert!(rejected(&out).is_empty(), "{:?}", rejected(&out));
}

/// VC6: the `committed` field of a view change must be the certificate of our last committed
/// block (height and hash) and is bounded (at most `MAX_VALIDATORS` votes).
#[test]
fn vc6_committed_field_names_our_last_block_and_is_bounded() {
    let (cfg, set) = sim_config(4);
    let me = backup(&set);
    let p0 = primary(&set, 1, 0);
    let voter = (0..4).find(|i| *i != me && *i != p0).unwrap();
    let b = block1(&cfg, &set, 0, 0);
    let cert = commit_cert(&cfg, &set, &b, set.quorum());
    // Commit height 1: the pre-prepare, then its certificate.
    let (mut r, _) = started(&cfg, me);
    r.step(msg(
        p0,
        Message::PrePrepare(PrePrepare {
            proposal: proposal(&cfg, p0, 0, b.clone()),
            parent_cert: None,
        }),
    ));
    r.step(msg(voter, Message::Decided(cert.clone())));
    assert_eq!(r.height(), 2);
    let vc_with = |committed: CommitCertificate| {
        let mut vc = view_change_at(&cfg, 2, voter, 1, None);
        vc.body.committed = Some(committed);
        vc.signature =
            SimSigner::new(voter).sign(&view_change_signing_bytes(&cfg.chain_id, &vc.body));
        vc_msg(vc)
    };
    let vc6 = |out: &[Action]| {
        rejected(out)
            .iter()
            .any(|e| matches!(e, ConsensusError::BadViewChange(m) if m.starts_with("VC6")))
    };
    // Another block's hash at our last height.
    let mut other = cert.clone();
    other.block_hash = tracechain_types::Hash::tagged(b"other", &[]);
    let out = r.step(msg(voter, vc_with(other)));
    assert!(vc6(&out), "{:?}", rejected(&out));
    // More votes than there can be validators.
    // (the genuine quorum plus junk keys, so that only the count is wrong).
    let mut padded = cert.clone();
    let junk = tracechain_types::validator::MAX_VALIDATORS + 1 - cert.votes.len();
    padded.votes.extend((0..junk as u32).map(|i| CommitVote {
        validator: PublicKey({
            let mut k = [0xEEu8; 32];
            k[..4].copy_from_slice(&i.to_be_bytes());
            k
        }),
        signature: tracechain_types::Signature([1; 64]),
    }));
    padded.votes.sort_by_key(|v| v.validator);
    assert_eq!(
        padded.votes.len(),
        tracechain_types::validator::MAX_VALIDATORS + 1
    );
    let out = r.step(msg(voter, vc_with(padded)));
    assert!(vc6(&out), "{:?}", rejected(&out));
    // Below a quorum of the height's set.
    let mut short = cert.clone();
    short.votes.pop();
    let out = r.step(msg(voter, vc_with(short)));
    assert!(vc6(&out), "{:?}", rejected(&out));
    // The genuine certificate passes.
    let out = r.step(msg(voter, vc_with(cert)));
    assert!(!vc6(&out), "{:?}", rejected(&out));
}

/// B2/VC4: view changes count only within `max_future_views` views: f + 1 of them for a view
/// beyond the window make no replica join it; at the window's edge they do.
#[test]
fn b2_view_changes_beyond_the_view_window_are_not_counted() {
    let (cfg, set) = sim_config(4);
    let me = backup(&set);
    let w = cfg.limits.max_future_views;
    let voters: Vec<usize> = (0..4).filter(|i| *i != me).take(2).collect();
    let (mut r, _) = started(&cfg, me);
    for v in &voters {
        r.step(msg(*v, vc_msg(view_change(&cfg, *v, w + 1, None))));
    }
    assert_eq!(r.view(), 0, "B2: beyond the window");
    for v in &voters {
        r.step(msg(*v, vc_msg(view_change(&cfg, *v, w, None))));
    }
    assert_eq!(r.view(), w, "VC4: f + 1 view changes at the window's edge");
}

/// VC6: the block a view change carries must be its prepared block — same hash, this height,
/// on our last block — or the view change is refused.
#[test]
fn vc6_carried_block_must_be_the_prepared_block_of_this_height() {
    let (cfg, set) = sim_config(4);
    let me = backup(&set);
    let p0 = primary(&set, 1, 0);
    let voter = (0..4).find(|i| *i != me && *i != p0).unwrap();
    let carrying = |prepared: &Block, carried: Block| {
        // Signed for height 1 whatever the header says, so that only the carried block's
        // header can be wrong.
        let mut cert = prepared_cert(&cfg, &set, 0, prepared);
        cert.preprepare = SimSigner::new(p0).sign(&preprepare_signing_bytes(
            &cfg.chain_id,
            1,
            0,
            &prepared.hash(),
        ));
        Message::ViewChange(ViewChangeMsg {
            view_change: view_change(&cfg, voter, 1, Some(cert)),
            prepared_block: Some(carried),
        })
    };
    let b = block1(&cfg, &set, 0, 0);
    let mut other_height = b.clone();
    other_height.header.height = 2;
    let mut other_parent = b.clone();
    other_parent.header.parent = tracechain_types::Hash::tagged(b"elsewhere", &[]);
    let cases = [
        ("another block", carrying(&b, block1(&cfg, &set, 0, 1))),
        (
            "another height",
            carrying(&other_height, other_height.clone()),
        ),
        (
            "another parent",
            carrying(&other_parent, other_parent.clone()),
        ),
    ];
    for (name, m) in cases {
        let (mut r, _) = started(&cfg, me);
        let out = r.step(msg(voter, m));
        assert!(
            rejected(&out).iter().any(
                |e| matches!(e, ConsensusError::BadViewChange(m) if m.starts_with("VC6: carried"))
            ),
            "{name}: {:?}",
            rejected(&out)
        );
    }
    let (mut r, _) = started(&cfg, me);
    let out = r.step(msg(voter, carrying(&b, b.clone())));
    assert!(rejected(&out).is_empty(), "{:?}", rejected(&out));
}

/// Answer the `RequestProposal` of `view` found in `out` the way a driver would: a block built
/// on the parent it names, by `proposer`, carrying `set_change` (reported with it). Returns the
/// block and the actions of `ProposalReady`.
fn answer_request(
    r: &mut R,
    cfg: &Config,
    out: &[Action],
    view: u64,
    proposer: usize,
    set_change: Option<ValidatorSet>,
) -> (Block, Vec<Action>) {
    let Some(Action::RequestProposal {
        height,
        parent,
        parent_timestamp_ms,
        validator_set_hash,
        ..
    }) = out
        .iter()
        .find(|a| matches!(a, Action::RequestProposal { view: v, .. } if *v == view))
        .cloned()
    else {
        panic!("ID2: no proposal asked for view {view}: {out:?}")
    };
    let b = sim_block(
        cfg,
        height,
        view,
        parent,
        parent_timestamp_ms,
        key(proposer),
        validator_set_hash,
        view,
    );
    let out = r.step(Input::ProposalReady {
        height,
        view,
        block: b.clone(),
        set_change,
    });
    (b, out)
}

/// Build, on `r` (a single validator that commits alone), the block it asked for in `out`,
/// with `set_change`, and commit it; returns the block and the actions of the commit (which
/// ask for the next block).
fn commit_alone(
    r: &mut R,
    cfg: &Config,
    out: &[Action],
    set_change: Option<ValidatorSet>,
) -> (Block, Vec<Action>) {
    let (b, out) = answer_request(r, cfg, out, 0, 0, set_change);
    assert!(out.iter().any(|a| matches!(a, Action::Commit { .. })));
    (b, out)
}

/// VC6: once the set of the height below is no longer held (a validator-set change took effect
/// at this height), the `committed` field of a view change can only be bounded by its size: a
/// certificate with more votes than there can be validators is refused.
#[test]
fn vc6_committed_field_is_bounded_after_a_set_change() {
    let (cfg, _one) = sim_config(1);
    let two = set_of(&[0, 1]);
    let (mut r, out) = started(&cfg, 0);
    let (_, out) = commit_alone(&mut r, &cfg, &out, Some(two.clone()));
    let (b2, _) = commit_alone(&mut r, &cfg, &out, None);
    assert_eq!(r.height(), 3);
    let mut cert = r.last_committed().cert.clone().unwrap();
    assert_eq!(cert.block_hash, b2.hash());
    let junk = tracechain_types::validator::MAX_VALIDATORS + 1 - cert.votes.len();
    cert.votes.extend((0..junk as u32).map(|i| CommitVote {
        validator: PublicKey({
            let mut k = [0xEEu8; 32];
            k[..4].copy_from_slice(&i.to_be_bytes());
            k
        }),
        signature: tracechain_types::Signature([1; 64]),
    }));
    cert.votes.sort_by_key(|v| v.validator);
    let with = |c: CommitCertificate| {
        let mut vc = view_change_at(&cfg, 3, 1, 1, None);
        vc.body.committed = Some(c);
        vc.signature = SimSigner::new(1).sign(&view_change_signing_bytes(&cfg.chain_id, &vc.body));
        vc_msg(vc)
    };
    let too_many = |out: &[Action]| {
        rejected(out).iter().any(|e| {
            matches!(e, ConsensusError::BadViewChange(m) if m.contains("more votes than validators"))
        })
    };
    let out = r.step(msg(1, with(cert.clone())));
    assert!(too_many(&out), "{:?}", rejected(&out));
    // Exactly `MAX_VALIDATORS` votes is within the bound.
    let mut at_bound = cert;
    at_bound.votes.pop();
    let out = r.step(msg(1, with(at_bound)));
    assert!(!too_many(&out), "{:?}", rejected(&out));
}

/// VC2: the new primary announces its view once: a further view change arriving after its
/// new-view does not make it send another.
#[test]
fn vc2_new_view_is_sent_once() {
    let (cfg, set) = sim_config(4);
    let me = primary(&set, 1, 1);
    let others: Vec<usize> = (0..4).filter(|i| *i != me).collect();
    let (mut r, _) = started(&cfg, me);
    let mut out = r.step(timer(1, 0));
    for o in &others[..2] {
        out.extend(r.step(msg(*o, vc_msg(view_change(&cfg, *o, 1, None)))));
    }
    // No certificate forced: the new primary asks its driver for a fresh block of view 1.
    let (_, out) = answer_request(&mut r, &cfg, &out, 1, me, None);
    let new_views = |out: &[Action]| {
        broadcasts(out)
            .iter()
            .filter(|m| matches!(m, Message::NewView(_)))
            .count()
    };
    assert_eq!(new_views(&out), 1, "VC2: the new-view");
    let out = r.step(msg(
        others[2],
        vc_msg(view_change(&cfg, others[2], 1, None)),
    ));
    assert_eq!(new_views(&out), 0, "no second new-view for the same view");
    // Primaries rotate: it leads view 5 too. View changes for view 5 from the others make it
    // join (VC4) and, with a quorum, announce view 5 — its new-view of view 1 does not stop it.
    assert_eq!(primary(&set, 1, 5), me);
    let mut out = Vec::new();
    for o in &others {
        out.extend(r.step(msg(*o, vc_msg(view_change(&cfg, *o, 5, None)))));
    }
    let (_, out) = answer_request(&mut r, &cfg, &out, 5, me, None);
    assert!(
        broadcasts(&out)
            .iter()
            .any(|m| matches!(m, Message::NewView(nv) if nv.view == 5)),
        "VC2: the new-view of view 5: {out:?}"
    );
}

/// A valid new-view of `view` at height 1 from its primary, proposing a fresh block (no
/// certificate among its view changes).
fn fresh_new_view(cfg: &Config, set: &ValidatorSet, me: usize, view: u64) -> (usize, Message) {
    let p = primary(set, 1, view);
    let vcs: Vec<ViewChange> = (0..4)
        .filter(|i| *i != me)
        .map(|v| view_change(cfg, v, view, None))
        .collect();
    let b = block1(cfg, set, view, view);
    (p, Message::NewView(new_view(cfg, p, view, vcs, b)))
}

/// VC3/B2: a new-view is taken once, for a view not behind ours and within the view window.
#[test]
fn vc3_new_view_stale_duplicate_or_too_far_is_ignored() {
    let (cfg, set) = sim_config(4);
    let me = backup(&set);
    let validates = |out: &[Action]| {
        out.iter()
            .any(|a| matches!(a, Action::ValidateProposal { .. }))
    };
    // Beyond the window: ignored; at its edge: taken.
    let w = cfg.limits.max_future_views;
    let (mut r, _) = started(&cfg, me);
    let (p, far) = fresh_new_view(&cfg, &set, me, w + 1);
    let out = r.step(msg(p, far));
    assert!(!validates(&out) && r.view() == 0, "B2: beyond the window");
    let (p, edge) = fresh_new_view(&cfg, &set, me, w);
    let out = r.step(msg(p, edge));
    assert!(validates(&out) && r.view() == w, "at the window's edge");
    // Taken once; a new-view of a view behind ours is stale (views led by others).
    let led_by_other: Vec<u64> = (1..8).filter(|v| primary(&set, 1, *v) != me).collect();
    let (low, high) = (led_by_other[0], led_by_other[1]);
    let (mut r, _) = started(&cfg, me);
    let (ph, nvh) = fresh_new_view(&cfg, &set, me, high);
    assert!(validates(&r.step(msg(ph, nvh.clone()))));
    assert!(!validates(&r.step(msg(ph, nvh))), "a duplicate new-view");
    let (pl, nvl) = fresh_new_view(&cfg, &set, me, low);
    assert!(
        !validates(&r.step(msg(pl, nvl))),
        "a new-view behind our view"
    );
    assert_eq!(r.view(), high);
}

/// VC3: prepares of the view being changed to that arrive before its new-view are kept: once
/// the new-view's proposal is validated, they complete the quorum at once.
#[test]
fn vc3_prepares_before_the_new_view_are_kept() {
    let (cfg, _set, me, p1, b, vcs) = nv_setup();
    let (mut r, _) = started(&cfg, me);
    r.step(timer(1, 0));
    assert_eq!(r.view(), 1, "VC1: changing to view 1");
    for o in (0..4).filter(|i| *i != me && *i != p1) {
        r.step(prepare_from(&cfg, o, 1, 1, &b.hash()));
    }
    r.step(msg(
        p1,
        Message::NewView(new_view(&cfg, p1, 1, vcs, b.clone())),
    ));
    let out = r.step(Input::ProposalValidated {
        height: 1,
        block_hash: b.hash(),
        set_change: None,
    });
    assert!(
        broadcasts(&out)
            .iter()
            .any(|m| matches!(m, Message::Commit(v) if v.view == 1 && v.block_hash == b.hash())),
        "P4: prepared with the prepares that came first: {out:?}"
    );
}

/// A replica restored from `st` and what it did.
fn restored(cfg: &Config, me: usize, st: tracechain_consensus::PersistedState) -> (R, Vec<Action>) {
    let mut r: R = Replica::new(cfg.clone(), SimSigner::new(me), SimVerifier::default());
    let out = r.step(Input::Restore(st));
    (r, out)
}

fn resends_view_change(out: &[Action]) -> bool {
    broadcasts(out)
        .iter()
        .any(|m| matches!(m, Message::ViewChange(_)))
}

/// R1: a restore is refused when the validator sets do not cover the height (none in force
/// yet, or not strictly ascending) or when the stored tip conflicts with the operator's
/// checkpoint (SY5); a consistent one is accepted.
#[test]
fn r1_restore_refuses_sets_that_do_not_cover_and_a_conflicting_tip() {
    let (cfg, set) = sim_config(4);
    let me = backup(&set);
    let (r0, _) = started(&cfg, me);
    let st = r0.persisted_state();
    assert!(rejected(&restored(&cfg, me, st.clone()).1).is_empty());
    let bad_restore = |out: &[Action], why: &str| matches!(rejected(out).as_slice(), [ConsensusError::BadRestore(m)] if *m == why);
    let mut late = st.clone();
    late.sets = vec![(2, set.clone())];
    assert!(bad_restore(
        &restored(&cfg, me, late).1,
        "validator sets do not cover the height"
    ));
    let mut unordered = st.clone();
    unordered.sets = vec![(1, set.clone()), (1, set.clone())];
    assert!(bad_restore(
        &restored(&cfg, me, unordered).1,
        "validator sets do not cover the height"
    ));
    // A stored tip at height 5 against checkpoints.
    let mut tip = st.clone();
    tip.last.height = 5;
    tip.last.hash = tracechain_types::Hash::tagged(b"tip", &[]);
    tip.record.height = 6;
    let other = tracechain_types::Hash::tagged(b"other", &[]);
    for (height, hash, conflict) in [
        (5, tip.last.hash, false),
        (5, other, true),
        (4, other, false),
        (4, tip.last.hash, false),
    ] {
        let mut c = cfg.clone();
        c.checkpoint = Some(tracechain_consensus::Checkpoint { height, hash });
        let out = restored(&c, me, tip.clone()).1;
        assert_eq!(
            matches!(
                rejected(&out).as_slice(),
                [ConsensusError::CheckpointConflict { .. }]
            ),
            conflict,
            "checkpoint ({height}, {hash}): {out:?}"
        );
        if !conflict {
            assert!(rejected(&out).is_empty(), "{out:?}");
        }
    }
}

/// R1: a replica that crashed during a view change resumes it (re-sends the same signed view
/// change) only when that view change is of the restored height and view; a view change of
/// an earlier height or of another view is not resumed.
#[test]
fn r1_restore_resumes_only_the_view_change_of_its_height_and_view() {
    let (cfg, set) = sim_config(4);
    let me = backup(&set);
    let (mut r, _) = started(&cfg, me);
    let out = r.step(timer(1, 0));
    assert!(
        resends_view_change(&out),
        "the view change was sent: {out:?}"
    );
    let st = r.persisted_state();
    assert_eq!((st.record.height, st.record.view), (1, 1));
    let (_, out) = restored(&cfg, me, st.clone());
    assert!(resends_view_change(&out), "resumed at (1, 1): {out:?}");
    // The view change of height 1 after height 1 committed (restored at height 2, view 1).
    let mut later = st.clone();
    later.last.height = 1;
    later.record.height = 2;
    let (_, out) = restored(&cfg, me, later);
    assert!(rejected(&out).is_empty(), "{out:?}");
    assert!(!resends_view_change(&out), "another height: {out:?}");
    // The view change for view 1 while the record is at view 2.
    let mut other_view = st;
    other_view.record.view = 2;
    let (_, out) = restored(&cfg, me, other_view);
    assert!(rejected(&out).is_empty(), "{out:?}");
    assert!(!resends_view_change(&out), "another view: {out:?}");
}

fn proposes(out: &[Action]) -> bool {
    out.iter()
        .any(|a| matches!(a, Action::RequestProposal { .. }))
        || broadcasts(out)
            .iter()
            .any(|m| matches!(m, Message::PrePrepare(_)))
}

fn view_timer_set(out: &[Action], height: u64, view: u64) -> bool {
    view_timers(out).contains(&(height, view))
}

/// ID1: a height is active (its view timer runs) when a view change happened (view above 0)
/// or this replica already signed something there, even with an empty mempool; an idle
/// restored replica arms none.
#[test]
fn id1_restored_replica_arms_the_timer_of_an_active_height_only() {
    let (cfg, set) = sim_config(4);
    let me = backup(&set);
    let (r0, _) = started(&cfg, me);
    let st = r0.persisted_state();
    let (_, out) = restored(&cfg, me, st.clone());
    assert!(!view_timer_set(&out, 1, 0), "idle: no timer: {out:?}");
    let mut in_view_1 = st.clone();
    in_view_1.record.view = 1;
    let (_, out) = restored(&cfg, me, in_view_1);
    assert!(view_timer_set(&out, 1, 1), "view 1 is active: {out:?}");
    let mut signed = st;
    signed.record.signed.prepare = Some((0, tracechain_types::Hash::tagged(b"p", &[])));
    let (_, out) = restored(&cfg, me, signed);
    assert!(
        view_timer_set(&out, 1, 0),
        "a vote was signed here: {out:?}"
    );
}

/// P1/ID2: only the primary of view 0 proposes when a height starts; a backup, or the view-0
/// primary restored in a later view, does not; a primary restored after signing its view-0
/// proposal re-sends that proposal (S1) instead of asking for a new block.
#[test]
fn p1_only_the_view_zero_primary_proposes_and_resends_after_a_restart() {
    let (cfg, set) = sim_config(4);
    let (_, out) = started(&cfg, backup(&set));
    assert!(!proposes(&out), "a backup does not propose: {out:?}");
    let p0 = primary(&set, 1, 0);
    let (mut r, out) = started(&cfg, p0);
    assert!(proposes(&out), "the primary asks for a block: {out:?}");
    let (b, out) = answer_request(&mut r, &cfg, &out, 0, p0, None);
    assert!(
        broadcasts(&out)
            .iter()
            .any(|m| matches!(m, Message::PrePrepare(pp) if pp.proposal.block.hash() == b.hash())),
        "{out:?}"
    );
    let st = r.persisted_state();
    let (_, out) = restored(&cfg, p0, st.clone());
    let pre: Vec<Message> = broadcasts(&out)
        .into_iter()
        .filter(|m| matches!(m, Message::PrePrepare(_)))
        .collect();
    assert!(
        matches!(pre.as_slice(), [Message::PrePrepare(pp)] if pp.proposal.block.hash() == b.hash()),
        "S1: the signed proposal is re-sent: {out:?}"
    );
    assert!(
        !out.iter()
            .any(|a| matches!(a, Action::RequestProposal { .. })),
        "no new block is asked for: {out:?}"
    );
    let mut later = st;
    later.record.view = 1;
    later.record.signed = Default::default();
    later.blocks.clear();
    let (_, out) = restored(&cfg, p0, later);
    assert!(
        !proposes(&out),
        "the view-0 primary restored in view 1 does not propose for view 0: {out:?}"
    );
}

/// P2: a refused verdict leads to a view change only for the current proposal, not for
/// another block of the height the driver judged.
#[test]
fn p2_a_refused_verdict_of_another_block_starts_no_view_change() {
    let (cfg, set) = sim_config(4);
    let me = backup(&set);
    let p0 = primary(&set, 1, 0);
    let b = block1(&cfg, &set, 0, 0);
    let mut r = validated(&cfg, me, p0, &b);
    let other = block1(&cfg, &set, 0, 1);
    let out = r.step(Input::ProposalRefused {
        height: 1,
        block_hash: other.hash(),
    });
    assert!(!resends_view_change(&out), "{out:?}");
    let out = r.step(Input::ProposalRefused {
        height: 1,
        block_hash: b.hash(),
    });
    assert!(
        resends_view_change(&out),
        "the current proposal refused: a view change: {out:?}"
    );
}

/// ID2: a built block is used only for the height and view it was asked for, once.
#[test]
fn id2_a_stale_or_unasked_block_is_not_proposed() {
    let (cfg, set) = sim_config(4);
    let p0 = primary(&set, 1, 0);
    let (mut r, out) = started(&cfg, p0);
    let ask = out
        .iter()
        .find(|a| matches!(a, Action::RequestProposal { .. }))
        .cloned()
        .expect("asked");
    let Action::RequestProposal {
        parent,
        parent_timestamp_ms,
        validator_set_hash,
        ..
    } = ask
    else {
        unreachable!()
    };
    let built = |view: u64, variant: u64| {
        sim_block(
            &cfg,
            1,
            view,
            parent,
            parent_timestamp_ms,
            key(primary(&set, 1, view)),
            validator_set_hash,
            variant,
        )
    };
    for (height, view) in [(2, 0), (1, 1)] {
        let out = r.step(Input::ProposalReady {
            height,
            view,
            block: built(view, 7),
            set_change: None,
        });
        assert!(
            !proposes(&out),
            "({height}, {view}) was not asked for: {out:?}"
        );
    }
    let out = r.step(Input::ProposalReady {
        height: 1,
        view: 0,
        block: built(0, 8),
        set_change: None,
    });
    assert!(proposes(&out), "the block asked for is proposed: {out:?}");
    let out = r.step(Input::ProposalReady {
        height: 1,
        view: 0,
        block: built(0, 9),
        set_change: None,
    });
    assert!(!proposes(&out), "asked once, used once: {out:?}");
}

/// ID2: work reported before the start makes only the view-0 primary ask for a block, and a
/// block nobody asked for (no work was reported) is not proposed.
#[test]
fn id2_only_the_primary_asks_and_only_what_it_asked_for_is_proposed() {
    let (cfg, set) = sim_config(4);
    for me in 0..4 {
        let mut r: R = Replica::new(cfg.clone(), SimSigner::new(me), SimVerifier::default());
        let mut out = r.step(Input::PendingWork(true));
        out.extend(r.step(Input::Start));
        assert_eq!(
            proposes(&out),
            me == primary(&set, 1, 0),
            "validator {me}: {out:?}"
        );
    }
    let p0 = primary(&set, 1, 0);
    let mut r: R = Replica::new(cfg.clone(), SimSigner::new(p0), SimVerifier::default());
    let out = r.step(Input::Start);
    assert!(!proposes(&out), "no work, no request: {out:?}");
    let b = block1(&cfg, &set, 0, 0);
    let out = r.step(Input::ProposalReady {
        height: 1,
        view: 0,
        block: b,
        set_change: None,
    });
    assert!(!proposes(&out), "a block that was not asked for: {out:?}");
}

/// View timers act only for the started replica's current height and view: a timer of another
/// view of the height, or one that fires before the start, changes nothing.
#[test]
fn vc1_only_the_current_views_timer_starts_a_view_change() {
    let (cfg, set) = sim_config(4);
    let me = backup(&set);
    let mut early: R = Replica::new(cfg.clone(), SimSigner::new(me), SimVerifier::default());
    early.step(Input::PendingWork(true));
    let out = early.step(timer(1, 0));
    assert!(out.is_empty(), "before the start: {out:?}");
    let (mut r, _) = started(&cfg, me);
    for (h, v) in [(1, 3), (2, 0), (0, 0)] {
        let out = r.step(timer(h, v));
        assert!(!resends_view_change(&out), "timer ({h}, {v}): {out:?}");
        assert_eq!(r.view(), 0);
    }
    let out = r.step(timer(1, 0));
    assert!(
        resends_view_change(&out),
        "the current view's timer: {out:?}"
    );
    assert_eq!(r.view(), 1);
}

/// VC4 after a new view: a view change for a later view, received before the replica entered
/// the new view, still counts towards joining that later view.
#[test]
fn vc4_view_changes_of_later_views_survive_entering_a_view() {
    let (cfg, _set, me, p1, b, vcs) = nv_setup();
    let (mut r, _) = started(&cfg, me);
    let others: Vec<usize> = (0..4).filter(|i| *i != me && *i != p1).collect();
    let out = r.step(msg(
        others[0],
        vc_msg(view_change(&cfg, others[0], 2, None)),
    ));
    assert!(
        !resends_view_change(&out),
        "one view change for view 2 is not enough"
    );
    r.step(msg(p1, Message::NewView(new_view(&cfg, p1, 1, vcs, b))));
    assert_eq!(r.view(), 1, "entered view 1");
    let out = r.step(msg(
        others[1],
        vc_msg(view_change(&cfg, others[1], 2, None)),
    ));
    assert!(
        broadcasts(&out)
            .iter()
            .any(|m| matches!(m, Message::ViewChange(vc) if vc.view_change.body.new_view == 2)),
        "f + 1 view changes for view 2, one received before view 1: {out:?}"
    );
    assert_eq!(r.view(), 2);
}

/// SY2: a synced block is committed only with its own transactions (they match the header's
/// root) and of this chain, whatever its certificate; and only with a certificate for it.
#[test]
fn sy2_synced_block_with_other_transactions_or_chain_is_refused() {
    let (cfg, set) = sim_config(4);
    let me = backup(&set);
    let b = block1(&cfg, &set, 0, 0);
    let tx_key = SecretKey::from_seed([42; 32]);
    let body = tracechain_types::TxBody {
        signer: tx_key.public(),
        sequence: 0,
        expiry_height: 10,
        payload: tracechain_types::Payload::Chain(ChainRecord::ValidatorSetChange(
            tracechain_types::payload::ValidatorSetChange {
                new_set: set.clone(),
                approvals: Vec::new(),
            },
        )),
    };
    let mut other_txs = b.clone();
    other_txs.txs = vec![body.sign(&cfg.chain_id, &tx_key)];
    assert_eq!(other_txs.hash(), b.hash(), "the header is the same");
    let mut other_chain = b.clone();
    other_chain.header.chain_id = tracechain_types::ChainId::new("another-chain").unwrap();
    let refused = |block: Block, cert: CommitCertificate| {
        let (mut r, _) = started(&cfg, me);
        let out = r.step(Input::BlockSynced { block, cert });
        assert_eq!(r.height(), 1, "{out:?}");
        out
    };
    let out = refused(other_txs, commit_cert(&cfg, &set, &b, set.quorum()));
    assert!(
        matches!(
            rejected(&out).as_slice(),
            [ConsensusError::BadSyncedBlock { .. }]
        ),
        "{out:?}"
    );
    let out = refused(
        other_chain.clone(),
        commit_cert(&cfg, &set, &other_chain, set.quorum()),
    );
    assert!(!rejected(&out).is_empty(), "{out:?}");
    let b2 = block1(&cfg, &set, 0, 1);
    let mut for_other = commit_cert(&cfg, &set, &b2, set.quorum());
    for_other.height = 1;
    let out = refused(b.clone(), for_other);
    assert!(!rejected(&out).is_empty(), "{out:?}");
}

/// SY4/P3: a replica outside the validator set follows the chain but never votes, even on a
/// proposal it validated.
#[test]
fn p3_a_replica_outside_the_set_never_votes() {
    let (cfg, set) = sim_config(4);
    let outsider = (4..16)
        .find(|i| !set.validators().iter().any(|v| v.public_key == key(*i)))
        .unwrap();
    let p0 = primary(&set, 1, 0);
    let b = block1(&cfg, &set, 0, 0);
    let (mut r, _) = started(&cfg, outsider);
    let mut out = r.step(msg(
        p0,
        Message::PrePrepare(PrePrepare {
            proposal: proposal(&cfg, p0, 0, b.clone()),
            parent_cert: None,
        }),
    ));
    out.extend(r.step(Input::ProposalValidated {
        height: 1,
        block_hash: b.hash(),
        set_change: None,
    }));
    let others: Vec<usize> = set
        .validators()
        .iter()
        .filter_map(|v| (0..16).find(|i| key(*i) == v.public_key))
        .filter(|i| *i != p0)
        .collect();
    for o in others {
        out.extend(r.step(prepare_from(&cfg, o, 1, 0, &b.hash())));
    }
    assert!(
        !broadcasts(&out)
            .iter()
            .any(|m| matches!(m, Message::Prepare(_) | Message::Commit(_))),
        "{out:?}"
    );
    assert!(
        !out.iter().any(|a| matches!(a, Action::Persist(_))),
        "nothing signed, nothing to persist: {out:?}"
    );
    // Nor does it sign a view change when the proposal it follows does not execute.
    let (mut r, _) = started(&cfg, outsider);
    let mut out = r.step(msg(
        p0,
        Message::PrePrepare(PrePrepare {
            proposal: proposal(&cfg, p0, 0, b.clone()),
            parent_cert: None,
        }),
    ));
    out.extend(r.step(Input::ProposalRefused {
        height: 1,
        block_hash: b.hash(),
    }));
    assert!(!resends_view_change(&out), "{out:?}");
    assert_eq!(r.view(), 0);
}

fn sync_requests(out: &[Action]) -> Vec<(u64, u64)> {
    out.iter()
        .filter_map(|a| match a {
            Action::RequestSync {
                from_height,
                to_height,
            } => Some((*from_height, *to_height)),
            _ => None,
        })
        .collect()
}

/// SY3: the sync retry timer asks again only while there is something to sync: a target at or
/// above the replica's height, or synced blocks waiting for their predecessors.
#[test]
fn sy3_sync_retry_asks_only_while_there_is_something_to_sync() {
    let (cfg, set) = sim_config(4);
    let me = backup(&set);
    let sync_timer = Input::Timer(tracechain_consensus::TimerId::Sync);
    let (mut r, _) = started(&cfg, me);
    let out = r.step(sync_timer.clone());
    assert!(sync_requests(&out).is_empty(), "nothing to sync: {out:?}");
    // A block of height 3 arrives before 1 and 2: it waits, and the retry asks again.
    let (mut r, _) = started(&cfg, me);
    r.step(synced_at(&cfg, &set, 3));
    assert_eq!(r.height(), 1);
    let out = r.step(sync_timer);
    assert_eq!(sync_requests(&out), vec![(1, 1)], "{out:?}");
}

/// SY5: a checkpoint at or below the restored tip needs no walk and asks for nothing.
#[test]
fn sy5_a_checkpoint_at_the_restored_tip_asks_for_nothing() {
    let (cfg, set) = sim_config(4);
    let me = backup(&set);
    let (r0, _) = started(&cfg, me);
    let mut tip = r0.persisted_state();
    tip.last.height = 5;
    tip.last.hash = tracechain_types::Hash::tagged(b"tip", &[]);
    tip.record.height = 6;
    for (height, asks) in [(5, false), (4, false), (6, true)] {
        let mut c = cfg.clone();
        c.checkpoint = Some(tracechain_consensus::Checkpoint {
            height,
            hash: tip.last.hash,
        });
        let (_, out) = restored(&c, me, tip.clone());
        assert_eq!(
            !sync_requests(&out).is_empty(),
            asks,
            "checkpoint at {height}: {out:?}"
        );
    }
}

/// VC8: the view timer of the view being changed to starts once, when the quorum of view
/// changes is reached; later view changes for that view do not push it back.
#[test]
fn vc8_view_timer_starts_once_at_the_quorum() {
    let (cfg, set) = sim_config(4);
    let me = backup(&set);
    let (mut r, _) = started(&cfg, me);
    r.step(timer(1, 0));
    let others: Vec<usize> = (0..4).filter(|i| *i != me).collect();
    r.step(msg(
        others[0],
        vc_msg(view_change(&cfg, others[0], 1, None)),
    ));
    let out = r.step(msg(
        others[1],
        vc_msg(view_change(&cfg, others[1], 1, None)),
    ));
    let full_timeout = |out: &[Action]| {
        out.iter().any(|a| {
            matches!(a, Action::SetTimer { timer: tracechain_consensus::TimerId::View { height: 1, view: 1 }, after_ms } if *after_ms != cfg.view_change_resend_ms)
        })
    };
    assert!(
        full_timeout(&out),
        "the quorum starts the view's timer: {out:?}"
    );
    let out = r.step(msg(
        others[2],
        vc_msg(view_change(&cfg, others[2], 1, None)),
    ));
    assert!(
        !out.iter().any(|a| matches!(a, Action::SetTimer { .. })),
        "a view change after the quorum sets no timer: {out:?}"
    );
}

/// VC9: a replica in the same view as the one still waiting relays that view's view changes
/// only when it holds a quorum of them (fewer would not complete the waiting replica's).
#[test]
fn vc9_same_view_relays_only_a_quorum() {
    let (cfg, set) = sim_config(7);
    let me = (0..7)
        .find(|i| *i != primary(&set, 1, 0) && *i != primary(&set, 1, 1))
        .unwrap();
    let others: Vec<usize> = (0..7)
        .filter(|i| *i != me && *i != primary(&set, 1, 1))
        .collect();
    let (mut r, _) = started(&cfg, me);
    r.step(timer(1, 0));
    assert_eq!(r.view(), 1);
    r.step(msg(
        others[0],
        vc_msg(view_change(&cfg, others[0], 1, None)),
    ));
    let to = others[1];
    r.step(msg(to, vc_msg(view_change(&cfg, to, 1, None))));
    // `to` re-sends it (VC8): it still waits for the quorum of view 1.
    let out = r.step(msg(to, vc_msg(view_change(&cfg, to, 1, None))));
    assert!(
        sends_to(&out, to).is_empty(),
        "three view changes of seven validators (quorum {}): nothing relayed: {out:?}",
        set.quorum()
    );
    // With a quorum held, the re-sent view change is answered with it (less `to`'s own).
    for o in &others[2..4] {
        r.step(msg(*o, vc_msg(view_change(&cfg, *o, 1, None))));
    }
    let out = r.step(msg(to, vc_msg(view_change(&cfg, to, 1, None))));
    assert_eq!(
        sends_to(&out, to).len(),
        set.quorum() - 1,
        "a quorum relayed, less `to`'s own: {out:?}"
    );
}

/// P5: a commit certificate certifies exactly its block: valid signatures for another block,
/// or for the same block at another height, certify nothing here.
#[test]
fn p5_a_certificate_certifies_only_its_own_block_and_height() {
    let (cfg, set) = sim_config(4);
    let b = block1(&cfg, &set, 0, 0);
    let other = block1(&cfg, &set, 0, 1);
    let v = SimVerifier::default();
    let cert = commit_cert(&cfg, &set, &b, set.quorum());
    assert_eq!(cert.verify(&cfg.chain_id, 1, &b.hash(), &set, &v), Ok(()));
    let wrong_block = |r: Result<(), tracechain_types::block::CertificateError>| {
        matches!(
            r,
            Err(tracechain_types::block::CertificateError::WrongBlock { .. })
        )
    };
    assert!(wrong_block(cert.verify(
        &cfg.chain_id,
        1,
        &other.hash(),
        &set,
        &v
    )));
    assert!(wrong_block(cert.verify(
        &cfg.chain_id,
        2,
        &b.hash(),
        &set,
        &v
    )));
}
