//! API keys of the caller's workspace: list, create (the key is shown once), revoke.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::{Admin, ApiError, Auth, Json, State};
use crate::domain::{Scope, Scopes};
use crate::store::ApiKey;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateKey {
    name: String,
    scopes: Vec<Scope>,
}

pub fn key_json(k: &ApiKey) -> serde_json::Value {
    json!({
        "id": k.id,
        "name": k.name,
        "prefix": k.prefix,
        "scopes": Scopes::from_stored(&k.scopes).list(),
        "created_at": k.created_at,
        "revoked_at": k.revoked_at,
    })
}

async fn list(state: State, auth: Auth<Admin>) -> Result<HttpResponse, ApiError> {
    let ws = auth.workspace();
    let keys = state.store.list_keys(ws).await?;
    Ok(HttpResponse::Ok().json(json!({"items": keys.iter().map(key_json).collect::<Vec<_>>()})))
}

async fn create(
    state: State,
    auth: Auth<Admin>,
    Json(body): Json<CreateKey>,
) -> Result<HttpResponse, ApiError> {
    let ws = auth.workspace();

    let name = super::body::bounded("/name", &body.name, 100)?;
    if body.scopes.is_empty() {
        return Err(ApiError::field("/scopes", "name at least one scope"));
    }
    let (key, plaintext) = state
        .store
        .create_key(ws, name, &Scopes::new(body.scopes))
        .await?;
    tracing::info!(workspace = ws, key = %key.id, "api key created");
    let mut out = key_json(&key);
    out["api_key"] = json!(plaintext);
    Ok(HttpResponse::Created().json(out))
}

async fn revoke(
    state: State,
    auth: Auth<Admin>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let ws = auth.workspace();
    if !state.store.revoke_key(ws, &path).await? {
        return Err(ApiError::NotFound("key"));
    }
    tracing::info!(workspace = ws, key = %path, "api key revoked");
    Ok(HttpResponse::NoContent().finish())
}

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/keys")
            .route(web::get().to(list))
            .route(web::post().to(create)),
    )
    .service(web::resource("/keys/{id}").route(web::delete().to(revoke)));
}
