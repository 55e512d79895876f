//! Surveys, as pure code: no I/O, no database, no HTTP framework types.
//!
//! - [`SurveyDefinition`] — questions (`nps` 0–10, `csat` 1–5, `ces` 1–7, `rating` 1–5,
//!   `single_choice`, `multi_choice`, `text`), `show_if` conditions on earlier answers, and the
//!   origins allowed to embed the survey. [`SurveyDefinition::parse`] and
//!   [`SurveyDefinition::apply_patch`] report every problem by JSON Pointer.
//! - [`parse_submission_json`] / [`parse_submission_form`] read a post to
//!   `/s/{id}/responses` into a [`Submission`]; [`SurveyDefinition::validate_answers`] checks
//!   its answers into [`ValidAnswers`] (messages in the survey's language, since respondents
//!   see them).
//! - [`render_page`], [`render_thanks`], [`render_closed`], [`render_not_found`] — the hosted
//!   page `GET /s/{id}`: a plain HTML form that needs no JavaScript. [`page_csp`] is the
//!   header to send with it.
//! - [`response_feedback`] turns a valid response into feedback items, under the
//!   [`response_id`] a retried submission shares.
//! - [`EMBED_JS`] — `GET /embed.js`, which renders the survey inside a Shadow DOM on the
//!   host page from [`public_definition`] (`GET /s/{id}/definition.json`) and posts JSON.

mod answers;
mod definition;
mod page;
mod response;
mod steps;

use html_escape::encode_double_quoted_attribute as attr;
use serde_json::{Map, Value};

pub use answers::{
    is_valid_response_id, parse_submission_form, parse_submission_json, Submission, ValidAnswers,
    FORM_ATTR_PREFIX, FORM_RESPONDENT_ID, FORM_RESPONSE_ID, FORM_STEP, MAX_FORM_FIELDS,
    MAX_RESPONDENT_ID_CHARS,
};
pub use definition::{
    normalize_hex_color, normalize_origin, Language, Question, QuestionKind, ShowIf,
    SurveyDefinition, HONEYPOT_FIELD, MAX_DESCRIPTION_CHARS, MAX_OPTIONS, MAX_OPTION_CHARS,
    MAX_ORIGINS, MAX_PLACEHOLDER_CHARS, MAX_PRODUCT_NAME_CHARS, MAX_QUESTIONS,
    MAX_QUESTION_TITLE_CHARS, MAX_THANK_YOU_CHARS, MAX_TITLE_CHARS, MAX_URL_CHARS, MIN_OPTIONS,
};
pub use page::{
    accent_css, page_csp, preview_csp, render_busy, render_closed, render_not_found, render_page,
    render_preview, render_preview_thanks, render_thanks, render_unavailable, FRAME_HEIGHT_JS,
    PLAIN_PAGE_CSP, SURVEY_CSS,
};
pub use response::{response_feedback, response_id};
pub use steps::{Advance, Step};

/// The embed script served at `GET /embed.js` (`application/javascript; charset=utf-8`).
pub const EMBED_JS: &str = include_str!("../../../static/embed.js");

/// What `GET /s/{id}/definition.json` serves: everything the embed needs to render the
/// survey, and nothing about who may embed it (`allowed_origins` stays private).
pub fn public_definition(id: &str, def: &SurveyDefinition) -> Value {
    let text_or_null = |s: &Option<String>| s.clone().map_or(Value::Null, Value::String);
    let mut m = Map::new();
    m.insert("id".into(), Value::String(id.to_owned()));
    m.insert("title".into(), Value::String(def.title.clone()));
    m.insert("description".into(), text_or_null(&def.description));
    m.insert("thank_you".into(), text_or_null(&def.thank_you));
    m.insert(
        "language".into(),
        Value::String(def.language.as_str().to_owned()),
    );
    m.insert(
        "questions".into(),
        serde_json::to_value(&def.questions).unwrap_or_else(|_| Value::Array(Vec::new())),
    );
    m.insert("product_name".into(), text_or_null(&def.product_name));
    m.insert("logo_url".into(), text_or_null(&def.logo_url));
    m.insert("accent_color".into(), text_or_null(&def.accent_color));
    m.insert("privacy_url".into(), text_or_null(&def.privacy_url));
    Value::Object(m)
}

