//! The linters of the GS1 Barcode Syntax Dictionary: content checks that the
//! dictionary names after an AI component's type, e.g. `N6,yymmd0`.
//!
//! Each linter is implemented here from its definition in the GS1 syntax
//! tests (one check per name, same acceptance). A linter only sees its own
//! component; the character set and length of the component were checked
//! before. See ADR 0038 for the few places where behaviour is pinned to a
//! fixed choice (the century of two-digit years, the company prefix check
//! without a prefix database).

use crate::chars::verify_mod10;
use crate::codes::{ISO3166_ALPHA2, ISO3166_NUMERIC, ISO4217_NUMERIC, PACKAGE_TYPES};

/// A content check named by the GS1 Barcode Syntax Dictionary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Linter {
    /// North American coupon code (AI 8110).
    CouponCode,
    /// Positive offer file coupon code (AI 8112).
    CouponPosOffer,
    /// GS1 mod-10 check digit, last digit.
    Csum,
    /// GS1 check character pair over set 82, last two characters.
    CsumAlpha,
    /// Starts with a GS1 company prefix (at least four digits).
    GcpPos1,
    /// A GS1 company prefix from the second character.
    GcpPos2,
    /// At least one character that is not a digit.
    HasNonDigit,
    /// Hour `00`–`23`.
    Hh,
    /// Hour and minute `HHMI`.
    HhMi,
    /// Only `-` characters.
    Hyphen,
    /// An IBAN (ISO 13616) with a correct mod-97 check.
    Iban,
    /// One character of `-`, `0-9`, `A-Z`, `_`, `a-z`.
    ImporterIdx,
    /// ISO 3166-1 numeric country code.
    Iso3166,
    /// ISO 3166-1 numeric country code or `999`.
    Iso3166With999,
    /// ISO 3166-1 alpha-2 country code.
    Iso3166Alpha2,
    /// ISO 4217 numeric currency code.
    Iso4217,
    /// ISO/IEC 5218 sex code: `0`, `1`, `2` or `9`.
    Iso5218,
    /// Latitude, ten digits, at most 1800000000.
    Latitude,
    /// Longitude, ten digits, at most 3600000000.
    Longitude,
    /// AIDC media type: `01`–`10` or `80`–`99`.
    MediaType,
    /// Minute `00`–`59`.
    Mi,
    /// Digits, not all zero.
    NonZero,
    /// Digits without a leading zero.
    NoZeroPrefix,
    /// UN/ECE Recommendation 21 package type code.
    PackageType,
    /// Well-formed percent escapes (`%` and two hex digits).
    PcEnc,
    /// Piece number and total, equal halves: `0 < piece <= total`.
    PieceOfTotal,
    /// Position in sequence `P/E`: `0 < P <= E`, no leading zeros.
    PosInSeqSlash,
    /// Second `00`–`59`.
    Ss,
    /// Winding direction `0`, `1` or `9`.
    Winding,
    /// `0` (no) or `1` (yes).
    YesNo,
    /// Date `YYMMDD`; day `00` allowed (end of month).
    YyMmD0,
    /// Date `YYMMDD`.
    YyMmDd,
    /// Date `YYYYMMDD`.
    YyyyMmDd,
    /// Only `0` characters.
    Zero,
}

