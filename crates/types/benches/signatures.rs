//! Signature verification throughput: the measurements behind ADR 0002.
//!
//! `cargo bench -p tracechain-types --bench signatures`
//!
//! Compares, on one core: ed25519-dalek `verify_strict` (one at a time), ZIP-215 single
//! verification (ed25519-consensus, the chain rule), and ZIP-215 batch verification at several
//! batch sizes. Messages are 200-byte transaction-sized payloads.

use std::hint::black_box;
use std::time::Instant;

use tracechain_types::crypto::SignatureVerifier;
use tracechain_types::{Ed25519, PublicKey, SecretKey, Signature};

const N: usize = 4096;

fn main() {
    let items: Vec<(PublicKey, Vec<u8>, Signature, ed25519_dalek::VerifyingKey)> = (0..N)
        .map(|i| {
            let mut seed = [0u8; 32];
            seed[..8].copy_from_slice(&(i as u64).to_le_bytes());
            let k = SecretKey::from_seed(seed);
            let msg: Vec<u8> = (0..200).map(|j| (i + j) as u8).collect();
            let sig = k.sign(&msg);
            let vk = ed25519_dalek::VerifyingKey::from_bytes(&k.public().0).expect("valid key");
            (k.public(), msg, sig, vk)
        })
        .collect();

    println!(
        "signature verification, {N} signatures of 200-byte messages, one core, \
         best and median of {ROUNDS} rounds"
    );

    measure("ed25519-dalek verify_strict (single)", || {
        for (_, m, s, vk) in &items {
            let sig = ed25519_dalek::Signature::from_bytes(&s.0);
            black_box(vk.verify_strict(m, &sig)).expect("valid");
        }
    });
    measure("ZIP-215 single (chain rule)", || {
        for (k, m, s, _) in &items {
            assert!(black_box(Ed25519.verify(k, m, s)));
        }
    });
    for batch in [4usize, 16, 64, 256, 1024] {
        measure(&format!("ZIP-215 batch of {batch}"), || {
            for chunk in items.chunks(batch) {
                let v: Vec<(PublicKey, &[u8], Signature)> = chunk
                    .iter()
                    .map(|(k, m, s, _)| (*k, m.as_slice(), *s))
                    .collect();
                assert!(black_box(Ed25519.verify_batch(&v)));
            }
        });
    }
}

const ROUNDS: usize = 7;

/// Time `f` (which verifies all N signatures) ROUNDS times; print best and median rates. The
/// best round is the least disturbed by other load on a shared machine.
fn measure(what: &str, mut f: impl FnMut()) {
    let mut secs: Vec<f64> = (0..ROUNDS)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .collect();
    secs.sort_by(f64::total_cmp);
    println!(
        "{what:<40} best {:>8.0} /s   median {:>8.0} /s",
        N as f64 / secs[0],
        N as f64 / secs[ROUNDS / 2]
    );
}
