//! The rules the GS1 Barcode Syntax Dictionary adds to an AI's format (ADR
//! 0038): one test per linter, each with a valid and an invalid value, run
//! through an AI the dictionary applies it to; and the `req` / `ex`
//! association rules on element strings.

use tracechain_gs1::{
    parse_element_string, validate_ai_value, Gs1Error, Linter, ParseOptions, Validation,
    MAX_INPUT_LEN,
};

#[track_caller]
fn valid(ai: &str, value: &str) {
    if let Err(e) = validate_ai_value(ai, value) {
        panic!("({ai}){value} should be valid: {e}");
    }
}

/// `(ai)value` must be refused by `linter` and nothing else: characters and
/// length are right, and the error names the linter (`csum` refuses with
/// `CheckDigit`).
#[track_caller]
fn invalid(ai: &str, value: &str, linter: Linter) {
    match validate_ai_value(ai, value) {
        Ok(()) => panic!("({ai}){value} should be refused by {}", linter.name()),
        Err(Gs1Error::CheckDigit { .. }) if linter == Linter::Csum => {}
        Err(Gs1Error::InvalidValue {
            linter: Some(by), ..
        }) if by == linter => {}
        Err(e) => panic!(
            "({ai}){value}: expected a refusal by {}, got {e:?}",
            linter.name()
        ),
    }
}

#[test]
fn linter_couponcode() {
    // GCP length 0 (6 digits), offer code, save value, 1st purchase requirement.
    valid("8110", "061414112345615110123");
    // With expiration date (3) and serial number (5).
    valid("8110", "061414112345615110123325123150123456");
    invalid("8110", "761414112345615110123", Linter::CouponCode); // GCP length indicator 7
    invalid("8110", "06141411234561511012", Linter::CouponCode); // family code truncated
    invalid("8110", "0614141123456151101233251331", Linter::CouponCode); // expiration month 13
    invalid("8110", "0614141123456151101239", Linter::CouponCode); // save value code missing
}

#[test]
fn linter_couponposoffer() {
    valid("8112", "006141411234560123456");
    invalid("8112", "206141411234560123456", Linter::CouponPosOffer); // format code 2
    invalid("8112", "00614141123456012345", Linter::CouponPosOffer); // serial truncated
    invalid("8112", "0061414112345601234567", Linter::CouponPosOffer); // excess data
}

#[test]
fn linter_csum() {
    valid("01", "09506000134352");
    invalid("01", "09506000134353", Linter::Csum);
    invalid("414", "4280000000003", Linter::Csum);
}

#[test]
fn linter_csumalpha() {
    valid("8013", "1987654Ad4X4bL5ttr2310c2K");
    invalid("8013", "1987654Ad4X4bL5ttr2310c2L", Linter::CsumAlpha);
    // The check pair is a check character: switched off with check digits.
    let lax = ParseOptions {
        validation: Validation::Pattern,
        ..ParseOptions::default()
    };
    assert!(tracechain_gs1::DigitalLink::parse_with(
        "https://id.gs1.org/8013/1987654Ad4X4bL5ttr2310c2L",
        &lax
    )
    .is_ok());
}

#[test]
fn linter_gcppos1() {
    valid("8004", "0180451111ABC987");
    invalid("8004", "A180451111", Linter::GcpPos1);
    invalid("8004", "018", Linter::GcpPos1);
}

#[test]
fn linter_gcppos2() {
    // On N14 keys the prefix is always digits; the linter itself:
    assert_eq!(Linter::GcpPos2.check("09506"), Ok(()));
    assert!(Linter::GcpPos2.check("0950").is_err());
    assert!(Linter::GcpPos2.check("0A506").is_err());
    valid("8006", "095060001343520102");
}

#[test]
fn linter_hasnondigit() {
    assert_eq!(Linter::HasNonDigit.check("1234A"), Ok(()));
    assert!(Linter::HasNonDigit.check("12345").is_err());
    valid("8014", "1987654Ad4X4bL5ttr2310c2K");
    // All digits with a correct check pair (8013, which has no hasnondigit,
    // accepts it): only hasnondigit refuses it in 8014.
    valid("8013", "0000000000001000000000074");
    invalid("8014", "0000000000001000000000074", Linter::HasNonDigit);
}

#[test]
fn linter_hh() {
    valid("8008", "25010123");
    invalid("8008", "25010124", Linter::Hh);
}