/// Every linter with its name in the dictionary.
pub(crate) const LINTERS: &[(&str, Linter)] = &[
    ("couponcode", Linter::CouponCode),
    ("couponposoffer", Linter::CouponPosOffer),
    ("csum", Linter::Csum),
    ("csumalpha", Linter::CsumAlpha),
    ("gcppos1", Linter::GcpPos1),
    ("gcppos2", Linter::GcpPos2),
    ("hasnondigit", Linter::HasNonDigit),
    ("hh", Linter::Hh),
    ("hhmi", Linter::HhMi),
    ("hyphen", Linter::Hyphen),
    ("iban", Linter::Iban),
    ("importeridx", Linter::ImporterIdx),
    ("iso3166", Linter::Iso3166),
    ("iso3166999", Linter::Iso3166With999),
    ("iso3166alpha2", Linter::Iso3166Alpha2),
    ("iso4217", Linter::Iso4217),
    ("iso5218", Linter::Iso5218),
    ("latitude", Linter::Latitude),
    ("longitude", Linter::Longitude),
    ("mediatype", Linter::MediaType),
    ("mi", Linter::Mi),
    ("nonzero", Linter::NonZero),
    ("nozeroprefix", Linter::NoZeroPrefix),
    ("packagetype", Linter::PackageType),
    ("pcenc", Linter::PcEnc),
    ("pieceoftotal", Linter::PieceOfTotal),
    ("posinseqslash", Linter::PosInSeqSlash),
    ("ss", Linter::Ss),
    ("winding", Linter::Winding),
    ("yesno", Linter::YesNo),
    ("yymmd0", Linter::YyMmD0),
    ("yymmdd", Linter::YyMmDd),
    ("yyyymmdd", Linter::YyyyMmDd),
    ("zero", Linter::Zero),
];

impl Linter {
    /// Every linter, in name order.
    pub fn all() -> Vec<Linter> {
        LINTERS.iter().map(|(_, l)| *l).collect()
    }

