//! R-D4: `execute` never panics on any state it could have written itself. A state is built
//! through `execute` with values at their stated bounds (texts of `MAX_TEXT_BYTES`, the most
//! answers a feedback takes, a document covering the most units, a consumer scan summary at
//! its saturated counters, a declaration over units whose records carry its references many
//! times), every stored value is checked against `MAX_VALUE_BYTES`, then random payloads of
//! every kind run against it from every writer, with the writer's next sequence: none
//! panics.

mod common;
#[allow(unused_imports)]
mod support;

use common::*;
use proptest::prelude::*;
use support::*;
use tracechain_contracts::state::MAX_VALUE_BYTES;
use tracechain_contracts::validate::MAX_TEXT_BYTES;
use tracechain_contracts::{feedback, MemoryState, State, StateView};
use tracechain_types::payload::PayloadKind as K;
use tracechain_types::records::*;
use tracechain_types::{
    decode, ClosedLoopRecord, ConsumerRecord, DocumentRecord, Hash, InfoBlockRecord, Payload,
    TxBody,
};

fn text(c: char) -> String {
    std::iter::repeat_n(c, MAX_TEXT_BYTES).collect()
}

/// A supply chain with values at their bounds, and the keys that write it.
fn at_bounds() -> (World, Vec<tracechain_types::SecretKey>) {
    let mut c = supply_chain();
    let who = consumer(&mut c.w, 900);
    // a feedback with the most answers, every text at its bound
    c.w.exec(
        &who,
        Payload::Consumer(ConsumerRecord::Feedback(Feedback {
            feedback_ref: text('f'),
            code: c.pa.clone(),
            text: text('q'),
        })),
    )
    .unwrap();
    for _ in 0..feedback::MAX_ANSWERS {
        c.w.exec(
            &c.cast.producer,
            Payload::Consumer(ConsumerRecord::FeedbackAnswer(FeedbackAnswer {
                author: who.public(),
                feedback_ref: text('f'),
                text: text('a'),
            })),
        )
        .unwrap();
    }
    // a document covering the most units the record allows
    let units: Vec<TraceCode> = (0..tracechain_contracts::trace::MAX_TRACE_CODES_PER_RECORD)
        .map(|i| {
            let b = batch(&format!("BOUND-{i:02}"));
            c.w.unit(&c.cast, &b, TraceMode::Trader);
            b
        })
        .collect();
    c.w.exec(
        &c.cast.regulator,
        Payload::Document(DocumentRecord::DocumentAnchor(DocumentAnchor {
            document_hash: Hash::digest(b"bounds"),
            document_type: DocumentType::SanitaryCertificate,
            valid_from: "2024-05-01".into(),
            valid_until: None,
            trace_codes: units.clone(),
        })),
    )
    .unwrap();
    c.w.exec(
        &c.cast.regulator,
        Payload::Document(DocumentRecord::DocumentRevocation(DocumentRevocation {
            document_hash: Hash::digest(b"bounds"),
            reason: text('r'),
        })),
    )
    .unwrap();
    // transports of every unit carrying one waybill, many times
    for u in &units {
        let Payload::InfoBlock(InfoBlockRecord::Transport(mut t)) =
            valid_record(K::Transport, u, 1)
        else {
            unreachable!()
        };
        t.waybill = Some("WB-BOUND".into());
        t.sensor_readings.clear();
        c.w.exec(
            &c.cast.trader,
            Payload::ClosedLoop(ClosedLoopRecord::BulkImport(BulkImport {
                source: text('s'),
                records: (0..50)
                    .map(|_| InfoBlockRecord::Transport(t.clone()))
                    .collect(),
            })),
        )
        .unwrap();
    }
    // a scan summary at its saturated counters (reachable: the counters saturate)
    let a1 = item("A1");
    let n = tracechain_contracts::trace_codes::NormalisedCode::new("c", &a1).unwrap();
    let full = tracechain_contracts::scan::ScanSummary {
        count: u32::MAX,
        scanners: u32::MAX,
        first_time_ms: 0,
        first_height: 1,
        last_position: Some((9000, 18000)),
        alerted_scans: u32::MAX,
        why: vec![],
    };
    c.w.state.put(
        tracechain_contracts::state_keys::key("scn/", &[n.as_bytes()]),
        tracechain_types::encode(&full),
    );
    // the cast (seeds 100..=105) and the consumer
    let keys = (100..=105).chain([900]).map(key).collect();
    (c.w, keys)
}

fn largest(state: &MemoryState) -> usize {
    state.entries().map(|(_, v)| v.len()).max().unwrap_or(0)
}

#[test]
fn r_d4_values_written_at_their_bounds_stay_within_the_stored_value_bound() {
    let (w, _) = at_bounds();
    let big = largest(&w.state);
    assert!(big <= MAX_VALUE_BYTES, "{big}");
    // the largest value is a record envelope or the feedback with its answers, far below
    assert!(big < 64 * 1024, "{big}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    /// Random payloads of every kind against the state at its bounds never panic (execution
    /// is pure: a refused one returns an error and no write set).
    #[test]
    fn r_d4_every_kind_executes_against_values_at_their_bounds(
        bytes in proptest::collection::vec(any::<u8>(), 0..600),
        tag in 0u8..(K::ALL.len() as u8),
    ) {
        static WORLD: std::sync::OnceLock<(MemoryState, Vec<tracechain_types::SecretKey>)> =
            std::sync::OnceLock::new();
        let (state, keys) = WORLD.get_or_init(|| {
            let (w, keys) = at_bounds();
            (w.state, keys)
        });
        let mut input = vec![tag];
        input.extend(bytes);
        if let Ok(payload) = decode::<Payload>(&input, 4096) {
            for k in keys {
                // the signer's next sequence, so that the payload reaches its module
                let seq: u64 = state
                    .get(&tracechain_contracts::state_keys::sequence(&k.public()))
                    .map(|b| decode(&b, 8).unwrap())
                    .unwrap_or(0);
                let tx = TxBody {
                    signer: k.public(),
                    sequence: seq,
                    expiry_height: 10_010,
                    payload: payload.clone(),
                }
                .sign(&chain(), k);
                // a refused transaction writes nothing: `execute` returns no write set
                let _ = execute_signed(&tx, &ctx(10_000), state);
            }
        }
    }
}
