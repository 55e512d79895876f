//! Google Play reviews, from the Android Publisher API (v3):
//! `GET {base}/androidpublisher/v3/applications/{package}/reviews?maxResults=100[&token=…]`
//! with a bearer token the source's service account gets by the OAuth 2.0 JWT bearer flow
//! (an RS256 assertion posted to the token endpoint, [`super::jwt`]).
//!
//! As Google documents it: reviews come newest (created or last edited) first, only those
//! created or edited within the last week, only those with text; `tokenPagination.nextPageToken`
//! leads to the next page and is absent on the last; the reviewer's comment is the first of
//! `comments` (`userComment`), the developer's reply the second (not user feedback);
//! `lastModified.seconds` is an int64 written as a string; a title and a body written apart
//! are joined by a tab in `text`.

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use super::jwt::{assertion, SigningKey};
use super::{
    attribute, dedupe, get_json, host_of, join_title, send, text_of, PullError, Pulled, Review,
};
use crate::collect::presets::score_in;
use crate::collect::source::GooglePlaySettings;
use crate::domain::text::truncate_chars;
use crate::domain::time::parse_time;

/// Pages read in one poll: Google allows 200 reads an hour per app, and a poll usually stops
/// at the first page reaching back to the last one.
pub const MAX_PAGES: u32 = 10;
/// Reviews a page (Google's most).
pub const PAGE_SIZE: u32 = 100;

/// One page of `reviews.list`, read.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub reviews: Vec<Review>,
    pub next_page_token: Option<String>,
}

/// Reads an answer of `reviews.list`.
pub fn parse_page(body: &Value) -> Result<Page, String> {
    if !body.is_object() {
        return Err("the answer is not an object".into());
    }
    let reviews = match body.get("reviews") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a.iter().filter_map(review).collect(),
        Some(_) => return Err("reviews is not an array".into()),
    };
    let next_page_token = body
        .get("tokenPagination")
        .and_then(|t| t.get("nextPageToken"))
        .and_then(text_of);
    Ok(Page {
        reviews,
        next_page_token,
    })
}

/// A review from its reviewer's comment; `None` without a `reviewId` or a `userComment`.
fn review(r: &Value) -> Option<Review> {
    let id = r.get("reviewId").and_then(text_of)?;
    let comment = r
        .get("comments")?
        .as_array()?
        .iter()
        .find_map(|c| c.get("userComment"))?;
    let raw_text = comment.get("text").and_then(Value::as_str).unwrap_or("");
    // "In some cases users have been able to write a review with separate title and body; in
    // those cases the title and body are concatenated and separated by a tab character."
    let text = match raw_text.split_once('\t') {
        Some((title, body)) => join_title(title, body),
        None => raw_text.trim().to_owned(),
    };
    let rating = comment.get("starRating").and_then(|v| score_in(v, 1, 5));
    let updated_at = comment.get("lastModified").and_then(timestamp);
    let mut attributes = Map::new();
    for (from, to) in [
        ("appVersionName", "app_version"),
        ("device", "device"),
        ("reviewerLanguage", "reviewer_language"),
    ] {
        if let Some(v) = comment.get(from).and_then(text_of) {
            attributes.insert(to.into(), attribute(&v));
        }
    }
    if let Some(v) = comment.get("androidOsVersion").and_then(Value::as_i64) {
        attributes.insert("android_os_version".into(), json!(v));
    }
    let mut raw = Map::new();
    raw.insert("review_id".into(), json!(id));
    raw.insert("text".into(), json!(raw_text));
    raw.insert("rating".into(), json!(rating));
    for (from, to) in [
        ("originalText", "original_text"),
        ("appVersionCode", "app_version_code"),
        ("thumbsUpCount", "thumbs_up"),
        ("thumbsDownCount", "thumbs_down"),
        ("lastModified", "last_modified"),
    ] {
        if let Some(v) = comment.get(from).filter(|v| !v.is_null()) {
            raw.insert(to.into(), v.clone());
        }
    }
    Some(Review {
        key: id,
        author: r.get("authorName").and_then(text_of),
        text,
        rating,
        updated_at,
        attributes,
        context: Map::new(),
        raw,
    })
}

