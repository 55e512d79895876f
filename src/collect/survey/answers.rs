//! Survey submissions: reading a JSON or form-encoded post into a [`Submission`], and
//! checking its answers against the survey's questions into [`ValidAnswers`].
//!
//! Answer error messages are written in the survey's language, because the hosted page and
//! the embed show them to the respondent next to the question.

use std::collections::{HashMap, HashSet};

use serde_json::map::Entry;
use serde_json::{Map, Value};

use super::definition::{
    ptr_escape, Language, Question, QuestionKind, SurveyDefinition, HONEYPOT_FIELD,
};
use crate::domain::{parse_attributes, FieldError};

/// Longest respondent id, in characters.
pub const MAX_RESPONDENT_ID_CHARS: usize = 128;
/// Most `name=value` pairs read from one form post; a real survey form has far fewer.
pub const MAX_FORM_FIELDS: usize = 2_000;

/// Form field carrying the respondent id.
pub const FORM_RESPONDENT_ID: &str = "_respondent_id";
/// Form field carrying the client-made response id.
pub const FORM_RESPONSE_ID: &str = "_response_id";
/// Prefix of form fields carrying respondent attributes (`_attr_plan=pro`).
pub const FORM_ATTR_PREFIX: &str = "_attr_";
/// Form field carrying the step of the hosted page that was posted (see [`super::steps`]).
pub const FORM_STEP: &str = "_step";
/// Form field of the 上一步 button: show the step before, check nothing.
pub const FORM_BACK: &str = "_back";

/// Answers that passed validation, normalised: scores as integers, single_choice as the
/// option text, multi_choice as an array of option texts in option order, text trimmed.
/// Only answered, visible questions appear.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidAnswers {
    pub answers: Map<String, Value>,
    /// From the first answered question of that type (`rating` is not CSAT).
    pub nps: Option<i16>,
    pub csat: Option<i16>,
    pub ces: Option<i16>,
    pub rating: Option<i16>,
    /// (question id, trimmed text) of each answered text question, in question order.
    pub texts: Vec<(String, String)>,
}

/// A post to `/s/{id}/responses`, read but not yet checked against the questions.
#[derive(Debug, Clone, PartialEq)]
pub struct Submission {
    /// A JSON object keyed by question id.
    pub answers: Value,
    pub respondent_id: Option<String>,
    pub attributes: Map<String, Value>,
    pub response_id: Option<String>,
    /// The honeypot field was filled: almost certainly a bot.
    pub honeypot_filled: bool,
    /// Index of the first question of the hosted page's step that was posted. `None`: the
    /// post carries the whole response (JSON, or a form without `_step`).
    pub step: Option<usize>,
    /// The respondent asked for the step before (the hosted page's 上一步).
    pub back: bool,
}

impl Default for Submission {
    fn default() -> Self {
        Self {
            answers: Value::Object(Map::new()),
            respondent_id: None,
            attributes: Map::new(),
            response_id: None,
            honeypot_filled: false,
            step: None,
            back: false,
        }
    }
}

