//! State proofs over the contracts' state (ADR 0050): a state of 100,000 records, proofs of
//! present and absent keys at two heights checked with the pure verifier against headers
//! carrying a real commit certificate of the test validator set; tampering fails with its
//! reason; replicas executing the same blocks agree on every root.

mod common;

use common::*;
use tracechain_contracts::registry::{self, ParticipantState};
use tracechain_contracts::{
    authenticate, encode_envelope, state_keys, MemoryLedger, MemoryState, StateView, WriteSet,
};
use tracechain_types::records::*;
use tracechain_types::state_map::{verify, verify_encoded, ProofError, ProofLeaf, StateProof};
use tracechain_types::{
    commit_signing_bytes, encode, BlockHeader, CommitCertificate, CommitVote, Hash,
    ParticipantRecord, Payload, Transaction, ValidatorSet,
};

const RECORDS: u64 = 100_000;

/// A header for `height` with the ledger's root, and a commit certificate by three of the four
/// test validators (a quorum of four).
fn certified(height: u64, state_root: Hash, parent: Hash) -> (BlockHeader, CommitCertificate) {
    let set = validators();
    let header = BlockHeader {
        chain_id: chain(),
        height,
        view: 0,
        parent,
        timestamp_ms: BLOCK_TIME_MS + height * 1000,
        tx_root: Hash::digest(b"txs"),
        state_root,
        proposer: validator_keys()[0].public(),
        validator_set_hash: set.hash(),
    };
    let hash = header.hash();
    let msg = commit_signing_bytes(&header.chain_id, height, header.view, &hash);
    let mut votes: Vec<CommitVote> = validator_keys()[..3]
        .iter()
        .map(|k| CommitVote {
            validator: k.public(),
            signature: k.sign(&msg),
        })
        .collect();
    votes.sort_by_key(|v| v.validator);
    let cert = CommitCertificate {
        height,
        view: 0,
        block_hash: hash,
        votes,
    };
    (header, cert)
}

fn validators() -> ValidatorSet {
    ctx(1).validators
}

fn record_id(i: u64) -> Hash {
    Hash::digest(&i.to_be_bytes())
}

/// `count` stored records (envelopes under `rec/{tx id}`) starting at `from`, as one write set.
fn records(from: u64, count: u64, height: u64) -> WriteSet {
    let signer = key(7).public();
    let payload = Payload::Participant(ParticipantRecord::RegisterParticipant(registration(
        ParticipantCategory::Financial,
        vec![],
    )));
    let mut ws: Vec<_> = (from..from + count)
        .map(|i| {
            let id = record_id(i);
            let value = encode_envelope(id, signer, height, BLOCK_TIME_MS, &payload);
            (state_keys::record(&id), Some(value))
        })
        .collect();
    ws.sort();
    WriteSet(ws)
}

/// Genesis: a customs regulator, as the node's genesis file would seed it.
fn genesis() -> WriteSet {
    let mut g = MemoryState::new();
    registry::genesis_participant(
        &mut g,
        key(100).public(),
        registration(ParticipantCategory::Regulator(Agency::Customs), vec![]),
    );
    WriteSet(
        g.entries()
            .map(|(k, v)| (k.clone(), Some(v.clone())))
            .collect(),
    )
}

fn register(k: u64) -> Transaction {
    let s = key(k);
    tracechain_types::TxBody {
        signer: s.public(),
        sequence: 0,
        expiry_height: 100,
        payload: Payload::Participant(ParticipantRecord::RegisterParticipant(registration(
            ParticipantCategory::Logistics,
            vec![],
        ))),
    }
    .sign(&chain(), &s)
}

fn approve(regulator_seq: u64, k: u64) -> Transaction {
    let r = key(100);
    tracechain_types::TxBody {
        signer: r.public(),
        sequence: regulator_seq,
        expiry_height: 100,
        payload: Payload::Participant(ParticipantRecord::ParticipantDecision(
            ParticipantDecision {
                participant: key(k).public(),
                action: ParticipantAction::Approve,
                reason: "licence checked".into(),
            },
        )),
    }
    .sign(&chain(), &r)
}

