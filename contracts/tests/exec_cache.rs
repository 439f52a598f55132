//! The hot-path changes keep execution's results: the stored envelope is byte-identical to
//! the canonical encoding of `RecordEnvelope` (R-D4), and the block's participant cache never
//! lets a transaction see a registry entry other than the state's (R-A3 within one block).

mod common;

use common::*;
use tracechain_contracts::{
    authenticate, execute_block, execute_transaction, state_keys, BadSignature, BlockCache,
    ErrorCode, ParentTree, RecordEnvelope, RecordSource, StateView, VerifiedTx,
};
use tracechain_types::payload::PayloadKind as K;
use tracechain_types::records::*;
use tracechain_types::{encode, InfoBlockRecord, ParticipantRecord, Payload};

#[test]
fn r_d4_stored_envelope_is_the_canonical_record_envelope_encoding() {
    let mut w = World::new();
    let cast = w.cast();
    let code = batch("envelope");
    w.unit(&cast, &code, TraceMode::Full);
    let payload = valid_record(K::Production, &code, 1);
    let tx = w.tx(&cast.producer, payload.clone());
    let c = ctx(w.height);
    let ws = execute_signed(&tx, &c, &w.state).unwrap();
    let key = state_keys::record(&tx.id());
    let stored =
        ws.0.iter()
            .find(|(k, _)| *k == key)
            .and_then(|(_, v)| v.clone())
            .expect("record stored");
    let expected = encode(&RecordEnvelope {
        tx_id: tx.id(),
        signer: cast.producer.public(),
        height: c.height,
        timestamp_ms: c.timestamp_ms,
        source: RecordSource::Transaction,
        payload,
    });
    assert_eq!(stored, expected);
}

#[test]
fn r_d4_keys_are_prefix_and_binary_parts_with_escaped_zeros() {
    let parts: [&[u8]; 3] = [b"01069012345678921", &[0, 255, 16], b"/x"];
    let mut expected = b"tur/01069012345678921".to_vec();
    expected.extend_from_slice(&[0, 1, 0, 0xFF, 255, 16, 0, 1]);
    expected.extend_from_slice(b"/x");
    assert_eq!(state_keys::key("tur/", &parts), expected);
    assert_eq!(state_keys::key("val/pending", &[]), b"val/pending".to_vec());
    let mut p = state_keys::key("tur/", &parts[..2]);
    p.extend_from_slice(&state_keys::PART_SEPARATOR);
    assert_eq!(state_keys::prefix("tur/", &parts[..2]), p);
    // Parts come back as they went in.
    let k = state_keys::key("tur/", &parts);
    let back = state_keys::parts_after(&k, b"tur/").unwrap();
    assert_eq!(back, parts.iter().map(|p| p.to_vec()).collect::<Vec<_>>());
    assert_eq!(state_keys::last_part(&k).unwrap(), b"/x".to_vec());
    let after = state_keys::prefix("tur/", &parts[..1]);
    assert_eq!(state_keys::parts_after(&k, &after).unwrap().len(), 2);
    assert_eq!(state_keys::parts_after(b"tur/a\x00\x07", b"tur/"), None);
}

#[test]
fn r_d4_binary_keys_keep_the_order_of_their_parts_and_prefix_scans_exact() {
    // Keys sort as the tuples of their parts (a part before its extensions, zero bytes
    // included), so ordered scans keep their logical order; a prefix of parts matches only
    // keys with exactly those leading parts.
    let samples: Vec<Vec<u8>> = vec![
        vec![],
        vec![0],
        vec![0, 0],
        vec![0, 1],
        vec![0, 0xFF],
        vec![1],
        b"A".to_vec(),
        b"A/".to_vec(),
        b"A\x00B".to_vec(),
        b"AB".to_vec(),
        vec![0xFF],
        vec![0xFF, 0],
    ];
    let mut tuples = Vec::new();
    for a in &samples {
        tuples.push(vec![a.clone()]);
        for b in &samples {
            tuples.push(vec![a.clone(), b.clone()]);
        }
    }
    for x in &tuples {
        for y in &tuples {
            let kx = state_keys::key("t/", &x.iter().map(Vec::as_slice).collect::<Vec<_>>());
            let ky = state_keys::key("t/", &y.iter().map(Vec::as_slice).collect::<Vec<_>>());
            assert_eq!(kx.cmp(&ky), x.cmp(y), "{x:?} {y:?}");
            let px = state_keys::prefix("t/", &[x[0].as_slice()]);
            assert_eq!(
                ky.starts_with(&px),
                y.len() == 2 && y[0] == x[0],
                "{x:?} {y:?}"
            );
        }
    }
}

