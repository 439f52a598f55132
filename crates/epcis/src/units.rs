//! Units of measure: UN/ECE Recommendation 20 common codes.
//!
//! The full Recommendation 20 list has about two thousand codes; tracechain checks the
//! code's form (2–3 characters, upper-case letters and digits, as every Rec 20 common
//! code is) and knows the codes EPCIS quantities and sensor reports use most, so that
//! a lower-case or free-text unit (`kg`, `Kilogram`) is rejected. A code of the right
//! form that is not in [`COMMON_REC20_CODES`] is accepted (ADR 0032).

/// Rec 20 codes used in the EPCIS / CBV examples and common in trade and cold chains.
pub const COMMON_REC20_CODES: &[&str] = &[
    "KGM", "GRM", "MGM", "TNE", "LTR", "MLT", "MTQ", "MTR", "CMT", "MMT", "KMT", "MTK", "H87",
    "EA", "C62", "XBX", "XCT", "XPK", "CEL", "FAH", "KEL", "A93", "C35", "P1", "LUX", "KMH", "MTS",
    "HUR", "MIN", "SEC", "PAL", "BAR", "KPA", "GL", "GQ", "D70", "NEW", "WTT", "KWH", "VLT", "AMP",
    "HTZ", "DD", "RH", "1", "2N",
];

/// Whether `code` has the form of a UN/ECE Recommendation 20 common code.
pub fn is_rec20_code(code: &str) -> bool {
    (1..=3).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        && (code.len() >= 2 || COMMON_REC20_CODES.contains(&code))
}
