//! Sources as the product knows them: a webhook endpoint (the tool it takes deliveries from,
//! an optional field mapping, the tool's API token) or a social feed (URL, brand keywords,
//! poll interval). One validation per kind, used when a source is created and when it is
//! changed, so the two cannot drift apart.

use std::collections::BTreeMap;

use rand::RngCore;
use serde_json::{json, Map, Value};

use super::presets::Preset;
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

/// A webhook's settings.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WebhookSettings {
    /// The tool whose deliveries it takes as they are sent.
    pub preset: Option<Preset>,
    /// JSON Pointers into another shape (the standard preset only).
    pub mapping: Option<FieldMapping>,
    /// The unguessable token its URL carries when deliveries are not signed.
    pub url_token: Option<String>,
    /// A token for the tool's API, to read a response the tool announces by id
    /// (SurveyMonkey) or question titles it leaves out.
    pub api_token: Option<String>,
    /// The tool's API base URL, replacing the documented one (a mirror, a proxy, a test).
    pub api_url: Option<String>,
    /// Which question holds which score, for tools whose payload does not say (问卷星 sends
    /// `"q7": "10"` without saying q7 is the NPS question): `{"nps": "q7", "rating": "q4"}`.
    pub score_questions: BTreeMap<String, String>,
}

impl WebhookSettings {
    pub fn preset(&self) -> Preset {
        self.preset.unwrap_or(Preset::Standard)
    }
}

/// A source's settings, by kind.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceSettings {
    Webhook(Box<WebhookSettings>),
    Feed(FeedSettings),
}

/// What a create or patch request says about settings; absent fields are `None`, and
/// `Some(None)` is an explicit `null` (remove it).
#[derive(Debug, Default)]
pub struct SettingsChange {
    pub preset: Option<String>,
    pub mapping: Option<Option<FieldMapping>>,
    pub url: Option<String>,
    pub keywords: Option<Vec<String>>,
    pub interval_secs: Option<u64>,
    pub api_token: Option<Option<String>>,
    pub score_questions: Option<BTreeMap<String, String>>,
}

impl SourceSettings {
    pub fn kind(&self) -> SourceKind {
        match self {
            SourceSettings::Webhook(_) => SourceKind::Webhook,
            SourceSettings::Feed(_) => SourceKind::Feed,
        }
    }

    /// Settings as stored (what [`SourceSettings::to_value`] wrote). Stored rows were valid
    /// when written; a field that no longer reads falls back to its default.
    pub fn from_stored(kind: SourceKind, stored: &Value) -> Self {
        match kind {
            SourceKind::Webhook => {
                SourceSettings::Webhook(Box::new(WebhookSettings::from_stored(stored)))
            }
            SourceKind::Feed => SourceSettings::Feed(FeedSettings::from_stored(stored)),
        }
    }

    pub fn to_value(&self) -> Value {
        match self {
            SourceSettings::Webhook(w) => w.to_value(),
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
            SourceKind::Webhook => SourceSettings::Webhook(Box::default()),
            SourceKind::Feed => SourceSettings::Feed(FeedSettings {
                url: String::new(),
                keywords: Vec::new(),
                interval_secs: DEFAULT_INTERVAL,
            }),
        };
        if kind == SourceKind::Feed && change.url.is_none() {
            return Err(FieldError::new("/url", "is required for a feed"));
        }
        blank.apply(change, true)
    }

    /// These settings with a request's changes applied, checked as a whole.
    pub fn changed(&self, change: SettingsChange) -> Result<Self, FieldError> {
        self.apply(change, false)
    }

