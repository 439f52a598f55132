//! The four information blocks of CBETC (spec 6.4, Tables 1–4).
//!
//! * R-X1: every basic item of the category present and well formed; every problem of the
//!   record is reported at once (`E_MISSING_BASIC_ITEM` / `E_MALFORMED_ITEM`).
//! * R-X4: the record names 1..=64 registered trace units (`E_UNKNOWN_TRACE_UNIT`).
//! * R-N1–R-N4 and R-T2 (who writes which block) are rows of the permission table, checked
//!   before this module runs.
//! * R-X3: a customs declaration is refused while a mandatory product/trade category of any
//!   of its units is missing (`E_CUSTOMS_GATE_MISSING_CATEGORIES`, one problem per unit and
//!   category, field `trace_codes[i].R-…`).
//! * Writers are tied to the units (ADR 0024, R-A6): a product-block or trade-block record
//!   for a unit is written only by the unit's registrant or by a participant with a
//!   two-sided trade relationship with it; otherwise `E_NOT_OWNER` naming `trace_codes[i]`.
//!   Logistics and customs blocks stay open to every node of their type.
//! * Decisions: R-L3 outbound time may follow in a later record; R-C1 release date is set
//!   by the release status (R-C2) and may be absent on the declaration.

use borsh::{BorshDeserialize, BorshSerialize};
use tracechain_gs1::Batch;
use tracechain_types::records::*;
use tracechain_types::{Category, CbeacRecord, Hash, InfoBlockRecord, Payload, PublicKey};

use crate::index_tags::IndexTag;

use crate::completeness::{self, CategoryRules, InfoBlock};
use crate::context::TxEnv;
use crate::error::{ContractError, ErrorCode, FieldProblem, Problem};
use crate::rules::Rule;
use crate::sensor;
use crate::state::StateView;
use crate::state_keys;
use crate::trace::{self, TraceUnit};
use crate::trace_codes::NormalisedCode;
use crate::validate::{parse_date_or_time, FieldChecker, MAX_LIST_ITEMS};

/// Longest reference (order ref, receipt ref, declaration number, tracking number): bytes.
pub const MAX_REF_BYTES: usize = 64;

/// Stored state of a customs declaration (`dcl/{number}`).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct CustomsDeclarationState {
    /// The port-clearance node that declared it.
    pub declarer: PublicKey,
    /// The declaration record's transaction.
    pub tx_id: Hash,
    /// Units declared (normalised).
    pub trace_codes: Vec<TraceCode>,
    /// Latest status (R-C2).
    pub status: CustomsStatus,
    /// Release time (Unix ms) once released.
    pub released_at_ms: Option<i64>,
}

fn reference(
    c: &mut FieldChecker,
    field: &str,
    v: &Option<String>,
    required: bool,
) -> Option<String> {
    let s = c.present(field, v, required)?;
    if s.trim().is_empty() {
        c.push(
            field,
            if required {
                Problem::Missing
            } else {
                Problem::Malformed("blank".into())
            },
        );
        None
    } else if s.len() > MAX_REF_BYTES {
        c.push(field, Problem::TooLong { max: MAX_REF_BYTES });
        None
    } else if !s.bytes().all(|b| b.is_ascii_graphic()) {
        c.push(
            field,
            Problem::Malformed("printable ASCII without spaces expected".into()),
        );
        None
    } else {
        Some(s.clone())
    }
}

fn hashes(c: &mut FieldChecker, field: &str, v: &[Hash]) {
    c.list(field, v, 0, MAX_LIST_ITEMS);
}

