//! Determinism and robustness: the same random transaction sequence executed twice gives
//! byte-identical write sets and state roots; random and malformed payloads never panic.

mod common;

use common::*;
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tracechain_contracts::{authenticate, MemoryState, ParentTree, State};
use tracechain_types::payload::PayloadKind as K;
use tracechain_types::records::*;
use tracechain_types::{decode, encode, Payload, SecretKey, TraceUnitRecord, Transaction, TxBody};

/// A random but mostly meaningful sequence of transactions from the standard cast.
fn random_txs(seed: u64, n: usize) -> (World, Vec<(u64, SecretKey, Payload)>) {
    let mut w = World::new();
    let cast = w.cast();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let codes: Vec<TraceCode> = (0..4).map(|i| batch(&format!("D{i}"))).collect();
    let mut out = Vec::new();
    for i in 0..n {
        let code = &codes[rng.gen_range(0..codes.len())];
        let payload = if rng.gen_bool(0.2) {
            Payload::TraceUnit(TraceUnitRecord::RegisterTraceUnit(TraceUnitRegistration {
                code: code.clone(),
                mode: TraceMode::ALL[rng.gen_range(0..3)],
                product_name: "Tea".into(),
            }))
        } else {
            let kind = BLOCK_KINDS[rng.gen_range(0..BLOCK_KINDS.len())];
            let mut p = valid_record(kind, code, rng.gen_range(0..5));
            if rng.gen_bool(0.3) {
                // break a field
                let mut v = serde_json::to_value(&p).unwrap();
                if let Some(obj) = v.as_object_mut() {
                    let keys: Vec<String> = obj
                        .keys()
                        .filter(|k| *k != "kind" && *k != "family")
                        .cloned()
                        .collect();
                    let k = &keys[rng.gen_range(0..keys.len())];
                    obj[k] = serde_json::Value::Null;
                }
                p = serde_json::from_value(v).unwrap_or(p);
            }
            p
        };
        let signer = match payload.kind() {
            K::RegisterTraceUnit => &cast.producer,
            k => cast.writer(k),
        };
        // mostly the right writer, sometimes a random member of the cast
        let signer = if rng.gen_bool(0.1) {
            [&cast.producer, &cast.trader, &cast.port][rng.gen_range(0..3)]
        } else {
            signer
        };
        out.push((
            1 + i as u64 / 4,
            SecretKey::from_seed(signer.seed()),
            payload,
        ));
    }
    (w, out)
}

/// Sign with the signer's next sequence as stored in `state`.
fn sign_next(state: &MemoryState, k: &SecretKey, payload: Payload) -> Transaction {
    use tracechain_contracts::StateView;
    let seq = state
        .get(&tracechain_contracts::state_keys::sequence(&k.public()))
        .map(|b| decode::<u64>(&b, 8).unwrap())
        .unwrap_or(0);
    TxBody {
        signer: k.public(),
        sequence: seq,
        expiry_height: 10_000,
        payload,
    }
    .sign(&chain(), k)
}

fn run(seed: u64) -> (Vec<Vec<u8>>, MemoryState) {
    let (mut w, txs) = random_txs(seed, 120);
    let mut trail = Vec::new();
    for (h, k, payload) in txs {
        let tx = sign_next(&w.state, &k, payload);
        match execute_signed(&tx, &ctx(h), &w.state) {
            Ok(ws) => {
                trail.push(encode(&ws));
                w.state.apply(&ws);
            }
            Err(e) => trail.push(format!("{e}").into_bytes()),
        }
    }
    (trail, w.state)
}

#[test]
fn determinism_same_sequence_gives_byte_identical_write_sets() {
    for seed in [1u64, 2, 3] {
        let (a, sa) = run(seed);
        let (b, sb) = run(seed);
        assert_eq!(a, b, "seed {seed}");
        assert_eq!(sa, sb, "seed {seed}");
        let ok = a.iter().filter(|x| !x.starts_with(b"R-")).count();
        assert!(
            ok > 20 && ok < a.len(),
            "seed {seed}: {ok} of {} executed",
            a.len()
        );
    }
}

#[test]
fn determinism_block_roots_agree_across_runs() {
    let (w, txs) = random_txs(9, 40);
    let valid: Vec<Transaction> = {
        let mut st = w.state.clone();
        txs.into_iter()
            .filter_map(|(_, k, p)| {
                let tx = sign_next(&st, &k, p);
                execute_signed(&tx, &ctx(3), &st).ok().map(|ws| {
                    st.apply(&ws);
                    tx
                })
            })
            .collect()
    };
    assert!(!valid.is_empty());
    let parent = authenticate(&w.state, 2);
    let a = execute_block_signed(&valid, &ctx(3), ParentTree::at(&parent, 2), &w.state).unwrap();
    let b = execute_block_signed(&valid, &ctx(3), ParentTree::at(&parent, 2), &w.state).unwrap();
    assert_eq!(encode(&a.combined), encode(&b.combined));
    assert_eq!(a.state_root, b.state_root);
    // The root is the map's root over the state after the block.
    let mut after = w.state.clone();
    after.apply(&a.combined);
    assert_eq!(a.state_root, authenticate(&after, 3).root(3).unwrap());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    /// Random bytes decoded as a payload (when they decode) never make execution panic.
    #[test]
    fn random_payload_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400), tag in 0u8..(tracechain_types::payload::PayloadKind::ALL.len() as u8)) {
        let mut input = vec![tag];
        input.extend(bytes);
        if let Ok(payload) = decode::<Payload>(&input, 4096) {
            let mut w = World::new();
            let cast = w.cast();
            for k in [&cast.producer, &cast.trader, &cast.payment, &cast.logistics, &cast.port, &cast.regulator] {
                let _ = w.try_exec(k, payload.clone());
            }
        }
    }

    /// Arbitrary strings in every text, time, code and currency field never panic, and a
    /// refused record changes nothing.
    #[test]
    fn malformed_field_values_never_panic(s in ".{0,40}", kind_i in 0usize..14, field_i in 0usize..16, n in any::<i64>()) {
        let mut w = World::new();
        let cast = w.cast();
        let code = batch("PT");
        w.unit(&cast, &code, TraceMode::Full);
        let kind = BLOCK_KINDS[kind_i];
        let mut v = serde_json::to_value(valid_record(kind, &code, 1)).unwrap();
        if let Some(obj) = v.as_object_mut() {
            let keys: Vec<String> = obj.keys().filter(|k| *k != "kind" && *k != "family").cloned().collect();
            let k = keys[field_i % keys.len()].clone();
            let cur = obj[&k].clone();
            obj[&k] = match cur {
                serde_json::Value::Number(_) => serde_json::json!(n),
                serde_json::Value::Array(_) => serde_json::json!([{ "gtin": s.clone(), "batch": s.clone(), "level": "batch" }]),
                _ => serde_json::json!(s.clone()),
            };
        }
        if let Ok(p) = serde_json::from_value::<Payload>(v) {
            let before = w.state.clone();
            if w.exec(cast.writer(kind), p).is_err() {
                prop_assert_eq!(w.state, before);
            }
        }
    }
}
