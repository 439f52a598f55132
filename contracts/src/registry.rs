//! Participants (R-A1, R-A3, R-I4, R-B5) and trade relationships / directory (R-A6).
//!
//! States: `Pending` (registered, no rights) → `Approved` (writes allowed) ⇄ `Suspended`;
//! `Pending` → `Rejected` (may register again); any non-revoked state → `Revoked` (final).
//! Every decision is a ledger record with its reason (R-B5); earlier records of a suspended
//! or revoked participant stay (nothing is deleted, R-A3).

use borsh::{BorshDeserialize, BorshSerialize};
use tracechain_gs1::{Gln, Uscc};
use tracechain_types::records::{
    Agency, Identity, NodeType, ParticipantAction, ParticipantCategory, ParticipantDecision,
    ParticipantRegistration, RegistrationId, TradeRelationship,
};
use tracechain_types::{Hash, PublicKey};

use crate::context::TxEnv;
use crate::error::{ContractError, ErrorCode, Problem};
use crate::index_tags::IndexTag;
use crate::permissions::CategoryClass;
use crate::rules::Rule;
use crate::state::{decode_stored, State, StateView};
use crate::state_keys;
use crate::validate::{FieldChecker, MAX_TEXT_BYTES};

pub use crate::participants::{
    load, relationship, Participant, ParticipantState, RelationshipSide,
};

/// Most node types one participant declares (there are 10).
pub const MAX_NODE_TYPES: usize = NodeType::ALL.len();
/// Most entries one directory read returns; the caller pages with `after`.
pub const MAX_DIRECTORY_PAGE: usize = 500;

/// The votes of departments on one decision about a regulator (`pav/{regulator}/{registered
/// height}/{decisions}/{action}`, ADR 0041): at most one per agency, so at most
/// [`Agency::ALL`]`.len()` entries.
#[derive(Clone, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct DepartmentVotes {
    /// Agency, the voting regulator, height and reason, sorted by agency.
    pub votes: Vec<(Agency, PublicKey, u64, String)>,
}

/// Seed an approved participant at genesis (the first regulators, so that someone can approve
/// the rest). Only the node's genesis loader calls this.
pub fn genesis_participant(
    state: &mut dyn State,
    key: PublicKey,
    registration: ParticipantRegistration,
) {
    if let ParticipantCategory::Regulator(a) = registration.category {
        state.put(
            state_keys::regulator_in_office(a, &key),
            tracechain_types::encode(&()),
        );
    }
    let p = Participant {
        key,
        registration,
        state: ParticipantState::Approved,
        registered_height: 0,
        last_decision: None,
        decisions: 0,
    };
    state.put(state_keys::participant(&key), tracechain_types::encode(&p));
}

/// The agencies with at least one approved regulator (ADR 0041).
pub fn departments_in_office(state: &dyn StateView) -> Vec<Agency> {
    Agency::ALL
        .into_iter()
        .filter(|a| {
            !state
                .scan(&state_keys::regulators_in_office(*a), None, 1)
                .is_empty()
        })
        .collect()
}

/// Votes needed to decide about a regulator: more than half of the departments in office.
pub fn department_quorum(in_office: usize) -> usize {
    in_office / 2 + 1
}

/// The pending votes on `action` about the regulator `p` in its current round.
pub fn department_votes(
    state: &dyn StateView,
    p: &Participant,
    action: ParticipantAction,
) -> DepartmentVotes {
    let k = state_keys::department_vote(&p.key, p.registered_height, p.decisions, action as u8);
    state
        .get_ref(&k)
        .map(|b| decode_stored(&k, &b))
        .unwrap_or_default()
}