/// Check the basic and extended items of a block record (R-X1), without state; event times
/// must not be later than `latest_ms` (the block's
/// [`latest_record_time_ms`](crate::BlockContext::latest_record_time_ms)). Returns the
/// checker with every field problem (trace codes are checked separately).
pub fn check_fields(record: &InfoBlockRecord, latest_ms: i64) -> FieldChecker {
    let mut c = FieldChecker::at(latest_ms);
    match record {
        InfoBlockRecord::Materials(r) => {
            c.text("material_name", &r.material_name, true);
            c.text("supplier_name", &r.supplier_name, true);
            c.text("supplier_address", &r.supplier_address, true);
            c.present("supplier_contact", &r.supplier_contact, true);
            c.text("quality_indicators", &r.quality_indicators, false);
            c.event_date("production_date", &r.production_date, false);
            c.date("expiry", &r.expiry, false);
            if let Some(m) = &r.material_code {
                if let Err(p) = NormalisedCode::new("material_code", m) {
                    c.extend(p);
                }
            }
        }
        InfoBlockRecord::Production(r) => {
            c.text("producer_name", &r.producer_name, true);
            c.country("country", &r.country, true);
            c.time("production_time", &r.production_time, true);
            c.text("address", &r.address, false);
            c.text("production_licence", &r.production_licence, false);
        }
        InfoBlockRecord::ProductFeatures(r) => {
            c.text("brand", &r.brand, true);
            c.text("model", &r.model, true);
            if let Some(s) = c.text("shelf_life", &r.shelf_life, true) {
                if !is_iso_duration(s) && parse_date_or_time(s).is_err() {
                    c.push("shelf_life", Problem::Malformed("expected an RFC 3339 date / date-time or an ISO 8601 duration such as P18M".into()));
                }
            }
            hashes(&mut c, "certificates", &r.certificates);
            hashes(&mut c, "test_reports", &r.test_reports);
            if let Some(range) = &r.sensor_range {
                check_range(&mut c, range);
            }
        }
        InfoBlockRecord::ProductCode(r) | InfoBlockRecord::TradeProductCode(r) => {
            let gtin = c.gtin("gtin", &r.gtin, true);
            if let Some(b) = &r.batch {
                if let Err(e) = Batch::parse(b) {
                    c.push("batch", Problem::Malformed(e.to_string()));
                }
            }
            if let Some(g) = gtin {
                for (i, code) in r.trace_codes.iter().enumerate() {
                    if let Ok(n) = NormalisedCode::new("", code) {
                        if n.code().gtin() != g {
                            c.push(
                                format!("trace_codes[{i}]"),
                                Problem::Malformed(format!(
                                    "GTIN of the trace code differs from gtin {g}"
                                )),
                            );
                        }
                    }
                }
            }
            // Tables 1/2: the batch of the product code is the batch of the units it names
            // (items: checked against their registered batch when executed).
            if let Some(b) = &r.batch {
                for (i, code) in r.trace_codes.iter().enumerate() {
                    if let TraceCode::Batch { batch, .. } = code {
                        if batch != b {
                            c.push(
                                format!("trace_codes[{i}]"),
                                Problem::Malformed(format!(
                                    "batch {batch:?} of the trace code differs from batch {b:?}"
                                )),
                            );
                        }
                    }
                }
            }
        }
        InfoBlockRecord::Order(r) => {
            reference(&mut c, "order_ref", &r.order_ref, false);
            c.text("product_name", &r.product_name, true);
            c.time("order_time", &r.order_time, true);
            c.text("platform", &r.platform, true);
            c.amount("amount_minor", &r.amount_minor, true);
            c.currency("currency", &r.currency, true);
            c.present("shipping_address", &r.shipping_address, true);
            c.present("consignee", &r.consignee, true);
            c.present("consignee_contact", &r.consignee_contact, true);
            if c.list("lines", &r.lines, 0, MAX_LIST_ITEMS) {
                for (i, l) in r.lines.iter().enumerate() {
                    c.gtin_value(&format!("lines[{i}].gtin"), &l.gtin);
                    if l.quantity == 0 {
                        c.push(
                            format!("lines[{i}].quantity"),
                            Problem::OutOfRange("quantity 0".into()),
                        );
                    }
                    c.amount_value(&format!("lines[{i}].amount_minor"), l.amount_minor);
                }
            }
        }
        InfoBlockRecord::PaymentReceipt(r) => {
            reference(&mut c, "receipt_ref", &r.receipt_ref, false);
            c.text("product_name", &r.product_name, true);
            let received = c.time("receipt_time", &r.receipt_time, true);
            c.amount("receipt_amount_minor", &r.receipt_amount_minor, true);
            c.amount("settlement_amount_minor", &r.settlement_amount_minor, true);
            let settled = c.time("settlement_time", &r.settlement_time, true);
            c.currency("currency", &r.currency, true);
            c.present("payee", &r.payee, true);
            c.currency("settlement_currency", &r.settlement_currency, false);
            if let (Some(a), Some(b)) = (received, settled) {
                if b < a {
                    c.push(
                        "settlement_time",
                        Problem::OutOfRange("before receipt_time".into()),
                    );
                }
            }
        }
        InfoBlockRecord::Tally(r) => {
            c.text("security_scan", &r.security_scan, true);
            c.text("loading_record", &r.loading_record, true);
            c.positions("positions", &r.positions);
        }
        InfoBlockRecord::Transport(r) => {
            c.text("carrier", &r.carrier, true);
            c.present("mode", &r.mode, true);
            c.place("origin", &r.origin, true);
            c.present("shipper", &r.shipper, false);
            reference(&mut c, "waybill", &r.waybill, false);
            c.place("destination", &r.destination, false);
            c.country("destination_country", &r.destination_country, false);
            c.positions("positions", &r.positions);
            c.sensor_readings("sensor_readings", &r.sensor_readings);
        }
        InfoBlockRecord::Warehousing(r) => {
            c.text("warehouse_name", &r.warehouse_name, true);
            c.text("warehouse_address", &r.warehouse_address, true);
            c.text("storage_mode", &r.storage_mode, true);
            let inbound = c.time("inbound_time", &r.inbound_time, true);
            // R-L3 decision: the outbound time may follow in a later record of the stay.
            let outbound = c.time("outbound_time", &r.outbound_time, false);
            if let (Some(a), Some(b)) = (inbound, outbound) {
                if b < a {
                    c.push(
                        "outbound_time",
                        Problem::OutOfRange("before inbound_time".into()),
                    );
                }
            }
            c.gln("warehouse_gln", &r.warehouse_gln, false);
            c.country("country", &r.country, false);
            c.positions("positions", &r.positions);
            c.sensor_readings("sensor_readings", &r.sensor_readings);
        }
        InfoBlockRecord::Delivery(r) => {
            c.text("company", &r.company, true);
            reference(&mut c, "tracking_number", &r.tracking_number, true);
            reference(&mut c, "delivery_order", &r.delivery_order, false);
            c.text("vehicle", &r.vehicle, false);
            c.country("country", &r.country, false);
            c.positions("positions", &r.positions);
            coarse_delivery_positions(&mut c, &r.positions);
        }
        InfoBlockRecord::DeliveryException(r) => {
            c.present("exception_type", &r.exception_type, true);
            c.time("time", &r.time, false);
            c.present("description", &r.description, false);
        }
        InfoBlockRecord::CustomsDeclaration(r) => {
            if c.list("declaration_list", &r.declaration_list, 1, MAX_LIST_ITEMS) {
                for (i, l) in r.declaration_list.iter().enumerate() {
                    c.text_value(&format!("declaration_list[{i}].goods"), &l.goods, true);
                    if let Some(g) = &l.gtin {
                        c.gtin_value(&format!("declaration_list[{i}].gtin"), g);
                    }
                    if l.quantity == 0 {
                        c.push(
                            format!("declaration_list[{i}].quantity"),
                            Problem::OutOfRange("quantity 0".into()),
                        );
                    }
                    reference(
                        &mut c,
                        &format!("declaration_list[{i}].order_ref"),
                        &l.order_ref,
                        false,
                    );
                }
            }
            reference(&mut c, "declaration_number", &r.declaration_number, true);
            c.text("departure_port", &r.departure_port, true);
            c.text("arrival_port", &r.arrival_port, true);
            c.event_date("declaration_date", &r.declaration_date, true);
            // R-C1 decision (ADR 0040): the release date is the customs department's
            // release (R-C2); a declarer cannot state it.
            if r.release_date.is_some() {
                c.push(
                    "release_date",
                    Problem::NotAllowed(
                        "the release date is set by the customs department's release \
                         status (R-C2), not by the declarer"
                            .into(),
                    ),
                );
            }
            if let Some(t) = &r.tax_payment {
                c.amount_value("tax_payment.amount_minor", t.amount_minor);
                if !crate::validate::is_currency(&t.currency) {
                    c.push(
                        "tax_payment.currency",
                        Problem::Malformed(format!(
                            "{:?} is not an active ISO 4217 currency code",
                            t.currency
                        )),
                    );
                }
                c.text_value("tax_payment.reference", &t.reference, true);
            }
        }
        InfoBlockRecord::CustomsStatus(r) => {
            reference(&mut c, "declaration_number", &r.declaration_number, true);
            let status = c.present("status", &r.status, true).copied();
            // A release carries its date (R-C1 decision).
            c.time("time", &r.time, status == Some(CustomsStatus::Released));
        }
    }
    c
}

