//! GS1 Application Identifiers: every AI of the GS1 Barcode Syntax
//! Dictionary with its components, linters, Digital Link role and
//! mandatory/invalid pairings (the table is generated from the dictionary
//! into `ai_table.rs`, ADR 0038), and the bracketed element string form
//! `(01)09506000134352(10)ABC123`.

use crate::ai_table::TABLE;
use crate::chars::{is_cset39, is_cset82, require_digits, require_length, require_mod10, Subject};
use crate::error::{shown, Gs1Error};
use crate::lint::Linter;

/// Longest element string or Digital Link URI the parsers accept, in bytes.
/// Longer input is refused before any other work ([`Gs1Error::TooLong`]).
pub const MAX_INPUT_LEN: usize = 8192;

/// One AI and its (unescaped) value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AiElement {
    /// The AI digits, e.g. `01`.
    pub ai: String,
    /// The value, e.g. `09506000134352`.
    pub value: String,
}

impl AiElement {
    /// Build an element (no validation).
    pub fn new(ai: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            ai: ai.into(),
            value: value.into(),
        }
    }
}

impl std::fmt::Display for AiElement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "({}){}", self.ai, self.value)
    }
}

/// How far an AI value is checked (ADR 0038).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Validation {
    /// Character set and length of each component, and every content linter
    /// of the dictionary (check digits, dates, piece-of-total, company
    /// prefix, ISO codes, …). The default.
    #[default]
    Full,
    /// Character set and length of each component only: what the CBV 2.0
    /// constrained-URI regular expressions check (the EPCIS "pattern level",
    /// ADR 0031/0034). No linter runs, not even `csum`/`csumalpha`.
    Pattern,
}

/// Options for parsing element strings and Digital Link URIs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseOptions {
    /// Full validation (default) or pattern level (character set and length
    /// of each component, no linters).
    pub validation: Validation,
    /// Accept AIs missing from the table (default `false`). Unknown AIs carry a
    /// value of 1 to 90 characters of set 82 and are allowed as Digital Link
    /// data attributes; they are never primary keys or qualifiers.
    pub permit_unknown_ais: bool,
}

impl Default for ParseOptions {
    fn default() -> Self {
        Self {
            validation: Validation::Full,
            permit_unknown_ais: false,
        }
    }
}

/// Character set of an AI component (GS1 Barcode Syntax Dictionary types).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cset {
    /// Digits.
    N,
    /// Character set 82.
    X,
    /// Character set 39.
    Y,
    /// URL-safe base64 (`A-Z a-z 0-9 - _`, up to two `=` of padding).
    Z,
}

impl Cset {
    fn letter(self) -> char {
        match self {
            Cset::N => 'N',
            Cset::X => 'X',
            Cset::Y => 'Y',
            Cset::Z => 'Z',
        }
    }
}

/// One component of an AI's data field.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Comp {
    pub cs: Cset,
    pub min: u8,
    pub max: u8,
    /// `[...]` in the dictionary: may be absent once the data is exhausted.
    pub optional: bool,
    pub linters: &'static [Linter],
}

/// Static description of one AI or a range of AIs (`3100`–`3105`), one
/// entry of the GS1 Barcode Syntax Dictionary (see `ai_table.rs`).
#[derive(Debug)]
pub(crate) struct AiDef {
    /// First AI of the range.
    pub first: &'static str,
    /// Last AI of the range (same length as `first`).
    pub last: &'static str,
    pub title: &'static str,
    /// Flag `*`: predefined length, no FNC1 separator needed after it.
    pub predefined: bool,
    /// Flag `?`: permitted as a Digital Link query data attribute.
    pub dl_attr: bool,
    /// Attribute `dlpkey`: Digital Link primary key.
    pub pkey: bool,
    /// Alternative ordered qualifier lists (`dlpkey=22,10,21|235`).
    pub qualifiers: &'static [&'static [&'static str]],
    pub comps: &'static [Comp],
    /// Each `req=` attribute: one of its alternatives must be present, an
    /// alternative being AIs or patterns (`31nn`) that must all be present.
    pub req: &'static [&'static [&'static [&'static str]]],
    /// `ex=`: none of these AIs or patterns may be present (except the AI itself).
    pub ex: &'static [&'static str],
}

