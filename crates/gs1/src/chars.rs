//! Character sets and the GS1 mod-10 check digit (GS1 General Specifications
//! §7.9.1), plus the shared value checks used by every key type.

use crate::error::{shown, Gs1Error};

/// GS1 AI encodable character set 82 (GS1 General Specifications, Figure 7.11-1).
pub const CSET82: &str =
    "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";

/// GS1 AI encodable character set 39 (GS1 General Specifications, Figure 7.11-2).
pub const CSET39: &str = "#-/0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// Whether `c` belongs to GS1 AI encodable character set 82.
pub fn is_cset82(c: char) -> bool {
    c.is_ascii() && CSET82.contains(c)
}

/// Whether `c` belongs to GS1 AI encodable character set 39.
pub fn is_cset39(c: char) -> bool {
    c.is_ascii() && CSET39.contains(c)
}

/// The GS1 mod-10 check digit for `body` (all digits of a key except the
/// check digit). Weights 3 and 1 alternate starting with 3 on the rightmost
/// digit. `None` when `body` is empty or has a non-digit.
pub fn mod10_check_digit(body: &str) -> Option<char> {
    if body.is_empty() {
        return None;
    }
    let mut sum: u32 = 0;
    for (i, c) in body.chars().rev().enumerate() {
        let d = c.to_digit(10)?;
        sum += if i % 2 == 0 { d * 3 } else { d };
    }
    char::from_digit((10 - sum % 10) % 10, 10)
}

/// Whether `value` (digits, check digit last) has a correct GS1 mod-10 check digit.
pub fn verify_mod10(value: &str) -> bool {
    match split_last_char(value) {
        Some((body, last)) => mod10_check_digit(body) == Some(last),
        None => false,
    }
}

fn split_last_char(value: &str) -> Option<(&str, char)> {
    let last = value.chars().next_back()?;
    let body = value.get(..value.len() - last.len_utf8())?;
    Some((body, last))
}

/// Label of what is being checked, optionally tied to an AI.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Subject<'a> {
    pub what: &'a str,
    pub ai: Option<&'a str>,
}

impl Subject<'_> {
    pub fn what(&self) -> String {
        self.what.to_string()
    }
    pub fn ai(&self) -> Option<String> {
        self.ai.map(str::to_string)
    }
}

/// Every character a digit; reports the first that is not.
pub(crate) fn require_digits(s: Subject<'_>, value: &str) -> Result<(), Gs1Error> {
    for (i, c) in value.chars().enumerate() {
        if !c.is_ascii_digit() {
            return Err(Gs1Error::NotDigit {
                what: s.what(),
                ai: s.ai(),
                value: shown(value),
                position: i + 1,
                found: c,
            });
        }
    }
    Ok(())
}

/// Every character in a character set; reports the first that is not.
pub(crate) fn require_charset(
    s: Subject<'_>,
    value: &str,
    allowed: fn(char) -> bool,
    charset: &'static str,
) -> Result<(), Gs1Error> {
    for (i, c) in value.chars().enumerate() {
        if !allowed(c) {
            return Err(Gs1Error::InvalidCharacter {
                what: s.what(),
                ai: s.ai(),
                value: shown(value),
                position: i + 1,
                found: c,
                charset,
            });
        }
    }
    Ok(())
}

/// Length in characters within `min..=max`.
pub(crate) fn require_length(
    s: Subject<'_>,
    value: &str,
    min: usize,
    max: usize,
) -> Result<(), Gs1Error> {
    let n = value.chars().count();
    if n == 0 && min > 0 {
        return Err(Gs1Error::Empty { what: s.what() });
    }
    if n < min || n > max {
        return Err(Gs1Error::Length {
            what: s.what(),
            ai: s.ai(),
            value: shown(value),
            found: n,
            min,
            max,
        });
    }
    Ok(())
}