/// Grid of delivery positions (R-L4, R-S5), degrees × 10⁷: 0.01°, about 1 km, the precision
/// of consumer scan locations (R-S4).
pub const DELIVERY_POSITION_STEP_E7: i32 = 100_000;

/// A delivery ends at the receiver, whose location is personal data carried only as a
/// commitment (`receiving_location`, architecture "Privacy", R-A5). A position taken there
/// would put that address on chain in clear, and into the public trajectory (R-S5), so
/// delivery positions must lie on the [`DELIVERY_POSITION_STEP_E7`] grid; finer ones are
/// refused (the submitter rounds them).
fn coarse_delivery_positions(c: &mut FieldChecker, positions: &[Position]) {
    for (i, p) in positions.iter().enumerate() {
        for (axis, v) in [("lat_e7", p.lat_e7), ("lon_e7", p.lon_e7)] {
            if v % DELIVERY_POSITION_STEP_E7 != 0 {
                c.push(
                    format!("positions[{i}].{axis}"),
                    Problem::Malformed(format!(
                        "delivery positions are coarse (a multiple of {DELIVERY_POSITION_STEP_E7}, \
                         0.01°): the receiver's location is personal data"
                    )),
                );
            }
        }
    }
}

fn check_range(c: &mut FieldChecker, r: &SensorRange) {
    if let (Some(a), Some(b)) = (r.min_temperature_centi_c, r.max_temperature_centi_c) {
        if a > b {
            c.push(
                "sensor_range.min_temperature_centi_c",
                Problem::OutOfRange("above the maximum".into()),
            );
        }
    }
    for (f, v) in [
        (
            "sensor_range.min_temperature_centi_c",
            r.min_temperature_centi_c,
        ),
        (
            "sensor_range.max_temperature_centi_c",
            r.max_temperature_centi_c,
        ),
    ] {
        if let Some(t) = v {
            if !(-27_315..=100_000).contains(&t) {
                c.push(f, Problem::OutOfRange(format!("{t}")));
            }
        }
    }
    if let (Some(a), Some(b)) = (r.min_humidity_bp, r.max_humidity_bp) {
        if a > b {
            c.push(
                "sensor_range.min_humidity_bp",
                Problem::OutOfRange("above the maximum".into()),
            );
        }
    }
    for (f, v) in [
        ("sensor_range.min_humidity_bp", r.min_humidity_bp),
        ("sensor_range.max_humidity_bp", r.max_humidity_bp),
    ] {
        if v.is_some_and(|h| h > 10_000) {
            c.push(f, Problem::OutOfRange("above 10000 bp".into()));
        }
    }
}

