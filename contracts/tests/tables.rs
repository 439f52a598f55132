//! Table-driven tests of Tables 1–4 for all three trace modes: R-X1 basic items, malformed
//! items, R-X2 completeness report, R-X3 customs gate.

mod common;

use common::*;
use serde_json::{json, Value};
use tracechain_contracts::completeness::CategoryRules;
use tracechain_contracts::completeness::{self, Category, Requirement, Status};
use tracechain_contracts::ErrorCode;
use tracechain_contracts::Rule;
use tracechain_types::payload::PayloadKind as K;
use tracechain_types::records::*;
use tracechain_types::{DocumentRecord, Hash, InfoBlockRecord, Payload, TraceUnitRecord};

/// The basic items of each category (Tables 1–4), by JSON field name. Exceptions decided
/// in the rules: R-L3 outbound time may follow later; R-C1 release date comes with release.
fn basic_items(kind: K) -> &'static [&'static str] {
    match kind {
        K::Materials => &[
            "material_name",
            "supplier_name",
            "supplier_address",
            "supplier_contact",
        ],
        K::Production => &["producer_name", "country", "production_time"],
        K::ProductFeatures => &["brand", "model", "shelf_life"],
        K::ProductCode | K::TradeProductCode => &["gtin"],
        K::Order => &[
            "product_name",
            "order_time",
            "platform",
            "amount_minor",
            "currency",
            "shipping_address",
            "consignee",
            "consignee_contact",
        ],
        K::PaymentReceipt => &[
            "product_name",
            "receipt_time",
            "receipt_amount_minor",
            "settlement_amount_minor",
            "settlement_time",
            "currency",
            "payee",
        ],
        K::Tally => &["security_scan", "loading_record"],
        K::Transport => &["carrier", "mode", "origin"],
        K::Warehousing => &[
            "warehouse_name",
            "warehouse_address",
            "storage_mode",
            "inbound_time",
        ],
        K::Delivery => &["company", "tracking_number"],
        K::DeliveryException => &["exception_type"],
        K::CustomsDeclaration => &[
            "declaration_list",
            "declaration_number",
            "departure_port",
            "arrival_port",
            "declaration_date",
        ],
        K::CustomsStatus => &["status"],
        _ => unreachable!(),
    }
}

fn with(p: &Payload, edits: &[(&str, Value)]) -> Payload {
    let mut v = serde_json::to_value(p).unwrap();
    for (f, val) in edits {
        assert!(v.get(*f).is_some(), "no field {f} in {v}");
        v[*f] = val.clone();
    }
    serde_json::from_value(v).unwrap()
}

fn missing(field: &str) -> Value {
    if field == "declaration_list" {
        json!([])
    } else {
        Value::Null
    }
}

fn mode_code(mode: TraceMode, tag: &str) -> TraceCode {
    batch(&format!("{}-{tag}", &format!("{mode:?}")[..1]))
}

#[test]
fn r_x1_every_basic_item_of_tables_1_to_4_is_required_in_every_mode() {
    let mut w = World::new();
    let cast = w.cast();
    let mut n = 0;
    for mode in TraceMode::ALL {
        let code = mode_code(mode, "x1");
        w.unit(&cast, &code, mode);
        for kind in BLOCK_KINDS {
            let good = valid_record(kind, &code, n);
            for field in basic_items(kind) {
                n += 1;
                let bad = with(&good, &[(field, missing(field))]);
                let e = w.try_exec(cast.writer(kind), bad).unwrap_err();
                assert_eq!(
                    e.code,
                    ErrorCode::MissingBasicItem,
                    "{mode:?} {kind:?} {field}: {e}"
                );
                assert!(
                    e.names(field),
                    "{mode:?} {kind:?}: error must name {field}: {e}"
                );
                assert_eq!(
                    e.problems.len(),
                    1,
                    "{mode:?} {kind:?} {field}: only that item: {e}"
                );
                assert!(e.rule.as_str().starts_with("R-"), "{e}");
            }
            // all basic items missing at once: every one is named in one error
            let edits: Vec<(&str, Value)> =
                basic_items(kind).iter().map(|f| (*f, missing(f))).collect();
            let e = w
                .try_exec(cast.writer(kind), with(&good, &edits))
                .unwrap_err();
            for field in basic_items(kind) {
                assert!(e.names(field), "{kind:?}: {field} not named in {e}");
            }
            assert_eq!(e.problems.len(), basic_items(kind).len(), "{kind:?}: {e}");
        }
    }
}

