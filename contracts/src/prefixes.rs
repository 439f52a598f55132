//! GS1 company prefixes (R-I2, ADR 0042): who may register trace units under a GTIN.
//!
//! A GTIN belongs to the brand owner that licensed its company prefix from a GS1 member
//! organisation. A participant claims the prefixes it holds with the evidence
//! (`claim`); a regulator approves the claim like an identity (`decide`); the holder may let
//! a contract manufacturer register units under it (`delegate`). A trace unit is then
//! registered only by the holder of the approved prefix its GTIN falls under, or by a delegate
//! ([`may_register`]), so nobody can register another brand's GTIN + batch first and lock the
//! brand out of its own codes.
//!
//! Key layout: `gcp/{prefix}/{claimant}` → [`PrefixClaimState`] (every claim, so a squatter's
//! pending claim cannot block the brand's); `gch/{prefix}` → the approved holder's key (at most
//! one approved prefix covers a GTIN: approving one that overlaps an approved one is refused);
//! `gcd/{prefix}/{delegate}` → height of the delegation.

use borsh::{BorshDeserialize, BorshSerialize};
use tracechain_types::records::{
    CompanyPrefixClaim, CompanyPrefixDecision, CompanyPrefixDelegation, PrefixAction,
};
use tracechain_types::{Hash, PublicKey};

use crate::context::TxEnv;
use crate::error::{ContractError, ErrorCode, Problem};
use crate::index_tags::IndexTag;
use crate::registry::{self, ParticipantState};
use crate::rules::Rule;
use crate::state::{decode_stored, State, StateView};
use crate::state_keys;
use crate::validate::FieldChecker;

/// Shortest company prefix accepted (digits).
pub const MIN_PREFIX_DIGITS: usize = 4;
/// Longest company prefix accepted (digits; a GTIN-14 has 12 digits between its indicator and
/// its check digit).
pub const MAX_PREFIX_DIGITS: usize = 12;

/// State of a claim.
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum ClaimState {
    /// Waiting for a regulator.
    Pending,
    /// The claimant holds the prefix.
    Approved,
    /// Refused.
    Rejected,
    /// No longer held.
    Revoked,
}

/// A claim (`gcp/{prefix}/{claimant}`).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct PrefixClaimState {
    /// Evidence hash.
    pub evidence: Hash,
    /// Its state.
    pub state: ClaimState,
    /// Claim height.
    pub height: u64,
    /// The last decision: regulator, reason, height (R-B5).
    pub decision: Option<(PublicKey, String, u64)>,
}

fn claim_key(prefix: &str, claimant: &PublicKey) -> Vec<u8> {
    state_keys::key("gcp/", &[prefix.as_bytes(), &claimant.0])
}

fn holder_key(prefix: &str) -> Vec<u8> {
    state_keys::key("gch/", &[prefix.as_bytes()])
}

fn delegation_key(prefix: &str, delegate: &PublicKey) -> Vec<u8> {
    state_keys::key("gcd/", &[prefix.as_bytes(), &delegate.0])
}

fn check_prefix(c: &mut FieldChecker, prefix: &str) {
    if prefix.len() < MIN_PREFIX_DIGITS
        || prefix.len() > MAX_PREFIX_DIGITS
        || !prefix.bytes().all(|b| b.is_ascii_digit())
    {
        c.push(
            "prefix",
            Problem::Malformed(format!(
                "a GS1 company prefix is {MIN_PREFIX_DIGITS}-{MAX_PREFIX_DIGITS} digits"
            )),
        );
    }
}

/// The approved holder of exactly `prefix`.
pub fn holder(state: &dyn StateView, prefix: &str) -> Option<PublicKey> {
    let k = holder_key(prefix);
    state.get_ref(&k).map(|b| decode_stored(&k, &b))
}

