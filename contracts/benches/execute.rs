//! Records executed per second per core on a realistic mix, against the in-memory state.
//!
//! Per product batch (TRADER mode): registration, one item code, product features,
//! production, trade product code, order, payment receipt, customs declaration (through the
//! R-X3 gate), tally, transport with positions and sensor readings, warehousing, delivery,
//! transformation from a shared material batch, aggregation into an SSCC, shipment, document
//! anchor and two consumer scans: 18 records. Transactions are signed before timing starts.
//! Admission — the batch signature check and each transaction's id, `VerifiedTx::verify_all` —
//! is timed and reported separately (signature checks are stateless and batchable, outside
//! execution), then each is executed (`execute_transaction`: expiry, sequence, permission,
//! rules, write set) and its write set applied, in order, on one thread.
//!
//! A second pass runs the same transactions on the same starting state with the state root
//! (ADR 0050): per block of 1,000 transactions the block's combined write set becomes one
//! version of the authenticated map (computed, stored, older versions pruned), as a validator
//! does for every block. `BENCH_FILLER_KEYS=n` first adds `n` keys (32-byte values) that the
//! contracts never read, to measure the root over a larger state.
//!
//! `cargo bench -p tracechain-contracts --bench execute` (env `BENCH_UNITS`, default 2000).

#[path = "../tests/common/mod.rs"]
#[allow(unused_imports)]
mod common;
#[path = "../tests/support/mod.rs"]
#[allow(unused_imports)]
mod support;

use std::collections::BTreeMap;
use std::time::Instant;

use common::*;
use support::*;
use tracechain_contracts::{
    authenticate, execute_transaction, state_tree_update, BlockCache, ParentTree, State,
    VerifiedTx, WriteSet,
};
use tracechain_types::payload::PayloadKind as K;
use tracechain_types::records::*;
use tracechain_types::{
    ConsumerRecord, DocumentRecord, Hash, Payload, PublicKey, SecretKey, TraceUnitRecord,
    Transaction, TxBody,
};

/// Transactions per block: the participant cache lives for one block.
const BLOCK_TXS: usize = 1000;

