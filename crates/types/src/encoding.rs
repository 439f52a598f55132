//! The canonical encoding (ADR 0001).
//!
//! Every value that is hashed, signed or stored is encoded with Borsh: fixed-width little-endian
//! integers, `u32` length prefixes, one byte for enum tags and `Option`, no floating point, no
//! hash maps. For the types of this workspace each value has exactly one encoding and decoding
//! is strict (a `bool` is 0 or 1, an `Option` tag is 0 or 1, strings are UTF-8), so
//! `encode(decode(b)) == b` for every accepted `b`.
//!
//! Decoding from outside input goes through [`decode`], which refuses input above a size limit
//! before looking at it and refuses trailing bytes. Borsh pre-allocates cautiously (never more
//! than a few KiB ahead of the bytes actually read), so a forged length prefix cannot make the
//! decoder allocate more than the input size.

use borsh::{BorshDeserialize, BorshSerialize};

/// Why bytes could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Input larger than the caller's limit.
    #[error("{what}: input of {len} bytes exceeds the limit of {limit} bytes")]
    TooLarge {
        /// The type being decoded.
        what: &'static str,
        /// Input length.
        len: usize,
        /// The limit in force.
        limit: usize,
    },
    /// The bytes are not a valid encoding (truncated, bad tag, bad UTF-8, trailing bytes, …).
    #[error("{what}: invalid encoding: {reason}")]
    Invalid {
        /// The type being decoded.
        what: &'static str,
        /// What the decoder reported.
        reason: String,
    },
}

/// Encode a value canonically.
pub fn encode<T: BorshSerialize + ?Sized>(value: &T) -> Vec<u8> {
    // Writing into a Vec cannot fail, and our types contain no fallible serialisers.
    match borsh::to_vec(value) {
        Ok(v) => v,
        Err(e) => unreachable!("borsh encoding into a Vec failed: {e}"),
    }
}

/// Decode a value from untrusted bytes: at most `limit` bytes, and the whole input must be
/// consumed.
pub fn decode<T: BorshDeserialize>(bytes: &[u8], limit: usize) -> Result<T, DecodeError> {
    let what: &'static str = std::any::type_name::<T>();
    let what = what.rsplit("::").next().unwrap_or(what);
    if bytes.len() > limit {
        return Err(DecodeError::TooLarge {
            what,
            len: bytes.len(),
            limit,
        });
    }
    borsh::from_slice::<T>(bytes).map_err(|e| DecodeError::Invalid {
        what,
        reason: e.to_string(),
    })
}

/// Convenience methods for canonically encoded types.
pub trait Canonical: BorshSerialize + BorshDeserialize + Sized {
    /// The canonical bytes.
    fn to_canonical_bytes(&self) -> Vec<u8> {
        encode(self)
    }

    /// Decode from untrusted bytes with a size limit.
    fn from_canonical_bytes(bytes: &[u8], limit: usize) -> Result<Self, DecodeError> {
        decode(bytes, limit)
    }
}

impl<T: BorshSerialize + BorshDeserialize + Sized> Canonical for T {}