/// A Google `Timestamp` (`{"seconds": "1443676826", "nanos": 713000000}`; seconds a string
/// or a number, nanos possibly left out), to the microsecond (what the database keeps);
/// `None` outside 2000–2100.
fn timestamp(v: &Value) -> Option<DateTime<Utc>> {
    let seconds = parse_time(v.get("seconds")?, chrono_tz::UTC)?;
    let nanos = v
        .get("nanos")
        .and_then(Value::as_i64)
        .filter(|n| (0..1_000_000_000).contains(n))
        .unwrap_or(0);
    Some(seconds + chrono::Duration::microseconds(nanos / 1000))
}

/// What a status from the reviews endpoint usually means.
fn hint(status: u16) -> Option<&'static str> {
    match status {
        401 => Some("the access token was refused"),
        403 => Some(
            "the service account needs access to this app in Play Console, with permission to see and reply to reviews",
        ),
        404 => Some("is the package name right?"),
        429 => Some("Google allows 200 review reads an hour per app"),
        _ => None,
    }
}

/// An access token for the service account: a signed assertion posted to the token endpoint.
pub async fn access_token(
    http: &crate::domain::net::Outbound,
    settings: &GooglePlaySettings,
    now: DateTime<Utc>,
) -> Result<String, PullError> {
    let account = &settings.service_account;
    let key = SigningKey::from_pem(&account.private_key)?;
    let endpoint = settings.token_endpoint();
    let host = host_of(endpoint);
    let jwt = assertion(&key, &account.client_email, endpoint, now)?;
    let form = [
        ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
        ("assertion", jwt.as_str()),
    ];
    let (status, body) = send(
        http,
        http.post(endpoint)
            .header(reqwest::header::ACCEPT, "application/json")
            .form(&form),
        &host,
    )
    .await?;
    let answer: Option<Value> = serde_json::from_slice(&body).ok();
    if !(200..300).contains(&status) {
        let field = |k: &str| {
            answer
                .as_ref()
                .and_then(|a| a.get(k))
                .and_then(Value::as_str)
                .map(|s| truncate_chars(&crate::domain::text::controls_as_spaces(s), 200))
        };
        // OAuth error codes are ASCII words (`invalid_grant`); anything else is not repeated.
        let code = field("error").filter(|c| {
            !c.is_empty()
                && c.len() <= 64
                && c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        });
        let reason = match (&code, field("error_description")) {
            (Some(c), Some(d)) => format!("{c}: {d}"),
            (Some(c), None) => c.clone(),
            (None, _) => "no OAuth error code".to_owned(),
        };
        return Err(PullError::Token {
            host,
            status,
            reason,
            code,
        });
    }
    answer
        .as_ref()
        .and_then(|a| a.get("access_token"))
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .ok_or(PullError::Parse {
            host,
            detail: "the token answer has no access_token".into(),
        })
}

/// The URL of one page of the app's reviews.
pub fn page_url(base: &str, package: &str, token: Option<&str>) -> Result<reqwest::Url, String> {
    let mut url = reqwest::Url::parse(&format!(
        "{}/androidpublisher/v3/applications/{package}/reviews",
        base.trim_end_matches('/')
    ))
    .map_err(|e| e.to_string())?;
    url.query_pairs_mut()
        .append_pair("maxResults", &PAGE_SIZE.to_string());
    if let Some(t) = token {
        url.query_pairs_mut().append_pair("token", t);
    }
    Ok(url)
}

