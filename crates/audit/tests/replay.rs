//! The auditor against the tampering an attacker with a copy of the chain (an export or a
//! data directory) would try: each is caught, named by its height, transaction and check.
//!
//! The chain: four validators, the load generator's mix (setup, then batches of 18 records)
//! in blocks of 30 transactions, and a validator-set change (the forex validator replaced
//! by a fifth key) decided in the middle, so that later blocks are certified by the new set.

use std::collections::BTreeMap;

use tracechain_audit::export::{ExportHeader, ExportReader, ExportWriter, DEFAULT_MAX_FRAME_BYTES};
use tracechain_audit::{
    compare_stored_state, compare_stored_state_paged, replay, DataDirBlocks, ExportBlocks, Failure,
    Outcome, ReplayOptions,
};
use tracechain_contracts::genesis::Genesis;
use tracechain_contracts::{validators, ChainParams};
use tracechain_storage::{ChainBuilder, ChainIdentity, Store, StoreOptions};
use tracechain_types::payload::{ChainRecord, Payload, ValidatorSetChange};
use tracechain_types::records::Agency;
use tracechain_types::{
    commit_signing_bytes, encode, Block, ChainId, CommitCertificate, CommitVote, Hash, PublicKey,
    SecretKey, Transaction, TxBody, Validator, ValidatorSet,
};
use tracechain_workload::{mix, Step};

const AGENCIES: [Agency; 4] = [
    Agency::Customs,
    Agency::Tax,
    Agency::Forex,
    Agency::MarketRegulation,
];
const START_MS: u64 = 1_796_083_200_000;
const BLOCK_TXS: usize = 30;

fn key(what: &str) -> SecretKey {
    SecretKey::from_seed(Hash::tagged(b"audit-test", &[what.as_bytes()]).0)
}

fn regulator(a: Agency) -> String {
    format!("{a:?}-regulator").to_lowercase()
}

fn validator(name: &str) -> Validator {
    Validator {
        public_key: key(&format!("validator-{name}")).public(),
        name: name.into(),
    }
}

fn genesis() -> Genesis {
    Genesis {
        chain_id: ChainId::new("audit-test").unwrap(),
        timestamp_ms: START_MS - 1000,
        validators: ValidatorSet::new(
            ["customs", "tax", "forex", "market"]
                .iter()
                .map(|n| validator(n))
                .collect(),
        )
        .unwrap(),
        regulators: AGENCIES
            .iter()
            .enumerate()
            .map(|(i, a)| {
                tracechain_workload::genesis_regulator(
                    &regulator(*a),
                    *a,
                    i,
                    key(&regulator(*a)).public(),
                )
            })
            .collect(),
        params: ChainParams::default(),
    }
}

/// The set after the change: forex out, "port" in.
fn next_set() -> ValidatorSet {
    ValidatorSet::new(
        ["customs", "tax", "market", "port"]
            .iter()
            .map(|n| validator(n))
            .collect(),
    )
    .unwrap()
}

struct Feeder {
    builder: ChainBuilder,
    keys: BTreeMap<String, SecretKey>,
    seqs: BTreeMap<PublicKey, u64>,
    pending: Vec<Transaction>,
}

fn sign_with(
    builder: &ChainBuilder,
    seqs: &mut BTreeMap<PublicKey, u64>,
    k: &SecretKey,
    payload: Payload,
) -> Transaction {
    let seq = seqs.entry(k.public()).or_default();
    let height = builder.store().tip().unwrap().height + 1;
    let tx = TxBody {
        signer: k.public(),
        sequence: *seq,
        expiry_height: height + 1000,
        payload,
    }
    .sign(builder.chain_id(), k);
    *seq += 1;
    tx
}

impl Feeder {
    fn sign(&mut self, k: &SecretKey, payload: Payload) -> Transaction {
        sign_with(&self.builder, &mut self.seqs, k, payload)
    }

    fn push(&mut self, steps: &[Step]) {
        for s in steps {
            let k = &self.keys[&s.signer];
            let tx = sign_with(&self.builder, &mut self.seqs, k, s.payload.clone());
            self.pending.push(tx);
            if self.pending.len() >= BLOCK_TXS {
                self.flush();
            }
        }
    }

    fn flush(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let txs = std::mem::take(&mut self.pending);
        let h = self.builder.store().tip().unwrap().height + 1;
        self.builder.append(txs, START_MS + h * 1000).unwrap();
    }
}

