//! `/manage/keys` (admins): the workspace's API keys for machines (crawlers, dashboards,
//! integrations): make one with its scopes (the key is shown once), revoke one.

use actix_web::{web, HttpResponse};
use serde_json::{json, Value};

use super::super::error::ConsoleError;
use super::super::frame::Page;
use super::local::local_json;
use crate::domain::Role;
use crate::http::key_json;

fn scope_name(s: &str) -> &'static str {
    match s {
        "ingest" => "推送反馈",
        "read" => "读取",
        "admin" => "管理",
        _ => "未知",
    }
}

async fn keys(page: Page) -> Result<HttpResponse, ConsoleError> {
    page.require(Role::Admin)?;
    let mut rows: Vec<Value> = page
        .state
        .store
        .list_keys(&page.workspace.id)
        .await?
        .iter()
        .map(|k| {
            let j = key_json(k);
            let scopes: Vec<&str> = j["scopes"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).map(scope_name).collect())
                .unwrap_or_default();
            json!({
                "id": j["id"],
                "name": j["name"],
                "prefix": j["prefix"],
                "scopes": scopes,
                "created": local_json(&j["created_at"], page.tz),
                "revoked": local_json(&j["revoked_at"], page.tz),
            })
        })
        .collect();
    // Live keys first.
    rows.sort_by_key(|r| !r["revoked"].is_null());
    Ok(page.render(
        "manage_keys.html",
        "API 密钥",
        "manage",
        json!({"keys": rows}),
    ))
}

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/manage/keys").route(web::get().to(keys)));
}
