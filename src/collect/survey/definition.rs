//! A survey's definition: its questions, their types and conditions, and the origins
//! allowed to embed it. Parsed once from JSON with every problem reported by JSON Pointer,
//! so the rest of the code can trust it.

use crate::domain::host::is_host_name;
use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::domain::{FieldError, MAX_TEXT_CHARS};

/// Longest survey title, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// Most questions one survey may have.
pub const MAX_QUESTIONS: usize = 100;
/// Fewest and most options of a choice question.
pub const MIN_OPTIONS: usize = 2;
pub const MAX_OPTIONS: usize = 50;
/// Longest question title, in characters.
pub const MAX_QUESTION_TITLE_CHARS: usize = 500;
/// Longest survey or question description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 2_000;
/// Longest thank-you message, in characters.
pub const MAX_THANK_YOU_CHARS: usize = 1_000;
/// Longest option text and placeholder, in characters.
pub const MAX_OPTION_CHARS: usize = 200;
pub const MAX_PLACEHOLDER_CHARS: usize = 200;
/// Most entries in `allowed_origins`.
pub const MAX_ORIGINS: usize = 100;
/// Longest product name shown above the survey, in characters.
pub const MAX_PRODUCT_NAME_CHARS: usize = 60;
/// Longest logo or privacy-note URL, in bytes.
pub const MAX_URL_CHARS: usize = 2_000;

/// Form field names the hosted page uses for itself; question ids must not collide with them.
pub const HONEYPOT_FIELD: &str = "website";

const TOP_KEYS: [&str; 11] = [
    "title",
    "description",
    "thank_you",
    "language",
    "questions",
    "allowed_origins",
    "product_name",
    "logo_url",
    "accent_color",
    "privacy_url",
    "max_responses_per_hour",
];
const QUESTION_KEYS: [&str; 9] = [
    "id",
    "type",
    "title",
    "description",
    "required",
    "options",
    "placeholder",
    "max_length",
    "show_if",
];
const SHOW_IF_KEYS: [&str; 5] = ["question", "equals", "any_of", "min", "max"];

/// The language of the respondent-facing UI (page, embed and answer error messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Language {
    #[default]
    #[serde(rename = "zh-CN")]
    ZhCn,
    #[serde(rename = "en")]
    En,
}

impl Language {
    pub fn as_str(self) -> &'static str {
        match self {
            Language::ZhCn => "zh-CN",
            Language::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "zh-CN" => Some(Language::ZhCn),
            "en" => Some(Language::En),
            _ => None,
        }
    }

    /// The string for this language, so UI text stays next to its translation.
    pub fn pick(self, zh: &'static str, en: &'static str) -> &'static str {
        match self {
            Language::ZhCn => zh,
            Language::En => en,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    Nps,
    Csat,
    Ces,
    Rating,
    SingleChoice,
    MultiChoice,
    Text,
}

impl QuestionKind {
    pub const ALL: [QuestionKind; 7] = [
        QuestionKind::Nps,
        QuestionKind::Csat,
        QuestionKind::Ces,
        QuestionKind::Rating,
        QuestionKind::SingleChoice,
        QuestionKind::MultiChoice,
        QuestionKind::Text,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            QuestionKind::Nps => "nps",
            QuestionKind::Csat => "csat",
            QuestionKind::Ces => "ces",
            QuestionKind::Rating => "rating",
            QuestionKind::SingleChoice => "single_choice",
            QuestionKind::MultiChoice => "multi_choice",
            QuestionKind::Text => "text",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The inclusive range of a score question; `None` for choice and text questions.
    pub fn score_range(self) -> Option<(i16, i16)> {
        match self {
            QuestionKind::Nps => Some((0, 10)),
            QuestionKind::Csat => Some((1, 5)),
            QuestionKind::Ces => Some((1, 7)),
            QuestionKind::Rating => Some((1, 5)),
            QuestionKind::SingleChoice | QuestionKind::MultiChoice | QuestionKind::Text => None,
        }
    }

    pub fn is_choice(self) -> bool {
        matches!(self, QuestionKind::SingleChoice | QuestionKind::MultiChoice)
    }
}

/// Show a question only when an earlier answer matches. Exactly one form is used:
/// `equals`, `any_of`, or a `min`/`max` range (score questions only). For a multi_choice
/// question the condition holds when any chosen option matches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShowIf {
    pub question: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equals: Option<Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub any_of: Vec<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
}

impl ShowIf {
    /// Whether a normalised answer (number for scores, string for single_choice, array of
    /// strings for multi_choice) satisfies the condition.
    pub fn is_met(&self, answer: &Value) -> bool {
        match answer {
            Value::Array(items) => items.iter().any(|item| self.value_matches(item)),
            other => self.value_matches(other),
        }
    }

    fn value_matches(&self, v: &Value) -> bool {
        if let Some(eq) = &self.equals {
            if same_value(eq, v) {
                return true;
            }
        }
        if self.any_of.iter().any(|x| same_value(x, v)) {
            return true;
        }
        if self.min.is_some() || self.max.is_some() {
            if let Some(n) = v.as_f64() {
                return self.min.is_none_or(|m| n >= m) && self.max.is_none_or(|m| n <= m);
            }
        }
        false
    }
}

/// Numbers compare by value (so 9 equals 9.0); everything else structurally.
fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Question {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: QuestionKind,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub required: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placeholder: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_if: Option<ShowIf>,
}

impl Question {
    /// Most characters a text answer may have: its own `max_length` (else
    /// [`DEFAULT_ANSWER_CHARS`]), never above the global cap.
    pub fn text_limit(&self) -> usize {
        self.max_length
            .unwrap_or(DEFAULT_ANSWER_CHARS)
            .min(MAX_TEXT_CHARS)
    }
}

