//! The CBV 2.0 event-hash normal form of identifiers: EPC URNs (all EPC schemes of the Tag
//! Data Standard, class and pattern URIs) and any-host GS1 Digital Link URIs become one
//! canonical `https://id.gs1.org/…` string.
//!
//! This is part of the hash pre-image, not identifier validation (validation goes through
//! `tracechain-gs1`, see [`crate::ids`] and ADR 0034). It reproduces the reference event hash
//! algorithm byte for byte: its percent-encoding of URN serials (only `!()*+,:` escaped), its
//! "lowest granularity" rule (a serial drops the lot), and forms a strict Digital Link parser
//! refuses (short names such as `/gtin/`, GTIN-8/12/13 in the path, query strings, CPV).
//! Check digits of keys built from URNs come from `tracechain_gs1::mod10_check_digit`.

use tracechain_gs1::mod10_check_digit;

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// One character of an EPC URN component: the URN-safe set or a `%HH` escape.
/// Returns the number of characters, or `None` on a character outside the set.
fn urn_component_len(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut n = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'%' {
            let h = b.get(i + 1..i + 3)?;
            if !h.iter().all(u8::is_ascii_hexdigit) {
                return None;
            }
            i += 3;
        } else if c.is_ascii_alphanumeric() || b"!')(*+,.:;=_-".contains(&c) {
            i += 1;
        } else {
            return None;
        }
        n += 1;
    }
    Some(n)
}

/// Percent-encode the characters a DL path segment may not carry raw.
fn dl_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '!' => out.push_str("%21"),
            '(' => out.push_str("%28"),
            ')' => out.push_str("%29"),
            '*' => out.push_str("%2A"),
            '+' => out.push_str("%2B"),
            ',' => out.push_str("%2C"),
            ':' => out.push_str("%3A"),
            _ => out.push(c),
        }
    }
    out
}

/// Split `cp.ref` into company prefix (6..=12 digits) and reference with
/// `len(cp) + len(ref) == total` (reference may be empty only if `allow_empty_ref`).
fn split_cp(s: &str, total: usize, allow_empty_ref: bool) -> Option<(&str, &str)> {
    let (cp, rf) = s.split_once('.')?;
    if !(6..=12).contains(&cp.len()) || !all_digits(cp) || cp.len() + rf.len() != total {
        return None;
    }
    if rf.is_empty() {
        if !allow_empty_ref {
            return None;
        }
    } else if !all_digits(rf) {
        return None;
    }
    Some((cp, rf))
}

fn gtin_from(cp: &str, item: &str) -> String {
    // Indicator digit is the first digit of the item reference.
    let raw = format!("{}{}{}", &item[..1], cp, &item[1..]);
    let cd = mod10_check_digit(&raw).unwrap_or('0');
    format!("{raw}{cd}")
}

fn with_check(raw: &str) -> String {
    let cd = mod10_check_digit(raw).unwrap_or('0');
    format!("{raw}{cd}")
}

/// Split off the last `n` dot-separated fields of `s` from the right
/// (serials may themselves contain dots, so callers split from the left instead).
fn split3(s: &str) -> Option<(&str, &str, &str)> {
    let (a, rest) = s.split_once('.')?;
    let (b, c) = rest.split_once('.')?;
    Some((a, b, c))
}

fn serial_ok(s: &str, min: usize, max: usize) -> bool {
    urn_component_len(s).is_some_and(|n| (min..=max).contains(&n))
}

