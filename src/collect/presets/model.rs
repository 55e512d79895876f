//! What every preset reads into and out of: the request as a preset sees it, the secrets it
//! may be signed with, and what a delivery says (a ping, an ignored event, responses, or ids
//! to fetch). The tool files and the dispatcher both use these; neither defines them.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::{Map, Value};

use crate::domain::Scores;

/// A request to a webhook URL, as far as a preset needs to see it.
pub struct Incoming<'a> {
    /// Header names in lower case, values as sent (repeated headers repeated).
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
}

impl Incoming<'_> {
    /// The first value of a header, `""` when absent.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }
}

/// The secrets a delivery may be signed with: the current one, and the one rotated out while
/// its grace lasts.
pub struct Secrets<'a> {
    pub live: Vec<&'a str>,
}

/// What a delivery says, as its preset read it.
#[derive(Debug, Clone, PartialEq)]
pub enum Reading {
    /// A test ping or verification request: answered with 2xx, nothing stored.
    Ping,
    /// An event with nothing to store (a deletion, an event of another kind); the reason is
    /// said in the answer.
    Ignored(String),
    /// One or more responses.
    Responses(Vec<ToolResponse>),
    /// Only ids: the response is fetched from the tool's API.
    Fetch(FetchRequest),
}

/// One response of another tool.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ToolResponse {
    /// The tool's own id of the response, unique within the source.
    pub id: String,
    pub respondent_id: Option<String>,
    /// When the respondent submitted it.
    pub submitted_at: Option<DateTime<Utc>>,
    /// When this version of it was made: a later version replaces an earlier one, never the
    /// other way round.
    pub updated_at: Option<DateTime<Utc>>,
    /// Each non-empty text answer, in question order.
    pub answers: Vec<Answer>,
    pub scores: Scores,
    /// Hidden fields, link parameters, contact attributes.
    pub attributes: Map<String, Value>,
    /// Every answer as the tool gave it (choices, scores, texts), kept with the response.
    pub raw_answers: Map<String, Value>,
    /// The event carries the whole response (so an answer missing now was removed), not one
    /// question of it.
    pub complete: bool,
}

/// One text answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub question_id: String,
    /// The question as the respondent saw it, when the payload says.
    pub question: Option<String>,
    pub text: String,
}

/// What reading needs to know beyond the payload.
#[derive(Debug, Clone, Copy)]
pub struct Context {
    /// The workspace's zone, for tool times without an offset.
    pub tz: Tz,
    pub now: DateTime<Utc>,
}

/// What to fetch from the tool's API to read a response whose callback carried only ids.
#[derive(Debug, Clone, PartialEq)]
pub struct FetchRequest {
    /// `resources.survey_id`.
    pub survey_id: String,
    /// The response's id: the callback's `object_id`, else `resources.respondent_id` (the same
    /// number in API v3).
    pub response_id: String,
    /// The callback's `event_id`: a redelivery of the same event carries the same one.
    pub event_id: Option<String>,
    /// `response_completed` or `response_updated` (the latter may come more than once per
    /// response; a later fetch reads a later version).
    pub event_type: String,
    /// `resources.collector_id`, when the webhook gives it.
    pub collector_id: Option<String>,
    /// The callback's `event_datetime`.
    pub event_at: Option<DateTime<Utc>>,
}

/// A JSON value as a trimmed, non-empty string (numbers and booleans written out).
pub(crate) fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A whole-number score within `lo..=hi`, from a number or a numeric string.
pub(crate) fn score_in(v: &Value, lo: i16, hi: i16) -> Option<i16> {
    crate::domain::parse_score(v, lo, hi).ok()
}

/// Compares two byte strings in constant time (for tokens and signatures).
pub fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Where tools put the person, by name (hidden fields, custom variables, link parameters);
/// the first present wins, compared without case.
pub const RESPONDENT_KEYS: [&str; 7] = [
    "respondent_id",
    "user_id",
    "userid",
    "uid",
    "customer_id",
    "member_id",
    "openid",
];

/// The respondent a map of named values (hidden fields, custom variables) names, by
/// [`RESPONDENT_KEYS`] order.
pub fn respondent_of(map: &Map<String, Value>) -> Option<String> {
    RESPONDENT_KEYS.iter().find_map(|want| {
        map.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(want))
            .and_then(|(_, v)| text_of(v))
    })
}

/// Keeps a named value as an attribute, within what attributes allow everywhere: names of
/// 1–64 bytes, strings cut to 200 characters, numbers and booleans as they are, at most 50.
pub fn put_attribute(attributes: &mut Map<String, Value>, key: &str, value: &Value) {
    if key.is_empty() || key.len() > 64 || attributes.len() >= 50 {
        return;
    }
    let value = match value {
        Value::String(s) => Value::String(crate::domain::text::truncate_chars(s, 200)),
        Value::Number(_) | Value::Bool(_) => value.clone(),
        _ => return,
    };
    attributes.insert(key.to_owned(), value);
}
