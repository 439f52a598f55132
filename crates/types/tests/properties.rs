//! Property tests of the core types: canonical round trips, strict decoding, signatures bound to
//! the chain id and to every bit of the transaction.

use proptest::prelude::*;
use tracechain_types::block::tx_leaf;
use tracechain_types::crypto::SignatureVerifier;
use tracechain_types::payload::ValidatorSetChange;
use tracechain_types::ChainRecord;
use tracechain_types::*;

const LIMIT: usize = 1 << 20;

fn key(seed: u8) -> SecretKey {
    SecretKey::from_seed([seed; 32])
}

fn arb_hash() -> impl Strategy<Value = Hash> {
    any::<[u8; 32]>().prop_map(Hash)
}

fn arb_chain() -> impl Strategy<Value = ChainId> {
    "[a-z0-9._-]{1,64}".prop_map(|s| ChainId::new(s).expect("valid by construction"))
}

fn arb_set() -> impl Strategy<Value = ValidatorSet> {
    proptest::collection::btree_set(1u8..=255, 1..8).prop_map(|seeds| {
        ValidatorSet::new(
            seeds
                .into_iter()
                .map(|s| Validator {
                    public_key: key(s).public(),
                    name: format!("agency-{s}"),
                })
                .collect(),
        )
        .expect("distinct strong keys")
    })
}

fn arb_body() -> impl Strategy<Value = TxBody> {
    (
        any::<u8>(),
        any::<u64>(),
        any::<u64>(),
        arb_set(),
        0usize..4,
    )
        .prop_map(|(signer, sequence, expiry_height, new_set, n_approvals)| {
            let approvals = (0..n_approvals)
                .map(|i| {
                    let k = key(i as u8 + 100);
                    (k.public(), k.sign(new_set.hash().as_bytes()))
                })
                .collect();
            TxBody {
                signer: key(signer).public(),
                sequence,
                expiry_height,
                payload: Payload::Chain(ChainRecord::ValidatorSetChange(ValidatorSetChange {
                    new_set,
                    approvals,
                })),
            }
        })
}

fn arb_tx() -> impl Strategy<Value = (ChainId, Transaction)> {
    (arb_chain(), arb_body(), any::<u8>()).prop_map(|(chain, mut body, seed)| {
        let k = key(seed);
        body.signer = k.public();
        let tx = body.sign(&chain, &k);
        (chain, tx)
    })
}

fn arb_header() -> impl Strategy<Value = BlockHeader> {
    (
        arb_chain(),
        any::<u64>(),
        any::<u64>(),
        arb_hash(),
        any::<u64>(),
        arb_hash(),
        arb_hash(),
        any::<u8>(),
        arb_hash(),
    )
        .prop_map(
            |(chain_id, height, view, parent, timestamp_ms, tx_root, state_root, p, vs)| {
                BlockHeader {
                    chain_id,
                    height,
                    view,
                    parent,
                    timestamp_ms,
                    tx_root,
                    state_root,
                    proposer: key(p).public(),
                    validator_set_hash: vs,
                }
            },
        )
}

fn arb_cert() -> impl Strategy<Value = CommitCertificate> {
    (
        any::<u64>(),
        any::<u64>(),
        arb_hash(),
        proptest::collection::btree_set(any::<u8>(), 0..8),
    )
        .prop_map(|(height, view, block_hash, seeds)| {
            let mut votes: Vec<CommitVote> = seeds
                .into_iter()
                .map(|s| CommitVote {
                    validator: key(s).public(),
                    signature: Signature([s; 64]),
                })
                .collect();
            votes.sort_by_key(|v| v.validator);
            CommitCertificate {
                height,
                view,
                block_hash,
                votes,
            }
        })
}

