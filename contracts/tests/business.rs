//! Validator-set change (R-B1), alliance-chain business (R-B2–R-B5) and the closed loop of
//! order, goods and funds (R-Q1–R-Q3).

mod common;

use common::*;
use tracechain_contracts::cbeac::{self, ApprovalStatus};
use tracechain_contracts::closed_loop::{self, LoopVerdict};
use tracechain_contracts::registry::ParticipantState;
use tracechain_contracts::IndexTag;
use tracechain_contracts::Rule;
use tracechain_contracts::{
    query, validators, ChainParams, ErrorCode, RecordEnvelope, RecordSource,
};
use tracechain_types::payload::{PayloadKind as K, ValidatorSetChange};
use tracechain_types::records::*;
use tracechain_types::{
    encode, Category, CbeacRecord, ChainRecord, ClosedLoopRecord, Hash, InfoBlockRecord, Payload,
    SecretKey, Validator, ValidatorSet,
};

// ------------------------------------------------------------------------------- R-B1

fn new_set() -> ValidatorSet {
    let mut v: Vec<Validator> = validator_keys()
        .iter()
        .take(3)
        .enumerate()
        .map(|(i, k)| Validator {
            public_key: k.public(),
            name: format!("agency-{i}"),
        })
        .collect();
    v.push(Validator {
        public_key: key(9100).public(),
        name: "market-regulation".into(),
    });
    ValidatorSet::new(v).unwrap()
}

type Approvals = Vec<(tracechain_types::PublicKey, tracechain_types::Signature)>;

/// Approvals of the first change (change number 0) from the genesis set to `set`.
fn approvals(signers: &[SecretKey], set: &ValidatorSet) -> Approvals {
    approvals_of(signers, 0, &ctx(1).validators, set)
}

/// Approvals of change number `n` from `current` to `set`.
fn approvals_of(
    signers: &[SecretKey],
    n: u64,
    current: &ValidatorSet,
    set: &ValidatorSet,
) -> Approvals {
    let msg = validators::change_message(&chain(), n, current, set);
    let mut v: Vec<_> = signers
        .iter()
        .map(|k| (k.public(), k.sign(msg.as_bytes())))
        .collect();
    v.sort_by_key(|(k, _)| *k);
    v
}

/// Execute a validator-set change signed by `k` (sequence `seq`) at `height` while `current`
/// is the validator set, applying it on success.
fn change_under(
    w: &mut World,
    current: &ValidatorSet,
    height: u64,
    k: &SecretKey,
    seq: u64,
    change: ValidatorSetChange,
) -> Result<(), tracechain_contracts::ContractError> {
    let tx = tracechain_types::TxBody {
        signer: k.public(),
        sequence: seq,
        expiry_height: height + 10,
        payload: Payload::Chain(ChainRecord::ValidatorSetChange(change)),
    }
    .sign(&chain(), k);
    let mut c = ctx(height);
    c.validators = current.clone();
    let ws = execute_signed(&tx, &c, &w.state)?;
    tracechain_contracts::State::apply(&mut w.state, &ws);
    Ok(())
}

#[test]
fn r_b1_an_approval_of_an_earlier_change_is_refused_once_the_set_is_back() {
    let mut w = World::new();
    let vk = validator_keys();
    let a = ctx(1).validators;
    let b = new_set();
    assert_eq!(validators::change_count(&w.state), 0);
    // A -> B, change 0, approved by A's quorum
    let a_to_b = ValidatorSetChange {
        new_set: b.clone(),
        approvals: approvals_of(&vk[1..4], 0, &a, &b),
    };
    change_under(&mut w, &a, 10, &vk[0], 0, a_to_b.clone()).unwrap();
    assert_eq!(validators::change_count(&w.state), 1);
    // B -> A, change 1, approved by B's quorum (B = vk[0..3] + key 9100), once B is in force
    let b_members = [key(9000), key(9001), key(9100)];
    let b_to_a = ValidatorSetChange {
        new_set: a.clone(),
        approvals: approvals_of(&b_members, 1, &b, &a),
    };
    change_under(&mut w, &b, 20, &vk[1], 0, b_to_a).unwrap();
    assert_eq!(validators::change_count(&w.state), 2);
    // The set is A again: the approvals of the earlier A -> B change are refused.
    let e = change_under(&mut w, &a, 30, &vk[0], 1, a_to_b).unwrap_err();
    assert_eq!(
        (e.rule, e.code),
        (Rule::RB1, ErrorCode::BadApprovals),
        "{e}"
    );
    assert!(e.names("approvals[0]") && e.names("approvals"), "{e}");
    assert_eq!(validators::change_count(&w.state), 2);
    // A fresh approval of the same transition, for change 2, passes.
    let again = ValidatorSetChange {
        new_set: b.clone(),
        approvals: approvals_of(&vk[1..4], 2, &a, &b),
    };
    change_under(&mut w, &a, 30, &vk[0], 1, again).unwrap();
    assert_eq!(validators::change_count(&w.state), 3);
}