    /// The linter's name in the dictionary, e.g. `yymmd0`.
    pub fn name(self) -> &'static str {
        LINTERS
            .iter()
            .find(|(_, l)| *l == self)
            .map_or("", |(n, _)| n)
    }

    /// The linter the dictionary calls `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        LINTERS.iter().find(|(n, _)| *n == name).map(|(_, l)| *l)
    }

    /// The Rust path of this variant, as written in the generated table.
    pub(crate) fn variant(self) -> String {
        format!("Linter::{self:?}")
    }

    /// Check `part` (one component); `Err` carries the reason.
    ///
    /// The AI parser runs every linter of a component, `Csum` and
    /// `CsumAlpha` included, only at [`crate::Validation::Full`].
    pub fn check(self, part: &str) -> Result<(), &'static str> {
        let b = part.as_bytes();
        let digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
        let fail = |ok: bool, reason: &'static str| if ok { Ok(()) } else { Err(reason) };
        match self {
            Linter::CouponCode => coupon_code(b),
            Linter::CouponPosOffer => coupon_pos_offer(b),
            Linter::Csum => fail(verify_mod10(part), "incorrect check digit"),
            Linter::CsumAlpha => csum_alpha(b),
            Linter::GcpPos1 => gcp(b),
            Linter::GcpPos2 => match b.get(1..) {
                Some(rest) if !rest.is_empty() => gcp(rest),
                _ => Err("too short to hold a GS1 company prefix"),
            },
            Linter::HasNonDigit => fail(
                b.iter().any(|c| !c.is_ascii_digit()),
                "must contain a character that is not a digit",
            ),
            Linter::Hh => fail(
                b.len() == 2 && digits(b) && number(b) <= 23,
                "not an hour 00 to 23",
            ),
            Linter::Mi => fail(
                b.len() == 2 && digits(b) && number(b) <= 59,
                "not a minute 00 to 59",
            ),
            Linter::Ss => fail(
                b.len() == 2 && digits(b) && number(b) <= 59,
                "not a second 00 to 59",
            ),
            Linter::HhMi => match (b.get(..2), b.get(2..)) {
                (Some(h), Some(m)) if b.len() == 4 => {
                    fail(digits(h) && number(h) <= 23, "not an hour 00 to 23")?;
                    fail(digits(m) && number(m) <= 59, "not a minute 00 to 59")
                }
                _ => Err("not a time HHMI"),
            },
            Linter::Hyphen => fail(
                !b.is_empty() && b.iter().all(|c| *c == b'-'),
                "must be a hyphen",
            ),
            Linter::Iban => iban(b),
            Linter::ImporterIdx => fail(
                b.len() == 1
                    && b.iter()
                        .all(|c| c.is_ascii_alphanumeric() || *c == b'-' || *c == b'_'),
                "not an importer index (one of - 0-9 A-Z _ a-z)",
            ),
            Linter::Iso3166 => fail(iso3166(b), "not an ISO 3166-1 numeric country code"),
            Linter::Iso3166With999 => fail(
                b == b"999" || iso3166(b),
                "not an ISO 3166-1 numeric country code or 999",
            ),
            Linter::Iso3166Alpha2 => fail(
                ISO3166_ALPHA2.binary_search(&part).is_ok(),
                "not an ISO 3166-1 alpha-2 country code",
            ),
            Linter::Iso4217 => fail(
                b.len() == 3
                    && digits(b)
                    && u16::try_from(number(b))
                        .is_ok_and(|n| ISO4217_NUMERIC.binary_search(&n).is_ok()),
                "not an ISO 4217 numeric currency code",
            ),
            Linter::Iso5218 => fail(
                matches!(b, [b'0' | b'1' | b'2' | b'9']),
                "not an ISO/IEC 5218 sex code (0, 1, 2 or 9)",
            ),
            Linter::Latitude => fail(
                b.len() == 10 && digits(b) && number(b) <= 1_800_000_000,
                "not a latitude (ten digits, at most 1800000000)",
            ),
            Linter::Longitude => fail(
                b.len() == 10 && digits(b) && number(b) <= 3_600_000_000,
                "not a longitude (ten digits, at most 3600000000)",
            ),
            Linter::MediaType => fail(
                b.len() == 2 && digits(b) && matches!(number(b), 1..=10 | 80..=99),
                "not an AIDC media type (01 to 10, 80 to 99)",
            ),
            Linter::NonZero => {
                fail(digits(b), "must be digits")?;
                fail(b.iter().any(|c| *c != b'0'), "must not be zero")
            }
            Linter::NoZeroPrefix => {
                fail(b.first() != Some(&b'0'), "must not have a leading zero")?;
                fail(b.iter().all(u8::is_ascii_digit), "must be digits")
            }
            Linter::PackageType => fail(
                PACKAGE_TYPES.binary_search(&part).is_ok(),
                "not a UN/ECE Recommendation 21 package type code",
            ),
            Linter::PcEnc => pc_enc(b),
            Linter::PieceOfTotal => piece_of_total(b),
            Linter::PosInSeqSlash => pos_in_seq_slash(b),
            Linter::Winding => fail(
                matches!(b, [b'0' | b'1' | b'9']),
                "not a winding direction (0, 1 or 9)",
            ),
            Linter::YesNo => fail(matches!(b, [b'0' | b'1']), "must be 0 or 1"),
            Linter::YyMmD0 => yymmdd(b, true),
            Linter::YyMmDd => yymmdd(b, false),
            Linter::YyyyMmDd => date(b, false),
            Linter::Zero => fail(
                !b.is_empty() && b.iter().all(|c| *c == b'0'),
                "must be the digit 0",
            ),
        }
    }
}

/// Decimal value of ASCII digits (at most 19 of them; callers check lengths).
fn number(b: &[u8]) -> u64 {
    b.iter()
        .take(19)
        .fold(0u64, |n, c| n * 10 + u64::from(c.wrapping_sub(b'0') % 10))
}

fn iso3166(b: &[u8]) -> bool {
    b.len() == 3
        && b.iter().all(u8::is_ascii_digit)
        && u16::try_from(number(b)).is_ok_and(|n| ISO3166_NUMERIC.binary_search(&n).is_ok())
}

/// The shortest GS1 company prefix is four digits.
const GCP_MIN_LENGTH: usize = 4;

fn gcp(b: &[u8]) -> Result<(), &'static str> {
    match b.get(..GCP_MIN_LENGTH) {
        None => Err("too short to hold a GS1 company prefix"),
        Some(p) if p.iter().all(u8::is_ascii_digit) => Ok(()),
        Some(_) => Err("does not start with a GS1 company prefix (four digits)"),
    }
}

