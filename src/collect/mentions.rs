//! Mentions pushed by a monitoring tool as JSON (`POST /api/v1/mentions`): validated all or
//! nothing, each turned into social feedback under a stable key.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::platform::{bounded_key, is_http_url, MAX_AUTHOR_CHARS, MAX_KEY_CHARS};
use crate::domain::{stable_id, Channel, FeedbackText, FieldError, Joint, NewFeedback, Scores};

/// Most mentions accepted in one push.
pub const MAX_MENTIONS: usize = 1000;

/// Field errors reported for one push at most, so a broken 1000-item batch gives a readable answer.
const MAX_REPORTED_ERRORS: usize = 100;

/// One validated pushed mention.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mention {
    pub platform: String,
    pub url: Option<String>,
    pub text: String,
    pub author: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub external_id: Option<String>,
    /// The post's star rating or survey scores, when the monitoring tool has them.
    pub scores: Scores,
}

impl Mention {
    /// The dedupe key: the sender's id, else the post URL, else a hash of platform, author and
    /// text, so pushing the same batch twice never stores a post twice.
    pub fn dedupe_key(&self) -> String {
        if let Some(id) = &self.external_id {
            return id.clone();
        }
        if let Some(url) = &self.url {
            return bounded_key(url);
        }
        stable_id(
            Joint::UnitSeparator,
            &[
                self.platform.as_str(),
                self.author.as_deref().unwrap_or(""),
                self.text.trim(),
            ],
        )
    }
}

/// Validates `{"items": [{"platform", "text", "url"?, "author"?, "published_at"?, "id"?,
/// "rating"?, "scores"?}]}`. All or nothing: any invalid item rejects the push, with JSON
/// Pointers (`/items/3/text`) for every problem found (the first 100). Local times are read in
/// `tz`.
pub fn parse_mentions(
    body: &Value,
    now: DateTime<Utc>,
    tz: chrono_tz::Tz,
) -> Result<Vec<NewFeedback>, Vec<FieldError>> {
    let Some(obj) = body.as_object() else {
        return Err(vec![FieldError::new(
            "",
            "must be a JSON object with an `items` array",
        )]);
    };
    let items = match obj.get("items") {
        Some(Value::Array(a)) => a,
        Some(_) => return Err(vec![FieldError::new("/items", "must be an array")]),
        None => return Err(vec![FieldError::new("/items", "is required")]),
    };
    if items.is_empty() || items.len() > MAX_MENTIONS {
        return Err(vec![FieldError::new(
            "/items",
            format!("must hold 1 to {MAX_MENTIONS} mentions"),
        )]);
    }

    let mut errors = Vec::new();
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let ptr = format!("/items/{i}");
        if let Some((m, text)) = parse_mention(tz, item, &ptr, &mut errors) {
            if let Some(t) = m.published_at {
                if !crate::domain::time::occurred_within(t, now) {
                    errors.push(FieldError::new(
                        format!("{ptr}/published_at"),
                        crate::domain::time::OCCURRED_WINDOW,
                    ));
                    continue;
                }
            }
            out.push(mention_to_feedback(m, text, now));
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        errors.truncate(MAX_REPORTED_ERRORS);
        Err(errors)
    }
}