/// R-I4: a USCC for Chinese enterprises, a GLN, or another country's registration number.
fn check_registration_id(c: &mut FieldChecker, country: &str, registration_id: &RegistrationId) {
    match registration_id {
        RegistrationId::Uscc(s) => {
            if let Err(e) = Uscc::parse(s) {
                c.push(
                    "identity.registration_id.uscc",
                    Problem::Malformed(e.to_string()),
                );
            }
            if country != "CN" {
                c.push(
                    "identity.registration_id",
                    Problem::NotAllowed(
                        "a USCC identifies Chinese enterprises (country CN)".into(),
                    ),
                );
            }
        }
        RegistrationId::Gln(s) => {
            if let Err(e) = Gln::parse(s) {
                c.push(
                    "identity.registration_id.gln",
                    Problem::Malformed(e.to_string()),
                );
            }
        }
        RegistrationId::National { country, number } => {
            c.country_value("identity.registration_id.country", country);
            if number.is_empty()
                || number.len() > 64
                || !number.bytes().all(|b| b.is_ascii_graphic())
            {
                c.push(
                    "identity.registration_id.number",
                    Problem::Malformed("1-64 printable ASCII characters".into()),
                );
            }
            if country == "CN" {
                c.push(
                    "identity.registration_id",
                    Problem::NotAllowed(
                        "Chinese enterprises are identified by their USCC (R-I4)".into(),
                    ),
                );
            }
        }
    }
}

/// Check a registration's fields (R-A1, R-I4).
pub fn check_registration(r: &ParticipantRegistration) -> Result<(), ContractError> {
    let mut c = FieldChecker::new();
    c.country_value("country", &r.country);
    if r.node_types.len() > MAX_NODE_TYPES {
        c.push(
            "node_types",
            Problem::TooLong {
                max: MAX_NODE_TYPES,
            },
        );
    }
    for (i, n) in r.node_types.iter().enumerate() {
        if r.node_types
            .get(..i)
            .is_some_and(|before| before.contains(n))
        {
            c.push(
                format!("node_types[{i}]"),
                Problem::Duplicate(format!("{n:?}")),
            );
        }
    }
    let class = CategoryClass::of(&r.category);
    if !r.node_types.is_empty()
        && matches!(
            class,
            CategoryClass::Regulator | CategoryClass::ConsumerOrOther
        )
    {
        c.push(
            "node_types",
            Problem::NotAllowed(format!(
                "category {:?} runs no access node (spec 6.2.2)",
                r.category
            )),
        );
    }
    match &r.identity {
        Identity::Organisation {
            legal_name,
            registration_id,
        } => {
            c.text_value("identity.legal_name", legal_name, true);
            check_registration_id(&mut c, &r.country, registration_id);
        }
        Identity::NaturalPerson { commitment } => {
            if class != CategoryClass::ConsumerOrOther {
                c.push(
                    "identity",
                    Problem::NotAllowed(format!(
                        "category {:?} registers as an organisation (legal name and R-I4 \
                         registration id); only a consumer may be a natural person",
                        r.category
                    )),
                );
            }
            if commitment.0 == Hash::ZERO {
                c.push("identity.commitment", Problem::Missing);
            }
        }
    }
    if r.identity_document == Hash::ZERO {
        c.push("identity_document", Problem::Missing);
    }
    c.finish(Rule::RA1).map_err(|mut e| {
        if e.problems
            .iter()
            .any(|p| p.field.starts_with("identity.registration_id"))
        {
            e.rule = Rule::RI4;
        }
        e
    })
}

/// RegisterParticipant (R-A1): stored as `Pending`.
pub(crate) fn register(
    env: &mut TxEnv<'_>,
    r: &ParticipantRegistration,
) -> Result<(), ContractError> {
    check_registration(r)?;
    if let Err(e) = env.signer.check_registrable() {
        return Err(ContractError::one(
            Rule::RA1,
            ErrorCode::MalformedItem,
            "signer",
            Problem::Malformed(e.to_string()),
        ));
    }
    let p = Participant {
        key: env.signer,
        registration: r.clone(),
        state: ParticipantState::Pending,
        registered_height: env.ctx.height,
        last_decision: None,
        decisions: 0,
    };
    env.state
        .put_value(state_keys::participant(&env.signer), &p);
    env.store_record(IndexTag::Registration, &[]);
    Ok(())
}

