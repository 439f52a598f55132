//! Sensor readings against declared ranges (R-S6): alerts. Owned by part B. Phase 1 stub.
//!
//! Hook: [`on_readings`] is called by `blocks` for every accepted transport or warehousing
//! record that carries readings, after the record is stored. It may write alert entries under
//! `alert/` and `sen/`; it must not refuse the record (readings outside the range are a fact to
//! report, not a malformed record).

use tracechain_types::records::SensorReading;

use crate::codes::NormalisedCode;
use crate::error::ContractError;
use crate::exec::TxEnv;

/// Called after a transport / warehousing record with readings was stored.
pub fn on_readings(
    _env: &mut TxEnv<'_>,
    _codes: &[NormalisedCode],
    _readings: &[SensorReading],
) -> Result<(), ContractError> {
    Ok(())
}
