//! The caller's workspace: its name, time zone and whether personal data is redacted.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::{Admin, ApiError, Auth, Json, Read, State};
use crate::store::Workspace;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PatchWorkspace {
    name: Option<String>,
    timezone: Option<String>,
    /// Redact mobile numbers, ID and bank-card numbers and emails before storage (default on).
    redact_pii: Option<bool>,
}

fn workspace_json(w: &Workspace) -> serde_json::Value {
    json!({"id": w.id, "name": w.name, "timezone": w.timezone, "redact_pii": w.redact_pii, "created_at": w.created_at})
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
    let w = state
        .store
        .update_workspace(
            ws,
            body.name.as_deref().map(str::trim),
            body.timezone.as_deref(),
            body.redact_pii,
        )
        .await?;
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
