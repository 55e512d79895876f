//! Social channel (`social`): public posts that mention the product.
//!
//! Two ways in:
//! * feeds (RSS 2.0, Atom, JSON Feed 1.x — typically RSSHub routes for Weibo, Zhihu, Bilibili …)
//!   polled with conditional GETs ([`fetch`]) and parsed with [`parse_feed`];
//! * mentions pushed by a monitoring tool as JSON ([`parse_mentions`]).
//!
//! Everything except [`fetch`] is pure, so the whole pipeline is unit tested without a network.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::domain::{Channel, FeedbackText, FieldError, NewFeedback, Scores, MAX_TEXT_CHARS};

/// Largest feed body accepted. Real feeds are well under 1 MiB; the cap stops a misconfigured
/// URL (a video, a dump) from exhausting memory.
pub const MAX_FEED_BYTES: usize = 5 * 1024 * 1024;

/// Sent on every poll so feed operators can identify (and contact) us.
pub const USER_AGENT: &str = "tingjian/0.1 (+feed poller)";

/// Most mentions accepted in one push.
pub const MAX_MENTIONS: usize = 1000;

/// Longest external id / entry key kept verbatim; longer ones are replaced by their SHA-256 so the
/// dedupe column stays small while staying stable across polls.
const MAX_KEY_CHARS: usize = 256;

/// Longest author name kept (feeds sometimes put a whole bio in the author field).
const MAX_AUTHOR_CHARS: usize = 200;

/// Longest URL accepted in a pushed mention.
const MAX_URL_CHARS: usize = 2048;

/// Field errors reported for one push at most, so a broken 1000-item batch gives a readable answer.
const MAX_REPORTED_ERRORS: usize = 100;

const ACCEPT: &str = "application/rss+xml, application/atom+xml, application/feed+json, \
                      application/json;q=0.9, application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5";

#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    /// The server answered with a status other than 2xx or 304.
    #[error("the feed server answered HTTP {status}")]
    Http { status: u16 },
    /// DNS, TLS, connection, timeout … The message never contains the URL, which may carry a
    /// token. `kind` is a coarse category, `detail` the full chain of causes.
    #[error("could not fetch the feed: {detail}")]
    Transport { kind: TransportKind, detail: String },
    #[error("the feed is larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("the feed could not be parsed: {0}")]
    Parse(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportKind {
    Timeout,
    /// DNS, TCP or TLS: no connection was made.
    Connect,
    /// The connection was made but broke off, or the request failed otherwise.
    Other,
}

impl FeedError {
    /// What went wrong, in words safe to hand to an API client: a category and the server's
    /// status, never the causes' text. Those may name resolved addresses and ports of
    /// internal hosts, which the detail saved in the poll state (readable by the workspace)
    /// keeps, but an answer to a request need not echo.
    pub fn summary(&self) -> String {
        match self {
            FeedError::Http { status } => format!("the server answered HTTP {status}"),
            FeedError::Transport { kind, .. } => match kind {
                TransportKind::Timeout => "the request timed out".to_owned(),
                TransportKind::Connect => {
                    "no connection could be made (DNS, TCP or TLS)".to_owned()
                }
                TransportKind::Other => "the connection failed".to_owned(),
            },
            FeedError::TooLarge { limit } => format!("the feed is larger than {limit} bytes"),
            FeedError::Parse(_) => "the answer is not an RSS, Atom or JSON feed".to_owned(),
        }
    }
}

/// One feed entry, cleaned to plain text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedEntry {
    /// Stable across polls: the entry id, else its link, else SHA-256 of title and text.
    pub entry_key: String,
    pub url: Option<String>,
    pub author: Option<String>,
    /// Title, a newline, then the plain text of the content (or summary); at most 10,000 chars.
    pub text: String,
    pub published_at: Option<DateTime<Utc>>,
}

/// Parses an RSS 2.0 / RSS 1.0 / Atom / JSON Feed document into cleaned entries.
pub fn parse_feed(bytes: &[u8]) -> Result<Vec<FeedEntry>, FeedError> {
    if bytes.len() > MAX_FEED_BYTES {
        return Err(FeedError::TooLarge {
            limit: MAX_FEED_BYTES,
        });
    }
    // feed-rs fills a missing id with a random UUID when an entry has no link; a random key
    // would store the same post again on every poll, so ask for an empty id and apply our own
    // deterministic fallback in `entry_from_model`.
    let parser = feed_rs::parser::Builder::new()
        .id_generator(no_generated_id)
        .build();
    let feed = parser
        .parse(bytes)
        .map_err(|e| FeedError::Parse(e.to_string()))?;
    Ok(feed.entries.into_iter().map(entry_from_model).collect())
}

fn no_generated_id(
    _links: &[feed_rs::model::Link],
    _title: &Option<feed_rs::model::Text>,
    _uri: Option<&str>,
) -> String {
    String::new()
}

fn entry_from_model(e: feed_rs::model::Entry) -> FeedEntry {
    let url = pick_link(&e.links);
    let author = pick_author(&e.authors);

    // Titles go through `strip_html` too: RSS titles are nominally plain text but feeds often
    // carry entities or inline tags in them, and the `<` rule in `strip_html` keeps real text.
    let title = e
        .title
        .as_ref()
        .map(|t| strip_html(&t.content))
        .unwrap_or_default();
    let from_content = e
        .content
        .as_ref()
        .filter(|c| is_textual(c))
        .and_then(|c| c.body.as_deref())
        .map(strip_html)
        .filter(|s| !s.is_empty());
    let body = match from_content {
        Some(b) => b,
        None => e
            .summary
            .as_ref()
            .map(|s| strip_html(&s.content))
            .unwrap_or_default(),
    };

    let joined = if title.is_empty() || title_repeats_body(&title, &body) {
        body
    } else if body.is_empty() {
        title.clone()
    } else {
        format!("{title}\n{body}")
    };
    let text = truncate_chars(&joined, MAX_TEXT_CHARS);

    let id = e.id.trim();
    let entry_key = if !id.is_empty() {
        bounded_key(id)
    } else if let Some(u) = &url {
        bounded_key(u)
    } else {
        sha256_hex(&[title.as_str(), text.as_str()])
    };

    FeedEntry {
        entry_key,
        url,
        author,
        text,
        // RSS items often only have one date; feed-rs copies it, Atom may only have `updated`.
        published_at: e.published.or(e.updated),
    }
}

