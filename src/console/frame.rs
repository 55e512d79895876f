//! Who is looking at a page: the signed-in member ([`SignedIn`]) and, for a page inside a
//! workspace, their role there ([`Page`]). Both come from the session cookie; a request without
//! a live session is sent to sign in and brought back afterwards. [`Frame`] is what every
//! page's layout shows: the member, their workspaces, the navigation and the CSRF token.

use actix_web::{dev::Payload, web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use serde::Serialize;

use super::error::ConsoleError;
use super::Console;
use crate::domain::Role;
use crate::http::session::session_of;
use crate::http::{AppState, State};
use crate::store::{Membership, Session, Workspace};

/// A member with a live session.
pub struct SignedIn {
    pub session: Session,
}

/// A member in the workspace the URL names (`/console/w/{workspace}/…`).
pub struct Page {
    pub state: State,
    pub console: web::Data<Console>,
    pub session: Session,
    pub workspace: Workspace,
    pub tz: chrono_tz::Tz,
    pub role: Role,
    pub memberships: Vec<Membership>,
}

/// Where to come back to after signing in: this request's path and query (GET only; a form
/// posted after the session ended goes back to the console's start).
fn back_here(req: &HttpRequest) -> String {
    if req.method() == actix_web::http::Method::GET {
        req.uri()
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| "/console".into())
    } else {
        "/console".into()
    }
}

async fn signed_in(state: &AppState, req: &HttpRequest) -> Result<Session, ConsoleError> {
    session_of(state, req)
        .await?
        .ok_or_else(|| ConsoleError::SignIn {
            next: back_here(req),
        })
}

fn app_state(req: &HttpRequest) -> Result<State, ConsoleError> {
    req.app_data::<State>()
        .cloned()
        .ok_or_else(|| ConsoleError::Internal("no app state".into()))
}

impl FromRequest for SignedIn {
    type Error = ConsoleError;
    type Future = LocalBoxFuture<'static, Result<Self, ConsoleError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = app_state(&req)?;
            Ok(SignedIn {
                session: signed_in(&state, &req).await?,
            })
        })
    }
}

impl FromRequest for Page {
    type Error = ConsoleError;
    type Future = LocalBoxFuture<'static, Result<Self, ConsoleError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = app_state(&req)?;
            let console = req
                .app_data::<web::Data<Console>>()
                .cloned()
                .ok_or_else(|| ConsoleError::Internal("no console state".into()))?;
            let session = signed_in(&state, &req).await?;
            let ws_id = req
                .match_info()
                .get("workspace")
                .unwrap_or_default()
                .to_owned();
            let memberships = state.store.memberships(&session.member.id).await?;
            let role = memberships
                .iter()
                .find(|m| m.workspace_id == ws_id)
                .map(|m| m.role)
                .ok_or(ConsoleError::NotFound)?;
            let workspace = state
                .store
                .workspace(&ws_id)
                .await?
                .ok_or(ConsoleError::NotFound)?;
            let tz = workspace
                .timezone
                .parse()
                .unwrap_or(chrono_tz::Asia::Shanghai);
            Ok(Page {
                state,
                console,
                session,
                workspace,
                tz,
                role,
                memberships,
            })
        })
    }
}

/// One workspace in the switcher.
#[derive(Serialize)]
pub struct WorkspaceLink {
    pub id: String,
    pub name: String,
    pub role_name: &'static str,
    pub current: bool,
}

/// What the layout shows around every page.
#[derive(Serialize)]
pub struct Frame {
    pub title: String,
    /// The navigation entry to mark: home, pain, inbox, surveys, manage.
    pub section: &'static str,
    /// `/console/w/{id}`: every link inside the workspace starts with it.
    pub base: String,
    pub workspace_id: String,
    pub workspace_name: String,
    pub workspaces: Vec<WorkspaceLink>,
    pub member_email: String,
    pub role: &'static str,
    pub role_name: &'static str,
    pub can_edit: bool,
    pub can_admin: bool,
    pub csrf: String,
    pub css: &'static str,
    pub js: &'static str,
}

impl Page {
    /// Refuses the page unless the member's role is at least `role`.
    pub fn require(&self, role: Role) -> Result<(), ConsoleError> {
        if self.role >= role {
            Ok(())
        } else {
            Err(self.refuse(ConsoleError::Forbidden(role.as_str())))
        }
    }

    /// `err` as a page inside the frame: a member who may not see this page still has the
    /// navigation and the way to sign out.
    pub fn refuse(&self, err: ConsoleError) -> ConsoleError {
        let (title, message) = err.words();
        let ctx = minijinja::context! {
            frame => super::render::values(self.frame(title, "")),
            page => super::render::values(serde_json::json!({"title": title, "message": message})),
        };
        match self
            .console
            .templates
            .get_template("message.html")
            .and_then(|t| t.render(ctx))
        {
            Ok(html) => ConsoleError::InFrame {
                status: actix_web::ResponseError::status_code(&err),
                html,
            },
            Err(e) => {
                tracing::error!(error = %e, "template failed");
                err
            }
        }
    }

    pub fn base(&self) -> String {
        format!("/console/w/{}", self.workspace.id)
    }

    pub fn frame(&self, title: impl Into<String>, section: &'static str) -> Frame {
        Frame {
            title: title.into(),
            section,
            base: self.base(),
            workspace_id: self.workspace.id.clone(),
            workspace_name: self.workspace.name.clone(),
            workspaces: self
                .memberships
                .iter()
                .map(|m| WorkspaceLink {
                    id: m.workspace_id.clone(),
                    name: m.workspace_name.clone(),
                    role_name: m.role.name(),
                    current: m.workspace_id == self.workspace.id,
                })
                .collect(),
            member_email: self.session.member.email.clone(),
            role: self.role.as_str(),
            role_name: self.role.name(),
            can_edit: self.role >= Role::Editor,
            can_admin: self.role >= Role::Admin,
            csrf: self.session.csrf_token.clone(),
            css: &super::assets::CSS_URL,
            js: &super::assets::JS_URL,
        }
    }

    /// Renders `template` inside the frame with the page's own values under `page`.
    pub fn render(
        &self,
        template: &str,
        title: impl Into<String>,
        section: &'static str,
        page: impl Serialize,
    ) -> actix_web::HttpResponse {
        super::render::page(
            &self.console.templates,
            template,
            minijinja::context! {
                frame => super::render::values(self.frame(title, section)),
                page => super::render::values(page),
            },
        )
    }
}

/// Unknown paths under a workspace: for a member of it, a 404 inside the frame; for anyone
/// else the same page as an unknown workspace (the `Page` extractor refuses them first).
pub async fn not_found(page: Page) -> Result<actix_web::HttpResponse, ConsoleError> {
    Err(page.refuse(ConsoleError::NotFound))
}
