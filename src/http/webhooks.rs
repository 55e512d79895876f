//! `POST /hooks/{source_id}`: deliveries from other systems. The signature (or, for a tool
//! that cannot sign, the URL's token) is the authentication; nothing is read or stored unless
//! it verifies. The standard preset takes Tingjian's own shape or a mapping; every other
//! preset reads its tool's payload as the tool sends it. `GET`/`HEAD` answer a tool that checks
//! the URL before saving it.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use super::body::json_from_bytes;
use super::{read_body, ApiError, State};
use crate::collect::presets::{self, Context, Incoming, Preset, Reading, Secrets};
use crate::collect::source::{SourceKind, WebhookSettings};
use crate::collect::webhook::{read_delivery, SignatureError};
use crate::config::MAX_BODY_BYTES;
use crate::store::{Delivery, ResponsesDelivery, Source};

fn header<'a>(req: &'a HttpRequest, name: &str) -> &'a str {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// The live webhook source a URL names.
async fn webhook_source(state: &State, id: &str) -> Result<std::sync::Arc<Source>, ApiError> {
    state
        .store
        .live_source(id)
        .await?
        .filter(|s| SourceKind::parse(&s.kind) == Some(SourceKind::Webhook))
        .ok_or(ApiError::NotFound("webhook source"))
}

fn refused(state: &State, e: SignatureError, preset: Preset) -> ApiError {
    state
        .counters
        .webhook_rejected
        .with_label_values(&[e.reason()])
        .inc();
    tracing::warn!(reason = e.reason(), "webhook delivery refused");
    let standard = preset.signature_scheme() == Some("standard_webhooks");
    ApiError::InvalidSignature(match e {
        SignatureError::MissingHeaders if standard => {
            "the delivery is not signed (webhook-id, webhook-timestamp, webhook-signature)"
        }
        SignatureError::MissingHeaders => "the delivery carries no signature of its tool",
        SignatureError::Invalid if standard => "the webhook signature does not match",
        SignatureError::Invalid => {
            "the tool's signature does not match this source's signing secret"
        }
        _ => "the webhook timestamp is missing or outside the 5-minute tolerance",
    })
}

/// Checks that the delivery comes from the source's tool: its signature with a live secret,
/// or, where the source has no secret, the token in its URL.
fn authenticate(
    state: &State,
    req: &HttpRequest,
    src: &Source,
    settings: &WebhookSettings,
    body: &[u8],
) -> Result<(), ApiError> {
    let now = state.clock.now();
    let preset = settings.preset();
    if preset.needs_url_token(src.secret.is_some()) {
        let given =
            web::Query::<std::collections::HashMap<String, String>>::from_query(req.query_string())
                .ok()
                .and_then(|q| q.get("token").cloned())
                .unwrap_or_default();
        let expected = settings.url_token.as_deref().unwrap_or_default();
        if expected.is_empty() || !presets::same_bytes(given.as_bytes(), expected.as_bytes()) {
            state
                .counters
                .webhook_rejected
                .with_label_values(&["bad_token"])
                .inc();
            tracing::warn!(reason = "bad_token", "webhook delivery refused");
            return Err(ApiError::InvalidSignature(
                "the token in the webhook URL is missing or does not match",
            ));
        }
        if src.secret.is_none() {
            return Ok(());
        }
    }
    let mut live: Vec<&str> = src.secret.as_deref().into_iter().collect();
    if let (Some(old), Some(until)) = (
        src.previous_secret.as_deref(),
        src.previous_secret_expires_at,
    ) {
        if until > now {
            live.push(old);
        }
    }
    let headers: Vec<(String, String)> = req
        .headers()
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect();
    let incoming = Incoming {
        headers: &headers,
        body,
    };
    presets::verify(preset, &incoming, &Secrets { live }, now)
        .map_err(|e| refused(state, e, preset))
}

#[tracing::instrument(skip_all, fields(source = %path))]
async fn deliver(
    state: State,
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body = read_body(payload, MAX_BODY_BYTES).await?;
    let src = webhook_source(&state, &path).await?;
    let settings = WebhookSettings::from_stored(&src.settings);
    authenticate(&state, &req, &src, &settings, &body)?;
    let _room = state.pipeline.room_for_body(body.len()).await?;
    match settings.preset() {
        Preset::Standard => standard(&state, &req, &src, &settings, &body).await,
        preset => tool(&state, &req, &src, &settings, preset, &body).await,
    }
}

/// Tingjian's own shape, or another shape read through the source's mapping; a redelivery of
/// the same `webhook-id` stores nothing.
async fn standard(
    state: &State,
    req: &HttpRequest,
    src: &Source,
    settings: &WebhookSettings,
    body: &[u8],
) -> Result<HttpResponse, ApiError> {
    let msg_id = header(req, "webhook-id");
    if msg_id.len() > 200 {
        return Err(ApiError::BadRequest(
            "webhook-id is longer than 200 bytes".into(),
        ));
    }
    let value = json_from_bytes(body)?;
    let tz = state.pipeline.profile(&src.workspace_id).await?.timezone;
    let delivered = read_delivery(
        &value,
        settings.mapping.as_ref(),
        &src.id,
        state.clock.now(),
        tz,
    )
    .map_err(ApiError::Validation)?;
    // The parsed body is no longer needed: a large delivery waiting for room in the
    // pipeline holds only its items.
    drop(value);
    let skipped = delivered.skipped;
    match state
        .pipeline
        .store_webhook(&src.workspace_id, (&src.id, msg_id), delivered.items)
        .await?
    {
        Delivery::New(done) => {
            state.counters.stored("webhook", done.stored);
            tracing::info!(
                stored = done.stored,
                duplicates = done.duplicates,
                "webhook delivery stored"
            );
            let mut answer =
                json!({"stored": done.stored, "duplicates": done.duplicates, "replayed": false});
            if !skipped.is_empty() {
                answer["skipped"] = json!(skipped);
            }
            Ok(HttpResponse::Ok().json(answer))
        }
        Delivery::Replay { stored } => {
            tracing::info!("webhook redelivery ignored");
            Ok(HttpResponse::Ok()
                .json(json!({"stored": 0, "duplicates": stored, "replayed": true})))
        }
    }
}

