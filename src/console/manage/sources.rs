//! `/manage/sources` (admins): every source with its kind, how its deliveries are protected
//! or how its last poll went (the error said in Chinese), and when its newest item happened;
//! a form per Connect preset, feed and app store to create one, its secret and address shown
//! once; rotate, set a tool's signing secret, poll now, stop.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;
use serde_json::{json, Value};

use super::super::error::ConsoleError;
use super::super::frame::Page;
use super::local::{local, local_json};
use crate::collect::presets::Preset;
use crate::domain::Role;
use crate::http::source_json;

/// One way to connect a source, as the create form offers it.
#[derive(Serialize)]
struct Choice {
    /// The form's key: a preset (`typeform` …), `feed`, `app_store` or `google_play`.
    key: &'static str,
    kind: &'static str,
    /// The preset sent with a webhook source.
    preset: Option<&'static str>,
    name: &'static str,
    group: &'static str,
    /// What it is, in a sentence.
    about: &'static str,
    /// Where the tool shows (or takes) its signing secret; `None` when it cannot sign or
    /// when one is made here.
    secret_hint: Option<&'static str>,
    secret_required: bool,
    /// Tools whose payload does not say which question is the NPS one.
    asks_score_questions: bool,
}

fn hook(
    preset: Preset,
    name: &'static str,
    about: &'static str,
    secret_hint: Option<&'static str>,
) -> Choice {
    Choice {
        key: preset.as_str(),
        kind: "webhook",
        preset: Some(preset.as_str()),
        name,
        group: "问卷工具",
        about,
        secret_hint,
        secret_required: false,
        asks_score_questions: true,
    }
}

/// Every way to connect a source, in the order the form offers them.
fn choices() -> [Choice; 11] {
    [
    hook(Preset::Wjx, "问卷星", "问卷星的“数据推送”把每份答卷推送过来。", Some("问卷星推送设置里的签名密钥（可选；不填则用带令牌的地址）")),
    hook(Preset::TencentWj, "腾讯问卷", "腾讯问卷的“数据推送（Webhook）”把每份答卷推送过来。腾讯问卷不能签名，地址里会带一个令牌。", None),
    hook(Preset::Typeform, "Typeform", "Typeform 表单的 Webhook。", Some("在 Typeform 的 Webhook 设置里填写的 Secret（可选）")),
    hook(Preset::Tally, "Tally", "Tally 表单的 Webhook 集成。", Some("Tally Webhook 的 Signing secret（可选）")),
    hook(Preset::Formbricks, "Formbricks", "Formbricks 的 Webhook（Standard Webhooks 签名）。", Some("Formbricks 显示的 whsec_ 开头的密钥（可选）")),
    hook(Preset::SurveyMonkey, "SurveyMonkey", "SurveyMonkey 的 Webhook：它只推送答卷编号，听见再用访问令牌读取答卷。", Some("应用的 client id&client secret（可选）")),
    hook(Preset::Survicate, "Survicate", "Survicate 的 Webhook 集成。", Some("Survicate 给出的签名密钥（可选）")),
    Choice {
        key: "standard",
        kind: "webhook",
        preset: Some("standard"),
        name: "通用 Webhook",
        group: "自己的系统",
        about: "你们自己的系统（App 内反馈、客服工单）按听见的格式推送，或用字段映射接收其他格式。签名密钥由听见生成。",
        secret_hint: None,
        secret_required: false,
        asks_score_questions: false,
    },
    Choice {
        key: "feed",
        kind: "feed",
        preset: None,
        name: "RSS / Atom 订阅",
        group: "社交媒体",
        about: "定时读取 RSS、Atom 或 JSON Feed（例如 RSSHub 的微博、知乎、B 站路由），提到关键词的内容记为社交反馈。",
        secret_hint: None,
        secret_required: false,
        asks_score_questions: false,
    },
    Choice {
        key: "app_store",
        kind: "app_store",
        preset: None,
        name: "App Store 评价",
        group: "应用商店",
        about: "定时读取一个 iOS 应用在一个国家或地区商店的评价，每条评价记为一条反馈，星级记为评分。",
        secret_hint: None,
        secret_required: false,
        asks_score_questions: false,
    },
    Choice {
        key: "google_play",
        kind: "google_play",
        preset: None,
        name: "Google Play 评价",
        group: "应用商店",
        about: "用服务账号定时读取一个 Android 应用的评价。",
        secret_hint: None,
        secret_required: false,
        asks_score_questions: false,
    },
    ]
}