/// `YYYYMMDD` (or the last 6 digits of it when `d0`): month 1–12, day within
/// the month, day `00` allowed only when `d0`.
fn date(b: &[u8], d0: bool) -> Result<(), &'static str> {
    if b.len() != 8 || !b.iter().all(u8::is_ascii_digit) {
        return Err("not a date");
    }
    let year = number(&b[..4]);
    let month = number(&b[4..6]);
    let day = number(&b[6..8]);
    if !(1..=12).contains(&month) {
        return Err("month is not 01 to 12");
    }
    let leap = (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
    let max = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if day > max || (day == 0 && !d0) {
        return Err("day is not in the month");
    }
    Ok(())
}

/// Two-digit years are placed in a century by the sliding window of the GS1
/// General Specifications, anchored on a fixed year (the crate reads no
/// clock): `YY` in 00–71 is 20YY, 72–99 is 19YY. Only leap years depend on
/// it, and every 20YY and 19YY agree on them.
fn yymmdd(b: &[u8], d0: bool) -> Result<(), &'static str> {
    if b.len() != 6 || !b.iter().all(u8::is_ascii_digit) {
        return Err("not a date YYMMDD");
    }
    let century: &[u8] = if number(&b[..2]) >= 72 { b"19" } else { b"20" };
    let mut full = [0u8; 8];
    full[..2].copy_from_slice(century);
    full[2..].copy_from_slice(b);
    date(&full, d0)
}

fn pc_enc(b: &[u8]) -> Result<(), &'static str> {
    for (i, c) in b.iter().enumerate() {
        if *c == b'%' {
            match (b.get(i + 1), b.get(i + 2)) {
                (Some(h), Some(l)) if h.is_ascii_hexdigit() && l.is_ascii_hexdigit() => {}
                _ => return Err("bad percent escape (% and two hex digits)"),
            }
        }
    }
    Ok(())
}

fn piece_of_total(b: &[u8]) -> Result<(), &'static str> {
    if !b.iter().all(u8::is_ascii_digit) {
        return Err("must be digits");
    }
    if b.is_empty() || !b.len().is_multiple_of(2) {
        return Err("piece and total must have the same length");
    }
    let (piece, total) = b.split_at(b.len() / 2);
    if piece.iter().all(|c| *c == b'0') {
        return Err("piece number is zero");
    }
    if total.iter().all(|c| *c == b'0') {
        return Err("total number of pieces is zero");
    }
    if piece > total {
        return Err("piece number exceeds the total");
    }
    Ok(())
}

fn pos_in_seq_slash(b: &[u8]) -> Result<(), &'static str> {
    const BAD: &str = "not a position in sequence P/E";
    let slash = b.iter().position(|c| *c == b'/').ok_or(BAD)?;
    let (pos, end) = (&b[..slash], &b[slash + 1..]);
    let digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
    if !digits(pos) || !digits(end) {
        return Err(BAD);
    }
    if pos.first() == Some(&b'0') || end.first() == Some(&b'0') {
        return Err("position or end has a leading zero");
    }
    if pos.len() > end.len() || (pos.len() == end.len() && pos > end) {
        return Err("position exceeds the end of the sequence");
    }
    Ok(())
}

/// Value of a set-82 character in the check character pair: its 0-based
/// position in [`crate::CSET82`], as the check character calculation uses it.
fn cset82_weight(c: u8) -> Option<u32> {
    crate::chars::CSET82
        .bytes()
        .position(|x| x == c)
        .and_then(|p| u32::try_from(p).ok())
}

