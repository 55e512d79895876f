//! Sources as the product knows them: a webhook endpoint (an optional field mapping) or a
//! social feed (URL, brand keywords, poll interval). One validation per kind, used when a
//! source is created and when it is changed, so the two cannot drift apart.

use serde_json::{json, Value};

use super::webhook::FieldMapping;
use crate::domain::FieldError;

/// Shortest and longest time between two polls of a feed, in seconds.
pub const MIN_INTERVAL: u64 = 60;
pub const MAX_INTERVAL: u64 = 86_400;
/// A feed's poll interval when none is given.
pub const DEFAULT_INTERVAL: u64 = 900;
/// Brand keywords per feed, and characters per keyword.
const MAX_KEYWORDS: usize = 100;
const MAX_KEYWORD_CHARS: usize = 50;

/// What a source is; stored as its name (`webhook`, `feed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    Webhook,
    Feed,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Webhook => "webhook",
            SourceKind::Feed => "feed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "webhook" => Some(SourceKind::Webhook),
            "feed" => Some(SourceKind::Feed),
            _ => None,
        }
    }
}

/// A feed's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedSettings {
    pub url: String,
    /// Entries are kept when they mention one of these (all are kept when there are none).
    pub keywords: Vec<String>,
    pub interval_secs: u64,
}

/// A source's settings, by kind.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceSettings {
    Webhook { mapping: Option<FieldMapping> },
    Feed(FeedSettings),
}

/// What a create or patch request says about settings; absent fields are `None`, and
/// `mapping: Some(None)` is an explicit `null` (remove the mapping).
#[derive(Debug, Default)]
pub struct SettingsChange {
    pub mapping: Option<Option<FieldMapping>>,
    pub url: Option<String>,
    pub keywords: Option<Vec<String>>,
    pub interval_secs: Option<u64>,
}

impl SourceSettings {
    pub fn kind(&self) -> SourceKind {
        match self {
            SourceSettings::Webhook { .. } => SourceKind::Webhook,
            SourceSettings::Feed(_) => SourceKind::Feed,
        }
    }

    /// Settings as stored (what [`SourceSettings::to_value`] wrote). Stored rows were valid
    /// when written; a field that no longer reads falls back to its default.
    pub fn from_stored(kind: SourceKind, stored: &Value) -> Self {
        match kind {
            SourceKind::Webhook => SourceSettings::Webhook {
                mapping: stored_mapping(stored),
            },
            SourceKind::Feed => SourceSettings::Feed(FeedSettings::from_stored(stored)),
        }
    }

    pub fn to_value(&self) -> Value {
        match self {
            SourceSettings::Webhook { mapping } => json!({ "mapping": mapping }),
            SourceSettings::Feed(f) => json!({
                "url": f.url,
                "keywords": f.keywords,
                "interval_secs": f.interval_secs,
            }),
        }
    }

    /// New settings of `kind` from a create request.
    pub fn create(kind: SourceKind, change: SettingsChange) -> Result<Self, FieldError> {
        let blank = match kind {
            SourceKind::Webhook => SourceSettings::Webhook { mapping: None },
            SourceKind::Feed => SourceSettings::Feed(FeedSettings {
                url: String::new(),
                keywords: Vec::new(),
                interval_secs: DEFAULT_INTERVAL,
            }),
        };
        if kind == SourceKind::Feed && change.url.is_none() {
            return Err(FieldError::new("/url", "is required for a feed"));
        }
        blank.changed(change)
    }

    /// These settings with a request's changes applied, checked as a whole.
    pub fn changed(&self, change: SettingsChange) -> Result<Self, FieldError> {
        match self {
            SourceSettings::Webhook { mapping } => {
                let feed_only = [
                    ("/url", change.url.is_some()),
                    (
                        "/keywords",
                        change.keywords.as_ref().is_some_and(|k| !k.is_empty()),
                    ),
                    ("/interval_secs", change.interval_secs.is_some()),
                ];
                if let Some((field, _)) = feed_only.iter().find(|(_, given)| *given) {
                    return Err(FieldError::new(*field, "belongs to feed sources"));
                }
                let mapping = change.mapping.unwrap_or_else(|| mapping.clone());
                if let Some(m) = &mapping {
                    m.validate()?;
                }
                Ok(SourceSettings::Webhook { mapping })
            }
            SourceSettings::Feed(f) => {
                if change.mapping.is_some() {
                    return Err(FieldError::new(
                        "/mapping",
                        "mapping belongs to webhook sources",
                    ));
                }
                let feed = FeedSettings {
                    url: change.url.unwrap_or_else(|| f.url.clone()),
                    keywords: change
                        .keywords
                        .map(|k| k.iter().map(|w| w.trim().to_owned()).collect())
                        .unwrap_or_else(|| f.keywords.clone()),
                    interval_secs: change.interval_secs.unwrap_or(f.interval_secs),
                };
                feed.check()?;
                Ok(SourceSettings::Feed(feed))
            }
        }
    }
}

