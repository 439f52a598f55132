use super::*;
use tracechain_consensus::SignedRecord;
use tracechain_contracts::{state_tree_update, MemoryState, ParentTree, State};
use tracechain_types::state_map::EMPTY_ROOT;
use tracechain_types::{BlockHeader, CommitVote, SecretKey, Signature, Validator};

fn set() -> ValidatorSet {
    ValidatorSet::new(vec![Validator {
        public_key: SecretKey::from_seed([1; 32]).public(),
        name: "customs".into(),
    }])
    .unwrap()
}

fn chain() -> ChainId {
    ChainId::new("tracechain-test").unwrap()
}

fn genesis_writes() -> WriteSet {
    WriteSet(vec![
        (b"par/a".to_vec(), Some(b"regulator".to_vec())),
        (b"par/b".to_vec(), Some(b"regulator-2".to_vec())),
    ])
}

fn genesis_block(root: Hash) -> Block {
    let txs = Vec::new();
    Block {
        header: BlockHeader {
            chain_id: chain(),
            height: 0,
            view: 0,
            parent: Hash([0; 32]),
            timestamp_ms: 1_700_000_000_000,
            tx_root: Block::compute_tx_root(&txs),
            state_root: root,
            proposer: PublicKey([0; 32]),
            validator_set_hash: set().hash(),
        },
        txs,
    }
}

fn record(height: u64) -> VoteRecord {
    VoteRecord {
        height,
        view: 0,
        signed: SignedRecord::default(),
        prepared: None,
    }
}

/// A store with its genesis written, and the identity it was opened with.
fn genesis_store(dir: &Path) -> (Store, ChainIdentity) {
    genesis_store_with(dir, &StoreOptions::default())
}

/// [`genesis_store`] opened with `opts`.
fn genesis_store_with(dir: &Path, opts: &StoreOptions) -> (Store, ChainIdentity) {
    let writes = genesis_writes();
    let tree = state_tree_update(ParentTree::EMPTY, 0, &writes);
    let block = genesis_block(tree.root);
    let identity = ChainIdentity {
        chain_id: chain(),
        genesis_hash: block.hash(),
    };
    let store = Store::open(dir, &identity, opts).unwrap();
    store
        .init_genesis(GenesisBatch {
            block: &block,
            writes: &writes,
            tree: &tree,
            set: &set(),
            record: &record(1),
        })
        .unwrap();
    (store, identity)
}

/// The identity [`genesis_store`] writes.
fn test_identity() -> ChainIdentity {
    let writes = genesis_writes();
    let tree = state_tree_update(ParentTree::EMPTY, 0, &writes);
    ChainIdentity {
        chain_id: chain(),
        genesis_hash: genesis_block(tree.root).hash(),
    }
}

/// Commit the child of the tip with `writes`, a transaction-free block, and a certificate
/// (its signature is not checked by the store).
fn commit_next(store: &Store, writes: WriteSet) -> Tip {
    let tip = store.tip().unwrap();
    let h = tip.height + 1;
    let tree = state_tree_update(ParentTree::at(store, tip.height), h, &writes);
    let txs = Vec::new();
    let block = Block {
        header: BlockHeader {
            chain_id: chain(),
            height: h,
            view: 0,
            parent: tip.hash,
            timestamp_ms: tip.timestamp_ms + 1,
            tx_root: Block::compute_tx_root(&txs),
            state_root: tree.root,
            proposer: set().validators()[0].public_key,
            validator_set_hash: set().hash(),
        },
        txs,
    };
    let cert = CommitCertificate {
        height: h,
        view: 0,
        block_hash: block.hash(),
        votes: vec![CommitVote {
            validator: set().validators()[0].public_key,
            signature: Signature([7; 64]),
        }],
    };
    store
        .commit(CommitBatch {
            block: &block,
            cert: &cert,
            writes: &writes,
            tree: &tree,
            sets: &[(h + 1, set())],
            record: &record(h + 1),
        })
        .unwrap()
}

