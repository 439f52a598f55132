//! Mapping EPCIS events onto tracechain records: `tracechain_types::Payload` values.
//!
//! Every event becomes at least one payload; nothing is dropped. What an event says is put
//! into the record kinds of the contracts (`docs/epcis.md` has the table). Basic items EPCIS
//! does not carry (producer name, carrier, transport mode, warehouse name, …) stay `None`:
//! the contract names every missing one when the record is submitted (R-X1), and the
//! [`MappedEvent::notes`] say so. What no record kind carries — an event with no primary
//! record, an error declaration, certificates, sensor data without a logistics record,
//! invoices — is kept as a [`EpcisRecord::EpcisEvent`]: the event anchored by its CBV 2.0 hash id,
//! with its canonical pre-hash, linked to its trace codes (ADR 0033).
//!
//! This module only proposes payloads: who may write them, and whether the trace units
//! exist, is decided by the contracts when a node submits them. A trace-unit registration
//! needs a trace mode (R-M1–R-M3), which EPCIS does not carry: the submitter states it in
//! [`MapOptions::trace_mode`] (`tracechain epcis map --trace-mode …`), and then every unit an
//! ILMD commissioning describes gets a `RegisterTraceUnit` payload; without it the notes name
//! the units to register.

use serde::Serialize;
use serde_json::{Map, Value};
use tracechain_gs1::DigitalLink;
use tracechain_types::records::epcis::{
    EpcisErrorDeclaration, EpcisEventRecord, EpcisEventType, MAX_EPCIS_TRACE_CODES,
};
use tracechain_types::records::trace::{TraceMode, TraceUnitRegistration};
use tracechain_types::records::{
    Aggregation, AggregationAction, CustomsDeclarationRecord, CustomsStatus, CustomsStatusRecord,
    OrderRecord, Place, ProductFeaturesRecord, ProductionRecord, SensorReading, TallyOperation,
    TallyRecord, TraceCode, Transformation, TransportRecord, WarehousingRecord,
};
use tracechain_types::{
    EpcisRecord, Hash, InfoBlockRecord, LineageRecord, Payload, TraceUnitRecord,
};

use crate::ids::PATTERN_LEVEL;
use crate::model::{Action, Event, EventType};
use crate::vocab::Vocab;
use crate::Document;

/// What the mapping makes of one EPCIS identifier.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CodeInfo {
    /// The identifier as written in the event.
    pub identifier: String,
    /// Its canonical Digital Link (`https://id.gs1.org/…`), or the identifier itself when it is
    /// not a GS1 identifier.
    pub uri: String,
    /// The trace code, for batch-level (AI 01 + 10) and item-level (AI 01 + 21) identifiers.
    pub trace_code: Option<TraceCode>,
    /// The SSCC (AI 00), for logistics units.
    pub sscc: Option<String>,
    /// Whether the GS1 check digit of the key (GTIN, SSCC, GLN, GRAI, GDTI, …) is right;
    /// `true` for identifiers without one. Validation is pattern level (ADR 0031); the contracts refuse a wrong
    /// check digit where a key becomes a trace code (R-I2).
    pub check_digit_ok: bool,
}

/// Digits of a GS1 primary key up to and including its check digit (AIs with a mod-10 key).
fn key_length(ai: &str) -> Option<usize> {
    Some(match ai {
        "01" | "8006" | "8003" => 14,
        "00" | "8017" | "8018" => 18,
        "414" | "417" | "253" | "255" => 13,
        "402" => 17,
        _ => return None,
    })
}

/// Read one identifier with `tracechain-gs1` (pattern level), after the CBV 2.0 normal form.
pub fn code_info(id: &str) -> CodeInfo {
    let uri = crate::idnorm::normalise(id).unwrap_or_else(|| id.to_string());
    let dl = DigitalLink::parse_with(&uri, &PATTERN_LEVEL).ok();
    let get = |ai: &str| dl.as_ref().and_then(|d| d.get(ai)).map(str::to_string);
    let (gtin, sscc) = (get("01"), get("00"));
    let trace_code = gtin.clone().and_then(|gtin| match (get("10"), get("21")) {
        (_, Some(serial)) => Some(TraceCode::Item { gtin, serial }),
        (Some(batch), None) => Some(TraceCode::Batch { gtin, batch }),
        (None, None) => None,
    });
    let check_digit_ok = dl
        .as_ref()
        .and_then(DigitalLink::primary_key)
        .and_then(|k| {
            let len = key_length(&k.ai)?;
            k.value.get(..len)
        })
        .is_none_or(tracechain_gs1::verify_mod10);
    CodeInfo {
        identifier: id.to_string(),
        uri,
        trace_code,
        sscc,
        check_digit_ok,
    }
}