/// Weibo/Douyin feeds (RSSHub) use the first characters of the post as its title; repeating it
/// before the body would double the text the analysts read.
fn title_repeats_body(title: &str, body: &str) -> bool {
    let t = title.trim_end_matches(['…', '.', ' ']);
    !t.is_empty() && body.starts_with(t)
}

/// The entry's web page: an `alternate` (or rel-less) http(s) link first, else any http(s) link.
/// Non-http schemes are dropped because the URL is shown as a link in the UI (`javascript:`).
fn pick_link(links: &[feed_rs::model::Link]) -> Option<String> {
    let web = |l: &&feed_rs::model::Link| is_http_url(l.href.trim());
    links
        .iter()
        .filter(web)
        .find(|l| matches!(l.rel.as_deref(), None | Some("alternate")))
        .or_else(|| links.iter().find(web))
        .map(|l| l.href.trim().to_owned())
}

/// feed-rs maps RSS `<author>` to a person named "author" whose email holds the text
/// (`mail@example.com (Name)`); `dc:creator`, Atom and JSON Feed authors carry a real name.
fn pick_author(people: &[feed_rs::model::Person]) -> Option<String> {
    let named = people
        .iter()
        .filter(|p| !(p.name == "author" && p.email.is_some()))
        .map(|p| collapse_whitespace(&p.name))
        .find(|n| !n.is_empty());
    let name = named.or_else(|| {
        people.iter().find_map(|p| {
            let raw = p.email.as_deref()?;
            // "mail@example.com (显示名)" → the display name; otherwise the whole text.
            let shown = match (raw.find('('), raw.rfind(')')) {
                (Some(open), Some(close)) if close > open => &raw[open + 1..close],
                _ => raw,
            };
            let n = collapse_whitespace(shown);
            (!n.is_empty()).then_some(n)
        })
    })?;
    Some(truncate_chars(&name, MAX_AUTHOR_CHARS))
}

/// Atom allows base64-encoded binary content (`type="image/png"`); only text-like bodies are
/// worth reading.
fn is_textual(c: &feed_rs::model::Content) -> bool {
    let ct = c.content_type.as_str().to_ascii_lowercase();
    ct.starts_with("text/") || ct.contains("html") || ct.contains("xml")
}

/// Tags whose closing tag ends a block of text, so the words on each side are not glued together.
const BLOCK_TAGS: &[&str] = &[
    "p",
    "div",
    "li",
    "tr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "ul",
    "ol",
    "table",
    "section",
    "article",
    "header",
    "footer",
    "dd",
    "dt",
    "figcaption",
];

/// HTML to plain text: drops `<script>`/`<style>` with their contents and comments, turns `<br>`,
/// `<hr>` and the end of block elements (`</p>`, `</div>`, `</li>` …) into line breaks, removes
/// other tags without adding spaces (Chinese has none between words: `<b>好</b>用` is `好用`),
/// decodes entities, collapses whitespace and trims.
///
/// A `<` not followed by a letter, `/`, `!` or `?` is text (`a < b`, `<3`), so plain-text input
/// survives. Broken markup never panics: an unterminated tag drops the rest, as browsers do.
pub fn strip_html(html: &str) -> String {
    // ASCII lowercasing keeps every byte offset, so positions found in `lower` index `html` too;
    // all positions below sit on ASCII bytes (`<`, `>`), hence on char boundaries.
    let lower = html.to_ascii_lowercase();
    let bytes = html.as_bytes();
    let mut out = String::with_capacity(html.len());
    let mut text_start = 0;
    let mut i = 0;

    while i < bytes.len() {
        if bytes[i] != b'<' {
            i += 1;
            continue;
        }
        let starts_markup = matches!(
            bytes.get(i + 1),
            Some(&c) if c.is_ascii_alphabetic() || matches!(c, b'/' | b'!' | b'?')
        );
        if !starts_markup {
            i += 1;
            continue;
        }
        out.push_str(&html[text_start..i]);

        if lower[i..].starts_with("<!--") {
            i = match lower[i + 4..].find("-->") {
                Some(p) => i + 4 + p + 3,
                None => bytes.len(),
            };
            text_start = i;
            continue;
        }
        if lower[i..].starts_with("<![cdata[") {
            // CDATA inside HTML content is literal text.
            let inner_start = i + 9;
            let (inner_end, next) = match lower[inner_start..].find("]]>") {
                Some(p) => (inner_start + p, inner_start + p + 3),
                None => (bytes.len(), bytes.len()),
            };
            out.push_str(&html[inner_start..inner_end]);
            i = next;
            text_start = i;
            continue;
        }

        let Some(end) = find_tag_end(bytes, i + 1) else {
            text_start = bytes.len();
            break;
        };
        let inner = &lower[i + 1..end];
        let closing = inner.starts_with('/');
        let name: String = inner
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        i = end + 1;

        if !closing && (name == "script" || name == "style") && !inner.ends_with('/') {
            let close = format!("</{name}");
            i = match lower[i..].find(&close) {
                Some(p) => match find_tag_end(bytes, i + p + 1) {
                    Some(e) => e + 1,
                    None => bytes.len(),
                },
                None => bytes.len(),
            };
        } else if name == "br" || name == "hr" || (closing && BLOCK_TAGS.contains(&name.as_str())) {
            out.push('\n');
        } else if closing && (name == "td" || name == "th") {
            out.push(' ');
        }
        text_start = i;
    }
    if text_start < bytes.len() {
        out.push_str(&html[text_start..]);
    }

    // Entities are decoded only after tags are gone, so `&lt;b&gt;` stays visible text.
    let decoded = html_escape::decode_html_entities(&out);
    collapse_whitespace(&decoded)
}

