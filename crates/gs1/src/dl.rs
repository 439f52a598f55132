//! GS1 Digital Link URIs (GS1 Digital Link URI Syntax 1.x) and the
//! constrained form CBV 2.0 allows inside EPCIS 2.0 events.
//!
//! * [`DigitalLink::parse`] — strict parser: `http`/`https` only (any case)
//!   followed by `//`; authority `host[:port]` without user information, the
//!   host a domain name, IPv4 address or bracketed IPv6 literal, the port
//!   1–65535; at most [`crate::MAX_INPUT_LEN`] bytes; no trailing
//!   slash or empty segments, path AIs must be a primary key followed by its
//!   qualifiers in the dictionary's `dlpkey` order (`01` then `22`, `10`, `21`
//!   — or `235`; `414` then `254`; `8010` then `8011`; …), a GTIN in the path must be 14
//!   digits, query AIs must be data attributes and must not be qualifiers that
//!   belong in the path, no AI may occur twice, and the dictionary's `req` /
//!   `ex` rules hold over path and query together. Percent-encoding is decoded
//!   (in the query, `+` is a space), in query parameter names too (RFC 3986
//!   §6.2.2.2: `%31%37` is AI 17), and `%` escapes in a path prefix must be
//!   well-formed. Query parameters whose decoded name is not all digits (e.g.
//!   `linkType`) and a `#fragment` are ignored and not retained.
//! * [`DigitalLink::from_element_string`] — generation from `(01)…(10)…`.
//! * [`DigitalLink::canonical`] — the same identifier on `https://id.gs1.org`
//!   with query attributes sorted by AI.
//! * [`validate_epcis_dl`] — the constrained form, per [`Role`].

use std::fmt;

use crate::ai::{
    check_associations, lookup, lookup_with, parse_element_string_with, validate_value_with, AiDef,
    AiElement, ParseOptions, MAX_INPUT_LEN,
};
use crate::chars::{percent_decode, percent_encode};
use crate::error::{shown, Gs1Error};
use crate::keys::string_type;

/// The canonical Digital Link stem (GS1 resolver).
pub const CANONICAL_STEM: &str = "https://id.gs1.org";

/// A parsed (or generated) GS1 Digital Link URI.
///
/// Holds the stem (`scheme://host[/prefix]`), the path elements (primary key
/// first, then qualifiers in standard order) and the query data attributes,
/// with unescaped values. `as_str`/`Display` give the URI with values
/// re-encoded (every character but `A-Z a-z 0-9 - . _ ~` percent-encoded).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DigitalLink(String, Parts);

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Parts {
    stem: String,
    path: Vec<AiElement>,
    query: Vec<AiElement>,
}

string_type!(DigitalLink);

impl Parts {
    fn render(&self) -> String {
        let mut out = self.stem.clone();
        for e in &self.path {
            out.push('/');
            out.push_str(&e.ai);
            out.push('/');
            out.push_str(&percent_encode(&e.value, false));
        }
        for (i, e) in self.query.iter().enumerate() {
            out.push(if i == 0 { '?' } else { '&' });
            out.push_str(&e.ai);
            out.push('=');
            out.push_str(&percent_encode(&e.value, true));
        }
        out
    }
}

/// Where an identifier sits in an EPCIS 2.0 event; CBV 2.0 allows a different
/// set of constrained Digital Link forms for each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// `epcList`, `childEPCs`, `inputEPCList`, `outputEPCList`, `parentID`.
    Instance,
    /// `quantityList` / `childQuantityList` `epcClass`.
    Class,
    /// `readPoint`, `bizLocation`, `source`, `destination`.
    LocationParty,
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::Instance => "instance-level identifiers",
            Role::Class => "class-level identifiers",
            Role::LocationParty => "locations and parties",
        })
    }
}

impl Role {
    fn allowed(self) -> &'static str {
        match self {
            Role::Instance => {
                "/00, /01/21, /01/235, /253 and /255 with serial, /401, /402, /8003 with serial, \
                 /8004, /8006/21, /8010/8011, /8017, /8018"
            }
            Role::Class => "/01, /01/10, /253, /255 and /8003 without serial, /8010",
            Role::LocationParty => "/414, /414/254, /417",
        }
    }
}

fn key_def(ai: &str) -> Option<&'static AiDef> {
    lookup(ai).filter(|d| d.pkey)
}

