//! Identifier checks of EPCIS events, done with `tracechain-gs1` (ADR 0034).
//!
//! * EPC URNs of the schemes `tracechain-gs1` parses (`sgtin`, `lgtin`, `sscc`, `sgln`,
//!   `pgln`) are parsed by [`tracechain_gs1::EpcUrn::parse`]; the other Tag Data Standard
//!   schemes (`grai`, `giai`, `gsrn`, `gdti`, …, `idpat:`) are turned into their Digital Link
//!   by the hash normal form ([`crate::idnorm::epc_urn_to_dl`]), which refuses a malformed URN.
//!   Either way the resulting Digital Link must be a constrained CBV 2.0 form of the role,
//!   checked by [`tracechain_gs1::validate_epcis_dl_with`].
//! * http(s) URIs whose path carries a GS1 primary-key AI claim to be Digital Links and must
//!   be the constrained form of their role ([`tracechain_gs1::validate_epcis_dl_with`]).
//! * Other absolute URIs are private identifiers and pass (EPCIS 2.0 allows them).
//!
//! Validation is pattern level ([`PATTERN_LEVEL`]: the character set and length of each
//! component, what the CBV 2.0 regular expressions check; no linter of the GS1 syntax
//! dictionary runs, so neither check digits nor dates, piece-of-total, company prefix or code
//! lists are verified), as conforming repositories do (ADR 0031, 0034, 0038). Beyond those
//! patterns the gs1 parser refuses what [`tracechain_gs1::validate_epcis_dl_with`] lists, user
//! information before the host among it. The check digit is reported by the mapping
//! ([`crate::map`]) and enforced by the contracts where a key becomes a trace code (R-I2).

use tracechain_gs1::{validate_epcis_dl_with, EpcUrn, ParseOptions, Validation};

pub use tracechain_gs1::Role;

/// Options of every identifier check in EPCIS validation: the CBV 2.0 patterns (character
/// set and length of each component), no linters (ADR 0031, 0034, 0038).
pub const PATTERN_LEVEL: ParseOptions = ParseOptions {
    validation: Validation::Pattern,
    permit_unknown_ais: false,
};

/// EPC URN prefixes that [`EpcUrn::parse`] reads.
const GS1_URN_SCHEMES: &[&str] = &[
    "urn:epc:id:sgtin:",
    "urn:epc:class:lgtin:",
    "urn:epc:id:sscc:",
    "urn:epc:id:sgln:",
    "urn:epc:id:pgln:",
];

/// Why an identifier is not acceptable in its role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdProblem {
    /// An `urn:epc:` value that is not a valid EPC URN, or not one of its role; the reason.
    BadEpcUrn(String),
    /// A Digital Link URI that is not a constrained form of its role; the reason.
    BadDigitalLink(String),
    /// Not a URI at all.
    NotUri,
}

/// Whether `s` is an absolute URI: `scheme ":" rest`, no whitespace.
pub fn is_uri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let mut sb = scheme.bytes();
    sb.next().is_some_and(|c| c.is_ascii_alphabetic())
        && sb.all(|c| c.is_ascii_alphanumeric() || b"+-.".contains(&c))
        && !rest.is_empty()
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Whether an http(s) URI (scheme in any case, as `tracechain-gs1` reads it) has a path
/// segment that is a GS1 primary-key AI (numeric, as `tracechain_gs1::is_primary_key` knows
/// them), i.e. claims to be a GS1 Digital Link.
pub fn claims_gs1_key(uri: &str) -> bool {
    let Some((scheme, rest)) = uri.split_once("://") else {
        return false;
    };
    if !(scheme.eq_ignore_ascii_case("https") || scheme.eq_ignore_ascii_case("http")) {
        return false;
    }
    let Some((_, path)) = rest.split_once('/') else {
        return false;
    };
    let path = path.split(['?', '#']).next().unwrap_or_default();
    path.split('/').any(tracechain_gs1::is_primary_key)
}

