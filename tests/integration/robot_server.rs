//! A local stand-in for the WeCom, DingTalk and Feishu group-robot webhooks: it checks each
//! request against the platform's documented URL, signature and body, written from the docs
//! and not from the app's `tell::robots`, and answers with the platform's status and JSON.
//!
//! What it enforces, per platform (sources in `src/tell/robots.rs`'s module comment):
//! - WeCom `POST /cgi-bin/webhook/send?key=KEY`: JSON `msgtype` `markdown` (`content` ≤ 4096
//!   bytes), `markdown_v2` or `text` (≤ 2048 bytes). No signature.
//! - DingTalk `POST /robot/send?access_token=TOKEN&timestamp=MS&sign=SIGN`: sign =
//!   Base64(HMAC-SHA256(key = secret, msg = `MS\nsecret`)), URL-encoded, timestamp within an
//!   hour; JSON `msgtype` `markdown` (`title` and `text`) or `text`; body ≤ 20000 bytes.
//! - Feishu `POST /open-apis/bot/v2/hook/TOKEN`: JSON with `"timestamp"` (string, seconds,
//!   within an hour) and `"sign"` = Base64(HMAC-SHA256(key = `S\nsecret`, msg = empty)) beside
//!   `msg_type` `interactive` (a `card` object), `post` or `text`; body ≤ 20 KB.
//!
//! Mentions (@), as each platform documents them: DingTalk `at.atMobiles` (strings) and
//! `at.isAtAll` (a boolean), shown only for a mobile whose `@mobile` the markdown text holds;
//! WeCom `text.mentioned_mobile_list` (strings, `@all`), which its `markdown` type does not
//! take (refused here, since WeCom ignores it); Feishu `<at id=…></at>` in a card's text.
//!
//! Replies the docs give verbatim are used verbatim (WeCom/DingTalk `{"errcode":0,"errmsg":"ok"}`,
//! Feishu's success with `StatusCode`, 9499 "Bad Request", 19021, DingTalk 130101, 310000
//! "sign not match"/"invalid timestamp", 460101). Where the docs give only a code (Feishu 11232)
//! or nothing (wrong token, malformed WeCom/DingTalk bodies) the text is what those platforms
//! were seen to answer, and is marked so below. Every platform answers errors with HTTP 200.

// Each test uses a few of these helpers; the rest would warn as unused.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

const KINDS: [&str; 3] = ["wecom", "dingtalk", "feishu"];

// Shaped like the real ones: a WeCom key is a UUID, a DingTalk token 64 hex digits and its
// secret "SEC" + 64 hex digits, a Feishu hook token a UUID and its secret 22 letters.
const WECOM_KEY: &str = "693a91f6-7e4b-4bc4-97a0-0ec2af1a5aaa";
const DINGTALK_TOKEN: &str = "4f3c1d2a9b8e7f60a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2";
const DINGTALK_SECRET: &str = "SEC9d8c7b6a5f4e3d2c1b0a99887766554433221100ffeeddccbbaa0011223344";
const FEISHU_TOKEN: &str = "5e3d587e-d78e-4a07-bd07-265f269f86fd";
const FEISHU_SECRET: &str = "qW3rTy7uIoP1aSdF5gHjKl";

/// Both DingTalk and Feishu refuse timestamps more than an hour from their clock.
const MAX_SKEW_SECS: i64 = 3600;

/// One message a robot accepted: what the group would see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RobotMessage {
    pub kind: String,
    /// DingTalk's `markdown.title`, Feishu's card header or post title; WeCom has none.
    pub title: Option<String>,
    /// The markdown or text shown in the group.
    pub text: String,
    /// Whom the message @-ed, as the group sees it: mobile numbers, Feishu open ids, `all`.
    pub mentions: Vec<String>,
}

#[derive(Default)]
struct Inner {
    received: Vec<RobotMessage>,
    rejected: Vec<String>,
    fail_next: HashMap<&'static str, usize>,
    /// How long an accepted message's answer is held back (a platform slow to answer).
    hold_replies: Option<Duration>,
}

