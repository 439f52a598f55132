//! Chain identity.

use std::fmt;
use std::str::FromStr;

use borsh::{BorshDeserialize, BorshSerialize};

/// Longest chain id (bytes).
pub const MAX_CHAIN_ID: usize = 64;

/// The consortium's chain id (e.g. `tracechain-local-1`): part of every signed message, so a
/// signature made for one chain never verifies on another. 1–64 characters from
/// `[a-z0-9._-]`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, BorshSerialize)]
pub struct ChainId(String);

/// Why a chain id was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainIdError {
    /// Empty or overlong.
    #[error("chain id must be 1..={MAX_CHAIN_ID} bytes, got {0}")]
    Length(usize),
    /// A character outside `[a-z0-9._-]`.
    #[error("chain id has {ch:?} at position {pos}; allowed are a-z 0-9 . _ -")]
    Char {
        /// The character.
        ch: char,
        /// Its byte position.
        pos: usize,
    },
}

impl ChainId {
    /// Validate and wrap.
    pub fn new(s: impl Into<String>) -> Result<ChainId, ChainIdError> {
        let s = s.into();
        if s.is_empty() || s.len() > MAX_CHAIN_ID {
            return Err(ChainIdError::Length(s.len()));
        }
        if let Some((pos, ch)) = s.char_indices().find(|(_, c)| {
            !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
        }) {
            return Err(ChainIdError::Char { ch, pos });
        }
        Ok(ChainId(s))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl BorshDeserialize for ChainId {
    fn deserialize_reader<R: std::io::Read>(reader: &mut R) -> std::io::Result<Self> {
        let s = String::deserialize_reader(reader)?;
        ChainId::new(s).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
    }
}

impl fmt::Display for ChainId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl fmt::Debug for ChainId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChainId({})", self.0)
    }
}
impl FromStr for ChainId {
    type Err = ChainIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ChainId::new(s)
    }
}
crate::serde_str::impl_serde_via_str!(ChainId);
