//! The hosted survey page (`GET /s/{id}`) and its thank-you and closed pages: complete,
//! self-contained HTML with inline CSS and no JavaScript, so it works in any browser and in
//! in-app web views. Every piece of survey or respondent text is HTML-escaped.

use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};
use serde_json::Value;

use super::answers::{Submission, FORM_ATTR_PREFIX, FORM_RESPONDENT_ID, FORM_RESPONSE_ID};
use super::definition::{
    ptr_escape, Language, Question, QuestionKind, ShowIf, SurveyDefinition, HONEYPOT_FIELD,
};
use crate::domain::FieldError;

/// Stylesheet of the hosted pages, inlined into each page.
pub const SURVEY_CSS: &str = include_str!("../../../static/survey.css");

/// Renders the survey form. `errors` (from validation) are shown next to their questions
/// and in a summary at the top; `previous` refills the answers after a failed post, and may
/// also carry a respondent id / attributes / response id to send back as hidden fields.
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

fn render_form(
    action: &str,
    def: &SurveyDefinition,
    errors: &[FieldError],
    previous: Option<&Submission>,
    banner: Option<&str>,
) -> String {
    let lang = def.language;
    let mut b = String::with_capacity(8 * 1024);

    b.push_str("<main class=\"tj\">\n");
    if let Some(note) = banner {
        b.push_str("<p class=\"tj-note\" role=\"note\">");
        b.push_str(&text(note));
        b.push_str("</p>\n");
    }
    b.push_str("<header class=\"tj-head\">\n<h1 class=\"tj-title\">");
    b.push_str(&text(&def.title));
    b.push_str("</h1>\n");
    if let Some(d) = &def.description {
        b.push_str("<p class=\"tj-lead\">");
        b.push_str(&text(d));
        b.push_str("</p>\n");
    }
    if def.questions.iter().any(|q| q.required) {
        b.push_str("<p class=\"tj-note\">");
        b.push_str(lang.pick(
            "标有“必填”的问题需要回答。",
            "Questions marked “Required” must be answered.",
        ));
        b.push_str("</p>\n");
    }
    b.push_str("</header>\n");

    if !errors.is_empty() {
        render_error_summary(&mut b, def, errors);
    }

    b.push_str("<form class=\"tj-form\" method=\"post\" action=\"");
    b.push_str(&attr(action));
    b.push_str("\" accept-charset=\"UTF-8\" data-tingjian-form>\n");

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

    let prev_answers = previous.and_then(|p| p.answers.as_object());
    for (i, q) in def.questions.iter().enumerate() {
        let q_errors: Vec<&FieldError> = errors.iter().filter(|e| error_is_for(e, q)).collect();
        let prev = prev_answers.and_then(|a| a.get(&q.id));
        render_question(&mut b, def, i, q, &q_errors, prev);
    }

    b.push_str("<div class=\"tj-actions\"><button type=\"submit\" class=\"tj-submit\">");
    b.push_str(lang.pick("提交", "Submit"));
    b.push_str("</button></div>\n</form>\n</main>");

    document(lang, &def.title, &b)
}

/// The page shown after a successful form post.
pub fn render_thanks(def: &SurveyDefinition) -> String {
    let lang = def.language;
    let mut b = String::with_capacity(1024);
    b.push_str(
        "<main class=\"tj\">\n<section class=\"tj-done\" role=\"status\" data-tingjian-thanks>\n",
    );
    b.push_str("<div class=\"tj-check\" aria-hidden=\"true\">✓</div>\n<h1 class=\"tj-title\">");
    b.push_str(lang.pick("提交成功", "Thank you!"));
    b.push_str("</h1>\n<p class=\"tj-lead\">");
    match &def.thank_you {
        Some(t) => b.push_str(&text(t)),
        None => b.push_str(lang.pick(
            "感谢你的反馈！我们会认真阅读每一条意见。",
            "Thanks for your feedback. We read every response.",
        )),
    }
    b.push_str("</p>\n</section>\n</main>");
    document(lang, &def.title, &b)
}

