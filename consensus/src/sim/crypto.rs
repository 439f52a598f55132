//! A cheap deterministic signature scheme for simulations.
//!
//! Each simulated validator has a real (registrable) Ed25519 public key — validator sets refuse
//! anything else — and a 64-bit secret. A "signature" is a keyed 64-bit mix of the message
//! under that secret; the verifier holds the table of secrets. Nothing in a simulation can sign
//! for a validator without its secret (Byzantine fixtures only hold their own), and a forged
//! signature fails verification, which is all the simulator needs — at a fraction of Ed25519's
//! cost in debug builds.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use tracechain_types::{PublicKey, SecretKey, Signature, SignatureVerifier};

use crate::signer::ConsensusSigner;

/// Most validator keys the simulator's key pool provides.
pub const MAX_SIM_KEYS: usize = 16;

fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn mac(secret: u64, msg: &[u8]) -> Signature {
    let mut h = mix(secret);
    for chunk in msg.chunks(8) {
        let mut w = [0u8; 8];
        w[..chunk.len()].copy_from_slice(chunk);
        h = mix(h ^ u64::from_le_bytes(w));
    }
    h = mix(h ^ msg.len() as u64);
    let h2 = mix(h ^ secret);
    let mut out = [0u8; 64];
    out[..8].copy_from_slice(&h.to_le_bytes());
    out[8..16].copy_from_slice(&h2.to_le_bytes());
    Signature(out)
}

/// The Ed25519 secret key behind pool key `index` (benchmarks compare the cheap scheme with
/// real Ed25519 on the same validator set).
pub fn pool_secret_key(index: usize) -> SecretKey {
    let mut seed = [0u8; 32];
    seed[0] = index as u8;
    seed[1] = 0x5a;
    SecretKey::from_seed(seed)
}

/// The fixed pool of simulated validator keys: (public key, secret).
pub fn key_pool() -> &'static [(PublicKey, u64)] {
    static POOL: OnceLock<Vec<(PublicKey, u64)>> = OnceLock::new();
    POOL.get_or_init(|| {
        (0..MAX_SIM_KEYS)
            .map(|i| {
                let pk = pool_secret_key(i).public();
                (pk, mix(0xC0FFEE ^ (i as u64).wrapping_mul(0x1000_0001)))
            })
            .collect()
    })
}

/// Signer of simulated validator `index` of the key pool.
#[derive(Debug, Clone, Copy)]
pub struct SimSigner {
    public: PublicKey,
    secret: u64,
}

impl SimSigner {
    /// The signer of pool key `index` (`< MAX_SIM_KEYS`).
    pub fn new(index: usize) -> SimSigner {
        let (public, secret) = key_pool()[index];
        SimSigner { public, secret }
    }
}

impl ConsensusSigner for SimSigner {
    fn public(&self) -> PublicKey {
        self.public
    }
    fn sign(&self, msg: &[u8]) -> Signature {
        mac(self.secret, msg)
    }
}

/// Verifier of the simulated scheme (knows every pool secret).
#[derive(Debug, Clone)]
pub struct SimVerifier {
    secrets: Arc<BTreeMap<PublicKey, u64>>,
}

impl Default for SimVerifier {
    fn default() -> Self {
        SimVerifier {
            secrets: Arc::new(key_pool().iter().copied().collect()),
        }
    }
}

impl SignatureVerifier for SimVerifier {
    fn verify(&self, key: &PublicKey, msg: &[u8], sig: &Signature) -> bool {
        match self.secrets.get(key) {
            Some(s) => mac(*s, msg) == *sig,
            None => false,
        }
    }
}