/// ISO 8601 duration of whole units: `P` then one or more `<digits><Y|M|W|D>` (e.g. `P18M`,
/// `P1Y6M`, `P30D`).
fn is_iso_duration(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('P') else {
        return false;
    };
    if rest.is_empty() {
        return false;
    }
    let mut digits = 0;
    for ch in rest.chars() {
        match ch {
            '0'..='9' => digits += 1,
            'Y' | 'M' | 'W' | 'D' if digits > 0 => digits = 0,
            _ => return false,
        }
    }
    digits == 0
}

/// Validate a block record completely against state (R-X1, R-X4) without writing: the
/// trace units it names, or the error. Used by the dispatcher and by the bulk/manual
/// imports before storing.
pub fn validate(
    state: &dyn StateView,
    record: &InfoBlockRecord,
    latest_ms: i64,
) -> Result<(Category, Vec<(NormalisedCode, TraceUnit)>), ContractError> {
    let category = record.category();
    let mut fields = check_fields(record, latest_ms);
    let mut codes_check = FieldChecker::new();
    let units =
        trace::check_record_codes(state, &mut codes_check, "trace_codes", record.trace_codes());
    if !fields.is_ok() {
        fields.extend(codes_check.problems);
        return Err(match fields.finish(category.rule()) {
            Err(e) => e,
            Ok(()) => unreachable!("a checker with problems finishes with an error"),
        });
    }
    trace::finish_codes(codes_check)?;
    Ok((category, units))
}