/// `[A-Za-z0-9_-]{8,64}`: long enough to be unique when made by a client.
pub fn is_valid_response_id(s: &str) -> bool {
    (8..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// What happened to one question while validating, for the conditions that depend on it.
enum Slot {
    Answered(Value),
    Unanswered,
    /// Hidden by its condition.
    Hidden,
    /// Answered wrongly: dependents' visibility is unknown, so they are not judged on it.
    Invalid,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Visibility {
    Shown,
    Hidden,
    Unknown,
}

impl SurveyDefinition {
    /// Checks answers (a JSON object keyed by question id) against the questions.
    pub fn validate_answers(&self, answers: &Value) -> Result<ValidAnswers, Vec<FieldError>> {
        self.validate_answers_before(answers, self.questions.len())
    }

    /// Checks the answers to the questions before index `end` only, as one step of the hosted
    /// page does: later questions have not been asked yet, so they are neither required nor
    /// looked at, and "answer at least one" waits for the whole response.
    pub fn validate_answers_before(
        &self,
        answers: &Value,
        end: usize,
    ) -> Result<ValidAnswers, Vec<FieldError>> {
        let lang = self.language;
        let whole = end >= self.questions.len();
        let Some(given) = answers.as_object() else {
            return Err(vec![FieldError::new(
                "/answers",
                tr(
                    lang,
                    "答案格式不正确",
                    "Answers must be an object keyed by question id.",
                ),
            )]);
        };
        let asked = &self.questions[..end.min(self.questions.len())];
        let mut errors = Vec::new();
        for key in given.keys() {
            if whole && self.question(key).is_none() {
                errors.push(FieldError::new(
                    format!("/answers/{}", ptr_escape(key)),
                    tr(
                        lang,
                        "问卷中没有这个问题",
                        "There is no such question in this survey.",
                    ),
                ));
            }
        }

        let mut slots: HashMap<&str, Slot> = HashMap::new();
        let mut out = Map::new();
        let (mut nps, mut csat, mut ces, mut rating) = (None, None, None, None);
        let mut texts = Vec::new();

        for q in asked {
            let field = format!("/answers/{}", ptr_escape(&q.id));
            let visibility = visibility(q, &slots);
            let raw = given.get(&q.id).filter(|v| !is_blank(v));
            let slot = match (visibility, raw) {
                (Visibility::Hidden, Some(_)) => {
                    errors.push(FieldError::new(
                        field,
                        tr(
                            lang,
                            "根据您之前的回答，此题无需回答，请清空",
                            "This question does not apply given your earlier answers; please leave it empty.",
                        ),
                    ));
                    Slot::Hidden
                }
                (Visibility::Hidden, None) => Slot::Hidden,
                (_, None) => {
                    if q.required && visibility == Visibility::Shown {
                        errors.push(FieldError::new(field, required_message(q, lang)));
                    }
                    Slot::Unanswered
                }
                (_, Some(v)) => match normalize_answer(q, v, lang) {
                    Ok(n) => Slot::Answered(n),
                    Err(m) => {
                        errors.push(FieldError::new(field, m));
                        Slot::Invalid
                    }
                },
            };
            if let Slot::Answered(v) = &slot {
                let score = v.as_i64().and_then(|n| i16::try_from(n).ok());
                match q.kind {
                    QuestionKind::Nps if nps.is_none() => nps = score,
                    QuestionKind::Csat if csat.is_none() => csat = score,
                    QuestionKind::Ces if ces.is_none() => ces = score,
                    QuestionKind::Rating if rating.is_none() => rating = score,
                    QuestionKind::Text => {
                        if let Some(s) = v.as_str() {
                            texts.push((q.id.clone(), s.to_owned()));
                        }
                    }
                    _ => {}
                }
                out.insert(q.id.clone(), v.clone());
            }
            slots.insert(q.id.as_str(), slot);
        }

        if whole && errors.is_empty() && out.is_empty() {
            errors.push(FieldError::new(
                "/answers",
                tr(
                    lang,
                    "请至少回答一个问题",
                    "Please answer at least one question.",
                ),
            ));
        }
        if errors.is_empty() {
            Ok(ValidAnswers {
                answers: out,
                nps,
                csat,
                ces,
                rating,
                texts,
            })
        } else {
            Err(errors)
        }
    }
}

impl SurveyDefinition {
    /// Ids of the questions that `answers` hide through `show_if` (directly or because the
    /// question they depend on is itself hidden).
    pub fn hidden_questions(&self, answers: &Map<String, Value>) -> Vec<&str> {
        let mut slots: HashMap<&str, Slot> = HashMap::new();
        let mut hidden = Vec::new();
        for q in &self.questions {
            let raw = answers.get(&q.id).filter(|v| !is_blank(v));
            let slot = match (visibility(q, &slots), raw) {
                (Visibility::Hidden, _) => {
                    hidden.push(q.id.as_str());
                    Slot::Hidden
                }
                (_, None) => Slot::Unanswered,
                (_, Some(v)) => match normalize_answer(q, v, self.language) {
                    Ok(n) => Slot::Answered(n),
                    Err(_) => Slot::Invalid,
                },
            };
            slots.insert(q.id.as_str(), slot);
        }
        hidden
    }
}

/// Whether a question shows, given what happened to the questions before it.
fn visibility(q: &Question, slots: &HashMap<&str, Slot>) -> Visibility {
    match &q.show_if {
        None => Visibility::Shown,
        Some(cond) => match slots.get(cond.question.as_str()) {
            Some(Slot::Answered(v)) if cond.is_met(v) => Visibility::Shown,
            Some(Slot::Invalid) => Visibility::Unknown,
            _ => Visibility::Hidden,
        },
    }
}

fn tr(lang: Language, zh: &str, en: &str) -> String {
    match lang {
        Language::ZhCn => zh.to_owned(),
        Language::En => en.to_owned(),
    }
}

fn required_message(q: &Question, lang: Language) -> String {
    match q.kind {
        QuestionKind::Text => tr(lang, "此题为必填，请填写", "This question is required."),
        QuestionKind::MultiChoice => tr(
            lang,
            "此题为必填，请至少选择一项",
            "This question is required: choose at least one option.",
        ),
        _ => tr(
            lang,
            "此题为必填，请选择一项",
            "This question is required: please choose one.",
        ),
    }
}

/// Missing, null, blank strings (whitespace or invisible characters only) and arrays of only
/// blanks all mean "not answered".
fn is_blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => !crate::domain::text::has_visible(s),
        Value::Array(items) => items.iter().all(is_blank),
        _ => false,
    }
}

/// An integer from a JSON number or a numeric string ("9", as form posts send it).
fn as_integer(v: &Value) -> Option<i64> {
    let f = match v {
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                return Some(i);
            }
            n.as_f64()?
        }
        Value::String(s) => {
            let t = s.trim();
            if let Ok(i) = t.parse::<i64>() {
                return Some(i);
            }
            t.parse::<f64>().ok()?
        }
        _ => return None,
    };
    // 9.0 is an integer; 9.5, NaN and huge values are not.
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 {
        Some(f as i64)
    } else {
        None
    }
}

