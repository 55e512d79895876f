//! `NewFeedback`: the one type every channel turns its input into.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::field::FieldError;

/// Longest text accepted for one feedback item, in characters.
pub const MAX_TEXT_CHARS: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Survey,
    Webhook,
    Interview,
    Social,
    Import,
    /// An app-store review (App Store, Google Play).
    Review,
}

impl Channel {
    /// Every channel, in the order error messages and lists name them.
    pub const ALL: [Channel; 6] = [
        Channel::Survey,
        Channel::Webhook,
        Channel::Interview,
        Channel::Social,
        Channel::Import,
        Channel::Review,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Survey => "survey",
            Channel::Webhook => "webhook",
            Channel::Interview => "interview",
            Channel::Social => "social",
            Channel::Import => "import",
            Channel::Review => "review",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "survey" => Channel::Survey,
            "webhook" => Channel::Webhook,
            "interview" => Channel::Interview,
            "social" => Channel::Social,
            "import" => Channel::Import,
            "review" => Channel::Review,
            _ => return None,
        })
    }

    /// What a channel given by name must be, for error messages: `must be survey, …, or review`.
    pub fn must_be() -> String {
        let names: Vec<&str> = Channel::ALL.iter().map(|c| c.as_str()).collect();
        match names.split_last() {
            Some((last, rest)) => format!("must be {} or {last}", rest.join(", ")),
            None => String::new(),
        }
    }
}

/// Feedback text: trimmed, non-empty, at most [`MAX_TEXT_CHARS`] characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeedbackText(String);

impl FeedbackText {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let t = raw.trim();
        if !super::text::has_visible(t) {
            return Err("text must not be empty");
        }
        if t.contains('\0') {
            return Err("text must not contain NUL characters");
        }
        if t.chars().count() > MAX_TEXT_CHARS {
            return Err("text is longer than 10000 characters");
        }
        Ok(Self(t.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// Satisfaction scores that may come with an item: NPS 0–10, CSAT 1–5, CES 1–7, and a star
/// rating 1–5 (an app-store review, a tool's rating question: not CSAT).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scores {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nps: Option<i16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csat: Option<i16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ces: Option<i16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rating: Option<i16>,
}

impl Scores {
    /// Parses `{"nps": 9, "csat": 4}`; `field` prefixes the pointer in errors.
    pub fn parse(value: &Value, field: &str) -> Result<Self, FieldError> {
        let obj = value
            .as_object()
            .ok_or_else(|| FieldError::new(field, "must be an object"))?;
        let mut scores = Scores::default();
        for (key, v) in obj {
            let (slot, lo, hi) = match key.as_str() {
                "nps" => (&mut scores.nps, 0, 10),
                "csat" => (&mut scores.csat, 1, 5),
                "ces" => (&mut scores.ces, 1, 7),
                "rating" => (&mut scores.rating, 1, 5),
                _ => {
                    return Err(FieldError::new(
                        format!("{field}/{key}"),
                        "unknown score (expected nps, csat, ces or rating)",
                    ))
                }
            };
            if v.is_null() {
                continue;
            }
            *slot = Some(
                parse_score(v, lo, hi).map_err(|m| FieldError::new(format!("{field}/{key}"), m))?,
            );
        }
        Ok(scores)
    }

    pub fn is_empty(&self) -> bool {
        self.nps.is_none() && self.csat.is_none() && self.ces.is_none() && self.rating.is_none()
    }
}

/// An integer score within `lo..=hi`; numeric strings ("9") are accepted as exports send them.
pub fn parse_score(v: &Value, lo: i16, hi: i16) -> Result<i16, String> {
    let n = match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    match n {
        Some(n) if n.fract() == 0.0 && n >= lo as f64 && n <= hi as f64 => Ok(n as i16),
        _ => Err(format!("must be an integer from {lo} to {hi}")),
    }
}

/// Respondent attributes (plan, city, app version …): a flat JSON object of strings,
/// numbers or booleans, at most 50 keys.
pub fn parse_attributes(value: &Value, field: &str) -> Result<Map<String, Value>, FieldError> {
    let obj = match value {
        Value::Null => return Ok(Map::new()),
        Value::Object(o) => o,
        _ => return Err(FieldError::new(field, "must be an object")),
    };
    if obj.len() > 50 {
        return Err(FieldError::new(field, "at most 50 attributes"));
    }
    for (k, v) in obj {
        if k.is_empty() || k.len() > 64 {
            return Err(FieldError::new(field, "attribute names are 1 to 64 bytes"));
        }
        match v {
            Value::String(s) if s.chars().count() <= 200 => {}
            Value::Number(_) | Value::Bool(_) | Value::Null => {}
            _ => {
                return Err(FieldError::new(
                    format!("{field}/{k}"),
                    "must be a string (at most 200 characters), number or boolean",
                ))
            }
        }
    }
    Ok(obj.clone())
}

/// One feedback item ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewFeedback {
    pub channel: Channel,
    /// Where it came from, unique per workspace: `webhook:{source id}`, `survey:{survey id}`,
    /// `feed:{source id}`, `mentions:{platform}`, `interview:{interview id}`, `import:{name}`.
    pub source_key: String,
    pub source_id: Option<String>,
    /// The sender's own id for the item; a second item with the same id from the same source
    /// is a retry and is not stored again.
    pub external_id: Option<String>,
    pub respondent_id: Option<String>,
    pub author: Option<String>,
    pub text: FeedbackText,
    pub scores: Scores,
    pub attributes: Map<String, Value>,
    /// Channel-specific context: interview offsets and question, post URL and platform …
    pub context: Map<String, Value>,
    pub occurred_at: DateTime<Utc>,
    /// The stored response (`sr_…`) whose answer this item is: its scores are counted once,
    /// from the response, however many text answers it has.
    pub response_id: Option<String>,
    /// Filled in by the ingest pipeline before the item is stored.
    pub analysis: Option<FeedbackAnalysis>,
}

/// An item's analysis as stored: the label and score as columns (for filters and
/// aggregation), pain points and keywords in their own tables, the whole result as JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedbackAnalysis {
    pub sentiment: String,
    pub score: f64,
    pub pain_points: Vec<String>,
    pub keywords: Vec<String>,
    /// The whole analysis as the JSON text stored in the `analysis` column, written once
    /// (a tree of values takes some kilobytes an item, and was cloned and serialised again
    /// by the writer).
    pub json: String,
    pub version: String,
}

impl FeedbackAnalysis {
    /// The stored JSON as a tree, for the few writers that change it.
    pub fn value(&self) -> Value {
        serde_json::from_str(&self.json).unwrap_or(Value::Null)
    }
}