/// The reference an export declaration links a record by (R-B3): an order's `order_ref`
/// (R-T1), a transport's `waybill` (R-L2), a payment receipt's `receipt_ref` (R-T2).
pub fn linkable_reference(record: &InfoBlockRecord) -> Option<&str> {
    match record {
        InfoBlockRecord::Order(r) => r.order_ref.as_deref(),
        InfoBlockRecord::Transport(r) => r.waybill.as_deref(),
        InfoBlockRecord::PaymentReceipt(r) => r.receipt_ref.as_deref(),
        _ => None,
    }
}

/// How an information-block record executed by [`execute`] is stored.
#[derive(Clone, Copy, Debug)]
pub(crate) enum StoreAs {
    /// The transaction's payload (the record itself, or the manual import carrying it).
    Transaction,
    /// Item `index` of the bulk import of transaction `bulk_tx`, under its derived id.
    BulkItem {
        /// The bulk import's transaction.
        bulk_tx: Hash,
        /// The item's position.
        index: u32,
    },
}

/// Execute an information-block record: validate (R-X1, R-X4), apply the category's state
/// rules (unique refs, customs gate R-X3, customs status), store it as `how` says and index
/// it per unit. Permission (R-N1–R-N4) was checked by the caller.
pub(crate) fn execute(
    env: &mut TxEnv<'_>,
    record: &InfoBlockRecord,
    how: StoreAs,
) -> Result<(), ContractError> {
    let (category, units) = validate(&env.state, record, env.ctx.latest_record_time_ms())?;
    check_writer(env, category, &units)?;
    check_against_state(&env.state, category, record, &units)?;
    let codes: Vec<NormalisedCode> = units.iter().map(|(n, _)| n.clone()).collect();
    match record {
        InfoBlockRecord::Order(r) => {
            if let Some(o) = &r.order_ref {
                let k = state_keys::order(&env.signer, o);
                if env.state.get_ref(&k).is_some() {
                    return Err(ContractError::one(
                        Rule::RT1,
                        ErrorCode::AlreadyExists,
                        "order_ref",
                        Problem::Duplicate(o.clone()),
                    ));
                }
                env.state.put_value(k, &env.tx_id);
            }
        }
        InfoBlockRecord::PaymentReceipt(r) => {
            if let Some(o) = &r.receipt_ref {
                let k = state_keys::receipt(&env.signer, o);
                if env.state.get_ref(&k).is_some() {
                    return Err(ContractError::one(
                        Rule::RT2,
                        ErrorCode::AlreadyExists,
                        "receipt_ref",
                        Problem::Duplicate(o.clone()),
                    ));
                }
                env.state.put_value(k, &env.tx_id);
            }
        }
        InfoBlockRecord::CustomsDeclaration(r) => declare(env, r, &units)?,
        InfoBlockRecord::CustomsStatus(r) => update_status(env, r, &codes)?,
        _ => {}
    }
    let tag = IndexTag::Info(category);
    match how {
        StoreAs::Transaction => {
            // The transaction's payload is this record, or the manual import carrying it.
            debug_assert!(match env.payload {
                Payload::InfoBlock(r) => r == record,
                Payload::Cbeac(CbeacRecord::ManualImport(m)) => &m.record == record,
                _ => false,
            });
            env.store_record(tag, &codes)
        }
        StoreAs::BulkItem { bulk_tx, index } => {
            env.store_bulk_item(record, bulk_tx, index, tag, &codes)
        }
    }
    if let InfoBlockRecord::CustomsDeclaration(d) = record {
        // R-Q2: a closed-loop status finds the declarations listing an order by this index.
        let mut refs: Vec<&str> = d
            .declaration_list
            .iter()
            .filter_map(|l| l.order_ref.as_deref())
            .collect();
        refs.sort_unstable();
        refs.dedup();
        for c in &codes {
            for r in &refs {
                env.state.put_value(
                    state_keys::unit_reference(c, tag, r, env.ctx.height, &env.tx_id),
                    &(),
                );
            }
        }
    }
    if let Some(reference) = linkable_reference(record) {
        // R-B3: a declaration finds the records of the unit carrying a reference by this
        // index, without reading (or copying) every record of the unit.
        for c in &codes {
            env.state.put_value(
                state_keys::unit_reference(c, tag, reference, env.ctx.height, &env.tx_id),
                &(),
            );
        }
    }
    match record {
        InfoBlockRecord::ProductFeatures(r) => {
            if let Some(range) = &r.sensor_range {
                sensor::declare_range(env, &codes, range);
            }
        }
        InfoBlockRecord::Transport(r) => {
            if let Some(country) = &r.destination_country {
                for c in &codes {
                    env.state
                        .put_value(crate::scan::transport_destination_key(c, country), &());
                }
            }
            if !r.sensor_readings.is_empty() {
                sensor::on_readings(env, &codes, &r.sensor_readings)?
            }
        }
        InfoBlockRecord::Warehousing(r) if !r.sensor_readings.is_empty() => {
            sensor::on_readings(env, &codes, &r.sensor_readings)?
        }
        _ => {}
    }
    Ok(())
}

