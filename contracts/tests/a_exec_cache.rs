//! The hot-path changes keep execution's results: the stored envelope is byte-identical to
//! the canonical encoding of `RecordEnvelope` (R-D4), and the block's participant cache never
//! lets a transaction see a registry entry other than the state's (R-A3 within one block).

mod common;

use common::*;
use tracechain_contracts::{
    execute, execute_block, execute_block_prepared, execute_prepared, keys, BlockCache, ErrorCode,
    PreparedTx, RecordEnvelope, StateView,
};
use tracechain_types::payload::PayloadKind as K;
use tracechain_types::records::*;
use tracechain_types::{encode, Hash, Payload};

#[test]
fn r_d4_stored_envelope_is_the_canonical_record_envelope_encoding() {
    let mut w = World::new();
    let cast = w.cast();
    let code = batch("envelope");
    w.unit(&cast, &code, TraceMode::Full);
    let payload = valid_record(K::Production, &code, 1);
    let tx = w.tx(&cast.producer, payload.clone());
    let c = ctx(w.height);
    let ws = execute(&tx, &c, &w.state).unwrap();
    let key = keys::record(&tx.id());
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
        self_declared: false,
        payload,
    });
    assert_eq!(stored, expected);
}

#[test]
fn r_d4_keys_are_prefix_and_lower_case_hex_parts() {
    let parts: [&[u8]; 3] = [b"01069012345678921", &[0, 255, 16], b"/x"];
    let mut expected = b"tur/".to_vec();
    expected.extend_from_slice(
        parts
            .iter()
            .map(hex::encode)
            .collect::<Vec<_>>()
            .join("/")
            .as_bytes(),
    );
    assert_eq!(keys::key("tur/", &parts), expected);
    assert_eq!(keys::key("val/pending", &[]), b"val/pending".to_vec());
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
        Payload::ParticipantDecision(ParticipantDecision {
            participant: cast.producer.public(),
            action: ParticipantAction::Suspend,
            reason: "audit".into(),
        }),
    );
    let mut second = valid_record(K::Production, &code, 2);
    if let Payload::Production(p) = &mut second {
        p.producer_name = Some("again".into());
    }
    let second = tracechain_types::TxBody {
        sequence: first.body.sequence + 1,
        ..w.tx(&cast.producer, second).body
    }
    .sign(&chain(), &cast.producer);
    let e = execute_block(
        &[first.clone(), suspend.clone(), second],
        &ctx(w.height),
        Hash::ZERO,
        &w.state,
    )
    .unwrap_err();
    assert_eq!(e.index, 2, "{e}");
    assert_eq!(e.error.code, ErrorCode::Suspended, "{e}");
    // The same two first transactions with the cache give the same write sets as without.
    let ok = execute_block(
        &[first.clone(), suspend.clone()],
        &ctx(w.height),
        Hash::ZERO,
        &w.state,
    )
    .unwrap();
    let plain = execute(&first, &ctx(w.height), &w.state).unwrap();
    assert_eq!(ok.write_sets[0], plain);
    assert!(w
        .state
        .get(&keys::participant(&cast.producer.public()))
        .is_some());
}

#[test]
fn r_d3_prepared_transaction_executes_exactly_as_the_plain_one() {
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
    let p = PreparedTx::new(first.clone());
    assert_eq!(p.id(), first.id());
    assert_eq!(p.tx(), &first);
    let c = ctx(w.height);
    // Same write set (the stored envelope carries the id) and the same sequence refusal.
    assert_eq!(
        execute_prepared(&p, &c, &w.state, &mut BlockCache::new()).unwrap(),
        execute(&first, &c, &w.state).unwrap()
    );
    let early = PreparedTx::new(second.clone());
    assert_eq!(
        execute_prepared(&early, &c, &w.state, &mut BlockCache::new()).unwrap_err(),
        execute(&second, &c, &w.state).unwrap_err()
    );
    // Whole blocks: same write sets and state root.
    let plain = execute_block(&[first.clone(), second.clone()], &c, Hash::ZERO, &w.state);
    let prepared = execute_block_prepared(&[p, early], &c, Hash::ZERO, &w.state);
    assert_eq!(prepared.unwrap(), plain.unwrap());
}