#[test]
fn r_a3_block_cache_forgets_a_participant_suspended_earlier_in_the_block() {
    let mut w = World::new();
    let cast = w.cast();
    let code = batch("cache");
    w.unit(&cast, &code, TraceMode::Full);
    // The producer writes (its entry is cached), a regulator suspends it, it writes again:
    // the third transaction must be refused as the state says, not admitted from the cache.
    let first = w.tx(&cast.producer, valid_record(K::Production, &code, 1));
    let suspend = w.tx(
        &cast.regulator,
        Payload::Participant(ParticipantRecord::ParticipantDecision(
            ParticipantDecision {
                participant: cast.producer.public(),
                action: ParticipantAction::Suspend,
                reason: "audit".into(),
            },
        )),
    );
    let mut second = valid_record(K::Production, &code, 2);
    if let Payload::InfoBlock(InfoBlockRecord::Production(p)) = &mut second {
        p.producer_name = Some("again".into());
    }
    let second = tracechain_types::TxBody {
        sequence: first.body.sequence + 1,
        ..w.tx(&cast.producer, second).body
    }
    .sign(&chain(), &cast.producer);
    let parent = authenticate(&w.state, w.height - 1);
    let e = execute_block_signed(
        &[first.clone(), suspend.clone(), second],
        &ctx(w.height),
        ParentTree::at(&parent, w.height - 1),
        &w.state,
    )
    .unwrap_err();
    assert_eq!(e.index, 2, "{e}");
    assert_eq!(e.error.code, ErrorCode::Suspended, "{e}");
    // The same two first transactions with the cache give the same write sets as without.
    let ok = execute_block_signed(
        &[first.clone(), suspend.clone()],
        &ctx(w.height),
        ParentTree::at(&parent, w.height - 1),
        &w.state,
    )
    .unwrap();
    let plain = execute_signed(&first, &ctx(w.height), &w.state).unwrap();
    assert_eq!(ok.write_sets[0], plain);
    assert!(w
        .state
        .get(&state_keys::participant(&cast.producer.public()))
        .is_some());
}

#[test]
fn r_d3_verified_transaction_executes_exactly_as_in_its_block() {
    let mut w = World::new();
    let cast = w.cast();
    let code = batch("prepared");
    w.unit(&cast, &code, TraceMode::Full);
    let first = w.tx(&cast.producer, valid_record(K::Production, &code, 1));
    let second = tracechain_types::TxBody {
        sequence: first.body.sequence + 1,
        ..w.tx(&cast.producer, valid_record(K::ProductFeatures, &code, 2))
            .body
    }
    .sign(&chain(), &cast.producer);
    let p = verified(&first);
    assert_eq!(p.id(), first.id());
    assert_eq!(p.tx(), &first);
    let c = ctx(w.height);
    // Same write set (the stored envelope carries the id) and the same sequence refusal.
    assert_eq!(
        execute_transaction(&p, &c, &w.state, &mut BlockCache::new()).unwrap(),
        execute_signed(&first, &c, &w.state).unwrap()
    );
    let early = verified(&second);
    assert_eq!(
        execute_transaction(&early, &c, &w.state, &mut BlockCache::new()).unwrap_err(),
        execute_signed(&second, &c, &w.state).unwrap_err()
    );
    // Whole blocks: the write sets of the block are those of its transactions in turn.
    let parent = authenticate(&w.state, w.height - 1);
    let parent = ParentTree::at(&parent, w.height - 1);
    let block = execute_block(&[p.clone(), early.clone()], &c, parent, &w.state).unwrap();
    let verified_together = VerifiedTx::verify_all(
        vec![first.clone(), second.clone()],
        &chain(),
        &tracechain_types::Ed25519,
    )
    .unwrap();
    assert_eq!(verified_together, vec![p, early]);
    let again = execute_block(&verified_together, &c, parent, &w.state).unwrap();
    assert_eq!(block, again);
    let mut state = w.state.clone();
    for (tx, ws) in [&first, &second].into_iter().zip(&block.write_sets) {
        let alone = execute_signed(tx, &c, &state).unwrap();
        assert_eq!(&alone, ws);
        tracechain_contracts::State::apply(&mut state, &alone);
    }
}

#[test]
fn r_d3_only_a_verified_signature_makes_a_verified_transaction() {
    let mut w = World::new();
    let cast = w.cast();
    let code = batch("forged");
    w.unit(&cast, &code, TraceMode::Full);
    let good = w.tx(&cast.producer, valid_record(K::Production, &code, 1));
    // Signed by another key than the one it names.
    let forged = tracechain_types::TxBody {
        sequence: good.body.sequence + 1,
        ..good.body.clone()
    }
    .sign(&chain(), &cast.trader);
    let ed = tracechain_types::Ed25519;
    assert_eq!(
        VerifiedTx::verify(forged.clone(), &chain(), &ed).unwrap_err(),
        BadSignature { index: 0 }
    );
    assert_eq!(
        VerifiedTx::verify_all(vec![good.clone(), forged], &chain(), &ed).unwrap_err(),
        BadSignature { index: 1 }
    );
    // Another chain's signature does not verify here.
    let other = tracechain_types::ChainId::new("tracechain-other").unwrap();
    assert!(VerifiedTx::verify(good.clone(), &other, &ed).is_err());
    assert!(VerifiedTx::verify(good, &chain(), &ed).is_ok());
}