#[test]
fn proofs_of_a_100k_record_state_verify_at_two_heights_and_tampering_fails() {
    let mut ledger = MemoryLedger::new();
    ledger.commit_writes(0, genesis());
    ledger.commit_writes(1, records(0, 60_000, 1));
    let root2 = ledger.commit_writes(2, records(60_000, RECORDS - 60_000, 2));
    assert_eq!(
        ledger.state().scan(b"rec/", None, usize::MAX).len() as u64,
        RECORDS
    );
    // Height 3: a real block: two registrations; height 4: the regulator approves one.
    let b3 = ledger
        .execute_block(&verified_all(&[register(1), register(2)]), &ctx(3))
        .unwrap();
    ledger.commit(b3);
    let root3 = ledger.root();
    let b4 = ledger
        .execute_block(&verified_all(&[approve(0, 1)]), &ctx(4))
        .unwrap();
    ledger.commit(b4);
    let root4 = ledger.root();
    assert_ne!(root3, root4);
    // The roots are those of the map built from scratch over the final state.
    assert_eq!(authenticate(ledger.state(), 4).root(4).unwrap(), root4);

    let (h2, c2) = certified(2, root2, Hash::digest(b"1"));
    let (h4, c4) = certified(4, root4, Hash::digest(b"3"));
    let set = validators();

    let record = state_keys::record(&record_id(77_777));
    let participant = state_keys::participant(&key(1).public());
    let never = state_keys::record(&record_id(RECORDS + 5));
    let record_value = ledger.state().get(&record).unwrap();
    let approved = ledger.state().get(&participant).unwrap();

    // Inclusion and exclusion at both heights.
    for (header, cert, version) in [(&h2, &c2, 2u64), (&h4, &c4, 4u64)] {
        let p = ledger.prove(version, &record).unwrap();
        assert_eq!(
            verify(header, cert, &set, &record, &p),
            Ok(Some(record_value.clone()))
        );
        let p = ledger.prove(version, &never).unwrap();
        assert_eq!(verify(header, cert, &set, &never, &p), Ok(None));
    }
    // The participant registered at height 3 is absent at height 2 and approved at height 4.
    let absent = ledger.prove(2, &participant).unwrap();
    assert_eq!(verify(&h2, &c2, &set, &participant, &absent), Ok(None));
    let present = ledger.prove(4, &participant).unwrap();
    assert_eq!(
        verify_encoded(&h4, &c4, &set, &participant, &encode(&present)),
        Ok(Some(approved.clone()))
    );
    let p = registry::load(ledger.state(), &key(1).public()).unwrap();
    assert_eq!(p.state, ParticipantState::Approved);
    // About log2(100,000) ≈ 17 levels.
    assert!(
        (10..=40).contains(&present.siblings.len()),
        "{}",
        present.siblings.len()
    );

    // Tampering, each with its reason.
    // A proof of height 2 against the header of height 4.
    assert!(matches!(
        verify(&h4, &c4, &set, &participant, &absent),
        Err(ProofError::RootMismatch { .. })
    ));
    // A changed value.
    let mut forged = present.clone();
    forged.leaf = ProofLeaf::Present {
        value: encode(&ParticipantState::Suspended),
    };
    assert!(matches!(
        verify(&h4, &c4, &set, &participant, &forged),
        Err(ProofError::RootMismatch { .. })
    ));
    // Another key.
    let other = state_keys::participant(&key(2).public());
    assert!(matches!(
        verify(&h4, &c4, &set, &other, &present),
        Err(ProofError::RootMismatch { .. })
    ));
    // A changed root in the header: the certificate no longer certifies it.
    let mut moved = h4.clone();
    moved.state_root = root3;
    assert!(matches!(
        verify(&moved, &c4, &set, &participant, &present),
        Err(ProofError::Certificate(_))
    ));
    // The certificate of another height.
    assert!(matches!(
        verify(&h4, &c2, &set, &participant, &present),
        Err(ProofError::Certificate(_))
    ));
    // Every single flipped byte of the encoded proof fails.
    let bytes = encode(&present);
    for i in 0..bytes.len() {
        let mut b = bytes.clone();
        b[i] ^= 0x01;
        let r = verify_encoded(&h4, &c4, &set, &participant, &b);
        assert!(r.is_err(), "byte {i} flipped still verifies: {r:?}");
    }
    // A truncated proof.
    assert!(matches!(
        verify_encoded(&h4, &c4, &set, &participant, &bytes[..bytes.len() - 1]),
        Err(ProofError::Decode(_))
    ));

    // Keeping only heights 2 and later, both heights still prove.
    ledger.prune(2);
    assert_eq!(
        ledger.prove(2, &record).unwrap().value(),
        Some(&record_value[..])
    );
    let p: StateProof = ledger.prove(4, &never).unwrap();
    assert_eq!(verify(&h4, &c4, &set, &never, &p), Ok(None));
}

