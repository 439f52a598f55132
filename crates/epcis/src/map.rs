//! Mapping EPCIS events onto tracechain records.
//!
//! Every event is anchored by its CBV 2.0 hash id ([`MappedEvent::event_hash`]). What
//! the event says is mapped onto the record kinds of the contracts (see
//! `docs/epcis.md` for the table and how each [`MappedRecord`] variant lines up with a
//! `tracechain_types::Payload` variant); what cannot be mapped becomes
//! [`MappedRecord::EpcisEvent`], an opaque hashed event linked to its trace codes —
//! nothing is dropped. This module only proposes records: who may write them, and
//! whether the trace codes exist, is decided by the contracts when a node submits them.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::model::{Action, Event, EventType, QuantityElement};
use crate::vocab::Vocab;
use crate::Document;

/// A trace code as tracechain records it: the canonical GS1 Digital Link URI.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TraceCode {
    /// `https://id.gs1.org/…` canonical form, or the identifier as written when it is
    /// not a GS1 identifier.
    pub uri: String,
    /// Batch (`01`+`10`), item (`01`+`21`), class (`01` only), logistics unit (`00`),
    /// or other.
    pub level: CodeLevel,
    /// Whether the GS1 check digit of the key is right (R-I2 is enforced by the contracts).
    pub check_digit_ok: bool,
}

/// Granularity of a trace code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeLevel {
    /// GTIN + batch/lot.
    Batch,
    /// GTIN + serial.
    Item,
    /// GTIN only.
    Class,
    /// SSCC.
    LogisticsUnit,
    /// Any other identifier.
    Other,
}

impl TraceCode {
    /// The trace code of an EPCIS identifier.
    pub fn of(id: &str) -> TraceCode {
        let uri = crate::idnorm::normalise(id).unwrap_or_else(|| id.to_string());
        let path = uri.strip_prefix("https://id.gs1.org/").unwrap_or("");
        let segs: Vec<&str> = path.split('/').collect();
        let (level, key) = match segs.as_slice() {
            ["01", g, "10", _] => (CodeLevel::Batch, *g),
            ["01", g, "21", _] => (CodeLevel::Item, *g),
            ["01", g] => (CodeLevel::Class, *g),
            ["00", s] => (CodeLevel::LogisticsUnit, *s),
            _ => (CodeLevel::Other, ""),
        };
        let check_digit_ok = level == CodeLevel::Other || tracechain_gs1::verify_mod10(key);
        TraceCode {
            uri,
            level,
            check_digit_ok,
        }
    }

    /// The 18-digit SSCC of a logistics-unit code.
    pub fn sscc(&self) -> Option<&str> {
        (self.level == CodeLevel::LogisticsUnit).then(|| self.uri.rsplit('/').next().unwrap_or(""))
    }
}

/// Which logistics record a business step becomes (rules R-L1 … R-L3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LogisticsKind {
    /// Tally: loading, unloading, picking, packing, collecting, staging (R-L1).
    Tally,
    /// Transport: shipping, departing, transporting (R-L2).
    Transport,
    /// Warehousing: receiving, arriving, storing, stocking, accepting (R-L3).
    Warehousing,
}

/// Which customs record an inspection / holding / customs transaction becomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomsKind {
    /// bizStep `inspecting`.
    Inspection,
    /// bizStep `holding`.
    Holding,
    /// A business transaction whose type names customs (a declaration reference).
    Declaration,
}

/// One sensor reading of a series.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SensorReading {
    /// Reading time (report time, else metadata time), as written.
    pub time: Option<String>,
    /// Measurement type IRI.
    pub kind: Option<String>,
    /// Value.
    pub value: Option<f64>,
    /// Minimum / maximum / mean, when reported.
    pub min_value: Option<f64>,
    /// Maximum.
    pub max_value: Option<f64>,
    /// Mean.
    pub mean_value: Option<f64>,
    /// Unit (UN/ECE Rec 20).
    pub uom: Option<String>,
    /// Exception IRI (alarm / error condition).
    pub exception: Option<String>,
    /// Device.
    pub device_id: Option<String>,
}