#[test]
fn r_b1_validator_set_change_needs_a_quorum_of_current_validators_and_takes_effect_at_h_plus_2() {
    let mut w = World::new();
    let vk = validator_keys();
    let set = new_set();
    // 2 of 4 is below the quorum of 3
    let two = ValidatorSetChange {
        new_set: set.clone(),
        approvals: approvals(&vk[..2], &set),
    };
    let e = w
        .exec(&vk[0], Payload::Chain(ChainRecord::ValidatorSetChange(two)))
        .unwrap_err();
    assert_eq!((e.rule, e.code), (Rule::RB1, ErrorCode::BadApprovals));
    assert!(e.names("approvals"));
    // an outsider's approval does not count and is named
    let mut with_outsider = approvals(&vk[..2], &set);
    let outsider = key(9100);
    let msg = validators::change_message(&chain(), 0, &ctx(1).validators, &set);
    with_outsider.push((outsider.public(), outsider.sign(msg.as_bytes())));
    with_outsider.sort_by_key(|(k, _)| *k);
    let e = w
        .exec(
            &vk[0],
            Payload::Chain(ChainRecord::ValidatorSetChange(ValidatorSetChange {
                new_set: set.clone(),
                approvals: with_outsider,
            })),
        )
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::BadApprovals);
    // a signature over another message (no domain tag) is refused
    let mut forged = approvals(&vk[..3], &set);
    forged[0].1 = vk
        .iter()
        .find(|k| k.public() == forged[0].0)
        .unwrap()
        .sign(set.hash().as_bytes());
    let e = w
        .exec(
            &vk[0],
            Payload::Chain(ChainRecord::ValidatorSetChange(ValidatorSetChange {
                new_set: set.clone(),
                approvals: forged,
            })),
        )
        .unwrap_err();
    assert!(e.names("approvals[0]"), "{e}");
    // duplicates / unsorted are refused
    let mut dup = approvals(&vk[..3], &set);
    dup.push(dup[0]);
    let e = w
        .exec(
            &vk[0],
            Payload::Chain(ChainRecord::ValidatorSetChange(ValidatorSetChange {
                new_set: set.clone(),
                approvals: dup,
            })),
        )
        .unwrap_err();
    assert!(e.names("approvals[3]"), "{e}");
    // a quorum passes
    let h = w.height;
    w.exec(
        &vk[0],
        Payload::Chain(ChainRecord::ValidatorSetChange(ValidatorSetChange {
            new_set: set.clone(),
            approvals: approvals(&vk[1..4], &set),
        })),
    )
    .unwrap();
    let p = validators::pending(&w.state).unwrap();
    assert_eq!((p.decided_height, p.effective_height), (h, h + 2));
    assert_eq!(validators::set_at(&w.state, h + 2), Some(set.clone()));
    // no second change while one is pending (valid approvals of change number 1)
    let e = w
        .exec(
            &vk[1],
            Payload::Chain(ChainRecord::ValidatorSetChange(ValidatorSetChange {
                new_set: set.clone(),
                approvals: approvals_of(&vk[..3], 1, &ctx(1).validators, &set),
            })),
        )
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidTransition);
}

#[test]
fn r_b1_weak_keys_cannot_enter_a_validator_set() {
    let set = new_set();
    let mut bytes = encode(&ValidatorSetChange {
        new_set: set.clone(),
        approvals: vec![],
    });
    // replace the first key (after the u32 length) with the identity point, a small-order key
    let mut weak = [0u8; 32];
    weak[0] = 1;
    bytes[4..36].copy_from_slice(&weak);
    let r: Result<ValidatorSetChange, _> = tracechain_types::decode(&bytes, 1 << 20);
    assert!(r.is_err(), "a set with a weak key does not decode");
    assert!(ValidatorSet::new(vec![Validator {
        public_key: tracechain_types::PublicKey(weak),
        name: "weak".into()
    }])
    .is_err());
}

// ------------------------------------------------------------------------ R-B2 … R-B5

struct Depts {
    customs: SecretKey,
    tax: SecretKey,
    forex: SecretKey,
    market: SecretKey,
}

fn departments(w: &mut World) -> Depts {
    let mut r = |seed, a| {
        w.seed(
            seed,
            ParticipantCategory::Regulator(a),
            vec![],
            ParticipantState::Approved,
        )
    };
    Depts {
        customs: r(800, Agency::Customs),
        tax: r(801, Agency::Tax),
        forex: r(802, Agency::Forex),
        market: r(803, Agency::MarketRegulation),
    }
}

fn filing(r: &str, deps: Vec<Agency>) -> Payload {
    Payload::Cbeac(CbeacRecord::Filing(Filing {
        filing_ref: r.into(),
        document: Hash::digest(b"enterprise record"),
        departments: deps,
        valid_until: "2030-01-01".into(),
    }))
}

fn all_deps() -> Vec<Agency> {
    vec![
        Agency::Customs,
        Agency::Tax,
        Agency::Forex,
        Agency::MarketRegulation,
    ]
}

fn fdec(ent: &SecretKey, r: &str, v: Verdict, reason: &str) -> Payload {
    Payload::Cbeac(CbeacRecord::FilingDecision(FilingDecision {
        enterprise: ent.public(),
        filing_ref: r.into(),
        verdict: v,
        reason: reason.into(),
    }))
}

#[test]
fn r_b2_filing_in_force_only_when_every_required_department_approved() {
    let mut w = World::new();
    let cast = w.cast();
    let d = departments(&mut w);
    let e = w
        .exec(
            &cast.trader,
            filing("F-0", vec![Agency::Customs, Agency::Customs]),
        )
        .unwrap_err();
    assert_eq!(e.rule, Rule::RB2);
    assert!(e.names("departments[1]") && e.names("departments"), "{e}");
    w.exec(&cast.trader, filing("F-1", all_deps())).unwrap();
    for (k, n) in [(&d.tax, 1), (&d.customs, 2), (&d.forex, 3)] {
        w.exec(
            k,
            fdec(&cast.trader, "F-1", Verdict::Approve, "documents complete"),
        )
        .unwrap();
        let f = cbeac::filing_status(&w.state, &cast.trader.public(), "F-1").unwrap();
        assert_eq!(f.status, ApprovalStatus::Pending, "after {n} approvals");
        assert!(!cbeac::has_filing_in_force(
            &w.state,
            &cast.trader.public(),
            BLOCK_TIME_MS as i64
        ));
    }
    let e = w
        .exec(&d.tax, fdec(&cast.trader, "F-1", Verdict::Approve, "again"))
        .unwrap_err();
    assert_eq!(
        e.code,
        ErrorCode::InvalidTransition,
        "one decision per department"
    );
    w.exec(&d.market, fdec(&cast.trader, "F-1", Verdict::Approve, "ok"))
        .unwrap();
    let f = cbeac::filing_status(&w.state, &cast.trader.public(), "F-1").unwrap();
    assert_eq!(f.status, ApprovalStatus::Approved);
    assert!(cbeac::has_filing_in_force(
        &w.state,
        &cast.trader.public(),
        BLOCK_TIME_MS as i64
    ));
    assert!(cbeac::awaiting(&f.departments, &f.decisions).is_empty());
}

