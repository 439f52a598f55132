//! The one RFC 3339 parser of the workspace: the contracts judge record times with it, and
//! EPCIS validates and hashes event times with it, so a time mapped from an EPCIS event is
//! judged by the same rules it was validated by.
//!
//! Uses: strict parsing (`T`, seconds and an offset `Z` / `±hh:mm` of at most 14:00, as
//! EPCIS 2.0 and the records require), the date-only form of record dates ([`parse_date`]),
//! and the CBV 2.0 hash normalisation (lenient parsing, UTC, millisecond precision,
//! sub-millisecond digits rounded half to even, as the reference vectors `TimeStampRoundOff`
//! show).

/// A parsed timestamp: microseconds since 1970-01-01T00:00:00Z plus how it was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timestamp {
    /// Microseconds since the Unix epoch, UTC (fraction digits beyond the sixth are cut).
    pub unix_micros: i64,
    /// The offset written in the text, in minutes east of UTC; `None` if the text had none.
    pub offset_minutes: Option<i32>,
}

/// Longest date-time text read, in bytes (`YYYY-MM-DDThh:mm:ss` with nine fraction digits
/// and an offset is 35). Policy: a longer text is not a timestamp (`EPCIS-TIME` in
/// validation; left as written in the hash pre-image), so fraction digits cannot be used to
/// make the parser loop over a long string.
pub const MAX_TIMESTAMP_LEN: usize = 64;

/// Largest offset magnitude RFC 3339 / EPCIS allow: 14 hours.
const MAX_OFFSET_MINUTES: i32 = 14 * 60;

fn digits(s: &[u8]) -> Option<u32> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v: u32 = 0;
    for &b in s {
        v = v.checked_mul(10)?.checked_add(u32::from(b - b'0'))?;
    }
    Some(v)
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let d = i64::from(d);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_in_month(y: u32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ => {
            if (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400) {
                29
            } else {
                28
            }
        }
    }
}

/// Parse an offset `Z`, `±hh:mm` (and, when `lenient`, `±hhmm` and `±hh`).
fn parse_offset(s: &[u8], lenient: bool) -> Option<i32> {
    match s {
        [b'Z'] => Some(0),
        [b'z'] if lenient => Some(0),
        [sign @ (b'+' | b'-'), rest @ ..] => {
            let (h, m) = match rest {
                [h1, h2, b':', m1, m2] => (digits(&[*h1, *h2])?, digits(&[*m1, *m2])?),
                [h1, h2, m1, m2] if lenient => (digits(&[*h1, *h2])?, digits(&[*m1, *m2])?),
                [h1, h2] if lenient => (digits(&[*h1, *h2])?, 0),
                _ => return None,
            };
            if h > 23 || m > 59 {
                return None;
            }
            let total = (h * 60 + m) as i32;
            if !lenient && total > MAX_OFFSET_MINUTES {
                return None;
            }
            Some(if *sign == b'-' { -total } else { total })
        }
        _ => None,
    }
}

/// Parse an RFC 3339 date-time. Strict mode requires `T`, seconds and an offset;
/// lenient mode (hash normalisation) also takes a space or `t` separator, a missing
/// seconds field and a missing offset (read as UTC).
pub fn parse_timestamp(text: &str, lenient: bool) -> Option<Timestamp> {
    let s = text.as_bytes();
    if s.len() < 16 || s.len() > MAX_TIMESTAMP_LEN {
        return None;
    }
    let year = digits(s.get(0..4)?)?;
    if s.get(4) != Some(&b'-') || s.get(7) != Some(&b'-') {
        return None;
    }
    let month = digits(s.get(5..7)?)?;
    let day = digits(s.get(8..10)?)?;
    match s.get(10) {
        Some(b'T') => {}
        Some(b't' | b' ') if lenient => {}
        _ => return None,
    }
    let hour = digits(s.get(11..13)?)?;
    if s.get(13) != Some(&b':') {
        return None;
    }
    let minute = digits(s.get(14..16)?)?;
    let mut pos = 16;
    let mut second = 0;
    let mut micros = 0u32;
    if s.get(pos) == Some(&b':') {
        second = digits(s.get(pos + 1..pos + 3)?)?;
        pos += 3;
        if s.get(pos) == Some(&b'.') {
            pos += 1;
            let start = pos;
            while s.get(pos).is_some_and(u8::is_ascii_digit) {
                pos += 1;
            }
            let frac = s.get(start..pos)?;
            if frac.is_empty() {
                return None;
            }
            for i in 0..6 {
                micros = micros * 10 + frac.get(i).map_or(0, |b| u32::from(b - b'0'));
            }
        }
    } else if !lenient {
        return None;
    }
    let rest = s.get(pos..)?;
    let offset = if rest.is_empty() {
        if !lenient {
            return None;
        }
        None
    } else {
        Some(parse_offset(rest, lenient)?)
    };
    if year == 0
        || !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let days = days_from_civil(i64::from(year), month, day);
    let local_secs =
        days * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second);
    let utc_secs = local_secs - i64::from(offset.unwrap_or(0)) * 60;
    Some(Timestamp {
        unix_micros: utc_secs * 1_000_000 + i64::from(micros),
        offset_minutes: offset,
    })
}