/// A record an EPCIS event proposes, named after its contract record kind.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "record", rename_all = "snake_case")]
pub enum MappedRecord {
    /// → `Payload::RegisterTraceUnit` (R-I1): a batch or item commissioned with ILMD.
    RegisterTraceUnit {
        /// The new trace unit.
        code: TraceCode,
        /// Product name from ILMD when given (`cbvmda:descriptionShort` / `…:regulatedProductName`).
        product_name: Option<String>,
    },
    /// → `Payload::Production` / `Payload::ProductFeatures` (R-P2, R-P3): what the ILMD says.
    ProductBlock {
        /// Trace units described.
        codes: Vec<TraceCode>,
        /// Production time (the event time).
        production_time: String,
        /// Where (read point / business location).
        location: Option<String>,
        /// The ILMD attributes, names expanded to `{namespace}local`.
        attributes: Map<String, Value>,
    },
    /// → `Payload::Transformation` (lineage, R-S3): materials → product batches.
    Transformation {
        /// Inputs.
        inputs: Vec<TraceCode>,
        /// Outputs.
        outputs: Vec<TraceCode>,
        /// When.
        time: String,
    },
    /// → `Payload::Aggregation`: a logistics unit (SSCC) and its contents.
    Aggregation {
        /// The SSCC (18 digits).
        sscc: String,
        /// Contents.
        contents: Vec<TraceCode>,
        /// `pack` (ADD), `unpack` (DELETE), `observe` (OBSERVE: a check, no change).
        action: &'static str,
        /// When.
        time: String,
    },
    /// → `Payload::Tally` / `Payload::Transport` / `Payload::Warehousing` (R-L1 … R-L3).
    Logistics {
        /// Which logistics record.
        kind: LogisticsKind,
        /// Trace units concerned.
        codes: Vec<TraceCode>,
        /// The CBV business step IRI.
        biz_step: String,
        /// When.
        time: String,
        /// Read point / business location.
        location: Option<String>,
        /// Sources (type IRI, id).
        sources: Vec<(String, String)>,
        /// Destinations (type IRI, id).
        destinations: Vec<(String, String)>,
        /// Waybill / despatch advice / bill of lading references.
        references: Vec<String>,
    },
    /// → `Payload::Order` (purchase order, R-T1) or an invoice reference of the trade block.
    Trade {
        /// `order` (BTT-po) or `invoice` (BTT-inv).
        kind: &'static str,
        /// The transaction reference.
        reference: String,
        /// Trace units concerned.
        codes: Vec<TraceCode>,
        /// Quantities concerned.
        quantities: Vec<QuantityElement>,
        /// When.
        time: String,
    },
    /// → `Payload::CustomsStatus` / `Payload::CustomsDeclaration` (customs block).
    Customs {
        /// Inspection, holding or declaration.
        kind: CustomsKind,
        /// Trace units concerned.
        codes: Vec<TraceCode>,
        /// Disposition IRI (e.g. `…Disp-non_conformant`), when given.
        disposition: Option<String>,
        /// Declaration reference, for `declaration`.
        reference: Option<String>,
        /// When.
        time: String,
    },
    /// → the `sensor_readings` of `Payload::Transport` / `Payload::Warehousing`, or a
    /// sensor series of its own.
    SensorSeries {
        /// Trace units the readings are about.
        codes: Vec<TraceCode>,
        /// The readings.
        readings: Vec<SensorReading>,
    },
    /// → `Payload::DocumentAnchor` reference (certification info): the certificate URI,
    /// to be anchored by its issuer with the document hash.
    DocumentReference {
        /// Certificate URI.
        uri: String,
        /// Trace units it covers.
        codes: Vec<TraceCode>,
    },
    /// Opaque EPCIS event anchored by its hash and linked to its trace codes: everything
    /// the kinds above do not cover (and every event with an error declaration).
    EpcisEvent {
        /// Event type.
        event_type: Option<EventType>,
        /// Business step IRI.
        biz_step: Option<String>,
        /// Trace codes named by the event.
        codes: Vec<TraceCode>,
        /// Why it was not mapped further.
        reason: String,
    },
}

/// The records one event becomes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MappedEvent {
    /// Index in the document.
    pub event_index: usize,
    /// CBV 2.0 hash id: the event's anchor on the chain.
    pub event_hash: String,
    /// The records, in a fixed order.
    pub records: Vec<MappedRecord>,
}

fn codes(ids: &[String]) -> Vec<TraceCode> {
    ids.iter().map(|s| TraceCode::of(s)).collect()
}

