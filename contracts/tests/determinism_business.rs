//! Determinism (R-D4) of the lineage and business kinds: the same random transaction sequence executed twice
//! gives byte-identical write sets and state roots; random and malformed payloads of these
//! kinds never panic, and a refused one changes nothing.

mod common;
mod support;

use common::*;
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use support::*;
use tracechain_contracts::{authenticate, MemoryState, ParentTree, State, StateView};
use tracechain_types::records::*;
use tracechain_types::{
    decode, encode, CbeacRecord, ClosedLoopRecord, ConsumerRecord, DocumentRecord, Hash, Payload,
    RecallRecord, SecretKey, Transaction, TxBody,
};

fn sign_next(state: &MemoryState, k: &SecretKey, payload: Payload) -> Transaction {
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

/// Break one field of a payload (JSON null or a junk string), when the kind has one.
fn break_field(rng: &mut ChaCha8Rng, p: Payload) -> Payload {
    let mut v = serde_json::to_value(&p).unwrap();
    if let Some(obj) = v.as_object_mut() {
        let keys: Vec<String> = obj
            .keys()
            .filter(|k| *k != "kind" && *k != "family")
            .cloned()
            .collect();
        if !keys.is_empty() {
            let k = &keys[rng.gen_range(0..keys.len())];
            obj[k] = if rng.gen_bool(0.5) {
                serde_json::Value::Null
            } else {
                serde_json::json!("\u{0}??")
            };
        }
    }
    serde_json::from_value(v).unwrap_or(p)
}

/// A random sequence of lineage and business kinds over the supply chain of the recall tests.
fn random_txs(seed: u64, n: usize) -> (MemoryState, Vec<(SecretKey, Payload)>) {
    let mut c = supply_chain();
    let who = consumer(&mut c.w, 650);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let units = [
        c.m1.clone(),
        c.m2.clone(),
        c.pa.clone(),
        c.pb.clone(),
        c.pc.clone(),
        item("A1"),
        item("A2"),
        item("B2"),
    ];
    let countries = ["NL", "DE", "FR", "CN", "US"];
    let mut out = Vec::new();
    for i in 0..n {
        let u = units[rng.gen_range(0..units.len())].clone();
        let v = units[rng.gen_range(0..units.len())].clone();
        let s = sscc(rng.gen_range(1..6));
        let (k, p) = match rng.gen_range(0..10) {
            0 => (&c.cast.producer, transform(&[u], &[v])),
            1 => (&c.cast.logistics, pack(&s, &[u])),
            2 => (&c.cast.logistics, unpack(&s, &[u])),
            3 => (
                &c.cast.logistics,
                ship(
                    &format!("R{}", rng.gen_range(0..20)),
                    &[u],
                    &[],
                    countries[rng.gen_range(0..countries.len())],
                ),
            ),
            4 => (
                &c.cast.producer,
                Payload::Document(DocumentRecord::DocumentAnchor(DocumentAnchor {
                    document_hash: Hash::digest(&[rng.gen_range(0u8..8)]),
                    document_type: DocumentType::TestReport,
                    valid_from: "2024-05-01".into(),
                    valid_until: None,
                    trace_codes: vec![u],
                })),
            ),
            5 => (
                &c.cast.producer,
                Payload::Recall(RecallRecord::Recall(Recall {
                    recall_ref: format!("RC{}", rng.gen_range(0..5)),
                    batch: u,
                    reason: "random".into(),
                })),
            ),
            6 | 7 => (
                &who,
                Payload::Consumer(ConsumerRecord::ConsumerScan(ConsumerScan {
                    code: item(["A1", "A2", "A3", "B1", "B2"][rng.gen_range(0..5)]),
                    scanner_tag: Hash::ZERO,
                    country: countries[rng.gen_range(0..countries.len())].into(),
                    coarse_lat_e2: Some(rng.gen_range(-9000..=9000)),
                    coarse_lon_e2: Some(rng.gen_range(-18000..=18000)),
                })),
            ),
            8 => (
                &who,
                Payload::Consumer(ConsumerRecord::Feedback(Feedback {
                    feedback_ref: format!("F{i}"),
                    code: u,
                    text: "question".into(),
                })),
            ),
            _ => (
                &c.cast.producer,
                Payload::Consumer(ConsumerRecord::FeedbackAnswer(FeedbackAnswer {
                    author: who.public(),
                    feedback_ref: format!("F{}", rng.gen_range(0..i.max(1))),
                    text: "answer".into(),
                })),
            ),
        };
        let p = if rng.gen_bool(0.2) {
            break_field(&mut rng, p)
        } else {
            p
        };
        out.push((SecretKey::from_seed(k.seed()), p));
    }
    (c.w.state, out)
}

fn run(seed: u64) -> (Vec<Vec<u8>>, MemoryState) {
    let (mut state, txs) = random_txs(seed, 150);
    let mut trail = Vec::new();
    for (i, (k, payload)) in txs.into_iter().enumerate() {
        let tx = sign_next(&state, &k, payload);
        match execute_signed(&tx, &ctx(100 + i as u64 / 5), &state) {
            Ok(ws) => {
                trail.push(encode(&ws));
                state.apply(&ws);
            }
            Err(e) => trail.push(format!("{e}").into_bytes()),
        }
    }
    (trail, state)
}

#[test]
fn r_d4_business_random_sequences_give_byte_identical_write_sets() {
    for seed in [11u64, 12, 13] {
        let (a, sa) = run(seed);
        let (b, sb) = run(seed);
        assert_eq!(a, b, "seed {seed}");
        assert_eq!(sa, sb, "seed {seed}");
        let ok = a.iter().filter(|x| !x.starts_with(b"R-")).count();
        assert!(
            ok > 30 && ok < a.len(),
            "seed {seed}: {ok} of {} executed",
            a.len()
        );
    }
}

#[test]
fn r_d4_business_block_roots_agree_across_runs() {
    let (state, txs) = random_txs(21, 60);
    let mut st = state.clone();
    let valid: Vec<Transaction> = txs
        .into_iter()
        .filter_map(|(k, p)| {
            let tx = sign_next(&st, &k, p);
            execute_signed(&tx, &ctx(50), &st).ok().map(|ws| {
                st.apply(&ws);
                tx
            })
        })
        .collect();
    assert!(valid.len() > 10);
    let parent = authenticate(&state, 49);
    let a = execute_block_signed(&valid, &ctx(50), ParentTree::at(&parent, 49), &state).unwrap();
    let b = execute_block_signed(&valid, &ctx(50), ParentTree::at(&parent, 49), &state).unwrap();
    assert_eq!(encode(&a.combined), encode(&b.combined));
    assert_eq!(a.state_root, b.state_root);
    // the block's merged write set equals executing the same transactions one by one
    let mut applied = state.clone();
    applied.apply(&a.combined);
    assert_eq!(applied, st);
    // and the state root is the map's root over that state
    assert_eq!(a.state_root, authenticate(&st, 50).root(50).unwrap());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    /// Random bytes decoded as one of these kinds never panic.
    #[test]
    fn r_d4_business_random_payload_bytes_never_panic(
        bytes in proptest::collection::vec(any::<u8>(), 0..300),
        tag in prop_oneof![Just(0u8), 20u8..(tracechain_types::payload::PayloadKind::ALL.len() as u8)],
    ) {
        let mut input = vec![tag];
        input.extend(bytes);
        if let Ok(payload) = decode::<Payload>(&input, 4096) {
            let mut c = supply_chain();
            let who = consumer(&mut c.w, 651);
            let v = &validator_keys()[0];
            for k in [&c.cast.producer, &c.cast.trader, &c.cast.payment, &c.cast.logistics, &c.cast.regulator, &who, v] {
                let before = c.w.state.clone();
                if c.w.try_exec(k, payload.clone()).is_err() {
                    prop_assert_eq!(&c.w.state, &before);
                }
            }
        }
    }

    /// Arbitrary strings and numbers in the fields of these kinds never panic; a refused
    /// record changes nothing.
    #[test]
    fn r_d4_business_malformed_fields_never_panic(s in ".{0,30}", kind_i in 0usize..8, field_i in 0usize..8, n in any::<i64>()) {
        let mut c = supply_chain();
        let who = consumer(&mut c.w, 652);
        let samples: [(&SecretKey, Payload); 8] = [
            (&c.cast.producer, transform(std::slice::from_ref(&c.m1), std::slice::from_ref(&c.pa))),
            (&c.cast.logistics, pack(&sscc(7), &[item("A1")])),
            (&c.cast.logistics, ship("S", &[item("A1")], &[], "NL")),
            (&c.cast.producer, Payload::Document(DocumentRecord::DocumentAnchor(DocumentAnchor { document_hash: Hash::digest(b"d"), document_type: DocumentType::Other, valid_from: "2024-05-01".into(), valid_until: Some("2025-05-01".into()), trace_codes: vec![c.pa.clone()] }))),
            (&c.cast.producer, Payload::Recall(RecallRecord::Recall(Recall { recall_ref: "R".into(), batch: c.pa.clone(), reason: "x".into() }))),
            (&who, Payload::Consumer(ConsumerRecord::ConsumerScan(ConsumerScan { code: item("A1"), scanner_tag: Hash::ZERO, country: "NL".into(), coarse_lat_e2: Some(5000), coarse_lon_e2: Some(400) }))),
            (&c.cast.trader, Payload::Cbeac(CbeacRecord::Filing(Filing { filing_ref: "F".into(), document: Hash::digest(b"f"), departments: vec![Agency::Customs, Agency::Tax, Agency::Forex, Agency::MarketRegulation] , valid_until: "2030-01-01".into()}))),
            (&c.cast.trader, Payload::ClosedLoop(ClosedLoopRecord::LinkAuthorisation(LinkAuthorisation { grantee: c.cast.payment.public(), scope: LinkScope::IndependentSite, valid_until_height: 100, withdraw: false }))),
        ];
        let (k, p) = &samples[kind_i];
        let k = SecretKey::from_seed(k.seed());
        let mut v = serde_json::to_value(p).unwrap();
        if let Some(obj) = v.as_object_mut() {
            let keys: Vec<String> = obj.keys().filter(|k| *k != "kind" && *k != "family").cloned().collect();
            let f = keys[field_i % keys.len()].clone();
            let cur = obj[&f].clone();
            obj[&f] = match cur {
                serde_json::Value::Number(_) => serde_json::json!(n),
                serde_json::Value::Array(_) => serde_json::json!([{ "gtin": s.clone(), "serial": s.clone(), "level": "item" }]),
                serde_json::Value::Object(_) => serde_json::json!({ "gtin": s.clone(), "batch": s.clone(), "level": "batch" }),
                _ => serde_json::json!(s.clone()),
            };
        }
        if let Ok(p) = serde_json::from_value::<Payload>(v) {
            let before = c.w.state.clone();
            if c.w.exec(&k, p).is_err() {
                prop_assert_eq!(c.w.state, before);
            }
        }
    }
}