#[test]
fn r_x1_category_rule_id_is_cited() {
    let mut w = World::new();
    let cast = w.cast();
    let code = batch("rule-ids");
    w.unit(&cast, &code, TraceMode::Full);
    for (kind, rule) in BLOCK_KINDS.iter().zip([
        Rule::RP1,
        Rule::RP2,
        Rule::RP3,
        Rule::RP4,
        Rule::RT1,
        Rule::RT2,
        Rule::RT3,
        Rule::RL1,
        Rule::RL2,
        Rule::RL3,
        Rule::RL4,
        Rule::RL5,
        Rule::RC1,
        Rule::RC2,
    ]) {
        let field = basic_items(*kind)[0];
        let e = w
            .try_exec(
                cast.writer(*kind),
                with(&valid_record(*kind, &code, 1), &[(field, missing(field))]),
            )
            .unwrap_err();
        assert_eq!(e.rule, rule, "{kind:?}");
    }
}

#[test]
fn r_x1_malformed_items_are_named_all_at_once() {
    let mut w = World::new();
    let cast = w.cast();
    let code = batch("malformed");
    w.unit(&cast, &code, TraceMode::Full);
    let cases: Vec<(K, Vec<(&str, Value)>)> = vec![
        (
            K::Order,
            vec![
                ("currency", json!("XYZ")),
                ("amount_minor", json!(-1)),
                ("order_time", json!("2024-05-01 08:30")),
            ],
        ),
        (
            K::Production,
            vec![
                ("country", json!("ZZ")),
                ("production_time", json!("2024-13-01T00:00:00Z")),
            ],
        ),
        (K::ProductCode, vec![("gtin", json!("6901234567891"))]),
        (K::TradeProductCode, vec![("gtin", json!("69012345678"))]),
        (
            K::PaymentReceipt,
            vec![
                ("settlement_time", json!("yesterday")),
                ("currency", json!("usd")),
                ("receipt_amount_minor", json!(-5)),
            ],
        ),
        (
            K::CustomsDeclaration,
            vec![("declaration_date", json!("2023-02-29"))],
        ),
        (
            K::Warehousing,
            vec![("outbound_time", json!("2024-05-01T00:00:00Z"))],
        ),
        (
            K::Transport,
            vec![(
                "positions",
                json!([{"time": "2024-05-01T00:00:00Z", "lat_e7": 950000000, "lon_e7": 0, "system": "gps"}]),
            )],
        ),
        (
            K::ProductFeatures,
            vec![("shelf_life", json!("eighteen months"))],
        ),
    ];
    for (kind, edits) in cases {
        let bad = with(&valid_record(kind, &code, 7), &edits);
        let e = w.try_exec(cast.writer(kind), bad).unwrap_err();
        assert_eq!(e.code, ErrorCode::MalformedItem, "{kind:?}: {e}");
        for (f, _) in &edits {
            assert!(
                e.problems.iter().any(|p| p.field.starts_with(f)),
                "{kind:?}: {f} not named in {e}"
            );
        }
        assert_eq!(e.problems.len(), edits.len(), "{kind:?}: {e}");
    }
}

