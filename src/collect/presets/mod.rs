//! Presets: the survey tools teams already use, taken exactly as each sends. A preset knows
//! its tool's signature and payload: it checks the one, and reads the other into
//! [`ToolResponse`]s (one per response: its text answers, scores, respondent, time), which
//! [`to_stored`] turns into a stored response and one feedback item per text answer. A
//! tool's test ping is a [`Reading::Ping`]: answered, and nothing stored.
//!
//! Each tool is its own file; this one holds what they share.

mod formbricks;
mod model;
mod standard;
mod surveymonkey;
mod survicate;
mod tally;
mod tencent_wj;
mod typeform;
mod wjx;

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use super::webhook::SignatureError;
use crate::domain::{
    stable_id, Channel, FeedbackText, FieldError, Joint, NewFeedback, Scores, MAX_TEXT_CHARS,
};
use crate::store::NewToolResponse;

pub(crate) use model::{put_attribute, respondent_of, score_in, text_of, RESPONDENT_KEYS};
pub use model::{
    same_bytes, Answer, Context, FetchRequest, Incoming, Reading, Secrets, ToolResponse,
};
pub use surveymonkey::{fetch_response, read_details, FetchError, Resource};

/// The tools a webhook source can take deliveries from as they send them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    /// Tingjian's own shape (or a JSON Pointer mapping), signed by Standard Webhooks.
    Standard,
    Typeform,
    Formbricks,
    Tally,
    SurveyMonkey,
    Survicate,
    /// 问卷星.
    Wjx,
    /// 腾讯问卷.
    TencentWj,
}

/// How a source's deliveries are proven to come from its tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protection {
    /// The tool signs each delivery with the source's signing secret.
    Signature(&'static str),
    /// The tool's signature does not cover the answers (问卷星 signs only the survey and the
    /// answer's number), so the URL carries a token as well; both must match.
    SignatureAndToken(&'static str),
    /// The tool cannot sign (or no secret is set yet): the URL carries an unguessable token.
    UrlToken,
}

impl Preset {
    pub const ALL: [Preset; 8] = [
        Preset::Standard,
        Preset::Typeform,
        Preset::Formbricks,
        Preset::Tally,
        Preset::SurveyMonkey,
        Preset::Survicate,
        Preset::Wjx,
        Preset::TencentWj,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Preset::Standard => "standard",
            Preset::Typeform => "typeform",
            Preset::Formbricks => "formbricks",
            Preset::Tally => "tally",
            Preset::SurveyMonkey => "surveymonkey",
            Preset::Survicate => "survicate",
            Preset::Wjx => "wjx",
            Preset::TencentWj => "tencent_wj",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Preset::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// The tool's name as people in China write it.
    pub fn display_name(self) -> &'static str {
        match self {
            Preset::Standard => "通用 Webhook",
            Preset::Typeform => "Typeform",
            Preset::Formbricks => "Formbricks",
            Preset::Tally => "Tally",
            Preset::SurveyMonkey => "SurveyMonkey",
            Preset::Survicate => "Survicate",
            Preset::Wjx => "问卷星",
            Preset::TencentWj => "腾讯问卷",
        }
    }

    /// The signature scheme the tool signs with, if it signs at all.
    pub fn signature_scheme(self) -> Option<&'static str> {
        match self {
            Preset::Standard | Preset::Formbricks => Some("standard_webhooks"),
            Preset::Typeform => Some("typeform_signature"),
            Preset::Tally => Some("tally_signature"),
            Preset::SurveyMonkey => Some("surveymonkey_signature"),
            Preset::Wjx => Some("wjx_sign"),
            Preset::Survicate => survicate::SIGNATURE_SCHEME,
            Preset::TencentWj => None,
        }
    }

    /// Does the tool's signature cover the whole delivery? 问卷星's covers only the survey id
    /// and the answer's sequence number: anyone who saw one push could forge answers.
    pub fn signs_whole_delivery(self) -> bool {
        self != Preset::Wjx
    }

    /// What protects a source of this preset, given whether it has a signing secret.
    pub fn protection(self, has_secret: bool) -> Protection {
        match (self.signature_scheme(), has_secret) {
            (Some(scheme), true) if self.signs_whole_delivery() => Protection::Signature(scheme),
            (Some(scheme), true) => Protection::SignatureAndToken(scheme),
            _ => Protection::UrlToken,
        }
    }

    /// Does a source of this preset need a token in its URL?
    pub fn needs_url_token(self, has_secret: bool) -> bool {
        !matches!(self.protection(has_secret), Protection::Signature(_))
    }
}

/// Checks a delivery's signature with the preset's scheme.
pub fn verify(
    preset: Preset,
    req: &Incoming<'_>,
    secrets: &Secrets<'_>,
    now: DateTime<Utc>,
) -> Result<(), SignatureError> {
    if secrets.live.is_empty() {
        return Err(SignatureError::Invalid);
    }
    match preset {
        Preset::Standard | Preset::Formbricks => standard::verify(req, secrets, now),
        Preset::Typeform => typeform::verify(req, secrets),
        Preset::Tally => tally::verify(req, secrets),
        Preset::SurveyMonkey => surveymonkey::verify(req, secrets),
        Preset::Wjx => wjx::verify(req, secrets),
        Preset::Survicate => survicate::verify(req, secrets),
        Preset::TencentWj => Err(SignatureError::Invalid),
    }
}