/// The payloads one event becomes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MappedEvent {
    /// Index in the document.
    pub event_index: usize,
    /// CBV 2.0 hash id (`ni:///sha-256;…?ver=CBV2.0`): the event's anchor.
    pub event_hash: String,
    /// The payloads, in a fixed order (at least one).
    pub payloads: Vec<Payload>,
    /// What the submitter should know: basic items EPCIS does not carry (the contract will
    /// name them), identifiers that are no trace codes or have a wrong check digit, what is
    /// kept only in the anchored event, and why.
    pub notes: Vec<String>,
}

/// Distinct trace codes of `ids`, in order.
pub(crate) fn trace_codes<'a>(ids: impl IntoIterator<Item = &'a str>) -> Vec<TraceCode> {
    let mut out: Vec<TraceCode> = Vec::new();
    for c in ids.into_iter().filter_map(|id| code_info(id).trace_code) {
        if !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

fn event_type(t: EventType) -> EpcisEventType {
    match t {
        EventType::ObjectEvent => EpcisEventType::ObjectEvent,
        EventType::AggregationEvent => EpcisEventType::AggregationEvent,
        EventType::TransactionEvent => EpcisEventType::TransactionEvent,
        EventType::TransformationEvent => EpcisEventType::TransformationEvent,
        EventType::AssociationEvent => EpcisEventType::AssociationEvent,
    }
}

/// Milliseconds since the Unix epoch (UTC) of an RFC 3339 time.
fn millis(t: &str) -> Option<i64> {
    crate::time::parse_timestamp(t, false).map(|ts| ts.unix_micros.div_euclid(1000))
}

fn step(e: &Event) -> Option<&'static str> {
    e.biz_step
        .as_deref()
        .and_then(|s| Vocab::BizStep.term_of(s))
}

fn bt_term(kind: Option<&str>) -> Option<&'static str> {
    kind.and_then(|k| Vocab::BizTransactionType.term_of(k))
}

/// A GLN (AI 414) of a location identifier.
fn gln_of(id: &str) -> Option<String> {
    let uri = crate::idnorm::normalise(id)?;
    DigitalLink::parse_with(&uri, &PATTERN_LEVEL)
        .ok()?
        .get("414")
        .map(str::to_string)
}

/// Sensor reports tracechain records carry (R-S6): temperature in °C (`CEL`), K (`KEL`) or °F (`FAH`)
/// and relative humidity in percent (`P1`). Returns the readings and how many reports had
/// another type or unit.
fn sensor_readings(e: &Event, fallback_time: &str) -> (Vec<SensorReading>, usize) {
    let mut out = Vec::new();
    let mut other = 0;
    for el in &e.sensor_elements {
        let md_time = el.metadata.as_ref().and_then(|m| m.time.clone());
        for r in &el.reports {
            let kind = r.kind.as_deref().unwrap_or_default();
            let time = r
                .time
                .clone()
                .or_else(|| md_time.clone())
                .unwrap_or_else(|| fallback_time.to_string());
            let value = r.value.or(r.mean_value).filter(|v| v.is_finite());
            let (temperature, humidity) = match (kind.rsplit(['/', ':']).next(), r.uom.as_deref()) {
                (Some("Temperature"), Some("CEL")) => (value.map(|v| v * 100.0), None),
                (Some("Temperature"), Some("KEL")) => (value.map(|v| (v - 273.15) * 100.0), None),
                (Some("Temperature"), Some("FAH")) => {
                    (value.map(|v| (v - 32.0) * 500.0 / 9.0), None)
                }
                (Some("RelativeHumidity"), Some("P1")) => (None, value.map(|v| v * 100.0)),
                _ => (None, None),
            };
            let reading = SensorReading {
                time,
                temperature_centi_c: temperature
                    .filter(|t| (-27_315.0..=100_000.0).contains(t))
                    .map(|t| t.round() as i32),
                humidity_bp: humidity
                    .filter(|h| (0.0..=10_000.0).contains(h))
                    .map(|h| h.round() as u16),
            };
            if reading.temperature_centi_c.is_some() || reading.humidity_bp.is_some() {
                out.push(reading);
            } else {
                other += 1;
            }
        }
    }
    (out, other)
}