/// Reads the app's reviews, newest first, page after page until the last, page
/// [`MAX_PAGES`], or a page that reaches back before `since` (the newest review time of the
/// last poll: the rest were read then).
pub async fn pull(
    http: &crate::domain::net::Outbound,
    settings: &GooglePlaySettings,
    since: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<Pulled, PullError> {
    let token = access_token(http, settings, now).await?;
    let base = settings.base();
    let host = host_of(base);
    let mut pulled = Pulled::default();
    let mut page_token: Option<String> = None;
    for n in 1..=MAX_PAGES {
        let url = page_url(base, &settings.package, page_token.as_deref()).map_err(|detail| {
            PullError::Parse {
                host: host.clone(),
                detail,
            }
        })?;
        let body = get_json(http, http.get(url).bearer_auth(&token), &host, hint).await?;
        let page = parse_page(&body).map_err(|detail| PullError::Parse {
            host: host.clone(),
            detail,
        })?;
        pulled.pages = n;
        let reaches_back = since.is_some_and(|since| {
            page.reviews
                .iter()
                .filter_map(|r| r.updated_at)
                .min()
                .is_some_and(|oldest| oldest < since)
        });
        pulled.reviews.extend(page.reviews);
        match page.next_page_token {
            Some(t) if !reaches_back && Some(&t) != page_token.as_ref() => page_token = Some(t),
            _ => break,
        }
    }
    dedupe(&mut pulled.reviews);
    Ok(pulled)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const LIST: &str = include_str!("../../../tests/fixtures/stores/google_play_reviews_list.json");

    #[test]
    fn the_documented_list() {
        let page = parse_page(&serde_json::from_str(LIST).unwrap()).unwrap();
        assert_eq!(page.next_page_token.as_deref(), Some("12334566"));
        let [jane, john] = page.reviews.as_slice() else {
            panic!("two reviews")
        };
        assert_eq!(jane.key, "12345678");
        assert_eq!(jane.author.as_deref(), Some("Jane Bloggs"));
        assert_eq!(jane.text, "This is the best app ever!");
        assert_eq!(jane.rating, Some(5));
        // "seconds" is a string; 713000000 nanos are 713 ms.
        assert_eq!(
            jane.updated_at,
            Some(Utc.timestamp_opt(1_443_676_826, 713_000_000).unwrap())
        );
        assert!(jane.attributes.is_empty());

        assert_eq!(john.key, "11223344");
        assert_eq!(
            john.text, "I love using this app!",
            "not the developer's reply"
        );
        assert_eq!(john.attributes["app_version"], "1.2.3");
        assert_eq!(john.attributes["device"], "trltecan");
        assert_eq!(john.attributes["android_os_version"], 21);
        assert_eq!(john.attributes["reviewer_language"], "en");
        assert_eq!(john.raw["thumbs_up"], 10);
        // The example's "141582134" is 1974: not a time of this era, so none (the poller
        // then takes the fetch time).
        assert_eq!(john.updated_at, None);
    }

    #[test]
    fn a_translated_review_keeps_its_original() {
        let body: Value = serde_json::from_str(include_str!(
            "../../../tests/fixtures/stores/google_play_review_translated.json"
        ))
        .unwrap();
        let page = parse_page(&json!({"reviews": [body]})).unwrap();
        assert_eq!(page.reviews[0].text, "This is the best app ever!");
        assert_eq!(
            page.reviews[0].raw["original_text"],
            "Dies ist die beste App überhaupt!"
        );
        assert_eq!(page.next_page_token, None);
    }

    #[test]
    fn titles_numbers_and_odd_reviews() {
        let body = json!({"reviews": [
            {"reviewId": "a", "comments": [{"userComment": {
                "text": "闪退\t打开就闪退", "starRating": 1,
                "lastModified": {"seconds": 1_790_000_000}}}]},
            {"reviewId": "b", "comments": [{"developerComment": {"text": "谢谢"}}]},
            {"authorName": "no id", "comments": [{"userComment": {"text": "x"}}]},
            {"reviewId": "c", "comments": [{"userComment": {"text": "ok", "starRating": 7}}]},
        ], "tokenPagination": {}});
        let page = parse_page(&body).unwrap();
        let keys: Vec<&str> = page.reviews.iter().map(|r| r.key.as_str()).collect();
        assert_eq!(keys, ["a", "c"]);
        let a = &page.reviews[0];
        assert_eq!(a.text, "闪退\n打开就闪退");
        assert_eq!(a.author, None);
        assert_eq!(a.updated_at, Utc.timestamp_opt(1_790_000_000, 0).single());
        assert_eq!(page.reviews[1].rating, None, "out of range");
        assert_eq!(page.next_page_token, None);
        assert!(parse_page(&json!([])).is_err());
        assert!(parse_page(&json!({"reviews": {}})).is_err());
        assert!(parse_page(&json!({})).unwrap().reviews.is_empty());
    }

    #[test]
    fn page_urls_escape_the_token() {
        let url = page_url(
            "https://androidpublisher.googleapis.com/",
            "com.example.app",
            Some("a b&c"),
        )
        .unwrap();
        assert_eq!(
            url.as_str(),
            "https://androidpublisher.googleapis.com/androidpublisher/v3/applications/com.example.app/reviews?maxResults=100&token=a+b%26c"
        );
    }
}
