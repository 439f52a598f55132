//! Trace codes (R-I1, R-I2): validation with GS1 check digits (via `tracechain-gs1`),
//! normalisation (GTIN to 14 digits) and the GS1 Digital Link form.

use tracechain_gs1::{Batch, DigitalLink, Gtin, Serial};
use tracechain_types::records::TraceCode;

use crate::error::{FieldProblem, Problem};

/// GS1 Digital Link stem produced by [`NormalisedCode::digital_link`].
pub const DIGITAL_LINK_STEM: &str = "https://id.gs1.org";

/// A validated trace code in its normalised element-string form: `01{gtin14}10{batch}` or
/// `01{gtin14}21{serial}` (human readable, no parentheses). This is the ledger's identity of
/// a trace unit: two submissions of the same GTIN in 13- and 14-digit form are one unit.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NormalisedCode {
    text: String,
    code: TraceCode,
}

impl NormalisedCode {
    /// Validate and normalise; the problems name sub-fields under `field` (`field.gtin`,
    /// `field.batch`, `field.serial`).
    pub fn new(field: &str, code: &TraceCode) -> Result<NormalisedCode, Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let gtin = match Gtin::parse(code.gtin()) {
            Ok(g) => Some(g),
            Err(e) => {
                problems.push(FieldProblem::new(
                    format!("{field}.gtin"),
                    if code.gtin().is_empty() {
                        Problem::Missing
                    } else {
                        Problem::Malformed(e.to_string())
                    },
                ));
                None
            }
        };
        let (ai, value, sub) = match code {
            TraceCode::Batch { batch, .. } => ("10", batch, "batch"),
            TraceCode::Item { serial, .. } => ("21", serial, "serial"),
        };
        let attr_ok = match ai {
            "10" => Batch::parse(value).map(|_| ()),
            _ => Serial::parse(value).map(|_| ()),
        };
        if let Err(e) = attr_ok {
            problems.push(FieldProblem::new(
                format!("{field}.{sub}"),
                if value.is_empty() {
                    Problem::Missing
                } else {
                    Problem::Malformed(e.to_string())
                },
            ));
        }
        match gtin {
            Some(g) if problems.is_empty() => {
                let gtin14 = g.as_str();
                // Built by pushes, not `format!` (this runs for every code of every record).
                let mut text = String::with_capacity(2 + gtin14.len() + 2 + value.len());
                text.push_str("01");
                text.push_str(gtin14);
                text.push_str(ai);
                text.push_str(value);
                let code = match code {
                    TraceCode::Batch { batch, .. } => TraceCode::Batch {
                        gtin: gtin14.to_string(),
                        batch: batch.clone(),
                    },
                    TraceCode::Item { serial, .. } => TraceCode::Item {
                        gtin: gtin14.to_string(),
                        serial: serial.clone(),
                    },
                };
                Ok(NormalisedCode { text, code })
            }
            _ => Err(problems),
        }
    }

    /// The element-string form.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The bytes of the element-string form (for keys).
    pub fn as_bytes(&self) -> &[u8] {
        self.text.as_bytes()
    }

    /// The code with its GTIN normalised to 14 digits.
    pub fn code(&self) -> &TraceCode {
        &self.code
    }

    /// Whether this is an item-level (serialised) code.
    pub fn is_item(&self) -> bool {
        matches!(self.code, TraceCode::Item { .. })
    }

    /// The GS1 Digital Link URI: `https://id.gs1.org/01/{gtin}/10/{batch}` or `/21/{serial}`,
    /// the attribute percent-encoded where it is not an RFC 3986 unreserved character.
    pub fn digital_link(&self) -> String {
        let (ai, value) = match &self.code {
            TraceCode::Batch { batch, .. } => ("10", batch),
            TraceCode::Item { serial, .. } => ("21", serial),
        };
        format!(
            "{DIGITAL_LINK_STEM}/01/{}/{ai}/{}",
            self.code.gtin(),
            percent_encode(value)
        )
    }
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Parse a GS1 Digital Link URI (`…/01/{gtin}/10/{batch}` or `…/01/{gtin}/21/{serial}`) into
/// a trace code (R-I2). Returns a readable reason when it is not one.
pub fn parse_digital_link(uri: &str) -> Result<TraceCode, String> {
    let dl = DigitalLink::parse(uri).map_err(|e| e.to_string())?;
    let gtin = dl
        .get("01")
        .ok_or("no GTIN (AI 01) in the Digital Link")?
        .to_string();
    if let Some(serial) = dl.get("21") {
        return Ok(TraceCode::Item {
            gtin,
            serial: serial.to_string(),
        });
    }
    if let Some(batch) = dl.get("10") {
        return Ok(TraceCode::Batch {
            gtin,
            batch: batch.to_string(),
        });
    }
    Err("a trace code needs a batch (AI 10) or serial (AI 21)".to_string())
}