fn csum_alpha(b: &[u8]) -> Result<(), &'static str> {
    const PAIR: &[u8; 32] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    const BAD: &str = "incorrect check character pair";
    if b.len() < 2 {
        return Err("too short for a check character pair");
    }
    let body = &b[..b.len() - 2];
    let primes = primes(body.len());
    if primes.len() < body.len() {
        return Err("too long for a check character pair");
    }
    let mut sum: u32 = 0;
    for (i, c) in body.iter().enumerate() {
        let w = cset82_weight(*c).ok_or("character not in set 82")?;
        let p = primes.get(body.len() - 1 - i).copied().unwrap_or(0);
        sum = sum.wrapping_add(w * p);
    }
    sum %= 1021;
    let hi = PAIR.get((sum >> 5) as usize).copied();
    let lo = PAIR.get((sum & 31) as usize).copied();
    if hi == b.get(b.len() - 2).copied() && lo == b.last().copied() {
        Ok(())
    } else {
        Err(BAD)
    }
}

/// The first `n` primes, or fewer when `n` is past the 97 the check pair defines.
fn primes(n: usize) -> Vec<u32> {
    let n = n.min(97);
    let mut out: Vec<u32> = Vec::with_capacity(n);
    let mut k = 2u32;
    while out.len() < n {
        if out
            .iter()
            .take_while(|p| *p * *p <= k)
            .all(|p| !k.is_multiple_of(*p))
        {
            out.push(k);
        }
        k += 1;
    }
    out
}

fn iban(b: &[u8]) -> Result<(), &'static str> {
    if b.len() < 4 {
        return Err("too short for an IBAN");
    }
    let country = std::str::from_utf8(&b[..2]).unwrap_or_default();
    if ISO3166_ALPHA2.binary_search(&country).is_err() {
        return Err("IBAN country is not an ISO 3166-1 alpha-2 code");
    }
    if b.len() > 34 {
        return Err("too long for an IBAN");
    }
    if b.len() <= 10 {
        return Err("too short for an IBAN");
    }
    let mut rem: u32 = 0;
    for c in b[4..].iter().chain(&b[..4]) {
        let v = match c {
            b'0'..=b'9' => u32::from(c - b'0'),
            b'A'..=b'Z' => u32::from(c - b'A') + 10,
            _ => return Err("IBAN character is not 0-9 or A-Z"),
        };
        rem = (rem * if v < 10 { 10 } else { 100 } + v) % 97;
    }
    if rem == 1 {
        Ok(())
    } else {
        Err("incorrect IBAN check digits")
    }
}

/// A cursor over a digits-only coupon code with variable-length fields.
struct Coupon<'a> {
    b: &'a [u8],
    p: usize,
}

impl<'a> Coupon<'a> {
    fn digit(&mut self, missing: &'static str) -> Result<u8, &'static str> {
        let d = self.b.get(self.p).copied().ok_or(missing)?;
        self.p += 1;
        Ok(d - b'0')
    }
    fn take(&mut self, n: usize, truncated: &'static str) -> Result<&'a [u8], &'static str> {
        let s = self.b.get(self.p..self.p + n).ok_or(truncated)?;
        self.p += n;
        Ok(s)
    }
    fn peek(&self, d: u8) -> bool {
        self.b.get(self.p) == Some(&d)
    }
    /// A length indicator `1..=5` and that many digits.
    fn vli_field(&mut self, what: &'static str) -> Result<(), &'static str> {
        let n = self.digit(what)?;
        if !(1..=5).contains(&n) {
            return Err(what);
        }
        self.take(usize::from(n), what).map(|_| ())
    }
    /// A purchase requirement: value, code (0-4 or 9), family code.
    fn requirement(&mut self) -> Result<(), &'static str> {
        self.vli_field("bad or truncated purchase requirement")?;
        let code = self.digit("missing purchase requirement code")?;
        if code > 4 && code != 9 {
            return Err("invalid purchase requirement code");
        }
        self.take(3, "truncated purchase family code").map(|_| ())
    }
    /// A company prefix with a length indicator (`0..=max` means 6 + n digits; 9 = none when `none`).
    fn gcp(&mut self, max: u8, none: bool) -> Result<(), &'static str> {
        let n = self.digit("missing company prefix length")?;
        if none && n == 9 {
            return Ok(());
        }
        if n > max {
            return Err("invalid company prefix length");
        }
        let s = self.take(usize::from(n) + 6, "truncated company prefix")?;
        gcp(s)
    }
    fn end(&self) -> Result<(), &'static str> {
        if self.p == self.b.len() {
            Ok(())
        } else {
            Err("excess data after the coupon fields")
        }
    }
}

