//! Signing and verification of consensus messages.

use tracechain_types::{PublicKey, SecretKey, Signature};

/// A validator's consensus signing key. The node uses [`Ed25519Signer`]; simulations use a
/// cheap deterministic scheme (`sim::SimSigner`). Signing must be deterministic: re-signing
/// the same bytes after a restart yields the same signature (rule S1 relies on it only for
/// idempotent re-sends, never for safety).
pub trait ConsensusSigner {
    /// The validator key.
    fn public(&self) -> PublicKey;
    /// Sign `msg`.
    fn sign(&self, msg: &[u8]) -> Signature;
}

/// Ed25519 signer of the node (RFC 8032 deterministic signatures; verified with
/// `tracechain_types::Ed25519`, the ZIP-215 rule).
#[derive(Debug)]
pub struct Ed25519Signer {
    key: SecretKey,
    public: PublicKey,
}

impl Ed25519Signer {
    /// Wrap a secret key.
    pub fn new(key: SecretKey) -> Self {
        let public = key.public();
        Ed25519Signer { key, public }
    }
}

impl ConsensusSigner for Ed25519Signer {
    fn public(&self) -> PublicKey {
        self.public
    }
    fn sign(&self, msg: &[u8]) -> Signature {
        self.key.sign(msg)
    }
}
