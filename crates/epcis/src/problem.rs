//! Validation problems: each names where it is (document, or event index and eventID),
//! the field (a JSON path inside the event, e.g. `quantityList[0].quantity`) and its kind.

use std::fmt;

/// The kind of a problem; its [`code`](ProblemKind::code) is the rule id used in
/// messages and test names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// EPCIS-REQ: a field the event type (or document) requires is missing.
    MissingField,
    /// EPCIS-TYPE: a field has the wrong JSON type (e.g. a quantity given as text).
    WrongType,
    /// EPCIS-FIELD: an un-namespaced field that EPCIS 2.0 does not define.
    UnknownField,
    /// EPCIS-NOTALLOWED: a standard field that this event type (or action) does not take,
    /// e.g. ILMD with an action other than ADD.
    NotAllowed,
    /// EPCIS-TIME: not an RFC 3339 date-time with offset.
    BadTime,
    /// EPCIS-TZ: `eventTimeZoneOffset` is not `±hh:mm` (at most 14:00).
    BadTimeZoneOffset,
    /// EPCIS-ACTION: `action` is not ADD, OBSERVE or DELETE.
    BadAction,
    /// EPCIS-CBV: a bare string that is not a CBV 2.0 vocabulary term.
    NotCbvTerm,
    /// EPCIS-URI: a value that must be a URI is not one.
    NotUri,
    /// EPCIS-ID: an EPC URN or GS1 Digital Link that is malformed or wrong for its role.
    BadIdentifier,
    /// EPCIS-QTY: a quantity that is not a non-negative number.
    BadQuantity,
    /// EPCIS-UOM: a unit of measure that is not a UN/ECE Recommendation 20 code.
    BadUnit,
    /// EPCIS-EVENTTYPE: `type` is not one of the five event types.
    BadEventType,
    /// EPCIS-CONTEXT: `@context` missing or without the EPCIS context.
    BadContext,
    /// EPCIS-SCHEMA: `schemaVersion` is not 2.0.
    BadSchemaVersion,
    /// EPCIS-PREFIX: a namespaced field whose prefix is declared nowhere.
    UndeclaredPrefix,
    /// EPCIS-LIMIT-PROBLEMS: more problems than [`crate::MAX_PROBLEMS`]; the rest are not listed.
    TooManyProblems,
}

impl ProblemKind {
    /// The rule id of this kind.
    pub fn code(self) -> &'static str {
        match self {
            ProblemKind::MissingField => "EPCIS-REQ",
            ProblemKind::WrongType => "EPCIS-TYPE",
            ProblemKind::UnknownField => "EPCIS-FIELD",
            ProblemKind::NotAllowed => "EPCIS-NOTALLOWED",
            ProblemKind::BadTime => "EPCIS-TIME",
            ProblemKind::BadTimeZoneOffset => "EPCIS-TZ",
            ProblemKind::BadAction => "EPCIS-ACTION",
            ProblemKind::NotCbvTerm => "EPCIS-CBV",
            ProblemKind::NotUri => "EPCIS-URI",
            ProblemKind::BadIdentifier => "EPCIS-ID",
            ProblemKind::BadQuantity => "EPCIS-QTY",
            ProblemKind::BadUnit => "EPCIS-UOM",
            ProblemKind::BadEventType => "EPCIS-EVENTTYPE",
            ProblemKind::BadContext => "EPCIS-CONTEXT",
            ProblemKind::BadSchemaVersion => "EPCIS-SCHEMA",
            ProblemKind::UndeclaredPrefix => "EPCIS-PREFIX",
            ProblemKind::TooManyProblems => "EPCIS-LIMIT-PROBLEMS",
        }
    }
}

/// One problem found in a document.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// Index of the event in the event list; `None` for the document frame.
    pub event_index: Option<usize>,
    /// The event's `eventID`, when it has one.
    pub event_id: Option<String>,
    /// Path of the field inside the event (or document), e.g. `readPoint.id`.
    pub field: String,
    /// What is wrong.
    pub kind: ProblemKind,
    /// Human-readable detail.
    pub detail: String,
}

impl Problem {
    /// A problem of the document frame.
    pub fn document(kind: ProblemKind, field: &str, detail: impl Into<String>) -> Problem {
        Problem {
            event_index: None,
            event_id: None,
            field: field.to_string(),
            kind,
            detail: detail.into(),
        }
    }

    /// A problem of event `index`.
    pub fn event(
        index: usize,
        event_id: Option<&str>,
        kind: ProblemKind,
        field: &str,
        detail: impl Into<String>,
    ) -> Problem {
        Problem {
            event_index: Some(index),
            event_id: event_id.map(str::to_string),
            field: field.to_string(),
            kind,
            detail: detail.into(),
        }
    }
}

/// The problems of one document as they are found: the first [`crate::MAX_PROBLEMS`] are
/// kept, the rest only counted, so a hostile document cannot make the list (and memory)
/// grow with its size (EPCIS-LIMIT-PROBLEMS).
#[derive(Clone, Debug, Default)]
pub struct Problems {
    list: Vec<Problem>,
    not_listed: usize,
}

impl Problems {
    /// Record a problem (kept while fewer than [`crate::MAX_PROBLEMS`] are listed).
    pub fn push(&mut self, p: Problem) {
        if self.list.len() < crate::MAX_PROBLEMS {
            self.list.push(p);
        } else {
            self.not_listed = self.not_listed.saturating_add(1);
        }
    }

    /// Whether no problem was found.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The listed problems, then one [`ProblemKind::TooManyProblems`] entry saying how many
    /// were left out (when any were).
    pub fn to_vec(&self) -> Vec<Problem> {
        let mut out = self.list.clone();
        if self.not_listed > 0 {
            out.push(Problem::document(
                ProblemKind::TooManyProblems,
                "",
                format!("{} more problems not listed", self.not_listed),
            ));
        }
        out
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.event_index, &self.event_id) {
            (Some(i), Some(id)) => write!(f, "event {i} ({id})")?,
            (Some(i), None) => write!(f, "event {i}")?,
            (None, _) => write!(f, "document")?,
        }
        let field = if self.field.is_empty() {
            "(event)"
        } else {
            self.field.as_str()
        };
        write!(f, ": {field}: {}: {}", self.kind.code(), self.detail)
    }
}
