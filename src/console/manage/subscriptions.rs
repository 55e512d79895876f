//! `/manage/subscriptions` (editors): digest subscriptions by mail and group robot (create,
//! end, send a finished period now), a preview of a period's digest, and the delivery log with
//! each failure said in Chinese. The preview is the digest's own mail HTML, served by a
//! console route of its own into an `<iframe sandbox>`: its inline mail styles get a policy
//! of their own, and the page around it keeps the console's.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};
use std::collections::HashMap;

use super::super::error::ConsoleError;
use super::super::frame::Page;
use super::local::{local, local_json};
use crate::domain::Role;
use crate::http::{delivery_json, subscription_json};
use crate::insight::period::{period_key, previous, Granularity};
use crate::tell::build::build_digest;
use crate::tell::{chart, render};

/// Deliveries the log shows.
const LOG_ROWS: u64 = 50;

/// The digest preview's own policy: its mail styles are inline, its charts `data:` images;
/// nothing runs, nothing loads, and only the console may frame it.
const PREVIEW_CSP: &str = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; \
    frame-ancestors 'self'; base-uri 'none'; form-action 'none'";

const WEEKDAYS: [&str; 7] = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];

fn robot_name(kind: &str) -> &'static str {
    match kind {
        "wecom" => "企业微信群机器人",
        "dingtalk" => "钉钉群机器人",
        "feishu" => "飞书群机器人",
        _ => "群机器人",
    }
}

/// Where a subscription goes, in a few words.
fn target(s: &Value) -> String {
    if let Some(email) = s["email"].as_str() {
        return format!("邮件 {email}");
    }
    let r = &s["robot"];
    let signed = if r["signed"] == true {
        "，已加签"
    } else {
        ""
    };
    let people = r["mentions"].as_array().map_or(0, Vec::len);
    let mentions = match people {
        0 => String::new(),
        n if r["mentions"]
            .as_array()
            .is_some_and(|m| m.iter().any(|v| v == "all"))
            && n == 1 =>
        {
            "，@所有人".to_owned()
        }
        n => format!("，@ {n} 人"),
    };
    format!(
        "{}（{}{signed}{mentions}）",
        robot_name(r["kind"].as_str().unwrap_or_default()),
        r["webhook_url"].as_str().unwrap_or_default()
    )
}

fn schedule(s: &Value) -> String {
    let hour = s["hour"].as_i64().unwrap_or(9);
    let when = if s["frequency"] == "daily" {
        format!("每天 {hour}:00 发日报")
    } else {
        let day = s["weekday"].as_i64().unwrap_or(1).clamp(1, 7) as usize;
        format!("每{} {hour}:00 发周报", WEEKDAYS[day - 1])
    };
    format!("{when}（{}）", s["timezone"].as_str().unwrap_or_default())
}

/// An alert's delivery key (`pain_point:payment@2026-11-23`) with the spike's name, as its
/// payload carries it: 预警：支付问题（2026-11-23）.
fn alert_words(period: &str, name: Option<&str>) -> String {
    let (item, day) = period.split_once('@').unwrap_or((period, ""));
    let item = item.split_once(':').map(|(_, v)| v).unwrap_or(item);
    format!("预警：{}（{day}）", name.unwrap_or(item))
}

/// `2026-W47` → 2026年第47周; `2026-11-16` → 2026年11月16日.
fn period_words(period: &str) -> String {
    if let Some((y, w)) = period.split_once("-W") {
        return format!("{y}年第{}周", w.trim_start_matches('0'));
    }
    let parts: Vec<&str> = period.split('-').collect();
    match parts.as_slice() {
        [y, m, d] => format!(
            "{y}年{}月{}日",
            m.trim_start_matches('0'),
            d.trim_start_matches('0')
        ),
        _ => period.to_owned(),
    }
}

fn status_words(status: &str) -> (&'static str, &'static str) {
    match status {
        "sent" => ("已发送", "ok"),
        "pending" => ("等待发送", "wait"),
        "failed" => ("发送失败", "bad"),
        "cancelled" => ("已取消（订阅已结束）", "off"),
        "unconfirmed" => ("未确认（发送中断，未重发）", "wait"),
        _ => ("未知", "off"),
    }
}

/// A delivery's stored error, said in Chinese (the stored text stays beside it).
pub(super) fn delivery_error_words(e: &str) -> &'static str {
    let e = e.to_lowercase();
    if e.contains("not sent again") {
        "发送途中中断（服务停止，或机器人收下消息后没有回应），不知道群里是否已收到；为免重复，没有重发。请按消息末尾的编号在群里核对，缺了可以手动再发。"
    } else if e.contains("refused the message") {
        "邮件服务器拒收了这封邮件：收件地址可能不存在或被对方拦截。"
    } else if e.contains("deferred") {
        "邮件服务器暂时不收，会自动重试。"
    } else if e.contains("did not answer in time") {
        "邮件服务器没有及时回应，会自动重试。"
    } else if e.contains("smtp") {
        "连不上邮件服务器，会自动重试；请检查邮件设置。"
    } else if e.contains("invalid recipient") {
        "收件地址无效。"
    } else if e.contains("could not be reached") {
        "连不上群机器人的地址，会自动重试。"
    } else if e.contains("throttl") || e.contains("rate") || e.contains("frequen") {
        "机器人发送太频繁，被平台限流，会自动重试。"
    } else if e.contains("sign") {
        "签名校验没有通过：请检查机器人的加签密钥。"
    } else if e.contains("token") || e.contains("key") || e.contains("webhook") {
        "机器人地址里的令牌无效：机器人可能已被移除，请重新添加订阅。"
    } else if e.contains("keyword") || e.contains("ip") {
        "机器人的安全设置拒绝了消息（关键词或 IP 白名单）。"
    } else if e.contains("http") {
        "机器人平台拒绝了消息。"
    } else {
        "发送失败。"
    }
}

