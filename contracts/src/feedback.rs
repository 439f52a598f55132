//! Feedback and answers (R-S7, spec 7.4 d): anyone who reads a trace result (any approved
//! participant) files feedback on a registered trace code; the trace-service provider
//! answers. Both are records.
//!
//! **Who answers.** A participant of a trace-service-provider category (permission table)
//! that is a provider *of this unit*: its registrant (or its batch's), the writer of any
//! record of the unit, a regulator, or the platform operator. Others are refused with
//! `E_NOT_OWNER`.
//!
//! Key layout: `fb/{author}/{ref}` → [`FeedbackState`].

use borsh::{BorshDeserialize, BorshSerialize};
use tracechain_types::records::{Feedback, FeedbackAnswer, TraceCode};
use tracechain_types::{Hash, PublicKey};

use crate::context::TxEnv;
use crate::error::{ContractError, ErrorCode, Problem};
use crate::index_tags::IndexTag;
use crate::permissions::CategoryClass;
use crate::query;
use crate::rules::Rule;
use crate::state::{decode_stored, StateView};
use crate::state_keys;
use crate::trace;
use crate::trace_codes::NormalisedCode;
use crate::validate::FieldChecker;

/// Most answers one feedback collects; more are refused (`E_LIMIT_EXCEEDED`).
pub const MAX_ANSWERS: usize = 16;

/// An answer.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Answer {
    /// Who answered.
    pub provider: PublicKey,
    /// Text.
    pub text: String,
    /// Height.
    pub height: u64,
    /// Transaction.
    pub tx_id: Hash,
}

/// A feedback with its answers (`fb/{author}/{ref}`).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct FeedbackState {
    /// The unit (normalised).
    pub code: TraceCode,
    /// Text.
    pub text: String,
    /// Height.
    pub height: u64,
    /// Transaction.
    pub tx_id: Hash,
    /// Answers in order.
    pub answers: Vec<Answer>,
}

fn feedback_key(author: &PublicKey, r: &str) -> Vec<u8> {
    state_keys::key("fb/", &[&author.0, r.as_bytes()])
}

/// Feedback (R-S7).
pub(crate) fn feedback(env: &mut TxEnv<'_>, r: &Feedback) -> Result<(), ContractError> {
    let mut c = FieldChecker::new();
    c.text_value("feedback_ref", &r.feedback_ref, true);
    c.text_value("text", &r.text, true);
    let units =
        trace::check_record_codes(&env.state, &mut c, "code", std::slice::from_ref(&r.code));
    if !c.is_ok()
        && c.problems
            .iter()
            .all(|p| matches!(p.problem, Problem::NotFound(_)))
    {
        return Err(trace::unknown_unit_error(c.problems));
    }
    c.finish(Rule::RS7)?;
    let Some((code, _)) = units.into_iter().next() else {
        return Err(ContractError::one(
            Rule::RS7,
            ErrorCode::MalformedItem,
            "code",
            Problem::Missing,
        ));
    };
    let k = feedback_key(&env.signer, &r.feedback_ref);
    if env.state.get_ref(&k).is_some() {
        return Err(ContractError::one(
            Rule::RS7,
            ErrorCode::AlreadyExists,
            "feedback_ref",
            Problem::Duplicate(r.feedback_ref.clone()),
        ));
    }
    env.state.put_value(
        k,
        &FeedbackState {
            code: code.code().clone(),
            text: r.text.clone(),
            height: env.ctx.height,
            tx_id: env.tx_id,
            answers: Vec::new(),
        },
    );
    env.store_record(IndexTag::Feedback, std::slice::from_ref(&code));
    Ok(())
}

/// Whether `who` provides trace service for the unit (see the module docs).
pub(crate) fn is_provider_of(env: &TxEnv<'_>, code: &NormalisedCode) -> bool {
    let class = env
        .participant
        .as_ref()
        .map(|p| CategoryClass::of(&p.registration.category));
    if matches!(
        class,
        Some(CategoryClass::Regulator | CategoryClass::PlatformOperator)
    ) {
        return true;
    }
    for c in query::self_and_batch(&env.state, code) {
        if trace::load(&env.state, &c).is_some_and(|u| u.registrant == env.signer) {
            return true;
        }
        // Written by `TxEnv::store_record` for every record but feedback, scans and document
        // anchors (ADR 0044): one lookup, whatever else the unit's index holds.
        if env
            .state
            .get_ref(&state_keys::unit_provider(&c, &env.signer))
            .is_some()
        {
            return true;
        }
    }
    false
}

/// FeedbackAnswer (R-S7).
pub(crate) fn answer(env: &mut TxEnv<'_>, r: &FeedbackAnswer) -> Result<(), ContractError> {
    let mut c = FieldChecker::new();
    c.text_value("text", &r.text, true);
    c.finish(Rule::RS7)?;
    let k = feedback_key(&r.author, &r.feedback_ref);
    let Some(mut f) = env.state.get_value::<FeedbackState>(&k) else {
        return Err(ContractError::one(
            Rule::RS7,
            ErrorCode::NotFound,
            "feedback_ref",
            Problem::NotFound("no such feedback of this author".into()),
        ));
    };
    let Ok(code) = NormalisedCode::new("code", &f.code) else {
        return Err(ContractError::one(
            Rule::RS7,
            ErrorCode::NotFound,
            "feedback_ref",
            Problem::NotFound("stored code".into()),
        ));
    };
    if !is_provider_of(env, &code) {
        return Err(ContractError::one(
            Rule::RS7,
            ErrorCode::NotOwner,
            "feedback_ref",
            Problem::NotAllowed("only a trace-service provider of this unit answers".into()),
        ));
    }
    if f.answers.len() >= MAX_ANSWERS {
        return Err(ContractError::one(
            Rule::RS7,
            ErrorCode::LimitExceeded,
            "feedback_ref",
            Problem::TooLong { max: MAX_ANSWERS },
        ));
    }
    f.answers.push(Answer {
        provider: env.signer,
        text: r.text.clone(),
        height: env.ctx.height,
        tx_id: env.tx_id,
    });
    env.state.put_value(k, &f);
    env.store_record(IndexTag::Feedback, std::slice::from_ref(&code));
    Ok(())
}

/// A feedback with its answers.
pub fn load(
    state: &dyn StateView,
    author: &PublicKey,
    feedback_ref: &str,
) -> Option<FeedbackState> {
    let k = feedback_key(author, feedback_ref);
    state.get_ref(&k).map(|b| decode_stored(&k, &b))
}