/// Round trip plus strictness: decode(encode(v)) == v, and every truncation fails.
fn round_trip<T>(v: &T) -> Result<(), TestCaseError>
where
    T: borsh::BorshSerialize + borsh::BorshDeserialize + PartialEq + std::fmt::Debug,
{
    let bytes = encode(v);
    let back: T = decode(&bytes, LIMIT).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(&back, v);
    prop_assert_eq!(encode(&back), bytes.clone());
    for cut in [0, 1, bytes.len() / 2, bytes.len().saturating_sub(1)] {
        if cut < bytes.len() {
            prop_assert!(
                decode::<T>(&bytes[..cut], LIMIT).is_err(),
                "truncated at {} decoded",
                cut
            );
        }
    }
    let mut longer = bytes.clone();
    longer.push(0);
    prop_assert!(
        decode::<T>(&longer, LIMIT).is_err(),
        "trailing byte accepted"
    );
    let too_large = matches!(
        decode::<T>(&bytes, bytes.len() - 1),
        Err(DecodeError::TooLarge { .. })
    );
    prop_assert!(
        too_large,
        "input above the limit was not refused as too large"
    );
    Ok(())
}

/// Decoding arbitrary bytes never panics; when it succeeds the encoding is canonical.
fn decode_is_canonical<T>(bytes: &[u8]) -> Result<(), TestCaseError>
where
    T: borsh::BorshSerialize + borsh::BorshDeserialize,
{
    if let Ok(v) = decode::<T>(bytes, LIMIT) {
        prop_assert_eq!(encode(&v), bytes.to_vec());
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn transaction_round_trips((_, tx) in arb_tx()) { round_trip(&tx)?; }

    #[test]
    fn header_round_trips(h in arb_header()) { round_trip(&h)?; }

    #[test]
    fn block_round_trips(h in arb_header(), txs in proptest::collection::vec(arb_tx(), 0..4)) {
        let block = Block { header: h, txs: txs.into_iter().map(|(_, t)| t).collect() };
        round_trip(&block)?;
    }

    #[test]
    fn certificate_round_trips(c in arb_cert()) { round_trip(&c)?; }

    #[test]
    fn validator_set_round_trips(s in arb_set()) { round_trip(&s)?; }

    #[test]
    fn chain_id_and_hash_round_trip(c in arb_chain(), h in arb_hash()) {
        round_trip(&c)?;
        round_trip(&h)?;
    }

    #[test]
    fn merkle_proof_round_trips(n in 1usize..40, i in 0usize..40) {
        let leaves: Vec<Hash> = (0..n).map(|j| Hash::digest(&[j as u8])).collect();
        let p = MerkleProof::build(&leaves, i % n).expect("in range");
        round_trip(&p)?;
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        decode_is_canonical::<Transaction>(&bytes)?;
        decode_is_canonical::<Block>(&bytes)?;
        decode_is_canonical::<BlockHeader>(&bytes)?;
        decode_is_canonical::<CommitCertificate>(&bytes)?;
        decode_is_canonical::<ValidatorSet>(&bytes)?;
        decode_is_canonical::<ChainId>(&bytes)?;
        decode_is_canonical::<MerkleProof>(&bytes)?;
        decode_is_canonical::<TxBody>(&bytes)?;
        decode_is_canonical::<Payload>(&bytes)?;
        decode_is_canonical::<CommitVote>(&bytes)?;
        decode_is_canonical::<Validator>(&bytes)?;
        decode_is_canonical::<PublicKey>(&bytes)?;
        decode_is_canonical::<Signature>(&bytes)?;
    }

    #[test]
    fn mutated_blocks_certificates_and_sets_never_panic(
        h in arb_header(),
        txs in proptest::collection::vec(arb_tx(), 0..3),
        c in arb_cert(),
        s in arb_set(),
        muts in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..4),
    ) {
        let block = Block { header: h, txs: txs.into_iter().map(|(_, t)| t).collect() };
        for mut bytes in [encode(&block), encode(&c), encode(&s)] {
            for (pos, byte) in &muts {
                let p = pos % bytes.len();
                bytes[p] = *byte;
            }
            decode_is_canonical::<Block>(&bytes)?;
            decode_is_canonical::<CommitCertificate>(&bytes)?;
            decode_is_canonical::<ValidatorSet>(&bytes)?;
        }
    }

    #[test]
    fn mutated_valid_encodings_never_panic((_, tx) in arb_tx(), pos in any::<usize>(), byte in any::<u8>()) {
        // Flipping a byte of a valid encoding exercises deep decoder paths (lengths, tags).
        let mut bytes = encode(&tx);
        let p = pos % bytes.len();
        bytes[p] = byte;
        decode_is_canonical::<Transaction>(&bytes)?;
    }

    #[test]
    fn signature_for_one_chain_fails_under_another((chain, tx) in arb_tx(), other in arb_chain()) {
        prop_assert!(tx.verify(&chain).is_ok());
        prop_assume!(other != chain);
        prop_assert!(tx.verify(&other).is_err());
    }

    #[test]
    fn any_flipped_bit_fails_verification((chain, tx) in arb_tx(), bit in any::<usize>()) {
        let mut bytes = encode(&tx);
        let b = bit % (bytes.len() * 8);
        bytes[b / 8] ^= 1 << (b % 8);
        // Either the bytes no longer decode, or the decoded transaction does not verify.
        if let Ok(t) = decode::<Transaction>(&bytes, LIMIT) {
            prop_assert!(t.verify(&chain).is_err(), "bit {} flipped and still verified", b);
        }
    }

    #[test]
    fn batch_agrees_with_single(
        txs in proptest::collection::vec(arb_tx(), 1..6),
        corrupt in proptest::option::of(any::<usize>()),
    ) {
        let chain = ChainId::new("tracechain-test").expect("valid");
        let mut signed: Vec<Transaction> = txs
            .into_iter()
            .enumerate()
            .map(|(i, (_, t))| {
                let k = key(i as u8);
                let mut body = t.body;
                body.signer = k.public();
                body.sign(&chain, &k)
            })
            .collect();
        if let Some(c) = corrupt {
            let i = c % signed.len();
            signed[i].signature.0[c % 64] ^= 0x10;
        }
        let single = signed.iter().all(|t| t.verify(&chain).is_ok());
        prop_assert_eq!(Transaction::verify_all(&signed, &chain, &Ed25519), single);
    }
}