/// Mod-10 check digit of an all-digit value (check digit last).
pub(crate) fn require_mod10(s: Subject<'_>, value: &str) -> Result<(), Gs1Error> {
    let Some((body, found)) = split_last_char(value) else {
        return Err(Gs1Error::Empty { what: s.what() });
    };
    let Some(expected) = mod10_check_digit(body) else {
        // Only reachable if the caller did not check digits first.
        return require_digits(s, value);
    };
    if found != expected {
        return Err(Gs1Error::CheckDigit {
            what: s.what(),
            ai: s.ai(),
            value: shown(value),
            found,
            expected,
        });
    }
    Ok(())
}

/// A fixed-set-of-lengths numeric key with a mod-10 check digit.
pub(crate) fn require_numeric_key(s: Subject<'_>, value: &str, len: usize) -> Result<(), Gs1Error> {
    if value.is_empty() {
        return Err(Gs1Error::Empty { what: s.what() });
    }
    require_digits(s, value)?;
    require_length(s, value, len, len)?;
    require_mod10(s, value)
}

/// Percent-decode `value` (RFC 3986). With `plus_is_space`, `+` decodes to a
/// space (HTML form encoding used in query strings). Fails on a `%` not
/// followed by two hex digits and on a result that is not UTF-8.
pub(crate) fn percent_decode(value: &str, plus_is_space: bool) -> Result<String, Gs1Error> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hi = bytes.get(i + 1).and_then(|h| (*h as char).to_digit(16));
            let lo = bytes.get(i + 2).and_then(|h| (*h as char).to_digit(16));
            match (hi, lo) {
                (Some(h), Some(l)) => {
                    // h, l < 16, so this fits in a byte.
                    out.push(((h << 4) | l) as u8);
                    i += 3;
                }
                _ => {
                    return Err(Gs1Error::PercentEncoding {
                        value: shown(value),
                        position: value.get(..i).map_or(i, |p| p.chars().count()) + 1,
                    })
                }
            }
        } else {
            out.push(if plus_is_space && b == b'+' { b' ' } else { b });
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| Gs1Error::PercentEncoding {
        value: shown(value),
        position: 1,
    })
}

/// Percent-encode everything but the RFC 3986 unreserved characters
/// (`A-Z a-z 0-9 - . _ ~`); in a query component a space becomes `+`.
pub(crate) fn percent_encode(value: &str, query: bool) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else if query && b == b' ' {
            out.push('+');
        } else {
            out.push('%');
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 0x0f)] as char);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_digit_known_values() {
        assert_eq!(mod10_check_digit("0950600013435"), Some('2'));
        assert_eq!(mod10_check_digit("0234567"), Some('3'));
        assert_eq!(mod10_check_digit(""), None);
        assert_eq!(mod10_check_digit("12a"), None);
        assert!(verify_mod10("09506000134352"));
        assert!(!verify_mod10("09506000134353"));
        assert!(!verify_mod10(""));
    }

    #[test]
    fn cset82_membership() {
        assert!(is_cset82('!'));
        assert!(is_cset82('<'));
        assert!(!is_cset82(' '));
        assert!(!is_cset82('#'));
        assert!(!is_cset82('é'));
        assert!(is_cset39('#'));
        assert!(!is_cset39('a'));
    }

    #[test]
    fn percent_round_trip() {
        assert_eq!(percent_encode("ABC+123", false), "ABC%2B123");
        assert_eq!(percent_encode("a b", true), "a+b");
        assert_eq!(percent_decode("%2F%26x", false).unwrap(), "/&x");
        assert_eq!(percent_decode("a+b", true).unwrap(), "a b");
        assert_eq!(percent_decode("a+b", false).unwrap(), "a+b");
        assert!(matches!(
            percent_decode("ab%4g", false),
            Err(Gs1Error::PercentEncoding { position: 3, .. })
        ));
        assert!(percent_decode("%", false).is_err());
        assert!(percent_decode("%FF", false).is_err());
    }
}