/// What a source's kind is called on the page.
fn kind_name(s: &Value) -> String {
    match s["kind"].as_str() {
        Some("webhook") => s["tool"].as_str().unwrap_or("Webhook").to_owned(),
        Some("feed") => "RSS / Atom 订阅".into(),
        Some("app_store") => "App Store 评价".into(),
        Some("google_play") => "Google Play 评价".into(),
        other => other.unwrap_or_default().to_owned(),
    }
}

/// A poll's stored error, said in Chinese; the stored text stays beside it for whoever
/// debugs (it names hosts and statuses, never a token).
pub(super) fn poll_error_words(e: &str) -> String {
    let status = e
        .split("HTTP ")
        .nth(1)
        .and_then(|s| s.get(..3))
        .and_then(|s| s.parse::<u16>().ok());
    if e.contains("token endpoint") {
        return "Google 拒绝了服务账号：密钥可能已删除或停用，请换一个新的 JSON 密钥文件。".into();
    }
    if e.contains("private key") {
        return "服务账号的私钥无法使用，请重新下载 JSON 密钥文件。".into();
    }
    match status {
        Some(404) => return "地址不存在（HTTP 404）：请检查 URL 或应用编号。".into(),
        Some(401 | 403) => {
            return format!(
                "对方拒绝访问（HTTP {}）：请检查地址里的令牌，或 Google Play 服务账号的权限。",
                status.unwrap_or(403)
            )
        }
        Some(429) => return "请求太频繁，被对方限流（HTTP 429）；到时间会自动再读。".into(),
        Some(s) if s >= 500 => return format!("对方服务器出错（HTTP {s}）；到时间会自动再读。"),
        Some(s) => return format!("对方返回了 HTTP {s}。"),
        None => {}
    }
    if e.contains("timed out") || e.contains("timeout") {
        "连接超时：对方没有及时回应；到时间会自动再读。".into()
    } else if e.contains("could not fetch") || e.contains("could not connect") {
        "无法连接：域名解析、网络或证书出了问题。".into()
    } else if e.contains("larger than") {
        "内容太大，超过了读取上限。".into()
    } else if e.contains("parsed") || e.contains("not an RSS") {
        "返回的内容不是 RSS、Atom 或 JSON Feed：请检查地址。".into()
    } else if e.contains("documented JSON") {
        "应用商店返回的内容无法识别。".into()
    } else {
        "读取失败。".into()
    }
}

/// A note the poller left (the App Store answered nothing, a walk cut short).
fn poll_note_words(note: &str) -> &'static str {
    if note.contains("no reviews") {
        "应用商店没有返回评价：可能还没有评价，或（App Store）暂时限流；没有保存任何内容。"
    } else if note.contains("cut short") || note.contains("empty page") {
        "应用商店提前返回了空页（可能被限流）：更早的评价可能暂时缺失。"
    } else {
        "读取时有提示。"
    }
}

#[derive(Serialize)]
struct Row {
    id: String,
    name: String,
    kind: String,
    kind_name: String,
    archived: bool,
    /// ok, error, waiting, off
    status: &'static str,
    status_name: String,
    lines: Vec<String>,
    error: Option<String>,
    error_detail: Option<String>,
    last_item: Option<String>,
    url: Option<String>,
    token_url: bool,
    pulled: bool,
    /// A standard source (a secret to rotate) or a URL-token source (a token to rotate).
    can_rotate: bool,
    rotate_label: &'static str,
    /// A tool source that can sign: its secret can be set here.
    can_set_secret: bool,
    created: String,
}

