//! Workspace settings (admins): name, time zone, whether personal data is redacted from
//! feedback as it arrives, and how many days feedback is kept. The form calls
//! `PATCH /api/v1/workspace`.

use actix_web::{web, HttpResponse};

use super::error::ConsoleError;
use super::frame::Page;
use crate::domain::Role;

/// Time zones offered first; any IANA name can be typed.
const ZONES: [(&str, &str); 8] = [
    ("Asia/Shanghai", "中国标准时间（北京、上海）"),
    ("Asia/Hong_Kong", "香港"),
    ("Asia/Taipei", "台北"),
    ("Asia/Singapore", "新加坡"),
    ("Asia/Tokyo", "东京"),
    ("Europe/London", "伦敦"),
    ("America/Los_Angeles", "洛杉矶"),
    ("UTC", "协调世界时 UTC"),
];

async fn settings(page: Page) -> Result<HttpResponse, ConsoleError> {
    page.require(Role::Admin)?;
    let ws = &page.workspace;
    let zones: Vec<_> = ZONES
        .iter()
        .map(|(id, name)| serde_json::json!({"id": id, "name": name}))
        .collect();
    Ok(page.render(
        "settings.html",
        "工作区设置",
        "manage",
        serde_json::json!({"name": &ws.name, "timezone": &ws.timezone, "known_zone": ZONES.iter().any(|(id, _)| *id == ws.timezone), "redact_pii": ws.redact_pii, "retention_days": ws.retention_days, "zones": zones, "workspace_id": &ws.id}),
    ))
}

/// `/console/w/{id}/manage`: the first manage page the member may open (in the order of the
/// manage navigation); a viewer may open none of them.
async fn manage(page: Page) -> Result<HttpResponse, ConsoleError> {
    page.require(Role::Editor)?;
    let to = if page.role >= Role::Admin {
        "sources"
    } else {
        "import"
    };
    Ok(HttpResponse::SeeOther()
        .insert_header(("Location", format!("{}/manage/{to}", page.base())))
        .finish())
}

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/manage").route(web::get().to(manage)))
        .service(web::resource("/manage/settings").route(web::get().to(settings)));
}