/// A claim.
pub fn claim_of(
    state: &dyn StateView,
    prefix: &str,
    claimant: &PublicKey,
) -> Option<PrefixClaimState> {
    let k = claim_key(prefix, claimant);
    state.get_ref(&k).map(|b| decode_stored(&k, &b))
}

/// The approved prefix a GTIN-14 falls under, with its holder: the digits after the indicator
/// digit, 4 to 12 long (at most one matches: approved prefixes never overlap).
pub fn prefix_of_gtin(state: &dyn StateView, gtin14: &str) -> Option<(String, PublicKey)> {
    let digits = gtin14.get(1..gtin14.len().saturating_sub(1))?;
    (MIN_PREFIX_DIGITS..=MAX_PREFIX_DIGITS.min(digits.len())).find_map(|n| {
        let p = digits.get(..n)?;
        holder(state, p).map(|h| (p.to_string(), h))
    })
}

/// Whether `who` may register trace units with this GTIN-14: it holds the approved prefix the
/// GTIN falls under, or the holder delegated it to `who`. `Err` says why not.
pub fn may_register(state: &dyn StateView, gtin14: &str, who: &PublicKey) -> Result<(), String> {
    match prefix_of_gtin(state, gtin14) {
        None => Err(format!(
            "GTIN {gtin14} is under no approved GS1 company prefix: its brand owner claims the \
             prefix first (company_prefix_claim)"
        )),
        Some((_, h)) if &h == who => Ok(()),
        Some((p, _)) if state.get_ref(&delegation_key(&p, who)).is_some() => Ok(()),
        Some((p, _)) => Err(format!(
            "GTIN {gtin14} is under GS1 company prefix {p}, held by another participant that \
             has not delegated it to the signer"
        )),
    }
}

/// CompanyPrefixClaim (R-I2): a unit registrar claims a prefix it holds.
pub(crate) fn claim(env: &mut TxEnv<'_>, r: &CompanyPrefixClaim) -> Result<(), ContractError> {
    let mut c = FieldChecker::new();
    check_prefix(&mut c, &r.prefix);
    if r.evidence == Hash::ZERO {
        c.push("evidence", Problem::Missing);
    }
    c.finish(Rule::RI2)?;
    let k = claim_key(&r.prefix, &env.signer);
    if let Some(st) = env.state.get_value::<PrefixClaimState>(&k) {
        if matches!(st.state, ClaimState::Pending | ClaimState::Approved) {
            return Err(ContractError::one(
                Rule::RI2,
                ErrorCode::AlreadyExists,
                "prefix",
                Problem::Duplicate(format!("{} is already {:?}", r.prefix, st.state)),
            ));
        }
    }
    env.state.put_value(
        k,
        &PrefixClaimState {
            evidence: r.evidence,
            state: ClaimState::Pending,
            height: env.ctx.height,
            decision: None,
        },
    );
    env.store_record(IndexTag::CompanyPrefix, &[]);
    Ok(())
}

/// An approved prefix that overlaps `prefix` (is a prefix of it, or it is a prefix of it).
fn overlapping(state: &dyn StateView, prefix: &str) -> Option<String> {
    for n in MIN_PREFIX_DIGITS..=prefix.len() {
        if let Some(p) = prefix.get(..n) {
            if holder(state, p).is_some() {
                return Some(p.to_string());
            }
        }
    }
    // A longer approved prefix starting with these digits (digits contain no 0x00, so the key
    // part is the raw digits and a byte-prefix scan finds exactly the extensions).
    let mut scan = b"gch/".to_vec();
    scan.extend_from_slice(prefix.as_bytes());
    state.scan(&scan, None, 1).into_iter().next().map(|(k, _)| {
        String::from_utf8_lossy(k.get(b"gch/".len()..).unwrap_or_default()).into_owned()
    })
}

