//! [`check`]: one entry point that recognises any code form tracechain
//! accepts and returns its normalised reading.

use std::fmt;

use serde::Serialize;

use crate::ai::{parse_element_string, AiElement};
use crate::dl::DigitalLink;
use crate::epc::EpcUrn;
use crate::error::{shown, Gs1Error};
use crate::keys::{Batch, Gln, Gtin, Serial, Sscc};
use crate::uscc::Uscc;

/// What a checked code identifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Trade item class: GTIN alone (optionally with CPV, AI 22).
    Gtin,
    /// Batch-level trade item: GTIN + batch/lot (AI 01 + 10).
    Lgtin,
    /// Item-level trade item: GTIN + serial (AI 01 + 21).
    Sgtin,
    /// Item-level trade item by third-party controlled serial: GTIN + TPX (AI 01 + 235).
    Upui,
    /// Logistic unit (AI 00).
    Sscc,
    /// Physical location (AI 414, optional extension AI 254).
    Gln,
    /// Party (AI 417).
    Pgln,
    /// Document (AI 253).
    Gdti,
    /// Coupon (AI 255).
    Gcn,
    /// Consignment (AI 401).
    Ginc,
    /// Shipment (AI 402).
    Gsin,
    /// Returnable asset (AI 8003).
    Grai,
    /// Individual asset (AI 8004).
    Giai,
    /// Trade item piece (AI 8006).
    Itip,
    /// Component/part (AI 8010).
    Cpid,
    /// Model number (AI 8013).
    Gmn,
    /// Service relation, provider (AI 8017).
    Gsrnp,
    /// Service relation, recipient (AI 8018).
    Gsrn,
    /// Pay-to GLN (AI 415).
    PayTo,
    /// Chinese unified social credit code (GB 32100).
    Uscc,
}

impl Kind {
    /// The lower-case name used in JSON, e.g. `sgtin`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Gtin => "gtin",
            Kind::Lgtin => "lgtin",
            Kind::Sgtin => "sgtin",
            Kind::Upui => "upui",
            Kind::Sscc => "sscc",
            Kind::Gln => "gln",
            Kind::Pgln => "pgln",
            Kind::Gdti => "gdti",
            Kind::Gcn => "gcn",
            Kind::Ginc => "ginc",
            Kind::Gsin => "gsin",
            Kind::Grai => "grai",
            Kind::Giai => "giai",
            Kind::Itip => "itip",
            Kind::Cpid => "cpid",
            Kind::Gmn => "gmn",
            Kind::Gsrnp => "gsrnp",
            Kind::Gsrn => "gsrn",
            Kind::PayTo => "pay_to",
            Kind::Uscc => "uscc",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The normalised reading of a code accepted by [`check`].
///
/// Every field is always present in JSON; fields that do not apply are `null`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Normalised {
    /// What the code identifies.
    pub kind: Kind,
    /// GTIN-14, when AI 01 is present.
    pub gtin: Option<Gtin>,
    /// Batch/lot, when AI 10 is present.
    pub batch: Option<Batch>,
    /// Serial, when AI 21 is present.
    pub serial: Option<Serial>,
    /// SSCC, when AI 00 is present.
    pub sscc: Option<Sscc>,
    /// GLN, when AI 414 (location) or 417 (party) is present.
    pub gln: Option<Gln>,
    /// GLN extension component (AI 254).
    pub gln_extension: Option<String>,
    /// All GS1 data as a bracketed element string, path elements first.
    pub element_string: Option<String>,
    /// Canonical Digital Link on `https://id.gs1.org` (query attributes sorted by AI).
    pub digital_link: Option<DigitalLink>,
    /// EPC URN — only when the input was an EPC URN: deriving one from any
    /// other form needs the GS1 company prefix length (see [`EpcUrn::from_digital_link`]).
    pub epc_urn: Option<EpcUrn>,
    /// Unified social credit code.
    pub uscc: Option<Uscc>,
}

const EXPECTED: &str = "expected a GTIN (8, 12, 13 or 14 digits), an SSCC (18 digits), gln:GLN, \
an element string like (01)…(10)…, a Digital Link URI, an EPC URN (urn:epc:…) \
or an 18-character unified social credit code";