#[test]
fn r_b2_one_rejection_closes_the_filing() {
    let mut w = World::new();
    let cast = w.cast();
    let d = departments(&mut w);
    w.exec(&cast.trader, filing("F-2", all_deps())).unwrap();
    w.exec(
        &d.forex,
        fdec(&cast.trader, "F-2", Verdict::Reject, "no FX registration"),
    )
    .unwrap();
    let f = cbeac::filing_status(&w.state, &cast.trader.public(), "F-2").unwrap();
    assert_eq!(f.status, ApprovalStatus::Rejected);
    let e = w
        .exec(
            &d.customs,
            fdec(&cast.trader, "F-2", Verdict::Approve, "ok"),
        )
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidTransition);
    let port = w.seed(
        804,
        ParticipantCategory::Regulator(Agency::PortOffice),
        vec![],
        ParticipantState::Approved,
    );
    w.exec(&cast.trader, filing("F-3", all_deps())).unwrap();
    let e = w
        .exec(&port, fdec(&cast.trader, "F-3", Verdict::Approve, "ok"))
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::NotOwner, "department not asked");
    let e = w
        .exec(
            &d.customs,
            fdec(&cast.trader, "F-404", Verdict::Approve, "ok"),
        )
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
}

#[test]
fn r_b5_every_decision_and_its_reason_is_a_ledger_record() {
    let mut w = World::new();
    let cast = w.cast();
    let d = departments(&mut w);
    w.exec(&cast.trader, filing("F-5", all_deps())).unwrap();
    let e = w
        .exec(&d.customs, fdec(&cast.trader, "F-5", Verdict::Reject, "  "))
        .unwrap_err();
    assert_eq!((e.rule, e.code), (Rule::RB5, ErrorCode::MissingBasicItem));
    w.exec(
        &d.customs,
        fdec(&cast.trader, "F-5", Verdict::Reject, "licence expired"),
    )
    .unwrap();
    let f = cbeac::filing_status(&w.state, &cast.trader.public(), "F-5").unwrap();
    let dec = &f.decisions[&Agency::Customs];
    assert_eq!(dec.reason, "licence expired");
    assert_eq!(dec.by, d.customs.public());
    let env = query::envelope(&w.state, &dec.tx_id).expect("decision stored as a record");
    assert!(
        matches!(env.payload, Payload::Cbeac(CbeacRecord::FilingDecision(ref x)) if x.reason == "licence expired")
    );
}

/// A TRADER-mode unit with what the customs gate needs, order ORD-1, receipt RCP-1 and a
/// transport with waybill WB-1.
fn trade_unit(w: &mut World, cast: &Cast, code: &TraceCode) {
    w.unit(cast, code, TraceMode::Trader);
    w.exec(&cast.producer, valid_record(K::ProductFeatures, code, 1))
        .unwrap();
    w.exec(&cast.trader, valid_record(K::TradeProductCode, code, 1))
        .unwrap();
    w.exec(&cast.trader, valid_record(K::Order, code, 1))
        .unwrap();
    w.exec(&cast.payment, valid_record(K::PaymentReceipt, code, 1))
        .unwrap();
    let mut t = match valid_record(K::Transport, code, 1) {
        Payload::InfoBlock(InfoBlockRecord::Transport(t)) => t,
        _ => unreachable!(),
    };
    t.waybill = Some("WB-1".into());
    w.exec(
        &cast.logistics,
        Payload::InfoBlock(InfoBlockRecord::Transport(t)),
    )
    .unwrap();
}

fn declaration(code: &TraceCode, orders: &[&str]) -> Payload {
    Payload::Cbeac(CbeacRecord::ExportDeclaration(ExportDeclaration {
        declaration_ref: "D-1".into(),
        trace_codes: vec![code.clone()],
        order_refs: orders.iter().map(|s| s.to_string()).collect(),
        waybill_refs: vec!["WB-1".into()],
        receipt_refs: vec!["RCP-1".into()],
        departments: vec![Agency::Customs, Agency::Tax, Agency::Forex],
    }))
}

#[test]
fn r_b3_declaration_links_cbetc_records_and_shows_parallel_approval_status() {
    let mut w = World::new();
    let cast = w.cast();
    let d = departments(&mut w);
    let code = batch("DCL");
    trade_unit(&mut w, &cast, &code);
    // no filing in force yet
    let e = w
        .exec(&cast.trader, declaration(&code, &["ORD-1"]))
        .unwrap_err();
    assert_eq!(e.rule, Rule::RB2);
    w.exec(&cast.trader, filing("F-1", all_deps())).unwrap();
    for k in [&d.customs, &d.tax, &d.forex, &d.market] {
        w.exec(k, fdec(&cast.trader, "F-1", Verdict::Approve, "ok"))
            .unwrap();
    }
    // an order reference not carried by the declared unit's records is named
    let e = w
        .exec(&cast.trader, declaration(&code, &["ORD-1", "ORD-404"]))
        .unwrap_err();
    assert_eq!(e.rule, Rule::RB3);
    assert!(e.names("order_refs[1]") && !e.names("order_refs[0]"), "{e}");
    w.exec(&cast.trader, declaration(&code, &["ORD-1"]))
        .unwrap();
    let st = cbeac::declaration_status(&w.state, &cast.trader.public(), "D-1").unwrap();
    assert_eq!(st.status, ApprovalStatus::Pending);
    let cats: Vec<&str> = st.linked.iter().map(|l| l.category.as_str()).collect();
    assert_eq!(cats, vec!["T1", "L2", "T2"]);
    for i in 0..st.linked.len() {
        let page = cbeac::linked_records(&w.state, &st, i, None, 10);
        assert_eq!((page.tx_ids.len(), page.next), (1, None), "{i}");
    }
    let dd = |_by: &SecretKey, v: Verdict| {
        Payload::Cbeac(CbeacRecord::DeclarationDecision(DeclarationDecision {
            enterprise: cast.trader.public(),
            declaration_ref: "D-1".into(),
            verdict: v,
            reason: "checked against linked records".into(),
        }))
    };
    // decisions in any order, in parallel
    w.exec(&d.forex, dd(&d.forex, Verdict::Approve)).unwrap();
    w.exec(&d.customs, dd(&d.customs, Verdict::Approve))
        .unwrap();
    let st = cbeac::declaration_status(&w.state, &cast.trader.public(), "D-1").unwrap();
    assert_eq!(
        cbeac::awaiting(&st.departments, &st.decisions),
        vec![Agency::Tax]
    );
    w.exec(&d.tax, dd(&d.tax, Verdict::Approve)).unwrap();
    let st = cbeac::declaration_status(&w.state, &cast.trader.public(), "D-1").unwrap();
    assert_eq!(st.status, ApprovalStatus::Approved);
    let e = w
        .exec(&d.market, dd(&d.market, Verdict::Approve))
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::NotOwner);
}

