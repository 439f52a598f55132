//! GS1 EPCIS 2.0 for tracechain: parse EPCIS 2.0 JSON-LD documents (`EPCISDocument`,
//! `EPCISQueryDocument`), validate them like a conforming repository, compute the
//! CBV 2.0 event hash id of every event, and map events onto tracechain records.
//!
//! Pure: no I/O, no clock, no global state; bad input returns typed errors and
//! problem lists, never panics.
//!
//! ```
//! let doc = tracechain_epcis::Document::parse(br#"{
//!   "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
//!   "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2024-01-01T00:00:00Z",
//!   "epcisBody": {"eventList": [{"type": "ObjectEvent", "action": "OBSERVE",
//!     "eventTime": "2024-01-01T08:00:00+08:00", "eventTimeZoneOffset": "+08:00",
//!     "epcList": ["urn:epc:id:sgtin:0614141.107346.2017"], "bizStep": "shipping"}]}}"#).unwrap();
//! assert!(doc.validate().is_ok());
//! let hashes = doc.event_hashes();
//! assert!(hashes[0].id.starts_with("ni:///sha-256;"));
//! ```

pub mod capture;
pub mod context;
mod document;
mod error;
pub mod hash;
pub mod idnorm;
pub mod ids;
pub mod map;
pub mod model;
mod problem;
pub mod query;
pub mod time;
pub mod units;
mod validate;
pub mod vocab;

pub use document::{Document, DocumentKind, EventHash};
pub use error::EpcisError;
pub use model::{Action, Event, EventType};
pub use problem::{Problem, ProblemKind, Problems};

/// Largest document accepted, in bytes (16 MiB). Policy: larger input is rejected
/// unread with [`EpcisError::TooLarge`]; split the capture into several documents.
pub const MAX_DOCUMENT_BYTES: usize = 16 * 1024 * 1024;

/// Most events in one document. Policy: rejected with [`EpcisError::TooManyEvents`]
/// before any event is read.
pub const MAX_EVENTS_PER_DOCUMENT: usize = 100_000;

/// Deepest nesting of JSON arrays/objects. Policy: checked by a byte scan before the
/// JSON parser runs; deeper input is rejected with [`EpcisError::TooDeep`].
pub const MAX_NESTING_DEPTH: usize = 32;

/// Most problems listed for one document. Policy: problems past the limit are counted,
/// not stored (so memory does not grow with a hostile document), and the list ends with
/// one [`ProblemKind::TooManyProblems`] entry saying how many were left out.
pub const MAX_PROBLEMS: usize = 1_000;