fn class_codes(q: &[QuantityElement]) -> Vec<TraceCode> {
    q.iter().map(|q| TraceCode::of(&q.epc_class)).collect()
}

fn all_codes(e: &Event) -> Vec<TraceCode> {
    e.identifiers().into_iter().map(TraceCode::of).collect()
}

fn step(e: &Event) -> Option<&'static str> {
    e.biz_step
        .as_deref()
        .and_then(|s| Vocab::BizStep.term_of(s))
}

fn logistics_kind(step: &str) -> Option<LogisticsKind> {
    Some(match step {
        "shipping" | "departing" | "transporting" => LogisticsKind::Transport,
        "receiving" | "arriving" | "storing" | "stocking" | "accepting" => {
            LogisticsKind::Warehousing
        }
        "loading" | "unloading" | "picking" | "packing" | "unpacking" | "collecting"
        | "staging_outbound" | "repackaging" => LogisticsKind::Tally,
        _ => return None,
    })
}

fn expand_keys(doc: &Document, m: &Map<String, Value>) -> Map<String, Value> {
    m.iter()
        .map(|(k, v)| (doc.context.expand_key(k).0, v.clone()))
        .collect()
}

fn product_name(attrs: &Map<String, Value>) -> Option<String> {
    [
        "{urn:epcglobal:cbv:mda:}descriptionShort",
        "{urn:epcglobal:cbv:mda:}regulatedProductName",
    ]
    .iter()
    .find_map(|k| attrs.get(*k).and_then(Value::as_str).map(str::to_string))
}