/// Whether `quals` is an order-preserving selection from one alternative
/// qualifier list of `key`.
fn is_valid_sequence(key: &AiDef, quals: &[&str]) -> bool {
    if quals.is_empty() {
        return true;
    }
    key.qualifiers.iter().any(|alt| {
        let mut it = alt.iter();
        quals.iter().all(|q| it.any(|a| a == q))
    })
}

fn describe_alternatives(key: &AiDef) -> String {
    if key.qualifiers.is_empty() {
        return "no qualifiers".into();
    }
    key.qualifiers
        .iter()
        .map(|alt| alt.iter().map(|q| format!("({q})")).collect::<String>())
        .collect::<Vec<_>>()
        .join(" or ")
}

fn ai_list(els: &[AiElement]) -> String {
    els.iter().map(|e| format!("({})", e.ai)).collect()
}

/// A valid path that no stem can change the meaning of: [`normalise_stem`]
/// appends it to a stem and parses the result.
const STEM_PROBE: &str = "/00/340123451111111111";

/// Validate and normalise a URI stem: `http[s]://host[:port][/prefix]`, no
/// query or fragment; one trailing `/` is dropped. Scheme and host are
/// lower-cased.
///
/// The stem is checked by [`DigitalLink::parse`] itself, on the stem followed
/// by a fixed key path, so that every link generated on it parses again:
/// the same rules for scheme, authority, characters, empty segments and `%`
/// escapes. Errors name the stem and give positions in it.
fn normalise_stem(stem: &str) -> Result<String, Gs1Error> {
    if stem.len() > MAX_INPUT_LEN {
        return Err(Gs1Error::TooLong {
            what: "Digital Link stem",
            found: stem.len(),
            max: MAX_INPUT_LEN,
        });
    }
    let bad = |reason: String| Gs1Error::InvalidUri {
        uri: shown(stem),
        reason,
    };
    let char_pos = |i: usize| stem.get(..i).map_or(i, |p| p.chars().count()) + 1;
    if let Some((i, c)) = stem.char_indices().find(|(_, c)| !c.is_ascii_graphic()) {
        return Err(bad(format!(
            "character {} {c:?} is not allowed in a URI (percent-encode it)",
            char_pos(i)
        )));
    }
    if let Some(i) = stem.find(['?', '#']) {
        return Err(bad(format!(
            "a stem has no query or fragment (character {})",
            char_pos(i)
        )));
    }
    let trimmed = stem.strip_suffix('/').unwrap_or(stem);
    let probe = format!("{trimmed}{STEM_PROBE}");
    let parsed = DigitalLink::parse(&probe).map_err(|e| match e {
        Gs1Error::InvalidUri { reason, .. } => bad(reason),
        Gs1Error::UnsupportedScheme { scheme, .. } => Gs1Error::UnsupportedScheme {
            uri: shown(stem),
            scheme,
        },
        e @ (Gs1Error::PercentEncoding { .. } | Gs1Error::TooLong { .. }) => e,
        other => bad(other.to_string()),
    })?;
    if parsed.as_str().strip_suffix(STEM_PROBE) != Some(parsed.stem()) {
        // The probe key was not read as the whole path: the stem is not one.
        return Err(bad("not a stem scheme://host[:port][/prefix]".into()));
    }
    Ok(parsed.stem().to_string())
}

/// Split `scheme "://" rest`. The scheme (RFC 3986: a letter, then letters,
/// digits, `+`, `-`, `.`) must be `http` or `https` in any case, and be
/// followed by `//` and an authority.
fn split_scheme(uri: &str) -> Result<(&'static str, &str), Gs1Error> {
    let no_scheme = || Gs1Error::InvalidUri {
        uri: shown(uri),
        reason: "not an http(s) URI: no scheme".into(),
    };
    let (scheme, rest) = uri.split_once(':').ok_or_else(no_scheme)?;
    let well_formed = scheme
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic())
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    if !well_formed {
        return Err(no_scheme());
    }
    let scheme = if scheme.eq_ignore_ascii_case("https") {
        "https"
    } else if scheme.eq_ignore_ascii_case("http") {
        "http"
    } else {
        return Err(Gs1Error::UnsupportedScheme {
            uri: shown(uri),
            scheme: shown(scheme),
        });
    };
    let Some(rest) = rest.strip_prefix("//") else {
        return Err(Gs1Error::InvalidUri {
            uri: shown(uri),
            reason: format!("{scheme}: must be followed by // and a host"),
        });
    };
    Ok((scheme, rest))
}