/// EPC URN (pure identity, class or pattern) → canonical GS1 Digital Link URI.
pub fn epc_urn_to_dl(uri: &str) -> Option<String> {
    const DL: &str = "https://id.gs1.org/";
    if let Some(body) = uri.strip_prefix("urn:epc:id:") {
        let (scheme, v) = body.split_once(':')?;
        match scheme {
            "sgtin" => {
                let (cp, item, ser) = split3(v)?;
                let (cp, item) = split_cp(&format!("{cp}.{item}"), 13, false)
                    .map(|(a, b)| (a.to_string(), b.to_string()))?;
                serial_ok(ser, 1, 20)
                    .then(|| format!("{DL}01/{}/21/{}", gtin_from(&cp, &item), dl_encode(ser)))
            }
            "sscc" => {
                let (cp, sr) = split_cp(v, 17, false)?;
                let raw = format!("{}{}{}", &sr[..1], cp, &sr[1..]);
                Some(format!("{DL}00/{}", with_check(&raw)))
            }
            "sgln" => {
                let (cp, loc, ext) = split3(v)?;
                let joined = format!("{cp}.{loc}");
                let (cp, loc) = split_cp(&joined, 12, true)?;
                if !serial_ok(ext, 1, 20) {
                    return None;
                }
                let gln = with_check(&format!("{cp}{loc}"));
                if ext == "0" {
                    Some(format!("{DL}414/{gln}"))
                } else {
                    Some(format!("{DL}414/{gln}/254/{}", dl_encode(ext)))
                }
            }
            "grai" => {
                let (cp, asset, ser) = split3(v)?;
                let joined = format!("{cp}.{asset}");
                let (cp, asset) = split_cp(&joined, 12, true)?;
                serial_ok(ser, 1, 16).then(|| {
                    format!(
                        "{DL}8003/{}{}",
                        with_check(&format!("0{cp}{asset}")),
                        dl_encode(ser)
                    )
                })
            }
            "giai" => {
                let (cp, asset) = v.split_once('.')?;
                let ok = (6..=12).contains(&cp.len())
                    && all_digits(cp)
                    && serial_ok(asset, 1, 30 - cp.len());
                ok.then(|| format!("{DL}8004/{cp}{}", dl_encode(asset)))
            }
            "gsrn" | "gsrnp" => {
                let (cp, sr) = split_cp(v, 17, false)?;
                let ai = if scheme == "gsrn" { "8018" } else { "8017" };
                Some(format!("{DL}{ai}/{}", with_check(&format!("{cp}{sr}"))))
            }
            "gdti" => {
                let (cp, doc, ser) = split3(v)?;
                let joined = format!("{cp}.{doc}");
                let (cp, doc) = split_cp(&joined, 12, true)?;
                serial_ok(ser, 0, 17).then(|| {
                    format!(
                        "{DL}253/{}{}",
                        with_check(&format!("{cp}{doc}")),
                        dl_encode(ser)
                    )
                })
            }
            "cpi" => {
                let (cp, rest) = v.split_once('.')?;
                let (cpref, ser) = rest.rsplit_once('.')?;
                let ok = (6..=12).contains(&cp.len())
                    && all_digits(cp)
                    && serial_ok(cpref, 1, 30 - cp.len())
                    && all_digits(ser)
                    && ser.len() <= 12;
                ok.then(|| format!("{DL}8010/{}/8011/{ser}", dl_encode(&format!("{cp}{cpref}"))))
            }
            "sgcn" => {
                let (cp, cref, ser) = split3(v)?;
                let joined = format!("{cp}.{cref}");
                let (cp, cref) = split_cp(&joined, 12, true)?;
                (all_digits(ser) && ser.len() <= 12)
                    .then(|| format!("{DL}255/{}{ser}", with_check(&format!("{cp}{cref}"))))
            }
            "ginc" => {
                let (cp, rf) = v.split_once('.')?;
                let ok = (6..=12).contains(&cp.len())
                    && all_digits(cp)
                    && serial_ok(rf, 1, 30 - cp.len());
                ok.then(|| format!("{DL}401/{cp}{}", dl_encode(rf)))
            }
            "gsin" => {
                let (cp, sr) = split_cp(v, 16, false)?;
                Some(format!("{DL}402/{}", with_check(&format!("{cp}{sr}"))))
            }
            "itip" => {
                let (cp, rest) = v.split_once('.')?;
                let (item, rest) = rest.split_once('.')?;
                let (piece, rest) = rest.split_once('.')?;
                let (total, ser) = rest.split_once('.')?;
                let joined = format!("{cp}.{item}");
                let (cp, item) = split_cp(&joined, 13, false)?;
                let ok = piece.len() == 2
                    && all_digits(piece)
                    && total.len() == 2
                    && all_digits(total)
                    && serial_ok(ser, 1, 20);
                ok.then(|| {
                    format!(
                        "{DL}8006/{}{piece}{total}/21/{}",
                        gtin_from(cp, item),
                        dl_encode(ser)
                    )
                })
            }
            "upui" => {
                let (cp, item, ser) = split3(v)?;
                let joined = format!("{cp}.{item}");
                let (cp, item) = split_cp(&joined, 13, false)?;
                serial_ok(ser, 1, 28)
                    .then(|| format!("{DL}01/{}/235/{}", gtin_from(cp, item), dl_encode(ser)))
            }
            "pgln" => {
                let (cp, pr) = split_cp(v, 12, true)?;
                Some(format!("{DL}417/{}", with_check(&format!("{cp}{pr}"))))
            }
            _ => None,
        }
    } else if let Some(v) = uri.strip_prefix("urn:epc:class:lgtin:") {
        let (cp, item, lot) = split3(v)?;
        let joined = format!("{cp}.{item}");
        let (cp, item) = split_cp(&joined, 13, false)?;
        serial_ok(lot, 1, 20)
            .then(|| format!("{DL}01/{}/10/{}", gtin_from(cp, item), dl_encode(lot)))
    } else if let Some(body) = uri.strip_prefix("urn:epc:idpat:") {
        let (scheme, v) = body.split_once(':')?;
        let v = v.strip_suffix(".*")?;
        match scheme {
            "sgtin" | "upui" => {
                let (cp, item) = split_cp(v, 13, false)?;
                Some(format!("{DL}01/{}", gtin_from(cp, item)))
            }
            "grai" => {
                let (cp, a) = split_cp(v, 12, true)?;
                Some(format!("{DL}8003/{}", with_check(&format!("0{cp}{a}"))))
            }
            "gdti" | "sgcn" => {
                let (cp, d) = split_cp(v, 12, true)?;
                let ai = if scheme == "gdti" { "253" } else { "255" };
                Some(format!("{DL}{ai}/{}", with_check(&format!("{cp}{d}"))))
            }
            "cpi" => {
                let (cp, cpref) = v.split_once('.')?;
                let ok = (6..=12).contains(&cp.len())
                    && all_digits(cp)
                    && serial_ok(cpref, 1, 30 - cp.len());
                ok.then(|| format!("{DL}8010/{}", dl_encode(&format!("{cp}{cpref}"))))
            }
            "itip" => {
                let (cp, rest) = v.split_once('.')?;
                let (item, rest) = rest.split_once('.')?;
                let (piece, total) = rest.split_once('.')?;
                let joined = format!("{cp}.{item}");
                let (cp, item) = split_cp(&joined, 13, false)?;
                let ok =
                    piece.len() == 2 && all_digits(piece) && total.len() == 2 && all_digits(total);
                ok.then(|| format!("{DL}8006/{}{piece}{total}", gtin_from(cp, item)))
            }
            _ => None,
        }
    } else {
        None
    }
}