#[test]
fn r_x1_decisions_outbound_time_and_release_date_may_follow() {
    let mut w = World::new();
    let cast = w.cast();
    let code = batch("decisions");
    w.unit(&cast, &code, TraceMode::Trader);
    let open_stay = with(
        &valid_record(K::Warehousing, &code, 1),
        &[("outbound_time", Value::Null)],
    );
    w.exec(&cast.logistics, open_stay).unwrap();
    // TRADER: only P3 and T3 are mandatory product/trade categories
    w.exec(&cast.producer, valid_record(K::ProductFeatures, &code, 1))
        .unwrap();
    w.exec(&cast.trader, valid_record(K::TradeProductCode, &code, 1))
        .unwrap();
    w.exec(&cast.port, valid_record(K::CustomsDeclaration, &code, 1))
        .unwrap();
    assert!(
        tracechain_contracts::info_blocks::declaration(&w.state, "310120240000000001")
            .unwrap()
            .released_at_ms
            .is_none()
    );
    // a release status without its time is refused; with it, accepted
    let no_time = with(
        &valid_record(K::CustomsStatus, &code, 1),
        &[("time", Value::Null)],
    );
    let e = w.exec(&cast.regulator, no_time).unwrap_err();
    assert!(e.names("time"), "{e}");
    w.exec(&cast.regulator, valid_record(K::CustomsStatus, &code, 1))
        .unwrap();
    let d = tracechain_contracts::info_blocks::declaration(&w.state, "310120240000000001").unwrap();
    assert_eq!(d.status, CustomsStatus::Released);
    assert!(d.released_at_ms.is_some());
}

#[test]
fn r_x4_records_must_name_registered_units() {
    let mut w = World::new();
    let cast = w.cast();
    let code = batch("known");
    w.unit(&cast, &code, TraceMode::Full);
    let unknown = batch("unknown");
    let e = w
        .try_exec(&cast.producer, valid_record(K::Production, &unknown, 1))
        .unwrap_err();
    assert_eq!((e.rule, e.code), (Rule::RX4, ErrorCode::UnknownTraceUnit));
    let none = with(
        &valid_record(K::Production, &code, 1),
        &[("trace_codes", json!([]))],
    );
    let e = w.try_exec(&cast.producer, none).unwrap_err();
    assert!(e.names("trace_codes"), "{e}");
    // GTIN given as 13 digits and as 14 digits is one unit
    let long = TraceCode::Batch {
        gtin: format!("0{GTIN}"),
        batch: "known".into(),
    };
    w.exec(&cast.producer, valid_record(K::Production, &long, 1))
        .unwrap();
}

fn expected(cat: Category, mode: TraceMode, present: bool) -> Status {
    match (present, cat.requirement(mode), cat, mode) {
        (true, ..) => Status::Present,
        (false, _, Category::P1, TraceMode::Full) => Status::Warning,
        (false, Requirement::Mandatory, Category::L5, _) => Status::NoneRecorded,
        (false, Requirement::Mandatory, ..) => Status::Missing,
        (false, Requirement::Optional, ..) => Status::Absent,
    }
}