fn row(s: &Value, tz: chrono_tz::Tz, last_item: Option<String>) -> Row {
    let kind = s["kind"].as_str().unwrap_or_default().to_owned();
    let archived = !s["archived_at"].is_null();
    let pulled = kind != "webhook";
    let mut lines = Vec::new();
    let (mut error, mut error_detail) = (None, None);
    let (status, status_name) = if archived {
        let at = local_json(&s["archived_at"], tz).unwrap_or_default();
        ("off", format!("已停用（{at}）"))
    } else if pulled {
        let poll = &s["last_poll"];
        let polled = local_json(&poll["last_polled_at"], tz);
        if let Some(e) = poll["last_error"].as_str() {
            error = Some(poll_error_words(e));
            error_detail = Some(e.to_owned());
        }
        if let Some(n) = poll["last_note"].as_str() {
            lines.push(poll_note_words(n).to_owned());
        }
        if let (Some(f), Some(st)) = (poll["last_fetched"].as_u64(), poll["last_stored"].as_u64()) {
            lines.push(format!("上次读到 {f} 条，新增 {st} 条"));
        }
        if let Some(next) = local_json(&s["next_poll_at"], tz) {
            let every = s["interval_secs"].as_u64().unwrap_or(900);
            lines.push(format!("下次读取 {next}（每 {}）", every_words(every)));
        }
        match polled {
            None => ("waiting", "等待首次读取".to_owned()),
            Some(at) if error.is_some() => ("error", format!("{at} 读取出错")),
            Some(at) => ("ok", format!("{at} 读取正常")),
        }
    } else {
        let kind = s["protection"]["kind"].as_str().unwrap_or_default();
        if let Some(d) = s["protection"]["detail"].as_str() {
            lines.push(d.to_owned());
        }
        let how = if kind == "signature" {
            "签名校验"
        } else {
            "地址令牌校验"
        };
        ("ok", format!("接收推送 · {how}"))
    };
    let preset = s["preset"].as_str().unwrap_or_default();
    let token_url = s["protection"]["kind"] != "signature" && kind == "webhook";
    let can_rotate = kind == "webhook" && !archived && (preset == "standard" || token_url);
    let can_set_secret = kind == "webhook"
        && !archived
        && preset != "standard"
        && Preset::parse(preset).is_some_and(|p| p.signature_scheme().is_some());
    Row {
        id: s["id"].as_str().unwrap_or_default().to_owned(),
        name: s["name"].as_str().unwrap_or_default().to_owned(),
        kind_name: kind_name(s),
        archived,
        status,
        status_name,
        lines,
        error,
        error_detail,
        last_item,
        url: (kind == "webhook").then(|| s["url"].as_str().unwrap_or_default().to_owned()),
        token_url,
        pulled,
        can_rotate,
        rotate_label: if preset == "standard" {
            "更换签名密钥"
        } else {
            "更换地址令牌"
        },
        can_set_secret,
        created: local_json(&s["created_at"], tz).unwrap_or_default(),
        kind,
    }
}

fn every_words(secs: u64) -> String {
    match secs {
        s if s % 3600 == 0 => format!("{} 小时", s / 3600),
        s if s % 60 == 0 => format!("{} 分钟", s / 60),
        s => format!("{s} 秒"),
    }
}

async fn sources(page: Page, req: HttpRequest) -> Result<HttpResponse, ConsoleError> {
    page.require(Role::Admin)?;
    let ws = &page.workspace.id;
    let stored = page.state.store.list_sources(ws).await?;
    let ids: Vec<String> = stored.iter().map(|s| s.id.clone()).collect();
    let last = page.state.store.last_item_at(ws, &ids).await?;
    let mut rows: Vec<Row> = stored
        .iter()
        .map(|s| {
            let last_item = last.get(&s.id).map(|t| local(*t, page.tz));
            row(&source_json(&page.state, &req, s), page.tz, last_item)
        })
        .collect();
    // Live sources first, newest first within each group.
    rows.sort_by(|a, b| a.archived.cmp(&b.archived).then(b.created.cmp(&a.created)));
    Ok(page.render(
        "manage_sources.html",
        "数据来源",
        "manage",
        json!({"sources": rows, "choices": choices()}),
    ))
}

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/manage/sources").route(web::get().to(sources)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poll_errors_read_in_chinese() {
        assert!(poll_error_words("the feed server answered HTTP 404").contains("404"));
        assert!(poll_error_words("could not fetch the feed: dns error").starts_with("无法连接"));
        assert!(
            poll_error_words("could not fetch the feed: operation timed out")
                .starts_with("连接超时")
        );
        assert!(poll_error_words("the feed could not be parsed: eof").contains("RSS"));
        assert!(poll_error_words(
            "androidpublisher.googleapis.com: answered HTTP 403 (the service account needs access)"
        )
        .contains("403"));
        assert!(poll_error_words("the token endpoint at oauth2.googleapis.com refused the service account (HTTP 400): invalid_grant").starts_with("Google"));
        assert_eq!(every_words(900), "15 分钟");
        assert_eq!(every_words(3600), "1 小时");
    }
}
