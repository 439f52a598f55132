//! Every `Gs1Error` variant: the input that triggers it, its fields
//! (1-based positions, expected/found check digit, length range) and its
//! one-line message.

use tracechain_gs1::{
    check, parse_element_string, validate_epcis_dl, DigitalLink, EpcUrn, Gs1Error, Gtin, Role, Uscc,
};

fn msg(r: Result<impl std::fmt::Debug, Gs1Error>) -> (Gs1Error, String) {
    let e = r.expect_err("expected an error");
    let m = e.to_string();
    assert!(!m.contains('\n'), "message is not one line: {m:?}");
    (e, m)
}

#[test]
fn too_long() {
    let input = format!("(99){}", "A".repeat(tracechain_gs1::MAX_INPUT_LEN));
    let (e, m) = msg(parse_element_string(&input));
    assert!(matches!(
        e,
        Gs1Error::TooLong {
            what: "element string",
            found: 8196,
            max: 8192
        }
    ));
    assert_eq!(
        m,
        "element string: length is 8196 bytes, more than the 8192 accepted"
    );
}

#[test]
fn empty() {
    let (e, m) = msg(check(""));
    assert!(matches!(e, Gs1Error::Empty { .. }));
    assert_eq!(m, "code: empty value");
}

#[test]
fn length_names_the_range() {
    let (e, m) = msg(check("https://id.gs1.org/01/9506000134352"));
    assert!(
        matches!(&e, Gs1Error::Length { ai: Some(ai), found: 13, min: 14, max: 14, .. } if ai == "01")
    );
    assert_eq!(
        m,
        "AI (01) GTIN 9506000134352: length is 13, expected exactly 14"
    );
    let (_, m) = msg(check(
        "https://id.gs1.org/01/09506000134352/10/ABCDEFGHIJKLMNOPQRSTU",
    ));
    assert_eq!(
        m,
        "AI (10) BATCH/LOT ABCDEFGHIJKLMNOPQRSTU: length is 21, expected 1 to 20"
    );
}

#[test]
fn gtin_length() {
    let (e, m) = msg(Gtin::parse("1234567"));
    assert!(matches!(e, Gs1Error::GtinLength { found: 7, .. }));
    assert_eq!(
        m,
        "GTIN 1234567: length is 7, expected 8, 12, 13 or 14 digits"
    );
}

#[test]
fn not_digit_position_is_one_based() {
    let (e, m) = msg(check("0950600013435X"));
    assert!(matches!(
        e,
        Gs1Error::NotDigit {
            position: 14,
            found: 'X',
            ..
        }
    ));
    assert_eq!(m, "GTIN 0950600013435X: character 14 'X' is not a digit");
}

#[test]
fn invalid_character_names_the_set() {
    let (e, m) = msg(check("(01)09506000134352(21)AB#C"));
    assert!(
        matches!(&e, Gs1Error::InvalidCharacter { position: 3, found: '#', ai: Some(ai), .. } if ai == "21")
    );
    assert_eq!(
        m,
        "AI (21) SERIAL AB#C: character 3 '#' is not in GS1 character set 82"
    );
}

#[test]
fn r_i2_check_digit_expected_and_found() {
    let (e, m) = msg(check("09506000134353"));
    assert!(matches!(
        e,
        Gs1Error::CheckDigit {
            found: '3',
            expected: '2',
            ..
        }
    ));
    assert_eq!(m, "GTIN 09506000134353: check digit is 3, expected 2");
    let (_, m) = msg(check("https://id.gs1.org/00/340123451111111112"));
    assert_eq!(
        m,
        "AI (00) SSCC 340123451111111112: check digit is 2, expected 1"
    );
    let (_, m) = msg(check("gln:4012345999991"));
    assert_eq!(m, "GLN 4012345999991: check digit is 1, expected 0");
}

#[test]
fn r_i4_uscc_check_character_expected_and_found() {
    let (e, m) = msg(Uscc::parse("91350203M0001QAY9B"));
    let Gs1Error::UsccCheckCharacter {
        found, expected, ..
    } = e
    else {
        panic!("{e:?}")
    };
    assert_eq!(found, 'B');
    assert_ne!(expected, 'B');
    assert_eq!(
        m,
        format!("USCC 91350203M0001QAY9B: check character is B, expected {expected}")
    );
}

#[test]
fn invalid_value() {
    let (e, m) = msg(check("https://id.gs1.org/8010/0628165987/8011/0876"));
    assert!(matches!(e, Gs1Error::InvalidValue { .. }));
    assert_eq!(
        m,
        "AI (8011) CPID SERIAL 0876: must not have a leading zero"
    );
}

#[test]
fn element_string_syntax() {
    let (e, m) = msg(parse_element_string("(01)09506000134352 (10)A"));
    // The space is part of the GTIN value, reported as a non-digit.
    assert!(matches!(e, Gs1Error::NotDigit { position: 15, .. }), "{m}");
    let (e, m) = msg(parse_element_string("01)09506000134352"));
    assert!(matches!(e, Gs1Error::ElementString { position: 1, .. }));
    assert_eq!(
        m,
        "element string 01)09506000134352: expected an AI in parentheses, e.g. (01) at character 1"
    );
}

#[test]
fn unknown_ai() {
    let (_, m) = msg(check("(01)09506000134352(89)X"));
    assert_eq!(m, "AI (89) is not a known GS1 Application Identifier");
}

