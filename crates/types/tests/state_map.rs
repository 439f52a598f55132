//! The authenticated state map (ADR 0050): roots against a reference model, proofs of present
//! and absent keys, history independence, old versions, pruning, and tampering.

use std::collections::BTreeMap;

use proptest::prelude::*;
use tracechain_types::state_map::{
    self, key_hash, leaf_hash, node_hash, root_from_proof, tree, value_hash, verify,
    verify_encoded, MemoryNodeStore, ProofError, ProofLeaf, StateProof, Write, EMPTY_ROOT,
    MAX_STATE_PROOF_BYTES,
};
use tracechain_types::{
    commit_signing_bytes, encode, BlockHeader, ChainId, CommitCertificate, CommitVote, Hash,
    SecretKey, Validator, ValidatorSet,
};

/// The root of a set of pairs computed directly from the definition (ADR 0050).
fn model_root(map: &BTreeMap<Vec<u8>, Vec<u8>>) -> Hash {
    let mut leaves: Vec<(Hash, Hash)> = map
        .iter()
        .map(|(k, v)| (key_hash(k), value_hash(v)))
        .collect();
    leaves.sort();
    fn sub(leaves: &[(Hash, Hash)], depth: usize) -> Hash {
        match leaves.len() {
            0 => EMPTY_ROOT,
            1 => leaf_hash(&leaves[0].0, &leaves[0].1),
            _ => {
                let split = leaves.partition_point(|(k, _)| !state_map::bit(k, depth));
                node_hash(
                    &sub(&leaves[..split], depth + 1),
                    &sub(&leaves[split..], depth + 1),
                )
            }
        }
    }
    sub(&leaves, 0)
}

/// The map's leaves `(key path, value hash, value)`, sorted by path.
fn model_leaves(map: &BTreeMap<Vec<u8>, Vec<u8>>) -> Vec<(Hash, Hash, Vec<u8>)> {
    let mut leaves: Vec<(Hash, Hash, Vec<u8>)> = map
        .iter()
        .map(|(k, v)| (key_hash(k), value_hash(v), v.clone()))
        .collect();
    leaves.sort();
    leaves
}

/// The proof of `key` computed directly from the definition (ADR 0050) over the map's sorted
/// leaves: the siblings on the key's path from the root's children down, then what the path
/// ends in.
fn model_proof_in(leaves: &[(Hash, Hash, Vec<u8>)], key: &[u8]) -> StateProof {
    fn sub(leaves: &[(Hash, Hash, Vec<u8>)], depth: usize) -> Hash {
        match leaves.len() {
            0 => EMPTY_ROOT,
            1 => leaf_hash(&leaves[0].0, &leaves[0].1),
            _ => {
                let split = leaves.partition_point(|(k, _, _)| !state_map::bit(k, depth));
                node_hash(
                    &sub(&leaves[..split], depth + 1),
                    &sub(&leaves[split..], depth + 1),
                )
            }
        }
    }
    let kh = key_hash(key);
    let mut rest: &[(Hash, Hash, Vec<u8>)] = leaves;
    let mut siblings = Vec::new();
    let mut depth = 0;
    let leaf = loop {
        match rest.len() {
            0 => break ProofLeaf::AbsentEmpty,
            1 if rest[0].0 == kh => {
                break ProofLeaf::Present {
                    value: rest[0].2.clone(),
                }
            }
            1 => {
                break ProofLeaf::AbsentOther {
                    key_hash: rest[0].0,
                    value_hash: rest[0].1,
                }
            }
            _ => {
                let split = rest.partition_point(|(k, _, _)| !state_map::bit(k, depth));
                let (l, r) = rest.split_at(split);
                if state_map::bit(&kh, depth) {
                    siblings.push(sub(l, depth + 1));
                    rest = r;
                } else {
                    siblings.push(sub(r, depth + 1));
                    rest = l;
                }
                depth += 1;
            }
        }
    };
    StateProof {
        version: state_map::STATE_PROOF_VERSION,
        siblings,
        leaf,
    }
}

