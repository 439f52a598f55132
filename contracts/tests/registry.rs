//! Registry and trace-unit rules: R-A1, R-A3, R-A6, R-B5, R-I1–R-I4.

mod common;

use common::*;
use tracechain_contracts::permissions::CategoryClass;
use tracechain_contracts::registry::{self, DirectoryQuery, ParticipantState};
use tracechain_contracts::IndexTag;
use tracechain_contracts::Rule;
use tracechain_contracts::{trace, ErrorCode};
use tracechain_types::payload::PayloadKind as K;
use tracechain_types::records::*;
use tracechain_types::{
    Category, ClosedLoopRecord, Hash, InfoBlockRecord, ParticipantRecord, Payload, TraceUnitRecord,
};

fn decide(
    w: &mut World,
    reg: &tracechain_types::SecretKey,
    who: &tracechain_types::SecretKey,
    action: ParticipantAction,
) -> Result<(), tracechain_contracts::ContractError> {
    w.exec(
        reg,
        Payload::Participant(ParticipantRecord::ParticipantDecision(
            ParticipantDecision {
                participant: who.public(),
                action,
                reason: format!("{action:?} after inspection"),
            },
        )),
    )
    .map(|_| ())
}

#[test]
fn r_a3_suspended_and_revoked_writes_rejected_earlier_records_stay() {
    let mut w = World::new();
    let cast = w.cast();
    let code = batch("A3");
    w.unit(&cast, &code, TraceMode::Full);
    w.exec(&cast.producer, valid_record(K::Production, &code, 1))
        .unwrap();
    decide(
        &mut w,
        &cast.regulator,
        &cast.producer,
        ParticipantAction::Suspend,
    )
    .unwrap();
    let e = w
        .exec(&cast.producer, valid_record(K::ProductFeatures, &code, 1))
        .unwrap_err();
    assert_eq!((e.rule, e.code), (Rule::RA3, ErrorCode::Suspended));
    decide(
        &mut w,
        &cast.regulator,
        &cast.producer,
        ParticipantAction::Reinstate,
    )
    .unwrap();
    w.exec(&cast.producer, valid_record(K::ProductFeatures, &code, 1))
        .unwrap();
    decide(
        &mut w,
        &cast.regulator,
        &cast.producer,
        ParticipantAction::Revoke,
    )
    .unwrap();
    let e = w
        .exec(&cast.producer, valid_record(K::Materials, &code, 1))
        .unwrap_err();
    assert_eq!((e.rule, e.code), (Rule::RA3, ErrorCode::Revoked));
    // revoked is final
    let e = decide(
        &mut w,
        &cast.regulator,
        &cast.producer,
        ParticipantAction::Reinstate,
    )
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidTransition);
    // earlier records stay
    let view = trace::lookup(&w.state, &code).unwrap();
    let cats: Vec<&str> = view.records.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(cats, ["P2", "P3", "TU"]);
    assert!(view
        .records
        .iter()
        .all(|(_, r)| r.signer == cast.producer.public()));
}

#[test]
fn r_b5_decisions_carry_reasons_and_only_regulators_decide() {
    let mut w = World::new();
    let cast = w.cast();
    let k = key(5);
    w.exec(
        &k,
        Payload::Participant(ParticipantRecord::RegisterParticipant(registration(
            ParticipantCategory::Logistics,
            vec![NodeType::TallyPicking],
        ))),
    )
    .unwrap();
    let e = w
        .exec(
            &cast.producer,
            Payload::Participant(ParticipantRecord::ParticipantDecision(
                ParticipantDecision {
                    participant: k.public(),
                    action: ParticipantAction::Approve,
                    reason: "x".into(),
                },
            )),
        )
        .unwrap_err();
    assert_eq!((e.rule, e.code), (Rule::RA1, ErrorCode::NotPermitted));
    let e = w
        .exec(
            &cast.regulator,
            Payload::Participant(ParticipantRecord::ParticipantDecision(
                ParticipantDecision {
                    participant: k.public(),
                    action: ParticipantAction::Approve,
                    reason: " ".into(),
                },
            )),
        )
        .unwrap_err();
    assert!(e.names("reason"));
    decide(&mut w, &cast.regulator, &k, ParticipantAction::Approve).unwrap();
    let p = registry::load(&w.state, &k.public()).unwrap();
    assert_eq!(p.state, ParticipantState::Approved);
    let (by, action, reason, _) = p.last_decision.unwrap();
    assert_eq!(
        (by, action, reason.as_str()),
        (
            cast.regulator.public(),
            ParticipantAction::Approve,
            "Approve after inspection"
        )
    );
    // suspend is not allowed from pending; approve not from approved
    let e = decide(&mut w, &cast.regulator, &k, ParticipantAction::Approve).unwrap_err();
    assert_eq!((e.rule, e.code), (Rule::RA1, ErrorCode::InvalidTransition));
}