#[test]
fn linter_hhmi() {
    valid("7003", "2501312359");
    invalid("7003", "2501312360", Linter::HhMi);
    invalid("7003", "2501312459", Linter::HhMi);
}

#[test]
fn linter_hyphen() {
    valid("4330", "001234");
    valid("4330", "001234-");
    invalid("4330", "001234+", Linter::Hyphen);
}

#[test]
fn linter_iban() {
    valid("8007", "GB82WEST12345698765432");
    invalid("8007", "GB82WEST12345698765433", Linter::Iban);
    invalid("8007", "XX82WEST12345698765432", Linter::Iban);
}

#[test]
fn linter_importeridx() {
    valid("7040", "1AB_");
    valid("7040", "1ABz");
    invalid("7040", "1AB!", Linter::ImporterIdx);
}

#[test]
fn linter_iso3166() {
    valid("422", "840");
    invalid("422", "999", Linter::Iso3166);
    invalid("422", "000", Linter::Iso3166);
}

#[test]
fn linter_iso3166999() {
    valid("7030", "999ABC");
    valid("7030", "156ABC");
    invalid("7030", "998ABC", Linter::Iso3166With999);
}

#[test]
fn linter_iso3166alpha2() {
    valid("4307", "CN");
    invalid("4307", "XX", Linter::Iso3166Alpha2);
    invalid("4307", "cn", Linter::Iso3166Alpha2);
}

#[test]
fn linter_iso4217() {
    valid("3910", "978123");
    valid("3930", "1561999");
    invalid("3910", "000123", Linter::Iso4217);
}

#[test]
fn linter_iso5218() {
    valid("7252", "2");
    valid("7252", "9");
    invalid("7252", "3", Linter::Iso5218);
}

#[test]
fn linter_latitude() {
    valid("4309", "18000000003600000000");
    invalid("4309", "18000000013600000000", Linter::Latitude);
}

#[test]
fn linter_longitude() {
    valid("4309", "00000000000000000000");
    invalid("4309", "00000000003600000001", Linter::Longitude);
}

#[test]
fn linter_mediatype() {
    valid("7241", "01");
    valid("7241", "80");
    invalid("7241", "11", Linter::MediaType);
    invalid("7241", "00", Linter::MediaType);
}

#[test]
fn linter_mi() {
    valid("8008", "2501012359");
    invalid("8008", "2501012360", Linter::Mi);
}

#[test]
fn linter_nonzero() {
    valid("8001", "00010000100100");
    invalid("8001", "00000000100100", Linter::NonZero);
    invalid("8001", "00010000000100", Linter::NonZero);
    invalid("8001", "00010000100000", Linter::NonZero);
}

#[test]
fn linter_nozeroprefix() {
    valid("8011", "123");
    invalid("8011", "0123", Linter::NoZeroPrefix);
}

#[test]
fn linter_packagetype() {
    valid("7041", "BX");
    valid("7041", "1A");
    invalid("7041", "ZZZZ", Linter::PackageType);
}

#[test]
fn linter_pcenc() {
    valid("4300", "ACME%20Co");
    invalid("4300", "ACME%2", Linter::PcEnc);
    invalid("4300", "ACME%zz", Linter::PcEnc);
}

#[test]
fn linter_pieceoftotal() {
    valid("8006", "095060001343520102");
    invalid("8006", "095060001343520301", Linter::PieceOfTotal);
    invalid("8006", "095060001343520001", Linter::PieceOfTotal);
    invalid("8006", "095060001343520100", Linter::PieceOfTotal);
}

#[test]
fn linter_posinseqslash() {
    valid("7258", "1/3");
    valid("7258", "3/3");
    invalid("7258", "4/3", Linter::PosInSeqSlash);
    invalid("7258", "0/3", Linter::PosInSeqSlash);
    invalid("7258", "1-3", Linter::PosInSeqSlash);
}

#[test]
fn linter_ss() {
    valid("8008", "250101235959");
    invalid("8008", "250101235960", Linter::Ss);
}

#[test]
fn linter_winding() {
    valid("8001", "00010000100190");
    invalid("8001", "00010000100120", Linter::Winding);
}

#[test]
fn linter_yesno() {
    valid("4321", "1");
    valid("4321", "0");
    invalid("4321", "2", Linter::YesNo);
}

