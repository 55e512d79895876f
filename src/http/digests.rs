//! Digests over HTTP: subscriptions (`/api/v1/digest-subscriptions`), the delivery log,
//! a preview of any period's digest and "send now", and the public one-click unsubscribe
//! page (`/unsubscribe/{token}`: GET shows a confirmation, POST unsubscribes, RFC 8058).

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{ApiError, Auth, Edit, Json, Read, State};
use crate::domain::{DeliveryStatus, Frequency};
use crate::store::{subscription_mentions, DigestDelivery, NewSubscription, Subscription};
use crate::tell::build::{build_digest, DigestError};
use crate::tell::robots::{parse_mentions, validate_webhook_url, RobotKind};
use crate::tell::{chart, render};

impl From<DigestError> for ApiError {
    fn from(e: DigestError) -> Self {
        match e {
            DigestError::NoWorkspace => ApiError::Unauthorized,
            DigestError::BadPeriod(_) => ApiError::field("period", e.to_string()),
            DigestError::Store(s) => s.into(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RobotBody {
    kind: RobotKind,
    webhook_url: String,
    #[serde(default)]
    secret: Option<String>,
    /// Whom the robot's messages @: mobile numbers (DingTalk, WeCom), open ids (Feishu), `all`.
    #[serde(default)]
    mentions: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SubscriptionBody {
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    robot: Option<RobotBody>,
    #[serde(default)]
    frequency: Option<String>,
    /// ISO weekday, 1 = Monday.
    #[serde(default)]
    weekday: Option<i16>,
    #[serde(default)]
    hour: Option<i16>,
    #[serde(default)]
    timezone: Option<String>,
    #[serde(default)]
    alerts: bool,
}

/// Parses a subscription request into what the store keeps; every problem is a 422 naming
/// its field.
fn parse_subscription(
    b: SubscriptionBody,
    workspace_tz: &str,
    allow: &crate::domain::net::AllowPrivate,
) -> Result<NewSubscription, ApiError> {
    let mut mentions = Vec::new();
    let robot = match (&b.email, b.robot) {
        (Some(_), Some(_)) | (None, None) => {
            return Err(ApiError::field("/email", "give either email or robot"))
        }
        (Some(email), None) => {
            let valid = email.len() <= 254
                && email.parse::<lettre::Address>().is_ok()
                && !email.chars().any(char::is_control);
            if !valid {
                return Err(ApiError::field("/email", "must be an email address"));
            }
            None
        }
        (None, Some(r)) => {
            validate_webhook_url(r.kind, &r.webhook_url)
                .map_err(|m| ApiError::field("/robot/webhook_url", m))?;
            if let Some(m) = crate::domain::net::literal_refusal(&r.webhook_url, allow) {
                return Err(ApiError::field("/robot/webhook_url", m));
            }
            let secret = r.secret.filter(|s| !s.is_empty());
            if let Some(s) = &secret {
                super::body::bounded("/robot/secret", s, 200)?;
            }
            if r.kind == RobotKind::Wecom && secret.is_some() {
                return Err(ApiError::field(
                    "/robot/secret",
                    "WeCom group robots are not signed: leave secret out",
                ));
            }
            mentions = parse_mentions(r.kind, &r.mentions)
                .map_err(|m| ApiError::field("/robot/mentions", m))?;
            Some((r.kind.as_str().to_owned(), r.webhook_url, secret))
        }
    };
    let frequency = match b.frequency.as_deref() {
        None => Frequency::Weekly,
        Some(f) => Frequency::parse(f)
            .ok_or_else(|| ApiError::field("/frequency", "must be weekly or daily"))?,
    };
    let weekday = b.weekday.unwrap_or(1);
    if !(1..=7).contains(&weekday) {
        return Err(ApiError::field(
            "/weekday",
            "must be 1 (Monday) to 7 (Sunday)",
        ));
    }
    let hour = b.hour.unwrap_or(9);
    if !(0..=23).contains(&hour) {
        return Err(ApiError::field("/hour", "must be 0 to 23"));
    }
    let timezone = b.timezone.unwrap_or_else(|| workspace_tz.to_owned());
    if timezone.parse::<chrono_tz::Tz>().is_err() {
        return Err(ApiError::field(
            "/timezone",
            "must be an IANA time zone such as Asia/Shanghai",
        ));
    }
    Ok(NewSubscription {
        email: b.email,
        robot,
        mentions,
        frequency: frequency.as_str().to_owned(),
        weekday,
        hour,
        timezone,
        alerts: b.alerts,
    })
}

/// A subscription as the API shows it: the robot's URL without its token, never its secret.
pub fn subscription_json(s: &Subscription) -> Value {
    let robot = s.robot_kind.as_ref().map(|kind| {
        json!({
            "kind": kind,
            "webhook_url": mask_url(s.robot_url.as_deref().unwrap_or_default()),
            "signed": s.robot_secret.is_some(),
            "mentions": subscription_mentions(s),
        })
    });
    json!({
        "id": s.id,
        "email": s.email,
        "robot": robot,
        "frequency": s.frequency,
        "weekday": s.weekday,
        "hour": s.hour,
        "timezone": s.timezone,
        "alerts": s.alerts,
        "created_at": s.created_at,
    })
}

/// The webhook URL carries the robot's credential (WeCom and DingTalk in the query, Feishu
/// as the last path segment): show only where it goes.
fn mask_url(url: &str) -> String {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let base = match base.rsplit_once('/') {
        Some((head, last)) if last.len() >= 16 => format!("{head}/…"),
        _ => base.to_owned(),
    };
    if query.is_empty() {
        base
    } else {
        format!("{base}?…")
    }
}

pub fn delivery_json(d: &DigestDelivery) -> Value {
    json!({
        "id": d.id,
        "subscription_id": d.subscription_id,
        "kind": d.kind,
        "period": d.period,
        "status": d.status,
        "attempts": d.attempts,
        "next_attempt_at": (d.status == DeliveryStatus::Pending.as_str()).then_some(d.next_attempt_at),
        "last_error": d.last_error,
        "created_at": d.created_at,
        "sent_at": d.sent_at,
    })
}

async fn create(
    state: State,
    auth: Auth<Edit>,
    Json(body): Json<SubscriptionBody>,
) -> Result<HttpResponse, ApiError> {
    let ws = auth.workspace();

    let workspace = state
        .store
        .workspace(ws)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    let new = parse_subscription(
        body,
        &workspace.timezone,
        &state.settings.allow_private_urls,
    )?;
    let sub = state.store.create_subscription(ws, new).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            "Location",
            format!("/api/v1/digest-subscriptions/{}", sub.id),
        ))
        .json(subscription_json(&sub)))
}

async fn list(state: State, auth: Auth<Read>) -> Result<HttpResponse, ApiError> {
    let ws = auth.workspace();
    let subs = state.store.subscriptions(ws).await?;
    Ok(HttpResponse::Ok()
        .json(json!({"items": subs.iter().map(subscription_json).collect::<Vec<_>>()})))
}

async fn get(
    state: State,
    auth: Auth<Read>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let ws = auth.workspace();
    match state.store.subscription(&path).await? {
        Some(s) if s.workspace_id == ws && s.ended_at.is_none() => {
            Ok(HttpResponse::Ok().json(subscription_json(&s)))
        }
        _ => Err(ApiError::NotFound("digest subscription")),
    }
}

async fn delete(
    state: State,
    auth: Auth<Edit>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let ws = auth.workspace();
    if state.store.end_subscription(ws, &path).await? {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::NotFound("digest subscription"))
    }
}

async fn deliveries(
    state: State,
    auth: Auth<Read>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let ws = auth.workspace();
    let pairs: Vec<(String, String)> = super::query_pairs(req.query_string())?;
    let (mut status, mut limit) = (None, 50u64);
    for (k, v) in pairs {
        match k.as_str() {
            "status" => {
                status = Some(DeliveryStatus::parse(&v).ok_or_else(|| {
                    ApiError::field(
                        "status",
                        "must be pending, sent, failed, cancelled or unconfirmed",
                    )
                })?);
            }
            "limit" => limit = super::number_in("limit", &v, 1..=500)?,
            other => {
                return Err(ApiError::field(
                    other,
                    "unknown parameter (expected status, limit)",
                ))
            }
        }
    }
    let rows = state.store.deliveries(ws, status, limit).await?;
    Ok(HttpResponse::Ok()
        .json(json!({"items": rows.iter().map(delivery_json).collect::<Vec<_>>()})))
}

/// The digest of a period as it would be sent: `format=json` (the default), `html`, `text`
/// or `markdown`.
async fn preview(
    state: State,
    auth: Auth<Read>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let ws = auth.workspace();
    let pairs: Vec<(String, String)> = super::query_pairs(req.query_string())?;
    let mut format = "json".to_owned();
    for (k, v) in pairs {
        match k.as_str() {
            "format" if ["json", "html", "text", "markdown"].contains(&v.as_str()) => format = v,
            "format" => {
                return Err(ApiError::field(
                    "format",
                    "must be json, html, text or markdown",
                ))
            }
            other => {
                return Err(ApiError::field(
                    other,
                    "unknown parameter (expected format)",
                ))
            }
        }
    }
    let digest = build_digest(
        &state.store,
        state.pipeline.analyzer(),
        &state.public_url(&req),
        ws,
        &path,
    )
    .await?;
    Ok(match format.as_str() {
        // For a browser: the charts embedded, since only mail resolves `cid:`.
        "html" => {
            let html = render::html(&digest, None);
            let html = web::block(move || chart::embed_charts(&html, &digest.charts))
                .await
                .map_err(|e| ApiError::Internal(e.into()))?;
            HttpResponse::Ok()
                .content_type("text/html; charset=utf-8")
                .insert_header(("Content-Security-Policy", PREVIEW_CSP))
                .insert_header(("X-Content-Type-Options", "nosniff"))
                .body(html)
        }
        "text" => HttpResponse::Ok()
            .content_type("text/plain; charset=utf-8")
            .body(render::text(&digest, None)),
        "markdown" => HttpResponse::Ok()
            .content_type("text/markdown; charset=utf-8")
            .body(render::markdown(&digest)),
        _ => {
            HttpResponse::Ok().json(json!({"subject": render::subject(&digest), "digest": digest}))
        }
    })
}

/// Queues the period's digest for every subscription of the workspace (once per period)
/// and sends it now.
async fn send(
    state: State,
    auth: Auth<Edit>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let ws = auth.workspace();
    let queued = state.outbox.send_now(ws, &path).await?;
    let rows = state.store.deliveries(ws, None, 500).await?;
    let items: Vec<Value> = rows
        .iter()
        .filter(|d| d.kind == "digest" && d.period == *path)
        .map(delivery_json)
        .collect();
    Ok(HttpResponse::Accepted()
        .json(json!({"period": *path, "queued": queued, "deliveries": items})))
}

/// A digest shown in a browser: its inline styles and embedded charts, nothing that runs.
const PREVIEW_CSP: &str = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; \
    frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// The unsubscribe pages' policy: their one inline style (by hash) and a form posting back
/// here; nothing runs.
fn page_csp() -> &'static str {
    static CSP: once_cell::sync::Lazy<String> = once_cell::sync::Lazy::new(|| {
        format!(
            "default-src 'none'; style-src {}; form-action 'self'; frame-ancestors 'none'; \
             base-uri 'none'",
            super::csp::csp_hash(UNSUBSCRIBE_CSS)
        )
    });
    &CSP
}

