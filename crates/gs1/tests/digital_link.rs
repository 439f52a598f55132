//! Digital Link URIs against the GS1 Digital Link URI Syntax standard (rule
//! R-I2): scheme, authority (host, port, no user information), path and
//! query rules, the dictionary's `req` / `ex` rules over path and query
//! together, and the size limit. Attack tests are named after the rule.

use proptest::prelude::*;
use tracechain_gs1::{
    parse_element_string, parse_element_string_with, validate_ai_value, DigitalLink, Gs1Error,
    ParseOptions, Validation, MAX_INPUT_LEN,
};

const GTIN: &str = "01/09506000134352";

fn p(uri: &str) -> Result<DigitalLink, Gs1Error> {
    DigitalLink::parse(uri)
}

#[track_caller]
fn refused_uri(uri: &str, needle: &str) {
    match p(uri) {
        Err(Gs1Error::InvalidUri { reason, .. }) => {
            assert!(
                reason.contains(needle),
                "{uri}: {reason:?} lacks {needle:?}"
            )
        }
        other => panic!("{uri}: expected InvalidUri ({needle}), got {other:?}"),
    }
}

#[test]
fn r_i2_price_392n_digital_link_accepted() {
    let dl = p(&format!("https://id.gs1.org/{GTIN}?3103=000500&3922=1999")).unwrap();
    assert_eq!(dl.get("3922"), Some("1999"));
    assert_eq!(dl.get("3103"), Some("000500"));
    // And generated from its element string.
    let made =
        DigitalLink::from_element_string("(01)09506000134352(3103)000500(3922)1999", None).unwrap();
    assert_eq!(
        made.as_str(),
        "https://id.gs1.org/01/09506000134352?3103=000500&3922=1999"
    );
}

#[test]
fn scheme_is_http_or_https_in_any_case() {
    for ok in ["http", "https", "HTTPS", "HtTp"] {
        assert!(p(&format!("{ok}://a.example/{GTIN}")).is_ok(), "{ok}");
    }
    assert!(matches!(
        p(&format!("ftp://a.example/{GTIN}")),
        Err(Gs1Error::UnsupportedScheme { scheme, .. }) if scheme == "ftp"
    ));
    assert!(matches!(
        p(&format!("urn:a.example/{GTIN}")),
        Err(Gs1Error::UnsupportedScheme { .. })
    ));
    refused_uri(&format!("//a.example/{GTIN}"), "no scheme");
    refused_uri(GTIN, "no scheme");
    refused_uri(&format!("https:a.example/{GTIN}"), "must be followed by //");
    refused_uri(
        &format!("https:/a.example/{GTIN}"),
        "must be followed by //",
    );
}

#[test]
fn r_i2_userinfo_attack_refused() {
    // Looks like the GS1 resolver, is a login on another host.
    refused_uri(
        &format!("https://id.gs1.org@evil.example/{GTIN}"),
        "user information",
    );
    refused_uri(
        &format!("https://user:pass@id.gs1.org/{GTIN}"),
        "user information",
    );
}

#[test]
fn empty_host_refused() {
    refused_uri(&format!("https:///{GTIN}"), "empty host");
    refused_uri(&format!("https://:443/{GTIN}"), "is empty");
}

#[test]
fn port_must_be_1_to_65535() {
    assert!(p(&format!("https://a.example:8443/{GTIN}")).is_ok());
    assert!(p(&format!("https://a.example:65535/{GTIN}")).is_ok());
    for bad in ["0", "65536", "", "x", "443x", "123456", "-1"] {
        refused_uri(&format!("https://a.example:{bad}/{GTIN}"), "port");
    }
}

#[test]
fn host_is_a_domain_name_or_an_ip_address() {
    for ok in [
        "a",
        "a.",
        "xn--fsq.xn--0zwm56d",
        "id.gs1.org",
        "a-b.example",
        "192.0.2.1",
        "[2001:db8::1]",
        "[2001:db8::1]:8080",
        "[::ffff:192.0.2.1]",
    ] {
        assert!(p(&format!("https://{ok}/{GTIN}")).is_ok(), "{ok}");
    }
    for bad in [
        "-a.example",
        "a-.example",
        "a..example",
        "a_b.example",
        "$a",
        "3232235777",
        "192.0.2.256",
        "0300.0250.01.01",
        "[fe80::1%25lo]",
        "[zz]",
        "[2001:db8::1",
        "[2001:db8::1]x",
    ] {
        assert!(
            matches!(
                p(&format!("https://{bad}/{GTIN}")),
                Err(Gs1Error::InvalidUri { .. })
            ),
            "{bad}"
        );
    }
    let label = "a".repeat(64);
    refused_uri(&format!("https://{label}.example/{GTIN}"), "63");
    let long = ["abcdefghij"; 26].join(".");
    refused_uri(&format!("https://{long}/{GTIN}"), "253");
}