impl SurveyDefinition {
    /// Responses taken per clock hour.
    pub fn responses_per_hour(&self) -> u32 {
        self.max_responses_per_hour
            .unwrap_or(DEFAULT_RESPONSES_PER_HOUR)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SurveyDefinition {
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thank_you: Option<String>,
    #[serde(default)]
    pub language: Language,
    pub questions: Vec<Question>,
    /// Normalised origins (`https://shop.example`) allowed to embed the survey, or `*`.
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// Whose survey this is, shown above the title ("听见商城").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_name: Option<String>,
    /// An `https://` image shown next to the product name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_url: Option<String>,
    /// `#rrggbb` (lower case) for buttons and chosen answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accent_color: Option<String>,
    /// An `http(s)://` page that says how answers are used, linked under the form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privacy_url: Option<String>,
    /// Responses taken per clock hour (each server process counts its own); past it a
    /// submission is refused with 429 until the hour ends. `None`:
    /// [`DEFAULT_RESPONSES_PER_HOUR`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_responses_per_hour: Option<u32>,
}

/// Responses a survey takes per hour unless its editor sets `max_responses_per_hour`.
pub const DEFAULT_RESPONSES_PER_HOUR: u32 = 1_000;
/// The most an editor may set `max_responses_per_hour` to.
pub const MAX_RESPONSES_PER_HOUR: u32 = 1_000_000;
/// Characters a text answer may have unless its question sets `max_length` (up to
/// [`MAX_TEXT_CHARS`]).
pub const DEFAULT_ANSWER_CHARS: usize = 2_000;

impl SurveyDefinition {
    /// Parses and validates a definition, reporting every problem at once.
    pub fn parse(input: &Value) -> Result<Self, Vec<FieldError>> {
        let Some(obj) = input.as_object() else {
            return Err(vec![FieldError::new("", "must be a JSON object")]);
        };
        let mut errors = Vec::new();
        reject_unknown_keys(obj, "", &TOP_KEYS, &mut errors);

        let title = required_text(obj.get("title"), "/title", MAX_TITLE_CHARS, &mut errors);
        let description = optional_text(
            obj.get("description"),
            "/description",
            MAX_DESCRIPTION_CHARS,
            &mut errors,
        );
        let thank_you = optional_text(
            obj.get("thank_you"),
            "/thank_you",
            MAX_THANK_YOU_CHARS,
            &mut errors,
        );
        let language = match obj.get("language") {
            None | Some(Value::Null) => Language::default(),
            Some(Value::String(s)) => match Language::parse(s) {
                Some(l) => l,
                None => {
                    errors.push(FieldError::new("/language", "must be \"zh-CN\" or \"en\""));
                    Language::default()
                }
            },
            Some(_) => {
                errors.push(FieldError::new("/language", "must be a string"));
                Language::default()
            }
        };
        let questions = parse_questions(obj.get("questions"), &mut errors);
        let allowed_origins = parse_origins(obj.get("allowed_origins"), &mut errors);
        let product_name = optional_text(
            obj.get("product_name"),
            "/product_name",
            MAX_PRODUCT_NAME_CHARS,
            &mut errors,
        );
        let logo_url = optional_text(obj.get("logo_url"), "/logo_url", MAX_URL_CHARS, &mut errors)
            .and_then(|u| check_url(&u, "/logo_url", true, &mut errors));
        let privacy_url = optional_text(
            obj.get("privacy_url"),
            "/privacy_url",
            MAX_URL_CHARS,
            &mut errors,
        )
        .and_then(|u| check_url(&u, "/privacy_url", false, &mut errors));
        let accent_color = optional_text(obj.get("accent_color"), "/accent_color", 7, &mut errors)
            .and_then(|c| match normalize_hex_color(&c) {
                Some(c) => Some(c),
                None => {
                    errors.push(FieldError::new(
                        "/accent_color",
                        "must be a hex colour such as \"#1a66d9\" or \"#16d\"",
                    ));
                    None
                }
            });

        let max_responses_per_hour = match obj.get("max_responses_per_hour") {
            None | Some(Value::Null) => None,
            Some(v) => match v.as_u64() {
                Some(n) if (1..=u64::from(MAX_RESPONSES_PER_HOUR)).contains(&n) => Some(n as u32),
                _ => {
                    errors.push(FieldError::new(
                        "/max_responses_per_hour",
                        format!("must be an integer from 1 to {MAX_RESPONSES_PER_HOUR}"),
                    ));
                    None
                }
            },
        };

        match (title, questions) {
            (Some(title), Some(questions)) if errors.is_empty() => Ok(SurveyDefinition {
                title,
                description,
                thank_you,
                language,
                questions,
                allowed_origins,
                product_name,
                logo_url,
                accent_color,
                privacy_url,
                max_responses_per_hour,
            }),
            _ => Err(errors),
        }
    }

    /// PATCH semantics: each top-level key in `patch` replaces that key (`null` clears an
    /// optional one), then the whole result is validated again.
    pub fn apply_patch(&self, patch: &Value) -> Result<Self, Vec<FieldError>> {
        let Some(changes) = patch.as_object() else {
            return Err(vec![FieldError::new("", "must be a JSON object")]);
        };
        let mut errors = Vec::new();
        reject_unknown_keys(changes, "", &TOP_KEYS, &mut errors);
        if !errors.is_empty() {
            return Err(errors);
        }
        let mut merged = match serde_json::to_value(self) {
            Ok(Value::Object(m)) => m,
            _ => {
                return Err(vec![FieldError::new(
                    "",
                    "the stored survey could not be read",
                )])
            }
        };
        for (key, value) in changes {
            merged.insert(key.clone(), value.clone());
        }
        Self::parse(&Value::Object(merged))
    }

    /// Whether a browser `Origin` header value may embed this survey (`*` allows any).
    pub fn origin_allowed(&self, origin: &str) -> bool {
        if self.allowed_origins.iter().any(|o| o == "*") {
            return !origin.trim().is_empty();
        }
        match normalize_origin(origin) {
            Ok(o) if o != "*" => self.allowed_origins.contains(&o),
            _ => false,
        }
    }

    pub fn question(&self, id: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.id == id)
    }

    /// 0-based position of a question, used to name it ("question 2") in the UI.
    pub fn position(&self, id: &str) -> Option<usize> {
        self.questions.iter().position(|q| q.id == id)
    }
}

/// A URL respondents' browsers will load (a logo, `https` only) or open (a privacy note,
/// `http` or `https`): absolute, with a host, no user name or password.
fn check_url(
    raw: &str,
    at: &str,
    https_only: bool,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let problem = match reqwest::Url::parse(raw) {
        Err(_) => Some("must be an absolute URL"),
        Ok(u) if u.scheme() != "https" && (https_only || u.scheme() != "http") => {
            Some(if https_only {
                "must start with https:// (browsers block http images on https pages)"
            } else {
                "must start with http:// or https://"
            })
        }
        Ok(u) if u.host_str().is_none_or(str::is_empty) => Some("must name a host"),
        Ok(u) if !u.username().is_empty() || u.password().is_some() => {
            Some("must not carry a user name or password")
        }
        Ok(_) if raw.chars().any(|c| c.is_whitespace() || c.is_control()) => {
            Some("must not contain spaces")
        }
        Ok(_) => None,
    };
    match problem {
        Some(p) => {
            errors.push(FieldError::new(at, p));
            None
        }
        None => Some(raw.to_owned()),
    }
}

/// `#rgb` or `#rrggbb` (any case) as `#rrggbb` in lower case.
pub fn normalize_hex_color(raw: &str) -> Option<String> {
    let hex = raw.trim().strip_prefix('#')?;
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let hex = hex.to_ascii_lowercase();
    match hex.len() {
        6 => Some(format!("#{hex}")),
        3 => Some(hex.chars().fold(String::from("#"), |mut s, c| {
            s.push(c);
            s.push(c);
            s
        })),
        _ => None,
    }
}

/// Escapes one JSON Pointer reference token (RFC 6901), for keys that came from the client.
pub fn ptr_escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// `[A-Za-z0-9_-]{1,64}`, checked by hand so there is no regex to compile at run time.
pub fn is_valid_id(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Normalises an origin to `scheme://host[:port]` in lower case, dropping a default port and
/// a lone trailing slash (people paste those; browsers never send them). `*` stays `*`.
pub fn normalize_origin(raw: &str) -> Result<String, &'static str> {
    let s = raw.trim();
    if s == "*" {
        return Ok("*".to_owned());
    }
    if !s.is_ascii() {
        return Err("must be ASCII: write an international host in its punycode (xn--) form");
    }
    let lower = s.to_ascii_lowercase();
    let (scheme, rest) = if let Some(r) = lower.strip_prefix("https://") {
        ("https", r)
    } else if let Some(r) = lower.strip_prefix("http://") {
        ("http", r)
    } else {
        return Err("must start with http:// or https://");
    };
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.is_empty() {
        return Err("must name a host");
    }
    if rest.contains(['/', '?', '#', '@', '\\', ' ']) {
        return Err("must be scheme://host[:port] with no path, query, fragment or user");
    }
    let (host, port) = if let Some(inner_and_rest) = rest.strip_prefix('[') {
        // IPv6 literal: [::1]:8080
        let Some((inner, after)) = inner_and_rest.split_once(']') else {
            return Err("has an unclosed [ in the host");
        };
        if inner.is_empty()
            || !inner
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
        {
            return Err("has an invalid IPv6 address");
        }
        let port = match after {
            "" => None,
            p => match p.strip_prefix(':') {
                Some(p) => Some(p),
                None => return Err("has text after the IPv6 address"),
            },
        };
        (&rest[..inner.len() + 2], port)
    } else {
        match rest.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (rest, None),
        }
    };
    if !host.starts_with('[') && !is_host_name(host) {
        return Err("has an invalid host name");
    }
    let port_part = match port {
        None => String::new(),
        Some(p) => {
            if p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err("has an invalid port");
            }
            match p.parse::<u32>() {
                Ok(n) if (1..=65_535).contains(&n) => {
                    if (scheme == "https" && n == 443) || (scheme == "http" && n == 80) {
                        String::new()
                    } else {
                        format!(":{n}")
                    }
                }
                _ => return Err("has an invalid port"),
            }
        }
    };
    Ok(format!("{scheme}://{host}{port_part}"))
}

