//! The CBV 2.0 event hash: `ni:///sha-256;<hex>?ver=CBV2.0` over a canonical pre-hash
//! string of the event (GS1 CBV 2.0, section "Event hash ID"), in the variant of the
//! reference implementation whose vectors tracechain tests against (ADR 0030):
//!
//! 1. `eventType=<type>`, then the standard fields in the fixed CBV order
//!    ([`PROP_ORDER`]), each rendered `name=value`, members of a list sorted, nested
//!    structures in their own fixed order, user extensions inside a structure appended
//!    (sorted) at the end of that structure ("kept in place");
//! 2. then everything else at event level — `bizTransactionList`, `sourceList`,
//!    `destinationList`, `ilmd`, top-level user extensions — rendered generically and
//!    sorted as strings; `eventID`, `recordTime` and `errorDeclaration` are left out.
//!
//! Values are normalised: times to UTC with millisecond precision (half-to-even),
//! numbers to their shortest form, EPC URNs and Digital Link URIs to the canonical
//! `https://id.gs1.org/…` form, bare CBV strings and legacy CBV URNs to CBV 2.0 web
//! vocabulary IRIs, compact IRIs to full IRIs, extension names to `{namespace}local`.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::context::Context;
use crate::vocab::{upgrade_legacy_urns, Vocab};
use crate::MAX_NESTING_DEPTH;

/// One node of the hash tree: a property name, its text and its members.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Node {
    name: String,
    text: String,
    children: Vec<Node>,
    /// Render members in the given order (a bizTransaction / source / destination entry:
    /// `type` first, then the identifier).
    keep_order: bool,
}

impl Node {
    fn leaf(name: &str, text: String) -> Node {
        Node {
            name: name.to_string(),
            text,
            children: Vec::new(),
            keep_order: false,
        }
    }
}

/// A property of the fixed order and the order of its members.
#[derive(Debug)]
pub struct Prop(&'static str, Option<&'static [Prop]>);

const EPC: &[Prop] = &[Prop("epc", None)];
const QTY: &[Prop] = &[Prop(
    "quantityElement",
    Some(&[
        Prop("epcClass", None),
        Prop("quantity", None),
        Prop("uom", None),
    ]),
)];
const SENSOR_METADATA: &[Prop] = &[
    Prop("time", None),
    Prop("startTime", None),
    Prop("endTime", None),
    Prop("deviceID", None),
    Prop("deviceMetadata", None),
    Prop("rawData", None),
    Prop("dataProcessingMethod", None),
    Prop("bizRules", None),
];
const SENSOR_REPORT: &[Prop] = &[
    Prop("type", None),
    Prop("exception", None),
    Prop("deviceID", None),
    Prop("deviceMetadata", None),
    Prop("rawData", None),
    Prop("dataProcessingMethod", None),
    Prop("time", None),
    Prop("microorganism", None),
    Prop("chemicalSubstance", None),
    Prop("value", None),
    Prop("component", None),
    Prop("stringValue", None),
    Prop("booleanValue", None),
    Prop("hexBinaryValue", None),
    Prop("uriValue", None),
    Prop("minValue", None),
    Prop("maxValue", None),
    Prop("meanValue", None),
    Prop("sDev", None),
    Prop("percRank", None),
    Prop("percValue", None),
    Prop("uom", None),
    Prop("coordinateReferenceSystem", None),
];

/// The canonical property order of the CBV 2.0 event hash (reference variant).
pub const PROP_ORDER: &[Prop] = &[
    Prop("eventTime", None),
    Prop("eventTimeZoneOffset", None),
    Prop("certificationInfo", None),
    Prop("parentID", None),
    Prop("epcList", Some(EPC)),
    Prop("inputEPCList", Some(EPC)),
    Prop("childEPCs", Some(EPC)),
    Prop("quantityList", Some(QTY)),
    Prop("childQuantityList", Some(QTY)),
    Prop("inputQuantityList", Some(QTY)),
    Prop("outputEPCList", Some(EPC)),
    Prop("outputQuantityList", Some(QTY)),
    Prop("action", None),
    Prop("transformationID", None),
    Prop("bizStep", None),
    Prop("disposition", None),
    Prop(
        "persistentDisposition",
        Some(&[Prop("set", None), Prop("unset", None)]),
    ),
    Prop("readPoint", Some(&[Prop("id", None)])),
    Prop("bizLocation", Some(&[Prop("id", None)])),
    Prop(
        "sensorElementList",
        Some(&[Prop(
            "sensorElement",
            Some(&[
                Prop("sensorMetadata", Some(SENSOR_METADATA)),
                Prop("sensorReport", Some(SENSOR_REPORT)),
            ]),
        )]),
    ),
];

