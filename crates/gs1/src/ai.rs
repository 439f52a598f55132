//! GS1 Application Identifiers: the subset tracechain knows, their formats,
//! Digital Link roles and mandatory/invalid pairings (GS1 General
//! Specifications §3 and the GS1 Digital Link URI Syntax standard), and the
//! bracketed element string form `(01)09506000134352(10)ABC123`.

use crate::chars::{is_cset39, is_cset82, require_digits, require_length, require_mod10, Subject};
use crate::error::{shown, Gs1Error};

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

/// Options for parsing element strings and Digital Link URIs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseOptions {
    /// Verify mod-10 check digits (default `true`). Turning this off gives the
    /// pattern-only behaviour of the CBV 2.0 constrained-URI regular expressions.
    pub verify_check_digits: bool,
    /// Accept AIs missing from the table (default `false`). Unknown AIs carry a
    /// value of 1 to 90 characters of set 82 and are allowed as Digital Link
    /// data attributes; they are never primary keys or qualifiers.
    pub permit_unknown_ais: bool,
}

impl Default for ParseOptions {
    fn default() -> Self {
        Self {
            verify_check_digits: true,
            permit_unknown_ais: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cset {
    /// Digits.
    N,
    /// Character set 82.
    X,
    /// Character set 39.
    Y,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lint {
    None,
    /// GS1 mod-10 check digit on this component.
    Csum,
    /// Must be the digit 0.
    Zero,
    /// No leading zero unless the whole component is `0`.
    NoZeroPrefix,
}

#[derive(Debug, Clone, Copy)]
struct Comp {
    cs: Cset,
    min: u8,
    max: u8,
    lint: Lint,
}

const fn n(len: u8) -> Comp {
    Comp {
        cs: Cset::N,
        min: len,
        max: len,
        lint: Lint::None,
    }
}
const fn n_csum(len: u8) -> Comp {
    Comp {
        cs: Cset::N,
        min: len,
        max: len,
        lint: Lint::Csum,
    }
}
const fn n_var(min: u8, max: u8) -> Comp {
    Comp {
        cs: Cset::N,
        min,
        max,
        lint: Lint::None,
    }
}
const fn x_var(min: u8, max: u8) -> Comp {
    Comp {
        cs: Cset::X,
        min,
        max,
        lint: Lint::None,
    }
}

/// Static description of one AI (or a family `310n`, where the last digit
/// is the decimal point position 0..=5).
#[derive(Debug)]
pub(crate) struct AiDef {
    code: &'static str,
    /// `code` is a 3-digit family; the real AI adds a digit 0..=5.
    decimal: bool,
    pub title: &'static str,
    /// Predefined-length AI: no FNC1 separator needed after it (prefixes 00-04, 11-20, 31-36, 41).
    pub predefined: bool,
    /// Permitted as a Digital Link query data attribute.
    pub dl_attr: bool,
    /// Digital Link primary key.
    pub pkey: bool,
    /// Alternative ordered qualifier lists (for primary keys).
    pub qualifiers: &'static [&'static [&'static str]],
    comps: &'static [Comp],
    /// Each inner list: at least one of these AIs must be present.
    req: &'static [&'static [&'static str]],
    /// None of these AIs may be present.
    ex: &'static [&'static str],
}

const GTIN_Q: &[&[&str]] = &[&["22", "10", "21"], &["235"]];
const ITIP_Q: &[&[&str]] = &[&["22", "10", "21"]];
const TRADE_REQ: &[&[&str]] = &[&["01", "02", "03", "8006", "8026"]];
const MEASURE_TRADE: &[&[&str]] = &[&["01", "02"]];
const MEASURE_LOG: &[&[&str]] = &[&["00", "01"]];

macro_rules! def {
    ($code:literal, $title:literal, pre=$pre:literal, attr=$attr:literal, pkey=$pkey:literal,
     q=$q:expr, comps=$comps:expr, req=$req:expr, ex=$ex:expr) => {
        AiDef {
            code: $code,
            decimal: false,
            title: $title,
            predefined: $pre,
            dl_attr: $attr,
            pkey: $pkey,
            qualifiers: $q,
            comps: $comps,
            req: $req,
            ex: $ex,
        }
    };
}

macro_rules! measure {
    ($code:literal, $title:literal, $req:expr) => {
        AiDef {
            code: $code,
            decimal: true,
            title: $title,
            predefined: true,
            dl_attr: true,
            pkey: false,
            qualifiers: &[],
            comps: &[n(6)],
            req: $req,
            ex: &[],
        }
    };
}

const X20: &[Comp] = &[x_var(1, 20)];
const X30: &[Comp] = &[x_var(1, 30)];
const X90: &[Comp] = &[x_var(1, 90)];
const N6: &[Comp] = &[n(6)];
const GLN13: &[Comp] = &[n_csum(13)];
const NONE: &[&[&str]] = &[];

/// The AIs tracechain knows, in AI order. A subset of the GS1 General
/// Specifications: every key and qualifier of GS1 Digital Link, the trade
/// item attributes used in cross-border export traces, and the internal AIs.
static TABLE: &[AiDef] = &[
    def!(
        "00",
        "SSCC",
        pre = true,
        attr = true,
        pkey = true,
        q = &[],
        comps = &[n_csum(18)],
        req = NONE,
        ex = &[]
    ),
    def!(
        "01",
        "GTIN",
        pre = true,
        attr = true,
        pkey = true,
        q = GTIN_Q,
        comps = &[n_csum(14)],
        req = NONE,
        ex = &["255", "37"]
    ),
    def!(
        "02",
        "CONTENT",
        pre = true,
        attr = true,
        pkey = false,
        q = &[],
        comps = &[n_csum(14)],
        req = &[&["37"]],
        ex = &["01", "03"]
    ),
    def!(
        "03",
        "MTO GTIN",
        pre = true,
        attr = false,
        pkey = false,
        q = &[],
        comps = &[n_csum(14)],
        req = NONE,
        ex = &["01", "02", "37"]
    ),
    def!(
        "10",
        "BATCH/LOT",
        pre = false,
        attr = true,
        pkey = false,
        q = &[],
        comps = X20,
        req = TRADE_REQ,
        ex = &[]
    ),
    def!(
        "11",
        "PROD DATE",
        pre = true,
        attr = true,
        pkey = false,
        q = &[],
        comps = N6,
        req = TRADE_REQ,
        ex = &[]
    ),
    def!(
        "13",
        "PACK DATE",
        pre = true,
        attr = true,
        pkey = false,
        q = &[],
        comps = N6,
        req = TRADE_REQ,
        ex = &[]
    ),
    def!(
        "15",
        "BEST BEFORE",
        pre = true,
        attr = true,
        pkey = false,
        q = &[],
        comps = N6,
        req = TRADE_REQ,
        ex = &[]
    ),
    def!(
        "16",
        "SELL BY",
        pre = true,
        attr = true,
        pkey = false,
        q = &[],
        comps = N6,
        req = TRADE_REQ,
        ex = &[]
    ),
    def!(
        "17",
        "USE BY OR EXPIRY",
        pre = true,
        attr = true,
        pkey = false,
        q = &[],
        comps = N6,
        req = &[&["01", "02", "03", "255", "8006", "8026"]],
        ex = &[]
    ),
    def!(
        "20",
        "VARIANT",
        pre = true,
        attr = true,
        pkey = false,
        q = &[],
        comps = &[n(2)],
        req = &[&["01", "02", "8006", "8026"]],
        ex = &[]
    ),
    def!(
        "21",
        "SERIAL",
        pre = false,
        attr = false,
        pkey = false,
        q = &[],
        comps = X20,
        req = &[&["01", "03", "8006"]],
        ex = &["235"]
    ),
    def!(
        "22",
        "CPV",
        pre = false,
        attr = false,
        pkey = false,
        q = &[],
        comps = X20,
        req = &[&["01"]],
        ex = &[]
    ),
    def!(
        "235",
        "TPX",
        pre = false,
        attr = false,
        pkey = false,
        q = &[],
        comps = &[x_var(1, 28)],
        req = &[&["01"]],
        ex = &[]
    ),
    def!(
        "240",
        "ADDITIONAL ID",
        pre = false,
        attr = true,
        pkey = false,
        q = &[],
        comps = X30,
        req = &[&["01", "02", "8006", "8026"]],
        ex = &[]
    ),
    def!(
        "241",
        "CUST. PART No.",
        pre = false,
        attr = true,
        pkey = false,
        q = &[],
        comps = X30,
        req = &[&["01", "02", "8006", "8026"]],
        ex = &[]
    ),
    def!(
        "250",
        "SECONDARY SERIAL",
        pre = false,
        attr = true,
        pkey = false,
        q = &[],
        comps = X30,
        req = &[&["01", "8006"], &["21"]],
        ex = &[]
    ),
    def!(
        "251",
        "REF. TO SOURCE",
        pre = false,
        attr = true,
        pkey = false,
        q = &[],
        comps = X30,
        req = &[&["01", "8006"]],
        ex = &[]
    ),
    def!(
        "253",
        "GDTI",
        pre = false,
        attr = true,
        pkey = true,
        q = &[],
        comps = &[n_csum(13), x_var(0, 17)],
        req = NONE,
        ex = &[]
    ),
    def!(
        "254",
        "GLN EXTENSION COMPONENT",
        pre = false,
        attr = false,
        pkey = false,
        q = &[],
        comps = X20,
        req = &[&["414"]],
        ex = &[]
    ),
    def!(
        "255",
        "GCN",
        pre = false,
        attr = true,
        pkey = true,
        q = &[],
        comps = &[n_csum(13), n_var(0, 12)],
        req = NONE,
        ex = &["01", "02", "415", "8006", "8020", "8026"]
    ),
    measure!("310", "NET WEIGHT (kg)", MEASURE_TRADE),
    measure!("311", "LENGTH (m)", MEASURE_TRADE),
    measure!("312", "WIDTH (m)", MEASURE_TRADE),
    measure!("313", "HEIGHT (m)", MEASURE_TRADE),
    measure!("314", "AREA (m2)", MEASURE_TRADE),
    measure!("315", "NET VOLUME (l)", MEASURE_TRADE),
    measure!("316", "NET VOLUME (m3)", MEASURE_TRADE),
    measure!("330", "GROSS WEIGHT (kg)", MEASURE_LOG),
    measure!("331", "LENGTH (m), log", MEASURE_LOG),
    measure!("332", "WIDTH (m), log", MEASURE_LOG),
    measure!("333", "HEIGHT (m), log", MEASURE_LOG),
    measure!("334", "AREA (m2), log", MEASURE_LOG),
    measure!("335", "VOLUME (l), log", MEASURE_LOG),
    measure!("336", "VOLUME (m3), log", MEASURE_LOG),
    def!(
        "37",
        "COUNT",
        pre = false,
        attr = true,
        pkey = false,
        q = &[],
        comps = &[n_var(1, 8)],
        req = &[&["00"], &["02", "8026"]],
        ex = &[]
    ),
    def!(
        "400",
        "ORDER NUMBER",
        pre = false,
        attr = true,
        pkey = false,
        q = &[],
        comps = X30,
        req = NONE,
        ex = &[]
    ),
    def!(
        "401",
        "GINC",
        pre = false,
        attr = true,
        pkey = true,
        q = &[],
        comps = X30,
        req = NONE,
        ex = &[]
    ),
    def!(
        "402",
        "GSIN",
        pre = false,
        attr = true,
        pkey = true,
        q = &[],
        comps = &[n_csum(17)],
        req = NONE,
        ex = &[]
    ),
    def!(
        "403",
        "ROUTE",
        pre = false,
        attr = true,
        pkey = false,
        q = &[],
        comps = X30,
        req = &[&["00"]],
        ex = &[]
    ),
    def!(
        "410",
        "SHIP TO LOC",
        pre = true,
        attr = true,
        pkey = false,
        q = &[],
        comps = GLN13,
        req = NONE,
        ex = &[]
    ),
    def!(
        "411",
        "BILL TO",
        pre = true,
        attr = true,
        pkey = false,
        q = &[],
        comps = GLN13,
        req = NONE,
        ex = &[]
    ),
    def!(
        "412",
        "PURCHASE FROM",
        pre = true,
        attr = true,
        pkey = false,
        q = &[],
        comps = GLN13,
        req = NONE,
        ex = &[]
    ),
    def!(
        "413",
        "SHIP FOR LOC",
        pre = true,
        attr = true,
        pkey = false,
        q = &[],
        comps = GLN13,
        req = NONE,
        ex = &[]
    ),
    def!(
        "414",
        "LOC No.",
        pre = true,
        attr = true,
        pkey = true,
        q = &[&["254"], &["7040"]],
        comps = GLN13,
        req = NONE,
        ex = &[]
    ),
    def!(
        "415",
        "PAY TO",
        pre = true,
        attr = true,
        pkey = true,
        q = &[&["8020"]],
        comps = GLN13,
        req = &[&["8020"]],
        ex = &[]
    ),
    def!(
        "416",
        "PROD/SERV LOC",
        pre = true,
        attr = true,
        pkey = false,
        q = &[],
        comps = GLN13,
        req = NONE,
        ex = &[]
    ),
    def!(
        "417",
        "PARTY",
        pre = true,
        attr = true,
        pkey = true,
        q = &[&["7040"]],
        comps = GLN13,
        req = NONE,
        ex = &[]
    ),
    def!(
        "422",
        "ORIGIN",
        pre = false,
        attr = true,
        pkey = false,
        q = &[],
        comps = &[n(3)],
        req = TRADE_REQ,
        ex = &["426"]
    ),
    def!(
        "424",
        "COUNTRY - PROCESS",
        pre = false,
        attr = true,
        pkey = false,
        q = &[],
        comps = &[n(3)],
        req = &[&["01", "02"]],
        ex = &["426"]
    ),
    def!(
        "426",
        "COUNTRY - FULL PROCESS",
        pre = false,
        attr = true,
        pkey = false,
        q = &[],
        comps = &[n(3)],
        req = &[&["01", "02"]],
        ex = &[]
    ),
    def!(
        "7003",
        "EXPIRY TIME",
        pre = false,
        attr = true,
        pkey = false,
        q = &[],
        comps = &[n(10)],
        req = &[&["01", "02"]],
        ex = &[]
    ),
    def!(
        "7007",
        "HARVEST DATE",
        pre = false,
        attr = true,
        pkey = false,
        q = &[],
        comps = &[n(6), n_var(0, 6)],
        req = &[&["01", "02"]],
        ex = &[]
    ),
    def!(
        "7040",
        "UIC+EXT",
        pre = false,
        attr = false,
        pkey = false,
        q = &[],
        comps = &[n(1), x_var(3, 3)],
        req = NONE,
        ex = &[]
    ),
    def!(
        "8003",
        "GRAI",
        pre = false,
        attr = true,
        pkey = true,
        q = &[],
        comps = &[
            Comp {
                cs: Cset::N,
                min: 1,
                max: 1,
                lint: Lint::Zero
            },
            n_csum(13),
            x_var(0, 16)
        ],
        req = NONE,
        ex = &[]
    ),
    def!(
        "8004",
        "GIAI",
        pre = false,
        attr = true,
        pkey = true,
        q = &[&["7040"]],
        comps = X30,
        req = NONE,
        ex = &[]
    ),
    def!(
        "8006",
        "ITIP",
        pre = false,
        attr = true,
        pkey = true,
        q = ITIP_Q,
        comps = &[n_csum(14), n(4)],
        req = NONE,
        ex = &["01", "37"]
    ),
    def!(
        "8010",
        "CPID",
        pre = false,
        attr = true,
        pkey = true,
        q = &[&["8011"]],
        comps = &[Comp {
            cs: Cset::Y,
            min: 1,
            max: 30,
            lint: Lint::None
        }],
        req = NONE,
        ex = &[]
    ),
    def!(
        "8011",
        "CPID SERIAL",
        pre = false,
        attr = false,
        pkey = false,
        q = &[],
        comps = &[Comp {
            cs: Cset::N,
            min: 1,
            max: 12,
            lint: Lint::NoZeroPrefix
        }],
        req = &[&["8010"]],
        ex = &[]
    ),
    def!(
        "8012",
        "VERSION",
        pre = false,
        attr = true,
        pkey = false,
        q = &[],
        comps = X20,
        req = &[&["01", "8006"]],
        ex = &[]
    ),
    def!(
        "8013",
        "GMN",
        pre = false,
        attr = true,
        pkey = true,
        q = &[],
        comps = &[x_var(1, 25)],
        req = NONE,
        ex = &[]
    ),
    def!(
        "8017",
        "GSRN - PROVIDER",
        pre = false,
        attr = true,
        pkey = true,
        q = &[&["8019"]],
        comps = &[n_csum(18)],
        req = NONE,
        ex = &["8018"]
    ),
    def!(
        "8018",
        "GSRN - RECIPIENT",
        pre = false,
        attr = true,
        pkey = true,
        q = &[&["8019"]],
        comps = &[n_csum(18)],
        req = NONE,
        ex = &["8017"]
    ),
    def!(
        "8019",
        "SRIN",
        pre = false,
        attr = false,
        pkey = false,
        q = &[],
        comps = &[n_var(1, 10)],
        req = &[&["8017", "8018"]],
        ex = &[]
    ),
    def!(
        "8020",
        "REF No.",
        pre = false,
        attr = false,
        pkey = false,
        q = &[],
        comps = &[x_var(1, 25)],
        req = &[&["415"]],
        ex = &[]
    ),
    def!(
        "8026",
        "ITIP CONTENT",
        pre = false,
        attr = true,
        pkey = false,
        q = &[],
        comps = &[n_csum(14), n(4)],
        req = &[&["37"]],
        ex = &["02", "8006"]
    ),
    def!(
        "8200",
        "PRODUCT URL",
        pre = false,
        attr = false,
        pkey = false,
        q = &[],
        comps = &[x_var(1, 70)],
        req = &[&["01"]],
        ex = &[]
    ),
    def!(
        "90",
        "INTERNAL",
        pre = false,
        attr = true,
        pkey = false,
        q = &[],
        comps = X30,
        req = NONE,
        ex = &[]
    ),
    def!(
        "91",
        "INTERNAL",
        pre = false,
        attr = true,
        pkey = false,
        q = &[],
        comps = X90,
        req = NONE,
        ex = &[]
    ),
    def!(
        "92",
        "INTERNAL",
        pre = false,
        attr = true,
        pkey = false,
        q = &[],
        comps = X90,
        req = NONE,
        ex = &[]
    ),
    def!(
        "93",
        "INTERNAL",
        pre = false,
        attr = true,
        pkey = false,
        q = &[],
        comps = X90,
        req = NONE,
        ex = &[]
    ),
    def!(
        "94",
        "INTERNAL",
        pre = false,
        attr = true,
        pkey = false,
        q = &[],
        comps = X90,
        req = NONE,
        ex = &[]
    ),
    def!(
        "95",
        "INTERNAL",
        pre = false,
        attr = true,
        pkey = false,
        q = &[],
        comps = X90,
        req = NONE,
        ex = &[]
    ),
    def!(
        "96",
        "INTERNAL",
        pre = false,
        attr = true,
        pkey = false,
        q = &[],
        comps = X90,
        req = NONE,
        ex = &[]
    ),
    def!(
        "97",
        "INTERNAL",
        pre = false,
        attr = true,
        pkey = false,
        q = &[],
        comps = X90,
        req = NONE,
        ex = &[]
    ),
    def!(
        "98",
        "INTERNAL",
        pre = false,
        attr = true,
        pkey = false,
        q = &[],
        comps = X90,
        req = NONE,
        ex = &[]
    ),
    def!(
        "99",
        "INTERNAL",
        pre = false,
        attr = true,
        pkey = false,
        q = &[],
        comps = X90,
        req = NONE,
        ex = &[]
    ),
];

/// Definition used for AIs missing from the table when they are permitted.
static UNKNOWN: AiDef = AiDef {
    code: "",
    decimal: false,
    title: "UNKNOWN AI",
    predefined: false,
    dl_attr: true,
    pkey: false,
    qualifiers: &[],
    comps: X90,
    req: &[],
    ex: &[],
};

/// Look an AI up in the table.
pub(crate) fn lookup(ai: &str) -> Option<&'static AiDef> {
    if !(2..=4).contains(&ai.len()) || !ai.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    TABLE.iter().find(|d| {
        if d.decimal {
            ai.len() == 4
                && ai.starts_with(d.code)
                && matches!(ai.as_bytes().get(3), Some(b'0'..=b'5'))
        } else {
            d.code == ai
        }
    })
}

/// Look an AI up, falling back to the "unknown AI" definition when permitted.
pub(crate) fn lookup_with(ai: &str, opts: &ParseOptions) -> Result<&'static AiDef, Gs1Error> {
    if let Some(d) = lookup(ai) {
        return Ok(d);
    }
    let well_formed = (2..=4).contains(&ai.len()) && ai.bytes().all(|b| b.is_ascii_digit());
    if opts.permit_unknown_ais && well_formed {
        Ok(&UNKNOWN)
    } else {
        Err(Gs1Error::UnknownAi { ai: shown(ai) })
    }
}

/// Whether `ai` is a known Digital Link primary key.
pub fn is_primary_key(ai: &str) -> bool {
    lookup(ai).is_some_and(|d| d.pkey)
}

/// Whether `ai` is a known predefined-length AI (needs no FNC1 separator).
pub fn is_predefined_length(ai: &str) -> bool {
    lookup(ai).is_some_and(|d| d.predefined)
}

/// The title of a known AI, e.g. `GTIN` for `01`.
pub fn ai_title(ai: &str) -> Option<&'static str> {
    lookup(ai).map(|d| d.title)
}

/// Validate `value` against the format of `ai` (length, characters, check digits).
pub fn validate_ai_value(ai: &str, value: &str) -> Result<(), Gs1Error> {
    validate_value_with(ai, value, &ParseOptions::default())
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
    let min: usize = def.comps.iter().map(|c| usize::from(c.min)).sum();
    let max: usize = def.comps.iter().map(|c| usize::from(c.max)).sum();
    // Characters must be checked per component, but a value with a
    // character outside every set is reported by position first.
    let all_numeric = def.comps.iter().all(|c| c.cs == Cset::N);
    if all_numeric {
        require_digits(s, value)?;
    }
    require_length(s, value, min.max(1), max)?;

    let chars: Vec<char> = value.chars().collect();
    let mut pos = 0usize;
    for comp in def.comps {
        let remaining = chars.len().saturating_sub(pos);
        let take = remaining.min(usize::from(comp.max));
        if take < usize::from(comp.min) {
            return Err(Gs1Error::Length {
                what: what.clone(),
                ai: Some(ai.to_string()),
                value: shown(value),
                found: chars.len(),
                min,
                max,
            });
        }
        let part: String = chars
            .get(pos..pos + take)
            .unwrap_or_default()
            .iter()
            .collect();
        for (i, c) in part.chars().enumerate() {
            let ok = match comp.cs {
                Cset::N => c.is_ascii_digit(),
                Cset::X => is_cset82(c),
                Cset::Y => is_cset39(c),
            };
            if !ok {
                let position = pos + i + 1;
                return Err(match comp.cs {
                    Cset::N => Gs1Error::NotDigit {
                        what,
                        ai: Some(ai.to_string()),
                        value: shown(value),
                        position,
                        found: c,
                    },
                    Cset::X | Cset::Y => Gs1Error::InvalidCharacter {
                        what,
                        ai: Some(ai.to_string()),
                        value: shown(value),
                        position,
                        found: c,
                        charset: if comp.cs == Cset::X {
                            "GS1 character set 82"
                        } else {
                            "GS1 character set 39"
                        },
                    },
                });
            }
        }
        match comp.lint {
            Lint::None => {}
            Lint::Csum => {
                if opts.verify_check_digits {
                    require_mod10(s, &part)?;
                }
            }
            Lint::Zero => {
                if part != "0" {
                    return Err(Gs1Error::InvalidValue {
                        what,
                        ai: Some(ai.to_string()),
                        value: shown(value),
                        reason: "must start with the digit 0",
                    });
                }
            }
            Lint::NoZeroPrefix => {
                if part.len() > 1 && part.starts_with('0') {
                    return Err(Gs1Error::InvalidValue {
                        what,
                        ai: Some(ai.to_string()),
                        value: shown(value),
                        reason: "must not have a leading zero",
                    });
                }
            }
        }
        pos += take;
    }
    if pos < chars.len() {
        return Err(Gs1Error::Length {
            what,
            ai: Some(ai.to_string()),
            value: shown(value),
            found: chars.len(),
            min,
            max,
        });
    }
    Ok(())
}

/// Check mandatory associations and invalid pairs over a set of AIs.
pub(crate) fn check_associations(elements: &[AiElement]) -> Result<(), Gs1Error> {
    let has = |ai: &str| elements.iter().any(|e| e.ai == ai);
    for e in elements {
        let Some(def) = lookup(&e.ai) else { continue };
        for group in def.req {
            if !group.iter().any(|r| has(r)) {
                let list: Vec<String> = group.iter().map(|r| format!("({r})")).collect();
                let requires = if list.len() == 1 {
                    list.join("")
                } else {
                    format!("one of {}", list.join(", "))
                };
                return Err(Gs1Error::MissingRequiredAi {
                    ai: e.ai.clone(),
                    requires,
                });
            }
        }
        for x in def.ex {
            if *x != e.ai && has(x) {
                return Err(Gs1Error::ExclusiveAis {
                    ai: e.ai.clone(),
                    other: (*x).to_string(),
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