fn parse_mention(
    tz: chrono_tz::Tz,
    item: &Value,
    ptr: &str,
    errors: &mut Vec<FieldError>,
) -> Option<(Mention, FeedbackText)> {
    let Some(obj) = item.as_object() else {
        errors.push(FieldError::new(ptr, "must be an object"));
        return None;
    };
    let before = errors.len();

    // Platform names become part of the source key (`mentions:weibo`); lowercasing first keeps
    // `Weibo` and `weibo` in one source.
    let platform = match obj.get("platform") {
        Some(Value::String(s)) => {
            let p = s.trim().to_ascii_lowercase();
            let ok = !p.is_empty()
                && p.len() <= 32
                && p.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-'
                });
            if !ok {
                errors.push(FieldError::new(
                    format!("{ptr}/platform"),
                    "must be 1 to 32 characters of a-z, 0-9, _ or -",
                ));
            }
            p
        }
        Some(Value::Null) | None => {
            errors.push(FieldError::new(format!("{ptr}/platform"), "is required"));
            String::new()
        }
        Some(_) => {
            errors.push(FieldError::new(
                format!("{ptr}/platform"),
                "must be a string",
            ));
            String::new()
        }
    };

    let text = match obj.get("text") {
        Some(Value::String(s)) => match FeedbackText::parse(s) {
            Ok(t) => Some(t),
            Err(m) => {
                errors.push(FieldError::new(format!("{ptr}/text"), m));
                None
            }
        },
        Some(Value::Null) | None => {
            errors.push(FieldError::new(format!("{ptr}/text"), "is required"));
            None
        }
        Some(_) => {
            errors.push(FieldError::new(format!("{ptr}/text"), "must be a string"));
            None
        }
    };

    let url = match optional_string(obj.get("url"), &format!("{ptr}/url"), errors) {
        Some(u) if !is_http_url(&u) => {
            errors.push(FieldError::new(
                format!("{ptr}/url"),
                "must be an http(s) URL of at most 2048 characters",
            ));
            None
        }
        other => other,
    };

    let author = match optional_string(obj.get("author"), &format!("{ptr}/author"), errors) {
        Some(a) if a.chars().count() > MAX_AUTHOR_CHARS => {
            errors.push(FieldError::new(
                format!("{ptr}/author"),
                "must be at most 200 characters",
            ));
            None
        }
        other => other,
    };

    let published_at = match obj.get("published_at") {
        None | Some(Value::Null) => None,
        Some(Value::String(t)) if t.trim().is_empty() => None,
        Some(v @ (Value::String(_) | Value::Number(_))) => {
            let t = crate::domain::time::parse_time(v, tz);
            if t.is_none() {
                errors.push(FieldError::new(
                    format!("{ptr}/published_at"),
                    "must be a time such as 2024-05-01T12:00:00+08:00, 2024-05-01 12:00:00 \
                     (in the workspace's zone), or epoch seconds or milliseconds",
                ));
            }
            t
        }
        Some(_) => {
            errors.push(FieldError::new(
                format!("{ptr}/published_at"),
                "must be a string",
            ));
            None
        }
    };

    // A star rating given on its own (`rating`), and scores (`scores`: nps, csat, ces,
    // rating), kept with the item.
    let mut scores = match obj.get("scores") {
        None | Some(Value::Null) => Scores::default(),
        Some(v) => Scores::parse(v, &format!("{ptr}/scores")).unwrap_or_else(|e| {
            errors.push(e);
            Scores::default()
        }),
    };
    match obj.get("rating") {
        None | Some(Value::Null) => {}
        Some(v) => match crate::domain::parse_score(v, 1, 5) {
            Ok(r) => scores.rating = Some(r),
            Err(m) => errors.push(FieldError::new(format!("{ptr}/rating"), m)),
        },
    }

    // Platform ids are often large integers (Weibo mids); accept them as numbers too.
    let external_id = match obj.get("id") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Some(n.to_string()),
        Some(Value::String(s)) => {
            let s = s.trim();
            if s.chars().count() > MAX_KEY_CHARS {
                errors.push(FieldError::new(
                    format!("{ptr}/id"),
                    "must be at most 256 characters",
                ));
                None
            } else {
                (!s.is_empty()).then(|| s.to_owned())
            }
        }
        Some(_) => {
            errors.push(FieldError::new(
                format!("{ptr}/id"),
                "must be a string or an integer",
            ));
            None
        }
    };

    if errors.len() != before {
        return None;
    }
    let text = text?;
    Some((
        Mention {
            platform,
            url,
            text: text.as_str().to_owned(),
            author,
            published_at,
            external_id,
            scores,
        },
        text,
    ))
}

/// A trimmed optional string: absent, null and blank are all "not given".
fn optional_string(v: Option<&Value>, field: &str, errors: &mut Vec<FieldError>) -> Option<String> {
    match v {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => {
            let t = s.trim();
            (!t.is_empty()).then(|| t.to_owned())
        }
        Some(_) => {
            errors.push(FieldError::new(field, "must be a string"));
            None
        }
    }
}

