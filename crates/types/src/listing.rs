//! Completeness of a listing: a count and a running digest of record ids (ADR 0050).
//!
//! The contracts keep one [`ListingDigest`] per trace unit in consensus state, updated with
//! every record written about the unit, in execution order. A client that was given a unit's
//! records — each with its transaction inclusion proof, which fixes its (height, position) —
//! orders them by (height, position), recomputes the digest with [`ListingDigest::of`] and
//! compares it with the digest proven against a block's state root ([`ListingDigest::check`]):
//! a record left out, added, replaced or reordered is detected. Pure: no I/O.

use borsh::{BorshDeserialize, BorshSerialize};

use crate::hash::Hash;

/// Domain tag of one step of the running digest.
pub const UNIT_RECORDS_TAG: &[u8] = b"tracechain/unit-records/v1";

/// The number of records of a listing and the running digest of their ids:
/// `d_0 = 0³²`, `d_i = H("tracechain/unit-records/v1", d_{i−1} ‖ id_i)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct ListingDigest {
    /// Records so far.
    pub count: u64,
    /// Running digest of their ids.
    pub digest: Hash,
}

/// Why a listing does not match its proven digest.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ListingError {
    /// Fewer (or more) records than the chain holds.
    #[error("listing has {got} records, the chain holds {expected}: {missing}")]
    Count {
        /// Records in the proven digest.
        expected: u64,
        /// Records given.
        got: u64,
        /// "some are missing" or "some are not the unit's".
        missing: &'static str,
    },
    /// The right number of records, but not the ones (or not in the order) the chain holds.
    #[error("listing of {count} records does not match the chain's digest: a record was replaced or the order is not (height, position)")]
    Digest {
        /// Records given.
        count: u64,
    },
}

impl Default for ListingDigest {
    fn default() -> Self {
        ListingDigest::EMPTY
    }
}

impl ListingDigest {
    /// The digest of an empty listing.
    pub const EMPTY: ListingDigest = ListingDigest {
        count: 0,
        digest: Hash([0; 32]),
    };

    /// The digest after one more record.
    #[must_use]
    pub fn push(&self, id: &Hash) -> ListingDigest {
        ListingDigest {
            count: self.count.saturating_add(1),
            digest: Hash::tagged(UNIT_RECORDS_TAG, &[&self.digest.0, &id.0]),
        }
    }

    /// The digest of `ids`, in order.
    pub fn of<'a>(ids: impl IntoIterator<Item = &'a Hash>) -> ListingDigest {
        ids.into_iter()
            .fold(ListingDigest::EMPTY, |d, id| d.push(id))
    }

    /// Whether `ids` (ordered by height, then position in the block) are exactly the records
    /// this (proven) digest commits to.
    pub fn check<'a>(&self, ids: impl IntoIterator<Item = &'a Hash>) -> Result<(), ListingError> {
        let got = ListingDigest::of(ids);
        if got.count != self.count {
            return Err(ListingError::Count {
                expected: self.count,
                got: got.count,
                missing: if got.count < self.count {
                    "some are missing"
                } else {
                    "some are not the unit's"
                },
            });
        }
        if got.digest != self.digest {
            return Err(ListingError::Digest { count: got.count });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: u8) -> Vec<Hash> {
        (0..n).map(|i| Hash::tagged(b"record", &[&[i]])).collect()
    }

    #[test]
    fn a_complete_listing_checks_and_every_alteration_is_named() {
        let all = ids(5);
        let proven = ListingDigest::of(&all);
        assert_eq!(proven.count, 5);
        assert_eq!(proven.check(&all), Ok(()));
        // One left out.
        let mut short = all.clone();
        short.remove(2);
        assert!(matches!(
            proven.check(&short),
            Err(ListingError::Count {
                expected: 5,
                got: 4,
                ..
            })
        ));
        // One added.
        let mut long = all.clone();
        long.push(Hash::tagged(b"other", &[]));
        assert!(matches!(
            proven.check(&long),
            Err(ListingError::Count { got: 6, .. })
        ));
        // One replaced, or two swapped.
        let mut replaced = all.clone();
        replaced[4] = Hash::tagged(b"other", &[]);
        assert_eq!(
            proven.check(&replaced),
            Err(ListingError::Digest { count: 5 })
        );
        let mut swapped = all.clone();
        swapped.swap(0, 1);
        assert_eq!(
            proven.check(&swapped),
            Err(ListingError::Digest { count: 5 })
        );
        // The empty listing.
        assert_eq!(ListingDigest::EMPTY.check(&[]), Ok(()));
        assert_eq!(ListingDigest::default(), ListingDigest::of(&[]));
    }

    #[test]
    fn the_digest_is_the_documented_chain() {
        let all = ids(2);
        let d1 = Hash::tagged(UNIT_RECORDS_TAG, &[&[0u8; 32], &all[0].0]);
        let d2 = Hash::tagged(UNIT_RECORDS_TAG, &[&d1.0, &all[1].0]);
        assert_eq!(
            ListingDigest::of(&all),
            ListingDigest {
                count: 2,
                digest: d2
            }
        );
    }
}
