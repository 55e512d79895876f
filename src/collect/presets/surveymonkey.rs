//! SurveyMonkey. Its webhook callback carries ids only (signed with `Sm-Signature`), so a
//! response is read in two steps: [`read`] turns the callback into a [`FetchRequest`], and
//! [`fetch_response`] GETs the response's details and the survey's questions from the API v3
//! and reads them with [`read_details`] (pure, so it is tested on fixtures alone).
//!
//! Sources: SurveyMonkey's API v3 docs (`SurveyMonkey/public_api_docs`: webhooks, responses,
//! surveys, questions) and real API output captured in `bcemmett/SurveyMonkeyApi-v3`; see
//! `tests/fixtures/presets/surveymonkey/SOURCE.md`. How an NPS question is encoded is not
//! documented anywhere we could read: [`read_details`] says what it accepts.

use std::collections::{HashMap, HashSet};
use std::fmt;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{Map, Value};
use sha1::Sha1;

use super::{
    respondent_of, score_in, text_of, Answer, Context, FetchRequest, Incoming, Reading, Secrets,
    ToolResponse,
};
use crate::collect::fetch::{transport_parts, TransportKind};
use crate::collect::webhook::SignatureError;
use crate::domain::net::{Outbound, OutboundError};
use crate::domain::text::truncate_chars;
use crate::domain::time::parse_time;
use crate::domain::FieldError;

/// The header SurveyMonkey signs callbacks in (names arrive in lower case).
const SIGNATURE_HEADER: &str = "sm-signature";

/// The API's host for accounts in the US datacenter; other datacenters (EU, CA) have their own
/// `access_url`, given as `base_url` to [`fetch_response`].
pub const DEFAULT_BASE_URL: &str = "https://api.surveymonkey.com";

/// Largest API answer read. A response's details are a few KiB; a survey's details grow with
/// its questions and choices but stay well under this.
pub const MAX_BODY_BYTES: usize = 5 * 1024 * 1024;

/// Longest question heading kept with a text answer.
const MAX_HEADING_CHARS: usize = 500;

/// Checks `Sm-Signature`: the standard base64 of an HMAC-SHA1 over the raw body, byte for byte.
///
/// SurveyMonkey keys that HMAC with the app's API key (for current apps its Client ID), a
/// literal `&`, and the app's API secret (its Client Secret). **A source stores both as one
/// signing secret in exactly that form, `{api_key}&{api_secret}`** (e.g.
/// `my_client_id&my_client_secret`), and the whole string is the HMAC key. Every live secret is
/// tried, each compared in constant time; an empty secret is never a key. There is no
/// timestamp: replays are told apart by the callback's `event_id`.
pub fn verify(req: &Incoming<'_>, secrets: &Secrets<'_>) -> Result<(), SignatureError> {
    let header = req.header(SIGNATURE_HEADER).trim();
    if header.is_empty() {
        return Err(SignatureError::MissingHeaders);
    }
    let Ok(tag) = B64.decode(header) else {
        return Err(SignatureError::Invalid);
    };
    // Every secret is tried (no early return), so the time taken does not say which matched.
    let mut matched = false;
    for secret in secrets.live.iter().filter(|s| !s.is_empty()) {
        // HMAC takes keys of any length; `new_from_slice` only fails for fixed-size MACs.
        let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(secret.as_bytes())
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
        mac.update(req.body);
        matched |= mac.verify_slice(&tag).is_ok();
    }
    if matched {
        Ok(())
    } else {
        Err(SignatureError::Invalid)
    }
}

/// Reads a callback: `response_completed` and `response_updated` about a response become a
/// [`Reading::Fetch`]; every other event (a deletion, a response only started, collectors,
/// surveys, apps) is [`Reading::Ignored`]. A body without the callback's shape (no
/// `event_type`; for a response event, no survey or response id) is refused.
pub fn read(body: &Value, cx: &Context) -> Result<Reading, Vec<FieldError>> {
    let Some(obj) = body.as_object() else {
        return Err(vec![FieldError::new(
            "",
            "must be a SurveyMonkey webhook callback (a JSON object)",
        )]);
    };
    let event_type = match obj.get("event_type") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim(),
        _ => {
            return Err(vec![FieldError::new(
                "/event_type",
                "must be the event's type, a string (every SurveyMonkey callback has one)",
            )])
        }
    };
    let resources = match obj.get("resources") {
        None | Some(Value::Null) => None,
        Some(Value::Object(r)) => Some(r),
        Some(_) => return Err(vec![FieldError::new("/resources", "must be an object")]),
    };
    let ignored = |why: &str| Ok(Reading::Ignored(why.to_owned()));
    match event_type {
        "response_completed" | "response_updated" => {}
        "response_created" => return ignored("a response was started, not yet completed"),
        "response_deleted" => return ignored("a response was deleted"),
        "response_disqualified" => return ignored("a response was disqualified"),
        "response_overquota" => return ignored("a response was over the survey's quota"),
        _ => return ignored("the event is not about a response"),
    }
    match obj
        .get("object_type")
        .and_then(Value::as_str)
        .map(str::trim)
    {
        None | Some("") | Some("response") => {}
        Some(_) => return ignored("the event is not about a response"),
    }

    let resource = |key: &str| resources.and_then(|r| r.get(key)).and_then(text_of);
    let mut errors = Vec::new();
    let mut id_at = |pointer: &str, value: Option<String>, missing: &str| match value {
        Some(id) if is_id(&id) => Some(id),
        Some(_) => {
            errors.push(FieldError::new(
                pointer,
                "must be a SurveyMonkey id (at most 64 letters, digits, - or _)",
            ));
            None
        }
        None => {
            errors.push(FieldError::new(pointer, missing));
            None
        }
    };
    let survey_id = id_at(
        "/resources/survey_id",
        resource("survey_id"),
        "is required for a response event",
    );
    let (response_pointer, response_id) = match (
        obj.get("object_id").and_then(text_of),
        resource("respondent_id"),
    ) {
        (None, Some(id)) => ("/resources/respondent_id", Some(id)),
        (id, _) => ("/object_id", id),
    };
    let response_id = id_at(
        response_pointer,
        response_id,
        "is required for a response event (the response's id)",
    );
    let (Some(survey_id), Some(response_id)) = (survey_id, response_id) else {
        return Err(errors);
    };
    Ok(Reading::Fetch(FetchRequest {
        survey_id,
        response_id,
        event_id: obj
            .get("event_id")
            .and_then(text_of)
            .map(|s| truncate_chars(&s, 128)),
        event_type: event_type.to_owned(),
        collector_id: resource("collector_id").filter(|id| is_id(id)),
        event_at: obj.get("event_datetime").and_then(|v| parse_time(v, cx.tz)),
    }))
}

/// An id safe to put in a URL path: SurveyMonkey's are digits; letters, `-` and `_` are let
/// through for mirrors, nothing that could climb out of the path.
fn is_id(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

// ---------------------------------------------------------------------------------------------
// Fetching

/// Which of the two API resources a fetch was reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// `GET /v3/surveys/{id}/responses/{id}/details`.
    Response,
    /// `GET /v3/surveys/{id}/details`.
    Survey,
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Resource::Response => "response details",
            Resource::Survey => "survey details",
        })
    }
}

/// Why a response could not be fetched. No variant carries the token or a URL (a mirror's URL
/// may hold credentials); `Transport` and `Parse` carry causes' text for the logs, which
/// [`FetchError::summary`] leaves out.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("no SurveyMonkey access token, or one that cannot be sent in a header")]
    BadToken,
    #[error("the SurveyMonkey API base URL is not an http(s) URL")]
    BadBaseUrl,
    #[error("the survey or response id is not a SurveyMonkey id")]
    BadId,
    #[error("SurveyMonkey answered HTTP {status} for the {resource}")]
    Http { resource: Resource, status: u16 },
    /// The network: what answered (or did not) stays in `detail`, for the log.
    #[error(
        "could not fetch the {resource} from SurveyMonkey: {}",
        crate::collect::fetch::UNREACHABLE
    )]
    Transport {
        resource: Resource,
        kind: TransportKind,
        detail: String,
    },
    #[error("the {resource} are larger than {limit} bytes")]
    TooLarge { resource: Resource, limit: usize },
    #[error("the {resource} are not the JSON SurveyMonkey sends: {detail}")]
    Parse { resource: Resource, detail: String },
}