#[derive(Default)]
struct Shared {
    inner: Mutex<Inner>,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panicking test thread must not hide what the server saw from the others.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

pub struct RobotServer {
    port: u16,
    shared: Arc<Shared>,
    handle: actix_web::dev::ServerHandle,
}

impl RobotServer {
    /// Binds 127.0.0.1:0 and serves in the background, on a thread of its own with its own
    /// actix system, so it works the same under `#[tokio::test]` and `#[actix_web::test]`.
    pub async fn start() -> RobotServer {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().expect("local address").port();
        let shared = Arc::new(Shared::default());
        let data = web::Data::from(shared.clone());
        let (tx, rx) = tokio::sync::oneshot::channel();
        std::thread::Builder::new()
            .name(format!("robot-server-{port}"))
            .spawn(move || {
                actix_web::rt::System::new().block_on(async move {
                    let server = HttpServer::new(move || {
                        App::new()
                            .app_data(data.clone())
                            // Larger than any platform allows, so oversize bodies reach the
                            // platform's own "too long" answer instead of actix's 413.
                            .app_data(web::PayloadConfig::new(1 << 20))
                            .default_service(web::to(handle))
                    })
                    .workers(1)
                    .disable_signals()
                    .shutdown_timeout(1)
                    .listen(listener)
                    .expect("listen")
                    .run();
                    let _ = tx.send(server.handle());
                    let _ = server.await;
                })
            })
            .expect("spawn robot server thread");
        let handle = rx.await.expect("robot server started");
        RobotServer {
            port,
            shared,
            handle,
        }
    }

    /// A URL shaped like the platform's (path and token), on this server.
    pub fn webhook_url(&self, kind: &str) -> String {
        let base = format!("http://127.0.0.1:{}", self.port);
        match kind {
            "wecom" => format!("{base}/cgi-bin/webhook/send?key={WECOM_KEY}"),
            "dingtalk" => format!("{base}/robot/send?access_token={DINGTALK_TOKEN}"),
            "feishu" => format!("{base}/open-apis/bot/v2/hook/{FEISHU_TOKEN}"),
            other => panic!("unknown robot kind {other:?}"),
        }
    }

    /// The signing secret to configure (None for WeCom, which has no signing).
    pub fn secret(&self, kind: &str) -> Option<String> {
        match kind {
            "wecom" => None,
            "dingtalk" => Some(DINGTALK_SECRET.to_owned()),
            "feishu" => Some(FEISHU_SECRET.to_owned()),
            other => panic!("unknown robot kind {other:?}"),
        }
    }

    /// The next `n` requests to that robot get the platform's rate-limit answer, whatever
    /// they contain.
    pub fn fail_next(&self, kind: &str, n: usize) {
        let kind = KINDS
            .into_iter()
            .find(|k| *k == kind)
            .unwrap_or_else(|| panic!("unknown robot kind {kind:?}"));
        self.shared.lock().fail_next.insert(kind, n);
    }

    /// From now on, each accepted message is recorded at once (the group sees it) and its
    /// answer is sent only after `hold` (None: at once again): a sender killed meanwhile never
    /// learns that the robot posted it.
    pub fn hold_replies(&self, hold: Option<Duration>) {
        self.shared.lock().hold_replies = hold;
    }

    /// Accepted messages, in order.
    pub fn received(&self) -> Vec<RobotMessage> {
        self.shared.lock().received.clone()
    }

    /// Why requests were refused ("dingtalk: bad signature", "feishu: stale timestamp …",
    /// "wecom: bad format: …", …), in order. Rate-limited requests are not listed.
    pub fn rejected(&self) -> Vec<String> {
        self.shared.lock().rejected.clone()
    }

