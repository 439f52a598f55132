//! The typed EPCIS 2.0 event model, read from JSON-LD with every shape problem collected.
//!
//! Each [`Event`] keeps its original JSON object ([`Event::raw`]) next to the typed
//! fields: the CBV 2.0 hash is computed from the original (so nothing the typed model
//! does not know about is lost), the mapping onto tracechain records from the typed
//! fields. Vocabulary values are stored as full IRIs (bare CBV strings expanded),
//! identifiers as written.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::context::Context;
use crate::ids::{check_identifier, is_uri, IdProblem, Role};
use crate::problem::{Problem, ProblemKind, Problems};
use crate::vocab::{upgrade_legacy_urns, Vocab};

/// The five EPCIS 2.0 event types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum EventType {
    /// Observation, commissioning or decommissioning of objects.
    ObjectEvent,
    /// Packing objects into (or out of) a parent, e.g. cases onto an SSCC pallet.
    AggregationEvent,
    /// Association of objects with business transactions.
    TransactionEvent,
    /// Inputs consumed, outputs produced.
    TransformationEvent,
    /// Association of objects with a (physical or digital) parent, e.g. a sensor.
    AssociationEvent,
}

impl EventType {
    fn parse(s: &str) -> Option<EventType> {
        Some(match s {
            "ObjectEvent" => EventType::ObjectEvent,
            "AggregationEvent" => EventType::AggregationEvent,
            "TransactionEvent" => EventType::TransactionEvent,
            "TransformationEvent" => EventType::TransformationEvent,
            "AssociationEvent" => EventType::AssociationEvent,
            _ => return None,
        })
    }

    /// Event-level fields this type defines, beyond the common ones.
    fn specific_fields(self) -> &'static [&'static str] {
        match self {
            EventType::ObjectEvent => &["epcList", "quantityList", "action", "ilmd"],
            EventType::AggregationEvent | EventType::AssociationEvent => {
                &["parentID", "childEPCs", "childQuantityList", "action"]
            }
            EventType::TransactionEvent => &["parentID", "epcList", "quantityList", "action"],
            EventType::TransformationEvent => &[
                "inputEPCList",
                "inputQuantityList",
                "outputEPCList",
                "outputQuantityList",
                "transformationID",
                "ilmd",
            ],
        }
    }
}

/// Fields every event type takes.
const COMMON_FIELDS: &[&str] = &[
    "type",
    "eventID",
    "eventTime",
    "eventTimeZoneOffset",
    "recordTime",
    "certificationInfo",
    "errorDeclaration",
    "readPoint",
    "bizLocation",
    "bizStep",
    "disposition",
    "persistentDisposition",
    "bizTransactionList",
    "sourceList",
    "destinationList",
    "sensorElementList",
];

/// All standard event-level fields of any type.
const ALL_EVENT_FIELDS: &[&str] = &[
    "epcList",
    "quantityList",
    "action",
    "ilmd",
    "parentID",
    "childEPCs",
    "childQuantityList",
    "inputEPCList",
    "inputQuantityList",
    "outputEPCList",
    "outputQuantityList",
    "transformationID",
];

/// `action` of object, aggregation, transaction and association events.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Action {
    /// Objects created / added.
    Add,
    /// Objects observed, nothing changed.
    Observe,
    /// Objects removed / decommissioned.
    Delete,
}

/// A quantity element: a class of objects and how much of it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct QuantityElement {
    /// Class-level identifier (GTIN, GTIN + lot, …).
    pub epc_class: String,
    /// Amount; a count when `uom` is absent.
    pub quantity: Option<f64>,
    /// UN/ECE Recommendation 20 unit code.
    pub uom: Option<String>,
}

/// A business transaction reference.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BizTransaction {
    /// Type IRI (e.g. `https://ref.gs1.org/cbv/BTT-po`), if given.
    pub kind: Option<String>,
    /// The transaction identifier.
    pub id: String,
}

/// A source or destination.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SourceDest {
    /// Type IRI (e.g. `https://ref.gs1.org/cbv/SDT-owning_party`).
    pub kind: String,
    /// The party or location.
    pub id: String,
}

/// Dispositions set and unset persistently.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PersistentDisposition {
    /// Disposition IRIs set.
    pub set: Vec<String>,
    /// Disposition IRIs unset.
    pub unset: Vec<String>,
}

