//! The query side of the EPCIS 2.0 REST binding, `GET /events`: a conforming subset of the
//! query parameters with fixed names ([`SUPPORTED_PARAMETERS`]), parsed from the decoded
//! URL query string into an [`EventQuery`] that judges captured events.
//!
//! Pure: no I/O, no clock; bad input returns a [`QueryError`], never panics.
//!
//! Rules (EPCIS 2.0 OpenAPI, `components/parameters`):
//!
//! * Several values of one parameter are separated by `|` (`pipeDelimited`) and are OR-ed;
//!   different parameters are AND-ed. An event that lacks the field a parameter looks at
//!   never matches that parameter.
//! * A parameter this module does not know, including standard ones outside the subset
//!   (`WD_readPoint`, `EQ_quantity`, `orderBy`, …), is refused with
//!   [`QueryError::Unsupported`] rather than ignored: ignoring a filter would answer with
//!   more events than were asked for. A parameter given twice is refused with
//!   [`QueryError::Repeated`].
//! * Times (`GE_`/`LT_eventTime`, `GE_`/`LT_recordTime`) are strict RFC 3339 date-times with
//!   an offset, read by the workspace's one parser ([`crate::time`]) and compared as instants
//!   in whole milliseconds (sub-millisecond digits cut on both sides); the range is half-open,
//!   `GE_` inclusive and `LT_` exclusive.
//! * `EQ_bizStep` / `EQ_disposition` values and event values are compared as full CBV 2.0
//!   IRIs: a bare CBV word (`shipping`), the web vocabulary IRI
//!   (`https://ref.gs1.org/cbv/BizStep-shipping`), the CBV 1.x URN
//!   (`urn:epcglobal:cbv:bizstep:shipping`) and a compact IRI (`cbv:BizStep-shipping`) are
//!   the same value ([`crate::vocab`], [`crate::context`]).
//! * Identifiers (`EQ_readPoint`, `EQ_bizLocation`, `MATCH_*`) are compared exactly after the
//!   CBV 2.0 normal form ([`crate::idnorm::normalise`]): an EPC URN and any GS1 Digital Link
//!   of the same key are the same value; other URIs are compared as written. EPC patterns
//!   (`urn:epc:idpat:…`) are not supported as query values.

use std::borrow::Cow;
use std::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::context::Context;
use crate::idnorm::normalise;
use crate::ids::is_uri;
use crate::vocab::{upgrade_legacy_urns, Vocab};

/// Most values in one parameter, after splitting on `|`. Policy: a parameter with more
/// values is refused with [`QueryError::Invalid`] (split the query instead), so one request
/// cannot make every event be compared against an unbounded list.
pub const MAX_QUERY_VALUES: usize = 64;

/// Longest single value, in bytes (after percent-decoding). Policy: a longer value is
/// refused with [`QueryError::Invalid`]; no identifier, IRI, time or page token of this
/// repository comes near it.
pub const MAX_QUERY_VALUE_BYTES: usize = 2048;

/// Events per page when the query has no `perPage` (the OpenAPI default).
pub const DEFAULT_PER_PAGE: usize = 30;

/// Largest `perPage` a client may ask for. Policy: a larger value (or 0) is refused with
/// [`QueryError::Invalid`] rather than silently capped, so a client learns the limit.
pub const MAX_PER_PAGE: usize = 1000;

/// Most bytes of client input quoted in an error message. Policy: a longer name or value
/// is cut at a character boundary and ends with `…`, so errors stay small whatever is sent.
pub const MAX_ECHOED_BYTES: usize = 100;

/// The query parameters this repository supports, as the OpenAPI names them
/// (case-sensitive). Any other name is refused with [`QueryError::Unsupported`].
pub const SUPPORTED_PARAMETERS: &[&str] = &[
    "eventType",
    "GE_eventTime",
    "LT_eventTime",
    "GE_recordTime",
    "LT_recordTime",
    "EQ_action",
    "EQ_bizStep",
    "EQ_disposition",
    "EQ_readPoint",
    "EQ_bizLocation",
    "MATCH_epc",
    "MATCH_anyEPC",
    "MATCH_epcClass",
    "MATCH_anyEPCClass",
    "EQ_eventID",
    "perPage",
    "nextPageToken",
];

/// The event types `eventType` accepts: the five of EPCIS 2.0 (this repository captures no
/// extension event types, so naming one is an error rather than an empty result).
pub const EVENT_TYPES: &[&str] = &[
    "ObjectEvent",
    "AggregationEvent",
    "TransactionEvent",
    "TransformationEvent",
    "AssociationEvent",
];

/// The values `EQ_action` accepts.
const ACTIONS: &[&str] = &["ADD", "OBSERVE", "DELETE"];

/// Fields `MATCH_epc` looks at.
const EPC_FIELDS: &[&str] = &["epcList", "childEPCs"];
/// Fields `MATCH_anyEPC` looks at.
const ANY_EPC_FIELDS: &[&str] = &[
    "parentID",
    "epcList",
    "childEPCs",
    "inputEPCList",
    "outputEPCList",
];
/// Quantity lists `MATCH_epcClass` looks at (their elements' `epcClass`).
const CLASS_FIELDS: &[&str] = &["quantityList", "childQuantityList"];
/// Quantity lists `MATCH_anyEPCClass` looks at (their elements' `epcClass`).
const ANY_CLASS_FIELDS: &[&str] = &[
    "quantityList",
    "childQuantityList",
    "inputQuantityList",
    "outputQuantityList",
];

/// Why a query string was refused; the caller answers `400 Bad Request`
/// (EPCIS `QueryParameterException`). Every message names the parameter and says what
/// would be accepted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// EPCIS-QUERY-UNSUPPORTED: a parameter name this repository does not support (the name,
    /// cut to [`MAX_ECHOED_BYTES`]).
    #[error(
        "EPCIS-QUERY-UNSUPPORTED: query parameter {0:?} is not supported; the supported \
         parameters are {list}",
        list = SUPPORTED_PARAMETERS.join(", ")
    )]
    Unsupported(String),
    /// EPCIS-QUERY-INVALID: a supported parameter with a value it does not accept.
    #[error("EPCIS-QUERY-INVALID: query parameter {param}: {reason}")]
    Invalid {
        /// The parameter.
        param: String,
        /// What is wrong and what is expected.
        reason: String,
    },
    /// EPCIS-QUERY-REPEATED: a parameter given more than once.
    #[error(
        "EPCIS-QUERY-REPEATED: query parameter {0} is given more than once; give it once \
         (several values of one parameter go in one value, separated by '|')"
    )]
    Repeated(String),
}

/// A parsed `GET /events` query: the filters (all must hold) and the paging parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventQuery {
    /// Most events per page: `perPage`, else [`DEFAULT_PER_PAGE`]; within `1..=`[`MAX_PER_PAGE`].
    pub per_page: usize,
    /// `nextPageToken` as given (opaque here; the store that issued it judges it).
    pub next_page_token: Option<String>,
    event_types: Option<BTreeSet<String>>,
    ge_event_time: Option<i64>,
    lt_event_time: Option<i64>,
    ge_record_time: Option<i64>,
    lt_record_time: Option<i64>,
    actions: Option<BTreeSet<String>>,
    /// Full CBV IRIs.
    biz_steps: Option<BTreeSet<String>>,
    /// Full CBV IRIs.
    dispositions: Option<BTreeSet<String>>,
    /// Normal-form identifiers.
    read_points: Option<BTreeSet<String>>,
    /// Normal-form identifiers.
    biz_locations: Option<BTreeSet<String>>,
    /// Normal-form identifiers.
    epcs: Option<BTreeSet<String>>,
    /// Normal-form identifiers.
    any_epcs: Option<BTreeSet<String>>,
    /// Normal-form identifiers.
    epc_classes: Option<BTreeSet<String>>,
    /// Normal-form identifiers.
    any_epc_classes: Option<BTreeSet<String>>,
    event_ids: Option<BTreeSet<String>>,
}