#[test]
fn r_x2_completeness_report_follows_the_mode_columns() {
    // Mode columns as printed in Tables 1–4 (M = mandatory), P1 … C2.
    let table: [(TraceMode, &str); 3] = [
        (TraceMode::Full, "OMMOMMMMMMMMMM"),
        (TraceMode::Manufacturer, "OMMOMOMMMMMMMM"),
        (TraceMode::Trader, "OOMOOOMMMMMMMM"),
    ];
    for (mode, cols) in table {
        for (cat, col) in Category::ALL.iter().zip(cols.chars()) {
            let want = if col == 'M' {
                Requirement::Mandatory
            } else {
                Requirement::Optional
            };
            assert_eq!(cat.requirement(mode), want, "{cat:?} {mode:?}");
        }
    }
    let mut w = World::new();
    let cast = w.cast();
    let mut n = 100;
    for mode in TraceMode::ALL {
        for (skip_i, skip) in BLOCK_KINDS.iter().enumerate() {
            let code = mode_code(mode, &format!("x2-{skip_i}"));
            w.unit(&cast, &code, mode);
            n += 1;
            for kind in BLOCK_KINDS {
                if kind != *skip {
                    // C1 may be refused by the gate, C2 then has no declaration: both tolerated here.
                    let r = w.exec(cast.writer(kind), valid_record(kind, &code, n));
                    if !matches!(kind, K::CustomsDeclaration | K::CustomsStatus) {
                        r.unwrap();
                    }
                }
            }
            let report = completeness::report(&w.state, &code).unwrap();
            let skipped = Category::ALL[skip_i];
            let line = report.lines.iter().find(|l| l.category == skipped).unwrap();
            assert_eq!(
                line.status,
                expected(skipped, mode, false),
                "{mode:?} without {skipped:?}"
            );
            assert_eq!(line.records, 0);
            let gate_blocked = matches!(
                skipped.block(),
                completeness::InfoBlock::Product | completeness::InfoBlock::Trade
            ) && skipped.requirement(mode) == Requirement::Mandatory;
            for l in &report.lines {
                if l.category != skipped
                    && !(gate_blocked && matches!(l.category, Category::C1 | Category::C2))
                    && !(skipped == Category::C1 && l.category == Category::C2)
                {
                    assert_eq!(
                        l.status,
                        Status::Present,
                        "{mode:?} without {skipped:?}: {:?}",
                        l.category
                    );
                }
            }
            assert_eq!(
                report.complete,
                expected(skipped, mode, false) != Status::Missing,
                "{mode:?} without {skipped:?}"
            );
        }
    }
}

#[test]
fn r_p1_missing_materials_in_full_mode_is_a_warning_only() {
    let mut w = World::new();
    let cast = w.cast();
    let code = batch("p1-warning");
    w.unit(&cast, &code, TraceMode::Full);
    for kind in BLOCK_KINDS.iter().filter(|k| **k != K::Materials) {
        w.exec(cast.writer(*kind), valid_record(*kind, &code, 1))
            .unwrap();
    }
    let r = completeness::report(&w.state, &code).unwrap();
    assert!(r.complete);
    assert_eq!(r.warnings(), vec![Category::P1]);
    w.exec(&cast.producer, valid_record(K::Materials, &code, 1))
        .unwrap();
    assert!(completeness::report(&w.state, &code)
        .unwrap()
        .warnings()
        .is_empty());
}

#[test]
fn r_x3_customs_gate_lists_missing_mandatory_product_and_trade_categories() {
    let product_trade = [
        K::Materials,
        K::Production,
        K::ProductFeatures,
        K::ProductCode,
        K::Order,
        K::PaymentReceipt,
        K::TradeProductCode,
    ];
    let mut w = World::new();
    let cast = w.cast();
    let mut n = 500;
    for mode in TraceMode::ALL {
        let mandatory: Vec<(K, Category)> = product_trade
            .iter()
            .zip(Category::ALL)
            .filter(|(_, c)| c.requirement(mode) == Requirement::Mandatory)
            .map(|(k, c)| (*k, c))
            .collect();
        // nothing recorded: every mandatory P/T category is listed, nothing else
        let code = mode_code(mode, "gate-empty");
        w.unit(&cast, &code, mode);
        n += 1;
        let e = w
            .try_exec(&cast.port, valid_record(K::CustomsDeclaration, &code, n))
            .unwrap_err();
        assert_eq!((e.rule, e.code), (Rule::RX3, ErrorCode::CustomsGate));
        let mut named: Vec<String> = e.problems.iter().map(|p| p.field.clone()).collect();
        named.sort();
        let mut want: Vec<String> = mandatory
            .iter()
            .map(|(_, c)| format!("trace_codes[0].{}", c.rule()))
            .collect();
        want.sort();
        assert_eq!(named, want, "{mode:?}");
        // each mandatory category alone missing: exactly it is named
        for (i, (_, missing_cat)) in mandatory.iter().enumerate() {
            let code = mode_code(mode, &format!("gate-{i}"));
            w.unit(&cast, &code, mode);
            for (k, c) in &mandatory {
                if c != missing_cat {
                    w.exec(cast.writer(*k), valid_record(*k, &code, n)).unwrap();
                }
            }
            n += 1;
            let before = w.state.clone();
            let e = w
                .exec(&cast.port, valid_record(K::CustomsDeclaration, &code, n))
                .unwrap_err();
            assert_eq!(e.problems.len(), 1, "{mode:?} {missing_cat:?}: {e}");
            assert_eq!(
                e.problems[0].field,
                format!("trace_codes[0].{}", missing_cat.rule())
            );
            assert_eq!(
                w.state, before,
                "a refused declaration leaves state unchanged"
            );
        }
        // all mandatory present (optional ones absent): accepted
        let code = mode_code(mode, "gate-ok");
        w.unit(&cast, &code, mode);
        for (k, _) in &mandatory {
            w.exec(cast.writer(*k), valid_record(*k, &code, n)).unwrap();
        }
        n += 1;
        w.exec(&cast.port, valid_record(K::CustomsDeclaration, &code, n))
            .unwrap();
    }
}

