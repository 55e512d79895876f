//! Members of the caller's workspace: list, invite (a one-time link to set a password goes
//! out by mail and comes back in the answer), change a role, remove, send a new link. Admin
//! only; a workspace always keeps one admin (409 otherwise). A member may be in several
//! workspaces, and a password opens all of them: the link comes back in the answer only for a
//! member of no other workspace, so one workspace's admin cannot take over a member of another.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::{Admin, ApiError, Auth, Json, State};
use crate::domain::{Email, Role};
use crate::store::WorkspaceMember;
use crate::tell::invite::{self, Post};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Invite {
    email: String,
    role: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Change {
    role: String,
}

fn role(raw: &str) -> Result<Role, ApiError> {
    Role::parse(raw).ok_or_else(|| ApiError::field("/role", "must be admin, editor or viewer"))
}

fn member_json(m: &WorkspaceMember) -> serde_json::Value {
    json!({
        "member_id": m.member.id,
        "email": m.member.email,
        "role": m.role,
        "role_name": m.role.name(),
        "has_password": m.member.password_hash.is_some(),
        "joined_at": m.joined_at,
    })
}

/// Whether the member belongs to a workspace other than this one: then a password set
/// through a link would open more than this workspace's admin may give.
async fn in_another_workspace(
    state: &State,
    workspace_id: &str,
    member_id: &str,
) -> Result<bool, ApiError> {
    Ok(state
        .store
        .memberships(member_id)
        .await?
        .iter()
        .any(|m| m.workspace_id != workspace_id))
}

/// The link as the answer may show it, and whether it was withheld: a member of another
/// workspace gets it in their own mailbox only.
async fn shown_link(
    state: &State,
    workspace_id: &str,
    member_id: &str,
    url: Option<String>,
) -> Result<(Option<String>, bool), ApiError> {
    let Some(url) = url else {
        return Ok((None, false));
    };
    Ok(
        if in_another_workspace(state, workspace_id, member_id).await? {
            (None, true)
        } else {
            (Some(url), false)
        },
    )
}

/// The base of a mailed link. For a member of another workspace, only the configured public
/// URL: the request's host is the caller's to choose, and a link to the caller's own host
/// would hand them the token all the same.
async fn link_base(
    state: &State,
    req: &HttpRequest,
    workspace_id: &str,
    member_id: Option<&str>,
) -> Result<String, ApiError> {
    let elsewhere = match member_id {
        Some(id) => in_another_workspace(state, workspace_id, id).await?,
        None => false,
    };
    Ok(if elsewhere {
        state.settings.link_base()
    } else {
        state.public_url(req)
    })
}

fn post<'a>(state: &'a State, base: &'a str) -> Post<'a> {
    Post {
        mailer: &state.outbox.mailer,
        from: &state.outbox.policy.mail_from,
        link_base: base,
    }
}

async fn list(state: State, auth: Auth<Admin>) -> Result<HttpResponse, ApiError> {
    let members = state.store.workspace_members(auth.workspace()).await?;
    Ok(HttpResponse::Ok()
        .json(json!({"items": members.iter().map(member_json).collect::<Vec<_>>()})))
}

async fn create(
    state: State,
    auth: Auth<Admin>,
    req: HttpRequest,
    Json(body): Json<Invite>,
) -> Result<HttpResponse, ApiError> {
    let ws = auth.workspace();
    let email = Email::parse(&body.email).map_err(|m| ApiError::field("/email", m))?;
    let role = role(&body.role)?;
    let known = state.store.member_by_email(&email).await?;
    let base = link_base(&state, &req, ws, known.as_ref().map(|m| m.id.as_str())).await?;
    let invited =
        invite::invite(&state.store, &post(&state, &base), ws, &email, role, None).await?;
    tracing::info!(workspace = ws, member = %invited.member_id, role = role.as_str(), "member invited");
    let (url, withheld) =
        shown_link(&state, ws, &invited.member_id, invited.sign_in_url.clone()).await?;
    let status = if invited.joined {
        actix_web::http::StatusCode::CREATED
    } else {
        actix_web::http::StatusCode::OK
    };
    Ok(HttpResponse::build(status).json(json!({
        "member_id": invited.member_id,
        "email": invited.email,
        "role": invited.role,
        "sign_in_url": url,
        "link_withheld": withheld,
        "mailed": invited.mailed,
    })))
}

async fn change(
    state: State,
    auth: Auth<Admin>,
    path: web::Path<String>,
    Json(body): Json<Change>,
) -> Result<HttpResponse, ApiError> {
    let ws = auth.workspace();
    let role = role(&body.role)?;
    if !state.store.set_member_role(ws, &path, role).await? {
        return Err(ApiError::NotFound("member"));
    }
    tracing::info!(workspace = ws, member = %path, role = role.as_str(), "member role changed");
    let members = state.store.workspace_members(ws).await?;
    let m = members
        .iter()
        .find(|m| m.member.id == *path)
        .ok_or(ApiError::NotFound("member"))?;
    Ok(HttpResponse::Ok().json(member_json(m)))
}

async fn remove(
    state: State,
    auth: Auth<Admin>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let ws = auth.workspace();
    if !state.store.remove_member(ws, &path).await? {
        return Err(ApiError::NotFound("member"));
    }
    tracing::info!(workspace = ws, member = %path, "member removed");
    Ok(HttpResponse::NoContent().finish())
}

/// A new one-time link for a member who forgot their password or lost the invitation.
async fn new_link(
    state: State,
    auth: Auth<Admin>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let ws = auth.workspace();
    state
        .store
        .role_in(ws, &path)
        .await?
        .ok_or(ApiError::NotFound("member"))?;
    let member = state
        .store
        .member(&path)
        .await?
        .ok_or(ApiError::NotFound("member"))?;
    let base = link_base(&state, &req, ws, Some(&member.id)).await?;
    let (url, mailed) = invite::send_link(
        &state.store,
        &post(&state, &base),
        &member.id,
        &member.email,
        ws,
    )
    .await?;
    tracing::info!(workspace = ws, member = %member.id, "sign-in link sent");
    let (url, withheld) = shown_link(&state, ws, &member.id, Some(url)).await?;
    Ok(HttpResponse::Ok().json(json!({
        "member_id": member.id,
        "email": member.email,
        "sign_in_url": url,
        "link_withheld": withheld,
        "mailed": mailed,
    })))
}

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/members")
            .route(web::get().to(list))
            .route(web::post().to(create)),
    )
    .service(
        web::resource("/members/{id}")
            .route(web::patch().to(change))
            .route(web::delete().to(remove)),
    )
    .service(web::resource("/members/{id}/sign-in-link").route(web::post().to(new_link)));
}