/// Event-level properties that never enter the hash.
const NOT_HASHED: &[&str] = &["recordTime", "eventID", "type", "errorDeclaration"];

/// The vocabulary whose bare strings a property takes, given its parent property.
fn vocab_of(parent: &str, key: &str) -> Option<Vocab> {
    match (parent, key) {
        ("", "bizStep") => Some(Vocab::BizStep),
        ("", "disposition") | ("persistentDisposition", "set" | "unset") => {
            Some(Vocab::Disposition)
        }
        ("bizTransactionList", "type") => Some(Vocab::BizTransactionType),
        ("sourceList" | "destinationList", "type") => Some(Vocab::SourceDestType),
        ("errorDeclaration", "reason") => Some(Vocab::ErrorReason),
        ("sensorReport", "type") => Some(Vocab::MeasurementType),
        ("sensorReport", "exception") => Some(Vocab::SensorException),
        ("sensorReport", "component") => Some(Vocab::Component),
        _ => None,
    }
}

/// Python-style `repr` of a finite non-integral double: shortest round-trip digits,
/// fixed notation for decimal exponents -4..16, scientific (`1e-05`) otherwise.
fn float_repr(f: f64) -> String {
    let sci = format!("{:e}", f.abs());
    let (mant, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mant.chars().filter(char::is_ascii_digit).collect();
    let sign = if f < 0.0 { "-" } else { "" };
    if (-4..16).contains(&exp) {
        if exp >= 0 {
            let e = exp as usize;
            let (int, frac) = if digits.len() > e + 1 {
                (digits[..=e].to_string(), digits[e + 1..].to_string())
            } else {
                (
                    format!("{digits}{}", "0".repeat(e + 1 - digits.len())),
                    "0".to_string(),
                )
            };
            format!("{sign}{int}.{frac}")
        } else {
            format!("{sign}0.{}{digits}", "0".repeat((-exp - 1) as usize))
        }
    } else {
        let m = if digits.len() > 1 {
            format!("{}.{}", &digits[..1], &digits[1..])
        } else {
            digits.clone()
        };
        let es = if exp < 0 { "-" } else { "+" };
        format!("{sign}{m}e{es}{:02}", exp.abs())
    }
}

/// The text of a number: integral values as integers, others as shortest repr.
fn number_text(f: f64) -> Option<String> {
    if !f.is_finite() {
        return None;
    }
    if f.fract() == 0.0 {
        if f == 0.0 {
            return Some("0".to_string());
        }
        return Some(format!("{f:.0}"));
    }
    Some(float_repr(f))
}

/// Parse a decimal literal (`+1.50`, `.5`, `1e3`, `1_000`); `None` if not one.
fn parse_decimal(text: &str) -> Option<f64> {
    let b = text.as_bytes();
    let mut i = 0;
    let mut clean = String::with_capacity(b.len());
    if matches!(b.first(), Some(b'+' | b'-')) {
        if b[0] == b'-' {
            clean.push('-');
        }
        i = 1;
    }
    let mut mant_digits = 0;
    let mut prev_digit = false;
    let mut seen_dot = false;
    let mut seen_exp = false;
    let mut exp_digits = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            b'0'..=b'9' => {
                clean.push(c as char);
                if seen_exp {
                    exp_digits += 1;
                } else {
                    mant_digits += 1;
                }
                prev_digit = true;
            }
            b'_' => {
                if !prev_digit || !b.get(i + 1).is_some_and(u8::is_ascii_digit) {
                    return None;
                }
                prev_digit = false;
            }
            b'.' if !seen_dot && !seen_exp => {
                seen_dot = true;
                clean.push('.');
                prev_digit = false;
            }
            b'e' | b'E' if !seen_exp && mant_digits > 0 => {
                seen_exp = true;
                clean.push('e');
                prev_digit = false;
                if matches!(b.get(i + 1), Some(b'+' | b'-')) {
                    i += 1;
                    clean.push(b[i] as char);
                }
            }
            _ => return None,
        }
        i += 1;
    }
    if mant_digits == 0 || (seen_exp && exp_digits == 0) {
        return None;
    }
    clean.parse::<f64>().ok()
}

