//! Canonical encoding of consensus messages (ADR 0001, invariant 1 of docs/ARCHITECTURE.md),
//! checked from outside the consensus crate: every byte string that `decode_message` accepts
//! re-encodes to exactly the same bytes, so no peer can send two encodings of one message (which
//! would give one message two hashes); truncated input and trailing bytes are refused.
//!
//! Seeds are encodings of every message kind with every optional part present and absent; each
//! is mutated many times with a seeded generator (deterministic, same cases on every run).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tracechain_consensus::{
    decode_message, Message, NewView, PrePrepare, PrepareCert, Proposal, ViewChange,
    ViewChangeBody, ViewChangeMsg, Vote,
};
use tracechain_types::payload::ValidatorSetChange;
use tracechain_types::ChainRecord;
use tracechain_types::*;

fn key(seed: u8) -> SecretKey {
    SecretKey::from_seed([seed; 32])
}

fn chain() -> ChainId {
    ChainId::new("tracechain-test").expect("valid")
}

fn set() -> ValidatorSet {
    ValidatorSet::new(
        (1..=4)
            .map(|i| Validator {
                public_key: key(i).public(),
                name: format!("agency-{i}"),
            })
            .collect(),
    )
    .expect("valid set")
}

fn block(height: u64, n_txs: usize) -> Block {
    let txs: Vec<Transaction> = (0..n_txs)
        .map(|i| {
            let k = key(10 + i as u8);
            TxBody {
                signer: k.public(),
                sequence: i as u64,
                expiry_height: height + 10,
                payload: Payload::Chain(ChainRecord::ValidatorSetChange(ValidatorSetChange {
                    new_set: set(),
                    approvals: vec![(key(1).public(), key(1).sign(b"approval"))],
                })),
            }
            .sign(&chain(), &k)
        })
        .collect();
    Block {
        header: BlockHeader {
            chain_id: chain(),
            height,
            view: 1,
            parent: Hash::digest(b"parent"),
            timestamp_ms: 1_700_000_000_000,
            tx_root: Block::compute_tx_root(&txs),
            state_root: Hash::digest(b"state"),
            proposer: key(1).public(),
            validator_set_hash: set().hash(),
        },
        txs,
    }
}

fn cert(height: u64, b: &Block) -> CommitCertificate {
    let mut votes: Vec<CommitVote> = (1..=3)
        .map(|i| CommitVote {
            validator: key(i).public(),
            signature: Signature([i; 64]),
        })
        .collect();
    votes.sort_by_key(|v| v.validator);
    CommitCertificate {
        height,
        view: 0,
        block_hash: b.hash(),
        votes,
    }
}

fn vote(i: u8) -> Vote {
    Vote {
        height: 7,
        view: 2,
        block_hash: Hash::digest(b"block"),
        voter: key(i).public(),
        signature: Signature([i; 64]),
    }
}

fn view_change(i: u8, with_parts: bool) -> ViewChange {
    let b = block(6, 1);
    ViewChange {
        body: ViewChangeBody {
            height: 7,
            new_view: 3,
            voter: key(i).public(),
            committed: with_parts.then(|| cert(6, &b)),
            prepared: with_parts.then(|| PrepareCert {
                view: 2,
                block_hash: Hash::digest(b"prepared"),
                preprepare: Signature([9; 64]),
                prepares: vec![
                    (key(1).public(), Signature([1; 64])),
                    (key(2).public(), Signature([2; 64])),
                ],
            }),
        },
        signature: Signature([i; 64]),
    }
}

/// One encoding of every message kind, optional parts present and absent.
fn seeds() -> Vec<Message> {
    let b = block(7, 2);
    let proposal = Proposal {
        view: 3,
        block: b.clone(),
        signature: Signature([5; 64]),
    };
    vec![
        Message::PrePrepare(PrePrepare {
            proposal: proposal.clone(),
            parent_cert: Some(cert(6, &block(6, 0))),
        }),
        Message::PrePrepare(PrePrepare {
            proposal: proposal.clone(),
            parent_cert: None,
        }),
        Message::Prepare(vote(1)),
        Message::Commit(vote(2)),
        Message::ViewChange(ViewChangeMsg {
            view_change: view_change(1, true),
            prepared_block: Some(b.clone()),
        }),
        Message::ViewChange(ViewChangeMsg {
            view_change: view_change(2, false),
            prepared_block: None,
        }),
        Message::NewView(NewView {
            height: 7,
            view: 3,
            view_changes: vec![view_change(1, true), view_change(2, false)],
            proposal,
            signature: Signature([6; 64]),
        }),
        Message::Decided(cert(7, &b)),
    ]
}

#[test]
fn m_every_message_kind_round_trips_and_refuses_truncation_and_trailing_bytes() {
    for m in seeds() {
        let bytes = encode(&m);
        assert_eq!(decode_message(&bytes).expect("decodes"), m);
        for cut in [0, 1, bytes.len() / 2, bytes.len() - 1] {
            assert!(decode_message(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode_message(&longer).is_err(), "trailing byte accepted");
    }
}

#[test]
fn m_accepted_message_bytes_re_encode_to_the_same_bytes() {
    let seeds: Vec<Vec<u8>> = seeds().iter().map(encode).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(0x7472_6163_6563_6861);
    let mut decoded = 0usize;
    for round in 0..6_000usize {
        let mut bytes = seeds[round % seeds.len()].clone();
        // Few mutations keep most of the message intact, so decoding reaches deep fields;
        // bytes near tags and lengths are set to small values that are valid more often.
        for _ in 0..rng.gen_range(1..=3) {
            let i = rng.gen_range(0..bytes.len());
            bytes[i] = match rng.gen_range(0..3) {
                0 => bytes[i] ^ (1 << rng.gen_range(0..8)),
                1 => rng.gen_range(0..4),
                _ => rng.gen(),
            };
        }
        if let Ok(m) = decode_message(&bytes) {
            decoded += 1;
            assert_eq!(
                encode(&m),
                bytes,
                "round {round}: accepted bytes are not the canonical encoding"
            );
        }
    }
    // The mutations must exercise the decoder, not only its first failure.
    assert!(decoded > 1_000, "only {decoded} mutated messages decoded");
}
