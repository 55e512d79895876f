//! The members page (admins): who is in the workspace with which role; invite by mail, change
//! a role, remove, send a new sign-in link. The page's forms call `/api/v1/members`.

use actix_web::{web, HttpResponse};
use serde::Serialize;

use super::error::ConsoleError;
use super::frame::Page;
use crate::domain::Role;

#[derive(Serialize)]
struct Row {
    member_id: String,
    email: String,
    role: &'static str,
    role_name: &'static str,
    has_password: bool,
    joined: String,
    is_me: bool,
}

#[derive(Serialize)]
struct Roles {
    value: &'static str,
    name: &'static str,
}

async fn members(page: Page) -> Result<HttpResponse, ConsoleError> {
    page.require(Role::Admin)?;
    let rows: Vec<Row> = page
        .state
        .store
        .workspace_members(&page.workspace.id)
        .await?
        .into_iter()
        .map(|m| Row {
            is_me: m.member.id == page.session.member.id,
            member_id: m.member.id,
            email: m.member.email,
            role: m.role.as_str(),
            role_name: m.role.name(),
            has_password: m.member.password_hash.is_some(),
            joined: m
                .joined_at
                .with_timezone(&page.tz)
                .format("%Y-%m-%d")
                .to_string(),
        })
        .collect();
    let roles: Vec<Roles> = Role::ALL
        .iter()
        .map(|r| Roles {
            value: r.as_str(),
            name: r.name(),
        })
        .collect();
    Ok(page.render(
        "members.html",
        "成员",
        "manage",
        serde_json::json!({"members": rows, "roles": roles}),
    ))
}

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/manage/members").route(web::get().to(members)));
}