/// CompanyPrefixDecision (R-I2, R-B5): a regulator approves, rejects or revokes a claim.
pub(crate) fn decide(env: &mut TxEnv<'_>, r: &CompanyPrefixDecision) -> Result<(), ContractError> {
    let mut c = FieldChecker::new();
    check_prefix(&mut c, &r.prefix);
    c.text_value("reason", &r.reason, true);
    c.finish(Rule::RI2)?;
    let k = claim_key(&r.prefix, &r.holder);
    let Some(mut st) = env.state.get_value::<PrefixClaimState>(&k) else {
        return Err(ContractError::one(
            Rule::RI2,
            ErrorCode::NotFound,
            "prefix",
            Problem::NotFound("no claim of this participant to this prefix".into()),
        ));
    };
    let next = match (st.state, r.action) {
        (ClaimState::Pending, PrefixAction::Approve) => ClaimState::Approved,
        (ClaimState::Pending, PrefixAction::Reject) => ClaimState::Rejected,
        (ClaimState::Approved, PrefixAction::Revoke) => ClaimState::Revoked,
        (from, action) => {
            return Err(ContractError::one(
                Rule::RI2,
                ErrorCode::InvalidTransition,
                "action",
                Problem::NotAllowed(format!("{action:?} is not allowed for a {from:?} claim")),
            ))
        }
    };
    if next == ClaimState::Approved {
        if let Some(p) = overlapping(&env.state, &r.prefix) {
            return Err(ContractError::one(
                Rule::RI2,
                ErrorCode::AlreadyExists,
                "prefix",
                Problem::Duplicate(format!(
                    "{} overlaps the approved company prefix {p}",
                    r.prefix
                )),
            ));
        }
        let approved = registry::load(&env.state, &r.holder)
            .is_some_and(|p| p.state == ParticipantState::Approved);
        if !approved {
            return Err(ContractError::one(
                Rule::RI2,
                ErrorCode::NotApproved,
                "holder",
                Problem::NotAllowed("the claimant is not an approved participant".into()),
            ));
        }
        env.state.put_value(holder_key(&r.prefix), &r.holder);
    } else if next == ClaimState::Revoked {
        env.state.delete(&holder_key(&r.prefix));
    }
    st.state = next;
    st.decision = Some((env.signer, r.reason.clone(), env.ctx.height));
    env.state.put_value(k, &st);
    env.store_record(IndexTag::CompanyPrefix, &[]);
    Ok(())
}

/// CompanyPrefixDelegation (R-I2): the holder lets a participant register units under its
/// prefix (contract manufacturing), or withdraws it.
pub(crate) fn delegate(
    env: &mut TxEnv<'_>,
    r: &CompanyPrefixDelegation,
) -> Result<(), ContractError> {
    let mut c = FieldChecker::new();
    check_prefix(&mut c, &r.prefix);
    c.finish(Rule::RI2)?;
    if holder(&env.state, &r.prefix) != Some(env.signer) {
        return Err(ContractError::one(
            Rule::RI2,
            ErrorCode::NotOwner,
            "prefix",
            Problem::NotAllowed("only the approved holder of a prefix delegates it".into()),
        ));
    }
    let k = delegation_key(&r.prefix, &r.delegate);
    if r.withdraw {
        if env.state.get_ref(&k).is_none() {
            return Err(ContractError::one(
                Rule::RI2,
                ErrorCode::NotFound,
                "delegate",
                Problem::NotFound("no delegation to withdraw".into()),
            ));
        }
        env.state.delete(&k);
    } else {
        let approved = registry::load(&env.state, &r.delegate)
            .is_some_and(|p| p.state == ParticipantState::Approved);
        if !approved || r.delegate == env.signer {
            return Err(ContractError::one(
                Rule::RI2,
                ErrorCode::NotApproved,
                "delegate",
                Problem::NotAllowed("the delegate is another, approved participant".into()),
            ));
        }
        env.state.put_value(k, &env.ctx.height);
    }
    env.store_record(IndexTag::CompanyPrefix, &[]);
    Ok(())
}