fn page(status: actix_web::http::StatusCode, title: &str, body: &str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header(("Content-Security-Policy", page_csp()))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .body(format!(
            "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{title}</title>\
             <style>{UNSUBSCRIBE_CSS}</style></head>\
             <body><main><h1>{title}</h1>{body}</main></body></html>"
        ))
}

/// The unsubscribe pages' look: the console's colours and a real button, inline because the
/// page stands alone (no console assets, no session).
const UNSUBSCRIBE_CSS: &str = "body{margin:0;padding:1px 16px;background:#f3f4f6;color:#1f2328;\
font-family:-apple-system,BlinkMacSystemFont,'PingFang SC','Hiragino Sans GB','Microsoft YaHei',sans-serif;\
line-height:1.6}main{max-width:440px;margin:48px auto;padding:24px;background:#fff;border-radius:8px;\
box-shadow:0 1px 3px rgba(0,0,0,.08)}h1{font-size:20px;margin:0 0 12px}p{margin:0 0 16px}\
button{font:inherit;font-size:16px;color:#fff;background:#1a64d6;border:0;border-radius:6px;\
padding:10px 24px;min-height:44px;cursor:pointer}button:hover{background:#1553b3}\
button:focus-visible{outline:3px solid #9ec1f7;outline-offset:2px}";

