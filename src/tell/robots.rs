//! Group robots: the one markdown message each of WeCom (企业微信), DingTalk (钉钉) and Feishu
//! (飞书) accepts from a webhook — URL, signature and JSON body — how to read their replies, and
//! the check of a webhook URL a user pastes in. Pure: no I/O, the clock comes in as an argument.
//!
//! # What the platforms document
//!
//! **WeCom group robot (群机器人)** — <https://developer.work.weixin.qq.com/document/path/91770>
//! (群机器人配置说明; read through copies of it, e.g. <https://cnblogs.com/tiandi/p/17768525.html>).
//! - `POST https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY`, `Content-Type:
//!   application/json`, UTF-8. No signature: the key in the URL is the only credential.
//! - Body `{"msgtype":"markdown","markdown":{"content":"…"}}`; `content` at most 4096 bytes of
//!   UTF-8 (a longer one gets errcode 40058 "markdown.content exceed max length 4096").
//! - Markdown subset: headings `#`…`######`, `**bold**`, links, `` `inline code` `` (one line),
//!   `> quotes`, `<font color="info|comment|warning">`. No images, no rules, no tables.
//! - 20 messages a minute per robot. Replies `{"errcode":0,"errmsg":"ok"}`; 45009 "api freq
//!   out of limit" is WeCom's rate-limit code, 93000 "invalid webhook url" a wrong key, -1 busy.
//!
//! **DingTalk custom robot (自定义机器人)** — <https://open.dingtalk.com/document/orgapp/custom-robot-access>
//! and its security page <https://open.dingtalk.com/document/robots/customize-robot-security-settings>
//! (read through copies, e.g. <https://www.mihaoyun.com/wordpress/?p=391>).
//! - `POST https://oapi.dingtalk.com/robot/send?access_token=TOKEN`, JSON, UTF-8.
//! - 加签: `timestamp` in **milliseconds**, within one hour of DingTalk's clock;
//!   string_to_sign = `timestamp + "\n" + secret`; HMAC-SHA256 **keyed by the secret** over it;
//!   Base64; then URL-encoded; appended as `&timestamp=…&sign=…` (the secret starts with `SEC`).
//! - Body `{"msgtype":"markdown","markdown":{"title":"…","text":"…"}}`; `title` only shows in
//!   the chat list and notification, not in the message, so the text repeats it as a heading.
//!   Markdown subset: headings, `>` quotes, bold, italic, links, images, ordered/unordered lists.
//! - The body may be at most 20000 bytes (errcode 460101 "message too long, exceed 20000 bytes").
//! - 20 messages a minute per robot, then 10 minutes of throttling: errcode 130101 "send too
//!   fast, exceed 20 times per minute"; the anti-abuse gateway may instead answer
//!   `{"status":1111,"wait":5,…,"punish":"deny"}` with no errcode. Signature, timestamp, keyword
//!   and IP failures all share errcode 310000 ("sign not match", "invalid timestamp", …);
//!   300001 "token is not exist"; -1 system busy.
//!
//! **Feishu custom bot (自定义机器人)** — <https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot>
//! (= <https://open.larkoffice.com/document/ukTMukTMukTM/ucTM5YjL3ETO24yNxkjN>; Lark's English
//! copy <https://open.larksuite.com/document/client-docs/bot-v3/use-custom-bots-in-a-group>).
//! - `POST https://open.feishu.cn/open-apis/bot/v2/hook/TOKEN`, JSON.
//! - Signature: `timestamp` in **seconds**, within one hour; string_to_sign = `timestamp + "\n"
//!   + secret` is the HMAC-SHA256 **key**, the message is empty; Base64 (no URL-encoding). Both
//!   go in the body, next to the message: `"timestamp":"1599360473"` (a string) and `"sign"`.
//! - Message: `{"msg_type":"interactive","card":{…}}` (the card is an object, not a string) or
//!   `"post"`/`"text"` with `content`. A card `div` whose `text.tag` is `lark_md` renders
//!   markdown, but only text formatting: "在 text 元素中无法使用与文本格式无关的 markdown
//!   标签（例如，图片、分割线）" (<https://open.larkoffice.com/document/ukTMukTMukTM/uADOwUjLwgDM14CM4ATN>),
//!   and headings exist only in JSON 2.0 markdown components.
//! - Request body at most 20 KB. 100 requests a minute and 5 a second per bot.
//! - Success `{"StatusCode":0,"StatusMessage":"success","code":0,"data":{},"msg":"success"}`
//!   (`StatusCode`/`StatusMessage` are kept "for compatibility"; older replies carry only them).
//!   9499 "Bad Request" = malformed body or over 20 KB; 19021 "sign match fail or timestamp is
//!   not within one hour from current time"; 19022 IP not allowed; 19024 keyword missing;
//!   11232 = rate limited ("11232 限流错误"). The open platform's generic limit is HTTP 429
//!   with code 99991400 (<https://open.feishu.cn/document/server-docs/api-call-guide/frequency-control>).
//!
//! # What this module does with generic markdown
//!
//! The digest is written once in generic markdown; per platform we change only what would show
//! as raw syntax: images become links on WeCom and Feishu (neither renders `![]()` in these
//! messages); `#` headings become bold lines on Feishu (lark_md has none) and stay on WeCom and
//! DingTalk, which document them; lone `---`/`***`/`___` rules become blank lines everywhere
//! (no platform lists them). Code fences are left alone. The title becomes a bold first line
//! on WeCom (no title field), a `###` heading plus `markdown.title` on DingTalk, and the card
//! header on Feishu. The body is then cut at a line boundary, with a final "…" line, so the
//! platform's size limit holds.
//!
//! # Mentions (@)
//!
//! A subscription may name people the messages @, each platform its own way:
//! - DingTalk: `"at": {"atMobiles": [...], "isAtAll": false}` beside `markdown`; a markdown
//!   message shows the @ only where the text holds `@mobile`, so the text ends with them.
//! - WeCom: a `markdown` message can @ only by `<@userid>`; `mentioned_mobile_list` (mobile
//!   numbers, `"@all"` for everyone) belongs to `text` messages, so the mentions go in a short
//!   `text` message sent right after the digest.
//! - Feishu: in a card's `lark_md` text, `<at id=ou_…></at>` (an open id) or `<at id=all></at>`.
//!
//! Mobile numbers are mainland ones (11 digits from 13…19, an optional `+86`); `all` means
//! everyone on every platform.

use crate::domain::host::is_host_name;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RobotKind {
    Wecom,
    Dingtalk,
    Feishu,
}

