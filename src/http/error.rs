//! The one HTTP error type. Every failure a client can see maps to a stable `code` and an
//! RFC 9457 problem+json body; 5xx bodies say nothing internal (the log has the cause).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

use crate::domain::FieldError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("the request body is not valid JSON: {0}")]
    InvalidJson(String),
    #[error("the request body is not valid UTF-8")]
    InvalidUtf8,
    #[error("{0}")]
    BadRequest(String),
    #[error("missing or invalid API key")]
    Unauthorized,
    #[error("{0}")]
    InvalidSignature(&'static str),
    #[error("this key lacks the `{0}` scope")]
    Forbidden(&'static str),
    /// A signed-in member whose role in the workspace is below what the operation needs.
    #[error("this needs the {0} role in the workspace")]
    RoleForbidden(&'static str),
    /// A state-changing request of a console session without its CSRF token.
    #[error("the request lacks this session's CSRF token (reload the page and try again)")]
    CsrfFailed,
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("no such route")]
    RouteNotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("{0}")]
    Conflict(String),
    #[error("this origin may not submit to this survey (see the survey's allowed_origins)")]
    OriginNotAllowed,
    #[error("this survey is not taking responses")]
    SurveyClosed,
    #[error("the request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    /// The body stopped arriving: longer than the body read timeout between two reads.
    #[error("the request body stopped arriving; send it again")]
    BodyTimeout,
    #[error("expected a body of type {0}")]
    UnsupportedMediaType(&'static str),
    #[error("the request has invalid fields")]
    Validation(Vec<FieldError>),
    #[error("too many requests, retry later")]
    RateLimited,
    /// A survey took as many responses this hour as it takes; seconds until the hour ends.
    #[error(
        "this survey has taken as many responses as it takes in an hour; retry after {0} seconds"
    )]
    SurveyFull(u64),
    #[error("the database is not reachable")]
    Unavailable,
    /// A feed polled on request could not be fetched or read; the message names the feed's
    /// host and what went wrong, never the URL or internal addresses.
    #[error("{0}")]
    FeedUnreachable(String),
    /// A tool announced a response by id and its API could not be read; the message names
    /// the tool and the reason, never the URL or the token.
    #[error("{0}")]
    ToolUnreachable(String),
    /// A client error actix answered before our handlers ran, with a status that has no
    /// code of its own.
    #[error("{}", .0.canonical_reason().unwrap_or("the request cannot be served"))]
    ClientError(StatusCode),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

/// One row of the error-code table: what a client matches on, the status it comes with, the
/// problem's title, and what it means (the table in `docs/api.md`, checked by a test).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorCode {
    pub code: &'static str,
    /// The HTTP status; `4xx` for `client_error`, whose status is the one actix answered with.
    pub status: &'static str,
    pub title: &'static str,
    pub meaning: &'static str,
}

/// Declares the table once: [`ERROR_CODES`] in the documented order, and each variant's row.
macro_rules! error_codes {
    ($($variant:ident => $code:literal, $status:literal, $title:literal, $meaning:literal;)*) => {
        /// Every error code a client can see, in the order `docs/api.md` lists them.
        pub const ERROR_CODES: &[ErrorCode] = &[$(ErrorCode {
            code: $code,
            status: $status,
            title: $title,
            meaning: $meaning,
        }),*];

        impl ApiError {
            /// This error's row of the table.
            pub fn row(&self) -> &'static ErrorCode {
                match self {
                    $(ApiError::$variant { .. } => {
                        const ROW: ErrorCode = ErrorCode {
                            code: $code,
                            status: $status,
                            title: $title,
                            meaning: $meaning,
                        };
                        &ROW
                    })*
                }
            }
        }
    };
}

