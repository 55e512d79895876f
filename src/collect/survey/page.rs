//! The hosted survey page (`GET /s/{id}`) and its thank-you and closed pages: complete,
//! self-contained HTML with inline CSS that needs no JavaScript, so it works in any browser
//! and in in-app web views. A survey with conditions is asked in steps ([`super::steps`]).
//! Every piece of survey or respondent text is HTML-escaped. The one script, inline and
//! allowed by its hash alone, tells a framing page the page's height so an iframe can fit it.

use std::sync::LazyLock;

use base64::Engine as _;
use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::answers::{
    Submission, FORM_ATTR_PREFIX, FORM_BACK, FORM_RESPONDENT_ID, FORM_RESPONSE_ID, FORM_STEP,
};
use super::definition::{
    ptr_escape, Language, Question, QuestionKind, SurveyDefinition, HONEYPOT_FIELD,
};
use super::steps::Step;
use crate::domain::FieldError;

/// Stylesheet of the hosted pages, inlined into each page.
pub const SURVEY_CSS: &str = include_str!("../../../static/survey.css");

/// Run only inside a frame: posts the page's height to the framing page, where the loader
/// (`GET /frame.js`) sets the iframe's height, so the survey never scrolls inside its frame.
/// The loader is an `async` script and may start after this page has told its height; it then
/// asks (`{tingjian: 'measure'}`), and the page tells it again.
pub const FRAME_HEIGHT_JS: &str = "(function(){if(window.parent===window)return;var last=0;\
function send(){var h=Math.ceil(document.body.getBoundingClientRect().height);\
if(h!==last){last=h;window.parent.postMessage({tingjian:'height',height:h},'*');}}\
if(window.ResizeObserver){new ResizeObserver(send).observe(document.body);}\
window.addEventListener('message',function(e){\
if(e.source===window.parent&&e.data&&e.data.tingjian==='measure'){last=0;send();}});\
window.addEventListener('load',send);send();})();";

