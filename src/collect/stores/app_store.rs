//! App Store customer reviews, from Apple's public (undocumented) RSS feed in its JSON form:
//! `{base}/{country}/rss/customerreviews/page={n}/id={app_id}/sortby=mostrecent/json`, 50
//! reviews a page, pages 1 to 10, newest first, one storefront at a time. What the answers
//! look like is known from captured responses (2015 to 2026), not from Apple:
//!
//! - `feed.entry` is absent when there are no reviews; it may be one object rather than an
//!   array; older answers began it with the app itself, so an entry without `im:rating` is
//!   skipped rather than always the first.
//! - Every value is `{"label": "…"}`, ratings too (`"5"`); `updated` (Cupertino time, with
//!   its offset) is missing from older answers.
//! - Apple answers 200 with an empty feed when it throttles, so an empty first page says
//!   nothing about the app: the poller records it and stores nothing.

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use super::{attribute, dedupe, get_json, host_of, join_title, text_of, PullError, Pulled, Review};
use crate::collect::presets::score_in;
use crate::collect::source::AppStoreSettings;
use crate::domain::time::parse_time_str;

/// Apple serves at most ten pages (the latest 500 reviews) of a storefront.
pub const MAX_PAGES: u32 = 10;

/// The feed's URL for one page.
pub fn page_url(base: &str, country: &str, app_id: &str, page: u32) -> String {
    format!(
        "{}/{country}/rss/customerreviews/page={page}/id={app_id}/sortby=mostrecent/json",
        base.trim_end_matches('/')
    )
}

/// One page of the feed, read.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// The reviews on it, in the feed's order (newest first).
    pub reviews: Vec<Review>,
    /// The page its `last` link points at, when it has one.
    pub last_page: Option<u32>,
}

/// Reads a page of the feed (`{"feed": {…}}`); `country` makes the review keys.
pub fn parse_page(body: &Value, country: &str) -> Result<Page, String> {
    let feed = body
        .get("feed")
        .and_then(Value::as_object)
        .ok_or("there is no feed object")?;
    let entries: Vec<&Value> = match feed.get("entry") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a.iter().collect(),
        Some(one @ Value::Object(_)) => vec![one],
        Some(_) => return Err("feed.entry is neither an object nor an array".into()),
    };
    Ok(Page {
        reviews: entries
            .into_iter()
            .filter_map(|e| review(e, country))
            .collect(),
        last_page: last_page(feed.get("link")),
    })
}

/// `entry.{key}.label` as text.
fn label(entry: &Value, key: &str) -> Option<String> {
    entry
        .get(key)
        .and_then(|v| v.get("label"))
        .and_then(text_of)
}

/// An entry as a review; `None` for the app's own entry (no `im:rating`) and one without id.
fn review(entry: &Value, country: &str) -> Option<Review> {
    let rating_label = entry.get("im:rating")?.get("label")?;
    let id = label(entry, "id")?;
    let rating = score_in(rating_label, 1, 5);
    let title = label(entry, "title").unwrap_or_default();
    let content = label(entry, "content").unwrap_or_default();
    let version = label(entry, "im:version");
    let updated = label(entry, "updated");
    // Apple writes Cupertino time with its offset; a time without one is read there too.
    let updated_at = updated
        .as_deref()
        .and_then(|u| parse_time_str(u, chrono_tz::America::Los_Angeles));
    let mut attributes = Map::new();
    if let Some(v) = &version {
        attributes.insert("app_version".into(), attribute(v));
    }
    let mut raw = Map::new();
    raw.insert("id".into(), json!(id));
    raw.insert("rating".into(), json!(rating));
    for (key, value) in [
        ("title", Some(&title).filter(|t| !t.is_empty())),
        ("content", Some(&content).filter(|t| !t.is_empty())),
        ("version", version.as_ref()),
        ("updated", updated.as_ref()),
        ("vote_sum", label(entry, "im:voteSum").as_ref()),
        ("vote_count", label(entry, "im:voteCount").as_ref()),
    ] {
        if let Some(v) = value {
            raw.insert(key.into(), json!(v));
        }
    }
    Some(Review {
        key: format!("{country}:{id}"),
        author: entry
            .get("author")
            .and_then(|a| a.get("name"))
            .and_then(|n| n.get("label"))
            .and_then(text_of),
        text: join_title(&title, &content),
        rating,
        updated_at,
        attributes,
        context: Map::from_iter([("country".to_owned(), json!(country))]),
        raw,
    })
}