#[test]
fn transaction_id_ignores_signature_but_leaf_covers_it() {
    let chain = ChainId::new("tracechain-test").expect("valid");
    let k = key(7);
    let set = ValidatorSet::new(vec![Validator {
        public_key: k.public(),
        name: "customs".into(),
    }])
    .expect("valid");
    let body = TxBody {
        signer: k.public(),
        sequence: 0,
        expiry_height: 10,
        payload: Payload::Chain(ChainRecord::ValidatorSetChange(ValidatorSetChange {
            new_set: set,
            approvals: vec![],
        })),
    };
    let tx = body.sign(&chain, &k);
    let mut other = tx.clone();
    other.signature.0[0] ^= 1;
    assert_eq!(tx.id(), other.id());
    assert_ne!(tx_leaf(&tx), tx_leaf(&other));
}

#[test]
fn weak_keys_are_refused_at_registration() {
    // The identity point (encoding of y = 1) and the point of order 2 (y = -1) have small order.
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let mut minus_one = [0xffu8; 32];
    minus_one[0] = 0xec;
    minus_one[31] = 0x7f;
    for bytes in [identity, minus_one] {
        let pk = PublicKey(bytes);
        assert!(
            matches!(pk.check_registrable(), Err(crypto::CryptoError::WeakKey(_))),
            "{pk} accepted"
        );
        let set = ValidatorSet::new(vec![Validator {
            public_key: pk,
            name: "weak".into(),
        }]);
        assert!(set.is_err());
    }
    assert!(key(1).public().check_registrable().is_ok());
}

