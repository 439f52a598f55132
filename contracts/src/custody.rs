//! Custody of trace units (R-A6, ADR 0049): who may write a unit's logistics records.
//!
//! A unit's custodians are its registrant, the registrant's trade partners (R-A6) and every
//! participant that received it through a recorded hand-over from a custodian
//! ([`handover`]); custody of a batch covers its items. Logistics records (R-L1–R-L5) of
//! logistics nodes are written only by custodians, so a carrier with no part in a shipment
//! cannot move, deliver or discard another producer's goods.
//!
//! Key layout: `cus/{code}/{custodian}` → `u64` the height of the hand-over.

use tracechain_types::records::Handover;
use tracechain_types::PublicKey;

use crate::context::TxEnv;
use crate::error::{ContractError, Problem};
use crate::index_tags::IndexTag;
use crate::registry::{self, ParticipantState};
use crate::rules::Rule;
use crate::state::StateView;
use crate::state_keys;
use crate::trace::{self, check_record_codes, TraceUnit};
use crate::trace_codes::NormalisedCode;
use crate::validate::FieldChecker;

fn custody_key(code: &NormalisedCode, who: &PublicKey) -> Vec<u8> {
    state_keys::key("cus/", &[code.as_bytes(), &who.0])
}

/// Whether the signer is a custodian of `unit` (or, for an item, of its batch).
pub(crate) fn is_custodian(env: &mut TxEnv<'_>, code: &NormalisedCode, unit: &TraceUnit) -> bool {
    let signer = env.signer;
    if unit.registrant == signer || env.related(&signer, &unit.registrant) {
        return true;
    }
    if env.state.get_ref(&custody_key(code, &signer)).is_some() {
        return true;
    }
    unit.batch
        .as_ref()
        .and_then(|b| NormalisedCode::new("batch", b).ok())
        .is_some_and(|b| env.state.get_ref(&custody_key(&b, &signer)).is_some())
}

/// Refuse unless the signer is a custodian of every unit: `R-A6 E_NOT_OWNER`, one problem
/// `{field}[i]` per unit it holds no custody of.
pub(crate) fn check_custody(
    env: &mut TxEnv<'_>,
    field: &str,
    units: &[(NormalisedCode, TraceUnit)],
) -> Result<(), ContractError> {
    crate::info_blocks::refuse_units_without(env, field, units, is_custodian, |code| {
        format!(
            "the signer has no custody of {}: it is not its registrant, a trade partner of the \
             registrant, nor was it handed the unit over (handover)",
            code.as_str()
        )
    })
}

/// Handover (R-A6): a custodian of every named unit gives another approved participant
/// custody of them.
pub(crate) fn handover(env: &mut TxEnv<'_>, r: &Handover) -> Result<(), ContractError> {
    let mut c = FieldChecker::new();
    if r.to == env.signer {
        c.push(
            "to",
            Problem::NotAllowed("a hand-over is to another participant".into()),
        );
    } else if registry::load(&env.state, &r.to)
        .is_none_or(|p| p.state != ParticipantState::Approved)
    {
        c.push(
            "to",
            Problem::NotAllowed("the new custodian is not an approved participant".into()),
        );
    }
    c.finish(Rule::RA6)?;
    let mut codes_check = FieldChecker::new();
    let units = check_record_codes(&env.state, &mut codes_check, "trace_codes", &r.trace_codes);
    trace::finish_codes(codes_check)?;
    check_custody(env, "trace_codes", &units)?;
    let codes: Vec<NormalisedCode> = units.into_iter().map(|(n, _)| n).collect();
    for n in &codes {
        env.state.put_value(custody_key(n, &r.to), &env.ctx.height);
    }
    env.store_record(IndexTag::Handover, &codes);
    Ok(())
}