#[test]
fn path_prefix_fragment_and_non_ai_query_parameters() {
    let dl = p(&format!(
        "https://a.example/some/prefix/{GTIN}/10/L1?linkType=gs1:pip&context=x&17=251231#frag"
    ))
    .unwrap();
    assert_eq!(dl.stem(), "https://a.example/some/prefix");
    assert_eq!(dl.get("17"), Some("251231"));
    assert_eq!(dl.query().len(), 1);
    // A numeric parameter is an AI and must be known and a data attribute.
    assert!(matches!(
        p(&format!("https://a.example/{GTIN}?999=x")),
        Err(Gs1Error::UnknownAi { .. })
    ));
    assert!(matches!(
        p(&format!("https://a.example/{GTIN}?8200=x")),
        Err(Gs1Error::NotDataAttribute { .. })
    ));
}

#[test]
fn r_i2_req_violation_refused() {
    let e = p(&format!("https://id.gs1.org/{GTIN}?3922=1999")).unwrap_err();
    assert!(
        matches!(&e, Gs1Error::MissingRequiredAi { ai, .. } if ai == "3922"),
        "{e}"
    );
    // 4300 (ship-to company) needs an SSCC.
    let e = p(&format!("https://id.gs1.org/{GTIN}?4300=ACME")).unwrap_err();
    assert!(
        matches!(&e, Gs1Error::MissingRequiredAi { requires, .. } if requires == "(00)"),
        "{e}"
    );
    assert!(p("https://id.gs1.org/00/340123451111111111?4300=ACME").is_ok());
}

#[test]
fn r_i2_ex_violation_refused() {
    let e = p(&format!(
        "https://id.gs1.org/{GTIN}?3103=000500&3102=000050"
    ))
    .unwrap_err();
    assert!(matches!(e, Gs1Error::ExclusiveAis { .. }), "{e}");
    let e = p(&format!("https://id.gs1.org/{GTIN}?422=840&426=840")).unwrap_err();
    assert!(matches!(e, Gs1Error::ExclusiveAis { .. }), "{e}");
}

#[test]
fn r_i2_linter_applies_inside_digital_links() {
    // A date with month 13 and a country code that does not exist.
    assert!(matches!(
        p(&format!("https://id.gs1.org/{GTIN}?17=251331")),
        Err(Gs1Error::InvalidValue { .. })
    ));
    assert!(matches!(
        p(&format!("https://id.gs1.org/{GTIN}?422=999")),
        Err(Gs1Error::InvalidValue { .. })
    ));
}

#[test]
fn r_i2_oversized_input_attack_refused() {
    let uri = format!(
        "https://id.gs1.org/{GTIN}?linkType={}",
        "x".repeat(MAX_INPUT_LEN)
    );
    assert!(matches!(
        p(&uri),
        Err(Gs1Error::TooLong { found, max, .. }) if found == uri.len() && max == MAX_INPUT_LEN
    ));
    assert!(p(&format!("https://id.gs1.org/{GTIN}?linkType=x")).is_ok());
    let stem = format!("https://{}", "a".repeat(MAX_INPUT_LEN));
    assert!(matches!(
        DigitalLink::from_element_string("(01)09506000134352", Some(&stem)),
        Err(Gs1Error::TooLong { .. })
    ));
}

/// Stems that `DigitalLink::parse` would refuse are refused by every
/// generator (`from_element_string`, `from_elements`, `with_stem`).
#[test]
fn r_i2_bad_stem_attack_refused_by_the_generators() {
    let dl = p(&format!("https://a/{GTIN}")).unwrap();
    let el = [tracechain_gs1::AiElement::new("01", "09506000134352")];
    for stem in [
        "https://a//p",
        "https://a/p//",
        "https://a/p\nq",
        "https://a/p\u{7}",
        "https://a/p\u{e9}",
        "https://a/p q",
        "https://a/p%zz",
        "https://a/p%4",
        "https://a/p?x=1",
        "https://a/p#x",
        "https://u@a/p",
        "https://a:0/p",
        "ftp://a/p",
    ] {
        assert!(
            DigitalLink::from_element_string("(01)09506000134352", Some(stem)).is_err(),
            "from_element_string on {stem:?}"
        );
        assert!(
            DigitalLink::from_elements(&el, Some(stem)).is_err(),
            "from_elements on {stem:?}"
        );
        assert!(dl.with_stem(stem).is_err(), "with_stem on {stem:?}");
    }
    for (stem, norm) in [
        ("HTTPS://A.example/p/", "https://a.example/p"),
        ("https://a/p%2Fq", "https://a/p%2Fq"),
        ("http://[::1]:8080", "http://[::1]:8080"),
    ] {
        let made = DigitalLink::from_element_string("(01)09506000134352", Some(stem)).unwrap();
        assert_eq!(made.stem(), norm);
        assert_eq!(p(made.as_str()), Ok(made));
    }
}

/// A bad stem's error gives the character position in the stem.
#[test]
fn bad_stem_error_position_is_in_the_stem() {
    for (stem, pos) in [
        ("https://a/p#x", 12),
        ("https://a/p?x", 12),
        ("https://a/\u{e9}\u{e9}#", 11),
        ("https://a/p\u{e9}\n", 12),
    ] {
        match DigitalLink::from_element_string("(01)09506000134352", Some(stem)) {
            Err(Gs1Error::InvalidUri { reason, uri }) => {
                assert!(
                    reason.contains(&format!("character {pos}")),
                    "{stem:?}: {reason}"
                );
                assert_eq!(uri, stem.replace('\n', "\\n"), "{stem:?}");
            }
            other => panic!("{stem:?}: {other:?}"),
        }
    }
}

