//! Sources as the product knows them: a webhook endpoint (the tool it takes deliveries from,
//! an optional field mapping, the tool's API token), a social feed (URL, brand keywords,
//! poll interval), or an app store's reviews (App Store: app id and storefront; Google Play:
//! package and service account). One validation per kind, used when a source is created and
//! when it is changed, so the two cannot drift apart.

use std::collections::BTreeMap;

use rand::RngCore;
use serde_json::{json, Map, Value};

use super::presets::Preset;
use super::stores::jwt::SigningKey;
use super::webhook::FieldMapping;
use crate::domain::FieldError;

/// Shortest and longest time between two polls of a feed, in seconds.
pub const MIN_INTERVAL: u64 = 60;
pub const MAX_INTERVAL: u64 = 86_400;
/// A feed's poll interval when none is given.
pub const DEFAULT_INTERVAL: u64 = 900;
/// An app store source's poll interval when none is given.
pub const DEFAULT_STORE_INTERVAL: u64 = 3600;
/// Brand keywords per feed, and characters per keyword.
const MAX_KEYWORDS: usize = 100;
const MAX_KEYWORD_CHARS: usize = 50;

/// What a source is; stored as its name (`webhook`, `feed`, `app_store`, `google_play`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    Webhook,
    Feed,
    /// Apple App Store customer reviews (the public RSS feed).
    AppStore,
    /// Google Play reviews (the Android Publisher API).
    GooglePlay,
}

impl SourceKind {
    pub const ALL: [SourceKind; 4] = [
        SourceKind::Webhook,
        SourceKind::Feed,
        SourceKind::AppStore,
        SourceKind::GooglePlay,
    ];

    /// The kinds Tingjian fetches from on a schedule (the others are sent to it).
    pub const PULLED: [SourceKind; 3] = [
        SourceKind::Feed,
        SourceKind::AppStore,
        SourceKind::GooglePlay,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Webhook => "webhook",
            SourceKind::Feed => "feed",
            SourceKind::AppStore => "app_store",
            SourceKind::GooglePlay => "google_play",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        SourceKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Polled by Tingjian: a feed or an app store.
    pub fn is_pulled(self) -> bool {
        SourceKind::PULLED.contains(&self)
    }

    /// The kinds' names, for error messages: `webhook, feed, app_store or google_play`.
    pub fn names() -> String {
        let names: Vec<&str> = SourceKind::ALL.iter().map(|k| k.as_str()).collect();
        match names.split_last() {
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
            None => String::new(),
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

/// An App Store source's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct AppStoreSettings {
    /// The app's numeric id (`id1234567890` in its App Store link, without `id`).
    pub app_id: String,
    /// The storefront, two lowercase letters (`cn`, `us`): reviews are per storefront.
    pub country: String,
    /// Replaces the documented endpoint's base (a mirror, a proxy, a test).
    pub url: Option<String>,
    pub interval_secs: u64,
}

impl AppStoreSettings {
    /// Where Apple serves the customer-reviews feed.
    pub const DEFAULT_BASE: &'static str = "https://itunes.apple.com";

    pub fn base(&self) -> &str {
        self.url.as_deref().unwrap_or(Self::DEFAULT_BASE)
    }
}

/// A Google Play source's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct GooglePlaySettings {
    /// The app's package name (`com.example.app`).
    pub package: String,
    pub service_account: ServiceAccount,
    /// Replaces the Android Publisher API's base (a mirror, a proxy, a test).
    pub url: Option<String>,
    /// Replaces the OAuth token endpoint.
    pub token_url: Option<String>,
    pub interval_secs: u64,
}

impl GooglePlaySettings {
    pub const DEFAULT_BASE: &'static str = "https://androidpublisher.googleapis.com";
    pub const DEFAULT_TOKEN_URL: &'static str = "https://oauth2.googleapis.com/token";

    pub fn base(&self) -> &str {
        self.url.as_deref().unwrap_or(Self::DEFAULT_BASE)
    }

    /// Where the signed assertion goes (and its `aud`): the source's `token_url`, else the key
    /// file's `token_uri` when that is Google's own (an https URL on google.com or
    /// googleapis.com: a key file from elsewhere must not send assertions to another host),
    /// else Google's documented endpoint.
    pub fn token_endpoint(&self) -> &str {
        self.token_url
            .as_deref()
            .or(self
                .service_account
                .token_uri
                .as_deref()
                .filter(|u| is_google_url(u)))
            .unwrap_or(Self::DEFAULT_TOKEN_URL)
    }
}

/// An https URL on google.com or googleapis.com (or a subdomain of either).
fn is_google_url(url: &str) -> bool {
    reqwest::Url::parse(url).is_ok_and(|u| {
        u.scheme() == "https"
            && u.host_str().is_some_and(|h| {
                ["google.com", "googleapis.com"]
                    .iter()
                    .any(|d| h == *d || h.ends_with(&format!(".{d}")))
            })
    })
}

/// What Tingjian keeps of a service account's JSON key file: whom it is, its private key,
/// and where it asks for tokens. `Debug` leaves the key out.
#[derive(Clone, PartialEq)]
pub struct ServiceAccount {
    pub client_email: String,
    /// PEM, as in the key file.
    pub private_key: String,
    pub private_key_id: Option<String>,
    pub token_uri: Option<String>,
}

impl std::fmt::Debug for ServiceAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceAccount")
            .field("client_email", &self.client_email)
            .field("private_key", &"<redacted>")
            .field("private_key_id", &self.private_key_id)
            .field("token_uri", &self.token_uri)
            .finish()
    }
}

