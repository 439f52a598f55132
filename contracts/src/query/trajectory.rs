//! Trajectory of a trace unit (R-S5): the ordered list of positions carried by its logistics
//! records (tally, transport, warehousing, delivery) and, for an item, by its batch's records.

use tracechain_types::records::{Position, TraceCode};
use tracechain_types::{Category, Hash, InfoBlockRecord, PublicKey};

use super::{records_bounded, self_and_batch, unit};

use crate::index_tags::IndexTag;
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
    pub category: IndexTag,
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
    /// Whether the answer is short: points cut at [`MAX_TRAJECTORY_POINTS`], or more than
    /// [`MAX_RECORDS_PER_CATEGORY`](super::MAX_RECORDS_PER_CATEGORY) logistics records of one
    /// category, of which only the first were read.
    pub truncated: bool,
}

/// How precise the positions of a trajectory answer are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precision {
    /// As recorded (for roles allowed to see them: regulators, the unit's partners; R-A5).
    Exact,
    /// Rounded to [`PUBLIC_GRID_E7`] (0.01°, about 1 km): the consumer story (ADR 0046). A
    /// carrier's last-mile fix near a home would otherwise put the address in the public
    /// answer.
    Public,
}

/// The grid of public positions, in degrees × 10⁷ (0.01°).
pub const PUBLIC_GRID_E7: i32 = 100_000;

/// Round a coordinate (degrees × 10⁷) to the public grid.
pub fn coarse_e7(v: i32) -> i32 {
    let half = PUBLIC_GRID_E7 / 2;
    let r = (i64::from(v) + i64::from(if v >= 0 { half } else { -half }))
        / i64::from(PUBLIC_GRID_E7)
        * i64::from(PUBLIC_GRID_E7);
    i32::try_from(r).unwrap_or(v)
}

/// The public trajectory of a unit (R-S5): [`trajectory_at`] with [`Precision::Public`].
pub fn trajectory(state: &dyn StateView, code: &TraceCode) -> Option<Trajectory> {
    trajectory_at(state, code, Precision::Public)
}

/// The trajectory of a unit (R-S5) at a precision, or `None` when the code is not registered.
pub fn trajectory_at(
    state: &dyn StateView,
    code: &TraceCode,
    precision: Precision,
) -> Option<Trajectory> {
    let (n, _) = unit(state, code)?;
    let mut points = Vec::new();
    let mut all_read = true;
    for c in self_and_batch(state, &n) {
        for cat in [
            IndexTag::Info(Category::L1),
            IndexTag::Info(Category::L2),
            IndexTag::Info(Category::L3),
            IndexTag::Info(Category::L4),
        ] {
            let (envs, complete) = records_bounded(state, &c, cat);
            all_read &= complete;
            for env in envs {
                let positions: &[Position] = match env.info_block() {
                    Some(InfoBlockRecord::Tally(r)) => &r.positions,
                    Some(InfoBlockRecord::Transport(r)) => &r.positions,
                    Some(InfoBlockRecord::Warehousing(r)) => &r.positions,
                    Some(InfoBlockRecord::Delivery(r)) => &r.positions,
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
    let truncated = points.len() > MAX_TRAJECTORY_POINTS || !all_read;
    points.truncate(MAX_TRAJECTORY_POINTS);
    if precision == Precision::Public {
        for p in &mut points {
            p.position.lat_e7 = coarse_e7(p.position.lat_e7);
            p.position.lon_e7 = coarse_e7(p.position.lon_e7);
        }
    }
    Some(Trajectory { points, truncated })
}