/// The CSP source that allows [`FRAME_HEIGHT_JS`] and nothing else.
static FRAME_HEIGHT_HASH: LazyLock<String> = LazyLock::new(|| {
    let digest = Sha256::digest(FRAME_HEIGHT_JS.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
});

/// Renders the step of the survey form that `previous.step` names (the first without one).
/// `errors` (from validation) are shown next to their questions and in a summary at the top;
/// `previous` refills the answers after a failed post, carries the earlier steps' answers,
/// and may carry a respondent id / attributes / response id to send back as hidden fields.
pub fn render_page(
    survey_id: &str,
    def: &SurveyDefinition,
    errors: &[FieldError],
    previous: Option<&Submission>,
) -> String {
    let action = format!("/s/{}/responses", path_segment(survey_id));
    render_form(&action, def, errors, previous, None)
}

/// The survey form as respondents see it, for the console's preview: it posts to `action`
/// (which stores nothing) and says at the top that it is a preview.
pub fn render_preview(
    action: &str,
    def: &SurveyDefinition,
    errors: &[FieldError],
    previous: Option<&Submission>,
) -> String {
    render_form(
        action,
        def,
        errors,
        previous,
        Some("预览：这是答题者看到的样子，提交的回答不会保存。"),
    )
}

/// The preview's thank-you page, with the same note.
pub fn render_preview_thanks(def: &SurveyDefinition) -> String {
    render_thanks(def).replacen(
        "<main class=\"tj\">\n",
        "<main class=\"tj\">\n<p class=\"tj-note\" role=\"note\">预览：回答没有保存。</p>\n",
        1,
    )
}

/// The answers a submission carries, as a map (empty when it carries none).
fn answers_of(previous: Option<&Submission>) -> Map<String, Value> {
    previous
        .and_then(|p| p.answers.as_object())
        .cloned()
        .unwrap_or_default()
}

fn render_form(
    action: &str,
    def: &SurveyDefinition,
    errors: &[FieldError],
    previous: Option<&Submission>,
    banner: Option<&str>,
) -> String {
    let lang = def.language;
    let answers = answers_of(previous);
    let step = def.step(previous.and_then(|p| p.step).unwrap_or(0), &answers);
    let mut b = String::with_capacity(8 * 1024);

    b.push_str("<main class=\"tj\">\n");
    if let Some(note) = banner {
        b.push_str("<p class=\"tj-note\" role=\"note\">");
        b.push_str(&text(note));
        b.push_str("</p>\n");
    }
    b.push_str("<header class=\"tj-head\">\n");
    render_brand(&mut b, def);
    b.push_str("<h1 class=\"tj-title\">");
    b.push_str(&text(&def.title));
    b.push_str("</h1>\n");
    if let Some(d) = def.description.as_ref().filter(|_| step.from == 0) {
        b.push_str("<p class=\"tj-lead\">");
        b.push_str(&text(d));
        b.push_str("</p>\n");
    }
    if step.shown.iter().any(|q| q.required) {
        b.push_str("<p class=\"tj-note\">");
        b.push_str(lang.pick(
            "标有“必填”的问题需要回答。",
            "Questions marked “Required” must be answered.",
        ));
        b.push_str("</p>\n");
    }
    b.push_str("</header>\n");

    if !errors.is_empty() {
        render_error_summary(&mut b, def, &step, errors);
    }

    b.push_str("<form class=\"tj-form\" method=\"post\" action=\"");
    b.push_str(&attr(action));
    b.push_str("\" accept-charset=\"UTF-8\" data-tingjian-form data-step=\"");
    b.push_str(&step.from.to_string());
    b.push_str("\">\n");

    // Honeypot: invisible to people and to screen readers, tempting to form-filling bots.
    b.push_str(
        "<div class=\"tj-hp\" aria-hidden=\"true\"><label for=\"tj-hp-input\">Website</label>",
    );
    b.push_str("<input type=\"text\" id=\"tj-hp-input\" name=\"");
    b.push_str(HONEYPOT_FIELD);
    b.push_str("\" value=\"\" tabindex=\"-1\" autocomplete=\"off\"></div>\n");

    if let Some(p) = previous {
        render_hidden_fields(&mut b, p);
    }
    if def.has_conditions() {
        hidden_input(&mut b, FORM_STEP, &step.from.to_string());
        // The earlier steps' answers travel with the form: nothing is stored before the end.
        for q in &def.questions[..step.from] {
            for v in previous_values(answers.get(&q.id)) {
                hidden_input(&mut b, &q.id, &v);
            }
        }
    }

    for q in &step.shown {
        let q_errors: Vec<&FieldError> = errors.iter().filter(|e| error_is_for(e, q)).collect();
        let number = step.number_of(&q.id).unwrap_or(step.first_number);
        render_question(&mut b, def, number, q, &q_errors, answers.get(&q.id));
    }

    let more = step.end < def.questions.len();
    b.push_str("<div class=\"tj-actions\"><button type=\"submit\" class=\"tj-submit\">");
    b.push_str(if more {
        lang.pick("下一步", "Next")
    } else {
        lang.pick("提交", "Submit")
    });
    b.push_str("</button>");
    if step.from > 0 {
        // After the main button, so Enter still moves on.
        b.push_str("<button type=\"submit\" class=\"tj-back\" name=\"");
        b.push_str(FORM_BACK);
        b.push_str("\" value=\"1\" formnovalidate>");
        b.push_str(lang.pick("上一步", "Back"));
        b.push_str("</button>");
    }
    b.push_str("</div>\n</form>\n");
    render_privacy(&mut b, def);
    b.push_str("</main>");

    document(def, &def.title, &b, Some(&og_description(def)))
}

/// The product's logo and name above the title, when the survey has them.
fn render_brand(b: &mut String, def: &SurveyDefinition) {
    if def.product_name.is_none() && def.logo_url.is_none() {
        return;
    }
    b.push_str("<p class=\"tj-brand\">");
    if let Some(logo) = &def.logo_url {
        b.push_str("<img class=\"tj-logo\" src=\"");
        b.push_str(&attr(logo));
        // Decorative next to the name; named when it stands alone.
        b.push_str("\" alt=\"");
        if def.product_name.is_none() {
            b.push_str(def.language.pick("标志", "Logo"));
        }
        b.push_str("\" width=\"32\" height=\"32\" referrerpolicy=\"no-referrer\">");
    }
    if let Some(name) = &def.product_name {
        b.push_str("<span class=\"tj-product\">");
        b.push_str(&text(name));
        b.push_str("</span>");
    }
    b.push_str("</p>\n");
}

/// The link to the survey's privacy note, under the form and the thank-you message.
fn render_privacy(b: &mut String, def: &SurveyDefinition) {
    if let Some(url) = &def.privacy_url {
        b.push_str("<p class=\"tj-foot\"><a href=\"");
        b.push_str(&attr(url));
        b.push_str("\" target=\"_blank\" rel=\"noopener noreferrer\">");
        b.push_str(def.language.pick(
            "隐私说明：我们如何使用您的回答",
            "Privacy: how we use your answers",
        ));
        b.push_str("</a></p>\n");
    }
}

/// What a shared link's card says under the title: the survey's own description, or a
/// line naming who asks and how long it is.
fn og_description(def: &SurveyDefinition) -> String {
    if let Some(d) = &def.description {
        let short: String = d.chars().take(120).collect();
        return short.split_whitespace().collect::<Vec<_>>().join(" ");
    }
    let n = def.questions.len();
    match (def.language, &def.product_name) {
        (Language::ZhCn, Some(p)) => format!("{p}邀请您填写一份问卷（{n} 题以内），只需一两分钟。"),
        (Language::ZhCn, None) => format!("邀请您填写一份问卷（{n} 题以内），只需一两分钟。"),
        (Language::En, Some(p)) => {
            format!("{p} invites you to a short survey ({n} questions at most).")
        }
        (Language::En, None) => {
            format!("You are invited to a short survey ({n} questions at most).")
        }
    }
}

/// The page shown after a successful form post.
pub fn render_thanks(def: &SurveyDefinition) -> String {
    let lang = def.language;
    let mut b = String::with_capacity(1024);
    b.push_str("<main class=\"tj\">\n");
    b.push_str("<section class=\"tj-done\" role=\"status\" data-tingjian-thanks>\n");
    render_brand(&mut b, def);
    b.push_str("<div class=\"tj-check\" aria-hidden=\"true\">✓</div>\n<h1 class=\"tj-title\">");
    b.push_str(lang.pick("提交成功", "Thank you!"));
    b.push_str("</h1>\n<p class=\"tj-lead\">");
    match &def.thank_you {
        Some(t) => b.push_str(&text(t)),
        None => b.push_str(lang.pick(
            "感谢您的反馈！我们会认真阅读每一条意见。",
            "Thanks for your feedback. We read every response.",
        )),
    }
    b.push_str("</p>\n</section>\n");
    render_privacy(&mut b, def);
    b.push_str("</main>");
    document(def, &def.title, &b, None)
}

/// The page a respondent sees where the survey may not be shown: framed by a site that is
/// not in `allowed_origins`. Neutral: nothing to retry, nothing about the configuration.
pub fn render_unavailable(def: &SurveyDefinition) -> String {
    let body = format!(
        "<main class=\"tj\">\n<section class=\"tj-done tj-closed\" role=\"status\" data-tingjian-unavailable>\n\
         <h1 class=\"tj-title\">{}</h1>\n<p class=\"tj-lead\">{}</p>\n</section>\n</main>",
        def.language.pick("问卷暂时无法在这里显示", "This survey cannot be shown here"),
        def.language.pick(
            "感谢您的关注。这份问卷目前不在本页面开放。",
            "Thank you for your interest. This survey is not open on this page."
        ),
    );
    plain_document(def.language, &def.title, &body)
}

/// The page a respondent sees when a submission is refused for now: too many from their
/// network in a minute, or the survey's hourly cap reached. Calm: nothing was stored, the
/// answers are still in the form one page back, and when to try again, in minutes.
pub fn render_busy(def: Option<&SurveyDefinition>, retry_after_secs: u64) -> String {
    let lang = def.map_or(Language::ZhCn, |d| d.language);
    let minutes = retry_after_secs.div_ceil(60).max(1);
    let body = format!(
        "<main class=\"tj\">\n<section class=\"tj-done tj-closed\" role=\"status\" data-tingjian-busy>\n\
         <h1 class=\"tj-title\">{}</h1>\n<p class=\"tj-lead\">{}</p>\n</section>\n</main>",
        lang.pick("请稍后再提交", "Please submit again a little later"),
        match lang {
            Language::ZhCn => format!(
                "这份问卷此刻收到的提交较多，您的回答还没有保存。请约 {minutes} 分钟后再提交；\
                 返回上一页，您填写的内容仍在。感谢您的耐心。"
            ),
            Language::En => format!(
                "This survey is receiving many answers right now, and yours has not been saved \
                 yet. Please submit again in about {minutes} minute(s); your answers are still \
                 on the previous page. Thank you for your patience."
            ),
        },
    );
    let title = def.map_or("请稍后再提交", |d| d.title.as_str());
    plain_document(lang, title, &body)
}

/// The page for a survey that no longer accepts responses (closed or archived).
pub fn render_closed() -> String {
    let body = "<main class=\"tj\">\n<section class=\"tj-done tj-closed\" role=\"status\">\n\
        <div class=\"tj-check\" aria-hidden=\"true\">!</div>\n\
        <h1 class=\"tj-title\">此问卷已关闭</h1>\n\
        <p class=\"tj-lead\">感谢关注，该问卷已停止收集回答。</p>\n\
        <p class=\"tj-en\" lang=\"en\">This survey is closed and no longer accepts responses.</p>\n\
        </section>\n</main>";
    plain_document(Language::ZhCn, "问卷已关闭", body)
}

/// The page for a survey id that does not exist, or whose survey was archived (404), for
/// browsers; API clients get a problem+json instead. It says no more than "not available",
/// so it does not tell an unknown id from an archived survey.
pub fn render_not_found() -> String {
    let body = "<main class=\"tj\">\n<section class=\"tj-done tj-closed\" role=\"status\">\n\
        <div class=\"tj-check\" aria-hidden=\"true\">?</div>\n\
        <h1 class=\"tj-title\">问卷不存在或已关闭</h1>\n\
        <p class=\"tj-lead\">请检查链接是否完整，或联系发给您问卷的人。</p>\n\
        <p class=\"tj-en\" lang=\"en\">This survey does not exist or is no longer available.</p>\n\
        </section>\n</main>";
    plain_document(Language::ZhCn, "问卷不存在或已关闭", body)
}

/// The Content-Security-Policy of pages that belong to no survey: like [`page_csp`], with
/// nothing to post and no restriction on framing (an embed of an archived survey shows it).
pub const PLAIN_PAGE_CSP: &str =
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; base-uri 'none'";

/// A Content-Security-Policy for the hosted pages: the frame-height script alone, inline
/// styles, images from the survey's logo host, posts only to this service, and framing only
/// by the survey's allowed origins.
pub fn page_csp(def: &SurveyDefinition) -> String {
    let ancestors = if def.allowed_origins.iter().any(|o| o == "*") {
        "*".to_owned()
    } else {
        let mut s = "'self'".to_owned();
        for o in &def.allowed_origins {
            s.push(' ');
            s.push_str(o);
        }
        s
    };
    csp(def, &ancestors)
}

/// [`page_csp`] for the console's preview, which only the console frames.
pub fn preview_csp(def: &SurveyDefinition) -> String {
    csp(def, "'self'")
}

fn csp(def: &SurveyDefinition, ancestors: &str) -> String {
    let logo = def
        .logo_url
        .as_deref()
        .and_then(|u| reqwest::Url::parse(u).ok())
        .map(|u| format!(" {}", u.origin().ascii_serialization()))
        .unwrap_or_default();
    format!(
        "default-src 'none'; script-src {}; style-src 'unsafe-inline'; img-src data:{logo}; \
         form-action 'self'; base-uri 'none'; frame-ancestors {ancestors}",
        *FRAME_HEIGHT_HASH
    )
}

/// A survey's page: its accent colour, its `og:` card and the frame-height script.
fn document(def: &SurveyDefinition, title: &str, body: &str, og: Option<&str>) -> String {
    let mut head = String::new();
    if let Some(description) = og {
        let card_title = match &def.product_name {
            Some(p) => format!("{title} · {p}"),
            None => title.to_owned(),
        };
        head.push_str(&format!(
            "<meta name=\"description\" content=\"{d}\">\n\
             <meta property=\"og:type\" content=\"website\">\n\
             <meta property=\"og:title\" content=\"{t}\">\n\
             <meta property=\"og:description\" content=\"{d}\">\n",
            d = attr(description),
            t = attr(&card_title),
        ));
        if let Some(p) = &def.product_name {
            head.push_str(&format!(
                "<meta property=\"og:site_name\" content=\"{}\">\n",
                attr(p)
            ));
        }
        if let Some(logo) = &def.logo_url {
            head.push_str(&format!(
                "<meta property=\"og:image\" content=\"{}\">\n",
                attr(logo)
            ));
        }
    }
    let style = def
        .accent_color
        .as_deref()
        .map(accent_css)
        .unwrap_or_default();
    let script = format!("<script>{FRAME_HEIGHT_JS}</script>\n");
    page_document(def.language, title, &head, &style, body, &script)
}

fn plain_document(lang: Language, title: &str, body: &str) -> String {
    page_document(lang, title, "", "", body, "")
}

fn page_document(
    lang: Language,
    title: &str,
    head: &str,
    style: &str,
    body: &str,
    script: &str,
) -> String {
    let mut html = String::with_capacity(body.len() + SURVEY_CSS.len() + 1024);
    html.push_str("<!DOCTYPE html>\n<html lang=\"");
    html.push_str(lang.as_str());
    html.push_str(
        "\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"robots\" content=\"noindex, nofollow\">\n\
         <meta name=\"format-detection\" content=\"telephone=no\">\n<title>",
    );
    html.push_str(&text(title));
    html.push_str("</title>\n");
    html.push_str(head);
    html.push_str("<style>\n");
    html.push_str(SURVEY_CSS);
    html.push_str(style);
    html.push_str("</style>\n</head>\n<body>\n");
    html.push_str(body);
    html.push('\n');
    html.push_str(script);
    html.push_str("</body>\n</html>\n");
    html
}

/// The survey's accent colour (already `#rrggbb`) over the defaults, in light and dark mode,
/// with a text colour on it that stays readable (black on light accents, white on dark).
pub fn accent_css(hex: &str) -> String {
    let Some([r, g, b]) = rgb(hex) else {
        return String::new();
    };
    let on = if luminance(r, g, b) > 0.4 {
        "#111418"
    } else {
        "#ffffff"
    };
    let mix = |base: [u8; 3], share: f64| {
        let m = |c: u8, d: u8| (f64::from(c) * share + f64::from(d) * (1.0 - share)).round() as u8;
        format!(
            "#{:02x}{:02x}{:02x}",
            m(r, base[0]),
            m(g, base[1]),
            m(b, base[2])
        )
    };
    format!(
        ":root{{--tj-accent:{hex};--tj-focus:{hex};--tj-on-accent:{on};--tj-accent-soft:{}}}\n\
         @media (prefers-color-scheme: dark){{:root{{--tj-accent:{hex};--tj-focus:{hex};--tj-on-accent:{on};--tj-accent-soft:{}}}}}\n",
        mix([0xff, 0xff, 0xff], 0.12),
        mix([0x1d, 0x20, 0x24], 0.3),
    )
}

fn rgb(hex: &str) -> Option<[u8; 3]> {
    let h = hex.strip_prefix('#').filter(|h| h.len() == 6)?;
    let c = |i: usize| u8::from_str_radix(h.get(i..i + 2)?, 16).ok();
    Some([c(0)?, c(2)?, c(4)?])
}

/// Relative luminance (WCAG 2) of an sRGB colour, 0 (black) to 1 (white).
fn luminance(r: u8, g: u8, b: u8) -> f64 {
    let lin = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.040_45 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
}

fn hidden_input(b: &mut String, name: &str, value: &str) {
    b.push_str("<input type=\"hidden\" name=\"");
    b.push_str(&attr(name));
    b.push_str("\" value=\"");
    b.push_str(&attr(value));
    b.push_str("\">\n");
}

/// Percent-encodes everything but unreserved characters, so an id is one path segment.
pub(super) fn path_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Validation names answers `/answers/q1`; a form handler may also use the bare `q1`.
fn error_is_for(e: &FieldError, q: &Question) -> bool {
    e.field == q.id || e.field.strip_prefix("/answers/") == Some(ptr_escape(&q.id).as_str())
}

fn question_number_label(lang: Language, n: usize) -> String {
    match lang {
        Language::ZhCn => format!("第 {n} 题"),
        Language::En => format!("Question {n}"),
    }
}

fn render_error_summary(
    b: &mut String,
    def: &SurveyDefinition,
    step: &Step<'_>,
    errors: &[FieldError],
) {
    let lang = def.language;
    b.push_str("<div class=\"tj-alert\" role=\"alert\" id=\"tj-errors\" tabindex=\"-1\">\n<p class=\"tj-alert-title\">");
    b.push_str(lang.pick(
        "提交未成功，请修改以下问题：",
        "Your answers were not submitted. Please fix the following:",
    ));
    b.push_str("</p>\n<ul>\n");
    for e in errors {
        let target = step
            .shown
            .iter()
            .find(|q| error_is_for(e, q))
            .and_then(|q| Some((step.number_of(&q.id)?, q)));
        match target {
            Some((n, q)) => {
                b.push_str("<li><a href=\"#tj-q-");
                b.push_str(&attr(&q.id));
                b.push_str("\">");
                b.push_str(&text(&question_number_label(lang, n)));
                b.push_str(lang.pick("：", ": "));
                b.push_str(&text(&e.message));
                b.push_str("</a></li>\n");
            }
            None => {
                b.push_str("<li>");
                // Errors not about one answer (a bad hidden field, the body) name their field.
                if !e.field.is_empty() && e.field != "/answers" {
                    b.push_str(&text(&e.field));
                    b.push_str(lang.pick("：", ": "));
                }
                b.push_str(&text(&e.message));
                b.push_str("</li>\n");
            }
        }
    }
    b.push_str("</ul>\n</div>\n");
}

fn render_hidden_fields(b: &mut String, p: &Submission) {
    let mut hidden = |name: &str, value: &str| hidden_input(b, name, value);
    if let Some(id) = &p.respondent_id {
        hidden(FORM_RESPONDENT_ID, id);
    }
    for (key, value) in &p.attributes {
        let v = match value {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(x) => x.to_string(),
            _ => continue,
        };
        hidden(&format!("{FORM_ATTR_PREFIX}{key}"), &v);
    }
    if let Some(id) = &p.response_id {
        hidden(FORM_RESPONSE_ID, id);
    }
}

/// Previous answer(s) as trimmed strings, however they were sent.
fn previous_values(prev: Option<&Value>) -> Vec<String> {
    fn scalar(v: &Value) -> Option<String> {
        match v {
            Value::String(s) => Some(s.trim().to_owned()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }
    match prev {
        Some(Value::Array(items)) => items.iter().filter_map(scalar).collect(),
        Some(v) => scalar(v).into_iter().collect(),
        None => Vec::new(),
    }
}

fn scale_ends(kind: QuestionKind, lang: Language) -> (&'static str, &'static str) {
    match (kind, lang) {
        (QuestionKind::Nps, Language::ZhCn) => ("0 = 完全不可能", "10 = 非常愿意"),
        (QuestionKind::Nps, Language::En) => ("0 = Not at all likely", "10 = Extremely likely"),
        (QuestionKind::Csat, Language::ZhCn) => ("1 = 非常不满意", "5 = 非常满意"),
        (QuestionKind::Csat, Language::En) => ("1 = Very dissatisfied", "5 = Very satisfied"),
        (QuestionKind::Ces, Language::ZhCn) => ("1 = 非常费力", "7 = 非常轻松"),
        (QuestionKind::Ces, Language::En) => ("1 = Very difficult", "7 = Very easy"),
        (QuestionKind::Rating, Language::ZhCn) => ("1 = 很差", "5 = 很好"),
        (QuestionKind::Rating, Language::En) => ("1 = Poor", "5 = Excellent"),
        _ => ("", ""),
    }
}

fn render_question(
    b: &mut String,
    def: &SurveyDefinition,
    number: usize,
    q: &Question,
    errors: &[&FieldError],
    prev: Option<&Value>,
) {
    let lang = def.language;
    let id = attr(&q.id).into_owned();
    let invalid = !errors.is_empty();
    let is_text = q.kind == QuestionKind::Text;
    // Native `required` everywhere but on checkbox groups (it would demand every box): a
    // question on the page is one its respondent is meant to answer.
    let native_required = q.required && q.kind != QuestionKind::MultiChoice;
    let limit_hint = is_text && q.max_length.is_some();
    let has_hint =
        q.kind.score_range().is_some() || q.kind == QuestionKind::MultiChoice || limit_hint;

    let mut described = Vec::new();
    if q.description.is_some() {
        described.push(format!("tj-d-{id}"));
    }
    if has_hint {
        described.push(format!("tj-h-{id}"));
    }
    if invalid {
        described.push(format!("tj-e-{id}"));
    }
    let describedby = if described.is_empty() {
        String::new()
    } else {
        format!(" aria-describedby=\"{}\"", described.join(" "))
    };
    let input_flags = format!(
        "{}{}",
        if native_required { " required" } else { "" },
        if invalid {
            " aria-invalid=\"true\""
        } else {
            ""
        }
    );

    let wrapper = if is_text { "div" } else { "fieldset" };
    b.push_str(&format!(
        "<{wrapper} class=\"tj-q{}\" id=\"tj-q-{id}\" data-question=\"{id}\"{}>\n",
        if invalid { " tj-q-invalid" } else { "" },
        if is_text { "" } else { describedby.as_str() },
    ));

    let mut title = format!(
        "<span class=\"tj-n\">{}.</span><span class=\"tj-t\">{}</span>",
        number,
        text(&q.title)
    );
    if q.required {
        title.push_str("<span class=\"tj-badge\">");
        title.push_str(lang.pick("必填", "Required"));
        title.push_str("</span>");
    }
    if is_text {
        b.push_str(&format!(
            "<label class=\"tj-label\" for=\"tj-i-{id}\">{title}</label>\n"
        ));
    } else {
        b.push_str(&format!("<legend class=\"tj-label\">{title}</legend>\n"));
    }

    if let Some(d) = &q.description {
        b.push_str(&format!(
            "<p class=\"tj-desc\" id=\"tj-d-{id}\">{}</p>\n",
            text(d)
        ));
    }
    if invalid {
        let messages: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
        b.push_str(&format!(
            "<p class=\"tj-err\" id=\"tj-e-{id}\">{}</p>\n",
            text(&messages.join(lang.pick("；", "; ")))
        ));
    }

    let previous = previous_values(prev);
    match q.kind {
        QuestionKind::Nps | QuestionKind::Csat | QuestionKind::Ces | QuestionKind::Rating => {
            let (lo, hi) = q.kind.score_range().unwrap_or((0, 10));
            b.push_str("<div class=\"tj-scale\">\n");
            for v in lo..=hi {
                let checked = previous
                    .iter()
                    .any(|p| p.parse::<f64>().ok() == Some(f64::from(v)));
                b.push_str(&format!(
                    "<label class=\"tj-pick\"><input type=\"radio\" name=\"{id}\" value=\"{v}\"{}{input_flags}><span>{v}</span></label>\n",
                    if checked { " checked" } else { "" },
                ));
            }
            b.push_str("</div>\n");
            let (low, high) = scale_ends(q.kind, lang);
            b.push_str(&format!(
                "<p class=\"tj-ends\" id=\"tj-h-{id}\"><span>{}</span><span>{}</span></p>\n",
                text(low),
                text(high)
            ));
        }
        QuestionKind::SingleChoice | QuestionKind::MultiChoice => {
            let multi = q.kind == QuestionKind::MultiChoice;
            if multi {
                b.push_str(&format!(
                    "<p class=\"tj-hint\" id=\"tj-h-{id}\">{}</p>\n",
                    lang.pick("（可多选）", "(Choose all that apply)")
                ));
            }
            let input_type = if multi { "checkbox" } else { "radio" };
            b.push_str("<div class=\"tj-choices\">\n");
            for option in &q.options {
                let checked = previous.iter().any(|p| p == option);
                b.push_str(&format!(
                    "<label class=\"tj-choice\"><input type=\"{input_type}\" name=\"{id}\" value=\"{}\"{}{input_flags}><span>{}</span></label>\n",
                    attr(option),
                    if checked { " checked" } else { "" },
                    text(option),
                ));
            }
            b.push_str("</div>\n");
        }
        QuestionKind::Text => {
            let placeholder = q
                .placeholder
                .as_deref()
                .map(|p| format!(" placeholder=\"{}\"", attr(p)))
                .unwrap_or_default();
            let prev_text = match prev {
                Some(Value::String(s)) => s.as_str(),
                _ => "",
            };
            // A leading newline in a textarea is eaten by the HTML parser, so keep one spare.
            let lead = if prev_text.starts_with('\n') {
                "\n"
            } else {
                ""
            };
            b.push_str(&format!(
                "<textarea class=\"tj-text\" id=\"tj-i-{id}\" name=\"{id}\" rows=\"4\" maxlength=\"{}\"{placeholder}{describedby}{input_flags}>{lead}{}</textarea>\n",
                q.text_limit(),
                text(prev_text),
            ));
            if let Some(max) = q.max_length {
                b.push_str(&format!(
                    "<p class=\"tj-hint\" id=\"tj-h-{id}\">{}</p>\n",
                    match lang {
                        Language::ZhCn => format!("最多 {max} 字"),
                        Language::En => format!("Up to {max} characters"),
                    }
                ));
            }
        }
    }
    b.push_str(&format!("</{wrapper}>\n"));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn evil() -> SurveyDefinition {
        SurveyDefinition::parse(&json!({
            "title": "<script>alert(1)</script>标题",
            "description": "说明 <img src=x onerror=alert(1)>",
            "thank_you": "谢谢 <b>您</b>",
            "questions": [
                {"id": "q1", "type": "nps", "title": "推荐 <script>x</script>", "required": true},
                {"id": "q2", "type": "single_choice", "title": "选项",
                 "options": ["<script>alert(2)</script>", "a\" onfocus=\"alert(3)"]},
                {"id": "q3", "type": "text", "title": "原因", "placeholder": "\"><script>p</script>",
                 "max_length": 500, "show_if": {"question": "q2", "equals": "<script>alert(2)</script>"}},
                {"id": "q4", "type": "multi_choice", "title": "功能", "options": ["搜索", "收藏"]},
                {"id": "q5", "type": "csat", "title": "满意度", "show_if": {"question": "q1", "max": 6}}
            ]
        }))
        .expect("valid")
    }

    fn assert_no_raw_markup(html: &str) {
        let html = &html.replace(&format!("<script>{FRAME_HEIGHT_JS}</script>"), "");
        assert!(!html.contains("<script"), "raw <script> in output");
        assert!(!html.contains("<img"), "raw <img> in output");
        assert!(!html.contains("<b>"), "raw <b> in output");
        assert!(
            !html.contains("value=\"a\" onfocus"),
            "attribute breakout in output"
        );
        assert!(
            !html.contains("placeholder=\"\">"),
            "attribute breakout in output"
        );
    }

    #[test]
    fn page_escapes_user_text() {
        let html = render_page("s1", &evil(), &[], None);
        assert_no_raw_markup(&html);
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;标题"));
        assert!(html.contains("value=\"&lt;script&gt;alert(2)&lt;/script&gt;\""));
        assert!(html.contains("value=\"a&quot; onfocus=&quot;alert(3)\""));
    }

    /// A submission that has reached `step` with these answers.
    fn at_step(step: usize, answers: Value) -> Submission {
        Submission {
            answers,
            step: Some(step),
            response_id: Some("abcdefgh12".into()),
            ..Default::default()
        }
    }

    #[test]
    fn page_structure() {
        let html = render_page("s1", &evil(), &[], None);
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains("<html lang=\"zh-CN\">"));
        assert!(html.contains("name=\"viewport\""));
        assert!(html.contains("action=\"/s/s1/responses\""));
        assert!(html.contains("method=\"post\""));
        assert!(html.contains("data-question=\"q1\""));
        assert!(html.contains("<input type=\"radio\" name=\"q1\" value=\"0\" required>"));
        assert!(html.contains("name=\"q1\" value=\"10\""));
        assert!(html.contains("0 = 完全不可能"));
        assert!(html.contains("10 = 非常愿意"));
        assert!(html.contains(">下一步</button>"));
        assert!(html.contains("必填"));
        // The first step ends before q3, which depends on q2 in the same step: no question
        // is shown to someone it is not for, and no respondent reads a rule.
        assert!(!html.contains("data-question=\"q3\""));
        assert!(!html.contains("仅当") && !html.contains("tj-cond"));
        assert!(html.contains("<input type=\"hidden\" name=\"_step\" value=\"0\">"));
        // Honeypot.
        assert!(html.contains("name=\"website\" value=\"\" tabindex=\"-1\" autocomplete=\"off\""));
        assert!(html.contains("class=\"tj-hp\" aria-hidden=\"true\""));
        // One script, the frame-height one, allowed by its hash in the CSP.
        assert_eq!(html.matches("<script>").count(), 1);
        assert!(html.contains(FRAME_HEIGHT_JS));
        assert!(page_csp(&evil()).contains(FRAME_HEIGHT_HASH.as_str()));

        // The next step, for someone who chose the first option and gave 3: the earlier
        // answers ride along hidden, the questions are numbered from 3.
        let next = at_step(2, json!({"q1": "3", "q2": "<script>alert(2)</script>"}));
        let html = render_page("s1", &evil(), &[], Some(&next));
        assert!(html.contains("<input type=\"hidden\" name=\"q1\" value=\"3\">"));
        assert!(html.contains(
            "<input type=\"hidden\" name=\"q2\" value=\"&lt;script&gt;alert(2)&lt;/script&gt;\">"
        ));
        assert!(html.contains("<input type=\"hidden\" name=\"_step\" value=\"2\">"));
        assert!(html.contains("<textarea class=\"tj-text\" id=\"tj-i-q3\" name=\"q3\""));
        assert!(html.contains("maxlength=\"500\""));
        assert!(html.contains("type=\"checkbox\" name=\"q4\" value=\"搜索\""));
        let numbers: Vec<&str> = html
            .split("<span class=\"tj-n\">")
            .skip(1)
            .filter_map(|r| r.split('<').next())
            .collect();
        assert_eq!(numbers, ["3.", "4.", "5."]);
        assert!(html.contains(">提交</button>"));
        assert!(html.contains("name=\"_back\" value=\"1\" formnovalidate>上一步</button>"));
        assert!(
            !html.contains("<p class=\"tj-lead\">"),
            "the description is on the first step only"
        );

        // The other option and a 9: q3 and q5 are skipped, q4 is question 3.
        let next = at_step(2, json!({"q1": "9", "q2": "a\" onfocus=\"alert(3)"}));
        let html = render_page("s1", &evil(), &[], Some(&next));
        assert!(!html.contains("data-question=\"q3\"") && !html.contains("data-question=\"q5\""));
        assert!(html.contains("<span class=\"tj-n\">3.</span><span class=\"tj-t\">功能</span>"));
    }

    #[test]
    fn branding_and_share_card() {
        let def = evil()
            .apply_patch(&json!({
                "product_name": "听见<商城>",
                "logo_url": "https://cdn.example/l.png?a=1&b=\"2",
                "accent_color": "#FFEE00",
                "privacy_url": "https://example.com/privacy"
            }))
            .expect("valid");
        let html = render_page("s1", &def, &[], None);
        assert!(html.contains("<span class=\"tj-product\">听见&lt;商城&gt;</span>"));
        assert!(html.contains("src=\"https://cdn.example/l.png?a=1&amp;b=&quot;2\""));
        assert!(html.contains("<meta property=\"og:title\" content=\"&lt;script&gt;alert(1)&lt;/script&gt;标题 · 听见&lt;商城&gt;\">"));
        assert!(html.contains("<meta property=\"og:description\" content=\"说明 &lt;img src=x onerror=alert(1)&gt;\">"));
        // A light accent gets dark text on it.
        assert!(html.contains("--tj-accent:#ffee00;--tj-focus:#ffee00;--tj-on-accent:#111418;"));
        assert!(accent_css("#1a66d9").contains("--tj-on-accent:#ffffff;"));
        assert!(html.contains("<a href=\"https://example.com/privacy\" target=\"_blank\" rel=\"noopener noreferrer\">"));
        assert!(page_csp(&def).contains("img-src data: https://cdn.example;"));
        assert!(render_thanks(&def).contains("https://example.com/privacy"));
        let unavailable = render_unavailable(&def);
        assert!(unavailable.contains("问卷暂时无法在这里显示") && !unavailable.contains("<script"));
    }

    #[test]
    fn survey_id_cannot_break_the_action_url() {
        let html = render_page("a\"b/../<x>", &evil(), &[], None);
        assert!(html.contains("action=\"/s/a%22b%2F..%2F%3Cx%3E/responses\""));
    }

    #[test]
    fn a_preview_says_so_and_posts_where_it_is_told() {
        let html = render_preview(
            "/console/w/ws_1/surveys/sv_1/preview?a=\"x",
            &evil(),
            &[],
            None,
        );
        assert!(html.contains("action=\"/console/w/ws_1/surveys/sv_1/preview?a=&quot;x\""));
        assert!(!html.contains("/responses\""));
        assert!(html.contains("预览：这是答题者看到的样子，提交的回答不会保存。"));
        assert!(!render_page("sv_1", &evil(), &[], None).contains("预览"));
        let thanks = render_preview_thanks(&evil());
        assert!(thanks.contains("预览：回答没有保存。") && thanks.contains("data-tingjian-thanks"));
    }

    #[test]
    fn errors_and_previous_values_are_shown() {
        let def = evil();
        let errors = vec![
            FieldError::new("/answers/q1", "此题为必填，请选择一项"),
            FieldError::new("/answers", "<i>总体</i>错误"),
            FieldError::new("q3", "最多 500 个字"),
        ];
        let previous = Submission {
            answers: json!({"q2": "a\" onfocus=\"alert(3)"}),
            respondent_id: Some("u\"1".into()),
            attributes: json!({"plan": "pro", "n": 3})
                .as_object()
                .cloned()
                .unwrap_or_default(),
            response_id: Some("abcdefgh12".into()),
            honeypot_filled: false,
            step: Some(0),
            back: false,
        };
        let html = render_page("s1", &def, &errors, Some(&previous));
        assert_no_raw_markup(&html);
        assert!(html.contains("role=\"alert\""));
        assert!(html.contains("<p class=\"tj-err\" id=\"tj-e-q1\">此题为必填，请选择一项</p>"));
        assert!(html.contains("&lt;i&gt;总体&lt;/i&gt;错误"));
        assert!(html.contains("href=\"#tj-q-q1\">第 1 题：此题为必填，请选择一项"));
        assert!(html.contains("tj-q tj-q-invalid\" id=\"tj-q-q1\""));
        assert!(html.contains("value=\"a&quot; onfocus=&quot;alert(3)\" checked"));
        assert!(html.contains("name=\"_respondent_id\" value=\"u&quot;1\""));
        assert!(html.contains("name=\"_attr_plan\" value=\"pro\""));
        assert!(html.contains("name=\"_attr_n\" value=\"3\""));
        assert!(html.contains("name=\"_response_id\" value=\"abcdefgh12\""));

        // A later step refills its own answers, and names its questions by shown number.
        let later = at_step(
            2,
            json!({"q1": "2", "q2": "<script>alert(2)</script>", "q3": "</textarea><script>t</script>", "q4": ["收藏"], "q5": "4"}),
        );
        let html = render_page("s1", &def, &errors, Some(&later));
        assert_no_raw_markup(&html);
        assert!(!html.contains("</textarea><script>"));
        assert!(html.contains("<p class=\"tj-err\" id=\"tj-e-q3\">最多 500 个字</p>"));
        assert!(html.contains("href=\"#tj-q-q3\">第 3 题：最多 500 个字"));
        assert!(html.contains("value=\"收藏\" checked"));
        assert!(!html.contains("value=\"搜索\" checked"));
        assert!(html.contains("name=\"q5\" value=\"4\" checked"));
        assert!(html.contains("&lt;/textarea&gt;&lt;script&gt;t&lt;/script&gt;</textarea>"));
    }

    #[test]
    fn english_page() {
        let def = evil()
            .apply_patch(&json!({"language": "en"}))
            .expect("valid");
        let html = render_page("s1", &def, &[], None);
        assert!(html.contains("<html lang=\"en\">"));
        assert!(html.contains(">Next</button>"));
        assert!(html.contains("0 = Not at all likely"));
        assert!(!html.contains("Answer only if"));
    }

    #[test]
    fn thanks_and_closed_pages() {
        let html = render_thanks(&evil());
        assert_no_raw_markup(&html);
        assert!(html.contains("谢谢 &lt;b&gt;您&lt;/b&gt;"));
        assert!(html.contains("data-tingjian-thanks"));
        let plain = evil()
            .apply_patch(&json!({"thank_you": null}))
            .expect("valid");
        assert!(render_thanks(&plain).contains("感谢您的反馈"));
        let closed = render_closed();
        assert!(closed.contains("<html lang=\"zh-CN\">"));
        assert!(closed.contains("此问卷已关闭"));
    }

    #[test]
    fn csp_lists_allowed_origins() {
        let def = evil()
            .apply_patch(&json!({"allowed_origins": ["https://shop.example"]}))
            .expect("valid");
        assert!(page_csp(&def).ends_with("frame-ancestors 'self' https://shop.example"));
        assert!(page_csp(&evil()).ends_with("frame-ancestors 'self'"));
    }
}