/// Normalise one value text: legacy CBV URNs → web vocabulary, numbers → shortest form,
/// GS1 identifiers → canonical Digital Link.
pub fn canonical_value(text: &str) -> String {
    let upgraded = upgrade_legacy_urns(text);
    let t = upgraded.as_deref().unwrap_or(text);
    let numeric = parse_decimal(t).and_then(number_text);
    let t = numeric.as_deref().unwrap_or(t);
    match crate::idnorm::normalise(t) {
        Some(dl) => dl,
        None => t.to_string(),
    }
}

/// Text of a JSON scalar as the hash sees it.
fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                u.to_string()
            } else if let Some(i) = n.as_i64() {
                i.to_string()
            } else {
                n.as_f64()
                    .and_then(number_text)
                    .unwrap_or_else(|| n.to_string())
            }
        }
        Value::Bool(true) => "True".to_string(),
        Value::Bool(false) => "False".to_string(),
        Value::Null => "None".to_string(),
        Value::Array(_) | Value::Object(_) => String::new(),
    }
}

/// Name of the members of a `…List` property.
fn member_name(list: &str) -> String {
    match list {
        "inputEPCList" | "outputEPCList" => "epc".to_string(),
        "quantityList" | "childQuantityList" | "inputQuantityList" | "outputQuantityList" => {
            "quantityElement".to_string()
        }
        _ => list.strip_suffix("List").unwrap_or(list).to_string(),
    }
}

struct Builder<'a> {
    ctx: &'a Context,
}

impl Builder<'_> {
    fn string_text(&self, s: &str, vocab: Option<Vocab>) -> String {
        if let Some(v) = vocab {
            if let Some(iri) = v.expand(s) {
                return iri;
            }
        }
        self.ctx.expand_value(s).unwrap_or_else(|| s.to_string())
    }

    /// One node for a value under `name` (objects become nested nodes).
    fn node(&self, name: &str, parent: &str, local: &str, v: &Value, depth: usize) -> Node {
        match v {
            Value::Object(map) => {
                let mut n = Node::leaf(name, String::new());
                n.children = self.members(map, local, depth + 1);
                if name == "quantity" && !n.children.is_empty() {
                    n.name = "quantityElement".to_string();
                }
                n
            }
            Value::Array(items) => {
                let mut n = Node::leaf(name, String::new());
                if depth < MAX_NESTING_DEPTH {
                    n.children = items
                        .iter()
                        .map(|it| self.node("", parent, local, it, depth + 1))
                        .collect();
                }
                n
            }
            Value::String(s) => Node::leaf(name, self.string_text(s, vocab_of(parent, local))),
            other => Node::leaf(name, scalar_text(other)),
        }
    }

    /// Nodes for the members of an object; `parent` is the object's own (local) name.
    fn members(&self, map: &Map<String, Value>, parent: &str, depth: usize) -> Vec<Node> {
        let mut out = Vec::with_capacity(map.len());
        if depth > MAX_NESTING_DEPTH {
            return out;
        }
        for (key, v) in map {
            if key.starts_with('@') || key == "#text" || key == "comment" || key == "rdfs:comment" {
                continue;
            }
            let (name, _) = self.ctx.expand_key(key);
            let items: Vec<&Value> = match v {
                Value::Array(a) => a.iter().collect(),
                other => vec![other],
            };
            if name.ends_with("List") {
                let special = matches!(
                    name.as_str(),
                    "bizTransactionList" | "sourceList" | "destinationList"
                );
                let member = member_name(&name);
                let mut list = Node::leaf(&name, String::new());
                for it in items {
                    let mut m = self.node(&member, &name, &name, it, depth + 1);
                    if special && !m.children.is_empty() {
                        // `type` first, then the identifier, then anything else.
                        m.children.sort_by_key(|c| match c.name.as_str() {
                            "type" => 0,
                            "bizTransaction" | "source" | "destination" => 1,
                            _ => 2,
                        });
                        m.name = String::new();
                        m.keep_order = true;
                    }
                    list.children.push(m);
                }
                out.push(list);
            } else if name == "childEPCs" {
                let mut list = Node::leaf(&name, String::new());
                for it in items {
                    list.children
                        .push(self.node("epc", &name, "epc", it, depth + 1));
                }
                out.push(list);
            } else {
                for it in items {
                    out.push(self.node(&name, parent, &name, it, depth + 1));
                }
            }
        }
        out
    }
}