/// Checks of Tables 1/2 that need state (ADR 0047): a product code's batch is the registered
/// batch of the items it names; the certificate, certificate-of-origin and test-report hashes
/// of product features are anchored documents of a matching type (R-S1).
fn check_against_state(
    state: &dyn StateView,
    category: Category,
    record: &InfoBlockRecord,
    units: &[(NormalisedCode, TraceUnit)],
) -> Result<(), ContractError> {
    let mut problems = Vec::new();
    match record {
        InfoBlockRecord::ProductCode(r) | InfoBlockRecord::TradeProductCode(r) => {
            if let Some(b) = &r.batch {
                for (i, (_, u)) in units.iter().enumerate() {
                    if let Some(TraceCode::Batch { batch, .. }) = &u.batch {
                        if batch != b {
                            problems.push(FieldProblem::new(
                                format!("trace_codes[{i}]"),
                                Problem::Malformed(format!(
                                    "the item is registered under batch {batch:?}, not {b:?}"
                                )),
                            ));
                        }
                    }
                }
            }
        }
        InfoBlockRecord::ProductFeatures(r) => {
            use DocumentType as D;
            let docs = r
                .certificates
                .iter()
                .enumerate()
                .map(|(i, h)| {
                    (
                        format!("certificates[{i}]"),
                        h,
                        &[D::Certification, D::SanitaryCertificate, D::Registration][..],
                    )
                })
                .chain(r.certificate_of_origin.iter().map(|h| {
                    (
                        "certificate_of_origin".to_string(),
                        h,
                        &[D::CertificateOfOrigin][..],
                    )
                }))
                .chain(
                    r.test_reports
                        .iter()
                        .enumerate()
                        .map(|(i, h)| (format!("test_reports[{i}]"), h, &[D::TestReport][..])),
                );
            for (field, h, types) in docs {
                if !crate::documents::anchored_as(state, h, types) {
                    problems.push(FieldProblem::new(
                        field,
                        Problem::NotFound(format!(
                            "no document anchor of type {types:?} for {h} (R-S1): anchor the \
                             document first"
                        )),
                    ));
                }
            }
        }
        _ => {}
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ContractError {
            rule: category.rule(),
            code: ErrorCode::MalformedItem,
            problems,
        })
    }
}