#[test]
fn r_a1_rejected_participant_may_register_again() {
    let mut w = World::new();
    let cast = w.cast();
    let k = key(6);
    let reg = Payload::Participant(ParticipantRecord::RegisterParticipant(registration(
        ParticipantCategory::Logistics,
        vec![],
    )));
    w.exec(&k, reg.clone()).unwrap();
    let e = w.exec(&k, reg.clone()).unwrap_err();
    assert_eq!(e.code, ErrorCode::AlreadyExists);
    decide(&mut w, &cast.regulator, &k, ParticipantAction::Reject).unwrap();
    w.exec(&k, reg).unwrap();
    assert_eq!(
        registry::load(&w.state, &k.public()).unwrap().state,
        ParticipantState::Pending
    );
}

#[test]
fn r_i4_registration_ids_are_verified() {
    let mut w = World::new();
    let mut r = registration(
        ParticipantCategory::TradeEntity(TradeEntityKind::Manufacturer),
        vec![NodeType::Producer],
    );
    set_id(&mut r, RegistrationId::Uscc("91350100M000100Y44".into()));
    let e = w
        .exec(
            &key(1),
            Payload::Participant(ParticipantRecord::RegisterParticipant(r.clone())),
        )
        .unwrap_err();
    assert_eq!(e.rule, Rule::RI4);
    assert!(e.names("identity.registration_id.uscc"), "{e}");
    set_id(&mut r, RegistrationId::Gln("4006381333932".into()));
    let e = w
        .exec(
            &key(1),
            Payload::Participant(ParticipantRecord::RegisterParticipant(r.clone())),
        )
        .unwrap_err();
    assert!(e.names("identity.registration_id.gln"), "{e}");
    set_id(&mut r, RegistrationId::Gln("4006381333931".into()));
    r.country = "DE".into();
    w.exec(
        &key(1),
        Payload::Participant(ParticipantRecord::RegisterParticipant(r.clone())),
    )
    .unwrap();
    set_id(
        &mut r,
        RegistrationId::National {
            country: "CN".into(),
            number: "123".into(),
        },
    );
    r.country = "CN".into();
    let e = w
        .exec(
            &key(2),
            Payload::Participant(ParticipantRecord::RegisterParticipant(r.clone())),
        )
        .unwrap_err();
    assert!(
        e.names("identity.registration_id"),
        "Chinese enterprises use the USCC: {e}"
    );
    // every bad field at once
    set_name(&mut r, "");
    r.country = "XX".into();
    r.identity_document = Hash::ZERO;
    let e = w
        .exec(
            &key(2),
            Payload::Participant(ParticipantRecord::RegisterParticipant(r)),
        )
        .unwrap_err();
    for f in [
        "identity.legal_name",
        "country",
        "identity_document",
        "identity.registration_id",
    ] {
        assert!(e.names(f), "{f} in {e}");
    }
}

fn set_id(r: &mut ParticipantRegistration, id: RegistrationId) {
    if let Identity::Organisation {
        registration_id, ..
    } = &mut r.identity
    {
        *registration_id = id;
    }
}

fn set_name(r: &mut ParticipantRegistration, name: &str) {
    if let Identity::Organisation { legal_name, .. } = &mut r.identity {
        *legal_name = name.into();
    }
}