#[test]
fn a_committed_block_is_found_again_after_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let (store, identity) = genesis_store(dir.path());
    let genesis_tip = store.tip().unwrap();
    assert_eq!(genesis_tip.height, 0);
    assert_eq!(genesis_tip.hash, identity.genesis_hash);
    let tip = commit_next(
        &store,
        WriteSet(vec![
            (b"par/a".to_vec(), None),
            (b"par/c".to_vec(), Some(b"producer".to_vec())),
        ]),
    );
    drop(store);

    let store = Store::open(dir.path(), &identity, &StoreOptions::default()).unwrap();
    assert_eq!(store.tip().unwrap(), tip);
    assert_eq!(store.height_of(&tip.hash).unwrap(), Some(1));
    assert_eq!(store.block(1).unwrap().unwrap().hash(), tip.hash);
    assert_eq!(store.cert(1).unwrap().unwrap().block_hash, tip.hash);
    assert_eq!(store.cert(0).unwrap(), None, "genesis has no certificate");
    assert_eq!(
        store.state_get(b"par/a").unwrap(),
        None,
        "deleted by block 1"
    );
    assert_eq!(
        store.state_get(b"par/c").unwrap().as_deref(),
        Some(&b"producer"[..])
    );
    // The map's root at each version is the header's, read back from the stored nodes.
    assert_eq!(ParentTree::at(&store, 1).root(), tip.state_root);
    assert_eq!(ParentTree::at(&store, 0).root(), genesis_tip.state_root);
    assert_ne!(tip.state_root, EMPTY_ROOT);
    let p = store.persisted_state().unwrap();
    assert_eq!(p.last.height, 1);
    assert_eq!(p.last.cert.unwrap().height, 1);
    assert_eq!(p.record, record(2));
    assert_eq!(p.sets, vec![(2, set())]);
}

#[test]
fn a_commit_that_is_not_the_tips_child_or_not_its_root_is_refused_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = genesis_store(dir.path());
    let tip = store.tip().unwrap();
    let writes = WriteSet(vec![(b"k".to_vec(), Some(b"v".to_vec()))]);
    let tree = state_tree_update(ParentTree::at(&store, 0), 1, &writes);
    let mut block = genesis_block(tree.root);
    block.header.height = 1;
    block.header.parent = Hash([9; 32]); // not the tip
    let cert = CommitCertificate {
        height: 1,
        view: 0,
        block_hash: block.hash(),
        votes: vec![],
    };
    let batch = |block: &Block, cert: &CommitCertificate| {
        store
            .commit(CommitBatch {
                block,
                cert,
                writes: &writes,
                tree: &tree,
                sets: &[],
                record: &record(2),
            })
            .unwrap_err()
            .to_string()
    };
    assert!(batch(&block, &cert).contains("not the child of the tip"));
    block.header.parent = tip.hash;
    block.header.state_root = Hash([1; 32]);
    let cert2 = CommitCertificate {
        block_hash: block.hash(),
        ..cert.clone()
    };
    assert!(batch(&block, &cert2).contains("state root"));
    block.header.state_root = tree.root;
    assert!(batch(&block, &cert).contains("certificate names another block"));
    assert_eq!(store.tip().unwrap(), tip);
    assert_eq!(store.state_get(b"k").unwrap(), None);
    assert_eq!(store.block(1).unwrap(), None);
}

#[test]
fn another_chains_directory_is_refused_naming_both_chains() {
    let dir = tempfile::tempdir().unwrap();
    let (store, identity) = genesis_store(dir.path());
    drop(store);
    let other = ChainIdentity {
        chain_id: ChainId::new("other-chain").unwrap(),
        genesis_hash: identity.genesis_hash,
    };
    let e = Store::open(dir.path(), &other, &StoreOptions::default()).unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, StorageError::ForeignChain { .. }), "{msg}");
    assert!(
        msg.contains("other-chain") && msg.contains("tracechain-test"),
        "{msg}"
    );
    let other_genesis = ChainIdentity {
        genesis_hash: Hash([3; 32]),
        ..identity.clone()
    };
    let e = Store::open(dir.path(), &other_genesis, &StoreOptions::default()).unwrap_err();
    assert!(matches!(e, StorageError::ForeignChain { .. }), "{e}");
    // The right identity still opens it: the refusals wrote nothing.
    Store::open(dir.path(), &identity, &StoreOptions::default()).unwrap();
}

#[test]
fn a_newer_schema_is_refused_with_both_versions() {
    let dir = tempfile::tempdir().unwrap();
    let (store, identity) = genesis_store(dir.path());
    store
        .db
        .put_cf(
            store.cf(cf::META),
            meta_key::SCHEMA,
            encode(&(SCHEMA_VERSION + 1)),
        )
        .unwrap();
    drop(store);
    let e = Store::open(dir.path(), &identity, &StoreOptions::default()).unwrap_err();
    assert!(matches!(e, StorageError::NewerSchema { found, .. } if found == SCHEMA_VERSION + 1));
    assert!(e
        .to_string()
        .contains(&format!("schema version {}", SCHEMA_VERSION + 1)));
}

