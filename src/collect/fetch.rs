//! Fetching a feed over HTTP: a conditional GET (ETag, Last-Modified) with a size cap, and
//! errors that never carry the URL (feed URLs may embed access tokens) nor say what answered
//! (a refused private address, a closed port and a timeout read alike; the log has the cause).

use crate::domain::net::{Outbound, OutboundError};
use crate::domain::text::truncate_chars;

/// Largest feed body accepted. Real feeds are well under 1 MiB; the cap stops a misconfigured
/// URL (a video, a dump) from exhausting memory.
pub const MAX_FEED_BYTES: usize = 5 * 1024 * 1024;

/// Sent on every poll so feed operators can identify (and contact) us.
pub const USER_AGENT: &str = "tingjian/0.1 (+feed poller)";

const ACCEPT: &str = "application/rss+xml, application/atom+xml, application/feed+json, \
                      application/json;q=0.9, application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5";

#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    /// The server answered with a status other than 2xx or 304.
    #[error("the feed server answered HTTP {status}")]
    Http { status: u16 },
    /// DNS, TLS, connection, timeout, an address the rules refuse … The message says only
    /// that the server could not be reached: what answered (or did not) would map the
    /// network behind the service. `kind` and `detail` (the chain of causes, without the
    /// URL) are for the log.
    #[error("{}", UNREACHABLE)]
    Transport { kind: TransportKind, detail: String },
    #[error("the feed is larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("the feed could not be parsed: {0}")]
    Parse(String),
}

/// What every transport failure reads as, to users and in the poll state.
pub const UNREACHABLE: &str =
    "the server could not be reached, or did not answer in time (the server log has the cause)";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportKind {
    Timeout,
    /// DNS, TCP or TLS: no connection was made.
    Connect,
    /// The connection was made but broke off, or the request failed otherwise.
    Other,
}

impl FeedError {
    /// What went wrong, in words safe to hand to an API client: the server's status, or
    /// that it could not be reached, never the causes' text (which may name resolved
    /// addresses and ports of internal hosts; the log keeps it).
    pub fn summary(&self) -> String {
        match self {
            FeedError::Http { status } => format!("the server answered HTTP {status}"),
            FeedError::Transport { .. } => UNREACHABLE.to_owned(),
            FeedError::TooLarge { limit } => format!("the feed is larger than {limit} bytes"),
            FeedError::Parse(_) => "the answer is not an RSS, Atom or JSON feed".to_owned(),
        }
    }
}

#[derive(Debug)]
pub enum FetchOutcome {
    /// 304: the validators still match, nothing to parse.
    NotModified,
    Fetched {
        body: Vec<u8>,
        /// Validators to send on the next poll.
        etag: Option<String>,
        last_modified: Option<String>,
    },
}

/// GETs a feed with `If-None-Match` / `If-Modified-Since` from the previous poll. Redirects and
/// timeouts follow the `client`'s configuration. The body is read chunk by chunk and refused past
/// [`MAX_FEED_BYTES`] so a lying or absent Content-Length cannot exhaust memory.
pub async fn fetch(
    client: &Outbound,
    url: &str,
    etag: Option<&str>,
    last_modified: Option<&str>,
) -> Result<FetchOutcome, FeedError> {
    use reqwest::header::{self, HeaderValue};

    let mut req = client
        .get(url)
        .header(header::USER_AGENT, HeaderValue::from_static(USER_AGENT))
        .header(header::ACCEPT, HeaderValue::from_static(ACCEPT));
    // A stored validator that is not a valid header value (corrupt row) is skipped rather than
    // failing the poll: the worst case is a full download.
    if let Some(v) = etag.and_then(|v| HeaderValue::from_str(v.trim()).ok()) {
        req = req.header(header::IF_NONE_MATCH, v);
    }
    if let Some(v) = last_modified.and_then(|v| HeaderValue::from_str(v.trim()).ok()) {
        req = req.header(header::IF_MODIFIED_SINCE, v);
    }

    let mut resp = client.send(req).await.map_err(outbound_error)?;
    let status = resp.status();
    if status == reqwest::StatusCode::NOT_MODIFIED {
        return Ok(FetchOutcome::NotModified);
    }
    if !status.is_success() {
        return Err(FeedError::Http {
            status: status.as_u16(),
        });
    }
    if resp
        .content_length()
        .is_some_and(|n| n > MAX_FEED_BYTES as u64)
    {
        return Err(FeedError::TooLarge {
            limit: MAX_FEED_BYTES,
        });
    }
    let header_string = |name: header::HeaderName| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
    };
    let new_etag = header_string(header::ETAG);
    let new_last_modified = header_string(header::LAST_MODIFIED);

    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(transport_error)? {
        if body.len().saturating_add(chunk.len()) > MAX_FEED_BYTES {
            return Err(FeedError::TooLarge {
                limit: MAX_FEED_BYTES,
            });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(FetchOutcome::Fetched {
        body,
        etag: new_etag,
        last_modified: new_last_modified,
    })
}

/// A request that was refused or failed, as a transport error; the cause goes to the log.
pub(crate) fn outbound_error(e: OutboundError) -> FeedError {
    match e {
        OutboundError::Http(e) => transport_error(e),
        refused @ OutboundError::Refused(_) => {
            let detail = refused.log_detail();
            tracing::warn!(%detail, "outgoing request refused");
            FeedError::Transport {
                kind: TransportKind::Connect,
                detail,
            }
        }
    }
}

/// A transport error: reqwest's top-level message plus its causes (DNS, TLS, connection …),
/// without the URL (feed URLs may embed access tokens), bounded in length, logged here and
/// kept in the error for the log only.
pub(crate) fn transport_error(e: reqwest::Error) -> FeedError {
    let (kind, detail) = transport_parts(e);
    FeedError::Transport { kind, detail }
}

/// What kind of transport failure `e` is, and its logged detail (see [`transport_error`]).
pub(crate) fn transport_parts(e: reqwest::Error) -> (TransportKind, String) {
    let e = e.without_url();
    let msg = if e.is_timeout() {
        "timed out".to_owned()
    } else {
        e.to_string()
    };
    let msg = crate::domain::net::with_causes(msg, &e);
    let kind = if e.is_timeout() {
        TransportKind::Timeout
    } else if e.is_connect() {
        TransportKind::Connect
    } else {
        TransportKind::Other
    };
    let detail = truncate_chars(&msg, 300);
    tracing::warn!(%detail, "outgoing request failed");
    (kind, detail)
}
