//! EPC pure-identity URNs of the GS1 EPC Tag Data Standard (TDS 2.x) and
//! their conversion to and from GS1 Digital Link.
//!
//! Supported schemes:
//!
//! | URN | Digital Link |
//! |---|---|
//! | `urn:epc:id:sgtin:CompanyPrefix.IndicatorItemRef.Serial` | `/01/{gtin}/21/{serial}` |
//! | `urn:epc:class:lgtin:CompanyPrefix.IndicatorItemRef.Lot` | `/01/{gtin}/10/{lot}` |
//! | `urn:epc:id:sscc:CompanyPrefix.SerialRef` | `/00/{sscc}` |
//! | `urn:epc:id:sgln:CompanyPrefix.LocationRef.Extension` | `/414/{gln}[/254/{ext}]` (`0` = no extension) |
//! | `urn:epc:id:pgln:CompanyPrefix.PartyRef` | `/417/{gln}` |
//!
//! URN → Digital Link always works: the URN carries the company prefix
//! length in the position of its first dot. Digital Link → URN needs the GS1
//! company prefix length (6 to 12 digits) as a parameter, because a GS1 key
//! does not say where its company prefix ends; that length comes from the
//! GS1 member organisation's allocation (e.g. the GEPIR lookup), which this
//! pure crate does not do.
//!
//! Serials, lots and GLN extensions use the TDS escaping: `"` `%` `&` `/`
//! `<` `>` `?` are written `%22 %25 %26 %2F %3C %3E %3F`; those characters
//! may not appear unescaped. Any `%XX` escape decoding to a set-82 character
//! is accepted on input; output uses exactly the TDS escapes.

use crate::ai::AiElement;
use crate::chars::percent_decode;
use crate::dl::DigitalLink;
use crate::error::{shown, Gs1Error};
use crate::keys::{string_type, Batch, Gln, Gtin, Serial, Sscc};

/// What an [`EpcUrn`] identifies.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EpcKind {
    /// Serialised GTIN (item level).
    Sgtin {
        /// The GTIN.
        gtin: Gtin,
        /// The serial.
        serial: Serial,
    },
    /// GTIN + batch/lot (class level).
    Lgtin {
        /// The GTIN.
        gtin: Gtin,
        /// The batch/lot.
        batch: Batch,
    },
    /// Logistic unit.
    Sscc {
        /// The SSCC.
        sscc: Sscc,
    },
    /// Physical location, with optional GLN extension (AI 254).
    Sgln {
        /// The GLN.
        gln: Gln,
        /// The extension, `None` for the URN extension `0`.
        extension: Option<String>,
    },
    /// Party.
    Pgln {
        /// The party GLN.
        gln: Gln,
    },
}

/// An EPC URN (canonical escaping) with its decoded meaning.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EpcUrn(String, EpcKind, usize);
string_type!(EpcUrn);

const MUST_ESCAPE: &[(char, &str)] = &[
    ('"', "%22"),
    ('%', "%25"),
    ('&', "%26"),
    ('/', "%2F"),
    ('<', "%3C"),
    ('>', "%3E"),
    ('?', "%3F"),
];

fn urn_escape(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match MUST_ESCAPE.iter().find(|(m, _)| *m == c) {
            Some((_, e)) => out.push_str(e),
            None => out.push(c),
        }
    }
    out
}

fn urn_unescape(urn: &str, v: &str) -> Result<String, Gs1Error> {
    if let Some(c) = v
        .chars()
        .find(|c| *c != '%' && MUST_ESCAPE.iter().any(|(m, _)| m == c))
    {
        return Err(Gs1Error::InvalidEpcUrn {
            urn: shown(urn),
            reason: format!("character {c:?} must be percent-encoded"),
        });
    }
    percent_decode(v, false)
}

fn bad(urn: &str, reason: impl Into<String>) -> Gs1Error {
    Gs1Error::InvalidEpcUrn {
        urn: shown(urn),
        reason: reason.into(),
    }
}

