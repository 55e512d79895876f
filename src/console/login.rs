//! Signing in and out, and setting a password from a one-time link. The sign-in form is
//! protected against cross-site posting before any session exists by a double-submit token: a
//! random value in a short-lived HttpOnly cookie and the same value in the form's hidden
//! `csrf_token` field. Attempts are rate-limited per client address and per email address; a
//! wrong email and a wrong password answer the same, after the same work.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::error::ConsoleError;
use super::frame::SignedIn;
use super::render::page_with_status;
use super::Console;
use crate::domain::{
    check_password, hash_password, new_token, same_secret, verify_password, Email,
};
use crate::http::session::{cookie, removal, session_of, SESSION_COOKIE};
use crate::http::State;

/// The pre-session cookie holding the sign-in form's token.
const LOGIN_COOKIE: &str = "tj_login";
/// Largest form body the sign-in pages read.
const FORM_LIMIT: usize = 16 * 1024;

/// A PHC string to verify against when the email is unknown, so that case costs the same
/// argon2 work as a wrong password (made once per process).
static DUMMY_HASH: once_cell::sync::Lazy<String> =
    once_cell::sync::Lazy::new(|| hash_password("not a password anyone has").unwrap_or_default());

#[derive(Deserialize, Default)]
struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    next: String,
}

#[derive(Deserialize, Default)]
struct PasswordForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
    #[serde(default)]
    csrf_token: String,
}

#[derive(Deserialize, Default)]
struct LogoutForm {
    #[serde(default)]
    csrf_token: String,
}

fn parse_form<T: for<'de> Deserialize<'de> + Default>(body: &[u8]) -> Result<T, ConsoleError> {
    if body.len() > FORM_LIMIT {
        return Err(ConsoleError::BadRequest("表单内容过长".into()));
    }
    serde_urlencoded::from_bytes(body).map_err(|_| ConsoleError::BadRequest("表单无法读取".into()))
}

/// Only a path inside the console may be returned to (never another site).
fn safe_next(next: &str) -> String {
    let ok = next.starts_with("/console")
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(|c| c.is_control());
    if ok {
        next.to_owned()
    } else {
        "/console".into()
    }
}

fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to.to_owned()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

fn console_data(req: &HttpRequest) -> Result<web::Data<Console>, ConsoleError> {
    req.app_data::<web::Data<Console>>()
        .cloned()
        .ok_or_else(|| ConsoleError::Internal("no console state".into()))
}

/// The form's token: the one already in the cookie, or a new one the response sets.
fn form_token(req: &HttpRequest) -> (String, bool) {
    match req.cookie(LOGIN_COOKIE) {
        Some(c) if c.value().len() >= 32 && c.value().len() <= 64 => (c.value().to_owned(), false),
        _ => (new_token().0, true),
    }
}

fn login_page(
    state: &State,
    req: &HttpRequest,
    status: StatusCode,
    email: &str,
    next: &str,
    error: Option<&str>,
) -> Result<HttpResponse, ConsoleError> {
    let console = console_data(req)?;
    let (token, fresh) = form_token(req);
    let mut res = page_with_status(
        &console.templates,
        status,
        "login.html",
        super::render::values(
            serde_json::json!({"css": &*super::assets::CSS_URL, "csrf": &token, "email": email, "next": safe_next(next), "error": error}),
        ),
    );
    if fresh {
        let c = cookie(
            state,
            req,
            LOGIN_COOKIE,
            token,
            Some(actix_web::cookie::time::Duration::hours(2)),
        );
        res.add_cookie(&c)
            .map_err(|e| ConsoleError::Internal(e.to_string()))?;
    }
    Ok(res)
}

async fn login_form(state: State, req: HttpRequest) -> Result<HttpResponse, ConsoleError> {
    if session_of(&state, &req).await?.is_some() {
        return Ok(see_other("/console"));
    }
    let next: String =
        web::Query::<std::collections::HashMap<String, String>>::from_query(req.query_string())
            .ok()
            .and_then(|q| q.get("next").cloned())
            .unwrap_or_default();
    login_page(&state, &req, StatusCode::OK, "", &next, None)
}