/// 1,000 transports carrying one waybill, for `code`, as one bulk import of the trader.
fn waybill_flood(w: &mut World, cast: &Cast, code: &TraceCode, waybill: &str) {
    let mut t = match valid_record(K::Transport, code, 1) {
        Payload::InfoBlock(InfoBlockRecord::Transport(t)) => t,
        _ => unreachable!(),
    };
    t.waybill = Some(waybill.into());
    t.sensor_readings.clear();
    let records = (0..1000)
        .map(|_| InfoBlockRecord::Transport(t.clone()))
        .collect();
    w.exec(
        &cast.trader,
        Payload::ClosedLoop(ClosedLoopRecord::BulkImport(BulkImport {
            source: "ExampleMall".into(),
            records,
        })),
    )
    .expect("bulk import of 1,000 transports");
}

/// Every record a declared reference links, through every page.
fn all_linked(w: &World, st: &cbeac::DeclarationState, i: usize, limit: usize) -> Vec<Hash> {
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let page = cbeac::linked_records(&w.state, st, i, cursor.as_ref(), limit);
        assert!(page.tx_ids.len() <= limit);
        out.extend(page.tx_ids);
        match page.next {
            Some(c) => cursor = Some(c),
            None => return out,
        }
    }
}

/// A declaration used to copy the id of every record carrying its references into its own
/// state value: 35 bulk imports of 1,000 transports with the declared waybill made that value
/// larger than any stored value may be (1 MiB), and every later decision on the declaration
/// (and its status read) stopped every validator. Linked records are now an index, never
/// copied, and listed page by page.
#[test]
fn r_b3_attack_records_sharing_a_waybill_cannot_make_a_declaration_unreadable() {
    let mut w = World::new();
    let cast = w.cast();
    let d = departments(&mut w);
    let first = batch("WBF-0");
    trade_unit(&mut w, &cast, &first);
    let mut codes = vec![first];
    for i in 1..=35 {
        let code = batch(&format!("WBF-{i}"));
        w.unit(&cast, &code, TraceMode::Trader);
        w.exec(&cast.producer, valid_record(K::ProductFeatures, &code, 1))
            .unwrap();
        w.exec(&cast.trader, valid_record(K::TradeProductCode, &code, 1))
            .unwrap();
        waybill_flood(&mut w, &cast, &code, "WB-1");
        codes.push(code);
    }
    w.exec(&cast.trader, filing("F-1", all_deps())).unwrap();
    for k in [&d.customs, &d.tax, &d.forex, &d.market] {
        w.exec(k, fdec(&cast.trader, "F-1", Verdict::Approve, "ok"))
            .unwrap();
    }
    let mut decl = match declaration(&codes[0], &["ORD-1"]) {
        Payload::Cbeac(CbeacRecord::ExportDeclaration(x)) => x,
        _ => unreachable!(),
    };
    decl.trace_codes = codes.clone();
    let ws = w
        .exec(
            &cast.trader,
            Payload::Cbeac(CbeacRecord::ExportDeclaration(decl)),
        )
        .expect("the declaration is accepted");
    let largest =
        ws.0.iter()
            .filter_map(|(_, v)| v.as_ref())
            .map(Vec::len)
            .max();
    assert!(largest < Some(64 * 1024), "largest value {largest:?}");
    // a transport written after the declaration is not among the declared records
    waybill_flood(&mut w, &cast, &codes[1], "WB-1");
    for k in [&d.customs, &d.tax, &d.forex] {
        w.exec(
            k,
            Payload::Cbeac(CbeacRecord::DeclarationDecision(DeclarationDecision {
                enterprise: cast.trader.public(),
                declaration_ref: "D-1".into(),
                verdict: Verdict::Approve,
                reason: "checked against linked records".into(),
            })),
        )
        .expect("a decision on the declaration executes");
    }
    let st = cbeac::declaration_status(&w.state, &cast.trader.public(), "D-1").unwrap();
    assert_eq!(st.status, ApprovalStatus::Approved);
    let waybill = st.linked.iter().position(|l| l.category == "L2").unwrap();
    let ids = all_linked(&w, &st, waybill, 999);
    assert_eq!(
        ids.len(),
        35_001,
        "one transport of the first unit, 1,000 of each other"
    );
    assert_eq!(
        ids,
        all_linked(&w, &st, waybill, 35_001),
        "pages add up to one listing"
    );
    let distinct: std::collections::BTreeSet<_> = ids.iter().collect();
    assert_eq!(distinct.len(), ids.len());
    assert!(ids.iter().all(|id| query::envelope(&w.state, id)
        .is_some_and(|e| e.height <= st.height
            && matches!(e.payload, Payload::InfoBlock(InfoBlockRecord::Transport(_))))));
}

/// A unit refused at the customs gate (R-X3) could still be declared for export; and an
/// enterprise could declare units it neither registered nor trades (ADR 0036).
#[test]
fn r_x3_attack_an_export_declaration_passes_the_customs_gate_and_names_its_own_goods() {
    let mut w = World::new();
    let cast = w.cast();
    let d = departments(&mut w);
    w.exec(&cast.trader, filing("F-1", all_deps())).unwrap();
    for k in [&d.customs, &d.tax, &d.forex, &d.market] {
        w.exec(k, fdec(&cast.trader, "F-1", Verdict::Approve, "ok"))
            .unwrap();
    }
    // an order, a receipt and a waybill, but no R-P3 / R-T3 record: the gate refuses
    let code = batch("GATE");
    w.unit(&cast, &code, TraceMode::Trader);
    w.exec(&cast.trader, valid_record(K::Order, &code, 1))
        .unwrap();
    w.exec(&cast.payment, valid_record(K::PaymentReceipt, &code, 1))
        .unwrap();
    let mut t = match valid_record(K::Transport, &code, 1) {
        Payload::InfoBlock(InfoBlockRecord::Transport(t)) => t,
        _ => unreachable!(),
    };
    t.waybill = Some("WB-1".into());
    w.exec(
        &cast.logistics,
        Payload::InfoBlock(InfoBlockRecord::Transport(t)),
    )
    .unwrap();
    let e = w
        .exec(&cast.trader, declaration(&code, &["ORD-1"]))
        .unwrap_err();
    assert_eq!((e.rule, e.code), (Rule::RX3, ErrorCode::CustomsGate), "{e}");
    assert!(
        e.names("trace_codes[0].R-P3") && e.names("trace_codes[0].R-T3"),
        "{e}"
    );
    w.exec(&cast.producer, valid_record(K::ProductFeatures, &code, 1))
        .unwrap();
    w.exec(&cast.trader, valid_record(K::TradeProductCode, &code, 1))
        .unwrap();
    // another enterprise, without a trade relationship with the producer, cannot declare it
    let outsider = w.seed(
        193,
        ParticipantCategory::TradeEntity(TradeEntityKind::TradingCompany),
        vec![NodeType::DomesticProcurement],
        ParticipantState::Approved,
    );
    w.exec(&outsider, filing("F-9", all_deps())).unwrap();
    for k in [&d.customs, &d.tax, &d.forex, &d.market] {
        w.exec(k, fdec(&outsider, "F-9", Verdict::Approve, "ok"))
            .unwrap();
    }
    let e = w
        .exec(&outsider, declaration(&code, &["ORD-1"]))
        .unwrap_err();
    assert_eq!((e.rule, e.code), (Rule::RA6, ErrorCode::NotOwner), "{e}");
    assert!(e.names("trace_codes[0]"), "{e}");
    w.exec(&cast.trader, declaration(&code, &["ORD-1"]))
        .expect("the producer's trade partner declares once the gate is passed");
}