/// Strict RFC 3339 date-time to milliseconds since the epoch (UTC), sub-millisecond digits
/// cut; the error says what is expected.
pub fn parse_millis(text: &str) -> Result<i64, String> {
    parse_timestamp(text, false)
        .map(|t| t.unix_micros.div_euclid(1000))
        .ok_or_else(|| {
            "expected an RFC 3339 date-time YYYY-MM-DDTHH:MM:SS[.fraction] with Z or an offset \
             ±HH:MM of at most 14:00, such as 2024-05-01T08:30:00Z"
                .into()
        })
}

/// An RFC 3339 `full-date` (`YYYY-MM-DD`) as days since 1970-01-01.
pub fn parse_date(text: &str) -> Result<i64, String> {
    let s = text.as_bytes();
    let bad = || format!("expected a date YYYY-MM-DD, not {text:?}");
    if s.len() != 10 || s[4] != b'-' || s[7] != b'-' {
        return Err(bad());
    }
    let (Some(y), Some(m), Some(d)) = (digits(&s[0..4]), digits(&s[5..7]), digits(&s[8..10]))
    else {
        return Err(bad());
    };
    if y == 0 || !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return Err(format!("{text} is not a calendar date"));
    }
    Ok(days_from_civil(i64::from(y), m, d))
}

/// Milliseconds since the epoch, rounding the sub-millisecond part half to even
/// (the CBV 2.0 reference rounding).
pub fn round_to_millis(unix_micros: i64) -> i64 {
    let ms = unix_micros.div_euclid(1000);
    let rem = unix_micros.rem_euclid(1000);
    match rem.cmp(&500) {
        std::cmp::Ordering::Less => ms,
        std::cmp::Ordering::Greater => ms + 1,
        std::cmp::Ordering::Equal => {
            if ms % 2 == 0 {
                ms
            } else {
                ms + 1
            }
        }
    }
}

/// `YYYY-MM-DDThh:mm:ss.sssZ` of a millisecond instant; `None` outside years 1..=9999.
pub fn format_utc_millis(unix_millis: i64) -> Option<String> {
    let secs = unix_millis.div_euclid(1000);
    let ms = unix_millis.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    if !(1..=9999).contains(&y) {
        return None;
    }
    Some(format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{ms:03}Z",
        sod / 3600,
        (sod % 3600) / 60,
        sod % 60
    ))
}

/// The CBV 2.0 normal form of a timestamp text, or `None` if it is not a timestamp.
pub fn normalise_for_hash(text: &str) -> Option<String> {
    let ts = parse_timestamp(text, true)?;
    format_utc_millis(round_to_millis(ts.unix_micros))
}

/// Whether `text` is a valid `eventTimeZoneOffset`: `+hh:mm` / `-hh:mm`, at most 14:00.
pub fn is_valid_offset(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 6 && b[0] != b'Z' && parse_offset(b, false).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epcis_time_round_half_even_to_millis() {
        assert_eq!(
            normalise_for_hash("2023-02-02T11:04:03.1415Z").as_deref(),
            Some("2023-02-02T11:04:03.142Z")
        );
        assert_eq!(
            normalise_for_hash("2023-02-02T11:04:03.1425Z").as_deref(),
            Some("2023-02-02T11:04:03.142Z")
        );
        assert_eq!(
            normalise_for_hash("2023-02-02T11:04:03.1414Z").as_deref(),
            Some("2023-02-02T11:04:03.141Z")
        );
        assert_eq!(
            normalise_for_hash("2022-02-15T01:33:31.116000-06:00").as_deref(),
            Some("2022-02-15T07:33:31.116Z")
        );
        assert_eq!(
            normalise_for_hash("1999-12-31T23:59:59.9999+00:00").as_deref(),
            Some("2000-01-01T00:00:00.000Z")
        );
    }

    #[test]
    fn epcis_time_strict_requires_offset() {
        assert!(parse_timestamp("2020-01-01T00:00:00", false).is_none());
        assert!(parse_timestamp("2020-02-30T00:00:00Z", false).is_none());
        assert!(parse_timestamp("22-07-2026", false).is_none());
        assert!(parse_timestamp("2020-02-29T00:00:00.5+14:00", false).is_some());
        let long = format!("2020-01-01T00:00:00.{}Z", "1".repeat(MAX_TIMESTAMP_LEN));
        assert!(parse_timestamp(&long, false).is_none());
        assert!(parse_timestamp(&long, true).is_none());
        let longest = format!(
            "2020-01-01T00:00:00.{}Z",
            "1".repeat(MAX_TIMESTAMP_LEN - 21)
        );
        assert_eq!(longest.len(), MAX_TIMESTAMP_LEN);
        assert!(parse_timestamp(&longest, false).is_some());
        assert!(is_valid_offset("+01:00"));
        assert!(is_valid_offset("-14:00"));
        assert!(!is_valid_offset("+15:00"));
        assert!(!is_valid_offset("+0100"));
    }
}
