//! GS1 identifiers for tracechain (rules R-I2 and R-I4 of the traceability rules).
//!
//! * Keys with GS1 mod-10 check digits: [`Gtin`] (GTIN-8/12/13 normalised to
//!   GTIN-14), [`Sscc`], [`Gln`]; attributes [`Batch`] (AI 10) and [`Serial`]
//!   (AI 21).
//! * Application Identifier element strings ([`parse_element_string`]), over
//!   every AI of the GS1 Barcode Syntax Dictionary with its linters and
//!   association rules ([`syntax_dictionary`], ADR 0038).
//! * GS1 Digital Link URIs ([`DigitalLink`]), including the constrained form
//!   CBV 2.0 allows inside EPCIS events ([`validate_epcis_dl`]).
//! * EPC URNs of the GS1 EPC Tag Data Standard ([`EpcUrn`]).
//! * Chinese unified social credit codes, GB 32100-2015 ([`Uscc`]).
//! * One entry point for "what is this code?": [`check`] → [`Normalised`].
//!
//! Pure: no I/O, no global state, no panics on any input. Every rejection is
//! a [`Gs1Error`] naming the AI, the 1-based character position, and the
//! expected and found check digit or length range.

#![forbid(unsafe_code)]

mod ai;
#[rustfmt::skip]
mod ai_table;
mod chars;
mod codes;
mod dl;
mod epc;
mod error;
mod keys;
mod lint;
mod normalise;
pub mod syntax_dictionary;
mod uscc;

pub use ai::{
    ai_attributes, ai_format, ai_title, is_dl_data_attribute, is_predefined_length, is_primary_key,
    parse_element_string, parse_element_string_with, to_element_string, validate_ai_value,
    AiElement, ParseOptions, Validation, MAX_INPUT_LEN,
};
pub use codes::ISO3166_ALPHA2;
pub use lint::Linter;

/// Release of the GS1 Barcode Syntax Dictionary the AI table was generated from.
pub const SYNTAX_DICTIONARY_RELEASE: &str = ai_table::DICTIONARY_RELEASE;
pub use chars::{is_cset39, is_cset82, mod10_check_digit, verify_mod10, CSET39, CSET82};
pub use dl::{validate_epcis_dl, validate_epcis_dl_with, DigitalLink, Role, CANONICAL_STEM};
pub use epc::{EpcKind, EpcUrn};
pub use error::Gs1Error;
pub use keys::{Batch, Gln, Gtin, Serial, Sscc};
pub use normalise::{check, Kind, Normalised};
pub use uscc::{uscc_check_character, Uscc, USCC_CHARSET};