fn reject_unknown_keys(
    obj: &Map<String, Value>,
    at: &str,
    known: &[&str],
    errors: &mut Vec<FieldError>,
) {
    for key in obj.keys() {
        if !known.contains(&key.as_str()) {
            errors.push(FieldError::new(
                format!("{at}/{}", ptr_escape(key)),
                format!("unknown field (expected one of: {})", known.join(", ")),
            ));
        }
    }
}

/// A trimmed, non-empty string of at most `max` characters.
fn required_text(
    v: Option<&Value>,
    at: &str,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    match v {
        None | Some(Value::Null) => {
            errors.push(FieldError::new(at, "is required"));
            None
        }
        Some(Value::String(s)) => {
            let t = s.trim();
            if !crate::domain::text::has_visible(t) {
                errors.push(FieldError::new(at, "must not be empty"));
                None
            } else if t.chars().count() > max {
                errors.push(FieldError::new(
                    at,
                    format!("must be at most {max} characters"),
                ));
                None
            } else {
                Some(t.to_owned())
            }
        }
        Some(_) => {
            errors.push(FieldError::new(at, "must be a string"));
            None
        }
    }
}

/// Like [`required_text`], but missing, `null` and blank all mean "not set".
fn optional_text(
    v: Option<&Value>,
    at: &str,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    match v {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if !crate::domain::text::has_visible(s) => None,
        other => required_text(other, at, max, errors),
    }
}

