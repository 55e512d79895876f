//! Console sessions at the HTTP edge: the cookie that carries one, whether it goes out with
//! `Secure`, and the session (with its member) a request's cookie names. The console's pages
//! and the API's [`super::Auth`] extractor both read sessions through here, so a member in the
//! browser and a script with a key meet the same checks.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::HttpRequest;

use super::{ApiError, AppState};
use crate::store::Session;

/// The session cookie: an opaque token; the session lives in the database.
pub const SESSION_COOKIE: &str = "tj_session";
/// Header carrying the session's CSRF token on the console's `fetch` calls.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Form field carrying the CSRF token on the console's forms.
pub const CSRF_FIELD: &str = "csrf_token";
/// Header naming the workspace a console `fetch` to the API acts in.
pub const WORKSPACE_HEADER: &str = "x-tingjian-workspace";

/// Whether cookies should carry `Secure`: the service is reached over HTTPS (its public URL
/// says so, or the trusted proxy in front of it does).
pub fn over_https(state: &AppState, req: &HttpRequest) -> bool {
    let public = state
        .settings
        .public_url
        .as_deref()
        .is_some_and(|u| u.trim_start().to_ascii_lowercase().starts_with("https://"));
    let proxied = state.settings.trust_proxy
        && req
            .headers()
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"));
    // The connection itself: actix's `connection_info` would believe any client's
    // X-Forwarded-Proto, so it is not asked.
    public || proxied || req.app_config().secure()
}

/// A cookie the console sets: HttpOnly, SameSite=Lax, for the whole site, `Secure` behind
/// HTTPS. `max_age` of `None` makes a cookie that ends with the browser.
pub fn cookie<'a>(
    state: &AppState,
    req: &HttpRequest,
    name: &'a str,
    value: String,
    max_age: Option<actix_web::cookie::time::Duration>,
) -> Cookie<'a> {
    let mut c = Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(over_https(state, req))
        .finish();
    if let Some(age) = max_age {
        c.set_max_age(age);
    }
    c
}

/// A cookie that removes `name`.
pub fn removal<'a>(state: &AppState, req: &HttpRequest, name: &'a str) -> Cookie<'a> {
    let mut c = cookie(state, req, name, String::new(), None);
    c.make_removal();
    c
}

/// The live session the request's cookie names, if any.
pub async fn session_of(state: &AppState, req: &HttpRequest) -> Result<Option<Session>, ApiError> {
    let Some(token) = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned()) else {
        return Ok(None);
    };
    if token.is_empty() || token.len() > 100 {
        return Ok(None);
    }
    let idle = chrono::Duration::from_std(state.settings.session_idle)
        .unwrap_or_else(|_| chrono::Duration::hours(12));
    Ok(state.store.session(&token, idle).await?)
}

/// Whether the request's method changes something (and so must carry the CSRF token).
pub fn changes_state(req: &HttpRequest) -> bool {
    !matches!(
        *req.method(),
        actix_web::http::Method::GET
            | actix_web::http::Method::HEAD
            | actix_web::http::Method::OPTIONS
    )
}

/// The CSRF token a `fetch` sent, checked against the session's.
pub fn csrf_header_matches(req: &HttpRequest, session: &Session) -> bool {
    req.headers()
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| crate::domain::same_secret(v.trim(), &session.csrf_token))
}