#[test]
fn r_c1_declaration_number_is_unique_and_r_c2_needs_the_declaration() {
    let mut w = World::new();
    let cast = w.cast();
    let code = batch("c1");
    w.unit(&cast, &code, TraceMode::Trader);
    w.exec(&cast.producer, valid_record(K::ProductFeatures, &code, 1))
        .unwrap();
    w.exec(&cast.trader, valid_record(K::TradeProductCode, &code, 1))
        .unwrap();
    let e = w
        .exec(&cast.regulator, valid_record(K::CustomsStatus, &code, 9))
        .unwrap_err();
    assert_eq!((e.rule, e.code), (Rule::RC2, ErrorCode::NotFound));
    w.exec(&cast.port, valid_record(K::CustomsDeclaration, &code, 9))
        .unwrap();
    let e = w
        .exec(&cast.port, valid_record(K::CustomsDeclaration, &code, 9))
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::AlreadyExists);
    w.exec(&cast.regulator, valid_record(K::CustomsStatus, &code, 9))
        .unwrap();
    let e = w
        .exec(&cast.regulator, valid_record(K::CustomsStatus, &code, 9))
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidTransition, "released is final");
}

#[test]
fn r_t1_order_ref_unique_per_writer() {
    let mut w = World::new();
    let cast = w.cast();
    let code = batch("t1");
    w.unit(&cast, &code, TraceMode::Full);
    w.exec(&cast.trader, valid_record(K::Order, &code, 1))
        .unwrap();
    let e = w
        .exec(&cast.trader, valid_record(K::Order, &code, 1))
        .unwrap_err();
    assert_eq!((e.rule, e.code), (Rule::RT1, ErrorCode::AlreadyExists));
}

#[test]
fn r_x4_item_units_count_their_batch_records() {
    let mut w = World::new();
    let cast = w.cast();
    let code = batch("items");
    w.unit(&cast, &code, TraceMode::Manufacturer);
    w.exec(
        &cast.producer,
        Payload::TraceUnit(TraceUnitRecord::RegisterItemCodes(ItemCodesRegistration {
            batch: code.clone(),
            serials: vec!["S1".into(), "S2".into()],
        })),
    )
    .unwrap();
    w.exec(&cast.producer, valid_record(K::Production, &code, 1))
        .unwrap();
    let item = TraceCode::Item {
        gtin: GTIN.into(),
        serial: "S1".into(),
    };
    let r = completeness::report(&w.state, &item).unwrap();
    assert_eq!(r.mode, TraceMode::Manufacturer);
    assert_eq!(
        r.lines[1].status,
        Status::Present,
        "P2 of the batch counts for its item"
    );
    let view = tracechain_contracts::trace::lookup(&w.state, &item).unwrap();
    assert!(view.records.iter().any(|(c, _)| c == "P2"));
    assert_eq!(
        view.digital_link,
        format!("https://id.gs1.org/01/0{GTIN}/21/S1")
    );
}