fn is_set(v: Option<&Value>) -> bool {
    !matches!(v, None | Some(Value::Null))
}

fn parse_questions(v: Option<&Value>, errors: &mut Vec<FieldError>) -> Option<Vec<Question>> {
    let items = match v {
        None | Some(Value::Null) => {
            errors.push(FieldError::new("/questions", "is required"));
            return None;
        }
        Some(Value::Array(items)) => items,
        Some(_) => {
            errors.push(FieldError::new("/questions", "must be an array"));
            return None;
        }
    };
    if items.is_empty() {
        errors.push(FieldError::new("/questions", "needs at least one question"));
        return None;
    }
    if items.len() > MAX_QUESTIONS {
        // Not parsing further keeps the work bounded on hostile input.
        errors.push(FieldError::new(
            "/questions",
            format!("at most {MAX_QUESTIONS} questions"),
        ));
        return None;
    }

    let before = errors.len();
    let mut drafts: Vec<(Option<String>, Option<Question>)> = Vec::with_capacity(items.len());
    let mut first_index: HashMap<String, usize> = HashMap::new();
    for (i, item) in items.iter().enumerate() {
        let at = format!("/questions/{i}");
        let (id, q) = parse_question(item, &at, errors);
        if let Some(id) = &id {
            if let Some(j) = first_index.get(id) {
                errors.push(FieldError::new(
                    format!("{at}/id"),
                    format!("duplicate id (also used by /questions/{j})"),
                ));
            } else {
                first_index.insert(id.clone(), i);
            }
        }
        drafts.push((id, q));
    }

    // Conditions are checked once every question is known, so a reference to a later
    // question gets the precise "must be earlier" message.
    for (i, item) in items.iter().enumerate() {
        let Some(raw) = item.get("show_if").filter(|v| !v.is_null()) else {
            continue;
        };
        let at = format!("/questions/{i}/show_if");
        let parsed = parse_show_if(raw, &at, i, &drafts, &first_index, errors);
        if let Some(q) = drafts.get_mut(i).and_then(|d| d.1.as_mut()) {
            q.show_if = parsed;
        }
    }

    if errors.len() != before {
        return None;
    }
    let questions: Vec<Question> = drafts.into_iter().filter_map(|(_, q)| q).collect();
    if questions.len() == items.len() {
        Some(questions)
    } else {
        None
    }
}

/// Parses one question except its `show_if`; returns the id (if valid) even when other
/// fields are wrong, so duplicate and reference checks still work.
fn parse_question(
    v: &Value,
    at: &str,
    errors: &mut Vec<FieldError>,
) -> (Option<String>, Option<Question>) {
    let Some(obj) = v.as_object() else {
        errors.push(FieldError::new(at, "must be an object"));
        return (None, None);
    };
    let before = errors.len();
    reject_unknown_keys(obj, at, &QUESTION_KEYS, errors);

    let id = match obj.get("id") {
        None | Some(Value::Null) => {
            errors.push(FieldError::new(format!("{at}/id"), "is required"));
            None
        }
        Some(Value::String(s)) if !is_valid_id(s) => {
            errors.push(FieldError::new(
                format!("{at}/id"),
                "must be 1 to 64 letters, digits, '_' or '-'",
            ));
            None
        }
        Some(Value::String(s)) if s.starts_with('_') || s == HONEYPOT_FIELD => {
            // The hosted form uses `_…` names and `website` for itself.
            errors.push(FieldError::new(
                format!("{at}/id"),
                "must not start with '_' or be \"website\" (reserved by the survey form)",
            ));
            None
        }
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            errors.push(FieldError::new(format!("{at}/id"), "must be a string"));
            None
        }
    };

    let kind = match obj.get("type") {
        None | Some(Value::Null) => {
            errors.push(FieldError::new(format!("{at}/type"), "is required"));
            None
        }
        Some(Value::String(s)) => {
            let k = QuestionKind::parse(s);
            if k.is_none() {
                errors.push(FieldError::new(
                    format!("{at}/type"),
                    "unknown type (expected nps, csat, ces, rating, single_choice, multi_choice or text)",
                ));
            }
            k
        }
        Some(_) => {
            errors.push(FieldError::new(format!("{at}/type"), "must be a string"));
            None
        }
    };

    let title = required_text(
        obj.get("title"),
        &format!("{at}/title"),
        MAX_QUESTION_TITLE_CHARS,
        errors,
    );
    let description = optional_text(
        obj.get("description"),
        &format!("{at}/description"),
        MAX_DESCRIPTION_CHARS,
        errors,
    );
    let required = match obj.get("required") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            errors.push(FieldError::new(
                format!("{at}/required"),
                "must be true or false",
            ));
            false
        }
    };

    let options = parse_options(obj.get("options"), &format!("{at}/options"), errors);
    let placeholder = optional_text(
        obj.get("placeholder"),
        &format!("{at}/placeholder"),
        MAX_PLACEHOLDER_CHARS,
        errors,
    );
    let max_length = match obj.get("max_length") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_u64() {
            Some(n) if n >= 1 && n <= MAX_TEXT_CHARS as u64 => Some(n as usize),
            _ => {
                errors.push(FieldError::new(
                    format!("{at}/max_length"),
                    format!("must be an integer from 1 to {MAX_TEXT_CHARS}"),
                ));
                None
            }
        },
    };

    if let Some(kind) = kind {
        if kind.is_choice() {
            let n = options.as_ref().map_or(0, Vec::len);
            // Only complain about the count when the options themselves parsed.
            let parsed = options.is_some() || !is_set(obj.get("options"));
            if parsed && !(MIN_OPTIONS..=MAX_OPTIONS).contains(&n) {
                errors.push(FieldError::new(
                    format!("{at}/options"),
                    format!(
                        "a {} question needs {MIN_OPTIONS} to {MAX_OPTIONS} options",
                        kind.as_str()
                    ),
                ));
            }
        } else if options.as_ref().is_some_and(|o| !o.is_empty()) {
            errors.push(FieldError::new(
                format!("{at}/options"),
                "only single_choice and multi_choice questions have options",
            ));
        }
        if kind != QuestionKind::Text {
            if is_set(obj.get("placeholder")) {
                errors.push(FieldError::new(
                    format!("{at}/placeholder"),
                    "only text questions have a placeholder",
                ));
            }
            if is_set(obj.get("max_length")) {
                errors.push(FieldError::new(
                    format!("{at}/max_length"),
                    "only text questions have max_length",
                ));
            }
        }
    }

    let question = match (id.clone(), kind, title) {
        (Some(id), Some(kind), Some(title)) if errors.len() == before => Some(Question {
            id,
            kind,
            title,
            description,
            required,
            options: options.unwrap_or_default(),
            placeholder,
            max_length,
            show_if: None,
        }),
        _ => None,
    };
    (id, question)
}