fn login_cookie_matches(req: &HttpRequest, sent: &str) -> bool {
    req.cookie(LOGIN_COOKIE)
        .is_some_and(|c| !sent.is_empty() && same_secret(c.value(), sent))
}

async fn login(
    state: State,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ConsoleError> {
    let form: LoginForm = parse_form(&body)?;
    if !login_cookie_matches(&req, &form.csrf_token) {
        return Err(ConsoleError::Csrf);
    }
    let console = console_data(&req)?;
    if let Some(ip) = state.client_ip(&req) {
        if console.login_by_ip.check_key(&ip).is_err() {
            return Err(ConsoleError::RateLimited);
        }
    }
    let email = Email::parse(&form.email);
    if let Ok(e) = &email {
        if console
            .login_by_email
            .check_key(&e.as_str().to_owned())
            .is_err()
        {
            return Err(ConsoleError::RateLimited);
        }
    }
    let member = match &email {
        Ok(e) => state.store.member_by_email(e).await?,
        Err(_) => None,
    };
    let stored = member
        .as_ref()
        .and_then(|m| m.password_hash.clone())
        .unwrap_or_else(|| DUMMY_HASH.clone());
    let password = form.password.clone();
    let ok = web::block(move || verify_password(&password, &stored))
        .await
        .map_err(|e| ConsoleError::Internal(e.to_string()))?;
    let member = match member {
        Some(m) if ok && m.password_hash.is_some() => m,
        _ => {
            tracing::info!("console sign-in refused");
            return login_page(
                &state,
                &req,
                StatusCode::UNAUTHORIZED,
                &form.email,
                &form.next,
                Some("邮箱或密码不正确。"),
            );
        }
    };
    let token = state.store.create_session(&member.id).await?;
    tracing::info!(member = %member.id, "console sign-in");
    let mut res = see_other(&safe_next(&form.next));
    let c = cookie(&state, &req, SESSION_COOKIE, token, None);
    res.add_cookie(&c)
        .map_err(|e| ConsoleError::Internal(e.to_string()))?;
    res.add_cookie(&removal(&state, &req, LOGIN_COOKIE))
        .map_err(|e| ConsoleError::Internal(e.to_string()))?;
    Ok(res)
}

async fn logout(
    state: State,
    req: HttpRequest,
    signed: SignedIn,
    body: web::Bytes,
) -> Result<HttpResponse, ConsoleError> {
    let form: LogoutForm = parse_form(&body)?;
    if !same_secret(&form.csrf_token, &signed.session.csrf_token) {
        return Err(ConsoleError::Csrf);
    }
    state.store.revoke_session(&signed.session.hash).await?;
    tracing::info!(member = %signed.session.member.id, "console sign-out");
    let mut res = see_other("/console/login");
    res.add_cookie(&removal(&state, &req, SESSION_COOKIE))
        .map_err(|e| ConsoleError::Internal(e.to_string()))?;
    Ok(res)
}

fn password_page(
    state: &State,
    req: &HttpRequest,
    status: StatusCode,
    token: &str,
    link: Option<&crate::store::MemberLink>,
    error: Option<&str>,
) -> Result<HttpResponse, ConsoleError> {
    let console = console_data(req)?;
    let (csrf, fresh) = form_token(req);
    let mut res = page_with_status(
        &console.templates,
        status,
        "set_password.html",
        super::render::values(
            serde_json::json!({"css": &*super::assets::CSS_URL, "csrf": &csrf, "token": token, "valid": link.is_some(), "email": link.map(|l| l.member.email.clone()), "workspace_name": link.and_then(|l| l.workspace_name.clone()), "min_chars": crate::domain::MIN_PASSWORD_CHARS, "error": error}),
        ),
    );
    if fresh {
        let c = cookie(
            state,
            req,
            LOGIN_COOKIE,
            csrf,
            Some(actix_web::cookie::time::Duration::hours(2)),
        );
        res.add_cookie(&c)
            .map_err(|e| ConsoleError::Internal(e.to_string()))?;
    }
    Ok(res)
}

async fn password_form(state: State, req: HttpRequest) -> Result<HttpResponse, ConsoleError> {
    let token =
        web::Query::<std::collections::HashMap<String, String>>::from_query(req.query_string())
            .ok()
            .and_then(|q| q.get("token").cloned())
            .unwrap_or_default();
    let link = if token.is_empty() || token.len() > 100 {
        None
    } else {
        state.store.member_link(&token).await?
    };
    let status = if link.is_some() {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    password_page(&state, &req, status, &token, link.as_ref(), None)
}

async fn set_password(
    state: State,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ConsoleError> {
    let form: PasswordForm = parse_form(&body)?;
    if !login_cookie_matches(&req, &form.csrf_token) {
        return Err(ConsoleError::Csrf);
    }
    let link = if form.token.is_empty() || form.token.len() > 100 {
        None
    } else {
        state.store.member_link(&form.token).await?
    };
    let Some(link) = link else {
        return password_page(&state, &req, StatusCode::NOT_FOUND, "", None, None);
    };
    let problem = check_password(&form.password)
        .err()
        .or_else(|| (form.password != form.confirm).then(|| "两次输入的密码不一致".to_owned()));
    if let Some(p) = problem {
        return password_page(
            &state,
            &req,
            StatusCode::UNPROCESSABLE_ENTITY,
            &form.token,
            Some(&link),
            Some(&p),
        );
    }
    let password = form.password.clone();
    let hash = web::block(move || hash_password(&password))
        .await
        .map_err(|e| ConsoleError::Internal(e.to_string()))?
        .map_err(|e| ConsoleError::Internal(e.to_string()))?;
    let Some(member) = state.store.set_password_by_link(&form.token, hash).await? else {
        return password_page(&state, &req, StatusCode::NOT_FOUND, "", None, None);
    };
    tracing::info!(member = %member.id, "console password set");
    let session = state.store.create_session(&member.id).await?;
    let mut res = see_other("/console");
    res.add_cookie(&cookie(&state, &req, SESSION_COOKIE, session, None))
        .map_err(|e| ConsoleError::Internal(e.to_string()))?;
    res.add_cookie(&removal(&state, &req, LOGIN_COOKIE))
        .map_err(|e| ConsoleError::Internal(e.to_string()))?;
    Ok(res)
}

/// `/console`: the member's first workspace (a digest's old `/console?…` link keeps its
/// filters and opens that workspace's inbox), or sign in.
async fn start(
    state: State,
    req: HttpRequest,
    signed: SignedIn,
) -> Result<HttpResponse, ConsoleError> {
    let memberships = state.store.memberships(&signed.session.member.id).await?;
    let Some(first) = memberships.first() else {
        return Ok(super::render::html_response(
            StatusCode::OK,
            super::error::message_page(
                "还没有加入工作区",
                "你的账号还没有加入任何工作区。请让工作区的管理员邀请你。",
            ),
        ));
    };
    let q = req.query_string();
    let to = if q.is_empty() {
        format!("/console/w/{}", first.workspace_id)
    } else {
        format!("/console/w/{}/inbox?{q}", first.workspace_id)
    };
    Ok(see_other(&to))
}

async fn root() -> HttpResponse {
    HttpResponse::Found()
        .insert_header((header::LOCATION, "/console"))
        .finish()
}

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/").route(web::get().to(root)))
        .service(web::resource("/console").route(web::get().to(start)))
        .service(web::resource("/console/").route(web::get().to(start)))
        .service(
            web::resource("/console/login")
                .route(web::get().to(login_form))
                .route(web::post().to(login)),
        )
        .service(web::resource("/console/logout").route(web::post().to(logout)))
        .service(
            web::resource("/console/set-password")
                .route(web::get().to(password_form))
                .route(web::post().to(set_password)),
        );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_console_paths_are_returned_to() {
        assert_eq!(
            safe_next("/console/w/ws_1/inbox?q=1"),
            "/console/w/ws_1/inbox?q=1"
        );
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/console\\@evil",
            "",
            "/api/v1/keys",
        ] {
            assert_eq!(safe_next(bad), "/console", "{bad}");
        }
    }
}