#[test]
fn unreadable_metadata_or_a_missing_tip_is_reported_as_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let (store, identity) = genesis_store(dir.path());
    store
        .db
        .put_cf(store.cf(cf::META), meta_key::TIP, b"\x01\x02")
        .unwrap();
    drop(store);
    let e = Store::open(dir.path(), &identity, &StoreOptions::default()).unwrap_err();
    assert!(matches!(e, StorageError::Corrupt { .. }), "{e}");
    assert!(e.to_string().contains("column family meta, key tip"), "{e}");

    let dir = tempfile::tempdir().unwrap();
    let (store, identity) = genesis_store(dir.path());
    store
        .db
        .delete_cf(store.cf(cf::META), meta_key::TIP)
        .unwrap();
    drop(store);
    let e = Store::open(dir.path(), &identity, &StoreOptions::default()).unwrap_err();
    assert!(e.to_string().contains("metadata incomplete"), "{e}");

    // Blocks without any metadata: not a new directory.
    let dir = tempfile::tempdir().unwrap();
    let identity = test_identity();
    let store = Store::open(dir.path(), &identity, &StoreOptions::default()).unwrap();
    store
        .db
        .put_cf(store.cf(cf::BLOCKS), height_key(0), b"x")
        .unwrap();
    drop(store);
    let e = Store::open(dir.path(), &identity, &StoreOptions::default()).unwrap_err();
    assert!(
        e.to_string().contains("blocks or state without metadata"),
        "{e}"
    );
}

#[test]
fn a_damaged_data_file_stops_the_open_or_the_read_with_a_named_error() {
    let dir = tempfile::tempdir().unwrap();
    let (store, identity) = genesis_store(dir.path());
    for i in 0..50u32 {
        commit_next(
            &store,
            WriteSet(vec![(
                format!("k/{i:04}").into_bytes(),
                Some(vec![i as u8; 300]),
            )]),
        );
    }
    store.flush().unwrap();
    drop(store);
    // Overwrite the middle of every table file: RocksDB's block checksums must notice.
    let mut damaged = 0;
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "sst") {
            let mut bytes = std::fs::read(&path).unwrap();
            let mid = bytes.len() / 3;
            for b in &mut bytes[mid..mid + 64] {
                *b ^= 0x5a;
            }
            std::fs::write(&path, bytes).unwrap();
            damaged += 1;
        }
    }
    assert!(damaged > 0, "flushed tables exist");
    let outcome = Store::open(dir.path(), &identity, &StoreOptions::default()).and_then(|s| {
        for h in 0..=50 {
            s.block(h)?;
        }
        for i in 0..50u32 {
            s.state_get(format!("k/{i:04}").as_bytes())?;
        }
        Ok(())
    });
    let e = outcome.expect_err("a damaged table is noticed");
    assert!(
        matches!(e, StorageError::Rocks { .. } | StorageError::Corrupt { .. }),
        "{e}"
    );
    assert!(
        e.to_string().contains(&dir.path().display().to_string()),
        "{e}"
    );
}

#[test]
fn the_vote_record_and_its_blocks_survive_reopening_and_a_commit_clears_the_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let (store, identity) = genesis_store(dir.path());
    let b = genesis_block(Hash([5; 32]));
    store.store_vote_block(&b.hash(), &b).unwrap();
    let mut r = record(1);
    r.view = 3;
    store.persist_vote(&r).unwrap();
    drop(store);
    let store = Store::open(dir.path(), &identity, &StoreOptions::default()).unwrap();
    let p = store.persisted_state().unwrap();
    assert_eq!(p.record, r, "the latest record, not the genesis one");
    assert_eq!(p.blocks, vec![b]);
    commit_next(&store, WriteSet(vec![]));
    let p = store.persisted_state().unwrap();
    assert!(
        p.blocks.is_empty(),
        "blocks of a decided height are dropped"
    );
    assert_eq!(p.record, record(2));
}