/// Definition used for AIs missing from the table when they are permitted.
static UNKNOWN_COMPS: &[Comp] = &[Comp {
    cs: Cset::X,
    min: 1,
    max: 90,
    optional: false,
    linters: &[],
}];

static UNKNOWN: AiDef = AiDef {
    first: "",
    last: "",
    title: "UNKNOWN AI",
    predefined: false,
    dl_attr: true,
    pkey: false,
    qualifiers: &[],
    comps: UNKNOWN_COMPS,
    req: &[],
    ex: &[],
};

fn well_formed_ai(ai: &str) -> bool {
    (2..=4).contains(&ai.len()) && ai.bytes().all(|b| b.is_ascii_digit())
}

/// Look an AI up in the table.
pub(crate) fn lookup(ai: &str) -> Option<&'static AiDef> {
    if !well_formed_ai(ai) {
        return None;
    }
    TABLE
        .iter()
        .find(|d| d.first.len() == ai.len() && d.first <= ai && ai <= d.last)
}

/// Look an AI up, falling back to the "unknown AI" definition when permitted.
pub(crate) fn lookup_with(ai: &str, opts: &ParseOptions) -> Result<&'static AiDef, Gs1Error> {
    if let Some(d) = lookup(ai) {
        return Ok(d);
    }
    if opts.permit_unknown_ais && well_formed_ai(ai) {
        Ok(&UNKNOWN)
    } else {
        Err(Gs1Error::UnknownAi { ai: shown(ai) })
    }
}

/// Whether `ai` matches an AI or a pattern of the dictionary such as `31nn`
/// (`n` stands for any digit).
pub(crate) fn ai_matches(pattern: &str, ai: &str) -> bool {
    pattern.len() == ai.len()
        && pattern
            .bytes()
            .zip(ai.bytes())
            .all(|(p, a)| p == a || (p == b'n' && a.is_ascii_digit()))
}