/// The page for a survey that no longer accepts responses (closed or archived).
pub fn render_closed() -> String {
    let body = "<main class=\"tj\">\n<section class=\"tj-done tj-closed\" role=\"status\">\n\
        <div class=\"tj-check\" aria-hidden=\"true\">!</div>\n\
        <h1 class=\"tj-title\">此问卷已关闭</h1>\n\
        <p class=\"tj-lead\">感谢关注，该问卷已停止收集回答。</p>\n\
        <p class=\"tj-en\" lang=\"en\">This survey is closed and no longer accepts responses.</p>\n\
        </section>\n</main>";
    document(Language::ZhCn, "问卷已关闭", body)
}

/// The page for a survey id that does not exist, or whose survey was archived (404), for
/// browsers; API clients get a problem+json instead. It says no more than "not available",
/// so it does not tell an unknown id from an archived survey.
pub fn render_not_found() -> String {
    let body = "<main class=\"tj\">\n<section class=\"tj-done tj-closed\" role=\"status\">\n\
        <div class=\"tj-check\" aria-hidden=\"true\">?</div>\n\
        <h1 class=\"tj-title\">问卷不存在或已关闭</h1>\n\
        <p class=\"tj-lead\">请检查链接是否完整，或联系发给你问卷的人。</p>\n\
        <p class=\"tj-en\" lang=\"en\">This survey does not exist or is no longer available.</p>\n\
        </section>\n</main>";
    document(Language::ZhCn, "问卷不存在或已关闭", body)
}

/// The Content-Security-Policy of pages that belong to no survey: like [`page_csp`], with
/// nothing to post and no restriction on framing (an embed of an archived survey shows it).
pub const PLAIN_PAGE_CSP: &str =
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; base-uri 'none'";

/// A Content-Security-Policy for the hosted pages: no scripts at all, inline styles only,
/// posts only to this service, and framing only by the survey's allowed origins.
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
    format!(
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; \
         base-uri 'none'; frame-ancestors {ancestors}"
    )
}