fn digits<'a>(urn: &str, part: &'a str, name: &str) -> Result<&'a str, Gs1Error> {
    if part.is_empty() && name != "location reference" && name != "party reference" {
        return Err(bad(urn, format!("empty {name}")));
    }
    if let Some((i, c)) = part.chars().enumerate().find(|(_, c)| !c.is_ascii_digit()) {
        return Err(bad(
            urn,
            format!("{name} character {} {c:?} is not a digit", i + 1),
        ));
    }
    Ok(part)
}

fn company_prefix<'a>(urn: &str, cp: &'a str) -> Result<&'a str, Gs1Error> {
    let cp = digits(urn, cp, "company prefix")?;
    if !(6..=12).contains(&cp.len()) {
        return Err(bad(
            urn,
            format!("company prefix has {} digits, expected 6 to 12", cp.len()),
        ));
    }
    Ok(cp)
}

fn total(urn: &str, a: &str, b: &str, want: usize, what: &str) -> Result<(), Gs1Error> {
    if a.len() + b.len() != want {
        return Err(bad(
            urn,
            format!(
                "company prefix and {what} have {} digits together, expected {want}",
                a.len() + b.len()
            ),
        ));
    }
    Ok(())
}

/// Split `s` (ASCII digits) into first char and the rest.
fn head(s: &str) -> (&str, &str) {
    (
        s.get(..1).unwrap_or_default(),
        s.get(1..).unwrap_or_default(),
    )
}

impl EpcUrn {
    /// Parse an EPC URN of one of the supported schemes; the embedded GS1
    /// key's check digit is computed (EPC URNs carry no check digit).
    pub fn parse(urn: &str) -> Result<Self, Gs1Error> {
        if urn.is_empty() {
            return Err(Gs1Error::Empty {
                what: "EPC URN".into(),
            });
        }
        let schemes = [
            ("urn:epc:id:sgtin:", 3),
            ("urn:epc:class:lgtin:", 3),
            ("urn:epc:id:sscc:", 2),
            ("urn:epc:id:sgln:", 3),
            ("urn:epc:id:pgln:", 2),
        ];
        let Some((prefix, body, nparts)) = schemes
            .iter()
            .find_map(|(p, n)| urn.strip_prefix(p).map(|b| (*p, b, *n)))
        else {
            return Err(bad(
                urn,
                "not a supported EPC URN (urn:epc:id:sgtin, urn:epc:class:lgtin, urn:epc:id:sscc, urn:epc:id:sgln, urn:epc:id:pgln)",
            ));
        };
        // The last part (serial, lot, extension) may itself contain dots.
        let parts: Vec<&str> = body.splitn(nparts, '.').collect();
        if parts.len() != nparts {
            return Err(bad(
                urn,
                format!(
                    "expected {nparts} dot-separated parts, found {}",
                    parts.len()
                ),
            ));
        }
        let part = |i: usize| parts.get(i).copied().unwrap_or_default();
        let cp = company_prefix(urn, part(0))?;
        let kind = match prefix {
            "urn:epc:id:sgtin:" | "urn:epc:class:lgtin:" => {
                let ir = digits(urn, part(1), "indicator and item reference")?;
                total(urn, cp, ir, 13, "indicator and item reference")?;
                let (ind, item) = head(ir);
                let gtin = Gtin::from_body(&format!("{ind}{cp}{item}"))?;
                let v = urn_unescape(urn, part(2))?;
                if prefix == "urn:epc:id:sgtin:" {
                    EpcKind::Sgtin {
                        gtin,
                        serial: Serial::parse(&v)?,
                    }
                } else {
                    EpcKind::Lgtin {
                        gtin,
                        batch: Batch::parse(&v)?,
                    }
                }
            }
            "urn:epc:id:sscc:" => {
                let sr = digits(urn, part(1), "serial reference")?;
                total(urn, cp, sr, 17, "serial reference")?;
                let (ext, rest) = head(sr);
                EpcKind::Sscc {
                    sscc: Sscc::from_body(&format!("{ext}{cp}{rest}"))?,
                }
            }
            "urn:epc:id:sgln:" => {
                let lr = digits(urn, part(1), "location reference")?;
                total(urn, cp, lr, 12, "location reference")?;
                let gln = Gln::from_body(&format!("{cp}{lr}"))?;
                let ext = urn_unescape(urn, part(2))?;
                let extension = if ext == "0" {
                    None
                } else {
                    crate::ai::validate_ai_value("254", &ext)?;
                    Some(ext)
                };
                EpcKind::Sgln { gln, extension }
            }
            _ => {
                let pr = digits(urn, part(1), "party reference")?;
                total(urn, cp, pr, 12, "party reference")?;
                EpcKind::Pgln {
                    gln: Gln::from_body(&format!("{cp}{pr}"))?,
                }
            }
        };
        Ok(Self::build(kind, cp.len()))
    }