impl RobotKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RobotKind::Wecom => "wecom",
            RobotKind::Dingtalk => "dingtalk",
            RobotKind::Feishu => "feishu",
        }
    }

    /// The product's own name, for messages shown to a user.
    fn display(self) -> &'static str {
        match self {
            RobotKind::Wecom => "WeCom (企业微信)",
            RobotKind::Dingtalk => "DingTalk (钉钉)",
            RobotKind::Feishu => "Feishu (飞书)",
        }
    }
}

/// What to POST, as JSON, to send one message.
#[derive(Debug, Clone, PartialEq)]
pub struct RobotRequest {
    pub url: String,
    pub body: Value,
}

/// A refused message, and whether sending it again later can succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplyError {
    #[error("{0} (worth retrying)")]
    Retryable(String),
    #[error("{0}")]
    Permanent(String),
}

/// WeCom: bytes of UTF-8 in `markdown.content`.
pub const WECOM_CONTENT_MAX_BYTES: usize = 4096;
/// DingTalk: bytes of the whole JSON body.
pub const DINGTALK_BODY_MAX_BYTES: usize = 20_000;
/// Feishu documents "20 KB" for the whole body; 20 000 holds under either reading of "KB".
pub const FEISHU_BODY_MAX_BYTES: usize = 20_000;
/// Our own cap: a title is a chat-list preview, and DingTalk's older message APIs refuse
/// titles over 64 characters.
pub const TITLE_MAX_CHARS: usize = 64;
/// The line that ends a shortened body.
const CUT_MARK: &str = "…";
/// Most people one subscription may @.
pub const MAX_MENTIONS: usize = 20;

/// Checks and normalises whom a robot of `kind` should @: mobile numbers (DingTalk, WeCom) or
/// open ids (Feishu), or `all`; duplicates dropped. The error says what a value must be.
pub fn parse_mentions(kind: RobotKind, raw: &[String]) -> Result<Vec<String>, String> {
    if raw.len() > MAX_MENTIONS {
        return Err(format!("at most {MAX_MENTIONS} people"));
    }
    let mut out: Vec<String> = Vec::new();
    for r in raw {
        let v = r.trim();
        let parsed = if v.eq_ignore_ascii_case("all") || v == "@all" {
            Some("all".to_owned())
        } else {
            match kind {
                RobotKind::Dingtalk | RobotKind::Wecom => mobile(v),
                RobotKind::Feishu => open_id(v),
            }
        };
        let Some(p) = parsed else {
            return Err(match kind {
                RobotKind::Feishu => format!(
                    "{v:?} is not a Feishu open id (ou_ followed by letters and digits) or all"
                ),
                _ => format!("{v:?} is not a mainland mobile number (such as 13800138000) or all"),
            });
        };
        if !out.contains(&p) {
            out.push(p);
        }
    }
    Ok(out)
}

/// `13800138000`, also written `+86 138-0013-8000`; `None` for anything else.
fn mobile(v: &str) -> Option<String> {
    let digits: String = v.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    let digits = digits.strip_prefix("+86").unwrap_or(&digits);
    let b = digits.as_bytes();
    let ok = b.len() == 11
        && b[0] == b'1'
        && (b'3'..=b'9').contains(&b[1])
        && b.iter().all(u8::is_ascii_digit);
    ok.then(|| digits.to_owned())
}

/// A Feishu open id: `ou_` and 1 to 64 ASCII letters or digits.
fn open_id(v: &str) -> Option<String> {
    let rest = v.strip_prefix("ou_")?;
    let ok = (1..=64).contains(&rest.len()) && rest.bytes().all(|b| b.is_ascii_alphanumeric());
    ok.then(|| v.to_owned())
}

/// One markdown message (title + body) for `kind`, signed at `now` when a secret is given; the
/// body is trimmed at a line boundary to the platform's size limit with a "…" line.
///
/// WeCom has no signing, so a secret given for it is ignored. For DingTalk any `timestamp` and
/// `sign` already in the URL (a signed URL pasted back in) are replaced, not repeated.
pub fn build_request(
    kind: RobotKind,
    webhook_url: &str,
    secret: Option<&str>,
    title: &str,
    markdown: &str,
    mentions: &[String],
    now: DateTime<Utc>,
) -> RobotRequest {
    build_delivery_request(
        kind,
        webhook_url,
        secret,
        title,
        markdown,
        mentions,
        now,
        None,
    )
}

/// The outbox's message: [`build_request`]'s, ending with a line `编号 dlv_…` (the delivery's
/// id) that survives the cut, so that a message sent twice (see docs/design.md, "A robot
/// message sent once") can be recognised in the group.
#[allow(clippy::too_many_arguments)]
pub fn build_delivery_request(
    kind: RobotKind,
    webhook_url: &str,
    secret: Option<&str>,
    title: &str,
    markdown: &str,
    mentions: &[String],
    now: DateTime<Utc>,
    delivery_id: Option<&str>,
) -> RobotRequest {
    let secret = secret.map(str::trim).filter(|s| !s.is_empty());
    let markdown = markdown.replace("\r\n", "\n");
    let title = clean_title(title, &markdown);
    let text = adapt_markdown(kind, &markdown);
    // The delivery's number and the mentions' line end the text and must survive the cut:
    // room is kept for them.
    let at_line = at_line(kind, mentions);
    let mut at_tail = delivery_id
        .map(|id| format!("\n\n编号 {id}"))
        .unwrap_or_default();
    if let Some(l) = at_line.as_deref() {
        at_tail.push_str(&format!("\n\n{l}"));
    }
    match kind {
        RobotKind::Wecom => {
            let head = format!("**{title}**\n\n");
            let room = WECOM_CONTENT_MAX_BYTES.saturating_sub(head.len() + at_tail.len());
            let content = format!("{head}{}{at_tail}", trim_to(&text, room, str::len));
            RobotRequest {
                url: webhook_url.to_owned(),
                body: json!({"msgtype": "markdown", "markdown": {"content": content}}),
            }
        }
        RobotKind::Dingtalk => {
            let head = format!("### {title}\n\n");
            let mobiles: Vec<&String> = mentions.iter().filter(|m| *m != "all").collect();
            let at = json!({"atMobiles": mobiles, "isAtAll": mentions.iter().any(|m| m == "all")});
            let mut empty =
                json!({"msgtype": "markdown", "markdown": {"title": title, "text": ""}});
            if !mentions.is_empty() {
                empty["at"] = at.clone();
            }
            // What the body weighs besides the text; the text's weight is its JSON-escaped size.
            let room = DINGTALK_BODY_MAX_BYTES
                .saturating_sub(empty.to_string().len() + json_len(&head) + json_len(&at_tail));
            let text = format!("{head}{}{at_tail}", trim_to(&text, room, json_len));
            let mut body =
                json!({"msgtype": "markdown", "markdown": {"title": title, "text": text}});
            if !mentions.is_empty() {
                body["at"] = at;
            }
            let url = match secret {
                Some(secret) => {
                    let ts = now.timestamp_millis();
                    let sign = dingtalk_sign(secret, ts);
                    with_query(
                        webhook_url,
                        &["timestamp", "sign"],
                        &[
                            ("timestamp", ts.to_string()),
                            ("sign", percent_encode(&sign)),
                        ],
                    )
                }
                None => webhook_url.to_owned(),
            };
            RobotRequest { url, body }
        }
        RobotKind::Feishu => {
            let card = |content: &str| {
                json!({
                    "config": {"wide_screen_mode": true},
                    "header": {"title": {"tag": "plain_text", "content": title}},
                    "elements": [{"tag": "div", "text": {"tag": "lark_md", "content": content}}],
                })
            };
            let mut body = json!({"msg_type": "interactive", "card": card("")});
            if let Some(secret) = secret {
                let ts = now.timestamp();
                body["timestamp"] = Value::String(ts.to_string());
                body["sign"] = Value::String(feishu_sign(secret, ts));
            }
            let room =
                FEISHU_BODY_MAX_BYTES.saturating_sub(body.to_string().len() + json_len(&at_tail));
            body["card"] = card(&format!("{}{at_tail}", trim_to(&text, room, json_len)));
            RobotRequest {
                url: webhook_url.to_owned(),
                body,
            }
        }
    }
}

