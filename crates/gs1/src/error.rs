//! The one error type of the crate.
//!
//! Every rejection names what was being checked (`what`, and the Application
//! Identifier in `ai` where there is one), the offending value, and the exact
//! reason: the 1-based character `position` of a bad character, the check
//! digit/character that was `found` and the one that was `expected`, or the
//! allowed length range. `Display` is always a single line.

use crate::dl::Role;

/// Why a GS1 key, element string, Digital Link URI, EPC URN or unified social
/// credit code was rejected.
///
/// Positions are **1-based character positions** within the value named in
/// the variant (for [`Gs1Error::InvalidUri`] and [`Gs1Error::PercentEncoding`]
/// within the URI or segment as given). Values shown in errors are made
/// printable (control characters escaped) and cut to 80 characters, so a
/// message is always one line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Gs1Error {
    /// The input (or a required part of it) is empty.
    #[error("{what}: empty value")]
    Empty {
        /// What was expected, e.g. `GTIN` or `AI (10) batch/lot`.
        what: String,
    },

    /// A value has a length outside the allowed range.
    #[error("{what} {value}: length is {found}, expected {}", range(*.min, *.max))]
    Length {
        /// What was checked.
        what: String,
        /// The Application Identifier, when the value belongs to one.
        ai: Option<String>,
        /// The offending value.
        value: String,
        /// Its length in characters.
        found: usize,
        /// Minimum allowed length.
        min: usize,
        /// Maximum allowed length.
        max: usize,
    },

    /// A GTIN that is not 8, 12, 13 or 14 digits long.
    #[error("GTIN {value}: length is {found}, expected 8, 12, 13 or 14 digits")]
    GtinLength {
        /// The offending value.
        value: String,
        /// Its length in characters.
        found: usize,
    },

    /// A character that must be a digit is not.
    #[error("{what} {value}: character {position} {found:?} is not a digit")]
    NotDigit {
        /// What was checked.
        what: String,
        /// The Application Identifier, when the value belongs to one.
        ai: Option<String>,
        /// The offending value.
        value: String,
        /// 1-based position of the offending character.
        position: usize,
        /// The offending character.
        found: char,
    },

    /// A character outside the allowed character set.
    #[error("{what} {value}: character {position} {found:?} is not in {charset}")]
    InvalidCharacter {
        /// What was checked.
        what: String,
        /// The Application Identifier, when the value belongs to one.
        ai: Option<String>,
        /// The offending value.
        value: String,
        /// 1-based position of the offending character.
        position: usize,
        /// The offending character.
        found: char,
        /// Name of the allowed character set.
        charset: &'static str,
    },

    /// A GS1 mod-10 check digit does not match.
    #[error("{what} {value}: check digit is {found}, expected {expected}")]
    CheckDigit {
        /// What was checked, e.g. `GTIN`, `SSCC`, `GLN` or `AI (253) GDTI`.
        what: String,
        /// The Application Identifier, when the value belongs to one.
        ai: Option<String>,
        /// The offending value.
        value: String,
        /// The check digit found (last digit of the key).
        found: char,
        /// The check digit computed from the other digits.
        expected: char,
    },

    /// A unified social credit code (GB 32100-2015) whose check character does not match.
    #[error("USCC {value}: check character is {found}, expected {expected}")]
    UsccCheckCharacter {
        /// The offending code.
        value: String,
        /// The check character found (18th character).
        found: char,
        /// The check character computed from the first 17.
        expected: char,
    },

    /// A value that has the right characters and length but breaks a rule of its format.
    #[error("{what} {value}: {reason}")]
    InvalidValue {
        /// What was checked.
        what: String,
        /// The Application Identifier, when the value belongs to one.
        ai: Option<String>,
        /// The offending value.
        value: String,
        /// The broken rule.
        reason: &'static str,
        /// The dictionary linter that refused the value, if one did.
        linter: Option<crate::Linter>,
    },

    /// Input longer than a parser accepts (see [`crate::MAX_INPUT_LEN`]).
    #[error("{what}: length is {found} bytes, more than the {max} accepted")]
    TooLong {
        /// What was being parsed, e.g. `Digital Link URI`.
        what: &'static str,
        /// Its length in bytes.
        found: usize,
        /// The limit.
        max: usize,
    },

    /// A bracketed element string that is not well formed.
    #[error("element string {input}: {reason} at character {position}")]
    ElementString {
        /// The element string.
        input: String,
        /// 1-based position of the problem.
        position: usize,
        /// What is wrong.
        reason: &'static str,
    },

    /// An Application Identifier this crate does not know (and unknown AIs are not permitted).
    #[error("AI ({ai}) is not a known GS1 Application Identifier")]
    UnknownAi {
        /// The AI digits.
        ai: String,
    },

    /// An AI that may not be carried as a Digital Link query data attribute.
    #[error("AI ({ai}) is not allowed as a Digital Link data attribute")]
    NotDataAttribute {
        /// The AI digits.
        ai: String,
    },

    /// The same AI twice (with different values, or at all inside a Digital Link URI).
    #[error("AI ({ai}) occurs twice: {first} and {second}")]
    DuplicateAi {
        /// The AI digits.
        ai: String,
        /// The first value.
        first: String,
        /// The second value.
        second: String,
    },

    /// A key qualifier carried in the query string of a Digital Link instead of its path.
    #[error(
        "AI ({ai}) is a key qualifier and belongs in the Digital Link path, not the query string"
    )]
    AiBelongsInPath {
        /// The AI digits.
        ai: String,
    },

    /// The AIs in a Digital Link path are not a primary key followed by its qualifiers in the standard order.
    #[error("Digital Link path {sequence} is not a valid key-qualifier sequence (allowed after ({key}): {allowed})")]
    KeyQualifierSequence {
        /// The AIs found in the path, e.g. `(01)(21)(10)`.
        sequence: String,
        /// The primary key AI.
        key: String,
        /// The allowed qualifier orders, e.g. `(22)(10)(21) or (235)`.
        allowed: String,
    },

    /// No Digital Link primary key (01, 00, 414, 417, 253, ...) among the AIs.
    #[error("{input}: no GS1 Digital Link primary key (such as 01, 00, 414 or 417)")]
    NoPrimaryKey {
        /// The input.
        input: String,
    },

    /// An AI present without an AI it requires (GS1 General Specifications, mandatory associations).
    #[error("AI ({ai}) requires {requires}")]
    MissingRequiredAi {
        /// The AI digits.
        ai: String,
        /// The required AIs, e.g. `one of (01), (02)`.
        requires: String,
    },

    /// Two AIs that must not occur together (GS1 General Specifications, invalid pairs).
    #[error("AI ({ai}) must not occur together with AI ({other})")]
    ExclusiveAis {
        /// The AI digits.
        ai: String,
        /// The AI it conflicts with.
        other: String,
    },

    /// A URI scheme other than `http` or `https`.
    #[error("{uri}: scheme {scheme:?} is not allowed, expected http or https")]
    UnsupportedScheme {
        /// The URI.
        uri: String,
        /// The scheme found.
        scheme: String,
    },

    /// A URI that is not well formed.
    #[error("{uri}: {reason}")]
    InvalidUri {
        /// The URI.
        uri: String,
        /// What is wrong (with a 1-based position where useful).
        reason: String,
    },

    /// A Digital Link URI ending in `/`.
    #[error("{uri}: a Digital Link URI must not end with '/'")]
    TrailingSlash {
        /// The URI.
        uri: String,
    },

    /// A path segment where an AI was expected that is not one (e.g. `sscc`, `gln`, `ser`).
    #[error("{uri}: path segment {position} {segment:?} is not a GS1 Application Identifier")]
    NotAnAi {
        /// The URI.
        uri: String,
        /// The offending segment.
        segment: String,
        /// 1-based index of the segment in the path.
        position: usize,
    },

    /// A malformed percent escape (`%` not followed by two hex digits, or not UTF-8).
    #[error("{value}: bad percent-encoding at character {position}")]
    PercentEncoding {
        /// The encoded value.
        value: String,
        /// 1-based position of the `%`.
        position: usize,
    },

    /// A Digital Link that is valid but not the constrained form CBV 2.0 allows for this EPCIS role.
    #[error("{uri}: not a constrained Digital Link for {role}: {reason}")]
    RoleMismatch {
        /// The URI.
        uri: String,
        /// The role checked against.
        role: Role,
        /// Why not.
        reason: String,
    },

    /// An EPC URN (GS1 EPC Tag Data Standard) that is not well formed.
    #[error("{urn}: {reason}")]
    InvalidEpcUrn {
        /// The URN.
        urn: String,
        /// What is wrong.
        reason: String,
    },

    /// A GS1 company prefix length outside 6..=12.
    #[error("GS1 company prefix length {length} is out of range, expected 6 to 12")]
    CompanyPrefixLength {
        /// The length given.
        length: usize,
    },

    /// A Digital Link that has no EPC URN equivalent.
    #[error("{uri}: no EPC URN equivalent: {reason}")]
    NoEpcEquivalent {
        /// The URI.
        uri: String,
        /// Why not.
        reason: &'static str,
    },

    /// Input to [`crate::check`] that is none of the accepted forms.
    #[error("{input}: {reason}")]
    Unrecognised {
        /// The input.
        input: String,
        /// What was expected.
        reason: &'static str,
    },
}

fn range(min: usize, max: usize) -> String {
    if min == max {
        format!("exactly {min}")
    } else {
        format!("{min} to {max}")
    }
}

/// A printable, single-line, bounded copy of untrusted text for error messages.
pub(crate) fn shown(s: &str) -> String {
    const MAX: usize = 80;
    let mut out = String::new();
    for (n, c) in s.chars().enumerate() {
        if n == MAX {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}