/// Map one event (of `doc`) onto records.
pub fn map_event(doc: &Document, e: &Event) -> MappedEvent {
    let event_hash = e.hash(&doc.context).id;
    let time = e.event_time.clone().unwrap_or_default();
    let location = e.read_point.clone().or_else(|| e.biz_location.clone());
    let mut records = Vec::new();
    let mut primary = false;
    let mut reason = String::new();

    if e.error_declaration.is_some() {
        reason = "error declaration: retracts an earlier event, no new business records".into();
    } else {
        // Commissioning with ILMD: new trace units and their product block.
        let ilmd = e.ilmd.as_ref().map(|m| expand_keys(doc, m));
        let (new_ids, new_classes): (&[String], &[QuantityElement]) = match e.event_type {
            Some(EventType::ObjectEvent) if e.action == Some(Action::Add) => {
                (&e.epc_list, &e.quantity_list)
            }
            Some(EventType::TransformationEvent) => (&e.output_epc_list, &e.output_quantity_list),
            _ => (&[], &[]),
        };
        if let Some(attrs) = ilmd.filter(|_| !new_ids.is_empty() || !new_classes.is_empty()) {
            let mut new_codes = codes(new_ids);
            new_codes.extend(class_codes(new_classes));
            for c in &new_codes {
                if matches!(c.level, CodeLevel::Batch | CodeLevel::Item) {
                    records.push(MappedRecord::RegisterTraceUnit {
                        code: c.clone(),
                        product_name: product_name(&attrs),
                    });
                }
            }
            records.push(MappedRecord::ProductBlock {
                codes: new_codes,
                production_time: time.clone(),
                location: location.clone(),
                attributes: attrs,
            });
            primary = true;
        }
        if e.event_type == Some(EventType::TransformationEvent) {
            let mut inputs = codes(&e.input_epc_list);
            inputs.extend(class_codes(&e.input_quantity_list));
            let mut outputs = codes(&e.output_epc_list);
            outputs.extend(class_codes(&e.output_quantity_list));
            if !inputs.is_empty() && !outputs.is_empty() {
                records.push(MappedRecord::Transformation {
                    inputs,
                    outputs,
                    time: time.clone(),
                });
                primary = true;
            } else {
                reason = "transformation without both inputs and outputs".into();
            }
        }
        if e.event_type == Some(EventType::AggregationEvent) {
            let parent = e.parent_id.as_deref().map(TraceCode::of);
            match parent.as_ref().and_then(TraceCode::sscc) {
                Some(sscc) => {
                    let mut contents = codes(&e.child_epcs);
                    contents.extend(class_codes(&e.child_quantity_list));
                    let action = match e.action {
                        Some(Action::Add) => "pack",
                        Some(Action::Delete) => "unpack",
                        _ => "observe",
                    };
                    records.push(MappedRecord::Aggregation {
                        sscc: sscc.to_string(),
                        contents,
                        action,
                        time: time.clone(),
                    });
                    primary = true;
                }
                None => reason = "aggregation whose parent is not an SSCC".into(),
            }
        }
        if e.event_type == Some(EventType::TransactionEvent) {
            for bt in &e.biz_transactions {
                let term = bt
                    .kind
                    .as_deref()
                    .and_then(|k| Vocab::BizTransactionType.term_of(k));
                let kind = match term {
                    Some("po") => "order",
                    Some("inv") => "invoice",
                    _ => continue,
                };
                records.push(MappedRecord::Trade {
                    kind,
                    reference: bt.id.clone(),
                    codes: codes(&e.epc_list),
                    quantities: e.quantity_list.clone(),
                    time: time.clone(),
                });
                primary = true;
            }
        }
        let step = step(e);
        if let Some(kind) = step.and_then(logistics_kind) {
            let references = e
                .biz_transactions
                .iter()
                .filter(|bt| {
                    matches!(
                        bt.kind
                            .as_deref()
                            .and_then(|k| Vocab::BizTransactionType.term_of(k)),
                        Some("desadv" | "bol" | "recadv")
                    )
                })
                .map(|bt| bt.id.clone())
                .collect();
            records.push(MappedRecord::Logistics {
                kind,
                codes: all_codes(e),
                biz_step: e.biz_step.clone().unwrap_or_default(),
                time: time.clone(),
                location: location.clone(),
                sources: e
                    .sources
                    .iter()
                    .map(|s| (s.kind.clone(), s.id.clone()))
                    .collect(),
                destinations: e
                    .destinations
                    .iter()
                    .map(|s| (s.kind.clone(), s.id.clone()))
                    .collect(),
                references,
            });
            primary = true;
        }
        let customs_step = match step {
            Some("inspecting") => Some(CustomsKind::Inspection),
            Some("holding") => Some(CustomsKind::Holding),
            _ => None,
        };
        if let Some(kind) = customs_step {
            records.push(MappedRecord::Customs {
                kind,
                codes: all_codes(e),
                disposition: e.disposition.clone(),
                reference: None,
                time: time.clone(),
            });
            primary = true;
        }
        for bt in &e.biz_transactions {
            if bt
                .kind
                .as_deref()
                .is_some_and(|k| k.to_ascii_lowercase().contains("customs"))
            {
                records.push(MappedRecord::Customs {
                    kind: CustomsKind::Declaration,
                    codes: all_codes(e),
                    disposition: e.disposition.clone(),
                    reference: Some(bt.id.clone()),
                    time: time.clone(),
                });
                primary = true;
            }
        }
        if !e.sensor_elements.is_empty() {
            let mut readings = Vec::new();
            for el in &e.sensor_elements {
                let md = el.metadata.as_ref();
                for r in &el.reports {
                    readings.push(SensorReading {
                        time: r
                            .time
                            .clone()
                            .or_else(|| md.and_then(|m| m.time.clone()))
                            .or_else(|| Some(time.clone())),
                        kind: r.kind.clone(),
                        value: r.value,
                        min_value: r.min_value,
                        max_value: r.max_value,
                        mean_value: r.mean_value,
                        uom: r.uom.clone(),
                        exception: r.exception.clone(),
                        device_id: r
                            .device_id
                            .clone()
                            .or_else(|| md.and_then(|m| m.device_id.clone())),
                    });
                }
            }
            records.push(MappedRecord::SensorSeries {
                codes: all_codes(e),
                readings,
            });
        }
        for uri in &e.certification_info {
            records.push(MappedRecord::DocumentReference {
                uri: uri.clone(),
                codes: all_codes(e),
            });
        }
        if !primary && reason.is_empty() {
            reason = match e.biz_step.as_deref() {
                Some(s) => format!("no tracechain record kind for business step {s}"),
                None => "no business step that maps onto a tracechain record".into(),
            };
        }
    }
    if !primary {
        records.push(MappedRecord::EpcisEvent {
            event_type: e.event_type,
            biz_step: e.biz_step.clone(),
            codes: all_codes(e),
            reason,
        });
    }
    MappedEvent {
        event_index: e.index,
        event_hash,
        records,
    }
}

/// Map every event of a document, in document order.
pub fn map_document(doc: &Document) -> Vec<MappedEvent> {
    doc.events.iter().map(|e| map_event(doc, e)).collect()
}