impl FetchError {
    /// What went wrong, short and safe to show a workspace's admins: no URL, no token, no
    /// causes' text (which may name internal hosts and ports).
    pub fn summary(&self) -> String {
        match self {
            FetchError::BadToken => "the SurveyMonkey access token is missing or invalid".into(),
            FetchError::BadBaseUrl => "the SurveyMonkey API base URL is not an http(s) URL".into(),
            FetchError::BadId => "the callback's survey or response id is not an id".into(),
            FetchError::Http { resource, status } => match status {
                401 => "SurveyMonkey refused the access token (HTTP 401)".into(),
                403 => format!(
                    "the access token may not read the {resource} (HTTP 403): \
                     the app needs the View Surveys and View Response Details scopes"
                ),
                404 => format!("SurveyMonkey has no such {resource} (HTTP 404)"),
                429 => "SurveyMonkey's rate limit was reached (HTTP 429)".into(),
                _ => format!("SurveyMonkey answered HTTP {status} for the {resource}"),
            },
            FetchError::Transport { .. } => format!(
                "SurveyMonkey {}",
                crate::collect::fetch::UNREACHABLE.trim_start_matches("the server ")
            ),
            FetchError::TooLarge { resource, limit } => {
                format!("the {resource} are larger than {limit} bytes")
            }
            FetchError::Parse { resource, .. } => {
                format!("the {resource} are not the JSON SurveyMonkey sends")
            }
        }
    }

    /// Whether trying again later may succeed: the network, a timeout, HTTP 408, 429 or 5xx.
    pub fn is_retryable(&self) -> bool {
        match self {
            FetchError::Transport { .. } => true,
            FetchError::Http { status, .. } => matches!(status, 408 | 429 | 500..=599),
            _ => false,
        }
    }
}

/// Fetches a response a callback named and reads it: `GET {base}/v3/surveys/{survey_id}/
/// responses/{response_id}/details` and the survey's questions, `GET {base}/v3/surveys/
/// {survey_id}/details` (both, at once, on every call: two calls of the app's daily budget),
/// each with `Authorization: bearer {api_token}`.
///
/// `base_url` replaces [`DEFAULT_BASE_URL`] (another datacenter's `access_url`, a mirror, a
/// test server); it may end in `/` or `/v3`, and may have a path of its own. Timeouts and
/// redirects are the `http` client's; each body is refused past [`MAX_BODY_BYTES`]. Either
/// call failing fails the fetch (the headings and choices are needed to tell text from
/// choices and to find the NPS).
pub async fn fetch_response(
    http: &Outbound,
    req: &FetchRequest,
    api_token: &str,
    base_url: Option<&str>,
    cx: &Context,
) -> Result<ToolResponse, FetchError> {
    use reqwest::header::HeaderValue;

    if !is_id(&req.survey_id) || !is_id(&req.response_id) {
        return Err(FetchError::BadId);
    }
    // A token pasted with its scheme ("Bearer …") is sent once, not as "bearer Bearer …".
    let token = api_token.trim();
    let token = match (token.get(..6), token.get(6..)) {
        (Some(scheme), Some(rest))
            if scheme.eq_ignore_ascii_case("bearer")
                && (rest.is_empty() || rest.starts_with(char::is_whitespace)) =>
        {
            rest.trim_start()
        }
        _ => token,
    };
    if token.is_empty() {
        return Err(FetchError::BadToken);
    }
    let mut auth =
        HeaderValue::from_str(&format!("bearer {token}")).map_err(|_| FetchError::BadToken)?;
    auth.set_sensitive(true);

    let base = api_base(base_url)?;
    let (sid, rid) = (req.survey_id.as_str(), req.response_id.as_str());
    let response_url = endpoint(&base, &["surveys", sid, "responses", rid, "details"]);
    let survey_url = endpoint(&base, &["surveys", sid, "details"]);
    let (response, survey) = futures_util::future::try_join(
        get_json(http, response_url, &auth, Resource::Response),
        get_json(http, survey_url, &auth, Resource::Survey),
    )
    .await?;
    Ok(read_response(
        &response,
        Some(&survey),
        Some((sid, rid)),
        cx,
    ))
}

/// The API's base: http(s), without query, fragment, trailing slashes or a trailing `/v3`.
fn api_base(base_url: Option<&str>) -> Result<reqwest::Url, FetchError> {
    let raw = base_url
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or(DEFAULT_BASE_URL);
    let mut url = reqwest::Url::parse(raw).map_err(|_| FetchError::BadBaseUrl)?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(FetchError::BadBaseUrl);
    }
    url.set_query(None);
    url.set_fragment(None);
    let segments = url.path_segments().map_or(0, |s| s.count());
    {
        let mut path = url
            .path_segments_mut()
            .map_err(|_| FetchError::BadBaseUrl)?;
        for _ in 0..segments {
            path.pop_if_empty();
        }
    }
    if url.path_segments().and_then(|mut s| s.next_back()) == Some("v3") {
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop();
        }
    }
    Ok(url)
}

/// `{base}/v3/{parts…}`, each part percent-encoded as one path segment.
fn endpoint(base: &reqwest::Url, parts: &[&str]) -> reqwest::Url {
    let mut url = base.clone();
    // `api_base` only returns URLs that can be a base.
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().push("v3").extend(parts);
    }
    url
}

/// GETs one JSON object, reading the body chunk by chunk up to [`MAX_BODY_BYTES`].
async fn get_json(
    http: &Outbound,
    url: reqwest::Url,
    auth: &reqwest::header::HeaderValue,
    resource: Resource,
) -> Result<Value, FetchError> {
    use reqwest::header;

    let req = http
        .get(url)
        .header(header::AUTHORIZATION, auth.clone())
        .header(header::ACCEPT, "application/json");
    let mut resp = http.send(req).await.map_err(|e| match e {
        OutboundError::Http(e) => transport_error(e, resource),
        refused @ OutboundError::Refused(_) => {
            let detail = refused.log_detail();
            tracing::warn!(%detail, "outgoing request refused");
            FetchError::Transport {
                resource,
                kind: TransportKind::Connect,
                detail,
            }
        }
    })?;
    let status = resp.status();
    if !status.is_success() {
        return Err(FetchError::Http {
            resource,
            status: status.as_u16(),
        });
    }
    let too_large = FetchError::TooLarge {
        resource,
        limit: MAX_BODY_BYTES,
    };
    if resp
        .content_length()
        .is_some_and(|n| n > MAX_BODY_BYTES as u64)
    {
        return Err(too_large);
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| transport_error(e, resource))?
    {
        if body.len().saturating_add(chunk.len()) > MAX_BODY_BYTES {
            return Err(too_large);
        }
        body.extend_from_slice(&chunk);
    }
    let parse = |detail: String| FetchError::Parse {
        resource,
        detail: truncate_chars(&detail, 200),
    };
    match serde_json::from_slice::<Value>(&body) {
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(_) => Err(parse("not a JSON object".into())),
        Err(e) => Err(parse(e.to_string())),
    }
}

/// A transport error as text without the URL: reqwest's message and its causes, bounded.
fn transport_error(e: reqwest::Error, resource: Resource) -> FetchError {
    let (kind, detail) = transport_parts(e);
    FetchError::Transport {
        resource,
        kind,
        detail,
    }
}

// ---------------------------------------------------------------------------------------------
// Reading a response's details

