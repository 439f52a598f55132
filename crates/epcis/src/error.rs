//! Fatal errors: the input cannot be read as an EPCIS document at all.

/// Why a document could not be read. Per-event problems are [`crate::Problem`]s instead.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EpcisError {
    /// EPCIS-LIMIT-SIZE: the input is larger than [`crate::MAX_DOCUMENT_BYTES`]; rejected unread.
    #[error("EPCIS-LIMIT-SIZE: document is {size} bytes, over the limit of {limit}")]
    TooLarge {
        /// Input size in bytes.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// EPCIS-LIMIT-DEPTH: arrays/objects nest deeper than [`crate::MAX_NESTING_DEPTH`]; rejected unread.
    #[error("EPCIS-LIMIT-DEPTH: document nests {depth} levels deep, over the limit of {limit}")]
    TooDeep {
        /// Depth reached when the scan stopped.
        depth: usize,
        /// The limit.
        limit: usize,
    },
    /// EPCIS-LIMIT-EVENTS: more events than [`crate::MAX_EVENTS_PER_DOCUMENT`]; rejected before any is read.
    #[error("EPCIS-LIMIT-EVENTS: document has {count} events, over the limit of {limit}")]
    TooManyEvents {
        /// Number of events in the document.
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// EPCIS-JSON: the input is not JSON.
    #[error("EPCIS-JSON: not JSON: {0}")]
    Json(String),
    /// EPCIS-FRAME: JSON, but not an EPCISDocument / EPCISQueryDocument with an event list.
    #[error("EPCIS-FRAME: not an EPCIS 2.0 document: {0}")]
    NotEpcis(String),
}
