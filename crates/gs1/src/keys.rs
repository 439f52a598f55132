//! Typed GS1 keys and attributes: [`Gtin`], [`Sscc`], [`Gln`], [`Batch`], [`Serial`].
//!
//! Each holds its normalised text, parses with `parse`/`FromStr`, shows with
//! `Display`/`as_str`, and (de)serialises with serde as that string.

use crate::chars::{
    is_cset82, require_charset, require_digits, require_length, require_mod10, Subject,
};
use crate::error::{shown, Gs1Error};

/// Implements `as_str`, `Display`, `FromStr`, `AsRef<str>` and serde-as-string
/// for a newtype over `String` that has an associated `parse`.
macro_rules! string_type {
    ($t:ident) => {
        impl $t {
            /// The normalised text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl ::std::fmt::Display for $t {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl ::std::str::FromStr for $t {
            type Err = $crate::Gs1Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }
        impl AsRef<str> for $t {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
        impl ::serde::Serialize for $t {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
        impl<'de> ::serde::Deserialize<'de> for $t {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <::std::string::String as ::serde::Deserialize>::deserialize(d)?;
                Self::parse(&s).map_err(<D::Error as ::serde::de::Error>::custom)
            }
        }
    };
}
pub(crate) use string_type;

/// Global Trade Item Number, always held as GTIN-14 (AI 01).
///
/// `parse` accepts GTIN-8, GTIN-12 (UPC-A), GTIN-13 and GTIN-14 and pads with
/// leading zeros to 14 digits; the check digit is verified first.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Gtin(String);
string_type!(Gtin);

impl Gtin {
    /// Parse and normalise to 14 digits.
    pub fn parse(s: &str) -> Result<Self, Gs1Error> {
        let subj = Subject {
            what: "GTIN",
            ai: Some("01"),
        };
        if s.is_empty() {
            return Err(Gs1Error::Empty {
                what: "GTIN".into(),
            });
        }
        require_digits(subj, s)?;
        let len = s.len();
        if ![8, 12, 13, 14].contains(&len) {
            return Err(Gs1Error::GtinLength {
                value: shown(s),
                found: len,
            });
        }
        require_mod10(subj, s)?;
        Ok(Self(format!("{s:0>14}")))
    }

    /// Parse a GTIN that must already be 14 digits (the Digital Link constrained form).
    pub fn parse_gtin14(s: &str) -> Result<Self, Gs1Error> {
        let subj = Subject {
            what: "GTIN",
            ai: Some("01"),
        };
        require_digits(subj, s)?;
        require_length(subj, s, 14, 14)?;
        Self::parse(s)
    }

    /// Build a GTIN-14 from its first 13 digits, computing the check digit.
    pub fn from_body(body13: &str) -> Result<Self, Gs1Error> {
        with_check_digit("GTIN", body13, 13).map(Self)
    }

    /// The indicator digit (first of 14).
    pub fn indicator(&self) -> char {
        self.0.chars().next().unwrap_or('0')
    }

    /// The shortest GTIN form (GTIN-8, -12 or -13 when the leading digits are zeros).
    pub fn short_form(&self) -> &str {
        for len in [8usize, 12, 13] {
            if let Some((zeros, rest)) = self.0.split_at_checked(14 - len) {
                if zeros.bytes().all(|b| b == b'0') {
                    return rest;
                }
            }
        }
        &self.0
    }
}

/// Serial Shipping Container Code (AI 00), 18 digits with check digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sscc(String);
string_type!(Sscc);

impl Sscc {
    /// Parse an 18-digit SSCC and verify its check digit.
    pub fn parse(s: &str) -> Result<Self, Gs1Error> {
        numeric_key(
            Subject {
                what: "SSCC",
                ai: Some("00"),
            },
            s,
            18,
        )
        .map(Self)
    }

    /// Build an SSCC from its first 17 digits, computing the check digit.
    pub fn from_body(body17: &str) -> Result<Self, Gs1Error> {
        with_check_digit("SSCC", body17, 17).map(Self)
    }
}

/// Global Location Number (AI 414 location, AI 417 party), 13 digits with check digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Gln(String);
string_type!(Gln);

impl Gln {
    /// Parse a 13-digit GLN and verify its check digit.
    pub fn parse(s: &str) -> Result<Self, Gs1Error> {
        numeric_key(
            Subject {
                what: "GLN",
                ai: Some("414"),
            },
            s,
            13,
        )
        .map(Self)
    }

    /// Build a GLN from its first 12 digits, computing the check digit.
    pub fn from_body(body12: &str) -> Result<Self, Gs1Error> {
        with_check_digit("GLN", body12, 12).map(Self)
    }
}

/// Batch or lot number (AI 10): 1 to 20 characters of GS1 character set 82.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Batch(String);
string_type!(Batch);

impl Batch {
    /// Parse a batch/lot number.
    pub fn parse(s: &str) -> Result<Self, Gs1Error> {
        cset82_value(
            Subject {
                what: "batch/lot (AI 10)",
                ai: Some("10"),
            },
            s,
            20,
        )
        .map(Self)
    }
}

/// Serial number (AI 21): 1 to 20 characters of GS1 character set 82.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Serial(String);
string_type!(Serial);

impl Serial {
    /// Parse a serial number.
    pub fn parse(s: &str) -> Result<Self, Gs1Error> {
        cset82_value(
            Subject {
                what: "serial (AI 21)",
                ai: Some("21"),
            },
            s,
            20,
        )
        .map(Self)
    }
}

fn numeric_key(subj: Subject<'_>, s: &str, len: usize) -> Result<String, Gs1Error> {
    crate::chars::require_numeric_key(subj, s, len)?;
    Ok(s.to_string())
}

fn cset82_value(subj: Subject<'_>, s: &str, max: usize) -> Result<String, Gs1Error> {
    require_length(subj, s, 1, max)?;
    require_charset(subj, s, is_cset82, "GS1 character set 82")?;
    Ok(s.to_string())
}

fn with_check_digit(what: &str, body: &str, len: usize) -> Result<String, Gs1Error> {
    let subj = Subject { what, ai: None };
    require_digits(subj, body)?;
    require_length(subj, body, len, len)?;
    let cd = crate::chars::mod10_check_digit(body).ok_or(Gs1Error::Empty { what: what.into() })?;
    Ok(format!("{body}{cd}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_i2_gtin_check_digit_verified() {
        let e = Gtin::parse("09506000134353").unwrap_err();
        assert_eq!(
            e.to_string(),
            "GTIN 09506000134353: check digit is 3, expected 2"
        );
        assert!(matches!(
            e,
            Gs1Error::CheckDigit {
                found: '3',
                expected: '2',
                ..
            }
        ));
        assert_eq!(
            Gtin::parse("09506000134352").unwrap().as_str(),
            "09506000134352"
        );
    }

    #[test]
    fn gtin_short_forms_normalise_to_14() {
        assert_eq!(Gtin::parse("02345673").unwrap().as_str(), "00000002345673");
        assert_eq!(
            Gtin::parse("416000336108").unwrap().as_str(),
            "00416000336108"
        );
        assert_eq!(
            Gtin::parse("1234567890128").unwrap().as_str(),
            "01234567890128"
        );
        assert_eq!(Gtin::parse("02345673").unwrap().short_form(), "02345673");
        assert_eq!(
            Gtin::parse("09506000134352").unwrap().short_form(),
            "9506000134352"
        );
        assert_eq!(Gtin::parse("12345678901231").unwrap().indicator(), '1');
    }

    #[test]
    fn gtin_errors_name_the_problem() {
        assert!(matches!(Gtin::parse(""), Err(Gs1Error::Empty { .. })));
        assert!(matches!(
            Gtin::parse("123"),
            Err(Gs1Error::GtinLength { found: 3, .. })
        ));
        assert!(matches!(
            Gtin::parse("0950600013435X"),
            Err(Gs1Error::NotDigit {
                position: 14,
                found: 'X',
                ..
            })
        ));
        assert!(matches!(
            Gtin::parse_gtin14("9780345418913"),
            Err(Gs1Error::Length {
                found: 13,
                min: 14,
                max: 14,
                ..
            })
        ));
        assert_eq!(
            Gtin::from_body("0950600013435").unwrap().as_str(),
            "09506000134352"
        );
    }

    #[test]
    fn r_i2_sscc_and_gln_check_digits_verified() {
        assert!(Sscc::parse("040123450000001112").is_ok());
        let e = Sscc::parse("123456789012345670").unwrap_err();
        assert!(
            matches!(
                e,
                Gs1Error::CheckDigit {
                    found: '0',
                    expected: '5',
                    ..
                }
            ),
            "{e}"
        );
        assert!(matches!(
            Sscc::parse(" 23456789012345675"),
            Err(Gs1Error::NotDigit {
                position: 1,
                found: ' ',
                ..
            })
        ));
        assert!(Gln::parse("4012345000115").is_ok());
        let e = Gln::parse("4012345000116").unwrap_err();
        assert_eq!(
            e.to_string(),
            "GLN 4012345000116: check digit is 6, expected 5"
        );
        assert!(matches!(
            Gln::parse("401234500011"),
            Err(Gs1Error::Length { found: 12, .. })
        ));
    }

    #[test]
    fn r_i2_batch_and_serial_are_cset82_1_to_20() {
        assert!(Batch::parse("ABC123").is_ok());
        assert!(Serial::parse("!\"%&'()*+,-./:;<=>?_z").is_err()); // 21 chars
        assert!(Serial::parse("!\"%&'()*+,-./:;<=>?_").is_ok());
        assert!(matches!(Batch::parse(""), Err(Gs1Error::Empty { .. })));
        assert!(matches!(
            Batch::parse("AB C"),
            Err(Gs1Error::InvalidCharacter {
                position: 3,
                found: ' ',
                ..
            })
        ));
        assert!(matches!(
            Serial::parse("123456789012345678901"),
            Err(Gs1Error::Length {
                found: 21,
                min: 1,
                max: 20,
                ..
            })
        ));
        assert!(matches!(
            Serial::parse("é"),
            Err(Gs1Error::InvalidCharacter { found: 'é', .. })
        ));
    }

    #[test]
    fn serde_as_strings() {
        let g = Gtin::parse("09506000134352").unwrap();
        assert_eq!(serde_json::to_string(&g).unwrap(), "\"09506000134352\"");
        let back: Gtin = serde_json::from_str("\"9506000134352\"").unwrap();
        assert_eq!(back, g);
        assert!(serde_json::from_str::<Gtin>("\"09506000134353\"").is_err());
        let s: Sscc = "040123450000001112".parse().unwrap();
        assert_eq!(s.to_string(), "040123450000001112");
    }
}
