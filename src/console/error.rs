//! What a console request answers when it cannot show its page: a redirect to sign in, or a
//! short page in Chinese that says what happened and where to go. Pages are HTML built on
//! purpose (the app's problem+json handler leaves them alone); nothing internal is shown.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};

use super::render::html_response;
use crate::http::ApiError;

#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    /// Not signed in: go to the sign-in page, then come back to `next`.
    #[error("sign in first")]
    SignIn { next: String },
    /// The workspace does not exist or the member is not in it; the two look the same so a
    /// member of one workspace learns nothing about another.
    #[error("not found")]
    NotFound,
    /// The member's role is below what the page needs.
    #[error("needs role {0}")]
    Forbidden(&'static str),
    /// A form posted without the session's CSRF token.
    #[error("csrf")]
    Csrf,
    #[error("too many attempts")]
    RateLimited,
    /// Something the client sent that the page cannot use.
    #[error("{0}")]
    BadRequest(String),
    #[error("internal: {0}")]
    Internal(String),
    /// The database cannot be reached: try again shortly (503 with `Retry-After`).
    #[error("database unavailable")]
    Unavailable,
    /// A refusal already rendered inside the console's frame (for a member of the workspace,
    /// who keeps the navigation, the workspace switcher and the way to sign out).
    #[error("refused in the frame ({status})")]
    InFrame { status: StatusCode, html: String },
}

impl From<ApiError> for ConsoleError {
    fn from(e: ApiError) -> Self {
        match e {
            e if e.is_unavailable() => ConsoleError::Unavailable,
            ApiError::NotFound(_) | ApiError::Unauthorized => ConsoleError::NotFound,
            ApiError::Validation(errs) => ConsoleError::BadRequest(
                errs.iter()
                    .map(|f| format!("{}：{}", f.field, f.message))
                    .collect::<Vec<_>>()
                    .join("；"),
            ),
            ApiError::BadRequest(m) => ConsoleError::BadRequest(m),
            ApiError::RateLimited => ConsoleError::RateLimited,
            other => {
                // Logged once here with its cause; the page says nothing internal.
                tracing::error!(error = %other, "console request failed");
                ConsoleError::Internal(other.code().to_owned())
            }
        }
    }
}

impl From<crate::store::StoreError> for ConsoleError {
    fn from(e: crate::store::StoreError) -> Self {
        ApiError::from(e).into()
    }
}

impl ResponseError for ConsoleError {
    fn status_code(&self) -> StatusCode {
        match self {
            ConsoleError::SignIn { .. } => StatusCode::SEE_OTHER,
            ConsoleError::NotFound => StatusCode::NOT_FOUND,
            ConsoleError::Forbidden(_) | ConsoleError::Csrf => StatusCode::FORBIDDEN,
            ConsoleError::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ConsoleError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ConsoleError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ConsoleError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ConsoleError::InFrame { status, .. } => *status,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            ConsoleError::SignIn { next } => {
                let to = format!(
                    "/console/login?{}",
                    serde_urlencoded::to_string([("next", next.as_str())]).unwrap_or_default()
                );
                HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, to))
                    .insert_header((header::CACHE_CONTROL, "no-store"))
                    .finish()
            }
            ConsoleError::InFrame { status, html } => html_response(*status, html.clone()),
            _ => {
                let (title, message) = self.words();
                let mut res = html_response(self.status_code(), message_page(title, &message));
                let retry = match self {
                    ConsoleError::RateLimited => Some("60".to_owned()),
                    ConsoleError::Unavailable => {
                        Some(crate::http::error::RETRY_UNAVAILABLE_SECS.to_string())
                    }
                    _ => None,
                };
                if let Some(v) = retry.and_then(|v| header::HeaderValue::from_str(&v).ok()) {
                    res.headers_mut().insert(header::RETRY_AFTER, v);
                }
                res
            }
        }
    }
}

impl ConsoleError {
    /// The page's title and sentence, in the words a member reads.
    pub fn words(&self) -> (&'static str, String) {
        match self {
            ConsoleError::SignIn { .. } => ("请先登录", "请先登录。".to_owned()),
            ConsoleError::NotFound => (
                "找不到这个页面",
                "页面不存在，或者你不是这个工作区的成员。".to_owned(),
            ),
            ConsoleError::Forbidden(role) => (
                "没有权限",
                format!(
                    "这个页面需要工作区的{}角色。请联系工作区的管理员。",
                    crate::domain::Role::parse(role).map_or("更高", |r| r.name())
                ),
            ),
            ConsoleError::Csrf => (
                "请求已过期",
                "这个表单缺少安全令牌或已过期。请返回上一页，刷新后再提交。".to_owned(),
            ),
            ConsoleError::RateLimited => (
                "尝试次数过多",
                "登录尝试过于频繁，请一分钟后再试。".to_owned(),
            ),
            ConsoleError::BadRequest(m) => ("请求有误", m.clone()),
            ConsoleError::Unavailable => (
                "暂时无法访问",
                "数据库暂时连接不上，请稍后刷新页面再试。".to_owned(),
            ),
            ConsoleError::InFrame { .. } | ConsoleError::Internal(_) => (
                "出错了",
                "服务暂时出了问题，请稍后再试。如果一直这样，请联系管理员查看服务日志。".to_owned(),
            ),
        }
    }
}

/// A page with a title, a sentence and a way back, without the console's frame (the error may
/// be that there is no member or workspace to frame it with).
pub fn message_page(title: &str, message: &str) -> String {
    let (t, m) = (
        html_escape::encode_text(title),
        html_escape::encode_text(message),
    );
    format!(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t} · 听见</title><link rel=\"icon\" href=\"data:,\"><link rel=\"stylesheet\" href=\"{css}\"></head>\
         <body class=\"bare\"><main class=\"narrow\"><section class=\"card\">\
         <h1>{t}</h1><p>{m}</p><p><a href=\"/console\">返回控制台</a></p>\
         </section></main></body></html>",
        css = *super::assets::CSS_URL,
    )
}
