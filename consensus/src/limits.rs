//! Every bound of the replica's memory, as named configuration values with validated defaults
//! (rules B1–B4 of `docs/spec/pbft.md`, ADR 0011 and ADR 0017). Each limit states its policy
//! when hit; none of them can be reached by honest validators in normal operation.

use tracechain_types::block::DEFAULT_MAX_BLOCK_BYTES;

use crate::messages::MAX_MESSAGE_BYTES;

/// Default of [`Limits::max_future_heights`].
pub const MAX_FUTURE_HEIGHTS: u64 = 4;
/// Default of [`Limits::max_future_views`].
pub const MAX_FUTURE_VIEWS: u64 = 64;
/// Default of [`Limits::max_buffered_per_sender`].
pub const MAX_BUFFERED_PER_SENDER: usize = 64;
/// Default of [`Limits::max_buffered_bytes_per_sender`]: one largest message.
pub const MAX_BUFFERED_BYTES_PER_SENDER: usize = MAX_MESSAGE_BYTES;
/// Default of [`Limits::max_buffered_total`].
pub const MAX_BUFFERED_TOTAL: usize = 1_024;
/// Default of [`Limits::max_buffered_bytes_total`]: four largest messages.
pub const MAX_BUFFERED_BYTES_TOTAL: usize = 4 * MAX_MESSAGE_BYTES;
/// Default of [`Limits::max_blocks_per_height`].
pub const MAX_BLOCKS_PER_HEIGHT: usize = 16;
/// Default of [`Limits::max_block_bytes_per_height`]: four largest blocks.
pub const MAX_BLOCK_BYTES_PER_HEIGHT: usize = 4 * DEFAULT_MAX_BLOCK_BYTES;
/// Default of [`Limits::max_verdicts_per_height`].
pub const MAX_VERDICTS_PER_HEIGHT: usize = 16;
/// Default of [`Limits::max_synced_ahead`].
pub const MAX_SYNCED_AHEAD: usize = 64;
/// Default of [`Limits::max_synced_bytes`]: eight largest blocks (with certificates).
pub const MAX_SYNCED_BYTES: usize = 8 * DEFAULT_MAX_BLOCK_BYTES;

/// Default of [`Limits::max_checkpoint_distance`].
pub const MAX_CHECKPOINT_DISTANCE: u64 = 1_000_000;

/// The replica's memory bounds. Validate with [`Limits::validate`] (done by
/// `Config::validate`). The node reads them from its config (`[consensus.limits]`, every field
/// optional with these defaults).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Messages more than this many heights ahead are dropped, not buffered (B2).
    pub max_future_heights: u64,
    /// Messages more than this many views ahead of the replica's view are dropped (B2); it also
    /// bounds the per-height tables of commit votes and view changes (one per (sender, view)).
    pub max_future_views: u64,
    /// Future messages kept per sender (B1). Policy when full: keep the nearest; the
    /// furthest-future message (largest (height, view), the newest on ties) is dropped.
    pub max_buffered_per_sender: usize,
    /// Encoded bytes of future messages kept per sender (B3), same policy. At least
    /// `MAX_MESSAGE_BYTES`, so one legitimate message of any size always fits.
    pub max_buffered_bytes_per_sender: usize,
    /// Future messages kept over all senders (B3). Policy when full: the furthest-future
    /// message of any sender is dropped (the new one if it is the furthest).
    pub max_buffered_total: usize,
    /// Encoded bytes of future messages kept over all senders (B3), same policy.
    pub max_buffered_bytes_total: usize,
    /// Blocks kept per height (current proposal, blocks carried by view changes). Policy when
    /// full: the oldest other than the current proposal and the prepared block is evicted.
    pub max_blocks_per_height: usize,
    /// Encoded bytes of those blocks (B3), same policy. At least two largest blocks (the current
    /// proposal and the prepared block are never evicted).
    pub max_block_bytes_per_height: usize,
    /// Validation verdicts kept per height. Policy when full: the smallest hash is forgotten.
    pub max_verdicts_per_height: usize,
    /// Synced blocks kept ahead of the next height (SY3). Policy when full: the highest is
    /// dropped (it will be asked for again).
    pub max_synced_ahead: usize,
    /// Encoded bytes of those blocks with their certificates (B3), same policy. At least one
    /// largest block.
    pub max_synced_bytes: usize,
    /// SY5: the highest checkpoint height accepted; the replica keeps one trusted hash per
    /// height between its last committed block and the checkpoint (≈ 50 bytes each, ≈ 50 MB at
    /// the default), freed as it commits. `Config::validate` refuses a checkpoint above it.
    pub max_checkpoint_distance: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_future_heights: MAX_FUTURE_HEIGHTS,
            max_future_views: MAX_FUTURE_VIEWS,
            max_buffered_per_sender: MAX_BUFFERED_PER_SENDER,
            max_buffered_bytes_per_sender: MAX_BUFFERED_BYTES_PER_SENDER,
            max_buffered_total: MAX_BUFFERED_TOTAL,
            max_buffered_bytes_total: MAX_BUFFERED_BYTES_TOTAL,
            max_blocks_per_height: MAX_BLOCKS_PER_HEIGHT,
            max_block_bytes_per_height: MAX_BLOCK_BYTES_PER_HEIGHT,
            max_verdicts_per_height: MAX_VERDICTS_PER_HEIGHT,
            max_synced_ahead: MAX_SYNCED_AHEAD,
            max_synced_bytes: MAX_SYNCED_BYTES,
            max_checkpoint_distance: MAX_CHECKPOINT_DISTANCE,
        }
    }
}

