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
    #[error("expected a body of type {0}")]
    UnsupportedMediaType(&'static str),
    #[error("the request has invalid fields")]
    Validation(Vec<FieldError>),
    #[error("too many requests, retry later")]
    RateLimited,
    #[error("the database is not reachable")]
    Unavailable,
    /// A feed polled on request could not be fetched or read; the message names the feed's
    /// host and what went wrong, never the URL or internal addresses.
    #[error("{0}")]
    FeedUnreachable(String),
    /// A client error actix answered before our handlers ran, with a status that has no
    /// code of its own.
    #[error("{}", .0.canonical_reason().unwrap_or("the request cannot be served"))]
    ClientError(StatusCode),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    /// The stable code clients can match on; documented in `docs/api.md`.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::InvalidJson(_) => "invalid_json",
            ApiError::InvalidUtf8 => "invalid_utf8",
            ApiError::BadRequest(_) => "bad_request",
            ApiError::Unauthorized => "unauthorized",
            ApiError::InvalidSignature(_) => "invalid_signature",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::RouteNotFound => "route_not_found",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::Conflict(_) => "conflict",
            ApiError::SurveyClosed => "survey_closed",
            ApiError::OriginNotAllowed => "origin_not_allowed",
            ApiError::PayloadTooLarge(_) => "payload_too_large",
            ApiError::UnsupportedMediaType(_) => "unsupported_media_type",
            ApiError::Validation(_) => "validation_failed",
            ApiError::RateLimited => "rate_limited",
            ApiError::Unavailable => "unavailable",
            ApiError::FeedUnreachable(_) => "feed_unreachable",
            ApiError::ClientError(_) => "client_error",
            ApiError::Internal(_) => "internal",
        }
    }

    fn title(&self) -> &'static str {
        if let ApiError::ClientError(status) = self {
            return status.canonical_reason().unwrap_or("Client error");
        }
        match self.status_code() {
            StatusCode::BAD_REQUEST => "Bad request",
            StatusCode::UNAUTHORIZED => "Unauthorized",
            StatusCode::FORBIDDEN => "Forbidden",
            StatusCode::NOT_FOUND => "Not found",
            StatusCode::METHOD_NOT_ALLOWED => "Method not allowed",
            StatusCode::CONFLICT => "Conflict",
            StatusCode::PAYLOAD_TOO_LARGE => "Payload too large",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "Unsupported media type",
            StatusCode::UNPROCESSABLE_ENTITY => "Validation failed",
            StatusCode::TOO_MANY_REQUESTS => "Too many requests",
            StatusCode::SERVICE_UNAVAILABLE => "Service unavailable",
            StatusCode::BAD_GATEWAY => "Bad gateway",
            _ => "Internal server error",
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

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::InvalidJson(_) | ApiError::InvalidUtf8 | ApiError::BadRequest(_) => {
                StatusCode::BAD_REQUEST
            }
            ApiError::Unauthorized | ApiError::InvalidSignature(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) | ApiError::OriginNotAllowed => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) | ApiError::RouteNotFound => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) | ApiError::SurveyClosed => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::FeedUnreachable(_) => StatusCode::BAD_GATEWAY,
            ApiError::ClientError(status) => *status,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if let ApiError::FeedUnreachable(_) = self {
            // Someone else's server failed, not this one; the poller logged the cause.
            tracing::warn!(code = self.code(), detail = %self, "manual feed poll failed");
        } else if status.is_server_error() {
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
        if let ApiError::RateLimited = self {
            resp.insert_header(("Retry-After", "60"));
        }
        resp.body(body.to_string())
    }
}

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
            StoreError::Db(db) => match db {
                sea_orm::DbErr::ConnectionAcquire(_) | sea_orm::DbErr::Conn(_) => {
                    tracing::error!(error = %db, "database unavailable");
                    ApiError::Unavailable
                }
                other => ApiError::Internal(other.into()),
            },
        }
    }
}
