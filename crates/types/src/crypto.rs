//! Ed25519 keys and signatures, and the one signature acceptance rule of the chain.
//!
//! **Acceptance rule (ADR 0002): ZIP-215.** A signature is valid when it satisfies the
//! cofactored verification equation `[8][s]B = [8]R + [8][k]A` with `s < ℓ` and `A`, `R` any
//! point encodings that decompress (non-canonical encodings included). Under this rule batch
//! verification provably agrees with single verification, so every node, the auditor and every
//! code path (single or batch) accept exactly the same signatures. Verification is done with
//! `ed25519-consensus`, which implements ZIP-215; keys are generated and messages signed with
//! `ed25519-dalek` (signing is deterministic RFC 8032; any RFC 8032 signature is ZIP-215-valid).
//!
//! Small-order ("weak") public keys are refused wherever a key is registered
//! ([`PublicKey::check_registrable`]).

use std::fmt;
use std::str::FromStr;

use borsh::{BorshDeserialize, BorshSerialize};

use sha2::Digest as _;

use crate::hash::Hash;

/// An Ed25519 public key (32 bytes, compressed Edwards point). It is also the signer's key id.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, BorshSerialize, BorshDeserialize)]
pub struct PublicKey(pub [u8; 32]);

/// An Ed25519 signature (64 bytes: `R ‖ s`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, BorshSerialize, BorshDeserialize)]
pub struct Signature(pub [u8; 64]);

/// Why a key or signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// The 32 bytes are not the encoding of a curve point.
    #[error("public key {0} is not a valid Ed25519 point encoding")]
    MalformedKey(PublicKey),
    /// The key has small order: a signature under it proves nothing.
    #[error("public key {0} has small order (weak key) and cannot be registered")]
    WeakKey(PublicKey),
    /// The signature does not verify under the ZIP-215 rule.
    #[error("signature does not verify for public key {0}")]
    BadSignature(PublicKey),
    /// A batch failed: at least one of its signatures is invalid.
    #[error("batch signature verification failed")]
    BadBatch,
}

impl PublicKey {
    /// Lower-case hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// A short form for logs (first 8 hex characters).
    pub fn short(&self) -> String {
        hex::encode(&self.0[..4])
    }

    /// Whether this key may be registered (participant or validator): it must decode to a curve
    /// point and must not have small order.
    pub fn check_registrable(&self) -> Result<(), CryptoError> {
        let vk = ed25519_dalek::VerifyingKey::from_bytes(&self.0)
            .map_err(|_| CryptoError::MalformedKey(*self))?;
        if vk.is_weak() {
            return Err(CryptoError::WeakKey(*self));
        }
        Ok(())
    }

    /// Verify one signature under the chain's acceptance rule (ZIP-215).
    pub fn verify(&self, msg: &[u8], sig: &Signature) -> Result<(), CryptoError> {
        let vk = ed25519_consensus::VerificationKey::try_from(self.0)
            .map_err(|_| CryptoError::MalformedKey(*self))?;
        let s = ed25519_consensus::Signature::from(sig.0);
        vk.verify(&s, msg)
            .map_err(|_| CryptoError::BadSignature(*self))
    }

    /// The hash of this key under a domain tag; used as a compact id in indexes.
    pub fn id_hash(&self) -> Hash {
        Hash::tagged(b"tracechain/key/v1", &[&self.0])
    }
}

impl Signature {
    /// Lower-case hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}
impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.short())
    }
}
impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}
impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({}…)", &self.to_hex()[..16])
    }
}

/// Error parsing a hex key or signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected {expected} hex characters, got {got}")]
pub struct ParseHexError {
    expected: usize,
    got: usize,
}

fn parse_hex<const N: usize>(s: &str) -> Result<[u8; N], ParseHexError> {
    let mut out = [0u8; N];
    let err = ParseHexError {
        expected: 2 * N,
        got: s.len(),
    };
    if s.len() != 2 * N {
        return Err(err);
    }
    hex::decode_to_slice(s, &mut out).map_err(|_| err)?;
    Ok(out)
}