/// Reads a response's details (`/responses/{id}/details`, or one element of `/responses/bulk`)
/// with, when given, its survey's details (`/surveys/{id}/details`) for headings, question
/// kinds and choices.
///
/// - `id`: `"{survey_id}:{id}"` (the response's own fields; `survey.id` when the response has no
///   `survey_id`).
/// - Text answers, in page and question order: `{"text"}` of `open_ended` questions (single,
///   multi rows, essay; not sliders, file uploads, numerical ones, nor single boxes validated as
///   numbers, dates or e-mail) and every `{"other_id", "text"}` (an "other" or comment box);
///   `demographic`, `datetime` and choice questions' texts stay in `raw_answers`. The question
///   is the heading without HTML (and the row's text for a multi-row question); `question_id`
///   is the question id, `{question}:{row}` for a row. Without the survey, only a bare
///   `{"text"}` that is not a number counts as text.
/// - `raw_answers`: every question's `answers` array as SurveyMonkey gave it, each element with
///   what the survey says of its ids added: `choice_text`, `choice_weight`, `row_text`,
///   `col_text`, `other_text`.
/// - NPS (the encoding is **not documented**): a one-row question whose scale has exactly 11
///   choices (`is_na` ones aside), marked NPS by the tool (`nps` or `net_promoter` in its
///   family, subtype or display type) or, in a `matrix` or numbered scale, whose heading says
///   "recommend", "net promoter", "NPS" or "推荐", or whose end labels (or end choices) say "not
///   at all likely" and "extremely likely". A plain 0–10 scale stays in `raw_answers`.
/// - Star rating: a `matrix` `rating` question shown as `emoji` (star, heart, smiley; not
///   thumbs) with exactly five choices → `rating` 1–5. Other scales stay in `raw_answers`.
/// - A chosen value is the number its choice's text starts with when the texts number the
///   scale, else the choice's `weight` when the weights are exactly the scale, else its place on
///   the scale (by `position`). The first answered question of each kind wins.
/// - `respondent_id`: the first of `respondent_id`, `user_id`, `userid`, `uid`, `customer_id`,
///   `member_id`, `openid` in `custom_variables` (any case), else `custom_value` (the link's
///   `c=` parameter), else `recipient_id` (an email collector's contact; not `""` or `"0"`).
///   `attributes`: every custom variable (strings cut to 200 characters, at most 50).
/// - `submitted_at`: `date_created`; `updated_at`: `date_modified`; `complete`: true.
pub fn read_details(response: &Value, survey: Option<&Value>, cx: &Context) -> ToolResponse {
    read_response(response, survey, None, cx)
}

/// [`read_details`], with the ids the fetch asked for when the response lacks its own.
fn read_response(
    response: &Value,
    survey: Option<&Value>,
    asked: Option<(&str, &str)>,
    cx: &Context,
) -> ToolResponse {
    let field = |key: &str| response.get(key).and_then(text_of);
    let survey_id = field("survey_id")
        .or_else(|| asked.map(|(s, _)| s.to_owned()))
        .or_else(|| survey.and_then(|s| s.get("id")).and_then(text_of));
    let response_id = field("id")
        .or_else(|| asked.map(|(_, r)| r.to_owned()))
        .unwrap_or_default();
    let id = match survey_id {
        Some(s) => format!("{s}:{response_id}"),
        None => response_id,
    };

    let questions = survey.map(questions_of).unwrap_or_default();
    let mut out = ToolResponse {
        id,
        submitted_at: response
            .get("date_created")
            .and_then(|v| parse_time(v, cx.tz)),
        updated_at: response
            .get("date_modified")
            .and_then(|v| parse_time(v, cx.tz)),
        complete: true,
        ..ToolResponse::default()
    };
    let mut used_keys = HashSet::new();

    let pages = response.get("pages").and_then(Value::as_array);
    for page in pages.into_iter().flatten() {
        let page_questions = page.get("questions").and_then(Value::as_array);
        for q in page_questions.into_iter().flatten() {
            let Some(qid) = q.get("id").and_then(text_of) else {
                continue;
            };
            let info = questions.get(&qid);
            let Some(answers) = q.get("answers").and_then(Value::as_array) else {
                if let Some(raw) = q.get("answers") {
                    out.raw_answers.insert(qid, raw.clone());
                }
                continue;
            };
            let mut raw = Vec::with_capacity(answers.len());
            for a in answers {
                let Some(a) = a.as_object() else {
                    raw.push(a.clone());
                    continue;
                };
                raw.push(Value::Object(enriched(a, info)));
                if let Some(answer) = text_answer(&qid, a, info, &mut used_keys) {
                    out.answers.push(answer);
                }
                if let (Some(info), Some(choice)) = (info, a.get("choice_id").and_then(text_of)) {
                    score(info, &choice, &mut out.scores);
                }
            }
            out.raw_answers.insert(qid, Value::Array(raw));
        }
    }

    let custom = response.get("custom_variables").and_then(Value::as_object);
    if let Some(custom) = custom {
        out.attributes = attributes_of(custom);
    }
    out.respondent_id = custom
        .and_then(respondent_of)
        .or_else(|| field("custom_value"))
        .or_else(|| field("recipient_id").filter(|r| r != "0"))
        .map(|s| truncate_chars(&s, 200));
    out
}

/// What the survey says of one question.
#[derive(Debug, Default)]
struct Question {
    heading: Option<String>,
    family: String,
    subtype: String,
    display_type: String,
    display_subtype: String,
    validation: String,
    left_label: String,
    right_label: String,
    rows: HashMap<String, String>,
    cols: HashMap<String, String>,
    /// The scale or options, in the survey's order (`answers.choices`).
    choices: Vec<Choice>,
    /// A matrix menu's columns' own choices.
    col_choices: Vec<Choice>,
    others: HashMap<String, String>,
}

#[derive(Debug)]
struct Choice {
    id: String,
    text: String,
    weight: Option<i64>,
    position: Option<i64>,
    is_na: bool,
}

impl Question {
    fn choice(&self, id: &str) -> Option<&Choice> {
        self.choices
            .iter()
            .chain(&self.col_choices)
            .find(|c| c.id == id)
    }
}

/// Every question of a survey's details, by id.
fn questions_of(survey: &Value) -> HashMap<String, Question> {
    let mut out = HashMap::new();
    let pages = survey.get("pages").and_then(Value::as_array);
    for page in pages.into_iter().flatten() {
        let questions = page.get("questions").and_then(Value::as_array);
        for q in questions.into_iter().flatten() {
            let Some(id) = q.get("id").and_then(text_of) else {
                continue;
            };
            out.insert(id, question_of(q));
        }
    }
    out
}

fn question_of(q: &Value) -> Question {
    let lower = |v: Option<&Value>| {
        v.and_then(Value::as_str)
            .map(|s| s.trim().to_lowercase())
            .unwrap_or_default()
    };
    let display = q.get("display_options");
    let heading = q
        .get("headings")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|h| h.get("heading").and_then(Value::as_str))
        .map(strip_html)
        .find(|h| !h.is_empty())
        .map(|h| truncate_chars(&h, MAX_HEADING_CHARS));
    let answers = q.get("answers");
    let list = |key: &str| {
        answers
            .and_then(|a| a.get(key))
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
    };
    let texts = |items: &[Value]| -> HashMap<String, String> {
        items
            .iter()
            .filter_map(|i| Some((i.get("id").and_then(text_of)?, label_of(i))))
            .collect()
    };
    let mut others = HashMap::new();
    if let Some(other) = answers.and_then(|a| a.get("other")) {
        if let Some(id) = other.get("id").and_then(text_of) {
            others.insert(id, label_of(other));
        }
    }
    Question {
        heading,
        family: lower(q.get("family")),
        subtype: lower(q.get("subtype")),
        display_type: lower(display.and_then(|d| d.get("display_type"))),
        display_subtype: lower(display.and_then(|d| d.get("display_subtype"))),
        validation: lower(q.get("validation").and_then(|v| v.get("type"))),
        left_label: lower(display.and_then(|d| d.get("left_label"))),
        right_label: lower(display.and_then(|d| d.get("right_label"))),
        rows: texts(list("rows")),
        cols: texts(list("cols")),
        choices: list("choices").iter().filter_map(choice_of).collect(),
        col_choices: list("cols")
            .iter()
            .filter_map(|c| c.get("choices").and_then(Value::as_array))
            .flatten()
            .filter_map(choice_of)
            .collect(),
        others,
    }
}

fn choice_of(c: &Value) -> Option<Choice> {
    let int = |key: &str| {
        c.get(key).and_then(|v| match v {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        })
    };
    Some(Choice {
        id: c.get("id").and_then(text_of)?,
        text: label_of(c),
        weight: int("weight"),
        position: int("position"),
        is_na: c.get("is_na").and_then(Value::as_bool).unwrap_or(false),
    })
}

/// An item's `text` without HTML.
fn label_of(item: &Value) -> String {
    item.get("text")
        .and_then(Value::as_str)
        .map(strip_html)
        .unwrap_or_default()
}

/// Survey text as plain text: tags dropped (block-level ones as a space), entities decoded,
/// white space collapsed. A `<` not starting a tag is kept.
fn strip_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('<') {
        out.push_str(&rest[..at]);
        let tag = &rest[at + 1..];
        let starts_tag = tag
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '/' || c == '!');
        match tag.find('>').filter(|_| starts_tag) {
            Some(end) => {
                let name: String = tag[..end]
                    .trim_start_matches('/')
                    .chars()
                    .take_while(char::is_ascii_alphanumeric)
                    .collect::<String>()
                    .to_ascii_lowercase();
                if matches!(
                    name.as_str(),
                    "br" | "p" | "div" | "li" | "tr" | "td" | "h1" | "h2" | "h3" | "h4" | "h5"
                ) {
                    out.push(' ');
                }
                rest = &tag[end + 1..];
            }
            None => {
                out.push('<');
                rest = tag;
            }
        }
    }
    out.push_str(rest);
    html_escape::decode_html_entities(&out)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// An answer as SurveyMonkey gave it, with the texts (and a choice's weight) its ids stand for.