/// Check the authority of a Digital Link URI: `host [":" port]` (RFC 3986),
/// where the host is a domain name or an IP address, and no user
/// information. Errors say which part is wrong.
fn check_authority(uri: &str, authority: &str) -> Result<(), Gs1Error> {
    let bad = |reason: String| Gs1Error::InvalidUri {
        uri: shown(uri),
        reason,
    };
    if authority.is_empty() {
        return Err(bad("empty host".into()));
    }
    if authority.contains('@') {
        return Err(bad(
            "user information (user@) is not allowed before the host".into(),
        ));
    }
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let Some((literal, after)) = rest.split_once(']') else {
            return Err(bad("IP literal host has no closing ']'".into()));
        };
        if literal.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(bad(format!(
                "host [{}] is not an IPv6 address",
                shown(literal)
            )));
        }
        match after.strip_prefix(':') {
            Some(port) => (None, Some(port)),
            None if after.is_empty() => (None, None),
            None => return Err(bad("unexpected characters after the IP literal host".into())),
        }
    } else {
        match authority.split_once(':') {
            Some((h, p)) => (Some(h), Some(p)),
            None => (Some(authority), None),
        }
    };
    if let Some(host) = host {
        check_host(host).map_err(|reason| bad(format!("host {:?} {reason}", shown(host))))?;
    }
    if let Some(port) = port {
        let ok = !port.is_empty()
            && port.len() <= 5
            && port.bytes().all(|b| b.is_ascii_digit())
            && port.parse::<u16>().is_ok_and(|p| p > 0);
        if !ok {
            return Err(bad(format!(
                "port {:?} is not a number 1 to 65535",
                shown(port)
            )));
        }
    }
    Ok(())
}

/// A domain name (RFC 1123 labels: letters, digits and `-`, 1 to 63
/// characters, not starting or ending with `-`; at most 253 characters, one
/// trailing `.` allowed) or a dotted-decimal IPv4 address.
fn check_host(host: &str) -> Result<(), &'static str> {
    if host.is_empty() {
        return Err("is empty");
    }
    if host.parse::<std::net::Ipv4Addr>().is_ok() {
        return Ok(());
    }
    let name = host.strip_suffix('.').unwrap_or(host);
    if name.len() > 253 {
        return Err("is longer than 253 characters");
    }
    let labels: Vec<&str> = name.split('.').collect();
    for label in &labels {
        if label.is_empty() {
            return Err("has an empty label");
        }
        if label.len() > 63 {
            return Err("has a label longer than 63 characters");
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Err("is not a domain name (letters, digits, '-' and '.') or an IP address");
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err("has a label starting or ending with '-'");
        }
    }
    if labels
        .last()
        .is_some_and(|l| l.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err("is neither a domain name (its last label is all digits) nor an IPv4 address");
    }
    Ok(())
}

impl DigitalLink {
    /// Parse a Digital Link URI with default options (full validation: check
    /// digits and every linter; unknown AIs rejected).
    pub fn parse(uri: &str) -> Result<Self, Gs1Error> {
        Self::parse_with(uri, &ParseOptions::default())
    }

    /// Parse a Digital Link URI.
    pub fn parse_with(uri: &str, opts: &ParseOptions) -> Result<Self, Gs1Error> {
        if uri.is_empty() {
            return Err(Gs1Error::Empty {
                what: "Digital Link URI".into(),
            });
        }
        if uri.len() > MAX_INPUT_LEN {
            return Err(Gs1Error::TooLong {
                what: "Digital Link URI",
                found: uri.len(),
                max: MAX_INPUT_LEN,
            });
        }
        if let Some((i, c)) = uri.char_indices().find(|(_, c)| !c.is_ascii_graphic()) {
            return Err(Gs1Error::InvalidUri {
                uri: shown(uri),
                reason: format!(
                    "character {} {c:?} is not allowed in a URI (percent-encode it)",
                    uri.get(..i).map_or(0, |p| p.chars().count()) + 1
                ),
            });
        }
        let (scheme, rest) = split_scheme(uri)?;
        let Some(slash) = rest.find('/') else {
            return Err(Gs1Error::InvalidUri {
                uri: shown(uri),
                reason: "no path".into(),
            });
        };
        let authority = rest.get(..slash).unwrap_or_default();
        if authority.contains(['?', '#']) {
            return Err(Gs1Error::InvalidUri {
                uri: shown(uri),
                reason: "no path".into(),
            });
        }
        check_authority(uri, authority)?;
        let after = rest.get(slash..).unwrap_or_default();
        let after = after.split_once('#').map_or(after, |(a, _)| a);
        let (path, query) = match after.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (after, None),
        };
        if path.len() > 1 && path.ends_with('/') {
            return Err(Gs1Error::TrailingSlash { uri: shown(uri) });
        }
        let segments: Vec<&str> = path.get(1..).unwrap_or_default().split('/').collect();
        if let Some(i) = segments.iter().position(|s| s.is_empty()) {
            return Err(Gs1Error::InvalidUri {
                uri: shown(uri),
                reason: if segments.len() == 1 {
                    "no GS1 Digital Link path".into()
                } else {
                    format!("path segment {} is empty", i + 1)
                },
            });
        }