/// Index of the `>` closing a tag that starts before `from`; quoted attribute values may contain
/// `>`. An unbalanced quote falls back to the first `>` so one bad attribute does not eat the page.
fn find_tag_end(bytes: &[u8], from: usize) -> Option<usize> {
    let mut quote: Option<u8> = None;
    let mut j = from;
    while j < bytes.len() {
        let b = bytes[j];
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'"' || b == b'\'' => quote = Some(b),
            None if b == b'>' => return Some(j),
            None => {}
        }
        j += 1;
    }
    bytes
        .get(from..)
        .and_then(|rest| rest.iter().position(|&b| b == b'>'))
        .map(|p| from + p)
}

/// Runs of whitespace (including U+3000 ideographic space and NBSP) become one space on each line;
/// lines are trimmed and empty lines dropped.
fn collapse_whitespace(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for line in s.split(['\n', '\r']) {
        let mut first = true;
        for word in line.split_whitespace() {
            if first {
                if !out.is_empty() {
                    out.push('\n');
                }
                first = false;
            } else {
                out.push(' ');
            }
            out.push_str(word);
        }
    }
    out
}

/// At most `max` characters, cut on a char boundary.
fn truncate_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((cut, _)) => s[..cut].to_owned(),
        None => s.to_owned(),
    }
}

/// Does `text` mention any keyword? Matching ignores case and full-width/half-width differences
/// (`ＡＰＰ` = `app`). A keyword that starts or ends with a Latin letter or digit must not touch
/// another Latin letter or digit there, so `app` does not match `happy`, but Chinese text around
/// it is fine (`听见app真好`); Chinese keywords match as plain substrings since Chinese has no
/// spaces. No (non-blank) keywords means every post is kept.
pub fn mentions_keyword(text: &str, keywords: &[String]) -> bool {
    let mut any_keyword = false;
    let hay = normalize_for_match(text);
    for kw in keywords {
        let needle = normalize_for_match(kw.trim());
        if needle.is_empty() {
            continue;
        }
        any_keyword = true;
        if contains_keyword(&hay, &needle) {
            return true;
        }
    }
    !any_keyword
}

fn normalize_for_match(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            // Full-width ASCII block (ＡＢＣ１２３) to ASCII; U+3000 to a plain space.
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

fn contains_keyword(hay: &str, needle: &str) -> bool {
    let guard_start = needle
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric());
    let guard_end = needle
        .chars()
        .next_back()
        .is_some_and(|c| c.is_ascii_alphanumeric());
    let mut from = 0;
    while let Some(p) = hay.get(from..).and_then(|rest| rest.find(needle)) {
        let start = from + p;
        let end = start + needle.len();
        let before_ok = !guard_start
            || !hay[..start]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_ascii_alphanumeric());
        let after_ok = !guard_end
            || !hay[end..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric());
        if before_ok && after_ok {
            return true;
        }
        // Step one character so overlapping candidates are still tried.
        from = start + hay[start..].chars().next().map_or(1, char::len_utf8);
    }
    false
}

/// Turns a cleaned feed entry into feedback; `None` when nothing readable is left.
pub fn entry_to_feedback(
    source_id: &str,
    source_name: &str,
    e: &FeedEntry,
    now: DateTime<Utc>,
) -> Option<NewFeedback> {
    // `FeedEntry` fields are public, so re-apply the length cap rather than trust the caller.
    let text = FeedbackText::parse(&truncate_chars(&e.text, MAX_TEXT_CHARS)).ok()?;
    let mut context = Map::new();
    if let Some(url) = &e.url {
        context.insert("url".into(), Value::String(url.clone()));
    }
    let platform = e
        .url
        .as_deref()
        .and_then(url_host)
        .map(|h| platform_for_host(&h))
        .unwrap_or_else(|| "feed".to_owned());
    context.insert("platform".into(), Value::String(platform));
    context.insert("source".into(), Value::String(source_name.to_owned()));

    let entry_key = e.entry_key.trim();
    Some(NewFeedback {
        channel: Channel::Social,
        source_key: format!("feed:{source_id}"),
        source_id: Some(source_id.to_owned()),
        external_id: (!entry_key.is_empty()).then(|| bounded_key(entry_key)),
        respondent_id: None,
        author: e.author.clone(),
        text,
        scores: Scores::default(),
        attributes: Map::new(),
        context,
        occurred_at: e.published_at.unwrap_or(now),
        analysis: None,
    })
}

/// Lowercased host of an http(s) URL, without user info, port or trailing dot.
fn url_host(url: &str) -> Option<String> {
    let lower = url.trim().to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))?;
    let authority = rest.split(['/', '?', '#', '\\']).next().unwrap_or("");
    let host_port = authority.rsplit('@').next().unwrap_or("");
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        host_port.split(':').next().unwrap_or("")
    };
    let host = host.trim_end_matches('.');
    (!host.is_empty()).then(|| host.to_owned())
}

/// Chinese platforms by their domains (short-link domains included); other hosts are named as is.
fn platform_for_host(host: &str) -> String {
    const KNOWN: &[(&str, &str)] = &[
        ("weibo.com", "weibo"),
        ("weibo.cn", "weibo"),
        ("zhihu.com", "zhihu"),
        ("bilibili.com", "bilibili"),
        ("b23.tv", "bilibili"),
        ("xiaohongshu.com", "xiaohongshu"),
        ("xhslink.com", "xiaohongshu"),
        ("douyin.com", "douyin"),
        ("iesdouyin.com", "douyin"),
    ];
    for (domain, platform) in KNOWN {
        if host == *domain
            || host
                .strip_suffix(*domain)
                .is_some_and(|prefix| prefix.ends_with('.'))
        {
            return (*platform).to_owned();
        }
    }
    host.strip_prefix("www.").unwrap_or(host).to_owned()
}