fn enriched(a: &Map<String, Value>, q: Option<&Question>) -> Map<String, Value> {
    let mut out = a.clone();
    let Some(q) = q else { return out };
    let id = |key: &str| a.get(key).and_then(text_of);
    let mut put = |key: &str, value: Option<Value>| {
        if let Some(v) = value.filter(|v| v.as_str() != Some("")) {
            out.insert(key.to_owned(), v);
        }
    };
    let choice = id("choice_id").and_then(|c| q.choice(&c));
    put("choice_text", choice.map(|c| Value::from(c.text.as_str())));
    put(
        "choice_weight",
        choice.and_then(|c| c.weight).map(Value::from),
    );
    let text = |map: &HashMap<String, String>, key: &str| {
        id(key)
            .and_then(|i| map.get(&i))
            .map(|t| Value::from(t.as_str()))
    };
    put("row_text", text(&q.rows, "row_id"));
    put("col_text", text(&q.cols, "col_id"));
    put("other_text", text(&q.others, "other_id"));
    out
}

/// The answer as a text answer, if it is one (see [`read_details`]).
fn text_answer(
    qid: &str,
    a: &Map<String, Value>,
    q: Option<&Question>,
    used_keys: &mut HashSet<String>,
) -> Option<Answer> {
    let text = a.get("text").and_then(Value::as_str)?.trim();
    if text.is_empty() || !is_text(a, text, q) {
        return None;
    }
    let row_id = a.get("row_id").and_then(text_of);
    let mut key = match &row_id {
        Some(row) => format!("{qid}:{row}"),
        None => qid.to_owned(),
    };
    if used_keys.contains(&key) {
        if let Some(other) = a.get("other_id").and_then(text_of) {
            key = format!("{key}:{other}");
        }
    }
    let mut n = 2;
    let base = key.clone();
    while used_keys.contains(&key) {
        key = format!("{base}#{n}");
        n += 1;
    }
    used_keys.insert(key.clone());

    let heading = q.and_then(|q| q.heading.clone());
    let row = row_id
        .and_then(|r| q.and_then(|q| q.rows.get(&r)))
        .filter(|r| !r.is_empty());
    let question = match (heading, row) {
        (Some(h), Some(r)) => Some(format!("{h} — {r}")),
        (h, r) => h.or_else(|| r.cloned()),
    };
    Some(Answer {
        question_id: key,
        question,
        text: text.to_owned(),
    })
}