/// The chain in a data directory: setup, 10 batches, the set change, 10 more batches.
/// Returns the store, the height that decided the change.
fn build(dir: &std::path::Path) -> (Store, u64) {
    let g = genesis();
    let mut vkeys: Vec<SecretKey> = ["customs", "tax", "forex", "market", "port"]
        .iter()
        .map(|n| key(&format!("validator-{n}")))
        .collect();
    vkeys.sort_by_key(SecretKey::public);
    let builder = ChainBuilder::open(dir, &g, vkeys, &StoreOptions::default()).unwrap();
    let mut keys: BTreeMap<String, SecretKey> = AGENCIES
        .iter()
        .map(|a| (regulator(*a), key(&regulator(*a))))
        .collect();
    for (role, name) in mix::cast_names(0).iter().enumerate() {
        keys.insert(name.clone(), mix::cast_key(7, 0, role));
    }
    let publics = keys.iter().map(|(n, k)| (n.clone(), k.public())).collect();
    let regulators: Vec<String> = AGENCIES.iter().map(|a| regulator(*a)).collect();
    let mut f = Feeder {
        builder,
        keys,
        seqs: BTreeMap::new(),
        pending: Vec::new(),
    };
    for stage in mix::setup(&publics, 1, &regulators).unwrap() {
        f.push(&stage.steps);
        f.flush();
    }
    for n in 0..10 {
        for phase in mix::unit(0, n) {
            f.push(&phase);
        }
    }
    f.flush();
    // The change: approved by three of the four (a quorum), signed over change number 0.
    let current = g.validators.clone();
    let new_set = next_set();
    let msg = validators::change_message(&g.chain_id, 0, &current, &new_set);
    let mut approvals: Vec<(PublicKey, tracechain_types::Signature)> = ["customs", "tax", "market"]
        .iter()
        .map(|n| {
            let k = key(&format!("validator-{n}"));
            (k.public(), k.sign(msg.as_bytes()))
        })
        .collect();
    approvals.sort_by_key(|(k, _)| *k);
    // Submitted by a validator of the current set (R-B1).
    let customs = key("validator-customs");
    let change = f.sign(
        &customs,
        Payload::Chain(ChainRecord::ValidatorSetChange(ValidatorSetChange {
            new_set,
            approvals,
        })),
    );
    f.pending.push(change);
    f.flush();
    let decided = f.builder.store().tip().unwrap().height;
    for n in 10..20 {
        for phase in mix::unit(0, n) {
            f.push(&phase);
        }
    }
    f.flush();
    (f.builder.into_store().unwrap(), decided)
}

fn blocks_of(store: &Store) -> Vec<(Block, CommitCertificate)> {
    let tip = store.tip().unwrap().height;
    (1..=tip)
        .map(|h| {
            (
                store.block(h).unwrap().unwrap(),
                store.cert(h).unwrap().unwrap(),
            )
        })
        .collect()
}

fn export_of(blocks: &[(Block, CommitCertificate)]) -> Vec<u8> {
    let g = genesis();
    let header = ExportHeader {
        chain_id: g.chain_id.clone(),
        genesis_hash: g.build().unwrap().block.hash(),
        from: 1,
        to: blocks.len() as u64,
        genesis_file: b"# test".to_vec(),
    };
    let mut w = ExportWriter::new(Vec::new(), &header).unwrap();
    for (b, c) in blocks {
        w.block(b, c).unwrap();
    }
    w.finish().unwrap()
}

fn audit_export(bytes: &[u8]) -> Outcome {
    let reader = ExportReader::new(bytes, DEFAULT_MAX_FRAME_BYTES).unwrap();
    replay(
        &genesis(),
        ExportBlocks::new(reader),
        ReplayOptions::default(),
        &mut |_| {},
    )
    .unwrap()
}

fn failure(bytes: &[u8]) -> Failure {
    audit_export(bytes)
        .summary
        .failure
        .expect("the tampered chain is refused")
}

fn assert_fails(f: &Failure, height: u64, tx: Option<usize>, check: &str, words: &str) {
    assert_eq!(
        (f.height, f.transaction, f.check),
        (height, tx, check),
        "{f}"
    );
    assert!(f.reason.contains(words), "{f}");
}