/// Render nodes generically: `name[=value]members…`, siblings sorted as strings.
fn generic(nodes: &[Node], keep_order: bool) -> String {
    let mut parts: Vec<String> = nodes
        .iter()
        .map(|n| {
            let mut s = n.name.clone();
            let t = n.text.trim();
            if !t.is_empty() {
                s.push('=');
                s.push_str(&canonical_value(t));
            }
            s.push_str(&generic(&n.children, n.keep_order));
            s
        })
        .collect();
    if !keep_order {
        parts.sort();
    }
    parts.concat()
}

fn is_time_name(name: &str) -> bool {
    let l = name.to_ascii_lowercase();
    l.contains("time") && !l.contains("offset")
}

/// Render `list` in the fixed `order`; returns the text and the members not consumed.
fn ordered(mut list: Vec<Node>, order: &[Prop], top: bool) -> (String, Vec<Node>) {
    let mut out = String::new();
    let mut exts = Vec::new();
    if !top && list.len() > 1 {
        let (e, rest): (Vec<Node>, Vec<Node>) =
            list.into_iter().partition(|n| n.name.starts_with('{'));
        exts = e;
        list = rest;
    }
    for Prop(pname, sub) in order {
        let mut values = Vec::new();
        let mut keep = Vec::with_capacity(list.len());
        for mut child in list {
            if child.name != *pname {
                keep.push(child);
                continue;
            }
            let mut grand = String::new();
            if let Some(sub) = sub {
                let (s, rem) = ordered(std::mem::take(&mut child.children), sub, false);
                grand = s;
                child.children = rem;
            }
            let t = child.text.trim();
            let mut text = String::new();
            if !t.is_empty() {
                let v = if is_time_name(&child.name) {
                    crate::time::normalise_for_hash(t).unwrap_or_else(|| t.to_string())
                } else {
                    canonical_value(t)
                };
                if !v.is_empty() {
                    text = format!("={v}");
                }
            }
            if !text.is_empty() || !grand.is_empty() {
                values.push(format!("{}{text}{grand}", child.name));
            }
            if !child.children.is_empty() {
                keep.push(child);
            }
        }
        list = keep;
        values.sort();
        out.push_str(&values.concat());
    }
    if !exts.is_empty() {
        out.push_str(&generic(&exts, false));
    }
    (out, list)
}

/// The canonical pre-hash string of one event object.
pub fn prehash(event: &Map<String, Value>, ctx: &Context) -> String {
    let mut ctx_local;
    let ctx = match event.get("@context") {
        Some(c) => {
            ctx_local = ctx.clone();
            ctx_local.add(c);
            &ctx_local
        }
        None => ctx,
    };
    let event_type = event.get("type").map(scalar_text).unwrap_or_default();
    let b = Builder { ctx };
    let members = b.members(event, "", 1);
    let (head, rest) = ordered(members, PROP_ORDER, true);
    let rest: Vec<Node> = rest
        .into_iter()
        .filter(|n| !NOT_HASHED.contains(&n.name.as_str()))
        .collect();
    format!("eventType={event_type}{head}{}", generic(&rest, false))
}

/// `ni:///sha-256;<hex>?ver=CBV2.0` of a pre-hash string.
pub fn hash_id(prehash: &str) -> String {
    let digest = Sha256::digest(prehash.as_bytes());
    format!("ni:///sha-256;{}?ver=CBV2.0", hex::encode(digest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epcis_hash_number_forms() {
        assert_eq!(canonical_value("26.0"), "26");
        assert_eq!(canonical_value("+012.10"), "12.1");
        assert_eq!(canonical_value("0.00001"), "1e-05");
        assert_eq!(canonical_value("1.5e-7"), "1.5e-07");
        assert_eq!(canonical_value("1e3"), "1000");
        assert_eq!(canonical_value("0.0001"), "0.0001");
        assert_eq!(canonical_value("-0"), "0");
        assert_eq!(canonical_value("123456789.125"), "123456789.125");
        assert_eq!(
            canonical_value("12345678901234567890"),
            "12345678901234567168"
        );
        assert_eq!(canonical_value("2019-10-21"), "2019-10-21");
        assert_eq!(canonical_value("nan"), "nan");
    }
}