    fn build(kind: EpcKind, cp_len: usize) -> Self {
        // Keys are all-ASCII digits of fixed length and cp_len is 6..=12, so
        // these ranges are in bounds; `get` keeps it panic-free regardless.
        let text = match &kind {
            EpcKind::Sgtin { gtin, serial } => {
                let g = gtin.as_str();
                format!(
                    "urn:epc:id:sgtin:{}.{}{}.{}",
                    g.get(1..1 + cp_len).unwrap_or_default(),
                    g.get(..1).unwrap_or_default(),
                    g.get(1 + cp_len..13).unwrap_or_default(),
                    urn_escape(serial.as_str())
                )
            }
            EpcKind::Lgtin { gtin, batch } => {
                let g = gtin.as_str();
                format!(
                    "urn:epc:class:lgtin:{}.{}{}.{}",
                    g.get(1..1 + cp_len).unwrap_or_default(),
                    g.get(..1).unwrap_or_default(),
                    g.get(1 + cp_len..13).unwrap_or_default(),
                    urn_escape(batch.as_str())
                )
            }
            EpcKind::Sscc { sscc } => {
                let s = sscc.as_str();
                format!(
                    "urn:epc:id:sscc:{}.{}{}",
                    s.get(1..1 + cp_len).unwrap_or_default(),
                    s.get(..1).unwrap_or_default(),
                    s.get(1 + cp_len..17).unwrap_or_default()
                )
            }
            EpcKind::Sgln { gln, extension } => {
                let g = gln.as_str();
                format!(
                    "urn:epc:id:sgln:{}.{}.{}",
                    g.get(..cp_len).unwrap_or_default(),
                    g.get(cp_len..12).unwrap_or_default(),
                    extension
                        .as_deref()
                        .map_or_else(|| "0".to_string(), urn_escape)
                )
            }
            EpcKind::Pgln { gln } => {
                let g = gln.as_str();
                format!(
                    "urn:epc:id:pgln:{}.{}",
                    g.get(..cp_len).unwrap_or_default(),
                    g.get(cp_len..12).unwrap_or_default()
                )
            }
        };
        Self(text, kind, cp_len)
    }

    /// What the URN identifies.
    pub fn kind(&self) -> &EpcKind {
        &self.1
    }

    /// Length of the GS1 company prefix the URN was written with.
    pub fn company_prefix_len(&self) -> usize {
        self.2
    }