#[test]
fn genesis_is_written_once_and_only_the_configured_one() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = genesis_store(dir.path());
    let writes = genesis_writes();
    let tree = state_tree_update(ParentTree::EMPTY, 0, &writes);
    let block = genesis_block(tree.root);
    let again = store.init_genesis(GenesisBatch {
        block: &block,
        writes: &writes,
        tree: &tree,
        set: &set(),
        record: &record(1),
    });
    assert!(again
        .unwrap_err()
        .to_string()
        .contains("genesis written twice"));

    let dir = tempfile::tempdir().unwrap();
    let identity = ChainIdentity {
        chain_id: chain(),
        genesis_hash: Hash([1; 32]),
    };
    let store = Store::open(dir.path(), &identity, &StoreOptions::default()).unwrap();
    let e = store
        .init_genesis(GenesisBatch {
            block: &block,
            writes: &writes,
            tree: &tree,
            set: &set(),
            record: &record(1),
        })
        .unwrap_err();
    assert!(e.to_string().contains("not the configured genesis"), "{e}");
    assert!(!store.is_initialised().unwrap());
}

#[test]
fn state_scans_agree_with_the_in_memory_state() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = genesis_store(dir.path());
    let mut mem = MemoryState::new();
    mem.apply(&genesis_writes());
    let mut writes = Vec::new();
    for i in 0..40u8 {
        let k = vec![b'p', i % 3, 0xff, i];
        writes.push((k, Some(vec![i])));
    }
    writes.push((vec![b'p', 0xff, 0xff], Some(vec![1])));
    writes.push((vec![b'q'], Some(vec![2])));
    writes.sort();
    let ws = WriteSet(writes);
    mem.apply(&ws);
    commit_next(&store, ws);
    let prefixes: [&[u8]; 6] = [b"", b"p", &[b'p', 1], &[b'p', 0xff], b"par/", b"zz"];
    for prefix in prefixes {
        let all = mem.scan(prefix, None, usize::MAX);
        let mut afters: Vec<Option<Vec<u8>>> = vec![None, Some(vec![]), Some(vec![0xff; 4])];
        afters.extend(all.iter().map(|(k, _)| Some(k.clone())));
        for after in &afters {
            for limit in [0, 1, 2, 7, 1000] {
                assert_eq!(
                    store.scan(prefix, after.as_deref(), limit),
                    mem.scan(prefix, after.as_deref(), limit),
                    "prefix {prefix:?} after {after:?} limit {limit}"
                );
            }
        }
    }
}

const CRASH_DIR: &str = "TRACECHAIN_STORAGE_CRASH_DIR";

/// Not a test by itself: the writer half of the crash test, run in a child process that the
/// parent kills with SIGKILL mid-stream.
#[test]
fn crash_writer() {
    let Ok(dir) = std::env::var(CRASH_DIR) else {
        return;
    };
    let dir = PathBuf::from(dir);
    let (store, _) = genesis_store(&dir);
    for i in 0u64.. {
        // Each block writes its height into the state: after recovery the state must say
        // exactly the tip's height, whatever the moment of the kill.
        commit_next(
            &store,
            WriteSet(vec![
                (b"height".to_vec(), Some(encode(&(i + 1)))),
                (format!("n/{:08}", i).into_bytes(), Some(vec![1; 512])),
            ]),
        );
        if i == 20 {
            std::fs::write(dir.join("ready"), b"").unwrap();
        }
    }
}

#[test]
fn after_kill_9_the_store_is_at_its_last_committed_block() {
    for round in 0..3 {
        let dir = tempfile::tempdir().unwrap();
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "tests::crash_writer", "--nocapture"])
            .env(CRASH_DIR, dir.path())
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let ready = dir.path().join("ready");
        let start = std::time::Instant::now();
        while !ready.exists() {
            assert!(start.elapsed().as_secs() < 60, "the writer never got going");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        std::thread::sleep(std::time::Duration::from_millis(20 * round));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();

        let identity = test_identity();
        let store = Store::open(dir.path(), &identity, &StoreOptions::default()).unwrap();
        let tip = store.tip().unwrap();
        assert!(tip.height > 20, "round {round}: tip {}", tip.height);
        let height: u64 = decode(&store.state_get(b"height").unwrap().unwrap(), 8).unwrap();
        assert_eq!(height, tip.height, "round {round}: state and tip agree");
        assert_eq!(store.block(tip.height).unwrap().unwrap().hash(), tip.hash);
        assert_eq!(store.block(tip.height + 1).unwrap(), None);
        assert!(store
            .state_get(format!("n/{:08}", tip.height).as_bytes())
            .unwrap()
            .is_none());
        assert_eq!(ParentTree::at(&store, tip.height).root(), tip.state_root);
        let p = store.persisted_state().unwrap();
        assert_eq!(p.record.height, tip.height + 1);
        // And it goes on from there.
        commit_next(&store, WriteSet(vec![]));
    }
}