/// Trimmed, non-empty, unique option texts; `None` when something was wrong.
fn parse_options(v: Option<&Value>, at: &str, errors: &mut Vec<FieldError>) -> Option<Vec<String>> {
    let items = match v {
        None | Some(Value::Null) => return Some(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => {
            errors.push(FieldError::new(at, "must be an array of strings"));
            return None;
        }
    };
    if items.len() > MAX_OPTIONS {
        errors.push(FieldError::new(
            at,
            format!("at most {MAX_OPTIONS} options"),
        ));
        return None;
    }
    let before = errors.len();
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let item_at = format!("{at}/{i}");
        match item {
            Value::String(s) => {
                let t = s.trim();
                if !crate::domain::text::has_visible(t) {
                    errors.push(FieldError::new(item_at, "must not be empty"));
                } else if t.chars().count() > MAX_OPTION_CHARS {
                    errors.push(FieldError::new(
                        item_at,
                        format!("must be at most {MAX_OPTION_CHARS} characters"),
                    ));
                } else if !seen.insert(t.to_owned()) {
                    errors.push(FieldError::new(item_at, "duplicate option"));
                } else {
                    out.push(t.to_owned());
                }
            }
            _ => errors.push(FieldError::new(item_at, "must be a string")),
        }
    }
    if errors.len() == before {
        Some(out)
    } else {
        None
    }
}

fn parse_show_if(
    v: &Value,
    at: &str,
    index: usize,
    drafts: &[(Option<String>, Option<Question>)],
    first_index: &HashMap<String, usize>,
    errors: &mut Vec<FieldError>,
) -> Option<ShowIf> {
    let Some(obj) = v.as_object() else {
        errors.push(FieldError::new(at, "must be an object"));
        return None;
    };
    let before = errors.len();
    reject_unknown_keys(obj, at, &SHOW_IF_KEYS, errors);

    let target_id = match obj.get("question") {
        Some(Value::String(s)) => Some(s.clone()),
        None | Some(Value::Null) => {
            errors.push(FieldError::new(format!("{at}/question"), "is required"));
            None
        }
        Some(_) => {
            errors.push(FieldError::new(
                format!("{at}/question"),
                "must be a string",
            ));
            None
        }
    };
    // The referenced question must come before this one, so answers flow top to bottom.
    let target: Option<Option<&Question>> = match &target_id {
        None => None,
        Some(id) => match first_index.get(id) {
            Some(&j) if j < index => Some(drafts.get(j).and_then(|d| d.1.as_ref())),
            _ => {
                errors.push(FieldError::new(
                    format!("{at}/question"),
                    "must be the id of an earlier question",
                ));
                None
            }
        },
    };

    let equals = obj.get("equals").filter(|v| !v.is_null()).cloned();
    let any_of = match obj.get("any_of") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) if items.is_empty() => {
            errors.push(FieldError::new(format!("{at}/any_of"), "must not be empty"));
            Vec::new()
        }
        Some(Value::Array(items)) => items.clone(),
        Some(_) => {
            errors.push(FieldError::new(format!("{at}/any_of"), "must be an array"));
            Vec::new()
        }
    };
    let min = parse_bound(obj, at, "min", errors);
    let max = parse_bound(obj, at, "max", errors);

    let forms = usize::from(equals.is_some())
        + usize::from(!any_of.is_empty())
        + usize::from(min.is_some() || max.is_some());
    if forms == 0 && errors.len() == before {
        errors.push(FieldError::new(
            at,
            "needs one of equals, any_of, or min/max",
        ));
    } else if forms > 1 {
        errors.push(FieldError::new(
            at,
            "use only one of equals, any_of, or min/max",
        ));
    }

    // Check the values can actually occur as answers to the referenced question.
    if let Some(Some(target)) = target {
        let tid = &target.id;
        if target.kind == QuestionKind::Text {
            errors.push(FieldError::new(
                format!("{at}/question"),
                "a condition cannot depend on a text question",
            ));
        } else {
            if let Some(eq) = &equals {
                check_possible(target, eq, format!("{at}/equals"), errors);
            }
            for (i, item) in any_of.iter().enumerate() {
                check_possible(target, item, format!("{at}/any_of/{i}"), errors);
            }
            match target.kind.score_range() {
                Some((lo, hi)) => {
                    if let (Some(a), Some(b)) = (min, max) {
                        if a > b {
                            errors.push(FieldError::new(
                                format!("{at}/min"),
                                "must not be greater than max",
                            ));
                        }
                    }
                    if min.is_some() || max.is_some() {
                        let low = min.map_or(f64::from(lo), |m| m.ceil().max(f64::from(lo)));
                        let high = max.map_or(f64::from(hi), |m| m.floor().min(f64::from(hi)));
                        if low > high {
                            errors.push(FieldError::new(
                                at,
                                format!(
                                    "no answer to {tid} ({lo} to {hi}) falls between min and max"
                                ),
                            ));
                        }
                    }
                }
                None => {
                    if min.is_some() || max.is_some() {
                        errors.push(FieldError::new(
                            at,
                            "min and max apply only to score questions",
                        ));
                    }
                }
            }
        }
    }

    match target_id {
        Some(question) if errors.len() == before => Some(ShowIf {
            question,
            equals,
            any_of,
            min,
            max,
        }),
        _ => None,
    }
}