/// A limit that cannot work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitError {
    /// A limit of zero.
    #[error("consensus.limits.{0} must be > 0")]
    Zero(&'static str),
    /// A limit below the smallest value that lets honest validators make progress.
    #[error("consensus.limits.{key} ({got}) must be >= {min} ({why})")]
    TooSmall {
        /// The key.
        key: &'static str,
        /// Configured value.
        got: usize,
        /// Smallest workable value.
        min: usize,
        /// Why.
        why: &'static str,
    },
    /// A per-sender limit above the total.
    #[error("consensus.limits.{per_sender} must be <= consensus.limits.{total}")]
    SenderAboveTotal {
        /// The per-sender key.
        per_sender: &'static str,
        /// The total key.
        total: &'static str,
    },
}

impl Limits {
    /// Check the values and their relationships; the error names the key.
    pub fn validate(&self) -> Result<(), LimitError> {
        let counts: [(&'static str, usize); 8] = [
            (
                "max_checkpoint_distance",
                self.max_checkpoint_distance as usize,
            ),
            ("max_future_heights", self.max_future_heights as usize),
            ("max_future_views", self.max_future_views as usize),
            ("max_buffered_per_sender", self.max_buffered_per_sender),
            ("max_buffered_total", self.max_buffered_total),
            ("max_blocks_per_height", self.max_blocks_per_height),
            ("max_verdicts_per_height", self.max_verdicts_per_height),
            ("max_synced_ahead", self.max_synced_ahead),
        ];
        for (k, v) in counts {
            if v == 0 {
                return Err(LimitError::Zero(k));
            }
        }
        let mins: [(&'static str, usize, usize, &'static str); 3] = [
            (
                "max_buffered_bytes_per_sender",
                self.max_buffered_bytes_per_sender,
                MAX_MESSAGE_BYTES,
                "one largest message must fit",
            ),
            (
                "max_block_bytes_per_height",
                self.max_block_bytes_per_height,
                2 * DEFAULT_MAX_BLOCK_BYTES,
                "the current proposal and the prepared block must fit",
            ),
            (
                "max_synced_bytes",
                self.max_synced_bytes,
                DEFAULT_MAX_BLOCK_BYTES,
                "one largest block must fit",
            ),
        ];
        for (key, got, min, why) in mins {
            if got < min {
                return Err(LimitError::TooSmall { key, got, min, why });
            }
        }
        if self.max_buffered_per_sender > self.max_buffered_total {
            return Err(LimitError::SenderAboveTotal {
                per_sender: "max_buffered_per_sender",
                total: "max_buffered_total",
            });
        }
        if self.max_buffered_bytes_per_sender > self.max_buffered_bytes_total {
            return Err(LimitError::SenderAboveTotal {
                per_sender: "max_buffered_bytes_per_sender",
                total: "max_buffered_bytes_total",
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The minimums are exact (one below is refused, the minimum itself accepted) and a
    /// per-sender limit may equal its total but not exceed it.
    #[test]
    fn validate_bounds_are_exact() {
        let ok = Limits::default();
        assert_eq!(ok.validate(), Ok(()));
        let min = 2 * DEFAULT_MAX_BLOCK_BYTES;
        let at = Limits {
            max_block_bytes_per_height: min,
            ..ok.clone()
        };
        assert_eq!(at.validate(), Ok(()));
        let below = Limits {
            max_block_bytes_per_height: min - 1,
            ..ok.clone()
        };
        assert!(matches!(
            below.validate(),
            Err(LimitError::TooSmall {
                key: "max_block_bytes_per_height",
                ..
            })
        ));
        let equal = Limits {
            max_buffered_per_sender: 10,
            max_buffered_total: 10,
            max_buffered_bytes_per_sender: MAX_MESSAGE_BYTES,
            max_buffered_bytes_total: MAX_MESSAGE_BYTES,
            ..ok.clone()
        };
        assert_eq!(equal.validate(), Ok(()));
        let count_above = Limits {
            max_buffered_per_sender: 11,
            ..equal.clone()
        };
        assert!(matches!(
            count_above.validate(),
            Err(LimitError::SenderAboveTotal {
                per_sender: "max_buffered_per_sender",
                ..
            })
        ));
        let bytes_above = Limits {
            max_buffered_bytes_per_sender: MAX_MESSAGE_BYTES + 1,
            ..equal
        };
        assert!(matches!(
            bytes_above.validate(),
            Err(LimitError::SenderAboveTotal {
                per_sender: "max_buffered_bytes_per_sender",
                ..
            })
        ));
    }
}