/// Recognise and validate a code, returning its normalised reading.
///
/// Accepted forms, tried in this order:
///
/// 1. anything containing `://` — a Digital Link URI (`http`/`https` only);
/// 2. `urn:…` — an EPC URN;
/// 3. `(…` — a bracketed element string (converted to a Digital Link);
/// 4. `gtin:`, `sscc:`, `gln:`, `pgln:`, `uscc:` prefixes force the reading
///    (`gln:` is a location, AI 414; `pgln:` a party, AI 417);
/// 5. 18 characters: all digits → SSCC if its check digit is right, else a
///    unified social credit code if *its* check character is right, else the
///    SSCC error; with a letter → unified social credit code;
/// 6. otherwise, starting with a digit → a GTIN (8, 12, 13 or 14 digits).
///
/// A bare 13-digit string is always read as a GTIN-13, never as a GLN: use
/// `gln:` or a Digital Link `/414/…` or `/417/…` for a GLN.
/// No whitespace trimming is done; a space is reported as a bad character.
pub fn check(input: &str) -> Result<Normalised, Gs1Error> {
    if input.is_empty() {
        return Err(Gs1Error::Empty {
            what: "code".into(),
        });
    }
    if input.contains("://") {
        return Ok(from_dl(&DigitalLink::parse(input)?, None));
    }
    if let Some(_rest) = strip_ci(input, "urn:") {
        let urn = EpcUrn::parse(input)?;
        return Ok(from_dl(&urn.to_digital_link(), Some(urn)));
    }
    if input.starts_with('(') {
        let els = parse_element_string(input)?;
        return Ok(from_dl(&DigitalLink::from_elements(&els, None)?, None));
    }
    if let Some(rest) = strip_ci(input, "gtin:") {
        return Ok(single("01", Gtin::parse(rest)?.as_str()));
    }
    if let Some(rest) = strip_ci(input, "sscc:") {
        return Ok(single("00", Sscc::parse(rest)?.as_str()));
    }
    if let Some(rest) = strip_ci(input, "gln:") {
        return Ok(single("414", Gln::parse(rest)?.as_str()));
    }
    if let Some(rest) = strip_ci(input, "pgln:") {
        return Ok(single("417", Gln::parse(rest)?.as_str()));
    }
    if let Some(rest) = strip_ci(input, "uscc:") {
        return Ok(from_uscc(Uscc::parse(rest)?));
    }
    if input.chars().count() == 18 {
        if input.bytes().all(|b| b.is_ascii_digit()) {
            return match Sscc::parse(input) {
                Ok(s) => Ok(single("00", s.as_str())),
                Err(sscc_err) => Uscc::parse(input).map(from_uscc).map_err(|_| sscc_err),
            };
        }
        return Uscc::parse(input).map(from_uscc);
    }
    if input.starts_with(|c: char| c.is_ascii_digit()) {
        return Ok(single("01", Gtin::parse(input)?.as_str()));
    }
    Err(Gs1Error::Unrecognised {
        input: shown(input),
        reason: EXPECTED,
    })
}

fn strip_ci<'a>(input: &'a str, prefix: &str) -> Option<&'a str> {
    let head = input.get(..prefix.len())?;
    if head.eq_ignore_ascii_case(prefix) {
        input.get(prefix.len()..)
    } else {
        None
    }
}

fn single(ai: &str, value: &str) -> Normalised {
    from_dl(
        &DigitalLink::from_valid_path(vec![AiElement::new(ai, value)]),
        None,
    )
}

fn from_uscc(uscc: Uscc) -> Normalised {
    Normalised {
        kind: Kind::Uscc,
        gtin: None,
        batch: None,
        serial: None,
        sscc: None,
        gln: None,
        gln_extension: None,
        element_string: None,
        digital_link: None,
        epc_urn: None,
        uscc: Some(uscc),
    }
}