/// Primary keys a Digital Link path may start with (AI and short names).
const DL_KEYS: &[&str] = &[
    "01", "gtin", "8006", "itip", "8010", "cpid", "414", "gln", "417", "party", "8017", "gsrnp",
    "8018", "gsrn", "255", "gcn", "00", "sscc", "253", "gdti", "401", "ginc", "402", "gsin",
    "8003", "grai", "8004", "giai",
];

/// Short names of keys and key qualifiers and their AIs.
const SHORT_NAMES: &[(&str, &str)] = &[
    ("/gtin/", "/01/"),
    ("/itip/", "/8006/"),
    ("/cpid/", "/8010/"),
    ("/gln/", "/414/"),
    ("/party/", "/417/"),
    ("/gsrnp/", "/8017/"),
    ("/gsrn/", "/8018/"),
    ("/gcn/", "/255/"),
    ("/sscc/", "/00/"),
    ("/gdti/", "/253/"),
    ("/ginc/", "/401/"),
    ("/gsin/", "/402/"),
    ("/grai/", "/8003/"),
    ("/giai/", "/8004/"),
    ("/cpv/", "/22/"),
    ("/lot/", "/10/"),
    ("/ser/", "/21/"),
];

/// Keys searched (in this order) to re-root a non-canonical DL on `https://id.gs1.org`.
const REROOT_KEYS: &[&str] = &[
    "/00/", "/01/", "/253/", "/255/", "/401/", "/402/", "/414/", "/417/", "/8003/", "/8004/",
    "/8006/", "/8010/", "/8017/", "/8018/",
];