/// 听见日报 or 听见周报, as the subscription was made.
fn report_name(sub: &Subscription) -> &'static str {
    match Frequency::parse(&sub.frequency) {
        Some(Frequency::Daily) => "听见日报",
        _ => "听见周报",
    }
}

/// Shows what the link does; only the button (a POST) unsubscribes, so mail scanners that
/// follow links change nothing.
async fn unsubscribe_page(state: State, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    use actix_web::http::StatusCode;
    let Some(sub) = state.store.subscription_by_token(&path).await? else {
        return Ok(page(
            StatusCode::NOT_FOUND,
            "链接无效",
            "<p>这个退订链接不存在或已失效。</p>",
        ));
    };
    let report = report_name(&sub);
    if sub.ended_at.is_some() {
        return Ok(page(
            StatusCode::OK,
            "已退订",
            &format!("<p>您已经退订了这份{report}，不会再收到它。</p>"),
        ));
    }
    let who = html_escape::encode_text(sub.email.as_deref().unwrap_or("这个订阅"));
    let action = html_escape::encode_double_quoted_attribute(path.as_str());
    Ok(page(
        StatusCode::OK,
        &format!("退订{report}"),
        &format!(
            "<p>确定让 <strong>{who}</strong> 不再收到这份{report}和预警吗？</p>\
             <form method=\"post\" action=\"{action}\"><button type=\"submit\">确认退订</button></form>"
        ),
    ))
}