/// ADR 0040 reverses an earlier decision that a declaration carrying its release date
/// counted as released when filed: a broker could then release its own goods. The release
/// date comes only with the customs department's release (R-C2).
#[test]
fn r_c1_attack_a_declaration_carrying_its_own_release_date_is_refused() {
    let mut w = World::new();
    let cast = w.cast();
    let code = batch("c1rel");
    w.unit(&cast, &code, TraceMode::Trader);
    w.exec(&cast.producer, valid_record(K::ProductFeatures, &code, 1))
        .unwrap();
    w.exec(&cast.trader, valid_record(K::TradeProductCode, &code, 1))
        .unwrap();
    let mut d = match valid_record(K::CustomsDeclaration, &code, 7) {
        Payload::InfoBlock(InfoBlockRecord::CustomsDeclaration(r)) => r,
        _ => unreachable!(),
    };
    d.release_date = Some("2024-05-05".into());
    let e = w
        .exec(
            &cast.port,
            Payload::InfoBlock(InfoBlockRecord::CustomsDeclaration(d)),
        )
        .unwrap_err();
    assert_eq!(
        (e.rule, e.code),
        (Rule::RC1, ErrorCode::MalformedItem),
        "{e}"
    );
    assert!(e.names("release_date") && e.problems.len() == 1, "{e}");
    assert!(
        tracechain_contracts::info_blocks::declaration(&w.state, "310120240000000007").is_none()
    );
    // filed without it, the goods are declared, not released, until customs releases them
    w.exec(&cast.port, valid_record(K::CustomsDeclaration, &code, 7))
        .unwrap();
    let st =
        tracechain_contracts::info_blocks::declaration(&w.state, "310120240000000007").unwrap();
    assert_eq!(
        (st.status, st.released_at_ms),
        (CustomsStatus::Declared, None)
    );
    let r = completeness::report(&w.state, &code).unwrap();
    assert!(r.missing().contains(&Category::C2));
    w.exec(&cast.regulator, valid_record(K::CustomsStatus, &code, 7))
        .unwrap();
    let st =
        tracechain_contracts::info_blocks::declaration(&w.state, "310120240000000007").unwrap();
    assert_eq!(st.status, CustomsStatus::Released);
    assert!(st.released_at_ms.is_some());
    let r = completeness::report(&w.state, &code).unwrap();
    assert!(!r.missing().contains(&Category::C2), "{r:?}");
}