/// The periods a preview can show: this week and day so far, and the last whole ones.
fn periods(page: &Page) -> Vec<Value> {
    let now = page.state.clock.now();
    let week = period_key(now, page.tz, Granularity::Week);
    let day = period_key(now, page.tz, Granularity::Day);
    let last_week = previous(&week, Granularity::Week).unwrap_or_else(|| week.clone());
    let yesterday = previous(&day, Granularity::Day).unwrap_or_else(|| day.clone());
    [
        (week, "本周（截至现在）"),
        (last_week, "上周"),
        (day, "今天（截至现在）"),
        (yesterday, "昨天"),
    ]
    .into_iter()
    .map(|(key, name)| json!({"key": key, "name": name, "label": period_words(&key)}))
    .collect()
}

#[derive(serde::Deserialize)]
struct Query {
    period: Option<String>,
}

async fn subscriptions(page: Page, query: web::Query<Query>) -> Result<HttpResponse, ConsoleError> {
    page.require(Role::Editor)?;
    let ws = &page.workspace.id;
    let store = &page.state.store;
    let subs: Vec<Value> = store
        .subscriptions(ws)
        .await?
        .iter()
        .map(subscription_json)
        .collect();
    let names: HashMap<String, String> = subs
        .iter()
        .map(|s| (s["id"].as_str().unwrap_or_default().to_owned(), target(s)))
        .collect();
    let rows: Vec<Value> = subs
        .iter()
        .map(|s| {
            json!({
                "id": s["id"],
                "target": target(s),
                "schedule": schedule(s),
                "alerts": s["alerts"],
                "created": local_json(&s["created_at"], page.tz),
            })
        })
        .collect();
    let log: Vec<Value> = store
        .deliveries(ws, None, LOG_ROWS)
        .await?
        .iter()
        .map(|d| {
            let j = delivery_json(d);
            let (status, class) = status_words(&d.status);
            json!({
                "created": local(d.created_at, page.tz),
                "target": names.get(&d.subscription_id).cloned().unwrap_or_else(|| "已结束的订阅".into()),
                "what": if d.kind == "alert" {
                    alert_words(&d.period, d.payload.as_ref().and_then(|p| p.get("name")).and_then(Value::as_str))
                } else {
                    format!("{}的摘要", period_words(&d.period))
                },
                "status": status,
                "class": class,
                "attempts": d.attempts,
                "next_attempt": local_json(&j["next_attempt_at"], page.tz),
                "sent": d.sent_at.map(|t| local(t, page.tz)),
                "error": d.last_error.as_deref().filter(|_| d.status != "sent").map(delivery_error_words),
                "error_detail": d.last_error.as_deref().filter(|_| d.status != "sent"),
            })
        })
        .collect();
    let periods = periods(&page);
    let chosen = query
        .period
        .clone()
        .filter(|p| periods.iter().any(|x| x["key"] == p.as_str()))
        .unwrap_or_else(|| periods[0]["key"].as_str().unwrap_or_default().to_owned());
    Ok(page.render(
        "manage_subscriptions.html",
        "周报订阅",
        "manage",
        json!({
            "subscriptions": rows,
            "deliveries": log,
            "log_rows": LOG_ROWS,
            "periods": periods,
            "period": chosen,
            "period_label": period_words(&chosen),
            "timezone": page.workspace.timezone,
            "weekdays": WEEKDAYS,
        }),
    ))
}

/// The digest of `period` as its mail's HTML part, charts inlined as `data:` images (a mail
/// client resolves `cid:`; a browser does not), for the preview frame.
async fn preview(
    page: Page,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ConsoleError> {
    page.require(Role::Editor)?;
    let period = &path.1;
    let state = &page.state;
    let digest = build_digest(
        &state.store,
        state.pipeline.analyzer(),
        &state.public_url(&req),
        &page.workspace.id,
        period,
    )
    .await
    .map_err(crate::http::ApiError::from)?;
    let html = render::html(&digest, None);
    // Drawing is CPU work: off the async executor.
    let mut html = web::block(move || chart::embed_charts(&html, &digest.charts))
        .await
        .map_err(|e| ConsoleError::Internal(e.to_string()))?;
    // Links open the real pages in a new tab, not inside the frame.
    html = html.replacen("<head>", "<head><base target=\"_blank\">", 1);
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("Content-Security-Policy", PREVIEW_CSP))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Referrer-Policy", "same-origin"))
        .insert_header(("Cache-Control", "no-store"))
        .body(html))
}

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/manage/subscriptions").route(web::get().to(subscriptions)))
        .service(
            web::resource("/manage/subscriptions/preview/{period}").route(web::get().to(preview)),
        );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_and_failures_read_in_chinese() {
        assert_eq!(period_words("2026-W07"), "2026年第7周");
        assert_eq!(period_words("2026-11-06"), "2026年11月6日");
        assert_eq!(
            alert_words("pain_point:payment@2026-11-23", Some("支付问题")),
            "预警：支付问题（2026-11-23）"
        );
        assert_eq!(
            alert_words("keyword:退款@2026-11-23", None),
            "预警：退款（2026-11-23）"
        );
        assert!(
            delivery_error_words("the SMTP server refused the message (550)")
                .starts_with("邮件服务器拒收")
        );
        assert!(
            delivery_error_words("the robot webhook could not be reached: timeout")
                .starts_with("连不上群机器人")
        );
    }
}