#[test]
fn r_a1_natural_person_identity_is_a_salted_commitment_and_only_for_consumers() {
    let mut w = World::new();
    let person = Identity::NaturalPerson {
        commitment: commit("ZHANG San / 330106199001011234"),
    };
    // A consumer registers as a natural person: the registry holds the commitment only.
    let mut r = registration(ParticipantCategory::ConsumerOrOther, vec![]);
    r.identity = person.clone();
    w.exec(
        &key(11),
        Payload::Participant(ParticipantRecord::RegisterParticipant(r.clone())),
    )
    .unwrap();
    let stored = registry::load(&w.state, &key(11).public()).unwrap();
    assert_eq!(stored.registration.identity, person);
    assert_eq!(stored.registration.identity.public_name(), None);
    let bytes = tracechain_types::encode(&stored);
    assert!(
        !bytes.windows(5).any(|x| x == b"ZHANG") && !bytes.windows(6).any(|x| x == b"330106"),
        "a person's name or id number is stored in clear"
    );
    // "Consumer or other" may also be an organisation (another enterprise holding a code).
    let org = registration(ParticipantCategory::ConsumerOrOther, vec![]);
    w.exec(
        &key(12),
        Payload::Participant(ParticipantRecord::RegisterParticipant(org)),
    )
    .unwrap();
    // Every other category must be an organisation.
    for cat in [
        ParticipantCategory::TradeEntity(TradeEntityKind::Manufacturer),
        ParticipantCategory::Logistics,
        ParticipantCategory::Financial,
        ParticipantCategory::Regulator(Agency::Customs),
        ParticipantCategory::PlatformOperator,
    ] {
        let mut r = registration(cat, vec![]);
        r.identity = person.clone();
        let e = w
            .exec(
                &key(13),
                Payload::Participant(ParticipantRecord::RegisterParticipant(r)),
            )
            .unwrap_err();
        assert_eq!(
            (e.rule, e.code),
            (Rule::RA1, ErrorCode::MalformedItem),
            "{e}"
        );
        assert!(e.names("identity"), "{cat:?}: {e}");
    }
    // A zero commitment commits to nothing.
    r.identity = Identity::NaturalPerson {
        commitment: Commitment(Hash::ZERO),
    };
    let e = w
        .exec(
            &key(14),
            Payload::Participant(ParticipantRecord::RegisterParticipant(r)),
        )
        .unwrap_err();
    assert!(e.names("identity.commitment"), "{e}");
}

#[test]
fn r_a6_directory_and_trade_relationship_signed_by_both() {
    let mut w = World::new();
    let cast = w.cast_unrelated();
    let mut dir = DirectoryQuery {
        node_type: Some(NodeType::Producer),
        limit: 100,
        ..Default::default()
    };
    let found: Vec<_> = registry::directory(&w.state, &dir)
        .into_iter()
        .map(|p| p.key)
        .collect();
    assert_eq!(found, vec![cast.producer.public()]);
    dir.node_type = None;
    dir.category = Some(CategoryClass::Logistics);
    assert_eq!(registry::directory(&w.state, &dir).len(), 2);
    dir.country = Some("NL".into());
    assert!(registry::directory(&w.state, &dir).is_empty());
    // suspended participants leave the directory
    decide(
        &mut w,
        &cast.regulator,
        &cast.port,
        ParticipantAction::Suspend,
    )
    .unwrap();
    dir.country = None;
    assert_eq!(registry::directory(&w.state, &dir).len(), 1);
    // relationship: exists only when both signed the same terms
    let terms = Hash::digest(b"framework agreement 2024");
    w.exec(
        &cast.producer,
        Payload::Participant(ParticipantRecord::TradeRelationship(TradeRelationship {
            counterparty: cast.trader.public(),
            terms,
        })),
    )
    .unwrap();
    assert_eq!(
        registry::relationship(&w.state, &cast.producer.public(), &cast.trader.public()),
        None
    );
    w.exec(
        &cast.trader,
        Payload::Participant(ParticipantRecord::TradeRelationship(TradeRelationship {
            counterparty: cast.producer.public(),
            terms: Hash::digest(b"other"),
        })),
    )
    .unwrap();
    assert_eq!(
        registry::relationship(&w.state, &cast.producer.public(), &cast.trader.public()),
        None
    );
    w.exec(
        &cast.trader,
        Payload::Participant(ParticipantRecord::TradeRelationship(TradeRelationship {
            counterparty: cast.producer.public(),
            terms,
        })),
    )
    .unwrap();
    assert_eq!(
        registry::relationship(&w.state, &cast.trader.public(), &cast.producer.public()),
        Some(terms)
    );
    let e = w
        .exec(
            &cast.trader,
            Payload::Participant(ParticipantRecord::TradeRelationship(TradeRelationship {
                counterparty: cast.port.public(),
                terms,
            })),
        )
        .unwrap_err();
    assert_eq!((e.rule, e.code), (Rule::RA6, ErrorCode::NotApproved));
}