#[test]
fn replicas_executing_the_same_blocks_get_the_same_roots() {
    let blocks: Vec<Vec<Transaction>> = vec![
        (1..=20).map(register).collect(),
        (1..=10).map(|k| approve(k - 1, k)).collect(),
        vec![],
        (21..=25)
            .map(register)
            .chain((11..=15).map(|k| approve(k - 1, k)))
            .collect(),
    ];
    let mut a = MemoryLedger::new();
    let mut b = MemoryLedger::new();
    a.commit_writes(0, genesis());
    // The other replica receives the genesis writes in another order.
    let mut reversed = genesis();
    reversed.0.reverse();
    b.commit_writes(0, reversed);
    assert_eq!(a.root(), b.root());
    for (i, txs) in blocks.iter().enumerate() {
        let h = i as u64 + 1;
        let ea = a.execute_block(&verified_all(txs), &ctx(h)).unwrap();
        let eb = b.execute_block(&verified_all(txs), &ctx(h)).unwrap();
        assert_eq!(ea.state_root, eb.state_root, "height {h}");
        a.commit(ea);
        b.commit(eb);
        assert_eq!(a.root(), b.root());
        assert_eq!(authenticate(a.state(), h).root(h).unwrap(), a.root());
    }
    // The empty block kept the root of the block before it.
    assert_eq!(a.nodes().root(3).unwrap(), a.nodes().root(2).unwrap());
    assert_eq!(a.state(), b.state());
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 12, ..Default::default() })]

    /// Two replicas executing the same blocks agree on every root; a third that receives the
    /// same transactions cut into other blocks ends with the root of its own state, built
    /// from scratch: the root depends only on the state, not on how the history was grouped.
    #[test]
    fn replicas_agree_and_roots_depend_only_on_the_state(
        cuts_a in proptest::collection::btree_set(1usize..40, 0..6),
        cuts_b in proptest::collection::btree_set(1usize..40, 0..6),
    ) {
        // 20 registrations, then the regulator approves the first 20 in order.
        let txs: Vec<Transaction> = (1..=20)
            .map(register)
            .chain((1..=20).map(|k| approve(k - 1, k)))
            .collect();
        let split = |cuts: &std::collections::BTreeSet<usize>| -> Vec<Vec<Transaction>> {
            let mut out = Vec::new();
            let mut from = 0;
            for &c in cuts.iter().chain(std::iter::once(&txs.len())) {
                out.push(txs[from..c].to_vec());
                from = c;
            }
            out
        };
        let mut a = MemoryLedger::new();
        let mut b = MemoryLedger::new();
        let mut c = MemoryLedger::new();
        for l in [&mut a, &mut b, &mut c] {
            l.commit_writes(0, genesis());
        }
        for (i, block) in split(&cuts_a).iter().enumerate() {
            let h = i as u64 + 1;
            let ea = a.execute_block(&verified_all(block), &ctx(h)).unwrap();
            let eb = b.execute_block(&verified_all(block), &ctx(h)).unwrap();
            proptest::prop_assert_eq!(ea.state_root, eb.state_root);
            a.commit(ea);
            b.commit(eb);
        }
        for (i, block) in split(&cuts_b).iter().enumerate() {
            let h = i as u64 + 1;
            let e = c.execute_block(&verified_all(block), &ctx(h)).unwrap();
            c.commit(e);
        }
        proptest::prop_assert_eq!(a.root(), b.root());
        // Stored records carry their block height, so other block boundaries give another
        // state; each root is still exactly the map of its replica's state, built in one go.
        for l in [&a, &c] {
            let v = l.version().unwrap();
            proptest::prop_assert_eq!(authenticate(l.state(), v).root(v).unwrap(), l.root());
        }
        proptest::prop_assert_eq!(a.state() == c.state(), a.root() == c.root());
    }
}