        // Walk (AI, value) pairs from the right until a primary key is found.
        let mut root = None;
        let mut bad_segment = None;
        let mut i = segments.len();
        while i >= 2 {
            let ai = segments.get(i - 2).copied().unwrap_or_default();
            match lookup(ai) {
                Some(d) if d.pkey => {
                    root = Some(i - 2);
                    break;
                }
                Some(_) => i -= 2,
                None => {
                    bad_segment = Some((i - 2, ai));
                    break;
                }
            }
        }
        let Some(root) = root else {
            return Err(match bad_segment {
                Some((idx, seg)) => Gs1Error::NotAnAi {
                    uri: shown(uri),
                    segment: shown(seg),
                    position: idx + 1,
                },
                None => Gs1Error::NoPrimaryKey { input: shown(uri) },
            });
        };
        let prefix = segments.get(..root).unwrap_or_default();
        let mut stem = format!("{scheme}://{}", authority.to_ascii_lowercase());
        for p in prefix {
            check_escapes(p)?;
            stem.push('/');
            stem.push_str(p);
        }

        let mut path_els: Vec<AiElement> = Vec::new();
        for pair in segments.get(root..).unwrap_or_default().chunks(2) {
            let (ai, raw) = match pair {
                [a, v] => (*a, *v),
                _ => {
                    return Err(Gs1Error::InvalidUri {
                        uri: shown(uri),
                        reason: "path ends with an AI that has no value".into(),
                    })
                }
            };
            let value = percent_decode(raw, false)?;
            validate_value_with(ai, &value, opts)?;
            push_unique(&mut path_els, AiElement::new(ai, value))?;
        }
        let key = path_els.first().and_then(|e| key_def(&e.ai));
        let Some(key) = key else {
            return Err(Gs1Error::NoPrimaryKey { input: shown(uri) });
        };
        let quals: Vec<&str> = path_els.iter().skip(1).map(|e| e.ai.as_str()).collect();
        if !is_valid_sequence(key, &quals) {
            return Err(Gs1Error::KeyQualifierSequence {
                sequence: ai_list(&path_els),
                key: path_els.first().map(|e| e.ai.clone()).unwrap_or_default(),
                allowed: describe_alternatives(key),
            });
        }