fn from_dl(dl: &DigitalLink, epc_urn: Option<EpcUrn>) -> Normalised {
    let canonical = dl.canonical();
    let path: Vec<&str> = dl.path().iter().map(|e| e.ai.as_str()).collect();
    let has_path = |ai: &str| path.contains(&ai);
    let kind = match path.first().copied().unwrap_or_default() {
        "01" if has_path("235") => Kind::Upui,
        "01" if has_path("21") => Kind::Sgtin,
        "01" if has_path("10") => Kind::Lgtin,
        "01" => Kind::Gtin,
        "00" => Kind::Sscc,
        "414" => Kind::Gln,
        "417" => Kind::Pgln,
        "415" => Kind::PayTo,
        "253" => Kind::Gdti,
        "255" => Kind::Gcn,
        "401" => Kind::Ginc,
        "402" => Kind::Gsin,
        "8003" => Kind::Grai,
        "8004" => Kind::Giai,
        "8006" => Kind::Itip,
        "8010" => Kind::Cpid,
        "8013" => Kind::Gmn,
        "8017" => Kind::Gsrnp,
        _ => Kind::Gsrn,
    };
    let gln = dl.get("414").or_else(|| dl.get("417"));
    Normalised {
        kind,
        gtin: dl.get("01").and_then(|v| Gtin::parse(v).ok()),
        batch: dl.get("10").and_then(|v| Batch::parse(v).ok()),
        serial: dl.get("21").and_then(|v| Serial::parse(v).ok()),
        sscc: dl.get("00").and_then(|v| Sscc::parse(v).ok()),
        gln: gln.and_then(|v| Gln::parse(v).ok()),
        gln_extension: dl.get("254").map(str::to_string),
        element_string: Some(canonical.element_string()),
        digital_link: Some(canonical),
        epc_urn,
        uscc: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_examples() {
        let n = check("https://id.gs1.org/01/09506000134352/10/ABC123").unwrap();
        assert_eq!(n.kind, Kind::Lgtin);
        assert_eq!(n.gtin.as_ref().map(Gtin::as_str), Some("09506000134352"));
        assert_eq!(n.batch.as_ref().map(Batch::as_str), Some("ABC123"));
        let e = check("09506000134353").unwrap_err();
        assert_eq!(
            e.to_string(),
            "GTIN 09506000134353: check digit is 3, expected 2"
        );
    }

    #[test]
    fn bare_keys() {
        assert_eq!(check("02345673").unwrap().kind, Kind::Gtin);
        let n = check("1234567890128").unwrap();
        assert_eq!(n.kind, Kind::Gtin, "13 digits are a GTIN-13");
        assert_eq!(
            n.digital_link.unwrap().as_str(),
            "https://id.gs1.org/01/01234567890128"
        );
        let n = check("gln:1234567890128").unwrap();
        assert_eq!(n.kind, Kind::Gln);
        assert_eq!(
            n.digital_link.unwrap().as_str(),
            "https://id.gs1.org/414/1234567890128"
        );
        assert_eq!(check("PGLN:4012345999990").unwrap().kind, Kind::Pgln);
        assert_eq!(check("040123450000001112").unwrap().kind, Kind::Sscc);
        assert_eq!(check("sscc:040123450000001112").unwrap().kind, Kind::Sscc);
        assert_eq!(check("gtin:09506000134352").unwrap().kind, Kind::Gtin);
        assert!(matches!(
            check("123"),
            Err(Gs1Error::GtinLength { found: 3, .. })
        ));
        assert!(matches!(check(""), Err(Gs1Error::Empty { .. })));
        assert!(matches!(check("hello"), Err(Gs1Error::Unrecognised { .. })));
        assert!(matches!(
            check(" 09506000134352"),
            Err(Gs1Error::Unrecognised { .. })
        ));
    }

    #[test]
    fn r_i4_uscc_through_check() {
        // All-digit USCC whose digits are not a valid SSCC.
        let n = check("913502000728319549").unwrap();
        assert_eq!(n.kind, Kind::Uscc);
        assert_eq!(n.uscc.unwrap().as_str(), "913502000728319549");
        assert_eq!(check("91350200MA2YJ1XR9G").unwrap().kind, Kind::Uscc);
        assert_eq!(check("uscc:91350200MA2YJ1XR9G").unwrap().kind, Kind::Uscc);
        assert!(matches!(
            check("91350200MA2YJ1XR9H"),
            Err(Gs1Error::UsccCheckCharacter { expected: 'G', .. })
        ));
        // 18 digits that are neither: the SSCC error is reported.
        assert!(matches!(
            check("123456789012345670"),
            Err(Gs1Error::CheckDigit { .. })
        ));
    }

    #[test]
    fn other_forms() {
        let n = check("(01)09506000134352(21)ABC(17)251231").unwrap();
        assert_eq!(n.kind, Kind::Sgtin);
        assert_eq!(
            n.digital_link.as_ref().unwrap().as_str(),
            "https://id.gs1.org/01/09506000134352/21/ABC?17=251231"
        );
        assert_eq!(
            n.element_string.as_deref(),
            Some("(01)09506000134352(21)ABC(17)251231")
        );
        assert!(n.epc_urn.is_none());
        let n = check("urn:epc:id:sgtin:0614141.107346.2017").unwrap();
        assert_eq!(n.kind, Kind::Sgtin);
        assert_eq!(
            n.epc_urn.unwrap().as_str(),
            "urn:epc:id:sgtin:0614141.107346.2017"
        );
        let n = check("https://example.com/414/4012345000115/254/7").unwrap();
        assert_eq!(n.gln_extension.as_deref(), Some("7"));
        assert!(matches!(
            check("ftp://a/01/09506000134352"),
            Err(Gs1Error::UnsupportedScheme { .. })
        ));
        let json = serde_json::to_value(check("https://id.gs1.org/00/340123451111111111").unwrap())
            .unwrap();
        assert_eq!(json["kind"], "sscc");
        assert_eq!(json["sscc"], "340123451111111111");
        assert!(json["gtin"].is_null());
        for (uri, kind) in [
            ("https://id.gs1.org/253/4602443000331XYZ", Kind::Gdti),
            ("https://id.gs1.org/255/0811625999996", Kind::Gcn),
            ("https://id.gs1.org/401/401234522233ABcd", Kind::Ginc),
            ("https://id.gs1.org/402/40123452223334442", Kind::Gsin),
            ("https://id.gs1.org/8003/03870585000552987", Kind::Grai),
            ("https://id.gs1.org/8004/0180451111ABC987", Kind::Giai),
            ("https://id.gs1.org/8006/123456789101100190", Kind::Itip),
            ("https://id.gs1.org/8010/0628165987/8011/9876", Kind::Cpid),
            (
                "https://id.gs1.org/8013/1987654Ad4X4bL5ttr2310c2K",
                Kind::Gmn,
            ),
            ("https://id.gs1.org/8017/440018922222222226", Kind::Gsrnp),
            ("https://id.gs1.org/8018/385888700111111111", Kind::Gsrn),
            ("https://id.gs1.org/01/09506000134352/235/TPX1", Kind::Upui),
        ] {
            assert_eq!(check(uri).map(|n| n.kind), Ok(kind), "{uri}");
        }
    }
}