impl Default for EventQuery {
    /// No filters, [`DEFAULT_PER_PAGE`], first page.
    fn default() -> Self {
        EventQuery {
            per_page: DEFAULT_PER_PAGE,
            next_page_token: None,
            event_types: None,
            ge_event_time: None,
            lt_event_time: None,
            ge_record_time: None,
            lt_record_time: None,
            actions: None,
            biz_steps: None,
            dispositions: None,
            read_points: None,
            biz_locations: None,
            epcs: None,
            any_epcs: None,
            epc_classes: None,
            any_epc_classes: None,
            event_ids: None,
        }
    }
}

/// `s`, cut to [`MAX_ECHOED_BYTES`] at a character boundary (with `…` when cut).
fn echo(s: &str) -> String {
    if s.len() <= MAX_ECHOED_BYTES {
        return s.to_string();
    }
    let mut end = MAX_ECHOED_BYTES;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

fn invalid(param: &str, reason: impl Into<String>) -> QueryError {
    QueryError::Invalid {
        param: param.to_string(),
        reason: reason.into(),
    }
}

/// The normal form an identifier is compared (and indexed) in: the canonical GS1 Digital
/// Link of an EPC URN or Digital Link, else the value as written.
fn id_key(s: &str) -> String {
    normalise(s).unwrap_or_else(|| s.to_string())
}

/// The full IRI a vocabulary value is compared in: a bare CBV term expanded, a CBV 1.x URN
/// upgraded, a compact IRI whose prefix `ctx` knows expanded, anything else as written.
fn vocab_key(s: &str, vocab: Vocab, ctx: &Context) -> String {
    if let Some(iri) = vocab.expand(s) {
        return iri;
    }
    if let Some(up) = upgrade_legacy_urns(s) {
        return up;
    }
    ctx.expand_value(s).unwrap_or_else(|| s.to_string())
}

/// One value: not empty, not longer than [`MAX_QUERY_VALUE_BYTES`].
fn check_len(param: &str, v: &str) -> Result<(), QueryError> {
    if v.is_empty() {
        return Err(invalid(
            param,
            "empty value (check for a '|' at the start or end, or two in a row)",
        ));
    }
    if v.len() > MAX_QUERY_VALUE_BYTES {
        return Err(invalid(
            param,
            format!(
                "a value is {} bytes long, over the limit of {MAX_QUERY_VALUE_BYTES}",
                v.len()
            ),
        ));
    }
    Ok(())
}

/// Split a `pipeDelimited` value and canonicalise each part with `f`.
fn values(
    param: &str,
    value: &str,
    f: impl Fn(&str) -> Result<String, String>,
) -> Result<Option<BTreeSet<String>>, QueryError> {
    let mut out = BTreeSet::new();
    for (i, v) in value.split('|').enumerate() {
        if i == MAX_QUERY_VALUES {
            return Err(invalid(
                param,
                format!(
                    "more than {MAX_QUERY_VALUES} values separated by '|'; split the query \
                     into several requests"
                ),
            ));
        }
        check_len(param, v)?;
        out.insert(f(v).map_err(|reason| invalid(param, reason))?);
    }
    Ok(Some(out))
}

fn event_type_value(v: &str) -> Result<String, String> {
    if EVENT_TYPES.contains(&v) {
        Ok(v.to_string())
    } else {
        Err(format!(
            "{:?} is not an event type; expected one of {}",
            echo(v),
            EVENT_TYPES.join(", ")
        ))
    }
}

fn action_value(v: &str) -> Result<String, String> {
    if ACTIONS.contains(&v) {
        Ok(v.to_string())
    } else {
        Err(format!(
            "{:?} is not an action; expected ADD, OBSERVE or DELETE",
            echo(v)
        ))
    }
}

fn vocab_value(v: &str, vocab: Vocab) -> Result<String, String> {
    if let Some(iri) = vocab.expand(v) {
        return Ok(iri);
    }
    let (what, example) = match vocab {
        Vocab::BizStep => ("business step", "shipping"),
        Vocab::Disposition => ("disposition", "in_transit"),
        _ => ("vocabulary", "other"),
    };
    if !v.contains(':') {
        return Err(format!(
            "{:?} is not a CBV 2.0 {what}; standard values are bare words such as {example:?}, \
             custom values are URIs",
            echo(v)
        ));
    }
    if !is_uri(v) {
        return Err(format!("{:?} is not a URI", echo(v)));
    }
    Ok(vocab_key(v, vocab, &Context::default()))
}

/// A URI-valued parameter (`EQ_readPoint`, `EQ_bizLocation`, `EQ_eventID`, `MATCH_*`).
fn uri_value(v: &str) -> Result<(), String> {
    if is_uri(v) {
        Ok(())
    } else {
        Err(format!(
            "{:?} is not a URI (an EPC URN such as urn:epc:id:sgtin:…, a GS1 Digital Link \
             such as https://id.gs1.org/01/…, or another absolute URI)",
            echo(v)
        ))
    }
}

fn location_value(v: &str) -> Result<String, String> {
    uri_value(v)?;
    Ok(id_key(v))
}

/// An identifier of `MATCH_*`; `class` says whether the parameter matches EPC classes.
fn match_value(v: &str, class: bool) -> Result<String, String> {
    uri_value(v)?;
    if v.starts_with("urn:epc:idpat:") {
        let hint = match normalise(v) {
            Some(dl) if class => format!("; the class of a whole product is {dl}"),
            _ => String::new(),
        };
        return Err(format!(
            "{:?} is an EPC pattern; patterns are not supported, give exact identifiers \
             (EPC URN or GS1 Digital Link){hint}",
            echo(v)
        ));
    }
    Ok(id_key(v))
}

fn event_id_value(v: &str) -> Result<String, String> {
    uri_value(v)?;
    Ok(v.to_string())
}

fn time_value(param: &str, v: &str) -> Result<i64, QueryError> {
    check_len(param, v)?;
    crate::time::parse_millis(v).map_err(|why| {
        let hint = if v.contains(' ') {
            " (a '+' of an offset must be sent as %2B in a URL query)"
        } else {
            ""
        };
        invalid(param, format!("{:?}: {why}{hint}", echo(v)))
    })
}

fn per_page_value(v: &str) -> Result<usize, QueryError> {
    const PARAM: &str = "perPage";
    check_len(PARAM, v)?;
    let expected = format!("expected a whole number from 1 to {MAX_PER_PAGE}");
    if !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(PARAM, format!("{:?}: {expected}", echo(v))));
    }
    v.parse::<usize>()
        .ok()
        .filter(|n| (1..=MAX_PER_PAGE).contains(n))
        .ok_or_else(|| invalid(PARAM, format!("{}: {expected}", echo(v))))
}

/// The string values of `fields` (a string field or an array of strings; other JSON is skipped).
fn ids_of<'a>(event: &'a Map<String, Value>, fields: &[&str], out: &mut Vec<&'a str>) {
    for f in fields {
        match event.get(*f) {
            Some(Value::String(s)) => out.push(s),
            Some(Value::Array(items)) => out.extend(items.iter().filter_map(Value::as_str)),
            _ => {}
        }
    }
}

/// The `epcClass` strings of the quantity lists `fields`.
fn classes_of<'a>(event: &'a Map<String, Value>, fields: &[&str], out: &mut Vec<&'a str>) {
    for f in fields {
        if let Some(Value::Array(items)) = event.get(*f) {
            out.extend(
                items
                    .iter()
                    .filter_map(|q| q.get("epcClass").and_then(Value::as_str)),
            );
        }
    }
}

fn str_field<'a>(event: &'a Map<String, Value>, field: &str) -> Option<&'a str> {
    event.get(field).and_then(Value::as_str)
}

/// `readPoint.id` / `bizLocation.id`.
fn location_id<'a>(event: &'a Map<String, Value>, field: &str) -> Option<&'a str> {
    event
        .get(field)
        .and_then(Value::as_object)
        .and_then(|m| m.get("id"))
        .and_then(Value::as_str)
}