/// Any trade entity could self-declare logistics records for any unit, without a filing:
/// another exporter's goods could be "delivered" or "lost" by a stranger. A manual import now
/// needs the exporter's filing in force and a relation to every unit (ADR 0045).
#[test]
fn r_b4_attack_a_stranger_cannot_self_declare_logistics_of_others_goods() {
    let mut w = World::new();
    let cast = w.cast();
    let code = batch("OVS-X");
    w.unit(&cast, &code, TraceMode::Full);
    let import = |code: &TraceCode| {
        Payload::Cbeac(CbeacRecord::ManualImport(ManualImport {
            record: InfoBlockRecord::DeliveryException(
                match valid_record(K::DeliveryException, code, 1) {
                    Payload::InfoBlock(InfoBlockRecord::DeliveryException(r)) => r,
                    _ => unreachable!(),
                },
            ),
            reason: SelfDeclaredReason::PartyNotConnected,
            note: None,
        }))
    };
    let stranger = w.seed(
        660,
        ParticipantCategory::TradeEntity(TradeEntityKind::TradingCompany),
        vec![NodeType::DomesticProcurement],
        ParticipantState::Approved,
    );
    let e = w.exec(&stranger, import(&code)).unwrap_err();
    assert_eq!(
        (e.rule, e.code),
        (Rule::RB2, ErrorCode::InvalidTransition),
        "{e}"
    );
    w.filed(&stranger);
    let e = w.exec(&stranger, import(&code)).unwrap_err();
    assert_eq!((e.rule, e.code), (Rule::RA6, ErrorCode::NotOwner), "{e}");
    assert!(e.names("record.trace_codes[0]"), "{e}");
    // the producer's exporter (a trade partner) with a filing in force may
    w.filed(&cast.trader);
    w.exec(&cast.trader, import(&code)).unwrap();
}

/// Filings had no end: a filing approved once kept an enterprise declaring for ever. A filing
/// now states its validity and is in force only until then (ADR 0045).
#[test]
fn r_b2_attack_an_expired_filing_is_not_in_force() {
    let mut w = World::new();
    let cast = w.cast();
    let d = departments(&mut w);
    let mut f = match filing("F-E", all_deps()) {
        Payload::Cbeac(CbeacRecord::Filing(f)) => f,
        _ => unreachable!(),
    };
    f.valid_until = "2020-01-01".into();
    let e = w
        .exec(&cast.trader, Payload::Cbeac(CbeacRecord::Filing(f.clone())))
        .unwrap_err();
    assert!(e.names("valid_until"), "already over: {e}");
    // valid until a few blocks ahead (the fixture's blocks are one second apart from
    // 2027-01-01T00:00:00Z)
    let end_s = w.height + 7;
    assert!(end_s < 60);
    let end = BLOCK_TIME_MS + end_s * 1000;
    f.valid_until = format!("2027-01-01T00:00:{end_s:02}Z");
    w.exec(&cast.trader, Payload::Cbeac(CbeacRecord::Filing(f)))
        .unwrap();
    for k in [&d.customs, &d.tax, &d.forex, &d.market] {
        w.exec(k, fdec(&cast.trader, "F-E", Verdict::Approve, "ok"))
            .unwrap();
    }
    let at = |h: u64| (BLOCK_TIME_MS + h * 1000) as i64;
    assert!(cbeac::has_filing_in_force(
        &w.state,
        &cast.trader.public(),
        at(w.height)
    ));
    assert!(!cbeac::has_filing_in_force(
        &w.state,
        &cast.trader.public(),
        end as i64
    ));
}

#[test]
fn r_b4_manual_import_is_stored_marked_self_declared() {
    let mut w = World::new();
    let cast = w.cast();
    let code = batch("OVS");
    w.unit(&cast, &code, TraceMode::Full);
    let wh = match valid_record(K::Warehousing, &code, 1) {
        Payload::InfoBlock(InfoBlockRecord::Warehousing(r)) => r,
        _ => unreachable!(),
    };
    w.filed(&cast.trader);
    let ws = w
        .exec(
            &cast.trader,
            Payload::Cbeac(CbeacRecord::ManualImport(ManualImport {
                record: InfoBlockRecord::Warehousing(wh.clone()),
                reason: SelfDeclaredReason::PartyNotConnected,
                note: None,
            })),
        )
        .unwrap();
    assert!(!ws.is_empty());
    let n = tracechain_contracts::trace_codes::NormalisedCode::new("c", &code).unwrap();
    let recs = query::records(&w.state, &n, IndexTag::Info(Category::L3));
    assert_eq!(recs.len(), 1);
    assert!(recs[0].self_declared());
    assert_eq!(recs[0].signer, cast.trader.public());
    // the inner record is validated like any other and its fields are named under `record.`
    let mut bad = wh;
    bad.warehouse_name = None;
    let e = w
        .exec(
            &cast.trader,
            Payload::Cbeac(CbeacRecord::ManualImport(ManualImport {
                record: InfoBlockRecord::Warehousing(bad),
                reason: SelfDeclaredReason::PartyNotConnected,
                note: None,
            })),
        )
        .unwrap_err();
    assert!(e.names("record.warehouse_name"), "{e}");
    // a CBETC logistics node's own record is not self-declared
    w.exec(&cast.logistics, valid_record(K::Warehousing, &code, 2))
        .unwrap();
    let recs = query::records(&w.state, &n, IndexTag::Info(Category::L3));
    assert_eq!(recs.iter().filter(|r| r.self_declared()).count(), 1);
}