/// The dictionary form of a component list, e.g. `N13,csum,gcppos1 [X..17]`.
pub(crate) fn render_comps(comps: &[Comp]) -> String {
    comps
        .iter()
        .map(|c| {
            let len = if c.min == c.max {
                c.max.to_string()
            } else {
                format!("..{}", c.max)
            };
            let ty = format!("{}{len}", c.cs.letter());
            let mut s = if c.optional { format!("[{ty}]") } else { ty };
            for l in c.linters {
                s.push(',');
                s.push_str(l.name());
            }
            s
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The dictionary form of the attributes: each `req=`, then `ex=`, then
/// `dlpkey`, separated by spaces.
pub(crate) fn render_attributes(d: &AiDef) -> String {
    let mut out: Vec<String> = Vec::new();
    for r in d.req {
        let alts: Vec<String> = r.iter().map(|alt| alt.join("+")).collect();
        out.push(format!("req={}", alts.join(",")));
    }
    if !d.ex.is_empty() {
        out.push(format!("ex={}", d.ex.join(",")));
    }
    if d.pkey {
        if d.qualifiers.is_empty() {
            out.push("dlpkey".into());
        } else {
            let alts: Vec<String> = d.qualifiers.iter().map(|q| q.join(",")).collect();
            out.push(format!("dlpkey={}", alts.join("|")));
        }
    }
    out.join(" ")
}

/// Whether `ai` is a known Digital Link primary key.
pub fn is_primary_key(ai: &str) -> bool {
    lookup(ai).is_some_and(|d| d.pkey)
}

/// Whether `ai` is a known predefined-length AI (needs no FNC1 separator).
pub fn is_predefined_length(ai: &str) -> bool {
    lookup(ai).is_some_and(|d| d.predefined)
}

/// Whether `ai` is a known AI permitted as a Digital Link query data attribute.
pub fn is_dl_data_attribute(ai: &str) -> bool {
    lookup(ai).is_some_and(|d| d.dl_attr)
}

/// The title of a known AI, e.g. `GTIN` for `01`.
pub fn ai_title(ai: &str) -> Option<&'static str> {
    lookup(ai).map(|d| d.title)
}

/// The format of a known AI in the notation of the GS1 Barcode Syntax
/// Dictionary, e.g. `N14,csum,gcppos2` for `01` or `N13,csum,gcppos1 [X..17]`
/// for `253`.
pub fn ai_format(ai: &str) -> Option<String> {
    lookup(ai).map(|d| render_comps(d.comps))
}

/// The association rules and Digital Link role of a known AI in the notation
/// of the GS1 Barcode Syntax Dictionary: each `req=`, then `ex=`, then
/// `dlpkey`, e.g. `ex=255,37 dlpkey=22,10,21|235` for `01`.
pub fn ai_attributes(ai: &str) -> Option<String> {
    lookup(ai).map(render_attributes)
}

/// Validate `value` against the format of `ai` (length, characters, check
/// digits and every linter the dictionary names for its components), i.e.
/// [`Validation::Full`].
pub fn validate_ai_value(ai: &str, value: &str) -> Result<(), Gs1Error> {
    validate_value_with(ai, value, &ParseOptions::default())
}

fn in_cset(cs: Cset, c: char) -> bool {
    match cs {
        Cset::N => c.is_ascii_digit(),
        Cset::X => is_cset82(c),
        Cset::Y => is_cset39(c),
        Cset::Z => c.is_ascii_alphanumeric() || c == '-' || c == '_',
    }
}

pub(crate) fn validate_value_with(
    ai: &str,
    value: &str,
    opts: &ParseOptions,
) -> Result<(), Gs1Error> {
    let def = lookup_with(ai, opts)?;
    let what = format!("AI ({ai}) {}", def.title);
    let s = Subject {
        what: &what,
        ai: Some(ai),
    };
    if value.is_empty() {
        return Err(Gs1Error::Empty { what });
    }
    // Overall length bounds first, so the message names the whole range.
    let min: usize = def
        .comps
        .iter()
        .filter(|c| !c.optional)
        .map(|c| usize::from(c.min))
        .sum();
    let max: usize = def.comps.iter().map(|c| usize::from(c.max)).sum();
    // A value with a non-digit where only digits are allowed is reported by
    // position first.
    if def.comps.iter().all(|c| c.cs == Cset::N) {
        require_digits(s, value)?;
    }
    require_length(s, value, min.max(1), max)?;
    let length_error = |found: usize| Gs1Error::Length {
        what: what.clone(),
        ai: Some(ai.to_string()),
        value: shown(value),
        found,
        min,
        max,
    };

    let chars: Vec<char> = value.chars().collect();
    let mut pos = 0usize;
    for comp in def.comps {
        let remaining = chars.len().saturating_sub(pos);
        if remaining == 0 && comp.optional {
            break;
        }
        let take = remaining.min(usize::from(comp.max));
        if take < usize::from(comp.min) {
            return Err(length_error(chars.len()));
        }
        let part: String = chars
            .get(pos..pos + take)
            .unwrap_or_default()
            .iter()
            .collect();
        check_component_chars(comp.cs, &part).map_err(|(i, c)| {
            let position = pos + i + 1;
            match comp.cs {
                Cset::N => Gs1Error::NotDigit {
                    what: what.clone(),
                    ai: Some(ai.to_string()),
                    value: shown(value),
                    position,
                    found: c,
                },
                Cset::X | Cset::Y | Cset::Z => Gs1Error::InvalidCharacter {
                    what: what.clone(),
                    ai: Some(ai.to_string()),
                    value: shown(value),
                    position,
                    found: c,
                    charset: match comp.cs {
                        Cset::X => "GS1 character set 82",
                        Cset::Y => "GS1 character set 39",
                        _ => "GS1 character set 64 (URL-safe base64)",
                    },
                },
            }
        })?;
        let linters = match opts.validation {
            Validation::Full => comp.linters,
            Validation::Pattern => &[],
        };
        for linter in linters {
            match linter {
                Linter::Csum => require_mod10(s, &part)?,
                l => l.check(&part).map_err(|reason| Gs1Error::InvalidValue {
                    what: what.clone(),
                    ai: Some(ai.to_string()),
                    value: shown(value),
                    reason,
                    linter: Some(*l),
                })?,
            }
        }
        pos += take;
    }
    if pos < chars.len() {
        return Err(length_error(chars.len()));
    }
    Ok(())
}

/// Character-set check of one component; `Err` gives the 0-based index and
/// character of the first offender.
fn check_component_chars(cs: Cset, part: &str) -> Result<(), (usize, char)> {
    let mut body = part;
    if cs == Cset::Z {
        // Up to two '=' of padding, only on a length that is a multiple of 3.
        let trimmed = part.trim_end_matches('=');
        let pads = part.len() - trimmed.len();
        if pads > 0 && (pads > 2 || !part.len().is_multiple_of(3)) {
            return Err((trimmed.chars().count(), '='));
        }
        body = trimmed;
    }
    match body.chars().enumerate().find(|(_, c)| !in_cset(cs, *c)) {
        Some(bad) => Err(bad),
        None => Ok(()),
    }
}

fn describe_group(group: &[&[&str]]) -> String {
    let alts: Vec<String> = group
        .iter()
        .map(|alt| {
            alt.iter()
                .map(|r| format!("({r})"))
                .collect::<Vec<_>>()
                .join(" with ")
        })
        .collect();
    if alts.len() == 1 {
        alts.join("")
    } else {
        format!("one of {}", alts.join(", "))
    }
}

/// Check mandatory associations (`req`) and invalid pairs (`ex`) over a set
/// of AIs, as the dictionary defines them: patterns such as `31nn` match any
/// digit for `n`, and an AI is not exclusive of itself.
pub(crate) fn check_associations(elements: &[AiElement]) -> Result<(), Gs1Error> {
    let has = |pattern: &str| elements.iter().any(|e| ai_matches(pattern, &e.ai));
    for e in elements {
        let Some(def) = lookup(&e.ai) else { continue };
        for group in def.req {
            if !group.iter().any(|alt| alt.iter().all(|r| has(r))) {
                return Err(Gs1Error::MissingRequiredAi {
                    ai: e.ai.clone(),
                    requires: describe_group(group),
                });
            }
        }
        for x in def.ex {
            if let Some(other) = elements
                .iter()
                .find(|o| o.ai != e.ai && ai_matches(x, &o.ai))
            {
                return Err(Gs1Error::ExclusiveAis {
                    ai: e.ai.clone(),
                    other: other.ai.clone(),
                });
            }
        }
    }
    Ok(())
}

/// Parse a bracketed element string such as `(01)09506000134352(10)ABC123`
/// with default options.
///
/// An AI is 2 to 4 digits in parentheses; its value runs up to the next `(`
/// that opens another AI (`(` followed by 2–4 digits and `)`), so values may
/// themselves contain parentheses. Identical repeated elements are collapsed;
/// the same AI with two different values is [`Gs1Error::DuplicateAi`].
/// Mandatory associations and invalid pairs are checked.
pub fn parse_element_string(input: &str) -> Result<Vec<AiElement>, Gs1Error> {
    parse_element_string_with(input, &ParseOptions::default())
}

/// [`parse_element_string`] with explicit options.
pub fn parse_element_string_with(
    input: &str,
    opts: &ParseOptions,
) -> Result<Vec<AiElement>, Gs1Error> {
    if input.len() > MAX_INPUT_LEN {
        return Err(Gs1Error::TooLong {
            what: "element string",
            found: input.len(),
            max: MAX_INPUT_LEN,
        });
    }
    let chars: Vec<char> = input.chars().collect();
    let err = |position: usize, reason: &'static str| Gs1Error::ElementString {
        input: shown(input),
        position,
        reason,
    };
    if chars.is_empty() {
        return Err(Gs1Error::Empty {
            what: "element string".into(),
        });
    }
    let ai_at = |i: usize| -> Option<(String, usize)> {
        // Returns the AI and the index just after ')'.
        if chars.get(i) != Some(&'(') {
            return None;
        }
        let mut j = i + 1;
        let mut ai = String::new();
        while let Some(c) = chars.get(j) {
            if c.is_ascii_digit() && ai.len() < 4 {
                ai.push(*c);
                j += 1;
            } else {
                break;
            }
        }
        if (2..=4).contains(&ai.len()) && chars.get(j) == Some(&')') {
            Some((ai, j + 1))
        } else {
            None
        }
    };
    let mut out: Vec<AiElement> = Vec::new();
    let mut i = 0usize;
    while i < chars.len() {
        let Some((ai, start)) = ai_at(i) else {
            return Err(err(i + 1, "expected an AI in parentheses, e.g. (01)"));
        };
        let mut end = start;
        while end < chars.len() && ai_at(end).is_none() {
            end += 1;
        }
        let value: String = chars.get(start..end).unwrap_or_default().iter().collect();
        if value.is_empty() {
            return Err(err(start + 1, "empty AI value"));
        }
        validate_value_with(&ai, &value, opts)?;
        if let Some(prev) = out.iter().find(|e| e.ai == ai) {
            if prev.value != value {
                return Err(Gs1Error::DuplicateAi {
                    ai,
                    first: shown(&prev.value),
                    second: shown(&value),
                });
            }
        } else {
            out.push(AiElement { ai, value });
        }
        i = end;
    }
    check_associations(&out)?;
    Ok(out)
}

/// Render elements as a bracketed element string.
pub fn to_element_string(elements: &[AiElement]) -> String {
    elements.iter().map(ToString::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_families_and_unknowns() {
        assert!(lookup("3103").is_some());
        assert!(lookup("3106").is_none());
        assert!(lookup("89").is_none());
        assert!(lookup("0").is_none());
        assert!(lookup("01x").is_none());
        assert!(is_primary_key("414"));
        assert!(!is_primary_key("10"));
        assert!(is_predefined_length("3300"));
        assert!(!is_predefined_length("8017"));
        assert_eq!(ai_title("01"), Some("GTIN"));
    }

    #[test]
    fn component_formats() {
        assert!(validate_ai_value("253", "4602443000331").is_ok());
        assert!(validate_ai_value("253", "4602443000331XYZ").is_ok());
        assert!(validate_ai_value("255", "0811625999996554433").is_ok());
        assert!(matches!(
            validate_ai_value("255", "0811625999996ABC"),
            Err(Gs1Error::NotDigit { position: 14, .. })
        ));
        assert!(matches!(
            validate_ai_value("8003", "13870585000552987"),
            Err(Gs1Error::InvalidValue { .. })
        ));
        assert!(matches!(
            validate_ai_value("8011", "0123"),
            Err(Gs1Error::InvalidValue { .. })
        ));
        assert!(matches!(
            validate_ai_value("8010", "abc"),
            Err(Gs1Error::InvalidCharacter {
                position: 1,
                charset: "GS1 character set 39",
                ..
            })
        ));
        assert!(matches!(
            validate_ai_value("235", "UPUISERIALNUMBER9876543241516161"),
            Err(Gs1Error::Length {
                found: 32,
                min: 1,
                max: 28,
                ..
            })
        ));
        assert!(matches!(
            validate_ai_value("10", ""),
            Err(Gs1Error::Empty { .. })
        ));
    }

    #[test]
    fn element_string_parsing() {
        let els =
            parse_element_string("(01)12312312312326(8200)http://x.example/(a)(95)INT").unwrap();
        assert_eq!(els.len(), 3);
        assert_eq!(els[1].value, "http://x.example/(a)");
        assert!(matches!(
            parse_element_string("01)123"),
            Err(Gs1Error::ElementString { position: 1, .. })
        ));
        assert!(matches!(
            parse_element_string("(01)12312312312326(10)"),
            Err(Gs1Error::ElementString { .. }) | Err(Gs1Error::Length { .. })
        ));
        assert!(matches!(
            parse_element_string("(01)12312312312326(01)12312312312333"),
            Err(Gs1Error::DuplicateAi { .. })
        ));
        assert!(matches!(
            parse_element_string("(10)ABC"),
            Err(Gs1Error::MissingRequiredAi { .. })
        ));
        assert!(matches!(
            parse_element_string("(01)12312312312326(21)A(235)B"),
            Err(Gs1Error::ExclusiveAis { .. })
        ));
        assert!(matches!(
            parse_element_string("(89)X"),
            Err(Gs1Error::UnknownAi { .. })
        ));
        let lenient = ParseOptions {
            permit_unknown_ais: true,
            ..ParseOptions::default()
        };
        assert!(parse_element_string_with("(89)X", &lenient).is_ok());
        assert_eq!(to_element_string(&els[..1]), "(01)12312312312326");
    }
}