/// A source's settings, by kind. A value lives for one request or one poll, so the sizes of
/// the kinds' settings (a webhook's mapping is the largest) need no boxing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum SourceSettings {
    Webhook(Box<WebhookSettings>),
    Feed(FeedSettings),
    AppStore(AppStoreSettings),
    GooglePlay(GooglePlaySettings),
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
    /// App Store: the app's numeric id and the storefront.
    pub app_id: Option<String>,
    pub country: Option<String>,
    /// Google Play: the package name, the service account's JSON key file, the token
    /// endpoint.
    pub package: Option<String>,
    pub service_account: Option<Value>,
    pub token_url: Option<String>,
}

impl SettingsChange {
    /// Each settings field this change gives, with the kind it belongs to.
    fn given(&self) -> [(&'static str, bool, SourceKind); 10] {
        use SourceKind::*;
        [
            ("/preset", self.preset.is_some(), Webhook),
            ("/mapping", self.mapping.is_some(), Webhook),
            ("/api_token", self.api_token.is_some(), Webhook),
            ("/score_questions", self.score_questions.is_some(), Webhook),
            ("/keywords", self.keywords.is_some(), Feed),
            ("/app_id", self.app_id.is_some(), AppStore),
            ("/country", self.country.is_some(), AppStore),
            ("/package", self.package.is_some(), GooglePlay),
            (
                "/service_account",
                self.service_account.is_some(),
                GooglePlay,
            ),
            ("/token_url", self.token_url.is_some(), GooglePlay),
        ]
    }

    /// Refuses a field of an app store kind given to a source of another kind; for an app
    /// store source, any field of another kind.
    fn refuse_foreign(&self, kind: SourceKind) -> Result<(), FieldError> {
        let stores = [SourceKind::AppStore, SourceKind::GooglePlay];
        let foreign = self.given().into_iter().find(|(_, given, owner)| {
            *given && *owner != kind && (stores.contains(&kind) || stores.contains(owner))
        });
        match foreign {
            Some((field, _, owner)) => Err(FieldError::new(
                field,
                format!("belongs to {} sources", owner.as_str()),
            )),
            None => Ok(()),
        }
    }
}

impl SourceSettings {
    pub fn kind(&self) -> SourceKind {
        match self {
            SourceSettings::Webhook(_) => SourceKind::Webhook,
            SourceSettings::Feed(_) => SourceKind::Feed,
            SourceSettings::AppStore(_) => SourceKind::AppStore,
            SourceSettings::GooglePlay(_) => SourceKind::GooglePlay,
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
            SourceKind::AppStore => SourceSettings::AppStore(AppStoreSettings::from_stored(stored)),
            SourceKind::GooglePlay => {
                SourceSettings::GooglePlay(GooglePlaySettings::from_stored(stored))
            }
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
            SourceSettings::AppStore(a) => json!({
                "app_id": a.app_id,
                "country": a.country,
                "url": a.url,
                "interval_secs": a.interval_secs,
            }),
            SourceSettings::GooglePlay(g) => json!({
                "package": g.package,
                "service_account": {
                    "client_email": g.service_account.client_email,
                    "private_key": g.service_account.private_key,
                    "private_key_id": g.service_account.private_key_id,
                    "token_uri": g.service_account.token_uri,
                },
                "url": g.url,
                "token_url": g.token_url,
                "interval_secs": g.interval_secs,
            }),
        }
    }

