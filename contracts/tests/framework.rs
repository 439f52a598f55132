//! Framework tests: state overlay, sequence and expiry, block execution and state root,
//! registry basics.

mod common;

use common::*;
use tracechain_contracts::registry::ParticipantState;
use tracechain_contracts::Rule;
use tracechain_contracts::{
    authenticate, state_tree_update, ErrorCode, MemoryState, Overlay, ParentTree, State, StateView,
};
use tracechain_types::records::*;
use tracechain_types::{Hash, ParticipantRecord, Payload, TraceUnitRecord};

#[test]
fn overlay_reads_own_writes_and_scans_merged_in_order() {
    let mut base = MemoryState::new();
    for k in ["a/1", "a/2", "a/3", "b/1"] {
        base.put(k.as_bytes().to_vec(), k.as_bytes().to_vec());
    }
    let mut o = Overlay::new(&base);
    o.delete(b"a/2");
    o.put(b"a/25".to_vec(), b"x".to_vec());
    o.put(b"a/0".to_vec(), b"y".to_vec());
    let keys: Vec<_> = o
        .scan(b"a/", None, 10)
        .into_iter()
        .map(|(k, _)| String::from_utf8(k).unwrap())
        .collect();
    assert_eq!(keys, ["a/0", "a/1", "a/25", "a/3"]);
    let keys: Vec<_> = o
        .scan(b"a/", Some(b"a/1"), 2)
        .into_iter()
        .map(|(k, _)| String::from_utf8(k).unwrap())
        .collect();
    assert_eq!(keys, ["a/25", "a/3"]);
    assert_eq!(o.get(b"a/2"), None);
    let ws = o.into_write_set();
    let written: Vec<_> =
        ws.0.iter()
            .map(|(k, _)| String::from_utf8(k.clone()).unwrap())
            .collect();
    assert_eq!(written, ["a/0", "a/2", "a/25"], "write set sorted by key");
    assert_eq!(base.len(), 4, "base untouched until applied");
}

#[test]
fn r_d3_sequence_must_be_next_and_tx_not_expired() {
    let mut w = World::new();
    let k = key(1);
    let reg = Payload::Participant(ParticipantRecord::RegisterParticipant(registration(
        ParticipantCategory::Logistics,
        vec![NodeType::TallyPicking],
    )));
    // wrong sequence
    let tx = tracechain_types::TxBody {
        sequence: 1,
        ..w.tx(&k, reg.clone()).body
    }
    .sign(&chain(), &k);
    let e = execute_signed(&tx, &ctx(w.height), &w.state).unwrap_err();
    assert_eq!((e.rule, e.code), (Rule::RD3, ErrorCode::BadSequence));
    // expired
    let tx = tracechain_types::TxBody {
        expiry_height: w.height - 1,
        ..w.tx(&k, reg.clone()).body
    }
    .sign(&chain(), &k);
    let e = execute_signed(&tx, &ctx(w.height), &w.state).unwrap_err();
    assert_eq!((e.rule, e.code), (Rule::RD3, ErrorCode::Expired));
    // expiry == height is still fine; sequence advances
    w.exec(&k, reg).unwrap();
    let again = Payload::Participant(ParticipantRecord::TradeRelationship(TradeRelationship {
        counterparty: key(2).public(),
        terms: Hash::digest(b"t"),
    }));
    let tx = tracechain_types::TxBody {
        sequence: 0,
        ..w.tx(&k, again).body
    }
    .sign(&chain(), &k);
    let e = execute_signed(&tx, &ctx(w.height), &w.state).unwrap_err();
    assert_eq!(
        e.code,
        ErrorCode::BadSequence,
        "a replayed sequence is refused"
    );
}

#[test]
fn r_a1_registration_pending_until_regulator_approves() {
    let mut w = World::new();
    let reg = w.seed(
        100,
        ParticipantCategory::Regulator(Agency::Customs),
        vec![],
        ParticipantState::Approved,
    );
    let k = key(1);
    w.exec(
        &k,
        Payload::Participant(ParticipantRecord::RegisterParticipant(registration(
            ParticipantCategory::TradeEntity(TradeEntityKind::Manufacturer),
            vec![NodeType::Producer],
        ))),
    )
    .unwrap();
    w.hold_prefix(&k, PREFIX);
    let unit = Payload::TraceUnit(TraceUnitRecord::RegisterTraceUnit(TraceUnitRegistration {
        code: batch("L1"),
        mode: TraceMode::Full,
        product_name: "Tea".into(),
    }));
    let e = w.exec(&k, unit.clone()).unwrap_err();
    assert_eq!((e.rule, e.code), (Rule::RA1, ErrorCode::NotApproved));
    w.exec(
        &reg,
        Payload::Participant(ParticipantRecord::ParticipantDecision(
            ParticipantDecision {
                participant: k.public(),
                action: ParticipantAction::Approve,
                reason: "licence checked".into(),
            },
        )),
    )
    .unwrap();
    w.exec(&k, unit).unwrap();
}

#[test]
fn block_state_root_is_the_map_root_after_the_block() {
    let w = World::new();
    let k1 = key(1);
    let k2 = key(2);
    let t1 = w.tx(
        &k1,
        Payload::Participant(ParticipantRecord::RegisterParticipant(registration(
            ParticipantCategory::Logistics,
            vec![],
        ))),
    );
    let t2 = w.tx(
        &k2,
        Payload::Participant(ParticipantRecord::RegisterParticipant(registration(
            ParticipantCategory::Financial,
            vec![],
        ))),
    );
    let nodes = authenticate(&w.state, 4);
    let parent = ParentTree::at(&nodes, 4);
    let out = execute_block_signed(&[t1.clone(), t2.clone()], &ctx(5), parent, &w.state).unwrap();
    assert_eq!(out.write_sets.len(), 2);
    // The root of version 5: the combined writes on top of version 4 ...
    assert_eq!(
        out.state_root,
        state_tree_update(parent, 5, &out.combined).root
    );
    assert_eq!(out.state_root, out.tree.root);
    // ... which is the root of the map built from the state after the block.
    let mut after = w.state.clone();
    after.apply(&out.combined);
    assert_eq!(out.state_root, authenticate(&after, 5).root(5).unwrap());
    assert_ne!(out.state_root, parent.root());
    let again = execute_block_signed(&[t1.clone(), t2], &ctx(5), parent, &w.state).unwrap();
    assert_eq!(out, again, "deterministic");
    // a block with a failing tx is refused as a whole, naming the index
    let e = execute_block_signed(&[t1.clone(), t1], &ctx(5), parent, &w.state).unwrap_err();
    assert_eq!(e.index, 1);
    assert_eq!(e.error.code, ErrorCode::BadSequence);
    // empty block keeps the parent root
    assert_eq!(
        execute_block_signed(&[], &ctx(5), parent, &w.state)
            .unwrap()
            .state_root,
        parent.root()
    );
}
