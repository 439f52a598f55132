//! Field checks shared by every record kind (R-X1): presence, text limits, RFC 3339 times,
//! ISO 4217 currencies, ISO 3166-1 alpha-2 countries, amounts, GS1 keys, positions, sensor
//! readings. A [`FieldChecker`] collects every problem of a record, then [`FieldChecker::finish`] turns
//! them into one [`ContractError`].

use tracechain_gs1::{DigitalLink, EpcKind, EpcUrn, Gln, Gtin, Sscc};
use tracechain_types::records::{Place, Position, SensorReading};

use crate::error::{ContractError, ErrorCode, FieldProblem, Problem};
use crate::rules::Rule;

/// Longest free-text item (bytes). Longer text is refused (`Problem::TooLong`): evidence
/// belongs in an anchored document, the record carries its hash.
pub const MAX_TEXT_BYTES: usize = 512;
/// Most items in one list field (trace codes, lines, positions, readings, serials). Longer
/// lists are refused (`Problem::TooLong`); split the record.
pub const MAX_LIST_ITEMS: usize = 256;
/// Most positions on one record (R-S5).
pub const MAX_POSITIONS: usize = MAX_LIST_ITEMS;
/// Most sensor readings on one record (R-S6).
pub const MAX_SENSOR_READINGS: usize = 1024;

/// ISO 4217 active alphabetic currency codes (fund and precious-metal codes excluded),
/// sorted.
pub const ISO_4217: &[&str] = &[
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT",
    "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD",
    "CAD", "CDF", "CHE", "CHF", "CHW", "CLF", "CLP", "CNY", "COP", "COU", "CRC", "CUP", "CVE",
    "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL",
    "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR",
    "IQD", "IRR", "ISK", "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD",
    "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK",
    "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN", "NAD", "NGN", "NIO",
    "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON",
    "RSD", "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD",
    "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD",
    "TZS", "UAH", "UGX", "USD", "USN", "UYI", "UYU", "UYW", "UZS", "VED", "VES", "VND", "VUV",
    "WST", "XAF", "XCD", "XCG", "XOF", "XPF", "YER", "ZAR", "ZMW", "ZWG",
];

/// ISO 3166-1 alpha-2 officially assigned country codes, sorted (the GS1 crate's table).
pub use tracechain_gs1::ISO3166_ALPHA2 as ISO_3166_ALPHA2;

/// Whether `code` is an active ISO 4217 currency.
pub fn is_currency(code: &str) -> bool {
    ISO_4217.binary_search(&code).is_ok()
}

/// Whether `code` is an ISO 3166-1 alpha-2 country.
pub fn is_country(code: &str) -> bool {
    ISO_3166_ALPHA2.binary_search(&code).is_ok()
}

/// Parse an RFC 3339 `date-time` into milliseconds since the Unix epoch (UTC) with the
/// workspace's one parser (`tracechain_types::time`, strict: `T`, seconds, `Z` or `±HH:MM` of
/// at most 14:00; fraction cut to milliseconds; leap seconds refused).
pub fn parse_rfc3339(s: &str) -> Result<i64, String> {
    tracechain_types::time::parse_millis(s)
}

/// Parse an RFC 3339 `full-date` (`YYYY-MM-DD`, midnight UTC) or `date-time`.
pub fn parse_date_or_time(s: &str) -> Result<i64, String> {
    if s.len() == 10 {
        tracechain_types::time::parse_date(s).map(|d| d * 86_400_000)
    } else {
        parse_rfc3339(s)
    }
}

/// Collects every problem of one record.
#[derive(Debug, Default)]
pub struct FieldChecker {
    /// Problems so far.
    pub problems: Vec<FieldProblem>,
    /// Latest accepted event time (Unix ms), when the record is judged against a block
    /// ([`crate::BlockContext::latest_record_time_ms`]).
    pub latest_ms: Option<i64>,
}

impl FieldChecker {
    /// No problems yet; times are checked for form and the epoch only.
    pub fn new() -> FieldChecker {
        FieldChecker::default()
    }