fn mention_to_feedback(m: Mention, text: FeedbackText, now: DateTime<Utc>) -> NewFeedback {
    let external_id = m.dedupe_key();
    let mut context = Map::new();
    if let Some(url) = &m.url {
        context.insert("url".into(), Value::String(url.clone()));
    }
    context.insert("platform".into(), Value::String(m.platform.clone()));
    NewFeedback {
        channel: Channel::Social,
        source_key: format!("mentions:{}", m.platform),
        source_id: None,
        external_id: Some(external_id),
        respondent_id: None,
        author: m.author,
        text,
        scores: m.scores,
        attributes: Map::new(),
        context,
        occurred_at: m.published_at.unwrap_or(now),
        response_id: None,
        analysis: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::MAX_TEXT_CHARS;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 6, 1, 0, 0, 0).unwrap()
    }

    #[test]
    fn mentions_valid_batch() {
        let body = serde_json::json!({"items": [
            {"platform": "weibo", "url": "https://weibo.com/1/abc", "text": " 听见不错 ",
             "author": "小红", "published_at": "2024-05-01T12:00:00+08:00", "id": 4998877665544332211u64},
            {"platform": "Xiaohongshu", "text": "笔记里提到了听见", "url": "https://www.xiaohongshu.com/explore/1"},
            {"platform": "douyin", "text": "视频评论：好用", "author": "抖友"}
        ]});
        let items = parse_mentions(&body, now(), chrono_tz::UTC).unwrap();
        assert_eq!(items.len(), 3);

        assert_eq!(items[0].source_key, "mentions:weibo");
        assert_eq!(items[0].external_id.as_deref(), Some("4998877665544332211"));
        assert_eq!(items[0].text.as_str(), "听见不错");
        assert_eq!(items[0].author.as_deref(), Some("小红"));
        assert_eq!(
            items[0].occurred_at,
            Utc.with_ymd_and_hms(2024, 5, 1, 4, 0, 0).unwrap()
        );
        assert_eq!(items[0].context["platform"], "weibo");
        assert_eq!(items[0].channel, Channel::Social);

        assert_eq!(items[1].source_key, "mentions:xiaohongshu");
        assert_eq!(
            items[1].external_id.as_deref(),
            Some("https://www.xiaohongshu.com/explore/1")
        );
        assert_eq!(items[1].occurred_at, now());

        let key = items[2].external_id.clone().unwrap();
        assert_eq!(key.len(), 64);
        // A re-push gives the same key, so the store drops the duplicate.
        let again = parse_mentions(&body, now(), chrono_tz::UTC).unwrap();
        assert_eq!(again[2].external_id.as_deref(), Some(key.as_str()));
        // A different author is a different post.
        let other = serde_json::json!({"items": [{"platform": "douyin", "text": "视频评论：好用", "author": "别人"}]});
        assert_ne!(
            parse_mentions(&other, now(), chrono_tz::UTC).unwrap()[0]
                .external_id
                .as_deref(),
            Some(key.as_str())
        );
    }

    #[test]
    fn mentions_errors_have_pointers() {
        let long = "长".repeat(MAX_TEXT_CHARS + 1);
        let body = serde_json::json!({"items": [
            {"platform": "weibo", "text": "ok"},
            {"platform": "Wei bo!", "text": "x"},
            {"text": "x"},
            {"platform": "weibo", "text": "   "},
            {"platform": "weibo", "text": long},
            {"platform": "weibo", "text": "x", "url": "ftp://example.com/a"},
            {"platform": "weibo", "text": "x", "published_at": "昨天 12:00"},
            {"platform": "weibo", "text": 5, "id": 1.5, "author": ["a"]},
            "not an object"
        ]});
        let errs = parse_mentions(&body, now(), chrono_tz::UTC).unwrap_err();
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            vec![
                "/items/1/platform",
                "/items/2/platform",
                "/items/3/text",
                "/items/4/text",
                "/items/5/url",
                "/items/6/published_at",
                "/items/7/text",
                "/items/7/author",
                "/items/7/id",
                "/items/8",
            ]
        );
    }

    #[test]
    fn mentions_envelope_errors() {
        let e = parse_mentions(&serde_json::json!([1]), now(), chrono_tz::UTC).unwrap_err();
        assert_eq!(e[0].field, "");
        let e = parse_mentions(&serde_json::json!({}), now(), chrono_tz::UTC).unwrap_err();
        assert_eq!(e[0].field, "/items");
        let e =
            parse_mentions(&serde_json::json!({"items": []}), now(), chrono_tz::UTC).unwrap_err();
        assert_eq!(e[0].field, "/items");
        let many: Vec<Value> = (0..1001)
            .map(|_| serde_json::json!({"platform": "weibo", "text": "x"}))
            .collect();
        let e = parse_mentions(&serde_json::json!({ "items": many }), now(), chrono_tz::UTC)
            .unwrap_err();
        assert_eq!(e[0].field, "/items");
        let bad: Vec<Value> = (0..500).map(|_| serde_json::json!({})).collect();
        let e = parse_mentions(&serde_json::json!({ "items": bad }), now(), chrono_tz::UTC)
            .unwrap_err();
        assert_eq!(e.len(), MAX_REPORTED_ERRORS);
    }
}