/// Option text from a string, or from a number when options are numerals ("1", "2").
fn as_option_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn normalize_answer(q: &Question, v: &Value, lang: Language) -> Result<Value, String> {
    if let Some((lo, hi)) = q.kind.score_range() {
        if v.is_array() {
            return Err(tr(lang, "只能选择一个分数", "Choose only one score."));
        }
        return match as_integer(v) {
            Some(n) if n >= i64::from(lo) && n <= i64::from(hi) => Ok(Value::from(n)),
            _ => Err(match lang {
                Language::ZhCn => format!("请选择 {lo} 到 {hi} 之间的整数"),
                Language::En => format!("Choose a whole number from {lo} to {hi}."),
            }),
        };
    }
    match q.kind {
        QuestionKind::SingleChoice => {
            if v.is_array() {
                return Err(tr(lang, "只能选择一项", "Choose only one option."));
            }
            as_option_text(v)
                .and_then(|t| q.options.iter().find(|o| **o == t))
                .map(|o| Value::String(o.clone()))
                .ok_or_else(|| not_an_option(lang))
        }
        QuestionKind::MultiChoice => {
            let items: Vec<&Value> = match v {
                Value::Array(items) => items.iter().filter(|x| !is_blank(x)).collect(),
                other => vec![other],
            };
            let mut chosen: HashSet<&str> = HashSet::new();
            for item in items {
                let text = as_option_text(item).ok_or_else(|| not_an_option(lang))?;
                let Some(option) = q.options.iter().find(|o| **o == text) else {
                    return Err(not_an_option(lang));
                };
                if !chosen.insert(option.as_str()) {
                    return Err(tr(
                        lang,
                        "同一选项只能选择一次",
                        "Each option can be chosen only once.",
                    ));
                }
            }
            // Option order, so equal answers are stored equally whatever the click order.
            Ok(Value::Array(
                q.options
                    .iter()
                    .filter(|o| chosen.contains(o.as_str()))
                    .map(|o| Value::String(o.clone()))
                    .collect(),
            ))
        }
        QuestionKind::Text => {
            let Value::String(s) = v else {
                return Err(tr(lang, "请填写文字", "Please enter text."));
            };
            let t = s.trim();
            let limit = q.text_limit();
            if t.chars().count() > limit {
                return Err(match lang {
                    Language::ZhCn => format!("最多 {limit} 个字"),
                    Language::En => format!("At most {limit} characters."),
                });
            }
            Ok(Value::String(t.to_owned()))
        }
        // Score kinds returned above.
        QuestionKind::Nps | QuestionKind::Csat | QuestionKind::Ces | QuestionKind::Rating => {
            Err(tr(lang, "答案格式不正确", "Invalid answer."))
        }
    }
}

fn not_an_option(lang: Language) -> String {
    tr(
        lang,
        "请从给出的选项中选择",
        "Please choose from the options given.",
    )
}