    /// No problems yet; event times later than `latest_ms` are refused too (R-X1).
    pub fn at(latest_ms: i64) -> FieldChecker {
        FieldChecker {
            problems: Vec::new(),
            latest_ms: Some(latest_ms),
        }
    }

    /// Whether an event time (Unix ms) is acceptable: not before the Unix epoch and not
    /// later than the bound. The problem, if any.
    pub fn event_time_problem(&self, t: i64) -> Option<Problem> {
        if t < 0 {
            Some(Problem::OutOfRange(
                "before the Unix epoch (1970-01-01T00:00:00Z)".into(),
            ))
        } else {
            self.latest_ms.filter(|l| t > *l).map(|latest| {
                Problem::OutOfRange(format!(
                    "{t} ms is later than the block time plus the allowed skew ({latest} ms)"
                ))
            })
        }
    }

    /// Check an event time (Unix ms) against the epoch and the bound; `field` is built only
    /// when there is a problem.
    pub fn event_time_ms(&mut self, field: impl FnOnce() -> String, t: i64) -> Option<i64> {
        match self.event_time_problem(t) {
            None => Some(t),
            Some(p) => {
                self.push(field(), p);
                None
            }
        }
    }

    /// Record a problem.
    pub fn push(&mut self, field: impl Into<String>, problem: Problem) {
        self.problems.push(FieldProblem::new(field, problem));
    }

    /// Add problems found elsewhere.
    pub fn extend(&mut self, problems: Vec<FieldProblem>) {
        self.problems.extend(problems);
    }