fn main() {
    let units: u64 = std::env::var("BENCH_UNITS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let mut w = World::new();
    let cast = w.cast();
    let scanner = consumer(&mut w, 4242);
    let material = material("MAT-SHARED");
    w.unit(&cast, &material, TraceMode::Full);
    let mut seqs: BTreeMap<PublicKey, u64> = BTreeMap::new();
    let mut sign = |k: &SecretKey, p: Payload| -> Transaction {
        let s = seqs.entry(k.public()).or_insert_with(|| {
            if k.public() == cast.producer.public() {
                1 // the shared material's registration
            } else {
                0
            }
        });
        let tx = TxBody {
            signer: k.public(),
            sequence: *s,
            expiry_height: u64::MAX,
            payload: p,
        }
        .sign(&chain(), k);
        *s += 1;
        tx
    };
    let t0 = Instant::now();
    let mut txs = Vec::new();
    let mut kinds: BTreeMap<String, u64> = BTreeMap::new();
    for i in 0..units {
        let code = batch(&format!("B{i}"));
        let it = item(&format!("S{i}"));
        let n = i + 1;
        let mut push = |k: &SecretKey, p: Payload| {
            *kinds.entry(format!("{:?}", p.kind())).or_default() += 1;
            txs.push(sign(k, p));
        };
        push(
            &cast.producer,
            Payload::TraceUnit(TraceUnitRecord::RegisterTraceUnit(TraceUnitRegistration {
                code: code.clone(),
                mode: TraceMode::Trader,
                product_name: "Green tea 250 g".into(),
            })),
        );
        push(
            &cast.producer,
            Payload::TraceUnit(TraceUnitRecord::RegisterItemCodes(ItemCodesRegistration {
                batch: code.clone(),
                serials: vec![format!("S{i}")],
            })),
        );
        for kind in [K::ProductFeatures, K::Production] {
            push(&cast.producer, valid_record(kind, &code, n));
        }
        for kind in [K::TradeProductCode, K::Order] {
            push(&cast.trader, valid_record(kind, &code, n));
        }
        push(&cast.payment, valid_record(K::PaymentReceipt, &code, n));
        push(&cast.port, valid_record(K::CustomsDeclaration, &code, n));
        for kind in [K::Tally, K::Transport, K::Warehousing, K::Delivery] {
            push(&cast.logistics, valid_record(kind, &code, n));
        }
        push(
            &cast.producer,
            transform(std::slice::from_ref(&material), std::slice::from_ref(&code)),
        );
        let s = sscc(u32::try_from(n).unwrap_or(u32::MAX));
        push(&cast.logistics, pack(&s, std::slice::from_ref(&it)));
        push(&cast.logistics, ship(&format!("WB{n}"), &[], &[s], "NL"));
        push(
            &cast.producer,
            Payload::Document(DocumentRecord::DocumentAnchor(DocumentAnchor {
                document_hash: Hash::digest(format!("certificate {n}").as_bytes()),
                document_type: DocumentType::SanitaryCertificate,
                valid_from: "2024-05-01".into(),
                valid_until: Some("2025-05-01".into()),
                trace_codes: vec![code.clone()],
            })),
        );
        for _ in 0..2 {
            push(
                &scanner,
                Payload::Consumer(ConsumerRecord::ConsumerScan(ConsumerScan {
                    code: it.clone(),
                    scanner_tag: Hash::ZERO,
                    country: "NL".into(),
                    coarse_lat_e2: Some(5237),
                    coarse_lon_e2: Some(490),
                })),
            );
        }
    }
    let prep = t0.elapsed();
    // Admission: the node checks the signatures (in a batch) and computes each transaction's
    // id once when it accepts them; execution reuses the id. Timed separately and reported.
    let t_id = Instant::now();
    let txs: Vec<VerifiedTx> = VerifiedTx::verify_all(txs, &chain(), &tracechain_types::Ed25519)
        .expect("the bench's transactions are signed");
    let id_time = t_id.elapsed();
    let context = ctx(5);
    let filler: u64 = std::env::var("BENCH_FILLER_KEYS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    for i in 0..filler {
        let mut k = b"bench/".to_vec();
        k.extend_from_slice(&i.to_be_bytes());
        w.state.put(k, vec![7; 32]);
    }
    let initial = w.state.clone();
    let mut state = w.state;
    let per_kind = std::env::var_os("BENCH_PER_KIND").is_some();
    let mut kind_time: BTreeMap<String, std::time::Duration> = BTreeMap::new();
    let start = Instant::now();
    let mut cache = BlockCache::new();
    for (i, tx) in txs.iter().enumerate() {
        if i % BLOCK_TXS == 0 {
            // A node keeps one cache per block (see `execute_block`).
            cache = BlockCache::new();
        }
        let t = per_kind.then(Instant::now);
        match execute_transaction(tx, &context, &state, &mut cache) {
            Ok(ws) => state.apply_owned(ws),
            Err(e) => panic!(
                "transaction {i} ({:?}) refused: {e}",
                tx.tx().body.payload.kind()
            ),
        }
        if let Some(t) = t {
            *kind_time
                .entry(format!("{:?}", tx.tx().body.payload.kind()))
                .or_default() += t.elapsed();
        }
    }
    let el = start.elapsed();
    for (k, d) in &kind_time {
        let c = kinds.get(k).copied().unwrap_or(1);
        println!(
            "  {k:<20} {:>8.2} µs/record",
            d.as_secs_f64() * 1e6 / c as f64
        );
    }
    let n = txs.len() as f64;
    println!("machine: see docs/benchmarks.md; single thread");
    println!(
        "prepared and signed {} transactions in {:.2?} (not timed)",
        txs.len(),
        prep
    );
    println!("mix: {kinds:?}");
    println!(
        "executed {} records in {:.3?}: {:.0} records/s/core ({:.2} µs/record); final state {} keys",
        txs.len(),
        el,
        n / el.as_secs_f64(),
        el.as_secs_f64() * 1e6 / n,
        state.len()
    );
    println!(
        "admission, signature batch check and id (not in the execution figure): {:.2} µs/record; execution + admission: {:.0} records/s/core",
        id_time.as_secs_f64() * 1e6 / n,
        n / (el + id_time).as_secs_f64()
    );
    with_root(&txs, &context, initial);
}

/// The second pass: execution, applying, and the state root per block of [`BLOCK_TXS`].
fn with_root(
    txs: &[VerifiedTx],
    context: &tracechain_contracts::BlockContext,
    mut state: tracechain_contracts::MemoryState,
) {
    let t_build = Instant::now();
    let mut nodes = authenticate(&state, 0);
    let build = t_build.elapsed();
    let start_keys = state.len();
    let mut version = 0u64;
    let mut root_time = std::time::Duration::ZERO;
    let mut prune_time = std::time::Duration::ZERO;
    let mut written = 0usize;
    let start = Instant::now();
    let mut cache = BlockCache::new();
    let mut block: BTreeMap<Vec<u8>, Option<Vec<u8>>> = BTreeMap::new();
    for (i, tx) in txs.iter().enumerate() {
        if i % BLOCK_TXS == 0 {
            cache = BlockCache::new();
        }
        match execute_transaction(tx, context, &state, &mut cache) {
            Ok(ws) => {
                for (k, v) in &ws.0 {
                    block.insert(k.clone(), v.clone());
                }
                state.apply_owned(ws);
            }
            Err(e) => panic!("transaction {i} refused: {e}"),
        }
        if (i + 1) % BLOCK_TXS == 0 || i + 1 == txs.len() {
            let t = Instant::now();
            let combined = WriteSet(std::mem::take(&mut block).into_iter().collect());
            written += combined.len();
            let update = state_tree_update(ParentTree::at(&nodes, version), version + 1, &combined);
            version += 1;
            nodes.write(update);
            root_time += t.elapsed();
            let t = Instant::now();
            nodes.prune(version);
            prune_time += t.elapsed();
        }
    }
    let el = start.elapsed();
    let n = txs.len() as f64;
    println!(
        "with the state root: map of {start_keys} keys built in {:.2?} (not timed); {} records in {:.3?}: {:.0} records/s/core ({:.2} µs/record), of which the root {:.2} µs/record ({} blocks, {} written keys, {:.2} µs/written key) and pruning older versions {:.2} µs/record",
        build,
        txs.len(),
        el,
        n / el.as_secs_f64(),
        el.as_secs_f64() * 1e6 / n,
        root_time.as_secs_f64() * 1e6 / n,
        version,
        written,
        root_time.as_secs_f64() * 1e6 / written.max(1) as f64,
        prune_time.as_secs_f64() * 1e6 / n,
    );
}