/// An error declaration: this event is retracted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ErrorDeclaration {
    /// When the error was declared.
    pub declaration_time: Option<String>,
    /// Reason IRI (e.g. `https://ref.gs1.org/cbv/ER-incorrect_data`).
    pub reason: Option<String>,
    /// Events that correct this one.
    pub corrective_event_ids: Vec<String>,
}

/// Sensor metadata of one sensor element.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SensorMetadata {
    /// Time of the readings.
    pub time: Option<String>,
    /// Start of the interval.
    pub start_time: Option<String>,
    /// End of the interval.
    pub end_time: Option<String>,
    /// The device.
    pub device_id: Option<String>,
    /// Device metadata URI.
    pub device_metadata: Option<String>,
    /// Raw data URI.
    pub raw_data: Option<String>,
    /// Data processing method URI.
    pub data_processing_method: Option<String>,
    /// Business rules URI.
    pub biz_rules: Option<String>,
}

/// One sensor report.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SensorReport {
    /// Measurement type IRI (e.g. `https://gs1.org/voc/Temperature`).
    pub kind: Option<String>,
    /// Exception IRI.
    pub exception: Option<String>,
    /// Time of this reading.
    pub time: Option<String>,
    /// The device (if not in the metadata).
    pub device_id: Option<String>,
    /// Device metadata URI (if not in the metadata).
    pub device_metadata: Option<String>,
    /// Raw data URI (if not in the metadata).
    pub raw_data: Option<String>,
    /// Data processing method URI (if not in the metadata).
    pub data_processing_method: Option<String>,
    /// Business rules URI (if not in the metadata; GS1's EPCIS 2.0 examples put it here too).
    pub biz_rules: Option<String>,
    /// Value.
    pub value: Option<f64>,
    /// Minimum.
    pub min_value: Option<f64>,
    /// Maximum.
    pub max_value: Option<f64>,
    /// Mean.
    pub mean_value: Option<f64>,
    /// Standard deviation.
    pub s_dev: Option<f64>,
    /// Percentile rank.
    pub perc_rank: Option<f64>,
    /// Percentile value.
    pub perc_value: Option<f64>,
    /// Boolean value.
    pub boolean_value: Option<bool>,
    /// String value.
    pub string_value: Option<String>,
    /// Hex binary value.
    pub hex_binary_value: Option<String>,
    /// URI value.
    pub uri_value: Option<String>,
    /// Component IRI.
    pub component: Option<String>,
    /// Unit (UN/ECE Recommendation 20).
    pub uom: Option<String>,
    /// Microorganism URI.
    pub microorganism: Option<String>,
    /// Chemical substance URI.
    pub chemical_substance: Option<String>,
    /// Coordinate reference system URI.
    pub coordinate_reference_system: Option<String>,
}

/// One sensor element.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SensorElement {
    /// Metadata, if any.
    pub metadata: Option<SensorMetadata>,
    /// The reports.
    pub reports: Vec<SensorReport>,
}

/// One EPCIS event: typed fields plus the original JSON.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Event {
    /// Index in the document's event list.
    pub index: usize,
    /// The event type, if recognised.
    pub event_type: Option<EventType>,
    /// `eventID`, if given.
    pub event_id: Option<String>,
    /// `eventTime` as written.
    pub event_time: Option<String>,
    /// `eventTimeZoneOffset`.
    pub event_time_zone_offset: Option<String>,
    /// `recordTime`, if given.
    pub record_time: Option<String>,
    /// `certificationInfo` URIs.
    pub certification_info: Vec<String>,
    /// `errorDeclaration`.
    pub error_declaration: Option<ErrorDeclaration>,
    /// `parentID`.
    pub parent_id: Option<String>,
    /// `epcList`.
    pub epc_list: Vec<String>,
    /// `childEPCs`.
    pub child_epcs: Vec<String>,
    /// `inputEPCList`.
    pub input_epc_list: Vec<String>,
    /// `outputEPCList`.
    pub output_epc_list: Vec<String>,
    /// `quantityList`.
    pub quantity_list: Vec<QuantityElement>,
    /// `childQuantityList`.
    pub child_quantity_list: Vec<QuantityElement>,
    /// `inputQuantityList`.
    pub input_quantity_list: Vec<QuantityElement>,
    /// `outputQuantityList`.
    pub output_quantity_list: Vec<QuantityElement>,
    /// `action`.
    pub action: Option<Action>,
    /// `transformationID`.
    pub transformation_id: Option<String>,
    /// `bizStep` IRI.
    pub biz_step: Option<String>,
    /// `disposition` IRI.
    pub disposition: Option<String>,
    /// `persistentDisposition`.
    pub persistent_disposition: Option<PersistentDisposition>,
    /// `readPoint.id`.
    pub read_point: Option<String>,
    /// `bizLocation.id`.
    pub biz_location: Option<String>,
    /// `bizTransactionList`.
    pub biz_transactions: Vec<BizTransaction>,
    /// `sourceList`.
    pub sources: Vec<SourceDest>,
    /// `destinationList`.
    pub destinations: Vec<SourceDest>,
    /// `sensorElementList`.
    pub sensor_elements: Vec<SensorElement>,
    /// `ilmd`, as written.
    pub ilmd: Option<Map<String, Value>>,
    /// Top-level user extensions (namespaced members), as written.
    pub extensions: Map<String, Value>,
    /// The original JSON object of the event.
    #[serde(skip)]
    pub raw: Map<String, Value>,
}