    /// Whether no problem was found.
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }

    /// A present value, or a `Missing` problem when `required`.
    pub fn present<'v, T>(
        &mut self,
        field: &str,
        v: &'v Option<T>,
        required: bool,
    ) -> Option<&'v T> {
        if v.is_none() && required {
            self.push(field, Problem::Missing);
        }
        v.as_ref()
    }

    /// A place (ADR 0046): a UN/LOCODE of a listed country, a GS1 location (SGLN URN or
    /// Digital Link with AI 414), or a non-zero commitment to a private place.
    pub fn place(&mut self, field: &str, v: &Option<Place>, required: bool) {
        let Some(p) = self.present(field, v, required) else {
            return;
        };
        match p {
            Place::Locode(s) => {
                let country_ok = s.get(..2).is_some_and(|c| ISO_3166_ALPHA2.contains(&c));
                let rest_ok = s.len() == 5
                    && s.bytes()
                        .skip(2)
                        .all(|b| b.is_ascii_uppercase() || (b'2'..=b'9').contains(&b));
                if !(country_ok && rest_ok) {
                    self.push(
                        field,
                        Problem::Malformed(format!(
                            "{s:?} is not a UN/LOCODE (ISO 3166 country and three letters or \
                             digits 2-9)"
                        )),
                    );
                }
            }
            Place::Location(s) => {
                let sgln = s.len() <= MAX_TEXT_BYTES
                    && EpcUrn::parse(s).is_ok_and(|u| matches!(u.kind(), EpcKind::Sgln { .. }));
                let dl = !sgln
                    && s.len() <= MAX_TEXT_BYTES
                    && DigitalLink::parse(s).is_ok_and(|d| d.get("414").is_some());
                if !(sgln || dl) {
                    self.push(
                        field,
                        Problem::Malformed(
                            "a GS1 location is an urn:epc:id:sgln URN or a Digital Link with \
                             AI 414"
                                .into(),
                        ),
                    );
                }
            }
            Place::Private(c) => {
                if c.0 == tracechain_types::Hash::ZERO {
                    self.push(field, Problem::Missing);
                }
            }
        }
    }

    /// Free text: non-blank, at most [`MAX_TEXT_BYTES`], no control characters.
    pub fn text<'v>(
        &mut self,
        field: &str,
        v: &'v Option<String>,
        required: bool,
    ) -> Option<&'v str> {
        let s = self.present(field, v, required)?;
        self.text_value(field, s, required).then_some(s.as_str())
    }

    /// Check a text value that is structurally always present (blank counts as missing when
    /// `required`).
    pub fn text_value(&mut self, field: &str, s: &str, required: bool) -> bool {
        if s.trim().is_empty() {
            self.push(
                field,
                if required {
                    Problem::Missing
                } else {
                    Problem::Malformed("blank".into())
                },
            );
            false
        } else if s.len() > MAX_TEXT_BYTES {
            self.push(
                field,
                Problem::TooLong {
                    max: MAX_TEXT_BYTES,
                },
            );
            false
        } else if s.chars().any(char::is_control) {
            self.push(field, Problem::Malformed("control character".into()));
            false
        } else {
            true
        }
    }

    /// An RFC 3339 date-time, as Unix milliseconds.
    pub fn time(&mut self, field: &str, v: &Option<String>, required: bool) -> Option<i64> {
        let s = self.present(field, v, required)?;
        self.time_value(field, s)
    }

    /// Check an event date-time value: RFC 3339, not before the epoch, not later than the
    /// bound (R-X1).
    pub fn time_value(&mut self, field: &str, s: &str) -> Option<i64> {
        match parse_rfc3339(s) {
            Ok(t) => self.event_time_ms(|| field.to_string(), t),
            Err(e) => {
                self.push(
                    field,
                    Problem::Malformed(format!("not an RFC 3339 date-time: {e}")),
                );
                None
            }
        }
    }

    /// An RFC 3339 full-date or date-time, as Unix milliseconds.
    pub fn date(&mut self, field: &str, v: &Option<String>, required: bool) -> Option<i64> {
        let s = self.present(field, v, required)?;
        match parse_date_or_time(s) {
            Ok(t) => Some(t),
            Err(e) => {
                self.push(
                    field,
                    Problem::Malformed(format!("not an RFC 3339 date: {e}")),
                );
                None
            }
        }
    }

    /// An RFC 3339 full-date or date-time of an event (production, declaration, release):
    /// like [`FieldChecker::date`], and not before the epoch nor later than the bound (R-X1).
    pub fn event_date(&mut self, field: &str, v: &Option<String>, required: bool) -> Option<i64> {
        let t = self.date(field, v, required)?;
        self.event_time_ms(|| field.to_string(), t)
    }

    /// An ISO 4217 currency code.
    pub fn currency<'v>(
        &mut self,
        field: &str,
        v: &'v Option<String>,
        required: bool,
    ) -> Option<&'v str> {
        let s = self.present(field, v, required)?;
        if is_currency(s) {
            Some(s)
        } else {
            self.push(
                field,
                Problem::Malformed(format!("{s:?} is not an active ISO 4217 currency code")),
            );
            None
        }
    }

    /// An ISO 3166-1 alpha-2 country code.
    pub fn country<'v>(
        &mut self,
        field: &str,
        v: &'v Option<String>,
        required: bool,
    ) -> Option<&'v str> {
        let s = self.present(field, v, required)?;
        self.country_value(field, s).then_some(s.as_str())
    }

    /// Check a country value.
    pub fn country_value(&mut self, field: &str, s: &str) -> bool {
        if is_country(s) {
            true
        } else {
            self.push(
                field,
                Problem::Malformed(format!("{s:?} is not an ISO 3166-1 alpha-2 country code")),
            );
            false
        }
    }

    /// An amount in minor units, ≥ 0.
    pub fn amount(&mut self, field: &str, v: &Option<i64>, required: bool) -> Option<i64> {
        let a = *self.present(field, v, required)?;
        self.amount_value(field, a).then_some(a)
    }

    /// Check an amount value.
    pub fn amount_value(&mut self, field: &str, a: i64) -> bool {
        if a < 0 {
            self.push(
                field,
                Problem::OutOfRange(format!("amount {a} is negative")),
            );
            false
        } else {
            true
        }
    }

    /// A GTIN (check digit verified); returns the 14-digit form.
    pub fn gtin(&mut self, field: &str, v: &Option<String>, required: bool) -> Option<String> {
        let s = self.present(field, v, required)?;
        self.gtin_value(field, s)
    }

    /// Check a GTIN value.
    pub fn gtin_value(&mut self, field: &str, s: &str) -> Option<String> {
        match Gtin::parse(s) {
            Ok(g) => Some(g.as_str().to_string()),
            Err(e) => {
                self.push(field, Problem::Malformed(e.to_string()));
                None
            }
        }
    }

    /// A GLN (check digit verified).
    pub fn gln(&mut self, field: &str, v: &Option<String>, required: bool) -> bool {
        let Some(s) = self.present(field, v, required) else {
            return !required;
        };
        match Gln::parse(s) {
            Ok(_) => true,
            Err(e) => {
                self.push(field, Problem::Malformed(e.to_string()));
                false
            }
        }
    }

    /// An SSCC (check digit verified).
    pub fn sscc_value(&mut self, field: &str, s: &str) -> bool {
        match Sscc::parse(s) {
            Ok(_) => true,
            Err(e) => {
                self.push(field, Problem::Malformed(e.to_string()));
                false
            }
        }
    }

    /// A list length within `min..=max`.
    pub fn list<T>(&mut self, field: &str, v: &[T], min: usize, max: usize) -> bool {
        if v.len() < min {
            self.push(field, Problem::Missing);
            false
        } else if v.len() > max {
            self.push(field, Problem::TooLong { max });
            false
        } else {
            true
        }
    }

    /// The time of list item `i` (`{field}[{i}].time`), named only when it has a problem.
    fn item_time(&mut self, field: &str, i: usize, s: &str) {
        match parse_rfc3339(s) {
            Ok(t) => {
                self.event_time_ms(|| format!("{field}[{i}].time"), t);
            }
            Err(_) => {
                self.time_value(&format!("{field}[{i}].time"), s);
            }
        }
    }

    /// Positions of a logistics record (R-S5).
    pub fn positions(&mut self, field: &str, v: &[Position]) {
        if !self.list(field, v, 0, MAX_POSITIONS) {
            return;
        }
        for (i, p) in v.iter().enumerate() {
            self.item_time(field, i, &p.time);
            if !(-900_000_000..=900_000_000).contains(&p.lat_e7) {
                self.push(
                    format!("{field}[{i}].lat_e7"),
                    Problem::OutOfRange("latitude beyond ±90°".into()),
                );
            }
            if !(-1_800_000_000..=1_800_000_000).contains(&p.lon_e7) {
                self.push(
                    format!("{field}[{i}].lon_e7"),
                    Problem::OutOfRange("longitude beyond ±180°".into()),
                );
            }
        }
    }

    /// Sensor readings of a warehousing or transport record (R-S6).
    pub fn sensor_readings(&mut self, field: &str, v: &[SensorReading]) {
        if !self.list(field, v, 0, MAX_SENSOR_READINGS) {
            return;
        }
        for (i, r) in v.iter().enumerate() {
            self.item_time(field, i, &r.time);
            if r.temperature_centi_c.is_none() && r.humidity_bp.is_none() {
                self.push(format!("{field}[{i}]"), Problem::Missing);
            }
            if let Some(t) = r.temperature_centi_c {
                if !(-27_315..=100_000).contains(&t) {
                    self.push(
                        format!("{field}[{i}].temperature_centi_c"),
                        Problem::OutOfRange(format!("{t}")),
                    );
                }
            }
            if let Some(h) = r.humidity_bp {
                if h > 10_000 {
                    self.push(
                        format!("{field}[{i}].humidity_bp"),
                        Problem::OutOfRange(format!("{h} > 10000")),
                    );
                }
            }
        }
    }

    /// Finish: `Ok` when no problem was found, else one error under `rule` with code
    /// `E_MISSING_BASIC_ITEM` when anything is missing, `E_MALFORMED_ITEM` otherwise.
    pub fn finish(self, rule: Rule) -> Result<(), ContractError> {
        if self.problems.is_empty() {
            return Ok(());
        }
        let code = if self.problems.iter().any(|p| p.problem == Problem::Missing) {
            ErrorCode::MissingBasicItem
        } else {
            ErrorCode::MalformedItem
        };
        Err(ContractError {
            rule,
            code,
            problems: self.problems,
        })
    }
}
