//! Signed reads (R-A5): what a participant signs to authenticate a read of the API.
//!
//! A read is signed like a transaction but never enters the chain: the signature binds the
//! chain id, the HTTP method, the request target (path and query, as sent), the time the
//! client claims and the SHA-256 of the body, under its own domain tag, so a read signature
//! can never be replayed as a transaction, a vote or a read of another chain, path or body.
//! The API refuses a timestamp outside its window and a signature it has already seen
//! (ADR 0080).

use crate::chain::ChainId;
use crate::crypto::{CryptoError, PublicKey, SecretKey, Signature};
use crate::encoding::encode;
use crate::hash::Hash;

/// Domain tag of a read signature.
pub const READ_DOMAIN: &[u8] = b"tracechain/read/v1";
/// Longest request target (path and query) a read signature covers.
pub const MAX_READ_TARGET_BYTES: usize = 8 * 1024;

/// The bytes a participant signs to authenticate one read.
pub fn read_signing_bytes(
    chain_id: &ChainId,
    method: &str,
    target: &str,
    timestamp_ms: u64,
    body: &[u8],
) -> Vec<u8> {
    let mut out = READ_DOMAIN.to_vec();
    out.extend_from_slice(&encode(chain_id));
    // Length-prefixed, so no (method, target) pair can be re-split into another.
    out.extend_from_slice(&(method.len() as u32).to_le_bytes());
    out.extend_from_slice(method.as_bytes());
    out.extend_from_slice(&(target.len() as u32).to_le_bytes());
    out.extend_from_slice(target.as_bytes());
    out.extend_from_slice(&timestamp_ms.to_le_bytes());
    out.extend_from_slice(&Hash::digest(body).0);
    out
}

/// Sign a read.
pub fn sign_read(
    key: &SecretKey,
    chain_id: &ChainId,
    method: &str,
    target: &str,
    timestamp_ms: u64,
    body: &[u8],
) -> Signature {
    key.sign(&read_signing_bytes(
        chain_id,
        method,
        target,
        timestamp_ms,
        body,
    ))
}

/// Check a read's signature (the chain's one acceptance rule, ZIP-215).
pub fn verify_read(
    signer: &PublicKey,
    signature: &Signature,
    chain_id: &ChainId,
    method: &str,
    target: &str,
    timestamp_ms: u64,
    body: &[u8],
) -> Result<(), CryptoError> {
    signer.verify(
        &read_signing_bytes(chain_id, method, target, timestamp_ms, body),
        signature,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain() -> ChainId {
        ChainId::new("read-test").unwrap()
    }

    #[test]
    fn a_read_signature_binds_every_part() {
        let k = SecretKey::from_seed([7; 32]);
        let sig = sign_read(&k, &chain(), "GET", "/v1/trace/x?a=1", 1_000, b"");
        assert!(verify_read(
            &k.public(),
            &sig,
            &chain(),
            "GET",
            "/v1/trace/x?a=1",
            1_000,
            b""
        )
        .is_ok());
        let other = ChainId::new("other").unwrap();
        let changed: [(&ChainId, &str, &str, u64, &[u8]); 5] = [
            (&other, "GET", "/v1/trace/x?a=1", 1_000, b""),
            (&chain(), "POST", "/v1/trace/x?a=1", 1_000, b""),
            (&chain(), "GET", "/v1/trace/x?a=2", 1_000, b""),
            (&chain(), "GET", "/v1/trace/x?a=1", 1_001, b""),
            (&chain(), "GET", "/v1/trace/x?a=1", 1_000, b"x"),
        ];
        for (c, m, t, ts, b) in changed {
            assert!(
                verify_read(&k.public(), &sig, c, m, t, ts, b).is_err(),
                "{m} {t} {ts} verified"
            );
        }
        let stranger = SecretKey::from_seed([8; 32]).public();
        assert!(verify_read(
            &stranger,
            &sig,
            &chain(),
            "GET",
            "/v1/trace/x?a=1",
            1_000,
            b""
        )
        .is_err());
    }

    #[test]
    fn method_and_target_cannot_be_re_split() {
        assert_ne!(
            read_signing_bytes(&chain(), "GE", "T/v1", 0, b""),
            read_signing_bytes(&chain(), "GET", "/v1", 0, b"")
        );
    }

    #[test]
    fn a_read_signature_is_not_a_transaction_signature() {
        let bytes = read_signing_bytes(&chain(), "GET", "/", 0, b"");
        assert!(bytes.starts_with(READ_DOMAIN));
        assert!(!bytes.starts_with(b"tracechain/tx/v1"));
    }
}