    /// New settings of `kind` from a create request.
    pub fn create(kind: SourceKind, change: SettingsChange) -> Result<Self, FieldError> {
        change.refuse_foreign(kind)?;
        let blank = match kind {
            SourceKind::Webhook => SourceSettings::Webhook(Box::default()),
            SourceKind::Feed => SourceSettings::Feed(FeedSettings {
                url: String::new(),
                keywords: Vec::new(),
                interval_secs: DEFAULT_INTERVAL,
            }),
            SourceKind::AppStore => {
                if change.app_id.is_none() {
                    return Err(FieldError::new(
                        "/app_id",
                        "is required for an App Store source",
                    ));
                }
                SourceSettings::AppStore(AppStoreSettings {
                    app_id: String::new(),
                    country: "cn".into(),
                    url: None,
                    interval_secs: DEFAULT_STORE_INTERVAL,
                })
            }
            SourceKind::GooglePlay => {
                if change.package.is_none() {
                    return Err(FieldError::new(
                        "/package",
                        "is required for a Google Play source",
                    ));
                }
                if change.service_account.is_none() {
                    return Err(FieldError::new(
                        "/service_account",
                        "is required for a Google Play source: the service account's JSON key file",
                    ));
                }
                SourceSettings::GooglePlay(GooglePlaySettings {
                    package: String::new(),
                    service_account: ServiceAccount::from_stored(&Value::Null),
                    url: None,
                    token_url: None,
                    interval_secs: DEFAULT_STORE_INTERVAL,
                })
            }
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
        change.refuse_foreign(self.kind())?;
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
            SourceSettings::AppStore(a) => {
                let url = match change.url {
                    Some(u) => Some(check_http_url(&u, "/url")?),
                    None => a.url.clone(),
                };
                let store = AppStoreSettings {
                    app_id: match change.app_id {
                        Some(id) => check_app_id(&id)?,
                        None => a.app_id.clone(),
                    },
                    country: match change.country {
                        Some(c) => check_country(&c)?,
                        None => a.country.clone(),
                    },
                    url,
                    interval_secs: change.interval_secs.unwrap_or(a.interval_secs),
                };
                check_interval(store.interval_secs)?;
                Ok(SourceSettings::AppStore(store))
            }
            SourceSettings::GooglePlay(g) => {
                let url = match change.url {
                    Some(u) => Some(check_http_url(&u, "/url")?),
                    None => g.url.clone(),
                };
                let token_url = match change.token_url {
                    Some(u) => Some(check_http_url(&u, "/token_url")?),
                    None => g.token_url.clone(),
                };
                let service_account = match &change.service_account {
                    Some(v) => ServiceAccount::parse(v)?,
                    None => g.service_account.clone(),
                };
                let play = GooglePlaySettings {
                    package: match change.package {
                        Some(p) => check_package(&p)?,
                        None => g.package.clone(),
                    },
                    service_account,
                    url,
                    token_url,
                    interval_secs: change.interval_secs.unwrap_or(g.interval_secs),
                };
                check_interval(play.interval_secs)?;
                Ok(SourceSettings::GooglePlay(play))
            }
        }
    }
}

/// A poll interval within [`MIN_INTERVAL`]..=[`MAX_INTERVAL`] seconds.
fn check_interval(secs: u64) -> Result<(), FieldError> {
    if !(MIN_INTERVAL..=MAX_INTERVAL).contains(&secs) {
        return Err(FieldError::new(
            "/interval_secs",
            format!("must be from {MIN_INTERVAL} to {MAX_INTERVAL}"),
        ));
    }
    Ok(())
}

/// An App Store app id: the digits of `id1234567890` in the app's link.
fn check_app_id(id: &str) -> Result<String, FieldError> {
    let id = id.trim();
    if id.is_empty() || id.len() > 20 || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FieldError::new(
            "/app_id",
            "must be the app's numeric App Store id (the digits after id in its link, e.g. 1234567890)",
        ));
    }
    Ok(id.to_owned())
}