/// The recommended embed: `<script src="{base}/embed.js" data-survey="{id}" async></script>`.
/// Optional attributes on the tag: `data-respondent-id`, `data-attr-<key>` (respondent
/// attributes), `data-target` (CSS selector of the element to render into).
pub fn script_snippet(base_url: &str, survey_id: &str) -> String {
    let base = base_url.trim_end_matches('/');
    format!(
        "<script src=\"{}/embed.js\" data-survey=\"{}\" async></script>",
        attr(base),
        attr(survey_id)
    )
}

/// The iframe alternative: the hosted page in a frame, and `frame.js`, a loader of a few
/// lines that sets the frame's height to its page's (which the page posts to it), so the
/// survey never scrolls inside the frame. Where the host page cannot run any script, the
/// `<iframe>` alone still works at its starting height of 40rem, scrolling inside. Either
/// way it needs the host's origin in `allowed_origins` (see [`page_csp`]'s
/// `frame-ancestors`). Respondent details cannot be passed this way.
pub fn iframe_snippet(base_url: &str, survey_id: &str) -> String {
    let base = attr(base_url.trim_end_matches('/'));
    format!(
        "<iframe src=\"{base}/s/{}\" title=\"问卷\" data-tingjian-frame \
         style=\"display:block;width:100%;max-width:40rem;height:40rem;border:0\"></iframe>\n\
         <script src=\"{base}/frame.js\" async></script>",
        attr(&page::path_segment(survey_id))
    )
}

/// The iframe loader served at `GET /frame.js`.
pub const FRAME_JS: &str = include_str!("../../../static/frame.js");

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn public_definition_hides_origins() {
        let def = SurveyDefinition::parse(&json!({
            "title": "调查",
            "questions": [{"id": "q1", "type": "nps", "title": "推荐？", "required": true}],
            "allowed_origins": ["https://shop.example"]
        }))
        .expect("valid");
        let v = public_definition("s1", &def);
        assert_eq!(v["id"], "s1");
        assert_eq!(v["language"], "zh-CN");
        assert_eq!(v["questions"][0]["type"], "nps");
        assert_eq!(v["questions"][0]["required"], true);
        assert_eq!(v["thank_you"], Value::Null);
        assert!(v.get("allowed_origins").is_none());
    }

    #[test]
    fn snippets_are_escaped() {
        assert_eq!(
            script_snippet("https://fb.example/", "abc"),
            "<script src=\"https://fb.example/embed.js\" data-survey=\"abc\" async></script>"
        );
        let s = script_snippet("https://x\"><script>", "a\"b");
        assert!(!s.contains("\"><script>"));
        assert!(s.contains("data-survey=\"a&quot;b\""));
        let f = iframe_snippet("https://fb.example", "a b");
        assert!(f.starts_with("<iframe src=\"https://fb.example/s/a%20b\""));
        assert!(f.ends_with("<script src=\"https://fb.example/frame.js\" async></script>"));
    }

    #[test]
    fn respondents_are_addressed_as_nin() {
        // One register everywhere respondents look: 您, never 你.
        for (what, text) in [
            ("embed.js", EMBED_JS),
            ("frame.js", FRAME_JS),
            ("survey.css", SURVEY_CSS),
            ("closed", render_closed().as_str()),
            ("not found", render_not_found().as_str()),
        ] {
            assert!(!text.contains('你'), "{what} says 你");
        }
    }

    #[test]
    fn embed_script_has_test_hooks() {
        for hook in [
            "data-tingjian-form",
            "data-question",
            "data-tingjian-thanks",
            "tingjian:submitted",
            "attachShadow",
            "/definition.json",
            "/responses",
        ] {
            assert!(EMBED_JS.contains(hook), "embed.js lacks {hook}");
        }
    }
}
