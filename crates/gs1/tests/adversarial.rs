//! Adversarial input for every public parser: strings built from the fragments the
//! parsers look at by byte position (scheme, AIs, dots, `%` escapes) mixed with
//! multi-byte characters, control characters and long runs. Nothing may panic, and what
//! parses must re-render to itself. Rule ids: R-I2, R-I4. More cases:
//! `TRACECHAIN_FUZZ_CASES=20000 cargo test -p tracechain-gs1 --test adversarial`.

use proptest::prelude::*;
use tracechain_gs1::{
    check, parse_element_string, uscc_check_character, validate_epcis_dl, DigitalLink, EpcUrn,
    Gtin, ParseOptions, Role, Uscc, Validation,
};

const FRAGMENTS: &[&str] = &[
    "https://",
    "http://",
    "HTTPS://",
    "id.gs1.org",
    "example.com",
    "/",
    "//",
    "?",
    "&",
    "=",
    "#",
    "%",
    "%2F",
    "%e9",
    "%C3%A9",
    "%",
    "+",
    "01",
    "00",
    "10",
    "21",
    "22",
    "235",
    "253",
    "254",
    "414",
    "417",
    "8003",
    "8006",
    "8010",
    "8011",
    "99",
    "3103",
    "17",
    "09506000134352",
    "9506000134352",
    "340123451111111111",
    "4012345000115",
    "ABC",
    "urn:epc:id:sgtin:",
    "urn:epc:id:sscc:",
    "urn:epc:id:sgln:",
    "urn:epc:id:pgln:",
    "urn:epc:class:lgtin:",
    "0614141",
    ".",
    "107346",
    "(",
    ")",
    "(01)",
    "(10)",
    "(21)",
    "gtin:",
    "gln:",
    "pgln:",
    "sscc:",
    "uscc:",
    "91350200MA2YJ1XR9",
    "é",
    "中",
    "𝄞",
    "\u{0}",
    "\u{7f}",
    " ",
    "0",
    "9",
];

fn hostile() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::collection::vec(proptest::sample::select(FRAGMENTS), 0..12)
            .prop_map(|v| v.concat()),
        any::<String>(),
    ]
}

fn cases() -> u32 {
    std::env::var("TRACECHAIN_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn r_i2_parsers_never_panic_on_hostile_text(s in hostile()) {
        let _ = check(&s);
        let _ = parse_element_string(&s);
        let _ = DigitalLink::from_element_string(&s, None);
        let _ = DigitalLink::from_element_string("(01)09506000134352", Some(&s));
        let _ = Gtin::parse(&s);
        let _ = Uscc::parse(&s);
        let _ = uscc_check_character(&s);
        for role in [Role::Instance, Role::Class, Role::LocationParty] {
            let _ = validate_epcis_dl(&s, role);
        }
        let lax = ParseOptions { validation: Validation::Pattern, permit_unknown_ais: true };
        if let Ok(dl) = DigitalLink::parse_with(&s, &lax) {
            prop_assert_eq!(DigitalLink::parse_with(dl.as_str(), &lax), Ok(dl.clone()));
            for cp in 0..14 {
                if let Ok(urn) = EpcUrn::from_digital_link(&dl, cp) {
                    prop_assert_eq!(EpcUrn::parse(urn.as_str()), Ok(urn.clone()));
                }
            }
        }
        if let Ok(urn) = EpcUrn::parse(&s) {
            let dl = urn.to_digital_link();
            prop_assert_eq!(DigitalLink::parse(dl.as_str()), Ok(dl.clone()));
            prop_assert_eq!(EpcUrn::from_digital_link(&dl, urn.company_prefix_len()), Ok(urn));
        }
    }
}
