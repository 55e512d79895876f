//! Sources: webhook endpoints (a signing secret each, an optional field mapping), social
//! feeds (URL, brand keywords, poll interval) and app stores (App Store, Google Play: whose
//! reviews, how often). A Google Play source's private key is taken, never shown.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{json_body, Admin, ApiError, Auth, Ingest, Json, Read, State};
use crate::collect::poller;
use crate::collect::presets::{self, Context, Preset, Protection, Reading};
use crate::collect::source::{
    generate_url_token, AppStoreSettings, FeedSettings, GooglePlaySettings, SettingsChange,
    SourceKind, SourceSettings, WebhookSettings,
};
use crate::collect::webhook::{generate_secret, is_signing_secret, read_delivery, FieldMapping};
use crate::domain::NewFeedback;
use crate::store::{NewSource, Source};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateSource {
    kind: String,
    name: String,
    preset: Option<String>,
    /// The secret the tool signs with (set in, or copied from, the tool).
    signing_secret: Option<String>,
    api_token: Option<String>,
    /// Which question holds which score, where the tool does not say.
    score_questions: Option<std::collections::BTreeMap<String, String>>,
    mapping: Option<FieldMapping>,
    url: Option<String>,
    keywords: Option<Vec<String>>,
    interval_secs: Option<u64>,
    app_id: Option<String>,
    country: Option<String>,
    package: Option<String>,
    /// The service account's JSON key file, as Google Cloud gives it.
    service_account: Option<Value>,
    token_url: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PatchSource {
    name: Option<String>,
    preset: Option<String>,
    /// `null` removes it: the URL then carries a token.
    #[serde(default, with = "serde_with_null")]
    signing_secret: Option<Option<String>>,
    /// `null` removes it.
    #[serde(default, with = "serde_with_null")]
    api_token: Option<Option<String>>,
    score_questions: Option<std::collections::BTreeMap<String, String>>,
    /// `null` removes the mapping.
    #[serde(default, with = "serde_with_null")]
    mapping: Option<Option<FieldMapping>>,
    url: Option<String>,
    keywords: Option<Vec<String>>,
    interval_secs: Option<u64>,
    app_id: Option<String>,
    country: Option<String>,
    package: Option<String>,
    /// A new JSON key file replaces the service account.
    service_account: Option<Value>,
    token_url: Option<String>,
}

/// Tells "absent" from "null" for PATCH.
pub(super) mod serde_with_null {
    use serde::{Deserialize, Deserializer};
    pub fn deserialize<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
    where
        D: Deserializer<'de>,
        T: Deserialize<'de>,
    {
        Ok(Some(Option::deserialize(d)?))
    }
}

fn check_name(name: &str) -> Result<String, ApiError> {
    Ok(super::body::bounded("/name", name, 100)?.to_owned())
}

/// The signing secret a source of `preset` is given, checked: `None` when none is given.
fn signing_secret(preset: Preset, given: Option<&str>) -> Result<Option<String>, ApiError> {
    let Some(given) = given.map(str::trim) else {
        return Ok(None);
    };
    if preset.signature_scheme().is_none() {
        return Err(ApiError::field(
            "/signing_secret",
            format!(
                "{} cannot sign its deliveries: leave this out, and the source's URL carries a token instead",
                preset.display_name()
            ),
        ));
    }
    if given.is_empty() || given.chars().count() > 512 {
        return Err(ApiError::field(
            "/signing_secret",
            "must be 1 to 512 characters",
        ));
    }
    if preset.signature_scheme() == Some("standard_webhooks") && !is_signing_secret(given) {
        return Err(ApiError::field(
            "/signing_secret",
            "must be a Standard Webhooks secret: whsec_ followed by base64",
        ));
    }
    Ok(Some(given.to_owned()))
}

/// What protects a source's deliveries, said plainly for the people who set it up.
fn protection_json(preset: Preset, has_secret: bool) -> Value {
    let tool = preset.display_name();
    match preset.protection(has_secret) {
        Protection::Signature(scheme) => json!({
            "kind": "signature",
            "scheme": scheme,
            "detail": format!("{tool} 用签名密钥为每次推送签名，签名不符的推送会被拒绝（401），不会保存。"),
        }),
        Protection::SignatureAndToken(scheme) => json!({
            "kind": "signature_and_token",
            "scheme": scheme,
            "detail": format!("{tool} 的签名只覆盖问卷编号和答卷序号、不覆盖答案，所以推送地址里还带有一个随机令牌：签名和令牌都对上的推送才会保存。请像密码一样保管这个地址。"),
        }),
        Protection::UrlToken => json!({
            "kind": "url_token",
            "scheme": null,
            "detail": if preset.signature_scheme().is_some() {
                format!("还没有设置 {tool} 的签名密钥：推送地址里带有一个随机令牌，令牌不符的推送会被拒绝。请像密码一样保管这个地址；设置签名密钥后改为校验签名。")
            } else {
                format!("{tool} 不能为推送签名：推送地址里带有一个随机令牌，令牌不符的推送会被拒绝。请像密码一样保管这个地址。")
            },
        }),
    }
}

/// For a source whose URL carries a token: the URL to paste into the tool, token included.
/// Shown when the token is made (on create, rotation, or removing the secret), never listed.
fn with_token_url(out: &mut Value, src: &Source) {
    if let Some(token) = WebhookSettings::from_stored(&src.settings).url_token {
        if let Some(url) = out["url"].as_str() {
            out["url"] = json!(format!("{url}?token={token}"));
        }
    }
}

/// The source's kind and settings as stored.
fn settings_of(s: &Source) -> SourceSettings {
    let kind = SourceKind::parse(&s.kind).unwrap_or(SourceKind::Feed);
    SourceSettings::from_stored(kind, &s.settings)
}

pub fn source_json(state: &State, req: &HttpRequest, s: &Source) -> Value {
    let mut out = json!({
        "id": s.id,
        "kind": s.kind,
        "name": s.name,
        "created_at": s.created_at,
        "archived_at": s.archived_at,
    });
    match SourceKind::parse(&s.kind) {
        Some(SourceKind::Webhook) => {
            let w = WebhookSettings::from_stored(&s.settings);
            let preset = w.preset();
            out["url"] = json!(format!("{}/hooks/{}", state.public_url(req), s.id));
            out["preset"] = json!(preset.as_str());
            out["tool"] = json!(preset.display_name());
            out["protection"] = protection_json(preset, s.secret.is_some());
            out["mapping"] = s.settings.get("mapping").cloned().unwrap_or(Value::Null);
            out["api_token_set"] = json!(w.api_token.is_some());
            out["api_url"] = json!(w.api_url);
            out["score_questions"] = json!(w.score_questions);
            out["previous_secret_expires_at"] = json!(s.previous_secret_expires_at);
        }
        Some(SourceKind::AppStore) => {
            let a = AppStoreSettings::from_stored(&s.settings);
            out["app_id"] = json!(a.app_id);
            out["country"] = json!(a.country);
            out["url"] = json!(a.url);
            out["interval_secs"] = json!(a.interval_secs);
            out["next_poll_at"] = json!(s.next_poll_at);
            out["last_poll"] = s.poll_state.clone();
        }
        Some(SourceKind::GooglePlay) => {
            // The key file stays in the settings; only whose it is is shown.
            let g = GooglePlaySettings::from_stored(&s.settings);
            out["package"] = json!(g.package);
            out["service_account_email"] = json!(g.service_account.client_email);
            out["url"] = json!(g.url);
            out["token_url"] = json!(g.token_url);
            out["interval_secs"] = json!(g.interval_secs);
            out["next_poll_at"] = json!(s.next_poll_at);
            out["last_poll"] = s.poll_state.clone();
        }
        Some(SourceKind::Feed) | None => {
            for key in ["url", "keywords", "interval_secs"] {
                out[key] = s.settings.get(key).cloned().unwrap_or(Value::Null);
            }
            out["next_poll_at"] = json!(s.next_poll_at);
            out["last_poll"] = s.poll_state.clone();
        }
    }
    out
}

async fn create(
    state: State,
    auth: Auth<Admin>,
    req: HttpRequest,
    Json(body): Json<CreateSource>,
) -> Result<HttpResponse, ApiError> {
    let ws = auth.workspace();

    let name = check_name(&body.name)?;
    let kind = SourceKind::parse(&body.kind)
        .ok_or_else(|| ApiError::field("/kind", format!("must be {}", SourceKind::names())))?;
    let mut settings = SourceSettings::create(
        kind,
        SettingsChange {
            preset: body.preset,
            mapping: body.mapping.map(Some),
            url: body.url,
            keywords: body.keywords,
            interval_secs: body.interval_secs,
            api_token: body.api_token.map(Some),
            score_questions: body.score_questions,
            app_id: body.app_id,
            country: body.country,
            package: body.package,
            service_account: body.service_account,
            token_url: body.token_url,
        },
    )
    .map_err(|e| ApiError::Validation(vec![e]))?;
    check_fetched_urls(&state, &settings.to_value())?;
    // A standard webhook gets a secret made here unless the team brings its own; a tool's
    // preset takes the tool's secret, or else its URL carries a token.
    let (secret, shown) = match &mut settings {
        SourceSettings::Webhook(w) => {
            let secret = signing_secret(w.preset(), body.signing_secret.as_deref())?;
            let generated = secret.is_none() && w.preset() == Preset::Standard;
            let secret = if generated {
                Some(generate_secret())
            } else {
                secret
            };
            if w.preset().needs_url_token(secret.is_some()) {
                w.url_token = Some(generate_url_token());
            }
            let shown = generated.then(|| secret.clone()).flatten();
            (secret, shown)
        }
        SourceSettings::Feed(_) | SourceSettings::AppStore(_) | SourceSettings::GooglePlay(_) => {
            if body.signing_secret.is_some() {
                return Err(ApiError::field(
                    "/signing_secret",
                    "belongs to webhook sources",
                ));
            }
            (None, None)
        }
    };
    let new = NewSource {
        kind: kind.as_str(),
        name,
        settings: settings.to_value(),
        secret,
        next_poll_at: kind.is_pulled().then(|| state.clock.now()),
    };
    let src = state.store.create_source(ws, new).await?;
    tracing::info!(workspace = ws, source = %src.id, kind = %src.kind, "source created");
    let mut out = source_json(&state, &req, &src);
    if let Some(secret) = shown {
        out["secret"] = json!(secret);
    }
    with_token_url(&mut out, &src);
    Ok(HttpResponse::Created().json(out))
}

async fn list(state: State, auth: Auth<Read>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let ws = auth.workspace();
    let items: Vec<Value> = state
        .store
        .list_sources(ws)
        .await?
        .iter()
        .map(|s| source_json(&state, &req, s))
        .collect();
    Ok(HttpResponse::Ok().json(json!({"items": items})))
}

async fn find(state: &State, ws: &str, id: &str) -> Result<Source, ApiError> {
    state
        .store
        .source(ws, id)
        .await?
        .ok_or(ApiError::NotFound("source"))
}

async fn get(
    state: State,
    auth: Auth<Read>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let ws = auth.workspace();
    let src = find(&state, ws, &path).await?;
    Ok(HttpResponse::Ok().json(source_json(&state, &req, &src)))
}

async fn patch(
    state: State,
    auth: Auth<Admin>,
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let ws = auth.workspace();
    let src = find(&state, ws, &path).await?;
    // Read after the source is found: an unknown id is a 404 whatever the body says, and
    // what the body may hold depends on the source's kind.
    let body: PatchSource = json_body(&req, payload).await?;
    let name = body.name.as_deref().map(check_name).transpose()?;
    let mut settings = settings_of(&src)
        .changed(SettingsChange {
            preset: body.preset,
            mapping: body.mapping,
            url: body.url,
            keywords: body.keywords,
            interval_secs: body.interval_secs,
            api_token: body.api_token,
            score_questions: body.score_questions,
            app_id: body.app_id,
            country: body.country,
            package: body.package,
            service_account: body.service_account,
            token_url: body.token_url,
        })
        .map_err(|e| ApiError::Validation(vec![e]))?;
    check_fetched_urls(&state, &settings.to_value())?;
    // Another app or storefront: what the last polls read says nothing about it.
    let other_reviews = match (settings_of(&src), &settings) {
        (SourceSettings::AppStore(a), SourceSettings::AppStore(b)) => {
            a.app_id != b.app_id || a.country != b.country
        }
        (SourceSettings::GooglePlay(a), SourceSettings::GooglePlay(b)) => a.package != b.package,
        _ => false,
    };
    if other_reviews {
        state.store.save_poll_state(&src.id, json!({})).await?;
    }
    // A changed feed or store is polled at once (unless archived).
    let next_poll =
        (settings.kind().is_pulled() && src.archived_at.is_none() && settings != settings_of(&src))
            .then(|| state.clock.now());
    let mut token_made = false;
    let signing = match (&mut settings, body.signing_secret) {
        (
            SourceSettings::Feed(_) | SourceSettings::AppStore(_) | SourceSettings::GooglePlay(_),
            Some(_),
        ) => {
            return Err(ApiError::field(
                "/signing_secret",
                "belongs to webhook sources",
            ))
        }
        (SourceSettings::Webhook(w), Some(given)) => {
            let secret = match given {
                Some(s) => signing_secret(w.preset(), Some(&s))?,
                None if w.preset() == Preset::Standard => {
                    return Err(ApiError::field(
                        "/signing_secret",
                        "a standard webhook is always signed: rotate its secret instead",
                    ))
                }
                None => None,
            };
            let keep = w.url_token.clone();
            w.url_token = if w.preset().needs_url_token(secret.is_some()) {
                keep.or_else(|| {
                    token_made = true;
                    Some(generate_url_token())
                })
            } else {
                None
            };
            Some(secret)
        }
        _ => None,
    };
    let src = match signing {
        Some(secret) => {
            let src = state
                .store
                .update_source(src, name, None, next_poll)
                .await?;
            state
                .store
                .set_signing(src, secret, settings.to_value())
                .await?
        }
        None => {
            state
                .store
                .update_source(src, name, Some(settings.to_value()), next_poll)
                .await?
        }
    };
    let mut out = source_json(&state, &req, &src);
    if other_reviews {
        out["last_poll"] = json!({});
    }
    if token_made {
        with_token_url(&mut out, &src);
    }
    Ok(HttpResponse::Ok().json(out))
}

async fn archive(
    state: State,
    auth: Auth<Admin>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let ws = auth.workspace();
    let src = find(&state, ws, &path).await?;
    if src.archived_at.is_none() {
        state.store.archive_source(src).await?;
    }
    Ok(HttpResponse::NoContent().finish())
}

async fn rotate(
    state: State,
    auth: Auth<Admin>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let ws = auth.workspace();
    let src = find(&state, ws, &path).await?;
    if SourceKind::parse(&src.kind) != Some(SourceKind::Webhook) {
        return Err(ApiError::Conflict(
            "only webhook sources have a secret".into(),
        ));
    }
    let mut w = WebhookSettings::from_stored(&src.settings);
    let preset = w.preset();
    if preset == Preset::Standard {
        let secret = generate_secret();
        let src = state.store.rotate_secret(src, secret.clone()).await?;
        tracing::info!(workspace = ws, source = %src.id, "webhook secret rotated");
        let mut out = source_json(&state, &req, &src);
        out["secret"] = json!(secret);
        return Ok(HttpResponse::Ok().json(out));
    }
    if !preset.needs_url_token(src.secret.is_some()) {
        return Err(ApiError::Conflict(format!(
            "this source checks {}'s own signature: change the secret in {} and set it here with PATCH signing_secret",
            preset.display_name(),
            preset.display_name()
        )));
    }
    // A URL-token source: a new token, the old one refused from now on.
    w.url_token = Some(generate_url_token());
    let settings = SourceSettings::Webhook(Box::new(w)).to_value();
    let src = state
        .store
        .update_source(src, None, Some(settings), None)
        .await?;
    tracing::info!(workspace = ws, source = %src.id, "webhook URL token rotated");
    let mut out = source_json(&state, &req, &src);
    with_token_url(&mut out, &src);
    Ok(HttpResponse::Ok().json(out))
}

async fn poll_now(
    state: State,
    auth: Auth<Ingest>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let ws = auth.workspace();
    let src = find(&state, ws, &path).await?;
    if !SourceKind::parse(&src.kind).is_some_and(SourceKind::is_pulled) {
        return Err(ApiError::Conflict(
            "only feed and app store sources can be polled".into(),
        ));
    }
    if src.archived_at.is_some() {
        return Err(ApiError::Conflict("this source is archived".into()));
    }
    // Like the poller's claim: the next background poll is one interval from now.
    state.store.postpone_poll(&src, state.clock.now()).await?;
    let outcome = state.poller.poll_source(&src).await.map_err(|e| match e {
        poller::PollError::Store(e) => ApiError::from(e),
        poller::PollError::Feed(e) => ApiError::FeedUnreachable(format!(
            "the feed at {} could not be read: {}",
            feed_host(&src),
            e.summary()
        )),
        poller::PollError::Pull(e) => {
            ApiError::FeedUnreachable(format!("the reviews could not be read: {}", e.summary()))
        }
    })?;
    Ok(HttpResponse::Ok().json(outcome))
}

/// Refuses (422) settings with a URL the service would fetch that names a loopback, private
/// or link-local address outright (`http://127.1/`, `http://[::ffff:10.0.0.1]/`), unless the
/// operator allows it. Host names are judged when fetched: what they resolve to can change.
fn check_fetched_urls(state: &State, settings: &Value) -> Result<(), ApiError> {
    fn walk(
        v: &Value,
        at: &str,
        allow: &crate::domain::net::AllowPrivate,
    ) -> Option<(String, &'static str)> {
        match v {
            Value::String(s) if s.contains("://") => {
                crate::domain::net::literal_refusal(s, allow).map(|m| (at.to_owned(), m))
            }
            Value::Object(map) => map
                .iter()
                .find_map(|(k, v)| walk(v, &format!("{at}/{k}"), allow)),
            _ => None,
        }
    }
    match walk(settings, "", &state.settings.allow_private_urls) {
        Some((field, message)) => Err(ApiError::field(field, message)),
        None => Ok(()),
    }
}

/// The host of a feed's URL, to name it in an error without its path or query, which may
/// carry a token.
fn feed_host(src: &Source) -> String {
    reqwest::Url::parse(&FeedSettings::from_stored(&src.settings).url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| "its URL".to_owned())
}

/// An item as it would be stored, with its analysis: what a team checks before pointing a
/// tool at the source.
fn would_store(item: &NewFeedback) -> Value {
    let a = item.analysis.as_ref();
    json!({
        "text": item.text.as_str(),
        "external_id": item.external_id,
        "respondent_id": item.respondent_id,
        "occurred_at": item.occurred_at,
        "scores": item.scores,
        "attributes": item.attributes,
        "context": item.context,
        "sentiment": a.map(|a| a.sentiment.clone()),
        "pain_points": a.map(|a| a.pain_points.clone()),
        "keywords": a.map(|a| a.keywords.clone()),
    })
}

/// `POST /sources/{id}/test`: a sample payload read as the source would read it, analysed,
/// and nothing stored. Signatures are not checked: the sample comes from the team.
async fn test_payload(
    state: State,
    auth: Auth<Admin>,
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let ws = auth.workspace();
    let src = find(&state, ws, &path).await?;
    if SourceKind::parse(&src.kind) != Some(SourceKind::Webhook) {
        return Err(ApiError::Conflict(
            "only webhook sources take payloads".into(),
        ));
    }
    // Read after the lookup, like PATCH: an unknown id is a 404 whatever the body.
    let body: Value = json_body(&req, payload).await?;
    let settings = WebhookSettings::from_stored(&src.settings);
    let preset = settings.preset();
    let tz = state.pipeline.profile(ws).await?.timezone;
    let now = state.clock.now();
    let mut out = json!({"preset": preset.as_str(), "stored": false});
    let items = if preset == Preset::Standard {
        let d = read_delivery(&body, settings.mapping.as_ref(), &src.id, now, tz)
            .map_err(ApiError::Validation)?;
        out["skipped"] = json!(d.skipped);
        d.items
    } else {
        let cx = Context { tz, now };
        match presets::read(preset, &body, &cx).map_err(ApiError::Validation)? {
            Reading::Ping => {
                out["ping"] = json!(true);
                Vec::new()
            }
            Reading::Ignored(why) => {
                out["ignored"] = json!(why);
                Vec::new()
            }
            Reading::Fetch(f) => {
                out["fetch"] = json!({"survey_id": f.survey_id, "response_id": f.response_id});
                Vec::new()
            }
            Reading::Responses(mut rs) => {
                for r in &mut rs {
                    presets::apply_score_questions(r, &settings.score_questions);
                }
                let stored: Vec<_> = rs
                    .iter()
                    .map(|r| presets::to_stored(&src.id, preset, r, &cx))
                    .collect();
                out["responses"] = json!(rs
                    .iter()
                    .zip(&stored)
                    .map(|(r, s)| json!({
                        "response_id": r.id,
                        "respondent_id": r.respondent_id,
                        "occurred_at": s.occurred_at,
                        "scores": r.scores,
                        "text_answers": s.items.len(),
                        "attributes": r.attributes,
                    }))
                    .collect::<Vec<_>>());
                stored.into_iter().flat_map(|s| s.items).collect()
            }
        }
    };
    let items = state.pipeline.prepare(ws, items).await?;
    out["items"] = json!(items.iter().map(would_store).collect::<Vec<_>>());
    Ok(HttpResponse::Ok().json(out))
}

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/sources")
            .route(web::post().to(create))
            .route(web::get().to(list)),
    )
    .service(
        web::resource("/sources/{id}")
            .route(web::get().to(get))
            .route(web::patch().to(patch))
            .route(web::delete().to(archive)),
    )
    .service(web::resource("/sources/{id}/rotate-secret").route(web::post().to(rotate)))
    .service(web::resource("/sources/{id}/poll").route(web::post().to(poll_now)))
    .service(web::resource("/sources/{id}/test").route(web::post().to(test_payload)));
}