/// `%31%37` is the query parameter name `17` (RFC 3986 §6.2.2.2): it is an
/// AI and its value is checked, not dropped as a non-AI parameter.
#[test]
fn r_i2_percent_encoded_query_key_attack_refused() {
    assert!(p(&format!("https://a/{GTIN}?17=999999")).is_err());
    assert!(p(&format!("https://a/{GTIN}?%31%37=999999")).is_err());
    assert!(p(&format!("https://a/{GTIN}?%31%30=ABC")).is_err()); // 10 belongs in the path
    let dl = p(&format!("https://a/{GTIN}?%31%37=251231")).unwrap();
    assert_eq!(dl.get("17"), Some("251231"));
    assert_eq!(dl.as_str(), format!("https://a/{GTIN}?17=251231"));
    // A name that does not decode is not an AI; other names stay ignored.
    assert!(p(&format!("https://a/{GTIN}?link%54ype=x&%zz=1")).is_ok());
}

/// `%` escapes in a path prefix are checked like those of values.
#[test]
fn r_i2_bad_escape_in_path_prefix_attack_refused() {
    for uri in [
        format!("https://a/p%zz/{GTIN}"),
        format!("https://a/p%4/{GTIN}"),
        format!("https://a/q/p%/{GTIN}"),
    ] {
        assert!(
            matches!(p(&uri), Err(Gs1Error::PercentEncoding { .. })),
            "{uri}: {:?}",
            p(&uri)
        );
    }
    let dl = p(&format!("https://a/p%2F%c3%a9/{GTIN}")).unwrap();
    assert_eq!(dl.stem(), "https://a/p%2F%c3%a9");
}

fn cases() -> u32 {
    std::env::var("TRACECHAIN_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

/// Every AI the table knows.
fn known_ais() -> Vec<String> {
    (2..=4usize)
        .flat_map(|w| (0..10u32.pow(w as u32)).map(move |n| format!("{n:0w$}")))
        .filter(|ai| tracechain_gs1::ai_title(ai).is_some())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    /// Random bytes, raw and behind valid prefixes, never make the
    /// element-string or Digital Link parsers panic.
    #[test]
    fn r_i2_random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let s = String::from_utf8_lossy(&bytes);
        let lax = ParseOptions { validation: Validation::Pattern, permit_unknown_ais: true };
        for input in [
            s.to_string(),
            format!("(01)09506000134352({s}"),
            format!("(01)09506000134352(8110){s}"),
        ] {
            let _ = parse_element_string(&input);
            let _ = parse_element_string_with(&input, &lax);
        }
        for input in [
            s.to_string(),
            format!("https://{s}"),
            format!("https://id.gs1.org/{s}"),
            format!("https://id.gs1.org/{GTIN}?{s}"),
            format!("https://id.gs1.org/{GTIN}/10/{s}"),
        ] {
            let _ = DigitalLink::parse(&input);
            let _ = DigitalLink::parse_with(&input, &lax);
        }
    }

    /// Every AI's components and linters survive any value.
    #[test]
    fn every_ai_value_check_never_panics(
        i in any::<prop::sample::Index>(),
        value in prop_oneof!["[0-9]{0,40}", "[ -~]{0,95}", any::<String>()],
    ) {
        thread_local!(static AIS: Vec<String> = known_ais());
        let ai = AIS.with(|a| i.get(a).clone());
        let _ = validate_ai_value(&ai, &value);
    }

    /// A stem either is refused by the generators or gives a link that
    /// parses back to the same stem and elements.
    #[test]
    fn r_i2_generated_links_parse_back(
        stem in prop_oneof![
            "(https?|HTTP|ftp)://[a-z0-9.:@\\[\\]-]{0,12}(/[ -~]{0,6}){0,4}/?",
            "https://a(/[a-z%/0-9#?]{0,5}){0,4}",
            any::<String>(),
        ],
    ) {
        let els = tracechain_gs1::parse_element_string("(01)09506000134352(10)A/B(99)x&y%z").unwrap();
        if let Ok(dl) = DigitalLink::from_elements(&els, Some(&stem)) {
            let back = DigitalLink::parse(dl.as_str());
            prop_assert_eq!(back.as_ref(), Ok(&dl), "{:?}", stem);
            let back = back.unwrap();
            prop_assert_eq!(back.stem(), dl.stem());
            prop_assert_eq!(back.element_string(), "(01)09506000134352(10)A/B(99)x&y%z");
        }
        let base = DigitalLink::parse("https://a/01/09506000134352/10/L?99=z").unwrap();
        if let Ok(dl) = base.with_stem(&stem) {
            prop_assert_eq!(DigitalLink::parse(dl.as_str()), Ok(dl.clone()), "{:?}", stem);
        }
    }
}