/// The line of @s a message's text ends with: `@13800138000 @所有人` on DingTalk (its markdown
/// shows an @ only where the text names it), `<at id=ou_…></at>` on Feishu; `None` on WeCom,
/// whose markdown cannot @ by mobile (see [`mention_request`]), and without mentions.
fn at_line(kind: RobotKind, mentions: &[String]) -> Option<String> {
    if mentions.is_empty() {
        return None;
    }
    let parts: Vec<String> = match kind {
        RobotKind::Wecom => return None,
        RobotKind::Dingtalk => mentions
            .iter()
            .map(|m| match m.as_str() {
                "all" => "@所有人".to_owned(),
                m => format!("@{m}"),
            })
            .collect(),
        RobotKind::Feishu => mentions
            .iter()
            .map(|m| format!("<at id={m}></at>"))
            .collect(),
    };
    Some(parts.join(" "))
}

/// WeCom only: the `text` message that @s the subscription's people by mobile number
/// (`mentioned_mobile_list`, `@all` for everyone), sent after the markdown message, which
/// cannot. `None` for the other platforms and without mentions.
pub fn mention_request(
    kind: RobotKind,
    webhook_url: &str,
    title: &str,
    mentions: &[String],
) -> Option<RobotRequest> {
    if kind != RobotKind::Wecom || mentions.is_empty() {
        return None;
    }
    let list: Vec<&str> = mentions
        .iter()
        .map(|m| if m == "all" { "@all" } else { m.as_str() })
        .collect();
    let title = clean_title(title, "");
    Some(RobotRequest {
        url: webhook_url.to_owned(),
        body: json!({
            "msgtype": "text",
            "text": {"content": format!("请查看上一条消息：{title}"), "mentioned_mobile_list": list},
        }),
    })
}

/// DingTalk's `sign` before URL-encoding: Base64(HMAC-SHA256(key = secret,
/// message = timestamp_ms + "\n" + secret)).
pub fn dingtalk_sign(secret: &str, timestamp_ms: i64) -> String {
    hmac_b64(
        secret.as_bytes(),
        format!("{timestamp_ms}\n{secret}").as_bytes(),
    )
}

/// Feishu's `sign`: Base64(HMAC-SHA256(key = timestamp_s + "\n" + secret, message = "")).
/// The key/message order is the reverse of DingTalk's; the docs' samples do exactly this.
pub fn feishu_sign(secret: &str, timestamp_s: i64) -> String {
    hmac_b64(format!("{timestamp_s}\n{secret}").as_bytes(), b"")
}