// ------------------------------------------------------------------------ R-Q1 … R-Q3

fn authorise(grantee: &SecretKey, scope: LinkScope, until: u64, withdraw: bool) -> Payload {
    Payload::ClosedLoop(ClosedLoopRecord::LinkAuthorisation(LinkAuthorisation {
        grantee: grantee.public(),
        scope,
        valid_until_height: until,
        withdraw,
    }))
}

fn link(ent: &SecretKey, order: &str, receipt: &str) -> Payload {
    Payload::ClosedLoop(ClosedLoopRecord::PaymentOrderLink(PaymentOrderLink {
        enterprise: ent.public(),
        order_ref: order.into(),
        receipt_ref: receipt.into(),
    }))
}

#[test]
fn r_q1_link_rejected_without_the_enterprises_authorisation() {
    let mut w = World::new();
    let cast = w.cast();
    let code = batch("Q1");
    trade_unit(&mut w, &cast, &code);
    let e = w
        .exec(&cast.payment, link(&cast.trader, "ORD-1", "RCP-1"))
        .unwrap_err();
    assert_eq!((e.rule, e.code), (Rule::RQ1, ErrorCode::NotAuthorised));
    // scope must fit the grantee: a payment institution is not a marketplace
    let e = w
        .exec(
            &cast.trader,
            authorise(&cast.payment, LinkScope::Marketplace, 1000, false),
        )
        .unwrap_err();
    assert!(e.names("scope"), "{e}");
    w.exec(
        &cast.trader,
        authorise(&cast.payment, LinkScope::IndependentSite, 1000, false),
    )
    .unwrap();
    // unknown order / receipt are named
    let e = w
        .exec(&cast.payment, link(&cast.trader, "ORD-9", "RCP-1"))
        .unwrap_err();
    assert!(e.names("order_ref"));
    w.exec(&cast.payment, link(&cast.trader, "ORD-1", "RCP-1"))
        .unwrap();
    let l = closed_loop::link_of(&w.state, &cast.trader.public(), "ORD-1").unwrap();
    assert_eq!(l.linker, cast.payment.public());
    let e = w
        .exec(&cast.payment, link(&cast.trader, "ORD-1", "RCP-1"))
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::AlreadyExists);
}

#[test]
fn r_q1_withdrawn_or_lapsed_authorisation_no_longer_allows_links() {
    let mut w = World::new();
    let cast = w.cast();
    let code = batch("Q1W");
    trade_unit(&mut w, &cast, &code);
    w.exec(
        &cast.trader,
        authorise(&cast.payment, LinkScope::IndependentSite, 1000, false),
    )
    .unwrap();
    w.exec(
        &cast.trader,
        authorise(&cast.payment, LinkScope::IndependentSite, 0, true),
    )
    .unwrap();
    let e = w
        .exec(&cast.payment, link(&cast.trader, "ORD-1", "RCP-1"))
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::NotAuthorised);
    let h = w.height;
    w.exec(
        &cast.trader,
        authorise(&cast.payment, LinkScope::IndependentSite, h, false),
    )
    .unwrap();
    // the world's height advanced past valid_until_height
    let e = w
        .exec(&cast.payment, link(&cast.trader, "ORD-1", "RCP-1"))
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::NotAuthorised);
}

#[test]
fn r_q2_order_status_matched_mismatched_or_incomplete() {
    let mut w = World::new();
    let cast = w.cast();
    let code = batch("Q2");
    trade_unit(&mut w, &cast, &code);
    let p = ChainParams::default();
    let ent = cast.trader.public();
    let st = closed_loop::order_status(&w.state, &p, &ent, "ORD-1");
    assert_eq!(st.verdict, LoopVerdict::Incomplete);
    assert_eq!(st.missing, vec!["payment_receipt", "customs_declaration"]);
    w.exec(
        &cast.trader,
        authorise(&cast.payment, LinkScope::IndependentSite, 1000, false),
    )
    .unwrap();
    w.exec(&cast.payment, link(&cast.trader, "ORD-1", "RCP-1"))
        .unwrap();
    w.exec(&cast.port, valid_record(K::CustomsDeclaration, &code, 1))
        .unwrap();
    let st = closed_loop::order_status(&w.state, &p, &ent, "ORD-1");
    assert_eq!(st.verdict, LoopVerdict::Matched, "{st:?}");
    assert_eq!(st.declaration_txs.len(), 1);
    assert_eq!(st.logistics_txs.len(), 1);
    // a second order paid 1.00 short
    w.exec(&cast.trader, valid_record(K::Order, &code, 2))
        .unwrap();
    let mut r = match valid_record(K::PaymentReceipt, &code, 2) {
        Payload::InfoBlock(InfoBlockRecord::PaymentReceipt(r)) => r,
        _ => unreachable!(),
    };
    r.receipt_amount_minor = Some(129_800);
    w.exec(
        &cast.payment,
        Payload::InfoBlock(InfoBlockRecord::PaymentReceipt(r)),
    )
    .unwrap();
    w.exec(&cast.payment, link(&cast.trader, "ORD-2", "RCP-2"))
        .unwrap();
    let st = closed_loop::order_status(&w.state, &p, &ent, "ORD-2");
    assert_eq!(st.verdict, LoopVerdict::Mismatched);
    assert!(st.reasons[0].starts_with("amount"), "{:?}", st.reasons);
    assert!(st.missing.contains(&"customs_declaration".to_string()));
    // the tolerance is a chain parameter
    let lenient = ChainParams {
        payment_tolerance_minor: 100,
        ..ChainParams::default()
    };
    let st = closed_loop::order_status(&w.state, &lenient, &ent, "ORD-2");
    assert_eq!(st.verdict, LoopVerdict::Incomplete);
    assert!(st.reasons.is_empty());
    // unknown order
    let st = closed_loop::order_status(&w.state, &p, &ent, "ORD-404");
    assert_eq!(st.missing, vec!["order"]);
}