        let mut query_els: Vec<AiElement> = Vec::new();
        for param in query.unwrap_or_default().split('&') {
            let Some((name, raw)) = param.split_once('=') else {
                continue; // empty or singleton parameter: not AI data
            };
            // RFC 3986 §6.2.2.2: `%31%37` is the name `17`. A name that does
            // not decode is not an AI.
            let Ok(name) = percent_decode(name, true) else {
                continue;
            };
            let name = name.as_str();
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_digit()) {
                continue; // non-AI parameter such as linkType
            }
            let def = lookup_with(name, opts)?;
            if raw.is_empty() {
                return Err(Gs1Error::Empty {
                    what: format!("AI ({name}) in the query string"),
                });
            }
            let value = percent_decode(raw, true)?;
            validate_value_with(name, &value, opts)?;
            for j in 0..=quals.len() {
                let mut trial = quals.clone();
                trial.insert(j, name);
                if !def.pkey && is_valid_sequence(key, &trial) {
                    return Err(Gs1Error::AiBelongsInPath {
                        ai: name.to_string(),
                    });
                }
            }
            if !def.dl_attr {
                return Err(Gs1Error::NotDataAttribute {
                    ai: name.to_string(),
                });
            }
            let el = AiElement::new(name, value);
            if let Some(prev) = path_els.iter().find(|e| e.ai == el.ai) {
                return Err(Gs1Error::DuplicateAi {
                    ai: el.ai,
                    first: shown(&prev.value),
                    second: shown(&el.value),
                });
            }
            push_unique(&mut query_els, el)?;
        }
        let all: Vec<AiElement> = path_els.iter().chain(&query_els).cloned().collect();
        check_associations(&all)?;
        Ok(Self::from_parts(Parts {
            stem,
            path: path_els,
            query: query_els,
        }))
    }

    fn from_parts(parts: Parts) -> Self {
        Self(parts.render(), parts)
    }

    /// A canonical-stem link from path elements already validated by a typed key.
    pub(crate) fn from_valid_path(path: Vec<AiElement>) -> Self {
        Self::from_parts(Parts {
            stem: CANONICAL_STEM.into(),
            path,
            query: Vec::new(),
        })
    }

    /// Generate a Digital Link URI from a bracketed element string, e.g.
    /// `(01)12312312312326(21)abc123`, on `stem` (default `https://id.gs1.org`).
    ///
    /// The first AI that is a primary key goes first in the path, followed by
    /// the longest matching qualifier list (ties: the first alternative, i.e.
    /// `22, 10, 21` before `235`). Other AIs become query attributes, the
    /// predefined-length ones first, each group in element-string order; an
    /// AI not permitted as a data attribute (e.g. a qualifier left over, or
    /// 8200) is an error.
    pub fn from_element_string(elements: &str, stem: Option<&str>) -> Result<Self, Gs1Error> {
        Self::from_element_string_with(elements, stem, &ParseOptions::default())
    }

    /// [`DigitalLink::from_element_string`] with explicit options.
    pub fn from_element_string_with(
        elements: &str,
        stem: Option<&str>,
        opts: &ParseOptions,
    ) -> Result<Self, Gs1Error> {
        let els = parse_element_string_with(elements, opts)?;
        Self::from_elements_with(&els, stem, opts)
    }

    /// Generate a Digital Link URI from AI elements (see
    /// [`DigitalLink::from_element_string`]). Elements are validated.
    pub fn from_elements(elements: &[AiElement], stem: Option<&str>) -> Result<Self, Gs1Error> {
        Self::from_elements_with(elements, stem, &ParseOptions::default())
    }

    /// [`DigitalLink::from_elements`] with explicit options.
    pub fn from_elements_with(
        elements: &[AiElement],
        stem: Option<&str>,
        opts: &ParseOptions,
    ) -> Result<Self, Gs1Error> {
        let stem = normalise_stem(stem.unwrap_or(CANONICAL_STEM))?;
        let mut els: Vec<AiElement> = Vec::new();
        for e in elements {
            validate_value_with(&e.ai, &e.value, opts)?;
            match els.iter().find(|x| x.ai == e.ai) {
                Some(x) if x.value == e.value => {}
                Some(x) => {
                    return Err(Gs1Error::DuplicateAi {
                        ai: e.ai.clone(),
                        first: shown(&x.value),
                        second: shown(&e.value),
                    })
                }
                None => els.push(e.clone()),
            }
        }
        check_associations(&els)?;
        let Some((key_el, key)) = els.iter().find_map(|e| key_def(&e.ai).map(|d| (e, d))) else {
            return Err(Gs1Error::NoPrimaryKey {
                input: crate::ai::to_element_string(elements),
            });
        };
        let has = |ai: &str| els.iter().find(|e| e.ai == ai);
        let mut best: Vec<&AiElement> = Vec::new();
        for alt in key.qualifiers {
            let present: Vec<&AiElement> = alt.iter().filter_map(|q| has(q)).collect();
            if present.len() > best.len() {
                best = present;
            }
        }
        let mut path = vec![key_el.clone()];
        path.extend(best.into_iter().cloned());
        let rest: Vec<&AiElement> = els
            .iter()
            .filter(|e| !path.iter().any(|p| p.ai == e.ai))
            .collect();
        let mut query = Vec::new();
        for predefined in [true, false] {
            for e in &rest {
                let def = lookup_with(&e.ai, opts)?;
                if def.predefined != predefined {
                    continue;
                }
                if !def.dl_attr {
                    return Err(Gs1Error::NotDataAttribute { ai: e.ai.clone() });
                }
                query.push((*e).clone());
            }
        }
        let dl = Self::from_parts(Parts { stem, path, query });
        // Every generated link must parse again (the stem was checked by the
        // parser, the elements above); this keeps it so.
        Self::parse_with(dl.as_str(), opts)?;
        Ok(dl)
    }

    /// The stem: `scheme://host[/prefix]`, without trailing slash.
    pub fn stem(&self) -> &str {
        &self.1.stem
    }

    /// Path elements: primary key first, then its qualifiers.
    pub fn path(&self) -> &[AiElement] {
        &self.1.path
    }

    /// Query data attributes, in URI order.
    pub fn query(&self) -> &[AiElement] {
        &self.1.query
    }

    /// The primary key element (first path element).
    pub fn primary_key(&self) -> Option<&AiElement> {
        self.1.path.first()
    }

    /// The value of `ai`, from the path or the query.
    pub fn get(&self, ai: &str) -> Option<&str> {
        self.elements()
            .find(|e| e.ai == ai)
            .map(|e| e.value.as_str())
    }

    /// All elements, path first, then query.
    pub fn elements(&self) -> impl Iterator<Item = &AiElement> {
        self.1.path.iter().chain(&self.1.query)
    }

    /// The bracketed element string of all elements, path first.
    pub fn element_string(&self) -> String {
        self.elements().map(ToString::to_string).collect()
    }

    /// The canonical form: stem `https://id.gs1.org`, path unchanged (already
    /// in standard order), query attributes sorted by AI.
    pub fn canonical(&self) -> Self {
        let mut query = self.1.query.clone();
        query.sort_by(|a, b| a.ai.cmp(&b.ai));
        Self::from_parts(Parts {
            stem: CANONICAL_STEM.into(),
            path: self.1.path.clone(),
            query,
        })
    }

    /// The same identifier on another stem (validated like a URI stem).
    pub fn with_stem(&self, stem: &str) -> Result<Self, Gs1Error> {
        let stem = normalise_stem(stem)?;
        Ok(Self::from_parts(Parts {
            stem,
            ..self.1.clone()
        }))
    }
}