#[test]
fn certificate_checks_quorum_membership_order_and_signatures() {
    let chain = ChainId::new("tracechain-test").expect("valid");
    let keys: Vec<SecretKey> = (1..=4).map(key).collect();
    let set = ValidatorSet::new(
        keys.iter()
            .enumerate()
            .map(|(i, k)| Validator {
                public_key: k.public(),
                name: format!("v{i}"),
            })
            .collect(),
    )
    .expect("valid");
    let block_hash = Hash::digest(b"block");
    let msg = commit_signing_bytes(&chain, 5, 2, &block_hash);
    let mut votes: Vec<CommitVote> = keys
        .iter()
        .map(|k| CommitVote {
            validator: k.public(),
            signature: k.sign(&msg),
        })
        .collect();
    votes.sort_by_key(|v| v.validator);
    let cert = |v: &[CommitVote]| CommitCertificate {
        height: 5,
        view: 2,
        block_hash,
        votes: v.to_vec(),
    };
    assert_eq!(set.quorum(), 3);
    assert!(cert(&votes)
        .verify(&chain, 5, &block_hash, &set, &Ed25519)
        .is_ok());
    assert!(cert(&votes[..3])
        .verify(&chain, 5, &block_hash, &set, &Ed25519)
        .is_ok());
    assert!(matches!(
        cert(&votes[..2]).verify(&chain, 5, &block_hash, &set, &Ed25519),
        Err(block::CertificateError::NoQuorum { got: 2, need: 3 })
    ));
    let dup = vec![votes[0].clone(), votes[0].clone(), votes[1].clone()];
    assert!(matches!(
        cert(&dup).verify(&chain, 5, &block_hash, &set, &Ed25519),
        Err(block::CertificateError::NotCanonical)
    ));
    let mut bad = votes.clone();
    bad[2].signature.0[5] ^= 1;
    assert!(matches!(
        cert(&bad).verify(&chain, 5, &block_hash, &set, &Ed25519),
        Err(block::CertificateError::BadSignature(k)) if k == votes[2].validator
    ));
    let outsider = key(99);
    let mut foreign = votes[..3].to_vec();
    foreign.push(CommitVote {
        validator: outsider.public(),
        signature: outsider.sign(&msg),
    });
    foreign.sort_by_key(|v| v.validator);
    assert!(matches!(
        cert(&foreign).verify(&chain, 5, &block_hash, &set, &Ed25519),
        Err(block::CertificateError::NotAValidator(_))
    ));
    assert!(cert(&votes)
        .verify(&chain, 6, &block_hash, &set, &Ed25519)
        .is_err());
    let other_chain = ChainId::new("tracechain-other").expect("valid");
    assert!(cert(&votes)
        .verify(&other_chain, 5, &block_hash, &set, &Ed25519)
        .is_err());
    // A verifier must agree single vs batch: check the trait default too.
    let items: Vec<(PublicKey, &[u8], Signature)> = votes
        .iter()
        .map(|v| (v.validator, msg.as_slice(), v.signature))
        .collect();
    assert!(Ed25519.verify_batch(&items));
}

#[test]
fn block_tx_root_and_proofs() {
    let chain = ChainId::new("tracechain-test").expect("valid");
    let txs: Vec<Transaction> = (0..5u8)
        .map(|i| {
            let k = key(i + 1);
            let set = ValidatorSet::new(vec![Validator {
                public_key: k.public(),
                name: "v".into(),
            }])
            .expect("valid");
            TxBody {
                signer: k.public(),
                sequence: i as u64,
                expiry_height: 100,
                payload: Payload::Chain(ChainRecord::ValidatorSetChange(ValidatorSetChange {
                    new_set: set,
                    approvals: vec![],
                })),
            }
            .sign(&chain, &k)
        })
        .collect();
    let header = BlockHeader {
        chain_id: chain,
        height: 1,
        view: 0,
        parent: Hash::ZERO,
        timestamp_ms: 1,
        tx_root: Block::compute_tx_root(&txs),
        state_root: Hash::ZERO,
        proposer: key(1).public(),
        validator_set_hash: Hash::ZERO,
    };
    let block = Block { header, txs };
    assert!(block.tx_root_matches());
    for i in 0..block.txs.len() {
        let proof = block.tx_proof(i).expect("in range");
        assert!(proof.verify(&block.header.tx_root, &tx_leaf(&block.txs[i])));
    }
    let mut reordered = block.clone();
    reordered.txs.swap(0, 1);
    assert!(!reordered.tx_root_matches());
}