#[test]
fn r_i3_trace_code_registered_once_and_r_i2_check_digits() {
    let mut w = World::new();
    let cast = w.cast();
    let code = batch("I3");
    w.unit(&cast, &code, TraceMode::Full);
    let again = Payload::TraceUnit(TraceUnitRecord::RegisterTraceUnit(TraceUnitRegistration {
        code: code.clone(),
        mode: TraceMode::Trader,
        product_name: "x".into(),
    }));
    let e = w.exec(&cast.producer, again.clone()).unwrap_err();
    assert_eq!((e.rule, e.code), (Rule::RI3, ErrorCode::DuplicateTraceCode));
    // anyone else is refused before: the GTIN is not theirs to register (ADR 0042)
    let e = w.exec(&cast.trader, again).unwrap_err();
    assert_eq!((e.rule, e.code), (Rule::RI2, ErrorCode::NotOwner));
    let bad = Payload::TraceUnit(TraceUnitRecord::RegisterTraceUnit(TraceUnitRegistration {
        code: TraceCode::Batch {
            gtin: "6901234567891".into(),
            batch: "".into(),
        },
        mode: TraceMode::Full,
        product_name: "".into(),
    }));
    let e = w.exec(&cast.producer, bad).unwrap_err();
    for f in ["code.gtin", "code.batch", "product_name"] {
        assert!(e.names(f), "{f} in {e}");
    }
    // items: only the batch registrant, no duplicates
    let items = |s: &[&str]| {
        Payload::TraceUnit(TraceUnitRecord::RegisterItemCodes(ItemCodesRegistration {
            batch: code.clone(),
            serials: s.iter().map(|x| x.to_string()).collect(),
        }))
    };
    let e = w.exec(&cast.trader, items(&["A"])).unwrap_err();
    assert_eq!(e.code, ErrorCode::NotOwner);
    let e = w.exec(&cast.producer, items(&["A", "A"])).unwrap_err();
    assert!(e.names("serials[1]"));
    w.exec(&cast.producer, items(&["A", "B"])).unwrap();
    let e = w.exec(&cast.producer, items(&["C", "B"])).unwrap_err();
    assert_eq!((e.rule, e.code), (Rule::RI3, ErrorCode::DuplicateTraceCode));
    assert!(e.names("serials[1]"));
}

#[test]
fn r_i2_digital_link_round_trip() {
    let code = TraceCode::Batch {
        gtin: GTIN.into(),
        batch: "AB/12".into(),
    };
    let n = tracechain_contracts::trace_codes::NormalisedCode::new("c", &code).unwrap();
    let dl = n.digital_link();
    assert_eq!(dl, format!("https://id.gs1.org/01/0{GTIN}/10/AB%2F12"));
    let back = tracechain_contracts::trace_codes::parse_digital_link(&dl).unwrap();
    assert_eq!(
        tracechain_contracts::trace_codes::NormalisedCode::new("c", &back).unwrap(),
        n
    );
}

#[test]
fn personal_data_commitments_open_only_with_salt_and_value() {
    let salt = [9u8; 32];
    let c = Commitment::compute(&salt, b"J. Doe");
    assert!(c.verify(&salt, b"J. Doe"));
    assert!(!c.verify(&salt, b"J. Do"));
    assert!(!c.verify(&[8u8; 32], b"J. Doe"));
}

/// The four departments in office (customs, tax, forex, market regulation), one regulator each.
fn four_departments(w: &mut World) -> [tracechain_types::SecretKey; 4] {
    [
        Agency::Customs,
        Agency::Tax,
        Agency::Forex,
        Agency::MarketRegulation,
    ]
    .map(|a| {
        w.seed(
            820 + a as u64,
            ParticipantCategory::Regulator(a),
            vec![],
            ParticipantState::Approved,
        )
    })
}