fn is_http_url(s: &str) -> bool {
    s.len() <= MAX_URL_CHARS
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
        && url_host(s).is_some()
}

/// Keys longer than [`MAX_KEY_CHARS`] are hashed: still stable, but bounded.
fn bounded_key(key: &str) -> String {
    if key.chars().count() <= MAX_KEY_CHARS {
        key.to_owned()
    } else {
        sha256_hex(&[key])
    }
}

/// SHA-256 of the parts joined by U+001F (unit separator), so `("ab","c")` ≠ `("a","bc")`.
fn sha256_hex(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            h.update(b"\x1f");
        }
        h.update(p.as_bytes());
    }
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = h.finalize();
    let mut out = String::with_capacity(64);
    for &b in digest.iter() {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Mentions pushed by API
// ---------------------------------------------------------------------------------------------

/// One validated pushed mention.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mention {
    pub platform: String,
    pub url: Option<String>,
    pub text: String,
    pub author: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub external_id: Option<String>,
}

impl Mention {
    /// The dedupe key: the sender's id, else the post URL, else a hash of platform, author and
    /// text, so pushing the same batch twice never stores a post twice.
    pub fn dedupe_key(&self) -> String {
        if let Some(id) = &self.external_id {
            return id.clone();
        }
        if let Some(url) = &self.url {
            return bounded_key(url);
        }
        sha256_hex(&[
            self.platform.as_str(),
            self.author.as_deref().unwrap_or(""),
            self.text.trim(),
        ])
    }
}

/// Validates `{"items": [{"platform", "text", "url"?, "author"?, "published_at"?, "id"?}]}`.
/// All or nothing: any invalid item rejects the push, with JSON Pointers (`/items/3/text`) for
/// every problem found (the first 100).
pub fn parse_mentions(
    body: &Value,
    now: DateTime<Utc>,
) -> Result<Vec<NewFeedback>, Vec<FieldError>> {
    let Some(obj) = body.as_object() else {
        return Err(vec![FieldError::new(
            "",
            "must be a JSON object with an `items` array",
        )]);
    };
    let items = match obj.get("items") {
        Some(Value::Array(a)) => a,
        Some(_) => return Err(vec![FieldError::new("/items", "must be an array")]),
        None => return Err(vec![FieldError::new("/items", "is required")]),
    };
    if items.is_empty() || items.len() > MAX_MENTIONS {
        return Err(vec![FieldError::new(
            "/items",
            format!("must hold 1 to {MAX_MENTIONS} mentions"),
        )]);
    }

    let mut errors = Vec::new();
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let ptr = format!("/items/{i}");
        if let Some((m, text)) = parse_mention(item, &ptr, &mut errors) {
            out.push(mention_to_feedback(m, text, now));
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        errors.truncate(MAX_REPORTED_ERRORS);
        Err(errors)
    }
}

fn parse_mention(
    item: &Value,
    ptr: &str,
    errors: &mut Vec<FieldError>,
) -> Option<(Mention, FeedbackText)> {
    let Some(obj) = item.as_object() else {
        errors.push(FieldError::new(ptr, "must be an object"));
        return None;
    };
    let before = errors.len();

    // Platform names become part of the source key (`mentions:weibo`); lowercasing first keeps
    // `Weibo` and `weibo` in one source.
    let platform = match obj.get("platform") {
        Some(Value::String(s)) => {
            let p = s.trim().to_ascii_lowercase();
            let ok = !p.is_empty()
                && p.len() <= 32
                && p.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-'
                });
            if !ok {
                errors.push(FieldError::new(
                    format!("{ptr}/platform"),
                    "must be 1 to 32 characters of a-z, 0-9, _ or -",
                ));
            }
            p
        }
        Some(Value::Null) | None => {
            errors.push(FieldError::new(format!("{ptr}/platform"), "is required"));
            String::new()
        }
        Some(_) => {
            errors.push(FieldError::new(
                format!("{ptr}/platform"),
                "must be a string",
            ));
            String::new()
        }
    };

    let text = match obj.get("text") {
        Some(Value::String(s)) => match FeedbackText::parse(s) {
            Ok(t) => Some(t),
            Err(m) => {
                errors.push(FieldError::new(format!("{ptr}/text"), m));
                None
            }
        },
        Some(Value::Null) | None => {
            errors.push(FieldError::new(format!("{ptr}/text"), "is required"));
            None
        }
        Some(_) => {
            errors.push(FieldError::new(format!("{ptr}/text"), "must be a string"));
            None
        }
    };

    let url = match optional_string(obj.get("url"), &format!("{ptr}/url"), errors) {
        Some(u) if !is_http_url(&u) => {
            errors.push(FieldError::new(
                format!("{ptr}/url"),
                "must be an http(s) URL of at most 2048 characters",
            ));
            None
        }
        other => other,
    };

    let author = match optional_string(obj.get("author"), &format!("{ptr}/author"), errors) {
        Some(a) if a.chars().count() > MAX_AUTHOR_CHARS => {
            errors.push(FieldError::new(
                format!("{ptr}/author"),
                "must be at most 200 characters",
            ));
            None
        }
        other => other,
    };

    let published_at = match optional_string(
        obj.get("published_at"),
        &format!("{ptr}/published_at"),
        errors,
    ) {
        Some(s) => match DateTime::parse_from_rfc3339(&s) {
            Ok(t) => Some(t.with_timezone(&Utc)),
            Err(_) => {
                errors.push(FieldError::new(
                    format!("{ptr}/published_at"),
                    "must be an RFC 3339 timestamp such as 2024-05-01T12:00:00+08:00",
                ));
                None
            }
        },
        None => None,
    };

    // Platform ids are often large integers (Weibo mids); accept them as numbers too.
    let external_id = match obj.get("id") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Some(n.to_string()),
        Some(Value::String(s)) => {
            let s = s.trim();
            if s.chars().count() > MAX_KEY_CHARS {
                errors.push(FieldError::new(
                    format!("{ptr}/id"),
                    "must be at most 256 characters",
                ));
                None
            } else {
                (!s.is_empty()).then(|| s.to_owned())
            }
        }
        Some(_) => {
            errors.push(FieldError::new(
                format!("{ptr}/id"),
                "must be a string or an integer",
            ));
            None
        }
    };

    if errors.len() != before {
        return None;
    }
    let text = text?;
    Some((
        Mention {
            platform,
            url,
            text: text.as_str().to_owned(),
            author,
            published_at,
            external_id,
        },
        text,
    ))
}

