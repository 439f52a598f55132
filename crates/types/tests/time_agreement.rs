//! The workspace has one RFC 3339 parser (`tracechain_types::time`). The contracts had their
//! own until it replaced it; this property test keeps that parser (as `legacy`, verbatim) and
//! shows where the two agree on random input: whatever the one parser accepts, the old one
//! accepted with the same instant; what only the old one accepted is exactly the forms the
//! one parser refuses on purpose (lower-case `t`/`z`, year 0000, offsets beyond 14:00, texts
//! longer than 64 bytes), so no record accepted before the change means something else now.

use proptest::prelude::*;
use tracechain_types::time::{parse_date, parse_millis, MAX_TIMESTAMP_LEN};

#[allow(clippy::all)]
mod legacy {
    fn two(s: &[u8]) -> Option<u32> {
        match s {
            [a @ b'0'..=b'9', b @ b'0'..=b'9'] => {
                Some(u32::from(a - b'0') * 10 + u32::from(b - b'0'))
            }
            _ => None,
        }
    }

    fn days_in_month(year: i64, month: u32) -> u32 {
        match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
            _ => 28,
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date.
    fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(m);
        let mp = if m > 2 { m - 3 } else { m + 9 };
        let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    fn parse_full_date(s: &[u8]) -> Result<i64, String> {
        let (y, rest) = match s {
            [a, b, c, d, b'-', rest @ ..] if [a, b, c, d].iter().all(|x| x.is_ascii_digit()) => {
                let y = [a, b, c, d]
                    .iter()
                    .fold(0i64, |acc, x| acc * 10 + i64::from(**x - b'0'));
                (y, rest)
            }
            _ => return Err("expected YYYY-MM-DD".into()),
        };
        let (m, d) = match rest {
            [m1, m2, b'-', d1, d2] => (two(&[*m1, *m2]), two(&[*d1, *d2])),
            _ => return Err("expected YYYY-MM-DD".into()),
        };
        let (Some(m), Some(d)) = (m, d) else {
            return Err("expected YYYY-MM-DD".into());
        };
        if !(1..=12).contains(&m) {
            return Err(format!("month {m} out of range"));
        }
        if d == 0 || d > days_in_month(y, m) {
            return Err(format!("day {d} out of range for {y:04}-{m:02}"));
        }
        Ok(days_from_civil(y, m, d))
    }

    /// Parse an RFC 3339 `date-time` (`YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`; `T`/`t`, `Z`/`z`
    /// accepted; fraction truncated to milliseconds; leap second `:60` refused) into milliseconds
    /// since the Unix epoch (UTC).
    pub fn parse_rfc3339(s: &str) -> Result<i64, String> {
        let b = s.as_bytes();
        if b.len() < 20 {
            return Err("expected an RFC 3339 date-time such as 2024-05-01T08:30:00Z".into());
        }
        let (date, rest) = b.split_at(10);
        let days = parse_full_date(date)?;
        let (sep, rest) = rest.split_at(1);
        if sep != b"T" && sep != b"t" {
            return Err("expected 'T' between date and time".into());
        }
        let (hms, mut rest) = rest.split_at(8);
        let (h, mi, se) = match hms {
            [h1, h2, b':', m1, m2, b':', s1, s2] => {
                (two(&[*h1, *h2]), two(&[*m1, *m2]), two(&[*s1, *s2]))
            }
            _ => return Err("expected HH:MM:SS".into()),
        };
        let (Some(h), Some(mi), Some(se)) = (h, mi, se) else {
            return Err("expected HH:MM:SS".into());
        };
        if h > 23 || mi > 59 || se > 59 {
            return Err(format!(
                "time {h:02}:{mi:02}:{se:02} out of range (leap seconds are not accepted)"
            ));
        }
        let mut millis = 0i64;
        if let [b'.', tail @ ..] = rest {
            let n = tail.iter().take_while(|c| c.is_ascii_digit()).count();
            if n == 0 {
                return Err("empty fraction of a second".into());
            }
            let (digits, after) = tail.split_at(n);
            for (i, d) in digits.iter().take(3).enumerate() {
                millis += i64::from(d - b'0') * [100, 10, 1].get(i).copied().unwrap_or(0);
            }
            rest = after;
        }
        let offset_min: i64 = match rest {
            [b'Z'] | [b'z'] => 0,
            [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
                let (Some(oh), Some(om)) = (two(&[*h1, *h2]), two(&[*m1, *m2])) else {
                    return Err("malformed offset".into());
                };
                if oh > 23 || om > 59 {
                    return Err("offset out of range".into());
                }
                let v = i64::from(oh * 60 + om);
                if *sign == b'-' {
                    -v
                } else {
                    v
                }
            }
            _ => return Err("expected 'Z' or an offset ±HH:MM".into()),
        };
        let secs = days * 86_400 + i64::from(h * 3600 + mi * 60 + se) - offset_min * 60;
        Ok(secs * 1000 + millis)
    }

    /// Parse an RFC 3339 `full-date` (`YYYY-MM-DD`, midnight UTC) or `date-time`.
    pub fn parse_date_or_time(s: &str) -> Result<i64, String> {
        if s.len() == 10 {
            parse_full_date(s.as_bytes()).map(|d| d * 86_400_000)
        } else {
            parse_rfc3339(s)
        }
    }
}

fn only_legacy_accepts_by_design(s: &str) -> bool {
    let b = s.as_bytes();
    let lower = b.get(10) == Some(&b't') || s.ends_with('z');
    let year0 = s.starts_with("0000");
    let long = s.len() > MAX_TIMESTAMP_LEN;
    let big_offset = s.len() >= 6 && {
        let tail = &s[s.len() - 6..];
        let t = tail.as_bytes();
        (t[0] == b'+' || t[0] == b'-')
            && t[3] == b':'
            && tail[1..3]
                .parse::<u32>()
                .ok()
                .zip(tail[4..6].parse::<u32>().ok())
                .is_some_and(|(h, m)| h * 60 + m > 14 * 60)
    };
    lower || year0 || long || big_offset
}

fn rfc3339ish() -> impl Strategy<Value = String> {
    (
        prop_oneof![Just(0u32), 1u32..=9999],
        0u32..=13,
        0u32..=32,
        prop_oneof![Just("T"), Just("t"), Just(" ")],
        0u32..=24,
        0u32..=60,
        0u32..=61,
        prop_oneof![Just(String::new()), "\\.[0-9]{1,12}"],
        prop_oneof![
            Just("Z".to_string()),
            Just("z".to_string()),
            Just(String::new()),
            (prop_oneof![Just('+'), Just('-')], 0u32..=24, 0u32..=60)
                .prop_map(|(s, h, m)| format!("{s}{h:02}:{m:02}")),
        ],
    )
        .prop_map(|(y, mo, d, t, h, mi, s, frac, off)| {
            format!("{y:04}-{mo:02}-{d:02}{t}{h:02}:{mi:02}:{s:02}{frac}{off}")
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4096, .. ProptestConfig::default() })]