#[test]
fn r_q3_bulk_import_through_the_same_signed_path_all_or_nothing() {
    let mut w = World::new();
    let cast = w.cast();
    let code = batch("BULK");
    w.unit(&cast, &code, TraceMode::Full);
    let ord = |n| match valid_record(K::Order, &code, n) {
        Payload::InfoBlock(InfoBlockRecord::Order(o)) => o,
        _ => unreachable!(),
    };
    let tr = match valid_record(K::Transport, &code, 1) {
        Payload::InfoBlock(InfoBlockRecord::Transport(t)) => t,
        _ => unreachable!(),
    };
    let mut bad = ord(3);
    bad.currency = Some("XYZ".into());
    let before = w.state.clone();
    let e = w
        .exec(
            &cast.trader,
            Payload::ClosedLoop(ClosedLoopRecord::BulkImport(BulkImport {
                source: "ExampleMall".into(),
                records: vec![InfoBlockRecord::Order(ord(1)), InfoBlockRecord::Order(bad)],
            })),
        )
        .unwrap_err();
    assert!(e.names("records[1].currency"), "{e}");
    assert_eq!(
        w.state, before,
        "nothing of a refused bulk import is written"
    );
    w.exec(
        &cast.trader,
        Payload::ClosedLoop(ClosedLoopRecord::BulkImport(BulkImport {
            source: "ExampleMall".into(),
            records: vec![
                InfoBlockRecord::Order(ord(1)),
                InfoBlockRecord::Order(ord(2)),
                InfoBlockRecord::Transport(tr),
            ],
        })),
    )
    .unwrap();
    let n = tracechain_contracts::trace_codes::NormalisedCode::new("c", &code).unwrap();
    assert_eq!(
        query::records(&w.state, &n, IndexTag::Info(Category::T1)).len(),
        2
    );
    assert_eq!(
        query::records(&w.state, &n, IndexTag::Info(Category::L2)).len(),
        1
    );
    // each has its own envelope, signed path = the platform's signature
    assert!(query::records(&w.state, &n, IndexTag::Info(Category::T1))
        .iter()
        .all(|e| e.signer == cast.trader.public()));
    // a duplicate order reference inside a later import is refused like a single record
    let e = w
        .exec(
            &cast.trader,
            Payload::ClosedLoop(ClosedLoopRecord::BulkImport(BulkImport {
                source: "ExampleMall".into(),
                records: vec![InfoBlockRecord::Order(ord(2))],
            })),
        )
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::AlreadyExists);
    let e = w
        .exec(
            &cast.trader,
            Payload::ClosedLoop(ClosedLoopRecord::BulkImport(BulkImport {
                source: "ExampleMall".into(),
                records: vec![],
            })),
        )
        .unwrap_err();
    assert!(e.names("records"));
    let many: Vec<InfoBlockRecord> = (0..1001)
        .map(|i| InfoBlockRecord::Order(ord(100 + i)))
        .collect();
    let e = w
        .exec(
            &cast.trader,
            Payload::ClosedLoop(ClosedLoopRecord::BulkImport(BulkImport {
                source: "ExampleMall".into(),
                records: many,
            })),
        )
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::LimitExceeded);
}

#[test]
fn r_q2_chain_params_refuse_a_negative_payment_tolerance() {
    // A negative tolerance would judge every order mismatched, even one paid to the cent.
    let p = ChainParams {
        payment_tolerance_minor: -1,
        ..ChainParams::default()
    };
    assert!(p.validate().is_err());
    let ok = ChainParams {
        payment_tolerance_minor: 0,
        ..ChainParams::default()
    };
    assert!(ok.validate().is_ok());
}

/// The record of a block of `kind` for `code`, as an information-block record.
fn info_record(kind: K, code: &TraceCode) -> InfoBlockRecord {
    match valid_record(kind, code, 1) {
        Payload::InfoBlock(r) => r,
        other => panic!("{kind:?} is not an information-block kind: {other:?}"),
    }
}

#[test]
fn r_q3_attack_a_bulk_import_cannot_carry_product_payment_or_customs_records() {
    // A platform may import orders and logistics records in bulk (R-Q3); product records are
    // the producer's (R-N1), payment receipts the payment institution's (R-T2) and customs
    // records the port nodes' and the customs department's (R-N4, R-C2). Wrapped in a bulk
    // import, they would pass the platform's permission row instead of their own.
    let mut w = World::new();
    let cast = w.cast();
    let code = batch("BULKX");
    w.unit(&cast, &code, TraceMode::Full);
    let allowed = [
        K::Order,
        K::Tally,
        K::Transport,
        K::Warehousing,
        K::Delivery,
    ];
    for kind in BLOCK_KINDS.into_iter().filter(|k| !allowed.contains(k)) {
        let before = w.state.clone();
        let e = w
            .exec(
                &cast.trader,
                Payload::ClosedLoop(ClosedLoopRecord::BulkImport(BulkImport {
                    source: "ExampleMall".into(),
                    records: vec![info_record(K::Order, &code), info_record(kind, &code)],
                })),
            )
            .unwrap_err();
        assert_eq!(
            (e.rule, e.code),
            (Rule::RQ3, ErrorCode::MalformedItem),
            "{kind:?}: {e}"
        );
        assert!(e.names("records[1].kind"), "{kind:?}: {e}");
        assert!(!e.names("records[0].kind"), "{kind:?}: {e}");
        assert_eq!(w.state, before, "{kind:?}: nothing written");
    }
    // Each allowed category alone is accepted (fresh order refs: one import per kind).
    for (i, kind) in allowed.into_iter().enumerate() {
        let rec = match valid_record(kind, &code, 10 + i as u64) {
            Payload::InfoBlock(r) => r,
            _ => unreachable!(),
        };
        w.exec(
            &cast.trader,
            Payload::ClosedLoop(ClosedLoopRecord::BulkImport(BulkImport {
                source: "ExampleMall".into(),
                records: vec![rec],
            })),
        )
        .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
    }
}