fn hmac_b64(key: &[u8], message: &[u8]) -> String {
    // HMAC takes keys of any length, so this cannot fail; an empty sign would be refused
    // by the platform rather than panic here.
    match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(message);
            B64.encode(mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}

/// Reads the platform's answer (HTTP status + body): Ok, or an error saying whether a retry can
/// help (5xx, 429, rate-limit codes, unreadable bodies from a proxy: retryable; bad signature,
/// bad token, malformed message: permanent).
pub fn check_reply(kind: RobotKind, status: u16, body: &[u8]) -> Result<(), ReplyError> {
    let name = kind.as_str();
    let snippet = || {
        let text = String::from_utf8_lossy(body);
        let short: String = text.chars().take(200).collect();
        short.trim().to_owned()
    };
    // Whatever the body says, these statuses come from overload or from something in between.
    if status >= 500 || status == 429 || status == 408 {
        return Err(ReplyError::Retryable(format!(
            "{name} answered HTTP {status}: {}",
            snippet()
        )));
    }
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let Some(Value::Object(obj)) = parsed else {
        // Not the platform's JSON: a proxy or captive portal answered. A 2xx/3xx of that kind
        // passes; a 4xx means the URL itself is wrong.
        return Err(if status < 400 {
            ReplyError::Retryable(format!(
                "{name} answered HTTP {status} with an unreadable body: {}",
                snippet()
            ))
        } else {
            ReplyError::Permanent(format!("{name} answered HTTP {status}: {}", snippet()))
        });
    };
    let text_of = |key: &str| {
        obj.get(key)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    let code_of = |key: &str| obj.get(key).and_then(Value::as_i64);
    match kind {
        RobotKind::Wecom => match code_of("errcode") {
            Some(0) if status < 400 => Ok(()),
            Some(code) => {
                let msg = format!("wecom errcode {code}: {}", text_of("errmsg"));
                // 45009: rate limit; -1: "系统繁忙".
                Err(if matches!(code, 45009 | -1) {
                    ReplyError::Retryable(msg)
                } else {
                    ReplyError::Permanent(msg)
                })
            }
            None => Err(no_code(name, status, &snippet())),
        },
        RobotKind::Dingtalk => match code_of("errcode") {
            Some(0) if status < 400 => Ok(()),
            Some(code) => {
                let msg = format!("dingtalk errcode {code}: {}", text_of("errmsg"));
                // 130101: over 20 a minute; 410100: "发送速度太快而限流" in the send API's
                // error table; -1: "系统繁忙".
                Err(if matches!(code, 130101 | 410100 | -1) {
                    ReplyError::Retryable(msg)
                } else {
                    ReplyError::Permanent(msg)
                })
            }
            // The anti-abuse gateway's throttling answer carries `wait`/`punish`, no errcode.
            None if obj.contains_key("punish") || obj.contains_key("wait") => Err(
                ReplyError::Retryable(format!("dingtalk throttled the robot: {}", snippet())),
            ),
            None => Err(no_code(name, status, &snippet())),
        },
        RobotKind::Feishu => {
            let code = code_of("code").or_else(|| code_of("StatusCode"));
            let msg_text = {
                let m = text_of("msg");
                if m.is_empty() {
                    text_of("StatusMessage")
                } else {
                    m
                }
            };
            match code {
                Some(0) if status < 400 => Ok(()),
                Some(code) => {
                    let msg = format!("feishu code {code}: {msg_text}");
                    let lower = msg_text.to_lowercase();
                    // 9499 is documented as "Bad Request" (malformed or too big), but gateways
                    // reuse it with a "too many request" text; only that wording is retried.
                    let limited_9499 = code == 9499
                        && ["too many", "limit", "frequen"]
                            .iter()
                            .any(|w| lower.contains(w));
                    Err(if matches!(code, 11232 | 99991400) || limited_9499 {
                        ReplyError::Retryable(msg)
                    } else {
                        ReplyError::Permanent(msg)
                    })
                }
                None => Err(no_code(name, status, &snippet())),
            }
        }
    }
}

/// JSON without the platform's code: same rule as an unreadable body.
fn no_code(name: &str, status: u16, snippet: &str) -> ReplyError {
    if status < 400 {
        ReplyError::Retryable(format!(
            "{name} answered HTTP {status} without a result code: {snippet}"
        ))
    } else {
        ReplyError::Permanent(format!("{name} answered HTTP {status}: {snippet}"))
    }
}

/// Validates a webhook URL a user gives for `kind`: http(s) with a host; returns a message for a
/// 422 otherwise.
///
/// Any host is accepted (tests and proxies use their own), but plain http only for a loopback
/// address, since the URL carries the robot's credential. A URL on one platform's official host
/// given for another platform is refused, as is an official URL missing its token.
pub fn validate_webhook_url(kind: RobotKind, url: &str) -> Result<(), String> {
    if url.is_empty() {
        return Err("the webhook URL is empty".into());
    }
    if url.len() > 2048 {
        return Err("the webhook URL is longer than 2048 characters".into());
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("the webhook URL contains spaces or control characters".into());
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err("the webhook URL must start with https://".into());
    };
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "https" && scheme != "http" {
        return Err(format!("the webhook URL must be https, not {scheme}"));
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    if authority.is_empty() {
        return Err("the webhook URL has no host".into());
    }
    if authority.contains('@') {
        return Err("the webhook URL must not contain a user name or password".into());
    }
    let (host, port) = split_host_port(authority)?;
    if let Some(port) = port {
        match port.parse::<u16>() {
            Ok(p) if p > 0 && port.bytes().all(|b| b.is_ascii_digit()) => {}
            _ => {
                return Err(format!(
                    "the webhook URL's port {port:?} is not a port number"
                ))
            }
        }
    }
    let loopback = is_loopback(host);
    let ip_literal = host.parse::<std::net::IpAddr>().is_ok();
    if !loopback && !ip_literal && !is_host_name(host) {
        return Err(format!(
            "the webhook URL's host {host:?} is not a valid host name"
        ));
    }
    if scheme == "http" && !loopback {
        return Err(
            "the webhook URL must use https (plain http is only allowed for a loopback address)"
                .into(),
        );
    }
    official_shape(kind, &host.to_ascii_lowercase(), tail)
}

/// Splits `host[:port]` or `[v6][:port]`.
fn split_host_port(authority: &str) -> Result<(&str, Option<&str>), String> {
    if let Some(inner) = authority.strip_prefix('[') {
        let Some((v6, after)) = inner.split_once(']') else {
            return Err("the webhook URL's host has an unclosed '['".into());
        };
        if v6.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(format!(
                "the webhook URL's host [{v6}] is not an IPv6 address"
            ));
        }
        return match after {
            "" => Ok((v6, None)),
            _ => match after.strip_prefix(':') {
                Some(port) => Ok((v6, Some(port))),
                None => Err("the webhook URL's host is malformed".into()),
            },
        };
    }
    Ok(match authority.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    })
}

fn is_loopback(host: &str) -> bool {
    let lower = host.to_ascii_lowercase();
    let lower = lower.strip_suffix('.').unwrap_or(&lower);
    if lower == "localhost" || lower.ends_with(".localhost") {
        return true;
    }
    if let Ok(v4) = lower.parse::<std::net::Ipv4Addr>() {
        return v4.is_loopback();
    }
    matches!(lower.parse::<std::net::Ipv6Addr>(), Ok(v6) if v6.is_loopback())
}

/// On the platforms' own hosts, the URL must be that platform's robot URL with its token.
fn official_shape(kind: RobotKind, host: &str, tail: &str) -> Result<(), String> {
    let owner = match host {
        "qyapi.weixin.qq.com" => RobotKind::Wecom,
        "oapi.dingtalk.com" => RobotKind::Dingtalk,
        "open.feishu.cn" | "open.larksuite.com" => RobotKind::Feishu,
        _ => return Ok(()),
    };
    if owner != kind {
        return Err(format!(
            "this is a {} robot URL, not a {} one",
            owner.display(),
            kind.display()
        ));
    }
    let (path, query) = match tail.split_once('?') {
        Some((p, q)) => (p, q.split('#').next().unwrap_or("")),
        None => (tail.split('#').next().unwrap_or(""), ""),
    };
    let has_param = |name: &str| {
        query.split('&').any(|pair| {
            pair.split_once('=')
                .is_some_and(|(k, v)| k == name && !v.is_empty())
        })
    };
    let ok = match kind {
        RobotKind::Wecom => path == "/cgi-bin/webhook/send" && has_param("key"),
        RobotKind::Dingtalk => path == "/robot/send" && has_param("access_token"),
        RobotKind::Feishu => path
            .strip_prefix("/open-apis/bot/v2/hook/")
            .is_some_and(|token| !token.is_empty() && !token.contains('/')),
    };
    if ok {
        Ok(())
    } else {
        let shape = match kind {
            RobotKind::Wecom => "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…",
            RobotKind::Dingtalk => "https://oapi.dingtalk.com/robot/send?access_token=…",
            RobotKind::Feishu => "https://open.feishu.cn/open-apis/bot/v2/hook/…",
        };
        Err(format!(
            "a {} robot URL looks like {shape}; copy it whole from the robot's settings",
            kind.display()
        ))
    }
}

/// The title, on one line and capped; DingTalk refuses an empty one, so an empty title falls
/// back to the first line of the body.
fn clean_title(title: &str, markdown: &str) -> String {
    let mut t: String = title.split_whitespace().collect::<Vec<_>>().join(" ");
    if t.is_empty() {
        t = markdown
            .lines()
            .map(|l| l.trim().trim_start_matches('#').trim())
            .find(|l| !l.is_empty())
            .unwrap_or("听见 Tingjian")
            .to_owned();
    }
    if t.chars().count() > TITLE_MAX_CHARS {
        t = t.chars().take(TITLE_MAX_CHARS - 1).collect::<String>() + CUT_MARK;
    }
    t
}

/// Generic markdown → the platform's dialect (see the module comment for what changes).
fn adapt_markdown(kind: RobotKind, markdown: &str) -> String {
    let mut out = Vec::new();
    let mut in_fence = false;
    for line in markdown.split('\n') {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            in_fence = !in_fence;
            out.push(line.to_owned());
            continue;
        }
        if in_fence {
            out.push(line.to_owned());
            continue;
        }
        if is_rule(trimmed) {
            out.push(String::new());
            continue;
        }
        let line = match kind {
            RobotKind::Dingtalk => line.to_owned(),
            RobotKind::Wecom => images_to_links(line),
            RobotKind::Feishu => heading_to_bold(&images_to_links(line)),
        };
        out.push(line);
    }
    out.join("\n")
}

