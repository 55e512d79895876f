//! App-store reviews, pulled on a schedule like feeds: the App Store's customer-reviews feed
//! ([`app_store`]) and Google Play's reviews API ([`google_play`], signing in with a service
//! account, [`jwt`]). Each reads its store's answers into [`Review`]s; [`to_stored`] makes a
//! review one stored response (its stars as `rating`) with one feedback item, its text, so a
//! review edited later replaces its own text. This file holds what both stores share; the
//! poller calls each store.

pub mod app_store;
pub mod google_play;
pub mod jwt;

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use super::fetch::{outbound_error, transport_error, FeedError, MAX_FEED_BYTES};
use super::platform::{bounded_key, MAX_AUTHOR_CHARS};
use super::presets::stored_response_id;
use crate::domain::net::Outbound;
use crate::domain::text::truncate_chars;
use crate::domain::{Channel, FeedbackText, NewFeedback, Scores, MAX_TEXT_CHARS};
use crate::store::NewToolResponse;

/// Sent with every request to a store, so its operators can tell who asks.
pub const USER_AGENT: &str = "tingjian/0.1 (+review poller)";

/// One review as a store gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct Review {
    /// Unique within the source: `"{country}:{id}"` (App Store), the `reviewId` (Google Play).
    pub key: String,
    pub author: Option<String>,
    /// The title (when the store has one), a newline, the body; may be empty.
    pub text: String,
    /// Stars, 1 to 5.
    pub rating: Option<i16>,
    /// When the reviewer last wrote it, when the store says.
    pub updated_at: Option<DateTime<Utc>>,
    /// App version, device … (flat: strings of at most 200 characters, numbers).
    pub attributes: Map<String, Value>,
    /// Where it was written: the storefront (`country`) …
    pub context: Map<String, Value>,
    /// The review's fields as the store gave them, kept with the stored response.
    pub raw: Map<String, Value>,
}

/// What one poll of a store read.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Pulled {
    /// Newest first, each review once.
    pub reviews: Vec<Review>,
    /// Pages (requests for reviews) made.
    pub pages: u32,
    /// The first page had no reviews: for the App Store that is also how a throttled request
    /// is answered, so it says nothing about the app.
    pub empty_first_page: bool,
    /// The walk stopped at an empty page before the one the store called last (throttling,
    /// or a `last` link that overstates): the poll state says so.
    pub cut_short: bool,
}

/// Why a store could not be read. The words name the server's host, never a URL (a page
/// token, an app id in a path), a token or the key.
#[derive(Debug, thiserror::Error)]
pub enum PullError {
    /// Transport, an HTTP status other than 2xx, an answer over the size cap.
    #[error("{host}: {}", describe(.error))]
    Fetch {
        host: String,
        error: FeedError,
        /// What a status usually means at this endpoint.
        hint: Option<&'static str>,
    },
    /// The answer is not the JSON the store documents.
    #[error("the answer from {host} is not the documented JSON: {detail}")]
    Parse { host: String, detail: String },
    /// The token endpoint refused the service account's assertion.
    #[error("the token endpoint at {host} refused the service account (HTTP {status}): {reason}")]
    Token {
        host: String,
        status: u16,
        /// The OAuth error code, and its description when the endpoint gave one.
        reason: String,
        /// The OAuth error code alone (`invalid_grant`), for the summary.
        code: Option<String>,
    },
    #[error("the service account's private key {0}")]
    Key(#[from] jwt::KeyError),
}

impl PullError {
    /// What went wrong, in words safe to hand to an API client: the host, a category, the
    /// status and the OAuth error code, never a server's own text (as [`FeedError::summary`]).
    pub fn summary(&self) -> String {
        match self {
            PullError::Fetch { host, error, hint } => {
                let what = error.summary();
                match hint {
                    Some(h) => format!("{host}: {what} ({h})"),
                    None => format!("{host}: {what}"),
                }
            }
            PullError::Parse { host, .. } => {
                format!("the answer from {host} is not the documented JSON")
            }
            PullError::Token {
                host, status, code, ..
            } => {
                match code {
                    Some(c) => format!(
                    "the token endpoint at {host} refused the service account (HTTP {status}, {c})"
                ),
                    None => {
                        format!("the token endpoint at {host} refused the service account (HTTP {status})")
                    }
                }
            }
            PullError::Key(e) => format!("the service account's private key {e}"),
        }
    }
}

/// A fetch error in words for the poll state: a transport error reads the same whatever
/// answered (its detail is in the log).
fn describe(e: &FeedError) -> String {
    match e {
        FeedError::Http { status } => format!("answered HTTP {status}"),
        FeedError::Transport { .. } => e.to_string(),
        FeedError::TooLarge { limit } => format!("the answer is larger than {limit} bytes"),
        FeedError::Parse(detail) => detail.clone(),
    }
}

/// The host of a URL, to name a server in an error.
pub fn host_of(url: &str) -> String {
    reqwest::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| "the configured URL".to_owned())
}