/// ParticipantDecision by a regulator (R-A1, R-A3, R-B5).
pub(crate) fn decide(env: &mut TxEnv<'_>, d: &ParticipantDecision) -> Result<(), ContractError> {
    let mut c = FieldChecker::new();
    if d.reason.len() > MAX_TEXT_BYTES || d.reason.trim().is_empty() {
        c.text_value("reason", &d.reason, true);
    }
    c.finish(Rule::RB5)?;
    let Some(mut p) = load(&env.state, &d.participant) else {
        return Err(ContractError::one(
            Rule::RA1,
            ErrorCode::NotFound,
            "participant",
            Problem::NotFound("no such participant".into()),
        ));
    };
    if d.participant == env.signer {
        return Err(ContractError::one(
            Rule::RA3,
            ErrorCode::NotPermitted,
            "participant",
            Problem::NotAllowed("a regulator cannot decide on itself".into()),
        ));
    }
    use ParticipantAction as A;
    use ParticipantState as S;
    let next = match (p.state, d.action) {
        (S::Pending, A::Approve) => S::Approved,
        (S::Pending, A::Reject) => S::Rejected,
        (S::Approved, A::Suspend) => S::Suspended,
        (S::Suspended, A::Reinstate) => S::Approved,
        (S::Pending | S::Approved | S::Suspended | S::Rejected, A::Revoke) => S::Revoked,
        (from, action) => {
            let rule = if matches!(action, A::Approve | A::Reject) {
                Rule::RA1
            } else {
                Rule::RA3
            };
            return Err(ContractError::one(
                rule,
                ErrorCode::InvalidTransition,
                "action",
                Problem::NotAllowed(format!(
                    "{action:?} is not allowed for a {from:?} participant"
                )),
            ));
        }
    };
    env.store_record(IndexTag::Decision, &[]);
    if let ParticipantCategory::Regulator(subject) = p.registration.category {
        if !department_vote(env, &p, d)? {
            return Ok(());
        }
        let office = state_keys::regulator_in_office(subject, &p.key);
        if next == S::Approved {
            env.state.put_value(office, &());
        } else {
            env.state.delete(&office);
        }
    }
    p.state = next;
    p.decisions = p.decisions.saturating_add(1);
    p.last_decision = Some((env.signer, d.action, d.reason.clone(), env.ctx.height));
    env.state
        .put_value(state_keys::participant(&d.participant), &p);
    Ok(())
}

/// ADR 0041: a decision about a regulator is a vote of the decider's department; it takes
/// effect once more than half of the departments in office voted for the same action in the
/// regulator's current round. Returns whether it takes effect now.
fn department_vote(
    env: &mut TxEnv<'_>,
    p: &Participant,
    d: &ParticipantDecision,
) -> Result<bool, ContractError> {
    let Some(ParticipantCategory::Regulator(agency)) =
        env.participant.as_ref().map(|x| x.registration.category)
    else {
        return Err(ContractError::one(
            Rule::RA1,
            ErrorCode::NotPermitted,
            "signer",
            Problem::NotAllowed("decisions are taken by regulators".into()),
        ));
    };
    let mut votes = department_votes(&env.state, p, d.action);
    if votes.votes.iter().any(|(a, ..)| *a == agency) {
        return Err(ContractError::one(
            Rule::RA1,
            ErrorCode::InvalidTransition,
            "action",
            Problem::Duplicate(format!(
                "department {agency:?} has voted {:?} on this regulator already",
                d.action
            )),
        ));
    }
    let at = votes.votes.partition_point(|(a, ..)| *a < agency);
    votes
        .votes
        .insert(at, (agency, env.signer, env.ctx.height, d.reason.clone()));
    let needed = department_quorum(departments_in_office(&env.state).len());
    let round = |action: ParticipantAction| {
        state_keys::department_vote(&p.key, p.registered_height, p.decisions, action as u8)
    };
    if votes.votes.len() >= needed {
        // The round ends: every action's votes of this round are spent.
        for action in ParticipantAction::ALL {
            env.state.delete(&round(action));
        }
        Ok(true)
    } else {
        env.state.put_value(round(d.action), &votes);
        Ok(false)
    }
}