/// R-C2 statuses are the customs department's decisions (ADR 0040): a port-clearance node
/// (a broker) could set the status of any declaration, its own or another broker's, and
/// customs itself could not.
#[test]
fn r_c2_attack_only_the_customs_department_releases_holds_or_inspects() {
    let mut w = World::new();
    let cast = w.cast();
    let code = batch("c2own");
    w.unit(&cast, &code, TraceMode::Trader);
    w.exec(&cast.producer, valid_record(K::ProductFeatures, &code, 1))
        .unwrap();
    w.exec(&cast.trader, valid_record(K::TradeProductCode, &code, 1))
        .unwrap();
    w.exec(&cast.port, valid_record(K::CustomsDeclaration, &code, 5))
        .unwrap();
    let other_broker = w.seed(
        190,
        ParticipantCategory::Logistics,
        vec![NodeType::PortClearance],
        tracechain_contracts::registry::ParticipantState::Approved,
    );
    let tax = w.seed(
        191,
        ParticipantCategory::Regulator(Agency::Tax),
        vec![],
        tracechain_contracts::registry::ParticipantState::Approved,
    );
    for (who, what) in [
        (&cast.port, "its own declaration's broker"),
        (&other_broker, "another broker"),
    ] {
        let e = w
            .exec(who, valid_record(K::CustomsStatus, &code, 5))
            .unwrap_err();
        assert_eq!(
            (e.rule, e.code),
            (Rule::RC2, ErrorCode::NotPermitted),
            "{what}: {e}"
        );
    }
    let e = w
        .exec(&tax, valid_record(K::CustomsStatus, &code, 5))
        .unwrap_err();
    assert_eq!(
        (e.rule, e.code),
        (Rule::RC2, ErrorCode::NotOwner),
        "another agency: {e}"
    );
    let held = with(
        &valid_record(K::CustomsStatus, &code, 5),
        &[("status", json!("held"))],
    );
    w.exec(&cast.regulator, held).unwrap();
    let st =
        tracechain_contracts::info_blocks::declaration(&w.state, "310120240000000005").unwrap();
    assert_eq!(st.status, CustomsStatus::Held);
    w.exec(&cast.regulator, valid_record(K::CustomsStatus, &code, 5))
        .unwrap();
    let st =
        tracechain_contracts::info_blocks::declaration(&w.state, "310120240000000005").unwrap();
    assert_eq!(st.status, CustomsStatus::Released);
}

/// A customs declaration is filed by the owner of the goods or its authorised broker
/// (ADR 0040): a port-clearance node without a trade relationship with the registrant
/// cannot declare another producer's goods.
#[test]
fn r_c1_attack_a_broker_cannot_declare_goods_it_does_not_represent() {
    let mut w = World::new();
    let cast = w.cast();
    let code = batch("c1rep");
    w.unit(&cast, &code, TraceMode::Trader);
    w.exec(&cast.producer, valid_record(K::ProductFeatures, &code, 1))
        .unwrap();
    w.exec(&cast.trader, valid_record(K::TradeProductCode, &code, 1))
        .unwrap();
    let stranger = w.seed(
        192,
        ParticipantCategory::Logistics,
        vec![NodeType::PortClearance],
        tracechain_contracts::registry::ParticipantState::Approved,
    );
    let e = w
        .exec(&stranger, valid_record(K::CustomsDeclaration, &code, 6))
        .unwrap_err();
    assert_eq!((e.rule, e.code), (Rule::RA6, ErrorCode::NotOwner), "{e}");
    assert!(e.names("trace_codes[0]"), "{e}");
    w.relate(&cast.producer, &stranger);
    w.exec(&stranger, valid_record(K::CustomsDeclaration, &code, 6))
        .expect("once the producer's broker, it declares");
}

/// Tables 1/2: the batch inside a product code was not checked against the units it names
/// (ADR 0047).
#[test]
fn r_p4_attack_a_product_code_cannot_name_another_batch() {
    let mut w = World::new();
    let cast = w.cast();
    let code = batch("PC-1");
    w.unit(&cast, &code, TraceMode::Full);
    w.exec(
        &cast.producer,
        Payload::TraceUnit(TraceUnitRecord::RegisterItemCodes(ItemCodesRegistration {
            batch: code.clone(),
            serials: vec!["I1".into()],
        })),
    )
    .unwrap();
    let item = TraceCode::Item {
        gtin: GTIN.into(),
        serial: "I1".into(),
    };
    for unit in [&code, &item] {
        let Payload::InfoBlock(InfoBlockRecord::ProductCode(mut r)) =
            valid_record(K::ProductCode, unit, 1)
        else {
            unreachable!()
        };
        r.batch = Some("PC-2".into());
        let e = w
            .exec(
                &cast.producer,
                Payload::InfoBlock(InfoBlockRecord::ProductCode(r.clone())),
            )
            .unwrap_err();
        assert_eq!(
            (e.rule, e.code),
            (Rule::RP4, ErrorCode::MalformedItem),
            "{e}"
        );
        assert!(e.names("trace_codes[0]"), "{e}");
        r.batch = Some("PC-1".into());
        w.exec(
            &cast.producer,
            Payload::InfoBlock(InfoBlockRecord::ProductCode(r)),
        )
        .unwrap();
    }
}