fn missing_note(kind: &str, items: &[&str]) -> String {
    format!(
        "{kind}: basic items not carried by EPCIS stay empty ({}); the contract names them when submitted (R-X1)",
        items.join(", ")
    )
}

/// ILMD names expanded to `{namespace}local`.
fn expand_keys(doc: &Document, m: &Map<String, Value>) -> Map<String, Value> {
    m.iter()
        .map(|(k, v)| (doc.context.expand_key(k).0, v.clone()))
        .collect()
}

fn ilmd_str(attrs: &Map<String, Value>, names: &[&str]) -> Option<String> {
    names.iter().find_map(|n| {
        attrs
            .iter()
            .find(|(k, _)| k.ends_with(&format!("}}{n}")))
            .and_then(|(_, v)| v.as_str())
            .map(str::to_string)
    })
}

/// What the submitter adds to what the EPCIS document says.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MapOptions {
    /// The trace mode (R-M1–R-M3) of the units that ILMD commissioning events create. EPCIS has
    /// no such field; when it is `None`, no `RegisterTraceUnit` payloads are produced.
    pub trace_mode: Option<TraceMode>,
}

/// ILMD attributes that may carry a product name (GS1 Web Vocabulary / CBV master data).
const PRODUCT_NAME_ATTRS: &[&str] = &[
    "productName",
    "regulatedProductName",
    "tradeItemDescription",
    "descriptionShort",
];

/// Map one event (of `doc`) onto payloads, with no submitter options.
pub fn map_event(doc: &Document, e: &Event) -> MappedEvent {
    map_event_with(doc, e, &MapOptions::default())
}

/// Map one event (of `doc`) onto payloads.
pub fn map_event_with(doc: &Document, e: &Event, opts: &MapOptions) -> MappedEvent {
    let hash = e.hash(&doc.context);
    let time = e.event_time.clone().unwrap_or_default();
    let location = e.biz_location.clone().or_else(|| e.read_point.clone());
    let all_ids = e.identifiers();
    let codes = trace_codes(all_ids.iter().copied());
    let mut payloads = Vec::new();
    let mut notes = Vec::new();
    // Why the event is (also) kept as an anchored EPCIS event.
    let mut keep = Vec::new();

    for id in &all_ids {
        let info = code_info(id);
        if !info.check_digit_ok {
            notes.push(format!(
                "{id}: GS1 check digit is wrong; the contracts refuse it as a trace code (R-I2)"
            ));
        }
    }

    if e.error_declaration.is_some() {
        keep.push("error declaration: retracts the event with this hash id".to_string());
    } else {
        map_primary(
            doc,
            opts,
            e,
            &time,
            location.as_deref(),
            &codes,
            &mut payloads,
            &mut notes,
            &mut keep,
        );
    }
    if payloads.is_empty() && keep.is_empty() {
        keep.push(match e.biz_step.as_deref() {
            Some(s) => format!("no tracechain record kind for business step {s}"),
            None => "no business step that maps onto a tracechain record".into(),
        });
    }
    if codes.is_empty() {
        notes.push(
            "no batch- or item-level identifier: no trace unit to link; the event is anchored by its hash id alone".into(),
        );
    }
    if !keep.is_empty() {
        match anchored_event(e, &hash.prehash, &codes) {
            Ok((payload, mut n)) => {
                payloads.push(payload);
                notes.append(&mut n);
                notes.push(format!("EpcisEvent: {}", keep.join("; ")));
            }
            Err(why) => notes.push(format!("cannot anchor the event: {why}")),
        }
    }
    MappedEvent {
        event_index: e.index,
        event_hash: hash.id,
        payloads,
        notes,
    }
}