/// Reads a JSON post: `{"answers": {...}, "respondent": {"id", "attributes"}, "response_id",
/// "website"}`. Unknown top-level fields are rejected.
pub fn parse_submission_json(body: &Value) -> Result<Submission, Vec<FieldError>> {
    let Some(obj) = body.as_object() else {
        return Err(vec![FieldError::new("", "must be a JSON object")]);
    };
    let mut errors = Vec::new();
    let mut sub = Submission::default();
    for (key, v) in obj {
        match key.as_str() {
            "answers" => match v {
                Value::Object(_) => sub.answers = v.clone(),
                _ => errors.push(FieldError::new(
                    "/answers",
                    "must be an object keyed by question id",
                )),
            },
            "respondent" => parse_respondent(v, &mut sub, &mut errors),
            "response_id" => match v {
                Value::Null => {}
                Value::String(s) if is_valid_response_id(s) => sub.response_id = Some(s.clone()),
                _ => errors.push(FieldError::new(
                    "/response_id",
                    "must be 8 to 64 letters, digits, '_' or '-'",
                )),
            },
            k if k == HONEYPOT_FIELD => {
                sub.honeypot_filled = !matches!(v, Value::Null | Value::Bool(false))
                    && !v.as_str().is_some_and(|s| s.trim().is_empty());
            }
            _ => errors.push(FieldError::new(
                format!("/{}", ptr_escape(key)),
                "unknown field (expected answers, respondent, response_id)",
            )),
        }
    }
    if !obj.contains_key("answers") {
        errors.push(FieldError::new("/answers", "is required"));
    }
    if errors.is_empty() {
        Ok(sub)
    } else {
        Err(errors)
    }
}

fn parse_respondent(v: &Value, sub: &mut Submission, errors: &mut Vec<FieldError>) {
    let obj = match v {
        Value::Null => return,
        Value::Object(o) => o,
        _ => {
            errors.push(FieldError::new("/respondent", "must be an object"));
            return;
        }
    };
    for (key, value) in obj {
        match key.as_str() {
            "id" => match value {
                Value::Null => {}
                // Numeric user ids are common; keep them as their decimal text.
                Value::Number(n) => sub.respondent_id = Some(n.to_string()),
                Value::String(s) => match respondent_id(s) {
                    Ok(id) => sub.respondent_id = id,
                    Err(m) => errors.push(FieldError::new("/respondent/id", m)),
                },
                _ => errors.push(FieldError::new("/respondent/id", "must be a string")),
            },
            "attributes" => match parse_attributes(value, "/respondent/attributes") {
                Ok(a) => sub.attributes = a,
                Err(e) => errors.push(e),
            },
            _ => errors.push(FieldError::new(
                format!("/respondent/{}", ptr_escape(key)),
                "unknown field (expected id, attributes)",
            )),
        }
    }
}

/// Trimmed; blank means anonymous (templates often render an empty id for guests).
fn respondent_id(s: &str) -> Result<Option<String>, String> {
    let t = s.trim();
    if t.is_empty() {
        Ok(None)
    } else if t.chars().count() > MAX_RESPONDENT_ID_CHARS {
        Err(format!(
            "must be at most {MAX_RESPONDENT_ID_CHARS} characters"
        ))
    } else {
        Ok(Some(t.to_owned()))
    }
}