/// A storefront: two ASCII letters, kept in lower case.
fn check_country(c: &str) -> Result<String, FieldError> {
    let c = c.trim().to_ascii_lowercase();
    if c.len() != 2 || !c.bytes().all(|b| b.is_ascii_lowercase()) {
        return Err(FieldError::new(
            "/country",
            "must be a two-letter storefront code, e.g. cn or us",
        ));
    }
    Ok(c)
}

/// An Android package name: two or more dot-separated parts, each a letter followed by
/// letters, digits or underscores.
fn check_package(p: &str) -> Result<String, FieldError> {
    let p = p.trim();
    let part_ok = |part: &str| {
        part.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    let parts: Vec<&str> = p.split('.').collect();
    if p.len() > 255 || parts.len() < 2 || !parts.iter().all(|x| part_ok(x)) {
        return Err(FieldError::new(
            "/package",
            "must be the app's package name, e.g. com.example.app",
        ));
    }
    Ok(p.to_owned())
}

impl ServiceAccount {
    /// A service account from its JSON key file: `client_email` and a `private_key` that
    /// signs (PEM RSA, PKCS#8 as Google issues it, or PKCS#1). Errors name the field and never
    /// quote the key.
    pub fn parse(v: &Value) -> Result<Self, FieldError> {
        let obj = v.as_object().ok_or_else(|| {
            FieldError::new(
                "/service_account",
                "must be the service account's JSON key file (an object)",
            )
        })?;
        let text = |k: &str| obj.get(k).and_then(Value::as_str).map(str::trim);
        if let Some(t) = obj.get("type").filter(|t| !t.is_null()) {
            if t.as_str() != Some("service_account") {
                return Err(FieldError::new(
                    "/service_account/type",
                    "must be service_account: a Google Cloud service account's JSON key file",
                ));
            }
        }
        let client_email = text("client_email")
            .filter(|e| e.contains('@') && e.len() <= 254 && !e.chars().any(char::is_whitespace))
            .ok_or_else(|| {
                FieldError::new(
                    "/service_account/client_email",
                    "must be the service account's email, as in its JSON key file",
                )
            })?;
        let private_key = obj
            .get("private_key")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                FieldError::new(
                    "/service_account/private_key",
                    "is required: the RSA private key of the JSON key file",
                )
            })?;
        SigningKey::from_pem(private_key).map_err(|e| {
            FieldError::new(
                "/service_account/private_key",
                format!("must be the JSON key file's RSA private key in PEM (PKCS#8): it {e}"),
            )
        })?;
        let token_uri = match obj.get("token_uri") {
            None | Some(Value::Null) => None,
            Some(Value::String(u)) => Some(check_http_url(u, "/service_account/token_uri")?),
            Some(_) => {
                return Err(FieldError::new(
                    "/service_account/token_uri",
                    "must be an absolute http(s) URL",
                ))
            }
        };
        Ok(ServiceAccount {
            client_email: client_email.to_owned(),
            private_key: private_key.to_owned(),
            private_key_id: text("private_key_id")
                .filter(|k| !k.is_empty() && k.len() <= 200)
                .map(str::to_owned),
            token_uri,
        })
    }

    /// As stored (what [`SourceSettings::to_value`] wrote); no check: it was checked when
    /// written.
    fn from_stored(stored: &Value) -> Self {
        let text = |k: &str| {
            stored
                .get(k)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .filter(|s| !s.is_empty())
        };
        ServiceAccount {
            client_email: text("client_email").unwrap_or_default(),
            private_key: text("private_key").unwrap_or_default(),
            private_key_id: text("private_key_id"),
            token_uri: text("token_uri"),
        }
    }
}

impl AppStoreSettings {
    /// An App Store source's settings as stored.
    pub fn from_stored(stored: &Value) -> Self {
        AppStoreSettings {
            app_id: stored_text(stored, "app_id").unwrap_or_default(),
            country: stored_text(stored, "country").unwrap_or_else(|| "cn".into()),
            url: stored_text(stored, "url"),
            interval_secs: stored
                .get("interval_secs")
                .and_then(Value::as_u64)
                .unwrap_or(DEFAULT_STORE_INTERVAL),
        }
    }
}

impl GooglePlaySettings {
    /// A Google Play source's settings as stored.
    pub fn from_stored(stored: &Value) -> Self {
        GooglePlaySettings {
            package: stored_text(stored, "package").unwrap_or_default(),
            service_account: ServiceAccount::from_stored(
                stored.get("service_account").unwrap_or(&Value::Null),
            ),
            url: stored_text(stored, "url"),
            token_url: stored_text(stored, "token_url"),
            interval_secs: stored
                .get("interval_secs")
                .and_then(Value::as_u64)
                .unwrap_or(DEFAULT_STORE_INTERVAL),
        }
    }
}