/// Reads a delivery's JSON (or, for tools that post forms, its body) into what it says.
pub fn read(preset: Preset, body: &Value, cx: &Context) -> Result<Reading, Vec<FieldError>> {
    match preset {
        Preset::Standard => Err(vec![FieldError::new(
            "",
            "the standard preset is read by its mapping",
        )]),
        Preset::Typeform => typeform::read(body, cx),
        Preset::Formbricks => formbricks::read(body, cx),
        Preset::Tally => tally::read(body, cx),
        Preset::SurveyMonkey => surveymonkey::read(body, cx),
        Preset::Survicate => survicate::read(body, cx),
        Preset::Wjx => wjx::read(body, cx),
        Preset::TencentWj => tencent_wj::read(body, cx),
    }
}

/// Longest external id kept verbatim; a longer one is replaced by its hash.
const MAX_KEY_CHARS: usize = 200;

/// The id a response is stored under: stable across the tool's retries and later versions of
/// the response, scoped to the source.
pub fn stored_response_id(source_id: &str, tool_response_id: &str) -> String {
    format!(
        "sr_{}",
        stable_id(Joint::Nul, &[source_id, tool_response_id])
    )
}

/// Scores from the questions a source names (`{"nps": "q7"}`), for tools whose payload does
/// not say which question is which; a score the tool gave itself is kept.
pub fn apply_score_questions(
    r: &mut ToolResponse,
    questions: &std::collections::BTreeMap<String, String>,
) {
    for (kind, question) in questions {
        let Some(v) = r.raw_answers.get(question) else {
            continue;
        };
        let (slot, lo, hi) = match kind.as_str() {
            "nps" => (&mut r.scores.nps, 0, 10),
            "csat" => (&mut r.scores.csat, 1, 5),
            "ces" => (&mut r.scores.ces, 1, 7),
            "rating" => (&mut r.scores.rating, 1, 5),
            _ => continue,
        };
        if slot.is_none() {
            *slot = score_in(v, lo, hi);
        }
    }
}

/// A response's row and its feedback items, ready to prepare and store.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredResponse {
    pub id: String,
    pub respondent_id: Option<String>,
    pub answers: Value,
    pub attributes: Value,
    pub scores: Scores,
    pub occurred_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub complete: bool,
    pub items: Vec<NewFeedback>,
}

/// A tool's response as Tingjian stores it: one item per text answer, each under an external
/// id made of the response and the question (so every answer is kept, and a later version of
/// the response replaces its own answers only), carrying the response's scores.
pub fn to_stored(
    source_id: &str,
    preset: Preset,
    r: &ToolResponse,
    cx: &Context,
) -> StoredResponse {
    let id = stored_response_id(source_id, &r.id);
    // A tool's time outside the window is its mistake: the delivery's time stands in.
    let occurred_at = r
        .submitted_at
        .filter(|t| crate::domain::time::occurred_within(*t, cx.now))
        .unwrap_or(cx.now);
    let items = r
        .answers
        .iter()
        .filter_map(|a| {
            let text = FeedbackText::parse(&crate::domain::text::truncate_chars(
                &a.text,
                MAX_TEXT_CHARS,
            ))
            .ok()?;
            let mut context = Map::new();
            context.insert("preset".into(), json!(preset.as_str()));
            // The tool, by the code people see named in Chinese (`platform_name`).
            context.insert("platform".into(), json!(preset.as_str()));
            context.insert("response_id".into(), json!(r.id));
            context.insert("question_id".into(), json!(a.question_id));
            if let Some(q) = &a.question {
                context.insert("question".into(), json!(q));
            }
            Some(NewFeedback {
                channel: Channel::Webhook,
                source_key: format!("webhook:{source_id}"),
                source_id: Some(source_id.to_owned()),
                external_id: Some(bounded_key(&format!("{}:{}", r.id, a.question_id))),
                respondent_id: r
                    .respondent_id
                    .as_ref()
                    .map(|s| s.chars().take(128).collect()),
                author: None,
                text,
                scores: r.scores,
                attributes: r.attributes.clone(),
                context,
                occurred_at,
                response_id: Some(id.clone()),
                analysis: None,
            })
        })
        .collect();
    StoredResponse {
        id,
        respondent_id: r.respondent_id.clone(),
        answers: Value::Object(r.raw_answers.clone()),
        attributes: Value::Object(r.attributes.clone()),
        scores: r.scores,
        occurred_at,
        updated_at: r.updated_at.unwrap_or(cx.now),
        complete: r.complete,
        items,
    }
}

impl StoredResponse {
    /// The response's row, for the store (its items are stored beside it).
    pub fn into_new(self, source_id: &str) -> NewToolResponse {
        NewToolResponse {
            id: self.id,
            source_id: source_id.to_owned(),
            respondent_id: self.respondent_id,
            answers: self.answers,
            attributes: self.attributes,
            scores: self.scores,
            occurred_at: self.occurred_at,
            updated_at: self.updated_at,
            complete: self.complete,
        }
    }
}

fn bounded_key(key: &str) -> String {
    if key.chars().count() <= MAX_KEY_CHARS {
        key.to_owned()
    } else {
        stable_id(Joint::UnitSeparator, &[key])
    }
}