/// Reads an `application/x-www-form-urlencoded` post from the hosted page. Question ids
/// are field names (repeated for multi_choice); `_respondent_id`, `_response_id`,
/// `_attr_<key>` and the honeypot `website` are special; other `_…` names are ignored.
/// Other unknown names are kept as answers, so validation reports them. Answers to
/// questions hidden by `show_if` are dropped (see the comment at the end).
pub fn parse_submission_form(
    def: &SurveyDefinition,
    body: &[u8],
) -> Result<Submission, Vec<FieldError>> {
    let pairs = decode_form(body).map_err(|e| vec![e])?;
    let mut errors = Vec::new();
    let mut sub = Submission::default();
    let mut answers = Map::new();
    let mut attributes = Map::new();

    for (name, value) in pairs {
        if name == HONEYPOT_FIELD {
            if !value.trim().is_empty() {
                sub.honeypot_filled = true;
            }
            continue;
        }
        if name == FORM_RESPONDENT_ID {
            match respondent_id(&value) {
                Ok(id) => sub.respondent_id = id,
                Err(m) => errors.push(FieldError::new(FORM_RESPONDENT_ID, m)),
            }
            continue;
        }
        if name == FORM_STEP {
            // A step that is not a number is the first step: the worst a forged one can do
            // is show a step again.
            sub.step = Some(value.trim().parse().unwrap_or(0));
            continue;
        }
        if name == FORM_BACK {
            sub.back = true;
            continue;
        }
        if name == FORM_RESPONSE_ID {
            let t = value.trim();
            if t.is_empty() {
                sub.response_id = None;
            } else if is_valid_response_id(t) {
                sub.response_id = Some(t.to_owned());
            } else {
                errors.push(FieldError::new(
                    FORM_RESPONSE_ID,
                    "must be 8 to 64 letters, digits, '_' or '-'",
                ));
            }
            continue;
        }
        if let Some(key) = name.strip_prefix(FORM_ATTR_PREFIX) {
            // Empty values come from prefill fields with nothing to say.
            if !value.is_empty() {
                attributes.insert(key.to_owned(), Value::String(value));
            }
            continue;
        }
        if name.starts_with('_') {
            continue;
        }
        let multi = def
            .question(&name)
            .is_some_and(|q| q.kind == QuestionKind::MultiChoice);
        let value = Value::String(value);
        match answers.entry(name) {
            Entry::Vacant(e) => {
                e.insert(if multi {
                    Value::Array(vec![value])
                } else {
                    value
                });
            }
            Entry::Occupied(mut e) => {
                // A repeated single-valued field becomes an array, which validation rejects.
                match e.get_mut() {
                    Value::Array(items) => items.push(value),
                    slot => {
                        let first = slot.take();
                        *slot = Value::Array(vec![first, value]);
                    }
                }
            }
        }
    }

    match parse_attributes(&Value::Object(attributes), "/respondent/attributes") {
        Ok(a) => sub.attributes = a,
        Err(e) => errors.push(e),
    }
    // The no-JS page shows every question and a chosen radio cannot be unchosen there, so
    // answers to questions the other answers hide are dropped rather than rejected.
    for id in def.hidden_questions(&answers) {
        answers.remove(id);
    }
    sub.answers = Value::Object(answers);
    if errors.is_empty() {
        Ok(sub)
    } else {
        Err(errors)
    }
}

/// Splits and percent-decodes a form body (`+` is a space; a malformed `%` escape is kept
/// as typed, like browsers do). Names and values must be UTF-8 once decoded.
fn decode_form(body: &[u8]) -> Result<Vec<(String, String)>, FieldError> {
    let mut out = Vec::new();
    for part in body.split(|&b| b == b'&') {
        if part.is_empty() {
            continue;
        }
        if out.len() >= MAX_FORM_FIELDS {
            return Err(FieldError::new("body", "has too many fields"));
        }
        let (name, value) = match part.iter().position(|&b| b == b'=') {
            Some(i) => (&part[..i], &part[i + 1..]),
            None => (part, &part[part.len()..]),
        };
        let utf8 = |bytes: Vec<u8>| {
            String::from_utf8(bytes).map_err(|_| FieldError::new("body", "is not valid UTF-8"))
        };
        out.push((utf8(percent_decode(name))?, utf8(percent_decode(value))?));
    }
    Ok(out)
}