/// A webhook's field mapping as stored; `None` when it has none.
pub fn stored_mapping(stored: &Value) -> Option<FieldMapping> {
    stored
        .get("mapping")
        .filter(|m| !m.is_null())
        .and_then(|m| serde_json::from_value(m.clone()).ok())
}

impl FeedSettings {
    /// A feed's settings as stored.
    pub fn from_stored(stored: &Value) -> Self {
        FeedSettings {
            url: stored
                .get("url")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            keywords: stored
                .get("keywords")
                .and_then(|k| serde_json::from_value(k.clone()).ok())
                .unwrap_or_default(),
            interval_secs: stored
                .get("interval_secs")
                .and_then(Value::as_u64)
                .unwrap_or(DEFAULT_INTERVAL),
        }
    }

    fn check(&self) -> Result<(), FieldError> {
        let url_error = || FieldError::new("/url", "must be an absolute http(s) URL");
        let parsed = reqwest::Url::parse(&self.url).map_err(|_| url_error())?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(url_error());
        }
        if self.keywords.len() > MAX_KEYWORDS {
            return Err(FieldError::new(
                "/keywords",
                format!("at most {MAX_KEYWORDS} items"),
            ));
        }
        for (i, k) in self.keywords.iter().enumerate() {
            let n = k.trim().chars().count();
            if n == 0 || n > MAX_KEYWORD_CHARS {
                return Err(FieldError::new(
                    format!("/keywords/{i}"),
                    format!("must be 1 to {MAX_KEYWORD_CHARS} characters"),
                ));
            }
        }
        if !(MIN_INTERVAL..=MAX_INTERVAL).contains(&self.interval_secs) {
            return Err(FieldError::new(
                "/interval_secs",
                format!("must be from {MIN_INTERVAL} to {MAX_INTERVAL}"),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed_change(url: &str) -> SettingsChange {
        SettingsChange {
            url: Some(url.into()),
            keywords: Some(vec![" 听见 ".into()]),
            ..Default::default()
        }
    }

    #[test]
    fn create_and_patch_judge_a_feed_alike() {
        let feed =
            SourceSettings::create(SourceKind::Feed, feed_change("https://r.example/a")).unwrap();
        let SourceSettings::Feed(f) = &feed else {
            panic!("a feed")
        };
        assert_eq!(f.keywords, vec!["听见"]);
        assert_eq!(f.interval_secs, DEFAULT_INTERVAL);
        // The same bad URL is refused the same way whether it comes with the source or later.
        let bad = SourceSettings::create(SourceKind::Feed, feed_change("ftp://x")).unwrap_err();
        let later = feed.changed(feed_change("ftp://x")).unwrap_err();
        assert_eq!(bad, later);
        assert_eq!(bad.field, "/url");
        let no_url = SourceSettings::create(SourceKind::Feed, SettingsChange::default());
        assert_eq!(no_url.unwrap_err().field, "/url");
        let slow = feed.changed(SettingsChange {
            interval_secs: Some(10),
            ..Default::default()
        });
        assert_eq!(slow.unwrap_err().field, "/interval_secs");
        let mapping = feed.changed(SettingsChange {
            mapping: Some(None),
            ..Default::default()
        });
        assert_eq!(mapping.unwrap_err().field, "/mapping");
    }

    #[test]
    fn a_webhook_refuses_feed_fields_on_create_and_patch_alike() {
        let hook = SourceSettings::create(SourceKind::Webhook, SettingsChange::default()).unwrap();
        assert_eq!(hook, SourceSettings::Webhook { mapping: None });
        let on_create = SourceSettings::create(
            SourceKind::Webhook,
            SettingsChange {
                url: Some("https://x".into()),
                ..Default::default()
            },
        )
        .unwrap_err();
        let on_patch = hook
            .changed(SettingsChange {
                url: Some("https://x".into()),
                ..Default::default()
            })
            .unwrap_err();
        assert_eq!(on_create, on_patch);
        assert_eq!(on_create.field, "/url");
    }

    #[test]
    fn stored_settings_read_back() {
        for s in [
            SourceSettings::Webhook { mapping: None },
            SourceSettings::Feed(FeedSettings {
                url: "https://r.example/a".into(),
                keywords: vec!["听见".into()],
                interval_secs: 600,
            }),
        ] {
            assert_eq!(SourceSettings::from_stored(s.kind(), &s.to_value()), s);
        }
    }
}