/// Check that every `%` in a raw path segment starts an escape `%HH`.
fn check_escapes(segment: &str) -> Result<(), Gs1Error> {
    let b = segment.as_bytes();
    for (i, _) in segment.match_indices('%') {
        let hex = |j: usize| b.get(j).is_some_and(u8::is_ascii_hexdigit);
        if !(hex(i + 1) && hex(i + 2)) {
            return Err(Gs1Error::PercentEncoding {
                value: shown(segment),
                position: segment.get(..i).map_or(i, |p| p.chars().count()) + 1,
            });
        }
    }
    Ok(())
}

fn push_unique(list: &mut Vec<AiElement>, el: AiElement) -> Result<(), Gs1Error> {
    if let Some(prev) = list.iter().find(|e| e.ai == el.ai) {
        return Err(Gs1Error::DuplicateAi {
            ai: el.ai,
            first: shown(&prev.value),
            second: shown(&el.value),
        });
    }
    list.push(el);
    Ok(())
}

/// Validate a URI as the constrained Digital Link form that CBV 2.0 allows in
/// an EPCIS event for `role`, with full validation (check digits and every
/// linter).
///
/// On top of [`DigitalLink::parse`]: no query string and no fragment, and the
/// path must be one of the role's forms:
///
/// * [`Role::Instance`]: `/00`, `/01/21`, `/01/235`, `/253` and `/255` with
///   their serial component, `/401`, `/402`, `/8003` with serial, `/8004`,
///   `/8006/21`, `/8010/8011`, `/8017`, `/8018`;
/// * [`Role::Class`]: `/01`, `/01/10`, `/253`, `/255` and `/8003` without
///   serial component, `/8010`;
/// * [`Role::LocationParty`]: `/414`, `/414/254`, `/417`.
pub fn validate_epcis_dl(uri: &str, role: Role) -> Result<DigitalLink, Gs1Error> {
    validate_epcis_dl_with(uri, role, &ParseOptions::default())
}