fn percent_decode(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        let b = input[i];
        if b == b'+' {
            out.push(b' ');
            i += 1;
            continue;
        }
        if b == b'%' {
            let hi = input.get(i + 1).and_then(|&h| hex_value(h));
            let lo = input.get(i + 2).and_then(|&l| hex_value(l));
            if let (Some(hi), Some(lo)) = (hi, lo) {
                out.push(hi * 16 + lo);
                i += 3;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    out
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn survey() -> SurveyDefinition {
        SurveyDefinition::parse(&json!({
            "title": "体验调查",
            "questions": [
                {"id": "nps", "type": "nps", "title": "推荐意愿", "required": true},
                {"id": "why", "type": "text", "title": "原因", "max_length": 10,
                 "show_if": {"question": "nps", "max": 6}},
                {"id": "csat", "type": "csat", "title": "满意度"},
                {"id": "ces", "type": "ces", "title": "费力度"},
                {"id": "stars", "type": "rating", "title": "评分"},
                {"id": "plan", "type": "single_choice", "title": "套餐", "options": ["免费版", "专业版"]},
                {"id": "feat", "type": "multi_choice", "title": "功能", "options": ["搜索", "收藏", "评论"]},
                {"id": "more", "type": "text", "title": "建议", "required": true,
                 "show_if": {"question": "feat", "equals": "评论"}},
                {"id": "free", "type": "text", "title": "其他"},
                {"id": "nps2", "type": "nps", "title": "再问一次"}
            ]
        }))
        .expect("valid survey")
    }

    fn err_fields(r: Result<ValidAnswers, Vec<FieldError>>) -> Vec<String> {
        match r {
            Ok(v) => panic!("expected errors, got {v:?}"),
            Err(e) => e.into_iter().map(|e| e.field).collect(),
        }
    }

    #[test]
    fn valid_answers_are_normalised() {
        let s = survey();
        let v = s
            .validate_answers(&json!({
                "nps": "3", "why": "  太慢了 ", "csat": 4, "ces": 6.0, "stars": 2,
                "plan": "专业版", "feat": ["评论", "搜索"], "more": "加快速度", "free": "",
                "nps2": 10
            }))
            .expect("valid");
        assert_eq!(v.nps, Some(3));
        assert_eq!(v.csat, Some(4));
        assert_eq!(v.ces, Some(6));
        assert_eq!(v.answers["nps"], json!(3));
        assert_eq!(v.answers["feat"], json!(["搜索", "评论"]));
        assert_eq!(v.answers["why"], json!("太慢了"));
        assert!(!v.answers.contains_key("free"));
        assert_eq!(
            v.texts,
            vec![
                ("why".to_string(), "太慢了".to_string()),
                ("more".to_string(), "加快速度".to_string())
            ]
        );
    }

    #[test]
    fn rating_is_not_csat_and_first_answered_nps_counts() {
        let s = survey();
        let v = s
            .validate_answers(&json!({"nps": 9, "stars": 5, "nps2": 1}))
            .expect("valid");
        assert_eq!(v.csat, None);
        assert_eq!(v.nps, Some(9));
    }

    #[test]
    fn scores_out_of_range_or_fractional_are_rejected() {
        let s = survey();
        assert_eq!(
            err_fields(s.validate_answers(&json!({"nps": 11, "csat": 0, "ces": 8, "stars": 4.5}))),
            vec![
                "/answers/nps",
                "/answers/csat",
                "/answers/ces",
                "/answers/stars"
            ]
        );
        assert_eq!(
            err_fields(s.validate_answers(&json!({"nps": "九"}))),
            vec!["/answers/nps"]
        );
        assert_eq!(
            err_fields(s.validate_answers(&json!({"nps": ["9", "8"]}))),
            vec!["/answers/nps"]
        );
        assert_eq!(
            err_fields(s.validate_answers(&json!({"nps": true}))),
            vec!["/answers/nps"]
        );
        assert!(s.validate_answers(&json!({"nps": 0})).is_ok());
    }

    #[test]
    fn choices_must_be_options() {
        let s = survey();
        assert_eq!(
            err_fields(
                s.validate_answers(&json!({"nps": 9, "plan": "企业版", "feat": ["搜索", "分享"]}))
            ),
            vec!["/answers/plan", "/answers/feat"]
        );
        assert_eq!(
            err_fields(s.validate_answers(&json!({"nps": 9, "plan": ["免费版", "专业版"]}))),
            vec!["/answers/plan"]
        );
        assert_eq!(
            err_fields(s.validate_answers(&json!({"nps": 9, "feat": ["搜索", "搜索"]}))),
            vec!["/answers/feat"]
        );
        let v = s
            .validate_answers(&json!({"nps": 9, "feat": "收藏"}))
            .expect("single string");
        assert_eq!(v.answers["feat"], json!(["收藏"]));
    }

    #[test]
    fn required_unknown_and_empty() {
        let s = survey();
        assert_eq!(
            err_fields(s.validate_answers(&json!({"csat": 3}))),
            vec!["/answers/nps"]
        );
        assert_eq!(
            err_fields(s.validate_answers(&json!({"nps": ""}))),
            vec!["/answers/nps"]
        );
        assert_eq!(
            err_fields(s.validate_answers(&json!({"nps": 9, "a/b~": 1}))),
            vec!["/answers/a~1b~0"]
        );
        assert_eq!(err_fields(s.validate_answers(&json!([]))), vec!["/answers"]);

        let optional = SurveyDefinition::parse(&json!({"title": "t", "questions": [
            {"id": "a", "type": "text", "title": "x"}]}))
        .expect("valid");
        assert_eq!(
            err_fields(optional.validate_answers(&json!({}))),
            vec!["/answers"]
        );
        assert_eq!(
            err_fields(optional.validate_answers(&json!({"a": "   "}))),
            vec!["/answers"]
        );
    }

    #[test]
    fn text_length_limits() {
        let s = survey();
        assert!(s
            .validate_answers(&json!({"nps": 1, "why": "一二三四五六七八九十"}))
            .is_ok());
        assert_eq!(
            err_fields(s.validate_answers(&json!({"nps": 1, "why": "一二三四五六七八九十一"}))),
            vec!["/answers/why"]
        );
        let long = "字".repeat(10_001);
        assert_eq!(
            err_fields(s.validate_answers(&json!({"nps": 1, "free": long}))),
            vec!["/answers/free"]
        );
        assert_eq!(
            err_fields(s.validate_answers(&json!({"nps": 1, "free": 5}))),
            vec!["/answers/free"]
        );
    }

    #[test]
    fn show_if_hides_and_rejects_hidden_answers() {
        let s = survey();
        // nps 9 hides "why": answering it is an error.
        assert_eq!(
            err_fields(s.validate_answers(&json!({"nps": 9, "why": "很好"}))),
            vec!["/answers/why"]
        );
        // "more" is required only when "评论" is chosen.
        assert!(s
            .validate_answers(&json!({"nps": 9, "feat": ["搜索"]}))
            .is_ok());
        assert_eq!(
            err_fields(s.validate_answers(&json!({"nps": 9, "feat": ["评论"]}))),
            vec!["/answers/more"]
        );
        assert!(s
            .validate_answers(&json!({"nps": 9, "feat": ["评论"], "more": "好"}))
            .is_ok());
        // An invalid answer to the condition's question does not add noise about dependents.
        assert_eq!(
            err_fields(s.validate_answers(&json!({"nps": 9, "feat": ["坏"], "more": "x"}))),
            vec!["/answers/feat"]
        );
    }

    #[test]
    fn chained_conditions_hide_transitively() {
        let s = SurveyDefinition::parse(&json!({"title": "t", "questions": [
            {"id": "a", "type": "single_choice", "title": "x", "options": ["y", "n"]},
            {"id": "b", "type": "nps", "title": "x", "show_if": {"question": "a", "equals": "y"}},
            {"id": "c", "type": "text", "title": "x", "required": true, "show_if": {"question": "b", "min": 9}}
        ]}))
        .expect("valid");
        assert!(s.validate_answers(&json!({"a": "n"})).is_ok());
        assert_eq!(
            err_fields(s.validate_answers(&json!({"a": "y", "b": 10}))),
            vec!["/answers/c"]
        );
        assert_eq!(
            err_fields(s.validate_answers(&json!({"a": "n", "b": 10, "c": "x"}))),
            vec!["/answers/b", "/answers/c"]
        );
    }

    #[test]
    fn english_messages() {
        let s = survey()
            .apply_patch(&json!({"language": "en"}))
            .expect("valid");
        let errs = s
            .validate_answers(&json!({"csat": 3}))
            .expect_err("required");
        assert_eq!(
            errs[0].message,
            "This question is required: please choose one."
        );
    }

    #[test]
    fn json_submission() {
        let sub = parse_submission_json(&json!({
            "answers": {"nps": 9},
            "respondent": {"id": " u-1 ", "attributes": {"plan": "pro", "city": "杭州"}},
            "response_id": "0b7c6a1e-5d2f-4c3b-9a8e-1f2d3c4b5a69"
        }))
        .expect("valid");
        assert_eq!(sub.answers, json!({"nps": 9}));
        assert_eq!(sub.respondent_id.as_deref(), Some("u-1"));
        assert_eq!(sub.attributes["city"], json!("杭州"));
        assert!(sub.response_id.is_some());
        assert!(!sub.honeypot_filled);

        let numeric = parse_submission_json(&json!({"answers": {}, "respondent": {"id": 42}}))
            .expect("valid");
        assert_eq!(numeric.respondent_id.as_deref(), Some("42"));

        let hp = parse_submission_json(&json!({"answers": {}, "website": "http://spam"}))
            .expect("valid");
        assert!(hp.honeypot_filled);
        let hp = parse_submission_json(&json!({"answers": {}, "website": ""})).expect("valid");
        assert!(!hp.honeypot_filled);

        let errs = parse_submission_json(&json!({
            "respondent": {"id": "x".repeat(129), "attributes": [1], "name": "n"},
            "response_id": "short",
            "extra": 1
        }))
        .expect_err("invalid");
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        for f in [
            "/respondent/id",
            "/respondent/attributes",
            "/respondent/name",
            "/response_id",
            "/extra",
            "/answers",
        ] {
            assert!(fields.contains(&f), "missing {f} in {fields:?}");
        }
        assert!(parse_submission_json(&json!("x")).is_err());
        assert!(parse_submission_json(&json!({"answers": []})).is_err());
    }

    #[test]
    fn form_submission_with_repeats_and_chinese() {
        let s = survey();
        let body = "nps=6&why=%E5%A4%AA%E6%85%A2+%E4%BA%86&feat=%E6%90%9C%E7%B4%A2&feat=%E8%AF%84%E8%AE%BA\
                    &more=ok&plan=&_respondent_id=u-9&_attr_city=%E6%9D%AD%E5%B7%9E&_attr_empty=\
                    &_response_id=abcdefgh12&_future=1&website=";
        let sub = parse_submission_form(&s, body.as_bytes()).expect("valid form");
        assert_eq!(sub.answers["why"], json!("太慢 了"));
        assert_eq!(sub.answers["feat"], json!(["搜索", "评论"]));
        assert_eq!(sub.answers["plan"], json!(""));
        assert!(sub.answers.get("_future").is_none());
        assert_eq!(sub.respondent_id.as_deref(), Some("u-9"));
        assert_eq!(sub.attributes.get("city"), Some(&json!("杭州")));
        assert!(!sub.attributes.contains_key("empty"));
        assert_eq!(sub.response_id.as_deref(), Some("abcdefgh12"));
        assert!(!sub.honeypot_filled);

        let v = s.validate_answers(&sub.answers).expect("valid answers");
        assert_eq!(v.nps, Some(6));
        assert_eq!(v.answers["feat"], json!(["搜索", "评论"]));

        // A single multi_choice value is still an array.
        let one = parse_submission_form(&s, b"nps=9&feat=%E6%94%B6%E8%97%8F").expect("valid");
        assert_eq!(one.answers["feat"], json!(["收藏"]));
        // A repeated single-valued field is rejected by validation.
        let twice = parse_submission_form(&s, b"nps=9&nps=8").expect("parsed");
        assert_eq!(twice.answers["nps"], json!(["9", "8"]));
        assert!(s.validate_answers(&twice.answers).is_err());
        // Answers to hidden questions are dropped from form posts (nps 9 hides "why").
        let hidden =
            parse_submission_form(&s, "nps=9&why=%E5%A5%BD&more=x".as_bytes()).expect("parsed");
        assert!(hidden.answers.get("why").is_none());
        assert!(hidden.answers.get("more").is_none());
        assert!(s.validate_answers(&hidden.answers).is_ok());
        assert_eq!(s.hidden_questions(&Map::new()), vec!["why", "more"]);
        // Unknown names reach validation and are reported there.
        let unknown = parse_submission_form(&s, b"nps=9&bogus=1").expect("parsed");
        assert_eq!(
            err_fields(s.validate_answers(&unknown.answers)),
            vec!["/answers/bogus"]
        );
    }

    #[test]
    fn form_honeypot_and_bad_input() {
        let s = survey();
        let hp =
            parse_submission_form(&s, b"nps=9&website=http%3A%2F%2Fspam.example").expect("parsed");
        assert!(hp.honeypot_filled);

        let bad = parse_submission_form(&s, b"nps=%FF%FE").expect_err("not utf-8");
        assert_eq!(bad[0].field, "body");
        let bad = parse_submission_form(&s, &[b'n', 0xC3, b'=', b'1']).expect_err("not utf-8");
        assert_eq!(bad[0].field, "body");

        let errs =
            parse_submission_form(&s, b"_response_id=x&_respondent_id=").expect_err("bad id");
        assert_eq!(errs[0].field, "_response_id");

        // Malformed escapes and odd separators never panic.
        let odd = parse_submission_form(&s, b"&&=&nps=%&why=%4&free=%zz&x").expect("parsed");
        assert_eq!(odd.answers["nps"], json!("%"));
        assert_eq!(odd.answers["why"], json!("%4"));
        assert_eq!(odd.answers["free"], json!("%zz"));
        assert_eq!(odd.answers["x"], json!(""));
        assert_eq!(odd.answers[""], json!(""));
        assert!(parse_submission_form(&s, b"").is_ok());

        let many = "a=1&".repeat(MAX_FORM_FIELDS + 1);
        assert!(parse_submission_form(&s, many.as_bytes()).is_err());
    }

    #[test]
    fn response_ids() {
        assert!(is_valid_response_id("abcdefgh"));
        assert!(is_valid_response_id("0b7c6a1e-5d2f-4c3b-9a8e-1f2d3c4b5a69"));
        assert!(!is_valid_response_id("abc"));
        assert!(!is_valid_response_id("abcdefgh!"));
        assert!(!is_valid_response_id(&"a".repeat(65)));
    }
}