    /// The equivalent Digital Link on `https://id.gs1.org` (always possible).
    pub fn to_digital_link(&self) -> DigitalLink {
        let path = match &self.1 {
            EpcKind::Sgtin { gtin, serial } => {
                vec![
                    AiElement::new("01", gtin.as_str()),
                    AiElement::new("21", serial.as_str()),
                ]
            }
            EpcKind::Lgtin { gtin, batch } => {
                vec![
                    AiElement::new("01", gtin.as_str()),
                    AiElement::new("10", batch.as_str()),
                ]
            }
            EpcKind::Sscc { sscc } => vec![AiElement::new("00", sscc.as_str())],
            EpcKind::Sgln { gln, extension } => {
                let mut p = vec![AiElement::new("414", gln.as_str())];
                if let Some(x) = extension {
                    p.push(AiElement::new("254", x.as_str()));
                }
                p
            }
            EpcKind::Pgln { gln } => vec![AiElement::new("417", gln.as_str())],
        };
        DigitalLink::from_valid_path(path)
    }

    /// The EPC URN for a Digital Link, given the GS1 company prefix length
    /// (6 to 12). Only the path identifies; query attributes are ignored.
    pub fn from_digital_link(
        dl: &DigitalLink,
        company_prefix_len: usize,
    ) -> Result<Self, Gs1Error> {
        if !(6..=12).contains(&company_prefix_len) {
            return Err(Gs1Error::CompanyPrefixLength {
                length: company_prefix_len,
            });
        }
        let none = |reason| Gs1Error::NoEpcEquivalent {
            uri: shown(dl.as_str()),
            reason,
        };
        let ais: Vec<&str> = dl.path().iter().map(|e| e.ai.as_str()).collect();
        let val = |ai: &str| dl.get(ai).unwrap_or_default();
        let kind = match ais.as_slice() {
            ["01", "21"] => EpcKind::Sgtin {
                gtin: Gtin::parse(val("01"))?,
                serial: Serial::parse(val("21"))?,
            },
            ["01", "10"] => EpcKind::Lgtin {
                gtin: Gtin::parse(val("01"))?,
                batch: Batch::parse(val("10"))?,
            },
            ["00"] => EpcKind::Sscc {
                sscc: Sscc::parse(val("00"))?,
            },
            ["414"] => EpcKind::Sgln {
                gln: Gln::parse(val("414"))?,
                extension: None,
            },
            ["414", "254"] => {
                if val("254") == "0" {
                    return Err(none("GLN extension 0 means no extension in an SGLN"));
                }
                EpcKind::Sgln {
                    gln: Gln::parse(val("414"))?,
                    extension: Some(val("254").to_string()),
                }
            }
            ["417"] => EpcKind::Pgln {
                gln: Gln::parse(val("417"))?,
            },
            ["01"] => return Err(none("a GTIN without serial or lot is a class, not an EPC")),
            _ => {
                return Err(none(
                    "supported paths are /01/21, /01/10, /00, /414[/254] and /417",
                ))
            }
        };
        Ok(Self::build(kind, company_prefix_len))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sgtin_round_trip() {
        let u = EpcUrn::parse("urn:epc:id:sgtin:0614141.107346.2017").unwrap();
        let dl = u.to_digital_link();
        assert_eq!(dl.as_str(), "https://id.gs1.org/01/10614141073464/21/2017");
        let back = EpcUrn::from_digital_link(&dl, 7).unwrap();
        assert_eq!(back, u);
        assert_eq!(u.company_prefix_len(), 7);
    }

    #[test]
    fn sscc_sgln_pgln_lgtin_round_trip() {
        for (urn, dl, cp) in [
            (
                "urn:epc:id:sscc:4012345.0000000111",
                "https://id.gs1.org/00/040123450000001112",
                7,
            ),
            (
                "urn:epc:id:sgln:4012345.00011.0",
                "https://id.gs1.org/414/4012345000115",
                7,
            ),
            (
                "urn:epc:id:sgln:0614141.07346.12%2F3",
                "https://id.gs1.org/414/0614141073467/254/12%2F3",
                7,
            ),
            (
                "urn:epc:id:pgln:4012345.99999",
                "https://id.gs1.org/417/4012345999990",
                7,
            ),
            (
                "urn:epc:class:lgtin:4012345.012345.998877",
                "https://id.gs1.org/01/04012345123456/10/998877",
                7,
            ),
            (
                "urn:epc:id:sgtin:950600013435.0.A%2FB%22",
                "https://id.gs1.org/01/09506000134352/21/A%2FB%22",
                12,
            ),
            (
                "urn:epc:id:sgtin:0614141.107346.1.2.3",
                "https://id.gs1.org/01/10614141073464/21/1.2.3",
                7,
            ),
        ] {
            let u = EpcUrn::parse(urn).unwrap();
            assert_eq!(u.as_str(), urn);
            assert_eq!(u.company_prefix_len(), cp);
            assert_eq!(u.to_digital_link().as_str(), dl);
            let parsed = DigitalLink::parse(dl).unwrap();
            assert_eq!(EpcUrn::from_digital_link(&parsed, cp).unwrap(), u);
        }
    }

    #[test]
    fn urn_escaping() {
        let u = EpcUrn::parse("urn:epc:id:sgtin:0614141.107346.a%2fb%3F").unwrap();
        assert_eq!(u.as_str(), "urn:epc:id:sgtin:0614141.107346.a%2Fb%3F");
        assert!(matches!(
            EpcUrn::parse("urn:epc:id:sgtin:0614141.107346.a/b"),
            Err(Gs1Error::InvalidEpcUrn { .. })
        ));
        assert!(matches!(
            EpcUrn::parse("urn:epc:id:sgtin:0614141.107346.a%2"),
            Err(Gs1Error::PercentEncoding { .. })
        ));
    }

    #[test]
    fn urn_rejections() {
        for bad in [
            "urn:epc:id:grai:0614141.12345.400",
            "urn:epc:id:sgtin:0614141.107346",
            "urn:epc:id:sgtin:06141.10734612.1",
            "urn:epc:id:sgtin:0614141.10734.1",
            "urn:epc:id:sgtin:0614141.1073X6.1",
            "urn:epc:id:sscc:4012345.000000011",
            "urn:epc:id:sgln:4012345.0001.0",
        ] {
            assert!(
                matches!(EpcUrn::parse(bad), Err(Gs1Error::InvalidEpcUrn { .. })),
                "{bad}"
            );
        }
        assert!(matches!(
            EpcUrn::parse("urn:epc:id:sgtin:0614141.107346."),
            Err(Gs1Error::Empty { .. })
        ));
        assert!(matches!(EpcUrn::parse(""), Err(Gs1Error::Empty { .. })));
    }

    #[test]
    fn dl_to_urn_needs_a_company_prefix_length() {
        let dl = DigitalLink::parse("https://id.gs1.org/01/10614141073464/21/2017").unwrap();
        assert!(matches!(
            EpcUrn::from_digital_link(&dl, 5),
            Err(Gs1Error::CompanyPrefixLength { length: 5 })
        ));
        assert_eq!(
            EpcUrn::from_digital_link(&dl, 9).unwrap().as_str(),
            "urn:epc:id:sgtin:061414107.1346.2017"
        );
        let class = DigitalLink::parse("https://id.gs1.org/01/10614141073464").unwrap();
        assert!(matches!(
            EpcUrn::from_digital_link(&class, 7),
            Err(Gs1Error::NoEpcEquivalent { .. })
        ));
        let gdti = DigitalLink::parse("https://id.gs1.org/253/4602443000331").unwrap();
        assert!(matches!(
            EpcUrn::from_digital_link(&gdti, 7),
            Err(Gs1Error::NoEpcEquivalent { .. })
        ));
        let ext0 = DigitalLink::parse("https://id.gs1.org/414/4012345000115/254/0").unwrap();
        assert!(matches!(
            EpcUrn::from_digital_link(&ext0, 7),
            Err(Gs1Error::NoEpcEquivalent { .. })
        ));
    }
}