/// The Digital Link of an EPC URN (through `tracechain-gs1` for its schemes, the hash
/// normal form for the others).
fn urn_to_dl(urn: &str) -> Result<String, String> {
    if GS1_URN_SCHEMES.iter().any(|p| urn.starts_with(p)) {
        return EpcUrn::parse(urn)
            .map(|u| u.to_digital_link().as_str().to_string())
            .map_err(|e| e.to_string());
    }
    crate::idnorm::epc_urn_to_dl(urn)
        .ok_or_else(|| "not a valid EPC URN of the Tag Data Standard".to_string())
}

/// Check an identifier in its role: EPC URNs must parse and their Digital Link must fit the
/// role; URIs that carry a GS1 key path must be the constrained Digital Link form of the role;
/// other absolute URIs are private identifiers and pass. Pattern level ([`PATTERN_LEVEL`]).
pub fn check_identifier(value: &str, role: Role) -> Result<(), IdProblem> {
    if !is_uri(value) {
        return Err(IdProblem::NotUri);
    }
    if value.starts_with("urn:epc:") {
        let dl = urn_to_dl(value).map_err(IdProblem::BadEpcUrn)?;
        return validate_epcis_dl_with(&dl, role, &PATTERN_LEVEL)
            .map(|_| ())
            .map_err(|e| IdProblem::BadEpcUrn(e.to_string()));
    }
    if claims_gs1_key(value) {
        return validate_epcis_dl_with(value, role, &PATTERN_LEVEL)
            .map(|_| ())
            .map_err(|e| IdProblem::BadDigitalLink(e.to_string()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epcis_id_roles_through_gs1() {
        let ok = |v: &str, r: Role| check_identifier(v, r).is_ok();
        assert!(ok("urn:epc:id:sgtin:0614141.107346.2017", Role::Instance));
        assert!(!ok("urn:epc:id:sgtin:0614141.107346.2017", Role::Class));
        assert!(ok("urn:epc:class:lgtin:4012345.012345.998877", Role::Class));
        assert!(ok("urn:epc:idpat:sgtin:4012345.012345.*", Role::Class));
        assert!(ok("urn:epc:id:sgln:4012345.00011.987", Role::LocationParty));
        assert!(!ok("urn:epc:id:sgln:4012345.00011.987", Role::Instance));
        assert!(ok("urn:epc:id:giai:4000001.111", Role::Instance));
        assert!(ok("urn:epc:id:grai:4012345.00022.33", Role::Instance));
        assert!(matches!(
            check_identifier("urn:epc:id:sgtin:0614141.10734.2017", Role::Instance),
            Err(IdProblem::BadEpcUrn(_))
        ));
        // A wrong check digit passes at pattern level (ADR 0031).
        assert!(ok(
            "https://id.gs1.org/00/340123451111111112",
            Role::Instance
        ));
        assert!(matches!(
            check_identifier("https://id.gs1.org/01/09506000134352", Role::Instance),
            Err(IdProblem::BadDigitalLink(_))
        ));
        assert!(ok(
            "http://transaction.acme.com/po/12345678",
            Role::Instance
        ));
        assert_eq!(
            check_identifier("not a uri", Role::Instance),
            Err(IdProblem::NotUri)
        );
    }

    /// gs1 reads the scheme in any case, so an upper-case scheme claims a GS1 key too and
    /// cannot skip the EPCIS-ID role check.
    #[test]
    fn epcis_id_scheme_case_does_not_skip_the_check() {
        for scheme in ["HTTPS", "Https", "HTTP", "hTtP"] {
            let class_only = format!("{scheme}://id.gs1.org/01/09506000134352");
            assert!(claims_gs1_key(&class_only), "{class_only}");
            assert!(
                matches!(
                    check_identifier(&class_only, Role::Instance),
                    Err(IdProblem::BadDigitalLink(_))
                ),
                "{class_only}"
            );
            let instance = format!("{scheme}://id.gs1.org/01/09506000134352/21/A");
            assert_eq!(check_identifier(&instance, Role::Instance), Ok(()));
        }
        assert!(!claims_gs1_key("ftp://id.gs1.org/01/09506000134352"));
        assert!(!claims_gs1_key("https:/id.gs1.org/01/09506000134352"));
    }
}