/// A trimmed optional string: absent, null and blank are all "not given".
fn optional_string(v: Option<&Value>, field: &str, errors: &mut Vec<FieldError>) -> Option<String> {
    match v {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => {
            let t = s.trim();
            (!t.is_empty()).then(|| t.to_owned())
        }
        Some(_) => {
            errors.push(FieldError::new(field, "must be a string"));
            None
        }
    }
}

fn mention_to_feedback(m: Mention, text: FeedbackText, now: DateTime<Utc>) -> NewFeedback {
    let external_id = m.dedupe_key();
    let mut context = Map::new();
    if let Some(url) = &m.url {
        context.insert("url".into(), Value::String(url.clone()));
    }
    context.insert("platform".into(), Value::String(m.platform.clone()));
    NewFeedback {
        channel: Channel::Social,
        source_key: format!("mentions:{}", m.platform),
        source_id: None,
        external_id: Some(external_id),
        respondent_id: None,
        author: m.author,
        text,
        scores: Scores::default(),
        attributes: Map::new(),
        context,
        occurred_at: m.published_at.unwrap_or(now),
        analysis: None,
    }
}

// ---------------------------------------------------------------------------------------------
// Conditional fetch
// ---------------------------------------------------------------------------------------------

#[derive(Debug)]
pub enum FetchOutcome {
    /// 304: the validators still match, nothing to parse.
    NotModified,
    Fetched {
        body: Vec<u8>,
        /// Validators to send on the next poll.
        etag: Option<String>,
        last_modified: Option<String>,
    },
}