impl FromStr for PublicKey {
    type Err = ParseHexError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_hex::<32>(s).map(PublicKey)
    }
}
impl FromStr for Signature {
    type Err = ParseHexError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_hex::<64>(s).map(Signature)
    }
}
crate::serde_str::impl_serde_via_str!(PublicKey);
crate::serde_str::impl_serde_via_str!(Signature);

/// An Ed25519 signing key. Never serialised except into a key file by the node.
pub struct SecretKey(ed25519_dalek::SigningKey);

impl SecretKey {
    /// A fresh key from the given cryptographic RNG (the node passes the operating system's).
    pub fn generate<R: rand_core::CryptoRngCore + ?Sized>(rng: &mut R) -> SecretKey {
        let mut seed = [0u8; 32];
        rng.fill_bytes(&mut seed);
        SecretKey(ed25519_dalek::SigningKey::from_bytes(&seed))
    }

    /// A key from a 32-byte seed (RFC 8032 secret). Used for key files and seeded tests.
    pub fn from_seed(seed: [u8; 32]) -> SecretKey {
        SecretKey(ed25519_dalek::SigningKey::from_bytes(&seed))
    }

    /// The 32-byte seed, for writing a key file.
    pub fn seed(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The public key.
    pub fn public(&self) -> PublicKey {
        PublicKey(self.0.verifying_key().to_bytes())
    }

    /// Sign `msg` (deterministic RFC 8032).
    pub fn sign(&self, msg: &[u8]) -> Signature {
        use ed25519_dalek::Signer;
        Signature(self.0.sign(msg).to_bytes())
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey(public={})", self.public().short())
    }
}

/// A signature verifier. The node and the auditor use [`Ed25519`]; the consensus simulator
/// plugs in a cheap deterministic scheme. Implementations must be deterministic: the same
/// inputs give the same answer on every machine.
pub trait SignatureVerifier {
    /// Verify one signature.
    fn verify(&self, key: &PublicKey, msg: &[u8], sig: &Signature) -> bool;

    /// Verify a batch; must return `true` exactly when every item verifies on its own.
    fn verify_batch(&self, items: &[(PublicKey, &[u8], Signature)]) -> bool {
        items.iter().all(|(k, m, s)| self.verify(k, m, s))
    }
}

/// The chain's Ed25519 verifier (ZIP-215 acceptance rule, batch verification agrees with single).
#[derive(Debug, Clone, Copy, Default)]
pub struct Ed25519;

impl SignatureVerifier for Ed25519 {
    fn verify(&self, key: &PublicKey, msg: &[u8], sig: &Signature) -> bool {
        key.verify(msg, sig).is_ok()
    }

    fn verify_batch(&self, items: &[(PublicKey, &[u8], Signature)]) -> bool {
        if items.len() < 2 {
            return items.iter().all(|(k, m, s)| self.verify(k, m, s));
        }
        use rand_core::SeedableRng;
        let mut batch = ed25519_consensus::batch::Verifier::new();
        let mut transcript = sha2::Sha256::new();
        for (k, m, s) in items {
            let vkb = ed25519_consensus::VerificationKeyBytes::from(k.0);
            batch.queue((vkb, ed25519_consensus::Signature::from(s.0), m));
            sha2::Digest::update(&mut transcript, k.0);
            sha2::Digest::update(&mut transcript, (m.len() as u64).to_be_bytes());
            sha2::Digest::update(&mut transcript, m);
            sha2::Digest::update(&mut transcript, s.0);
        }
        // The batch coefficients are derived from a transcript of the whole batch (Fiat-Shamir),
        // so verification stays deterministic and free of I/O; a signer cannot steer them without
        // breaking SHA-256. Under ZIP-215 the verdict equals single verification either way.
        let seed: [u8; 32] = sha2::Digest::finalize(transcript).into();
        batch
            .verify(rand_chacha::ChaCha20Rng::from_seed(seed))
            .is_ok()
    }
}

/// Verify a batch of signatures under the chain rule, reporting which one failed when the batch
/// fails (falls back to single verification to find the culprit).
pub fn verify_batch_detailed(items: &[(PublicKey, &[u8], Signature)]) -> Result<(), CryptoError> {
    if Ed25519.verify_batch(items) {
        return Ok(());
    }
    for (k, m, s) in items {
        k.verify(m, s)?;
    }
    Err(CryptoError::BadBatch)
}