    /// Waits until `n` messages were accepted or `timeout` passed; returns what was accepted.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<RobotMessage> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let got = self.received();
            if got.len() >= n || tokio::time::Instant::now() >= deadline {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Drop for RobotServer {
    fn drop(&mut self) {
        // `stop` sends its command before returning the future; dropping that future only
        // skips waiting for the shutdown, which a Drop cannot do anyway.
        drop(self.handle.stop(false));
    }
}

/// A refusal: what the platform answers, and why, for `rejected()`.
struct Refusal {
    reply: Value,
    why: String,
}

fn refuse(reply: Value, why: impl Into<String>) -> Refusal {
    Refusal {
        reply,
        why: why.into(),
    }
}

async fn handle(req: HttpRequest, body: web::Bytes, shared: web::Data<Shared>) -> HttpResponse {
    let path = req.path().to_owned();
    let kind: &'static str = if path == "/cgi-bin/webhook/send" {
        "wecom"
    } else if path == "/robot/send" {
        "dingtalk"
    } else if path.starts_with("/open-apis/bot/v2/hook/") {
        "feishu"
    } else {
        shared.lock().rejected.push(format!("unknown path {path}"));
        return HttpResponse::NotFound().body("404 page not found");
    };
    if req.method() != actix_web::http::Method::POST {
        shared
            .lock()
            .rejected
            .push(format!("{kind}: method {} instead of POST", req.method()));
        return HttpResponse::MethodNotAllowed().finish();
    }
    let query = parse_query(req.query_string());
    let content_type = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let outcome = match kind {
        "wecom" => wecom(&shared, &query, &content_type, &body),
        "dingtalk" => dingtalk(&shared, &query, &content_type, &body),
        _ => feishu(&shared, &path, &content_type, &body),
    };
    let reply = match outcome {
        Ok(Some(message)) => {
            let hold = {
                let mut inner = shared.lock();
                inner.received.push(message);
                inner.hold_replies
            };
            if let Some(hold) = hold {
                actix_web::rt::time::sleep(hold).await;
            }
            success(kind)
        }
        // Rate limited: not a refusal of the request's content.
        Ok(None) => rate_limited(kind),
        Err(refusal) => {
            shared
                .lock()
                .rejected
                .push(format!("{kind}: {}", refusal.why));
            refusal.reply
        }
    };
    HttpResponse::Ok().json(reply)
}

fn success(kind: &str) -> Value {
    match kind {
        // Verbatim from the docs.
        "feishu" => {
            json!({"StatusCode": 0, "StatusMessage": "success", "code": 0, "data": {}, "msg": "success"})
        }
        _ => json!({"errcode": 0, "errmsg": "ok"}),
    }
}

fn rate_limited(kind: &str) -> Value {
    match kind {
        // WeCom's global error table: 45009 "接口调用超过限制", errmsg as WeCom sends it.
        "wecom" => json!({"errcode": 45009, "errmsg": "api freq out of limit"}),
        // DingTalk's documented throttling answer.
        "dingtalk" => {
            json!({"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"})
        }
        // The docs name only the code ("11232 限流错误"); the text is Feishu's usual one.
        _ => {
            json!({"code": 11232, "msg": "frequency limited psm[lark.oapi.app_platform_runtime]appID[-1]", "data": {}})
        }
    }
}

/// Counts down `fail_next` for `kind`; true when this request is to be rate-limited.
fn take_failure(shared: &Shared, kind: &'static str) -> bool {
    let mut inner = shared.lock();
    match inner.fail_next.get_mut(kind) {
        Some(n) if *n > 0 => {
            *n -= 1;
            true
        }
        _ => false,
    }
}

fn wecom(
    shared: &Shared,
    query: &HashMap<String, String>,
    content_type: &str,
    body: &[u8],
) -> Result<Option<RobotMessage>, Refusal> {
    // Seen from WeCom for a wrong key (the docs list no reply for it).
    if query.get("key").map(String::as_str) != Some(WECOM_KEY) {
        return Err(refuse(
            json!({"errcode": 93000, "errmsg": "invalid webhook url"}),
            "unknown key (wrong webhook URL)",
        ));
    }
    if take_failure(shared, "wecom") {
        return Ok(None);
    }
    // WeCom's wording for a bad parameter (seen for an over-long content); used for every
    // malformed body, since the docs give no other.
    let bad = |why: String| {
        refuse(
            json!({"errcode": 40058, "errmsg": format!("{why}. invalid Request Parameter")}),
            format!("bad format: {why}"),
        )
    };
    if !content_type.starts_with("application/json") {
        return Err(bad(format!(
            "Content-Type {content_type:?}, not application/json"
        )));
    }
    let v: Value =
        serde_json::from_slice(body).map_err(|e| bad(format!("body is not JSON ({e})")))?;
    let msgtype = v["msgtype"].as_str().unwrap_or("");
    let (field, limit) = match msgtype {
        "markdown" | "markdown_v2" => (msgtype, 4096),
        "text" => ("text", 2048),
        other => {
            return Err(refuse(
                json!({"errcode": 40008, "errmsg": "invalid message type"}),
                format!("bad format: msgtype {other:?} is not markdown, markdown_v2 or text"),
            ))
        }
    };
    let content = v[field]["content"]
        .as_str()
        .filter(|c| !c.is_empty())
        .ok_or_else(|| bad(format!("missing {field}.content")))?;
    if content.len() > limit {
        return Err(refuse(
            json!({"errcode": 40058, "errmsg": format!("{field}.content exceed max length {limit}. invalid Request Parameter")}),
            format!(
                "bad format: {field}.content is {} bytes, over {limit}",
                content.len()
            ),
        ));
    }
    let list = &v[field]["mentioned_mobile_list"];
    if !list.is_null() && field != "text" {
        return Err(bad(format!(
            "{field} does not take mentioned_mobile_list (text messages do)"
        )));
    }
    let mut mentions = Vec::new();
    if !list.is_null() {
        for m in list
            .as_array()
            .ok_or_else(|| bad("mentioned_mobile_list is not an array".into()))?
        {
            let m = m
                .as_str()
                .ok_or_else(|| bad("mentioned_mobile_list holds a non-string".into()))?;
            mentions.push(if m == "@all" {
                "all".to_owned()
            } else {
                m.to_owned()
            });
        }
    }
    Ok(Some(RobotMessage {
        kind: "wecom".into(),
        title: None,
        text: content.to_owned(),
        mentions,
    }))
}

fn dingtalk(
    shared: &Shared,
    query: &HashMap<String, String>,
    content_type: &str,
    body: &[u8],
) -> Result<Option<RobotMessage>, Refusal> {
    if query.get("access_token").map(String::as_str) != Some(DINGTALK_TOKEN) {
        return Err(refuse(
            json!({"errcode": 300001, "errmsg": "token is not exist"}),
            "unknown access_token (wrong webhook URL)",
        ));
    }
    if take_failure(shared, "dingtalk") {
        return Ok(None);
    }
    // 加签: all of timestamp, sign and the secret's HMAC must hold; DingTalk answers 310000
    // with a different errmsg for each.
    let (Some(ts), Some(sign)) = (query.get("timestamp"), query.get("sign")) else {
        return Err(refuse(
            json!({"errcode": 310000, "errmsg": "sign not match"}),
            "bad signature: timestamp or sign missing from the URL",
        ));
    };
    let Ok(ts_ms) = ts.parse::<i64>() else {
        return Err(refuse(
            json!({"errcode": 310000, "errmsg": "invalid timestamp"}),
            format!("stale timestamp: {ts:?} is not milliseconds since the epoch"),
        ));
    };
    let skew_ms = (chrono::Utc::now().timestamp_millis() - ts_ms).abs();
    if skew_ms > MAX_SKEW_SECS * 1000 {
        return Err(refuse(
            json!({"errcode": 310000, "errmsg": "invalid timestamp"}),
            format!("stale timestamp: {} s away from now", skew_ms / 1000),
        ));
    }
    let expected = hmac_sha256_b64(
        DINGTALK_SECRET.as_bytes(),
        format!("{ts}\n{DINGTALK_SECRET}").as_bytes(),
    );
    // `sign` was URL-decoded with the query; an unencoded '+' arrives as ' ' and fails, as it
    // does at DingTalk.
    if *sign != expected {
        return Err(refuse(
            json!({"errcode": 310000, "errmsg": "sign not match"}),
            "bad signature",
        ));
    }
    // Seen from DingTalk for a body that is not JSON or lacks a field.
    let bad = |why: String| {
        refuse(
            json!({"errcode": 40035, "errmsg": "缺少参数 json"}),
            format!("bad format: {why}"),
        )
    };
    if !content_type.starts_with("application/json") {
        return Err(bad(format!(
            "Content-Type {content_type:?}, not application/json"
        )));
    }
    if body.len() > 20_000 {
        return Err(refuse(
            json!({"errcode": 460101, "errmsg": "message too long, exceed 20000 bytes"}),
            format!("bad format: body is {} bytes, over 20000", body.len()),
        ));
    }
    let v: Value =
        serde_json::from_slice(body).map_err(|e| bad(format!("body is not JSON ({e})")))?;
    let text = |v: &Value, field: &str| {
        v[field]
            .as_str()
            .filter(|s| !s.trim().is_empty())
            .map(str::to_owned)
    };
    let mut at_mobiles = Vec::new();
    let at = &v["at"];
    if !at.is_null() {
        for m in at["atMobiles"].as_array().into_iter().flatten() {
            at_mobiles.push(
                m.as_str()
                    .ok_or_else(|| bad("at.atMobiles holds a non-string".into()))?
                    .to_owned(),
            );
        }
        if !at["isAtAll"].is_null() && !at["isAtAll"].is_boolean() {
            return Err(bad("at.isAtAll is not a boolean".into()));
        }
    }
    let at_all = at["isAtAll"].as_bool() == Some(true);
    // What the group sees @-ed: a mobile only where the text names it, everyone when asked.
    let seen = |body: &str| {
        let mut m: Vec<String> = at_mobiles
            .iter()
            .filter(|m| body.contains(&format!("@{m}")))
            .cloned()
            .collect();
        if at_all {
            m.push("all".into());
        }
        m
    };
    match v["msgtype"].as_str().unwrap_or("") {
        "markdown" => {
            let md = &v["markdown"];
            let title = text(md, "title").ok_or_else(|| bad("missing markdown.title".into()))?;
            let body = text(md, "text").ok_or_else(|| bad("missing markdown.text".into()))?;
            Ok(Some(RobotMessage {
                kind: "dingtalk".into(),
                title: Some(title),
                mentions: seen(&body),
                text: body,
            }))
        }
        "text" => {
            let body =
                text(&v["text"], "content").ok_or_else(|| bad("missing text.content".into()))?;
            Ok(Some(RobotMessage {
                kind: "dingtalk".into(),
                title: None,
                mentions: seen(&body),
                text: body,
            }))
        }
        other => Err(bad(format!("msgtype {other:?} is not markdown or text"))),
    }
}

fn feishu(
    shared: &Shared,
    path: &str,
    content_type: &str,
    body: &[u8],
) -> Result<Option<RobotMessage>, Refusal> {
    let token = path.trim_start_matches("/open-apis/bot/v2/hook/");
    if token != FEISHU_TOKEN {
        // Seen from Feishu for a wrong hook token (the docs list no reply for it).
        return Err(refuse(
            json!({"code": 19001, "msg": "param invalid: incoming webhook access token invalid", "data": {}}),
            "unknown hook token (wrong webhook URL)",
        ));
    }
    if take_failure(shared, "feishu") {
        return Ok(None);
    }
    // The docs' answer to a malformed or over-20K body.
    let bad = |why: String| {
        refuse(
            json!({"code": 9499, "msg": "Bad Request", "data": {}}),
            format!("bad format: {why}"),
        )
    };
    if !content_type.starts_with("application/json") {
        return Err(bad(format!(
            "Content-Type {content_type:?}, not application/json"
        )));
    }
    if body.len() > 20 * 1024 {
        return Err(bad(format!("body is {} bytes, over 20 KB", body.len())));
    }
    let v: Value =
        serde_json::from_slice(body).map_err(|e| bad(format!("body is not JSON ({e})")))?;
    let sign_fail = |why: String| {
        refuse(
            json!({"code": 19021, "msg": "sign match fail or timestamp is not within one hour from current time", "data": {}}),
            why,
        )
    };
    // The docs' example sends the timestamp as a string of seconds.
    let Some(ts) = v.get("timestamp").and_then(Value::as_str) else {
        return Err(sign_fail(
            "bad signature: no \"timestamp\" string in the body".into(),
        ));
    };
    let Some(sign) = v.get("sign").and_then(Value::as_str) else {
        return Err(sign_fail("bad signature: no \"sign\" in the body".into()));
    };
    let Ok(ts_s) = ts.parse::<i64>() else {
        return Err(sign_fail(format!(
            "stale timestamp: {ts:?} is not seconds since the epoch"
        )));
    };
    let skew = (chrono::Utc::now().timestamp() - ts_s).abs();
    if skew > MAX_SKEW_SECS {
        return Err(sign_fail(format!(
            "stale timestamp: {skew} s away from now"
        )));
    }
    let expected = hmac_sha256_b64(format!("{ts}\n{FEISHU_SECRET}").as_bytes(), b"");
    if sign != expected {
        return Err(sign_fail("bad signature".into()));
    }
    let (title, text) = match v["msg_type"].as_str().unwrap_or("") {
        "interactive" => feishu_card_text(&v["card"]).map_err(bad)?,
        "post" => feishu_post_text(&v["content"]["post"]).map_err(bad)?,
        "text" => {
            let t = v["content"]["text"]
                .as_str()
                .filter(|t| !t.trim().is_empty());
            (
                None,
                t.ok_or_else(|| bad("missing content.text".into()))?
                    .to_owned(),
            )
        }
        other => {
            return Err(bad(format!(
                "msg_type {other:?} is not interactive, post or text"
            )))
        }
    };
    let mentions = feishu_ats(&text);
    Ok(Some(RobotMessage {
        kind: "feishu".into(),
        title,
        text,
        mentions,
    }))
}

/// The ids of a card text's `<at id=…></at>` tags (`all` for everyone).
fn feishu_ats(text: &str) -> Vec<String> {
    text.split("<at id=")
        .skip(1)
        .filter_map(|rest| {
            rest.split_once("></at>")
                .map(|(id, _)| id.trim_matches('"').to_owned())
        })
        .collect()
}

/// The header title and the texts of a message card (`card` must be an object, not a string).
fn feishu_card_text(card: &Value) -> Result<(Option<String>, String), String> {
    if !card.is_object() {
        return Err("card is not a JSON object".into());
    }
    let title = card["header"]["title"]["content"]
        .as_str()
        .map(str::to_owned);
    // JSON 1.0 cards list `elements` at the top; 2.0 cards under `body`.
    let elements = card["elements"]
        .as_array()
        .or_else(|| card["body"]["elements"].as_array())
        .ok_or("card has no elements")?;
    let mut parts = Vec::new();
    for el in elements {
        match el["tag"].as_str().unwrap_or("") {
            "div" => {
                let texts = std::iter::once(&el["text"]).chain(
                    el["fields"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|f| &f["text"]),
                );
                for t in texts.filter(|t| !t.is_null()) {
                    match t["tag"].as_str() {
                        Some("lark_md") | Some("plain_text") => {}
                        other => {
                            return Err(format!(
                                "div text tag {other:?} is not lark_md or plain_text"
                            ))
                        }
                    }
                    let content = t["content"].as_str().ok_or("div text without content")?;
                    parts.push(content.to_owned());
                }
            }
            "markdown" => parts.push(
                el["content"]
                    .as_str()
                    .ok_or("markdown element without content")?
                    .to_owned(),
            ),
            "hr" | "action" | "note" | "img" => {}
            other => return Err(format!("unexpected card element tag {other:?}")),
        }
    }
    let text = parts.join("\n");
    if text.trim().is_empty() {
        return Err("card has no text".into());
    }
    Ok((title, text))
}

/// A rich-text post: `{"zh_cn": {"title": …, "content": [[{"tag": "text", …}, …], …]}}`.
fn feishu_post_text(post: &Value) -> Result<(Option<String>, String), String> {
    let lang = post
        .get("zh_cn")
        .or_else(|| post.get("en_us"))
        .or_else(|| post.as_object().and_then(|o| o.values().next()))
        .ok_or("content.post has no language")?;
    let paragraphs = lang["content"].as_array().ok_or("post without content")?;
    let mut lines = Vec::new();
    for para in paragraphs {
        let mut line = String::new();
        for node in para.as_array().ok_or("post paragraph is not an array")? {
            match node["tag"].as_str().unwrap_or("") {
                "text" | "a" => {
                    line.push_str(node["text"].as_str().ok_or("post node without text")?)
                }
                "at" => {
                    line.push('@');
                    line.push_str(
                        node["user_name"]
                            .as_str()
                            .or(node["user_id"].as_str())
                            .unwrap_or(""),
                    );
                }
                "img" | "media" | "emotion" | "hr" | "code_block" | "md" => {}
                other => return Err(format!("unexpected post tag {other:?}")),
            }
        }
        lines.push(line);
    }
    let text = lines.join("\n");
    if text.trim().is_empty() {
        return Err("post has no text".into());
    }
    Ok((lang["title"].as_str().map(str::to_owned), text))
}

/// Base64(HMAC-SHA256(key, message)), computed here rather than borrowed from the app.
fn hmac_sha256_b64(key: &[u8], message: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(message);
    B64.encode(mac.finalize().into_bytes())
}

/// A query string decoded as a form (`+` is a space, `%XX` a byte), the last value winning.
fn parse_query(query: &str) -> HashMap<String, String> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (form_decode(k), form_decode(v))
        })
        .collect()
}