#[test]
fn not_data_attribute() {
    let (_, m) = msg(DigitalLink::from_element_string(
        "(01)12312312312326(8200)http://example.com",
        None,
    ));
    assert_eq!(
        m,
        "AI (8200) is not allowed as a Digital Link data attribute"
    );
}

#[test]
fn duplicate_ai() {
    let (_, m) = msg(check("https://id.gs1.org/01/09506000134352?99=A&99=B"));
    assert_eq!(m, "AI (99) occurs twice: A and B");
}

#[test]
fn ai_belongs_in_path() {
    let (_, m) = msg(check("https://id.gs1.org/01/09506000134352?21=S"));
    assert_eq!(
        m,
        "AI (21) is a key qualifier and belongs in the Digital Link path, not the query string"
    );
}

#[test]
fn key_qualifier_sequence() {
    let (_, m) = msg(check("https://id.gs1.org/01/09506000134352/21/S/10/L"));
    assert_eq!(
        m,
        "Digital Link path (01)(21)(10) is not a valid key-qualifier sequence (allowed after (01): (22)(10)(21) or (235))"
    );
}

#[test]
fn no_primary_key() {
    let (_, m) = msg(check("(99)XYZ789"));
    assert_eq!(
        m,
        "(99)XYZ789: no GS1 Digital Link primary key (such as 01, 00, 414 or 417)"
    );
}

#[test]
fn missing_required_ai() {
    let (_, m) = msg(check("https://id.gs1.org/00/340123451111111111?10=L"));
    assert_eq!(
        m,
        "AI (10) requires one of (01), (02), (03), (8006), (8026)"
    );
}

#[test]
fn exclusive_ais() {
    let (_, m) = msg(check("(01)09506000134352(21)S(235)T"));
    assert_eq!(m, "AI (21) must not occur together with AI (235)");
}

#[test]
fn unsupported_scheme() {
    let (_, m) = msg(check("ftp://example.com/01/04150567890128/21/123"));
    assert_eq!(m, "ftp://example.com/01/04150567890128/21/123: scheme \"ftp\" is not allowed, expected http or https");
}

#[test]
fn invalid_uri() {
    let (_, m) = msg(check("https://example.com/01/04150567890128/ 21/"));
    assert_eq!(
        m,
        "https://example.com/01/04150567890128/ 21/: character 39 ' ' is not allowed in a URI (percent-encode it)"
    );
}

#[test]
fn trailing_slash() {
    let (_, m) = msg(check("https://id.gs1.org/00/340123451111111111/"));
    assert_eq!(
        m,
        "https://id.gs1.org/00/340123451111111111/: a Digital Link URI must not end with '/'"
    );
}

#[test]
fn not_an_ai() {
    let (e, m) = msg(check("https://id.gs1.org/sscc/340123451111111111"));
    assert!(matches!(e, Gs1Error::NotAnAi { position: 1, .. }));
    assert_eq!(m, "https://id.gs1.org/sscc/340123451111111111: path segment 1 \"sscc\" is not a GS1 Application Identifier");
}

#[test]
fn percent_encoding() {
    let (e, m) = msg(check("https://id.gs1.org/01/09506000134352/21/AB%G1"));
    assert!(matches!(e, Gs1Error::PercentEncoding { position: 3, .. }));
    assert_eq!(m, "AB%G1: bad percent-encoding at character 3");
}

#[test]
fn role_mismatch() {
    let (e, m) = msg(validate_epcis_dl(
        "https://id.gs1.org/414/4226350800008",
        Role::Instance,
    ));
    assert!(matches!(
        e,
        Gs1Error::RoleMismatch {
            role: Role::Instance,
            ..
        }
    ));
    assert!(m.starts_with("https://id.gs1.org/414/4226350800008: not a constrained Digital Link for instance-level identifiers: path (414) is not one of /00, /01/21"), "{m}");
}

#[test]
fn invalid_epc_urn() {
    let (_, m) = msg(EpcUrn::parse("urn:epc:id:sgtin:0614141.10734.1"));
    assert_eq!(
        m,
        "urn:epc:id:sgtin:0614141.10734.1: company prefix and indicator and item reference have 12 digits together, expected 13"
    );
}

#[test]
fn company_prefix_length() {
    let dl = DigitalLink::parse("https://id.gs1.org/00/340123451111111111").expect("valid");
    let (_, m) = msg(EpcUrn::from_digital_link(&dl, 13));
    assert_eq!(
        m,
        "GS1 company prefix length 13 is out of range, expected 6 to 12"
    );
}

#[test]
fn no_epc_equivalent() {
    let dl = DigitalLink::parse("https://id.gs1.org/8004/0180451111ABC987").expect("valid");
    let (_, m) = msg(EpcUrn::from_digital_link(&dl, 7));
    assert_eq!(
        m,
        "https://id.gs1.org/8004/0180451111ABC987: no EPC URN equivalent: supported paths are /01/21, /01/10, /00, /414[/254] and /417"
    );
}

#[test]
fn unrecognised() {
    let (e, m) = msg(check("hello\nworld"));
    assert!(matches!(e, Gs1Error::Unrecognised { .. }));
    assert!(m.starts_with("hello\\nworld: expected a GTIN"), "{m}");
}