fn state_of(w: &World, k: &tracechain_types::SecretKey) -> ParticipantState {
    registry::load(&w.state, &k.public()).unwrap().state
}

/// One agency could approve a regulator of any other department (a sock puppet "tax
/// office") and so satisfy a parallel approval alone (spec 6.3.2.1, 7.6 b). Admitting a
/// regulator now takes more than half of the departments in office (ADR 0041).
#[test]
fn r_a1_attack_one_department_cannot_admit_a_regulator_of_another() {
    let mut w = World::new();
    let [customs, _tax, forex, market] = four_departments(&mut w);
    let second_customs = w.seed(
        830,
        ParticipantCategory::Regulator(Agency::Customs),
        vec![],
        ParticipantState::Approved,
    );
    assert_eq!(registry::departments_in_office(&w.state).len(), 4);
    let puppet = key(831);
    w.exec(
        &puppet,
        Payload::Participant(ParticipantRecord::RegisterParticipant(registration(
            ParticipantCategory::Regulator(Agency::Tax),
            vec![],
        ))),
    )
    .unwrap();
    decide(&mut w, &customs, &puppet, ParticipantAction::Approve).unwrap();
    assert_eq!(
        state_of(&w, &puppet),
        ParticipantState::Pending,
        "one vote of four departments"
    );
    let e = decide(&mut w, &second_customs, &puppet, ParticipantAction::Approve).unwrap_err();
    assert_eq!(
        (e.rule, e.code),
        (Rule::RA1, ErrorCode::InvalidTransition),
        "{e}"
    );
    decide(&mut w, &forex, &puppet, ParticipantAction::Approve).unwrap();
    assert_eq!(
        state_of(&w, &puppet),
        ParticipantState::Pending,
        "two of four"
    );
    // the pending regulator decides nothing
    let e = w
        .exec(
            &puppet,
            Payload::Participant(ParticipantRecord::ParticipantDecision(
                ParticipantDecision {
                    participant: key(100).public(),
                    action: ParticipantAction::Approve,
                    reason: "x".into(),
                },
            )),
        )
        .unwrap_err();
    assert_eq!(e.rule, Rule::RA1, "{e}");
    decide(&mut w, &market, &puppet, ParticipantAction::Approve).unwrap();
    assert_eq!(
        state_of(&w, &puppet),
        ParticipantState::Approved,
        "three of four"
    );
    let votes = registry::department_votes(
        &w.state,
        &registry::load(&w.state, &puppet.public()).unwrap(),
        ParticipantAction::Approve,
    );
    assert!(votes.votes.is_empty(), "a new round starts empty");
}

/// Any regulator could revoke every other regulator. Removing one now takes more than half of
/// the departments in office; votes of an earlier round do not count again (ADR 0041).
#[test]
fn r_a3_attack_one_department_cannot_remove_another_departments_regulator() {
    let mut w = World::new();
    let [customs, tax, forex, market] = four_departments(&mut w);
    decide(&mut w, &customs, &tax, ParticipantAction::Revoke).unwrap();
    decide(&mut w, &forex, &tax, ParticipantAction::Revoke).unwrap();
    assert_eq!(state_of(&w, &tax), ParticipantState::Approved);
    // tax still decides
    decide(&mut w, &tax, &forex, ParticipantAction::Suspend).unwrap();
    // tax's vote to suspend forex is one of four: forex stays in office
    assert_eq!(state_of(&w, &forex), ParticipantState::Approved);
    // a suspension by three departments ends the round; the pending revocation votes of
    // customs and forex are spent with it
    decide(&mut w, &customs, &tax, ParticipantAction::Suspend).unwrap();
    assert_eq!(
        state_of(&w, &tax),
        ParticipantState::Approved,
        "one suspension vote of four"
    );
    decide(&mut w, &market, &tax, ParticipantAction::Suspend).unwrap();
    assert_eq!(
        state_of(&w, &tax),
        ParticipantState::Approved,
        "two of four"
    );
    decide(&mut w, &forex, &tax, ParticipantAction::Suspend).unwrap();
    assert_eq!(
        state_of(&w, &tax),
        ParticipantState::Suspended,
        "three of four"
    );
    assert_eq!(
        registry::departments_in_office(&w.state).len(),
        3,
        "tax has no regulator in office"
    );
    // reinstated by two of the three departments in office (quorum 2), then a single
    // revocation vote does not revoke: the earlier round's votes are gone
    decide(&mut w, &customs, &tax, ParticipantAction::Reinstate).unwrap();
    assert_eq!(state_of(&w, &tax), ParticipantState::Suspended);
    decide(&mut w, &market, &tax, ParticipantAction::Reinstate).unwrap();
    assert_eq!(state_of(&w, &tax), ParticipantState::Approved);
    decide(&mut w, &market, &tax, ParticipantAction::Revoke).unwrap();
    assert_eq!(state_of(&w, &tax), ParticipantState::Approved);
}

