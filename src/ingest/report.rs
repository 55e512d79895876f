//! An analysis as JSON: the form the API and the CLI report, and the form stored beside each
//! feedback item.

use serde_json::{json, Value};

use crate::analysis::Analysis;
use crate::domain::FeedbackAnalysis;

/// The JSON an analysis is reported as, by the CLI and the API alike.
pub fn analysis_json(id: &Value, a: &Analysis) -> Value {
    json!({
        "id": id,
        "sentiment": {"label": a.sentiment.label, "score": round3(a.sentiment.score), "confidence": round3(a.sentiment.confidence)},
        "pain_points": a.pain_points,
        "keywords": a.keywords,
        "aspects": a.aspects,
        "topics": a.topics,
        "language": a.language,
        "version": a.version,
    })
}

/// Three decimals, as f64 so that JSON shows 0.873 rather than 0.8730000257492065.
fn round3(x: f32) -> f64 {
    (f64::from(x) * 1000.0).round() / 1000.0
}

/// The stored form of an analysis.
pub fn stored_analysis(a: &Analysis) -> FeedbackAnalysis {
    let mut json = analysis_json(&Value::Null, a);
    if let Some(obj) = json.as_object_mut() {
        obj.remove("id");
    }
    FeedbackAnalysis {
        sentiment: a.sentiment.label.as_str().to_owned(),
        score: f64::from(a.sentiment.score),
        pain_points: a.pain_points.clone(),
        keywords: a.keywords.iter().map(|k| k.word.clone()).collect(),
        json,
        version: a.version.to_owned(),
    }
}
