//! RFC 7807 problem details: every refusal of the read API is `application/problem+json`
//! with a stable `code` and, where a traceability rule decides, its `rule` id.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;

/// A refusal (boxed: it travels in every `Result` of the API).
#[derive(Debug, Clone)]
pub struct Problem(pub Box<ProblemBody>);

impl std::ops::Deref for Problem {
    type Target = ProblemBody;
    fn deref(&self) -> &ProblemBody {
        &self.0
    }
}

/// The fields of a refusal, as serialised.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProblemBody {
    /// A URI naming the problem type (`urn:tracechain:problem:{code}`).
    #[serde(rename = "type")]
    pub type_uri: String,
    /// Short, human-readable summary of the type.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What exactly went wrong.
    pub detail: String,
    /// Stable machine-readable code (`E_…`).
    pub code: String,
    /// The traceability rule that decides (`R-…`), if one does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// More fields (e.g. `retry_after_ms`).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub extra: Option<Value>,
}

impl Problem {
    /// A problem with status, code, title and detail.
    pub fn new(status: StatusCode, code: &str, title: &str, detail: impl Into<String>) -> Problem {
        Problem(Box::new(ProblemBody {
            type_uri: format!("urn:tracechain:problem:{code}"),
            title: title.to_string(),
            status: status.as_u16(),
            detail: detail.into(),
            code: code.to_string(),
            rule: None,
            extra: None,
        }))
    }

    /// The rule that decides.
    pub fn rule(mut self, rule: &str) -> Problem {
        self.0.rule = Some(rule.to_string());
        self
    }

    /// 400 with a code.
    pub fn bad_request(code: &str, detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::BAD_REQUEST, code, "Bad request", detail)
    }

    /// 404 with a code.
    pub fn not_found(code: &str, detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::NOT_FOUND, code, "Not found", detail)
    }

    /// 403: the reader's role may not read this (R-A5).
    pub fn forbidden(detail: impl Into<String>) -> Problem {
        Problem::new(
            StatusCode::FORBIDDEN,
            "E_NOT_ALLOWED",
            "Not allowed",
            detail,
        )
        .rule("R-A5")
    }

    /// 401: the read's signature is missing where required, malformed, stale or replayed.
    pub fn unauthorized(code: &str, detail: impl Into<String>) -> Problem {
        Problem::new(
            StatusCode::UNAUTHORIZED,
            code,
            "Read not authenticated",
            detail,
        )
        .rule("R-A5")
    }

    /// 500: the node could not read its own data (details go to the log, not the client).
    pub fn internal(what: impl std::fmt::Display) -> Problem {
        tracing::error!(error = %what, "read API internal error");
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "E_INTERNAL",
            "Internal error",
            "the node could not read its data; the operator's log says why",
        )
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&*self.0).unwrap_or_default();
        let mut r = (status, body).into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        r
    }
}