const CANONICAL: &str = "https://id.gs1.org";

/// Characters the canonical DL check accepts in alphanumeric values (a subset of
/// GS1 character set 82 that needs no percent-encoding).
fn dl_value_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"\"'-.;<=>?_".contains(&c)
}

fn dl_value_ok(s: &str, max: usize) -> bool {
    s.len() <= max && s.bytes().all(dl_value_char)
}

/// The first `n` bytes of `v`, or `""` when `v` is shorter or `n` splits a character.
fn head(v: &str, n: usize) -> &str {
    v.get(..n).unwrap_or("")
}

/// `v` after its first `n` bytes, or `"\u{0}"` (matches nothing) when `n` splits a character.
fn tail(v: &str, n: usize) -> &str {
    v.get(n..).unwrap_or("\u{0}")
}

fn n_digits(s: &str, n: usize) -> bool {
    s.len() == n && all_digits(s)
}

/// Whether a URI "looks like" a GS1 Digital Link: http(s) with a path segment that is a
/// primary key followed by a value starting with four digits.
fn looks_like_dl(uri: &str) -> bool {
    let rest = match uri
        .strip_prefix("https:")
        .or_else(|| uri.strip_prefix("http:"))
    {
        Some(r) => r,
        None => return false,
    };
    let path_end = rest.find(['?', '#']).unwrap_or(rest.len());
    let path = &rest[..path_end];
    let segs: Vec<&str> = path.split('/').collect();
    segs.windows(2).any(|w| {
        DL_KEYS.contains(&w[0])
            && w[1].len() >= 5
            && w[1].as_bytes()[..4].iter().all(u8::is_ascii_digit)
    })
}

/// Whether `path` (after `https://id.gs1.org/`) is one of the canonical forms.
fn canonical_form_ok(path: &str) -> bool {
    let segs: Vec<&str> = path.split('/').collect();
    match segs.as_slice() {
        ["00", s] => n_digits(s, 18),
        ["01", g] => n_digits(g, 14),
        ["01", g, "21" | "10", v] => n_digits(g, 14) && dl_value_ok(v, 20),
        ["01", g, "235", v] => n_digits(g, 14) && dl_value_ok(v, 28),
        ["253", v] => v.len() >= 13 && all_digits(head(v, 13)) && dl_value_ok(tail(v, 13), 17),
        ["255", v] => v.len() >= 13 && v.len() <= 25 && all_digits(v),
        ["401", v] => dl_value_ok(v, 30),
        ["402", v] => n_digits(v, 17),
        ["414", v] | ["417", v] => n_digits(v, 13),
        ["414", v, "254", e] => n_digits(v, 13) && dl_value_ok(e, 20),
        ["8003", v] => v.len() >= 14 && all_digits(head(v, 14)) && dl_value_ok(tail(v, 14), 16),
        ["8004", v] => dl_value_ok(v, 30),
        ["8006", v] => n_digits(v, 18),
        ["8006", v, "21" | "10", s] => n_digits(v, 18) && dl_value_ok(s, 20),
        ["8010", c] => cpid_ok(c),
        ["8010", c, "8011", s] => {
            cpid_ok(c) && s.len() <= 12 && s.bytes().all(|b| b.is_ascii_digit())
        }
        ["8017", v] | ["8018", v] => n_digits(v, 18),
        _ => false,
    }
}

fn cpid_ok(c: &str) -> bool {
    c.len() <= 30
        && c.bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase() || b == b'#' || b == b'-')
}

