//! Chinese unified social credit code (统一社会信用代码), GB 32100-2015.
//!
//! 18 characters from `0-9A-HJ-NPQRTUWXY` (no I, O, S, V, Z):
//!
//! | positions | part |
//! |---|---|
//! | 1 | registration authority code (登记管理部门代码) |
//! | 2 | organisation category code (机构类别代码) |
//! | 3–8 | administrative division code (登记管理机关行政区划码), digits |
//! | 9–17 | organisation code (主体标识码, GB 11714) |
//! | 18 | check character |
//!
//! The check character: with weights 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25,
//! 13, 8, 24, 10, 30, 28 (3^i mod 31) over the values of the first 17
//! characters, it is the character of value (31 − sum mod 31) mod 31.

use crate::chars::{require_charset, require_digits, Subject};
use crate::error::{shown, Gs1Error};
use crate::keys::string_type;

/// The 31 characters of GB 32100, in value order 0..=30.
pub const USCC_CHARSET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";

const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// A unified social credit code with a verified check character (rule R-I4).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Uscc(String);
string_type!(Uscc);

fn value_of(c: char) -> Option<u32> {
    USCC_CHARSET.find(c).and_then(|i| u32::try_from(i).ok())
}

fn is_uscc_char(c: char) -> bool {
    c.is_ascii() && USCC_CHARSET.contains(c)
}

/// The GB 32100 check character for the first 17 characters of a code;
/// `None` if `body17` is not 17 characters of the code's character set.
pub fn uscc_check_character(body17: &str) -> Option<char> {
    if body17.chars().count() != 17 {
        return None;
    }
    let mut sum = 0u32;
    for (c, w) in body17.chars().zip(WEIGHTS) {
        sum += value_of(c)? * w;
    }
    let check = (31 - sum % 31) % 31;
    USCC_CHARSET.chars().nth(usize::try_from(check).ok()?)
}

impl Uscc {
    /// Parse an 18-character code: length, character set (upper case only),
    /// digits in the administrative division code, and the check character.
    pub fn parse(s: &str) -> Result<Self, Gs1Error> {
        let subj = Subject {
            what: "USCC",
            ai: None,
        };
        if s.is_empty() {
            return Err(Gs1Error::Empty {
                what: "USCC".into(),
            });
        }
        require_charset(
            subj,
            s,
            is_uscc_char,
            "the GB 32100 character set 0-9A-HJ-NPQRTUWXY",
        )?;
        let n = s.chars().count();
        if n != 18 {
            return Err(Gs1Error::Length {
                what: "USCC".into(),
                ai: None,
                value: shown(s),
                found: n,
                min: 18,
                max: 18,
            });
        }
        // All ASCII from here on, so byte slicing is on character boundaries.
        let division = s.get(2..8).unwrap_or_default();
        if let Err(Gs1Error::NotDigit {
            position, found, ..
        }) = require_digits(
            Subject {
                what: "USCC",
                ai: None,
            },
            division,
        ) {
            return Err(Gs1Error::NotDigit {
                what: "USCC administrative division code".into(),
                ai: None,
                value: shown(s),
                position: position + 2,
                found,
            });
        }
        let (body, last) = (
            s.get(..17).unwrap_or_default(),
            s.get(17..).unwrap_or_default(),
        );
        let expected = uscc_check_character(body).ok_or(Gs1Error::Empty {
            what: "USCC".into(),
        })?;
        let found = last.chars().next().unwrap_or(' ');
        if found != expected {
            return Err(Gs1Error::UsccCheckCharacter {
                value: shown(s),
                found,
                expected,
            });
        }
        Ok(Self(s.to_string()))
    }

    /// Position 1: registration authority code (e.g. `9` = market regulation).
    pub fn registration_authority(&self) -> char {
        self.0.chars().next().unwrap_or('0')
    }

    /// Position 2: organisation category code.
    pub fn organisation_category(&self) -> char {
        self.0.chars().nth(1).unwrap_or('0')
    }

    /// Positions 3–8: administrative division code.
    pub fn administrative_division(&self) -> &str {
        self.0.get(2..8).unwrap_or_default()
    }

    /// Positions 9–17: organisation code (GB 11714).
    pub fn organisation_code(&self) -> &str {
        self.0.get(8..17).unwrap_or_default()
    }

    /// Position 18: check character.
    pub fn check_character(&self) -> char {
        self.0.chars().nth(17).unwrap_or('0')
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_i4_uscc_check_character_verified() {
        assert!(Uscc::parse("91350200MA2YJ1XR9G").is_ok());
        let e = Uscc::parse("91350200MA2YJ1XR9H").unwrap_err();
        assert_eq!(
            e.to_string(),
            "USCC 91350200MA2YJ1XR9H: check character is H, expected G"
        );
        assert!(matches!(
            e,
            Gs1Error::UsccCheckCharacter {
                found: 'H',
                expected: 'G',
                ..
            }
        ));
    }

    #[test]
    fn r_i4_uscc_structure() {
        let u = Uscc::parse("91440101MA5CJQ4N59").unwrap();
        assert_eq!(u.registration_authority(), '9');
        assert_eq!(u.organisation_category(), '1');
        assert_eq!(u.administrative_division(), "440101");
        assert_eq!(u.organisation_code(), "MA5CJQ4N5");
        assert_eq!(u.check_character(), '9');
        assert_eq!(serde_json::to_string(&u).unwrap(), "\"91440101MA5CJQ4N59\"");
    }

    #[test]
    fn r_i4_uscc_rejections_name_the_problem() {
        assert!(matches!(Uscc::parse(""), Err(Gs1Error::Empty { .. })));
        assert!(matches!(
            Uscc::parse("91350200MA2YJ1XR9"),
            Err(Gs1Error::Length {
                found: 17,
                min: 18,
                max: 18,
                ..
            })
        ));
        // I, O, S, V, Z are not in the set; lower case is not accepted.
        assert!(matches!(
            Uscc::parse("91350200MA2YJ1XRIG"),
            Err(Gs1Error::InvalidCharacter {
                position: 17,
                found: 'I',
                ..
            })
        ));
        assert!(matches!(
            Uscc::parse("91350200ma2yj1xr9g"),
            Err(Gs1Error::InvalidCharacter {
                position: 9,
                found: 'm',
                ..
            })
        ));
        assert!(matches!(
            Uscc::parse("9135A200MA2YJ1XR9G"),
            Err(Gs1Error::NotDigit {
                position: 5,
                found: 'A',
                ..
            })
        ));
        assert_eq!(uscc_check_character("short"), None);
    }
}