/// Sends a request and reads the answer's status and body, refusing a body over
/// [`MAX_FEED_BYTES`] as feeds do. Errors carry no URL.
pub(crate) async fn send(
    http: &Outbound,
    req: reqwest::RequestBuilder,
    host: &str,
) -> Result<(u16, Vec<u8>), PullError> {
    let fetch_error = |error: FeedError| PullError::Fetch {
        host: host.to_owned(),
        error,
        hint: None,
    };
    let mut resp = http
        .send(req.header(reqwest::header::USER_AGENT, USER_AGENT))
        .await
        .map_err(|e| fetch_error(outbound_error(e)))?;
    let status = resp.status().as_u16();
    let too_large = FeedError::TooLarge {
        limit: MAX_FEED_BYTES,
    };
    if resp
        .content_length()
        .is_some_and(|n| n > MAX_FEED_BYTES as u64)
    {
        return Err(fetch_error(too_large));
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| fetch_error(transport_error(e)))?
    {
        if body.len().saturating_add(chunk.len()) > MAX_FEED_BYTES {
            return Err(fetch_error(too_large));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((status, body))
}

/// A GET (or any request) whose 2xx answer is JSON.
pub(crate) async fn get_json(
    http: &Outbound,
    req: reqwest::RequestBuilder,
    host: &str,
    hint: fn(u16) -> Option<&'static str>,
) -> Result<Value, PullError> {
    let (status, body) = send(
        http,
        req.header(reqwest::header::ACCEPT, "application/json"),
        host,
    )
    .await?;
    if !(200..300).contains(&status) {
        return Err(PullError::Fetch {
            host: host.to_owned(),
            error: FeedError::Http { status },
            hint: hint(status),
        });
    }
    serde_json::from_slice(&body).map_err(|e| PullError::Parse {
        host: host.to_owned(),
        detail: e.to_string(),
    })
}

/// A title and a body as one text: the title, a newline, the body, as feeds join them; the
/// title alone is left out when the body starts with it (reviewers often repeat it).
pub fn join_title(title: &str, body: &str) -> String {
    let (title, body) = (title.trim(), body.trim());
    let t = title.trim_end_matches(['…', '.', '。', ' ']);
    if title.is_empty() || (!t.is_empty() && body.starts_with(t)) {
        body.to_owned()
    } else if body.is_empty() {
        title.to_owned()
    } else {
        format!("{title}\n{body}")
    }
}

/// A JSON value as a trimmed, non-empty string (numbers written out).
pub(crate) fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A string attribute, cut to the 200 characters an attribute holds.
pub(crate) fn attribute(s: &str) -> Value {
    Value::String(truncate_chars(s, 200))
}

/// A review as Tingjian stores it: one response (`sr_…`, stable for the review within the
/// source; its stars as `rating`; `updated_at` orders a review's versions) and its text as
/// one feedback item of channel `review`, whose external id is the review's key. A review
/// without text is a response with no item (its stars still count once).
pub fn to_stored(
    source_id: &str,
    source_name: &str,
    platform: &str,
    r: &Review,
    now: DateTime<Utc>,
) -> (NewToolResponse, Vec<NewFeedback>) {
    let id = stored_response_id(source_id, &r.key);
    let at = r.updated_at.unwrap_or(now);
    let scores = Scores {
        rating: r.rating,
        ..Scores::default()
    };
    let mut context = Map::new();
    context.insert("platform".into(), json!(platform));
    context.insert("source".into(), json!(source_name));
    for (k, v) in &r.context {
        context.insert(k.clone(), v.clone());
    }
    if r.updated_at.is_none() {
        // The store gave no time: the time is when Tingjian first read the review.
        context.insert("time_approximate".into(), json!(true));
    }
    let item = FeedbackText::parse(&truncate_chars(&r.text, MAX_TEXT_CHARS))
        .ok()
        .map(|text| NewFeedback {
            channel: Channel::Review,
            source_key: format!("{platform}:{source_id}"),
            source_id: Some(source_id.to_owned()),
            external_id: Some(bounded_key(&r.key)),
            respondent_id: None,
            author: r
                .author
                .as_deref()
                .map(|a| truncate_chars(a.trim(), MAX_AUTHOR_CHARS))
                .filter(|a| !a.is_empty()),
            text,
            scores,
            attributes: r.attributes.clone(),
            context,
            occurred_at: at,
            response_id: Some(id.clone()),
            analysis: None,
        });
    let response = NewToolResponse {
        id,
        source_id: source_id.to_owned(),
        respondent_id: None,
        answers: Value::Object(r.raw.clone()),
        attributes: Value::Object(r.attributes.clone()),
        scores,
        occurred_at: at,
        updated_at: at,
        complete: true,
    };
    (response, item.into_iter().collect())
}

/// Keeps the first review of each key (the newest, as stores list them newest first).
pub(crate) fn dedupe(reviews: &mut Vec<Review>) {
    let mut seen = std::collections::HashSet::new();
    reviews.retain(|r| seen.insert(r.key.clone()));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collect::fetch::TransportKind;
    use chrono::TimeZone;

    fn transport(detail: &str) -> FeedError {
        FeedError::Transport {
            kind: TransportKind::Connect,
            detail: detail.to_owned(),
        }
    }

    fn review() -> Review {
        Review {
            key: "cn:1".into(),
            author: Some("  小王 ".into()),
            text: "闪退\n打开就闪退".into(),
            rating: Some(1),
            updated_at: Some(Utc.with_ymd_and_hms(2026, 9, 14, 11, 24, 23).unwrap()),
            attributes: Map::from_iter([("app_version".into(), json!("1.8.0"))]),
            context: Map::from_iter([("country".into(), json!("cn"))]),
            raw: Map::new(),
        }
    }

    #[test]
    fn a_review_is_one_response_with_one_item() {
        let now = Utc.with_ymd_and_hms(2026, 9, 20, 0, 0, 0).unwrap();
        let r = review();
        let (resp, items) = to_stored("src_1", "iOS 评价", "app_store", &r, now);
        assert_eq!(resp.id, stored_response_id("src_1", "cn:1"));
        assert_eq!(resp.scores.rating, Some(1));
        assert_eq!(resp.updated_at, r.updated_at.unwrap());
        assert!(resp.complete);
        let [item] = items.as_slice() else {
            panic!("one item")
        };
        assert_eq!(item.channel, Channel::Review);
        assert_eq!(item.source_key, "app_store:src_1");
        assert_eq!(item.external_id.as_deref(), Some("cn:1"));
        assert_eq!(item.response_id.as_deref(), Some(resp.id.as_str()));
        assert_eq!(item.author.as_deref(), Some("小王"));
        assert_eq!(item.scores.rating, Some(1));
        assert_eq!(item.context["platform"], "app_store");
        assert_eq!(item.context["country"], "cn");
        assert_eq!(item.context["source"], "iOS 评价");
        assert_eq!(item.attributes["app_version"], "1.8.0");
        assert_eq!(item.occurred_at, r.updated_at.unwrap());

        // No time from the store: the fetch time, said to be approximate. No text: no item.
        let undated = Review {
            updated_at: None,
            text: " ".into(),
            ..review()
        };
        let (resp, items) = to_stored("src_1", "x", "app_store", &undated, now);
        assert_eq!((resp.occurred_at, resp.updated_at), (now, now));
        assert!(items.is_empty());
        let undated = Review {
            updated_at: None,
            ..review()
        };
        let (_, items) = to_stored("src_1", "x", "app_store", &undated, now);
        assert_eq!(items[0].context["time_approximate"], true);
        assert_eq!(items[0].occurred_at, now);
    }

    #[test]
    fn titles_are_not_repeated() {
        assert_eq!(join_title("卡顿", "更新后很卡"), "卡顿\n更新后很卡");
        assert_eq!(join_title("りんご！", "りんご！"), "りんご！");
        assert_eq!(
            join_title("Sync keeps…", "Sync keeps failing"),
            "Sync keeps failing"
        );
        assert_eq!(join_title("", "只有正文"), "只有正文");
        assert_eq!(join_title("只有标题", " "), "只有标题");
        assert_eq!(join_title(" ", ""), "");
    }

    #[test]
    fn errors_name_the_host_and_nothing_more() {
        let e = PullError::Fetch {
            host: "itunes.apple.com".into(),
            error: transport("tcp connect error: 10.0.0.8:443"),
            hint: None,
        };
        assert_eq!(
            e.summary(),
            format!("itunes.apple.com: {}", crate::collect::fetch::UNREACHABLE)
        );
        assert!(
            !e.to_string().contains("10.0.0.8"),
            "the poll state does not say what answered"
        );
        let e = PullError::Token {
            host: "oauth2.googleapis.com".into(),
            status: 400,
            reason: "invalid_grant: Invalid JWT Signature.".into(),
            code: Some("invalid_grant".into()),
        };
        assert_eq!(
            e.summary(),
            "the token endpoint at oauth2.googleapis.com refused the service account (HTTP 400, invalid_grant)"
        );
        assert_eq!(host_of("http://127.0.0.1:9/x?token=s"), "127.0.0.1");
    }
}