/// Any GS1 Digital Link URI (any host, short names, query string, CPV, lot with
/// serial) → its canonical constrained form on `https://id.gs1.org`, or `None`.
pub fn dl_to_canonical(uri: &str) -> Option<String> {
    if !looks_like_dl(uri) {
        return None;
    }
    let mut u = match uri.find('?') {
        Some(q) => uri[..q].to_string(),
        None => uri.to_string(),
    };
    for (short, ai) in SHORT_NAMES {
        if u.contains(short) {
            u = u.replace(short, ai);
        }
    }
    let canonical_prefix = format!("{CANONICAL}/");
    let already = u.strip_prefix(&canonical_prefix).is_some_and(|p| {
        let mut it = p.splitn(3, '/');
        let key = it.next().unwrap_or("");
        let val = it.next().unwrap_or("");
        [
            "01", "8006", "8010", "414", "417", "8017", "8018", "255", "00", "253", "401", "402",
            "8003", "8004",
        ]
        .contains(&key)
            && val.len() >= 5
            && val.as_bytes()[..4].iter().all(u8::is_ascii_digit)
    });
    if !already {
        if let Some(pos) = REROOT_KEYS.iter().find_map(|k| u.find(k)) {
            u = format!("{CANONICAL}{}", &u[pos..]);
        }
    }
    let path = u.strip_prefix(&canonical_prefix)?.to_string();
    let mut segs: Vec<String> = path.split('/').map(str::to_string).collect();
    // GTIN-8/12/13 → GTIN-14.
    if segs.first().map(String::as_str) == Some("01") {
        if let Some(g) = segs.get_mut(1) {
            let n = g.bytes().take_while(u8::is_ascii_digit).count();
            let pad = match n {
                14.. => 0,
                13 => 1,
                12 => 2,
                8..=11 => 6,
                _ => 0,
            };
            if n < 14 && pad > 0 && (n == 13 || n == 12 || (8..=11).contains(&n)) {
                g.insert_str(0, &"0".repeat(pad));
            }
        }
    }
    // Drop the consumer product variant (AI 22) of a GTIN or ITIP.
    if matches!(segs.first().map(String::as_str), Some("01" | "8006"))
        && segs.len() >= 4
        && segs[2] == "22"
    {
        {
            let tail_len: usize = segs[3..].iter().map(|s| s.len() + 1).sum::<usize>() - 1;
            let tail_ok = segs[3..].iter().all(|s| dl_value_ok(s, 20)) && tail_len <= 20;
            if tail_ok {
                segs.drain(2..4);
            }
        }
    }
    // Lowest granularity: a serial makes the lot redundant.
    if matches!(segs.first().map(String::as_str), Some("01" | "8006"))
        && segs.len() == 6
        && segs[2] == "10"
        && segs[4] == "21"
        && dl_value_ok(&segs[3], 20)
        && dl_value_ok(&segs[5], 20)
    {
        segs.drain(2..4);
    }
    let path = segs.join("/");
    canonical_form_ok(&path).then(|| format!("{CANONICAL}/{path}"))
}

/// The CBV 2.0 hash normal form of any identifier value: EPC URN or DL → canonical
/// DL; anything else unchanged (`None`).
pub fn normalise(uri: &str) -> Option<String> {
    if !uri.contains('.') {
        return None;
    }
    if uri.starts_with("urn:epc:") {
        epc_urn_to_dl(uri)
    } else if uri.starts_with("http") {
        dl_to_canonical(uri)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epcis_id_urn_to_dl() {
        assert_eq!(
            normalise("urn:epc:id:sscc:4012345.0000000333").as_deref(),
            Some("https://id.gs1.org/00/040123450000003338")
        );
        assert_eq!(
            normalise("urn:epc:id:sgln:4012345.00011.987").as_deref(),
            Some("https://id.gs1.org/414/4012345000115/254/987")
        );
        assert_eq!(
            normalise("urn:epc:id:sgln:4012345.00005.0").as_deref(),
            Some("https://id.gs1.org/414/4012345000054")
        );
        assert_eq!(
            normalise("urn:epc:id:giai:4000001.111").as_deref(),
            Some("https://id.gs1.org/8004/4000001111")
        );
        assert_eq!(
            normalise("urn:epc:class:lgtin:4012345.012345.998877").as_deref(),
            Some("https://id.gs1.org/01/04012345123456/10/998877")
        );
        assert_eq!(
            normalise("https://id.gs1.de/01/04012345999990/21/XYZ-1234").as_deref(),
            Some("https://id.gs1.org/01/04012345999990/21/XYZ-1234")
        );
        assert_eq!(
            normalise("https://example.com/gtin/4012345999990/lot/L1/ser/S1?x=1").as_deref(),
            Some("https://id.gs1.org/01/04012345999990/21/S1")
        );
        assert_eq!(normalise("http://transaction.acme.com/po/12345678"), None);
    }
}