/// Whether records of a category are tied to the units' registrants (ADR 0024): the product
/// block (Table 1, R-N1), the trade block (Table 2, R-N2) and customs declarations (R-C1,
/// ADR 0040: filed by the owner of the goods or its authorised broker, a port-clearance node
/// with a trade relationship with the registrant). Logistics (many carriers, subcontracted
/// and changing) stays open to every node of its type; customs status (R-C2) is the customs
/// department's decision ([`customs_decider`]).
pub fn writer_bound(category: Category) -> bool {
    matches!(category.block(), InfoBlock::Product | InfoBlock::Trade) || category == Category::C1
}

/// Whether `signer` may write records of a bound category for `unit`: it registered the unit,
/// or it has a two-sided trade relationship with the registrant (R-A6).
fn may_write_for(env: &mut TxEnv<'_>, unit: &TraceUnit) -> bool {
    let signer = env.signer;
    unit.registrant == signer || env.related(&signer, &unit.registrant)
}

/// ADR 0024: for a product-block or trade-block record, every unit it names was registered
/// by the signer or by a trade partner of the signer (R-A6); otherwise `E_NOT_OWNER`, one
/// problem `trace_codes[i]` per foreign unit (never `signer`: that field is the permission
/// gate's).
fn check_writer(
    env: &mut TxEnv<'_>,
    category: Category,
    units: &[(NormalisedCode, TraceUnit)],
) -> Result<(), ContractError> {
    if category.block() == InfoBlock::Logistics {
        // ADR 0049: logistics records are written by the units' custodians.
        return crate::custody::check_custody(env, "trace_codes", units);
    }
    if !writer_bound(category) {
        return Ok(());
    }
    check_units_of_signer(
        env,
        || format!("{} records", category.name()),
        "trace_codes",
        units,
    )
}

/// Every unit was registered by the signer or by a trade partner of the signer (R-A6);
/// otherwise `E_NOT_OWNER` with one problem `{field}[i]` per foreign unit. `what` names the
/// records in the message (built only on refusal).
pub(crate) fn check_units_of_signer(
    env: &mut TxEnv<'_>,
    what: impl Fn() -> String,
    field: &str,
    units: &[(NormalisedCode, TraceUnit)],
) -> Result<(), ContractError> {
    refuse_units_without(
        env,
        field,
        units,
        |env, _, unit| may_write_for(env, unit),
        |code| {
            format!(
                "{} was registered by another participant and the signer has no trade \
             relationship (R-A6) with it: only the registrant and its trade partners write {} \
             for it",
                code.as_str(),
                what()
            )
        },
    )
}

