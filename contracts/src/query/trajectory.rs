//! Trajectory of a trace unit (R-S5): the ordered list of positions carried by its logistics
//! records (tally, transport, warehousing, delivery) and, for an item, by its batch's records.

use tracechain_types::records::{Position, TraceCode};
use tracechain_types::{Hash, Payload, PublicKey};

use super::{records, self_and_batch, tags, unit};
use crate::state::StateView;
use crate::validate::parse_rfc3339;

/// Most positions one trajectory returns (earliest first); the rest is cut and
/// [`Trajectory::truncated`] is set.
pub const MAX_TRAJECTORY_POINTS: usize = 10_000;

/// One point of a trajectory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrajectoryPoint {
    /// The position as recorded.
    pub position: Position,
    /// Its time as Unix milliseconds (the sort key).
    pub time_ms: i64,
    /// Category tag of the record carrying it (`L1`…`L4`).
    pub category: &'static str,
    /// The record's transaction.
    pub tx_id: Hash,
    /// Who recorded it.
    pub recorded_by: PublicKey,
    /// Block height of the record.
    pub height: u64,
}

/// A unit's trajectory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trajectory {
    /// Points ordered by (time, height, tx id).
    pub points: Vec<TrajectoryPoint>,
    /// Whether points were cut at [`MAX_TRAJECTORY_POINTS`].
    pub truncated: bool,
}

/// The trajectory of a unit (R-S5), or `None` when the code is not registered.
pub fn trajectory(state: &dyn StateView, code: &TraceCode) -> Option<Trajectory> {
    let (n, _) = unit(state, code)?;
    let mut points = Vec::new();
    for c in self_and_batch(state, &n) {
        for cat in [tags::L1, tags::L2, tags::L3, tags::L4] {
            for env in records(state, &c, cat) {
                let positions: &[Position] = match &env.payload {
                    Payload::Tally(r) => &r.positions,
                    Payload::Transport(r) => &r.positions,
                    Payload::Warehousing(r) => &r.positions,
                    Payload::Delivery(r) => &r.positions,
                    _ => &[],
                };
                for p in positions {
                    // Stored records passed R-X1, so times parse; a time that does not is
                    // skipped rather than guessed.
                    let Ok(t) = parse_rfc3339(&p.time) else {
                        continue;
                    };
                    points.push(TrajectoryPoint {
                        position: p.clone(),
                        time_ms: t,
                        category: cat,
                        tx_id: env.tx_id,
                        recorded_by: env.signer,
                        height: env.height,
                    });
                }
            }
        }
    }
    points.sort_by(|a, b| {
        (
            a.time_ms,
            a.height,
            a.tx_id,
            a.position.lat_e7,
            a.position.lon_e7,
        )
            .cmp(&(
                b.time_ms,
                b.height,
                b.tx_id,
                b.position.lat_e7,
                b.position.lon_e7,
            ))
    });
    points.dedup();
    let truncated = points.len() > MAX_TRAJECTORY_POINTS;
    points.truncate(MAX_TRAJECTORY_POINTS);
    Some(Trajectory { points, truncated })
}
