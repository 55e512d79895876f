//! The caller's workspace: its name, time zone, whether personal data is redacted, and how
//! long its feedback is kept.

use actix_web::{web, HttpResponse};
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

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/workspace")
            .route(web::get().to(get))
            .route(web::patch().to(patch)),
    );
}