/// `R-A6 E_NOT_OWNER` with one problem `{field}[i]` (saying `why`) for every unit the signer
/// lacks the relation `has` to; `Ok` when it has it to all. The one shape of every
/// unit-relation refusal (owners, partners, custodians).
pub(crate) fn refuse_units_without(
    env: &mut TxEnv<'_>,
    field: &str,
    units: &[(NormalisedCode, TraceUnit)],
    mut has: impl FnMut(&mut TxEnv<'_>, &NormalisedCode, &TraceUnit) -> bool,
    why: impl Fn(&NormalisedCode) -> String,
) -> Result<(), ContractError> {
    let mut problems = Vec::new();
    for (i, (code, unit)) in units.iter().enumerate() {
        if !has(env, code, unit) {
            problems.push(FieldProblem::new(
                format!("{field}[{i}]"),
                Problem::NotAllowed(why(code)),
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ContractError {
            rule: Rule::RA6,
            code: ErrorCode::NotOwner,
            problems,
        })
    }
}

/// R-C2 (ADR 0040): inspection, hold, release and return are decisions of the customs
/// department, written by a regulator of the customs agency; no other agency, broker or
/// port-clearance node states them.
fn customs_decider(env: &TxEnv<'_>) -> Result<(), ContractError> {
    match env.participant.as_ref().map(|p| p.registration.category) {
        Some(ParticipantCategory::Regulator(Agency::Customs)) => Ok(()),
        _ => Err(ContractError::one(
            Rule::RC2,
            ErrorCode::NotOwner,
            "status",
            Problem::NotAllowed(
                "customs status (inspection, hold, release, return) is decided by the customs \
                 department"
                    .into(),
            ),
        )),
    }
}

/// The R-X3 gate over the units a customs declaration (R-C1) or an export declaration (R-B3)
/// names: refused while any mandatory category of a unit's product or trade block is
/// missing for its mode, one problem `trace_codes[i].R-…` per missing category.
pub(crate) fn customs_gate(
    state: &dyn StateView,
    units: &[(NormalisedCode, TraceUnit)],
) -> Result<(), ContractError> {
    let mut problems = Vec::new();
    for (i, (code, unit)) in units.iter().enumerate() {
        for cat in completeness::customs_gate_missing(state, code, unit) {
            problems.push(FieldProblem::new(
                format!("trace_codes[{i}].{}", cat.rule()),
                Problem::NotFound(format!(
                    "{} has no {} record, mandatory in {:?} mode",
                    code.as_str(),
                    cat.name(),
                    unit.mode
                )),
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ContractError {
            rule: Rule::RX3,
            code: ErrorCode::CustomsGate,
            problems,
        })
    }
}

/// R-C1 with the R-X3 gate.
fn declare(
    env: &mut TxEnv<'_>,
    r: &CustomsDeclarationRecord,
    units: &[(NormalisedCode, TraceUnit)],
) -> Result<(), ContractError> {
    let number = r.declaration_number.clone().unwrap_or_default();
    let k = state_keys::declaration(&number);
    if env.state.get_ref(&k).is_some() {
        return Err(ContractError::one(
            Rule::RC1,
            ErrorCode::AlreadyExists,
            "declaration_number",
            Problem::Duplicate(number),
        ));
    }
    customs_gate(&env.state, units)?;
    let st = CustomsDeclarationState {
        declarer: env.signer,
        tx_id: env.tx_id,
        trace_codes: units.iter().map(|(n, _)| n.code().clone()).collect(),
        status: CustomsStatus::Declared,
        released_at_ms: None,
    };
    env.state.put_value(k, &st);
    Ok(())
}

/// R-C2: the declaration must exist, the units must be among its units, and a released or
/// returned declaration is final.
fn update_status(
    env: &mut TxEnv<'_>,
    r: &CustomsStatusRecord,
    codes: &[NormalisedCode],
) -> Result<(), ContractError> {
    customs_decider(env)?;
    let number = r.declaration_number.clone().unwrap_or_default();
    let k = state_keys::declaration(&number);
    let Some(mut st) = env.state.get_value::<CustomsDeclarationState>(&k) else {
        return Err(ContractError::one(
            Rule::RC2,
            ErrorCode::NotFound,
            "declaration_number",
            Problem::NotFound(format!("no declaration {number}")),
        ));
    };
    let mut problems = Vec::new();
    for (i, c) in codes.iter().enumerate() {
        if !st.trace_codes.contains(c.code()) {
            problems.push(FieldProblem::new(
                format!("trace_codes[{i}]"),
                Problem::NotAllowed(format!("{} is not on declaration {number}", c.as_str())),
            ));
        }
    }
    if !problems.is_empty() {
        return Err(ContractError {
            rule: Rule::RC2,
            code: ErrorCode::MalformedItem,
            problems,
        });
    }
    let Some(status) = r.status else {
        return Err(ContractError::one(
            Rule::RC2,
            ErrorCode::MissingBasicItem,
            "status",
            Problem::Missing,
        ));
    };
    if matches!(st.status, CustomsStatus::Released | CustomsStatus::Returned) {
        return Err(ContractError::one(
            Rule::RC2,
            ErrorCode::InvalidTransition,
            "status",
            Problem::NotAllowed(format!("declaration {number} is already {:?}", st.status)),
        ));
    }
    st.status = status;
    if status == CustomsStatus::Released {
        st.released_at_ms = r
            .time
            .as_deref()
            .and_then(|t| crate::validate::parse_rfc3339(t).ok());
    }
    env.state.put_value(k, &st);
    Ok(())
}

/// The stored state of a customs declaration (read side: customs released yes/no, R-A5).
pub fn declaration(state: &dyn StateView, number: &str) -> Option<CustomsDeclarationState> {
    let k = state_keys::declaration(number);
    state.get(&k).map(|b| crate::state::decode_stored(&k, &b))
}
