//! Validator sets and their quorum arithmetic.

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

use crate::crypto::{CryptoError, PublicKey};
use crate::encoding::encode;
use crate::hash::Hash;

/// Longest validator name (bytes).
pub const MAX_VALIDATOR_NAME: usize = 64;
/// Most validators in one set. PBFT's message cost is quadratic; a consortium of agencies is
/// small. A set above this is refused at genesis and in validator-set changes.
pub const MAX_VALIDATORS: usize = 256;

/// One validator: an agency's signing key and a human-readable name (e.g. `customs-shanghai`).
#[derive(
    Clone, Debug, PartialEq, Eq, Hash, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
pub struct Validator {
    /// The consensus signing key; also the validator's id.
    pub public_key: PublicKey,
    /// A name for logs and the API.
    pub name: String,
}

/// Why a validator set was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidatorSetError {
    /// No validators.
    #[error("a validator set needs at least one validator")]
    Empty,
    /// Above [`MAX_VALIDATORS`].
    #[error("{0} validators exceed the maximum of {MAX_VALIDATORS}")]
    TooMany(usize),
    /// The same key twice.
    #[error("validator key {0} appears more than once")]
    Duplicate(PublicKey),
    /// A malformed or small-order key.
    #[error(transparent)]
    Key(#[from] CryptoError),
    /// Empty or overlong name.
    #[error("validator {key}: name must be 1..={MAX_VALIDATOR_NAME} bytes, got {len}")]
    BadName {
        /// The validator.
        key: PublicKey,
        /// The name's length.
        len: usize,
    },
    /// Encoded validators are not in strictly ascending key order (non-canonical).
    #[error("validators are not sorted by public key")]
    NotSorted,
}

/// An ordered set of validators with n = 3f + 1 arithmetic generalised to any n ≥ 1.
///
/// * `f = ⌊(n − 1) / 3⌋` faulty validators are tolerated;
/// * a quorum is `⌊(n + f) / 2⌋ + 1` votes, which is `2f + 1` when `n = 3f + 1`, and in general
///   the smallest size such that any two quorums share at least `f + 1` validators (so at least
///   one honest one) — `2f + 1` alone would not be safe for n = 5 or 6.
///
/// Validators are kept sorted by public key; index `i` is the validator's position.
#[derive(Clone, Debug, PartialEq, Eq, Hash, BorshSerialize, Serialize, Deserialize)]
#[serde(try_from = "Vec<Validator>", into = "Vec<Validator>")]
pub struct ValidatorSet {
    validators: Vec<Validator>,
}

impl ValidatorSet {
    /// Build a set: sorts by key, refuses duplicates, weak keys, bad names, empty and oversize.
    pub fn new(mut validators: Vec<Validator>) -> Result<ValidatorSet, ValidatorSetError> {
        validators.sort_by_key(|v| v.public_key);
        Self::from_sorted(validators)
    }

    fn from_sorted(validators: Vec<Validator>) -> Result<ValidatorSet, ValidatorSetError> {
        if validators.is_empty() {
            return Err(ValidatorSetError::Empty);
        }
        if validators.len() > MAX_VALIDATORS {
            return Err(ValidatorSetError::TooMany(validators.len()));
        }
        for w in validators.windows(2) {
            if w[0].public_key == w[1].public_key {
                return Err(ValidatorSetError::Duplicate(w[0].public_key));
            }
            if w[0].public_key > w[1].public_key {
                return Err(ValidatorSetError::NotSorted);
            }
        }
        for v in &validators {
            v.public_key.check_registrable()?;
            if v.name.is_empty() || v.name.len() > MAX_VALIDATOR_NAME {
                return Err(ValidatorSetError::BadName {
                    key: v.public_key,
                    len: v.name.len(),
                });
            }
        }
        Ok(ValidatorSet { validators })
    }

    /// Number of validators, n.
    pub fn len(&self) -> usize {
        self.validators.len()
    }

    /// Always false: a set has at least one validator.
    pub fn is_empty(&self) -> bool {
        self.validators.is_empty()
    }

    /// Faults tolerated, f = ⌊(n − 1) / 3⌋.
    pub fn max_faulty(&self) -> usize {
        max_faulty(self.len())
    }

    /// Votes needed for a quorum (prepare certificate including the pre-prepare, commit
    /// certificate, new-view): ⌊(n + f) / 2⌋ + 1.
    pub fn quorum(&self) -> usize {
        quorum(self.len())
    }

    /// f + 1: enough votes that at least one is from an honest validator.
    pub fn weak_quorum(&self) -> usize {
        self.max_faulty() + 1
    }

    /// The validators in key order.
    pub fn validators(&self) -> &[Validator] {
        &self.validators
    }

    /// Position of a key in the set.
    pub fn index_of(&self, key: &PublicKey) -> Option<usize> {
        self.validators
            .binary_search_by(|v| v.public_key.cmp(key))
            .ok()
    }

    /// Whether the key is a member.
    pub fn contains(&self, key: &PublicKey) -> bool {
        self.index_of(key).is_some()
    }

    /// The validator at a position.
    pub fn get(&self, index: usize) -> Option<&Validator> {
        self.validators.get(index)
    }

    /// The hash committed in every block header (`validator_set_hash`).
    pub fn hash(&self) -> Hash {
        Hash::tagged(b"tracechain/validator-set/v1", &[&encode(self)])
    }
}

/// f for n validators.
pub fn max_faulty(n: usize) -> usize {
    n.saturating_sub(1) / 3
}

/// Quorum size for n validators: ⌊(n + f) / 2⌋ + 1.
pub fn quorum(n: usize) -> usize {
    (n + max_faulty(n)) / 2 + 1
}

impl BorshDeserialize for ValidatorSet {
    fn deserialize_reader<R: std::io::Read>(reader: &mut R) -> std::io::Result<Self> {
        let validators = Vec::<Validator>::deserialize_reader(reader)?;
        ValidatorSet::from_sorted(validators)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()))
    }
}

impl TryFrom<Vec<Validator>> for ValidatorSet {
    type Error = ValidatorSetError;
    fn try_from(v: Vec<Validator>) -> Result<Self, Self::Error> {
        ValidatorSet::new(v)
    }
}

impl From<ValidatorSet> for Vec<Validator> {
    fn from(s: ValidatorSet) -> Self {
        s.validators
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quorum_is_2f_plus_1_when_n_is_3f_plus_1() {
        for f in 0..20 {
            let n = 3 * f + 1;
            assert_eq!(max_faulty(n), f);
            assert_eq!(quorum(n), 2 * f + 1, "n={n}");
        }
    }

    #[test]
    fn any_two_quorums_share_an_honest_validator() {
        for n in 1..=4 * MAX_VALIDATORS {
            let q = quorum(n);
            let f = max_faulty(n);
            assert!(
                q <= n - f,
                "n={n}: quorum {q} must be reachable with f={f} silent"
            );
            assert!(
                2 * q > n + f,
                "n={n}: two quorums of {q} overlap in fewer than f+1"
            );
        }
    }

    #[test]
    fn small_sets() {
        assert_eq!((quorum(1), max_faulty(1)), (1, 0));
        assert_eq!((quorum(2), max_faulty(2)), (2, 0));
        assert_eq!((quorum(3), max_faulty(3)), (2, 0));
        assert_eq!((quorum(4), max_faulty(4)), (3, 1));
        assert_eq!((quorum(5), max_faulty(5)), (4, 1));
        assert_eq!((quorum(7), max_faulty(7)), (5, 2));
    }
}
