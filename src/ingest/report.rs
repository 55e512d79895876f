//! An analysis as JSON: the form the API and the CLI report, and the form stored beside each
//! feedback item.
//!
//! [`AnalysisJson`] borrows everything from the analysis and is serialised straight to the
//! output (no `serde_json::Value` in between): the CLI and `POST /api/v1/analyze` write it
//! at the engine's speed. Its fields are in the order a JSON object map sorts them, so the
//! stored form (a `Value`) and the reported one print alike.

use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::Value;

use crate::analysis::{Analysis, Aspect, Keyword, Label, Language};
use crate::domain::FeedbackAnalysis;

/// The JSON an analysis is reported as, by the CLI and the API alike.
#[derive(Debug, Serialize)]
pub struct AnalysisJson<'a> {
    pub aspects: &'a [Aspect],
    /// The caller's id as it was sent (any JSON value), `null` when there was none.
    #[serde(skip_serializing_if = "Skip::skip")]
    pub id: Skip<Option<&'a RawValue>>,
    pub keywords: &'a [Keyword],
    pub language: Language,
    /// The normalised text (`tingjian analyze --tokens`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub normalized: Option<&'a str>,
    pub pain_points: &'a [String],
    pub sentiment: SentimentJson,
    /// The tokens of the normalised text (`tingjian analyze --tokens`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tokens: Option<Vec<&'a str>>,
    pub topics: &'a [String],
    pub version: &'static str,
}

/// A field that is left out of the stored form and written (even as `null`) elsewhere.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(transparent)]
pub struct Skip<T>(pub Option<T>);

impl<T> Skip<T> {
    fn skip(&self) -> bool {
        self.0.is_none()
    }
}

#[derive(Debug, Serialize)]
pub struct SentimentJson {
    pub confidence: f64,
    pub label: Label,
    pub score: f64,
}

impl<'a> AnalysisJson<'a> {
    /// The reported form, with the caller's id (`None` is written as `null`).
    pub fn new(id: Option<&'a RawValue>, a: &'a Analysis) -> Self {
        Self {
            id: Skip(Some(id)),
            ..Self::stored(a)
        }
    }

    /// The stored form: no id.
    fn stored(a: &'a Analysis) -> Self {
        Self {
            aspects: &a.aspects,
            id: Skip(None),
            keywords: &a.keywords,
            language: a.language,
            normalized: None,
            pain_points: &a.pain_points,
            sentiment: SentimentJson {
                confidence: round3(a.sentiment.confidence),
                label: a.sentiment.label,
                score: round3(a.sentiment.score),
            },
            tokens: None,
            topics: &a.topics,
            version: a.version,
        }
    }
}

/// Three decimals, as f64 so that JSON shows 0.873 rather than 0.8730000257492065.
fn round3(x: f32) -> f64 {
    (f64::from(x) * 1000.0).round() / 1000.0
}

/// The stored form of an analysis.
pub fn stored_analysis(a: &Analysis) -> FeedbackAnalysis {
    let json = serde_json::to_value(AnalysisJson::stored(a)).unwrap_or(Value::Null);
    FeedbackAnalysis {
        sentiment: a.sentiment.label.as_str().to_owned(),
        score: f64::from(a.sentiment.score),
        pain_points: a.pain_points.clone(),
        keywords: a.keywords.iter().map(|k| k.word.clone()).collect(),
        json,
        version: a.version.to_owned(),
    }
}