error_codes! {
    InvalidJson => "invalid_json", "400", "Bad request",
        "The body is not valid JSON; `detail` says where.";
    InvalidUtf8 => "invalid_utf8", "400", "Bad request",
        "The body (or a multipart part) is not valid UTF-8.";
    BadRequest => "bad_request", "400", "Bad request",
        "Something else about the request is malformed: a NUL character (raw, `\\u0000` or `%00`), a query string that cannot be decoded, a path or query string whose `%`-escapes do not decode to UTF-8 (`q=%ff`), an unreadable or broken multipart body, or a `webhook-id` longer than 200 bytes.";
    Unauthorized => "unauthorized", "401", "Unauthorized",
        "No API key, or the key is unknown or revoked; for the console's own calls, no live session, or a session whose member is not in the workspace named by `X-Tingjian-Workspace`. Sent with `WWW-Authenticate: Bearer`.";
    InvalidSignature => "invalid_signature", "401", "Unauthorized",
        "A webhook delivery whose signature (Standard Webhooks, or its tool's own scheme for a preset) is missing, outside its time tolerance, or matches no live secret; or whose URL token, for a source that has one, is missing or wrong.";
    Forbidden => "forbidden", "403", "Forbidden",
        "The key lacks the scope the operation needs (`detail` names it).";
    RoleForbidden => "role_forbidden", "403", "Forbidden",
        "A console session whose member's role in the workspace is below what the operation needs (`detail` names the role: `editor` or `admin`).";
    CsrfFailed => "csrf_failed", "403", "Forbidden",
        "A console session's state-changing request (a form or a `fetch`) without the session's CSRF token: the `csrf_token` form field or the `X-CSRF-Token` header.";
    OriginNotAllowed => "origin_not_allowed", "403", "Forbidden",
        "A browser request to a public survey endpoint from an origin not in the survey's `allowed_origins`.";
    NotFound => "not_found", "404", "Not found",
        "The item does not exist in your workspace (`detail` names the kind: `survey not found`, `source not found`, `word not found`, `category not found`, `digest subscription not found` …); also unknown or archived surveys on public endpoints, unknown, archived or non-webhook sources at `/hooks/{source_id}`, and default pain-point categories, which cannot be deleted.";
    RouteNotFound => "route_not_found", "404", "Not found",
        "No endpoint has this path.";
    MethodNotAllowed => "method_not_allowed", "405", "Method not allowed",
        "The path exists, but not with this HTTP method.";
    Conflict => "conflict", "409", "Conflict",
        "The operation does not fit the item's state: rotating the secret of a feed or app-store source, sending one a test payload, polling a webhook source or an archived source, creating a pain-point category whose id is taken (by the workspace or by a default category), subscribing an email address or robot URL that already has a live digest subscription in the workspace.";
    SurveyClosed => "survey_closed", "409", "Conflict",
        "The survey is closed and takes no responses.";
    BodyTimeout => "request_timeout", "408", "Request timeout",
        "The body stopped arriving: more than 60 seconds (`TINGJIAN_BODY_READ_TIMEOUT`) passed between two reads of it. The connection is closed.";
    PayloadTooLarge => "payload_too_large", "413", "Payload too large",
        "The body is larger than 1 MiB, read or declared: a `Content-Length` over it is answered at once, before any of the body is read, and the connection is closed.";
    UnsupportedMediaType => "unsupported_media_type", "415", "Unsupported media type",
        "The body's `Content-Type` is not one the endpoint takes (`detail` says which).";
    Validation => "validation_failed", "422", "Validation failed",
        "The request is well-formed but has invalid fields; `errors` lists each one. Also unknown fields and unknown query parameters, a JSON object that names a key twice (the field is that key), and a digest `period` that is not an ISO week or a day (field `period`).";
    RateLimited => "rate_limited", "429", "Too many requests",
        "Too many survey submissions from this address (an IPv4 address, or an IPv6 /64), or too many sign-in attempts from this address or for this email. Sent with `Retry-After: 60`.";
    SurveyFull => "survey_full", "429", "Too many requests",
        "The survey took as many responses this clock hour as its `max_responses_per_hour` allows (1,000 unless its editor set more). Sent with `Retry-After`: the seconds until the hour ends.";
    ClientError => "client_error", "4xx", "Client error",
        "Another client error refused before any endpoint ran, whose status has no code of its own; `status` and `title` name it.";
    FeedUnreachable => "feed_unreachable", "502", "Bad gateway",
        "A feed or app-store source polled with `POST /api/v1/sources/{id}/poll` could not be read; `detail` names its host and the reason.";
    ToolUnreachable => "tool_unreachable", "502", "Bad gateway",
        "A tool announced a response by id (SurveyMonkey) and its API could not be read with the source's `api_token`; `detail` names the tool and the reason. The tool retries the delivery.";
    Unavailable => "unavailable", "503", "Service unavailable",
        "The database cannot be reached (refused, closed or timed-out connections, no free connection in the pool). Sent with `Retry-After: 5`; retry later. `/readyz` answers 503 meanwhile, and the service recovers by itself when the database is back.";
    Internal => "internal", "500", "Internal server error",
        "An unexpected failure. The cause is in the server log.";
}

impl ApiError {
    /// The stable code clients can match on; documented in `docs/api.md`.
    pub fn code(&self) -> &'static str {
        self.row().code
    }

    fn title(&self) -> &'static str {
        match self {
            ApiError::ClientError(status) => status.canonical_reason().unwrap_or(self.row().title),
            _ => self.row().title,
        }
    }

    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::Validation(vec![FieldError::new(field, message)])
    }

    /// The problem for a 4xx that actix produced itself (no route, wrong method, an
    /// extractor's error …), by status.
    pub fn for_client_status(status: StatusCode) -> Self {
        match status {
            StatusCode::BAD_REQUEST => ApiError::BadRequest("the request is malformed".into()),
            StatusCode::NOT_FOUND => ApiError::RouteNotFound,
            StatusCode::METHOD_NOT_ALLOWED => ApiError::MethodNotAllowed,
            StatusCode::PAYLOAD_TOO_LARGE => {
                ApiError::PayloadTooLarge(crate::config::MAX_BODY_BYTES)
            }
            StatusCode::UNSUPPORTED_MEDIA_TYPE => {
                ApiError::UnsupportedMediaType("documented for this endpoint")
            }
            other => ApiError::ClientError(other),
        }
    }
}

impl ApiError {
    /// Is this the database out of reach, said or wrapped (the console answers it 503 too)?
    pub fn is_unavailable(&self) -> bool {
        matches!(self.as_answered(), ApiError::Unavailable)
    }