/// [`validate_epcis_dl`] with explicit options. With
/// [`Validation::Pattern`](crate::Validation::Pattern) each AI value is checked
/// as the CBV 2.0 regular expressions check it: the character set and length
/// of each component, no linter (no check digit, date, piece-of-total,
/// company prefix or code list).
///
/// Beyond those regular expressions — which accept any authority, user
/// information and port included — the Digital Link parser refuses, at every
/// level: user information (`user@host`, deliberately: it is a login on
/// another host, `https://id.gs1.org@evil.example/…`); a host that is not a
/// domain name, IPv4 address or bracketed IPv6 literal; a port that is not
/// 1–65535 (or is empty); a raw character that is not printable ASCII; a
/// malformed `%` escape anywhere in the path; an empty path segment or
/// trailing `/`; the dictionary's `req`/`ex` rules; input over
/// [`crate::MAX_INPUT_LEN`] bytes. It accepts `http`/`https` in any case.
pub fn validate_epcis_dl_with(
    uri: &str,
    role: Role,
    opts: &ParseOptions,
) -> Result<DigitalLink, Gs1Error> {
    let mismatch = |reason: String| Gs1Error::RoleMismatch {
        uri: shown(uri),
        role,
        reason,
    };
    if uri.contains('?') {
        return Err(mismatch("a query string is not allowed".into()));
    }
    if uri.contains('#') {
        return Err(mismatch("a fragment is not allowed".into()));
    }
    let dl = DigitalLink::parse_with(uri, opts)?;
    let ais: Vec<&str> = dl.path().iter().map(|e| e.ai.as_str()).collect();
    let key_value = dl.primary_key().map(|e| e.value.len()).unwrap_or_default();
    // Length of the key part before an optional serial component.
    let with_serial = |base: usize| key_value > base;
    let ok = match role {
        Role::Instance => match ais.as_slice() {
            ["00"]
            | ["01", "21"]
            | ["01", "235"]
            | ["401"]
            | ["402"]
            | ["8004"]
            | ["8006", "21"]
            | ["8010", "8011"]
            | ["8017"]
            | ["8018"] => true,
            ["253"] | ["255"] => with_serial(13),
            ["8003"] => with_serial(14),
            _ => false,
        },
        Role::Class => match ais.as_slice() {
            ["01"] | ["01", "10"] | ["8010"] => true,
            ["253"] | ["255"] => !with_serial(13),
            ["8003"] => !with_serial(14),
            _ => false,
        },
        Role::LocationParty => matches!(ais.as_slice(), ["414"] | ["414", "254"] | ["417"]),
    };
    if !ok {
        return Err(mismatch(format!(
            "path {} is not one of {}",
            ai_list(dl.path()),
            role.allowed()
        )));
    }
    Ok(dl)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Validation;

    #[test]
    fn r_i2_digital_link_gtin_batch_accepted_and_produced() {
        let dl = DigitalLink::parse("https://id.gs1.org/01/09506000134352/10/ABC123").unwrap();
        assert_eq!(dl.get("01"), Some("09506000134352"));
        assert_eq!(dl.get("10"), Some("ABC123"));
        assert_eq!(
            dl.as_str(),
            "https://id.gs1.org/01/09506000134352/10/ABC123"
        );
        let made = DigitalLink::from_element_string("(01)09506000134352(21)S1", None).unwrap();
        assert_eq!(made.as_str(), "https://id.gs1.org/01/09506000134352/21/S1");
    }

    #[test]
    fn r_i2_digital_link_check_digit_verified() {
        let e = DigitalLink::parse("https://id.gs1.org/01/09506000134353").unwrap_err();
        assert!(
            matches!(
                e,
                Gs1Error::CheckDigit {
                    expected: '2',
                    found: '3',
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn structural_rejections() {
        let p = DigitalLink::parse;
        assert!(matches!(
            p("ftp://a/01/09506000134352"),
            Err(Gs1Error::UnsupportedScheme { .. })
        ));
        assert!(matches!(
            p("https://a/01/09506000134352/"),
            Err(Gs1Error::TrailingSlash { .. })
        ));
        assert!(matches!(
            p("https://a/gtin/09506000134352"),
            Err(Gs1Error::NotAnAi { position: 1, .. })
        ));
        assert!(matches!(
            p("https://a/01//09506000134352"),
            Err(Gs1Error::InvalidUri { .. })
        ));
        assert!(matches!(
            p("https://a/01/9506000134352"),
            Err(Gs1Error::Length { found: 13, .. })
        ));
        assert!(matches!(p("https://a"), Err(Gs1Error::InvalidUri { .. })));
        assert!(matches!(
            p("https:///01/09506000134352"),
            Err(Gs1Error::InvalidUri { .. })
        ));
        assert!(matches!(
            p("https://a b/01/09506000134352"),
            Err(Gs1Error::InvalidUri { .. })
        ));
        assert!(matches!(
            p("https://a@b/01/09506000134352"),
            Err(Gs1Error::InvalidUri { .. })
        ));
        assert!(matches!(
            p("https://a/10/ABC"),
            Err(Gs1Error::NoPrimaryKey { .. })
        ));
        assert!(matches!(p(""), Err(Gs1Error::Empty { .. })));
        assert!(matches!(
            p("https://a/01/09506000134352/21/X/10/Y"),
            Err(Gs1Error::KeyQualifierSequence { .. })
        ));
        assert!(matches!(
            p("https://a/01/09506000134352/22/X/235/Y"),
            Err(Gs1Error::KeyQualifierSequence { .. })
        ));
    }

    #[test]
    fn query_rules() {
        let p = DigitalLink::parse;
        assert!(matches!(
            p("https://a/01/09506000134352?10=ABC"),
            Err(Gs1Error::AiBelongsInPath { ai }) if ai == "10"
        ));
        assert!(matches!(
            p("https://a/01/09506000134352/10/A?21=S"),
            Err(Gs1Error::AiBelongsInPath { .. })
        ));
        // With the 235 alternative chosen, 10 is an ordinary attribute.
        assert!(p("https://a/01/09506000134352/235/X?10=ABC").is_ok());
        assert!(matches!(
            p("https://a/01/09506000134352/10/A?10=A"),
            Err(Gs1Error::DuplicateAi { .. })
        ));
        assert!(matches!(
            p("https://a/01/09506000134352?99=A&99=B"),
            Err(Gs1Error::DuplicateAi { .. })
        ));
        assert!(matches!(
            p("https://a/01/09506000134352?89=A"),
            Err(Gs1Error::UnknownAi { .. })
        ));
        assert!(matches!(
            p("https://a/01/09506000134352?8200=x"),
            Err(Gs1Error::NotDataAttribute { .. })
        ));
        assert!(matches!(
            p("https://a/01/09506000134352?99="),
            Err(Gs1Error::Empty { .. })
        ));
        assert!(matches!(
            p("https://a/00/340123451111111111?10=X"),
            Err(Gs1Error::MissingRequiredAi { .. })
        ));
        let dl = p("https://a/01/09506000134352?linkType=gs1:pip&99=A%2B&x&&#frag").unwrap();
        assert_eq!(dl.get("99"), Some("A+"));
        assert_eq!(dl.as_str(), "https://a/01/09506000134352?99=A%2B");
    }

    #[test]
    fn query_plus_is_space_and_space_is_not_cset82() {
        let e = DigitalLink::parse("https://a/01/09506000134352?99=A+B").unwrap_err();
        assert!(
            matches!(
                e,
                Gs1Error::InvalidCharacter {
                    found: ' ',
                    position: 2,
                    ..
                }
            ),
            "{e}"
        );
        let dl = DigitalLink::parse("https://a/01/09506000134352/10/A+B?99=A%2BB").unwrap();
        assert_eq!(dl.get("10"), Some("A+B"));
        assert_eq!(dl.get("99"), Some("A+B"));
        assert_eq!(dl.as_str(), "https://a/01/09506000134352/10/A%2BB?99=A%2BB");
    }

    #[test]
    fn canonical_form() {
        let dl = DigitalLink::parse(
            "HTTP://Example.COM/some/prefix/01/09506000134352/10/L1?99=Z&3103=000195&17=251231",
        )
        .unwrap();
        assert_eq!(dl.stem(), "http://example.com/some/prefix");
        assert_eq!(
            dl.canonical().as_str(),
            "https://id.gs1.org/01/09506000134352/10/L1?17=251231&3103=000195&99=Z"
        );
        assert_eq!(dl.canonical(), dl.canonical().canonical());
        assert_eq!(
            dl.with_stem("https://brand.example/").unwrap().as_str(),
            "https://brand.example/01/09506000134352/10/L1?99=Z&3103=000195&17=251231"
        );
        assert_eq!(
            dl.element_string(),
            "(01)09506000134352(10)L1(99)Z(3103)000195(17)251231"
        );
    }

    #[test]
    fn epcis_roles() {
        assert!(
            validate_epcis_dl("https://id.gs1.org/01/09506000134352/21/S", Role::Instance).is_ok()
        );
        assert!(validate_epcis_dl("https://id.gs1.org/01/09506000134352", Role::Class).is_ok());
        let e =
            validate_epcis_dl("https://id.gs1.org/01/09506000134352", Role::Instance).unwrap_err();
        assert!(
            matches!(
                e,
                Gs1Error::RoleMismatch {
                    role: Role::Instance,
                    ..
                }
            ),
            "{e}"
        );
        assert!(matches!(
            validate_epcis_dl(
                "https://id.gs1.org/01/09506000134352/21/S?99=1",
                Role::Instance
            ),
            Err(Gs1Error::RoleMismatch { .. })
        ));
        assert!(validate_epcis_dl(
            "https://id.gs1.org/414/4280000000002/254/12",
            Role::LocationParty
        )
        .is_ok());
        let lax = ParseOptions {
            validation: Validation::Pattern,
            ..ParseOptions::default()
        };
        assert!(
            validate_epcis_dl("https://id.gs1.org/00/340123451111111112", Role::Instance).is_err()
        );
        assert!(validate_epcis_dl_with(
            "https://id.gs1.org/00/340123451111111112",
            Role::Instance,
            &lax
        )
        .is_ok());
    }
}