#[test]
fn linter_yymmd0() {
    valid("11", "250100");
    valid("17", "240229");
    invalid("17", "250229", Linter::YyMmD0);
    invalid("11", "251301", Linter::YyMmD0);
    invalid("11", "250431", Linter::YyMmD0);
}

#[test]
fn linter_yymmdd() {
    valid("7006", "250131");
    invalid("7006", "250100", Linter::YyMmDd);
}

#[test]
fn linter_yyyymmdd() {
    valid("7250", "20000229");
    invalid("7250", "19000229", Linter::YyyyMmDd);
    invalid("7250", "20250000", Linter::YyyyMmDd);
}

#[test]
fn linter_zero() {
    valid("8003", "03870585000552987");
    invalid("8003", "13870585000552987", Linter::Zero);
}

#[test]
fn optional_components_may_be_absent_but_not_partial() {
    valid("253", "4602443000331");
    valid("253", "4602443000331XYZ");
    valid("423", "156840");
    assert!(matches!(
        validate_ai_value("423", "15684"),
        Err(Gs1Error::Length {
            min: 3,
            max: 15,
            ..
        })
    ));
    valid("8030", "abc-_=");
    valid("8030", "abcd==");
    assert!(validate_ai_value("8030", "abc-_==").is_err());
    assert!(validate_ai_value("8030", "ab=c").is_err());
}

#[test]
fn price_family_392n_is_known_and_requires_its_associations() {
    let els = parse_element_string("(01)09506000134352(3103)000500(3922)1999").unwrap();
    assert_eq!(els.len(), 3);
    let e = parse_element_string("(01)09506000134352(3922)1999").unwrap_err();
    assert!(
        matches!(&e, Gs1Error::MissingRequiredAi { ai, requires }
            if ai == "3922" && requires.contains("(31nn)")),
        "{e}"
    );
}

#[test]
fn req_with_all_of_a_group() {
    // 7004 requires 01 together with 10.
    assert!(parse_element_string("(01)09506000134352(10)L1(7004)12").is_ok());
    let e = parse_element_string("(01)09506000134352(7004)12").unwrap_err();
    assert!(
        matches!(&e, Gs1Error::MissingRequiredAi { requires, .. } if requires == "(01) with (10)"),
        "{e}"
    );
}

#[test]
fn ex_refuses_mutually_exclusive_ais_but_not_an_ai_itself() {
    let e = parse_element_string("(01)09506000134352(3103)000500(3102)000050").unwrap_err();
    assert!(
        matches!(&e, Gs1Error::ExclusiveAis { ai, other } if ai == "3103" && other == "3102"),
        "{e}"
    );
    let e = parse_element_string("(01)09506000134352(255)0811625999996").unwrap_err();
    assert!(matches!(e, Gs1Error::ExclusiveAis { .. }), "{e}");
    // 3103 matches its own `ex=310n`.
    assert!(parse_element_string("(01)09506000134352(3103)000500").is_ok());
}

#[test]
fn element_string_size_limit() {
    let long = format!("(01)09506000134352(99){}", "A".repeat(MAX_INPUT_LEN));
    assert!(matches!(
        parse_element_string(&long),
        Err(Gs1Error::TooLong { max, .. }) if max == MAX_INPUT_LEN
    ));
}

#[test]
fn pattern_level_runs_no_linter() {
    let pattern = ParseOptions {
        validation: Validation::Pattern,
        ..ParseOptions::default()
    };
    // Each refused at full validation by a linter other than csum/csumalpha.
    for es in [
        "(01)09506000134352(17)251399",
        "(8006)095060001343520000(21)A",
        "(8006)095060001343520301(21)A",
        "(8004)ABCD",
        "(401)ABC",
        "(01)09506000134352(422)999",
    ] {
        assert!(
            matches!(parse_element_string(es), Err(Gs1Error::InvalidValue { .. })),
            "{es}"
        );
        assert!(
            tracechain_gs1::parse_element_string_with(es, &pattern).is_ok(),
            "{es}"
        );
    }
    // Characters and length are still checked.
    assert!(tracechain_gs1::parse_element_string_with("(17)2512", &pattern).is_err());
    assert!(
        tracechain_gs1::parse_element_string_with("(01)09506000134352(422)9A9", &pattern).is_err()
    );
}