/// GETs a feed with `If-None-Match` / `If-Modified-Since` from the previous poll. Redirects and
/// timeouts follow the `client`'s configuration. The body is read chunk by chunk and refused past
/// [`MAX_FEED_BYTES`] so a lying or absent Content-Length cannot exhaust memory.
pub async fn fetch(
    client: &reqwest::Client,
    url: &str,
    etag: Option<&str>,
    last_modified: Option<&str>,
) -> Result<FetchOutcome, FeedError> {
    use reqwest::header::{self, HeaderValue};

    let mut req = client
        .get(url)
        .header(header::USER_AGENT, HeaderValue::from_static(USER_AGENT))
        .header(header::ACCEPT, HeaderValue::from_static(ACCEPT));
    // A stored validator that is not a valid header value (corrupt row) is skipped rather than
    // failing the poll: the worst case is a full download.
    if let Some(v) = etag.and_then(|v| HeaderValue::from_str(v.trim()).ok()) {
        req = req.header(header::IF_NONE_MATCH, v);
    }
    if let Some(v) = last_modified.and_then(|v| HeaderValue::from_str(v.trim()).ok()) {
        req = req.header(header::IF_MODIFIED_SINCE, v);
    }

    let mut resp = req.send().await.map_err(transport_error)?;
    let status = resp.status();
    if status == reqwest::StatusCode::NOT_MODIFIED {
        return Ok(FetchOutcome::NotModified);
    }
    if !status.is_success() {
        return Err(FeedError::Http {
            status: status.as_u16(),
        });
    }
    if resp
        .content_length()
        .is_some_and(|n| n > MAX_FEED_BYTES as u64)
    {
        return Err(FeedError::TooLarge {
            limit: MAX_FEED_BYTES,
        });
    }
    let header_string = |name: header::HeaderName| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
    };
    let new_etag = header_string(header::ETAG);
    let new_last_modified = header_string(header::LAST_MODIFIED);

    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(transport_error)? {
        if body.len().saturating_add(chunk.len()) > MAX_FEED_BYTES {
            return Err(FeedError::TooLarge {
                limit: MAX_FEED_BYTES,
            });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(FetchOutcome::Fetched {
        body,
        etag: new_etag,
        last_modified: new_last_modified,
    })
}

/// A transport error as text, without the URL (feed URLs may embed access tokens): reqwest's
/// top-level message plus its causes (DNS, TLS, connection …), bounded in length.
fn transport_error(e: reqwest::Error) -> FeedError {
    let e = e.without_url();
    let mut msg = if e.is_timeout() {
        "timed out".to_owned()
    } else {
        e.to_string()
    };
    let mut source = std::error::Error::source(&e);
    let mut depth = 0;
    while let Some(s) = source {
        if depth >= 5 {
            break;
        }
        let part = s.to_string();
        if !part.is_empty() && !msg.contains(&part) {
            msg.push_str(": ");
            msg.push_str(&part);
        }
        source = std::error::Error::source(s);
        depth += 1;
    }
    let kind = if e.is_timeout() {
        TransportKind::Timeout
    } else if e.is_connect() {
        TransportKind::Connect
    } else {
        TransportKind::Other
    };
    FeedError::Transport {
        kind,
        detail: truncate_chars(&msg, 300),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 6, 1, 0, 0, 0).unwrap()
    }

    const RSS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
<title>微博搜索：听见</title>
<link>https://weibo.com</link>
<description>test</description>
<item>
  <title>导出功能反馈</title>
  <link>https://weibo.com/1234567890/NaBcDeF</link>
  <guid isPermaLink="false">weibo-NaBcDeF</guid>
  <dc:creator>小明</dc:creator>
  <pubDate>Wed, 01 May 2024 12:00:00 +0800</pubDate>
  <description><![CDATA[<p>听见App太好用了，<b>但是</b>导出&amp;分享很慢</p><script>alert("x<p>")</script><p>第二段&nbsp;&nbsp;内容&#x4F60;</p>]]></description>
</item>
<item>
  <title>无链接的帖子</title>
  <description>只有文字</description>
</item>
<item>
  <title>听见真的好用…</title>
  <link>https://m.weibo.cn/status/999</link>
  <author>fan@example.com (粉丝)</author>
  <description>听见真的好用，推荐给大家</description>
</item>
</channel>
</rss>"#;

    #[test]
    fn rss_with_chinese_html_and_entities() {
        let entries = parse_feed(RSS.as_bytes()).unwrap();
        assert_eq!(entries.len(), 3);

        let e = &entries[0];
        assert_eq!(e.entry_key, "weibo-NaBcDeF");
        assert_eq!(
            e.url.as_deref(),
            Some("https://weibo.com/1234567890/NaBcDeF")
        );
        assert_eq!(e.author.as_deref(), Some("小明"));
        assert_eq!(
            e.text,
            "导出功能反馈\n听见App太好用了，但是导出&分享很慢\n第二段 内容你"
        );
        assert_eq!(
            e.published_at,
            Some(Utc.with_ymd_and_hms(2024, 5, 1, 4, 0, 0).unwrap())
        );

        // No guid and no link: a content hash, the same on every poll.
        let e2 = &entries[1];
        assert_eq!(e2.entry_key.len(), 64);
        assert!(e2.entry_key.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(e2.text, "无链接的帖子\n只有文字");
        let again = parse_feed(RSS.as_bytes()).unwrap();
        assert_eq!(again[1].entry_key, e2.entry_key);

        // The title is a truncated copy of the body: not repeated. RSS <author> gives the name.
        let e3 = &entries[2];
        assert_eq!(e3.text, "听见真的好用，推荐给大家");
        assert_eq!(e3.entry_key, "https://m.weibo.cn/status/999");
        assert_eq!(e3.author.as_deref(), Some("粉丝"));
        assert_eq!(e3.published_at, None);
    }

    const ATOM: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>知乎 听见</title>
  <id>urn:uuid:60a76c80-d399-11d9-b93C-0003939e0af6</id>
  <updated>2024-05-02T08:00:00Z</updated>
  <entry>
    <title type="html">&lt;b&gt;回答&lt;/b&gt;：听见的体验</title>
    <id>tag:zhihu.com,2024:answer/42</id>
    <link rel="edit" href="https://api.zhihu.com/answers/42"/>
    <link rel="alternate" href="https://www.zhihu.com/question/1/answer/42"/>
    <author><name>张三</name></author>
    <updated>2024-05-02T08:00:00Z</updated>
    <published>2024-05-02T07:30:00+08:00</published>
    <content type="html">&lt;div&gt;界面&lt;br/&gt;很清爽&lt;/div&gt;&lt;style&gt;.x{color:red}&lt;/style&gt;&lt;div&gt;就是   有点贵&lt;/div&gt;</content>
  </entry>
  <entry>
    <title>仅更新时间</title>
    <id>tag:zhihu.com,2024:answer/43</id>
    <updated>2024-05-03T00:00:00Z</updated>
    <summary>摘要 &amp; 内容</summary>
  </entry>
</feed>"#;

    #[test]
    fn atom_entries() {
        let entries = parse_feed(ATOM.as_bytes()).unwrap();
        assert_eq!(entries.len(), 2);
        let e = &entries[0];
        assert_eq!(e.entry_key, "tag:zhihu.com,2024:answer/42");
        assert_eq!(
            e.url.as_deref(),
            Some("https://www.zhihu.com/question/1/answer/42")
        );
        assert_eq!(e.author.as_deref(), Some("张三"));
        assert_eq!(e.text, "回答：听见的体验\n界面\n很清爽\n就是 有点贵");
        assert_eq!(
            e.published_at,
            Some(Utc.with_ymd_and_hms(2024, 5, 1, 23, 30, 0).unwrap())
        );

        let e2 = &entries[1];
        assert_eq!(e2.text, "仅更新时间\n摘要 & 内容");
        assert_eq!(
            e2.published_at,
            Some(Utc.with_ymd_and_hms(2024, 5, 3, 0, 0, 0).unwrap())
        );
        assert_eq!(e2.url, None);
    }

    const JSON_FEED: &str = r#"{
      "version": "https://jsonfeed.org/version/1.1",
      "title": "B站评论",
      "items": [
        {"id": "bv1", "url": "https://www.bilibili.com/video/BV1xx", "title": "视频评论",
         "content_html": "<p>弹幕功能&lt;很棒&gt;</p><ul><li>一</li><li>二</li></ul>",
         "authors": [{"name": "UP主"}], "date_published": "2024-05-03T10:00:00+08:00"},
        {"id": "2", "content_text": "纯文本  反馈 <3   多个空格", "date_modified": "2024-05-04T00:00:00Z"}
      ]
    }"#;

    #[test]
    fn json_feed_entries() {
        let entries = parse_feed(JSON_FEED.as_bytes()).unwrap();
        assert_eq!(entries.len(), 2);
        let e = &entries[0];
        assert_eq!(e.entry_key, "bv1");
        assert_eq!(e.text, "视频评论\n弹幕功能<很棒>\n一\n二");
        assert_eq!(e.author.as_deref(), Some("UP主"));
        assert_eq!(
            e.published_at,
            Some(Utc.with_ymd_and_hms(2024, 5, 3, 2, 0, 0).unwrap())
        );
        let e2 = &entries[1];
        assert_eq!(e2.text, "纯文本 反馈 <3 多个空格");
        assert_eq!(
            e2.published_at,
            Some(Utc.with_ymd_and_hms(2024, 5, 4, 0, 0, 0).unwrap())
        );
    }

    #[test]
    fn not_a_feed_is_a_parse_error() {
        assert!(matches!(parse_feed(b"hello"), Err(FeedError::Parse(_))));
        assert!(matches!(parse_feed(b""), Err(FeedError::Parse(_))));
        assert!(matches!(
            parse_feed(b"<html><body>x</body></html>"),
            Err(FeedError::Parse(_))
        ));
        assert!(matches!(
            parse_feed(br#"{"version":"https://jsonfeed.org/version/9"}"#),
            Err(FeedError::Parse(_))
        ));
    }

    #[test]
    fn long_text_is_truncated_on_a_char_boundary() {
        let body = "好".repeat(MAX_TEXT_CHARS + 50);
        let json = format!(
            r#"{{"version":"https://jsonfeed.org/version/1.1","title":"t","items":[{{"id":"x","content_text":"{body}"}}]}}"#
        );
        let entries = parse_feed(json.as_bytes()).unwrap();
        assert_eq!(entries[0].text.chars().count(), MAX_TEXT_CHARS);
        assert!(entry_to_feedback("s", "n", &entries[0], now()).is_some());
    }

    #[test]
    fn strip_html_cases() {
        assert_eq!(strip_html("<p>你好</p><p>世界</p>"), "你好\n世界");
        assert_eq!(strip_html("a<br>b<br/>c<BR />d"), "a\nb\nc\nd");
        assert_eq!(strip_html("<b>好</b>用"), "好用");
        assert_eq!(
            strip_html("x<script type='a'>var s = '</p>';</script>y"),
            "xy"
        );
        assert_eq!(strip_html("x<STYLE>p{}</STYLE>y"), "xy");
        assert_eq!(strip_html("a <!-- 注释 --> b"), "a b");
        assert_eq!(strip_html("1 < 2 &amp;&amp; 3 > 2"), "1 < 2 && 3 > 2");
        assert_eq!(strip_html("&lt;b&gt;不是标签&lt;/b&gt;"), "<b>不是标签</b>");
        assert_eq!(strip_html("<a href=\"x?a=1>2\">链接</a>"), "链接");
        assert_eq!(strip_html("&nbsp;\u{3000}  空白\t\t很多  "), "空白 很多");
        assert_eq!(strip_html("<ul><li>一</li><li>二</li></ul>"), "一\n二");
        assert_eq!(strip_html("<![CDATA[原文 <i>]]>后"), "原文 <i>后");
        // Broken markup: no panic, sensible output.
        assert_eq!(strip_html("文本<div class=\"x"), "文本");
        assert_eq!(strip_html("<script>never closed"), "");
        assert_eq!(strip_html("<!-- never closed"), "");
        assert_eq!(strip_html("<"), "<");
        assert_eq!(strip_html("<<<>>>"), "<<<>>>");
        assert_eq!(strip_html("&#xZZ; &bogus; &"), "&#xZZ; &bogus; &");
        assert_eq!(strip_html(""), "");
        for s in [
            "<a",
            "</",
            "<!",
            "<![CDATA[",
            "<a '>",
            "é<é>é",
            "<p\u{0}>",
            "<script",
            "<style/>z",
        ] {
            let _ = strip_html(s);
        }
    }

    #[test]
    fn keyword_filter() {
        fn kws(v: &[&str]) -> Vec<String> {
            v.iter().map(|s| s.to_string()).collect()
        }
        assert!(mentions_keyword("随便什么", &[]));
        assert!(mentions_keyword("随便什么", &kws(&["  "])));
        assert!(mentions_keyword("我在用听见做调研", &kws(&["听见"])));
        assert!(!mentions_keyword("我听不见", &kws(&["听见App"])));
        assert!(mentions_keyword("Tingjian is great", &kws(&["tingjian"])));
        assert!(mentions_keyword("试了TINGJIAN，不错", &kws(&["TingJian"])));
        assert!(mentions_keyword(
            "用ＴＩＮＧＪＩＡＮ的",
            &kws(&["tingjian"])
        ));
        assert!(mentions_keyword("这个app很卡", &kws(&["APP"])));
        assert!(!mentions_keyword("so happy", &kws(&["app"])));
        assert!(mentions_keyword("happy app", &kws(&["app"])));
        assert!(mentions_keyword("v2.0版本", &kws(&["v2.0"])));
        assert!(!mentions_keyword("完全无关", &kws(&["听见", "tingjian"])));
        assert!(mentions_keyword("反馈：APP闪退", &kws(&["无关", "闪退"])));
    }

    #[test]
    fn entry_to_feedback_fields() {
        let entries = parse_feed(RSS.as_bytes()).unwrap();
        let fb = entry_to_feedback("src_1", "微博监控", &entries[0], now()).unwrap();
        assert_eq!(fb.channel, Channel::Social);
        assert_eq!(fb.source_key, "feed:src_1");
        assert_eq!(fb.source_id.as_deref(), Some("src_1"));
        assert_eq!(fb.external_id.as_deref(), Some("weibo-NaBcDeF"));
        assert_eq!(fb.context["platform"], "weibo");
        assert_eq!(fb.context["source"], "微博监控");
        assert_eq!(fb.context["url"], "https://weibo.com/1234567890/NaBcDeF");
        assert_eq!(
            fb.occurred_at,
            Utc.with_ymd_and_hms(2024, 5, 1, 4, 0, 0).unwrap()
        );

        let no_date = entry_to_feedback("src_1", "x", &entries[2], now()).unwrap();
        assert_eq!(no_date.occurred_at, now());
        assert_eq!(no_date.context["platform"], "weibo");

        let no_url = entry_to_feedback("src_1", "x", &entries[1], now()).unwrap();
        assert_eq!(no_url.context["platform"], "feed");
        assert!(no_url.context.get("url").is_none());

        let empty = FeedEntry {
            entry_key: "k".into(),
            url: None,
            author: None,
            text: "  \n ".into(),
            published_at: None,
        };
        assert!(entry_to_feedback("s", "n", &empty, now()).is_none());
    }

    #[test]
    fn platform_guessing() {
        let p = |u: &str| url_host(u).map(|h| platform_for_host(&h));
        assert_eq!(
            p("https://www.zhihu.com/question/1").as_deref(),
            Some("zhihu")
        );
        assert_eq!(
            p("https://zhuanlan.zhihu.com/p/1").as_deref(),
            Some("zhihu")
        );
        assert_eq!(p("https://b23.tv/abc").as_deref(), Some("bilibili"));
        assert_eq!(
            p("https://space.bilibili.com/1").as_deref(),
            Some("bilibili")
        );
        assert_eq!(
            p("http://www.xiaohongshu.com/explore/1").as_deref(),
            Some("xiaohongshu")
        );
        assert_eq!(
            p("https://www.douyin.com/video/1").as_deref(),
            Some("douyin")
        );
        assert_eq!(
            p("https://user:pw@WWW.Example.COM:8443/x").as_deref(),
            Some("example.com")
        );
        assert_eq!(p("https://notweibo.com/x").as_deref(), Some("notweibo.com"));
        assert_eq!(p("ftp://weibo.com/x"), None);
        assert_eq!(p("https:///x"), None);
        assert_eq!(p("javascript:alert(1)"), None);
    }

    #[test]
    fn non_http_links_are_not_used() {
        let json = r#"{"version":"https://jsonfeed.org/version/1.1","title":"t","items":[
            {"content_text":"有内容", "url":"javascript:alert(1)"}]}"#;
        let entries = parse_feed(json.as_bytes()).unwrap();
        assert_eq!(entries[0].url, None);
        assert_eq!(entries[0].entry_key.len(), 64);
    }

    #[test]
    fn mentions_valid_batch() {
        let body = serde_json::json!({"items": [
            {"platform": "weibo", "url": "https://weibo.com/1/abc", "text": " 听见不错 ",
             "author": "小红", "published_at": "2024-05-01T12:00:00+08:00", "id": 4998877665544332211u64},
            {"platform": "Xiaohongshu", "text": "笔记里提到了听见", "url": "https://www.xiaohongshu.com/explore/1"},
            {"platform": "douyin", "text": "视频评论：好用", "author": "抖友"}
        ]});
        let items = parse_mentions(&body, now()).unwrap();
        assert_eq!(items.len(), 3);

        assert_eq!(items[0].source_key, "mentions:weibo");
        assert_eq!(items[0].external_id.as_deref(), Some("4998877665544332211"));
        assert_eq!(items[0].text.as_str(), "听见不错");
        assert_eq!(items[0].author.as_deref(), Some("小红"));
        assert_eq!(
            items[0].occurred_at,
            Utc.with_ymd_and_hms(2024, 5, 1, 4, 0, 0).unwrap()
        );
        assert_eq!(items[0].context["platform"], "weibo");
        assert_eq!(items[0].channel, Channel::Social);

        assert_eq!(items[1].source_key, "mentions:xiaohongshu");
        assert_eq!(
            items[1].external_id.as_deref(),
            Some("https://www.xiaohongshu.com/explore/1")
        );
        assert_eq!(items[1].occurred_at, now());

        let key = items[2].external_id.clone().unwrap();
        assert_eq!(key.len(), 64);
        // A re-push gives the same key, so the store drops the duplicate.
        let again = parse_mentions(&body, now()).unwrap();
        assert_eq!(again[2].external_id.as_deref(), Some(key.as_str()));
        // A different author is a different post.
        let other = serde_json::json!({"items": [{"platform": "douyin", "text": "视频评论：好用", "author": "别人"}]});
        assert_ne!(
            parse_mentions(&other, now()).unwrap()[0]
                .external_id
                .as_deref(),
            Some(key.as_str())
        );
    }

    #[test]
    fn mentions_errors_have_pointers() {
        let long = "长".repeat(MAX_TEXT_CHARS + 1);
        let body = serde_json::json!({"items": [
            {"platform": "weibo", "text": "ok"},
            {"platform": "Wei bo!", "text": "x"},
            {"text": "x"},
            {"platform": "weibo", "text": "   "},
            {"platform": "weibo", "text": long},
            {"platform": "weibo", "text": "x", "url": "ftp://example.com/a"},
            {"platform": "weibo", "text": "x", "published_at": "2024-05-01 12:00"},
            {"platform": "weibo", "text": 5, "id": 1.5, "author": ["a"]},
            "not an object"
        ]});
        let errs = parse_mentions(&body, now()).unwrap_err();
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            vec![
                "/items/1/platform",
                "/items/2/platform",
                "/items/3/text",
                "/items/4/text",
                "/items/5/url",
                "/items/6/published_at",
                "/items/7/text",
                "/items/7/author",
                "/items/7/id",
                "/items/8",
            ]
        );
    }

    #[test]
    fn mentions_envelope_errors() {
        let e = parse_mentions(&serde_json::json!([1]), now()).unwrap_err();
        assert_eq!(e[0].field, "");
        let e = parse_mentions(&serde_json::json!({}), now()).unwrap_err();
        assert_eq!(e[0].field, "/items");
        let e = parse_mentions(&serde_json::json!({"items": []}), now()).unwrap_err();
        assert_eq!(e[0].field, "/items");
        let many: Vec<Value> = (0..1001)
            .map(|_| serde_json::json!({"platform": "weibo", "text": "x"}))
            .collect();
        let e = parse_mentions(&serde_json::json!({ "items": many }), now()).unwrap_err();
        assert_eq!(e[0].field, "/items");
        let bad: Vec<Value> = (0..500).map(|_| serde_json::json!({})).collect();
        let e = parse_mentions(&serde_json::json!({ "items": bad }), now()).unwrap_err();
        assert_eq!(e.len(), MAX_REPORTED_ERRORS);
    }

    #[test]
    fn sha256_hex_is_standard() {
        assert_eq!(
            sha256_hex(&["abc"]),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_ne!(sha256_hex(&["ab", "c"]), sha256_hex(&["a", "bc"]));
    }

    #[test]
    fn long_ids_are_hashed() {
        let long = "x".repeat(300);
        assert_eq!(bounded_key(&long).len(), 64);
        assert_eq!(bounded_key("short"), "short");
    }
}