#[test]
fn r_b4_attack_an_exporter_cannot_self_declare_a_customs_release_or_product_facts() {
    // R-B4 lets an exporter import the overseas logistics records CBETC nodes do not carry.
    // A self-declared customs status would be the exporter stating its own release (R-C2 is
    // the customs department's decision), a self-declared order or product record would
    // bypass R-N1/R-N2's writers.
    let mut w = World::new();
    let cast = w.cast();
    let code = batch("OVSX");
    w.unit(&cast, &code, TraceMode::Full);
    w.filed(&cast.trader);
    let allowed = [
        K::Transport,
        K::Warehousing,
        K::Delivery,
        K::DeliveryException,
    ];
    for kind in BLOCK_KINDS.into_iter().filter(|k| !allowed.contains(k)) {
        let before = w.state.clone();
        let e = w
            .exec(
                &cast.trader,
                Payload::Cbeac(CbeacRecord::ManualImport(ManualImport {
                    record: info_record(kind, &code),
                    reason: SelfDeclaredReason::PartyNotConnected,
                    note: None,
                })),
            )
            .unwrap_err();
        assert_eq!(
            (e.rule, e.code),
            (Rule::RB4, ErrorCode::MalformedItem),
            "{kind:?}: {e}"
        );
        assert!(e.names("record.kind"), "{kind:?}: {e}");
        assert_eq!(w.state, before, "{kind:?}: nothing written");
    }
    for kind in [
        K::Transport,
        K::Warehousing,
        K::Delivery,
        K::DeliveryException,
    ] {
        w.exec(
            &cast.trader,
            Payload::Cbeac(CbeacRecord::ManualImport(ManualImport {
                record: info_record(kind, &code),
                reason: SelfDeclaredReason::PartyNotConnected,
                note: None,
            })),
        )
        .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
    }
}

#[test]
fn records_are_stored_as_they_arrived_and_bulk_items_name_their_import() {
    let mut w = World::new();
    let cast = w.cast();
    let code = batch("ASIS");
    w.unit(&cast, &code, TraceMode::Full);
    w.filed(&cast.trader);
    // A manual import is stored whole, its note included, and read as its record.
    let manual = Payload::Cbeac(CbeacRecord::ManualImport(ManualImport {
        record: info_record(K::Warehousing, &code),
        reason: SelfDeclaredReason::PartyNotConnected,
        note: None,
    }));
    let id = w.tx(&cast.trader, manual.clone()).id();
    w.exec(&cast.trader, manual.clone()).unwrap();
    let env = query::envelope(&w.state, &id).expect("stored");
    assert_eq!(env.payload, manual);
    assert_eq!(env.source, RecordSource::Transaction);
    assert!(env.self_declared());
    assert_eq!(env.info_block(), Some(&info_record(K::Warehousing, &code)));
    // A bulk import's items are stored each under its derived id, as the item it is, naming
    // the import and its position; the import itself is not stored (the block keeps it).
    let items = vec![
        info_record(K::Order, &code),
        info_record(K::Transport, &code),
    ];
    let bulk = Payload::ClosedLoop(ClosedLoopRecord::BulkImport(BulkImport {
        source: "ExampleMall".into(),
        records: items.clone(),
    }));
    let bulk_tx = w.tx(&cast.trader, bulk.clone()).id();
    let height = w.height;
    let ws = w.exec(&cast.trader, bulk).unwrap();
    assert!(query::envelope(&w.state, &bulk_tx).is_none());
    for (i, item) in items.iter().enumerate() {
        let index = i as u32;
        let item_id = closed_loop::bulk_record_id(&bulk_tx, index);
        let expected = RecordEnvelope {
            tx_id: item_id,
            signer: cast.trader.public(),
            height,
            timestamp_ms: ctx(height).timestamp_ms,
            source: RecordSource::BulkImport { bulk_tx, index },
            payload: Payload::InfoBlock(item.clone()),
        };
        // Byte for byte the canonical encoding of the envelope (the item is encoded in place,
        // not copied into a payload first).
        let key = tracechain_contracts::state_keys::record(&item_id);
        let stored =
            ws.0.iter()
                .find(|(k, _)| *k == key)
                .and_then(|(_, v)| v.clone())
                .expect("item stored");
        assert_eq!(stored, encode(&expected), "item {i}");
        let env = query::envelope(&w.state, &item_id).unwrap();
        assert_eq!(env, expected);
        assert!(!env.self_declared());
        assert_eq!(env.info_block(), Some(item));
    }
}

/// R-Q1: the grantee links a receipt it did not write itself — another payment institution's
/// receipt for the order's units — found by its reference among the units' receipts, however
/// many receipts the units have.
#[test]
fn r_q1_link_finds_another_institutions_receipt_of_the_units() {
    let mut w = World::new();
    let cast = w.cast();
    let code = batch("Q1X");
    trade_unit(&mut w, &cast, &code);
    let other = w.seed(
        120,
        ParticipantCategory::TradeEntity(TradeEntityKind::EcommerceEnterprise),
        vec![NodeType::CrossBorderPayment],
        ParticipantState::Approved,
    );
    w.relate(&cast.producer, &other);
    let bound = tracechain_contracts::query::MAX_RECORDS_PER_CATEGORY as u64;
    for n in 2..=bound + 2 {
        w.exec(&other, valid_record(K::PaymentReceipt, &code, n))
            .unwrap();
    }
    let last = match valid_record(K::PaymentReceipt, &code, bound + 2) {
        Payload::InfoBlock(InfoBlockRecord::PaymentReceipt(r)) => r.receipt_ref.unwrap(),
        _ => unreachable!(),
    };
    w.exec(
        &cast.trader,
        authorise(&cast.payment, LinkScope::IndependentSite, 10_000, false),
    )
    .unwrap();
    w.exec(&cast.payment, link(&cast.trader, "ORD-1", &last))
        .unwrap();
    let l = closed_loop::link_of(&w.state, &cast.trader.public(), "ORD-1").unwrap();
    assert_eq!(l.linker, cast.payment.public());
}

/// R-Q2: an order status lists its units' logistics records and says when it could not list
/// them all.
#[test]
fn r_q2_order_status_says_when_its_logistics_list_is_short() {
    let mut w = World::new();
    let cast = w.cast();
    let code = batch("Q2T");
    trade_unit(&mut w, &cast, &code);
    let p = ChainParams::default();
    let st = closed_loop::order_status(&w.state, &p, &cast.trader.public(), "ORD-1");
    assert!(!st.truncated && st.logistics_txs.len() == 1, "{st:?}");
    let bound = tracechain_contracts::query::MAX_RECORDS_PER_CATEGORY;
    w.transports(&cast.logistics, &code, "WB-Q2", bound, |_, _| {});
    let st = closed_loop::order_status(&w.state, &p, &cast.trader.public(), "ORD-1");
    assert!(st.truncated, "{} listed", st.logistics_txs.len());
    assert_eq!(st.logistics_txs.len(), bound);
}