    /// `creating`: the settings are a new source's blank ones, so any preset may be chosen;
    /// afterwards the preset stays what it was.
    fn apply(&self, change: SettingsChange, creating: bool) -> Result<Self, FieldError> {
        match self {
            SourceSettings::Webhook(w) => {
                let preset = match change.preset.as_deref() {
                    None => w.preset(),
                    Some(p) => {
                        let p = Preset::parse(p).ok_or_else(|| {
                            FieldError::new("/preset", format!("must be one of {}", preset_names()))
                        })?;
                        if p != w.preset() && (w.preset.is_some() || !creating) {
                            return Err(FieldError::new(
                                "/preset",
                                "cannot change: create a new source for another tool",
                            ));
                        }
                        p
                    }
                };
                // Only SurveyMonkey announces responses by id, to be read from its API.
                let fetches = preset == Preset::SurveyMonkey;
                if !fetches && change.api_token.as_ref().is_some_and(Option::is_some) {
                    return Err(FieldError::new(
                        "/api_token",
                        format!(
                            "{} sends its answers itself; an API token is for SurveyMonkey sources",
                            preset.display_name()
                        ),
                    ));
                }
                let feed_only = [
                    ("/url", change.url.is_some() && !fetches),
                    (
                        "/keywords",
                        change.keywords.as_ref().is_some_and(|k| !k.is_empty()),
                    ),
                    ("/interval_secs", change.interval_secs.is_some()),
                ];
                if let Some((field, _)) = feed_only.iter().find(|(_, given)| *given) {
                    return Err(FieldError::new(*field, "belongs to feed sources"));
                }
                let mapping = change.mapping.unwrap_or_else(|| w.mapping.clone());
                if let Some(m) = &mapping {
                    if preset != Preset::Standard {
                        return Err(FieldError::new(
                            "/mapping",
                            "a preset reads its tool's payload itself; a mapping is for the standard preset",
                        ));
                    }
                    m.validate()?;
                }
                let api_url = match change.url {
                    Some(u) => Some(check_http_url(&u, "/url")?),
                    None => w.api_url.clone(),
                };
                let api_token = match change.api_token {
                    Some(Some(t)) => {
                        let t = t.trim();
                        if t.is_empty() || t.chars().count() > 2048 {
                            return Err(FieldError::new(
                                "/api_token",
                                "must be 1 to 2048 characters",
                            ));
                        }
                        Some(t.to_owned())
                    }
                    Some(None) => None,
                    None => w.api_token.clone(),
                };
                let score_questions = match change.score_questions {
                    Some(m) => {
                        if preset == Preset::Standard && !m.is_empty() {
                            return Err(FieldError::new(
                                "/score_questions",
                                "is for presets; a mapping names its scores itself",
                            ));
                        }
                        for (kind, q) in &m {
                            if !matches!(kind.as_str(), "nps" | "csat" | "ces" | "rating") {
                                return Err(FieldError::new(
                                    format!("/score_questions/{kind}"),
                                    "unknown score (expected nps, csat, ces or rating)",
                                ));
                            }
                            if q.trim().is_empty() || q.chars().count() > 100 {
                                return Err(FieldError::new(
                                    format!("/score_questions/{kind}"),
                                    "must be a question id of 1 to 100 characters",
                                ));
                            }
                        }
                        m
                    }
                    None => w.score_questions.clone(),
                };
                Ok(SourceSettings::Webhook(Box::new(WebhookSettings {
                    preset: (preset != Preset::Standard).then_some(preset),
                    mapping,
                    url_token: w.url_token.clone(),
                    api_token,
                    api_url,
                    score_questions,
                })))
            }
            SourceSettings::Feed(f) => {
                if change.mapping.is_some() {
                    return Err(FieldError::new(
                        "/mapping",
                        "mapping belongs to webhook sources",
                    ));
                }
                if change.preset.is_some()
                    || change.api_token.is_some()
                    || change.score_questions.is_some()
                {
                    let field = if change.preset.is_some() {
                        "/preset"
                    } else if change.api_token.is_some() {
                        "/api_token"
                    } else {
                        "/score_questions"
                    };
                    return Err(FieldError::new(field, "belongs to webhook sources"));
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

/// The presets' names, for error messages.
fn preset_names() -> String {
    Preset::ALL
        .iter()
        .map(|p| p.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// An absolute http(s) URL.
fn check_http_url(url: &str, field: &str) -> Result<String, FieldError> {
    let url_error = || FieldError::new(field, "must be an absolute http(s) URL");
    let parsed = reqwest::Url::parse(url.trim()).map_err(|_| url_error())?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(url_error());
    }
    Ok(url.trim().to_owned())
}

/// A new URL token: 24 random bytes in base64url (no padding), safe in a query string.
pub fn generate_url_token() -> String {
    use base64::Engine;
    let mut bytes = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

impl WebhookSettings {
    /// A webhook's settings as stored.
    pub fn from_stored(stored: &Value) -> Self {
        let text = |k: &str| {
            stored
                .get(k)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .filter(|s| !s.is_empty())
        };
        WebhookSettings {
            preset: text("preset").and_then(|p| Preset::parse(&p)),
            mapping: stored
                .get("mapping")
                .filter(|m| !m.is_null())
                .and_then(|m| serde_json::from_value(m.clone()).ok()),
            url_token: text("url_token"),
            api_token: text("api_token"),
            api_url: text("api_url"),
            score_questions: stored
                .get("score_questions")
                .and_then(|m| serde_json::from_value(m.clone()).ok())
                .unwrap_or_default(),
        }
    }

    /// As stored: the mapping always (as before presets), the rest when set.
    pub fn to_value(&self) -> Value {
        let mut out = Map::new();
        out.insert("mapping".into(), json!(self.mapping));
        if let Some(p) = self.preset {
            out.insert("preset".into(), json!(p.as_str()));
        }
        for (k, v) in [
            ("url_token", &self.url_token),
            ("api_token", &self.api_token),
            ("api_url", &self.api_url),
        ] {
            if let Some(v) = v {
                out.insert(k.into(), json!(v));
            }
        }
        if !self.score_questions.is_empty() {
            out.insert("score_questions".into(), json!(self.score_questions));
        }
        Value::Object(out)
    }
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
        check_http_url(&self.url, "/url")?;
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
        assert_eq!(hook, SourceSettings::Webhook(Box::default()));
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
            SourceSettings::Webhook(Box::default()),
            SourceSettings::Webhook(Box::new(WebhookSettings {
                preset: Some(Preset::Typeform),
                url_token: Some("t".into()),
                api_token: Some("k".into()),
                ..Default::default()
            })),
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
