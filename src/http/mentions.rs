//! `POST /api/v1/mentions`: social mentions pushed in batches by a crawler or a listening tool.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use super::{parse_json, read_body, ApiError, Auth, Ingest, State};
use crate::collect::mentions::parse_mentions;
use crate::config::MAX_BODY_BYTES;

async fn push(
    state: State,
    auth: Auth<Ingest>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let ws = auth.workspace();
    let body = read_body(payload, MAX_BODY_BYTES).await?;
    let value = parse_json(&req, &body)?;
    let tz = state.pipeline.profile(ws).await?.timezone;
    let items = parse_mentions(&value, state.clock.now(), tz).map_err(ApiError::Validation)?;
    let items = state.pipeline.prepare(ws, items).await?;
    let done = state.store.ingest(ws, &items).await?;
    state.counters.stored("social", done.stored);
    Ok(HttpResponse::Ok().json(json!({"stored": done.stored, "duplicates": done.duplicates})))
}

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/mentions").route(web::post().to(push)));
}