/// Sign a certificate for `block` with `signers` (the test holds every key).
fn certify(block: &Block, view: u64, signers: &[&str]) -> CommitCertificate {
    let hash = block.hash();
    let msg = commit_signing_bytes(&block.header.chain_id, block.header.height, view, &hash);
    let mut votes: Vec<CommitVote> = signers
        .iter()
        .map(|n| {
            let k = key(&format!("validator-{n}"));
            CommitVote {
                validator: k.public(),
                signature: k.sign(&msg),
            }
        })
        .collect();
    votes.sort_by_key(|v| v.validator);
    CommitCertificate {
        height: block.header.height,
        view,
        block_hash: hash,
        votes,
    }
}

/// Where block `h`'s frame starts in an export of `blocks` (header frame, then frames).
fn frame_offset(export: &[u8], blocks: &[(Block, CommitCertificate)], h: u64) -> usize {
    let header_len = u32::from_le_bytes(export[13..17].try_into().unwrap()) as usize;
    let mut at = 12 + 5 + header_len;
    for (b, c) in blocks.iter().take((h - 1) as usize) {
        at += 5 + encode(&(b, c)).len();
    }
    at
}

#[test]
fn an_honest_chain_verifies_from_an_export_and_from_its_data_directory_with_one_summary() {
    let dir = tempfile::tempdir().unwrap();
    let (store, decided) = build(dir.path());
    let tip = store.tip().unwrap();
    let blocks = blocks_of(&store);
    let export = export_of(&blocks);

    let a = audit_export(&export);
    assert!(a.summary.verified, "{:?}", a.summary.failure);
    assert_eq!(a.summary.last_height, tip.height);
    assert_eq!(a.summary.state_root, tip.state_root.to_hex());
    assert_eq!(
        a.summary.transactions,
        blocks.iter().map(|(b, _)| b.txs.len() as u64).sum::<u64>()
    );
    assert_eq!(a.summary.records_by_kind["validator_set_change"], 1);
    assert_eq!(a.summary.records_by_kind["register_trace_unit"], 20 + 1);
    let periods: Vec<(u64, usize)> = a
        .summary
        .validators
        .iter()
        .map(|p| (p.from_height, p.validators.len()))
        .collect();
    assert_eq!(periods, vec![(1, 4), (decided + 2, 4)]);
    assert!(a.summary.validators[1]
        .validators
        .iter()
        .any(|v| v.name == "port"));

    // The same chain again, with one verifier thread: the same bytes.
    let reader = ExportReader::new(export.as_slice(), DEFAULT_MAX_FRAME_BYTES).unwrap();
    let mut seen = Vec::new();
    let b = replay(
        &genesis(),
        ExportBlocks::new(reader),
        ReplayOptions {
            verify_threads: 1,
            pipeline_blocks: 1,
            now_ms: None,
        },
        &mut |p| seen.push(p.height),
    )
    .unwrap();
    assert_eq!(
        serde_json::to_vec(&a.summary).unwrap(),
        serde_json::to_vec(&b.summary).unwrap()
    );
    assert_eq!(
        seen,
        (1..=tip.height).collect::<Vec<_>>(),
        "progress after every block"
    );

    // From the data directory, opened read-only, with its own state compared.
    drop(store);
    let identity = ChainIdentity {
        chain_id: genesis().chain_id,
        genesis_hash: genesis().build().unwrap().block.hash(),
    };
    let ro = Store::open_read_only(dir.path(), &identity, &StoreOptions::default()).unwrap();
    assert_eq!(DataDirBlocks::new(&ro).unwrap().tip(), tip.height);
    let c = replay(
        &genesis(),
        DataDirBlocks::new(&ro).unwrap(),
        ReplayOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(
        serde_json::to_vec(&a.summary).unwrap(),
        serde_json::to_vec(&c.summary).unwrap()
    );
    compare_stored_state(&ro, &c).unwrap();
}

#[test]
fn every_tampering_of_an_export_is_caught_at_its_height() {
    let dir = tempfile::tempdir().unwrap();
    let (store, decided) = build(dir.path());
    let blocks = blocks_of(&store);
    let export = export_of(&blocks);
    // A block of the batches, before the change.
    let i = blocks.iter().position(|(b, _)| b.txs.len() >= 10).unwrap();
    let h = i as u64 + 1;
    assert!(h + 2 < decided);
    let at = frame_offset(&export, &blocks, h);
    let (b5, c5) = &blocks[i];
    let header_len = encode(&b5.header).len();

    // One byte flipped in the header (its time's lowest byte): the certificate no longer certifies it.
    let mut t = export.clone();
    t[at + 5 + header_len - 4 * 32 - 8] ^= 1;
    assert_fails(
        &failure(&t),
        h,
        None,
        "certificate",
        "certificate is for block",
    );
    // One byte flipped in transaction 2's signature (its last byte).
    let mut t = export.clone();
    let tx_end =
        at + 5 + header_len + 4 + b5.txs[..3].iter().map(|t| encode(t).len()).sum::<usize>();
    t[tx_end - 1] ^= 0x01;
    assert_fails(&failure(&t), h, Some(2), "signature", "ZIP-215");
    // The last transaction's signature (in the last of three verifier threads' parts).
    let mut v = blocks.clone();
    let last = v[i].0.txs.len() - 1;
    v[i].0.txs[last].signature.0[0] ^= 1;
    v[i].0.header.tx_root = Block::compute_tx_root(&v[i].0.txs);
    let view = v[i].1.view;
    v[i].1 = certify(&v[i].0, view, &["customs", "tax", "forex", "market"]);
    let bad = export_of(&v);
    let reader = ExportReader::new(bad.as_slice(), DEFAULT_MAX_FRAME_BYTES).unwrap();
    let o = replay(
        &genesis(),
        ExportBlocks::new(reader),
        ReplayOptions {
            verify_threads: 3,
            ..ReplayOptions::default()
        },
        &mut |_| {},
    )
    .unwrap();
    assert_fails(
        &o.summary.failure.unwrap(),
        h,
        Some(last),
        "signature",
        "ZIP-215",
    );
    // One byte flipped in the certificate's last signature.
    let mut t = export.clone();
    let cert_end = at + 5 + encode(&(b5, c5)).len();
    t[cert_end - 1] ^= 0x01;
    assert_fails(&failure(&t), h, None, "certificate", "does not verify");

    // A block deleted, duplicated, reordered.
    let mut v = blocks.clone();
    v.remove(i);
    assert_fails(&failure(&export_of(&v)), h, None, "height", "missing");
    let mut v = blocks.clone();
    v.insert(i + 1, blocks[i].clone());
    assert_fails(&failure(&export_of(&v)), h + 1, None, "height", "repeated");
    let mut v = blocks.clone();
    v.swap(i, i + 1);
    assert_fails(
        &failure(&export_of(&v)),
        h,
        None,
        "height",
        "missing or out of order",
    );

    // Transactions reordered within a block (each signature still valid).
    let mut v = blocks.clone();
    v[i].0.txs.swap(0, 1);
    assert_fails(
        &failure(&export_of(&v)),
        h,
        None,
        "transaction-root",
        "reordered",
    );

    // Certificates: f + 1 votes; a signer twice; a validator removed at an earlier height.
    let f_plus_1 = certify(b5, c5.view, &["customs", "tax"]);
    let mut v = blocks.clone();
    v[i].1 = f_plus_1;
    assert_fails(
        &failure(&export_of(&v)),
        h,
        None,
        "certificate",
        "has 2 votes, a quorum is 3",
    );
    let mut dup = certify(b5, c5.view, &["customs", "tax", "market"]);
    dup.votes.insert(1, dup.votes[0].clone());
    let mut v = blocks.clone();
    v[i].1 = dup;
    assert_fails(
        &failure(&export_of(&v)),
        h,
        None,
        "certificate",
        "duplicate",
    );
    let late = decided + 3;
    let (bl, cl) = &blocks[(late - 1) as usize];
    let mut v = blocks.clone();
    v[(late - 1) as usize].1 = certify(bl, cl.view, &["customs", "tax", "forex"]);
    let removed = key("validator-forex").public();
    assert_fails(
        &failure(&export_of(&v)),
        late,
        None,
        "certificate",
        &format!("{removed}, which is not a validator"),
    );
    // Before the change took effect, the same three signers certify validly.
    let early = decided + 1;
    let (be, ce) = &blocks[(early - 1) as usize];
    let mut v = blocks.clone();
    v[(early - 1) as usize].1 = certify(be, ce.view, &["customs", "tax", "forex"]);
    assert!(audit_export(&export_of(&v)).summary.verified);

    // A state root that is not the re-executed one, certified by a Byzantine quorum (and the
    // chain after it relinked and re-certified, so only the root is wrong).
    assert_fails(
        &forged(&blocks, h, decided, |v| {
            v[i].0.header.state_root.0[0] ^= 1;
        }),
        h,
        None,
        "state-root",
        "not the re-executed",
    );

    // A transaction the contracts refuse, in a block certified by a quorum: the same record
    // again (its sequence is used).
    let mut v = blocks.clone();
    let again = v[i].0.txs[0].clone();
    v[i].0.txs.push(again);
    relink(&mut v, h, decided);
    let last = v[i].0.txs.len() - 1;
    assert_fails(
        &failure(&export_of(&v)),
        h,
        Some(last),
        "execution",
        "sequence",
    );

    // A header that names another validator set, or a proposer that is not the primary.
    assert_fails(
        &forged(&blocks, h, decided, |v| {
            v[i].0.header.validator_set_hash = next_set().hash();
        }),
        h,
        None,
        "validator-set",
        "set in force",
    );
    assert_fails(
        &forged(&blocks, h, decided, |v| {
            v[i].0.header.proposer = key("validator-tax").public();
            if v[i].0.header.proposer == blocks[i].0.header.proposer {
                v[i].0.header.proposer = key("validator-customs").public();
            }
        }),
        h,
        None,
        "proposer",
        "not the primary",
    );
    // A time not after the parent's.
    let mut v = blocks.clone();
    v[i].0.header.timestamp_ms = v[i - 1].0.header.timestamp_ms;
    relink(&mut v, h, decided);
    assert_fails(&failure(&export_of(&v)), h, None, "time", "not after");
    // Committed after a view change: proposed in view 1 by that view's primary and certified
    // in view 1; or proposed in view 0 and certified in view 1 (re-proposed). Both verify and
    // count as view-change blocks; a certificate of a view before the proposal's does not.
    let primary_of = |set: &ValidatorSet, height: u64, view: u64| {
        set.validators()[((height + view) % set.len() as u64) as usize].public_key
    };
    let mut v = blocks.clone();
    v[i].0.header.view = 1;
    v[i].0.header.proposer = primary_of(&genesis().validators, h, 1);
    v[i].1.view = 1;
    relink(&mut v, h, decided);
    let o = audit_export(&export_of(&v));
    assert!(o.summary.verified, "{:?}", o.summary.failure);
    assert_eq!(o.summary.view_change_blocks, 1);
    let mut v = blocks.clone();
    v[i].1.view = 1;
    relink(&mut v, h, decided);
    let o = audit_export(&export_of(&v));
    assert!(o.summary.verified, "{:?}", o.summary.failure);
    assert_eq!(o.summary.view_change_blocks, 1);
    let mut v = blocks.clone();
    v[i].0.header.view = 1;
    v[i].0.header.proposer = primary_of(&genesis().validators, h, 1);
    relink(&mut v, h, decided);
    assert_fails(
        &failure(&export_of(&v)),
        h,
        None,
        "certificate",
        "before the view 1",
    );
    // A time far ahead of the auditor's clock (validators refuse such blocks).
    let mut v = blocks.clone();
    v[i].0.header.timestamp_ms = START_MS + 100 * 365 * 86_400_000;
    relink(&mut v, h, decided);
    let future = export_of(&v);
    let reader = ExportReader::new(future.as_slice(), DEFAULT_MAX_FRAME_BYTES).unwrap();
    let o = replay(
        &genesis(),
        ExportBlocks::new(reader),
        ReplayOptions {
            now_ms: Some(START_MS + 86_400_000),
            ..ReplayOptions::default()
        },
        &mut |_| {},
    )
    .unwrap();
    assert_fails(
        &o.summary.failure.unwrap(),
        h,
        None,
        "time",
        "auditor's clock",
    );
    // At the bound exactly, a block is accepted: the honest chain whose last block is
    // exactly MAX_FUTURE_MS after the auditor's clock.
    let honest = export_of(&blocks);
    let reader = ExportReader::new(honest.as_slice(), DEFAULT_MAX_FRAME_BYTES).unwrap();
    let last_time = blocks.last().unwrap().0.header.timestamp_ms;
    let o = replay(
        &genesis(),
        ExportBlocks::new(reader),
        ReplayOptions {
            now_ms: Some(last_time - tracechain_audit::replay::MAX_FUTURE_MS),
            ..ReplayOptions::default()
        },
        &mut |_| {},
    )
    .unwrap();
    assert!(o.summary.verified, "{:?}", o.summary.failure);
    // After a state-root failure the summary counts the state of the last verified block.
    let mut v = blocks.clone();
    v[i].0.header.state_root.0[0] ^= 1;
    relink(&mut v, h, decided);
    let failed = audit_export(&export_of(&v)).summary;
    let before = audit_export(&export_of(&blocks[..i])).summary;
    assert_eq!(failed.last_height, h - 1);
    assert_eq!(failed.state_keys, before.state_keys);
    assert_eq!(failed.state_root, before.state_root);

    // The export cut short: the last block is verified, then the source fails.
    let cut = &export[..export.len() - 3];
    let o = audit_export(cut);
    let f = o.summary.failure.unwrap();
    assert_eq!(
        (f.height, f.check),
        (blocks.len() as u64 + 1, "source"),
        "{f}"
    );
    assert!(f.reason.contains("cut short"), "{f}");
    assert_eq!(o.summary.last_height, blocks.len() as u64);
}

/// The failure of the chain `blocks` with block `h` edited by `edit`, then relinked and
/// re-certified from `h` on (what a quorum of Byzantine validators could sign).
fn forged(
    blocks: &[(Block, CommitCertificate)],
    h: u64,
    decided: u64,
    edit: impl FnOnce(&mut Vec<(Block, CommitCertificate)>),
) -> Failure {
    let mut v = blocks.to_vec();
    edit(&mut v);
    relink(&mut v, h, decided);
    failure(&export_of(&v))
}

/// After blocks before `from` were altered: recompute each block's transaction root from
/// `from` on, link it to its (altered) parent and certify it with every validator of its
/// height — what a quorum of Byzantine validators could produce.
fn relink(v: &mut [(Block, CommitCertificate)], from: u64, decided: u64) {
    for i in (from - 1) as usize..v.len() {
        if i > 0 {
            v[i].0.header.parent = v[i - 1].0.hash();
        }
        v[i].0.header.tx_root = Block::compute_tx_root(&v[i].0.txs);
        let h = v[i].0.header.height;
        let signers: &[&str] = if h >= decided + 2 {
            &["customs", "tax", "market", "port"]
        } else {
            &["customs", "tax", "forex", "market"]
        };
        let view = v[i].1.view;
        v[i].1 = certify(&v[i].0, view, signers);
    }
}

/// Tamper with a closed data directory through RocksDB itself, as an attacker with the files
/// would: the column family `cf`, key `key`, replaced by what `f` makes of its value (`None`
/// deletes it).
fn tamper(dir: &std::path::Path, cf: &str, key: &[u8], f: impl FnOnce(Vec<u8>) -> Option<Vec<u8>>) {
    let opts = rocksdb::Options::default();
    let db = rocksdb::DB::open_cf(&opts, dir, tracechain_storage::cf::ALL).unwrap();
    let cf = db.cf_handle(cf).unwrap();
    let old = db.get_cf(cf, key).unwrap().expect("the key is stored");
    match f(old) {
        Some(v) => db.put_cf(cf, key, v).unwrap(),
        None => db.delete_cf(cf, key).unwrap(),
    }
    db.flush_cf(cf).unwrap();
}

/// The first state key of a closed data directory, from `mode`, that `pick` accepts.
fn stored_state_key(
    dir: &std::path::Path,
    mode: rocksdb::IteratorMode<'_>,
    pick: impl Fn(&[u8]) -> bool,
) -> Vec<u8> {
    let db = rocksdb::DB::open_cf_for_read_only(
        &rocksdb::Options::default(),
        dir,
        tracechain_storage::cf::ALL,
        false,
    )
    .unwrap();
    let cf = db.cf_handle("state").unwrap();
    let key = db
        .iterator_cf(cf, mode)
        .map(|e| e.unwrap().0.to_vec())
        .find(|k| pick(k))
        .expect("a stored key");
    key
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

fn audit_dir(dir: &std::path::Path) -> Failure {
    audit_dir_with(dir, compare_stored_state)
}

/// The failure of a data directory, its stored state read `page` entries at a time.
fn audit_dir_paged(dir: &std::path::Path, page: usize) -> Failure {
    audit_dir_with(dir, |ro, o| compare_stored_state_paged(ro, o, page))
}

/// The failure of a data directory: its replay's, else its stored state's by `compare`.
fn audit_dir_with(
    dir: &std::path::Path,
    compare: impl Fn(&Store, &Outcome) -> Result<(), Failure>,
) -> Failure {
    let g = genesis();
    let identity = ChainIdentity {
        chain_id: g.chain_id.clone(),
        genesis_hash: g.build().unwrap().block.hash(),
    };
    let ro = Store::open_read_only(dir, &identity, &StoreOptions::default()).unwrap();
    let o = replay(
        &g,
        DataDirBlocks::new(&ro).unwrap(),
        ReplayOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    match o.summary.failure {
        Some(f) => f,
        None => compare(&ro, &o).expect_err("the tampered directory is refused"),
    }
}

#[test]
fn every_tampering_of_a_data_directory_copy_is_caught_at_its_height() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = build(&dir.path().join("original"));
    let blocks = blocks_of(&store);
    let tip = store.tip().unwrap().height;
    drop(store);
    let original = dir.path().join("original");
    let i = blocks.iter().position(|(b, _)| b.txs.len() >= 10).unwrap();
    let h = i as u64 + 1;
    let hk = h.to_be_bytes();
    let header_len = encode(&blocks[i].0.header).len();
    let n = 0;
    let case = |name: &str, cf: &str, key: &[u8], f: &dyn Fn(Vec<u8>) -> Option<Vec<u8>>| {
        let copy = dir.path().join(name);
        copy_dir(&original, &copy);
        tamper(&copy, cf, key, f);
        audit_dir(&copy)
    };
    // A byte of the stored block's header, of its first transaction's signature, of the
    // certificate's last signature.
    let f = case("header", "blocks", &hk, &|mut v| {
        v[header_len - 4 * 32 - 8] ^= 1;
        Some(v)
    });
    assert_eq!((f.height, f.check), (h, "certificate"), "{f}");
    let first_tx = encode(&blocks[i].0.txs[n]).len();
    let f = case("tx", "blocks", &hk, &|mut v| {
        v[header_len + 4 + first_tx - 1] ^= 1;
        Some(v)
    });
    assert_eq!(
        (f.height, f.transaction, f.check),
        (h, Some(0), "signature"),
        "{f}"
    );
    let f = case("cert", "certs", &hk, &|mut v| {
        let last = v.len() - 1;
        v[last] ^= 1;
        Some(v)
    });
    assert_eq!((f.height, f.check), (h, "certificate"), "{f}");
    // A block deleted; two blocks swapped.
    let f = case("deleted", "blocks", &hk, &|_| None);
    assert_eq!((f.height, f.check), (h, "source"), "{f}");
    assert!(f.reason.contains(&format!("no block at height {h}")), "{f}");
    let next = encode(&blocks[i + 1].0);
    let f = case("swapped", "blocks", &hk, &|_| Some(next.clone()));
    assert_eq!((f.height, f.check), (h, "height"), "{f}");
    // A state value altered: the replay itself verifies; the stored state is caught at the tip.
    let opts = rocksdb::Options::default();
    let some_key = stored_state_key(&original, rocksdb::IteratorMode::Start, |k| {
        k.starts_with(b"tu/")
    });
    let f = case("state", "state", &some_key, &|mut v| {
        v[0] ^= 1;
        Some(v)
    });
    assert_eq!((f.height, f.check), (tip, "stored-state"), "{f}");
    assert!(f.reason.contains("not the replayed value"), "{f}");
    // A state key added, one removed, the last one removed, the last stored value altered,
    // each found across pages of seven entries and with the default page.
    let last_key = stored_state_key(&original, rocksdb::IteratorMode::End, |_| true);
    let mut between = some_key.clone();
    between.push(0);
    for (name, key, edit) in [
        ("added", b"zzz/forged".to_vec(), None),
        ("added-between", between, None),
        ("removed", some_key.clone(), Some(false)),
        ("removed-last", last_key.clone(), Some(false)),
        ("last", last_key, Some(true)),
    ] {
        let copy = dir.path().join(name);
        copy_dir(&original, &copy);
        {
            let db = rocksdb::DB::open_cf(&opts, &copy, tracechain_storage::cf::ALL).unwrap();
            let cf = db.cf_handle("state").unwrap();
            match edit {
                None => db.put_cf(cf, &key, b"forged").unwrap(),
                Some(false) => db.delete_cf(cf, &key).unwrap(),
                Some(true) => {
                    let mut v = db.get_cf(cf, &key).unwrap().unwrap();
                    v[0] ^= 1;
                    db.put_cf(cf, &key, v).unwrap();
                }
            }
            db.flush_cf(cf).unwrap();
        }
        let words = match edit {
            None => "not in the replayed state",
            Some(false) => "is missing",
            Some(true) => "not the replayed value",
        };
        for page in [7, 4096] {
            let f = audit_dir_paged(&copy, page);
            assert_eq!((f.height, f.check), (tip, "stored-state"), "{name}: {f}");
            assert!(f.reason.contains(words), "{name}, page {page}: {f}");
        }
    }
    // One value altered and the last four keys removed: the message lists three problems
    // (the first, then the missing keys after the stored state ends), no more.
    let copy = dir.path().join("many");
    copy_dir(&original, &copy);
    {
        let db = rocksdb::DB::open_cf(&opts, &copy, tracechain_storage::cf::ALL).unwrap();
        let cf = db.cf_handle("state").unwrap();
        let mut v = db.get_cf(cf, &some_key).unwrap().unwrap();
        v[0] ^= 1;
        db.put_cf(cf, &some_key, v).unwrap();
        let last: Vec<Vec<u8>> = db
            .iterator_cf(cf, rocksdb::IteratorMode::End)
            .take(4)
            .map(|e| e.unwrap().0.to_vec())
            .collect();
        for k in last {
            db.delete_cf(cf, k).unwrap();
        }
        db.flush_cf(cf).unwrap();
    }
    let f = audit_dir(&copy);
    assert_eq!(f.reason.matches("; ").count(), 2, "{f}");
    assert!(
        f.reason.contains("not the replayed value") && f.reason.contains("is missing"),
        "{f}"
    );
    // The stored tip naming another state root or block hash; the root hash of the stored
    // map at the tip altered (the state's values untouched): each caught at the tip.
    let tip_of =
        |v: Vec<u8>| tracechain_types::decode::<tracechain_storage::Tip>(&v, 1024).unwrap();
    let f = case("tip-root", "meta", b"tip", &|v| {
        let mut t = tip_of(v);
        t.state_root.0[0] ^= 1;
        Some(encode(&t))
    });
    assert_eq!((f.height, f.check), (tip, "stored-state"), "{f}");
    assert!(f.reason.contains("stored tip"), "{f}");
    let f = case("tip-hash", "meta", b"tip", &|v| {
        let mut t = tip_of(v);
        t.hash.0[0] ^= 1;
        Some(encode(&t))
    });
    assert_eq!((f.height, f.check), (tip, "stored-state"), "{f}");
    assert!(f.reason.contains("stored tip"), "{f}");
    let root_node =
        tracechain_storage::node_key_bytes(&tracechain_types::state_map::NodeKey::root(tip));
    // (A page: variant tag, slot count, then slot 1 — heap index, slot tag, its hash.)
    let f = case("map-root", "state_nodes", &root_node, &|mut v| {
        v[1 + 4 + 1 + 1] ^= 1;
        Some(v)
    });
    assert_eq!((f.height, f.check), (tip, "stored-state"), "{f}");
    assert!(f.reason.contains("map root"), "{f}");
    // The stored current validator sets put back to the genesis set (a node would then
    // take the removed validator's votes): caught at the tip.
    let f = case("sets", "meta", b"sets", &|_| {
        Some(encode(&vec![(1u64, genesis().validators)]))
    });
    assert_eq!((f.height, f.check), (tip, "stored-state"), "{f}");
    assert!(f.reason.contains("validator sets"), "{f}");
    // The untouched original still verifies.
    let g = genesis();
    let identity = ChainIdentity {
        chain_id: g.chain_id.clone(),
        genesis_hash: g.build().unwrap().block.hash(),
    };
    let ro = Store::open_read_only(&original, &identity, &StoreOptions::default()).unwrap();
    let o = replay(
        &g,
        DataDirBlocks::new(&ro).unwrap(),
        ReplayOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    assert!(o.summary.verified);
    compare_stored_state(&ro, &o).unwrap();
}
