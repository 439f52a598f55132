//! SHA-256 digests.

use std::fmt;
use std::str::FromStr;

use borsh::{BorshDeserialize, BorshSerialize};
use sha2::{Digest, Sha256};

/// A SHA-256 digest. Displayed and serialised (JSON) as 64 lower-case hex characters.
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, BorshSerialize, BorshDeserialize,
)]
pub struct Hash(pub [u8; 32]);

impl Hash {
    /// The all-zero hash: the parent of the genesis block.
    pub const ZERO: Hash = Hash([0u8; 32]);

    /// SHA-256 of `data`.
    pub fn digest(data: &[u8]) -> Hash {
        Hash(Sha256::digest(data).into())
    }

    /// SHA-256 over a domain tag followed by the given parts. Every hash the chain relies on is
    /// taken under its own domain tag so that no two kinds of object can collide.
    pub fn tagged(domain: &[u8], parts: &[&[u8]]) -> Hash {
        let mut h = Sha256::new();
        h.update((domain.len() as u32).to_be_bytes());
        h.update(domain);
        for p in parts {
            h.update(p);
        }
        Hash(h.finalize().into())
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Lower-case hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({})", &self.to_hex()[..16])
    }
}

/// Error parsing a hex hash.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected 64 hex characters for a SHA-256 hash, got {len} characters{detail}")]
pub struct ParseHashError {
    len: usize,
    detail: &'static str,
}

impl FromStr for Hash {
    type Err = ParseHashError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut out = [0u8; 32];
        if s.len() != 64 {
            return Err(ParseHashError {
                len: s.len(),
                detail: "",
            });
        }
        hex::decode_to_slice(s, &mut out).map_err(|_| ParseHashError {
            len: s.len(),
            detail: " (not hex)",
        })?;
        Ok(Hash(out))
    }
}

crate::serde_str::impl_serde_via_str!(Hash);
