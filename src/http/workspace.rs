//! The caller's workspace: its name, time zone, whether personal data is redacted, how long
//! its feedback is kept, and everything it holds as JSON lines (`/workspace/export`).

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{web, HttpResponse};
use futures_util::TryStreamExt;
use serde::Deserialize;
use serde_json::json;

use super::{Admin, ApiError, Auth, Json, Read, State};
use crate::domain::RetentionDays;
use crate::store::{Workspace, WorkspaceChange};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PatchWorkspace {
    name: Option<String>,
    timezone: Option<String>,
    /// Redact mobile numbers, ID and bank-card numbers and emails before storage (default on).
    redact_pii: Option<bool>,
    /// Days feedback is kept (30 to 3650); `null` keeps it for ever.
    #[serde(default, with = "super::sources::serde_with_null")]
    retention_days: Option<Option<serde_json::Value>>,
}

fn workspace_json(w: &Workspace) -> serde_json::Value {
    json!({"id": w.id, "name": w.name, "timezone": w.timezone, "redact_pii": w.redact_pii, "retention_days": w.retention_days, "created_at": w.created_at})
}

async fn get(state: State, auth: Auth<Read>) -> Result<HttpResponse, ApiError> {
    let ws = auth.workspace();
    let w = state
        .store
        .workspace(ws)
        .await?
        .ok_or(ApiError::NotFound("workspace"))?;
    Ok(HttpResponse::Ok().json(workspace_json(&w)))
}

async fn patch(
    state: State,
    auth: Auth<Admin>,
    Json(body): Json<PatchWorkspace>,
) -> Result<HttpResponse, ApiError> {
    let ws = auth.workspace();

    if let Some(name) = &body.name {
        super::body::bounded("/name", name, 100)?;
    }
    if let Some(tz) = &body.timezone {
        if tz.parse::<chrono_tz::Tz>().is_err() {
            return Err(ApiError::field(
                "/timezone",
                "must be an IANA time zone such as Asia/Shanghai",
            ));
        }
    }
    let retention_days = match &body.retention_days {
        None => None,
        Some(None) => Some(None),
        Some(Some(v)) => {
            let days = v.as_i64().ok_or_else(|| {
                ApiError::field("/retention_days", "保留天数须为整数，或 null 表示一直保留")
            })?;
            Some(Some(
                RetentionDays::parse("/retention_days", days)
                    .map_err(|e| ApiError::Validation(vec![e]))?,
            ))
        }
    };
    let change = WorkspaceChange {
        name: body.name.as_deref().map(str::trim),
        timezone: body.timezone.as_deref(),
        redact_pii: body.redact_pii,
        retention_days,
    };
    let w = state.store.update_workspace(ws, change).await?;
    state.pipeline.invalidate(ws);
    Ok(HttpResponse::Ok().json(workspace_json(&w)))
}

/// Everything the workspace holds, one record a line, streamed as it is read (as
/// `tingjian export-workspace` writes it).
async fn export(state: State, auth: Auth<Admin>) -> Result<HttpResponse, ApiError> {
    let ws = auth.workspace().to_owned();
    let tz = state.store.workspace_zone(&ws).await?;
    let today = state.clock.now().with_timezone(&tz).format("%Y-%m-%d");
    let disposition = format!("attachment; filename=\"workspace-{ws}-{today}.jsonl\"");
    tracing::info!(workspace = %ws, "workspace export started");
    let body = crate::export::workspace_chunks(state.store.clone(), ws.clone())
        .map_ok(Bytes::from)
        .inspect_err(move |e| {
            // The status is sent already: the download ends short, and the log says why.
            tracing::error!(workspace = %ws, error = %e, "workspace export failed midway");
        })
        .map_err(ApiError::from);
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/x-ndjson; charset=utf-8"))
        .insert_header((header::CONTENT_DISPOSITION, disposition))
        // Personal data: no shared cache keeps a copy.
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(body))
}

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/workspace")
            .route(web::get().to(get))
            .route(web::patch().to(patch)),
    )
    .service(web::resource("/workspace/export").route(web::get().to(export)));
}
