//! Sources: webhook endpoints (a signing secret each, an optional field mapping) and social
//! feeds (URL, brand keywords, poll interval).

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{json_body, ApiError, Auth, State};
use crate::collect::poller;
use crate::collect::webhook::{generate_secret, FieldMapping};
use crate::domain::Scope;
use crate::store::{NewSource, Source};

const MIN_INTERVAL: u64 = 60;
const MAX_INTERVAL: u64 = 86_400;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateSource {
    kind: String,
    name: String,
    mapping: Option<FieldMapping>,
    url: Option<String>,
    #[serde(default)]
    keywords: Vec<String>,
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

fn check_feed(url: &str, keywords: &[String], interval: u64) -> Result<(), ApiError> {
    let parsed = reqwest::Url::parse(url)
        .map_err(|_| ApiError::field("/url", "must be an absolute http(s) URL"))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(ApiError::field("/url", "must be an absolute http(s) URL"));
    }
    super::body::bounded_list("/keywords", keywords, 100, 50)?;
    if !(MIN_INTERVAL..=MAX_INTERVAL).contains(&interval) {
        return Err(ApiError::field(
            "/interval_secs",
            format!("must be from {MIN_INTERVAL} to {MAX_INTERVAL}"),
        ));
    }
    Ok(())
}

pub(super) fn source_json(state: &State, req: &HttpRequest, s: &Source) -> Value {
    let mut out = json!({
        "id": s.id,
        "kind": s.kind,
        "name": s.name,
        "created_at": s.created_at,
        "archived_at": s.archived_at,
    });
    match s.kind.as_str() {
        "webhook" => {
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
    auth: Auth,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let ws = auth.require(Scope::Admin)?;
    let body: CreateSource = json_body(&req, payload).await?;
    let name = check_name(&body.name)?;
    let (new, secret) = match body.kind.as_str() {
        "webhook" => {
            if body.url.is_some() || !body.keywords.is_empty() || body.interval_secs.is_some() {
                return Err(ApiError::field(
                    "/kind",
                    "url, keywords and interval_secs belong to feed sources",
                ));
            }
            if let Some(m) = &body.mapping {
                m.validate().map_err(|e| ApiError::Validation(vec![e]))?;
            }
            let secret = generate_secret();
            let settings = json!({"mapping": body.mapping});
            (
                NewSource {
                    kind: "webhook",
                    name,
                    settings,
                    secret: Some(secret.clone()),
                    next_poll_at: None,
                },
                Some(secret),
            )
        }
        "feed" => {
            if body.mapping.is_some() {
                return Err(ApiError::field(
                    "/mapping",
                    "mapping belongs to webhook sources",
                ));
            }
            let url = body
                .url
                .ok_or_else(|| ApiError::field("/url", "is required for a feed"))?;
            let interval = body.interval_secs.unwrap_or(900);
            check_feed(&url, &body.keywords, interval)?;
            let keywords: Vec<String> = body.keywords.iter().map(|k| k.trim().to_owned()).collect();
            let settings = json!({"url": url, "keywords": keywords, "interval_secs": interval});
            (
                NewSource {
                    kind: "feed",
                    name,
                    settings,
                    secret: None,
                    next_poll_at: Some(state.clock.now()),
                },
                None,
            )
        }
        _ => return Err(ApiError::field("/kind", "must be webhook or feed")),
    };
    let src = state.store.create_source(ws, new).await?;
    tracing::info!(workspace = ws, source = %src.id, kind = %src.kind, "source created");
    let mut out = source_json(&state, &req, &src);
    if let Some(secret) = secret {
        out["secret"] = json!(secret);
    }
    Ok(HttpResponse::Created().json(out))
}

async fn list(state: State, auth: Auth, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let ws = auth.require(Scope::Read)?;
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
    auth: Auth,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let ws = auth.require(Scope::Read)?;
    let src = find(&state, ws, &path).await?;
    Ok(HttpResponse::Ok().json(source_json(&state, &req, &src)))
}

async fn patch(
    state: State,
    auth: Auth,
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let ws = auth.require(Scope::Admin)?;
    let src = find(&state, ws, &path).await?;
    let body: PatchSource = json_body(&req, payload).await?;
    let name = body.name.as_deref().map(check_name).transpose()?;
    let mut settings = src.settings.clone();
    let mut next_poll = None;
    if src.kind == "webhook" {
        if body.url.is_some() || body.keywords.is_some() || body.interval_secs.is_some() {
            return Err(ApiError::field(
                "/",
                "url, keywords and interval_secs belong to feed sources",
            ));
        }
        if let Some(mapping) = body.mapping {
            if let Some(m) = &mapping {
                m.validate().map_err(|e| ApiError::Validation(vec![e]))?;
            }
            settings["mapping"] = json!(mapping);
        }
    } else {
        if body.mapping.is_some() {
            return Err(ApiError::field(
                "/mapping",
                "mapping belongs to webhook sources",
            ));
        }
        let url = body
            .url
            .unwrap_or_else(|| settings["url"].as_str().unwrap_or_default().to_owned());
        let keywords = body.keywords.unwrap_or_else(|| {
            serde_json::from_value(settings["keywords"].clone()).unwrap_or_default()
        });
        let interval = body
            .interval_secs
            .unwrap_or_else(|| settings["interval_secs"].as_u64().unwrap_or(900));
        check_feed(&url, &keywords, interval)?;
        settings = json!({"url": url, "keywords": keywords, "interval_secs": interval});
        if src.archived_at.is_none() {
            next_poll = Some(state.clock.now());
        }
    }
    let src = state
        .store
        .update_source(src, name, Some(settings), next_poll)
        .await?;
    Ok(HttpResponse::Ok().json(source_json(&state, &req, &src)))
}

async fn archive(
    state: State,
    auth: Auth,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let ws = auth.require(Scope::Admin)?;
    let src = find(&state, ws, &path).await?;
    if src.archived_at.is_none() {
        state.store.archive_source(src).await?;
    }
    Ok(HttpResponse::NoContent().finish())
}

async fn rotate(
    state: State,
    auth: Auth,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let ws = auth.require(Scope::Admin)?;
    let src = find(&state, ws, &path).await?;
    if src.kind != "webhook" {
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
    auth: Auth,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let ws = auth.require(Scope::Ingest)?;
    let src = find(&state, ws, &path).await?;
    if src.kind != "feed" {
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
    src.settings
        .get("url")
        .and_then(Value::as_str)
        .and_then(|u| reqwest::Url::parse(u).ok())
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
