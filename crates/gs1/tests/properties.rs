//! Property tests: parsers never panic; generated keys round-trip through
//! Digital Link and EPC URN; every single-character substitution of a valid
//! key is caught by its check digit/character.

use proptest::prelude::*;

/// A key length and a validity test for that key type.
type KeyCheck = (usize, fn(&str) -> bool);
use tracechain_gs1::{
    check, mod10_check_digit, parse_element_string, uscc_check_character, validate_epcis_dl,
    AiElement, Batch, DigitalLink, EpcUrn, Gln, Gtin, Role, Serial, Sscc, Uscc, USCC_CHARSET,
};

const CSET82_RE: &str = "[!\"%&'()*+,\\-./0-9:;<=>?A-Z_a-z]{1,20}";

fn uri_like() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ -~]{0,60}",
        "https?://[a-z.]{0,8}(/[0-9a-z%]{0,5}){0,3}/(00|01|10|21|22|235|253|254|414|417|8003|8006|8010|8011|99)/[ -~]{0,22}(/[0-9]{2,4}/[ -~]{0,12}){0,2}(\\?[ -~]{0,30})?(#.*)?",
        "(\\([0-9]{1,5}\\)[ -~]{0,20}){0,4}",
        "urn:epc:(id|class):(sgtin|sscc|sgln|lgtin|pgln|grai):[0-9.%a-zA-Z/]{0,30}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parsers_never_panic(s in uri_like()) {
        let _ = check(&s);
        let _ = DigitalLink::parse(&s);
        let _ = DigitalLink::from_element_string(&s, None);
        let _ = DigitalLink::from_element_string("(01)09506000134352", Some(&s));
        let _ = parse_element_string(&s);
        let _ = EpcUrn::parse(&s);
        for role in [Role::Instance, Role::Class, Role::LocationParty] {
            let _ = validate_epcis_dl(&s, role);
        }
        let _ = (Gtin::parse(&s), Sscc::parse(&s), Gln::parse(&s), Uscc::parse(&s));
        let _ = (Batch::parse(&s), Serial::parse(&s));
        if let Ok(dl) = DigitalLink::parse(&s) {
            // What parses re-renders to something that parses to the same link.
            let again = DigitalLink::parse(dl.as_str());
            prop_assert_eq!(again.as_ref(), Ok(&dl));
            let c = dl.canonical();
            prop_assert_eq!(DigitalLink::parse(c.as_str()), Ok(c.clone()));
            prop_assert_eq!(c.canonical(), c);
        }
    }

    #[test]
    fn r_i2_gtin_round_trips_through_dl_and_epc(
        body in "[0-9]{13}",
        serial in CSET82_RE,
        lot in CSET82_RE,
        gcp in 6usize..=12,
    ) {
        let gtin = Gtin::from_body(&body).expect("13 digits");
        prop_assert_eq!(mod10_check_digit(&body).map(|c| c.to_string()), gtin.as_str().get(13..).map(str::to_string));
        for (ai, value) in [("21", &serial), ("10", &lot)] {
            let dl = DigitalLink::from_elements(&[AiElement::new("01", gtin.as_str()), AiElement::new(ai, value.as_str())], None)
                .expect("valid elements");
            let parsed = DigitalLink::parse(dl.as_str()).expect("generated DL parses");
            prop_assert_eq!(&parsed, &dl);
            prop_assert_eq!(parsed.get("01"), Some(gtin.as_str()));
            prop_assert_eq!(parsed.get(ai), Some(value.as_str()));
            let urn = EpcUrn::from_digital_link(&parsed, gcp).expect("sgtin/lgtin");
            let urn2 = EpcUrn::parse(urn.as_str()).expect("generated URN parses");
            prop_assert_eq!(&urn2, &urn);
            prop_assert_eq!(urn2.to_digital_link(), dl.clone());
            let n = check(urn.as_str()).expect("check accepts URN");
            prop_assert_eq!(n.gtin.as_ref(), Some(&gtin));
            prop_assert_eq!(n.digital_link.as_ref(), Some(&dl));
        }
    }

    #[test]
    fn r_i2_sscc_and_gln_round_trip_through_epc(body17 in "[0-9]{17}", body12 in "[0-9]{12}", gcp in 6usize..=12) {
        let sscc = Sscc::from_body(&body17).expect("17 digits");
        let dl = DigitalLink::from_elements(&[AiElement::new("00", sscc.as_str())], None).expect("valid");
        let urn = EpcUrn::from_digital_link(&dl, gcp).expect("sscc");
        prop_assert_eq!(EpcUrn::parse(urn.as_str()).map(|u| u.to_digital_link()), Ok(dl));
        let gln = Gln::from_body(&body12).expect("12 digits");
        let dl = DigitalLink::from_elements(&[AiElement::new("414", gln.as_str())], None).expect("valid");
        let urn = EpcUrn::from_digital_link(&dl, gcp).expect("sgln");
        prop_assert_eq!(EpcUrn::parse(urn.as_str()).map(|u| u.to_digital_link()), Ok(dl));
    }

    #[test]
    fn r_i2_any_single_digit_change_is_detected(
        body in "[0-9]{17}",
        pos in 0usize..18,
        delta in 1u32..10,
    ) {
        let keys: [KeyCheck; 3] = [
            (14, |s| Gtin::parse(s).is_ok()),
            (18, |s| Sscc::parse(s).is_ok()),
            (13, |s| Gln::parse(s).is_ok()),
        ];
        for (len, parse) in keys {
            let b = body.get(..len - 1).expect("long enough");
            let valid = format!("{b}{}", mod10_check_digit(b).expect("digits"));
            prop_assert!(parse(&valid));
            let p = pos % len;
            let mutated: String = valid.chars().enumerate().map(|(i, c)| {
                if i == p { char::from_digit((c.to_digit(10).unwrap_or(0) + delta) % 10, 10).unwrap_or('0') } else { c }
            }).collect();
            prop_assert!(!parse(&mutated), "{} accepted after changing position {}", mutated, p + 1);
        }
    }

    #[test]
    fn r_i4_any_single_uscc_character_change_is_detected(
        head in "[1-9A-HJ-NPQRTUWXY][0-9A-HJ-NPQRTUWXY][0-9]{6}[0-9A-HJ-NPQRTUWXY]{9}",
        pos in 0usize..18,
        shift in 1usize..31,
    ) {
        let code = format!("{head}{}", uscc_check_character(&head).expect("17 chars"));
        prop_assert!(Uscc::parse(&code).is_ok());
        let set: Vec<char> = USCC_CHARSET.chars().collect();
        let mutated: String = code.chars().enumerate().map(|(i, c)| {
            if i == pos {
                let v = set.iter().position(|x| *x == c).unwrap_or(0);
                set.get((v + shift) % set.len()).copied().unwrap_or('0')
            } else { c }
        }).collect();
        prop_assert!(Uscc::parse(&mutated).is_err(), "{} accepted", mutated);
    }
}
