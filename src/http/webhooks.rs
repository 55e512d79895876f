//! `POST /hooks/{source_id}`: signed deliveries from other systems. The signature is the
//! authentication; nothing is stored unless it verifies.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use super::body::json_from_bytes;
use super::{read_body, ApiError, State};
use crate::collect::source::{stored_mapping, SourceKind};
use crate::collect::webhook::{parse_delivery, verify};
use crate::config::MAX_BODY_BYTES;
use crate::store::Delivery;

fn header<'a>(req: &'a HttpRequest, name: &str) -> &'a str {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

#[tracing::instrument(skip_all, fields(source = %path))]
async fn deliver(
    state: State,
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body = read_body(payload, MAX_BODY_BYTES).await?;
    let src = state
        .store
        .live_source(&path)
        .await?
        .filter(|s| SourceKind::parse(&s.kind) == Some(SourceKind::Webhook))
        .ok_or(ApiError::NotFound("webhook source"))?;
    let now = state.clock.now();
    let mut secrets: Vec<&str> = src.secret.as_deref().into_iter().collect();
    if let (Some(old), Some(until)) = (
        src.previous_secret.as_deref(),
        src.previous_secret_expires_at,
    ) {
        if until > now {
            secrets.push(old);
        }
    }
    let msg_id = header(&req, "webhook-id");
    if let Err(e) = verify(
        &secrets,
        msg_id,
        header(&req, "webhook-timestamp"),
        header(&req, "webhook-signature"),
        &body,
        now.timestamp(),
    ) {
        state
            .counters
            .webhook_rejected
            .with_label_values(&[e.reason()])
            .inc();
        tracing::warn!(reason = e.reason(), "webhook delivery refused");
        return Err(ApiError::InvalidSignature(match e {
            crate::collect::webhook::SignatureError::MissingHeaders => {
                "the delivery is not signed (webhook-id, webhook-timestamp, webhook-signature)"
            }
            crate::collect::webhook::SignatureError::Invalid => {
                "the webhook signature does not match"
            }
            _ => "the webhook timestamp is missing or outside the 5-minute tolerance",
        }));
    }
    if msg_id.len() > 200 {
        return Err(ApiError::BadRequest(
            "webhook-id is longer than 200 bytes".into(),
        ));
    }
    let value = json_from_bytes(&body)?;
    let mapping = stored_mapping(&src.settings);
    let items =
        parse_delivery(&value, mapping.as_ref(), &src.id, now).map_err(ApiError::Validation)?;
    let items = state.pipeline.prepare(&src.workspace_id, items).await?;
    match state
        .store
        .ingest_webhook(&src.workspace_id, &src.id, msg_id, &items)
        .await?
    {
        Delivery::New(done) => {
            state.counters.stored("webhook", done.stored);
            tracing::info!(
                stored = done.stored,
                duplicates = done.duplicates,
                "webhook delivery stored"
            );
            Ok(HttpResponse::Ok().json(
                json!({"stored": done.stored, "duplicates": done.duplicates, "replayed": false}),
            ))
        }
        Delivery::Replay { stored } => {
            tracing::info!("webhook redelivery ignored");
            Ok(HttpResponse::Ok()
                .json(json!({"stored": 0, "duplicates": stored, "replayed": true})))
        }
    }
}

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/hooks/{source_id}").route(web::post().to(deliver)));
}