/// `---`, `***`, `___` (three or more, spaces allowed) alone on a line.
fn is_rule(line: &str) -> bool {
    let compact: String = line.chars().filter(|c| !c.is_whitespace()).collect();
    compact.len() >= 3
        && ["-", "*", "_"]
            .iter()
            .any(|m| compact.chars().all(|c| c.to_string() == *m))
}

/// `# Title` … `###### Title` → `**Title**`.
fn heading_to_bold(line: &str) -> String {
    let trimmed = line.trim_start();
    let hashes = trimmed.chars().take_while(|&c| c == '#').count();
    if (1..=6).contains(&hashes) {
        let rest = &trimmed[hashes..];
        if rest.starts_with(' ') || rest.is_empty() {
            let text = rest.trim().trim_end_matches('#').trim();
            return if text.is_empty() {
                String::new()
            } else {
                format!("**{text}**")
            };
        }
    }
    line.to_owned()
}

/// `![alt](url)` → `[alt](url)` (`[图片](url)` when there is no alt text).
fn images_to_links(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(start) = rest.find("![") {
        let after = &rest[start + 2..];
        let parsed = after.find("](").and_then(|close| {
            let url_part = &after[close + 2..];
            url_part
                .find(')')
                .map(|end| (close, &url_part[..end], close + 2 + end + 1))
        });
        match parsed {
            Some((close, url, consumed)) if !after[..close].contains('\n') => {
                let alt = after[..close].trim();
                out.push_str(&rest[..start]);
                out.push_str(&format!(
                    "[{}]({url})",
                    if alt.is_empty() { "图片" } else { alt }
                ));
                rest = &after[consumed..];
            }
            _ => {
                out.push_str(&rest[..start + 2]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Cuts `text` to at most `limit` by `cost`, at a line boundary, ending with a "…" line. A first
/// line too long on its own is cut inside, on a char boundary.
fn trim_to(text: &str, limit: usize, cost: fn(&str) -> usize) -> String {
    if cost(text) <= limit {
        return text.to_owned();
    }
    let mark = format!("\n{CUT_MARK}");
    let budget = limit.saturating_sub(cost(&mark));
    let mut kept = String::new();
    let mut used = 0;
    for line in text.split_inclusive('\n') {
        let c = cost(line);
        if used + c > budget {
            break;
        }
        kept.push_str(line);
        used += c;
    }
    if kept.trim().is_empty() {
        kept.clear();
        used = 0;
        let mut buf = [0u8; 4];
        for ch in text.chars().take_while(|&c| c != '\n') {
            let c = cost(ch.encode_utf8(&mut buf));
            if used + c > budget {
                break;
            }
            kept.push(ch);
            used += c;
        }
    }
    let kept = kept.trim_end();
    if kept.is_empty() {
        CUT_MARK.to_owned()
    } else {
        format!("{kept}{mark}")
    }
}

/// Bytes `s` takes inside a JSON string as serde_json writes it (non-ASCII stays raw UTF-8).
fn json_len(s: &str) -> usize {
    s.chars()
        .map(|c| match c {
            '"' | '\\' | '\n' | '\r' | '\t' | '\u{8}' | '\u{c}' => 2,
            c if (c as u32) < 0x20 => 6,
            c => c.len_utf8(),
        })
        .sum()
}

/// Percent-encodes everything but RFC 3986's unreserved characters (so Base64's `+`, `/`, `=`
/// survive a query string).
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `url` with the query parameters named in `drop` removed and `add` (already encoded)
/// appended, keeping any fragment last.
fn with_query(url: &str, drop: &[&str], add: &[(&str, String)]) -> String {
    let (base, fragment) = match url.split_once('#') {
        Some((b, f)) => (b, Some(f)),
        None => (url, None),
    };
    let (path, query) = base.split_once('?').unwrap_or((base, ""));
    let mut pairs: Vec<String> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .filter(|p| {
            let key = p.split('=').next().unwrap_or("");
            !drop.contains(&key)
        })
        .map(str::to_owned)
        .collect();
    pairs.extend(add.iter().map(|(k, v)| format!("{k}={v}")));
    let mut out = path.to_owned();
    if !pairs.is_empty() {
        out.push('?');
        out.push_str(&pairs.join("&"));
    }
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const DING_SECRET: &str =
        "SECb1a3f0c9e2d84e7a9c6b5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3";

    fn at_ms(ms: i64) -> DateTime<Utc> {
        Utc.timestamp_millis_opt(ms).unwrap()
    }

    // Expected values computed independently with Python's hmac/hashlib/base64/urllib:
    //   python3 -c 'import hmac,hashlib,base64,urllib.parse; s="SECb1a3…f4a3"; ts="1700000000008";
    //     b=base64.b64encode(hmac.new(s.encode(),(ts+"\n"+s).encode(),hashlib.sha256).digest()).decode();
    //     print(b, urllib.parse.quote(b, safe=""))'
    // (the same recipe as DingTalk's documented Python sample, which uses quote_plus).
    #[test]
    fn dingtalk_signature_matches_an_independent_computation() {
        assert_eq!(
            dingtalk_sign(DING_SECRET, 1_700_000_000_000),
            "6yc07uwlzUcpLLOQHnha7ka/xpE9ZxTKOsuLh9U0WMU="
        );
        assert_eq!(
            dingtalk_sign(DING_SECRET, 1_700_000_000_008),
            "/nUrF9HYJyK/7/7aQdINAu5D1SH+nlhSFm64/F/ACy8="
        );
    }

    // python3 -c 'import hmac,hashlib,base64; k=("100\n"+"demo").encode();
    //   print(base64.b64encode(hmac.new(k, b"", hashlib.sha256).digest()).decode())'
    // with the inputs of Feishu's own Java sample (secret "demo", timestamp 100).
    #[test]
    fn feishu_signature_matches_an_independent_computation() {
        assert_eq!(
            feishu_sign("demo", 100),
            "jquNHnVOwmDRfw+vqTIrY5dooJAgi5EcRtLsQE4wfXg="
        );
        assert_eq!(
            feishu_sign("nIMtb7r3N9pkXyXdtAbx6e", 1_700_000_000),
            "FqUQTprkgbuS88NMtixNVpPfOK0JXs6cAMJIfEuF5sk="
        );
    }

    #[test]
    fn dingtalk_url_appends_encoded_timestamp_and_sign_to_the_existing_query() {
        let req = build_request(
            RobotKind::Dingtalk,
            "https://oapi.dingtalk.com/robot/send?access_token=abc123",
            Some(DING_SECRET),
            "周报",
            "正文",
            &[],
            at_ms(1_700_000_000_008),
        );
        assert_eq!(
            req.url,
            "https://oapi.dingtalk.com/robot/send?access_token=abc123&timestamp=1700000000008\
             &sign=%2FnUrF9HYJyK%2F7%2F7aQdINAu5D1SH%2BnlhSFm64%2FF%2FACy8%3D"
        );
        assert_eq!(req.body["msgtype"], "markdown");
        assert_eq!(req.body["markdown"]["title"], "周报");
        assert_eq!(req.body["markdown"]["text"], "### 周报\n\n正文");
    }

    #[test]
    fn dingtalk_url_replaces_a_stale_signature_and_keeps_a_fragment() {
        let req = build_request(
            RobotKind::Dingtalk,
            "http://127.0.0.1:9/robot/send?timestamp=1&access_token=t&sign=old#x",
            Some(DING_SECRET),
            "t",
            "b",
            &[],
            at_ms(1_700_000_000_000),
        );
        assert_eq!(
            req.url,
            "http://127.0.0.1:9/robot/send?access_token=t&timestamp=1700000000000\
             &sign=6yc07uwlzUcpLLOQHnha7ka%2FxpE9ZxTKOsuLh9U0WMU%3D#x"
        );
        // Without a secret the URL is used as given.
        let plain = build_request(
            RobotKind::Dingtalk,
            "https://h/robot/send?access_token=t",
            None,
            "t",
            "b",
            &[],
            at_ms(0),
        );
        assert_eq!(plain.url, "https://h/robot/send?access_token=t");
    }

    #[test]
    fn feishu_body_carries_string_timestamp_sign_and_a_lark_md_card() {
        let req = build_request(
            RobotKind::Feishu,
            "https://open.feishu.cn/open-apis/bot/v2/hook/abc",
            Some("demo"),
            "本周反馈",
            "# 概览\n![图](https://x/y.png)\n---\n**12** 条新反馈",
            &[],
            Utc.timestamp_opt(100, 0).unwrap(),
        );
        assert_eq!(req.url, "https://open.feishu.cn/open-apis/bot/v2/hook/abc");
        assert_eq!(req.body["timestamp"], "100");
        assert_eq!(
            req.body["sign"],
            "jquNHnVOwmDRfw+vqTIrY5dooJAgi5EcRtLsQE4wfXg="
        );
        assert_eq!(req.body["msg_type"], "interactive");
        assert_eq!(req.body["card"]["header"]["title"]["content"], "本周反馈");
        let el = &req.body["card"]["elements"][0];
        assert_eq!(el["tag"], "div");
        assert_eq!(el["text"]["tag"], "lark_md");
        assert_eq!(
            el["text"]["content"],
            "**概览**\n[图](https://x/y.png)\n\n**12** 条新反馈"
        );
        // Unsigned: no timestamp/sign fields at all.
        let unsigned = build_request(
            RobotKind::Feishu,
            "https://h/x",
            None,
            "t",
            "b",
            &[],
            at_ms(0),
        );
        assert!(unsigned.body.get("sign").is_none() && unsigned.body.get("timestamp").is_none());
    }

    #[test]
    fn wecom_ignores_a_secret_and_puts_the_title_first() {
        let req = build_request(
            RobotKind::Wecom,
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k",
            Some("unused"),
            "周报",
            "## 概览\n![](https://x/y.png)",
            &[],
            at_ms(0),
        );
        assert_eq!(
            req.url,
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"
        );
        assert_eq!(
            req.body,
            json!({"msgtype": "markdown", "markdown": {"content": "**周报**\n\n## 概览\n[图片](https://x/y.png)"}})
        );
    }

    #[test]
    fn long_bodies_are_cut_at_a_line_with_a_mark_and_fit() {
        let line = "反馈很多，体验很好。\n"; // 10 CJK chars (30 bytes) + newline
        let body = line.repeat(1000);
        let wecom = build_request(
            RobotKind::Wecom,
            "https://h/",
            None,
            "周报",
            &body,
            &[],
            at_ms(0),
        );
        let content = wecom.body["markdown"]["content"].as_str().unwrap();
        assert!(
            content.len() <= WECOM_CONTENT_MAX_BYTES,
            "{}",
            content.len()
        );
        assert!(
            content.len() > WECOM_CONTENT_MAX_BYTES - 40,
            "cut too early: {}",
            content.len()
        );
        assert!(content.ends_with("反馈很多，体验很好。\n…"));

        let ding = build_request(
            RobotKind::Dingtalk,
            "https://h/",
            Some("s"),
            "周报",
            &body.repeat(3),
            &[],
            at_ms(0),
        );
        let size = serde_json::to_vec(&ding.body).unwrap().len();
        assert!(
            size <= DINGTALK_BODY_MAX_BYTES && size > DINGTALK_BODY_MAX_BYTES - 40,
            "{size}"
        );
        assert!(ding.body["markdown"]["text"]
            .as_str()
            .unwrap()
            .ends_with("。\n…"));

        // Quotes and newlines cost two bytes each once escaped; the limit still holds.
        let quoted = "\"引号\" \\ 反斜杠\n".repeat(3000);
        let fei = build_request(
            RobotKind::Feishu,
            "https://h/",
            Some("s"),
            "周报",
            &quoted,
            &[],
            at_ms(0),
        );
        let size = serde_json::to_vec(&fei.body).unwrap().len();
        assert!(
            size <= FEISHU_BODY_MAX_BYTES && size > FEISHU_BODY_MAX_BYTES - 40,
            "{size}"
        );
    }

    #[test]
    fn one_huge_line_is_cut_on_a_char_boundary() {
        // 4-byte chars: the cut can only land between them.
        let text = "😀".repeat(2000);
        let out = trim_to(&text, 4096, str::len);
        assert!(out.len() <= 4096);
        assert!(out.ends_with("\n…"));
        let kept = out.strip_suffix("\n…").unwrap();
        assert!(kept.chars().all(|c| c == '😀'));
        assert_eq!(kept.len(), (4096 - "\n…".len()) / 4 * 4);
        // Already small enough: untouched.
        assert_eq!(trim_to("a\nb", 3, str::len), "a\nb");
        // Three-byte chars against a limit that is not a multiple of three.
        let out = trim_to(&"中".repeat(10), 10, str::len);
        assert_eq!(out, "中中\n…");
    }

    #[test]
    fn json_len_agrees_with_serde_json() {
        for s in [
            "",
            "plain",
            "中文",
            "\"q\"",
            "a\\b",
            "l1\nl2\r\t",
            "\u{1}\u{1f}\u{8}\u{c}",
            "😀\u{7f}",
        ] {
            let serialized = serde_json::to_string(s).unwrap();
            assert_eq!(json_len(s), serialized.len() - 2, "{s:?}");
        }
    }

    #[test]
    fn dialects() {
        assert_eq!(
            adapt_markdown(RobotKind::Feishu, "### 标题 ###"),
            "**标题**"
        );
        assert_eq!(adapt_markdown(RobotKind::Feishu, "#hashtag"), "#hashtag");
        assert_eq!(
            adapt_markdown(RobotKind::Dingtalk, "# 标题\n![a](u)"),
            "# 标题\n![a](u)"
        );
        assert_eq!(
            adapt_markdown(RobotKind::Wecom, "x ![a](u) y ![](v)"),
            "x [a](u) y [图片](v)"
        );
        assert_eq!(adapt_markdown(RobotKind::Wecom, "a ![broken"), "a ![broken");
        assert_eq!(adapt_markdown(RobotKind::Dingtalk, "a\n* * *\nb"), "a\n\nb");
        // Inside a code fence nothing changes.
        assert_eq!(
            adapt_markdown(RobotKind::Feishu, "```\n# not a heading\n---\n```"),
            "```\n# not a heading\n---\n```"
        );
        assert_eq!(clean_title("  两行\n标题 ", ""), "两行 标题");
        assert_eq!(clean_title("", "\n## 首行\n正文"), "首行");
        assert_eq!(
            clean_title(&"长".repeat(100), "").chars().count(),
            TITLE_MAX_CHARS
        );
    }

    fn retryable(r: Result<(), ReplyError>) -> bool {
        matches!(r, Err(ReplyError::Retryable(_)))
    }
    fn permanent(r: Result<(), ReplyError>) -> bool {
        matches!(r, Err(ReplyError::Permanent(_)))
    }

    #[test]
    fn replies_are_classified() {
        use RobotKind::*;
        assert_eq!(
            check_reply(Wecom, 200, br#"{"errcode":0,"errmsg":"ok"}"#),
            Ok(())
        );
        assert!(retryable(check_reply(
            Wecom,
            200,
            br#"{"errcode":45009,"errmsg":"api freq out of limit"}"#
        )));
        assert!(permanent(check_reply(
            Wecom,
            200,
            br#"{"errcode":93000,"errmsg":"invalid webhook url"}"#
        )));
        assert!(permanent(check_reply(
            Wecom,
            200,
            br#"{"errcode":40058,"errmsg":"markdown.content exceed max length 4096"}"#
        )));

        assert_eq!(
            check_reply(Dingtalk, 200, br#"{"errcode":0,"errmsg":"ok"}"#),
            Ok(())
        );
        assert!(retryable(check_reply(
            Dingtalk,
            200,
            br#"{"errcode":130101,"errmsg":"send too fast, exceed 20 times per minute"}"#
        )));
        assert!(retryable(check_reply(
            Dingtalk,
            200,
            br#"{"status":1111,"wait":5,"source":"x5","punish":"deny"}"#
        )));
        assert!(permanent(check_reply(
            Dingtalk,
            200,
            br#"{"errcode":310000,"errmsg":"sign not match"}"#
        )));
        assert!(permanent(check_reply(
            Dingtalk,
            200,
            br#"{"errcode":300001,"errmsg":"token is not exist"}"#
        )));

        let ok =
            br#"{"StatusCode":0,"StatusMessage":"success","code":0,"data":{},"msg":"success"}"#;
        assert_eq!(check_reply(Feishu, 200, ok), Ok(()));
        assert_eq!(
            check_reply(
                Feishu,
                200,
                br#"{"StatusCode":0,"StatusMessage":"success"}"#
            ),
            Ok(())
        );
        assert!(retryable(check_reply(
            Feishu,
            200,
            br#"{"code":11232,"msg":"frequency limited"}"#
        )));
        assert!(retryable(check_reply(
            Feishu,
            429,
            br#"{"code":99991400,"msg":"request trigger frequency limit"}"#
        )));
        assert!(retryable(check_reply(
            Feishu,
            200,
            br#"{"code":9499,"msg":"too many request","data":{}}"#
        )));
        assert!(permanent(check_reply(
            Feishu,
            200,
            br#"{"code":9499,"msg":"Bad Request","data":{}}"#
        )));
        assert!(permanent(check_reply(Feishu, 200, br#"{"code":19021,"msg":"sign match fail or timestamp is not within one hour from current time"}"#)));
        assert!(permanent(check_reply(
            Feishu,
            200,
            br#"{"StatusCode":19024,"StatusMessage":"Key Words Not Found"}"#
        )));

        for kind in [Wecom, Dingtalk, Feishu] {
            assert!(retryable(check_reply(
                kind,
                502,
                b"<html>Bad Gateway</html>"
            )));
            assert!(retryable(check_reply(kind, 503, br#"{"errcode":0}"#)));
            assert!(retryable(check_reply(kind, 429, b"")));
            assert!(retryable(check_reply(kind, 200, b"<html>portal</html>")));
            assert!(retryable(check_reply(kind, 200, b"")));
            assert!(permanent(check_reply(kind, 404, b"not found")));
            assert!(permanent(check_reply(kind, 403, b"{}")));
        }
        // A success code under an error status is not a success.
        assert!(check_reply(Wecom, 400, br#"{"errcode":0,"errmsg":"ok"}"#).is_err());
    }

    #[test]
    fn webhook_urls_are_validated() {
        use RobotKind::*;
        let ok = |k, u| validate_webhook_url(k, u).map_err(|e| format!("{u}: {e}"));
        ok(
            Wecom,
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx",
        )
        .unwrap();
        ok(
            Dingtalk,
            "https://oapi.dingtalk.com/robot/send?access_token=abc",
        )
        .unwrap();
        ok(
            Feishu,
            "https://open.feishu.cn/open-apis/bot/v2/hook/5e3d587e-d78e",
        )
        .unwrap();
        ok(Feishu, "https://proxy.example.com:8443/any/path?x=1").unwrap();
        ok(Dingtalk, "http://127.0.0.1:8080/robot/send?access_token=t").unwrap();
        ok(Dingtalk, "http://127.9.9.9/robot/send").unwrap();
        ok(Wecom, "http://localhost:3000/cgi-bin/webhook/send?key=k").unwrap();
        ok(Wecom, "http://[::1]:3000/x").unwrap();
        ok(Feishu, "https://[2001:db8::1]:8443/hook").unwrap();
        ok(Feishu, "https://192.0.2.7/hook").unwrap();
        ok(Wecom, "HTTPS://机器人.example.cn/x").unwrap();

        let bad = |k, u: &str| assert!(validate_webhook_url(k, u).is_err(), "accepted {u}");
        bad(Wecom, "");
        bad(Wecom, "qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k");
        bad(Wecom, "ftp://example.com/x");
        bad(Wecom, "https://");
        bad(Wecom, "https:///path");
        bad(Wecom, "https://exa mple.com/");
        bad(Wecom, " https://example.com/");
        bad(Wecom, "https://user:pw@example.com/");
        bad(Wecom, "https://example.com:0/");
        bad(Wecom, "https://example.com:99999/");
        bad(Wecom, "https://example.com:/");
        bad(Wecom, "https://exa..mple.com/");
        bad(Wecom, "https://[::1/");
        bad(Wecom, "https://[nonsense]/");
        bad(Feishu, "http://[2001:db8::1]/hook");
        bad(Feishu, "http://example.com/hook");
        bad(Feishu, "http://10.0.0.1/hook");
        bad(
            Dingtalk,
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k",
        );
        bad(Wecom, "https://open.feishu.cn/open-apis/bot/v2/hook/x");
        bad(Dingtalk, "https://oapi.dingtalk.com/robot/send");
        bad(
            Wecom,
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=",
        );
        bad(Feishu, "https://open.feishu.cn/open-apis/bot/v2/hook/");
        let long = format!("https://example.com/{}", "a".repeat(2100));
        bad(Wecom, &long);
        // The message names the platform the URL belongs to.
        let msg = validate_webhook_url(Dingtalk, "https://open.feishu.cn/open-apis/bot/v2/hook/x")
            .unwrap_err();
        assert!(msg.contains("Feishu"), "{msg}");
    }

    #[test]
    fn kind_serializes_lowercase() {
        assert_eq!(
            serde_json::to_string(&RobotKind::Dingtalk).unwrap(),
            "\"dingtalk\""
        );
        assert_eq!(
            serde_json::from_str::<RobotKind>("\"feishu\"").unwrap(),
            RobotKind::Feishu
        );
    }

    #[test]
    fn mentions_are_checked_for_their_platform_and_normalised() {
        let m = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            parse_mentions(
                RobotKind::Dingtalk,
                &m(&["+86 138-0013-8000", "13800138000", "ALL"])
            ),
            Ok(m(&["13800138000", "all"]))
        );
        assert!(parse_mentions(RobotKind::Wecom, &m(&["12800138000"])).is_err());
        assert!(parse_mentions(RobotKind::Wecom, &m(&["1380013800"])).is_err());
        assert!(parse_mentions(RobotKind::Feishu, &m(&["13800138000"])).is_err());
        assert_eq!(
            parse_mentions(RobotKind::Feishu, &m(&["ou_abc123", "@all"])),
            Ok(m(&["ou_abc123", "all"]))
        );
        assert!(parse_mentions(RobotKind::Feishu, &m(&["ou_a<b"])).is_err());
        let many: Vec<String> = (0..21).map(|i| format!("1380013{i:04}")).collect();
        assert!(parse_mentions(RobotKind::Dingtalk, &many).is_err());
    }

    #[test]
    fn each_platform_mentions_its_documented_way() {
        let who = vec!["13800138000".to_string(), "all".to_string()];
        let ding = build_request(
            RobotKind::Dingtalk,
            "https://h/robot/send?access_token=t",
            None,
            "周报",
            "正文",
            &who,
            at_ms(0),
        );
        assert_eq!(
            ding.body["at"],
            json!({"atMobiles": ["13800138000"], "isAtAll": true})
        );
        let text = ding.body["markdown"]["text"].as_str().unwrap();
        assert!(text.ends_with("@13800138000 @所有人"), "{text}");
        let plain = build_request(
            RobotKind::Dingtalk,
            "https://h/robot/send?access_token=t",
            None,
            "周报",
            "正文",
            &[],
            at_ms(0),
        );
        assert!(plain.body.get("at").is_none());

        let wecom = build_request(
            RobotKind::Wecom,
            "https://h/x",
            None,
            "周报",
            "正文",
            &who,
            at_ms(0),
        );
        assert!(!wecom.body["markdown"]["content"]
            .as_str()
            .unwrap()
            .contains('@'));
        let at = mention_request(RobotKind::Wecom, "https://h/x", "周报", &who).unwrap();
        assert_eq!(at.body["msgtype"], "text");
        assert_eq!(
            at.body["text"]["mentioned_mobile_list"],
            json!(["13800138000", "@all"])
        );
        assert!(mention_request(RobotKind::Dingtalk, "https://h/x", "周报", &who).is_none());
        assert!(mention_request(RobotKind::Wecom, "https://h/x", "周报", &[]).is_none());

        let ids = vec!["ou_abc".to_string()];
        let fei = build_request(
            RobotKind::Feishu,
            "https://h/x",
            None,
            "周报",
            "正文",
            &ids,
            at_ms(0),
        );
        let content = fei.body["card"]["elements"][0]["text"]["content"]
            .as_str()
            .unwrap();
        assert!(content.ends_with("<at id=ou_abc></at>"), "{content}");
    }
}