    #[test]
    fn one_rfc3339_parser_agrees_with_the_contracts_former_parser(s in rfc3339ish()) {
        let new = parse_millis(&s).ok();
        let old = legacy::parse_rfc3339(&s).ok();
        match (new, old) {
            (Some(n), Some(o)) => prop_assert_eq!(n, o, "{}", s),
            (Some(n), None) => prop_assert!(false, "{} accepted now ({}), refused before", s, n),
            (None, Some(_)) => prop_assert!(only_legacy_accepts_by_design(&s), "{}", s),
            (None, None) => {}
        }
    }

    #[test]
    fn one_date_parser_agrees_with_the_contracts_former_parser(
        y in 0u32..=9999, m in 0u32..=13, d in 0u32..=32,
    ) {
        let s = format!("{y:04}-{m:02}-{d:02}");
        let new = parse_date(&s).ok().map(|days| days * 86_400_000);
        let old = legacy::parse_date_or_time(&s).ok();
        match (new, old) {
            (Some(n), Some(o)) => prop_assert_eq!(n, o),
            (None, Some(_)) => prop_assert!(y == 0, "{}", s),
            (Some(_), None) => prop_assert!(false, "{} accepted now, refused before", s),
            (None, None) => {}
        }
    }
}

#[test]
fn the_one_parser_refuses_what_it_refuses_on_purpose() {
    for s in [
        "2024-05-01t08:30:00Z",
        "2024-05-01T08:30:00z",
        "0000-05-01T08:30:00Z",
        "2024-05-01T08:30:00+14:01",
    ] {
        assert!(parse_millis(s).is_err(), "{s}");
        assert!(legacy::parse_rfc3339(s).is_ok(), "{s}");
    }
    assert_eq!(
        parse_millis("2024-05-01T08:30:00.123456+08:00"),
        Ok(1_714_523_400_123)
    );
}