fn writes(batch: &[(Vec<u8>, Option<Vec<u8>>)]) -> Vec<Write> {
    batch
        .iter()
        .map(|(k, v)| Write::new(k, v.clone()))
        .collect()
}

/// Keys from a small alphabet so batches hit existing keys, delete them and re-create them.
fn arb_batch() -> impl Strategy<Value = Vec<(Vec<u8>, Option<Vec<u8>>)>> {
    proptest::collection::vec(
        (
            (0u16..300).prop_map(|k| format!("k{k}").into_bytes()),
            proptest::option::weighted(0.75, proptest::collection::vec(any::<u8>(), 0..8)),
        ),
        0..40,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Every version's root equals the model's root of the map at that version, and proofs of
    /// present and absent keys lead to it with the right value.
    #[test]
    fn roots_match_the_model_and_proofs_verify(batches in proptest::collection::vec(arb_batch(), 1..6)) {
        let mut store = MemoryNodeStore::new();
        let mut model = BTreeMap::new();
        let mut history = Vec::new();
        for (i, batch) in batches.iter().enumerate() {
            for (k, v) in batch {
                match v {
                    Some(v) => { model.insert(k.clone(), v.clone()); }
                    None => { model.remove(k); }
                }
            }
            let version = i as u64 + 1;
            let root = store.apply(version, writes(batch)).unwrap();
            prop_assert_eq!(root, model_root(&model));
            history.push((version, root, model.clone()));
        }
        // Proofs at every kept version, for every key ever named plus some never named.
        for (version, root, map) in &history {
            for k in (0u16..300).step_by(7).map(|k| format!("k{k}").into_bytes()).chain([b"never".to_vec()]) {
                let proof = store.prove(*version, &k).unwrap();
                prop_assert_eq!(root_from_proof(&k, &proof).unwrap(), *root);
                prop_assert_eq!(proof.value(), map.get(&k).map(Vec::as_slice));
            }
        }
    }

    /// The root depends only on the final map: any order of the writes within a version, and
    /// any split of the same writes into versions, gives the same root.
    #[test]
    fn roots_are_independent_of_order_and_batching(
        batch in arb_batch(), seed in any::<u64>(), cut in 0usize..40,
    ) {
        // Keep one write per key so that order cannot change the final value.
        let unique: BTreeMap<Vec<u8>, Option<Vec<u8>>> = batch.into_iter().collect();
        let forward: Vec<_> = unique.into_iter().collect();
        let mut shuffled = forward.clone();
        let mut s = seed;
        for i in (1..shuffled.len()).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            shuffled.swap(i, (s >> 33) as usize % (i + 1));
        }
        let mut a = MemoryNodeStore::new();
        let mut b = MemoryNodeStore::new();
        let mut c = MemoryNodeStore::new();
        let ra = a.apply(1, writes(&forward)).unwrap();
        let rb = b.apply(7, writes(&shuffled)).unwrap();
        let cut = cut.min(forward.len());
        c.apply(1, writes(&forward[..cut])).unwrap();
        let rc = c.apply(2, writes(&forward[cut..])).unwrap();
        prop_assert_eq!(ra, rb);
        prop_assert_eq!(ra, rc);
    }

    /// Changing any byte of an encoded proof makes it fail or prove something else about the
    /// key than before, never the same value under a different claim.
    #[test]
    fn any_changed_proof_byte_fails(batch in arb_batch(), probe in 0u16..300, pos in any::<usize>(), flip in 1u8..=255) {
        let mut store = MemoryNodeStore::new();
        let root = store.apply(1, writes(&batch)).unwrap();
        let key = format!("k{probe}").into_bytes();
        let proof = store.prove(1, &key).unwrap();
        let mut bytes = encode(&proof);
        let i = pos % bytes.len();
        bytes[i] ^= flip;
        let outcome = StateProof::decode(&bytes).and_then(|p| root_from_proof(&key, &p));
        prop_assert_ne!(outcome, Ok(root));
    }

    /// A proof for one key proves nothing false about another key, and a changed value fails.
    #[test]
    fn changed_key_value_or_root_fails(batch in arb_batch(), probe in 0u16..300, other in 0u16..300) {
        prop_assume!(probe != other);
        let mut store = MemoryNodeStore::new();
        let root = store.apply(1, writes(&batch)).unwrap();
        let key = format!("k{probe}").into_bytes();
        let proof = store.prove(1, &key).unwrap();
        let other_key = format!("k{other}").into_bytes();
        // It may only prove something about another key when that is true there as well (an
        // empty subtree on a shared path also shows the other key absent).
        if root_from_proof(&other_key, &proof) == Ok(root) {
            prop_assert_eq!(proof.value(), None);
            prop_assert_eq!(store.get(1, &other_key).unwrap(), None);
        }
        if let ProofLeaf::Present { value } = &proof.leaf {
            let mut forged = proof.clone();
            let mut v = value.clone();
            v.push(0);
            forged.leaf = ProofLeaf::Present { value: v };
            prop_assert_ne!(root_from_proof(&key, &forged), Ok(root));
            // Claiming absence of a present key fails too.
            let mut absent = proof.clone();
            absent.leaf = ProofLeaf::AbsentEmpty;
            prop_assert_ne!(root_from_proof(&key, &absent), Ok(root));
        } else {
            let mut forged = proof.clone();
            forged.leaf = ProofLeaf::Present { value: vec![] };
            prop_assert_ne!(root_from_proof(&key, &forged), Ok(root));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// With a larger map (several levels of stored pages), versions that put, overwrite and
    /// delete, and pruning of every older version after each one: every root and every proof,
    /// byte for byte, equals the one computed from the definition.
    #[test]
    fn stored_layout_gives_the_model_roots_and_proofs(
        batches in proptest::collection::vec(
            proptest::collection::vec(
                (0u16..1_500, proptest::option::weighted(0.7, proptest::collection::vec(any::<u8>(), 0..6))),
                0..300,
            ),
            1..5,
        ),
        probes in proptest::collection::vec(0u16..1_600, 12),
    ) {
        let mut store = MemoryNodeStore::new();
        let mut model = BTreeMap::new();
        for (i, batch) in batches.iter().enumerate() {
            let batch: Vec<_> = batch
                .iter()
                .map(|(k, v)| (format!("key/{k}").into_bytes(), v.clone()))
                .collect();
            for (k, v) in &batch {
                match v {
                    Some(v) => { model.insert(k.clone(), v.clone()); }
                    None => { model.remove(k); }
                }
            }
            let version = i as u64 + 1;
            let root = store.apply(version, writes(&batch)).unwrap();
            prop_assert_eq!(root, model_root(&model));
            store.prune(version);
            prop_assert_eq!(store.root(version).unwrap(), root);
            let leaves = model_leaves(&model);
            let named = batch.iter().map(|(k, _)| k.clone()).take(12);
            let probed = probes.iter().map(|k| format!("key/{k}").into_bytes());
            for k in named.chain(probed) {
                let proof = store.prove(version, &k).unwrap();
                prop_assert_eq!(encode(&proof), encode(&model_proof_in(&leaves, &k)));
            }
        }
    }
}

#[test]
fn empty_map_and_single_key() {
    let mut store = MemoryNodeStore::new();
    assert_eq!(store.apply(0, vec![]).unwrap(), EMPTY_ROOT);
    let p = store.prove(0, b"a").unwrap();
    assert_eq!(p.leaf, ProofLeaf::AbsentEmpty);
    assert!(p.siblings.is_empty());
    let r = store
        .apply(1, writes(&[(b"a".to_vec(), Some(b"1".to_vec()))]))
        .unwrap();
    assert_eq!(r, leaf_hash(&key_hash(b"a"), &value_hash(b"1")));
    let p = store.prove(1, b"b").unwrap();
    assert!(matches!(p.leaf, ProofLeaf::AbsentOther { .. }));
    assert_eq!(root_from_proof(b"b", &p), Ok(r));
    // Deleting the only key gives the empty map again.
    assert_eq!(
        store.apply(2, writes(&[(b"a".to_vec(), None)])).unwrap(),
        EMPTY_ROOT
    );
    // A version that writes nothing keeps the root.
    assert_eq!(store.apply(3, vec![]).unwrap(), EMPTY_ROOT);
    assert_eq!(store.root(1).unwrap(), r);
}

#[test]
fn old_versions_stay_provable_and_pruning_keeps_later_ones() {
    let mut store = MemoryNodeStore::new();
    let mut roots = Vec::new();
    for v in 0..20u64 {
        let batch: Vec<_> = (0..50u64)
            .map(|i| {
                let k = format!("key{}", (i * 7 + v * 13) % 200).into_bytes();
                let val = if (i + v) % 5 == 0 {
                    None
                } else {
                    Some(format!("{v}:{i}").into_bytes())
                };
                (k, val)
            })
            .collect();
        roots.push(store.apply(v, writes(&batch)).unwrap());
    }
    for (v, root) in roots.iter().enumerate() {
        assert_eq!(store.root(v as u64).unwrap(), *root);
        let p = store.prove(v as u64, b"key13").unwrap();
        assert_eq!(root_from_proof(b"key13", &p), Ok(*root));
    }
    let before = store.node_count();
    store.prune(15);
    assert!(store.node_count() < before);
    for v in 15..20u64 {
        assert_eq!(store.root(v).unwrap(), roots[v as usize]);
        for k in 0..200u64 {
            let key = format!("key{k}").into_bytes();
            let p = store.prove(v, &key).unwrap();
            assert_eq!(root_from_proof(&key, &p), Ok(roots[v as usize]));
        }
    }
    assert!(store.root(3).is_err(), "version 3 was pruned");
}

#[test]
fn versions_must_increase() {
    let mut store = MemoryNodeStore::new();
    store.apply(5, vec![]).unwrap();
    let e = tree::apply(&store, Some(5), 5, vec![]).unwrap_err();
    assert!(e.to_string().contains("does not follow"), "{e}");
}

fn secret(i: u8) -> SecretKey {
    SecretKey::from_seed([i; 32])
}

fn validators() -> ValidatorSet {
    ValidatorSet::new(
        (1..=4)
            .map(|i| Validator {
                public_key: secret(i).public(),
                name: format!("agency-{i}"),
            })
            .collect(),
    )
    .unwrap()
}

fn certify(header: &BlockHeader, signers: &[u8]) -> CommitCertificate {
    let hash = header.hash();
    let msg = commit_signing_bytes(&header.chain_id, header.height, header.view, &hash);
    let mut votes: Vec<CommitVote> = signers
        .iter()
        .map(|i| CommitVote {
            validator: secret(*i).public(),
            signature: secret(*i).sign(&msg),
        })
        .collect();
    votes.sort_by_key(|v| v.validator);
    CommitCertificate {
        height: header.height,
        view: header.view,
        block_hash: hash,
        votes,
    }
}

fn header(state_root: Hash, set: &ValidatorSet) -> BlockHeader {
    BlockHeader {
        chain_id: ChainId::new("tracechain-test").unwrap(),
        height: 9,
        view: 0,
        parent: Hash::digest(b"parent"),
        timestamp_ms: 1_700_000_000_000,
        tx_root: EMPTY_ROOT,
        state_root,
        proposer: secret(1).public(),
        validator_set_hash: set.hash(),
    }
}

#[test]
fn verify_checks_certificate_set_and_root_with_clear_reasons() {
    let mut store = MemoryNodeStore::new();
    let batch: Vec<_> = (0..100u32)
        .map(|i| (format!("k{i}").into_bytes(), Some(i.to_le_bytes().to_vec())))
        .collect();
    let root = store.apply(9, writes(&batch)).unwrap();
    let set = validators();
    let h = header(root, &set);
    let cert = certify(&h, &[1, 2, 3]);
    let present = store.prove(9, b"k42").unwrap();
    let absent = store.prove(9, b"k1000").unwrap();
    assert_eq!(
        verify(&h, &cert, &set, b"k42", &present),
        Ok(Some(42u32.to_le_bytes().to_vec()))
    );
    assert_eq!(verify(&h, &cert, &set, b"k1000", &absent), Ok(None));
    assert_eq!(
        verify_encoded(&h, &cert, &set, b"k42", &encode(&present)),
        Ok(Some(42u32.to_le_bytes().to_vec()))
    );

    // A proof of another key.
    assert!(matches!(
        verify(&h, &cert, &set, b"k43", &present),
        Err(ProofError::RootMismatch { .. })
    ));
    // A changed value.
    let mut forged = present.clone();
    forged.leaf = ProofLeaf::Present {
        value: 43u32.to_le_bytes().to_vec(),
    };
    assert!(matches!(
        verify(&h, &cert, &set, b"k42", &forged),
        Err(ProofError::RootMismatch { .. })
    ));
    // A changed sibling.
    let mut forged = present.clone();
    forged.siblings[0].0[5] ^= 1;
    assert!(matches!(
        verify(&h, &cert, &set, b"k42", &forged),
        Err(ProofError::RootMismatch { .. })
    ));
    // A header with another state root: the certificate no longer certifies it.
    let mut other = h.clone();
    other.state_root = Hash::digest(b"another root");
    let e = verify(&other, &cert, &set, b"k42", &present).unwrap_err();
    assert!(matches!(e, ProofError::Certificate(_)), "{e}");
    // A certificate without a quorum.
    let e = verify(&h, &certify(&h, &[1, 2]), &set, b"k42", &present).unwrap_err();
    assert!(e.to_string().contains("quorum is 3"), "{e}");
    // Another validator set.
    let small = ValidatorSet::new(vec![Validator {
        public_key: secret(9).public(),
        name: "x".into(),
    }])
    .unwrap();
    assert!(matches!(
        verify(&h, &cert, &small, b"k42", &present),
        Err(ProofError::WrongValidatorSet { .. })
    ));
    // A forged signature.
    let mut bad = cert.clone();
    bad.votes[1].signature = secret(9).sign(b"something else");
    let e = verify(&h, &bad, &set, b"k42", &present).unwrap_err();
    assert!(e.to_string().contains("does not verify"), "{e}");
    // Unknown format version, oversize and trailing bytes.
    let mut v2 = present.clone();
    v2.version = 2;
    assert_eq!(
        verify(&h, &cert, &set, b"k42", &v2),
        Err(ProofError::UnsupportedVersion { got: 2 })
    );
    let mut bytes = encode(&present);
    bytes.push(0);
    assert!(matches!(
        verify_encoded(&h, &cert, &set, b"k42", &bytes),
        Err(ProofError::Decode(_))
    ));
    let huge = vec![0u8; MAX_STATE_PROOF_BYTES + 1];
    assert!(matches!(
        verify_encoded(&h, &cert, &set, b"k42", &huge),
        Err(ProofError::Decode(_))
    ));
    // Exclusion proofs: claiming the key's own leaf, or a leaf off the key's path.
    assert_eq!(absent.value(), None);
    let mut own = absent.clone();
    own.leaf = ProofLeaf::AbsentOther {
        key_hash: key_hash(b"k1000"),
        value_hash: Hash::ZERO,
    };
    assert_eq!(
        verify(&h, &cert, &set, b"k1000", &own),
        Err(ProofError::OtherLeafIsTheKey)
    );
    let mut off = absent.clone();
    let mut far = key_hash(b"k1000");
    far.0[0] ^= 0x80;
    off.leaf = ProofLeaf::AbsentOther {
        key_hash: far,
        value_hash: Hash::ZERO,
    };
    assert!(matches!(
        verify(&h, &cert, &set, b"k1000", &off),
        Err(ProofError::OtherLeafOffPath { shared: 0, .. })
    ));
    // A non-canonical proof (leaf pushed one level down with an empty sibling).
    let mut deeper = present.clone();
    deeper.siblings.push(EMPTY_ROOT);
    assert_eq!(
        verify(&h, &cert, &set, b"k42", &deeper),
        Err(ProofError::NotCanonical)
    );
    let mut deep = present.clone();
    deep.siblings = vec![Hash::digest(b"x"); 257];
    assert_eq!(
        verify(&h, &cert, &set, b"k42", &deep),
        Err(ProofError::TooDeep(257))
    );
}