fn parse_bound(
    obj: &Map<String, Value>,
    at: &str,
    key: &str,
    errors: &mut Vec<FieldError>,
) -> Option<f64> {
    match obj.get(key) {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => n.as_f64(),
        Some(_) => {
            errors.push(FieldError::new(format!("{at}/{key}"), "must be a number"));
            None
        }
    }
}

/// A condition value must be something the referenced question can be answered with.
fn check_possible(
    target: &Question,
    value: &Value,
    value_at: String,
    errors: &mut Vec<FieldError>,
) {
    let tid = &target.id;
    match target.kind.score_range() {
        Some((lo, hi)) => {
            let ok = value
                .as_f64()
                .is_some_and(|n| n.fract() == 0.0 && n >= f64::from(lo) && n <= f64::from(hi));
            if !ok {
                errors.push(FieldError::new(
                    value_at,
                    format!("must be an integer from {lo} to {hi} (a possible answer to {tid})"),
                ));
            }
        }
        None if target.kind.is_choice() => {
            let ok = value
                .as_str()
                .is_some_and(|s| target.options.iter().any(|o| o == s));
            if !ok {
                errors.push(FieldError::new(
                    value_at,
                    format!("must be one of the options of {tid}"),
                ));
            }
        }
        None => {}
    }
}