#[test]
fn a_snapshot_reads_one_height_while_later_blocks_commit() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = genesis_store(dir.path());
    let first = commit_next(&store, WriteSet(vec![(b"k".to_vec(), Some(b"1".to_vec()))]));
    let snap = store.snapshot();
    let second = commit_next(&store, WriteSet(vec![(b"k".to_vec(), Some(b"2".to_vec()))]));
    assert_eq!(snap.tip().unwrap(), first);
    assert_eq!(snap.state_get(b"k").unwrap(), Some(b"1".to_vec()));
    assert!(snap.block(second.height).unwrap().is_none());
    assert!(snap.header(second.height).unwrap().is_none());
    assert_eq!(store.state_get(b"k").unwrap(), Some(b"2".to_vec()));
    // The header read alone is the stored block's header.
    let fresh = store.snapshot();
    for h in 0..=second.height {
        assert_eq!(
            fresh.header(h).unwrap(),
            fresh.block(h).unwrap().map(|b| b.header),
            "height {h}"
        );
    }
    assert_eq!(
        fresh.header(second.height).unwrap().unwrap().hash(),
        second.hash
    );
}

/// A store keeping the last `kept` state versions (ADR 0086), with the same genesis as
/// [`genesis_store`].
fn pruning_store(dir: &Path, kept: u64) -> Store {
    let opts = StoreOptions {
        state_versions_kept: kept,
        ..StoreOptions::default()
    };
    genesis_store_with(dir, &opts).0
}

fn node_count(store: &Store) -> usize {
    store
        .db
        .iterator_cf(store.cf(cf::STATE_NODES), IteratorMode::Start)
        .count()
}

#[test]
fn a_pruning_store_keeps_its_last_versions_provable_and_drops_the_older_ones() {
    let (kept_dir, pruned_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (all, _) = genesis_store(kept_dir.path());
    let pruned = pruning_store(pruned_dir.path(), 3);
    assert_eq!(pruned.state_kept_from().unwrap(), 0);
    let mut tips = Vec::new();
    for h in 1..=30u64 {
        let writes = WriteSet(vec![
            (b"k".to_vec(), Some(h.to_be_bytes().to_vec())),
            (format!("u/{}", h % 7).into_bytes(), Some(vec![h as u8])),
        ]);
        let a = commit_next(&all, writes.clone());
        let p = commit_next(&pruned, writes);
        assert_eq!(a.state_root, p.state_root, "height {h}: the same state");
        tips.push(p);
    }
    // The versions before the last three are gone; the last three prove, against the very
    // roots a store keeping every version gives.
    assert_eq!(pruned.state_kept_from().unwrap(), 28);
    assert!(
        node_count(&pruned) * 3 < node_count(&all),
        "{} nodes kept of {}",
        node_count(&pruned),
        node_count(&all)
    );
    let snap = pruned.snapshot();
    assert_eq!(snap.state_kept_from().unwrap(), 28);
    for t in &tips[27..] {
        let p = tracechain_types::state_map::prove(&snap, t.height, b"k").unwrap();
        let root = tracechain_types::state_map::root_from_proof(b"k", &p).unwrap();
        assert_eq!(root, t.state_root, "height {}", t.height);
        assert_eq!(p.value(), Some(&t.height.to_be_bytes()[..]));
    }
    for t in &tips[..27] {
        let gone = tracechain_types::state_map::prove(&snap, t.height, b"k")
            .ok()
            .and_then(|p| tracechain_types::state_map::root_from_proof(b"k", &p).ok());
        assert_ne!(gone, Some(t.state_root), "height {} is pruned", t.height);
    }
    // The next block still executes on the tip, and the setting survives a reopen.
    drop(snap);
    drop(pruned);
    let opts = StoreOptions {
        state_versions_kept: 3,
        ..StoreOptions::default()
    };
    let pruned = Store::open(pruned_dir.path(), &test_identity(), &opts).unwrap();
    assert_eq!(pruned.state_kept_from().unwrap(), 28);
    let w = WriteSet(vec![(b"k".to_vec(), None)]);
    assert_eq!(
        commit_next(&all, w.clone()).state_root,
        commit_next(&pruned, w).state_root
    );
    assert_eq!(pruned.state_kept_from().unwrap(), 29);
}