/// The page number of the feed's `last` link. Apple points it at the XML form and repeats
/// `page=` in a `urlDesc` query, so the number is read from the path (`…/page=8/…`).
fn last_page(links: Option<&Value>) -> Option<u32> {
    let links: Vec<&Value> = match links? {
        Value::Array(a) => a.iter().collect(),
        one => vec![one],
    };
    let href = links.into_iter().find_map(|l| {
        let attrs = l.get("attributes")?;
        (attrs.get("rel")?.as_str()? == "last").then(|| attrs.get("href")?.as_str())?
    })?;
    let path = href.split('?').next()?;
    path.split('/')
        .find_map(|seg| seg.strip_prefix("page="))
        .and_then(|n| n.parse().ok())
}

/// What a status from Apple usually means.
fn hint(status: u16) -> Option<&'static str> {
    match status {
        404 => Some("is the storefront right?"),
        403 | 429 => Some("Apple may be throttling; the next poll tries again"),
        _ => None,
    }
}

/// Reads the storefront's reviews, newest first: page 1, 2 … until a page has no reviews,
/// the `last` page, page [`MAX_PAGES`], or a page that reaches back before `since` (the
/// newest review time of the last poll: the rest were read then).
pub async fn pull(
    http: &crate::domain::net::Outbound,
    settings: &AppStoreSettings,
    since: Option<DateTime<Utc>>,
) -> Result<Pulled, PullError> {
    let base = settings.base();
    let host = host_of(base);
    let mut pulled = Pulled::default();
    let mut last_known: Option<u32> = None;
    for n in 1..=MAX_PAGES {
        let url = page_url(base, &settings.country, &settings.app_id, n);
        let body = get_json(http, http.get(&url), &host, hint).await?;
        let page = parse_page(&body, &settings.country).map_err(|detail| PullError::Parse {
            host: host.clone(),
            detail,
        })?;
        pulled.pages = n;
        if page.reviews.is_empty() {
            pulled.empty_first_page = n == 1;
            // Empty before the page Apple said was last: throttled, not the end.
            pulled.cut_short = n > 1 && last_known.is_some_and(|last| n <= last);
            break;
        }
        last_known = page.last_page.or(last_known);
        let reaches_back = since.is_some_and(|since| {
            page.reviews
                .iter()
                .map(|r| r.updated_at)
                .collect::<Option<Vec<_>>>()
                .and_then(|times| times.into_iter().min())
                .is_some_and(|oldest| oldest < since)
        });
        pulled.reviews.extend(page.reviews);
        if reaches_back || page.last_page.is_some_and(|last| n >= last) {
            break;
        }
    }
    dedupe(&mut pulled.reviews);
    Ok(pulled)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn fixture(name: &str) -> Value {
        let text = match name {
            "constructed" => include_str!(
                "../../../tests/fixtures/stores/app_store_customerreviews_constructed.json"
            ),
            "2026" => include_str!(
                "../../../tests/fixtures/stores/app_store_customerreviews_2026_in_trimmed.json"
            ),
            "2015" => include_str!(
                "../../../tests/fixtures/stores/app_store_customerreviews_2015_jp_captured.json"
            ),
            "empty" => include_str!(
                "../../../tests/fixtures/stores/app_store_customerreviews_2015_empty_captured.json"
            ),
            _ => unreachable!(),
        };
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn a_current_page() {
        let page = parse_page(&fixture("constructed"), "us").unwrap();
        assert_eq!(page.last_page, Some(10));
        let [first, second] = page.reviews.as_slice() else {
            panic!("two reviews")
        };
        assert_eq!(first.key, "us:14548543799");
        assert_eq!(first.rating, Some(2));
        assert_eq!(first.author.as_deref(), Some("Night Owl Reader"));
        assert_eq!(
            first.text,
            "Sync keeps failing\nSince the last update my notes don't sync between iPad and iPhone.\nI have to reinstall every few days."
        );
        // 04:24:23 in Cupertino (-07:00) is 11:24:23 UTC.
        assert_eq!(
            first.updated_at,
            Some(Utc.with_ymd_and_hms(2026, 9, 14, 11, 24, 23).unwrap())
        );
        assert_eq!(first.attributes["app_version"], "4.12.0");
        assert_eq!(first.context["country"], "us");
        assert_eq!(first.raw["vote_count"], "0");
        assert_eq!(second.key, "us:14546012345");
        assert_eq!(second.rating, Some(5));
        assert_eq!(second.text, "Great app\nDoes exactly what I need.");
    }

    #[test]
    fn a_trimmed_2026_capture() {
        let page = parse_page(&fixture("2026"), "in").unwrap();
        assert_eq!(page.last_page, None, "the capture has no links");
        assert_eq!(page.reviews.len(), 2);
        let r = &page.reviews[1];
        assert_eq!(r.key, "in:14545746087");
        assert_eq!(r.rating, Some(1));
        assert_eq!(r.author.as_deref(), Some("Ankit"));
        assert_eq!(
            r.updated_at,
            Some(Utc.with_ymd_and_hms(2026, 9, 10, 18, 2, 0).unwrap())
        );
    }

    #[test]
    fn a_2015_capture_begins_with_the_app_and_has_no_times() {
        let page = parse_page(&fixture("2015"), "jp").unwrap();
        // 51 entries: the app itself, then 50 reviews.
        assert_eq!(page.reviews.len(), 50);
        assert_eq!(page.last_page, Some(8));
        let first = &page.reviews[0];
        assert_eq!(first.key, "jp:1205430410");
        assert_eq!(first.text, "あまり\n利便性がわかりずらい");
        assert_eq!(first.rating, Some(4));
        assert_eq!(first.author.as_deref(), Some("m.aaa..."));
        assert_eq!(first.attributes["app_version"], "3.3");
        assert!(page.reviews.iter().all(|r| r.updated_at.is_none()));
        // A reviewer who wrote the title again as the text: said once.
        let apple = page
            .reviews
            .iter()
            .find(|r| r.raw["title"] == "りんご！")
            .unwrap();
        assert_eq!(apple.text, "りんご！");
        let last = page.reviews.last().unwrap();
        assert_eq!((last.key.as_str(), last.rating), ("jp:1085809035", Some(5)));
    }

    #[test]
    fn an_empty_feed_has_no_entry_and_empty_links() {
        let page = parse_page(&fixture("empty"), "jp").unwrap();
        assert!(page.reviews.is_empty());
        assert_eq!(page.last_page, None);
    }

    #[test]
    fn one_entry_as_an_object() {
        let mut body = fixture("2026");
        let first = body["feed"]["entry"][0].clone();
        body["feed"]["entry"] = first;
        let page = parse_page(&body, "in").unwrap();
        assert_eq!(page.reviews.len(), 1);
        assert_eq!(page.reviews[0].key, "in:14548543799");
    }

    #[test]
    fn odd_entries() {
        let body = json!({"feed": {"entry": [
            {"id": {"label": "1"}, "title": {"label": "the app, no rating"}},
            {"im:rating": {"label": "5"}, "title": {"label": "no id"}},
            {"im:rating": {"label": "9"}, "id": {"label": "2"}, "content": {"label": "评分不对"},
             "updated": {"label": "2026-01-05T10:00:00"}},
        ]}});
        let page = parse_page(&body, "cn").unwrap();
        let [r] = page.reviews.as_slice() else {
            panic!("one review")
        };
        assert_eq!((r.key.as_str(), r.rating), ("cn:2", None));
        assert_eq!(r.text, "评分不对");
        // No offset: Cupertino time (PST in January, -08:00).
        assert_eq!(
            r.updated_at,
            Some(Utc.with_ymd_and_hms(2026, 1, 5, 18, 0, 0).unwrap())
        );
        assert!(parse_page(&json!({"nofeed": 1}), "cn").is_err());
        assert!(parse_page(&json!({"feed": {"entry": "x"}}), "cn").is_err());
    }

    #[test]
    fn urls() {
        assert_eq!(
            page_url("https://itunes.apple.com/", "cn", "1234567890", 3),
            "https://itunes.apple.com/cn/rss/customerreviews/page=3/id=1234567890/sortby=mostrecent/json"
        );
        let links = json!([{"attributes": {"rel": "last", "href": "https://itunes.apple.com/jp/rss/customerreviews/page=8/id=1/sortby=mostrecent/xml?urlDesc=/customerreviews/page=1/id=1/sortby=mostrecent/json"}}]);
        assert_eq!(last_page(Some(&links)), Some(8));
        let empty = json!({"attributes": {"rel": "last", "href": ""}});
        assert_eq!(last_page(Some(&empty)), None);
    }
}