fn form_decode(s: &str) -> String {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(hi), Some(lo)) => {
                    out.push(hi << 4 | lo);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The stand-in refuses what the platforms refuse: a signature made with another secret or
/// for another timestamp, a stale timestamp, a missing signature, a wrong token. So its
/// acceptance of the app's messages in the digest tests says the app signs them right.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn robot_server_refuses_bad_signatures() {
    let robots = RobotServer::start().await;
    let client = reqwest::Client::new();
    const OTHER_SECRET: &str =
        "SEC0000000000000000000000000000000000000000000000000000000000000000";
    let now = chrono::Utc::now();

    // DingTalk: timestamp (ms) and sign in the query; sign over "timestamp\nsecret".
    let dingtalk = |ts: Option<String>, sign: Option<String>, url: &str| {
        let mut url = reqwest::Url::parse(url).unwrap();
        if let Some(ts) = ts {
            url.query_pairs_mut().append_pair("timestamp", &ts);
        }
        if let Some(sign) = sign {
            url.query_pairs_mut().append_pair("sign", &sign);
        }
        let req = client.post(url).json(
            &json!({"msgtype": "markdown", "markdown": {"title": "周报", "text": "支付问题"}}),
        );
        async move { req.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let ding_sign = |ts: &str, secret: &str| {
        hmac_sha256_b64(secret.as_bytes(), format!("{ts}\n{secret}").as_bytes())
    };
    let url = robots.webhook_url("dingtalk");
    let ms = now.timestamp_millis().to_string();
    let stale = (now - chrono::Duration::hours(2))
        .timestamp_millis()
        .to_string();
    let earlier = (now.timestamp_millis() - 1000).to_string();
    let wrong_token = url.replace(DINGTALK_TOKEN, &"0".repeat(64));
    let ok = json!({"errcode": 0, "errmsg": "ok"});
    let sign_not_match = json!({"errcode": 310000, "errmsg": "sign not match"});
    let invalid_timestamp = json!({"errcode": 310000, "errmsg": "invalid timestamp"});
    for (ts, sign, url, want) in [
        (Some(&ms), Some(ding_sign(&ms, DINGTALK_SECRET)), &url, &ok),
        (
            Some(&ms),
            Some(ding_sign(&ms, OTHER_SECRET)),
            &url,
            &sign_not_match,
        ),
        (
            Some(&ms),
            Some(ding_sign(&earlier, DINGTALK_SECRET)),
            &url,
            &sign_not_match,
        ),
        (
            Some(&stale),
            Some(ding_sign(&stale, DINGTALK_SECRET)),
            &url,
            &invalid_timestamp,
        ),
        (Some(&ms), None, &url, &sign_not_match),
        (
            None,
            Some(ding_sign(&ms, DINGTALK_SECRET)),
            &url,
            &sign_not_match,
        ),
        (
            Some(&ms),
            Some(ding_sign(&ms, DINGTALK_SECRET)),
            &wrong_token,
            &json!({"errcode": 300001, "errmsg": "token is not exist"}),
        ),
    ] {
        let got = dingtalk(ts.cloned(), sign.clone(), url).await;
        assert_eq!(&got, want, "dingtalk timestamp {ts:?} sign {sign:?}");
    }

    // Feishu: timestamp (s) and sign in the body; sign is the HMAC keyed with
    // "timestamp\nsecret" over nothing.
    let feishu = |ts: Option<String>, sign: Option<String>, url: &str| {
        let mut body = json!({"msg_type": "text", "content": {"text": "支付问题"}});
        if let Some(ts) = ts {
            body["timestamp"] = json!(ts);
        }
        if let Some(sign) = sign {
            body["sign"] = json!(sign);
        }
        let req = client.post(url).json(&body);
        async move { req.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let feishu_sign =
        |ts: &str, secret: &str| hmac_sha256_b64(format!("{ts}\n{secret}").as_bytes(), b"");
    let url = robots.webhook_url("feishu");
    let s = now.timestamp().to_string();
    let stale = (now - chrono::Duration::hours(2)).timestamp().to_string();
    let earlier = (now.timestamp() - 1).to_string();
    let wrong_token = url.replace(FEISHU_TOKEN, "00000000-0000-0000-0000-000000000000");
    let refused = json!({"code": 19021, "msg": "sign match fail or timestamp is not within one hour from current time", "data": {}});
    for (ts, sign, url, code) in [
        (Some(&s), Some(feishu_sign(&s, FEISHU_SECRET)), &url, 0),
        (
            Some(&s),
            Some(feishu_sign(&s, "wrongSecretOfFeishu22")),
            &url,
            19021,
        ),
        (
            Some(&s),
            Some(feishu_sign(&earlier, FEISHU_SECRET)),
            &url,
            19021,
        ),
        (
            Some(&stale),
            Some(feishu_sign(&stale, FEISHU_SECRET)),
            &url,
            19021,
        ),
        (Some(&s), None, &url, 19021),
        (None, Some(feishu_sign(&s, FEISHU_SECRET)), &url, 19021),
        (
            Some(&s),
            Some(feishu_sign(&s, FEISHU_SECRET)),
            &wrong_token,
            19001,
        ),
    ] {
        let got = feishu(ts.cloned(), sign.clone(), url).await;
        assert_eq!(
            got["code"], code,
            "feishu timestamp {ts:?} sign {sign:?}: {got}"
        );
        if code == 19021 {
            assert_eq!(got, refused);
        }
    }

    // WeCom has no signature; its key in the URL is the credential.
    let wecom = robots.webhook_url("wecom");
    for (url, want) in [
        (wecom.clone(), ok.clone()),
        (
            wecom.replace(WECOM_KEY, "00000000-0000-0000-0000-000000000000"),
            json!({"errcode": 93000, "errmsg": "invalid webhook url"}),
        ),
    ] {
        let got: Value = client
            .post(&url)
            .json(&json!({"msgtype": "markdown", "markdown": {"content": "支付问题"}}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(got, want, "{url}");
    }

    // Exactly the three good messages were taken; each refusal was recorded with its reason.
    let kinds: Vec<String> = robots.received().into_iter().map(|m| m.kind).collect();
    assert_eq!(kinds, ["dingtalk", "feishu", "wecom"]);
    let rejected = robots.rejected();
    assert_eq!(rejected.len(), 13, "{rejected:#?}");
    for (platform, n) in [("dingtalk", 6), ("feishu", 6), ("wecom", 1)] {
        assert_eq!(
            rejected
                .iter()
                .filter(|r| r.starts_with(&format!("{platform}: ")))
                .count(),
            n,
            "{rejected:#?}"
        );
    }
    for why in ["bad signature", "stale timestamp", "wrong webhook URL"] {
        assert!(
            rejected.iter().any(|r| r.contains(why)),
            "{why}: {rejected:#?}"
        );
    }
}