#[test]
fn hash_and_keys_display_and_parse() {
    let h = Hash::digest(b"abc");
    assert_eq!(
        h.to_string(),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(h.to_string().parse::<Hash>().expect("parse"), h);
    assert!("xyz".parse::<Hash>().is_err());
    let json = serde_json::to_string(&h).expect("json");
    assert_eq!(serde_json::from_str::<Hash>(&json).expect("json"), h);
    let pk = key(3).public();
    assert_eq!(pk.to_hex().parse::<PublicKey>().expect("parse"), pk);
    assert!(ChainId::new("Upper").is_err());
    assert!(ChainId::new("").is_err());
    assert!(ChainId::new("a".repeat(65)).is_err());
}

// ------------------------------------------------------------------ adversarial signature cases
//
// The acceptance rule is ZIP-215 (ADR 0002). These fixed vectors are the encodings on which
// Ed25519 implementations are known to disagree; on each of them single and batch verification
// must give the same verdict, and no small-order key may be registered.

fn hex32(s: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    hex::decode_to_slice(s, &mut out).expect("64 hex characters");
    out
}

/// Every encoding of a small-order point that decompresses: the eight points of the torsion
/// subgroup in canonical form, and the non-canonical encodings of the identity (y = 1 with the
/// sign bit set, y = p + 1 with either sign), of the point of order 2 (y = −1 with the sign bit
/// set) and of the points of order 4 (y = p, i.e. 0, with either sign).
const SMALL_ORDER_ENCODINGS: &[&str] = &[
    // canonical
    "0100000000000000000000000000000000000000000000000000000000000000", // identity
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // order 2
    "0000000000000000000000000000000000000000000000000000000000000000", // order 4
    "0000000000000000000000000000000000000000000000000000000000000080", // order 4
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a", // order 8
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa", // order 8
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05", // order 8
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85", // order 8
    // non-canonical
    "0100000000000000000000000000000000000000000000000000000000000080", // identity, x = −0
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", // order 2, x = −0
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // identity, y = p + 1
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", // identity, y = p + 1
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // order 4, y = p
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", // order 4, y = p
];

/// ℓ, the order of the prime-order subgroup, little-endian.
const ELL: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

/// `s + ℓ` (little-endian 256-bit addition; s < ℓ < 2^253, so it cannot overflow).
fn add_ell(s: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut carry = 0u16;
    for i in 0..32 {
        let v = s[i] as u16 + ELL[i] as u16 + carry;
        out[i] = v as u8;
        carry = v >> 8;
    }
    assert_eq!(carry, 0);
    out
}

/// A signature `R ‖ s` from parts.
fn sig_of(r: [u8; 32], s: [u8; 32]) -> Signature {
    let mut out = [0u8; 64];
    out[..32].copy_from_slice(&r);
    out[32..].copy_from_slice(&s);
    Signature(out)
}

/// Single and batch verification agree on `items`, on every sub-batch of two and on the whole
/// batch; returns the single verdicts.
fn single_and_batch_agree(items: &[(PublicKey, &[u8], Signature)]) -> Vec<bool> {
    let single: Vec<bool> = items
        .iter()
        .map(|(k, m, s)| k.verify(m, s).is_ok())
        .collect();
    for (i, item) in items.iter().enumerate() {
        assert_eq!(
            Ed25519.verify_batch(std::slice::from_ref(item)),
            single[i],
            "item {i} alone"
        );
        for (j, other) in items.iter().enumerate().skip(i + 1) {
            let pair = [*item, *other];
            assert_eq!(
                Ed25519.verify_batch(&pair),
                single[i] && single[j],
                "items {i} and {j}"
            );
        }
    }
    assert_eq!(
        Ed25519.verify_batch(items),
        single.iter().all(|v| *v),
        "whole batch"
    );
    single
}

#[test]
fn every_small_order_encoding_is_refused_at_registration() {
    for (i, h) in SMALL_ORDER_ENCODINGS.iter().enumerate() {
        let pk = PublicKey(hex32(h));
        assert!(
            matches!(pk.check_registrable(), Err(crypto::CryptoError::WeakKey(_))),
            "encoding {i} ({h}) was not refused as a weak key: {:?}",
            pk.check_registrable()
        );
        let set = ValidatorSet::new(vec![
            Validator {
                public_key: pk,
                name: "weak".into(),
            },
            Validator {
                public_key: key(1).public(),
                name: "strong".into(),
            },
        ]);
        assert!(
            matches!(
                set,
                Err(validator::ValidatorSetError::Key(
                    crypto::CryptoError::WeakKey(_)
                ))
            ),
            "encoding {i}: validator set accepted a weak key"
        );
    }
}

#[test]
fn small_order_keys_verify_forged_signatures_which_is_why_registration_refuses_them() {
    // Under ZIP-215 a small-order key A satisfies [8][s]B = [8]R + [8][k]A for s = 0 and any
    // small-order R, whatever the message: the signature proves nothing. Single and batch agree,
    // for canonical and non-canonical encodings of A and of R alike.
    let msgs: [&[u8]; 2] = [b"forged record", b"another record"];
    let mut items = Vec::new();
    for (i, a) in SMALL_ORDER_ENCODINGS.iter().enumerate() {
        let r = SMALL_ORDER_ENCODINGS[(i * 5 + 3) % SMALL_ORDER_ENCODINGS.len()];
        items.push((
            PublicKey(hex32(a)),
            msgs[i % 2],
            sig_of(hex32(r), [0u8; 32]),
        ));
    }
    let verdicts = single_and_batch_agree(&items);
    assert!(
        verdicts.iter().all(|v| *v),
        "ZIP-215 accepts s = 0 with small-order A and R: {verdicts:?}"
    );
}

#[test]
fn s_not_below_ell_is_refused_by_single_and_batch() {
    // s and s + ℓ are the same scalar, so an implementation that reduces s would accept both;
    // the rule requires s < ℓ.
    let msg: &[u8] = b"tracechain record";
    let k = key(9);
    let good = k.sign(msg);
    let bad = sig_of(
        good.0[..32].try_into().expect("32 bytes"),
        add_ell(&good.0[32..]),
    );
    // The same with a small-order key and s = ℓ (≡ 0): would be a forgery if s were reduced.
    let weak = PublicKey(hex32(SMALL_ORDER_ENCODINGS[0]));
    let weak_bad = sig_of(hex32(SMALL_ORDER_ENCODINGS[0]), ELL);
    let other = key(10);
    let items = [
        (k.public(), msg, good),
        (k.public(), msg, bad),
        (weak, msg, weak_bad),
        (other.public(), msg, other.sign(msg)),
    ];
    let verdicts = single_and_batch_agree(&items);
    assert_eq!(verdicts, vec![true, false, false, true]);
}

#[test]
fn malformed_encodings_are_refused_by_single_and_batch() {
    // y = 2 is not the y-coordinate of a curve point: neither as a key nor as R.
    let mut not_a_point = [0u8; 32];
    not_a_point[0] = 2;
    assert!(matches!(
        PublicKey(not_a_point).check_registrable(),
        Err(crypto::CryptoError::MalformedKey(_))
    ));
    let msg: &[u8] = b"tracechain record";
    let k = key(11);
    let good = k.sign(msg);
    let bad_r = sig_of(not_a_point, good.0[32..].try_into().expect("32 bytes"));
    let items = [
        (k.public(), msg, good),
        (PublicKey(not_a_point), msg, good),
        (k.public(), msg, bad_r),
    ];
    let verdicts = single_and_batch_agree(&items);
    assert_eq!(verdicts, vec![true, false, false]);
}

#[test]
fn maps_decode_only_from_strictly_ascending_keys() {
    use std::collections::BTreeMap;
    // Two entries: count 2 (u32 LE), then (key, value) pairs of u8.
    let sorted = [2u8, 0, 0, 0, 1, 10, 2, 20];
    let unsorted = [2u8, 0, 0, 0, 2, 20, 1, 10];
    let duplicate = [2u8, 0, 0, 0, 1, 10, 1, 20];
    let m: BTreeMap<u8, u8> = decode(&sorted, 64).expect("ascending keys decode");
    assert_eq!(encode(&m), sorted.to_vec());
    assert!(
        decode::<BTreeMap<u8, u8>>(&unsorted, 64).is_err(),
        "unsorted keys accepted"
    );
    assert!(
        decode::<BTreeMap<u8, u8>>(&duplicate, 64).is_err(),
        "duplicate keys accepted"
    );
}