fn is_text(a: &Map<String, Value>, text: &str, q: Option<&Question>) -> bool {
    if a.contains_key("other_id") {
        return true;
    }
    let bare = || {
        !a.contains_key("row_id")
            && !a.contains_key("col_id")
            && !a.contains_key("choice_id")
            && text.parse::<f64>().is_err()
    };
    let Some(q) = q else { return bare() };
    match q.family.as_str() {
        "open_ended" => {
            !matches!(q.display_type.as_str(), "slider" | "file_upload")
                && q.subtype != "numerical"
                && !matches!(
                    q.validation.as_str(),
                    "integer" | "decimal" | "date_us" | "date_intl" | "email"
                )
        }
        "single_choice" | "multiple_choice" | "matrix" | "demographic" | "datetime"
        | "presentation" => false,
        // A family this reader does not know yet.
        _ => bare(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ScoreKind {
    Nps,
    Rating,
}

/// Sets the score a chosen answer gives, when its question is an NPS or star rating one and
/// that score is not set yet.
fn score(q: &Question, choice_id: &str, scores: &mut crate::domain::Scores) {
    let Some(kind) = score_kind(q) else { return };
    let (slot, lo, hi): (_, i16, i16) = match kind {
        ScoreKind::Nps => (&mut scores.nps, 0, 10),
        ScoreKind::Rating => (&mut scores.rating, 1, 5),
    };
    if slot.is_some() {
        return;
    }
    let scale = scale_of(q);
    let Some(numbers) = scale_numbers(&scale, lo.into(), hi.into()) else {
        return;
    };
    let Some(at) = scale.iter().position(|c| c.id == choice_id) else {
        return;
    };
    *slot = numbers
        .get(at)
        .and_then(|n| score_in(&Value::from(*n), lo, hi));
}

/// The question's scale: its choices but "not applicable" ones, by position.
fn scale_of(q: &Question) -> Vec<&Choice> {
    let mut scale: Vec<&Choice> = q.choices.iter().filter(|c| !c.is_na).collect();
    if scale.iter().all(|c| c.position.is_some()) {
        scale.sort_by_key(|c| c.position);
    }
    scale
}

fn score_kind(q: &Question) -> Option<ScoreKind> {
    if q.rows.len() > 1 {
        // Several statements rated on one scale: no single score.
        return None;
    }
    let scale = scale_of(q);
    let marked = [&q.family, &q.subtype, &q.display_type, &q.display_subtype]
        .iter()
        .any(|s| s.as_str() == "nps" || s.contains("net_promoter") || s.contains("nps"));
    if scale.len() == 11 {
        let numbered = numbers_in_texts(&scale, 0, 10).is_some();
        if marked || ((q.family == "matrix" || numbered) && looks_nps(q, &scale)) {
            return Some(ScoreKind::Nps);
        }
    }
    if q.family == "matrix"
        && q.subtype == "rating"
        && q.display_type == "emoji"
        && q.display_subtype != "thumb"
        && scale.len() == 5
    {
        return Some(ScoreKind::Rating);
    }
    None
}

/// The heading asks the NPS question, or the ends of the scale are labelled as SurveyMonkey's
/// NPS template labels them.
fn looks_nps(q: &Question, scale: &[&Choice]) -> bool {
    let heading = q.heading.as_deref().unwrap_or("").to_lowercase();
    let says_nps = heading.contains("recommend")
        || heading.contains("net promoter")
        || heading.contains("推荐")
        || heading
            .split(|c: char| !c.is_ascii_alphanumeric())
            .any(|w| w == "nps");
    let ends = |left: &str, right: &str| {
        left.contains("not at all likely") && right.contains("extremely likely")
    };
    let first = scale
        .first()
        .map(|c| c.text.to_lowercase())
        .unwrap_or_default();
    let last = scale
        .last()
        .map(|c| c.text.to_lowercase())
        .unwrap_or_default();
    says_nps || ends(&q.left_label, &q.right_label) || ends(&first, &last)
}

/// The number each place on the scale stands for, `lo..=hi` in all: the numbers the choices'
/// texts start with when they are exactly those, else the weights when they are, else the
/// places themselves.
fn scale_numbers(scale: &[&Choice], lo: i64, hi: i64) -> Option<Vec<i64>> {
    if scale.len() as i64 != hi - lo + 1 {
        return None;
    }
    if let Some(numbers) = numbers_in_texts(scale, lo, hi) {
        return Some(numbers);
    }
    let weights: Option<Vec<i64>> = scale.iter().map(|c| c.weight).collect();
    if let Some(weights) = weights.filter(|w| is_exactly(w, lo, hi)) {
        return Some(weights);
    }
    Some((lo..=hi).collect())
}

/// The integers the choices' texts begin with ("0 - Not at all likely" → 0), when every text
/// begins with one and together they are exactly `lo..=hi`.
fn numbers_in_texts(scale: &[&Choice], lo: i64, hi: i64) -> Option<Vec<i64>> {
    let numbers: Vec<i64> = scale
        .iter()
        .map(|c| {
            let digits: String = c.text.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
        .collect::<Option<_>>()?;
    is_exactly(&numbers, lo, hi).then_some(numbers)
}

fn is_exactly(numbers: &[i64], lo: i64, hi: i64) -> bool {
    let mut sorted = numbers.to_vec();
    sorted.sort_unstable();
    sorted.into_iter().eq(lo..=hi)
}

/// Custom variables as attributes: strings (cut to 200 characters), numbers and booleans under
/// names of 1 to 64 bytes, at most 50.
fn attributes_of(custom: &Map<String, Value>) -> Map<String, Value> {
    custom
        .iter()
        .filter(|(k, _)| (1..=64).contains(&k.len()))
        .filter_map(|(k, v)| {
            let v = match v {
                Value::String(s) => Value::String(truncate_chars(s, 200)),
                Value::Number(_) | Value::Bool(_) => v.clone(),
                _ => return None,
            };
            Some((k.clone(), v))
        })
        .take(50)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Scores;
    use chrono::{DateTime, Utc};
    use serde_json::json;
    use std::sync::{Arc, Mutex};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    macro_rules! fixture {
        ($name:literal) => {
            include_str!(concat!(
                "../../../tests/fixtures/presets/surveymonkey/",
                $name
            ))
        };
    }

    fn json_of(s: &str) -> Value {
        serde_json::from_str(s).unwrap()
    }

    fn cx() -> Context {
        Context {
            tz: chrono_tz::Asia::Shanghai,
            now: at("2026-03-02T00:00:00Z"),
        }
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    // --- Signatures ----------------------------------------------------------------------
    //
    // Expected values computed independently with Python's hmac/hashlib/base64 in a shell:
    //   base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha1).digest())
    // with `body` the exact bytes of the fixture file. The first one is also the research's
    // vector for this fixture (`/work/research/connect/surveymonkey.md` §1.4).

    const KEY: &str = "my_client_id&my_client_secret";
    const ROTATED: &str = "9tDk3QzqRy2s8ZbKYIvN0w&Lq7hYd2P1mKc4vTr9sXe0uWj6NaBf3Gz";
    const SIG_RESPONSE_EVENT: &str = "SXmUOFnnbu4kN71J2dvz57cJGmA=";
    const SIG_RESPONSE_EVENT_ROTATED: &str = "fBBy2WhcA6oVMSyq8Pi/BFdcYJM=";
    const SIG_COLLECTOR_EVENT: &str = "LpW0JIkMATS9CRvtknnpKjlJaeU=";
    /// A constructed body with UTF-8 (signed as raw bytes).
    const UTF8_BODY: &str = r#"{"name":"回访 Webhook","event_type":"response_completed","object_type":"response","object_id":"900000001","event_id":"77","resources":{"survey_id":"400000001"}}"#;
    const SIG_UTF8_BODY: &str = "cnBAv2W3bgto/lOpgE45zAbF13Y=";

    fn check(body: &[u8], signature: Option<&str>, secrets: &[&str]) -> Result<(), SignatureError> {
        let headers: Vec<(String, String)> = signature
            .map(|s| vec![("sm-signature".to_owned(), s.to_owned())])
            .unwrap_or_default();
        verify(
            &Incoming {
                headers: &headers,
                body,
            },
            &Secrets {
                live: secrets.to_vec(),
            },
        )
    }

    #[test]
    fn accepts_signatures_made_with_any_live_secret() {
        let body = fixture!("webhook_response_event_data.json").as_bytes();
        assert_eq!(body.len(), 439);
        assert_eq!(check(body, Some(SIG_RESPONSE_EVENT), &[KEY]), Ok(()));
        assert_eq!(
            check(body, Some(SIG_RESPONSE_EVENT_ROTATED), &[KEY, ROTATED]),
            Ok(())
        );
        assert_eq!(
            check(body, Some(SIG_RESPONSE_EVENT), &[ROTATED, KEY]),
            Ok(())
        );
        assert_eq!(
            check(
                fixture!("webhook_collector_event_data.json").as_bytes(),
                Some(SIG_COLLECTOR_EVENT),
                &[KEY]
            ),
            Ok(())
        );
        assert_eq!(
            check(UTF8_BODY.as_bytes(), Some(SIG_UTF8_BODY), &[KEY]),
            Ok(())
        );
        // White space around the header value is no part of it.
        assert_eq!(
            check(body, Some(&format!(" {SIG_RESPONSE_EVENT}\t")), &[KEY]),
            Ok(())
        );
    }

    #[test]
    fn refuses_what_the_secret_did_not_sign() {
        let body = fixture!("webhook_response_event_data.json").as_bytes();
        // A wrong secret; the key or the secret alone (not `key&secret`); an empty secret.
        for secrets in [
            &[ROTATED][..],
            &["my_client_id"][..],
            &["my_client_secret"][..],
            &["my_client_secret&my_client_id"][..],
            &[""][..],
        ] {
            assert_eq!(
                check(body, Some(SIG_RESPONSE_EVENT), secrets),
                Err(SignatureError::Invalid),
                "{secrets:?}"
            );
        }
        // One changed byte of the body (Python gives 4CvkNbxFsxnn7+/0zaV7hnPP0q8= for it).
        let mut changed = body.to_vec();
        changed[100] ^= 1;
        assert_eq!(
            check(&changed, Some(SIG_RESPONSE_EVENT), &[KEY]),
            Err(SignatureError::Invalid)
        );
        assert_eq!(
            check(&changed, Some("4CvkNbxFsxnn7+/0zaV7hnPP0q8="), &[KEY]),
            Ok(())
        );
        // The same JSON re-serialised is not the body that was signed.
        let reserialised =
            serde_json::to_vec(&json_of(fixture!("webhook_response_event_data.json"))).unwrap();
        assert_eq!(
            check(&reserialised, Some(SIG_RESPONSE_EVENT), &[KEY]),
            Err(SignatureError::Invalid)
        );
        // Not base64, truncated, another event's signature.
        for sig in ["not base64!", "SXmUOFnnbu4kN71J2dvz", SIG_COLLECTOR_EVENT] {
            assert_eq!(
                check(body, Some(sig), &[KEY]),
                Err(SignatureError::Invalid),
                "{sig}"
            );
        }
    }

    #[test]
    fn a_missing_signature_is_unsigned() {
        let body = fixture!("webhook_response_event_data.json").as_bytes();
        assert_eq!(
            check(body, None, &[KEY]),
            Err(SignatureError::MissingHeaders)
        );
        assert_eq!(
            check(body, Some("  "), &[KEY]),
            Err(SignatureError::MissingHeaders)
        );
    }

    // --- Callbacks -----------------------------------------------------------------------

    #[test]
    fn a_completed_response_is_fetched() {
        let body = json_of(fixture!("webhook_response_event_data.json"));
        assert_eq!(
            read(&body, &cx()),
            Ok(Reading::Fetch(FetchRequest {
                survey_id: "123456789".into(),
                response_id: "123456".into(),
                event_id: Some("123456789".into()),
                event_type: "response_completed".into(),
                collector_id: Some("123456789".into()),
                event_at: Some(at("2016-01-01T21:56:31.182613Z")),
            }))
        );
        // The survey-filtered example (no respondent or recipient id) reads the same way.
        let Ok(Reading::Fetch(req)) = read(
            &json_of(fixture!("webhook_collector_event_data.json")),
            &cx(),
        ) else {
            panic!("not a fetch");
        };
        assert_eq!(
            (req.survey_id.as_str(), req.response_id.as_str()),
            ("123456789", "123456")
        );
    }

    #[test]
    fn an_updated_response_is_fetched_and_ids_may_be_numbers() {
        let body = json!({
            "event_type": "response_updated", "event_id": 42, "object_type": "response",
            "resources": {"survey_id": 400000001, "respondent_id": "900000001"},
            "event_datetime": "2026-03-01T08:03:11+00:00"
        });
        assert_eq!(
            read(&body, &cx()),
            Ok(Reading::Fetch(FetchRequest {
                survey_id: "400000001".into(),
                response_id: "900000001".into(),
                event_id: Some("42".into()),
                event_type: "response_updated".into(),
                collector_id: None,
                event_at: Some(at("2026-03-01T08:03:11Z")),
            }))
        );
    }

    #[test]
    fn other_events_are_ignored() {
        for (event_type, object_type) in [
            ("response_deleted", "response"),
            ("response_created", "response"),
            ("response_disqualified", "response"),
            ("response_overquota", "response"),
            ("collector_created", "collector"),
            ("collector_updated", "collector"),
            ("survey_updated", "survey"),
            ("app_installed", "app"),
            ("app_uninstalled", "app"),
            ("response_completed", "collector"),
        ] {
            let body = json!({
                "event_type": event_type, "object_type": object_type, "object_id": "1",
                "resources": {"survey_id": "2"}
            });
            assert!(
                matches!(read(&body, &cx()), Ok(Reading::Ignored(_))),
                "{event_type}"
            );
        }
        assert_eq!(
            read(
                &json!({"event_type": "response_deleted", "object_id": "1"}),
                &cx()
            ),
            Ok(Reading::Ignored("a response was deleted".into()))
        );
    }

    #[test]
    fn refuses_what_is_not_a_callback() {
        let pointers = |body: Value| -> Vec<String> {
            read(&body, &cx())
                .unwrap_err()
                .into_iter()
                .map(|e| e.field)
                .collect()
        };
        assert_eq!(pointers(json!([])), [""]);
        assert_eq!(pointers(json!("response_completed")), [""]);
        assert_eq!(pointers(json!({})), ["/event_type"]);
        assert_eq!(pointers(json!({"event_type": 3})), ["/event_type"]);
        assert_eq!(
            pointers(json!({"event_type": "response_completed", "resources": []})),
            ["/resources"]
        );
        assert_eq!(
            pointers(json!({"event_type": "response_completed", "object_type": "response"})),
            ["/resources/survey_id", "/object_id"]
        );
        assert_eq!(
            pointers(json!({
                "event_type": "response_completed", "object_id": "1",
                "resources": {"survey_id": "../../users/me"}
            })),
            ["/resources/survey_id"]
        );
        assert_eq!(
            pointers(json!({
                "event_type": "response_completed", "object_id": "1?x=2",
                "resources": {"survey_id": "2"}
            })),
            ["/object_id"]
        );
    }

    // --- Response details ----------------------------------------------------------------

    fn nps_survey() -> Value {
        json_of(fixture!("survey_details_nps_constructed.json"))
    }

    fn nps_response() -> Value {
        json_of(fixture!("response_details_nps_constructed.json"))
    }

    #[test]
    fn reads_texts_scores_and_the_person() {
        let r = read_details(&nps_response(), Some(&nps_survey()), &cx());
        assert_eq!(r.id, "400000001:900000001");
        assert_eq!(r.respondent_id.as_deref(), Some("u_42"));
        assert_eq!(r.submitted_at, Some(at("2026-03-01T08:00:00Z")));
        assert_eq!(r.updated_at, Some(at("2026-03-01T08:03:10Z")));
        assert!(r.complete);
        assert_eq!(
            r.scores,
            Scores {
                nps: Some(9),
                rating: Some(4),
                ..Scores::default()
            }
        );
        assert_eq!(
            r.answers,
            vec![
                Answer {
                    question_id: "600000002".into(),
                    question: Some("What is the main reason for your score?".into()),
                    text: "支付页面总是卡住，退款也很慢。".into(),
                },
                Answer {
                    question_id: "600000004".into(),
                    question: Some("What should we improve?".into()),
                    text: "发票开不出来".into(),
                },
                Answer {
                    question_id: "600000005:700000051".into(),
                    question: Some("Tell us more — Best thing".into()),
                    text: "Fast search".into(),
                },
            ]
        );
        assert_eq!(
            Value::Object(r.attributes),
            json!({"uid": "u_42", "plan": "pro"})
        );
        // Every question answered is kept, with what its ids stand for.
        assert_eq!(r.raw_answers.len(), 9);
        assert_eq!(
            r.raw_answers["600000001"],
            json!([{"row_id": "700000001", "choice_id": "810000009",
                    "choice_text": "9", "choice_weight": 9}])
        );
        assert_eq!(
            r.raw_answers["600000004"],
            json!([
                {"choice_id": "800000001", "choice_text": "Price"},
                {"other_id": "800000009", "text": "发票开不出来",
                 "other_text": "Other (please specify)"}
            ])
        );
        assert_eq!(
            r.raw_answers["600000006"],
            json!([{"text": "someone@example.com"}])
        );
        assert_eq!(
            r.raw_answers["600000007"],
            json!([{"row_id": "700000071", "text": "Zhang San", "row_text": "Name"}])
        );
        // A 0–10 scale that is not an NPS question is only kept.
        assert_eq!(r.raw_answers["600000008"][0]["choice_text"], json!("3"));
    }

    /// The NPS question of the constructed survey, changed by `edit`, answered with the
    /// choice of `choice_id`.
    fn nps_with(edit: impl FnOnce(&mut Value), choice_id: &str) -> Option<i16> {
        let mut survey = nps_survey();
        edit(&mut survey["pages"][0]["questions"][0]);
        let mut response = nps_response();
        response["pages"][0]["questions"][0]["answers"][0]["choice_id"] = json!(choice_id);
        read_details(&response, Some(&survey), &cx()).scores.nps
    }

    fn each_choice(q: &mut Value, mut f: impl FnMut(usize, &mut Value)) {
        for (i, c) in q["answers"]["choices"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .enumerate()
        {
            f(i, c);
        }
    }

    #[test]
    fn nps_values_come_from_texts_weights_or_places() {
        // As constructed: texts "0 - Not at all likely", "1" … "10 - Extremely likely".
        assert_eq!(nps_with(|_| {}, "810000000"), Some(0));
        assert_eq!(nps_with(|_| {}, "810000010"), Some(10));
        // No texts, weights 1–11: the place on the scale.
        let weights_from_one = |q: &mut Value| {
            each_choice(q, |i, c| {
                c["text"] = json!("");
                c["weight"] = json!(i + 1);
            })
        };
        assert_eq!(nps_with(weights_from_one, "810000009"), Some(9));
        // No texts, weights 0–10 given in reverse order of position: the weight.
        let reversed = |q: &mut Value| {
            each_choice(q, |i, c| {
                c["text"] = json!("");
                c["weight"] = json!(10 - i);
            })
        };
        assert_eq!(nps_with(reversed, "810000009"), Some(1));
        // No texts nor weights: the place by position.
        let bare = |q: &mut Value| {
            each_choice(q, |_, c| {
                c["text"] = json!("");
                c.as_object_mut().unwrap().remove("weight");
            })
        };
        assert_eq!(nps_with(bare, "810000007"), Some(7));
        // An unknown choice (or one the survey no longer has) gives no score.
        assert_eq!(nps_with(|_| {}, "999"), None);
    }

    #[test]
    fn nps_is_found_by_its_marks_only() {
        let neutral_heading = |q: &mut Value| {
            q["headings"] = json!([{"heading": "Rate the price from 0 to 10"}]);
        };
        let plain_texts = |q: &mut Value| each_choice(q, |i, c| c["text"] = json!(i.to_string()));
        // A plain 0–10 scale is not NPS.
        assert_eq!(
            nps_with(
                |q| {
                    neutral_heading(q);
                    plain_texts(q);
                },
                "810000009"
            ),
            None
        );
        // The template's end labels alone make it one (on the scale's ends or as labels).
        assert_eq!(nps_with(neutral_heading, "810000009"), Some(9));
        assert_eq!(
            nps_with(
                |q| {
                    neutral_heading(q);
                    plain_texts(q);
                    q["display_options"]["left_label"] = json!("Not at all likely");
                    q["display_options"]["right_label"] = json!("Extremely likely");
                },
                "810000009"
            ),
            Some(9)
        );
        // The tool marking it NPS does, whatever the heading.
        for (key, value) in [
            ("family", "nps"),
            ("subtype", "nps"),
            ("display_options", "nps"),
        ] {
            let marked = |q: &mut Value| {
                neutral_heading(q);
                plain_texts(q);
                if key == "display_options" {
                    q["display_options"]["display_type"] = json!(value);
                } else {
                    q[key] = json!(value);
                }
            };
            assert_eq!(nps_with(marked, "810000006"), Some(6), "{key}");
        }
        // A Chinese heading.
        assert_eq!(
            nps_with(
                |q| {
                    q["headings"] = json!([{"heading": "您向朋友推荐听见的可能性有多大？"}]);
                    plain_texts(q);
                },
                "810000008"
            ),
            Some(8)
        );
        // Not eleven choices (an "N/A" choice aside): no NPS.
        assert_eq!(
            nps_with(
                |q| {
                    q["answers"]["choices"].as_array_mut().unwrap().pop();
                },
                "810000009"
            ),
            None
        );
        assert_eq!(
            nps_with(
                |q| {
                    let na =
                        json!({"id": "810000099", "text": "N/A", "is_na": true, "position": 12});
                    q["answers"]["choices"].as_array_mut().unwrap().push(na);
                },
                "810000009"
            ),
            Some(9)
        );
        assert_eq!(
            nps_with(
                |q| {
                    let na =
                        json!({"id": "810000099", "text": "N/A", "is_na": true, "position": 12});
                    q["answers"]["choices"].as_array_mut().unwrap().push(na);
                },
                "810000099"
            ),
            None
        );
        // Several rows on one scale are no single score.
        assert_eq!(
            nps_with(
                |q| {
                    q["answers"]["rows"]
                        .as_array_mut()
                        .unwrap()
                        .push(json!({"id": "700000002", "text": "Support", "position": 2}));
                },
                "810000009"
            ),
            None
        );
    }

    #[test]
    fn only_a_five_point_emoji_scale_is_a_rating() {
        let rating_with = |edit: &dyn Fn(&mut Value)| {
            let mut survey = nps_survey();
            edit(&mut survey["pages"][0]["questions"][2]);
            read_details(&nps_response(), Some(&survey), &cx())
                .scores
                .rating
        };
        assert_eq!(rating_with(&|_| {}), Some(4));
        for subtype in ["heart", "smiley", ""] {
            assert_eq!(
                rating_with(&|q: &mut Value| {
                    q["display_options"]["display_subtype"] = json!(subtype)
                }),
                Some(4),
                "{subtype}"
            );
        }
        assert_eq!(
            rating_with(&|q: &mut Value| {
                q["display_options"]["display_subtype"] = json!("thumb")
            }),
            None
        );
        assert_eq!(
            rating_with(&|q: &mut Value| q["display_options"]["display_type"] = Value::Null),
            None
        );
        assert_eq!(
            rating_with(&|q: &mut Value| {
                let extra = json!({"id": "820000006", "text": "", "weight": 6, "position": 6});
                q["answers"]["choices"].as_array_mut().unwrap().push(extra);
            }),
            None
        );
    }

    #[test]
    fn reads_the_captured_display_options_survey() {
        // Real survey details (slider, tickboxes with "other", a six-heart rating, numerical
        // boxes); the response to it is constructed.
        let survey = json_of(fixture!("survey_details_display_options_captured.json"));
        let response = json_of(fixture!(
            "response_details_display_options_constructed.json"
        ));
        let r = read_details(&response, Some(&survey), &cx());
        assert_eq!(r.id, "111044731:10000000001");
        assert_eq!(
            r.answers,
            vec![Answer {
                question_id: "66540434".into(),
                question: Some("Tickboxes".into()),
                text: "Something else entirely".into(),
            }]
        );
        // Six hearts are not a 1–5 rating; the slider's number is no text.
        assert_eq!(r.scores, Scores::default());
        assert_eq!(
            r.raw_answers["66542392"],
            json!([{"row_id": "538438985", "choice_id": "538438990", "choice_weight": 5}])
        );
        assert_eq!(r.raw_answers["66541489"], json!([{"text": "42"}]));
        assert_eq!(
            r.raw_answers["66542595"][1],
            json!({"row_id": "538440164", "text": "30", "row_text": "Two"})
        );
        assert_eq!(
            r.raw_answers["66540434"][0],
            json!({"choice_id": "538427823", "choice_text": "second"})
        );
        // No custom variables: the link's custom value names the person.
        assert_eq!(r.respondent_id.as_deref(), Some("crm-7781"));
        assert!(r.attributes.is_empty());
        assert_eq!(r.submitted_at, Some(at("2016-11-13T09:00:00Z")));
    }

    #[test]
    fn headings_lose_their_html_and_answers_keep_theirs() {
        let survey = json_of(fixture!("survey_details_captured.json"));
        let response = json_of(fixture!("response_details_two_page_constructed.json"));
        let r = read_details(&response, Some(&survey), &cx());
        assert_eq!(
            r.answers,
            vec![Answer {
                question_id: "1013662081".into(),
                question: Some("Why is question 1?".into()),
                text: "Because it is the <first> one & only".into(),
            }]
        );
        assert_eq!(
            r.raw_answers["1013662957"],
            json!([{"choice_id": "10568741074", "choice_text": "CCC"}])
        );
        // No id among the custom variables, no custom value: the email recipient.
        assert_eq!(r.respondent_id.as_deref(), Some("5551212"));
        assert_eq!(
            Value::Object(r.attributes),
            json!({"custvar_1": "one", "custvar_2": "two"})
        );
        assert_eq!(
            strip_html("<p>A&nbsp;<b>b</b>&amp;c<br/>d</p> 1 < 2"),
            "A b&c d 1 < 2"
        );
    }

    #[test]
    fn reads_the_documented_and_captured_responses_without_a_survey() {
        let r = read_details(&json_of(fixture!("response_details.json")), None, &cx());
        assert_eq!(r.id, "105724755:5007154402");
        assert!(r.answers.is_empty());
        assert_eq!(r.scores, Scores::default());
        assert_eq!(
            r.raw_answers["319352786"],
            json!([{"choice_id": "3057839051"}])
        );
        // custvar_1/2 name nobody; the custom value does.
        assert_eq!(
            r.respondent_id.as_deref(),
            Some("custom identifier for the response")
        );
        assert_eq!(r.submitted_at, Some(at("2015-12-28T21:57:14Z")));
        assert_eq!(r.updated_at, Some(at("2015-12-28T21:59:38Z")));
        assert!(r.complete);

        // Real output: a bare number is not taken for text without the survey to say so.
        let r = read_details(
            &json_of(fixture!("response_details_captured.json")),
            None,
            &cx(),
        );
        assert_eq!(r.id, "84672934:4968420283");
        assert!(r.answers.is_empty());
        assert_eq!(r.raw_answers["1013185659"], json!([{"text": "22222"}]));
        assert_eq!(r.respondent_id, None);
        assert_eq!(r.updated_at, Some(at("2016-09-13T07:29:09Z")));

        // A bare text is, and so is an "other" text.
        let r = read_details(
            &json!({"id": "1", "survey_id": "2", "pages": [{"questions": [
                {"id": "3", "answers": [{"text": " 太贵了 "}]},
                {"id": "4", "answers": [{"choice_id": "5"}, {"other_id": "6", "text": "别的"}]},
                {"id": "7", "answers": [{"row_id": "8", "text": "a row"}]}
            ]}]}),
            None,
            &cx(),
        );
        let texts: Vec<(&str, &str)> = r
            .answers
            .iter()
            .map(|a| (a.question_id.as_str(), a.text.as_str()))
            .collect();
        assert_eq!(texts, [("3", "太贵了"), ("4", "别的")]);

        // An element of /responses/bulk is a response too; its 1970 dates are no times.
        let bulk = json_of(fixture!("responses_bulk.json"));
        let r = read_details(&bulk["data"][0], None, &cx());
        assert_eq!(r.id, "105723396:5007154325");
        assert_eq!(r.submitted_at, None);
        // recipient_id "0" is nobody; the custom value is somebody.
        assert_eq!(
            r.respondent_id.as_deref(),
            Some("custom identifier for the response")
        );
    }

    #[test]
    fn the_person_is_the_first_id_among_the_custom_variables() {
        let r = read_details(
            &json!({"id": "1", "survey_id": "2", "custom_value": "c-1", "recipient_id": "9",
                    "custom_variables": {"plan": "pro", "OpenID": "o-1", "User_ID": 77,
                                         "nested": {"a": 1}, "long": "x".repeat(300)}}),
            None,
            &cx(),
        );
        assert_eq!(r.respondent_id.as_deref(), Some("77"));
        assert_eq!(r.attributes.len(), 4);
        assert_eq!(r.attributes["long"].as_str().unwrap().chars().count(), 200);
        assert!(!r.attributes.contains_key("nested"));
    }

    // --- Fetching ------------------------------------------------------------------------

    /// What a test server was asked: `METHOD target` and the Authorization header.
    type Seen = Arc<Mutex<Vec<(String, String)>>>;
    type Answerer = Arc<dyn Fn(&str) -> String + Send + Sync>;

    fn ok_json(body: &str) -> String {
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{body}",
            body.len()
        )
    }

    fn status(code: u16) -> String {
        format!(
            "HTTP/1.1 {code} Nope\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\
             Connection: close\r\n\r\n{{}}"
        )
    }

    /// A one-connection-per-request HTTP/1.1 server on a free local port, answering each
    /// request's target with `answer`.
    async fn serve(answer: Answerer) -> (String, Seen, tokio::task::JoinHandle<()>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen: Seen = Arc::default();
        let log = seen.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut sock, _)) = listener.accept().await else {
                    return;
                };
                let (answer, log) = (answer.clone(), log.clone());
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut buf = [0u8; 2048];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match sock.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    let head = String::from_utf8_lossy(&head).into_owned();
                    let mut lines = head.split("\r\n");
                    let mut request_line = lines.next().unwrap_or("").split(' ');
                    let method = request_line.next().unwrap_or("").to_owned();
                    let target = request_line.next().unwrap_or("").to_owned();
                    let auth = lines
                        .filter_map(|l| l.split_once(':'))
                        .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
                        .map(|(_, v)| v.trim().to_owned())
                        .unwrap_or_default();
                    log.lock()
                        .unwrap()
                        .push((format!("{method} {target}"), auth));
                    let reply = answer(&target);
                    let _ = sock.write_all(reply.as_bytes()).await;
                    let _ = sock.shutdown().await;
                });
            }
        });
        (format!("http://{addr}"), seen, task)
    }

    fn client() -> Outbound {
        let local = crate::domain::net::AllowPrivate::parse("127.0.0.0/8").unwrap();
        let ten = std::time::Duration::from_secs(10);
        Outbound::with_timeouts(local, ten, ten).unwrap()
    }

    fn request() -> FetchRequest {
        FetchRequest {
            survey_id: "400000001".into(),
            response_id: "900000001".into(),
            event_id: Some("77".into()),
            event_type: "response_completed".into(),
            collector_id: Some("300000001".into()),
            event_at: None,
        }
    }

    const TOKEN: &str = "tok_SECRET_abc123";

    fn mirror() -> Answerer {
        Arc::new(|target: &str| match target {
            "/mirror/v3/surveys/400000001/responses/900000001/details" => {
                ok_json(fixture!("response_details_nps_constructed.json"))
            }
            "/mirror/v3/surveys/400000001/details" => {
                ok_json(fixture!("survey_details_nps_constructed.json"))
            }
            _ => status(404),
        })
    }

    #[tokio::test]
    async fn fetches_the_response_and_its_survey() {
        let (base, seen, server) = serve(mirror()).await;
        let got = fetch_response(
            &client(),
            &request(),
            TOKEN,
            Some(&format!("{base}/mirror/v3/")),
            &cx(),
        )
        .await
        .unwrap();
        let want = read_details(&nps_response(), Some(&nps_survey()), &cx());
        assert_eq!(got, want);
        assert_eq!(got.scores.nps, Some(9));
        assert_eq!(got.answers.len(), 3);

        let mut seen = seen.lock().unwrap().clone();
        seen.sort();
        let bearer = format!("bearer {TOKEN}");
        assert_eq!(
            seen,
            [
                (
                    "GET /mirror/v3/surveys/400000001/details".to_owned(),
                    bearer.clone()
                ),
                (
                    "GET /mirror/v3/surveys/400000001/responses/900000001/details".to_owned(),
                    bearer
                ),
            ]
        );
        server.abort();
    }

    #[tokio::test]
    async fn base_urls_are_joined_however_they_end() {
        let (base, seen, server) = serve(Arc::new(|target: &str| match target {
            "/v3/surveys/400000001/responses/900000001/details" => {
                ok_json(fixture!("response_details_nps_constructed.json"))
            }
            "/v3/surveys/400000001/details" => {
                ok_json(fixture!("survey_details_nps_constructed.json"))
            }
            _ => status(404),
        }))
        .await;
        for b in [
            base.clone(),
            format!("{base}/"),
            format!("{base}/v3"),
            format!("{base}//v3/?x=1#f"),
        ] {
            let r = fetch_response(&client(), &request(), TOKEN, Some(&b), &cx()).await;
            assert!(r.is_ok(), "{b}: {r:?}");
        }
        assert_eq!(seen.lock().unwrap().len(), 8);
        server.abort();

        // And the default is SurveyMonkey's own host.
        assert_eq!(
            endpoint(&api_base(None).unwrap(), &["surveys", "1", "details"]).as_str(),
            "https://api.surveymonkey.com/v3/surveys/1/details"
        );
        assert_eq!(
            endpoint(
                &api_base(Some("https://api.eu.surveymonkey.com/v3/")).unwrap(),
                &["surveys", "1", "details"]
            )
            .as_str(),
            "https://api.eu.surveymonkey.com/v3/surveys/1/details"
        );
        for bad in ["ftp://x", "not a url", "mailto:a@b", "file:///etc"] {
            assert!(
                matches!(api_base(Some(bad)), Err(FetchError::BadBaseUrl)),
                "{bad}"
            );
        }
    }

    #[tokio::test]
    async fn errors_name_neither_the_token_nor_the_url() {
        let (base, _seen, server) = serve(Arc::new(|target: &str| {
            if target.contains("/responses/") {
                status(401)
            } else {
                ok_json(fixture!("survey_details_nps_constructed.json"))
            }
        }))
        .await;
        let err = fetch_response(&client(), &request(), TOKEN, Some(&base), &cx())
            .await
            .unwrap_err();
        assert!(matches!(
            err,
            FetchError::Http {
                resource: Resource::Response,
                status: 401
            }
        ));
        assert!(!err.is_retryable());
        let port = base.rsplit(':').next().unwrap().to_owned();
        for text in [err.to_string(), err.summary(), format!("{err:?}")] {
            assert!(!text.contains(TOKEN), "{text}");
            assert!(!text.contains(&port), "{text}");
            assert!(!text.contains("/v3/"), "{text}");
        }
        server.abort();

        // A refused connection: the cause is kept for the logs, the summary says only that.
        let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let gone = format!("http://{}", closed.local_addr().unwrap());
        drop(closed);
        let err = fetch_response(&client(), &request(), TOKEN, Some(&gone), &cx())
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                FetchError::Transport {
                    kind: TransportKind::Connect,
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(err.is_retryable());
        assert!(!err.summary().contains("127.0.0.1"));
        for text in [err.to_string(), err.summary()] {
            assert!(!text.contains(TOKEN), "{text}");
            assert!(!text.contains("/v3/"), "{text}");
        }
    }

    #[tokio::test]
    async fn bodies_are_bounded_and_must_be_json_objects() {
        let (base, _seen, server) = serve(Arc::new(|target: &str| {
            if target.contains("/responses/") {
                // A Content-Length past the cap is refused before any body is read.
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{{",
                    MAX_BODY_BYTES + 1
                )
            } else {
                ok_json(fixture!("survey_details_nps_constructed.json"))
            }
        }))
        .await;
        let err = fetch_response(&client(), &request(), TOKEN, Some(&base), &cx())
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                FetchError::TooLarge {
                    resource: Resource::Response,
                    ..
                }
            ),
            "{err:?}"
        );
        server.abort();

        let (base, _seen, server) = serve(Arc::new(|target: &str| {
            if target.contains("/responses/") {
                ok_json(fixture!("response_details_nps_constructed.json"))
            } else {
                ok_json("[1, 2]")
            }
        }))
        .await;
        let err = fetch_response(&client(), &request(), TOKEN, Some(&base), &cx())
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                FetchError::Parse {
                    resource: Resource::Survey,
                    ..
                }
            ),
            "{err:?}"
        );
        server.abort();
    }

    #[tokio::test]
    async fn refuses_before_sending_what_cannot_be_sent() {
        let http = client();
        let mut bad_id = request();
        bad_id.response_id = "1/../../users".into();
        // No server listens on port 9: nothing is sent in any of these.
        let base = Some("http://127.0.0.1:9");
        assert!(matches!(
            fetch_response(&http, &bad_id, TOKEN, base, &cx()).await,
            Err(FetchError::BadId)
        ));
        for token in ["", "  ", "bearer ", "tok\nen"] {
            assert!(
                matches!(
                    fetch_response(&http, &request(), token, base, &cx()).await,
                    Err(FetchError::BadToken)
                ),
                "{token:?}"
            );
        }
        assert!(matches!(
            fetch_response(&http, &request(), TOKEN, Some("ftp://x"), &cx()).await,
            Err(FetchError::BadBaseUrl)
        ));
    }

    #[tokio::test]
    async fn a_token_given_with_its_scheme_is_sent_once() {
        let (base, seen, server) = serve(mirror()).await;
        fetch_response(
            &client(),
            &request(),
            &format!("Bearer {TOKEN}"),
            Some(&format!("{base}/mirror")),
            &cx(),
        )
        .await
        .unwrap();
        assert!(seen
            .lock()
            .unwrap()
            .iter()
            .all(|(_, auth)| auth == &format!("bearer {TOKEN}")));
        server.abort();
    }
}