fn any_id_in(set: &BTreeSet<String>, ids: &[&str]) -> bool {
    ids.iter().any(|s| set.contains(&id_key(s)))
}

impl EventQuery {
    /// From the decoded `(name, value)` pairs of the URL query string (already
    /// percent-decoded, in order). Names are case-sensitive; see [`SUPPORTED_PARAMETERS`].
    pub fn parse(pairs: &[(String, String)]) -> Result<EventQuery, QueryError> {
        let mut q = EventQuery::default();
        let mut seen: Vec<&'static str> = Vec::new();
        for (name, value) in pairs {
            let Some(&param) = SUPPORTED_PARAMETERS.iter().find(|p| **p == name) else {
                return Err(QueryError::Unsupported(echo(name)));
            };
            if seen.contains(&param) {
                return Err(QueryError::Repeated(param.to_string()));
            }
            seen.push(param);
            q.apply(param, value)?;
        }
        Ok(q)
    }

    fn apply(&mut self, param: &'static str, v: &str) -> Result<(), QueryError> {
        match param {
            "eventType" => self.event_types = values(param, v, event_type_value)?,
            "GE_eventTime" => self.ge_event_time = Some(time_value(param, v)?),
            "LT_eventTime" => self.lt_event_time = Some(time_value(param, v)?),
            "GE_recordTime" => self.ge_record_time = Some(time_value(param, v)?),
            "LT_recordTime" => self.lt_record_time = Some(time_value(param, v)?),
            "EQ_action" => self.actions = values(param, v, action_value)?,
            "EQ_bizStep" => {
                self.biz_steps = values(param, v, |s| vocab_value(s, Vocab::BizStep))?;
            }
            "EQ_disposition" => {
                self.dispositions = values(param, v, |s| vocab_value(s, Vocab::Disposition))?;
            }
            "EQ_readPoint" => self.read_points = values(param, v, location_value)?,
            "EQ_bizLocation" => self.biz_locations = values(param, v, location_value)?,
            "MATCH_epc" => self.epcs = values(param, v, |s| match_value(s, false))?,
            "MATCH_anyEPC" => self.any_epcs = values(param, v, |s| match_value(s, false))?,
            "MATCH_epcClass" => self.epc_classes = values(param, v, |s| match_value(s, true))?,
            "MATCH_anyEPCClass" => {
                self.any_epc_classes = values(param, v, |s| match_value(s, true))?;
            }
            "EQ_eventID" => self.event_ids = values(param, v, event_id_value)?,
            "perPage" => self.per_page = per_page_value(v)?,
            "nextPageToken" => {
                check_len(param, v)?;
                self.next_page_token = Some(v.to_string());
            }
            _ => return Err(QueryError::Unsupported(param.to_string())),
        }
        Ok(())
    }

    /// Whether an event matches every filter. `event` is the EPCIS event JSON object as
    /// captured; `record_time_ms` the time the repository recorded it (Unix ms, UTC), which
    /// `GE_`/`LT_recordTime` judge. Compact IRIs in `bizStep` / `disposition` are expanded
    /// with the standard prefixes and the event's own `@context`; use [`Self::matches_in`]
    /// when the capturing document's `@context` is known.
    pub fn matches(&self, event: &Map<String, Value>, record_time_ms: i64) -> bool {
        self.matches_in(event, record_time_ms, &Context::default())
    }

    /// [`Self::matches`] with the `@context` of the document the event was captured in (an
    /// event's own `@context` is added to it), for custom vocabulary values written as
    /// compact IRIs with a prefix the document declared.
    pub fn matches_in(
        &self,
        event: &Map<String, Value>,
        record_time_ms: i64,
        ctx: &Context,
    ) -> bool {
        let one_of = |set: &Option<BTreeSet<String>>, field: &str| {
            set.as_ref()
                .is_none_or(|s| str_field(event, field).is_some_and(|v| s.contains(v)))
        };
        if !one_of(&self.event_types, "type")
            || !one_of(&self.actions, "action")
            || !one_of(&self.event_ids, "eventID")
        {
            return false;
        }
        if self.ge_record_time.is_some_and(|g| record_time_ms < g)
            || self.lt_record_time.is_some_and(|l| record_time_ms >= l)
        {
            return false;
        }
        if self.ge_event_time.is_some() || self.lt_event_time.is_some() {
            let Some(t) =
                str_field(event, "eventTime").and_then(|t| crate::time::parse_millis(t).ok())
            else {
                return false;
            };
            if self.ge_event_time.is_some_and(|g| t < g)
                || self.lt_event_time.is_some_and(|l| t >= l)
            {
                return false;
            }
        }
        if self.biz_steps.is_some() || self.dispositions.is_some() {
            let ctx = match event.get("@context") {
                Some(c) => {
                    let mut local = ctx.clone();
                    local.add(c);
                    Cow::Owned(local)
                }
                None => Cow::Borrowed(ctx),
            };
            let vocab_ok = |set: &Option<BTreeSet<String>>, field: &str, vocab: Vocab| {
                set.as_ref().is_none_or(|s| {
                    str_field(event, field).is_some_and(|v| s.contains(&vocab_key(v, vocab, &ctx)))
                })
            };
            if !vocab_ok(&self.biz_steps, "bizStep", Vocab::BizStep)
                || !vocab_ok(&self.dispositions, "disposition", Vocab::Disposition)
            {
                return false;
            }
        }
        let location_ok = |set: &Option<BTreeSet<String>>, field: &str| {
            set.as_ref()
                .is_none_or(|s| location_id(event, field).is_some_and(|id| s.contains(&id_key(id))))
        };
        if !location_ok(&self.read_points, "readPoint")
            || !location_ok(&self.biz_locations, "bizLocation")
        {
            return false;
        }
        let epcs_ok = |set: &Option<BTreeSet<String>>, fields: &[&str], classes: bool| {
            set.as_ref().is_none_or(|s| {
                let mut ids = Vec::new();
                if classes {
                    classes_of(event, fields, &mut ids);
                } else {
                    ids_of(event, fields, &mut ids);
                }
                any_id_in(s, &ids)
            })
        };
        epcs_ok(&self.epcs, EPC_FIELDS, false)
            && epcs_ok(&self.any_epcs, ANY_EPC_FIELDS, false)
            && epcs_ok(&self.epc_classes, CLASS_FIELDS, true)
            && epcs_ok(&self.any_epc_classes, ANY_CLASS_FIELDS, true)
    }

    /// Identifiers (in the normal form of [`indexed_identifiers`]) of which every matching
    /// event contains at least one, so a store can look candidates up in an index built with
    /// [`indexed_identifiers`] and then judge each with [`Self::matches`]. Taken from the
    /// `MATCH_*` parameter with the fewest values; `None` when the query has no `MATCH_*`
    /// parameter (every event is a candidate).
    pub fn identifier_candidates(&self) -> Option<Vec<String>> {
        [
            &self.epcs,
            &self.any_epcs,
            &self.epc_classes,
            &self.any_epc_classes,
        ]
        .into_iter()
        .flatten()
        .min_by_key(|s| s.len())
        .map(|s| s.iter().cloned().collect())
    }
}