/// RFC 8058 one-click: a POST (body `List-Unsubscribe=One-Click` from mail clients, or the
/// form) ends the subscription, with no login and no redirect.
async fn unsubscribe(state: State, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    use actix_web::http::StatusCode;
    match state.store.unsubscribe(&path).await? {
        Some(sub) => {
            tracing::info!(subscription = %sub.id, "unsubscribed by link");
            Ok(page(
                StatusCode::OK,
                "已退订",
                &format!("<p>您不会再收到这份{}和预警。</p>", report_name(&sub)),
            ))
        }
        None => Ok(page(
            StatusCode::NOT_FOUND,
            "链接无效",
            "<p>这个退订链接不存在或已失效。</p>",
        )),
    }
}

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/digest-subscriptions")
            .route(web::post().to(create))
            .route(web::get().to(list)),
    )
    .service(
        web::resource("/digest-subscriptions/{id}")
            .route(web::get().to(get))
            .route(web::delete().to(delete)),
    )
    .service(web::resource("/digest-deliveries").route(web::get().to(deliveries)))
    .service(web::resource("/digests/{period}").route(web::get().to(preview)))
    .service(web::resource("/digests/{period}/send").route(web::post().to(send)));
}

pub(super) fn public_routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/unsubscribe/{token}")
            .route(web::get().to(unsubscribe_page))
            .route(web::post().to(unsubscribe)),
    );
}
