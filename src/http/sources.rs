//! Sources: webhook endpoints (a signing secret each, an optional field mapping) and social
//! feeds (URL, brand keywords, poll interval).

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{json_body, Admin, ApiError, Auth, Ingest, Json, Read, State};
use crate::collect::poller;
use crate::collect::source::{FeedSettings, SettingsChange, SourceKind, SourceSettings};
use crate::collect::webhook::{generate_secret, FieldMapping};
use crate::store::{NewSource, Source};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateSource {
    kind: String,
    name: String,
    mapping: Option<FieldMapping>,
    url: Option<String>,
    keywords: Option<Vec<String>>,
    interval_secs: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PatchSource {
    name: Option<String>,
    /// `null` removes the mapping.
    #[serde(default, with = "serde_with_null")]
    mapping: Option<Option<FieldMapping>>,
    url: Option<String>,
    keywords: Option<Vec<String>>,
    interval_secs: Option<u64>,
}

/// Tells "absent" from "null" for PATCH.
mod serde_with_null {
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

/// The source's kind and settings as stored.
fn settings_of(s: &Source) -> SourceSettings {
    let kind = SourceKind::parse(&s.kind).unwrap_or(SourceKind::Feed);
    SourceSettings::from_stored(kind, &s.settings)
}

pub(super) fn source_json(state: &State, req: &HttpRequest, s: &Source) -> Value {
    let mut out = json!({
        "id": s.id,
        "kind": s.kind,
        "name": s.name,
        "created_at": s.created_at,
        "archived_at": s.archived_at,
    });
    match SourceKind::parse(&s.kind) {
        Some(SourceKind::Webhook) => {
            out["url"] = json!(format!("{}/hooks/{}", state.public_url(req), s.id));
            out["mapping"] = s.settings.get("mapping").cloned().unwrap_or(Value::Null);
            out["previous_secret_expires_at"] = json!(s.previous_secret_expires_at);
        }
        _ => {
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
        .ok_or_else(|| ApiError::field("/kind", "must be webhook or feed"))?;
    let settings = SourceSettings::create(
        kind,
        SettingsChange {
            mapping: body.mapping.map(Some),
            url: body.url,
            keywords: body.keywords,
            interval_secs: body.interval_secs,
        },
    )
    .map_err(|e| ApiError::Validation(vec![e]))?;
    let secret = (kind == SourceKind::Webhook).then(generate_secret);
    let new = NewSource {
        kind: kind.as_str(),
        name,
        settings: settings.to_value(),
        secret: secret.clone(),
        next_poll_at: (kind == SourceKind::Feed).then(|| state.clock.now()),
    };
    let src = state.store.create_source(ws, new).await?;
    tracing::info!(workspace = ws, source = %src.id, kind = %src.kind, "source created");
    let mut out = source_json(&state, &req, &src);
    if let Some(secret) = secret {
        out["secret"] = json!(secret);
    }
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
    let settings = settings_of(&src)
        .changed(SettingsChange {
            mapping: body.mapping,
            url: body.url,
            keywords: body.keywords,
            interval_secs: body.interval_secs,
        })
        .map_err(|e| ApiError::Validation(vec![e]))?;
    // A changed feed is polled at once (unless archived).
    let next_poll = (settings.kind() == SourceKind::Feed && src.archived_at.is_none())
        .then(|| state.clock.now());
    let settings = Some(settings.to_value());
    let src = state
        .store
        .update_source(src, name, settings, next_poll)
        .await?;
    Ok(HttpResponse::Ok().json(source_json(&state, &req, &src)))
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
    let secret = generate_secret();
    let src = state.store.rotate_secret(src, secret.clone()).await?;
    tracing::info!(workspace = ws, source = %src.id, "webhook secret rotated");
    let mut out = source_json(&state, &req, &src);
    out["secret"] = json!(secret);
    Ok(HttpResponse::Ok().json(out))
}

async fn poll_now(
    state: State,
    auth: Auth<Ingest>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let ws = auth.workspace();
    let src = find(&state, ws, &path).await?;
    if SourceKind::parse(&src.kind) != Some(SourceKind::Feed) {
        return Err(ApiError::Conflict("only feed sources can be polled".into()));
    }
    if src.archived_at.is_some() {
        return Err(ApiError::Conflict("this source is archived".into()));
    }
    // Like the poller's claim: the next background poll is one interval from now.
    state.store.postpone_feed(&src, state.clock.now()).await?;
    let outcome = state.poller.poll_source(&src).await.map_err(|e| match e {
        poller::PollError::Store(e) => ApiError::from(e),
        poller::PollError::Feed(e) => ApiError::FeedUnreachable(format!(
            "the feed at {} could not be read: {}",
            feed_host(&src),
            e.summary()
        )),
    })?;
    Ok(HttpResponse::Ok().json(outcome))
}

/// The host of a feed's URL, to name it in an error without its path or query, which may
/// carry a token.
fn feed_host(src: &Source) -> String {
    reqwest::Url::parse(&FeedSettings::from_stored(&src.settings).url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| "its URL".to_owned())
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
    .service(web::resource("/sources/{id}/poll").route(web::post().to(poll_now)));
}