/// Decisions about enterprises stay with any one department (R-A1); only regulators need a
/// quorum of departments.
#[test]
fn r_a1_one_department_approves_an_enterprise() {
    let mut w = World::new();
    let [customs, ..] = four_departments(&mut w);
    let firm = key(840);
    w.exec(
        &firm,
        Payload::Participant(ParticipantRecord::RegisterParticipant(registration(
            ParticipantCategory::TradeEntity(TradeEntityKind::Manufacturer),
            vec![NodeType::Producer],
        ))),
    )
    .unwrap();
    decide(&mut w, &customs, &firm, ParticipantAction::Approve).unwrap();
    assert_eq!(state_of(&w, &firm), ParticipantState::Approved);
}

/// A unit's history read took the first 1,000 index entries in tag order, so 1,000 tally
/// records (logistics nodes may write them for any unit) hid every product and trade record.
/// The history is read by category and page by page, every record exactly once.
#[test]
fn r_x4_attack_records_of_one_kind_cannot_hide_the_others_in_a_units_history() {
    let mut w = World::new();
    let cast = w.cast();
    let code = batch("HIST-1");
    w.unit(&cast, &code, TraceMode::Full);
    w.exec(&cast.producer, valid_record(K::Production, &code, 1))
        .unwrap();
    let Payload::InfoBlock(InfoBlockRecord::Tally(t)) = valid_record(K::Tally, &code, 1) else {
        unreachable!()
    };
    for _ in 0..2 {
        w.exec(
            &cast.trader,
            Payload::ClosedLoop(ClosedLoopRecord::BulkImport(BulkImport {
                source: "flood".into(),
                records: (0..600)
                    .map(|_| InfoBlockRecord::Tally(t.clone()))
                    .collect(),
            })),
        )
        .unwrap();
    }
    let first = trace::lookup(&w.state, &code).unwrap();
    assert!(
        !first.records.iter().any(|(c, _)| c == "P2"),
        "the fixed-size lookup is cut by the flood (that is why history exists)"
    );
    let q = trace::HistoryQuery {
        categories: vec![IndexTag::Info(Category::P2)],
        after: None,
        limit: 10,
    };
    let p2 = trace::history(&w.state, &code, &q).unwrap();
    assert_eq!(p2.records.len(), 1);
    assert!(matches!(
        p2.records[0].1.payload,
        Payload::InfoBlock(InfoBlockRecord::Production(_))
    ));
    assert_eq!(p2.next, None);
    // every record, page by page, exactly once
    let mut q = trace::HistoryQuery {
        categories: vec![],
        after: None,
        limit: 333,
    };
    let mut ids = Vec::new();
    loop {
        let page = trace::history(&w.state, &code, &q).unwrap();
        assert!(page.records.len() <= 333);
        // Every page says how many records the whole listing has (the unit's `tud/` count).
        assert_eq!(page.listings.len(), 1);
        assert_eq!(page.listings[0].1.count, 1 + 1 + 1200);
        // A batch has one listing: every record is listed in it.
        assert_eq!(page.listed_in, vec![0; page.records.len()]);
        ids.extend(page.records.iter().map(|(_, e)| e.tx_id));
        match page.next {
            Some(c) => q.after = Some(c),
            None => break,
        }
    }
    let distinct: std::collections::BTreeSet<_> = ids.iter().collect();
    assert_eq!(distinct.len(), ids.len());
    // registration, production, 1,200 tallies, 2 bulk envelopes are not unit records
    assert_eq!(ids.len(), 1 + 1 + 1200, "{}", ids.len());
}
