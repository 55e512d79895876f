//! Social feeds (RSS 2.0, Atom, JSON Feed 1.x — typically RSSHub routes for Weibo, Zhihu,
//! Bilibili …): entries parsed and cleaned to plain text, kept when they mention a brand
//! keyword, and turned into feedback. Pure; [`super::fetch`] brings the bytes.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::fetch::{FeedError, MAX_FEED_BYTES};
use super::platform::{bounded_key, is_http_url, platform_for_host, url_host, MAX_AUTHOR_CHARS};
use crate::domain::text::truncate_chars;
use crate::domain::{stable_id, Channel, FeedbackText, Joint, NewFeedback, Scores, MAX_TEXT_CHARS};

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
        stable_id(Joint::UnitSeparator, &[title.as_str(), text.as_str()])
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
        occurred_at: e
            .published_at
            .filter(|t| crate::domain::time::occurred_within(*t, now))
            .unwrap_or(now),
        response_id: None,
        analysis: None,
    })
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
    fn non_http_links_are_not_used() {
        let json = r#"{"version":"https://jsonfeed.org/version/1.1","title":"t","items":[
            {"content_text":"有内容", "url":"javascript:alert(1)"}]}"#;
        let entries = parse_feed(json.as_bytes()).unwrap();
        assert_eq!(entries[0].url, None);
        assert_eq!(entries[0].entry_key.len(), 64);
    }
}