/// Tables 1: the certificate, certificate-of-origin and test-report hashes of product
/// features were not tied to anchored documents: any hash could be claimed (ADR 0047).
#[test]
fn r_p3_attack_feature_documents_must_be_anchored_with_their_type() {
    let mut w = World::new();
    let cast = w.cast();
    let code = batch("P3-DOC");
    w.unit(&cast, &code, TraceMode::Full);
    let report = Hash::digest(b"%PDF residue test report 7");
    let Payload::InfoBlock(InfoBlockRecord::ProductFeatures(mut r)) =
        valid_record(K::ProductFeatures, &code, 1)
    else {
        unreachable!()
    };
    r.test_reports = vec![report];
    let e = w
        .exec(
            &cast.producer,
            Payload::InfoBlock(InfoBlockRecord::ProductFeatures(r.clone())),
        )
        .unwrap_err();
    assert_eq!(
        (e.rule, e.code),
        (Rule::RP3, ErrorCode::MalformedItem),
        "{e}"
    );
    assert!(e.names("test_reports[0]"), "{e}");
    let anchor = |t: DocumentType| {
        Payload::Document(DocumentRecord::DocumentAnchor(DocumentAnchor {
            document_hash: report,
            document_type: t,
            valid_from: "2024-05-01".into(),
            valid_until: None,
            trace_codes: vec![],
        }))
    };
    // anchored, but as another type: still refused
    w.exec(&cast.producer, anchor(DocumentType::Certification))
        .unwrap();
    let e = w
        .exec(
            &cast.producer,
            Payload::InfoBlock(InfoBlockRecord::ProductFeatures(r.clone())),
        )
        .unwrap_err();
    assert!(e.names("test_reports[0]"), "{e}");
    w.exec(&cast.regulator, anchor(DocumentType::TestReport))
        .unwrap();
    w.exec(
        &cast.producer,
        Payload::InfoBlock(InfoBlockRecord::ProductFeatures(r)),
    )
    .expect("an anchored test report");
}

/// Table 3: the outbound time is a basic item of warehousing, but a stay recorded without it
/// counted as complete for ever, since completeness counted records, not items. A stay is now
/// complete once a record of it carries the outbound time (ADR 0047).
#[test]
fn r_l3_attack_a_stay_without_its_outbound_time_is_not_complete() {
    let mut w = World::new();
    let cast = w.cast();
    let code = batch("L3-OPEN");
    w.unit(&cast, &code, TraceMode::Full);
    for kind in BLOCK_KINDS {
        if kind == K::Warehousing {
            continue;
        }
        w.exec(cast.writer(kind), valid_record(kind, &code, 41))
            .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
    }
    let open = with(
        &valid_record(K::Warehousing, &code, 1),
        &[("outbound_time", Value::Null)],
    );
    w.exec(&cast.logistics, open).unwrap();
    let r = completeness::report(&w.state, &code).unwrap();
    let l3 = r.lines.iter().find(|l| l.category == Category::L3).unwrap();
    assert_eq!(l3.status, Status::Partial, "{r:?}");
    assert_eq!(
        l3.missing_items,
        vec!["outbound_time (warehouse \"Rotterdam Overseas Warehouse\")".to_string()]
    );
    assert!(!r.complete, "{r:?}");
    // the stay's outbound time follows in a later record of the same stay
    w.exec(&cast.logistics, valid_record(K::Warehousing, &code, 2))
        .unwrap();
    let r = completeness::report(&w.state, &code).unwrap();
    let l3 = r.lines.iter().find(|l| l.category == Category::L3).unwrap();
    assert_eq!(l3.status, Status::Present, "{r:?}");
    assert!(r.complete, "{r:?}");
}