/// Reads typed values out of JSON, recording problems against one event.
struct Reader<'a> {
    index: usize,
    event_id: Option<String>,
    ctx: &'a Context,
    problems: &'a mut Problems,
}

impl Reader<'_> {
    fn problem(&mut self, kind: ProblemKind, field: &str, detail: impl Into<String>) {
        self.problems.push(Problem::event(
            self.index,
            self.event_id.as_deref(),
            kind,
            field,
            detail,
        ));
    }

    fn string(&mut self, field: &str, v: &Value) -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            other => {
                self.problem(
                    ProblemKind::WrongType,
                    field,
                    format!("expected a string, found {}", kind_of(other)),
                );
                None
            }
        }
    }

    fn uri(&mut self, field: &str, v: &Value) -> Option<String> {
        let s = self.string(field, v)?;
        let expanded = self.ctx.expand_value(&s).unwrap_or_else(|| s.clone());
        if is_uri(&expanded) {
            Some(s)
        } else {
            self.problem(ProblemKind::NotUri, field, format!("{s:?} is not a URI"));
            None
        }
    }

    fn time(&mut self, field: &str, v: &Value) -> Option<String> {
        let s = self.string(field, v)?;
        if crate::time::parse_timestamp(&s, false).is_none() {
            self.problem(
                ProblemKind::BadTime,
                field,
                format!("{s:?} is not an RFC 3339 date-time with offset"),
            );
        }
        Some(s)
    }

    /// A vocabulary value: a bare CBV term (expanded), a legacy CBV URN (upgraded) or any URI.
    fn vocab(&mut self, field: &str, v: &Value, vocab: Vocab) -> Option<String> {
        let s = self.string(field, v)?;
        if let Some(iri) = vocab.expand(&s) {
            return Some(iri);
        }
        if let Some(up) = upgrade_legacy_urns(&s) {
            if vocab.term_of(&up).is_some() || !up.starts_with(vocab.iri_prefix()) {
                return Some(up);
            }
            self.problem(
                ProblemKind::NotCbvTerm,
                field,
                format!("{s:?} is not a CBV 2.0 term"),
            );
            return None;
        }
        if !s.contains(':') {
            self.problem(
                ProblemKind::NotCbvTerm,
                field,
                format!("bare string {s:?} is not a term of the CBV 2.0 {vocab:?} vocabulary"),
            );
            return None;
        }
        let expanded = self.ctx.expand_value(&s).unwrap_or_else(|| s.clone());
        if !is_uri(&expanded) {
            self.problem(ProblemKind::NotUri, field, format!("{s:?} is not a URI"));
            return None;
        }
        Some(expanded)
    }

    fn identifier(&mut self, field: &str, v: &Value, role: Role) -> Option<String> {
        let s = self.string(field, v)?;
        match check_identifier(&s, role) {
            Ok(()) => Some(s),
            Err(IdProblem::NotUri) => {
                self.problem(ProblemKind::NotUri, field, format!("{s:?} is not a URI"));
                None
            }
            Err(IdProblem::BadEpcUrn(why)) => {
                self.problem(
                    ProblemKind::BadIdentifier,
                    field,
                    format!("{s:?} is not a valid EPC URN for a {role:?} identifier: {why}"),
                );
                None
            }
            Err(IdProblem::BadDigitalLink(why)) => {
                self.problem(
                    ProblemKind::BadIdentifier,
                    field,
                    format!("{s:?} is not a valid constrained GS1 Digital Link for a {role:?} identifier: {why}"),
                );
                None
            }
        }
    }

    fn array<'v>(&mut self, field: &str, v: &'v Value) -> &'v [Value] {
        match v {
            Value::Array(a) => a,
            other => {
                self.problem(
                    ProblemKind::WrongType,
                    field,
                    format!("expected an array, found {}", kind_of(other)),
                );
                &[]
            }
        }
    }

    fn object<'v>(&mut self, field: &str, v: &'v Value) -> Option<&'v Map<String, Value>> {
        match v {
            Value::Object(m) => Some(m),
            other => {
                self.problem(
                    ProblemKind::WrongType,
                    field,
                    format!("expected an object, found {}", kind_of(other)),
                );
                None
            }
        }
    }

    fn number(&mut self, field: &str, v: &Value) -> Option<f64> {
        match v {
            Value::Number(n) => n.as_f64(),
            other => {
                self.problem(
                    ProblemKind::WrongType,
                    field,
                    format!("expected a number, found {}", kind_of(other)),
                );
                None
            }
        }
    }

    /// Check a member that is not one of the standard ones at this place: namespaced
    /// members are user extensions (their prefix must be declared), others are rejected.
    fn extra_member(&mut self, field: &str, key: &str) {
        match key.split_once(':') {
            Some((prefix, rest)) => {
                let full_iri = rest.starts_with("//") || prefix == "urn";
                if !full_iri && self.ctx.namespace(prefix).is_none() {
                    self.problem(
                        ProblemKind::UndeclaredPrefix,
                        field,
                        format!("namespace prefix {prefix:?} is not declared in @context"),
                    );
                }
            }
            None => self.problem(
                ProblemKind::UnknownField,
                field,
                format!("{key:?} is not an EPCIS 2.0 field here"),
            ),
        }
    }

    fn id_list(&mut self, field: &str, v: &Value, role: Role) -> Vec<String> {
        let items = self.array(field, v);
        let mut out = Vec::with_capacity(items.len());
        for (i, it) in items.iter().enumerate() {
            if let Some(s) = self.identifier(&format!("{field}[{i}]"), it, role) {
                out.push(s);
            }
        }
        out
    }

    fn quantity_list(&mut self, field: &str, v: &Value) -> Vec<QuantityElement> {
        let items = self.array(field, v);
        let mut out = Vec::with_capacity(items.len());
        for (i, it) in items.iter().enumerate() {
            let path = format!("{field}[{i}]");
            let Some(m) = self.object(&path, it) else {
                continue;
            };
            let mut epc_class = None;
            let mut quantity = None;
            let mut uom = None;
            for (k, val) in m {
                let p = format!("{path}.{k}");
                match k.as_str() {
                    "epcClass" => epc_class = self.identifier(&p, val, Role::Class),
                    "quantity" => {
                        quantity = self.number(&p, val);
                        if quantity.is_some_and(|q| q < 0.0) {
                            self.problem(
                                ProblemKind::BadQuantity,
                                &p,
                                "quantity must not be negative",
                            );
                        }
                    }
                    "uom" => uom = self.uom(&p, val),
                    _ => self.extra_member(&p, k),
                }
            }
            if !m.contains_key("epcClass") {
                self.problem(
                    ProblemKind::MissingField,
                    &format!("{path}.epcClass"),
                    "a quantity element needs epcClass",
                );
            }
            if uom.is_some() && !m.contains_key("quantity") {
                self.problem(
                    ProblemKind::MissingField,
                    &format!("{path}.quantity"),
                    "uom given without quantity",
                );
            }
            if let Some(epc_class) = epc_class {
                out.push(QuantityElement {
                    epc_class,
                    quantity,
                    uom,
                });
            }
        }
        out
    }

    fn uom(&mut self, field: &str, v: &Value) -> Option<String> {
        let s = self.string(field, v)?;
        if crate::units::is_rec20_code(&s) {
            Some(s)
        } else {
            self.problem(
                ProblemKind::BadUnit,
                field,
                format!("{s:?} is not a UN/ECE Recommendation 20 unit code"),
            );
            None
        }
    }

    fn location(&mut self, field: &str, v: &Value) -> Option<String> {
        let m = self.object(field, v)?;
        let mut id = None;
        for (k, val) in m {
            let p = format!("{field}.{k}");
            match k.as_str() {
                "id" => id = self.identifier(&p, val, Role::LocationParty),
                _ => self.extra_member(&p, k),
            }
        }
        if !m.contains_key("id") {
            self.problem(
                ProblemKind::MissingField,
                &format!("{field}.id"),
                "a location needs id",
            );
        }
        id
    }

    fn source_dest(&mut self, field: &str, v: &Value, id_key: &str) -> Vec<SourceDest> {
        let items = self.array(field, v);
        let mut out = Vec::new();
        for (i, it) in items.iter().enumerate() {
            let path = format!("{field}[{i}]");
            let Some(m) = self.object(&path, it) else {
                continue;
            };
            let mut kind = None;
            let mut id = None;
            for (k, val) in m {
                let p = format!("{path}.{k}");
                if k == "type" {
                    kind = self.vocab(&p, val, Vocab::SourceDestType);
                } else if k == id_key {
                    id = self.uri(&p, val);
                } else {
                    self.extra_member(&p, k);
                }
            }
            for req in ["type", id_key] {
                if !m.contains_key(req) {
                    self.problem(
                        ProblemKind::MissingField,
                        &format!("{path}.{req}"),
                        format!("{req} is required"),
                    );
                }
            }
            if let (Some(kind), Some(id)) = (kind, id) {
                let party_or_location = Vocab::SourceDestType.term_of(&kind).is_some();
                if party_or_location {
                    if let Err(e) = check_identifier(&id, Role::LocationParty) {
                        if e != IdProblem::NotUri {
                            self.problem(
                                ProblemKind::BadIdentifier,
                                &format!("{path}.{id_key}"),
                                format!("{id:?} is not a valid location/party identifier"),
                            );
                        }
                    }
                }
                out.push(SourceDest { kind, id });
            }
        }
        out
    }

    fn biz_transactions(&mut self, field: &str, v: &Value) -> Vec<BizTransaction> {
        let items = self.array(field, v);
        let mut out = Vec::new();
        for (i, it) in items.iter().enumerate() {
            let path = format!("{field}[{i}]");
            let Some(m) = self.object(&path, it) else {
                continue;
            };
            let mut kind = None;
            let mut id = None;
            for (k, val) in m {
                let p = format!("{path}.{k}");
                match k.as_str() {
                    "type" => kind = self.vocab(&p, val, Vocab::BizTransactionType),
                    "bizTransaction" => id = self.uri(&p, val),
                    _ => self.extra_member(&p, k),
                }
            }
            if !m.contains_key("bizTransaction") {
                self.problem(
                    ProblemKind::MissingField,
                    &format!("{path}.bizTransaction"),
                    "bizTransaction is required",
                );
            }
            if let Some(id) = id {
                out.push(BizTransaction { kind, id });
            }
        }
        out
    }

    fn sensor_elements(&mut self, field: &str, v: &Value) -> Vec<SensorElement> {
        let items = self.array(field, v);
        let mut out = Vec::new();
        for (i, it) in items.iter().enumerate() {
            let path = format!("{field}[{i}]");
            let Some(m) = self.object(&path, it) else {
                continue;
            };
            let mut el = SensorElement::default();
            for (k, val) in m {
                let p = format!("{path}.{k}");
                match k.as_str() {
                    "sensorMetadata" => el.metadata = self.sensor_metadata(&p, val),
                    "sensorReport" => {
                        let reports = self.array(&p, val);
                        for (j, r) in reports.iter().enumerate() {
                            if let Some(rep) = self.sensor_report(&format!("{p}[{j}]"), r) {
                                el.reports.push(rep);
                            }
                        }
                    }
                    _ => self.extra_member(&p, k),
                }
            }
            if el.reports.is_empty() && !m.contains_key("sensorReport") {
                self.problem(
                    ProblemKind::MissingField,
                    &format!("{path}.sensorReport"),
                    "a sensor element needs sensorReport",
                );
            }
            out.push(el);
        }
        out
    }

    fn sensor_metadata(&mut self, field: &str, v: &Value) -> Option<SensorMetadata> {
        let m = self.object(field, v)?;
        let mut md = SensorMetadata::default();
        for (k, val) in m {
            let p = format!("{field}.{k}");
            match k.as_str() {
                "time" => md.time = self.time(&p, val),
                "startTime" => md.start_time = self.time(&p, val),
                "endTime" => md.end_time = self.time(&p, val),
                "deviceID" => md.device_id = self.uri(&p, val),
                "deviceMetadata" => md.device_metadata = self.uri(&p, val),
                "rawData" => md.raw_data = self.uri(&p, val),
                "dataProcessingMethod" => md.data_processing_method = self.uri(&p, val),
                "bizRules" => md.biz_rules = self.uri(&p, val),
                _ => self.extra_member(&p, k),
            }
        }
        Some(md)
    }

    fn sensor_report(&mut self, field: &str, v: &Value) -> Option<SensorReport> {
        let m = self.object(field, v)?;
        let mut r = SensorReport::default();
        for (k, val) in m {
            let p = format!("{field}.{k}");
            match k.as_str() {
                "type" => r.kind = self.vocab(&p, val, Vocab::MeasurementType),
                "exception" => r.exception = self.vocab(&p, val, Vocab::SensorException),
                "component" => r.component = self.vocab(&p, val, Vocab::Component),
                "time" => r.time = self.time(&p, val),
                "deviceID" => r.device_id = self.uri(&p, val),
                "deviceMetadata" => r.device_metadata = self.uri(&p, val),
                "rawData" => r.raw_data = self.uri(&p, val),
                "dataProcessingMethod" => r.data_processing_method = self.uri(&p, val),
                "bizRules" => r.biz_rules = self.uri(&p, val),
                "uriValue" => r.uri_value = self.uri(&p, val),
                "microorganism" => r.microorganism = self.uri(&p, val),
                "chemicalSubstance" => r.chemical_substance = self.uri(&p, val),
                "coordinateReferenceSystem" => r.coordinate_reference_system = self.uri(&p, val),
                "value" => r.value = self.number(&p, val),
                "minValue" => r.min_value = self.number(&p, val),
                "maxValue" => r.max_value = self.number(&p, val),
                "meanValue" => r.mean_value = self.number(&p, val),
                "sDev" => r.s_dev = self.number(&p, val),
                "percRank" => r.perc_rank = self.number(&p, val),
                "percValue" => r.perc_value = self.number(&p, val),
                "booleanValue" => match val {
                    Value::Bool(b) => r.boolean_value = Some(*b),
                    other => self.problem(
                        ProblemKind::WrongType,
                        &p,
                        format!("expected a boolean, found {}", kind_of(other)),
                    ),
                },
                "stringValue" => r.string_value = self.string(&p, val),
                "hexBinaryValue" => {
                    r.hex_binary_value = self.string(&p, val);
                    if r.hex_binary_value.as_deref().is_some_and(|h| {
                        h.len() % 2 != 0 || !h.bytes().all(|b| b.is_ascii_hexdigit())
                    }) {
                        self.problem(
                            ProblemKind::WrongType,
                            &p,
                            "hexBinaryValue must be an even number of hex digits",
                        );
                    }
                }
                "uom" => r.uom = self.uom(&p, val),
                _ => self.extra_member(&p, k),
            }
        }
        Some(r)
    }

    fn error_declaration(&mut self, field: &str, v: &Value) -> Option<ErrorDeclaration> {
        let m = self.object(field, v)?;
        let mut ed = ErrorDeclaration {
            declaration_time: None,
            reason: None,
            corrective_event_ids: Vec::new(),
        };
        for (k, val) in m {
            let p = format!("{field}.{k}");
            match k.as_str() {
                "declarationTime" => ed.declaration_time = self.time(&p, val),
                "reason" => ed.reason = self.vocab(&p, val, Vocab::ErrorReason),
                "correctiveEventIDs" => {
                    let items = self.array(&p, val);
                    for (i, it) in items.iter().enumerate() {
                        if let Some(u) = self.uri(&format!("{p}[{i}]"), it) {
                            ed.corrective_event_ids.push(u);
                        }
                    }
                }
                _ => self.extra_member(&p, k),
            }
        }
        if !m.contains_key("declarationTime") {
            self.problem(
                ProblemKind::MissingField,
                &format!("{field}.declarationTime"),
                "declarationTime is required",
            );
        }
        Some(ed)
    }

    fn persistent_disposition(&mut self, field: &str, v: &Value) -> Option<PersistentDisposition> {
        let m = self.object(field, v)?;
        let mut pd = PersistentDisposition::default();
        for (k, val) in m {
            let p = format!("{field}.{k}");
            match k.as_str() {
                "set" | "unset" => {
                    let items = self.array(&p, val);
                    for (i, it) in items.iter().enumerate() {
                        if let Some(d) = self.vocab(&format!("{p}[{i}]"), it, Vocab::Disposition) {
                            if k == "set" {
                                pd.set.push(d);
                            } else {
                                pd.unset.push(d);
                            }
                        }
                    }
                }
                _ => self.extra_member(&p, k),
            }
        }
        Some(pd)
    }

    fn certification_info(&mut self, field: &str, v: &Value) -> Vec<String> {
        match v {
            Value::Array(items) => {
                let mut out = Vec::new();
                for (i, it) in items.iter().enumerate() {
                    if let Some(u) = self.uri(&format!("{field}[{i}]"), it) {
                        out.push(u);
                    }
                }
                out
            }
            other => self.uri(field, other).into_iter().collect(),
        }
    }

    /// Check the member names inside ILMD and extension values: every namespaced
    /// member needs a declared prefix.
    fn check_namespaced_members(&mut self, field: &str, v: &Value, depth: usize) {
        if depth > crate::MAX_NESTING_DEPTH {
            return;
        }
        match v {
            Value::Object(m) => {
                for (k, val) in m {
                    let p = format!("{field}.{k}");
                    if k.contains(':') {
                        self.extra_member(&p, k);
                    }
                    self.check_namespaced_members(&p, val, depth + 1);
                }
            }
            Value::Array(items) => {
                for (i, it) in items.iter().enumerate() {
                    self.check_namespaced_members(&format!("{field}[{i}]"), it, depth + 1);
                }
            }
            _ => {}
        }
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl Event {
    /// Read event `index` from its JSON object, recording every shape problem.
    pub fn from_json(
        index: usize,
        raw: Map<String, Value>,
        ctx: &Context,
        problems: &mut Problems,
    ) -> Event {
        match raw.get("@context") {
            Some(c) => {
                let mut local = ctx.clone();
                local.add(c);
                Event::read(index, raw, &local, problems)
            }
            None => Event::read(index, raw, ctx, problems),
        }
    }

    fn read(
        index: usize,
        raw: Map<String, Value>,
        ctx: &Context,
        problems: &mut Problems,
    ) -> Event {
        let event_id = raw
            .get("eventID")
            .and_then(Value::as_str)
            .map(str::to_string);
        let mut r = Reader {
            index,
            event_id: event_id.clone(),
            ctx,
            problems,
        };
        let mut e = Event {
            index,
            event_type: None,
            event_id,
            event_time: None,
            event_time_zone_offset: None,
            record_time: None,
            certification_info: Vec::new(),
            error_declaration: None,
            parent_id: None,
            epc_list: Vec::new(),
            child_epcs: Vec::new(),
            input_epc_list: Vec::new(),
            output_epc_list: Vec::new(),
            quantity_list: Vec::new(),
            child_quantity_list: Vec::new(),
            input_quantity_list: Vec::new(),
            output_quantity_list: Vec::new(),
            action: None,
            transformation_id: None,
            biz_step: None,
            disposition: None,
            persistent_disposition: None,
            read_point: None,
            biz_location: None,
            biz_transactions: Vec::new(),
            sources: Vec::new(),
            destinations: Vec::new(),
            sensor_elements: Vec::new(),
            ilmd: None,
            extensions: Map::new(),
            raw: Map::new(),
        };
        match raw.get("type") {
            Some(Value::String(t)) => match EventType::parse(t) {
                Some(et) => e.event_type = Some(et),
                None => r.problem(
                    ProblemKind::BadEventType,
                    "type",
                    format!("{t:?} is not an EPCIS 2.0 event type"),
                ),
            },
            Some(other) => r.problem(
                ProblemKind::WrongType,
                "type",
                format!("expected a string, found {}", kind_of(other)),
            ),
            None => r.problem(
                ProblemKind::MissingField,
                "type",
                "the event type is required",
            ),
        }
        for (key, v) in &raw {
            let k = key.as_str();
            if k.starts_with('@') {
                continue;
            }
            let allowed = COMMON_FIELDS.contains(&k)
                || e.event_type
                    .is_none_or(|t| t.specific_fields().contains(&k));
            if !allowed && ALL_EVENT_FIELDS.contains(&k) {
                let t = e.event_type.map(|t| format!("{t:?}")).unwrap_or_default();
                r.problem(ProblemKind::NotAllowed, k, format!("{t} does not take {k}"));
                continue;
            }
            match k {
                "type" => {}
                "eventID" => {
                    r.uri(k, v);
                }
                "eventTime" => e.event_time = r.time(k, v),
                "recordTime" => e.record_time = r.time(k, v),
                "eventTimeZoneOffset" => {
                    if let Some(s) = r.string(k, v) {
                        if !crate::time::is_valid_offset(&s) {
                            r.problem(
                                ProblemKind::BadTimeZoneOffset,
                                k,
                                format!("{s:?} is not ±hh:mm"),
                            );
                        }
                        e.event_time_zone_offset = Some(s);
                    }
                }
                "certificationInfo" => e.certification_info = r.certification_info(k, v),
                "errorDeclaration" => e.error_declaration = r.error_declaration(k, v),
                "parentID" => e.parent_id = r.identifier(k, v, Role::Instance),
                "epcList" => e.epc_list = r.id_list(k, v, Role::Instance),
                "childEPCs" => e.child_epcs = r.id_list(k, v, Role::Instance),
                "inputEPCList" => e.input_epc_list = r.id_list(k, v, Role::Instance),
                "outputEPCList" => e.output_epc_list = r.id_list(k, v, Role::Instance),
                "quantityList" => e.quantity_list = r.quantity_list(k, v),
                "childQuantityList" => e.child_quantity_list = r.quantity_list(k, v),
                "inputQuantityList" => e.input_quantity_list = r.quantity_list(k, v),
                "outputQuantityList" => e.output_quantity_list = r.quantity_list(k, v),
                "action" => {
                    if let Some(s) = r.string(k, v) {
                        e.action = match s.as_str() {
                            "ADD" => Some(Action::Add),
                            "OBSERVE" => Some(Action::Observe),
                            "DELETE" => Some(Action::Delete),
                            _ => {
                                r.problem(
                                    ProblemKind::BadAction,
                                    k,
                                    format!("{s:?} is not ADD, OBSERVE or DELETE"),
                                );
                                None
                            }
                        }
                    }
                }
                "transformationID" => e.transformation_id = r.uri(k, v),
                "bizStep" => e.biz_step = r.vocab(k, v, Vocab::BizStep),
                "disposition" => e.disposition = r.vocab(k, v, Vocab::Disposition),
                "persistentDisposition" => {
                    e.persistent_disposition = r.persistent_disposition(k, v)
                }
                "readPoint" => e.read_point = r.location(k, v),
                "bizLocation" => e.biz_location = r.location(k, v),
                "bizTransactionList" => e.biz_transactions = r.biz_transactions(k, v),
                "sourceList" => e.sources = r.source_dest(k, v, "source"),
                "destinationList" => e.destinations = r.source_dest(k, v, "destination"),
                "sensorElementList" => e.sensor_elements = r.sensor_elements(k, v),
                "ilmd" => {
                    if let Some(m) = r.object(k, v) {
                        // ILMD holds master-data attributes only (CBV `cbvmda:` or user
                        // extensions): every member is namespaced, like an extension
                        // anywhere else in the event.
                        for name in m.keys().filter(|n| !n.contains(':')) {
                            r.problem(
                                ProblemKind::UnknownField,
                                &format!("{k}.{name}"),
                                format!(
                                    "{name:?} is not namespaced: ILMD members are CBV master \
                                     data (cbvmda:) or declared user extensions"
                                ),
                            );
                        }
                        r.check_namespaced_members(k, v, 1);
                        e.ilmd = Some(m.clone());
                    }
                }
                _ => {
                    r.extra_member(k, k);
                    if k.contains(':') {
                        r.check_namespaced_members(k, v, 1);
                        e.extensions.insert(key.clone(), v.clone());
                    }
                }
            }
        }
        e.raw = raw;
        e
    }

    /// The CBV 2.0 hash of this event.
    pub fn hash(&self, ctx: &Context) -> crate::EventHash {
        let prehash = crate::hash::prehash(&self.raw, ctx);
        crate::EventHash {
            index: self.index,
            id: crate::hash::hash_id(&prehash),
            prehash,
        }
    }

    /// Every identifier the event names (EPCs, classes, parent), in field order.
    pub fn identifiers(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        out.extend(self.parent_id.as_deref());
        for l in [
            &self.epc_list,
            &self.child_epcs,
            &self.input_epc_list,
            &self.output_epc_list,
        ] {
            out.extend(l.iter().map(String::as_str));
        }
        for l in [
            &self.quantity_list,
            &self.child_quantity_list,
            &self.input_quantity_list,
            &self.output_quantity_list,
        ] {
            out.extend(l.iter().map(|q| q.epc_class.as_str()));
        }
        out
    }
}