/// Every identifier of an event that a `MATCH_*` parameter can match (`parentID`, `epcList`,
/// `childEPCs`, `inputEPCList`, `outputEPCList` and the `epcClass` of every quantity list),
/// in the normal form queries compare in (canonical GS1 Digital Link, else as written),
/// sorted and without duplicates: the keys of an index for
/// [`EventQuery::identifier_candidates`].
pub fn indexed_identifiers(event: &Map<String, Value>) -> Vec<String> {
    let mut ids = Vec::new();
    ids_of(event, ANY_EPC_FIELDS, &mut ids);
    classes_of(event, ANY_CLASS_FIELDS, &mut ids);
    ids.into_iter()
        .map(id_key)
        .collect::<BTreeSet<String>>()
        .into_iter()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::path::PathBuf;

    const SGTIN_2018_URN: &str = "urn:epc:id:sgtin:0614141.107346.2018";
    const SGTIN_2018_DL: &str = "https://id.gs1.org/01/10614141073464/21/2018";
    const SGLN_400_URN: &str = "urn:epc:id:sgln:0012345.11111.400";
    const SGLN_400_DL: &str = "https://id.gs1.org/414/0012345111112/254/400";
    const SGLN_0_URN: &str = "urn:epc:id:sgln:0012345.11111.0";
    const SGLN_0_DL: &str = "https://id.gs1.org/414/0012345111112";

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    fn q(p: &[(&str, &str)]) -> EventQuery {
        EventQuery::parse(&pairs(p)).unwrap_or_else(|e| panic!("{p:?}: {e}"))
    }

    fn err(p: &[(&str, &str)]) -> QueryError {
        match EventQuery::parse(&pairs(p)) {
            Ok(q) => panic!("{p:?} parsed: {q:?}"),
            Err(e) => e,
        }
    }

    fn invalid_param(e: &QueryError) -> &str {
        match e {
            QueryError::Invalid { param, .. } => param,
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    fn ev(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            other => panic!("not an object: {other}"),
        }
    }

    /// Match with a record time that no record-time filter in these tests excludes.
    fn hit(query: &EventQuery, event: &Map<String, Value>) -> bool {
        query.matches(event, 0)
    }

    fn object_event() -> Map<String, Value> {
        ev(json!({
            "type": "ObjectEvent",
            "eventID": "urn:uuid:6a1e3a14-0000-4000-8000-000000000001",
            "action": "OBSERVE",
            "eventTime": "2020-01-01T08:00:00+08:00",
            "eventTimeZoneOffset": "+08:00",
            "bizStep": "shipping",
            "disposition": "in_transit",
            "epcList": [SGTIN_2018_URN],
            "quantityList": [{"epcClass": "urn:epc:class:lgtin:4012345.012345.998877", "quantity": 2}],
            "readPoint": {"id": SGLN_400_URN},
            "bizLocation": {"id": SGLN_0_URN}
        }))
    }

    /// `$TRACECHAIN_CONFORMANCE_DIR/epcis/examples`, else `<repo>/../shared/testdata/epcis/examples`
    /// (as `tests/common` locates the shared data; never copied into the project).
    fn example(name: &str) -> (Vec<Map<String, Value>>, Context) {
        let base = match std::env::var_os("TRACECHAIN_CONFORMANCE_DIR") {
            Some(d) => PathBuf::from(d),
            None => PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/testdata"
            )),
        };
        let path = base.join("epcis/examples").join(name);
        let bytes = std::fs::read(&path).unwrap_or_else(|e| {
            panic!(
                "cannot read {} ({e}); set TRACECHAIN_CONFORMANCE_DIR to the folder holding epcis/",
                path.display()
            )
        });
        let doc = crate::Document::parse(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        let ctx = doc.context.clone();
        (doc.events.into_iter().map(|e| e.raw).collect(), ctx)
    }

    // ---- parsing ----

    #[test]
    fn empty_query_is_default_and_matches_everything() {
        let query = q(&[]);
        assert_eq!(query, EventQuery::default());
        assert_eq!(query.per_page, DEFAULT_PER_PAGE);
        assert_eq!(query.next_page_token, None);
        assert_eq!(query.identifier_candidates(), None);
        assert!(hit(&query, &object_event()));
        assert!(hit(&query, &Map::new()));
    }

    #[test]
    fn unknown_parameters_are_unsupported() {
        for name in [
            "foo",
            "eventtype",
            "EVENTTYPE",
            "WD_readPoint",
            "EQ_quantity",
            "orderBy",
            "MATCH_parentID",
            "",
        ] {
            assert_eq!(
                err(&[("eventType", "ObjectEvent"), (name, "x")]),
                QueryError::Unsupported(name.to_string()),
                "{name}"
            );
        }
        let msg = err(&[("foo", "x")]).to_string();
        assert!(
            msg.contains("\"foo\"") && msg.contains("MATCH_anyEPCClass"),
            "{msg}"
        );
        // A hostile name is echoed only in part.
        let long = "é".repeat(1000);
        match err(&[(long.as_str(), "x")]) {
            QueryError::Unsupported(n) => assert!(n.len() <= MAX_ECHOED_BYTES + '…'.len_utf8()),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn repeated_parameters_are_refused() {
        assert_eq!(
            err(&[("EQ_bizStep", "shipping"), ("EQ_bizStep", "receiving")]),
            QueryError::Repeated("EQ_bizStep".into())
        );
        assert_eq!(
            err(&[
                ("perPage", "5"),
                ("eventType", "ObjectEvent"),
                ("perPage", "5")
            ]),
            QueryError::Repeated("perPage".into())
        );
        assert_eq!(
            err(&[
                ("GE_eventTime", "2020-01-01T00:00:00Z"),
                ("GE_eventTime", "2020-01-01T00:00:00Z")
            ]),
            QueryError::Repeated("GE_eventTime".into())
        );
        assert!(
            err(&[("MATCH_epc", SGTIN_2018_URN), ("MATCH_epc", SGTIN_2018_URN)])
                .to_string()
                .contains("'|'")
        );
    }

    #[test]
    fn per_page_bounds() {
        assert_eq!(q(&[("perPage", "1")]).per_page, 1);
        assert_eq!(q(&[("perPage", "1000")]).per_page, MAX_PER_PAGE);
        assert_eq!(q(&[("perPage", "007")]).per_page, 7);
        for bad in [
            "0",
            "1001",
            "abc",
            "-1",
            "+5",
            " 5",
            "5.0",
            "",
            "1e3",
            "99999999999999999999999999999",
        ] {
            let e = err(&[("perPage", bad)]);
            assert_eq!(invalid_param(&e), "perPage", "{bad:?}");
            if !bad.is_empty() {
                assert!(e.to_string().contains("1 to 1000"), "{e}");
            }
        }
    }

    #[test]
    fn next_page_token_is_kept_opaque() {
        let query = q(&[(
            "nextPageToken",
            "3A15506738749783AU6D7DENAKwM2gQRRwGrataeq|x",
        )]);
        assert_eq!(
            query.next_page_token.as_deref(),
            Some("3A15506738749783AU6D7DENAKwM2gQRRwGrataeq|x")
        );
        assert_eq!(
            invalid_param(&err(&[("nextPageToken", "")])),
            "nextPageToken"
        );
        let long = "a".repeat(MAX_QUERY_VALUE_BYTES + 1);
        assert_eq!(
            invalid_param(&err(&[("nextPageToken", &long)])),
            "nextPageToken"
        );
    }

    #[test]
    fn value_count_and_size_limits() {
        let ok: Vec<String> = (0..MAX_QUERY_VALUES)
            .map(|i| format!("urn:uuid:{i}"))
            .collect();
        q(&[("EQ_eventID", &ok.join("|"))]);
        let too_many: Vec<String> = (0..=MAX_QUERY_VALUES)
            .map(|i| format!("urn:uuid:{i}"))
            .collect();
        let e = err(&[("EQ_eventID", &too_many.join("|"))]);
        assert_eq!(invalid_param(&e), "EQ_eventID");
        assert!(e.to_string().contains("64"), "{e}");
        // Many empty values: refused at the count or at the first empty value, never read on.
        let pipes = "|".repeat(100_000);
        assert_eq!(invalid_param(&err(&[("eventType", &pipes)])), "eventType");

        let long = format!("urn:x:{}", "a".repeat(MAX_QUERY_VALUE_BYTES));
        assert_eq!(invalid_param(&err(&[("MATCH_epc", &long)])), "MATCH_epc");
        let at_limit = format!("urn:x:{}", "a".repeat(MAX_QUERY_VALUE_BYTES - 6));
        q(&[("MATCH_epc", &at_limit)]);

        for v in ["", "shipping|", "|shipping", "shipping||receiving"] {
            let e = err(&[("EQ_bizStep", v)]);
            assert_eq!(invalid_param(&e), "EQ_bizStep", "{v:?}");
            assert!(e.to_string().contains("empty"), "{e}");
        }
    }

    #[test]
    fn error_messages_are_actionable() {
        let e = err(&[("eventType", "ObjectEvnt")]).to_string();
        assert!(
            e.contains("eventType") && e.contains("ObjectEvnt") && e.contains("AssociationEvent"),
            "{e}"
        );
        let e = err(&[("EQ_action", "add")]).to_string();
        assert!(e.contains("ADD, OBSERVE or DELETE"), "{e}");
        let e = err(&[("EQ_bizStep", "Shipping")]).to_string();
        assert!(e.contains("bare words"), "{e}");
        let e = err(&[("GE_eventTime", "2020-01-01T08:00:00 08:00")]).to_string();
        assert!(e.contains("%2B"), "{e}");
        let e = err(&[("MATCH_epcClass", "urn:epc:idpat:sgtin:4012345.098765.*")]).to_string();
        assert!(
            e.contains("pattern") && e.contains("https://id.gs1.org/01/04012345987652"),
            "{e}"
        );
        let long = format!("{}é", "x".repeat(MAX_ECHOED_BYTES - 1));
        let e = err(&[("EQ_disposition", &long)]).to_string();
        assert!(e.contains('…') && !e.contains(&long), "{e}");
    }

    // ---- eventType, EQ_action, EQ_eventID ----

    #[test]
    fn event_type() {
        let e = object_event();
        assert!(hit(&q(&[("eventType", "ObjectEvent")]), &e));
        assert!(hit(
            &q(&[("eventType", "AggregationEvent|ObjectEvent")]),
            &e
        ));
        assert!(!hit(&q(&[("eventType", "AggregationEvent")]), &e));
        assert!(!hit(
            &q(&[("eventType", "ObjectEvent")]),
            &ev(json!({"eventTime": "2020-01-01T00:00:00Z"}))
        ));
        assert!(!hit(
            &q(&[("eventType", "ObjectEvent")]),
            &ev(json!({"type": ["ObjectEvent"]}))
        ));
        for bad in ["objectEvent", "QuantityEvent", "ex:MyEvent", " ObjectEvent"] {
            assert_eq!(
                invalid_param(&err(&[("eventType", bad)])),
                "eventType",
                "{bad}"
            );
        }
    }

    #[test]
    fn eq_action() {
        let e = object_event();
        assert!(hit(&q(&[("EQ_action", "OBSERVE")]), &e));
        assert!(hit(&q(&[("EQ_action", "ADD|OBSERVE")]), &e));
        assert!(!hit(&q(&[("EQ_action", "ADD|DELETE")]), &e));
        let mut no_action = e.clone();
        no_action.remove("action");
        assert!(!hit(&q(&[("EQ_action", "ADD|OBSERVE|DELETE")]), &no_action));
        for bad in ["add", "Observe", "UPDATE"] {
            assert_eq!(invalid_param(&err(&[("EQ_action", bad)])), "EQ_action");
        }
    }

    #[test]
    fn eq_event_id() {
        let e = object_event();
        let id = "urn:uuid:6a1e3a14-0000-4000-8000-000000000001";
        assert!(hit(&q(&[("EQ_eventID", id)]), &e));
        assert!(hit(
            &q(&[("EQ_eventID", &format!("urn:uuid:other|{id}"))]),
            &e
        ));
        assert!(!hit(
            &q(&[(
                "EQ_eventID",
                "urn:uuid:6A1E3A14-0000-4000-8000-000000000001"
            )]),
            &e
        ));
        let mut no_id = e.clone();
        no_id.remove("eventID");
        assert!(!hit(&q(&[("EQ_eventID", id)]), &no_id));
        assert_eq!(
            invalid_param(&err(&[("EQ_eventID", "not a uri")])),
            "EQ_eventID"
        );
    }

    // ---- times ----

    #[test]
    fn event_time_bounds_are_half_open_and_respect_offsets() {
        // The event's eventTime 2020-01-01T08:00:00+08:00 is 2020-01-01T00:00:00Z.
        let e = object_event();
        for same in [
            "2020-01-01T00:00:00Z",
            "2020-01-01T00:00:00.000Z",
            "2020-01-01T08:00:00+08:00",
            "2019-12-31T19:00:00-05:00",
        ] {
            assert!(hit(&q(&[("GE_eventTime", same)]), &e), "GE {same}");
            assert!(!hit(&q(&[("LT_eventTime", same)]), &e), "LT {same}");
        }
        assert!(hit(&q(&[("LT_eventTime", "2020-01-01T00:00:00.001Z")]), &e));
        assert!(!hit(
            &q(&[("GE_eventTime", "2020-01-01T00:00:00.001Z")]),
            &e
        ));
        assert!(hit(&q(&[("GE_eventTime", "2019-12-31T23:59:59.999Z")]), &e));
        assert!(hit(
            &q(&[
                ("GE_eventTime", "2020-01-01T00:00:00Z"),
                ("LT_eventTime", "2020-01-01T00:00:00.001Z")
            ]),
            &e
        ));
        // An empty range matches nothing (not an error).
        assert!(!hit(
            &q(&[
                ("GE_eventTime", "2020-01-02T00:00:00Z"),
                ("LT_eventTime", "2020-01-01T00:00:00Z")
            ]),
            &e
        ));
        // Missing or unreadable eventTime never matches a time bound.
        for t in [json!(null), json!("yesterday"), json!(1577836800000_i64)] {
            let mut bad = e.clone();
            bad.insert("eventTime".into(), t);
            assert!(!hit(&q(&[("GE_eventTime", "1970-01-01T00:00:00Z")]), &bad));
        }
        let mut none = e.clone();
        none.remove("eventTime");
        assert!(!hit(&q(&[("LT_eventTime", "9999-01-01T00:00:00Z")]), &none));
    }

    #[test]
    fn record_time_bounds_judge_the_repository_time() {
        let e = object_event();
        let t0 = 1_577_836_800_000; // 2020-01-01T00:00:00Z
        let ge = q(&[("GE_recordTime", "2020-01-01T08:00:00+08:00")]);
        assert!(ge.matches(&e, t0));
        assert!(!ge.matches(&e, t0 - 1));
        let lt = q(&[("LT_recordTime", "2020-01-01T00:00:00Z")]);
        assert!(!lt.matches(&e, t0));
        assert!(lt.matches(&e, t0 - 1));
        // The event's own recordTime field is not what is judged.
        let mut with_rt = e.clone();
        with_rt.insert("recordTime".into(), json!("2030-01-01T00:00:00Z"));
        assert!(lt.matches(&with_rt, t0 - 1));
        // The record-time bound does not look at eventTime.
        assert!(!q(&[("GE_recordTime", "2020-01-01T00:00:00.001Z")]).matches(&e, t0));
    }

    #[test]
    fn bad_times_are_invalid() {
        for p in [
            "GE_eventTime",
            "LT_eventTime",
            "GE_recordTime",
            "LT_recordTime",
        ] {
            for bad in [
                "2020-01-01",
                "2020-01-01T00:00:00",
                "2020-01-01T00:00Z",
                "2020-02-30T00:00:00Z",
                "2020-01-01T00:00:00+15:00",
                "2020-01-01 00:00:00Z",
                "now",
                "2020-01-01T00:00:00Z|2021-01-01T00:00:00Z",
            ] {
                assert_eq!(invalid_param(&err(&[(p, bad)])), p, "{p}={bad}");
            }
        }
    }

    // ---- vocabularies ----

    #[test]
    fn biz_step_bare_full_legacy_and_compact_match_each_other() {
        let forms = [
            "shipping",
            "https://ref.gs1.org/cbv/BizStep-shipping",
            "urn:epcglobal:cbv:bizstep:shipping",
            "cbv:BizStep-shipping",
        ];
        for in_event in forms {
            let mut e = object_event();
            e.insert("bizStep".into(), json!(in_event));
            for in_query in forms {
                assert!(
                    hit(&q(&[("EQ_bizStep", in_query)]), &e),
                    "{in_query} vs {in_event}"
                );
                assert!(
                    !hit(
                        &q(&[("EQ_bizStep", &in_query.replace("shipping", "receiving"))]),
                        &e
                    ),
                    "{in_query} vs {in_event}"
                );
            }
        }
        assert!(hit(
            &q(&[("EQ_bizStep", "receiving|shipping")]),
            &object_event()
        ));
        // A disposition word is not a business step.
        assert_eq!(
            invalid_param(&err(&[("EQ_bizStep", "in_transit")])),
            "EQ_bizStep"
        );
        assert_eq!(
            invalid_param(&err(&[("EQ_bizStep", "Shipping")])),
            "EQ_bizStep"
        );
        assert_eq!(
            invalid_param(&err(&[("EQ_bizStep", "ship ping:x")])),
            "EQ_bizStep"
        );
    }

    #[test]
    fn disposition_forms_and_missing_field() {
        let e = object_event();
        for v in [
            "in_transit",
            "https://ref.gs1.org/cbv/Disp-in_transit",
            "urn:epcglobal:cbv:disp:in_transit",
            "damaged|in_transit",
        ] {
            assert!(hit(&q(&[("EQ_disposition", v)]), &e), "{v}");
        }
        assert!(!hit(&q(&[("EQ_disposition", "in_progress")]), &e));
        // Same word, other vocabulary.
        assert!(!hit(
            &q(&[(
                "EQ_disposition",
                "https://ref.gs1.org/cbv/BizStep-in_transit"
            )]),
            &e
        ));
        assert_eq!(
            invalid_param(&err(&[("EQ_disposition", "shipping")])),
            "EQ_disposition"
        );
        let mut none = e.clone();
        none.remove("disposition");
        none.remove("bizStep");
        assert!(!hit(&q(&[("EQ_disposition", "in_transit")]), &none));
        assert!(!hit(&q(&[("EQ_bizStep", "shipping")]), &none));
        none.insert("bizStep".into(), json!(null));
        assert!(!hit(&q(&[("EQ_bizStep", "shipping")]), &none));
    }

    #[test]
    fn custom_vocabulary_compact_iri_uses_the_document_context() {
        let mut e = object_event();
        e.insert("bizStep".into(), json!("ex:blending"));
        let query = q(&[("EQ_bizStep", "https://ns.example.com/voc/blending")]);
        // Without the prefix, the compact IRI stays as written and does not match the full IRI.
        assert!(!hit(&query, &e));
        assert!(hit(&q(&[("EQ_bizStep", "ex:blending")]), &e));
        let ctx = Context::from_value(Some(&json!({"ex": "https://ns.example.com/voc/"})));
        assert!(query.matches_in(&e, 0, &ctx));
        // An event-level @context counts too.
        e.insert(
            "@context".into(),
            json!({"ex": "https://ns.example.com/voc/"}),
        );
        assert!(hit(&query, &e));
    }

    // ---- locations ----

    #[test]
    fn read_point_and_biz_location_urn_and_dl_match_both_ways() {
        let e = object_event();
        assert!(hit(&q(&[("EQ_readPoint", SGLN_400_URN)]), &e));
        assert!(hit(&q(&[("EQ_readPoint", SGLN_400_DL)]), &e));
        assert!(hit(
            &q(&[(
                "EQ_readPoint",
                "https://example.com/gln/0012345111112/254/400"
            )]),
            &e
        ));
        assert!(hit(&q(&[("EQ_bizLocation", SGLN_0_DL)]), &e));
        // The extension matters: 0012345.11111.0 is not 0012345.11111.400.
        assert!(!hit(&q(&[("EQ_readPoint", SGLN_0_DL)]), &e));
        assert!(!hit(&q(&[("EQ_bizLocation", SGLN_400_URN)]), &e));
        assert!(hit(
            &q(&[("EQ_bizLocation", &format!("{SGLN_400_URN}|{SGLN_0_URN}"))]),
            &e
        ));

        let mut dl = e.clone();
        dl.insert("readPoint".into(), json!({"id": SGLN_400_DL}));
        dl.insert("bizLocation".into(), json!({"id": SGLN_0_DL}));
        assert!(hit(
            &q(&[
                ("EQ_readPoint", SGLN_400_URN),
                ("EQ_bizLocation", SGLN_0_URN)
            ]),
            &dl
        ));

        // Non-GS1 locations compare as written.
        let mut private = e.clone();
        private.insert(
            "readPoint".into(),
            json!({"id": "https://example.com/dock/7"}),
        );
        assert!(hit(
            &q(&[("EQ_readPoint", "https://example.com/dock/7")]),
            &private
        ));
        assert!(!hit(
            &q(&[("EQ_readPoint", "https://example.com/dock/70")]),
            &private
        ));

        // Missing, null or mis-shaped location never matches.
        for rp in [
            json!(null),
            json!(SGLN_400_URN),
            json!({}),
            json!({"id": 7}),
        ] {
            let mut bad = e.clone();
            bad.insert("readPoint".into(), rp);
            assert!(!hit(&q(&[("EQ_readPoint", SGLN_400_URN)]), &bad));
        }
        let mut none = e.clone();
        none.remove("bizLocation");
        assert!(!hit(&q(&[("EQ_bizLocation", SGLN_0_URN)]), &none));
        assert_eq!(
            invalid_param(&err(&[("EQ_readPoint", "dock 7")])),
            "EQ_readPoint"
        );
    }

    // ---- identifiers ----

    #[test]
    fn match_epc_urn_and_dl_both_ways_in_epc_list_and_child_epcs() {
        let e = object_event(); // epcList holds the URN
        assert!(hit(&q(&[("MATCH_epc", SGTIN_2018_URN)]), &e));
        assert!(hit(&q(&[("MATCH_epc", SGTIN_2018_DL)]), &e));
        assert!(hit(
            &q(&[(
                "MATCH_epc",
                "https://example.com/01/10614141073464/21/2018?linkType=all"
            )]),
            &e
        ));
        assert!(!hit(
            &q(&[("MATCH_epc", "urn:epc:id:sgtin:0614141.107346.2017")]),
            &e
        ));
        // A GTIN without serial is not a pattern here: exact match only.
        assert!(!hit(
            &q(&[("MATCH_epc", "https://id.gs1.org/01/10614141073464")]),
            &e
        ));

        let agg = ev(json!({
            "type": "AggregationEvent", "action": "ADD",
            "eventTime": "2020-01-01T00:00:00Z",
            "parentID": "urn:epc:id:sscc:0614141.1234567890",
            "childEPCs": [SGTIN_2018_DL]
        }));
        assert!(hit(&q(&[("MATCH_epc", SGTIN_2018_URN)]), &agg));
        assert!(hit(&q(&[("MATCH_epc", SGTIN_2018_DL)]), &agg));
        // parentID is not looked at by MATCH_epc, only by MATCH_anyEPC.
        let sscc_dl = "https://id.gs1.org/00/106141412345678908";
        assert!(!hit(
            &q(&[("MATCH_epc", "urn:epc:id:sscc:0614141.1234567890")]),
            &agg
        ));
        assert!(hit(
            &q(&[("MATCH_anyEPC", "urn:epc:id:sscc:0614141.1234567890")]),
            &agg
        ));
        assert!(hit(&q(&[("MATCH_anyEPC", sscc_dl)]), &agg));
        // An event without EPC fields never matches.
        assert!(!hit(
            &q(&[("MATCH_epc", SGTIN_2018_URN)]),
            &ev(json!({"type": "ObjectEvent"}))
        ));
        assert!(!hit(
            &q(&[("MATCH_anyEPC", SGTIN_2018_URN)]),
            &ev(json!({"type": "ObjectEvent"}))
        ));
    }

    #[test]
    fn match_any_epc_covers_transformation_lists() {
        let t = ev(json!({
            "type": "TransformationEvent",
            "eventTime": "2020-01-01T00:00:00Z",
            "inputEPCList": ["urn:epc:id:sgtin:4012345.011122.25"],
            "outputEPCList": ["https://id.gs1.org/01/04012345778892/21/26"]
        }));
        assert!(hit(
            &q(&[("MATCH_anyEPC", "https://id.gs1.org/01/04012345111224/21/25")]),
            &t
        ));
        assert!(hit(
            &q(&[("MATCH_anyEPC", "urn:epc:id:sgtin:4012345.077889.26")]),
            &t
        ));
        assert!(!hit(
            &q(&[("MATCH_epc", "urn:epc:id:sgtin:4012345.011122.25")]),
            &t
        ));
        assert!(!hit(
            &q(&[("MATCH_anyEPC", "urn:epc:id:sgtin:4012345.077889.27")]),
            &t
        ));
    }

    #[test]
    fn match_epc_class_and_any_epc_class() {
        let lgtin_urn = "urn:epc:class:lgtin:4012345.012345.998877";
        let lgtin_dl = "https://id.gs1.org/01/04012345123456/10/998877";
        let e = object_event(); // quantityList holds the URN
        assert!(hit(&q(&[("MATCH_epcClass", lgtin_urn)]), &e));
        assert!(hit(&q(&[("MATCH_epcClass", lgtin_dl)]), &e));
        assert!(hit(&q(&[("MATCH_anyEPCClass", lgtin_dl)]), &e));
        assert!(!hit(
            &q(&[(
                "MATCH_epcClass",
                "urn:epc:class:lgtin:4012345.012345.998876"
            )]),
            &e
        ));
        // Classes are not EPCs and EPCs are not classes.
        assert!(!hit(&q(&[("MATCH_epc", lgtin_urn)]), &e));
        assert!(!hit(&q(&[("MATCH_epcClass", SGTIN_2018_URN)]), &e));

        let t = ev(json!({
            "type": "TransformationEvent",
            "eventTime": "2020-01-01T00:00:00Z",
            "inputQuantityList": [{"epcClass": lgtin_dl, "quantity": 1}],
            "outputQuantityList": [{"epcClass": "https://id.gs1.org/01/04012345111118", "quantity": 1}]
        }));
        assert!(!hit(&q(&[("MATCH_epcClass", lgtin_urn)]), &t));
        assert!(hit(&q(&[("MATCH_anyEPCClass", lgtin_urn)]), &t));
        let child = ev(json!({
            "type": "AggregationEvent",
            "childQuantityList": [{"epcClass": lgtin_urn}, {"quantity": 3}, "junk", 5]
        }));
        assert!(hit(&q(&[("MATCH_epcClass", lgtin_dl)]), &child));
    }

    #[test]
    fn epc_patterns_and_non_uris_are_invalid() {
        for p in [
            "MATCH_epc",
            "MATCH_anyEPC",
            "MATCH_epcClass",
            "MATCH_anyEPCClass",
        ] {
            for bad in [
                "urn:epc:idpat:sgtin:0614141.107346.*",
                "urn:epc:idpat:sgtin:0614141.*.*",
                "0614141.107346.2018",
                "urn:epc:id:sgtin:0614141.107346.2018 ",
            ] {
                let e = err(&[(p, &format!("{SGTIN_2018_URN}|{bad}"))]);
                assert_eq!(invalid_param(&e), p, "{p}={bad}");
            }
            let e = err(&[(p, "urn:epc:idpat:sgtin:0614141.107346.*")]).to_string();
            assert!(e.contains("pattern"), "{e}");
        }
    }

    // ---- combinations ----

    #[test]
    fn and_across_parameters_or_within() {
        let e = object_event();
        assert!(hit(
            &q(&[
                ("eventType", "ObjectEvent|AggregationEvent"),
                ("EQ_bizStep", "receiving|shipping"),
                ("EQ_disposition", "in_transit"),
                (
                    "MATCH_epc",
                    &format!("urn:epc:id:sgtin:0614141.107346.2017|{SGTIN_2018_DL}")
                ),
                ("EQ_readPoint", SGLN_400_DL),
                ("GE_eventTime", "2020-01-01T00:00:00Z"),
                ("LT_eventTime", "2020-01-02T00:00:00Z"),
                ("EQ_action", "OBSERVE"),
            ]),
            &e
        ));
        // Each single failing parameter makes the whole query fail.
        for (p, v) in [
            ("eventType", "AggregationEvent"),
            ("EQ_bizStep", "receiving"),
            ("EQ_disposition", "in_progress"),
            ("MATCH_epc", "urn:epc:id:sgtin:0614141.107346.2017"),
            ("EQ_readPoint", SGLN_0_DL),
            ("LT_eventTime", "2020-01-01T00:00:00Z"),
            ("EQ_action", "ADD"),
        ] {
            let mut params = vec![("eventType", "ObjectEvent"), ("EQ_bizStep", "shipping")];
            params.retain(|(n, _)| *n != p);
            params.push((p, v));
            assert!(!hit(&q(&params), &e), "{p}={v}");
        }
    }

    #[test]
    fn odd_events_never_panic() {
        let query = q(&[
            ("eventType", "ObjectEvent"),
            ("GE_eventTime", "2020-01-01T00:00:00Z"),
            ("EQ_bizStep", "shipping"),
            ("EQ_readPoint", SGLN_400_URN),
            ("MATCH_anyEPC", SGTIN_2018_URN),
            ("MATCH_anyEPCClass", SGTIN_2018_URN),
        ]);
        for e in [
            json!({}),
            json!({"type": 1, "eventTime": [], "bizStep": {}, "readPoint": "x", "epcList": "y"}),
            json!({"type": "ObjectEvent", "eventTime": "2020-01-01T00:00:00Z", "bizStep": "shipping",
                   "readPoint": {"id": SGLN_400_URN}, "epcList": [1, null, {}, "é"],
                   "parentID": ["a"], "quantityList": {"epcClass": SGTIN_2018_URN},
                   "@context": 5}),
            json!({"epcList": ["urn:epc:id:sgtin:", "urn:epc:id:sgln:...", "https://id.gs1.org/01/", "https://x/01/1234é"]}),
        ] {
            let e = ev(e);
            assert!(!query.matches(&e, i64::MIN));
            let _ = indexed_identifiers(&e);
        }
        // A lenient shape still matches where the value is there: parentID given as a list.
        let e = ev(json!({"type": "ObjectEvent", "parentID": [SGTIN_2018_DL]}));
        assert!(hit(&q(&[("MATCH_anyEPC", SGTIN_2018_URN)]), &e));
    }

    // ---- index support ----

    #[test]
    fn identifier_candidates_come_from_the_smallest_match_parameter() {
        assert_eq!(
            q(&[("EQ_bizStep", "shipping"), ("EQ_readPoint", SGLN_400_URN)])
                .identifier_candidates(),
            None
        );
        let query = q(&[
            (
                "MATCH_anyEPC",
                &format!("{SGTIN_2018_URN}|urn:epc:id:sgtin:0614141.107346.2017"),
            ),
            (
                "MATCH_epcClass",
                "urn:epc:class:lgtin:4012345.012345.998877",
            ),
        ]);
        assert_eq!(
            query.identifier_candidates(),
            Some(vec![
                "https://id.gs1.org/01/04012345123456/10/998877".to_string()
            ])
        );
        let query = q(&[(
            "MATCH_epc",
            &format!("{SGTIN_2018_URN}|{SGTIN_2018_DL}|urn:x:private"),
        )]);
        assert_eq!(
            query.identifier_candidates(),
            Some(vec![SGTIN_2018_DL.to_string(), "urn:x:private".to_string()])
        );
    }

    #[test]
    fn indexed_identifiers_are_canonical_sorted_and_unique() {
        let e = ev(json!({
            "type": "AggregationEvent",
            "parentID": "urn:epc:id:sscc:0614141.1234567890",
            "childEPCs": [SGTIN_2018_URN, SGTIN_2018_DL, "urn:x:private"],
            "childQuantityList": [{"epcClass": "urn:epc:idpat:sgtin:4012345.098765.*"}],
            "readPoint": {"id": SGLN_400_URN},
            "bizTransactionList": [{"bizTransaction": "urn:epc:id:gdti:0614141.00001.1618034"}]
        }));
        assert_eq!(
            indexed_identifiers(&e),
            vec![
                "https://id.gs1.org/00/106141412345678908".to_string(),
                "https://id.gs1.org/01/04012345987652".to_string(),
                SGTIN_2018_DL.to_string(),
                "urn:x:private".to_string(),
            ]
        );
    }

    /// Every event a MATCH_ query matches carries one of the query's candidates in its index
    /// keys (the index may be used without losing results).
    #[test]
    fn candidates_are_sound_for_the_examples() {
        let files = [
            "Example_9.6.1-ObjectEvent.jsonld",
            "Example_9.6.1-ObjectEventWithDigitalLink.jsonld",
            "Example_9.6.3-AggregationEvent.jsonld",
            "Example_9.6.4-TransformationEvent.jsonld",
            "event_with_identical_hash_id_7.json",
            "object_event_all_possible_fields.jsonld",
            "aggregation_event_all_possible_fields.jsonld",
            "transformation_event_all_possible_fields.jsonld",
            "transaction_event_all_possible_fields.jsonld",
            "association_event_all_possible_fields.jsonld",
        ];
        let events: Vec<Map<String, Value>> = files.iter().flat_map(|f| example(f).0).collect();
        let mut matched = 0;
        for e in &events {
            for id in indexed_identifiers(e) {
                for p in [
                    "MATCH_epc",
                    "MATCH_anyEPC",
                    "MATCH_epcClass",
                    "MATCH_anyEPCClass",
                ] {
                    let query = q(&[(p, &id)]);
                    let cands = query.identifier_candidates().unwrap();
                    for other in &events {
                        if query.matches(other, 0) {
                            matched += 1;
                            let keys = indexed_identifiers(other);
                            assert!(cands.iter().any(|c| keys.contains(c)), "{p}={id}");
                        }
                    }
                }
            }
        }
        assert!(matched > 20, "{matched}");
    }

    // ---- the GS1 examples ----

    #[test]
    fn example_object_events_urn_and_bizstep() {
        let (events, ctx) = example("Example_9.6.1-ObjectEvent.jsonld");
        let [shipping, receiving] = &events[..] else {
            panic!("two events expected");
        };
        let sel = |p: &[(&str, &str)]| -> Vec<bool> {
            let query = q(p);
            events
                .iter()
                .map(|e| query.matches_in(e, 0, &ctx))
                .collect()
        };
        assert_eq!(sel(&[("EQ_bizStep", "shipping")]), [true, false]);
        assert_eq!(
            sel(&[("EQ_bizStep", "urn:epcglobal:cbv:bizstep:receiving")]),
            [false, true]
        );
        assert_eq!(
            sel(&[("EQ_disposition", "https://ref.gs1.org/cbv/Disp-in_progress")]),
            [false, true]
        );
        // Both events carry serial 2018, only the first 2017; DL form of the query.
        assert_eq!(sel(&[("MATCH_epc", SGTIN_2018_DL)]), [true, true]);
        assert_eq!(
            sel(&[("MATCH_epc", "https://id.gs1.org/01/10614141073464/21/2017")]),
            [true, false]
        );
        assert_eq!(sel(&[("EQ_readPoint", SGLN_400_DL)]), [false, true]);
        assert_eq!(sel(&[("EQ_bizLocation", SGLN_0_DL)]), [false, true]);
        // eventTime 2005-04-03T20:33:31.116-06:00 = 2005-04-04T02:33:31.116Z.
        assert_eq!(
            sel(&[("GE_eventTime", "2005-04-04T02:33:31.116Z")]),
            [true, true]
        );
        assert_eq!(
            sel(&[("GE_eventTime", "2005-04-04T02:33:31.117Z")]),
            [false, true]
        );
        assert_eq!(
            sel(&[("LT_eventTime", "2005-04-04T02:33:31.116Z")]),
            [false, false]
        );
        assert_eq!(
            sel(&[("LT_eventTime", "2005-04-03T20:33:31.117-06:00")]),
            [true, false]
        );
        let id = shipping["eventID"].as_str().unwrap();
        assert_eq!(sel(&[("EQ_eventID", id)]), [true, false]);
        assert!(receiving.contains_key("bizLocation"));
    }

    #[test]
    fn example_digital_link_events_match_urn_queries() {
        let (events, _) = example("Example_9.6.1-ObjectEventWithDigitalLink.jsonld");
        // https://id.gs1.org/01/70614141123451/21/2017 as an SGTIN URN.
        let query = q(&[("MATCH_epc", "urn:epc:id:sgtin:0614141.712345.2017")]);
        let hits: Vec<bool> = events.iter().map(|e| hit(&query, e)).collect();
        assert_eq!(hits, [true, false]);
    }

    #[test]
    fn example_legacy_vocabulary_event() {
        let (events, ctx) = example("event_with_identical_hash_id_7.json");
        let e = &events[0];
        assert!(q(&[("EQ_bizStep", "receiving")]).matches_in(e, 0, &ctx));
        assert!(
            q(&[("EQ_bizStep", "https://ref.gs1.org/cbv/BizStep-receiving")])
                .matches_in(e, 0, &ctx)
        );
        assert!(q(&[("EQ_disposition", "in_progress")]).matches_in(e, 0, &ctx));
        assert!(!q(&[("EQ_disposition", "in_transit")]).matches_in(e, 0, &ctx));
        assert!(q(&[
            ("EQ_action", "ADD"),
            (
                "MATCH_epcClass",
                "https://id.gs1.org/01/04012345123456/10/998876"
            )
        ])
        .matches_in(e, 0, &ctx));
    }

    #[test]
    fn example_aggregation_and_transformation() {
        let (agg, _) = example("Example_9.6.3-AggregationEvent.jsonld");
        let a = &agg[0];
        assert!(hit(
            &q(&[("MATCH_anyEPC", "https://id.gs1.org/00/106141412345678908")]),
            a
        ));
        assert!(!hit(
            &q(&[("MATCH_epc", "https://id.gs1.org/00/106141412345678908")]),
            a
        ));
        assert!(hit(&q(&[("MATCH_epc", SGTIN_2018_DL)]), a));
        // The event's class pattern is the class of the GTIN: matched by that GTIN's DL.
        assert!(hit(
            &q(&[("MATCH_epcClass", "https://id.gs1.org/01/04012345987652")]),
            a
        ));
        assert!(hit(
            &q(&[("EQ_readPoint", "https://id.gs1.org/414/0614141007776")]),
            a
        ));
        assert!(hit(
            &q(&[("EQ_bizLocation", "urn:epc:id:sgln:0614141.00888.0")]),
            a
        ));
        assert!(!hit(
            &q(&[("EQ_bizLocation", "urn:epc:id:sgln:0614141.00777.0")]),
            a
        ));
        assert!(hit(
            &q(&[("eventType", "AggregationEvent"), ("EQ_action", "OBSERVE")]),
            a
        ));

        let (tr, _) = example("Example_9.6.4-TransformationEvent.jsonld");
        let t = &tr[0];
        let lgtin = "urn:epc:class:lgtin:0614141.077777.987";
        assert!(hit(&q(&[("MATCH_anyEPCClass", lgtin)]), t));
        assert!(!hit(&q(&[("MATCH_epcClass", lgtin)]), t));
        assert!(hit(
            &q(&[("MATCH_anyEPC", "urn:epc:id:sgtin:4012345.077889.28")]),
            t
        ));
        assert!(!hit(
            &q(&[("MATCH_epc", "urn:epc:id:sgtin:4012345.077889.28")]),
            t
        ));
        // TransformationEvents have no action: EQ_action never matches them.
        assert!(!hit(&q(&[("EQ_action", "ADD|OBSERVE|DELETE")]), t));
        assert!(hit(
            &q(&[
                ("EQ_bizStep", "commissioning"),
                ("EQ_readPoint", "https://id.gs1.org/414/4012345000016")
            ]),
            t
        ));
    }
}