/// TradeRelationship (R-A6): records the signer's side; the relationship exists once both
/// sides signed the same terms.
pub(crate) fn trade_relationship(
    env: &mut TxEnv<'_>,
    t: &TradeRelationship,
) -> Result<(), ContractError> {
    if t.counterparty == env.signer {
        return Err(ContractError::one(
            Rule::RA6,
            ErrorCode::MalformedItem,
            "counterparty",
            Problem::NotAllowed("a relationship needs two participants".into()),
        ));
    }
    match load(&env.state, &t.counterparty) {
        Some(p) if p.state == ParticipantState::Approved => {}
        Some(p) => {
            return Err(ContractError::one(
                Rule::RA6,
                ErrorCode::NotApproved,
                "counterparty",
                Problem::NotAllowed(format!("counterparty is {:?}", p.state)),
            ));
        }
        None => {
            return Err(ContractError::one(
                Rule::RA6,
                ErrorCode::NotFound,
                "counterparty",
                Problem::NotFound("no such participant".into()),
            ));
        }
    }
    if t.terms == Hash::ZERO {
        return Err(ContractError::one(
            Rule::RA6,
            ErrorCode::MissingBasicItem,
            "terms",
            Problem::Missing,
        ));
    }
    env.state.put_value(
        state_keys::relationship(&env.signer, &t.counterparty),
        &RelationshipSide {
            terms: t.terms,
            height: env.ctx.height,
        },
    );
    env.store_record(IndexTag::Relationship, &[]);
    Ok(())
}

/// A directory query (R-A6): approved participants, filtered by category class, node type and
/// country (each optional).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DirectoryQuery {
    /// Category class.
    pub category: Option<CategoryClass>,
    /// Exact category (with sub-kind).
    pub exact_category: Option<ParticipantCategory>,
    /// Node type.
    pub node_type: Option<NodeType>,
    /// ISO 3166-1 alpha-2 country.
    pub country: Option<String>,
    /// Continue after this key (paging).
    pub after: Option<PublicKey>,
    /// Page size (capped at [`MAX_DIRECTORY_PAGE`]).
    pub limit: usize,
}

/// The participant directory (R-A6): approved participants matching the query, in key order.
/// Scans the registry (a consortium has thousands of members, not millions); a page holds at
/// most [`MAX_DIRECTORY_PAGE`] entries.
pub fn directory(state: &dyn StateView, q: &DirectoryQuery) -> Vec<Participant> {
    let limit = q.limit.clamp(1, MAX_DIRECTORY_PAGE);
    let mut out = Vec::new();
    let mut after = q.after.map(|k| state_keys::participant(&k));
    const PAGE: usize = 256;
    loop {
        let page = state.scan(b"par/", after.as_deref(), PAGE);
        let n = page.len();
        for (k, v) in page {
            let p: Participant = decode_stored(&k, &v);
            after = Some(k);
            let reg = &p.registration;
            let ok = p.state == ParticipantState::Approved
                && q.category
                    .is_none_or(|c| CategoryClass::of(&reg.category) == c)
                && q.exact_category.is_none_or(|c| reg.category == c)
                && q.node_type.is_none_or(|n| reg.node_types.contains(&n))
                && q.country.as_ref().is_none_or(|c| &reg.country == c);
            if ok {
                out.push(p);
                if out.len() >= limit {
                    return out;
                }
            }
        }
        if n < PAGE {
            return out;
        }
    }
}