    /// An internal error whose cause is the database out of reach answers as
    /// [`ApiError::Unavailable`], wherever on the way it was wrapped.
    fn as_answered(&self) -> &ApiError {
        static UNAVAILABLE: ApiError = ApiError::Unavailable;
        match self {
            ApiError::Internal(e) if e.chain().any(db_unreachable) => &UNAVAILABLE,
            other => other,
        }
    }
}

fn db_unreachable(e: &(dyn std::error::Error + 'static)) -> bool {
    if let Some(db) = e.downcast_ref::<sea_orm::DbErr>() {
        return crate::store::unreachable(db);
    }
    match e.downcast_ref::<StoreError>() {
        Some(StoreError::Db(db)) => crate::store::unreachable(db),
        _ => false,
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        let this = self.as_answered();
        match this {
            ApiError::ClientError(status) => *status,
            _ => StatusCode::from_bytes(this.row().status.as_bytes())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let (ApiError::Internal(e), ApiError::Unavailable) = (self, self.as_answered()) {
            tracing::error!(error = %format!("{e:#}"), "database unavailable");
            return ApiError::Unavailable.error_response();
        }
        let status = self.status_code();
        if let ApiError::FeedUnreachable(_) = self {
            // Someone else's server failed, not this one; the poller logged the cause.
            tracing::warn!(code = self.code(), detail = %self, "manual feed poll failed");
        } else if status.is_server_error() && !matches!(self, ApiError::Unavailable) {
            // (An unreachable database is logged with its cause where it was met.)
            tracing::error!(code = self.code(), error = ?anyhow_chain(self), "request failed");
        }
        let mut body = json!({
            "type": format!("/api/problems/{}", self.code()),
            "title": self.title(),
            "status": status.as_u16(),
            "detail": self.to_string(),
            "code": self.code(),
        });
        if let ApiError::Validation(errors) = self {
            body["errors"] = json!(errors);
        }
        let mut resp = HttpResponse::build(status);
        resp.content_type("application/problem+json");
        if let ApiError::Unauthorized = self {
            resp.insert_header(("WWW-Authenticate", "Bearer"));
        }
        match self {
            ApiError::RateLimited => {
                resp.insert_header(("Retry-After", "60"));
            }
            ApiError::Unavailable => {
                resp.insert_header(("Retry-After", RETRY_UNAVAILABLE_SECS.to_string()));
            }
            // The rest of the body is still on its way (or never comes): nothing more is read
            // from this connection.
            ApiError::BodyTimeout | ApiError::PayloadTooLarge(_) => {
                resp.force_close();
            }
            _ => {}
        }
        if let ApiError::SurveyFull(wait) = self {
            resp.insert_header(("Retry-After", wait.to_string()));
        }
        resp.body(body.to_string())
    }
}

/// `Retry-After` of a 503: long enough for a database restart's first connections, short
/// enough that a client's retry finds it back.
pub const RETRY_UNAVAILABLE_SECS: u64 = 5;

fn anyhow_chain(e: &ApiError) -> String {
    let mut out = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => ApiError::NotFound(what),
            StoreError::Conflict(msg) => ApiError::Conflict(msg),
            StoreError::Db(db) if crate::store::unreachable(&db) => {
                tracing::error!(error = %db, "database unavailable");
                ApiError::Unavailable
            }
            StoreError::Db(db) => ApiError::Internal(db.into()),
        }
    }
}

/// The error-code table as `docs/api.md` shows it (Code, Status, Meaning).
pub fn docs_table() -> String {
    let mut out = String::from("| Code | Status | Meaning |\n| --- | --- | --- |\n");
    for row in ERROR_CODES {
        out.push_str(&format!(
            "| `{}` | {} | {} |\n",
            row.code, row.status, row.meaning
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_in_the_table_is_a_real_one_and_codes_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for row in ERROR_CODES {
            assert!(seen.insert(row.code), "{} twice", row.code);
            if row.code != "client_error" {
                let status = StatusCode::from_bytes(row.status.as_bytes()).unwrap();
                assert!(status.is_client_error() || status.is_server_error());
            }
        }
        assert_eq!(
            ApiError::RateLimited.status_code(),
            StatusCode::TOO_MANY_REQUESTS
        );
        assert_eq!(ApiError::Validation(vec![]).title(), "Validation failed");
        let teapot = ApiError::ClientError(StatusCode::IM_A_TEAPOT);
        assert_eq!(
            (teapot.code(), teapot.status_code().as_u16()),
            ("client_error", 418)
        );
    }

    #[test]
    fn docs_list_exactly_the_codes_the_code_has() {
        let api = include_str!("../../docs/api.md");
        let start = api
            .find("| Code | Status | Meaning |")
            .expect("docs/api.md has the error-code table");
        let documented: String = api[start..]
            .lines()
            .take_while(|l| l.starts_with('|'))
            .map(|l| format!("{l}\n"))
            .collect();
        assert_eq!(
            documented,
            docs_table(),
            "docs/api.md's error table differs from ERROR_CODES; paste the expected table"
        );
    }
}