fn document(lang: Language, title: &str, body: &str) -> String {
    let mut html = String::with_capacity(body.len() + SURVEY_CSS.len() + 512);
    html.push_str("<!DOCTYPE html>\n<html lang=\"");
    html.push_str(lang.as_str());
    html.push_str(
        "\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"robots\" content=\"noindex, nofollow\">\n\
         <meta name=\"format-detection\" content=\"telephone=no\">\n<title>",
    );
    html.push_str(&text(title));
    html.push_str("</title>\n<style>\n");
    html.push_str(SURVEY_CSS);
    html.push_str("</style>\n</head>\n<body>\n");
    html.push_str(body);
    html.push_str("\n</body>\n</html>\n");
    html
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

fn render_error_summary(b: &mut String, def: &SurveyDefinition, errors: &[FieldError]) {
    let lang = def.language;
    b.push_str("<div class=\"tj-alert\" role=\"alert\" id=\"tj-errors\" tabindex=\"-1\">\n<p class=\"tj-alert-title\">");
    b.push_str(lang.pick(
        "提交未成功，请修改以下问题：",
        "Your answers were not submitted. Please fix the following:",
    ));
    b.push_str("</p>\n<ul>\n");
    for e in errors {
        let target = def
            .questions
            .iter()
            .enumerate()
            .find(|(_, q)| error_is_for(e, q));
        match target {
            Some((i, q)) => {
                b.push_str("<li><a href=\"#tj-q-");
                b.push_str(&attr(&q.id));
                b.push_str("\">");
                b.push_str(&text(&question_number_label(lang, i + 1)));
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
    let mut hidden = |name: &str, value: &str| {
        b.push_str("<input type=\"hidden\" name=\"");
        b.push_str(&attr(name));
        b.push_str("\" value=\"");
        b.push_str(&attr(value));
        b.push_str("\">\n");
    };
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

fn number_text(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.as_f64().map_or_else(|| n.to_string(), number_text),
        other => other.to_string(),
    }
}

/// "（仅当第 1 题评分不高于 6 时回答）": the no-JS page shows every question, so conditional
/// ones say when they apply. Returned unescaped.
fn condition_text(def: &SurveyDefinition, cond: &ShowIf) -> String {
    let lang = def.language;
    let n = def.position(&cond.question).map_or(0, |i| i + 1);
    let is_score = def
        .question(&cond.question)
        .and_then(|q| q.kind.score_range())
        .is_some();
    let values: Vec<String> = cond
        .equals
        .iter()
        .chain(cond.any_of.iter())
        .map(value_text)
        .collect();
    match lang {
        Language::ZhCn => {
            let what = if !values.is_empty() {
                if is_score {
                    format!("评分为 {}", values.join(" 或 "))
                } else {
                    let quoted: Vec<String> = values.iter().map(|v| format!("“{v}”")).collect();
                    format!("选择了{}", quoted.join("或"))
                }
            } else {
                match (cond.min, cond.max) {
                    (Some(a), Some(b)) => {
                        format!("评分在 {}–{} 之间", number_text(a), number_text(b))
                    }
                    (Some(a), None) => format!("评分不低于 {}", number_text(a)),
                    (None, Some(b)) => format!("评分不高于 {}", number_text(b)),
                    (None, None) => "已作答".to_owned(),
                }
            };
            // A space between a digit and the following 汉字, as around "第 1 题".
            let gap = if what.ends_with(|c: char| c.is_ascii_alphanumeric()) {
                " "
            } else {
                ""
            };
            format!("（仅当第 {n} 题{what}{gap}时回答）")
        }
        Language::En => {
            let what = if !values.is_empty() {
                if is_score {
                    format!("your answer to question {n} was {}", values.join(" or "))
                } else {
                    let quoted: Vec<String> = values.iter().map(|v| format!("“{v}”")).collect();
                    format!("you chose {} in question {n}", quoted.join(" or "))
                }
            } else {
                match (cond.min, cond.max) {
                    (Some(a), Some(b)) => format!(
                        "your answer to question {n} was from {} to {}",
                        number_text(a),
                        number_text(b)
                    ),
                    (Some(a), None) => {
                        format!("your answer to question {n} was {} or more", number_text(a))
                    }
                    (None, Some(b)) => {
                        format!("your answer to question {n} was {} or less", number_text(b))
                    }
                    (None, None) => format!("you answered question {n}"),
                }
            };
            format!("(Answer only if {what}.)")
        }
    }
}

fn render_question(
    b: &mut String,
    def: &SurveyDefinition,
    index: usize,
    q: &Question,
    errors: &[&FieldError],
    prev: Option<&Value>,
) {
    let lang = def.language;
    let id = attr(&q.id).into_owned();
    let invalid = !errors.is_empty();
    let is_text = q.kind == QuestionKind::Text;
    // Native `required` only where it is always right: never on conditional questions (the
    // no-JS page cannot hide them) nor on checkbox groups (it would demand every box).
    let native_required = q.required && q.show_if.is_none() && q.kind != QuestionKind::MultiChoice;
    let limit_hint = is_text && q.max_length.is_some();
    let has_hint =
        q.kind.score_range().is_some() || q.kind == QuestionKind::MultiChoice || limit_hint;

    let mut described = Vec::new();
    if q.show_if.is_some() {
        described.push(format!("tj-c-{id}"));
    }
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
        index + 1,
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

    if let Some(cond) = &q.show_if {
        b.push_str(&format!(
            "<p class=\"tj-cond\" id=\"tj-c-{id}\">{}</p>\n",
            text(&condition_text(def, cond))
        ));
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
            "thank_you": "谢谢 <b>你</b>",
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
        assert!(html.contains(">提交</button>"));
        assert!(html.contains("必填"));
        assert!(html.contains("type=\"checkbox\" name=\"q4\" value=\"搜索\""));
        assert!(html.contains("<textarea class=\"tj-text\" id=\"tj-i-q3\" name=\"q3\""));
        assert!(html.contains("maxlength=\"500\""));
        assert!(html.contains("（仅当第 2 题选择了“&lt;script&gt;alert(2)&lt;/script&gt;”时回答）"));
        assert!(html.contains("（仅当第 1 题评分不高于 6 时回答）"));
        // Honeypot.
        assert!(html.contains("name=\"website\" value=\"\" tabindex=\"-1\" autocomplete=\"off\""));
        assert!(html.contains("class=\"tj-hp\" aria-hidden=\"true\""));
        // No script of our own either.
        assert!(!html.to_lowercase().contains("<script"));
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
            answers: json!({"q2": "a\" onfocus=\"alert(3)", "q3": "</textarea><script>t</script>", "q4": ["收藏"], "q5": "4"}),
            respondent_id: Some("u\"1".into()),
            attributes: json!({"plan": "pro", "n": 3})
                .as_object()
                .cloned()
                .unwrap_or_default(),
            response_id: Some("abcdefgh12".into()),
            honeypot_filled: false,
        };
        let html = render_page("s1", &def, &errors, Some(&previous));
        assert_no_raw_markup(&html);
        assert!(!html.contains("</textarea><script>"));
        assert!(html.contains("role=\"alert\""));
        assert!(html.contains("<p class=\"tj-err\" id=\"tj-e-q1\">此题为必填，请选择一项</p>"));
        assert!(html.contains("<p class=\"tj-err\" id=\"tj-e-q3\">最多 500 个字</p>"));
        assert!(html.contains("&lt;i&gt;总体&lt;/i&gt;错误"));
        assert!(html.contains("href=\"#tj-q-q1\">第 1 题：此题为必填，请选择一项"));
        assert!(html.contains("tj-q tj-q-invalid\" id=\"tj-q-q1\""));
        assert!(html.contains("value=\"a&quot; onfocus=&quot;alert(3)\" checked"));
        assert!(html.contains("value=\"收藏\" checked"));
        assert!(!html.contains("value=\"搜索\" checked"));
        assert!(html.contains("name=\"q5\" value=\"4\" checked"));
        assert!(html.contains("&lt;/textarea&gt;&lt;script&gt;t&lt;/script&gt;</textarea>"));
        assert!(html.contains("name=\"_respondent_id\" value=\"u&quot;1\""));
        assert!(html.contains("name=\"_attr_plan\" value=\"pro\""));
        assert!(html.contains("name=\"_attr_n\" value=\"3\""));
        assert!(html.contains("name=\"_response_id\" value=\"abcdefgh12\""));
    }

    #[test]
    fn english_page() {
        let def = evil()
            .apply_patch(&json!({"language": "en"}))
            .expect("valid");
        let html = render_page("s1", &def, &[], None);
        assert!(html.contains("<html lang=\"en\">"));
        assert!(html.contains(">Submit</button>"));
        assert!(html.contains("0 = Not at all likely"));
        assert!(html.contains("(Answer only if your answer to question 1 was 6 or less.)"));
    }

    #[test]
    fn thanks_and_closed_pages() {
        let html = render_thanks(&evil());
        assert_no_raw_markup(&html);
        assert!(html.contains("谢谢 &lt;b&gt;你&lt;/b&gt;"));
        assert!(html.contains("data-tingjian-thanks"));
        let plain = evil()
            .apply_patch(&json!({"thank_you": null}))
            .expect("valid");
        assert!(render_thanks(&plain).contains("感谢你的反馈"));
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