/// The anchored-event payload of `e` (ADR 0033), with its notes.
pub(crate) fn anchored_event(
    e: &Event,
    prehash: &str,
    codes: &[TraceCode],
) -> Result<(Payload, Vec<String>), String> {
    let mut notes = Vec::new();
    let event_type = e.event_type.map(event_type).ok_or("no event type")?;
    let event_time_ms = e
        .event_time
        .as_deref()
        .and_then(millis)
        .ok_or("no valid eventTime")?;
    let mut linked = codes.to_vec();
    if linked.len() > MAX_EPCIS_TRACE_CODES {
        notes.push(format!(
            "EpcisEvent: {} trace codes, linked the first {MAX_EPCIS_TRACE_CODES} (the pre-hash names all)",
            linked.len()
        ));
        linked.truncate(MAX_EPCIS_TRACE_CODES);
    }
    let error_declaration = match &e.error_declaration {
        None => None,
        Some(d) => Some(EpcisErrorDeclaration {
            declaration_time_ms: d
                .declaration_time
                .as_deref()
                .and_then(millis)
                .ok_or("no valid declarationTime")?,
            reason: d.reason.clone(),
        }),
    };
    let record = EpcisEventRecord {
        event_hash: Hash::digest(prehash.as_bytes()),
        event_type,
        event_time_ms,
        biz_step: e.biz_step.clone(),
        trace_codes: linked,
        prehash: prehash.to_string(),
        error_declaration,
    };
    Ok((Payload::Epcis(EpcisRecord::EpcisEvent(record)), notes))
}