fn coupon_code(b: &[u8]) -> Result<(), &'static str> {
    if !b.iter().all(u8::is_ascii_digit) {
        return Err("must be digits");
    }
    let mut c = Coupon { b, p: 0 };
    c.gcp(6, false)?;
    c.take(6, "truncated offer code")?;
    c.vli_field("bad or truncated save value")?;
    c.requirement()?;
    if c.peek(b'1') {
        c.p += 1;
        if c.digit("missing additional purchase rules code")? > 3 {
            return Err("invalid additional purchase rules code");
        }
        c.requirement()?;
        c.gcp(6, true)?;
    }
    if c.peek(b'2') {
        c.p += 1;
        c.requirement()?;
        c.gcp(6, true)?;
    }
    let mut expiry = None;
    if c.peek(b'3') {
        c.p += 1;
        let d = c.take(6, "too short for an expiration date")?;
        yymmdd(d, false).map_err(|_| "invalid expiration date")?;
        expiry = Some(d);
    }
    if c.peek(b'4') {
        c.p += 1;
        let d = c.take(6, "too short for a start date")?;
        yymmdd(d, false).map_err(|_| "invalid start date")?;
        if expiry.is_some_and(|e| d > e) {
            return Err("expiration date before start date");
        }
    }
    if c.peek(b'5') {
        c.p += 1;
        let n = c.digit("missing serial number length")?;
        c.take(usize::from(n) + 6, "truncated serial number")?;
    }
    if c.peek(b'6') {
        c.p += 1;
        let n = c.digit("missing retailer company prefix or GLN length")?;
        if !(1..=7).contains(&n) {
            return Err("invalid retailer company prefix or GLN length");
        }
        let s = c.take(
            usize::from(n) + 6,
            "truncated retailer company prefix or GLN",
        )?;
        gcp(s)?;
    }
    if c.peek(b'9') {
        c.p += 1;
        if !matches!(c.digit("missing save value code")?, 0 | 1 | 2 | 5 | 6) {
            return Err("invalid save value code");
        }
        if c.digit("missing save value applies to item")? > 2 {
            return Err("invalid save value applies to item");
        }
        c.digit("missing store coupon flag")?;
        if c.digit("missing don't multiply flag")? > 1 {
            return Err("invalid don't multiply flag");
        }
    }
    c.end()
}

fn coupon_pos_offer(b: &[u8]) -> Result<(), &'static str> {
    if !b.iter().all(u8::is_ascii_digit) {
        return Err("must be digits");
    }
    let mut c = Coupon { b, p: 0 };
    if c.digit("missing format code")? > 1 {
        return Err("invalid format code");
    }
    let n = c.digit("missing funder length")?;
    if n > 6 {
        return Err("invalid funder length");
    }
    c.take(usize::from(n) + 6, "truncated funder")?;
    c.take(6, "truncated offer code")?;
    let n = c.digit("missing serial number length")?;
    c.take(usize::from(n) + 6, "truncated serial number")?;
    c.end()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_lists_are_sorted() {
        for (n, l) in LINTERS {
            assert_eq!(Linter::from_name(n), Some(*l));
            assert_eq!(l.name(), *n);
        }
        assert!(ISO3166_NUMERIC.windows(2).all(|w| w[0] < w[1]));
        assert!(ISO3166_ALPHA2.windows(2).all(|w| w[0] < w[1]));
        assert!(ISO4217_NUMERIC.windows(2).all(|w| w[0] < w[1]));
        assert!(PACKAGE_TYPES.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn primes_are_the_first_97() {
        let p = primes(200);
        assert_eq!(p.len(), 97);
        assert_eq!(p.first(), Some(&2));
        assert_eq!(p.last(), Some(&509));
    }
}