/// The delivery id a tool gives, for tools whose retries repeat it.
fn delivery_id(req: &HttpRequest, preset: Preset, body: &serde_json::Value) -> Option<String> {
    let id = match preset {
        Preset::Formbricks => Some(header(req, "webhook-id").to_owned()),
        Preset::Typeform | Preset::SurveyMonkey => body.get("event_id").and_then(presets::text_of),
        Preset::Tally => body.get("eventId").and_then(presets::text_of),
        Preset::Survicate => body.get("messageId").and_then(presets::text_of),
        Preset::TencentWj => body.get("id").and_then(presets::text_of),
        _ => None,
    }?;
    (!id.is_empty() && id.len() <= 200).then(|| format!("{}:{id}", preset.as_str()))
}

/// A tool's payload, read by its preset: a test ping is answered, responses are stored (a
/// later version of a response replacing the earlier one).
async fn tool(
    state: &State,
    req: &HttpRequest,
    src: &Source,
    settings: &WebhookSettings,
    preset: Preset,
    body: &[u8],
) -> Result<HttpResponse, ApiError> {
    let value = json_from_bytes(body)?;
    let tz = state.pipeline.profile(&src.workspace_id).await?.timezone;
    let cx = Context {
        tz,
        now: state.clock.now(),
    };
    let responses = match presets::read(preset, &value, &cx).map_err(ApiError::Validation)? {
        Reading::Ping => {
            tracing::info!(preset = preset.as_str(), "webhook test ping answered");
            return Ok(HttpResponse::Ok().json(json!({"ping": true, "stored": 0})));
        }
        Reading::Ignored(why) => {
            tracing::info!(preset = preset.as_str(), why, "webhook event ignored");
            return Ok(HttpResponse::Ok().json(json!({"ignored": why, "stored": 0})));
        }
        Reading::Responses(rs) => rs,
        Reading::Fetch(fetch) => {
            let token = settings.api_token.as_deref().ok_or_else(|| {
                ApiError::ToolUnreachable(format!(
                    "{} sent only ids; give the source an api_token to read the response",
                    preset.display_name()
                ))
            })?;
            let r = presets::fetch_response(
                &state.poller.http,
                &fetch,
                token,
                settings.api_url.as_deref(),
                &cx,
            )
            .await
            .map_err(|e| {
                ApiError::ToolUnreachable(format!(
                    "the response could not be read from {}: {}",
                    preset.display_name(),
                    e.summary()
                ))
            })?;
            vec![r]
        }
    };
    let mut responses = responses;
    for r in &mut responses {
        presets::apply_score_questions(r, &settings.score_questions);
    }
    let mut stored: Vec<_> = responses
        .iter()
        .map(|r| presets::to_stored(&src.id, preset, r, &cx))
        .collect();
    let counts: Vec<usize> = stored.iter().map(|s| s.items.len()).collect();
    let items: Vec<_> = stored
        .iter_mut()
        .flat_map(|s| std::mem::take(&mut s.items))
        .collect();
    let mut items = state
        .pipeline
        .prepare(&src.workspace_id, items)
        .await?
        .into_iter();
    // The pipeline keeps the items' order: each response takes back as many as it gave.
    let batch: Vec<_> = stored
        .into_iter()
        .zip(counts)
        .map(|(s, n)| {
            let own: Vec<_> = items.by_ref().take(n).collect();
            (s.into_new(&src.id), own)
        })
        .collect();
    let delivery = delivery_id(req, preset, &value);
    match state
        .store
        .ingest_responses(
            &src.workspace_id,
            delivery.as_deref().map(|d| (src.id.as_str(), d)),
            &batch,
        )
        .await?
    {
        ResponsesDelivery::New(done) => {
            state.counters.stored("webhook", done.stored);
            tracing::info!(
                preset = preset.as_str(),
                responses = done.responses,
                updated = done.updated,
                stored = done.stored,
                changed = done.changed,
                "tool delivery stored"
            );
            Ok(HttpResponse::Ok().json(json!({
                "stored": done.stored,
                "duplicates": done.duplicates,
                "replayed": false,
                "responses": done.responses,
                "updated_responses": done.updated,
                "changed": done.changed,
                "removed": done.removed,
                "stale": done.stale,
            })))
        }
        ResponsesDelivery::Replay => {
            tracing::info!(preset = preset.as_str(), "tool redelivery ignored");
            Ok(HttpResponse::Ok().json(json!({"stored": 0, "replayed": true})))
        }
    }
}

/// A tool checking the URL before it saves it (SurveyMonkey sends `HEAD`; others `GET`).
async fn check(state: State, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    webhook_source(&state, &path).await?;
    Ok(HttpResponse::Ok().json(json!({"ok": true})))
}

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/hooks/{source_id}")
            .route(web::post().to(deliver))
            .route(web::get().to(check))
            .route(web::head().to(check)),
    );
}