/// The record kinds an event lines up with (everything but the anchored event).
#[allow(clippy::too_many_arguments)]
fn map_primary(
    doc: &Document,
    opts: &MapOptions,
    e: &Event,
    time: &str,
    location: Option<&str>,
    codes: &[TraceCode],
    payloads: &mut Vec<Payload>,
    notes: &mut Vec<String>,
    keep: &mut Vec<String>,
) {
    let step = step(e);
    // Commissioning with ILMD: the product block of new trace units.
    let (new_ids, new_classes) = match e.event_type {
        Some(EventType::ObjectEvent) if e.action == Some(Action::Add) => {
            (&e.epc_list[..], &e.quantity_list[..])
        }
        Some(EventType::TransformationEvent) => {
            (&e.output_epc_list[..], &e.output_quantity_list[..])
        }
        _ => (&[][..], &[][..]),
    };
    if let Some(attrs) = e.ilmd.as_ref().map(|m| expand_keys(doc, m)) {
        let new_codes = trace_codes(
            new_ids
                .iter()
                .map(String::as_str)
                .chain(new_classes.iter().map(|q| q.epc_class.as_str())),
        );
        if !new_codes.is_empty() {
            match opts.trace_mode {
                Some(mode) => {
                    let name = ilmd_str(&attrs, PRODUCT_NAME_ATTRS);
                    if name.is_none() {
                        notes.push(
                            "RegisterTraceUnit: no product name in the ILMD; product_name stays empty and the contract refuses it until filled (R-I1)".into(),
                        );
                    }
                    for code in &new_codes {
                        payloads.push(Payload::TraceUnit(TraceUnitRecord::RegisterTraceUnit(TraceUnitRegistration {
                            code: code.clone(),
                            mode,
                            product_name: name.clone().unwrap_or_default(),
                        })));
                    }
                }
                None => notes.push(format!(
                    "{} trace unit(s) described by ILMD; register them first or map with a trace mode (RegisterTraceUnit needs one, EPCIS does not carry it, R-I1)",
                    new_codes.len()
                )),
            }
            payloads.push(Payload::InfoBlock(InfoBlockRecord::Production(
                ProductionRecord {
                    trace_codes: new_codes.clone(),
                    production_time: Some(time.to_string()),
                    ..Default::default()
                },
            )));
            notes.push(missing_note("Production", &["producer_name", "country"]));
            let shelf_life = ilmd_str(
                &attrs,
                &["itemExpirationDate", "bestBeforeDate", "sellByDate"],
            );
            if shelf_life.is_some() {
                payloads.push(Payload::InfoBlock(InfoBlockRecord::ProductFeatures(
                    ProductFeaturesRecord {
                        trace_codes: new_codes,
                        shelf_life,
                        ..Default::default()
                    },
                )));
                notes.push(missing_note("ProductFeatures", &["brand", "model"]));
            }
        }
    }
    if e.event_type == Some(EventType::TransformationEvent) {
        let inputs = trace_codes(
            e.input_epc_list
                .iter()
                .map(String::as_str)
                .chain(e.input_quantity_list.iter().map(|q| q.epc_class.as_str())),
        );
        let outputs = trace_codes(
            e.output_epc_list
                .iter()
                .map(String::as_str)
                .chain(e.output_quantity_list.iter().map(|q| q.epc_class.as_str())),
        );
        if !inputs.is_empty() && !outputs.is_empty() {
            payloads.push(Payload::Lineage(LineageRecord::Transformation(
                Transformation {
                    inputs,
                    outputs,
                    time: time.to_string(),
                },
            )));
        } else {
            keep.push("transformation without batch- or item-level inputs and outputs".into());
        }
    }
    if e.event_type == Some(EventType::AggregationEvent) {
        let sscc = e.parent_id.as_deref().and_then(|p| code_info(p).sscc);
        let action = match e.action {
            Some(Action::Add) => Some(AggregationAction::Pack),
            Some(Action::Delete) => Some(AggregationAction::Unpack),
            _ => None,
        };
        let contents = trace_codes(
            e.child_epcs
                .iter()
                .map(String::as_str)
                .chain(e.child_quantity_list.iter().map(|q| q.epc_class.as_str())),
        );
        match (sscc, action) {
            (Some(sscc), Some(action)) if !contents.is_empty() => {
                payloads.push(Payload::Lineage(LineageRecord::Aggregation(Aggregation {
                    sscc,
                    contents,
                    action,
                    time: time.to_string(),
                })))
            }
            (None, _) => keep.push("aggregation whose parent is not an SSCC".into()),
            (_, None) => keep.push("aggregation observed, no change of contents".into()),
            _ => keep.push("aggregation without batch- or item-level contents".into()),
        }
    }
    if e.event_type == Some(EventType::TransactionEvent) {
        for bt in &e.biz_transactions {
            match bt_term(bt.kind.as_deref()) {
                Some("po") if codes.is_empty() => {
                    keep.push(format!("order {}: an Order {NEEDS_CODES}", bt.id));
                }
                Some("po") => {
                    payloads.push(Payload::InfoBlock(InfoBlockRecord::Order(OrderRecord {
                        trace_codes: codes.to_vec(),
                        order_ref: Some(bt.id.clone()),
                        order_time: Some(time.to_string()),
                        ..Default::default()
                    })));
                    notes.push(missing_note(
                        "Order",
                        &[
                            "product_name",
                            "platform",
                            "amount_minor",
                            "currency",
                            "shipping_address",
                            "consignee",
                            "consignee_contact",
                        ],
                    ));
                }
                Some("inv") => keep.push(format!("invoice {} (no invoice record kind)", bt.id)),
                _ => {}
            }
        }
    }
    let (readings, other_reports) = sensor_readings(e, time);
    let mut readings_placed = false;
    let waybill = e
        .biz_transactions
        .iter()
        .find(|bt| matches!(bt_term(bt.kind.as_deref()), Some("bol" | "desadv")))
        .map(|bt| bt.id.clone());
    const NEEDS_CODES: &str =
        "needs a batch- or item-level trace code (R-X4) and the event names none";
    let record_step = matches!(
        step,
        Some(
            "shipping"
                | "departing"
                | "transporting"
                | "receiving"
                | "arriving"
                | "storing"
                | "stocking"
                | "accepting"
                | "loading"
                | "unloading"
                | "picking"
                | "packing"
                | "unpacking"
                | "collecting"
                | "staging_outbound"
                | "repackaging"
                | "inspecting"
                | "holding"
        )
    );
    match step {
        Some(s) if record_step && codes.is_empty() => {
            keep.push(format!("the record of business step {s} {NEEDS_CODES}"));
        }
        Some("shipping" | "departing" | "transporting") => {
            payloads.push(Payload::InfoBlock(InfoBlockRecord::Transport(
                TransportRecord {
                    trace_codes: codes.to_vec(),
                    origin: location.and_then(gs1_location),
                    waybill,
                    destination: e.destinations.iter().find_map(|d| gs1_location(&d.id)),
                    sensor_readings: readings.clone(),
                    ..Default::default()
                },
            )));
            readings_placed = true;
            notes.push(missing_note("Transport", &["carrier", "mode"]));
        }
        Some("receiving" | "arriving" | "storing" | "stocking" | "accepting") => {
            payloads.push(Payload::InfoBlock(InfoBlockRecord::Warehousing(
                WarehousingRecord {
                    trace_codes: codes.to_vec(),
                    inbound_time: Some(time.to_string()),
                    warehouse_gln: location.and_then(gln_of),
                    sensor_readings: readings.clone(),
                    ..Default::default()
                },
            )));
            readings_placed = true;
            notes.push(missing_note(
                "Warehousing",
                &["warehouse_name", "warehouse_address", "storage_mode"],
            ));
        }
        Some(
            s @ ("loading" | "unloading" | "picking" | "packing" | "unpacking" | "collecting"
            | "staging_outbound" | "repackaging"),
        ) => {
            let operation = match s {
                "picking" => Some(TallyOperation::Picking),
                "packing" | "repackaging" => Some(TallyOperation::Packing),
                "collecting" => Some(TallyOperation::Collecting),
                "unpacking" => Some(TallyOperation::Splitting),
                _ => None,
            };
            let loading = matches!(s, "loading" | "unloading" | "staging_outbound");
            payloads.push(Payload::InfoBlock(InfoBlockRecord::Tally(TallyRecord {
                trace_codes: codes.to_vec(),
                loading_record: loading.then(|| format!("EPCIS {s} at {time}")),
                operation,
                ..Default::default()
            })));
            let mut missing = vec!["security_scan"];
            if !loading {
                missing.push("loading_record");
            }
            notes.push(missing_note("Tally", &missing));
        }
        Some("inspecting" | "holding") => {
            let status = if step == Some("inspecting") {
                CustomsStatus::Inspected
            } else {
                CustomsStatus::Held
            };
            payloads.push(Payload::InfoBlock(InfoBlockRecord::CustomsStatus(
                CustomsStatusRecord {
                    trace_codes: codes.to_vec(),
                    declaration_number: None,
                    status: Some(status),
                    time: Some(time.to_string()),
                },
            )));
            notes.push(
                "CustomsStatus: declaration_number not carried by EPCIS; the contract needs the recorded declaration (R-C2)".into(),
            );
        }
        _ => {}
    }
    for bt in &e.biz_transactions {
        if bt
            .kind
            .as_deref()
            .is_some_and(|k| k.to_ascii_lowercase().contains("customs"))
        {
            if codes.is_empty() {
                keep.push(format!(
                    "customs declaration {}: a declaration {NEEDS_CODES}",
                    bt.id
                ));
                continue;
            }
            payloads.push(Payload::InfoBlock(InfoBlockRecord::CustomsDeclaration(
                CustomsDeclarationRecord {
                    trace_codes: codes.to_vec(),
                    declaration_number: Some(bt.id.clone()),
                    declaration_date: Some(time.to_string()),
                    ..Default::default()
                },
            )));
            notes.push(missing_note(
                "CustomsDeclaration",
                &["declaration_list", "departure_port", "arrival_port"],
            ));
        }
    }
    if !readings.is_empty() && !readings_placed {
        keep.push(format!(
            "{} temperature/humidity reading(s) without a transport or warehousing record",
            readings.len()
        ));
    }
    if other_reports > 0 {
        keep.push(format!(
            "{other_reports} sensor report(s) of other types or units"
        ));
    }
    for uri in &e.certification_info {
        keep.push(format!(
            "certificate {uri} (its issuer anchors the document hash as a DocumentAnchor, R-S1)"
        ));
    }
}

/// Map every event of a document, in document order, with no submitter options.
pub fn map_document(doc: &Document) -> Vec<MappedEvent> {
    map_document_with(doc, &MapOptions::default())
}

/// Map every event of a document, in document order.
pub fn map_document_with(doc: &Document, opts: &MapOptions) -> Vec<MappedEvent> {
    doc.events
        .iter()
        .map(|e| map_event_with(doc, e, opts))
        .collect()
}

/// A location identifier as a record's place (ADR 0046): GS1 locations (SGLN URNs, Digital
/// Links with AI 414) only; party identifiers and anything else stay out of the record.
fn gs1_location(id: &str) -> Option<Place> {
    let sgln = tracechain_gs1::EpcUrn::parse(id)
        .is_ok_and(|u| matches!(u.kind(), tracechain_gs1::EpcKind::Sgln { .. }));
    let dl = || tracechain_gs1::DigitalLink::parse(id).is_ok_and(|d| d.get("414").is_some());
    (sgln || dl()).then(|| Place::Location(id.to_string()))
}