/// A stored settings string, `None` when absent or empty.
fn stored_text(stored: &Value, key: &str) -> Option<String> {
    stored
        .get(key)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .filter(|s| !s.is_empty())
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
        check_interval(self.interval_secs)
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

    /// A service account's key file made for tests only (see tests/fixtures/stores/SOURCE.md).
    fn key_file() -> Value {
        serde_json::from_str(include_str!(
            "../../tests/fixtures/stores/google_play_service_account_TEST_ONLY.json"
        ))
        .unwrap()
    }

    fn play_change() -> SettingsChange {
        SettingsChange {
            package: Some(" com.example.app ".into()),
            service_account: Some(key_file()),
            ..Default::default()
        }
    }

    #[test]
    fn create_and_patch_judge_an_app_store_source_alike() {
        let store = SourceSettings::create(
            SourceKind::AppStore,
            SettingsChange {
                app_id: Some("1234567890".into()),
                ..Default::default()
            },
        )
        .unwrap();
        let SourceSettings::AppStore(a) = &store else {
            panic!("an app store source")
        };
        assert_eq!(
            (a.app_id.as_str(), a.country.as_str()),
            ("1234567890", "cn")
        );
        assert_eq!(a.interval_secs, DEFAULT_STORE_INTERVAL);
        assert_eq!(a.base(), "https://itunes.apple.com");
        let patched = store
            .changed(SettingsChange {
                country: Some("US".into()),
                url: Some("http://127.0.0.1:8080".into()),
                ..Default::default()
            })
            .unwrap();
        let SourceSettings::AppStore(p) = &patched else {
            panic!("an app store source")
        };
        assert_eq!(
            (p.country.as_str(), p.base()),
            ("us", "http://127.0.0.1:8080")
        );
        for (change, field) in [
            (
                SettingsChange {
                    app_id: Some("id12345".into()),
                    ..Default::default()
                },
                "/app_id",
            ),
            (
                SettingsChange {
                    country: Some("chn".into()),
                    ..Default::default()
                },
                "/country",
            ),
            (
                SettingsChange {
                    url: Some("ftp://x".into()),
                    ..Default::default()
                },
                "/url",
            ),
            (
                SettingsChange {
                    interval_secs: Some(5),
                    ..Default::default()
                },
                "/interval_secs",
            ),
            (
                SettingsChange {
                    keywords: Some(vec![]),
                    ..Default::default()
                },
                "/keywords",
            ),
            (
                SettingsChange {
                    package: Some("com.x.y".into()),
                    ..Default::default()
                },
                "/package",
            ),
        ] {
            let later = store.changed(change).unwrap_err();
            assert_eq!(later.field, field, "{later:?}");
        }
        let on_create = SourceSettings::create(
            SourceKind::AppStore,
            SettingsChange {
                app_id: Some("12ab".into()),
                ..Default::default()
            },
        )
        .unwrap_err();
        let on_patch = store
            .changed(SettingsChange {
                app_id: Some("12ab".into()),
                ..Default::default()
            })
            .unwrap_err();
        assert_eq!(on_create, on_patch);
        let missing = SourceSettings::create(SourceKind::AppStore, SettingsChange::default());
        assert_eq!(missing.unwrap_err().field, "/app_id");
    }

    #[test]
    fn create_and_patch_judge_a_google_play_source_alike() {
        let play = SourceSettings::create(SourceKind::GooglePlay, play_change()).unwrap();
        let SourceSettings::GooglePlay(g) = &play else {
            panic!("a google play source")
        };
        assert_eq!(g.package, "com.example.app");
        assert_eq!(
            g.service_account.client_email,
            "test-only-reviews@tingjian-test-only.iam.gserviceaccount.com"
        );
        assert_eq!(g.token_endpoint(), GooglePlaySettings::DEFAULT_TOKEN_URL);
        let debug = format!("{play:?}");
        assert!(
            debug.contains("<redacted>") && !debug.contains("PRIVATE KEY"),
            "{debug}"
        );

        let mut bad_key = key_file();
        let pem = bad_key["private_key"].as_str().unwrap().to_owned();
        bad_key["private_key"] = json!(pem.replacen("MII", "MIX", 1));
        let mut no_email = key_file();
        no_email.as_object_mut().unwrap().remove("client_email");
        let mut other_type = key_file();
        other_type["type"] = json!("authorized_user");
        for (account, field) in [
            (bad_key, "/service_account/private_key"),
            (no_email, "/service_account/client_email"),
            (other_type, "/service_account/type"),
            (json!("not a key file"), "/service_account"),
        ] {
            let on_create = SourceSettings::create(
                SourceKind::GooglePlay,
                SettingsChange {
                    service_account: Some(account.clone()),
                    ..play_change()
                },
            )
            .unwrap_err();
            let on_patch = play
                .changed(SettingsChange {
                    service_account: Some(account),
                    ..Default::default()
                })
                .unwrap_err();
            assert_eq!(on_create, on_patch);
            assert_eq!(on_create.field, field);
            assert!(!on_create.message.contains("MI"), "{}", on_create.message);
        }
        for (change, field) in [
            (
                SettingsChange {
                    package: Some("example".into()),
                    ..Default::default()
                },
                "/package",
            ),
            (
                SettingsChange {
                    package: Some("com.1example.app".into()),
                    ..Default::default()
                },
                "/package",
            ),
            (
                SettingsChange {
                    token_url: Some("not a url".into()),
                    ..Default::default()
                },
                "/token_url",
            ),
            (
                SettingsChange {
                    country: Some("cn".into()),
                    ..Default::default()
                },
                "/country",
            ),
            (
                SettingsChange {
                    api_token: Some(Some("t".into())),
                    ..Default::default()
                },
                "/api_token",
            ),
        ] {
            assert_eq!(play.changed(change).unwrap_err().field, field);
        }
        let no_account = SourceSettings::create(
            SourceKind::GooglePlay,
            SettingsChange {
                service_account: None,
                ..play_change()
            },
        );
        assert_eq!(no_account.unwrap_err().field, "/service_account");
        // Store fields on other kinds are refused by name.
        let feed = SourceSettings::create(
            SourceKind::Feed,
            SettingsChange {
                app_id: Some("1".into()),
                ..feed_change("https://r.example/a")
            },
        );
        assert_eq!(
            feed.unwrap_err(),
            FieldError::new("/app_id", "belongs to app_store sources")
        );
        let hook = SourceSettings::Webhook(Box::default()).changed(SettingsChange {
            service_account: Some(key_file()),
            ..Default::default()
        });
        assert_eq!(hook.unwrap_err().field, "/service_account");
    }

    #[test]
    fn the_token_endpoint_is_googles_unless_overridden() {
        let SourceSettings::GooglePlay(mut g) =
            SourceSettings::create(SourceKind::GooglePlay, play_change()).unwrap()
        else {
            panic!("a google play source")
        };
        g.service_account.token_uri = Some("https://accounts.google.com/o/oauth2/token".into());
        assert_eq!(
            g.token_endpoint(),
            "https://accounts.google.com/o/oauth2/token"
        );
        // A key file naming another host does not get the assertion; an explicit setting does.
        g.service_account.token_uri = Some("https://tokens.example.com/token".into());
        assert_eq!(g.token_endpoint(), GooglePlaySettings::DEFAULT_TOKEN_URL);
        g.service_account.token_uri = Some("http://oauth2.googleapis.com/token".into());
        assert_eq!(g.token_endpoint(), GooglePlaySettings::DEFAULT_TOKEN_URL);
        g.token_url = Some("http://127.0.0.1:9/token".into());
        assert_eq!(g.token_endpoint(), "http://127.0.0.1:9/token");
    }

    #[test]
    fn kinds() {
        assert_eq!(
            SourceKind::names(),
            "webhook, feed, app_store or google_play"
        );
        for k in SourceKind::ALL {
            assert_eq!(SourceKind::parse(k.as_str()), Some(k));
        }
        assert!(SourceKind::GooglePlay.is_pulled() && !SourceKind::Webhook.is_pulled());
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
            SourceSettings::AppStore(AppStoreSettings {
                app_id: "1234567890".into(),
                country: "us".into(),
                url: Some("http://127.0.0.1:1".into()),
                interval_secs: 3600,
            }),
            SourceSettings::create(SourceKind::GooglePlay, play_change()).unwrap(),
        ] {
            assert_eq!(SourceSettings::from_stored(s.kind(), &s.to_value()), s);
        }
    }
}