fn parse_origins(v: Option<&Value>, errors: &mut Vec<FieldError>) -> Vec<String> {
    let items = match v {
        None | Some(Value::Null) => return Vec::new(),
        Some(Value::Array(items)) => items,
        Some(_) => {
            errors.push(FieldError::new(
                "/allowed_origins",
                "must be an array of strings",
            ));
            return Vec::new();
        }
    };
    if items.len() > MAX_ORIGINS {
        errors.push(FieldError::new(
            "/allowed_origins",
            format!("at most {MAX_ORIGINS} origins"),
        ));
        return Vec::new();
    }
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = format!("/allowed_origins/{i}");
        match item {
            Value::String(s) => match normalize_origin(s) {
                // Duplicates after normalisation are harmless, so they are merged silently.
                Ok(o) => {
                    if !out.contains(&o) {
                        out.push(o);
                    }
                }
                Err(m) => errors.push(FieldError::new(at, m)),
            },
            _ => errors.push(FieldError::new(at, "must be a string")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn base() -> Value {
        json!({
            "title": "购物体验调查",
            "questions": [
                {"id": "q1", "type": "nps", "title": "你有多大可能推荐我们？", "required": true},
                {"id": "q2", "type": "text", "title": "为什么？", "show_if": {"question": "q1", "max": 6}},
                {"id": "q3", "type": "multi_choice", "title": "你用过哪些功能？", "options": ["搜索", "收藏", "评论"]},
                {"id": "q4", "type": "single_choice", "title": "是否会再来？", "options": ["会", "不会"],
                 "show_if": {"question": "q3", "any_of": ["搜索", "评论"]}}
            ],
            "allowed_origins": ["https://Shop.Example", "http://localhost:3000/"]
        })
    }

    fn fields(errs: &[FieldError]) -> Vec<&str> {
        errs.iter().map(|e| e.field.as_str()).collect()
    }

    fn parse_err(v: Value) -> Vec<FieldError> {
        match SurveyDefinition::parse(&v) {
            Ok(d) => panic!("expected errors, got {d:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn parses_valid_definition_with_defaults() {
        let d = SurveyDefinition::parse(&base()).expect("valid");
        assert_eq!(d.language, Language::ZhCn);
        assert_eq!(d.questions.len(), 4);
        assert!(d.questions[0].required);
        assert!(!d.questions[1].required);
        assert_eq!(
            d.questions[1].show_if.as_ref().and_then(|s| s.max),
            Some(6.0)
        );
        assert_eq!(
            d.allowed_origins,
            vec![
                "https://shop.example".to_string(),
                "http://localhost:3000".to_string()
            ]
        );
    }

    #[test]
    fn round_trips_as_stored_json() {
        let d = SurveyDefinition::parse(&base()).expect("valid");
        let stored = serde_json::to_value(&d).expect("serialize");
        assert_eq!(stored["questions"][0]["type"], "nps");
        assert_eq!(stored["language"], "zh-CN");
        let back: SurveyDefinition = serde_json::from_value(stored.clone()).expect("deserialize");
        assert_eq!(back, d);
        assert_eq!(SurveyDefinition::parse(&stored).expect("reparse"), d);
    }

    #[test]
    fn reports_errors_with_pointers() {
        let errs = parse_err(json!({
            "title": "",
            "colour": "red",
            "language": "fr",
            "questions": [
                {"id": "q 1", "type": "nps", "title": "x"},
                {"id": "q2", "type": "stars", "title": "x"},
                {"id": "q3", "type": "single_choice", "title": "x", "options": ["a"]},
                {"id": "q4", "type": "nps", "title": "x", "options": ["a", "b"], "extra": 1},
                {"id": "q4", "type": "text", "title": "x", "max_length": 20000},
                {"id": "q6", "type": "multi_choice", "title": "x", "options": ["a", "a", " "]}
            ],
            "allowed_origins": ["https://a.example/path", "ftp://b.example", "*"]
        }));
        let f = fields(&errs);
        for expected in [
            "/title",
            "/colour",
            "/language",
            "/questions/0/id",
            "/questions/1/type",
            "/questions/2/options",
            "/questions/3/options",
            "/questions/3/extra",
            "/questions/4/id",
            "/questions/4/max_length",
            "/questions/5/options/1",
            "/questions/5/options/2",
            "/allowed_origins/0",
            "/allowed_origins/1",
        ] {
            assert!(f.contains(&expected), "missing {expected} in {f:?}");
        }
        assert!(!f.contains(&"/allowed_origins/2"));
    }

    #[test]
    fn question_count_and_title_limits() {
        assert_eq!(
            fields(&parse_err(json!({"title": "t", "questions": []}))),
            vec!["/questions"]
        );
        let many: Vec<Value> = (0..101)
            .map(|i| json!({"id": format!("q{i}"), "type": "text", "title": "x"}))
            .collect();
        assert_eq!(
            fields(&parse_err(json!({"title": "t", "questions": many}))),
            vec!["/questions"]
        );
        let long = "长".repeat(201);
        let errs = parse_err(
            json!({"title": long, "questions": [{"id": "a", "type": "text", "title": "x"}]}),
        );
        assert_eq!(fields(&errs), vec!["/title"]);
        assert_eq!(fields(&parse_err(json!([1, 2]))), vec![""]);
        assert_eq!(
            fields(&parse_err(json!({"title": "t"}))),
            vec!["/questions"]
        );
    }

    #[test]
    fn reserved_ids_are_rejected() {
        let errs = parse_err(json!({"title": "t", "questions": [
            {"id": "_respondent_id", "type": "text", "title": "x"},
            {"id": "website", "type": "text", "title": "x"}
        ]}));
        assert_eq!(fields(&errs), vec!["/questions/0/id", "/questions/1/id"]);
    }

    #[test]
    fn text_only_fields() {
        let errs = parse_err(json!({"title": "t", "questions": [
            {"id": "a", "type": "nps", "title": "x", "placeholder": "p", "max_length": 5}
        ]}));
        assert_eq!(
            fields(&errs),
            vec!["/questions/0/placeholder", "/questions/0/max_length"]
        );
    }

    #[test]
    fn show_if_must_reference_earlier_question_and_possible_value() {
        let errs = parse_err(json!({"title": "t", "questions": [
            {"id": "a", "type": "nps", "title": "x", "show_if": {"question": "b", "equals": 1}},
            {"id": "b", "type": "single_choice", "title": "x", "options": ["是", "否"]},
            {"id": "c", "type": "text", "title": "x", "show_if": {"question": "a", "equals": 11}},
            {"id": "d", "type": "text", "title": "x", "show_if": {"question": "b", "any_of": ["是", "也许"]}},
            {"id": "e", "type": "text", "title": "x", "show_if": {"question": "b", "min": 1}},
            {"id": "f", "type": "text", "title": "x", "show_if": {"question": "a"}},
            {"id": "g", "type": "text", "title": "x", "show_if": {"question": "a", "min": 8, "max": 3}},
            {"id": "h", "type": "text", "title": "x", "show_if": {"question": "c", "equals": "hi"}},
            {"id": "i", "type": "text", "title": "x", "show_if": {"question": "a", "equals": 1, "max": 3}},
            {"id": "j", "type": "text", "title": "x", "show_if": {"question": "a", "min": 10.5}},
            {"id": "k", "type": "text", "title": "x", "show_if": {"question": "zzz", "equals": 1}},
            {"id": "l", "type": "text", "title": "x", "show_if": {"question": "a", "when": 1, "equals": 2}}
        ]}));
        let f = fields(&errs);
        for expected in [
            "/questions/0/show_if/question",
            "/questions/2/show_if/equals",
            "/questions/3/show_if/any_of/1",
            "/questions/4/show_if",
            "/questions/5/show_if",
            "/questions/6/show_if/min",
            "/questions/7/show_if/question",
            "/questions/8/show_if",
            "/questions/9/show_if",
            "/questions/10/show_if/question",
            "/questions/11/show_if/when",
        ] {
            assert!(f.contains(&expected), "missing {expected} in {f:?}");
        }
        assert!(!f.iter().any(|x| x.starts_with("/questions/1/")));
    }

    #[test]
    fn show_if_is_met() {
        let eq = ShowIf {
            question: "a".into(),
            equals: Some(json!(9)),
            any_of: vec![],
            min: None,
            max: None,
        };
        assert!(eq.is_met(&json!(9)));
        assert!(eq.is_met(&json!(9.0)));
        assert!(!eq.is_met(&json!(8)));
        let any = ShowIf {
            question: "a".into(),
            equals: None,
            any_of: vec![json!("x"), json!("y")],
            min: None,
            max: None,
        };
        assert!(any.is_met(&json!("y")));
        assert!(any.is_met(&json!(["z", "x"])));
        assert!(!any.is_met(&json!(["z"])));
        let range = ShowIf {
            question: "a".into(),
            equals: None,
            any_of: vec![],
            min: None,
            max: Some(6.0),
        };
        assert!(range.is_met(&json!(0)));
        assert!(range.is_met(&json!(6)));
        assert!(!range.is_met(&json!(7)));
        assert!(!range.is_met(&json!("3")));
    }

    #[test]
    fn patch_replaces_top_level_keys_and_revalidates() {
        let d = SurveyDefinition::parse(&base()).expect("valid");
        let p = d
            .apply_patch(&json!({"title": "新标题", "language": "en", "description": "说明"}))
            .expect("patched");
        assert_eq!(p.title, "新标题");
        assert_eq!(p.language, Language::En);
        assert_eq!(p.description.as_deref(), Some("说明"));
        assert_eq!(p.questions, d.questions);

        let cleared = p
            .apply_patch(&json!({"description": null}))
            .expect("cleared");
        assert_eq!(cleared.description, None);

        let errs = d
            .apply_patch(&json!({"questions": [{"id": "x", "type": "nps"}]}))
            .expect_err("invalid");
        assert_eq!(fields(&errs), vec!["/questions/0/title"]);
        let errs = d.apply_patch(&json!({"nope": 1})).expect_err("unknown");
        assert_eq!(fields(&errs), vec!["/nope"]);
        let errs = d
            .apply_patch(&json!({"title": null}))
            .expect_err("required");
        assert_eq!(fields(&errs), vec!["/title"]);
        assert!(d.apply_patch(&json!("x")).is_err());
    }

    #[test]
    fn origins_normalise_and_match() {
        assert_eq!(
            normalize_origin("HTTPS://Shop.Example:443"),
            Ok("https://shop.example".into())
        );
        assert_eq!(
            normalize_origin("http://a.example:80/"),
            Ok("http://a.example".into())
        );
        assert_eq!(
            normalize_origin("http://[::1]:8080"),
            Ok("http://[::1]:8080".into())
        );
        assert_eq!(
            normalize_origin("http://127.0.0.1:3000"),
            Ok("http://127.0.0.1:3000".into())
        );
        for bad in [
            "shop.example",
            "https://",
            "https://a.example/x",
            "https://a.example?q",
            "https://user@a.example",
            "https://a.example:0",
            "https://a.example:99999",
            "https://a.example:x",
            "https://-a.example",
            "https://a..example",
            "https://商店.example",
            "javascript://a",
            "http://[zz]",
        ] {
            assert!(normalize_origin(bad).is_err(), "{bad} should be rejected");
        }

        let d = SurveyDefinition::parse(&base()).expect("valid");
        assert!(d.origin_allowed("https://shop.example"));
        assert!(d.origin_allowed("https://SHOP.example"));
        assert!(d.origin_allowed("http://localhost:3000"));
        assert!(!d.origin_allowed("http://shop.example"));
        assert!(!d.origin_allowed("https://evil.example"));
        assert!(!d.origin_allowed("null"));
        assert!(!d.origin_allowed(""));

        let any = d
            .apply_patch(&json!({"allowed_origins": ["*"]}))
            .expect("valid");
        assert!(any.origin_allowed("https://anything.example"));
        let none = d
            .apply_patch(&json!({"allowed_origins": []}))
            .expect("valid");
        assert!(!none.origin_allowed("https://shop.example"));
    }

    #[test]
    fn score_ranges() {
        assert_eq!(QuestionKind::Nps.score_range(), Some((0, 10)));
        assert_eq!(QuestionKind::Csat.score_range(), Some((1, 5)));
        assert_eq!(QuestionKind::Ces.score_range(), Some((1, 7)));
        assert_eq!(QuestionKind::Rating.score_range(), Some((1, 5)));
        assert_eq!(QuestionKind::Text.score_range(), None);
        assert_eq!(
            QuestionKind::parse("multi_choice"),
            Some(QuestionKind::MultiChoice)
        );
    }

    #[test]
    fn never_panics_on_odd_input() {
        for v in [
            json!(null),
            json!({"title": 5, "questions": {"a": 1}}),
            json!({"title": "t", "questions": [null, 1, "x", {"id": 5, "type": 7, "title": []}]}),
            json!({"title": "t", "questions": [{"id": "a", "type": "nps", "title": "x", "show_if": []}]}),
            json!({"title": "t", "questions": [{"id": "a", "type": "nps", "title": "x"}], "allowed_origins": "x"}),
            json!({"title": "t", "questions": [{"id": "a", "type": "nps", "title": "x"}], "allowed_origins": [1, null]}),
        ] {
            assert!(SurveyDefinition::parse(&v).is_err());
        }
    }

    #[test]
    fn branding_is_checked_and_normalised() {
        assert_eq!(normalize_hex_color("#1A66D9").as_deref(), Some("#1a66d9"));
        assert_eq!(normalize_hex_color(" #d94 ").as_deref(), Some("#dd9944"));
        for bad in ["1a66d9", "#1a66d", "#ggg", "#", "#1a66d9ff", "red"] {
            assert_eq!(normalize_hex_color(bad), None, "{bad}");
        }
        let base =
            || json!({"title": "t", "questions": [{"id": "q1", "type": "nps", "title": "x"}]});
        let mut good = base();
        good["product_name"] = json!("  听见商城 ");
        good["logo_url"] = json!("https://cdn.example/logo.png");
        good["accent_color"] = json!("#ABC");
        good["privacy_url"] = json!("http://example.com/privacy");
        let def = SurveyDefinition::parse(&good).expect("valid");
        assert_eq!(def.product_name.as_deref(), Some("听见商城"));
        assert_eq!(def.accent_color.as_deref(), Some("#aabbcc"));
        // Stored and read back the same.
        let again: SurveyDefinition =
            serde_json::from_value(serde_json::to_value(&def).expect("json")).expect("back");
        assert_eq!(again, def);
        // Blank means unset; an old stored survey without the keys reads as unset.
        let mut blank = base();
        blank["logo_url"] = json!(" ");
        assert_eq!(
            SurveyDefinition::parse(&blank).expect("valid").logo_url,
            None
        );
        for (key, value) in [
            ("logo_url", json!("http://cdn.example/logo.png")),
            ("logo_url", json!("https://u:p@cdn.example/logo.png")),
            ("logo_url", json!("//cdn.example/logo.png")),
            (
                "logo_url",
                json!(format!("https://cdn.example/{}", "a".repeat(2_000))),
            ),
            ("privacy_url", json!("javascript:alert(1)")),
            ("privacy_url", json!("mailto:a@example.com")),
            ("accent_color", json!("#12345g")),
            ("accent_color", json!(12)),
            ("product_name", json!("名".repeat(61))),
        ] {
            let mut def = base();
            def[key] = value.clone();
            let errors = SurveyDefinition::parse(&def).expect_err("invalid");
            assert_eq!(errors[0].field, format!("/{key}"), "{value}");
        }
    }
}
